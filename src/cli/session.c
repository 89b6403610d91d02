#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/match.h"
#include "lib/log.h"

#define CLI_MAX_DEPTH 8

struct frame {
	const struct cli_mode *mode;
	void *obj;
};

struct cli_session {
	struct cli_env env;
	struct frame stack[CLI_MAX_DEPTH];
	int depth; /* stack[0] is exec mode */
	struct buf out;
	int interactive; /* questions can be answered */
	int tty; /* a person at a terminal: caret markers */
	/* A question waiting for its answer. */
	char *q_prompt;
	int q_secret;
	cli_answer_fn *q_cb;
	void *q_arg;
	struct cli_ctx q_ctx;
	/* Loading a file. */
	int loading;
	const char *src;
	int line_no;
	int quit;
	/* A command waiting for I/O (cli_defer). */
	struct cli_deferred *deferred;
	cli_notify_fn *notify;
	void *notify_arg;
};

struct cli_deferred {
	struct cli_session *s; /* NULL once the session is gone */
	struct cli_ctx ctx;
};

/* ---- arguments ---- */

const char *
cli_arg(const struct cli_args *args, const char *name)
{
	/* Explicit $name bindings first, then keywords' own bindings. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < args->count; i++)
			if (args->arg[i].is_keyword == pass &&
			    strcmp(args->arg[i].name, name) == 0)
				return args->arg[i].value;
	return NULL;
}

int
cli_has(const struct cli_args *args, const char *name)
{
	return cli_arg(args, name) != NULL;
}

unsigned long
cli_arg_ulong(const struct cli_args *args, const char *name, unsigned long def)
{
	const char *v = cli_arg(args, name);

	return v != NULL ? strtoul(v, NULL, 10) : def;
}

/* ---- output ---- */

void
cli_out(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(ctx->out, fmt, ap);
	va_end(ap);
	buf_putc(ctx->out, '\n');
}

void
cli_wline(struct cli_writer *w, const char *fmt, ...)
{
	va_list ap;

	for (int i = 0; i < w->indent; i++)
		buf_putc(w->out, ' ');
	va_start(ap, fmt);
	buf_vprintf(w->out, fmt, ap);
	va_end(ap);
	buf_putc(w->out, '\n');
}

/* ---- sessions ---- */

struct cli_session *
cli_session_new(const struct cli_env *env)
{
	struct cli_session *s = xcalloc(1, sizeof(*s));

	s->env = *env;
	s->tty = 1;
	s->stack[0].mode = env->exec_mode;
	s->stack[0].obj = env->cfg;
	return s;
}

static void
clear_question(struct cli_session *s)
{
	free(s->q_prompt);
	s->q_prompt = NULL;
	s->q_cb = NULL;
	s->q_arg = NULL;
}

void
cli_session_free(struct cli_session *s)
{
	if (s == NULL)
		return;
	if (s->q_cb != NULL)
		cli_session_answer(s, NULL);
	if (s->deferred != NULL)
		s->deferred->s = NULL; /* the operation finds out on resume */
	cli_session_reset(s);
	clear_question(s);
	buf_wipe(&s->out);
	free(s);
}

void
cli_session_set_cfg(struct cli_session *s, struct config *cfg)
{
	/* A pending question belongs to the old tree: end it there. */
	if (s->q_cb != NULL)
		cli_session_answer(s, NULL);
	cli_session_reset(s);
	s->env.cfg = cfg;
	s->stack[0].obj = cfg;
}

void
cli_session_set_interactive(struct cli_session *s, int on)
{
	s->interactive = on;
}

void
cli_session_set_tty(struct cli_session *s, int on)
{
	s->tty = on;
}

int
cli_session_quit_requested(const struct cli_session *s)
{
	return s->quit;
}

struct buf *
cli_session_output(struct cli_session *s)
{
	return &s->out;
}

const char *
cli_session_question(const struct cli_session *s, int *secret)
{
	if (s->q_cb == NULL)
		return NULL;
	if (secret != NULL)
		*secret = s->q_secret;
	return s->q_prompt;
}

int
cli_session_in_config(const struct cli_session *s)
{
	return s->depth > 0;
}

void
cli_session_prompt(const struct cli_session *s, struct buf *out)
{
	const struct cli_mode *m = s->stack[s->depth].mode;
	const char *host = s->env.hostname ? s->env.hostname(s->env.cfg) : NULL;

	buf_puts(out, host ? host : "Router");
	if (m->prompt != NULL)
		buf_printf(out, "(%s)", m->prompt);
	buf_putc(out, '#');
}

static void
ctx_init(struct cli_session *s, struct cli_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->sess = s;
	ctx->cfg = s->env.cfg;
	ctx->obj = s->stack[s->depth].obj;
	ctx->out = &s->out;
	ctx->is_loading = s->loading;
	ctx->src = s->src;
	ctx->line_no = s->line_no;
}

static void
push(struct cli_session *s, const struct cli_mode *mode, void *obj)
{
	if (s->depth + 1 >= CLI_MAX_DEPTH) {
		buf_puts(&s->out, "% Too many nested modes\n");
		return;
	}
	s->depth++;
	s->stack[s->depth].mode = mode;
	s->stack[s->depth].obj = obj;
}

static void
pop(struct cli_session *s)
{
	struct cli_ctx ctx;

	if (s->depth == 0)
		return;
	ctx_init(s, &ctx);
	if (s->stack[s->depth].mode->leave != NULL)
		s->stack[s->depth].mode->leave(&ctx);
	s->depth--;
}

void
cli_pop_mode(struct cli_ctx *ctx)
{
	pop(ctx->sess);
}

void
cli_session_forget(struct cli_session *s, const void *obj)
{
	for (int d = 1; d <= s->depth; d++)
		if (s->stack[d].obj == obj) {
			s->depth = d - 1;
			buf_puts(&s->out,
			    "% The object this mode was editing "
			    "was deleted; mode left\n");
			return;
		}
}

void
cli_session_reset(struct cli_session *s)
{
	while (s->depth > 0)
		pop(s);
}

int
cli_ask(struct cli_ctx *ctx, const char *prompt, int secret, cli_answer_fn *cb,
    void *arg)
{
	struct cli_session *s = ctx->sess;

	if (!s->interactive || s->loading)
		return cb(ctx, NULL, arg);
	clear_question(s);
	s->q_prompt = xstrdup(prompt);
	s->q_secret = secret;
	s->q_cb = cb;
	s->q_arg = arg;
	s->q_ctx = *ctx;
	return CLI_PENDING;
}

struct cli_deferred *
cli_defer(struct cli_ctx *ctx)
{
	struct cli_session *s = ctx->sess;
	struct cli_deferred *d;

	if (!s->interactive || s->loading || s->deferred != NULL)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->s = s;
	d->ctx = *ctx;
	s->deferred = d;
	return d;
}

void
cli_session_set_notify(struct cli_session *s, cli_notify_fn *fn, void *arg)
{
	s->notify = fn;
	s->notify_arg = arg;
}

int
cli_session_busy(const struct cli_session *s)
{
	return s->deferred != NULL;
}

static void finish(struct cli_session *s, struct cli_ctx *ctx, int rc);

void
cli_resume(struct cli_deferred *d, cli_resume_fn *fn, void *arg)
{
	struct cli_session *s = d->s;
	struct cli_ctx ctx;
	int rc;

	if (s == NULL) {
		free(d);
		fn(NULL, arg);
		return;
	}
	ctx = d->ctx;
	ctx.next_mode = NULL;
	ctx.next_obj = NULL;
	s->deferred = NULL;
	free(d);
	rc = fn(&ctx, arg);
	finish(s, &ctx, rc);
	if (s->notify != NULL && s->deferred == NULL)
		s->notify(s, rc, s->notify_arg);
}

static void
finish(struct cli_session *s, struct cli_ctx *ctx, int rc)
{
	if (rc == CLI_PENDING)
		return;
	if (rc == CLI_OK && ctx->next_mode != NULL)
		push(s, ctx->next_mode, ctx->next_obj);
}

int
cli_session_answer(struct cli_session *s, const char *answer)
{
	struct cli_ctx ctx;
	cli_answer_fn *cb = s->q_cb;
	void *arg = s->q_arg;
	int rc;

	if (cb == NULL)
		return CLI_ERR;
	ctx = s->q_ctx;
	ctx.next_mode = NULL;
	ctx.next_obj = NULL;
	clear_question(s);
	rc = cb(&ctx, answer, arg);
	finish(s, &ctx, rc);
	return rc;
}

/* ---- derived settings ---- */

static int
enum_index(const char *const *words, const char *value)
{
	for (int i = 0; words != NULL && words[i] != NULL; i++)
		if (strcasecmp(words[i], value) == 0)
			return i;
	return -1;
}

static int
setting_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct cli_cmd *cmd = ctx->cmd;
	void *field = (char *)ctx->obj + cmd->off;
	const char *value = cli_arg(args, "value");

	switch (cmd->kind) {
	case CLI_SET_BOOL:
	case CLI_SET_NBOOL:
		*(int *)field = !ctx->is_no;
		break;
	case CLI_SET_UINT:
		*(unsigned *)field = ctx->is_no || value == NULL
		    ? (unsigned)cmd->def
		    : (unsigned)strtoul(value, NULL, 10);
		break;
	case CLI_SET_ENUM:
		if (ctx->is_no || value == NULL) {
			*(int *)field = (int)cmd->def;
		} else {
			int i = enum_index(cmd->words, value);

			if (i < 0) {
				cli_out(ctx, "%% Invalid value '%s'", value);
				return CLI_ERR;
			}
			*(int *)field = i;
		}
		break;
	case CLI_SET_STR:
		free(*(char **)field);
		*(char **)field =
		    ctx->is_no || value == NULL ? NULL : xstrdup(value);
		break;
	case CLI_SET_NONE:
		return CLI_ERR;
	}
	return CLI_OK;
}

static void
setting_write(const struct cli_cmd *cmd, struct cli_writer *w)
{
	const void *field = (const char *)w->obj + cmd->off;

	switch (cmd->kind) {
	case CLI_SET_BOOL:
		if (*(const int *)field)
			cli_wline(w, "%s", cmd->name);
		else if (w->all)
			cli_wline(w, "no %s", cmd->name);
		break;
	case CLI_SET_NBOOL:
		if (!*(const int *)field)
			cli_wline(w, "no %s", cmd->name);
		else if (w->all)
			cli_wline(w, "%s", cmd->name);
		break;
	case CLI_SET_UINT:
		if (*(const unsigned *)field != (unsigned)cmd->def || w->all)
			cli_wline(
			    w, "%s %u", cmd->name, *(const unsigned *)field);
		break;
	case CLI_SET_ENUM: {
		int v = *(const int *)field;

		if (v >= 0 && (v != (int)cmd->def || w->all))
			cli_wline(w, "%s %s", cmd->name, cmd->words[v]);
		break;
	}
	case CLI_SET_STR:
		if (*(char *const *)field != NULL)
			cli_wline(w, "%s %s", cmd->name, *(char *const *)field);
		break;
	case CLI_SET_NONE:
		break;
	}
}

void
cli_write_mode(struct cli_writer *w, const struct cli_mode *mode, void *obj)
{
	void *saved = w->obj;

	w->obj = obj;
	for (int t = 0; mode->tables[t] != NULL; t++) {
		const struct cli_table *tab = mode->tables[t];

		for (size_t i = 0; i < tab->count; i++) {
			const struct cli_cmd *cmd = &tab->cmds[i];

			if (cmd->flags & CLI_ACTION)
				continue;
			if (cmd->kind != CLI_SET_NONE)
				setting_write(cmd, w);
			else if (cmd->write != NULL)
				cmd->write(w);
		}
	}
	w->obj = saved;
}

/* ---- running a line ---- */

/*
 * The line as it may be echoed in an error message: words after a
 * password-like keyword are masked, so that a mistyped command never
 * prints (or logs) the secret it carried.
 */
static void
masked_line(const struct cli_words *w, struct buf *out)
{
	static const char *const secret_kw[] = {"password", "secret", "pin",
	    "ata-ivr-pwd", "password-encrypt", "key", NULL};
	int mask = 0;

	for (int i = 0; i < w->n; i++) {
		int is_kw = 0;

		if (i > 0)
			buf_putc(out, ' ');
		if (mask && strlen(w->w[i]) == 1 &&
		    strchr("015678", w->w[i][0])) {
			buf_puts(out, w->w[i]); /* the encoding digit */
			continue;
		}
		buf_puts(out, mask ? "*****" : w->w[i]);
		for (int k = 0; secret_kw[k] != NULL; k++)
			if (strcasecmp(w->w[i], secret_kw[k]) == 0)
				is_kw = 1;
		mask = is_kw ? 1 : 0;
	}
}

static int
report_match_error(struct cli_session *s, const struct cli_words *w,
    const struct cli_match_result *r)
{
	struct buf line = BUF_INIT;

	masked_line(w, &line);
	switch (r->status) {
	case CM_INCOMPLETE:
		buf_printf(
		    &s->out, "%% Incomplete command: \"%s\"\n", buf_str(&line));
		break;
	case CM_AMBIGUOUS:
		buf_printf(
		    &s->out, "%% Ambiguous command:  \"%s\"\n", buf_str(&line));
		break;
	case CM_INVALID:
	default:
		if (s->interactive && s->tty && !s->loading) {
			struct buf prompt = BUF_INIT;

			cli_session_prompt(s, &prompt);
			buf_printf(&s->out, "%*s^\n",
			    (int)(prompt.len + w->off[r->bad_word]), "");
			buf_free(&prompt);
			buf_puts(&s->out,
			    "% Invalid input detected at '^' marker.\n");
		} else {
			struct cli_words mw;

			cli_words_split(buf_str(&line), &mw);
			buf_printf(&s->out,
			    "%% Invalid input detected at '%s' in \"%s\"\n",
			    r->bad_word < mw.n ? mw.w[r->bad_word] : "",
			    buf_str(&line));
			cli_words_free(&mw);
		}
		break;
	}
	buf_free(&line);
	return CLI_ERR;
}

/* Does the line start with an ignored pattern ("*" matches a word)? */
static int
ignored_match(const char *const *pats, const struct cli_words *w, int first)
{
	for (int p = 0; pats != NULL && pats[p] != NULL; p++) {
		struct cli_words pw;
		int ok = 1;

		cli_words_split(pats[p], &pw);
		if (pw.n > w->n - first)
			ok = 0;
		for (int i = 0; ok && i < pw.n; i++)
			if (strcmp(pw.w[i], "*") != 0 &&
			    strcasecmp(pw.w[i], w->w[first + i]) != 0)
				ok = 0;
		cli_words_free(&pw);
		if (ok)
			return 1;
	}
	return 0;
}

static int
run_row(struct cli_session *s, const struct cli_match_result *r, int is_no)
{
	struct cli_ctx ctx;
	int rc;

	ctx_init(s, &ctx);
	ctx.cmd = r->cmd;
	ctx.is_no = is_no;
	if (r->cmd->flags & CLI_DEPRECATED) {
		cli_out(&ctx, "%% %s",
		    r->cmd->why ? r->cmd->why : "This command is deprecated");
		return CLI_ERR;
	}
	if (r->cmd->kind != CLI_SET_NONE)
		rc = setting_run(&ctx, &r->args);
	else if (r->cmd->handler != NULL)
		rc = r->cmd->handler(&ctx, &r->args);
	else
		rc = CLI_ERR;
	finish(s, &ctx, rc);
	return rc;
}

static int
has_bad_bytes(const char *line)
{
	for (const unsigned char *p = (const unsigned char *)line; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 1;
	return 0;
}

/* Set while a line is being ignored with its indented sub-lines. */
/* Did the first word match the row's first keyword in full? */
static int
first_word_exact(
    const struct cli_match_result *r, const struct cli_words *w, int first)
{
	return r->compiled != NULL && r->compiled->ntoks > 0 &&
	    strcasecmp(r->compiled->toks[0].text, w->w[first]) == 0;
}

/*
 * Find the mode the line belongs to, IOS style: the current mode first,
 * then the enclosing ones.  Two refinements keep files and abbreviations
 * unambiguous: in a file, a line in column 0 is a top-level command when
 * the top level knows it; and a first word that is only an abbreviation
 * here yields to an enclosing mode where it is a whole keyword
 * (`ephone 2` inside ephone mode is not `ephone-template 2`).
 * Returns the depth of the mode that matched (r filled), or -1.
 */
static int
resolve_mode(struct cli_session *s, const struct cli_words *w, int first,
    int is_no, int indent, struct cli_match_result *r)
{
	struct cli_match_result *pr;
	int depth = s->depth;

	if (s->loading && indent == 0 && s->depth > 1) {
		pr = xcalloc(1, sizeof(*pr));
		cli_match(s->stack[1].mode, w, first, is_no, pr);
		if (pr->status == CM_OK) {
			*r = *pr;
			free(pr);
			return 1;
		}
		free(pr);
	}
	cli_match(s->stack[depth].mode, w, first, is_no, r);
	if (!s->stack[depth].mode->is_config || depth <= 1)
		return r->status == CM_OK ? depth : -1;
	if (r->status == CM_OK && first_word_exact(r, w, first))
		return depth;
	if (r->status != CM_OK && r->status != CM_INVALID)
		return -1;
	pr = xcalloc(1, sizeof(*pr));
	for (int d = depth - 1; d >= 1; d--) {
		cli_match(s->stack[d].mode, w, first, is_no, pr);
		if (pr->status == CM_OK &&
		    (r->status != CM_OK || first_word_exact(pr, w, first))) {
			*r = *pr;
			free(pr);
			return d;
		}
	}
	free(pr);
	return r->status == CM_OK ? depth : -1;
}

static int
exec_words(
    struct cli_session *s, struct cli_words *w, int indent, int *ignored_block)
{
	const struct cli_mode *mode = s->stack[s->depth].mode;
	struct cli_match_result *r = xcalloc(1, sizeof(*r));
	int first = 0, is_no = 0, rc;

	*ignored_block = 0;
	if (mode->is_config && w->n > 1 && strcasecmp(w->w[0], "do") == 0) {
		cli_match(s->env.exec_mode, w, 1, 0, r);
		if (r->status != CM_OK)
			rc = report_match_error(s, w, r);
		else
			rc = run_row(s, r, 0);
		goto out;
	}
	if (mode->is_config && w->n > 1 && strcasecmp(w->w[0], "no") == 0) {
		is_no = 1;
		first = 1;
	}
	{
		int d = resolve_mode(s, w, first, is_no, indent, r);

		if (d >= 0)
			while (s->depth > d)
				pop(s);
	}
	if (r->status == CM_OK) {
		rc = run_row(s, r, is_no);
		goto out;
	}
	for (int d = s->depth; d >= 0; d--) {
		const struct cli_mode *m = s->stack[d].mode;

		if (!ignored_match(m->ignored, w, first) &&
		    !ignored_match(m->ignored, w, 0))
			continue;
		while (s->depth > d)
			pop(s);
		{
			struct buf masked = BUF_INIT;

			masked_line(w, &masked);
			if (s->loading)
				buf_printf(&s->out,
				    "ignored (outside OpenCME's scope): %s\n",
				    buf_str(&masked));
			else
				buf_printf(&s->out,
				    "%% Ignored: \"%s\" is outside OpenCME's "
				    "scope\n",
				    buf_str(&masked));
			buf_free(&masked);
		}
		*ignored_block = 1;
		rc = CLI_OK;
		goto out;
	}
	rc = report_match_error(s, w, r);
out:
	free(r);
	return rc;
}

static int
exec_line(struct cli_session *s, const char *line, int *ignored_block)
{
	const struct cli_mode *mode = s->stack[s->depth].mode;
	struct cli_words w;
	int rc;

	*ignored_block = 0;
	if (s->q_cb != NULL) {
		buf_puts(&s->out, "% A question is waiting for its answer\n");
		return CLI_ERR;
	}
	if (s->deferred != NULL) {
		buf_puts(&s->out, "% The previous command is still running\n");
		return CLI_ERR;
	}
	if (strlen(line) >= CLI_LINE_MAX) {
		buf_printf(&s->out, "%% Line too long (limit %d characters)\n",
		    CLI_LINE_MAX - 1);
		return CLI_ERR;
	}
	if (has_bad_bytes(line)) {
		buf_puts(&s->out, "% Invalid input: control characters\n");
		return CLI_ERR;
	}
	if (mode->raw_line != NULL) {
		struct cli_ctx ctx;

		ctx_init(s, &ctx);
		rc = mode->raw_line(&ctx, line);
		if (rc == 1) {
			pop(s);
			rc = CLI_OK;
		}
		return rc;
	}
	if (cli_words_split(line, &w) != 0) {
		cli_words_free(&w);
		buf_puts(&s->out, "% Too many words on the line\n");
		return CLI_ERR;
	}
	if (w.n == 0 || w.w[0][0] == '!') {
		cli_words_free(&w);
		return CLI_OK;
	}
	rc = exec_words(s, &w, (int)w.off[0], ignored_block);
	cli_words_free(&w);
	return rc;
}

int
cli_session_exec(struct cli_session *s, const char *line)
{
	int ignored;

	return exec_line(s, line, &ignored);
}

/* Words of the line being helped, and the mode that applies to them. */
static const struct cli_mode *
help_mode(
    struct cli_session *s, const struct cli_words *w, int *first, int *is_no)
{
	const struct cli_mode *mode = s->stack[s->depth].mode;

	*first = 0;
	*is_no = 0;
	if (mode->is_config && w->n >= 1 && strcasecmp(w->w[0], "do") == 0 &&
	    (w->n > 1 || w->trailing_space)) {
		*first = 1;
		return s->env.exec_mode;
	}
	if (mode->is_config && w->n >= 1 && strcasecmp(w->w[0], "no") == 0 &&
	    (w->n > 1 || w->trailing_space)) {
		*first = 1;
		*is_no = 1;
	}
	return mode;
}

void
cli_session_help(struct cli_session *s, const char *partial, struct buf *out)
{
	struct cli_words w;
	const struct cli_mode *mode;
	int first, is_no;
	size_t len = strlen(partial);
	int is_partial = len > 0 && !isspace((unsigned char)partial[len - 1]);

	if (s->stack[s->depth].mode->raw_line != NULL) {
		buf_puts(out, "  quit  End of the data\n");
		return;
	}
	if (cli_words_split(partial, &w) != 0) {
		cli_words_free(&w);
		buf_puts(out, "% Too many words on the line\n");
		return;
	}
	mode = help_mode(s, &w, &first, &is_no);
	cli_match_help(mode, &w, first, is_no, is_partial && w.n > 0, out);
	cli_words_free(&w);
}

int
cli_session_complete(struct cli_session *s, const char *partial,
    struct buf *line_out, struct buf *list_out)
{
	struct cli_words w;
	const struct cli_mode *mode;
	struct buf common = BUF_INIT;
	int first, is_no, n;

	if (cli_words_split(partial, &w) != 0) {
		cli_words_free(&w);
		return 0;
	}
	mode = help_mode(s, &w, &first, &is_no);
	n = cli_match_complete(mode, &w, first, is_no, list_out, &common);
	if (n > 0) {
		/* Replace the partial last word with the common prefix. */
		size_t keep = w.trailing_space || w.n == 0 ? strlen(partial)
		                                           : w.off[w.n - 1];

		buf_append(line_out, partial, keep);
		buf_puts(line_out, buf_str(&common));
		if (n == 1)
			buf_putc(line_out, ' ');
	} else {
		buf_puts(line_out, partial);
	}
	buf_free(&common);
	cli_words_free(&w);
	return n;
}

/* ---- loading files ---- */

static void
flush_output(struct cli_session *s, struct buf *err)
{
	const char *p = buf_str(&s->out);

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		buf_printf(
		    err, "%s:%d: %.*s\n", s->src, s->line_no, (int)len, p);
		p += len + (nl != NULL);
	}
	buf_reset(&s->out);
}

int
cli_load_text(struct cli_session *s, const char *src_name, const char *text,
    size_t len, struct buf *err)
{
	int errors = 0, in_block = 0, block_lines = 0, block_start = 0;
	size_t block_indent = 0;
	size_t pos = 0;

	s->loading = 1;
	s->src = src_name;
	s->line_no = 0;
	cli_session_reset(s);
	push(s, s->env.config_mode, s->env.cfg);
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - start) : len - pos;
		char *line;
		int rc, ignored;

		pos += llen + (nl != NULL);
		s->line_no++;
		if (llen > 0 && start[llen - 1] == '\r')
			llen--;
		if (llen >= CLI_LINE_MAX) {
			buf_printf(err,
			    "%s:%d: %% Line too long (limit %d characters)\n",
			    src_name, s->line_no, CLI_LINE_MAX - 1);
			errors++;
			continue;
		}
		if (memchr(start, '\0', llen) != NULL) {
			buf_printf(err, "%s:%d: %% Invalid input: NUL byte\n",
			    src_name, s->line_no);
			errors++;
			continue;
		}
		line = strndup(start, llen);
		if (line == NULL)
			abort();
		/* Lines indented under an ignored command are ignored too. */
		if (in_block && strspn(line, " \t") > block_indent &&
		    line[strspn(line, " \t")] != '\0' &&
		    s->stack[s->depth].mode->raw_line == NULL) {
			block_lines++;
			free(line);
			continue;
		}
		if (in_block && block_lines > 0)
			buf_printf(err,
			    "%s:%d: (%d sub-line%s of the ignored command "
			    "skipped)\n",
			    src_name, block_start, block_lines,
			    block_lines == 1 ? "" : "s");
		in_block = 0;
		{
			const char *t = line;

			while (isspace((unsigned char)*t))
				t++;
			if (strcasecmp(t, "end") == 0 &&
			    s->stack[s->depth].mode->raw_line == NULL) {
				free(line);
				break;
			}
		}
		rc = exec_line(s, line, &ignored);
		if (ignored) {
			in_block = 1;
			block_lines = 0;
			block_start = s->line_no;
			block_indent = strspn(line, " \t");
		}
		if (rc == CLI_ERR)
			errors++;
		flush_output(s, err);
		free(line);
	}
	if (in_block && block_lines > 0)
		buf_printf(err,
		    "%s:%d: (%d sub-line%s of the ignored command skipped)\n",
		    src_name, block_start, block_lines,
		    block_lines == 1 ? "" : "s");
	if (s->stack[s->depth].mode->raw_line != NULL) {
		buf_printf(err, "%s:%d: %% Unexpected end of file in %s\n",
		    src_name, s->line_no, s->stack[s->depth].mode->name);
		errors++;
	}
	cli_session_reset(s);
	flush_output(s, err);
	s->loading = 0;
	s->src = NULL;
	s->line_no = 0;
	return errors;
}

/* ---- tables ---- */

static int
compile_table(struct cli_table *tab, struct buf *err)
{
	struct cli_compiled **comp;
	int problems = 0;

	if (tab->compiled != NULL)
		return 0;
	comp = xcalloc(tab->count, sizeof(*comp));
	for (size_t i = 0; i < tab->count; i++) {
		const struct cli_cmd *cmd = &tab->cmds[i];

		comp[i] = cli_syntax_compile(cmd->syntax, cmd->help, err);
		if (comp[i] == NULL) {
			problems++;
			/* Keep the table usable: an empty syntax never
			 * matches anything. */
			comp[i] = xcalloc(1, sizeof(*comp[i]));
			continue;
		}
		if (cmd->kind == CLI_SET_NONE && cmd->handler == NULL &&
		    !(cmd->flags & CLI_DEPRECATED)) {
			buf_printf(
			    err, "command \"%s\": no handler\n", cmd->syntax);
			problems++;
		}
		if (cmd->kind == CLI_SET_ENUM && cmd->words == NULL) {
			buf_printf(err, "command \"%s\": enum without words\n",
			    cmd->syntax);
			problems++;
		}
	}
	tab->compiled = comp;
	return problems;
}

int
cli_init(const struct cli_mode *const *modes, struct buf *err)
{
	int problems = 0;

	for (int m = 0; modes[m] != NULL; m++)
		for (int t = 0; modes[m]->tables[t] != NULL; t++)
			problems += compile_table(modes[m]->tables[t], err);
	return problems;
}

void
cli_foreach_row(const struct cli_mode *mode, cli_row_fn *fn, void *arg)
{
	for (int t = 0; mode->tables[t] != NULL; t++)
		for (size_t i = 0; i < mode->tables[t]->count; i++)
			fn(mode, &mode->tables[t]->cmds[i], arg);
}

/* ---- built-in commands ---- */

static int
builtin_configure(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	ctx->next_mode = ctx->sess->env.config_mode;
	ctx->next_obj = ctx->cfg;
	return CLI_OK;
}

static int
builtin_exit(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	if (ctx->sess->depth == 0)
		ctx->sess->quit = 1;
	else
		pop(ctx->sess);
	return CLI_OK;
}

static int
builtin_end(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	cli_session_reset(ctx->sess);
	return CLI_OK;
}

static int
builtin_nop(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)ctx;
	(void)args;
	return CLI_OK;
}

static int
builtin_incomplete(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	cli_out(ctx, "%% Incomplete command.");
	return CLI_ERR;
}

static const struct cli_cmd builtin_exec_cmds[] = {
    {.syntax = "configure terminal",
        .help = HELP("Enter configuration mode", "Configure from the terminal"),
        .handler = builtin_configure,
        .flags = CLI_ACTION},
    {.syntax = "enable",
        .help = HELP("Turn on privileged commands"),
        .handler = builtin_nop,
        .flags = CLI_ACTION},
    {.syntax = "exit",
        .help = HELP("Exit from the EXEC"),
        .handler = builtin_exit,
        .flags = CLI_ACTION},
};

static const struct cli_cmd builtin_config_cmds[] = {
    {.syntax = "exit",
        .help = HELP("Exit from the current mode"),
        .handler = builtin_exit,
        .flags = CLI_ACTION},
    {.syntax = "end",
        .help = HELP("Exit to privileged EXEC mode"),
        .handler = builtin_end,
        .flags = CLI_ACTION},
    {.syntax = "no",
        .help = HELP("Negate a command or set its defaults"),
        .handler = builtin_incomplete,
        .flags = CLI_ACTION},
    {.syntax = "do",
        .help = HELP("To run exec commands in config mode"),
        .handler = builtin_incomplete,
        .flags = CLI_ACTION},
};

struct cli_table cli_builtin_exec = CLI_TABLE(builtin_exec_cmds);
struct cli_table cli_builtin_config = CLI_TABLE(builtin_config_cmds);

/* ---- documentation helpers ---- */

static const struct cli_compiled *
row_compiled(const struct cli_mode *mode, const struct cli_cmd *cmd)
{
	for (int t = 0; mode->tables[t] != NULL; t++) {
		const struct cli_table *tab = mode->tables[t];

		if (cmd >= tab->cmds && cmd < tab->cmds + tab->count &&
		    tab->compiled != NULL)
			return ((struct cli_compiled *const *)
			            tab->compiled)[cmd - tab->cmds];
	}
	return NULL;
}

static void
example_path(const struct cli_compiled *c, const struct cli_path *p,
    cli_sample_fn *sample, struct buf *out)
{
	for (int k = 0; k < p->len; k++) {
		const struct cli_tok *t = &c->toks[p->tok[k]];
		const char *v = NULL;
		char num[32];

		if (k > 0)
			buf_putc(out, ' ');
		if (t->kind == TOK_KEYWORD) {
			buf_puts(out, t->text);
			continue;
		}
		/* Typed tokens keep typed values whatever their name. */
		if (sample != NULL && t->kind != TOK_IPV4 &&
		    t->kind != TOK_MAC && t->kind != TOK_RANGE)
			v = sample(t->bind, t->text);
		if (v == NULL) {
			switch (t->kind) {
			case TOK_RANGE:
				snprintf(num, sizeof(num), "%lu", t->lo);
				v = num;
				break;
			case TOK_IPV4:
				v = "10.1.1.1";
				break;
			case TOK_MAC:
				v = "0011.2233.4455";
				break;
			case TOK_DIGITS:
				v = "2734";
				break;
			case TOK_HEX:
				v = "1B";
				break;
			case TOK_URL:
				v = "flash:file.xml";
				break;
			default:
				v = t->bind ? t->bind : "value";
				break;
			}
		}
		buf_puts(out, v);
	}
	buf_putc(out, '\n');
}

void
cli_row_examples(const struct cli_mode *mode, const struct cli_cmd *cmd,
    cli_sample_fn *sample, struct buf *out)
{
	const struct cli_compiled *c = row_compiled(mode, cmd);
	int longest = 0;

	if (c == NULL || c->npaths == 0)
		return;
	for (int i = 1; i < c->npaths; i++)
		if (c->paths[i].len > c->paths[longest].len)
			longest = i;
	example_path(c, &c->paths[0], sample, out);
	if (longest != 0)
		example_path(c, &c->paths[longest], sample, out);
}

const struct cli_cmd *
cli_row_for_line(const struct cli_mode *mode, const char *line)
{
	struct cli_words w;
	struct cli_match_result *r = xcalloc(1, sizeof(*r));
	const struct cli_cmd *cmd = NULL;

	if (cli_words_split(line, &w) == 0 && w.n > 0) {
		cli_match(mode, &w, 0, 0, r);
		if (r->status == CM_OK)
			cmd = r->cmd;
	}
	cli_words_free(&w);
	free(r);
	return cmd;
}
