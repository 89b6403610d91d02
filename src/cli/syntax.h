/*
 * Compiled command syntax (internal to src/cli).  A syntax string is
 * parsed once into its tokens and expanded into every linear path through
 * its optional and alternative parts; the matcher walks those paths.
 */
#ifndef OPENCME_CLI_SYNTAX_H
#define OPENCME_CLI_SYNTAX_H

#include "cli/cli.h"

#define CLI_MAX_PATH 32 /* tokens on one path */
#define CLI_MAX_PATHS 256 /* paths per command */

enum cli_tok_kind {
	TOK_KEYWORD,
	TOK_WORD,
	TOK_LINE,
	TOK_NAME,
	TOK_IPV4,
	TOK_MAC,
	TOK_RANGE,
	TOK_DIGITS,
	TOK_HEX,
	TOK_URL,
};

/* How well a word matches a token; higher wins. */
enum cli_match {
	MATCH_NONE = 0,
	MATCH_ANY = 1, /* WORD, LINE */
	MATCH_VAR = 2, /* NAME, DIGITS, HEX, URL */
	MATCH_TYPED = 3, /* IPV4, MAC, RANGE */
	MATCH_PARTIAL = 4, /* keyword by unique prefix */
	MATCH_EXACT = 5, /* keyword, whole word */
};

struct cli_tok {
	enum cli_tok_kind kind;
	char *text; /* keyword, or placeholder as written */
	char *bind; /* argument name, or NULL */
	unsigned long lo, hi;
	const char *help;
};

struct cli_path {
	int len;
	int tok[CLI_MAX_PATH];
};

struct cli_compiled {
	int ntoks;
	struct cli_tok *toks;
	int npaths;
	struct cli_path *paths;
	int lead_keywords; /* keywords before anything optional/variable */
};

/* Compile; on error returns NULL and writes a reason to err. */
struct cli_compiled *cli_syntax_compile(
    const char *syntax, const char *const *help, struct buf *err);
void cli_syntax_free(struct cli_compiled *c);

enum cli_match cli_tok_match(const struct cli_tok *t, const char *word);
/* How the token is shown in help: keyword, "<1-65535>", "A.B.C.D"... */
void cli_tok_label(const struct cli_tok *t, char *out, size_t outlen);

#endif
