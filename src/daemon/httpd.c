#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "daemon/daemon.h"
#include "daemon/httpd.h"
#include "lib/log.h"
#include "svc/pki/pki_svc.h"

#define HTTPD_MAX_ROUTES 16
#define HTTPD_MAX_BODY (1024 * 1024)
#define HTTPD_MAX_HEADERS (16 * 1024)
/* Idle keep-alive connections close after this.  Longer than the 30 s
 * poll interval of common SCEP clients, which reuse the connection and do
 * not retry a POST that meets a closed socket. */
#define HTTPD_TIMEOUT_S 90

struct route {
	char *path;
	httpd_handler_fn *fn;
	void *arg;
};

struct httpd {
	struct daemon *d;
	struct evhttp *https; /* ip http secure-server */
	SSL_CTX *ssl_ctx;
	int https_port;
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

static void
https_close(struct httpd *h)
{
	if (h->https == NULL)
		return;
	evhttp_free(h->https);
	h->https = NULL;
	SSL_CTX_free(h->ssl_ctx);
	h->ssl_ctx = NULL;
	h->https_port = 0;
	log_info("HTTPS server stopped");
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	https_close(h);
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
	if (h->https != NULL)
		evhttp_set_cb(h->https, path, fn, arg);
	return 0;
}

int
httpd_port(const struct httpd *h)
{
	return h->http != NULL ? h->bound_port : 0;
}

/* Each HTTPS connection: a TLS bufferevent with the server context. */
static struct bufferevent *
https_bev_cb(struct event_base *base, void *arg)
{
	struct httpd *h = arg;

	return bufferevent_openssl_socket_new(base, -1, SSL_new(h->ssl_ctx),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static struct evhttp *
evhttp_setup(struct httpd *h)
{
	struct evhttp *http = evhttp_new(h->d->base);

	if (http == NULL)
		return NULL;
	evhttp_set_max_body_size(http, HTTPD_MAX_BODY);
	evhttp_set_max_headers_size(http, HTTPD_MAX_HEADERS);
	evhttp_set_timeout(http, HTTPD_TIMEOUT_S);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(http, not_found_cb, NULL);
	for (int i = 0; i < h->nroutes; i++)
		evhttp_set_cb(
		    http, h->routes[i].path, h->routes[i].fn, h->routes[i].arg);
	return http;
}

/*
 * The HTTPS listener is rebuilt on every reconcile while it is on: the
 * trustpoint's certificate may have just been enrolled or renewed.
 */
static void
https_reconcile(struct httpd *h)
{
	const struct http_conf *c = &h->d->cfg->http;
	const char *addr = c->address ? c->address : "0.0.0.0";
	const char *why = NULL;

	https_close(h);
	if (!c->secure_server)
		return;
	if (c->secure_trustpoint == NULL) {
		log_warnx("HTTPS server: no ip http secure-trustpoint");
		return;
	}
	h->ssl_ctx = pki_svc_tls_server_ctx(
	    h->d->cfg, c->secure_trustpoint, c->secure_client_auth, &why);
	if (h->ssl_ctx == NULL) {
		log_warnx("HTTPS server: trustpoint %s: %s",
		    c->secure_trustpoint, why ? why : "unusable");
		return;
	}
	h->https = evhttp_setup(h);
	if (h->https == NULL)
		goto fail;
	evhttp_set_bevcb(h->https, https_bev_cb, h);
	if (evhttp_bind_socket(h->https, addr, (ev_uint16_t)c->secure_port) !=
	    0) {
		log_warn("HTTPS server: cannot listen on %s port %u", addr,
		    c->secure_port);
		goto fail;
	}
	h->https_port = (int)c->secure_port;
	log_info("HTTPS server listening on %s port %u%s", addr, c->secure_port,
	    c->secure_client_auth ? " (client certificates)" : "");
	return;
fail:
	if (h->https != NULL)
		evhttp_free(h->https);
	h->https = NULL;
	SSL_CTX_free(h->ssl_ctx);
	h->ssl_ctx = NULL;
}

void
httpd_reconcile(struct httpd *h)
{
	const struct http_conf *c = &h->d->cfg->http;
	const char *addr = c->address ? c->address : "0.0.0.0";

	https_reconcile(h);
	if (!c->server) {
		httpd_close(h);
		return;
	}
	if (h->http != NULL && h->bound_port == (int)c->port &&
	    strcmp(h->bound_addr, addr) == 0)
		return;
	httpd_close(h);
	h->http = evhttp_setup(h);
	if (h->http == NULL) {
		log_warnx("HTTP server: evhttp_new failed");
		return;
	}
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
