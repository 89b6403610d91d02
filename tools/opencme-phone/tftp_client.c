/*
 * A small TFTP read client (RFC 1350, with the RFC 2348 blksize option):
 * one UDP socket, the server's transfer id locked on its first answer,
 * bounded retransmissions, and a bounded file size.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fmt/tftp.h"
#include "lib/clock.h"
#include "phone.h"

#define TFTP_CLIENT_BLKSIZE 1428 /* fits an Ethernet MTU */
#define TFTP_CLIENT_RETRIES 5
#define TFTP_CLIENT_RTO_MS 1000
#define TFTP_CLIENT_MAX_FILE (16u * 1024u * 1024u)

static int
same_addr(const struct sockaddr_storage *a, socklen_t alen,
    const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

struct tftp_conn {
	int fd;
	struct sockaddr_storage server; /* where requests go */
	socklen_t server_len;
	struct sockaddr_storage peer; /* the transfer id, once known */
	socklen_t peer_len;
	int have_peer;
	uint8_t last[TFTP_NAME_MAX + 64]; /* last packet sent (RRQ or ACK) */
	size_t last_len;
	int last_to_server; /* RRQ: to the server address */
};

static int
conn_send_last(struct tftp_conn *c)
{
	const struct sockaddr_storage *to =
	    c->last_to_server ? &c->server : &c->peer;
	socklen_t tolen = c->last_to_server ? c->server_len : c->peer_len;

	return sendto(c->fd, c->last, c->last_len, 0,
	           (const struct sockaddr *)to, tolen) < 0
	    ? -1
	    : 0;
}

static int
conn_ack(struct tftp_conn *c, uint16_t block)
{
	int n = tftp_build_ack(c->last, sizeof(c->last), block);

	if (n < 0)
		return -1;
	c->last_len = (size_t)n;
	c->last_to_server = 0;
	return conn_send_last(c);
}

static void
send_error(struct tftp_conn *c, uint16_t code, const char *msg)
{
	uint8_t pkt[160];
	int n = tftp_build_error(pkt, sizeof(pkt), code, msg);

	if (n > 0 && c->have_peer)
		(void)sendto(c->fd, pkt, (size_t)n, 0,
		    (const struct sockaddr *)&c->peer, c->peer_len);
}

int
tftp_fetch(const struct phone *p, const char *host, const char *port,
    const char *name, unsigned timeout_s, struct buf *out, char *err,
    size_t errcap)
{
	struct addrinfo hints, *res = NULL;
	struct tftp_conn c;
	struct tftp_options opt;
	uint8_t pkt[TFTP_BLKSIZE_MAX + 4];
	unsigned blksize = TFTP_BLKSIZE_DEFAULT;
	uint16_t expect = 1;
	unsigned retries = 0;
	uint64_t deadline, rto_at;
	int rc = -1, n, gai;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	buf_reset(out);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		snprintf(err, errcap, "TFTP server %s:%s: %s", host, port,
		    gai_strerror(gai));
		return -1;
	}
	c.fd = socket(res->ai_family, SOCK_DGRAM, 0);
	if (c.fd < 0) {
		snprintf(err, errcap, "socket: %s", strerror(errno));
		goto out;
	}
	if (phone_bind_source(p, c.fd, res->ai_family) != 0) {
		snprintf(err, errcap, "bind to the phone's source address: %s",
		    strerror(errno));
		goto out;
	}
	memcpy(&c.server, res->ai_addr, res->ai_addrlen);
	c.server_len = res->ai_addrlen;

	memset(&opt, 0, sizeof(opt));
	opt.present = TFTP_OPT_BLKSIZE;
	opt.blksize = TFTP_CLIENT_BLKSIZE;
	n = tftp_build_request(
	    c.last, sizeof(c.last), TFTP_RRQ, name, "octet", &opt);
	if (n < 0) {
		snprintf(err, errcap, "TFTP request for %s: %s", name,
		    tftp_err_str(n));
		goto out;
	}
	c.last_len = (size_t)n;
	c.last_to_server = 1;
	if (conn_send_last(&c) < 0) {
		snprintf(err, errcap, "TFTP send: %s", strerror(errno));
		goto out;
	}
	deadline = clock_mono_ms() + (uint64_t)timeout_s * 1000u;
	rto_at = clock_mono_ms() + TFTP_CLIENT_RTO_MS;

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		struct tftp_packet tp;
		struct pollfd pfd = {.fd = c.fd, .events = POLLIN};
		uint64_t t = clock_mono_ms();
		uint64_t wait = (rto_at < deadline ? rto_at : deadline);
		ssize_t got;
		int pr;

		if (t >= deadline) {
			snprintf(err, errcap, "TFTP %s: timed out", name);
			goto out;
		}
		if (t >= rto_at) {
			if (++retries > TFTP_CLIENT_RETRIES) {
				snprintf(err, errcap,
				    "TFTP %s: no answer after %u retries", name,
				    TFTP_CLIENT_RETRIES);
				goto out;
			}
			(void)conn_send_last(&c);
			rto_at = t +
			    ((uint64_t)TFTP_CLIENT_RTO_MS
			        << (retries < 3 ? retries : 3));
			continue;
		}
		pr = poll(&pfd, 1, (int)(wait - t));
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errcap, "poll: %s", strerror(errno));
			goto out;
		}
		if (pr == 0)
			continue;
		got = recvfrom(c.fd, pkt, sizeof(pkt), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* ICMP port unreachable on a connected path, ... */
			snprintf(
			    err, errcap, "TFTP %s: %s", name, strerror(errno));
			goto out;
		}
		if (c.have_peer &&
		    !same_addr(&from, fromlen, &c.peer, c.peer_len)) {
			/* Another transfer id: RFC 1350 says answer ERROR 5
			 * to it and carry on. */
			uint8_t e[64];
			int en = tftp_build_error(
			    e, sizeof(e), TFTP_ERR_BADTID, "unknown TID");
			if (en > 0)
				(void)sendto(c.fd, e, (size_t)en, 0,
				    (const struct sockaddr *)&from, fromlen);
			continue;
		}
		if (tftp_parse(pkt, (size_t)got, &tp, NULL) != TFTP_OK)
			continue;
		if (!c.have_peer) {
			memcpy(&c.peer, &from, fromlen);
			c.peer_len = fromlen;
			c.have_peer = 1;
		}
		if (tp.opcode == TFTP_ERROR) {
			if (tp.error_code == TFTP_ERR_NOTFOUND) {
				snprintf(
				    err, errcap, "TFTP %s: not found", name);
				rc = TFTP_FETCH_NOTFOUND;
			} else {
				snprintf(err, errcap, "TFTP %s: error %u (%s)",
				    name, tp.error_code,
				    tp.error_msg ? tp.error_msg : "");
			}
			goto out;
		}
		if (tp.opcode == TFTP_OACK && expect == 1 && out->len == 0) {
			if (tp.opts.present & TFTP_OPT_BLKSIZE) {
				if (tp.opts.blksize < TFTP_BLKSIZE_MIN ||
				    tp.opts.blksize > TFTP_CLIENT_BLKSIZE) {
					send_error(
					    &c, TFTP_ERR_OPTNEG, "bad blksize");
					snprintf(err, errcap,
					    "TFTP %s: server offered blksize "
					    "%u",
					    name, tp.opts.blksize);
					goto out;
				}
				blksize = tp.opts.blksize;
			}
			if (conn_ack(&c, 0) < 0)
				goto senderr;
			retries = 0;
			rto_at = clock_mono_ms() + TFTP_CLIENT_RTO_MS;
			continue;
		}
		if (tp.opcode != TFTP_DATA)
			continue;
		if (tp.block == expect) {
			if (tp.data_len > blksize) {
				send_error(&c, TFTP_ERR_UNDEF, "block too big");
				snprintf(err, errcap,
				    "TFTP %s: block larger than blksize", name);
				goto out;
			}
			if (out->len + tp.data_len > TFTP_CLIENT_MAX_FILE) {
				send_error(&c, TFTP_ERR_DISKFULL, "too big");
				snprintf(
				    err, errcap, "TFTP %s: file too big", name);
				goto out;
			}
			buf_append(out, tp.data, tp.data_len);
			if (conn_ack(&c, tp.block) < 0)
				goto senderr;
			retries = 0;
			rto_at = clock_mono_ms() + TFTP_CLIENT_RTO_MS;
			if (tp.data_len < blksize) {
				rc = 0;
				goto out;
			}
			expect = (uint16_t)(expect + 1);
		} else if (tp.block == (uint16_t)(expect - 1)) {
			/* Our ACK was lost: acknowledge again. */
			if (conn_ack(&c, tp.block) < 0)
				goto senderr;
		}
	}
senderr:
	snprintf(err, errcap, "TFTP send: %s", strerror(errno));
out:
	if (rc != 0 && rc != TFTP_FETCH_NOTFOUND)
		rc = -1;
	if (c.fd >= 0)
		close(c.fd);
	freeaddrinfo(res);
	return rc;
}
