/*
 * Unit tests of src/fmt/tlv.c: build -> parse -> verify round trips, the
 * worked examples of shared/spec/formats.md (1.8, 2.5, 3.4) byte offsets,
 * tampering, the phone's trust rule, and malformed input.
 *
 * With TLV_SEED_DIR set, the test also writes valid files there for the
 * fuzz seed corpus (tests/fuzz/corpus/fuzz_tlv/).
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
#include <openssl/x509.h>

#include "fmt/tlv.h"

#define TS_2025 1735689600u /* 67 74 85 80 */

/* Generated once: keygen is the slow part. */
static EVP_PKEY *k512, *k1024a, *k1024b, *k1024c, *k2048a, *k2048b, *k_ec;

/* ------------------------------------------------------------------ */
/* Helpers */

/* "CN=SAST/O=SAST/OU=SAST": attributes in this (DER) order. */
static X509_NAME *
name_new(const char *spec)
{
	X509_NAME *n = X509_NAME_new();
	char *copy = strdup(spec), *save = NULL;

	assert_non_null(n);
	for (char *t = strtok_r(copy, "/", &save); t != NULL;
	     t = strtok_r(NULL, "/", &save)) {
		char *eq = strchr(t, '=');

		assert_non_null(eq);
		*eq = '\0';
		assert_true(X509_NAME_add_entry_by_txt(n, t, MBSTRING_UTF8,
		    (const unsigned char *)eq + 1, -1, -1, 0));
	}
	free(copy);
	return n;
}

/* Self-signed certificate; serial_hex as unsigned big-endian hex. */
static X509 *
cert_new(EVP_PKEY *key, const char *dn, const char *serial_hex)
{
	X509 *x = X509_new();
	X509_NAME *n = name_new(dn);
	BIGNUM *bn = NULL;

	assert_non_null(x);
	assert_true(BN_hex2bn(&bn, serial_hex) > 0);
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(X509_set_subject_name(x, n));
	assert_true(X509_set_issuer_name(x, n));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, key));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static struct tlv_file *
parse_ok(const struct buf *b)
{
	struct tlv_file *f = NULL;
	struct tlv_error err = {0, NULL};
	int rc = tlv_file_parse((const uint8_t *)b->data, b->len, &f, &err);

	if (rc != TLV_OK)
		fail_msg("parse: %s at %zu: %s", tlv_err_str(rc), err.offset,
		    err.what);
	return f;
}

static int
parse_rc(const void *d, size_t len, struct tlv_error *err)
{
	struct tlv_file *f = NULL;
	int rc = tlv_file_parse(d, len, &f, err);

	if (rc == TLV_OK)
		assert_non_null(f);
	else
		assert_null(f);
	tlv_file_free(f);
	return rc;
}

static const uint8_t *
u8(const struct buf *b)
{
	return (const uint8_t *)b->data;
}

static void
assert_bytes(const struct buf *b, size_t off, const char *hex)
{
	size_t n = strlen(hex) / 2;

	assert_true(off + n <= b->len);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		if (u8(b)[off + i] != v)
			fail_msg("byte 0x%zX: %02X, expected %02X", off + i,
			    u8(b)[off + i], v);
	}
}

static void
seed_write(const char *name, const struct buf *b)
{
	const char *dir = getenv("TLV_SEED_DIR");
	char path[4096];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	fclose(f);
}

static struct tlv_build_opts
opts(const char *filename, int hash)
{
	struct tlv_build_opts o = {
	    filename, TS_2025, hash, TLV_SIGNER_VERSION_AUTO};

	return o;
}

static int
setup(void **state)
{
	(void)state;
	k512 = EVP_RSA_gen(512);
	k1024a = EVP_RSA_gen(1024);
	k1024b = EVP_RSA_gen(1024);
	k1024c = EVP_RSA_gen(1024);
	k2048a = EVP_RSA_gen(2048);
	k2048b = EVP_RSA_gen(2048);
	k_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return k512 && k1024a && k1024b && k1024c && k2048a && k2048b && k_ec
	    ? 0
	    : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(k512);
	EVP_PKEY_free(k1024a);
	EVP_PKEY_free(k1024b);
	EVP_PKEY_free(k1024c);
	EVP_PKEY_free(k2048a);
	EVP_PKEY_free(k2048b);
	EVP_PKEY_free(k_ec);
	return 0;
}

/* A small CTL: SAST1 (signer), SAST2, CCM+TFTP, CAPF. */
struct ctl_fixture {
	X509 *sast1, *sast2, *cme;
	struct buf file;
};

static void
ctl_fixture_build(
    struct ctl_fixture *c, EVP_PKEY *k1, EVP_PKEY *k2, EVP_PKEY *kcme, int hash)
{
	struct tlv_entry e[4];
	struct tlv_build_opts o = opts("CTLFile.tlv", hash);

	c->sast1 = cert_new(k1, "CN=SAST1/O=Lab/OU=Voice", "8A01");
	c->sast2 = cert_new(k2, "CN=SAST2/O=Lab/OU=Voice", "8A02");
	c->cme = cert_new(kcme, "CN=cme/O=Lab/OU=Voice", "0123456789ABCDEF");
	e[0] = (struct tlv_entry){c->sast1, TLV_ROLE_SAST};
	e[1] = (struct tlv_entry){c->sast2, TLV_ROLE_SAST};
	e[2] = (struct tlv_entry){c->cme, TLV_ROLE_CCM_TFTP};
	e[3] = (struct tlv_entry){c->cme, TLV_ROLE_CAPF};
	c->file = (struct buf)BUF_INIT;
	assert_int_equal(
	    tlv_trust_list_build(e, 4, c->sast1, k1, &o, &c->file), TLV_OK);
}

static void
ctl_fixture_free(struct ctl_fixture *c)
{
	X509_free(c->sast1);
	X509_free(c->sast2);
	X509_free(c->cme);
	buf_free(&c->file);
}

static void
assert_record_matches(const struct tlv_record *r, X509 *x, int role)
{
	unsigned char *der = NULL, *pub = NULL;
	int derl = i2d_X509(x, &der);
	int publ = i2d_PublicKey(X509_get0_pubkey(x), &pub);
	char *subject = tlv_name_string(X509_get_subject_name(x));
	const ASN1_BIT_STRING *sig;
	struct tlv_bytes serial;

	assert_int_equal(r->role, role);
	assert_string_equal(r->subject, subject);
	assert_string_equal(r->issuer, subject); /* self-signed */
	assert_int_equal(r->certificate.len, (size_t)derl);
	assert_memory_equal(r->certificate.data, der, (size_t)derl);
	assert_int_equal(r->public_key.len, (size_t)publ);
	assert_memory_equal(r->public_key.data, pub, (size_t)publ);
	X509_get0_signature(&sig, NULL, x);
	assert_int_equal(r->cert_signature.len, ASN1_STRING_length(sig));
	assert_memory_equal(r->cert_signature.data, ASN1_STRING_get0_data(sig),
	    r->cert_signature.len);
	assert_int_equal(tlv_serial_bytes(x, &serial), TLV_OK);
	assert_int_equal(r->serial.len, serial.len);
	assert_memory_equal(r->serial.data, serial.data, serial.len);
	assert_null(r->dns_name);
	assert_int_equal(r->hash_alg, -1);
	tlv_bytes_clear(&serial);
	OPENSSL_free(der);
	OPENSSL_free(pub);
	free(subject);
}

/* ------------------------------------------------------------------ */
/* Worked examples */

/* Spec 1.8 and 2.5: 2048-bit SAST, 23-byte DN, 16-byte serial. */
static void
tlv_build_matches_ctl_worked_example(void **state)
{
	X509 *sast = cert_new(k2048a, "CN=SAST/O=SAST/OU=SAST",
	    "9008003D00112233445566778899AA49");
	struct tlv_entry e = {sast, TLV_ROLE_SAST};
	struct tlv_build_opts o = opts("CTLFile.tlv", TLV_HASH_SHA1);
	struct buf b = BUF_INIT;
	struct tlv_file *f;
	unsigned char *der = NULL;
	int derl = i2d_X509(sast, &der);
	size_t rl = 5 + 26 + 26 + 19 + 5 + 273 + 259 + 3 + (size_t)derl;

	(void)state;
	assert_int_equal(
	    tlv_trust_list_build(&e, 1, sast, k2048a, &o, &b), TLV_OK);
	assert_bytes(&b, 0x000, "0100020102");
	assert_bytes(&b, 0x005, "0200020184");
	assert_bytes(&b, 0x00A, "1C00020100");
	assert_bytes(&b, 0x00F, "030047");
	assert_bytes(&b, 0x012,
	    "040017434E3D534153542C4F3D534153542C4F553D"
	    "5341535400");
	assert_bytes(&b, 0x02C, "060017434E3D");
	assert_bytes(&b, 0x046, "0500109008003D00112233445566778899AA49");
	assert_bytes(&b, 0x059, "07000F");
	assert_bytes(&b, 0x05C, "08000101");
	assert_bytes(&b, 0x060, "090008");
	assert_bytes(&b, 0x063, "0A000100");
	assert_bytes(&b, 0x067, "0B000102");
	assert_bytes(&b, 0x06B, "0C0100");
	assert_bytes(&b, 0x16E, "0E000C43544C46696C652E746C7600");
	assert_bytes(&b, 0x17D, "0F000467748580");
	/* Spec 2.5: the SAST record. */
	assert_bytes(&b, 0x184, "010002");
	assert_int_equal(u8(&b)[0x187] << 8 | u8(&b)[0x188], rl);
	assert_bytes(&b, 0x189, "030017434E3D53415354");
	assert_bytes(&b, 0x1A3, "050017434E3D53415354");
	assert_bytes(&b, 0x1BD, "0600109008003D");
	assert_bytes(&b, 0x1D0, "0400020000");
	assert_bytes(&b, 0x1D5, "07010E3082010A02820101");
	assert_bytes(&b, 0x2E6, "080100");
	assert_bytes(&b, 0x3E9, "09");
	assert_int_equal(u8(&b)[0x3EA] << 8 | u8(&b)[0x3EB], derl);
	assert_int_equal(b.len, 0x184 + rl);

	f = parse_ok(&b);
	assert_int_equal(f->header_length, 388);
	assert_int_equal(f->signature_offset, 0x6B);
	assert_int_equal(f->signature.len, 256);
	assert_int_equal(f->signature_modulus, 2);
	assert_int_equal(f->signer_version_major, 1);
	assert_int_equal(f->signer_version_minor, 0);
	assert_string_equal(f->signer_name, "CN=SAST,O=SAST,OU=SAST");
	assert_string_equal(f->filename, "CTLFile.tlv");
	assert_int_equal(f->timestamp, TS_2025);
	assert_int_equal(f->serial.len, 16);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_OK);
	seed_write("ctl-2048-sha1.tlv", &b);
	tlv_file_free(f);
	OPENSSL_free(der);
	X509_free(sast);
	buf_free(&b);
}

/* Spec 3.4: .sgn, SHA-512, 2048-bit, 22-byte DN, padding 3 -> 400. */
static void
tlv_build_matches_sgn_worked_example(void **state)
{
	static const char xml[] = "<device><deviceProtocol>SCCP"
	                          "</deviceProtocol></device>\n";
	X509 *tftp = cert_new(k2048b, "CN=CME/O=Lab/OU=Voice",
	    "ECF41429000102030405060708090A0B");
	struct tlv_build_opts o =
	    opts("SEP001122334455.cnf.xml.sgn", TLV_HASH_SHA512);
	struct buf b = BUF_INIT;
	struct tlv_file *f;
	const uint8_t *p;
	size_t n;

	(void)state;
	o.timestamp = 0x6B084697;
	assert_int_equal(tlv_sgn_build((const uint8_t *)xml, strlen(xml), tftp,
	                     k2048b, &o, &b),
	    TLV_OK);
	assert_bytes(&b, 0x000, "0100020100");
	assert_bytes(&b, 0x005, "0200020190");
	assert_bytes(&b, 0x00A, "030045");
	assert_bytes(&b, 0x00D,
	    "040016434E3D434D452C4F3D4C61622C4F553D566F"
	    "69636500");
	assert_bytes(&b, 0x026, "060016");
	assert_bytes(&b, 0x03F, "050010ECF41429");
	assert_bytes(&b, 0x052, "07000F");
	assert_bytes(&b, 0x055, "08000103");
	assert_bytes(&b, 0x059, "0900080A0001000B000102");
	assert_bytes(&b, 0x064, "0C0100");
	assert_bytes(&b, 0x167, "0E001C");
	assert_bytes(&b, 0x186, "0F00046B084697");
	assert_bytes(&b, 0x18D, "0D0D0D");
	assert_int_equal(b.len, 0x190 + strlen(xml));
	assert_memory_equal(b.data + 0x190, xml, strlen(xml));

	f = parse_ok(&b);
	assert_int_equal(f->header_length, 400);
	assert_false(f->is_trust_list);
	assert_int_equal(f->signer_version_major, -1);
	assert_int_equal(f->hash_alg, TLV_HASH_SHA512);
	assert_string_equal(f->filename, "SEP001122334455.cnf.xml.sgn");
	assert_int_equal(tlv_verify_with_cert(f, tftp), TLV_OK);
	tlv_file_payload(f, &p, &n);
	assert_int_equal(n, strlen(xml));
	assert_memory_equal(p, xml, n);
	assert_int_equal(tlv_sgn_strip(u8(&b), b.len, &p, &n, NULL), TLV_OK);
	assert_int_equal(n, strlen(xml));
	assert_memory_equal(p, xml, n);
	seed_write("sgn-2048-sha512.sgn", &b);
	tlv_file_free(f);
	X509_free(tftp);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Round trips */

static void
round_trip(EVP_PKEY *k1, EVP_PKEY *k2, int hash, size_t sig_len)
{
	struct ctl_fixture c;
	struct tlv_file *f;
	size_t signer = 99;

	ctl_fixture_build(&c, k1, k2, k2048b, hash);
	f = parse_ok(&c.file);
	assert_true(f->is_trust_list);
	assert_int_equal(f->version_major, 1);
	assert_int_equal(f->version_minor, 2);
	assert_int_equal(f->signer_version_minor, 0);
	assert_int_equal(f->hash_alg, hash);
	assert_int_equal(f->signature_alg, 0);
	assert_int_equal(f->signature.len, sig_len);
	assert_int_equal(f->header_length % 4, 0);
	assert_string_equal(f->signer_name, "CN=SAST1,O=Lab,OU=Voice");
	assert_string_equal(f->issuer_name, "CN=SAST1,O=Lab,OU=Voice");
	assert_int_equal(f->serial.len, 2);
	assert_int_equal(f->n_records, 4);
	assert_record_matches(&f->records[0], c.sast1, TLV_ROLE_SAST);
	assert_record_matches(&f->records[1], c.sast2, TLV_ROLE_SAST);
	assert_record_matches(&f->records[2], c.cme, TLV_ROLE_CCM_TFTP);
	assert_record_matches(&f->records[3], c.cme, TLV_ROLE_CAPF);
	assert_int_equal(tlv_verify_self(f, &signer), TLV_OK);
	assert_int_equal(signer, 0);
	assert_int_equal(tlv_verify_with_cert(f, c.sast1), TLV_OK);
	assert_int_equal(tlv_verify_with_cert(f, c.sast2), TLV_E_SIGNATURE);
	assert_int_equal(tlv_verify_with_cert(f, c.cme), TLV_E_SIGNATURE);
	tlv_file_free(f);
	ctl_fixture_free(&c);
}

static void
tlv_round_trip_rsa1024_sha1(void **state)
{
	(void)state;
	round_trip(k1024a, k1024b, TLV_HASH_SHA1, 128);
}

static void
tlv_round_trip_rsa1024_sha512(void **state)
{
	(void)state;
	round_trip(k1024a, k1024b, TLV_HASH_SHA512, 128);
}

static void
tlv_round_trip_rsa2048_sha1(void **state)
{
	(void)state;
	round_trip(k2048a, k1024b, TLV_HASH_SHA1, 256);
}

static void
tlv_round_trip_rsa2048_sha512(void **state)
{
	(void)state;
	round_trip(k2048a, k2048b, TLV_HASH_SHA512, 256);
}

static void
tlv_round_trip_rsa512_modulus_index_0(void **state)
{
	X509 *x = cert_new(k512, "CN=small/O=Lab/OU=Voice", "01");
	struct tlv_entry e = {x, TLV_ROLE_SAST};
	struct tlv_build_opts o = opts("ITLFile.tlv", TLV_HASH_SHA1);
	struct buf b = BUF_INIT;
	struct tlv_file *f;

	(void)state;
	assert_int_equal(tlv_trust_list_build(&e, 1, x, k512, &o, &b), TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(f->signature_modulus, 0);
	assert_int_equal(f->signature.len, 64);
	assert_string_equal(f->filename, "ITLFile.tlv");
	assert_int_equal(tlv_verify_self(f, NULL), TLV_OK);
	tlv_file_free(f);
	X509_free(x);
	buf_free(&b);
}

static void
tlv_round_trip_ec_records_signer_version_1_1(void **state)
{
	X509 *sast = cert_new(k1024a, "CN=SAST/O=Lab/OU=Voice", "77");
	X509 *ec = cert_new(k_ec, "CN=tftp-ec/O=Lab/OU=Voice", "78");
	struct tlv_entry e[2] = {{sast, TLV_ROLE_SAST}, {ec, TLV_ROLE_TFTP}};
	struct tlv_build_opts o = opts("ITLFile.tlv", TLV_HASH_SHA512);
	struct buf b = BUF_INIT, b10 = BUF_INIT;
	struct tlv_file *f;

	(void)state;
	assert_int_equal(
	    tlv_trust_list_build(e, 2, sast, k1024a, &o, &b), TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(f->signer_version_major, 1);
	assert_int_equal(f->signer_version_minor, 1);
	assert_int_equal(f->n_records, 2);
	assert_int_equal(f->records[1].role, TLV_ROLE_TFTP);
	assert_int_equal(f->records[1].public_key.len, 65);
	assert_int_equal(f->records[1].public_key.data[0], 0x04);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_OK);
	/* The EC certificate cannot verify a file signature. */
	assert_int_equal(tlv_verify_with_cert(f, ec), TLV_E_KEY);
	seed_write("itl-ec-sha512.tlv", &b);
	tlv_file_free(f);

	/* Explicit 1.0 is honoured; an RSA-only list gets 1.0 by default. */
	o.signer_version = TLV_SIGNER_VERSION_1_0;
	assert_int_equal(
	    tlv_trust_list_build(e, 2, sast, k1024a, &o, &b10), TLV_OK);
	f = parse_ok(&b10);
	assert_int_equal(f->signer_version_minor, 0);
	tlv_file_free(f);
	X509_free(sast);
	X509_free(ec);
	buf_free(&b);
	buf_free(&b10);
}

static void
tlv_sgn_round_trip_empty_and_binary_payload(void **state)
{
	X509 *tftp = cert_new(k1024c, "CN=tftp/O=Lab/OU=Voice", "05");
	struct tlv_build_opts o = opts("x.sgn", TLV_HASH_SHA1);
	uint8_t bin[300];
	struct buf b = BUF_INIT;
	struct tlv_file *f;
	const uint8_t *p;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7);
	assert_int_equal(tlv_sgn_build(NULL, 0, tftp, k1024c, &o, &b), TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(f->header_length, b.len);
	assert_int_equal(tlv_verify_with_cert(f, tftp), TLV_OK);
	tlv_file_free(f);
	buf_reset(&b);
	assert_int_equal(
	    tlv_sgn_build(bin, sizeof(bin), tftp, k1024c, &o, &b), TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(tlv_verify_with_cert(f, tftp), TLV_OK);
	assert_int_equal(tlv_sgn_strip(u8(&b), b.len, &p, &n, NULL), TLV_OK);
	assert_int_equal(n, sizeof(bin));
	assert_memory_equal(p, bin, n);
	seed_write("sgn-1024-sha1.sgn", &b);
	tlv_file_free(f);
	X509_free(tftp);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Tampering */

static void
assert_every_flip_rejected(const struct buf *b, X509 *cert)
{
	uint8_t *copy = malloc(b->len);

	for (size_t i = 0; i < b->len; i++) {
		struct tlv_file *f = NULL;
		int rc;

		memcpy(copy, b->data, b->len);
		copy[i] ^= 0x01;
		if (tlv_file_parse(copy, b->len, &f, NULL) != TLV_OK)
			continue;
		rc = cert != NULL ? tlv_verify_with_cert(f, cert)
		                  : tlv_verify_self(f, NULL);
		if (rc == TLV_OK)
			fail_msg("flipped byte 0x%zX still verifies", i);
		tlv_file_free(f);
	}
	free(copy);
}

static void
tlv_verify_rejects_any_tampered_byte(void **state)
{
	struct ctl_fixture c;
	struct buf sgn = BUF_INIT;
	struct tlv_build_opts o = opts("a.xml.sgn", TLV_HASH_SHA512);

	(void)state;
	ctl_fixture_build(&c, k1024a, k1024b, k1024c, TLV_HASH_SHA1);
	assert_every_flip_rejected(&c.file, NULL);
	assert_every_flip_rejected(&c.file, c.sast1);
	assert_int_equal(tlv_sgn_build((const uint8_t *)"<a>hello</a>", 12,
	                     c.cme, k1024c, &o, &sgn),
	    TLV_OK);
	assert_every_flip_rejected(&sgn, c.cme);
	/* Appending bytes is tampering too. */
	buf_append(&sgn, "x", 1);
	{
		struct tlv_file *f = parse_ok(&sgn);

		assert_int_equal(
		    tlv_verify_with_cert(f, c.cme), TLV_E_SIGNATURE);
		tlv_file_free(f);
	}
	buf_free(&sgn);
	ctl_fixture_free(&c);
}

/* ------------------------------------------------------------------ */
/* Trust rule */

static void
tlv_verify_with_trust_accepts_sast2_rejects_unknown(void **state)
{
	struct ctl_fixture old;
	struct tlv_file *prev, *f;
	X509 *stranger, *impostor;
	struct tlv_entry e[3];
	struct tlv_build_opts o = opts("CTLFile.tlv", TLV_HASH_SHA1);
	struct buf b = BUF_INIT;
	size_t signer = 99;

	(void)state;
	ctl_fixture_build(&old, k1024a, k1024b, k2048b, TLV_HASH_SHA1);
	prev = parse_ok(&old.file);

	/* Re-signed by SAST2 (SAST1 compromised): accepted. */
	e[0] = (struct tlv_entry){old.sast2, TLV_ROLE_SAST};
	e[1] = (struct tlv_entry){old.cme, TLV_ROLE_CCM_TFTP};
	assert_int_equal(
	    tlv_trust_list_build(e, 2, old.sast2, k1024b, &o, &b), TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_OK);
	assert_int_equal(tlv_verify_with_trust(f, prev, &signer), TLV_OK);
	assert_int_equal(signer, 1);
	tlv_file_free(f);

	/* Signed by an unknown key: consistent by itself, not trusted. */
	stranger = cert_new(k1024c, "CN=SAST9/O=Evil/OU=X", "99");
	e[0] = (struct tlv_entry){stranger, TLV_ROLE_SAST};
	buf_reset(&b);
	assert_int_equal(
	    tlv_trust_list_build(e, 2, stranger, k1024c, &o, &b), TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_OK);
	assert_int_equal(tlv_verify_with_trust(f, prev, NULL), TLV_E_UNTRUSTED);
	tlv_file_free(f);

	/* An impostor copying SAST1's name and serial: signature fails. */
	impostor = cert_new(k1024c, "CN=SAST1/O=Lab/OU=Voice", "8A01");
	e[0] = (struct tlv_entry){impostor, TLV_ROLE_SAST};
	buf_reset(&b);
	assert_int_equal(
	    tlv_trust_list_build(e, 2, impostor, k1024c, &o, &b), TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_OK);
	assert_int_equal(tlv_verify_with_trust(f, prev, NULL), TLV_E_SIGNATURE);
	tlv_file_free(f);

	/* A trust list is needed as "previous". */
	buf_reset(&b);
	assert_int_equal(
	    tlv_sgn_build((const uint8_t *)"x", 1, old.cme, k2048b, &o, &b),
	    TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(tlv_verify_with_trust(prev, f, NULL), TLV_E_ARG);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_E_ARG);
	/* .sgn against the list: the CCM+TFTP record signs it. */
	assert_int_equal(tlv_verify_signed_file(f, prev, &signer), TLV_OK);
	assert_int_equal(signer, 2);
	tlv_file_free(f);
	/* ... but not a SAST-signed .sgn. */
	buf_reset(&b);
	assert_int_equal(
	    tlv_sgn_build((const uint8_t *)"x", 1, old.sast1, k1024a, &o, &b),
	    TLV_OK);
	f = parse_ok(&b);
	assert_int_equal(
	    tlv_verify_signed_file(f, prev, NULL), TLV_E_UNTRUSTED);
	tlv_file_free(f);

	tlv_file_free(prev);
	X509_free(stranger);
	X509_free(impostor);
	buf_free(&b);
	ctl_fixture_free(&old);
}

static void
tlv_verify_self_requires_matching_sast(void **state)
{
	X509 *sast = cert_new(k1024a, "CN=S/O=Lab/OU=V", "10");
	X509 *other = cert_new(k1024b, "CN=T/O=Lab/OU=V", "11");
	struct tlv_entry e[2] = {{sast, TLV_ROLE_SAST}, {other, TLV_ROLE_TFTP}};
	struct tlv_build_opts o = opts("CTLFile.tlv", TLV_HASH_SHA1);
	struct buf b = BUF_INIT;
	struct tlv_file *f;

	(void)state;
	assert_int_equal(
	    tlv_trust_list_build(e, 2, sast, k1024a, &o, &b), TLV_OK);
	/* Turn the SAST record into a CCM record (ROLE at record + 0x??):
	 * find "04 00 02 00 00" after the header. */
	f = parse_ok(&b);
	{
		size_t roff = f->records[0].offset, i;

		for (i = roff; i + 5 < b.len; i++)
			if (memcmp(b.data + i, "\x04\x00\x02\x00\x00", 5) == 0)
				break;
		b.data[i + 4] = 1;
	}
	tlv_file_free(f);
	f = parse_ok(&b);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_E_SIGNER);
	tlv_file_free(f);
	X509_free(sast);
	X509_free(other);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Builder arguments */

static void
tlv_build_rejects_bad_signers(void **state)
{
	X509 *s1 = cert_new(k1024a, "CN=S1/O=L/OU=V", "01");
	X509 *s2 = cert_new(k1024b, "CN=S2/O=L/OU=V", "02");
	X509 *s3 = cert_new(k1024c, "CN=S3/O=L/OU=V", "03");
	X509 *ec = cert_new(k_ec, "CN=E/O=L/OU=V", "04");
	EVP_PKEY *k1536 = EVP_RSA_gen(1536);
	X509 *x1536 = cert_new(k1536, "CN=X/O=L/OU=V", "05");
	struct tlv_entry e[3] = {
	    {s1, TLV_ROLE_SAST}, {s2, TLV_ROLE_SAST}, {s3, TLV_ROLE_SAST}};
	struct tlv_entry ee = {ec, TLV_ROLE_SAST}, ex = {x1536, TLV_ROLE_SAST};
	struct tlv_build_opts o = opts("CTLFile.tlv", TLV_HASH_SHA1);
	struct buf b = BUF_INIT;

	(void)state;
	/* Three SASTs; signer not a SAST record. */
	assert_int_equal(
	    tlv_trust_list_build(e, 3, s1, k1024a, &o, &b), TLV_E_ARG);
	assert_int_equal(
	    tlv_trust_list_build(e + 1, 2, s1, k1024a, &o, &b), TLV_E_ARG);
	/* Key does not match the certificate. */
	assert_int_equal(
	    tlv_trust_list_build(e, 2, s1, k1024b, &o, &b), TLV_E_KEY);
	/* EC and 1536-bit signers. */
	assert_int_equal(
	    tlv_trust_list_build(&ee, 1, ec, k_ec, &o, &b), TLV_E_KEY);
	assert_int_equal(
	    tlv_trust_list_build(&ex, 1, x1536, k1536, &o, &b), TLV_E_KEY);
	assert_int_equal(
	    tlv_sgn_build((const uint8_t *)"x", 1, ec, k_ec, &o, &b),
	    TLV_E_KEY);
	/* SHA-256 is not a file-signature hash. */
	o.hash_alg = TLV_HASH_SHA256;
	assert_int_equal(
	    tlv_trust_list_build(e, 2, s1, k1024a, &o, &b), TLV_E_HASH);
	o.hash_alg = TLV_HASH_SHA1;
	o.filename = NULL;
	assert_int_equal(
	    tlv_trust_list_build(e, 2, s1, k1024a, &o, &b), TLV_E_ARG);
	assert_int_equal(b.len, 0);
	X509_free(s1);
	X509_free(s2);
	X509_free(s3);
	X509_free(ec);
	X509_free(x1536);
	EVP_PKEY_free(k1536);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Encodings */

static void
tlv_name_string_uses_der_order_and_rfc4514_escaping(void **state)
{
	X509_NAME *n = name_new("O=a,b/CN=#x+y/OU= lead/L=trail ");
	X509_NAME *m = name_new("CN=ok/emailAddress=a@b/C=NZ/ST=Ak/DC=lab");
	X509_NAME *u = name_new("CN=Zoë;<q>\"\\/UID=u1/street=1 Main");
	char *s;

	(void)state;
	s = tlv_name_string(n);
	assert_string_equal(s, "O=a\\,b,CN=\\#x\\+y,OU=\\ lead,L=trail\\ ");
	free(s);
	s = tlv_name_string(m);
	assert_string_equal(
	    s, "CN=ok,1.2.840.113549.1.9.1=a@b,C=NZ,ST=Ak,DC=lab");
	free(s);
	s = tlv_name_string(u);
	assert_string_equal(
	    s, "CN=Zo\xc3\xab\\;\\<q\\>\\\"\\\\,UID=u1,STREET=1 Main");
	free(s);
	X509_NAME_free(n);
	X509_NAME_free(m);
	X509_NAME_free(u);
}

static void
tlv_serial_bytes_are_unsigned_minimal(void **state)
{
	X509 *a = cert_new(k1024a, "CN=a", "FF");
	X509 *b = cert_new(k1024a, "CN=b", "00000102");
	X509 *c = cert_new(k1024a, "CN=c", "80000000000000000000000000000001");
	struct tlv_bytes s;

	(void)state;
	assert_int_equal(tlv_serial_bytes(a, &s), TLV_OK);
	assert_int_equal(s.len, 1);
	assert_int_equal(s.data[0], 0xFF);
	tlv_bytes_clear(&s);
	assert_int_equal(tlv_serial_bytes(b, &s), TLV_OK);
	assert_int_equal(s.len, 2);
	assert_memory_equal(s.data, "\x01\x02", 2);
	tlv_bytes_clear(&s);
	assert_int_equal(tlv_serial_bytes(c, &s), TLV_OK);
	assert_int_equal(s.len, 16);
	assert_int_equal(s.data[0], 0x80);
	tlv_bytes_clear(&s);
	X509_free(a);
	X509_free(b);
	X509_free(c);
}

static void
tlv_strings_cover_all_codes(void **state)
{
	(void)state;
	for (int e = TLV_OK; e >= TLV_E_CRYPTO; e--)
		assert_string_not_equal(tlv_err_str(e), "unknown error");
	assert_string_equal(tlv_err_str(-99), "unknown error");
	assert_string_equal(tlv_role_str(TLV_ROLE_CCM_TFTP), "CCM+TFTP");
	assert_string_equal(tlv_role_str(TLV_ROLE_APP_SERVER), "APP-SERVER");
	assert_string_equal(tlv_role_str(TLV_ROLE_TVS), "TVS");
	assert_null(tlv_role_str(6));
	assert_int_equal(tlv_role_from_str("ccm+tftp"), 2);
	assert_int_equal(tlv_role_from_str("App-Server"), 7);
	assert_int_equal(tlv_role_from_str("21"), 21);
	assert_int_equal(tlv_role_from_str("65536"), -1);
	assert_int_equal(tlv_role_from_str("bogus"), -1);
	assert_string_equal(tlv_hash_str(3), "SHA-512");
	assert_null(tlv_hash_str(4));
}

/* ------------------------------------------------------------------ */
/* Malformed input */

/*
 * A file from hex: "H" in the text is replaced by HEADER_LENGTH computed
 * as 10 + the length of the header body (everything up to '|'); the part
 * after '|' is the payload.
 */
static size_t
craft(uint8_t *out, const char *hdr, const char *payload)
{
	size_t n = 0;

	memcpy(out, "\x01\x00\x02\x01\x00\x02\x00\x02\x00\x00", 10);
	n = 10;
	for (const char *p = hdr; *p; p += 2) {
		unsigned v;

		assert_int_equal(sscanf(p, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	out[8] = (uint8_t)(n >> 8);
	out[9] = (uint8_t)n;
	for (const char *p = payload; *p; p += 2) {
		unsigned v;

		assert_int_equal(sscanf(p, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

#define HASH1 "08000101"
#define SIG4 "0C000411223344"

static void
expect(const char *hdr, const char *payload, int version_minor, int rc,
    size_t offset)
{
	uint8_t d[512];
	size_t n = craft(d, hdr, payload);
	struct tlv_error err = {0, NULL};
	int got;

	d[4] = (uint8_t)version_minor;
	got = parse_rc(d, n, &err);
	if (got != rc)
		fail_msg("%s|%s: got %s, expected %s (%s at %zu)", hdr, payload,
		    tlv_err_str(got), tlv_err_str(rc),
		    err.what ? err.what : "-", err.offset);
	if (rc != TLV_OK) {
		assert_non_null(err.what);
		if (err.offset != offset)
			fail_msg("%s|%s: offset %zu, expected %zu (%s)", hdr,
			    payload, err.offset, offset, err.what);
	}
}

static void
tlv_parse_rejects_malformed_headers(void **state)
{
	uint8_t d[64];
	struct tlv_error err;

	(void)state;
	/* Minimal well-formed files. */
	expect(HASH1 SIG4, "", 0, TLV_OK, 0);
	expect("0D" HASH1 "0D0D" SIG4 "0D", "AABB", 0, TLV_OK, 0);
	/* Containers are stepped into; tags 16-27 accepted. */
	expect("030007"
	       "040001"
	       "00"
	       "050000" HASH1 SIG4,
	    "", 0, TLV_OK, 0);
	expect(HASH1 SIG4 "10000A"
	                  "110007"
	                  "12000100"
	                  "1300"
	                  "00"
	                  "1A000101"
	                  "1B0000",
	    "", 0, TLV_OK, 0);
	/* Missing mandatory fields. */
	expect(SIG4, "", 0, TLV_E_MISSING, 17);
	expect(HASH1, "", 0, TLV_E_MISSING, 14);
	/* Unknown and duplicated tags. */
	expect(HASH1 SIG4 "1D0000", "", 0, TLV_E_TAG, 21);
	expect(HASH1 SIG4 "000000", "", 0, TLV_E_TAG, 21);
	expect(HASH1 SIG4 "FF0000", "", 0, TLV_E_TAG, 21);
	expect(HASH1 SIG4 SIG4, "", 0, TLV_E_TAG, 21);
	expect(HASH1 SIG4 "01000201"
	                  "02",
	    "", 0, TLV_E_TAG, 21);
	/* Lengths past the header end. */
	expect(HASH1 SIG4 "0E0005"
	                  "4142",
	    "", 0, TLV_E_TRUNCATED, 21);
	expect(HASH1 SIG4 "0E", "", 0, TLV_E_TRUNCATED, 21);
	expect(HASH1 SIG4 "0E00", "", 0, TLV_E_TRUNCATED, 21);
	expect(HASH1 SIG4 "030010"
	                  "040001"
	                  "00",
	    "", 0, TLV_E_TRUNCATED, 21);
	/* Wrong fixed lengths and inconsistent modulus. */
	expect(HASH1 SIG4 "0F000301020300", "", 0, TLV_E_FORMAT, 21);
	expect("0800020101" SIG4, "", 0, TLV_E_FORMAT, 10);
	expect(HASH1 SIG4 "1C0001"
	                  "01",
	    "", 0, TLV_E_FORMAT, 21);
	expect(HASH1 "0B000102" SIG4, "", 0, TLV_E_FORMAT, 18);
	expect(HASH1 "0C0000", "", 0, TLV_E_FORMAT, 14);

	/* VERSION / HEADER_LENGTH framing. */
	assert_int_equal(parse_rc(NULL, 0, &err), TLV_E_TRUNCATED);
	assert_int_equal(parse_rc("\x01", 1, &err), TLV_E_TRUNCATED);
	memcpy(d, "\x02\x00\x02\x01\x84\x01\x00\x02\x01\x02", 10);
	assert_int_equal(parse_rc(d, 10, &err), TLV_E_FORMAT);
	assert_int_equal(err.offset, 0);
	memcpy(d, "\x01\x00\x03\x01\x02\x00", 6);
	assert_int_equal(parse_rc(d, 6, &err), TLV_E_FORMAT);
	assert_int_equal(err.offset, 1);
	memcpy(d, "\x01\x00\x02\x01\x02\x03\x00\x02\x00\x0A", 10);
	assert_int_equal(parse_rc(d, 10, &err), TLV_E_FORMAT);
	assert_int_equal(err.offset, 5);
	memcpy(d, "\x01\x00\x02\x01\x02\x02\x00\x02\x00\x0B", 10);
	assert_int_equal(parse_rc(d, 10, &err), TLV_E_TRUNCATED);
	assert_int_equal(err.offset, 8);
	assert_string_equal(
	    err.what, "HEADER_LENGTH beyond the end of the file");
	memcpy(d, "\x01\x00\x02\x01\x02\x02\x00\x02\x00\x09", 10);
	assert_int_equal(parse_rc(d, 10, &err), TLV_E_FORMAT);
	assert_int_equal(err.offset, 8);
	memcpy(d, "\x01\x00\x02\x01\x02\x02\x00\x01\x00", 9);
	assert_int_equal(parse_rc(d, 9, &err), TLV_E_TRUNCATED);
	memcpy(d, "\x01\x00\x02\x01\x02\x02\x00\x03\x00\x0A\x00", 11);
	assert_int_equal(parse_rc(d, 11, &err), TLV_E_FORMAT);
	assert_int_equal(err.offset, 6);
}

#define REC_MIN "0100020005"

static void
tlv_parse_rejects_malformed_records(void **state)
{
	(void)state;
	/* H = 10 + 11 = 21: records start at 21. */
	expect(HASH1 SIG4, "", 2, TLV_OK, 0);
	expect(HASH1 SIG4, REC_MIN REC_MIN, 2, TLV_OK, 0);
	/* Tags 2, 10, 11, 12 are accepted, in any order. */
	expect(HASH1 SIG4,
	    "0100020025"
	    "0400020003"
	    "0A0004C0A80001"
	    "0C000101"
	    "0B000401020304"
	    "02000100"
	    "0300020000",
	    2, TLV_OK, 0);
	/* Record length 0, 4, past the end. */
	expect(HASH1 SIG4, "0100020000", 2, TLV_E_FORMAT, 24);
	expect(HASH1 SIG4, "0100020004", 2, TLV_E_FORMAT, 24);
	expect(HASH1 SIG4, "0100020006", 2, TLV_E_TRUNCATED, 24);
	expect(HASH1 SIG4,
	    "01000200FF"
	    "00",
	    2, TLV_E_TRUNCATED, 24);
	/* Leftover bytes that cannot be a record. */
	expect(HASH1 SIG4, REC_MIN "0100", 2, TLV_E_TRUNCATED, 26);
	/* Record framing. */
	expect(HASH1 SIG4, "0300020005", 2, TLV_E_FORMAT, 21);
	expect(HASH1 SIG4, "0100030005", 2, TLV_E_FORMAT, 22);
	/* Inner TLVs: unknown, duplicated, past the record, bad sizes. */
	expect(HASH1 SIG4,
	    "0100020008"
	    "0D0000",
	    2, TLV_E_TAG, 26);
	expect(HASH1 SIG4,
	    "0100020008"
	    "010000",
	    2, TLV_E_TAG, 26);
	expect(HASH1 SIG4,
	    "010002000B"
	    "020000"
	    "020000",
	    2, TLV_E_TAG, 29);
	expect(HASH1 SIG4,
	    "0100020009"
	    "030002"
	    "00",
	    2, TLV_E_TRUNCATED, 26);
	expect(HASH1 SIG4,
	    "0100020007"
	    "0300",
	    2, TLV_E_TRUNCATED, 26);
	expect(HASH1 SIG4,
	    "0100020009"
	    "030002"
	    "00"
	    "00",
	    2, TLV_E_TRUNCATED, 26);
	expect(HASH1 SIG4,
	    "0100020009"
	    "04000100",
	    2, TLV_E_FORMAT, 26);
	expect(HASH1 SIG4,
	    "010002000A"
	    "0C00020101",
	    2, TLV_E_FORMAT, 26);
	/* Not a trust list (1.0): the same bytes are an opaque payload. */
	expect(HASH1 SIG4, "0100020000", 0, TLV_OK, 0);
}

static void
tlv_parse_rejects_every_truncation(void **state)
{
	struct ctl_fixture c;
	struct buf sgn = BUF_INIT;
	struct tlv_build_opts o = opts("t.sgn", TLV_HASH_SHA1);
	const struct buf *files[2];

	(void)state;
	ctl_fixture_build(&c, k1024a, k1024b, k1024c, TLV_HASH_SHA1);
	assert_int_equal(tlv_sgn_build((const uint8_t *)"payload", 7, c.cme,
	                     k1024c, &o, &sgn),
	    TLV_OK);
	files[0] = &c.file;
	files[1] = &sgn;
	for (int k = 0; k < 2; k++) {
		const struct buf *b = files[k];

		for (size_t n = 0; n < b->len; n++) {
			/* A fresh exact-size copy so ASan sees overreads. */
			uint8_t *d = malloc(n > 0 ? n : 1);
			struct tlv_file *f = NULL;
			struct tlv_error err = {0, NULL};
			int rc;

			memcpy(d, b->data, n);
			rc = tlv_file_parse(d, n, &f, &err);
			if (rc == TLV_OK) {
				int v = k == 0 ? tlv_verify_self(f, NULL)
				               : tlv_verify_with_cert(f, c.cme);

				if (v == TLV_OK)
					fail_msg(
					    "truncated at %zu verifies", n);
				tlv_file_free(f);
			} else {
				assert_non_null(err.what);
				assert_true(err.offset <= n);
			}
			free(d);
		}
	}
	buf_free(&sgn);
	ctl_fixture_free(&c);
}

static void
tlv_verify_rejects_unusable_files(void **state)
{
	uint8_t d[64];
	size_t n;
	struct tlv_file *f = NULL;

	(void)state;
	/* Hash 4 and a too-short signature for a 1024-bit key. */
	n = craft(d, "08000104" SIG4, "");
	assert_int_equal(tlv_file_parse(d, n, &f, NULL), TLV_OK);
	assert_int_equal(tlv_verify_with_pkey(f, k1024a), TLV_E_HASH);
	tlv_file_free(f);
	n = craft(d, HASH1 SIG4, "");
	assert_int_equal(tlv_file_parse(d, n, &f, NULL), TLV_OK);
	assert_int_equal(tlv_verify_with_pkey(f, k1024a), TLV_E_SIGNATURE);
	assert_int_equal(tlv_verify_with_pkey(f, k_ec), TLV_E_KEY);
	tlv_file_free(f);
	/* A trust list without a header serial. */
	n = craft(d, HASH1 SIG4, "");
	d[4] = 2;
	assert_int_equal(tlv_file_parse(d, n, &f, NULL), TLV_OK);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_E_MISSING);
	tlv_file_free(f);
	/* A SAST record whose certificate is garbage. */
	n = craft(d, "05000101" HASH1 SIG4,
	    "0100020015"
	    "0400020000"
	    "06000101"
	    "09000401020304");
	d[4] = 2;
	assert_int_equal(tlv_file_parse(d, n, &f, NULL), TLV_OK);
	assert_int_equal(tlv_verify_self(f, NULL), TLV_E_CERT);
	tlv_file_free(f);
	assert_int_equal(tlv_file_parse(d, n, NULL, NULL), TLV_E_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tlv_build_matches_ctl_worked_example),
	    cmocka_unit_test(tlv_build_matches_sgn_worked_example),
	    cmocka_unit_test(tlv_round_trip_rsa1024_sha1),
	    cmocka_unit_test(tlv_round_trip_rsa1024_sha512),
	    cmocka_unit_test(tlv_round_trip_rsa2048_sha1),
	    cmocka_unit_test(tlv_round_trip_rsa2048_sha512),
	    cmocka_unit_test(tlv_round_trip_rsa512_modulus_index_0),
	    cmocka_unit_test(tlv_round_trip_ec_records_signer_version_1_1),
	    cmocka_unit_test(tlv_sgn_round_trip_empty_and_binary_payload),
	    cmocka_unit_test(tlv_verify_rejects_any_tampered_byte),
	    cmocka_unit_test(
	        tlv_verify_with_trust_accepts_sast2_rejects_unknown),
	    cmocka_unit_test(tlv_verify_self_requires_matching_sast),
	    cmocka_unit_test(tlv_build_rejects_bad_signers),
	    cmocka_unit_test(
	        tlv_name_string_uses_der_order_and_rfc4514_escaping),
	    cmocka_unit_test(tlv_serial_bytes_are_unsigned_minimal),
	    cmocka_unit_test(tlv_strings_cover_all_codes),
	    cmocka_unit_test(tlv_parse_rejects_malformed_headers),
	    cmocka_unit_test(tlv_parse_rejects_malformed_records),
	    cmocka_unit_test(tlv_parse_rejects_every_truncation),
	    cmocka_unit_test(tlv_verify_rejects_unusable_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
