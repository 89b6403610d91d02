"""`secure-signaling null-cipher` (extension): authenticated-mode phones
that only offer TLS NULL-encryption suites (integrity only) may register
when it is configured; without it their handshake fails; an
encrypted-mode phone over a NULL suite is refused with RegisterReject
"Encryption required"; phones that offer encryption still get it."""
import socket
import ssl
import struct

import pytest

from secure_fixture import client_ctx, dotted, mic_cme
from test_sccp import register_pdu

AUTH_MAC, ENC_MAC = "001122337701", "001122337702"


@pytest.fixture
def cme(daemons, tmp_path):
    return mic_cme(daemons, tmp_path, [
        " device-security-mode encrypted", " no auto-reg-ephone",
        "ephone 1", f" mac-address {dotted(AUTH_MAC)}",
        " device-security-mode authenticated",
        "ephone 2", f" mac-address {dotted(ENC_MAC)}"], (AUTH_MAC, ENC_MAC))


def connect(d, mac, null_only):
    ctx = client_ctx(*d.certs[mac], null_only=null_only)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
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
