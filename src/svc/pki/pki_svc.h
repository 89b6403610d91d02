/*
 * The PKI service of opencmed: key pairs (keystore), the IOS-style
 * certificate server with its SCEP endpoint on the HTTP server, and the
 * SCEP client that authenticates and enrolls trustpoints against a CA
 * (ours or another).  Configuration lives in the config tree
 * (config/pki_conf.h); this service acts on it.
 */
#ifndef OPENCME_SVC_PKI_SVC_H
#define OPENCME_SVC_PKI_SVC_H

#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

struct daemon;

/* Add the service's commands to the CLI (before config_cli_init). */
void pki_svc_register_cli(void);

int pki_svc_start(struct daemon *d);
/* A configuration change (config_changed's `what`). */
void pki_svc_changed(struct daemon *d, const char *what);
void pki_svc_stop(struct daemon *d);

/*
 * For other services.  Keys stay here: callers get what a TLS stack or a
 * signer needs, as OpenSSL objects they own.
 */
struct config;
/* A trustpoint's key pair, identity certificate and CA chain. */
int pki_svc_credentials(struct config *cfg, const char *trustpoint,
    EVP_PKEY **key, X509 **cert, STACK_OF(X509) * *chain, const char **why);
/* Verify a peer against the trustpoint's CA with its revocation-check
 * methods (0 = accepted). */
int pki_svc_verify_peer(struct config *cfg, const char *trustpoint, X509 *leaf,
    STACK_OF(X509) * untrusted, const char **why);
/* A TLS server context with the trustpoint's credentials; with
 * client_auth, peers must present a certificate that
 * pki_svc_verify_peer accepts for the same trustpoint. */
SSL_CTX *pki_svc_tls_server_ctx(struct config *cfg, const char *trustpoint,
    int client_auth, const char **why);

/*
 * CAPF (src/svc/capf), implemented in pki_lsc.c so that the CA's key
 * stays inside this service.  pki_svc_issue_lsc gets an LSC for a
 * phone's public key from the certificate server named by ca_trustpoint
 * (the capf-server cert-enroll-trustpoint): subject "CN=<device_name>"
 * followed by the O, OU, L, ST and C of the issuing CA's subject
 * (formats.md 5.10); days 0 = the server's certificate lifetime.
 *  - A local CA signs at once: 0 and *out (the caller owns it).
 *  - A local RA (`mode ra`) asks its issuing CA with a request it signs
 *    itself, carrying password as the challenge password: 1 and
 *    *pending; done(arg, cert, why) is called once later (cert owned by
 *    the callee, NULL on failure) unless pki_svc_lsc_cancel(*pending)
 *    comes first.
 *  - -1 with *why otherwise.
 */
struct pki_lsc_request;
typedef void pki_lsc_done_fn(void *arg, X509 *cert, const char *why);
int pki_svc_issue_lsc(const char *ca_trustpoint, const char *password,
    EVP_PKEY *pub, const char *device_name, unsigned days, X509 **out,
    pki_lsc_done_fn *done, void *arg, struct pki_lsc_request **pending,
    const char **why);
void pki_svc_lsc_cancel(struct pki_lsc_request *r);
/* Revoke an LSC of the local CA (reason superseded) and republish the
 * CRL.  0, or a pki_err code. */
int pki_svc_revoke_lsc(uint64_t serial);
/* The daemon's SQLite store (CAPF device table); NULL when the PKI
 * service is not running.  Borrowed. */
struct store *pki_svc_store(void);

#endif
