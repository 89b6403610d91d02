/*
 * Unit tests of src/fmt/scep.c: in-process round trips client -> server ->
 * client with keys generated here, error paths, and real micromdm bytes
 * from tests/data/scep (see the README there).
 *
 * With SCEP_SEED_DIR set, the test also writes messages for the fuzz seed
 * corpus (addressed to the fixture CA that tests/fuzz/fuzz_scep.c embeds).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fmt/scep.h"

#define DATA_DIR "tests/data/scep/"
#define CHALLENGE "s3cret-Pw"

/* Generated once for all tests: keygen is the slow part. */
static EVP_PKEY *ca_key, *cli_key;
static X509 *ca_cert;
/* The micromdm fixture CA: a second, independent CA. */
static EVP_PKEY *fx_key;
static X509 *fx_cert;

/* ------------------------------------------------------------------ */
/* Helpers */

static EVP_PKEY *
rsa_new(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);

	assert_non_null(k);
	return k;
}

static X509_NAME *
name_new(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	assert_true(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"OpenCME Test", -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(
	    n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0));
	return n;
}

static void
ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_true(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

/* Issue a cert for pub under issuer (NULL: self-signed with key). */
static X509 *
cert_issue(const X509_NAME *subject, EVP_PKEY *pub, X509 *issuer,
    EVP_PKEY *issuer_key, long serial, int is_ca)
{
	X509 *x = X509_new();

	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	assert_true(X509_set_subject_name(x, subject));
	assert_true(X509_set_issuer_name(
	    x, issuer != NULL ? X509_get_subject_name(issuer) : subject));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, pub));
	if (is_ca) {
		ext_add(x, issuer != NULL ? issuer : x, NID_basic_constraints,
		    "critical,CA:TRUE");
		ext_add(x, issuer != NULL ? issuer : x, NID_key_usage,
		    "critical,keyCertSign,cRLSign,digitalSignature");
	} else {
		ext_add(x, issuer != NULL ? issuer : x, NID_key_usage,
		    "critical,digitalSignature,keyEncipherment");
	}
	assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	return x;
}

static X509_REQ *
csr_new(EVP_PKEY *key, const char *cn, const char *challenge)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = name_new(cn);

	assert_non_null(r);
	assert_true(X509_REQ_set_version(r, 0));
	assert_true(X509_REQ_set_subject_name(r, n));
	assert_true(X509_REQ_set_pubkey(r, key));
	if (challenge != NULL)
		assert_true(
		    X509_REQ_add1_attr_by_NID(r, NID_pkcs9_challengePassword,
		        MBSTRING_ASC, (const unsigned char *)challenge, -1));
	assert_true(X509_REQ_sign(r, key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return r;
}

static X509_CRL *
crl_new(void)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	assert_non_null(c);
	assert_true(X509_CRL_set_version(c, 1));
	assert_true(
	    X509_CRL_set_issuer_name(c, X509_get_subject_name(ca_cert)));
	assert_non_null(X509_gmtime_adj(t, 0));
	assert_true(X509_CRL_set1_lastUpdate(c, t));
	assert_non_null(X509_gmtime_adj(t, 86400));
	assert_true(X509_CRL_set1_nextUpdate(c, t));
	assert_true(X509_CRL_sign(c, ca_key, EVP_sha256()) > 0);
	ASN1_TIME_free(t);
	return c;
}

static uint8_t *
file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *d;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	d = malloc((size_t)n);
	assert_non_null(d);
	assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return d;
}

static X509 *
pem_cert_read(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *
pem_key_read(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

/* The content-encryption cipher NID of a CertRep's envelope. */
static int
certrep_envelope_nid(const struct buf *rep)
{
	const unsigned char *p = (const unsigned char *)rep->data;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)rep->len), *env;
	ASN1_OCTET_STRING *os;
	int nid;

	assert_non_null(p7);
	os = p7->d.sign->contents->d.data;
	p = os->data;
	env = d2i_PKCS7(NULL, &p, os->length);
	assert_non_null(env);
	nid = OBJ_obj2nid(env->d.enveloped->enc_data->algorithm->algorithm);
	PKCS7_free(env);
	PKCS7_free(p7);
	return nid;
}

static void
seed_write(const char *name, const void *data, size_t len)
{
	const char *dir = getenv("SCEP_SEED_DIR");
	char path[1024];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Client request -> server parse; checks the common fields. */
static struct scep_request *
server_parse_ok(const struct buf *der, const struct scep_client_state *st)
{
	struct scep_request *req = NULL;
	struct scep_error err;
	int rc;

	rc = scep_request_parse(
	    (const uint8_t *)der->data, der->len, ca_cert, ca_key, &req, &err);
	if (rc != SCEP_OK)
		print_error("parse: %s (%s)\n", scep_err_str(rc),
		    err.what != NULL ? err.what : "-");
	assert_int_equal(rc, SCEP_OK);
	assert_non_null(req);
	assert_int_equal(req->msg_type, st->msg_type);
	assert_string_equal(req->transaction_id, st->transaction_id);
	assert_int_equal(req->sender_nonce_len, SCEP_NONCE_LEN);
	assert_memory_equal(
	    req->sender_nonce, st->sender_nonce, SCEP_NONCE_LEN);
	assert_int_equal(X509_cmp(req->signer_cert, st->signer_cert), 0);
	return req;
}

static X509 *
issue_for(const struct scep_request *req)
{
	return cert_issue(X509_REQ_get_subject_name(req->csr),
	    X509_REQ_get0_pubkey(req->csr), ca_cert, ca_key, 1000, 0);
}

/* ------------------------------------------------------------------ */
/* Round trips */

static void
test_pkcsreq_roundtrip(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP001122334455", CHALLENGE);
	struct buf der = BUF_INIT, rep = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req;
	struct scep_reply *r = NULL;
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509 *issued;

	(void)state;
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, NULL, &der, &st),
	    SCEP_OK);
	assert_int_equal(st->msg_type, SCEP_MSG_PKCSREQ);
	assert_int_equal(strlen(st->transaction_id), 64); /* hex SHA-256 */
	req = server_parse_ok(&der, st);
	assert_int_equal(req->cipher, SCEP_CIPHER_AES128);
	assert_int_equal(req->digest_nid, NID_sha256);
	assert_true(req->is_signer_self_signed);
	assert_true(req->is_signer_csr_key);
	assert_non_null(req->csr);
	assert_int_equal(X509_NAME_cmp(X509_REQ_get_subject_name(req->csr),
	                     X509_REQ_get_subject_name(csr)),
	    0);
	assert_string_equal(req->challenge_password, CHALLENGE);
	assert_null(req->issuer);

	issued = issue_for(req);
	assert_true(sk_X509_push(extra, ca_cert));
	assert_int_equal(
	    scep_reply_success_cert(req, issued, extra, ca_cert, ca_key, &rep),
	    SCEP_OK);
	assert_int_equal(certrep_envelope_nid(&rep), NID_aes_128_cbc);
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_OK);
	assert_int_equal(r->pki_status, SCEP_STATUS_SUCCESS);
	assert_int_equal(r->fail_info, SCEP_FAIL_NONE);
	assert_string_equal(r->transaction_id, st->transaction_id);
	assert_int_equal(X509_cmp(r->issued, issued), 0);
	assert_int_equal(sk_X509_num(r->certs), 2);
	assert_null(r->crl);

	scep_reply_free(r);
	sk_X509_free(extra);
	X509_free(issued);
	scep_request_free(req);
	scep_client_state_free(st);
	buf_free(&rep);
	buf_free(&der);
	X509_REQ_free(csr);
}

static void
test_pending_then_certpoll(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP0000000000AA", CHALLENGE);
	struct buf der = BUF_INIT, rep = BUF_INIT, poll = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req, *preq;
	struct scep_reply *r = NULL;
	uint8_t first_nonce[SCEP_NONCE_LEN];
	X509 *issued;

	(void)state;
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, "TX-1", NULL, &der, &st),
	    SCEP_OK);
	req = server_parse_ok(&der, st);
	assert_int_equal(
	    scep_reply_pending(req, ca_cert, ca_key, &rep), SCEP_OK);
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_OK);
	assert_int_equal(r->pki_status, SCEP_STATUS_PENDING);
	assert_null(r->issued);
	scep_reply_free(r);
	r = NULL;

	/* Poll: same transaction, new nonce, IssuerAndSubject inside. */
	memcpy(first_nonce, st->sender_nonce, sizeof(first_nonce));
	assert_int_equal(
	    scep_certpoll_build(st, cli_key, ca_cert, NULL, &poll), SCEP_OK);
	assert_int_equal(st->msg_type, SCEP_MSG_CERTPOLL);
	assert_memory_not_equal(
	    first_nonce, st->sender_nonce, sizeof(first_nonce));
	preq = server_parse_ok(&poll, st);
	assert_string_equal(preq->transaction_id, "TX-1");
	assert_null(preq->csr);
	assert_int_equal(
	    X509_NAME_cmp(preq->issuer, X509_get_subject_name(ca_cert)), 0);
	assert_int_equal(
	    X509_NAME_cmp(preq->subject, X509_REQ_get_subject_name(csr)), 0);

	/* The pending reply to the first request no longer matches. */
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_E_NONCE);
	assert_null(r);

	issued = issue_for(req);
	buf_reset(&rep);
	assert_int_equal(
	    scep_reply_success_cert(preq, issued, NULL, ca_cert, ca_key, &rep),
	    SCEP_OK);
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_OK);
	assert_int_equal(r->pki_status, SCEP_STATUS_SUCCESS);
	assert_int_equal(X509_cmp(r->issued, issued), 0);
	assert_int_equal(sk_X509_num(r->certs), 1);

	/* A seed: a poll in this transaction, to the fixture CA. */
	buf_reset(&poll);
	assert_int_equal(
	    scep_certpoll_build(st, cli_key, fx_cert, NULL, &poll), SCEP_OK);
	seed_write("certpoll.der", poll.data, poll.len);

	scep_reply_free(r);
	X509_free(issued);
	scep_request_free(preq);
	scep_request_free(req);
	scep_client_state_free(st);
	buf_free(&poll);
	buf_free(&rep);
	buf_free(&der);
	X509_REQ_free(csr);
}

static void
test_failure_reply(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP0000000000BB", "wrong");
	struct buf der = BUF_INIT, rep = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req;
	struct scep_reply *r = NULL;

	(void)state;
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, NULL, &der, &st),
	    SCEP_OK);
	req = server_parse_ok(&der, st);
	assert_string_equal(req->challenge_password, "wrong");
	assert_int_equal(
	    scep_reply_failure(req, 7, ca_cert, ca_key, &rep), SCEP_E_ARG);
	assert_int_equal(rep.len, 0);
	assert_int_equal(scep_reply_failure(
	                     req, SCEP_FAIL_BAD_REQUEST, ca_cert, ca_key, &rep),
	    SCEP_OK);
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_OK);
	assert_int_equal(r->pki_status, SCEP_STATUS_FAILURE);
	assert_int_equal(r->fail_info, SCEP_FAIL_BAD_REQUEST);
	assert_string_equal(scep_fail_info_str(r->fail_info), "badRequest");
	assert_null(r->issued);
	scep_reply_free(r);
	scep_request_free(req);
	scep_client_state_free(st);
	buf_free(&rep);
	buf_free(&der);
	X509_REQ_free(csr);
}

/* Every envelope cipher and digest, each answered with the same cipher. */
static void
test_ciphers_and_digests(void **state)
{
	static const struct {
		int cipher, digest, nid, digest_nid;
		const char *seed;
	} v[] = {
	    {SCEP_CIPHER_AES128, SCEP_DIGEST_SHA1, NID_aes_128_cbc, NID_sha1,
	        "pkcsreq-aes128-sha1.der"},
	    {SCEP_CIPHER_AES256, SCEP_DIGEST_SHA512, NID_aes_256_cbc,
	        NID_sha512, "pkcsreq-aes256-sha512.der"},
	    {SCEP_CIPHER_DES3, SCEP_DIGEST_SHA256, NID_des_ede3_cbc, NID_sha256,
	        "pkcsreq-des3.der"},
	    {SCEP_CIPHER_DES, SCEP_DIGEST_SHA1, NID_des_cbc, NID_sha1,
	        "pkcsreq-des.der"},
	};
	X509_REQ *csr = csr_new(cli_key, "SEP0000000000CC", CHALLENGE);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct scep_build_opts o = {0, v[i].cipher, v[i].digest, NULL};
		struct buf der = BUF_INIT, rep = BUF_INIT, fx = BUF_INIT;
		struct scep_client_state *st = NULL, *fst = NULL;
		struct scep_request *req;
		struct scep_reply *r = NULL;
		X509 *issued;

		assert_int_equal(scep_pkcsreq_build(csr, cli_key, ca_cert, NULL,
		                     &o, &der, &st),
		    SCEP_OK);
		req = server_parse_ok(&der, st);
		assert_int_equal(req->cipher, v[i].cipher);
		assert_int_equal(req->digest_nid, v[i].digest_nid);
		issued = issue_for(req);
		assert_int_equal(scep_reply_success_cert(
		                     req, issued, NULL, ca_cert, ca_key, &rep),
		    SCEP_OK);
		assert_int_equal(certrep_envelope_nid(&rep), v[i].nid);
		assert_int_equal(scep_reply_parse((const uint8_t *)rep.data,
		                     rep.len, ca_cert, st, cli_key, &r, NULL),
		    SCEP_OK);
		assert_int_equal(X509_cmp(r->issued, issued), 0);
		/* A seed for the fuzz corpus, addressed to the fixture CA. */
		assert_int_equal(scep_pkcsreq_build(csr, cli_key, fx_cert, NULL,
		                     &o, &fx, &fst),
		    SCEP_OK);
		seed_write(v[i].seed, fx.data, fx.len);
		scep_client_state_free(fst);
		scep_reply_free(r);
		X509_free(issued);
		scep_request_free(req);
		scep_client_state_free(st);
		buf_free(&fx);
		buf_free(&rep);
		buf_free(&der);
	}
	X509_REQ_free(csr);
}

/* RenewalReq signed with the existing cert; GetCert and GetCRL. */
static void
test_renewal_getcert_getcrl(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP0000000000DD", NULL);
	X509 *old = cert_issue(
	    X509_REQ_get_subject_name(csr), cli_key, ca_cert, ca_key, 77, 0);
	struct scep_build_opts o = {
	    SCEP_MSG_RENEWALREQ, SCEP_CIPHER_AES128, SCEP_DIGEST_SHA256, NULL};
	struct buf der = BUF_INIT, rep = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req;
	struct scep_reply *r = NULL;
	X509_CRL *crl = crl_new();

	(void)state;
	/* RenewalReq needs the old certificate. */
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, &o, &der, &st),
	    SCEP_E_ARG);
	assert_null(st);
	o.signer_cert = old;
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, &o, &der, &st),
	    SCEP_OK);
	req = server_parse_ok(&der, st);
	assert_int_equal(req->msg_type, SCEP_MSG_RENEWALREQ);
	assert_false(req->is_signer_self_signed);
	assert_true(req->is_signer_csr_key);
	assert_null(req->challenge_password);
	assert_int_equal(X509_cmp(req->signer_cert, old), 0);
	scep_request_free(req);
	scep_client_state_free(st);
	st = NULL;
	buf_reset(&der);

	/* GetCert */
	assert_int_equal(
	    scep_issuer_serial_build(SCEP_MSG_GETCERT,
	        X509_get_subject_name(ca_cert), X509_get0_serialNumber(old),
	        old, cli_key, ca_cert, &der, &st),
	    SCEP_OK);
	req = server_parse_ok(&der, st);
	assert_int_equal(
	    X509_NAME_cmp(req->issuer, X509_get_subject_name(ca_cert)), 0);
	assert_int_equal(ASN1_INTEGER_get(req->serial), 77);
	assert_null(req->subject);
	assert_int_equal(
	    scep_reply_success_cert(req, old, NULL, ca_cert, ca_key, &rep),
	    SCEP_OK);
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_OK);
	assert_int_equal(X509_cmp(r->issued, old), 0);
	scep_reply_free(r);
	r = NULL;
	scep_request_free(req);
	scep_client_state_free(st);
	st = NULL;
	buf_reset(&der);
	buf_reset(&rep);

	/* GetCRL */
	assert_int_equal(
	    scep_issuer_serial_build(SCEP_MSG_GETCRL,
	        X509_get_subject_name(ca_cert), X509_get0_serialNumber(old),
	        old, cli_key, ca_cert, &der, &st),
	    SCEP_OK);
	req = server_parse_ok(&der, st);
	assert_int_equal(req->msg_type, SCEP_MSG_GETCRL);
	assert_int_equal(
	    scep_reply_success_crl(req, crl, ca_cert, ca_key, &rep), SCEP_OK);
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_OK);
	assert_non_null(r->crl);
	assert_null(r->issued);
	assert_int_equal(X509_CRL_cmp(r->crl, crl), 0);
	scep_reply_free(r);
	scep_request_free(req);
	scep_client_state_free(st);

	/* Seeds: the same messages for the fixture CA. */
	if (getenv("SCEP_SEED_DIR") != NULL) {
		static const int types[] = {SCEP_MSG_GETCERT, SCEP_MSG_GETCRL};
		size_t i;

		for (i = 0; i < 2; i++) {
			struct buf s = BUF_INIT;

			st = NULL;
			assert_int_equal(scep_issuer_serial_build(types[i],
			                     X509_get_subject_name(fx_cert),
			                     X509_get0_serialNumber(old), old,
			                     cli_key, fx_cert, &s, &st),
			    SCEP_OK);
			seed_write(i == 0 ? "getcert.der" : "getcrl.der",
			    s.data, s.len);
			scep_client_state_free(st);
			buf_free(&s);
		}
		st = NULL;
		buf_reset(&der);
		assert_int_equal(scep_pkcsreq_build(csr, cli_key, fx_cert, NULL,
		                     &o, &der, &st),
		    SCEP_OK);
		seed_write("renewalreq.der", der.data, der.len);
		scep_client_state_free(st);
	}
	X509_CRL_free(crl);
	buf_free(&rep);
	buf_free(&der);
	X509_free(old);
	X509_REQ_free(csr);
}

/* ------------------------------------------------------------------ */
/* Errors */

static void
test_wrong_recipient(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP0000000000EE", CHALLENGE);
	struct buf der = BUF_INIT, rep = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req = NULL;
	struct scep_reply *r = NULL;
	struct scep_error err;
	int rc;

	(void)state;
	/* Enveloped to the fixture CA, parsed by our CA. */
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, fx_cert, NULL, NULL, &der, &st),
	    SCEP_OK);
	rc = scep_request_parse(
	    (const uint8_t *)der.data, der.len, ca_cert, ca_key, &req, &err);
	assert_int_equal(rc, SCEP_E_RECIPIENT);
	assert_int_equal(err.fail_info, SCEP_FAIL_BAD_MESSAGE_CHECK);
	assert_true(err.can_reply);
	assert_non_null(err.what);
	/* Authenticated: a partial request to answer with FAILURE. */
	assert_non_null(req);
	assert_null(req->csr);
	assert_string_equal(req->transaction_id, st->transaction_id);
	assert_int_equal(
	    scep_reply_failure(req, err.fail_info, ca_cert, ca_key, &rep),
	    SCEP_OK);
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_OK);
	assert_int_equal(r->pki_status, SCEP_STATUS_FAILURE);
	assert_int_equal(r->fail_info, SCEP_FAIL_BAD_MESSAGE_CHECK);
	scep_reply_free(r);
	r = NULL;

	/* The client refuses a reply signed by another CA. */
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     fx_cert, st, cli_key, &r, &err),
	    SCEP_E_SIGNATURE);
	assert_null(r);

	scep_request_free(req);
	scep_client_state_free(st);
	buf_free(&rep);
	buf_free(&der);
	X509_REQ_free(csr);
}

/* Offset of needle in hay, or -1. */
static long
find(const struct buf *hay, const uint8_t *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= hay->len; i++)
		if (memcmp(hay->data + i, needle, n) == 0)
			return (long)i;
	return -1;
}

static void
test_tampered(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP0000000000FF", CHALLENGE);
	struct buf der = BUF_INIT, rep = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req = NULL;
	struct scep_reply *r = NULL;
	struct scep_error err;
	const unsigned char *p;
	PKCS7 *p7;
	ASN1_OCTET_STRING *os;
	long off;

	(void)state;
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, NULL, &der, &st),
	    SCEP_OK);
	/* Signature value: the last bytes of the message. */
	der.data[der.len - 1] ^= 0x01;
	assert_int_equal(scep_request_parse((const uint8_t *)der.data, der.len,
	                     ca_cert, ca_key, &req, &err),
	    SCEP_E_SIGNATURE);
	assert_int_equal(err.fail_info, SCEP_FAIL_BAD_MESSAGE_CHECK);
	assert_false(err.can_reply);
	assert_null(req);
	der.data[der.len - 1] ^= 0x01;

	/* A byte of the signed content (the envelope). */
	p = (const unsigned char *)der.data;
	p7 = d2i_PKCS7(NULL, &p, (long)der.len);
	assert_non_null(p7);
	os = p7->d.sign->contents->d.data;
	off = find(&der, os->data + os->length - 16, 16);
	assert_true(off > 0);
	PKCS7_free(p7);
	der.data[off] ^= 0x80;
	assert_int_equal(scep_request_parse((const uint8_t *)der.data, der.len,
	                     ca_cert, ca_key, &req, &err),
	    SCEP_E_SIGNATURE);
	assert_null(req);
	der.data[off] ^= 0x80;

	/* Intact again: parses; a tampered CertRep is refused. */
	req = server_parse_ok(&der, st);
	assert_int_equal(
	    scep_reply_pending(req, ca_cert, ca_key, &rep), SCEP_OK);
	rep.data[rep.len - 3] ^= 0x10;
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, &err),
	    SCEP_E_SIGNATURE);
	assert_null(r);

	scep_request_free(req);
	scep_client_state_free(st);
	buf_free(&rep);
	buf_free(&der);
	X509_REQ_free(csr);
}

static void
test_reply_mismatch(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP000000000100", CHALLENGE);
	struct buf der = BUF_INIT, rep = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req;
	struct scep_reply *r = NULL;
	char *saved;

	(void)state;
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, NULL, &der, &st),
	    SCEP_OK);
	req = server_parse_ok(&der, st);
	assert_int_equal(
	    scep_reply_pending(req, ca_cert, ca_key, &rep), SCEP_OK);
	saved = st->transaction_id;
	st->transaction_id = "another";
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_E_TRANSACTION);
	st->transaction_id = saved;
	st->sender_nonce[3] ^= 1;
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     ca_cert, st, cli_key, &r, NULL),
	    SCEP_E_NONCE);
	st->sender_nonce[3] ^= 1;
	/* A request is not a CertRep, even when its signer is pinned. */
	assert_int_equal(scep_reply_parse((const uint8_t *)der.data, der.len,
	                     st->signer_cert, st, cli_key, &r, NULL),
	    SCEP_E_MSGTYPE);
	assert_null(r);
	scep_request_free(req);
	scep_client_state_free(st);
	buf_free(&rep);
	buf_free(&der);
	X509_REQ_free(csr);
}

static void
test_truncated_and_garbage(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP000000000200", CHALLENGE);
	struct buf der = BUF_INIT, big = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req = NULL;
	struct scep_error err;
	uint8_t junk[512];
	size_t n;
	int rc;

	(void)state;
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, NULL, &der, &st),
	    SCEP_OK);
	for (n = 0; n < der.len; n++) {
		rc = scep_request_parse(
		    (const uint8_t *)der.data, n, ca_cert, ca_key, &req, &err);
		assert_int_equal(rc, SCEP_E_DER);
		assert_int_equal(err.fail_info, SCEP_FAIL_BAD_REQUEST);
		assert_null(req);
		if (n == 1 || n == der.len / 2)
			seed_write(n == 1 ? "trunc-1.der" : "trunc-half.der",
			    der.data, n);
	}
	/* Trailing bytes: reported at the end of the message. */
	buf_putc(&der, 0);
	rc = scep_request_parse(
	    (const uint8_t *)der.data, der.len, ca_cert, ca_key, &req, &err);
	assert_int_equal(rc, SCEP_E_DER);
	assert_int_equal(err.offset, der.len - 1);
	assert_null(req);

	assert_int_equal(RAND_bytes(junk, sizeof(junk)), 1);
	junk[0] = 0x30; /* looks like a SEQUENCE */
	rc =
	    scep_request_parse(junk, sizeof(junk), ca_cert, ca_key, &req, &err);
	assert_true(rc == SCEP_E_DER || rc == SCEP_E_FORMAT);
	assert_null(req);
	seed_write("garbage.der", junk, 64);

	/* Over the cap: refused before decoding. */
	buf_grow(&big, SCEP_MAX_MESSAGE + 1);
	memset(big.data, 0x30, SCEP_MAX_MESSAGE + 1);
	big.len = SCEP_MAX_MESSAGE + 1;
	rc = scep_request_parse(
	    (const uint8_t *)big.data, big.len, ca_cert, ca_key, &req, &err);
	assert_int_equal(rc, SCEP_E_TOOBIG);
	assert_null(req);

	/* Arguments */
	assert_int_equal(
	    scep_request_parse(NULL, 10, ca_cert, ca_key, &req, NULL),
	    SCEP_E_ARG);
	assert_int_equal(scep_request_parse((const uint8_t *)der.data, der.len,
	                     NULL, ca_key, &req, NULL),
	    SCEP_E_ARG);
	assert_string_equal(scep_err_str(SCEP_E_RECIPIENT),
	    "message not encrypted to this CA/RA certificate");
	assert_string_equal(scep_err_str(12345), "unknown error");
	assert_string_equal(scep_msg_type_str(SCEP_MSG_CERTPOLL), "CertPoll");

	scep_client_state_free(st);
	buf_free(&big);
	buf_free(&der);
	X509_REQ_free(csr);
}

/*
 * A pkiMessage built by hand (PKCS7 API, not the codec's builders), so
 * that any messageType can carry any content.
 */
static void
raw_message(int msg_type, const uint8_t *content, size_t len, struct buf *out)
{
	static const uint8_t nonce[SCEP_NONCE_LEN] = {
	    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	int flags = PKCS7_PARTIAL | PKCS7_BINARY | PKCS7_NOSMIMECAP;
	STACK_OF(X509) *rcpt = sk_X509_new_null();
	BIO *in =
	    BIO_new_mem_buf(len > 0 ? content : (const uint8_t *)"", (int)len);
	BIO *envb;
	PKCS7 *env, *p7;
	PKCS7_SIGNER_INFO *si;
	ASN1_STRING *s;
	unsigned char *d = NULL;
	char num[16];
	int n;

	assert_true(sk_X509_push(rcpt, ca_cert));
	env = PKCS7_encrypt(rcpt, in, EVP_aes_128_cbc(), PKCS7_BINARY);
	assert_non_null(env);
	n = i2d_PKCS7(env, &d);
	assert_true(n > 0);
	p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags);
	si = PKCS7_sign_add_signer(p7, ca_cert, ca_key, EVP_sha256(), flags);
	assert_non_null(si);
	s = ASN1_STRING_type_new(V_ASN1_PRINTABLESTRING);
	snprintf(num, sizeof(num), "%d", msg_type);
	assert_true(ASN1_STRING_set(s, num, -1));
	assert_true(PKCS7_add_signed_attribute(si,
	    OBJ_txt2nid("2.16.840.1.113733.1.9.2"), V_ASN1_PRINTABLESTRING, s));
	s = ASN1_STRING_type_new(V_ASN1_PRINTABLESTRING);
	assert_true(ASN1_STRING_set(s, "RAW-1", -1));
	assert_true(PKCS7_add_signed_attribute(si,
	    OBJ_txt2nid("2.16.840.1.113733.1.9.7"), V_ASN1_PRINTABLESTRING, s));
	s = ASN1_OCTET_STRING_new();
	assert_true(ASN1_OCTET_STRING_set(s, nonce, sizeof(nonce)));
	assert_true(PKCS7_add_signed_attribute(si,
	    OBJ_txt2nid("2.16.840.1.113733.1.9.5"), V_ASN1_OCTET_STRING, s));
	envb = BIO_new_mem_buf(d, n);
	assert_true(PKCS7_final(p7, envb, PKCS7_BINARY));
	OPENSSL_free(d);
	d = NULL;
	n = i2d_PKCS7(p7, &d);
	assert_true(n > 0);
	buf_append(out, d, (size_t)n);
	OPENSSL_free(d);
	BIO_free(envb);
	BIO_free(in);
	PKCS7_free(p7);
	PKCS7_free(env);
	sk_X509_free(rcpt);
}

/* Parse a raw message: expect rc, a reply-able partial request. */
static void
raw_expect(int msg_type, const uint8_t *content, size_t len, int rc_want,
    int fail_want)
{
	struct buf der = BUF_INIT;
	struct scep_request *req = NULL;
	struct scep_error err;

	raw_message(msg_type, content, len, &der);
	assert_int_equal(scep_request_parse((const uint8_t *)der.data, der.len,
	                     ca_cert, ca_key, &req, &err),
	    rc_want);
	assert_int_equal(err.fail_info, fail_want);
	assert_true(err.can_reply);
	assert_non_null(req);
	assert_string_equal(req->transaction_id, "RAW-1");
	assert_null(req->csr);
	assert_null(req->issuer);
	scep_request_free(req);
	buf_free(&der);
}

/* Well-signed messages whose content or type is wrong. */
static void
test_bad_content(void **state)
{
	X509_REQ *csr = csr_new(cli_key, "SEP000000000300", CHALLENGE);
	struct buf der = BUF_INIT;
	struct scep_client_state *st = NULL;
	struct scep_request *req = NULL;
	struct scep_build_opts o = {
	    0, SCEP_CIPHER_AES128, SCEP_DIGEST_SHA256, ca_cert};
	unsigned char *d = NULL;
	int n;

	(void)state;
	/* Initialise the module (OIDs) for raw_message(). */
	assert_int_equal(scep_request_parse((const uint8_t *)"", 0, ca_cert,
	                     ca_key, &req, NULL),
	    SCEP_E_DER);
	n = i2d_X509_REQ(csr, &d);
	assert_true(n > 100);

	/* The raw builder itself is sound. */
	raw_message(SCEP_MSG_PKCSREQ, d, (size_t)n, &der);
	assert_int_equal(scep_request_parse((const uint8_t *)der.data, der.len,
	                     ca_cert, ca_key, &req, NULL),
	    SCEP_OK);
	assert_string_equal(req->challenge_password, CHALLENGE);
	assert_false(req->is_signer_csr_key);
	scep_request_free(req);
	req = NULL;

	/* A CSR where IssuerAndSubject belongs, and the reverse. */
	raw_expect(SCEP_MSG_CERTPOLL, d, (size_t)n, SCEP_E_CONTENT,
	    SCEP_FAIL_BAD_REQUEST);
	raw_expect(SCEP_MSG_GETCRL, d, (size_t)n, SCEP_E_CONTENT,
	    SCEP_FAIL_BAD_REQUEST);
	raw_expect(SCEP_MSG_PKCSREQ, (const uint8_t *)"\x30\x00", 2,
	    SCEP_E_CONTENT, SCEP_FAIL_BAD_REQUEST);
	raw_expect(
	    SCEP_MSG_PKCSREQ, NULL, 0, SCEP_E_CONTENT, SCEP_FAIL_BAD_REQUEST);
	/* Unknown and reply-only message types. */
	raw_expect(99, d, (size_t)n, SCEP_E_MSGTYPE, SCEP_FAIL_BAD_REQUEST);
	raw_expect(SCEP_MSG_CERTREP, d, (size_t)n, SCEP_E_MSGTYPE,
	    SCEP_FAIL_BAD_REQUEST);
	/* A CSR whose self-signature is broken. */
	d[n - 1] ^= 0x01;
	raw_expect(SCEP_MSG_PKCSREQ, d, (size_t)n, SCEP_E_CONTENT,
	    SCEP_FAIL_BAD_MESSAGE_CHECK);
	OPENSSL_free(d);

	/* Builder argument checks. */
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, "bad\n", NULL, &der, &st),
	    SCEP_E_ARG);
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, &o, &der, &st),
	    SCEP_E_ARG); /* signer cert does not match the key */
	o.signer_cert = NULL;
	o.cipher = 42;
	assert_int_equal(
	    scep_pkcsreq_build(csr, cli_key, ca_cert, NULL, &o, &der, &st),
	    SCEP_E_ARG);
	assert_null(st);
	buf_free(&der);
	X509_REQ_free(csr);
}

/* ------------------------------------------------------------------ */
/* GetCACert, GetCACaps, transport helpers */

static void
test_getcacert(void **state)
{
	struct buf out = BUF_INIT;
	const char *ct = NULL;
	X509 *ca = NULL, *ra = NULL;
	STACK_OF(X509) *all = NULL;
	X509_NAME *n = name_new("OpenCME RA");
	X509 *ra_cert = cert_issue(n, cli_key, ca_cert, ca_key, 9, 0);

	(void)state;
	assert_int_equal(
	    scep_getcacert_reply(ca_cert, NULL, &out, &ct), SCEP_OK);
	assert_string_equal(ct, "application/x-x509-ca-cert");
	assert_int_equal(scep_getcacert_parse((const uint8_t *)out.data,
	                     out.len, &ca, &ra, NULL, NULL),
	    SCEP_OK);
	assert_int_equal(X509_cmp(ca, ca_cert), 0);
	assert_null(ra);
	X509_free(ca);
	ca = NULL;
	buf_reset(&out);

	assert_int_equal(
	    scep_getcacert_reply(ca_cert, ra_cert, &out, &ct), SCEP_OK);
	assert_string_equal(ct, "application/x-x509-ca-ra-cert");
	assert_int_equal(scep_getcacert_parse((const uint8_t *)out.data,
	                     out.len, &ca, &ra, &all, NULL),
	    SCEP_OK);
	assert_int_equal(X509_cmp(ca, ca_cert), 0);
	assert_non_null(ra);
	assert_int_equal(X509_cmp(ra, ra_cert), 0);
	assert_int_equal(sk_X509_num(all), 2);
	X509_free(ca);
	X509_free(ra);
	sk_X509_pop_free(all, X509_free);
	ca = ra = NULL;

	/* Garbage and truncation */
	assert_int_equal(scep_getcacert_parse((const uint8_t *)out.data,
	                     out.len - 1, &ca, &ra, NULL, NULL),
	    SCEP_E_DER);
	assert_null(ca);

	assert_non_null(strstr(scep_getcacaps_text(), "AES\n"));
	assert_non_null(strstr(scep_getcacaps_text(), "SCEPStandard\n"));
	assert_non_null(strstr(scep_getcacaps_text(), "POSTPKIOperation\n"));
	assert_null(strstr(scep_getcacaps_text(), "GetNextCACert"));

	X509_free(ra_cert);
	X509_NAME_free(n);
	buf_free(&out);
}

static void
test_get_message_codec(void **state)
{
	struct buf enc = BUF_INIT, dec = BUF_INIT;
	uint8_t data[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 0xF8);
	for (i = 0; i <= 5; i++) {
		buf_reset(&enc);
		buf_reset(&dec);
		assert_int_equal(
		    scep_get_message_encode(data, sizeof(data) - i, &enc),
		    SCEP_OK);
		assert_null(strchr(buf_str(&enc), '+'));
		assert_null(strchr(buf_str(&enc), '/'));
		assert_int_equal(
		    scep_get_message_decode(enc.data, enc.len, &dec), SCEP_OK);
		assert_int_equal(dec.len, sizeof(data) - i);
		assert_memory_equal(dec.data, data, dec.len);
	}
	/* Literal '+' and '/', line breaks, lower-case escapes. */
	buf_reset(&dec);
	assert_int_equal(
	    scep_get_message_decode("+/8%2b%2F%0a88=", 15, &dec), SCEP_OK);
	assert_int_equal(dec.len, 5);
	assert_memory_equal(dec.data, "\xfb\xff\x3e\xff\xcf", 5);
	buf_reset(&dec);
	assert_int_equal(scep_base64_decode("TWFu\r\nTWE=", 10, &dec), SCEP_OK);
	assert_int_equal(dec.len, 5);
	assert_memory_equal(dec.data, "ManMa", 5);
	/* Errors */
	assert_int_equal(
	    scep_get_message_decode("QUJD%", 5, &dec), SCEP_E_FORMAT);
	assert_int_equal(
	    scep_get_message_decode("QUJD%4", 6, &dec), SCEP_E_FORMAT);
	assert_int_equal(
	    scep_get_message_decode("QU%ZZ", 5, &dec), SCEP_E_FORMAT);
	assert_int_equal(scep_base64_decode("QU*D", 4, &dec), SCEP_E_FORMAT);
	assert_int_equal(scep_base64_decode("QUJ", 3, &dec), SCEP_E_FORMAT);
	assert_int_equal(scep_base64_decode("-----", 5, &dec), SCEP_E_FORMAT);
	buf_free(&enc);
	buf_free(&dec);
}

/* ------------------------------------------------------------------ */
/* Real micromdm bytes */

static void
test_micromdm_pkcsreq(void **state)
{
	size_t len;
	uint8_t *der = file_read(DATA_DIR "micromdm-pkcsreq.der", &len);
	struct scep_request *req = NULL;
	struct scep_error err;
	X509 *issued;
	struct buf rep = BUF_INIT;
	EVP_PKEY *mkey = pem_key_read(DATA_DIR "micromdm-client.key");
	struct scep_client_state st;
	struct scep_reply *r = NULL;
	char cn[64];

	(void)state;
	assert_int_equal(
	    scep_request_parse(der, len, fx_cert, fx_key, &req, &err), SCEP_OK);
	assert_int_equal(req->msg_type, SCEP_MSG_PKCSREQ);
	assert_string_equal(
	    req->transaction_id, "wIpRya0yyWNUZPaRk4OeRwc16TA=");
	assert_int_equal(req->sender_nonce_len, 16);
	assert_int_equal(req->cipher, SCEP_CIPHER_DES);
	assert_int_equal(req->digest_nid, NID_sha1);
	assert_true(req->is_signer_self_signed);
	assert_true(req->is_signer_csr_key);
	assert_string_equal(req->challenge_password, "secret123");
	assert_true(
	    X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req->csr),
	        NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "SEP001122334455");
	seed_write("micromdm-pkcsreq.der", der, len);

	/* Our CertRep to it (DES, like the request) opens with its key. */
	issued = issue_for(req);
	assert_int_equal(
	    scep_reply_success_cert(req, issued, NULL, fx_cert, fx_key, &rep),
	    SCEP_OK);
	assert_int_equal(certrep_envelope_nid(&rep), NID_des_cbc);
	memset(&st, 0, sizeof(st));
	st.msg_type = SCEP_MSG_PKCSREQ;
	st.transaction_id = req->transaction_id;
	memcpy(st.sender_nonce, req->sender_nonce, SCEP_NONCE_LEN);
	st.signer_cert = req->signer_cert;
	st.csr_pubkey = X509_REQ_get0_pubkey(req->csr);
	assert_int_equal(scep_reply_parse((const uint8_t *)rep.data, rep.len,
	                     fx_cert, &st, mkey, &r, NULL),
	    SCEP_OK);
	assert_int_equal(X509_cmp(r->issued, issued), 0);
	scep_reply_free(r);
	X509_free(issued);

	/* The wrong-challenge request from the second run. */
	free(der);
	scep_request_free(req);
	req = NULL;
	der = file_read(DATA_DIR "micromdm-pkcsreq-badchallenge.der", &len);
	assert_int_equal(
	    scep_request_parse(der, len, fx_cert, fx_key, &req, &err), SCEP_OK);
	assert_string_equal(req->challenge_password, "wrong");
	seed_write("micromdm-pkcsreq-badchallenge.der", der, len);
	scep_request_free(req);
	req = NULL;

	/* Parsed with another CA's cert and key: wrong recipient. */
	assert_int_equal(
	    scep_request_parse(der, len, ca_cert, ca_key, &req, &err),
	    SCEP_E_RECIPIENT);
	assert_true(err.can_reply);
	assert_non_null(req);
	scep_request_free(req);

	EVP_PKEY_free(mkey);
	buf_free(&rep);
	free(der);
}

/* micromdm's own CertReps, checked by our client-side parser. */
static void
test_micromdm_certrep(void **state)
{
	size_t len, rlen;
	uint8_t *der = file_read(DATA_DIR "micromdm-pkcsreq.der", &len);
	uint8_t *rep =
	    file_read(DATA_DIR "micromdm-certrep-success.der", &rlen);
	EVP_PKEY *mkey = pem_key_read(DATA_DIR "micromdm-client.key");
	X509 *mcert = pem_cert_read(DATA_DIR "micromdm-client-cert.pem");
	struct scep_request *req = NULL;
	struct scep_client_state st;
	struct scep_reply *r = NULL;
	struct scep_error err;
	X509 *ca = NULL, *ra = NULL;

	(void)state;
	assert_int_equal(
	    scep_request_parse(der, len, fx_cert, fx_key, &req, NULL), SCEP_OK);
	memset(&st, 0, sizeof(st));
	st.msg_type = SCEP_MSG_PKCSREQ;
	st.transaction_id = req->transaction_id;
	memcpy(st.sender_nonce, req->sender_nonce, SCEP_NONCE_LEN);
	st.signer_cert = req->signer_cert;
	st.csr_pubkey = X509_REQ_get0_pubkey(req->csr);
	assert_int_equal(
	    scep_reply_parse(rep, rlen, fx_cert, &st, mkey, &r, &err), SCEP_OK);
	assert_int_equal(r->pki_status, SCEP_STATUS_SUCCESS);
	assert_int_equal(X509_cmp(r->issued, mcert), 0);
	scep_reply_free(r);
	r = NULL;
	scep_request_free(req);
	req = NULL;
	free(rep);
	free(der);

	/* The FAILURE (badRequest) for the wrong challenge. */
	der = file_read(DATA_DIR "micromdm-pkcsreq-badchallenge.der", &len);
	rep = file_read(DATA_DIR "micromdm-certrep-failure.der", &rlen);
	assert_int_equal(
	    scep_request_parse(der, len, fx_cert, fx_key, &req, NULL), SCEP_OK);
	st.transaction_id = req->transaction_id;
	memcpy(st.sender_nonce, req->sender_nonce, SCEP_NONCE_LEN);
	st.signer_cert = req->signer_cert;
	st.csr_pubkey = X509_REQ_get0_pubkey(req->csr);
	assert_int_equal(
	    scep_reply_parse(rep, rlen, fx_cert, &st, mkey, &r, &err), SCEP_OK);
	assert_int_equal(r->pki_status, SCEP_STATUS_FAILURE);
	assert_int_equal(r->fail_info, SCEP_FAIL_BAD_REQUEST);
	scep_reply_free(r);
	scep_request_free(req);
	free(rep);
	free(der);

	/* micromdm's GetCACert answer: raw DER. */
	der = file_read(DATA_DIR "micromdm-getcacert.der", &len);
	assert_int_equal(
	    scep_getcacert_parse(der, len, &ca, &ra, NULL, NULL), SCEP_OK);
	assert_int_equal(X509_cmp(ca, fx_cert), 0);
	assert_null(ra);
	X509_free(ca);
	free(der);

	X509_free(mcert);
	EVP_PKEY_free(mkey);
}

/*
 * Seeds for the fuzz target's CertRep parser: replies from the fixture CA
 * to the fixed transaction that tests/fuzz/fuzz_scep.c checks against,
 * encrypted to the CA itself.  Only with SCEP_SEED_DIR.
 */
static void
test_fuzz_seeds(void **state)
{
	static const uint8_t nonce[SCEP_NONCE_LEN] = {0xf0, 0xf1, 0xf2, 0xf3,
	    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe,
	    0xff};
	struct scep_request req;
	struct buf b = BUF_INIT;
	X509_CRL *crl;
	ASN1_TIME *t;
	const char *ct;

	(void)state;
	if (getenv("SCEP_SEED_DIR") == NULL)
		skip();
	memset(&req, 0, sizeof(req));
	req.msg_type = SCEP_MSG_PKCSREQ;
	req.transaction_id = "FUZZ-TRANSACTION";
	memcpy(req.sender_nonce, nonce, sizeof(nonce));
	req.sender_nonce_len = sizeof(nonce);
	req.signer_cert = fx_cert;
	req.cipher = SCEP_CIPHER_DES3;
	assert_int_equal(
	    scep_reply_success_cert(&req, fx_cert, NULL, fx_cert, fx_key, &b),
	    SCEP_OK);
	seed_write("certrep-success.der", b.data, b.len);
	buf_reset(&b);
	assert_int_equal(
	    scep_reply_pending(&req, fx_cert, fx_key, &b), SCEP_OK);
	seed_write("certrep-pending.der", b.data, b.len);
	buf_reset(&b);
	assert_int_equal(
	    scep_reply_failure(&req, SCEP_FAIL_BAD_TIME, fx_cert, fx_key, &b),
	    SCEP_OK);
	seed_write("certrep-failure.der", b.data, b.len);
	buf_reset(&b);
	/* A CRL from the fixture CA; odd last byte selects GetCRL there. */
	crl = X509_CRL_new();
	t = ASN1_TIME_new();
	assert_non_null(X509_gmtime_adj(t, 0));
	assert_true(X509_CRL_set1_lastUpdate(crl, t));
	assert_true(
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(fx_cert)));
	assert_true(X509_CRL_sign(crl, fx_key, EVP_sha256()) > 0);
	assert_int_equal(
	    scep_reply_success_crl(&req, crl, fx_cert, fx_key, &b), SCEP_OK);
	seed_write("certrep-crl.der", b.data, b.len);
	buf_reset(&b);
	X509_CRL_free(crl);
	ASN1_TIME_free(t);
	assert_int_equal(
	    scep_getcacert_reply(fx_cert, fx_cert, &b, &ct), SCEP_OK);
	seed_write("getcacert-ra.der", b.data, b.len);
	buf_free(&b);
}

static int
setup(void **state)
{
	X509_NAME *n = name_new("OpenCME Test CA");

	(void)state;
	ca_key = rsa_new(2048);
	cli_key = rsa_new(1024);
	ca_cert = cert_issue(n, ca_key, NULL, ca_key, 1, 1);
	X509_NAME_free(n);
	fx_cert = pem_cert_read(DATA_DIR "ca.pem");
	fx_key = pem_key_read(DATA_DIR "ca.key");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	X509_free(fx_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(cli_key);
	EVP_PKEY_free(fx_key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pkcsreq_roundtrip),
	    cmocka_unit_test(test_pending_then_certpoll),
	    cmocka_unit_test(test_failure_reply),
	    cmocka_unit_test(test_ciphers_and_digests),
	    cmocka_unit_test(test_renewal_getcert_getcrl),
	    cmocka_unit_test(test_wrong_recipient),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_reply_mismatch),
	    cmocka_unit_test(test_truncated_and_garbage),
	    cmocka_unit_test(test_bad_content),
	    cmocka_unit_test(test_getcacert),
	    cmocka_unit_test(test_get_message_codec),
	    cmocka_unit_test(test_micromdm_pkcsreq),
	    cmocka_unit_test(test_micromdm_certrep),
	    cmocka_unit_test(test_fuzz_seeds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
