"""Encrypted calls (issue 7's first acceptance test, with raw phones):
two phones register over TLS with certificates under an imported MIC
root (device-security-mode encrypted), call each other, and get SRTP keys
(AES_CM_128_HMAC_SHA1_32) in OpenReceiveChannel (receive key) and
StartMediaTransmission (transmit key) pointing at the CME's media relay.
Each phone protects a known G.711 pattern with its transmit key using an
independent SRTP implementation written here from RFC 3711 (AES-CM key
derivation and keystream, HMAC-SHA1 tag) on top of Python's
cryptography; the relay re-protects it for the other leg, and the other
phone authenticates and decrypts it with its receive key.  Tampered and
replayed packets never come out of the relay; CallInfo says encrypted;
every resume brings new keys."""
import base64
import hashlib
import hmac
import os
import socket
import ssl
import struct
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

from pkiutil import free_port
from test_pki import enroll
from test_sccp import free_sccp_port, pdu, register_pdu, sccp_show, wait_for
from test_sccp_calls import (CALL_INFO, CONNECTED, HOLD, KEYPAD, OFFHOOK,
                             ORC, ORC_ACK, RINGIN, SMT, Phone, pump_all)

MACS = ("001122336601", "001122336602", "001122336603")


def key_forms(key_salt):
    """Every spelling of a key||salt a log could leak: base64 and hex
    (both cases, packed and spaced) of the whole, of the key and of the
    salt."""
    forms = set()
    for part in (key_salt, key_salt[:16], key_salt[16:]):
        forms.add(base64.b64encode(part).decode())
        for h in (part.hex(), part.hex().upper()):
            forms.add(h)
            forms.add(" ".join(h[i:i + 2] for i in range(0, len(h), 2)))
    return forms


# ---- SRTP from RFC 3711, independent of libsrtp ---------------------------

def aes_cm(key, iv16, n):
    enc = Cipher(algorithms.AES(key), modes.CTR(iv16)).encryptor()
    return enc.update(b"\0" * n) + enc.finalize()


def kdf(master_key, master_salt, label, n):
    """RFC 3711 4.3.1 with key_derivation_rate 0 (r = 0)."""
    x = int.from_bytes(master_salt, "big") ^ (label << 48)
    return aes_cm(master_key, (x << 16).to_bytes(16, "big"), n)


class Srtp:
    def __init__(self, key_salt):
        mk, ms = key_salt[:16], key_salt[16:30]
        self.ke = kdf(mk, ms, 0, 16)
        self.ka = kdf(mk, ms, 1, 20)
        self.ks = kdf(mk, ms, 2, 14)
        self.roc = 0

    def _keystream(self, ssrc, index, n):
        iv = (int.from_bytes(self.ks, "big") << 16) ^ (ssrc << 64) ^ \
            (index << 16)
        return aes_cm(self.ke, iv.to_bytes(16, "big"), n)

    def _tag(self, data):
        return hmac.new(self.ka, data + struct.pack(">I", self.roc),
                        hashlib.sha1).digest()[:4]

    def protect(self, seq, ts, ssrc, payload):
        hdr = struct.pack(">BBHII", 0x80, 0, seq, ts, ssrc)
        ks = self._keystream(ssrc, seq, len(payload))
        body = hdr + bytes(a ^ b for a, b in zip(payload, ks))
        return body + self._tag(body)

    def unprotect(self, pkt):
        body, tag = pkt[:-4], pkt[-4:]
        if not hmac.compare_digest(self._tag(body), tag):
            return None
        seq, _, ssrc = struct.unpack(">HII", body[2:12])
        ks = self._keystream(ssrc, seq, len(body) - 12)
        return bytes(a ^ b for a, b in zip(body[12:], ks))


# ---- phones over TLS with a MIC ----------------------------------------

def mk_cert(cn, key, issuer=None, issuer_key=None, ca=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = time.time()
    import datetime
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer.subject if issuer else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(datetime.datetime.utcfromtimestamp(now - 3600))
         .not_valid_after(datetime.datetime.utcfromtimestamp(now + 86400))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                        critical=True))
    return b.sign(issuer_key or key, hashes.SHA256())


class TlsPhone(Phone):
    def __init__(self, port, mac, ctx, secrets=None):
        self.ctx = ctx
        # Every key this phone is given joins the test's secrets: the
        # daemons fixture fails the test if one is in the daemon's log.
        self.secrets = secrets if secrets is not None else set()
        self.plain = []          # ("rx"|"tx", party): no key block
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.settimeout(2)
        self.keys = []           # ("rx"|"tx", key||salt, party)
        self.info_security = []  # callSecurityStatus of each CallInfo
        self.smt_addr = None
        super().__init__(port, mac, self.rtp.getsockname()[1])

    def _connect(self, port):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        return self.ctx.wrap_socket(raw)

    def note(self, mid, body):
        if mid == ORC:
            party = struct.unpack("<I", body[4:8])[0]
            alg, kl, sl = struct.unpack("<IHH", body[28:36])
            if alg == 0 and kl == 0:
                self.plain.append(("rx", party))
            else:
                assert alg == 1 and kl == 16 and sl == 14, (alg, kl, sl)
                self.add_key("rx", body[36:52] + body[52:66], party)
        elif mid == SMT:
            port = struct.unpack("<I", body[28:32])[0]
            ip = socket.inet_ntoa(body[12:16])
            self.smt_addr = (ip, port)
            # protocol 17 (spec 9.3): the key block at 60
            alg, kl, sl = struct.unpack("<IHH", body[60:68])
            party = struct.unpack("<I", body[4:8])[0]
            if alg == 0 and kl == 0:
                self.plain.append(("tx", party))
            else:
                assert alg == 1 and kl == 16 and sl == 14, (alg, kl, sl)
                self.add_key("tx", body[68:84] + body[84:98], party)
        elif mid == CALL_INFO:
            self.info_security.append(struct.unpack("<I", body[376:380])[0])
        super().note(mid, body)

    def add_key(self, kind, key_salt, party):
        self.keys.append((kind, key_salt, party))
        self.secrets.update(key_forms(key_salt))

    def all_keys(self):
        return {k for _, k, _ in self.keys}

    def key(self, kind):
        return [k for k in self.keys if k[0] == kind][-1][1]


@pytest.fixture
def secure_cme(daemons, tmp_path, secrets):
    hp, sp = free_port(), free_sccp_port()
    lines = ["hostname CME1", "ip http server", f"ip http port {hp}",
             "ip http source-address 127.0.0.1",
             "crypto pki server myca", " grant auto", " no shutdown",
             "crypto pki trustpoint myca", " revocation-check none",
             "crypto pki trustpoint cme",
             f" enrollment url http://127.0.0.1:{hp}",
             " revocation-check none",
             "crypto pki trustpoint mic", " enrollment terminal",
             " revocation-check none",
             "telephony-service", f" ip source-address 127.0.0.1 port {sp}",
             " secure-signaling trustpoint cme",
             f" secure-signaling port {sp + 443}",
             " device-security-mode encrypted", " no auto-reg-ephone",
             " max-conferences 2",
             "ephone-dn 1", " number 1001", "ephone-dn 2", " number 1002",
             "ephone-dn 3", " number 1003",
             "ephone 1", f" mac-address {MACS[0][:4]}.{MACS[0][4:8]}."
             f"{MACS[0][8:]}", " button 1:1",
             "ephone 2", f" mac-address {MACS[1][:4]}.{MACS[1][4:8]}."
             f"{MACS[1][8:]}", " button 1:2",
             "ephone 3", f" mac-address {MACS[2][:4]}.{MACS[2][4:8]}."
             f"{MACS[2][8:]}", " button 1:3"]
    d = daemons("\n".join(lines) + "\n", name="cme")
    enroll(d, "cme")
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = mk_cert("Test MIC Root", root_key, ca=True)
    pem = root.public_bytes(serialization.Encoding.PEM).decode().strip()
    p = d.cli(stdin=(f"configure terminal\ncrypto pki authenticate mic\n"
                     f"{pem}\nquit\nyes\nend\n"))
    assert "% Certificate successfully imported" in p.stdout, p.stdout
    wait_for(lambda: f"port {sp + 443}" in sccp_show(d) and
             "not listening" not in sccp_show(d), "the TLS listener")
    ctxs = []
    for mac in MACS:
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        c = mk_cert("SEP" + mac, k, root, root_key)
        cp, kp = tmp_path / f"{mac}.pem", tmp_path / f"{mac}.key"
        cp.write_bytes(c.public_bytes(serialization.Encoding.PEM))
        kp.write_bytes(k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # test_sccp checks the server
        ctx.load_cert_chain(cp, kp)
        ctxs.append(ctx)
    d.tls_port = sp + 443
    d.ctxs = ctxs
    d.secrets = secrets
    return d


def tls_phones(d, n=2):
    ps = []
    for mac, ctx in list(zip(MACS, d.ctxs))[:n]:
        # Phone.__init__ connects through _connect when a subclass has it
        ps.append(TlsPhone(d.tls_port, mac, ctx, d.secrets))
    return ps


def exchange(a, b, seq0, n=5):
    """a sends n protected packets of a pattern to the relay; b gets them
    re-protected and decrypts them to the pattern."""
    tx = Srtp(a.key("tx"))
    rx = Srtp(b.key("rx"))
    pattern = bytes(range(160))
    for i in range(n):
        a.rtp.sendto(tx.protect(seq0 + i, 160 * i, 0x1234, pattern),
                     a.smt_addr)
    got = 0
    while got < n:
        pkt, src = b.rtp.recvfrom(2048)
        if src != b.smt_addr:
            continue  # music on hold still in flight after a resume
        assert rx.unprotect(pkt) == pattern
        got += 1
    return got


def test_encrypted_call_carries_srtp_through_the_relay(secure_cme):
    a, b = tls_phones(secure_cme)
    a.dial("1002")
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    pump_all([a, b], lambda: a.smt_addr and b.smt_addr, "SRTP set-up")
    # Four different keys; the phones send to the relay, not to each
    # other.
    keys = {a.key("tx"), a.key("rx"), b.key("tx"), b.key("rx")}
    assert len(keys) == 4
    assert a.smt_addr[1] not in (b.rtp_port, a.rtp_port)
    pump_all([a, b], lambda: 3 in a.info_security and 3 in b.info_security,
             "CallInfo encrypted")
    assert exchange(a, b, 100) == 5
    assert exchange(b, a, 500) == 5
    # A forged packet (wrong key) and a replay never come out.
    forged = Srtp(os.urandom(30)).protect(200, 0, 0x1234, b"x" * 160)
    a.rtp.sendto(forged, a.smt_addr)
    good = Srtp(a.key("tx")).protect(105, 0, 0x1234, b"y" * 160)
    a.rtp.sendto(good, a.smt_addr)
    a.rtp.sendto(good, a.smt_addr)  # replayed
    pkt, _ = b.rtp.recvfrom(2048)
    assert Srtp(b.key("rx")).unprotect(pkt) == b"y" * 160
    with pytest.raises(socket.timeout):
        b.rtp.settimeout(0.5)
        b.rtp.recvfrom(2048)
    # Hold and resume: a new stream with four new keys.
    old = keys
    ref = a.ref()
    a.softkey(3, ref)
    pump_all([a, b], lambda: a.state() == HOLD, "hold")
    a.smt_addr = b.smt_addr = None
    a.softkey(10, ref)
    pump_all([a, b], lambda: a.smt_addr and b.smt_addr, "new SRTP set-up")
    new = {a.key("tx"), a.key("rx"), b.key("tx"), b.key("rx")}
    assert len(new) == 4 and not (new & old)
    b.rtp.settimeout(2)
    assert exchange(a, b, 1000) == 5
