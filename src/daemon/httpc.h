/*
 * A small asynchronous HTTP client on the daemon's loop (libevent
 * evhttp), for SCEP requests to another CA: `crypto pki authenticate`,
 * `crypto pki enroll`, RA forwarding.  One request per call; the callback
 * runs exactly once, on the loop.
 */
#ifndef OPENCME_DAEMON_HTTPC_H
#define OPENCME_DAEMON_HTTPC_H

#include <stddef.h>

struct event_base;

/* status 0 on a transport error (err says which), else the HTTP status. */
typedef void httpc_done_fn(void *arg, int status, const char *content_type,
    const unsigned char *body, size_t len, const char *err);

/*
 * GET (body NULL) or POST url + path_and_query.  url is the enrollment
 * URL as configured ("http://host[:port][/prefix]"); the path is
 * appended to its own.  Returns -1 (and does not call done) when the URL
 * is unusable.
 */
int httpc_request(struct event_base *base, const char *url,
    const char *path_and_query, const void *body, size_t body_len,
    const char *content_type, int timeout_s, httpc_done_fn *done, void *arg);

#endif
