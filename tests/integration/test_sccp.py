"""Secure SCCP registration (issue 6, first slice): opencme-phone boots
the chapter's secure example (TFTP trust list, signed configuration,
CAPF for an LSC) and registers to a real opencmed: over TLS with its LSC
for the encrypted phones, over TCP for the one in mode none.  tshark
decodes the captured TCP session as Skinny, and the TLS sessions with
the phones' key log.  Refusals (no client certificate, another CA, a
revoked LSC, an LSC for another MAC, an encrypted phone on TCP, an
unknown MAC) and bad input (garbage, truncated and oversized PDUs, a
phone that vanishes) each close one session while the others go on."""
import datetime
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import BUILD
from pkiutil import free_port
from test_phone_boot import free_capf_port
from test_pki import enroll

PHONE = BUILD / "opencme-phone"
TPS = ("sast1", "sast2", "cme", "capf")

# The chapter's "Example for Configuring Unified CME for Secure
# Operation": three encrypted phones and one in mode none.
CHAPTER_PHONES = [(1, "00124302A7CC", "7970", "encrypted", "93621000",
                   "2851-PH1"),
                  (2, "001794CA9CCD", "7960", "encrypted", "93621001",
                   "2851-PH2"),
                  (3, "001794CA9833", "7960", "encrypted", "93621002",
                   "2851-PH3"),
                  (4, "001794CAA141", "7960", "none", "93621003",
                   "2851-PH4")]


def dotted(mac):
    return f"{mac[:4]}.{mac[4:8]}.{mac[8:]}"


def free_sccp_port():
    """A port P in 2000-9999 with P and P + 443 (the TLS port) free."""
    for _ in range(200):
        port = random.randint(2000, 9000)
        socks = []
        try:
            for p in (port, port + 443):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port pair")


def secure_config(hp, tp, cp, sp, phones, keepalive=10, extra_tel=(),
                  max_ephones=4):
    lines = ["hostname CME1", "ip http server", f"ip http port {hp}",
             "ip http source-address 127.0.0.1",
             f"tftp-server source-address 127.0.0.1 port {tp}",
             "crypto pki trustpoint myca", " revocation-check crl",
             "crypto pki server myca", " database level complete",
             " grant auto", " no shutdown"]
    for t in TPS:
        lines += [f"crypto pki trustpoint {t}",
                  f" enrollment url http://127.0.0.1:{hp}",
                  " revocation-check none", f" subject-name CN={t},O=Lab"]
    lines += ["telephony-service", f" max-ephones {max_ephones}",
              f" max-dn {max_ephones}",
              f" ip source-address 127.0.0.1 port {sp}",
              f" secure-signaling port {sp + 443}",
              " secure-signaling trustpoint cme", " cnf-file perphone",
              f" keepalive {keepalive}", " no auto-reg-ephone",
              " tftp-server-credentials trustpoint cme",
              " device-security-mode encrypted"]
    lines += [" " + l for l in extra_tel]
    lines += ["capf-server", " trustpoint-label capf",
              " cert-enroll-trustpoint myca password 0 secret1",
              " source-addr 127.0.0.1", f" port {cp}",
              " phone-key-size 1024", " auth-mode null-string",
              " cert-oper upgrade all"]
    for tag, mac, model, mode, number, name in phones:
        lines += [f"ephone-dn {tag}", f" number {number}", f" name {name}"]
    for tag, mac, model, mode, number, name in phones:
        lines += [f"ephone {tag}", " capf-ip-in-cnf",
                  f" device-security-mode {mode}",
                  f" mac-address {dotted(mac)}", f" type {model}",
                  f" button 1:{tag}"]
    return "\n".join(lines) + "\n"


def sccp_show(d):
    p = d.cli("show sccp connections", timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def make_secure_cme(daemons, phones=CHAPTER_PHONES, keepalive=10,
                    max_ephones=4):
    hp, tp, cp, sp = free_port(), free_port(), free_capf_port(), \
        free_sccp_port()
    d = daemons(secure_config(hp, tp, cp, sp, phones, keepalive,
                              max_ephones=max_ephones), name="cme")
    d.http_port, d.tftp_port, d.capf_port, d.sccp_port = hp, tp, cp, sp
    for t in TPS:
        enroll(d, t)
    p = d.cli("configure terminal", "ctl-client",
              "sast1 trustpoint sast1", "sast2 trustpoint sast2",
              "server cme 127.0.0.1 trustpoint cme",
              "server capf 127.0.0.1 trustpoint capf", "regenerate", "end")
    assert p.returncode == 0 and "published" in p.stdout, p.stdout
    for _ in range(100):
        out = sccp_show(d)
        if f"SCCP TLS: listening on 127.0.0.1 port {sp + 443}" in out:
            break
        time.sleep(0.1)
    else:
        pytest.fail("SCCP TLS not listening:\n" + out + d.log_text())
    return d


def phone_args(d, state, macs, *extra, model="7970", hold=0):
    args = [str(PHONE), "--tftp", f"127.0.0.1:{d.tftp_port}", "--state",
            str(state), "--report", "json", "--timeout", "20",
            "--model", model, "--hold-seconds", str(hold)]
    for m in macs:
        args += ["--mac", dotted(m)]
    return args + list(extra)


def run_phone(d, state, macs, *extra, model="7970", hold=0, timeout=120):
    p = subprocess.run(phone_args(d, state, macs, *extra, model=model,
                                  hold=hold),
                       capture_output=True, text=True, timeout=timeout)
    report = json.loads(p.stdout) if p.stdout.strip() else []
    return p, {r["mac"]: r for r in report}


def wait_for(pred, what, tries=200, delay=0.1):
    for _ in range(tries):
        v = pred()
        if v:
            return v
        time.sleep(delay)
    pytest.fail("timed out waiting for " + what)


def registered_rows(d):
    return [l for l in sccp_show(d).splitlines()
            if l.startswith("SEP") and l.rstrip().endswith("registered")]


# ---- 1. the chapter's secure example, with tshark -------------------------

def start_capture(tmp_path, ports, proto="tcp"):
    pcap = tmp_path / f"{proto}.pcapng"
    flt = " or ".join(f"{proto} port {p}" for p in ports)
    proc = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", flt, "-w",
                             str(pcap)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    # dumpcap creates the file once the capture runs.
    for _ in range(100):
        if pcap.exists() and pcap.stat().st_size > 0:
            return proc, pcap
        if proc.poll() is not None:
            pytest.skip("dumpcap cannot capture: " + proc.stderr.read())
        time.sleep(0.05)
    proc.kill()
    pytest.skip("dumpcap did not start")


def stop_capture(proc):
    time.sleep(0.5)  # the last segments
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)


def skinny_messages(pcap, sp, keylog):
    """(port of the CME side, message name) for every Skinny PDU."""
    p = subprocess.run(
        ["tshark", "-r", str(pcap), "-o", f"tls.keylog_file:{keylog}",
         "-d", f"tcp.port=={sp},skinny", "-d", f"tls.port=={sp + 443},skinny",
         "-Y", "skinny", "-T", "fields", "-E", "aggregator=,",
         "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "skinny.messageId"],
        capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = []
    for line in p.stdout.splitlines():
        src, dst, ids = line.split("\t")
        port = int(src) if int(src) in (sp, sp + 443) else int(dst)
        for i in ids.split(","):
            out.append((port, int(i, 0)))
    return out


@pytest.mark.skipif(shutil.which("tshark") is None or
                    shutil.which("dumpcap") is None,
                    reason="tshark/dumpcap not installed")
def test_chapter_secure_example_registers_over_tls_and_tcp(daemons,
                                                          tmp_path):
    d = make_secure_cme(daemons)
    sp = d.sccp_port
    state, keylog = tmp_path / "ph", tmp_path / "keys.log"
    cap, pcap = start_capture(tmp_path, (sp, sp + 443))
    # ephone 1 is a 7970, the others 7960s (chapter); two emulator runs
    # at once, each phone registered for 12 s (keepalive 10).
    runs = [subprocess.Popen(phone_args(d, state, [m for _, m, mo, *_ in
                                                   CHAPTER_PHONES
                                                   if mo == model],
                                        "--tls-keylog", str(keylog),
                                        model=model, hold=12),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
            for model in ("7970", "7960")]
    try:
        for _ in range(600):
            if len(registered_rows(d)) == 4 or \
                    any(r.poll() is not None for r in runs):
                break
            time.sleep(0.1)
        shown = d.cli("show ephone registered", check=True).stdout
        conns = sccp_show(d)
    finally:
        outs = [r.communicate(timeout=120) for r in runs]
        stop_capture(cap)
    assert len(registered_rows(d)) == 0
    assert conns.count(" registered") == 4, \
        conns + "".join(e for _, e in outs)
    rep = {}
    for r, (out, err) in zip(runs, outs):
        assert r.returncode == 0, err
        rep.update({x["mac"]: x for x in json.loads(out)})

    # The phones' reports.
    for tag, mac, model, mode, *_ in CHAPTER_PHONES:
        s = rep[mac]["sccp"]
        assert rep[mac]["ok"] is True, rep[mac]
        assert s["registered"] and s["unregistered"], s
        assert s["keepalive"] == 10 and s["keepalive_acks"] >= 1, s
        assert s["protocol"] == (17 if model == "7970" else 11), s
        if mode == "encrypted":
            assert s["transport"] == "TLS" and s["security_mode"] == 3, s
            assert s["tls_version"] == "TLSv1.2" and s["tls_cipher"], s
            assert rep[mac]["lsc"] is not None
        else:
            assert s["transport"] == "TCP" and s["security_mode"] == 1, s
            assert s["tls_version"] == ""

    # show ephone registered: the chapter's first line, for all four.
    blocks = [b for b in shown.split("\n\n") if b.strip()]
    assert len(blocks) == 4, shown
    for tag, mac, model, mode, number, name in CHAPTER_PHONES:
        b = [x for x in blocks if x.startswith(f"ephone-{tag}[")][0]
        first = b.splitlines()[0]
        ver = "20/17" if model == "7970" else "11/11"
        assert first.startswith(
            f"ephone-{tag}[{tag - 1}] Mac:{dotted(mac)} TCP socket:["), b
        assert f"REGISTERED in SCCP ver {ver} max_streams=5" in first, b
        if mode == "encrypted":
            assert first.endswith(
                "+ Authentication + Encryption with TLS connection"), b
        else:
            assert "TLS" not in first and "Authentication" not in first
        assert f" dn {tag} number {number} CH1 IDLE" in b, b
        assert f"IP:127.0.0.1 * " in b and f" {model} keepalive " in b, b
    # show sccp connections: device, transport, version, security.
    rows = {l.split()[0]: l.split() for l in conns.splitlines()
            if l.startswith("SEP")}
    for tag, mac, model, mode, *_ in CHAPTER_PHONES:
        r = rows["SEP" + mac]
        assert r[2] == ("TLS" if mode == "encrypted" else "TCP"), conns
        assert r[4] == mode and r[5] == "registered", conns
    assert "TLSv1.2" in conns
    # After --hold-seconds the phones unregistered.
    wait_for(lambda: not registered_rows(d), "unregistration")
    assert "4 unregistered" in sccp_show(d)

    # tshark: the TCP phone's session in clear, the TLS ones with the key
    # log; each side has RegisterReq (1) and RegisterAck (0x81), and the
    # registration ran to DefineTimeDate (0x94) and UnregisterAck.
    msgs = skinny_messages(pcap, sp, keylog)
    for port, n in ((sp, 1), (sp + 443, 3)):
        ids = [i for p_, i in msgs if p_ == port]
        for mid in (0x01, 0x81, 0x9B, 0x97, 0x94, 0x00, 0x100, 0x27,
                    0x118):
            assert ids.count(mid) >= n, (port, hex(mid), ids)
    # Without the key log, the TLS sessions are opaque.
    p = subprocess.run(["tshark", "-r", str(pcap), "-d",
                        f"tcp.port=={sp},skinny", "-d",
                        f"tls.port=={sp + 443},skinny", "-Y",
                        f"skinny && tcp.port == {sp + 443}"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "", p.stdout
    assert (keylog.stat().st_mode & 0o777) == 0o600


# ---- 2. refusals ----------------------------------------------------------

def mk_cert(cn, key, issuer=None, issuer_key=None, ca=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return (x509.CertificateBuilder().subject_name(name)
            .issuer_name(issuer.subject if issuer else name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                           critical=True)
            .sign(issuer_key or key, hashes.SHA256()))


def put_lsc(state, mac, cert_pem, key_pem):
    d = state / ("SEP" + mac)
    (d / "lsc.pem").write_bytes(cert_pem)
    (d / "lsc.key").write_bytes(key_pem)
    os.chmod(d / "lsc.key", 0o600)


def refused(p, rep, mac):
    assert p.returncode == 1, p.stderr
    r = rep[mac]
    assert r["ok"] is False and r["state"] == "register", r
    assert r["sccp"]["registered"] is False, r["sccp"]
    return r["sccp"]


def test_refusals(daemons, tmp_path):
    phones = CHAPTER_PHONES[:2]
    (_, MA, *_), (_, MB, *_) = phones
    d = make_secure_cme(daemons, phones)
    sp = d.sccp_port
    state = tmp_path / "ph"
    # Both phones get their LSC (and register once: the good case).
    p, rep = run_phone(d, state, [MA, MB])
    assert p.returncode == 0, p.stderr
    assert all(rep[m]["sccp"]["transport"] == "TLS" for m in (MA, MB))
    lsc_a, lsc_b = ([(state / ("SEP" + m) / f).read_bytes()
                     for f in ("lsc.pem", "lsc.key")] for m in (MA, MB))

    # No client certificate: the handshake fails.
    s = subprocess.run(["openssl", "s_client", "-connect",
                        f"127.0.0.1:{sp + 443}", "-tls1_2"],
                       input="", capture_output=True, text=True, timeout=30)
    assert s.returncode != 0, s.stdout + s.stderr
    assert "alert" in s.stderr.lower() or "error" in s.stderr.lower(), \
        s.stderr

    # A certificate from another CA, even with the right CN.
    other_key = rsa.generate_private_key(public_exponent=65537,
                                         key_size=2048)
    other = mk_cert("Other CA", other_key, ca=True)
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    c = mk_cert("SEP" + MB, k, other, other_key)
    put_lsc(state, MB, c.public_bytes(serialization.Encoding.PEM),
            k.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()))
    p, rep = run_phone(d, state, [MB], "--no-capf")
    assert "TLS handshake failed" in refused(p, rep, MB)["detail"]

    # An LSC for another MAC: TLS is fine, the name is not.
    put_lsc(state, MB, *lsc_a)
    p, rep = run_phone(d, state, [MB], "--no-capf")
    sc = refused(p, rep, MB)
    assert sc["reject"] == "Certificate mismatch", sc

    # An encrypted phone on plain TCP.
    p, rep = run_phone(d, state, [MA], "--no-capf", "--force-tcp")
    sc = refused(p, rep, MA)
    assert sc["transport"] == "TCP" and \
        sc["reject"] == "Secure device: use TLS", sc

    # A revoked LSC: phone A's LSC is re-issued (the old one revoked),
    # then the phone presents the old one.
    d.cli("configure terminal", "ephone 1",
          "cert-oper upgrade auth-mode LSC", "end", check=True)
    p, rep = run_phone(d, state, [MA], "--no-register")
    assert p.returncode == 0, p.stderr
    assert rep[MA]["capf"]["operation"] == "install"
    new_a = (state / ("SEP" + MA) / "lsc.pem").read_bytes()
    assert new_a != lsc_a[0]
    put_lsc(state, MA, *lsc_a)
    p, rep = run_phone(d, state, [MA], "--no-capf")
    assert "TLS handshake failed" in refused(p, rep, MA)["detail"]

    # The phone refuses a CME whose certificate is not the trust list's
    # CCM record (here the CAPF trustpoint's).
    put_lsc(state, MB, *lsc_b)
    d.config_lines("telephony-service", "secure-signaling trustpoint capf",
                   check=True)
    wait_for(lambda: "(trustpoint capf)" in sccp_show(d), "TLS with capf")
    p, rep = run_phone(d, state, [MB], "--no-capf")
    assert "matches no CCM record" in refused(p, rep, MB)["detail"]
    d.config_lines("telephony-service", "secure-signaling trustpoint cme",
                   check=True)
    wait_for(lambda: "(trustpoint cme)" in sccp_show(d), "TLS with cme")

    # An authenticated phone: TLS, shown without "+ Encryption".
    d.config_lines("ephone 2", "device-security-mode authenticated",
                   check=True)
    run = subprocess.Popen(phone_args(d, state, [MB], "--no-capf", hold=4),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        wait_for(lambda: registered_rows(d), "phone 2 registered")
        shown = d.cli("show ephone registered", check=True).stdout
        conns = sccp_show(d)
    finally:
        out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    sc = json.loads(out)[0]["sccp"]
    assert sc["transport"] == "TLS" and sc["security_mode"] == 2, sc
    first = shown.splitlines()[0]
    assert first.startswith("ephone-2[1] Mac:") and \
        first.endswith("max_streams=5 + Authentication with TLS connection"), \
        shown
    assert " authenticated " in conns, conns

    log = d.log_text()
    assert "RegisterReject \"Certificate mismatch\"" in log
    assert "RegisterReject \"Secure device: use TLS\"" in log
    assert "phone certificate" in log and "refused" in log
    out = sccp_show(d)
    assert "2 rejected" in out, out
    assert "TLS handshakes failed" in out and \
        "0 TLS handshakes failed" not in out, out
    assert not registered_rows(d)


# ---- 3. bad input over TCP (raw SCCP) -------------------------------------

def pdu(mid, body=b"", ver=0):
    return struct.pack("<III", 4 + len(body), ver, mid) + body


def register_pdu(name, proto=20, devtype=436):
    b = name.encode().ljust(16, b"\0") + struct.pack("<II", 0, 1)
    b += socket.inet_aton("127.0.0.1") + struct.pack("<III", devtype, 5, 0)
    b += bytes([proto, 0, 0x72, 0x85]) + struct.pack("<II", 0, 0)
    b += b"\0" * 12 + struct.pack("<II", 0, 2) + b"\0" * 20
    b += b"SCCP41.9-4-2SR3-1S".ljust(32, b"\0")
    return pdu(1, b)


class RawPhone:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)

    def send(self, data):
        self.s.sendall(data)

    def recv(self):
        h = self._exact(8)
        n = struct.unpack("<I", h[:4])[0]
        b = self._exact(n)
        return struct.unpack("<I", b[:4])[0], b[4:]

    def recv_until(self, want):
        """The next message with id want, skipping others (bounded)."""
        for _ in range(64):
            mid, body = self.recv()
            if mid == want:
                return body
        raise AssertionError(f"no message {want:#x}")

    def _exact(self, n):
        out = b""
        while len(out) < n:
            c = self.s.recv(n - len(out))
            if not c:
                raise EOFError
            out += c
        return out

    def closed(self):
        """True when the server closed the connection (within 10 s)."""
        try:
            while True:
                if not self.s.recv(4096):
                    return True
        except (ConnectionResetError, EOFError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def plain_config(sp, keepalive=10):
    return "\n".join([
        "hostname CME1", "telephony-service",
        f" ip source-address 127.0.0.1 port {sp}", f" keepalive {keepalive}",
        " no auto-reg-ephone", " max-ephones 2",
        "ephone-dn 1", " number 1001", " name Alice",
        "ephone-dn 2", " number 1002",
        "ephone-dn 3", " number 1003",
        "ephone 1", " mac-address 0011.2233.4401", " button 1:1",
        "ephone 2", " mac-address 0011.2233.4402", " button 1:2",
        "ephone 3", " mac-address 0011.2233.4403", " button 1:3",
        "ephone 4", " mac-address 0011.2233.4404",
        " device-security-mode encrypted", ""])


def raw_register(sp, name, proto=20):
    ph = RawPhone(sp)
    ph.send(register_pdu(name, proto))
    mid, body = ph.recv()
    return ph, mid, body


def test_bad_input_closes_only_that_session(daemons):
    sp = free_sccp_port()
    d = daemons(plain_config(sp), name="cme")
    wait_for(lambda: f"listening on 127.0.0.1 port {sp}" in sccp_show(d),
             "the TCP listener")
    good, mid, body = raw_register(sp, "SEP001122334401")
    assert mid == 0x81, hex(mid)
    assert struct.unpack("<I", body[:4])[0] == 10  # keepalive
    assert body[16] == 17  # 20 offered, 17 used
    assert good.recv()[0] == 0x9B  # CapabilitiesReq

    bad = [b"GET / HTTP/1.0\r\n\r\n",               # not SCCP at all
           struct.pack("<II", 2, 0),                 # length below 4
           struct.pack("<III", 5000, 0, 1),          # oversized
           struct.pack("<III", 4, 0x99, 0),          # bad header version
           pdu(1, b"SEP0011"),                       # truncated Register
           struct.pack("<III", 200, 0, 1) + b"x" * 10]  # length past end
    for i, data in enumerate(bad):
        ph = RawPhone(sp)
        ph.send(data)
        if i == len(bad) - 1:
            ph.s.shutdown(socket.SHUT_WR)  # then the phone vanishes
        assert ph.closed(), data
        ph.close()
    # Unknown ids and call control are read and ignored.
    good.send(pdu(0x7777, b"\0" * 40) + pdu(0x0006) + pdu(0x0000))
    good.recv_until(0x100)
    out = sccp_show(d)
    assert "SEP001122334401" in out and " registered" in out, out
    assert "5 malformed" in out, out  # 4 framing errors + 1 body

    # Refusals over TCP: unknown MAC (auto-reg off), secure phone,
    # max-ephones 2 (two registered already).
    for name, text in (("SEP0011223344FF", "Unknown device"),
                       ("SEP001122334404", "Secure device: use TLS")):
        ph, mid, body = raw_register(sp, name)
        assert mid == 0x9D and body.rstrip(b"\0").decode() == text
        assert ph.closed()
    second, mid, _ = raw_register(sp, "SEP001122334402")
    assert mid == 0x81
    ph, mid, body = raw_register(sp, "SEP001122334403")
    assert mid == 0x9D and b"Max ephones" in body

    # The first phone is still registered and answered.
    good.send(pdu(0x0000))
    good.recv_until(0x100)
    assert "ephone-1[0] Mac:0011.2233.4401" in d.cli(
        "show ephone registered", check=True).stdout
    log = d.log_text()
    assert "bad framing" in log and "malformed message" in log

    # Unregister: UnregisterAck, then the connection closes.
    second.send(pdu(0x27))
    assert second.recv_until(0x118) == b"\0\0\0\0"
    assert second.closed()
    # With auto-reg-ephone on, an unknown MAC registers (no lines).
    d.config_lines("telephony-service", "auto-reg-ephone", check=True)
    auto, mid, _ = raw_register(sp, "SEP0011223344FE")
    assert mid == 0x81
    auto.send(pdu(0x0E))
    body = auto.recv_until(0x97)
    assert struct.unpack("<I", body[4:8])[0] == 0  # no buttons
    assert "SEP0011223344FE" in sccp_show(d)
    for ph in (good, second, auto):
        ph.close()


def test_vanished_phone_is_dropped_after_keepalive_timeout(daemons):
    """keepalive 10: a phone silent for 2.5 intervals (25 s) is dropped,
    a connection that never registers after 30 s; one that keeps alive
    stays."""
    sp = free_sccp_port()
    d = daemons(plain_config(sp), name="cme")
    wait_for(lambda: f"listening on 127.0.0.1 port {sp}" in sccp_show(d),
             "the TCP listener")
    silent, mid, _ = raw_register(sp, "SEP001122334401")
    alive, mid2, _ = raw_register(sp, "SEP001122334402")
    assert mid == mid2 == 0x81
    mute = RawPhone(sp)  # connects, never registers (30 s deadline)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 40:
        alive.send(pdu(0x0000))
        if "SEP001122334401" not in sccp_show(d):
            break
        time.sleep(3)
    took = time.monotonic() - t0
    assert 20 <= took < 40, took
    assert silent.closed()
    assert "SEP001122334402" in sccp_show(d)
    assert "no keepalive for 25 s" in d.log_text()
    assert mute.closed()  # within 10 s more
    assert 28 <= time.monotonic() - t0 < 45
    assert "no Register in time" in d.log_text()
    assert "SEP001122334402" in sccp_show(d)
    for ph in (silent, alive, mute):
        ph.close()


# ---- 4. a MIC instead of an LSC -------------------------------------------

def test_mic_under_an_imported_root_registers_over_tls(daemons, tmp_path):
    from test_capf_e2e import mic_pair, mk_cert as mk_mic_cert
    phones = CHAPTER_PHONES[:2]
    (_, MA, *_), (_, MB, *_) = phones
    d = make_secure_cme(daemons, phones)
    root_key = rsa.generate_private_key(public_exponent=65537,
                                        key_size=2048)
    root = mk_mic_cert("Test MIC Root CA", root_key, ca=True)
    pem = root.public_bytes(serialization.Encoding.PEM).decode().strip()
    p = d.cli(stdin=("configure terminal\ncrypto pki trustpoint microot\n"
                     " enrollment terminal\n revocation-check none\n exit\n"
                     f"crypto pki authenticate microot\n{pem}\nquit\nyes\n"
                     "end\n"))
    assert "% Certificate successfully imported" in p.stdout, p.stdout
    good_c, good_k = mic_pair(tmp_path, "good", MA, root, root_key)
    state = tmp_path / "ph"
    # No CAPF: the phone has only its MIC.
    p, rep = run_phone(d, state, [MA], "--no-capf", "--mic-cert",
                       str(good_c), "--mic-key", str(good_k))
    assert p.returncode == 0, p.stderr
    sc = rep[MA]["sccp"]
    assert rep[MA]["lsc"] is None
    assert sc["registered"] and sc["transport"] == "TLS", sc
    # A MIC of an unknown manufacturer root is refused at the handshake.
    other_key = rsa.generate_private_key(public_exponent=65537,
                                         key_size=2048)
    other = mk_mic_cert("Unknown MIC Root CA", other_key, ca=True)
    bad_c, bad_k = mic_pair(tmp_path, "bad", MB, other, other_key)
    p, rep = run_phone(d, state, [MB], "--no-capf", "--mic-cert",
                       str(bad_c), "--mic-key", str(bad_k))
    assert "TLS handshake failed" in refused(p, rep, MB)["detail"]


# ---- 5. a hundred secure phones at once -----------------------------------

def test_hundred_phones_register_over_tls_at_once(daemons, tmp_path):
    n = 100
    macs = [f"0011220{i:05X}" for i in range(1, n + 1)]
    phones = [(i + 1, m, "7965", "encrypted", f"{5000 + i}", f"P{i}")
              for i, m in enumerate(macs)]
    d = make_secure_cme(daemons, phones, max_ephones=n)
    run = subprocess.Popen(phone_args(d, tmp_path / "ph", [macs[0]],
                                      "--count", str(n), model="7965",
                                      hold=15),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        for _ in range(1200):
            if len(registered_rows(d)) == n or run.poll() is not None:
                break
            time.sleep(0.1)
        rows = registered_rows(d)
        registered = d.cli("show ephone registered", check=True).stdout
    finally:
        out, err = run.communicate(timeout=300)
    assert len(rows) == n, "\n".join(err.splitlines()[-20:])
    assert all(r.split()[2] == "TLS" and r.split()[4] == "encrypted"
               for r in rows)
    assert registered.count("REGISTERED in SCCP ver 20/17") == n
    assert run.returncode == 0, err[-4000:]
    rep = json.loads(out)
    assert sorted(r["mac"] for r in rep) == macs
    assert all(r["sccp"]["registered"] and r["sccp"]["unregistered"]
               for r in rep)
    wait_for(lambda: not registered_rows(d), "unregistration")


# ---- 6. stalled TLS handshakes and a register flood -----------------------

def client_hello():
    """The first flight of a real TLS client, to be sent half."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, outg)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outg.read()


def test_stalled_handshakes_and_register_flood_leave_others_alone(
        daemons, tmp_path):
    """Connections to the TLS port that send nothing or half a
    ClientHello are closed at the 30 s deadline and counted; 300
    Registers of unknown phones in a burst are refused one by one; a
    secure phone registered before keeps its registration and its
    keepalives throughout, and show answers."""
    (_, MA, *_), = phones = CHAPTER_PHONES[:1]
    d = make_secure_cme(daemons, phones)
    sp, tls = d.sccp_port, d.sccp_port + 443
    run = subprocess.Popen(phone_args(d, tmp_path / "ph", [MA], hold=45),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        wait_for(lambda: len(registered_rows(d)) == 1, "the secure phone",
                 tries=600)
        hello = client_hello()
        assert len(hello) > 100
        stalled = []
        for i in range(20):
            s = socket.create_connection(("127.0.0.1", tls), timeout=45)
            if i % 2:
                s.sendall(hello[:len(hello) // 2])
            stalled.append(s)
        t0 = time.monotonic()
        refused = 0
        for i in range(300):
            ph = RawPhone(sp)
            ph.send(register_pdu(f"SEP0011AA{i:06X}"))
            mid, body = ph.recv()
            if mid == 0x9D and body.rstrip(b"\0") == b"Unknown device":
                refused += 1
            ph.close()
        assert refused == 300
        out = sccp_show(d)
        assert "300 rejected" in out, out
        for s in stalled:
            s.settimeout(45 - (time.monotonic() - t0))
            try:
                assert s.recv(4096) == b""
            except ConnectionResetError:
                pass
            s.close()
        took = time.monotonic() - t0
        assert took < 40, took
        out = sccp_show(d)
        assert "20 timed out" in out, out
        assert len(registered_rows(d)) == 1, out
        log = d.log_text()
        assert log.count("SCCP TLS handshake with 127.0.0.1:") >= 20
        assert "timed out" in log
    finally:
        out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err[-3000:]
    rep = {r["mac"]: r for r in json.loads(out)}
    sc = rep[MA]["sccp"]
    assert sc["registered"] and sc["unregistered"], sc
    # One registration for the whole run: never dropped, never again.
    out = sccp_show(d)
    assert "Registrations: 1 accepted, 300 rejected, 1 unregistered" \
        in out, out
