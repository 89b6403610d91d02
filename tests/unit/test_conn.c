/*
 * Unit tests of src/daemon/conn.c over TCP on loopback: framing, a
 * connection ended from inside its own callback, the orderly close (FIN
 * after the last answer, the peer's late bytes read, not a reset) and its
 * bound, deadlines, and the connection limit.  TLS is exercised by the
 * SCCP and CAPF integration suites.  A toy protocol: one length byte,
 * then that many bytes; "bye" is answered "ack" and closes in order,
 * "die" ends the connection at once, anything else is echoed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "daemon/conn.h"

struct toy {
	struct conn_set set;
	struct conn_listener l;
	unsigned port;
	unsigned deadline_ms; /* armed at up when not 0 */
	int closed, last_why, refused, inputs;
};

struct toy_conn {
	struct toy *toy;
	struct conn *conn;
};

static void *
toy_accepted(struct conn *c, void *svc)
{
	struct toy_conn *t = calloc(1, sizeof(*t));

	t->toy = svc;
	t->conn = c;
	return t;
}

static void
toy_up(void *arg)
{
	struct toy_conn *t = arg;

	if (t->toy->deadline_ms)
		conn_deadline(t->conn, t->toy->deadline_ms);
}

static int
toy_frame(void *arg, const uint8_t *p, size_t len, size_t *need)
{
	(void)arg;
	if (len < 1)
		return CONN_FRAME_MORE;
	*need = 1u + p[0];
	return CONN_FRAME_OK;
}

static void
toy_input(void *arg, const uint8_t *p, size_t len)
{
	struct toy_conn *t = arg;

	t->toy->inputs++;
	if (len == 4 && memcmp(p + 1, "bye", 3) == 0) {
		conn_write(t->conn, "ack", 3);
		conn_close(t->conn);
		conn_write(t->conn, "late", 4); /* dropped: closing */
	} else if (len == 4 && memcmp(p + 1, "die", 3) == 0) {
		struct conn *c = t->conn;

		conn_abort(
		    c); /* t is freed (toy_closed), c held till we return */
		conn_abort(c); /* a second end is a no-op */
	} else
		conn_write(t->conn, p + 1, len - 1);
}

static int
toy_deadline(void *arg)
{
	(void)arg;
	return 1;
}

static void
toy_handshake(void *arg, unsigned long e)
{
	(void)arg;
	(void)e;
	fail_msg("no handshake over TCP");
}

static void
toy_handshake_timeout(void *arg)
{
	(void)arg;
	fail_msg("no handshake over TCP");
}

static void
toy_closed(void *arg, enum conn_end why)
{
	struct toy_conn *t = arg;

	t->toy->closed++;
	t->toy->last_why = (int)why;
	free(t);
}

static void
toy_refused(void *svc, enum conn_refusal why, unsigned n)
{
	struct toy *toy = svc;

	(void)n;
	assert_int_equal(why, CONN_REFUSED_FULL);
	toy->refused++;
}

static const struct conn_ops toy_ops = {
    .header_len = 1,
    .accepted = toy_accepted,
    .up = toy_up,
    .frame = toy_frame,
    .input = toy_input,
    .deadline = toy_deadline,
    .handshake_failed = toy_handshake,
    .handshake_timeout = toy_handshake_timeout,
    .closed = toy_closed,
    .refused = toy_refused,
};

static struct event_base *base;

static struct toy *
toy_new(void)
{
	struct toy *toy = calloc(1, sizeof(*toy));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	base = event_base_new();
	conn_set_init(&toy->set, base, &toy_ops, toy);
	assert_int_equal(
	    conn_listener_open(&toy->l, &toy->set, "127.0.0.1", 0, 8, 0), 0);
	assert_int_equal(getsockname(evconnlistener_get_fd(toy->l.lis),
	                     (struct sockaddr *)&sin, &sl),
	    0);
	toy->port = ntohs(sin.sin_port);
	return toy;
}

static void
toy_free(struct toy *toy)
{
	conn_listener_close(&toy->l);
	conn_set_close_all(&toy->set);
	free(toy);
	event_base_free(base);
}

/* Run the loop for about ms milliseconds. */
static void
pump(unsigned ms)
{
	struct timeval tv = {ms / 1000u, (ms % 1000u) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int
dial(const struct toy *toy)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)toy->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static void
send_all(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

/* What the server sent (pumping the loop meanwhile); *eof: it closed
 * its side with a FIN (read returns 0, not ECONNRESET). */
static size_t
drain(int fd, char *out, size_t cap, int *eof)
{
	size_t got = 0;

	*eof = 0;
	for (int i = 0; i < 50 && !*eof; i++) {
		ssize_t r;

		pump(10);
		while ((r = read(fd, out + got, cap - got)) > 0)
			got += (size_t)r;
		if (r == 0)
			*eof = 1;
		else
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	}
	return got;
}

static void
conn_frames_in_pieces_are_echoed_and_bye_closes_in_order(void **state)
{
	struct toy *toy = toy_new();
	char out[64];
	int fd, eof;
	size_t n;

	(void)state;
	fd = dial(toy);
	/* Two frames and the first byte of a third in one write. */
	send_all(fd, "\002hi\003you\003", 8);
	n = drain(fd, out, sizeof(out), &eof);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hiyou", 5);
	assert_int_equal(toy->set.n, 1);
	assert_int_equal(toy->set.counters.accepted, 1);
	/* The rest of it, bye, and bytes that cross our close. */
	send_all(fd, "abc\003bye\004more", 13);
	n = drain(fd, out, sizeof(out), &eof);
	assert_true(eof);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "abcack", 6);
	/* Half-closed: still there until the peer closes, and reading. */
	send_all(fd, "\001x", 2);
	pump(20);
	assert_int_equal(toy->closed, 0);
	assert_int_equal(toy->inputs, 4);
	close(fd);
	pump(50);
	assert_int_equal(toy->closed, 1);
	assert_int_equal(toy->last_why, CONN_END_CLOSED);
	assert_int_equal(toy->set.n, 0);
	toy_free(toy);
}

static void
conn_ended_inside_its_input_gets_nothing_more(void **state)
{
	struct toy *toy = toy_new();
	char out[16];
	int fd, eof;

	(void)state;
	fd = dial(toy);
	send_all(fd, "\003die\002hi", 7);
	assert_int_equal(drain(fd, out, sizeof(out), &eof), 0);
	assert_true(eof);
	assert_int_equal(toy->inputs, 1);
	assert_int_equal(toy->closed, 1);
	assert_int_equal(toy->last_why, CONN_END_LOCAL);
	assert_int_equal(toy->set.n, 0);
	close(fd);
	toy_free(toy);
}

static void
conn_close_is_bounded_when_the_peer_stays(void **state)
{
	struct toy *toy = toy_new();
	char out[16];
	int fd, eof;

	(void)state;
	toy->set.close_ms = 100;
	fd = dial(toy);
	send_all(fd, "\003bye", 4);
	assert_int_equal(drain(fd, out, sizeof(out), &eof), 3);
	assert_true(eof);
	pump(400);
	assert_int_equal(toy->closed, 1);
	assert_int_equal(toy->last_why, CONN_END_CLOSED);
	assert_int_equal(toy->set.counters.timeouts, 0);
	close(fd);
	toy_free(toy);
}

static void
conn_deadline_counts_a_timeout_and_ends(void **state)
{
	struct toy *toy = toy_new();
	int fd;

	(void)state;
	toy->deadline_ms = 50;
	fd = dial(toy);
	pump(400);
	assert_int_equal(toy->closed, 1);
	assert_int_equal(toy->last_why, CONN_END_TIMEOUT);
	assert_int_equal(toy->set.counters.timeouts, 1);
	close(fd);
	toy_free(toy);
}

static void
conn_limit_refuses_or_pauses(void **state)
{
	struct toy *toy = toy_new();
	struct conn *c;
	int a, b;

	(void)state;
	toy->set.max = 1;
	a = dial(toy);
	b = dial(toy);
	pump(50);
	assert_int_equal(toy->set.n, 1);
	assert_int_equal(toy->refused, 1);
	close(b);
	/* Paused instead: the next one waits in the backlog until the
	 * slot is free. */
	toy->set.pause_when_full = 1;
	conn_abort(conn_set_first(&toy->set));
	assert_int_equal(toy->set.n, 0);
	close(a);
	a = dial(toy);
	pump(50);
	assert_int_equal(toy->set.n, 1);
	b = dial(toy);
	pump(50);
	assert_int_equal(toy->set.n, 1);
	assert_int_equal(toy->refused, 1);
	c = conn_set_first(&toy->set);
	conn_abort(c);
	pump(50);
	assert_int_equal(toy->set.n, 1);
	assert_int_equal(toy->set.counters.accepted, 3);
	close(a);
	close(b);
	toy_free(toy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        conn_frames_in_pieces_are_echoed_and_bye_closes_in_order),
	    cmocka_unit_test(conn_ended_inside_its_input_gets_nothing_more),
	    cmocka_unit_test(conn_close_is_bounded_when_the_peer_stays),
	    cmocka_unit_test(conn_deadline_counts_a_timeout_and_ends),
	    cmocka_unit_test(conn_limit_refuses_or_pauses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
