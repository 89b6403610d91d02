/* ephone-template, ephone-dn and ephone: commands, running-config, show. */
#include "harness.h"

#include "fmt/passwd.h"

/* ---- helpers ---- */

static struct buf changes = BUF_INIT;

static void
record_change(void *arg, const char *what)
{
	(void)arg;
	buf_printf(&changes, "%s\n", what);
}

static const struct config_hooks test_hooks = {
    .changed = record_change,
};

static struct harness *
ephone_harness(void)
{
	struct harness *h = harness_new();

	h->cfg->hooks = &test_hooks;
	buf_reset(&changes);
	run_ok(h, "configure terminal", NULL);
	return h;
}

/* Run a line that must fail; its output in h->out. */
static void
run_err(struct harness *h, const char *line)
{
	int rc = run(h, line);

	if (rc != CLI_ERR)
		fail_msg("\"%s\" should have failed (rc %d): %s", line, rc,
		    buf_str(&h->out));
}

static char *
prompt(struct harness *h)
{
	struct buf b = BUF_INIT;

	cli_session_prompt(h->s, &b);
	return buf_steal(&b);
}

static void
assert_prompt(struct harness *h, const char *want)
{
	char *p = prompt(h);

	assert_string_equal(p, want);
	free(p);
}

static int
count_secrets(struct config *cfg)
{
	struct secret *s;
	int n = 0;

	for (s = LIST_FIRST(&cfg->secrets); s != NULL; s = LIST_NEXT(s, entry))
		n++;
	return n;
}

/* The running-config must not change across a failed command. */
#define assert_unchanged(h, line)                                              \
	do {                                                                   \
		char *before_ = running_config(h), *after_;                    \
		run_err((h), (line));                                          \
		after_ = running_config(h);                                    \
		assert_string_equal(before_, after_);                          \
		free(before_);                                                 \
		free(after_);                                                  \
	} while (0)

/* ---- ephone-template ---- */

static void
template_golden_and_round_trip(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "ephone-template 1", NULL);
	assert_prompt(h, "Router(config-ephone-template)#");
	run_ok(h, "service https", "device-security-mode encrypted", "exit",
	    "ephone-template 3", "exit", NULL);
	assert_prompt(h, "Router(config)#");
	rc = running_config(h);
	assert_contains(rc,
	    "ephone-template  1\n"
	    " device-security-mode encrypted\n"
	    " service https\n"
	    "!\n"
	    "ephone-template  3\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);
	assert_contains(buf_str(&changes), "ephone-template\n");

	/* no forms */
	run_ok(h, "ephone-template 1", "no service https",
	    "no device-security-mode", "end", NULL);
	rc = running_config(h);
	assert_contains(rc, "ephone-template  1\n!\n");
	free(rc);
	harness_free(h);
}

/* ---- ephone-dn ---- */

static void
dn_golden_and_round_trip(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "ephone-dn 2", NULL);
	assert_prompt(h, "Router(config-ephone-dn)#");
	run_ok(h, "number 93621001", "name 2851-PH2",
	    "call-forward noan 98441000 timeout 10", "exit",
	    "ephone-dn 1 dual-line", "number 93621000 secondary +4930*55#",
	    "name Front   Desk  Phone", "call-forward all 2000",
	    "call-forward busy 25589000",
	    "call-forward noan 25581101 timeout 10", "exit", NULL);
	rc = running_config(h);
	/* Ascending tags; two spaces as IOS prints them. */
	assert_contains(rc,
	    "ephone-dn  1  dual-line\n"
	    " number 93621000 secondary +4930*55#\n"
	    " name Front Desk Phone\n"
	    " call-forward all 2000\n"
	    " call-forward busy 25589000\n"
	    " call-forward noan 25581101 timeout 10\n"
	    "!\n"
	    "ephone-dn  2\n"
	    " number 93621001\n"
	    " name 2851-PH2\n"
	    " call-forward noan 98441000 timeout 10\n"
	    "!\n");
	free(rc);
	assert_round_trip(h);
	assert_contains(buf_str(&changes), "ephone-dn\n");

	/* no forms */
	run_ok(h, "ephone-dn 1", "no call-forward all", "no call-forward busy",
	    "no call-forward noan", "no name", "no number", "exit", NULL);
	rc = running_config(h);
	assert_contains(rc, "ephone-dn  1  dual-line\n!\nephone-dn  2\n");
	free(rc);
	/* A command of config mode leaves the ephone-dn mode. */
	run_ok(h, "ephone-dn 2", "ephone-dn 1", NULL);
	assert_prompt(h, "Router(config-ephone-dn)#");
	run_ok(h, "no ephone-dn 1", NULL);
	assert_prompt(h, "Router(config)#");
	rc = running_config(h);
	assert_not_contains(rc, "ephone-dn  1");
	assert_contains(rc, "ephone-dn  2\n");
	free(rc);
	run_err(h, "no ephone-dn 7");
	assert_contains(buf_str(&h->out), "% ephone-dn 7 is not configured");
	harness_free(h);
}

static void
dn_validation(void **state)
{
	struct harness *h = ephone_harness();

	(void)state;
	run_ok(h, "ephone-dn 1", "number 1000", NULL);
	assert_unchanged(h, "number 10a0");
	assert_contains(buf_str(&h->out), "% Invalid number \"10a0\"");
	assert_unchanged(h, "number 1000 secondary 20-00");
	assert_contains(buf_str(&h->out), "% Invalid secondary number");
	assert_unchanged(h, "call-forward busy 12x");
	assert_unchanged(h, "call-forward noan 1234 timeout 2");
	assert_contains(buf_str(&h->out), "% Invalid input detected");
	assert_unchanged(h, "call-forward noan 1234");
	assert_contains(buf_str(&h->out), "% Incomplete command");
	/* Out-of-scope ephone-dn commands are accepted and ignored. */
	assert_int_equal(run(h, "label Reception"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_int_equal(run(h, "no huntstop"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_int_equal(run(h, "call-forward max-length 4"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	run_ok(h, "exit", "telephony-service", "max-dn 1", "exit", NULL);
	run_err(h, "ephone-dn 2");
	assert_contains(buf_str(&h->out), "max-dn is 1");
	assert_prompt(h, "Router(config)#");
	harness_free(h);
}

/* ---- ephone ---- */

static const char full_ephone[] = "ephone  24\n"
                                  " capf-ip-in-cnf\n"
                                  " device-security-mode authenticated\n"
                                  " capf-auth-str 2734\n"
                                  " cert-oper upgrade auth-mode LSC\n"
                                  " mac-address 0012.4302.A7CC\n"
                                  " ephone-template 2\n"
                                  " username jdoe password 0 Secret12\n"
                                  " codec g711ulaw dspfarm-assist\n"
                                  " type 7960 addon 1 7914\n"
                                  " button  1:2 8:8\n"
                                  "!\n";

static void
ephone_golden_and_round_trip(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "ephone-template 2", "exit", "ephone 24", NULL);
	assert_prompt(h, "Router(config-ephone)#");
	/* Typed in another order and case than IOS prints them. */
	run_ok(h, "button   1:2    8:8", "type 7960 addon 1 7914",
	    "codec g711ulaw dspfarm-assist", "username jdoe password Secret12",
	    "ephone-template 2", "mac-address 0012.4302.a7cc",
	    "cert-oper upgrade auth-mode LSC", "capf-auth-str 2734",
	    "device-security-mode authenticated", "capf-ip-in-cnf", "end",
	    NULL);
	rc = running_config(h);
	assert_contains(rc, full_ephone);
	/* Blocks in IOS order: templates, directory numbers, phones. */
	assert_contains(rc, "ephone-template  2\n!\nephone  24\n");
	free(rc);
	assert_round_trip(h);
	assert_contains(buf_str(&changes), "ephone\n");
	harness_free(h);
}

static void
ephone_order_and_spaces(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "ephone 3", "mac-address 000D.299D.50DF", "exit", "ephone 1",
	    "mac-address 000C.CE3A.817C", "exit", "ephone 2",
	    "mac-address 0011.2111.6BDD", "exit", "ephone-dn 5", "exit",
	    "ephone-template 4", "exit", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "ephone-template  4\n"
	    "!\n"
	    "ephone-dn  5\n"
	    "!\n"
	    "ephone  1\n"
	    " mac-address 000C.CE3A.817C\n"
	    "!\n"
	    "ephone  2\n"
	    " mac-address 0011.2111.6BDD\n"
	    "!\n"
	    "ephone  3\n"
	    " mac-address 000D.299D.50DF\n"
	    "!\n"
	    "end\n");
	free(rc);
	assert_round_trip(h);
	harness_free(h);
}

static void
ephone_cert_oper_words(void **state)
{
	static const char *const typed[] = {
	    "auth-string", "lsc", "MIC", "null-string"};
	static const char *const printed[] = {
	    "auth-string", "LSC", "MIC", "null-string"};
	struct harness *h = ephone_harness();
	char line[128], want[128];
	char *rc;

	(void)state;
	run_ok(h, "ephone 1", NULL);
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "cert-oper fetch auth-mode %s",
		    typed[i]);
		snprintf(want, sizeof(want), " cert-oper fetch auth-mode %s\n",
		    printed[i]);
		run_ok(h, line, NULL);
		rc = running_config(h);
		assert_contains(rc, want);
		free(rc);
		assert_round_trip(h);
	}
	run_ok(h, "cert-oper delete auth-mode null-string", NULL);
	rc = running_config(h);
	assert_contains(rc, " cert-oper delete auth-mode null-string\n");
	free(rc);
	assert_int_equal(ephone_find(h->cfg, 1)->cert_oper, CERT_OPER_DELETE);
	assert_int_equal(
	    ephone_find(h->cfg, 1)->cert_oper_auth, CAPF_AUTH_NULL_STRING);
	assert_string_equal(capf_auth_words[CAPF_AUTH_NONE], "none");
	run_ok(h, "no cert-oper", NULL);
	rc = running_config(h);
	assert_not_contains(rc, "cert-oper");
	free(rc);
	assert_int_equal(ephone_find(h->cfg, 1)->cert_oper, CERT_OPER_NONE);
	harness_free(h);
}

static void
ephone_no_forms(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "ephone-template 2", "exit", "ephone 24", NULL);
	run_ok(h, "capf-ip-in-cnf", "device-security-mode authenticated",
	    "capf-auth-str 2734", "cert-oper upgrade auth-mode lsc",
	    "mac-address 0012.4302.A7CC", "ephone-template 2",
	    "username jdoe password 0 Secret12",
	    "codec g711ulaw dspfarm-assist", "type 7960 addon 1 7914",
	    "button 1:2 8:8", NULL);
	rc = running_config(h);
	assert_contains(rc, full_ephone);
	free(rc);
	run_ok(h, "no capf-ip-in-cnf", "no device-security-mode",
	    "no capf-auth-str", "no cert-oper", "no mac-address",
	    "no ephone-template", "no username", "no codec", "no type",
	    "no button", NULL);
	rc = running_config(h);
	assert_contains(rc, "ephone  24\n!\n");
	free(rc);
	assert_int_equal(
	    ephone_find(h->cfg, 24)->device_security_mode, DSM_UNSET);
	assert_int_equal(ephone_find(h->cfg, 24)->codec, CODEC_UNSET);
	assert_int_equal(ephone_find(h->cfg, 24)->nbuttons, 0);
	assert_false(secret_is_set(&ephone_find(h->cfg, 24)->password));
	harness_free(h);
}

static void
ephone_buttons(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "ephone 1", "button 1:1", "button 2:2", NULL);
	rc = running_config(h);
	assert_contains(rc, " button  1:1 2:2\n");
	free(rc);
	/* A later button command replaces the buttons it names. */
	run_ok(h, "button 1s3", NULL);
	rc = running_config(h);
	assert_contains(rc, " button  1s3 2:2\n");
	free(rc);
	run_ok(h, "no button 1:3", NULL);
	rc = running_config(h);
	assert_contains(rc, " button  2:2\n");
	free(rc);
	run_ok(h, "no button", "button 1o4,5,6 2x1 3c7,8 4b9 5f10 6m11 7w12",
	    NULL);
	rc = running_config(h);
	assert_contains(rc, " button  1o4,5,6 2x1 3c7,8 4b9 5f10 6m11 7w12\n");
	free(rc);
	assert_round_trip(h);
	assert_int_equal(ephone_find(h->cfg, 1)->nbuttons, 7);
	assert_int_equal(ephone_find(h->cfg, 1)->buttons[0].kind, 'o');
	assert_string_equal(ephone_find(h->cfg, 1)->buttons[0].dns, "4,5,6");
	run_err(h, "no button 9:9");
	assert_contains(buf_str(&h->out), "% Button 9 is not configured");
	harness_free(h);
}

static void
ephone_validation(void **state)
{
	static const char *const bad_buttons[] = {"button 1q2", "button 1:a",
	    "button :1", "button 1:", "button 1:2,3", "button 0:1",
	    "button 101:1", "button 1:15001", "button 1:1 1:2", "button 2x1",
	    "button 1:1,", "button 1o4,,5", "button x", "button 1:2 8", NULL};
	struct harness *h = ephone_harness();

	(void)state;
	run_ok(h, "ephone 1", "mac-address 0012.4302.A7CC", "button 1:1",
	    "capf-auth-str 2734", "exit", "ephone 2", NULL);

	/* MAC addresses */
	assert_unchanged(h, "mac-address 0012.4302.A7C");
	assert_contains(buf_str(&h->out), "% Invalid input detected");
	assert_unchanged(h, "mac-address 0012.4302.A7CG");
	assert_unchanged(h, "mac-address 0012-4302-A7CC");
	assert_unchanged(h, "mac-address 0100.5E00.0001");
	assert_contains(buf_str(&h->out), "% Invalid MAC address");
	assert_unchanged(h, "mac-address 0000.0000.0000");
	assert_contains(buf_str(&h->out), "% Invalid MAC address");
	assert_unchanged(h, "mac-address 0012.4302.a7cc");
	assert_contains(buf_str(&h->out),
	    "% MAC address 0012.4302.A7CC is "
	    "already used by ephone 1");
	assert_unchanged(h, "mac-address 00124302A7CC");
	assert_contains(buf_str(&h->out), "already used by ephone 1");
	/* The phone's own MAC again is fine. */
	run_ok(h, "exit", "ephone 1", "mac-address 0012.4302.A7CC", NULL);

	/* capf-auth-str: 4 to 10 digits */
	assert_unchanged(h, "capf-auth-str 123");
	assert_contains(buf_str(&h->out),
	    "% Invalid capf-auth-str: 4 to 10 digits required");
	assert_unchanged(h, "capf-auth-str 12345678901");
	assert_contains(buf_str(&h->out),
	    "% Invalid capf-auth-str: 4 to 10 digits required");
	assert_unchanged(h, "capf-auth-str 12ab");
	assert_contains(buf_str(&h->out), "% Invalid input detected");
	run_ok(h, "capf-auth-str 1234", "capf-auth-str 1234567890", NULL);

	/* buttons */
	for (int i = 0; bad_buttons[i] != NULL; i++) {
		assert_unchanged(h, bad_buttons[i]);
		assert_contains(buf_str(&h->out), "% Invalid button");
	}
	assert_unchanged(h, "button 1:1 1:2");
	assert_contains(buf_str(&h->out), "button 1 is given twice");
	assert_unchanged(h, "button 2x1");
	assert_contains(buf_str(&h->out), "not an overlay button");

	/* other arguments */
	assert_unchanged(h, "ephone-template 9");
	assert_contains(buf_str(&h->out),
	    "% ephone-template 9 is not "
	    "configured");
	assert_unchanged(h, "ephone-template 21");
	assert_unchanged(h, "device-security-mode bogus");
	assert_unchanged(h, "codec g726r32");
	assert_unchanged(h, "cert-oper upgrade auth-mode none");
	assert_unchanged(h, "cert-oper upgrade");
	assert_unchanged(h, "type 79$60");
	assert_unchanged(h, "type 7960 addon 4 7914");
	assert_unchanged(h, "type 7960 addon 1 7914 1 7914");
	assert_contains(buf_str(&h->out), "given twice");
	run_ok(h, "type 7960 addon 1 7914 2 7914", NULL);
	assert_string_equal(ephone_find(h->cfg, 1)->addon, "1 7914 2 7914");
	harness_free(h);
}

static void
ephone_out_of_scope_ignored(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "ephone 1", NULL);
	assert_int_equal(run(h, "no multicast-moh"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_int_equal(run(h, "speed-dial 1 5000 label Boss"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_int_equal(run(h, "capf foo"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	/* The capf-* rows still win over the "capf" pattern. */
	assert_int_equal(run(h, "capf-ip-in-cnf"), CLI_OK);
	assert_string_equal(buf_str(&h->out), "");
	run_err(h, "capf-auth-str 12");
	assert_prompt(h, "Router(config-ephone)#");
	rc = running_config(h);
	assert_contains(rc, "ephone  1\n capf-ip-in-cnf\n!\n");
	assert_not_contains(rc, "multicast");
	free(rc);
	harness_free(h);
}

static void
ephone_password_policy(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;
	int secrets;

	(void)state;
	run_ok(h, "ephone 1", NULL);
	secrets = count_secrets(h->cfg);
	run_err(h, "username alice password 0 weak");
	assert_string_equal(buf_str(&h->out), PASSWD_POLICY_ERROR);
	rc = running_config(h);
	assert_not_contains(rc, "weak");
	assert_not_contains(rc, "username");
	free(rc);
	assert_null(ephone_find(h->cfg, 1)->username);
	assert_int_equal(count_secrets(h->cfg), secrets);

	/* Too long, symbols, no upper case, no digit: all refused. */
	run_err(h, "username alice password Abcdefgh1234567x");
	assert_contains(buf_str(&h->out), "Error: The password");
	run_err(h, "username alice password Abc$def1");
	run_err(h, "username alice password abcdef12");
	run_err(h, "username alice password Abcdefgh");

	/* A good password, then a rejected change keeps the first. */
	run_ok(h, "username alice password 0 Passw0rd", NULL);
	run_err(h, "username bob password 0 weak");
	rc = running_config(h);
	assert_contains(rc, " username alice password 0 Passw0rd\n");
	assert_not_contains(rc, "bob");
	assert_not_contains(rc, "weak");
	free(rc);
	assert_round_trip(h);

	/* A startup-config predating the policy only warns. */
	{
		struct buf err = BUF_INIT;
		int errors;

		rc = reload_text("ephone 1\n username \"vav\" password 12345\n",
		    &errors, &err);
		assert_int_equal(errors, 0);
		assert_contains(buf_str(&err), "Warning");
		assert_contains(rc, " username vav password 0 12345\n");
		free(rc);
		buf_free(&err);
	}
	harness_free(h);
}

static void
ephone_password_type6(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "key config-key password-encrypt MasterKey1",
	    "password encryption aes", "ephone 1",
	    "username alice password Passw0rd", NULL);
	rc = running_config(h);
	assert_contains(rc, " username alice password 6 ");
	assert_not_contains(rc, "Passw0rd");
	free(rc);
	assert_string_equal(ephone_find(h->cfg, 1)->password.plain, "Passw0rd");
	harness_free(h);
}

static void
effective_dsm_precedence(void **state)
{
	struct harness *h = ephone_harness();
	struct ephone *e1, *e2, *e3;

	(void)state;
	run_ok(h, "ephone 1", "exit", NULL);
	e1 = ephone_find(h->cfg, 1);
	/* telephony-service default */
	assert_int_equal(ephone_effective_dsm(h->cfg, e1), DSM_NONE);
	run_ok(h, "telephony-service", "device-security-mode encrypted", "exit",
	    "ephone-template 1", "device-security-mode authenticated", "exit",
	    "ephone 1", "ephone-template 1", "exit", "ephone 2", "exit",
	    "ephone 3", "ephone-template 1", "device-security-mode none",
	    "exit", NULL);
	e2 = ephone_find(h->cfg, 2);
	e3 = ephone_find(h->cfg, 3);
	assert_int_equal(ephone_effective_dsm(h->cfg, e1), DSM_AUTHENTICATED);
	assert_int_equal(ephone_effective_dsm(h->cfg, e2), DSM_ENCRYPTED);
	assert_int_equal(ephone_effective_dsm(h->cfg, e3), DSM_NONE);
	/* A template without a mode does not mask telephony-service. */
	run_ok(h, "ephone-template 1", "no device-security-mode", "exit", NULL);
	assert_int_equal(ephone_effective_dsm(h->cfg, e1), DSM_ENCRYPTED);
	run_ok(
	    h, "ephone 1", "device-security-mode authenticated", "exit", NULL);
	assert_int_equal(ephone_effective_dsm(h->cfg, e1), DSM_AUTHENTICATED);
	/* Deleting the template drops the references to it. */
	run_ok(h, "no ephone-template 1", NULL);
	assert_contains(
	    buf_str(&h->out), "ephone-template 1 removed from ephone 3");
	assert_int_equal(e3->template_tag, 0);
	run_ok(h, "no ephone 3", NULL);
	assert_int_equal(ephone_effective_dsm(h->cfg, e2), DSM_ENCRYPTED);
	harness_free(h);
}

static void
no_ephone_deletes_and_releases(void **state)
{
	struct harness *h = ephone_harness();
	int base;
	char *rc;

	(void)state;
	base = count_secrets(h->cfg);
	run_ok(h, "ephone 1", "username alice password Passw0rd",
	    "mac-address 0012.4302.A7CC", "exit", "ephone 2",
	    "username bob password Secr3tPw", NULL);
	assert_int_equal(count_secrets(h->cfg), base + 2);
	/* "ephone N" inside ephone mode moves to that phone; it is not an
	 * abbreviation of "ephone-template". */
	run_ok(h, "ephone 1", NULL);
	assert_prompt(h, "Router(config-ephone)#");
	assert_int_equal(ephone_find(h->cfg, 1)->template_tag, 0);
	assert_int_equal(ephone_find(h->cfg, 2)->template_tag, 0);
	run_ok(h, "no ephone 1", NULL);
	assert_prompt(h, "Router(config)#");
	assert_null(ephone_find(h->cfg, 1));
	assert_null(ephone_find_mac(h->cfg, "00124302A7CC"));
	assert_int_equal(count_secrets(h->cfg), base + 1);
	rc = running_config(h);
	assert_not_contains(rc, "ephone  1\n");
	assert_not_contains(rc, "alice");
	assert_contains(rc, "ephone  2\n username bob password 0 Secr3tPw\n");
	free(rc);
	/* The MAC is free again. */
	run_ok(h, "ephone 3", "mac-address 0012.4302.A7CC", "exit",
	    "no ephone 2", NULL);
	/* Each phone holds one (here unset) password slot. */
	assert_int_equal(count_secrets(h->cfg), base + 1);
	run_err(h, "no ephone 2");
	assert_contains(buf_str(&h->out), "% ephone 2 is not configured");
	run_err(h, "no ephone");
	assert_contains(buf_str(&h->out), "% Incomplete command");
	/* max-ephones limits how many phones exist. */
	run_ok(h, "telephony-service", "max-ephones 1", "exit", NULL);
	run_err(h, "ephone 4");
	assert_contains(buf_str(&h->out), "max-ephones is 1");
	run_ok(h, "ephone 3", "end", NULL);
	harness_free(h);
}

static void
ephone_reset_is_an_action(void **state)
{
	struct harness *h = ephone_harness();
	char *rc;

	(void)state;
	run_ok(h, "ephone 24", "device-security-mode authenticated", NULL);
	buf_reset(&changes);
	run_ok(h, "reset", NULL);
	assert_int_equal(ephone_find(h->cfg, 24)->reset_pending, 1);
	assert_string_equal(buf_str(&changes), "ephone reset\n");
	ephone_find(h->cfg, 24)->reset_pending = 0;
	run_ok(h, "restart", NULL);
	assert_int_equal(ephone_find(h->cfg, 24)->reset_pending, 1);
	rc = running_config(h);
	assert_not_contains(rc, "reset");
	assert_not_contains(rc, "restart");
	free(rc);
	harness_free(h);
}

/* ---- help and completion ---- */

static void
ephone_help(void **state)
{
	struct harness *h = ephone_harness();
	struct buf out = BUF_INIT;

	(void)state;
	cli_session_help(h->s, "ephone ", &out);
	assert_contains(buf_str(&out), "<1-10000>");
	buf_reset(&out);
	cli_session_help(h->s, "ephone-dn 4 ", &out);
	assert_contains(buf_str(&out), "dual-line");
	assert_contains(buf_str(&out), "<cr>");
	buf_reset(&out);
	run_ok(h, "ephone 1", NULL);
	cli_session_help(h->s, "cert-oper ", &out);
	assert_contains(buf_str(&out),
	    "  delete   Remove the phone "
	    "certificate\n");
	assert_contains(buf_str(&out), "  fetch    ");
	assert_contains(buf_str(&out), "  upgrade  ");
	buf_reset(&out);
	cli_session_help(h->s, "cert-oper upgrade auth-mode ", &out);
	assert_contains(buf_str(&out), "  auth-string  ");
	assert_contains(buf_str(&out), "  null-string  No authentication\n");
	/* The engine lists keywords as written in the syntax. */
	assert_contains(buf_str(&out), "  lsc  ");
	assert_contains(buf_str(&out), "  mic  ");
	buf_reset(&out);
	cli_session_help(h->s, "capf-auth-str ", &out);
	assert_contains(buf_str(&out), "DIGITS  4 to 10 digits");
	buf_reset(&out);
	cli_session_help(h->s, "mac-address ", &out);
	assert_contains(buf_str(&out), "H.H.H  MAC address");
	buf_reset(&out);
	cli_session_help(h->s, "device-security-mode ", &out);
	assert_contains(buf_str(&out), "  authenticated  ");
	assert_contains(buf_str(&out), "  encrypted      ");
	assert_contains(buf_str(&out), "  none           ");
	buf_reset(&out);
	/* The hidden "ephone" row of ephone mode is not offered. */
	cli_session_help(h->s, "ephone", &out);
	assert_contains(buf_str(&out), "ephone-template");
	assert_not_contains(buf_str(&out), "ephone  ");
	buf_reset(&out);
	cli_session_help(h->s, "username u password ", &out);
	assert_contains(buf_str(&out), "  0     ");
	assert_contains(buf_str(&out), "  6     ");
	assert_contains(buf_str(&out), "  WORD  The password");
	buf_free(&out);
	harness_free(h);
}

static void
ephone_completion(void **state)
{
	struct harness *h = ephone_harness();
	struct buf line = BUF_INIT, list = BUF_INIT;

	(void)state;
	assert_int_equal(
	    cli_session_complete(h->s, "ephone-d", &line, &list), 1);
	assert_string_equal(buf_str(&line), "ephone-dn ");
	buf_reset(&line);
	buf_reset(&list);
	run_ok(h, "ephone 1", NULL);
	assert_int_equal(cli_session_complete(h->s, "capf-a", &line, &list), 1);
	assert_string_equal(buf_str(&line), "capf-auth-str ");
	buf_reset(&line);
	buf_reset(&list);
	assert_int_equal(cli_session_complete(h->s, "capf", &line, &list), 2);
	assert_string_equal(buf_str(&line), "capf-");
	assert_string_equal(buf_str(&list), "capf-auth-str\ncapf-ip-in-cnf\n");
	buf_reset(&line);
	buf_reset(&list);
	assert_int_equal(
	    cli_session_complete(h->s, "cert-oper up", &line, &list), 1);
	assert_string_equal(buf_str(&line), "cert-oper upgrade ");
	buf_reset(&line);
	buf_reset(&list);
	assert_int_equal(cli_session_complete(h->s,
	                     "cert-oper upgrade auth-mode n", &line, &list),
	    1);
	assert_string_equal(
	    buf_str(&line), "cert-oper upgrade auth-mode null-string ");
	buf_reset(&line);
	buf_reset(&list);
	assert_int_equal(
	    cli_session_complete(h->s, "codec g711", &line, &list), 2);
	assert_string_equal(buf_str(&list), "g711alaw\ng711ulaw\n");
	buf_reset(&line);
	buf_reset(&list);
	/* "ephone" completes to ephone-template: the hidden row is not
	 * offered. */
	assert_int_equal(cli_session_complete(h->s, "ephone", &line, &list), 1);
	assert_string_equal(buf_str(&line), "ephone-template ");
	buf_free(&line);
	buf_free(&list);
	harness_free(h);
}

/* ---- show ephone ---- */

static int live_calls;
static char live_tag[] = "LIVE";

static void
live_describe(void *arg, const struct ephone *e, struct buf *out)
{
	live_calls++;
	buf_printf(out, "%s ephone-%u\n", (const char *)arg, e->tag);
}

static int
live_state(void *arg, const struct ephone *e, const char *what)
{
	(void)arg;
	return strcmp(what, "registered") == 0 && e->tag == 2;
}

static void
show_ephone_layout_and_live_hook(void **state)
{
	struct harness *h = ephone_harness();
	struct ephone_live_ops ops = {live_describe, live_tag, live_state};
	const char *out;

	(void)state;
	run_ok(h, "ephone-dn 1 dual-line", "number 93621000", "exit",
	    "ephone 1", "mac-address 0012.4302.A7CC", "type 7970",
	    "button 1:1 2:9", "codec g729r8", "exit", "ephone 2",
	    "mac-address 0017.94CA.9CCD", "end", NULL);
	assert_int_equal(run(h, "show ephone"), CLI_OK);
	out = buf_str(&h->out);
	assert_contains(out,
	    "ephone-1[0] Mac:0012.4302.A7CC TCP socket:[-1] "
	    "activeLine:0 whisperLine:0 UNREGISTERED\n"
	    "mediaActive:0 whisper_mediaActive:0 "
	    "startMedia:0 offhook:0 ringing:0 reset:0 "
	    "reset_sent:0 paging 0 debug:0 caps:0\n"
	    "IP:0.0.0.0 0 7970 keepalive 0 max_line 0 "
	    "available_line 0\n"
	    "button 1: cw:1 ccw:(0 0)\n"
	    " dn 1 number 93621000 CH1 IDLE CH2 IDLE\n"
	    "button 2: cw:1 ccw:(0 0)\n"
	    " dn 9 (not configured)\n"
	    "Preferred Codec: g729r8\n");
	assert_contains(out, "\nephone-2[1] Mac:0017.94CA.9CCD");
	/* By MAC, either form. */
	assert_int_equal(run(h, "show ephone 0017.94ca.9ccd"), CLI_OK);
	assert_contains(buf_str(&h->out), "ephone-2[1]");
	assert_not_contains(buf_str(&h->out), "ephone-1[0]");
	assert_int_equal(run(h, "show ephone 0012.4302.A7CC"), CLI_OK);
	assert_contains(buf_str(&h->out), "ephone-1[0]");
	assert_not_contains(buf_str(&h->out), "ephone-2[1]");
	run_err(h, "show ephone 0012.4302.0000");
	assert_contains(buf_str(&h->out), "% No ephone with MAC address");
	/* Without the SCCP service nothing is registered or off hook. */
	assert_int_equal(run(h, "show ephone registered"), CLI_OK);
	assert_string_equal(buf_str(&h->out), "");
	assert_int_equal(run(h, "show ephone offhook"), CLI_OK);
	assert_string_equal(buf_str(&h->out), "");
	/* From config mode with "do". */
	run_ok(h, "configure terminal", NULL);
	assert_int_equal(run(h, "do show ephone"), CLI_OK);
	assert_contains(buf_str(&h->out), "ephone-1[0]");
	run_ok(h, "end", NULL);

	/* A service supplies live state for its registered phones; the
	 * others are shown from the configuration. */
	live_calls = 0;
	ephone_set_live_ops(&ops);
	assert_int_equal(run(h, "show ephone"), CLI_OK);
	out = buf_str(&h->out);
	assert_true(strncmp(out,
	                "ephone-1[0] Mac:0012.4302.A7CC TCP socket:[-1] "
	                "activeLine:0 whisperLine:0 UNREGISTERED\n",
	                87) == 0);
	assert_contains(out, "Preferred Codec: g729r8\n\nLIVE ephone-2\n");
	assert_int_equal(live_calls, 1);
	assert_int_equal(run(h, "show ephone registered"), CLI_OK);
	assert_string_equal(buf_str(&h->out), "LIVE ephone-2\n");
	assert_int_equal(run(h, "show ephone offhook"), CLI_OK);
	assert_string_equal(buf_str(&h->out), "");
	ephone_set_live_ops(NULL);
	assert_int_equal(run(h, "show ephone"), CLI_OK);
	assert_contains(buf_str(&h->out), "UNREGISTERED");
	harness_free(h);
}

/* ---- the chapter's examples ---- */

/* examples/chapter/secure-cme.cfg: telephony limits, ephone-dns, ephones. */
static const char secure_cme_text[] =
    "telephony-service\n"
    " max-ephones 4\n"
    " max-dn 4\n"
    " device-security-mode encrypted\n"
    "!\n"
    "!\n"
    "ephone-dn  1\n"
    " number 93621000\n"
    " name 2851-PH1\n"
    " call-forward noan 25581101 timeout 10\n"
    "!\n"
    "!\n"
    "ephone-dn  2\n"
    " number 93621001\n"
    " name 2851-PH2\n"
    " call-forward noan 98441000 timeout 10\n"
    "!\n"
    "!\n"
    "ephone-dn  3\n"
    " number 93621002\n"
    " name 2851-PH3\n"
    "!\n"
    "!\n"
    "ephone-dn  4\n"
    " number 93621003\n"
    " name 2851-PH4\n"
    "!\n"
    "!\n"
    "ephone  1\n"
    " capf-ip-in-cnf\n"
    " no multicast-moh\n"
    " device-security-mode encrypted\n"
    " mac-address 0012.4302.A7CC\n"
    " type 7970\n"
    " button  1:1\n"
    "!\n"
    "!\n"
    "!\n"
    "ephone  2\n"
    " capf-ip-in-cnf\n"
    " no multicast-moh\n"
    " device-security-mode encrypted\n"
    " mac-address 0017.94CA.9CCD\n"
    " type 7960\n"
    " button  1:2\n"
    "!\n"
    "!\n"
    "!\n"
    "ephone  3\n"
    " capf-ip-in-cnf\n"
    " no multicast-moh\n"
    " device-security-mode encrypted\n"
    " mac-address 0017.94CA.9833\n"
    " type 7960\n"
    " button  1:3\n"
    "!\n"
    "!\n"
    "!\n"
    "ephone  4\n"
    " capf-ip-in-cnf\n"
    " no multicast-moh\n"
    " device-security-mode none\n"
    " mac-address 0017.94CA.A141\n"
    " type 7960\n"
    " button  1:4\n"
    "!\n"
    "!\n"
    "!\n"
    "line con 0\n"
    " logging synchronous level all limit 20480000\n"
    "line aux 0\n"
    "line vty 0 4\n"
    "!\n"
    "end\n";

/* examples/chapter/capf-server.cfg: the ephones. */
static const char capf_server_text[] =
    "ephone  1\n"
    " device-security-mode encrypted\n"
    " cert-oper upgrade auth-mode null-string\n"
    " mac-address 000C.CE3A.817C\n"
    " type 7960 addon 1 7914\n"
    " button  1:2 8:8\n"
    "!\n"
    "!\n"
    "ephone  2\n"
    " device-security-mode encrypted\n"
    " capf-auth-str 2476\n"
    " cert-oper upgrade auth-mode null-string\n"
    " mac-address 0011.2111.6BDD\n"
    " type 7970\n"
    " button  1:1\n"
    "!\n"
    "!\n"
    "ephone  3\n"
    " device-security-mode encrypted\n"
    " capf-auth-str 5425\n"
    " cert-oper upgrade auth-mode null-string\n"
    " mac-address 000D.299D.50DF\n"
    " type 7970\n"
    " button  1:3\n"
    "!\n"
    "!\n"
    "ephone  4\n"
    " device-security-mode encrypted\n"
    " capf-auth-str 7176\n"
    " cert-oper upgrade auth-mode null-string\n"
    " mac-address 000E.D7B1.0DAC\n"
    " type 7960\n"
    " button  1:4\n"
    "!\n"
    "!\n"
    "ephone  5\n"
    " device-security-mode encrypted\n"
    " mac-address 000F.9048.5077\n"
    " type 7960\n"
    " button  1:5\n"
    "!\n"
    "!\n"
    "ephone  6\n"
    " device-security-mode encrypted\n"
    " mac-address 0013.C352.E7F1\n"
    " type 7941GE\n"
    " button  1:6\n"
    "!\n";

/* ephone-security.cfg, telephony-security.cfg and https-support.cfg. */
static const char steps_text[] = "ephone-template 1\n"
                                 " service https\n"
                                 "!\n"
                                 "ephone 24\n"
                                 " capf-ip-in-cnf\n"
                                 " device-security-mode authenticated\n"
                                 " codec g711ulaw dspfarm-assist\n"
                                 " capf-auth-str 2734\n"
                                 " cert-oper upgrade auth-mode auth-string\n";

static void
load_secure_cme_example(void **state)
{
	struct buf err = BUF_INIT;
	int errors;
	char *rc, *again;

	(void)state;
	rc = reload_text(secure_cme_text, &errors, &err);
	if (errors != 0)
		fail_msg("%d errors:\n%s", errors, buf_str(&err));
	/* Only the out-of-scope lines are reported, as ignored. */
	assert_contains(buf_str(&err),
	    "test.cfg:31: ignored (outside "
	    "OpenCME's scope): no multicast-moh");
	assert_not_contains(buf_str(&err), "%");
	assert_contains(rc,
	    "ephone-dn  1\n"
	    " number 93621000\n"
	    " name 2851-PH1\n"
	    " call-forward noan 25581101 timeout 10\n"
	    "!\n"
	    "ephone-dn  2\n");
	assert_contains(rc,
	    "ephone-dn  4\n"
	    " number 93621003\n"
	    " name 2851-PH4\n"
	    "!\n"
	    "ephone  1\n"
	    " capf-ip-in-cnf\n"
	    " device-security-mode encrypted\n"
	    " mac-address 0012.4302.A7CC\n"
	    " type 7970\n"
	    " button  1:1\n"
	    "!\n"
	    "ephone  2\n");
	assert_contains(rc,
	    "ephone  4\n"
	    " capf-ip-in-cnf\n"
	    " device-security-mode none\n"
	    " mac-address 0017.94CA.A141\n"
	    " type 7960\n"
	    " button  1:4\n"
	    "!\n"
	    "end\n");
	/* Our own output loads back to the same text. */
	buf_reset(&err);
	again = reload_text(rc, &errors, &err);
	assert_int_equal(errors, 0);
	assert_string_equal(rc, again);
	free(again);
	free(rc);
	buf_free(&err);
}

static void
load_secure_cme_effective_modes(void **state)
{
	struct config *cfg = config_new();
	struct cli_session *s = config_session_new(cfg);
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(cli_load_text(s, "secure-cme.cfg", secure_cme_text,
	                     strlen(secure_cme_text), &err),
	    0);
	assert_int_equal(
	    ephone_effective_dsm(cfg, ephone_find(cfg, 1)), DSM_ENCRYPTED);
	assert_int_equal(
	    ephone_effective_dsm(cfg, ephone_find(cfg, 4)), DSM_NONE);
	assert_ptr_equal(
	    ephone_find_mac(cfg, "001794caa141"), ephone_find(cfg, 4));
	assert_ptr_equal(
	    ephone_find_mac(cfg, "0017.94CA.9833"), ephone_find(cfg, 3));
	assert_string_equal(ephone_dn_find(cfg, 2)->cfwd_noan, "98441000");
	assert_int_equal(ephone_dn_find(cfg, 2)->cfwd_noan_timeout, 10);
	cli_session_free(s);
	config_free(cfg);
	buf_free(&err);
}

static void
load_capf_server_example(void **state)
{
	struct buf err = BUF_INIT;
	int errors;
	char *rc;

	(void)state;
	rc = reload_text(capf_server_text, &errors, &err);
	if (errors != 0)
		fail_msg("%d errors:\n%s", errors, buf_str(&err));
	assert_string_equal(buf_str(&err), "");
	assert_contains(rc,
	    "ephone  1\n"
	    " device-security-mode encrypted\n"
	    " cert-oper upgrade auth-mode null-string\n"
	    " mac-address 000C.CE3A.817C\n"
	    " type 7960 addon 1 7914\n"
	    " button  1:2 8:8\n"
	    "!\n"
	    "ephone  2\n"
	    " device-security-mode encrypted\n"
	    " capf-auth-str 2476\n"
	    " cert-oper upgrade auth-mode null-string\n"
	    " mac-address 0011.2111.6BDD\n"
	    " type 7970\n"
	    " button  1:1\n"
	    "!\n");
	assert_contains(rc,
	    "ephone  6\n"
	    " device-security-mode encrypted\n"
	    " mac-address 0013.C352.E7F1\n"
	    " type 7941GE\n"
	    " button  1:6\n"
	    "!\n");
	free(rc);

	buf_reset(&err);
	rc = reload_text(steps_text, &errors, &err);
	if (errors != 0)
		fail_msg("%d errors:\n%s", errors, buf_str(&err));
	assert_contains(rc,
	    "ephone-template  1\n"
	    " service https\n"
	    "!\n"
	    "ephone  24\n"
	    " capf-ip-in-cnf\n"
	    " device-security-mode authenticated\n"
	    " capf-auth-str 2734\n"
	    " cert-oper upgrade auth-mode auth-string\n"
	    " codec g711ulaw dspfarm-assist\n"
	    "!\n");
	free(rc);
	buf_free(&err);
}

static void
load_accepts_forward_template_reference(void **state)
{
	const char *text = "ephone 1\n"
	                   " ephone-template 5\n"
	                   " mac-address 0012.4302.A7CC\n"
	                   "ephone 2\n"
	                   " mac-address 0012.4302.a7cc\n";
	struct buf err = BUF_INIT;
	int errors;
	char *rc;

	(void)state;
	rc = reload_text(text, &errors, &err);
	/* The template may come later; a duplicate MAC is an error. */
	assert_int_equal(errors, 1);
	assert_contains(buf_str(&err),
	    "test.cfg:5: % MAC address 0012.4302.A7CC is already used by "
	    "ephone 1");
	assert_contains(rc,
	    "ephone  1\n mac-address 0012.4302.A7CC\n"
	    " ephone-template 5\n!\nephone  2\n!\n");
	free(rc);
	buf_free(&err);
}

static void
load_top_level_block_after_ephone(void **state)
{
	/* IOS prints ephone-hunt groups after the phones: the block and its
	 * sub-lines are out of scope, not ephone commands. */
	const char *text = "ephone  1\n"
	                   " mac-address 0012.4302.A7CC\n"
	                   "!\n"
	                   "ephone-hunt 1 sequential\n"
	                   " pilot 5000\n"
	                   " list 1001, 1002\n"
	                   "!\n"
	                   "ephone  2\n"
	                   " type 7960\n";
	struct buf err = BUF_INIT;
	int errors;
	char *rc;

	(void)state;
	rc = reload_text(text, &errors, &err);
	if (errors != 0)
		fail_msg("%d errors:\n%s", errors, buf_str(&err));
	assert_contains(buf_str(&err), "test.cfg:4: ignored");
	assert_contains(buf_str(&err),
	    "(2 sub-lines of the ignored command "
	    "skipped)");
	assert_contains(rc,
	    "ephone  1\n mac-address 0012.4302.A7CC\n!\n"
	    "ephone  2\n type 7960\n!\n");
	free(rc);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(template_golden_and_round_trip),
	    cmocka_unit_test(dn_golden_and_round_trip),
	    cmocka_unit_test(dn_validation),
	    cmocka_unit_test(ephone_golden_and_round_trip),
	    cmocka_unit_test(ephone_order_and_spaces),
	    cmocka_unit_test(ephone_cert_oper_words),
	    cmocka_unit_test(ephone_no_forms),
	    cmocka_unit_test(ephone_buttons),
	    cmocka_unit_test(ephone_validation),
	    cmocka_unit_test(ephone_out_of_scope_ignored),
	    cmocka_unit_test(ephone_password_policy),
	    cmocka_unit_test(ephone_password_type6),
	    cmocka_unit_test(effective_dsm_precedence),
	    cmocka_unit_test(no_ephone_deletes_and_releases),
	    cmocka_unit_test(ephone_reset_is_an_action),
	    cmocka_unit_test(ephone_help),
	    cmocka_unit_test(ephone_completion),
	    cmocka_unit_test(show_ephone_layout_and_live_hook),
	    cmocka_unit_test(load_secure_cme_example),
	    cmocka_unit_test(load_secure_cme_effective_modes),
	    cmocka_unit_test(load_capf_server_example),
	    cmocka_unit_test(load_accepts_forward_template_reference),
	    cmocka_unit_test(load_top_level_block_after_ephone),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	buf_free(&changes);
	return rc;
}
