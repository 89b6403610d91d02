/*
 * Shared helpers for unit tests of command tables: a configuration and a
 * CLI session on it, lines run as typed, output captured.  Header-only so
 * that each test program stays a single file.
 */
#ifndef OPENCME_TESTS_HARNESS_H
#define OPENCME_TESTS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"

struct harness {
	struct config *cfg;
	struct cli_session *s;
	struct buf out; /* output of the last run() */
};

static inline struct harness *
harness_new(void)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct buf err = BUF_INIT;

	assert_int_equal(config_cli_init(&err), 0);
	buf_free(&err);
	h->cfg = config_new();
	h->s = config_session_new(h->cfg);
	return h;
}

static inline void
harness_free(struct harness *h)
{
	cli_session_free(h->s);
	config_free(h->cfg);
	buf_free(&h->out);
	free(h);
}

/* Run one line; returns the cli_result; output in h->out. */
static inline int
run(struct harness *h, const char *line)
{
	int rc = cli_session_exec(h->s, line);
	struct buf *o = cli_session_output(h->s);

	buf_reset(&h->out);
	buf_puts(&h->out, buf_str(o));
	buf_reset(o);
	return rc;
}

/* Run lines that must all succeed (NULL-terminated). */
static inline void
run_ok(struct harness *h, ...)
{
	va_list ap;
	const char *line;

	va_start(ap, h);
	while ((line = va_arg(ap, const char *)) != NULL) {
		int rc = run(h, line);

		if (rc != CLI_OK)
			fail_msg("\"%s\" failed: %s", line, buf_str(&h->out));
	}
	va_end(ap);
}

/* The running-config body (without the "Building..." header). */
static inline char *
running_config(struct harness *h)
{
	struct buf b = BUF_INIT;

	config_write(h->cfg, &b, 0, 0);
	return buf_steal(&b);
}

/* Load text as a startup-config into a fresh configuration and return
 * its running-config; *errors gets the error count, err the messages. */
static inline char *
reload_text(const char *text, int *errors, struct buf *err)
{
	struct config *cfg = config_new();
	struct cli_session *s = config_session_new(cfg);
	struct buf b = BUF_INIT;

	*errors = cli_load_text(s, "test.cfg", text, strlen(text), err);
	config_write(cfg, &b, 0, 0);
	cli_session_free(s);
	config_free(cfg);
	return buf_steal(&b);
}

/* set -> show running-config -> reload -> same config. */
static inline void
assert_round_trip(struct harness *h)
{
	char *first = running_config(h);
	struct buf err = BUF_INIT;
	int errors;
	char *second = reload_text(first, &errors, &err);

	if (errors != 0 || strcmp(first, second) != 0)
		fail_msg("round trip differs (%d errors: %s)\n--- first\n%s"
		         "--- second\n%s",
		    errors, buf_str(&err), first, second);
	free(first);
	free(second);
	buf_free(&err);
}

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		if (strstr((hay), (needle)) == NULL)                           \
			fail_msg("expected \"%s\" in:\n%s", (needle), (hay));  \
	} while (0)

#define assert_not_contains(hay, needle)                                       \
	do {                                                                   \
		if (strstr((hay), (needle)) != NULL)                           \
			fail_msg(                                              \
			    "unexpected \"%s\" in:\n%s", (needle), (hay));     \
	} while (0)

#endif
