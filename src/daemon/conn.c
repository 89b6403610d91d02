/*
 * Framed stream connections of the services (conn.h): one bufferevent
 * (bufferevent_openssl for TLS) and one evtimer per connection.  The
 * timer is the TLS handshake deadline, then the service's deadlines,
 * then the bound of an orderly close.  Code running inside one of a
 * connection's callbacks holds it (busy); a connection ended meanwhile
 * is released when the outermost callback returns, so that no libevent
 * object is freed under its own callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "daemon/conn.h"
#include "lib/buf.h"

enum conn_closing {
	CONN_OPEN = 0,
	CONN_FLUSHING, /* the last answers are being written */
	CONN_HALF_CLOSED, /* all written, FIN sent: reading until EOF */
};

struct conn {
	struct conn_set *set;
	void *arg; /* the service's state (ops->accepted) */
	struct bufferevent *bev;
	struct event *timer;
	struct event *shut_ev; /* TLS: close_notify waits for room */
	int fd;
	int is_tls;
	int is_up; /* ops->up was called */
	int closing; /* enum conn_closing */
	int peer_eof; /* the peer closed its side while we flushed */
	int ended; /* ops->closed was called */
	int busy; /* depth of our callbacks running for it */
	char peer_ip[INET_ADDRSTRLEN];
	unsigned peer_port;
	char peer[INET_ADDRSTRLEN + 8];
	TAILQ_ENTRY(conn) entry;
};

/* ---- ending ---- */

static void
conn_release(struct conn *c)
{
	if (c->timer)
		event_free(c->timer);
	if (c->shut_ev)
		event_free(c->shut_ev);
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

static void
set_resume(struct conn_set *set)
{
	struct conn_listener *l;

	/* A slot is free again: take the peers waiting in the backlog. */
	if (!set->pause_when_full || set->n >= set->max)
		return;
	SLIST_FOREACH (l, &set->listeners, entry)
		if (l->lis != NULL)
			evconnlistener_enable(l->lis);
}

static void
conn_end(struct conn *c, enum conn_end why)
{
	struct conn_set *set = c->set;

	if (c->ended)
		return;
	c->ended = 1;
	/* The service goes first: while it lets go, the connection is
	 * still in the set, as it was before it ended. */
	set->ops->closed(c->arg, why);
	c->arg = NULL;
	TAILQ_REMOVE(&set->conns, c, entry);
	set->n--;
	set_resume(set);
	if (c->busy > 0) {
		/* Released by the callback that holds it (conn_leave). */
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		evtimer_del(c->timer);
		if (c->shut_ev)
			event_del(c->shut_ev);
		return;
	}
	conn_release(c);
}

static void
conn_enter(struct conn *c)
{
	c->busy++;
}

/* 1 when c is gone (it must not be used any more). */
static int
conn_leave(struct conn *c)
{
	if (--c->busy > 0 || !c->ended)
		return c->ended;
	conn_release(c);
	return 1;
}

void
conn_abort(struct conn *c)
{
	if (c != NULL)
		conn_end(c, CONN_END_LOCAL);
}

/* ---- orderly close ---- */

static void conn_half_close(struct conn *c);

static void
shut_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	conn_enter(c);
	conn_half_close(c);
	(void)conn_leave(c);
}

/* Everything is written: our side ends (TLS close_notify, then FIN)
 * and input is read and dropped until the peer closes or the timer
 * fires (conn.h, conn_close). */
static void
conn_half_close(struct conn *c)
{
	SSL *ssl = conn_ssl(c);

	if (c->ended || c->closing == CONN_HALF_CLOSED)
		return;
	if (ssl != NULL && SSL_shutdown(ssl) < 0 &&
	    SSL_get_error(ssl, -1) == SSL_ERROR_WANT_WRITE) {
		/* The socket buffer is full: close_notify when it drains. */
		ERR_clear_error();
		if (c->shut_ev == NULL)
			c->shut_ev = event_new(bufferevent_get_base(c->bev),
			    c->fd, EV_WRITE, shut_retry_cb, c);
		if (c->shut_ev != NULL) {
			event_add(c->shut_ev, NULL);
			return;
		}
	}
	ERR_clear_error();
	c->closing = CONN_HALF_CLOSED;
	(void)shutdown(c->fd, SHUT_WR);
	if (c->peer_eof)
		conn_end(c, CONN_END_CLOSED);
}

void
conn_close(struct conn *c)
{
	unsigned ms = c->set->close_ms;
	struct timeval tv = {ms / 1000u, (ms % 1000u) * 1000};

	if (c->ended || c->closing)
		return;
	c->closing = CONN_FLUSHING;
	evtimer_add(c->timer, &tv);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_half_close(c);
}

/* ---- output and deadlines ---- */

void
conn_write(struct conn *c, const void *data, size_t len)
{
	if (!c->ended && !c->closing && len > 0)
		bufferevent_write(c->bev, data, len);
}

void
conn_write_ref(struct conn *c, const void *data, size_t len,
    void (*done)(const void *data, size_t len, void *arg))
{
	if (c->ended || c->closing || len == 0 ||
	    evbuffer_add_reference(
	        bufferevent_get_output(c->bev), data, len, done, NULL) != 0)
		done(data, len, NULL);
}

void
conn_deadline(struct conn *c, unsigned ms)
{
	struct timeval tv = {ms / 1000u, (ms % 1000u) * 1000};

	if (!c->ended && !c->closing)
		evtimer_add(c->timer, &tv);
}

/* ---- bufferevent and timer callbacks ---- */

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	const struct conn_ops *ops = c->set->ops;
	struct evbuffer *in = bufferevent_get_input(bev);

	conn_enter(c);
	while (!c->ended && !c->closing && c->is_up) {
		size_t have = evbuffer_get_length(in), need = 0;
		size_t peek = have < ops->header_len ? have : ops->header_len;
		uint8_t *p;
		int rc;

		if (have == 0)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)peek);
		rc = ops->frame(c->arg, p, peek, &need);
		if (c->ended || c->closing || rc == CONN_FRAME_MORE)
			break;
		if (rc == CONN_FRAME_BAD)
			need = have;
		else if (have < need)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)need);
		ops->input(c->arg, p, need);
		if (!c->ended)
			evbuffer_drain(in, need);
	}
	/* Closing: read and dropped, as unread bytes would reset the
	 * close (conn_close). */
	if (!c->ended && c->closing)
		evbuffer_drain(in, evbuffer_get_length(in));
	(void)conn_leave(c);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (!c->closing)
		return;
	conn_enter(c);
	conn_half_close(c);
	(void)conn_leave(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	struct conn_set *set = c->set;

	conn_enter(c);
	if (what & BEV_EVENT_CONNECTED) {
		/* TLS handshake done. */
		c->is_up = 1;
		set->ops->up(c->arg);
	} else if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    c->closing == CONN_FLUSHING) {
		/* The peer only closed its side: it may still read what is
		 * on its way. */
		c->peer_eof = 1;
	} else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (!c->is_up) {
			set->counters.tls_failed++;
			set->ops->handshake_failed(
			    c->arg, bufferevent_get_openssl_error(bev));
		}
		ERR_clear_error();
		conn_end(c,
		    !c->is_up        ? CONN_END_HANDSHAKE
		        : c->closing ? CONN_END_CLOSED
		                     : CONN_END_PEER);
	}
	(void)conn_leave(c);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct conn_set *set = c->set;

	(void)fd;
	(void)what;
	conn_enter(c);
	if (c->closing) {
		conn_end(c, CONN_END_CLOSED);
	} else if (!c->is_up) {
		set->counters.timeouts++;
		set->ops->handshake_timeout(c->arg);
		conn_end(c, CONN_END_HANDSHAKE);
	} else if (set->ops->deadline(c->arg)) {
		set->counters.timeouts++;
		conn_end(c, CONN_END_TIMEOUT);
	}
	(void)conn_leave(c);
}

/* ---- accept ---- */

static void
refuse(struct conn_set *set, evutil_socket_t fd, enum conn_refusal why)
{
	if (set->ops->refused != NULL)
		set->ops->refused(set->svc, why, set->n);
	evutil_closesocket(fd);
}

static void
accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct conn_listener *l = arg;
	struct conn_set *set = l->set;
	struct bufferevent *bev;
	struct conn *c;
	SSL *ssl = NULL;

	(void)lis;
	(void)salen;
	if (set->n >= set->max) {
		refuse(set, fd, CONN_REFUSED_FULL);
		return;
	}
	if (l->is_tls) {
		if (set->tls_ctx == NULL ||
		    (ssl = SSL_new(set->tls_ctx)) == NULL) {
			refuse(set, fd, CONN_REFUSED_TLS);
			return;
		}
		bev = bufferevent_openssl_socket_new(set->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	} else
		bev = bufferevent_socket_new(
		    set->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		return;
	}
	if (l->is_tls)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);

	c = xcalloc(1, sizeof(*c));
	c->set = set;
	c->bev = bev;
	c->fd = (int)fd;
	c->is_tls = l->is_tls;
	snprintf(c->peer_ip, sizeof(c->peer_ip), "?");
	snprintf(c->peer, sizeof(c->peer), "?");
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(
		    AF_INET, &sin->sin_addr, c->peer_ip, sizeof(c->peer_ip));
		c->peer_port = ntohs(sin->sin_port);
		snprintf(c->peer, sizeof(c->peer), "%s:%u", c->peer_ip,
		    c->peer_port);
	}
	c->timer = evtimer_new(set->base, timer_cb, c);
	set->n++;
	set->counters.accepted++;
	/* Full: stop accepting so that further peers wait in the listen
	 * backlog (and TCP's SYN retries) instead of being closed. */
	if (set->pause_when_full && set->n >= set->max) {
		struct conn_listener *o;

		SLIST_FOREACH (o, &set->listeners, entry)
			if (o->lis != NULL)
				evconnlistener_disable(o->lis);
	}
	c->arg = set->ops->accepted(c, set->svc);
	/* Listed once the service's state exists: conn_arg of a listed
	 * connection is never NULL. */
	TAILQ_INSERT_TAIL(&set->conns, c, entry);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (c->is_tls) {
		struct timeval tv = {set->handshake_ms / 1000u,
		    (set->handshake_ms % 1000u) * 1000};

		evtimer_add(c->timer, &tv);
		return;
	}
	conn_enter(c);
	c->is_up = 1;
	set->ops->up(c->arg);
	(void)conn_leave(c);
}

/* ---- listeners ---- */

int
conn_listener_open(struct conn_listener *l, struct conn_set *set,
    const char *addr, unsigned port, int backlog, int is_tls)
{
	struct sockaddr_in sin;

	conn_listener_close(l);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	l->set = set;
	l->is_tls = is_tls;
	l->lis = evconnlistener_new_bind(set->base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    backlog, (struct sockaddr *)&sin, sizeof(sin));
	if (l->lis == NULL)
		return -2;
	SLIST_INSERT_HEAD(&set->listeners, l, entry);
	return 0;
}

void
conn_listener_close(struct conn_listener *l)
{
	if (l->lis == NULL)
		return;
	evconnlistener_free(l->lis);
	l->lis = NULL;
	SLIST_REMOVE(&l->set->listeners, l, conn_listener, entry);
}

/* ---- the set ---- */

void
conn_set_init(struct conn_set *set, struct event_base *base,
    const struct conn_ops *ops, void *svc)
{
	memset(set, 0, sizeof(*set));
	set->base = base;
	set->ops = ops;
	set->svc = svc;
	set->max = 64;
	set->handshake_ms = 30000;
	set->close_ms = 5000;
	TAILQ_INIT(&set->conns);
	SLIST_INIT(&set->listeners);
}

void
conn_set_close_all(struct conn_set *set)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&set->conns)) != NULL)
		conn_end(c, CONN_END_LOCAL);
	conn_set_tls_ctx(set, NULL);
}

void
conn_set_tls_ctx(struct conn_set *set, SSL_CTX *ctx)
{
	SSL_CTX_free(set->tls_ctx);
	set->tls_ctx = ctx;
}

struct conn *
conn_set_first(const struct conn_set *set)
{
	return TAILQ_FIRST(&set->conns);
}

struct conn *
conn_next(const struct conn *c)
{
	return TAILQ_NEXT(c, entry);
}

/* ---- facts ---- */

int
conn_is_tls(const struct conn *c)
{
	return c->is_tls;
}

int
conn_is_closing(const struct conn *c)
{
	return c->closing != CONN_OPEN;
}

SSL *
conn_ssl(const struct conn *c)
{
	return c->is_tls && c->bev != NULL ? bufferevent_openssl_get_ssl(c->bev)
	                                   : NULL;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

const char *
conn_peer_ip(const struct conn *c)
{
	return c->peer_ip;
}

unsigned
conn_peer_port(const struct conn *c)
{
	return c->peer_port;
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

void *
conn_arg(const struct conn *c)
{
	return c->arg;
}
