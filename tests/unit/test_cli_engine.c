/* The command engine, driven through the telephony-service tables. */
#include "harness.h"

static void
engine_enters_modes_and_sets_enum(void **state)
{
	struct harness *h = harness_new();
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "telephony-service",
	    "device-security-mode encrypted", "cnf-file perphone", "end", NULL);
	rc = running_config(h);
	assert_contains(rc,
	    "telephony-service\n device-security-mode "
	    "encrypted\n");
	assert_contains(rc, " cnf-file perphone\n");
	free(rc);
	assert_round_trip(h);
	harness_free(h);
}

static void
engine_accepts_unique_prefixes(void **state)
{
	struct harness *h = harness_new();
	char *rc;

	(void)state;
	run_ok(h, "conf t", "telephony-s", "device-sec enc", "exit",
	    "do sh run", "end", NULL);
	rc = running_config(h);
	assert_contains(rc, " device-security-mode encrypted\n");
	free(rc);
	assert_int_equal(run(h, "sh run"), CLI_OK);
	assert_contains(buf_str(&h->out), "Current configuration");
	harness_free(h);
}

static void
engine_reports_invalid_incomplete_ambiguous(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", "telephony-service", NULL);
	assert_int_equal(run(h, "device-security-mode bogus"), CLI_ERR);
	assert_contains(buf_str(&h->out), "% Invalid input detected");
	assert_int_equal(run(h, "device-security-mode"), CLI_ERR);
	assert_contains(buf_str(&h->out), "% Incomplete command");
	assert_int_equal(run(h, "se"), CLI_ERR);
	assert_contains(buf_str(&h->out), "% Ambiguous command");
	assert_int_equal(run(h, "frobnicate"), CLI_ERR);
	harness_free(h);
}

static void
engine_no_form_restores_default(void **state)
{
	struct harness *h = harness_new();
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "telephony-service",
	    "device-security-mode authenticated", "no device-security-mode",
	    "no encrypt password", NULL);
	rc = running_config(h);
	assert_not_contains(rc, "device-security-mode");
	assert_contains(rc, " no encrypt password\n");
	free(rc);
	assert_round_trip(h);
	harness_free(h);
}

static void
engine_help_lists_next_tokens(void **state)
{
	struct harness *h = harness_new();
	struct buf out = BUF_INIT;

	(void)state;
	run_ok(h, "configure terminal", "telephony-service", NULL);
	cli_session_help(h->s, "device-security-mode ", &out);
	assert_contains(buf_str(&out), "  authenticated  ");
	assert_contains(buf_str(&out), "  encrypted      ");
	assert_contains(buf_str(&out), "  none           ");
	buf_reset(&out);
	cli_session_help(h->s, "secure-signaling trustpoint NAME ", &out);
	assert_contains(buf_str(&out), "<cr>");
	buf_reset(&out);
	cli_session_help(h->s, "ip source-address 1.2.3.4 port ", &out);
	assert_contains(buf_str(&out), "<2000-9999>");
	buf_free(&out);
	harness_free(h);
}

static void
engine_completes_unique_keyword(void **state)
{
	struct harness *h = harness_new();
	struct buf line = BUF_INIT, list = BUF_INIT;

	(void)state;
	run_ok(h, "configure terminal", "telephony-service", NULL);
	assert_int_equal(
	    cli_session_complete(h->s, "device-sec", &line, &list), 1);
	assert_string_equal(buf_str(&line), "device-security-mode ");
	buf_reset(&line);
	buf_reset(&list);
	assert_int_equal(
	    cli_session_complete(h->s, "device-security-mode e", &line, &list),
	    1);
	assert_string_equal(buf_str(&line), "device-security-mode encrypted ");
	buf_free(&line);
	buf_free(&list);
	harness_free(h);
}

static void
engine_refuses_deprecated_commands(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", "telephony-service", NULL);
	assert_int_equal(run(h, "xmltest"), CLI_ERR);
	assert_contains(buf_str(&h->out), "deprecated");
	assert_int_equal(run(h, "log password Secret12"), CLI_ERR);
	assert_not_contains(buf_str(&h->out), "Secret12");
	harness_free(h);
}

static void
engine_load_retries_parent_modes_and_ignores_out_of_scope(void **state)
{
	const char *text = "hostname Lab\n"
	                   "interface GigabitEthernet0/0\n"
	                   " ip address 10.0.0.1 255.255.255.0\n"
	                   " duplex auto\n"
	                   "telephony-service\n"
	                   " load 7960-7940 P00308000300\n"
	                   " device-security-mode encrypted\n"
	                   "hostname Lab2\n"
	                   " bogus-command here\n";
	struct buf err = BUF_INIT;
	int errors;
	char *rc;

	(void)state;
	rc = reload_text(text, &errors, &err);
	assert_int_equal(errors, 1);
	assert_contains(buf_str(&err), "test.cfg:9: % Invalid input");
	assert_contains(buf_str(&err), "test.cfg:2: ignored");
	assert_contains(buf_str(&err), "test.cfg:6: ignored");
	assert_contains(rc, "hostname Lab2\n");
	assert_contains(rc, " device-security-mode encrypted\n");
	free(rc);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(engine_enters_modes_and_sets_enum),
	    cmocka_unit_test(engine_accepts_unique_prefixes),
	    cmocka_unit_test(engine_reports_invalid_incomplete_ambiguous),
	    cmocka_unit_test(engine_no_form_restores_default),
	    cmocka_unit_test(engine_help_lists_next_tokens),
	    cmocka_unit_test(engine_completes_unique_keyword),
	    cmocka_unit_test(engine_refuses_deprecated_commands),
	    cmocka_unit_test(
	        engine_load_retries_parent_modes_and_ignores_out_of_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
