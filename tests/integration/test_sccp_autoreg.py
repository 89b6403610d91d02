"""auto-reg-ephone and `auto assign`: an unknown phone that registers gets
an ephone in the running configuration, and with `auto assign F to L` the
lowest free ephone-dn of the range as its line 1, so it can take and
place calls at once; the configuration can be saved like any other."""
import re

from test_sccp import free_sccp_port, pdu, sccp_show, wait_for
from test_sccp_calls import CONNECTED, OFFHOOK, RINGIN, RINGOUT, Phone

MACS = ("0011223388A1", "0011223388A2", "0011223388A3")


def test_auto_registered_phones_get_ephones_and_lines(daemons):
    sp = free_sccp_port()
    d = daemons("\n".join([
        "hostname CME1", "telephony-service",
        f" ip source-address 127.0.0.1 port {sp}", " auto assign 3 to 4",
        "ephone-dn 3", " number 3003", "ephone-dn 4", " number 3004",
        "ephone-dn 5", " number 3005", ""]), name="cme")
    wait_for(lambda: f"listening on 127.0.0.1 port {sp}" in sccp_show(d),
             "the TCP listener")
    a = Phone(sp, MACS[0], 21000)
    b = Phone(sp, MACS[1], 21002)
    c = Phone(sp, MACS[2], 21004)
    run = d.running()
    blocks = re.findall(r"^ephone\s+(\d+)\n((?: .*\n)*)", run, re.M)
    by_mac = {}
    for tag, body in blocks:
        m = re.search(r"mac-address (\S+)", body)
        btn = re.search(r"button\s+1:(\d+)", body)
        by_mac[m.group(1).replace(".", "")] = (int(tag),
                                              btn and int(btn.group(1)))
    assert by_mac[MACS[0]] == (1, 3), run
    assert by_mac[MACS[1]] == (2, 4), run
    assert by_mac[MACS[2]] == (3, None), run   # the range is used up
    # The first two can call each other on their assigned numbers.
    a.dial("3004")
    a.wait_state(RINGOUT)
    b.wait_state(RINGIN)
    b.send(pdu(OFFHOOK))
    a.wait_state(CONNECTED)
    assert "auto-registered as ephone 1 with ephone-dn 3" in d.log_text()
    # Saved, they are ordinary ephones after a restart.
    d.cli("write memory", check=True)
    for p in (a, b, c):
        p.close()
    d.stop()
    d.start()
    assert "mac-address 0011.2233.88A1" in d.running()
