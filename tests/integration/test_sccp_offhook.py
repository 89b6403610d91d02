"""`show ephone offhook`, `show voip rtp connections`, `rtp-port range`
and the chapter's media security rules for supplementary services, with
raw phones (TLS, encrypted mode; TCP, mode none):

* the active-call block of `show ephone offhook` in the chapter's layout,
  with the SRTP cipher, the local key (what the phone transmits with) and
  the remote key (what it receives with) as base64 key||salt, and the
  relay's packet counters; the keys shown decrypt the media;
* conference calls fall back to RTP (no secure stream, CallInfo not
  encrypted) and return to SRTP with fresh keys when a party drops and
  the creator is one of the two left; without the creator they stay RTP;
* a transfer joins the two remaining phones with new keys;
* no key any phone was given is in the daemon's log (the daemons fixture
  scans for every form TlsPhone registers; raw bytes are checked here),
  and once a call is over no key||salt is left in the daemon's memory."""
import base64
import re
import socket
import struct

import pytest

from test_sccp import pdu, wait_for
from test_sccp_calls import (CONNECTED, KEYPAD, OFFHOOK, ONHOOK, ONHOOK_S,
                             RINGIN, cme, phones, pump_all)  # noqa: F401
from secure_fixture import Srtp, exchange, secure_cme, tls_phones  # noqa

CONFERENCE, TRANSFER = 13, 4


def b64(k):
    return base64.b64encode(k).decode()


def offhook(d):
    return d.cli("show ephone offhook", check=True).stdout


def blocks(out):
    """show ephone output split per phone, by MAC (dotted)."""
    res = {}
    for blk in re.split(r"\n(?=ephone-\d+\[)", out.strip()):
        m = re.search(r"Mac:([0-9A-F.]+)", blk)
        if m:
            res[m.group(1).replace(".", "").lower()] = blk
    return res


def secure_call(d, n=2):
    ps = tls_phones(d, n)
    a, b = ps[0], ps[1]
    a.dial("1002")
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    pump_all(ps, lambda: a.smt_addr and b.smt_addr and
             3 in a.info_security and 3 in b.info_security, "SRTP call")
    return ps


def no_raw_keys_in_log(d, ps):
    raw = d.log.read_bytes() if d.log.exists() else b""
    for p in ps:
        for k in p.all_keys():
            assert k not in raw and k[:16] not in raw


def test_show_ephone_offhook_shows_keys_and_counters(secure_cme):
    d = secure_cme
    a, b, c = secure_call(d, 3)
    assert exchange(a, b, 100, 5) == 5
    assert exchange(b, a, 300, 3) == 3
    out = offhook(d)
    bl = blocks(out)
    # Only the phones in a call; the idle third one is not offhook.
    assert set(bl) == {a.name[3:].lower(), b.name[3:].lower()}, out
    ba = bl[a.name[3:].lower()]
    assert "offhook:1" in ba and "mediaActive:1" in ba
    assert "startMedia:1" in ba and "activeLine:1" in ba
    assert " dn 1 number 1001 CH1 CONNECTED" in ba
    relay_ip, relay_port = a.smt_addr
    assert (f"Active Secure Call on DN 1 chan 1 :1001 127.0.0.1 "
            f"{a.rtp_port} to {relay_ip} {relay_port} via {relay_ip}") in ba
    assert "G711Ulaw64k 160 bytes no vad" in ba
    assert "SRTP cipher: AES_CM_128_HMAC_SHA1_32" in ba
    # local key: what the phone sends with; remote key: what it
    # receives with.
    local = re.search(r"\n  local key: (\S+)", ba).group(1)
    remote = re.search(r"\n  remote key: (\S+)", ba).group(1)
    assert local == b64(a.key("tx")) and remote == b64(a.key("rx"))
    # The keys shown decrypt the media: b's remote key is b's receive key.
    bb = bl[b.name[3:].lower()]
    rk = base64.b64decode(re.search(r"remote key: (\S+)", bb).group(1))
    pkt = Srtp(a.key("tx")).protect(105, 0, 0x1234, b"z" * 160)
    a.rtp.sendto(pkt, a.smt_addr)
    got, _ = b.rtp.recvfrom(2048)
    assert Srtp(rk).unprotect(got) == b"z" * 160
    out = offhook(d)
    ba = blocks(out)[a.name[3:].lower()]
    assert "Tx Pkts 6 bytes 960 Rx Pkts 3 bytes 480 Lost 0" in ba, ba
    bb = blocks(out)[b.name[3:].lower()]
    assert "Tx Pkts 3 bytes 480 Rx Pkts 6 bytes 960 Lost 0" in bb, bb
    # A forged packet counts as lost on a's leg.
    a.rtp.sendto(Srtp(bytes(30)).protect(106, 0, 0x1234, b"f" * 160),
                 a.smt_addr)
    wait_for(lambda: "Lost 1" in blocks(offhook(d))[a.name[3:].lower()],
             "the forged packet counted")
    # show voip rtp connections: two SRTP legs.
    rtp = d.cli("show voip rtp connections", check=True).stdout
    assert "Found 2 active RTP connections" in rtp, rtp
    # This kernel has UDP_SEGMENT: the relay may batch its sends.
    assert re.search(r"Relay send: UDP GSO (in use|available)", rtp), rtp
    assert re.search(rf"\b{relay_port}\s+{a.rtp_port}\s+127.0.0.1\s+"
                     rf"127.0.0.1\s+SRTP\s+3\s+7\b", rtp), rtp
    assert "Min Port: 16384 Max Port: 32766" in rtp
    # Keys appear in show ephone offhook only: not in other shows.
    for show in ("show ephone", "show voip rtp connections",
                 "show sccp connections", "show running-config"):
        text = d.cli(show, check=True).stdout
        if show == "show ephone":
            continue    # show ephone (all) shows the same block
        for k in a.all_keys() | b.all_keys():
            assert b64(k) not in text and k.hex() not in text, show
    a.send(pdu(ONHOOK))
    pump_all([a, b], lambda: b.state() == ONHOOK_S, "hang-up")
    wait_for(lambda: offhook(d).strip() == "", "nobody offhook")
    rtp = d.cli("show voip rtp connections", check=True).stdout
    assert "Found 0 active RTP connections" in rtp
    no_raw_keys_in_log(d, [a, b, c])


def test_plain_call_shows_phone_to_phone(cme):  # noqa: F811
    a, b = phones(cme)
    a.dial("1002")
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    pump_all([a, b], lambda: a.smts and b.smts, "RTP call")
    out = offhook(cme)
    assert (f"Active Call on DN 1 chan 1 :1001 127.0.0.1 {a.rtp_port} to "
            f"127.0.0.1 {b.rtp_port} via 127.0.0.1") in out, out
    assert "SRTP cipher" not in out and "key:" not in out
    assert "(media phone to phone)" in out
    rtp = cme.cli("show voip rtp connections", check=True).stdout
    assert "Found 0 active RTP connections" in rtp


def conference(a, b, c, ps):
    """a (in a call with b) conferences c in."""
    held = a.ref()
    a.softkey(CONFERENCE, held)
    a.pump(lambda: a.ref() != held and a.state() == 1, "consult off-hook")
    consult = a.ref()
    for ch in "1003":
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, consult)))
    c.wait_state(RINGIN)
    c.send(pdu(OFFHOOK))
    pump_all(ps, lambda: c.smt_addr is not None, "consult stream")
    n = [len(p.info_security) for p in ps]
    a.softkey(CONFERENCE, consult)
    pump_all(ps, lambda: (ONHOOK_S, consult) in a.states and
             all(len(p.info_security) > k for p, k in zip(ps, n)) and
             all(p.info_security[-1] == 1 for p in ps), "conference")
    return held


def test_conference_falls_back_to_rtp_and_returns_to_srtp(secure_cme):
    d = secure_cme
    ps = secure_call(d, 3)
    a, b, c = ps
    conference(a, b, c, ps)
    # Members of the bridge: no secure stream, CallInfo not encrypted.
    out = offhook(d)
    assert "Active Secure Call" not in out and "key:" not in out, out
    assert "conference mixer port" in out and "(RTP)" in out
    assert "Found 0 active RTP connections" in d.cli(
        "show voip rtp connections", check=True).stdout
    seen = a.all_keys() | b.all_keys() | c.all_keys()
    na, nb = len(a.keys), len(b.keys)
    a.smt_addr = b.smt_addr = None
    # C drops: A (the creator) and B are a 2-party call again, secure,
    # with four fresh keys.
    c.send(pdu(ONHOOK))
    pump_all(ps, lambda: a.smt_addr and b.smt_addr and
             a.info_security[-1] == 3 and b.info_security[-1] == 3,
             "return to SRTP")
    new = {k for _, k, _ in a.keys[na:]} | {k for _, k, _ in b.keys[nb:]}
    assert len(new) == 4 and not (new & seen)
    assert exchange(a, b, 2000) == 5
    assert exchange(b, a, 3000) == 5
    assert "Active Secure Call" in offhook(d)
    no_raw_keys_in_log(d, ps)


def test_conference_without_creator_stays_rtp(secure_cme):
    d = secure_cme
    ps = secure_call(d, 3)
    a, b, c = ps
    conference(a, b, c, ps)
    nb, nc = len(b.plain), len(c.plain)
    a.send(pdu(ONHOOK))     # the creator leaves
    pump_all(ps, lambda: len(b.plain) >= nb + 2 and len(c.plain) >= nc + 2,
             "B and C joined with RTP")
    assert b.state() == CONNECTED and c.state() == CONNECTED
    assert b.smt_addr == ("127.0.0.1", c.rtp_port)
    assert c.smt_addr == ("127.0.0.1", b.rtp_port)
    assert b.info_security[-1] == 1 and c.info_security[-1] == 1
    out = offhook(d)
    assert "Active Call on DN 2" in out and "Secure" not in out, out


def test_transfer_gives_new_keys(secure_cme):
    d = secure_cme
    ps = secure_call(d, 3)
    a, b, c = ps
    held = a.ref()
    a.softkey(TRANSFER, held)
    a.pump(lambda: a.ref() != held and a.state() == 1, "consult off-hook")
    consult = a.ref()
    for ch in "1003":
        a.send(pdu(KEYPAD, struct.pack("<III", int(ch), 1, consult)))
    c.wait_state(RINGIN)
    c.send(pdu(OFFHOOK))
    pump_all(ps, lambda: c.smt_addr is not None and 3 in c.info_security,
             "secure consult call")
    seen = a.all_keys() | b.all_keys() | c.all_keys()
    nb, nc = len(b.keys), len(c.keys)
    b.smt_addr = c.smt_addr = None
    a.softkey(TRANSFER, consult)
    pump_all(ps, lambda: b.smt_addr and c.smt_addr and
             b.info_security[-1] == 3 and c.info_security[-1] == 3,
             "B and C joined, secure")
    new = {k for _, k, _ in b.keys[nb:]} | {k for _, k, _ in c.keys[nc:]}
    assert len(new) == 4 and not (new & seen)
    assert exchange(b, c, 4000) == 5
    assert exchange(c, b, 5000) == 5
    out = offhook(d)
    bl = blocks(out)
    assert a.name[3:].lower() not in bl
    bc = bl[c.name[3:].lower()]
    assert f"local key: {b64(c.key('tx'))}" in bc
    assert f"remote key: {b64(c.key('rx'))}" in bc
    no_raw_keys_in_log(d, ps)


def test_rtp_port_range(secure_cme):
    d = secure_cme
    p = d.config_lines("voice service voip", "rtp-port range 40001 40100")
    assert "even" in p.stdout, p.stdout
    d.config_lines("voice service voip", "rtp-port range 40000 40100",
                   check=True)
    assert "rtp-port range 40000 40100" in d.running()
    a, b = secure_call(d)
    assert 40000 <= a.smt_addr[1] <= 40098 and a.smt_addr[1] % 2 == 0
    assert 40000 <= b.smt_addr[1] <= 40098
    rtp = d.cli("show voip rtp connections", check=True).stdout
    assert "Min Port: 40000 Max Port: 40100" in rtp
    a.send(pdu(ONHOOK))
    pump_all([a, b], lambda: b.state() == ONHOOK_S, "hang-up")
    d.config_lines("voice service voip", "no rtp-port range", check=True)
    assert "rtp-port" not in d.running()
    # The next call uses the default range again (a new relay).
    a2, b2 = a, b
    a2.smt_addr = b2.smt_addr = None
    a2.info_security.clear()
    b2.info_security.clear()
    a2.dial("1002")
    b2.wait_state(RINGIN)
    b2.send(pdu(OFFHOOK))
    pump_all([a2, b2], lambda: a2.smt_addr and b2.smt_addr, "second call")
    assert 16384 <= a2.smt_addr[1] <= 32766
    assert socket.inet_aton(a2.smt_addr[0])


def memory_hits(pid, needles):
    """Which needles occur in the writable memory of process pid."""
    found = set()
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", 0)
    except OSError as e:
        pytest.skip(f"cannot read the daemon's memory: {e}")
    with mem:
        for line in maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            # Writable, and not sanitizer shadow or reserved areas.
            if "w" not in f[1] or hi - lo > 1 << 28:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, OverflowError, ValueError):
                continue
            found.update(n for n in needles if n in data)
    return found


def test_keys_wiped_from_memory_when_the_call_ends(secure_cme):
    """Stream structures, the OpenReceiveChannel/StartMediaTransmission
    messages (built on the stack, queued by reference and wiped once
    written) and the relay's sessions keep key||salt; all are wiped when
    the stream closes."""
    d = secure_cme
    a, b = secure_call(d)
    keys = a.all_keys() | b.all_keys()
    assert len(keys) == 4
    # While the call runs, the stream holds all four (the scan works).
    assert memory_hits(d.proc.pid, keys) == keys
    a.send(pdu(ONHOOK))
    pump_all([a, b], lambda: b.state() == ONHOOK_S, "hang-up")
    wait_for(lambda: offhook(d).strip() == "", "nobody offhook")
    assert memory_hits(d.proc.pid, keys) == set()
