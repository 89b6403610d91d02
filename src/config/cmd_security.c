/*
 * ctl-client, capf-server and credentials (the CTL provider): chapter
 * "Configure the CTL Client" (both variants), "Configure the CAPF
 * Server", "Configure the CTL Provider" and "HTTPS Provisioning", with
 * their running-config writers and show commands.  The services that act
 * on these settings (CTL file, CAPF, credentials) are elsewhere.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config/modes.h"

const char *const ctl_role_words[] = {
    "capf", "cme", "cme-tftp", "tftp", "application", NULL};

/* capf-server auth-mode, in enum capf_auth order; IOS prints LSC and MIC
 * in upper case (the syntax has them in lower case: upper-case words are
 * placeholders for the engine, and matching ignores case). */
static const char *const auth_mode_words[] = {
    "auth-string", "LSC", "MIC", "null-string", "none", NULL};

/* capf-server cert-oper, in enum cert_oper order. */
static const char *const oper_words[] = {"delete", "fetch", "upgrade", NULL};

/* Length of a generated CAPF authentication string (4 to 10 allowed). */
#define AUTH_STR_GEN_LEN 6
#define AUTH_STR_MIN 4
#define AUTH_STR_MAX 10

#define CAPF struct capf_server

/* ---- the tree ---- */

static void
ctl_init(struct config *cfg)
{
	struct ctl_client *ctl = &cfg->ctl;

	memset(ctl, 0, sizeof(*ctl));
	TAILQ_INIT(&ctl->servers);
	TAILQ_INIT(&ctl->remotes);
	TAILQ_INIT(&ctl->imports);
}

static void
ctl_server_free(struct ctl_server *s)
{
	free(s->ip);
	free(s->trustpoint);
	free(s);
}

static void
ctl_remote_free(struct ctl_remote *r)
{
	free(r->ip);
	free(r->username);
	secret_release(&r->password);
	free(r);
}

static void
ctl_import_free(struct ctl_import *im)
{
	free(im->description);
	free(im->url);
	free(im);
}

static void
ctl_free(struct config *cfg)
{
	struct ctl_client *ctl = &cfg->ctl;
	struct ctl_server *s;
	struct ctl_remote *r;
	struct ctl_import *im;

	while ((s = TAILQ_FIRST(&ctl->servers)) != NULL) {
		TAILQ_REMOVE(&ctl->servers, s, entry);
		ctl_server_free(s);
	}
	while ((r = TAILQ_FIRST(&ctl->remotes)) != NULL) {
		TAILQ_REMOVE(&ctl->remotes, r, entry);
		ctl_remote_free(r);
	}
	while ((im = TAILQ_FIRST(&ctl->imports)) != NULL) {
		TAILQ_REMOVE(&ctl->imports, im, entry);
		ctl_import_free(im);
	}
	free(ctl->sast1_tp);
	free(ctl->sast2_tp);
	ctl->sast1_tp = ctl->sast2_tp = NULL;
}

static void
capf_init(struct config *cfg)
{
	struct capf_server *c = &cfg->capf;

	memset(c, 0, sizeof(*c));
	secret_init(cfg, &c->cert_enroll_pw, SECRET_01);
	c->auth_mode = CAPF_AUTH_NONE;
	c->phone_key_size = 1024;
	c->phone_key_curve = -1;
	c->port = 3804;
	c->keygen_retry = 3;
	c->keygen_timeout = 30;
	c->cert_oper = CERT_OPER_NONE;
	c->tls_min = 12;
}

static void
capf_free(struct config *cfg)
{
	struct capf_server *c = &cfg->capf;

	free(c->trustpoint_label);
	free(c->cert_enroll_tp);
	free(c->source_addr);
	c->trustpoint_label = c->cert_enroll_tp = c->source_addr = NULL;
	secret_release(&c->cert_enroll_pw);
}

static void
cred_init(struct config *cfg)
{
	struct credentials_conf *c = &cfg->credentials;

	memset(c, 0, sizeof(*c));
	c->port = 2444;
	secret_init(cfg, &c->admin_secret, SECRET_01);
}

static void
cred_free(struct config *cfg)
{
	struct credentials_conf *c = &cfg->credentials;

	free(c->ip);
	free(c->trustpoint);
	free(c->admin_user);
	c->ip = c->trustpoint = c->admin_user = NULL;
	secret_release(&c->admin_secret);
}

void
security_conf_init(struct config *cfg)
{
	ctl_init(cfg);
	capf_init(cfg);
	cred_init(cfg);
}

void
security_conf_free(struct config *cfg)
{
	ctl_free(cfg);
	capf_free(cfg);
	cred_free(cfg);
}

/* ---- shared helpers ---- */

/*
 * A trustpoint named by a command: typed interactively it must exist (a
 * trustpoint or a certificate server); a saved configuration may name it
 * before declaring it (config_check_refs() warns after the load).
 */
static int
tp_ref_ok(struct cli_ctx *ctx, const char *tp)
{
	if (ctx->is_no || ctx->is_loading || tp == NULL ||
	    trustpoint_find(ctx->cfg, tp) != NULL ||
	    pki_server_find(ctx->cfg, tp) != NULL)
		return 1;
	cli_out(ctx, "%% Trustpoint %s is not configured", tp);
	return 0;
}

/*
 * Set a {0|1} password: parsed into a temporary first, so that a refused
 * value leaves the stored one as it was.
 */
static int
set_secret01(
    struct cli_ctx *ctx, struct secret *dst, const struct cli_args *args)
{
	struct secret tmp;

	secret_init(ctx->cfg, &tmp, SECRET_01);
	if (secret_set(ctx, &tmp, cli_arg(args, "type"), cli_arg(args, "pw"),
	        POLICY_NONE) != CLI_OK) {
		secret_release(&tmp);
		return CLI_ERR;
	}
	secret_release(dst);
	secret_init(ctx->cfg, dst, SECRET_01);
	dst->plain = tmp.plain;
	dst->enc = tmp.enc;
	dst->show_type = tmp.show_type;
	tmp.plain = tmp.enc = NULL;
	secret_release(&tmp);
	return CLI_OK;
}

/* ---- ctl-client ---- */

static int
ctl_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	return conf_enter_block(ctx, "ctl-client", &mode_ctl_client,
	    &ctx->cfg->ctl, &ctx->cfg->ctl.present, ctl_free, ctl_init);
}

static void
ctl_write(struct cli_writer *w)
{
	if (!w->cfg->ctl.present)
		return;
	conf_write_block(w, "ctl-client", &mode_ctl_client, &w->cfg->ctl);
}

static void
ctl_leave(struct cli_ctx *ctx)
{
	config_changed(ctx->cfg, "ctl-client");
}

/*
 * sast1/sast2 trustpoint: the chapter requires two different
 * certificates.  Typed, the same trustpoint for both is refused; in a
 * saved configuration it only warns (the file is loaded as it is).
 */
static int
sast_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ctl_client *ctl = ctx->obj;
	int is1 = cli_has(args, "sast1");
	char **field = is1 ? &ctl->sast1_tp : &ctl->sast2_tp;
	const char *other = is1 ? ctl->sast2_tp : ctl->sast1_tp;
	const char *tp = cli_arg(args, "tp");

	if (ctx->is_no) {
		conf_set_str(field, NULL);
		return CLI_OK;
	}
	if (!tp_ref_ok(ctx, tp))
		return CLI_ERR;
	if (other != NULL && strcmp(other, tp) == 0) {
		if (!ctx->is_loading) {
			cli_out(ctx,
			    "%% SAST1 and SAST2 must be different "
			    "trustpoints: %s is already SAST%d",
			    tp, is1 ? 2 : 1);
			return CLI_ERR;
		}
		cli_out(ctx,
		    "%% Warning: SAST1 and SAST2 are both trustpoint %s; they "
		    "must be different",
		    tp);
	}
	conf_set_str(field, tp);
	return CLI_OK;
}

static void
sast1_write(struct cli_writer *w)
{
	const struct ctl_client *ctl = w->obj;

	if (ctl->sast1_tp != NULL)
		cli_wline(w, "sast1 trustpoint %s", ctl->sast1_tp);
}

static void
sast2_write(struct cli_writer *w)
{
	const struct ctl_client *ctl = w->obj;

	if (ctl->sast2_tp != NULL)
		cli_wline(w, "sast2 trustpoint %s", ctl->sast2_tp);
}

static int
role_index(const char *word)
{
	for (int i = 0; ctl_role_words[i] != NULL; i++)
		if (word != NULL && strcasecmp(ctl_role_words[i], word) == 0)
			return i;
	return -1;
}

static struct ctl_server *
ctl_server_find(struct ctl_client *ctl, int role, const char *ip)
{
	struct ctl_server *s;

	TAILQ_FOREACH (s, &ctl->servers, entry)
		if (s->role == role && strcmp(s->ip, ip) == 0)
			return s;
	return NULL;
}

static struct ctl_remote *
ctl_remote_find(struct ctl_client *ctl, const char *ip)
{
	struct ctl_remote *r;

	TAILQ_FOREACH (r, &ctl->remotes, entry)
		if (strcmp(r->ip, ip) == 0)
			return r;
	return NULL;
}

/*
 * server ROLE IP trustpoint TP: one entry per role and address (a new
 * trustpoint replaces the old).  `no server ROLE IP` also serves the
 * `server cme IP username ...` form, which has the same first words.
 */
static int
server_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ctl_client *ctl = ctx->obj;
	int role = role_index(cli_arg(args, "role"));
	const char *ip = cli_arg(args, "ip");
	const char *tp = cli_arg(args, "tp");
	struct ctl_server *s;

	if (role < 0 || ip == NULL)
		return CLI_ERR;
	s = ctl_server_find(ctl, role, ip);
	if (ctx->is_no) {
		struct ctl_remote *r =
		    role == CTL_ROLE_CME ? ctl_remote_find(ctl, ip) : NULL;

		if (s == NULL && r == NULL) {
			cli_out(ctx, "%% No %s server %s in the ctl-client",
			    ctl_role_words[role], ip);
			return CLI_ERR;
		}
		if (s != NULL) {
			TAILQ_REMOVE(&ctl->servers, s, entry);
			ctl_server_free(s);
		}
		if (r != NULL) {
			TAILQ_REMOVE(&ctl->remotes, r, entry);
			ctl_remote_free(r);
		}
		return CLI_OK;
	}
	if (!tp_ref_ok(ctx, tp))
		return CLI_ERR;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->role = role;
		s->ip = xstrdup(ip);
		TAILQ_INSERT_TAIL(&ctl->servers, s, entry);
	}
	conf_set_str(&s->trustpoint, tp);
	return CLI_OK;
}

static void
servers_write(struct cli_writer *w)
{
	const struct ctl_client *ctl = w->obj;
	const struct ctl_server *s;

	TAILQ_FOREACH (s, &ctl->servers, entry)
		cli_wline(w, "server %s %s trustpoint %s",
		    ctl_role_words[s->role], s->ip, s->trustpoint);
}

/* server cme IP username U password {0|1} P: another CME router. */
static int
remote_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ctl_client *ctl = ctx->obj;
	const char *ip = cli_arg(args, "ip");
	struct ctl_remote *r = ctl_remote_find(ctl, ip);
	int created = 0;

	if (ctx->is_no) {
		if (r == NULL) {
			cli_out(
			    ctx, "%% No cme server %s in the ctl-client", ip);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&ctl->remotes, r, entry);
		ctl_remote_free(r);
		return CLI_OK;
	}
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->ip = xstrdup(ip);
		secret_init(ctx->cfg, &r->password, SECRET_01);
		created = 1;
	}
	if (set_secret01(ctx, &r->password, args) != CLI_OK) {
		if (created)
			ctl_remote_free(r);
		return CLI_ERR;
	}
	conf_set_str(&r->username, cli_arg(args, "user"));
	if (created)
		TAILQ_INSERT_TAIL(&ctl->remotes, r, entry);
	return CLI_OK;
}

static void
remotes_write(struct cli_writer *w)
{
	const struct ctl_client *ctl = w->obj;
	struct ctl_remote *r;

	TAILQ_FOREACH (r, &ctl->remotes, entry) {
		struct buf line = BUF_INIT;

		buf_printf(&line, "server cme %s username %s password ", r->ip,
		    r->username);
		secret_format(w->cfg, &r->password, &line);
		cli_wline(w, "%s", buf_str(&line));
		buf_wipe(&line);
	}
}

/* import certificate TAG DESC flash:FILE (read by the CTL service). */
static int
import_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ctl_client *ctl = ctx->obj;
	unsigned tag = (unsigned)cli_arg_ulong(args, "tag", 0);
	struct ctl_import *im;

	TAILQ_FOREACH (im, &ctl->imports, entry)
		if (im->tag == tag)
			break;
	if (ctx->is_no) {
		if (im == NULL) {
			cli_out(ctx, "%% No imported certificate %u", tag);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&ctl->imports, im, entry);
		ctl_import_free(im);
		return CLI_OK;
	}
	if (im == NULL) {
		im = xcalloc(1, sizeof(*im));
		im->tag = tag;
		TAILQ_INSERT_TAIL(&ctl->imports, im, entry);
	}
	conf_set_str(&im->description, cli_arg(args, "desc"));
	conf_set_str(&im->url, cli_arg(args, "url"));
	return CLI_OK;
}

static void
imports_write(struct cli_writer *w)
{
	const struct ctl_client *ctl = w->obj;
	const struct ctl_import *im;

	TAILQ_FOREACH (im, &ctl->imports, entry)
		cli_wline(w, "import certificate %u %s %s", im->tag,
		    im->description, im->url);
}

static int
regenerate_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct config_hooks *h = ctx->cfg->hooks;
	int rc;

	if (h == NULL || h->ctl_regenerate == NULL) {
		cli_out(ctx,
		    "%% The CTL can only be generated by a running "
		    "daemon");
		return CLI_ERR;
	}
	rc = h->ctl_regenerate(h->arg, cli_has(args, "force"), ctx->out);
	return rc == 0 ? CLI_OK : CLI_ERR;
}

static int
hash_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	ctx->cfg->ctl.hash_sha512 = !ctx->is_no && cli_has(args, "sha512");
	return CLI_OK;
}

static void
hash_write(struct cli_writer *w)
{
	if (w->cfg->ctl.hash_sha512)
		cli_wline(w, "hash sha512");
}

/*
 * show ctl-client, as the chapter prints it.  The chapter's two samples
 * label both trustpoint lines "SAST 1" (a documentation typo); the second
 * is SAST 2 here.  Servers are listed by role as in the sample (CME, then
 * TFTP, then CAPF), whatever the configuration order.
 */
static int
show_ctl_client(struct cli_ctx *ctx, const struct cli_args *args)
{
	static const int order[] = {CTL_ROLE_CME, CTL_ROLE_CME_TFTP,
	    CTL_ROLE_TFTP, CTL_ROLE_CAPF, CTL_ROLE_APPLICATION};
	static const char *const label[] = {
	    "CAPF", "CME", "CME-TFTP", "TFTP", "APP"};
	const struct ctl_client *ctl = &ctx->cfg->ctl;
	const struct ctl_server *s;
	const struct ctl_remote *r;

	(void)args;
	if (!ctl->present) {
		cli_out(ctx, "%% The CTL client is not configured");
		return CLI_OK;
	}
	cli_out(ctx, "CTL Client Information");
	cli_out(ctx, "-----------------------------");
	cli_out(ctx, "        SAST 1 Certificate Trustpoint: %s",
	    ctl->sast1_tp ? ctl->sast1_tp : "");
	cli_out(ctx, "        SAST 2 Certificate Trustpoint: %s",
	    ctl->sast2_tp ? ctl->sast2_tp : "");
	cli_out(ctx, "        List of Trusted Servers in the CTL");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		TAILQ_FOREACH (s, &ctl->servers, entry)
			if (s->role == order[i])
				cli_out(ctx, "                %-7s %-15s %s",
				    label[s->role], s->ip, s->trustpoint);
		if (order[i] != CTL_ROLE_CME)
			continue;
		TAILQ_FOREACH (r, &ctl->remotes, entry)
			cli_out(ctx,
			    "                %-7s %-15s (CTL provider, "
			    "user %s)",
			    "CME", r->ip, r->username);
	}
	return CLI_OK;
}

/* ---- capf-server ---- */

static int
capf_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	return conf_enter_block(ctx, "capf-server", &mode_capf_server,
	    &ctx->cfg->capf, &ctx->cfg->capf.present, capf_free, capf_init);
}

static void
capf_write(struct cli_writer *w)
{
	if (!w->cfg->capf.present)
		return;
	conf_write_block(w, "capf-server", &mode_capf_server, &w->cfg->capf);
}

static void
capf_leave(struct cli_ctx *ctx)
{
	config_changed(ctx->cfg, "capf-server");
}

static int
capf_port_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct capf_server *c = ctx->obj;

	c->port =
	    ctx->is_no ? 3804 : (unsigned)cli_arg_ulong(args, "port", 3804);
	return CLI_OK;
}

/* IOS prints the port even at its default (both chapter examples). */
static void
capf_port_write(struct cli_writer *w)
{
	const struct capf_server *c = w->obj;

	cli_wline(w, "port %u", c->port);
}

static int
cert_enroll_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct capf_server *c = ctx->obj;
	const char *tp = cli_arg(args, "tp");

	if (ctx->is_no) {
		conf_set_str(&c->cert_enroll_tp, NULL);
		secret_release(&c->cert_enroll_pw);
		secret_init(ctx->cfg, &c->cert_enroll_pw, SECRET_01);
		return CLI_OK;
	}
	if (!tp_ref_ok(ctx, tp))
		return CLI_ERR;
	if (set_secret01(ctx, &c->cert_enroll_pw, args) != CLI_OK)
		return CLI_ERR;
	conf_set_str(&c->cert_enroll_tp, tp);
	return CLI_OK;
}

static void
cert_enroll_write(struct cli_writer *w)
{
	struct capf_server *c = w->obj;
	struct buf line = BUF_INIT;

	if (c->cert_enroll_tp == NULL)
		return;
	buf_printf(
	    &line, "cert-enroll-trustpoint %s password ", c->cert_enroll_tp);
	secret_format(w->cfg, &c->cert_enroll_pw, &line);
	cli_wline(w, "%s", buf_str(&line));
	buf_wipe(&line);
}

static int
trustpoint_label_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct capf_server *c = ctx->obj;
	const char *tp = cli_arg(args, "tp");

	if (!tp_ref_ok(ctx, tp))
		return CLI_ERR;
	conf_set_str(&c->trustpoint_label, ctx->is_no ? NULL : tp);
	return CLI_OK;
}

static void
trustpoint_label_write(struct cli_writer *w)
{
	const struct capf_server *c = w->obj;

	if (c->trustpoint_label != NULL)
		cli_wline(w, "trustpoint-label %s", c->trustpoint_label);
}

static int
key_size_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct capf_server *c = ctx->obj;

	c->phone_key_size =
	    ctx->is_no ? 1024 : (unsigned)cli_arg_ulong(args, "size", 1024);
	return CLI_OK;
}

static void
key_size_write(struct cli_writer *w)
{
	const struct capf_server *c = w->obj;

	if (c->phone_key_size != 1024 || w->all)
		cli_wline(w, "phone-key-size %u", c->phone_key_size);
}

static int
cert_oper_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct capf_server *c = ctx->obj;
	const char *op = cli_arg(args, "op");

	c->cert_oper = CERT_OPER_NONE;
	for (int i = 0; !ctx->is_no && oper_words[i] != NULL; i++)
		if (op != NULL && strcasecmp(oper_words[i], op) == 0)
			c->cert_oper = i;
	/* Removal too: the phones' cnf.xml stop announcing it. */
	config_changed(ctx->cfg, "capf-server cert-oper");
	return CLI_OK;
}

static void
cert_oper_write(struct cli_writer *w)
{
	const struct capf_server *c = w->obj;

	if (c->cert_oper >= 0 && c->cert_oper <= CERT_OPER_UPGRADE)
		cli_wline(w, "cert-oper %s all", oper_words[c->cert_oper]);
}

const char *const phone_key_curve_words[] = {"p256", "p384", "p521", NULL};

/* phone-key-curve <p256|p384|p521> (extension): newer phones generate EC
 * keys; the trust lists then carry SIGNER_VERSION 1.1, which such phones
 * need before they accept EC certificates. */
static int
key_curve_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct capf_server *c = ctx->obj;
	const char *v = cli_arg(args, "curve");

	c->phone_key_curve = -1;
	for (int i = 0; !ctx->is_no && phone_key_curve_words[i] != NULL; i++)
		if (v != NULL && strcasecmp(v, phone_key_curve_words[i]) == 0)
			c->phone_key_curve = i;
	config_changed(ctx->cfg, "capf-server phone-key-curve");
	return CLI_OK;
}

static void
key_curve_write(struct cli_writer *w)
{
	const struct capf_server *c = w->obj;

	if (c->phone_key_curve >= 0)
		cli_wline(w, "phone-key-curve %s",
		    phone_key_curve_words[c->phone_key_curve]);
}

/* tls-version minimum <1.0|1.2> (extension): TLS 1.0 only where configured,
 * for 7900-series phones that cannot do better. */
static int
tls_min_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct capf_server *c = ctx->obj;
	const char *v = cli_arg(args, "ver");

	c->tls_min =
	    !ctx->is_no && v != NULL && strcmp(v, "1.0") == 0 ? 10 : 12;
	return CLI_OK;
}

static void
tls_min_write(struct cli_writer *w)
{
	const struct capf_server *c = w->obj;

	if (c->tls_min == 10 || w->all)
		cli_wline(w, "tls-version minimum %s",
		    c->tls_min == 10 ? "1.0" : "1.2");
}

/* digits random decimal digits (uniform: bytes >= 250 are redrawn). */
static int
random_digits(char *out, size_t digits)
{
	size_t n = 0;

	while (n < digits) {
		unsigned char b[16];

		if (RAND_bytes(b, sizeof(b)) != 1)
			return -1;
		for (size_t i = 0; i < sizeof(b) && n < digits; i++)
			if (b[i] < 250)
				out[n++] = (char)('0' + b[i] % 10);
	}
	out[n] = '\0';
	return 0;
}

static int
auth_string_apply(
    struct cli_ctx *ctx, struct ephone *e, int generate, const char *digits)
{
	char pin[AUTH_STR_MAX + 1];

	if (!generate) {
		secret_free(e->capf_auth_str);
		e->capf_auth_str = NULL;
		return CLI_OK;
	}
	if (digits != NULL) {
		snprintf(pin, sizeof(pin), "%s", digits);
	} else if (random_digits(pin, AUTH_STR_GEN_LEN) != 0) {
		cli_out(ctx,
		    "%% Cannot generate a random authentication "
		    "string");
		return CLI_ERR;
	}
	secret_free(e->capf_auth_str);
	e->capf_auth_str = xstrdup(pin);
	OPENSSL_cleanse(pin, sizeof(pin));
	return CLI_OK;
}

/*
 * auth-string {delete|generate} {all|TAG} [DIGITS]: an action on the
 * ephones' capf-auth-str (written under each ephone, not here).
 */
static int
auth_string_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	int generate = cli_has(args, "generate");
	const char *digits = cli_arg(args, "digits");
	struct ephone *e;
	int n = 0;

	if (digits != NULL && !generate) {
		cli_out(ctx, "%% auth-string delete takes no digit string");
		return CLI_ERR;
	}
	if (digits != NULL &&
	    (strlen(digits) < AUTH_STR_MIN || strlen(digits) > AUTH_STR_MAX)) {
		cli_out(ctx,
		    "%% The authentication string must have %d to %d "
		    "digits",
		    AUTH_STR_MIN, AUTH_STR_MAX);
		return CLI_ERR;
	}
	if (!cli_has(args, "all")) {
		unsigned tag = (unsigned)cli_arg_ulong(args, "tag", 0);

		e = ephone_find(ctx->cfg, tag);
		if (e == NULL) {
			cli_out(ctx, "%% Ephone %u is not configured", tag);
			return CLI_ERR;
		}
		if (auth_string_apply(ctx, e, generate, digits) != CLI_OK)
			return CLI_ERR;
		n = 1;
	} else {
		TAILQ_FOREACH (e, &ctx->cfg->ephones, entry) {
			if (auth_string_apply(ctx, e, generate, digits) !=
			    CLI_OK)
				return CLI_ERR;
			n++;
		}
		if (n == 0)
			cli_out(ctx, "%% No ephone is configured");
	}
	if (n > 0)
		config_changed(ctx->cfg,
		    generate ? "capf-server auth-string generate"
		             : "capf-server auth-string delete");
	return CLI_OK;
}

static int
show_capf_summary(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct capf_server *c = &ctx->cfg->capf;

	(void)args;
	if (!c->present) {
		cli_out(ctx, "%% The CAPF server is not configured");
		return CLI_OK;
	}
	cli_out(ctx, "CAPF Server Configuration Details");
	cli_out(ctx, "        Trustpoint for TLS With Phone: %s",
	    c->trustpoint_label ? c->trustpoint_label : "");
	cli_out(ctx, "        Trustpoint for CA operation: %s",
	    c->cert_enroll_tp ? c->cert_enroll_tp : "");
	cli_out(ctx, "        Source Address: %s",
	    c->source_addr ? c->source_addr : "");
	cli_out(ctx, "        Listening Port: %u", c->port);
	cli_out(ctx, "        Phone Key Size: %u", c->phone_key_size);
	if (c->phone_key_curve >= 0)
		cli_out(ctx, "        Phone Key Curve: %s (EC keys)",
		    phone_key_curve_words[c->phone_key_curve]);
	cli_out(ctx, "        Phone KeyGen Retries: %u", c->keygen_retry);
	cli_out(
	    ctx, "        Phone KeyGen Timeout: %u minutes", c->keygen_timeout);
	return CLI_OK;
}

static int
show_capf_auth_strings(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct ephone *e;

	(void)args;
	cli_out(ctx, "Authentication Strings for configured Ephones");
	cli_out(ctx, "%-16s%s", "Mac-Addr", "Auth-String");
	cli_out(ctx, "%-16s%s", "--------", "-----------");
	TAILQ_FOREACH (e, &ctx->cfg->ephones, entry) {
		char mac[sizeof(e->mac)];
		size_t i;

		if (e->mac[0] == '\0' || e->capf_auth_str == NULL)
			continue;
		for (i = 0; i + 1 < sizeof(mac) && e->mac[i] != '\0'; i++)
			mac[i] = (char)toupper((unsigned char)e->mac[i]);
		mac[i] = '\0';
		cli_out(ctx, "%-16s%s", mac, e->capf_auth_str);
	}
	return CLI_OK;
}

/* ---- credentials (CTL provider) ---- */

static int
cred_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	return conf_enter_block(ctx, "credentials", &mode_credentials,
	    &ctx->cfg->credentials, &ctx->cfg->credentials.present, cred_free,
	    cred_init);
}

static void
cred_write(struct cli_writer *w)
{
	if (!w->cfg->credentials.present)
		return;
	conf_write_block(
	    w, "credentials", &mode_credentials, &w->cfg->credentials);
}

static void
cred_leave(struct cli_ctx *ctx)
{
	config_changed(ctx->cfg, "credentials");
}

static int
ctl_service_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct credentials_conf *c = ctx->obj;

	if (ctx->is_no) {
		conf_set_str(&c->admin_user, NULL);
		secret_release(&c->admin_secret);
		secret_init(ctx->cfg, &c->admin_secret, SECRET_01);
		return CLI_OK;
	}
	if (set_secret01(ctx, &c->admin_secret, args) != CLI_OK)
		return CLI_ERR;
	conf_set_str(&c->admin_user, cli_arg(args, "user"));
	return CLI_OK;
}

static void
ctl_service_write(struct cli_writer *w)
{
	struct credentials_conf *c = w->obj;
	struct buf line = BUF_INIT;

	if (c->admin_user == NULL)
		return;
	buf_printf(&line, "ctl-service admin %s secret ", c->admin_user);
	secret_format(w->cfg, &c->admin_secret, &line);
	cli_wline(w, "%s", buf_str(&line));
	buf_wipe(&line);
}

static int
cred_source_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct credentials_conf *c = ctx->obj;

	if (ctx->is_no) {
		conf_set_str(&c->ip, NULL);
		c->port = 2444;
		return CLI_OK;
	}
	conf_set_str(&c->ip, cli_arg(args, "ip"));
	c->port = (unsigned)cli_arg_ulong(args, "port", 2444);
	return CLI_OK;
}

static void
cred_source_write(struct cli_writer *w)
{
	const struct credentials_conf *c = w->obj;

	if (c->ip != NULL)
		cli_wline(w, "ip source-address %s port %u", c->ip, c->port);
}

static int
cred_tp_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct credentials_conf *c = ctx->obj;
	const char *tp = cli_arg(args, "tp");

	if (!tp_ref_ok(ctx, tp))
		return CLI_ERR;
	conf_set_str(&c->trustpoint, ctx->is_no ? NULL : tp);
	return CLI_OK;
}

static void
cred_tp_write(struct cli_writer *w)
{
	const struct credentials_conf *c = w->obj;

	if (c->trustpoint != NULL)
		cli_wline(w, "trustpoint %s", c->trustpoint);
}

static int
show_credentials(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct credentials_conf *c = &ctx->cfg->credentials;

	(void)args;
	if (!c->present) {
		cli_out(
		    ctx, "%% Credentials (CTL provider) are not configured");
		return CLI_OK;
	}
	cli_out(ctx, "Credentials IP: %s", c->ip ? c->ip : "");
	cli_out(ctx, "Credentials PORT: %u", c->port);
	cli_out(ctx, "Trustpoint: %s", c->trustpoint ? c->trustpoint : "");
	return CLI_OK;
}

/* ---- tables ---- */

#define PW01_HELP(what)                                                        \
	"Show the " what " unencrypted (type 0)",                              \
	    "Show the " what " type 7 encoded (the chapter's \"MD5\")",        \
	    "The " what

static const struct cli_cmd ctl_cmds[] = {
    {.syntax = "server <application|capf|cme|cme-tftp|tftp>$role "
               "A.B.C.D$ip trustpoint NAME$tp",
        .help = HELP("A server function in the CTL file",
            "Application server (HTTPS provisioning)",
            "CAPF server on this router", "Cisco Unified CME on this router",
            "Cisco Unified CME and TFTP server on this router",
            "TFTP server on this router", "IP address of the server",
            "Trustpoint of the server function", "Trustpoint label"),
        .handler = server_run,
        .write = servers_write,
        .flags = CLI_NO,
        .no_words = 3},
    {.syntax = "server cme A.B.C.D$ip username WORD$user password "
               "<0|1>$type WORD$pw",
        .help = HELP("A server function in the CTL file",
            "Another Cisco Unified CME router (its CTL provider)",
            "IP address of the other router",
            "User name configured on the CTL provider", "User name",
            "Password of the CTL provider", PW01_HELP("password")),
        .handler = remote_run,
        .write = remotes_write,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 3},
    {.syntax = "sast1 trustpoint NAME$tp",
        .help = HELP("Primary SAST (signs the CTL file)",
            "Trustpoint of the SAST1 credentials", "Trustpoint label"),
        .handler = sast_run,
        .write = sast1_write,
        .flags = CLI_NO},
    {.syntax = "sast2 trustpoint NAME$tp",
        .help = HELP("Secondary SAST (must differ from SAST1)",
            "Trustpoint of the SAST2 credentials", "Trustpoint label"),
        .handler = sast_run,
        .write = sast2_write,
        .flags = CLI_NO},
    {.syntax = "import certificate (1-100)$tag WORD$desc URL$url",
        .help = HELP("Import a certificate into the CTL file",
            "A trusted certificate (PEM) of a third-party server",
            "Tag of the certificate", "Description",
            "File in flash (flash:FILE)"),
        .handler = import_run,
        .write = imports_write,
        .flags = CLI_NO,
        .no_words = 3},
    {.syntax = "hash <sha1|sha512>",
        .help = HELP("Digest of the CTL and signed-file signatures "
                     "(extension)",
            "SHA-1 (default; every phone)", "SHA-512"),
        .handler = hash_run,
        .write = hash_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "regenerate [force]",
        .help = HELP("Create a new CTLFile.tlv now",
            "Even when no SAST of the published CTL signs it (phones "
            "must then be reset)"),
        .handler = regenerate_run,
        .flags = CLI_ACTION},
};

static struct cli_table ctl_table = CLI_TABLE(ctl_cmds);

static struct cli_table *const ctl_tables[] = {
    &cli_builtin_config, &ctl_table, NULL};

const struct cli_mode mode_ctl_client = {
    .name = "ctl-client",
    .prompt = "config-ctl-client",
    .parent = &config_mode_config,
    .tables = ctl_tables,
    .leave = ctl_leave,
    .is_config = 1,
};

/* Rows in the chapter's running-config order (the writer's order). */
static const struct cli_cmd capf_cmds[] = {
    {.syntax = "port (2000-9999)$port",
        .help = HELP("TCP port the CAPF server listens on",
            "Port number (default 3804)"),
        .handler = capf_port_run,
        .write = capf_port_write,
        .flags = CLI_NO,
        .no_words = 1},
    CLI_ENUM("auth-mode", "auth-string|lsc|mic|null-string|none",
        auth_mode_words,
        HELP("Authentication of phones in CAPF sessions",
            "Authentication string entered at the phone",
            "The phone's locally significant certificate",
            "The phone's manufacturing installed certificate",
            "No authentication", "No certificate upgrade (default)"),
        CAPF, auth_mode, CAPF_AUTH_NONE),
    {.syntax = "cert-enroll-trustpoint NAME$tp password <0|1>$type WORD$pw",
        .help = HELP("Enroll the CAPF with the CA (or RA)",
            "Trustpoint of the CA or RA", "Enrollment (revocation) password",
            PW01_HELP("password")),
        .handler = cert_enroll_run,
        .write = cert_enroll_write,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 1},
    {.syntax = "trustpoint-label NAME$tp",
        .help = HELP("Trustpoint for TLS with the phones", "Trustpoint label"),
        .handler = trustpoint_label_run,
        .write = trustpoint_label_write,
        .flags = CLI_NO,
        .no_words = 1},
    CLI_STR("source-addr", "A.B.C.D",
        HELP("IP address of the CAPF server", "IPv4 address"), CAPF,
        source_addr),
    {.syntax = "phone-key-size <512|1024|2048>$size",
        .help = HELP("RSA key size generated on the phones", "512 bits",
            "1024 bits (default)", "2048 bits"),
        .handler = key_size_run,
        .write = key_size_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "phone-key-curve <p256|p384|p521>$curve",
        .help = HELP("EC keys generated on the phones instead of RSA "
                     "(extension)",
            "NIST P-256 (secp256r1)", "NIST P-384 (secp384r1)",
            "NIST P-521 (secp521r1)"),
        .handler = key_curve_run,
        .write = key_curve_write,
        .flags = CLI_NO,
        .no_words = 1},
    CLI_UINT("keygen-retry", "(0-100)",
        HELP("Key generation requests sent to a phone",
            "Number of retries (default 3)"),
        CAPF, keygen_retry, 3),
    CLI_UINT("keygen-timeout", "(1-120)",
        HELP("Time to wait for a phone's key generation",
            "Minutes (default 30)"),
        CAPF, keygen_timeout, 30),
    {.syntax = "cert-oper <delete|fetch|upgrade>$op all",
        .help = HELP("Certificate operation on every phone",
            "Remove the phone certificates", "Retrieve the phone certificates",
            "Upgrade the phone certificates", "All phones"),
        .handler = cert_oper_run,
        .write = cert_oper_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "tls-version minimum <1.0|1.2>$ver",
        .help = HELP("TLS versions of the CAPF listener (extension)",
            "Oldest version accepted",
            "TLS 1.0 and later (old 7900-series phones; weak)",
            "TLS 1.2 and later (default)"),
        .handler = tls_min_run,
        .write = tls_min_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "auth-string <delete|generate> <all|(1-10000)$tag> "
               "[DIGITS$digits]",
        .help = HELP("Authentication strings of the phones",
            "Remove the strings", "Create the strings", "Every ephone",
            "Ephone tag", "The string (4 to 10 digits; default: random)"),
        .handler = auth_string_run,
        .flags = CLI_ACTION | CLI_SECRET},
};

static struct cli_table capf_table = CLI_TABLE(capf_cmds);

static struct cli_table *const capf_tables[] = {
    &cli_builtin_config, &capf_table, NULL};

const struct cli_mode mode_capf_server = {
    .name = "capf-server",
    .prompt = "config-capf-server",
    .parent = &config_mode_config,
    .tables = capf_tables,
    .leave = capf_leave,
    .is_config = 1,
};

static const struct cli_cmd cred_cmds[] = {
    {.syntax = "ctl-service admin WORD$user secret <0|1>$type WORD$pw",
        .help = HELP("CTL protocol service", "Administrator of the service",
            "User name the CTL client authenticates with",
            "Password of the user", PW01_HELP("secret")),
        .handler = ctl_service_run,
        .write = ctl_service_write,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 2},
    {.syntax = "ip source-address A.B.C.D$ip [port (1-65535)$port]",
        .help = HELP("IP settings", "Address of this CTL provider",
            "IPv4 address", "TCP port of the credentials service",
            "Port number (default 2444)"),
        .handler = cred_source_run,
        .write = cred_source_write,
        .flags = CLI_NO,
        .no_words = 2},
    {.syntax = "trustpoint NAME$tp",
        .help =
            HELP("Trustpoint for TLS with the CTL client", "Trustpoint label"),
        .handler = cred_tp_run,
        .write = cred_tp_write,
        .flags = CLI_NO,
        .no_words = 1},
};

static struct cli_table cred_table = CLI_TABLE(cred_cmds);

static struct cli_table *const cred_tables[] = {
    &cli_builtin_config, &cred_table, NULL};

const struct cli_mode mode_credentials = {
    .name = "credentials",
    .prompt = "config-credentials",
    .parent = &config_mode_config,
    .tables = cred_tables,
    .leave = cred_leave,
    .is_config = 1,
};

static const struct cli_cmd security_cfg_cmds[] = {
    {.syntax = "ctl-client",
        .help = HELP("Enter CTL-client configuration mode"),
        .handler = ctl_enter,
        .write = ctl_write,
        .flags = CLI_NO},
    {.syntax = "capf-server",
        .help = HELP("Enter CAPF-server configuration mode"),
        .handler = capf_enter,
        .write = capf_write,
        .flags = CLI_NO},
    {.syntax = "credentials",
        .help = HELP("Enter credentials (CTL provider) configuration mode"),
        .handler = cred_enter,
        .write = cred_write,
        .flags = CLI_NO},
};

static const struct cli_cmd security_exec_cmds[] = {
    {.syntax = "show ctl-client",
        .help = HELP("Show running system information",
            "CTL client and the servers of the CTL file"),
        .handler = show_ctl_client,
        .flags = CLI_ACTION},
    {.syntax = "show capf-server summary",
        .help = HELP("Show running system information", "CAPF server",
            "CAPF server settings"),
        .handler = show_capf_summary,
        .flags = CLI_ACTION},
    {.syntax = "show capf-server auth-string",
        .help = HELP("Show running system information", "CAPF server",
            "Authentication strings of the ephones"),
        .handler = show_capf_auth_strings,
        .flags = CLI_ACTION},
    {.syntax = "show credentials",
        .help =
            HELP("Show running system information", "CTL provider settings"),
        .handler = show_credentials,
        .flags = CLI_ACTION},
};

struct cli_table security_cfg = CLI_TABLE(security_cfg_cmds);
struct cli_table security_exec = CLI_TABLE(security_exec_cmds);
