/*
 * Registration authority (`crypto pki server LABEL` / `mode ra`): the
 * server does not sign.  It takes SCEP requests with its own RA
 * certificate (the trustpoint LABEL, enrolled with the issuing CA at the
 * trustpoint's enrollment URL), applies its grant policy (auto or manual
 * grant), forwards approved requests to the issuing CA as PKCSReqs signed
 * with the RA certificate, polls while the CA keeps them pending, and
 * hands the certificate to the client on its next CertPoll.  Requests
 * live in the store (table requests, ca = LABEL) like the CA's.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "daemon/httpc.h"
#include "fmt/scep.h"
#include "lib/log.h"
#include "svc/pki/pki_int.h"

#define RA_TIMEOUT_S 20
#define RA_POLL_S 2
#define RA_POLL_MAX 300

/* One request on its way to the issuing CA. */
struct ra_forward {
	LIST_ENTRY(ra_forward) entry;
	struct pki_ra *ra;
	int64_t id;
	struct scep_client_state *st;
	struct event *timer;
	int polls;
};

/* A CAPF session waiting for the LSC of request id. */
struct pki_ra_lsc {
	LIST_ENTRY(pki_ra_lsc) entry;
	struct pki_ra *ra;
	int64_t id;
	void (*done)(void *arg, X509 *cert, const char *why);
	void *arg;
};

struct pki_ra {
	struct pki_svc *s;
	char *label;
	char *ca_url;
	X509 *ra_cert;
	X509 *ca_cert;
	EVP_PKEY *ra_key;
	LIST_HEAD(, ra_forward) forwards;
	LIST_HEAD(, pki_ra_lsc) waiters;
};

/* Tell the waiter of request id (if any) how it ended: cert (borrowed,
 * the waiter gets its own reference) or why. */
static void
waiter_finish(struct pki_ra *ra, int64_t id, X509 *cert, const char *why)
{
	struct pki_ra_lsc *w;

	LIST_FOREACH (w, &ra->waiters, entry)
		if (w->id == id)
			break;
	if (w == NULL)
		return;
	LIST_REMOVE(w, entry);
	if (cert != NULL)
		X509_up_ref(cert);
	w->done(w->arg, cert, why);
	free(w);
}

void
pki_ra_lsc_cancel(struct pki_ra_lsc *w)
{
	if (w == NULL)
		return;
	LIST_REMOVE(w, entry);
	free(w);
}

static void
forward_free(struct ra_forward *f)
{
	LIST_REMOVE(f, entry);
	if (f->timer != NULL)
		event_free(f->timer);
	scep_client_state_free(f->st);
	free(f);
}

void
pki_ra_free(struct pki_ra *ra)
{
	struct ra_forward *f;

	if (ra == NULL)
		return;
	while (!LIST_EMPTY(&ra->waiters))
		waiter_finish(ra, LIST_FIRST(&ra->waiters)->id, NULL,
		    "the registration authority stopped");
	while ((f = LIST_FIRST(&ra->forwards)) != NULL)
		forward_free(f);
	free(ra->label);
	free(ra->ca_url);
	X509_free(ra->ra_cert);
	X509_free(ra->ca_cert);
	EVP_PKEY_free(ra->ra_key);
	free(ra);
}

static X509 *
chain_pick(const struct trustpoint *tp, int is_ca)
{
	const struct chain_cert *c;

	TAILQ_FOREACH (c, &tp->chain, entry) {
		const unsigned char *p = c->der;

		if (c->is_ca == is_ca)
			return d2i_X509(NULL, &p, (long)c->der_len);
	}
	return NULL;
}

int
pki_ra_open(
    struct pki_svc *s, const char *label, struct pki_ra **out, const char **why)
{
	struct trustpoint *tp = trustpoint_find(s->d->cfg, label);
	struct pki_ra *ra;
	int rc;

	if (tp == NULL || tp->enrollment_url == NULL) {
		*why = "RA mode needs the trustpoint of the same name with the "
		       "issuing CA's enrollment url";
		return -1;
	}
	ra = xcalloc(1, sizeof(*ra));
	LIST_INIT(&ra->forwards);
	LIST_INIT(&ra->waiters);
	ra->s = s;
	ra->label = xstrdup(label);
	ra->ca_url = xstrdup(tp->enrollment_url);
	ra->ca_cert = chain_pick(tp, 1);
	ra->ra_cert = chain_pick(tp, 0);
	rc = keystore_load(
	    s->keys, tp->rsakeypair ? tp->rsakeypair : tp->name, &ra->ra_key);
	if (ra->ca_cert == NULL || ra->ra_cert == NULL || rc != 0 ||
	    X509_check_private_key(ra->ra_cert, ra->ra_key) != 1) {
		*why = "the RA trustpoint is not authenticated and enrolled "
		       "with the issuing CA (crypto pki authenticate / "
		       "crypto pki enroll)";
		pki_ra_free(ra);
		return -1;
	}
	/* The RA's request queue hangs off a CA row under its own label,
	 * holding the certificate of the CA it works for. */
	{
		struct store_ca *row = NULL;

		if (store_ca_get(s->store, label, &row) == STORE_E_NOTFOUND) {
			unsigned char *der = NULL;
			int len = i2d_X509(ra->ca_cert, &der);

			if (len <= 0 ||
			    store_ca_create(s->store, label, der, (size_t)len,
			        (int64_t)time(NULL)) != 0) {
				OPENSSL_free(der);
				*why = "cannot create the RA request database";
				pki_ra_free(ra);
				return -1;
			}
			OPENSSL_free(der);
		}
		store_ca_free(row);
	}
	*out = ra;
	return 0;
}

/* ---- forwarding to the issuing CA ---- */

static void forward_send(struct ra_forward *f, const struct buf *der);

static void
forward_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ra_forward *f = arg;
	struct buf der = BUF_INIT;

	(void)fd;
	(void)what;
	if (++f->polls > RA_POLL_MAX ||
	    scep_certpoll_build(
	        f->st, f->ra->ra_key, f->ra->ca_cert, NULL, &der) != 0) {
		log_warnx("RA %s: request %lld abandoned", f->ra->label,
		    (long long)f->id);
		waiter_finish(f->ra, f->id, NULL,
		    "the issuing CA did not issue the certificate");
		forward_free(f);
		buf_free(&der);
		return;
	}
	forward_send(f, &der);
	buf_free(&der);
}

static void
forward_answer_cb(void *arg, int status, const char *ctype,
    const unsigned char *body, size_t len, const char *err)
{
	struct ra_forward *f = arg;
	struct pki_ra *ra = f->ra;
	struct store *st = ra->s->store;
	struct scep_reply *r = NULL;
	struct scep_error serr;
	struct timeval tv = {RA_POLL_S, 0};

	(void)ctype;
	memset(&serr, 0, sizeof(serr));
	if (status != 200 ||
	    scep_reply_parse(
	        body, len, ra->ca_cert, f->st, ra->ra_key, &r, &serr) != 0) {
		log_warnx("RA %s: request %lld: the issuing CA did not answer "
		          "usefully (%s); retrying",
		    ra->label, (long long)f->id,
		    err             ? err
		        : serr.what ? serr.what
		                    : "HTTP error");
		if (f->timer == NULL)
			f->timer =
			    evtimer_new(ra->s->d->base, forward_poll_cb, f);
		evtimer_add(f->timer, &tv);
		return;
	}
	if (r->pki_status == SCEP_STATUS_SUCCESS && r->issued != NULL) {
		unsigned char *der = NULL;
		int dlen = i2d_X509(r->issued, &der);
		uint64_t serial = 0;

		ASN1_INTEGER_get_uint64(
		    &serial, X509_get0_serialNumber(r->issued));
		if (dlen > 0)
			store_request_set_issued(
			    st, ra->label, f->id, serial, der, (size_t)dlen);
		log_info("RA %s: request %lld issued by the CA (serial %llX)",
		    ra->label, (long long)f->id, (unsigned long long)serial);
		waiter_finish(ra, f->id, r->issued, NULL);
		OPENSSL_free(der);
		scep_reply_free(r);
		forward_free(f);
		return;
	}
	if (r->pki_status == SCEP_STATUS_PENDING) {
		scep_reply_free(r);
		if (f->timer == NULL)
			f->timer =
			    evtimer_new(ra->s->d->base, forward_poll_cb, f);
		evtimer_add(f->timer, &tv);
		return;
	}
	log_warnx("RA %s: request %lld refused by the CA (%s)", ra->label,
	    (long long)f->id, scep_fail_info_str(r->fail_info));
	store_request_set_state(
	    st, ra->label, f->id, STORE_REQ_GRANTED, STORE_REQ_REJECTED);
	waiter_finish(ra, f->id, NULL, "the issuing CA refused the request");
	scep_reply_free(r);
	forward_free(f);
}

static void
forward_send(struct ra_forward *f, const struct buf *der)
{
	if (httpc_request(f->ra->s->d->base, f->ra->ca_url,
	        SCEP_PATH "?operation=PKIOperation", der->data, der->len,
	        "application/x-pki-message", RA_TIMEOUT_S, forward_answer_cb,
	        f) != 0) {
		log_warnx(
		    "RA %s: unusable CA URL %s", f->ra->label, f->ra->ca_url);
		forward_free(f);
	}
}

/* Send a granted request to the issuing CA, signed as the RA. */
static int
forward(struct pki_ra *ra, const struct store_request *r)
{
	const unsigned char *p = r->csr_der;
	X509_REQ *csr = d2i_X509_REQ(NULL, &p, (long)r->csr_len);
	struct scep_build_opts opts;
	struct ra_forward *f;
	struct buf der = BUF_INIT;
	int rc;

	if (csr == NULL)
		return -1;
	memset(&opts, 0, sizeof(opts));
	opts.signer_cert = ra->ra_cert;
	f = xcalloc(1, sizeof(*f));
	f->ra = ra;
	f->id = r->id;
	rc = scep_pkcsreq_build(
	    csr, ra->ra_key, ra->ca_cert, NULL, &opts, &der, &f->st);
	X509_REQ_free(csr);
	if (rc != 0) {
		free(f);
		buf_free(&der);
		return -1;
	}
	LIST_INSERT_HEAD(&ra->forwards, f, entry);
	forward_send(f, &der);
	buf_free(&der);
	return 0;
}

/* ---- the request queue ---- */

static int
md5_hex(const unsigned char *der, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!EVP_Digest(der, len, md, &n, EVP_md5(), NULL))
		return -1;
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	return 0;
}

struct grant_walk {
	struct pki_ra *ra;
	int64_t id;
	int grant; /* 1 grant, 0 reject */
	size_t count;
};

static int
grant_cb(const struct store_request *r, void *arg)
{
	struct grant_walk *g = arg;

	if (r->state != STORE_REQ_PENDING || (g->id != 0 && r->id != g->id))
		return 0;
	if (store_request_set_state(g->ra->s->store, g->ra->label, r->id,
	        STORE_REQ_PENDING,
	        g->grant ? STORE_REQ_GRANTED : STORE_REQ_REJECTED) != 0)
		return 0;
	if (g->grant)
		forward(g->ra, r);
	else
		waiter_finish(
		    g->ra, r->id, NULL, "the request was rejected at the RA");
	g->count++;
	return 0;
}

int
pki_ra_decide(struct pki_ra *ra, int64_t id, int grant, size_t *count)
{
	struct grant_walk g = {ra, id, grant, 0};
	int rc = store_request_foreach(ra->s->store, ra->label, grant_cb, &g);

	*count = g.count;
	if (rc == 0 && id != 0 && g.count == 0)
		return PKI_E_NOTFOUND;
	return rc;
}

/* ---- SCEP on the RA ---- */

static int
reply_state(struct pki_ra *ra, const struct scep_request *req, struct buf *out)
{
	struct store_request *r = NULL;
	int rc = store_request_find_tid(
	    ra->s->store, ra->label, req->transaction_id, &r);
	X509 *x = NULL;

	if (rc != 0)
		return scep_reply_failure(
		    req, SCEP_FAIL_BAD_CERT_ID, ra->ra_cert, ra->ra_key, out);
	switch (r->state) {
	case STORE_REQ_ISSUED: {
		const unsigned char *p = r->cert_der;

		x = d2i_X509(NULL, &p, (long)r->cert_len);
		rc = x ? scep_reply_success_cert(
		             req, x, NULL, ra->ra_cert, ra->ra_key, out)
		       : scep_reply_failure(req, SCEP_FAIL_BAD_CERT_ID,
		             ra->ra_cert, ra->ra_key, out);
		X509_free(x);
		break;
	}
	case STORE_REQ_REJECTED:
		rc = scep_reply_failure(
		    req, SCEP_FAIL_BAD_REQUEST, ra->ra_cert, ra->ra_key, out);
		break;
	default:
		rc = scep_reply_pending(req, ra->ra_cert, ra->ra_key, out);
		break;
	}
	store_request_free(r);
	return rc;
}

static int
add_request(struct pki_ra *ra, const struct scep_request *req, int grant_auto)
{
	struct store_request r, *old = NULL;
	unsigned char *der = NULL;
	char *subject = NULL;
	int len, rc;
	int64_t id = 0;
	BIO *b;

	if (req->is_ra_vouched)
		return -1; /* only our own CAPF requests are vouched for */
	if (store_request_find_tid(
	        ra->s->store, ra->label, req->transaction_id, &old) == 0) {
		store_request_free(old);
		return 0; /* a retransmission */
	}
	memset(&r, 0, sizeof(r));
	len = i2d_X509_REQ(req->csr, &der);
	if (len <= 0 || md5_hex(der, (size_t)len, r.fingerprint) != 0) {
		OPENSSL_free(der);
		return -1;
	}
	b = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(
	    b, X509_REQ_get_subject_name(req->csr), 0, XN_FLAG_RFC2253);
	{
		char text[512];
		int n = BIO_read(b, text, sizeof(text) - 1);

		text[n > 0 ? n : 0] = '\0';
		subject = xstrdup(text);
	}
	BIO_free(b);
	r.ca = ra->label;
	r.state = STORE_REQ_PENDING;
	r.received = (int64_t)time(NULL);
	r.transaction_id = req->transaction_id;
	r.subject = subject;
	r.csr_der = der;
	r.csr_len = (size_t)len;
	rc = store_request_add(ra->s->store, &r, &id);
	OPENSSL_free(der);
	free(subject);
	if (rc != 0)
		return -1;
	log_info("RA %s: enrollment request %lld %s", ra->label, (long long)id,
	    grant_auto ? "granted automatically" : "pending");
	if (grant_auto) {
		size_t n;

		pki_ra_decide(ra, id, 1, &n);
	}
	return 0;
}

int
pki_ra_operation(struct pki_ra *ra, const uint8_t *der, size_t len,
    int grant_auto, struct buf *out, const char **why)
{
	struct scep_request *req = NULL;
	struct scep_error err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = scep_request_parse(der, len, ra->ra_cert, ra->ra_key, &req, &err);
	if (rc != 0) {
		*why = scep_err_str(rc);
		return -1;
	}
	switch (req->msg_type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		if (add_request(ra, req, grant_auto) != 0) {
			rc = scep_reply_failure(req, SCEP_FAIL_BAD_REQUEST,
			    ra->ra_cert, ra->ra_key, out);
			break;
		}
		rc = reply_state(ra, req, out);
		break;
	case SCEP_MSG_CERTPOLL:
		rc = reply_state(ra, req, out);
		break;
	default:
		rc = scep_reply_failure(
		    req, SCEP_FAIL_BAD_REQUEST, ra->ra_cert, ra->ra_key, out);
		break;
	}
	scep_request_free(req);
	if (rc != 0)
		*why = "cannot build the reply";
	return rc;
}

int
pki_ra_getcacert(struct pki_ra *ra, struct buf *out, const char **ctype)
{
	return scep_getcacert_reply(ra->ca_cert, ra->ra_cert, out, ctype);
}

const char *
pki_ra_label(const struct pki_ra *ra)
{
	return ra->label;
}

/* ---- LSCs for CAPF through the RA ---- */

int
pki_ra_request_lsc(struct pki_ra *ra, EVP_PKEY *pub, X509_NAME *subject,
    const char *challenge, int grant_auto,
    void (*done)(void *arg, X509 *cert, const char *why), void *arg,
    struct pki_ra_lsc **out, const char **why)
{
	X509_REQ *csr = X509_REQ_new();
	struct store_request r;
	struct pki_ra_lsc *w;
	unsigned char *der = NULL, rnd[16];
	char tid[2 * sizeof(rnd) + 1], *text = NULL;
	int64_t id = 0;
	int len, rc = -1;
	BIO *b = NULL;

	*why = "cannot build the certificate request";
	/* The phone's key with the RA's signature: the RA vouches for a
	 * key whose possession the CAPF session established (the private
	 * key never leaves the phone, so it cannot sign a PKCS#10). */
	if (csr == NULL || !X509_REQ_set_version(csr, 0) ||
	    !X509_REQ_set_subject_name(csr, subject) ||
	    !X509_REQ_set_pubkey(csr, pub) ||
	    (challenge != NULL && challenge[0] != '\0' &&
	        !X509_REQ_add1_attr_by_NID(csr, NID_pkcs9_challengePassword,
	            MBSTRING_UTF8, (const unsigned char *)challenge, -1)) ||
	    X509_REQ_sign(csr, ra->ra_key, EVP_sha256()) <= 0 ||
	    (len = i2d_X509_REQ(csr, &der)) <= 0 ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	if (OPENSSL_buf2hexstr_ex(
	        tid, sizeof(tid), NULL, rnd, sizeof(rnd), '\0') != 1)
		goto out;
	memset(&r, 0, sizeof(r));
	if (md5_hex(der, (size_t)len, r.fingerprint) != 0)
		goto out;
	b = BIO_new(BIO_s_mem());
	if (b == NULL ||
	    X509_NAME_print_ex(b, subject, 0, XN_FLAG_RFC2253) < 0 ||
	    BIO_write(b, "", 1) != 1 || BIO_get_mem_data(b, &text) <= 0)
		goto out;
	r.ca = ra->label;
	r.state = STORE_REQ_PENDING;
	r.received = (int64_t)time(NULL);
	r.transaction_id = tid;
	r.subject = text;
	r.csr_der = der;
	r.csr_len = (size_t)len;
	r.ra_vouched = 1;
	if (store_request_add(ra->s->store, &r, &id) != 0) {
		*why = "cannot record the request";
		goto out;
	}
	w = xcalloc(1, sizeof(*w));
	w->ra = ra;
	w->id = id;
	w->done = done;
	w->arg = arg;
	LIST_INSERT_HEAD(&ra->waiters, w, entry);
	*out = w;
	log_info("RA %s: CAPF request %lld for %s %s", ra->label, (long long)id,
	    text, grant_auto ? "granted automatically" : "pending");
	if (grant_auto) {
		size_t n;

		pki_ra_decide(ra, id, 1, &n);
	}
	*why = NULL;
	rc = 0;
out:
	BIO_free(b);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	return rc;
}

X509 *
pki_ra_ca_cert(const struct pki_ra *ra)
{
	return ra->ca_cert;
}
