"""Bad input: clear messages, nothing lost, the daemon keeps serving."""
import socket
import struct
import subprocess

from conftest import OPENCMED


def frame(t, payload):
    return t.encode() + struct.pack(">I", len(payload)) + payload


def raw_session(daemon):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(str(daemon.state / "opencme.sock"))
    return s


def test_overlong_line_is_refused(daemon):
    p = daemon.cli("configure terminal", "hostname " + "a" * 5000)
    assert p.returncode == 1
    assert "Line too long" in p.stdout
    assert "hostname Router" in daemon.running()


def test_control_characters_are_refused(daemon):
    p = daemon.cli("configure terminal", "hostname A\x01B")
    assert p.returncode == 1
    assert "control characters" in p.stdout


def test_binary_garbage_on_control_socket_closes_only_that_session(daemon):
    good = raw_session(daemon)
    good.sendall(frame("I", b"pipe"))
    good.recv(4096)
    bad = raw_session(daemon)
    bad.sendall(b"\xff\x00\x00\x00\x04junk")
    assert bad.recv(4096) == b""          # closed by the daemon
    bad2 = raw_session(daemon)
    bad2.sendall(b"X\x7f\xff\xff\xff")     # absurd length
    assert bad2.recv(4096) == b""
    bad3 = raw_session(daemon)
    bad3.sendall(frame("X", b"show\x00run"))  # NUL inside a line
    assert bad3.recv(4096) == b""
    good.sendall(frame("X", b"show running-config"))
    data = b""
    while b"R" not in data[-64:] or not data.rstrip().endswith(b"#"):
        chunk = good.recv(65536)
        if not chunk:
            break
        data += chunk
    assert b"hostname Router" in data
    assert daemon.proc.poll() is None
    assert "closing it" in daemon.log_text()


def test_truncated_client_frame_then_disconnect(daemon):
    s = raw_session(daemon)
    s.sendall(b"X\x00\x00\x10\x00abc")
    s.close()
    assert daemon.cli("show running-config").returncode == 0


def test_unknown_commands_and_unbalanced_modes(daemon):
    p = daemon.cli("frobnicate", "exit", "exit")
    assert p.returncode == 1
    p = daemon.cli("configure terminal", "exit", "exit", "end", "end")
    assert "Router" in daemon.running()


def test_truncated_startup_config_reports_and_loads_the_rest(tmp_path):
    cfg = tmp_path / "trunc.cfg"
    cfg.write_text("hostname T1\ntelephony-service\n device-security-mo")
    p = subprocess.run([OPENCMED, "-n", "-f", str(cfg)], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 1
    assert f"{cfg}:3:" in p.stderr
    assert "hostname T1" in p.stdout


def test_binary_startup_config_is_reported_not_crashed(tmp_path):
    cfg = tmp_path / "bin.cfg"
    cfg.write_bytes(b"hostname B\n\x00\x01\x02\xff\xfe\ntelephony-service\n"
                    + bytes(range(256)) + b"\n")
    p = subprocess.run([OPENCMED, "-n", "-f", str(cfg)], capture_output=True,
                       timeout=10)
    assert p.returncode == 1
    assert b"hostname B" in p.stdout
