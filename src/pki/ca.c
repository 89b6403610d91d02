/*
 * Certificate authority of a `crypto pki server` (see ca.h).  OpenSSL 3
 * EVP/X509 APIs only.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"
#include "pki/ca.h"
#include "pki/keystore.h"
#include "store/store.h"

#define DAY_SECONDS 86400
#define CA_MAX_CA_DAYS (30 * 365) /* sanity bound for ca-certificate */
#define CA_MAX_CRL_HOURS (366 * 24)
#define CA_CA_SERIAL 1

struct ca {
	struct store *st; /* borrowed */
	struct keystore *ks; /* borrowed */
	char *label;
	struct ca_params p; /* normalised; cdp_url owned, issuer unused */
	char *cdp_url;
	X509 *cert;
	EVP_PKEY *key;
	time_t not_before, not_after;
	/* Serials reserved (committed) but not used yet: serial_next up to
	 * serial_end, exclusive.  One commit per CA_SERIAL_BLOCK
	 * certificates instead of one each; unused ones are skipped after a
	 * restart, which leaves a gap and never a reuse. */
	uint64_t serial_next, serial_end;
};

#define CA_SERIAL_BLOCK 32u

/* Map store codes that have a pki meaning; pass the others through. */
static int
from_store(int rc)
{
	switch (rc) {
	case STORE_E_NOTFOUND:
		return PKI_E_NOTFOUND;
	case STORE_E_EXISTS:
		return PKI_E_EXISTS;
	case STORE_E_STATE:
		return PKI_E_STATE;
	case STORE_E_INVAL:
		return PKI_E_INVAL;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Small helpers */

static int
asn1_time_get(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return PKI_E_FORMAT;
	*out = timegm(&tm);
	return 0;
}

/* RFC 2253 text of a name (malloc'ed). */
static int
name_text(const X509_NAME *name, char **out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int rc = PKI_E_CRYPTO;

	if (bio == NULL)
		return PKI_E_NOMEM;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0)
		goto out;
	len = BIO_get_mem_data(bio, &data);
	if (len < 0)
		goto out;
	*out = xmalloc((size_t)len + 1);
	if (len > 0)
		memcpy(*out, data, (size_t)len);
	(*out)[len] = '\0';
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

static int
ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return PKI_E_CRYPTO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : PKI_E_CRYPTO;
}

static int
serial_set(X509 *x, uint64_t serial)
{
	return ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial)
	    ? 0
	    : PKI_E_CRYPTO;
}

static int
der_of_cert(X509 *x, unsigned char **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	if (n <= 0)
		return PKI_E_CRYPTO;
	*der = p;
	*len = (size_t)n;
	return 0;
}

static int
cert_from_der(const unsigned char *der, size_t len, X509 **out)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return PKI_E_FORMAT;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len) {
		X509_free(x);
		return PKI_E_FORMAT;
	}
	*out = x;
	return 0;
}

/* A CDP URL goes into an OpenSSL config value: no separators. */
static int
url_ok(const char *url)
{
	const unsigned char *p;

	if (url == NULL || *url == '\0' || strlen(url) > 1024)
		return 0;
	for (p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ',')
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* DN strings */

static int
name_add(X509_NAME *name, char *item)
{
	char *eq, *key, *val, *end;
	int nid;

	eq = strchr(item, '=');
	if (eq == NULL)
		return PKI_E_FORMAT;
	*eq = '\0';
	key = item;
	val = eq + 1;
	while (*key == ' ' || *key == '\t')
		key++;
	end = key + strlen(key);
	while (end > key && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	while (*val == ' ' || *val == '\t')
		val++;
	end = val + strlen(val);
	while (end > val && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*key == '\0' || *val == '\0')
		return PKI_E_FORMAT;
	nid = OBJ_txt2nid(key);
	if (nid == NID_undef) {
		char *k;

		for (k = key; *k != '\0'; k++)
			*k = (char)toupper((unsigned char)*k);
		nid = OBJ_txt2nid(key);
	}
	if (nid == NID_undef)
		return PKI_E_FORMAT;
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
	        (const unsigned char *)val, -1, -1, 0))
		return PKI_E_FORMAT;
	return 0;
}

int
pki_name_parse(const char *text, X509_NAME **out)
{
	X509_NAME *name = NULL;
	struct buf item = BUF_INIT;
	const char *p;
	int rc = 0;

	if (text == NULL || out == NULL)
		return PKI_E_INVAL;
	name = X509_NAME_new();
	if (name == NULL)
		return PKI_E_NOMEM;
	for (p = text;; p++) {
		if (*p == '\\' && (p[1] == ',' || p[1] == '\\')) {
			buf_putc(&item, *++p);
			continue;
		}
		if (*p == ',' || *p == '\0') {
			buf_putc(&item, '\0'); /* ensure allocated */
			rc = name_add(name, item.data);
			buf_reset(&item);
			if (rc != 0 || *p == '\0')
				break;
			continue;
		}
		buf_putc(&item, *p);
	}
	buf_free(&item);
	if (rc == 0 && X509_NAME_entry_count(name) == 0)
		rc = PKI_E_FORMAT;
	if (rc != 0) {
		X509_NAME_free(name);
		return rc;
	}
	*out = name;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Open / create */

static int
params_apply(struct ca *ca, const struct ca_params *in)
{
	struct ca_params p;

	memset(&p, 0, sizeof(p));
	if (in != NULL)
		p = *in;
	if (p.key_bits == 0)
		p.key_bits = KEYSTORE_RSA_DEFAULT_BITS;
	if (p.lifetime_ca_days == 0)
		p.lifetime_ca_days = CA_DEFAULT_CA_DAYS;
	if (p.lifetime_cert_days == 0)
		p.lifetime_cert_days = CA_DEFAULT_CERT_DAYS;
	if (p.lifetime_crl_hours == 0)
		p.lifetime_crl_hours = CA_DEFAULT_CRL_HOURS;
	if (p.key_bits < KEYSTORE_RSA_MIN_BITS ||
	    p.key_bits > KEYSTORE_RSA_MAX_BITS ||
	    p.lifetime_ca_days > CA_MAX_CA_DAYS ||
	    p.lifetime_cert_days > CA_MAX_CERT_DAYS ||
	    p.lifetime_crl_hours > CA_MAX_CRL_HOURS ||
	    p.database_level < CA_DB_MINIMAL ||
	    p.database_level > CA_DB_COMPLETE ||
	    (p.cdp_url != NULL && !url_ok(p.cdp_url)))
		return PKI_E_INVAL;
	free(ca->cdp_url);
	ca->cdp_url = p.cdp_url != NULL ? xstrdup(p.cdp_url) : NULL;
	p.cdp_url = ca->cdp_url;
	p.issuer_name = NULL; /* used at creation only, not kept */
	p.grant_auto = p.grant_auto != 0;
	ca->p = p;
	return 0;
}

int
ca_params_set(struct ca *ca, const struct ca_params *params)
{
	if (ca == NULL)
		return PKI_E_INVAL;
	return params_apply(ca, params);
}

/* The self-signed CA certificate, serial 01. */
static int
ca_cert_make(struct ca *ca, const char *issuer_name, time_t now, X509 **out)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	struct buf dn = BUF_INIT;
	int rc;

	if (issuer_name == NULL) {
		buf_printf(&dn, "CN=%s", ca->label);
		issuer_name = buf_str(&dn);
	}
	rc = pki_name_parse(issuer_name, &name);
	if (rc != 0)
		goto out;
	rc = PKI_E_CRYPTO;
	x = X509_new();
	if (x == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    serial_set(x, CA_CA_SERIAL) != 0 ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x),
	        now + (time_t)ca->p.lifetime_ca_days * DAY_SECONDS) == NULL ||
	    !X509_set_pubkey(x, ca->key))
		goto out;
	rc = ext_add(x, x, NID_basic_constraints, "critical,CA:TRUE");
	if (rc == 0)
		rc = ext_add(x, x, NID_key_usage,
		    "critical,digitalSignature,keyCertSign,cRLSign");
	if (rc == 0)
		rc = ext_add(x, x, NID_subject_key_identifier, "hash");
	if (rc == 0)
		rc =
		    ext_add(x, x, NID_authority_key_identifier, "keyid:always");
	if (rc != 0)
		goto out;
	if (X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		rc = PKI_E_CRYPTO;
		goto out;
	}
	*out = x;
	x = NULL;
	rc = 0;
out:
	X509_free(x);
	X509_NAME_free(name);
	buf_free(&dn);
	return rc;
}

static int
ca_create(struct ca *ca, const char *issuer_name)
{
	unsigned char *der = NULL;
	size_t len = 0;
	time_t now = time(NULL);
	int rc;

	rc = keystore_load(ca->ks, ca->label, &ca->key);
	if (rc == PKI_E_NOTFOUND)
		rc = keystore_generate(ca->ks, ca->label, KEYSTORE_RSA,
		    ca->p.key_bits, 0, &ca->key);
	if (rc != 0)
		return rc;
	rc = ca_cert_make(ca, issuer_name, now, &ca->cert);
	if (rc == 0)
		rc = der_of_cert(ca->cert, &der, &len);
	if (rc == 0)
		rc = from_store(
		    store_ca_create(ca->st, ca->label, der, len, (int64_t)now));
	OPENSSL_free(der);
	return rc;
}

static int
ca_load(struct ca *ca, const struct store_ca *row)
{
	int rc;

	rc = cert_from_der(row->cert_der, row->cert_len, &ca->cert);
	if (rc != 0)
		return rc;
	rc = keystore_load(ca->ks, ca->label, &ca->key);
	if (rc != 0)
		return rc;
	if (X509_check_private_key(ca->cert, ca->key) != 1)
		return PKI_E_MISMATCH;
	return 0;
}

int
ca_open(struct store *st, struct keystore *ks, const char *label,
    const struct ca_params *params, struct ca **out)
{
	struct ca *ca = NULL;
	struct store_ca *row = NULL;
	int rc;

	if (st == NULL || ks == NULL || out == NULL)
		return PKI_E_INVAL;
	if (!keystore_label_ok(label))
		return PKI_E_LABEL;
	ca = xcalloc(1, sizeof(*ca));
	ca->st = st;
	ca->ks = ks;
	ca->label = xstrdup(label);
	rc = params_apply(ca, params);
	if (rc != 0)
		goto out;
	rc = store_ca_get(st, label, &row);
	if (rc == 0)
		rc = ca_load(ca, row);
	else if (rc == STORE_E_NOTFOUND)
		rc = ca_create(ca, params != NULL ? params->issuer_name : NULL);
	if (rc != 0)
		goto out;
	rc = asn1_time_get(X509_get0_notBefore(ca->cert), &ca->not_before);
	if (rc == 0)
		rc =
		    asn1_time_get(X509_get0_notAfter(ca->cert), &ca->not_after);
out:
	store_ca_free(row);
	if (rc != 0) {
		ca_free(ca);
		return rc;
	}
	*out = ca;
	return 0;
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	if (ca->serial_end != 0)
		(void)store_serial_release(
		    ca->st, ca->label, ca->serial_end, ca->serial_next);
	EVP_PKEY_free(ca->key); /* OpenSSL cleanses key material on free */
	X509_free(ca->cert);
	free(ca->cdp_url);
	free(ca->label);
	free(ca);
}

int
ca_exists(struct store *st, const char *label)
{
	struct store_ca *row = NULL;
	int rc;

	if (st == NULL || label == NULL)
		return 0;
	rc = store_ca_get(st, label, &row);
	store_ca_free(row);
	return rc == 0;
}

X509 *
ca_cert(const struct ca *ca)
{
	return ca != NULL ? ca->cert : NULL;
}

const char *
ca_label(const struct ca *ca)
{
	return ca != NULL ? ca->label : NULL;
}

EVP_PKEY *
ca_key_borrow(struct ca *ca)
{
	return ca != NULL ? ca->key : NULL;
}

/* ------------------------------------------------------------------ */
/* Issuing */

struct issue_in {
	const X509_NAME *subject;
	EVP_PKEY *pub;
	unsigned days;
	X509_EXTENSION *san; /* copied when not NULL */
	int64_t request_id; /* > 0: mark that request issued */
};

/* Record the new certificate as the database level says, and the
 * request it answers, in one transaction. */
static int
issue_record(struct ca *ca, const struct issue_in *in, X509 *x, uint64_t serial,
    time_t nb, time_t na)
{
	struct store_cert rec;
	unsigned char *der = NULL;
	size_t len = 0;
	char *subject = NULL;
	int rc;

	memset(&rec, 0, sizeof(rec));
	rc = der_of_cert(x, &der, &len);
	if (rc == 0)
		rc = name_text(in->subject, &subject);
	if (rc != 0)
		goto out;
	rc = store_txn_begin(ca->st);
	if (rc != 0)
		goto out;
	if (ca->p.database_level >= CA_DB_NAMES) {
		rec.serial = serial;
		rec.subject = subject;
		rec.not_before = (int64_t)nb;
		rec.not_after = (int64_t)na;
		if (ca->p.database_level == CA_DB_COMPLETE) {
			rec.der = der;
			rec.der_len = len;
		}
		rc = store_cert_add(ca->st, ca->label, &rec);
	}
	if (rc == 0 && in->request_id > 0)
		rc = store_request_set_issued(
		    ca->st, ca->label, in->request_id, serial, der, len);
	rc = from_store(store_txn_end(ca->st, rc));
out:
	free(subject);
	OPENSSL_free(der);
	return rc;
}

static int
issue(struct ca *ca, const struct issue_in *in, X509 **out)
{
	X509 *x = NULL;
	unsigned days = in->days != 0 ? in->days : ca->p.lifetime_cert_days;
	time_t now = time(NULL), nb, na, cap;
	uint64_t serial = 0;
	int rc;

	if (days < 1 || days > CA_MAX_CERT_DAYS)
		return PKI_E_INVAL;
	if (X509_NAME_entry_count(in->subject) == 0)
		return PKI_E_INVAL;
	nb = now;
	na = now + (time_t)days * DAY_SECONDS;
	cap = ca->not_after - (time_t)CA_EXPIRY_MARGIN_DAYS * DAY_SECONDS;
	if (na > cap)
		na = cap;
	if (na <= nb || now < ca->not_before)
		return PKI_E_EXPIRED;

	rc = PKI_E_CRYPTO;
	x = X509_new();
	if (x == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_subject_name(x, in->subject) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL ||
	    !X509_set_pubkey(x, in->pub))
		goto out;
	rc = ext_add(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE");
	if (rc == 0)
		rc = ext_add(x, ca->cert, NID_key_usage,
		    EVP_PKEY_is_a(in->pub, "RSA")
		        ? "critical,digitalSignature,keyEncipherment"
		        : "critical,digitalSignature");
	if (rc == 0)
		rc = ext_add(
		    x, ca->cert, NID_ext_key_usage, "serverAuth,clientAuth");
	if (rc == 0)
		rc = ext_add(x, ca->cert, NID_subject_key_identifier, "hash");
	if (rc == 0)
		rc = ext_add(
		    x, ca->cert, NID_authority_key_identifier, "keyid:always");
	if (rc == 0 && ca->cdp_url != NULL) {
		struct buf v = BUF_INIT;

		buf_printf(&v, "URI:%s", ca->cdp_url);
		rc = ext_add(
		    x, ca->cert, NID_crl_distribution_points, buf_str(&v));
		buf_free(&v);
	}
	if (rc == 0 && in->san != NULL && !X509_add_ext(x, in->san, -1))
		rc = PKI_E_CRYPTO;
	if (rc != 0)
		goto out;

	/* The serial is committed before the certificate exists. */
	if (ca->serial_next == ca->serial_end) {
		rc = from_store(store_serial_reserve_block(
		    ca->st, ca->label, CA_SERIAL_BLOCK, &ca->serial_next));
		if (rc != 0) {
			ca->serial_next = ca->serial_end = 0;
			goto out;
		}
		ca->serial_end = ca->serial_next + CA_SERIAL_BLOCK;
	}
	serial = ca->serial_next++;
	rc = serial_set(x, serial);
	if (rc != 0)
		goto out;
	if (X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		rc = PKI_E_CRYPTO;
		goto out;
	}
	rc = issue_record(ca, in, x, serial, nb, na);
	if (rc != 0)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return rc;
}

/* Checks shared by ca_issue_csr and ca_request_add.  An RA-vouched
 * request carries the RA's signature, checked when it arrived. */
static int
csr_check(X509_REQ *req, int ra_vouched)
{
	EVP_PKEY *pub;

	if (req == NULL)
		return PKI_E_INVAL;
	pub = X509_REQ_get0_pubkey(req);
	if (pub == NULL)
		return PKI_E_FORMAT;
	if (!ra_vouched && X509_REQ_verify(req, pub) != 1)
		return PKI_E_SIGNATURE;
	if (X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 0)
		return PKI_E_INVAL;
	return 0;
}

static int
issue_from_csr(struct ca *ca, X509_REQ *req, const struct ca_profile *profile,
    int64_t request_id, int ra_vouched, X509 **out)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	struct issue_in in;
	int rc, idx, copy_san = profile != NULL ? profile->copy_san : 1;

	rc = csr_check(req, ra_vouched);
	if (rc != 0)
		return rc;
	memset(&in, 0, sizeof(in));
	in.subject = X509_REQ_get_subject_name(req);
	in.pub = X509_REQ_get0_pubkey(req);
	in.days = profile != NULL ? profile->days : 0;
	in.request_id = request_id;
	if (copy_san) {
		exts = X509_REQ_get_extensions(req);
		idx = exts != NULL
		    ? X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1)
		    : -1;
		if (idx >= 0)
			in.san = X509v3_get_ext(exts, idx);
	}
	rc = issue(ca, &in, out);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

int
ca_issue_csr(
    struct ca *ca, X509_REQ *req, const struct ca_profile *profile, X509 **out)
{
	if (ca == NULL || req == NULL || out == NULL)
		return PKI_E_INVAL;
	return issue_from_csr(ca, req, profile, 0, 0, out);
}

int
ca_issue_pubkey(struct ca *ca, EVP_PKEY *pub, const char *subject,
    unsigned days, X509 **out)
{
	X509_NAME *name = NULL;
	struct issue_in in;
	int rc;

	if (ca == NULL || pub == NULL || subject == NULL || out == NULL)
		return PKI_E_INVAL;
	rc = pki_name_parse(subject, &name);
	if (rc != 0)
		return rc;
	memset(&in, 0, sizeof(in));
	in.subject = name;
	in.pub = pub;
	in.days = days;
	rc = issue(ca, &in, out);
	X509_NAME_free(name);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Revocation and CRL */

int
ca_revoke(struct ca *ca, uint64_t serial, int reason)
{
	struct store_ca *row = NULL;
	int rc;

	if (ca == NULL || reason < 0 || reason > 10 || reason == 7)
		return PKI_E_INVAL;
	rc = store_ca_get(ca->st, ca->label, &row);
	if (rc != 0)
		return from_store(rc);
	/* Reserved but not handed out yet counts as never issued. */
	if (serial <= CA_CA_SERIAL || serial >= row->next_serial ||
	    (ca->serial_end != 0 && serial >= ca->serial_next))
		rc = PKI_E_NOTFOUND;
	else
		rc = from_store(store_cert_revoke(
		    ca->st, ca->label, serial, (int64_t)time(NULL), reason));
	store_ca_free(row);
	return rc;
}

static int
crl_add_revoked(const struct store_cert *c, void *arg)
{
	X509_CRL *crl = arg;
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)c->revoked_at);
	ASN1_ENUMERATED *reason = NULL;
	int rc = PKI_E_CRYPTO;

	if (r == NULL || sn == NULL || when == NULL ||
	    !ASN1_INTEGER_set_uint64(sn, c->serial) ||
	    !X509_REVOKED_set_serialNumber(r, sn) ||
	    !X509_REVOKED_set_revocationDate(r, when))
		goto out;
	/* RFC 5280 5.3.1: omit reasonCode rather than use unspecified. */
	if (c->reason != 0) {
		reason = ASN1_ENUMERATED_new();
		if (reason == NULL || !ASN1_ENUMERATED_set(reason, c->reason) ||
		    !X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0))
			goto out;
	}
	if (!X509_CRL_add0_revoked(crl, r))
		goto out;
	r = NULL;
	rc = 0;
out:
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(when);
	ASN1_INTEGER_free(sn);
	X509_REVOKED_free(r);
	return rc;
}

int
ca_crl(struct ca *ca, unsigned hours, X509_CRL **out)
{
	X509_CRL *crl = NULL;
	ASN1_TIME *t_this = NULL, *t_next = NULL;
	ASN1_INTEGER *num = NULL;
	X509_EXTENSION *aki = NULL;
	X509V3_CTX ctx;
	time_t now = time(NULL), next;
	uint64_t number = 0;
	int rc;

	if (ca == NULL || out == NULL)
		return PKI_E_INVAL;
	if (hours == 0)
		hours = ca->p.lifetime_crl_hours;
	if (hours > CA_MAX_CRL_HOURS)
		return PKI_E_INVAL;
	next = now + (time_t)hours * 3600;
	rc = from_store(
	    store_crl_number_next(ca->st, ca->label, (int64_t)next, &number));
	if (rc != 0)
		return rc;
	rc = PKI_E_CRYPTO;
	crl = X509_CRL_new();
	t_this = ASN1_TIME_set(NULL, now);
	t_next = ASN1_TIME_set(NULL, next);
	num = ASN1_INTEGER_new();
	if (crl == NULL || t_this == NULL || t_next == NULL || num == NULL ||
	    !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
	    !X509_CRL_set1_lastUpdate(crl, t_this) ||
	    !X509_CRL_set1_nextUpdate(crl, t_next) ||
	    !ASN1_INTEGER_set_uint64(num, number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0))
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	aki = X509V3_EXT_nconf_nid(
	    NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (aki == NULL || !X509_CRL_add_ext(crl, aki, -1))
		goto out;
	rc = store_cert_foreach(
	    ca->st, ca->label, STORE_CERT_REVOKED, crl_add_revoked, crl);
	if (rc != 0)
		goto out;
	rc = PKI_E_CRYPTO;
	if (!X509_CRL_sort(crl) ||
	    X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0)
		goto out;
	*out = crl;
	crl = NULL;
	rc = 0;
out:
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t_next);
	ASN1_TIME_free(t_this);
	X509_CRL_free(crl);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Requests */

static int
csr_der(X509_REQ *req, unsigned char **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509_REQ(req, &p);

	if (n <= 0)
		return PKI_E_CRYPTO;
	*der = p;
	*len = (size_t)n;
	return 0;
}

static int
md5_hex(const unsigned char *data, size_t len, char hex[STORE_FP_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) ||
	    mdlen * 2 != STORE_FP_HEX_LEN ||
	    !OPENSSL_buf2hexstr_ex(
	        hex, STORE_FP_HEX_LEN + 1, NULL, md, mdlen, '\0'))
		return PKI_E_CRYPTO;
	return 0;
}

static int
grant_one(struct ca *ca, int64_t id)
{
	struct store_request *r = NULL;
	X509_REQ *req = NULL;
	X509 *x = NULL;
	const unsigned char *p;
	int rc;

	rc = from_store(store_request_get(ca->st, ca->label, id, &r));
	if (rc != 0)
		return rc;
	if (r->state != STORE_REQ_PENDING && r->state != STORE_REQ_GRANTED) {
		rc = PKI_E_STATE;
		goto out;
	}
	if (r->state == STORE_REQ_PENDING) {
		rc = from_store(store_request_set_state(ca->st, ca->label, id,
		    STORE_REQ_PENDING, STORE_REQ_GRANTED));
		if (rc != 0)
			goto out;
	}
	p = r->csr_der;
	if (r->csr_len > LONG_MAX ||
	    (req = d2i_X509_REQ(NULL, &p, (long)r->csr_len)) == NULL) {
		rc = PKI_E_FORMAT;
		goto out;
	}
	rc = issue_from_csr(ca, req, NULL, id, r->ra_vouched, &x);
out:
	X509_free(x);
	X509_REQ_free(req);
	store_request_free(r);
	return rc;
}

static int
request_add(struct ca *ca, X509_REQ *req, const char *transaction_id,
    int ra_vouched, int64_t *id)
{
	struct store_request r, *old = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	char *subject = NULL;
	int64_t newid = 0;
	int rc;

	if (ca == NULL || req == NULL || id == NULL)
		return PKI_E_INVAL;
	memset(&r, 0, sizeof(r));
	rc = csr_check(req, ra_vouched);
	if (rc == 0)
		rc = csr_der(req, &der, &len);
	if (rc == 0)
		rc = md5_hex(der, len, r.fingerprint);
	if (rc == 0)
		rc = name_text(X509_REQ_get_subject_name(req), &subject);
	if (rc != 0)
		goto out;
	if (transaction_id != NULL) {
		rc = store_request_find_tid(
		    ca->st, ca->label, transaction_id, &old);
		if (rc == 0) {
			/* A retransmission answers with the same request. */
			if (old->csr_len == len &&
			    memcmp(old->csr_der, der, len) == 0)
				newid = old->id;
			else
				rc = PKI_E_EXISTS;
			goto out;
		}
		if (rc != STORE_E_NOTFOUND) {
			rc = from_store(rc);
			goto out;
		}
	}
	r.ca = ca->label;
	r.state = STORE_REQ_PENDING;
	r.received = (int64_t)time(NULL);
	r.transaction_id = (char *)(uintptr_t)transaction_id;
	r.subject = subject;
	r.csr_der = der;
	r.csr_len = len;
	r.ra_vouched = ra_vouched;
	rc = from_store(store_request_add(ca->st, &r, &newid));
	if (rc == 0 && ca->p.grant_auto)
		rc = grant_one(ca, newid);
out:
	store_request_free(old);
	free(subject);
	OPENSSL_free(der);
	if (rc == 0)
		*id = newid;
	return rc;
}

int
ca_request_add(
    struct ca *ca, X509_REQ *req, const char *transaction_id, int64_t *id)
{
	return request_add(ca, req, transaction_id, 0, id);
}

int
ca_request_add_vouched(struct ca *ca, X509_REQ *req, X509 *ra_cert,
    const char *transaction_id, int64_t *id)
{
	if (ca == NULL || req == NULL || ra_cert == NULL)
		return PKI_E_INVAL;
	if (!ca_is_trusted_ra(ca, ra_cert))
		return PKI_E_VERIFY;
	if (X509_REQ_verify(req, X509_get0_pubkey(ra_cert)) != 1) {
		ERR_clear_error();
		return PKI_E_SIGNATURE;
	}
	return request_add(ca, req, transaction_id, 1, id);
}

/* "ioscs RA" as a CN or OU value: how IOS marks an RA certificate. */
static int
name_marks_ra(const X509_NAME *name)
{
	static const int nids[] = {NID_commonName, NID_organizationalUnitName};

	for (size_t k = 0; k < sizeof(nids) / sizeof(nids[0]); k++) {
		int i = -1;

		while (
		    (i = X509_NAME_get_index_by_NID(name, nids[k], i)) >= 0) {
			const ASN1_STRING *v = X509_NAME_ENTRY_get_data(
			    X509_NAME_get_entry(name, i));

			if (ASN1_STRING_length(v) == 8 &&
			    memcmp(ASN1_STRING_get0_data(v), "ioscs RA", 8) ==
			        0)
				return 1;
		}
	}
	return 0;
}

int
ca_is_trusted_ra(struct ca *ca, X509 *cert)
{
	struct store_cert *rec = NULL;
	uint64_t serial = 0;
	int ok;

	if (ca == NULL || cert == NULL ||
	    !name_marks_ra(X509_get_subject_name(cert)))
		return 0;
	if (X509_check_issued(ca->cert, cert) != X509_V_OK ||
	    X509_verify(cert, X509_get0_pubkey(ca->cert)) != 1) {
		ERR_clear_error();
		return 0;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
		return 0;
	if (ASN1_INTEGER_get_uint64(&serial, X509_get0_serialNumber(cert)) != 1)
		return 0;
	/* Not revoked (at database level minimum nothing else of it is
	 * recorded; a revocation always is). */
	switch (store_cert_get(ca->st, ca->label, serial, &rec)) {
	case 0:
		ok = rec->revoked_at == 0;
		break;
	case STORE_E_NOTFOUND:
		ok = 1;
		break;
	default:
		ok = 0;
		break;
	}
	store_cert_free(rec);
	return ok;
}

struct req_collect {
	struct ca_request *list;
	size_t n, cap;
	int state_filter; /* -1: all */
	int also_granted; /* with STORE_REQ_PENDING: granted ones too */
};

static int
req_collect_cb(const struct store_request *r, void *arg)
{
	struct req_collect *c = arg;
	struct ca_request *e;

	if (c->state_filter >= 0 && r->state != c->state_filter &&
	    !(c->also_granted && r->state == STORE_REQ_GRANTED))
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->list = realloc(c->list, c->cap * sizeof(*c->list));
		if (c->list == NULL)
			abort();
	}
	e = &c->list[c->n++];
	memset(e, 0, sizeof(*e));
	e->id = r->id;
	e->state = r->state;
	e->received = (time_t)r->received;
	memcpy(e->fingerprint, r->fingerprint, sizeof(e->fingerprint));
	e->subject = xstrdup(r->subject != NULL ? r->subject : "");
	e->transaction_id =
	    r->transaction_id != NULL ? xstrdup(r->transaction_id) : NULL;
	e->serial = r->serial;
	return 0;
}

void
ca_request_list_free(struct ca_request *list, size_t n)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++) {
		free(list[i].subject);
		free(list[i].transaction_id);
	}
	free(list);
}

static int
requests_collect(
    struct ca *ca, int state, int also_granted, struct req_collect *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->state_filter = state;
	c->also_granted = also_granted;
	rc = store_request_foreach(ca->st, ca->label, req_collect_cb, c);
	if (rc != 0) {
		ca_request_list_free(c->list, c->n);
		memset(c, 0, sizeof(*c));
	}
	return from_store(rc);
}

int
ca_request_list(struct ca *ca, struct ca_request **out, size_t *n)
{
	struct req_collect c;
	int rc;

	if (ca == NULL || out == NULL || n == NULL)
		return PKI_E_INVAL;
	rc = requests_collect(ca, -1, 0, &c);
	if (rc != 0)
		return rc;
	*out = c.list;
	*n = c.n;
	return 0;
}

enum req_action { ACT_GRANT, ACT_REJECT, ACT_REMOVE };

static int
act_one(struct ca *ca, int act, int64_t id)
{
	switch (act) {
	case ACT_GRANT:
		return grant_one(ca, id);
	case ACT_REJECT:
		return from_store(store_request_set_state(ca->st, ca->label, id,
		    STORE_REQ_PENDING, STORE_REQ_REJECTED));
	default:
		return from_store(store_request_delete(ca->st, ca->label, id));
	}
}

static int
request_act(struct ca *ca, int act, int64_t id, size_t *count)
{
	struct req_collect c;
	size_t i, done = 0;
	int rc = 0;

	if (ca == NULL || id < 0)
		return PKI_E_INVAL;
	if (id != CA_REQUEST_ALL) {
		rc = act_one(ca, act, id);
		if (rc == 0 && count != NULL)
			*count = 1;
		return rc;
	}
	rc = requests_collect(ca, act == ACT_REMOVE ? -1 : STORE_REQ_PENDING,
	    act == ACT_GRANT, &c);
	if (rc != 0)
		return rc;
	for (i = 0; i < c.n && rc == 0; i++) {
		rc = act_one(ca, act, c.list[i].id);
		if (rc == 0)
			done++;
	}
	ca_request_list_free(c.list, c.n);
	if (rc == 0 && count != NULL)
		*count = done;
	return rc;
}

int
ca_request_grant(struct ca *ca, int64_t id, size_t *count)
{
	return request_act(ca, ACT_GRANT, id, count);
}

int
ca_request_reject(struct ca *ca, int64_t id, size_t *count)
{
	return request_act(ca, ACT_REJECT, id, count);
}

int
ca_request_remove(struct ca *ca, int64_t id, size_t *count)
{
	return request_act(ca, ACT_REMOVE, id, count);
}

int
ca_request_expire(struct ca *ca, time_t now, unsigned hours, size_t *count)
{
	struct req_collect c;
	time_t limit;
	size_t i, done = 0;
	int rc;

	if (ca == NULL || hours == 0)
		return PKI_E_INVAL;
	limit = now - (time_t)hours * 3600;
	rc = requests_collect(ca, STORE_REQ_PENDING, 0, &c);
	if (rc != 0)
		return rc;
	for (i = 0; i < c.n && rc == 0; i++) {
		if (c.list[i].received >= limit)
			continue;
		rc = from_store(
		    store_request_delete(ca->st, ca->label, c.list[i].id));
		if (rc == 0)
			done++;
	}
	ca_request_list_free(c.list, c.n);
	if (rc == 0 && count != NULL)
		*count = done;
	return rc;
}

int
ca_request_lookup_by_transaction(
    struct ca *ca, const char *transaction_id, int *state, X509 **cert)
{
	struct store_request *r = NULL;
	X509 *x = NULL;
	int rc;

	if (ca == NULL || transaction_id == NULL || state == NULL)
		return PKI_E_INVAL;
	rc = from_store(
	    store_request_find_tid(ca->st, ca->label, transaction_id, &r));
	if (rc != 0)
		return rc;
	if (cert != NULL && r->state == STORE_REQ_ISSUED)
		rc = cert_from_der(r->cert_der, r->cert_len, &x);
	if (rc == 0) {
		*state = r->state;
		if (cert != NULL)
			*cert = x; /* NULL unless issued */
	}
	store_request_free(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Status */

int
ca_info(struct ca *ca, struct ca_info *out)
{
	struct store_ca *row = NULL;
	struct req_collect c;
	int rc;

	if (ca == NULL || out == NULL)
		return PKI_E_INVAL;
	rc = from_store(store_ca_get(ca->st, ca->label, &row));
	if (rc != 0)
		return rc;
	rc = requests_collect(ca, STORE_REQ_PENDING, 0, &c);
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		/* The last serial handed out, not the last reserved. */
		out->last_serial = ca->serial_end != 0 ? ca->serial_next - 1
		                                       : row->next_serial - 1;
		out->ca_not_before = ca->not_before;
		out->ca_not_after = ca->not_after;
		out->crl_next_update = (time_t)row->crl_next_update;
		out->grant_auto = ca->p.grant_auto;
		out->database_level = ca->p.database_level;
		out->pending_requests = c.n;
		ca_request_list_free(c.list, c.n);
	}
	store_ca_free(row);
	return rc;
}

int
ca_cert_foreach(
    struct ca *ca, int (*cb)(const struct store_cert *, void *), void *arg)
{
	if (ca == NULL || cb == NULL)
		return PKI_E_INVAL;
	return store_cert_foreach(ca->st, ca->label, STORE_CERT_ALL, cb, arg);
}

/* ------------------------------------------------------------------ */
/* Verification helper */

int
pki_verify_chain(X509 *leaf, STACK_OF(X509) * untrusted, X509 **trusted,
    int ntrusted, X509_CRL **crls, int ncrls, int check_crl, const char **why)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	unsigned long flags = 0;
	int i, rc = PKI_E_CRYPTO;

	if (leaf == NULL || (ntrusted > 0 && trusted == NULL) ||
	    (ncrls > 0 && crls == NULL) || ntrusted < 0 || ncrls < 0 ||
	    check_crl < 0 || check_crl > 2)
		return PKI_E_INVAL;
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (store == NULL || ctx == NULL)
		goto out;
	for (i = 0; i < ntrusted; i++)
		if (!X509_STORE_add_cert(store, trusted[i]))
			goto out;
	for (i = 0; i < ncrls; i++)
		if (!X509_STORE_add_crl(store, crls[i]))
			goto out;
	if (check_crl >= 1)
		flags |= X509_V_FLAG_CRL_CHECK;
	if (check_crl == 2)
		flags |= X509_V_FLAG_CRL_CHECK_ALL;
	if (flags != 0 && !X509_STORE_set_flags(store, flags))
		goto out;
	if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted))
		goto out;
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
	} else {
		rc = PKI_E_VERIFY;
		if (why != NULL)
			*why = X509_verify_cert_error_string(
			    X509_STORE_CTX_get_error(ctx));
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}
