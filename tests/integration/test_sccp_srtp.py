"""Encrypted calls (issue 7's first acceptance test, with raw phones):
two phones register over TLS with certificates under an imported MIC
root (device-security-mode encrypted), call each other, and get SRTP keys
(AES_CM_128_HMAC_SHA1_32) in OpenReceiveChannel (receive key) and
StartMediaTransmission (transmit key) pointing at the CME's media relay.
Each phone protects a known G.711 pattern with its transmit key using an
independent SRTP implementation written from RFC 3711 (AES-CM key
derivation and keystream, HMAC-SHA1 tag) on top of Python's
cryptography; the relay re-protects it for the other leg, and the other
phone authenticates and decrypts it with its receive key.  Tampered and
replayed packets never come out of the relay; CallInfo says encrypted;
every resume brings new keys.  The fixture, the phones and that SRTP
implementation are in secure_fixture.py."""
import os
import socket

import pytest

from secure_fixture import (Srtp, exchange, secure_cme,  # noqa: F401
                            tls_phones)
from test_sccp import pdu
from test_sccp_calls import HOLD, OFFHOOK, RINGIN, pump_all


def test_encrypted_call_carries_srtp_through_the_relay(secure_cme):
    a, b = tls_phones(secure_cme)
    a.dial("1002")
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    pump_all([a, b], lambda: a.smt_addr and b.smt_addr, "SRTP set-up")
    # Four different keys; the phones send to the relay, not to each
    # other.
    keys = {a.key("tx"), a.key("rx"), b.key("tx"), b.key("rx")}
    assert len(keys) == 4
    assert a.smt_addr[1] not in (b.rtp_port, a.rtp_port)
    pump_all([a, b], lambda: 3 in a.info_security and 3 in b.info_security,
             "CallInfo encrypted")
    assert exchange(a, b, 100) == 5
    assert exchange(b, a, 500) == 5
    # A forged packet (wrong key) and a replay never come out.
    forged = Srtp(os.urandom(30)).protect(200, 0, 0x1234, b"x" * 160)
    a.rtp.sendto(forged, a.smt_addr)
    good = Srtp(a.key("tx")).protect(105, 0, 0x1234, b"y" * 160)
    a.rtp.sendto(good, a.smt_addr)
    a.rtp.sendto(good, a.smt_addr)  # replayed
    pkt, _ = b.rtp.recvfrom(2048)
    assert Srtp(b.key("rx")).unprotect(pkt) == b"y" * 160
    with pytest.raises(socket.timeout):
        b.rtp.settimeout(0.5)
        b.rtp.recvfrom(2048)
    # Hold and resume: a new stream with four new keys.
    old = keys
    ref = a.ref()
    a.softkey(3, ref)
    pump_all([a, b], lambda: a.state() == HOLD, "hold")
    a.smt_addr = b.smt_addr = None
    a.softkey(10, ref)
    pump_all([a, b], lambda: a.smt_addr and b.smt_addr, "new SRTP set-up")
    new = {a.key("tx"), a.key("rx"), b.key("tx"), b.key("rx")}
    assert len(new) == 4 and not (new & old)
    b.rtp.settimeout(2)
    assert exchange(a, b, 1000) == 5
