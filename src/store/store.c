/*
 * SQLite store (see store.h).  The schema is compiled in as a list of
 * forward-only migrations; migrations[i] takes user_version i to i + 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "store/store.h"

struct store {
	sqlite3 *db;
	int txn_depth;
	int txn_err; /* first error inside the open transaction */
};

/* clang-format off */
static const char *const migrations[] = {
	/* 0 -> 1: the CA database and the key/value table. */
	"CREATE TABLE ca ("
	"  label TEXT PRIMARY KEY NOT NULL,"
	"  next_serial INTEGER NOT NULL CHECK (next_serial >= 2),"
	"  crl_number INTEGER NOT NULL DEFAULT 1,"
	"  crl_next_update INTEGER NOT NULL DEFAULT 0,"
	"  cert_der BLOB NOT NULL,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE issued ("
	"  ca TEXT NOT NULL REFERENCES ca(label) ON DELETE CASCADE,"
	"  serial INTEGER NOT NULL CHECK (serial >= 1),"
	"  subject TEXT,"
	"  not_before INTEGER,"
	"  not_after INTEGER,"
	"  der BLOB,"
	"  revoked_at INTEGER,"
	"  reason INTEGER,"
	"  PRIMARY KEY (ca, serial)"
	");"
	"CREATE TABLE requests ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  ca TEXT NOT NULL REFERENCES ca(label) ON DELETE CASCADE,"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('pending','granted','rejected','issued')),"
	"  received INTEGER NOT NULL,"
	"  transaction_id TEXT,"
	"  subject TEXT NOT NULL,"
	"  csr_der BLOB NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  serial INTEGER,"
	"  cert_der BLOB"
	");"
	"CREATE UNIQUE INDEX requests_tid ON requests(ca, transaction_id)"
	"  WHERE transaction_id IS NOT NULL;"
	"CREATE TABLE kv ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  value BLOB NOT NULL,"
	"  updated INTEGER NOT NULL"
	");",
	/* 1 -> 2: CAPF devices (src/svc/capf). */
	"CREATE TABLE capf_device ("
	"  device TEXT PRIMARY KEY NOT NULL,"
	"  pending_op TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  last_op TEXT,"
	"  last_result TEXT,"
	"  last_time INTEGER NOT NULL DEFAULT 0,"
	"  serial INTEGER,"
	"  issuer TEXT,"
	"  not_after INTEGER,"
	"  cert_der BLOB"
	");",
	/* 2 -> 3: requests an RA signed for a key it vouches for (CAPF). */
	"ALTER TABLE requests ADD COLUMN ra_vouched INTEGER NOT NULL "
	"  DEFAULT 0;",
	/* 3 -> 4: the capf-server `cert-oper ... all` a device completed. */
	"ALTER TABLE capf_device ADD COLUMN global_done TEXT;",
};
/* clang-format on */

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION,
    "STORE_SCHEMA_VERSION must count the migrations");

static const char *const req_state_words[] = {
    "pending", "granted", "rejected", "issued"};
#define NSTATES ((int)(sizeof(req_state_words) / sizeof(req_state_words[0])))

const char *
store_err_str(int err)
{
	switch (err) {
	case STORE_OK:
		return "success";
	case STORE_E_DB:
		return "database error";
	case STORE_E_BUSY:
		return "database is locked";
	case STORE_E_NOTFOUND:
		return "no such entry in the database";
	case STORE_E_EXISTS:
		return "entry already exists in the database";
	case STORE_E_SCHEMA:
		return "database schema is newer than this program";
	case STORE_E_INVAL:
		return "invalid argument";
	case STORE_E_STATE:
		return "entry is not in the expected state";
	case STORE_E_TXN:
		return "not allowed inside a transaction";
	}
	return "unknown store error";
}

const char *
store_req_state_str(int state)
{
	if (state < 0 || state >= NSTATES)
		return "?";
	return req_state_words[state];
}

static int
req_state_parse(const char *word)
{
	int i;

	for (i = 0; word != NULL && i < NSTATES; i++)
		if (strcmp(word, req_state_words[i]) == 0)
			return i;
	return -1;
}

/* Map an SQLite result code to a store error. */
static int
map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return STORE_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_E_BUSY;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    rc == SQLITE_CONSTRAINT_UNIQUE)
			return STORE_E_EXISTS;
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return STORE_E_NOTFOUND;
		return STORE_E_INVAL;
	}
	return STORE_E_DB;
}

static int
exec_sql(struct store *s, const char *sql)
{
	return map_rc(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

static int
prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	return map_rc(sqlite3_prepare_v2(s->db, sql, -1, st, NULL));
}

/* Step a statement that returns no row. */
static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return STORE_OK;
	return rc == SQLITE_ROW ? STORE_E_DB : map_rc(rc);
}

/*
 * For the *_foreach functions: step st to its end (and finalise it),
 * decoding every row with from_row into *rows (malloc'd array of *n).
 * Rows are collected before any callback runs, so callbacks may call
 * the store again.
 */
static int
collect_rows(sqlite3_stmt *st, void *(*from_row)(sqlite3_stmt *), void ***rows,
    size_t *n)
{
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*rows = realloc(*rows, cap * sizeof(**rows));
			if (*rows == NULL)
				abort();
		}
		(*rows)[(*n)++] = from_row(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : map_rc(rc);
}

static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return map_rc(sqlite3_bind_null(st, i));
	return map_rc(sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT));
}

static int
bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len)
{
	if (v == NULL)
		return map_rc(sqlite3_bind_null(st, i));
	if (len > INT32_MAX)
		return STORE_E_INVAL;
	return map_rc(sqlite3_bind_blob(st, i, v, (int)len, SQLITE_TRANSIENT));
}

static int
bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	return map_rc(sqlite3_bind_int64(st, i, (sqlite3_int64)v));
}

/* A serial as an SQLite integer (serials stay below 2^63). */
static int
bind_serial(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v > (uint64_t)INT64_MAX)
		return STORE_E_INVAL;
	return bind_i64(st, i, (int64_t)v);
}

static char *
col_text_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t == NULL ? NULL : xstrdup((const char *)t);
}

static unsigned char *
col_blob_dup(sqlite3_stmt *st, int i, size_t *len)
{
	const void *b;
	int n;
	unsigned char *copy;

	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	b = sqlite3_column_blob(st, i);
	n = sqlite3_column_bytes(st, i);
	copy = xmalloc((size_t)n + 1);
	if (n > 0)
		memcpy(copy, b, (size_t)n);
	copy[n] = 0;
	*len = (size_t)n;
	return copy;
}

static int64_t
col_i64(sqlite3_stmt *st, int i)
{
	return (int64_t)sqlite3_column_int64(st, i);
}

/* ------------------------------------------------------------------ */
/* Transactions */

static int
txn_begin(struct store *s)
{
	int rc;

	if (s->txn_depth == 0) {
		rc = exec_sql(s, "BEGIN IMMEDIATE");
		if (rc != 0)
			return rc;
		s->txn_err = 0;
	}
	s->txn_depth++;
	return 0;
}

static int
txn_end(struct store *s, int rc)
{
	int crc;

	if (rc != 0 && s->txn_err == 0)
		s->txn_err = rc;
	if (s->txn_depth <= 0)
		return rc != 0 ? rc : STORE_E_TXN;
	if (--s->txn_depth > 0)
		return rc;
	if (s->txn_err != 0) {
		rc = s->txn_err;
		(void)exec_sql(s, "ROLLBACK");
		s->txn_err = 0;
		return rc;
	}
	crc = exec_sql(s, "COMMIT");
	if (crc != 0) {
		(void)exec_sql(s, "ROLLBACK");
		return crc;
	}
	return 0;
}

int
store_txn_begin(struct store *s)
{
	if (s == NULL)
		return STORE_E_INVAL;
	return txn_begin(s);
}

int
store_txn_end(struct store *s, int rc)
{
	if (s == NULL)
		return STORE_E_INVAL;
	return txn_end(s, rc);
}

/* ------------------------------------------------------------------ */
/* Open, migrate, close */

static int
user_version(struct store *s, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = prepare(s, "PRAGMA user_version", &st);
	if (rc != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = STORE_E_DB;
		goto out;
	}
	*v = sqlite3_column_int(st, 0);
out:
	sqlite3_finalize(st);
	return rc;
}

static int
migrate(struct store *s)
{
	char sql[64];
	int rc, v = 0, i;

	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = user_version(s, &v);
	if (rc != 0)
		goto out;
	if (v > NMIGRATIONS || v < 0) {
		rc = STORE_E_SCHEMA;
		goto out;
	}
	for (i = v; i < NMIGRATIONS; i++) {
		rc = exec_sql(s, migrations[i]);
		if (rc != 0)
			goto out;
	}
	if (v < NMIGRATIONS) {
		/* A PRAGMA takes no parameters; the value is our constant. */
		snprintf(
		    sql, sizeof(sql), "PRAGMA user_version = %d", NMIGRATIONS);
		rc = exec_sql(s, sql);
	}
out:
	return txn_end(s, rc);
}

int
store_open(const char *path, struct store **out)
{
	struct store *s = NULL;
	int rc;

	if (path == NULL || out == NULL)
		return STORE_E_INVAL;
	s = xcalloc(1, sizeof(*s));
	rc = map_rc(sqlite3_open_v2(
	    path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL));
	if (rc != 0)
		goto out;
	sqlite3_extended_result_codes(s->db, 1);
	rc = map_rc(sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS));
	if (rc != 0)
		goto out;
	/* WAL for readers beside the writer; FULL so that a committed
	 * serial reservation survives a power cut. */
	rc = exec_sql(s,
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;");
	if (rc != 0)
		goto out;
	rc = migrate(s);
out:
	if (rc != 0) {
		store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL) {
		if (s->txn_depth > 0)
			(void)exec_sql(s, "ROLLBACK");
		sqlite3_close_v2(s->db);
	}
	free(s);
}

int
store_schema_version(struct store *s)
{
	int v = 0, rc;

	if (s == NULL)
		return STORE_E_INVAL;
	rc = user_version(s, &v);
	return rc != 0 ? rc : v;
}

/* ------------------------------------------------------------------ */
/* CA rows */

int
store_ca_create(struct store *s, const char *label,
    const unsigned char *cert_der, size_t cert_len, int64_t created)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || label == NULL || cert_der == NULL || cert_len == 0)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    "INSERT INTO ca (label, next_serial, cert_der, created) "
	    "VALUES (?1, 2, ?2, ?3)",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, label);
	if (rc == 0)
		rc = bind_blob(st, 2, cert_der, cert_len);
	if (rc == 0)
		rc = bind_i64(st, 3, created);
	if (rc == 0)
		rc = step_done(st);
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

int
store_ca_get(struct store *s, const char *label, struct store_ca **out)
{
	sqlite3_stmt *st = NULL;
	struct store_ca *ca = NULL;
	int rc;

	if (s == NULL || label == NULL || out == NULL)
		return STORE_E_INVAL;
	rc = prepare(s,
	    "SELECT label, next_serial, crl_number, crl_next_update, "
	    "created, cert_der FROM ca WHERE label = ?1",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, label);
	if (rc != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? STORE_E_NOTFOUND : map_rc(rc);
		goto out;
	}
	ca = xcalloc(1, sizeof(*ca));
	ca->label = col_text_dup(st, 0);
	ca->next_serial = (uint64_t)col_i64(st, 1);
	ca->crl_number = (uint64_t)col_i64(st, 2);
	ca->crl_next_update = col_i64(st, 3);
	ca->created = col_i64(st, 4);
	ca->cert_der = col_blob_dup(st, 5, &ca->cert_len);
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc == 0)
		*out = ca;
	return rc;
}

void
store_ca_free(struct store_ca *ca)
{
	if (ca == NULL)
		return;
	free(ca->label);
	free(ca->cert_der);
	free(ca);
}

int
store_ca_delete(struct store *s, const char *label)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || label == NULL)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s, "DELETE FROM ca WHERE label = ?1", &st);
	if (rc == 0)
		rc = bind_text(st, 1, label);
	if (rc == 0)
		rc = step_done(st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = STORE_E_NOTFOUND;
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

/* Read and advance a counter of a CA row (the serial, or the CRL number
 * with its nextUpdate) in a transaction of its own. */
static int
ca_counter_next(struct store *s, const char *ca, int is_crl,
    int64_t next_update, uint64_t count, uint64_t *value)
{
	sqlite3_stmt *st = NULL;
	uint64_t v = 0;
	int rc;

	if (s == NULL || ca == NULL || value == NULL)
		return STORE_E_INVAL;
	if (s->txn_depth > 0)
		return STORE_E_TXN;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    is_crl ? "SELECT crl_number FROM ca WHERE label = ?1"
	           : "SELECT next_serial FROM ca WHERE label = ?1",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? STORE_E_NOTFOUND : map_rc(rc);
		goto out;
	}
	v = (uint64_t)col_i64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (count == 0 || v >= (uint64_t)INT64_MAX - count) {
		rc = STORE_E_INVAL;
		goto out;
	}
	rc = prepare(s,
	    is_crl ? "UPDATE ca SET crl_number = crl_number + ?3, "
	             "crl_next_update = ?2 WHERE label = ?1"
	           : "UPDATE ca SET next_serial = next_serial + ?3 "
	             "WHERE label = ?1",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0 && is_crl)
		rc = bind_i64(st, 2, next_update);
	if (rc == 0)
		rc = bind_i64(st, 3, (int64_t)count);
	if (rc == 0)
		rc = step_done(st);
out:
	sqlite3_finalize(st);
	rc = txn_end(s, rc);
	if (rc == 0)
		*value = v;
	return rc;
}

int
store_serial_reserve(struct store *s, const char *ca, uint64_t *serial)
{
	return ca_counter_next(s, ca, 0, 0, 1, serial);
}

int
store_serial_reserve_block(
    struct store *s, const char *ca, unsigned count, uint64_t *first)
{
	return ca_counter_next(s, ca, 0, 0, count, first);
}

int
store_serial_release(
    struct store *s, const char *ca, uint64_t block_end, uint64_t next)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || ca == NULL || next > block_end ||
	    block_end >= (uint64_t)INT64_MAX)
		return STORE_E_INVAL;
	if (next == block_end)
		return 0;
	rc = prepare(s,
	    "UPDATE ca SET next_serial = ?2 WHERE label = ?1 AND "
	    "next_serial = ?3",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = bind_i64(st, 2, (int64_t)next);
	if (rc == 0)
		rc = bind_i64(st, 3, (int64_t)block_end);
	if (rc == 0)
		rc = step_done(st);
	sqlite3_finalize(st);
	return rc;
}

int
store_crl_number_next(
    struct store *s, const char *ca, int64_t next_update, uint64_t *crl_number)
{
	return ca_counter_next(s, ca, 1, next_update, 1, crl_number);
}

/* ------------------------------------------------------------------ */
/* Issued certificates */

int
store_cert_add(struct store *s, const char *ca, const struct store_cert *c)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || ca == NULL || c == NULL || c->serial == 0)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    "INSERT INTO issued (ca, serial, subject, not_before, not_after, "
	    "der, revoked_at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = bind_serial(st, 2, c->serial);
	if (rc == 0)
		rc = bind_text(st, 3, c->subject);
	if (rc == 0)
		rc = c->not_before != 0 ? bind_i64(st, 4, c->not_before)
		                        : map_rc(sqlite3_bind_null(st, 4));
	if (rc == 0)
		rc = c->not_after != 0 ? bind_i64(st, 5, c->not_after)
		                       : map_rc(sqlite3_bind_null(st, 5));
	if (rc == 0)
		rc = bind_blob(st, 6, c->der, c->der_len);
	if (rc == 0 && c->revoked_at != 0) {
		rc = bind_i64(st, 7, c->revoked_at);
		if (rc == 0)
			rc = bind_i64(st, 8, c->reason);
	}
	if (rc == 0)
		rc = step_done(st);
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

#define CERT_COLUMNS                                                           \
	"serial, subject, not_before, not_after, der, revoked_at, reason"

/* A struct store_cert (void * for collect_rows). */
static void *
cert_from_row(sqlite3_stmt *st)
{
	struct store_cert *c = xcalloc(1, sizeof(*c));

	c->serial = (uint64_t)col_i64(st, 0);
	c->subject = col_text_dup(st, 1);
	c->not_before = col_i64(st, 2);
	c->not_after = col_i64(st, 3);
	c->der = col_blob_dup(st, 4, &c->der_len);
	c->revoked_at = col_i64(st, 5);
	c->reason = sqlite3_column_int(st, 6);
	return c;
}

int
store_cert_get(
    struct store *s, const char *ca, uint64_t serial, struct store_cert **out)
{
	sqlite3_stmt *st = NULL;
	struct store_cert *c = NULL;
	int rc;

	if (s == NULL || ca == NULL || out == NULL)
		return STORE_E_INVAL;
	rc = prepare(s,
	    "SELECT " CERT_COLUMNS " FROM issued WHERE ca = ?1 AND serial = ?2",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = bind_serial(st, 2, serial);
	if (rc != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? STORE_E_NOTFOUND : map_rc(rc);
		goto out;
	}
	c = cert_from_row(st);
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc == 0)
		*out = c;
	return rc;
}

void
store_cert_free(struct store_cert *c)
{
	if (c == NULL)
		return;
	free(c->subject);
	free(c->der);
	free(c);
}

int
store_cert_revoke(
    struct store *s, const char *ca, uint64_t serial, int64_t when, int reason)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || ca == NULL || serial == 0 || when == 0)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    "SELECT revoked_at FROM issued WHERE ca = ?1 AND serial = ?2", &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = bind_serial(st, 2, serial);
	if (rc != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
			rc = STORE_E_EXISTS;
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
		rc = prepare(s,
		    "UPDATE issued SET revoked_at = ?3, reason = ?4 "
		    "WHERE ca = ?1 AND serial = ?2",
		    &st);
	} else if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		st = NULL;
		rc = prepare(s,
		    "INSERT INTO issued (ca, serial, revoked_at, reason) "
		    "VALUES (?1, ?2, ?3, ?4)",
		    &st);
	} else {
		rc = map_rc(rc);
		goto out;
	}
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = bind_serial(st, 2, serial);
	if (rc == 0)
		rc = bind_i64(st, 3, when);
	if (rc == 0)
		rc = bind_i64(st, 4, reason);
	if (rc == 0)
		rc = step_done(st);
out:
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

int
store_cert_foreach(struct store *s, const char *ca, int which,
    int (*cb)(const struct store_cert *, void *), void *arg)
{
	sqlite3_stmt *st = NULL;
	void **rows = NULL;
	size_t n = 0, i;
	int rc;

	if (s == NULL || ca == NULL || cb == NULL)
		return STORE_E_INVAL;
	rc = prepare(s,
	    which == STORE_CERT_REVOKED
	        ? "SELECT " CERT_COLUMNS " FROM issued WHERE ca = ?1 AND "
	          "revoked_at IS NOT NULL ORDER BY serial"
	        : "SELECT " CERT_COLUMNS " FROM issued WHERE ca = ?1 "
	          "ORDER BY serial",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc != 0) {
		sqlite3_finalize(st);
		return rc;
	}
	rc = collect_rows(st, cert_from_row, &rows, &n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = cb(rows[i], arg);
	for (i = 0; i < n; i++)
		store_cert_free(rows[i]);
	free(rows);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Requests */

int
store_request_add(struct store *s, const struct store_request *r, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int64_t newid = 0;
	int rc;

	if (s == NULL || r == NULL || id == NULL || r->ca == NULL ||
	    r->subject == NULL || r->csr_der == NULL || r->csr_len == 0 ||
	    req_state_parse(store_req_state_str(r->state)) < 0)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    "INSERT INTO requests (ca, state, received, transaction_id, "
	    "subject, csr_der, fingerprint, ra_vouched) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8)",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, r->ca);
	if (rc == 0)
		rc = bind_text(st, 2, store_req_state_str(r->state));
	if (rc == 0)
		rc = bind_i64(st, 3, r->received);
	if (rc == 0)
		rc = bind_text(st, 4, r->transaction_id);
	if (rc == 0)
		rc = bind_text(st, 5, r->subject);
	if (rc == 0)
		rc = bind_blob(st, 6, r->csr_der, r->csr_len);
	if (rc == 0)
		rc = bind_text(st, 7, r->fingerprint);
	if (rc == 0)
		rc = bind_i64(st, 8, r->ra_vouched != 0);
	if (rc == 0)
		rc = step_done(st);
	if (rc == 0)
		newid = (int64_t)sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	rc = txn_end(s, rc);
	if (rc == 0)
		*id = newid;
	return rc;
}

#define REQ_COLUMNS                                                            \
	"id, ca, state, received, transaction_id, subject, csr_der, "          \
	"fingerprint, serial, cert_der, ra_vouched"

/* A struct store_request (void * for collect_rows). */
static void *
request_from_row(sqlite3_stmt *st)
{
	struct store_request *r = xcalloc(1, sizeof(*r));
	const unsigned char *fp;

	r->id = col_i64(st, 0);
	r->ca = col_text_dup(st, 1);
	r->state = req_state_parse((const char *)sqlite3_column_text(st, 2));
	r->received = col_i64(st, 3);
	r->transaction_id = col_text_dup(st, 4);
	r->subject = col_text_dup(st, 5);
	r->csr_der = col_blob_dup(st, 6, &r->csr_len);
	fp = sqlite3_column_text(st, 7);
	if (fp != NULL)
		snprintf(r->fingerprint, sizeof(r->fingerprint), "%s",
		    (const char *)fp);
	r->serial = (uint64_t)col_i64(st, 8);
	r->cert_der = col_blob_dup(st, 9, &r->cert_len);
	r->ra_vouched = col_i64(st, 10) != 0;
	return r;
}

static int
request_query_one(struct store *s, const char *sql, const char *ca, int64_t id,
    const char *tid, struct store_request **out)
{
	sqlite3_stmt *st = NULL;
	struct store_request *r = NULL;
	int rc;

	rc = prepare(s, sql, &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = tid != NULL ? bind_text(st, 2, tid) : bind_i64(st, 2, id);
	if (rc != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? STORE_E_NOTFOUND : map_rc(rc);
		goto out;
	}
	r = request_from_row(st);
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc == 0)
		*out = r;
	return rc;
}

int
store_request_get(
    struct store *s, const char *ca, int64_t id, struct store_request **out)
{
	if (s == NULL || ca == NULL || out == NULL)
		return STORE_E_INVAL;
	return request_query_one(s,
	    "SELECT " REQ_COLUMNS " FROM requests WHERE ca = ?1 AND id = ?2",
	    ca, id, NULL, out);
}

int
store_request_find_tid(struct store *s, const char *ca, const char *tid,
    struct store_request **out)
{
	if (s == NULL || ca == NULL || tid == NULL || out == NULL)
		return STORE_E_INVAL;
	return request_query_one(s,
	    "SELECT " REQ_COLUMNS " FROM requests WHERE ca = ?1 AND "
	    "transaction_id = ?2",
	    ca, 0, tid, out);
}

void
store_request_free(struct store_request *r)
{
	if (r == NULL)
		return;
	free(r->ca);
	free(r->transaction_id);
	free(r->subject);
	free(r->csr_der);
	free(r->cert_der);
	free(r);
}

/* After an UPDATE that changed nothing: NOTFOUND or STATE. */
static int
request_why_unchanged(struct store *s, const char *ca, int64_t id)
{
	struct store_request *r = NULL;
	int rc = store_request_get(s, ca, id, &r);

	store_request_free(r);
	return rc == 0 ? STORE_E_STATE : rc;
}

int
store_request_set_state(
    struct store *s, const char *ca, int64_t id, int from, int to)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || ca == NULL || from < 0 || from >= NSTATES || to < 0 ||
	    to >= NSTATES)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    "UPDATE requests SET state = ?4 WHERE ca = ?1 AND id = ?2 AND "
	    "state = ?3",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = bind_i64(st, 2, id);
	if (rc == 0)
		rc = bind_text(st, 3, req_state_words[from]);
	if (rc == 0)
		rc = bind_text(st, 4, req_state_words[to]);
	if (rc == 0)
		rc = step_done(st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = request_why_unchanged(s, ca, id);
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

int
store_request_set_issued(struct store *s, const char *ca, int64_t id,
    uint64_t serial, const unsigned char *der, size_t der_len)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || ca == NULL || serial == 0 || der == NULL ||
	    der_len == 0)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    "UPDATE requests SET state = 'issued', serial = ?3, cert_der = ?4 "
	    "WHERE ca = ?1 AND id = ?2 AND state IN ('pending', 'granted')",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = bind_i64(st, 2, id);
	if (rc == 0)
		rc = bind_serial(st, 3, serial);
	if (rc == 0)
		rc = bind_blob(st, 4, der, der_len);
	if (rc == 0)
		rc = step_done(st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = request_why_unchanged(s, ca, id);
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

int
store_request_delete(struct store *s, const char *ca, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || ca == NULL)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s, "DELETE FROM requests WHERE ca = ?1 AND id = ?2", &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc == 0)
		rc = bind_i64(st, 2, id);
	if (rc == 0)
		rc = step_done(st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = STORE_E_NOTFOUND;
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

int
store_request_foreach(struct store *s, const char *ca,
    int (*cb)(const struct store_request *, void *), void *arg)
{
	sqlite3_stmt *st = NULL;
	void **rows = NULL;
	size_t n = 0, i;
	int rc;

	if (s == NULL || ca == NULL || cb == NULL)
		return STORE_E_INVAL;
	rc = prepare(s,
	    "SELECT " REQ_COLUMNS " FROM requests WHERE ca = ?1 ORDER BY id",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, ca);
	if (rc != 0) {
		sqlite3_finalize(st);
		return rc;
	}
	rc = collect_rows(st, request_from_row, &rows, &n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = cb(rows[i], arg);
	for (i = 0; i < n; i++)
		store_request_free(rows[i]);
	free(rows);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Key/value */

int
store_kv_set(struct store *s, const char *key, const void *value, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || key == NULL || (value == NULL && len != 0))
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    "INSERT INTO kv (key, value, updated) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
	    "updated = excluded.updated",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, key);
	if (rc == 0)
		rc = bind_blob(st, 2, value != NULL ? value : "", len);
	if (rc == 0)
		rc = bind_i64(st, 3, (int64_t)time(NULL));
	if (rc == 0)
		rc = step_done(st);
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

int
store_kv_get(
    struct store *s, const char *key, unsigned char **value, size_t *len)
{
	sqlite3_stmt *st = NULL;
	unsigned char *v = NULL;
	size_t n = 0;
	int rc;

	if (s == NULL || key == NULL || value == NULL || len == NULL)
		return STORE_E_INVAL;
	rc = prepare(s, "SELECT value FROM kv WHERE key = ?1", &st);
	if (rc == 0)
		rc = bind_text(st, 1, key);
	if (rc != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? STORE_E_NOTFOUND : map_rc(rc);
		goto out;
	}
	v = col_blob_dup(st, 0, &n);
	if (v == NULL) /* stored empty blob reads back as NULL */
		v = xcalloc(1, 1);
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc == 0) {
		*value = v;
		*len = n;
	}
	return rc;
}

int
store_kv_delete(struct store *s, const char *key)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || key == NULL)
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s, "DELETE FROM kv WHERE key = ?1", &st);
	if (rc == 0)
		rc = bind_text(st, 1, key);
	if (rc == 0)
		rc = step_done(st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = STORE_E_NOTFOUND;
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

/* ------------------------------------------------------------------ */
/* CAPF devices */

#define CAPF_COLUMNS                                                           \
	"device, pending_op, attempts, last_op, last_result, last_time, "      \
	"serial, issuer, not_after, cert_der, global_done"

/* A struct store_capf (void * for collect_rows). */
static void *
capf_from_row(sqlite3_stmt *st)
{
	struct store_capf *r = xcalloc(1, sizeof(*r));

	r->device = col_text_dup(st, 0);
	r->pending_op = col_text_dup(st, 1);
	r->attempts = (int)col_i64(st, 2);
	r->last_op = col_text_dup(st, 3);
	r->last_result = col_text_dup(st, 4);
	r->last_time = col_i64(st, 5);
	r->serial = (uint64_t)col_i64(st, 6);
	r->issuer = col_text_dup(st, 7);
	r->not_after = col_i64(st, 8);
	r->cert_der = col_blob_dup(st, 9, &r->cert_len);
	r->global_done = col_text_dup(st, 10);
	return r;
}

int
store_capf_get(struct store *s, const char *device, struct store_capf **out)
{
	sqlite3_stmt *st = NULL;
	struct store_capf *r = NULL;
	int rc;

	if (s == NULL || device == NULL || out == NULL)
		return STORE_E_INVAL;
	rc = prepare(s,
	    "SELECT " CAPF_COLUMNS " FROM capf_device WHERE device = ?1", &st);
	if (rc == 0)
		rc = bind_text(st, 1, device);
	if (rc != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? STORE_E_NOTFOUND : map_rc(rc);
		goto out;
	}
	r = capf_from_row(st);
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc == 0)
		*out = r;
	return rc;
}

static int
bind_opt_text(sqlite3_stmt *st, int i, const char *v)
{
	return v == NULL ? map_rc(sqlite3_bind_null(st, i))
	                 : bind_text(st, i, v);
}

int
store_capf_put(struct store *s, const struct store_capf *r)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s == NULL || r == NULL || r->device == NULL ||
	    (r->cert_der == NULL && r->cert_len != 0))
		return STORE_E_INVAL;
	rc = txn_begin(s);
	if (rc != 0)
		return rc;
	rc = prepare(s,
	    "INSERT OR REPLACE INTO capf_device (" CAPF_COLUMNS ") VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	    &st);
	if (rc == 0)
		rc = bind_text(st, 1, r->device);
	if (rc == 0)
		rc = bind_opt_text(st, 2, r->pending_op);
	if (rc == 0)
		rc = bind_i64(st, 3, r->attempts);
	if (rc == 0)
		rc = bind_opt_text(st, 4, r->last_op);
	if (rc == 0)
		rc = bind_opt_text(st, 5, r->last_result);
	if (rc == 0)
		rc = bind_i64(st, 6, r->last_time);
	if (rc == 0)
		rc = r->serial != 0 ? bind_serial(st, 7, r->serial)
		                    : map_rc(sqlite3_bind_null(st, 7));
	if (rc == 0)
		rc = bind_opt_text(st, 8, r->issuer);
	if (rc == 0)
		rc = bind_i64(st, 9, r->not_after);
	if (rc == 0)
		rc = r->cert_der != NULL
		    ? bind_blob(st, 10, r->cert_der, r->cert_len)
		    : map_rc(sqlite3_bind_null(st, 10));
	if (rc == 0)
		rc = bind_opt_text(st, 11, r->global_done);
	if (rc == 0)
		rc = step_done(st);
	sqlite3_finalize(st);
	return txn_end(s, rc);
}

int
store_capf_clear_global_done(struct store *s)
{
	if (s == NULL)
		return STORE_E_INVAL;
	return exec_sql(s,
	    "UPDATE capf_device SET global_done = NULL WHERE global_done "
	    "IS NOT NULL");
}

void
store_capf_free(struct store_capf *r)
{
	if (r == NULL)
		return;
	free(r->device);
	free(r->pending_op);
	free(r->last_op);
	free(r->last_result);
	free(r->issuer);
	free(r->cert_der);
	free(r->global_done);
	free(r);
}

int
store_capf_foreach(
    struct store *s, int (*cb)(const struct store_capf *, void *), void *arg)
{
	sqlite3_stmt *st = NULL;
	void **rows = NULL;
	size_t n = 0, i;
	int rc;

	if (s == NULL || cb == NULL)
		return STORE_E_INVAL;
	rc = prepare(
	    s, "SELECT " CAPF_COLUMNS " FROM capf_device ORDER BY device", &st);
	if (rc != 0)
		return rc;
	rc = collect_rows(st, capf_from_row, &rows, &n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = cb(rows[i], arg);
	for (i = 0; i < n; i++)
		store_capf_free(rows[i]);
	free(rows);
	return rc;
}
