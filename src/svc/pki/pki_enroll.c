/*
 * The SCEP client side of the trustpoints: `crypto pki authenticate`
 * fetches the CA certificate (GetCACert) through pki_fetch_ca_cert, and
 * `crypto pki enroll` sends a PKCSReq for the trustpoint's key pair to its
 * enrollment URL, then polls (CertPoll) while the CA keeps the request
 * pending.  The issued certificate goes into the trustpoint's
 * `crypto pki certificate chain`, as IOS keeps it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/queue.h>

#include <event2/event.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "daemon/httpc.h"
#include "fmt/scep.h"
#include "lib/log.h"
#include "svc/pki/pki_int.h"

#define SCEP_TIMEOUT_S 20
#define POLL_INTERVAL_S 2
#define POLL_MAX 300 /* 10 minutes at 2 s */

/* ---- GetCACert for crypto pki authenticate ---- */

struct fetch {
	void (*done)(
	    void *cbarg, const unsigned char *der, size_t len, const char *err);
	void *cbarg;
};

static void
fetch_cb(void *arg, int status, const char *ctype, const unsigned char *body,
    size_t len, const char *err)
{
	struct fetch *f = arg;
	X509 *ca = NULL, *ra = NULL;
	struct scep_error serr;
	unsigned char *der = NULL;
	int dlen;

	(void)ctype;
	memset(&serr, 0, sizeof(serr));
	if (status != 200) {
		struct buf b = BUF_INIT;

		buf_printf(
		    &b, "HTTP %d%s%s", status, err ? ": " : "", err ? err : "");
		f->done(f->cbarg, NULL, 0, buf_str(&b));
		buf_free(&b);
	} else if (scep_getcacert_parse(body, len, &ca, &ra, NULL, &serr) !=
	        0 ||
	    (dlen = i2d_X509(ca, &der)) <= 0) {
		f->done(f->cbarg, NULL, 0, "the answer is not a certificate");
	} else {
		f->done(f->cbarg, der, (size_t)dlen, NULL);
	}
	OPENSSL_free(der);
	X509_free(ca);
	X509_free(ra);
	free(f);
}

void
pki_fetch_ca_cert(void *arg, const char *url,
    void (*done)(
        void *cbarg, const unsigned char *der, size_t len, const char *err),
    void *cbarg)
{
	struct daemon *d = arg;
	struct fetch *f = xcalloc(1, sizeof(*f));

	f->done = done;
	f->cbarg = cbarg;
	if (httpc_request(d->base, url, SCEP_PATH "?operation=GetCACert", NULL,
	        0, NULL, SCEP_TIMEOUT_S, fetch_cb, f) != 0) {
		free(f);
		done(cbarg, NULL, 0, "unusable enrollment URL");
	}
}

/* ---- crypto pki enroll ---- */

struct enroll {
	LIST_ENTRY(enroll) entry;
	struct daemon *d;
	char *tp_name;
	char *url;
	X509 *ca; /* the authenticated CA of the trustpoint */
	X509 *recipient; /* who we talk to: the CA, or its RA */
	X509_REQ *csr;
	EVP_PKEY *key;
	struct scep_client_state *st;
	struct cli_deferred *waiting; /* the command, until the first answer */
	struct event *timer;
	int polls;
};

/* Enrollments in progress (waiting for the CA), freed at stop. */
static LIST_HEAD(, enroll) enrollments = LIST_HEAD_INITIALIZER(enrollments);

static void
enroll_free(struct enroll *e)
{
	if (e == NULL)
		return;
	LIST_REMOVE(e, entry);
	if (e->timer != NULL)
		event_free(e->timer);
	free(e->tp_name);
	free(e->url);
	X509_free(e->ca);
	X509_free(e->recipient);
	X509_REQ_free(e->csr);
	EVP_PKEY_free(e->key);
	scep_client_state_free(e->st);
	free(e);
}

/* The trustpoint's CA certificate, from its chain (authenticated). */
static X509 *
trustpoint_ca(const struct trustpoint *tp)
{
	const struct chain_cert *c;

	TAILQ_FOREACH (c, &tp->chain, entry) {
		const unsigned char *p = c->der;

		if (c->is_ca)
			return d2i_X509(NULL, &p, (long)c->der_len);
	}
	return NULL;
}

/* Outcome of an answer, kept for the command's continuation. */
struct outcome {
	struct enroll *e;
	int status; /* enum scep_pki_status, or -1: transport error */
	char text[256];
};

static void send_request(struct enroll *e, const struct buf *der);

static int
store_issued(struct enroll *e, X509 *issued, char *text, size_t tlen)
{
	struct trustpoint *tp = trustpoint_find(e->d->cfg, e->tp_name);
	unsigned char *der = NULL;
	int len, rc = -1;

	if (tp == NULL) {
		snprintf(text, tlen, "trustpoint %s was removed", e->tp_name);
		return -1;
	}
	if (X509_check_private_key(issued, e->key) != 1) {
		snprintf(text, tlen,
		    "the certificate received does not match "
		    "the key pair");
		return -1;
	}
	len = i2d_X509(issued, &der);
	if (len > 0 &&
	    trustpoint_chain_add(e->d->cfg, tp, der, (size_t)len, 0) == 0) {
		rc = 0;
		config_changed(e->d->cfg, "crypto pki enroll");
	}
	OPENSSL_free(der);
	if (rc != 0)
		snprintf(text, tlen, "cannot store the certificate");
	return rc;
}

static int
report_cb(struct cli_ctx *ctx, void *arg)
{
	struct outcome *o = arg;
	int rc = o->status == SCEP_STATUS_FAILURE || o->status < 0 ? CLI_ERR
	                                                           : CLI_OK;

	if (ctx != NULL)
		cli_out(ctx, "%s", o->text);
	free(o);
	return rc;
}

static void
tell(struct enroll *e, int status, const char *fmt, const char *detail)
{
	struct outcome *o;

	if (status == SCEP_STATUS_SUCCESS)
		log_info(
		    "PKI: certificate received for trustpoint %s", e->tp_name);
	else if (status != SCEP_STATUS_PENDING)
		log_warnx("PKI: enrollment of trustpoint %s failed: %s",
		    e->tp_name, detail ? detail : "-");
	if (e->waiting == NULL)
		return;
	o = xcalloc(1, sizeof(*o));
	o->e = e;
	o->status = status;
	snprintf(o->text, sizeof(o->text), fmt, detail ? detail : "");
	cli_resume(e->waiting, report_cb, o);
	e->waiting = NULL;
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct enroll *e = arg;
	struct buf der = BUF_INIT;

	(void)fd;
	(void)what;
	if (++e->polls > POLL_MAX) {
		log_warnx("PKI: trustpoint %s: the CA kept the request pending "
		          "too long; giving up",
		    e->tp_name);
		enroll_free(e);
		return;
	}
	if (scep_certpoll_build(e->st, e->key, e->recipient,
	        X509_get_subject_name(e->ca), &der) != 0) {
		log_warnx("PKI: cannot build a CertPoll");
		enroll_free(e);
		return;
	}
	send_request(e, &der);
	buf_free(&der);
}

static void
answer_cb(void *arg, int status, const char *ctype, const unsigned char *body,
    size_t len, const char *err)
{
	struct enroll *e = arg;
	struct scep_reply *r = NULL;
	struct scep_error serr;
	char text[192];

	(void)ctype;
	memset(&serr, 0, sizeof(serr));
	if (status != 200) {
		snprintf(text, sizeof(text), "HTTP %d%s%s", status,
		    err ? ": " : "", err ? err : "");
		tell(e, -1, "%% Enrollment failed: %s", text);
		enroll_free(e);
		return;
	}
	if (scep_reply_parse(
	        body, len, e->recipient, e->st, e->key, &r, &serr) != 0) {
		tell(e, -1, "%% Enrollment failed: %s",
		    serr.what ? serr.what : "invalid answer from the CA");
		enroll_free(e);
		return;
	}
	switch (r->pki_status) {
	case SCEP_STATUS_SUCCESS:
		if (r->issued == NULL ||
		    store_issued(e, r->issued, text, sizeof(text)) != 0) {
			tell(e, -1, "%% Enrollment failed: %s",
			    r->issued ? text : "no certificate in the answer");
		} else {
			tell(e, SCEP_STATUS_SUCCESS,
			    "%% Certificate received from Certificate "
			    "Authority%s",
			    "");
		}
		scep_reply_free(r);
		enroll_free(e);
		return;
	case SCEP_STATUS_PENDING:
		tell(e, SCEP_STATUS_PENDING,
		    "%% Certificate request pending at the CA (transaction "
		    "%s); polling",
		    e->st->transaction_id);
		scep_reply_free(r);
		if (e->timer == NULL)
			e->timer = evtimer_new(e->d->base, poll_cb, e);
		{
			struct timeval tv = {POLL_INTERVAL_S, 0};

			evtimer_add(e->timer, &tv);
		}
		return;
	default:
		tell(e, SCEP_STATUS_FAILURE,
		    "%% Certificate request refused: %s",
		    scep_fail_info_str(r->fail_info));
		scep_reply_free(r);
		enroll_free(e);
		return;
	}
}

static void
send_request(struct enroll *e, const struct buf *der)
{
	if (httpc_request(e->d->base, e->url,
	        SCEP_PATH "?operation=PKIOperation", der->data, der->len,
	        "application/x-pki-message", SCEP_TIMEOUT_S, answer_cb,
	        e) != 0) {
		tell(e, -1, "%% Enrollment failed: %s", "unusable URL");
		enroll_free(e);
	}
}

static void
cacert_cb(void *arg, int status, const char *ctype, const unsigned char *body,
    size_t len, const char *err)
{
	struct enroll *e = arg;
	X509 *ca = NULL, *ra = NULL;
	struct scep_error serr;
	struct buf der = BUF_INIT;
	char tid[33];
	unsigned char rnd[16];
	int rc;

	(void)ctype;
	memset(&serr, 0, sizeof(serr));
	if (status != 200 ||
	    scep_getcacert_parse(body, len, &ca, &ra, NULL, &serr) != 0) {
		tell(e, -1, "%% Enrollment failed: no CA certificate from %s",
		    err ? err : e->url);
		goto fail;
	}
	/* The CA must be the one the administrator accepted, and an RA
	 * must hold a certificate from it. */
	if (X509_cmp(ca, e->ca) != 0) {
		tell(e, -1, "%% Enrollment failed: %s",
		    "the CA at the enrollment URL is not the authenticated one");
		goto fail;
	}
	if (ra != NULL && X509_verify(ra, X509_get0_pubkey(ca)) != 1) {
		tell(e, -1, "%% Enrollment failed: %s",
		    "the RA certificate is not issued by the CA");
		goto fail;
	}
	e->recipient = ra != NULL ? ra : X509_dup(ca);
	ra = NULL;
	RAND_bytes(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(tid + 2 * i, 3, "%02X", rnd[i]);
	rc = scep_pkcsreq_build(
	    e->csr, e->key, e->recipient, tid, NULL, &der, &e->st);
	if (rc != 0) {
		tell(e, -1, "%% Cannot build the SCEP request: %s",
		    scep_err_str(rc));
		goto fail;
	}
	X509_free(ca);
	log_info("PKI: certificate request for trustpoint %s sent to %s",
	    e->tp_name, e->url);
	send_request(e, &der);
	buf_free(&der);
	return;
fail:
	X509_free(ca);
	X509_free(ra);
	buf_free(&der);
	enroll_free(e);
}

static int
make_csr(struct enroll *e, const struct trustpoint *tp, const char *host,
    X509_REQ **out)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = NULL;
	struct buf cn = BUF_INIT;
	int rc = -1;

	if (tp->subject_name != NULL) {
		if (pki_name_parse(tp->subject_name, &name) != 0)
			goto out;
	} else {
		buf_printf(&cn, "CN=%s", host);
		if (pki_name_parse(buf_str(&cn), &name) != 0)
			goto out;
	}
	if (X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, e->key) != 1 ||
	    X509_REQ_sign(req, e->key, EVP_sha256()) <= 0)
		goto out;
	*out = req;
	req = NULL;
	rc = 0;
out:
	X509_NAME_free(name);
	X509_REQ_free(req);
	buf_free(&cn);
	return rc;
}

static int
enroll_start(struct cli_ctx *ctx, struct enroll *e)
{
	struct trustpoint *tp = trustpoint_find(ctx->cfg, e->tp_name);
	const char *label;
	int rc;

	if (tp == NULL) {
		cli_out(ctx, "%% Could not find trustpoint %s", e->tp_name);
		return CLI_ERR;
	}
	label = tp->rsakeypair ? tp->rsakeypair : tp->name;
	rc = keystore_load(pki_svc->keys, label, &e->key);
	if (rc == PKI_E_NOTFOUND) {
		unsigned bits = tp->key_size ? tp->key_size : 2048;

		if (bits < 1024) {
			cli_out(ctx,
			    "%% rsakeypair %s: %u bits is below the "
			    "1024 bits OpenCME's servers accept",
			    label, bits);
			return CLI_ERR;
		}
		cli_out(ctx, "%% Generating %u bit RSA keys for key pair %s",
		    bits, label);
		rc = keystore_generate(
		    pki_svc->keys, label, KEYSTORE_RSA, bits, 0, &e->key);
	}
	if (rc != 0) {
		cli_out(ctx, "%% Key pair %s: %s", label, pki_err_str(rc));
		return CLI_ERR;
	}
	if (make_csr(e, tp, config_hostname(ctx->cfg), &e->csr) != 0) {
		cli_out(ctx,
		    "%% Cannot build the certificate request (check "
		    "subject-name)");
		return CLI_ERR;
	}
	e->waiting = cli_defer(ctx);
	if (e->waiting == NULL) {
		cli_out(ctx,
		    "%% crypto pki enroll needs an interactive "
		    "session");
		return CLI_ERR;
	}
	/* Ask who answers at this URL: the CA itself, or an RA for it. */
	if (httpc_request(e->d->base, e->url, SCEP_PATH "?operation=GetCACert",
	        NULL, 0, NULL, SCEP_TIMEOUT_S, cacert_cb, e) != 0) {
		e->waiting = NULL;
		cli_out(ctx, "%% Unusable enrollment URL %s", e->url);
		return CLI_ERR;
	}
	return CLI_PENDING;
}

static int
confirm_cb(struct cli_ctx *ctx, const char *answer, void *arg)
{
	struct enroll *e = arg;
	int rc;

	if (ctx == NULL) {
		enroll_free(e);
		return CLI_ERR;
	}
	if (answer == NULL ||
	    (strcasecmp(answer, "yes") != 0 && strcasecmp(answer, "y") != 0)) {
		cli_out(ctx, "%% Enrollment cancelled");
		enroll_free(e);
		return CLI_ERR;
	}
	rc = enroll_start(ctx, e);
	if (rc != CLI_PENDING)
		enroll_free(e);
	return rc;
}

static int
enroll_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *name = cli_arg(args, "name");
	struct trustpoint *tp = trustpoint_find(ctx->cfg, name);
	struct enroll *e;

	if (pki_svc == NULL) {
		cli_out(ctx, "%% The PKI service is not running");
		return CLI_ERR;
	}
	if (tp == NULL) {
		cli_out(ctx, "%% Could not find trustpoint %s", name);
		return CLI_ERR;
	}
	if (tp->enrollment_url == NULL) {
		cli_out(ctx, "%% Trustpoint %s has no enrollment url", name);
		return CLI_ERR;
	}
	e = xcalloc(1, sizeof(*e));
	LIST_INSERT_HEAD(&enrollments, e, entry);
	e->d = pki_svc->d;
	e->tp_name = xstrdup(name);
	e->url = xstrdup(tp->enrollment_url);
	e->ca = trustpoint_ca(tp);
	if (e->ca == NULL) {
		cli_out(ctx,
		    "%% You must authenticate the Certificate Authority "
		    "before you can enroll with it.");
		enroll_free(e);
		return CLI_ERR;
	}
	cli_out(ctx, "%% Start certificate enrollment ..");
	return cli_ask(
	    ctx, "Request certificate from CA? [yes/no]: ", 0, confirm_cb, e);
}

void
pki_enroll_stop_all(void)
{
	struct enroll *e;

	while ((e = LIST_FIRST(&enrollments)) != NULL) {
		if (e->waiting != NULL) {
			tell(e, -1, "%% Enrollment stopped: %s",
			    "the daemon is stopping");
		}
		enroll_free(e);
	}
}

static const struct cli_cmd enroll_cmds[] = {
    {.syntax = "crypto pki enroll NAME$name",
        .help = HELP("Encryption module", "Public key infrastructure",
            "Request a certificate for a trustpoint (SCEP)",
            "Trustpoint label"),
        .handler = enroll_run,
        .flags = CLI_ACTION},
};

struct cli_table pki_enroll_cfg = CLI_TABLE(enroll_cmds);
