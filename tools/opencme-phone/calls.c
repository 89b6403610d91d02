/*
 * The registered phase of a phone (doc/opencme-phone.md, "Calls and
 * media"): keepalives, --call (the first phone dials once every phone of
 * the run registered, keeps the call up --hold-seconds, hangs up),
 * answering incoming calls after --ring-ms, CallState/CallInfo per call
 * reference, and media: OpenReceiveChannel is answered with a UDP socket
 * of the phone's own, StartMediaTransmission starts G.711 20 ms packets
 * carrying a test pattern derived from the sequence number, SRTP with
 * the StartMediaTransmission (transmit) key, received packets checked
 * with the OpenReceiveChannel (receive) key (../shared/spec/sccp.md
 * sections 8, 9, 12); RTCP on the media port + 1: an RFC 3550 sender
 * report (with a reception report block and an SDES CNAME) every
 * --rtcp-interval-ms, SRTCP with the same keys when the stream is
 * secure, and received RTCP/SRTCP checked and counted.  One thread per
 * phone: everything is driven from one poll loop.  Keys are never
 * logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "fmt/sccp.h"
#include "media/srtp_crypto.h"
#include "phone.h"

#define MAX_STREAMS 4
#define PAYLOAD 160 /* G.711, 20 ms */
#define PKT_CAP 256
#define RX_BATCH 64
#define TX_CATCH_UP 5
#define RTCP_CAP 256
#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define NTP_UNIX_OFFSET 2208988800u /* 1900 to 1970, in seconds */
#define PORT_PAIR_TRIES 32

enum {
	ST_OFFHOOK = 1,
	ST_ONHOOK = 2,
	ST_RINGOUT = 3,
	ST_RINGIN = 4,
	ST_CONNECTED = 5,
	ST_BUSY = 6,
	ST_CONGESTION = 7,
	ST_INVALID = 14,
};

#define SOFTKEY_HOLD 3
#define SOFTKEY_RESUME 10
#define SOFTKEY_ANSWER 11
#define ST_HOLD 8

/* ---- the run: who registered, when the caller is done ---- */

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t run_arrived;
static int run_caller_done;

void
phone_calls_arrive(struct phone *p, int gone)
{
	pthread_mutex_lock(&run_lock);
	if (!p->arrived) {
		p->arrived = 1;
		run_arrived++;
	}
	if (gone && p->index == 0)
		run_caller_done = 1;
	pthread_mutex_unlock(&run_lock);
}

static int
all_arrived(const struct phone *p)
{
	int r;

	pthread_mutex_lock(&run_lock);
	r = run_arrived >= p->o->n_phones;
	pthread_mutex_unlock(&run_lock);
	return r;
}

static int
caller_done(void)
{
	int r;

	pthread_mutex_lock(&run_lock);
	r = run_caller_done;
	pthread_mutex_unlock(&run_lock);
	return r;
}

const char *
phone_call_state_name(uint32_t state)
{
	static const char *const names[] = {"idle", "offhook", "onhook",
	    "ringout", "ringin", "connected", "busy", "congestion", "hold",
	    "callwaiting", "calltransfer", "callpark", "proceed",
	    "remotemultiline", "invalidnumber", "holdrevert", "whisper",
	    "remotehold"};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

/* ---- per-phone runtime ---- */

struct stream {
	int used;
	int fd, rtcp_fd; /* RTP on port, RTCP on port + 1 (-1: none) */
	uint16_t port;
	uint32_t party, ref;
	int rx_on, tx_on;
	struct srtpc_session *rx, *tx;
	uint8_t pt;
	struct sockaddr_in dst;
	uint16_t seq;
	uint32_t ts, ssrc;
	double next_tx;
	/* receive side, for the loss count */
	int rx_started, folded;
	uint16_t max_seq;
	uint32_t cycles, first_ext;
	uint64_t rx_count;
	/* RTCP: the next sender report; what this SSRC sent; the SSRC
	 * heard and the counts at the last report (fraction lost). */
	double next_rtcp;
	uint32_t tx_packets, tx_octets, rx_ssrc;
	uint64_t expected_prior, received_prior;
	/* What arrived, judged when the stream ends: a plain stream the
	 * CME only opened for receiving (no StartMediaTransmission) is
	 * music or tone on hold, not the peer's pattern. */
	int had_smt;
	uint64_t rx_pkts, rx_bad;
	struct phone_call *call;
};

enum caller_phase {
	CALLER_NONE = 0,
	CALLER_WAIT_ALL,
	CALLER_DIALED,
	CALLER_UP,
	CALLER_HUNG,
	CALLER_DONE,
};

struct rt {
	struct phone *p;
	struct phone_link *l;
	uint32_t hdr;
	uint32_t local_ip; /* host order */
	struct stream st[MAX_STREAMS];
	double answer_at[PHONE_MAX_CALLS]; /* 0: nothing to do */
	int expect_outgoing; /* the next new call is the one we dial */
	struct phone_call *out;
	enum caller_phase phase;
	double t_dial, hang_at, linger_until;
	/* --hold-resume: 0 not yet, 1 on hold (resume at resume_at), 2 done */
	int hr_step;
	double hold_at, resume_at;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
send_msg(struct rt *r, struct sccp_msg *m)
{
	struct buf b = BUF_INIT;

	m->hdr_version = r->hdr;
	m->layout_version = r->p->sccp.proto;
	if (sccp_msg_build(&b, m) != SCCP_OK) {
		buf_free(&b);
		snprintf(r->p->sccp.detail, sizeof(r->p->sccp.detail),
		    "cannot build %s", sccp_msg_name(m->id));
		return -1;
	}
	if (phone_link_send(r->l, &b) < 0) {
		snprintf(r->p->sccp.detail, sizeof(r->p->sccp.detail),
		    "cannot send %s", sccp_msg_name(m->id));
		return -1;
	}
	return 0;
}

static struct phone_call *
call_get(struct rt *r, uint32_t ref, int create)
{
	struct phone *p = r->p;
	struct phone_call *c;

	for (unsigned i = p->n_calls; i-- > 0;)
		if (p->calls[i].ref == ref)
			return &p->calls[i];
	if (!create)
		return NULL;
	if (p->n_calls >= PHONE_MAX_CALLS) {
		p->calls_dropped++;
		return NULL;
	}
	c = &p->calls[p->n_calls++];
	memset(c, 0, sizeof(*c));
	c->ref = ref;
	c->security_status = -1;
	if (r->expect_outgoing) {
		r->expect_outgoing = 0;
		c->outgoing = 1;
		snprintf(c->number, sizeof(c->number), "%s",
		    p->o->call_number ? p->o->call_number : "");
		r->out = c;
	}
	return c;
}

/* ---- media ---- */

static uint8_t
pattern(uint16_t seq, size_t i)
{
	return (uint8_t)(seq + i);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
stream_fold(struct stream *s)
{
	if (s->folded || s->call == NULL)
		return;
	s->folded = 1;
	if (!s->had_smt && s->rx == NULL) {
		s->call->hold_audio += s->rx_pkts;
		return;
	}
	s->call->received += s->rx_pkts;
	s->call->bad_pattern += s->rx_bad;
	if (s->rx_started) {
		uint64_t expected =
		    (uint64_t)(s->cycles + s->max_seq) - s->first_ext + 1;

		if (expected > s->rx_count)
			s->call->lost += expected - s->rx_count;
	}
}

static void
stream_free(struct stream *s)
{
	stream_fold(s);
	srtpc_session_free(s->rx);
	srtpc_session_free(s->tx);
	if (s->fd >= 0)
		close(s->fd);
	if (s->rtcp_fd >= 0)
		close(s->rtcp_fd);
	memset(s, 0, sizeof(*s));
	s->fd = s->rtcp_fd = -1;
}

static struct stream *
stream_find(struct rt *r, uint32_t party)
{
	for (size_t i = 0; i < MAX_STREAMS; i++)
		if (r->st[i].used && r->st[i].party == party)
			return &r->st[i];
	return NULL;
}

/* A UDP socket on ip (host order) and port (0: any); -1 on failure. */
static int
udp_bound(uint32_t ip, uint16_t port, uint16_t *got)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(ip);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0) {
		close(fd);
		return -1;
	}
	*got = ntohs(sin.sin_port);
	return fd;
}

/* RTP on an even port P and RTCP on P + 1, as phones use; after
 * PORT_PAIR_TRIES the last RTP socket without RTCP.  0 or -1. */
static int
port_pair(uint32_t ip, int *rtp_fd, int *rtcp_fd, uint16_t *port)
{
	uint16_t p = 0, q;

	*rtp_fd = *rtcp_fd = -1;
	for (int i = 0; i < PORT_PAIR_TRIES; i++) {
		if (*rtp_fd >= 0)
			close(*rtp_fd);
		if ((*rtp_fd = udp_bound(ip, 0, &p)) < 0)
			return -1;
		if (p % 2 != 0 || p == 65534)
			continue;
		if ((*rtcp_fd = udp_bound(ip, (uint16_t)(p + 1), &q)) >= 0)
			break;
	}
	*port = p;
	return 0;
}

/* A new stream with its own UDP sockets on the phone's address; NULL
 * when every slot is taken or no socket can be opened. */
static struct stream *
stream_new(struct rt *r, uint32_t party, uint32_t ref)
{
	struct stream *s = NULL;

	for (size_t i = 0; i < MAX_STREAMS && s == NULL; i++)
		if (!r->st[i].used)
			s = &r->st[i];
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	if (port_pair(r->local_ip, &s->fd, &s->rtcp_fd, &s->port) < 0) {
		s->fd = s->rtcp_fd = -1;
		return NULL;
	}
	s->used = 1;
	s->party = party;
	s->ref = ref;
	s->call = call_get(r, ref, 1);
	return s;
}

/* A session from a key block; 0 (none when algorithm 0) or -1. */
static int
key_session(const struct sccp_key_info *k, enum srtpc_dir dir,
    struct srtpc_session **out)
{
	uint8_t ks[SCCP_KEY_LEN + SCCP_SALT_LEN];
	enum srtpc_suite suite = (enum srtpc_suite)k->algorithm_id;
	int rc;

	*out = NULL;
	if (k->algorithm_id == 0)
		return 0;
	if (!srtpc_suite_valid(suite) || k->key_len > SCCP_KEY_LEN ||
	    k->salt_len > SCCP_SALT_LEN)
		return -1;
	memcpy(ks, k->key, k->key_len);
	memcpy(ks + k->key_len, k->salt, k->salt_len);
	rc = srtpc_session_new(
	    suite, ks, (size_t)k->key_len + k->salt_len, dir, out);
	OPENSSL_cleanse(ks, sizeof(ks));
	return rc == SRTPC_OK ? 0 : -1;
}

static int
on_orc(struct rt *r, const struct sccp_open_receive_channel *orc)
{
	struct phone *p = r->p;
	struct stream *s = stream_find(r, orc->pass_thru_party_id);
	struct sccp_msg a;
	uint32_t status = 0;

	if (s != NULL) /* the same party again: start afresh */
		stream_free(s);
	s = stream_new(r, orc->pass_thru_party_id, orc->call_reference);
	if (s == NULL) {
		status = 8; /* OutOfSockets */
	} else {
		if (s->call != NULL)
			s->call->rx_alg = orc->key.algorithm_id;
		if (key_session(&orc->key, SRTPC_RECV, &s->rx) < 0) {
			phone_log(p,
			    "call %u: cannot use the receive key (algorithm "
			    "%u)",
			    orc->call_reference, orc->key.algorithm_id);
			status = 9; /* EncoderOrDecoderFailed */
		}
		s->rx_on = 1;
		s->pt = orc->compression_type == 2 ? 8 : 0;
	}
	memset(&a, 0, sizeof(a));
	a.id = SCCP_OPEN_RECEIVE_CHANNEL_ACK;
	a.u.orc_ack.status = status;
	a.u.orc_ack.ip.type = 0;
	{
		uint32_t ip = htonl(r->local_ip);

		memcpy(a.u.orc_ack.ip.addr, &ip, 4);
	}
	a.u.orc_ack.port = s ? s->port : 0;
	a.u.orc_ack.pass_thru_party_id = orc->pass_thru_party_id;
	a.u.orc_ack.has_call_reference = 1;
	a.u.orc_ack.call_reference = orc->call_reference;
	return send_msg(r, &a);
}

static void
on_smt(struct rt *r, const struct sccp_start_media_transmission *smt)
{
	struct phone *p = r->p;
	struct stream *s = stream_find(r, smt->pass_thru_party_id);
	char ip[INET_ADDRSTRLEN];
	uint8_t rnd[10];

	if (s == NULL)
		s = stream_new(r, smt->pass_thru_party_id, smt->call_reference);
	if (s == NULL) {
		phone_log(
		    p, "call %u: no media stream free", smt->call_reference);
		return;
	}
	s->had_smt = 1;
	srtpc_session_free(s->tx);
	s->tx = NULL;
	if (key_session(&smt->key, SRTPC_SEND, &s->tx) < 0) {
		phone_log(p,
		    "call %u: cannot use the transmit key (algorithm %u)",
		    smt->call_reference, smt->key.algorithm_id);
		s->tx_on = 0;
		return;
	}
	memset(&s->dst, 0, sizeof(s->dst));
	s->dst.sin_family = AF_INET;
	memcpy(&s->dst.sin_addr, smt->remote_ip.addr, 4);
	s->dst.sin_port = htons((uint16_t)smt->remote_port);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0x5a, sizeof(rnd));
	s->ssrc = (uint32_t)rnd[0] << 24 | (uint32_t)rnd[1] << 16 |
	    (uint32_t)rnd[2] << 8 | rnd[3];
	s->seq = (uint16_t)(rnd[4] << 8 | rnd[5]);
	s->ts = (uint32_t)rnd[6] << 24 | (uint32_t)rnd[7] << 16 |
	    (uint32_t)rnd[8] << 8 | rnd[9];
	s->tx_on = 1;
	s->next_tx = now_s();
	s->tx_packets = s->tx_octets = 0; /* a new SSRC */
	if (p->o->rtcp_ms != 0)
		s->next_rtcp = s->next_tx + p->o->rtcp_ms / 1000.0;
	if (s->call != NULL) {
		s->call->tx_alg = smt->key.algorithm_id;
		s->call->streams++;
	}
	inet_ntop(AF_INET, &s->dst.sin_addr, ip, sizeof(ip));
	phone_log(p, "call %u: media %s to %s:%u from port %u",
	    smt->call_reference,
	    smt->key.algorithm_id
	        ? srtpc_suite_name((enum srtpc_suite)smt->key.algorithm_id)
	        : "RTP",
	    ip, smt->remote_port, s->port);
}

static void
on_close(struct rt *r, uint32_t party, int rx)
{
	struct stream *s = stream_find(r, party);

	if (s == NULL)
		return;
	if (rx) {
		s->rx_on = 0;
		stream_fold(s);
	} else {
		s->tx_on = 0;
	}
	if (!s->rx_on && !s->tx_on)
		stream_free(s);
}

static void
tx_one(struct stream *s)
{
	uint8_t pkt[PKT_CAP];
	size_t len = SRTPC_RTP_HDR + PAYLOAD;

	pkt[0] = 0x80;
	pkt[1] = s->pt;
	pkt[2] = (uint8_t)(s->seq >> 8);
	pkt[3] = (uint8_t)s->seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(s->ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(s->ssrc >> (24 - 8 * i));
	}
	for (size_t i = 0; i < PAYLOAD; i++)
		pkt[SRTPC_RTP_HDR + i] = pattern(s->seq, i);
	if (s->tx != NULL &&
	    srtpc_protect_rtp(s->tx, pkt, &len, sizeof(pkt)) != SRTPC_OK)
		return;
	if (sendto(s->fd, pkt, len, MSG_NOSIGNAL, (struct sockaddr *)&s->dst,
	        sizeof(s->dst)) == (ssize_t)len) {
		s->tx_packets++;
		s->tx_octets += PAYLOAD;
		if (s->call != NULL)
			s->call->sent++;
	}
	s->seq++;
	s->ts += PAYLOAD;
}

static void
tx_due(struct stream *s, double t)
{
	if (!s->used || !s->tx_on)
		return;
	if (t - s->next_tx > 0.2) /* fell far behind: no burst */
		s->next_tx = t;
	for (int i = 0; i < TX_CATCH_UP && t >= s->next_tx; i++) {
		tx_one(s);
		s->next_tx += 0.020;
	}
}

static void
rx_seq(struct stream *s, uint16_t seq)
{
	if (!s->rx_started) {
		s->rx_started = 1;
		s->max_seq = seq;
		s->cycles = 0;
		s->first_ext = seq;
	} else {
		uint16_t delta = (uint16_t)(seq - s->max_seq);

		if (delta != 0 && delta < 0x8000) {
			if (seq < s->max_seq)
				s->cycles += 65536;
			s->max_seq = seq;
		}
	}
	s->rx_count++;
}

static void
rx_ready(struct stream *s)
{
	struct phone_call *c = s->call;

	for (int n = 0; n < RX_BATCH; n++) {
		uint8_t pkt[PKT_CAP + 64];
		ssize_t got = recv(s->fd, pkt, sizeof(pkt), 0);
		size_t len;
		int rc, h, bad = 0;
		uint16_t seq;

		if (got < 0)
			return;
		if (!s->rx_on || c == NULL)
			continue;
		len = (size_t)got;
		if (s->rx != NULL) {
			rc = srtpc_unprotect_rtp(s->rx, pkt, &len);
			if (rc == SRTPC_E_REPLAY) {
				c->replayed++;
				continue;
			}
			if (rc != SRTPC_OK) {
				c->auth_failed++;
				continue;
			}
		}
		h = srtpc_rtp_header_len(pkt, len);
		if (h < 0) {
			s->rx_bad++;
			continue;
		}
		s->rx_pkts++;
		s->rx_ssrc = get32(pkt + 8);
		seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
		rx_seq(s, seq);
		if (len - (size_t)h != PAYLOAD)
			bad = 1;
		for (size_t i = 0; !bad && i < PAYLOAD; i++)
			if (pkt[(size_t)h + i] != pattern(seq, i))
				bad = 1;
		if (bad)
			s->rx_bad++;
	}
}

/* ---- RTCP (RFC 3550 6.4), SRTCP (RFC 3711 3.4) ---- */

/* The reception report block about the stream heard (RFC 3550 6.4.1):
 * fraction lost since the last report, cumulative lost, extended
 * highest sequence number; jitter and LSR/DLSR 0. */
static void
rtcp_report_block(struct stream *s, uint8_t *b)
{
	uint64_t ext = (uint64_t)s->cycles + s->max_seq;
	uint64_t expected = ext - s->first_ext + 1;
	uint64_t exp_int = expected - s->expected_prior;
	uint64_t rcv_int = s->rx_count - s->received_prior;
	uint32_t lost =
	    expected > s->rx_count ? (uint32_t)(expected - s->rx_count) : 0;
	uint32_t fraction = 0;

	if (exp_int != 0 && exp_int > rcv_int)
		fraction = (uint32_t)(((exp_int - rcv_int) << 8) / exp_int);
	s->expected_prior = expected;
	s->received_prior = s->rx_count;
	if (lost > 0x7FFFFF)
		lost = 0x7FFFFF;
	memset(b, 0, 24);
	put32(b, s->rx_ssrc);
	put32(b + 4, (fraction > 255 ? 255 : fraction) << 24 | lost);
	put32(b + 8, (uint32_t)ext);
}

/* A compound RTCP packet: SR (with a report block once something was
 * heard) and SDES CNAME; its length. */
static size_t
rtcp_build(struct stream *s, const char *cname, uint8_t *pkt)
{
	struct timespec ts;
	int rc = s->rx_started ? 1 : 0;
	size_t n = 28 + 24 * (size_t)rc, cl = strlen(cname), sdes;
	uint64_t frac;

	clock_gettime(CLOCK_REALTIME, &ts);
	frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000u;
	pkt[0] = (uint8_t)(0x80 | rc);
	pkt[1] = RTCP_SR;
	pkt[2] = 0;
	pkt[3] = (uint8_t)(n / 4 - 1);
	put32(pkt + 4, s->ssrc);
	put32(pkt + 8, (uint32_t)((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET));
	put32(pkt + 12, (uint32_t)frac);
	put32(pkt + 16, s->ts);
	put32(pkt + 20, s->tx_packets);
	put32(pkt + 24, s->tx_octets);
	if (rc)
		rtcp_report_block(s, pkt + 28);
	/* SDES: SSRC, CNAME item, end item, padded to 32 bits. */
	if (cl > 64)
		cl = 64;
	sdes = (4 + 4 + 2 + cl + 1 + 3) & ~(size_t)3;
	memset(pkt + n, 0, sdes);
	pkt[n] = 0x81;
	pkt[n + 1] = RTCP_SDES;
	pkt[n + 3] = (uint8_t)(sdes / 4 - 1);
	put32(pkt + n + 4, s->ssrc);
	pkt[n + 8] = 1; /* CNAME */
	pkt[n + 9] = (uint8_t)cl;
	memcpy(pkt + n + 10, cname, cl);
	return n + sdes;
}

static void
rtcp_due(struct rt *r, struct stream *s, double t)
{
	uint8_t pkt[RTCP_CAP];
	struct sockaddr_in dst;
	size_t len;

	if (!s->used || !s->tx_on || s->rtcp_fd < 0 || s->next_rtcp == 0 ||
	    t < s->next_rtcp)
		return;
	s->next_rtcp += r->p->o->rtcp_ms / 1000.0;
	if (s->next_rtcp < t)
		s->next_rtcp = t + r->p->o->rtcp_ms / 1000.0;
	len = rtcp_build(s, r->p->name, pkt);
	if (s->tx != NULL &&
	    srtpc_protect_rtcp(s->tx, pkt, &len, sizeof(pkt)) != SRTPC_OK)
		return;
	dst = s->dst;
	dst.sin_port = htons((uint16_t)(ntohs(s->dst.sin_port) + 1));
	if (sendto(s->rtcp_fd, pkt, len, MSG_NOSIGNAL, (struct sockaddr *)&dst,
	        sizeof(dst)) == (ssize_t)len &&
	    s->call != NULL)
		s->call->rtcp_sent++;
}

/* RFC 3550 A.2: version 2, the first packet an SR or RR, the lengths
 * add up to the datagram. */
static int
rtcp_valid(const uint8_t *pkt, size_t len)
{
	size_t off = 0;

	if (len < 8 || (pkt[1] != RTCP_SR && pkt[1] != RTCP_RR))
		return 0;
	while (off < len) {
		size_t n;

		if (len - off < 4 || (pkt[off] >> 6) != 2)
			return 0;
		n = ((size_t)(pkt[off + 2] << 8 | pkt[off + 3]) + 1) * 4;
		if (n > len - off)
			return 0;
		off += n;
	}
	return 1;
}

static void
rtcp_rx_ready(struct stream *s)
{
	struct phone_call *c = s->call;

	for (int n = 0; n < RX_BATCH; n++) {
		uint8_t pkt[RTCP_CAP + 64];
		ssize_t got = recv(s->rtcp_fd, pkt, sizeof(pkt), 0);
		size_t len;

		if (got < 0)
			return;
		if (!s->rx_on || c == NULL)
			continue;
		len = (size_t)got;
		if (s->rx != NULL) {
			int rc = srtpc_unprotect_rtcp(s->rx, pkt, &len);

			if (rc == SRTPC_E_AUTH || rc == SRTPC_E_REPLAY) {
				c->rtcp_auth_failed++;
				continue;
			}
			if (rc != SRTPC_OK) {
				c->rtcp_malformed++;
				continue;
			}
		}
		if (rtcp_valid(pkt, len))
			c->rtcp_received++;
		else
			c->rtcp_malformed++;
	}
}

/* ---- call control ---- */

static void
add_state(struct phone_call *c, uint32_t st)
{
	if ((c->n_states == 0 || c->states[c->n_states - 1] != st) &&
	    c->n_states < PHONE_MAX_STATES)
		c->states[c->n_states++] = (uint8_t)(st > 255 ? 255 : st);
}

static void
on_call_state(struct rt *r, const struct sccp_msg *m)
{
	struct phone *p = r->p;
	uint32_t st = sccp_body_u32(m, 0), ref = sccp_body_u32(m, 8);
	struct phone_call *c = call_get(r, ref, 1);

	if (c == NULL)
		return;
	if (c->n_states == 0 || c->state != st)
		phone_log(p, "call %u: %s", ref, phone_call_state_name(st));
	add_state(c, st);
	c->state = st;
	if (st != ST_ONHOOK && st != 0)
		c->last_active = st;
	if (st == ST_CONNECTED)
		c->connected = 1;
	if (st == ST_RINGIN) {
		c->outgoing = 0;
		if (!p->o->no_answer)
			r->answer_at[c - p->calls] =
			    now_s() + p->o->ring_ms / 1000.0;
	}
}

static void
copy_num(char *out, size_t cap, const struct sccp_msg *m, size_t off)
{
	size_t n = 0;

	if (m->body_len < off + 24)
		return;
	while (n < 24 && n + 1 < cap && m->body[off + n] != '\0')
		n++;
	if (n == 0)
		return;
	memcpy(out, m->body + off, n);
	out[n] = '\0';
}

static void
on_call_info(struct rt *r, const struct sccp_msg *m)
{
	struct phone_call *c;

	if (m->body_len < 380)
		return;
	c = call_get(r, sccp_body_u32(m, 132), 1);
	if (c == NULL)
		return;
	if (sccp_body_u32(m, 136) == 2)
		c->outgoing = 1;
	/* The other party's number. */
	copy_num(c->number, sizeof(c->number), m, c->outgoing ? 104 : 40);
	c->security_status = (int)sccp_body_u32(m, 376);
	/* The lock icon while the call ran: the CME may send CallInfo again
	 * without it as the stream closes at hang-up. */
	if (c->security_status == 3)
		c->was_encrypted = 1;
}

static int
handle(struct rt *r, const struct sccp_msg *m)
{
	switch (m->id) {
	case SCCP_KEEP_ALIVE_ACK:
		r->p->sccp.keepalive_acks++;
		return 0;
	case SCCP_CALL_STATE:
		on_call_state(r, m);
		return 0;
	case SCCP_CALL_INFO:
		on_call_info(r, m);
		return 0;
	case SCCP_OPEN_RECEIVE_CHANNEL:
		return on_orc(r, &m->u.orc);
	case SCCP_START_MEDIA_TRANSMISSION:
		on_smt(r, &m->u.smt);
		return 0;
	case SCCP_CLOSE_RECEIVE_CHANNEL:
		on_close(r, sccp_body_u32(m, 4), 1);
		return 0;
	case SCCP_STOP_MEDIA_TRANSMISSION:
		on_close(r, sccp_body_u32(m, 4), 0);
		return 0;
	default:
		return 0;
	}
}

static int
send_simple(struct rt *r, uint32_t id)
{
	struct sccp_msg m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	return send_msg(r, &m);
}

static int
send_softkey(struct rt *r, uint32_t event, uint32_t ref)
{
	struct sccp_msg m;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_SOFT_KEY_EVENT;
	m.u.soft_key.event = event;
	m.u.soft_key.line_instance = 1;
	m.u.soft_key.call_reference = ref;
	return send_msg(r, &m);
}

/* --hold-resume: Hold a third into the call, Resume half a second after
 * the CME said Hold (each brings a new stream with new keys). */
static int
hold_resume_step(struct rt *r, double t)
{
	struct phone_call *c = r->out;

	if (!r->p->o->hold_resume || c == NULL || r->hr_step == 2)
		return 0;
	if (r->hr_step == 0 && t >= r->hold_at) {
		r->hr_step = 1;
		r->resume_at = 0;
		phone_log(r->p, "call %u: putting on hold", c->ref);
		return send_softkey(r, SOFTKEY_HOLD, c->ref);
	}
	if (r->hr_step == 1 && c->state == ST_HOLD && r->resume_at == 0)
		r->resume_at = t + 0.5;
	if (r->hr_step == 1 && r->resume_at != 0 && t >= r->resume_at) {
		r->hr_step = 2;
		phone_log(r->p, "call %u: resuming", c->ref);
		return send_softkey(r, SOFTKEY_RESUME, c->ref);
	}
	return 0;
}

static int
dial(struct rt *r)
{
	const char *num = r->p->o->call_number;
	struct sccp_msg m;

	phone_log(r->p, "dialing %s", num);
	r->expect_outgoing = 1;
	r->out = NULL;
	if (send_simple(r, SCCP_OFF_HOOK) < 0)
		return -1;
	for (const char *d = num; *d; d++) {
		memset(&m, 0, sizeof(m));
		m.id = SCCP_KEYPAD_BUTTON;
		m.u.keypad.button = *d == '*' ? 0x0E
		    : *d == '#'               ? 0x0F
		                              : (uint32_t)(*d - '0');
		if (send_msg(r, &m) < 0)
			return -1;
	}
	return 0;
}

static int
answer_due(struct rt *r, double t)
{
	struct phone *p = r->p;

	for (unsigned i = 0; i < p->n_calls; i++) {
		if (r->answer_at[i] == 0 || t < r->answer_at[i])
			continue;
		r->answer_at[i] = 0;
		if (p->calls[i].state != ST_RINGIN)
			continue;
		phone_log(p, "call %u: answering", p->calls[i].ref);
		if (send_softkey(r, SOFTKEY_ANSWER, p->calls[i].ref) < 0)
			return -1;
	}
	return 0;
}

/* The --call phone's steps; -1 on a send failure. */
static int
caller_step(struct rt *r, double t, double wait_all_until)
{
	const struct phone_opts *o = r->p->o;
	struct phone_call *c = r->out;

	switch (r->phase) {
	case CALLER_WAIT_ALL:
		if (!all_arrived(r->p) && t < wait_all_until)
			return 0;
		r->phase = CALLER_DIALED;
		r->t_dial = t;
		return dial(r);
	case CALLER_DIALED:
		if (c != NULL && c->connected) {
			r->phase = CALLER_UP;
			r->hang_at = t + o->hold_s;
			r->hold_at = t + o->hold_s / 3.0;
		} else if (c != NULL &&
		    (c->state == ST_BUSY || c->state == ST_CONGESTION ||
		        c->state == ST_INVALID)) {
			r->phase = CALLER_UP;
			r->hang_at = t + 0.5;
		} else if (c != NULL && c->state == ST_ONHOOK) {
			r->phase = CALLER_HUNG;
			r->linger_until = t + 0.3;
		} else if (t >= r->t_dial + o->timeout_s) {
			phone_log(r->p, "no answer after %u s", o->timeout_s);
			r->phase = CALLER_UP;
			r->hang_at = t;
		}
		return 0;
	case CALLER_UP:
		if (c != NULL && c->state == ST_ONHOOK) {
			r->phase = CALLER_HUNG; /* the other side hung up */
			r->linger_until = t + 0.3;
			return 0;
		}
		if (t < r->hang_at)
			return hold_resume_step(r, t);
		r->phase = CALLER_HUNG;
		r->linger_until = t + 0.5;
		phone_log(r->p, "hanging up");
		return send_simple(r, SCCP_ON_HOOK);
	case CALLER_HUNG:
		if (t >= r->linger_until) {
			r->phase = CALLER_DONE;
			phone_calls_arrive(r->p, 1);
		}
		return 0;
	default:
		return 0;
	}
}

static double
dmin(double a, double b)
{
	return a < b ? a : b;
}

int
phone_calls_run(struct phone *p, struct phone_link *l)
{
	const struct phone_opts *o = p->o;
	struct rt r;
	double t0 = now_s();
	double ka = p->sccp.keepalive_s ? p->sccp.keepalive_s : 30;
	double next_ka = t0 + ka, end = t0 + o->hold_s;
	double wait_all_until = t0 + 60 + 3.0 * o->timeout_s;
	double hard = wait_all_until + o->hold_s + o->timeout_s + 30;
	double done_at = 0;
	int in_run = o->call_number != NULL, rc = 0;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.l = l;
	r.hdr = sccp_hdr_version_for(0xFFFF, p->sccp.proto);
	r.local_ip = p->source_ip ? p->source_ip : phone_link_local_ip(l);
	for (size_t i = 0; i < MAX_STREAMS; i++)
		r.st[i].fd = r.st[i].rtcp_fd = -1;
	if (in_run && p->index == 0)
		r.phase = CALLER_WAIT_ALL;
	for (;;) {
		struct pollfd pf[1 + 2 * MAX_STREAMS];
		struct stream *ps[1 + 2 * MAX_STREAMS];
		int is_rtcp[1 + 2 * MAX_STREAMS];
		double t = now_s(), next;
		int nf = 1, ms;

		/* Time to go? */
		if (r.phase != CALLER_NONE) {
			if (r.phase == CALLER_DONE && t >= end)
				break;
		} else if (t >= end) {
			if (!in_run)
				break;
			if (done_at == 0 && caller_done())
				done_at = t;
			if (done_at != 0 && t >= done_at + 0.3)
				break;
		}
		if (t >= hard) {
			phone_log(p, "calls: giving up after %.0f s", t - t0);
			break;
		}
		if (r.phase != CALLER_NONE &&
		    caller_step(&r, t, wait_all_until) < 0) {
			rc = -1;
			break;
		}
		if (answer_due(&r, t) < 0) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < MAX_STREAMS; i++) {
			tx_due(&r.st[i], t);
			rtcp_due(&r, &r.st[i], t);
		}
		if (t >= next_ka) {
			struct buf b = BUF_INIT;

			if (sccp_empty_build(&b, SCCP_KEEP_ALIVE, 0) !=
			        SCCP_OK ||
			    phone_link_send(l, &b) < 0) {
				buf_free(&b);
				snprintf(p->sccp.detail, sizeof(p->sccp.detail),
				    "cannot send KeepAlive");
				rc = -1;
				break;
			}
			next_ka += ka;
		}

		/* How long to sleep. */
		next = dmin(next_ka, dmin(end, hard));
		if (r.phase != CALLER_NONE || (in_run && t >= end))
			next = dmin(next, t + 0.05);
		for (unsigned i = 0; i < p->n_calls; i++)
			if (r.answer_at[i] != 0)
				next = dmin(next, r.answer_at[i]);
		pf[0].fd = phone_link_fd(l);
		pf[0].events = POLLIN;
		pf[0].revents = 0;
		ps[0] = NULL;
		for (size_t i = 0; i < MAX_STREAMS; i++) {
			struct stream *s = &r.st[i];

			if (!s->used)
				continue;
			if (s->tx_on)
				next = dmin(next, s->next_tx);
			if (s->tx_on && s->next_rtcp != 0 && s->rtcp_fd >= 0)
				next = dmin(next, s->next_rtcp);
			pf[nf].fd = s->fd;
			pf[nf].events = POLLIN;
			pf[nf].revents = 0;
			is_rtcp[nf] = 0;
			ps[nf++] = s;
			if (s->rtcp_fd < 0)
				continue;
			pf[nf].fd = s->rtcp_fd;
			pf[nf].events = POLLIN;
			pf[nf].revents = 0;
			is_rtcp[nf] = 1;
			ps[nf++] = s;
		}
		ms = (int)((next - t) * 1000.0);
		if (ms < 0)
			ms = 0;
		if (ms > 1000)
			ms = 1000;
		if (phone_link_pending(l))
			ms = 0;
		if (poll(pf, (nfds_t)nf, ms) < 0 && errno != EINTR) {
			snprintf(p->sccp.detail, sizeof(p->sccp.detail),
			    "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		for (int i = 1; i < nf; i++)
			if ((pf[i].revents & POLLIN) && is_rtcp[i])
				rtcp_rx_ready(ps[i]);
			else if (pf[i].revents & POLLIN)
				rx_ready(ps[i]);
		/* Bounded: a burst of signalling is handled over turns. */
		for (int i = 0; i < 32 &&
		     ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) ||
		         phone_link_pending(l));
		     i++) {
			struct sccp_msg m;

			pf[0].revents = 0;
			if (phone_link_recv(l, &m) < 0 || handle(&r, &m) < 0) {
				rc = -1;
				break;
			}
			if (!phone_link_pending(l)) {
				struct pollfd q = {pf[0].fd, POLLIN, 0};

				if (poll(&q, 1, 0) > 0)
					pf[0].revents = q.revents;
			}
		}
		if (rc < 0)
			break;
	}
	for (size_t i = 0; i < MAX_STREAMS; i++)
		if (r.st[i].used)
			stream_free(&r.st[i]);
		else if (r.st[i].fd >= 0)
			close(r.st[i].fd);
	if (r.phase != CALLER_NONE)
		phone_calls_arrive(p, 1);
	return rc;
}
