"""Helpers for the PKI tests: free ports, CA configurations, reading the
certificates a daemon keeps in its running-config, openssl checks."""
import pathlib
import re
import socket
import subprocess


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ca_config(port, label="myca", extra_server="", grant_auto=True,
              trustpoints=("cme",), hostname="CME1"):
    lines = [f"hostname {hostname}", "ip http server", f"ip http port {port}",
             "ip http source-address 127.0.0.1",
             f"crypto pki trustpoint {label}", " revocation-check none",
             f"crypto pki server {label}", " database level complete"]
    if grant_auto:
        lines.append(" grant auto")
    lines += [l for l in extra_server.splitlines() if l.strip()]
    lines.append(" no shutdown")
    for tp in trustpoints:
        lines += [f"crypto pki trustpoint {tp}",
                  f" enrollment url http://127.0.0.1:{port}",
                  " revocation-check none"]
    return "\n".join(lines) + "\n"


def chain_ders(running, trustpoint):
    """The certificates of `crypto pki certificate chain TP`, as
    (is_ca, serial, der) from a running-config text."""
    m = re.search(rf"^crypto pki certificate chain {re.escape(trustpoint)}\n"
                  r"((?: .*\n)*)", running, re.M)
    assert m, f"no chain for {trustpoint}:\n{running}"
    out = []
    cur = None
    for line in m.group(1).splitlines():
        t = line.strip()
        h = re.fullmatch(r"certificate (ca )?([0-9A-Fa-f]+)", t)
        if h:
            cur = [bool(h.group(1)), h.group(2), ""]
        elif t == "quit":
            out.append((cur[0], cur[1], bytes.fromhex(cur[2])))
            cur = None
        elif cur is not None:
            cur[2] += t.replace(" ", "")
    return out


def write_pem(path, der):
    p = subprocess.run(["openssl", "x509", "-inform", "DER", "-outform",
                        "PEM"], input=der, capture_output=True, check=True)
    pathlib.Path(path).write_bytes(p.stdout)
    return path


def x509_text(der):
    return subprocess.run(["openssl", "x509", "-inform", "DER", "-noout",
                           "-text"], input=der, capture_output=True,
                          check=True).stdout.decode()


def x509_field(der, *args):
    return subprocess.run(["openssl", "x509", "-inform", "DER", "-noout",
                           *args], input=der, capture_output=True,
                          check=True).stdout.decode().strip()
