/*
 * CAPF service: the TLS listener and one bufferevent_openssl per phone
 * around capf_session.c.  Framing: read the 8-byte header, then
 * payload_len bytes (capf_msg_frame_len); every server message is queued
 * as its own evbuffer chunk so that it goes out in a single TLS write
 * (formats.md 5.2).  One evtimer per connection: the idle timeout, or
 * the key-generation wait while the phone makes its key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "daemon/daemon.h"
#include "lib/log.h"
#include "store/store.h"
#include "svc/capf/capf_int.h"
#include "svc/capf/capf_svc.h"
#include "svc/pki/pki_svc.h"

#define CAPF_MAX_CONNS 64

struct capf_conn {
	struct capf_svc *svc;
	struct bufferevent *bev;
	struct event *timer;
	struct capf_sess *sess;
	struct pki_lsc_request *lsc_wait; /* an RA's CA is issuing */
	int closing;
	TAILQ_ENTRY(capf_conn) entry;
};
TAILQ_HEAD(capf_conn_list, capf_conn);

struct capf_svc {
	struct daemon *d;
	struct evconnlistener *lis;
	SSL_CTX *ctx;
	char key[256]; /* trustpoint|addr|port of the running listener */
	char addr[INET_ADDRSTRLEN];
	unsigned port;
	unsigned tls_min; /* capf-server tls-version minimum of s->ctx */
	uint32_t next_id;
	unsigned active;
	struct capf_conn_list conns;
};

static struct capf_svc *csvc;

unsigned
capf_svc_active(void)
{
	return csvc ? csvc->active : 0;
}

int
capf_svc_listening(char *addr, unsigned long cap, unsigned *port)
{
	if (csvc == NULL || csvc->lis == NULL)
		return 0;
	snprintf(addr, cap, "%s", csvc->addr);
	*port = csvc->port;
	return 1;
}

/* ---- session callbacks ---- */

static int
op_lookup(void *arg, const char *device, struct capf_sess_policy *out)
{
	struct capf_conn *c = arg;
	struct config *cfg = c->svc->d->cfg;

	return capf_policy_lookup(cfg, device,
	    (cfg->capf.keygen_timeout ? cfg->capf.keygen_timeout : 30) * 60000u,
	    out);
}

static int
op_check_password(void *arg, const char *device, const char *pw)
{
	struct capf_conn *c = arg;

	return capf_policy_check_password(c->svc->d->cfg, device, pw);
}

static int
op_verify(void *arg, int mode, X509 *cert, const char **why)
{
	struct capf_conn *c = arg;

	return capf_policy_verify(c->svc->d->cfg, mode, cert, why);
}

static void conn_result(struct capf_conn *c, int rc, struct buf *out);

/* The LSC an RA's issuing CA sent (or why not). */
static void
lsc_arrived(void *arg, X509 *cert, const char *why)
{
	struct capf_conn *c = arg;
	struct buf out = BUF_INIT;
	int rc;

	c->lsc_wait = NULL;
	rc = capf_sess_issued(c->sess, cert, why, &out);
	conn_result(c, rc, &out);
}

static int
op_issue(void *arg, const char *ca_tp, EVP_PKEY *pub, const char *device,
    X509 **out, const char **why)
{
	struct capf_conn *c = arg;
	struct config *cfg = c->svc->d->cfg;

	if (ca_tp == NULL || ca_tp[0] == '\0') {
		*why = "no cert-enroll-trustpoint configured";
		return -1;
	}
	return pki_svc_issue_lsc(ca_tp, cfg->capf.cert_enroll_pw.plain, pub,
	    device, 0, out, lsc_arrived, c, &c->lsc_wait, why);
}

static int
op_revoke(void *arg, uint64_t serial)
{
	(void)arg;
	return pki_svc_revoke_lsc(serial);
}

static void
op_done(void *arg, const char *device, int op, int auth)
{
	struct capf_conn *c = arg;

	capf_policy_done(c->svc->d->cfg, device, op, auth);
}

static struct store *
op_store(void *arg)
{
	(void)arg;
	return pki_svc_store();
}

static X509 *
op_tls_peer(void *arg)
{
	struct capf_conn *c = arg;
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);

	return ssl ? SSL_get0_peer_certificate(ssl) : NULL;
}

static const struct capf_sess_ops conn_ops = {
    .lookup = op_lookup,
    .check_password = op_check_password,
    .verify_cert = op_verify,
    .issue = op_issue,
    .revoke = op_revoke,
    .done = op_done,
    .store = op_store,
    .tls_peer = op_tls_peer,
};

/* ---- connections ---- */

static void
conn_free(struct capf_conn *c)
{
	TAILQ_REMOVE(&c->svc->conns, c, entry);
	c->svc->active--;
	/* A slot is free again: take the phones waiting in the backlog. */
	if (c->svc->lis != NULL && c->svc->active < CAPF_MAX_CONNS)
		evconnlistener_enable(c->svc->lis);
	if (c->timer)
		event_free(c->timer);
	if (c->bev)
		bufferevent_free(c->bev);
	pki_svc_lsc_cancel(c->lsc_wait);
	capf_sess_free(c->sess);
	free(c);
}

static void
free_chunk(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)(uintptr_t)data);
}

/* Queue each message of out as its own chunk (one TLS write each). */
static void
conn_send(struct capf_conn *c, const struct buf *out)
{
	const uint8_t *p = (const uint8_t *)out->data;
	size_t left = out->len, need;

	while (capf_sess_frame_len(p, left, &need) == 0 && need <= left) {
		void *copy = xmalloc(need);

		memcpy(copy, p, need);
		evbuffer_add_reference(bufferevent_get_output(c->bev), copy,
		    need, free_chunk, NULL);
		p += need;
		left -= need;
	}
}

static void
conn_arm(struct capf_conn *c)
{
	unsigned ms =
	    c->sess ? capf_sess_timeout_ms(c->sess) : CAPF_SESS_IDLE_MS;
	struct timeval tv = {ms / 1000u, (ms % 1000u) * 1000};

	evtimer_add(c->timer, &tv);
}

/* After END_SESSION: close once the output is flushed. */
static void
conn_close_after_flush(struct capf_conn *c)
{
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_free(c);
}

static void
conn_result(struct capf_conn *c, int rc, struct buf *out)
{
	conn_send(c, out);
	buf_free(out);
	if (rc == CAPF_SESS_CLOSE)
		conn_close_after_flush(c);
	else
		conn_arm(c);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct capf_conn *c = arg;

	(void)bev;
	if (c->closing)
		conn_free(c);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct capf_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!c->closing && c->sess != NULL) {
		size_t have = evbuffer_get_length(in), need = 0;
		uint8_t *p = evbuffer_pullup(in,
		    (ev_ssize_t)(have < CAPF_SESS_HEADER_LEN
		            ? have
		            : CAPF_SESS_HEADER_LEN));
		struct buf out = BUF_INIT;
		int rc;

		if (have == 0)
			return;
		rc = capf_sess_frame_len(p, have, &need);
		if (rc == 1)
			return;
		if (rc != 0) {
			/* Not CAPF: the session answers END_SESSION{7}. */
			p = evbuffer_pullup(in, -1);
			rc = capf_sess_input(c->sess, p, have, &out);
			evbuffer_drain(in, have);
			conn_result(c, CAPF_SESS_CLOSE, &out);
			return;
		}
		if (have < need)
			return;
		p = evbuffer_pullup(in, (ev_ssize_t)need);
		rc = capf_sess_input(c->sess, p, need, &out);
		evbuffer_drain(in, need);
		conn_result(c, rc, &out);
		if (rc == CAPF_SESS_CLOSE)
			return;
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct capf_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		struct buf out = BUF_INIT;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[64] = "?";
		int rc;

		if (getpeername(bufferevent_getfd(c->bev),
		        (struct sockaddr *)&ss, &sl) == 0 &&
		    ss.ss_family == AF_INET) {
			const struct sockaddr_in *sin =
			    (const struct sockaddr_in *)&ss;
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
			snprintf(peer, sizeof(peer), "%s:%u", a,
			    (unsigned)ntohs(sin->sin_port));
		}
		if (++c->svc->next_id == 0)
			c->svc->next_id = 1;
		c->sess = capf_sess_new(&conn_ops, c, c->svc->next_id, peer);
		rc = capf_sess_start(
		    c->sess, capf_policy_auth_hint(c->svc->d->cfg), &out);
		conn_result(c, rc, &out);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		unsigned long e = bufferevent_get_openssl_error(c->bev);

		if (c->sess == NULL)
			log_info("CAPF: TLS handshake failed%s%s",
			    e ? ": " : "", e ? ERR_reason_error_string(e) : "");
		else if (!c->closing && capf_sess_end_reason(c->sess) < 0)
			log_info("CAPF: %s closed the session early",
			    capf_sess_device(c->sess)[0]
			        ? capf_sess_device(c->sess)
			        : "phone");
		ERR_clear_error();
		conn_free(c);
	}
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capf_conn *c = arg;
	struct buf out = BUF_INIT;

	(void)fd;
	(void)what;
	if (c->closing || c->sess == NULL) {
		if (c->sess == NULL)
			log_info("CAPF: TLS handshake timed out");
		conn_free(c);
		return;
	}
	conn_result(c, capf_sess_timeout(c->sess, &out), &out);
}

static int
accept_any(int ok, X509_STORE_CTX *xs)
{
	(void)ok;
	(void)xs;
	return 1; /* verified by the session in LSC/MIC modes */
}

static void
accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct capf_svc *s = arg;
	struct capf_conn *c;
	SSL *ssl;

	(void)lis;
	(void)sa;
	(void)salen;
	if (s->active >= CAPF_MAX_CONNS || s->ctx == NULL ||
	    (ssl = SSL_new(s->ctx)) == NULL) {
		log_warnx("CAPF: connection refused (%u sessions)", s->active);
		evutil_closesocket(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->svc = s;
	c->bev = bufferevent_openssl_socket_new(s->d->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		free(c);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	c->timer = evtimer_new(s->d->base, timer_cb, c);
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	s->active++;
	/* Full: stop accepting so that further phones wait in the listen
	 * backlog (and TCP's SYN retries) instead of being closed. */
	if (s->active >= CAPF_MAX_CONNS && s->lis != NULL)
		evconnlistener_disable(s->lis);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_arm(c);
}

/* ---- listener ---- */

static void
listener_close(struct capf_svc *s)
{
	if (s->lis)
		evconnlistener_free(s->lis);
	s->lis = NULL;
	SSL_CTX_free(s->ctx);
	s->ctx = NULL;
	s->key[0] = '\0';
}

static void
reconcile(struct capf_svc *s, int force)
{
	struct config *cfg = s->d->cfg;
	const struct capf_server *cs = &cfg->capf;
	const char *addr = cs->source_addr ? cs->source_addr : "0.0.0.0";
	unsigned port = cs->port ? cs->port : CAPF_SESS_PORT;
	struct sockaddr_in sin;
	const char *why = NULL;
	char key[256];
	SSL_CTX *ctx;

	if (!cs->present || cs->trustpoint_label == NULL) {
		if (s->lis != NULL)
			log_info("CAPF server stopped");
		listener_close(s);
		return;
	}
	snprintf(
	    key, sizeof(key), "%s|%s|%u", cs->trustpoint_label, addr, port);
	if (!force && s->lis != NULL && strcmp(key, s->key) == 0 &&
	    s->tls_min == cs->tls_min)
		return;
	ctx = pki_svc_tls_server_ctx(cfg, cs->trustpoint_label, 0, &why);
	if (ctx == NULL) {
		log_warnx("CAPF server not started: trustpoint %s: %s",
		    cs->trustpoint_label, why ? why : "unusable");
		listener_close(s);
		return;
	}
	/* Ask for a MIC/LSC, accept any: the session checks it. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	/* TLS 1.2+ unless `tls-version minimum 1.0` (old 7900-series
	 * phones); OpenSSL 3 refuses TLS 1.0/1.1 at security level 1. */
	if (cs->tls_min == 10) {
		SSL_CTX_set_security_level(ctx, 0);
		if (!SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION)) {
			log_warnx("CAPF server: cannot allow TLS 1.0");
			SSL_CTX_free(ctx);
			listener_close(s);
			return;
		}
	} else if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		SSL_CTX_free(ctx);
		listener_close(s);
		return;
	}
	if (s->lis != NULL && strcmp(key, s->key) == 0) {
		/* Same socket, new credentials or TLS versions. */
		SSL_CTX_free(s->ctx);
		s->ctx = ctx;
		s->tls_min = cs->tls_min;
		return;
	}
	listener_close(s);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		log_warnx("CAPF server: bad source-addr %s", addr);
		SSL_CTX_free(ctx);
		return;
	}
	s->lis = evconnlistener_new_bind(s->d->base, accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    64, (struct sockaddr *)&sin, sizeof(sin));
	if (s->lis == NULL) {
		log_warn(
		    "CAPF server: cannot listen on %s port %u", addr, port);
		SSL_CTX_free(ctx);
		return;
	}
	s->ctx = ctx;
	s->tls_min = cs->tls_min;
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	s->port = port;
	log_info("CAPF server listening on %s port %u (trustpoint %s%s)", addr,
	    port, cs->trustpoint_label,
	    cs->tls_min == 10 ? ", TLS 1.0 allowed" : "");
}

int
capf_svc_start(struct daemon *d)
{
	if (csvc != NULL)
		return 0;
	csvc = xcalloc(1, sizeof(*csvc));
	csvc->d = d;
	TAILQ_INIT(&csvc->conns);
	reconcile(csvc, 0);
	capf_policy_sync_global(d->cfg, pki_svc_store());
	return 0;
}

void
capf_svc_changed(struct daemon *d, const char *what)
{
	(void)d;
	if (csvc == NULL || what == NULL)
		return;
	/* Our own bookkeeping changes need no listener work. */
	if (strcmp(what, "capf auth-string used") == 0 ||
	    strncmp(what, "capf operation done", 19) == 0)
		return;
	if (strncmp(what, "crypto pki", 10) == 0)
		reconcile(csvc, 1);
	else if (strncmp(what, "capf", 4) == 0 || strcmp(what, "reload") == 0)
		reconcile(csvc, 0);
	/* A new tree, a changed global operation, a new phone: which
	 * phones already completed the global operation. */
	if (strncmp(what, "capf", 4) == 0 || strcmp(what, "reload") == 0 ||
	    strcmp(what, "ephone") == 0)
		capf_policy_sync_global(csvc->d->cfg, pki_svc_store());
}

void
capf_svc_stop(struct daemon *d)
{
	struct capf_conn *c;

	(void)d;
	if (csvc == NULL)
		return;
	while ((c = TAILQ_FIRST(&csvc->conns)) != NULL)
		conn_free(c);
	listener_close(csvc);
	free(csvc);
	csvc = NULL;
}
