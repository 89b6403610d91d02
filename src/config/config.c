#include <stdlib.h>
#include <string.h>

#include "config/modes.h"
#include "lib/log.h"

/*
 * IOS commands that appear in real router configurations but are outside
 * OpenCME's scope.  They are accepted and reported as ignored (with their
 * indented sub-lines); "*" matches any one word.
 */
static const char *const config_ignored[] = {
    "Building",
    "Current",
    "version",
    "service",
    "boot-start-marker",
    "boot-end-marker",
    "boot",
    "card",
    "logging",
    "aaa",
    "resource",
    "clock",
    "network-clock-participate",
    "ip cef",
    "ip route",
    "ip domain",
    "ip domain-name",
    "ip name-server",
    "ip dhcp",
    "ip http authentication",
    "ip http path",
    "ip http max-connections",
    "ip http timeout-policy",
    "ip forward-protocol",
    "ip ssh",
    "ip access-list",
    "ip rsvp",
    "ip multicast-routing",
    "isdn",
    "voice-card",
    "voice call",
    "voice iec",
    "voice statistics",
    "voice rtp",
    "voice translation-rule",
    "voice translation-profile",
    "voice hunt-group",
    "voice-port",
    "controller",
    "interface",
    "gw-accounting",
    "radius-server",
    "control-plane",
    "call",
    "gateway",
    "line",
    "scheduler",
    "ntp",
    "webvpn",
    "snmp-server",
    "access-list",
    "router",
    "enable",
    "license",
    "archive",
    "multilink",
    "vtp",
    "spanning-tree",
    "mgcp",
    "ccm-manager",
    "sccp",
    "stcapp",
    "dspfarm",
    "application",
    "banner",
    "alias",
    "privilege",
    "memory-size",
    "dial-peer voice * pots",
    "dial-peer cor",
    "redundancy",
    "crypto isakmp",
    "crypto ipsec",
    "crypto map",
    "crypto ca",
    "voice-gateway",
    "sip-ua",
    "telephony-service-",
    "ephone-hunt",
    "ephone-type",
    "presence",
    "voice service pots",
    "voice service voatm",
    "dial-peer hunt",
    "dial-peer terminator",
    "num-exp",
    "translation-rule",
    "voice-class",
    "warm-reboot",
    "xsvc",
    "cdp",
    "lldp",
    "vlan",
    "login",
    "wsma",
    "end",
    NULL,
};

/* Room for the tables services register (config_register_table). */
#define EXTRA_TABLES 8

static struct cli_table *exec_tables[8 + EXTRA_TABLES] = {
    &cli_builtin_exec,
    &global_exec,
    &telephony_exec,
    &ephone_exec,
    &voice_exec,
    &pki_exec,
    &security_exec,
    NULL,
};

const struct cli_mode config_mode_exec = {
    .name = "exec",
    .prompt = NULL,
    .tables = exec_tables,
};

/* Running-config order follows IOS's (the chapter's examples). */
static struct cli_table *config_tables[11 + EXTRA_TABLES] = {
    &cli_builtin_config,
    &global_cfg_head,
    &security_cfg,
    &voice_cfg_head,
    &pki_cfg,
    &pki_import_cfg,
    &global_cfg_tail,
    &voice_cfg_dp,
    &telephony_cfg,
    &ephone_cfg,
    NULL,
};

int
config_register_table(int config_mode, struct cli_table *table)
{
	struct cli_table **tables = config_mode ? config_tables : exec_tables;
	size_t cap = config_mode ? sizeof(config_tables) / sizeof(*tables)
	                         : sizeof(exec_tables) / sizeof(*tables);
	size_t n = 0;

	while (tables[n] != NULL)
		n++;
	if (n + 1 >= cap)
		return -1;
	tables[n] = table;
	tables[n + 1] = NULL;
	return 0;
}

const struct cli_mode config_mode_config = {
    .name = "config",
    .prompt = "config",
    .parent = &config_mode_exec,
    .tables = config_tables,
    .ignored = config_ignored,
    .is_config = 1,
};

const struct cli_mode *const config_all_modes[] = {
    &config_mode_exec,
    &config_mode_config,
    &mode_telephony,
    &mode_ephone,
    &mode_ephone_dn,
    &mode_ephone_template,
    &mode_voip,
    &mode_voip_h323,
    &mode_codec_class,
    &mode_dial_peer,
    &mode_vr_global,
    &mode_vr_pool,
    &mode_vr_template,
    &mode_user_profile,
    &mode_logout_profile,
    &mode_pki_server,
    &mode_trustpoint,
    &mode_cert_chain,
    &mode_cert_hex,
    &mode_ctl_client,
    &mode_capf_server,
    &mode_credentials,
    NULL,
};

struct cli_table config_common = {NULL, 0, NULL};

int
config_cli_init(struct buf *err)
{
	static int done, problems;

	if (!done) {
		problems = cli_init(config_all_modes, err);
		done = 1;
	}
	return problems;
}

struct config *
config_new(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	LIST_INIT(&cfg->secrets);
	global_conf_init(cfg);
	telephony_conf_init(cfg);
	ephone_conf_init(cfg);
	voice_conf_init(cfg);
	pki_conf_init(cfg);
	security_conf_init(cfg);
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	ephone_conf_free(cfg);
	telephony_conf_free(cfg);
	voice_conf_free(cfg);
	pki_conf_free(cfg);
	security_conf_free(cfg);
	global_conf_free(cfg);
	secret_free(cfg->master_key);
	free(cfg);
}

const char *
config_hostname(struct config *cfg)
{
	return cfg && cfg->hostname ? cfg->hostname : "Router";
}

int
config_type6_active(const struct config *cfg)
{
	return cfg->master_key != NULL && cfg->password_encryption_aes &&
	    cfg->tel.encrypt_password;
}

struct cli_session *
config_session_new(struct config *cfg)
{
	struct cli_env env = {
	    .cfg = cfg,
	    .hostname = config_hostname,
	    .exec_mode = &config_mode_exec,
	    .config_mode = &config_mode_config,
	};

	return cli_session_new(&env);
}

void
config_write(struct config *cfg, struct buf *out, int all, int for_save)
{
	struct cli_writer w = {cfg, cfg, out, 0, all, for_save};

	cli_write_mode(&w, &config_mode_config, cfg);
	buf_puts(out, "end\n");
}

void
config_changed(struct config *cfg, const char *what)
{
	if (cfg->hooks != NULL && cfg->hooks->changed != NULL)
		cfg->hooks->changed(cfg->hooks->arg, what);
}

void
config_object_deleted(struct config *cfg, void *obj)
{
	if (cfg->hooks != NULL && cfg->hooks->object_deleted != NULL)
		cfg->hooks->object_deleted(cfg->hooks->arg, obj);
}

void
conf_set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

void
conf_write_bang(struct cli_writer *w)
{
	cli_wline(w, "!");
}

void
conf_write_block(struct cli_writer *w, const char *head,
    const struct cli_mode *mode, void *obj)
{
	cli_wline(w, "%s", head);
	w->indent++;
	cli_write_mode(w, mode, obj);
	w->indent--;
	conf_write_bang(w);
}

int
conf_enter_block(struct cli_ctx *ctx, const char *name,
    const struct cli_mode *mode, void *obj, int *present,
    void (*free_fn)(struct config *), void (*init_fn)(struct config *))
{
	if (ctx->is_no) {
		free_fn(ctx->cfg);
		init_fn(ctx->cfg);
		config_changed(ctx->cfg, name);
		return CLI_OK;
	}
	*present = 1;
	ctx->next_mode = mode;
	ctx->next_obj = obj;
	return CLI_OK;
}

static int
ref_check(struct config *cfg, const char *src, struct buf *err,
    const char *what, const char *tp)
{
	if (tp == NULL || trustpoint_find(cfg, tp) != NULL ||
	    pki_server_find(cfg, tp) != NULL)
		return 0;
	buf_printf(err, "%s: %% Warning: %s: trustpoint %s is not configured\n",
	    src, what, tp);
	return 1;
}

int
config_check_refs(struct config *cfg, const char *src, struct buf *err)
{
	int errors = 0;
	struct ctl_server *cs;

	errors += ref_check(cfg, src, err, "telephony-service secure-signaling",
	    cfg->tel.secure_signaling_tp);
	errors += ref_check(cfg, src, err,
	    "telephony-service tftp-server-credentials",
	    cfg->tel.tftp_credentials_tp);
	errors +=
	    ref_check(cfg, src, err, "ctl-client sast1", cfg->ctl.sast1_tp);
	errors +=
	    ref_check(cfg, src, err, "ctl-client sast2", cfg->ctl.sast2_tp);
	TAILQ_FOREACH (cs, &cfg->ctl.servers, entry)
		errors += ref_check(
		    cfg, src, err, "ctl-client server", cs->trustpoint);
	errors += ref_check(cfg, src, err, "capf-server trustpoint-label",
	    cfg->capf.trustpoint_label);
	errors += ref_check(cfg, src, err, "capf-server cert-enroll-trustpoint",
	    cfg->capf.cert_enroll_tp);
	errors += ref_check(cfg, src, err, "credentials trustpoint",
	    cfg->credentials.trustpoint);
	return errors;
}
