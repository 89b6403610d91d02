/*
 * The command reference (doc/commands.md) generated from the command
 * tables, so that it cannot drift from what the CLI accepts: every row
 * with its help and examples made from its syntax.  `opencmed -C` prints
 * it; a test checks that the committed file is current and that every
 * example parses in its mode.
 */
#include <string.h>
#include <strings.h>

#include "config/modes.h"

/* Sample values by argument name, so that examples read naturally and
 * pass the checks (password policy, trustpoint names...). */
static const struct {
	const char *bind;
	const char *value;
} samples[] = {
    {"tp", "cme-server"},
    {"pw", "Cisco123"},
    {"pin", "Pin12345"},
    {"user", "admin"},
    {"name", "cme1"},
    {"label", "cme-ca"},
    {"addr", "10.1.1.1"},
    {"ip", "10.1.1.1"},
    {"url", "flash:Ringlist.xml"},
    {"alias", "Ringlist.xml"},
    {"pattern", "9..."},
    {"num", "1001"},
    {"number", "1001"},
    {"serial", "01"},
    {"stamp", "7960 Aug 13 2005"},
    {"desc", "WebServer"},
    {"codec", "g711ulaw"},
    {"target", "ipv4:10.1.1.2"},
    {"hash", "$1$mERr$hx5rVt7rPNoS4wqbXKX7m0"},
    {"digits", "2734"},
    {"newkey", "MasterKey1"},
    {NULL, NULL},
};

static const char *
doc_sample(const char *bind, const char *placeholder)
{
	(void)placeholder;
	for (int i = 0; bind != NULL && samples[i].bind != NULL; i++)
		if (strcmp(samples[i].bind, bind) == 0)
			return samples[i].value;
	return NULL;
}

cli_sample_fn *config_doc_sample = doc_sample;

static void
md_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			buf_puts(out, "\\|");
		else
			buf_putc(out, *s);
	}
}

struct doc_ctx {
	struct buf *out;
	const char *prompt;
};

static void
doc_row(const struct cli_mode *mode, const struct cli_cmd *cmd, void *arg)
{
	struct doc_ctx *d = arg;
	struct buf ex = BUF_INIT;
	const char *p;

	if (cmd->flags & CLI_HIDDEN)
		return;
	buf_puts(d->out, "| `");
	/* The syntax without the $names: what a user types. */
	for (p = cmd->syntax; *p; p++) {
		if (*p == '$') {
			while (p[1] && p[1] != ' ' && p[1] != ']' &&
			    p[1] != '>' && p[1] != '|')
				p++;
			continue;
		}
		if (*p == '|')
			buf_puts(d->out, "\\|");
		else
			buf_putc(d->out, *p);
	}
	buf_puts(d->out, "` | ");
	for (int i = 0; cmd->help != NULL && cmd->help[i] != NULL; i++) {
		if (i > 0)
			buf_puts(d->out, "; ");
		md_escape(d->out, cmd->help[i]);
	}
	if (cmd->flags & CLI_DEPRECATED)
		buf_puts(d->out, " **Refused: deprecated for security.**");
	if (cmd->flags & CLI_NO)
		buf_puts(d->out, " (`no` form)");
	buf_puts(d->out, " | ");
	cli_row_examples(mode, cmd, doc_sample, &ex);
	for (const char *line = buf_str(&ex); *line;) {
		const char *nl = strchr(line, '\n');

		buf_printf(
		    d->out, "`%s%.*s`<br>", d->prompt, (int)(nl - line), line);
		line = nl + 1;
	}
	buf_puts(d->out, " |\n");
	buf_free(&ex);
}

void
config_doc_markdown(struct buf *out)
{
	buf_puts(out,
	    "# OpenCME command reference\n\n"
	    "Generated from the command tables by `opencmed -C` (do not edit "
	    "by hand: `make doc`).\nEvery command is shown with its help text "
	    "and examples made from its syntax;\nthe tests run every example "
	    "through the parser.  Syntax: `WORD` a word, `NAME`\nan "
	    "identifier, `A.B.C.D` an IPv4 address, `H.H.H` a MAC address, "
	    "`(lo-hi)` a\nnumber, `[x]` optional, `<a|b>` one of.  Keywords "
	    "may be abbreviated to a\nunique prefix (`conf t`, `sh run`).  In "
	    "configuration modes `no CMD` negates\nor restores the default, "
	    "and `do CMD` runs an exec command.\n\n");
	for (int m = 0; config_all_modes[m] != NULL; m++) {
		const struct cli_mode *mode = config_all_modes[m];
		struct buf prompt = BUF_INIT;
		struct doc_ctx d = {out, NULL};

		if (mode->raw_line != NULL)
			continue;
		buf_printf(&prompt, "Router%s%s%s# ", mode->prompt ? "(" : "",
		    mode->prompt ? mode->prompt : "", mode->prompt ? ")" : "");
		d.prompt = buf_str(&prompt);
		buf_printf(out, "## %s\n\nPrompt: `%s`\n\n", mode->name,
		    buf_str(&prompt));
		buf_puts(out, "| Command | Help | Examples |\n|---|---|---|\n");
		cli_foreach_row(mode, doc_row, &d);
		buf_puts(out, "\n");
		buf_free(&prompt);
	}
}
