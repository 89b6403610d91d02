"""The CAPF server from the outside: a small phone-side CAPF client
written here from formats.md section 5 (ssl + struct, independent of the
C codec) installs, fetches and deletes LSCs against a daemon with a local
CA and an enrolled `capf` trustpoint."""
import random
import socket
import ssl
import struct
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pkiutil import ca_config, chain_ders, write_pem
from test_pki import enroll

MAC1, MAC2, MAC3 = "001122334401", "001122334402", "001122334403"


def capf_port():
    """A free port in capf-server's range (2000-9999)."""
    for _ in range(200):
        p = random.randint(4000, 9999)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


def elem(tag, value):
    return struct.pack(">BH", tag, len(value)) + value


def msg(cmd, sid, *elems):
    body = b"".join(elems)
    return struct.pack(">BBIH", 0x55, cmd, sid, len(body)) + body


def parse(data):
    proto, cmd, sid, plen = struct.unpack(">BBIH", data[:8])
    assert proto == 0x55
    els, off = {}, 8
    while off < 8 + plen:
        tag, ln = struct.unpack(">BH", data[off:off + 3])
        els[tag] = data[off + 3:off + 3 + ln]
        off += 3 + ln
    return cmd, sid, els


class Phone:
    def __init__(self, port, mac):
        self.device = "SEP" + mac
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s = ctx.wrap_socket(raw)
        self.sid = None

    def read_exact(self, n):
        b = b""
        while len(b) < n:
            chunk = self.s.recv(n - len(b))
            if not chunk:
                raise EOFError
            b += chunk
        return b

    def recv(self):
        hdr = self.read_exact(8)
        plen = struct.unpack(">H", hdr[6:8])[0]
        cmd, sid, els = parse(hdr + self.read_exact(plen))
        return cmd, sid, els

    def send(self, cmd, *elems):
        self.s.sendall(msg(cmd, self.sid, *elems))

    def auth(self, password=b""):
        cmd, sid, els = self.recv()
        assert cmd == 1 and els[7] == b"\x03"
        self.sid = sid
        self.send(2, elem(1, b"\x01"), elem(7, b"\x03"),
                  elem(11, password + b"\x00"),
                  elem(13, self.device.encode() + b"\x00"))
        return self.recv()

    def close(self):
        self.s.close()


def end_reason(reply):
    cmd, _, els = reply
    assert cmd == 15, reply
    return els[1][0]


def capf_block(port, auth="null-string"):
    return ["capf-server", " trustpoint-label capf",
            " cert-enroll-trustpoint myca password 0 secret1",
            " source-addr 127.0.0.1", f" port {port}",
            " phone-key-size 2048", f" auth-mode {auth}"]


@pytest.fixture
def capf(daemons):
    from pkiutil import free_port
    hp, cp = free_port(), capf_port()
    cfg = ca_config(hp, trustpoints=("capf",)) + "\n".join(
        capf_block(cp) + [
            "ephone 1", f" mac-address {MAC1[:4]}.{MAC1[4:8]}.{MAC1[8:]}",
            " cert-oper upgrade auth-mode null-string",
            "ephone 2", f" mac-address {MAC2[:4]}.{MAC2[4:8]}.{MAC2[8:]}",
            " capf-auth-str 123456",
            " cert-oper upgrade auth-mode auth-string",
            "ephone 3", f" mac-address {MAC3[:4]}.{MAC3[4:8]}.{MAC3[8:]}",
        ]) + "\n"
    d = daemons(cfg, name="capf")
    enroll(d, "capf")
    d.capf_port = cp
    for _ in range(50):
        if "listening on 127.0.0.1" in d.cli(
                "show capf-server certificate").stdout:
            break
        time.sleep(0.1)
    return d


def upgrade(d, mac, password=b""):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ph = Phone(d.capf_port, mac)
    cmd, _, els = ph.auth(password)
    if cmd == 15:
        ph.close()
        return els[1][0], None
    assert cmd == 3, cmd
    assert struct.unpack(">H", els[10])[0] == 2048 and els[17] == b"\x00"
    ph.send(17)                                     # REQUEST_IN_PROGRESS
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    ph.send(4, elem(9, spki))
    cmd, _, els = ph.recv()
    assert cmd == 9 and els[3] == b"\x01"
    der = els[4][5:]
    ph.send(10, elem(1, b"\x01"))
    reason = end_reason(ph.recv())
    ph.close()
    return reason, der


def ca_cert(d):
    return [c for c in chain_ders(d.running(), "capf") if c[0]][0][2]


def test_null_string_upgrade_issues_a_verifiable_lsc(capf, tmp_path):
    reason, der = upgrade(capf, MAC1)
    assert reason == 1
    cert = x509.load_der_x509_certificate(der)
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    assert cn[0].value == "SEP" + MAC1
    write_pem(tmp_path / "ca.pem", ca_cert(capf))
    write_pem(tmp_path / "lsc.pem", der)
    v = subprocess.run(["openssl", "verify", "-CAfile", tmp_path / "ca.pem",
                        tmp_path / "lsc.pem"], capture_output=True,
                       text=True)
    assert v.returncode == 0, v.stderr
    # The pending operation is cleared: next time there is nothing to do.
    assert "cert-oper" not in capf.running().split("ephone  1")[1].split(
        "ephone  2")[0]
    ph = Phone(capf.capf_port, MAC1)
    assert end_reason(ph.auth()) == 0
    ph.close()
    out = capf.cli("show capf-server certificate 0011.2233.4401").stdout
    assert "SEP" + MAC1 in out and "yes" in out and "success" in out


def test_auth_string_right_once_then_refused(capf):
    reason, _ = upgrade(capf, MAC2, b"000000")
    assert reason == 7                               # wrong string
    assert "000000" not in capf.log_text()
    reason, der = upgrade(capf, MAC2, b"123456")
    assert reason == 1 and der
    assert "capf-auth-str" not in capf.running()
    # Schedule again: the used string no longer works.
    capf.cli("configure terminal", "ephone 2",
             "cert-oper upgrade auth-mode auth-string", "end", check=True)
    reason, _ = upgrade(capf, MAC2, b"123456")
    assert reason == 7
    assert "123456" not in capf.log_text()


def test_unknown_device_and_nothing_to_do(capf):
    ph = Phone(capf.capf_port, "AABBCCDDEEFF")
    assert end_reason(ph.auth()) == 9
    ph.close()
    ph = Phone(capf.capf_port, MAC3)
    assert end_reason(ph.auth()) == 0
    ph.close()


def test_fetch_and_delete(capf):
    reason, der = upgrade(capf, MAC1)
    assert reason == 1
    capf.cli("configure terminal", "ephone 3",
             "cert-oper fetch auth-mode null-string", "end", check=True)
    ph = Phone(capf.capf_port, MAC3)
    cmd, _, _ = ph.auth()
    assert cmd == 11                                 # FETCH request
    ph.send(12, elem(1, b"\x01"),
            elem(4, b"\x01" + struct.pack(">H", len(der) + 2) + b"\x00\x01"
                 + der))
    assert end_reason(ph.recv()) == 0
    ph.close()
    out = capf.cli("show capf-server certificate 0011.2233.4403").stdout
    assert "yes" in out and "fetch" in out
    capf.cli("configure terminal", "ephone 3",
             "cert-oper delete auth-mode null-string", "end", check=True)
    ph = Phone(capf.capf_port, MAC3)
    cmd, _, _ = ph.auth()
    assert cmd == 13                                 # DELETE request
    ph.send(14, elem(1, b"\x01"))
    assert end_reason(ph.recv()) == 1
    ph.close()
    out = capf.cli("show capf-server certificate 0011.2233.4403").stdout
    assert " no " in out and "delete" in out


def test_garbage_and_wrong_session_id_end_with_7(capf):
    ph = Phone(capf.capf_port, MAC1)
    cmd, sid, _ = ph.recv()
    ph.s.sendall(b"\x42" * 16)
    assert end_reason(ph.recv()) == 7
    ph.close()
    ph = Phone(capf.capf_port, MAC1)
    cmd, sid, _ = ph.recv()
    ph.sid = sid + 1
    ph.send(2, elem(1, b"\x01"), elem(7, b"\x03"), elem(11, b"\x00"),
            elem(13, ph.device.encode() + b"\x00"))
    assert end_reason(ph.recv()) == 7
    ph.close()
    # The server still serves other sessions.
    reason, _ = upgrade(capf, MAC1)
    assert reason == 1
