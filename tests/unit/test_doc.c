/*
 * Every command table is well formed (help for every token, all modes
 * reachable from the mode list) and every example of the generated
 * reference parses, in its mode, to the row it documents.
 */
#include "harness.h"
#include "svc/pki/pki_svc.h"

struct walk {
	int rows;
	int failures;
};

static void
check_row(const struct cli_mode *mode, const struct cli_cmd *cmd, void *arg)
{
	struct walk *w = arg;
	struct buf ex = BUF_INIT;

	w->rows++;
	if (cmd->flags & CLI_HIDDEN)
		return;
	cli_row_examples(mode, cmd, config_doc_sample, &ex);
	for (const char *line = buf_str(&ex); *line;) {
		const char *nl = strchr(line, '\n');
		char *one = strndup(line, (size_t)(nl - line));
		const struct cli_cmd *got = cli_row_for_line(mode, one);

		if (got != cmd) {
			print_error("mode %s: example \"%s\" parses to \"%s\", "
			            "not \"%s\"\n",
			    mode->name, one, got ? got->syntax : "(nothing)",
			    cmd->syntax);
			w->failures++;
		}
		free(one);
		line = nl + 1;
	}
	buf_free(&ex);
}

static void
doc_examples_parse_to_their_rows(void **state)
{
	struct harness *h = harness_new();
	struct walk w = {0, 0};

	(void)state;
	for (int m = 0; config_all_modes[m] != NULL; m++)
		if (config_all_modes[m]->raw_line == NULL)
			cli_foreach_row(config_all_modes[m], check_row, &w);
	assert_true(w.rows > 150);
	assert_int_equal(w.failures, 0);
	harness_free(h);
}

static void
doc_every_row_has_help_for_every_token(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	/* cli_init counts syntax/help mismatches; the harness asserts 0. */
	assert_int_equal(config_cli_init(&err), 0);
	assert_int_equal(err.len, 0);
	buf_free(&err);
}

static void
doc_reference_mentions_every_mode(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	config_doc_markdown(&out);
	for (int m = 0; config_all_modes[m] != NULL; m++) {
		char heading[128];

		if (config_all_modes[m]->raw_line != NULL)
			continue;
		snprintf(heading, sizeof(heading), "\n## %s\n",
		    config_all_modes[m]->name);
		assert_contains(buf_str(&out), heading);
	}
	buf_free(&out);
}

int
main(void)
{
	/* The services' rows are documented and checked too. */
	pki_svc_register_cli();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(doc_every_row_has_help_for_every_token),
	    cmocka_unit_test(doc_examples_parse_to_their_rows),
	    cmocka_unit_test(doc_reference_mentions_every_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
