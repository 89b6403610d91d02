/*
 * A growing text/byte buffer.  Always NUL-terminated after any append so
 * the contents can be used as a C string.  Allocation failure aborts: the
 * daemon cannot do anything useful once malloc fails for small text.
 */
#ifndef OPENCME_LIB_BUF_H
#define OPENCME_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* The contents as a string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);
/* Make room for extra more bytes (plus the terminating NUL). */
void buf_grow(struct buf *b, size_t extra);
void buf_reset(struct buf *b);
/* Wipe (OPENSSL_cleanse) and release: for buffers that held secrets. */
void buf_wipe(struct buf *b);
void buf_free(struct buf *b);
/* Hand the contents to the caller (malloc'ed, never NULL). */
char *buf_steal(struct buf *b);

/* Small allocation helpers that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
/* Overwrite and free a secret string; NULL is a no-op. */
void secret_free(char *s);

#endif
