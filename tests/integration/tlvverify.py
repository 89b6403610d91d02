#!/usr/bin/python3
"""Independent verifier for signed phone files (CTL/ITL .tlv, .sgn).

Written from shared/spec/formats.md sections 1-3 alone, to cross-check the
C codec: it walks the header (spec 1.2), removes the SIGNATURE TLV to get
the signed bytes (spec 1.7) and checks the RSASSA-PKCS1-v1_5 signature
with the `cryptography` package.

    tlvverify.py FILE                 trust list: signer = the SAST record
                                      whose serial equals the header serial
    tlvverify.py FILE --cert PEM      any file: verify with this certificate

Exit 0 when the signature is valid, 1 otherwise (reason on stderr).
"""
import struct
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CONTAINERS = {3, 7, 9, 16, 17, 21}
HASHES = {1: hashes.SHA1, 3: hashes.SHA512}


class Malformed(Exception):
    pass


def _tlv(data, off, end):
    if end - off < 3:
        raise Malformed(f"TLV header past the end at {off}")
    tag = data[off]
    (length,) = struct.unpack_from(">H", data, off + 1)
    if off + 3 + length > end:
        raise Malformed(f"TLV value past the end at {off}")
    return tag, length


def parse(data):
    """Return a dict describing the file; raises Malformed."""
    if len(data) < 10 or data[0] != 1 or data[1:3] != b"\x00\x02":
        raise Malformed("no VERSION at offset 0")
    if data[5] != 2 or data[6:8] != b"\x00\x02":
        raise Malformed("no HEADER_LENGTH at offset 5")
    h = struct.unpack_from(">H", data, 8)[0]
    if h < 10 or h > len(data):
        raise Malformed("HEADER_LENGTH out of range")
    info = {"version": (data[3], data[4]), "header_length": h,
            "fields": {}, "records": []}
    off = 10
    while off < h:
        if data[off] == 13:          # padding: a lone byte
            off += 1
            continue
        tag, length = _tlv(data, off, h)
        if tag in CONTAINERS:
            off += 3
            continue
        if tag not in range(4, 29) or tag == 13:
            raise Malformed(f"unknown header tag {tag} at {off}")
        if tag in info["fields"]:
            raise Malformed(f"duplicate header tag {tag} at {off}")
        info["fields"][tag] = data[off + 3:off + 3 + length]
        if tag == 12:
            info["sig_off"] = off
        off += 3 + length
    if 12 not in info["fields"] or 8 not in info["fields"]:
        raise Malformed("no SIGNATURE or HASH_ALGORITHM")
    if info["version"] == (1, 2):
        off = h
        while off < len(data):
            if len(data) - off < 5 or data[off] != 1:
                raise Malformed(f"bad record at {off}")
            rl = struct.unpack_from(">H", data, off + 3)[0]
            if rl < 5 or off + rl > len(data):
                raise Malformed(f"bad RECORD_LENGTH at {off}")
            rec = {}
            p = off + 5
            while p < off + rl:
                tag, length = _tlv(data, p, off + rl)
                if tag not in range(2, 13) or tag in rec:
                    raise Malformed(f"bad record tag {tag} at {p}")
                rec[tag] = data[p + 3:p + 3 + length]
                p += 3 + length
            info["records"].append(rec)
            off += rl
    return info


def signed_bytes(data, info):
    """The file without the SIGNATURE TLV (spec 1.7)."""
    s = info["sig_off"]
    return data[:s] + data[s + 3 + len(info["fields"][12]):]


def verify_with_cert(data, info, cert):
    hash_id = info["fields"][8][0]
    if hash_id not in HASHES:
        raise Malformed(f"hash id {hash_id}")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Malformed("signer key is not RSA")
    key.verify(bytes(info["fields"][12]), bytes(signed_bytes(data, info)),
               padding.PKCS1v15(), HASHES[hash_id]())


def sast_signer(info):
    """The SAST record whose serial equals the header serial (spec 2.6)."""
    serial = info["fields"].get(5)
    for rec in info["records"]:
        if rec.get(4) == b"\x00\x00" and rec.get(6) == serial and 9 in rec:
            return x509.load_der_x509_certificate(bytes(rec[9]))
    raise Malformed("missing SAST record")


def verify(data, cert=None):
    info = parse(data)
    if cert is None:
        cert = sast_signer(info)
    verify_with_cert(data, info, cert)
    return info


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--cert"):
        print(__doc__, file=sys.stderr)
        return 2
    data = open(argv[1], "rb").read()
    cert = None
    if len(argv) == 4:
        cert = x509.load_pem_x509_certificate(open(argv[3], "rb").read())
    try:
        verify(data, cert)
    except (Malformed, InvalidSignature, ValueError) as e:
        print(f"{argv[1]}: INVALID: {type(e).__name__} {e}", file=sys.stderr)
        return 1
    print(f"{argv[1]}: valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
