/*
 * The CAPF server of opencmed (formats.md section 5): a TLS listener on
 * capf-server's source-addr and port (3804) with the trustpoint-label
 * credentials; each connection runs one session (capf_session.h) that
 * installs, fetches or deletes a phone's LSC as the ephone's cert-oper
 * (or capf-server's cert-oper ... all) says.  See doc/capf.md.
 */
#ifndef OPENCME_SVC_CAPF_SVC_H
#define OPENCME_SVC_CAPF_SVC_H

struct daemon;

/* `show capf-server certificate [H.H.H]` (before config_cli_init). */
void capf_svc_register_cli(void);

int capf_svc_start(struct daemon *d);
/* A configuration change (config_changed's `what`). */
void capf_svc_changed(struct daemon *d, const char *what);
void capf_svc_stop(struct daemon *d);

/* Listener state for the show command: 1 when listening. */
int capf_svc_listening(char *addr, unsigned long cap, unsigned *port);

#endif
