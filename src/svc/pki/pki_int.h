/* Internal to the PKI service (src/svc/pki). */
#ifndef OPENCME_SVC_PKI_INT_H
#define OPENCME_SVC_PKI_INT_H

#include <openssl/x509.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "pki/ca.h"
#include "pki/keystore.h"
#include "store/store.h"

#define SCEP_PATH "/cgi-bin/pkiclient.exe"

struct evhttp_request;

struct pki_svc {
	struct daemon *d;
	struct store *store;
	struct keystore *keys;
	struct ca *ca; /* the enabled local certificate server */
	struct pki_ra *ra; /* or the enabled registration authority */
	char *ca_label;
	char *ca_error; /* why the server could not start */
	int scep_routed;
	unsigned long scep_requests;
	unsigned long scep_errors;
};

/* The running service; NULL when opencmed only checks a file. */
extern struct pki_svc *pki_svc;

/* pki_svc.c */
void pki_svc_reconcile(struct pki_svc *s);
struct pki_server *pki_svc_enabled_server(struct config *cfg);
/* Files at the server's database url: LABEL.crl, SERIAL.cer. */
void pki_svc_publish_crl(struct pki_svc *s);
void pki_svc_publish_cert(struct pki_svc *s, X509 *cert);

/* pki_scep.c: the SCEP endpoint (GET/POST SCEP_PATH). */
void pki_scep_http_cb(struct evhttp_request *req, void *arg);

/* pki_ra.c: registration authority mode. */
struct pki_ra;
int pki_ra_open(struct pki_svc *s, const char *label, struct pki_ra **out,
    const char **why);
void pki_ra_free(struct pki_ra *ra);
int pki_ra_operation(struct pki_ra *ra, const uint8_t *der, size_t len,
    int grant_auto, struct buf *out, const char **why);
int pki_ra_getcacert(struct pki_ra *ra, struct buf *out, const char **ctype);
/* Grant (1) or reject (0) request id, or every pending one (id 0). */
int pki_ra_decide(struct pki_ra *ra, int64_t id, int grant, size_t *count);
const char *pki_ra_label(const struct pki_ra *ra);
/* The issuing CA's certificate (borrowed). */
X509 *pki_ra_ca_cert(const struct pki_ra *ra);
/*
 * Ask the issuing CA for a certificate for a public key the RA vouches
 * for (a CAPF phone's): a PKCS#10 with subject, pub and the challenge
 * password, signed with the RA key, queued like a SCEP request (granted
 * at once with grant_auto, else by `crypto pki server LABEL grant`) and
 * forwarded.  done is called once, later, with the certificate (the
 * callee owns that reference) or NULL and why, unless
 * pki_ra_lsc_cancel(*out) is called first.
 */
struct pki_ra_lsc;
int pki_ra_request_lsc(struct pki_ra *ra, EVP_PKEY *pub, X509_NAME *subject,
    const char *challenge, int grant_auto,
    void (*done)(void *arg, X509 *cert, const char *why), void *arg,
    struct pki_ra_lsc **out, const char **why);
void pki_ra_lsc_cancel(struct pki_ra_lsc *w);

/* pki_enroll.c: the SCEP client. */
void pki_fetch_ca_cert(void *arg, const char *url,
    void (*done)(
        void *cbarg, const unsigned char *der, size_t len, const char *err),
    void *cbarg);
extern struct cli_table pki_enroll_cfg;
void pki_enroll_stop_all(void);

/* pki_trust.c */
void pki_trust_local_crl_changed(void);
void pki_trust_free_all(void);

/* pki_cli.c */
extern struct cli_table pki_svc_exec, pki_svc_cfg;

/* IOS-style grouping of hex: groups of 8 digits, 8 groups a line. */
void pki_hex_lines(
    const unsigned char *der, size_t len, const char *indent, struct buf *out);

#endif
