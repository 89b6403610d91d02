/*
 * ctl-client, capf-server and credentials: running-config text, round
 * trips, the {0|1} password forms, SAST1 != SAST2, auth-string and the
 * chapter's show layouts.
 */
#include "harness.h"

#include <ctype.h>

#include "fmt/passwd.h"

/* ---- helpers ---- */

/* Trustpoints the interactive commands may name. */
static void
declare_trustpoints(struct harness *h, ...)
{
	va_list ap;
	const char *name;

	run_ok(h, "configure terminal", NULL);
	va_start(ap, h);
	while ((name = va_arg(ap, const char *)) != NULL) {
		char line[128];

		snprintf(line, sizeof(line), "crypto pki trustpoint %s", name);
		run_ok(h, line, "revocation-check none", "exit", NULL);
	}
	va_end(ap);
	run_ok(h, "end", NULL);
}

/* The word after "prefix" in text (up to white space), malloc'ed. */
static char *
word_after(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);
	size_t n;

	if (p == NULL)
		fail_msg("\"%s\" not found in:\n%s", prefix, text);
	p += strlen(prefix);
	n = strcspn(p, " \n");
	return strndup(p, n);
}

static void
assert_type7_of(const char *enc, const char *plain)
{
	char *dec = NULL;

	if (passwd7_decode(enc, &dec) != PASSWD_OK)
		fail_msg("\"%s\" is not a type 7 string", enc);
	assert_string_equal(dec, plain);
	passwd_free(dec);
}

static int changes;
static char last_change[64];

static void
on_change(void *arg, const char *what)
{
	(void)arg;
	changes++;
	snprintf(last_change, sizeof(last_change), "%s", what);
}

/* ---- ctl-client ---- */

static void
ctl_client_golden_and_round_trip(void **state)
{
	struct harness *h = harness_new();
	char *rc;

	(void)state;
	declare_trustpoints(h, "cmeserver", "sast2", "appsrv", NULL);
	run_ok(h, "configure terminal", "ctl-client",
	    "server capf 10.1.1.1 trustpoint cmeserver",
	    "server cme 10.1.1.1 trustpoint cmeserver",
	    "server tftp 10.1.1.1 trustpoint cmeserver",
	    "server cme-tftp 10.1.1.2 trustpoint cmeserver",
	    "server application 10.1.2.3 trustpoint appsrv",
	    "server cme 10.1.1.100 username cisco password 0 Cisco123",
	    "sast1 trustpoint cmeserver", "sast2 trustpoint sast2",
	    "import certificate 5 FlashCert flash:flash_cert.cer", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "ctl-client\n"
	    " server capf 10.1.1.1 trustpoint cmeserver\n"
	    " server cme 10.1.1.1 trustpoint cmeserver\n"
	    " server tftp 10.1.1.1 trustpoint cmeserver\n"
	    " server cme-tftp 10.1.1.2 trustpoint cmeserver\n"
	    " server application 10.1.2.3 trustpoint appsrv\n"
	    " server cme 10.1.1.100 username cisco password 0 Cisco123\n"
	    " sast1 trustpoint cmeserver\n"
	    " sast2 trustpoint sast2\n"
	    " import certificate 5 FlashCert flash:flash_cert.cer\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);

	/* One entry per role and address: a new trustpoint replaces. */
	run_ok(h, "configure terminal", "ctl-client",
	    "server capf 10.1.1.1 trustpoint sast2", "no server cme 10.1.1.100",
	    "no server tftp 10.1.1.1", "no import certificate 5",
	    "no sast2 trustpoint", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "ctl-client\n"
	    " server capf 10.1.1.1 trustpoint sast2\n"
	    " server cme 10.1.1.1 trustpoint cmeserver\n"
	    " server cme-tftp 10.1.1.2 trustpoint cmeserver\n"
	    " server application 10.1.2.3 trustpoint appsrv\n"
	    " sast1 trustpoint cmeserver\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);
	run_ok(h, "configure terminal", "ctl-client", NULL);
	assert_int_equal(run(h, "no server tftp 10.1.1.1"), CLI_ERR);
	assert_int_equal(
	    run(h, "server bogus 10.1.1.1 trustpoint sast2"), CLI_ERR);
	assert_int_equal(
	    run(h, "import certificate 101 X flash:x.pem"), CLI_ERR);

	/* `regenerate` is an action run by the daemon (hooks): it is never
	 * saved; without a daemon it says so. */
	h->cfg->hooks = &(const struct config_hooks){.changed = on_change};
	changes = 0;
	assert_int_equal(run(h, "regenerate"), CLI_ERR);
	assert_contains(buf_str(&h->out), "running daemon");
	assert_int_equal(changes, 0);
	h->cfg->hooks = NULL;
	run_ok(h, "exit", "no ctl-client", "end", NULL);
	rc = running_config(h);
	assert_not_contains(rc, "ctl-client");
	assert_not_contains(rc, "regenerate");
	free(rc);
	harness_free(h);
}

static void
ctl_client_password_forms(void **state)
{
	struct harness *h = harness_new();
	struct ctl_remote *r;
	char *rc, *enc;

	(void)state;
	run_ok(h, "configure terminal", "ctl-client",
	    "server cme 10.1.1.1 username cisco password 1 "
	    "0822455D0A16544541",
	    "server cme 10.1.1.2 username admin password 1 mypassword",
	    "server cme 10.1.1.3 username other password 0 38h2KL", "end",
	    NULL);
	r = TAILQ_FIRST(&h->cfg->ctl.remotes);
	assert_non_null(r);
	assert_string_equal(r->ip, "10.1.1.1");
	assert_string_equal(r->username, "cisco");
	assert_string_equal(r->password.plain, "cisco123");

	rc = running_config(h);
	/* 1: printed as type 7 (the chapter's "MD5" is type 7). */
	enc = word_after(rc, "server cme 10.1.1.1 username cisco password 1 ");
	assert_type7_of(enc, "cisco123");
	free(enc);
	/* "1 clear-text" (the chapter's example) is the password itself. */
	enc = word_after(rc, "server cme 10.1.1.2 username admin password 1 ");
	assert_type7_of(enc, "mypassword");
	free(enc);
	assert_contains(rc,
	    " server cme 10.1.1.3 username other password 0 "
	    "38h2KL\n");
	free(rc);
	assert_round_trip(h);
	harness_free(h);
}

static void
sast1_and_sast2_must_differ(void **state)
{
	struct harness *h = harness_new();
	struct buf err = BUF_INIT;
	int errors;
	char *rc;

	(void)state;
	declare_trustpoints(h, "cmeserver", "sast2", NULL);
	run_ok(h, "configure terminal", "ctl-client",
	    "sast1 trustpoint cmeserver", NULL);
	assert_int_equal(run(h, "sast2 trustpoint cmeserver"), CLI_ERR);
	assert_contains(buf_str(&h->out), "different");
	assert_null(h->cfg->ctl.sast2_tp);
	run_ok(h, "sast2 trustpoint sast2", NULL);
	assert_int_equal(run(h, "sast1 trustpoint sast2"), CLI_ERR);
	assert_string_equal(h->cfg->ctl.sast1_tp, "cmeserver");
	/* Typed, an undeclared trustpoint is refused. */
	assert_int_equal(run(h, "sast1 trustpoint nosuch"), CLI_ERR);
	assert_contains(buf_str(&h->out), "not configured");
	assert_int_equal(
	    run(h, "server cme 10.1.1.1 trustpoint nosuch"), CLI_ERR);
	harness_free(h);

	/* A saved configuration only warns (and may name trustpoints it
	 * never declares, as the chapter's HTTPS example does). */
	rc = reload_text("ctl-client\n"
	                 " sast1 trustpoint first-sast\n"
	                 " sast2 trustpoint first-sast\n",
	    &errors, &err);
	assert_int_equal(errors, 0);
	assert_contains(
	    buf_str(&err), "test.cfg:3: % Warning: SAST1 and SAST2");
	assert_contains(rc,
	    " sast1 trustpoint first-sast\n"
	    " sast2 trustpoint first-sast\n");
	free(rc);
	buf_free(&err);
}

static void
ctl_client_chapter_examples(void **state)
{
	static const char *const files[] = {"ctl-client-cme.cfg",
	    "ctl-client-other-router.cfg", "https-provisioning-steps.cfg",
	    "capf-server-steps.cfg", "ctl-provider.cfg", NULL};

	(void)state;
	for (int i = 0; files[i] != NULL; i++) {
		char path[128];
		FILE *f;
		struct buf text = BUF_INIT, err = BUF_INIT, err2 = BUF_INIT;
		char chunk[4096], *rc, *again;
		size_t n;
		int errors;

		snprintf(path, sizeof(path), "examples/chapter/%s", files[i]);
		f = fopen(path, "r");
		assert_non_null(f);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&text, chunk, n);
		fclose(f);
		rc = reload_text(buf_str(&text), &errors, &err);
		if (errors != 0)
			fail_msg("%s: %d errors:\n%s", files[i], errors,
			    buf_str(&err));
		again = reload_text(rc, &errors, &err2);
		assert_int_equal(errors, 0);
		assert_string_equal(again, rc);
		if (i == 0)
			assert_contains(rc,
			    "ctl-client\n"
			    " server capf 10.1.1.1 trustpoint cmeserver\n"
			    " server cme 10.1.1.1 trustpoint cmeserver\n"
			    " server tftp 10.1.1.1 trustpoint cmeserver\n"
			    " sast1 trustpoint cmeserver\n"
			    " sast2 trustpoint sast2\n"
			    "!\n");
		if (i == 1)
			assert_contains(rc,
			    " server cme 10.1.1.100 trustpoint cmeserver\n"
			    " server cme 10.1.1.1 username cisco password 1 ");
		free(rc);
		free(again);
		buf_free(&text);
		buf_free(&err);
		buf_free(&err2);
	}
}

static void
show_ctl_client_layout(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	assert_int_equal(run(h, "show ctl-client"), CLI_OK);
	assert_contains(buf_str(&h->out), "not configured");
	declare_trustpoints(h, "cmeserver", "sast2", NULL);
	run_ok(h, "configure terminal", "ctl-client",
	    "server capf 10.1.1.1 trustpoint cmeserver",
	    "server cme 10.1.1.1 trustpoint cmeserver",
	    "server tftp 10.1.1.1 trustpoint cmeserver",
	    "sast1 trustpoint cmeserver", "sast2 trustpoint sast2", "end",
	    NULL);
	assert_int_equal(run(h, "show ctl-client"), CLI_OK);
	assert_string_equal(buf_str(&h->out),
	    "CTL Client Information\n"
	    "-----------------------------\n"
	    "        SAST 1 Certificate Trustpoint: cmeserver\n"
	    "        SAST 2 Certificate Trustpoint: sast2\n"
	    "        List of Trusted Servers in the CTL\n"
	    "                CME     10.1.1.1        cmeserver\n"
	    "                TFTP    10.1.1.1        cmeserver\n"
	    "                CAPF    10.1.1.1        cmeserver\n");
	harness_free(h);
}

/* ---- capf-server ---- */

static void
capf_server_golden_and_round_trip(void **state)
{
	struct harness *h = harness_new();
	struct capf_server *c = &h->cfg->capf;
	char *rc, *enc;

	(void)state;
	declare_trustpoints(h, "tp1", "ra1", NULL);
	run_ok(h, "configure terminal", "capf-server", "trustpoint-label tp1",
	    "cert-enroll-trustpoint ra1 password 0 x8oWiet",
	    "source-addr 10.10.10.1", "auth-mode mic", "phone-key-size 2048",
	    "port 3805", "keygen-retry 5", "keygen-timeout 45",
	    "cert-oper upgrade all", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "capf-server\n"
	    " port 3805\n"
	    " auth-mode MIC\n"
	    " cert-enroll-trustpoint ra1 password 0 x8oWiet\n"
	    " trustpoint-label tp1\n"
	    " source-addr 10.10.10.1\n"
	    " phone-key-size 2048\n"
	    " keygen-retry 5\n"
	    " keygen-timeout 45\n"
	    " cert-oper upgrade all\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);
	assert_int_equal(c->auth_mode, CAPF_AUTH_MIC);
	assert_int_equal(c->cert_oper, CERT_OPER_UPGRADE);
	assert_int_equal(c->phone_key_size, 2048);

	run_ok(h, "configure terminal", "capf-server", "auth-mode lsc", NULL);
	assert_int_equal(c->auth_mode, CAPF_AUTH_LSC);
	run_ok(h, "auth-mode null-string", NULL);
	assert_int_equal(c->auth_mode, CAPF_AUTH_NULL_STRING);
	run_ok(h, "auth-mode auth-string", NULL);
	assert_int_equal(c->auth_mode, CAPF_AUTH_STRING);
	assert_int_equal(run(h, "phone-key-size 4096"), CLI_ERR);
	assert_int_equal(run(h, "port 1999"), CLI_ERR);
	assert_int_equal(run(h, "keygen-timeout 0"), CLI_ERR);
	assert_int_equal(
	    run(h, "cert-enroll-trustpoint nosuch password 0 x"), CLI_ERR);
	/* Type 7 in, type 7 out; the chapter's string is cisco123. */
	run_ok(h, "cert-enroll-trustpoint ra1 password 1 00071A1507545A545C",
	    NULL);
	assert_string_equal(c->cert_enroll_pw.plain, "cisco123");
	run_ok(h, "no auth-mode", "no phone-key-size", "no port",
	    "no keygen-retry", "no keygen-timeout", "no cert-oper",
	    "no source-addr", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "capf-server\n port 3804\n cert-enroll-trustpoint "
	    "ra1 password 1 ");
	enc = word_after(rc, "cert-enroll-trustpoint ra1 password 1 ");
	assert_type7_of(enc, "cisco123");
	free(enc);
	assert_contains(rc, " trustpoint-label tp1\n!\n");
	free(rc);
	assert_round_trip(h);

	run_ok(h, "configure terminal", "no capf-server", "end", NULL);
	rc = running_config(h);
	assert_not_contains(rc, "capf-server");
	free(rc);
	assert_int_equal(c->port, 3804);
	assert_false(secret_is_set(&c->cert_enroll_pw));
	harness_free(h);
}

static void
show_capf_server_summary_layout(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	declare_trustpoints(h, "tp1", "ra1", NULL);
	run_ok(h, "configure terminal", "capf-server", "trustpoint-label tp1",
	    "cert-enroll-trustpoint ra1 password 0 x8oWiet",
	    "source-addr 10.10.10.1", "end", NULL);
	assert_int_equal(run(h, "show capf-server summary"), CLI_OK);
	assert_string_equal(buf_str(&h->out),
	    "CAPF Server Configuration Details\n"
	    "        Trustpoint for TLS With Phone: tp1\n"
	    "        Trustpoint for CA operation: ra1\n"
	    "        Source Address: 10.10.10.1\n"
	    "        Listening Port: 3804\n"
	    "        Phone Key Size: 1024\n"
	    "        Phone KeyGen Retries: 3\n"
	    "        Phone KeyGen Timeout: 30 minutes\n");
	harness_free(h);
}

static int
all_digits(const char *s, size_t len)
{
	if (s == NULL || strlen(s) != len)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static void
auth_string_generate_and_show(void **state)
{
	struct harness *h = harness_new();
	struct ephone *e1, *e2, *e3;
	const char *out;
	char line[64];

	(void)state;
	run_ok(h, "configure terminal", "ephone 1",
	    "mac-address 000C.CE3A.817C", "ephone 2",
	    "mac-address 0011.2111.6bdd", "ephone 3", "capf-server", NULL);
	e1 = ephone_find(h->cfg, 1);
	e2 = ephone_find(h->cfg, 2);
	e3 = ephone_find(h->cfg, 3);
	assert_non_null(e1);
	assert_non_null(e2);
	assert_non_null(e3);

	run_ok(h, "auth-string generate all", NULL);
	assert_true(all_digits(e1->capf_auth_str, 6));
	assert_true(all_digits(e2->capf_auth_str, 6));
	assert_true(all_digits(e3->capf_auth_str, 6));
	run_ok(h, "end", NULL);
	assert_int_equal(run(h, "show capf-server auth-string"), CLI_OK);
	out = buf_str(&h->out);
	assert_contains(out,
	    "Authentication Strings for configured Ephones\n"
	    "Mac-Addr        Auth-String\n"
	    "--------        -----------\n");
	snprintf(
	    line, sizeof(line), "\n000CCE3A817C    %s\n", e1->capf_auth_str);
	assert_contains(out, line);
	snprintf(
	    line, sizeof(line), "\n001121116BDD    %s\n", e2->capf_auth_str);
	assert_contains(out, line);
	/* Ephone 3 has no MAC address: not listed. */
	assert_not_contains(out, e3->capf_auth_str);

	/* Given strings, one phone, deletion. */
	run_ok(h, "configure terminal", "capf-server",
	    "auth-string generate 2 0678", NULL);
	assert_string_equal(e2->capf_auth_str, "0678");
	run_ok(h, "auth-string generate all 1234567890", NULL);
	assert_string_equal(e1->capf_auth_str, "1234567890");
	assert_string_equal(e3->capf_auth_str, "1234567890");
	assert_int_equal(run(h, "auth-string generate 1 123"), CLI_ERR);
	assert_int_equal(run(h, "auth-string generate 1 12345678901"), CLI_ERR);
	assert_int_equal(run(h, "auth-string generate 99"), CLI_ERR);
	assert_contains(buf_str(&h->out), "Ephone 99");
	assert_int_equal(run(h, "auth-string delete 1 1234"), CLI_ERR);
	run_ok(h, "auth-string delete 1", NULL);
	assert_null(e1->capf_auth_str);
	assert_string_equal(e2->capf_auth_str, "1234567890");
	run_ok(h, "auth-string delete all", "end", NULL);
	assert_null(e2->capf_auth_str);
	assert_null(e3->capf_auth_str);
	assert_int_equal(run(h, "show capf-server auth-string"), CLI_OK);
	assert_string_equal(buf_str(&h->out),
	    "Authentication Strings for configured Ephones\n"
	    "Mac-Addr        Auth-String\n"
	    "--------        -----------\n");
	harness_free(h);
}

/* ---- credentials ---- */

static void
credentials_golden_show_and_round_trip(void **state)
{
	struct harness *h = harness_new();
	struct credentials_conf *c = &h->cfg->credentials;
	char *rc, *enc;

	(void)state;
	assert_int_equal(run(h, "show credentials"), CLI_OK);
	assert_contains(buf_str(&h->out), "not configured");
	declare_trustpoints(h, "ctlpv", NULL);
	run_ok(h, "configure terminal", "credentials",
	    "ip source-address 172.19.245.1", "trustpoint ctlpv",
	    "ctl-service admin user4 secret 0 c89L8o", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "credentials\n"
	    " ctl-service admin user4 secret 0 c89L8o\n"
	    " ip source-address 172.19.245.1 port 2444\n"
	    " trustpoint ctlpv\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);
	assert_int_equal(run(h, "show credentials"), CLI_OK);
	assert_string_equal(buf_str(&h->out),
	    "Credentials IP: 172.19.245.1\n"
	    "Credentials PORT: 2444\n"
	    "Trustpoint: ctlpv\n");

	run_ok(h, "configure terminal", "credentials",
	    "ip source-address 10.1.1.1 port 2445",
	    "ctl-service admin cisco secret 1 094F471A1A0A464058", "end", NULL);
	assert_string_equal(c->admin_secret.plain, "cisco123");
	assert_int_equal(c->port, 2445);
	rc = running_config(h);
	enc = word_after(rc, " ctl-service admin cisco secret 1 ");
	assert_type7_of(enc, "cisco123");
	free(enc);
	assert_contains(rc, " ip source-address 10.1.1.1 port 2445\n");
	free(rc);
	assert_round_trip(h);
	run_ok(h, "configure terminal", "credentials", NULL);
	assert_int_equal(run(h, "trustpoint nosuch"), CLI_ERR);
	run_ok(h, "no ctl-service admin", "no ip source-address", "end", NULL);
	rc = running_config(h);
	assert_contains(rc, "credentials\n trustpoint ctlpv\n!\n");
	free(rc);
	assert_round_trip(h);
	harness_free(h);
}

static void
security_blocks_in_running_config_order(void **state)
{
	struct harness *h = harness_new();
	char *rc;
	const char *a, *b, *c;

	(void)state;
	run_ok(h, "configure terminal", "credentials", "exit", "capf-server",
	    "exit", "ctl-client", "end", NULL);
	rc = running_config(h);
	a = strstr(rc, "ctl-client\n!\n");
	b = strstr(rc, "capf-server\n port 3804\n!\n");
	c = strstr(rc, "credentials\n!\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a < b && b < c);
	free(rc);
	assert_round_trip(h);
	harness_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ctl_client_golden_and_round_trip),
	    cmocka_unit_test(ctl_client_password_forms),
	    cmocka_unit_test(sast1_and_sast2_must_differ),
	    cmocka_unit_test(ctl_client_chapter_examples),
	    cmocka_unit_test(show_ctl_client_layout),
	    cmocka_unit_test(capf_server_golden_and_round_trip),
	    cmocka_unit_test(show_capf_server_summary_layout),
	    cmocka_unit_test(auth_string_generate_and_show),
	    cmocka_unit_test(credentials_golden_show_and_round_trip),
	    cmocka_unit_test(security_blocks_in_running_config_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
