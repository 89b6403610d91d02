/*
 * The SQLite store: certificate authority database (CA rows, issued
 * certificates, enrolment requests) and a generic key/value table.
 *
 * One connection per struct store, WAL journal, synchronous=FULL (a
 * committed serial reservation must survive a power cut), a busy timeout,
 * `PRAGMA user_version` with forward-only migrations compiled in, prepared
 * statements bound with sqlite3_bind_* only.  Every call is one
 * transaction of its own unless the caller groups calls between
 * store_txn_begin() and store_txn_end().
 *
 * Functions return 0 or a negative enum store_err code; they never log.
 * Out-pointers are written only on success.  Returned records are owned by
 * the caller and released with the matching _free function.
 */
#ifndef OPENCME_STORE_STORE_H
#define OPENCME_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Error codes: a range of their own so that src/pki can pass them
 * through unchanged (pki_err_str() names them too). */
enum store_err {
	STORE_OK = 0,
	STORE_E_DB = -100, /* SQLite failure (I/O, corruption, constraint) */
	STORE_E_BUSY = -101, /* database locked beyond the busy timeout */
	STORE_E_NOTFOUND = -102,
	STORE_E_EXISTS = -103,
	STORE_E_SCHEMA = -104, /* database newer than this program */
	STORE_E_INVAL = -105,
	STORE_E_STATE = -106, /* row not in the expected state */
	STORE_E_TXN = -107, /* call not allowed inside an open transaction */
};

const char *store_err_str(int err);

/* The schema version this program writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 4
#define STORE_BUSY_TIMEOUT_MS 5000

struct store;

/*
 * Open (creating if needed) the database at path (":memory:" for a
 * private in-memory database) and run pending migrations.
 */
int store_open(const char *path, struct store **out);
/* Close; an open transaction is rolled back.  NULL is a no-op. */
void store_free(struct store *s);
/* PRAGMA user_version of the open database (>= 0) or an error. */
int store_schema_version(struct store *s);

/*
 * Group several calls into one transaction (BEGIN IMMEDIATE).  Calls
 * nest: only the outermost store_txn_end() commits.  store_txn_end(s, rc)
 * commits when rc == 0 and no call inside failed, else rolls back; it
 * returns rc, or the error of a failed inner call or of COMMIT.
 */
int store_txn_begin(struct store *s);
int store_txn_end(struct store *s, int rc);

/* ------------------------------------------------------------------ */
/* Certificate authorities */

struct store_ca {
	char *label;
	uint64_t next_serial; /* the serial the next reservation returns */
	uint64_t crl_number; /* the number the next CRL gets */
	int64_t crl_next_update; /* of the last CRL built; 0 = none yet */
	int64_t created; /* unix seconds */
	unsigned char *cert_der; /* the CA certificate */
	size_t cert_len;
};

/* A new CA whose own certificate has serial 1: next_serial starts at 2.
 * STORE_E_EXISTS when the label is taken. */
int store_ca_create(struct store *s, const char *label,
    const unsigned char *cert_der, size_t cert_len, int64_t created);
int store_ca_get(struct store *s, const char *label, struct store_ca **out);
void store_ca_free(struct store_ca *ca);
/* Delete a CA with its issued certificates and requests. */
int store_ca_delete(struct store *s, const char *label);

/*
 * Reserve the next serial number of a CA and commit the reservation
 * before returning it, so that it is never handed out twice even if the
 * process dies before the certificate is recorded (a crash may skip a
 * serial, never reuse one).  Refused with STORE_E_TXN inside an open
 * transaction, whose rollback would undo the reservation.
 */
int store_serial_reserve(struct store *s, const char *ca, uint64_t *serial);
/* The same for count consecutive serials first..first+count-1 in one
 * committed transaction (a CA hands them out from memory; a crash skips
 * the rest of the block, never reuses one). */
int store_serial_reserve_block(
    struct store *s, const char *ca, unsigned count, uint64_t *first);
/* Give back the unused end of a block at a clean close: next_serial
 * becomes next again if it is still block_end (nobody reserved after). */
int store_serial_release(
    struct store *s, const char *ca, uint64_t block_end, uint64_t next);

/* Take the next CRL number and record the CRL's nextUpdate (committed,
 * like serials, so numbers only increase).  STORE_E_TXN inside a
 * transaction. */
int store_crl_number_next(
    struct store *s, const char *ca, int64_t next_update, uint64_t *crl_number);

/* ------------------------------------------------------------------ */
/* Issued certificates */

struct store_cert {
	uint64_t serial;
	char *subject; /* RFC 2253 text; NULL when not kept */
	int64_t not_before, not_after; /* 0 when not kept */
	unsigned char *der; /* NULL when not kept */
	size_t der_len;
	int64_t revoked_at; /* 0 = not revoked */
	int reason; /* CRL reason code when revoked */
};

/* Record an issued certificate (fields NULL/0 are stored as NULL).
 * STORE_E_EXISTS when the serial is already recorded. */
int store_cert_add(struct store *s, const char *ca, const struct store_cert *c);
int store_cert_get(
    struct store *s, const char *ca, uint64_t serial, struct store_cert **out);
void store_cert_free(struct store_cert *c);
/* Mark a serial revoked, creating a bare row when the certificate was not
 * recorded (database level minimal).  STORE_E_EXISTS if already revoked. */
int store_cert_revoke(
    struct store *s, const char *ca, uint64_t serial, int64_t when, int reason);

#define STORE_CERT_ALL 0
#define STORE_CERT_REVOKED 1
/*
 * Call cb for each recorded certificate of a CA in serial order (only the
 * revoked ones with STORE_CERT_REVOKED).  The record is borrowed for the
 * call.  A non-zero return from cb stops the walk and is returned.
 */
int store_cert_foreach(struct store *s, const char *ca, int which,
    int (*cb)(const struct store_cert *, void *), void *arg);

/* ------------------------------------------------------------------ */
/* Enrolment requests */

enum store_req_state {
	STORE_REQ_PENDING = 0,
	STORE_REQ_GRANTED = 1, /* granted, certificate not signed yet */
	STORE_REQ_REJECTED = 2,
	STORE_REQ_ISSUED = 3,
};
/* "pending", "granted", "rejected", "issued"; "?" for other values. */
const char *store_req_state_str(int state);

#define STORE_FP_HEX_LEN 32 /* MD5 as hex digits */

struct store_request {
	int64_t id;
	char *ca;
	int state; /* enum store_req_state */
	int64_t received;
	char *transaction_id; /* SCEP transactionID; NULL for manual */
	char *subject;
	unsigned char *csr_der;
	size_t csr_len;
	char fingerprint[STORE_FP_HEX_LEN + 1]; /* upper-case hex */
	uint64_t serial; /* 0 until issued */
	unsigned char *cert_der; /* the issued certificate, for SCEP polls */
	size_t cert_len;
	/* Signed by a trusted RA for a key it vouches for, not by the
	 * subject key (a CAPF phone's): no self-signature to check. */
	int ra_vouched;
};

/* Add a request (id, serial and cert fields of r are ignored); *id gets
 * the new id.  STORE_E_EXISTS when the CA already has a request with the
 * same transaction id. */
int store_request_add(
    struct store *s, const struct store_request *r, int64_t *id);
int store_request_get(
    struct store *s, const char *ca, int64_t id, struct store_request **out);
int store_request_find_tid(struct store *s, const char *ca, const char *tid,
    struct store_request **out);
void store_request_free(struct store_request *r);
/* Move a request from state `from` to `to`: STORE_E_NOTFOUND without
 * such a request, STORE_E_STATE when it is in another state. */
int store_request_set_state(
    struct store *s, const char *ca, int64_t id, int from, int to);
/* Mark a granted or pending request issued with its serial and cert. */
int store_request_set_issued(struct store *s, const char *ca, int64_t id,
    uint64_t serial, const unsigned char *der, size_t der_len);
int store_request_delete(struct store *s, const char *ca, int64_t id);
/* Call cb for each request of a CA in id order (borrowed record). */
int store_request_foreach(struct store *s, const char *ca,
    int (*cb)(const struct store_request *, void *), void *arg);

/* ------------------------------------------------------------------ */
/* Key/value table for other services ("capf/...", "ctl/..."). */

int store_kv_set(
    struct store *s, const char *key, const void *value, size_t len);
/* *value is malloc'ed and NUL-terminated (not counted in *len). */
int store_kv_get(
    struct store *s, const char *key, unsigned char **value, size_t *len);
int store_kv_delete(struct store *s, const char *key);

/* ------------------------------------------------------------------ */
/* CAPF devices (schema 2): one row per phone the CAPF server has seen. */

struct store_capf {
	char *device; /* "SEP" + 12 upper-case hex digits */
	char *pending_op; /* "upgrade", "fetch", "delete"; NULL = none */
	int attempts; /* sessions since the last completed operation */
	char *last_op; /* operation of the last session; NULL = none */
	char *last_result; /* "success", "failed: ...", "no action" */
	int64_t last_time; /* unix seconds of the last session; 0 = never */
	uint64_t serial; /* installed certificate; 0 = none */
	char *issuer; /* RFC 2253 text; NULL = none */
	int64_t not_after; /* 0 = none */
	unsigned char *cert_der; /* NULL = no certificate known */
	size_t cert_len;
	/* The capf-server `cert-oper X all` operation ("upgrade", ...) the
	 * device completed: it is not started again for it.  NULL = none. */
	char *global_done;
};

/* Forget every device's global_done (the global operation was removed:
 * configuring it again starts it again on every device). */
int store_capf_clear_global_done(struct store *s);

/* STORE_E_NOTFOUND for a device never seen. */
int store_capf_get(
    struct store *s, const char *device, struct store_capf **out);
/* Insert or replace the row of r->device. */
int store_capf_put(struct store *s, const struct store_capf *r);
void store_capf_free(struct store_capf *r);
/* Every row in device order (borrowed for the call); a non-zero return
 * from cb stops the walk and is returned. */
int store_capf_foreach(
    struct store *s, int (*cb)(const struct store_capf *, void *), void *arg);

#endif
