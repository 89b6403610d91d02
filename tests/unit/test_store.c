/*
 * Unit tests of src/store/store.c: schema migration, serial counters that
 * never go back (close/reopen, a crash between reservation and record),
 * transactions, issued certificates, requests and the key/value table.
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
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const unsigned char fake_der[] = {0x30, 0x03, 0x02, 0x01, 0x01};

/* ------------------------------------------------------------------ */
/* Fixture: a temporary directory holding a database file */

struct fx {
	char dir[64];
	char path[128];
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/opencme-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/db.sqlite3", f->dir);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct store *
open_ok(const char *path)
{
	struct store *s = NULL;

	assert_int_equal(store_open(path, &s), 0);
	assert_non_null(s);
	return s;
}

static struct store *
open_with_ca(const char *path, const char *label)
{
	struct store *s = open_ok(path);

	assert_int_equal(
	    store_ca_create(s, label, fake_der, sizeof(fake_der), 1000), 0);
	return s;
}

/* ------------------------------------------------------------------ */
/* Schema */

static void
store_migrates_empty_memory_database_to_current_version(void **state)
{
	struct store *s = open_ok(":memory:");

	(void)state;
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_free(s);
}

static void
store_migrates_empty_file_once_and_uses_wal(void **state)
{
	struct fx *f = *state;
	struct store *s = open_ok(f->path);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(
	    store_ca_create(s, "CS", fake_der, sizeof(fake_der), 1), 0);
	store_free(s);

	/* Reopening runs no migration again and keeps the data. */
	s = open_ok(f->path);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(
	    store_ca_create(s, "CS", fake_der, 5, 1), STORE_E_EXISTS);
	store_free(s);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
store_refuses_a_database_newer_than_the_program(void **state)
{
	struct fx *f = *state;
	struct store *s = (struct store *)0x1;
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, &s), STORE_E_SCHEMA);
	assert_ptr_equal(s, (struct store *)0x1);
}

static void
store_open_fails_on_unwritable_path(void **state)
{
	struct store *s = (struct store *)0x1;

	(void)state;
	assert_int_not_equal(
	    store_open("/nonexistent-dir/opencme/x.db", &s), 0);
	assert_ptr_equal(s, (struct store *)0x1);
	assert_int_equal(store_open(NULL, &s), STORE_E_INVAL);
}

/* ------------------------------------------------------------------ */
/* Serial numbers */

static void
store_serials_start_at_2_and_increase_by_one(void **state)
{
	struct store *s = open_with_ca(":memory:", "CS");
	uint64_t serial = 0;
	uint64_t i;

	(void)state;
	for (i = 2; i < 12; i++) {
		assert_int_equal(store_serial_reserve(s, "CS", &serial), 0);
		assert_int_equal(serial, i);
	}
	serial = 77;
	assert_int_equal(
	    store_serial_reserve(s, "nope", &serial), STORE_E_NOTFOUND);
	assert_int_equal(serial, 77);
	store_free(s);
}

static void
store_serials_are_never_reused_after_close_and_reopen(void **state)
{
	struct fx *f = *state;
	struct store *s = open_with_ca(f->path, "CS");
	uint64_t serial = 0;

	assert_int_equal(store_serial_reserve(s, "CS", &serial), 0);
	assert_int_equal(serial, 2);
	assert_int_equal(store_serial_reserve(s, "CS", &serial), 0);
	assert_int_equal(serial, 3);
	store_free(s);

	s = open_ok(f->path);
	assert_int_equal(store_serial_reserve(s, "CS", &serial), 0);
	assert_int_equal(serial, 4);
	store_free(s);
}

static void
store_serial_reserved_before_a_crash_is_skipped_not_reused(void **state)
{
	struct fx *f = *state;
	struct store *s = open_with_ca(f->path, "CS");
	struct store_cert rec = {.serial = 0, .subject = (char *)"CN=x"};
	struct store_cert *got = NULL;
	uint64_t serial = 0;
	pid_t pid;
	int status = 0;

	store_free(s);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Child: reserve, start recording the certificate, die
		 * before the commit (no close, no rollback). */
		struct store *c = NULL;
		uint64_t cs = 0;

		if (store_open(f->path, &c) != 0 ||
		    store_serial_reserve(c, "CS", &cs) != 0 || cs != 2)
			_exit(1);
		rec.serial = cs;
		if (store_txn_begin(c) != 0 ||
		    store_cert_add(c, "CS", &rec) != 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	s = open_ok(f->path);
	/* The record was never committed ... */
	assert_int_equal(store_cert_get(s, "CS", 2, &got), STORE_E_NOTFOUND);
	assert_null(got);
	/* ... but the serial stays used. */
	assert_int_equal(store_serial_reserve(s, "CS", &serial), 0);
	assert_int_equal(serial, 3);
	store_free(s);
}

static void
store_serial_reserve_is_refused_inside_a_transaction(void **state)
{
	struct store *s = open_with_ca(":memory:", "CS");
	uint64_t serial = 99;

	(void)state;
	assert_int_equal(store_txn_begin(s), 0);
	assert_int_equal(store_serial_reserve(s, "CS", &serial), STORE_E_TXN);
	assert_int_equal(
	    store_crl_number_next(s, "CS", 5, &serial), STORE_E_TXN);
	assert_int_equal(serial, 99);
	assert_int_equal(store_txn_end(s, 0), 0);
	assert_int_equal(store_serial_reserve(s, "CS", &serial), 0);
	assert_int_equal(serial, 2);
	store_free(s);
}

static void
store_crl_numbers_increase_and_record_next_update(void **state)
{
	struct store *s = open_with_ca(":memory:", "CS");
	struct store_ca *ca = NULL;
	uint64_t n = 0;

	(void)state;
	assert_int_equal(store_crl_number_next(s, "CS", 5000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_crl_number_next(s, "CS", 6000, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_ca_get(s, "CS", &ca), 0);
	assert_int_equal(ca->crl_number, 3);
	assert_int_equal(ca->crl_next_update, 6000);
	assert_int_equal(ca->next_serial, 2);
	assert_int_equal(ca->created, 1000);
	assert_int_equal(ca->cert_len, sizeof(fake_der));
	assert_memory_equal(ca->cert_der, fake_der, sizeof(fake_der));
	store_ca_free(ca);
	store_free(s);
}

/* ------------------------------------------------------------------ */
/* Transactions */

static void
store_transaction_rolls_back_on_error_and_commits_on_success(void **state)
{
	struct store *s = open_with_ca(":memory:", "CS");
	struct store_cert rec = {.serial = 5, .subject = (char *)"CN=a"};
	struct store_cert *got = NULL;

	(void)state;
	/* Caller error: rolled back. */
	assert_int_equal(store_txn_begin(s), 0);
	assert_int_equal(store_cert_add(s, "CS", &rec), 0);
	assert_int_equal(store_txn_end(s, -42), -42);
	assert_int_equal(store_cert_get(s, "CS", 5, &got), STORE_E_NOTFOUND);

	/* An inner failure poisons the outer transaction. */
	assert_int_equal(store_txn_begin(s), 0);
	assert_int_equal(store_cert_add(s, "CS", &rec), 0);
	assert_int_equal(store_cert_add(s, "CS", &rec), STORE_E_EXISTS);
	assert_int_equal(store_txn_end(s, 0), STORE_E_EXISTS);
	assert_int_equal(store_cert_get(s, "CS", 5, &got), STORE_E_NOTFOUND);

	/* Nested success commits at the outermost end. */
	assert_int_equal(store_txn_begin(s), 0);
	assert_int_equal(store_txn_begin(s), 0);
	assert_int_equal(store_cert_add(s, "CS", &rec), 0);
	assert_int_equal(store_txn_end(s, 0), 0);
	assert_int_equal(store_txn_end(s, 0), 0);
	assert_int_equal(store_cert_get(s, "CS", 5, &got), 0);
	assert_string_equal(got->subject, "CN=a");
	store_cert_free(got);

	assert_int_equal(store_txn_end(s, 0), STORE_E_TXN);
	store_free(s);
}

static void
store_free_rolls_back_an_open_transaction(void **state)
{
	struct fx *f = *state;
	struct store *s = open_with_ca(f->path, "CS");
	struct store_cert rec = {.serial = 9};
	struct store_cert *got = NULL;

	assert_int_equal(store_txn_begin(s), 0);
	assert_int_equal(store_cert_add(s, "CS", &rec), 0);
	store_free(s);
	s = open_ok(f->path);
	assert_int_equal(store_cert_get(s, "CS", 9, &got), STORE_E_NOTFOUND);
	store_free(s);
	store_free(NULL);
}

/* ------------------------------------------------------------------ */
/* CA rows and issued certificates */

static void
store_ca_rows_create_get_delete(void **state)
{
	struct store *s = open_ok(":memory:");
	struct store_ca *ca = (struct store_ca *)0x1;
	struct store_cert rec = {.serial = 2};
	struct store_cert *c = NULL;

	(void)state;
	assert_int_equal(store_ca_get(s, "CS", &ca), STORE_E_NOTFOUND);
	assert_ptr_equal(ca, (struct store_ca *)0x1);
	assert_int_equal(store_ca_create(s, "CS", NULL, 0, 1), STORE_E_INVAL);
	assert_int_equal(
	    store_ca_create(s, "CS", fake_der, sizeof(fake_der), 1), 0);
	/* Issued rows need an existing CA. */
	assert_int_equal(store_cert_add(s, "other", &rec), STORE_E_NOTFOUND);
	assert_int_equal(store_cert_add(s, "CS", &rec), 0);
	assert_int_equal(store_ca_delete(s, "CS"), 0);
	assert_int_equal(store_ca_delete(s, "CS"), STORE_E_NOTFOUND);
	/* Deleting the CA removed its certificates. */
	assert_int_equal(
	    store_ca_create(s, "CS", fake_der, sizeof(fake_der), 1), 0);
	assert_int_equal(store_cert_get(s, "CS", 2, &c), STORE_E_NOTFOUND);
	store_free(s);
}

struct walk {
	uint64_t serials[16];
	size_t n;
};

static int
walk_cb(const struct store_cert *c, void *arg)
{
	struct walk *w = arg;

	if (w->n < NELEM(w->serials))
		w->serials[w->n++] = c->serial;
	return 0;
}

static int
stop_cb(const struct store_cert *c, void *arg)
{
	(void)c;
	(void)arg;
	return 7;
}

static void
store_certs_record_levels_revoke_and_walk(void **state)
{
	struct store *s = open_with_ca(":memory:", "CS");
	struct store_cert full = {.serial = 2,
	    .subject = (char *)"CN=full",
	    .not_before = 100,
	    .not_after = 200,
	    .der = (unsigned char *)(uintptr_t)fake_der,
	    .der_len = sizeof(fake_der)};
	struct store_cert names = {
	    .serial = 3, .subject = (char *)"CN=names", .not_before = 1};
	struct store_cert *c = NULL;
	struct walk w;

	(void)state;
	assert_int_equal(store_cert_add(s, "CS", &full), 0);
	assert_int_equal(store_cert_add(s, "CS", &names), 0);
	assert_int_equal(store_cert_add(s, "CS", &names), STORE_E_EXISTS);

	assert_int_equal(store_cert_get(s, "CS", 2, &c), 0);
	assert_string_equal(c->subject, "CN=full");
	assert_int_equal(c->not_after, 200);
	assert_int_equal(c->der_len, sizeof(fake_der));
	assert_memory_equal(c->der, fake_der, sizeof(fake_der));
	assert_int_equal(c->revoked_at, 0);
	store_cert_free(c);
	assert_int_equal(store_cert_get(s, "CS", 3, &c), 0);
	assert_null(c->der);
	assert_int_equal(c->not_after, 0);
	store_cert_free(c);

	/* Revoke a recorded serial and one never recorded (minimal). */
	assert_int_equal(store_cert_revoke(s, "CS", 3, 500, 1), 0);
	assert_int_equal(store_cert_revoke(s, "CS", 3, 600, 1), STORE_E_EXISTS);
	assert_int_equal(store_cert_revoke(s, "CS", 4, 700, 4), 0);
	assert_int_equal(store_cert_get(s, "CS", 4, &c), 0);
	assert_null(c->subject);
	assert_int_equal(c->revoked_at, 700);
	assert_int_equal(c->reason, 4);
	store_cert_free(c);

	memset(&w, 0, sizeof(w));
	assert_int_equal(
	    store_cert_foreach(s, "CS", STORE_CERT_ALL, walk_cb, &w), 0);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.serials[0], 2);
	assert_int_equal(w.serials[2], 4);
	memset(&w, 0, sizeof(w));
	assert_int_equal(
	    store_cert_foreach(s, "CS", STORE_CERT_REVOKED, walk_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.serials[0], 3);
	assert_int_equal(w.serials[1], 4);
	assert_int_equal(
	    store_cert_foreach(s, "CS", STORE_CERT_ALL, stop_cb, NULL), 7);
	store_free(s);
}

/* ------------------------------------------------------------------ */
/* Requests */

static int64_t
add_request(struct store *s, const char *tid, const char *subject)
{
	struct store_request r;
	int64_t id = 0;

	memset(&r, 0, sizeof(r));
	r.ca = (char *)"CS";
	r.state = STORE_REQ_PENDING;
	r.received = 1234;
	r.transaction_id = (char *)(uintptr_t)tid;
	r.subject = (char *)(uintptr_t)subject;
	r.csr_der = (unsigned char *)(uintptr_t)fake_der;
	r.csr_len = sizeof(fake_der);
	snprintf(r.fingerprint, sizeof(r.fingerprint), "%s",
	    "0123456789ABCDEF0123456789ABCDEF");
	assert_int_equal(store_request_add(s, &r, &id), 0);
	assert_true(id > 0);
	return id;
}

static int
req_count_cb(const struct store_request *r, void *arg)
{
	int64_t *last = arg;

	assert_true(r->id > *last);
	*last = r->id;
	return 0;
}

static void
store_requests_move_through_their_states(void **state)
{
	struct store *s = open_with_ca(":memory:", "CS");
	struct store_request *r = NULL, dup;
	int64_t a, b, id = -1, last = 0;

	(void)state;
	a = add_request(s, "TID-A", "CN=a");
	b = add_request(s, NULL, "CN=b");
	assert_true(b > a);

	/* The same transaction id twice is refused. */
	memset(&dup, 0, sizeof(dup));
	dup.ca = (char *)"CS";
	dup.transaction_id = (char *)"TID-A";
	dup.subject = (char *)"CN=c";
	dup.csr_der = (unsigned char *)(uintptr_t)fake_der;
	dup.csr_len = sizeof(fake_der);
	assert_int_equal(store_request_add(s, &dup, &id), STORE_E_EXISTS);
	assert_int_equal(id, -1);

	assert_int_equal(store_request_find_tid(s, "CS", "TID-A", &r), 0);
	assert_int_equal(r->id, a);
	assert_int_equal(r->state, STORE_REQ_PENDING);
	assert_int_equal(r->received, 1234);
	assert_string_equal(r->subject, "CN=a");
	assert_string_equal(r->fingerprint, "0123456789ABCDEF0123456789ABCDEF");
	assert_int_equal(r->csr_len, sizeof(fake_der));
	assert_null(r->cert_der);
	store_request_free(r);
	r = NULL;
	assert_int_equal(
	    store_request_find_tid(s, "CS", "TID-X", &r), STORE_E_NOTFOUND);

	/* pending -> granted -> issued */
	assert_int_equal(store_request_set_state(
	                     s, "CS", a, STORE_REQ_PENDING, STORE_REQ_GRANTED),
	    0);
	assert_int_equal(store_request_set_state(
	                     s, "CS", a, STORE_REQ_PENDING, STORE_REQ_REJECTED),
	    STORE_E_STATE);
	assert_int_equal(store_request_set_state(s, "CS", 999,
	                     STORE_REQ_PENDING, STORE_REQ_REJECTED),
	    STORE_E_NOTFOUND);
	assert_int_equal(
	    store_request_set_issued(s, "CS", a, 2, fake_der, sizeof(fake_der)),
	    0);
	assert_int_equal(
	    store_request_set_issued(s, "CS", a, 3, fake_der, sizeof(fake_der)),
	    STORE_E_STATE);
	assert_int_equal(store_request_get(s, "CS", a, &r), 0);
	assert_int_equal(r->state, STORE_REQ_ISSUED);
	assert_int_equal(r->serial, 2);
	assert_int_equal(r->cert_len, sizeof(fake_der));
	store_request_free(r);

	/* pending -> rejected */
	assert_int_equal(store_request_set_state(
	                     s, "CS", b, STORE_REQ_PENDING, STORE_REQ_REJECTED),
	    0);
	assert_int_equal(
	    store_request_foreach(s, "CS", req_count_cb, &last), 0);
	assert_int_equal(last, b);

	assert_int_equal(store_request_delete(s, "CS", a), 0);
	assert_int_equal(store_request_delete(s, "CS", a), STORE_E_NOTFOUND);
	assert_string_equal(store_req_state_str(STORE_REQ_GRANTED), "granted");
	assert_string_equal(store_req_state_str(42), "?");
	store_free(s);
}

/* ------------------------------------------------------------------ */
/* Key/value */

static void
store_kv_sets_overwrites_and_deletes(void **state)
{
	struct store *s = open_ok(":memory:");
	unsigned char *v = NULL;
	size_t len = 99;

	(void)state;
	assert_int_equal(store_kv_get(s, "capf/x", &v, &len), STORE_E_NOTFOUND);
	assert_null(v);
	assert_int_equal(len, 99);
	assert_int_equal(store_kv_set(s, "capf/x", "abc", 3), 0);
	assert_int_equal(store_kv_set(s, "capf/x", "hello", 5), 0);
	assert_int_equal(store_kv_get(s, "capf/x", &v, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal((char *)v, "hello");
	free(v);
	assert_int_equal(store_kv_set(s, "empty", NULL, 0), 0);
	assert_int_equal(store_kv_get(s, "empty", &v, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal((char *)v, "");
	free(v);
	assert_int_equal(store_kv_delete(s, "capf/x"), 0);
	assert_int_equal(store_kv_delete(s, "capf/x"), STORE_E_NOTFOUND);
	store_free(s);
}

static void
store_err_str_names_every_code(void **state)
{
	int e;

	(void)state;
	assert_string_equal(store_err_str(0), "success");
	for (e = STORE_E_DB; e >= STORE_E_TXN; e--)
		assert_string_not_equal(
		    store_err_str(e), "unknown store error");
	assert_string_equal(store_err_str(-1), "unknown store error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        store_migrates_empty_memory_database_to_current_version),
	    cmocka_unit_test_setup_teardown(
	        store_migrates_empty_file_once_and_uses_wal, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        store_refuses_a_database_newer_than_the_program, fx_setup,
	        fx_teardown),
	    cmocka_unit_test(store_open_fails_on_unwritable_path),
	    cmocka_unit_test(store_serials_start_at_2_and_increase_by_one),
	    cmocka_unit_test_setup_teardown(
	        store_serials_are_never_reused_after_close_and_reopen, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        store_serial_reserved_before_a_crash_is_skipped_not_reused,
	        fx_setup, fx_teardown),
	    cmocka_unit_test(
	        store_serial_reserve_is_refused_inside_a_transaction),
	    cmocka_unit_test(store_crl_numbers_increase_and_record_next_update),
	    cmocka_unit_test(
	        store_transaction_rolls_back_on_error_and_commits_on_success),
	    cmocka_unit_test_setup_teardown(
	        store_free_rolls_back_an_open_transaction, fx_setup,
	        fx_teardown),
	    cmocka_unit_test(store_ca_rows_create_get_delete),
	    cmocka_unit_test(store_certs_record_levels_revoke_and_walk),
	    cmocka_unit_test(store_requests_move_through_their_states),
	    cmocka_unit_test(store_kv_sets_overwrites_and_deletes),
	    cmocka_unit_test(store_err_str_names_every_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
