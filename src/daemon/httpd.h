/*
 * The daemon's HTTP server (`ip http server`, `ip http port`,
 * `ip http source-address`): libevent evhttp on the loop.  Services
 * register handlers for paths (SCEP at /cgi-bin/pkiclient.exe); the
 * listener follows the configuration: bound when `ip http server` is on,
 * rebound when the address or port changes.
 */
#ifndef OPENCME_DAEMON_HTTPD_H
#define OPENCME_DAEMON_HTTPD_H

struct daemon;
struct evhttp_request;
struct httpd;

typedef void httpd_handler_fn(struct evhttp_request *req, void *arg);

struct httpd *httpd_new(struct daemon *d);
void httpd_free(struct httpd *h);
/* Register a handler for an exact path (query string excluded). */
int httpd_route(
    struct httpd *h, const char *path, httpd_handler_fn *fn, void *arg);
/* Bind, rebind or close the listener as the configuration says. */
void httpd_reconcile(struct httpd *h);
/* For `show ip http server status`-style output and tests. */
int httpd_port(const struct httpd *h);

#endif
