"""Phone authentication files from the outside: the CTL client's trust
list, SAST rollover, per-phone cnf.xml and .sgn, load-cfg-file — fetched
over TFTP with tftp-hpa and checked with the independent verifier
tlvverify.py (written from the spec, not from our C code)."""
import subprocess

import pytest

import tlvverify
from pkiutil import chain_ders, free_port
from test_pki import enroll

TPS = ("sast1", "sast2", "cme", "capf")


def phone_config(http_port, tftp_port, extra=""):
    lines = ["hostname CME1", "ip http server", f"ip http port {http_port}",
             "ip http source-address 127.0.0.1",
             f"tftp-server source-address 127.0.0.1 port {tftp_port}",
             "crypto pki trustpoint myca", " revocation-check none",
             "crypto pki server myca", " grant auto", " no shutdown"]
    for tp in TPS:
        lines += [f"crypto pki trustpoint {tp}",
                  f" enrollment url http://127.0.0.1:{http_port}",
                  " revocation-check none", f" subject-name CN={tp},O=Lab"]
    lines += ["telephony-service", " ip source-address 127.0.0.1 port 2000",
              " cnf-file perphone", " device-security-mode encrypted",
              " tftp-server-credentials trustpoint cme",
              " secure-signaling trustpoint cme",
              "ephone 1", " mac-address 0011.2233.4401",
              " cert-oper upgrade auth-mode null-string",
              "ephone 2", " mac-address 0011.2233.4402",
              " device-security-mode none"]
    return "\n".join(lines) + "\n" + extra


def tftp_get(port, name, out):
    p = subprocess.run(["tftp", "127.0.0.1", str(port), "-m", "binary",
                        "-c", "get", name, str(out)], capture_output=True,
                       text=True, timeout=30)
    return p.returncode == 0 and out.exists() and out.stat().st_size > 0


@pytest.fixture
def cme(daemons):
    hp, tp = free_port(), free_port()
    d = daemons(phone_config(hp, tp), name="cme")
    d.tftp_port = tp
    for t in TPS:
        enroll(d, t)
    p = d.cli("configure terminal", "ctl-client",
              "sast1 trustpoint sast1", "sast2 trustpoint sast2",
              "server cme 127.0.0.1 trustpoint cme",
              "server capf 127.0.0.1 trustpoint capf", "regenerate", "end")
    assert p.returncode == 0, p.stdout
    assert "published" in p.stdout
    return d


def cert_of(d, tp):
    der = [c for c in chain_ders(d.running(), tp) if not c[0]][0][2]
    from cryptography import x509
    return x509.load_der_x509_certificate(der)


def test_ctl_is_published_signed_by_sast1_with_every_role(cme, tmp_path):
    ctl = tmp_path / "CTLFile.tlv"
    assert tftp_get(cme.tftp_port, "CTLFile.tlv", ctl)
    info = tlvverify.verify(ctl.read_bytes())      # self-signed by a SAST
    tlvverify.verify_with_cert(ctl.read_bytes(), info, cert_of(cme, "sast1"))
    roles = sorted(int.from_bytes(r[4], "big") for r in info["records"])
    assert roles == [0, 0, 2, 4]            # 2 SAST, CCM+TFTP, CAPF
    # The per-phone copies are the same list.
    per = tmp_path / "CTLSEP001122334401.tlv"
    assert tftp_get(cme.tftp_port, "CTLSEP001122334401.tlv", per)
    assert per.read_bytes() == ctl.read_bytes()
    # Phones that ask for an ITL get the same list under its own name.
    itl = tmp_path / "ITLSEP001122334402.tlv"
    assert tftp_get(cme.tftp_port, "ITLSEP001122334402.tlv", itl)
    assert tlvverify.parse(itl.read_bytes())["fields"][14] == \
        b"ITLFile.tlv\x00"
    tlvverify.verify(itl.read_bytes())
    # The first CTL set server-security-mode secure (chapter).
    assert "Server Security Mode: Secure" in cme.cli(
        "show telephony-service security-info").stdout


def test_signed_cnf_files_and_device_security_modes(cme, tmp_path):
    sgn = tmp_path / "a.sgn"
    assert tftp_get(cme.tftp_port, "SEP001122334401.cnf.xml.sgn", sgn)
    data = sgn.read_bytes()
    info = tlvverify.verify(data, cert_of(cme, "cme"))
    xml = data[info["header_length"]:].decode()
    assert "<deviceSecurityMode>3</deviceSecurityMode>" in xml
    assert "<capfAuthMode>2</capfAuthMode>" in xml
    plain = tmp_path / "b.xml"
    assert tftp_get(cme.tftp_port, "SEP001122334402.cnf.xml", plain)
    assert "<deviceSecurityMode>1</deviceSecurityMode>" in plain.read_text()
    assert "capf" not in plain.read_text()
    assert subprocess.run(["xmllint", "--noout", str(plain)]).returncode == 0


def test_sast_rollover_signs_with_sast2(cme, tmp_path):
    old = tmp_path / "old.tlv"
    assert tftp_get(cme.tftp_port, "CTLFile.tlv", old)
    # SAST1 is compromised: a new key and certificate for it.
    cme.cli("configure terminal", "crypto key zeroize rsa sast1", "end",
            stdin="yes\n")
    enroll(cme, "sast1")
    p = cme.cli("configure terminal", "ctl-client", "regenerate", "end")
    assert p.returncode == 0, p.stdout
    assert "signing with SAST2" in p.stdout
    new = tmp_path / "new.tlv"
    assert tftp_get(cme.tftp_port, "CTLFile.tlv", new)
    # A phone holding the old list accepts the new one: it is signed by a
    # SAST record of the old list (SAST2).
    old_info = tlvverify.parse(old.read_bytes())
    sast2 = [r for r in old_info["records"]
             if r.get(4) == b"\x00\x00" and r[9] == cert_of(
                 cme, "sast2").public_bytes(
                     __import__("cryptography.hazmat.primitives.serialization",
                                fromlist=["Encoding"]).Encoding.DER)]
    assert sast2
    from cryptography import x509
    tlvverify.verify_with_cert(new.read_bytes(),
                               tlvverify.parse(new.read_bytes()),
                               x509.load_der_x509_certificate(sast2[0][9]))
    t = subprocess.run([str(cme_tool()), "verify", str(new), "--trust",
                        str(old)], capture_output=True, text=True)
    assert t.returncode == 0, t.stdout + t.stderr


def cme_tool():
    from conftest import BUILD
    return BUILD / "opencme-tlv"


def test_regeneration_signed_by_unknown_keys_is_refused(cme, tmp_path):
    for tp in ("sast1", "sast2"):
        cme.cli("configure terminal", f"crypto key zeroize rsa {tp}", "end",
                stdin="yes\n")
        enroll(cme, tp)
    before = tmp_path / "before.tlv"
    assert tftp_get(cme.tftp_port, "CTLFile.tlv", before)
    p = cme.cli("configure terminal", "ctl-client", "regenerate", "end")
    assert p.returncode == 1
    assert "phones would refuse" in p.stdout
    after = tmp_path / "after.tlv"
    assert tftp_get(cme.tftp_port, "CTLFile.tlv", after)
    assert after.read_bytes() == before.read_bytes()
    p = cme.cli("configure terminal", "ctl-client", "regenerate force",
                "end")
    assert p.returncode == 0, p.stdout


def test_server_security_mode_erase_removes_the_ctl(cme, tmp_path):
    cme.cli("configure terminal", "telephony-service",
            "server-security-mode erase", "end", check=True)
    assert not tftp_get(cme.tftp_port, "CTLFile.tlv", tmp_path / "x.tlv")
    assert not (cme.state / "tftp" / "CTLFile.tlv").exists()


def test_load_cfg_file_sign_create(cme, tmp_path):
    (cme.state / "slot0" / "Ringlist.xml").write_text(
        "<CiscoIPPhoneRingList></CiscoIPPhoneRingList>\n")
    p = cme.cli("configure terminal", "telephony-service",
                "load-cfg-file slot0:Ringlist.xml alias Ringlist.xml sign "
                "create", "end")
    assert p.returncode == 0, p.stdout
    got = tmp_path / "r.sgn"
    assert tftp_get(cme.tftp_port, "Ringlist.xml.sgn", got)
    info = tlvverify.verify(got.read_bytes(), cert_of(cme, "cme"))
    assert got.read_bytes()[info["header_length"]:] == \
        (cme.state / "slot0" / "Ringlist.xml").read_bytes()
    assert (cme.state / "slot0" / "Ringlist.xml.sgn").exists()
    run = cme.running()
    assert "load-cfg-file slot0:Ringlist.xml alias Ringlist.xml sign\n" \
        in run
    assert "create" not in run.split("load-cfg-file")[1].split("\n")[0]


def test_secure_modes_need_cnf_file_perphone(cme, tmp_path):
    cme.cli("configure terminal", "telephony-service", "no cnf-file perphone",
            "end", check=True)
    assert "cnf-file perphone is required" in cme.log_text()
