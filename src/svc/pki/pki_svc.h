/*
 * The PKI service of opencmed: key pairs (keystore), the IOS-style
 * certificate server with its SCEP endpoint on the HTTP server, and the
 * SCEP client that authenticates and enrolls trustpoints against a CA
 * (ours or another).  Configuration lives in the config tree
 * (config/pki_conf.h); this service acts on it.
 */
#ifndef OPENCME_SVC_PKI_SVC_H
#define OPENCME_SVC_PKI_SVC_H

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

#endif
