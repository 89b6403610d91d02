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
#include <openssl/evp.h>
#include <openssl/sha.h>
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

/*
 * Decoded credentials per trustpoint.  Decoding a PEM key and its chain
 * costs more than the RSA signature they are loaded for (OpenSSL 3's
 * decoder set-up, and RSA blinding set up again for every fresh key), and
 * the phone-files service signs with them once per phone.  An entry
 * stays valid while the trustpoint's key label and certificate chain
 * (config) hash to the same value and no key was written or deleted
 * (keystore generation).
 */
struct cred_cache {
	char *tp;
	unsigned char stamp[SHA256_DIGEST_LENGTH];
	uint64_t generation;
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) * chain;
	struct cred_cache *next;
};

static struct cred_cache *creds;

static void
cred_free(struct cred_cache *c)
{
	free(c->tp);
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	sk_X509_pop_free(c->chain, X509_free);
	free(c);
}

static void
creds_free_all(void)
{
	struct cred_cache *c;

	while ((c = creds) != NULL) {
		creds = c->next;
		cred_free(c);
	}
}

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
	creds_free_all();
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

/* What the credentials of tp are made of: key label and chain. */
static void
cred_stamp(const struct trustpoint *tp, const char *key_label,
    unsigned char out[SHA256_DIGEST_LENGTH])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const struct chain_cert *c;
	unsigned int n = 0;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		memset(out, 0, SHA256_DIGEST_LENGTH);
		EVP_MD_CTX_free(md);
		return;
	}
	EVP_DigestUpdate(md, key_label, strlen(key_label) + 1);
	TAILQ_FOREACH (c, &tp->chain, entry) {
		unsigned char hdr[2] = {(unsigned char)c->is_ca, 0};

		EVP_DigestUpdate(md, hdr, sizeof(hdr));
		EVP_DigestUpdate(md, c->der, c->der_len);
	}
	if (EVP_DigestFinal_ex(md, out, &n) != 1)
		memset(out, 0, SHA256_DIGEST_LENGTH);
	EVP_MD_CTX_free(md);
}

/* Decode the key pair and the chain of tp into a new cache entry. */
static struct cred_cache *
cred_load(const struct trustpoint *tp, const char *key_label, const char **why)
{
	const struct chain_cert *c;
	struct cred_cache *e = xcalloc(1, sizeof(*e));

	e->chain = sk_X509_new_null();
	TAILQ_FOREACH (c, &tp->chain, entry) {
		X509 *x = chain_cert_x509(c);

		if (x == NULL)
			continue;
		if (!c->is_ca && e->cert == NULL)
			e->cert = x;
		else
			sk_X509_push(e->chain, x);
	}
	if (e->cert == NULL) {
		*why = "the trustpoint has no certificate (crypto pki enroll)";
		cred_free(e);
		return NULL;
	}
	if (keystore_load(pki_svc->keys, key_label, &e->key) != 0 ||
	    X509_check_private_key(e->cert, e->key) != 1) {
		*why = "the trustpoint's key pair is missing or does not match "
		       "its certificate";
		cred_free(e);
		return NULL;
	}
	e->tp = xstrdup(tp->name);
	e->generation = keystore_generation(pki_svc->keys);
	cred_stamp(tp, key_label, e->stamp);
	return e;
}

int
pki_svc_credentials(struct config *cfg, const char *tp_name, EVP_PKEY **key,
    X509 **cert, STACK_OF(X509) * *chain, const char **why)
{
	struct trustpoint *tp = trustpoint_find(cfg, tp_name);
	struct cred_cache **pp, *e = NULL;
	unsigned char stamp[SHA256_DIGEST_LENGTH];
	const char *key_label;

	if (pki_svc == NULL) {
		*why = "the PKI service is not running";
		return -1;
	}
	if (tp == NULL) {
		*why = "no such trustpoint";
		return -1;
	}
	key_label = tp->rsakeypair ? tp->rsakeypair : tp->name;
	cred_stamp(tp, key_label, stamp);
	for (pp = &creds; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->tp, tp->name) == 0)
			break;
	if (*pp != NULL) {
		e = *pp;
		if (memcmp(e->stamp, stamp, sizeof(stamp)) != 0 ||
		    e->generation != keystore_generation(pki_svc->keys)) {
			*pp = e->next;
			cred_free(e);
			e = NULL;
		}
	}
	if (e == NULL) {
		e = cred_load(tp, key_label, why);
		if (e == NULL)
			return -1;
		e->next = creds;
		creds = e;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(e->cert)) < 0)
		log_warnx(
		    "trustpoint %s: its certificate has expired", tp->name);
	/* Callers own what they get, as before the cache: references. */
	EVP_PKEY_up_ref(e->key);
	X509_up_ref(e->cert);
	*key = e->key;
	*cert = e->cert;
	*chain = X509_chain_up_ref(e->chain);
	return 0;
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
