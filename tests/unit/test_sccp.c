/*
 * Unit tests of src/fmt/sccp.c: framing, the worked examples of
 * shared/spec/sccp.md 13.1/13.2 reproduced byte for byte, build -> parse
 * round trips of every decoded message at each layout version, and
 * malformed input (short header, bad length, truncation at every byte).
 *
 * With SCCP_SEED_DIR set, the test also writes the messages it builds
 * there for the fuzz seed corpus (tests/fuzz/corpus/fuzz_sccp/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/sccp.h"

/* ------------------------------------------------------------------ */
/* Helpers */

/* Hex (whitespace ignored) -> bytes; returns the length. */
static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p != '\0'; p++) {
		int v;

		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

static void
seed_write(const char *name, const void *data, size_t len)
{
	const char *dir = getenv("SCCP_SEED_DIR");
	char path[4096];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Every proper prefix of a valid PDU is "truncated" with an offset. */
static void
assert_truncations_fail(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		struct sccp_msg m;
		struct sccp_error err = {999999, NULL};
		size_t need = 0;
		uint8_t *copy = malloc(i > 0 ? i : 1);

		/* Exact-size heap copy so ASan catches any over-read. */
		memcpy(copy, data, i);
		assert_int_equal(
		    sccp_msg_parse(copy, i, &m, &err), SCCP_E_TRUNCATED);
		assert_non_null(err.what);
		assert_true(err.offset <= len);
		assert_int_equal(sccp_frame_len(copy, i, &need), 0);
		assert_true(need > i);
		free(copy);
	}
}

/* build(m) parses back to the same fields; returns the PDU length. */
static size_t
round_trip(const struct sccp_msg *m, struct sccp_msg *back, const char *seed)
{
	struct buf b = BUF_INIT;
	struct sccp_error err = {0, NULL};
	uint8_t *copy;
	size_t len;

	assert_int_equal(sccp_msg_build(&b, m), SCCP_OK);
	len = b.len;
	copy = malloc(len);
	memcpy(copy, b.data, len);
	assert_int_equal(sccp_msg_parse(copy, len, back, &err), SCCP_OK);
	assert_int_equal(back->pdu_len, len);
	assert_int_equal(back->id, m->id);
	assert_int_equal(back->hdr_version, m->hdr_version);
	assert_true(back->is_known);
	assert_truncations_fail(copy, len);
	if (seed != NULL)
		seed_write(seed, copy, len);
	back->body = NULL; /* points into freed copy */
	free(copy);
	buf_free(&b);
	return len;
}

/* ------------------------------------------------------------------ */
/* Framing */

static void
sccp_frame_len_reports_need_and_errors(void **state)
{
	uint8_t d[16] = {0};
	size_t need = 0;

	(void)state;
	assert_int_equal(sccp_frame_len(d, 0, &need), 0);
	assert_int_equal(need, 8);
	assert_int_equal(sccp_frame_len(d, 7, &need), 0);
	assert_int_equal(need, 8);
	/* length 0 and 3: no message id */
	assert_int_equal(sccp_frame_len(d, 8, &need), SCCP_E_LENGTH);
	d[0] = 3;
	assert_int_equal(sccp_frame_len(d, 16, &need), SCCP_E_LENGTH);
	/* KeepAlive: 12 bytes */
	d[0] = 4;
	assert_int_equal(sccp_frame_len(d, 8, &need), 0);
	assert_int_equal(need, 12);
	assert_int_equal(sccp_frame_len(d, 11, &need), 0);
	assert_int_equal(sccp_frame_len(d, 12, &need), 1);
	assert_int_equal(need, 12);
	assert_int_equal(sccp_frame_len(d, 16, &need), 1);
	assert_int_equal(need, 12);
	/* Largest accepted and one more. */
	d[0] = (uint8_t)((SCCP_MAX_PDU - 8) & 0xff);
	d[1] = (uint8_t)((SCCP_MAX_PDU - 8) >> 8);
	assert_int_equal(sccp_frame_len(d, 16, &need), 0);
	assert_int_equal(need, SCCP_MAX_PDU);
	d[0]++;
	assert_int_equal(sccp_frame_len(d, 16, &need), SCCP_E_TOOBIG);
	/* Huge length (would overflow a naive length + 8). */
	memset(d, 0xff, 4);
	assert_int_equal(sccp_frame_len(d, 16, &need), SCCP_E_TOOBIG);
	d[0] = 0xfc;
	assert_int_equal(sccp_frame_len(d, 16, &need), SCCP_E_TOOBIG);
	/* Header versions of spec 1.4. */
	memset(d, 0, sizeof(d));
	d[0] = 4;
	for (uint32_t v = 0; v < 300; v++) {
		int ok = v == 0 || v == 10 || v == 11 || (v >= 15 && v <= 22);

		d[4] = (uint8_t)v;
		d[5] = (uint8_t)(v >> 8);
		assert_int_equal(sccp_hdr_version_is_valid(v), ok);
		assert_int_equal(
		    sccp_frame_len(d, 12, &need), ok ? 1 : SCCP_E_VERSION);
	}
	assert_int_equal(sccp_frame_len(NULL, 0, &need), 0);
	assert_int_equal(sccp_frame_len(d, 12, NULL), SCCP_E_ARG);
}

static void
sccp_parse_reports_header_errors(void **state)
{
	struct sccp_msg m;
	struct sccp_error err = {0, NULL};
	uint8_t d[12] = {0x04, 0, 0, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0};
	uint8_t big[12] = {0xf9, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	uint8_t past[16] = {0x10, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0};

	(void)state;
	assert_int_equal(sccp_msg_parse(d, 12, &m, &err), SCCP_E_VERSION);
	assert_int_equal(err.offset, 4);
	d[4] = 0;
	d[0] = 2;
	assert_int_equal(sccp_msg_parse(d, 12, &m, &err), SCCP_E_LENGTH);
	assert_int_equal(err.offset, 0);
	assert_int_equal(sccp_msg_parse(big, 12, &m, &err), SCCP_E_TOOBIG);
	assert_int_equal(err.offset, 0);
	/* length 16 says 24 bytes, only 16 present */
	assert_int_equal(sccp_msg_parse(past, 16, &m, &err), SCCP_E_TRUNCATED);
	assert_int_equal(err.offset, 16);
	assert_string_equal(err.what, "message runs past the end");
	assert_int_equal(sccp_msg_parse(past, 5, &m, &err), SCCP_E_TRUNCATED);
	assert_string_equal(err.what, "short header");
	assert_int_equal(sccp_msg_parse(NULL, 0, &m, &err), SCCP_E_TRUNCATED);
	assert_int_equal(sccp_msg_parse(d, 12, NULL, &err), SCCP_E_ARG);
	/* NULL err is allowed */
	assert_int_equal(sccp_msg_parse(past, 16, &m, NULL), SCCP_E_TRUNCATED);
}

/* ------------------------------------------------------------------ */
/* Byte-exact examples */

static void
sccp_keepalive_bytes_exact(void **state)
{
	static const uint8_t ka[12] = {4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t ack[12] = {4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};
	struct buf b = BUF_INIT;
	struct sccp_msg m;

	(void)state;
	assert_int_equal(sccp_empty_build(&b, SCCP_KEEP_ALIVE, 0), SCCP_OK);
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.data, ka, 12);
	seed_write("keepalive.bin", b.data, b.len);
	buf_reset(&b);
	assert_int_equal(sccp_keep_alive_ack_build(&b), SCCP_OK);
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.data, ack, 12);
	seed_write("keepalive-ack.bin", b.data, b.len);
	assert_int_equal(sccp_msg_parse(ack, 12, &m, NULL), SCCP_OK);
	assert_int_equal(m.id, SCCP_KEEP_ALIVE_ACK);
	assert_true(m.is_known);
	assert_null(m.body);
	assert_int_equal(m.body_len, 0);
	buf_reset(&b);
	/* Empty builder refuses ids that have a body. */
	assert_int_equal(sccp_empty_build(&b, SCCP_REGISTER, 0), SCCP_E_ARG);
	assert_int_equal(
	    sccp_empty_build(&b, SCCP_REGISTER_REJECT, 0), SCCP_E_ARG);
	assert_int_equal(b.len, 0);
	assert_int_equal(
	    sccp_empty_build(&b, SCCP_CAPABILITIES_REQ, 0x11), SCCP_OK);
	assert_int_equal(b.len, 12);
	assert_int_equal(((const uint8_t *)b.data)[4], 0x11);
	assert_int_equal(((const uint8_t *)b.data)[8], 0x9b);
	buf_free(&b);
}

/* spec 13.1 */
static const char register_hex[] =
    "80 00 00 00 00 00 00 00 01 00 00 00 53 45 50 30"
    "30 31 31 32 32 33 33 34 34 41 42 00 00 00 00 00"
    "01 00 00 00 c0 a8 01 32 b4 01 00 00 05 00 00 00"
    "00 00 00 00 14 00 72 85 00 00 00 00 00 00 00 00"
    "00 11 22 33 44 ab 00 00 00 00 00 00 00 00 00 00"
    "02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
    "00 00 00 00 00 00 00 00 53 43 43 50 34 31 2e 39"
    "2d 34 2d 32 53 52 33 2d 31 53 00 00 00 00 00 00"
    "00 00 00 00 00 00 00 00";

static void
sccp_register_example_13_1(void **state)
{
	uint8_t ex[256];
	size_t n = unhex(register_hex, ex, sizeof(ex));
	struct sccp_msg m, back;
	struct sccp_error err = {0, NULL};
	struct buf b = BUF_INIT;
	const struct sccp_register *r = &m.u.reg;

	(void)state;
	assert_int_equal(n, 136);
	assert_int_equal(sccp_msg_parse(ex, n, &m, &err), SCCP_OK);
	assert_int_equal(m.id, SCCP_REGISTER);
	assert_string_equal(sccp_msg_name(m.id), "Register");
	assert_int_equal(m.pdu_len, 136);
	assert_int_equal(m.body_len, 124);
	assert_string_equal(r->device_name, "SEP0011223344AB");
	assert_int_equal(r->user_id, 0);
	assert_int_equal(r->instance, 1);
	assert_memory_equal(r->ip, "\xc0\xa8\x01\x32", 4);
	assert_int_equal(r->device_type, 436);
	assert_int_equal(r->max_streams, 5);
	assert_int_equal(r->protocol_version, 20);
	assert_memory_equal(r->features, "\x00\x72\x85", 3);
	assert_memory_equal(r->mac, "\x00\x11\x22\x33\x44\xab", 6);
	assert_int_equal(r->max_lines, 2);
	assert_string_equal(r->load_name, "SCCP41.9-4-2SR3-1S");
	assert_string_equal(r->config_version_stamp, "");

	/* Build from the fields: the same 136 bytes. */
	assert_int_equal(sccp_msg_build(&b, &m), SCCP_OK);
	assert_int_equal(b.len, 136);
	assert_memory_equal(b.data, ex, 136);
	seed_write("register-v20.bin", b.data, b.len);
	buf_free(&b);
	assert_truncations_fail(ex, n);

	/* With a config version stamp: body 172. */
	strcpy(m.u.reg.config_version_stamp, "1234-5678");
	assert_int_equal(round_trip(&m, &back, "register-stamp.bin"), 184);
	assert_string_equal(back.u.reg.config_version_stamp, "1234-5678");
	assert_string_equal(back.u.reg.device_name, "SEP0011223344AB");

	/* Oldest 36-byte body: later fields read as 0. */
	ex[0] = 40;
	assert_int_equal(sccp_msg_parse(ex, 48, &m, &err), SCCP_OK);
	assert_int_equal(m.body_len, 36);
	assert_int_equal(r->max_streams, 5);
	assert_int_equal(r->protocol_version, 0);
	assert_string_equal(r->load_name, "");
	seed_write("register-36.bin", ex, 48);
	/* 35 bytes: below the oldest layout. */
	ex[0] = 39;
	assert_int_equal(sccp_msg_parse(ex, 136, &m, &err), SCCP_E_TRUNCATED);
	assert_int_equal(err.offset, 47);

	/* A 16-char name without NUL is cut, never over-read. */
	unhex(register_hex, ex, sizeof(ex));
	memset(ex + 12, 'A', 16);
	assert_int_equal(sccp_msg_parse(ex, n, &m, &err), SCCP_OK);
	assert_int_equal(strlen(r->device_name), 16);
	/* ... and the builder refuses a name that does not fit. */
	b = (struct buf)BUF_INIT;
	assert_int_equal(sccp_msg_build(&b, &m), SCCP_E_ARG);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* spec 13.2 */
static const char orc_hex[] = "84 00 00 00 11 00 00 00 05 01 00 00 01 00 00 01"
                              "01 00 00 02 14 00 00 00 04 00 00 00 00 00 00 00"
                              "00 00 00 00 01 00 00 01 01 00 00 00 10 00 0e 00"
                              "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"
                              "a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad 00 00"
                              "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                              "65 00 00 00 0a 00 00 00 00 00 00 00 00 00 00 00"
                              "00 00 00 00 c0 a8 01 33 00 00 00 00 00 00 00 00"
                              "00 00 00 00 00 00 00 00 00 00 00 00";

static void
sccp_open_receive_channel_example_13_2(void **state)
{
	static const uint8_t key[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
	    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	uint8_t ex[256];
	size_t n = unhex(orc_hex, ex, sizeof(ex));
	struct sccp_msg m;
	struct sccp_error err = {0, NULL};
	struct buf b = BUF_INIT;
	const struct sccp_open_receive_channel *o = &m.u.orc;

	(void)state;
	assert_int_equal(n, 140);
	assert_int_equal(sccp_msg_parse(ex, n, &m, &err), SCCP_OK);
	assert_int_equal(m.id, SCCP_OPEN_RECEIVE_CHANNEL);
	assert_int_equal(m.hdr_version, 0x11);
	assert_int_equal(m.layout_version, 17);
	assert_int_equal(o->conference_id, 0x01000001);
	assert_int_equal(o->pass_thru_party_id, 0x02000001);
	assert_int_equal(o->ms_packet_size, 20);
	assert_int_equal(o->compression_type, 4);
	assert_int_equal(o->call_reference, 0x01000001);
	assert_int_equal(o->key.algorithm_id, 1);
	assert_int_equal(o->key.key_len, 16);
	assert_int_equal(o->key.salt_len, 14);
	assert_memory_equal(o->key.key, key, 16);
	for (int i = 0; i < 14; i++)
		assert_int_equal(o->key.salt[i], 0xa0 + i);
	assert_int_equal(o->key.salt[14], 0);
	assert_int_equal(sccp_key_info_check(&o->key), SCCP_OK);
	assert_int_equal(o->rfc2833_payload_type, 101);
	assert_int_equal(o->dtmf_type, 10);
	assert_int_equal(o->source_ip.type, 0);
	assert_memory_equal(o->source_ip.addr, "\xc0\xa8\x01\x33", 4);
	assert_int_equal(o->source_port, 0);

	assert_int_equal(sccp_msg_build(&b, &m), SCCP_OK);
	assert_int_equal(b.len, 140);
	assert_memory_equal(b.data, ex, 140);
	seed_write("orc-v17.bin", b.data, b.len);
	assert_truncations_fail(ex, n);

	/* Same message at protocol 11: 120 bytes, 4-byte source IP. */
	buf_reset(&b);
	m.hdr_version = sccp_hdr_version_for(m.id, 11);
	m.layout_version = 11;
	assert_int_equal(sccp_msg_build(&b, &m), SCCP_OK);
	assert_int_equal(b.len, 120);
	assert_int_equal(((const uint8_t *)b.data)[4], 0x0b);
	assert_memory_equal(b.data + 12 + 100, "\xc0\xa8\x01\x33", 4);
	seed_write("orc-v11.bin", b.data, b.len);
	buf_free(&b);

	/* Key length over 16: format error at the keyLength field. */
	ex[12 + 32] = 17;
	assert_int_equal(sccp_msg_parse(ex, n, &m, &err), SCCP_E_FORMAT);
	assert_int_equal(err.offset, 12 + 28 + 4);
	ex[12 + 32] = 16;
	ex[12 + 34] = 0xff;
	assert_int_equal(sccp_msg_parse(ex, n, &m, &err), SCCP_E_FORMAT);
	assert_int_equal(err.offset, 12 + 28 + 6);
	/* Header length cut below the 92-byte oldest layout. */
	ex[12 + 34] = 14;
	ex[0] = 4 + 91;
	assert_int_equal(sccp_msg_parse(ex, n, &m, &err), SCCP_E_TRUNCATED);
	assert_int_equal(err.offset, 12 + 91);
}

/* ------------------------------------------------------------------ */
/* Registration builders */

static void
sccp_register_ack_reject_unregister(void **state)
{
	static const uint8_t ack[32] = {0x18, 0, 0, 0, 0, 0, 0, 0, 0x81, 0, 0,
	    0, 30, 0, 0, 0, 'M', '/', 'D', '/', 'Y', 0, 0, 0, 60, 0, 0, 0, 17,
	    0x20, 0xf1, 0xff};
	struct buf b = BUF_INIT;
	struct sccp_msg m;
	struct sccp_error err = {0, NULL};

	(void)state;
	assert_int_equal(
	    sccp_register_ack_build(&b, 30, "M/D/Y", 60, 17), SCCP_OK);
	assert_int_equal(b.len, 32);
	assert_memory_equal(b.data, ack, 32);
	seed_write("register-ack.bin", b.data, b.len);
	assert_int_equal(
	    sccp_msg_parse((const uint8_t *)b.data, b.len, &m, &err), SCCP_OK);
	assert_int_equal(m.u.register_ack.keepalive_s, 30);
	assert_string_equal(m.u.register_ack.date_template, "M/D/Y");
	assert_int_equal(m.u.register_ack.secondary_keepalive_s, 60);
	assert_int_equal(m.u.register_ack.protocol_version, 17);
	assert_truncations_fail((const uint8_t *)b.data, b.len);
	buf_reset(&b);
	/* 6-char template fills the field; feature bytes per version. */
	assert_int_equal(
	    sccp_register_ack_build(&b, 30, "M/D/YA", 60, 8), SCCP_OK);
	assert_memory_equal(b.data + 16, "M/D/YA", 6);
	assert_memory_equal(b.data + 29, "\x20\xf1\xfe", 3);
	buf_reset(&b);
	assert_int_equal(
	    sccp_register_ack_build(&b, 30, "M/D/Y", 60, 3), SCCP_OK);
	assert_memory_equal(b.data + 29, "\0\0\0", 3);
	buf_reset(&b);
	assert_int_equal(
	    sccp_register_ack_build(&b, 30, "M/D/YYY", 60, 17), SCCP_E_ARG);
	assert_int_equal(
	    sccp_register_ack_build(&b, 30, NULL, 60, 17), SCCP_E_ARG);
	assert_int_equal(b.len, 0);

	assert_int_equal(
	    sccp_register_reject_build(&b, "Unknown device"), SCCP_OK);
	assert_int_equal(b.len, 12 + 32);
	assert_int_equal(((const uint8_t *)b.data)[0], 36);
	assert_int_equal(((const uint8_t *)b.data)[8], 0x9d);
	seed_write("register-reject.bin", b.data, b.len);
	assert_int_equal(
	    sccp_msg_parse((const uint8_t *)b.data, b.len, &m, &err), SCCP_OK);
	assert_string_equal(m.u.reject_text, "Unknown device");
	buf_reset(&b);
	assert_int_equal(
	    sccp_register_reject_build(&b, "0123456789012345678901234567890"),
	    SCCP_OK);
	buf_reset(&b);
	assert_int_equal(
	    sccp_register_reject_build(&b, "01234567890123456789012345678901"),
	    SCCP_E_ARG);
	assert_int_equal(b.len, 0);

	assert_int_equal(sccp_unregister_ack_build(&b, 2), SCCP_OK);
	assert_int_equal(b.len, 16);
	assert_memory_equal(
	    b.data, "\x08\0\0\0\0\0\0\0\x18\x01\0\0\x02\0\0\0", 16);
	seed_write("unregister-ack.bin", b.data, b.len);
	assert_int_equal(
	    sccp_msg_parse((const uint8_t *)b.data, b.len, &m, &err), SCCP_OK);
	assert_int_equal(m.u.unregister_status, 2);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Round trips */

static void
sccp_round_trip_phone_messages(void **state)
{
	struct sccp_msg m, back;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.id = SCCP_UNREGISTER;
	assert_int_equal(round_trip(&m, &back, "unregister-empty.bin"), 12);
	assert_false(back.u.unregister.has_reason);
	m.u.unregister.has_reason = 1;
	m.u.unregister.reason = 1;
	assert_int_equal(round_trip(&m, &back, "unregister.bin"), 16);
	assert_true(back.u.unregister.has_reason);
	assert_int_equal(back.u.unregister.reason, 1);

	memset(&m, 0, sizeof(m));
	m.id = SCCP_OFF_HOOK;
	assert_int_equal(round_trip(&m, &back, "offhook-empty.bin"), 12);
	assert_false(back.u.hook.has_call);
	m.id = SCCP_ON_HOOK;
	m.hdr_version = 0x11;
	m.u.hook.has_call = 1;
	m.u.hook.line_instance = 1;
	m.u.hook.call_reference = 0x01000002;
	assert_int_equal(round_trip(&m, &back, "onhook.bin"), 20);
	assert_memory_equal(&back.u.hook, &m.u.hook, sizeof(m.u.hook));

	memset(&m, 0, sizeof(m));
	m.id = SCCP_KEYPAD_BUTTON;
	m.u.keypad.button = 0x0f;
	assert_int_equal(round_trip(&m, &back, "keypad-short.bin"), 16);
	assert_false(back.u.keypad.has_call);
	assert_int_equal(back.u.keypad.button, 0x0f);
	m.u.keypad.has_call = 1;
	m.u.keypad.line_instance = 2;
	m.u.keypad.call_reference = 77;
	assert_int_equal(round_trip(&m, &back, "keypad.bin"), 24);
	assert_memory_equal(&back.u.keypad, &m.u.keypad, sizeof(m.u.keypad));

	memset(&m, 0, sizeof(m));
	m.id = SCCP_SOFT_KEY_EVENT;
	m.u.soft_key.event = 11;
	m.u.soft_key.line_instance = 1;
	m.u.soft_key.call_reference = 5;
	assert_int_equal(round_trip(&m, &back, "softkey.bin"), 24);
	assert_memory_equal(
	    &back.u.soft_key, &m.u.soft_key, sizeof(m.u.soft_key));

	memset(&m, 0, sizeof(m));
	m.id = SCCP_STIMULUS;
	m.u.stimulus.stimulus = 9;
	m.u.stimulus.instance = 1;
	m.u.stimulus.call_reference = 3;
	m.u.stimulus.status = 4;
	assert_int_equal(round_trip(&m, &back, "stimulus.bin"), 28);
	assert_memory_equal(
	    &back.u.stimulus, &m.u.stimulus, sizeof(m.u.stimulus));
}

static void
sccp_round_trip_media_acks(void **state)
{
	struct sccp_msg m, back;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.id = SCCP_OPEN_RECEIVE_CHANNEL_ACK;
	m.layout_version = 11;
	m.hdr_version = 11;
	m.u.orc_ack.status = 0;
	memcpy(m.u.orc_ack.ip.addr, "\xc0\xa8\x01\x32", 4);
	m.u.orc_ack.port = 24580;
	m.u.orc_ack.pass_thru_party_id = 0x02000001;
	assert_int_equal(round_trip(&m, &back, "orc-ack-16.bin"), 28);
	assert_false(back.u.orc_ack.has_call_reference);
	m.u.orc_ack.has_call_reference = 1;
	m.u.orc_ack.call_reference = 0x01000001;
	assert_int_equal(round_trip(&m, &back, "orc-ack-20.bin"), 32);
	assert_memory_equal(&back.u.orc_ack, &m.u.orc_ack, sizeof(m.u.orc_ack));
	m.layout_version = 17;
	m.hdr_version = 0x11;
	assert_int_equal(round_trip(&m, &back, "orc-ack-v17.bin"), 48);
	assert_int_equal(back.layout_version, 17);
	assert_memory_equal(&back.u.orc_ack, &m.u.orc_ack, sizeof(m.u.orc_ack));

	memset(&m, 0, sizeof(m));
	m.id = SCCP_START_MEDIA_TRANSMISSION_ACK;
	m.layout_version = 11;
	m.u.smt_ack.conference_id = 1;
	m.u.smt_ack.pass_thru_party_id = 2;
	m.u.smt_ack.call_reference = 3;
	memcpy(m.u.smt_ack.ip.addr, "\x0a\0\0\x01", 4);
	m.u.smt_ack.port = 16384;
	m.u.smt_ack.status = 0;
	assert_int_equal(round_trip(&m, &back, "smt-ack-v11.bin"), 36);
	assert_memory_equal(&back.u.smt_ack, &m.u.smt_ack, sizeof(m.u.smt_ack));
	m.layout_version = 17;
	m.hdr_version = 17;
	assert_int_equal(round_trip(&m, &back, "smt-ack-v17.bin"), 52);
	assert_memory_equal(&back.u.smt_ack, &m.u.smt_ack, sizeof(m.u.smt_ack));
}

static void
fill_key(struct sccp_key_info *k)
{
	k->algorithm_id = SCCP_KEY_ALG_AES_CM_128_HMAC_SHA1_32;
	k->key_len = 16;
	k->salt_len = 14;
	for (int i = 0; i < 16; i++)
		k->key[i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < 14; i++)
		k->salt[i] = (uint8_t)(0x80 + i);
}

static void
sccp_round_trip_media_channels(void **state)
{
	static const struct {
		uint32_t v;
		size_t orc_len, smt_len;
	} layouts[] = {
	    {5, 92, 112},
	    {11, 108, 112},
	    {15, 108, 116},
	    {16, 112, 116},
	    {17, 128, 132},
	    {20, 128, 132},
	    {21, 168, 168},
	    {22, 168, 168},
	};
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		uint32_t v = layouts[i].v;
		struct sccp_msg m, back;
		struct sccp_open_receive_channel *o = &m.u.orc;
		struct sccp_start_media_transmission *s = &m.u.smt;

		memset(&m, 0, sizeof(m));
		m.id = SCCP_OPEN_RECEIVE_CHANNEL;
		m.hdr_version = sccp_hdr_version_for(m.id, v);
		m.layout_version = v;
		o->conference_id = 1;
		o->pass_thru_party_id = 2;
		o->ms_packet_size = 20;
		o->compression_type = 4;
		o->ec_value = 1;
		o->codec_params = 0x00006500;
		o->call_reference = 3;
		fill_key(&o->key);
		o->stream_pass_through_id = 4;
		o->associated_stream_id = 5;
		o->rfc2833_payload_type = 101;
		o->dtmf_type = 10;
		if (v >= 11) {
			o->mixing_mode = 6;
			o->party_direction = 7;
			memcpy(o->source_ip.addr, "\xc0\xa8\x01\x33", 4);
			o->source_port = 4000;
		}
		if (v >= 16)
			o->requested_ip_addr_type = 2;
		if (v >= 21) {
			o->audio_level_adjustment = -3;
			memset(o->latent_caps, 0x5a, sizeof(o->latent_caps));
		}
		snprintf(name, sizeof(name), "orc-layout-%u.bin", v);
		assert_int_equal(
		    round_trip(&m, &back, name), 12 + layouts[i].orc_len);
		assert_memory_equal(&back.u.orc, o, sizeof(*o));

		memset(&m, 0, sizeof(m));
		m.id = SCCP_START_MEDIA_TRANSMISSION;
		m.hdr_version = sccp_hdr_version_for(m.id, v);
		m.layout_version = v;
		s->conference_id = 1;
		s->pass_thru_party_id = 2;
		if (v >= 17)
			s->remote_ip.type = 0;
		memcpy(s->remote_ip.addr, "\xc0\xa8\x01\x34", 4);
		s->remote_port = 24580;
		s->ms_packet_size = 20;
		s->compression_type = 4;
		s->precedence = 0xb8;
		s->ss_value = 1;
		s->max_frames_per_packet = 1;
		s->codec_params = 0x01020304;
		s->call_reference = 3;
		fill_key(&s->key);
		s->stream_pass_through_id = 4;
		s->associated_stream_id = 5;
		s->rfc2833_payload_type = 101;
		s->dtmf_type = 10;
		s->mixing_mode = 6;
		if (v >= 15)
			s->party_direction = 7;
		if (v >= 21)
			memset(s->latent_caps, 0xa5, sizeof(s->latent_caps));
		snprintf(name, sizeof(name), "smt-layout-%u.bin", v);
		assert_int_equal(
		    round_trip(&m, &back, name), 12 + layouts[i].smt_len);
		assert_memory_equal(&back.u.smt, s, sizeof(*s));
	}
}

/* ------------------------------------------------------------------ */
/* Unknown ids, names, misc */

static void
sccp_unknown_ids_are_raw(void **state)
{
	uint8_t d[24] = {0x0c, 0, 0, 0, 0, 0, 0, 0, 0x37, 0x13, 0, 0, 1, 2, 3,
	    4, 5, 6, 7, 8, 0xaa, 0xbb, 0xcc, 0xdd};
	struct sccp_msg m, copy;
	struct buf b = BUF_INIT;

	(void)state;
	/* Two PDUs back to back: parse consumes only the first. */
	d[12 + 8] = 0x04; /* second PDU: KeepAlive... cut at 4 bytes */
	assert_int_equal(sccp_msg_parse(d, 20, &m, NULL), SCCP_OK);
	assert_int_equal(m.id, 0x1337);
	assert_false(m.is_known);
	assert_string_equal(sccp_msg_name(m.id), "Unknown");
	assert_int_equal(m.pdu_len, 20);
	assert_int_equal(m.body_len, 8);
	assert_ptr_equal(m.body, d + 12);
	/* Raw rebuild is identical. */
	assert_int_equal(sccp_msg_build(&b, &m), SCCP_OK);
	assert_int_equal(b.len, 20);
	assert_memory_equal(b.data, d, 20);
	seed_write("unknown.bin", b.data, b.len);
	/* Known-but-undecoded ids (CapabilitiesRes) are raw too. */
	d[8] = 0x10;
	d[9] = 0;
	assert_int_equal(sccp_msg_parse(d, 24, &m, NULL), SCCP_OK);
	assert_string_equal(sccp_msg_name(m.id), "CapabilitiesRes");
	assert_false(m.is_known);
	copy = m;
	copy.body = NULL;
	buf_reset(&b);
	assert_int_equal(sccp_msg_build(&b, &copy), SCCP_E_ARG);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
sccp_names_and_strings(void **state)
{
	(void)state;
	assert_string_equal(sccp_msg_name(0x0000), "KeepAlive");
	assert_string_equal(sccp_msg_name(0x0081), "RegisterAck");
	assert_string_equal(sccp_msg_name(0x009D), "RegisterReject");
	assert_string_equal(sccp_msg_name(0x0105), "OpenReceiveChannel");
	assert_string_equal(sccp_msg_name(0x0154), "StartMediaTransmissionAck");
	assert_string_equal(sccp_msg_name(0x8000), "Unknown");
	for (int e = 0; e >= SCCP_E_ARG; e--)
		assert_string_not_equal(sccp_err_str(e), "unknown error");
	assert_string_equal(sccp_err_str(SCCP_E_ARG - 1), "unknown error");
	assert_string_equal(sccp_err_str(1), "unknown error");
	assert_int_equal(sccp_hdr_version_for(SCCP_REGISTER_ACK, 17), 0);
	assert_int_equal(sccp_hdr_version_for(SCCP_KEEP_ALIVE_ACK, 17), 0);
	assert_int_equal(sccp_hdr_version_for(SCCP_UNREGISTER_ACK, 17), 0);
	assert_int_equal(sccp_hdr_version_for(SCCP_CALL_STATE, 17), 17);
	assert_int_equal(sccp_hdr_version_for(SCCP_CALL_STATE, 8), 0);
}

static void
sccp_key_info_check_matches_table(void **state)
{
	struct sccp_key_info k;

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(sccp_key_info_check(&k), SCCP_OK);
	k.key_len = 16;
	assert_int_equal(sccp_key_info_check(&k), SCCP_E_FORMAT);
	fill_key(&k);
	assert_int_equal(sccp_key_info_check(&k), SCCP_OK);
	k.algorithm_id = 2;
	assert_int_equal(sccp_key_info_check(&k), SCCP_OK);
	k.salt_len = 12;
	assert_int_equal(sccp_key_info_check(&k), SCCP_E_FORMAT);
	k.algorithm_id = 5;
	assert_int_equal(sccp_key_info_check(&k), SCCP_OK);
	k.algorithm_id = 6; /* 32-byte key cannot be carried */
	assert_int_equal(sccp_key_info_check(&k), SCCP_E_FORMAT);
	k.algorithm_id = 1;
	k.salt_len = 14;
	k.key_len = 15;
	assert_int_equal(sccp_key_info_check(&k), SCCP_E_FORMAT);
	assert_int_equal(sccp_key_info_check(NULL), SCCP_E_ARG);
}

/* Garbage never crashes and errors always carry detail. */
static void
sccp_parse_garbage(void **state)
{
	uint8_t d[64];
	uint32_t x = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct sccp_msg m;
		struct sccp_error err = {0, NULL};
		size_t len = (size_t)(round % 64);
		int rc;

		for (size_t i = 0; i < sizeof(d); i++) {
			x = x * 1103515245u + 12345u;
			d[i] = (uint8_t)(x >> 16);
		}
		/* Make some headers plausible. */
		if (round % 2 == 0) {
			d[0] = (uint8_t)(len > 8 ? len - 8 : 4);
			d[1] = d[2] = d[3] = 0;
			d[4] = (uint8_t)(round % 4 == 0 ? 0x11 : 0);
			d[5] = d[6] = d[7] = 0;
			d[9] = (uint8_t)(round % 3);
			d[10] = d[11] = 0;
		}
		rc = sccp_msg_parse(d, len, &m, &err);
		if (rc != SCCP_OK) {
			assert_non_null(err.what);
			assert_true(err.offset <= SCCP_MAX_PDU);
		} else {
			assert_true(m.pdu_len <= len);
		}
	}
	seed_write("garbage.bin", d, sizeof(d));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sccp_frame_len_reports_need_and_errors),
	    cmocka_unit_test(sccp_parse_reports_header_errors),
	    cmocka_unit_test(sccp_keepalive_bytes_exact),
	    cmocka_unit_test(sccp_register_example_13_1),
	    cmocka_unit_test(sccp_open_receive_channel_example_13_2),
	    cmocka_unit_test(sccp_register_ack_reject_unregister),
	    cmocka_unit_test(sccp_round_trip_phone_messages),
	    cmocka_unit_test(sccp_round_trip_media_acks),
	    cmocka_unit_test(sccp_round_trip_media_channels),
	    cmocka_unit_test(sccp_unknown_ids_are_raw),
	    cmocka_unit_test(sccp_names_and_strings),
	    cmocka_unit_test(sccp_key_info_check_matches_table),
	    cmocka_unit_test(sccp_parse_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
