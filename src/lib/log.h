/*
 * The one logging module (OpenBSD log.c style).
 *
 * log_warn() appends strerror(errno); log_warnx() does not; log_crypto()
 * drains and appends the OpenSSL error queue.  fatal()/fatalx() are for
 * start-up and impossible states only.
 *
 * Secrets never reach a log line: callers never pass passwords, private
 * keys or SRTP keys to these functions.  As a second line of defence every
 * secret the configuration holds is registered with log_redact_add() and
 * any occurrence of it in a formatted line is replaced by "<redacted>".
 */
#ifndef OPENCME_LIB_LOG_H
#define OPENCME_LIB_LOG_H

#include <stdarg.h>

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

void log_init(const char *progname, int use_syslog, int debug_level);
void log_set_debug(int level);
int log_get_debug(void);

void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_crypto(const char *fmt, ...) LOG_PRINTF(1, 2);
void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/*
 * Redaction registry.  Secrets shorter than 4 bytes are not registered
 * (they would redact ordinary words).  Copies are cleansed on removal.
 */
void log_redact_add(const char *secret);
void log_redact_remove(const char *secret);
void log_redact_clear(void);

/* Redact registered secrets from buf in place (used by log and tests). */
void log_redact_buf(char *buf, unsigned long cap);

#endif
