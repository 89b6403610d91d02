/*
 * libFuzzer target: the SCEP codec (src/fmt/scep.c) with the fixture CA of
 * tests/data/scep (micromdm-made, 1024-bit; embedded here so the target
 * needs no files).  Input modes, by the first byte:
 *
 *   'C' t content  A well-signed, enveloped pkiMessage of messageType t
 *                  (a table index, else the byte itself) is built around
 *                  content and parsed: it must parse, or fail only on its
 *                  content or type, always with a reply-able request.
 *   'U' text       GET message= decoding; what decodes re-encodes to a
 *                  string that decodes to the same bytes.
 *   anything else  The raw bytes go to the request parser, the CertRep
 *                  parser (fixed transaction state) and the GetCACert
 *                  parser; DER seeds start with 0x30.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "fmt/scep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char CA_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICGDCCAYGgAwIBAgIBATANBgkqhkiG9w0BAQsFADAwMQswCQYDVQQGEwJVUzEP\n"
    "MA0GA1UEChMGTGFiIENBMRAwDgYDVQQLEwdTQ0VQIENBMB4XDTI2MTEyNjE2MTI1\n"
    "NloXDTMxMTEyNjE2MTI1NlowMDELMAkGA1UEBhMCVVMxDzANBgNVBAoTBkxhYiBD\n"
    "QTEQMA4GA1UECxMHU0NFUCBDQTCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEA\n"
    "zAwWdgD5pWpT8ejd4xdAnkRGEcwaouB8pEsbTvDqV4iKx1Jj0riJQIdNxGejC4YT\n"
    "O+ON5VhbaMOeonqO1KQbikoQ6jo99+NnI8EzgsljcwF4L8dvpE/iVH2dxqd6UYxV\n"
    "uWS1ly2gsdQeeHoVrA5nt0fRtI2ckSHnoynekrqJaYsCAwEAAaNCMEAwDgYDVR0P\n"
    "AQH/BAQDAgEGMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFOEuC30h6fG3qnil\n"
    "lnwc74lb/MlQMA0GCSqGSIb3DQEBCwUAA4GBABBmokJy9FL/BmIqexyLYkBkOh59\n"
    "h9zHgSejmkn8i4JCX/kEnY21bODUyxbdu02GhDeH/2Pny1GtKT70Mk4KKyxdMhXd\n"
    "rLm9e+ADMbNAuijq3SXdVOzxpT3XWOixGWTj8ezTtSBUdK6/O+6ucDCO/nWdTJCm\n"
    "MTvPz3aDOq28fgBq\n"
    "-----END CERTIFICATE-----\n";

static const char CA_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBAMwMFnYA+aVqU/Ho\n"
    "3eMXQJ5ERhHMGqLgfKRLG07w6leIisdSY9K4iUCHTcRnowuGEzvjjeVYW2jDnqJ6\n"
    "jtSkG4pKEOo6PffjZyPBM4LJY3MBeC/Hb6RP4lR9ncanelGMVblktZctoLHUHnh6\n"
    "FawOZ7dH0bSNnJEh56Mp3pK6iWmLAgMBAAECgYEAriIOtQvmAPW5x/PcEGYSnj5T\n"
    "sfKGNMPxeuAh4P+Wbbc4ABxe1kDn2OrfQiLTsQztsyliOfxqngB7i9udsviOCrK/\n"
    "vl52IOPYkdRbcuVFvE6Qpr1TWbLsDwNzHjSmHojN7yJoE4Q3KWpislW70fy2I53V\n"
    "5+queM0qjop/pZuwbMECQQDYwlBa+YgK7LZ+Y1ykvhV+n+OnYRqw+4EsIF4Ya4D3\n"
    "a/VoFY0iNso8L9hXeL9eKKZzviJFt6YbTtoBZDZ0FYbrAkEA8PylKvVv1P4rkHbs\n"
    "ggca1nib418WbJzbkZkVfgZF13Dpx4rCkdy4vQoLX4ow9JfOvz46Tu6lpU+JpOnq\n"
    "j74/4QJBAMFb5Y6iFieYrdrlDBmxrz77pnsDdmn2kW4pmYazL6KHXa1xvCqPMayr\n"
    "CZROFHgMTx/ktnH2t2iY2IRxPtoi8e0CQQDhG++hwGE1wjOpoB1vnPlp7IIaE8Hb\n"
    "tW65hBl6fpuRE02d8zWrkVYUaCSVm339jS04ogVPpEehszmtjkBpA9uhAkAiYvLt\n"
    "23Gv0D3EV7MeJi9b/BtTsb99NbmdJ5UZYX3c78x+RfPNEquQYlkOOTibglVwl6E9\n"
    "k34wwTfsVQuWS15M\n"
    "-----END PRIVATE KEY-----\n";

/* The transaction every raw CertRep is checked against. */
#define FUZZ_TID "FUZZ-TRANSACTION"
static const uint8_t FUZZ_NONCE[SCEP_NONCE_LEN] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4,
    0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff};

static X509 *ca;
static EVP_PKEY *ca_key;

static void
init(void)
{
	BIO *b;
	struct scep_request *req = NULL;

	if (ca != NULL)
		return;
	b = BIO_new_mem_buf(CA_PEM, -1);
	ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(CA_KEY, -1);
	ca_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (ca == NULL || ca_key == NULL)
		abort();
	/* Loads the providers and registers the SCEP OIDs. */
	(void)scep_request_parse(
	    (const uint8_t *)"", 0, ca, ca_key, &req, NULL);
}

static int
attr_add(
    PKCS7_SIGNER_INFO *si, const char *oid, int type, const void *v, int len)
{
	ASN1_STRING *s = ASN1_STRING_type_new(type);

	if (s == NULL || !ASN1_STRING_set(s, v, len) ||
	    !PKCS7_add_signed_attribute(si, OBJ_txt2nid(oid), type, s)) {
		ASN1_STRING_free(s);
		return 0;
	}
	return 1;
}

/* A pkiMessage signed and enveloped by the CA itself around content. */
static int
message_build(int msg_type, const uint8_t *content, size_t len, struct buf *out)
{
	int flags = PKCS7_PARTIAL | PKCS7_BINARY | PKCS7_NOSMIMECAP;
	STACK_OF(X509) *rcpt = sk_X509_new_null();
	BIO *in =
	    BIO_new_mem_buf(len > 0 ? content : (const uint8_t *)"", (int)len);
	BIO *envb = NULL;
	PKCS7 *env = NULL, *p7 = NULL;
	PKCS7_SIGNER_INFO *si;
	unsigned char *d = NULL;
	char num[16];
	int n, ok = 0;

	if (rcpt == NULL || in == NULL || !sk_X509_push(rcpt, ca))
		goto out;
	if ((env = PKCS7_encrypt(rcpt, in, EVP_aes_128_cbc(), PKCS7_BINARY)) ==
	    NULL)
		goto out;
	if ((n = i2d_PKCS7(env, &d)) <= 0)
		goto out;
	if ((p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    (si = PKCS7_sign_add_signer(p7, ca, ca_key, EVP_sha256(), flags)) ==
	        NULL)
		goto out;
	snprintf(num, sizeof(num), "%d", msg_type);
	if (!attr_add(si, "2.16.840.1.113733.1.9.2", V_ASN1_PRINTABLESTRING,
	        num, -1) ||
	    !attr_add(si, "2.16.840.1.113733.1.9.7", V_ASN1_PRINTABLESTRING,
	        FUZZ_TID, -1) ||
	    !attr_add(si, "2.16.840.1.113733.1.9.5", V_ASN1_OCTET_STRING,
	        FUZZ_NONCE, SCEP_NONCE_LEN))
		goto out;
	if ((envb = BIO_new_mem_buf(d, n)) == NULL ||
	    !PKCS7_final(p7, envb, PKCS7_BINARY))
		goto out;
	OPENSSL_free(d);
	d = NULL;
	if ((n = i2d_PKCS7(p7, &d)) <= 0)
		goto out;
	buf_append(out, d, (size_t)n);
	ok = 1;
out:
	OPENSSL_free(d);
	BIO_free(envb);
	BIO_free(in);
	PKCS7_free(p7);
	PKCS7_free(env);
	sk_X509_free(rcpt);
	return ok;
}

static void
content_mode(const uint8_t *data, size_t size)
{
	static const int types[] = {SCEP_MSG_PKCSREQ, SCEP_MSG_RENEWALREQ,
	    SCEP_MSG_CERTPOLL, SCEP_MSG_GETCERT, SCEP_MSG_GETCRL};
	struct buf der = BUF_INIT;
	struct scep_request *req = NULL;
	struct scep_error err;
	int t, rc;

	if (size < 1)
		return;
	t = data[0] < 5 ? types[data[0]] : data[0];
	if (!message_build(t, data + 1, size - 1, &der))
		abort();
	rc = scep_request_parse(
	    (const uint8_t *)der.data, der.len, ca, ca_key, &req, &err);
	if (req == NULL || !err.can_reply ||
	    (rc != SCEP_OK && rc != SCEP_E_CONTENT && rc != SCEP_E_MSGTYPE))
		abort();
	if (strcmp(req->transaction_id, FUZZ_TID) != 0)
		abort();
	if (rc == SCEP_OK) {
		if ((t == SCEP_MSG_PKCSREQ || t == SCEP_MSG_RENEWALREQ) &&
		    req->csr == NULL)
			abort();
		if (t == SCEP_MSG_CERTPOLL && req->subject == NULL)
			abort();
		if ((t == SCEP_MSG_GETCERT || t == SCEP_MSG_GETCRL) &&
		    req->serial == NULL)
			abort();
	}
	scep_request_free(req);
	buf_free(&der);
}

static void
url_mode(const uint8_t *data, size_t size)
{
	struct buf dec = BUF_INIT, enc = BUF_INIT, again = BUF_INIT;

	if (scep_get_message_decode((const char *)data, size, &dec) ==
	    SCEP_OK) {
		if (scep_get_message_encode(
		        (const uint8_t *)dec.data, dec.len, &enc) != SCEP_OK ||
		    scep_get_message_decode(enc.data, enc.len, &again) !=
		        SCEP_OK ||
		    again.len != dec.len ||
		    (dec.len > 0 && memcmp(again.data, dec.data, dec.len) != 0))
			abort();
	}
	buf_free(&dec);
	buf_free(&enc);
	buf_free(&again);
}

static void
raw_mode(const uint8_t *data, size_t size)
{
	struct scep_request *req = NULL;
	struct scep_reply *rep = NULL;
	struct scep_client_state st;
	struct scep_error err;
	STACK_OF(X509) *all = NULL;
	X509 *c = NULL, *ra = NULL;
	int rc;

	rc = scep_request_parse(data, size, ca, ca_key, &req, &err);
	/* A request comes back on success, or on reply-able errors only. */
	if (rc == SCEP_OK && (req == NULL || req->transaction_id == NULL))
		abort();
	if (rc != SCEP_OK && req != NULL &&
	    (!err.can_reply || req->transaction_id == NULL))
		abort();
	scep_request_free(req);

	memset(&st, 0, sizeof(st));
	st.msg_type = size > 0 && (data[size - 1] & 1) ? SCEP_MSG_GETCRL
	                                               : SCEP_MSG_PKCSREQ;
	st.transaction_id = (char *)(uintptr_t)FUZZ_TID;
	memcpy(st.sender_nonce, FUZZ_NONCE, SCEP_NONCE_LEN);
	st.signer_cert = ca; /* replies encrypted to the CA itself */
	rc = scep_reply_parse(data, size, ca, &st, ca_key, &rep, &err);
	if ((rc == SCEP_OK) != (rep != NULL))
		abort();
	scep_reply_free(rep);

	rc = scep_getcacert_parse(data, size, &c, &ra, &all, &err);
	if ((rc == SCEP_OK) != (c != NULL))
		abort();
	X509_free(c);
	X509_free(ra);
	sk_X509_pop_free(all, X509_free);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (size > 0 && data[0] == 'C')
		content_mode(data + 1, size - 1);
	else if (size > 0 && data[0] == 'U')
		url_mode(data + 1, size - 1);
	else
		raw_mode(data, size);
	ERR_clear_error();
	return 0;
}
