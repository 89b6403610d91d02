"""The opencme CLI: -c lines, exit status, scripts, questions, a real
terminal with `?` help and tab completion."""
import os
import pty
import select
import time

from conftest import OPENCME


def test_lines_run_in_order_starting_in_privileged_exec(daemon):
    p = daemon.cli("configure terminal", "telephony-service",
                   "device-security-mode encrypted", "end",
                   "show telephony-service security-info")
    assert p.returncode == 0, p.stdout
    assert "Global Device Security Mode: Encrypted" in p.stdout


def test_exit_status_is_nonzero_when_a_line_fails(daemon):
    p = daemon.cli("configure terminal", "telephony-service",
                   "device-security-mode sideways", "end")
    assert p.returncode == 1
    assert "% Invalid input detected" in p.stdout
    assert "sideways" in p.stdout


def test_abbreviations_and_no_forms(daemon):
    daemon.cli("conf t", "telephony-s", "device-sec auth", "cnf-file perph",
               "end", check=True)
    run = daemon.running()
    assert " device-security-mode authenticated\n" in run
    daemon.cli("conf t", "telephony-service", "no device-security-mode",
               "no cnf-file perphone", "end", check=True)
    run = daemon.running()
    assert "device-security-mode" not in run
    assert "cnf-file perphone" not in run


def test_ambiguous_and_incomplete_commands(daemon):
    p = daemon.cli("conf t", "telephony-service", "se")
    assert p.returncode == 1 and "% Ambiguous command" in p.stdout
    p = daemon.cli("conf t", "telephony-service", "secure-signaling")
    assert p.returncode == 1 and "% Incomplete command" in p.stdout


def test_do_runs_exec_commands_in_config_mode(daemon):
    p = daemon.cli("conf t", "do show telephony-service security-info")
    assert p.returncode == 0
    assert "Server Security Mode" in p.stdout


def test_script_on_standard_input(daemon):
    script = ("configure terminal\ntelephony-service\n"
              "device-security-mode encrypted\nend\n"
              "show telephony-service security-info\n")
    p = daemon.cli(stdin=script)
    assert p.returncode == 0, p.stdout
    assert "Router(config-telephony)#device-security-mode encrypted" in \
        p.stdout
    assert "Global Device Security Mode: Encrypted" in p.stdout


def test_questions_are_answered_from_standard_input(daemon):
    p = daemon.cli("configure terminal", "key config-key password-encrypt",
                   stdin="MasterKey1\nMasterKey1\n")
    assert p.returncode == 0, p.stdout
    assert "New key:" in p.stdout and "Confirm key:" in p.stdout
    assert "MasterKey1" not in p.stdout
    p = daemon.cli("configure terminal", "key config-key password-encrypt",
                   stdin="WrongKey99\n")
    assert p.returncode == 1
    assert "Invalid old key" in p.stdout


def test_unreachable_daemon_is_a_clear_error(tmp_path):
    import subprocess
    p = subprocess.run([OPENCME, "-d", str(tmp_path), "-c", "show run"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert "cannot reach opencmed" in p.stderr


def _read_until(fd, needle, timeout=10):
    out = b""
    deadline = time.time() + timeout
    while needle.encode() not in out and time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out.decode(errors="replace")


def test_terminal_help_completion_and_prompts(daemon):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(OPENCME, [OPENCME, "-d", str(daemon.state)])
    try:
        assert "Router#" in _read_until(fd, "Router#")
        os.write(fd, b"conf t\r")
        assert "Router(config)#" in _read_until(fd, "Router(config)#")
        os.write(fd, b"telephony-service\r")
        _read_until(fd, "(config-telephony)#")
        os.write(fd, b"device-security-mode ?")
        out = _read_until(fd, "none")
        assert "authenticated" in out and "encrypted" in out
        # Finish the word with tab completion, then run the line.
        os.write(fd, b"enc\t")
        out = _read_until(fd, "encrypted ")
        os.write(fd, b"\r")
        _read_until(fd, "(config-telephony)#")
        os.write(fd, b"device-security-mode sideways\r")
        out = _read_until(fd, "marker.")
        assert "^" in out and "% Invalid input detected at '^' marker." \
            in out
        os.write(fd, b"end\r")
        _read_until(fd, "Router#")
        os.write(fd, b"exit\r")
    finally:
        deadline = time.time() + 10
        while time.time() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            _read_until(fd, "\x00", timeout=0.2)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    assert " device-security-mode encrypted\n" in daemon.running()
