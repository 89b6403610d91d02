/*
 * Secure SCCP load generator: N phones register with opencmed over TLS
 * (mutual: each phone presents its own certificate, CN=SEP<MAC>, issued
 * here by a test "MIC" CA that the daemon trusts), then stay registered
 * with keepalives.  One event loop (libevent + bufferevent_openssl), so
 * 10,000 phones are 10,000 sockets, not threads.
 *
 *   sccp_load --port P --mic-cert CA.pem --mic-key CA.key --key PHONE.key
 *             --mac FIRST --count N [--host 127.0.0.1] [--inflight 64]
 *             [--hold S] [--keepalive S] [--source-net 127.3]
 *
 * Certificates are minted before timing (one RSA signature each, the
 * phones share PHONE.key: the server's work per handshake does not
 * depend on it).  Prints, one per line:
 *   registered N/N in T s = R/s
 *   held H phones for S s (keepalives K, acks A)
 * and exits 0 when every phone registered and stayed registered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fmt/sccp.h"
#include "lib/buf.h"

struct phone {
	unsigned idx;
	char name[16];
	X509 *cert;
	struct bufferevent *bev;
	int registered, failed, closed;
	unsigned keepalives, acks;
};

static struct event_base *base;
static SSL_CTX *ctx;
static EVP_PKEY *phone_key;
static struct phone *phones;
static unsigned count, next_to_start, inflight, max_inflight = 64;
static unsigned registered, failed;
static struct sockaddr_in server;
static unsigned src_a = 0, src_b = 0; /* --source-net A.B */
static unsigned keepalive_s = 30;
static double t_start, t_done;
static int holding;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static X509 *
load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

static EVP_PKEY *
load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

/* CN=name issued by the MIC CA for the shared phone key. */
static X509 *
mint(const char *name, X509 *ca, EVP_PKEY *ca_key, unsigned serial)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)serial);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, phone_key);
	if (X509_sign(x, ca_key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void start_more(void);

static void
phone_close(struct phone *p, int fail)
{
	if (p->bev != NULL) {
		bufferevent_free(p->bev);
		p->bev = NULL;
	}
	if (!p->registered && !p->failed) {
		inflight--;
		if (fail) {
			p->failed = 1;
			failed++;
		}
	} else if (p->registered) {
		p->closed = 1;
	}
	if (!holding)
		start_more();
}

static void
send_msg(struct phone *p, const struct sccp_msg *m)
{
	struct buf b = BUF_INIT;

	if (sccp_msg_build(&b, m) == SCCP_OK)
		bufferevent_write(p->bev, b.data, b.len);
	buf_free(&b);
}

static void
send_register(struct phone *p)
{
	struct sccp_msg m;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_REGISTER;
	snprintf(
	    m.u.reg.device_name, sizeof(m.u.reg.device_name), "%s", p->name);
	m.u.reg.instance = 1;
	m.u.reg.device_type = 30006; /* 7970 */
	m.u.reg.max_streams = 5;
	m.u.reg.protocol_version = 20;
	m.u.reg.max_lines = 2;
	send_msg(p, &m);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct phone *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		size_t have = evbuffer_get_length(in), need = 0;
		uint8_t *d =
		    evbuffer_pullup(in, (ev_ssize_t)(have < 8 ? have : 8));
		struct sccp_msg m;
		int rc;

		if (have < 8)
			return;
		rc = sccp_frame_len(d, have, &need);
		if (rc < 0) {
			phone_close(p, 1);
			return;
		}
		if (rc == 0 || have < need)
			return;
		d = evbuffer_pullup(in, (ev_ssize_t)need);
		if (sccp_msg_parse(d, need, &m, NULL) == SCCP_OK) {
			if (m.id == SCCP_REGISTER_ACK && !p->registered) {
				p->registered = 1;
				inflight--;
				if (++registered + failed == count)
					t_done = now_s();
				start_more();
			} else if (m.id == SCCP_REGISTER_REJECT) {
				evbuffer_drain(in, need);
				phone_close(p, 1);
				return;
			} else if (m.id == SCCP_KEEP_ALIVE_ACK) {
				p->acks++;
			}
		}
		evbuffer_drain(in, need);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct phone *p = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		send_register(p);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		unsigned long e = bufferevent_get_openssl_error(p->bev);

		if (!p->registered && failed < 5)
			fprintf(stderr, "sccp_load: %s: %s\n", p->name,
			    e ? ERR_reason_error_string(e)
			        : (what & BEV_EVENT_TIMEOUT) ? "timeout"
			                                     : "closed");
		ERR_clear_error();
		phone_close(p, 1);
	}
}

static void
start_phone(struct phone *p)
{
	SSL *ssl = SSL_new(ctx);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {30, 0};

	if (ssl == NULL || fd < 0 || SSL_use_certificate(ssl, p->cert) != 1 ||
	    SSL_use_PrivateKey(ssl, phone_key) != 1) {
		fprintf(
		    stderr, "sccp_load: cannot set up %s (fds?)\n", p->name);
		if (fd >= 0)
			close(fd);
		SSL_free(ssl);
		p->failed = 1;
		failed++;
		return;
	}
	if (src_a != 0) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(127u << 24 | (src_a & 255u) << 16 |
		    ((src_b + p->idx / 250) & 255u) << 8 | (1 + p->idx % 250));
		(void)bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	evutil_make_socket_nonblocking(fd);
	p->bev = bufferevent_openssl_socket_new(
	    base, fd, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_openssl_set_allow_dirty_shutdown(p->bev, 1);
	bufferevent_setcb(p->bev, read_cb, NULL, event_cb, p);
	bufferevent_set_timeouts(p->bev, &tv, NULL);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	inflight++;
	if (bufferevent_socket_connect(
	        p->bev, (struct sockaddr *)&server, sizeof(server)) != 0)
		phone_close(p, 1);
}

static void
start_more(void)
{
	while (next_to_start < count && inflight < max_inflight)
		start_phone(&phones[next_to_start++]);
	if (registered + failed == count && !holding)
		event_base_loopbreak(base);
}

static void
keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sccp_msg m;

	(void)fd;
	(void)what;
	(void)arg;
	memset(&m, 0, sizeof(m));
	m.id = SCCP_KEEP_ALIVE;
	for (unsigned i = 0; i < count; i++)
		if (phones[i].registered && phones[i].bev != NULL) {
			send_msg(&phones[i], &m);
			phones[i].keepalives++;
		}
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(base);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"port", 1, NULL, 'p'},
	    {"host", 1, NULL, 'h'}, {"mic-cert", 1, NULL, 'c'},
	    {"mic-key", 1, NULL, 'k'}, {"key", 1, NULL, 'K'},
	    {"mac", 1, NULL, 'm'}, {"count", 1, NULL, 'n'},
	    {"inflight", 1, NULL, 'i'}, {"hold", 1, NULL, 'H'},
	    {"keepalive", 1, NULL, 'a'}, {"source-net", 1, NULL, 's'},
	    {NULL, 0, NULL, 0}};
	const char *host = "127.0.0.1", *ca_path = NULL, *ca_key_path = NULL,
	           *key_path = NULL;
	unsigned long long mac = 0;
	unsigned port = 0, hold_s = 0, acks = 0, kas = 0, alive = 0;
	X509 *ca;
	EVP_PKEY *ca_key;
	double t_mint;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = (unsigned)atoi(optarg);
			break;
		case 'h':
			host = optarg;
			break;
		case 'c':
			ca_path = optarg;
			break;
		case 'k':
			ca_key_path = optarg;
			break;
		case 'K':
			key_path = optarg;
			break;
		case 'm':
			mac = strtoull(optarg, NULL, 16);
			break;
		case 'n':
			count = (unsigned)atoi(optarg);
			break;
		case 'i':
			max_inflight = (unsigned)atoi(optarg);
			break;
		case 'H':
			hold_s = (unsigned)atoi(optarg);
			break;
		case 'a':
			keepalive_s = (unsigned)atoi(optarg);
			break;
		case 's':
			if (sscanf(optarg, "127.%u.%u", &src_a, &src_b) < 1)
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (port == 0 || ca_path == NULL || ca_key_path == NULL ||
	    key_path == NULL || count == 0 || count > 100000 ||
	    max_inflight == 0 || keepalive_s == 0) {
		fprintf(
		    stderr, "usage: see the comment in bench/sccp_load.c\n");
		return 2;
	}
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &server.sin_addr) != 1)
		return 2;
	ca = load_cert(ca_path);
	ca_key = load_key(ca_key_path);
	phone_key = load_key(key_path);
	if (ca == NULL || ca_key == NULL || phone_key == NULL) {
		fprintf(stderr, "sccp_load: cannot read the certificates\n");
		return 2;
	}
	phones = calloc(count, sizeof(*phones));
	t_mint = now_s();
	for (unsigned i = 0; i < count; i++) {
		phones[i].idx = i;
		snprintf(phones[i].name, sizeof(phones[i].name), "SEP%012llX",
		    mac + i);
		phones[i].cert = mint(phones[i].name, ca, ca_key, 1000 + i);
		if (phones[i].cert == NULL)
			return 1;
	}
	fprintf(stderr, "sccp_load: %u certificates in %.2f s (not timed)\n",
	    count, now_s() - t_mint);
	ctx = SSL_CTX_new(TLS_client_method());
	/* The benchmark is about the server: TLS 1.2 as the issue says,
	 * no server verification here (the tests do that). */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	base = event_base_new();
	t_start = now_s();
	start_more();
	event_base_dispatch(base);
	if (t_done == 0)
		t_done = now_s();
	printf("registered %u/%u in %.3f s = %.1f/s (failed %u)\n", registered,
	    count, t_done - t_start, registered / (t_done - t_start), failed);
	fflush(stdout);
	if (hold_s > 0 && registered > 0) {
		struct timeval ka = {keepalive_s, 0}, end = {hold_s, 0};
		struct event *kev =
		    event_new(base, -1, EV_PERSIST, keepalive_cb, NULL);
		struct event *sev = evtimer_new(base, stop_cb, NULL);

		holding = 1;
		event_add(kev, &ka);
		evtimer_add(sev, &end);
		/* The bench script reads the daemon's memory now. */
		printf("holding %u phones\n", registered);
		fflush(stdout);
		event_base_dispatch(base);
		event_free(kev);
		event_free(sev);
		for (unsigned i = 0; i < count; i++) {
			acks += phones[i].acks;
			kas += phones[i].keepalives;
			alive += phones[i].registered && !phones[i].closed;
		}
		printf("held %u phones for %u s (keepalives %u, acks %u)\n",
		    alive, hold_s, kas, acks);
	}
	for (unsigned i = 0; i < count; i++) {
		if (phones[i].bev)
			bufferevent_free(phones[i].bev);
		X509_free(phones[i].cert);
	}
	free(phones);
	SSL_CTX_free(ctx);
	event_base_free(base);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(phone_key);
	return registered == count && (hold_s == 0 || alive == registered) ? 0
	                                                                   : 1;
}
