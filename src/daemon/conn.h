/*
 * A framed stream connection of a service (SCCP, CAPF): the listener's
 * accept, the optional TLS handshake under a deadline, whole frames
 * handed to the service, output, and an orderly close with a bound.
 * The service keeps its protocol (a session per connection) and its
 * log lines; this module keeps the sockets, bufferevents and timers.
 *
 * Ownership: a conn_set owns its connections and its TLS context; a
 * connection owns its bufferevent (hence the socket, and the SSL), its
 * timer and its peer address.  The service's per-connection state is
 * created by ops->accepted and released by ops->closed, which is called
 * exactly once, when the connection ends for any reason; after it no
 * other callback comes and the struct conn pointer must not be used.
 * A connection ended from inside one of its own callbacks is released
 * when that callback returns, so a service may end a connection anywhere.
 */
#ifndef OPENCME_DAEMON_CONN_H
#define OPENCME_DAEMON_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <openssl/ssl.h>

struct event_base;
struct evconnlistener;
struct conn;

/* What ops->frame says about the input at hand. */
enum conn_frame {
	CONN_FRAME_MORE = 0, /* not enough bytes to tell */
	CONN_FRAME_OK = 1, /* *need bytes make the next frame */
	CONN_FRAME_BAD = -1, /* not this protocol (see ops->frame) */
};

/* Why a connection ended (ops->closed). */
enum conn_end {
	CONN_END_LOCAL, /* conn_abort, conn_set_close_all */
	CONN_END_PEER, /* the peer closed or the socket failed while open */
	CONN_END_CLOSED, /* conn_close finished, or its bound passed */
	CONN_END_HANDSHAKE, /* the TLS handshake failed or timed out */
	CONN_END_TIMEOUT, /* ops->deadline asked for it */
};

/* Why an accepted socket was closed at once (ops->refused). */
enum conn_refusal {
	CONN_REFUSED_FULL, /* conn_set.max connections */
	CONN_REFUSED_TLS, /* no TLS context, or no memory for an SSL */
};

/* The counters `show` commands print. */
struct conn_counters {
	unsigned long long accepted, tls_failed, timeouts;
};

struct conn_ops {
	/* The bytes ops->frame needs to see to size a frame. */
	size_t header_len;
	/* A socket was accepted (the handshake has not begun): the
	 * service's state for it, the `arg` of every later call. */
	void *(*accepted)(struct conn *c, void *svc);
	/* Messages may flow: at once over TCP, after the TLS handshake.
	 * The service arms its first deadline here (conn_deadline). */
	void (*up)(void *arg);
	/* The size of the frame at the head of the input: p holds the first
	 * len bytes (at most header_len).  CONN_FRAME_BAD: unless the
	 * service ended or closed the connection meanwhile, all the unread
	 * input goes to ops->input as one piece, for the service to answer. */
	int (*frame)(void *arg, const uint8_t *p, size_t len, size_t *need);
	/* One frame (or the bad input, see frame). */
	void (*input)(void *arg, const uint8_t *p, size_t len);
	/* The service's deadline passed: 1 when it is a timeout (counted,
	 * the connection ends), 0 when the service went on (it re-armed or
	 * closed). */
	int (*deadline)(void *arg);
	/* The TLS handshake failed (err: the OpenSSL error, 0 none) or did
	 * not end in time; counted, the connection ends.  For the logs. */
	void (*handshake_failed)(void *arg, unsigned long err);
	void (*handshake_timeout)(void *arg);
	/* The connection ended: the service releases its state. */
	void (*closed)(void *arg, enum conn_end why);
	/* An accepted socket was closed at once (for the logs; may be NULL). */
	void (*refused)(void *svc, enum conn_refusal why, unsigned n);
};

struct conn_listener {
	struct evconnlistener *lis;
	struct conn_set *set;
	int is_tls;
	SLIST_ENTRY(conn_listener) entry;
};

/* All connections of one service, across its listeners. */
struct conn_set {
	struct event_base *base;
	const struct conn_ops *ops;
	void *svc; /* ops->accepted's and ops->refused's argument */
	SSL_CTX *tls_ctx; /* owned; new TLS connections use it */
	unsigned max; /* connections at once */
	int pause_when_full; /* at max: stop accepting instead of refusing */
	unsigned handshake_ms; /* TLS handshake deadline */
	unsigned close_ms; /* bound of conn_close */
	unsigned n; /* connections now */
	struct conn_counters counters;
	TAILQ_HEAD(, conn) conns;
	SLIST_HEAD(, conn_listener) listeners;
};

void conn_set_init(struct conn_set *set, struct event_base *base,
    const struct conn_ops *ops, void *svc);
/* Ends every connection (CONN_END_LOCAL); listeners are the caller's
 * to close first.  Frees the TLS context. */
void conn_set_close_all(struct conn_set *set);
/* Takes ctx (may be NULL) and frees the previous one; running
 * connections keep theirs (an SSL holds a reference). */
void conn_set_tls_ctx(struct conn_set *set, SSL_CTX *ctx);
/* Iteration in accept order. */
struct conn *conn_set_first(const struct conn_set *set);
struct conn *conn_next(const struct conn *c);

/* Listens on addr:port (IPv4).  0, or -1 when addr is not an IPv4
 * address (errno EINVAL), or -2 when the socket cannot be bound (errno
 * says why).  l is closed first. */
int conn_listener_open(struct conn_listener *l, struct conn_set *set,
    const char *addr, unsigned port, int backlog, int is_tls);
void conn_listener_close(struct conn_listener *l);

/* Queue bytes (copied).  Nothing is queued once the connection closes. */
void conn_write(struct conn *c, const void *data, size_t len);
/* Queue data by reference: done(data, len, NULL) is called once it is
 * written or dropped (at once when nothing can be queued). */
void conn_write_ref(struct conn *c, const void *data, size_t len,
    void (*done)(const void *data, size_t len, void *arg));
/* The next deadline of an open connection (ops->deadline), from now;
 * ignored once the connection is closing. */
void conn_deadline(struct conn *c, unsigned ms);
/*
 * Orderly close: no more input for the service; what is queued goes
 * out, then our side ends (TLS close_notify, then FIN) and input is read
 * and dropped until the peer closes, at most set->close_ms.  Closing
 * the socket at once would reset the connection whenever the peer had
 * sent anything more that was not read, and a reset throws away what
 * the kernel still holds for the peer: the last answers among it.
 */
void conn_close(struct conn *c);
/* Ends the connection now (CONN_END_LOCAL). */
void conn_abort(struct conn *c);

int conn_is_tls(const struct conn *c);
/* 1 while conn_close runs. */
int conn_is_closing(const struct conn *c);
/* The TLS session, NULL over TCP. */
SSL *conn_ssl(const struct conn *c);
int conn_fd(const struct conn *c);
/* The peer's address as accepted: "?" and 0 when it is not IPv4;
 * conn_peer is "a.b.c.d:port" (or "?"). */
const char *conn_peer_ip(const struct conn *c);
unsigned conn_peer_port(const struct conn *c);
const char *conn_peer(const struct conn *c);
void *conn_arg(const struct conn *c);

#endif
