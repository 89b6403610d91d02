"""Music on hold in encrypted calls (issue 7; the chapter: "Music On Hold
(MOH) is not secure"; a secure call is negotiated down to RTP for MOH
and goes back to SRTP on resume, and the party being transferred is put
on hold the same way).  Two or three encrypted phones over TLS (the
fixture of test_sccp_srtp.py): when A holds, B gets an OpenReceiveChannel
without keys and no StartMediaTransmission, and plain RTP from the CME's
music-on-hold source whose payload is the audio of the .au file placed
as flash:music-on-hold.au; B's CallInfo loses the lock.  On resume both
get new keys, SRTP both ways that the independent RFC 3711 code of
test_sccp_srtp.py verifies, and the lock.  Without a playable file the
held party hears tone on hold.  A capture of the UDP traffic shows the
music in the clear and the phones' pattern never."""
import os
import socket
import struct
import subprocess
import time

import pytest

from test_sccp import pdu, start_capture, wait_for
from test_sccp_calls import (CONNECTED, HOLD, KEYPAD, ONHOOK_S, OFFHOOK,
                             RINGIN, pump_all)
from secure_fixture import (Srtp, drain, exchange, secure_cme,  # noqa: F401
                            tls_phones)

PATTERN = bytes(range(160))  # what exchange() sends inside SRTP


def au_file(audio, encoding=1, rate=8000, channels=1):
    """A Sun .au file: 24-byte header, an annotation, the data."""
    note = b"opencme test\0\0\0\0"
    return struct.pack(">4sIIIII", b".snd", 24 + len(note), len(audio),
                       encoding, rate, channels) + note + audio


def place_moh(d, data, name="music-on-hold.au"):
    (d.state / "flash" / name).write_bytes(data)
    d.config_lines("telephony-service", f"moh flash:{name}", check=True)


def call(a, b, number):
    a.dial(number)
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    pump_all([a, b], lambda: a.smt_addr and b.smt_addr and
             3 in a.info_security and 3 in b.info_security,
             "a secure call")


def rtp_to(phones, p, n, timeout=6.0):
    """The next n datagrams that reach p's RTP socket, while every phone
    answers its SCCP.  The relay legs of the call closed on hold (the
    source may even reuse a port of theirs): what comes is the music."""
    got, end = [], time.monotonic() + timeout
    p.rtp.settimeout(0.05)
    try:
        while len(got) < n:
            if time.monotonic() > end:
                raise AssertionError(f"{p.name}: {len(got)} of {n} "
                                     "music-on-hold packets")
            for q in phones:
                q.poll()
            try:
                got.append(p.rtp.recvfrom(2048))
            except socket.timeout:
                continue
    finally:
        p.rtp.settimeout(2)
    return got


def moh_port(d):
    """The source's port in `show voip rtp connections` (its MOH row)."""
    rtp = d.cli("show voip rtp connections", check=True).stdout
    rows = [x.split() for x in rtp.splitlines() if " MOH " in x]
    assert rows, rtp
    return int(rows[0][3])


def payload_in_order(pkts):
    """The RTP payloads of pkts, in sequence (one source)."""
    for pkt, _ in pkts:
        assert pkt[0] == 0x80 and pkt[1] == 0, pkt[:2]  # v2, PCMU
        assert len(pkt) == 12 + 160, len(pkt)
    # Loopback keeps the order: consecutive sequence numbers (mod 2^16).
    seqs = [struct.unpack(">H", p[2:4])[0] for p, _ in pkts]
    assert all((seqs[i + 1] - seqs[i]) & 0xFFFF == 1
               for i in range(len(seqs) - 1)), seqs
    assert len({p[8:12] for p, _ in pkts}) == 1  # one SSRC
    return b"".join(p[12:] for p, _ in pkts)


_captures = []


@pytest.fixture(autouse=True)
def _stop_captures():
    """A test that fails before reading its capture leaves no dumpcap
    running behind it."""
    yield
    while _captures:
        proc = _captures.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def start_udp_capture(tmp_path, ports):
    """UDP to or from the phones' RTP sockets (both ends of every secure
    leg and of the music; other tests on this machine use loopback too)."""
    proc, pcap = start_capture(tmp_path, ports, proto="udp")
    _captures.append(proc)
    return proc, pcap


def udp_payloads(proc, pcap):
    """(src port, dst port, payload) of every captured UDP datagram."""
    time.sleep(0.3)
    proc.terminate()
    proc.wait(timeout=10)
    p = subprocess.run(["tshark", "-r", str(pcap), "-T", "fields",
                        "-e", "udp.srcport", "-e", "udp.dstport",
                        "-e", "udp.payload"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = []
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if len(f) == 3 and f[2]:
            out.append((int(f[0]), int(f[1]),
                        bytes.fromhex(f[2].replace(":", ""))))
    return out


def test_hold_plays_the_moh_file_in_rtp_then_resume_is_srtp_again(
        secure_cme, tmp_path):
    d = secure_cme
    audio = os.urandom(4000)  # half a second of "music", recognisable
    place_moh(d, au_file(audio))
    a, b = tls_phones(d)
    cap, pcap = start_udp_capture(tmp_path, [a.rtp_port, b.rtp_port])
    call(a, b, "1002")
    assert exchange(a, b, 100) == 5 and exchange(b, a, 300) == 5
    relay = {a.smt_addr, b.smt_addr}
    old_keys = a.all_keys() | b.all_keys()
    smts_b = len(b.smts)
    ref = a.ref()
    drain(b.rtp, quiet=0.05)
    a.softkey(3, ref)                                    # Hold
    pump_all([a, b], lambda: a.state() == HOLD and
             any(k == "rx" for k, _ in b.plain) and
             b.info_security[-1] == 1, "music on hold offered to B")
    # B: a receive channel without keys, no transmission asked of it.
    assert b.state() == CONNECTED
    pkts = rtp_to([a, b], b, 30)
    moh_src = ("127.0.0.1", moh_port(d))
    assert {src for _, src in pkts} == {moh_src}
    heard = payload_in_order(pkts)
    assert heard in audio * (len(heard) // len(audio) + 2), \
        "B hears the .au file's audio, looped"
    assert len(b.smts) == smts_b
    assert b.info_security[-1] == 1                      # no lock
    # A (the one who holds) gets nothing.
    a.rtp.settimeout(0.3)
    with pytest.raises(socket.timeout):
        a.rtp.recvfrom(2048)
    # The show commands: plain RTP from the source, no keys.
    rtp = d.cli("show voip rtp connections", check=True).stdout
    row = [x for x in rtp.splitlines() if " MOH " in x]
    assert len(row) == 1 and " RTP " in row[0] and \
        str(moh_src[1]) in row[0] and "music on hold" in row[0], rtp
    off = d.cli("show ephone offhook", check=True).stdout
    assert "music on hold (moh file, RTP, not secure)" in off, off
    # Resume: the music stops, new keys for both, SRTP both ways, lock.
    n_keys = (len(a.keys), len(b.keys))
    a.smt_addr = b.smt_addr = None
    a.softkey(10, ref)
    pump_all([a, b], lambda: a.smt_addr and b.smt_addr and
             len(a.keys) >= n_keys[0] + 2 and len(b.keys) >= n_keys[1] + 2
             and a.info_security[-1] == 3 and b.info_security[-1] == 3,
             "a new secure stream")
    new_keys = {a.key("tx"), a.key("rx"), b.key("tx"), b.key("rx")}
    assert len(new_keys) == 4 and not (new_keys & old_keys)
    assert exchange(a, b, 1000) == 5 and exchange(b, a, 2000) == 5
    # The source no longer sends to B: nothing comes (A is silent).
    time.sleep(0.2)
    drain(b.rtp, quiet=0.05)
    b.rtp.settimeout(0.5)
    with pytest.raises(socket.timeout):
        b.rtp.recvfrom(2048)
    rtp = d.cli("show voip rtp connections", check=True).stdout
    assert " MOH " not in rtp, rtp
    a.send(pdu(0x07))                                     # OnHook
    pump_all([a, b], lambda: b.state() == ONHOOK_S, "hang-up")
    # On the wire: the music in the clear (so the capture works), the
    # pattern the phones sent inside SRTP never.
    dgrams = udp_payloads(cap, pcap)
    assert any(sp == moh_src[1] and p[12:] and p[12:] in audio * 2
               for sp, _, p in dgrams), "no music on hold captured"
    relay_ports = {x[1] for x in relay} | {a.smt_addr[1], b.smt_addr[1]}
    assert sum(1 for sp, dp, _ in dgrams
               if sp in relay_ports or dp in relay_ports) >= 40
    leaks = [(sp, dp) for sp, dp, p in dgrams if PATTERN[:32] in p]
    assert not leaks, f"plaintext pattern on the wire: {leaks[:5]}"


def test_without_a_playable_file_the_held_party_hears_tone_on_hold(
        secure_cme):
    d = secure_cme
    a, b = tls_phones(d)
    call(a, b, "1002")
    ref = a.ref()
    drain(b.rtp, quiet=0.05)
    a.softkey(3, ref)
    pump_all([a, b], lambda: any(k == "rx" for k, _ in b.plain),
             "music on hold offered to B")
    # No moh configured: tone on hold, a beep then silence.
    tone = payload_in_order(rtp_to([a, b], b, 20))
    assert any(x != 0xFF for x in tone), "tone on hold is silent"
    off = d.cli("show ephone offhook", check=True).stdout
    assert "tone on hold, RTP, not secure" in off, off
    a.softkey(10, ref)
    pump_all([a, b], lambda: b.info_security[-1] == 3, "resumed")
    # A file that is not 8-bit mu-law: refused by name, tone again.
    place_moh(d, au_file(b"\0\1" * 2000, encoding=3), "linear.au")
    b.plain.clear()
    drain(b.rtp, quiet=0.05)
    a.softkey(3, ref)
    pump_all([a, b], lambda: any(k == "rx" for k, _ in b.plain),
             "music on hold offered again")
    tone = payload_in_order(rtp_to([a, b], b, 20))
    assert any(x != 0xFF for x in tone)
    wait_for(lambda: "music on hold file flash:linear.au: .au encoding "
             "is not 8-bit mu-law" in d.log_text(), "the log line")


def test_transferee_hears_moh_in_rtp_then_is_secure_with_the_third(
        secure_cme):
    d = secure_cme
    audio = os.urandom(3200)
    place_moh(d, au_file(audio))
    a, b, c = tls_phones(d, 3)
    call(a, b, "1002")
    held = a.ref()
    drain(b.rtp, quiet=0.05)
    a.softkey(4, held)                                   # Transfer
    pump_all([a, b], lambda: a.state() == 1 and a.ref() != held and
             any(k == "rx" for k, _ in b.plain) and
             b.info_security[-1] == 1, "consultation, B on hold")
    heard = payload_in_order(rtp_to([a, b, c], b, 15))
    assert heard in audio * (len(heard) // len(audio) + 2)
    consult = a.ref()
    for ch in "1003":
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, consult)))
    c.wait_state(RINGIN)
    c.send(pdu(OFFHOOK))
    pump_all([a, b, c], lambda: (CONNECTED, consult) in a.states and
             c.smt_addr and 3 in c.info_security, "A and C, secure")
    old = b.all_keys()
    n_b = len(b.keys)
    b.smt_addr = c.smt_addr = None
    a.softkey(4, consult)                                # Transfer again
    pump_all([a, b, c], lambda: (ONHOOK_S, held) in a.states and
             (ONHOOK_S, consult) in a.states and b.smt_addr and
             c.smt_addr and len(b.keys) >= n_b + 2 and
             b.info_security[-1] == 3 and c.info_security[-1] == 3,
             "B and C, secure")
    assert not ({b.key("tx"), b.key("rx")} & old)
    assert exchange(b, c, 10) == 5 and exchange(c, b, 50) == 5
