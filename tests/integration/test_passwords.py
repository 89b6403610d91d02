"""Password policy, type 6 (chapter Table 1), type 7, the master key."""
import os
import re
import stat

import pytest

import type6

POLICY_TEXT = (
    "Error: The password you have entered is incorrect.\n"
    "Your password must contain:\n"
    "1. A minimum of 6 and a maximum of 15 alphanumeric characters, "
    "excluding symbols and special characters.\n"
    "2. A minimum of one numeral, one uppercase alphabet, and one "
    "lowercase alphabet.\n")

ACCEPTED = ["Abcde1", "Passw0rd9", "A1b2C3d4E5f6G7h", "1aB111", "zzzzZ9"]
REJECTED = [
    "Abcd1",              # 5 characters
    "A1b2C3d4E5f6G7h8",   # 16 characters
    "abcdef1",            # no upper case
    "ABCDEF1",            # no lower case
    "Abcdefg",            # no digit
    "Abc de1",            # space: two words, see below
    "Abc_de1", "Abc-de1", "Abc!de1", "Abc$de1", "Abc.de1",
    "Abcdé12",            # non-ASCII letter
]


@pytest.mark.parametrize("pw", ACCEPTED)
def test_policy_accepts(daemon, pw):
    p = daemon.config_lines("telephony-service",
                            f"ssh userid admin password 0 {pw}")
    assert p.returncode == 0, p.stdout
    assert f" ssh userid admin password 0 {pw}\n" in daemon.running()


@pytest.mark.parametrize("pw", [r for r in REJECTED if " " not in r])
def test_policy_rejects_with_chapter_text(daemon, pw):
    p = daemon.config_lines("telephony-service",
                            f"ssh userid admin password 0 {pw}")
    assert p.returncode == 1
    assert POLICY_TEXT in p.stdout
    assert pw not in daemon.running()


def test_policy_space_is_not_one_password(daemon):
    p = daemon.config_lines("telephony-service",
                            "ssh userid admin password 0 Abc de1")
    assert p.returncode == 1
    assert "de1" not in daemon.running()


@pytest.mark.parametrize("cmd", [
    "ssh userid u1 password 0 {pw}",
    "service local-directory authenticate u1 0 {pw}",
    "xml user u1 password 0 {pw} 15",
    "standby user u1 password 0 {pw}",
    "url authentication http://127.0.0.1/auth app1 password 0 {pw}",
    "authentication credential app1 password 0 {pw}",
])
def test_policy_on_every_telephony_password_command(daemon, cmd):
    bad = daemon.config_lines("telephony-service", cmd.format(pw="weakpw"))
    assert bad.returncode == 1 and POLICY_TEXT in bad.stdout
    good = daemon.config_lines("telephony-service", cmd.format(pw="Good1pw"))
    assert good.returncode == 0, good.stdout
    run = daemon.running()
    assert "weakpw" not in run and "Good1pw" in run


def set_master_key(d, key="MasterKey1"):
    p = d.config_lines("key config-key password-encrypt",
                       "password encryption aes", stdin=f"{key}\n{key}\n")
    assert p.returncode == 0, p.stdout


def ssh_line(run):
    m = re.search(r"^ ssh userid admin password (\d) (\S+)$", run, re.M)
    assert m, run
    return m.group(1), m.group(2)


def test_table1_plain_input_with_encrypt_password_is_type6(daemon):
    set_master_key(daemon)
    daemon.config_lines("telephony-service",
                        "ssh userid admin password 0 Cisco123", check=True)
    typ, value = ssh_line(daemon.running())
    assert typ == "6"
    assert type6.decode("MasterKey1", value) == "Cisco123"


def test_table1_type6_input_with_encrypt_password_stays_type6(daemon):
    set_master_key(daemon)
    daemon.config_lines("telephony-service",
                        "ssh userid admin password 0 Cisco123", check=True)
    _, value = ssh_line(daemon.running())
    daemon.config_lines("telephony-service", "no ssh userid admin password "
                        "0 Cisco123", check=True)
    daemon.config_lines("telephony-service",
                        f"ssh userid admin password 6 {value}", check=True)
    assert ssh_line(daemon.running()) == ("6", value)


def test_table1_without_encrypt_password_is_plain_text(daemon):
    set_master_key(daemon)
    daemon.config_lines("telephony-service",
                        "ssh userid admin password 0 Cisco123", check=True)
    _, value = ssh_line(daemon.running())
    daemon.config_lines("telephony-service", "no encrypt password",
                        check=True)
    assert ssh_line(daemon.running()) == ("0", "Cisco123")
    # Type 6 input with `no encrypt password` is shown as plain text too.
    daemon.config_lines("telephony-service",
                        f"ssh userid admin password 6 {value}", check=True)
    assert ssh_line(daemon.running()) == ("0", "Cisco123")
    daemon.config_lines("telephony-service", "encrypt password", check=True)
    assert ssh_line(daemon.running())[0] == "6"


def test_type6_needs_password_encryption_aes(daemon):
    p = daemon.config_lines("key config-key password-encrypt",
                            stdin="MasterKey1\nMasterKey1\n")
    assert p.returncode == 0
    daemon.config_lines("telephony-service",
                        "ssh userid admin password 0 Cisco123", check=True)
    assert ssh_line(daemon.running()) == ("0", "Cisco123")


def test_rekey_reencrypts_every_password(daemon):
    set_master_key(daemon)
    daemon.config_lines("telephony-service",
                        "ssh userid admin password 0 Cisco123",
                        "standby user sb password 0 TopSecret7", check=True)
    _, before = ssh_line(daemon.running())
    p = daemon.config_lines("key config-key password-encrypt",
                            stdin="MasterKey1\nOtherKey22\nOtherKey22\n")
    assert p.returncode == 0, p.stdout
    run = daemon.running()
    _, after = ssh_line(run)
    assert after != before
    assert type6.decode("OtherKey22", after) == "Cisco123"
    with pytest.raises(ValueError):
        type6.decode("MasterKey1", after)
    sb = re.search(r" standby user sb password 6 (\S+)", run).group(1)
    assert type6.decode("OtherKey22", sb) == "TopSecret7"
    assert (daemon.state / "nvram" / "config-key").read_text() == \
        "OtherKey22"


def test_master_key_is_private_and_never_shown(daemon):
    set_master_key(daemon)
    path = daemon.state / "nvram" / "config-key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    daemon.cli("write memory", check=True)
    for text in (daemon.running(), daemon.config.read_text()):
        assert "MasterKey1" not in text
        assert "config-key" not in text


def test_master_key_shorter_than_8_is_refused(daemon):
    p = daemon.config_lines("key config-key password-encrypt",
                            stdin="short\n")
    assert p.returncode == 1
    assert "Key length less than 8 chars" in p.stdout
    assert not (daemon.state / "nvram" / "config-key").exists()


def test_master_key_deletion_asks_first(daemon):
    set_master_key(daemon)
    p = daemon.config_lines("no key config-key password-encrypt",
                            stdin="no\n")
    assert p.returncode == 1
    assert (daemon.state / "nvram" / "config-key").exists()
    p = daemon.config_lines("no key config-key password-encrypt",
                            stdin="yes\n")
    assert p.returncode == 0
    assert not (daemon.state / "nvram" / "config-key").exists()


def test_published_type6_vector_decodes_at_startup(daemons):
    d = daemons(None, name="vec", start=False)
    d.config.write_text(
        "password encryption aes\ntelephony-service\n no encrypt password\n"
        " ssh userid admin password 6 NdUI^_YP[VEPG[MT_bfTEFNZYFCYe\\R\\M\n")
    (d.state / "nvram").mkdir(parents=True)
    (d.state / "nvram" / "config-key").write_text("cisco123")
    d.start()
    # The vector's clear text is "password" (it predates the policy: the
    # saved configuration is accepted with a warning).
    assert " ssh userid admin password 0 password\n" in d.running()
    # The clear text "password" is itself redacted from the log line.
    assert "does not meet the Unified CME" in d.log_text()


def test_type7_input_is_decoded_and_printed_back(daemon):
    daemon.config_lines("username cisco password 7 0822455D0A16544541",
                        check=True)
    assert "username cisco password 7 0822455D0A16544541\n" in \
        daemon.running()
    p = daemon.config_lines("username bad password 7 08224")
    assert p.returncode == 1
