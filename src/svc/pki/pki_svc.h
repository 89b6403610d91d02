/*
 * The PKI service of opencmed: key pairs (keystore), the IOS-style
 * certificate server with its SCEP endpoint on the HTTP server, and the
 * SCEP client that authenticates and enrolls trustpoints against a CA
 * (ours or another).  Configuration lives in the config tree
 * (config/pki_conf.h); this service acts on it.
 */
#ifndef OPENCME_SVC_PKI_SVC_H
#define OPENCME_SVC_PKI_SVC_H

struct daemon;

/* Add the service's commands to the CLI (before config_cli_init). */
void pki_svc_register_cli(void);

int pki_svc_start(struct daemon *d);
/* A configuration change (config_changed's `what`). */
void pki_svc_changed(struct daemon *d, const char *what);
void pki_svc_stop(struct daemon *d);

#endif
