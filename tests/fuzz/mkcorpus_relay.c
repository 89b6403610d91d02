/*
 * Writes the seed corpus of fuzz_relay (tests/fuzz/corpus/fuzz_relay/):
 * genuine SRTP/SRTCP packets for each secure leg, plain RTP for the plain
 * leg, replays, forgeries and a wrong source.  Not part of the build; run
 * again after changing relay_fuzz.h:
 *
 *   cc -std=c11 -D_GNU_SOURCE -Isrc -Itests/fuzz tests/fuzz/mkcorpus_relay.c \
 *       build/libopencme.a $(pkg-config --libs libsrtp2 libcrypto) \
 *       -o /tmp/mkcorpus_relay && /tmp/mkcorpus_relay tests/fuzz/corpus/fuzz_relay
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/srtp_crypto.h"
#include "relay_fuzz.h"

static uint8_t out[8192];
static size_t outlen;

static void
rec(int flags, const uint8_t *p, size_t n)
{
	if (outlen + 3 + n > sizeof(out))
		abort();
	out[outlen++] = (uint8_t)flags;
	out[outlen++] = (uint8_t)(n >> 8);
	out[outlen++] = (uint8_t)n;
	memcpy(out + outlen, p, n);
	outlen += n;
}

static size_t
rtp(uint8_t *b, uint16_t seq, int leg)
{
	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memset(b + 4, 0, 4);
	b[8] = b[9] = b[10] = 0;
	b[11] = (uint8_t)(leg + 1);
	for (int i = 0; i < 160; i++)
		b[12 + i] = (uint8_t)(0xd5 ^ i);
	return 172;
}

static void
flush(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(out, 1, outlen, f) != outlen || fclose(f) != 0)
		abort();
	outlen = 0;
}

int
main(int argc, char **argv)
{
	struct srtpc_session *tx[4] = {0};
	uint8_t b[512], ks[SRTPC_MAX_KEY_SALT];
	size_t n;

	if (argc != 2 || srtpc_init() != 0)
		return 2;
	for (int i = 0; i < 4; i++) {
		enum srtpc_suite s = relay_fuzz_suite[i];

		if (s == SRTPC_NONE)
			continue;
		relay_fuzz_key(i, 1, ks);
		if (srtpc_session_new(s, ks,
		        srtpc_key_len(s) + srtpc_salt_len(s), SRTPC_SEND,
		        &tx[i]) != 0)
			return 1;
	}
	/* each secure leg: a few genuine packets, a replay, an SRTCP */
	for (int i = 0; i < 4; i++) {
		uint8_t first[512];
		size_t fn = 0;
		char name[64];

		if (tx[i] == NULL)
			continue;
		for (uint16_t seq = 1; seq <= 4; seq++) {
			n = rtp(b, seq, i);
			if (srtpc_protect_rtp(tx[i], b, &n, sizeof(b)) != 0)
				return 1;
			if (seq == 1) {
				memcpy(first, b, n);
				fn = n;
			}
			rec(i, b, n);
		}
		rec(i, first, fn); /* replay */
		n = 28;
		memset(b, 0x42, n);
		b[0] = 0x80;
		b[1] = 200;
		if (srtpc_protect_rtcp(tx[i], b, &n, sizeof(b)) != 0)
			return 1;
		rec(i | 4, b, n);
		snprintf(name, sizeof(name), "srtp_leg%d", i);
		flush(argv[1], name);
	}
	/* plain leg: RTP and RTCP, then the same from a wrong port */
	for (uint16_t seq = 1; seq <= 3; seq++) {
		n = rtp(b, seq, 1);
		rec(1, b, n);
	}
	n = 28;
	memset(b, 0x42, n);
	b[0] = 0x80;
	b[1] = 200;
	rec(1 | 4, b, n);
	n = rtp(b, 9, 1);
	rec(1 | 8, b, n);
	flush(argv[1], "plain_leg1");
	/* latched leg 3, a forgery first, an extension header, short bits */
	n = rtp(b, 1, 3);
	rec(0x10 | 3, b, n + 10);
	n = rtp(b, 10, 3);
	if (srtpc_protect_rtp(tx[3], b, &n, sizeof(b)) != 0)
		return 1;
	rec(0x10 | 3, b, n);
	n = rtp(b, 3, 1);
	b[0] = 0x90;
	b[12] = 0xbe;
	b[13] = 0xde;
	b[14] = 0;
	b[15] = 1;
	rec(0x10 | 1, b, n);
	rec(0x10 | 0, b, 11);
	rec(0x10 | 2 | 4, b, 7);
	flush(argv[1], "latch_and_short");
	for (int i = 0; i < 4; i++)
		srtpc_session_free(tx[i]);
	return 0;
}
