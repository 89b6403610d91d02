/*
 * opencme: the operator CLI.  It forwards what is typed to opencmed over
 * STATEDIR/opencme.sock; the daemon owns the commands, their help and
 * their completion.
 *
 *   opencme -d STATEDIR                 interactive (libedit), or lines
 *                                       from standard input in a script
 *   opencme -d STATEDIR -c LINE [-c LINE]...
 *
 * Questions a command asks (IOS prompts) are answered from the terminal,
 * or from standard input when it is not a terminal.  The exit status is
 * 1 when any line failed.
 */
#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/frame.h"

#define MAX_LINES 256

static int ctl_fd = -1;
static struct buf prompt = BUF_INIT;
static int interactive_tty;
static int session_ended; /* the daemon ended the session (`exit`) */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: opencme [-d STATEDIR | -s SOCKET] "
	    "[-c LINE]...\n");
	exit(2);
}

static int
connect_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "opencme: socket path too long: %s\n", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr,
		    "opencme: cannot reach opencmed at %s: %s\n"
		    "opencme: is the daemon running (opencmed -d STATEDIR)?\n",
		    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Read one answer line without echo when asked (passwords, keys). */
static char *
read_answer(FILE *in, int secret)
{
	struct termios old, quiet;
	int restore = 0;
	char line[8192];
	char *nl;

	if (secret && isatty(fileno(in)) && tcgetattr(fileno(in), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fileno(in), TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(line, sizeof(line), in) == NULL) {
		if (restore)
			tcsetattr(fileno(in), TCSAFLUSH, &old);
		return NULL;
	}
	if (restore) {
		tcsetattr(fileno(in), TCSAFLUSH, &old);
		fputc('\n', stdout);
	}
	nl = strchr(line, '\n');
	if (nl != NULL)
		*nl = '\0';
	if ((nl = strchr(line, '\r')) != NULL)
		*nl = '\0';
	return strdup(line);
}

/*
 * Send a request and print what comes back until its result.  Returns
 * the result code (0 ok, 1 failed) or -1 when the daemon went away.
 */
static int
transact(char type, const char *payload)
{
	struct buf reply = BUF_INIT;
	int rc = -1;
	char t;

	if (frame_write_fd(ctl_fd, type, payload, strlen(payload)) != 0)
		goto out;
	for (;;) {
		if (frame_read_fd(ctl_fd, FRAME_MAX_REPLY, &t, &reply) != 0)
			goto out;
		if (t == 'O') {
			fwrite(reply.data, 1, reply.len, stdout);
			fflush(stdout);
		} else if (t == 'Q') {
			int secret = reply.len > 0 && reply.data[0] == '1';
			char *ans;

			fputs(reply.len > 0 ? reply.data + 1 : "", stdout);
			fflush(stdout);
			ans = read_answer(stdin, secret);
			if (ans == NULL) {
				fputc('\n', stdout);
				if (frame_write_fd(ctl_fd, 'Z', "", 0) != 0)
					goto out;
			} else {
				if (!interactive_tty && !secret)
					printf("%s\n", ans);
				int w = frame_write_fd(
				    ctl_fd, 'A', ans, strlen(ans));

				secret_free(ans);
				if (w != 0)
					goto out;
			}
		} else if (t == 'R') {
			char *sp = strchr(reply.data, ' ');

			rc = atoi(reply.data);
			if (rc == 2) {
				session_ended = 1;
				rc = 0;
			}
			buf_reset(&prompt);
			buf_puts(&prompt, sp ? sp + 1 : "Router#");
			goto out;
		} else {
			goto out;
		}
	}
out:
	buf_wipe(&reply);
	return rc;
}

/* ---- interactive editing ---- */

static const char *
prompt_cb(EditLine *el)
{
	(void)el;
	return buf_str(&prompt);
}

static char *
line_before_cursor(EditLine *el)
{
	const LineInfo *li = el_line(el);

	return strndup(li->buffer, (size_t)(li->cursor - li->buffer));
}

static unsigned char
help_cb(EditLine *el, int ch)
{
	char *partial = line_before_cursor(el);

	(void)ch;
	fputs("?\n", stdout);
	transact('H', partial ? partial : "");
	free(partial);
	return CC_REDISPLAY;
}

static unsigned char
complete_cb(EditLine *el, int ch)
{
	char *partial = line_before_cursor(el);
	struct buf reply = BUF_INIT;
	unsigned char res = CC_ERROR;
	char t;

	(void)ch;
	if (partial == NULL)
		return CC_ERROR;
	if (frame_write_fd(ctl_fd, 'T', partial, strlen(partial)) == 0 &&
	    frame_read_fd(ctl_fd, FRAME_MAX_REPLY, &t, &reply) == 0 &&
	    t == 'C') {
		char *line = strchr(reply.data, '\n');
		char *list = line ? strchr(line + 1, '\n') : NULL;
		int n = atoi(reply.data);

		if (line != NULL && list != NULL) {
			*list++ = '\0';
			line++;
			el_deletestr(el, (int)strlen(partial));
			el_insertstr(el, line);
			if (n > 1) {
				printf("\n%s", list);
				res = CC_REDISPLAY;
			} else {
				res = n == 1 ? CC_REFRESH : CC_ERROR;
			}
		}
	}
	buf_free(&reply);
	free(partial);
	return res;
}

static int
run_interactive(void)
{
	EditLine *el = el_init("opencme", stdin, stdout, stderr);
	History *hist = history_init();
	HistEvent ev;
	int failed = 0;

	if (el == NULL || hist == NULL)
		return 1;
	history(hist, &ev, H_SETSIZE, 500);
	el_set(el, EL_PROMPT, prompt_cb);
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_HIST, history, hist);
	el_set(el, EL_ADDFN, "opencme-help", "Context help", help_cb);
	el_set(el, EL_ADDFN, "opencme-complete", "Complete", complete_cb);
	el_set(el, EL_BIND, "?", "opencme-help", NULL);
	el_set(el, EL_BIND, "^I", "opencme-complete", NULL);
	for (;;) {
		int count;
		const char *line = el_gets(el, &count);
		char *copy;
		int rc;

		if (line == NULL)
			break;
		copy = strdup(line);
		if (copy == NULL)
			break;
		copy[strcspn(copy, "\r\n")] = '\0';
		if (copy[0] != '\0')
			history(hist, &ev, H_ENTER, copy);
		rc = transact('X', copy);
		free(copy);
		if (rc < 0 || session_ended)
			break;
		failed |= rc;
	}
	history_end(hist);
	el_end(el);
	return failed;
}

/* Lines from standard input (a script); answers come from it too. */
static int
run_script(void)
{
	char *line;
	int failed = 0;

	while ((line = read_answer(stdin, 0)) != NULL) {
		int rc;

		printf("%s%s\n", buf_str(&prompt), line);
		rc = transact('X', line);
		free(line);
		if (rc < 0)
			return 1;
		failed |= rc;
		if (session_ended)
			break;
	}
	return failed;
}

int
main(int argc, char **argv)
{
	const char *statedir = getenv("OPENCME_STATEDIR");
	const char *sockpath = NULL;
	const char *lines[MAX_LINES];
	int nlines = 0, ch, failed = 0;
	struct buf path = BUF_INIT;

	while ((ch = getopt(argc, argv, "d:s:c:h")) != -1) {
		switch (ch) {
		case 'd':
			statedir = optarg;
			break;
		case 's':
			sockpath = optarg;
			break;
		case 'c':
			if (nlines == MAX_LINES) {
				fprintf(stderr, "opencme: too many -c lines\n");
				return 2;
			}
			lines[nlines++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (statedir == NULL && sockpath == NULL))
		usage();
	if (sockpath == NULL) {
		buf_printf(&path, "%s/opencme.sock", statedir);
		sockpath = buf_str(&path);
	}
	ctl_fd = connect_socket(sockpath);
	if (ctl_fd < 0)
		return 1;
	interactive_tty = nlines == 0 && isatty(STDIN_FILENO);
	if (transact('I', interactive_tty ? "tty" : "pipe") < 0) {
		fprintf(stderr, "opencme: the daemon closed the session\n");
		return 1;
	}
	if (nlines > 0) {
		for (int i = 0; i < nlines; i++) {
			int rc = transact('X', lines[i]);

			if (rc < 0) {
				fprintf(stderr,
				    "opencme: the daemon closed the session\n");
				return 1;
			}
			failed |= rc;
			if (session_ended)
				break;
		}
	} else if (interactive_tty) {
		failed = run_interactive();
	} else {
		failed = run_script();
	}
	close(ctl_fd);
	buf_free(&path);
	buf_free(&prompt);
	return failed ? 1 : 0;
}
