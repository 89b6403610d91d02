/*
 * Unit tests of the SCCP registration logic: version negotiation (spec
 * 2), the registration decision table, the session's answers to the
 * registration sequence of spec 7 (with fake configuration ops) and the
 * sizes of the registration-time messages built by fmt/sccp.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config/telephony.h"
#include "fmt/sccp.h"
#include "svc/sccp/sccp_session.h"

/* ---- helpers ---- */

static void
pdu(struct buf *b, uint32_t id, const void *body, size_t n)
{
	struct sccp_msg m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.body = body;
	m.body_len = n;
	assert_int_equal(sccp_msg_build(b, &m), SCCP_OK);
}

static void
register_pdu(struct buf *b, const char *name, uint8_t proto, uint32_t type)
{
	struct sccp_msg m;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_REGISTER;
	snprintf(m.u.reg.device_name, sizeof(m.u.reg.device_name), "%s", name);
	m.u.reg.instance = 1;
	m.u.reg.device_type = type;
	m.u.reg.max_streams = 5;
	m.u.reg.protocol_version = proto;
	assert_int_equal(sccp_msg_build(b, &m), SCCP_OK);
}

/* Split out into messages; returns how many (ids in ids[]). */
static size_t
split(const struct buf *out, struct sccp_msg *msgs, size_t cap)
{
	const uint8_t *p = (const uint8_t *)out->data;
	size_t left = out->len, n = 0;

	while (left > 0) {
		assert_true(n < cap);
		assert_int_equal(sccp_msg_parse(p, left, &msgs[n], NULL), 0);
		p += msgs[n].pdu_len;
		left -= msgs[n].pdu_len;
		n++;
	}
	return n;
}

/* ---- version negotiation ---- */

static void
negotiate_version_follows_the_spec_table(void **state)
{
	static const struct {
		uint8_t offered;
		uint32_t type;
		uint8_t used;
	} v[] = {
	    {22, 436, 17},
	    {21, 30006, 17},
	    {20, 436, 17},
	    {17, 115, 17},
	    {16, 7, 11},
	    {15, 7, 11},
	    {11, 7, 11},
	    {10, 7, 10},
	    {8, 7, 8},
	    {3, 7, 3},
	    {0, 7, 3},
	    {33, 12, 3},
	    {33, 13, 3},
	    {33, 7, 17},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(
		    sccp_negotiate_version(v[i].offered, v[i].type), v[i].used);
}

/* ---- registration decision ---- */

static void
reg_decide_table(void **state)
{
	static const struct {
		const char *name;
		int transport;
		const char *cn;
		int known, auto_reg, dsm;
		unsigned max, others;
		int verdict;
		const char *text;
	} v[] = {
	    {"SEP0011223344AB", SCCP_TRANSPORT_TCP, NULL, 1, 0, DSM_NONE, 0, 0,
	        SCCP_REG_ACCEPT, ""},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TLS, "SEP0011223344AB", 1, 0,
	        DSM_ENCRYPTED, 0, 0, SCCP_REG_ACCEPT, ""},
	    /* CN compared without case (MAC digits). */
	    {"SEP0011223344AB", SCCP_TRANSPORT_TLS, "sep0011223344ab", 1, 0,
	        DSM_AUTHENTICATED, 0, 0, SCCP_REG_ACCEPT, ""},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TLS, "SEP0011223344AC", 1, 0,
	        DSM_ENCRYPTED, 0, 0, SCCP_REG_CERT_MISMATCH,
	        "Certificate mismatch"},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TLS, NULL, 1, 0, DSM_ENCRYPTED,
	        0, 0, SCCP_REG_CERT_MISMATCH, "Certificate mismatch"},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TCP, NULL, 1, 0, DSM_ENCRYPTED,
	        0, 0, SCCP_REG_NEEDS_TLS, "Secure device: use TLS"},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TCP, NULL, 1, 0,
	        DSM_AUTHENTICATED, 0, 0, SCCP_REG_NEEDS_TLS,
	        "Secure device: use TLS"},
	    /* A mode-none phone over TLS is fine (more than it needs). */
	    {"SEP0011223344AB", SCCP_TRANSPORT_TLS, "SEP0011223344AB", 1, 0,
	        DSM_NONE, 0, 0, SCCP_REG_ACCEPT, ""},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TCP, NULL, 0, 0, DSM_NONE, 0, 0,
	        SCCP_REG_UNKNOWN, "Unknown device"},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TCP, NULL, 0, 1, DSM_NONE, 0, 0,
	        SCCP_REG_ACCEPT, ""},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TCP, NULL, 1, 0, DSM_NONE, 2, 2,
	        SCCP_REG_MAX_EPHONES, "Max ephones registered"},
	    {"SEP0011223344AB", SCCP_TRANSPORT_TCP, NULL, 1, 0, DSM_NONE, 2, 1,
	        SCCP_REG_ACCEPT, ""},
	    {"SEP0011223344", SCCP_TRANSPORT_TCP, NULL, 1, 0, DSM_NONE, 0, 0,
	        SCCP_REG_BAD_NAME, "Invalid device name"},
	    {"ATA0011223344AB", SCCP_TRANSPORT_TCP, NULL, 1, 0, DSM_NONE, 0, 0,
	        SCCP_REG_BAD_NAME, "Invalid device name"},
	    {"SEP0011223344XY", SCCP_TRANSPORT_TCP, NULL, 1, 0, DSM_NONE, 0, 0,
	        SCCP_REG_BAD_NAME, "Invalid device name"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sccp_reg_facts f = {v[i].name, v[i].transport, v[i].cn,
		    v[i].known, v[i].auto_reg, v[i].dsm, v[i].max, v[i].others,
		    0};
		const char *reject = NULL, *why = NULL;

		assert_int_equal(
		    sccp_reg_decide(&f, &reject, &why), v[i].verdict);
		assert_string_equal(reject, v[i].text);
		assert_true(strlen(reject) < SCCP_REJECT_TEXT_LEN);
		assert_non_null(why);
	}
	/* Integrity-only TLS (secure-signaling null-cipher): enough for
	 * authenticated mode, not for encrypted. */
	{
		struct sccp_reg_facts f = {"SEP0011223344AB",
		    SCCP_TRANSPORT_TLS, "SEP0011223344AB", 1, 0,
		    DSM_AUTHENTICATED, 0, 0, 1};
		const char *reject = NULL, *why = NULL;

		assert_int_equal(
		    sccp_reg_decide(&f, &reject, &why), SCCP_REG_ACCEPT);
		f.dsm = DSM_ENCRYPTED;
		assert_int_equal(sccp_reg_decide(&f, &reject, &why),
		    SCCP_REG_NEEDS_ENCRYPTION);
		assert_string_equal(reject, "Encryption required");
	}
}

/* ---- session ---- */

struct fake {
	int accept;
	int registered_calls;
};

static int
fake_check(void *arg, const struct sccp_register *r, struct sccp_dev_info *info,
    const char **reject)
{
	struct fake *f = arg;

	(void)r;
	if (!f->accept) {
		*reject = "Unknown device";
		return -1;
	}
	info->keepalive_s = 20;
	info->nlines = 2;
	snprintf(info->lines[0].number, sizeof(info->lines[0].number), "1001");
	snprintf(info->lines[0].name, sizeof(info->lines[0].name), "Alice");
	snprintf(info->lines[1].number, sizeof(info->lines[1].number), "1002");
	snprintf(info->server_name, sizeof(info->server_name), "CME1");
	info->server_port = 2000;
	return 0;
}

static void
fake_registered(void *arg)
{
	((struct fake *)arg)->registered_calls++;
}

static time_t
fake_now(void *arg)
{
	(void)arg;
	return 1700000000; /* 2023-11-14 22:13:20 UTC */
}

static const struct sccp_sess_ops fake_ops = {
    fake_check, fake_registered, fake_now, NULL};

static int
feed(struct sccp_sess *s, const struct buf *in, struct buf *out)
{
	return sccp_sess_input(
	    s, (const uint8_t *)in->data, in->len, out, NULL);
}

static void
session_registers_and_answers_the_sequence(void **state)
{
	struct fake f = {1, 0};
	struct sccp_sess s;
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct sccp_msg m[8];
	uint8_t line1[4] = {1, 0, 0, 0};

	(void)state;
	sccp_sess_init(&s, &fake_ops, &f, SCCP_TRANSPORT_TLS);
	assert_int_equal(sccp_sess_timeout_ms(&s), SCCP_SESS_REGISTER_MS);
	/* KeepAlive before Register is answered (spec 6). */
	pdu(&in, SCCP_KEEP_ALIVE, NULL, 0);
	assert_int_equal(feed(&s, &in, &out), SCCP_SESS_CONTINUE);
	assert_int_equal(split(&out, m, 8), 1);
	assert_int_equal(m[0].id, SCCP_KEEP_ALIVE_ACK);
	buf_reset(&in);
	buf_reset(&out);

	register_pdu(&in, "SEP0011223344AB", 20, 436);
	assert_int_equal(feed(&s, &in, &out), SCCP_SESS_CONTINUE);
	assert_int_equal(split(&out, m, 8), 2);
	assert_int_equal(m[0].id, SCCP_REGISTER_ACK);
	assert_int_equal(m[0].hdr_version, 0);
	assert_int_equal(m[0].u.register_ack.keepalive_s, 20);
	assert_int_equal(m[0].u.register_ack.secondary_keepalive_s, 20);
	assert_int_equal(m[0].u.register_ack.protocol_version, 17);
	assert_string_equal(m[0].u.register_ack.date_template, "M/D/Y");
	assert_int_equal(m[1].id, SCCP_CAPABILITIES_REQ);
	assert_int_equal(m[1].hdr_version, 17);
	assert_int_equal(s.state, SCCP_SESS_REGISTERED);
	assert_int_equal(f.registered_calls, 1);
	assert_int_equal(sccp_sess_timeout_ms(&s), 50000);
	buf_reset(&in);
	buf_reset(&out);

	pdu(&in, SCCP_BUTTON_TEMPLATE_REQ, NULL, 0);
	pdu(&in, SCCP_LINE_STAT_REQ, line1, 4);
	pdu(&in, SCCP_SOFT_KEY_SET_REQ, NULL, 0);
	pdu(&in, SCCP_TIME_DATE_REQ, NULL, 0);
	/* One PDU at a time, as the service frames them. */
	for (size_t off = 0; off < in.len;) {
		struct sccp_msg one;
		struct buf o = BUF_INIT;

		assert_int_equal(sccp_msg_parse((const uint8_t *)in.data + off,
		                     in.len - off, &one, NULL),
		    0);
		assert_int_equal(
		    sccp_sess_input(&s, (const uint8_t *)in.data + off,
		        one.pdu_len, &o, NULL),
		    SCCP_SESS_CONTINUE);
		buf_append(&out, o.data, o.len);
		buf_free(&o);
		off += one.pdu_len;
	}
	assert_int_equal(split(&out, m, 8), 5);
	assert_int_equal(m[0].id, SCCP_BUTTON_TEMPLATE);
	assert_int_equal(m[0].body_len, 96);
	assert_int_equal(sccp_body_u32(&m[0], 4), 2);
	assert_int_equal(m[0].body[12], 1);
	assert_int_equal(m[0].body[13], SCCP_BUTTON_LINE);
	assert_int_equal(m[1].id, SCCP_LINE_STAT);
	assert_int_equal(sccp_body_u32(&m[1], 0), 1);
	assert_string_equal((const char *)m[1].body + 4, "1001");
	assert_string_equal((const char *)m[1].body + 28, "Alice");
	assert_int_equal(m[2].id, SCCP_SOFT_KEY_SET_RES);
	assert_int_equal(m[3].id, SCCP_SELECT_SOFT_KEYS);
	assert_int_equal(m[4].id, SCCP_DEFINE_TIME_DATE);
	assert_int_equal(sccp_body_u32(&m[4], 32), 1700000000u);
	assert_true(s.time_sent);
	buf_reset(&in);
	buf_reset(&out);

	/* Keepalives are counted; unknown ids ignored. */
	pdu(&in, 0x7777, "xyz", 3);
	assert_int_equal(feed(&s, &in, &out), SCCP_SESS_CONTINUE);
	assert_int_equal(out.len, 0);
	buf_reset(&in);
	pdu(&in, SCCP_KEEP_ALIVE, NULL, 0);
	assert_int_equal(feed(&s, &in, &out), SCCP_SESS_CONTINUE);
	assert_int_equal(s.keepalives, 1);
	buf_reset(&in);
	buf_reset(&out);

	pdu(&in, SCCP_UNREGISTER, NULL, 0);
	assert_int_equal(feed(&s, &in, &out), SCCP_SESS_CLOSE);
	assert_int_equal(split(&out, m, 8), 1);
	assert_int_equal(m[0].id, SCCP_UNREGISTER_ACK);
	assert_int_equal(m[0].u.unregister_status, 0);
	assert_int_equal(s.state, SCCP_SESS_DONE);
	buf_free(&in);
	buf_free(&out);
}

static void
session_rejects_and_closes(void **state)
{
	struct fake f = {0, 0};
	struct sccp_sess s;
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct sccp_msg m[4];

	(void)state;
	sccp_sess_init(&s, &fake_ops, &f, SCCP_TRANSPORT_TCP);
	/* Anything but Register/KeepAlive before registration: ignored. */
	pdu(&in, SCCP_BUTTON_TEMPLATE_REQ, NULL, 0);
	assert_int_equal(feed(&s, &in, &out), SCCP_SESS_CONTINUE);
	assert_int_equal(out.len, 0);
	buf_reset(&in);
	register_pdu(&in, "SEP0011223344AB", 11, 7);
	assert_int_equal(feed(&s, &in, &out), SCCP_SESS_CLOSE);
	assert_int_equal(split(&out, m, 4), 1);
	assert_int_equal(m[0].id, SCCP_REGISTER_REJECT);
	assert_string_equal(m[0].u.reject_text, "Unknown device");
	assert_int_equal(f.registered_calls, 0);
	buf_reset(&out);
	assert_int_equal(feed(&s, &in, &out), SCCP_SESS_CLOSE);
	assert_int_equal(out.len, 0);
	buf_free(&in);
	buf_free(&out);
}

static void
session_refuses_malformed_input(void **state)
{
	struct fake f = {1, 0};
	struct sccp_sess s;
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct sccp_error err = {0, NULL};
	uint64_t before = sccp_sess_stats()->malformed;

	(void)state;
	sccp_sess_init(&s, &fake_ops, &f, SCCP_TRANSPORT_TCP);
	/* A Register body of 8 bytes (36 is the oldest layout). */
	static const uint8_t short_reg[] = {12, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	    'S', 'E', 'P', '0', '0', '1', '1', '2'};

	buf_append(&in, short_reg, sizeof(short_reg));
	assert_int_equal(
	    sccp_sess_input(&s, (const uint8_t *)in.data, in.len, &out, &err),
	    SCCP_SESS_ERROR);
	assert_non_null(err.what);
	assert_int_equal(sccp_sess_stats()->malformed, before + 1);
	assert_int_equal(out.len, 0);
	buf_free(&in);
	buf_free(&out);
}

/* ---- builders ---- */

static void
registration_messages_have_the_spec_sizes(void **state)
{
	static const uint32_t codecs[] = {4, 2};
	const uint8_t ip[4] = {127, 0, 0, 1};
	struct sccp_time t = {2026, 11, 5, 27, 1, 2, 3, 0, 1800000000u};
	struct sccp_button b = {1, SCCP_BUTTON_LINE};
	struct buf out = BUF_INIT;
	struct sccp_msg m;
	static const struct {
		uint32_t id;
		size_t body;
	} want[] = {
	    {SCCP_BUTTON_TEMPLATE, 96},
	    {SCCP_SOFT_KEY_TEMPLATE_RES, 652},
	    {SCCP_SOFT_KEY_SET_RES, 780},
	    {SCCP_SELECT_SOFT_KEYS, 16},
	    {SCCP_LINE_STAT, 112},
	    {SCCP_FORWARD_STAT, 92},
	    {SCCP_FORWARD_STAT, 95},
	    {SCCP_SPEED_DIAL_STAT, 68},
	    {SCCP_CONFIG_STAT, 112},
	    {SCCP_DEFINE_TIME_DATE, 36},
	    {SCCP_SERVER_RES, 280},
	    {SCCP_SERVER_RES, 360},
	    {SCCP_VERSION, 16},
	    {SCCP_CAPABILITIES_RES, 292},
	};
	const uint8_t *p;
	size_t left;

	(void)state;
	assert_int_equal(sccp_button_template_build(&out, 17, &b, 1), 0);
	assert_int_equal(sccp_soft_key_template_build(&out, 17), 0);
	assert_int_equal(sccp_soft_key_set_build(&out, 17), 0);
	assert_int_equal(
	    sccp_select_soft_keys_build(&out, 17, 0, 0, 0, ~0u), 0);
	assert_int_equal(
	    sccp_line_stat_build(&out, 17, 1, "1001", "Alice", "Alice"), 0);
	assert_int_equal(sccp_forward_stat_build(&out, 17, 17, 1), 0);
	assert_int_equal(sccp_forward_stat_build(&out, 18, 18, 1), 0);
	assert_int_equal(sccp_speed_dial_stat_build(&out, 17, 1, "", ""), 0);
	assert_int_equal(sccp_config_stat_build(
	                     &out, 17, "SEP0011223344AB", 1, "", "CME1", 1, 0),
	    0);
	assert_int_equal(sccp_define_time_date_build(&out, 17, &t), 0);
	assert_int_equal(
	    sccp_server_res_build(&out, 11, 11, "CME1", 2000, ip), 0);
	assert_int_equal(
	    sccp_server_res_build(&out, 17, 17, "CME1", 2000, ip), 0);
	assert_int_equal(sccp_version_build(&out, 17, "OpenCME"), 0);
	assert_int_equal(
	    sccp_capabilities_res_build(&out, 17, codecs, 2, 40), 0);
	p = (const uint8_t *)out.data;
	left = out.len;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(sccp_msg_parse(p, left, &m, NULL), 0);
		assert_int_equal(m.id, want[i].id);
		assert_int_equal(m.body_len, want[i].body);
		p += m.pdu_len;
		left -= m.pdu_len;
	}
	assert_int_equal(left, 0);
	/* Strings that do not fit are refused, nothing appended. */
	buf_reset(&out);
	assert_int_equal(sccp_line_stat_build(
	                     &out, 17, 1, "0123456789012345678901234", "", ""),
	    SCCP_E_ARG);
	assert_int_equal(
	    sccp_button_template_build(&out, 17, &b, SCCP_MAX_BUTTONS + 1),
	    SCCP_E_ARG);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(negotiate_version_follows_the_spec_table),
	    cmocka_unit_test(reg_decide_table),
	    cmocka_unit_test(session_registers_and_answers_the_sequence),
	    cmocka_unit_test(session_rejects_and_closes),
	    cmocka_unit_test(session_refuses_malformed_input),
	    cmocka_unit_test(registration_messages_have_the_spec_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
