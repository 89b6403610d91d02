/*
 * UDP sockets of the media plane (relay legs, conference mixer members,
 * the music-on-hold source): non-blocking, close-on-exec, bound on the
 * CME's address in the `rtp-port range` of voice service voip.
 */
#ifndef OPENCME_MEDIA_UDP_H
#define OPENCME_MEDIA_UDP_H

#include <stdint.h>
#include <netinet/in.h>

/* A socket bound to addr:port; bufsize > 0 also sets its receive and
 * send buffer sizes.  -1 with errno set (EADDRINUSE: port taken). */
int media_udp_bind(struct in_addr addr, uint16_t port, int bufsize);

/* A socket on the first free even port of [lo, hi], trying every even
 * port once, round robin from *next (advanced past the port tried; a
 * *next outside the range starts at lo).  Its port in *port; -1 when
 * none is free or a socket cannot be made. */
int media_udp_bind_even(struct in_addr addr, uint16_t lo, uint16_t hi,
    uint16_t *next, uint16_t *port);

#endif
