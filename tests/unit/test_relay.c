/*
 * Unit tests of src/media/relay.c: the per-packet step on legs without
 * sockets, then the batched UDP path over 127.0.0.1 with endpoints that
 * play the two phones (each with its own SRTP sessions).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "media/relay.h"

/* One phone: its keys as the call manager would hand them out. */
struct phone {
	enum srtpc_suite suite;
	struct srtpc_session *tx, *rx; /* NULL when plain */
	struct sockaddr_in addr;
	int fd;
};

struct call {
	struct relay *r;
	struct relay_leg *a, *b;
	struct phone pa, pb;
};

static void
phone_keys(struct phone *p, struct relay_leg_conf *lc, enum srtpc_suite suite)
{
	size_t kl = srtpc_key_len(suite) + srtpc_salt_len(suite);

	memset(lc, 0, sizeof(*lc));
	lc->suite = suite;
	p->suite = suite;
	p->tx = p->rx = NULL;
	if (suite == SRTPC_NONE)
		return;
	assert_int_equal(srtpc_keygen(suite, lc->rx_key, kl), 0);
	assert_int_equal(srtpc_keygen(suite, lc->tx_key, kl), 0);
	/* the phone sends with what the leg unprotects with, and so on */
	assert_int_equal(
	    srtpc_session_new(suite, lc->rx_key, kl, SRTPC_SEND, &p->tx), 0);
	assert_int_equal(
	    srtpc_session_new(suite, lc->tx_key, kl, SRTPC_RECV, &p->rx), 0);
}

static void
call_new_gso(struct call *c, enum srtpc_suite sa, enum srtpc_suite sb,
    int bound, int no_gso)
{
	struct relay_conf rc = {.unbound = !bound, .no_gso = no_gso};
	struct relay_leg_conf la, lb;

	memset(c, 0, sizeof(*c));
	c->pa.fd = c->pb.fd = -1;
	inet_pton(AF_INET, "127.0.0.1", &rc.addr);
	rc.port_lo = 41000;
	rc.port_hi = 41100;
	assert_int_equal(relay_new(&rc, &c->r), 0);
	phone_keys(&c->pa, &la, sa);
	phone_keys(&c->pb, &lb, sb);
	assert_int_equal(relay_leg_add(c->r, &la, &c->a), 0);
	assert_int_equal(relay_leg_add(c->r, &lb, &c->b), 0);
	assert_int_equal(relay_pair(c->a, c->b), 0);
	assert_int_equal(relay_pair(c->a, c->b), RELAY_E_PAIRED);
	c->pa.addr.sin_family = c->pb.addr.sin_family = AF_INET;
	c->pa.addr.sin_addr.s_addr = c->pb.addr.sin_addr.s_addr =
	    htonl(0x7f000001);
	c->pa.addr.sin_port = htons(30000);
	c->pb.addr.sin_port = htons(30010);
}

static void
call_new(struct call *c, enum srtpc_suite sa, enum srtpc_suite sb, int bound)
{
	call_new_gso(c, sa, sb, bound, 0);
}

static void
call_free(struct call *c)
{
	srtpc_session_free(c->pa.tx);
	srtpc_session_free(c->pa.rx);
	srtpc_session_free(c->pb.tx);
	srtpc_session_free(c->pb.rx);
	if (c->pa.fd >= 0)
		close(c->pa.fd);
	if (c->pb.fd >= 0)
		close(c->pb.fd);
	relay_free(c->r);
}

static size_t
g711(uint8_t *b, uint16_t seq, uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memset(b + 4, 0, 4);
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	for (int i = 0; i < 160; i++)
		b[12 + i] = (uint8_t)(0xd5 ^ i ^ seq);
	return 172;
}

/* What a phone puts on the wire for an RTP packet. */
static size_t
phone_send(struct phone *p, uint8_t *b, size_t n, size_t cap)
{
	if (p->tx != NULL)
		assert_int_equal(srtpc_protect_rtp(p->tx, b, &n, cap), 0);
	return n;
}

static void
phone_recv_check(struct phone *p, uint8_t *b, size_t n, uint16_t seq)
{
	uint8_t want[256];
	size_t wn = g711(want, seq, 0x11);

	if (p->rx != NULL)
		assert_int_equal(srtpc_unprotect_rtp(p->rx, b, &n), 0);
	assert_int_equal(n, wn);
	assert_memory_equal(b + 12, want + 12, 160);
}

static void
relay_through(struct call *c, int secure_a, int secure_b)
{
	uint8_t b[RELAY_BUF];
	struct sockaddr_in dst;
	size_t n;

	(void)secure_a;
	(void)secure_b;
	relay_leg_set_remote(c->a, &c->pa.addr);
	relay_leg_set_remote(c->b, &c->pb.addr);
	for (uint16_t seq = 1; seq <= 50; seq++) {
		/* A -> B */
		n = phone_send(&c->pa, b, g711(b, seq, 0x11), sizeof(b));
		assert_int_equal(
		    relay_packet(c->a, 0, &c->pa.addr, b, &n, sizeof(b), &dst),
		    RELAY_FORWARD);
		assert_int_equal(dst.sin_port, c->pb.addr.sin_port);
		assert_int_equal(n, 172 + srtpc_tag_len(c->pb.suite));
		phone_recv_check(&c->pb, b, n, seq);
		/* B -> A */
		n = phone_send(&c->pb, b, g711(b, seq, 0x11), sizeof(b));
		assert_int_equal(
		    relay_packet(c->b, 0, &c->pb.addr, b, &n, sizeof(b), &dst),
		    RELAY_FORWARD);
		assert_int_equal(dst.sin_port, c->pa.addr.sin_port);
		phone_recv_check(&c->pa, b, n, seq);
	}
	assert_int_equal(relay_leg_stats(c->a)->rx, 50);
	assert_int_equal(relay_leg_stats(c->b)->rx, 50);
	/* 50 G.711 payloads of 160 octets accepted from each side */
	assert_int_equal(relay_leg_stats(c->a)->rx_octets, 50 * 160);
	assert_int_equal(relay_leg_stats(c->b)->rx_octets, 50 * 160);
}

static void
srtp_to_srtp_is_rekeyed_per_leg(void **state)
{
	struct call c;

	(void)state;
	call_new(&c, SRTPC_AES_CM_128_HMAC_SHA1_32,
	    SRTPC_AES_CM_128_HMAC_SHA1_32, 0);
	relay_through(&c, 1, 1);
	call_free(&c);
	/* mixed suites per leg */
	call_new(&c, SRTPC_AES_CM_128_HMAC_SHA1_80, SRTPC_AEAD_AES_256_GCM, 0);
	relay_through(&c, 1, 1);
	call_free(&c);
}

static void
rtp_to_srtp_is_converted_both_ways(void **state)
{
	struct call c;

	(void)state;
	call_new(&c, SRTPC_NONE, SRTPC_AES_CM_128_HMAC_SHA1_32, 0);
	relay_through(&c, 0, 1);
	call_free(&c);
	call_new(&c, SRTPC_AEAD_AES_128_GCM, SRTPC_NONE, 0);
	relay_through(&c, 1, 0);
	call_free(&c);
	call_new(&c, SRTPC_NONE, SRTPC_NONE, 0);
	relay_through(&c, 0, 0);
	call_free(&c);
}

static void
bad_packets_are_dropped_and_counted(void **state)
{
	struct call c;
	uint8_t b[RELAY_BUF], keep[RELAY_BUF];
	struct sockaddr_in dst, other;
	const struct relay_stats *st;
	size_t n, kn;

	(void)state;
	call_new(&c, SRTPC_AES_CM_128_HMAC_SHA1_32,
	    SRTPC_AES_CM_128_HMAC_SHA1_80, 0);
	st = relay_leg_stats(c.a);
	relay_leg_set_remote(c.a, &c.pa.addr);
	relay_leg_set_remote(c.b, &c.pb.addr);
	other = c.pa.addr;
	other.sin_port = htons(30002);

	/* a genuine packet from the wrong port */
	n = phone_send(&c.pa, b, g711(b, 1, 0x11), sizeof(b));
	memcpy(keep, b, n);
	kn = n;
	assert_int_equal(relay_packet(c.a, 0, &other, b, &n, sizeof(b), &dst),
	    RELAY_DROP_SOURCE);
	assert_int_equal(st->bad_source, 1);
	/* then from the right one: forwarded once, the copy is a replay */
	memcpy(b, keep, kn);
	n = kn;
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_FORWARD);
	memcpy(b, keep, kn);
	n = kn;
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_DROP_REPLAY);
	assert_int_equal(st->replay, 1);
	/* plain RTP on a secure leg */
	n = g711(b, 2, 0x11);
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_DROP_AUTH);
	/* forged tag */
	n = phone_send(&c.pa, b, g711(b, 3, 0x11), sizeof(b));
	b[n - 1] ^= 0x80;
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_DROP_AUTH);
	assert_int_equal(st->auth_fail, 2);
	/* short and truncated */
	n = 5;
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_DROP_SHORT);
	n = phone_send(&c.pa, b, g711(b, 4, 0x11), sizeof(b));
	n = 14;
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_DROP_SHORT);
	n = 4;
	assert_int_equal(
	    relay_packet(c.a, 1, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_DROP_SHORT);
	assert_int_equal(st->short_pkt, 3);
	/* oversize */
	n = RELAY_MTU + 1;
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_DROP_MALFORMED);
	assert_int_equal(st->malformed, 1);
	assert_int_equal(st->rx, 9);
	call_free(&c);
}

static void
remote_is_latched_only_from_an_authentic_packet(void **state)
{
	struct call c;
	uint8_t b[RELAY_BUF];
	struct sockaddr_in dst, forger, got;
	size_t n;

	(void)state;
	call_new(&c, SRTPC_AES_CM_128_HMAC_SHA1_32,
	    SRTPC_AES_CM_128_HMAC_SHA1_32, 0);
	relay_leg_set_remote(c.b, &c.pb.addr);
	forger = c.pa.addr;
	forger.sin_port = htons(31000);
	assert_int_equal(relay_leg_remote(c.a, 0, &got), -1);
	n = g711(b, 1, 0x11);
	assert_int_equal(relay_packet(c.a, 0, &forger, b, &n, sizeof(b), &dst),
	    RELAY_DROP_AUTH);
	assert_int_equal(relay_leg_remote(c.a, 0, &got), -1);
	n = phone_send(&c.pa, b, g711(b, 2, 0x11), sizeof(b));
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_FORWARD);
	assert_int_equal(relay_leg_remote(c.a, 0, &got), 0);
	assert_int_equal(got.sin_port, c.pa.addr.sin_port);
	assert_int_equal(relay_leg_remote(c.a, 1, &got), 0);
	assert_int_equal(ntohs(got.sin_port), 30001);
	/* now the forger's authentic-looking traffic is a bad source */
	n = phone_send(&c.pa, b, g711(b, 3, 0x11), sizeof(b));
	assert_int_equal(relay_packet(c.a, 0, &forger, b, &n, sizeof(b), &dst),
	    RELAY_DROP_SOURCE);
	/* B's remote unknown: A's packets have nowhere to go */
	call_free(&c);
	call_new(&c, SRTPC_NONE, SRTPC_NONE, 0);
	n = g711(b, 1, 0x11);
	assert_int_equal(
	    relay_packet(c.a, 0, &c.pa.addr, b, &n, sizeof(b), &dst),
	    RELAY_DROP_NO_PEER);
	assert_int_equal(relay_leg_stats(c.a)->no_peer, 1);
	call_free(&c);
}

/* ---- over loopback ---- */

static int
udp_bound(struct sockaddr_in *addr)
{
	socklen_t sl = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	addr->sin_port = 0;
	assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &sl), 0);
	return fd;
}

static void
leg_addr(struct relay_leg *leg, int rtcp, struct sockaddr_in *out)
{
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_addr.s_addr = htonl(0x7f000001);
	out->sin_port = htons((uint16_t)(relay_leg_port(leg) + rtcp));
}

static ssize_t
recv_wait(int fd, uint8_t *b, size_t cap)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (poll(&pfd, 1, 1000) != 1)
		return -1;
	return recv(fd, b, cap, MSG_DONTWAIT);
}

static void
relays_srtp_and_srtcp_over_loopback_udp(void **state)
{
	struct call c;
	struct sockaddr_in la, lb;
	struct event_base *base;
	uint8_t b[RELAY_BUF];
	size_t n;
	int stray;

	(void)state;
	call_new(&c, SRTPC_AES_CM_128_HMAC_SHA1_32,
	    SRTPC_AES_CM_128_HMAC_SHA1_80, 1);
	assert_int_equal(relay_leg_port(c.a) % 2, 0);
	assert_true(
	    relay_leg_port(c.a) >= 41000 && relay_leg_port(c.a) < 41100);
	assert_int_not_equal(relay_leg_port(c.a), relay_leg_port(c.b));
	base = event_base_new();
	assert_non_null(base);
	assert_int_equal(relay_attach(c.r, base), 0);
	c.pa.fd = udp_bound(&c.pa.addr);
	c.pb.fd = udp_bound(&c.pb.addr);
	relay_leg_set_remote(c.a, &c.pa.addr);
	relay_leg_set_remote(c.b, &c.pb.addr);
	leg_addr(c.a, 0, &la);
	leg_addr(c.b, 0, &lb);

	/* 40 packets A -> relay, in one burst: batched */
	for (uint16_t seq = 1; seq <= 40; seq++) {
		n = phone_send(&c.pa, b, g711(b, seq, 0x11), sizeof(b));
		assert_int_equal(sendto(c.pa.fd, b, n, 0,
		                     (struct sockaddr *)&la, sizeof(la)),
		    (ssize_t)n);
	}
	/* and one from a stray socket */
	stray = socket(AF_INET, SOCK_DGRAM, 0);
	n = phone_send(&c.pa, b, g711(b, 41, 0x11), sizeof(b));
	assert_int_equal(
	    sendto(stray, b, n, 0, (struct sockaddr *)&la, sizeof(la)),
	    (ssize_t)n);
	close(stray);
	for (int i = 0; i < 20 && relay_leg_stats(c.a)->rx < 41; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	for (uint16_t seq = 1; seq <= 40; seq++) {
		ssize_t got = recv_wait(c.pb.fd, b, sizeof(b));

		assert_true(got > 0);
		phone_recv_check(&c.pb, b, (size_t)got, seq);
	}
	assert_int_equal(relay_leg_stats(c.a)->rx, 41);
	assert_int_equal(relay_leg_stats(c.a)->bad_source, 1);
	assert_int_equal(relay_leg_stats(c.b)->tx, 40);
	/* octets: the stray packet not counted; sent = accepted */
	assert_int_equal(relay_leg_stats(c.a)->rx_octets, 40 * 160);
	assert_int_equal(relay_leg_stats(c.b)->tx_octets, 40 * 160);

	/* SRTCP B -> A through port + 1, from B's port + 1 */
	{
		struct sockaddr_in pb1 = c.pb.addr, lb1;
		int fd1 = socket(AF_INET, SOCK_DGRAM, 0);
		ssize_t got;

		pb1.sin_port = htons((uint16_t)(ntohs(pb1.sin_port) + 1));
		if (bind(fd1, (struct sockaddr *)&pb1, sizeof(pb1)) == 0) {
			leg_addr(c.b, 1, &lb1);
			n = 28;
			memset(b, 0x33, n);
			b[0] = 0x80;
			b[1] = 200;
			assert_int_equal(
			    srtpc_protect_rtcp(c.pb.tx, b, &n, sizeof(b)), 0);
			assert_int_equal(
			    sendto(fd1, b, n, 0, (struct sockaddr *)&lb1,
			        sizeof(lb1)),
			    (ssize_t)n);
			/* A's RTCP goes to A's port + 1: listen there */
			struct sockaddr_in pa1 = c.pa.addr;
			int fa1 = socket(AF_INET, SOCK_DGRAM, 0);

			pa1.sin_port =
			    htons((uint16_t)(ntohs(pa1.sin_port) + 1));
			if (bind(fa1, (struct sockaddr *)&pa1, sizeof(pa1)) ==
			    0) {
				for (int i = 0; i < 20 &&
				     relay_leg_stats(c.a)->rtcp_tx < 1;
				     i++)
					event_base_loop(base,
					    EVLOOP_ONCE | EVLOOP_NONBLOCK);
				got = recv_wait(fa1, b, sizeof(b));
				assert_true(got > 0);
				n = (size_t)got;
				assert_int_equal(
				    srtpc_unprotect_rtcp(c.pa.rx, b, &n), 0);
				assert_int_equal(n, 28);
				assert_int_equal(b[5], 0x33);
			}
			close(fa1);
		}
		close(fd1);
	}
	call_free(&c);
	event_base_free(base);
}

/* ---- UDP GSO: the send plan, then over loopback ---- */

struct plan_case {
	const char *what;
	size_t n;
	size_t len[80]; /* 0 past n; see fill below */
	size_t fill_len, fill_n; /* or: fill_n datagrams of fill_len */
	size_t other_dst; /* 1-based index of a datagram to elsewhere */
	size_t ng;
	struct relay_gso_group g[8];
};

static const struct plan_case plan_cases[] = {
    {"a batch of G.711 is one group", 0, {0}, 172, 32, 0, 1, {{0, 32, 172}}},
    {"one datagram alone", 1, {172}, 0, 0, 0, 1, {{0, 1, 172}}},
    {"nothing", 0, {0}, 0, 0, 0, 0, {{0, 0, 0}}},
    {"a shorter one ends the group", 5, {172, 172, 100, 172, 172}, 0, 0, 0, 2,
        {{0, 3, 172}, {3, 2, 172}}},
    {"a longer one starts a group", 3, {100, 172, 172}, 0, 0, 0, 2,
        {{0, 1, 100}, {1, 2, 172}}},
    {"mixed sizes", 8, {60, 60, 60, 300, 300, 28, 28, 300}, 0, 0, 0, 4,
        {{0, 3, 60}, {3, 3, 300}, {6, 1, 28}, {7, 1, 300}}},
    {"another destination splits", 4, {172, 172, 172, 172}, 0, 0, 3, 3,
        {{0, 2, 172}, {2, 1, 172}, {3, 1, 172}}},
    {"too long for a segment", 3, {1300, 1300, 1300}, 0, 0, 0, 3,
        {{0, 1, 1300}, {1, 1, 1300}, {2, 1, 1300}}},
    {"at most 64 segments", 0, {0}, 172, 70, 0, 2,
        {{0, 64, 172}, {64, 6, 172}}},
    {"at most 65000 bytes", 0, {0}, 1200, 60, 0, 2,
        {{0, 54, 1200}, {54, 6, 1200}}},
    {"empty datagrams alone", 3, {0, 0, 172}, 0, 0, 0, 3,
        {{0, 1, 0}, {1, 1, 0}, {2, 1, 172}}},
};

static void
gso_plan_groups_runs_of_equal_size_to_one_destination(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(plan_cases) / sizeof(plan_cases[0]);
	     t++) {
		const struct plan_case *pc = &plan_cases[t];
		size_t len[80], n = pc->fill_n ? pc->fill_n : pc->n, ng, next;
		struct sockaddr_in dst[80];
		struct relay_gso_group g[80];

		/* Given n datagrams, all to one address but maybe one */
		for (size_t i = 0; i < n; i++) {
			len[i] = pc->fill_n ? pc->fill_len : pc->len[i];
			memset(&dst[i], 0, sizeof(dst[i]));
			dst[i].sin_family = AF_INET;
			dst[i].sin_addr.s_addr = htonl(0x7f000001);
			dst[i].sin_port = htons(30010);
			/* padding differs: only family, address, port count */
			memset(
			    dst[i].sin_zero, (int)i, sizeof(dst[i].sin_zero));
		}
		if (pc->other_dst)
			dst[pc->other_dst - 1].sin_port = htons(30012);
		/* When planned */
		ng = relay_gso_plan(len, dst, n, g);
		/* Then the expected groups, covering each datagram once */
		print_message("%s\n", pc->what);
		assert_int_equal(ng, pc->ng);
		next = 0;
		for (size_t i = 0; i < ng; i++) {
			assert_int_equal(g[i].first, pc->g[i].first);
			assert_int_equal(g[i].count, pc->g[i].count);
			assert_int_equal(g[i].seg, pc->g[i].seg);
			assert_int_equal(g[i].first, next);
			next += g[i].count;
		}
		assert_int_equal(next, n);
	}
}

/* A plain RTP packet of n bytes whose bytes depend on seq and n. */
static size_t
rtp_sized(uint8_t *b, uint16_t seq, size_t n)
{
	g711(b, seq, 0x22);
	for (size_t i = 12; i < n; i++)
		b[i] = (uint8_t)(seq * 7 + i + n);
	return n;
}

static int
kernel_has_gso(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), v = 0, ok;
	socklen_t vl = sizeof(v);

	ok = getsockopt(fd, IPPROTO_UDP, 103 /* UDP_SEGMENT */, &v, &vl) == 0;
	close(fd);
	return ok;
}

/*
 * 48 plain RTP datagrams of mixed sizes in one burst A -> relay -> B:
 * every one arrives, exact bytes, in order, and the counters are exact.
 * no_check: B's socket gets SO_NO_CHECK, with which the kernel refuses
 * GSO (EINVAL), so the relay must fall back on the first batch.
 */
static void
relay_mixed_sizes_over_loopback(int no_gso, int no_check)
{
	static const size_t sizes[] = {172, 172, 172, 60, 60, 300, 300, 300,
	    300, 172, 1400, 1400, 12, 172, 172, 100};
	const size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
	struct call c;
	struct sockaddr_in la;
	struct event_base *base;
	uint8_t b[RELAY_BUF], want[RELAY_BUF];
	uint64_t payload = 0;
	int gso = kernel_has_gso() && !no_gso;

	call_new_gso(&c, SRTPC_NONE, SRTPC_NONE, 1, no_gso);
	assert_int_equal(relay_gso_active(c.r), gso);
	base = event_base_new();
	assert_non_null(base);
	assert_int_equal(relay_attach(c.r, base), 0);
	c.pa.fd = udp_bound(&c.pa.addr);
	c.pb.fd = udp_bound(&c.pb.addr);
	relay_leg_set_remote(c.a, &c.pa.addr);
	relay_leg_set_remote(c.b, &c.pb.addr);
	leg_addr(c.a, 0, &la);
	if (no_check) {
		int one = 1;

		assert_int_equal(setsockopt(relay_leg_fd(c.b, 0), SOL_SOCKET,
		                     SO_NO_CHECK, &one, sizeof(one)),
		    0);
	}
	/* Given 48 datagrams sent at once (the relay reads batches of 32) */
	for (uint16_t seq = 1; seq <= 48; seq++) {
		size_t n = rtp_sized(b, seq, sizes[seq % nsizes]);

		payload += n - 12;
		assert_int_equal(sendto(c.pa.fd, b, n, 0,
		                     (struct sockaddr *)&la, sizeof(la)),
		    (ssize_t)n);
	}
	/* When the relay runs */
	for (int i = 0; i < 20 && relay_leg_stats(c.a)->rx < 48; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	/* Then B gets each, in order, byte for byte */
	for (uint16_t seq = 1; seq <= 48; seq++) {
		ssize_t got = recv_wait(c.pb.fd, b, sizeof(b));
		size_t wn = rtp_sized(want, seq, sizes[seq % nsizes]);

		assert_int_equal(got, (ssize_t)wn);
		assert_memory_equal(b, want, wn);
	}
	assert_int_equal(recv(c.pb.fd, b, sizeof(b), MSG_DONTWAIT), -1);
	assert_int_equal(relay_leg_stats(c.a)->rx, 48);
	assert_int_equal(relay_leg_stats(c.b)->tx, 48);
	assert_int_equal(relay_leg_stats(c.b)->send_fail, 0);
	assert_int_equal(relay_leg_stats(c.a)->rx_octets, payload);
	assert_int_equal(relay_leg_stats(c.b)->tx_octets, payload);
	/* and GSO was used, or given up for good */
	assert_int_equal(relay_gso_active(c.r), gso && !no_check ? 2 : 0);
	call_free(&c);
	event_base_free(base);
}

static void
gso_sends_mixed_sizes_exactly_over_loopback(void **state)
{
	(void)state;
	relay_mixed_sizes_over_loopback(0, 0);
}

static void
without_gso_the_same_datagrams_arrive(void **state)
{
	(void)state;
	relay_mixed_sizes_over_loopback(1, 0);
}

static void
gso_refused_by_the_kernel_falls_back_for_good(void **state)
{
	(void)state;
	relay_mixed_sizes_over_loopback(0, 1);
}

static void
port_range_exhaustion_is_reported(void **state)
{
	struct relay_conf rc = {0};
	struct relay *r;
	struct relay_leg_conf lc = {.suite = SRTPC_NONE};
	struct relay_leg *l1, *l2, *l3;

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &rc.addr);
	rc.port_lo = 41200;
	rc.port_hi = 41203; /* two pairs: 41200/1 and 41202/3 */
	assert_int_equal(relay_new(&rc, &r), 0);
	assert_int_equal(relay_leg_add(r, &lc, &l1), 0);
	assert_int_equal(relay_leg_add(r, &lc, &l2), 0);
	assert_int_equal(relay_leg_add(r, &lc, &l3), RELAY_E_PORTS);
	relay_leg_free(l1);
	assert_int_equal(relay_leg_add(r, &lc, &l3), 0);
	assert_int_equal(relay_leg_port(l3), 41200);
	assert_string_equal(relay_err_str(RELAY_E_PORTS),
	    "no free port pair in the media port range");
	(void)l2;
	relay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(srtp_to_srtp_is_rekeyed_per_leg),
	    cmocka_unit_test(rtp_to_srtp_is_converted_both_ways),
	    cmocka_unit_test(bad_packets_are_dropped_and_counted),
	    cmocka_unit_test(remote_is_latched_only_from_an_authentic_packet),
	    cmocka_unit_test(relays_srtp_and_srtcp_over_loopback_udp),
	    cmocka_unit_test(port_range_exhaustion_is_reported),
	    cmocka_unit_test(
	        gso_plan_groups_runs_of_equal_size_to_one_destination),
	    cmocka_unit_test(gso_sends_mixed_sizes_exactly_over_loopback),
	    cmocka_unit_test(without_gso_the_same_datagrams_arrive),
	    cmocka_unit_test(gso_refused_by_the_kernel_falls_back_for_good),
	};

	assert_int_equal(srtpc_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
