/* Which CAPF operation applies to a phone (shared by the phone files and
 * the CAPF server, so both always agree). */
#include "config/config.h"

void
ephone_capf_effective(
    struct config *cfg, const struct ephone *e, int *oper, int *auth)
{
	*oper = CERT_OPER_NONE;
	*auth = CAPF_AUTH_NONE;
	if (e->cert_oper != CERT_OPER_NONE) {
		*oper = e->cert_oper;
		*auth = e->cert_oper_auth;
	} else if (cfg->capf.present && cfg->capf.cert_oper != CERT_OPER_NONE &&
	    cfg->capf.auth_mode != CAPF_AUTH_NONE) {
		*oper = cfg->capf.cert_oper;
		*auth = cfg->capf.auth_mode;
	}
}
