"""A phone that unregisters in the middle of a call (raw phones, over TCP
and over TLS), many times over: every Unregister is answered with
UnregisterAck, after the teardown of the phone's own call and before an
orderly close (FIN, never a reset that could take the ack with it), and
the other phone's call ends (CallState OnHook, its stream closed) while it
stays registered.  The phone is not quiet meanwhile, as a real one is
not: answers to what crossed its Unregister (OpenReceiveChannelAck) and a
KeepAlive arrive after the Unregister, which the CME no longer reads."""
import socket
import ssl
import time

import pytest

from test_sccp import pdu, sccp_show, wait_for
from test_sccp_calls import (CONNECTED, OFFHOOK, ONHOOK_S, RINGIN, Phone,
                             cme, pump_all)
from secure_fixture import MACS, secure_cme, tls_phones  # noqa: F401

UNREGISTER, UNREGISTER_ACK, KEEPALIVE = 0x27, 0x118, 0x00
ROUNDS = 30

assert cme  # the fixture, imported for the TCP rounds


def unregister(p, then=b"", pause=0.0):
    """Send Unregister (then, pause seconds later, what then holds);
    read up to the UnregisterAck, answering like a phone; then the
    connection must end with an orderly close.  Returns the messages
    seen before the ack."""
    p.send(pdu(UNREGISTER))
    if then:
        time.sleep(pause)
        p.send(then)
    seen = []
    p.s.settimeout(5)
    while True:
        try:
            mid, body = p.recv()
        except (EOFError, ConnectionResetError, ssl.SSLError,
                socket.timeout) as e:
            raise AssertionError(f"{p.name}: no UnregisterAck ({e!r}) "
                                 f"after {[hex(m) for m in seen]}")
        if mid == UNREGISTER_ACK:
            assert body == b"\0\0\0\0", body
            break
        seen.append(mid)
        p.note(mid, body)
    # Nothing after the ack, then FIN (TLS: close_notify first).
    try:
        rest = p.s.recv(4096)
    except ssl.SSLError as e:
        raise AssertionError(f"{p.name}: TLS close after the ack: {e!r}")
    except ConnectionResetError:
        raise AssertionError(f"{p.name}: reset after the ack")
    assert rest == b"", rest
    return seen


def round_trip(d, a, b, variant):
    """a calls b; one of them unregisters at the moment variant says."""
    a.dial("1002")
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    if variant == 0:
        # Right after the answer: OpenReceiveChannel crosses the
        # Unregister and is answered after it.
        a.wait_state(CONNECTED)
        gone, other = a, b
        seen = unregister(a)
    else:
        pump_all([a, b], lambda: a.smts and b.smts, "media")
        gone, other = (a, b) if variant == 1 else (b, a)
        # Its keepalive timer fires just after the Unregister.
        seen = unregister(gone, pdu(KEEPALIVE), 0.02)
    # The phone's own call ended before the ack.
    assert 0x111 in seen and gone.state() == ONHOOK_S, \
        (gone.states, [hex(m) for m in seen])
    other.pump(lambda: other.state() == ONHOOK_S, "the call ended")
    # The other phone is still registered and answered.
    other.send(pdu(KEEPALIVE))
    other.pump(lambda: True, "nothing")
    rows = wait_for(lambda: [l for l in sccp_show(d).splitlines()
                             if l.startswith("SEP")
                             and l.rstrip().endswith(" registered")
                             and gone.name not in l] or None, "rows")
    assert any(other.name in l for l in rows), rows


def slow_reader_unregisters(d, a, b):
    """a, in a call, reads slowly (a small receive buffer it leaves
    full): the CME's answers pile up in the kernel on their way to it
    when it unregisters and, a moment later, sends a KeepAlive.  The
    UnregisterAck is still delivered, behind everything else."""
    a.dial("1002")
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    pump_all([a, b], lambda: a.smts and b.smts, "media")
    a.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    a.send(pdu(KEEPALIVE) * 3000)       # 3000 KeepAliveAcks to read
    time.sleep(0.3)
    a.send(pdu(UNREGISTER))
    time.sleep(0.2)
    a.send(pdu(KEEPALIVE))
    time.sleep(0.2)
    acks = 0
    a.s.settimeout(5)
    while True:
        try:
            mid, body = a.recv()
        except (EOFError, ConnectionResetError, ssl.SSLError,
                socket.timeout) as e:
            raise AssertionError(f"no UnregisterAck after {acks} "
                                 f"KeepAliveAcks ({e!r})")
        if mid == UNREGISTER_ACK:
            break
        acks += mid == 0x100
        a.note(mid, body)
    assert acks == 3000 and a.state() == ONHOOK_S
    assert a.s.recv(4096) == b""
    b.pump(lambda: b.state() == ONHOOK_S, "the call ended")


def test_unregister_reaches_a_slow_reader_tcp(cme):
    for _ in range(2):
        a = Phone(cme.sp, "001122335501", 20000)
        b = Phone(cme.sp, "001122335502", 20002)
        slow_reader_unregisters(cme, a, b)
        a.close()
        b.close()


def test_unregister_reaches_a_slow_reader_tls(secure_cme):
    for _ in range(2):
        a, b = tls_phones(secure_cme)
        slow_reader_unregisters(secure_cme, a, b)
        a.close()
        b.close()


def test_unregister_mid_call_tcp(cme):
    for i in range(ROUNDS):
        a = Phone(cme.sp, "001122335501", 20000)
        b = Phone(cme.sp, "001122335502", 20002)
        round_trip(cme, a, b, i % 3)
        a.close()
        b.close()
    log = cme.log_text()
    assert "malformed" not in log and "bad framing" not in log
    assert f"{ROUNDS} unregistered" in sccp_show(cme)


def test_unregister_mid_call_tls(secure_cme):
    for i in range(ROUNDS):
        a, b = tls_phones(secure_cme)
        round_trip(secure_cme, a, b, i % 3)
        a.close()
        b.close()
    assert f"{ROUNDS} unregistered" in sccp_show(secure_cme)
