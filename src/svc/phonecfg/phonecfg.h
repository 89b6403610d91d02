/*
 * Phone authentication files: CTL (CTLFile.tlv, CTLSEP<MAC>.tlv),
 * SEP<MAC>.cnf.xml and .sgn, load-cfg-file; published for the TFTP
 * server through daemon/publish.h.
 */
#ifndef OPENCME_SVC_PHONECFG_H
#define OPENCME_SVC_PHONECFG_H

#include "lib/buf.h"

struct daemon;

int phonecfg_start(struct daemon *d);
void phonecfg_changed(struct daemon *d, const char *what);
void phonecfg_stop(struct daemon *d);

/* Build, sign and publish the CTL (ctl-client regenerate).  Messages for
 * the administrator go to msg.  0 on success. */
int phonecfg_ctl_generate(int force, struct buf *msg);
/* Regenerate every phone's cnf.xml (and .sgn when the TFTP credentials
 * are usable). */
void phonecfg_cnf_generate(void);
int phonecfg_ctl_published(void);
const char *phonecfg_last_error(void);

#endif
