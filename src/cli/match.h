/*
 * Matching typed words against a mode's command rows (internal to
 * src/cli).  At every word position only the candidates with the best
 * kind of match survive (exact keyword > keyword prefix > typed variable
 * > free word), which gives IOS's behaviour for abbreviations.
 */
#ifndef OPENCME_CLI_MATCH_H
#define OPENCME_CLI_MATCH_H

#include "cli/syntax.h"

struct cli_words {
	int n;
	char *w[CLI_MAX_WORDS];
	size_t off[CLI_MAX_WORDS]; /* column of each word in the line */
	char *copy;
	int trailing_space; /* line ends in white space */
};

/* Split on white space.  Returns -1 when the line has too many words. */
int cli_words_split(const char *line, struct cli_words *w);
void cli_words_free(struct cli_words *w);

enum cli_match_status {
	CM_OK,
	CM_INVALID, /* no row accepts word bad_word */
	CM_INCOMPLETE,
	CM_AMBIGUOUS,
};

struct cli_match_result {
	enum cli_match_status status;
	int bad_word;
	const struct cli_cmd *cmd;
	const struct cli_compiled *compiled;
	struct cli_args args;
	char line_value[CLI_LINE_MAX]; /* storage for a LINE argument */
};

/*
 * Match words[first..n-1] against the rows of mode.  is_no restricts to
 * rows with a "no" form and accepts the shortened no form.
 */
void cli_match(const struct cli_mode *mode, const struct cli_words *w,
    int first, int is_no, struct cli_match_result *r);

/* Help entries for the next word after words[first..n-1] (or for the
 * partial last word when partial is set). */
void cli_match_help(const struct cli_mode *mode, const struct cli_words *w,
    int first, int is_no, int partial, struct buf *out);

/* Keyword completions of the last (partial) word; returns the count and
 * writes the candidates one per line to list, their common prefix to
 * common. */
int cli_match_complete(const struct cli_mode *mode, const struct cli_words *w,
    int first, int is_no, struct buf *list, struct buf *common);

#endif
