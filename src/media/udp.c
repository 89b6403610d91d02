#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/udp.h"

int
media_udp_bind(struct in_addr addr, uint16_t port, int bufsize)
{
	struct sockaddr_in sin;
	int fd, e;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bufsize > 0) {
		(void)setsockopt(
		    fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
		(void)setsockopt(
		    fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = addr;
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
media_udp_bind_even(struct in_addr addr, uint16_t lo, uint16_t hi,
    uint16_t *next, uint16_t *port)
{
	unsigned first = (lo + 1u) & ~1u, tries;

	if (first > hi)
		return -1;
	tries = (hi - first) / 2 + 1;
	for (unsigned t = 0; t < tries; t++) {
		unsigned p = *next;
		int fd;

		if (p < first || p > hi || (p & 1u))
			p = first;
		*next = (uint16_t)(p + 2 > hi ? first : p + 2);
		fd = media_udp_bind(addr, (uint16_t)p, 0);
		if (fd >= 0) {
			*port = (uint16_t)p;
			return fd;
		}
		if (errno != EADDRINUSE && errno != EACCES)
			return -1;
	}
	return -1;
}
