"""An independent type 6 decoder written from the spec
(../shared/spec/pki-passwords.md section 1.7), to check what opencmed
writes without trusting its own decoder."""
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def _aes_ecb(key, block):
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def decode(master, text):
    if len(text) % 3:
        raise ValueError("length")
    vals = []
    for i in range(0, len(text), 3):
        d = [ord(c) - ord("A") for c in text[i:i + 3]]
        if any(x < 0 or x > 40 for x in d):
            raise ValueError("alphabet")
        v = d[0] * 1681 + d[1] * 41 + d[2]
        if v > 0xFFFF:
            raise ValueError("value")
        vals.append(v)
    blob = b"".join(v.to_bytes(2, "big") for v in vals)
    blob = blob[:-2] if vals[-1] == 1 else blob[:-1]
    salt, ct, mac = blob[:8], blob[8:-4], blob[-4:]
    km = hashlib.md5(master.encode()).digest()
    ka = _aes_ecb(km, salt + b"\0" * 8)
    ke = _aes_ecb(km, salt + b"\0" * 7 + b"\1")
    if not hmac.compare_digest(hmac.new(ka, ct, hashlib.sha1).digest()[:4],
                               mac):
        raise ValueError("mac")
    stream = b"".join(_aes_ecb(ke, bytes([0, 0, 0, j]) + b"\0" * 12)
                      for j in range((len(ct) + 15) // 16))
    return bytes(a ^ b for a, b in zip(ct, stream)).rstrip(b"\0").decode()
