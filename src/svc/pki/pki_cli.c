/*
 * Commands of the PKI service: key pairs (`crypto key generate`,
 * `show crypto key mypubkey`), the certificate server's request queue and
 * revocation (`crypto pki server LABEL grant|reject|remove|revoke|info
 * requests`), and the live views (`show crypto pki server`,
 * `show crypto pki trustpoint status`).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "lib/log.h"
#include "svc/pki/pki_int.h"

static int
need_svc(struct cli_ctx *ctx)
{
	if (pki_svc != NULL)
		return 0;
	cli_out(ctx, "%% The PKI service is not running");
	return -1;
}

/* "HH:MM:SS UTC Mon D YYYY", as IOS prints times. */
static void
ios_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%H:%M:%S UTC %b %e %Y", &tm);
	/* %e pads with a space: IOS does not. */
	for (char *p = strstr(out, "  "); p != NULL; p = strstr(out, "  "))
		memmove(p, p + 1, strlen(p));
}

/* The running RA named label, or NULL (nothing printed). */
static struct pki_ra *
server_ra(struct cli_ctx *ctx, const char *label)
{
	if (pki_svc == NULL || pki_svc->ra == NULL ||
	    strcmp(pki_ra_label(pki_svc->ra), label) != 0)
		return NULL;
	(void)ctx;
	return pki_svc->ra;
}

struct list_walk {
	struct cli_ctx *ctx;
};

static int
list_cb(const struct store_request *r, void *arg)
{
	struct list_walk *w = arg;

	cli_out(w->ctx, "%-6lld %-10s %s %s", (long long)r->id,
	    store_req_state_str(r->state), r->fingerprint,
	    r->subject ? r->subject : "");
	return 0;
}

static struct ca *
server_ca(struct cli_ctx *ctx, const char *label)
{
	if (need_svc(ctx) != 0)
		return NULL;
	if (pki_server_find(ctx->cfg, label) == NULL) {
		cli_out(
		    ctx, "%% Certificate server %s is not configured", label);
		return NULL;
	}
	if (pki_svc->ca == NULL || strcmp(pki_svc->ca_label, label) != 0) {
		cli_out(ctx,
		    "%% Certificate server %s is not enabled "
		    "(no shutdown)",
		    label);
		return NULL;
	}
	return pki_svc->ca;
}

/* ---- the request queue ---- */

static int
requests_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct pki_ra *ra = server_ra(ctx, cli_arg(args, "label"));
	struct ca *ca = ra ? NULL : server_ca(ctx, cli_arg(args, "label"));
	struct ca_request *list = NULL;
	size_t n = 0;

	if (ca == NULL && ra == NULL)
		return CLI_ERR;
	if (ra != NULL) {
		struct list_walk w = {ctx};

		cli_out(ctx, "Enrollment Request Database (RA mode):\n");
		cli_out(ctx,
		    "ReqID  State      Fingerprint                      "
		    "SubjectName");
		cli_out(ctx,
		    "-------------------------------------------------"
		    "-------------");
		store_request_foreach(
		    pki_svc->store, pki_ra_label(ra), list_cb, &w);
		return CLI_OK;
	}
	if (ca_request_list(ca, &list, &n) != 0) {
		cli_out(ctx, "%% Cannot read the request database");
		return CLI_ERR;
	}
	cli_out(ctx, "Enrollment Request Database:\n");
	cli_out(ctx, "Subordinate CA certificate requests:");
	cli_out(ctx,
	    "ReqID  State      Fingerprint                      "
	    "SubjectName");
	cli_out(ctx,
	    "--------------------------------------------------------"
	    "------\n");
	cli_out(ctx, "RA certificate requests:");
	cli_out(ctx,
	    "ReqID  State      Fingerprint                      "
	    "SubjectName");
	cli_out(ctx,
	    "--------------------------------------------------------"
	    "------\n");
	cli_out(ctx, "Router certificates requests:");
	cli_out(ctx,
	    "ReqID  State      Fingerprint                      "
	    "SubjectName");
	cli_out(ctx,
	    "--------------------------------------------------------"
	    "------");
	for (size_t i = 0; i < n; i++)
		cli_out(ctx, "%-6" PRId64 " %-10s %s %s", list[i].id,
		    store_req_state_str(list[i].state), list[i].fingerprint,
		    list[i].subject);
	ca_request_list_free(list, n);
	return CLI_OK;
}

static int
request_action_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct pki_ra *ra = server_ra(ctx, cli_arg(args, "label"));
	struct ca *ca = ra ? NULL : server_ca(ctx, cli_arg(args, "label"));
	const char *id_text = cli_arg(args, "id");
	int64_t id = id_text ? strtoll(id_text, NULL, 10) : CA_REQUEST_ALL;
	size_t count = 0;
	int rc;

	if (ca == NULL && ra == NULL)
		return CLI_ERR;
	if (ra != NULL && cli_has(args, "remove")) {
		cli_out(ctx, "%% remove is not supported in RA mode");
		return CLI_ERR;
	}
	if (ra != NULL)
		rc = pki_ra_decide(ra, id, cli_has(args, "grant"), &count);
	else if (cli_has(args, "grant"))
		rc = ca_request_grant(ca, id, &count);
	else if (cli_has(args, "reject"))
		rc = ca_request_reject(ca, id, &count);
	else
		rc = ca_request_remove(ca, id, &count);
	if (rc != 0) {
		cli_out(ctx, "%% Request %s: %s", id_text ? id_text : "all",
		    pki_err_str(rc));
		return CLI_ERR;
	}
	if (count == 0 && id_text == NULL)
		cli_out(ctx, "%% No request to act on");
	log_info("certificate server %s: %s %zu request(s)",
	    cli_arg(args, "label"),
	    cli_has(args, "grant")        ? "granted"
	        : cli_has(args, "reject") ? "rejected"
	                                  : "removed",
	    count);
	return CLI_OK;
}

static int
revoke_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct ca *ca = server_ca(ctx, cli_arg(args, "label"));
	const char *text = cli_arg(args, "serial");
	uint64_t serial;
	char *end;
	int rc;

	if (ca == NULL)
		return CLI_ERR;
	/* IOS takes the serial in hex, with or without 0x. */
	serial = strtoull(text, &end, 16);
	if (*end != '\0' || serial < 2) {
		cli_out(ctx, "%% Invalid serial number %s", text);
		return CLI_ERR;
	}
	rc = ca_revoke(ca, serial, 0);
	if (rc == 0) {
		pki_trust_local_crl_changed();
		pki_svc_publish_crl(pki_svc);
	}
	if (rc != 0) {
		cli_out(ctx, "%% Cannot revoke serial %s: %s", text,
		    pki_err_str(rc));
		return CLI_ERR;
	}
	log_info("certificate server %s: serial 0x%" PRIX64 " revoked",
	    cli_arg(args, "label"), serial);
	cli_out(ctx, "%% Certificate %s succesfully revoked.", text);
	return CLI_OK;
}

/* ---- show crypto pki server ---- */

static int
show_server_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *label = cli_arg(args, "label");
	struct pki_server *ps;
	int shown = 0;

	if (need_svc(ctx) != 0)
		return CLI_ERR;
	TAILQ_FOREACH (ps, &ctx->cfg->pki_servers, entry) {
		int running = pki_svc->ca != NULL &&
		    strcmp(pki_svc->ca_label, ps->label) == 0;

		if (pki_svc->ra != NULL &&
		    strcmp(pki_ra_label(pki_svc->ra), ps->label) == 0) {
			cli_out(ctx, "Certificate Server %s:", ps->label);
			cli_out(ctx, "    Status: enabled");
			cli_out(ctx, "    State: enabled");
			cli_out(ctx, "    Mode: RA");
			cli_out(ctx, "    Granting mode is: %s",
			    ps->grant_auto ? "auto" : "manual");
			shown++;
			continue;
		}
		struct ca_info info;
		char when[64];

		if (label != NULL && strcmp(label, ps->label) != 0)
			continue;
		shown++;
		cli_out(ctx, "Certificate Server %s:", ps->label);
		cli_out(
		    ctx, "    Status: %s", running ? "enabled" : "disabled");
		if (ps->mode_ra)
			cli_out(ctx, "    Mode: RA");
		if (!running) {
			cli_out(ctx, "    State: %s",
			    ps->shutdown            ? "disabled (shutdown)"
			        : pki_svc->ca_error ? pki_svc->ca_error
			                            : "not started");
			continue;
		}
		if (ca_info(pki_svc->ca, &info) != 0)
			continue;
		cli_out(ctx, "    State: enabled");
		cli_out(ctx,
		    "    Server's configuration is locked  (enter "
		    "\"shut\" to unlock it)");
		{
			char *issuer = X509_NAME_oneline(
			    X509_get_subject_name(ca_cert(pki_svc->ca)), NULL,
			    0);
			unsigned char *der = NULL;
			int len = i2d_X509(ca_cert(pki_svc->ca), &der);
			struct buf fp = BUF_INIT;

			pki_fingerprint_ios(der, (size_t)len, "MD5", &fp);
			cli_out(
			    ctx, "    Issuer name: %s", issuer ? issuer : "");
			cli_out(
			    ctx, "    CA cert fingerprint: %s", buf_str(&fp));
			OPENSSL_free(issuer);
			OPENSSL_free(der);
			buf_free(&fp);
		}
		cli_out(ctx, "    Granting mode is: %s",
		    info.grant_auto ? "auto" : "manual");
		cli_out(ctx,
		    "    Last certificate issued serial number (hex): "
		    "%" PRIX64,
		    info.last_serial);
		ios_time(info.ca_not_after, when, sizeof(when));
		cli_out(ctx, "    CA certificate expiration timer: %s", when);
		if (info.crl_next_update != 0) {
			ios_time(info.crl_next_update, when, sizeof(when));
			cli_out(ctx, "    CRL NextUpdate timer: %s", when);
		}
		cli_out(ctx, "    Current primary storage dir: %s",
		    ps->database_url ? ps->database_url : "nvram:");
		cli_out(ctx, "    Database Level: %s",
		    ps->database_level == DB_COMPLETE
		        ? "Complete - all issued certs written as "
		          "<serialnum>.cer"
		        : ps->database_level == DB_NAMES
		        ? "Names - serial number and subject name of each "
		          "cert"
		        : "Minimum - no cert data written to storage");
		cli_out(
		    ctx, "    Pending requests: %zu", info.pending_requests);
	}
	if (shown == 0) {
		cli_out(ctx, "%% No certificate server%s%s is configured",
		    label ? " " : "", label ? label : "");
		return label ? CLI_ERR : CLI_OK;
	}
	return CLI_OK;
}

/* ---- show crypto pki trustpoint status (the chapter's layout) ---- */

static void
status_cert(struct cli_ctx *ctx, const struct chain_cert *c)
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	struct buf md5 = BUF_INIT, sha1 = BUF_INIT;

	if (x == NULL)
		return;
	cli_out(ctx, "Issuing CA certificate configured:");
	{
		char line[512];
		BIO *b = BIO_new(BIO_s_mem());
		int n;

		X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
		    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
		n = BIO_read(b, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		BIO_free(b);
		for (char *q = line; *q; q++)
			if (*q >= 'A' && *q <= 'Z' &&
			    (q == line || q[-1] == ',')) {
				/* attribute names lower-case, as IOS */
				char *eq = strchr(q, '=');

				for (char *r = q; eq != NULL && r < eq; r++)
					if (*r >= 'A' && *r <= 'Z')
						*r = (char)(*r - 'A' + 'a');
			}
		cli_out(ctx, "Subject Name:");
		cli_out(ctx, "%s", line);
	}
	pki_fingerprint_ios(c->der, c->der_len, "MD5", &md5);
	pki_fingerprint_ios(c->der, c->der_len, "SHA1", &sha1);
	cli_out(ctx, "Fingerprint MD5: %s", buf_str(&md5));
	cli_out(ctx, "Fingerprint SHA1: %s", buf_str(&sha1));
	buf_free(&md5);
	buf_free(&sha1);
	X509_free(x);
}

static int
show_tp_status_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	struct trustpoint *tp;

	(void)args;
	if (need_svc(ctx) != 0)
		return CLI_ERR;
	TAILQ_FOREACH (tp, &ctx->cfg->trustpoints, entry) {
		const struct chain_cert *c, *ca = NULL, *id = NULL;
		const char *label = tp->rsakeypair ? tp->rsakeypair : tp->name;
		int keys = keystore_exists(pki_svc->keys, label) == 1;

		if (!tp->declared)
			continue;
		TAILQ_FOREACH (c, &tp->chain, entry) {
			if (c->is_ca && ca == NULL)
				ca = c;
			else if (!c->is_ca && id == NULL)
				id = c;
		}
		cli_out(ctx, "Trustpoint %s:", tp->name);
		if (ca != NULL)
			status_cert(ctx, ca);
		if (id != NULL) {
			struct buf md5 = BUF_INIT;

			pki_fingerprint_ios(id->der, id->der_len, "MD5", &md5);
			cli_out(ctx,
			    "Router General Purpose certificate "
			    "configured:");
			cli_out(ctx, "Fingerprint: %s", buf_str(&md5));
			buf_free(&md5);
		}
		cli_out(ctx, "State:");
		cli_out(ctx, "Keys generated ............. %s",
		    keys ? "Yes (General Purpose)" : "No");
		cli_out(ctx, "Issuing CA authenticated ....... %s",
		    ca ? "Yes" : "No");
		cli_out(ctx, "Certificate request(s) ..... %s",
		    id ? "Yes" : "None");
	}
	return CLI_OK;
}

/* ---- key pairs ---- */

static int
keygen_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *label = cli_arg(args, "label");
	int ec = cli_has(args, "ec");
	unsigned bits = (unsigned)cli_arg_ulong(
	    args, ec ? "size" : "bits", ec ? 256 : 2048);
	EVP_PKEY *key = NULL;
	int rc;

	if (need_svc(ctx) != 0)
		return CLI_ERR;
	if (!keystore_label_ok(label)) {
		cli_out(ctx, "%% Invalid key label %s", label);
		return CLI_ERR;
	}
	cli_out(ctx, "The name for the keys will be: %s", label);
	if (!ec && bits < 1024)
		cli_out(ctx,
		    "%% Warning: %u-bit RSA keys are weak; OpenCME's "
		    "servers refuse them",
		    bits);
	cli_out(ctx,
	    "%% Generating %u bit %s keys, keys will be "
	    "non-exportable...",
	    bits, ec ? "EC" : "RSA");
	rc = keystore_generate(pki_svc->keys, label,
	    ec ? KEYSTORE_EC : KEYSTORE_RSA, bits, 1, &key);
	EVP_PKEY_free(key);
	if (rc != 0) {
		cli_out(ctx, "%% Key generation failed: %s", pki_err_str(rc));
		return CLI_ERR;
	}
	cli_out(ctx, "[OK]");
	return CLI_OK;
}

static int
zeroize_cb(struct cli_ctx *ctx, const char *answer, void *arg)
{
	char *label = arg;
	int rc;

	if (ctx == NULL || answer == NULL ||
	    (strcasecmp(answer, "yes") != 0 && strcasecmp(answer, "y") != 0)) {
		if (ctx != NULL)
			cli_out(ctx, "%% Keys not removed");
		free(label);
		return CLI_ERR;
	}
	rc = keystore_delete(pki_svc->keys, label);
	if (rc != 0)
		cli_out(ctx, "%% Cannot remove %s: %s", label, pki_err_str(rc));
	free(label);
	return rc == 0 ? CLI_OK : CLI_ERR;
}

static int
zeroize_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *label = cli_arg(args, "label");

	if (need_svc(ctx) != 0)
		return CLI_ERR;
	if (keystore_exists(pki_svc->keys, label) != 1) {
		cli_out(ctx, "%% No key pair named %s", label);
		return CLI_ERR;
	}
	cli_out(ctx, "%% Keys to be removed are named %s.", label);
	return cli_ask(ctx,
	    "Do you really want to remove these keys? "
	    "[yes/no]: ",
	    0, zeroize_cb, xstrdup(label));
}

static int
mypubkey_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *only = cli_arg(args, "label");
	struct keystore_info *list = NULL;
	size_t n = 0;

	if (need_svc(ctx) != 0)
		return CLI_ERR;
	if (keystore_list(pki_svc->keys, &list, &n) != 0) {
		cli_out(ctx, "%% Cannot list the key pairs");
		return CLI_ERR;
	}
	for (size_t i = 0; i < n; i++) {
		struct buf der = BUF_INIT, hex = BUF_INIT;
		int want = cli_has(args, "ec") ? KEYSTORE_EC : KEYSTORE_RSA;

		if (list[i].type != want ||
		    (only != NULL && strcmp(only, list[i].label) != 0))
			continue;
		if (keystore_pubkey_export(
		        pki_svc->keys, list[i].label, KEYSTORE_DER, &der) != 0)
			continue;
		pki_hex_lines(
		    (const unsigned char *)der.data, der.len, "  ", &hex);
		cli_out(ctx, "Key name: %s", list[i].label);
		cli_out(ctx, "Key type: %s KEYS %u bits",
		    want == KEYSTORE_EC ? "EC" : "RSA", list[i].bits);
		cli_out(ctx, " Storage Device: private-config");
		cli_out(ctx, " Usage: General Purpose Key");
		cli_out(ctx, " Key is not exportable.");
		cli_out(ctx, " Key Data:");
		buf_puts(ctx->out, buf_str(&hex));
		buf_free(&der);
		buf_free(&hex);
	}
	free(list);
	return CLI_OK;
}

#define SHOW "Show running system information"
#define SRV_HELP                                                               \
	"Encryption module", "Public key infrastructure",                      \
	    "Certificate server", "Certificate server label"

static const struct cli_cmd pki_svc_exec_cmds[] = {
    {.syntax = "crypto pki server NAME$label info requests",
        .help = HELP(SRV_HELP, "Information", "Enrollment requests"),
        .handler = requests_run,
        .flags = CLI_ACTION},
    {.syntax = "crypto pki server NAME$label <grant|reject|remove> "
               "<all|(1-2147483647)$id>",
        .help = HELP(SRV_HELP, "Grant enrollment requests",
            "Reject enrollment requests", "Remove enrollment requests",
            "Every pending request", "Request ID"),
        .handler = request_action_run,
        .flags = CLI_ACTION},
    {.syntax = "crypto pki server NAME$label revoke HEX$serial",
        .help = HELP(SRV_HELP, "Revoke a certificate", "Serial number (hex)"),
        .handler = revoke_run,
        .flags = CLI_ACTION},
    {.syntax = "show crypto pki server [NAME$label]",
        .help = HELP(SHOW, "Encryption module", "Public key infrastructure",
            "Certificate servers", "Certificate server label"),
        .handler = show_server_run,
        .flags = CLI_ACTION},
    {.syntax = "show crypto pki server NAME$label requests",
        .help = HELP(SHOW, "Encryption module", "Public key infrastructure",
            "Certificate servers", "Certificate server label",
            "Enrollment requests"),
        .handler = requests_run,
        .flags = CLI_ACTION},
    {.syntax = "show crypto pki <trustpoint|trustpoints> status",
        .help = HELP(SHOW, "Encryption module", "Public key infrastructure",
            "Trustpoints", "Trustpoints", "Enrollment status"),
        .handler = show_tp_status_run,
        .flags = CLI_ACTION},
    {.syntax = "show crypto key mypubkey <rsa|ec> [NAME$label]",
        .help = HELP(SHOW, "Encryption module", "Long term keys",
            "Our public keys", "RSA keys", "EC keys", "Key label"),
        .handler = mypubkey_run,
        .flags = CLI_ACTION},
};

static const struct cli_cmd pki_svc_cfg_cmds[] = {
    {.syntax = "crypto key generate rsa [general-keys] label NAME$label "
               "modulus (360-4096)$bits",
        .help = HELP("Encryption module", "Long term keys",
            "Generate a key pair", "RSA key pair", "General purpose keys",
            "Key label", "Key pair name", "Modulus size",
            "Bits (1024-4096 for our servers)"),
        .handler = keygen_run,
        .flags = CLI_ACTION},
    {.syntax = "crypto key generate ec keysize <256|384>$size label "
               "NAME$label",
        .help = HELP("Encryption module", "Long term keys",
            "Generate a key pair", "Elliptic curve key pair", "Key size",
            "P-256", "P-384", "Key label", "Key pair name"),
        .handler = keygen_run,
        .flags = CLI_ACTION},
    {.syntax = "crypto key zeroize <rsa|ec> NAME$label",
        .help = HELP("Encryption module", "Long term keys", "Remove a key pair",
            "RSA keys", "EC keys", "Key pair name"),
        .handler = zeroize_run,
        .flags = CLI_ACTION},
};

struct cli_table pki_svc_exec = CLI_TABLE(pki_svc_exec_cmds);
struct cli_table pki_svc_cfg = CLI_TABLE(pki_svc_cfg_cmds);
