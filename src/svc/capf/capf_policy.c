/*
 * The configuration side of a CAPF session (capf_int.h): which ephone a
 * device name is, what operation and authentication apply to it
 * (ephone_capf_effective: ephone cert-oper over capf-server's), its
 * authentication string, certificate trust through the PKI service and
 * clearing a completed operation.  Kept apart from capf_session.c,
 * which is pure protocol logic and sees no configuration tree.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "lib/log.h"
#include "svc/capf/capf_int.h"
#include "svc/pki/pki_svc.h"

static int
sess_op(int oper)
{
	switch (oper) {
	case CERT_OPER_UPGRADE:
		return CAPF_OP_UPGRADE;
	case CERT_OPER_FETCH:
		return CAPF_OP_FETCH;
	case CERT_OPER_DELETE:
		return CAPF_OP_DELETE;
	default:
		return CAPF_OP_NONE;
	}
}

int
capf_policy_auth_hint(struct config *cfg)
{
	return cfg->capf.present ? capf_auth_type_of(cfg->capf.auth_mode) : 0;
}

int
capf_policy_lookup(struct config *cfg, const char *device,
    unsigned keygen_timeout_ms, struct capf_sess_policy *out)
{
	struct ephone *e = ephone_find_mac(cfg, device + 3);
	int oper, auth;

	if (e == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	ephone_capf_effective(cfg, e, &oper, &auth);
	out->oper = sess_op(oper);
	out->auth = capf_auth_type_of(auth);
	out->key_size =
	    cfg->capf.phone_key_size ? cfg->capf.phone_key_size : 1024;
	out->keygen_retry = cfg->capf.keygen_retry;
	out->keygen_timeout_ms = keygen_timeout_ms;
	if (cfg->capf.cert_enroll_tp != NULL)
		snprintf(out->ca_tp, sizeof(out->ca_tp), "%s",
		    cfg->capf.cert_enroll_tp);
	return 0;
}

int
capf_policy_check_password(
    struct config *cfg, const char *device, const char *pw)
{
	struct ephone *e = ephone_find_mac(cfg, device + 3);
	size_t n;

	if (e == NULL || e->capf_auth_str == NULL || pw == NULL)
		return -1;
	n = strlen(e->capf_auth_str);
	if (strlen(pw) != n || CRYPTO_memcmp(pw, e->capf_auth_str, n) != 0)
		return -1;
	return 0;
}

int
capf_policy_verify(struct config *cfg, int mode, X509 *cert, const char **why)
{
	struct trustpoint *tp;
	int tried = 0;

	*why = "no trustpoint to verify the certificate";
	if (mode == 3) {
		/* LSC: issued by our CA, the cert-enroll-trustpoint. */
		if (cfg->capf.cert_enroll_tp == NULL)
			return -1;
		return pki_svc_verify_peer(
		           cfg, cfg->capf.cert_enroll_tp, cert, NULL, why) == 0
		    ? 0
		    : -1;
	}
	/* MIC: any trustpoint holding an imported (terminal) CA. */
	TAILQ_FOREACH (tp, &cfg->trustpoints, entry) {
		if (!tp->declared || !tp->enrollment_terminal)
			continue;
		tried++;
		if (pki_svc_verify_peer(cfg, tp->name, cert, NULL, why) == 0)
			return 0;
	}
	if (tried == 0)
		*why = "no trustpoint with an imported MIC root (enrollment "
		       "terminal)";
	return -1;
}

void
capf_policy_done(struct config *cfg, const char *device, int op, int auth)
{
	struct ephone *e = ephone_find_mac(cfg, device + 3);

	if (e == NULL)
		return;
	if (auth == 1 && e->capf_auth_str != NULL) {
		secret_free(e->capf_auth_str);
		e->capf_auth_str = NULL;
		config_changed(cfg, "capf auth-string used");
	}
	if (e->cert_oper != CERT_OPER_NONE) {
		char what[64];

		e->cert_oper = CERT_OPER_NONE;
		snprintf(what, sizeof(what), "capf operation done %s", device);
		config_changed(cfg, what);
	}
	log_info("CAPF %s: %s done", device, capf_op_str(op));
}
