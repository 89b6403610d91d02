/*
 * Framing of the control protocol between `opencme` and `opencmed` over
 * the UNIX socket STATEDIR/opencme.sock: one type byte, a 32-bit
 * big-endian length, then the payload.
 *
 * client -> daemon                      daemon -> client
 *   'I' hello: "tty" or "pipe"            'O' output text
 *   'X' run a line                        'Q' question: flag byte ('1' =
 *   'A' answer to a question                  do not echo) + prompt text
 *   'Z' no answer (end of input)          'R' result: "<rc> <prompt>" ends
 *   'H' `?` help for a partial line           a request (rc 0 ok, 1 error)
 *   'T' tab completion for a partial      'C' completion: "<n>\n<line>\n"
 *       line                                  then the candidates
 */
#ifndef OPENCME_LIB_FRAME_H
#define OPENCME_LIB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define FRAME_HDR 5
#define FRAME_MAX_REQUEST (16 * 1024) /* client -> daemon */
#define FRAME_MAX_REPLY (64 * 1024 * 1024) /* daemon -> client */

void frame_encode(struct buf *out, char type, const void *payload, size_t len);
/*
 * Parse one frame at the start of data.  Returns the bytes consumed
 * (header + payload), 0 when more bytes are needed, -1 when the length
 * exceeds max.
 */
long frame_parse(const uint8_t *data, size_t len, size_t max, char *type,
    const uint8_t **payload, size_t *plen);

/* Blocking helpers for the client: 0 on success, -1 on error/EOF. */
int frame_write_fd(int fd, char type, const void *payload, size_t len);
int frame_read_fd(int fd, size_t max, char *type, struct buf *payload);

#endif
