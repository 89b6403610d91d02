/*
 * libFuzzer target: the relay's per-packet step, relay_packet(), on legs
 * without sockets: a secure leg (AES_CM_128_HMAC_SHA1_32) paired with a
 * plain one, and two secure legs (AEAD_AES_128_GCM, _SHA1_80) paired, one
 * of them latching its remote.  Records of arbitrary bytes arrive as RTP
 * or RTCP, from the expected source or not (format: relay_fuzz.h).
 * Invariants: nothing crashes; a forwarded packet fits the buffer, goes to
 * the peer's remote, has the peer's trailer length and, towards a plain
 * leg, is a whole RTP header; every packet is counted once on its leg.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/relay.h"
#include "relay_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
counted(const struct relay_stats *st)
{
	return st->short_pkt + st->malformed + st->bad_source + st->auth_fail +
	    st->replay + st->no_peer;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[RELAY_BUF];
	struct relay_conf rc = {.unbound = 1};
	struct relay *r = NULL;
	struct relay_leg *leg[4];
	struct sockaddr_in remote[4];
	uint64_t fwd[4] = {0}, prot[4] = {0};
	int latch = size > 0 && (data[0] & 0x10);

	if (relay_new(&rc, &r) != 0)
		abort();
	for (int i = 0; i < 4; i++) {
		struct relay_leg_conf lc;

		memset(&lc, 0, sizeof(lc));
		lc.suite = relay_fuzz_suite[i];
		relay_fuzz_key(i, 1, lc.rx_key);
		relay_fuzz_key(i, 0, lc.tx_key);
		if (relay_leg_add(r, &lc, &leg[i]) != 0)
			abort();
		memset(&remote[i], 0, sizeof(remote[i]));
		remote[i].sin_family = AF_INET;
		remote[i].sin_addr.s_addr = htonl(0x7f000001);
		remote[i].sin_port = htons(RELAY_FUZZ_PORT(i));
		if (!(i == 3 && latch))
			relay_leg_set_remote(leg[i], &remote[i]);
		memset(&lc, 0, sizeof(lc));
	}
	if (relay_pair(leg[0], leg[1]) != 0 || relay_pair(leg[2], leg[3]) != 0)
		abort();

	/* bounded by the input: every record consumes >= 3 bytes */
	while (size >= 3) {
		int flags = data[0], li = flags & 3, rtcp = (flags >> 2) & 1;
		size_t n = (size_t)data[1] << 8 | data[2];
		struct sockaddr_in src = remote[li], dst;
		struct relay_leg *out;
		enum relay_verdict v;
		size_t len;

		data += 3;
		size -= 3;
		if (n > size)
			n = size;
		len = n;
		if (len > sizeof(buf))
			len = sizeof(buf);
		memcpy(buf, data, len);
		if (n > RELAY_MTU)
			len = n; /* as recvmmsg reports truncation */
		data += n;
		size -= n;
		if (rtcp)
			src.sin_port =
			    htons((uint16_t)(RELAY_FUZZ_PORT(li) + 1));
		if (flags & 8)
			src.sin_port =
			    htons((uint16_t)(ntohs(src.sin_port) + 5));

		v = relay_packet(
		    leg[li], rtcp, &src, buf, &len, sizeof(buf), &dst);
		out = leg[li ^ 1];
		if (v == RELAY_FORWARD) {
			struct sockaddr_in want;

			fwd[li]++;
			if (len > sizeof(buf) || len < (rtcp ? 8u : 12u))
				abort();
			if (relay_leg_remote(out, rtcp, &want) != 0 ||
			    want.sin_port != dst.sin_port)
				abort();
			if (!rtcp && !relay_leg_is_secure(out) &&
			    srtpc_rtp_header_len(buf, len) < 0)
				abort();
		} else if (v == RELAY_DROP_PROTECT) {
			prot[li]++;
		}
	}
	for (int i = 0; i < 4; i++) {
		const struct relay_stats *st = relay_leg_stats(leg[i]);

		if (st->rx != fwd[i] + prot[i] + counted(st))
			abort();
	}
	relay_free(r);
	return 0;
}
