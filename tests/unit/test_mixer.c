/*
 * The conference mixer (src/media/mixer.c): G.711 µ-law against the
 * ITU-T table's anchor values, mix-minus with clipping, and a bridge of
 * two members over loopback UDP (each hears the other, not itself; a
 * stranger's packet is dropped and counted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/mixer.h"

static void
ulaw_anchor_values_and_round_trip(void **state)
{
	(void)state;
	assert_int_equal(mixer_ulaw_encode(0), 0xFF);
	assert_int_equal(mixer_ulaw_decode(0xFF), 0);
	assert_int_equal(mixer_ulaw_decode(0x80), 32124);
	assert_int_equal(mixer_ulaw_decode(0x00), -32124);
	assert_int_equal(mixer_ulaw_encode(32767), 0x80);
	assert_int_equal(mixer_ulaw_encode(-32768), 0x00);
	/* Every code decodes and encodes back to itself (0x7F: -0). */
	for (int u = 0; u < 256; u++)
		if (u != 0x7F)
			assert_int_equal(
			    mixer_ulaw_encode(mixer_ulaw_decode((uint8_t)u)),
			    u);
	/* Encoding error stays within a quantisation step. */
	for (int v = -32000; v <= 32000; v += 97) {
		int back = mixer_ulaw_decode(mixer_ulaw_encode((int16_t)v));

		assert_true(abs(back - v) <= (abs(v) / 16) + 8);
	}
}

static void
mix_minus_and_clipping(void **state)
{
	uint8_t a[MIXER_FRAME], b[MIXER_FRAME], out[MIXER_FRAME];
	const uint8_t *in[3] = {a, b, NULL};

	(void)state;
	memset(a, mixer_ulaw_encode(1000), sizeof(a));
	memset(b, mixer_ulaw_encode(2000), sizeof(b));
	mixer_mix(in, 3, 0, out); /* member 0 hears b only */
	assert_int_equal(out[0], mixer_ulaw_encode(mixer_ulaw_decode(b[0])));
	mixer_mix(in, 3, 2, out); /* member 2 hears a + b */
	assert_int_equal(out[5],
	    mixer_ulaw_encode(
	        (int16_t)(mixer_ulaw_decode(a[0]) + mixer_ulaw_decode(b[0]))));
	memset(a, 0x80, sizeof(a)); /* +32124 twice: clipped */
	memset(b, 0x80, sizeof(b));
	mixer_mix(in, 3, 2, out);
	assert_int_equal(out[0], 0x80);
	mixer_mix(in, 1, 0, out); /* alone: silence */
	assert_int_equal(out[0], 0xFF);
}

static int
udp(struct sockaddr_in *sin)
{
	socklen_t sl = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sin, &sl), 0);
	return fd;
}

static void
send_frame(int fd, uint16_t port, uint8_t value)
{
	uint8_t pkt[12 + MIXER_FRAME];
	struct sockaddr_in to;

	memset(pkt, 0, 12);
	pkt[0] = 0x80;
	memset(pkt + 12, value, MIXER_FRAME);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(port);
	assert_int_equal(
	    sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)),
	    (ssize_t)sizeof(pkt));
}

/* The payload of the next packet on fd (waits up to 1 s). */
static uint8_t
heard(int fd)
{
	uint8_t pkt[1500];
	struct timeval tv = {1, 0};
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, pkt, sizeof(pkt), 0);
	assert_int_equal(n, 12 + MIXER_FRAME);
	assert_int_equal(pkt[0] >> 6, 2);
	return pkt[12 + 7];
}

static void
bridge_of_two_over_loopback(void **state)
{
	struct in_addr lo = {htonl(INADDR_LOOPBACK)};
	struct sockaddr_in pa, pb, px;
	int a = udp(&pa), b = udp(&pb), x = udp(&px);
	struct mixer *m = NULL;
	struct mixer_member *ma, *mb;
	uint16_t qa, qb;
	uint8_t tone = mixer_ulaw_encode(4000);

	(void)state;
	assert_int_equal(mixer_new(NULL, &lo, 43000, 43100, &m), 0);
	assert_int_equal(mixer_member_add(m, &ma, &qa), 0);
	assert_int_equal(mixer_member_add(m, &mb, &qb), 0);
	assert_true(qa != qb && qa % 2 == 0);
	mixer_member_set_remote(ma, &pa);
	mixer_member_set_remote(mb, &pb);
	send_frame(a, qa, tone);
	send_frame(x, qa, 0x80); /* not A's address: dropped */
	usleep(20000);
	mixer_tick(m);
	assert_int_equal(heard(b), tone); /* B hears A */
	/* A alone spoke: A gets nothing (not itself, no comfort noise). */
	{
		uint8_t pkt[64];

		assert_int_equal(recv(a, pkt, sizeof(pkt), MSG_DONTWAIT), -1);
	}
	assert_int_equal(mixer_member_stats(ma)->rx, 2);
	assert_int_equal(mixer_member_stats(ma)->bad_source, 1);
	assert_int_equal(mixer_member_stats(mb)->tx, 1);
	mixer_member_remove(mb);
	assert_int_equal(mixer_members(m), 1);
	mixer_free(m);
	close(a);
	close(b);
	close(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ulaw_anchor_values_and_round_trip),
	    cmocka_unit_test(mix_minus_and_clipping),
	    cmocka_unit_test(bridge_of_two_over_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
