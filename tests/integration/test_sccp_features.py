"""Supplementary services over SCCP with raw phones (mode none, TCP):
call-forward no answer, call park and pickup by dialing the park slot,
blind transfer while the target rings, and a 3-party conference that
returns to a 2-party call (with a new stream) when one party leaves;
the CallState every phone sees is checked at each step.  Then the same
services after configuration changes at run time (through the opencme
CLI): transfer-system, max-conferences, a park slot removed."""
import socket
import struct
import time

import pytest

from test_sccp import free_sccp_port, pdu, sccp_show, wait_for
from test_sccp_calls import (CONNECTED, HOLD, KEYPAD, OFFHOOK, ONHOOK,
                             ONHOOK_S, RINGIN, RINGOUT, Phone, pump_all)

MACS = ("0011223399B1", "0011223399B2", "0011223399B3",
        "0011223399B4", "0011223399B5", "0011223399B6")
PROMPT, ONHOOK_BODY = 0x112, "<II"


class FPhone(Phone):
    """A raw phone that also remembers its DisplayPromptStatus texts."""

    def __init__(self, *args):
        self.prompts = []
        super().__init__(*args)

    def note(self, mid, body):
        if mid == PROMPT:
            self.prompts.append(body[4:36].split(b"\0")[0].decode())
        super().note(mid, body)


def start_cme(daemons, nphones):
    sp = free_sccp_port()
    lines = ["hostname CME1", "telephony-service",
             f" ip source-address 127.0.0.1 port {sp}",
             " no auto-reg-ephone", " max-conferences 2",
             "ephone-dn 1", " number 1001", "ephone-dn 2", " number 1002",
             " call-forward noan 1003 timeout 3",
             "ephone-dn 3", " number 1003",
             "ephone-dn 4", " number 1004", "ephone-dn 5", " number 1005",
             "ephone-dn 6", " number 1006",
             "ephone-dn 10", " number 801", " park-slot timeout 60"]
    for i, m in enumerate(MACS[:nphones], 1):
        lines += [f"ephone {i}", f" mac-address {m[:4]}.{m[4:8]}.{m[8:]}",
                  f" button 1:{i}"]
    d = daemons("\n".join(lines) + "\n", name="cme")
    wait_for(lambda: f"listening on 127.0.0.1 port {sp}" in sccp_show(d),
             "the TCP listener")
    assert " park-slot" in d.running()
    d.phones = [FPhone(sp, m, 22000 + 2 * i)
                for i, m in enumerate(MACS[:nphones])]
    return d


@pytest.fixture
def cme(daemons):
    return start_cme(daemons, 3)


@pytest.fixture
def cme6(daemons):
    return start_cme(daemons, 6)


def call(a, b, number):
    a.dial(number)
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    pump_all([a, b], lambda: a.state() == CONNECTED and
             b.state() == CONNECTED and a.smts and b.smts, "connected")


def test_forward_on_no_answer(cme):
    a, b, c = cme.phones
    a.dial("1002")
    b.wait_state(RINGIN)
    # Nobody answers on 1002 for 3 s: 1003 rings, 1002 stops.
    pump_all([a, b, c], lambda: c.state() == RINGIN and
             b.state() == ONHOOK_S, "forwarded to 1003", timeout=8)
    assert a.state() == RINGOUT
    c.send(pdu(OFFHOOK))
    pump_all([a, c], lambda: a.state() == CONNECTED and
             c.state() == CONNECTED and a.smts and
             a.smts[-1][0] == c.rtp_port, "connected to 1003")


def test_park_and_pickup(cme):
    a, b, c = cme.phones
    call(a, b, "1002")
    a.softkey(14, a.ref())                       # Park
    pump_all([a, b], lambda: a.state() == ONHOOK_S and b.closed_rx >= 1,
             "parked")
    assert b.state() == CONNECTED                 # the parked party waits
    c.dial("801")                                 # pick it up
    pump_all([b, c], lambda: c.state() == CONNECTED and c.smts and
             c.smts[-1][0] == b.rtp_port and b.smts[-1][0] == c.rtp_port,
             "picked up")
    out = cme.cli("show sccp connections", check=True).stdout
    assert "SEP0011223399B3" in out


def test_blind_transfer_while_ringing(cme):
    a, b, c = cme.phones
    call(a, b, "1002")
    held = a.ref()
    a.softkey(4, held)                            # Transfer
    pump_all([a, b], lambda: a.state() == 1 and a.ref() != held,
             "consult dial tone")
    consult = a.ref()
    for ch in "1003":
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, consult)))
    c.wait_state(RINGIN)
    a.softkey(4, consult)                         # Transfer again, ringing
    pump_all([a, b, c], lambda: (ONHOOK_S, held) in a.states and
             (ONHOOK_S, consult) in a.states and b.state() == RINGOUT,
             "B rings C")
    c.send(pdu(OFFHOOK))
    pump_all([b, c], lambda: b.state() == CONNECTED and
             c.state() == CONNECTED and c.smts and
             c.smts[-1][0] == b.rtp_port, "B and C")


def test_conference_then_back_to_two(cme):
    a, b, c = cme.phones
    call(a, b, "1002")
    held = a.ref()
    a.softkey(13, held)                           # Confrn
    pump_all([a, b], lambda: a.state() == 1 and a.ref() != held,
             "consult dial tone")
    consult = a.ref()
    for ch in "1003":
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, consult)))
    c.wait_state(RINGIN)
    c.send(pdu(OFFHOOK))
    pump_all([a, b, c], lambda: (CONNECTED, consult) in a.states,
             "consult connected")
    a.softkey(13, consult)                        # Confrn again: 3 parties
    pump_all([a, b, c], lambda: (ONHOOK_S, consult) in a.states and
             a.states[-1] == (CONNECTED, held) and
             b.state() == CONNECTED and c.state() == CONNECTED,
             "conference")
    # The bridge mixes: each member streams to its own mixer port and
    # hears the others.  A speaks (a constant µ-law code), B and C hear
    # exactly that, A hears nothing of itself.
    phone_ports = {p.rtp_port for p in (a, b, c)}
    pump_all([a, b, c], lambda: all(
        p.smts and p.smts[-1][0] not in phone_ports for p in (a, b, c)),
        "streams to the mixer")
    socks = {}
    for p in (a, b, c):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", p.rtp_port))
        u.settimeout(2)
        socks[p] = u
    heard = {b: set(), c: set(), a: set()}
    end = time.monotonic() + 5
    seq = 0
    while time.monotonic() < end and not (0x55 in heard[b] and
                                          0x55 in heard[c]):
        seq += 1
        rtp = struct.pack(">BBHII", 0x80, 0, seq, 160 * seq, 7) + \
            bytes([0x55]) * 160
        socks[a].sendto(rtp, ("127.0.0.1", a.smts[-1][0]))
        time.sleep(0.02)
        for p in (a, b, c):
            socks[p].setblocking(False)
            try:
                while True:
                    pkt = socks[p].recv(2048)
                    heard[p].add(pkt[12 + 80])
            except BlockingIOError:
                pass
    assert 0x55 in heard[b] and 0x55 in heard[c], heard
    assert 0x55 not in heard[a], heard[a]
    for u in socks.values():
        u.close()
    n = len(a.smts)
    c.send(pdu(ONHOOK))                           # C leaves
    pump_all([a, b, c], lambda: c.state() == ONHOOK_S and
             len(a.smts) > n and a.smts[-1][0] == b.rtp_port,
             "A and B again, directly")
    assert a.state() == CONNECTED and b.state() == CONNECTED


# ---- configuration changes at run time ----

def hang_up(p, ref):
    """OnHook for one call reference (a parked call is not the active
    one: an OnHook without a reference does not reach it)."""
    p.send(pdu(ONHOOK, struct.pack(ONHOOK_BODY, 1, ref)))


def consult(a, others, key, number):
    """a (connected) presses key (Transfer 4, Confrn 13) and dials
    number; returns (held, consult) references."""
    held = a.ref()
    a.softkey(key, held)
    pump_all([a] + others, lambda: a.state() == 1 and a.ref() != held,
             "consult dial tone")
    ref = a.ref()
    for ch in number:
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, ref)))
    return held, ref


def settle(ps, seconds=1.0):
    """Let the CME act for a while (to see that it does not)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for p in ps:
            p.poll()


def test_transfer_system_changes_at_run_time(cme):
    a, b, c = cme.phones
    # full-consult (the default): C rings, and nothing completes until
    # A presses Transfer again.
    call(a, b, "1002")
    held, ref = consult(a, [b], 4, "1003")
    c.wait_state(RINGIN)
    settle([a, b, c])
    assert (ONHOOK_S, held) not in a.states and a.state() != ONHOOK_S
    assert b.state() == CONNECTED
    a.softkey(4, ref)
    pump_all([a, b, c], lambda: (ONHOOK_S, held) in a.states and
             b.state() == RINGOUT, "consultative transfer done")
    c.send(pdu(OFFHOOK))
    pump_all([b, c], lambda: b.state() == CONNECTED, "B and C")
    c.send(pdu(ONHOOK))
    pump_all([b, c], lambda: b.state() == ONHOOK_S, "B and C ended")
    # Now full-blind, typed while the phones stay registered: the next
    # transfer completes as soon as C rings.
    cme.config_lines("telephony-service", "transfer-system full-blind",
                     check=True)
    assert "transfer-system full-blind" in cme.running()
    call(a, b, "1002")
    held, ref = consult(a, [b], 4, "1003")
    pump_all([a, b, c], lambda: (ONHOOK_S, held) in a.states and
             (ONHOOK_S, ref) in a.states and b.state() == RINGOUT and
             c.state() == RINGIN, "blind transfer on ringing")
    c.send(pdu(OFFHOOK))
    pump_all([b, c], lambda: b.state() == CONNECTED and
             c.state() == CONNECTED, "B and C")


def test_max_conferences_changes_at_run_time(cme6):
    a, b, c, d, e, f = cme6.phones
    cme6.config_lines("telephony-service", "max-conferences 1", check=True)
    assert "max-conferences 1 gain -6" in cme6.running()
    call(a, b, "1002")
    held, ref = consult(a, [b], 13, "1003")
    c.wait_state(RINGIN)
    c.send(pdu(OFFHOOK))
    pump_all([a, b, c], lambda: (CONNECTED, ref) in a.states, "A-C")
    a.softkey(13, ref)
    pump_all([a, b, c], lambda: (ONHOOK_S, ref) in a.states and
             a.states[-1] == (CONNECTED, held), "first conference")
    # A second one: refused, the one bridge is in use.
    call(d, e, "1005")
    dheld, dref = consult(d, [e], 13, "1006")
    f.wait_state(RINGIN)
    f.send(pdu(OFFHOOK))
    pump_all([d, e, f], lambda: (CONNECTED, dref) in d.states, "D-F")
    d.softkey(13, dref)
    pump_all([d, e, f], lambda: "No conference bridge" in d.prompts,
             "the refusal")
    assert d.state() == CONNECTED and d.ref() == dref
    # Two allowed now: the same Confrn makes the second conference.
    cme6.config_lines("telephony-service", "max-conferences 2", check=True)
    d.softkey(13, dref)
    pump_all([d, e, f], lambda: (ONHOOK_S, dref) in d.states and
             d.states[-1] == (CONNECTED, dheld) and
             e.state() == CONNECTED and f.state() == CONNECTED,
             "second conference")
    assert "Conference" in d.prompts


def test_park_slot_removed_at_run_time(cme):
    a, b, c = cme.phones
    # no park-slot on the only slot: Park finds none, 801 is unknown.
    cme.config_lines("ephone-dn 10", "no park-slot", check=True)
    call(a, b, "1002")
    a.softkey(14, a.ref())
    pump_all([a, b], lambda: "No park slot" in a.prompts, "no slot")
    assert a.state() == CONNECTED and b.state() == CONNECTED
    c.dial("801")
    c.wait_state(14)                              # InvalidNumber
    c.send(pdu(ONHOOK))
    # park-slot again: the call parks there.
    cme.config_lines("ephone-dn 10", "park-slot", check=True)
    a.softkey(14, a.ref())
    pump_all([a, b], lambda: a.state() == ONHOOK_S and
             "Call park at 801" in a.prompts, "parked")
    # The ephone-dn goes while a call is parked on it: the call stays
    # until picked up, then the slot is gone.
    cme.config_lines("no ephone-dn 10", check=True)
    assert "ephone-dn  10" not in cme.running()
    settle([a, b], 0.3)
    assert b.state() == CONNECTED
    c.dial("801")
    pump_all([b, c], lambda: c.state() == CONNECTED and c.smts and
             c.smts[-1][0] == b.rtp_port, "picked up")
    c.send(pdu(ONHOOK))
    pump_all([b, c], lambda: b.state() == ONHOOK_S, "call ended")
    a.prompts.clear()
    call(a, b, "1002")
    a.softkey(14, a.ref())
    pump_all([a, b], lambda: "No park slot" in a.prompts, "slot gone")
    assert a.state() == CONNECTED
    c.dial("801")
    c.wait_state(14)
    c.send(pdu(ONHOOK))
    # A slot removed while its parked party hangs up goes too.
    cme.config_lines("ephone-dn 10", "number 801", "park-slot", check=True)
    a.softkey(14, a.ref())
    pump_all([a, b], lambda: a.state() == ONHOOK_S, "parked again")
    cme.config_lines("ephone-dn 10", "no park-slot", check=True)
    hang_up(b, b.ref())
    b.wait_state(ONHOOK_S)
    c.dial("801")
    c.wait_state(14)
