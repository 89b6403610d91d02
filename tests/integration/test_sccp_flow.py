"""Media flow-around and the chapter's exceptions, with raw TLS phones in
encrypted mode (secure_fixture.py):

* `media flow-around` (voice service voip): a secure call gets two keys
  end to end, A's transmit key is B's receive key and the other way
  round; each phone's StartMediaTransmission points at the other phone;
  SRTP arrives from the other phone's own socket and decrypts with the
  independent RFC 3711 code; the CME's relay carries nothing;
* the chapter: "Media flow-around is not supported for call transfer and
  call forward": under flow-around a call forwarded on no answer, a
  transferred call and a parked call picked up from its slot (a transfer
  to the slot in CME) stay flow-through (relay, four keys) and secure;
* "Calls to Cisco Unity Express are not secure": a call to the
  telephony-service voicemail number is RTP and CallInfo never shows the
  lock, though both phones are encrypted;
* the mode changes at run time through the `opencme` CLI and applies to
  the next call.
The daemons fixture fails a test if any key a phone was given is in the
daemon's log."""
import base64
import re
import struct

from secure_fixture import exchange, start_secure_cme, tls_phones
from test_sccp import pdu, wait_for
from test_sccp_calls import (HOLD, KEYPAD, OFFHOOK, ONHOOK, ONHOOK_S,
                             RINGIN, pump_all)

TRANSFER = 4
AROUND = ["voice service voip", " media flow-around"]


def b64(k):
    return base64.b64encode(k).decode()


def show(d, what):
    return d.cli(what, check=True).stdout


def block(d, p):
    """p's block of show ephone offhook."""
    out = show(d, "show ephone offhook")
    mac = p.name[3:]
    dotted = f"{mac[:4]}.{mac[4:8]}.{mac[8:]}"
    for blk in re.split(r"\n(?=ephone-\d+\[)", out.strip()):
        if f"Mac:{dotted}" in blk:
            return blk
    raise AssertionError(f"{p.name} not in show ephone offhook:\n{out}")


def reset(*ps):
    for p in ps:
        p.smt_addr = None
        p.info_security.clear()
        p.plain.clear()


def answer(caller, callee, number):
    caller.dial(number)
    callee.wait_state(RINGIN)
    callee.send(pdu(OFFHOOK))


def wait_media(ps, a, b, secure=True, what="media"):
    pump_all(ps, lambda: a.smt_addr and b.smt_addr and
             (not secure or (3 in a.info_security and
                             3 in b.info_security)), what)


def hang_up(ps, a, b):
    a.send(pdu(ONHOOK))
    pump_all(ps, lambda: b.state() == ONHOOK_S, "hang-up")


def assert_around(a, b):
    """Flow-around: two keys end to end, each phone sends to the other,
    SRTP both ways straight from the other phone's socket."""
    assert a.key("tx") == b.key("rx") and b.key("tx") == a.key("rx")
    assert a.key("tx") != b.key("tx")
    assert a.smt_addr == ("127.0.0.1", b.rtp_port), a.smt_addr
    assert b.smt_addr == ("127.0.0.1", a.rtp_port), b.smt_addr
    assert exchange(a, b, 100, direct=True) == 5
    assert exchange(b, a, 700, direct=True) == 5


def assert_through(a, b, seq0=2000):
    """Flow-through: four keys, each phone sends to its relay leg (not
    to the other phone), SRTP both ways through the relay."""
    keys = {a.key("tx"), a.key("rx"), b.key("tx"), b.key("rx")}
    assert len(keys) == 4
    assert a.smt_addr[1] not in (a.rtp_port, b.rtp_port), a.smt_addr
    assert b.smt_addr[1] not in (a.rtp_port, b.rtp_port), b.smt_addr
    assert exchange(a, b, seq0) == 5
    assert exchange(b, a, seq0 + 500) == 5


def test_flow_around_secure_call_goes_phone_to_phone(daemons, tmp_path,
                                                     secrets):
    d = start_secure_cme(daemons, tmp_path, secrets, AROUND)
    assert " media flow-around" in d.running()
    ps = tls_phones(d, 2)
    a, b = ps
    answer(a, b, "1002")
    wait_media(ps, a, b, what="flow-around SRTP call")
    assert_around(a, b)
    # The relay has no leg: nothing goes through the CME.
    rtp = show(d, "show voip rtp connections")
    assert "Ports in Use: 0" in rtp, rtp
    assert "Found 0 active RTP connections" in rtp, rtp
    assert "Media mode: flow-around" in rtp, rtp
    assert "Found 1 flow-around streams" in rtp, rtp
    row = re.search(r"\n1\s+(\d+)\s+(\d+)\s+(\d+)\s+127\.0\.0\.1\s+(\d+)"
                    r"\s+127\.0\.0\.1\s+SRTP\n", rtp)
    assert row, rtp
    assert {int(row.group(3)), int(row.group(4))} == {a.rtp_port,
                                                      b.rtp_port}
    # show ephone offhook: the other phone's address, the keys, the
    # mode, no relay counters.
    ba = block(d, a)
    assert (f"Active Secure Call on DN 1 chan 1 :1001 127.0.0.1 "
            f"{a.rtp_port} to 127.0.0.1 {b.rtp_port} via 127.0.0.1") in ba
    assert ("Media: flow-around, SRTP phone to phone, keys end to end "
            "(media flow-around)") in ba, ba
    assert f"local key: {b64(a.key('tx'))}" in ba
    assert f"remote key: {b64(a.key('rx'))}" in ba
    assert "Tx Pkts - bytes - Rx Pkts - bytes - Lost -" in ba
    # Hold and resume: a new stream, two new keys, still phone to phone.
    old = a.all_keys() | b.all_keys()
    ref = a.ref()
    a.softkey(3, ref)
    pump_all(ps, lambda: a.state() == HOLD, "hold")
    reset(a, b)
    a.softkey(10, ref)
    wait_media(ps, a, b, what="resumed flow-around call")
    assert not ({a.key("tx"), b.key("tx")} & old)
    assert_around(a, b)
    hang_up(ps, a, b)
    wait_for(lambda: "Found 0 flow-around streams" in
             show(d, "show voip rtp connections"), "the stream gone")
    assert "SRTP phone to phone (media flow-around)" in d.log_text()


def test_forwarded_and_transferred_calls_stay_flow_through(daemons,
                                                           tmp_path,
                                                           secrets):
    d = start_secure_cme(daemons, tmp_path, secrets, AROUND + [
        "ephone-dn 2", " call-forward noan 1003 timeout 3",
        "ephone-dn 10", " number 801", " park-slot"])
    ps = tls_phones(d, 3)
    a, b, c = ps
    # Forward on no answer: 1002 rings, nobody answers, 1003 does.
    a.dial("1002")
    b.wait_state(RINGIN)
    pump_all(ps, lambda: c.state() == RINGIN, "forwarded to 1003",
             timeout=8)
    c.send(pdu(OFFHOOK))
    wait_media(ps, a, c, what="forwarded call, secure")
    assert_through(a, c)
    assert "Found 2 active RTP connections" in show(
        d, "show voip rtp connections")
    assert ("Media: flow-through, SRTP through the CME relay (forwarded "
            "call: no flow-around)") in block(d, a)
    hang_up(ps, a, c)
    reset(a, b, c)
    # Consultative transfer: A-B and the consultation A-C flow around;
    # the transferred call B-C goes through the relay, secure.
    answer(a, b, "1002")
    wait_media(ps, a, b, what="A-B flow-around")
    assert_around(a, b)
    held = a.ref()
    a.softkey(TRANSFER, held)
    a.pump(lambda: a.ref() != held and a.state() == 1, "consult off-hook")
    consult = a.ref()
    reset(a)
    for ch in "1003":
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, consult)))
    c.wait_state(RINGIN)
    c.send(pdu(OFFHOOK))
    wait_media(ps, a, c, what="consultation call flow-around")
    assert_around(a, c)
    reset(b, c)
    a.softkey(TRANSFER, consult)
    wait_media(ps, b, c, what="B-C transferred, secure")
    assert_through(b, c, 4000)
    assert b.info_security[-1] == 3 and c.info_security[-1] == 3
    rtp = show(d, "show voip rtp connections")
    assert "Found 2 active RTP connections" in rtp, rtp
    assert "Found 0 flow-around streams" in rtp, rtp
    assert ("Media: flow-through, SRTP through the CME relay (transferred "
            "call: no flow-around)") in block(d, c)
    hang_up(ps, b, c)
    reset(a, b, c)
    # Park and pickup counts as a transfer (CME parks by transferring to
    # the slot): the picked-up call goes through the relay.
    answer(a, b, "1002")
    wait_media(ps, a, b, what="A-B flow-around before park")
    assert_around(a, b)
    a.softkey(14, a.ref())                      # Park
    pump_all(ps, lambda: a.state() == ONHOOK_S, "parked")
    reset(b, c)
    c.dial("801")
    wait_media(ps, b, c, what="picked up, secure")
    assert_through(b, c, 8000)
    assert ("Media: flow-through, SRTP through the CME relay (parked and "
            "picked-up call: no flow-around)") in block(d, c)
    hang_up(ps, b, c)


def test_calls_to_voicemail_are_not_secure(daemons, tmp_path, secrets):
    d = start_secure_cme(daemons, tmp_path, secrets, [
        "telephony-service", " voicemail 1003",
        "ephone-dn 2", " call-forward noan 1003 timeout 3"])
    ps = tls_phones(d, 3)
    a, b, c = ps
    for mode in ("flow-through", "flow-around"):
        # The same phones get SRTP for a call to 1002 ...
        answer(a, b, "1002")
        wait_media(ps, a, b, what=f"secure call ({mode})")
        hang_up(ps, a, b)
        reset(a, b, c)
        # ... and RTP for a call to the voicemail number.
        answer(a, c, "1003")
        pump_all(ps, lambda: a.smt_addr and c.smt_addr, "voicemail call")
        for _ in range(10):     # a late CallInfo would come now
            for p in ps:
                p.poll()
        for p in (a, c):
            assert [k for k in p.plain if k[0] == "rx"], p.plain
            assert [k for k in p.plain if k[0] == "tx"], p.plain
            assert p.info_security and 3 not in p.info_security, \
                p.info_security
        assert a.smt_addr == ("127.0.0.1", c.rtp_port)
        ba = block(d, a)
        assert "Active Call on DN 1" in ba and "Secure" not in ba, ba
        assert ("Media: RTP phone to phone (not secure: call to voicemail "
                "1003)") in ba, ba
        assert "SRTP cipher" not in ba
        hang_up(ps, a, c)
        reset(a, b, c)
        d.config_lines(*AROUND, check=True)
    # Forwarded to voicemail on no answer: the connected number is the
    # voicemail's, RTP too.
    n = len(a.keys)
    a.dial("1002")
    b.wait_state(RINGIN)
    pump_all(ps, lambda: c.state() == RINGIN, "forwarded to voicemail",
             timeout=8)
    c.send(pdu(OFFHOOK))
    pump_all(ps, lambda: a.smt_addr and c.smt_addr, "forwarded call")
    assert len(a.keys) == n and 3 not in a.info_security
    hang_up(ps, a, c)
    assert "RTP phone to phone (not secure: call to voicemail 1003)" in \
        d.log_text()


def test_media_mode_switch_applies_to_the_next_call(daemons, tmp_path,
                                                    secrets):
    d = start_secure_cme(daemons, tmp_path, secrets)
    ps = tls_phones(d, 2)
    a, b = ps
    assert "Media mode: flow-through" in show(d, "show voip rtp connections")
    answer(a, b, "1002")
    wait_media(ps, a, b, what="flow-through call")
    assert_through(a, b)
    # Switched during the call: the running stream stays as it is.
    d.config_lines(*AROUND, check=True)
    assert " media flow-around" in d.running()
    rtp = show(d, "show voip rtp connections")
    assert "Media mode: flow-around" in rtp
    assert "Found 2 active RTP connections" in rtp, rtp
    hang_up(ps, a, b)
    reset(a, b)
    answer(a, b, "1002")
    wait_media(ps, a, b, what="flow-around call")
    assert_around(a, b)
    hang_up(ps, a, b)
    reset(a, b)
    d.config_lines("voice service voip", "no media", check=True)
    assert "media flow" not in d.running()
    answer(a, b, "1002")
    wait_media(ps, a, b, what="flow-through call again")
    assert_through(a, b, 6000)
    hang_up(ps, a, b)
