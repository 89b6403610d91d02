/*
 * SCCP service: a TCP and a TLS listener and one bufferevent per phone
 * around sccp_session.c.  Framing: sccp_frame_len on the first bytes,
 * then one whole PDU at a time; a framing or parse error closes that
 * connection only (spec 1.2: there is no resync), logged and counted.
 * One evtimer per connection: the register/handshake deadline, then
 * 2.5 keepalive intervals of silence, then (Unregister, RegisterReject)
 * the bound of an orderly close: last answers flushed, our side shut,
 * input read and dropped until the phone closes (conn_half_close).  A housekeeping timer reconciles
 * the listeners with the configuration, because plain settings
 * (secure-signaling port, keepalive) change without a notification.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "daemon/daemon.h"
#include "lib/log.h"
#include "svc/pki/pki_svc.h"
#include "svc/sccp/sccp_int.h"
#include "svc/sccp/sccp_svc.h"

#define SCCP_MAX_CONNS 20000u
#define SCCP_RECONCILE_S 2
/* A session that ended (Unregister, RegisterReject): time to deliver its
 * last answers and see the phone close its side. */
#define SCCP_CLOSE_MS 5000u

struct sccp_conn {
	struct sccp_svc *svc;
	struct bufferevent *bev;
	struct event *timer;
	struct sccp_sess sess;
	int has_sess; /* TLS: after the handshake */
	int transport;
	int fd;
	char peer_ip[INET_ADDRSTRLEN];
	unsigned peer_port;
	char tls_cn[80];
	int closing; /* enum conn_closing */
	int peer_eof; /* the phone closed its side while we flushed */
	struct event *shut_ev; /* TLS: close_notify waits for room */
	TAILQ_ENTRY(sccp_conn) entry;
};
TAILQ_HEAD(sccp_conn_list, sccp_conn);

enum conn_closing {
	CONN_OPEN = 0,
	CONN_FLUSHING, /* the last answers are being written */
	CONN_HALF_CLOSED, /* all written, FIN sent: reading until EOF */
};

struct sccp_listener {
	struct evconnlistener *lis;
	char key[300]; /* addr|port[|trustpoint] of the running socket */
	char addr[INET_ADDRSTRLEN];
	unsigned port;
};

struct sccp_svc {
	struct daemon *d;
	struct sccp_listener tcp, tls;
	SSL_CTX *ctx;
	char tls_tp[128]; /* trustpoint of ctx */
	int tls_null; /* ctx accepts NULL-encryption suites */
	char tls_err[256]; /* last reason the TLS listener is down */
	struct event *cron;
	unsigned nconns;
	struct sccp_conn_list conns;
	struct sccp_svc_counters counters;
};

static struct sccp_svc *ssvc;

static void reconcile(struct sccp_svc *s, int force_tls);

/* ---- views for the show commands ---- */

static void
view_of(const struct sccp_conn *c, struct sccp_conn_view *v)
{
	SSL *ssl = c->transport == SCCP_TRANSPORT_TLS
	    ? bufferevent_openssl_get_ssl(c->bev)
	    : NULL;

	memset(v, 0, sizeof(*v));
	v->sess = c->has_sess ? &c->sess : NULL;
	v->fd = c->fd;
	snprintf(v->peer_ip, sizeof(v->peer_ip), "%s", c->peer_ip);
	v->peer_port = c->peer_port;
	v->transport = c->transport;
	v->tls_version = ssl && c->has_sess ? SSL_get_version(ssl) : "";
	v->tls_cipher = ssl && c->has_sess ? SSL_get_cipher_name(ssl) : "";
}

void
sccp_svc_foreach(
    void (*fn)(const struct sccp_conn_view *v, void *arg), void *arg)
{
	struct sccp_conn *c;
	struct sccp_conn_view v;

	if (ssvc == NULL)
		return;
	TAILQ_FOREACH (c, &ssvc->conns, entry) {
		view_of(c, &v);
		fn(&v, arg);
	}
}

int
sccp_svc_find(const char *mac12, struct sccp_conn_view *out)
{
	struct sccp_conn *c;

	if (ssvc == NULL || mac12 == NULL)
		return 0;
	TAILQ_FOREACH (c, &ssvc->conns, entry)
		if (c->has_sess && c->sess.state == SCCP_SESS_REGISTERED &&
		    strcasecmp(c->sess.reg.device_name + 3, mac12) == 0) {
			if (out != NULL)
				view_of(c, out);
			return 1;
		}
	return 0;
}

int
sccp_svc_listening(int transport, char *addr, unsigned long cap, unsigned *port,
    const char **trustpoint)
{
	const struct sccp_listener *l;

	if (ssvc == NULL)
		return 0;
	l = transport == SCCP_TRANSPORT_TLS ? &ssvc->tls : &ssvc->tcp;
	if (trustpoint != NULL)
		*trustpoint = ssvc->tls_tp;
	if (l->lis == NULL)
		return 0;
	snprintf(addr, cap, "%s", l->addr);
	*port = l->port;
	return 1;
}

struct config *
sccp_svc_cfg(void)
{
	return ssvc ? ssvc->d->cfg : NULL;
}

const struct sccp_svc_counters *
sccp_svc_counters(void)
{
	static const struct sccp_svc_counters zero;

	return ssvc ? &ssvc->counters : &zero;
}

/* ---- session callbacks ---- */

static unsigned
registered_others(struct sccp_svc *s, const char *device)
{
	struct sccp_conn *c;
	unsigned n = 0;

	TAILQ_FOREACH (c, &s->conns, entry)
		if (c->has_sess && c->sess.state == SCCP_SESS_REGISTERED &&
		    strcasecmp(c->sess.reg.device_name, device) != 0)
			n++;
	return n;
}

static const char *
transport_name(int t)
{
	return t == SCCP_TRANSPORT_TLS ? "TLS" : "TCP";
}

/* The negotiated suite encrypts nothing (secure-signaling null-cipher). */
static int
tls_is_null(const struct sccp_conn *c)
{
	SSL *ssl = c->bev ? bufferevent_openssl_get_ssl(c->bev) : NULL;
	const SSL_CIPHER *sc = ssl ? SSL_get_current_cipher(ssl) : NULL;

	return sc != NULL && SSL_CIPHER_get_cipher_nid(sc) == NID_undef;
}

static int
op_check(void *arg, const struct sccp_register *r, struct sccp_dev_info *info,
    const char **reject)
{
	struct sccp_conn *c = arg;
	const char *why = "";
	int rc;

	rc = sccp_policy_check(c->svc->d->cfg, r, c->transport,
	    c->transport == SCCP_TRANSPORT_TLS ? c->tls_cn : NULL,
	    c->transport == SCCP_TRANSPORT_TLS && tls_is_null(c),
	    registered_others(c->svc, r->device_name), info, reject, &why);
	/* The name is the phone's bytes: logged only when well formed. */
	if (rc != 0)
		log_info("SCCP %s from %s:%u over %s: RegisterReject \"%s\" "
		         "(%s)",
		    sccp_device_name_ok(r->device_name) ? r->device_name
		                                        : "(invalid name)",
		    c->peer_ip, c->peer_port, transport_name(c->transport),
		    *reject, why);
	return rc;
}

static void conn_free(struct sccp_conn *c);

static void
op_registered(void *arg)
{
	struct sccp_conn *c = arg, *o, *next;
	const struct sccp_sess *s = &c->sess;

	/* The phone came back (reboot, network change): its old
	 * connection is dead even if TCP has not noticed yet. */
	for (o = TAILQ_FIRST(&c->svc->conns); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o != c && o->has_sess &&
		    o->sess.state == SCCP_SESS_REGISTERED &&
		    strcasecmp(o->sess.reg.device_name, s->reg.device_name) ==
		        0) {
			log_info("SCCP %s: registered again from %s:%u; "
			         "closing the old connection from %s:%u",
			    s->reg.device_name, c->peer_ip, c->peer_port,
			    o->peer_ip, o->peer_port);
			conn_free(o);
		}
	}
	log_info("SCCP %s registered from %s:%u over %s%s%s, protocol "
	         "%u/%u, keepalive %u",
	    s->reg.device_name, c->peer_ip, c->peer_port,
	    transport_name(c->transport),
	    c->transport == SCCP_TRANSPORT_TLS ? " " : "",
	    c->transport == SCCP_TRANSPORT_TLS
	        ? SSL_get_version(bufferevent_openssl_get_ssl(c->bev))
	        : "",
	    (unsigned)s->reg.protocol_version, (unsigned)s->proto,
	    s->info.keepalive_s);
	sccp_call_device_up(c, &c->sess);
}

static int
op_call(void *arg, const struct sccp_msg *m)
{
	return sccp_call_input(arg, m);
}

void
sccp_svc_send(void *conn, const struct buf *b)
{
	struct sccp_conn *c = conn;

	if (c->bev != NULL && !c->closing && b->len > 0)
		bufferevent_write(c->bev, b->data, b->len);
}

/* The output buffer holds our copy by reference; libevent hands it back
 * once written (or the connection is freed): wiped, then freed. */
static void
secret_done(const void *data, size_t len, void *arg)
{
	(void)arg;
	OPENSSL_cleanse((void *)(uintptr_t)data, len);
	free((void *)(uintptr_t)data);
}

void
sccp_svc_send_secret(void *conn, const struct buf *b)
{
	struct sccp_conn *c = conn;
	uint8_t *copy;

	if (c->bev == NULL || c->closing || b->len == 0)
		return;
	copy = xmalloc(b->len);
	memcpy(copy, b->data, b->len);
	if (evbuffer_add_reference(bufferevent_get_output(c->bev), copy, b->len,
	        secret_done, NULL) != 0)
		secret_done(copy, b->len, NULL);
}

static time_t
op_now(void *arg)
{
	(void)arg;
	return time(NULL);
}

static const struct sccp_sess_ops conn_ops = {
    .check = op_check,
    .registered = op_registered,
    .now = op_now,
    .call = op_call,
};

/* ---- connections ---- */

static void
conn_free(struct sccp_conn *c)
{
	struct sccp_svc *s = c->svc;

	if (c->has_sess && c->sess.state == SCCP_SESS_REGISTERED)
		log_info("SCCP %s unregistered (connection from %s:%u closed)",
		    c->sess.reg.device_name, c->peer_ip, c->peer_port);
	sccp_call_device_down(c);
	TAILQ_REMOVE(&s->conns, c, entry);
	s->nconns--;
	if (c->timer)
		event_free(c->timer);
	if (c->shut_ev)
		event_free(c->shut_ev);
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

static void
conn_arm(struct sccp_conn *c)
{
	unsigned ms = c->has_sess ? sccp_sess_timeout_ms(&c->sess)
	                          : SCCP_SESS_REGISTER_MS;
	struct timeval tv = {ms / 1000u, (ms % 1000u) * 1000};

	evtimer_add(c->timer, &tv);
}

static void conn_half_close(struct sccp_conn *c);

static void
shut_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_half_close(arg);
}

/*
 * Everything is written: our side ends (TLS close_notify, then FIN) and
 * we go on reading, discarding, until the phone closes its side or the
 * timer fires.  Closing the socket at once would reset the connection
 * whenever the phone had sent anything more that was not read (a
 * KeepAlive, an answer to a message that crossed its Unregister), and a
 * reset throws away what the kernel still holds for the phone: the
 * UnregisterAck or RegisterReject among it.
 */
static void
conn_half_close(struct sccp_conn *c)
{
	SSL *ssl = c->transport == SCCP_TRANSPORT_TLS
	    ? bufferevent_openssl_get_ssl(c->bev)
	    : NULL;

	if (c->closing == CONN_HALF_CLOSED)
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
		conn_free(c);
}

/* The session ended: its last answers are queued.  They go out, then the
 * connection closes in order (conn_half_close), within SCCP_CLOSE_MS. */
static void
conn_close_after_flush(struct sccp_conn *c)
{
	struct timeval tv = {SCCP_CLOSE_MS / 1000u, 0};

	c->closing = CONN_FLUSHING;
	evtimer_add(c->timer, &tv);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_half_close(c);
}

static const char *
conn_name(const struct sccp_conn *c)
{
	if (c->has_sess && c->sess.reg.device_name[0] != '\0')
		return c->sess.reg.device_name;
	return "phone";
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct sccp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->closing) {
		/* Read and dropped: unread bytes would reset the close. */
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while (!c->closing && c->has_sess) {
		size_t have = evbuffer_get_length(in), need = 0;
		size_t peek = have < SCCP_HEADER_LEN ? have : SCCP_HEADER_LEN;
		uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)peek);
		struct sccp_error err = {0, NULL};
		struct buf out = BUF_INIT;
		int rc;

		if (have == 0)
			return;
		rc = sccp_frame_len(p, peek, &need);
		if (rc < 0) {
			sccp_sess_count_malformed();
			log_warnx("SCCP %s from %s:%u: bad framing (%s): "
			          "closing the connection",
			    conn_name(c), c->peer_ip, c->peer_port,
			    sccp_err_str(rc));
			conn_free(c);
			return;
		}
		if (rc == 0 && need <= peek)
			return; /* the header is incomplete */
		if (have < need)
			return;
		p = evbuffer_pullup(in, (ev_ssize_t)need);
		rc = sccp_sess_input(&c->sess, p, need, &out, &err);
		evbuffer_drain(in, need);
		if (rc == SCCP_SESS_ERROR) {
			log_warnx(
			    "SCCP %s from %s:%u: malformed message (%s at "
			    "offset %zu): closing the connection",
			    conn_name(c), c->peer_ip, c->peer_port,
			    err.what ? err.what : "?", err.offset);
			buf_free(&out);
			conn_free(c);
			return;
		}
		/* Unregister: the phone's calls end first, so that their
		 * teardown reaches it (and the other phones) before the
		 * UnregisterAck; nothing is sent to it afterwards. */
		if (rc == SCCP_SESS_CLOSE)
			sccp_call_device_down(c);
		if (out.len > 0)
			bufferevent_write(c->bev, out.data, out.len);
		buf_free(&out);
		if (rc == SCCP_SESS_CLOSE) {
			conn_close_after_flush(c);
			return;
		}
		conn_arm(c);
	}
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct sccp_conn *c = arg;

	(void)bev;
	if (c->closing)
		conn_half_close(c);
}

/* The peer certificate's CN, "" when there is none. */
static void
peer_cn(struct sccp_conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;

	c->tls_cn[0] = '\0';
	if (peer != NULL &&
	    X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
	        NID_commonName, c->tls_cn, (int)sizeof(c->tls_cn)) < 0)
		c->tls_cn[0] = '\0';
	ERR_clear_error();
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sccp_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		/* TLS handshake done: the client certificate was verified
		 * by verify_cert_cb; its CN is checked at Register. */
		peer_cn(c);
		sccp_sess_init(&c->sess, &conn_ops, c, c->transport);
		c->has_sess = 1;
		log_debug("SCCP TLS connection from %s:%u (%s, %s, CN %s)",
		    c->peer_ip, c->peer_port,
		    SSL_get_version(bufferevent_openssl_get_ssl(c->bev)),
		    SSL_get_cipher_name(bufferevent_openssl_get_ssl(c->bev)),
		    c->tls_cn[0] ? c->tls_cn : "-");
		conn_arm(c);
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    c->closing == CONN_FLUSHING) {
		/* The phone only closed its side: it may still read what
		 * is on its way. */
		c->peer_eof = 1;
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (!c->has_sess) {
			unsigned long e = bufferevent_get_openssl_error(bev);

			c->svc->counters.tls_failed++;
			log_info("SCCP TLS handshake with %s:%u failed%s%s",
			    c->peer_ip, c->peer_port, e ? ": " : "",
			    e ? ERR_reason_error_string(e) : "");
		}
		ERR_clear_error();
		conn_free(c);
	}
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sccp_conn *c = arg;

	(void)fd;
	(void)what;
	if (!c->closing) {
		c->svc->counters.timeouts++;
		if (!c->has_sess)
			log_info("SCCP TLS handshake with %s:%u timed out",
			    c->peer_ip, c->peer_port);
		else if (c->sess.state == SCCP_SESS_REGISTERED)
			log_info("SCCP %s (%s:%u): no keepalive for %u s: "
			         "dropping the phone",
			    c->sess.reg.device_name, c->peer_ip, c->peer_port,
			    sccp_sess_timeout_ms(&c->sess) / 1000u);
		else
			log_info("SCCP %s:%u: no Register in time: closing",
			    c->peer_ip, c->peer_port);
	}
	conn_free(c);
}

static struct sccp_conn *
conn_new(struct sccp_svc *s, evutil_socket_t fd, const struct sockaddr *sa,
    int transport)
{
	struct sccp_conn *c = xcalloc(1, sizeof(*c));

	c->svc = s;
	c->fd = (int)fd;
	c->transport = transport;
	snprintf(c->peer_ip, sizeof(c->peer_ip), "?");
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(
		    AF_INET, &sin->sin_addr, c->peer_ip, sizeof(c->peer_ip));
		c->peer_port = ntohs(sin->sin_port);
	}
	return c;
}

static void
conn_start(struct sccp_svc *s, struct sccp_conn *c)
{
	c->timer = evtimer_new(s->d->base, timer_cb, c);
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	s->nconns++;
	s->counters.accepted++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_arm(c);
}

static int
too_many(struct sccp_svc *s, evutil_socket_t fd)
{
	if (s->nconns < SCCP_MAX_CONNS)
		return 0;
	log_warnx("SCCP: connection refused (%u connections)", s->nconns);
	evutil_closesocket(fd);
	return 1;
}

static void
accept_tcp_cb(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct sccp_svc *s = arg;
	struct sccp_conn *c;

	(void)lis;
	(void)salen;
	if (too_many(s, fd))
		return;
	c = conn_new(s, fd, sa, SCCP_TRANSPORT_TCP);
	c->bev = bufferevent_socket_new(s->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	sccp_sess_init(&c->sess, &conn_ops, c, SCCP_TRANSPORT_TCP);
	c->has_sess = 1;
	conn_start(s, c);
}

static void
accept_tls_cb(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct sccp_svc *s = arg;
	struct sccp_conn *c;
	SSL *ssl;

	(void)lis;
	(void)salen;
	if (too_many(s, fd))
		return;
	if (s->ctx == NULL || (ssl = SSL_new(s->ctx)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c = conn_new(s, fd, sa, SCCP_TRANSPORT_TLS);
	c->bev = bufferevent_openssl_socket_new(s->d->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		free(c);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	conn_start(s, c);
}

/* ---- TLS: which client certificates are phones of ours ---- */

/*
 * An LSC issued by the capf-server cert-enroll-trustpoint CA, or a MIC
 * under a trustpoint holding an imported root (enrollment terminal);
 * pki_svc_verify_peer applies each trustpoint's revocation-check, so a
 * revoked LSC fails here, during the handshake.
 */
static int
verify_cert_cb(X509_STORE_CTX *xs, void *arg)
{
	struct sccp_svc *s = arg;
	struct config *cfg = s->d->cfg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	STACK_OF(X509) *untrusted = X509_STORE_CTX_get0_untrusted(xs);
	const char *why = "no trustpoint for phone certificates";
	struct trustpoint *tp;
	char *subject;

	if (leaf == NULL)
		return 0;
	if (cfg->capf.cert_enroll_tp != NULL &&
	    pki_svc_verify_peer(
	        cfg, cfg->capf.cert_enroll_tp, leaf, untrusted, &why) == 0)
		return 1;
	TAILQ_FOREACH (tp, &cfg->trustpoints, entry) {
		const char *w2 = NULL;

		if (!tp->declared || !tp->enrollment_terminal)
			continue;
		if (pki_svc_verify_peer(cfg, tp->name, leaf, untrusted, &w2) ==
		    0)
			return 1;
		if (cfg->capf.cert_enroll_tp == NULL)
			why = w2;
	}
	subject = X509_NAME_oneline(X509_get_subject_name(leaf), NULL, 0);
	log_info("SCCP TLS: phone certificate %s refused: %s",
	    subject ? subject : "?", why ? why : "-");
	OPENSSL_free(subject);
	X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
	return 0;
}

/* ---- listeners ---- */

static void
listener_close(struct sccp_listener *l)
{
	if (l->lis)
		evconnlistener_free(l->lis);
	l->lis = NULL;
	l->key[0] = '\0';
}

static int
listener_open(struct sccp_svc *s, struct sccp_listener *l, const char *addr,
    unsigned port, evconnlistener_cb cb, const char *key, const char *what)
{
	struct sockaddr_in sin;
	int first = strcmp(l->key, key) != 0;

	if (l->lis != NULL && !first)
		return 0;
	listener_close(l);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		log_warnx("SCCP: bad ip source-address %s", addr);
		return -1;
	}
	l->lis = evconnlistener_new_bind(s->d->base, cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&sin, sizeof(sin));
	/* Remember the attempt either way: a port in use is retried at
	 * every reconcile but reported once. */
	snprintf(l->key, sizeof(l->key), "%s", key);
	if (l->lis == NULL) {
		if (first)
			log_warn("SCCP: cannot listen on %s port %u (%s)", addr,
			    port, what);
		return -1;
	}
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	l->port = port;
	log_info("SCCP listening on %s port %u (%s)", addr, port, what);
	return 0;
}

static void
tls_down(struct sccp_svc *s, const char *why)
{
	if (s->tls.lis != NULL || strcmp(s->tls_err, why) != 0)
		log_warnx("SCCP TLS listener not started: %s", why);
	snprintf(s->tls_err, sizeof(s->tls_err), "%s", why);
	listener_close(&s->tls);
	s->tls.key[0] = '\0';
	SSL_CTX_free(s->ctx);
	s->ctx = NULL;
}

static void
reconcile(struct sccp_svc *s, int force_tls)
{
	const struct telephony_conf *t = &s->d->cfg->tel;
	const char *tp = t->secure_signaling_tp;
	char key[300], why[256];
	const char *w = NULL;
	unsigned sport = t->secure_port ? t->secure_port : 2443;
	SSL_CTX *ctx;

	if (!t->present || t->ip_source_addr == NULL) {
		if (s->tcp.lis != NULL || s->tls.lis != NULL)
			log_info("SCCP stopped (no telephony-service ip "
			         "source-address)");
		listener_close(&s->tcp);
		listener_close(&s->tls);
		SSL_CTX_free(s->ctx);
		s->ctx = NULL;
		return;
	}
	snprintf(
	    key, sizeof(key), "%s|%u", t->ip_source_addr, t->ip_source_port);
	(void)listener_open(s, &s->tcp, t->ip_source_addr, t->ip_source_port,
	    accept_tcp_cb, key, "TCP");

	if (tp == NULL) {
		if (s->tls.lis != NULL)
			log_info("SCCP TLS stopped (no secure-signaling "
			         "trustpoint)");
		listener_close(&s->tls);
		SSL_CTX_free(s->ctx);
		s->ctx = NULL;
		s->tls_tp[0] = s->tls_err[0] = '\0';
		return;
	}
	/* A context that could not be built is retried on a change, not
	 * by the housekeeping timer (keys are read from disk). */
	if (s->ctx == NULL && !force_tls && s->tls_err[0] != '\0' &&
	    strcmp(s->tls_tp, tp) == 0)
		return;
	if (s->ctx == NULL || force_tls || strcmp(s->tls_tp, tp) != 0 ||
	    s->tls_null != t->secure_null_cipher) {
		ctx = pki_svc_tls_server_ctx(s->d->cfg, tp, 0, &w);
		snprintf(s->tls_tp, sizeof(s->tls_tp), "%s", tp);
		if (ctx == NULL) {
			snprintf(why, sizeof(why), "trustpoint %s: %s", tp,
			    w ? w : "unusable");
			tls_down(s, why);
			return;
		}
		/* Phones' LSCs are 1024-bit RSA by default (capf-server
		 * phone-key-size): Debian's security level 2 refuses them. */
		SSL_CTX_set_security_level(ctx, 1);
		if (t->secure_null_cipher) {
			/* Encrypting suites first (server preference); the
			 * NULL ones last, for phones that offer nothing
			 * else (not DEFAULT: its !eNULL would exclude them for
			 * good).  OpenSSL only allows them at level 0. */
			SSL_CTX_set_security_level(ctx, 0);
			SSL_CTX_set_options(
			    ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
			(void)SSL_CTX_set_cipher_list(
			    ctx, "HIGH:eNULL:!aNULL:@SECLEVEL=0");
		}
		s->tls_null = t->secure_null_cipher;
		SSL_CTX_set_verify(ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL_CTX_set_cert_verify_callback(ctx, verify_cert_cb, s);
		/* New connections use the new context; running ones keep
		 * theirs (SSL objects hold a reference). */
		SSL_CTX_free(s->ctx);
		s->ctx = ctx;
		s->tls_err[0] = '\0';
	}
	snprintf(key, sizeof(key), "%s|%u", t->ip_source_addr, sport);
	{
		char what[160];

		snprintf(what, sizeof(what), "TLS, trustpoint %s", tp);
		(void)listener_open(s, &s->tls, t->ip_source_addr, sport,
		    accept_tls_cb, key, what);
	}
}

static void
cron_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reconcile(arg, 0);
}

int
sccp_svc_start(struct daemon *d)
{
	struct timeval tv = {SCCP_RECONCILE_S, 0};

	if (ssvc != NULL)
		return 0;
	ssvc = xcalloc(1, sizeof(*ssvc));
	ssvc->d = d;
	TAILQ_INIT(&ssvc->conns);
	sccp_call_start(d);
	reconcile(ssvc, 0);
	sccp_cli_live(1);
	ssvc->cron = event_new(d->base, -1, EV_PERSIST, cron_cb, ssvc);
	event_add(ssvc->cron, &tv);
	return 0;
}

void
sccp_svc_changed(struct daemon *d, const char *what)
{
	(void)d;
	if (ssvc == NULL || what == NULL)
		return;
	/* New trustpoint credentials: a new TLS context. */
	reconcile(ssvc,
	    strncmp(what, "crypto pki", 10) == 0 ||
	        strcmp(what, "reload") == 0 ||
	        strcmp(what, "telephony-service trustpoint") == 0);
	if (strncmp(what, "ephone-dn", 9) == 0 || strcmp(what, "reload") == 0)
		sccp_call_config_changed(d->cfg);
}

void
sccp_svc_stop(struct daemon *d)
{
	struct sccp_conn *c;

	(void)d;
	if (ssvc == NULL)
		return;
	sccp_cli_live(0);
	while ((c = TAILQ_FIRST(&ssvc->conns)) != NULL)
		conn_free(c);
	sccp_call_stop();
	listener_close(&ssvc->tcp);
	listener_close(&ssvc->tls);
	SSL_CTX_free(ssvc->ctx);
	if (ssvc->cron)
		event_free(ssvc->cron);
	free(ssvc);
	ssvc = NULL;
}
