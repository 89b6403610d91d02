/*
 * TFTP service: the socket layer around fmt/tftp.c.
 *
 *  - One listener socket (cfg->tftp.address, default 0.0.0.0, port
 *    cfg->tftp.port) reads requests; refusals (ERROR 1, 2, 4, 8) are
 *    answered from it.  Each accepted RRQ gets a new ephemeral socket
 *    bound to the listener's address (its TID, RFC 1350) with one
 *    persistent read event whose timeout is the transfer's next
 *    retransmission deadline (libevent keeps timeouts in a heap: no scan
 *    of transfers per packet).
 *  - Transfers are found by their socket's event; a hash keyed by the
 *    peer's address and port catches repeated RRQs.  A per-address token
 *    bucket limits new transfers.
 *  - The published view: names published by other services (an
 *    immutable, reference-counted blob each) and the files the
 *    configuration names, loaded at reconcile, re-checked on request at
 *    most once a second.  A transfer holds a reference to the blob it
 *    started with, so a file replaced meanwhile is never served mixed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/publish.h"
#include "fmt/tftp.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "svc/tftp/tftp_int.h"
#include "svc/tftp/tftp_svc.h"

/* ---- a small intrusive hash table keyed by 64-bit values ---- */

struct hent {
	struct hent *next;
	uint64_t key;
};

struct htab {
	struct hent **b;
	size_t mask; /* buckets - 1 */
	size_t n;
};

static size_t
htab_slot(const struct htab *t, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & t->mask;
}

static void
htab_grow(struct htab *t)
{
	size_t nb = t->b == NULL ? 64 : (t->mask + 1) * 2;
	struct hent **b = xcalloc(nb, sizeof(*b));
	struct htab nt = {b, nb - 1, t->n};

	for (size_t i = 0; t->b != NULL && i <= t->mask; i++) {
		struct hent *e = t->b[i], *next;

		for (; e != NULL; e = next) {
			size_t s = htab_slot(&nt, e->key);

			next = e->next;
			e->next = b[s];
			b[s] = e;
		}
	}
	free(t->b);
	*t = nt;
}

static void
htab_insert(struct htab *t, struct hent *e, uint64_t key)
{
	size_t s;

	if (t->b == NULL || t->n >= (t->mask + 1) * 2)
		htab_grow(t);
	e->key = key;
	s = htab_slot(t, key);
	e->next = t->b[s];
	t->b[s] = e;
	t->n++;
}

/* First entry with key (walk on with ->next, checking the key). */
static struct hent *
htab_find(const struct htab *t, uint64_t key)
{
	struct hent *e;

	if (t->b == NULL)
		return NULL;
	for (e = t->b[htab_slot(t, key)]; e != NULL; e = e->next)
		if (e->key == key)
			return e;
	return NULL;
}

static void
htab_remove(struct htab *t, struct hent *e)
{
	struct hent **pp;

	if (t->b == NULL)
		return;
	for (pp = &t->b[htab_slot(t, e->key)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			return;
		}
}

static uint64_t
str_key(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- published files ---- */

struct pub {
	struct hent h; /* key: str_key(name) */
	char *name;
	struct pub_blob *blob; /* NULL: configured but not readable */
	char *url; /* the configuration's URL */
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint64_t checked_ms;
	TAILQ_ENTRY(pub) entry;
};
TAILQ_HEAD(pub_list, pub);

struct pubtab {
	struct htab h;
	struct pub_list list;
	int inited;
};

static struct pubtab *cfg_files; /* tftp-server, load-cfg-file */

static void
pubtab_init(struct pubtab *t)
{
	if (!t->inited) {
		TAILQ_INIT(&t->list);
		t->inited = 1;
	}
}

static struct pub *
pubtab_find(struct pubtab *t, const char *name)
{
	uint64_t k = str_key(name);
	struct hent *e;

	if (!t->inited)
		return NULL;
	for (e = htab_find(&t->h, k); e != NULL; e = e->next)
		if (e->key == k && strcmp(((struct pub *)e)->name, name) == 0)
			return (struct pub *)e;
	return NULL;
}

static void
pub_free(struct pub *p)
{
	pub_blob_unref(p->blob);
	free(p->name);
	free(p->url);
	free(p->path);
	free(p);
}

static void
pubtab_remove(struct pubtab *t, struct pub *p)
{
	htab_remove(&t->h, &p->h);
	TAILQ_REMOVE(&t->list, p, entry);
	pub_free(p);
}

static void
pubtab_add(struct pubtab *t, struct pub *p)
{
	pubtab_init(t);
	htab_insert(&t->h, &p->h, str_key(p->name));
	TAILQ_INSERT_TAIL(&t->list, p, entry);
}

static void
pubtab_clear(struct pubtab *t)
{
	struct pub *p;

	if (!t->inited)
		return;
	while ((p = TAILQ_FIRST(&t->list)) != NULL)
		pubtab_remove(t, p);
	free(t->h.b);
	memset(&t->h, 0, sizeof(t->h));
}

static int
name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= TFTP_NAME_MAX &&
	    tftp_name_check(name, NULL) == TFTP_OK;
}

int
tftp_publish(const char *name, const void *data, size_t len)
{
	if (!name_ok(name) || (data == NULL && len > 0))
		return -1;
	return publish_put(name, data, len);
}

int
tftp_unpublish(const char *name)
{
	return name == NULL ? -1 : publish_remove(name);
}

/* ---- the service ---- */

struct conn {
	struct hent h; /* key: peer address and port */
	struct tftp_svc *svc;
	int fd;
	struct event *ev;
	struct sockaddr_in peer;
	struct pub_blob *blob; /* the version this transfer serves */
	uint8_t *na; /* its netascii form, when asked for */
	struct tftp_xfer x;
	TAILQ_ENTRY(conn) entry;
};
TAILQ_HEAD(conn_list, conn);

struct rate {
	struct hent h; /* key: IPv4 address */
	uint32_t tokens_milli; /* thousandths of a transfer */
	uint64_t last_ms;
};

struct tftp_svc {
	struct daemon *d;
	int fd;
	struct event *ev;
	struct event *tick;
	char addr[INET_ADDRSTRLEN];
	struct in_addr bind_addr;
	unsigned port;
	int reloads_seen;
	struct htab conns; /* by peer */
	struct conn_list conn_list;
	unsigned active, peak, max_xfers;
	struct htab rates;
	struct tftp_xfer_limits lim;
	struct tftp_stats st;
};

static struct tftp_svc *tsvc;
static uint8_t rxbuf[65536];

static uint64_t
peer_key(const struct sockaddr_in *sin)
{
	return (uint64_t)ntohl(sin->sin_addr.s_addr) << 16 |
	    ntohs(sin->sin_port);
}

static const char *
peer_str(const struct sockaddr_in *sin, char *buf, size_t cap)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	snprintf(buf, cap, "%s:%u", a, (unsigned)ntohs(sin->sin_port));
	return buf;
}

static void
send_error(int fd, const struct sockaddr_in *to, uint16_t code, const char *msg)
{
	uint8_t pkt[4 + TFTP_ERRMSG_MAX + 1];
	int n = tftp_build_error(pkt, sizeof(pkt), code, msg);

	if (n > 0 && to->sin_port != 0)
		(void)sendto(fd, pkt, (size_t)n, 0, (const struct sockaddr *)to,
		    sizeof(*to));
}

/* Token bucket per client address: 1 when a new transfer may start. */
static int
rate_take(struct tftp_svc *s, const struct sockaddr_in *from, uint64_t now)
{
	uint64_t key = ntohl(from->sin_addr.s_addr);
	struct hent *e = htab_find(&s->rates, key);
	struct rate *r = (struct rate *)e;
	uint64_t t;

	if (r == NULL) {
		if (s->rates.n >= TFTP_SVC_RATE_TABLE_MAX)
			return 1; /* table full: do not track (fail open) */
		r = xcalloc(1, sizeof(*r));
		r->tokens_milli = TFTP_SVC_RATE_BURST * 1000u;
		r->last_ms = now;
		htab_insert(&s->rates, &r->h, key);
	}
	t = r->tokens_milli + (now - r->last_ms) * TFTP_SVC_RATE_PER_S;
	if (t > TFTP_SVC_RATE_BURST * 1000u)
		t = TFTP_SVC_RATE_BURST * 1000u;
	r->last_ms = now;
	if (t < 1000) {
		r->tokens_milli = (uint32_t)t;
		return 0;
	}
	r->tokens_milli = (uint32_t)(t - 1000);
	return 1;
}

/* Drop buckets that have refilled: their clients went quiet. */
static void
rate_expire(struct tftp_svc *s, uint64_t now)
{
	for (size_t i = 0; s->rates.b != NULL && i <= s->rates.mask; i++) {
		struct hent **pp = &s->rates.b[i];

		while (*pp != NULL) {
			struct rate *r = (struct rate *)*pp;
			uint64_t t = r->tokens_milli +
			    (now - r->last_ms) * TFTP_SVC_RATE_PER_S;

			if (t >= TFTP_SVC_RATE_BURST * 1000u) {
				*pp = r->h.next;
				s->rates.n--;
				free(r);
			} else {
				pp = &(*pp)->next;
			}
		}
	}
}

static void
conn_free(struct conn *c)
{
	struct tftp_svc *s = c->svc;

	htab_remove(&s->conns, &c->h);
	TAILQ_REMOVE(&s->conn_list, c, entry);
	s->active--;
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	pub_blob_unref(c->blob);
	free(c->na);
	free(c);
}

/* Send what the transfer has queued; reschedule or finish it. */
static void
conn_flush(struct conn *c, int act, uint64_t now)
{
	struct tftp_svc *s = c->svc;
	struct tftp_out o;
	struct timeval tv;
	uint64_t dl;

	if (act & TFTP_ACT_SEND) {
		while (tftp_xfer_pull(&c->x, &o)) {
			struct iovec iov[2];
			struct msghdr mh;
			int nv = 0;

			if (o.hdr_len > 0) {
				iov[nv].iov_base = o.hdr;
				iov[nv++].iov_len = o.hdr_len;
			}
			if (o.body_len > 0) {
				iov[nv].iov_base = (void *)(uintptr_t)o.body;
				iov[nv++].iov_len = o.body_len;
			}
			memset(&mh, 0, sizeof(mh));
			mh.msg_name = &c->peer;
			mh.msg_namelen = sizeof(c->peer);
			mh.msg_iov = iov;
			mh.msg_iovlen = (size_t)nv;
			/* A lost send is recovered by the retransmission
			 * timer like a lost packet. */
			(void)sendmsg(c->fd, &mh, 0);
			s->st.packets_sent++;
			if (o.hdr_len == 4)
				s->st.bytes_sent += o.body_len;
			if (o.is_retransmit)
				s->st.retransmits++;
		}
	}
	if (act & TFTP_ACT_DONE) {
		s->st.completed++;
		conn_free(c);
		return;
	}
	if (act & TFTP_ACT_FAILED) {
		char p[64];

		s->st.failed++;
		if (c->x.peer_error == 0 && c->x.state == TFTP_XFER_FAILED)
			s->st.timed_out++;
		log_debug("tftp: transfer to %s failed (%s)",
		    peer_str(&c->peer, p, sizeof(p)),
		    c->x.peer_error ? "error from the client" : "timed out");
		conn_free(c);
		return;
	}
	dl = tftp_xfer_deadline(&c->x);
	if (dl == 0)
		return;
	dl = dl > now ? dl - now : 0;
	tv.tv_sec = (time_t)(dl / 1000);
	tv.tv_usec = (suseconds_t)(dl % 1000) * 1000;
	event_add(c->ev, &tv);
}

static void
conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct tftp_svc *s = c->svc;
	uint64_t now = clock_mono_ms();
	int act = 0;

	if (what & EV_READ) {
		/* One datagram per callback: epoll is level-triggered, so a
		 * second one fires again, and lock-step peers rarely have
		 * two queued (saves the recvfrom that returns EAGAIN). */
		for (int i = 0; i < 1; i++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, rxbuf, sizeof(rxbuf), 0,
			    (struct sockaddr *)&from, &fl);
			int a;

			if (n < 0)
				break;
			if (fl != sizeof(from) || from.sin_family != AF_INET ||
			    from.sin_port != c->peer.sin_port ||
			    from.sin_addr.s_addr != c->peer.sin_addr.s_addr) {
				/* Another TID: tell it, leave the transfer. */
				s->st.bad_tid++;
				if (fl == sizeof(from) &&
				    from.sin_family == AF_INET &&
				    !(n >= 2 && rxbuf[1] == TFTP_ERROR &&
				        rxbuf[0] == 0))
					send_error(fd, &from, TFTP_ERR_BADTID,
					    "Unknown transfer ID");
				continue;
			}
			a = tftp_xfer_input(&c->x, rxbuf, (size_t)n, now);
			if (a & TFTP_ACT_IGNORED)
				s->st.malformed++;
			act |= a & ~TFTP_ACT_IGNORED;
			if (a & (TFTP_ACT_DONE | TFTP_ACT_FAILED))
				break;
			if (a & TFTP_ACT_SEND) {
				/* Send now: the next ACK may depend on it. */
				conn_flush(c, a & TFTP_ACT_SEND, now);
				act &= ~TFTP_ACT_SEND;
			}
		}
	}
	if (!(act & (TFTP_ACT_DONE | TFTP_ACT_FAILED)))
		act |= tftp_xfer_timer(&c->x, now);
	conn_flush(c, act, now);
}

static struct pub_blob *
cfg_file_load(struct pub *p, uint64_t now)
{
	struct stat st;
	uint8_t *tmp;
	int fd;
	size_t off = 0;

	p->checked_ms = now;
	if (p->path == NULL || stat(p->path, &st) != 0 ||
	    !S_ISREG(st.st_mode)) {
		pub_blob_unref(p->blob);
		p->blob = NULL;
		return NULL;
	}
	if (p->blob != NULL && st.st_dev == p->dev && st.st_ino == p->ino &&
	    st.st_size == p->size && st.st_mtim.tv_sec == p->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == p->mtime.tv_nsec)
		return p->blob;
	if ((fd = open(p->path, O_RDONLY | O_CLOEXEC)) < 0)
		return p->blob;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return p->blob;
	}
	tmp = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, tmp + off, (size_t)st.st_size - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	pub_blob_unref(p->blob);
	p->blob = pub_blob_new(tmp, off);
	free(tmp);
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->size = st.st_size;
	p->mtime = st.st_mtim;
	return p->blob;
}

/* A new reference to the current version of a name, or NULL: what
 * services published first, then the configured files. */
static struct pub_blob *
lookup(const char *name, uint64_t now)
{
	struct pub_blob *b = publish_get(name);
	struct pub *p;

	if (b != NULL)
		return b;
	p = cfg_files ? pubtab_find(cfg_files, name) : NULL;
	if (p == NULL)
		return NULL;
	if (p->blob == NULL || now - p->checked_ms >= TFTP_SVC_RECHECK_MS)
		cfg_file_load(p, now);
	if (p->blob != NULL)
		pub_blob_ref(p->blob);
	return p->blob;
}

static int
conn_socket(struct tftp_svc *s)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = s->bind_addr;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
handle_request(struct tftp_svc *s, const uint8_t *pkt, size_t len,
    const struct sockaddr_in *from, uint64_t now)
{
	struct tftp_packet req;
	const char *name;
	struct pub_blob *b;
	struct conn *c;
	const uint8_t *data;
	size_t dlen;
	int rc;

	rc = tftp_parse(pkt, len, &req, NULL);
	if (rc != TFTP_OK) {
		s->st.malformed++;
		/* Never answer an ERROR (no loops); answer requests only
		 * within the client's rate. */
		if (len < 2 || pkt[0] != 0 ||
		    (pkt[1] != TFTP_RRQ && pkt[1] != TFTP_WRQ &&
		        rc != TFTP_E_OPCODE) ||
		    !rate_take(s, from, now))
			return;
		if (rc == TFTP_E_OPTVAL || rc == TFTP_E_OPTDUP ||
		    rc == TFTP_E_OPTMANY) {
			s->st.refused_option++;
			send_error(
			    s->fd, from, TFTP_ERR_OPTNEG, tftp_err_str(rc));
		} else {
			send_error(
			    s->fd, from, TFTP_ERR_BADOP, tftp_err_str(rc));
		}
		return;
	}
	if (req.opcode != TFTP_RRQ && req.opcode != TFTP_WRQ) {
		s->st.malformed++; /* DATA, ACK... to port 69: ignore */
		return;
	}
	if (htab_find(&s->conns, peer_key(from)) != NULL) {
		s->st.duplicate_rrq++; /* the transfer answers it */
		return;
	}
	if (!rate_take(s, from, now)) {
		s->st.refused_rate++;
		return;
	}
	if (req.opcode == TFTP_WRQ) {
		s->st.refused_write++;
		send_error(s->fd, from, TFTP_ERR_ACCESS,
		    "Access violation: read-only server");
		return;
	}
	s->st.requests++;
	if (tftp_name_check(req.filename, &name) != TFTP_OK) {
		s->st.refused_access++;
		send_error(s->fd, from, TFTP_ERR_ACCESS, "Access violation");
		return;
	}
	b = lookup(name, now);
	if (b == NULL) {
		if (tftp_name_is_absolute(req.filename)) {
			s->st.refused_access++;
			send_error(
			    s->fd, from, TFTP_ERR_ACCESS, "Access violation");
		} else {
			s->st.refused_notfound++;
			send_error(
			    s->fd, from, TFTP_ERR_NOTFOUND, "File not found");
		}
		return;
	}
	if (s->active >= s->max_xfers) {
		pub_blob_unref(b);
		s->st.refused_busy++;
		send_error(s->fd, from, TFTP_ERR_UNDEF, "Server busy");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->svc = s;
	c->peer = *from;
	c->blob = b; /* our reference */
	data = pub_blob_data(b);
	dlen = pub_blob_len(b);
	if (req.mode == TFTP_MODE_NETASCII) {
		size_t n = tftp_netascii_encode(data, dlen, NULL);

		c->na = xmalloc(n ? n : 1);
		tftp_netascii_encode(data, dlen, c->na);
		data = c->na;
		dlen = n;
	}
	rc = tftp_xfer_init(&c->x, &req, data, dlen, &s->lim, now);
	if (rc != TFTP_OK) {
		pub_blob_unref(c->blob);
		free(c->na);
		free(c);
		s->st.refused_option++;
		send_error(s->fd, from, TFTP_ERR_OPTNEG, tftp_err_str(rc));
		return;
	}
	if ((c->fd = conn_socket(s)) < 0) {
		log_warn("tftp: transfer socket");
		pub_blob_unref(c->blob);
		free(c->na);
		free(c);
		s->st.refused_busy++;
		send_error(s->fd, from, TFTP_ERR_UNDEF, "Server busy");
		return;
	}
	c->ev = event_new(s->d->base, c->fd, EV_READ | EV_PERSIST, conn_cb, c);
	htab_insert(&s->conns, &c->h, peer_key(from));
	TAILQ_INSERT_TAIL(&s->conn_list, c, entry);
	if (++s->active > s->peak)
		s->peak = s->active;
	conn_flush(c, TFTP_ACT_SEND, now);
}

static void
listener_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_svc *s = arg;
	uint64_t now = clock_mono_ms();

	(void)what;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(
		    fd, rxbuf, sizeof(rxbuf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			break;
		if (fl != sizeof(from) || from.sin_family != AF_INET)
			continue;
		handle_request(s, rxbuf, (size_t)n, &from, now);
	}
}

static void
listener_close(struct tftp_svc *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	s->ev = NULL;
	s->fd = -1;
}

static int
listener_open(struct tftp_svc *s)
{
	const struct tftp_listen_conf *t = &s->d->cfg->tftp;
	struct sockaddr_in sin;
	int fd, rcvbuf = 4 << 20;

	listener_close(s);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)(t->port ? t->port : TFTP_PORT));
	if (t->address != NULL &&
	    inet_pton(AF_INET, t->address, &sin.sin_addr) != 1) {
		log_warnx("tftp: bad source-address %s", t->address);
		return -1;
	}
	s->bind_addr = sin.sin_addr;
	s->port = ntohs(sin.sin_port);
	inet_ntop(AF_INET, &sin.sin_addr, s->addr, sizeof(s->addr));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("tftp: socket");
		return -1;
	}
	/* Phones boot all at once: room for a burst of requests. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		log_warn("tftp: bind %s port %u", s->addr, s->port);
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->ev = event_new(s->d->base, fd, EV_READ | EV_PERSIST, listener_cb, s);
	event_add(s->ev, NULL);
	log_info("tftp: listening on %s port %u", s->addr, s->port);
	return 0;
}

static void
cfg_add(struct pubtab *t, struct pubtab *old, struct tftp_svc *s,
    const char *url, const char *name, uint64_t now)
{
	struct pub *p, *was;

	if (!name_ok(name) || pubtab_find(t, name) != NULL)
		return;
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(name);
	p->url = xstrdup(url);
	p->path = daemon_url_path(s->d->statedir, url);
	/* Keep the cached copy when the file did not change. */
	was = old ? pubtab_find(old, name) : NULL;
	if (was != NULL && was->path != NULL && p->path != NULL &&
	    strcmp(was->path, p->path) == 0 && was->blob != NULL) {
		pub_blob_ref(was->blob);
		p->blob = was->blob;
		p->dev = was->dev;
		p->ino = was->ino;
		p->size = was->size;
		p->mtime = was->mtime;
	}
	pubtab_add(t, p);
	if (cfg_file_load(p, now) == NULL)
		log_warnx(
		    "tftp: %s (served as %s) cannot be read yet", url, name);
}

/* Rebuild the configured part of the view from the configuration. */
static void
reconcile_files(struct tftp_svc *s)
{
	struct config *cfg = s->d->cfg;
	struct pubtab *fresh = xcalloc(1, sizeof(*fresh)), *old = cfg_files;
	const struct tftp_file *f;
	const struct load_cfg_file *l;
	uint64_t now = clock_mono_ms();

	pubtab_init(fresh);
	TAILQ_FOREACH (f, &cfg->tftp_files, entry)
		cfg_add(fresh, old, s, f->url,
		    f->alias ? f->alias : conf_url_basename(f->url), now);
	TAILQ_FOREACH (l, &cfg->tel.load_cfg_files, entry)
		cfg_add(fresh, old, s, l->url,
		    l->alias ? l->alias : conf_url_basename(l->url), now);
	if (old != NULL) {
		pubtab_clear(old);
		free(old);
	}
	cfg_files = fresh;
}

static int
listener_differs(struct tftp_svc *s)
{
	const struct tftp_listen_conf *t = &s->d->cfg->tftp;
	struct in_addr a = {0};

	if (t->address != NULL && inet_pton(AF_INET, t->address, &a) != 1)
		return 1;
	return s->fd < 0 || a.s_addr != s->bind_addr.s_addr ||
	    (t->port ? t->port : TFTP_PORT) != s->port;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_svc *s = arg;

	(void)fd;
	(void)what;
	rate_expire(s, clock_mono_ms());
	/* A reload swapped the configuration tree (SIGHUP). */
	if (s->d->reloads != s->reloads_seen) {
		s->reloads_seen = s->d->reloads;
		if (listener_differs(s))
			listener_open(s);
		reconcile_files(s);
	}
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
tftp_svc_start(struct daemon *d)
{
	struct tftp_svc *s;
	struct rlimit rl;
	struct timeval one = {1, 0};

	if (tsvc != NULL)
		return 0;
	s = xcalloc(1, sizeof(*s));
	s->d = d;
	s->fd = -1;
	s->reloads_seen = d->reloads;
	TAILQ_INIT(&s->conn_list);
	tftp_xfer_limits_default(&s->lim);
	raise_nofile();
	s->max_xfers = TFTP_SVC_MAX_XFERS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)s->max_xfers + 256)
		s->max_xfers =
		    rl.rlim_cur > 512 ? (unsigned)(rl.rlim_cur - 256) : 256;
	tsvc = s;
	reconcile_files(s);
	s->tick = event_new(d->base, -1, EV_PERSIST, tick_cb, s);
	event_add(s->tick, &one);
	if (listener_open(s) != 0)
		log_warnx("tftp: not listening (check tftp-server "
		          "source-address)");
	return 0;
}

void
tftp_svc_changed(struct daemon *d, const char *what)
{
	struct tftp_svc *s = tsvc;

	(void)d;
	if (s == NULL || what == NULL)
		return;
	if (strcmp(what, "tftp-server source-address") == 0 ||
	    strcmp(what, "reload") == 0) {
		if (listener_differs(s))
			listener_open(s);
	}
	if (strncmp(what, "tftp-server", 11) == 0 ||
	    strncmp(what, "load-cfg-file", 13) == 0 ||
	    strcmp(what, "reload") == 0)
		reconcile_files(s);
}

void
tftp_svc_stop(struct daemon *d)
{
	struct tftp_svc *s = tsvc;
	struct conn *c;

	(void)d;
	if (s == NULL)
		return;
	while ((c = TAILQ_FIRST(&s->conn_list)) != NULL)
		conn_free(c);
	free(s->conns.b);
	rate_expire(s, UINT64_MAX / 2 / TFTP_SVC_RATE_PER_S);
	free(s->rates.b);
	listener_close(s);
	if (s->tick != NULL)
		event_free(s->tick);
	if (cfg_files != NULL) {
		pubtab_clear(cfg_files);
		free(cfg_files);
		cfg_files = NULL;
	}
	free(s);
	tsvc = NULL;
}

/* ---- for the CLI ---- */

int
tftp_svc_running(void)
{
	return tsvc != NULL;
}

void
tftp_svc_listener(char *addr, size_t cap, unsigned *port, int *bound)
{
	snprintf(addr, cap, "%s", tsvc ? tsvc->addr : "");
	*port = tsvc ? tsvc->port : 0;
	*bound = tsvc != NULL && tsvc->fd >= 0;
}

const struct tftp_stats *
tftp_svc_stats(void)
{
	static const struct tftp_stats zero;

	return tsvc ? &tsvc->st : &zero;
}

unsigned
tftp_svc_active(void)
{
	return tsvc ? tsvc->active : 0;
}

unsigned
tftp_svc_peak(void)
{
	return tsvc ? tsvc->peak : 0;
}

struct files_walk {
	tftp_file_fn *fn;
	void *arg;
	size_t *count;
	uint64_t *bytes;
};

static void
files_pub_cb(const char *name, const struct pub_blob *b, void *arg)
{
	struct files_walk *w = arg;

	(*w->count)++;
	*w->bytes += pub_blob_len(b);
	if (w->fn != NULL)
		w->fn(name, pub_blob_len(b), 1, "published", w->arg);
}

void
tftp_svc_files(tftp_file_fn *fn, void *arg, size_t *count, uint64_t *bytes)
{
	struct files_walk w = {fn, arg, count, bytes};
	struct pub *p;

	*count = 0;
	*bytes = 0;
	publish_foreach(files_pub_cb, &w);
	if (cfg_files == NULL || !cfg_files->inited)
		return;
	TAILQ_FOREACH (p, &cfg_files->list, entry) {
		struct pub_blob *b = publish_get(p->name);

		/* A configured name hidden by a published one. */
		if (b != NULL) {
			pub_blob_unref(b);
			continue;
		}
		if (p->blob != NULL) {
			(*count)++;
			*bytes += pub_blob_len(p->blob);
		}
		if (fn != NULL)
			fn(p->name, p->blob ? pub_blob_len(p->blob) : 0,
			    p->blob != NULL, p->url, arg);
	}
}
