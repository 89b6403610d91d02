/*
 * Fuzz the configuration loader (every command table, the certificate
 * hex blocks, passwords) with arbitrary startup-config text.  Invariant:
 * the running-config printed from whatever loaded parses again without
 * errors and prints identically ("printed config parses again").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "lib/log.h"

static char *
load_and_print(const char *text, size_t len, int *errors)
{
	struct config *cfg = config_new();
	struct cli_session *s = config_session_new(cfg);
	struct buf err = BUF_INIT, out = BUF_INIT;

	*errors = cli_load_text(s, "fuzz", text, len, &err);
	config_write(cfg, &out, 0, 0);
	cli_session_free(s);
	config_free(cfg);
	buf_free(&err);
	return buf_steal(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *first, *second;
	int errors;

	if (!ready) {
		struct buf err = BUF_INIT;

		if (config_cli_init(&err) != 0)
			abort();
		buf_free(&err);
		ready = 1;
	}
	if (size > 64 * 1024)
		return 0;
	first = load_and_print((const char *)data, size, &errors);
	second = load_and_print(first, strlen(first), &errors);
	if (errors != 0 || strcmp(first, second) != 0)
		abort();
	free(first);
	free(second);
	log_redact_clear();
	return 0;
}
