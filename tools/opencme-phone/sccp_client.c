/*
 * SCCP registration as the phone (../shared/spec/sccp.md sections 5-7):
 * TLS to the CME's secure port with the LSC (or MIC) when the signed
 * configuration says authenticated (2) or encrypted (3), the server
 * certificate checked against the trust list's CCM / CCM+TFTP record;
 * plain TCP for mode none (1).  Register, the registration-time
 * requests, keepalives for --hold-seconds, Unregister.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fmt/sccp.h"
#include "phone.h"

/* ---- --tls-keylog (test only) ---- */

static FILE *keylog;
static pthread_mutex_t keylog_lock = PTHREAD_MUTEX_INITIALIZER;

int
phone_keylog_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	keylog = fdopen(fd, "a");
	if (keylog == NULL) {
		close(fd);
		return -1;
	}
	return 0;
}

static void
keylog_cb(const SSL *ssl, const char *line)
{
	(void)ssl;
	pthread_mutex_lock(&keylog_lock);
	fprintf(keylog, "%s\n", line);
	fflush(keylog);
	pthread_mutex_unlock(&keylog_lock);
}

/* ---- connection ---- */

struct conn {
	struct phone *p;
	int fd;
	SSL *ssl;
	SSL_CTX *ctx;
	uint8_t *buf; /* one PDU (SCCP_MAX_PDU) */
};

static int
io_write(struct conn *c, const void *data, size_t len)
{
	const uint8_t *d = data;

	while (len > 0) {
		ssize_t n = c->ssl ? SSL_write(c->ssl, d, (int)len)
		                   : send(c->fd, d, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		d += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
io_read(struct conn *c, uint8_t *out, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = c->ssl
		    ? SSL_read(c->ssl, out + got, (int)(len - got))
		    : recv(c->fd, out + got, len - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* Next message into m (body borrowed from buf); -1 on a closed
 * connection, a timeout or a malformed message (detail filled). */
static int
recv_msg(struct conn *c, uint8_t *buf, struct sccp_msg *m)
{
	struct phone *p = c->p;
	struct sccp_error e = {0, NULL};
	size_t need = 0;
	int rc;

	if (io_read(c, buf, SCCP_PREFIX_LEN) < 0) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "connection closed or timed out");
		return -1;
	}
	rc = sccp_frame_len(buf, SCCP_PREFIX_LEN, &need);
	if (rc < 0 || need > SCCP_MAX_PDU) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "bad SCCP header: %s", sccp_err_str(rc < 0 ? rc : -3));
		return -1;
	}
	if (io_read(c, buf + SCCP_PREFIX_LEN, need - SCCP_PREFIX_LEN) < 0) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "connection closed inside a message");
		return -1;
	}
	rc = sccp_msg_parse(buf, need, m, &e);
	if (rc != SCCP_OK) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "bad %s message: %s", sccp_msg_name(m->id),
		    e.what ? e.what : sccp_err_str(rc));
		return -1;
	}
	return 0;
}

static int
send_buf(struct conn *c, struct buf *b)
{
	int rc = io_write(c, b->data, b->len);

	buf_free(b);
	return rc;
}

static int
send_empty(struct conn *c, uint32_t id, uint32_t hdr)
{
	struct buf b = BUF_INIT;

	if (sccp_empty_build(&b, id, hdr) != SCCP_OK)
		return -1;
	return send_buf(c, &b);
}

static int
send_u32(struct conn *c, uint32_t id, uint32_t hdr, uint32_t v)
{
	struct sccp_msg m;
	struct buf b = BUF_INIT;
	uint8_t body[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24)};

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.hdr_version = hdr;
	m.body = body;
	m.body_len = sizeof(body);
	if (sccp_msg_build(&b, &m) != SCCP_OK)
		return -1;
	return send_buf(c, &b);
}

/* ---- model facts (spec 11; offered versions per spec 2) ---- */

static void
model_facts(const char *model, uint32_t *type, uint8_t *proto)
{
	static const struct {
		const char *name;
		uint32_t type;
		uint8_t proto;
	} models[] = {
	    {"7960", 7, 11},
	    {"7940", 8, 11},
	    {"7970", 30006, 20},
	    {"7971", 119, 20},
	    {"7941", 115, 17},
	    {"7961", 30018, 17},
	    {"7942", 434, 20},
	    {"7962", 404, 20},
	    {"7945", 435, 20},
	    {"7965", 436, 20},
	    {"7975", 437, 20},
	    {"7911", 307, 17},
	    {"7906", 369, 17},
	};

	*type = 30006;
	*proto = 20;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (strcmp(models[i].name, model) == 0) {
			*type = models[i].type;
			*proto = models[i].proto;
			return;
		}
}

/* ---- TLS ---- */

static int
load_pair(const struct phone *p, const char *kind, X509 **cert, EVP_PKEY **key)
{
	char c[4200], k[4200], cn[16], kn[16];
	FILE *f;

	snprintf(cn, sizeof(cn), "%s.pem", kind);
	snprintf(kn, sizeof(kn), "%s.key", kind);
	*cert = NULL;
	*key = NULL;
	if (phone_path(p, cn, c, sizeof(c)) < 0 ||
	    phone_path(p, kn, k, sizeof(k)) < 0)
		return -1;
	if ((f = fopen(c, "r")) != NULL) {
		*cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if ((f = fopen(k, "r")) != NULL) {
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (*cert && *key && X509_check_private_key(*cert, *key) == 1) {
		ERR_clear_error();
		return 0;
	}
	ERR_clear_error();
	X509_free(*cert);
	EVP_PKEY_free(*key);
	*cert = NULL;
	*key = NULL;
	return -1;
}

/* The server's leaf certificate must be a CCM or CCM+TFTP record of the
 * installed trust list (the phone has no other trust anchor). */
static int
check_server_cert(struct conn *c, char *why, size_t cap)
{
	struct phone *p = c->p;
	X509 *peer = SSL_get1_peer_certificate(c->ssl);
	uint8_t *der = NULL;
	int der_len, ok = 0, records = 0;

	if (peer == NULL) {
		snprintf(why, cap, "the CME sent no certificate");
		return -1;
	}
	der_len = i2d_X509(peer, &der);
	for (size_t i = 0; p->trust && i < p->trust->n_records; i++) {
		const struct tlv_record *r = &p->trust->records[i];

		if ((r->role != TLV_ROLE_CCM && r->role != TLV_ROLE_CCM_TFTP) ||
		    r->certificate.len == 0)
			continue;
		records++;
		if (der_len > 0 && (size_t)der_len == r->certificate.len &&
		    memcmp(der, r->certificate.data, r->certificate.len) == 0) {
			ok = 1;
			break;
		}
	}
	if (!ok) {
		char subj[256] = "";

		X509_NAME_oneline(
		    X509_get_subject_name(peer), subj, sizeof(subj));
		snprintf(why, cap,
		    records == 0 ? "the trust list has no CCM record to check "
		                   "the CME certificate %s against"
		                 : "the CME certificate %s matches no CCM "
		                   "record of the trust list",
		    subj);
	}
	OPENSSL_free(der);
	X509_free(peer);
	ERR_clear_error();
	return ok ? 0 : -1;
}

static int
tls_start(struct conn *c, const char *host)
{
	struct phone *p = c->p;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char why[400];
	unsigned long e;

	/* The LSC first, the MIC if there is no LSC (as a phone does). */
	if (load_pair(p, "lsc", &cert, &key) < 0)
		(void)load_pair(p, "mic", &cert, &key);
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		goto fail;
	/* 1024-bit LSCs (the default phone-key-size) need level 1 at
	 * most; 79xx firmware speaks TLS 1.2 at most. */
	SSL_CTX_set_security_level(c->ctx, 1);
	SSL_CTX_set_max_proto_version(c->ctx, TLS1_2_VERSION);
	/* Trust comes from the CTL, checked after the handshake. */
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	if (keylog != NULL)
		SSL_CTX_set_keylog_callback(c->ctx, keylog_cb);
	if (cert != NULL &&
	    (SSL_CTX_use_certificate(c->ctx, cert) != 1 ||
	        SSL_CTX_use_PrivateKey(c->ctx, key) != 1))
		goto fail;
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		goto fail;
	SSL_set_tlsext_host_name(c->ssl, host);
	if (SSL_connect(c->ssl) != 1)
		goto fail;
	X509_free(cert);
	EVP_PKEY_free(key);
	if (check_server_cert(c, why, sizeof(why)) < 0) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail), "%s", why);
		return -1;
	}
	snprintf(p->sccp.tls_version, sizeof(p->sccp.tls_version), "%s",
	    SSL_get_version(c->ssl));
	snprintf(p->sccp.tls_cipher, sizeof(p->sccp.tls_cipher), "%s",
	    SSL_get_cipher_name(c->ssl));
	return 0;
fail:
	e = ERR_get_error();
	snprintf(p->sccp.detail, sizeof(p->sccp.detail),
	    "TLS handshake failed%s%s%s", e ? ": " : "",
	    e ? ERR_reason_error_string(e) : "",
	    cert == NULL ? " (the phone has no LSC or MIC)" : "");
	ERR_clear_error();
	X509_free(cert);
	EVP_PKEY_free(key);
	return -1;
}

static int
tcp_connect(struct conn *c, const char *host, unsigned port)
{
	struct phone *p = c->p;
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = {.tv_sec = (time_t)p->o->timeout_s, .tv_usec = 0};
	char ps[16];
	int gai, saved = 0;

	snprintf(ps, sizeof(ps), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(host, ps, &hints, &res);
	if (gai != 0) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail), "%s:%u: %s",
		    host, port, gai_strerror(gai));
		return -1;
	}
	c->fd = -1;
	for (ai = res; ai; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (c->fd < 0)
			continue;
		(void)setsockopt(
		    c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(
		    c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* --source-ip: each phone from its own address. */
		if (phone_bind_source(p, c->fd, ai->ai_family) == 0 &&
		    connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "%s:%u: connect: %s", host, port,
		    strerror(saved ? saved : ECONNREFUSED));
		return -1;
	}
	return 0;
}

/* ---- registration ---- */

static int
send_register(struct conn *c)
{
	struct phone *p = c->p;
	struct sccp_msg m;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct buf b = BUF_INIT;
	uint8_t proto;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_REGISTER;
	snprintf(
	    m.u.reg.device_name, sizeof(m.u.reg.device_name), "%s", p->name);
	m.u.reg.instance = 1;
	if (getsockname(c->fd, (struct sockaddr *)&sin, &sl) == 0 &&
	    sin.sin_family == AF_INET)
		memcpy(m.u.reg.ip, &sin.sin_addr, 4);
	model_facts(p->o->model, &m.u.reg.device_type, &proto);
	m.u.reg.max_streams = 5;
	m.u.reg.protocol_version = proto;
	m.u.reg.max_lines = 2;
	for (int i = 0; i < 6; i++)
		m.u.reg.mac[i] = (uint8_t)strtoul(
		    (char[3]){p->mac[2 * i], p->mac[2 * i + 1], 0}, NULL, 16);
	snprintf(
	    m.u.reg.load_name, sizeof(m.u.reg.load_name), "SCCP70.9-4-2SR3-1S");
	p->sccp.proto_offered = proto;
	if (sccp_msg_build(&b, &m) != SCCP_OK)
		return -1;
	return send_buf(c, &b);
}

/* Answer what the CME says during registration; 1 when registered
 * (DefineTimeDate), 0 to go on, -1 on a failure. */
static int
handle(struct conn *c, const struct sccp_msg *m, uint32_t *lines)
{
	struct phone *p = c->p;
	uint32_t h = sccp_hdr_version_for(0xFFFF, p->sccp.proto);

	switch (m->id) {
	case SCCP_REGISTER_ACK:
		p->sccp.proto = m->u.register_ack.protocol_version;
		p->sccp.keepalive_s = m->u.register_ack.keepalive_s;
		h = sccp_hdr_version_for(0xFFFF, p->sccp.proto);
		/* Spec 7's order (chan-sccp's phones). */
		if (send_empty(c, SCCP_BUTTON_TEMPLATE_REQ, h) < 0 ||
		    send_empty(c, SCCP_SOFT_KEY_TEMPLATE_REQ, h) < 0 ||
		    send_empty(c, SCCP_SOFT_KEY_SET_REQ, h) < 0)
			return -1;
		return 0;
	case SCCP_REGISTER_REJECT:
		snprintf(p->sccp.reject, sizeof(p->sccp.reject), "%s",
		    m->u.reject_text);
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "RegisterReject: %s", m->u.reject_text);
		return -1;
	case SCCP_CAPABILITIES_REQ: {
		static const uint32_t codecs[] = {4, 2, 11, 12};
		struct buf b = BUF_INIT;

		if (sccp_capabilities_res_build(&b, h, codecs, 4, 40) !=
		    SCCP_OK)
			return -1;
		return send_buf(c, &b);
	}
	case SCCP_BUTTON_TEMPLATE:
		*lines = sccp_body_u32(m, 4);
		for (uint32_t i = 1; i <= *lines && i <= 42; i++)
			if (send_u32(c, SCCP_LINE_STAT_REQ, h, i) < 0 ||
			    send_u32(c, SCCP_FORWARD_STAT_REQ, h, i) < 0)
				return -1;
		if (send_u32(c, SCCP_REGISTER_AVAILABLE_LINES, h, *lines) < 0 ||
		    send_empty(c, SCCP_CONFIG_STAT_REQ, h) < 0 ||
		    send_empty(c, SCCP_SERVER_REQ, h) < 0 ||
		    send_empty(c, SCCP_TIME_DATE_REQ, h) < 0)
			return -1;
		return 0;
	case SCCP_DEFINE_TIME_DATE:
		return 1;
	default:
		return 0; /* LineStat, SoftKeys ...: nothing to do */
	}
}

/* ---- the link as seen by calls.c ---- */

int
phone_link_fd(const struct phone_link *l)
{
	return ((const struct conn *)(const void *)l)->fd;
}

int
phone_link_pending(struct phone_link *l)
{
	struct conn *c = (struct conn *)(void *)l;

	return c->ssl && SSL_pending(c->ssl) > 0;
}

int
phone_link_recv(struct phone_link *l, struct sccp_msg *m)
{
	struct conn *c = (struct conn *)(void *)l;

	return recv_msg(c, c->buf, m);
}

int
phone_link_send(struct phone_link *l, struct buf *b)
{
	return send_buf((struct conn *)(void *)l, b);
}

uint32_t
phone_link_local_ip(const struct phone_link *l)
{
	const struct conn *c = (const struct conn *)(const void *)l;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	if (getsockname(c->fd, (struct sockaddr *)&sin, &sl) == 0 &&
	    sin.sin_family == AF_INET)
		return ntohl(sin.sin_addr.s_addr);
	return 0x7f000001;
}

static int
unregister(struct conn *c, uint8_t *buf)
{
	struct phone *p = c->p;
	struct sccp_msg m;

	if (send_empty(c, SCCP_UNREGISTER, 0) < 0)
		return -1;
	/* Read up to the ack, never close before it: in a call, the
	 * CME ends the call first (a few dozen messages per call), and
	 * answers to what was on its way may come too.  Bounded by the
	 * count and by the socket's receive timeout. */
	for (int i = 0; i < 512; i++) {
		if (recv_msg(c, buf, &m) < 0)
			return -1;
		if (m.id == SCCP_UNREGISTER_ACK) {
			p->sccp.unregistered = 1;
			return 0;
		}
	}
	snprintf(p->sccp.detail, sizeof(p->sccp.detail), "no UnregisterAck");
	return -1;
}

int
phone_sccp_run(struct phone *p)
{
	const struct phone_opts *o = p->o;
	struct conn c = {p, -1, NULL, NULL, NULL};
	int secure = p->cfg.security_mode == 2 || p->cfg.security_mode == 3;
	unsigned port;
	uint8_t *buf = xmalloc(SCCP_MAX_PDU);
	uint32_t lines = 0;

	c.buf = buf;
	int rc = -1;

	p->state = PHONE_REGISTER;
	memset(&p->sccp, 0, sizeof(p->sccp));
	p->sccp.ran = 1;
	if (p->cfg.ccm_host[0] == '\0') {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "the configuration names no CME (processNodeName)");
		goto out;
	}
	if (o->force_tcp)
		secure = 0;
	port = !secure              ? p->cfg.ccm_port
	    : o->sccp_tls_port != 0 ? o->sccp_tls_port
	                            : p->cfg.ccm_port + 443;
	p->sccp.transport = secure ? "TLS" : "TCP";
	if (tcp_connect(&c, p->cfg.ccm_host, port) < 0)
		goto out;
	if (secure && tls_start(&c, p->cfg.ccm_host) < 0)
		goto out;
	if (send_register(&c) < 0) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "cannot send Register");
		goto out;
	}
	/* Bounded: the registration exchange is a few dozen messages. */
	for (int i = 0; i < 256 && !p->sccp.registered; i++) {
		struct sccp_msg m;
		int h;

		if (recv_msg(&c, buf, &m) < 0)
			goto out;
		h = handle(&c, &m, &lines);
		if (h < 0)
			goto out;
		if (h == 1)
			p->sccp.registered = 1;
	}
	if (!p->sccp.registered) {
		snprintf(p->sccp.detail, sizeof(p->sccp.detail),
		    "no DefineTimeDate after 256 messages");
		goto out;
	}
	phone_log(p, "registered over %s%s%s (protocol %u/%u, keepalive %u)",
	    p->sccp.transport, secure ? " " : "",
	    secure ? p->sccp.tls_version : "", p->sccp.proto_offered,
	    p->sccp.proto, p->sccp.keepalive_s);
	phone_calls_arrive(p, 0);
	if (phone_calls_run(p, (struct phone_link *)(void *)&c) < 0 ||
	    unregister(&c, buf) < 0)
		goto out;
	rc = 0;
out:
	if (c.ssl) {
		(void)SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	SSL_CTX_free(c.ctx);
	ERR_clear_error();
	if (c.fd >= 0)
		close(c.fd);
	free(buf);
	return rc;
}
