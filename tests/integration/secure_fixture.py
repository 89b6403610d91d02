"""What the encrypted-call suites share: a CME with an imported MIC root
and certificates for raw phones (mic_cme, the secure_cme fixture), raw
phones over TLS or TCP that record the keys, the plain streams and the
CallInfo security status they are given (TlsPhone), and SRTP written
here from RFC 3711 (AES-CM key derivation and keystream, HMAC-SHA1 32-bit
tag) on top of Python's cryptography, independent of libsrtp (Srtp).
Used by test_sccp_srtp, test_sccp_offhook, test_sccp_null_cipher and
test_sccp_secure_features."""
import base64
import datetime
import hashlib
import hmac
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
from test_sccp import free_sccp_port, sccp_show, wait_for
from test_sccp_calls import CALL_INFO, ORC, SMT, Phone

MACS = ("001122336601", "001122336602", "001122336603")


def dotted(mac):
    return f"{mac[:4]}.{mac[4:8]}.{mac[8:]}"


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
    """One SRTP direction (AES_CM_128_HMAC_SHA1_32); the caller keeps
    the rollover counter (roc, 0 for a new stream), so the packet index
    is roc << 16 | seq (RFC 3711 3.3.1)."""

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
        ks = self._keystream(ssrc, self.roc << 16 | seq, len(payload))
        body = hdr + bytes(a ^ b for a, b in zip(payload, ks))
        return body + self._tag(body)

    def unprotect(self, pkt):
        body, tag = pkt[:-4], pkt[-4:]
        if not hmac.compare_digest(self._tag(body), tag):
            return None
        seq, _, ssrc = struct.unpack(">HII", body[2:12])
        ks = self._keystream(ssrc, self.roc << 16 | seq, len(body) - 12)
        return bytes(a ^ b for a, b in zip(body[12:], ks))


# ---- certificates and the CME ---------------------------------------------

def mk_cert(cn, key, issuer=None, issuer_key=None, ca=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = time.time()
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer.subject if issuer else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(datetime.datetime.utcfromtimestamp(now - 3600))
         .not_valid_after(datetime.datetime.utcfromtimestamp(now + 86400))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                        critical=True))
    return b.sign(issuer_key or key, hashes.SHA256())


def client_ctx(cert_path, key_path, null_only=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # test_sccp checks the server
    if null_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("eNULL:!aNULL:@SECLEVEL=0")
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def mic_cme(daemons, tmp_path, tel_lines, macs):
    """A CME whose certificate server enrolled its `cme` trustpoint,
    with a MIC root imported as trustpoint `mic` and TLS on port + 443;
    tel_lines follow `telephony-service` (its ip source-address and
    secure-signaling lines are added).  d.certs: mac -> (cert, key)
    files of a phone certificate SEP<mac> under the MIC root; d.ctxs:
    a TLS client context per mac, in order."""
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
             f" secure-signaling port {sp + 443}"] + list(tel_lines)
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
    d.certs, d.ctxs = {}, []
    for mac in macs:
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        c = mk_cert("SEP" + mac, k, root, root_key)
        cp, kp = tmp_path / f"{mac}.pem", tmp_path / f"{mac}.key"
        cp.write_bytes(c.public_bytes(serialization.Encoding.PEM))
        kp.write_bytes(k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()))
        d.certs[mac] = (cp, kp)
        d.ctxs.append(client_ctx(cp, kp))
    d.sp = sp
    d.tls_port = sp + 443
    return d


# ---- phones ---------------------------------------------------------------

class TlsPhone(Phone):
    """A raw phone over TLS (ctx given) or TCP (ctx None, mode none)
    with its own RTP socket; it records what it is given."""

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
        self.info_by_ref = {}    # call reference -> the last status
        self.smt_addr = None
        self.smt_plain = None    # the last StartMediaTransmission had no key
        self.orc_plain = None    # the last OpenReceiveChannel had no key
        super().__init__(port, mac, self.rtp.getsockname()[1])

    def _connect(self, port):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        return self.ctx.wrap_socket(raw) if self.ctx is not None else raw

    def note(self, mid, body):
        if mid == ORC:
            party = struct.unpack("<I", body[4:8])[0]
            alg, kl, sl = struct.unpack("<IHH", body[28:36])
            if alg == 0 and kl == 0:
                assert body[36:66] == bytes(30), "key bytes with alg 0"
                self.plain.append(("rx", party))
                self.orc_plain = True
            else:
                assert alg == 1 and kl == 16 and sl == 14, (alg, kl, sl)
                self.add_key("rx", body[36:52] + body[52:66], party)
                self.orc_plain = False
        elif mid == SMT:
            port = struct.unpack("<I", body[28:32])[0]
            ip = socket.inet_ntoa(body[12:16])
            self.smt_addr = (ip, port)
            # protocol 17 (spec 9.3): the key block at 60
            alg, kl, sl = struct.unpack("<IHH", body[60:68])
            party = struct.unpack("<I", body[4:8])[0]
            if alg == 0 and kl == 0:
                assert body[68:98] == bytes(30), "key bytes with alg 0"
                self.plain.append(("tx", party))
                self.smt_plain = True
            else:
                assert alg == 1 and kl == 16 and sl == 14, (alg, kl, sl)
                self.add_key("tx", body[68:84] + body[84:98], party)
                self.smt_plain = False
        elif mid == CALL_INFO:
            status = struct.unpack("<I", body[376:380])[0]
            ref = struct.unpack("<I", body[132:136])[0]
            self.info_security.append(status)
            self.info_by_ref[ref] = status
        super().note(mid, body)

    def add_key(self, kind, key_salt, party):
        self.keys.append((kind, key_salt, party))
        self.secrets.update(key_forms(key_salt))

    def all_keys(self):
        return {k for _, k, _ in self.keys}

    def key(self, kind):
        return [k for k in self.keys if k[0] == kind][-1][1]


# ---- the two-/three-phone encrypted CME -----------------------------------

def start_secure_cme(daemons, tmp_path, secrets, extra=()):
    """A CME with a certificate server, its enrolled signalling
    certificate, an imported MIC root and three encrypted-mode ephones
    (1001, 1002, 1003) whose raw TLS phones (tls_phones) present
    certificates under that root; extra: configuration lines appended
    (e.g. "ephone-dn 2", " call-forward noan 1003 timeout 2")."""
    tel = [" device-security-mode encrypted", " no auto-reg-ephone",
           " max-conferences 2",
           "ephone-dn 1", " number 1001", "ephone-dn 2", " number 1002",
           "ephone-dn 3", " number 1003"]
    for i, mac in enumerate(MACS, 1):
        tel += [f"ephone {i}", f" mac-address {dotted(mac)}",
                f" button 1:{i}"]
    d = mic_cme(daemons, tmp_path, tel + list(extra), MACS)
    d.secrets = secrets
    return d


@pytest.fixture
def secure_cme(daemons, tmp_path, secrets):
    return start_secure_cme(daemons, tmp_path, secrets)


def tls_phones(d, n=2):
    # Phone.__init__ connects through _connect
    return [TlsPhone(d.tls_port, mac, ctx, d.secrets)
            for mac, ctx in list(zip(MACS, d.ctxs))[:n]]


def drain(sock, quiet=0.0, limit=10000):
    """Forget the datagrams already queued on sock (bounded): music on
    hold that arrived before the stream a test checks.  quiet: also wait
    until nothing has come for that many seconds."""
    if quiet > 0:
        sock.settimeout(quiet)
    else:
        sock.setblocking(False)
    try:
        for _ in range(limit):
            sock.recvfrom(2048)
    except (BlockingIOError, socket.timeout):
        pass
    finally:
        sock.settimeout(2)


def exchange(a, b, seq0, n=5, direct=False):
    """a sends n protected packets of a pattern where its
    StartMediaTransmission said (the relay, or b itself); b decrypts
    what it gets to the pattern with its receive key, and each packet
    comes from where b expects it: its relay leg, or (direct:
    flow-around) a's own media socket.  What reached b before (music
    on hold of an earlier hold, stopped before this stream began) is
    dropped first."""
    tx = Srtp(a.key("tx"))
    rx = Srtp(b.key("rx"))
    pattern = bytes(range(160))
    drain(b.rtp)
    for i in range(n):
        a.rtp.sendto(tx.protect(seq0 + i, 160 * i, 0x1234, pattern),
                     a.smt_addr)
    got = 0
    for _ in range(n):
        pkt, src = b.rtp.recvfrom(2048)
        want = a.rtp.getsockname() if direct else b.smt_addr
        assert src == want, (src, want)
        assert rx.unprotect(pkt) == pattern
        got += 1
    return got
