/*
 * ephone-template, ephone-dn and ephone: the SCCP phones, their directory
 * numbers and templates (chapter "Configure Ephone Security Parameters"),
 * their running-config writers and `show ephone`.
 *
 * Running-config order follows IOS: every ephone-template, then every
 * ephone-dn, then every ephone, each block in ascending tag order and
 * followed by "!".  IOS writes "ephone  1", "ephone-dn  1  dual-line",
 * "ephone-template  1" and "button  1:2 8:8" with two spaces; so do we.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/modes.h"

const char *const cert_oper_words[] = {"delete", "fetch", "upgrade", NULL};
const char *const capf_auth_words[] = {
    "auth-string", "LSC", "MIC", "null-string", "none", NULL};
const char *const ephone_codec_words[] = {
    "g711ulaw", "g722r64", "g729r8", "g711alaw", NULL};

#define BUTTON_MAX 100 /* highest button number */
#define OVERLAY_MAX 25 /* ephone-dns on one overlay button */
#define DN_TAG_MAX 15000 /* as ephone-dn (1-15000) */
#define AUTH_STR_MIN 4
#define AUTH_STR_MAX 10

static struct ephone_live_ops live_ops;

void
ephone_set_live_ops(const struct ephone_live_ops *ops)
{
	if (ops == NULL || ops->describe == NULL)
		memset(&live_ops, 0, sizeof(live_ops));
	else
		live_ops = *ops;
}

/* ---- the tree ---- */

void
ephone_conf_init(struct config *cfg)
{
	TAILQ_INIT(&cfg->ephones);
	TAILQ_INIT(&cfg->ephone_dns);
	TAILQ_INIT(&cfg->ephone_templates);
}

static void
buttons_free(struct ephone_button *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(b[i].dns);
	free(b);
}

static void
ephone_free(struct ephone *e)
{
	free(e->type);
	free(e->addon);
	buttons_free(e->buttons, e->nbuttons);
	free(e->capf_auth_str);
	free(e->username);
	secret_release(&e->password);
	free(e);
}

static void
dn_free(struct ephone_dn *d)
{
	free(d->number);
	free(d->secondary);
	free(d->name);
	free(d->cfwd_noan);
	free(d->cfwd_busy);
	free(d->cfwd_all);
	free(d);
}

void
ephone_conf_free(struct config *cfg)
{
	struct ephone *e;
	struct ephone_dn *d;
	struct ephone_template *t;

	while ((e = TAILQ_FIRST(&cfg->ephones)) != NULL) {
		TAILQ_REMOVE(&cfg->ephones, e, entry);
		ephone_free(e);
	}
	while ((d = TAILQ_FIRST(&cfg->ephone_dns)) != NULL) {
		TAILQ_REMOVE(&cfg->ephone_dns, d, entry);
		dn_free(d);
	}
	while ((t = TAILQ_FIRST(&cfg->ephone_templates)) != NULL) {
		TAILQ_REMOVE(&cfg->ephone_templates, t, entry);
		free(t);
	}
}

struct ephone *
ephone_find(struct config *cfg, unsigned tag)
{
	struct ephone *e;

	for (e = TAILQ_FIRST(&cfg->ephones); e != NULL;
	     e = TAILQ_NEXT(e, entry))
		if (e->tag == tag)
			return e;
	return NULL;
}

/* "0012.4302.a7cc" or "00124302a7cc" -> "00124302A7CC"; -1 if neither. */
static int
mac_normalize(const char *in, char out[13])
{
	size_t len = strlen(in), n = 0;

	if (len != 12 && !(len == 14 && in[4] == '.' && in[9] == '.'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (len == 14 && (i == 4 || i == 9))
			continue;
		if (!isxdigit((unsigned char)in[i]))
			return -1;
		out[n++] = (char)toupper((unsigned char)in[i]);
	}
	out[n] = '\0';
	return 0;
}

struct ephone *
ephone_find_mac(struct config *cfg, const char *mac12)
{
	char mac[13];
	struct ephone *e;

	if (mac12 == NULL || mac_normalize(mac12, mac) != 0)
		return NULL;
	for (e = TAILQ_FIRST(&cfg->ephones); e != NULL;
	     e = TAILQ_NEXT(e, entry))
		if (strcmp(e->mac, mac) == 0)
			return e;
	return NULL;
}

struct ephone_dn *
ephone_dn_find(struct config *cfg, unsigned tag)
{
	struct ephone_dn *d;

	for (d = TAILQ_FIRST(&cfg->ephone_dns); d != NULL;
	     d = TAILQ_NEXT(d, entry))
		if (d->tag == tag)
			return d;
	return NULL;
}

struct ephone_template *
ephone_template_find(struct config *cfg, unsigned tag)
{
	struct ephone_template *t;

	for (t = TAILQ_FIRST(&cfg->ephone_templates); t != NULL;
	     t = TAILQ_NEXT(t, entry))
		if (t->tag == tag)
			return t;
	return NULL;
}

int
ephone_effective_dsm(struct config *cfg, const struct ephone *e)
{
	const struct ephone_template *t;

	if (e->device_security_mode != DSM_UNSET)
		return e->device_security_mode;
	if (e->template_tag != 0 &&
	    (t = ephone_template_find(cfg, e->template_tag)) != NULL &&
	    t->device_security_mode != DSM_UNSET)
		return t->device_security_mode;
	return cfg->tel.device_security_mode;
}

/* Insert in ascending tag order (the running-config order). */
static struct ephone *
ephone_new(struct config *cfg, unsigned tag)
{
	struct ephone *e = xcalloc(1, sizeof(*e)), *it;

	e->tag = tag;
	e->device_security_mode = DSM_UNSET;
	e->cert_oper = CERT_OPER_NONE;
	e->capf_global_done = CERT_OPER_NONE;
	e->cert_oper_auth = CAPF_AUTH_UNSET;
	e->codec = CODEC_UNSET;
	secret_init(cfg, &e->password, SECRET_06);
	for (it = TAILQ_FIRST(&cfg->ephones); it != NULL;
	     it = TAILQ_NEXT(it, entry))
		if (it->tag > tag) {
			TAILQ_INSERT_BEFORE(it, e, entry);
			return e;
		}
	TAILQ_INSERT_TAIL(&cfg->ephones, e, entry);
	return e;
}

/* 1 when some ephone's button shows ephone-dn tag. */
static int
dn_on_a_button(struct config *cfg, unsigned tag)
{
	struct ephone *e;

	TAILQ_FOREACH (e, &cfg->ephones, entry)
		for (unsigned i = 0; i < e->nbuttons; i++) {
			const char *p = e->buttons[i].dns;

			if (e->buttons[i].kind == 'x' || p == NULL)
				continue;
			while (*p != '\0') {
				char *end;
				unsigned long v = strtoul(p, &end, 10);

				if (end == p)
					break;
				if (v == tag)
					return 1;
				p = *end == ',' ? end + 1 : end;
			}
		}
	return 0;
}

struct ephone *
ephone_auto_add(struct config *cfg, const char *mac12, unsigned max_tag)
{
	char mac[13];
	unsigned tag;
	struct ephone *e;

	if (mac12 == NULL || mac_normalize(mac12, mac) != 0 ||
	    ephone_find_mac(cfg, mac) != NULL)
		return NULL;
	for (tag = 1; tag <= max_tag && ephone_find(cfg, tag) != NULL; tag++)
		;
	if (tag > max_tag)
		return NULL;
	e = ephone_new(cfg, tag);
	snprintf(e->mac, sizeof(e->mac), "%s", mac);
	/* auto assign FIRST to LAST: the lowest configured ephone-dn of the
	 * range that no button shows yet becomes line 1. */
	for (unsigned t = cfg->tel.auto_assign_first;
	     t != 0 && t <= cfg->tel.auto_assign_last; t++) {
		char dns[16];

		if (ephone_dn_find(cfg, t) == NULL || dn_on_a_button(cfg, t))
			continue;
		snprintf(dns, sizeof(dns), "%u", t);
		e->buttons = xcalloc(1, sizeof(*e->buttons));
		e->buttons[0].index = 1;
		e->buttons[0].kind = ':';
		e->buttons[0].dns = xstrdup(dns);
		e->nbuttons = 1;
		break;
	}
	return e;
}

static struct ephone_dn *
dn_new(struct config *cfg, unsigned tag)
{
	struct ephone_dn *d = xcalloc(1, sizeof(*d)), *it;

	d->tag = tag;
	for (it = TAILQ_FIRST(&cfg->ephone_dns); it != NULL;
	     it = TAILQ_NEXT(it, entry))
		if (it->tag > tag) {
			TAILQ_INSERT_BEFORE(it, d, entry);
			return d;
		}
	TAILQ_INSERT_TAIL(&cfg->ephone_dns, d, entry);
	return d;
}

static struct ephone_template *
template_new(struct config *cfg, unsigned tag)
{
	struct ephone_template *t = xcalloc(1, sizeof(*t)), *it;

	t->tag = tag;
	t->device_security_mode = DSM_UNSET;
	for (it = TAILQ_FIRST(&cfg->ephone_templates); it != NULL;
	     it = TAILQ_NEXT(it, entry))
		if (it->tag > tag) {
			TAILQ_INSERT_BEFORE(it, t, entry);
			return t;
		}
	TAILQ_INSERT_TAIL(&cfg->ephone_templates, t, entry);
	return t;
}

static int
word_index(const char *const *words, const char *value)
{
	for (int i = 0; value != NULL && words[i] != NULL; i++)
		if (strcasecmp(words[i], value) == 0)
			return i;
	return -1;
}

/* ---- ephone-template ---- */

static int
template_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct config *cfg = ctx->cfg;
	unsigned tag = (unsigned)cli_arg_ulong(args, "tag", 0);
	struct ephone_template *t = ephone_template_find(cfg, tag);
	struct ephone *e;

	if (ctx->is_no) {
		if (t == NULL) {
			cli_out(ctx, "%% ephone-template %u is not configured",
			    tag);
			return CLI_ERR;
		}
		for (e = TAILQ_FIRST(&cfg->ephones); e != NULL;
		     e = TAILQ_NEXT(e, entry)) {
			if (e->template_tag != tag)
				continue;
			e->template_tag = 0;
			cli_out(ctx,
			    "%% ephone-template %u removed from ephone %u", tag,
			    e->tag);
		}
		TAILQ_REMOVE(&cfg->ephone_templates, t, entry);
		config_object_deleted(cfg, t);
		free(t);
		config_changed(cfg, "ephone-template");
		return CLI_OK;
	}
	if (t == NULL)
		t = template_new(cfg, tag);
	ctx->next_mode = &mode_ephone_template;
	ctx->next_obj = t;
	return CLI_OK;
}

static void
templates_write(struct cli_writer *w)
{
	struct ephone_template *t;

	for (t = TAILQ_FIRST(&w->cfg->ephone_templates); t != NULL;
	     t = TAILQ_NEXT(t, entry)) {
		cli_wline(w, "ephone-template  %u", t->tag);
		w->indent++;
		cli_write_mode(w, &mode_ephone_template, t);
		w->indent--;
		conf_write_bang(w);
	}
}

static void
template_leave(struct cli_ctx *ctx)
{
	config_changed(ctx->cfg, "ephone-template");
}

/* ---- ephone-dn ---- */

static unsigned
count_dns(struct config *cfg)
{
	struct ephone_dn *d;
	unsigned n = 0;

	for (d = TAILQ_FIRST(&cfg->ephone_dns); d != NULL;
	     d = TAILQ_NEXT(d, entry))
		n++;
	return n;
}

static int
dn_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct config *cfg = ctx->cfg;
	unsigned tag = (unsigned)cli_arg_ulong(args, "tag", 0);
	struct ephone_dn *d = ephone_dn_find(cfg, tag);

	if (ctx->is_no) {
		if (d == NULL) {
			cli_out(ctx, "%% ephone-dn %u is not configured", tag);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&cfg->ephone_dns, d, entry);
		config_object_deleted(cfg, d);
		dn_free(d);
		config_changed(cfg, "ephone-dn");
		return CLI_OK;
	}
	if (d == NULL) {
		/* A saved configuration may list the limit after the objects
		 * (or lower it later): the limit binds what is typed. */
		if (!ctx->is_loading && cfg->tel.max_dn != 0 &&
		    count_dns(cfg) >= cfg->tel.max_dn) {
			cli_out(ctx,
			    "%% Cannot create ephone-dn %u: max-dn is %u "
			    "(telephony-service)",
			    tag, cfg->tel.max_dn);
			return CLI_ERR;
		}
		d = dn_new(cfg, tag);
	}
	/* A single-line DN can become dual-line, not the reverse: typing
	 * "ephone-dn N" just enters an existing DN as it is. */
	if (cli_has(args, "dual-line"))
		d->dual_line = 1;
	ctx->next_mode = &mode_ephone_dn;
	ctx->next_obj = d;
	return CLI_OK;
}

static void
dns_write(struct cli_writer *w)
{
	struct ephone_dn *d;

	for (d = TAILQ_FIRST(&w->cfg->ephone_dns); d != NULL;
	     d = TAILQ_NEXT(d, entry)) {
		cli_wline(w, "ephone-dn  %u%s", d->tag,
		    d->dual_line ? "  dual-line" : "");
		w->indent++;
		cli_write_mode(w, &mode_ephone_dn, d);
		w->indent--;
		conf_write_bang(w);
	}
}

static void
dn_leave(struct cli_ctx *ctx)
{
	config_changed(ctx->cfg, "ephone-dn");
}

/* Dialable digits: 0-9 . + * # */
static int
check_number(struct cli_ctx *ctx, const char *what, const char *num)
{
	if (*num == '\0' || strlen(num) > 32 ||
	    strspn(num, "0123456789.+*#") != strlen(num)) {
		cli_out(ctx,
		    "%% Invalid %s \"%s\": only digits, '.', '+', '*' "
		    "and '#' (up to 32)",
		    what, num);
		return -1;
	}
	return 0;
}

static int
number_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone_dn *d = ctx->obj;
	const char *num = cli_arg(args, "num");
	const char *sec = cli_arg(args, "sec");

	if (ctx->is_no) {
		conf_set_str(&d->number, NULL);
		conf_set_str(&d->secondary, NULL);
		return CLI_OK;
	}
	if (check_number(ctx, "number", num) != 0 ||
	    (sec != NULL && check_number(ctx, "secondary number", sec) != 0))
		return CLI_ERR;
	conf_set_str(&d->number, num);
	conf_set_str(&d->secondary, sec);
	return CLI_OK;
}

static void
number_write(struct cli_writer *w)
{
	const struct ephone_dn *d = w->obj;

	if (d->number == NULL)
		return;
	if (d->secondary != NULL)
		cli_wline(w, "number %s secondary %s", d->number, d->secondary);
	else
		cli_wline(w, "number %s", d->number);
}

static int
name_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone_dn *d = ctx->obj;

	conf_set_str(&d->name, ctx->is_no ? NULL : cli_arg(args, "name"));
	return CLI_OK;
}

static void
name_write(struct cli_writer *w)
{
	const struct ephone_dn *d = w->obj;

	if (d->name != NULL)
		cli_wline(w, "name %s", d->name);
}

static int
cfwd_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone_dn *d = ctx->obj;
	const char *num = cli_arg(args, "num");
	char **field = &d->cfwd_noan;

	if (cli_has(args, "all"))
		field = &d->cfwd_all;
	else if (cli_has(args, "busy"))
		field = &d->cfwd_busy;
	if (ctx->is_no) {
		conf_set_str(field, NULL);
		if (field == &d->cfwd_noan)
			d->cfwd_noan_timeout = 0;
		return CLI_OK;
	}
	if (check_number(ctx, "call-forward number", num) != 0)
		return CLI_ERR;
	conf_set_str(field, num);
	if (field == &d->cfwd_noan)
		d->cfwd_noan_timeout = (unsigned)cli_arg_ulong(args, "t", 0);
	return CLI_OK;
}

static void
cfwd_write(struct cli_writer *w)
{
	const struct ephone_dn *d = w->obj;

	if (d->cfwd_all != NULL)
		cli_wline(w, "call-forward all %s", d->cfwd_all);
	if (d->cfwd_busy != NULL)
		cli_wline(w, "call-forward busy %s", d->cfwd_busy);
	if (d->cfwd_noan != NULL)
		cli_wline(w, "call-forward noan %s timeout %u", d->cfwd_noan,
		    d->cfwd_noan_timeout);
}

/* ---- ephone: entering, deleting ---- */

static unsigned
count_ephones(struct config *cfg)
{
	struct ephone *e;
	unsigned n = 0;

	for (e = TAILQ_FIRST(&cfg->ephones); e != NULL;
	     e = TAILQ_NEXT(e, entry))
		n++;
	return n;
}

static int
ephone_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct config *cfg = ctx->cfg;
	unsigned tag = (unsigned)cli_arg_ulong(args, "tag", 0);
	struct ephone *e = ephone_find(cfg, tag);

	if (ctx->is_no) {
		if (e == NULL) {
			cli_out(ctx, "%% ephone %u is not configured", tag);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&cfg->ephones, e, entry);
		config_object_deleted(cfg, e);
		ephone_free(e);
		config_changed(cfg, "ephone");
		return CLI_OK;
	}
	if (e == NULL) {
		if (!ctx->is_loading && cfg->tel.max_ephones != 0 &&
		    count_ephones(cfg) >= cfg->tel.max_ephones) {
			cli_out(ctx,
			    "%% Cannot create ephone %u: max-ephones is %u "
			    "(telephony-service)",
			    tag, cfg->tel.max_ephones);
			return CLI_ERR;
		}
		e = ephone_new(cfg, tag);
	}
	ctx->next_mode = &mode_ephone;
	ctx->next_obj = e;
	return CLI_OK;
}

/*
 * "ephone N" typed inside ephone mode.  Without this row the word
 * "ephone" would be taken as an abbreviation of the ephone-mode command
 * "ephone-template" (and "ephone 2" would apply template 2 to the phone
 * being configured).  It leaves the current phone first, as a command of
 * the enclosing mode does.
 */
static int
ephone_reenter(struct cli_ctx *ctx, const struct cli_args *args)
{
	cli_pop_mode(ctx);
	ctx->obj = ctx->cfg;
	return ephone_enter(ctx, args);
}

static void
ephones_write(struct cli_writer *w)
{
	struct ephone *e;

	for (e = TAILQ_FIRST(&w->cfg->ephones); e != NULL;
	     e = TAILQ_NEXT(e, entry)) {
		cli_wline(w, "ephone  %u", e->tag);
		w->indent++;
		cli_write_mode(w, &mode_ephone, e);
		w->indent--;
		conf_write_bang(w);
	}
}

static void
ephone_changed(struct cli_ctx *ctx)
{
	config_changed(ctx->cfg, "ephone");
}

/* ---- ephone: security parameters ---- */

static int
capf_ip_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;

	(void)args;
	e->capf_ip_in_cnf = !ctx->is_no;
	ephone_changed(ctx);
	return CLI_OK;
}

static void
capf_ip_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;

	if (e->capf_ip_in_cnf)
		cli_wline(w, "capf-ip-in-cnf");
	else if (w->all)
		cli_wline(w, "no capf-ip-in-cnf");
}

static int
dsm_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	int mode = word_index(dsm_words, cli_arg(args, "mode"));

	if (!ctx->is_no && mode < 0) {
		cli_out(ctx, "%% Invalid device-security-mode");
		return CLI_ERR;
	}
	e->device_security_mode = ctx->is_no ? DSM_UNSET : mode;
	ephone_changed(ctx);
	return CLI_OK;
}

static void
dsm_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;

	if (e->device_security_mode != DSM_UNSET)
		cli_wline(w, "device-security-mode %s",
		    dsm_words[e->device_security_mode]);
}

static int
capf_auth_str_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	const char *s = cli_arg(args, "str");
	size_t len;

	if (ctx->is_no) {
		conf_set_str(&e->capf_auth_str, NULL);
		ephone_changed(ctx);
		return CLI_OK;
	}
	len = strlen(s);
	if (len < AUTH_STR_MIN || len > AUTH_STR_MAX ||
	    strspn(s, "0123456789") != len) {
		cli_out(ctx,
		    "%% Invalid capf-auth-str: %d to %d digits required",
		    AUTH_STR_MIN, AUTH_STR_MAX);
		return CLI_ERR;
	}
	conf_set_str(&e->capf_auth_str, s);
	ephone_changed(ctx);
	return CLI_OK;
}

static void
capf_auth_str_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;

	if (e->capf_auth_str != NULL)
		cli_wline(w, "capf-auth-str %s", e->capf_auth_str);
}

static int
cert_oper_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	int op = word_index(cert_oper_words, cli_arg(args, "op"));
	int auth = word_index(capf_auth_words, cli_arg(args, "auth"));

	if (ctx->is_no) {
		e->cert_oper = CERT_OPER_NONE;
		e->cert_oper_auth = CAPF_AUTH_UNSET;
		ephone_changed(ctx);
		return CLI_OK;
	}
	if (op < 0 || auth < 0 || auth == CAPF_AUTH_NONE) {
		cli_out(ctx, "%% Invalid cert-oper");
		return CLI_ERR;
	}
	e->cert_oper = op;
	e->cert_oper_auth = auth;
	ephone_changed(ctx);
	return CLI_OK;
}

static void
cert_oper_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;

	if (e->cert_oper != CERT_OPER_NONE && e->cert_oper_auth >= 0)
		cli_wline(w, "cert-oper %s auth-mode %s",
		    cert_oper_words[e->cert_oper],
		    capf_auth_words[e->cert_oper_auth]);
}

/* ---- ephone: identity ---- */

static int
mac_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	const char *typed = cli_arg(args, "mac");
	struct ephone *other;
	char mac[13];

	if (ctx->is_no) {
		e->mac[0] = '\0';
		ephone_changed(ctx);
		return CLI_OK;
	}
	if (mac_normalize(typed, mac) != 0) {
		cli_out(ctx, "%% Invalid MAC address %s", typed);
		return CLI_ERR;
	}
	/* The group bit is the low bit of the first octet. */
	if (strcmp(mac, "000000000000") == 0 ||
	    strchr("13579BDF", mac[1]) != NULL) {
		cli_out(ctx,
		    "%% Invalid MAC address %s: not a phone's (unicast) address",
		    typed);
		return CLI_ERR;
	}
	other = ephone_find_mac(ctx->cfg, mac);
	if (other != NULL && other != e) {
		cli_out(ctx,
		    "%% MAC address %.4s.%.4s.%.4s is already used by ephone %u",
		    mac, mac + 4, mac + 8, other->tag);
		return CLI_ERR;
	}
	memcpy(e->mac, mac, sizeof(e->mac));
	ephone_changed(ctx);
	return CLI_OK;
}

static void
mac_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;

	if (e->mac[0] != '\0')
		cli_wline(w, "mac-address %.4s.%.4s.%.4s", e->mac, e->mac + 4,
		    e->mac + 8);
}

static int
template_ref_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	unsigned tag = (unsigned)cli_arg_ulong(args, "tag", 0);

	if (ctx->is_no) {
		e->template_tag = 0;
		ephone_changed(ctx);
		return CLI_OK;
	}
	/* A startup-config may name a template defined further down. */
	if (!ctx->is_loading && ephone_template_find(ctx->cfg, tag) == NULL) {
		cli_out(ctx, "%% ephone-template %u is not configured", tag);
		return CLI_ERR;
	}
	e->template_tag = tag;
	ephone_changed(ctx);
	return CLI_OK;
}

static void
template_ref_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;

	if (e->template_tag != 0)
		cli_wline(w, "ephone-template %u", e->template_tag);
}

/* IOS prints the name quoted (username "jdoe" password ...). */
static char *
unquote(const char *s)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
		return strndup(s + 1, len - 2);
	return xstrdup(s);
}

static int
username_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	const char *pw = cli_arg(args, "pw");
	struct secret tmp;
	char *name;

	if (ctx->is_no) {
		conf_set_str(&e->username, NULL);
		secret_release(&e->password);
		secret_init(ctx->cfg, &e->password, SECRET_06);
		ephone_changed(ctx);
		return CLI_OK;
	}
	name = unquote(cli_arg(args, "user"));
	if (name == NULL)
		abort();
	if (*name == '\0' || strchr(name, '"') != NULL) {
		cli_out(ctx, "%% Invalid user name");
		free(name);
		return CLI_ERR;
	}
	/* Validate into a temporary so a rejected password changes nothing. */
	secret_init(ctx->cfg, &tmp, SECRET_06);
	if (pw != NULL &&
	    secret_set(ctx, &tmp, cli_arg(args, "type"), pw, POLICY_CME) !=
	        CLI_OK) {
		secret_release(&tmp);
		free(name);
		return CLI_ERR;
	}
	free(e->username);
	e->username = name;
	secret_release(&e->password);
	secret_init(ctx->cfg, &e->password, SECRET_06);
	e->password.plain = tmp.plain;
	e->password.enc = tmp.enc;
	e->password.show_type = tmp.show_type;
	tmp.plain = tmp.enc = NULL;
	secret_release(&tmp);
	ephone_changed(ctx);
	return CLI_OK;
}

static void
username_write(struct cli_writer *w)
{
	struct ephone *e = w->obj;
	struct buf line = BUF_INIT;

	if (e->username == NULL)
		return;
	buf_printf(&line, "username %s", e->username);
	if (secret_is_set(&e->password)) {
		buf_puts(&line, " password ");
		secret_format(w->cfg, &e->password, &line);
	}
	cli_wline(w, "%s", buf_str(&line));
	buf_wipe(&line);
}

static int
codec_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	int codec = word_index(ephone_codec_words, cli_arg(args, "codec"));

	if (ctx->is_no) {
		e->codec = CODEC_UNSET;
		e->dspfarm_assist = 0;
		ephone_changed(ctx);
		return CLI_OK;
	}
	if (codec < 0) {
		cli_out(ctx, "%% Invalid codec");
		return CLI_ERR;
	}
	e->codec = codec;
	e->dspfarm_assist = cli_has(args, "dspfarm-assist");
	ephone_changed(ctx);
	return CLI_OK;
}

static void
codec_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;

	if (e->codec != CODEC_UNSET)
		cli_wline(w, "codec %s%s", ephone_codec_words[e->codec],
		    e->dspfarm_assist ? " dspfarm-assist" : "");
}

/* Phone and add-on module types: 7960, 7941GE, CIPC, ata, 7914 ... */
static int
check_type(struct cli_ctx *ctx, const char *t)
{
	for (const char *p = t; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p)) {
			cli_out(ctx, "%% Invalid phone type %s", t);
			return -1;
		}
	if (strlen(t) > 32) {
		cli_out(ctx, "%% Invalid phone type %s", t);
		return -1;
	}
	return 0;
}

static int
type_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	const char *type = cli_arg(args, "type");
	const char *m1 = cli_arg(args, "m1"), *m2 = cli_arg(args, "m2");
	unsigned long n1 = cli_arg_ulong(args, "n1", 0);
	unsigned long n2 = cli_arg_ulong(args, "n2", 0);
	struct buf addon = BUF_INIT;

	if (ctx->is_no) {
		conf_set_str(&e->type, NULL);
		conf_set_str(&e->addon, NULL);
		ephone_changed(ctx);
		return CLI_OK;
	}
	if (check_type(ctx, type) != 0 ||
	    (m1 != NULL && check_type(ctx, m1) != 0) ||
	    (m2 != NULL && check_type(ctx, m2) != 0))
		return CLI_ERR;
	if (m2 != NULL && n2 == n1) {
		cli_out(ctx, "%% Add-on module %lu is given twice", n1);
		return CLI_ERR;
	}
	conf_set_str(&e->type, type);
	if (m1 != NULL) {
		buf_printf(&addon, "%lu %s", n1, m1);
		if (m2 != NULL)
			buf_printf(&addon, " %lu %s", n2, m2);
		free(e->addon);
		e->addon = buf_steal(&addon);
	} else {
		conf_set_str(&e->addon, NULL);
	}
	ephone_changed(ctx);
	return CLI_OK;
}

static void
type_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;

	if (e->type == NULL)
		return;
	if (e->addon != NULL)
		cli_wline(w, "type %s addon %s", e->type, e->addon);
	else
		cli_wline(w, "type %s", e->type);
}

/* ---- ephone: button ---- */

/*
 * One item of a button command: INDEX SEP TAG[,TAG...], for instance
 * "1:2", "1s3", "2o4,5,6", "3x2".  Writes the reason to why on error.
 */
static int
button_parse_item(const char *item, struct ephone_button *b, struct buf *why)
{
	const char *p = item;
	struct buf dns = BUF_INIT;
	unsigned long idx, v;
	char *end;
	int n = 0, sep;

	if (!isdigit((unsigned char)*p)) {
		buf_puts(why, "a button number must come first");
		return -1;
	}
	idx = strtoul(p, &end, 10);
	if (end - p > 3 || idx < 1 || idx > BUTTON_MAX) {
		buf_printf(why, "button number out of range 1-%d", BUTTON_MAX);
		return -1;
	}
	sep = tolower((unsigned char)*end);
	if (sep == '\0' || strchr(":sbfmwocx", sep) == NULL) {
		buf_puts(why,
		    "the separator after the button number must be one of : s b f m w o c x");
		return -1;
	}
	p = end + 1;
	for (;;) {
		unsigned long max = sep == 'x' ? BUTTON_MAX : DN_TAG_MAX;

		if (!isdigit((unsigned char)*p)) {
			if (sep == 'x')
				buf_puts(
				    why, "a button number must follow 'x'");
			else
				buf_puts(why,
				    "an ephone-dn tag must follow the separator");
			buf_free(&dns);
			return -1;
		}
		v = strtoul(p, &end, 10);
		if (end - p > 5 || v < 1 || v > max) {
			buf_printf(why, "%s out of range 1-%lu",
			    sep == 'x' ? "button number" : "ephone-dn tag",
			    max);
			buf_free(&dns);
			return -1;
		}
		buf_printf(&dns, "%s%lu", n ? "," : "", v);
		n++;
		p = end;
		if (*p == '\0')
			break;
		if (*p != ',' || (sep != 'o' && sep != 'c')) {
			if (*p == ',')
				buf_puts(why,
				    "only overlay buttons (o, c) take a list of ephone-dns");
			else
				buf_puts(why, "ephone-dn tags are numbers");
			buf_free(&dns);
			return -1;
		}
		p++;
	}
	if (n > OVERLAY_MAX) {
		buf_printf(why, "at most %d ephone-dns on an overlay button",
		    OVERLAY_MAX);
		buf_free(&dns);
		return -1;
	}
	b->index = (unsigned)idx;
	b->kind = (char)sep;
	b->dns = buf_steal(&dns);
	return 0;
}

/* Parse a whole spec into a new array; -1 (message printed) on error. */
static int
button_parse(struct cli_ctx *ctx, const char *spec, struct ephone_button **out,
    unsigned *nout)
{
	struct ephone_button *v = NULL;
	unsigned n = 0;
	char *copy = xstrdup(spec), *save = NULL, *item;
	struct buf why = BUF_INIT;
	int rc = 0;

	for (item = strtok_r(copy, " \t", &save); item != NULL;
	     item = strtok_r(NULL, " \t", &save)) {
		struct ephone_button b;

		if (button_parse_item(item, &b, &why) != 0) {
			cli_out(ctx, "%% Invalid button \"%s\": %s", item,
			    buf_str(&why));
			rc = -1;
			break;
		}
		for (unsigned i = 0; i < n; i++)
			if (v[i].index == b.index) {
				cli_out(ctx,
				    "%% Invalid button \"%s\": button %u is "
				    "given twice",
				    item, b.index);
				free(b.dns);
				rc = -1;
				break;
			}
		if (rc != 0)
			break;
		v = realloc(v, sizeof(*v) * (n + 1));
		if (v == NULL)
			abort();
		v[n++] = b;
	}
	if (rc == 0 && n == 0) {
		cli_out(ctx, "%% Invalid button: no button given");
		rc = -1;
	}
	free(copy);
	buf_free(&why);
	if (rc != 0) {
		buttons_free(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

static int
button_cmp(const void *a, const void *b)
{
	const struct ephone_button *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static const struct ephone_button *
button_at(const struct ephone_button *v, unsigned n, unsigned index)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i].index == index)
			return &v[i];
	return NULL;
}

/*
 * "button" adds to or replaces the buttons it names (IOS merges the
 * button commands of a phone); "no button" removes the buttons it names,
 * or all of them.
 */
static int
button_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;
	const char *spec = cli_arg(args, "spec");
	struct ephone_button *nv = NULL, *merged;
	unsigned nn = 0, nm = 0;

	if (ctx->is_no && spec == NULL) {
		buttons_free(e->buttons, e->nbuttons);
		e->buttons = NULL;
		e->nbuttons = 0;
		ephone_changed(ctx);
		return CLI_OK;
	}
	if (button_parse(ctx, spec, &nv, &nn) != 0)
		return CLI_ERR;
	if (ctx->is_no) {
		for (unsigned i = 0; i < nn; i++)
			if (button_at(e->buttons, e->nbuttons, nv[i].index) ==
			    NULL) {
				cli_out(ctx, "%% Button %u is not configured",
				    nv[i].index);
				buttons_free(nv, nn);
				return CLI_ERR;
			}
	}
	merged = xcalloc(e->nbuttons + nn + 1, sizeof(*merged));
	for (unsigned i = 0; i < e->nbuttons; i++)
		if (button_at(nv, nn, e->buttons[i].index) == NULL) {
			merged[nm] = e->buttons[i];
			merged[nm++].dns = xstrdup(e->buttons[i].dns);
		}
	if (!ctx->is_no)
		for (unsigned i = 0; i < nn; i++) {
			merged[nm] = nv[i];
			merged[nm++].dns = xstrdup(nv[i].dns);
		}
	buttons_free(nv, nn);
	qsort(merged, nm, sizeof(*merged), button_cmp);
	/* An overflow button ('x') expands an overlay button of the phone. */
	for (unsigned i = 0; i < nm; i++) {
		const struct ephone_button *t;

		if (merged[i].kind != 'x')
			continue;
		t = button_at(
		    merged, nm, (unsigned)strtoul(merged[i].dns, NULL, 10));
		if (t == NULL || (t->kind != 'o' && t->kind != 'c')) {
			cli_out(ctx,
			    "%% Invalid button \"%ux%s\": button %s is not "
			    "an overlay button (o or c)",
			    merged[i].index, merged[i].dns, merged[i].dns);
			buttons_free(merged, nm);
			return CLI_ERR;
		}
	}
	buttons_free(e->buttons, e->nbuttons);
	e->buttons = merged;
	e->nbuttons = nm;
	ephone_changed(ctx);
	return CLI_OK;
}

static void
button_write(struct cli_writer *w)
{
	const struct ephone *e = w->obj;
	struct buf line = BUF_INIT;

	if (e->nbuttons == 0)
		return;
	/* IOS: "button  1:2 8:8" (two spaces after the keyword). */
	buf_puts(&line, "button ");
	for (unsigned i = 0; i < e->nbuttons; i++)
		buf_printf(&line, " %u%c%s", e->buttons[i].index,
		    e->buttons[i].kind, e->buttons[i].dns);
	cli_wline(w, "%s", buf_str(&line));
	buf_free(&line);
}

static int
reset_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone *e = ctx->obj;

	(void)args;
	e->reset_pending = 1;
	config_changed(ctx->cfg, "ephone reset");
	return CLI_OK;
}

/* ---- show ephone ---- */

static void
describe_config(struct config *cfg, const struct ephone *e, struct buf *out)
{
	if (e->mac[0] != '\0')
		buf_printf(out, "ephone-%u[%u] Mac:%.4s.%.4s.%.4s", e->tag,
		    e->tag - 1, e->mac, e->mac + 4, e->mac + 8);
	else
		buf_printf(out, "ephone-%u[%u] Mac:(none)", e->tag, e->tag - 1);
	buf_puts(
	    out, " TCP socket:[-1] activeLine:0 whisperLine:0 UNREGISTERED\n");
	buf_printf(out,
	    "mediaActive:0 whisper_mediaActive:0 startMedia:0 offhook:0 "
	    "ringing:0 reset:%d reset_sent:0 paging 0 "
	    "debug:0 caps:0\n",
	    e->reset_pending);
	buf_printf(out,
	    "IP:0.0.0.0 0 %s keepalive 0 max_line 0 available_line 0\n",
	    e->type ? e->type : "Unknown");
	for (unsigned i = 0; i < e->nbuttons; i++) {
		const struct ephone_button *b = &e->buttons[i];
		char *copy, *save = NULL, *tag;

		buf_printf(out, "button %u: cw:1 ccw:(0 0)\n", b->index);
		if (b->kind == 'x') {
			buf_printf(out, " overflow of button %s\n", b->dns);
			continue;
		}
		copy = xstrdup(b->dns);
		for (tag = strtok_r(copy, ",", &save); tag != NULL;
		     tag = strtok_r(NULL, ",", &save)) {
			const struct ephone_dn *d = ephone_dn_find(
			    cfg, (unsigned)strtoul(tag, NULL, 10));

			if (d == NULL)
				buf_printf(
				    out, " dn %s (not configured)\n", tag);
			else
				buf_printf(out, " dn %u number %s CH1 IDLE%s\n",
				    d->tag, d->number ? d->number : "",
				    d->dual_line ? " CH2 IDLE" : "");
		}
		free(copy);
	}
	buf_printf(out, "Preferred Codec: %s\n",
	    ephone_codec_words[e->codec != CODEC_UNSET ? e->codec
	                                               : CODEC_G711ULAW]);
}

static int
show_ephone(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *filter = cli_arg(args, "filter");
	const char *mac = cli_arg(args, "mac");
	const struct ephone *only = NULL, *e;
	int first = 1;

	if (mac != NULL) {
		only = ephone_find_mac(ctx->cfg, mac);
		if (only == NULL) {
			cli_out(ctx, "%% No ephone with MAC address %s", mac);
			return CLI_ERR;
		}
	}
	for (e = TAILQ_FIRST(&ctx->cfg->ephones); e != NULL;
	     e = TAILQ_NEXT(e, entry)) {
		if (only != NULL && e != only)
			continue;
		/* Without the SCCP service no phone is registered. */
		if (filter != NULL &&
		    (live_ops.describe == NULL || live_ops.state == NULL ||
		        !live_ops.state(live_ops.arg, e, filter)))
			continue;
		if (!first)
			buf_putc(ctx->out, '\n');
		first = 0;
		/* Live phones as the SCCP service sees them, the others
		 * from the configuration. */
		if (live_ops.describe != NULL &&
		    (live_ops.state == NULL ||
		        live_ops.state(live_ops.arg, e, "registered")))
			live_ops.describe(live_ops.arg, e, ctx->out);
		else
			describe_config(ctx->cfg, e, ctx->out);
	}
	return CLI_OK;
}

/* ---- tables ---- */

static const struct cli_cmd template_cmds[] = {
    CLI_ENUM("device-security-mode", "authenticated|none|encrypted", dsm_words,
        HELP("Security mode for phones using this template",
            "TLS signaling without encryption, no SRTP",
            "SCCP signaling is not secure",
            "Encrypted TLS signaling and SRTP media"),
        struct ephone_template, device_security_mode, DSM_UNSET),
    CLI_BOOL("service https",
        HELP("Phone services", "Use HTTPS for phone services"),
        struct ephone_template, service_https),
};

static int
park_slot_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ephone_dn *d = ctx->obj;

	(void)args;
	d->park_slot = !ctx->is_no;
	config_changed(ctx->cfg, "ephone-dn park-slot");
	return CLI_OK;
}

static void
park_slot_write(struct cli_writer *w)
{
	const struct ephone_dn *d = w->obj;

	if (d->park_slot)
		cli_wline(w, "park-slot");
}

static const struct cli_cmd dn_cmds[] = {
    {.syntax = "number WORD$num [secondary WORD$sec]",
        .help = HELP("Extension (directory number) of this ephone-dn",
            "Number (digits, '.', '+', '*', '#')",
            "A second number for the same line", "Secondary number"),
        .handler = number_run,
        .write = number_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "name LINE$name",
        .help =
            HELP("Name shown for this directory number", "Name (caller ID)"),
        .handler = name_run,
        .write = name_write,
        .flags = CLI_NO},
    {.syntax = "call-forward all WORD$num",
        .help =
            HELP("Call forwarding", "Forward all calls", "Destination number"),
        .handler = cfwd_run,
        .write = cfwd_write,
        .flags = CLI_NO},
    {.syntax = "call-forward busy WORD$num",
        .help = HELP(
            "Call forwarding", "Forward calls when busy", "Destination number"),
        .handler = cfwd_run,
        .flags = CLI_NO},
    {.syntax = "call-forward noan WORD$num timeout (3-60000)$t",
        .help = HELP("Call forwarding", "Forward calls when not answered",
            "Destination number", "Time before forwarding", "Seconds"),
        .handler = cfwd_run,
        .flags = CLI_NO},
    {.syntax = "park-slot [LINE$options]",
        .help = HELP("This number is a call-park slot: Park puts a call "
                     "here, dialing the number picks it up",
            "Slot options (timeout, notify, ...: accepted, not used)"),
        .handler = park_slot_run,
        .write = park_slot_write,
        .flags = CLI_NO},
};

static const struct cli_cmd ephone_mode_cmds[] = {
    {.syntax = "capf-ip-in-cnf",
        .help = HELP(
            "Add the CAPF server address to the phone's configuration file"),
        .handler = capf_ip_run,
        .write = capf_ip_write,
        .flags = CLI_NO},
    {.syntax = "device-security-mode <authenticated|none|encrypted>$mode",
        .help = HELP("Security mode for this phone",
            "TLS signaling without encryption, no SRTP",
            "SCCP signaling is not secure",
            "Encrypted TLS signaling and SRTP media"),
        .handler = dsm_run,
        .write = dsm_write,
        .flags = CLI_NO},
    {.syntax = "capf-auth-str DIGITS$str",
        .help = HELP("Authentication string (PIN) for CAPF",
            "4 to 10 digits the phone user enters"),
        .handler = capf_auth_str_run,
        .write = capf_auth_str_write,
        .flags = CLI_NO},
    {.syntax = "cert-oper <delete|fetch|upgrade>$op auth-mode "
               "<auth-string|lsc|mic|null-string>$auth",
        .help = HELP("Certificate operation with CAPF",
            "Remove the phone certificate", "Retrieve the phone certificate",
            "Install or upgrade the phone certificate (LSC)",
            "Authentication of the phone during the operation",
            "Authentication string (capf-auth-str) entered on the phone",
            "The phone's LSC authenticates it (precedence to an LSC)",
            "The phone's MIC authenticates it (precedence to a MIC)",
            "No authentication"),
        .handler = cert_oper_run,
        .write = cert_oper_write,
        .flags = CLI_NO},
    {.syntax = "mac-address H.H.H$mac",
        .help = HELP("MAC address of the phone", "MAC address"),
        .handler = mac_run,
        .write = mac_write,
        .flags = CLI_NO},
    {.syntax = "ephone-template (1-20)$tag",
        .help = HELP("Apply an ephone-template", "Template tag"),
        .handler = template_ref_run,
        .write = template_ref_write,
        .flags = CLI_NO},
    {.syntax = "username WORD$user [password [<0|6>$type] WORD$pw]",
        .help = HELP("Phone user (login)", "User name", "Password of the user",
            "Specifies an UNENCRYPTED password will follow",
            "Specifies an ENCRYPTED (type 6) password will follow",
            "The password"),
        .handler = username_run,
        .write = username_write,
        .flags = CLI_NO | CLI_SECRET,
        .no_words = 1},
    {.syntax =
            "codec <g711ulaw|g722r64|g729r8|g711alaw>$codec [dspfarm-assist]",
        .help = HELP("Codec for calls of this phone", "G.711 u-law",
            "G.722 64 kbit/s", "G.729 8 kbit/s", "G.711 A-law",
            "Transcode with DSP farm resources when needed"),
        .handler = codec_run,
        .write = codec_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "type WORD$type [addon (1-3)$n1 WORD$m1 [(1-3)$n2 WORD$m2]]",
        .help = HELP("Phone type", "Type (7960, 7970, 7941GE ...)",
            "Add-on expansion modules", "Module number", "Module type (7914)",
            "Module number", "Module type"),
        .handler = type_run,
        .write = type_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "button LINE$spec",
        .help = HELP("Assign ephone-dns to line buttons",
            "Buttons: N:DN (ring), NsDN, NbDN, NfDN, NmDN, NwDN, "
            "NoDN,DN.. (overlay), NcDN,DN.., NxN"),
        .handler = button_run,
        .write = button_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "reset",
        .help = HELP("Reboot the phone (complete reset)"),
        .handler = reset_run,
        .flags = CLI_ACTION},
    {.syntax = "restart",
        .help = HELP("Restart the phone (reload its configuration)"),
        .handler = reset_run,
        .flags = CLI_ACTION},
    {.syntax = "ephone (1-10000)$tag",
        .help = HELP("Configure another ephone", "ephone tag"),
        .handler = ephone_reenter,
        .flags = CLI_NO | CLI_HIDDEN | CLI_ACTION,
        .no_words = 2},
};

static struct cli_table template_table = CLI_TABLE(template_cmds);
static struct cli_table dn_table = CLI_TABLE(dn_cmds);
static struct cli_table ephone_mode_table = CLI_TABLE(ephone_mode_cmds);

static struct cli_table *const template_tables[] = {
    &cli_builtin_config, &template_table, NULL};
static struct cli_table *const dn_tables[] = {
    &cli_builtin_config, &dn_table, NULL};
static struct cli_table *const ephone_tables[] = {
    &cli_builtin_config, &ephone_mode_table, NULL};

/* IOS commands of these modes outside OpenCME's scope. */
static const char *const template_ignored[] = {"softkeys", "button-layout",
    "feature-button", "url-button", "max-calls-per-button",
    "busy-trigger-per-button", "codec", "type", "network-locale", "user-locale",
    "paging-dn", "voice-class", "mtp", "keep-conference", "transfer-park",
    "transfer-pattern", "fastdial", "speed-dial", "blf-speed-dial", "mlpp",
    "after-hour", "conference", "emergency", "multicast-moh", "privacy",
    "privacy-button", "phone-ui", "service phone", "service dss", "video",
    "mwi-line", "night-service", "secondary-dialtone", "keepalive", "headset",
    "nte-end-digit-delay", "pin", "park", "protocol", "description", "dnd",
    "cor", "logout-profile", NULL};

static const char *const dn_ignored[] = {"label", "description", "huntstop",
    "preference", "mwi", "mwi-type", "corlist", "allow", "translate",
    "translation-profile", "pickup-group", "intercom", "paging", "hold-alert",
    "ring", "caller-id", "application", "call-waiting", "night-service",
    "trunk", "conference", "feature-ring", "call-forward max-length",
    "call-forward night-service", "ephone-dn-template", "mobility", "snr",
    "moh", "loopback-dn", "auto-answer", "forward", "cor", "max-calls", "dnis",
    "transfer-mode", "c-list", "pickup-call", "video", NULL};

/* "presence call-list" only: a bare "presence" is the global mode. */
static const char *const ephone_ignored[] = {"multicast-moh", "description",
    "keep-conference", "paging-dn", "speed-dial", "fastdial", "blf-speed-dial",
    "mwi-line", "softkeys", "max-calls-per-button", "busy-trigger-per-button",
    "keepalive", "video", "headset", "auto-line", "pin", "nte-end-digit-delay",
    "network-locale", "user-locale", "vm-device-id", "mtp", "after-hour", "cor",
    "privacy", "privacy-button", "presence call-list", "night-service",
    "transfer-park", "park", "whisper-intercom", "feature-button",
    "logout-profile", "load", "capf", "dnd", "conference", "voice-class",
    "phone-ui", "url-button", "bulk-speed-dial", "mlpp", "emergency",
    "fixed-line", "transfer-max-length", "line-mode", "pickup", "remote-phone",
    "service phone", "busy-trigger", NULL};

const struct cli_mode mode_ephone_template = {
    .name = "ephone-template",
    .prompt = "config-ephone-template",
    .parent = &config_mode_config,
    .tables = template_tables,
    .leave = template_leave,
    .ignored = template_ignored,
    .is_config = 1,
};

const struct cli_mode mode_ephone_dn = {
    .name = "ephone-dn",
    .prompt = "config-ephone-dn",
    .parent = &config_mode_config,
    .tables = dn_tables,
    .leave = dn_leave,
    .ignored = dn_ignored,
    .is_config = 1,
};

const struct cli_mode mode_ephone = {
    .name = "ephone",
    .prompt = "config-ephone",
    .parent = &config_mode_config,
    .tables = ephone_tables,
    .ignored = ephone_ignored,
    .is_config = 1,
};

/* Running-config order: templates, then directory numbers, then phones. */
static const struct cli_cmd ephone_cfg_cmds[] = {
    {.syntax = "ephone-template (1-20)$tag",
        .help =
            HELP("Enter ephone-template configuration mode", "Template tag"),
        .handler = template_enter,
        .write = templates_write,
        .flags = CLI_NO,
        .no_words = 2},
    {.syntax = "ephone-dn (1-15000)$tag [dual-line]",
        .help =
            HELP("Enter ephone-dn configuration mode", "Directory number tag",
                "Two calls at a time on this directory number"),
        .handler = dn_enter,
        .write = dns_write,
        .flags = CLI_NO,
        .no_words = 2},
    {.syntax = "ephone (1-10000)$tag",
        .help = HELP("Enter ephone configuration mode", "ephone tag"),
        .handler = ephone_enter,
        .write = ephones_write,
        .flags = CLI_NO,
        .no_words = 2},
};

#define SHOW_HELP "Show running system information"

static const struct cli_cmd ephone_exec_cmds[] = {
    {.syntax = "show ephone [<registered|offhook>$filter]",
        .help = HELP(SHOW_HELP, "SCCP phones (ephones)", "Registered phones",
            "Phones off hook (calls in progress)"),
        .handler = show_ephone,
        .flags = CLI_ACTION},
    {.syntax = "show ephone H.H.H$mac",
        .help = HELP(SHOW_HELP, "SCCP phones (ephones)",
            "The phone with this MAC address"),
        .handler = show_ephone,
        .flags = CLI_ACTION},
};

struct cli_table ephone_cfg = CLI_TABLE(ephone_cfg_cmds);
struct cli_table ephone_exec = CLI_TABLE(ephone_exec_cmds);
