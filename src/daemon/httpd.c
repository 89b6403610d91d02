#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "daemon/daemon.h"
#include "daemon/httpd.h"
#include "lib/log.h"

#define HTTPD_MAX_ROUTES 16
#define HTTPD_MAX_BODY (1024 * 1024)
#define HTTPD_MAX_HEADERS (16 * 1024)
#define HTTPD_TIMEOUT_S 30

struct route {
	char *path;
	httpd_handler_fn *fn;
	void *arg;
};

struct httpd {
	struct daemon *d;
	struct evhttp *http;
	char *bound_addr;
	int bound_port;
	struct route routes[HTTPD_MAX_ROUTES];
	int nroutes;
};

static void
not_found_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, "Not Found");
}

struct httpd *
httpd_new(struct daemon *d)
{
	struct httpd *h = xcalloc(1, sizeof(*h));

	h->d = d;
	return h;
}

static void
httpd_close(struct httpd *h)
{
	if (h->http == NULL)
		return;
	evhttp_free(h->http);
	h->http = NULL;
	free(h->bound_addr);
	h->bound_addr = NULL;
	h->bound_port = 0;
	log_info("HTTP server stopped");
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	httpd_close(h);
	for (int i = 0; i < h->nroutes; i++)
		free(h->routes[i].path);
	free(h);
}

int
httpd_route(struct httpd *h, const char *path, httpd_handler_fn *fn, void *arg)
{
	if (h->nroutes == HTTPD_MAX_ROUTES)
		return -1;
	h->routes[h->nroutes].path = xstrdup(path);
	h->routes[h->nroutes].fn = fn;
	h->routes[h->nroutes].arg = arg;
	h->nroutes++;
	if (h->http != NULL)
		evhttp_set_cb(h->http, path, fn, arg);
	return 0;
}

int
httpd_port(const struct httpd *h)
{
	return h->http != NULL ? h->bound_port : 0;
}

void
httpd_reconcile(struct httpd *h)
{
	const struct http_conf *c = &h->d->cfg->http;
	const char *addr = c->address ? c->address : "0.0.0.0";

	if (!c->server) {
		httpd_close(h);
		return;
	}
	if (h->http != NULL && h->bound_port == (int)c->port &&
	    strcmp(h->bound_addr, addr) == 0)
		return;
	httpd_close(h);
	h->http = evhttp_new(h->d->base);
	if (h->http == NULL) {
		log_warnx("HTTP server: evhttp_new failed");
		return;
	}
	evhttp_set_max_body_size(h->http, HTTPD_MAX_BODY);
	evhttp_set_max_headers_size(h->http, HTTPD_MAX_HEADERS);
	evhttp_set_timeout(h->http, HTTPD_TIMEOUT_S);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(h->http, not_found_cb, NULL);
	for (int i = 0; i < h->nroutes; i++)
		evhttp_set_cb(h->http, h->routes[i].path, h->routes[i].fn,
		    h->routes[i].arg);
	if (evhttp_bind_socket(h->http, addr, (ev_uint16_t)c->port) != 0) {
		log_warn(
		    "HTTP server: cannot listen on %s port %u", addr, c->port);
		evhttp_free(h->http);
		h->http = NULL;
		return;
	}
	h->bound_addr = xstrdup(addr);
	h->bound_port = (int)c->port;
	log_info("HTTP server listening on %s port %u", addr, c->port);
}
