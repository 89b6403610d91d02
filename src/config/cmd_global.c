/*
 * Global commands: hostname, usernames, the type 6 switches and master
 * key, ip http, tftp-server, and the exec commands that show and save
 * the configuration.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "config/modes.h"
#include "fmt/passwd.h"
#include "lib/log.h"

#define MASTER_KEY_MIN 8

void
global_conf_init(struct config *cfg)
{
	TAILQ_INIT(&cfg->usernames);
	TAILQ_INIT(&cfg->tftp_files);
	cfg->tftp.port = 69;
	cfg->http.port = 80;
	cfg->http.secure_port = 443;
}

static void
username_free(struct username *u)
{
	free(u->name);
	secret_release(&u->password);
	free(u->secret_hash);
	free(u);
}

static void
tftp_file_free(struct tftp_file *f)
{
	free(f->url);
	free(f->alias);
	free(f);
}

void
global_conf_free(struct config *cfg)
{
	struct username *u;
	struct tftp_file *f;

	while ((u = TAILQ_FIRST(&cfg->usernames)) != NULL) {
		TAILQ_REMOVE(&cfg->usernames, u, entry);
		username_free(u);
	}
	while ((f = TAILQ_FIRST(&cfg->tftp_files)) != NULL) {
		TAILQ_REMOVE(&cfg->tftp_files, f, entry);
		tftp_file_free(f);
	}
	free(cfg->hostname);
	free(cfg->http.address);
	free(cfg->tftp.address);
	free(cfg->http.secure_trustpoint);
}

/* ---- hostname ---- */

static int
hostname_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *name = cli_arg(args, "name");

	if (!ctx->is_no &&
	    (strlen(name) > 63 || !isalpha((unsigned char)name[0]))) {
		cli_out(ctx,
		    "%% Invalid hostname: start with a letter, at most "
		    "63 characters");
		return CLI_ERR;
	}
	conf_set_str(&ctx->cfg->hostname, ctx->is_no ? NULL : name);
	return CLI_OK;
}

static void
hostname_write(struct cli_writer *w)
{
	if (w->cfg->hostname != NULL)
		cli_wline(w, "hostname %s", w->cfg->hostname);
}

/* ---- master key (never part of the configuration text) ---- */

struct keyop {
	char *newkey;
};

static void
keyop_free(struct keyop *op)
{
	secret_free(op->newkey);
	free(op);
}

static int
key_apply(struct cli_ctx *ctx, struct keyop *op)
{
	struct config *cfg = ctx->cfg;
	const struct config_hooks *h = cfg->hooks;
	struct buf msg = BUF_INIT;
	char *old = cfg->master_key;

	if (strlen(op->newkey) < MASTER_KEY_MIN) {
		cli_out(
		    ctx, "%% Key length less than %d chars", MASTER_KEY_MIN);
		keyop_free(op);
		return CLI_ERR;
	}
	if (h != NULL && h->save_master_key != NULL &&
	    h->save_master_key(h->arg, op->newkey, &msg) != 0) {
		buf_puts(ctx->out, buf_str(&msg));
		buf_free(&msg);
		keyop_free(op);
		return CLI_ERR;
	}
	buf_free(&msg);
	log_redact_add(op->newkey);
	cfg->master_key = op->newkey;
	op->newkey = NULL;
	secret_rekey_all(cfg, old);
	if (old != NULL)
		log_redact_add(old);
	secret_free(old);
	keyop_free(op);
	if (!cfg->password_encryption_aes)
		cli_out(ctx,
		    "%% Master key set; enable type 6 with "
		    "\"password encryption aes\"");
	config_changed(cfg, "master-key");
	return CLI_OK;
}

static int key_ask_new(struct cli_ctx *ctx, struct keyop *op);

static int
key_confirm_cb(struct cli_ctx *ctx, const char *answer, void *arg)
{
	struct keyop *op = arg;

	if (answer == NULL || strcmp(answer, op->newkey) != 0) {
		cli_out(
		    ctx, "%% Keys do not match; the master key is unchanged");
		keyop_free(op);
		return CLI_ERR;
	}
	return key_apply(ctx, op);
}

static int
key_new_cb(struct cli_ctx *ctx, const char *answer, void *arg)
{
	struct keyop *op = arg;

	if (answer == NULL || answer[0] == '\0') {
		cli_out(ctx, "%% No key entered; the master key is unchanged");
		keyop_free(op);
		return CLI_ERR;
	}
	if (strlen(answer) < MASTER_KEY_MIN) {
		cli_out(
		    ctx, "%% Key length less than %d chars", MASTER_KEY_MIN);
		keyop_free(op);
		return CLI_ERR;
	}
	op->newkey = xstrdup(answer);
	return cli_ask(ctx, "Confirm key: ", 1, key_confirm_cb, op);
}

static int
key_ask_new(struct cli_ctx *ctx, struct keyop *op)
{
	if (op->newkey != NULL)
		return key_apply(ctx, op);
	return cli_ask(ctx, "New key: ", 1, key_new_cb, op);
}

static int
key_old_cb(struct cli_ctx *ctx, const char *answer, void *arg)
{
	struct keyop *op = arg;
	const char *cur = ctx->cfg->master_key;

	if (answer == NULL || cur == NULL || strlen(answer) != strlen(cur) ||
	    CRYPTO_memcmp(answer, cur, strlen(cur)) != 0) {
		cli_out(ctx, "%% Invalid old key; the master key is unchanged");
		keyop_free(op);
		return CLI_ERR;
	}
	return key_ask_new(ctx, op);
}

static int
key_delete_cb(struct cli_ctx *ctx, const char *answer, void *arg)
{
	struct config *cfg = ctx->cfg;
	const struct config_hooks *h = cfg->hooks;
	struct buf msg = BUF_INIT;
	char *old;

	(void)arg;
	if (answer == NULL ||
	    (strcasecmp(answer, "yes") != 0 && strcasecmp(answer, "y") != 0)) {
		cli_out(ctx, "%% Master key not deleted");
		return CLI_ERR;
	}
	if (h != NULL && h->save_master_key != NULL &&
	    h->save_master_key(h->arg, NULL, &msg) != 0) {
		buf_puts(ctx->out, buf_str(&msg));
		buf_free(&msg);
		return CLI_ERR;
	}
	buf_free(&msg);
	old = cfg->master_key;
	cfg->master_key = NULL;
	secret_rekey_all(cfg, old);
	secret_free(old);
	cli_out(ctx, "%% Master key deleted");
	config_changed(cfg, "master-key");
	return CLI_OK;
}

static int
key_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct keyop *op;
	const char *key = cli_arg(args, "newkey");

	if (ctx->is_no) {
		if (ctx->cfg->master_key == NULL) {
			cli_out(ctx, "%% No master key is set");
			return CLI_ERR;
		}
		return cli_ask(ctx,
		    "WARNING: All type 6 encrypted keys will become unusable. "
		    "Continue with master key deletion? [yes/no]: ",
		    0, key_delete_cb, NULL);
	}
	op = xcalloc(1, sizeof(*op));
	op->newkey = key ? xstrdup(key) : NULL;
	if (ctx->cfg->master_key != NULL)
		return cli_ask(ctx, "Old key: ", 1, key_old_cb, op);
	return key_ask_new(ctx, op);
}

/* ---- usernames ---- */

static struct username *
username_find(struct config *cfg, const char *name)
{
	struct username *u;

	TAILQ_FOREACH (u, &cfg->usernames, entry)
		if (strcmp(u->name, name) == 0)
			return u;
	return NULL;
}

static int
username_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct config *cfg = ctx->cfg;
	const char *name = cli_arg(args, "name");
	struct username *u = username_find(cfg, name);
	const char *hash = cli_arg(args, "hash");

	if (ctx->is_no) {
		if (u == NULL) {
			cli_out(ctx, "%% Username %s not found", name);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&cfg->usernames, u, entry);
		username_free(u);
		return CLI_OK;
	}
	if (u == NULL) {
		u = xcalloc(1, sizeof(*u));
		u->name = xstrdup(name);
		secret_init(cfg, &u->password, SECRET_07);
		TAILQ_INSERT_TAIL(&cfg->usernames, u, entry);
	}
	u->privilege = (unsigned)cli_arg_ulong(args, "priv", 0);
	if (hash != NULL) {
		int type = atoi(cli_arg(args, "stype"));
		int ok = type == 5 ? passwd5_verify(hash, "") >= 0
		    : type == 8    ? passwd8_verify(hash, "") >= 0
		                   : passwd9_verify(hash, "") >= 0;

		if (!ok) {
			cli_out(ctx, "%% Invalid type %d secret", type);
			return CLI_ERR;
		}
		conf_set_str(&u->secret_hash, hash);
		u->secret_type = type;
		secret_release(&u->password);
		secret_init(cfg, &u->password, SECRET_07);
		return CLI_OK;
	}
	if (secret_set(ctx, &u->password, cli_arg(args, "type"),
	        cli_arg(args, "pw"), POLICY_NONE) != CLI_OK)
		return CLI_ERR;
	conf_set_str(&u->secret_hash, NULL);
	return CLI_OK;
}

static void
username_write(struct cli_writer *w)
{
	struct username *u;

	TAILQ_FOREACH (u, &w->cfg->usernames, entry) {
		struct buf line = BUF_INIT;

		buf_printf(&line, "username %s", u->name);
		if (u->privilege)
			buf_printf(&line, " privilege %u", u->privilege);
		if (u->secret_hash != NULL) {
			buf_printf(&line, " secret %d %s", u->secret_type,
			    u->secret_hash);
		} else if (secret_is_set(&u->password)) {
			buf_puts(&line, " password ");
			secret_format(w->cfg, &u->password, &line);
		}
		cli_wline(w, "%s", buf_str(&line));
		buf_wipe(&line);
	}
	if (!TAILQ_EMPTY(&w->cfg->usernames))
		conf_write_bang(w);
}

/* ---- ip http ---- */

static int
http_addr_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	conf_set_str(
	    &ctx->cfg->http.address, ctx->is_no ? NULL : cli_arg(args, "addr"));
	return CLI_OK;
}

static int
http_secure_tp_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	conf_set_str(&ctx->cfg->http.secure_trustpoint,
	    ctx->is_no ? NULL : cli_arg(args, "tp"));
	config_changed(ctx->cfg, "ip http secure-trustpoint");
	return CLI_OK;
}

static int
http_client_auth_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	ctx->cfg->http.secure_client_auth = !ctx->is_no;
	config_changed(ctx->cfg, "ip http secure-client-auth");
	return CLI_OK;
}

static void
http_write(struct cli_writer *w)
{
	const struct http_conf *h = &w->cfg->http;

	if (h->server)
		cli_wline(w, "ip http server");
	if (h->port != 80)
		cli_wline(w, "ip http port %u", h->port);
	if (h->address != NULL)
		cli_wline(w, "ip http source-address %s", h->address);
	if (h->secure_server)
		cli_wline(w, "ip http secure-server");
	if (h->secure_port != 443)
		cli_wline(w, "ip http secure-port %u", h->secure_port);
	if (h->secure_trustpoint != NULL)
		cli_wline(
		    w, "ip http secure-trustpoint %s", h->secure_trustpoint);
	if (h->server || h->secure_server)
		conf_write_bang(w);
}

static int
http_bool_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct http_conf *h = &ctx->cfg->http;

	if (cli_has(args, "secure-server"))
		h->secure_server = !ctx->is_no;
	else
		h->server = !ctx->is_no;
	config_changed(ctx->cfg, "ip http");
	return CLI_OK;
}

static int
http_port_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct http_conf *h = &ctx->cfg->http;
	unsigned port = (unsigned)cli_arg_ulong(args, "port", 0);

	if (cli_has(args, "secure-port"))
		h->secure_port = ctx->is_no || !port ? 443 : port;
	else
		h->port = ctx->is_no || !port ? 80 : port;
	config_changed(ctx->cfg, "ip http");
	return CLI_OK;
}

/* ---- tftp-server ---- */

const char *
conf_url_basename(const char *url)
{
	const char *p = strrchr(url, '/');
	const char *c = strrchr(url, ':');

	if (p == NULL || (c != NULL && c > p))
		p = c;
	return p ? p + 1 : url;
}

static int
tftp_server_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct config *cfg = ctx->cfg;
	const char *url = cli_arg(args, "url");
	const char *alias = cli_arg(args, "alias");
	struct tftp_file *f;

	TAILQ_FOREACH (f, &cfg->tftp_files, entry)
		if (strcmp(f->url, url) == 0)
			break;
	if (ctx->is_no) {
		if (f == NULL) {
			cli_out(ctx, "%% %s is not served", url);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&cfg->tftp_files, f, entry);
		tftp_file_free(f);
		config_changed(cfg, "tftp-server");
		return CLI_OK;
	}
	if (conf_url_basename(url)[0] == '\0') {
		cli_out(ctx, "%% %s names no file", url);
		return CLI_ERR;
	}
	if (f == NULL) {
		f = xcalloc(1, sizeof(*f));
		f->url = xstrdup(url);
		TAILQ_INSERT_TAIL(&cfg->tftp_files, f, entry);
	}
	conf_set_str(&f->alias, alias);
	config_changed(cfg, "tftp-server");
	return CLI_OK;
}

static int
tftp_listen_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct tftp_listen_conf *t = &ctx->cfg->tftp;

	conf_set_str(&t->address, ctx->is_no ? NULL : cli_arg(args, "addr"));
	t->port = ctx->is_no ? 69 : (unsigned)cli_arg_ulong(args, "port", 69);
	config_changed(ctx->cfg, "tftp-server source-address");
	return CLI_OK;
}

static void
tftp_server_write(struct cli_writer *w)
{
	struct tftp_file *f;

	if (w->cfg->tftp.address != NULL) {
		if (w->cfg->tftp.port != 69)
			cli_wline(w, "tftp-server source-address %s port %u",
			    w->cfg->tftp.address, w->cfg->tftp.port);
		else
			cli_wline(w, "tftp-server source-address %s",
			    w->cfg->tftp.address);
	}

	TAILQ_FOREACH (f, &w->cfg->tftp_files, entry) {
		if (f->alias != NULL)
			cli_wline(
			    w, "tftp-server %s alias %s", f->url, f->alias);
		else
			cli_wline(w, "tftp-server %s", f->url);
	}
	if (!TAILQ_EMPTY(&w->cfg->tftp_files))
		conf_write_bang(w);
}

/* ---- exec: show / write ---- */

static int
show_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct buf body = BUF_INIT;

	config_write(ctx->cfg, &body, cli_has(args, "all"), 0);
	buf_printf(ctx->out,
	    "Building configuration...\n\nCurrent configuration : %zu "
	    "bytes\n!\n%s",
	    body.len, buf_str(&body));
	buf_wipe(&body);
	return CLI_OK;
}

static int
show_startup(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct config_hooks *h = ctx->cfg->hooks;

	(void)args;
	if (h == NULL || h->show_startup == NULL) {
		cli_out(ctx, "%% No startup-config is available here");
		return CLI_ERR;
	}
	return h->show_startup(h->arg, ctx->out) == 0 ? CLI_OK : CLI_ERR;
}

static int
write_memory(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct config_hooks *h = ctx->cfg->hooks;
	int rc;

	(void)args;
	if (h == NULL || h->write_memory == NULL) {
		cli_out(ctx, "%% The configuration cannot be saved here");
		return CLI_ERR;
	}
	buf_puts(ctx->out, "Building configuration...\n");
	rc = h->write_memory(h->arg, ctx->out);
	if (rc == 0)
		buf_puts(ctx->out, "[OK]\n");
	return rc == 0 ? CLI_OK : CLI_ERR;
}

static int
show_password_encryption(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct config *cfg = ctx->cfg;

	(void)args;
	cli_out(ctx, "Master key: %s",
	    cfg->master_key ? "configured" : "not configured");
	cli_out(ctx, "Password encryption aes: %s",
	    cfg->password_encryption_aes ? "enabled" : "disabled");
	cli_out(ctx, "Telephony-service encrypt password: %s",
	    cfg->tel.encrypt_password ? "enabled" : "disabled");
	cli_out(ctx, "Passwords stored as: %s",
	    config_type6_active(cfg) ? "type 6 (AES)" : "type 0 (plain text)");
	return CLI_OK;
}

#define SHOW_HELP "Show running system information"

static const struct cli_cmd global_head_cmds[] = {
    {.syntax = "hostname WORD$name",
        .help = HELP("Set system's network name", "This system's name"),
        .handler = hostname_run,
        .write = hostname_write,
        .flags = CLI_NO,
        .no_words = 1},
    CLI_BOOL("password encryption aes",
        HELP("Password settings", "Password encryption",
            "Encrypt stored passwords with AES (type 6)"),
        struct config, password_encryption_aes),
    {.syntax = "key config-key password-encrypt [WORD$newkey]",
        .help = HELP("Key management", "Set a private configuration key",
            "The master key for type 6 password encryption",
            "The key (at least 8 characters); prompted when omitted"),
        .handler = key_run,
        .flags = CLI_NO | CLI_ACTION | CLI_SECRET},
};

static const struct cli_cmd global_tail_cmds[] = {
    {.syntax = "username WORD$name [privilege (0-15)$priv] password "
               "[<0|7>$type] WORD$pw",
        .help = HELP("Establish User Name Authentication", "User name",
            "Set user privilege level", "User privilege level",
            "Specify the password for the user",
            "Specifies an UNENCRYPTED password will follow",
            "Specifies a HIDDEN (type 7) password will follow", "The password"),
        .handler = username_run,
        .write = username_write,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 2},
    {.syntax = "username WORD$name [privilege (0-15)$priv] secret "
               "<5|8|9>$stype WORD$hash",
        .help = HELP("Establish User Name Authentication", "User name",
            "Set user privilege level", "User privilege level",
            "Specify the secret for the user",
            "Specifies an MD5-crypt HASHED secret will follow",
            "Specifies a PBKDF2 HASHED secret will follow",
            "Specifies a SCRYPT HASHED secret will follow",
            "The hashed secret"),
        .handler = username_run},
    {.syntax = "ip http <server|secure-server>",
        .help = HELP("Global IP configuration subcommands",
            "HTTP server configuration", "Enable the HTTP server (SCEP)",
            "Enable the HTTPS server"),
        .handler = http_bool_run,
        .write = http_write,
        .flags = CLI_NO},
    {.syntax = "ip http <port|secure-port> (1-65535)$port",
        .help = HELP("Global IP configuration subcommands",
            "HTTP server configuration", "HTTP server port",
            "HTTPS server port", "Port number"),
        .handler = http_port_run,
        .flags = CLI_NO,
        .no_words = 3},
    {.syntax = "ip http source-address A.B.C.D$addr",
        .help = HELP("Global IP configuration subcommands",
            "HTTP server configuration",
            "Address the HTTP and HTTPS servers listen on (extension)",
            "IPv4 address"),
        .handler = http_addr_run,
        .flags = CLI_NO,
        .no_words = 3},
    {.syntax = "ip http secure-trustpoint NAME$tp",
        .help = HELP("Global IP configuration subcommands",
            "HTTP server configuration",
            "Trustpoint of the HTTPS server certificate", "Trustpoint label"),
        .handler = http_secure_tp_run,
        .flags = CLI_NO,
        .no_words = 3},
    {.syntax = "ip http secure-client-auth",
        .help = HELP("Global IP configuration subcommands",
            "HTTP server configuration",
            "HTTPS clients must present a certificate from the "
            "secure-trustpoint's CA (revocation-check applies)"),
        .handler = http_client_auth_run,
        .flags = CLI_NO},
    {.syntax = "tftp-server source-address A.B.C.D$addr [port "
               "(1-65535)$port]",
        .help = HELP("Provide TFTP service for netload requests",
            "Address the TFTP server listens on (extension)", "IPv4 address",
            "UDP port", "Port number (default 69)"),
        .handler = tftp_listen_run,
        .flags = CLI_NO,
        .no_words = 2},
    {.syntax = "tftp-server URL$url [alias WORD$alias]",
        .help = HELP("Provide TFTP service for netload requests",
            "File to serve (flash:FILE, slot0:FILE, nvram:FILE)",
            "Name the file is served as", "Served file name"),
        .handler = tftp_server_run,
        .write = tftp_server_write,
        .flags = CLI_NO},
};

static const struct cli_cmd global_exec_cmds[] = {
    {.syntax = "show running-config [all]",
        .help = HELP(SHOW_HELP, "Current operating configuration",
            "Configuration with defaults"),
        .handler = show_run,
        .flags = CLI_ACTION},
    {.syntax = "show startup-config",
        .help = HELP(SHOW_HELP, "Contents of the startup configuration"),
        .handler = show_startup,
        .flags = CLI_ACTION},
    {.syntax = "show password-encryption",
        .help = HELP(SHOW_HELP, "Type 6 password encryption status"),
        .handler = show_password_encryption,
        .flags = CLI_ACTION},
    {.syntax = "write [memory]",
        .help = HELP("Write running configuration to memory",
            "Write to the startup configuration"),
        .handler = write_memory,
        .flags = CLI_ACTION},
    {.syntax = "copy running-config startup-config",
        .help = HELP("Copy from one file to another",
            "Copy from the current system configuration",
            "Copy to the startup configuration"),
        .handler = write_memory,
        .flags = CLI_ACTION},
};

struct cli_table global_cfg_head = CLI_TABLE(global_head_cmds);
struct cli_table global_cfg_tail = CLI_TABLE(global_tail_cmds);
struct cli_table global_exec = CLI_TABLE(global_exec_cmds);
