/*
 * TFTP load generator: CONC clients each fetch FILE from HOST:PORT over
 * and over (RRQ, octet, 512-byte blocks, lock-step ACKs) for SECONDS and
 * print the completed fetches per second.  Every fetch uses a new socket
 * (a new TID, as a phone's boot does); with -r the source address rotates
 * through 127.1.0.0/16 so that each fetch looks like another phone (a
 * per-address rate limit would otherwise throttle one address).
 *
 *   tftp_load [-r] HOST PORT FILE CONC SECONDS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 1024

struct client {
	int fd;
	uint16_t expect;
	size_t bytes;
	double started;
};

static struct sockaddr_in server;
static const char *file;
static int rotate;
static uint32_t next_src;
static long done, failed;
static size_t want_len = (size_t)-1;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
start(struct client *c)
{
	uint8_t pkt[600];
	size_t n = strlen(file);
	struct sockaddr_in src;

	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		perror("socket");
		exit(1);
	}
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = rotate
	    ? htonl(0x7f010000u | (1 + next_src++ % 65000))
	    : server.sin_addr.s_addr;
	if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
		perror("bind");
		exit(1);
	}
	pkt[0] = 0;
	pkt[1] = 1;
	memcpy(pkt + 2, file, n + 1);
	memcpy(pkt + 3 + n, "octet", 6);
	sendto(
	    c->fd, pkt, n + 9, 0, (struct sockaddr *)&server, sizeof(server));
	c->expect = 1;
	c->bytes = 0;
	c->started = now_s();
}

static void
finish(struct client *c, int ok)
{
	close(c->fd);
	if (ok)
		done++;
	else
		failed++;
}

/* Read what arrived; 1 when the fetch ended. */
static int
step(struct client *c)
{
	uint8_t buf[1024];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n =
	    recvfrom(c->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	uint8_t ack[4];

	if (n < 4)
		return 0;
	if (buf[1] != 3) {
		finish(c, 0);
		return 1;
	}
	if ((uint16_t)(buf[2] << 8 | buf[3]) != c->expect)
		return 0;
	c->bytes += (size_t)n - 4;
	ack[0] = 0;
	ack[1] = 4;
	ack[2] = buf[2];
	ack[3] = buf[3];
	sendto(c->fd, ack, 4, 0, (struct sockaddr *)&from, fl);
	c->expect++;
	if (n - 4 < 512) {
		int ok = want_len == (size_t)-1 || c->bytes == want_len;

		if (want_len == (size_t)-1)
			want_len = c->bytes;
		finish(c, ok);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct client cl[MAXC];
	static struct pollfd pf[MAXC];
	int conc, a = 1;
	double secs, t0, end;

	if (argc > 1 && strcmp(argv[1], "-r") == 0) {
		rotate = 1;
		a++;
	}
	if (argc - a != 5) {
		fprintf(stderr,
		    "usage: tftp_load [-r] HOST PORT FILE CONC SECONDS\n");
		return 2;
	}
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)atoi(argv[a + 1]));
	if (inet_pton(AF_INET, argv[a], &server.sin_addr) != 1)
		return 2;
	file = argv[a + 2];
	conc = atoi(argv[a + 3]);
	secs = atof(argv[a + 4]);
	if (conc < 1 || conc > MAXC || secs <= 0 || secs > 120 ||
	    strlen(file) > 500)
		return 2;
	t0 = now_s();
	end = t0 + secs;
	for (int i = 0; i < conc; i++)
		start(&cl[i]);
	while (now_s() < end) {
		double t = now_s();

		for (int i = 0; i < conc; i++) {
			pf[i].fd = cl[i].fd;
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		if (poll(pf, (nfds_t)conc, 100) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < conc; i++) {
			if (pf[i].revents & POLLIN) {
				if (step(&cl[i]))
					start(&cl[i]);
			} else if (t - cl[i].started > 2.0) {
				finish(&cl[i], 0); /* lost: start again */
				start(&cl[i]);
			}
		}
	}
	secs = now_s() - t0;
	for (int i = 0; i < conc; i++)
		close(cl[i].fd);
	printf("%.1f fetches/s (%ld done, %ld failed, %.2f s)\n",
	    (double)done / secs, done, failed, secs);
	return failed > done / 100 ? 1 : 0;
}
