/*
 * The CAPF session state machine (capf_session.h).  Server side of
 * formats.md 5.7 (opening and authentication), 5.8 (install, fetch,
 * delete) and 5.9 (key generation wait and retries).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "fmt/capf.h"
#include "lib/log.h"
#include "store/store.h"
#include "svc/capf/capf_session.h"

enum state {
	ST_AUTH, /* AUTH_REQUEST sent, waiting for AUTH_RESPONSE */
	ST_KEYGEN, /* KEY_GENERATE_REQUEST sent */
	ST_ISSUING, /* the phone's key is with the CA (through the RA) */
	ST_STORE, /* STORE_CERTIFICATE_REQUEST sent */
	ST_FETCH,
	ST_DELETE,
	ST_DONE, /* END_SESSION sent */
};

struct capf_sess {
	const struct capf_sess_ops *ops;
	void *arg;
	uint32_t id;
	int state;
	char device[16];
	char peer[64];
	struct capf_sess_policy pol;
	unsigned keygen_sent;
	X509 *lsc; /* issued, waiting for STORE_CERTIFICATE_RESPONSE */
	int end_reason;
};

static struct capf_sess_stats stats;

struct capf_sess_stats *
capf_sess_stats(void)
{
	return &stats;
}

const char *
capf_op_str(int op)
{
	switch (op) {
	case CAPF_OP_UPGRADE:
		return "upgrade";
	case CAPF_OP_FETCH:
		return "fetch";
	case CAPF_OP_DELETE:
		return "delete";
	default:
		return "none";
	}
}

struct capf_sess *
capf_sess_new(const struct capf_sess_ops *ops, void *arg, uint32_t session_id,
    const char *peer)
{
	struct capf_sess *s = xcalloc(1, sizeof(*s));

	s->ops = ops;
	s->arg = arg;
	s->id = session_id;
	s->end_reason = -1;
	snprintf(s->peer, sizeof(s->peer), "%s", peer ? peer : "?");
	stats.sessions++;
	return s;
}

void
capf_sess_free(struct capf_sess *s)
{
	if (s == NULL)
		return;
	X509_free(s->lsc);
	free(s);
}

int
capf_sess_end_reason(const struct capf_sess *s)
{
	return s->end_reason;
}

const char *
capf_sess_device(const struct capf_sess *s)
{
	return s->device;
}

unsigned
capf_sess_timeout_ms(const struct capf_sess *s)
{
	if (s->state == ST_KEYGEN && s->pol.keygen_timeout_ms > 0)
		return s->pol.keygen_timeout_ms;
	if (s->state == ST_ISSUING)
		return CAPF_SESS_ISSUE_MS;
	return CAPF_SESS_IDLE_MS;
}

/* ---- the device table ---- */

static struct store_capf *
rec_load(struct capf_sess *s)
{
	struct store *st = s->ops->store ? s->ops->store(s->arg) : NULL;
	struct store_capf *r = NULL;

	if (st == NULL || s->device[0] == '\0')
		return NULL;
	if (store_capf_get(st, s->device, &r) != 0) {
		r = xcalloc(1, sizeof(*r));
		r->device = xstrdup(s->device);
	}
	return r;
}

static void
set_str(char **field, const char *v)
{
	free(*field);
	*field = v ? xstrdup(v) : NULL;
}

static void
rec_save(struct capf_sess *s, struct store_capf *r)
{
	struct store *st = s->ops->store ? s->ops->store(s->arg) : NULL;
	int rc;

	if (st == NULL || r == NULL)
		return;
	r->last_time = (int64_t)time(NULL);
	rc = store_capf_put(st, r);
	if (rc != 0)
		log_warnx("CAPF %s: cannot record the device: %s", s->device,
		    store_err_str(rc));
}

/* Record the outcome of this session (op and result). */
static void
rec_result(struct capf_sess *s, const char *result)
{
	struct store_capf *r = rec_load(s);

	if (r == NULL)
		return;
	set_str(&r->last_op, capf_op_str(s->pol.oper));
	set_str(&r->last_result, result);
	rec_save(s, r);
	store_capf_free(r);
}

/* The operation completed: nothing pending; a global operation is not
 * started again for this device. */
static void
rec_completed(struct capf_sess *s, struct store_capf *r, const char *result)
{
	set_str(&r->pending_op, NULL);
	set_str(&r->last_op, capf_op_str(s->pol.oper));
	set_str(&r->last_result, result);
	if (s->pol.from_global)
		set_str(&r->global_done, capf_op_str(s->pol.oper));
	r->attempts = 0;
}

/* Remember a certificate as the device's current one (NULL forgets). */
static void
rec_cert(struct store_capf *r, X509 *x)
{
	unsigned char *der = NULL;
	int len;
	uint64_t serial = 0;
	char *issuer;
	const ASN1_TIME *na;
	struct tm tm;

	free(r->cert_der);
	r->cert_der = NULL;
	r->cert_len = 0;
	set_str(&r->issuer, NULL);
	r->serial = 0;
	r->not_after = 0;
	if (x == NULL || (len = i2d_X509(x, &der)) <= 0)
		return;
	r->cert_der = xmalloc((size_t)len);
	memcpy(r->cert_der, der, (size_t)len);
	r->cert_len = (size_t)len;
	OPENSSL_free(der);
	if (ASN1_INTEGER_get_uint64(&serial, X509_get0_serialNumber(x)) == 1 &&
	    serial <= (uint64_t)INT64_MAX)
		r->serial = serial;
	issuer = X509_NAME_oneline(X509_get_issuer_name(x), NULL, 0);
	set_str(&r->issuer, issuer);
	OPENSSL_free(issuer);
	na = X509_get0_notAfter(x);
	if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1)
		r->not_after = (int64_t)timegm(&tm);
}

/* ---- output ---- */

static int
end_session(struct capf_sess *s, int reason, const char *why, struct buf *out)
{
	capf_build_end_session(s->id, reason, out);
	s->end_reason = reason;
	s->state = ST_DONE;
	if (reason == CAPF_REASON_INVALID_ELEMENT) {
		stats.failed++;
		log_info("CAPF session %" PRIu32 " (%s, %s): failed: %s", s->id,
		    s->peer, s->device[0] ? s->device : "-", why);
	} else {
		log_info("CAPF session %" PRIu32
		         " (%s, %s): END_SESSION %d%s%s",
		    s->id, s->peer, s->device[0] ? s->device : "-", reason,
		    why ? ": " : "", why ? why : "");
	}
	return CAPF_SESS_CLOSE;
}

/* A failure after authentication: recorded, operation kept pending. */
static int
op_failed(struct capf_sess *s, const char *why, struct buf *out)
{
	char text[160];

	snprintf(text, sizeof(text), "failed: %s", why);
	rec_result(s, text);
	return end_session(s, CAPF_REASON_INVALID_ELEMENT, why, out);
}

int
capf_sess_frame_len(const uint8_t *data, size_t len, size_t *need)
{
	int rc = capf_msg_frame_len(data, len, need);

	if (rc == CAPF_OK)
		return 0;
	return rc == CAPF_E_TRUNCATED && len < CAPF_HEADER_LEN ? 1 : -1;
}

int
capf_sess_start(struct capf_sess *s, int auth_hint, struct buf *out)
{
	if (auth_hint < 0 || auth_hint > 4)
		auth_hint = 0;
	s->state = ST_AUTH;
	return capf_build_auth_request(s->id, auth_hint, out) == 0
	    ? CAPF_SESS_MORE
	    : CAPF_SESS_CLOSE;
}

/* ---- certificate authentication (formats.md 5.7.4) ---- */

static const uint8_t digestinfo_sha1[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05,
    0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
static const uint8_t digestinfo_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09,
    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
    0x40};

/* 1 when sig is a signature of data by key with md (SHA-1 or SHA-512):
 * RSA type-1 blocks with a bare hash or a DigestInfo, or ECDSA. */
static int
proof_ok(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t sig_len)
{
	uint8_t h[EVP_MAX_MD_SIZE], rec[1024];
	unsigned hlen = 0;
	size_t rlen = sizeof(rec);
	EVP_PKEY_CTX *pc;
	int ok = 0;

	if (sig == NULL || sig_len == 0)
		return 0;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		EVP_MD_CTX *mc = EVP_MD_CTX_new();

		ok = mc != NULL &&
		    EVP_DigestVerifyInit(mc, NULL, md, NULL, key) == 1 &&
		    EVP_DigestVerify(mc, sig, sig_len, data, len) == 1;
		EVP_MD_CTX_free(mc);
		return ok;
	}
	if (EVP_Digest(data, len, h, &hlen, md, NULL) != 1 ||
	    (size_t)EVP_PKEY_get_size(key) > sizeof(rec))
		return 0;
	pc = EVP_PKEY_CTX_new(key, NULL);
	if (pc != NULL && EVP_PKEY_verify_recover_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_verify_recover(pc, rec, &rlen, sig, sig_len) == 1) {
		const uint8_t *di =
		    hlen == 20 ? digestinfo_sha1 : digestinfo_sha512;
		size_t dilen = hlen == 20 ? sizeof(digestinfo_sha1)
		                          : sizeof(digestinfo_sha512);

		if (rlen == hlen)
			ok = CRYPTO_memcmp(rec, h, hlen) == 0;
		else if (rlen == dilen + hlen)
			ok = memcmp(rec, di, dilen) == 0 &&
			    CRYPTO_memcmp(rec + dilen, h, hlen) == 0;
	}
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	return ok;
}

/* 0 when the certificate in AUTH_RESPONSE is proven by its signatures. */
static int
cert_proof(
    struct capf_sess *s, const struct capf_msg *m, X509 *x, const char **why)
{
	struct buf data = BUF_INIT;
	EVP_PKEY *key = X509_get0_pubkey(x);
	int ok;

	if (!m->has_sha2_sig || m->sha2_sig.hash_id != CAPF_DIGEST_SHA512) {
		*why = "SHA2_SIGNED_DATA (SHA-512) missing";
		return -1;
	}
	if (key == NULL) {
		*why = "unusable public key";
		return -1;
	}
	buf_append(&data, s->device, strlen(s->device) + 1);
	buf_append(&data, m->cert.der.data, m->cert.der.len);
	ok = proof_ok(key, EVP_sha512(), (const uint8_t *)data.data, data.len,
	    m->sha2_sig.sig.data, m->sha2_sig.sig.len);
	if (ok && m->signed_data.data != NULL)
		ok = proof_ok(key, EVP_sha1(), (const uint8_t *)data.data,
		    data.len, m->signed_data.data, m->signed_data.len);
	buf_free(&data);
	if (!ok) {
		*why = "the signature over the authentication data does not "
		       "verify";
		return -1;
	}
	return 0;
}

static int
auth_cert(struct capf_sess *s, const struct capf_msg *m, const char **why)
{
	X509 *peer = s->ops->tls_peer ? s->ops->tls_peer(s->arg) : NULL;
	X509 *x = NULL;
	char cn[64];
	int rc = -1;

	if (peer != NULL) {
		/* The TLS handshake proved possession of the key. */
		x = X509_dup(peer);
	} else if (m->has_cert) {
		const unsigned char *p = m->cert.der.data;

		x = d2i_X509(NULL, &p, (long)m->cert.der.len);
		if (x == NULL || p != m->cert.der.data + m->cert.der.len) {
			*why = "malformed CERTIFICATE";
			goto out;
		}
		if (cert_proof(s, m, x, why) != 0)
			goto out;
	} else {
		*why = "no certificate presented";
		goto out;
	}
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	        cn, sizeof(cn)) <= 0 ||
	    strcmp(cn, s->device) != 0) {
		*why = "the certificate's CN is not the device name";
		goto out;
	}
	if (s->ops->verify_cert == NULL ||
	    s->ops->verify_cert(s->arg, s->pol.auth, x, why) != 0)
		goto out;
	rc = 0;
out:
	X509_free(x);
	ERR_clear_error();
	return rc;
}

/* ---- states ---- */

static int
device_name_ok(const char *name)
{
	if (name == NULL || strlen(name) != 15 || strncmp(name, "SEP", 3) != 0)
		return 0;
	for (int i = 3; i < 15; i++)
		if (!isxdigit((unsigned char)name[i]))
			return 0;
	return 1;
}

static int
send_keygen(struct capf_sess *s, struct buf *out)
{
	s->keygen_sent++;
	if (s->pol.curve >= 0 ? capf_build_key_gen_request(s->id, CAPF_KEY_EC,
	                            0, s->pol.curve, out) != 0
	                      : capf_build_key_gen_request(s->id, CAPF_KEY_RSA,
	                            (int)s->pol.key_size, 0, out) != 0)
		return op_failed(s, "bad phone-key-size or curve", out);
	return CAPF_SESS_MORE;
}

static int
on_auth(struct capf_sess *s, const struct capf_msg *m, struct buf *out)
{
	const char *why = NULL;
	struct store_capf *r;

	if (m->command != CAPF_CMD_AUTH_RESPONSE)
		return end_session(s, CAPF_REASON_INVALID_ELEMENT,
		    "expected AUTH_RESPONSE", out);
	if (m->version != CAPF_VERSION)
		return end_session(s, CAPF_REASON_INVALID_ELEMENT,
		    "VERSION missing or not 3", out);
	if (m->device_name == NULL)
		return end_session(
		    s, CAPF_REASON_INVALID_ELEMENT, "DEVICE_NAME missing", out);
	if (!device_name_ok(m->device_name)) {
		stats.unknown_device++;
		return end_session(s, CAPF_REASON_UNKNOWN_DEVICE,
		    "malformed device name", out);
	}
	snprintf(s->device, sizeof(s->device), "SEP%s", m->device_name + 3);
	for (char *p = s->device + 3; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (s->ops->lookup(s->arg, s->device, &s->pol) != 0) {
		stats.unknown_device++;
		s->device[0] = '\0'; /* nothing recorded for strangers */
		return end_session(s, CAPF_REASON_UNKNOWN_DEVICE,
		    "device not provisioned", out);
	}
	if (s->pol.oper == CAPF_OP_NONE) {
		stats.no_action++;
		return end_session(
		    s, CAPF_REASON_NO_ACTION, "no operation pending", out);
	}
	switch (s->pol.auth) {
	case CAPF_AUTH_TYPE_PASSWORD:
		if (m->password == NULL || s->ops->check_password == NULL ||
		    s->ops->check_password(s->arg, s->device, m->password) != 0)
			why = "wrong authentication string";
		break;
	case CAPF_AUTH_TYPE_NO_PASSWORD:
		break;
	case CAPF_AUTH_TYPE_LSC:
	case CAPF_AUTH_TYPE_MIC:
		/* The verifiers set *why on success too ("no trusted CA"
		 * is pki_svc_verify_peer's default): only a failure
		 * keeps a reason. */
		if (auth_cert(s, m, &why) != 0) {
			if (why == NULL)
				why = "certificate authentication failed";
		} else {
			why = NULL;
		}
		break;
	default:
		why = "no authentication mode configured";
		break;
	}
	r = rec_load(s);
	if (r != NULL) {
		r->attempts++;
		set_str(&r->pending_op, capf_op_str(s->pol.oper));
		rec_save(s, r);
		store_capf_free(r);
	}
	if (why != NULL) {
		stats.auth_failed++;
		return op_failed(s, why, out);
	}
	log_info("CAPF session %" PRIu32 " (%s, %s): authenticated, "
	         "operation %s",
	    s->id, s->peer, s->device, capf_op_str(s->pol.oper));
	switch (s->pol.oper) {
	case CAPF_OP_UPGRADE:
		s->state = ST_KEYGEN;
		return send_keygen(s, out);
	case CAPF_OP_FETCH:
		s->state = ST_FETCH;
		capf_build_fetch_cert_request(s->id, out);
		return CAPF_SESS_MORE;
	default:
		s->state = ST_DELETE;
		capf_build_delete_cert_request(s->id, out);
		return CAPF_SESS_MORE;
	}
}

/* The phone's key is what KEY_GENERATE_REQUEST asked for. */
static int
key_as_asked(const struct capf_sess *s, EVP_PKEY *pub)
{
	static const char *const groups[] = {
	    "prime256v1", "secp384r1", "secp521r1"};
	char name[64];
	size_t len = 0;

	if (s->pol.curve < 0)
		return EVP_PKEY_is_a(pub, "RSA") &&
		    EVP_PKEY_get_bits(pub) == (int)s->pol.key_size;
	if (!EVP_PKEY_is_a(pub, "EC") || s->pol.curve > 2 ||
	    EVP_PKEY_get_group_name(pub, name, sizeof(name), &len) != 1)
		return 0;
	return strcmp(name, groups[s->pol.curve]) == 0;
}

/* STORE_CERTIFICATE_REQUEST with the new LSC x (the session keeps it). */
static int
send_lsc(struct capf_sess *s, X509 *x, struct buf *out)
{
	unsigned char *der = NULL;
	int len;

	stats.lsc_issued++;
	len = i2d_X509(x, &der);
	if (len <= 0 || (size_t)len > CAPF_MAX_CERT ||
	    capf_build_store_cert_request(s->id, der, (size_t)len, out) != 0) {
		OPENSSL_free(der);
		X509_free(x);
		return op_failed(s, "cannot encode the LSC", out);
	}
	OPENSSL_free(der);
	s->lsc = x;
	s->state = ST_STORE;
	return CAPF_SESS_MORE;
}

static int
on_keygen(struct capf_sess *s, const struct capf_msg *m, struct buf *out)
{
	const unsigned char *p;
	EVP_PKEY *pub;
	X509 *x = NULL;
	const char *why = "issuing failed";

	if (m->command == CAPF_CMD_REQUEST_IN_PROGRESS)
		return CAPF_SESS_MORE; /* keep-alive: the timer restarts */
	if (m->command != CAPF_CMD_KEY_GEN_RESPONSE)
		return op_failed(s, "expected KEY_GENERATE_RESPONSE", out);
	if (m->public_key.data == NULL) {
		char text[64];

		snprintf(text, sizeof(text),
		    "the phone's key generation failed (reason %d)", m->reason);
		return op_failed(s, text, out);
	}
	p = m->public_key.data;
	pub = d2i_PUBKEY(NULL, &p, (long)m->public_key.len);
	if (pub == NULL || p != m->public_key.data + m->public_key.len) {
		EVP_PKEY_free(pub);
		ERR_clear_error();
		return op_failed(s, "malformed PUBLIC_KEY", out);
	}
	if (!key_as_asked(s, pub)) {
		EVP_PKEY_free(pub);
		return op_failed(s,
		    "the phone's key is not the type or size asked for", out);
	}
	switch (s->ops->issue(s->arg, s->pol.ca_tp, pub, s->device, &x, &why)) {
	case 0:
		break;
	case 1:
		/* The RA asked its CA: capf_sess_issued goes on. */
		EVP_PKEY_free(pub);
		s->state = ST_ISSUING;
		return CAPF_SESS_MORE;
	default:
		EVP_PKEY_free(pub);
		return op_failed(s, why ? why : "issuing failed", out);
	}
	EVP_PKEY_free(pub);
	return send_lsc(s, x, out);
}

int
capf_sess_issued(
    struct capf_sess *s, X509 *cert, const char *why, struct buf *out)
{
	if (s->state != ST_ISSUING) {
		X509_free(cert);
		return s->state == ST_DONE ? CAPF_SESS_CLOSE : CAPF_SESS_MORE;
	}
	if (cert == NULL)
		return op_failed(s, why ? why : "issuing failed", out);
	return send_lsc(s, cert, out);
}

static uint64_t
cert_serial(X509 *x)
{
	uint64_t v = 0;

	if (ASN1_INTEGER_get_uint64(&v, X509_get0_serialNumber(x)) != 1)
		v = 0;
	return v;
}

static int
on_store(struct capf_sess *s, const struct capf_msg *m, struct buf *out)
{
	struct store_capf *r;
	uint64_t old = 0, serial = cert_serial(s->lsc);

	if (m->command != CAPF_CMD_STORE_CERT_RESPONSE || m->reason != 1) {
		/* The phone did not take it: the new LSC must not linger. */
		if (serial != 0 && s->ops->revoke != NULL)
			(void)s->ops->revoke(s->arg, serial);
		return op_failed(s,
		    m->command != CAPF_CMD_STORE_CERT_RESPONSE
		        ? "expected STORE_CERTIFICATE_RESPONSE"
		        : "the phone did not store the LSC",
		    out);
	}
	r = rec_load(s);
	if (r != NULL) {
		char *issuer =
		    X509_NAME_oneline(X509_get_issuer_name(s->lsc), NULL, 0);

		if (r->serial != 0 && r->serial != serial && r->issuer &&
		    issuer && strcmp(r->issuer, issuer) == 0)
			old = r->serial;
		OPENSSL_free(issuer);
		rec_cert(r, s->lsc);
		rec_completed(s, r, "success");
		rec_save(s, r);
		store_capf_free(r);
	}
	if (old != 0 && s->ops->revoke != NULL) {
		int rc = s->ops->revoke(s->arg, old);

		log_info("CAPF %s: replaced LSC serial 0x%" PRIX64 " %s",
		    s->device, old,
		    rc == 0 ? "revoked"
		            : "not revoked here (revoke it at its issuing CA)");
	}
	stats.completed++;
	if (s->ops->done)
		s->ops->done(s->arg, s->device, s->pol.oper, s->pol.auth);
	return end_session(s, CAPF_REASON_UPDATE_CERT, "LSC installed", out);
}

static int
on_fetch(struct capf_sess *s, const struct capf_msg *m, struct buf *out)
{
	struct store_capf *r;
	X509 *x = NULL;
	const char *result = "success";

	if (m->command != CAPF_CMD_FETCH_CERT_RESPONSE)
		return op_failed(s, "expected FETCH_CERTIFICATE_RESPONSE", out);
	if (m->reason == 1 && m->has_cert) {
		const unsigned char *p = m->cert.der.data;

		x = d2i_X509(NULL, &p, (long)m->cert.der.len);
		if (x == NULL || p != m->cert.der.data + m->cert.der.len) {
			X509_free(x);
			ERR_clear_error();
			return op_failed(s, "malformed CERTIFICATE", out);
		}
	} else {
		result = "success: no certificate on the phone";
	}
	r = rec_load(s);
	if (r != NULL) {
		if (x != NULL)
			rec_cert(r, x);
		rec_completed(s, r, result);
		rec_save(s, r);
		store_capf_free(r);
	}
	X509_free(x);
	stats.completed++;
	if (s->ops->done)
		s->ops->done(s->arg, s->device, s->pol.oper, s->pol.auth);
	return end_session(s, CAPF_REASON_NO_ACTION, result, out);
}

static int
on_delete(struct capf_sess *s, const struct capf_msg *m, struct buf *out)
{
	struct store_capf *r;

	if (m->command != CAPF_CMD_DELETE_CERT_RESPONSE)
		return op_failed(
		    s, "expected DELETE_CERTIFICATE_RESPONSE", out);
	r = rec_load(s);
	if (r != NULL) {
		rec_cert(r, NULL);
		rec_completed(s, r,
		    m->reason == 1 ? "success" : "success: nothing to delete");
		rec_save(s, r);
		store_capf_free(r);
	}
	stats.completed++;
	if (s->ops->done)
		s->ops->done(s->arg, s->device, s->pol.oper, s->pol.auth);
	return end_session(
	    s, CAPF_REASON_UPDATE_CERT, "certificate deleted", out);
}

int
capf_sess_input(
    struct capf_sess *s, const uint8_t *msg, size_t len, struct buf *out)
{
	struct capf_msg *m = NULL;
	struct capf_error err = {0, NULL};
	int rc;

	if (s->state == ST_DONE)
		return CAPF_SESS_CLOSE;
	rc = capf_msg_parse(msg, len, &m, &err);
	if (rc != 0) {
		char text[128];

		stats.protocol_errors++;
		snprintf(text, sizeof(text), "malformed message: %s at %zu",
		    err.what ? err.what : capf_err_str(rc), err.offset);
		return s->state == ST_AUTH
		    ? end_session(s, CAPF_REASON_INVALID_ELEMENT, text, out)
		    : op_failed(s, text, out);
	}
	if (m->n_unknown > 0)
		log_debug("CAPF session %" PRIu32 ": %zu unknown element(s) "
		          "ignored",
		    s->id, m->n_unknown);
	if (m->session_id != s->id) {
		stats.protocol_errors++;
		rc = s->state == ST_AUTH
		    ? end_session(s, CAPF_REASON_INVALID_ELEMENT,
		          "wrong session id", out)
		    : op_failed(s, "wrong session id", out);
		capf_msg_free(m);
		return rc;
	}
	switch (s->state) {
	case ST_AUTH:
		rc = on_auth(s, m, out);
		break;
	case ST_KEYGEN:
		rc = on_keygen(s, m, out);
		break;
	case ST_ISSUING:
		/* Nothing is expected but keep-alives while the CA works. */
		rc = m->command == CAPF_CMD_REQUEST_IN_PROGRESS
		    ? CAPF_SESS_MORE
		    : op_failed(
		          s, "unexpected message while the CA issues", out);
		break;
	case ST_STORE:
		rc = on_store(s, m, out);
		break;
	case ST_FETCH:
		rc = on_fetch(s, m, out);
		break;
	case ST_DELETE:
		rc = on_delete(s, m, out);
		break;
	default:
		rc = CAPF_SESS_CLOSE;
		break;
	}
	capf_msg_free(m);
	return rc;
}

int
capf_sess_timeout(struct capf_sess *s, struct buf *out)
{
	if (s->state == ST_DONE)
		return CAPF_SESS_CLOSE;
	if (s->state == ST_KEYGEN) {
		if (s->keygen_sent <= s->pol.keygen_retry) {
			stats.keygen_retries++;
			log_info("CAPF session %" PRIu32 " (%s): no key after "
			         "%u ms: KEY_GENERATE_REQUEST again (%u of %u)",
			    s->id, s->device, s->pol.keygen_timeout_ms,
			    s->keygen_sent, s->pol.keygen_retry);
			return send_keygen(s, out);
		}
		stats.timeouts++;
		return op_failed(s, "key generation timed out", out);
	}
	stats.timeouts++;
	if (s->state == ST_ISSUING)
		return op_failed(
		    s, "the issuing CA did not answer in time", out);
	if (s->device[0] != '\0')
		return op_failed(s, "the phone stalled", out);
	return end_session(
	    s, CAPF_REASON_INVALID_ELEMENT, "the phone stalled", out);
}
