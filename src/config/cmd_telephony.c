/*
 * telephony-service: CME-wide security parameters (chapter "Configure
 * Telephony-Service Security Parameters") and the other settings the
 * secure system needs, with their running-config writers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/modes.h"

const char *const dsm_words[] = {"authenticated", "none", "encrypted", NULL};
static const char *const ssm_words[] = {"non-secure", "secure", NULL};
static const char *const xfer_words[] = {
    "blind", "full-blind", "full-consult", "local-consult", NULL};

#define TEL struct telephony_conf

void
telephony_conf_init(struct config *cfg)
{
	struct telephony_conf *t = &cfg->tel;

	memset(t, 0, sizeof(*t));
	t->device_security_mode = DSM_NONE;
	t->server_security_mode = SSM_UNSET;
	t->ip_source_port = 2000;
	t->secure_port = 2443;
	t->keepalive_s = 30;
	t->encrypt_password = 1;
	t->auto_reg_ephone = 1;
	t->max_conferences = 8;
	t->conference_gain = -6;
	t->transfer_system = XFER_DEFAULT;
	TAILQ_INIT(&t->load_cfg_files);
	TAILQ_INIT(&t->transfer_patterns);
	TAILQ_INIT(&t->ssh_users);
	TAILQ_INIT(&t->directory_auth);
	TAILQ_INIT(&t->xml_users);
	TAILQ_INIT(&t->standby_users);
	TAILQ_INIT(&t->url_auth);
	TAILQ_INIT(&t->auth_creds);
	secret_init(cfg, &t->web_admin_pw, SECRET_01);
}

static void
cred_list_free(struct user_cred_list *l)
{
	struct user_cred *c;

	while ((c = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, c, entry);
		free(c->user);
		free(c->extra);
		secret_release(&c->pw);
		free(c);
	}
}

void
telephony_conf_free(struct config *cfg)
{
	struct telephony_conf *t = &cfg->tel;
	struct load_cfg_file *l;
	struct str_item *s;

	while ((l = TAILQ_FIRST(&t->load_cfg_files)) != NULL) {
		TAILQ_REMOVE(&t->load_cfg_files, l, entry);
		free(l->url);
		free(l->alias);
		free(l);
	}
	while ((s = TAILQ_FIRST(&t->transfer_patterns)) != NULL) {
		TAILQ_REMOVE(&t->transfer_patterns, s, entry);
		free(s->s);
		free(s);
	}
	cred_list_free(&t->ssh_users);
	cred_list_free(&t->directory_auth);
	cred_list_free(&t->xml_users);
	cred_list_free(&t->standby_users);
	cred_list_free(&t->url_auth);
	cred_list_free(&t->auth_creds);
	secret_release(&t->web_admin_pw);
	free(t->secure_signaling_tp);
	free(t->tftp_credentials_tp);
	free(t->cnf_file_location);
	free(t->ip_source_addr);
	free(t->ip_source_secondary);
	free(t->voicemail);
	free(t->moh);
	free(t->version_stamp);
	free(t->web_admin_name);
}

/* ---- entering the mode ---- */

static int
telephony_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	return conf_enter_block(ctx, "telephony-service", &mode_telephony,
	    &ctx->cfg->tel, &ctx->cfg->tel.present, telephony_conf_free,
	    telephony_conf_init);
}

static void
telephony_write(struct cli_writer *w)
{
	if (!w->cfg->tel.present)
		return;
	conf_write_block(w, "telephony-service", &mode_telephony, &w->cfg->tel);
}

static void
telephony_leave(struct cli_ctx *ctx)
{
	config_changed(ctx->cfg, "telephony-service");
}

/* ---- trustpoint references ---- */

static int
set_tp_ref(struct cli_ctx *ctx, char **field, const char *tp)
{
	if (!ctx->is_no && !ctx->is_loading &&
	    trustpoint_find(ctx->cfg, tp) == NULL &&
	    pki_server_find(ctx->cfg, tp) == NULL) {
		cli_out(ctx, "%% Trustpoint %s is not configured", tp);
		return CLI_ERR;
	}
	conf_set_str(field, ctx->is_no ? NULL : tp);
	config_changed(ctx->cfg, "telephony-service trustpoint");
	return CLI_OK;
}

static int
secure_signaling_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;

	return set_tp_ref(ctx, &t->secure_signaling_tp, cli_arg(args, "tp"));
}

static void
secure_signaling_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;

	if (t->secure_signaling_tp != NULL)
		cli_wline(w, "secure-signaling trustpoint %s",
		    t->secure_signaling_tp);
}

/* secure-signaling null-cipher (extension): the TLS listener follows at
 * once (a new context for new connections). */
static int
null_cipher_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;

	(void)args;
	t->secure_null_cipher = !ctx->is_no;
	config_changed(ctx->cfg, "telephony-service secure-signaling");
	return CLI_OK;
}

static void
null_cipher_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;

	if (t->secure_null_cipher)
		cli_wline(w, "secure-signaling null-cipher");
}

static int
tftp_credentials_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;

	return set_tp_ref(ctx, &t->tftp_credentials_tp, cli_arg(args, "tp"));
}

static void
tftp_credentials_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;

	if (t->tftp_credentials_tp != NULL)
		cli_wline(w, "tftp-server-credentials trustpoint %s",
		    t->tftp_credentials_tp);
}

/* ---- server-security-mode ---- */

static int
ssm_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;
	const char *mode = cli_arg(args, "mode");

	if (ctx->is_no) {
		t->server_security_mode = SSM_UNSET;
	} else if (strcasecmp(mode, "erase") == 0) {
		/* An action: the CTL files go; the mode goes back to unset. */
		t->server_security_mode = SSM_UNSET;
		config_changed(ctx->cfg, "server-security-mode erase");
		return CLI_OK;
	} else {
		t->server_security_mode = strcasecmp(mode, "secure") == 0
		    ? SSM_SECURE
		    : SSM_NON_SECURE;
	}
	config_changed(ctx->cfg, "server-security-mode");
	return CLI_OK;
}

static void
ssm_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;

	if (t->server_security_mode != SSM_UNSET)
		cli_wline(w, "server-security-mode %s",
		    ssm_words[t->server_security_mode]);
}

/* ---- load-cfg-file ---- */

static int
load_cfg_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;
	const char *url = cli_arg(args, "url");
	const char *alias = cli_arg(args, "alias");
	struct load_cfg_file *l;

	TAILQ_FOREACH (l, &t->load_cfg_files, entry)
		if (strcmp(l->alias, alias) == 0)
			break;
	if (ctx->is_no) {
		if (l == NULL) {
			cli_out(
			    ctx, "%% No load-cfg-file with alias %s", alias);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&t->load_cfg_files, l, entry);
		free(l->url);
		free(l->alias);
		free(l);
		config_changed(ctx->cfg, "load-cfg-file");
		return CLI_OK;
	}
	if (cli_has(args, "create") && !cli_has(args, "sign")) {
		cli_out(ctx,
		    "%% \"create\" needs \"sign\": it creates the "
		    "signed file");
		return CLI_ERR;
	}
	if (l == NULL) {
		l = xcalloc(1, sizeof(*l));
		l->alias = xstrdup(alias);
		TAILQ_INSERT_TAIL(&t->load_cfg_files, l, entry);
	}
	conf_set_str(&l->url, url);
	l->sign = cli_has(args, "sign");
	/* "create" is an action: it is not kept in the running-config. */
	config_changed(ctx->cfg,
	    cli_has(args, "create") ? "load-cfg-file create" : "load-cfg-file");
	return CLI_OK;
}

static void
load_cfg_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;
	const struct load_cfg_file *l;

	TAILQ_FOREACH (l, &t->load_cfg_files, entry)
		cli_wline(w, "load-cfg-file %s alias %s%s", l->url, l->alias,
		    l->sign ? " sign" : "");
}

/* ---- ip source-address ---- */

static int
ip_source_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;

	if (ctx->is_no) {
		conf_set_str(&t->ip_source_addr, NULL);
		conf_set_str(&t->ip_source_secondary, NULL);
		t->ip_source_port = 2000;
	} else {
		conf_set_str(&t->ip_source_addr, cli_arg(args, "addr"));
		t->ip_source_port = (unsigned)cli_arg_ulong(args, "port", 2000);
		conf_set_str(&t->ip_source_secondary, cli_arg(args, "sec"));
	}
	config_changed(ctx->cfg, "ip source-address");
	return CLI_OK;
}

static void
ip_source_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;
	struct buf line = BUF_INIT;

	if (t->ip_source_addr == NULL)
		return;
	buf_printf(&line, "ip source-address %s port %u", t->ip_source_addr,
	    t->ip_source_port);
	if (t->ip_source_secondary != NULL)
		buf_printf(&line, " secondary %s", t->ip_source_secondary);
	cli_wline(w, "%s", buf_str(&line));
	buf_free(&line);
}

/* ---- auto assign, max-conferences, transfer-pattern ---- */

static int
auto_assign_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;
	unsigned first = (unsigned)cli_arg_ulong(args, "first", 0);
	unsigned last = (unsigned)cli_arg_ulong(args, "last", 0);

	if (ctx->is_no) {
		t->auto_assign_first = t->auto_assign_last = 0;
		return CLI_OK;
	}
	if (last < first) {
		cli_out(ctx, "%% auto assign: %u is below %u", last, first);
		return CLI_ERR;
	}
	t->auto_assign_first = first;
	t->auto_assign_last = last;
	return CLI_OK;
}

static void
auto_assign_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;

	if (t->auto_assign_first)
		cli_wline(w, "auto assign %u to %u", t->auto_assign_first,
		    t->auto_assign_last);
}

static int
max_conf_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;

	if (ctx->is_no) {
		t->max_conferences = 8;
		t->conference_gain = -6;
		return CLI_OK;
	}
	t->max_conferences = (unsigned)cli_arg_ulong(args, "n", 8);
	t->conference_gain =
	    cli_has(args, "gain") ? atoi(cli_arg(args, "db")) : -6;
	return CLI_OK;
}

static void
max_conf_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;

	if (t->max_conferences != 8 || t->conference_gain != -6 || w->all)
		cli_wline(w, "max-conferences %u gain %d", t->max_conferences,
		    t->conference_gain);
}

static int
transfer_pattern_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;
	const char *pat = cli_arg(args, "pattern");
	struct str_item *it;

	TAILQ_FOREACH (it, &t->transfer_patterns, entry)
		if (strcmp(it->s, pat) == 0)
			break;
	if (ctx->is_no) {
		if (it == NULL) {
			cli_out(ctx, "%% No transfer-pattern %s", pat);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&t->transfer_patterns, it, entry);
		free(it->s);
		free(it);
		return CLI_OK;
	}
	for (const char *p = pat; *p; p++)
		if (!strchr("0123456789.*#T+", *p)) {
			cli_out(ctx, "%% Invalid transfer-pattern %s", pat);
			return CLI_ERR;
		}
	if (it == NULL) {
		it = xcalloc(1, sizeof(*it));
		it->s = xstrdup(pat);
		TAILQ_INSERT_TAIL(&t->transfer_patterns, it, entry);
	}
	return CLI_OK;
}

static void
transfer_pattern_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;
	const struct str_item *it;

	TAILQ_FOREACH (it, &t->transfer_patterns, entry)
		cli_wline(w, "transfer-pattern %s", it->s);
}

/* ---- create cnf-files ---- */

static int
create_cnf_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;

	if (ctx->is_no) {
		conf_set_str(&t->version_stamp, NULL);
		return CLI_OK;
	}
	if (cli_has(args, "version-stamp")) {
		/* How IOS records the last generation in its config. */
		conf_set_str(&t->version_stamp, cli_arg(args, "stamp"));
		return CLI_OK;
	}
	config_changed(ctx->cfg, "create cnf-files");
	return CLI_OK;
}

static void
create_cnf_write(struct cli_writer *w)
{
	const struct telephony_conf *t = w->obj;

	if (t->version_stamp != NULL)
		cli_wline(
		    w, "create cnf-files version-stamp %s", t->version_stamp);
}

/* ---- password-bearing commands ---- */

static struct user_cred *
cred_find(struct user_cred_list *l, const char *user, const char *extra)
{
	struct user_cred *c;

	TAILQ_FOREACH (c, l, entry)
		if (strcmp(c->user, user) == 0 &&
		    (extra == NULL ||
		        (c->extra && strcmp(c->extra, extra) == 0)))
			return c;
	return NULL;
}

/* Which list a row fills: chosen by the row's first keyword. */
static struct user_cred_list *
cred_list_for(struct telephony_conf *t, const struct cli_args *args)
{
	if (cli_has(args, "ssh"))
		return &t->ssh_users;
	if (cli_has(args, "local-directory"))
		return &t->directory_auth;
	if (cli_has(args, "xml"))
		return &t->xml_users;
	if (cli_has(args, "standby"))
		return &t->standby_users;
	if (cli_has(args, "url"))
		return &t->url_auth;
	return &t->auth_creds;
}

static int
cred_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;
	struct user_cred_list *l = cred_list_for(t, args);
	const char *user = cli_arg(args, "user");
	const char *extra = cli_arg(args, "url");
	struct user_cred *c = cred_find(l, user, extra);
	struct secret tmp;

	if (ctx->is_no) {
		if (c == NULL) {
			cli_out(ctx, "%% %s is not configured", user);
			return CLI_ERR;
		}
		TAILQ_REMOVE(l, c, entry);
		free(c->user);
		free(c->extra);
		secret_release(&c->pw);
		free(c);
		return CLI_OK;
	}
	/* Validate into a temporary so a rejected password changes nothing. */
	secret_init(ctx->cfg, &tmp, SECRET_06);
	if (secret_set(ctx, &tmp, cli_arg(args, "type"), cli_arg(args, "pw"),
	        POLICY_CME) != CLI_OK) {
		secret_release(&tmp);
		return CLI_ERR;
	}
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->user = xstrdup(user);
		c->extra = extra ? xstrdup(extra) : NULL;
		secret_init(ctx->cfg, &c->pw, SECRET_06);
		TAILQ_INSERT_TAIL(l, c, entry);
	}
	c->privilege = (unsigned)cli_arg_ulong(args, "priv", 0);
	secret_release(&c->pw);
	secret_init(ctx->cfg, &c->pw, SECRET_06);
	c->pw.plain = tmp.plain;
	c->pw.enc = tmp.enc;
	c->pw.show_type = tmp.show_type;
	tmp.plain = tmp.enc = NULL;
	secret_release(&tmp);
	return CLI_OK;
}

static void
cred_write_list(struct cli_writer *w, struct user_cred_list *l,
    const char *fmt_head, int kind)
{
	struct user_cred *c;

	TAILQ_FOREACH (c, l, entry) {
		struct buf line = BUF_INIT;

		switch (kind) {
		case 0: /* "<head> USER password PW" */
			buf_printf(&line, "%s %s password ", fmt_head, c->user);
			break;
		case 1: /* "<head> USER PW" */
			buf_printf(&line, "%s %s ", fmt_head, c->user);
			break;
		case 2: /* url authentication URL APP password PW */
			buf_printf(&line, "%s %s %s password ", fmt_head,
			    c->extra, c->user);
			break;
		}
		secret_format(w->cfg, &c->pw, &line);
		if (l == &w->cfg->tel.xml_users)
			buf_printf(&line, " %u", c->privilege);
		cli_wline(w, "%s", buf_str(&line));
		buf_wipe(&line);
	}
}

static void
cred_write(struct cli_writer *w)
{
	struct telephony_conf *t = w->obj;

	cred_write_list(w, &t->ssh_users, "ssh userid", 0);
	cred_write_list(
	    w, &t->directory_auth, "service local-directory authenticate", 1);
	cred_write_list(w, &t->xml_users, "xml user", 0);
	cred_write_list(w, &t->standby_users, "standby user", 0);
	cred_write_list(w, &t->url_auth, "url authentication", 2);
	cred_write_list(w, &t->auth_creds, "authentication credential", 0);
}

static int
web_admin_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct telephony_conf *t = ctx->obj;

	if (ctx->is_no) {
		conf_set_str(&t->web_admin_name, NULL);
		secret_release(&t->web_admin_pw);
		secret_init(ctx->cfg, &t->web_admin_pw, SECRET_01);
		return CLI_OK;
	}
	if (secret_set(ctx, &t->web_admin_pw, "0", cli_arg(args, "pw"),
	        POLICY_NONE) != CLI_OK)
		return CLI_ERR;
	conf_set_str(&t->web_admin_name, cli_arg(args, "name"));
	return CLI_OK;
}

static void
web_admin_write(struct cli_writer *w)
{
	struct telephony_conf *t = w->obj;

	if (t->web_admin_name != NULL && t->web_admin_pw.plain != NULL)
		cli_wline(w, "web admin system name %s password %s",
		    t->web_admin_name, t->web_admin_pw.plain);
}

/* ---- show telephony-service security-info ---- */

static const char *
dsm_title(int dsm)
{
	switch (dsm) {
	case DSM_AUTHENTICATED:
		return "Authenticated";
	case DSM_ENCRYPTED:
		return "Encrypted";
	default:
		return "None";
	}
}

static int
show_security_info(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct telephony_conf *t = &ctx->cfg->tel;

	(void)args;
	cli_out(ctx, "Skinny Server Trustpoint for TLS: %s",
	    t->secure_signaling_tp ? t->secure_signaling_tp : "");
	cli_out(ctx, "TFTP Credentials Trustpoint: %s",
	    t->tftp_credentials_tp ? t->tftp_credentials_tp : "");
	cli_out(ctx, "Server Security Mode: %s",
	    t->server_security_mode == SSM_SECURE ? "Secure" : "Non-Secure");
	cli_out(ctx, "Global Device Security Mode: %s",
	    dsm_title(t->device_security_mode));
	return CLI_OK;
}

#define DEPRECATED_WHY(cmd)                                                    \
	"\"" cmd "\" is deprecated for security reasons (Unified CME 12.6) "   \
	"and is not supported"

#define PW_HELP                                                                \
	"Specifies an UNENCRYPTED password will follow",                       \
	    "Specifies an ENCRYPTED (type 6) password will follow",            \
	    "The password"

static const struct cli_cmd telephony_cmds[] = {
    {.syntax = "secure-signaling trustpoint NAME$tp",
        .help = HELP("Secure signaling (SCCP over TLS)",
            "Trustpoint for TLS with phones on port 2443", "Trustpoint label"),
        .handler = secure_signaling_run,
        .write = secure_signaling_write,
        .flags = CLI_NO},
    CLI_UINT("secure-signaling port", "(1-65535)",
        HELP("Secure signaling (SCCP over TLS)",
            "TLS port for SCCP (extension; default 2443)", "Port number"),
        TEL, secure_port, 2443),
    {.syntax = "secure-signaling null-cipher",
        .help = HELP("Secure signaling (SCCP over TLS)",
            "Also accept TLS 1.2 NULL-encryption suites (integrity only) "
            "for authenticated-mode phones that need them (extension)"),
        .handler = null_cipher_run,
        .write = null_cipher_write,
        .flags = CLI_NO},
    {.syntax = "tftp-server-credentials trustpoint NAME$tp",
        .help = HELP("TFTP server credentials for signing files",
            "Trustpoint whose key signs configuration files",
            "Trustpoint label"),
        .handler = tftp_credentials_run,
        .write = tftp_credentials_write,
        .flags = CLI_NO},
    CLI_ENUM("device-security-mode", "authenticated|none|encrypted", dsm_words,
        HELP("Security mode for phones",
            "TLS signaling without encryption, no SRTP",
            "SCCP signaling is not secure (default)",
            "Encrypted TLS signaling and SRTP media"),
        TEL, device_security_mode, DSM_NONE),
    {.syntax = "server-security-mode <erase|non-secure|secure>$mode",
        .help = HELP("Security mode of the server", "Delete the CTL files",
            "Non-secure mode", "Secure mode"),
        .handler = ssm_run,
        .write = ssm_write,
        .flags = CLI_NO},
    CLI_BOOL("cnf-file perphone",
        HELP("Phone configuration file options",
            "A separate XML configuration file for each phone"),
        TEL, cnf_file_perphone),
    CLI_STR("cnf-file location", "URL",
        HELP("Phone configuration file options",
            "Where configuration files are stored",
            "flash:, slot0: or system:"),
        TEL, cnf_file_location),
    {.syntax = "load-cfg-file URL$url alias WORD$alias [sign] [create]",
        .help = HELP("Host a configuration file on the TFTP server",
            "File to host (flash:FILE, slot0:FILE)", "Name it is served as",
            "Served file name", "Also host a signed version (ALIAS.sgn)",
            "Create the signed file now (not kept in the configuration)"),
        .handler = load_cfg_run,
        .write = load_cfg_write,
        .flags = CLI_NO,
        .no_words = 4},
    {.syntax = "ip source-address A.B.C.D$addr [port (2000-9999)$port] "
               "[secondary A.B.C.D$sec]",
        .help = HELP("IP settings", "Address phones register to",
            "IPv4 address", "SCCP TCP port", "Port number (default 2000)",
            "Secondary CME router", "IPv4 address"),
        .handler = ip_source_run,
        .write = ip_source_write,
        .flags = CLI_NO,
        .no_words = 2},
    CLI_BOOL("service https",
        HELP("Phone services", "Use HTTPS for phone services"), TEL,
        service_https),
    CLI_NBOOL("encrypt password",
        HELP("Password storage",
            "Store passwords as type 6 when a master key is set"),
        TEL, encrypt_password),
    CLI_UINT("keepalive", "(10-65535)",
        HELP("Keepalive interval for SCCP phones",
            "Seconds between a phone's keepalives (default 30)"),
        TEL, keepalive_s, 30),
    CLI_UINT("max-ephones", "(0-10000)",
        HELP("Maximum number of phones", "Number of phones"), TEL, max_ephones,
        0),
    CLI_UINT("max-dn", "(0-15000)",
        HELP("Maximum number of directory numbers", "Number of DNs"), TEL,
        max_dn, 0),
    CLI_NBOOL("auto-reg-ephone",
        HELP("Register phones not configured with an ephone"), TEL,
        auto_reg_ephone),
    {.syntax = "auto assign (1-15000)$first to (1-15000)$last",
        .help = HELP("Assign directory numbers to new phones",
            "Assign ephone-dn tags", "First tag", "Range", "Last tag"),
        .handler = auto_assign_run,
        .write = auto_assign_write,
        .flags = CLI_NO},
    {.syntax = "max-conferences (1-32)$n [gain <-6|0|3|6>$db]",
        .help = HELP("Maximum three-party conferences", "Number of conferences",
            "Gain of conference parties", "-6 dB", "0 dB", "3 dB", "6 dB"),
        .handler = max_conf_run,
        .write = max_conf_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "transfer-pattern WORD$pattern",
        .help = HELP("Numbers calls may be transferred to",
            "Digit pattern ('.' matches a digit)"),
        .handler = transfer_pattern_run,
        .write = transfer_pattern_write,
        .flags = CLI_NO},
    CLI_ENUM("transfer-system", "blind|full-blind|full-consult|local-consult",
        xfer_words,
        HELP("Call transfer method", "Blind transfer (H.450.2 off)",
            "Blind transfer", "Consultative transfer",
            "Local consultative transfer"),
        TEL, transfer_system, XFER_DEFAULT),
    CLI_STR("voicemail", "WORD",
        HELP("Voicemail number (calls to it are not secure)", "Number"), TEL,
        voicemail),
    CLI_STR("moh", "WORD",
        HELP("Music on hold file (not secure; else tone on hold)",
            "File: Sun .au mu-law 8 kHz mono, or raw mu-law (flash:FILE)"),
        TEL, moh),
    {.syntax = "create cnf-files [version-stamp LINE$stamp]",
        .help = HELP("Create phone configuration files", "Configuration files",
            "Version stamp as IOS records it", "Stamp text"),
        .handler = create_cnf_run,
        .write = create_cnf_write,
        .flags = CLI_NO,
        .no_words = 2},
    {.syntax = "ssh userid WORD$user password [<0|6>$type] WORD$pw",
        .help = HELP("SSH settings", "SSH user", "User name",
            "Password of the user", PW_HELP),
        .handler = cred_run,
        .write = cred_write,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 3},
    {.syntax = "service local-directory authenticate WORD$user "
               "[<0|6>$type] WORD$pw",
        .help = HELP("Phone services", "Local directory service",
            "Authenticate directory requests", "User name", PW_HELP),
        .handler = cred_run,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 4},
    {.syntax = "xml user WORD$user password [<0|6>$type] WORD$pw "
               "(1-15)$priv",
        .help = HELP("XML interface", "XML interface user", "User name",
            "Password of the user", PW_HELP, "Privilege level"),
        .handler = cred_run,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 3},
    {.syntax = "standby user WORD$user password [<0|6>$type] WORD$pw",
        .help = HELP("Standby (secondary CME) settings", "Standby user",
            "User name", "Password of the user", PW_HELP),
        .handler = cred_run,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 3},
    {.syntax = "url authentication WORD$url WORD$user password "
               "[<0|6>$type] WORD$pw",
        .help = HELP("Phone service URLs",
            "Authentication server for phone services", "Authentication URL",
            "Application name", "Password of the application", PW_HELP),
        .handler = cred_run,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 4},
    {.syntax = "authentication credential WORD$user password "
               "[<0|6>$type] WORD$pw",
        .help =
            HELP("Phone service authentication", "Credential of an application",
                "Application name", "Password of the application", PW_HELP),
        .handler = cred_run,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 3},
    {.syntax = "web admin system name WORD$name password WORD$pw",
        .help =
            HELP("Web administration", "Administrator", "System administrator",
                "Name", "Administrator name", "Password", "The password"),
        .handler = web_admin_run,
        .write = web_admin_write,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 3},
    {.syntax = "log password WORD$pw",
        .help = HELP("Deprecated", "Deprecated", "Deprecated"),
        .flags = CLI_DEPRECATED | CLI_SECRET,
        .why = DEPRECATED_WHY("log password")},
    {.syntax = "xmltest",
        .help = HELP("Deprecated"),
        .flags = CLI_DEPRECATED,
        .why = DEPRECATED_WHY("xmltest")},
    {.syntax = "xmlschema WORD$url",
        .help = HELP("Deprecated", "Deprecated"),
        .flags = CLI_DEPRECATED,
        .why = DEPRECATED_WHY("xmlschema")},
    {.syntax = "xmlthread (1-100)$n",
        .help = HELP("Deprecated", "Deprecated"),
        .flags = CLI_DEPRECATED,
        .why = DEPRECATED_WHY("xmlthread")},
};

static struct cli_table telephony_mode_table = CLI_TABLE(telephony_cmds);

static const char *const telephony_ignored[] = {
    "load",
    "dialplan-pattern",
    "dn-webedit",
    "time-webedit",
    "call-forward",
    "web customize",
    "system message",
    "timeouts",
    "url",
    "date-format",
    "time-format",
    "time-zone",
    "secondary-dialtone",
    "directory",
    "after-hours",
    "fxo",
    "user-locale",
    "network-locale",
    "conference",
    "hunt-group",
    "night-service",
    "caller-id",
    "mwi",
    "max-redirect",
    "privacy",
    "multicast",
    "em",
    "voicemail-",
    "sdspfarm",
    "codec",
    "bulk-speed-dial",
    "calling-number",
    "pickup",
    "service phone",
    "service dss",
    "em",
    "video",
    "ntp",
    "fac",
    "application",
    "mac-address",
    NULL,
};

static struct cli_table *const telephony_tables[] = {
    &cli_builtin_config, &telephony_mode_table, NULL};

const struct cli_mode mode_telephony = {
    .name = "telephony-service",
    .prompt = "config-telephony",
    .parent = &config_mode_config,
    .tables = telephony_tables,
    .leave = telephony_leave,
    .ignored = telephony_ignored,
    .is_config = 1,
};

static const struct cli_cmd telephony_cfg_cmds[] = {
    {.syntax = "telephony-service",
        .help = HELP("Enter telephony-service configuration mode"),
        .handler = telephony_enter,
        .write = telephony_write,
        .flags = CLI_NO},
};

static const struct cli_cmd telephony_exec_cmds[] = {
    {.syntax = "show telephony-service security-info",
        .help = HELP("Show running system information", "Telephony service",
            "Security-related settings"),
        .handler = show_security_info,
        .flags = CLI_ACTION},
};

struct cli_table telephony_cfg = CLI_TABLE(telephony_cfg_cmds);
struct cli_table telephony_exec = CLI_TABLE(telephony_exec_cmds);
