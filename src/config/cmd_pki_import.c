/*
 * `crypto pki authenticate NAME`: get a trustpoint's CA certificate,
 * show its fingerprints and store it in the trustpoint's certificate
 * chain once the administrator accepts it (chapter "Manually Import the
 * MIC Root Certificate", "Import the Cisco Unity Root Certificate").
 *
 * With `enrollment terminal` the certificate is pasted (base64 or PEM,
 * ended by a blank line or "quit"); with `enrollment url` it is fetched
 * with SCEP GetCACert through the daemon (hooks->fetch_ca_cert).
 */
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config/modes.h"

#define PASTE_MAX (64 * 1024)

struct auth_op {
	char *tp_name;
	struct buf b64;
	unsigned char *der;
	size_t der_len;
};

static void
auth_op_free(struct auth_op *op)
{
	if (op == NULL)
		return;
	free(op->tp_name);
	buf_free(&op->b64);
	free(op->der);
	free(op);
}

/*
 * The serial as the hex of its DER content octets (two's complement), as
 * a `certificate SERIAL` line carries it: even-length, and right for the
 * negative serials some old CAs issued (the chapter's 7960 root).
 */
static char *
serial_hex(const ASN1_INTEGER *serial)
{
	unsigned char *der = NULL, *p;
	struct buf b = BUF_INIT;
	int n = i2d_ASN1_INTEGER(serial, &der);
	int hdr;

	if (n < 3) {
		OPENSSL_free(der);
		return NULL;
	}
	hdr = der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7f);
	for (p = der + hdr; p < der + n; p++)
		buf_printf(&b, "%02X", *p);
	OPENSSL_free(der);
	return buf_steal(&b);
}

int
trustpoint_chain_add(struct config *cfg, struct trustpoint *tp,
    const unsigned char *der, size_t len, int is_ca)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	struct chain_cert *c, *next;
	char *hex;

	(void)cfg;
	if (x == NULL || p != der + len) {
		X509_free(x);
		return -1;
	}
	hex = serial_hex(X509_get0_serialNumber(x));
	X509_free(x);
	if (hex == NULL)
		return -1;
	/* The same certificate again replaces the old copy. */
	for (c = TAILQ_FIRST(&tp->chain); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->is_ca == is_ca && strcasecmp(c->serial, hex) == 0) {
			TAILQ_REMOVE(&tp->chain, c, entry);
			free(c->serial);
			free(c->der);
			free(c);
		}
	}
	c = xcalloc(1, sizeof(*c));
	c->serial = hex;
	c->is_ca = is_ca;
	c->der = xmalloc(len);
	memcpy(c->der, der, len);
	c->der_len = len;
	if (is_ca)
		TAILQ_INSERT_TAIL(&tp->chain, c, entry);
	else
		TAILQ_INSERT_HEAD(&tp->chain, c, entry);
	tp->has_chain = 1;
	return 0;
}

static void
show_attributes(struct cli_ctx *ctx, const unsigned char *der, size_t len)
{
	struct buf md5 = BUF_INIT, sha1 = BUF_INIT;

	pki_fingerprint_ios(der, len, "MD5", &md5);
	pki_fingerprint_ios(der, len, "SHA1", &sha1);
	cli_out(ctx, "Certificate has the following attributes:");
	cli_out(ctx, "       Fingerprint MD5: %s", buf_str(&md5));
	cli_out(ctx, "      Fingerprint SHA1: %s", buf_str(&sha1));
	buf_free(&md5);
	buf_free(&sha1);
}

static int
accept_cb(struct cli_ctx *ctx, const char *answer, void *arg)
{
	struct auth_op *op = arg;
	struct trustpoint *tp;
	int rc = CLI_ERR;

	if (ctx == NULL) {
		auth_op_free(op);
		return CLI_ERR;
	}
	if (answer == NULL ||
	    (strcasecmp(answer, "yes") != 0 && strcasecmp(answer, "y") != 0)) {
		cli_out(ctx, "%% Certificate not accepted: nothing was stored");
		goto out;
	}
	tp = trustpoint_find(ctx->cfg, op->tp_name);
	if (tp == NULL) {
		cli_out(
		    ctx, "%% Trustpoint %s was removed meanwhile", op->tp_name);
		goto out;
	}
	if (trustpoint_chain_add(ctx->cfg, tp, op->der, op->der_len, 1) != 0) {
		cli_out(ctx, "%% Cannot store the certificate");
		goto out;
	}
	cli_out(ctx, "Trustpoint CA certificate accepted.");
	cli_out(ctx, "%% Certificate successfully imported");
	config_changed(ctx->cfg, "crypto pki authenticate");
	rc = CLI_OK;
out:
	auth_op_free(op);
	return rc;
}

/* Present a candidate CA certificate and ask whether to trust it. */
static int
offer(struct cli_ctx *ctx, struct auth_op *op)
{
	const unsigned char *p = op->der;
	X509 *x = d2i_X509(NULL, &p, (long)op->der_len);

	if (x == NULL || p != op->der + op->der_len) {
		X509_free(x);
		cli_out(ctx,
		    "%% Error in receiving certificate: not a valid "
		    "X.509 certificate; nothing was stored");
		auth_op_free(op);
		return CLI_ERR;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		cli_out(ctx,
		    "%% Warning: this certificate expired; it is "
		    "stored but not used for new sessions");
	X509_free(x);
	show_attributes(ctx, op->der, op->der_len);
	return cli_ask(ctx, "% Do you accept this certificate? [yes/no]: ", 0,
	    accept_cb, op);
}

/*
 * One pasted line.  PEM armour lines are skipped; a console artifact
 * such as a trailing " >" (as in the chapter's own transcript) is
 * dropped; anything else must be base64.
 */
static int
paste_line(struct auth_op *op, const char *line)
{
	size_t len;
	const char *gt;

	while (*line == ' ' || *line == '\t')
		line++;
	len = strlen(line);
	while (len > 0 &&
	    (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	        line[len - 1] == '\r'))
		len--;
	if (len >= 2 && line[len - 1] == '>' && line[len - 2] == ' ')
		len -= 2;
	gt = memchr(line, '>', len);
	if (gt != NULL && gt == line + len - 1)
		len--;
	while (len > 0 && line[len - 1] == ' ')
		len--;
	if (strncmp(line, "-----", 5) == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = line[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		        (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' ||
		        ch == '='))
			return -1;
	}
	if (op->b64.len + len > PASTE_MAX)
		return -1;
	buf_append(&op->b64, line, len);
	return 0;
}

static int
decode_paste(struct auth_op *op)
{
	BIO *b64 = BIO_new(BIO_f_base64());
	BIO *mem = BIO_new_mem_buf(buf_str(&op->b64), (int)op->b64.len);
	unsigned char *out = xmalloc(op->b64.len + 1);
	int n;

	BIO_set_flags(b64, BIO_FLAGS_BASE64_NO_NL);
	BIO_push(b64, mem);
	n = BIO_read(b64, out, (int)op->b64.len);
	BIO_free_all(b64);
	if (n <= 0) {
		free(out);
		return -1;
	}
	op->der = out;
	op->der_len = (size_t)n;
	return 0;
}

static int
paste_cb(struct cli_ctx *ctx, const char *answer, void *arg)
{
	struct auth_op *op = arg;

	if (ctx == NULL) {
		auth_op_free(op);
		return CLI_ERR;
	}
	if (answer == NULL) {
		cli_out(ctx,
		    "%% End of input before the certificate ended; "
		    "nothing was stored");
		auth_op_free(op);
		return CLI_ERR;
	}
	{
		const char *t = answer;

		while (*t == ' ' || *t == '\t')
			t++;
		if (*t == '\0' || strncasecmp(t, "quit", 4) == 0) {
			if (op->b64.len == 0 || decode_paste(op) != 0) {
				cli_out(ctx,
				    "%% No valid base64 certificate "
				    "was pasted; nothing was stored");
				auth_op_free(op);
				return CLI_ERR;
			}
			return offer(ctx, op);
		}
	}
	if (paste_line(op, answer) != 0) {
		cli_out(ctx,
		    "%% Invalid base64 data in the pasted certificate; "
		    "nothing was stored");
		auth_op_free(op);
		return CLI_ERR;
	}
	return cli_ask(ctx, "", 0, paste_cb, op);
}

static int
fetched_cb(struct cli_ctx *ctx, void *arg)
{
	struct auth_op *op = arg;

	if (ctx == NULL) {
		auth_op_free(op);
		return CLI_ERR;
	}
	if (op->der == NULL) {
		buf_puts(ctx->out, buf_str(&op->b64)); /* the error text */
		auth_op_free(op);
		return CLI_ERR;
	}
	return offer(ctx, op);
}

struct fetch_wait {
	struct cli_deferred *d;
	struct auth_op *op;
};

static void
fetch_done(void *arg, const unsigned char *der, size_t len, const char *err)
{
	struct fetch_wait *w = arg;

	if (der != NULL) {
		w->op->der = xmalloc(len ? len : 1);
		memcpy(w->op->der, der, len);
		w->op->der_len = len;
	} else {
		buf_printf(&w->op->b64,
		    "%% Cannot get the CA certificate: %s\n",
		    err ? err : "unknown error");
	}
	cli_resume(w->d, fetched_cb, w->op);
	free(w);
}

static int
authenticate_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *name = cli_arg(args, "name");
	struct trustpoint *tp = trustpoint_find(ctx->cfg, name);
	const struct config_hooks *h = ctx->cfg->hooks;
	struct auth_op *op;

	if (tp == NULL) {
		cli_out(ctx, "%% Could not find trustpoint %s", name);
		return CLI_ERR;
	}
	op = xcalloc(1, sizeof(*op));
	op->tp_name = xstrdup(name);
	if (tp->enrollment_terminal || tp->enrollment_url == NULL) {
		cli_out(ctx, "Enter the base 64 encoded CA certificate.");
		cli_out(ctx,
		    "End with a blank line or the word \"quit\" on a "
		    "line by itself");
		return cli_ask(ctx, "", 0, paste_cb, op);
	}
	if (h == NULL || h->fetch_ca_cert == NULL) {
		cli_out(ctx, "%% Cannot reach %s from here (no daemon)",
		    tp->enrollment_url);
		auth_op_free(op);
		return CLI_ERR;
	}
	{
		struct fetch_wait *w = xcalloc(1, sizeof(*w));

		w->d = cli_defer(ctx);
		if (w->d == NULL) {
			free(w);
			cli_out(ctx,
			    "%% crypto pki authenticate needs an "
			    "interactive session");
			auth_op_free(op);
			return CLI_ERR;
		}
		w->op = op;
		h->fetch_ca_cert(h->arg, tp->enrollment_url, fetch_done, w);
	}
	return CLI_PENDING;
}

static const struct cli_cmd pki_import_cmds[] = {
    {.syntax = "crypto pki authenticate NAME$name",
        .help = HELP("Encryption module", "Public key infrastructure",
            "Get and accept the CA certificate of a trustpoint",
            "Trustpoint label"),
        .handler = authenticate_run,
        .flags = CLI_ACTION},
};

struct cli_table pki_import_cfg = CLI_TABLE(pki_import_cmds);
