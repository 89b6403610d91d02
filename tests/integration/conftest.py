"""Integration tests: real opencmed daemons on loopback, driven from the
outside with the opencme CLI (and raw sockets for bad input).

Every daemon a test starts writes its log to a file; when the daemon
stops, the log is scanned for every secret the test registered (through
the `secrets` fixture) and for the secrets every test shares
(KNOWN_SECRETS).  A secret in a log fails the test.
"""
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("OPENCME_BUILD", ROOT / "build"))
OPENCMED = str(BUILD / "opencmed")
OPENCME = str(BUILD / "opencme")

# Passwords and keys the suites use; none may appear in any log.
KNOWN_SECRETS = {"Cisco123", "MasterKey1", "OtherKey22", "Secret12",
                 "Demo1234", "Passw0rd9", "TopSecret7"}


class Daemon:
    def __init__(self, tmp, config_text="", name="cme", extra_args=()):
        self.dir = pathlib.Path(tmp) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = self.dir / "state"
        self.config = self.dir / "startup.cfg"
        if config_text is not None:
            self.config.write_text(config_text)
        self.log = self.dir / "opencmed.log"
        self.extra_args = list(extra_args)
        self.proc = None

    def start(self, wait=True):
        self._logf = open(self.log, "a")
        self.proc = subprocess.Popen(
            [OPENCMED, "-v", "-f", str(self.config), "-d", str(self.state)]
            + self.extra_args, stdout=self._logf, stderr=self._logf)
        if wait:
            sock = self.state / "opencme.sock"
            deadline = time.time() + 10
            while time.time() < deadline:
                if sock.exists():
                    return self
                if self.proc.poll() is not None:
                    raise RuntimeError("opencmed exited: " +
                                       self.log.read_text())
                time.sleep(0.02)
            raise RuntimeError("opencmed did not open its socket")
        return self

    def cli(self, *lines, stdin=None, check=False, timeout=30):
        args = [OPENCME, "-d", str(self.state)]
        for line in lines:
            args += ["-c", line]
        p = subprocess.run(args, input=stdin, capture_output=True,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{lines} failed: {p.stdout}{p.stderr}")
        return p

    def config_lines(self, *lines, **kw):
        return self.cli("configure terminal", *lines, "end", **kw)

    def running(self):
        return self.cli("show running-config", check=True).stdout

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._logf.close()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() \
            else ""


@pytest.fixture
def secrets():
    """Secrets the test uses; checked against every daemon log."""
    return set(KNOWN_SECRETS)


@pytest.fixture
def daemons(tmp_path, secrets):
    started = []

    def make(config_text="", name="cme", start=True, **kw):
        d = Daemon(tmp_path, config_text, name=name, **kw)
        started.append(d)
        if start:
            d.start()
        return d

    yield make
    for d in started:
        d.stop()
    for d in started:
        # Test directory names carry parameters: not the daemon's doing.
        text = d.log_text().replace(str(tmp_path), "<tmp>")
        leaked = sorted(s for s in secrets if s and s in text)
        assert not leaked, f"secret(s) {leaked} in {d.log}:\n{text}"


@pytest.fixture
def daemon(daemons):
    return daemons("hostname Router\n")
