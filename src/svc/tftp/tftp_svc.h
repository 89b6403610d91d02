/*
 * The TFTP service of opencmed (UDP 69): read-only, serves only the
 * published view -- files other services publish with tftp_publish()
 * (CTL, ITL, cnf.xml, .sgn) plus the files the configuration names
 * (`tftp-server flash:FILE [alias NAME]`, `load-cfg-file URL alias NAME`).
 * Protocol logic lives in fmt/tftp.c; this is the socket layer: one
 * listener, one ephemeral socket per transfer (RFC 1350), all on the
 * daemon's event loop.
 */
#ifndef OPENCME_SVC_TFTP_SVC_H
#define OPENCME_SVC_TFTP_SVC_H

#include <stddef.h>

struct daemon;

/* Add `show tftp-server [files]` to the CLI (before config_cli_init). */
void tftp_svc_register_cli(void);

int tftp_svc_start(struct daemon *d);
/* A configuration change (config_changed's `what`). */
void tftp_svc_changed(struct daemon *d, const char *what);
void tftp_svc_stop(struct daemon *d);

/*
 * Publish data under name (exact, case-sensitive, 1..255 bytes, no ".."
 * component).  The service keeps its own immutable, reference-counted
 * copy: publishing again replaces the version new transfers get, while
 * transfers in progress finish with the version they started with.
 * A thin wrapper of publish_put() (daemon/publish.h), the view every
 * serving service reads.  0 or -1 (bad name).
 */
int tftp_publish(const char *name, const void *data, size_t len);
/* Withdraw a published name; 0, or -1 when it was not published. */
int tftp_unpublish(const char *name);

#endif
