#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "lib/log.h"

#define LOG_LINE_MAX 2048
#define REDACT_MAX 1024
#define REDACT_MARK "<redacted>"

static const char *log_progname = "opencme";
static int log_syslog;
static int log_debug_level;

static char *redact_list[REDACT_MAX];
static unsigned redact_count;

void
log_init(const char *progname, int use_syslog, int debug_level)
{
	log_progname = progname;
	log_syslog = use_syslog;
	log_debug_level = debug_level;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_debug(int level)
{
	log_debug_level = level;
}

int
log_get_debug(void)
{
	return log_debug_level;
}

void
log_redact_add(const char *secret)
{
	if (secret == NULL || strlen(secret) < 4)
		return;
	for (unsigned i = 0; i < redact_count; i++)
		if (strcmp(redact_list[i], secret) == 0)
			return;
	if (redact_count == REDACT_MAX)
		return;
	redact_list[redact_count] = strdup(secret);
	if (redact_list[redact_count] != NULL)
		redact_count++;
}

static void
redact_drop(unsigned i)
{
	OPENSSL_cleanse(redact_list[i], strlen(redact_list[i]));
	free(redact_list[i]);
	redact_list[i] = redact_list[--redact_count];
}

void
log_redact_remove(const char *secret)
{
	if (secret == NULL)
		return;
	for (unsigned i = 0; i < redact_count; i++)
		if (strcmp(redact_list[i], secret) == 0) {
			redact_drop(i);
			return;
		}
}

void
log_redact_clear(void)
{
	while (redact_count > 0)
		redact_drop(redact_count - 1);
}

void
log_redact_buf(char *buf, unsigned long cap)
{
	size_t marklen = strlen(REDACT_MARK);

	for (unsigned i = 0; i < redact_count; i++) {
		const char *s = redact_list[i];
		size_t slen = strlen(s);
		char *p = buf;

		while ((p = strstr(p, s)) != NULL) {
			size_t tail = strlen(p + slen);

			if ((size_t)(p - buf) + marklen + tail + 1 > cap) {
				/* No room for the marker: blank it out. */
				memset(p, '*', slen);
				p += slen;
				continue;
			}
			memmove(p + marklen, p + slen, tail + 1);
			memcpy(p, REDACT_MARK, marklen);
			p += marklen;
		}
	}
}

static void
log_emit(int pri, const char *prefix, const char *fmt, va_list ap,
    const char *suffix)
{
	char line[LOG_LINE_MAX];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (suffix != NULL && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", suffix);
	/* Control characters from peers never reach the terminal or syslog. */
	for (char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	log_redact_buf(line, sizeof(line));
	if (log_syslog) {
		syslog(pri, "%s%s", prefix, line);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32] = "";

		clock_gettime(CLOCK_REALTIME, &ts);
		if (localtime_r(&ts.tv_sec, &tm) != NULL)
			strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s%s\n", when,
		    ts.tv_nsec / 1000000, log_progname, prefix, line);
		fflush(stderr);
	}
	OPENSSL_cleanse(line, sizeof(line));
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, "", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, "", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, "", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_debug_level <= 0)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, "debug: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_crypto(const char *fmt, ...)
{
	char errs[512] = "";
	size_t used = 0;
	unsigned long e;
	va_list ap;

	while ((e = ERR_get_error()) != 0) {
		char one[256];

		ERR_error_string_n(e, one, sizeof(one));
		if (used + strlen(one) + 3 < sizeof(errs))
			used += (size_t)snprintf(errs + used,
			    sizeof(errs) - used, "%s%s", used ? "; " : "", one);
	}
	va_start(ap, fmt);
	log_emit(LOG_WARNING, "", fmt, ap,
	    errs[0] ? errs : "no OpenSSL error queued");
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
