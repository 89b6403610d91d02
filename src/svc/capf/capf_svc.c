/*
 * CAPF service: the TLS listener and one connection per phone
 * (daemon/conn.h) around capf_session.c.  Framing: read the 8-byte
 * header, then payload_len bytes (capf_msg_frame_len); every server
 * message is queued as its own chunk so that it goes out in a single TLS
 * write (formats.md 5.2).  Deadlines: the idle timeout, or the
 * key-generation wait while the phone makes its key.  After END_SESSION
 * the connection closes in order (conn_close), as SCCP's does: the phone
 * may have sent something that crossed our END_SESSION (a late key after
 * the key-generation wait), and closing with unread input would reset
 * the connection and could drop the END_SESSION on its way.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "daemon/conn.h"
#include "daemon/daemon.h"
#include "lib/log.h"
#include "store/store.h"
#include "svc/capf/capf_int.h"
#include "svc/capf/capf_svc.h"
#include "svc/pki/pki_svc.h"

#define CAPF_MAX_CONNS 64
/* After END_SESSION: time to deliver it and see the phone close. */
#define CAPF_CLOSE_MS 5000u

/* A phone's connection: created and freed by the connection it rides
 * on (conn_ops below). */
struct capf_conn {
	struct capf_svc *svc;
	struct conn *conn;
	struct capf_sess *sess; /* after the handshake */
	struct pki_lsc_request *lsc_wait; /* an RA's CA is issuing */
	int bad_frame; /* the input is not CAPF: END_SESSION{7} */
};

struct capf_svc {
	struct daemon *d;
	struct conn_listener cl;
	char key[256]; /* trustpoint|addr|port of the running listener */
	char addr[INET_ADDRSTRLEN];
	unsigned port;
	unsigned tls_min; /* capf-server tls-version minimum of set.tls_ctx */
	uint32_t next_id;
	struct conn_set set; /* the phones' connections */
};

static struct capf_svc *csvc;

unsigned
capf_svc_active(void)
{
	return csvc ? csvc->set.n : 0;
}

int
capf_svc_listening(char *addr, unsigned long cap, unsigned *port)
{
	if (csvc == NULL || csvc->cl.lis == NULL)
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
	SSL *ssl = conn_ssl(c->conn);

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

/* ---- connections (daemon/conn.h calls the on_ functions) ---- */

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
		conn_write_ref(c->conn, copy, need, free_chunk);
		p += need;
		left -= need;
	}
}

static void
conn_arm(struct capf_conn *c)
{
	conn_deadline(c->conn,
	    c->sess ? capf_sess_timeout_ms(c->sess) : CAPF_SESS_IDLE_MS);
}

static void
conn_result(struct capf_conn *c, int rc, struct buf *out)
{
	conn_send(c, out);
	buf_free(out);
	if (rc == CAPF_SESS_CLOSE)
		conn_close(c->conn); /* after END_SESSION */
	else
		conn_arm(c);
}

static void *
on_accepted(struct conn *k, void *svc)
{
	struct capf_conn *c = xcalloc(1, sizeof(*c));

	c->svc = svc;
	c->conn = k;
	return c;
}

static void
on_up(void *arg)
{
	struct capf_conn *c = arg;
	struct buf out = BUF_INIT;
	int rc;

	if (++c->svc->next_id == 0)
		c->svc->next_id = 1;
	c->sess =
	    capf_sess_new(&conn_ops, c, c->svc->next_id, conn_peer(c->conn));
	rc = capf_sess_start(
	    c->sess, capf_policy_auth_hint(c->svc->d->cfg), &out);
	conn_result(c, rc, &out);
}

static int
on_frame(void *arg, const uint8_t *p, size_t len, size_t *need)
{
	struct capf_conn *c = arg;
	int rc = capf_sess_frame_len(p, len, need);

	if (rc == 1)
		return CONN_FRAME_MORE;
	if (rc == 0)
		return CONN_FRAME_OK;
	/* Not CAPF: all of it goes to the session, which answers
	 * END_SESSION{7}. */
	c->bad_frame = 1;
	return CONN_FRAME_BAD;
}

static void
on_input(void *arg, const uint8_t *p, size_t len)
{
	struct capf_conn *c = arg;
	struct buf out = BUF_INIT;
	int rc;

	rc = capf_sess_input(c->sess, p, len, &out);
	conn_result(c, c->bad_frame ? CAPF_SESS_CLOSE : rc, &out);
}

static int
on_deadline(void *arg)
{
	struct capf_conn *c = arg;
	struct buf out = BUF_INIT;

	/* The idle timeout or the key-generation wait: the session says
	 * (END_SESSION, or the next step). */
	conn_result(c, capf_sess_timeout(c->sess, &out), &out);
	return 0;
}

static void
on_handshake_failed(void *arg, unsigned long e)
{
	(void)arg;
	log_info("CAPF: TLS handshake failed%s%s", e ? ": " : "",
	    e ? ERR_reason_error_string(e) : "");
}

static void
on_handshake_timeout(void *arg)
{
	(void)arg;
	log_info("CAPF: TLS handshake timed out");
}

static void
on_closed(void *arg, enum conn_end why)
{
	struct capf_conn *c = arg;

	if (why == CONN_END_PEER && c->sess != NULL &&
	    capf_sess_end_reason(c->sess) < 0)
		log_info("CAPF: %s closed the session early",
		    capf_sess_device(c->sess)[0] ? capf_sess_device(c->sess)
		                                 : "phone");
	pki_svc_lsc_cancel(c->lsc_wait);
	capf_sess_free(c->sess);
	free(c);
}

static void
on_refused(void *svc, enum conn_refusal why, unsigned n)
{
	(void)svc;
	(void)why;
	log_warnx("CAPF: connection refused (%u sessions)", n);
}

static const struct conn_ops capf_conn_ops = {
    .header_len = CAPF_SESS_HEADER_LEN,
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

static int
accept_any(int ok, X509_STORE_CTX *xs)
{
	(void)ok;
	(void)xs;
	return 1; /* verified by the session in LSC/MIC modes */
}

/* ---- listener ---- */

static void
listener_close(struct capf_svc *s)
{
	conn_listener_close(&s->cl);
	conn_set_tls_ctx(&s->set, NULL);
	s->key[0] = '\0';
}

static void
reconcile(struct capf_svc *s, int force)
{
	struct config *cfg = s->d->cfg;
	const struct capf_server *cs = &cfg->capf;
	const char *addr = cs->source_addr ? cs->source_addr : "0.0.0.0";
	unsigned port = cs->port ? cs->port : CAPF_SESS_PORT;
	const char *why = NULL;
	char key[256];
	SSL_CTX *ctx;
	int rc;

	if (!cs->present || cs->trustpoint_label == NULL) {
		if (s->cl.lis != NULL)
			log_info("CAPF server stopped");
		listener_close(s);
		return;
	}
	snprintf(
	    key, sizeof(key), "%s|%s|%u", cs->trustpoint_label, addr, port);
	if (!force && s->cl.lis != NULL && strcmp(key, s->key) == 0 &&
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
	if (s->cl.lis != NULL && strcmp(key, s->key) == 0) {
		/* Same socket, new credentials or TLS versions. */
		conn_set_tls_ctx(&s->set, ctx);
		s->tls_min = cs->tls_min;
		return;
	}
	listener_close(s);
	rc = conn_listener_open(&s->cl, &s->set, addr, port, 64, 1);
	if (rc == -1) {
		log_warnx("CAPF server: bad source-addr %s", addr);
		SSL_CTX_free(ctx);
		return;
	}
	if (rc != 0) {
		log_warn(
		    "CAPF server: cannot listen on %s port %u", addr, port);
		SSL_CTX_free(ctx);
		return;
	}
	conn_set_tls_ctx(&s->set, ctx);
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
	conn_set_init(&csvc->set, d->base, &capf_conn_ops, csvc);
	csvc->set.max = CAPF_MAX_CONNS;
	/* Full: further phones wait in the listen backlog. */
	csvc->set.pause_when_full = 1;
	csvc->set.handshake_ms = CAPF_SESS_IDLE_MS;
	csvc->set.close_ms = CAPF_CLOSE_MS;
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
	(void)d;
	if (csvc == NULL)
		return;
	listener_close(csvc);
	conn_set_close_all(&csvc->set);
	free(csvc);
	csvc = NULL;
}
