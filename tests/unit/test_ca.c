/*
 * Unit tests of src/pki/ca.c: the CA certificate profile, issuing from
 * CSRs and public keys, lifetimes and the cap at the CA's end, database
 * levels, revocation and CRLs (checked with X509_STORE), the manual grant
 * queue, DN parsing and a cross-check with the openssl command.
 *
 * Key generation is slow, so the group setup makes one 2048-bit RSA CA
 * key, one 1024-bit RSA and one P-256 key for requests; each test puts
 * the CA key into its own keystore.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/ca.h"
#include "pki/keystore.h"
#include "store/store.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define DAY 86400

static EVP_PKEY *ca_key; /* RSA 2048 */
static EVP_PKEY *rsa_key; /* RSA 1024, for requests */
static EVP_PKEY *ec_key; /* P-256, for requests and CAPF */

static int
group_setup(void **state)
{
	(void)state;
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return ca_key && rsa_key && ec_key ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fixture: temporary directory, keystore, store, an open CA "CS" */

struct fx {
	char dir[64];
	struct keystore *ks;
	struct store *st;
	struct ca *ca;
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct fx *
fx_new(const char *db)
{
	struct fx *f = calloc(1, sizeof(*f));
	char keys[128], path[128];

	snprintf(f->dir, sizeof(f->dir), "/tmp/opencme-ca-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(keys, sizeof(keys), "%s/keys", f->dir);
	assert_int_equal(keystore_open(keys, NULL, &f->ks), 0);
	if (db == NULL) {
		db = ":memory:";
	} else {
		snprintf(path, sizeof(path), "%s/%s", f->dir, db);
		db = path;
	}
	assert_int_equal(store_open(db, &f->st), 0);
	return f;
}

/* Open (creating) a CA over the shared key. */
static struct ca *
fx_ca(struct fx *f, const char *label, const struct ca_params *p)
{
	struct ca *ca = NULL;
	int rc;

	if (!keystore_exists(f->ks, label))
		assert_int_equal(keystore_put(f->ks, label, ca_key, 0), 0);
	rc = ca_open(f->st, f->ks, label, p, &ca);
	if (rc != 0)
		fail_msg("ca_open: %s", pki_err_str(rc));
	return ca;
}

static int
fx_setup(void **state)
{
	struct fx *f = fx_new(NULL);

	f->ca = fx_ca(f, "CS", NULL);
	*state = f;
	return 0;
}

static int
fx_setup_bare(void **state)
{
	*state = fx_new(NULL);
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	ca_free(f->ca);
	store_free(f->st);
	keystore_free(f->ks);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers */

static X509_REQ *
make_csr(EVP_PKEY *key, const char *subject, const char *san)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = NULL;

	assert_non_null(req);
	assert_int_equal(pki_name_parse(subject, &name), 0);
	assert_true(X509_REQ_set_subject_name(req, name));
	assert_true(X509_REQ_set_pubkey(req, key));
	if (san != NULL) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *ext =
		    X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

		assert_non_null(ext);
		sk_X509_EXTENSION_push(exts, ext);
		assert_true(X509_REQ_add_extensions(req, exts));
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return req;
}

static time_t
t_of(const ASN1_TIME *t)
{
	struct tm tm;

	assert_true(ASN1_TIME_to_tm(t, &tm));
	return timegm(&tm);
}

static uint64_t
serial_of(const X509 *x)
{
	uint64_t v = 0;

	assert_true(ASN1_INTEGER_get_uint64(&v, X509_get0_serialNumber(x)));
	return v;
}

static int
ext_critical(X509 *x, int nid)
{
	int idx = X509_get_ext_by_NID(x, nid, -1);

	assert_true(idx >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, idx));
}

static char *
name_of(const X509_NAME *n)
{
	return X509_NAME_oneline(n, NULL, 0);
}

static X509 *
issue_rsa(struct ca *ca, const char *subject)
{
	X509_REQ *req = make_csr(rsa_key, subject, NULL);
	X509 *x = NULL;
	int rc = ca_issue_csr(ca, req, NULL, &x);

	if (rc != 0)
		fail_msg("ca_issue_csr: %s", pki_err_str(rc));
	X509_REQ_free(req);
	return x;
}

/* X509_verify_cert against the CA alone; returns the verify error. */
static int
verify_with_store(X509 *ca, X509 *leaf, X509_CRL *crl)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err;

	assert_true(X509_STORE_add_cert(st, ca));
	if (crl != NULL) {
		assert_true(X509_STORE_add_crl(st, crl));
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	assert_true(X509_STORE_CTX_init(ctx, st, leaf, NULL));
	if (X509_verify_cert(ctx) == 1)
		err = X509_V_OK;
	else
		err = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return err;
}

/* ------------------------------------------------------------------ */
/* The CA certificate */

static void
ca_certificate_has_the_ios_profile(void **state)
{
	struct fx *f = *state;
	X509 *c = ca_cert(f->ca);
	struct ca_info info;
	const ASN1_OCTET_STRING *ski, *aki;
	char *subj, *iss;

	assert_non_null(c);
	assert_int_equal(X509_get_version(c), X509_VERSION_3);
	assert_int_equal(serial_of(c), 1);
	subj = name_of(X509_get_subject_name(c));
	iss = name_of(X509_get_issuer_name(c));
	assert_string_equal(subj, "/CN=CS");
	assert_string_equal(iss, "/CN=CS");
	OPENSSL_free(subj);
	OPENSSL_free(iss);

	/* basicConstraints CA:TRUE critical */
	assert_true(X509_get_extension_flags(c) & EXFLAG_CA);
	assert_int_equal(ext_critical(c, NID_basic_constraints), 1);
	/* keyUsage keyCertSign + cRLSign + digitalSignature, critical */
	assert_int_equal(X509_get_key_usage(c),
	    KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(ext_critical(c, NID_key_usage), 1);
	/* SKI == AKI keyid, self-signed with SHA-256 */
	ski = X509_get0_subject_key_id(c);
	aki = X509_get0_authority_key_id(c);
	assert_non_null(ski);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki), 0);
	assert_int_equal(
	    X509_get_signature_nid(c), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_verify(c, ca_key), 1);
	assert_int_equal(X509_check_issued(c, c), X509_V_OK);
	/* lifetime ca-certificate 1095 days */
	assert_int_equal(
	    t_of(X509_get0_notAfter(c)) - t_of(X509_get0_notBefore(c)),
	    (time_t)1095 * DAY);

	assert_int_equal(ca_info(f->ca, &info), 0);
	assert_int_equal(info.last_serial, 1);
	assert_int_equal(info.ca_not_after, t_of(X509_get0_notAfter(c)));
	assert_int_equal(info.crl_next_update, 0);
	assert_int_equal(info.grant_auto, 0);
	assert_int_equal(info.database_level, CA_DB_MINIMAL);
	assert_string_equal(ca_label(f->ca), "CS");
	assert_ptr_equal(ca_key_borrow(f->ca) != NULL, 1);
	assert_int_equal(ca_exists(f->st, "CS"), 1);
	assert_int_equal(ca_exists(f->st, "other"), 0);
}

static void
ca_creation_generates_a_2048_bit_key_and_uses_issuer_name(void **state)
{
	struct fx *f = *state;
	struct ca_params p = {
	    .issuer_name = "CN=Lab CA,O=OpenCME,C=US", .lifetime_ca_days = 730};
	struct keystore_info ki;
	struct ca *ca = NULL;
	char *subj;

	assert_int_equal(keystore_exists(f->ks, "NEWCA"), 0);
	assert_int_equal(ca_open(f->st, f->ks, "NEWCA", &p, &ca), 0);
	assert_int_equal(keystore_info_get(f->ks, "NEWCA", &ki), 0);
	assert_int_equal(ki.type, KEYSTORE_RSA);
	assert_int_equal(ki.bits, 2048);
	subj = name_of(X509_get_subject_name(ca_cert(ca)));
	assert_string_equal(subj, "/CN=Lab CA/O=OpenCME/C=US");
	OPENSSL_free(subj);
	assert_int_equal(t_of(X509_get0_notAfter(ca_cert(ca))) -
	        t_of(X509_get0_notBefore(ca_cert(ca))),
	    (time_t)730 * DAY);
	ca_free(ca);
	ca_free(NULL);
}

static void
ca_open_refuses_bad_labels_and_params(void **state)
{
	struct fx *f = *state;
	struct ca_params p = {.lifetime_cert_days = 1826};
	struct ca *ca = (struct ca *)0x1;

	assert_int_equal(ca_open(f->st, f->ks, "../x", NULL, &ca), PKI_E_LABEL);
	assert_int_equal(ca_open(f->st, f->ks, "CS", &p, &ca), PKI_E_INVAL);
	p.lifetime_cert_days = 0;
	p.cdp_url = "http://a/b,c";
	assert_int_equal(ca_open(f->st, f->ks, "CS", &p, &ca), PKI_E_INVAL);
	p.cdp_url = NULL;
	p.issuer_name = "CN";
	assert_int_equal(ca_open(f->st, f->ks, "BAD", &p, &ca), PKI_E_FORMAT);
	assert_ptr_equal(ca, (struct ca *)0x1);
	assert_int_equal(ca_exists(f->st, "BAD"), 0);
}

static void
ca_reopens_with_the_same_certificate_and_serials(void **state)
{
	struct fx *f = fx_new("ca.sqlite3");
	struct ca *ca = fx_ca(f, "CS", NULL);
	unsigned char *der1 = NULL, *der2 = NULL;
	char path[128];
	int n1, n2;
	X509 *x;

	(void)state;
	x = issue_rsa(ca, "CN=one");
	assert_int_equal(serial_of(x), 2);
	X509_free(x);
	/* What a crash now would leave: another connection sees serial 2
	 * (and the rest of the block) reserved, so it cannot be reused. */
	{
		struct store *other = NULL;
		struct store_ca *row = NULL;

		snprintf(path, sizeof(path), "%s/ca.sqlite3", f->dir);
		assert_int_equal(store_open(path, &other), 0);
		assert_int_equal(store_ca_get(other, "CS", &row), 0);
		assert_true(row->next_serial > 2);
		store_ca_free(row);
		store_free(other);
	}
	n1 = i2d_X509(ca_cert(ca), &der1);
	ca_free(ca);
	store_free(f->st);

	snprintf(path, sizeof(path), "%s/ca.sqlite3", f->dir);
	assert_int_equal(store_open(path, &f->st), 0);
	ca = fx_ca(f, "CS", NULL);
	n2 = i2d_X509(ca_cert(ca), &der2);
	assert_int_equal(n1, n2);
	assert_memory_equal(der1, der2, (size_t)n1);
	x = issue_rsa(ca, "CN=two");
	assert_int_equal(serial_of(x), 3);
	X509_free(x);
	OPENSSL_free(der1);
	OPENSSL_free(der2);
	f->ca = ca;
	fx_teardown((void **)&f);
}

static void
ca_open_detects_a_replaced_key(void **state)
{
	struct fx *f = *state;
	struct ca *ca = (struct ca *)0x1;

	ca_free(f->ca);
	f->ca = NULL;
	assert_int_equal(keystore_put(f->ks, "CS", ec_key, 1), 0);
	assert_int_equal(
	    ca_open(f->st, f->ks, "CS", NULL, &ca), PKI_E_MISMATCH);
	assert_ptr_equal(ca, (struct ca *)0x1);
	assert_int_equal(keystore_delete(f->ks, "CS"), 0);
	assert_int_equal(
	    ca_open(f->st, f->ks, "CS", NULL, &ca), PKI_E_NOTFOUND);
}

/* ------------------------------------------------------------------ */
/* Issuing */

static void
ca_issues_from_a_csr_with_the_leaf_profile(void **state)
{
	struct fx *f = *state;
	X509_REQ *req = make_csr(
	    rsa_key, "CN=phone1,O=Lab", "DNS:phone1.example,IP:192.0.2.7");
	X509 *x = NULL, *y;
	X509 *trusted[1];
	GENERAL_NAMES *san;
	char *subj, *iss;
	const char *why = NULL;
	struct ca_info info;

	trusted[0] = ca_cert(f->ca);
	assert_int_equal(ca_issue_csr(f->ca, req, NULL, &x), 0);
	assert_int_equal(serial_of(x), 2);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	subj = name_of(X509_get_subject_name(x));
	iss = name_of(X509_get_issuer_name(x));
	assert_string_equal(subj, "/CN=phone1/O=Lab");
	assert_string_equal(iss, "/CN=CS");
	OPENSSL_free(subj);
	OPENSSL_free(iss);

	assert_false(X509_get_extension_flags(x) & EXFLAG_CA);
	assert_int_equal(
	    X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_int_equal(
	    X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_int_equal(
	    X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
	                     X509_get0_subject_key_id(ca_cert(f->ca))),
	    0);
	assert_int_equal(
	    t_of(X509_get0_notAfter(x)) - t_of(X509_get0_notBefore(x)),
	    (time_t)365 * DAY);
	assert_int_equal(
	    X509_get_ext_by_NID(x, NID_crl_distribution_points, -1), -1);
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 2);
	GENERAL_NAMES_free(san);

	/* Signed by the CA key; a valid chain for X509_verify_cert. */
	assert_int_equal(X509_verify(x, ca_key), 1);
	assert_int_equal(verify_with_store(ca_cert(f->ca), x, NULL), X509_V_OK);
	assert_int_equal(
	    pki_verify_chain(x, NULL, trusted, 1, NULL, 0, 0, &why), 0);

	/* Serials go on; SANs are dropped when the profile says so. */
	{
		struct ca_profile prof = {.days = 10, .copy_san = 0};

		assert_int_equal(ca_issue_csr(f->ca, req, &prof, &y), 0);
		assert_int_equal(serial_of(y), 3);
		assert_int_equal(
		    X509_get_ext_by_NID(y, NID_subject_alt_name, -1), -1);
		assert_int_equal(
		    t_of(X509_get0_notAfter(y)) - t_of(X509_get0_notBefore(y)),
		    (time_t)10 * DAY);
		X509_free(y);
	}
	assert_int_equal(ca_info(f->ca, &info), 0);
	assert_int_equal(info.last_serial, 3);
	X509_free(x);
	X509_REQ_free(req);
}

static void
ca_refuses_a_csr_with_a_bad_signature_without_using_a_serial(void **state)
{
	struct fx *f = *state;
	X509_REQ *req = make_csr(rsa_key, "CN=x", NULL), *bad;
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *x = (X509 *)0x1;
	int n;

	n = i2d_X509_REQ(req, &der);
	assert_true(n > 10);
	der[n - 5] ^= 0x01; /* inside the signature value */
	p = der;
	bad = d2i_X509_REQ(NULL, &p, n);
	assert_non_null(bad);
	assert_int_equal(ca_issue_csr(f->ca, bad, NULL, &x), PKI_E_SIGNATURE);
	assert_ptr_equal(x, (X509 *)0x1);
	{
		int64_t id = -1;

		assert_int_equal(
		    ca_request_add(f->ca, bad, "T", &id), PKI_E_SIGNATURE);
		assert_int_equal(id, -1);
	}
	x = issue_rsa(f->ca, "CN=ok");
	assert_int_equal(serial_of(x), 2);
	X509_free(x);
	X509_REQ_free(bad);
	X509_REQ_free(req);
	OPENSSL_free(der);
}

static void
ca_caps_lifetimes_at_the_ca_end_minus_a_month(void **state)
{
	struct fx *f = *state;
	struct ca_params p = {
	    .lifetime_ca_days = 100, .lifetime_cert_days = 365};
	struct ca_profile prof = {.days = 1826};
	struct ca *ca = fx_ca(f, "SHORT", &p), *dying;
	X509_REQ *req = make_csr(rsa_key, "CN=capped", NULL);
	X509 *x = NULL;
	time_t ca_end = t_of(X509_get0_notAfter(ca_cert(ca)));

	assert_int_equal(ca_issue_csr(ca, req, NULL, &x), 0);
	assert_int_equal(t_of(X509_get0_notAfter(x)), ca_end - 30 * DAY);
	assert_true(t_of(X509_get0_notBefore(x)) <= time(NULL));
	assert_true(t_of(X509_get0_notAfter(x)) > t_of(X509_get0_notBefore(x)));
	X509_free(x);
	x = NULL;

	/* A lifetime under the cap is kept. */
	prof.days = 5;
	assert_int_equal(ca_issue_csr(ca, req, &prof, &x), 0);
	assert_int_equal(
	    t_of(X509_get0_notAfter(x)) - t_of(X509_get0_notBefore(x)),
	    (time_t)5 * DAY);
	X509_free(x);
	x = (X509 *)0x1;
	/* Out of 1..1825 */
	prof.days = 1826;
	assert_int_equal(ca_issue_csr(ca, req, &prof, &x), PKI_E_INVAL);
	assert_ptr_equal(x, (X509 *)0x1);

	/* A CA with under a month left cannot issue. */
	p.lifetime_ca_days = 20;
	dying = fx_ca(f, "DYING", &p);
	assert_int_equal(ca_issue_csr(dying, req, NULL, &x), PKI_E_EXPIRED);
	assert_ptr_equal(x, (X509 *)0x1);
	ca_free(dying);
	ca_free(ca);
	X509_REQ_free(req);
}

static void
ca_issues_capf_certificates_for_bare_public_keys(void **state)
{
	struct fx *f = *state;
	struct ca_params p = {.cdp_url = "http://192.0.2.1/cgi-bin/"
	                                 "pkiclient.exe?operation=GetCRL"};
	X509 *x = (X509 *)0x1;
	CRL_DIST_POINTS *cdp;
	char *subj;

	assert_int_equal(ca_params_set(f->ca, &p), 0);
	assert_int_equal(
	    ca_issue_pubkey(f->ca, ec_key, "CN=", 0, &x), PKI_E_FORMAT);
	assert_ptr_equal(x, (X509 *)0x1);
	assert_int_equal(ca_issue_pubkey(f->ca, ec_key,
	                     "CN=SEP001122334455,OU=Phones,O=Lab", 30, &x),
	    0);
	subj = name_of(X509_get_subject_name(x));
	assert_string_equal(subj, "/CN=SEP001122334455/OU=Phones/O=Lab");
	OPENSSL_free(subj);
	/* No key encipherment for an EC key. */
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(
	    X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_int_equal(
	    t_of(X509_get0_notAfter(x)) - t_of(X509_get0_notBefore(x)),
	    (time_t)30 * DAY);
	cdp = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	assert_non_null(cdp);
	assert_int_equal(sk_DIST_POINT_num(cdp), 1);
	CRL_DIST_POINTS_free(cdp);
	assert_int_equal(X509_verify(x, ca_key), 1);
	assert_int_equal(verify_with_store(ca_cert(f->ca), x, NULL), X509_V_OK);
	X509_free(x);
}

/* ------------------------------------------------------------------ */
/* Database levels */

struct walk {
	uint64_t serial[8];
	int has_subject[8], has_der[8];
	size_t n;
};

static int
walk_cb(const struct store_cert *c, void *arg)
{
	struct walk *w = arg;

	if (w->n < NELEM(w->serial)) {
		w->serial[w->n] = c->serial;
		w->has_subject[w->n] = c->subject != NULL;
		w->has_der[w->n] = c->der != NULL;
		w->n++;
	}
	return 0;
}

static void
ca_database_level_decides_what_is_recorded(void **state)
{
	struct fx *f = *state;
	struct ca_params p = {.database_level = CA_DB_MINIMAL};
	struct store_cert *rec = NULL;
	struct walk w;
	X509 *x;
	unsigned char *der = NULL;
	int n;

	x = issue_rsa(f->ca, "CN=min");
	X509_free(x);
	memset(&w, 0, sizeof(w));
	assert_int_equal(ca_cert_foreach(f->ca, walk_cb, &w), 0);
	assert_int_equal(w.n, 0);

	p.database_level = CA_DB_NAMES;
	assert_int_equal(ca_params_set(f->ca, &p), 0);
	x = issue_rsa(f->ca, "CN=names,O=Lab");
	X509_free(x);
	assert_int_equal(store_cert_get(f->st, "CS", 3, &rec), 0);
	assert_string_equal(rec->subject, "O=Lab,CN=names");
	assert_null(rec->der);
	assert_true(rec->not_after > rec->not_before);
	store_cert_free(rec);

	p.database_level = CA_DB_COMPLETE;
	assert_int_equal(ca_params_set(f->ca, &p), 0);
	x = issue_rsa(f->ca, "CN=complete");
	assert_int_equal(store_cert_get(f->st, "CS", 4, &rec), 0);
	n = i2d_X509(x, &der);
	assert_int_equal(rec->der_len, (size_t)n);
	assert_memory_equal(rec->der, der, (size_t)n);
	store_cert_free(rec);
	OPENSSL_free(der);
	X509_free(x);

	memset(&w, 0, sizeof(w));
	assert_int_equal(ca_cert_foreach(f->ca, walk_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.serial[0], 3);
	assert_int_equal(w.has_der[0], 0);
	assert_int_equal(w.serial[1], 4);
	assert_int_equal(w.has_der[1], 1);
	p.database_level = 3;
	assert_int_equal(ca_params_set(f->ca, &p), PKI_E_INVAL);
}

/* ------------------------------------------------------------------ */
/* Revocation and CRL */

static uint64_t
crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	uint64_t v = 0;

	assert_non_null(n);
	assert_true(ASN1_INTEGER_get_uint64(&v, n));
	ASN1_INTEGER_free(n);
	return v;
}

static int
crl_has(X509_CRL *crl, uint64_t serial)
{
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	X509_REVOKED *r = NULL;
	int found;

	ASN1_INTEGER_set_uint64(sn, serial);
	found = X509_CRL_get0_by_serial(crl, &r, sn) == 1;
	ASN1_INTEGER_free(sn);
	return found;
}

static void
ca_revoked_serial_is_in_the_crl_and_fails_verification(void **state)
{
	struct fx *f = *state;
	X509 *a = issue_rsa(f->ca, "CN=a"), *b = issue_rsa(f->ca, "CN=b");
	X509_CRL *crl = NULL, *crl2 = NULL;
	X509 *trusted[1];
	const char *why = NULL;
	struct ca_info info;
	EVP_PKEY *pub = X509_get0_pubkey(ca_cert(f->ca));

	trusted[0] = ca_cert(f->ca);
	assert_int_equal(ca_revoke(f->ca, 2, 1), 0); /* keyCompromise */
	assert_int_equal(ca_revoke(f->ca, 2, 1), PKI_E_EXISTS);
	assert_int_equal(ca_revoke(f->ca, 1, 0), PKI_E_NOTFOUND);
	assert_int_equal(ca_revoke(f->ca, 4, 0), PKI_E_NOTFOUND);
	assert_int_equal(ca_revoke(f->ca, 3, 7), PKI_E_INVAL);

	assert_int_equal(ca_crl(f->ca, 0, &crl), 0);
	assert_int_equal(X509_CRL_verify(crl, pub), 1);
	assert_int_equal(
	    X509_CRL_get_signature_nid(crl), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(t_of(X509_CRL_get0_nextUpdate(crl)) -
	        t_of(X509_CRL_get0_lastUpdate(crl)),
	    (time_t)168 * 3600);
	assert_true(crl_has(crl, 2));
	assert_false(crl_has(crl, 3));
	assert_int_equal(crl_number(crl), 1);
	assert_int_equal(ca_info(f->ca, &info), 0);
	assert_int_equal(
	    info.crl_next_update, t_of(X509_CRL_get0_nextUpdate(crl)));

	/* Revoked: X509_V_ERR_CERT_REVOKED; the other one passes. */
	assert_int_equal(
	    verify_with_store(ca_cert(f->ca), a, crl), X509_V_ERR_CERT_REVOKED);
	assert_int_equal(verify_with_store(ca_cert(f->ca), b, crl), X509_V_OK);
	assert_int_equal(
	    pki_verify_chain(a, NULL, trusted, 1, &crl, 1, 1, &why),
	    PKI_E_VERIFY);
	assert_string_equal(
	    why, X509_verify_cert_error_string(X509_V_ERR_CERT_REVOKED));
	assert_int_equal(
	    pki_verify_chain(b, NULL, trusted, 1, &crl, 1, 1, &why), 0);
	/* Without the revocation check the revoked certificate passes;
	 * with it but without a CRL verification fails. */
	assert_int_equal(
	    pki_verify_chain(a, NULL, trusted, 1, NULL, 0, 0, &why), 0);
	assert_int_equal(
	    pki_verify_chain(b, NULL, trusted, 1, NULL, 0, 1, &why),
	    PKI_E_VERIFY);
	assert_string_equal(
	    why, X509_verify_cert_error_string(X509_V_ERR_UNABLE_TO_GET_CRL));
	/* An unrelated anchor does not verify. */
	assert_int_equal(
	    pki_verify_chain(b, NULL, &b, 1, NULL, 0, 0, &why), PKI_E_VERIFY);

	/* The next CRL has a higher number and the given lifetime. */
	assert_int_equal(ca_revoke(f->ca, 3, 0), 0);
	assert_int_equal(ca_crl(f->ca, 6, &crl2), 0);
	assert_int_equal(crl_number(crl2), 2);
	assert_true(crl_has(crl2, 2));
	assert_true(crl_has(crl2, 3));
	assert_int_equal(t_of(X509_CRL_get0_nextUpdate(crl2)) -
	        t_of(X509_CRL_get0_lastUpdate(crl2)),
	    (time_t)6 * 3600);
	assert_int_equal(verify_with_store(ca_cert(f->ca), b, crl2),
	    X509_V_ERR_CERT_REVOKED);

	X509_CRL_free(crl);
	X509_CRL_free(crl2);
	X509_free(a);
	X509_free(b);
}

/* ------------------------------------------------------------------ */
/* Request queue */

static void
md5_hex(X509_REQ *req, char out[33])
{
	unsigned char *der = NULL, md[16];
	unsigned int mdlen = 0, i;
	int n = i2d_X509_REQ(req, &der);

	assert_true(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_md5(), NULL));
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02X", md[i]);
	OPENSSL_free(der);
}

static void
ca_manual_grant_moves_requests_from_pending_to_issued(void **state)
{
	struct fx *f = *state;
	X509_REQ *r1 = make_csr(rsa_key, "CN=phone1", NULL);
	X509_REQ *r2 = make_csr(ec_key, "CN=phone2", NULL);
	struct ca_request *list = NULL;
	size_t n = 0, count = 0;
	int64_t id1 = 0, id2 = 0, again = 0;
	int st = -1;
	X509 *x = (X509 *)0x1;
	char fp[33];
	struct ca_info info;

	assert_int_equal(ca_request_add(f->ca, r1, "TID-1", &id1), 0);
	assert_int_equal(ca_request_add(f->ca, r2, "TID-2", &id2), 0);
	assert_true(id2 > id1);
	/* A SCEP retransmission gets the same id; another CSR is refused. */
	assert_int_equal(ca_request_add(f->ca, r1, "TID-1", &again), 0);
	assert_int_equal(again, id1);
	assert_int_equal(
	    ca_request_add(f->ca, r2, "TID-1", &again), PKI_E_EXISTS);

	assert_int_equal(ca_request_list(f->ca, &list, &n), 0);
	assert_int_equal(n, 2);
	md5_hex(r1, fp);
	assert_int_equal(list[0].id, id1);
	assert_int_equal(list[0].state, STORE_REQ_PENDING);
	assert_string_equal(list[0].fingerprint, fp);
	assert_string_equal(list[0].subject, "CN=phone1");
	assert_string_equal(list[0].transaction_id, "TID-1");
	assert_true(list[0].received > 0);
	ca_request_list_free(list, n);
	assert_int_equal(ca_info(f->ca, &info), 0);
	assert_int_equal(info.pending_requests, 2);
	assert_int_equal(info.last_serial, 1);

	/* Pending: no certificate for the poller yet. */
	assert_int_equal(
	    ca_request_lookup_by_transaction(f->ca, "TID-1", &st, &x), 0);
	assert_int_equal(st, STORE_REQ_PENDING);
	assert_null(x);

	assert_int_equal(ca_request_grant(f->ca, id1, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(
	    ca_request_lookup_by_transaction(f->ca, "TID-1", &st, &x), 0);
	assert_int_equal(st, STORE_REQ_ISSUED);
	assert_non_null(x);
	assert_int_equal(serial_of(x), 2);
	assert_int_equal(X509_verify(x, ca_key), 1);
	assert_int_equal(verify_with_store(ca_cert(f->ca), x, NULL), X509_V_OK);
	X509_free(x);
	x = (X509 *)0x1;
	assert_int_equal(ca_request_grant(f->ca, id1, NULL), PKI_E_STATE);
	assert_int_equal(ca_request_grant(f->ca, 999, NULL), PKI_E_NOTFOUND);

	/* Reject the other; it can then not be granted. */
	assert_int_equal(ca_request_reject(f->ca, id2, NULL), 0);
	assert_int_equal(ca_request_grant(f->ca, id2, NULL), PKI_E_STATE);
	assert_int_equal(ca_request_reject(f->ca, id2, NULL), PKI_E_STATE);
	assert_int_equal(
	    ca_request_lookup_by_transaction(f->ca, "TID-2", &st, &x), 0);
	assert_int_equal(st, STORE_REQ_REJECTED);
	assert_null(x);
	assert_int_equal(
	    ca_request_lookup_by_transaction(f->ca, "TID-9", &st, NULL),
	    PKI_E_NOTFOUND);

	assert_int_equal(ca_request_list(f->ca, &list, &n), 0);
	assert_int_equal(list[0].state, STORE_REQ_ISSUED);
	assert_int_equal(list[0].serial, 2);
	assert_int_equal(list[1].state, STORE_REQ_REJECTED);
	ca_request_list_free(list, n);

	assert_int_equal(ca_request_remove(f->ca, CA_REQUEST_ALL, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(ca_request_list(f->ca, &list, &n), 0);
	assert_int_equal(n, 0);
	ca_request_list_free(list, n);
	X509_REQ_free(r1);
	X509_REQ_free(r2);
}

static void
ca_grant_all_and_reject_all_act_on_pending_requests_only(void **state)
{
	struct fx *f = *state;
	X509_REQ *r = make_csr(ec_key, "CN=multi", NULL);
	int64_t ids[4];
	size_t count = 0, i;
	int st = -1;

	for (i = 0; i < 3; i++) {
		char tid[16];

		snprintf(tid, sizeof(tid), "T%zu", i);
		assert_int_equal(ca_request_add(f->ca, r, tid, &ids[i]), 0);
	}
	assert_int_equal(ca_request_reject(f->ca, ids[0], NULL), 0);
	assert_int_equal(ca_request_grant(f->ca, CA_REQUEST_ALL, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(ca_request_grant(f->ca, CA_REQUEST_ALL, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(
	    ca_request_lookup_by_transaction(f->ca, "T0", &st, NULL), 0);
	assert_int_equal(st, STORE_REQ_REJECTED);

	assert_int_equal(ca_request_add(f->ca, r, NULL, &ids[3]), 0);
	assert_int_equal(ca_request_reject(f->ca, CA_REQUEST_ALL, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(ca_request_remove(f->ca, ids[3], NULL), 0);
	assert_int_equal(
	    ca_request_remove(f->ca, ids[3], NULL), PKI_E_NOTFOUND);
	X509_REQ_free(r);
}

static void
ca_request_expire_drops_old_pending_requests_only(void **state)
{
	struct fx *f = *state;
	X509_REQ *r = make_csr(ec_key, "CN=old", NULL);
	struct ca_request *list = NULL;
	size_t n = 0, count = 9;
	int64_t a = 0, b = 0;
	time_t now = time(NULL);

	assert_int_equal(ca_request_add(f->ca, r, "A", &a), 0);
	assert_int_equal(ca_request_add(f->ca, r, "B", &b), 0);
	assert_int_equal(ca_request_grant(f->ca, b, NULL), 0);
	/* Not yet old at 168 hours. */
	assert_int_equal(ca_request_expire(f->ca, now, 168, &count), 0);
	assert_int_equal(count, 0);
	/* A week and a bit later only the pending one goes. */
	assert_int_equal(
	    ca_request_expire(f->ca, now + 169 * 3600, 168, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(ca_request_list(f->ca, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, b);
	ca_request_list_free(list, n);
	assert_int_equal(ca_request_expire(f->ca, now, 0, NULL), PKI_E_INVAL);
	X509_REQ_free(r);
}

static void
ca_grant_auto_issues_requests_on_arrival(void **state)
{
	struct fx *f = *state;
	struct ca_params p = {.grant_auto = 1};
	X509_REQ *r = make_csr(rsa_key, "CN=auto", NULL);
	struct ca_info info;
	int64_t id = 0;
	int st = -1;
	X509 *x = NULL;

	assert_int_equal(ca_params_set(f->ca, &p), 0);
	assert_int_equal(ca_request_add(f->ca, r, "AUTO", &id), 0);
	assert_int_equal(
	    ca_request_lookup_by_transaction(f->ca, "AUTO", &st, &x), 0);
	assert_int_equal(st, STORE_REQ_ISSUED);
	assert_non_null(x);
	assert_int_equal(serial_of(x), 2);
	assert_int_equal(ca_info(f->ca, &info), 0);
	assert_int_equal(info.grant_auto, 1);
	assert_int_equal(info.pending_requests, 0);
	X509_free(x);
	X509_REQ_free(r);
}

/* A request for the phone's key (ec_key) signed by the RA's (rsa_key). */
static X509_REQ *
vouched_csr(const char *subject)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = NULL;

	assert_int_equal(pki_name_parse(subject, &name), 0);
	assert_true(X509_REQ_set_subject_name(req, name));
	assert_true(X509_REQ_set_pubkey(req, ec_key));
	assert_true(X509_REQ_sign(req, rsa_key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return req;
}

/* CAPF through an RA: the RA signs the request for a phone's key; the
 * CA takes it only from an RA certificate it issued, marked "ioscs RA",
 * not revoked, with the RA's signature on the request. */
static void
ca_takes_ra_vouched_requests_only_from_a_trusted_ra(void **state)
{
	struct fx *f = *state;
	struct ca_params p = {.grant_auto = 1};
	X509 *ra = issue_rsa(f->ca, "CN=ioscs RA,O=Lab");
	X509 *ou = issue_rsa(f->ca, "CN=cme,OU=ioscs RA");
	X509 *plain = issue_rsa(f->ca, "CN=router1");
	X509_REQ *req = vouched_csr("CN=SEP001122334455,O=Lab");
	X509_REQ *self = make_csr(ec_key, "CN=SEP001122334455", NULL);
	X509 *x = NULL;
	int64_t id = 0;
	int st = -1;

	assert_int_equal(ca_params_set(f->ca, &p), 0);
	assert_true(ca_is_trusted_ra(f->ca, ra));
	assert_true(ca_is_trusted_ra(f->ca, ou));
	assert_false(ca_is_trusted_ra(f->ca, plain));
	assert_false(ca_is_trusted_ra(f->ca, ca_cert(f->ca)));
	/* An ordinary request cannot go through the vouched path... */
	assert_int_equal(
	    ca_request_add(f->ca, req, "V0", &id), PKI_E_SIGNATURE);
	assert_int_equal(
	    ca_request_add_vouched(f->ca, req, plain, "V1", &id), PKI_E_VERIFY);
	/* ...a request the RA did not sign neither. */
	assert_int_equal(ca_request_add_vouched(f->ca, self, ra, "V2", &id),
	    PKI_E_SIGNATURE);
	assert_int_equal(ca_request_add_vouched(f->ca, req, ra, "V3", &id), 0);
	assert_int_equal(
	    ca_request_lookup_by_transaction(f->ca, "V3", &st, &x), 0);
	assert_int_equal(st, STORE_REQ_ISSUED);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), ec_key), 1);
	{
		char *n = name_of(X509_get_subject_name(x));

		assert_string_equal(n, "/CN=SEP001122334455/O=Lab");
		OPENSSL_free(n);
	}
	X509_free(x);
	x = NULL;
	/* Manual grant re-reads the stored request: still vouched. */
	p.grant_auto = 0;
	assert_int_equal(ca_params_set(f->ca, &p), 0);
	assert_int_equal(ca_request_add_vouched(f->ca, req, ra, "V4", &id), 0);
	assert_int_equal(ca_request_grant(f->ca, id, NULL), 0);
	assert_int_equal(
	    ca_request_lookup_by_transaction(f->ca, "V4", &st, &x), 0);
	assert_int_equal(st, STORE_REQ_ISSUED);
	X509_free(x);
	/* A revoked RA is no longer trusted. */
	assert_int_equal(ca_revoke(f->ca, serial_of(ra), 1), 0);
	assert_false(ca_is_trusted_ra(f->ca, ra));
	assert_int_equal(
	    ca_request_add_vouched(f->ca, req, ra, "V5", &id), PKI_E_VERIFY);
	X509_REQ_free(req);
	X509_REQ_free(self);
	X509_free(ra);
	X509_free(ou);
	X509_free(plain);
}

/* ------------------------------------------------------------------ */
/* DN strings */

static void
pki_name_parse_accepts_ios_issuer_names(void **state)
{
	static const struct {
		const char *in;
		const char *oneline; /* NULL: PKI_E_FORMAT */
	} v[] = {
	    {"CN=cs1", "/CN=cs1"},
	    {"cn=cs1, ou=VPN ,o=Cisco,c=RU", "/CN=cs1/OU=VPN/O=Cisco/C=RU"},
	    {"CN=a\\,b", "/CN=a,b"},
	    {"O=x,CN=y", "/O=x/CN=y"},
	    {"emailAddress=a@b.c", "/emailAddress=a@b.c"},
	    {"", NULL},
	    {"CN", NULL},
	    {"=x", NULL},
	    {"CN=", NULL},
	    {"CN=a,,O=b", NULL},
	    {"FOO=bar", NULL},
	    {"C=USA", NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(v); i++) {
		X509_NAME *n = (X509_NAME *)0x1;
		int rc = pki_name_parse(v[i].in, &n);

		if (v[i].oneline == NULL) {
			if (rc != PKI_E_FORMAT)
				fail_msg("\"%s\": %d", v[i].in, rc);
			assert_ptr_equal(n, (X509_NAME *)0x1);
		} else {
			char *s;

			if (rc != 0)
				fail_msg("\"%s\": %d", v[i].in, rc);
			s = name_of(n);
			assert_string_equal(s, v[i].oneline);
			OPENSSL_free(s);
			X509_NAME_free(n);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Cross-check with the openssl command */

static int
write_pem(const char *path, X509 *x, X509_CRL *crl)
{
	FILE *fp = fopen(path, "w");
	int ok;

	if (fp == NULL)
		return 0;
	ok = x != NULL ? PEM_write_X509(fp, x) : PEM_write_X509_CRL(fp, crl);
	fclose(fp);
	return ok;
}

static int
run_openssl_verify(const struct fx *f, int crl_check, const char *leaf)
{
	char cmd[512];
	int status;

	snprintf(cmd, sizeof(cmd),
	    "cd %s && openssl verify -CAfile ca.pem %s %s >/dev/null 2>&1",
	    f->dir, crl_check ? "-crl_check -CRLfile crl.pem" : "", leaf);
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
openssl_command_verifies_issued_and_rejects_revoked(void **state)
{
	struct fx *f = *state;
	X509 *good = issue_rsa(f->ca, "CN=good"),
	     *gone = issue_rsa(f->ca, "CN=gone");
	X509_CRL *crl = NULL;
	char path[128];
	int rc;

	if (system("openssl version >/dev/null 2>&1") != 0) {
		X509_free(good);
		X509_free(gone);
		skip();
	}
	assert_int_equal(ca_revoke(f->ca, serial_of(gone), 4), 0);
	assert_int_equal(ca_crl(f->ca, 1, &crl), 0);
	snprintf(path, sizeof(path), "%s/ca.pem", f->dir);
	assert_true(write_pem(path, ca_cert(f->ca), NULL));
	snprintf(path, sizeof(path), "%s/good.pem", f->dir);
	assert_true(write_pem(path, good, NULL));
	snprintf(path, sizeof(path), "%s/gone.pem", f->dir);
	assert_true(write_pem(path, gone, NULL));
	snprintf(path, sizeof(path), "%s/crl.pem", f->dir);
	assert_true(write_pem(path, NULL, crl));

	rc = run_openssl_verify(f, 0, "good.pem");
	assert_int_equal(rc, 0);
	assert_int_equal(run_openssl_verify(f, 0, "gone.pem"), 0);
	assert_int_equal(run_openssl_verify(f, 1, "good.pem"), 0);
	assert_int_not_equal(run_openssl_verify(f, 1, "gone.pem"), 0);
	X509_CRL_free(crl);
	X509_free(good);
	X509_free(gone);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        ca_certificate_has_the_ios_profile, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_creation_generates_a_2048_bit_key_and_uses_issuer_name,
	        fx_setup_bare, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_open_refuses_bad_labels_and_params, fx_setup_bare,
	        fx_teardown),
	    cmocka_unit_test(ca_reopens_with_the_same_certificate_and_serials),
	    cmocka_unit_test_setup_teardown(
	        ca_takes_ra_vouched_requests_only_from_a_trusted_ra, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_open_detects_a_replaced_key, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_issues_from_a_csr_with_the_leaf_profile, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_refuses_a_csr_with_a_bad_signature_without_using_a_serial,
	        fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_caps_lifetimes_at_the_ca_end_minus_a_month, fx_setup_bare,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_issues_capf_certificates_for_bare_public_keys, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_database_level_decides_what_is_recorded, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_revoked_serial_is_in_the_crl_and_fails_verification,
	        fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_manual_grant_moves_requests_from_pending_to_issued, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_grant_all_and_reject_all_act_on_pending_requests_only,
	        fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_request_expire_drops_old_pending_requests_only, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        ca_grant_auto_issues_requests_on_arrival, fx_setup,
	        fx_teardown),
	    cmocka_unit_test(pki_name_parse_accepts_ios_issuer_names),
	    cmocka_unit_test_setup_teardown(
	        openssl_command_verifies_issued_and_rejects_revoked, fx_setup,
	        fx_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
