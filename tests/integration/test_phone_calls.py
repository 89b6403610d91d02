"""opencme-phone places and answers calls against a real daemon: the
chapter's secure example (three encrypted phones and one in mode none,
LSCs over CAPF), the emulator as the phones.  An encrypted call carries
SRTP both ways through the CME's media relay, each phone protecting its
G.711 test pattern with the StartMediaTransmission key and checking what
it receives with the OpenReceiveChannel key (authenticated, decrypted to
the pattern, nothing lost); a call with the mode-none phone is plain
phone-to-phone RTP; calling a phone that is in a call is busy.  RTCP
sender reports go to the media port + 1: SRTCP through the relay (whose
RTCP counters move) on an encrypted call, plain RTCP phone to phone
otherwise."""
import json
import re
import subprocess
import threading
import time

from test_sccp import (CHAPTER_PHONES, make_secure_cme, phone_args,
                       registered_rows, run_phone, wait_for)

PH = {tag: (mac, number) for tag, mac, _m, _s, number, _n in CHAPTER_PHONES}


def calls(rep, tag):
    return rep[PH[tag][0]]["calls"]


def start_phones(args):
    """opencme-phone in the background; a thread gathers its stderr lines
    in err while the test looks at the daemon."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    err = []
    reader = threading.Thread(
        target=lambda: err.extend(iter(proc.stderr.readline, "")),
        daemon=True)
    reader.start()
    return proc, err, reader


def check_media(call, secure, min_packets=50):
    """A call that was up: packets both ways, all authentic, the pattern
    intact, none lost (loopback)."""
    pk = call["packets"]
    assert call["connected"] and call["state"] == "connected", call
    assert call["final_state"] == "onhook", call
    assert call["secure"] is secure, call
    assert call["suite"] == ("AES_CM_128_HMAC_SHA1_32" if secure
                             else "none"), call
    # `secure` needs a CallInfo with status 3 during the call; the last
    # one may say otherwise (the CME sends it again as the stream closes).
    assert pk["sent"] >= min_packets and pk["received"] >= min_packets, pk
    assert pk["auth_failed"] == 0 and pk["replayed"] == 0, pk
    assert pk["bad_pattern"] == 0 and pk["lost"] == 0, pk


def test_encrypted_call_carries_srtp_both_ways(daemons, tmp_path):
    d = make_secure_cme(daemons)
    p, rep = run_phone(d, tmp_path / "ph", [PH[1][0], PH[2][0]], "--call",
                       PH[2][1], hold=2)
    assert p.returncode == 0, p.stderr
    (a,), (b,) = calls(rep, 1), calls(rep, 2)
    assert a["direction"] == "outgoing" and a["number"] == PH[2][1], a
    assert b["direction"] == "incoming" and b["number"] == PH[1][1], b
    assert "ringout" in a["states"] and "ringin" in b["states"], (a, b)
    for c in (a, b):
        check_media(c, True)
        assert c["streams"] == 1, c
    # The call's log lines name the suite, never a key.
    lines = [x for x in p.stderr.splitlines() if ": call " in x]
    assert any("media AES_CM_128_HMAC_SHA1_32 to 127.0.0.1:" in x
               for x in lines), p.stderr
    assert not any("key" in x.lower() for x in lines), p.stderr
    wait_for(lambda: not registered_rows(d), "unregistration")


def check_rtcp(call, peer):
    """Sender reports every 300 ms both ways, all authentic and
    well-formed; what one phone sent the other received (but for one
    in flight at hang-up)."""
    pk, pp = call["packets"], peer["packets"]
    assert pk["rtcp_sent"] >= 4 and pk["rtcp_received"] >= 4, pk
    assert pk["rtcp_auth_failed"] == 0 and pk["rtcp_malformed"] == 0, pk
    assert pk["rtcp_received"] >= pp["rtcp_sent"] - 1, (pk, pp)


def test_call_with_the_mode_none_phone_is_plain_rtp(daemons, tmp_path):
    d = make_secure_cme(daemons)
    # ephone 4 (mode none, TCP) calls ephone 1 (encrypted, TLS).
    p, rep = run_phone(d, tmp_path / "ph", [PH[4][0], PH[1][0]], "--call",
                       PH[1][1], "--rtcp-interval-ms", "300", hold=2)
    assert p.returncode == 0, p.stderr
    (a,), (b,) = calls(rep, 4), calls(rep, 1)
    assert rep[PH[4][0]]["sccp"]["transport"] == "TCP"
    assert rep[PH[1][0]]["sccp"]["transport"] == "TLS"
    assert a["direction"] == "outgoing" and b["direction"] == "incoming"
    for c in (a, b):
        check_media(c, False)
        assert c["security_status"] != 3, c
    check_rtcp(a, b)        # plain RTCP phone to phone
    check_rtcp(b, a)


def test_calling_a_phone_in_a_call_is_busy(daemons, tmp_path):
    d = make_secure_cme(daemons)
    state = tmp_path / "ph"
    # First boot: every phone gets its LSC (CAPF), no call.
    p, rep = run_phone(d, state, [m for m, _ in PH.values()])
    assert p.returncode == 0, p.stderr
    # Phones 1 and 2 in a call ...
    first, err, reader = start_phones(
        phone_args(d, state, [PH[1][0], PH[2][0]], "--no-capf", "--call",
                   PH[2][1], hold=6))
    try:
        wait_for(lambda: sum(": connected" in l for l in err) >= 2 or
                 first.poll() is not None, "the first call", tries=300)
        assert first.poll() is None, "".join(err)
        # ... then phone 3 calls phone 2: busy.
        t0 = time.monotonic()
        p, rep = run_phone(d, state, [PH[3][0]], "--no-capf", "--call",
                           PH[2][1], hold=1)
        assert time.monotonic() - t0 < 6
    finally:
        out, _ = first.communicate(timeout=60)
        reader.join(timeout=5)
    assert p.returncode == 0, p.stderr
    (c,) = calls(rep, 3)
    assert c["state"] == "busy" and not c["connected"], c
    assert c["final_state"] == "onhook" and c["packets"]["sent"] == 0, c
    assert first.returncode == 0, "".join(err)
    rep1 = {x["mac"]: x for x in json.loads(out)}
    (a,), (b,) = calls(rep1, 1), calls(rep1, 2)
    for x in (a, b):
        check_media(x, True, min_packets=100)


def test_hold_and_resume_bring_a_new_srtp_stream(daemons, tmp_path):
    d = make_secure_cme(daemons)
    p, rep = run_phone(d, tmp_path / "ph", [PH[1][0], PH[2][0]], "--call",
                       PH[2][1], "--hold-resume", hold=3)
    assert p.returncode == 0, p.stderr
    (a,), (b,) = calls(rep, 1), calls(rep, 2)
    assert a["states"] == ["offhook", "ringout", "connected", "hold",
                           "connected", "onhook"], a
    for c in (a, b):
        # A new OpenReceiveChannel/StartMediaTransmission pair with new
        # keys after the resume: both streams authenticate.
        check_media(c, True)
        assert c["streams"] == 2, c
    # While A held, B heard tone on hold (no moh file configured): a
    # receive-only plain stream, apart from the pattern it checks.
    assert b["packets"]["hold_audio"] > 0, b
    assert a["packets"]["hold_audio"] == 0, a


def test_srtcp_sender_reports_cross_the_relay(daemons, tmp_path):
    d = make_secure_cme(daemons)
    call, err, reader = start_phones(
        phone_args(d, tmp_path / "ph", [PH[1][0], PH[2][0]], "--call",
                   PH[2][1], "--rtcp-interval-ms", "300", hold=4))

    def relay_rtcp():
        out = d.cli("show ephone offhook", check=True).stdout
        return [(int(t), int(r)) for t, r in
                re.findall(r"RTCP Tx Pkts (\d+) Rx Pkts (\d+)", out)]

    try:
        wait_for(lambda: sum(": connected" in x for x in err) >= 2 or
                 call.poll() is not None, "the call", tries=600)
        assert call.poll() is None, "".join(err)
        # Both relay legs received SRTCP from their phone and sent the
        # other phone's, re-protected.
        counts = wait_for(lambda: (lambda c: c if len(c) == 2 and all(
            t >= 2 and r >= 2 for t, r in c) else None)(relay_rtcp()),
            "the relay's RTCP counters", tries=50)
        assert "Active Secure Call" in d.cli("show ephone offhook").stdout
    finally:
        out, _ = call.communicate(timeout=60)
        reader.join(timeout=5)
    assert call.returncode == 0, "".join(err)
    rep = {x["mac"]: x for x in json.loads(out)}
    (a,), (b,) = calls(rep, 1), calls(rep, 2)
    for c in (a, b):
        check_media(c, True)
    # The phones check SRTCP with their receive keys: what they got
    # was protected by the relay with the keys the CME gave them.
    check_rtcp(a, b)
    check_rtcp(b, a)


def test_flow_around_call_between_emulated_phones(daemons, tmp_path):
    """voice service voip / media flow-around: the emulated phones get
    the keys end to end and send straight to each other (the CME relays
    nothing, shows the stream as flow-around); SRTP and SRTCP verify
    both ways with the keys the phones were given."""
    d = make_secure_cme(daemons)
    p = d.cli("configure terminal", "voice service voip",
              "media flow-around", "end")
    assert p.returncode == 0, p.stdout + p.stderr
    call, err, reader = start_phones(
        phone_args(d, tmp_path / "ph", [PH[1][0], PH[2][0]], "--call",
                   PH[2][1], "--rtcp-interval-ms", "300", hold=3))
    try:
        wait_for(lambda: sum(" media AES_CM" in x for x in err) >= 2 or
                 call.poll() is not None, "the call's media", tries=600)
        assert call.poll() is None, "".join(err)
        rtp = d.cli("show voip rtp connections", check=True).stdout
        off = d.cli("show ephone offhook", check=True).stdout
    finally:
        out, _ = call.communicate(timeout=60)
        reader.join(timeout=5)
    assert call.returncode == 0, "".join(err)
    assert "Media mode: flow-around" in rtp, rtp
    assert "Found 0 active RTP connections" in rtp, rtp  # relay unused
    assert "Found 1 flow-around streams" in rtp, rtp
    assert off.count("Media: flow-around, SRTP phone to phone") == 2, off
    # Each phone's media went to the other phone's own port, not the CME.
    media = {}
    for x in err:
        m = re.search(r"(SEP\w+): call \d+: media AES_CM\S+ to "
                      r"127\.0\.0\.1:(\d+) from port (\d+)", x)
        if m:
            media[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    (to_a, from_a), (to_b, from_b) = media.values()
    assert to_a == from_b and to_b == from_a, media
    rep = {x["mac"]: x for x in json.loads(out)}
    (a,), (b,) = calls(rep, 1), calls(rep, 2)
    for c in (a, b):
        check_media(c, True)
    check_rtcp(a, b)
    check_rtcp(b, a)
