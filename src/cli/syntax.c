#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/syntax.h"

/* Syntax tree used only while compiling. */
enum node_kind { N_TOK, N_SEQ, N_OPT, N_ALT };

struct node {
	enum node_kind kind;
	int tok; /* N_TOK */
	int nkids;
	struct node **kids; /* N_SEQ: items; N_OPT: one SEQ; N_ALT: SEQs */
};

struct parser {
	const char *s;
	size_t pos;
	struct cli_compiled *c;
	const char *const *help;
	int nhelp;
	struct buf *err;
	int failed;
};

/* A set of paths under construction. */
struct pathset {
	int n;
	struct cli_path *p;
};

static struct node *parse_seq(struct parser *ps, int depth);

static struct node *
node_new(enum node_kind kind)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	return n;
}

static void
node_add(struct node *n, struct node *kid)
{
	n->kids = realloc(n->kids, sizeof(*n->kids) * (size_t)(n->nkids + 1));
	if (n->kids == NULL)
		abort();
	n->kids[n->nkids++] = kid;
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (int i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n);
}

static void
parse_fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		buf_printf(ps->err, "syntax \"%s\": %s at offset %zu\n", ps->s,
		    what, ps->pos);
	ps->failed = 1;
}

static void
skip_spaces(struct parser *ps)
{
	while (ps->s[ps->pos] == ' ')
		ps->pos++;
}

static int
is_delim(char ch)
{
	return ch == '\0' || ch == ' ' || ch == '[' || ch == ']' || ch == '<' ||
	    ch == '>' || ch == '|';
}

/* Read "$name" after a token or group; returns malloc'ed name or NULL. */
static char *
parse_bind(struct parser *ps)
{
	size_t start;

	if (ps->s[ps->pos] != '$')
		return NULL;
	start = ++ps->pos;
	while (!is_delim(ps->s[ps->pos]) && ps->s[ps->pos] != '$')
		ps->pos++;
	if (ps->pos == start) {
		parse_fail(ps, "empty $name");
		return NULL;
	}
	return strndup(ps->s + start, ps->pos - start);
}

static int
classify(struct cli_tok *t)
{
	const char *w = t->text;

	if (strcmp(w, "WORD") == 0)
		t->kind = TOK_WORD;
	else if (strcmp(w, "LINE") == 0)
		t->kind = TOK_LINE;
	else if (strcmp(w, "NAME") == 0)
		t->kind = TOK_NAME;
	else if (strcmp(w, "A.B.C.D") == 0)
		t->kind = TOK_IPV4;
	else if (strcmp(w, "H.H.H") == 0)
		t->kind = TOK_MAC;
	else if (strcmp(w, "DIGITS") == 0)
		t->kind = TOK_DIGITS;
	else if (strcmp(w, "HEX") == 0)
		t->kind = TOK_HEX;
	else if (strcmp(w, "URL") == 0)
		t->kind = TOK_URL;
	else if (w[0] == '(') {
		char *end;

		t->kind = TOK_RANGE;
		t->lo = strtoul(w + 1, &end, 10);
		if (*end != '-')
			return -1;
		t->hi = strtoul(end + 1, &end, 10);
		if (strcmp(end, ")") != 0 || t->hi < t->lo)
			return -1;
	} else {
		for (const char *p = w; *p; p++)
			if (isupper((unsigned char)*p))
				return -1; /* unknown placeholder */
		t->kind = TOK_KEYWORD;
	}
	return 0;
}

static struct node *
parse_token(struct parser *ps)
{
	struct cli_compiled *c = ps->c;
	struct cli_tok *t;
	size_t start = ps->pos;
	struct node *n;

	while (!is_delim(ps->s[ps->pos]) && ps->s[ps->pos] != '$')
		ps->pos++;
	c->toks = realloc(c->toks, sizeof(*c->toks) * (size_t)(c->ntoks + 1));
	if (c->toks == NULL)
		abort();
	t = &c->toks[c->ntoks];
	memset(t, 0, sizeof(*t));
	t->text = strndup(ps->s + start, ps->pos - start);
	if (t->text == NULL)
		abort();
	if (classify(t) != 0)
		parse_fail(ps, "unknown placeholder");
	t->bind = parse_bind(ps);
	if (t->bind == NULL && t->kind != TOK_KEYWORD)
		parse_fail(ps, "variable without $name");
	if (ps->nhelp > c->ntoks)
		t->help = ps->help[c->ntoks];
	n = node_new(N_TOK);
	n->tok = c->ntoks++;
	return n;
}

/* Apply a group's $name to the single-token alternatives inside it. */
static void
bind_group(struct parser *ps, struct node *group, const char *bind)
{
	struct node *alt = group;

	if (group->kind == N_OPT)
		alt = group->kids[0];
	if (alt->kind == N_SEQ && alt->nkids == 1)
		alt = alt->kids[0];
	for (int i = 0; i < alt->nkids; i++) {
		struct node *seq = alt->kids[i];
		struct cli_tok *t;

		if (seq->kind != N_SEQ || seq->nkids < 1 ||
		    seq->kids[0]->kind != N_TOK)
			continue;
		t = &ps->c->toks[seq->kids[0]->tok];
		if (t->bind == NULL)
			t->bind = strdup(bind);
	}
}

/* Inside brackets: alternatives separated by '|'. */
static struct node *
parse_alts(struct parser *ps, char close, int depth)
{
	struct node *alt = node_new(N_ALT);

	for (;;) {
		node_add(alt, parse_seq(ps, depth + 1));
		if (ps->failed)
			return alt;
		if (ps->s[ps->pos] == '|') {
			ps->pos++;
			continue;
		}
		if (ps->s[ps->pos] == close) {
			ps->pos++;
			return alt;
		}
		parse_fail(ps, "unbalanced bracket");
		return alt;
	}
}

static struct node *
parse_seq(struct parser *ps, int depth)
{
	struct node *seq = node_new(N_SEQ);

	if (depth > 8) {
		parse_fail(ps, "nesting too deep");
		return seq;
	}
	for (;;) {
		char ch;

		skip_spaces(ps);
		ch = ps->s[ps->pos];
		if (ch == '\0' || ch == ']' || ch == '>' || ch == '|' ||
		    ps->failed)
			return seq;
		if (ch == '[' || ch == '<') {
			struct node *group;
			char *bind;

			ps->pos++;
			group = parse_alts(ps, ch == '[' ? ']' : '>', depth);
			if (ch == '[') {
				struct node *opt = node_new(N_OPT);
				struct node *inner = node_new(N_SEQ);

				node_add(inner, group);
				node_add(opt, inner);
				group = opt;
			}
			bind = parse_bind(ps);
			if (bind != NULL) {
				bind_group(ps,
				    ch == '[' ? group->kids[0]->kids[0] : group,
				    bind);
				free(bind);
			}
			node_add(seq, group);
			continue;
		}
		node_add(seq, parse_token(ps));
	}
}

static void
pathset_add(struct pathset *ps, const struct cli_path *p)
{
	if (ps->n >= CLI_MAX_PATHS)
		return;
	ps->p = realloc(ps->p, sizeof(*ps->p) * (size_t)(ps->n + 1));
	if (ps->p == NULL)
		abort();
	ps->p[ps->n++] = *p;
}

static int expand(const struct node *n, struct pathset *out);

static int
expand_seq(const struct node *n, struct pathset *out)
{
	struct pathset cur = {0, NULL};
	struct cli_path empty = {0, {0}};

	pathset_add(&cur, &empty);
	for (int i = 0; i < n->nkids; i++) {
		struct pathset kid = {0, NULL}, next = {0, NULL};

		if (expand(n->kids[i], &kid) != 0) {
			free(kid.p);
			free(cur.p);
			return -1;
		}
		for (int a = 0; a < cur.n; a++)
			for (int b = 0; b < kid.n; b++) {
				struct cli_path p = cur.p[a];

				if (p.len + kid.p[b].len > CLI_MAX_PATH) {
					free(kid.p);
					free(next.p);
					free(cur.p);
					return -1;
				}
				memcpy(p.tok + p.len, kid.p[b].tok,
				    sizeof(int) * (size_t)kid.p[b].len);
				p.len += kid.p[b].len;
				pathset_add(&next, &p);
			}
		free(kid.p);
		free(cur.p);
		cur = next;
	}
	for (int i = 0; i < cur.n; i++)
		pathset_add(out, &cur.p[i]);
	free(cur.p);
	return 0;
}

static int
expand(const struct node *n, struct pathset *out)
{
	struct cli_path one = {1, {n->tok}};
	struct cli_path empty = {0, {0}};

	switch (n->kind) {
	case N_TOK:
		pathset_add(out, &one);
		return 0;
	case N_SEQ:
		return expand_seq(n, out);
	case N_OPT:
		pathset_add(out, &empty);
		return expand(n->kids[0], out);
	case N_ALT:
		for (int i = 0; i < n->nkids; i++)
			if (expand(n->kids[i], out) != 0)
				return -1;
		return 0;
	}
	return -1;
}

static int
count_help(const char *const *help)
{
	int n = 0;

	while (help != NULL && help[n] != NULL)
		n++;
	return n;
}

struct cli_compiled *
cli_syntax_compile(const char *syntax, const char *const *help, struct buf *err)
{
	struct parser ps = {syntax, 0, NULL, help, count_help(help), err, 0};
	struct pathset paths = {0, NULL};
	struct node *root;

	ps.c = xcalloc(1, sizeof(*ps.c));
	root = parse_seq(&ps, 0);
	if (!ps.failed && syntax[ps.pos] != '\0')
		parse_fail(&ps, "unexpected character");
	if (!ps.failed && ps.nhelp != ps.c->ntoks) {
		buf_printf(err,
		    "syntax \"%s\": %d tokens but %d help strings\n", syntax,
		    ps.c->ntoks, ps.nhelp);
		ps.failed = 1;
	}
	if (!ps.failed && expand(root, &paths) != 0) {
		buf_printf(err, "syntax \"%s\": too many paths\n", syntax);
		ps.failed = 1;
	}
	if (!ps.failed) {
		for (int i = 0; i < root->nkids; i++) {
			const struct node *k = root->kids[i];

			if (k->kind != N_TOK ||
			    ps.c->toks[k->tok].kind != TOK_KEYWORD)
				break;
			ps.c->lead_keywords++;
		}
	}
	node_free(root);
	ps.c->paths = paths.p;
	ps.c->npaths = paths.n;
	if (ps.failed) {
		cli_syntax_free(ps.c);
		return NULL;
	}
	return ps.c;
}

void
cli_syntax_free(struct cli_compiled *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->ntoks; i++) {
		free(c->toks[i].text);
		free(c->toks[i].bind);
	}
	free(c->toks);
	free(c->paths);
	free(c);
}

int
cli_syntax_token_count(const char *syntax)
{
	struct buf err = BUF_INIT;
	struct parser ps = {syntax, 0, NULL, NULL, 0, &err, 0};
	struct node *root;
	int n;

	ps.c = xcalloc(1, sizeof(*ps.c));
	root = parse_seq(&ps, 0);
	n = ps.failed ? -1 : ps.c->ntoks;
	node_free(root);
	cli_syntax_free(ps.c);
	buf_free(&err);
	return n;
}

static int
all_chars(const char *w, int (*ok)(int))
{
	if (*w == '\0')
		return 0;
	for (; *w; w++)
		if (!ok((unsigned char)*w))
			return 0;
	return 1;
}

static int
is_name_char(int ch)
{
	return isalnum(ch) || ch == '.' || ch == '_' || ch == '-' ||
	    ch == '/' || ch == '@' || ch == '+';
}

static int
is_mac(const char *w)
{
	size_t len = strlen(w);

	if (len == 12)
		return all_chars(w, isxdigit);
	if (len == 14 && w[4] == '.' && w[9] == '.') {
		for (size_t i = 0; i < len; i++)
			if (i != 4 && i != 9 && !isxdigit((unsigned char)w[i]))
				return 0;
		return 1;
	}
	return 0;
}

enum cli_match
cli_tok_match(const struct cli_tok *t, const char *word)
{
	struct in_addr a;

	switch (t->kind) {
	case TOK_KEYWORD:
		if (strcasecmp(t->text, word) == 0)
			return MATCH_EXACT;
		if (strncasecmp(t->text, word, strlen(word)) == 0)
			return MATCH_PARTIAL;
		return MATCH_NONE;
	case TOK_WORD:
	case TOK_LINE:
		return MATCH_ANY;
	case TOK_NAME:
		return all_chars(word, is_name_char) ? MATCH_VAR : MATCH_NONE;
	case TOK_IPV4:
		return inet_pton(AF_INET, word, &a) == 1 ? MATCH_TYPED
		                                         : MATCH_NONE;
	case TOK_MAC:
		return is_mac(word) ? MATCH_TYPED : MATCH_NONE;
	case TOK_RANGE: {
		unsigned long v;

		if (!all_chars(word, isdigit) || strlen(word) > 10)
			return MATCH_NONE;
		v = strtoul(word, NULL, 10);
		return v >= t->lo && v <= t->hi ? MATCH_TYPED : MATCH_NONE;
	}
	case TOK_DIGITS:
		return all_chars(word, isdigit) ? MATCH_VAR : MATCH_NONE;
	case TOK_HEX:
		return all_chars(word, isxdigit) ? MATCH_VAR : MATCH_NONE;
	case TOK_URL:
		return strchr(word, ':') != NULL && word[0] != ':' ? MATCH_VAR
		                                                   : MATCH_NONE;
	}
	return MATCH_NONE;
}

void
cli_tok_label(const struct cli_tok *t, char *out, size_t outlen)
{
	if (t->kind == TOK_RANGE)
		snprintf(out, outlen, "<%lu-%lu>", t->lo, t->hi);
	else
		snprintf(out, outlen, "%s", t->text);
}
