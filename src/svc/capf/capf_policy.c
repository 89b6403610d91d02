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
#include "store/store.h"
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
	out->from_global =
	    oper != CERT_OPER_NONE && e->cert_oper == CERT_OPER_NONE;
	out->auth = capf_auth_type_of(auth);
	out->key_size =
	    cfg->capf.phone_key_size ? cfg->capf.phone_key_size : 1024;
	out->curve = cfg->capf.phone_key_curve;
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
	if (e->cert_oper != CERT_OPER_NONE ||
	    (cfg->capf.cert_oper != CERT_OPER_NONE &&
	        e->capf_global_done != cfg->capf.cert_oper)) {
		char what[64];

		/* The ephone's own operation is cleared from the
		 * configuration, as on IOS; a global one is remembered per
		 * phone (the device table has it too). */
		if (e->cert_oper != CERT_OPER_NONE)
			e->cert_oper = CERT_OPER_NONE;
		else
			e->capf_global_done = cfg->capf.cert_oper;
		snprintf(what, sizeof(what), "capf operation done %s", device);
		config_changed(cfg, what);
	}
	log_info("CAPF %s: %s done", device, capf_op_str(op));
}

/* "upgrade" -> CERT_OPER_UPGRADE (cert_oper_words: enum order). */
static int
cert_oper_of(const char *word)
{
	for (int i = 0; word != NULL && cert_oper_words[i] != NULL; i++)
		if (strcmp(word, cert_oper_words[i]) == 0)
			return i;
	return CERT_OPER_NONE;
}

void
capf_policy_sync_global(struct config *cfg, struct store *st)
{
	int global = cfg->capf.present ? cfg->capf.cert_oper : CERT_OPER_NONE;
	struct ephone *e;

	if (st == NULL)
		return;
	if (global == CERT_OPER_NONE) {
		/* Removed: configuring it again starts it on every phone. */
		(void)store_capf_clear_global_done(st);
		TAILQ_FOREACH (e, &cfg->ephones, entry)
			e->capf_global_done = CERT_OPER_NONE;
		return;
	}
	TAILQ_FOREACH (e, &cfg->ephones, entry) {
		struct store_capf *r = NULL;
		char dev[16], what[64];
		int done = CERT_OPER_NONE;

		if (e->mac[0] == '\0')
			continue;
		snprintf(dev, sizeof(dev), "SEP%s", e->mac);
		if (store_capf_get(st, dev, &r) == 0)
			done = cert_oper_of(r->global_done);
		store_capf_free(r);
		if (done == e->capf_global_done)
			continue;
		e->capf_global_done = done;
		/* The phone's cnf.xml follows what applies now. */
		snprintf(what, sizeof(what), "capf operation done %s", dev);
		config_changed(cfg, what);
	}
}
