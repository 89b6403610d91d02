#!/bin/sh
# The main job of `make demo`: start opencmed with examples/demo.cfg in a
# temporary state directory, enroll its trustpoints, boot and register
# emulated phones, place an encrypted call (hold and resume) and a
# nonsecure one, show its security configuration, stop it.
set -eu
build=${1:-build}
tmp=$(mktemp -d /tmp/opencme-demo.XXXXXX)
state=$tmp/state
cp examples/demo.cfg "$tmp/startup.cfg"
echo "== opencmed -n: checking examples/demo.cfg"
"$build/opencmed" -n -f "$tmp/startup.cfg" >/dev/null
echo "== starting opencmed (state directory $state)"
"$build/opencmed" -f "$tmp/startup.cfg" -d "$state" 2>"$tmp/opencmed.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
i=0
while [ ! -S "$state/opencme.sock" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
cli() { "$build/opencme" -d "$state" "$@"; }
echo
echo "== the local CA (crypto pki server demo-ca) is up:"
cli -c "show crypto pki server"
echo
echo "== enrolling the server trustpoints against it over SCEP (loopback)"
for tp in cme-server sast1 sast2 capf tftp; do
	printf 'yes\nyes\n' | cli -c 'configure terminal' \
		-c "crypto pki authenticate $tp" -c "crypto pki enroll $tp" \
		-c end | grep -E 'Fingerprint SHA1|Certificate received|%' ||
		{ echo "enrollment of $tp failed"; exit 1; }
done
echo
echo "== publishing the CTL (ctl-client regenerate) and the signed phone files"
cli -c 'configure terminal' -c 'ctl-client' -c 'regenerate' -c 'end'
cli -c 'show tftp-server files' | head -20
echo
echo "== two emulated phones boot and get an LSC through CAPF (127.0.0.1:3804)"
i=0
until cli -c 'show capf-server certificate' | grep -q 'listening on' ||
	[ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
echo "\$ opencme-phone --tftp 127.0.0.1:16969 --mac 0011.2233.4401" \
	"--mac 0011.2233.4402 --state \$tmp/phones --capf-only --report json"
"$build/opencme-phone" --tftp 127.0.0.1:16969 --mac 0011.2233.4401 \
	--mac 0011.2233.4402 --state "$tmp/phones" --capf-only --report json \
	>"$tmp/phones.json" 2>"$tmp/phones.log" || {
	cat "$tmp/phones.log"
	echo "the phones did not boot"
	exit 1
}
python3 - "$tmp/phones.json" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1])):
    t, c, l = p["trust_list"] or {}, p["capf"] or {}, p["lsc"] or {}
    print(f"{p['name']}: {p['state']}; trust list {t.get('accepted')}; "
          f"CAPF {c.get('operation')} END_SESSION {c.get('end_reason')}; "
          f"LSC serial {l.get('serial')} {l.get('subject')} "
          f"until {l.get('not_after')}")
PY
for m in 001122334401 001122334402; do
	printf 'SEP%s lsc.pem: ' "$m"
	openssl x509 -in "$tmp/phones/SEP$m/lsc.pem" -noout -issuer
done
echo
echo "CME-Demo# show capf-server certificate"
cli -c 'show capf-server certificate'
echo
echo "== the phones register: 1 and 2 over TLS (127.0.0.1:2443) with their"
echo "   LSCs, 3 (device-security-mode none) over TCP (127.0.0.1:2000);"
echo "   phone 1 calls 1002 (phone 2 answers): an encrypted call, SRTP"
echo "   through the CME's media relay; phone 1 puts it on hold (phone 2"
echo "   hears tone on hold in plain RTP, no lock) and resumes it (SRTP"
echo "   again with new keys); the call stays up 4 seconds"
echo "\$ opencme-phone --tftp 127.0.0.1:16969 --mac 0011.2233.4401" \
	"--count 3 --no-capf --call 1002 --hold-resume --hold-seconds 4" \
	"--rtcp-interval-ms 1000 --report json"
"$build/opencme-phone" --tftp 127.0.0.1:16969 --mac 0011.2233.4401 \
	--count 3 --state "$tmp/phones" --no-capf --call 1002 --hold-resume \
	--hold-seconds 4 --rtcp-interval-ms 1000 --report json >"$tmp/secure.json" \
	2>"$tmp/secure.log" &
phones=$!
i=0
until [ "$(cli -c 'show sccp connections' | grep -c ' registered$')" -ge 3 ] ||
	[ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
echo "CME-Demo# show ephone registered"
cli -c 'show ephone registered' | grep -E '^ephone-|^ dn '
echo
echo "CME-Demo# show sccp connections"
cli -c 'show sccp connections'
# The call: once the resumed stream runs, the chapter's show ephone
# offhook (SRTP cipher, the keys of each side, relay counters).
i=0
until [ "$(cli -c 'show ephone offhook' | grep -c 'local key')" -ge 2 ] &&
	grep -q ': resuming' "$tmp/secure.log" || [ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.5
echo
echo "CME-Demo# show ephone offhook"
cli -c 'show ephone offhook'
echo
echo "CME-Demo# show voip rtp connections"
cli -c 'show voip rtp connections'
wait $phones || {
	cat "$tmp/secure.log"
	echo "the phones did not register or call"
	exit 1
}
echo
echo "== phone 3 (device-security-mode none, TCP) calls 1001 (phone 1"
echo "   answers): a nonsecure call, plain RTP phone to phone"
echo "\$ opencme-phone --tftp 127.0.0.1:16969 --mac 0011.2233.4403" \
	"--mac 0011.2233.4401 --no-capf --call 1001 --hold-seconds 2" \
	"--rtcp-interval-ms 1000 --report json"
"$build/opencme-phone" --tftp 127.0.0.1:16969 --mac 0011.2233.4403 \
	--mac 0011.2233.4401 --state "$tmp/phones" --no-capf --call 1001 \
	--hold-seconds 2 --rtcp-interval-ms 1000 --report json >"$tmp/plain.json" 2>"$tmp/plain.log" || {
	cat "$tmp/plain.log"
	echo "the nonsecure call failed"
	exit 1
}
echo
echo "== what the phones saw (calls, call states, media; keys never reported)"
for run in secure plain; do
	grep -E ': call [0-9]+: |: dialing |: hanging up|: putting on hold|: resuming' \
		"$tmp/$run.log" | sed 's/^/  /'
	python3 - "$tmp/$run.json" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1])):
    s = p["sccp"] or {}
    print(f"{p['name']}: registered {s.get('registered')} over "
          f"{s.get('transport')} {s.get('tls_version') or ''} "
          f"{s.get('tls_cipher') or ''}, protocol {s.get('protocol')}, "
          f"unregistered {s.get('unregistered')}")
    for c in p.get("calls", []):
        k = c["packets"]
        print(f"  call {c['direction']} {c['number']}: "
              f"{' -> '.join(c['states'])}; "
              f"secure {'yes' if c['secure'] else 'no'} "
              f"({c['suite'] if c['secure'] else 'RTP'}); "
              f"packets sent {k['sent']} received {k['received']} "
              f"auth failed {k['auth_failed']} bad pattern "
              f"{k['bad_pattern']} lost {k['lost']}, "
              f"SRTCP/RTCP sent {k['rtcp_sent']} received "
              f"{k['rtcp_received']}"
              + (f", hold audio {k['hold_audio']} packets (tone on hold, "
                 f"plain RTP)" if k['hold_audio'] else ""))
PY
done
echo
echo "== a phone's view: fetching over TFTP with tftp-hpa (127.0.0.1:16969)"
for f in CTLFile.tlv SEP001122334401.cnf.xml.sgn; do
	tftp 127.0.0.1 16969 -m binary -c get "$f" "$tmp/$f" &&
		echo "fetched $f ($(wc -c <"$tmp/$f") bytes)"
done
echo
echo "\$ opencme-tlv verify CTLFile.tlv"
"$build/opencme-tlv" verify "$tmp/CTLFile.tlv"
"$build/opencme-tlv" parse "$tmp/CTLFile.tlv" | grep -iE 'role|signer|filename' | head -12
echo
echo "CME-Demo# show crypto pki trustpoint status"
cli -c "show crypto pki trustpoint status" | grep -E 'Trustpoint|Keys|authenticated|request'
for cmd in "show telephony-service security-info" "show ctl-client" \
	"show capf-server summary" "show capf-server auth-string" \
	"show password-encryption"; do
	echo
	echo "CME-Demo# $cmd"
	cli -c "$cmd" || true
done
echo
echo "== setting a type 6 master key and an encrypted password"
printf 'DemoMasterKey1\nDemoMasterKey1\n' | cli -c 'configure terminal' \
	-c 'key config-key password-encrypt' -c 'password encryption aes' \
	-c 'telephony-service' -c 'ssh userid admin password 0 Demo1234' \
	-c 'end' >/dev/null
cli -c 'show running-config' | sed -n '/^telephony-service/,/^!/p'
cli -c 'write memory'
echo
echo "== stopping opencmed"
kill "$pid"
wait "$pid" 2>/dev/null || true
trap 'rm -rf "$tmp"' EXIT
echo "== daemon log"
cat "$tmp/opencmed.log"
