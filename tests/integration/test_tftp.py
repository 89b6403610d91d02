"""TFTP server: real opencmed on 127.0.0.1 serving files from
STATEDIR/flash/, fetched with tftp-hpa's `tftp`, curl and a raw Python
UDP socket (malformed packets, foreign transfer IDs)."""
import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import time

import pytest

TFTP = shutil.which("tftp")
CURL = shutil.which("curl")


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rrq(name, mode=b"octet", opts=(), op=1):
    if isinstance(name, str):
        name = name.encode()
    b = struct.pack(">H", op) + name + b"\0" + mode + b"\0"
    for k, v in opts:
        b += k + b"\0" + v + b"\0"
    return b


def ack(n):
    return struct.pack(">HH", 4, n & 0xFFFF)


def udp(timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(timeout)
    return s


def recv_or_none(s, timeout=0.5):
    s.settimeout(timeout)
    try:
        return s.recvfrom(70000)
    except socket.timeout:
        return None


def error_code(pkt):
    op, code = struct.unpack(">HH", pkt[:4])
    assert op == 5, pkt
    return code


def raw_fetch(port, name, opts=()):
    """Lock-step fetch with a raw socket; returns the bytes."""
    s = udp()
    s.sendto(rrq(name, opts=opts), ("127.0.0.1", port))
    out = b""
    blksize = 512
    expect = 1
    while True:
        pkt, peer = s.recvfrom(70000)
        op = struct.unpack(">H", pkt[:2])[0]
        if op == 6:
            m = re.search(rb"blksize\0(\d+)\0", pkt)
            if m:
                blksize = int(m.group(1))
            s.sendto(ack(0), peer)
            continue
        assert op == 3, pkt
        blk = struct.unpack(">H", pkt[2:4])[0]
        assert blk == expect & 0xFFFF
        out += pkt[4:]
        s.sendto(ack(blk), peer)
        expect += 1
        if len(pkt) - 4 < blksize:
            break
    s.close()
    return out


def show(d, what="show tftp-server"):
    return d.cli(what, check=True).stdout


def counter(text, label):
    m = re.search(r"(\d+) " + re.escape(label), text) or \
        re.search(re.escape(label) + r":? (\d+)", text)
    assert m, f"{label!r} not in:\n{text}"
    return int(m.group(1))


@pytest.fixture
def files(tmp_path):
    data = {
        "small.bin": os.urandom(4096),
        "odd.bin": os.urandom(1428 * 3 + 17),
        "text.txt": b"line one\nline two\r\nbare\rCR\n",
        "SEP001122334455.cnf.xml": b"<device></device>\n",
    }
    return data


@pytest.fixture
def tftpd(daemons, tmp_path, files):
    port = free_udp_port()
    cfg = (f"hostname Router\n"
           f"tftp-server source-address 127.0.0.1 port {port}\n"
           "tftp-server flash:small.bin\n"
           "tftp-server flash:odd.bin\n"
           "tftp-server flash:text.txt alias alias.txt\n"
           "tftp-server flash:SEP001122334455.cnf.xml\n")
    d = daemons(cfg, start=False)
    (d.state / "flash").mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (d.state / "flash" / name).write_bytes(blob)
    d.start()
    d.port = port
    return d


needs_tftp = pytest.mark.skipif(TFTP is None, reason="tftp-hpa not installed")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl not installed")


def hpa(port, *cmd, cwd=None, timeout=30):
    return subprocess.run([TFTP, "127.0.0.1", str(port)] + list(cmd),
                          capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)


@needs_tftp
def test_tftp_hpa_fetches_binary_alias_and_leading_slash(tftpd, tmp_path,
                                                         files):
    out = tmp_path / "out"
    for name, want in [("small.bin", files["small.bin"]),
                       ("odd.bin", files["odd.bin"]),
                       ("/small.bin", files["small.bin"]),
                       ("alias.txt", files["text.txt"])]:
        if out.exists():
            out.unlink()
        p = hpa(tftpd.port, "-m", "binary", "-c", "get", name, str(out))
        assert p.returncode == 0 and "Error" not in p.stdout + p.stderr, p
        assert out.read_bytes() == want, name
    # netascii is translated on the wire and back by the client.
    out.unlink()
    p = hpa(tftpd.port, "-m", "ascii", "-c", "get", "alias.txt", str(out))
    assert out.read_bytes() == files["text.txt"]
    text = show(tftpd)
    assert "listening on 127.0.0.1 port %d" % tftpd.port in text
    assert counter(text, "completed") >= 5
    files_text = show(tftpd, "show tftp-server files")
    assert re.search(r"alias\.txt\s+%d\s+flash:text.txt" %
                     len(files["text.txt"]), files_text)
    assert "4 files" in files_text


@needs_curl
def test_curl_fetches_with_default_and_1428_blocks(tftpd, tmp_path, files):
    for extra in ([], ["--tftp-blksize", "1428"], ["--tftp-blksize", "8"]):
        for name in ("small.bin", "odd.bin"):
            p = subprocess.run(
                [CURL, "-s", "-S", "--max-time", "20"] + extra +
                [f"tftp://127.0.0.1:{tftpd.port}/{name}"],
                capture_output=True, timeout=30)
            assert p.returncode == 0, p.stderr
            assert p.stdout == files[name], (extra, name)
    # blksize and tsize answered in an OACK.
    s = udp()
    s.sendto(rrq("odd.bin", opts=[(b"blksize", b"1428"), (b"tsize", b"0")]),
             ("127.0.0.1", tftpd.port))
    pkt, peer = s.recvfrom(2000)
    assert pkt[:2] == b"\0\6"
    assert b"blksize\x001428\0" in pkt
    assert b"tsize\x00%d\0" % len(files["odd.bin"]) in pkt
    s.sendto(ack(0), peer)
    pkt, _ = s.recvfrom(2000)
    assert pkt[:4] == b"\0\3\0\1" and len(pkt) == 4 + 1428
    s.sendto(struct.pack(">HH", 5, 0) + b"bye\0", peer)
    s.close()


@needs_tftp
def test_not_found_traversal_and_writes_are_refused(tftpd, tmp_path):
    out = str(tmp_path / "x")
    cases = [("nothere.bin", 1), ("SMALL.BIN", 1), ("../small.bin", 2),
             ("../../etc/passwd", 2), ("/etc/passwd", 2),
             ("flash/../small.bin", 2), ("..\\small.bin", 2)]
    for name, code in cases:
        p = hpa(tftpd.port, "-m", "binary", "-c", "get", name, out)
        assert f"Error code {code}" in p.stdout + p.stderr, (name, p)
    src = tmp_path / "up.bin"
    src.write_bytes(b"upload")
    p = hpa(tftpd.port, "-m", "binary", "-c", "put", str(src), "up.bin",
            cwd=str(tmp_path))
    assert "Error code 2" in p.stdout + p.stderr, p
    assert not (tftpd.state / "flash" / "up.bin").exists()
    text = show(tftpd)
    assert counter(text, "not found") == 2
    assert counter(text, "access violation") == 5
    assert counter(text, "write") == 1


def test_malformed_packets_get_errors_or_silence(tftpd):
    port = tftpd.port
    s = udp()
    before = counter(show(tftpd), "Malformed packets")
    expect_error = [
        (b"\0\1no-nul-anywhere", 4),
        (b"\0\1file\0", 4),  # no mode
        (b"\0\1small.bin\0mail\0", 4),
        (b"\0\x09xx", 4),  # unknown opcode
        (b"\0\1small.bin\0octet\0blksize\0" b"7\0", 8),
        (b"\0\1small.bin\0octet\0blksize\0" b"1\0blksize\0" b"2\0", 8),
        (b"\0\1small.bin\0octet\0timeout\0" b"999\0", 8),
        (b"\0\1small.bin\0octet\0" +
         b"".join(b"opt%d\0v\0" % i for i in range(200)), 8),
    ]
    for pkt, code in expect_error:
        s.sendto(pkt, ("127.0.0.1", port))
        got = recv_or_none(s, 2.0)
        assert got is not None, pkt
        assert error_code(got[0]) == code, (pkt, got)
    silent = [b"", b"\0", b"\xff\xff\xff", b"\0\4\0\1", b"\0\3\0\1data",
              b"\0\5\0\1oops\0", b"\0\5\0"]
    for pkt in silent:
        s.sendto(pkt, ("127.0.0.1", port))
        assert recv_or_none(s, 0.2) is None, pkt
    # Unknown options alone are ignored: plain DATA 1, no OACK.
    s.sendto(rrq("small.bin", opts=[(b"x-weird", b"1")]), ("127.0.0.1", port))
    pkt, peer = s.recvfrom(2000)
    assert pkt[:4] == b"\0\3\0\1"
    s.sendto(b"\0\5\0\0done\0", peer)
    s.close()
    text = show(tftpd)
    assert counter(text, "Malformed packets") >= before + 12
    assert counter(text, "option") >= 4
    # Still serving.
    assert raw_fetch(port, "small.bin") == \
        (tftpd.state / "flash" / "small.bin").read_bytes()


def test_ack_from_another_port_gets_error_5_and_transfer_goes_on(tftpd,
                                                                  files):
    a, b = udp(), udp()
    a.sendto(rrq("odd.bin"), ("127.0.0.1", tftpd.port))
    pkt, peer = a.recvfrom(2000)
    assert pkt[:4] == b"\0\3\0\1"
    got = pkt[4:]
    b.sendto(ack(1), peer)  # an intruder
    err, frm = b.recvfrom(2000)
    assert frm == peer and error_code(err) == 5
    assert recv_or_none(a, 0.2) is None  # nothing extra to the client
    blk = 1
    while True:
        a.sendto(ack(blk), peer)
        pkt, _ = a.recvfrom(2000)
        blk += 1
        assert struct.unpack(">H", pkt[2:4])[0] == blk
        got += pkt[4:]
        if len(pkt) < 516:
            a.sendto(ack(blk), peer)
            break
    assert got == files["odd.bin"]
    # Duplicate ACKs never trigger a resend (Sorcerer's Apprentice).
    a.sendto(rrq("small.bin"), ("127.0.0.1", tftpd.port))
    pkt, peer = a.recvfrom(2000)
    a.sendto(ack(1), peer)
    pkt, _ = a.recvfrom(2000)
    assert pkt[:4] == b"\0\3\0\2"
    a.sendto(ack(1), peer)
    assert recv_or_none(a, 0.3) is None
    a.sendto(b"\0\5\0\0bye\0", peer)
    text = show(tftpd)
    assert counter(text, "wrong transfer ID") == 1
    a.close()
    b.close()


def test_retransmits_when_acks_stop(tftpd):
    s = udp()
    s.sendto(rrq("small.bin"), ("127.0.0.1", tftpd.port))
    first, peer = s.recvfrom(2000)
    t0 = time.time()
    again, peer2 = s.recvfrom(2000)  # no ACK: the same block again
    assert again == first and peer2 == peer
    assert 0.7 < time.time() - t0 < 2.5
    # A repeated RRQ from the same port does not start a second transfer.
    s.sendto(rrq("small.bin"), ("127.0.0.1", tftpd.port))
    assert recv_or_none(s, 0.3) is None
    s.sendto(b"\0\5\0\0bye\0", peer)
    s.close()
    text = show(tftpd)
    assert counter(text, "retransmitted") >= 1
    assert counter(text, "duplicate") == 1


def test_rate_limit_refuses_a_flood_then_recovers(tftpd):
    socks = [udp() for _ in range(160)]
    for s in socks:
        s.sendto(rrq("nothere"), ("127.0.0.1", tftpd.port))
    answered = sum(1 for s in socks if recv_or_none(s, 0.3) is not None)
    for s in socks:
        s.close()
    assert answered < 160
    assert counter(show(tftpd), "rate limit") >= 160 - answered
    deadline = time.time() + 5
    while True:
        try:
            assert raw_fetch(tftpd.port, "small.bin")
            break
        except socket.timeout:
            assert time.time() < deadline


def test_configuration_changes_publish_and_rebind(tftpd, tmp_path):
    (tftpd.state / "flash" / "late.bin").write_bytes(b"late" * 300)
    s = udp()
    s.sendto(rrq("late.bin"), ("127.0.0.1", tftpd.port))
    assert error_code(s.recvfrom(2000)[0]) == 1
    tftpd.config_lines("tftp-server flash:late.bin", check=True)
    assert raw_fetch(tftpd.port, "late.bin") == b"late" * 300
    # A file changed on disk is served in its new version.
    (tftpd.state / "flash" / "late.bin").write_bytes(b"new!" * 10)
    time.sleep(1.1)
    assert raw_fetch(tftpd.port, "late.bin") == b"new!" * 10
    tftpd.config_lines("no tftp-server flash:late.bin", check=True)
    s.sendto(rrq("late.bin"), ("127.0.0.1", tftpd.port))
    assert error_code(s.recvfrom(2000)[0]) == 1
    # load-cfg-file entries are served under their alias.
    (tftpd.state / "flash" / "Ringlist.xml").write_bytes(b"<ring/>")
    tftpd.config_lines("telephony-service",
                       "load-cfg-file flash:Ringlist.xml alias Rings.xml",
                       check=True)
    assert raw_fetch(tftpd.port, "Rings.xml") == b"<ring/>"
    port2 = free_udp_port()
    tftpd.config_lines(f"tftp-server source-address 127.0.0.1 port {port2}",
                       check=True)
    assert raw_fetch(port2, "small.bin")
    assert "port %d" % port2 in show(tftpd)
    s.close()


@needs_tftp
def test_file_over_32mb_wraps_block_numbers(daemons, tmp_path):
    port = free_udp_port()
    d = daemons(f"tftp-server source-address 127.0.0.1 port {port}\n"
                "tftp-server flash:big.bin\n", start=False)
    (d.state / "flash").mkdir(parents=True, exist_ok=True)
    size = 65536 * 512 + 512 * 40 + 123  # past block 65535 at 512 bytes
    blob = os.urandom(size)
    (d.state / "flash" / "big.bin").write_bytes(blob)
    d.start()
    out = tmp_path / "big.out"
    t0 = time.time()
    p = hpa(port, "-m", "binary", "-c", "get", "big.bin", str(out),
            timeout=60)
    assert p.returncode == 0, p
    assert hashlib.sha256(out.read_bytes()).hexdigest() == \
        hashlib.sha256(blob).hexdigest()
    assert time.time() - t0 < 20
    text = show(d)
    assert counter(text, "Bytes sent") >= size
