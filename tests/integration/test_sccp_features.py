"""Supplementary services over SCCP with raw phones (mode none, TCP):
call-forward no answer, call park and pickup by dialing the park slot,
blind transfer while the target rings, and a 3-party conference that
returns to a 2-party call (with a new stream) when one party leaves;
the CallState every phone sees is checked at each step."""
import socket
import struct
import time

import pytest

from test_sccp import free_sccp_port, pdu, sccp_show, wait_for
from test_sccp_calls import (CONNECTED, HOLD, KEYPAD, OFFHOOK, ONHOOK,
                             ONHOOK_S, RINGIN, RINGOUT, Phone, pump_all)

MACS = ("0011223399B1", "0011223399B2", "0011223399B3")


@pytest.fixture
def cme(daemons):
    sp = free_sccp_port()
    lines = ["hostname CME1", "telephony-service",
             f" ip source-address 127.0.0.1 port {sp}",
             " no auto-reg-ephone", " max-conferences 2",
             "ephone-dn 1", " number 1001", "ephone-dn 2", " number 1002",
             " call-forward noan 1003 timeout 3",
             "ephone-dn 3", " number 1003",
             "ephone-dn 10", " number 801", " park-slot timeout 60"]
    for i, m in enumerate(MACS, 1):
        lines += [f"ephone {i}", f" mac-address {m[:4]}.{m[4:8]}.{m[8:]}",
                  f" button 1:{i}"]
    d = daemons("\n".join(lines) + "\n", name="cme")
    wait_for(lambda: f"listening on 127.0.0.1 port {sp}" in sccp_show(d),
             "the TCP listener")
    assert " park-slot" in d.running()
    d.phones = [Phone(sp, m, 22000 + 2 * i) for i, m in enumerate(MACS)]
    return d


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
