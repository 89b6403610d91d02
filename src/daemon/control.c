/*
 * Control socket: each connection is one CLI session (exec mode,
 * privileged).  The daemon owns the command tables; the `opencme` shell
 * only forwards lines, answers, `?` and tab requests (see lib/frame.h).
 *
 * Command lines are never logged: they may carry passwords and keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon/control.h"
#include "daemon/daemon.h"
#include "lib/frame.h"
#include "lib/log.h"

#define CTL_MAX_SESSIONS 64
#define CTL_IDLE_TIMEOUT_S (4 * 3600)

struct control_conn {
	struct control *srv;
	struct bufferevent *bev;
	struct cli_session *sess;
	unsigned id;
	int closing;
	LIST_ENTRY(control_conn) entry;
};

struct control {
	struct daemon *d;
	struct evconnlistener *listener;
	char *path;
	unsigned next_id;
	unsigned nconns;
	unsigned long malformed;
	LIST_HEAD(, control_conn) conns;
};

static void
conn_free(struct control_conn *c)
{
	LIST_REMOVE(c, entry);
	c->srv->nconns--;
	cli_session_free(c->sess);
	bufferevent_free(c->bev);
	free(c);
}

static void
send_frame(struct control_conn *c, char type, const void *data, size_t len)
{
	struct buf b = BUF_INIT;

	frame_encode(&b, type, data, len);
	bufferevent_write(c->bev, b.data, b.len);
	buf_wipe(&b);
}

/* Output, then the question or the result that ends the request. */
static void
send_outcome(struct control_conn *c, int rc)
{
	struct buf *out = cli_session_output(c->sess);
	const char *q;
	int secret = 0;

	if (out->len > 0) {
		send_frame(c, 'O', out->data, out->len);
		buf_wipe(out);
	}
	q = cli_session_question(c->sess, &secret);
	if (rc == CLI_PENDING && q == NULL && cli_session_busy(c->sess))
		return; /* the outcome comes when the operation resumes */
	if (rc == CLI_PENDING && q != NULL) {
		struct buf b = BUF_INIT;

		buf_putc(&b, secret ? '1' : '0');
		buf_puts(&b, q);
		send_frame(c, 'Q', b.data, b.len);
		buf_free(&b);
		return;
	}
	{
		struct buf b = BUF_INIT;

		/* 2: the session ends (`exit` in exec mode). */
		buf_printf(&b, "%d ",
		    cli_session_quit_requested(c->sess) ? 2
		        : rc == CLI_OK                  ? 0
		                                        : 1);
		cli_session_prompt(c->sess, &b);
		send_frame(c, 'R', b.data, b.len);
		buf_free(&b);
	}
	if (cli_session_quit_requested(c->sess))
		c->closing = 1;
}

/* A deferred command finished (or asked, or deferred again). */
static void
conn_notify_cb(struct cli_session *s, int rc, void *arg)
{
	struct control_conn *c = arg;

	(void)s;
	send_outcome(c, rc);
}

static void
handle_frame(struct control_conn *c, char type, const char *payload)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	int rc, n;

	switch (type) {
	case 'I':
		cli_session_set_interactive(c->sess, 1);
		if (strcmp(payload, "tty") != 0)
			cli_session_set_tty(c->sess, 0);
		send_outcome(c, CLI_OK);
		break;
	case 'X':
		rc = cli_session_exec(c->sess, payload);
		send_outcome(c, rc);
		break;
	case 'A':
	case 'Z':
		if (cli_session_question(c->sess, NULL) == NULL) {
			send_outcome(c, CLI_ERR);
			break;
		}
		rc = cli_session_answer(c->sess, type == 'A' ? payload : NULL);
		send_outcome(c, rc);
		break;
	case 'H':
		cli_session_help(c->sess, payload, &a);
		send_frame(c, 'O', a.data ? a.data : "", a.len);
		send_outcome(c, CLI_OK);
		break;
	case 'T':
		n = cli_session_complete(c->sess, payload, &a, &b);
		{
			struct buf r = BUF_INIT;

			buf_printf(
			    &r, "%d\n%s\n%s", n, buf_str(&a), buf_str(&b));
			send_frame(c, 'C', r.data, r.len);
			buf_free(&r);
		}
		break;
	default:
		c->srv->malformed++;
		log_warnx("control session %u: unknown request type 0x%02x; "
		          "closing it",
		    c->id, (unsigned char)type);
		c->closing = 1;
		break;
	}
	buf_wipe(&a);
	buf_free(&b);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!c->closing) {
		size_t avail = evbuffer_get_length(in);
		const uint8_t *data;
		const uint8_t *payload;
		size_t plen;
		char type;
		long used;
		char *copy;

		if (avail < FRAME_HDR)
			break;
		/* At most one whole request needs to be contiguous. */
		if (avail > FRAME_HDR + FRAME_MAX_REQUEST)
			avail = FRAME_HDR + FRAME_MAX_REQUEST;
		data = evbuffer_pullup(in, (ev_ssize_t)avail);
		used = frame_parse(
		    data, avail, FRAME_MAX_REQUEST, &type, &payload, &plen);
		if (used == 0)
			break;
		if (used < 0) {
			c->srv->malformed++;
			log_warnx("control session %u: oversized request; "
			          "closing it",
			    c->id);
			c->closing = 1;
			break;
		}
		copy = xmalloc(plen + 1);
		memcpy(copy, payload, plen);
		copy[plen] = '\0';
		evbuffer_drain(in, (size_t)used);
		if (strlen(copy) != plen) {
			c->srv->malformed++;
			log_warnx("control session %u: NUL byte in request; "
			          "closing it",
			    c->id);
			c->closing = 1;
		} else {
			handle_frame(c, type, copy);
		}
		secret_free(copy);
	}
	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn *c = arg;

	(void)bev;
	if (c->closing)
		conn_free(c);
}

static void
conn_event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct control_conn *c = arg;

	(void)bev;
	if (events & BEV_EVENT_TIMEOUT)
		log_info("control session %u: idle, closed", c->id);
	else if (events & BEV_EVENT_ERROR)
		log_warn("control session %u", c->id);
	conn_free(c);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct control *srv = arg;
	struct control_conn *c;
	struct timeval idle = {CTL_IDLE_TIMEOUT_S, 0};

	(void)l;
	(void)sa;
	(void)salen;
	if (srv->nconns >= CTL_MAX_SESSIONS) {
		log_warnx("control socket: too many sessions, refusing one");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->id = ++srv->next_id;
	c->bev =
	    bufferevent_socket_new(srv->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	c->sess = config_session_new(srv->d->cfg);
	cli_session_set_notify(c->sess, conn_notify_cb, c);
	LIST_INSERT_HEAD(&srv->conns, c, entry);
	srv->nconns++;
	bufferevent_setcb(
	    c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("control session %u opened", c->id);
}

int
control_socket_alive(const char *path)
{
	struct sockaddr_un sun;
	int fd, alive;

	if (strlen(path) >= sizeof(sun.sun_path))
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	alive = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return alive;
}

struct control *
control_new(struct daemon *d, const char *path)
{
	struct control *srv;
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return NULL;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	/* A live daemon answers; a stale socket file is removed. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		log_warnx("another opencmed is running on %s", path);
		return NULL;
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	srv = xcalloc(1, sizeof(*srv));
	srv->d = d;
	srv->path = xstrdup(path);
	LIST_INIT(&srv->conns);
	old = umask(0077);
	srv->listener = evconnlistener_new_bind(d->base, accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (srv->listener == NULL) {
		log_warn("control socket %s", path);
		free(srv->path);
		free(srv);
		return NULL;
	}
	chmod(path, 0600);
	return srv;
}

void
control_free(struct control *srv)
{
	struct control_conn *c;

	if (srv == NULL)
		return;
	while ((c = LIST_FIRST(&srv->conns)) != NULL)
		conn_free(c);
	evconnlistener_free(srv->listener);
	unlink(srv->path);
	free(srv->path);
	free(srv);
}

void
control_object_deleted(struct control *srv, void *obj)
{
	struct control_conn *c;

	if (srv == NULL)
		return;
	LIST_FOREACH (c, &srv->conns, entry)
		cli_session_forget(c->sess, obj);
}

void
control_config_swapped(struct control *srv)
{
	struct control_conn *c;

	if (srv == NULL)
		return;
	LIST_FOREACH (c, &srv->conns, entry) {
		cli_session_set_cfg(c->sess, srv->d->cfg);
		buf_puts(cli_session_output(c->sess),
		    "% The configuration was reloaded; back to exec mode\n");
	}
}
