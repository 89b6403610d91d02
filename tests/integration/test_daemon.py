"""opencmed lifecycle: state directory, control socket, save, reload."""
import os
import signal
import stat
import subprocess
import time

from conftest import OPENCMED, Daemon


def test_state_directory_layout_and_socket_mode(daemon):
    for sub in ("flash", "slot0", "nvram", "db"):
        assert (daemon.state / sub).is_dir()
    mode = stat.S_IMODE(os.stat(daemon.state / "opencme.sock").st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(daemon.state).st_mode) == 0o700


def test_sigterm_stops_cleanly_and_removes_socket(daemon):
    assert daemon.stop() == 0
    assert not (daemon.state / "opencme.sock").exists()
    assert "opencmed stopped" in daemon.log_text()


def test_write_memory_is_atomic_and_keeps_backup(daemon):
    daemon.config_lines("hostname Saved1", check=True)
    p = daemon.cli("write memory", check=True)
    assert "[OK]" in p.stdout
    text = daemon.config.read_text()
    assert "hostname Saved1\n" in text
    backup = daemon.config.with_name(daemon.config.name + ".bak")
    assert backup.read_text() == "hostname Router\n"
    assert stat.S_IMODE(os.stat(daemon.config).st_mode) == 0o600
    assert daemon.cli("show startup-config").stdout == text


def test_failed_write_memory_leaves_old_file_intact(daemon):
    daemon.cli("write memory", check=True)
    before = daemon.config.read_text()
    daemon.config_lines("hostname Unsaved", check=True)
    pid = int((daemon.state / "opencmed.pid").read_text())
    # The daemon writes CONFIG.tmp.<pid> first: make that impossible.
    blocker = daemon.config.with_name(f"{daemon.config.name}.tmp.{pid}")
    blocker.mkdir()
    p = daemon.cli("write memory")
    assert p.returncode == 1
    assert "Cannot create" in p.stdout
    assert daemon.config.read_text() == before
    blocker.rmdir()
    daemon.cli("write memory", check=True)
    assert "hostname Unsaved" in daemon.config.read_text()


def test_sighup_reloads_startup_config(daemon):
    daemon.config.write_text("hostname Reloaded\n")
    daemon.signal(signal.SIGHUP)
    for _ in range(100):
        if "hostname Reloaded" in daemon.running():
            break
        time.sleep(0.05)
    assert "hostname Reloaded" in daemon.running()


def test_sighup_with_broken_config_keeps_running_config(daemon):
    daemon.config_lines("hostname Keep1", check=True)
    daemon.config.write_text("hostname Bad\ntelephony-service\n "
                             "device-security-mode sideways\n")
    daemon.signal(signal.SIGHUP)
    for _ in range(100):
        if "reload of" in daemon.log_text() and "failed" in \
                daemon.log_text():
            break
        time.sleep(0.05)
    assert "hostname Keep1" in daemon.running()
    assert "the running configuration is unchanged" in daemon.log_text()


def test_second_daemon_on_same_state_is_refused(daemons):
    a = daemons("hostname A\n", name="a")
    b = Daemon(a.dir.parent, None, name="a")
    b.config = a.config
    p = subprocess.run([OPENCMED, "-f", str(a.config), "-d", str(a.state)],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert "another opencmed is running" in p.stderr
    assert a.cli("show running-config").returncode == 0


def test_missing_config_file_is_a_clear_error(tmp_path):
    p = subprocess.run([OPENCMED, "-f", str(tmp_path / "nope.cfg"), "-d",
                        str(tmp_path / "s")], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode != 0
    assert "nope.cfg" in p.stderr and "No such file" in p.stderr


def test_unusable_state_directory_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    p = subprocess.run([OPENCMED, "-d", str(tmp_path / "file" / "s")],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert "state directory" in p.stderr


def test_default_startup_config_in_nvram(tmp_path):
    d = Daemon(tmp_path, None, name="nv")
    proc = subprocess.Popen([OPENCMED, "-d", str(d.state)],
                            stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if (d.state / "opencme.sock").exists():
                break
            time.sleep(0.02)
        d.cli("configure terminal", "hostname NvramHost", "end",
              "write memory", check=True)
        assert "hostname NvramHost" in \
            (d.state / "nvram" / "startup-config").read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
