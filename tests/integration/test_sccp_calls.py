"""Calls between phones over SCCP, driven from the outside by raw SCCP
clients on TCP (the phones of mode none): off-hook, digits, ringing,
answer, media set-up (OpenReceiveChannel to both, then
StartMediaTransmission to each with the other's address), hold/resume
with a new stream, busy, transfer and hang-up, with the CallState each
phone receives.  The call logic itself is unit-tested in
tests/unit/test_callctl.c; this checks the SCCP face of it."""
import socket
import struct
import subprocess
import time

import pytest

from test_sccp import (RawPhone, free_sccp_port, pdu, register_pdu,
                       sccp_show, skinny_messages, start_capture,
                       stop_capture, wait_for)

CALL_STATE, CALL_INFO, ORC, SMT = 0x111, 0x8F, 0x105, 0x8A
CLOSE_RX, STOP_TX, SET_RINGER, START_TONE = 0x106, 0x8B, 0x85, 0x82
OFFHOOK, ONHOOK, KEYPAD, SOFTKEY, ORC_ACK = 0x06, 0x07, 0x03, 0x26, 0x22
ONHOOK_S, RINGOUT, RINGIN, CONNECTED, BUSY, HOLD = 2, 3, 4, 5, 6, 8


def config(sp):
    return "\n".join([
        "hostname CME1", "telephony-service",
        f" ip source-address 127.0.0.1 port {sp}", " keepalive 30",
        " no auto-reg-ephone", " max-conferences 2",
        "ephone-dn 1", " number 1001", " name Alice",
        "ephone-dn 2", " number 1002", " name Bob",
        "ephone-dn 3", " number 1003", " name Carol",
        "ephone 1", " mac-address 0011.2233.5501", " button 1:1",
        "ephone 2", " mac-address 0011.2233.5502", " button 1:2",
        "ephone 3", " mac-address 0011.2233.5503", " button 1:3", ""])


class Phone(RawPhone):
    """A registered raw phone that remembers what it was told."""

    def __init__(self, port, mac, rtp_port):
        self.s = self._connect(port)
        self.name = "SEP" + mac
        self.rtp_port = rtp_port
        self.states = []        # (state, ref)
        self.orcs = []          # (party, ref)
        self.smts = []          # (remote port, party, ref)
        self.closed_rx = 0
        self.send(register_pdu(self.name, proto=17))
        self.recv_until(0x81)   # RegisterAck

    def pump(self, until, what, timeout=5.0):
        """Read messages until until() holds (bounded by timeout)."""
        end = time.monotonic() + timeout
        self.s.settimeout(0.2)
        try:
            while not until():
                if time.monotonic() > end:
                    raise AssertionError(f"{self.name}: no {what}; "
                                         f"states {self.states}")
                try:
                    mid, body = self.recv()
                except socket.timeout:
                    continue
                self.note(mid, body)
        finally:
            self.s.settimeout(10)

    def note(self, mid, body):
        if mid == CALL_STATE:
            st, line, ref = struct.unpack("<III", body[:12])
            self.states.append((st, ref))
        elif mid == ORC:
            conf, party = struct.unpack("<II", body[:8])
            ref = struct.unpack("<I", body[24:28])[0]
            self.orcs.append((party, ref))
            # Answer like a phone: our address and RTP port.
            ack = struct.pack("<II", 0, 0) + socket.inet_aton(
                "127.0.0.1") + b"\0" * 12
            ack += struct.pack("<III", self.rtp_port, party, ref)
            self.send(pdu(ORC_ACK, ack))
        elif mid == SMT:
            conf, party = struct.unpack("<II", body[:8])
            port = struct.unpack("<I", body[28:32])[0]
            ref = struct.unpack("<I", body[56:60])[0] if len(body) >= 60 \
                else 0
            self.smts.append((port, party, ref))
        elif mid == CLOSE_RX:
            self.closed_rx += 1

    def _connect(self, port):
        return socket.create_connection(("127.0.0.1", port), timeout=10)

    def poll(self):
        """Handle what has arrived (waits at most 50 ms)."""
        self.s.settimeout(0.05)
        try:
            while True:
                mid, body = self.recv()
                self.note(mid, body)
        except socket.timeout:
            pass
        finally:
            self.s.settimeout(10)

    def state(self):
        return self.states[-1][0] if self.states else None

    def ref(self):
        return self.states[-1][1] if self.states else 0

    def wait_state(self, st):
        self.pump(lambda: self.state() == st, f"CallState {st}")

    def dial(self, number):
        self.send(pdu(OFFHOOK))
        for c in number:
            self.send(pdu(KEYPAD, struct.pack("<I", int(c))))

    def softkey(self, event, ref):
        self.send(pdu(SOFTKEY, struct.pack("<III", event, 1, ref)))


def pump_all(ps, until, what, timeout=5.0):
    """Let every phone answer (media acks) until until() holds."""
    end = time.monotonic() + timeout
    while not until():
        if time.monotonic() > end:
            raise AssertionError(f"no {what}: " + "; ".join(
                f"{p.name} {p.states[-3:]} smt {p.smts}" for p in ps))
        for p in ps:
            p.poll()


@pytest.fixture
def cme(daemons):
    sp = free_sccp_port()
    d = daemons(config(sp), name="cme")
    d.sp = sp
    wait_for(lambda: f"listening on 127.0.0.1 port {sp}" in sccp_show(d),
             "the TCP listener")
    return d


def phones(d, n=2):
    macs = ["001122335501", "001122335502", "001122335503"][:n]
    return [Phone(d.sp, m, 20000 + 2 * i) for i, m in enumerate(macs)]


def test_basic_call_media_and_hang_up(cme, tmp_path):
    cap, pcap = start_capture(tmp_path, [cme.sp])
    a, b = phones(cme)
    a.dial("1002")
    a.wait_state(RINGOUT)
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    a.wait_state(CONNECTED)
    b.wait_state(CONNECTED)
    # Each phone gets OpenReceiveChannel, answers with its port, then
    # StartMediaTransmission pointing at the other phone's port.
    pump_all([a, b], lambda: a.smts and b.smts, "StartMediaTransmission")
    assert a.smts[-1][0] == b.rtp_port
    assert b.smts[-1][0] == a.rtp_port
    out = cme.cli("show sccp connections", check=True).stdout
    assert "SEP001122335501" in out
    a.send(pdu(ONHOOK))
    a.wait_state(ONHOOK_S)
    b.wait_state(ONHOOK_S)
    pump_all([a, b], lambda: a.closed_rx >= 1 and b.closed_rx >= 1,
             "CloseReceiveChannel")
    # tshark decodes every message of the call as Skinny, none malformed.
    stop_capture(cap)
    ids = {i for _, i in skinny_messages(pcap, cme.sp, tmp_path / "none")}
    for want in (OFFHOOK, KEYPAD, ONHOOK, CALL_STATE, CALL_INFO, ORC,
                 ORC_ACK, SMT, CLOSE_RX, STOP_TX, SET_RINGER, START_TONE,
                 0x83, 0x86, 0x110, 0x112, 0x116, 0x11D):
        assert want in ids, hex(want)
    p = subprocess.run(["tshark", "-r", str(pcap), "-d",
                        f"tcp.port=={cme.sp},skinny", "-Y", "_ws.malformed"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "", p.stdout


def test_busy_and_unknown_number(cme):
    a, b = phones(cme)
    b.send(pdu(OFFHOOK))
    b.pump(lambda: b.states, "off-hook state")
    a.dial("1002")
    a.wait_state(BUSY)
    a.send(pdu(ONHOOK))
    a.wait_state(ONHOOK_S)
    a.dial("9")
    a.wait_state(14)  # InvalidNumber


def test_hold_resume_gets_a_new_stream(cme):
    a, b = phones(cme)
    a.dial("1002")
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    pump_all([a, b], lambda: a.smts and b.smts, "first stream")
    ref = a.ref()
    a.softkey(3, ref)               # Hold
    pump_all([a, b], lambda: a.state() == HOLD and a.closed_rx >= 1,
             "stream closed on hold")
    a.softkey(10, ref)              # Resume
    pump_all([a, b], lambda: a.state() == CONNECTED and len(a.smts) >= 2,
             "new stream on resume")
    assert len({p for p, _ in a.orcs}) == 2   # a new party id


def test_consultative_transfer(cme):
    a, b, c = phones(cme, 3)
    a.dial("1002")
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    a.wait_state(CONNECTED)
    held = a.ref()
    a.softkey(4, held)              # Transfer: hold, new call
    a.pump(lambda: a.ref() != held and a.state() == 1, "consult off-hook")
    consult = a.ref()
    for ch in "1003":
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, consult)))
    c.wait_state(RINGIN)
    c.send(pdu(OFFHOOK))
    pump_all([a, b, c], lambda: (CONNECTED, consult) in a.states,
             "consult connected")
    a.softkey(4, consult)           # Transfer again: B and C
    pump_all([a, b, c],
             lambda: (ONHOOK_S, held) in a.states and
             (ONHOOK_S, consult) in a.states, "A's legs ended")
    pump_all([a, b, c],
             lambda: b.smts and b.smts[-1][0] == c.rtp_port and
             c.smts and c.smts[-1][0] == b.rtp_port, "B and C stream")
    assert b.state() == CONNECTED and c.state() == CONNECTED
