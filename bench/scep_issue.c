/*
 * SCEP issuance benchmark: certificates issued per second for RSA-2048
 * CSRs over SCEP (RFC 8894) on loopback, against a running opencmed with
 * `crypto pki server ... grant auto`.
 *
 *   scep_issue --port PORT --pid PID [--host 127.0.0.1] [-n 200] [-c 4]
 *              [--jobs J] [--cpu K]
 *
 * 1. GetCACert (HTTP GET), outside the timing.
 * 2. Pre-generates n RSA-2048 keys and CSRs (in --jobs threads) and builds
 *    the n PKCSReq messages with scep_pkcsreq_build(), outside the timing.
 * 3. Timed: c threads, each on its own HTTP/1.1 keep-alive connection,
 *    POST the messages to /cgi-bin/pkiclient.exe?operation=PKIOperation
 *    and read the CertReps.  Wall time is CLOCK_MONOTONIC around this
 *    phase (the process pins itself to CPU K first when --cpu is given,
 *    after the key generation that ran on every CPU); the server's CPU time is utime+stime of /proc/PID/stat before
 *    and after (all threads of the process, clock-tick resolution).
 * 4. Outside the timing, every CertRep is opened with scep_reply_parse()
 *    and must be SUCCESS with an issued certificate that verifies with the
 *    CA key.  Any failure: exit 1.
 *
 * Loopback only: the host must be 127.0.0.1 (or ::1).  Every socket
 * operation has a timeout (SO_RCVTIMEO/SO_SNDTIMEO) and every loop is
 * bounded by the number of messages.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fmt/scep.h"
#include "lib/buf.h"

#define SCEP_PATH "/cgi-bin/pkiclient.exe"
#define IO_TIMEOUT_S 30 /* per socket read/write */
#define MAX_N 100000
#define MAX_CONC 256
#define MAX_HEADER (16 * 1024)

/*
 * RSA private-key operations the server performs per issued certificate,
 * all with the CA's RSA-2048 key:
 *   1. decrypt the EnvelopedData of the PKCSReq (the content-encryption key
 *      is RSA-encrypted to the CA certificate: one RSA decryption);
 *   2. sign the issued certificate (X509_sign with the CA key);
 *   3. sign the CertRep SignedData (the signed attributes).
 * Everything else (verifying the request signature and the CSR
 * self-signature, encrypting the reply's content key to the requester)
 * is a public-key operation, ~16x cheaper.  So the server cannot issue
 * more than (RSA-2048 private ops/s per core) / 3 certificates per
 * CPU-second: the protocol limit the run script prints.
 */
#define RSA_PRIV_OPS_PER_CERT 3

struct item {
	EVP_PKEY *key;
	X509_REQ *csr;
	struct scep_client_state *st;
	struct buf req; /* PKCSReq DER */
	struct buf resp; /* CertRep DER (HTTP body) */
	int http_status;
	int io_err; /* nonzero: transport failure */
};

struct bench {
	const char *host;
	const char *port;
	int n, conc, jobs;
	struct item *items;
	X509 *ca;
	atomic_int next;
	atomic_int failed;
	pthread_barrier_t start;
};

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("scep_issue: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of a process, in seconds; -1 on error. */
static double
proc_cpu_s(long pid)
{
	char path[64], line[4096];
	unsigned long long ut = 0, st = 0;
	const char *p;
	FILE *f;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	len = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[len] = '\0';
	/* comm may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(line, ')');
	if (p == NULL)
		return -1;
	/* After ')': state(3) ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime(14) stime(15). */
	if (sscanf(p + 1,
	        " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	        &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- minimal blocking HTTP/1.1 client ---- */

static int
http_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = {IO_TIMEOUT_S, 0};
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Send one request and read its response into body.  Returns 0 and sets
 * *status, or -1 on a transport error (*got_any says whether any response
 * byte arrived, for the keep-alive retry).  *keep is cleared when the
 * server said Connection: close.
 */
static int
http_exchange(int fd, const char *method, const char *host, const char *port,
    const char *target, const char *ctype, const struct buf *body, int *status,
    struct buf *resp, int *keep, int *got_any)
{
	struct buf hdr = BUF_INIT;
	char *end, *p;
	long clen = -1;
	size_t hlen;
	int rc = -1;

	*got_any = 0;
	buf_printf(&hdr, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n", method, target,
	    host, port);
	if (body != NULL)
		buf_printf(&hdr, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    ctype, body->len);
	buf_puts(&hdr, "\r\n");
	/* One write for headers and body: two small writes would stall on
	 * Nagle + the peer's delayed ACK (~40 ms per request). */
	if (body != NULL)
		buf_append(&hdr, body->data, body->len);
	if (write_all(fd, hdr.data, hdr.len) != 0)
		goto out;
	/* Read until the end of the headers. */
	buf_reset(&hdr);
	for (;;) {
		ssize_t r;

		buf_grow(&hdr, 4096);
		r = recv(fd, hdr.data + hdr.len, 4096, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		*got_any = 1;
		hdr.len += (size_t)r;
		hdr.data[hdr.len] = '\0';
		if (strstr(hdr.data, "\r\n\r\n") != NULL)
			break;
		if (hdr.len > MAX_HEADER)
			goto out;
	}
	end = strstr(hdr.data, "\r\n\r\n");
	hlen = (size_t)(end - hdr.data) + 4;
	*end = '\0';
	if (sscanf(hdr.data, "HTTP/1.%*d %d", status) != 1)
		goto out;
	for (p = strstr(hdr.data, "\r\n"); p != NULL;
	     p = strstr(p + 2, "\r\n")) {
		const char *h = p + 2;

		if (strncasecmp(h, "Content-Length:", 15) == 0)
			clen = strtol(h + 15, NULL, 10);
		else if (strncasecmp(h, "Connection:", 11) == 0 &&
		    strncasecmp(h + 11 + strspn(h + 11, " "), "close", 5) == 0)
			*keep = 0;
		else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0)
			goto out; /* chunked: evhttp never sends it here */
	}
	buf_reset(resp);
	buf_append(resp, hdr.data + hlen, hdr.len - hlen);
	if (clen < 0)
		*keep = 0; /* body runs to EOF */
	if (clen > SCEP_MAX_MESSAGE || (clen >= 0 && resp->len > (size_t)clen))
		goto out;
	while (clen < 0 || resp->len < (size_t)clen) {
		ssize_t r;

		buf_grow(resp, 16384);
		r = recv(fd, resp->data + resp->len, 16384, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && clen < 0)
			break;
		if (r <= 0)
			goto out;
		resp->len += (size_t)r;
		if (resp->len > SCEP_MAX_MESSAGE)
			goto out;
	}
	rc = 0;
out:
	buf_free(&hdr);
	return rc;
}

/* One request on a fresh connection (GetCACert). */
static int
http_get_once(
    struct bench *b, const char *target, int *status, struct buf *resp)
{
	int fd = http_connect(b->host, b->port), keep = 1, got = 0, rc;

	if (fd < 0)
		return -1;
	rc = http_exchange(fd, "GET", b->host, b->port, target, NULL, NULL,
	    status, resp, &keep, &got);
	close(fd);
	return rc;
}

/* ---- pre-generation ---- */

struct gen_arg {
	struct bench *b;
	int first, step;
	int err;
};

static X509_REQ *
make_csr(EVP_PKEY *key, int i)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	char cn[64];

	snprintf(cn, sizeof(cn), "scep-bench-%d-%ld", i, (long)getpid());
	if (req == NULL || name == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	        (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		X509_REQ_free(req);
		req = NULL;
	}
	X509_NAME_free(name);
	return req;
}

static void *
gen_thread(void *arg)
{
	struct gen_arg *g = arg;
	int i;

	for (i = g->first; i < g->b->n; i += g->step) {
		struct item *it = &g->b->items[i];

		it->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		if (it->key == NULL ||
		    (it->csr = make_csr(it->key, i)) == NULL) {
			g->err = 1;
			break;
		}
	}
	return NULL;
}

static void
pregenerate(struct bench *b)
{
	pthread_t th[64];
	struct gen_arg ga[64];
	int j, jobs = b->jobs > 64 ? 64 : b->jobs;

	for (j = 0; j < jobs; j++) {
		ga[j].b = b;
		ga[j].first = j;
		ga[j].step = jobs;
		ga[j].err = 0;
		if (pthread_create(&th[j], NULL, gen_thread, &ga[j]) != 0)
			die("pthread_create failed");
	}
	for (j = 0; j < jobs; j++) {
		pthread_join(th[j], NULL);
		if (ga[j].err)
			die("key or CSR generation failed");
	}
	/* PKCSReq building is cheap (2 signatures); serial keeps the
	 * codec's once-per-process provider loading single-threaded. */
	for (j = 0; j < b->n; j++) {
		struct item *it = &b->items[j];
		int rc = scep_pkcsreq_build(
		    it->csr, it->key, b->ca, NULL, NULL, &it->req, &it->st);

		if (rc != SCEP_OK)
			die("scep_pkcsreq_build: %s", scep_err_str(rc));
	}
}

/* ---- timed phase ---- */

static void *
send_thread(void *arg)
{
	struct bench *b = arg;
	const char *target = SCEP_PATH "?operation=PKIOperation";
	int fd = http_connect(b->host, b->port);

	if (fd < 0)
		atomic_store(&b->failed, 1);
	pthread_barrier_wait(&b->start);
	for (;;) {
		int i = atomic_fetch_add(&b->next, 1), keep = 1, got = 0;
		int attempt, done = 0;
		struct item *it;

		if (i >= b->n || atomic_load(&b->failed))
			break;
		it = &b->items[i];
		for (attempt = 0; attempt < 2 && !done; attempt++) {
			if (fd < 0)
				fd = http_connect(b->host, b->port);
			if (fd < 0)
				break;
			if (http_exchange(fd, "POST", b->host, b->port, target,
			        "application/x-pki-message", &it->req,
			        &it->http_status, &it->resp, &keep,
			        &got) == 0) {
				done = 1;
				break;
			}
			/* A keep-alive connection the server closed before
			 * answering anything: reconnect and resend once. */
			close(fd);
			fd = -1;
			keep = 1;
			if (got)
				break;
		}
		if (!done) {
			it->io_err = 1;
			atomic_store(&b->failed, 1);
			break;
		}
		if (!keep) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: scep_issue --port PORT --pid PID [--host 127.0.0.1] "
	    "[-n N] [-c CONC] [--jobs J] [--cpu K]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"port", required_argument, NULL, 'p'},
	    {"pid", required_argument, NULL, 'P'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"cpu", required_argument, NULL, 'C'},
	    {NULL, 0, NULL, 0},
	};
	struct bench b;
	struct buf body = BUF_INIT;
	pthread_t th[MAX_CONC];
	long pid = 0, jobs = sysconf(_SC_NPROCESSORS_ONLN);
	double t0, t1, c0, c1, wall, cpu;
	int opt, status = 0, i, ok = 0, rc, pin_cpu = -1;
	X509 *ra = NULL;
	EVP_PKEY *ca_pub;
	struct scep_error err;

	memset(&b, 0, sizeof(b));
	b.host = "127.0.0.1";
	b.n = 200;
	b.conc = 4;
	while ((opt = getopt_long(argc, argv, "n:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			b.host = optarg;
			break;
		case 'p':
			b.port = optarg;
			break;
		case 'P':
			pid = strtol(optarg, NULL, 10);
			break;
		case 'j':
			jobs = strtol(optarg, NULL, 10);
			break;
		case 'C':
			pin_cpu = atoi(optarg);
			break;
		case 'n':
			b.n = atoi(optarg);
			break;
		case 'c':
			b.conc = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (b.port == NULL || pid <= 0 || b.n < 1 || b.n > MAX_N ||
	    b.conc < 1 || b.conc > MAX_CONC)
		usage();
	if (strcmp(b.host, "127.0.0.1") != 0 && strcmp(b.host, "::1") != 0)
		die("loopback only (127.0.0.1 or ::1), not %s", b.host);
	b.jobs = jobs < 1 ? 1 : (int)jobs;
	if (proc_cpu_s(pid) < 0)
		die("cannot read /proc/%ld/stat", pid);

	/* 1. GetCACert */
	if (http_get_once(
	        &b, SCEP_PATH "?operation=GetCACert", &status, &body) != 0 ||
	    status != 200)
		die("GetCACert failed (HTTP status %d)", status);
	rc = scep_getcacert_parse(
	    (const uint8_t *)body.data, body.len, &b.ca, &ra, NULL, &err);
	if (rc != SCEP_OK)
		die("GetCACert reply: %s", scep_err_str(rc));
	buf_free(&body);
	ca_pub = X509_get0_pubkey(b.ca);
	if (ca_pub == NULL)
		die("CA certificate has no public key");

	/* 2. keys, CSRs, PKCSReqs */
	b.items = xcalloc((size_t)b.n, sizeof(*b.items));
	t0 = now_s();
	pregenerate(&b);
	fprintf(stderr,
	    "scep_issue: %d RSA-2048 keys, CSRs and PKCSReqs built in %.1f s "
	    "(%d threads)\n",
	    b.n, now_s() - t0, b.jobs);

	/* 3. timed phase, pinned to --cpu (key generation used every CPU) */
	if (pin_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(pin_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			die("sched_setaffinity(%d): %s", pin_cpu,
			    strerror(errno));
	}
	atomic_init(&b.next, 0);
	atomic_init(&b.failed, 0);
	if (pthread_barrier_init(&b.start, NULL, (unsigned)b.conc + 1) != 0)
		die("pthread_barrier_init failed");
	for (i = 0; i < b.conc; i++)
		if (pthread_create(&th[i], NULL, send_thread, &b) != 0)
			die("pthread_create failed");
	c0 = proc_cpu_s(pid);
	t0 = now_s();
	pthread_barrier_wait(&b.start);
	for (i = 0; i < b.conc; i++)
		pthread_join(th[i], NULL);
	t1 = now_s();
	c1 = proc_cpu_s(pid);
	pthread_barrier_destroy(&b.start);
	if (atomic_load(&b.failed))
		die("transport failure (connect/send/receive)");
	if (c0 < 0 || c1 < 0)
		die("cannot read /proc/%ld/stat (server gone?)", pid);

	/* 4. check every reply, outside the timing */
	for (i = 0; i < b.n; i++) {
		struct item *it = &b.items[i];
		struct scep_reply *rep = NULL;

		if (it->http_status != 200) {
			fprintf(stderr, "scep_issue: request %d: HTTP %d\n", i,
			    it->http_status);
			continue;
		}
		memset(&err, 0, sizeof(err));
		rc = scep_reply_parse((const uint8_t *)it->resp.data,
		    it->resp.len, b.ca, it->st, it->key, &rep, &err);
		if (rc != SCEP_OK) {
			fprintf(stderr, "scep_issue: request %d: %s (%s)\n", i,
			    scep_err_str(rc), err.what ? err.what : "-");
		} else if (rep->pki_status != SCEP_STATUS_SUCCESS ||
		    rep->issued == NULL) {
			fprintf(stderr,
			    "scep_issue: request %d: pkiStatus %d failInfo "
			    "%s\n",
			    i, rep->pki_status,
			    scep_fail_info_str(rep->fail_info));
		} else if (X509_verify(rep->issued, ca_pub) != 1) {
			fprintf(stderr,
			    "scep_issue: request %d: issued certificate does "
			    "not verify with the CA key\n",
			    i);
		} else {
			ok++;
		}
		scep_reply_free(rep);
	}

	wall = t1 - t0;
	cpu = c1 - c0;
	printf("scep_issue: n=%d concurrency=%d ok=%d\n", b.n, b.conc, ok);
	printf("wall_s=%.3f server_cpu_s=%.2f server_util=%.2f\n", wall, cpu,
	    wall > 0 ? cpu / wall : 0.0);
	printf("certs_per_s=%.1f\n", wall > 0 ? ok / wall : 0.0);
	printf("certs_per_server_cpu_s=%.1f\n", cpu > 0 ? ok / cpu : 0.0);
	printf("server_cpu_ms_per_cert=%.3f\n", ok > 0 ? cpu * 1e3 / ok : 0.0);
	printf("rsa_priv_ops_per_cert=%d\n", RSA_PRIV_OPS_PER_CERT);

	for (i = 0; i < b.n; i++) {
		struct item *it = &b.items[i];

		EVP_PKEY_free(it->key);
		X509_REQ_free(it->csr);
		scep_client_state_free(it->st);
		buf_free(&it->req);
		buf_free(&it->resp);
	}
	free(b.items);
	X509_free(b.ca);
	X509_free(ra);
	if (ok != b.n) {
		fprintf(stderr, "scep_issue: FAIL: %d of %d certificates\n",
		    b.n - ok, b.n);
		return 1;
	}
	return 0;
}
