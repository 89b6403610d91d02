/*
 * SEP<MAC>.cnf.xml: the per-phone configuration file with the security
 * elements of formats.md §7, written with libxml2.
 */
#ifndef OPENCME_SVC_PHONECFG_CNFXML_H
#define OPENCME_SVC_PHONECFG_CNFXML_H

#include "config/config.h"

/* formats.md §7: 1 non-secure, 2 authenticated, 3 encrypted. */
int cnfxml_security_mode(int dsm);

/* The file's text (UTF-8 XML, ends with a newline).  0 or -1. */
int cnfxml_build(struct config *cfg, const struct ephone *e, struct buf *out);

#endif
