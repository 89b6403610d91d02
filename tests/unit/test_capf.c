/*
 * Unit tests of src/fmt/capf.c: the worked byte examples of
 * shared/spec/formats.md 5.8.5, builder -> parser round trips for every
 * message of spec 5.6, and malformed input (protocol id, commands,
 * lengths, every truncation, duplicates, unknown elements, bad values,
 * oversized certificates).
 *
 * With CAPF_SEED_DIR set, the test also writes its valid messages there
 * for the fuzz seed corpus (tests/fuzz/corpus/fuzz_capf/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/capf.h"

/* ------------------------------------------------------------------ */
/* Helpers */

static void
seed_write(const char *name, const struct buf *b)
{
	const char *dir = getenv("CAPF_SEED_DIR");
	char path[4096];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	fclose(f);
}

static const uint8_t *
u8p(const struct buf *b)
{
	return (const uint8_t *)b->data;
}

static struct capf_msg *
parse_ok(const struct buf *b)
{
	struct capf_msg *m = NULL;
	struct capf_error err = {0, NULL};

	assert_int_equal(capf_msg_parse(u8p(b), b->len, &m, &err), CAPF_OK);
	assert_non_null(m);
	assert_int_equal(m->len, b->len);
	assert_int_equal(m->protocol, CAPF_PROTOCOL_ID);
	return m;
}

/* Parse must fail with rc at offset; *out stays NULL. */
static void
parse_fails(const uint8_t *d, size_t len, int rc, size_t offset)
{
	struct capf_msg *m = NULL;
	struct capf_error err = {0, NULL};

	assert_int_equal(capf_msg_parse(d, len, &m, &err), rc);
	assert_null(m);
	assert_non_null(err.what);
	assert_int_equal(err.offset, offset);
}

/* A fake DER blob: 30 82 hi lo then filler, total n bytes (n >= 4). */
static uint8_t *
fake_der(size_t n)
{
	uint8_t *d = malloc(n);

	assert_non_null(d);
	d[0] = 0x30;
	d[1] = 0x82;
	d[2] = (uint8_t)((n - 4) >> 8);
	d[3] = (uint8_t)(n - 4);
	for (size_t i = 4; i < n; i++)
		d[i] = (uint8_t)(i * 7);
	return d;
}

/* A fake 91-byte P-256 SPKI with the real prefix. */
static void
fake_spki(uint8_t spki[91])
{
	static const uint8_t pre[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A,
	    0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};

	memset(spki, 0x04, 91);
	memcpy(spki, pre, sizeof(pre));
}

/* ------------------------------------------------------------------ */
/* Worked examples (spec 5.8.5) */

static void
capf_worked_examples(void **state)
{
	static const uint8_t auth_req[] = {0x55, 0x01, 0, 0, 0, 1, 0x00, 0x08,
	    0x07, 0x00, 0x01, 0x03, 0x08, 0x00, 0x01, 0x00};
	static const uint8_t auth_resp[] = {0x55, 0x02, 0, 0, 0, 1, 0x00, 0x1F,
	    0x01, 0x00, 0x01, 0x01, 0x07, 0x00, 0x01, 0x03, 0x0B, 0x00, 0x01,
	    0x00, 0x0D, 0x00, 0x10, 'S', 'E', 'P', '0', '0', '1', '1', '2', '2',
	    '3', '3', '4', '4', '5', '5', 0x00};
	static const uint8_t kg_rsa[] = {0x55, 0x03, 0, 0, 0, 1, 0x00, 0x09,
	    0x0A, 0x00, 0x02, 0x08, 0x00, 0x11, 0x00, 0x01, 0x00};
	static const uint8_t kg_ec[] = {0x55, 0x03, 0, 0, 0, 1, 0x00, 0x08,
	    0x11, 0x00, 0x01, 0x01, 0x12, 0x00, 0x01, 0x00};
	static const uint8_t rip[] = {0x55, 0x11, 0, 0, 0, 1, 0x00, 0x00};
	static const uint8_t kg_resp_pre[] = {0x55, 0x04, 0, 0, 0, 1, 0x00,
	    0x5E, 0x09, 0x00, 0x5B, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A,
	    0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
	static const uint8_t store_pre[] = {0x55, 0x09, 0, 0, 0, 1, 0x02, 0x99,
	    0x03, 0x00, 0x01, 0x01, 0x04, 0x02, 0x92, 0x01, 0x02, 0x8F, 0x00,
	    0x01, 0x30, 0x82, 0x02, 0x89};
	static const uint8_t store_resp[] = {
	    0x55, 0x0A, 0, 0, 0, 1, 0x00, 0x04, 0x01, 0x00, 0x01, 0x01};
	static const uint8_t end[] = {
	    0x55, 0x0F, 0, 0, 0, 1, 0x00, 0x04, 0x01, 0x00, 0x01, 0x01};
	struct capf_auth_response a = {.device_name = "SEP001122334455"};
	struct buf b = BUF_INIT;
	uint8_t spki[91], *der = fake_der(653);
	struct capf_msg *m;

	(void)state;
#define EXPECT(arr, call)                                                      \
	do {                                                                   \
		buf_reset(&b);                                                 \
		assert_int_equal((call), CAPF_OK);                             \
		assert_int_equal(b.len, sizeof(arr));                          \
		assert_memory_equal(b.data, arr, sizeof(arr));                 \
		m = parse_ok(&b);                                              \
		assert_int_equal(m->session_id, 1);                            \
		capf_msg_free(m);                                              \
	} while (0)
	EXPECT(auth_req, capf_build_auth_request(1, CAPF_AUTH_TYPE_NONE, &b));
	seed_write("auth-request.bin", &b);
	EXPECT(auth_resp, capf_build_auth_response(1, &a, &b));
	seed_write("auth-response-null.bin", &b);
	EXPECT(
	    kg_rsa, capf_build_key_gen_request(1, CAPF_KEY_RSA, 2048, 0, &b));
	seed_write("keygen-request-rsa.bin", &b);
	EXPECT(kg_ec, capf_build_key_gen_request(1, CAPF_KEY_EC, 0, 0, &b));
	seed_write("keygen-request-ec.bin", &b);
	EXPECT(rip, capf_build_request_in_progress(1, &b));
	seed_write("request-in-progress.bin", &b);
	EXPECT(store_resp, capf_build_store_cert_response(1, 1, &b));
	seed_write("store-response.bin", &b);
	EXPECT(end, capf_build_end_session(1, 1, &b));
	seed_write("end-session-1.bin", &b);
#undef EXPECT

	fake_spki(spki);
	buf_reset(&b);
	assert_int_equal(
	    capf_build_key_gen_response(1, spki, sizeof(spki), 0, &b), CAPF_OK);
	assert_int_equal(b.len, 8 + 0x5E);
	assert_memory_equal(b.data, kg_resp_pre, sizeof(kg_resp_pre));
	m = parse_ok(&b);
	assert_int_equal(m->public_key.len, 91);
	assert_memory_equal(m->public_key.data, spki, 91);
	capf_msg_free(m);
	seed_write("keygen-response-ec.bin", &b);

	buf_reset(&b);
	assert_int_equal(
	    capf_build_store_cert_request(1, der, 653, &b), CAPF_OK);
	assert_int_equal(b.len, 8 + 0x299);
	assert_memory_equal(b.data, store_pre, sizeof(store_pre));
	assert_memory_equal(b.data + 20, der, 653);
	m = parse_ok(&b);
	assert_int_equal(m->command, CAPF_CMD_STORE_CERT_REQUEST);
	assert_int_equal(m->cert_type, CAPF_CERT_LSC);
	assert_true(m->has_cert);
	assert_int_equal(m->cert.prefix0, 1);
	assert_int_equal(m->cert.inner_len, 655);
	assert_int_equal(m->cert.prefix3, 0);
	assert_int_equal(m->cert.cert_type, CAPF_CERT_LSC);
	assert_int_equal(m->cert.der.len, 653);
	assert_memory_equal(m->cert.der.data, der, 653);
	capf_msg_free(m);
	seed_write("store-request.bin", &b);

	/* The spec's AUTH_RESPONSE, parsed from its bytes. */
	assert_int_equal(
	    capf_msg_parse(auth_resp, sizeof(auth_resp), &m, NULL), CAPF_OK);
	assert_int_equal(m->command, CAPF_CMD_AUTH_RESPONSE);
	assert_int_equal(m->payload_len, 31);
	assert_int_equal(m->n_elems, 4);
	assert_int_equal(m->n_unknown, 0);
	assert_int_equal(m->reason, 1);
	assert_int_equal(m->version, 3);
	assert_string_equal(m->password, "");
	assert_string_equal(m->device_name, "SEP001122334455");
	assert_int_equal(m->auth_type, -1);
	assert_false(m->has_cert);
	assert_int_equal(m->elems[3].offset, 20);
	assert_int_equal(m->elems[3].tag, CAPF_TAG_DEVICE_NAME);
	assert_int_equal(m->elems[3].len, 16);
	assert_ptr_equal(capf_msg_find(m, CAPF_TAG_PASSWORD), &m->elems[2]);
	assert_null(capf_msg_find(m, CAPF_TAG_SUDI_DATA));
	capf_msg_free(m);

	free(der);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Round trips */

static void
capf_round_trip_server_messages(void **state)
{
	struct buf b = BUF_INIT;
	struct capf_msg *m;
	uint8_t *der = fake_der(1200);
	static const int sizes[] = {512, 1024, 2048, 3072, 4096};

	(void)state;
	for (int t = CAPF_AUTH_TYPE_NONE; t <= CAPF_AUTH_TYPE_MIC; t++) {
		buf_reset(&b);
		assert_int_equal(
		    capf_build_auth_request(0xDEADBEEF, t, &b), CAPF_OK);
		m = parse_ok(&b);
		assert_int_equal(m->command, CAPF_CMD_AUTH_REQUEST);
		assert_int_equal(m->session_id, 0xDEADBEEF);
		assert_int_equal(m->version, 3);
		assert_int_equal(m->auth_type, t);
		assert_int_equal(m->n_elems, 2);
		capf_msg_free(m);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		buf_reset(&b);
		assert_int_equal(capf_build_key_gen_request(
		                     7, CAPF_KEY_RSA, sizes[i], 0, &b),
		    CAPF_OK);
		m = parse_ok(&b);
		assert_int_equal(m->command, CAPF_CMD_KEY_GEN_REQUEST);
		assert_int_equal(m->key_type, CAPF_KEY_RSA);
		assert_int_equal(m->key_size, sizes[i]);
		assert_int_equal(m->curve, -1);
		assert_int_equal(m->elems[0].tag, CAPF_TAG_KEY_SIZE);
		capf_msg_free(m);
	}
	for (int c = CAPF_CURVE_P256; c <= CAPF_CURVE_P521; c++) {
		buf_reset(&b);
		assert_int_equal(
		    capf_build_key_gen_request(7, CAPF_KEY_EC, 0, c, &b),
		    CAPF_OK);
		m = parse_ok(&b);
		assert_int_equal(m->key_type, CAPF_KEY_EC);
		assert_int_equal(m->curve, c);
		assert_int_equal(m->key_size, -1);
		assert_int_equal(m->elems[0].tag, CAPF_TAG_KEY_TYPE);
		capf_msg_free(m);
	}

	buf_reset(&b);
	assert_int_equal(capf_build_store_cert_request(9, der, 1200, &b), 0);
	m = parse_ok(&b);
	assert_int_equal(m->elems[0].tag, CAPF_TAG_CERT_TYPE);
	assert_int_equal(m->elems[1].tag, CAPF_TAG_CERTIFICATE);
	assert_int_equal(m->cert.der.len, 1200);
	assert_memory_equal(m->cert.der.data, der, 1200);
	capf_msg_free(m);

	buf_reset(&b);
	assert_int_equal(capf_build_fetch_cert_request(9, &b), CAPF_OK);
	m = parse_ok(&b);
	assert_int_equal(m->command, CAPF_CMD_FETCH_CERT_REQUEST);
	assert_int_equal(m->n_elems, 0);
	assert_int_equal(m->payload_len, 0);
	capf_msg_free(m);
	seed_write("fetch-request.bin", &b);

	buf_reset(&b);
	assert_int_equal(capf_build_delete_cert_request(9, &b), CAPF_OK);
	m = parse_ok(&b);
	assert_int_equal(m->command, CAPF_CMD_DELETE_CERT_REQUEST);
	assert_int_equal(m->n_elems, 0);
	capf_msg_free(m);
	seed_write("delete-request.bin", &b);

	for (int r = 0; r <= 255; r++) {
		buf_reset(&b);
		assert_int_equal(capf_build_end_session(9, r, &b), CAPF_OK);
		m = parse_ok(&b);
		assert_int_equal(m->command, CAPF_CMD_END_SESSION);
		assert_int_equal(m->reason, r);
		capf_msg_free(m);
	}
	free(der);
	buf_free(&b);
}

static void
capf_round_trip_phone_messages(void **state)
{
	struct buf b = BUF_INIT;
	struct capf_msg *m;
	uint8_t *der = fake_der(800), *sudi_cert = fake_der(600);
	uint8_t sig1[128], sig2[256], s1[64], s2[65], spki[91];
	struct capf_auth_response a = {
	    .device_name = "SEPABCDEF012345",
	    .password = "123456",
	};

	(void)state;
	memset(sig1, 0xA1, sizeof(sig1));
	memset(sig2, 0xB2, sizeof(sig2));
	memset(s1, 0xC3, sizeof(s1));
	memset(s2, 0xD4, sizeof(s2));

	/* Password mode. */
	assert_int_equal(capf_build_auth_response(42, &a, &b), CAPF_OK);
	m = parse_ok(&b);
	assert_int_equal(m->session_id, 42);
	assert_string_equal(m->password, "123456");
	assert_string_equal(m->device_name, "SEPABCDEF012345");
	assert_int_equal(m->n_elems, 4);
	capf_msg_free(m);
	seed_write("auth-response-password.bin", &b);

	/* Certificate mode with SUDI: every optional element, in order. */
	a.password = NULL;
	a.cert_der = der;
	a.cert_der_len = 800;
	a.signed_data = sig1;
	a.signed_data_len = sizeof(sig1);
	a.sha2_sig = sig2;
	a.sha2_sig_len = sizeof(sig2);
	a.sudi_cert = sudi_cert;
	a.sudi_cert_len = 600;
	a.sudi_sig1 = s1;
	a.sudi_sig1_len = sizeof(s1);
	a.sudi_sig2 = s2;
	a.sudi_sig2_len = sizeof(s2);
	buf_reset(&b);
	assert_int_equal(capf_build_auth_response(42, &a, &b), CAPF_OK);
	m = parse_ok(&b);
	{
		static const uint8_t order[] = {1, 4, 6, 7, 11, 13, 16, 20};

		assert_int_equal(m->n_elems, sizeof(order));
		for (size_t i = 0; i < sizeof(order); i++)
			assert_int_equal(m->elems[i].tag, order[i]);
	}
	assert_int_equal(m->reason, 1);
	assert_int_equal(m->version, 3);
	assert_string_equal(m->password, "");
	assert_true(m->has_cert);
	assert_int_equal(m->cert.der.len, 800);
	assert_memory_equal(m->cert.der.data, der, 800);
	assert_int_equal(m->signed_data.len, sizeof(sig1));
	assert_memory_equal(m->signed_data.data, sig1, sizeof(sig1));
	assert_true(m->has_sha2_sig);
	assert_int_equal(m->sha2_sig.hash_id, CAPF_DIGEST_SHA512);
	assert_int_equal(m->sha2_sig.sig.len, sizeof(sig2));
	assert_memory_equal(m->sha2_sig.sig.data, sig2, sizeof(sig2));
	assert_true(m->has_sudi);
	assert_int_equal(m->sudi.cert_id, 0);
	assert_int_equal(m->sudi.sig1_id, 1);
	assert_int_equal(m->sudi.sig2_id, 3);
	assert_int_equal(m->sudi.cert.len, 600);
	assert_memory_equal(m->sudi.cert.data, sudi_cert, 600);
	assert_int_equal(m->sudi.sig1.len, sizeof(s1));
	assert_memory_equal(m->sudi.sig2.data, s2, sizeof(s2));
	capf_msg_free(m);
	seed_write("auth-response-cert-sudi.bin", &b);

	/* KEY_GENERATE_RESPONSE failure, stores, fetches, deletes. */
	buf_reset(&b);
	assert_int_equal(capf_build_key_gen_response(42, NULL, 0, 7, &b), 0);
	m = parse_ok(&b);
	assert_int_equal(m->command, CAPF_CMD_KEY_GEN_RESPONSE);
	assert_int_equal(m->reason, 7);
	assert_null(m->public_key.data);
	capf_msg_free(m);
	seed_write("keygen-response-fail.bin", &b);

	fake_spki(spki);
	buf_reset(&b);
	assert_int_equal(
	    capf_build_key_gen_response(42, spki, sizeof(spki), 0, &b), 0);
	m = parse_ok(&b);
	assert_int_equal(m->reason, -1);
	assert_int_equal(m->n_elems, 1);
	capf_msg_free(m);

	buf_reset(&b);
	assert_int_equal(capf_build_fetch_cert_response(42, der, 800, &b), 0);
	m = parse_ok(&b);
	assert_int_equal(m->command, CAPF_CMD_FETCH_CERT_RESPONSE);
	assert_int_equal(m->reason, 1);
	assert_int_equal(m->elems[0].tag, CAPF_TAG_REASON);
	assert_int_equal(m->cert.der.len, 800);
	capf_msg_free(m);
	seed_write("fetch-response.bin", &b);

	buf_reset(&b);
	assert_int_equal(capf_build_fetch_cert_response(42, NULL, 0, &b), 0);
	m = parse_ok(&b);
	assert_int_equal(m->reason, 7);
	assert_false(m->has_cert);
	capf_msg_free(m);

	for (int r = 0; r <= 9; r++) {
		buf_reset(&b);
		assert_int_equal(capf_build_store_cert_response(5, r, &b), 0);
		m = parse_ok(&b);
		assert_int_equal(m->command, CAPF_CMD_STORE_CERT_RESPONSE);
		assert_int_equal(m->reason, r);
		capf_msg_free(m);
		buf_reset(&b);
		assert_int_equal(capf_build_delete_cert_response(5, r, &b), 0);
		m = parse_ok(&b);
		assert_int_equal(m->command, CAPF_CMD_DELETE_CERT_RESPONSE);
		assert_int_equal(m->reason, r);
		capf_msg_free(m);
	}
	seed_write("delete-response.bin", &b);
	free(der);
	free(sudi_cert);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Builder arguments */

static void
capf_build_rejects_bad_arguments(void **state)
{
	struct buf b = BUF_INIT;
	struct capf_auth_response a = {.device_name = NULL};
	uint8_t *big = fake_der(CAPF_MAX_CERT + 1);
	struct capf_elem_in e = {99, big, 0x10000};
	char *long_name = malloc(0x10000);

	(void)state;
	assert_non_null(long_name);
	memset(long_name, 'A', 0xFFFF);
	long_name[0xFFFF] = '\0';
	assert_int_equal(capf_build_auth_request(1, 5, &b), CAPF_E_ARG);
	assert_int_equal(capf_build_auth_request(1, -1, &b), CAPF_E_ARG);
	assert_int_equal(
	    capf_build_key_gen_request(1, CAPF_KEY_RSA, 1000, 0, &b),
	    CAPF_E_ARG);
	assert_int_equal(
	    capf_build_key_gen_request(1, CAPF_KEY_EC, 0, 3, &b), CAPF_E_ARG);
	assert_int_equal(
	    capf_build_key_gen_request(1, 2, 2048, 0, &b), CAPF_E_ARG);
	assert_int_equal(capf_build_end_session(1, 256, &b), CAPF_E_ARG);
	assert_int_equal(capf_build_end_session(1, -1, &b), CAPF_E_ARG);
	assert_int_equal(capf_build_auth_response(1, &a, &b), CAPF_E_ARG);
	assert_int_equal(capf_build_auth_response(1, NULL, &b), CAPF_E_ARG);
	assert_int_equal(
	    capf_build_store_cert_request(1, NULL, 0, &b), CAPF_E_ARG);
	assert_int_equal(
	    capf_build_key_gen_response(1, big, 0, 0, &b), CAPF_E_ARG);
	/* Oversized certificates and fields. */
	assert_int_equal(
	    capf_build_store_cert_request(1, big, CAPF_MAX_CERT + 1, &b),
	    CAPF_E_TOOBIG);
	assert_int_equal(
	    capf_build_fetch_cert_response(1, big, CAPF_MAX_CERT + 1, &b),
	    CAPF_E_TOOBIG);
	assert_int_equal(capf_build_msg(99, 1, &e, 1, &b), CAPF_E_TOOBIG);
	a.device_name = long_name;
	assert_int_equal(capf_build_auth_response(1, &a, &b), CAPF_E_TOOBIG);
	assert_int_equal(b.len, 0); /* nothing appended on error */

	/* The largest certificate fits exactly in a 65535-byte payload. */
	assert_int_equal(
	    capf_build_store_cert_request(1, big, CAPF_MAX_CERT, &b), CAPF_OK);
	assert_int_equal(b.len, CAPF_MAX_MESSAGE);
	{
		struct capf_msg *m = parse_ok(&b);

		assert_int_equal(m->cert.der.len, CAPF_MAX_CERT);
		capf_msg_free(m);
	}
	free(big);
	free(long_name);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Malformed input */

static void
capf_frame_len_reports_need(void **state)
{
	static const uint8_t msg[] = {
	    0x55, 0x0F, 0, 0, 0, 1, 0x00, 0x04, 0x01, 0x00, 0x01, 0x01};
	static const uint8_t big[] = {0x55, 0x09, 0, 0, 0, 1, 0xFF, 0xFF};
	static const uint8_t bad[] = {0x16, 0x03, 0x01};
	static const uint8_t badcmd[] = {0x55, 24};
	size_t need = 0;

	(void)state;
	assert_int_equal(capf_msg_frame_len(msg, 0, &need), CAPF_E_TRUNCATED);
	assert_int_equal(need, 8);
	for (size_t i = 1; i < 8; i++) {
		assert_int_equal(
		    capf_msg_frame_len(msg, i, &need), CAPF_E_TRUNCATED);
		assert_int_equal(need, 8);
	}
	for (size_t i = 8; i <= sizeof(msg); i++) {
		assert_int_equal(capf_msg_frame_len(msg, i, &need), CAPF_OK);
		assert_int_equal(need, sizeof(msg));
	}
	assert_int_equal(capf_msg_frame_len(big, 8, &need), CAPF_OK);
	assert_int_equal(need, CAPF_MAX_MESSAGE);
	assert_int_equal(capf_msg_frame_len(bad, 1, &need), CAPF_E_PROTOCOL);
	assert_int_equal(capf_msg_frame_len(badcmd, 2, &need), CAPF_E_COMMAND);
	assert_int_equal(capf_msg_frame_len(msg, 8, NULL), CAPF_E_ARG);
	assert_int_equal(capf_msg_frame_len(NULL, 3, &need), CAPF_E_ARG);
}

static void
capf_parse_rejects_bad_header(void **state)
{
	uint8_t m[] = {
	    0x55, 0x0F, 0, 0, 0, 1, 0x00, 0x04, 0x01, 0x00, 0x01, 0x01, 0xEE};
	struct capf_msg *out = NULL;

	(void)state;
	m[0] = 0x54;
	parse_fails(m, 12, CAPF_E_PROTOCOL, 0);
	m[0] = 0x55;
	m[1] = 0;
	parse_fails(m, 12, CAPF_E_COMMAND, 1);
	m[1] = 24;
	parse_fails(m, 12, CAPF_E_COMMAND, 1);
	m[1] = 0xFF;
	parse_fails(m, 12, CAPF_E_COMMAND, 1);
	m[1] = 0x0F;
	parse_fails(m, 13, CAPF_E_TRAILING, 12);
	m[7] = 0x05; /* payload_len past the end */
	parse_fails(m, 12, CAPF_E_TRUNCATED, 12);
	m[6] = 0xFF;
	parse_fails(m, 12, CAPF_E_TRUNCATED, 12);
	parse_fails(m, 0, CAPF_E_TRUNCATED, 0);
	assert_int_equal(capf_msg_parse(m, 12, NULL, NULL), CAPF_E_ARG);
	assert_int_equal(capf_msg_parse(NULL, 1, &out, NULL), CAPF_E_ARG);
	assert_null(out);
	/* Every command id 1..23 is accepted by the framing. */
	m[6] = 0;
	m[7] = 4;
	for (int c = 1; c <= 23; c++) {
		m[1] = (uint8_t)c;
		assert_int_equal(capf_msg_parse(m, 12, &out, NULL), CAPF_OK);
		assert_int_equal(out->command, c);
		assert_non_null(capf_cmd_str(c));
		capf_msg_free(out);
		out = NULL;
	}
	assert_null(capf_cmd_str(0));
	assert_null(capf_cmd_str(24));
	assert_string_equal(capf_cmd_str(15), "END_SESSION");
}

/* Cut a valid message at every byte, with and without fixing payload_len. */
static void
capf_parse_rejects_every_truncation(void **state)
{
	struct capf_auth_response a = {.device_name = "SEP001122334455"};
	uint8_t sig[64], *der = fake_der(300);
	struct buf b = BUF_INIT;
	size_t boundaries[16], nb = 0;

	(void)state;
	memset(sig, 0x5A, sizeof(sig));
	a.cert_der = der;
	a.cert_der_len = 300;
	a.signed_data = sig;
	a.signed_data_len = sizeof(sig);
	a.sha2_sig = sig;
	a.sha2_sig_len = sizeof(sig);
	a.sudi_cert = der;
	a.sudi_cert_len = 100;
	a.sudi_sig1 = sig;
	a.sudi_sig1_len = 10;
	a.sudi_sig2 = sig;
	a.sudi_sig2_len = 20;
	assert_int_equal(capf_build_auth_response(3, &a, &b), CAPF_OK);
	{
		struct capf_msg *m = parse_ok(&b);

		for (size_t i = 0; i < m->n_elems; i++)
			boundaries[nb++] = m->elems[i].offset;
		boundaries[nb++] = m->len;
		capf_msg_free(m);
	}
	for (size_t cut = 0; cut < b.len; cut++) {
		uint8_t *d = malloc(cut + 1);
		struct capf_msg *m = NULL;
		struct capf_error err = {0, NULL};
		int rc, at_boundary = 0;

		assert_non_null(d);
		memcpy(d, b.data, cut);
		/* As received: payload_len promises more. */
		rc = capf_msg_parse(d, cut, &m, &err);
		assert_int_equal(rc, CAPF_E_TRUNCATED);
		assert_null(m);
		assert_true(err.offset <= cut);
		if (cut < 8) {
			free(d);
			continue;
		}
		/* As if the sender lied: payload_len matches the cut. */
		d[6] = (uint8_t)((cut - 8) >> 8);
		d[7] = (uint8_t)(cut - 8);
		for (size_t i = 0; i < nb; i++)
			at_boundary |= boundaries[i] == cut;
		err.what = NULL;
		rc = capf_msg_parse(d, cut, &m, &err);
		if (at_boundary) {
			assert_int_equal(rc, CAPF_OK);
			capf_msg_free(m);
		} else {
			assert_true(rc == CAPF_E_TRUNCATED);
			assert_null(m);
			assert_non_null(err.what);
			assert_true(err.offset >= 8 && err.offset < cut);
		}
		free(d);
	}
	free(der);
	buf_free(&b);
}

static void
capf_parse_unknown_and_duplicate_elements(void **state)
{
	static const uint8_t v1 = 1, v3 = 3, pw[] = "1234";
	static const uint8_t blob[] = {1, 2, 3};
	struct capf_elem_in e[] = {
	    {CAPF_TAG_REASON, &v1, 1},
	    {12, blob, 3}, /* RETRY_DELAY: known name, unknown encoding */
	    {0, NULL, 0},
	    {14, blob, 2},
	    {200, blob, 3},
	    {CAPF_TAG_VERSION, &v3, 1},
	    {CAPF_TAG_PASSWORD, pw, 5},
	};
	struct buf b = BUF_INIT;
	struct capf_msg *m;

	(void)state;
	assert_int_equal(capf_build_msg(2, 8, e, 7, &b), CAPF_OK);
	seed_write("unknown-elements.bin", &b);
	m = parse_ok(&b);
	assert_int_equal(m->n_elems, 7);
	assert_int_equal(m->n_unknown, 3); /* 0, 14, 200 */
	assert_int_equal(m->reason, 1);
	assert_int_equal(m->version, 3);
	assert_string_equal(m->password, "1234");
	assert_int_equal(m->elems[4].tag, 200);
	assert_int_equal(m->elems[4].len, 3);
	assert_memory_equal(m->elems[4].value, blob, 3);
	assert_non_null(capf_msg_find(m, 12));
	capf_msg_free(m);

	/* An unknown tag may repeat; a known one may not. */
	e[2].tag = 200;
	buf_reset(&b);
	assert_int_equal(capf_build_msg(2, 8, e, 7, &b), CAPF_OK);
	m = parse_ok(&b);
	capf_msg_free(m);
	e[6].tag = CAPF_TAG_REASON;
	e[6].value = &v1;
	e[6].len = 1;
	buf_reset(&b);
	assert_int_equal(capf_build_msg(2, 8, e, 7, &b), CAPF_OK);
	parse_fails(u8p(&b), b.len, CAPF_E_DUPLICATE, b.len - 4);
	buf_free(&b);
}

/* One message holding one element; expect CAPF_E_FORMAT at offset 8. */
static void
bad_elem(uint8_t tag, const void *v, size_t len)
{
	struct capf_elem_in e = {tag, v, len};
	struct buf b = BUF_INIT;

	assert_int_equal(capf_build_msg(2, 1, &e, 1, &b), CAPF_OK);
	parse_fails(u8p(&b), b.len, CAPF_E_FORMAT, 8);
	buf_free(&b);
}

static void
capf_parse_rejects_bad_values(void **state)
{
	static const uint8_t two[] = {1, 2}, one[] = {8};
	static const uint8_t pw_nul[] = {'1', 0, '2', 0};
	static const uint8_t sha2_short[] = {3, 0, 5, 1, 2, 3, 4};
	static const uint8_t sha2_long[] = {3, 0, 1, 1, 2};
	static const uint8_t sudi_short[] = {0, 0, 1, 0x30, 1, 0, 0};
	static const uint8_t sudi_long[] = {0, 0, 0, 1, 0, 0, 3, 0, 0, 0xFF};
	static const uint8_t cert4[] = {1, 0, 2, 0};
	static const uint8_t tags1[] = {1, 3, 7, 8, 17, 18};
	struct capf_msg *m = NULL;
	struct buf b = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(tags1); i++) {
		bad_elem(tags1[i], two, 2);
		bad_elem(tags1[i], NULL, 0);
	}
	bad_elem(CAPF_TAG_KEY_SIZE, one, 1);
	bad_elem(CAPF_TAG_KEY_SIZE, NULL, 0);
	bad_elem(CAPF_TAG_PASSWORD, pw_nul, sizeof(pw_nul));
	bad_elem(CAPF_TAG_DEVICE_NAME, pw_nul, sizeof(pw_nul));
	bad_elem(CAPF_TAG_SHA2_SIGNED_DATA, sha2_short, sizeof(sha2_short));
	bad_elem(CAPF_TAG_SHA2_SIGNED_DATA, sha2_long, sizeof(sha2_long));
	bad_elem(CAPF_TAG_SHA2_SIGNED_DATA, sha2_long, 2);
	bad_elem(CAPF_TAG_SUDI_DATA, sudi_short, sizeof(sudi_short));
	bad_elem(CAPF_TAG_SUDI_DATA, sudi_long, sizeof(sudi_long));
	bad_elem(CAPF_TAG_SUDI_DATA, NULL, 0);
	bad_elem(CAPF_TAG_CERTIFICATE, cert4, sizeof(cert4));

	/* Tolerated: a string without its NUL, an empty string element. */
	{
		struct capf_elem_in e[] = {
		    {CAPF_TAG_DEVICE_NAME, "SEP1", 4},
		    {CAPF_TAG_PASSWORD, NULL, 0},
		};

		assert_int_equal(capf_build_msg(2, 1, e, 2, &b), CAPF_OK);
		assert_int_equal(
		    capf_msg_parse(u8p(&b), b.len, &m, NULL), CAPF_OK);
		assert_string_equal(m->device_name, "SEP1");
		assert_string_equal(m->password, "");
		capf_msg_free(m);
	}
	buf_free(&b);
}

static void
capf_err_str_covers_codes(void **state)
{
	(void)state;
	for (int e = CAPF_OK; e >= CAPF_E_ARG; e--) {
		assert_non_null(capf_err_str(e));
		assert_string_not_equal(capf_err_str(e), "unknown error");
	}
	assert_string_equal(capf_err_str(-100), "unknown error");
	capf_msg_free(NULL);
	assert_null(capf_msg_find(NULL, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(capf_worked_examples),
	    cmocka_unit_test(capf_round_trip_server_messages),
	    cmocka_unit_test(capf_round_trip_phone_messages),
	    cmocka_unit_test(capf_build_rejects_bad_arguments),
	    cmocka_unit_test(capf_frame_len_reports_need),
	    cmocka_unit_test(capf_parse_rejects_bad_header),
	    cmocka_unit_test(capf_parse_rejects_every_truncation),
	    cmocka_unit_test(capf_parse_unknown_and_duplicate_elements),
	    cmocka_unit_test(capf_parse_rejects_bad_values),
	    cmocka_unit_test(capf_err_str_covers_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
