#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/match.h"

struct cand {
	const struct cli_cmd *cmd;
	const struct cli_compiled *c;
	const struct cli_path *p;
	int score;
	int alive;
	int line_at; /* path position of a LINE token reached, or -1 */
	enum cli_match m;
};

struct cands {
	int n;
	struct cand *v;
};

int
cli_words_split(const char *line, struct cli_words *w)
{
	char *p;

	memset(w, 0, sizeof(*w));
	w->copy = xstrdup(line);
	p = w->copy;
	for (;;) {
		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (w->n == CLI_MAX_WORDS)
			return -1;
		w->off[w->n] = (size_t)(p - w->copy);
		w->w[w->n++] = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	{
		size_t len = strlen(line);

		w->trailing_space =
		    len > 0 && isspace((unsigned char)line[len - 1]);
	}
	return 0;
}

void
cli_words_free(struct cli_words *w)
{
	free(w->copy);
	w->copy = NULL;
	w->n = 0;
}

static void
collect(
    const struct cli_mode *mode, int is_no, int with_hidden, struct cands *cs)
{
	cs->n = 0;
	cs->v = NULL;
	for (int t = 0; mode->tables[t] != NULL; t++) {
		const struct cli_table *tab = mode->tables[t];
		struct cli_compiled *const *comp = tab->compiled;

		if (comp == NULL)
			continue;
		for (size_t i = 0; i < tab->count; i++) {
			const struct cli_cmd *cmd = &tab->cmds[i];

			if (is_no && !(cmd->flags & (CLI_NO | CLI_NO_ONLY)))
				continue;
			if (!is_no && (cmd->flags & CLI_NO_ONLY))
				continue;
			if (!with_hidden && (cmd->flags & CLI_HIDDEN))
				continue;
			for (int p = 0; p < comp[i]->npaths; p++) {
				struct cand *c;

				cs->v = realloc(cs->v,
				    sizeof(*cs->v) * (size_t)(cs->n + 1));
				if (cs->v == NULL)
					abort();
				c = &cs->v[cs->n++];
				c->cmd = cmd;
				c->c = comp[i];
				c->p = &comp[i]->paths[p];
				c->score = 0;
				c->alive = 1;
				c->line_at = -1;
			}
		}
	}
}

static const struct cli_tok *
cand_tok(const struct cand *c, int k)
{
	return &c->c->toks[c->p->tok[k]];
}

/*
 * Keep, word by word, the candidates with the best kind of match.
 * Returns CM_OK, or CM_INVALID/CM_AMBIGUOUS with *bad set.
 */
static enum cli_match_status
filter(
    struct cands *cs, const struct cli_words *w, int first, int upto, int *bad)
{
	for (int i = first; i < upto; i++) {
		int k = i - first;
		enum cli_match best = MATCH_NONE;
		const char *partial_kw = NULL;

		for (int j = 0; j < cs->n; j++) {
			struct cand *c = &cs->v[j];

			if (!c->alive)
				continue;
			if (c->line_at >= 0) {
				c->m = MATCH_ANY;
			} else if (k >= c->p->len) {
				c->m = MATCH_NONE;
			} else {
				const struct cli_tok *t = cand_tok(c, k);

				c->m = cli_tok_match(t, w->w[i]);
				if (t->kind == TOK_LINE)
					c->line_at = k;
			}
			if (c->m > best)
				best = c->m;
		}
		if (best == MATCH_NONE) {
			*bad = i;
			return CM_INVALID;
		}
		for (int j = 0; j < cs->n; j++) {
			struct cand *c = &cs->v[j];

			if (!c->alive)
				continue;
			if (c->m < best) {
				c->alive = 0;
				continue;
			}
			c->score += c->m;
			if (best == MATCH_PARTIAL && c->line_at < 0) {
				const char *kw = cand_tok(c, k)->text;

				if (partial_kw == NULL)
					partial_kw = kw;
				else if (strcasecmp(partial_kw, kw) != 0) {
					*bad = i;
					return CM_AMBIGUOUS;
				}
			}
		}
	}
	return CM_OK;
}

static int
no_words(const struct cand *c)
{
	int n = c->cmd->no_words ? c->cmd->no_words : c->c->lead_keywords;

	return n > 0 ? n : 1;
}

static int
is_complete(const struct cand *c, int nwords, int is_no)
{
	if (c->line_at >= 0)
		return 1;
	if (c->p->len == nwords)
		return 1;
	return is_no && nwords >= no_words(c) && nwords < c->p->len;
}

static void
bind_kw(struct cli_match_result *r, const char *name, const char *value,
    int is_keyword)
{
	if (name == NULL || r->args.count == CLI_MAX_ARGS)
		return;
	r->args.arg[r->args.count].name = name;
	r->args.arg[r->args.count].value = value;
	r->args.arg[r->args.count].is_keyword = is_keyword;
	r->args.count++;
}

static void
bind(struct cli_match_result *r, const char *name, const char *value)
{
	bind_kw(r, name, value, 0);
}

static void
bind_args(struct cli_match_result *r, const struct cand *c,
    const struct cli_words *w, int first)
{
	int n = w->n - first;

	memset(&r->args, 0, sizeof(r->args));
	for (int k = 0; k < n && k < c->p->len; k++) {
		const struct cli_tok *t = cand_tok(c, k);

		if (t->kind == TOK_KEYWORD) {
			bind_kw(r, t->text, t->text, 1);
			bind(r, t->bind, t->text);
		} else if (t->kind == TOK_LINE) {
			size_t used = 0;

			r->line_value[0] = '\0';
			for (int i = first + k; i < w->n; i++) {
				int len = snprintf(r->line_value + used,
				    sizeof(r->line_value) - used, "%s%s",
				    used ? " " : "", w->w[i]);

				if (len < 0 ||
				    (size_t)len >= sizeof(r->line_value) - used)
					break;
				used += (size_t)len;
			}
			bind(r, t->bind, r->line_value);
			break;
		} else {
			bind(r, t->bind, w->w[first + k]);
		}
	}
}

void
cli_match(const struct cli_mode *mode, const struct cli_words *w, int first,
    int is_no, struct cli_match_result *r)
{
	struct cands cs;
	const struct cand *best = NULL;
	int nwords = w->n - first;
	int any_alive = 0;

	memset(r, 0, sizeof(*r));
	collect(mode, is_no, 1, &cs);
	r->status = filter(&cs, w, first, w->n, &r->bad_word);
	if (r->status != CM_OK)
		goto out;
	for (int j = 0; j < cs.n; j++) {
		const struct cand *c = &cs.v[j];

		if (!c->alive)
			continue;
		any_alive = 1;
		if (!is_complete(c, nwords, is_no))
			continue;
		if (best == NULL || c->score > best->score)
			best = c;
	}
	if (best == NULL) {
		r->status = any_alive ? CM_INCOMPLETE : CM_INVALID;
		r->bad_word = w->n > 0 ? w->n - 1 : 0;
		goto out;
	}
	r->cmd = best->cmd;
	r->compiled = best->c;
	bind_args(r, best, w, first);
out:
	free(cs.v);
}

struct help_item {
	char label[64];
	const char *help;
};

static int
help_cmp(const void *a, const void *b)
{
	const struct help_item *x = a, *y = b;

	return strcmp(x->label, y->label);
}

static void
help_add(struct help_item **items, int *n, const char *label, const char *help)
{
	for (int i = 0; i < *n; i++)
		if (strcmp((*items)[i].label, label) == 0)
			return;
	*items = realloc(*items, sizeof(**items) * (size_t)(*n + 1));
	if (*items == NULL)
		abort();
	snprintf((*items)[*n].label, sizeof((*items)[*n].label), "%s", label);
	(*items)[*n].help = help ? help : "";
	(*n)++;
}

void
cli_match_help(const struct cli_mode *mode, const struct cli_words *w,
    int first, int is_no, int partial, struct buf *out)
{
	struct cands cs;
	struct help_item *items = NULL;
	int nitems = 0, bad = 0, cr = 0;
	int upto = partial ? w->n - 1 : w->n;
	int k = upto - first;
	size_t width = 0;

	collect(mode, is_no, 0, &cs);
	if (filter(&cs, w, first, upto, &bad) != CM_OK) {
		buf_puts(out, "% Unrecognized command\n");
		free(cs.v);
		return;
	}
	for (int j = 0; j < cs.n; j++) {
		const struct cand *c = &cs.v[j];
		const struct cli_tok *t;
		char label[64];

		if (!c->alive)
			continue;
		if (!partial && is_complete(c, k, is_no))
			cr = 1;
		if (c->line_at >= 0 || k >= c->p->len)
			continue;
		t = cand_tok(c, k);
		if (partial &&
		    (t->kind != TOK_KEYWORD ||
		        cli_tok_match(t, w->w[w->n - 1]) == MATCH_NONE))
			continue;
		cli_tok_label(t, label, sizeof(label));
		help_add(&items, &nitems, label, t->help);
	}
	if (nitems > 1)
		qsort(items, (size_t)nitems, sizeof(*items), help_cmp);
	if (cr)
		help_add(&items, &nitems, "<cr>", "");
	for (int i = 0; i < nitems; i++)
		if (strlen(items[i].label) > width)
			width = strlen(items[i].label);
	if (nitems == 0)
		buf_puts(out, "% Unrecognized command\n");
	for (int i = 0; i < nitems; i++)
		buf_printf(out, "  %-*s  %s\n", (int)width, items[i].label,
		    items[i].help);
	free(items);
	free(cs.v);
}

int
cli_match_complete(const struct cli_mode *mode, const struct cli_words *w,
    int first, int is_no, struct buf *list, struct buf *common)
{
	struct cands cs;
	struct help_item *items = NULL;
	int nitems = 0, bad = 0;
	int upto = w->trailing_space ? w->n : w->n - 1;
	int k = upto - first;
	const char *prefix =
	    w->trailing_space || w->n == 0 ? "" : w->w[w->n - 1];

	collect(mode, is_no, 0, &cs);
	if (k < 0 || filter(&cs, w, first, upto, &bad) != CM_OK) {
		free(cs.v);
		return 0;
	}
	for (int j = 0; j < cs.n; j++) {
		const struct cand *c = &cs.v[j];
		const struct cli_tok *t;

		if (!c->alive || c->line_at >= 0 || k >= c->p->len)
			continue;
		t = cand_tok(c, k);
		if (t->kind != TOK_KEYWORD ||
		    strncasecmp(t->text, prefix, strlen(prefix)) != 0)
			continue;
		help_add(&items, &nitems, t->text, t->help);
	}
	if (nitems > 1)
		qsort(items, (size_t)nitems, sizeof(*items), help_cmp);
	if (nitems > 0) {
		size_t len = strlen(items[0].label);

		for (int i = 1; i < nitems; i++) {
			size_t m = 0;

			while (
			    m < len && items[i].label[m] == items[0].label[m])
				m++;
			len = m;
		}
		buf_append(common, items[0].label, len);
	}
	for (int i = 0; i < nitems; i++)
		buf_printf(list, "%s\n", items[i].label);
	free(items);
	free(cs.v);
	return nitems;
}
