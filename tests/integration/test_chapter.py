"""`opencmed -n` on the chapter's configuration examples (examples/chapter)."""
import pathlib
import re
import subprocess

import pytest

from conftest import OPENCMED, ROOT

EXAMPLES = sorted((ROOT / "examples/chapter").glob("*.cfg"))

# The security commands of the chapter; every line of an example that
# starts with one of these must come back in the running-config.
SECURITY = [
    "secure-signaling trustpoint", "tftp-server-credentials trustpoint",
    "device-security-mode", "server-security-mode", "cnf-file perphone",
    "load-cfg-file", "service https", "encrypt password", "capf-ip-in-cnf",
    "capf-auth-str", "cert-oper", "sast1 trustpoint", "sast2 trustpoint",
    "server capf", "server cme", "server tftp", "server cme-tftp",
    "server application", "import certificate", "trustpoint-label",
    "cert-enroll-trustpoint", "source-addr", "auth-mode", "phone-key-size",
    "keygen-retry", "keygen-timeout", "port 3804", "srtp",
    "supplementary-service media-renegotiate", "emptycapability",
    "crypto pki server", "crypto pki trustpoint", "enrollment url",
    "enrollment terminal", "revocation-check", "rsakeypair", "serial-number",
    "database level", "database url", "grant auto", "lifetime certificate",
    "issuer-name", "mode ra", "crypto pki certificate chain",
    "ctl-service admin", "password encryption aes", "voice-class codec",
]


# Defaults are not printed back (as IOS).
DEFAULTS = {"encrypt password"}


def check(cfg):
    p = subprocess.run([OPENCMED, "-n", "-f", str(cfg)], capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def security_lines(text):
    for n, line in enumerate(text.splitlines(), 1):
        s = " ".join(line.split())
        if s.startswith("!") or not s:
            continue
        if any(s.startswith(k) for k in SECURITY):
            yield n, s


@pytest.mark.parametrize("cfg", EXAMPLES, ids=lambda p: p.name)
def test_example_keeps_every_security_command(cfg):
    rc, out, err = check(cfg)
    normalized = {" ".join(l.split()) for l in out.splitlines()}
    # Lines the loader reported as errors are expected to be missing.
    bad = {int(m.group(1)) for m in re.finditer(
        rf"{re.escape(str(cfg))}:(\d+): %(?! Warning| Failed to find)", err)}
    missing = []
    for n, s in security_lines(cfg.read_text()):
        if n in bad:
            continue
        if s in DEFAULTS:
            continue
        # Passwords come back encoded: compare up to the password.  The
        # `create` keyword of load-cfg-file is not kept (chapter).
        key = re.split(r" (password|secret) ", s)[0]
        key = re.sub(r" create$", "", key)
        if not any(l.startswith(key) for l in normalized):
            missing.append((n, s))
    assert not missing, f"{cfg.name}: missing {missing}\n{out}\n{err}"
    assert rc == (1 if bad else 0), err


def test_secure_cme_example_reports_the_chapter_typo():
    cfg = ROOT / "examples/chapter/secure-cme.cfg"
    rc, out, err = check(cfg)
    typo = next(n for n, l in enumerate(cfg.read_text().splitlines(), 1)
                if "mytrustpoint1>" in l and not l.startswith("!"))
    errors = [l for l in err.splitlines()
              if re.match(rf"{re.escape(str(cfg))}:\d+: %(?! Warning)", l)]
    assert rc == 1
    assert errors == [f"{cfg}:{typo}: % Invalid input detected at "
                      "'mytrustpoint1>' in \"sast1 trustpoint "
                      "mytrustpoint1>\""], err
    # Out-of-scope commands are reported as ignored, with line numbers.
    for word in ("interface GigabitEthernet0/0", "controller E1 1/0",
                 "isdn switch-type primary-net5", "voice-port 1/0/0",
                 "aaa new-model", "logging queue-limit 1000",
                 "line con 0", "webvpn context Default_context"):
        assert re.search(rf":\d+: ignored \(outside OpenCME's scope\): "
                         rf"{re.escape(word)}", err), word
    # The certificate chains are applied: the same hex comes back.
    hexlines = [l.strip() for l in cfg.read_text().splitlines()
                if re.fullmatch(r"\s*([0-9A-F]{2,8} ?)+", l)]
    for h in hexlines:
        assert h in out
    assert "sast2 trustpoint sast2" in out


def test_capf_example_reports_truncated_certificates_by_line():
    cfg = ROOT / "examples/chapter/capf-server.cfg"
    rc, out, err = check(cfg)
    dots = [n for n, l in enumerate(cfg.read_text().splitlines(), 1)
            if re.fullmatch(r"\s*\.+\s*", l)]
    assert rc == 1
    assert dots
    for n in dots:
        assert f"{cfg}:{n}: %" in err, (n, err)
