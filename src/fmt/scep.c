/*
 * SCEP (RFC 8894) pkiMessage codec on OpenSSL 3's PKCS7 API.  Wire notes:
 * shared/spec/pki-passwords.md 3.1 and 4.
 *
 * Every parser decodes strictly (the whole input, nothing after it), checks
 * each optional PKCS7 field before OpenSSL code touches it (a signed
 * message's content, an envelope's encrypted content and algorithm), and
 * trusts signed attributes only after the signature verified.  The PKCS7
 * API is used rather than CMS because its structures expose the envelope's
 * content-encryption algorithm, which the reply must reuse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fmt/scep.h"

/* ------------------------------------------------------------------ */
/* One-time set-up: providers and the SCEP attribute OIDs. */

static CRYPTO_ONCE scep_once = CRYPTO_ONCE_STATIC_INIT;
static int scep_ready;
static int nid_message_type, nid_pki_status, nid_fail_info;
static int nid_sender_nonce, nid_recipient_nonce, nid_transaction_id;

static const struct {
	const char *oid, *sn, *ln;
	int *nid;
} scep_oids[] = {
    {"2.16.840.1.113733.1.9.2", "scep-messageType", "SCEP messageType",
        &nid_message_type},
    {"2.16.840.1.113733.1.9.3", "scep-pkiStatus", "SCEP pkiStatus",
        &nid_pki_status},
    {"2.16.840.1.113733.1.9.4", "scep-failInfo", "SCEP failInfo",
        &nid_fail_info},
    {"2.16.840.1.113733.1.9.5", "scep-senderNonce", "SCEP senderNonce",
        &nid_sender_nonce},
    {"2.16.840.1.113733.1.9.6", "scep-recipientNonce", "SCEP recipientNonce",
        &nid_recipient_nonce},
    {"2.16.840.1.113733.1.9.7", "scep-transactionID", "SCEP transactionID",
        &nid_transaction_id},
};

/*
 * The provider handles are kept and released at exit (before OpenSSL's own
 * clean-up, which atexit runs later as it registered earlier); a handle
 * still held then would leave the providers' tables allocated.
 */
static OSSL_PROVIDER *prov_legacy, *prov_default;

static void
scep_providers_unload(void)
{
	if (prov_legacy != NULL)
		OSSL_PROVIDER_unload(prov_legacy);
	if (prov_default != NULL)
		OSSL_PROVIDER_unload(prov_default);
	prov_legacy = prov_default = NULL;
}

static void
scep_init_once(void)
{
	size_t i;

	/* Explicit loads stop the implicit default one: load both. */
	prov_legacy = OSSL_PROVIDER_load(NULL, "legacy"); /* DES; optional */
	prov_default = OSSL_PROVIDER_load(NULL, "default");
	if (atexit(scep_providers_unload) != 0 || prov_default == NULL)
		return;
	for (i = 0; i < sizeof(scep_oids) / sizeof(scep_oids[0]); i++) {
		int nid = OBJ_txt2nid(scep_oids[i].oid);

		if (nid == NID_undef)
			nid = OBJ_create(
			    scep_oids[i].oid, scep_oids[i].sn, scep_oids[i].ln);
		if (nid == NID_undef)
			return;
		*scep_oids[i].nid = nid;
	}
	ERR_clear_error(); /* a missing legacy provider is not an error */
	scep_ready = 1;
}

static int
scep_init(void)
{
	return CRYPTO_THREAD_run_once(&scep_once, scep_init_once) && scep_ready;
}

/* ------------------------------------------------------------------ */
/* Tables */

const char *
scep_err_str(int err)
{
	switch (err) {
	case SCEP_OK:
		return "success";
	case SCEP_E_TOOBIG:
		return "message too large";
	case SCEP_E_DER:
		return "malformed or truncated DER";
	case SCEP_E_FORMAT:
		return "not a valid SCEP message structure";
	case SCEP_E_SIGNATURE:
		return "signature verification failed";
	case SCEP_E_RECIPIENT:
		return "message not encrypted to this CA/RA certificate";
	case SCEP_E_DECRYPT:
		return "envelope decryption failed";
	case SCEP_E_ALG:
		return "unsupported algorithm";
	case SCEP_E_MSGTYPE:
		return "unsupported message type";
	case SCEP_E_ATTR:
		return "missing or malformed SCEP attribute";
	case SCEP_E_CONTENT:
		return "malformed message content";
	case SCEP_E_TRANSACTION:
		return "transaction ID mismatch";
	case SCEP_E_NONCE:
		return "recipient nonce mismatch";
	case SCEP_E_ARG:
		return "invalid argument";
	case SCEP_E_CRYPTO:
		return "cryptographic library failure";
	}
	return "unknown error";
}

const char *
scep_msg_type_str(int msg_type)
{
	switch (msg_type) {
	case SCEP_MSG_CERTREP:
		return "CertRep";
	case SCEP_MSG_RENEWALREQ:
		return "RenewalReq";
	case SCEP_MSG_PKCSREQ:
		return "PKCSReq";
	case SCEP_MSG_CERTPOLL:
		return "CertPoll";
	case SCEP_MSG_GETCERT:
		return "GetCert";
	case SCEP_MSG_GETCRL:
		return "GetCRL";
	}
	return "unknown";
}

const char *
scep_fail_info_str(int fail_info)
{
	switch (fail_info) {
	case SCEP_FAIL_NONE:
		return "none";
	case SCEP_FAIL_BAD_ALG:
		return "badAlg";
	case SCEP_FAIL_BAD_MESSAGE_CHECK:
		return "badMessageCheck";
	case SCEP_FAIL_BAD_REQUEST:
		return "badRequest";
	case SCEP_FAIL_BAD_TIME:
		return "badTime";
	case SCEP_FAIL_BAD_CERT_ID:
		return "badCertId";
	}
	return "unknown";
}

static const struct {
	int cipher;
	int nid;
} cipher_table[] = {
    {SCEP_CIPHER_AES128, NID_aes_128_cbc},
    {SCEP_CIPHER_AES256, NID_aes_256_cbc},
    {SCEP_CIPHER_DES3, NID_des_ede3_cbc},
    {SCEP_CIPHER_DES, NID_des_cbc},
};

static int
cipher_from_nid(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(cipher_table) / sizeof(cipher_table[0]); i++)
		if (cipher_table[i].nid == nid)
			return cipher_table[i].cipher;
	return -1;
}

static const EVP_CIPHER *
cipher_evp(int cipher)
{
	size_t i;

	for (i = 0; i < sizeof(cipher_table) / sizeof(cipher_table[0]); i++)
		if (cipher_table[i].cipher == cipher)
			return EVP_get_cipherbynid(cipher_table[i].nid);
	return NULL;
}

static const EVP_MD *
digest_evp(int digest)
{
	switch (digest) {
	case SCEP_DIGEST_SHA256:
		return EVP_sha256();
	case SCEP_DIGEST_SHA1:
		return EVP_sha1();
	case SCEP_DIGEST_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

static int
digest_nid_ok(int nid)
{
	return nid == NID_sha1 || nid == NID_sha224 || nid == NID_sha256 ||
	    nid == NID_sha384 || nid == NID_sha512;
}

const char *
scep_getcacaps_text(void)
{
	return "AES\nDES3\nPOSTPKIOperation\nRenewal\nSHA-1\nSHA-256\n"
	       "SHA-512\nSCEPStandard\n";
}

/* ------------------------------------------------------------------ */
/* Small helpers */

static int
fail(struct scep_error *err, int rc, int fail_info, size_t offset,
    const char *what)
{
	if (err != NULL) {
		err->offset = offset;
		err->what = what;
		err->fail_info = fail_info;
	}
	return rc;
}

static void
err_init(struct scep_error *err)
{
	if (err != NULL) {
		err->offset = 0;
		err->what = NULL;
		err->fail_info = SCEP_FAIL_NONE;
		err->can_reply = 0;
	}
}

/*
 * Strict DER decoding: the whole input, nothing after it.  *rc tells a
 * structural failure (SCEP_E_DER) from trailing bytes (reported through
 * *end, the offset where the element ended).
 */
#define STRICT_D2I(fn, type)                                                   \
	static type *fn##_strict(const uint8_t *der, size_t len, size_t *end)  \
	{                                                                      \
		const unsigned char *p = der;                                  \
		type *v;                                                       \
                                                                               \
		*end = 0;                                                      \
		if (len == 0 || len > SCEP_MAX_MESSAGE)                        \
			return NULL;                                           \
		v = fn(NULL, &p, (long)len);                                   \
		if (v == NULL)                                                 \
			return NULL;                                           \
		*end = (size_t)(p - der);                                      \
		if (*end != len) {                                             \
			type##_free(v);                                        \
			return NULL;                                           \
		}                                                              \
		return v;                                                      \
	}

STRICT_D2I(d2i_PKCS7, PKCS7)
STRICT_D2I(d2i_X509, X509)
STRICT_D2I(d2i_X509_REQ, X509_REQ)
STRICT_D2I(d2i_PKCS7_ISSUER_AND_SERIAL, PKCS7_ISSUER_AND_SERIAL)

/*
 * IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }.  The typedef
 * is what OpenSSL's ASN1 template macros require.
 */
typedef struct scep_issuer_and_subject_st {
	X509_NAME *issuer;
	X509_NAME *subject;
} SCEP_ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(SCEP_ISSUER_AND_SUBJECT) =
    {
        ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, issuer, X509_NAME),
        ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, subject, X509_NAME),
} static_ASN1_SEQUENCE_END(SCEP_ISSUER_AND_SUBJECT)

        static SCEP_ISSUER_AND_SUBJECT
    * ias_decode_strict(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	SCEP_ISSUER_AND_SUBJECT *v;

	if (len == 0 || len > SCEP_MAX_MESSAGE)
		return NULL;
	v = (SCEP_ISSUER_AND_SUBJECT *)ASN1_item_d2i(
	    NULL, &p, (long)len, ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
	if (v != NULL && (size_t)(p - der) != len) {
		ASN1_item_free(
		    (ASN1_VALUE *)v, ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
		v = NULL;
	}
	return v;
}

static void
p7_to_buf(PKCS7 *p7, struct buf *out, int *rc)
{
	unsigned char *d = NULL;
	int n = i2d_PKCS7(p7, &d);

	if (n <= 0) {
		*rc = SCEP_E_CRYPTO;
		return;
	}
	buf_append(out, d, (size_t)n);
	OPENSSL_free(d);
	*rc = SCEP_OK;
}

static int
mem_bio_to_buf(BIO *b, struct buf *out)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0 || (size_t)n > SCEP_MAX_MESSAGE)
		return SCEP_E_TOOBIG;
	if (n > 0)
		buf_append(out, data, (size_t)n);
	return SCEP_OK;
}

/* Exactly one attribute of this type among the signed attributes. */
static const ASN1_TYPE *
attr_get(const PKCS7_SIGNER_INFO *si, int nid)
{
	const STACK_OF(X509_ATTRIBUTE) *attrs = si->auth_attr;
	int i = X509at_get_attr_by_NID(attrs, nid, -1);
	X509_ATTRIBUTE *a;

	if (i < 0 || X509at_get_attr_by_NID(attrs, nid, i) >= 0)
		return NULL;
	a = X509at_get_attr(attrs, i);
	if (a == NULL || X509_ATTRIBUTE_count(a) != 1)
		return NULL;
	return X509_ATTRIBUTE_get0_type(a, 0);
}

static int
attr_present(const PKCS7_SIGNER_INFO *si, int nid)
{
	return X509at_get_attr_by_NID(si->auth_attr, nid, -1) >= 0;
}

/* A small decimal in a PrintableString (messageType, pkiStatus, ...). */
static int
attr_get_number(const PKCS7_SIGNER_INFO *si, int nid)
{
	const ASN1_TYPE *t = attr_get(si, nid);
	const unsigned char *s;
	int len, i, v = 0;

	if (t == NULL || t->type != V_ASN1_PRINTABLESTRING)
		return -1;
	s = ASN1_STRING_get0_data(t->value.asn1_string);
	len = ASN1_STRING_length(t->value.asn1_string);
	if (len < 1 || len > 3)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* transactionID: printable ASCII text, returned as a C string. */
static char *
attr_get_text(const PKCS7_SIGNER_INFO *si, int nid)
{
	const ASN1_TYPE *t = attr_get(si, nid);
	const unsigned char *s;
	char *r;
	int len, i;

	if (t == NULL ||
	    (t->type != V_ASN1_PRINTABLESTRING &&
	        t->type != V_ASN1_UTF8STRING && t->type != V_ASN1_IA5STRING))
		return NULL;
	s = ASN1_STRING_get0_data(t->value.asn1_string);
	len = ASN1_STRING_length(t->value.asn1_string);
	if (len < 1 || len > SCEP_TRANSACTION_ID_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return NULL;
	r = xmalloc((size_t)len + 1);
	memcpy(r, s, (size_t)len);
	r[len] = '\0';
	return r;
}

/* A nonce (OCTET STRING, 8 to SCEP_NONCE_MAX bytes); length or -1. */
static int
attr_get_nonce(const PKCS7_SIGNER_INFO *si, int nid, uint8_t *out)
{
	const ASN1_TYPE *t = attr_get(si, nid);
	int len;

	if (t == NULL || t->type != V_ASN1_OCTET_STRING)
		return -1;
	len = ASN1_STRING_length(t->value.asn1_string);
	if (len < 8 || len > SCEP_NONCE_MAX)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(t->value.asn1_string), (size_t)len);
	return len;
}

static int
attr_add_string(
    PKCS7_SIGNER_INFO *si, int nid, int type, const void *data, size_t len)
{
	ASN1_STRING *s = ASN1_STRING_type_new(type);

	if (s == NULL || !ASN1_STRING_set(s, data, (int)len) ||
	    !PKCS7_add_signed_attribute(si, nid, type, s)) {
		ASN1_STRING_free(s);
		return 0;
	}
	return 1;
}

static int
attr_add_number(PKCS7_SIGNER_INFO *si, int nid, int v)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%d", v);

	return attr_add_string(si, nid, V_ASN1_PRINTABLESTRING, num, (size_t)n);
}

/*
 * Check the shape of a SignedData before OpenSSL walks it: signed type,
 * data content (absent content allowed only if may_be_detached), exactly
 * one SignerInfo with signed attributes.
 */
static int
signed_check(PKCS7 *p7, int may_be_detached, PKCS7_SIGNER_INFO **si_out,
    struct scep_error *err)
{
	STACK_OF(PKCS7_SIGNER_INFO) * sis;
	PKCS7_SIGNER_INFO *si;
	PKCS7 *c;

	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL)
		return fail(err, SCEP_E_FORMAT, SCEP_FAIL_BAD_REQUEST, 0,
		    "not a SignedData");
	c = p7->d.sign->contents;
	if (c == NULL || c->type == NULL || !PKCS7_type_is_data(c))
		return fail(err, SCEP_E_FORMAT, SCEP_FAIL_BAD_REQUEST, 0,
		    "SignedData content is not data");
	if (c->d.data == NULL && !may_be_detached)
		return fail(err, SCEP_E_FORMAT, SCEP_FAIL_BAD_REQUEST, 0,
		    "SignedData has no content");
	sis = p7->d.sign->signer_info;
	if (sis == NULL || sk_PKCS7_SIGNER_INFO_num(sis) != 1)
		return fail(err, SCEP_E_FORMAT, SCEP_FAIL_BAD_REQUEST, 0,
		    "SignedData needs exactly one signer");
	si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
	if (si == NULL || si->issuer_and_serial == NULL ||
	    si->digest_alg == NULL || si->auth_attr == NULL ||
	    sk_X509_ATTRIBUTE_num(si->auth_attr) == 0)
		return fail(err, SCEP_E_FORMAT, SCEP_FAIL_BAD_REQUEST, 0,
		    "signer has no signed attributes");
	if (!digest_nid_ok(OBJ_obj2nid(si->digest_alg->algorithm)))
		return fail(err, SCEP_E_ALG, SCEP_FAIL_BAD_ALG, 0,
		    "unsupported digest algorithm");
	*si_out = si;
	return SCEP_OK;
}

/* ------------------------------------------------------------------ */
/* Envelopes */

static int
envelope_build(X509 *recipient, int cipher, const uint8_t *data, size_t len,
    struct buf *out)
{
	const EVP_CIPHER *c = cipher_evp(cipher);
	STACK_OF(X509) *rcpt = sk_X509_new_null();
	BIO *in =
	    BIO_new_mem_buf(len > 0 ? data : (const uint8_t *)"", (int)len);
	PKCS7 *p7 = NULL;
	int rc = SCEP_E_CRYPTO;

	if (c == NULL) {
		rc = SCEP_E_ALG;
		goto out;
	}
	if (rcpt == NULL || in == NULL || !sk_X509_push(rcpt, recipient))
		goto out;
	if ((p7 = PKCS7_encrypt(rcpt, in, c, PKCS7_BINARY)) == NULL)
		goto out;
	p7_to_buf(p7, out, &rc);
out:
	PKCS7_free(p7);
	BIO_free(in);
	sk_X509_free(rcpt);
	return rc;
}

/*
 * Open an EnvelopedData (DER in os) addressed to cert, decrypting with key.
 * Appends the plaintext to plain; *cipher_out gets the cipher used.
 */
static int
envelope_open(const ASN1_OCTET_STRING *os, X509 *cert, EVP_PKEY *key,
    int *cipher_out, struct buf *plain, struct scep_error *err)
{
	STACK_OF(PKCS7_RECIP_INFO) * ris;
	PKCS7_ENC_CONTENT *ec;
	PKCS7 *p7 = NULL;
	BIO *mem = NULL;
	size_t end;
	int i, n, cipher, found = 0, rc;

	if (os == NULL || os->length <= 0)
		return fail(err, SCEP_E_FORMAT, SCEP_FAIL_BAD_REQUEST, 0,
		    "empty content where an envelope was expected");
	p7 = d2i_PKCS7_strict(os->data, (size_t)os->length, &end);
	if (p7 == NULL) {
		rc = fail(err, SCEP_E_DER, SCEP_FAIL_BAD_REQUEST, 0,
		    "envelope is not valid DER");
		goto out;
	}
	if (!PKCS7_type_is_enveloped(p7) || p7->d.enveloped == NULL ||
	    (ec = p7->d.enveloped->enc_data) == NULL || ec->algorithm == NULL ||
	    ec->enc_data == NULL || ec->content_type == NULL ||
	    OBJ_obj2nid(ec->content_type) != NID_pkcs7_data) {
		rc = fail(err, SCEP_E_FORMAT, SCEP_FAIL_BAD_REQUEST, 0,
		    "content is not an EnvelopedData of data");
		goto out;
	}
	cipher = cipher_from_nid(OBJ_obj2nid(ec->algorithm->algorithm));
	if (cipher < 0) {
		rc = fail(err, SCEP_E_ALG, SCEP_FAIL_BAD_ALG, 0,
		    "unsupported content encryption algorithm");
		goto out;
	}
	ris = p7->d.enveloped->recipientinfo;
	n = ris != NULL ? sk_PKCS7_RECIP_INFO_num(ris) : 0;
	for (i = 0; i < n && !found; i++) {
		PKCS7_RECIP_INFO *ri = sk_PKCS7_RECIP_INFO_value(ris, i);

		if (ri == NULL || ri->issuer_and_serial == NULL ||
		    ri->key_enc_algor == NULL || ri->enc_key == NULL)
			continue;
		if (X509_NAME_cmp(ri->issuer_and_serial->issuer,
		        X509_get_issuer_name(cert)) != 0 ||
		    ASN1_INTEGER_cmp(ri->issuer_and_serial->serial,
		        X509_get0_serialNumber(cert)) != 0)
			continue;
		found = 1;
		if (OBJ_obj2nid(ri->key_enc_algor->algorithm) !=
		    NID_rsaEncryption) {
			rc = fail(err, SCEP_E_ALG, SCEP_FAIL_BAD_ALG, 0,
			    "unsupported key transport algorithm");
			goto out;
		}
	}
	if (!found) {
		rc = fail(err, SCEP_E_RECIPIENT, SCEP_FAIL_BAD_MESSAGE_CHECK, 0,
		    "envelope has no recipient for our certificate");
		goto out;
	}
	if ((mem = BIO_new(BIO_s_mem())) == NULL) {
		rc = SCEP_E_CRYPTO;
		goto out;
	}
	if (PKCS7_decrypt(p7, key, cert, mem, 0) != 1) {
		rc = fail(err, SCEP_E_DECRYPT, SCEP_FAIL_BAD_MESSAGE_CHECK, 0,
		    "envelope does not decrypt");
		goto out;
	}
	if ((rc = mem_bio_to_buf(mem, plain)) != SCEP_OK)
		goto out;
	*cipher_out = cipher;
	rc = SCEP_OK;
out:
	BIO_free(mem);
	PKCS7_free(p7);
	return rc;
}

/* ------------------------------------------------------------------ */
/* SignedData */

struct scep_attrs {
	int msg_type;
	const char *transaction_id;
	const uint8_t *sender_nonce;
	size_t sender_nonce_len;
	const uint8_t *recipient_nonce; /* NULL: none */
	size_t recipient_nonce_len;
	int pki_status; /* -1: none */
	int fail_info; /* SCEP_FAIL_NONE: none */
};

static int
signed_build(X509 *signer, EVP_PKEY *key, const EVP_MD *md,
    const struct scep_attrs *a, const uint8_t *content, size_t len,
    struct buf *out)
{
	int flags = PKCS7_PARTIAL | PKCS7_BINARY | PKCS7_NOSMIMECAP;
	PKCS7 *p7 = NULL;
	PKCS7_SIGNER_INFO *si;
	BIO *in = NULL;
	int rc = SCEP_E_CRYPTO;

	if ((p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags)) == NULL)
		goto out;
	if ((si = PKCS7_sign_add_signer(p7, signer, key, md, flags)) == NULL)
		goto out;
	if (!attr_add_number(si, nid_message_type, a->msg_type) ||
	    !attr_add_string(si, nid_transaction_id, V_ASN1_PRINTABLESTRING,
	        a->transaction_id, strlen(a->transaction_id)) ||
	    !attr_add_string(si, nid_sender_nonce, V_ASN1_OCTET_STRING,
	        a->sender_nonce, a->sender_nonce_len))
		goto out;
	if (a->recipient_nonce != NULL &&
	    !attr_add_string(si, nid_recipient_nonce, V_ASN1_OCTET_STRING,
	        a->recipient_nonce, a->recipient_nonce_len))
		goto out;
	if (a->pki_status >= 0 &&
	    !attr_add_number(si, nid_pki_status, a->pki_status))
		goto out;
	if (a->fail_info != SCEP_FAIL_NONE &&
	    !attr_add_number(si, nid_fail_info, a->fail_info))
		goto out;
	in = BIO_new_mem_buf(len > 0 ? content : (const uint8_t *)"", (int)len);
	if (in == NULL || !PKCS7_final(p7, in, PKCS7_BINARY))
		goto out;
	p7_to_buf(p7, out, &rc);
out:
	BIO_free(in);
	PKCS7_free(p7);
	return rc;
}

/* Degenerate certs-only SignedData (no eContent, no signers). */
static int
degenerate_build(
    X509 *first, STACK_OF(X509) * more, X509_CRL *crl, struct buf *out)
{
	PKCS7 *p7 = PKCS7_new();
	int i, rc = SCEP_E_CRYPTO;

	if (p7 == NULL || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
	    p7->d.sign->contents == NULL)
		goto out;
	p7->d.sign->contents->type = OBJ_nid2obj(NID_pkcs7_data);
	if (first != NULL && !PKCS7_add_certificate(p7, first))
		goto out;
	for (i = 0; more != NULL && i < sk_X509_num(more); i++)
		if (!PKCS7_add_certificate(p7, sk_X509_value(more, i)))
			goto out;
	if (crl != NULL && !PKCS7_add_crl(p7, crl))
		goto out;
	p7_to_buf(p7, out, &rc);
out:
	PKCS7_free(p7);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Server: requests */

void
scep_request_free(struct scep_request *req)
{
	if (req == NULL)
		return;
	free(req->transaction_id);
	X509_free(req->signer_cert);
	X509_REQ_free(req->csr);
	secret_free(req->challenge_password);
	X509_NAME_free(req->issuer);
	X509_NAME_free(req->subject);
	ASN1_INTEGER_free(req->serial);
	free(req);
}

static int
csr_challenge(X509_REQ *csr, char **out)
{
	int idx =
	    X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, -1);
	X509_ATTRIBUTE *a;
	const ASN1_TYPE *t;
	unsigned char *utf8 = NULL;
	int n;

	*out = NULL;
	if (idx < 0)
		return SCEP_OK;
	if (X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, idx) >=
	    0)
		return SCEP_E_CONTENT; /* two passwords: ambiguous */
	a = X509_REQ_get_attr(csr, idx);
	if (a == NULL || X509_ATTRIBUTE_count(a) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL)
		return SCEP_E_CONTENT;
	switch (t->type) {
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_UTF8STRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_T61STRING:
	case V_ASN1_BMPSTRING:
	case V_ASN1_UNIVERSALSTRING:
		break;
	default:
		return SCEP_E_CONTENT;
	}
	n = ASN1_STRING_to_UTF8(&utf8, t->value.asn1_string);
	if (n < 0)
		return SCEP_E_CONTENT;
	if (n > SCEP_CHALLENGE_MAX || memchr(utf8, 0, (size_t)n) != NULL) {
		OPENSSL_clear_free(utf8, (size_t)n);
		return SCEP_E_CONTENT;
	}
	*out = xmalloc((size_t)n + 1);
	memcpy(*out, utf8, (size_t)n);
	(*out)[n] = '\0';
	OPENSSL_clear_free(utf8, (size_t)n);
	return SCEP_OK;
}

/* Decode the decrypted content according to the message type. */
static int
request_content_decode(
    struct scep_request *req, const struct buf *c, struct scep_error *err)
{
	const uint8_t *d = (const uint8_t *)c->data;
	size_t end;

	switch (req->msg_type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ: {
		X509_REQ *csr = d2i_X509_REQ_strict(d, c->len, &end);
		EVP_PKEY *pub;

		if (csr == NULL)
			return fail(err, SCEP_E_CONTENT, SCEP_FAIL_BAD_REQUEST,
			    0, "envelope does not hold a PKCS#10 request");
		pub = X509_REQ_get0_pubkey(csr);
		if (pub == NULL) {
			X509_REQ_free(csr);
			return fail(err, SCEP_E_CONTENT, SCEP_FAIL_BAD_REQUEST,
			    0, "PKCS#10 request without a public key");
		}
		if (X509_REQ_verify(csr, pub) != 1) {
			/* Not self-signed: acceptable only as a request an
			 * RA signed for a key it vouches for (a CAPF
			 * phone's); the caller decides whether it trusts
			 * the signer as an RA. */
			EVP_PKEY *ra = X509_get0_pubkey(req->signer_cert);

			ERR_clear_error();
			if (ra == NULL || req->is_signer_self_signed ||
			    EVP_PKEY_eq(ra, pub) == 1 ||
			    X509_REQ_verify(csr, ra) != 1) {
				ERR_clear_error();
				X509_REQ_free(csr);
				return fail(err, SCEP_E_CONTENT,
				    SCEP_FAIL_BAD_MESSAGE_CHECK, 0,
				    "PKCS#10 self-signature does not verify");
			}
			req->is_ra_vouched = 1;
		}
		if (csr_challenge(csr, &req->challenge_password) != SCEP_OK) {
			X509_REQ_free(csr);
			return fail(err, SCEP_E_CONTENT, SCEP_FAIL_BAD_REQUEST,
			    0, "malformed challengePassword");
		}
		req->is_signer_csr_key =
		    EVP_PKEY_eq(X509_get0_pubkey(req->signer_cert), pub) == 1;
		req->csr = csr;
		return SCEP_OK;
	}
	case SCEP_MSG_CERTPOLL: {
		SCEP_ISSUER_AND_SUBJECT *ias = ias_decode_strict(d, c->len);

		if (ias == NULL)
			return fail(err, SCEP_E_CONTENT, SCEP_FAIL_BAD_REQUEST,
			    0, "envelope does not hold IssuerAndSubject");
		req->issuer = ias->issuer;
		req->subject = ias->subject;
		ias->issuer = ias->subject = NULL;
		ASN1_item_free(
		    (ASN1_VALUE *)ias, ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
		return SCEP_OK;
	}
	case SCEP_MSG_GETCERT:
	case SCEP_MSG_GETCRL: {
		PKCS7_ISSUER_AND_SERIAL *is =
		    d2i_PKCS7_ISSUER_AND_SERIAL_strict(d, c->len, &end);

		if (is == NULL)
			return fail(err, SCEP_E_CONTENT, SCEP_FAIL_BAD_REQUEST,
			    0, "envelope does not hold IssuerAndSerialNumber");
		req->issuer = is->issuer;
		req->serial = is->serial;
		is->issuer = NULL;
		is->serial = NULL;
		PKCS7_ISSUER_AND_SERIAL_free(is);
		return SCEP_OK;
	}
	}
	return fail(err, SCEP_E_MSGTYPE, SCEP_FAIL_BAD_REQUEST, 0,
	    "unsupported messageType");
}

static int
is_self_signed(X509 *x)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);

	return pub != NULL &&
	    X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) ==
	    0 &&
	    X509_verify(x, pub) == 1;
}

int
scep_request_parse(const uint8_t *der, size_t len, X509 *ca_or_ra_cert,
    EVP_PKEY *ca_or_ra_key, struct scep_request **out, struct scep_error *err)
{
	struct scep_request *req = NULL;
	struct buf plain = BUF_INIT;
	PKCS7_SIGNER_INFO *si = NULL;
	STACK_OF(X509) *signers = NULL;
	PKCS7 *p7 = NULL;
	size_t end;
	int rc, nlen;

	err_init(err);
	if (out == NULL || ca_or_ra_cert == NULL || ca_or_ra_key == NULL ||
	    (der == NULL && len > 0))
		return fail(err, SCEP_E_ARG, SCEP_FAIL_BAD_REQUEST, 0,
		    "invalid argument");
	if (!scep_init())
		return fail(err, SCEP_E_CRYPTO, SCEP_FAIL_BAD_REQUEST, 0,
		    "OpenSSL set-up failed");
	if (len > SCEP_MAX_MESSAGE)
		return fail(err, SCEP_E_TOOBIG, SCEP_FAIL_BAD_REQUEST,
		    SCEP_MAX_MESSAGE, "message too large");
	if ((p7 = d2i_PKCS7_strict(der, len, &end)) == NULL) {
		rc = fail(err, SCEP_E_DER, SCEP_FAIL_BAD_REQUEST, end,
		    end > 0 ? "trailing bytes after the message"
		            : "not a DER PKCS#7 message");
		goto out;
	}
	if ((rc = signed_check(p7, 0, &si, err)) != SCEP_OK)
		goto out;
	if (p7->d.sign->cert == NULL || sk_X509_num(p7->d.sign->cert) < 1) {
		rc = fail(err, SCEP_E_FORMAT, SCEP_FAIL_BAD_REQUEST, 0,
		    "request carries no signer certificate");
		goto out;
	}
	if (PKCS7_verify(p7, NULL, NULL, NULL, NULL, PKCS7_NOVERIFY) != 1 ||
	    (signers = PKCS7_get0_signers(p7, NULL, 0)) == NULL ||
	    sk_X509_num(signers) != 1) {
		rc = fail(err, SCEP_E_SIGNATURE, SCEP_FAIL_BAD_MESSAGE_CHECK, 0,
		    "signature does not verify with the signer certificate");
		goto out;
	}

	/* Authenticated from here on. */
	req = xcalloc(1, sizeof(*req));
	req->signer_cert = sk_X509_value(signers, 0);
	X509_up_ref(req->signer_cert);
	req->is_signer_self_signed = is_self_signed(req->signer_cert);
	req->digest_nid = OBJ_obj2nid(si->digest_alg->algorithm);
	req->cipher = SCEP_CIPHER_AES128;
	req->transaction_id = attr_get_text(si, nid_transaction_id);
	nlen = attr_get_nonce(si, nid_sender_nonce, req->sender_nonce);
	if (req->transaction_id == NULL || nlen < 0) {
		rc = fail(err, SCEP_E_ATTR, SCEP_FAIL_BAD_REQUEST, 0,
		    req->transaction_id == NULL ? "bad or missing transactionID"
		                                : "bad or missing senderNonce");
		goto out;
	}
	req->sender_nonce_len = (size_t)nlen;
	if (err != NULL)
		err->can_reply = 1;
	req->msg_type = attr_get_number(si, nid_message_type);
	switch (req->msg_type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
	case SCEP_MSG_CERTPOLL:
	case SCEP_MSG_GETCERT:
	case SCEP_MSG_GETCRL:
		break;
	default:
		rc = fail(err, SCEP_E_MSGTYPE, SCEP_FAIL_BAD_REQUEST, 0,
		    req->msg_type < 0 ? "bad or missing messageType"
		                      : "unsupported messageType");
		goto out;
	}
	rc = envelope_open(p7->d.sign->contents->d.data, ca_or_ra_cert,
	    ca_or_ra_key, &req->cipher, &plain, err);
	if (rc != SCEP_OK)
		goto out;
	rc = request_content_decode(req, &plain, err);
out:
	if (rc == SCEP_OK || (req != NULL && err != NULL && err->can_reply)) {
		*out = req;
		req = NULL;
	}
	scep_request_free(req);
	buf_wipe(&plain);
	sk_X509_free(signers);
	PKCS7_free(p7);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Server: replies */

static int
certrep_build(const struct scep_request *req, int status, int fail_info,
    const struct buf *inner, X509 *signer_cert, EVP_PKEY *signer_key,
    struct buf *out_der)
{
	struct buf env = BUF_INIT;
	struct scep_attrs a;
	uint8_t nonce[SCEP_NONCE_LEN];
	int rc;

	if (req == NULL || req->transaction_id == NULL ||
	    req->signer_cert == NULL || signer_cert == NULL ||
	    signer_key == NULL || out_der == NULL)
		return SCEP_E_ARG;
	if (!scep_init())
		return SCEP_E_CRYPTO;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return SCEP_E_CRYPTO;
	if (inner != NULL) {
		rc = envelope_build(req->signer_cert, req->cipher,
		    (const uint8_t *)inner->data, inner->len, &env);
		if (rc != SCEP_OK)
			goto out;
	}
	a.msg_type = SCEP_MSG_CERTREP;
	a.transaction_id = req->transaction_id;
	a.sender_nonce = nonce;
	a.sender_nonce_len = sizeof(nonce);
	a.recipient_nonce = req->sender_nonce;
	a.recipient_nonce_len = req->sender_nonce_len;
	a.pki_status = status;
	a.fail_info = fail_info;
	rc = signed_build(signer_cert, signer_key, EVP_sha256(), &a,
	    (const uint8_t *)env.data, env.len, out_der);
out:
	buf_free(&env);
	return rc;
}

int
scep_reply_success_cert(const struct scep_request *req, X509 *issued,
    STACK_OF(X509) * extra, X509 *signer_cert, EVP_PKEY *signer_key,
    struct buf *out_der)
{
	struct buf inner = BUF_INIT;
	int rc;

	if (issued == NULL)
		return SCEP_E_ARG;
	if ((rc = degenerate_build(issued, extra, NULL, &inner)) == SCEP_OK)
		rc = certrep_build(req, SCEP_STATUS_SUCCESS, SCEP_FAIL_NONE,
		    &inner, signer_cert, signer_key, out_der);
	buf_free(&inner);
	return rc;
}

int
scep_reply_success_crl(const struct scep_request *req, X509_CRL *crl,
    X509 *signer_cert, EVP_PKEY *signer_key, struct buf *out_der)
{
	struct buf inner = BUF_INIT;
	int rc;

	if (crl == NULL)
		return SCEP_E_ARG;
	if ((rc = degenerate_build(NULL, NULL, crl, &inner)) == SCEP_OK)
		rc = certrep_build(req, SCEP_STATUS_SUCCESS, SCEP_FAIL_NONE,
		    &inner, signer_cert, signer_key, out_der);
	buf_free(&inner);
	return rc;
}

int
scep_reply_pending(const struct scep_request *req, X509 *signer_cert,
    EVP_PKEY *signer_key, struct buf *out_der)
{
	return certrep_build(req, SCEP_STATUS_PENDING, SCEP_FAIL_NONE, NULL,
	    signer_cert, signer_key, out_der);
}

int
scep_reply_failure(const struct scep_request *req, int fail_info,
    X509 *signer_cert, EVP_PKEY *signer_key, struct buf *out_der)
{
	if (fail_info < SCEP_FAIL_BAD_ALG || fail_info > SCEP_FAIL_BAD_CERT_ID)
		return SCEP_E_ARG;
	return certrep_build(req, SCEP_STATUS_FAILURE, fail_info, NULL,
	    signer_cert, signer_key, out_der);
}

int
scep_getcacert_reply(
    X509 *ca, X509 *ra_or_null, struct buf *out, const char **content_type)
{
	unsigned char *d = NULL;
	STACK_OF(X509) * more;
	int n, rc;

	if (ca == NULL || out == NULL || content_type == NULL)
		return SCEP_E_ARG;
	if (ra_or_null == NULL) {
		if ((n = i2d_X509(ca, &d)) <= 0)
			return SCEP_E_CRYPTO;
		buf_append(out, d, (size_t)n);
		OPENSSL_free(d);
		*content_type = "application/x-x509-ca-cert";
		return SCEP_OK;
	}
	if ((more = sk_X509_new_null()) == NULL || !sk_X509_push(more, ca)) {
		sk_X509_free(more);
		return SCEP_E_CRYPTO;
	}
	/* RA first: clients that take "the first cert" get the RA. */
	rc = degenerate_build(ra_or_null, more, NULL, out);
	sk_X509_free(more);
	if (rc == SCEP_OK)
		*content_type = "application/x-x509-ca-ra-cert";
	return rc;
}

/* ------------------------------------------------------------------ */
/* Client: requests */

void
scep_client_state_free(struct scep_client_state *st)
{
	if (st == NULL)
		return;
	free(st->transaction_id);
	X509_free(st->signer_cert);
	X509_NAME_free(st->subject);
	EVP_PKEY_free(st->csr_pubkey);
	free(st);
}

/* The throw-away signer: self-signed, CSR subject, 30 days. */
static X509 *
throwaway_cert_new(X509_REQ *csr, EVP_PKEY *key, const EVP_MD *md)
{
	X509_NAME *name = X509_REQ_get_subject_name(csr);
	X509_NAME *fallback = NULL;
	ASN1_BIT_STRING *ku = NULL;
	uint8_t rnd[8];
	uint64_t serial = 0;
	X509 *x = X509_new();
	int i, ok = 0;

	if (x == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	for (i = 0; i < 8; i++)
		serial = serial << 8 | rnd[i];
	serial = (serial >> 1) | 1; /* positive, non-zero */
	if (name == NULL || X509_NAME_entry_count(name) == 0) {
		fallback = X509_NAME_new();
		if (fallback == NULL ||
		    !X509_NAME_add_entry_by_txt(fallback, "CN", MBSTRING_ASC,
		        (const unsigned char *)"SCEP SIGNER", -1, -1, 0))
			goto out;
		name = fallback;
	}
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) == NULL ||
	    !X509_set_pubkey(x, key))
		goto out;
	if ((ku = ASN1_BIT_STRING_new()) == NULL ||
	    !ASN1_BIT_STRING_set_bit(ku, 0, 1) || /* digitalSignature */
	    !ASN1_BIT_STRING_set_bit(ku, 2, 1) || /* keyEncipherment */
	    !X509_add1_ext_i2d(x, NID_key_usage, ku, 1, 0))
		goto out;
	ok = X509_sign(x, key, md) > 0;
out:
	ASN1_BIT_STRING_free(ku);
	X509_NAME_free(fallback);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static char *
hex_new(const uint8_t *d, size_t n)
{
	char *s = xmalloc(2 * n + 1);

	/* Upper-case, no separator; cannot fail with this size. */
	if (!OPENSSL_buf2hexstr_ex(s, 2 * n + 1, NULL, d, n, '\0'))
		abort();
	return s;
}

static int
transaction_id_ok(const char *tid)
{
	size_t i, n = strlen(tid);

	if (n < 1 || n > SCEP_TRANSACTION_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tid[i];

		/* PrintableString repertoire */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') ||
		        strchr(" '()+,-./:=?", c) != NULL))
			return 0;
	}
	return 1;
}

/* Envelope inner to the recipient, sign with st's signer, append. */
static int
pkimessage_build(const struct scep_client_state *st, EVP_PKEY *key,
    X509 *recipient, const uint8_t *inner, size_t inner_len,
    struct buf *out_der)
{
	struct buf env = BUF_INIT;
	struct scep_attrs a;
	int rc;

	rc = envelope_build(recipient, st->cipher, inner, inner_len, &env);
	if (rc == SCEP_OK) {
		memset(&a, 0, sizeof(a));
		a.msg_type = st->msg_type;
		a.transaction_id = st->transaction_id;
		a.sender_nonce = st->sender_nonce;
		a.sender_nonce_len = sizeof(st->sender_nonce);
		a.pki_status = -1;
		a.fail_info = SCEP_FAIL_NONE;
		rc = signed_build(st->signer_cert, key, digest_evp(st->digest),
		    &a, (const uint8_t *)env.data, env.len, out_der);
	}
	buf_free(&env);
	return rc;
}

int
scep_pkcsreq_build(X509_REQ *csr, EVP_PKEY *key, X509 *ca_or_ra_cert,
    const char *transaction_id, const struct scep_build_opts *opts,
    struct buf *out_der, struct scep_client_state **st_out)
{
	static const struct scep_build_opts defaults = {
	    SCEP_MSG_PKCSREQ, SCEP_CIPHER_AES128, SCEP_DIGEST_SHA256, NULL};
	struct scep_client_state *st = NULL;
	unsigned char *d = NULL;
	int n, rc = SCEP_E_CRYPTO;

	if (opts == NULL)
		opts = &defaults;
	if (csr == NULL || key == NULL || ca_or_ra_cert == NULL ||
	    out_der == NULL || st_out == NULL ||
	    (transaction_id != NULL && !transaction_id_ok(transaction_id)) ||
	    cipher_evp(opts->cipher) == NULL ||
	    digest_evp(opts->digest) == NULL)
		return SCEP_E_ARG;
	if (opts->msg_type != 0 && opts->msg_type != SCEP_MSG_PKCSREQ &&
	    opts->msg_type != SCEP_MSG_RENEWALREQ)
		return SCEP_E_ARG;
	if (opts->msg_type == SCEP_MSG_RENEWALREQ && opts->signer_cert == NULL)
		return SCEP_E_ARG;
	if (!scep_init())
		return SCEP_E_CRYPTO;

	st = xcalloc(1, sizeof(*st));
	st->msg_type = opts->msg_type != 0 ? opts->msg_type : SCEP_MSG_PKCSREQ;
	st->cipher = opts->cipher;
	st->digest = opts->digest;
	if ((st->subject = X509_NAME_dup(X509_REQ_get_subject_name(csr))) ==
	    NULL)
		goto out;
	if ((st->csr_pubkey = X509_REQ_get_pubkey(csr)) == NULL) {
		rc = SCEP_E_ARG;
		goto out;
	}
	if (transaction_id != NULL) {
		st->transaction_id = xstrdup(transaction_id);
	} else {
		/* RFC 8894 3.2.1.1: a hash of the public key. */
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;

		if ((n = i2d_PUBKEY(st->csr_pubkey, &d)) <= 0 ||
		    !EVP_Digest(d, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
			goto out;
		st->transaction_id = hex_new(md, mdlen);
	}
	if (opts->signer_cert != NULL) {
		if (X509_check_private_key(opts->signer_cert, key) != 1) {
			rc = SCEP_E_ARG;
			goto out;
		}
		X509_up_ref(opts->signer_cert);
		st->signer_cert = opts->signer_cert;
	} else if ((st->signer_cert = throwaway_cert_new(
	                csr, key, digest_evp(st->digest))) == NULL) {
		goto out;
	}
	if (RAND_bytes(st->sender_nonce, sizeof(st->sender_nonce)) != 1)
		goto out;
	OPENSSL_free(d);
	d = NULL;
	if ((n = i2d_X509_REQ(csr, &d)) <= 0)
		goto out;
	rc = pkimessage_build(st, key, ca_or_ra_cert, d, (size_t)n, out_der);
out:
	OPENSSL_free(d);
	if (rc == SCEP_OK) {
		*st_out = st;
		st = NULL;
	}
	scep_client_state_free(st);
	return rc;
}

int
scep_certpoll_build(struct scep_client_state *st, EVP_PKEY *key,
    X509 *ca_or_ra_cert, const X509_NAME *issuer, struct buf *out_der)
{
	SCEP_ISSUER_AND_SUBJECT ias;
	unsigned char *d = NULL;
	uint8_t nonce[SCEP_NONCE_LEN];
	int n, rc;

	if (st == NULL || st->subject == NULL || st->signer_cert == NULL ||
	    key == NULL || ca_or_ra_cert == NULL || out_der == NULL)
		return SCEP_E_ARG;
	if (!scep_init())
		return SCEP_E_CRYPTO;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return SCEP_E_CRYPTO;
	ias.issuer = (X509_NAME *)(uintptr_t)(issuer != NULL
	        ? issuer
	        : X509_get_subject_name(ca_or_ra_cert));
	ias.subject = st->subject;
	n = ASN1_item_i2d((const ASN1_VALUE *)&ias, &d,
	    ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
	if (n <= 0)
		return SCEP_E_CRYPTO;
	memcpy(st->sender_nonce, nonce, sizeof(nonce));
	st->msg_type = SCEP_MSG_CERTPOLL;
	rc = pkimessage_build(st, key, ca_or_ra_cert, d, (size_t)n, out_der);
	OPENSSL_free(d);
	return rc;
}

int
scep_issuer_serial_build(int msg_type, const X509_NAME *issuer,
    const ASN1_INTEGER *serial, X509 *signer_cert, EVP_PKEY *key,
    X509 *ca_or_ra_cert, struct buf *out_der, struct scep_client_state **st_out)
{
	struct scep_client_state *st = NULL;
	PKCS7_ISSUER_AND_SERIAL *is = NULL;
	unsigned char *d = NULL;
	uint8_t rnd[16];
	int n, rc = SCEP_E_CRYPTO;

	if ((msg_type != SCEP_MSG_GETCERT && msg_type != SCEP_MSG_GETCRL) ||
	    issuer == NULL || serial == NULL || signer_cert == NULL ||
	    key == NULL || ca_or_ra_cert == NULL || out_der == NULL ||
	    st_out == NULL)
		return SCEP_E_ARG;
	if (!scep_init())
		return SCEP_E_CRYPTO;
	if (X509_check_private_key(signer_cert, key) != 1)
		return SCEP_E_ARG;
	st = xcalloc(1, sizeof(*st));
	st->msg_type = msg_type;
	st->cipher = SCEP_CIPHER_AES128;
	st->digest = SCEP_DIGEST_SHA256;
	X509_up_ref(signer_cert);
	st->signer_cert = signer_cert;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    RAND_bytes(st->sender_nonce, sizeof(st->sender_nonce)) != 1)
		goto out;
	st->transaction_id = hex_new(rnd, sizeof(rnd));
	if ((is = PKCS7_ISSUER_AND_SERIAL_new()) == NULL ||
	    !X509_NAME_set(&is->issuer, issuer))
		goto out;
	ASN1_INTEGER_free(is->serial);
	if ((is->serial = ASN1_INTEGER_dup(serial)) == NULL)
		goto out;
	if ((n = i2d_PKCS7_ISSUER_AND_SERIAL(is, &d)) <= 0)
		goto out;
	rc = pkimessage_build(st, key, ca_or_ra_cert, d, (size_t)n, out_der);
out:
	OPENSSL_free(d);
	PKCS7_ISSUER_AND_SERIAL_free(is);
	if (rc == SCEP_OK) {
		*st_out = st;
		st = NULL;
	}
	scep_client_state_free(st);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Client: replies */

void
scep_reply_free(struct scep_reply *r)
{
	if (r == NULL)
		return;
	free(r->transaction_id);
	X509_free(r->issued);
	sk_X509_pop_free(r->certs, X509_free);
	X509_CRL_free(r->crl);
	free(r);
}

/* Open the degenerate certs-only SignedData of a SUCCESS reply. */
static int
reply_certs_decode(struct scep_reply *r, const struct scep_client_state *st,
    const struct buf *c, struct scep_error *err)
{
	const uint8_t *d = (const uint8_t *)c->data;
	STACK_OF(X509) * certs;
	STACK_OF(X509_CRL) * crls;
	PKCS7 *p7;
	size_t end;
	int i, rc = SCEP_OK;

	if ((p7 = d2i_PKCS7_strict(d, c->len, &end)) == NULL)
		return fail(err, SCEP_E_CONTENT, SCEP_FAIL_NONE, 0,
		    "envelope does not hold a PKCS#7 message");
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL) {
		rc = fail(err, SCEP_E_CONTENT, SCEP_FAIL_NONE, 0,
		    "envelope does not hold a certs-only SignedData");
		goto out;
	}
	certs = p7->d.sign->cert;
	crls = p7->d.sign->crl;
	if (st->msg_type == SCEP_MSG_GETCRL) {
		if (crls == NULL || sk_X509_CRL_num(crls) < 1) {
			rc = fail(err, SCEP_E_CONTENT, SCEP_FAIL_NONE, 0,
			    "reply holds no CRL");
			goto out;
		}
		r->crl = sk_X509_CRL_value(crls, 0);
		X509_CRL_up_ref(r->crl);
		goto out;
	}
	if (certs == NULL || sk_X509_num(certs) < 1) {
		rc = fail(err, SCEP_E_CONTENT, SCEP_FAIL_NONE, 0,
		    "reply holds no certificate");
		goto out;
	}
	for (i = 0; st->csr_pubkey != NULL && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		EVP_PKEY *pub = X509_get0_pubkey(x);

		if (pub != NULL && EVP_PKEY_eq(pub, st->csr_pubkey) == 1) {
			r->issued = x;
			break;
		}
	}
	if (r->issued == NULL) {
		if (st->csr_pubkey != NULL) {
			rc = fail(err, SCEP_E_CONTENT, SCEP_FAIL_NONE, 0,
			    "no certificate for our key in the reply");
			goto out;
		}
		r->issued = sk_X509_value(certs, 0);
	}
	X509_up_ref(r->issued);
	r->certs = X509_chain_up_ref(certs);
	if (r->certs == NULL)
		rc = SCEP_E_CRYPTO;
out:
	PKCS7_free(p7);
	return rc;
}

int
scep_reply_parse(const uint8_t *der, size_t len, X509 *ca_or_ra_cert,
    const struct scep_client_state *st, EVP_PKEY *key, struct scep_reply **out,
    struct scep_error *err)
{
	struct scep_reply *r = NULL;
	struct buf plain = BUF_INIT;
	STACK_OF(X509) *trusted = NULL;
	PKCS7_SIGNER_INFO *si = NULL;
	BIO *indata = NULL;
	PKCS7 *p7 = NULL;
	uint8_t nonce[SCEP_NONCE_MAX];
	size_t end;
	int rc, nlen, cipher;

	err_init(err);
	if (out == NULL || ca_or_ra_cert == NULL || st == NULL ||
	    st->transaction_id == NULL || st->signer_cert == NULL ||
	    key == NULL || (der == NULL && len > 0))
		return fail(
		    err, SCEP_E_ARG, SCEP_FAIL_NONE, 0, "invalid argument");
	if (!scep_init())
		return fail(err, SCEP_E_CRYPTO, SCEP_FAIL_NONE, 0,
		    "OpenSSL set-up failed");
	if (len > SCEP_MAX_MESSAGE)
		return fail(err, SCEP_E_TOOBIG, SCEP_FAIL_NONE,
		    SCEP_MAX_MESSAGE, "message too large");
	if ((p7 = d2i_PKCS7_strict(der, len, &end)) == NULL) {
		rc = fail(err, SCEP_E_DER, SCEP_FAIL_NONE, end,
		    end > 0 ? "trailing bytes after the message"
		            : "not a DER PKCS#7 message");
		goto out;
	}
	if ((rc = signed_check(p7, 1, &si, err)) != SCEP_OK)
		goto out;
	/* Only the pinned CA/RA certificate may have signed. */
	if ((trusted = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(trusted, ca_or_ra_cert)) {
		rc = SCEP_E_CRYPTO;
		goto out;
	}
	if (p7->d.sign->contents->d.data == NULL &&
	    (indata = BIO_new_mem_buf("", 0)) == NULL) {
		rc = SCEP_E_CRYPTO;
		goto out;
	}
	if (PKCS7_verify(p7, trusted, NULL, indata, NULL,
	        PKCS7_NOVERIFY | PKCS7_NOINTERN) != 1) {
		rc = fail(err, SCEP_E_SIGNATURE, SCEP_FAIL_NONE, 0,
		    "reply not signed by the CA/RA certificate");
		goto out;
	}
	if (attr_get_number(si, nid_message_type) != SCEP_MSG_CERTREP) {
		rc = fail(err, SCEP_E_MSGTYPE, SCEP_FAIL_NONE, 0,
		    "reply is not a CertRep");
		goto out;
	}
	r = xcalloc(1, sizeof(*r));
	r->fail_info = SCEP_FAIL_NONE;
	r->transaction_id = attr_get_text(si, nid_transaction_id);
	if (r->transaction_id == NULL ||
	    strcmp(r->transaction_id, st->transaction_id) != 0) {
		rc = fail(err, SCEP_E_TRANSACTION, SCEP_FAIL_NONE, 0,
		    "transactionID does not match the request");
		goto out;
	}
	nlen = attr_get_nonce(si, nid_recipient_nonce, nonce);
	if (nlen != (int)sizeof(st->sender_nonce) ||
	    CRYPTO_memcmp(nonce, st->sender_nonce, sizeof(st->sender_nonce)) !=
	        0) {
		rc = fail(err, SCEP_E_NONCE, SCEP_FAIL_NONE, 0,
		    "recipientNonce does not match our senderNonce");
		goto out;
	}
	r->pki_status = attr_get_number(si, nid_pki_status);
	switch (r->pki_status) {
	case SCEP_STATUS_PENDING:
		rc = SCEP_OK;
		break;
	case SCEP_STATUS_FAILURE:
		rc = SCEP_OK;
		if (attr_present(si, nid_fail_info)) {
			r->fail_info = attr_get_number(si, nid_fail_info);
			if (r->fail_info < SCEP_FAIL_BAD_ALG ||
			    r->fail_info > SCEP_FAIL_BAD_CERT_ID)
				rc = fail(err, SCEP_E_ATTR, SCEP_FAIL_NONE, 0,
				    "bad failInfo");
		}
		break;
	case SCEP_STATUS_SUCCESS:
		rc = envelope_open(p7->d.sign->contents->d.data,
		    st->signer_cert, key, &cipher, &plain, err);
		if (rc == SCEP_OK)
			rc = reply_certs_decode(r, st, &plain, err);
		break;
	default:
		rc = fail(err, SCEP_E_ATTR, SCEP_FAIL_NONE, 0,
		    "bad or missing pkiStatus");
		break;
	}
out:
	if (rc == SCEP_OK) {
		*out = r;
		r = NULL;
	}
	scep_reply_free(r);
	buf_free(&plain);
	BIO_free(indata);
	sk_X509_free(trusted);
	PKCS7_free(p7);
	return rc;
}

/* Does c issue any certificate of the set other than itself? */
static int
issues_other(X509 *c, STACK_OF(X509) * all)
{
	int i;

	for (i = 0; i < sk_X509_num(all); i++) {
		X509 *o = sk_X509_value(all, i);

		if (o != c && X509_check_issued(c, o) == X509_V_OK)
			return 1;
	}
	return 0;
}

int
scep_getcacert_parse(const uint8_t *der, size_t len, X509 **ca_out,
    X509 **ra_out, STACK_OF(X509) * *certs_out, struct scep_error *err)
{
	STACK_OF(X509) *all = NULL;
	X509 *ca = NULL, *ra = NULL, *one;
	PKCS7 *p7 = NULL;
	size_t end;
	int i, rc = SCEP_OK;

	err_init(err);
	if (ca_out == NULL || ra_out == NULL || (der == NULL && len > 0))
		return fail(
		    err, SCEP_E_ARG, SCEP_FAIL_NONE, 0, "invalid argument");
	if (len > SCEP_MAX_MESSAGE)
		return fail(err, SCEP_E_TOOBIG, SCEP_FAIL_NONE,
		    SCEP_MAX_MESSAGE, "message too large");
	if ((one = d2i_X509_strict(der, len, &end)) != NULL) {
		if ((all = sk_X509_new_null()) == NULL ||
		    !sk_X509_push(all, one)) {
			X509_free(one);
			rc = SCEP_E_CRYPTO;
			goto out;
		}
	} else if ((p7 = d2i_PKCS7_strict(der, len, &end)) != NULL) {
		if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
		    p7->d.sign->cert == NULL ||
		    sk_X509_num(p7->d.sign->cert) < 1) {
			rc = fail(err, SCEP_E_FORMAT, SCEP_FAIL_NONE, 0,
			    "not a certs-only SignedData");
			goto out;
		}
		if ((all = X509_chain_up_ref(p7->d.sign->cert)) == NULL) {
			rc = SCEP_E_CRYPTO;
			goto out;
		}
	} else {
		rc = fail(err, SCEP_E_DER, SCEP_FAIL_NONE, end,
		    "neither a DER certificate nor a PKCS#7 message");
		goto out;
	}
	/* The RA: a non-CA certificate; the CA: its issuer. */
	for (i = 0; i < sk_X509_num(all) && sk_X509_num(all) > 1; i++) {
		X509 *x = sk_X509_value(all, i);

		if (X509_check_ca(x) == 0) {
			ra = x;
			break;
		}
	}
	for (i = 0; ra != NULL && i < sk_X509_num(all) && ca == NULL; i++) {
		X509 *x = sk_X509_value(all, i);

		if (x != ra && X509_check_issued(x, ra) == X509_V_OK)
			ca = x;
	}
	/* No RA (or no issuer for it): the CA nearest the leaf. */
	for (i = 0; ca == NULL && i < sk_X509_num(all); i++) {
		X509 *x = sk_X509_value(all, i);

		if (x != ra && !issues_other(x, all))
			ca = x;
	}
	if (ca == NULL) {
		rc = fail(err, SCEP_E_FORMAT, SCEP_FAIL_NONE, 0,
		    "no CA certificate found");
		goto out;
	}
	X509_up_ref(ca);
	*ca_out = ca;
	if (ra != NULL)
		X509_up_ref(ra);
	*ra_out = ra;
	if (certs_out != NULL) {
		*certs_out = all;
		all = NULL;
	}
out:
	sk_X509_pop_free(all, X509_free);
	PKCS7_free(p7);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Transport helpers */

static int
b64_char_ok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
	    c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

int
scep_base64_decode(const char *in, size_t len, struct buf *out)
{
	EVP_ENCODE_CTX *ctx = NULL;
	unsigned char *dec = NULL;
	size_t i;
	int n = 0, fin = 0, rc = SCEP_E_FORMAT;

	if ((in == NULL && len > 0) || out == NULL)
		return SCEP_E_ARG;
	/* 4 chars per 3 bytes, plus room for line breaks. */
	if (len > (size_t)SCEP_MAX_MESSAGE / 3 * 4 * 2)
		return SCEP_E_TOOBIG;
	for (i = 0; i < len; i++)
		if (!b64_char_ok((unsigned char)in[i]))
			return SCEP_E_FORMAT;
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL)
		return SCEP_E_CRYPTO;
	dec = xmalloc(len / 4 * 3 + 4);
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(
	        ctx, dec, &n, (const unsigned char *)in, (int)len) < 0)
		goto out;
	if (EVP_DecodeFinal(ctx, dec + n, &fin) != 1)
		goto out;
	n += fin;
	if ((size_t)n > SCEP_MAX_MESSAGE) {
		rc = SCEP_E_TOOBIG;
		goto out;
	}
	buf_append(out, dec, (size_t)n);
	rc = SCEP_OK;
out:
	free(dec);
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
scep_get_message_decode(const char *value, size_t len, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	size_t i;
	int rc;

	if ((value == NULL && len > 0) || out == NULL)
		return SCEP_E_ARG;
	if (len > (size_t)SCEP_MAX_MESSAGE / 3 * 4 * 2 * 3)
		return SCEP_E_TOOBIG;
	buf_grow(&tmp, len);
	for (i = 0; i < len; i++) {
		if (value[i] == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				buf_free(&tmp);
				return SCEP_E_FORMAT;
			}
			hi = hexval(value[i + 1]);
			lo = hexval(value[i + 2]);
			if (hi < 0 || lo < 0) {
				buf_free(&tmp);
				return SCEP_E_FORMAT;
			}
			buf_putc(&tmp, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_putc(&tmp, value[i]);
		}
	}
	rc = scep_base64_decode(tmp.data, tmp.len, out);
	buf_free(&tmp);
	return rc;
}

int
scep_get_message_encode(const uint8_t *der, size_t len, struct buf *out)
{
	unsigned char *enc;
	int n, i;

	if ((der == NULL && len > 0) || out == NULL)
		return SCEP_E_ARG;
	if (len > SCEP_MAX_MESSAGE)
		return SCEP_E_TOOBIG;
	enc = xmalloc((len + 2) / 3 * 4 + 1);
	n = EVP_EncodeBlock(enc, der, (int)len);
	for (i = 0; i < n; i++) {
		switch (enc[i]) {
		case '+':
			buf_puts(out, "%2B");
			break;
		case '/':
			buf_puts(out, "%2F");
			break;
		case '=':
			buf_puts(out, "%3D");
			break;
		default:
			buf_putc(out, (char)enc[i]);
		}
	}
	free(enc);
	return SCEP_OK;
}
