/*
 * The CAPF session state machine (src/svc/capf/capf_session.c) fed
 * hand-built phone messages, with fake policy/issuer callbacks and a
 * fake clock (timeouts are delivered by calling capf_sess_timeout).
 * Does not include harness.h: config/ephone.h and fmt/capf.h clash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "store/store.h"
#include "svc/capf/capf_session.h"

struct fake {
	struct capf_sess_policy pol;
	struct store *st;
	int issued, done, revoked;
	EVP_PKEY *signer;
	int deferred; /* issue answers 1, as through an RA */
	X509 *later; /* what the "CA" would send */
};

static int
f_lookup(void *arg, const char *device, struct capf_sess_policy *out)
{
	struct fake *f = arg;

	if (strcmp(device, "SEP001122334455") != 0)
		return -1;
	*out = f->pol;
	return 0;
}

static int
f_pw(void *arg, const char *device, const char *pw)
{
	(void)arg;
	(void)device;
	return strcmp(pw, "1234") == 0 ? 0 : -1;
}

static int
f_issue(void *arg, const char *ca, EVP_PKEY *pub, const char *device,
    X509 **out, const char **why)
{
	struct fake *f = arg;
	X509 *x = X509_new();

	(void)ca;
	(void)why;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 5 + f->issued);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)device, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pub);
	X509_sign(x, f->signer, EVP_sha256());
	f->issued++;
	if (f->deferred) {
		f->later = x;
		return 1;
	}
	*out = x;
	return 0;
}

static int
f_revoke(void *arg, uint64_t serial)
{
	struct fake *f = arg;

	(void)serial;
	f->revoked++;
	return 0;
}

static void
f_done(void *arg, const char *device, int op, int auth)
{
	struct fake *f = arg;

	(void)device;
	(void)op;
	(void)auth;
	f->done++;
}

static struct store *
f_store(void *arg)
{
	return ((struct fake *)arg)->st;
}

static const struct capf_sess_ops ops = {.lookup = f_lookup,
    .check_password = f_pw,
    .issue = f_issue,
    .revoke = f_revoke,
    .done = f_done,
    .store = f_store};

/* ---- phone messages by hand (formats.md 5.2, 5.6) ---- */

static size_t
put_elem(uint8_t *p, uint8_t tag, const void *v, size_t len)
{
	p[0] = tag;
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	memcpy(p + 3, v, len);
	return 3 + len;
}

static size_t
put_hdr(uint8_t *p, uint8_t cmd, uint32_t sid, size_t plen)
{
	p[0] = 0x55;
	p[1] = cmd;
	p[2] = (uint8_t)(sid >> 24);
	p[3] = (uint8_t)(sid >> 16);
	p[4] = (uint8_t)(sid >> 8);
	p[5] = (uint8_t)sid;
	p[6] = (uint8_t)(plen >> 8);
	p[7] = (uint8_t)plen;
	return 8 + plen;
}

static size_t
auth_response(uint8_t *m, uint32_t sid, const char *dev, const char *pw)
{
	size_t n = 8;

	n += put_elem(m + n, 1, "\x01", 1);
	n += put_elem(m + n, 7, "\x03", 1);
	n += put_elem(m + n, 11, pw, strlen(pw) + 1);
	n += put_elem(m + n, 13, dev, strlen(dev) + 1);
	return put_hdr(m, 2, sid, n - 8);
}

/* The last message of out: command and first REASON value (or -1). */
static int
last_cmd(const struct buf *out, int *reason)
{
	const uint8_t *p = (const uint8_t *)out->data, *last = NULL;
	size_t left = out->len;

	while (left >= 8) {
		size_t n = 8 + ((size_t)p[6] << 8 | p[7]);

		last = p;
		p += n;
		left -= n;
	}
	*reason = -1;
	if (last == NULL)
		return -1;
	if (last[1] == 15 && last[8] == 1)
		*reason = last[11];
	return last[1];
}

static struct fake *
fake_new(int oper, int auth)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->pol.oper = oper;
	f->pol.auth = auth;
	f->pol.key_size = 1024; /* the test keys: EVP_RSA_gen(1024) */
	f->pol.curve = -1;
	f->pol.keygen_retry = 2;
	f->pol.keygen_timeout_ms = 1000;
	assert_int_equal(store_open(":memory:", &f->st), 0);
	return f;
}

static void
fake_free(struct fake *f)
{
	store_free(f->st);
	free(f);
}

static struct capf_sess *
open_session(
    struct fake *f, const char *dev, const char *pw, struct buf *out, int *rc)
{
	struct capf_sess *s = capf_sess_new(&ops, f, 7, "test");
	uint8_t m[256];
	size_t n;

	assert_int_equal(capf_sess_start(s, 2, out), CAPF_SESS_MORE);
	n = auth_response(m, 7, dev, pw);
	*rc = capf_sess_input(s, m, n, out);
	return s;
}

static void
upgrade_with_retries_then_success(void **state)
{
	struct fake *f = fake_new(CAPF_OP_UPGRADE, 2);
	struct buf out = BUF_INIT;
	struct store_capf *r;
	EVP_PKEY *key = EVP_RSA_gen(1024);
	unsigned char *spki = NULL;
	uint8_t m[1024];
	int rc, reason, len;
	struct capf_sess *s;

	(void)state;
	f->signer = key;
	s = open_session(f, "SEP001122334455", "", &out, &rc);
	assert_int_equal(rc, CAPF_SESS_MORE);
	assert_int_equal(last_cmd(&out, &reason), 3);
	assert_int_equal(capf_sess_timeout_ms(s), 1000);
	/* Keep-alive, then two timeouts: two re-sent requests. */
	assert_int_equal(
	    capf_sess_input(s, m, put_hdr(m, 17, 7, 0), &out), CAPF_SESS_MORE);
	buf_reset(&out);
	assert_int_equal(capf_sess_timeout(s, &out), CAPF_SESS_MORE);
	assert_int_equal(last_cmd(&out, &reason), 3);
	buf_reset(&out);
	assert_int_equal(capf_sess_timeout(s, &out), CAPF_SESS_MORE);
	assert_int_equal(last_cmd(&out, &reason), 3);
	len = i2d_PUBKEY(key, &spki);
	rc = capf_sess_input(s, m,
	    put_hdr(m, 4, 7, put_elem(m + 8, 9, spki, (size_t)len)), &out);
	assert_int_equal(rc, CAPF_SESS_MORE);
	assert_int_equal(last_cmd(&out, &reason), 9);
	rc = capf_sess_input(
	    s, m, put_hdr(m, 10, 7, put_elem(m + 8, 1, "\x01", 1)), &out);
	assert_int_equal(rc, CAPF_SESS_CLOSE);
	assert_int_equal(last_cmd(&out, &reason), 15);
	assert_int_equal(reason, 1);
	assert_int_equal(f->done, 1);
	assert_int_equal(store_capf_get(f->st, "SEP001122334455", &r), 0);
	assert_non_null(r->cert_der);
	assert_int_equal(r->serial, 5);
	assert_null(r->pending_op);
	store_capf_free(r);
	OPENSSL_free(spki);
	EVP_PKEY_free(key);
	capf_sess_free(s);
	buf_free(&out);
	fake_free(f);
}

/* Through an RA: the LSC comes later; the session waits in between,
 * takes keep-alives, and times out on a CA that never answers. */
static void
deferred_issue_goes_on_when_the_ca_answers(void **state)
{
	struct fake *f = fake_new(CAPF_OP_UPGRADE, 2);
	struct buf out = BUF_INIT;
	EVP_PKEY *key = EVP_RSA_gen(1024);
	unsigned char *spki = NULL;
	uint8_t m[1024];
	int rc, reason, len;
	struct capf_sess *s;

	(void)state;
	f->signer = key;
	f->deferred = 1;
	len = i2d_PUBKEY(key, &spki);
	/* 1: the CA answers. */
	s = open_session(f, "SEP001122334455", "", &out, &rc);
	buf_reset(&out);
	rc = capf_sess_input(s, m,
	    put_hdr(m, 4, 7, put_elem(m + 8, 9, spki, (size_t)len)), &out);
	assert_int_equal(rc, CAPF_SESS_MORE);
	assert_int_equal(out.len, 0); /* nothing to say yet */
	assert_int_equal(capf_sess_timeout_ms(s), CAPF_SESS_ISSUE_MS);
	assert_int_equal(
	    capf_sess_input(s, m, put_hdr(m, 17, 7, 0), &out), CAPF_SESS_MORE);
	rc = capf_sess_issued(s, f->later, NULL, &out);
	f->later = NULL;
	assert_int_equal(rc, CAPF_SESS_MORE);
	assert_int_equal(last_cmd(&out, &reason), 9);
	rc = capf_sess_input(
	    s, m, put_hdr(m, 10, 7, put_elem(m + 8, 1, "\x01", 1)), &out);
	assert_int_equal(rc, CAPF_SESS_CLOSE);
	assert_int_equal(last_cmd(&out, &reason), 15);
	assert_int_equal(reason, 1);
	assert_int_equal(f->done, 1);
	capf_sess_free(s);

	/* 2: the CA refuses: the operation fails, stays pending. */
	buf_reset(&out);
	s = open_session(f, "SEP001122334455", "", &out, &rc);
	rc = capf_sess_input(s, m,
	    put_hdr(m, 4, 7, put_elem(m + 8, 9, spki, (size_t)len)), &out);
	X509_free(f->later);
	f->later = NULL;
	buf_reset(&out);
	rc = capf_sess_issued(s, NULL, "refused", &out);
	assert_int_equal(rc, CAPF_SESS_CLOSE);
	assert_int_equal(last_cmd(&out, &reason), 15);
	assert_int_equal(reason, 7);
	assert_int_equal(f->done, 1);
	capf_sess_free(s);

	/* 3: the CA never answers. */
	buf_reset(&out);
	s = open_session(f, "SEP001122334455", "", &out, &rc);
	rc = capf_sess_input(s, m,
	    put_hdr(m, 4, 7, put_elem(m + 8, 9, spki, (size_t)len)), &out);
	X509_free(f->later);
	f->later = NULL;
	buf_reset(&out);
	assert_int_equal(capf_sess_timeout(s, &out), CAPF_SESS_CLOSE);
	assert_int_equal(last_cmd(&out, &reason), 15);
	assert_int_equal(reason, 7);
	capf_sess_free(s);

	OPENSSL_free(spki);
	EVP_PKEY_free(key);
	buf_free(&out);
	fake_free(f);
}

static void
keygen_timeout_after_retries_keeps_operation_pending(void **state)
{
	struct fake *f = fake_new(CAPF_OP_UPGRADE, 2);
	struct buf out = BUF_INIT;
	struct store_capf *r;
	struct capf_sess *s;
	int rc, reason, sent = 1;

	(void)state;
	s = open_session(f, "SEP001122334455", "", &out, &rc);
	while ((rc = capf_sess_timeout(s, &out)) == CAPF_SESS_MORE)
		sent++;
	assert_int_equal(sent, 3); /* first request + keygen_retry 2 */
	assert_int_equal(last_cmd(&out, &reason), 15);
	assert_int_equal(reason, 7);
	assert_int_equal(f->done, 0);
	assert_int_equal(store_capf_get(f->st, "SEP001122334455", &r), 0);
	assert_string_equal(r->pending_op, "upgrade");
	assert_int_equal(r->attempts, 1);
	store_capf_free(r);
	capf_sess_free(s);
	buf_free(&out);
	fake_free(f);
}

static void
auth_unknown_and_no_action(void **state)
{
	struct fake *f = fake_new(CAPF_OP_UPGRADE, 1);
	struct buf out = BUF_INIT;
	struct capf_sess *s;
	int rc, reason;

	(void)state;
	s = open_session(f, "SEP001122334455", "9999", &out, &rc);
	assert_int_equal(rc, CAPF_SESS_CLOSE);
	last_cmd(&out, &reason);
	assert_int_equal(reason, 7);
	capf_sess_free(s);
	buf_reset(&out);
	s = open_session(f, "SEP001122334455", "1234", &out, &rc);
	assert_int_equal(rc, CAPF_SESS_MORE);
	capf_sess_free(s);
	buf_reset(&out);
	s = open_session(f, "SEPAABBCCDDEEFF", "", &out, &rc);
	last_cmd(&out, &reason);
	assert_int_equal(reason, 9);
	capf_sess_free(s);
	buf_reset(&out);
	f->pol.oper = CAPF_OP_NONE;
	s = open_session(f, "SEP001122334455", "", &out, &rc);
	last_cmd(&out, &reason);
	assert_int_equal(reason, 0);
	capf_sess_free(s);
	buf_free(&out);
	fake_free(f);
}

static void
garbage_and_wrong_session_id(void **state)
{
	struct fake *f = fake_new(CAPF_OP_UPGRADE, 2);
	struct buf out = BUF_INIT;
	struct capf_sess *s = capf_sess_new(&ops, f, 7, "test");
	uint8_t m[256];
	size_t n, need;
	int reason;

	(void)state;
	capf_sess_start(s, 2, &out);
	memset(m, 0x42, 16);
	assert_int_equal(capf_sess_frame_len(m, 16, &need), -1);
	assert_int_equal(capf_sess_input(s, m, 16, &out), CAPF_SESS_CLOSE);
	last_cmd(&out, &reason);
	assert_int_equal(reason, 7);
	capf_sess_free(s);
	buf_reset(&out);
	s = capf_sess_new(&ops, f, 7, "test");
	n = auth_response(m, 8, "SEP001122334455", "");
	assert_int_equal(capf_sess_input(s, m, n, &out), CAPF_SESS_CLOSE);
	last_cmd(&out, &reason);
	assert_int_equal(reason, 7);
	capf_sess_free(s);
	buf_free(&out);
	fake_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(upgrade_with_retries_then_success),
	    cmocka_unit_test(deferred_issue_goes_on_when_the_ca_answers),
	    cmocka_unit_test(
	        keygen_timeout_after_retries_keeps_operation_pending),
	    cmocka_unit_test(auth_unknown_and_no_action),
	    cmocka_unit_test(garbage_and_wrong_session_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
