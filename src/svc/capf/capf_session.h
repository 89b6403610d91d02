/*
 * One CAPF session (formats.md 5.7-5.9) as pure logic: fed complete
 * messages and timer expiries, it appends the server's messages to a
 * buffer and says when to close.  No sockets, no timers, no configuration
 * tree: what it needs from the outside (the device's policy, the
 * authentication string check, certificate trust, LSC issuing) comes
 * through struct capf_sess_ops, so the unit test can drive it with fakes
 * and a fake clock.  The device table (store/store.h) is updated here.
 *
 * Auth modes here are the wire codes of formats.md 5.5.2 (enum
 * capf_auth_type of fmt/capf.h: 1 string, 2 null string, 3 LSC, 4 MIC;
 * 0 none), not the configuration's enum capf_auth.
 */
#ifndef OPENCME_SVC_CAPF_SESSION_H
#define OPENCME_SVC_CAPF_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "lib/buf.h"

struct store;

enum capf_sess_op {
	CAPF_OP_NONE = 0,
	CAPF_OP_UPGRADE = 1,
	CAPF_OP_FETCH = 2,
	CAPF_OP_DELETE = 3,
};
const char *capf_op_str(int op);

#define CAPF_SESS_IDLE_MS 60000u
/* How long a phone waits for an LSC that an RA asked its CA for. */
#define CAPF_SESS_ISSUE_MS 60000u
#define CAPF_SESS_PORT 3804u
#define CAPF_SESS_HEADER_LEN 8u

/*
 * Framing for the transport (wraps capf_msg_frame_len): 0 and *need set
 * (8 + payload_len) when the header is complete, 1 when fewer than 8
 * bytes arrived, -1 when the bytes present are not CAPF (bad protocol id
 * or command): hand them to capf_sess_input to end the session.
 */
int capf_sess_frame_len(const uint8_t *data, size_t len, size_t *need);

/* What applies to one provisioned device. */
struct capf_sess_policy {
	int oper; /* enum capf_sess_op */
	int auth; /* wire code 0..4 */
	unsigned key_size; /* RSA bits for KEY_GENERATE_REQUEST */
	int curve; /* -1 RSA, else the EC CURVE code (formats.md 5.5.5) */
	unsigned keygen_retry; /* re-sends after the first request */
	unsigned keygen_timeout_ms; /* per request */
	char ca_tp[128]; /* cert-enroll-trustpoint ("" none) */
	/* oper is capf-server's `cert-oper ... all`, not the ephone's:
	 * once completed it is recorded (global_done) and not repeated. */
	int from_global;
};

struct capf_sess_ops {
	/* 0 and *out filled for a provisioned device, -1 unknown. */
	int (*lookup)(
	    void *arg, const char *device, struct capf_sess_policy *out);
	/* 0 when password is the device's authentication string. */
	int (*check_password)(void *arg, const char *device, const char *pw);
	/* 0 when cert chains to a trusted issuer for mode (3 LSC, 4 MIC). */
	int (*verify_cert)(void *arg, int mode, X509 *cert, const char **why);
	/* 0 and *out: issued; 1: asked for (an RA's CA answers later,
	 * through capf_sess_issued); -1 and *why: failed. */
	int (*issue)(void *arg, const char *ca_tp, EVP_PKEY *pub,
	    const char *device, X509 **out, const char **why);
	/* Revoke a replaced LSC (0 or an error code, logged). */
	int (*revoke)(void *arg, uint64_t serial);
	/* The operation completed: clear the pending operation and the
	 * used authentication string. */
	void (*done)(void *arg, const char *device, int op, int auth);
	/* The store, or NULL (then nothing is recorded). */
	struct store *(*store)(void *arg);
	/* The TLS peer's certificate, borrowed, or NULL. */
	X509 *(*tls_peer)(void *arg);
};

enum capf_sess_result {
	CAPF_SESS_MORE = 0, /* keep reading */
	CAPF_SESS_CLOSE = 1, /* flush the output, then close */
};

struct capf_sess_stats {
	uint64_t sessions, completed, no_action, unknown_device;
	uint64_t auth_failed, protocol_errors, timeouts, keygen_retries;
	uint64_t lsc_issued, failed;
};
/* Process-wide counters (the loop is single-threaded). */
struct capf_sess_stats *capf_sess_stats(void);

struct capf_sess;

struct capf_sess *capf_sess_new(const struct capf_sess_ops *ops, void *arg,
    uint32_t session_id, const char *peer);
void capf_sess_free(struct capf_sess *s);
/* AUTH_REQUEST {VERSION 3, AUTH_TYPE auth_hint}. */
int capf_sess_start(struct capf_sess *s, int auth_hint, struct buf *out);
/* One complete message (8 + payload_len bytes). */
int capf_sess_input(
    struct capf_sess *s, const uint8_t *msg, size_t len, struct buf *out);
/* The LSC that issue answered 1 for: cert (the session takes it) or
 * NULL and why. */
int capf_sess_issued(
    struct capf_sess *s, X509 *cert, const char *why, struct buf *out);
/* The deadline armed after the last call expired. */
int capf_sess_timeout(struct capf_sess *s, struct buf *out);
/* Milliseconds to wait for the next message. */
unsigned capf_sess_timeout_ms(const struct capf_sess *s);
/* END_SESSION reason sent (-1 none yet); device name ("" before auth). */
int capf_sess_end_reason(const struct capf_sess *s);
const char *capf_sess_device(const struct capf_sess *s);

#endif
