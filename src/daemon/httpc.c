#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/httpc.h"
#include "lib/buf.h"
#include "lib/log.h"

#define HTTPC_MAX_REPLY (1024 * 1024)

struct httpc_req {
	struct evhttp_connection *conn;
	httpc_done_fn *done;
	void *arg;
};

static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evhttp_connection_free(arg);
}

static void
request_done_cb(struct evhttp_request *req, void *arg)
{
	struct httpc_req *r = arg;
	struct evbuffer *in;
	const char *ctype = NULL;
	unsigned char *body = NULL;
	size_t len = 0;
	int status = 0;
	const char *err = NULL;

	if (req == NULL) {
		err = "no answer (connection refused, reset or timed out)";
	} else {
		status = evhttp_request_get_response_code(req);
		if (status == 0)
			err = "connection failed";
		in = evhttp_request_get_input_buffer(req);
		len = evbuffer_get_length(in);
		if (len > HTTPC_MAX_REPLY) {
			err = "answer too large";
			status = 0;
			len = 0;
		} else if (len > 0) {
			body = xmalloc(len);
			evbuffer_remove(in, body, len);
		}
		ctype = evhttp_find_header(
		    evhttp_request_get_input_headers(req), "Content-Type");
	}
	r->done(r->arg, status, ctype, body, len, err);
	free(body);
	/* The connection may not be freed from inside its own callback. */
	event_base_once(evhttp_connection_get_base(r->conn), -1, EV_TIMEOUT,
	    conn_free_cb, r->conn, NULL);
	free(r);
}

int
httpc_request(struct event_base *base, const char *url,
    const char *path_and_query, const void *body, size_t body_len,
    const char *content_type, int timeout_s, httpc_done_fn *done, void *arg)
{
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	struct evhttp_request *req;
	struct httpc_req *r;
	struct buf path = BUF_INIT, hostport = BUF_INIT;
	const char *host, *scheme, *prefix;
	int port, rc = -1;

	if (uri == NULL)
		return -1;
	scheme = evhttp_uri_get_scheme(uri);
	host = evhttp_uri_get_host(uri);
	if (scheme == NULL || strcmp(scheme, "http") != 0 || host == NULL)
		goto out;
	port = evhttp_uri_get_port(uri);
	if (port < 0)
		port = 80;
	prefix = evhttp_uri_get_path(uri);
	if (prefix != NULL && strcmp(prefix, "/") != 0)
		buf_puts(&path, prefix);
	buf_puts(&path, path_and_query);
	r = xcalloc(1, sizeof(*r));
	r->done = done;
	r->arg = arg;
	r->conn =
	    evhttp_connection_base_new(base, NULL, host, (unsigned short)port);
	if (r->conn == NULL) {
		free(r);
		goto out;
	}
	evhttp_connection_set_timeout(r->conn, timeout_s);
	req = evhttp_request_new(request_done_cb, r);
	buf_printf(&hostport, "%s:%d", host, port);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Host", buf_str(&hostport));
	if (body != NULL) {
		evbuffer_add(
		    evhttp_request_get_output_buffer(req), body, body_len);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type",
		    content_type ? content_type : "application/octet-stream");
	}
	if (evhttp_make_request(r->conn, req,
	        body != NULL ? EVHTTP_REQ_POST : EVHTTP_REQ_GET,
	        buf_str(&path)) != 0) {
		evhttp_connection_free(r->conn);
		free(r);
		goto out;
	}
	rc = 0;
out:
	buf_free(&path);
	buf_free(&hostport);
	evhttp_uri_free(uri);
	return rc;
}
