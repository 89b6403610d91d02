"""opencme-tlv end to end: build CTL/ITL and .sgn files from certificates
made with the openssl CLI, cross-check them with the independent Python
verifier (tlvverify.py, written from the spec), parse, tamper, strip."""
import os
import pathlib
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import tlvverify  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("OPENCME_BUILD", ROOT / "build"))
TOOL = str(BUILD / "opencme-tlv")
TS = "1735689600"


def tool(*args):
    return subprocess.run([TOOL, *map(str, args)], capture_output=True,
                          text=True, timeout=60)


def ok(*args):
    p = tool(*args)
    assert p.returncode == 0, f"{args}: {p.stdout}{p.stderr}"
    return p.stdout


def mkcert(d, name, subj, key="rsa:2048", serial=None):
    """Self-signed certificate name.pem / name.key via the openssl CLI."""
    cmd = ["openssl", "req", "-x509", "-nodes", "-days", "30", "-sha256",
           "-subj", subj, "-keyout", str(d / f"{name}.key"),
           "-out", str(d / f"{name}.pem")]
    if key.startswith("ec:"):
        cmd += ["-newkey", "ec", "-pkeyopt",
                f"ec_paramgen_curve:{key[3:]}"]
    else:
        cmd += ["-newkey", key]
    if serial:
        cmd += ["-set_serial", serial]
    subprocess.run(cmd, check=True, capture_output=True)
    return d / f"{name}.pem"


def load(path):
    return x509.load_pem_x509_certificate(pathlib.Path(path).read_bytes())


def dn(cert):
    """Spec 1.4.2 from the certificate, attribute by attribute (DER order)."""
    return ",".join(a.rfc4514_string() for a in cert.subject)


@pytest.fixture
def pki(tmp_path):
    mkcert(tmp_path, "sast1", "/CN=SAST1/O=Lab/OU=Voice",
           serial="0x9008003D00112233445566778899AA49")
    mkcert(tmp_path, "sast2", "/CN=SAST2/O=Lab/OU=Voice", key="rsa:1024")
    mkcert(tmp_path, "sast3", "/CN=SAST3/O=Evil/OU=X", key="rsa:1024")
    mkcert(tmp_path, "cme", "/CN=cme.example/O=Lab/OU=Voice")
    mkcert(tmp_path, "capf", "/CN=CAPF-1/O=Lab, Inc./OU=Voice")
    mkcert(tmp_path, "ec", "/CN=tftp-ec/O=Lab/OU=Voice", key="ec:P-256")
    return tmp_path


def build_ctl(d, out, signer="sast1", sasts=("sast1", "sast2"),
              records=(("ccm+tftp", "cme"), ("capf", "capf")), extra=()):
    args = ["build", "ctl", "--out", d / out, "--filename", "CTLFile.tlv",
            "--signer-cert", d / f"{signer}.pem",
            "--signer-key", d / f"{signer}.key", "--timestamp", TS]
    for s in sasts:
        args += ["--sast", d / f"{s}.pem"]
    for role, name in records:
        args += ["--record", f"{role}:{d / f'{name}.pem'}"]
    ok(*args, *extra)
    return d / out


@pytest.mark.parametrize("digest", ["--sha1", "--sha512"])
def test_ctl_build_parse_verify(pki, digest):
    ctl = build_ctl(pki, "CTLFile.tlv", extra=[digest])
    data = ctl.read_bytes()

    info = tlvverify.verify(data)           # independent verifier
    assert info["version"] == (1, 2)
    assert info["header_length"] % 4 == 0
    assert info["fields"][8][0] == (1 if digest == "--sha1" else 3)
    assert info["fields"][28] == b"\x01\x00"
    assert info["fields"][14] == b"CTLFile.tlv\x00"
    assert info["fields"][15] == bytes.fromhex("67748580")
    sast1 = load(pki / "sast1.pem")
    # Spec 1.4.3: unsigned minimal serial (top bit set: 16 bytes, no 00).
    assert info["fields"][5] == bytes.fromhex(
        "9008003D00112233445566778899AA49")
    assert info["fields"][4] == dn(sast1).encode() + b"\x00"

    roles = [r[4] for r in info["records"]]
    assert roles == [b"\x00\x00", b"\x00\x00", b"\x00\x02", b"\x00\x04"]
    capf = load(pki / "capf.pem")
    rec = info["records"][3]
    assert rec[3] == dn(capf).encode() + b"\x00"
    assert rec[3] == b"CN=CAPF-1,O=Lab\\, Inc.,OU=Voice\x00"
    assert bytes(rec[9]) == capf.public_bytes(serialization.Encoding.DER)
    assert bytes(rec[8]) == capf.signature
    assert sorted(info["records"][0]) == [3, 4, 5, 6, 7, 8, 9]

    assert tool("verify", ctl).returncode == 0
    out = ok("parse", ctl)
    assert "Version:        1.2" in out
    assert "Header length:  %d" % info["header_length"] in out
    assert "Signer name:    CN=SAST1,O=Lab,OU=Voice" in out
    assert "Serial number:  9008003D00112233445566778899AA49" in out
    assert "2025-01-01 00:00:00 UTC" in out
    assert "Records:        4" in out
    for role in ("SAST (0)", "CCM+TFTP (2)", "CAPF (4)"):
        assert role in out
    assert "Subject:       CN=cme.example,O=Lab,OU=Voice" in out
    fp = capf.fingerprint(hashes.SHA1()).hex(":").upper()
    assert fp in out
    assert "RSA 2048 bit" in out and "RSA 1024 bit" in out


def test_worked_example_offsets_with_openssl_certs(tmp_path):
    # Spec 1.8: 2048-bit key, 23-byte DN, 16-byte serial.
    mkcert(tmp_path, "sast", "/CN=SAST/O=SAST/OU=SAST",
           serial="0x9008003D00112233445566778899AA49")
    ctl = build_ctl(tmp_path, "CTLFile.tlv", signer="sast",
                    sasts=("sast",), records=())
    data = ctl.read_bytes()
    assert data[0:10] == bytes.fromhex("01000201020200020184")
    assert data[0x59:0x5C] == bytes.fromhex("07000F")
    assert data[0x6B:0x6E] == bytes.fromhex("0C0100")
    assert data[0x16E:0x171] == bytes.fromhex("0E000C")
    assert data[0x184:0x187] == bytes.fromhex("010002")
    assert data[0x1D0:0x1D5] == bytes.fromhex("0400020000")
    tlvverify.verify(data)


def test_ec_record_gets_signer_version_1_1(pki):
    ctl = build_ctl(pki, "ITLFile.tlv", records=(("tftp", "ec"),))
    info = tlvverify.verify(ctl.read_bytes())
    assert info["fields"][28] == b"\x01\x01"
    key = info["records"][2][7]
    assert len(key) == 65 and key[0] == 4
    out = ok("parse", ctl)
    assert "Signer version: 1.1" in out and "EC prime256v1" in out


def test_sgn_build_verify_strip(pki):
    xml = pki / "SEP001122334455.cnf.xml"
    xml.write_bytes(b"<device>\r\n<deviceProtocol>SCCP</deviceProtocol>"
                    b"\r\n</device>\r\n")
    sgn = pki / "SEP001122334455.cnf.xml.sgn"
    ok("build", "sgn", "--in", xml, "--out", sgn,
       "--filename", "SEP001122334455.cnf.xml.sgn",
       "--signer-cert", pki / "cme.pem", "--signer-key", pki / "cme.key",
       "--sha512", "--timestamp", TS)
    data = sgn.read_bytes()
    info = tlvverify.verify(data, load(pki / "cme.pem"))
    assert info["version"] == (1, 0) and 28 not in info["fields"]
    assert info["fields"][14] == b"SEP001122334455.cnf.xml.sgn\x00"
    assert data[info["header_length"]:] == xml.read_bytes()
    assert subprocess.run([sys.executable, tlvverify.__file__, sgn,
                           "--cert", pki / "cme.pem"]).returncode == 0

    assert tool("verify", sgn, "--cert", pki / "cme.pem").returncode == 0
    p = tool("verify", sgn, "--cert", pki / "capf.pem")
    assert p.returncode == 1 and "signature verification failed" in p.stderr
    p = tool("verify", sgn)
    assert p.returncode == 1 and "--cert" in p.stderr
    # Against a trust list: the CCM+TFTP record signs .sgn files.
    ctl = build_ctl(pki, "CTLFile.tlv")
    assert tool("verify", sgn, "--trust", ctl).returncode == 0
    out = pki / "restored.xml"
    ok("strip", sgn, out)
    assert out.read_bytes() == xml.read_bytes()
    assert "Payload:" in ok("parse", sgn)


def flip(data, i):
    b = bytearray(data)
    b[i] ^= 0x01
    return bytes(b)


def test_tampered_files_are_refused_by_both(pki):
    ctl = build_ctl(pki, "CTLFile.tlv")
    data = ctl.read_bytes()
    info = tlvverify.parse(data)
    sig = info["sig_off"]
    cases = {"filename": sig + 259 + 5, "signature": sig + 10,
             "record": info["header_length"] + 40, "last": len(data) - 1,
             "serial": 0x50}
    for what, i in cases.items():
        bad = pki / f"bad-{what}.tlv"
        bad.write_bytes(flip(data, i))
        with pytest.raises(Exception):
            tlvverify.verify(bad.read_bytes())
        p = tool("verify", bad)
        assert p.returncode == 1, what
        assert "opencme-tlv:" in p.stderr
    trunc = pki / "trunc.tlv"
    trunc.write_bytes(data[:-7])
    p = tool("verify", trunc)
    assert p.returncode == 1 and "offset" in p.stderr


def test_trust_rule_sast2_passes_unknown_fails(pki):
    old = build_ctl(pki, "old.tlv")
    new2 = build_ctl(pki, "new2.tlv", signer="sast2", sasts=("sast2",))
    new3 = build_ctl(pki, "new3.tlv", signer="sast3", sasts=("sast3",))
    assert tool("verify", new2).returncode == 0
    assert tool("verify", new3).returncode == 0   # first use: fine
    p = tool("verify", new2, "--trust", old)
    assert p.returncode == 0, p.stderr
    assert "CN=SAST2,O=Lab,OU=Voice" in p.stdout
    p = tool("verify", new3, "--trust", old)
    assert p.returncode == 1
    assert "not trusted" in p.stderr and "SAST" in p.stderr
    tlvverify.verify(new2.read_bytes(), load(pki / "sast2.pem"))


def test_malformed_input_is_reported_with_offset(pki):
    cases = {
        "garbage": bytes(range(7, 200)),
        "empty": b"",
        "bad-header-length": bytes.fromhex("0100020102020002FFFF") + b"x",
        "unknown-tag": bytes.fromhex("010002010002000210") + b"\x00"
        + bytes.fromhex("1D0000"),
    }
    for name, data in cases.items():
        f = pki / name
        f.write_bytes(data)
        for cmd in (["parse", f], ["verify", f], ["strip", f, f"{f}.out"]):
            p = tool(*cmd)
            assert p.returncode == 1, (name, cmd, p.stdout)
            assert "offset" in p.stderr, p.stderr
            assert "Traceback" not in p.stderr
    p = tool("parse", pki / "missing")
    assert p.returncode == 1 and "No such file" in p.stderr


def test_build_refuses_bad_arguments(pki):
    p = tool("build", "ctl", "--out", pki / "x.tlv",
             "--signer-cert", pki / "sast1.pem",
             "--signer-key", pki / "sast1.key", "--sast", pki / "sast2.pem")
    assert p.returncode == 1 and "--sast" in p.stderr
    p = tool("build", "ctl", "--out", pki / "x.tlv",
             "--signer-cert", pki / "sast1.pem",
             "--signer-key", pki / "sast2.key", "--sast", pki / "sast1.pem")
    assert p.returncode == 1 and "does not match" in p.stderr
    p = tool("build", "ctl", "--out", pki / "x.tlv",
             "--signer-cert", pki / "ec.pem",
             "--signer-key", pki / "ec.key", "--sast", pki / "ec.pem")
    assert p.returncode == 1 and "RSA" in p.stderr
    p = tool("build", "ctl", "--out", pki / "x.tlv",
             "--signer-cert", pki / "sast1.pem",
             "--signer-key", pki / "sast1.key", "--sast", pki / "sast1.pem",
             "--record", f"nosuchrole:{pki / 'cme.pem'}")
    assert p.returncode == 1 and "unknown role" in p.stderr
    assert not (pki / "x.tlv").exists()
