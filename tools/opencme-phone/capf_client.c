/*
 * CAPF as the phone (spec 5.7, 5.8): TLS to the CAPF server listed in the
 * configuration, the server certificate checked against the CAPF record
 * of the installed trust list, then AUTH_RESPONSE, key generation, store,
 * fetch and delete until END_SESSION.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fmt/capf.h"
#include "phone.h"

struct capf_sess {
	struct phone *p;
	SSL *ssl;
	uint32_t session_id;
	int have_session;
	EVP_PKEY *new_key; /* generated for this session */
	X509 *auth_cert; /* certificate used to authenticate (or NULL) */
	EVP_PKEY *auth_key;
};

static void
ssl_err(char *out, size_t cap)
{
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, out, cap);
	else
		snprintf(out, cap, "%s",
		    "handshake failed (connection closed by the server?)");
	ERR_clear_error();
}

static X509 *
load_cert(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x = NULL;

	if (b) {
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	ERR_clear_error();
	return x;
}

static EVP_PKEY *
load_key(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k = NULL;

	if (b) {
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	ERR_clear_error();
	return k;
}

/* The phone's certificate of the given kind ("lsc" or "mic") with its
 * key; 0 when both load and match. */
static int
load_pair(const struct phone *p, const char *kind, X509 **cert, EVP_PKEY **key)
{
	char c[4200], k[4200], cn[16], kn[16];

	snprintf(cn, sizeof(cn), "%s.pem", kind);
	snprintf(kn, sizeof(kn), "%s.key", kind);
	*cert = NULL;
	*key = NULL;
	if (phone_path(p, cn, c, sizeof(c)) < 0 ||
	    phone_path(p, kn, k, sizeof(k)) < 0)
		return -1;
	*cert = load_cert(c);
	*key = load_key(k);
	if (*cert && *key && X509_check_private_key(*cert, *key) == 1)
		return 0;
	ERR_clear_error();
	X509_free(*cert);
	EVP_PKEY_free(*key);
	*cert = NULL;
	*key = NULL;
	return -1;
}

static int
send_msg(struct capf_sess *s, struct buf *m)
{
	int rc;

	/* One TLS write per message (spec 5.2). */
	rc = SSL_write(s->ssl, m->data, (int)m->len);
	buf_free(m);
	return rc > 0 ? 0 : -1;
}

static int
read_exact(SSL *ssl, uint8_t *out, size_t len)
{
	size_t got = 0;

	while (got < len) {
		int n = SSL_read(ssl, out + got, (int)(len - got));

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* Next server message; NULL on a closed connection or a bad message
 * (s->p->capf.detail says why). */
static struct capf_msg *
recv_msg(struct capf_sess *s)
{
	uint8_t *data = xmalloc(CAPF_MAX_MESSAGE);
	struct capf_msg *m = NULL;
	struct capf_error ce = {0, NULL};
	size_t need = 0;
	int rc;

	if (read_exact(s->ssl, data, CAPF_HEADER_LEN) < 0) {
		snprintf(s->p->capf.detail, sizeof(s->p->capf.detail),
		    "connection closed or timed out without END_SESSION");
		goto out;
	}
	rc = capf_msg_frame_len(data, CAPF_HEADER_LEN, &need);
	if (rc != CAPF_OK) {
		snprintf(s->p->capf.detail, sizeof(s->p->capf.detail),
		    "bad message header: %s", capf_err_str(rc));
		goto out;
	}
	if (read_exact(s->ssl, data + CAPF_HEADER_LEN, need - CAPF_HEADER_LEN) <
	    0) {
		snprintf(s->p->capf.detail, sizeof(s->p->capf.detail),
		    "connection closed inside a message");
		goto out;
	}
	rc = capf_msg_parse(data, need, &m, &ce);
	if (rc != CAPF_OK) {
		snprintf(s->p->capf.detail, sizeof(s->p->capf.detail),
		    "bad message: %s at offset %zu", capf_err_str(rc),
		    ce.offset);
		m = NULL;
		goto out;
	}
	if (!s->have_session) {
		s->session_id = m->session_id;
		s->have_session = 1;
	} else if (m->session_id != s->session_id) {
		snprintf(s->p->capf.detail, sizeof(s->p->capf.detail),
		    "session id changed from %u to %u", s->session_id,
		    m->session_id);
		capf_msg_free(m);
		m = NULL;
	}
out:
	free(data);
	return m;
}

/* Build a raw PKCS#1 type-1 block over a bare hash and apply the private
 * key (spec 5.7.4, the reference client's form). */
static int
rsa_raw_sign(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t len,
    uint8_t **sig, size_t *sig_len)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hlen = 0;
	size_t k = (size_t)EVP_PKEY_get_size(key);
	uint8_t *em;
	EVP_PKEY_CTX *ctx = NULL;
	int rc = -1;

	if (EVP_Digest(data, len, h, &hlen, md, NULL) != 1 || k < hlen + 11)
		return -1;
	em = xmalloc(k);
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - hlen - 3);
	em[k - hlen - 1] = 0x00;
	memcpy(em + k - hlen, h, hlen);
	*sig = xmalloc(k);
	*sig_len = k;
	ctx = EVP_PKEY_CTX_new(key, NULL);
	if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
	    EVP_PKEY_sign(ctx, *sig, sig_len, em, k) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	free(em);
	if (rc < 0) {
		free(*sig);
		*sig = NULL;
	}
	return rc;
}

static int
ec_sign(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t len,
    uint8_t **sig, size_t *sig_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc = -1;

	*sig = NULL;
	if (c && EVP_DigestSignInit(c, NULL, md, NULL, key) == 1 &&
	    EVP_DigestSign(c, NULL, sig_len, data, len) == 1) {
		*sig = xmalloc(*sig_len);
		if (EVP_DigestSign(c, *sig, sig_len, data, len) == 1)
			rc = 0;
	}
	EVP_MD_CTX_free(c);
	if (rc < 0) {
		free(*sig);
		*sig = NULL;
	}
	return rc;
}

static int
sign_auth(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t len,
    uint8_t **sig, size_t *sig_len)
{
	if (EVP_PKEY_base_id(key) == EVP_PKEY_RSA)
		return rsa_raw_sign(key, md, data, len, sig, sig_len);
	return ec_sign(key, md, data, len, sig, sig_len);
}

static int
answer_auth(struct capf_sess *s, const struct capf_msg *req)
{
	struct phone *p = s->p;
	struct capf_auth_response a;
	struct buf out = BUF_INIT, tbs = BUF_INIT;
	uint8_t *der = NULL, *sig1 = NULL, *sig2 = NULL;
	size_t sig1_len = 0, sig2_len = 0;
	int der_len = 0, rc;

	if (req->version != CAPF_VERSION)
		phone_log(p, "CAPF AUTH_REQUEST version %d (expected 3)",
		    req->version);
	memset(&a, 0, sizeof(a));
	a.device_name = p->name;
	a.password = p->o->auth_string;
	if (s->auth_cert &&
	    (p->cfg.capf_auth_mode == CAPF_AUTH_TYPE_LSC ||
	        p->cfg.capf_auth_mode == CAPF_AUTH_TYPE_MIC)) {
		der_len = i2d_X509(s->auth_cert, &der);
		if (der_len <= 0) {
			snprintf(p->capf.detail, sizeof(p->capf.detail),
			    "cannot encode the certificate");
			return -1;
		}
		buf_append(&tbs, p->name, strlen(p->name) + 1);
		buf_append(&tbs, der, (size_t)der_len);
		if (sign_auth(s->auth_key, EVP_sha1(),
		        (const uint8_t *)tbs.data, tbs.len, &sig1,
		        &sig1_len) < 0 ||
		    sign_auth(s->auth_key, EVP_sha512(),
		        (const uint8_t *)tbs.data, tbs.len, &sig2,
		        &sig2_len) < 0) {
			ERR_clear_error();
			snprintf(p->capf.detail, sizeof(p->capf.detail),
			    "cannot sign the authentication data");
			OPENSSL_free(der);
			free(sig1);
			free(sig2);
			buf_free(&tbs);
			return -1;
		}
		a.cert_der = der;
		a.cert_der_len = (size_t)der_len;
		a.signed_data = sig1;
		a.signed_data_len = sig1_len;
		a.sha2_sig = sig2;
		a.sha2_sig_len = sig2_len;
	}
	rc = capf_build_auth_response(s->session_id, &a, &out);
	OPENSSL_free(der);
	free(sig1);
	free(sig2);
	buf_free(&tbs);
	if (rc != CAPF_OK) {
		snprintf(p->capf.detail, sizeof(p->capf.detail),
		    "cannot build AUTH_RESPONSE: %s", capf_err_str(rc));
		return -1;
	}
	return send_msg(s, &out);
}

static EVP_PKEY *
generate_key(const struct capf_msg *req, char *what, size_t cap)
{
	EVP_PKEY *k = NULL;

	if (req->key_type == CAPF_KEY_EC) {
		static const char *const curves[] = {"P-256", "P-384", "P-521"};

		if (req->curve < 0 || req->curve > 2) {
			snprintf(what, cap, "unknown curve %d", req->curve);
			return NULL;
		}
		snprintf(what, cap, "EC %s", curves[req->curve]);
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[req->curve]);
	} else {
		size_t bits = req->key_size > 0 ? (size_t)req->key_size : 2048;

		if (bits < 512 || bits > 4096) {
			snprintf(what, cap, "unsupported RSA size %zu", bits);
			return NULL;
		}
		snprintf(what, cap, "RSA %zu", bits);
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	}
	ERR_clear_error();
	return k;
}

/* --key-pool DIR (set by main.c before the phone threads start, read-only
 * afterwards; kept out of phone.h, declared extern in main.c). */
const char *phone_key_pool;

/* --key-pool: the phone's pre-generated key DIR/<MAC>.key (PEM, upper- or
 * lower-case MAC), used when it matches what the server asked for.  NULL
 * when there is none or it does not match (the caller then generates). */
static EVP_PKEY *
pool_key(
    const struct phone *p, const struct capf_msg *req, char *what, size_t cap)
{
	char path[4096], lower[13];
	EVP_PKEY *k = NULL;
	FILE *f;
	size_t i;

	for (i = 0; i < sizeof(lower) - 1 && p->mac[i]; i++)
		lower[i] = (char)tolower((unsigned char)p->mac[i]);
	lower[i] = '\0';
	snprintf(path, sizeof(path), "%s/%s.key", phone_key_pool, p->mac);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(
		    path, sizeof(path), "%s/%s.key", phone_key_pool, lower);
		f = fopen(path, "r");
	}
	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (k == NULL) {
		phone_log(
		    p, "CAPF key pool: %s is not a PEM private key", path);
		return NULL;
	}
	if (req->key_type == CAPF_KEY_EC) {
		static const char *const curves[] = {"P-256", "P-384", "P-521"};
		char grp[32];

		if (req->curve >= 0 && req->curve <= 2 &&
		    EVP_PKEY_is_a(k, "EC") &&
		    EVP_PKEY_get_utf8_string_param(
		        k, "group", grp, sizeof(grp), NULL) == 1 &&
		    (strcmp(grp, curves[req->curve]) == 0 ||
		        OBJ_txt2nid(grp) ==
		            EC_curve_nist2nid(curves[req->curve]))) {
			snprintf(what, cap, "EC %s", curves[req->curve]);
			return k;
		}
	} else {
		int bits = req->key_size > 0 ? req->key_size : 2048;

		if (EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) == bits) {
			snprintf(what, cap, "RSA %d", bits);
			return k;
		}
	}
	ERR_clear_error();
	phone_log(p, "CAPF key pool: %s does not match the request; generating",
	    path);
	EVP_PKEY_free(k);
	return NULL;
}

static int
answer_keygen(struct capf_sess *s, const struct capf_msg *req)
{
	struct phone *p = s->p;
	struct buf out = BUF_INIT;
	uint8_t *spki = NULL;
	char what[64];
	int len, rc, pooled;

	if (p->o->no_keygen_answer) {
		phone_log(p,
		    "CAPF KEY_GENERATE_REQUEST ignored "
		    "(--no-keygen-answer)");
		return 0;
	}
	if (capf_build_request_in_progress(s->session_id, &out) != CAPF_OK ||
	    send_msg(s, &out) < 0)
		return -1;
	if (p->o->keygen_delay_s)
		sleep(p->o->keygen_delay_s);
	EVP_PKEY_free(s->new_key);
	s->new_key = NULL;
	pooled = 0;
	if (req->key_type == CAPF_KEY_EC &&
	    (p->trust == NULL ||
	        !(p->trust->signer_version_major > 1 ||
	            (p->trust->signer_version_major == 1 &&
	                p->trust->signer_version_minor >= 1)))) {
		/* Like a phone: EC enrollment only under a 1.1 trust list
		 * (formats.md 2.10). */
		snprintf(what, sizeof(what),
		    "EC asked for, the trust list is SIGNER_VERSION 1.0");
	} else {
		s->new_key = phone_key_pool
		    ? pool_key(p, req, what, sizeof(what))
		    : NULL;
		pooled = s->new_key != NULL;
		if (s->new_key == NULL)
			s->new_key = generate_key(req, what, sizeof(what));
	}
	if (s->new_key == NULL || (len = i2d_PUBKEY(s->new_key, &spki)) <= 0) {
		phone_log(p, "CAPF key generation failed (%s)", what);
		rc = capf_build_key_gen_response(
		    s->session_id, NULL, 0, CAPF_REASON_INVALID_ELEMENT, &out);
	} else {
		phone_log(p, "CAPF %s an %s key%s",
		    pooled ? "took" : "generated", what,
		    pooled ? " from the key pool" : "");
		rc = capf_build_key_gen_response(
		    s->session_id, spki, (size_t)len, 0, &out);
	}
	OPENSSL_free(spki);
	if (rc != CAPF_OK)
		return -1;
	return send_msg(s, &out);
}

static int
store_lsc(struct phone *p, X509 *cert, EVP_PKEY *key)
{
	char path[4200];
	BIO *b = BIO_new(BIO_s_mem());
	char *mem;
	long len;
	int rc = -1;

	if (b == NULL)
		return -1;
	if (PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	len = BIO_get_mem_data(b, &mem);
	if (phone_path(p, "lsc.key", path, sizeof(path)) < 0 ||
	    phone_write_file(path, mem, (size_t)len, 0600) < 0)
		goto out;
	(void)BIO_reset(b);
	if (PEM_write_bio_X509(b, cert) != 1)
		goto out;
	len = BIO_get_mem_data(b, &mem);
	if (phone_path(p, "lsc.pem", path, sizeof(path)) < 0 ||
	    phone_write_file(path, mem, (size_t)len, 0644) < 0)
		goto out;
	rc = 0;
out:
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

static int
answer_store(struct capf_sess *s, const struct capf_msg *req)
{
	struct phone *p = s->p;
	struct buf out = BUF_INIT;
	const uint8_t *d = req->cert.der.data;
	X509 *cert = NULL;
	int reason = CAPF_REASON_INVALID_ELEMENT;

	if (!req->has_cert)
		phone_log(p,
		    "CAPF STORE_CERTIFICATE_REQUEST without a "
		    "certificate");
	else if ((cert = d2i_X509(NULL, &d, (long)req->cert.der.len)) == NULL)
		phone_log(p, "CAPF store: the certificate is not DER X.509");
	else if (s->new_key == NULL)
		phone_log(p,
		    "CAPF store: no key was generated in this "
		    "session");
	else if (EVP_PKEY_eq(X509_get0_pubkey(cert), s->new_key) != 1)
		phone_log(p,
		    "CAPF store: the certificate does not match the "
		    "generated key");
	else if (store_lsc(p, cert, s->new_key) < 0)
		phone_log(p, "CAPF store: cannot write lsc.pem/lsc.key: %s",
		    strerror(errno));
	else {
		reason = CAPF_REASON_UPDATE_CERT;
		phone_log(p, "CAPF LSC stored");
	}
	ERR_clear_error();
	X509_free(cert);
	if (capf_build_store_cert_response(s->session_id, reason, &out) !=
	    CAPF_OK)
		return -1;
	return send_msg(s, &out);
}

static int
answer_fetch(struct capf_sess *s)
{
	struct buf out = BUF_INIT;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	uint8_t *der = NULL;
	int len = 0, rc;

	if (load_pair(s->p, "lsc", &c, &k) < 0)
		(void)load_pair(s->p, "mic", &c, &k);
	if (c)
		len = i2d_X509(c, &der);
	rc = capf_build_fetch_cert_response(s->session_id, len > 0 ? der : NULL,
	    len > 0 ? (size_t)len : 0, &out);
	OPENSSL_free(der);
	X509_free(c);
	EVP_PKEY_free(k);
	if (rc != CAPF_OK)
		return -1;
	return send_msg(s, &out);
}

static int
answer_delete(struct capf_sess *s)
{
	struct buf out = BUF_INIT;
	char a[4200], b[4200];
	int reason = CAPF_REASON_INVALID_ELEMENT;

	if (phone_path(s->p, "lsc.pem", a, sizeof(a)) == 0 &&
	    phone_path(s->p, "lsc.key", b, sizeof(b)) == 0) {
		int ra = unlink(a), rb = unlink(b);

		if (ra == 0 || rb == 0)
			reason = CAPF_REASON_UPDATE_CERT;
	}
	if (capf_build_delete_cert_response(s->session_id, reason, &out) !=
	    CAPF_OK)
		return -1;
	return send_msg(s, &out);
}

/* Does the server's leaf certificate match a CAPF record? */
static int
check_server_cert(struct capf_sess *s, char *why, size_t cap)
{
	struct phone *p = s->p;
	X509 *peer = SSL_get1_peer_certificate(s->ssl);
	uint8_t *der = NULL;
	int der_len, ok = 0, records = 0;

	if (peer == NULL) {
		snprintf(why, cap, "the CAPF server sent no certificate");
		return -1;
	}
	der_len = i2d_X509(peer, &der);
	for (size_t i = 0; p->trust && i < p->trust->n_records; i++) {
		const struct tlv_record *r = &p->trust->records[i];
		const uint8_t *d = r->certificate.data;
		X509 *rc;

		if (r->role != TLV_ROLE_CAPF || r->certificate.len == 0)
			continue;
		records++;
		if (der_len > 0 && (size_t)der_len == r->certificate.len &&
		    memcmp(der, r->certificate.data, r->certificate.len) == 0) {
			ok = 1;
			break;
		}
		rc = d2i_X509(NULL, &d, (long)r->certificate.len);
		if (rc &&
		    EVP_PKEY_eq(X509_get0_pubkey(rc), X509_get0_pubkey(peer)) ==
		        1)
			ok = 1;
		X509_free(rc);
		if (ok)
			break;
	}
	ERR_clear_error();
	if (!ok) {
		char subj[256] = "";

		X509_NAME_oneline(
		    X509_get_subject_name(peer), subj, sizeof(subj));
		if (records == 0)
			snprintf(why, cap,
			    "the trust list has no CAPF record to check the "
			    "server certificate %s against",
			    subj);
		else
			snprintf(why, cap,
			    "the CAPF server certificate %s matches no CAPF "
			    "record of the trust list",
			    subj);
	}
	OPENSSL_free(der);
	X509_free(peer);
	return ok ? 0 : -1;
}

static int
tcp_connect(const struct phone *p, const char *host, unsigned port,
    unsigned timeout_s, char *err, size_t cap)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[16];
	int fd = -1, gai, saved = 0;
	struct timeval tv = {.tv_sec = (time_t)timeout_s, .tv_usec = 0};

	snprintf(ps, sizeof(ps), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(host, ps, &hints, &res);
	if (gai != 0) {
		snprintf(
		    err, cap, "CAPF %s:%u: %s", host, port, gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (phone_bind_source(p, fd, ai->ai_family) == 0 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, cap, "CAPF %s:%u: connect: %s", host, port,
		    strerror(saved ? saved : ECONNREFUSED));
	return fd;
}

static const char *
op_of(int cmd)
{
	switch (cmd) {
	case CAPF_CMD_KEY_GEN_REQUEST:
	case CAPF_CMD_STORE_CERT_REQUEST:
		return "install";
	case CAPF_CMD_FETCH_CERT_REQUEST:
		return "fetch";
	case CAPF_CMD_DELETE_CERT_REQUEST:
		return "delete";
	default:
		return NULL;
	}
}

static int
session_loop(struct capf_sess *s)
{
	struct phone *p = s->p;

	for (;;) {
		struct capf_msg *m = recv_msg(s);
		const char *op;
		int rc = 0;

		if (m == NULL)
			return -1;
		if ((op = op_of(m->command)) != NULL)
			p->capf.operation = op;
		switch (m->command) {
		case CAPF_CMD_AUTH_REQUEST:
			rc = answer_auth(s, m);
			break;
		case CAPF_CMD_KEY_GEN_REQUEST:
			rc = answer_keygen(s, m);
			break;
		case CAPF_CMD_STORE_CERT_REQUEST:
			rc = answer_store(s, m);
			break;
		case CAPF_CMD_FETCH_CERT_REQUEST:
			rc = answer_fetch(s);
			break;
		case CAPF_CMD_DELETE_CERT_REQUEST:
			rc = answer_delete(s);
			break;
		case CAPF_CMD_END_SESSION:
			p->capf.end_reason = m->reason;
			capf_msg_free(m);
			snprintf(p->capf.detail, sizeof(p->capf.detail),
			    "END_SESSION reason %d", p->capf.end_reason);
			return p->capf.end_reason == CAPF_REASON_NO_ACTION ||
			        p->capf.end_reason == CAPF_REASON_UPDATE_CERT
			    ? 0
			    : -1;
		default:
			phone_log(p, "CAPF: ignoring %s",
			    capf_cmd_str(m->command) ? capf_cmd_str(m->command)
			                             : "unknown command");
			break;
		}
		capf_msg_free(m);
		if (rc < 0) {
			if (p->capf.detail[0] == '\0')
				snprintf(p->capf.detail, sizeof(p->capf.detail),
				    "cannot send to the CAPF server");
			return -1;
		}
	}
}

int
phone_capf_run(struct phone *p)
{
	struct capf_sess s;
	SSL_CTX *ctx = NULL;
	char why[300];
	int fd = -1, rc = -1, mode = p->cfg.capf_auth_mode;
	X509 *lsc = NULL, *mic = NULL;
	EVP_PKEY *lsc_key = NULL, *mic_key = NULL;

	p->state = PHONE_CAPF;
	memset(&s, 0, sizeof(s));
	s.p = p;
	p->capf.ran = 1;
	p->capf.operation = "none";
	p->capf.end_reason = -1;
	p->capf.detail[0] = '\0';

	(void)load_pair(p, "lsc", &lsc, &lsc_key);
	(void)load_pair(p, "mic", &mic, &mic_key);
	/* capfAuthMode 3: LSC first, MIC as fallback; 4: MIC first. */
	if (mode == CAPF_AUTH_TYPE_MIC ? mic != NULL : lsc == NULL) {
		s.auth_cert = mic;
		s.auth_key = mic_key;
	} else {
		s.auth_cert = lsc;
		s.auth_key = lsc_key;
	}
	if ((mode == CAPF_AUTH_TYPE_LSC || mode == CAPF_AUTH_TYPE_MIC) &&
	    s.auth_cert == NULL) {
		snprintf(p->capf.detail, sizeof(p->capf.detail),
		    "capfAuthMode %d needs an LSC or a MIC (--mic-cert)", mode);
		goto out;
	}
	if (mode == CAPF_AUTH_TYPE_PASSWORD && p->o->auth_string == NULL)
		phone_log(p,
		    "capfAuthMode 1 but no --auth-string: sending an "
		    "empty one");

	fd = tcp_connect(p, p->cfg.capf_host, p->cfg.capf_port, p->o->timeout_s,
	    p->capf.detail, sizeof(p->capf.detail));
	if (fd < 0)
		goto out;
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		goto tls_fail;
	/* 7900-series phones speak TLS 1.0 (spec 5.1): accept old servers. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	/* The chain is checked against the trust list after the handshake,
	 * not against a CA store. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (s.auth_cert &&
	    (SSL_CTX_use_certificate(ctx, s.auth_cert) != 1 ||
	        SSL_CTX_use_PrivateKey(ctx, s.auth_key) != 1))
		goto tls_fail;
	s.ssl = SSL_new(ctx);
	if (s.ssl == NULL || SSL_set_fd(s.ssl, fd) != 1)
		goto tls_fail;
	SSL_set_tlsext_host_name(s.ssl, p->cfg.capf_host);
	if (SSL_connect(s.ssl) != 1)
		goto tls_fail;
	if (check_server_cert(&s, why, sizeof(why)) < 0) {
		snprintf(p->capf.detail, sizeof(p->capf.detail), "%s", why);
		goto out;
	}
	phone_log(p, "CAPF TLS session with %s:%u (%s)", p->cfg.capf_host,
	    p->cfg.capf_port, SSL_get_version(s.ssl));
	rc = session_loop(&s);
	goto out;
tls_fail:
	ssl_err(why, sizeof(why));
	snprintf(p->capf.detail, sizeof(p->capf.detail), "CAPF TLS: %s", why);
out:
	if (s.ssl) {
		(void)SSL_shutdown(s.ssl);
		SSL_free(s.ssl);
	}
	ERR_clear_error();
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	EVP_PKEY_free(s.new_key);
	X509_free(lsc);
	X509_free(mic);
	EVP_PKEY_free(lsc_key);
	EVP_PKEY_free(mic_key);
	p->capf.ok = rc == 0;
	return rc;
}

static void
time_iso(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;

	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, cap, "%s", "");
}

void
phone_lsc_info(const struct phone *p, char *serial, size_t serial_cap,
    char *subject, size_t subject_cap, char *not_after, size_t na_cap)
{
	char path[4200];
	X509 *c = NULL;

	serial[0] = subject[0] = not_after[0] = '\0';
	if (phone_path(p, "lsc.pem", path, sizeof(path)) == 0)
		c = load_cert(path);
	if (c) {
		BIGNUM *bn =
		    ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
		char *h = bn ? BN_bn2hex(bn) : NULL;
		/* The DN style of the trust lists (spec 1.4.2). */
		char *dn = tlv_name_string(X509_get_subject_name(c));

		snprintf(serial, serial_cap, "%s", h ? h : "");
		snprintf(subject, subject_cap, "%s", dn ? dn : "");
		free(dn);
		OPENSSL_free(h);
		BN_free(bn);
		time_iso(X509_get0_notAfter(c), not_after, na_cap);
		X509_free(c);
	}
	ERR_clear_error();
}
