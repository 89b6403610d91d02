/* Internal to the CAPF service (src/svc/capf). */
#ifndef OPENCME_SVC_CAPF_INT_H
#define OPENCME_SVC_CAPF_INT_H

#include <openssl/x509.h>

#include "svc/capf/capf_session.h"

struct config;

/* capf_policy.c: the configuration's answers for capf_session.c. */
int capf_policy_auth_hint(struct config *cfg);
int capf_policy_lookup(struct config *cfg, const char *device,
    unsigned keygen_timeout_ms, struct capf_sess_policy *out);
int capf_policy_check_password(
    struct config *cfg, const char *device, const char *pw);
int capf_policy_verify(
    struct config *cfg, int mode, X509 *cert, const char **why);
void capf_policy_done(struct config *cfg, const char *device, int op, int auth);
/* Load each ephone's completed global operation (capf_global_done) from
 * the device table; forget them all when no `cert-oper ... all` is
 * configured.  Phones whose operation changes get their cnf.xml rebuilt. */
struct store;
void capf_policy_sync_global(struct config *cfg, struct store *st);

/* capf_svc.c: for the show command. */
unsigned capf_svc_active(void);

#endif
