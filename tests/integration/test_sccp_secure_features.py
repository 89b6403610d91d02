"""The chapter's media security rules for supplementary services (issue
7): mixed shared line, transfer (consultative and blind), call forward
(busy and no answer), park and pickup, with raw phones: four encrypted
phones over TLS and one in mode none over TCP.

After every step each phone's CallInfo security status is checked (3,
the lock, only when both ends are encrypted-mode phones with a running
SRTP stream; 1 otherwise, also while ringing or held) and so is the
media on the wire: for a secure stream, what the receiving phone gets
from the relay is not the plaintext pattern and authenticates and
decrypts to it with the receive key that phone was given (the RFC 3711
implementation of secure_fixture.py, a fresh rollover counter and a
sender that restarts its sequence: continuity is per stream), and a
packet protected with a key of the previous stream never comes out;
for a nonsecure stream, both directions carry no key block, the phones
send plain RTP to each other.  Every renegotiation (transfer
completion, pickup) brings four keys never given before."""
import struct

import pytest

from secure_fixture import MACS, Srtp, TlsPhone, dotted, drain, mic_cme
from test_sccp import pdu, wait_for
from test_sccp_calls import (CONNECTED, KEYPAD, OFFHOOK, ONHOOK, ONHOOK_S,
                             RINGIN, RINGOUT, pump_all)

SHARER = "001122336604"      # encrypted, shows the shared 1004
NONE_MAC = "0011223366F5"    # mode none, TCP: 1005 and the shared 1004
TRANSFER, PARK = 4, 14
PATTERN = bytes(range(160))
SECURE, NONSECURE = 3, 1


@pytest.fixture
def cme(daemons, tmp_path, secrets):
    tel = [" device-security-mode encrypted", " no auto-reg-ephone",
           "ephone-dn 1", " number 1001", "ephone-dn 2", " number 1002",
           "ephone-dn 3", " number 1003",
           "ephone-dn 4", " number 1004", " name Shared",
           "ephone-dn 5", " number 1005",
           "ephone-dn 10", " number 801", " park-slot timeout 60"]
    macs = MACS + (SHARER,)
    for i, mac in enumerate(macs, 1):
        tel += [f"ephone {i}", f" mac-address {dotted(mac)}",
                f" button 1:{i}"]
    tel += ["ephone 5", f" mac-address {dotted(NONE_MAC)}",
            " device-security-mode none", " button 1:5 2:4"]
    d = mic_cme(daemons, tmp_path, tel, macs)
    # A, B, C and the encrypted sharer E over TLS; N in mode none.
    d.ph = [TlsPhone(d.tls_port, m, ctx, secrets)
            for m, ctx in zip(macs, d.ctxs)]
    d.ph.append(TlsPhone(d.sp, NONE_MAC, None, secrets))
    return d


def status(p, ref=None):
    """The security status of the last CallInfo p got for ref (its
    current call by default)."""
    return p.info_by_ref.get(ref if ref is not None else p.ref())


def fresh(*ps):
    """Forget the media addresses so the next stream can be waited for."""
    for p in ps:
        p.smt_addr = p.smt_plain = p.orc_plain = None


def stream_up(everyone, x, y, secure, what):
    """x and y get a stream (and, secure, the lock); then check every
    CallInfo status and the media both ways."""
    pump_all(everyone, lambda: x.smt_addr and y.smt_addr and
             x.state() == CONNECTED and y.state() == CONNECTED and
             (not secure or (status(x) == SECURE and
                             status(y) == SECURE)), what)
    want = SECURE if secure else NONSECURE
    assert status(x) == want and status(y) == want, \
        (what, x.info_by_ref, y.info_by_ref)
    if secure:
        assert x.smt_plain is False and y.smt_plain is False
        assert x.orc_plain is False and y.orc_plain is False
        srtp_flow(x, y, 7)
        srtp_flow(y, x, 65534)      # the sequence wraps: ROC 1
    else:
        assert x.smt_plain and y.smt_plain, what
        assert x.orc_plain and y.orc_plain, what
        assert x.smt_addr == ("127.0.0.1", y.rtp_port), what
        assert y.smt_addr == ("127.0.0.1", x.rtp_port), what
        rtp_flow(x, y)
        rtp_flow(y, x)


def srtp_flow(a, b, seq0, n=4):
    """a protects the pattern with its transmit key and sends it to the
    relay; b gets ciphertext that only its receive key opens."""
    tx, rx = Srtp(a.key("tx")), Srtp(b.key("rx"))
    sent = []
    drain(b.rtp)  # music on hold of the hold before this stream
    for i in range(n):
        seq = (seq0 + i) & 0xFFFF
        if seq < seq0:
            tx.roc = 1              # RFC 3711 3.3.1: the index rolls over
        sent.append(seq)
        a.rtp.sendto(tx.protect(seq, 160 * i, 0x4242, PATTERN), a.smt_addr)
    for seq in sent:
        pkt, src = b.rtp.recvfrom(2048)
        assert src == b.smt_addr        # from b's relay leg
        assert len(pkt) == 12 + 160 + 4, len(pkt)
        assert PATTERN[:8] not in pkt and PATTERN[-8:] not in pkt
        got_seq = struct.unpack(">H", pkt[2:4])[0]
        assert got_seq == seq, (got_seq, seq)
        rx.roc = 1 if seq < seq0 else 0
        assert rx.unprotect(pkt) == PATTERN, "b cannot decrypt"


def rtp_flow(a, b, n=3):
    drain(b.rtp)  # music on hold of the hold before this stream
    for i in range(n):
        a.rtp.sendto(struct.pack(">BBHII", 0x80, 0, 100 + i, 160 * i, 9) +
                     PATTERN, a.smt_addr)
    for i in range(n):
        pkt, _ = b.rtp.recvfrom(2048)
        assert pkt[12:] == PATTERN and pkt[2:4] == struct.pack(">H", 100 + i)


def old_key_rejected(a, b, old_tx):
    """A packet protected with a's key of an earlier stream, then one
    with its new key: b gets only the second."""
    a.rtp.sendto(Srtp(old_tx).protect(1, 0, 0x4242, b"o" * 160), a.smt_addr)
    a.rtp.sendto(Srtp(a.key("tx")).protect(2, 0, 0x4242, b"n" * 160),
                 a.smt_addr)
    pkt, _ = b.rtp.recvfrom(2048)
    assert Srtp(b.key("rx")).unprotect(pkt) == b"n" * 160
    b.rtp.settimeout(0.3)
    try:
        with pytest.raises(OSError):
            b.rtp.recvfrom(2048)
    finally:
        b.rtp.settimeout(2)


def keys_since(ps, marks):
    return {k for p, n in zip(ps, marks) for _, k, _ in p.keys[n:]}


def call(everyone, a, b, number, secure):
    fresh(a, b)
    a.dial(number)
    pump_all([a, b], lambda: b.state() == RINGIN and a.state() == RINGOUT
             and status(a) is not None and status(b) is not None, "ringing")
    assert status(a) == NONSECURE and status(b) == NONSECURE
    b.send(pdu(OFFHOOK))
    stream_up(everyone, a, b, secure, f"call {a.name} -> {number}")


def dial_consult(a, number):
    """a (connected) presses Transfer and dials number; returns the held
    and the consultation call references."""
    held = a.ref()
    a.softkey(TRANSFER, held)
    a.pump(lambda: a.ref() != held and a.state() == 1, "consult off-hook")
    consult = a.ref()
    for ch in number:
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, consult)))
    return held, consult


# ---- mixed shared line ------------------------------------------------------

def test_mixed_shared_line(cme):
    """Chapter: shared line media security depends on the endpoint
    configuration.  1004 is shown by E (encrypted) and N (mode none)."""
    a, b, c, e, n = cme.ph
    ps = [a, e, n]
    # E answers: secure.
    fresh(a, e)
    a.dial("1004")
    e.wait_state(RINGIN)
    n.wait_state(RINGIN)
    e.send(pdu(OFFHOOK))
    stream_up(ps, a, e, True, "A and E")
    pump_all(ps, lambda: n.state() == ONHOOK_S, "N stops ringing")
    assert not n.keys and not n.plain     # no stream, no key for N
    first = a.all_keys() | e.all_keys()
    a.send(pdu(ONHOOK))
    pump_all(ps, lambda: e.state() == ONHOOK_S, "hang-up")
    # N answers the same line: plain RTP phone to phone, no lock, and no
    # key to either phone.
    ka, ke = len(a.keys), len(e.keys)
    fresh(a, n)
    a.dial("1004")
    e.wait_state(RINGIN)
    n.wait_state(RINGIN)
    n.send(pdu(OFFHOOK))
    stream_up(ps, a, n, False, "A and N")
    pump_all(ps, lambda: e.state() == ONHOOK_S, "E stops ringing")
    assert len(a.keys) == ka and len(e.keys) == ke and not n.keys
    a.send(pdu(ONHOOK))
    pump_all(ps, lambda: n.state() == ONHOOK_S, "hang-up")
    # The mode-none sharer calls out on its own line to an encrypted
    # phone: nonsecure too; then E again with A: secure, new keys.
    call(ps, n, a, "1001", False)
    n.send(pdu(ONHOOK))
    pump_all(ps, lambda: a.state() == ONHOOK_S, "hang-up")
    ka, ke = len(a.keys), len(e.keys)
    call(ps, a, e, "1004", True)
    new = keys_since([a, e], [ka, ke])
    assert len(new) == 4 and not new & first


# ---- transfer ---------------------------------------------------------------

@pytest.mark.parametrize("target", ["secure", "nonsecure"])
def test_consultative_transfer(cme, target):
    a, b, c, e, n = cme.ph
    t = c if target == "secure" else n
    ps = [a, b, t]
    call(ps, a, b, "1002", True)
    old_b = b.key("tx")
    fresh(a, b)
    held, consult = dial_consult(a, "1003" if t is c else "1005")
    # A holds B: no stream, no lock on either side of the held call.
    pump_all(ps, lambda: status(b) == NONSECURE and
             status(a, held) == NONSECURE,
             f"hold without the lock {a.info_by_ref} {b.info_by_ref}")
    assert b.state() == CONNECTED
    t.wait_state(RINGIN)
    assert status(t) == NONSECURE
    t.send(pdu(OFFHOOK))
    stream_up(ps, a, t, t is c, "the consultation call")
    assert status(a, held) == NONSECURE and status(b) == NONSECURE
    seen = a.all_keys() | b.all_keys() | t.all_keys()
    marks = [len(b.keys), len(t.keys)]
    fresh(b, t)
    a.softkey(TRANSFER, consult)
    pump_all(ps, lambda: (ONHOOK_S, held) in a.states and
             (ONHOOK_S, consult) in a.states, "A leaves")
    stream_up(ps, b, t, t is c, "B and the target")
    new = keys_since([b, t], marks)
    if t is c:
        assert len(new) == 4 and not new & seen
        old_key_rejected(b, t, old_b)
    else:
        assert not new


@pytest.mark.parametrize("target", ["secure", "nonsecure"])
def test_blind_transfer(cme, target):
    a, b, c, e, n = cme.ph
    t = c if target == "secure" else n
    ps = [a, b, t]
    call(ps, a, b, "1002", True)
    seen = a.all_keys() | b.all_keys()
    old_b = b.key("tx")
    fresh(a, b)
    held, consult = dial_consult(a, "1003" if t is c else "1005")
    t.wait_state(RINGIN)
    a.softkey(TRANSFER, consult)            # while the target rings
    pump_all(ps, lambda: (ONHOOK_S, held) in a.states and
             (ONHOOK_S, consult) in a.states and b.state() == RINGOUT,
             "B rings the target")
    assert status(b) == NONSECURE and status(t) == NONSECURE
    assert b.smt_addr is None and t.smt_addr is None
    t.send(pdu(OFFHOOK))
    stream_up(ps, b, t, t is c, "B and the target")
    new = {k for _, k, _ in b.keys} | t.all_keys()
    new -= seen
    if t is c:
        assert len(new) == 4
        old_key_rejected(b, t, old_b)
    else:
        assert not new


# ---- call forward -----------------------------------------------------------

@pytest.mark.parametrize("target", ["secure", "nonsecure"])
def test_forward_busy(cme, target):
    a, b, c, e, n = cme.ph
    t = c if target == "secure" else n
    cme.config_lines("ephone-dn 2", "call-forward busy " +
                     ("1003" if t is c else "1005"), check=True)
    b.send(pdu(OFFHOOK))                     # B is busy (dialing)
    b.pump(lambda: b.state() == 1, "B off-hook")
    ps = [a, b, t]
    fresh(a, t)
    a.dial("1002")
    pump_all(ps, lambda: t.state() == RINGIN and a.state() == RINGOUT and
             status(t) is not None, "forwarded")
    assert status(a) == NONSECURE and status(t) == NONSECURE
    assert b.state() == 1
    t.send(pdu(OFFHOOK))
    stream_up(ps, a, t, t is c, "A and the forward target")
    assert not b.keys and not b.plain
    if t is n:
        assert not a.keys


@pytest.mark.parametrize("target", ["secure", "nonsecure"])
def test_forward_no_answer(cme, target):
    a, b, c, e, n = cme.ph
    t = c if target == "secure" else n
    cme.config_lines("ephone-dn 2", "call-forward noan " +
                     ("1003" if t is c else "1005") + " timeout 3",
                     check=True)
    ps = [a, b, t]
    fresh(a, t)
    a.dial("1002")
    b.wait_state(RINGIN)
    pump_all(ps, lambda: t.state() == RINGIN and b.state() == ONHOOK_S,
             "forwarded", timeout=8)
    assert a.state() == RINGOUT and status(a) == NONSECURE
    assert status(t) == NONSECURE
    t.send(pdu(OFFHOOK))
    stream_up(ps, a, t, t is c, "A and the forward target")
    assert not b.keys and not b.plain


# ---- park and pickup --------------------------------------------------------

@pytest.mark.parametrize("picker", ["secure", "nonsecure"])
def test_park_and_pickup(cme, picker):
    a, b, c, e, n = cme.ph
    t = c if picker == "secure" else n
    ps = [a, b, t]
    call(ps, a, b, "1002", True)
    seen = a.all_keys() | b.all_keys()
    old_b = b.key("tx")
    nb, nt = len(b.keys), len(t.keys)
    closed = b.closed_rx
    fresh(b, t)
    a.softkey(PARK, a.ref())
    pump_all(ps, lambda: a.state() == ONHOOK_S and b.closed_rx > closed
             and status(b) == NONSECURE, "parked, the lock gone")
    assert b.state() == CONNECTED and b.smt_addr is None
    out = cme.cli("show ephone offhook", check=True).stdout
    assert "Secure" not in out, out
    t.dial("801")
    stream_up(ps, b, t, t is c, "picked up")
    new = keys_since([b, t], [nb, nt])
    if t is c:
        assert len(new) == 4 and not new & seen
        old_key_rejected(b, t, old_b)
    else:
        assert not new
        out = cme.cli("show ephone offhook", check=True).stdout
        assert "Active Call on DN 2" in out and "Secure" not in out, out
    t.send(pdu(ONHOOK))
    pump_all(ps, lambda: b.state() == ONHOOK_S, "hang-up")
    wait_for(lambda: "Found 0 active RTP connections" in cme.cli(
        "show voip rtp connections", check=True).stdout, "no relay legs")
