/*
 * crypto pki server, crypto pki trustpoint and crypto pki certificate
 * chain: the configuration side of the PKI (chapter "Configure the Cisco
 * IOS Certification Authority", "Obtain Certificates for Server
 * Functions", "Configure the Registration Authority", "Manually Import the
 * MIC Root Certificate", "HTTPS Provisioning") and the configuration view
 * of `show crypto pki trustpoints|certificates`.  The CA itself, keys and
 * enrolment live in src/pki/: nothing here issues or fetches anything.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "config/modes.h"

const char *const revocation_words[] = {"crl", "none", "ocsp", NULL};
static const char *const db_level_words[] = {
    "minimal", "names", "complete", NULL};

/* Largest certificate accepted from a chain block, in DER bytes. */
#define CERT_DER_MAX 65536
/* Longest serial number accepted on a `certificate` line (hex digits). */
#define CERT_SERIAL_MAX 64

#define SRV struct pki_server
#define TP struct trustpoint

/* ---- the tree ---- */

void
pki_conf_init(struct config *cfg)
{
	TAILQ_INIT(&cfg->trustpoints);
	TAILQ_INIT(&cfg->pki_servers);
}

static void
chain_cert_free(struct chain_cert *c)
{
	free(c->serial);
	free(c->der);
	free(c);
}

static void
chain_clear(struct trustpoint *tp)
{
	struct chain_cert *c;

	while ((c = TAILQ_FIRST(&tp->chain)) != NULL) {
		TAILQ_REMOVE(&tp->chain, c, entry);
		chain_cert_free(c);
	}
}

static void
trustpoint_free(struct trustpoint *tp)
{
	chain_clear(tp);
	free(tp->name);
	free(tp->enrollment_url);
	free(tp->rsakeypair);
	free(tp->subject_name);
	free(tp);
}

static void
pki_server_free(struct pki_server *s)
{
	free(s->label);
	free(s->database_url);
	free(s->issuer_name);
	free(s);
}

void
pki_conf_free(struct config *cfg)
{
	struct trustpoint *tp;
	struct pki_server *s;

	while ((tp = TAILQ_FIRST(&cfg->trustpoints)) != NULL) {
		TAILQ_REMOVE(&cfg->trustpoints, tp, entry);
		trustpoint_free(tp);
	}
	while ((s = TAILQ_FIRST(&cfg->pki_servers)) != NULL) {
		TAILQ_REMOVE(&cfg->pki_servers, s, entry);
		pki_server_free(s);
	}
}

/* Any entry, declared or known only from a chain block. */
static struct trustpoint *
trustpoint_lookup(struct config *cfg, const char *name)
{
	struct trustpoint *tp;

	if (name == NULL)
		return NULL;
	TAILQ_FOREACH (tp, &cfg->trustpoints, entry)
		if (strcmp(tp->name, name) == 0)
			return tp;
	return NULL;
}

struct trustpoint *
trustpoint_find(struct config *cfg, const char *name)
{
	struct trustpoint *tp = trustpoint_lookup(cfg, name);

	return tp != NULL && tp->declared ? tp : NULL;
}

struct pki_server *
pki_server_find(struct config *cfg, const char *label)
{
	struct pki_server *s;

	if (label == NULL)
		return NULL;
	TAILQ_FOREACH (s, &cfg->pki_servers, entry)
		if (strcmp(s->label, label) == 0)
			return s;
	return NULL;
}

static struct trustpoint *
trustpoint_new(struct config *cfg, const char *name)
{
	struct trustpoint *tp = xcalloc(1, sizeof(*tp));

	tp->name = xstrdup(name);
	for (int i = 0; i < 3; i++)
		tp->revocation[i] = REVOKE_UNSET;
	tp->serial_number = -1;
	TAILQ_INIT(&tp->chain);
	TAILQ_INSERT_TAIL(&cfg->trustpoints, tp, entry);
	return tp;
}

struct trustpoint *
trustpoint_declare(struct config *cfg, const char *name)
{
	struct trustpoint *tp = trustpoint_lookup(cfg, name);

	if (tp == NULL)
		tp = trustpoint_new(cfg, name);
	tp->declared = 1;
	return tp;
}

static struct pki_server *
pki_server_new(struct config *cfg, const char *label)
{
	struct pki_server *s = xcalloc(1, sizeof(*s));

	s->label = xstrdup(label);
	s->database_level = DB_MINIMAL;
	s->lifetime_cert_days = 365;
	s->lifetime_ca_days = 1095;
	s->lifetime_crl_hours = 168;
	s->shutdown = 1;
	TAILQ_INSERT_TAIL(&cfg->pki_servers, s, entry);
	return s;
}

static void
pki_leave(struct cli_ctx *ctx)
{
	config_changed(ctx->cfg, "crypto pki");
}

/*
 * A command outside OpenCME's scope that carries a secret (the
 * trustpoint's challenge `password`): reported as ignored like the
 * engine's ignored lines, but without echoing the value.
 */
static int
ignored_secret_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *kw = ctx->cmd->name != NULL ? ctx->cmd->name : "password";

	(void)args;
	if (ctx->is_loading)
		cli_out(ctx, "ignored (outside OpenCME's scope): %s%s *****",
		    ctx->is_no ? "no " : "", kw);
	else
		cli_out(ctx,
		    "%% Ignored: \"%s%s *****\" is outside OpenCME's scope",
		    ctx->is_no ? "no " : "", kw);
	return CLI_OK;
}

/* ---- crypto pki server ---- */

static int
server_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *label = cli_arg(args, "label");
	struct pki_server *s = pki_server_find(ctx->cfg, label);

	if (ctx->is_no) {
		if (s == NULL) {
			cli_out(ctx,
			    "%% Certificate server %s is not configured",
			    label);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&ctx->cfg->pki_servers, s, entry);
		config_object_deleted(ctx->cfg, s);
		pki_server_free(s);
		config_changed(ctx->cfg, "crypto pki server");
		return CLI_OK;
	}
	if (strlen(label) > PKI_SERVER_LABEL_MAX) {
		cli_out(ctx,
		    "%% Certificate server label %s is too long (at most %d "
		    "characters)",
		    label, PKI_SERVER_LABEL_MAX);
		return CLI_ERR;
	}
	if (s == NULL)
		s = pki_server_new(ctx->cfg, label);
	ctx->next_mode = &mode_pki_server;
	ctx->next_obj = s;
	return CLI_OK;
}

static void
servers_write(struct cli_writer *w)
{
	struct pki_server *s;

	TAILQ_FOREACH (s, &w->cfg->pki_servers, entry) {
		cli_wline(w, "crypto pki server %s", s->label);
		w->indent++;
		cli_write_mode(w, &mode_pki_server, s);
		w->indent--;
		conf_write_bang(w);
	}
}

static int
shutdown_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct pki_server *s = ctx->obj;

	(void)args;
	if (!ctx->is_no) {
		s->shutdown = 1;
		return CLI_OK;
	}
	s->shutdown = 0;
	/*
	 * What IOS says when it starts with a server whose trustpoint is
	 * missing (the chapter's IOS CA example has such a server).  An
	 * informational line: the setting itself is fine.
	 */
	if (ctx->is_loading && trustpoint_find(ctx->cfg, s->label) == NULL)
		cli_out(ctx,
		    "%% Failed to find Certificate Server's trustpoint "
		    "at startup");
	return CLI_OK;
}

static void
shutdown_write(struct cli_writer *w)
{
	const struct pki_server *s = w->obj;

	if (!s->shutdown)
		cli_wline(w, "no shutdown");
	else if (w->all)
		cli_wline(w, "shutdown");
}

/* ---- crypto pki trustpoint ---- */

static int
trustpoint_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *name = cli_arg(args, "name");
	struct trustpoint *tp = trustpoint_lookup(ctx->cfg, name);

	if (ctx->is_no) {
		if (tp == NULL || !tp->declared) {
			cli_out(
			    ctx, "%% Trustpoint %s is not configured", name);
			return CLI_ERR;
		}
		/* As IOS: the trustpoint goes with its certificates. */
		TAILQ_REMOVE(&ctx->cfg->trustpoints, tp, entry);
		config_object_deleted(ctx->cfg, tp);
		trustpoint_free(tp);
		config_changed(ctx->cfg, "crypto pki trustpoint");
		return CLI_OK;
	}
	if (tp == NULL)
		tp = trustpoint_new(ctx->cfg, name);
	tp->declared = 1;
	ctx->next_mode = &mode_trustpoint;
	ctx->next_obj = tp;
	return CLI_OK;
}

static void
trustpoints_write(struct cli_writer *w)
{
	struct trustpoint *tp;

	TAILQ_FOREACH (tp, &w->cfg->trustpoints, entry) {
		if (!tp->declared)
			continue;
		cli_wline(w, "crypto pki trustpoint %s", tp->name);
		w->indent++;
		cli_write_mode(w, &mode_trustpoint, tp);
		w->indent--;
		conf_write_bang(w);
	}
}

/* enrollment url and enrollment terminal replace each other. */
static int
enrollment_url_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct trustpoint *tp = ctx->obj;

	if (ctx->is_no) {
		conf_set_str(&tp->enrollment_url, NULL);
		return CLI_OK;
	}
	conf_set_str(&tp->enrollment_url, cli_arg(args, "url"));
	tp->enrollment_terminal = 0;
	return CLI_OK;
}

static int
enrollment_terminal_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct trustpoint *tp = ctx->obj;

	(void)args;
	tp->enrollment_terminal = !ctx->is_no;
	if (!ctx->is_no)
		conf_set_str(&tp->enrollment_url, NULL);
	return CLI_OK;
}

static void
enrollment_write(struct cli_writer *w)
{
	const struct trustpoint *tp = w->obj;

	if (tp->enrollment_terminal)
		cli_wline(w, "enrollment terminal");
	else if (tp->enrollment_url != NULL)
		cli_wline(w, "enrollment url %s", tp->enrollment_url);
}

static int
serial_number_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct trustpoint *tp = ctx->obj;

	if (ctx->is_no)
		tp->serial_number = -1;
	else
		tp->serial_number = cli_has(args, "none") ? 0 : 1;
	return CLI_OK;
}

static void
serial_number_write(struct cli_writer *w)
{
	const struct trustpoint *tp = w->obj;

	if (tp->serial_number == 1)
		cli_wline(w, "serial-number");
	else if (tp->serial_number == 0)
		cli_wline(w, "serial-number none");
}

static int
revocation_index(const char *word)
{
	for (int i = 0; revocation_words[i] != NULL; i++)
		if (word != NULL && strcasecmp(revocation_words[i], word) == 0)
			return i;
	return REVOKE_UNSET;
}

static int
revocation_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	static const char *const names[3] = {"m1", "m2", "m3"};
	struct trustpoint *tp = ctx->obj;

	for (int i = 0; i < 3; i++)
		tp->revocation[i] = ctx->is_no
		    ? REVOKE_UNSET
		    : revocation_index(cli_arg(args, names[i]));
	return CLI_OK;
}

static void
revocation_write(struct cli_writer *w)
{
	const struct trustpoint *tp = w->obj;
	struct buf line = BUF_INIT;

	if (tp->revocation[0] == REVOKE_UNSET)
		return;
	buf_puts(&line, "revocation-check");
	for (int i = 0; i < 3 && tp->revocation[i] != REVOKE_UNSET; i++)
		buf_printf(&line, " %s", revocation_words[tp->revocation[i]]);
	cli_wline(w, "%s", buf_str(&line));
	buf_free(&line);
}

static int
rsakeypair_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct trustpoint *tp = ctx->obj;

	if (ctx->is_no) {
		conf_set_str(&tp->rsakeypair, NULL);
		tp->key_size = tp->enc_key_size = 0;
		return CLI_OK;
	}
	conf_set_str(&tp->rsakeypair, cli_arg(args, "key"));
	tp->key_size = (unsigned)cli_arg_ulong(args, "size", 0);
	tp->enc_key_size = (unsigned)cli_arg_ulong(args, "enc", 0);
	return CLI_OK;
}

static void
rsakeypair_write(struct cli_writer *w)
{
	const struct trustpoint *tp = w->obj;

	if (tp->rsakeypair == NULL)
		return;
	if (tp->enc_key_size != 0)
		cli_wline(w, "rsakeypair %s %u %u", tp->rsakeypair,
		    tp->key_size, tp->enc_key_size);
	else if (tp->key_size != 0)
		cli_wline(w, "rsakeypair %s %u", tp->rsakeypair, tp->key_size);
	else
		cli_wline(w, "rsakeypair %s", tp->rsakeypair);
}

/* ---- crypto pki certificate chain ---- */

static int
chain_enter(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *name = cli_arg(args, "name");
	struct trustpoint *tp = trustpoint_lookup(ctx->cfg, name);

	if (ctx->is_no) {
		if (tp == NULL || !tp->has_chain) {
			cli_out(ctx,
			    "%% No certificate chain for trustpoint %s", name);
			return CLI_ERR;
		}
		chain_clear(tp);
		tp->has_chain = 0;
		if (!tp->declared) {
			TAILQ_REMOVE(&ctx->cfg->trustpoints, tp, entry);
			config_object_deleted(ctx->cfg, tp);
			trustpoint_free(tp);
		}
		config_changed(ctx->cfg, "crypto pki certificate chain");
		return CLI_OK;
	}
	/* The chain may come before its trustpoint (or without one): keep
	 * it in an undeclared entry, written back as it was read. */
	if (tp == NULL)
		tp = trustpoint_new(ctx->cfg, name);
	tp->has_chain = 1;
	ctx->next_mode = &mode_cert_chain;
	ctx->next_obj = tp;
	return CLI_OK;
}

static void
chain_write_one(struct cli_writer *w, struct trustpoint *tp)
{
	cli_wline(w, "crypto pki certificate chain %s", tp->name);
	w->indent++;
	cli_write_mode(w, &mode_cert_chain, tp);
	w->indent--;
}

/*
 * IOS writes the chains one after the other, with a single "!" after the
 * last (secure-cme.cfg).  Chains of declared trustpoints come first, then
 * those known only from their chain block: the order survives a reload.
 */
static void
chains_write(struct cli_writer *w)
{
	struct trustpoint *tp;
	int any = 0;

	for (int pass = 0; pass < 2; pass++)
		TAILQ_FOREACH (tp, &w->cfg->trustpoints, entry) {
			if (!tp->has_chain || tp->declared != (pass == 0))
				continue;
			chain_write_one(w, tp);
			any = 1;
		}
	if (any)
		conf_write_bang(w);
}

static struct chain_cert *
chain_find(
    struct trustpoint *tp, const char *serial, int is_ca, int self_signed)
{
	struct chain_cert *c;

	TAILQ_FOREACH (c, &tp->chain, entry)
		if (strcasecmp(c->serial, serial) == 0 && c->is_ca == is_ca &&
		    c->self_signed == self_signed)
			return c;
	return NULL;
}

static const char *
cert_kind_word(int is_ca, int self_signed)
{
	return is_ca ? "ca " : self_signed ? "self-signed " : "";
}

/* A `certificate` block being read (the mode_cert_hex instance). */
struct hex_block {
	struct trustpoint *tp;
	char *serial;
	int is_ca;
	int self_signed;
	struct buf hex; /* the hex digits so far */
	int bad; /* a line was not hex: nothing is stored */
};

static void
hex_block_start(
    struct hex_block *hb, const char *serial, int is_ca, int self_signed)
{
	free(hb->serial);
	hb->serial = xstrdup(serial);
	hb->is_ca = is_ca;
	hb->self_signed = self_signed;
	buf_reset(&hb->hex);
	hb->bad = 0;
}

static int
certificate_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct trustpoint *tp = ctx->obj;
	const char *serial = cli_arg(args, "serial");
	int is_ca = cli_has(args, "ca");
	int self_signed = cli_has(args, "self-signed");
	struct chain_cert *c;
	struct hex_block *hb;

	if (serial == NULL) {
		cli_out(ctx, "%% Incomplete command.");
		return CLI_ERR;
	}
	if (ctx->is_no) {
		c = chain_find(tp, serial, is_ca, self_signed);
		if (c == NULL) {
			cli_out(ctx, "%% No certificate %s%s in chain %s",
			    cert_kind_word(is_ca, self_signed), serial,
			    tp->name);
			return CLI_ERR;
		}
		TAILQ_REMOVE(&tp->chain, c, entry);
		chain_cert_free(c);
		config_changed(ctx->cfg, "crypto pki certificate chain");
		return CLI_OK;
	}
	if (strlen(serial) > CERT_SERIAL_MAX) {
		cli_out(ctx, "%% Certificate serial number too long");
		return CLI_ERR;
	}
	hb = xcalloc(1, sizeof(*hb));
	hb->tp = tp;
	hex_block_start(hb, serial, is_ca, self_signed);
	ctx->next_mode = &mode_cert_hex;
	ctx->next_obj = hb;
	return CLI_OK;
}

static void
hex_lines_write(struct cli_writer *w, const unsigned char *der, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	struct buf line = BUF_INIT;

	for (size_t i = 0; i < len; i++) {
		if (i % 32 != 0 && i % 4 == 0)
			buf_putc(&line, ' ');
		buf_putc(&line, digits[der[i] >> 4]);
		buf_putc(&line, digits[der[i] & 0x0f]);
		if (i % 32 == 31 || i + 1 == len) {
			cli_wline(w, "%s", buf_str(&line));
			buf_reset(&line);
		}
	}
	buf_free(&line);
}

static void
certificates_write(struct cli_writer *w)
{
	const struct trustpoint *tp = w->obj;
	const struct chain_cert *c;

	TAILQ_FOREACH (c, &tp->chain, entry) {
		cli_wline(w, "certificate %s%s",
		    cert_kind_word(c->is_ca, c->self_signed), c->serial);
		w->indent++;
		hex_lines_write(w, c->der, c->der_len);
		cli_wline(w, "quit");
		w->indent--;
	}
}

static int
is_hex_word(const char *w)
{
	if (*w == '\0')
		return 0;
	for (; *w; w++)
		if (!isxdigit((unsigned char)*w))
			return 0;
	return 1;
}

static unsigned
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return (unsigned)(ch - '0');
	return (unsigned)(tolower((unsigned char)ch) - 'a' + 10);
}

/* End of the raw mode with an error: leave it, then report. */
static int
hex_fail(struct cli_ctx *ctx)
{
	cli_pop_mode(ctx); /* frees the block (hex_leave) */
	return CLI_ERR;
}

/* `quit`: decode, check, store.  Returns 1 (block over) or CLI_ERR. */
static int
hex_finish(struct cli_ctx *ctx, struct hex_block *hb)
{
	const char *hex = buf_str(&hb->hex);
	size_t len = hb->hex.len / 2;
	unsigned char *der;
	const unsigned char *p;
	struct chain_cert *c;
	X509 *x;

	if (hb->bad) {
		/* The errors were reported on their lines. */
		cli_out(ctx,
		    "%% Certificate %s%s of chain %s not stored: its "
		    "data has errors",
		    cert_kind_word(hb->is_ca, hb->self_signed), hb->serial,
		    hb->tp->name);
		return 1;
	}
	if (hb->hex.len == 0 || hb->hex.len % 2 != 0) {
		cli_out(ctx,
		    "%% Certificate %s%s of chain %s: %s hex data; not stored",
		    cert_kind_word(hb->is_ca, hb->self_signed), hb->serial,
		    hb->tp->name, hb->hex.len == 0 ? "no" : "odd-length");
		return hex_fail(ctx);
	}
	der = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		der[i] = (unsigned char)(hex_value(hex[2 * i]) << 4 |
		    hex_value(hex[2 * i + 1]));
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len) {
		X509_free(x);
		free(der);
		cli_out(ctx,
		    "%% Certificate %s%s of chain %s is not a valid X.509 "
		    "certificate; not stored",
		    cert_kind_word(hb->is_ca, hb->self_signed), hb->serial,
		    hb->tp->name);
		return hex_fail(ctx);
	}
	X509_free(x);
	c = chain_find(hb->tp, hb->serial, hb->is_ca, hb->self_signed);
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->serial = xstrdup(hb->serial);
		c->is_ca = hb->is_ca;
		c->self_signed = hb->self_signed;
		TAILQ_INSERT_TAIL(&hb->tp->chain, c, entry);
	}
	free(c->der);
	c->der = der;
	c->der_len = len;
	hb->tp->has_chain = 1;
	return 1;
}

/*
 * A `certificate` line inside a block: the previous block lacks its
 * `quit` (the chapter's CAPF example has one).  Report it and start the
 * new block.  Returns 0 when the line is not a certificate line.
 */
static int
hex_restart(struct cli_ctx *ctx, struct hex_block *hb, char **save)
{
	const char *w1 = strtok_r(NULL, " \t", save);
	const char *w2 = w1 ? strtok_r(NULL, " \t", save) : NULL;
	int is_ca = 0, self_signed = 0;
	const char *serial = w1;

	if (w1 != NULL && strcasecmp(w1, "ca") == 0 && w2 != NULL) {
		is_ca = 1;
		serial = w2;
	} else if (w1 != NULL && strcasecmp(w1, "self-signed") == 0 &&
	    w2 != NULL) {
		self_signed = 1;
		serial = w2;
	} else if (w2 != NULL || (w1 != NULL && strcasecmp(w1, "ca") == 0)) {
		/* "certificate ca" alone is incomplete, as in chain mode
		 * (the keyword wins over a serial number "ca"). */
		return 0;
	}
	if (serial == NULL || !is_hex_word(serial) ||
	    strlen(serial) > CERT_SERIAL_MAX ||
	    strtok_r(NULL, " \t", save) != NULL)
		return 0;
	cli_out(ctx,
	    "%% Missing \"quit\" after certificate %s%s of chain %s: not "
	    "stored",
	    cert_kind_word(hb->is_ca, hb->self_signed), hb->serial,
	    hb->tp->name);
	hex_block_start(hb, serial, is_ca, self_signed);
	return 1;
}

/*
 * Lines of a certificate block: hex words (IOS prints groups of 8 digits,
 * 8 groups a line) until `quit`.  A line that is not hex is an error
 * named here (the loader adds FILE:LINE); the block is still read to its
 * `quit` and nothing of it is stored.
 */
static int
cert_hex_line(struct cli_ctx *ctx, const char *line)
{
	struct hex_block *hb = ctx->obj;
	char *copy = xstrdup(line), *save = NULL, *word;
	int rc = CLI_OK;

	word = strtok_r(copy, " \t", &save);
	if (word == NULL)
		goto out;
	if (strcasecmp(word, "quit") == 0) {
		if (strtok_r(NULL, " \t", &save) == NULL) {
			rc = hex_finish(ctx, hb);
			goto out;
		}
	} else if (strcasecmp(word, "certificate") == 0) {
		if (hex_restart(ctx, hb, &save)) {
			rc = CLI_ERR;
			goto out;
		}
	}
	/* The words again, from the start of the line. */
	free(copy);
	copy = xstrdup(line);
	for (word = strtok_r(copy, " \t", &save); word != NULL;
	     word = strtok_r(NULL, " \t", &save)) {
		if (!is_hex_word(word)) {
			const char *t = line;

			while (*t == ' ' || *t == '\t')
				t++;
			cli_out(ctx,
			    "%% Certificate %s%s of chain %s: invalid data "
			    "\"%.40s\" (hex expected)",
			    cert_kind_word(hb->is_ca, hb->self_signed),
			    hb->serial, hb->tp->name, t);
			hb->bad = 1;
			buf_reset(&hb->hex);
			rc = CLI_ERR;
			goto out;
		}
		if (hb->bad)
			continue;
		if (hb->hex.len + strlen(word) > 2 * (size_t)CERT_DER_MAX) {
			cli_out(ctx,
			    "%% Certificate %s%s of chain %s: more than %d "
			    "bytes",
			    cert_kind_word(hb->is_ca, hb->self_signed),
			    hb->serial, hb->tp->name, CERT_DER_MAX);
			hb->bad = 1;
			buf_reset(&hb->hex);
			rc = CLI_ERR;
			goto out;
		}
		buf_puts(&hb->hex, word);
	}
out:
	free(copy);
	return rc;
}

static void
cert_hex_leave(struct cli_ctx *ctx)
{
	struct hex_block *hb = ctx->obj;

	if (hb == NULL)
		return;
	free(hb->serial);
	buf_free(&hb->hex);
	free(hb);
}

/* ---- fingerprints and show commands ---- */

void
pki_fingerprint_ios(
    const unsigned char *der, size_t len, const char *md, struct buf *out)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	const EVP_MD *type;

	if (md != NULL && strcasecmp(md, "MD5") == 0)
		type = EVP_md5();
	else if (md != NULL && strcasecmp(md, "SHA1") == 0)
		type = EVP_sha1();
	else
		return;
	if (type == NULL || !EVP_Digest(der, len, dig, &dlen, type, NULL))
		return;
	for (unsigned int i = 0; i < dlen; i++) {
		if (i != 0 && i % 4 == 0)
			buf_putc(out, ' ');
		buf_printf(out, "%02X", dig[i]);
	}
}

static const char *
ios_attr_name(int nid)
{
	switch (nid) {
	case NID_commonName:
		return "cn";
	case NID_organizationName:
		return "o";
	case NID_organizationalUnitName:
		return "ou";
	case NID_countryName:
		return "c";
	case NID_localityName:
		return "l";
	case NID_stateOrProvinceName:
		return "st";
	case NID_pkcs9_unstructuredName:
		return "hostname";
	case NID_pkcs9_unstructuredAddress:
		return "ipaddress";
	case NID_pkcs9_emailAddress:
		return "ea";
	case NID_serialNumber:
		return "serialNumber";
	default:
		return NULL;
	}
}

/* Subject/issuer, one attribute a line as IOS prints them ("cn=iosra"). */
static void
show_name(struct cli_ctx *ctx, const X509_NAME *name)
{
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const char *key = ios_attr_name(OBJ_obj2nid(obj));
		char oid[80];
		unsigned char *val = NULL;
		int n = ASN1_STRING_to_UTF8(&val, X509_NAME_ENTRY_get_data(e));

		if (key == NULL) {
			OBJ_obj2txt(oid, sizeof(oid), obj, 0);
			key = oid;
		}
		/* Certificate text is not trusted: no control characters. */
		for (int k = 0; k < n; k++)
			if (val[k] < 0x20 || val[k] == 0x7f)
				val[k] = '?';
		cli_out(ctx, "    %s=%s", key, n >= 0 ? (char *)val : "");
		OPENSSL_free(val);
	}
}

static void
show_date(struct cli_ctx *ctx, const char *label, const ASN1_TIME *t)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm) || tm.tm_mon < 0 ||
	    tm.tm_mon > 11) {
		cli_out(ctx, "    %s: (invalid)", label);
		return;
	}
	cli_out(ctx, "    %s: %02d:%02d:%02d UTC %s %d %d", label, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, months[tm.tm_mon], tm.tm_mday,
	    tm.tm_year + 1900);
}

static int
same_der(const struct chain_cert *a, const struct chain_cert *b)
{
	return a->der_len == b->der_len &&
	    memcmp(a->der, b->der, a->der_len) == 0;
}

/* Was the same certificate shown already (an earlier entry)? */
static int
shown_before(struct config *cfg, const struct trustpoint *tp0,
    const struct chain_cert *c0, const char *only)
{
	const struct trustpoint *tp;
	const struct chain_cert *c;

	TAILQ_FOREACH (tp, &cfg->trustpoints, entry) {
		if (only != NULL && strcmp(tp->name, only) != 0)
			continue;
		TAILQ_FOREACH (c, &tp->chain, entry) {
			if (c == c0)
				return 0;
			if (same_der(c, c0))
				return 1;
		}
		if (tp == tp0)
			break;
	}
	return 0;
}

static void
show_one_cert(struct cli_ctx *ctx, const struct chain_cert *c)
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	const struct trustpoint *tp;
	struct buf line = BUF_INIT;
	BIGNUM *bn;
	char *serial = NULL;

	if (x == NULL)
		return;
	cli_out(ctx, "%s",
	    c->is_ca             ? "CA Certificate"
	        : c->self_signed ? "Router Self-Signed Certificate"
	                         : "Certificate");
	cli_out(ctx, "  Status: %s",
	    X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ? "Expired"
	                                                     : "Available");
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (bn != NULL)
		serial = BN_bn2hex(bn);
	cli_out(ctx, "  Certificate Serial Number (hex): %s",
	    serial != NULL ? serial : c->serial);
	OPENSSL_free(serial);
	BN_free(bn);
	cli_out(ctx, "  Issuer:");
	show_name(ctx, X509_get_issuer_name(x));
	cli_out(ctx, "  Subject:");
	show_name(ctx, X509_get_subject_name(x));
	cli_out(ctx, "  Validity Date:");
	show_date(ctx, "start date", X509_get0_notBefore(x));
	show_date(ctx, "end   date", X509_get0_notAfter(x));
	pki_fingerprint_ios(c->der, c->der_len, "MD5", &line);
	cli_out(ctx, "  Fingerprint MD5: %s", buf_str(&line));
	buf_reset(&line);
	pki_fingerprint_ios(c->der, c->der_len, "SHA1", &line);
	cli_out(ctx, "  Fingerprint SHA1: %s", buf_str(&line));
	buf_reset(&line);
	TAILQ_FOREACH (tp, &ctx->cfg->trustpoints, entry) {
		const struct chain_cert *o;

		TAILQ_FOREACH (o, &tp->chain, entry)
			if (same_der(o, c)) {
				buf_printf(&line, " %s", tp->name);
				break;
			}
	}
	cli_out(ctx, "  Associated Trustpoints:%s", buf_str(&line));
	cli_out(ctx, "%s", "");
	buf_free(&line);
	X509_free(x);
}

/*
 * `show crypto pki certificates [NAME]`: the certificates of the stored
 * chains.  A certificate held by several chains (the chapter's CA
 * certificate is in three) is shown once, with every trustpoint.
 */
static int
show_certificates(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *only = cli_arg(args, "name");
	struct trustpoint *tp;
	struct chain_cert *c;

	if (only != NULL && trustpoint_lookup(ctx->cfg, only) == NULL) {
		cli_out(ctx, "%% Trustpoint %s is not configured", only);
		return CLI_ERR;
	}
	TAILQ_FOREACH (tp, &ctx->cfg->trustpoints, entry) {
		if (only != NULL && strcmp(tp->name, only) != 0)
			continue;
		TAILQ_FOREACH (c, &tp->chain, entry)
			if (!shown_before(ctx->cfg, tp, c, only))
				show_one_cert(ctx, c);
	}
	return CLI_OK;
}

static int
show_trustpoints(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct trustpoint *tp;

	(void)args;
	TAILQ_FOREACH (tp, &ctx->cfg->trustpoints, entry) {
		struct buf line = BUF_INIT;
		const struct chain_cert *c;
		int ca = 0, other = 0;

		if (!tp->declared)
			continue;
		cli_out(ctx, "Trustpoint %s:", tp->name);
		if (tp->enrollment_terminal)
			cli_out(ctx, "    Enrollment: terminal");
		else if (tp->enrollment_url != NULL)
			cli_out(
			    ctx, "    Enrollment: url %s", tp->enrollment_url);
		else
			cli_out(ctx, "    Enrollment: not configured");
		if (tp->revocation[0] == REVOKE_UNSET)
			buf_puts(&line, " crl (default)");
		for (int i = 0; i < 3 && tp->revocation[i] != REVOKE_UNSET; i++)
			buf_printf(
			    &line, " %s", revocation_words[tp->revocation[i]]);
		cli_out(ctx, "    Revocation check:%s", buf_str(&line));
		buf_free(&line);
		if (tp->rsakeypair != NULL)
			cli_out(ctx, "    RSA key pair: %s", tp->rsakeypair);
		if (tp->subject_name != NULL)
			cli_out(ctx, "    Subject name: %s", tp->subject_name);
		TAILQ_FOREACH (c, &tp->chain, entry) {
			if (c->is_ca)
				ca++;
			else
				other++;
		}
		cli_out(ctx, "    Certificates: %d CA, %d router", ca, other);
		cli_out(ctx, "%s", "");
	}
	return CLI_OK;
}

/* ---- tables ---- */

static const struct cli_cmd pki_server_cmds[] = {
    CLI_ENUM("database level", "minimal|names|complete", db_level_words,
        HELP("Certificate enrollment database",
            "Type of data stored in the database",
            "Enough to issue new certificates without conflict (default)",
            "Also the serial number and subject of each certificate",
            "Also each issued certificate"),
        SRV, database_level, DB_MINIMAL),
    CLI_STR("database url", "URL",
        HELP("Certificate enrollment database",
            "Where the database entries are written",
            "File system URL (nvram:, flash:, slot0:)"),
        SRV, database_url),
    CLI_BOOL("mode ra",
        HELP("Mode of the certificate server",
            "Registration authority for another CA"),
        SRV, mode_ra),
    CLI_STR("issuer-name", "LINE",
        HELP("Issuer name of the CA (default: the label)",
            "Distinguished name (CN=label)"),
        SRV, issuer_name),
    CLI_BOOL("grant auto",
        HELP("Certificate request grant policy",
            "Issue certificates automatically to any requester"),
        SRV, grant_auto),
    CLI_UINT("lifetime crl", "(1-336)",
        HELP("Lifetimes of what the server issues",
            "Lifetime of the CRL (default 168)", "Hours"),
        SRV, lifetime_crl_hours, 168),
    CLI_UINT("lifetime certificate", "(1-1825)",
        HELP("Lifetimes of what the server issues",
            "Lifetime of issued certificates (default 365)", "Days"),
        SRV, lifetime_cert_days, 365),
    CLI_UINT("lifetime ca-certificate", "(1-7305)",
        HELP("Lifetimes of what the server issues",
            "Lifetime of the CA certificate (default 1095)", "Days"),
        SRV, lifetime_ca_days, 1095),
    {.syntax = "shutdown",
        .help = HELP("Shut down the certificate server (no: enable it)"),
        .handler = shutdown_run,
        .write = shutdown_write,
        .flags = CLI_NO},
};

static struct cli_table pki_server_table = CLI_TABLE(pki_server_cmds);

static struct cli_table *const pki_server_tables[] = {
    &cli_builtin_config, &pki_server_table, NULL};

static const char *const pki_server_ignored[] = {"cdp-url", "crl", "hash",
    "auto-rollover", "eku", "grant none", "grant ra-auto",
    "grant auto rollover", "grant auto trustpoint",
    "lifetime enrollment-request", "lifetime renewal", "redundancy",
    "serial-number", NULL};

const struct cli_mode mode_pki_server = {
    .name = "crypto pki server",
    .prompt = "cs-server",
    .parent = &config_mode_config,
    .tables = pki_server_tables,
    .leave = pki_leave,
    .ignored = pki_server_ignored,
    .is_config = 1,
};

static const struct cli_cmd trustpoint_cmds[] = {
    {.syntax = "enrollment url URL$url",
        .help = HELP("Enrollment parameters",
            "Enroll with a CA over SCEP at this URL",
            "URL of the CA (http://host:80)"),
        .handler = enrollment_url_run,
        .write = enrollment_write,
        .flags = CLI_NO,
        .no_words = 2},
    {.syntax = "enrollment terminal",
        .help = HELP(
            "Enrollment parameters", "Enroll by cut and paste at the terminal"),
        .handler = enrollment_terminal_run,
        .flags = CLI_NO},
    {.syntax = "serial-number [none]",
        .help = HELP("Include the router serial number in requests",
            "Do not include it"),
        .handler = serial_number_run,
        .write = serial_number_write,
        .flags = CLI_NO},
    CLI_STR("subject-name", "LINE",
        HELP("Subject name of the certificate request",
            "Distinguished name (CN=...)"),
        TP, subject_name),
    {.syntax = "revocation-check <crl|none|ocsp>$m1 "
               "[<crl|none|ocsp>$m2 [<crl|none|ocsp>$m3]]",
        .help = HELP("How to check certificate revocation",
            "Certificate revocation list (default)", "No check",
            "Online Certificate Status Protocol", "Certificate revocation list",
            "No check", "Online Certificate Status Protocol",
            "Certificate revocation list", "No check",
            "Online Certificate Status Protocol"),
        .handler = revocation_run,
        .write = revocation_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "rsakeypair NAME$key [(360-4096)$size [(360-4096)$enc]]",
        .help = HELP("RSA key pair of this trustpoint", "Key pair label",
            "Key size in bits", "Size of a separate encryption key"),
        .handler = rsakeypair_run,
        .write = rsakeypair_write,
        .flags = CLI_NO,
        .no_words = 1},
    {.syntax = "password LINE$pw",
        .help = HELP(
            "Challenge password (outside OpenCME's scope)", "The password"),
        .handler = ignored_secret_run,
        .name = "password",
        .flags = CLI_NO | CLI_SECRET | CLI_HIDDEN,
        .no_words = 1},
};

static struct cli_table trustpoint_table = CLI_TABLE(trustpoint_cmds);

static struct cli_table *const trustpoint_tables[] = {
    &cli_builtin_config, &trustpoint_table, NULL};

static const char *const trustpoint_ignored[] = {"fqdn", "ip-address",
    "auto-enroll", "usage", "eku", "hash", "vrf", "source", "crl", "ocsp",
    "match", "chain-validation", "storage", "fingerprint", "subject-alt-name",
    "primary", "root", "query", "default", "on", "regenerate", "auto-trigger",
    "enrollment mode", "enrollment retry", "enrollment http-proxy",
    "enrollment selfsigned", "enrollment profile", "enrollment credential",
    NULL};

const struct cli_mode mode_trustpoint = {
    .name = "crypto pki trustpoint",
    .prompt = "ca-trustpoint",
    .parent = &config_mode_config,
    .tables = trustpoint_tables,
    .leave = pki_leave,
    .ignored = trustpoint_ignored,
    .is_config = 1,
};

static const struct cli_cmd cert_chain_cmds[] = {
    {.syntax = "certificate [ca|self-signed] HEX$serial",
        .help = HELP("A certificate of the chain (hex lines, then quit)",
            "A CA certificate", "The router's self-signed certificate",
            "Serial number (hex)"),
        .handler = certificate_run,
        .write = certificates_write,
        .flags = CLI_NO,
        .no_words = 3},
};

static struct cli_table cert_chain_table = CLI_TABLE(cert_chain_cmds);

static struct cli_table *const cert_chain_tables[] = {
    &cli_builtin_config, &cert_chain_table, NULL};

const struct cli_mode mode_cert_chain = {
    .name = "crypto pki certificate chain",
    .prompt = "config-cert-chain",
    .parent = &config_mode_config,
    .tables = cert_chain_tables,
    .leave = pki_leave,
    .is_config = 1,
};

/* No rows: every line goes to cert_hex_line(). */
static struct cli_table *const cert_hex_tables[] = {NULL};

const struct cli_mode mode_cert_hex = {
    .name = "certificate data",
    .prompt = "config-pubkey",
    .parent = &mode_cert_chain,
    .tables = cert_hex_tables,
    .raw_line = cert_hex_line,
    .leave = cert_hex_leave,
    .is_config = 1,
};

static const struct cli_cmd pki_cfg_cmds[] = {
    {.syntax = "crypto pki server NAME$label",
        .help = HELP("Encryption module", "Public key infrastructure",
            "Certificate server (Cisco IOS CA)",
            "Label (at most 13 characters)"),
        .handler = server_enter,
        .write = servers_write,
        .flags = CLI_NO},
    {.syntax = "crypto pki trustpoint NAME$name",
        .help = HELP("Encryption module", "Public key infrastructure",
            "Define a trustpoint", "Trustpoint label"),
        .handler = trustpoint_enter,
        .write = trustpoints_write,
        .flags = CLI_NO},
    {.syntax = "crypto pki certificate chain NAME$name",
        .help = HELP("Encryption module", "Public key infrastructure",
            "Certificates", "The certificate chain of a trustpoint",
            "Trustpoint label"),
        .handler = chain_enter,
        .write = chains_write,
        .flags = CLI_NO},
};

static const struct cli_cmd pki_exec_cmds[] = {
    {.syntax = "show crypto pki trustpoints",
        .help = HELP("Show running system information", "Encryption module",
            "Public key infrastructure", "Configured trustpoints"),
        .handler = show_trustpoints,
        .flags = CLI_ACTION},
    {.syntax = "show crypto pki certificates [NAME$name]",
        .help = HELP("Show running system information", "Encryption module",
            "Public key infrastructure", "Certificates of the stored chains",
            "Trustpoint label"),
        .handler = show_certificates,
        .flags = CLI_ACTION},
};

struct cli_table pki_cfg = CLI_TABLE(pki_cfg_cmds);
struct cli_table pki_exec = CLI_TABLE(pki_exec_cmds);
