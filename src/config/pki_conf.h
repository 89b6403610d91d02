/*
 * PKI configuration: trustpoints, certificate chains stored in the
 * configuration, and certificate servers (crypto pki ...).  This is the
 * configuration side only; keys, enrolment and the CA live in src/pki/.
 */
#ifndef OPENCME_CONFIG_PKI_CONF_H
#define OPENCME_CONFIG_PKI_CONF_H

#include <stddef.h>
#include <sys/queue.h>

enum revocation_method {
	REVOKE_UNSET = -1,
	REVOKE_CRL = 0,
	REVOKE_NONE = 1,
	REVOKE_OCSP = 2,
};
extern const char *const revocation_words[];

/* A certificate of a `crypto pki certificate chain` block. */
struct chain_cert {
	char *serial;		/* as written: "1B", "01" */
	int is_ca;
	unsigned char *der;
	size_t der_len;
	TAILQ_ENTRY(chain_cert) entry;
};
TAILQ_HEAD(chain_cert_list, chain_cert);

struct trustpoint {
	char *name;
	char *enrollment_url;
	int enrollment_terminal;
	int revocation[3];	/* methods in order, REVOKE_UNSET after */
	int serial_number;	/* -1 unset, 1 "serial-number", 0 "... none" */
	char *rsakeypair;
	unsigned key_size, enc_key_size;
	char *subject_name;
	int has_chain;		/* a certificate chain block exists */
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
	int database_level;	/* enum db_level */
	char *database_url;
	unsigned lifetime_cert_days;	/* 365 */
	unsigned lifetime_ca_days;	/* 1095 */
	unsigned lifetime_crl_hours;	/* 168 */
	char *issuer_name;
	int grant_auto;
	int mode_ra;
	int shutdown;		/* 1 until `no shutdown` */
	TAILQ_ENTRY(pki_server) entry;
};
TAILQ_HEAD(pki_server_list, pki_server);

struct config;
struct trustpoint *trustpoint_find(struct config *cfg, const char *name);
struct pki_server *pki_server_find(struct config *cfg, const char *label);

#endif
