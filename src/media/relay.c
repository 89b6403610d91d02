/*
 * The media relay (see relay.h): legs, the per-packet step, batched UDP
 * I/O and the libevent glue.
 */
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* Linux 4.18 */
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "media/relay.h"
#include "media/udp.h"

/* Socket buffers of a leg: room for bursts of a busy relay. */
#define RELAY_SOCKBUF (1 << 20)

struct relay_leg {
	struct relay *relay;
	size_t index; /* in relay->legs */
	int fd[2]; /* RTP, RTCP; -1 when unbound */
	uint16_t port; /* local RTP port */
	struct event *ev[2];
	enum srtpc_suite suite;
	struct srtpc_session *rx; /* unprotect what arrives; NULL if plain */
	struct srtpc_session *tx; /* protect what leaves; NULL if plain */
	struct relay_leg *peer;
	struct sockaddr_in remote[2];
	int remote_known[2];
	int rtcp_provisional; /* remote[1] guessed as RTP port + 1 */
	struct relay_stats st;
	size_t last_payload; /* RTP payload of the last packet forwarded */
};

/* UDP GSO: tried until it has worked or been refused. */
enum relay_gso {
	GSO_UNTRIED, /* the socket option exists; no group sent yet */
	GSO_WORKS, /* a group went out: later refusals are per group */
	GSO_OFF, /* told not to, absent, or refused on first use */
};

struct relay {
	struct relay_conf conf;
	struct event_base *base;
	struct relay_leg **legs;
	size_t nlegs, caplegs;
	uint16_t next_port;
	/* batch scratch, reused by every leg */
	uint8_t bufs[RELAY_BATCH][RELAY_BUF];
	struct sockaddr_in src[RELAY_BATCH], dst[RELAY_BATCH];
	struct iovec riov[RELAY_BATCH], siov[RELAY_BATCH];
	/* set up once by relay_new; a batch only sets lengths */
	struct mmsghdr rmsg[RELAY_BATCH], smsg[RELAY_BATCH];
	size_t payload[RELAY_BATCH]; /* RTP payload octets per datagram out */
	size_t len[RELAY_BATCH]; /* length per datagram out */
	enum relay_gso gso;
	int gso_probed;
	struct relay_gso_group groups[RELAY_BATCH];
	struct mmsghdr gmsg[RELAY_BATCH]; /* one per group */
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(uint16_t))];
	} gctl[RELAY_BATCH]; /* SOL_UDP/UDP_SEGMENT, one per group */
};

static const char *const relay_err_strs[] = {
    "no free port pair in the media port range",
    "cannot open or bind a media socket",
    "too many media legs",
    "leg already paired",
};

const char *
relay_err_str(int err)
{
	if (err <= RELAY_E_PORTS && err >= RELAY_E_PAIRED)
		return relay_err_strs[RELAY_E_PORTS - err];
	return srtpc_err_str(err);
}

const char *
relay_verdict_str(enum relay_verdict v)
{
	switch (v) {
	case RELAY_FORWARD:
		return "forward";
	case RELAY_DROP_SHORT:
		return "short";
	case RELAY_DROP_MALFORMED:
		return "malformed";
	case RELAY_DROP_SOURCE:
		return "bad source";
	case RELAY_DROP_AUTH:
		return "authentication failed";
	case RELAY_DROP_REPLAY:
		return "replay";
	case RELAY_DROP_NO_PEER:
		return "no peer";
	case RELAY_DROP_PROTECT:
		return "protect failed";
	}
	return "unknown";
}

int
relay_new(const struct relay_conf *conf, struct relay **out)
{
	struct relay *r;

	if (conf == NULL || out == NULL)
		return SRTPC_E_PARAM;
	if (!conf->unbound &&
	    (conf->port_lo < 1024 || conf->port_hi <= conf->port_lo + 1))
		return SRTPC_E_PARAM;
	if (srtpc_init() != SRTPC_OK)
		return SRTPC_E_BACKEND;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return SRTPC_E_NOMEM;
	r->conf = *conf;
	r->next_port = (uint16_t)((conf->port_lo + 1) & ~1u);
	r->gso = conf->no_gso ? GSO_OFF : GSO_UNTRIED;
	for (unsigned i = 0; i < RELAY_BATCH; i++) {
		struct msghdr *h;

		r->riov[i].iov_base = r->bufs[i];
		/* one byte more than the MTU reveals oversize */
		r->riov[i].iov_len = RELAY_MTU + 1;
		h = &r->rmsg[i].msg_hdr;
		h->msg_iov = &r->riov[i];
		h->msg_iovlen = 1;
		h->msg_name = &r->src[i];
		h->msg_namelen = sizeof(r->src[i]);
		h = &r->smsg[i].msg_hdr;
		h->msg_iov = &r->siov[i];
		h->msg_iovlen = 1;
		h->msg_name = &r->dst[i];
		h->msg_namelen = sizeof(r->dst[i]);
		r->gctl[i].h.cmsg_level = SOL_UDP;
		r->gctl[i].h.cmsg_type = UDP_SEGMENT;
		r->gctl[i].h.cmsg_len = CMSG_LEN(sizeof(uint16_t));
	}
	*out = r;
	return SRTPC_OK;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	/* bounded: each call removes one leg */
	while (r->nlegs > 0)
		relay_leg_free(r->legs[r->nlegs - 1]);
	free(r->legs);
	OPENSSL_cleanse(r->bufs, sizeof(r->bufs));
	free(r);
}

/* An even/odd pair from the range, round robin from the last one. */
static int
bind_pair(struct relay *r, struct relay_leg *leg)
{
	unsigned lo = (r->conf.port_lo + 1) & ~1u, hi = r->conf.port_hi;
	unsigned tries = (hi - lo) / 2 + 1;

	for (unsigned t = 0; t < tries; t++) {
		unsigned p = r->next_port;

		if (p < lo || p + 1 >= hi + 1 || p + 1 > 65535)
			p = lo;
		r->next_port = (uint16_t)(p + 2);
		if ((leg->fd[0] = media_udp_bind(
		         r->conf.addr, (uint16_t)p, RELAY_SOCKBUF)) < 0) {
			if (errno == EADDRINUSE || errno == EACCES)
				continue;
			return RELAY_E_SOCKET;
		}
		leg->fd[1] = media_udp_bind(
		    r->conf.addr, (uint16_t)(p + 1), RELAY_SOCKBUF);
		if (leg->fd[1] < 0) {
			int e = errno;

			close(leg->fd[0]);
			leg->fd[0] = -1;
			if (e == EADDRINUSE || e == EACCES)
				continue;
			return RELAY_E_SOCKET;
		}
		leg->port = (uint16_t)p;
		return SRTPC_OK;
	}
	return RELAY_E_PORTS;
}

static void leg_rtp_cb(evutil_socket_t fd, short what, void *arg);
static void leg_rtcp_cb(evutil_socket_t fd, short what, void *arg);

static int
leg_attach(struct relay_leg *leg, struct event_base *base)
{
	if (leg->fd[0] < 0 || leg->ev[0] != NULL)
		return SRTPC_OK;
	leg->ev[0] =
	    event_new(base, leg->fd[0], EV_READ | EV_PERSIST, leg_rtp_cb, leg);
	leg->ev[1] =
	    event_new(base, leg->fd[1], EV_READ | EV_PERSIST, leg_rtcp_cb, leg);
	if (leg->ev[0] == NULL || leg->ev[1] == NULL ||
	    event_add(leg->ev[0], NULL) != 0 ||
	    event_add(leg->ev[1], NULL) != 0)
		return SRTPC_E_NOMEM;
	return SRTPC_OK;
}

int
relay_leg_add(
    struct relay *r, const struct relay_leg_conf *conf, struct relay_leg **out)
{
	struct relay_leg *leg;
	size_t kl;
	int rc;

	if (r == NULL || conf == NULL || out == NULL ||
	    (conf->suite != SRTPC_NONE && !srtpc_suite_valid(conf->suite)))
		return SRTPC_E_PARAM;
	if (r->nlegs >= RELAY_MAX_LEGS)
		return RELAY_E_FULL;
	if (r->nlegs == r->caplegs) {
		size_t n = r->caplegs ? r->caplegs * 2 : 16;
		struct relay_leg **nl = realloc(r->legs, n * sizeof(*nl));

		if (nl == NULL)
			return SRTPC_E_NOMEM;
		r->legs = nl;
		r->caplegs = n;
	}
	if ((leg = calloc(1, sizeof(*leg))) == NULL)
		return SRTPC_E_NOMEM;
	leg->relay = r;
	leg->fd[0] = leg->fd[1] = -1;
	leg->suite = conf->suite;
	if (conf->suite != SRTPC_NONE) {
		kl = srtpc_key_len(conf->suite) + srtpc_salt_len(conf->suite);
		if ((rc = srtpc_session_new(conf->suite, conf->rx_key, kl,
		         SRTPC_RECV, &leg->rx)) < 0 ||
		    (rc = srtpc_session_new(conf->suite, conf->tx_key, kl,
		         SRTPC_SEND, &leg->tx)) < 0)
			goto fail;
	}
	if (!r->conf.unbound && (rc = bind_pair(r, leg)) < 0)
		goto fail;
	if (!r->conf.unbound && !r->gso_probed) {
		int v = 0;
		socklen_t vl = sizeof(v);

		/* ENOPROTOOPT before Linux 4.18 */
		r->gso_probed = 1;
		if (getsockopt(leg->fd[0], SOL_UDP, UDP_SEGMENT, &v, &vl) != 0)
			r->gso = GSO_OFF;
	}
	if (r->base != NULL && (rc = leg_attach(leg, r->base)) < 0)
		goto fail;
	leg->index = r->nlegs;
	r->legs[r->nlegs++] = leg;
	*out = leg;
	return SRTPC_OK;
fail:
	leg->relay = NULL;
	relay_leg_free(leg);
	return rc;
}

void
relay_leg_free(struct relay_leg *leg)
{
	struct relay *r;

	if (leg == NULL)
		return;
	r = leg->relay;
	if (r != NULL && leg->index < r->nlegs && r->legs[leg->index] == leg) {
		r->legs[leg->index] = r->legs[r->nlegs - 1];
		r->legs[leg->index]->index = leg->index;
		r->nlegs--;
	}
	if (leg->peer != NULL)
		leg->peer->peer = NULL;
	for (int i = 0; i < 2; i++) {
		if (leg->ev[i] != NULL)
			event_free(leg->ev[i]);
		if (leg->fd[i] >= 0)
			close(leg->fd[i]);
	}
	srtpc_session_free(leg->rx);
	srtpc_session_free(leg->tx);
	OPENSSL_cleanse(leg, sizeof(*leg));
	free(leg);
}

void
relay_leg_set_remote(struct relay_leg *leg, const struct sockaddr_in *rtp)
{
	leg->remote[0] = *rtp;
	leg->remote[0].sin_family = AF_INET;
	leg->remote_known[0] = 1;
	leg->remote[1] = leg->remote[0];
	leg->remote[1].sin_port = htons((uint16_t)(ntohs(rtp->sin_port) + 1));
	leg->remote_known[1] = 1;
	leg->rtcp_provisional = 0;
}

int
relay_leg_remote(
    const struct relay_leg *leg, int is_rtcp, struct sockaddr_in *out)
{
	is_rtcp = is_rtcp != 0;
	if (!leg->remote_known[is_rtcp])
		return -1;
	*out = leg->remote[is_rtcp];
	return 0;
}

int
relay_pair(struct relay_leg *a, struct relay_leg *b)
{
	if (a == NULL || b == NULL || a == b)
		return SRTPC_E_PARAM;
	if (a->peer != NULL || b->peer != NULL)
		return RELAY_E_PAIRED;
	a->peer = b;
	b->peer = a;
	return SRTPC_OK;
}

uint16_t
relay_leg_port(const struct relay_leg *leg)
{
	return leg->port;
}

int
relay_leg_fd(const struct relay_leg *leg, int is_rtcp)
{
	return leg->fd[is_rtcp != 0];
}

int
relay_leg_is_secure(const struct relay_leg *leg)
{
	return leg->suite != SRTPC_NONE;
}

enum srtpc_suite
relay_leg_suite(const struct relay_leg *leg)
{
	return leg->suite;
}

const struct relay_stats *
relay_leg_stats(const struct relay_leg *leg)
{
	return &leg->st;
}

static int
same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == AF_INET &&
	    a->sin_addr.s_addr == b->sin_addr.s_addr &&
	    a->sin_port == b->sin_port;
}

enum relay_verdict
relay_packet(struct relay_leg *in, int is_rtcp, const struct sockaddr_in *src,
    uint8_t *buf, size_t *len, size_t cap, struct sockaddr_in *dst)
{
	struct relay_stats *st = &in->st;
	struct relay_leg *out = in->peer;
	int rc, c = is_rtcp != 0;

	st->rx++;
	if (c)
		st->rtcp_rx++;
	if (*len > RELAY_MTU || *len > cap) {
		st->malformed++;
		return RELAY_DROP_MALFORMED;
	}
	if (*len < (c ? SRTPC_RTCP_HDR : SRTPC_RTP_HDR)) {
		st->short_pkt++;
		return RELAY_DROP_SHORT;
	}
	/* Strict once known; a guessed RTCP port only pins the address. */
	if (in->remote_known[c] &&
	    (c && in->rtcp_provisional ? src->sin_family != AF_INET ||
	                src->sin_addr.s_addr != in->remote[1].sin_addr.s_addr
	                               : !same_addr(src, &in->remote[c]))) {
		st->bad_source++;
		return RELAY_DROP_SOURCE;
	}
	if (in->rx != NULL)
		rc = c ? srtpc_unprotect_rtcp(in->rx, buf, len)
		       : srtpc_unprotect_rtp(in->rx, buf, len);
	else if (c)
		rc = (buf[0] >> 6) == 2 ? SRTPC_OK : SRTPC_E_MALFORMED;
	else if ((rc = srtpc_rtp_header_len(buf, *len)) > 0)
		rc = SRTPC_OK;
	switch (rc) {
	case SRTPC_OK:
		break;
	case SRTPC_E_SHORT:
		st->short_pkt++;
		return RELAY_DROP_SHORT;
	case SRTPC_E_AUTH:
		st->auth_fail++;
		return RELAY_DROP_AUTH;
	case SRTPC_E_REPLAY:
		st->replay++;
		return RELAY_DROP_REPLAY;
	default:
		st->malformed++;
		return RELAY_DROP_MALFORMED;
	}
	/* Latch only what passed the checks above. */
	if (!in->remote_known[c] || (c && in->rtcp_provisional)) {
		in->remote[c] = *src;
		in->remote_known[c] = 1;
		if (c) {
			in->rtcp_provisional = 0;
		} else if (!in->remote_known[1]) {
			in->remote[1] = *src;
			in->remote[1].sin_port =
			    htons((uint16_t)(ntohs(src->sin_port) + 1));
			in->remote_known[1] = 1;
			in->rtcp_provisional = 1;
		}
	}
	if (out == NULL || !out->remote_known[c]) {
		st->no_peer++;
		return RELAY_DROP_NO_PEER;
	}
	/* What the endpoints hear: payload octets, counted in plaintext
	 * (after unprotect, before protect) so both sides agree. */
	in->last_payload = 0;
	if (!c && (rc = srtpc_rtp_header_len(buf, *len)) > 0 &&
	    (size_t)rc <= *len) {
		in->last_payload = *len - (size_t)rc;
		st->rx_octets += in->last_payload;
	}
	if (out->tx != NULL) {
		rc = c ? srtpc_protect_rtcp(out->tx, buf, len, cap)
		       : srtpc_protect_rtp(out->tx, buf, len, cap);
		if (rc != SRTPC_OK) {
			out->st.protect_fail++;
			return RELAY_DROP_PROTECT;
		}
	}
	*dst = out->remote[c];
	return RELAY_FORWARD;
}

size_t
relay_gso_plan(const size_t *len, const struct sockaddr_in *dst, size_t n,
    struct relay_gso_group *g)
{
	size_t ng = 0, i = 0;

	while (i < n) {
		size_t seg = len[i], total = len[i], j = i + 1;

		if (seg > 0 && seg <= RELAY_GSO_MAX_SEG)
			while (j < n && j - i < RELAY_GSO_MAX_SEGS &&
			    len[j] > 0 && len[j] <= seg &&
			    total + len[j] <= RELAY_GSO_MAX_BYTES &&
			    dst[j].sin_family == dst[i].sin_family &&
			    dst[j].sin_addr.s_addr == dst[i].sin_addr.s_addr &&
			    dst[j].sin_port == dst[i].sin_port) {
				total += len[j++];
				if (len[j - 1] < seg)
					break; /* a shorter one ends it */
			}
		g[ng].first = i;
		g[ng].count = j - i;
		g[ng].seg = seg;
		ng++;
		i = j;
	}
	return ng;
}

int
relay_gso_active(const struct relay *r)
{
	if (r == NULL || r->conf.unbound || r->gso == GSO_OFF)
		return 0;
	return r->gso == GSO_WORKS ? 2 : 1;
}

/*
 * Sends datagrams first .. first + count - 1 one per message from out's
 * socket and counts them on out; returns how many went.
 */
static unsigned
send_plain(
    struct relay *r, struct relay_leg *out, int c, size_t first, size_t count)
{
	unsigned sent = 0, ok = 0;

	/* bounded: every round sends at least one or skips one */
	while (sent < count) {
		int k = sendmmsg(out->fd[c], r->smsg + first + sent,
		    (unsigned)count - sent, MSG_DONTWAIT);

		if (k <= 0) {
			/* skip the datagram that failed (EAGAIN...) */
			out->st.send_fail++;
			sent++;
			continue;
		}
		for (int j = 0; j < k; j++)
			out->st.tx_octets +=
			    r->payload[first + sent + (unsigned)j];
		sent += (unsigned)k;
		ok += (unsigned)k;
	}
	out->st.tx += ok;
	if (c)
		out->st.rtcp_tx += ok;
	return ok;
}

/*
 * Errors by which the kernel may refuse a GSO message rather than its
 * datagrams: EINVAL (no GSO, too many segments, SO_NO_CHECK), EIO (no
 * checksum offload, IPsec), EMSGSIZE (a segment over the path MTU),
 * ENOPROTOOPT/EOPNOTSUPP (no UDP_SEGMENT).
 */
static int
gso_refused(int e)
{
	return e == EINVAL || e == EIO || e == ENOPROTOOPT || e == EOPNOTSUPP ||
	    e == EMSGSIZE;
}

/*
 * Sends the nout datagrams of a batch as GSO groups, and counts each
 * datagram as sendmmsg of single datagrams would have.
 */
static void
send_gso(struct relay *r, struct relay_leg *out, int c, unsigned nout)
{
	size_t ng = relay_gso_plan(r->len, r->dst, nout, r->groups);
	unsigned sent = 0;

	for (size_t i = 0; i < ng; i++) {
		const struct relay_gso_group *g = &r->groups[i];
		struct msghdr *h = &r->gmsg[i].msg_hdr;

		h->msg_iov = &r->siov[g->first];
		h->msg_iovlen = g->count;
		h->msg_name = &r->dst[g->first];
		h->msg_namelen = sizeof(r->dst[g->first]);
		if (g->count > 1) {
			uint16_t seg = (uint16_t)g->seg;

			memcpy(CMSG_DATA(&r->gctl[i].h), &seg, sizeof(seg));
			h->msg_control = r->gctl[i].b;
			h->msg_controllen = sizeof(r->gctl[i].b);
		} else {
			h->msg_control = NULL;
			h->msg_controllen = 0;
		}
	}
	/* bounded: every round sends at least one group or skips one */
	while (sent < ng) {
		const struct relay_gso_group *g = &r->groups[sent];
		int k = sendmmsg(out->fd[c], r->gmsg + sent,
		    (unsigned)ng - sent, MSG_DONTWAIT);

		if (k > 0) {
			size_t ok = 0;

			for (int j = 0; j < k; j++) {
				g = &r->groups[sent + (unsigned)j];
				ok += g->count;
				for (size_t d = 0; d < g->count; d++)
					out->st.tx_octets +=
					    r->payload[g->first + d];
				if (g->count > 1)
					r->gso = GSO_WORKS;
			}
			out->st.tx += ok;
			if (c)
				out->st.rtcp_tx += ok;
			sent += (unsigned)k;
			continue;
		}
		if (g->count > 1 && gso_refused(errno)) {
			/* Refused as a group: send them one by one.  If they
			 * go and GSO never worked, it will not: stop for good
			 * and send the rest of the batch the same way. */
			if (send_plain(r, out, c, g->first, g->count) > 0 &&
			    r->gso == GSO_UNTRIED) {
				r->gso = GSO_OFF;
				send_plain(r, out, c, g->first + g->count,
				    nout - g->first - g->count);
				return;
			}
		} else {
			out->st.send_fail += g->count;
		}
		sent++;
	}
}

int
relay_leg_service(struct relay_leg *leg, int is_rtcp, int max_batches)
{
	struct relay *r = leg->relay;
	int c = is_rtcp != 0, total = 0;

	if (r == NULL || leg->fd[c] < 0)
		return 0;
	for (int b = 0; b < max_batches; b++) {
		struct relay_leg *out;
		unsigned nout = 0;
		int n;

		/* the rest of rmsg is set up by relay_new */
		for (unsigned i = 0; i < RELAY_BATCH; i++)
			r->rmsg[i].msg_hdr.msg_namelen = sizeof(r->src[i]);
		n = recvmmsg(
		    leg->fd[c], r->rmsg, RELAY_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		total += n;
		for (int i = 0; i < n; i++) {
			size_t len = r->rmsg[i].msg_len;

			if (r->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC)
				len = RELAY_MTU + 1;
			if (r->rmsg[i].msg_hdr.msg_namelen !=
			    sizeof(struct sockaddr_in))
				r->src[i].sin_family = AF_UNSPEC;
			if (relay_packet(leg, c, &r->src[i], r->bufs[i], &len,
			        RELAY_BUF, &r->dst[nout]) != RELAY_FORWARD)
				continue;
			r->payload[nout] = leg->last_payload;
			r->len[nout] = len;
			r->siov[nout].iov_base = r->bufs[i];
			r->siov[nout].iov_len = len;
			nout++;
		}
		out = leg->peer;
		if (out != NULL && nout > 0) {
			if (r->gso != GSO_OFF && nout > 1)
				send_gso(r, out, c, nout);
			else
				send_plain(r, out, c, 0, nout);
		}
		if (n < RELAY_BATCH)
			break;
	}
	return total;
}

static void
leg_rtp_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	relay_leg_service(arg, 0, 4);
}

static void
leg_rtcp_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	relay_leg_service(arg, 1, 1);
}

int
relay_attach(struct relay *r, struct event_base *base)
{
	int rc;

	if (r == NULL || base == NULL || (r->base != NULL && r->base != base))
		return SRTPC_E_PARAM;
	r->base = base;
	for (size_t i = 0; i < r->nlegs; i++)
		if ((rc = leg_attach(r->legs[i], base)) < 0)
			return rc;
	return SRTPC_OK;
}
