/*
 * Fuzz an interactive CLI session: each input line is run as typed, and
 * `?` help and tab completion are asked for every prefix of it, as a
 * person at the terminal could.  Questions are answered with the next
 * line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct config *cfg;
	struct cli_session *s;
	char *text, *line, *save = NULL;

	if (!ready) {
		struct buf err = BUF_INIT;

		if (config_cli_init(&err) != 0)
			abort();
		buf_free(&err);
		ready = 1;
	}
	if (size > 16 * 1024)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cfg = config_new();
	s = config_session_new(cfg);
	cli_session_set_interactive(s, 1);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		struct buf help = BUF_INIT, comp = BUF_INIT, list = BUF_INIT;
		size_t len = strlen(line);

		for (size_t i = 0; i <= len && i < 64; i += 7) {
			char saved = line[i];

			line[i] = '\0';
			cli_session_help(s, line, &help);
			cli_session_complete(s, line, &comp, &list);
			line[i] = saved;
			buf_reset(&help);
			buf_reset(&comp);
			buf_reset(&list);
		}
		if (cli_session_question(s, NULL) != NULL)
			cli_session_answer(s, line);
		else
			cli_session_exec(s, line);
		buf_reset(cli_session_output(s));
		buf_free(&help);
		buf_free(&comp);
		buf_free(&list);
	}
	cli_session_free(s);
	config_free(cfg);
	free(text);
	log_redact_clear();
	return 0;
}
