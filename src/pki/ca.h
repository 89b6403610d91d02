/*
 * The certificate authority of a `crypto pki server LABEL`: its key pair
 * (in the keystore, named after the server), its self-signed certificate
 * and database (in the store), issuing from PKCS#10 requests or from bare
 * public keys (CAPF LSCs), revocation, CRLs and the manual-grant request
 * queue.  Pure library code: no sockets, no event loop, no logging.
 *
 * Functions return 0, a negative enum pki_err code (pki/keystore.h) or a
 * store error passed through (store/store.h); pki_err_str() names both.
 * OpenSSL failures (PKI_E_CRYPTO) leave the OpenSSL error queue for the
 * caller to drain and log.  Out-pointers are written only on success and
 * the returned objects belong to the caller.
 *
 * Serial numbers: the CA certificate is 01, the first issued 02.  Each
 * serial is reserved in a committed transaction before the certificate is
 * signed, so a crash may skip a serial but never reuses one.
 */
#ifndef OPENCME_PKI_CA_H
#define OPENCME_PKI_CA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "pki/keystore.h"
#include "store/store.h"

#define CA_DEFAULT_CA_DAYS 1095
#define CA_DEFAULT_CERT_DAYS 365
#define CA_MAX_CERT_DAYS 1825
#define CA_DEFAULT_CRL_HOURS 168
/* Issued certificates end at least this long before the CA's notAfter. */
#define CA_EXPIRY_MARGIN_DAYS 30

/* Values of ca_params.database_level: the same numbers as the
 * configuration's enum db_level. */
enum ca_db_level {
	CA_DB_MINIMAL = 0, /* only the serial counter advances */
	CA_DB_NAMES = 1, /* serial, subject and validity of each cert */
	CA_DB_COMPLETE = 2, /* names plus the DER of each cert */
};

/*
 * Settings of the server (the configuration layer fills them from its
 * `crypto pki server` block).  Zero values mean the default.  issuer_name,
 * key_bits and lifetime_ca_days matter only when the CA is created; later
 * changes are ignored (IOS locks them once the CA certificate exists).
 */
struct ca_params {
	const char *issuer_name; /* "CN=x,O=y"; NULL: "CN=<label>" */
	unsigned key_bits; /* RSA modulus for a new key; 2048 */
	unsigned lifetime_ca_days; /* 1095 */
	unsigned lifetime_cert_days; /* 1..1825; 365 */
	unsigned lifetime_crl_hours; /* 168 */
	int database_level; /* enum ca_db_level; minimal */
	int grant_auto; /* issue requests on arrival */
	const char *cdp_url; /* CRL distribution point; NULL: none */
};

struct ca;

/*
 * Open the CA named label (a keystore label, so [A-Za-z0-9._-]), creating
 * it when the store has none: the key pair called label is loaded, or
 * generated as RSA key_bits when missing; the self-signed certificate
 * (serial 01, subject and issuer issuer_name, CA:TRUE critical, keyUsage
 * keyCertSign+cRLSign+digitalSignature critical, SKI, AKI, SHA-256,
 * lifetime_ca_days) is recorded.  An existing CA is reopened with its
 * certificate and key (PKI_E_MISMATCH if the key file no longer matches).
 * store and keystore are borrowed and must outlive the CA.
 */
int ca_open(struct store *st, struct keystore *ks, const char *label,
    const struct ca_params *params, struct ca **out);
void ca_free(struct ca *ca);
/* 1 when the store holds a CA of that label (its certificate exists). */
int ca_exists(struct store *st, const char *label);
/* Apply changed settings (lifetimes, level, grant mode, CDP). */
int ca_params_set(struct ca *ca, const struct ca_params *params);

/* The CA certificate, borrowed. */
X509 *ca_cert(const struct ca *ca);
const char *ca_label(const struct ca *ca);
/*
 * The CA private key, borrowed, for the SCEP codec only (signing CertRep
 * and decrypting the PKCS#7 envelope).  Never free or export it.
 */
EVP_PKEY *ca_key_borrow(struct ca *ca);

struct ca_profile {
	unsigned days; /* 0: lifetime_cert_days */
	int copy_san; /* copy subjectAltName from the CSR */
};

/*
 * Issue a certificate for a PKCS#10 request: verifies the request's
 * self-signature (PKI_E_SIGNATURE), copies its subject (and SANs when
 * profile->copy_san; profile NULL = defaults with SANs copied).  Lifetime
 * profile days (1..1825), capped at the CA notAfter minus 30 days
 * (PKI_E_EXPIRED when nothing is left).  keyUsage digitalSignature +
 * keyEncipherment (digitalSignature only for non-RSA keys), extended
 * key usage serverAuth + clientAuth, SKI, AKI, SHA-256, the CDP when set.
 * The certificate is recorded as the database level says.
 */
int ca_issue_csr(
    struct ca *ca, X509_REQ *req, const struct ca_profile *profile, X509 **out);
/*
 * Issue a certificate for a bare public key (CAPF LSC), subject given as
 * a DN string ("CN=SEP001122334455,O=..."), days 0 = lifetime_cert_days.
 */
int ca_issue_pubkey(struct ca *ca, EVP_PKEY *pub, const char *subject,
    unsigned days, X509 **out);

/*
 * Revoke an issued serial (2 .. last issued) with a CRL reason code
 * (0..10 except 7).  PKI_E_NOTFOUND for a serial never issued,
 * PKI_E_EXISTS when already revoked.
 */
int ca_revoke(struct ca *ca, uint64_t serial, int reason);

/*
 * Build a signed CRL (v2, SHA-256) listing every revoked serial, with an
 * increasing cRLNumber, AKI, thisUpdate now and nextUpdate now + hours
 * (0: lifetime_crl_hours).
 */
int ca_crl(struct ca *ca, unsigned hours, X509_CRL **out);

/* ------------------------------------------------------------------ */
/* Enrolment requests (manual grant) */

#define CA_REQUEST_ALL 0 /* the id that means "all" in grant/reject */

/*
 * Queue a PKCS#10 request after checking its self-signature.  The DER and
 * its MD5 fingerprint are stored.  transaction_id (SCEP) may be NULL; a
 * request repeating the transaction id and the same CSR returns the
 * existing id (a SCEP retransmission), a different CSR PKI_E_EXISTS.  With
 * grant_auto the request is issued at once; if that fails its error is
 * returned and the request stays queued (pending or granted) for a later
 * ca_request_grant.  *id gets the request id.
 *
 * The issued certificate is kept with its request (whatever the database
 * level) so that SCEP polls can fetch it; ca_request_remove or
 * ca_request_expire drops it.
 */
int ca_request_add(
    struct ca *ca, X509_REQ *req, const char *transaction_id, int64_t *id);
/*
 * The same for a request that a registration authority signed with its
 * own key for a public key it vouches for (a CAPF phone's, whose private
 * key never leaves the phone): req's signature must verify with ra_cert's
 * key, and ra_cert must be a trusted RA (ca_is_trusted_ra), else
 * PKI_E_SIGNATURE / PKI_E_VERIFY.  Otherwise as ca_request_add.
 */
int ca_request_add_vouched(struct ca *ca, X509_REQ *req, X509 *ra_cert,
    const char *transaction_id, int64_t *id);
/*
 * 1 when cert is an RA certificate this CA trusts: issued by this CA
 * (its signature), not revoked, within its dates, with "ioscs RA" as a CN or
 * OU of its subject (IOS's mark of an RA certificate: the RA trustpoint's
 * `subject-name cn=ioscs RA`).
 */
int ca_is_trusted_ra(struct ca *ca, X509 *cert);

struct ca_request {
	int64_t id;
	int state; /* enum store_req_state */
	time_t received;
	char fingerprint[STORE_FP_HEX_LEN + 1]; /* MD5 of the DER CSR */
	char *subject; /* RFC 2253 */
	char *transaction_id; /* NULL for requests without one */
	uint64_t serial; /* 0 until issued */
};
/* All requests of the CA in id order; free with ca_request_list_free. */
int ca_request_list(struct ca *ca, struct ca_request **out, size_t *n);
void ca_request_list_free(struct ca_request *list, size_t n);

/*
 * Grant (sign) pending requests: one id, or CA_REQUEST_ALL for every
 * pending one; *count (may be NULL) gets how many were issued.  A single
 * id not pending gives PKI_E_STATE, an unknown one PKI_E_NOTFOUND.
 */
int ca_request_grant(struct ca *ca, int64_t id, size_t *count);
int ca_request_reject(struct ca *ca, int64_t id, size_t *count);
/* Delete requests from the database (any state). */
int ca_request_remove(struct ca *ca, int64_t id, size_t *count);
/*
 * `lifetime enrollment-request`: delete the pending requests received
 * more than hours ago (before now - hours); *count (may be NULL) gets how
 * many were removed.
 */
int ca_request_expire(struct ca *ca, time_t now, unsigned hours, size_t *count);

/*
 * For SCEP polling: the state of the request with that transaction id
 * (enum store_req_state) and, when issued and cert is not NULL, the
 * certificate.  PKI_E_NOTFOUND for an unknown transaction id.
 */
int ca_request_lookup_by_transaction(
    struct ca *ca, const char *transaction_id, int *state, X509 **cert);

/* ------------------------------------------------------------------ */
/* Status for `show crypto pki server` */

struct ca_info {
	uint64_t last_serial; /* last serial issued (1: only the CA cert) */
	time_t ca_not_before, ca_not_after;
	time_t crl_next_update; /* 0 before the first CRL */
	int grant_auto;
	int database_level;
	size_t pending_requests;
};
int ca_info(struct ca *ca, struct ca_info *out);

/* Walk recorded certificates (database level names or complete). */
int ca_cert_foreach(
    struct ca *ca, int (*cb)(const struct store_cert *, void *), void *arg);

/* ------------------------------------------------------------------ */
/* Helpers for other services */

/*
 * Parse a DN string "CN=a,OU=b,O=c" (attributes in the given order;
 * short names in any case, "\," escapes a comma, blanks around items are
 * trimmed) into a new X509_NAME.  PKI_E_FORMAT when malformed.
 */
int pki_name_parse(const char *text, X509_NAME **out);

/*
 * Verify leaf against trusted certificates (anchors) with optional
 * untrusted intermediates.  check_crl: 0 no revocation check, 1 leaf
 * checked against crls (X509_V_FLAG_CRL_CHECK: a missing CRL fails), 2
 * the whole chain.  On failure returns PKI_E_VERIFY and, when why is not
 * NULL, sets it to OpenSSL's static text for the verify error.
 */
int pki_verify_chain(X509 *leaf, STACK_OF(X509) * untrusted, X509 **trusted,
    int ntrusted, X509_CRL **crls, int ncrls, int check_crl, const char **why);

#endif
