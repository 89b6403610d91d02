"""The chapter's full "Example for Secure Unified CME": with its addresses
moved to loopback and its trustpoints enrolled afresh from our CA it
produces a CTL with SAST, CME, TFTP and CAPF records; loaded as printed
(certificates from 2006 without private keys) it says clearly why no CTL
can be made, and the published files stay."""
import re
import signal

import tlvverify
from conftest import ROOT
from pkiutil import free_port
from test_phone_files import tftp_get
from test_pki import enroll

EXAMPLE = ROOT / "examples/chapter/secure-cme.cfg"


def loopback(text, http_port, tftp_port, fix_typo=True, keep_chains=True):
    text = text.replace("10.13.32.11", "127.0.0.1")
    if fix_typo:
        text = text.replace("mytrustpoint1>", "mytrustpoint1")
    if not keep_chains:
        text = re.sub(r"crypto pki certificate chain .*?\n(?:\s.*\n)*", "",
                      text)
    # The example's CA (myra) serves on our loopback port.
    text = text.replace("http://127.0.0.1:80", f"http://127.0.0.1:{http_port}")
    text = text.replace(" lifetime certificate 1800\n",
                        " lifetime certificate 1800\n no shutdown\n")
    # The printed configuration ends with `end`: our lines go before it.
    text = re.sub(r"\nend\s*$", "\n", text)
    return text + (f"ip http port {http_port}\n"
                   "ip http source-address 127.0.0.1\n"
                   f"tftp-server source-address 127.0.0.1 port {tftp_port}\n")


def records(path):
    info = tlvverify.verify(path.read_bytes())
    return sorted(int.from_bytes(r[4], "big") for r in info["records"])


def test_secure_cme_example_end_to_end(daemons, tmp_path):
    hp, tp = free_port(), free_port()
    text = EXAMPLE.read_text()
    d = daemons(loopback(text, hp, tp, keep_chains=False), name="chapter")
    for t in ("mytrustpoint1", "sast2"):
        enroll(d, t)
    p = d.cli("configure terminal", "ctl-client", "regenerate", "end")
    assert p.returncode == 0, p.stdout
    ctl = tmp_path / "CTLFile.tlv"
    assert tftp_get(tp, "CTLFile.tlv", ctl)
    # SAST x2, CME (CCM+TFTP), TFTP, CAPF.
    assert records(ctl) == [0, 0, 2, 3, 4]
    # Each ephone of the example gets its signed configuration.
    sgn = tmp_path / "e1.sgn"
    assert tftp_get(tp, "SEP001243 02A7CC.cnf.xml.sgn".replace(" ", ""), sgn)
    assert b"<deviceSecurityMode>3</deviceSecurityMode>" in sgn.read_bytes()
    plain = tmp_path / "e4.xml"
    assert tftp_get(tp, "SEP001794CAA141.cnf.xml", plain)
    assert "<deviceSecurityMode>1</deviceSecurityMode>" in plain.read_text()
    published = ctl.read_bytes()

    # The example as printed: its trustpoints carry the 2006 certificates
    # and no private key.  Same state directory: the published CTL stays.
    d.stop()
    d.config.write_text(loopback(text, hp, tp, fix_typo=True,
                                 keep_chains=True).replace(
        " no shutdown\n", "\n", 1))
    d2 = daemons(None, name="chapter", start=False)
    d2.config = d.config
    d2.start()
    p = d2.cli("configure terminal", "ctl-client", "regenerate", "end")
    assert p.returncode == 1
    assert re.search(r"mytrustpoint1: the trustpoint's key pair is missing "
                     r"or does not match its certificate", p.stdout) or \
        "has no certificate" in p.stdout, p.stdout
    again = tmp_path / "again.tlv"
    assert tftp_get(tp, "CTLFile.tlv", again)
    assert again.read_bytes() == published
