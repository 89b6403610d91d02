"""`enrollment terminal` + `crypto pki authenticate`: the chapter's MIC
root paste example as printed, fingerprints as openssl computes them,
refusals that store nothing."""
import re
import subprocess

from conftest import ROOT

MIC = ROOT / "examples/chapter/mic-root-import.cli"


def openssl_fp(pem, alg):
    out = subprocess.run(["openssl", "x509", "-in", str(pem), "-noout",
                          "-fingerprint", f"-{alg}"], capture_output=True,
                         text=True, check=True).stdout
    hexs = out.strip().split("=", 1)[1].replace(":", "")
    return " ".join(hexs[i:i + 8] for i in range(0, len(hexs), 8))


def test_chapter_mic_root_paste_works_as_printed(daemon):
    p = daemon.cli(stdin="configure terminal\n" + MIC.read_text() + "end\n")
    assert p.returncode == 0, p.stdout
    assert p.stdout.count("% Certificate successfully imported") == 3
    for name in ("7970", "7960", "PEM"):
        pem = ROOT / "tests/data/mic" / f"{name}.pem"
        assert f"Fingerprint MD5: {openssl_fp(pem, 'md5')}" in p.stdout
        assert f"Fingerprint SHA1: {openssl_fp(pem, 'sha1')}" in p.stdout
    run = daemon.running()
    for name in ("7970", "7960", "PEM"):
        assert re.search(rf"crypto pki certificate chain {name}\n"
                         r" certificate ca [0-9A-F]+\n", run), run
    # Saved and reloaded, the chains come back.
    daemon.cli("write memory", check=True)
    assert "crypto pki certificate chain PEM" in daemon.config.read_text()
    from conftest import OPENCMED
    check = subprocess.run([OPENCMED, "-n", "-f", str(daemon.config)],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    assert check.stdout.count("certificate ca ") == 3


def paste(daemon, body, answer="yes"):
    return daemon.cli(stdin=(
        "configure terminal\ncrypto pki trustpoint T1\n enrollment terminal\n"
        " revocation-check none\n exit\ncrypto pki authenticate T1\n"
        f"{body}\nquit\n{answer}\nend\n"))


def test_answering_no_stores_nothing(daemon):
    pem = (ROOT / "tests/data/mic/PEM.pem").read_text()
    p = paste(daemon, pem, answer="no")
    assert p.returncode == 1
    assert "nothing was stored" in p.stdout
    assert "certificate chain T1" not in daemon.running()


def test_malformed_paste_is_refused(daemon):
    p = paste(daemon, "MIIB!!!notbase64")
    assert p.returncode == 1
    assert "Invalid base64" in p.stdout
    p = paste(daemon, "TUlJQg==")      # valid base64, not a certificate
    assert p.returncode == 1
    assert "not a valid X.509 certificate" in p.stdout
    assert "certificate chain T1" not in daemon.running()
    # The daemon still serves.
    assert daemon.cli("show running-config").returncode == 0


def test_unknown_trustpoint(daemon):
    p = daemon.cli("configure terminal", "crypto pki authenticate nosuch")
    assert p.returncode == 1
    assert "Could not find trustpoint nosuch" in p.stdout
