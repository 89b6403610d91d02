"""CAPF with `cert-enroll-trustpoint` naming a registration authority
(the chapter's "CAPF Server: Example": `crypto pki server iosra` in
`mode ra` on the CME, the issuing CA on another router).  Two real
daemons on loopback: the issuing CA, and the CME with the RA, the CTL,
TFTP and CAPF.  opencme-phone gets its LSC through CAPF; the CME's RA
sends the issuing CA a request for the phone's key that it signs itself
(the phone's private key never leaves the phone), the CA takes it only
from an RA certificate it issued that carries IOS's "ioscs RA" mark."""
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from pkiutil import ca_config, chain_ders, free_port, write_pem
from test_capf_e2e import PHONE, dotted, run_phone, show
from test_phone_boot import free_capf_port
from test_pki import enroll

MAC = "0011223300A1"
TPS = ("sast1", "sast2", "cme", "capf")


def cme_with_ra(daemons, ca_port, ra_subject, grant="grant auto"):
    hp, tp, cp = free_port(), free_port(), free_capf_port()
    lines = ["hostname CME1", "ip http server", f"ip http port {hp}",
             "ip http source-address 127.0.0.1",
             f"tftp-server source-address 127.0.0.1 port {tp}",
             "crypto pki trustpoint iosra",
             f" enrollment url http://127.0.0.1:{ca_port}",
             " revocation-check none", f" subject-name {ra_subject}",
             "crypto pki server iosra", " mode ra", f" {grant}",
             " no shutdown"]
    for t in TPS:
        lines += [f"crypto pki trustpoint {t}",
                  f" enrollment url http://127.0.0.1:{ca_port}",
                  " revocation-check none", f" subject-name CN={t},O=Lab"]
    lines += ["telephony-service", " ip source-address 127.0.0.1 port 2000",
              " cnf-file perphone", " device-security-mode encrypted",
              " tftp-server-credentials trustpoint cme",
              " secure-signaling trustpoint cme",
              "capf-server", " trustpoint-label capf",
              " cert-enroll-trustpoint iosra password 0 secret1",
              " auth-mode null-string",
              " source-addr 127.0.0.1", f" port {cp}",
              " phone-key-size 1024",
              "ephone 1", f" mac-address {dotted(MAC)}",
              " cert-oper upgrade auth-mode null-string"]
    d = daemons("\n".join(lines) + "\n", name="cme")
    d.tftp_port, d.capf_port = tp, cp
    for t in ("iosra",) + TPS:
        enroll(d, t)
    p = d.cli("configure terminal", "ctl-client",
              "sast1 trustpoint sast1", "sast2 trustpoint sast2",
              "server cme 127.0.0.1 trustpoint cme",
              "server capf 127.0.0.1 trustpoint capf", "regenerate", "end")
    assert p.returncode == 0 and "published" in p.stdout, p.stdout
    for _ in range(100):
        if f"listening on 127.0.0.1 port {cp}" in show(d):
            break
        time.sleep(0.1)
    else:
        pytest.fail("CAPF server not listening:\n" + show(d))
    out = d.cli("show crypto pki server", check=True).stdout
    assert "Mode: RA" in out and "Status: enabled" in out, out
    return d


@pytest.fixture
def issuing(daemons):
    port = free_port()
    d = daemons(ca_config(port, trustpoints=()), name="issuing")
    d.port = port
    return d


def issuing_ca_pem(issuing, tmp_path):
    cas = [c[2] for c in chain_ders(issuing.running(), "myca") if c[0]]
    assert cas
    return write_pem(tmp_path / "issuing.pem", cas[0])


def test_lsc_through_the_ra_is_issued_by_the_remote_ca(daemons, issuing,
                                                       tmp_path):
    d = cme_with_ra(daemons, issuing.port, "CN=ioscs RA,O=Lab")
    state = tmp_path / "ph"
    p, rep = run_phone(d, state, MAC, extra=["--timeout", "60"])
    assert p.returncode == 0, p.stderr + d.log_text()[-3000:]
    r = rep[MAC]
    assert r["capf"]["operation"] == "install" and r["capf"]["ok"], r
    pem = state / ("SEP" + MAC) / "lsc.pem"
    # Signed by the issuing CA (not by anything on the CME) ...
    v = subprocess.run(["openssl", "verify", "-CAfile",
                        str(issuing_ca_pem(issuing, tmp_path)), str(pem)],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr
    cert = x509.load_pem_x509_certificate(pem.read_bytes())
    # ... for the phone: CN=SEP<MAC>, the key the phone holds.
    assert [a.value for a in cert.subject.get_attributes_for_oid(
        NameOID.COMMON_NAME)] == ["SEP" + MAC]
    assert [a.value for a in cert.issuer.get_attributes_for_oid(
        NameOID.COMMON_NAME)] == ["myca"]  # the issuing CA
    key = (state / ("SEP" + MAC) / "lsc.key").read_bytes()
    pub = subprocess.run(["openssl", "pkey", "-pubout"], input=key,
                         capture_output=True, check=True).stdout
    assert pub == subprocess.run(
        ["openssl", "x509", "-pubkey", "-noout", "-in", str(pem)],
        capture_output=True, check=True).stdout
    # Both sides keep the record: the CA lists the request as issued and
    # vouched for by the RA; the CME shows the phone's LSC.
    assert "vouched for by an RA" in issuing.log_text()
    assert "issued" in issuing.cli(
        "crypto pki server myca info requests", check=True).stdout
    row = [l for l in show(d, MAC).splitlines() if l.startswith("SEP")]
    assert row and row[0].split()[1] == "yes", show(d, MAC)
    assert row[0].split()[2] == format(cert.serial_number, "X")
    # The operation is done: the ephone no longer asks for it.
    assert "cert-oper upgrade" not in d.running()


def test_ca_refuses_an_ra_without_the_ioscs_ra_mark(daemons, issuing,
                                                    tmp_path):
    d = cme_with_ra(daemons, issuing.port, "CN=RA1,O=Lab")
    state = tmp_path / "ph"
    p, rep = run_phone(d, state, MAC, extra=["--timeout", "60"])
    r = rep[MAC]
    assert p.returncode == 1 and r["capf"]["end_reason"] == 7, r
    assert not (state / ("SEP" + MAC) / "lsc.pem").exists()
    assert "not a trusted RA" in issuing.log_text()
    assert "refused" in d.log_text()
    # Nothing recorded as installed; the operation stays pending.
    row = [l for l in show(d, MAC).splitlines() if l.startswith("SEP")]
    assert not row or row[0].split()[1] == "no", show(d, MAC)
    assert "cert-oper upgrade" in d.running()
