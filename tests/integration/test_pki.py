"""The certificate server and SCEP, from the outside: our own trustpoints
enrolled over HTTP/SCEP on loopback, the micromdm `scepclient`, manual
grant, revocation and the CRL, crash safety of serial numbers, bad
SCEP input."""
import datetime
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from pkiutil import (ca_config, chain_ders, free_port, write_pem, x509_field,
                     x509_text)

SCEP = "/cgi-bin/pkiclient.exe"


def http(port, query, data=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{SCEP}?{query}",
                                 data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, None, e.read()
    except urllib.error.URLError:
        return 0, None, b""      # the server closed the connection


def enroll(d, tp="cme"):
    p = d.cli("configure terminal", f"crypto pki authenticate {tp}",
              f"crypto pki enroll {tp}", "end", stdin="yes\nyes\n")
    assert p.returncode == 0, p.stdout
    assert "% Certificate received from Certificate Authority" in p.stdout
    return p


def parse_date(s):
    return datetime.datetime.strptime(s.split("=", 1)[1],
                                      "%b %d %H:%M:%S %Y %Z")


def validity_days(der):
    nb = parse_date(x509_field(der, "-startdate"))
    na = parse_date(x509_field(der, "-enddate"))
    return (na - nb).total_seconds() / 86400


@pytest.fixture
def ca(daemons):
    port = free_port()
    d = daemons(ca_config(port, extra_server=" lifetime certificate 200"),
                name="ca")
    d.port = port
    return d


def test_trustpoint_enrolls_against_our_ca_and_verifies(ca, tmp_path):
    enroll(ca)
    certs = chain_ders(ca.running(), "cme")
    ident = [c for c in certs if not c[0]]
    cacert = [c for c in certs if c[0]]
    assert len(ident) == 1 and len(cacert) == 1
    write_pem(tmp_path / "ca.pem", cacert[0][2])
    write_pem(tmp_path / "leaf.pem", ident[0][2])
    v = subprocess.run(["openssl", "verify", "-CAfile", tmp_path / "ca.pem",
                        tmp_path / "leaf.pem"], capture_output=True,
                       text=True)
    assert v.returncode == 0, v.stderr
    assert "CN = CME1" in x509_field(ident[0][2], "-subject")
    assert round(validity_days(ident[0][2])) == 200
    # The CA certificate profile.
    text = x509_text(cacert[0][2])
    assert re.search(r"Basic Constraints: critical\n\s+CA:TRUE", text)
    assert "Digital Signature, Certificate Sign, CRL Sign" in text
    assert "sha256WithRSAEncryption" in text
    # The key pair is private and the chain survives a save and reload.
    keyfiles = list((ca.state / "nvram" / "keys").iterdir())
    assert keyfiles
    for k in keyfiles:
        assert oct(os.stat(k).st_mode & 0o777) == "0o600"
    ca.cli("write memory", check=True)
    assert "crypto pki certificate chain cme" in ca.config.read_text()
    # database url (default nvram:) holds the CRL and, at level complete,
    # each issued certificate.
    crl = ca.state / "nvram" / "myca.crl"
    cer = ca.state / "nvram" / f"{int(ident[0][1], 16):X}.cer"
    assert crl.exists() and cer.exists()
    assert cer.read_bytes() == ident[0][2]
    subprocess.run(["openssl", "crl", "-inform", "DER", "-in", crl,
                    "-noout"], check=True)


def test_certificate_lifetime_is_capped_by_the_ca(daemons):
    port = free_port()
    d = daemons(ca_config(port, extra_server=(
        " lifetime ca-certificate 100\n lifetime certificate 1825")),
        name="cap")
    enroll(d)
    certs = chain_ders(d.running(), "cme")
    ident = [c for c in certs if not c[0]][0][2]
    cacert = [c for c in certs if c[0]][0][2]
    ca_after = parse_date(x509_field(cacert, "-enddate"))
    leaf_after = parse_date(x509_field(ident, "-enddate"))
    assert (ca_after - leaf_after).days >= 30
    assert round(validity_days(cacert)) == 100


def test_show_crypto_pki_server(ca):
    enroll(ca)
    out = ca.cli("show crypto pki server", check=True).stdout
    assert "Certificate Server myca:" in out
    assert "Status: enabled" in out
    assert "Granting mode is: auto" in out
    assert "Last certificate issued serial number (hex): 2" in out
    st = ca.cli("show crypto pki trustpoint status", check=True).stdout
    assert "Trustpoint cme:" in st
    assert "Keys generated ............. Yes" in st


def test_scepclient_enrolls_and_certificate_verifies(ca, tmp_path):
    status, ctype, der = http(ca.port, "operation=GetCACert")
    assert status == 200 and ctype == "application/x-x509-ca-cert"
    write_pem(tmp_path / "ca.pem", der)
    p = subprocess.run(
        ["scepclient", "-server-url", f"http://127.0.0.1:{ca.port}{SCEP}",
         "-challenge", "x", "-private-key", str(tmp_path / "key.pem"),
         "-certificate", str(tmp_path / "cert.pem"),
         "-cn", "SEP001122334455", "-organization", "Lab"],
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    v = subprocess.run(["openssl", "verify", "-CAfile", tmp_path / "ca.pem",
                        tmp_path / "cert.pem"], capture_output=True, text=True)
    assert v.returncode == 0, v.stderr


def test_manual_grant_with_scepclient(daemons, tmp_path):
    port = free_port()
    d = daemons(ca_config(port, grant_auto=False), name="manual")
    client = subprocess.Popen(
        ["scepclient", "-server-url", f"http://127.0.0.1:{port}{SCEP}",
         "-challenge", "x", "-private-key", str(tmp_path / "key.pem"),
         "-certificate", str(tmp_path / "cert.pem"), "-cn", "SEP00AABBCC0001"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):      # the client makes a key first
            out = d.cli("crypto pki server myca info requests").stdout
            if "pending" in out:
                break
            time.sleep(0.1)
        assert re.search(r"^1\s+pending\s+[0-9A-F]{32} .*CN=SEP00AABBCC0001",
                         out, re.M), out
        assert not (tmp_path / "cert.pem").exists()
        d.cli("crypto pki server myca grant 1", check=True)
        # micromdm's client polls every 30 seconds.
        out, _ = client.communicate(timeout=90)
    finally:
        client.kill()
    assert client.returncode == 0, out
    assert (tmp_path / "cert.pem").exists()
    assert "issued" in d.cli("crypto pki server myca info requests").stdout


def test_rejected_request_fails_the_client(daemons, tmp_path):
    port = free_port()
    d = daemons(ca_config(port, grant_auto=False), name="reject")
    client = subprocess.Popen(
        ["scepclient", "-server-url", f"http://127.0.0.1:{port}{SCEP}",
         "-challenge", "x", "-private-key", str(tmp_path / "key.pem"),
         "-certificate", str(tmp_path / "cert.pem"), "-cn", "SEP00AABBCC0002"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):
            if "pending" in d.cli("crypto pki server myca info "
                                  "requests").stdout:
                break
            time.sleep(0.1)
        d.cli("crypto pki server myca reject all", check=True)
        out, _ = client.communicate(timeout=90)
    finally:
        client.kill()
    assert client.returncode != 0
    assert not (tmp_path / "cert.pem").exists()


def test_revoked_serial_is_in_the_crl_and_fails_verification(ca, tmp_path):
    enroll(ca)
    certs = chain_ders(ca.running(), "cme")
    ident = [c for c in certs if not c[0]][0]
    cacert = [c for c in certs if c[0]][0]
    ca.cli(f"crypto pki server myca revoke {ident[1]}", check=True)
    status, _, crl = http(ca.port, "operation=GetCRL")
    assert status == 200
    (tmp_path / "crl.der").write_bytes(crl)
    write_pem(tmp_path / "ca.pem", cacert[2])
    write_pem(tmp_path / "leaf.pem", ident[2])
    text = subprocess.run(["openssl", "crl", "-inform", "DER", "-in",
                           tmp_path / "crl.der", "-noout", "-text",
                           "-CAfile", tmp_path / "ca.pem"],
                          capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    assert "verify OK" in text.stderr
    assert f"Serial Number: {ident[1].lstrip('0') or '0'}" in text.stdout \
        or f"Serial Number: {ident[1]}" in text.stdout
    subprocess.run(["openssl", "crl", "-inform", "DER", "-in",
                    tmp_path / "crl.der", "-out", tmp_path / "crl.pem"],
                   check=True)
    v = subprocess.run(["openssl", "verify", "-crl_check", "-CAfile",
                        tmp_path / "ca.pem", "-CRLfile", tmp_path / "crl.pem",
                        tmp_path / "leaf.pem"], capture_output=True,
                       text=True)
    assert v.returncode != 0
    assert "certificate revoked" in v.stdout + v.stderr


def test_serials_never_reused_after_kill_9(daemons, tmp_path):
    port = free_port()
    d = daemons(ca_config(port), name="crash")
    clients = []
    for i in range(6):
        cdir = tmp_path / f"c{i}"
        cdir.mkdir()
        clients.append((cdir, subprocess.Popen(
            ["scepclient", "-server-url", f"http://127.0.0.1:{port}{SCEP}",
             "-challenge", "x", "-private-key", str(cdir / "key.pem"),
             "-certificate", str(cdir / "cert.pem"), "-cn", f"SEPBURST{i:04}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    time.sleep(0.3)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    for _, c in clients:
        c.wait(timeout=60)
    serials = set()
    for cdir, _ in clients:
        if (cdir / "cert.pem").exists():
            s = subprocess.run(["openssl", "x509", "-in", cdir / "cert.pem",
                                "-noout", "-serial"], capture_output=True,
                               text=True, check=True).stdout
            serials.add(int(s.strip().split("=")[1], 16))
    d._logf.close()
    d.proc = None
    d.start()
    for i in range(3):
        cdir = tmp_path / f"after{i}"
        cdir.mkdir()
        p = subprocess.run(
            ["scepclient", "-server-url", f"http://127.0.0.1:{port}{SCEP}",
             "-challenge", "x", "-private-key", str(cdir / "key.pem"),
             "-certificate", str(cdir / "cert.pem"), "-cn",
             f"SEPAFTER{i:04}"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        s = subprocess.run(["openssl", "x509", "-in", cdir / "cert.pem",
                            "-noout", "-serial"], capture_output=True,
                           text=True, check=True).stdout
        serial = int(s.strip().split("=")[1], 16)
        assert serial not in serials
        assert all(serial > old for old in serials)
        serials.add(serial)


def test_bad_scep_input_is_refused_and_server_keeps_serving(ca):
    assert http(ca.port, "operation=PKIOperation&message=%%%%")[0] == 400
    assert http(ca.port, "operation=PKIOperation&message=AAAA")[0] == 400
    assert http(ca.port, "operation=PKIOperation", data=b"\x30\x82\xff")[0] \
        == 400
    assert http(ca.port, "operation=PKIOperation",
                data=os.urandom(4096))[0] == 400
    assert http(ca.port, "operation=PKIOperation",
                data=b"\x30" * (2 * 1024 * 1024))[0] in (0, 400, 413)
    assert http(ca.port, "operation=Bogus")[0] == 400
    assert http(ca.port, "")[0] == 400
    # Still serving.
    status, _, caps = http(ca.port, "operation=GetCACaps")
    assert status == 200 and b"POSTPKIOperation" in caps
    enroll(ca)


def test_ra_in_front_of_issuing_ca(daemons):
    ca_port, ra_port = free_port(), free_port()
    ca = daemons(ca_config(ca_port), name="issuing")
    ra = daemons(
        "hostname RA1\nip http server\n"
        f"ip http port {ra_port}\nip http source-address 127.0.0.1\n"
        "crypto pki trustpoint ra12\n"
        f" enrollment url http://127.0.0.1:{ca_port}\n"
        " revocation-check none\n"
        "crypto pki server ra12\n mode ra\n grant auto\n no shutdown\n"
        "crypto pki trustpoint phone1\n"
        f" enrollment url http://127.0.0.1:{ra_port}\n"
        " revocation-check none\n", name="ra")
    # Before its own certificate the RA cannot serve.
    out = ra.cli("show crypto pki server", check=True).stdout
    assert "Status: disabled" in out
    enroll(ra, "ra12")
    out = ra.cli("show crypto pki server", check=True).stdout
    assert "Mode: RA" in out and "Status: enabled" in out
    # A request through the RA is issued by the CA.
    p = ra.cli("configure terminal", "crypto pki authenticate phone1",
               "crypto pki enroll phone1", "end", stdin="yes\nyes\n",
               timeout=60)
    assert p.returncode == 0, p.stdout
    for _ in range(100):
        certs = chain_ders(ra.running(), "phone1") \
            if "chain phone1" in ra.running() else []
        if any(not c[0] for c in certs):
            break
        time.sleep(0.2)
    ident = [c for c in certs if not c[0]]
    cacert = [c for c in chain_ders(ca.running(), "myca") if c[0]][0]
    assert ident, ra.running()
    assert x509_field(ident[0][2], "-issuer").split("=", 1)[1] == \
        x509_field(cacert[2], "-subject").split("=", 1)[1]
    assert "RA1" in x509_field(ident[0][2], "-subject")
    assert re.search(r"issued", ra.cli("crypto pki server ra12 info "
                                       "requests").stdout)
    assert "issued" in ca.cli("crypto pki server myca info requests").stdout


def scep_client_cert(port, tmp_path, name):
    cdir = tmp_path / name
    cdir.mkdir()
    p = subprocess.run(
        ["scepclient", "-server-url", f"http://127.0.0.1:{port}{SCEP}",
         "-challenge", "x", "-private-key", str(cdir / "key.pem"),
         "-certificate", str(cdir / "cert.pem"), "-cn", name],
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    serial = subprocess.run(["openssl", "x509", "-in", cdir / "cert.pem",
                             "-noout", "-serial"], capture_output=True,
                            text=True, check=True).stdout
    return cdir, serial.strip().split("=")[1]


def https_get(port, cdir, cafile):
    # The server certificate names the router (CN=CME1).
    args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
            "--cacert", str(cafile), "--max-time", "10",
            "--resolve", f"CME1:{port}:127.0.0.1"]
    if cdir is not None:
        args += ["--cert", str(cdir / "cert.pem"), "--key",
                 str(cdir / "key.pem")]
    args.append(f"https://CME1:{port}{SCEP}?operation=GetCACaps")
    return subprocess.run(args, capture_output=True, text=True).stdout


@pytest.mark.parametrize("check", ["crl", "none"])
def test_tls_client_verification_enforces_revocation(daemons, tmp_path,
                                                     check):
    port, sport = free_port(), free_port()
    d = daemons(ca_config(port) +
                f"crypto pki trustpoint cme\n revocation-check {check}\n"
                f"ip http secure-server\nip http secure-port {sport}\n"
                "ip http secure-trustpoint cme\nip http secure-client-auth\n",
                name="tls")
    enroll(d)
    cacert = [c for c in chain_ders(d.running(), "cme") if c[0]][0]
    write_pem(tmp_path / "ca.pem", cacert[2])
    good, _ = scep_client_cert(port, tmp_path, "SEP0000000000A1")
    bad, bad_serial = scep_client_cert(port, tmp_path, "SEP0000000000A2")
    assert https_get(sport, good, tmp_path / "ca.pem") == "200"
    assert https_get(sport, bad, tmp_path / "ca.pem") == "200"
    assert https_get(sport, None, tmp_path / "ca.pem") != "200"
    d.cli(f"crypto pki server myca revoke {bad_serial}", check=True)
    assert https_get(sport, good, tmp_path / "ca.pem") == "200"
    if check == "crl":
        assert https_get(sport, bad, tmp_path / "ca.pem") != "200"
        assert "refused: certificate rejected" in d.log_text() or \
            "refused" in d.log_text()
    else:
        # revocation-check none: the revoked certificate still passes.
        assert https_get(sport, bad, tmp_path / "ca.pem") == "200"
