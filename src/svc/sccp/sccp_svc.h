/*
 * The SCCP service of opencmed: phones register over TCP (telephony-
 * service `ip source-address A port P`, 2000) or TLS (the same address,
 * `secure-signaling port`, 2443) with mutual authentication: the server
 * presents the `secure-signaling trustpoint` credentials, the phone an
 * LSC of the capf-server cert-enroll-trustpoint CA or a MIC under an
 * imported (enrollment terminal) trustpoint.  See doc/sccp.md.
 */
#ifndef OPENCME_SVC_SCCP_SVC_H
#define OPENCME_SVC_SCCP_SVC_H

struct daemon;

/* `show sccp connections` and the live `show ephone` (before
 * config_cli_init). */
void sccp_svc_register_cli(void);

int sccp_svc_start(struct daemon *d);
/* A configuration change (config_changed's `what`). */
void sccp_svc_changed(struct daemon *d, const char *what);
void sccp_svc_stop(struct daemon *d);

#endif
