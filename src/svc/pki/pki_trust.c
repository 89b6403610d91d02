/*
 * What other services need from the PKI (engineering.md §2.4: keys stay
 * behind verbs here):
 *  - a trustpoint's credentials (key pair and certificate chain) for
 *    TLS servers and file signing;
 *  - verification of a peer's certificate chain against a trustpoint's
 *    CA, applying its `revocation-check` methods in order (crl, ocsp,
 *    none: each later method is used only when the previous one could not
 *    give an answer; a peer is refused when no method could);
 *  - TLS server contexts built from both.
 * CRLs come from the local certificate server (rebuilt when a certificate
 * is revoked or the CRL is due) or, for another CA, from SCEP GetCRL at
 * the trustpoint's enrollment URL, fetched in the background and cached.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "daemon/httpc.h"
#include "lib/log.h"
#include "svc/pki/pki_int.h"
#include "svc/pki/pki_svc.h"

#define CRL_FETCH_RETRY_S 30

struct crl_cache {
	char *tp;
	X509_CRL *crl;
	time_t fetched;
	int fetching;
	struct crl_cache *next;
};

static struct crl_cache *crls;
static X509_CRL *local_crl;

void
pki_trust_local_crl_changed(void)
{
	X509_CRL_free(local_crl);
	local_crl = NULL;
}

void
pki_trust_free_all(void)
{
	struct crl_cache *c;

	pki_trust_local_crl_changed();
	while ((c = crls) != NULL) {
		crls = c->next;
		free(c->tp);
		X509_CRL_free(c->crl);
		free(c);
	}
}

static X509 *
chain_cert_x509(const struct chain_cert *c)
{
	const unsigned char *p = c->der;

	return d2i_X509(NULL, &p, (long)c->der_len);
}

static int
crl_current(const X509_CRL *crl)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);

	return next == NULL || X509_cmp_current_time(next) > 0;
}

/* The local server's CRL when ca_x509 is its certificate. */
static X509_CRL *
local_crl_for(X509 *ca_x509)
{
	if (pki_svc == NULL || pki_svc->ca == NULL ||
	    X509_cmp(ca_cert(pki_svc->ca), ca_x509) != 0)
		return NULL;
	if (local_crl != NULL && !crl_current(local_crl))
		pki_trust_local_crl_changed();
	if (local_crl == NULL && ca_crl(pki_svc->ca, 0, &local_crl) != 0)
		local_crl = NULL;
	return local_crl;
}

static void
crl_fetched_cb(void *arg, int status, const char *ctype,
    const unsigned char *body, size_t len, const char *err)
{
	struct crl_cache *c = arg;
	const unsigned char *p = body;
	X509_CRL *crl;

	(void)ctype;
	c->fetching = 0;
	c->fetched = time(NULL);
	if (status != 200 || body == NULL ||
	    (crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL) {
		log_warnx("trustpoint %s: cannot get its CRL (%s)", c->tp,
		    err ? err : "not a CRL");
		return;
	}
	X509_CRL_free(c->crl);
	c->crl = crl;
	log_info("trustpoint %s: CRL fetched", c->tp);
}

/* A remote CA's CRL from the cache; starts a fetch when missing/old. */
static X509_CRL *
remote_crl_for(const struct trustpoint *tp)
{
	struct crl_cache *c;

	for (c = crls; c != NULL; c = c->next)
		if (strcmp(c->tp, tp->name) == 0)
			break;
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->tp = xstrdup(tp->name);
		c->next = crls;
		crls = c;
	}
	if ((c->crl == NULL || !crl_current(c->crl)) && !c->fetching &&
	    tp->enrollment_url != NULL && pki_svc != NULL &&
	    time(NULL) - c->fetched >= CRL_FETCH_RETRY_S) {
		c->fetching = 1;
		if (httpc_request(pki_svc->d->base, tp->enrollment_url,
		        SCEP_PATH "?operation=GetCRL", NULL, 0, NULL, 20,
		        crl_fetched_cb, c) != 0)
			c->fetching = 0;
	}
	return c->crl != NULL && crl_current(c->crl) ? c->crl : NULL;
}

int
pki_svc_verify_peer(struct config *cfg, const char *tp_name, X509 *leaf,
    STACK_OF(X509) * untrusted, const char **why)
{
	struct trustpoint *tp = trustpoint_find(cfg, tp_name);
	const struct chain_cert *c;
	X509 *trusted[8];
	int ntrusted = 0, rc = PKI_E_VERIFY, answered = 0;
	int methods[3];

	*why = "no trusted CA";
	if (tp == NULL)
		return PKI_E_NOTFOUND;
	TAILQ_FOREACH (c, &tp->chain, entry)
		if (c->is_ca && ntrusted < 8 &&
		    (trusted[ntrusted] = chain_cert_x509(c)) != NULL)
			ntrusted++;
	if (ntrusted == 0)
		return PKI_E_VERIFY;
	/* IOS's default is crl. */
	memcpy(methods, tp->revocation, sizeof(methods));
	if (methods[0] == REVOKE_UNSET)
		methods[0] = REVOKE_CRL;
	for (int m = 0; m < 3 && methods[m] != REVOKE_UNSET && !answered; m++) {
		switch (methods[m]) {
		case REVOKE_NONE:
			rc = pki_verify_chain(leaf, untrusted, trusted,
			    ntrusted, NULL, 0, 0, why);
			answered = 1;
			break;
		case REVOKE_CRL: {
			X509_CRL *crl = local_crl_for(trusted[0]);

			if (crl == NULL)
				crl = remote_crl_for(tp);
			if (crl == NULL) {
				*why = "the CRL is not available";
				break; /* an error: try the next method */
			}
			rc = pki_verify_chain(leaf, untrusted, trusted,
			    ntrusted, &crl, 1, 1, why);
			answered = 1;
			break;
		}
		case REVOKE_OCSP:
		default:
			*why = "OCSP is not supported";
			break;
		}
	}
	for (int i = 0; i < ntrusted; i++)
		X509_free(trusted[i]);
	if (!answered)
		return PKI_E_VERIFY;
	return rc;
}

int
pki_svc_credentials(struct config *cfg, const char *tp_name, EVP_PKEY **key,
    X509 **cert, STACK_OF(X509) * *chain, const char **why)
{
	struct trustpoint *tp = trustpoint_find(cfg, tp_name);
	const struct chain_cert *c;
	X509 *id = NULL;
	STACK_OF(X509) *cas = NULL;
	EVP_PKEY *k = NULL;

	if (pki_svc == NULL) {
		*why = "the PKI service is not running";
		return -1;
	}
	if (tp == NULL) {
		*why = "no such trustpoint";
		return -1;
	}
	cas = sk_X509_new_null();
	TAILQ_FOREACH (c, &tp->chain, entry) {
		X509 *x = chain_cert_x509(c);

		if (x == NULL)
			continue;
		if (!c->is_ca && id == NULL)
			id = x;
		else
			sk_X509_push(cas, x);
	}
	if (id == NULL) {
		*why = "the trustpoint has no certificate (crypto pki enroll)";
		goto fail;
	}
	if (keystore_load(pki_svc->keys,
	        tp->rsakeypair ? tp->rsakeypair : tp->name, &k) != 0 ||
	    X509_check_private_key(id, k) != 1) {
		*why = "the trustpoint's key pair is missing or does not match "
		       "its certificate";
		goto fail;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(id)) < 0)
		log_warnx(
		    "trustpoint %s: its certificate has expired", tp->name);
	*key = k;
	*cert = id;
	*chain = cas;
	return 0;
fail:
	EVP_PKEY_free(k);
	X509_free(id);
	sk_X509_pop_free(cas, X509_free);
	return -1;
}

/* TLS client-certificate checks go through pki_svc_verify_peer. */
static int
verify_cb(X509_STORE_CTX *xs, void *arg)
{
	const char *tp = arg;
	const char *why = "-";
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	STACK_OF(X509) *untrusted = X509_STORE_CTX_get0_untrusted(xs);

	if (pki_svc == NULL || leaf == NULL)
		return 0;
	if (pki_svc_verify_peer(pki_svc->d->cfg, tp, leaf, untrusted, &why) !=
	    0) {
		char *subject =
		    X509_NAME_oneline(X509_get_subject_name(leaf), NULL, 0);

		log_info(
		    "TLS peer %s refused: %s", subject ? subject : "?", why);
		OPENSSL_free(subject);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

static int tp_index = -1;

static void
tp_free_fn(
    void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

SSL_CTX *
pki_svc_tls_server_ctx(
    struct config *cfg, const char *tp_name, int client_auth, const char **why)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	SSL_CTX *ctx;

	if (pki_svc_credentials(cfg, tp_name, &key, &cert, &chain, why) != 0)
		return NULL;
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_set1_chain(ctx, chain) != 1) {
		*why = "cannot build the TLS context";
		SSL_CTX_free(ctx);
		ctx = NULL;
		goto out;
	}
	if (client_auth) {
		/* The trustpoint name lives as long as the context. */
		char *verify_tp = xstrdup(tp_name);

		if (tp_index < 0)
			tp_index = SSL_CTX_get_ex_new_index(
			    0, NULL, NULL, NULL, tp_free_fn);
		SSL_CTX_set_ex_data(ctx, tp_index, verify_tp);
		SSL_CTX_set_verify(ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL_CTX_set_cert_verify_callback(ctx, verify_cb, verify_tp);
	}
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return ctx;
}
