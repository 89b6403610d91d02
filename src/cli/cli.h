/*
 * The IOS-style command engine.
 *
 * Every command is declared once, as a row of a table (struct cli_cmd):
 * its syntax, one help string per syntax token, its handler and its
 * running-config writer.  The same row drives parsing, `?` help, tab
 * completion, the `no` form and `show running-config`.  Modes are rows
 * too (struct cli_mode): prompt, parent, the tables of commands valid in
 * them.
 *
 * Syntax grammar (FRR-like):
 *   keyword            literal word, matched by unique prefix
 *   WORD               any single word
 *   LINE               the rest of the line (one or more words)
 *   NAME               an identifier: letters, digits, '.', '_', '-'
 *   A.B.C.D            an IPv4 address
 *   H.H.H              a MAC address (0011.2233.4455 or 001122334455)
 *   (lo-hi)            an unsigned integer in [lo, hi]
 *   DIGITS             a string of decimal digits
 *   HEX                a string of hexadecimal digits
 *   URL                an IOS file URL or http URL (flash:x, http://h/p)
 *   [a b]              optional sequence
 *   <a|b c|d>          alternation (also allowed inside [...]: [a|b])
 *   tok$name           bind the matched word to an argument name
 * Every keyword is also bound under its own text (cli_has(args, "sign"));
 * an explicit $name wins over a keyword of the same text.
 *
 * The engine knows no service: handlers reach the configuration through
 * ctx->cfg, an opaque pointer for this layer.
 */
#ifndef OPENCME_CLI_CLI_H
#define OPENCME_CLI_CLI_H

#include <stddef.h>

#include "lib/buf.h"

struct config;
struct cli_mode;
struct cli_session;
struct cli_ctx;

#define CLI_MAX_ARGS 24
#define CLI_MAX_WORDS 64
#define CLI_LINE_MAX 4096

/* Handler results. */
enum cli_result {
	CLI_OK = 0,
	CLI_ERR = -1, /* the handler wrote a "% ..." message */
	CLI_PENDING = 1, /* the handler asked a question (cli_ask) */
};

/* Row flags. */
enum {
	CLI_NO = 1 << 0, /* accepts the "no" form */
	CLI_HIDDEN = 1 << 1, /* not offered by help or completion */
	CLI_DEPRECATED = 1 << 2, /* refused: deprecated for security */
	CLI_ACTION = 1 << 3, /* an action, never written to config */
	CLI_SECRET = 1 << 4, /* the line carries a secret: never echo */
	CLI_NO_ONLY = 1 << 5, /* only the "no" form exists */
};

struct cli_arg {
	const char *name;
	const char *value;
	int is_keyword; /* a keyword bound under its own text */
};

struct cli_args {
	int count;
	struct cli_arg arg[CLI_MAX_ARGS];
};

const char *cli_arg(const struct cli_args *args, const char *name);
int cli_has(const struct cli_args *args, const char *name);
unsigned long cli_arg_ulong(
    const struct cli_args *args, const char *name, unsigned long def);

/* Running-config writer context. */
struct cli_writer {
	struct config *cfg;
	void *obj; /* the mode instance being written */
	struct buf *out;
	int indent; /* spaces before each line */
	int all; /* `show running-config all`: print defaults too */
	int for_save; /* writing the startup-config file */
};

void cli_wline(struct cli_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

typedef int cli_handler_fn(struct cli_ctx *ctx, const struct cli_args *args);
typedef void cli_write_fn(struct cli_writer *w);

/* Setting kinds for rows whose handler and writer the engine derives. */
enum cli_setting_kind {
	CLI_SET_NONE = 0,
	CLI_SET_BOOL, /* "name"; no -> false */
	CLI_SET_NBOOL, /* default true; written as "no name" when false */
	CLI_SET_UINT, /* "name (lo-hi)$value" into an unsigned int */
	CLI_SET_ENUM, /* "name <a|b|c>$value" into an int (index) */
	CLI_SET_STR, /* "name NAME$value" into a char * (owned) */
};

struct cli_cmd {
	const char *syntax;
	const char *const *help; /* one per token, NULL-terminated */
	cli_handler_fn *handler;
	cli_write_fn *write; /* may be NULL: prints nothing */
	unsigned flags;
	/* Derived settings (handler/write NULL, kind != CLI_SET_NONE). */
	enum cli_setting_kind kind;
	const char *name; /* printed prefix, e.g. "keygen-retry" */
	size_t off; /* offset into the mode instance */
	long def; /* default (uint/enum index/bool) */
	const char *const *words; /* enum words, NULL-terminated */
	/* Words that suffice for the no form; 0 = the leading keywords. */
	int no_words;
	/* Deprecated rows: the message shown. */
	const char *why;
};

struct cli_table {
	const struct cli_cmd *cmds;
	size_t count;
	void *compiled; /* filled by cli_init() */
};

#define CLI_TABLE(arr)                                                         \
	{                                                                      \
		(arr), sizeof(arr) / sizeof((arr)[0]), NULL                    \
	}
#define HELP(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Derived-setting row constructors. */
#define CLI_BOOL(NAME, H, TYPE, FIELD)                                         \
	{                                                                      \
		.syntax = NAME, .help = H, .flags = CLI_NO,                    \
		.kind = CLI_SET_BOOL, .name = NAME,                            \
		.off = offsetof(TYPE, FIELD)                                   \
	}
#define CLI_NBOOL(NAME, H, TYPE, FIELD)                                        \
	{                                                                      \
		.syntax = NAME, .help = H, .flags = CLI_NO,                    \
		.kind = CLI_SET_NBOOL, .name = NAME,                           \
		.off = offsetof(TYPE, FIELD), .def = 1                         \
	}
#define CLI_UINT(NAME, RANGE, H, TYPE, FIELD, DEF)                             \
	{                                                                      \
		.syntax = NAME " " RANGE "$value", .help = H, .flags = CLI_NO, \
		.kind = CLI_SET_UINT, .name = NAME,                            \
		.off = offsetof(TYPE, FIELD), .def = (DEF)                     \
	}
#define CLI_ENUM(NAME, ALT, WORDS, H, TYPE, FIELD, DEF)                        \
	{                                                                      \
		.syntax = NAME " <" ALT ">$value", .help = H, .flags = CLI_NO, \
		.kind = CLI_SET_ENUM, .name = NAME,                            \
		.off = offsetof(TYPE, FIELD), .def = (DEF), .words = WORDS     \
	}
#define CLI_STR(NAME, TOK, H, TYPE, FIELD)                                     \
	{                                                                      \
		.syntax = NAME " " TOK "$value", .help = H, .flags = CLI_NO,   \
		.kind = CLI_SET_STR, .name = NAME,                             \
		.off = offsetof(TYPE, FIELD)                                   \
	}

struct cli_mode {
	const char *name; /* "telephony-service" */
	const char *prompt; /* "config-telephony"; NULL for exec */
	const struct cli_mode *parent;
	struct cli_table *const *tables; /* NULL-terminated */
	/* Raw-line modes (certificate hex blocks): lines go here, not to
	 * the matcher.  Returns CLI_OK, CLI_ERR, or 1 when the block ends. */
	int (*raw_line)(struct cli_ctx *ctx, const char *line);
	/* Called when the mode is left (exit, end, pop, end of file). */
	void (*leave)(struct cli_ctx *ctx);
	/* First words of IOS commands valid here but outside our scope:
	 * accepted and reported as ignored. */
	const char *const *ignored;
	int is_config; /* a configuration mode ("no" and "do" apply) */
};

/* What a handler sees. */
struct cli_ctx {
	struct cli_session *sess;
	struct config *cfg;
	void *obj; /* the current mode instance */
	struct buf *out; /* text for the user */
	int is_no;
	int is_loading; /* replaying a startup-config */
	const char *src; /* file being loaded, or NULL */
	int line_no;
	const struct cli_cmd *cmd; /* the row being run */
	/* To enter a sub-mode, a handler sets these. */
	const struct cli_mode *next_mode;
	void *next_obj;
};

/* Print an error/info line to the user: "% ..." style, adds '\n'. */
void cli_out(struct cli_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Ask the user a question (IOS prompts such as "Confirm key:").  The
 * handler returns CLI_PENDING right after; cb runs when the answer
 * arrives, with answer NULL when no input is available (startup-config,
 * end of input).  cb returns a cli_result and may ask again.
 */
typedef int cli_answer_fn(struct cli_ctx *ctx, const char *answer, void *arg);
int cli_ask(struct cli_ctx *ctx, const char *prompt, int secret,
    cli_answer_fn *cb, void *arg);

/*
 * Commands that wait for I/O (a request to a CA over HTTP): the handler
 * calls cli_defer() and returns CLI_PENDING; the session is busy until the
 * operation calls cli_resume(), which runs fn with the command's context
 * (fn may print, ask a question, defer again or finish).  If the session
 * goes away first, fn runs with ctx NULL so that it can free arg.  Not
 * available while a file is loaded (returns NULL).
 */
struct cli_deferred;
typedef int cli_resume_fn(struct cli_ctx *ctx, void *arg);
struct cli_deferred *cli_defer(struct cli_ctx *ctx);
void cli_resume(struct cli_deferred *d, cli_resume_fn *fn, void *arg);
/* Who to tell when a deferred command produced its outcome. */
typedef void cli_notify_fn(struct cli_session *s, int rc, void *arg);
void cli_session_set_notify(
    struct cli_session *s, cli_notify_fn *fn, void *arg);
int cli_session_busy(const struct cli_session *s);

/* Mode changes from handlers (exit-like behaviour). */
void cli_pop_mode(struct cli_ctx *ctx);

/* ---- sessions ---- */

struct cli_env {
	struct config *cfg;
	const char *(*hostname)(struct config *cfg);
	const struct cli_mode *exec_mode;
	const struct cli_mode *config_mode;
};

struct cli_session *cli_session_new(const struct cli_env *env);
void cli_session_free(struct cli_session *s);
void cli_session_set_cfg(struct cli_session *s, struct config *cfg);

/*
 * Run one line as typed.  Output accumulates in the session's output
 * buffer (cli_session_output).  Returns CLI_OK, CLI_ERR or CLI_PENDING
 * (a question is waiting: cli_session_question()).
 */
int cli_session_exec(struct cli_session *s, const char *line);
/* Answer the pending question (answer NULL = no input). */
int cli_session_answer(struct cli_session *s, const char *answer);
/* The pending question, or NULL; *secret set when input must not echo. */
const char *cli_session_question(const struct cli_session *s, int *secret);
struct buf *cli_session_output(struct cli_session *s);
/* "Router(config-ephone)#" */
void cli_session_prompt(const struct cli_session *s, struct buf *out);
/* `?` help for the partial line (the '?' itself not included). */
void cli_session_help(
    struct cli_session *s, const char *partial, struct buf *out);
/* Tab completion: appends the completed line to out; returns the number
 * of candidates (0: none, 1: completed, >1: list printed to list). */
int cli_session_complete(struct cli_session *s, const char *partial,
    struct buf *line_out, struct buf *list_out);
/* obj is being freed: leave every mode frame editing it (no leave
 * hooks run for those frames). */
void cli_session_forget(struct cli_session *s, const void *obj);
/* Leave every mode (calls the modes' leave hooks). */
void cli_session_reset(struct cli_session *s);
int cli_session_in_config(const struct cli_session *s);
/* Interactive sessions can answer questions (cli_ask); others get NULL. */
void cli_session_set_interactive(struct cli_session *s, int on);
/* A person at a terminal (default): errors point with a caret. */
void cli_session_set_tty(struct cli_session *s, int on);
/* `exit` typed in exec mode. */
int cli_session_quit_requested(const struct cli_session *s);

/* Built-in rows: exec (configure terminal, enable, exit) and every
 * configuration mode (exit, end, no, do). */
extern struct cli_table cli_builtin_exec;
extern struct cli_table cli_builtin_config;

/*
 * Load a configuration file through the same parser (startup-config,
 * `-n`): lines run in config mode, indentation is ignored and a line
 * invalid in a sub-mode is retried in the parent modes, as IOS does.
 * Problems go to err as "FILE:LINE: message".  Returns the number of
 * errors (commands in scope that failed).
 */
int cli_load_text(struct cli_session *s, const char *src_name, const char *text,
    size_t len, struct buf *err);

/* ---- tables ---- */

/* Compile and check every mode's tables: help for every token, syntax
 * well-formed.  Writes problems to err; returns the number found. */
int cli_init(const struct cli_mode *const *modes, struct buf *err);

/* Write every row of a mode instance (in table order), indented. */
void cli_write_mode(
    struct cli_writer *w, const struct cli_mode *mode, void *obj);

/* For tests and docs: iterate the rows of a mode. */
typedef void cli_row_fn(
    const struct cli_mode *mode, const struct cli_cmd *cmd, void *arg);
void cli_foreach_row(const struct cli_mode *mode, cli_row_fn *fn, void *arg);

/*
 * Example lines for a row, made from its syntax: the shortest and the
 * longest forms, variables replaced by sample(bind name, placeholder)
 * (NULL: a generic value).  One line each, appended to out.
 */
typedef const char *cli_sample_fn(const char *bind, const char *placeholder);
void cli_row_examples(const struct cli_mode *mode, const struct cli_cmd *cmd,
    cli_sample_fn *sample, struct buf *out);
/* The row a line would run in mode, or NULL. */
const struct cli_cmd *cli_row_for_line(
    const struct cli_mode *mode, const char *line);

/* Token count of a syntax string (for the help check); -1 if malformed. */
int cli_syntax_token_count(const char *syntax);

#endif
