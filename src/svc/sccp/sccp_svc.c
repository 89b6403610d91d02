/*
 * SCCP service: a TCP and a TLS listener and one connection per phone
 * (daemon/conn.h) around sccp_session.c.  Framing: sccp_frame_len on the
 * first bytes, then one whole PDU at a time; a framing or parse error
 * closes that connection only (spec 1.2: there is no resync), logged and
 * counted.  Deadlines: the register/handshake deadline, then 2.5
 * keepalive intervals of silence, then (Unregister, RegisterReject) the
 * bound of the connection's orderly close (conn_close: last answers
 * flushed, our side shut, input read and dropped until the phone
 * closes).  A housekeeping timer reconciles the listeners with the
 * configuration, because plain settings (secure-signaling port,
 * keepalive) change without a notification.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "daemon/conn.h"
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

/* A phone's connection: the identity sccp_call.c knows it by.  Created
 * and freed by the connection it rides on (conn_ops below). */
struct sccp_conn {
	struct sccp_svc *svc;
	struct conn *conn;
	struct sccp_sess sess;
	int has_sess; /* TLS: after the handshake */
	int transport;
	char tls_cn[80];
};

struct sccp_listener {
	struct conn_listener cl;
	char key[300]; /* addr|port[|trustpoint] of the running socket */
	char addr[INET_ADDRSTRLEN];
	unsigned port;
};

struct sccp_svc {
	struct daemon *d;
	struct sccp_listener tcp, tls;
	char tls_tp[128]; /* trustpoint of set.tls_ctx */
	int tls_null; /* ctx accepts NULL-encryption suites */
	char tls_err[256]; /* last reason the TLS listener is down */
	struct event *cron;
	struct conn_set set; /* every phone's connection, both listeners */
};

static struct sccp_svc *ssvc;

static void reconcile(struct sccp_svc *s, int force_tls);

/* Every connection of s, handshakes included, in accept order. */
#define SCCP_FOREACH(c, k, s)                                                  \
	for ((k) = conn_set_first(&(s)->set);                                  \
	     (k) != NULL && ((c) = conn_arg(k), 1); (k) = conn_next(k))

/* ---- views for the show commands ---- */

static void
view_of(const struct sccp_conn *c, struct sccp_conn_view *v)
{
	SSL *ssl = conn_ssl(c->conn);

	memset(v, 0, sizeof(*v));
	v->sess = c->has_sess ? &c->sess : NULL;
	v->fd = conn_fd(c->conn);
	snprintf(v->peer_ip, sizeof(v->peer_ip), "%s", conn_peer_ip(c->conn));
	v->peer_port = conn_peer_port(c->conn);
	v->transport = c->transport;
	v->tls_version = ssl && c->has_sess ? SSL_get_version(ssl) : "";
	v->tls_cipher = ssl && c->has_sess ? SSL_get_cipher_name(ssl) : "";
}

void
sccp_svc_foreach(
    void (*fn)(const struct sccp_conn_view *v, void *arg), void *arg)
{
	struct sccp_conn *c;
	struct conn *k;
	struct sccp_conn_view v;

	if (ssvc == NULL)
		return;
	SCCP_FOREACH(c, k, ssvc)
	{
		view_of(c, &v);
		fn(&v, arg);
	}
}

int
sccp_svc_find(const char *mac12, struct sccp_conn_view *out)
{
	struct sccp_conn *c;
	struct conn *k;

	if (ssvc == NULL || mac12 == NULL)
		return 0;
	SCCP_FOREACH(c, k, ssvc)
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
	if (l->cl.lis == NULL)
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

const struct conn_counters *
sccp_svc_counters(void)
{
	static const struct conn_counters zero;

	return ssvc ? &ssvc->set.counters : &zero;
}

/* ---- session callbacks ---- */

static unsigned
registered_others(struct sccp_svc *s, const char *device)
{
	struct sccp_conn *c;
	struct conn *k;
	unsigned n = 0;

	SCCP_FOREACH(c, k, s)
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
	SSL *ssl = conn_ssl(c->conn);
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
		    conn_peer_ip(c->conn), conn_peer_port(c->conn),
		    transport_name(c->transport), *reject, why);
	return rc;
}

static void
op_registered(void *arg)
{
	struct sccp_conn *c = arg, *o;
	struct conn *k, *next;
	const struct sccp_sess *s = &c->sess;

	/* The phone came back (reboot, network change): its old
	 * connection is dead even if TCP has not noticed yet. */
	for (k = conn_set_first(&c->svc->set); k != NULL; k = next) {
		next = conn_next(k);
		o = conn_arg(k);
		if (o != c && o->has_sess &&
		    o->sess.state == SCCP_SESS_REGISTERED &&
		    strcasecmp(o->sess.reg.device_name, s->reg.device_name) ==
		        0) {
			log_info("SCCP %s: registered again from %s:%u; "
			         "closing the old connection from %s:%u",
			    s->reg.device_name, conn_peer_ip(c->conn),
			    conn_peer_port(c->conn), conn_peer_ip(o->conn),
			    conn_peer_port(o->conn));
			conn_abort(o->conn);
		}
	}
	log_info("SCCP %s registered from %s:%u over %s%s%s, protocol "
	         "%u/%u, keepalive %u",
	    s->reg.device_name, conn_peer_ip(c->conn), conn_peer_port(c->conn),
	    transport_name(c->transport),
	    c->transport == SCCP_TRANSPORT_TLS ? " " : "",
	    c->transport == SCCP_TRANSPORT_TLS
	        ? SSL_get_version(conn_ssl(c->conn))
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

	conn_write(c->conn, b->data, b->len);
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

	if (conn_is_closing(c->conn) || b->len == 0)
		return;
	copy = xmalloc(b->len);
	memcpy(copy, b->data, b->len);
	conn_write_ref(c->conn, copy, b->len, secret_done);
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

/* ---- connections (daemon/conn.h calls these) ---- */

static void
conn_arm(struct sccp_conn *c)
{
	conn_deadline(c->conn,
	    c->has_sess ? sccp_sess_timeout_ms(&c->sess)
	                : SCCP_SESS_REGISTER_MS);
}

static const char *
conn_name(const struct sccp_conn *c)
{
	if (c->has_sess && c->sess.reg.device_name[0] != '\0')
		return c->sess.reg.device_name;
	return "phone";
}

/* The peer certificate's CN, "" when there is none. */
static void
peer_cn(struct sccp_conn *c)
{
	SSL *ssl = conn_ssl(c->conn);
	X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;

	c->tls_cn[0] = '\0';
	if (peer != NULL &&
	    X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
	        NID_commonName, c->tls_cn, (int)sizeof(c->tls_cn)) < 0)
		c->tls_cn[0] = '\0';
	ERR_clear_error();
}

static void *
on_accepted(struct conn *k, void *svc)
{
	struct sccp_conn *c = xcalloc(1, sizeof(*c));

	c->svc = svc;
	c->conn = k;
	c->transport = conn_is_tls(k) ? SCCP_TRANSPORT_TLS : SCCP_TRANSPORT_TCP;
	return c;
}

static void
on_up(void *arg)
{
	struct sccp_conn *c = arg;

	if (c->transport == SCCP_TRANSPORT_TLS) {
		/* TLS handshake done: the client certificate was verified
		 * by verify_cert_cb; its CN is checked at Register. */
		peer_cn(c);
	}
	sccp_sess_init(&c->sess, &conn_ops, c, c->transport);
	c->has_sess = 1;
	if (c->transport == SCCP_TRANSPORT_TLS)
		log_debug("SCCP TLS connection from %s:%u (%s, %s, CN %s)",
		    conn_peer_ip(c->conn), conn_peer_port(c->conn),
		    SSL_get_version(conn_ssl(c->conn)),
		    SSL_get_cipher_name(conn_ssl(c->conn)),
		    c->tls_cn[0] ? c->tls_cn : "-");
	conn_arm(c);
}

static int
on_frame(void *arg, const uint8_t *p, size_t len, size_t *need)
{
	struct sccp_conn *c = arg;
	int rc = sccp_frame_len(p, len, need);

	if (rc >= 0)
		return CONN_FRAME_OK; /* *need: the PDU, or its prefix */
	sccp_sess_count_malformed();
	log_warnx("SCCP %s from %s:%u: bad framing (%s): "
	          "closing the connection",
	    conn_name(c), conn_peer_ip(c->conn), conn_peer_port(c->conn),
	    sccp_err_str(rc));
	conn_abort(c->conn);
	return CONN_FRAME_BAD;
}

static void
on_input(void *arg, const uint8_t *p, size_t len)
{
	struct sccp_conn *c = arg;
	struct sccp_error err = {0, NULL};
	struct buf out = BUF_INIT;
	int rc;

	rc = sccp_sess_input(&c->sess, p, len, &out, &err);
	if (rc == SCCP_SESS_ERROR) {
		log_warnx("SCCP %s from %s:%u: malformed message (%s at "
		          "offset %zu): closing the connection",
		    conn_name(c), conn_peer_ip(c->conn),
		    conn_peer_port(c->conn), err.what ? err.what : "?",
		    err.offset);
		buf_free(&out);
		conn_abort(c->conn);
		return;
	}
	/* Unregister: the phone's calls end first, so that their
	 * teardown reaches it (and the other phones) before the
	 * UnregisterAck; nothing is sent to it afterwards. */
	if (rc == SCCP_SESS_CLOSE)
		sccp_call_device_down(c);
	conn_write(c->conn, out.data, out.len);
	buf_free(&out);
	if (rc == SCCP_SESS_CLOSE) {
		/* Its last answers go out, then the connection closes
		 * in order. */
		conn_close(c->conn);
		return;
	}
	conn_arm(c);
}

static int
on_deadline(void *arg)
{
	struct sccp_conn *c = arg;

	if (c->sess.state == SCCP_SESS_REGISTERED)
		log_info("SCCP %s (%s:%u): no keepalive for %u s: "
		         "dropping the phone",
		    c->sess.reg.device_name, conn_peer_ip(c->conn),
		    conn_peer_port(c->conn),
		    sccp_sess_timeout_ms(&c->sess) / 1000u);
	else
		log_info("SCCP %s:%u: no Register in time: closing",
		    conn_peer_ip(c->conn), conn_peer_port(c->conn));
	return 1;
}

static void
on_handshake_failed(void *arg, unsigned long e)
{
	struct sccp_conn *c = arg;

	log_info("SCCP TLS handshake with %s:%u failed%s%s",
	    conn_peer_ip(c->conn), conn_peer_port(c->conn), e ? ": " : "",
	    e ? ERR_reason_error_string(e) : "");
}

static void
on_handshake_timeout(void *arg)
{
	struct sccp_conn *c = arg;

	log_info("SCCP TLS handshake with %s:%u timed out",
	    conn_peer_ip(c->conn), conn_peer_port(c->conn));
}

static void
on_closed(void *arg, enum conn_end why)
{
	struct sccp_conn *c = arg;

	(void)why;
	if (c->has_sess && c->sess.state == SCCP_SESS_REGISTERED)
		log_info("SCCP %s unregistered (connection from %s:%u closed)",
		    c->sess.reg.device_name, conn_peer_ip(c->conn),
		    conn_peer_port(c->conn));
	sccp_call_device_down(c);
	free(c);
}

static void
on_refused(void *svc, enum conn_refusal why, unsigned n)
{
	(void)svc;
	if (why == CONN_REFUSED_FULL)
		log_warnx("SCCP: connection refused (%u connections)", n);
}

static const struct conn_ops sccp_conn_ops = {
    .header_len = SCCP_HEADER_LEN,
    .accepted = on_accepted,
    .up = on_up,
    .frame = on_frame,
    .input = on_input,
    .deadline = on_deadline,
    .handshake_failed = on_handshake_failed,
    .handshake_timeout = on_handshake_timeout,
    .closed = on_closed,
    .refused = on_refused,
};

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
	conn_listener_close(&l->cl);
	l->key[0] = '\0';
}

static int
listener_open(struct sccp_svc *s, struct sccp_listener *l, const char *addr,
    unsigned port, int is_tls, const char *key, const char *what)
{
	int first = strcmp(l->key, key) != 0;
	int rc;

	if (l->cl.lis != NULL && !first)
		return 0;
	listener_close(l);
	rc = conn_listener_open(&l->cl, &s->set, addr, port, 128, is_tls);
	if (rc == -1) {
		log_warnx("SCCP: bad ip source-address %s", addr);
		return -1;
	}
	/* Remember the attempt either way: a port in use is retried at
	 * every reconcile but reported once. */
	snprintf(l->key, sizeof(l->key), "%s", key);
	if (rc != 0) {
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
	if (s->tls.cl.lis != NULL || strcmp(s->tls_err, why) != 0)
		log_warnx("SCCP TLS listener not started: %s", why);
	snprintf(s->tls_err, sizeof(s->tls_err), "%s", why);
	listener_close(&s->tls);
	s->tls.key[0] = '\0';
	conn_set_tls_ctx(&s->set, NULL);
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
		if (s->tcp.cl.lis != NULL || s->tls.cl.lis != NULL)
			log_info("SCCP stopped (no telephony-service ip "
			         "source-address)");
		listener_close(&s->tcp);
		listener_close(&s->tls);
		conn_set_tls_ctx(&s->set, NULL);
		return;
	}
	snprintf(
	    key, sizeof(key), "%s|%u", t->ip_source_addr, t->ip_source_port);
	(void)listener_open(
	    s, &s->tcp, t->ip_source_addr, t->ip_source_port, 0, key, "TCP");

	if (tp == NULL) {
		if (s->tls.cl.lis != NULL)
			log_info("SCCP TLS stopped (no secure-signaling "
			         "trustpoint)");
		listener_close(&s->tls);
		conn_set_tls_ctx(&s->set, NULL);
		s->tls_tp[0] = s->tls_err[0] = '\0';
		return;
	}
	/* A context that could not be built is retried on a change, not
	 * by the housekeeping timer (keys are read from disk). */
	if (s->set.tls_ctx == NULL && !force_tls && s->tls_err[0] != '\0' &&
	    strcmp(s->tls_tp, tp) == 0)
		return;
	if (s->set.tls_ctx == NULL || force_tls || strcmp(s->tls_tp, tp) != 0 ||
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
		conn_set_tls_ctx(&s->set, ctx);
		s->tls_err[0] = '\0';
	}
	snprintf(key, sizeof(key), "%s|%u", t->ip_source_addr, sport);
	{
		char what[160];

		snprintf(what, sizeof(what), "TLS, trustpoint %s", tp);
		(void)listener_open(
		    s, &s->tls, t->ip_source_addr, sport, 1, key, what);
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
	conn_set_init(&ssvc->set, d->base, &sccp_conn_ops, ssvc);
	ssvc->set.max = SCCP_MAX_CONNS;
	/* The TLS handshake shares the Register deadline. */
	ssvc->set.handshake_ms = SCCP_SESS_REGISTER_MS;
	ssvc->set.close_ms = SCCP_CLOSE_MS;
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
	(void)d;
	if (ssvc == NULL)
		return;
	sccp_cli_live(0);
	listener_close(&ssvc->tcp);
	listener_close(&ssvc->tls);
	conn_set_close_all(&ssvc->set); /* the TLS context too */
	sccp_call_stop();
	if (ssvc->cron)
		event_free(ssvc->cron);
	free(ssvc);
	ssvc = NULL;
}
