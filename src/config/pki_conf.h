/*
 * PKI configuration: trustpoints, certificate chains stored in the
 * configuration, and certificate servers (crypto pki ...).  This is the
 * configuration side only; keys, enrolment and the CA live in src/pki/.
 */
#ifndef OPENCME_CONFIG_PKI_CONF_H
#define OPENCME_CONFIG_PKI_CONF_H

#include <stddef.h>
#include <sys/queue.h>

#include "lib/buf.h"

enum revocation_method {
	REVOKE_UNSET = -1,
	REVOKE_CRL = 0,
	REVOKE_NONE = 1,
	REVOKE_OCSP = 2,
};
extern const char *const revocation_words[];

/* A certificate of a `crypto pki certificate chain` block. */
struct chain_cert {
	char *serial; /* as written: "1B", "01" */
	int is_ca; /* certificate ca SERIAL */
	int self_signed; /* certificate self-signed SERIAL */
	unsigned char *der;
	size_t der_len;
	TAILQ_ENTRY(chain_cert) entry;
};
TAILQ_HEAD(chain_cert_list, chain_cert);

/*
 * A trustpoint.  Entries are also created by a `crypto pki certificate
 * chain` block naming a trustpoint not declared (yet): such an entry has
 * declared == 0, is invisible to trustpoint_find() and only its chain is
 * written back.
 */
struct trustpoint {
	char *name;
	int declared; /* `crypto pki trustpoint NAME` was given */
	char *enrollment_url;
	int enrollment_terminal;
	int revocation[3]; /* methods in order, REVOKE_UNSET after */
	int serial_number; /* -1 unset, 1 "serial-number", 0 "... none" */
	char *rsakeypair;
	unsigned key_size, enc_key_size;
	char *subject_name;
	int has_chain; /* a certificate chain block exists */
	struct chain_cert_list chain;
	TAILQ_ENTRY(trustpoint) entry;
};
TAILQ_HEAD(trustpoint_list, trustpoint);

enum db_level {
	DB_MINIMAL = 0,
	DB_NAMES = 1,
	DB_COMPLETE = 2,
};

struct pki_server {
	char *label;
	int database_level; /* enum db_level */
	char *database_url;
	unsigned lifetime_cert_days; /* 365 */
	unsigned lifetime_ca_days; /* 1095 */
	unsigned lifetime_crl_hours; /* 168 */
	char *issuer_name;
	int grant_auto;
	int mode_ra;
	int shutdown; /* 1 until `no shutdown` */
	TAILQ_ENTRY(pki_server) entry;
};
TAILQ_HEAD(pki_server_list, pki_server);

/* The chapter's note: a certificate server label has at most 13
 * characters. */
#define PKI_SERVER_LABEL_MAX 13

struct config;
/* A declared trustpoint (not one known only from a chain block). */
struct trustpoint *trustpoint_find(struct config *cfg, const char *name);
struct pki_server *pki_server_find(struct config *cfg, const char *label);
/* The trustpoint NAME, created (declared) when missing, as IOS does for
 * a certificate server's own trustpoint. */
struct trustpoint *trustpoint_declare(struct config *cfg, const char *name);

/*
 * Append the IOS form of a certificate fingerprint to out: the digest of
 * der in upper-case hex, groups of 8 digits separated by one space
 * ("2705402C D4097362 ...", as `show crypto pki certificates` prints).
 * md is "MD5" or "SHA1"; anything else appends nothing.
 */
/* Store a certificate (DER) in a trustpoint's chain, as `certificate
 * [ca] SERIAL` of its `crypto pki certificate chain`; the same serial of
 * the same kind is replaced.  Returns -1 when der is not one X.509
 * certificate. */
int trustpoint_chain_add(struct config *cfg, struct trustpoint *tp,
    const unsigned char *der, size_t len, int is_ca);

void pki_fingerprint_ios(
    const unsigned char *der, size_t len, const char *md, struct buf *out);

#endif
