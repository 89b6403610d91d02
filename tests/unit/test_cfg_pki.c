/*
 * crypto pki server / trustpoint / certificate chain: running-config
 * text, round trips, the chapter's examples (secure-cme.cfg with its
 * certificate chains, capf-server.cfg with its truncated blocks) and
 * `show crypto pki certificates` fingerprints checked against OpenSSL.
 */
#include "harness.h"

#include <ctype.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CERT_DIR "tests/data/chapter-certs/"

/* ---- helpers ---- */

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		fail_msg("cannot open %s (tests run from the repository root)",
		    path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (len != NULL)
		*len = b.len;
	return buf_steal(&b);
}

/* Load a file of the repository into a fresh configuration. */
static struct config *
load_file(const char *path, const char *name, int *errors, struct buf *err)
{
	struct config *cfg = config_new();
	struct cli_session *s = config_session_new(cfg);
	size_t len;
	char *text = read_file(path, &len);

	*errors = cli_load_text(s, name, text, len, err);
	cli_session_free(s);
	free(text);
	return cfg;
}

static char *
config_text(struct config *cfg)
{
	struct buf b = BUF_INIT;

	config_write(cfg, &b, 0, 0);
	return buf_steal(&b);
}

/* The hex lines of a DER file in IOS layout (two-space indent). */
static char *
der_hex_block(const unsigned char *der, size_t len)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < len; i++) {
		if (i % 32 == 0)
			buf_puts(&b, "  ");
		else if (i % 4 == 0)
			buf_putc(&b, ' ');
		buf_printf(&b, "%02X", der[i]);
		if (i % 32 == 31 || i + 1 == len)
			buf_putc(&b, '\n');
	}
	return buf_steal(&b);
}

/* Type the lines of a hex block (as a user pasting it). */
static void
run_hex_block(struct harness *h, const char *block)
{
	char *copy = strdup(block), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save))
		if (run(h, l) != CLI_OK)
			fail_msg(
			    "hex line \"%s\" refused: %s", l, buf_str(&h->out));
	free(copy);
}

/* Enter a DER file as `certificate [ca] SERIAL` of chain tp. */
static void
add_cert(
    struct harness *h, const char *tp, const char *cert_line, const char *file)
{
	struct buf cmd = BUF_INIT;
	size_t len;
	char *der = read_file(file, &len);
	char *hex = der_hex_block((unsigned char *)der, len);

	buf_printf(&cmd, "crypto pki certificate chain %s", tp);
	run_ok(h, buf_str(&cmd), cert_line, NULL);
	run_hex_block(h, hex);
	run_ok(h, "  quit", "exit", NULL);
	free(hex);
	free(der);
	buf_free(&cmd);
}

/* OpenSSL's digest of the certificate, grouped as IOS prints it. */
static char *
openssl_fingerprint(const char *file, const EVP_MD *md)
{
	size_t len;
	char *der = read_file(file, &len);
	const unsigned char *p = (const unsigned char *)der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct buf b = BUF_INIT;

	assert_non_null(x);
	assert_int_equal(X509_digest(x, md, dig, &n), 1);
	for (unsigned int i = 0; i < n; i++)
		buf_printf(&b, "%s%02X", i && i % 4 == 0 ? " " : "", dig[i]);
	X509_free(x);
	free(der);
	return buf_steal(&b);
}

/* 1-based number of the first line equal to text (after indentation). */
static int
line_of(const char *file_text, const char *text)
{
	int no = 1;
	const char *p = file_text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *t = p;

		while (t < p + len && isspace((unsigned char)*t))
			t++;
		if ((size_t)(p + len - t) == strlen(text) &&
		    strncmp(t, text, strlen(text)) == 0)
			return no;
		if (nl == NULL)
			break;
		p = nl + 1;
		no++;
	}
	return -1;
}

/* ---- crypto pki server ---- */

static void
pki_server_golden_and_round_trip(void **state)
{
	struct harness *h = harness_new();
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "crypto pki server sanjose1",
	    "database level complete",
	    "database url nvram:", "lifetime certificate 888",
	    "lifetime crl 24", "lifetime ca-certificate 3650",
	    "issuer-name CN=sanjose1 O=Lab", "grant auto", "mode ra",
	    "no shutdown", "exit", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "crypto pki server sanjose1\n"
	    " database level complete\n"
	    " database url nvram:\n"
	    " mode ra\n"
	    " issuer-name CN=sanjose1 O=Lab\n"
	    " grant auto\n"
	    " lifetime crl 24\n"
	    " lifetime certificate 888\n"
	    " lifetime ca-certificate 3650\n"
	    " no shutdown\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);

	/* Defaults are not printed; a new server is shut down. */
	run_ok(h, "configure terminal", "crypto pki server sanjose1",
	    "no lifetime certificate", "no grant auto", "no mode ra",
	    "shutdown", "no issuer-name", "no lifetime crl",
	    "no lifetime ca-certificate", "database level minimal", "end",
	    NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "crypto pki server sanjose1\n"
	    " database url nvram:\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);

	/* Ranges and the 13-character label limit. */
	run_ok(h, "configure terminal", NULL);
	assert_int_equal(run(h, "crypto pki server abcdefghijklmn"), CLI_ERR);
	assert_contains(buf_str(&h->out), "13");
	assert_null(pki_server_find(h->cfg, "abcdefghijklmn"));
	run_ok(h, "crypto pki server abcdefghijklm", NULL);
	assert_int_equal(run(h, "lifetime certificate 1826"), CLI_ERR);
	assert_int_equal(run(h, "lifetime crl 337"), CLI_ERR);
	assert_int_equal(run(h, "database level everything"), CLI_ERR);
	run_ok(h, "exit", "no crypto pki server abcdefghijklm", NULL);
	assert_null(pki_server_find(h->cfg, "abcdefghijklm"));
	assert_non_null(pki_server_find(h->cfg, "sanjose1"));
	harness_free(h);
}

static void
pki_server_startup_message_without_trustpoint(void **state)
{
	const char *missing = "crypto pki server authority1\n"
	                      " no grant auto\n"
	                      " no shutdown\n";
	const char *present = "crypto pki trustpoint sanjose1\n"
	                      " enrollment url http://ca-server.company.com\n"
	                      "crypto pki server sanjose1\n"
	                      " grant auto\n"
	                      " no shutdown\n";
	struct buf err = BUF_INIT;
	int errors;
	char *rc;

	(void)state;
	rc = reload_text(missing, &errors, &err);
	assert_int_equal(errors, 0);
	assert_contains(buf_str(&err),
	    "test.cfg:3: % Failed to find "
	    "Certificate Server's trustpoint at "
	    "startup\n");
	assert_contains(rc, "crypto pki server authority1\n no shutdown\n!\n");
	free(rc);
	buf_reset(&err);
	rc = reload_text(present, &errors, &err);
	assert_int_equal(errors, 0);
	assert_not_contains(buf_str(&err), "Failed to find");
	assert_contains(rc,
	    "crypto pki server sanjose1\n"
	    " grant auto\n"
	    " no shutdown\n"
	    "!\n"
	    "crypto pki trustpoint sanjose1\n"
	    " enrollment url http://ca-server.company.com\n"
	    "!\n");
	free(rc);
	buf_free(&err);
}

/* ---- crypto pki trustpoint ---- */

static void
trustpoint_golden_and_round_trip(void **state)
{
	struct harness *h = harness_new();
	struct trustpoint *tp;
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "crypto pki trustpoint ra12",
	    "enrollment url http://ca-server.company.com",
	    "revocation-check crl ocsp none", "serial-number",
	    "subject-name CN=ra12, OU=Lab",
	    "rsakeypair exampleCAkeys 1024 1024", "exit",
	    "crypto pki trustpoint sanjose1", "revocation-check none",
	    "enrollment terminal", "serial-number none",
	    "rsakeypair sanjose1 2048", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "crypto pki trustpoint ra12\n"
	    " enrollment url http://ca-server.company.com\n"
	    " serial-number\n"
	    " subject-name CN=ra12, OU=Lab\n"
	    " revocation-check crl ocsp none\n"
	    " rsakeypair exampleCAkeys 1024 1024\n"
	    "!\n"
	    "crypto pki trustpoint sanjose1\n"
	    " enrollment terminal\n"
	    " serial-number none\n"
	    " revocation-check none\n"
	    " rsakeypair sanjose1 2048\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);

	tp = trustpoint_find(h->cfg, "ra12");
	assert_non_null(tp);
	assert_int_equal(tp->revocation[0], REVOKE_CRL);
	assert_int_equal(tp->revocation[1], REVOKE_OCSP);
	assert_int_equal(tp->revocation[2], REVOKE_NONE);
	assert_int_equal(tp->key_size, 1024);
	assert_int_equal(tp->enc_key_size, 1024);
	assert_null(trustpoint_find(h->cfg, "RA12")); /* labels keep case */

	/* url and terminal replace each other; no forms clear. */
	run_ok(h, "configure terminal", "crypto pki trustpoint ra12",
	    "enrollment terminal", "no revocation-check", "no serial-number",
	    "no subject-name", "no rsakeypair", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "crypto pki trustpoint ra12\n"
	    " enrollment terminal\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);

	run_ok(h, "configure terminal", "no crypto pki trustpoint ra12", NULL);
	assert_null(trustpoint_find(h->cfg, "ra12"));
	assert_int_equal(run(h, "no crypto pki trustpoint ra12"), CLI_ERR);
	harness_free(h);
}

static void
trustpoint_names_and_ignored_commands(void **state)
{
	struct harness *h = harness_new();
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", NULL);
	/* The chapter's typo: '>' is not a trustpoint-name character. */
	assert_int_equal(
	    run(h, "crypto pki trustpoint mytrustpoint1>"), CLI_ERR);
	assert_contains(buf_str(&h->out), "% Invalid input");
	run_ok(h, "crypto pki trustpoint TP-self.signed_1/a@b+c", "exit", NULL);
	assert_non_null(trustpoint_find(h->cfg, "TP-self.signed_1/a@b+c"));

	/* Out-of-scope sub-commands are accepted and reported. */
	run_ok(h, "crypto pki trustpoint tp", "fqdn cme.example.com",
	    "auto-enroll 70", "password Chall3nge", NULL);
	assert_contains(buf_str(&h->out), "outside OpenCME's scope");
	assert_not_contains(buf_str(&h->out), "Chall3nge");
	run_ok(h, "end", NULL);
	rc = running_config(h);
	assert_not_contains(rc, "fqdn");
	assert_not_contains(rc, "Chall3nge");
	free(rc);
	harness_free(h);
}

/* ---- crypto pki certificate chain ---- */

static void
chain_entered_by_hand_prints_ios_layout(void **state)
{
	struct harness *h = harness_new();
	size_t len;
	char *der = read_file(CERT_DIR "mytrustpoint1-02.der", &len);
	char *hex = der_hex_block((unsigned char *)der, len);
	struct buf expect = BUF_INIT;
	struct trustpoint *tp;
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "crypto pki trustpoint mytrustpoint1",
	    "enrollment url http://10.13.32.11:80", "exit",
	    "crypto pki certificate chain mytrustpoint1", "certificate 02",
	    NULL);
	run_hex_block(h, hex);
	run_ok(h, "quit", "end", NULL);

	tp = trustpoint_find(h->cfg, "mytrustpoint1");
	assert_non_null(tp);
	assert_non_null(TAILQ_FIRST(&tp->chain));
	assert_int_equal(TAILQ_FIRST(&tp->chain)->der_len, len);
	assert_memory_equal(TAILQ_FIRST(&tp->chain)->der, der, len);

	buf_printf(&expect,
	    "crypto pki certificate chain mytrustpoint1\n"
	    " certificate 02\n%s  quit\n!\n",
	    hex);
	rc = running_config(h);
	assert_contains(rc, buf_str(&expect));
	/* The 431-byte certificate: 13 full lines, then "A1D407". */
	assert_contains(rc, "  B2C97808 D6E01351 48366421 A1D407\n  quit\n");
	free(rc);
	assert_round_trip(h);

	/* Removing it leaves an empty chain block. */
	run_ok(h, "configure terminal",
	    "crypto pki certificate chain mytrustpoint1", NULL);
	assert_int_equal(run(h, "no certificate ca 02"), CLI_ERR);
	run_ok(h, "no certificate 02", "end", NULL);
	rc = running_config(h);
	assert_contains(rc, "crypto pki certificate chain mytrustpoint1\n!\n");
	free(rc);
	assert_round_trip(h);
	free(hex);
	free(der);
	buf_free(&expect);
	harness_free(h);
}

static void
chain_bad_blocks_store_nothing(void **state)
{
	struct harness *h = harness_new();
	struct trustpoint *tp;

	(void)state;
	run_ok(h, "configure terminal", "crypto pki certificate chain tp",
	    "certificate ca 01", "308201F9 30820162", NULL);
	/* A line that is not hex: an error, the block goes on to quit. */
	assert_int_equal(run(h, "...."), CLI_ERR);
	assert_contains(buf_str(&h->out), "\"....\"");
	run_ok(h, "A0030201", "quit", NULL);
	assert_contains(buf_str(&h->out), "not stored");
	/* Back in the chain mode. */
	run_ok(h, "certificate 02", "3082", NULL);
	/* Hex, but not a certificate: an error at quit. */
	assert_int_equal(run(h, "quit"), CLI_ERR);
	assert_contains(buf_str(&h->out), "not a valid X.509 certificate");
	run_ok(h, "certificate 03", "308", NULL);
	assert_int_equal(run(h, "quit"), CLI_ERR);
	assert_contains(buf_str(&h->out), "odd-length");
	run_ok(h, "certificate 04", NULL);
	assert_int_equal(run(h, "quit"), CLI_ERR);
	run_ok(h, "end", NULL);
	tp = TAILQ_FIRST(&h->cfg->trustpoints);
	assert_non_null(tp);
	assert_true(TAILQ_EMPTY(&tp->chain));
	/* A chain without a declared trustpoint is kept, not declared. */
	assert_null(trustpoint_find(h->cfg, "tp"));
	harness_free(h);
}

static void
chain_before_or_without_its_trustpoint(void **state)
{
	struct harness *h = harness_new();
	size_t len;
	char *der = read_file(CERT_DIR "myra-ca-01.der", &len);
	char *hex = der_hex_block((unsigned char *)der, len);
	const char *tail;
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "crypto pki certificate chain orphan",
	    "certificate ca 01", NULL);
	run_hex_block(h, hex);
	run_ok(h, "quit", "exit", "crypto pki certificate chain myra",
	    "certificate ca 01", NULL);
	run_hex_block(h, hex);
	run_ok(h, "quit", "exit", "crypto pki trustpoint myra",
	    "revocation-check none", "end", NULL);
	assert_non_null(trustpoint_find(h->cfg, "myra"));
	assert_null(trustpoint_find(h->cfg, "orphan"));
	rc = running_config(h);
	assert_contains(rc,
	    "crypto pki trustpoint myra\n"
	    " revocation-check none\n"
	    "!\n"
	    "crypto pki certificate chain myra\n"
	    " certificate ca 01\n");
	assert_not_contains(rc, "crypto pki trustpoint orphan");
	/* Declared trustpoints' chains first, then the others. */
	tail = strstr(rc, "crypto pki certificate chain myra\n");
	assert_non_null(tail);
	assert_contains(tail,
	    "crypto pki certificate chain orphan\n"
	    " certificate ca 01\n");
	free(rc);
	assert_round_trip(h);

	/* An empty chain block stays (capf-server.cfg has one). */
	run_ok(h, "configure terminal", "crypto pki certificate chain capf-tp",
	    "end", NULL);
	rc = running_config(h);
	assert_contains(rc, "crypto pki certificate chain capf-tp\n");
	free(rc);
	assert_round_trip(h);
	run_ok(h, "configure terminal",
	    "no crypto pki certificate chain orphan", "end", NULL);
	rc = running_config(h);
	assert_not_contains(rc, "orphan");
	free(rc);
	free(hex);
	free(der);
	harness_free(h);
}

static void
chain_self_signed_and_missing_quit(void **state)
{
	struct harness *h = harness_new();
	size_t len;
	char *der = read_file(CERT_DIR "myra-ca-01.der", &len);
	char *hex = der_hex_block((unsigned char *)der, len);
	struct trustpoint *tp;
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "crypto pki trustpoint TP-self-signed",
	    "enrollment terminal", "exit",
	    "crypto pki certificate chain TP-self-signed", "certificate 05",
	    "3082", NULL);
	/* A new certificate line before quit: the first block is lost. */
	assert_int_equal(run(h, " certificate self-signed 01"), CLI_ERR);
	assert_contains(buf_str(&h->out),
	    "Missing \"quit\" after "
	    "certificate 05");
	/* "certificate ca" alone is not a certificate line. */
	assert_int_equal(run(h, "certificate ca"), CLI_ERR);
	assert_contains(buf_str(&h->out), "invalid data");
	run_ok(h, "quit", "certificate self-signed 01", NULL);
	run_hex_block(h, hex);
	run_ok(h, "quit", "end", NULL);
	tp = trustpoint_find(h->cfg, "TP-self-signed");
	assert_non_null(TAILQ_FIRST(&tp->chain));
	assert_true(TAILQ_FIRST(&tp->chain)->self_signed);
	assert_null(TAILQ_NEXT(TAILQ_FIRST(&tp->chain), entry));
	rc = running_config(h);
	assert_contains(rc,
	    "crypto pki certificate chain TP-self-signed\n"
	    " certificate self-signed 01\n"
	    "  308201F9 30820162 ");
	free(rc);
	assert_round_trip(h);
	assert_int_equal(run(h, "show crypto pki certificates"), CLI_OK);
	assert_contains(buf_str(&h->out), "Router Self-Signed Certificate\n");
	free(hex);
	free(der);
	harness_free(h);
}

/* ---- the chapter's examples ---- */

static void
secure_cme_loads_with_one_error_and_keeps_chains(void **state)
{
	const char *path = "examples/chapter/secure-cme.cfg";
	struct buf err = BUF_INIT, where = BUF_INIT;
	int errors, typo;
	char *text = read_file(path, NULL);
	struct config *cfg = load_file(path, "secure-cme.cfg", &errors, &err);
	char *rc = config_text(cfg);
	const char *p;
	int chains = 0;

	(void)state;
	typo = line_of(text, "sast1 trustpoint mytrustpoint1>");
	assert_true(typo > 0);
	buf_printf(&where, "secure-cme.cfg:%d: %% Invalid input", typo);
	if (errors != 1)
		fail_msg(
		    "expected one error, got %d:\n%s", errors, buf_str(&err));
	assert_contains(buf_str(&err), buf_str(&where));

	/* Every chain block of the file, byte for byte. */
	for (p = strstr(text, "\ncrypto pki certificate chain "); p != NULL;
	     p = strstr(p, "\ncrypto pki certificate chain ")) {
		const char *end = p + 1;
		char *block;

		/* The block: its line and the indented lines after it. */
		end = strchr(end, '\n');
		while (end != NULL && end[1] == ' ')
			end = strchr(end + 1, '\n');
		assert_non_null(end);
		block = strndup(p + 1, (size_t)(end - p));
		assert_contains(rc, block);
		free(block);
		chains++;
		p = end;
	}
	assert_int_equal(chains, 3);
	assert_contains(rc,
	    "crypto pki server myra\n"
	    " database level complete\n"
	    " grant auto\n"
	    " lifetime certificate 1800\n"
	    "!\n"
	    "crypto pki trustpoint myra\n"
	    " enrollment url http://10.13.32.11:80\n"
	    " revocation-check none\n"
	    " rsakeypair iosra\n"
	    "!\n");
	{
		/* And it reloads into the same text. */
		struct buf err2 = BUF_INIT;
		int errors2;
		char *again = reload_text(rc, &errors2, &err2);

		assert_int_equal(errors2, 0);
		assert_string_equal(again, rc);
		free(again);
		buf_free(&err2);
	}
	free(rc);
	free(text);
	config_free(cfg);
	buf_free(&err);
	buf_free(&where);
}

static void
capf_example_truncated_blocks_are_errors(void **state)
{
	const char *path = "examples/chapter/capf-server.cfg";
	struct buf err = BUF_INIT;
	int errors, dots = 0, no = 1, missing_quit;
	char *text = read_file(path, NULL);
	struct config *cfg = load_file(path, "capf-server.cfg", &errors, &err);
	char *rc = config_text(cfg);
	struct trustpoint *tp;

	(void)state;
	/* Each placeholder line ("...", "....", ...) is an error there. */
	for (const char *p = text; *p != '\0'; no++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *t = p;

		while (t < p + len && *t == ' ')
			t++;
		if (t < p + len && strspn(t, ".") == (size_t)(p + len - t)) {
			char where[64];

			snprintf(where, sizeof(where),
			    "capf-server.cfg:%d: %% Certificate", no);
			assert_contains(buf_str(&err), where);
			dots++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	assert_int_equal(dots, 6);
	/* The iosra "certificate 04" block has no quit: the next line,
	 * "certificate ca 01", says so. */
	missing_quit = line_of(text, "......") + 1;
	assert_true(missing_quit > 1);
	{
		char where[64];

		snprintf(where, sizeof(where),
		    "capf-server.cfg:%d: %% Missing \"quit\"", missing_quit);
		assert_contains(buf_str(&err), where);
	}
	if (errors != dots + 1)
		fail_msg("expected %d errors, got %d:\n%s", dots + 1, errors,
		    buf_str(&err));

	/* Nothing stored for those blocks; the chain lines stay. */
	TAILQ_FOREACH (tp, &cfg->trustpoints, entry)
		assert_true(TAILQ_EMPTY(&tp->chain));
	assert_not_contains(rc, "\n certificate ");
	assert_contains(rc,
	    "crypto pki certificate chain cmeserver\n"
	    "crypto pki certificate chain sast2\n"
	    "crypto pki certificate chain iosra\n"
	    "crypto pki certificate chain capf-tp\n"
	    "!\n");
	assert_contains(rc,
	    "crypto pki server iosra\n"
	    " database url slot0:\n"
	    " mode ra\n"
	    " grant auto\n"
	    "!\n");
	assert_contains(rc,
	    "crypto pki trustpoint cmeserver\n"
	    " enrollment url http://10.1.1.100:80\n"
	    " serial-number\n"
	    " revocation-check none\n"
	    " rsakeypair cmeserver\n"
	    "!\n");
	free(rc);
	free(text);
	config_free(cfg);
	buf_free(&err);
}

static void
chapter_pki_examples_round_trip(void **state)
{
	static const char *const files[] = {"ios-ca.cfg", "ios-ca-steps.cfg",
	    "ra.cfg", "server-certificates.cfg",
	    "server-certificates-steps.cfg", "mic-root-steps.cfg",
	    "unity-root-cert.cfg", NULL};

	(void)state;
	for (int i = 0; files[i] != NULL; i++) {
		char path[128];
		struct buf err = BUF_INIT, err2 = BUF_INIT;
		int errors, errors2;
		struct config *cfg;
		char *rc, *again;

		snprintf(path, sizeof(path), "examples/chapter/%s", files[i]);
		cfg = load_file(path, files[i], &errors, &err);
		if (errors != 0)
			fail_msg("%s: %d errors:\n%s", files[i], errors,
			    buf_str(&err));
		rc = config_text(cfg);
		again = reload_text(rc, &errors2, &err2);
		assert_int_equal(errors2, 0);
		assert_string_equal(again, rc);
		free(rc);
		free(again);
		config_free(cfg);
		buf_free(&err);
		buf_free(&err2);
	}
}

/* ---- show commands ---- */

static void
show_certificates_fingerprints_match_openssl(void **state)
{
	static const struct {
		const char *tp, *line, *file;
	} certs[] = {
	    {"myra", "certificate ca 01", CERT_DIR "myra-ca-01.der"},
	    {"mytrustpoint1", "certificate 02",
	        CERT_DIR "mytrustpoint1-02.der"},
	    {"mytrustpoint1", "certificate ca 01", CERT_DIR "myra-ca-01.der"},
	    {"sast2", "certificate 03", CERT_DIR "sast2-03.der"},
	    {"sast2", "certificate ca 01", CERT_DIR "myra-ca-01.der"},
	};
	struct harness *h = harness_new();
	const char *out;

	(void)state;
	run_ok(h, "configure terminal", NULL);
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		add_cert(h, certs[i].tp, certs[i].line, certs[i].file);
	run_ok(h, "end", NULL);
	assert_int_equal(run(h, "show crypto pki certificates"), CLI_OK);
	out = buf_str(&h->out);
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		char *md5 = openssl_fingerprint(certs[i].file, EVP_md5());
		char *sha1 = openssl_fingerprint(certs[i].file, EVP_sha1());
		struct buf l = BUF_INIT;

		buf_printf(&l, "  Fingerprint MD5: %s\n", md5);
		assert_contains(out, buf_str(&l));
		buf_reset(&l);
		buf_printf(&l, "  Fingerprint SHA1: %s\n", sha1);
		assert_contains(out, buf_str(&l));
		buf_free(&l);
		free(md5);
		free(sha1);
	}
	/* The CA certificate is shown once, with both trustpoints. */
	assert_contains(out,
	    "CA Certificate\n"
	    "  Status: Expired\n"
	    "  Certificate Serial Number (hex): 01\n"
	    "  Issuer:\n"
	    "    cn=iosra\n"
	    "  Subject:\n"
	    "    cn=iosra\n"
	    "  Validity Date:\n"
	    "    start date: 05:40:17 UTC Jul 7 2006\n"
	    "    end   date: 05:40:17 UTC Jul 6 2009\n");
	assert_contains(
	    out, "  Associated Trustpoints: myra mytrustpoint1 sast2\n");
	assert_non_null(strstr(out, "CA Certificate"));
	assert_null(
	    strstr(strstr(out, "CA Certificate") + 1, "CA Certificate"));
	assert_contains(out,
	    "Certificate\n"
	    "  Status: Expired\n"
	    "  Certificate Serial Number (hex): 02\n");
	assert_contains(out, "    hostname=2851-CME2\n");
	assert_contains(out, "    start date: 05:42:38 UTC Jul 7 2006\n");
	assert_contains(out, "  Associated Trustpoints: sast2\n");

	/* One trustpoint only. */
	assert_int_equal(run(h, "show crypto pki certificates sast2"), CLI_OK);
	assert_contains(buf_str(&h->out), "Serial Number (hex): 03\n");
	assert_contains(buf_str(&h->out), "Serial Number (hex): 01\n");
	assert_not_contains(buf_str(&h->out), "Serial Number (hex): 02\n");
	assert_int_equal(
	    run(h, "show crypto pki certificates nosuch"), CLI_ERR);
	harness_free(h);
}

static void
fingerprint_helper_groups_like_ios(void **state)
{
	static const char *const files[] = {CERT_DIR "myra-ca-01.der",
	    CERT_DIR "mytrustpoint1-02.der", CERT_DIR "sast2-03.der", NULL};

	(void)state;
	for (int i = 0; files[i] != NULL; i++) {
		size_t len;
		char *der = read_file(files[i], &len);
		char *md5 = openssl_fingerprint(files[i], EVP_md5());
		char *sha1 = openssl_fingerprint(files[i], EVP_sha1());
		struct buf b = BUF_INIT;

		pki_fingerprint_ios((unsigned char *)der, len, "MD5", &b);
		assert_string_equal(buf_str(&b), md5);
		assert_int_equal(b.len, 4 * 8 + 3);
		buf_reset(&b);
		pki_fingerprint_ios((unsigned char *)der, len, "SHA1", &b);
		assert_string_equal(buf_str(&b), sha1);
		assert_int_equal(b.len, 5 * 8 + 4);
		buf_reset(&b);
		pki_fingerprint_ios((unsigned char *)der, len, "SHA512", &b);
		assert_int_equal(b.len, 0);
		buf_free(&b);
		free(md5);
		free(sha1);
		free(der);
	}
}

static void
show_trustpoints_lists_configuration(void **state)
{
	struct harness *h = harness_new();
	const char *out;

	(void)state;
	run_ok(h, "configure terminal", "crypto pki trustpoint cmeserver",
	    "enrollment url http://10.1.1.100:80", "revocation-check none",
	    "rsakeypair cmeserver", "exit", "crypto pki trustpoint 7970",
	    "enrollment terminal", "end", NULL);
	assert_int_equal(run(h, "show crypto pki trustpoints"), CLI_OK);
	out = buf_str(&h->out);
	assert_contains(out,
	    "Trustpoint cmeserver:\n"
	    "    Enrollment: url http://10.1.1.100:80\n"
	    "    Revocation check: none\n"
	    "    RSA key pair: cmeserver\n");
	assert_contains(out,
	    "Trustpoint 7970:\n"
	    "    Enrollment: terminal\n"
	    "    Revocation check: crl (default)\n");
	harness_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pki_server_golden_and_round_trip),
	    cmocka_unit_test(pki_server_startup_message_without_trustpoint),
	    cmocka_unit_test(trustpoint_golden_and_round_trip),
	    cmocka_unit_test(trustpoint_names_and_ignored_commands),
	    cmocka_unit_test(chain_entered_by_hand_prints_ios_layout),
	    cmocka_unit_test(chain_bad_blocks_store_nothing),
	    cmocka_unit_test(chain_before_or_without_its_trustpoint),
	    cmocka_unit_test(chain_self_signed_and_missing_quit),
	    cmocka_unit_test(secure_cme_loads_with_one_error_and_keeps_chains),
	    cmocka_unit_test(capf_example_truncated_blocks_are_errors),
	    cmocka_unit_test(chapter_pki_examples_round_trip),
	    cmocka_unit_test(show_certificates_fingerprints_match_openssl),
	    cmocka_unit_test(fingerprint_helper_groups_like_ios),
	    cmocka_unit_test(show_trustpoints_lists_configuration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
