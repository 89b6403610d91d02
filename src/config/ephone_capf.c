/* Which CAPF operation applies to a phone (shared by the phone files and
 * the CAPF server, so both always agree). */
#include "config/config.h"
#include "fmt/capf.h"

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
	    cfg->capf.auth_mode != CAPF_AUTH_NONE &&
	    e->capf_global_done != cfg->capf.cert_oper) {
		*oper = cfg->capf.cert_oper;
		*auth = cfg->capf.auth_mode;
	}
}

int
capf_auth_type_of(int auth)
{
	switch (auth) {
	case CAPF_AUTH_STRING:
		return CAPF_AUTH_TYPE_PASSWORD;
	case CAPF_AUTH_NULL_STRING:
		return CAPF_AUTH_TYPE_NO_PASSWORD;
	case CAPF_AUTH_LSC:
		return CAPF_AUTH_TYPE_LSC;
	case CAPF_AUTH_MIC:
		return CAPF_AUTH_TYPE_MIC;
	default:
		return CAPF_AUTH_TYPE_NONE;
	}
}
