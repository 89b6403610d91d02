"""`secure-signaling null-cipher` (extension): authenticated-mode phones
that only offer TLS NULL-encryption suites (integrity only) may register
when it is configured; without it their handshake fails; an
encrypted-mode phone over a NULL suite is refused with RegisterReject
"Encryption required"; phones that offer encryption still get it."""
import socket
import ssl
import struct
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pkiutil import free_port
from test_pki import enroll
from test_sccp import free_sccp_port, pdu, register_pdu, sccp_show, wait_for
from securecme import mk_cert

AUTH_MAC, ENC_MAC = "001122337701", "001122337702"


def dotted(m):
    return f"{m[:4]}.{m[4:8]}.{m[8:]}"


@pytest.fixture
def cme(daemons, tmp_path):
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
             "ephone 1", f" mac-address {dotted(AUTH_MAC)}",
             " device-security-mode authenticated",
             "ephone 2", f" mac-address {dotted(ENC_MAC)}"]
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
    d.tls_port = sp + 443
    d.certs = {}
    for mac in (AUTH_MAC, ENC_MAC):
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        c = mk_cert("SEP" + mac, k, root, root_key)
        cp, kp = tmp_path / f"{mac}.pem", tmp_path / f"{mac}.key"
        cp.write_bytes(c.public_bytes(serialization.Encoding.PEM))
        kp.write_bytes(k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()))
        d.certs[mac] = (cp, kp)
    return d


def connect(d, mac, null_only):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if null_only:
        ctx.set_ciphers("eNULL:!aNULL:@SECLEVEL=0")
    ctx.load_cert_chain(*d.certs[mac])
    raw = socket.create_connection(("127.0.0.1", d.tls_port), timeout=10)
    return ctx.wrap_socket(raw)


def register(s, mac):
    s.sendall(register_pdu("SEP" + mac, proto=17))
    h = b""
    while len(h) < 12:
        h += s.recv(12 - len(h))
    n = struct.unpack("<I", h[:4])[0]
    body = b""
    while len(body) < n - 4:
        body += s.recv(n - 4 - len(body))
    return struct.unpack("<I", h[8:12])[0], body


def test_null_cipher_only_when_configured(cme):
    # Not configured: a phone offering only NULL suites cannot connect.
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        s = connect(cme, AUTH_MAC, True)
        register(s, AUTH_MAC)
    cme.cli("configure terminal", "telephony-service",
            "secure-signaling null-cipher", "end", check=True)
    assert "secure-signaling null-cipher" in cme.running()
    # Authenticated mode over integrity-only TLS: registered.
    s = connect(cme, AUTH_MAC, True)
    assert s.cipher()[0].startswith(("NULL", "ECDHE-RSA-NULL",
                                     "AES")) and "NULL" in s.cipher()[0]
    mid, _ = register(s, AUTH_MAC)
    assert mid == 0x81, hex(mid)
    out = cme.cli("show sccp connections", check=True).stdout
    assert "NULL" in out, out
    # Encrypted mode over a NULL suite: refused.
    e = connect(cme, ENC_MAC, True)
    mid, body = register(e, ENC_MAC)
    assert mid == 0x9D and body.startswith(b"Encryption required"), body
    # A phone that offers encryption still gets it.
    e2 = connect(cme, ENC_MAC, False)
    assert "NULL" not in e2.cipher()[0]
    mid, _ = register(e2, ENC_MAC)
    assert mid == 0x81, hex(mid)
    assert "Encryption required" in cme.log_text()
    for x in (s, e, e2):
        x.close()
    # Removed again: NULL-only handshakes fail.
    cme.cli("configure terminal", "telephony-service",
            "no secure-signaling null-cipher", "end", check=True)
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        s = connect(cme, AUTH_MAC, True)
        register(s, AUTH_MAC)
