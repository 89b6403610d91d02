/*
 * CAPF message codec.  See capf.h and shared/spec/formats.md section 5.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fmt/capf.h"

const char *
capf_err_str(int err)
{
	switch (err) {
	case CAPF_OK:
		return "success";
	case CAPF_E_TRUNCATED:
		return "truncated message";
	case CAPF_E_PROTOCOL:
		return "protocol id is not 0x55";
	case CAPF_E_COMMAND:
		return "unknown command";
	case CAPF_E_FORMAT:
		return "malformed element";
	case CAPF_E_DUPLICATE:
		return "duplicated element";
	case CAPF_E_TRAILING:
		return "trailing bytes after the message";
	case CAPF_E_TOOBIG:
		return "field or message too large";
	case CAPF_E_ARG:
		return "invalid argument";
	default:
		return "unknown error";
	}
}

static const char *const cmd_names[] = {
    NULL,
    "AUTH_REQUEST",
    "AUTH_RESPONSE",
    "KEY_GENERATE_REQUEST",
    "KEY_GENERATE_RESPONSE",
    "ENCRYPT_RESPONSE",
    "ENCRYPT_REQUEST",
    "DECRYPT_REQUEST",
    "DECRYPT_RESPONSE",
    "STORE_CERTIFICATE_REQUEST",
    "STORE_CERTIFICATE_RESPONSE",
    "FETCH_CERTIFICATE_REQUEST",
    "FETCH_CERTIFICATE_RESPONSE",
    "DELETE_CERTIFICATE_REQUEST",
    "DELETE_CERTIFICATE_RESPONSE",
    "END_SESSION",
    "RETRY_LATER",
    "REQUEST_IN_PROGRESS",
    "STATUS_REQUEST",
    "STATUS_RESPONSE",
    "ABORT_REQUEST",
    "ABORT_RESPONSE",
    "SIGN_CERTIFICATE_REQUEST",
    "SIGN_CERTIFICATE_RESPONSE",
};

const char *
capf_cmd_str(int cmd)
{
	if (cmd < 1 || cmd > CAPF_CMD_SIGN_CERT_RESPONSE)
		return NULL;
	return cmd_names[cmd];
}

/* ------------------------------------------------------------------ */
/* Bounded reader */

struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static int
rd_u8(struct rd *r, uint8_t *v)
{
	if (r->len - r->off < 1)
		return -1;
	*v = r->p[r->off++];
	return 0;
}

static int
rd_u16be(struct rd *r, uint16_t *v)
{
	if (r->len - r->off < 2)
		return -1;
	*v = (uint16_t)((unsigned)r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return 0;
}

static int
rd_u32be(struct rd *r, uint32_t *v)
{
	if (r->len - r->off < 4)
		return -1;
	*v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	    (uint32_t)r->p[r->off + 2] << 8 | (uint32_t)r->p[r->off + 3];
	r->off += 4;
	return 0;
}

static int
rd_bytes(struct rd *r, size_t n, const uint8_t **v)
{
	if (r->len - r->off < n)
		return -1;
	*v = r->p + r->off;
	r->off += n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parser */

static int
fail(struct capf_error *err, size_t offset, const char *what, int rc)
{
	if (err != NULL) {
		err->offset = offset;
		err->what = what;
	}
	return rc;
}

int
capf_msg_frame_len(const uint8_t *data, size_t len, size_t *need)
{
	if (need == NULL || (data == NULL && len != 0))
		return CAPF_E_ARG;
	*need = CAPF_HEADER_LEN;
	if (len >= 1 && data[0] != CAPF_PROTOCOL_ID)
		return CAPF_E_PROTOCOL;
	if (len >= 2 && capf_cmd_str(data[1]) == NULL)
		return CAPF_E_COMMAND;
	if (len < CAPF_HEADER_LEN)
		return CAPF_E_TRUNCATED;
	*need = CAPF_HEADER_LEN + ((size_t)data[6] << 8 | data[7]);
	return CAPF_OK;
}

void
capf_msg_free(struct capf_msg *m)
{
	if (m == NULL)
		return;
	secret_free(m->password);
	free(m->device_name);
	if (m->data != NULL) {
		OPENSSL_cleanse(m->data, m->len);
		free(m->data);
	}
	free(m->elems);
	free(m);
}

const struct capf_elem *
capf_msg_find(const struct capf_msg *m, int tag)
{
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < m->n_elems; i++)
		if (m->elems[i].tag == tag)
			return &m->elems[i];
	return NULL;
}

static int
is_known_tag(uint8_t tag)
{
	return (tag >= 1 && tag <= 13) || (tag >= 16 && tag <= 20);
}

/* A string value: no interior NUL; the trailing NUL is optional. */
static int
elem_string(const struct capf_elem *e, char **out)
{
	size_t n = e->len;

	if (n > 0 && e->value[n - 1] == 0)
		n--;
	if (memchr(e->value, 0, n) != NULL)
		return -1;
	*out = xmalloc(n + 1);
	memcpy(*out, e->value, n);
	(*out)[n] = '\0';
	return 0;
}

static int
parse_sudi(const struct capf_elem *e, struct capf_sudi *s)
{
	struct rd r = {e->value, e->len, 0};
	uint8_t *ids[3] = {&s->cert_id, &s->sig1_id, &s->sig2_id};
	struct capf_bytes *parts[3] = {&s->cert, &s->sig1, &s->sig2};

	for (int i = 0; i < 3; i++) {
		uint16_t l;

		if (rd_u8(&r, ids[i]) != 0 || rd_u16be(&r, &l) != 0 ||
		    rd_bytes(&r, l, &parts[i]->data) != 0)
			return -1;
		parts[i]->len = l;
	}
	return r.off == r.len ? 0 : -1;
}

/* Interpret one known element into m; *what says why it is bad. */
static int
parse_known(struct capf_msg *m, const struct capf_elem *e, const char **what)
{
	uint8_t u8 = e->len > 0 ? e->value[0] : 0;

	switch (e->tag) {
	case CAPF_TAG_REASON:
	case CAPF_TAG_CERT_TYPE:
	case CAPF_TAG_VERSION:
	case CAPF_TAG_AUTH_TYPE:
	case CAPF_TAG_KEY_TYPE:
	case CAPF_TAG_CURVE:
		if (e->len != 1) {
			*what = "one-byte element with length other than 1";
			return -1;
		}
		if (e->tag == CAPF_TAG_REASON)
			m->reason = u8;
		else if (e->tag == CAPF_TAG_CERT_TYPE)
			m->cert_type = u8;
		else if (e->tag == CAPF_TAG_VERSION)
			m->version = u8;
		else if (e->tag == CAPF_TAG_AUTH_TYPE)
			m->auth_type = u8;
		else if (e->tag == CAPF_TAG_KEY_TYPE)
			m->key_type = u8;
		else
			m->curve = u8;
		return 0;
	case CAPF_TAG_KEY_SIZE:
		if (e->len != 2) {
			*what = "KEY_SIZE length is not 2";
			return -1;
		}
		m->key_size = (int)((unsigned)e->value[0] << 8 | e->value[1]);
		return 0;
	case CAPF_TAG_REASON_INFO:
		m->reason_info.data = e->value;
		m->reason_info.len = e->len;
		return 0;
	case CAPF_TAG_CERTIFICATE:
		if (e->len < 5) {
			*what = "CERTIFICATE shorter than its 5-byte prefix";
			return -1;
		}
		m->has_cert = 1;
		m->cert.prefix0 = e->value[0];
		m->cert.inner_len =
		    (uint16_t)((unsigned)e->value[1] << 8 | e->value[2]);
		m->cert.prefix3 = e->value[3];
		m->cert.cert_type = e->value[4];
		m->cert.der.data = e->value + 5;
		m->cert.der.len = e->len - 5u;
		return 0;
	case CAPF_TAG_SIGNED_DATA:
		m->signed_data.data = e->value;
		m->signed_data.len = e->len;
		return 0;
	case CAPF_TAG_PUBLIC_KEY:
		m->public_key.data = e->value;
		m->public_key.len = e->len;
		return 0;
	case CAPF_TAG_PASSWORD:
		if (elem_string(e, &m->password) != 0) {
			*what = "PASSWORD has an interior NUL";
			return -1;
		}
		return 0;
	case CAPF_TAG_DEVICE_NAME:
		if (elem_string(e, &m->device_name) != 0) {
			*what = "DEVICE_NAME has an interior NUL";
			return -1;
		}
		return 0;
	case CAPF_TAG_SHA2_SIGNED_DATA: {
		size_t l;

		if (e->len < 3) {
			*what = "SHA2_SIGNED_DATA shorter than 3 bytes";
			return -1;
		}
		l = (size_t)e->value[1] << 8 | e->value[2];
		if (l != e->len - 3u) {
			*what =
			    "SHA2_SIGNED_DATA sig_len disagrees with length";
			return -1;
		}
		m->has_sha2_sig = 1;
		m->sha2_sig.hash_id = e->value[0];
		m->sha2_sig.sig.data = e->value + 3;
		m->sha2_sig.sig.len = l;
		return 0;
	}
	case CAPF_TAG_SUDI_DATA:
		if (parse_sudi(e, &m->sudi) != 0) {
			*what = "SUDI_DATA parts do not fill the element";
			return -1;
		}
		m->has_sudi = 1;
		return 0;
	default:
		/* 5, 12, 19: known tags of unknown encoding, kept raw. */
		return 0;
	}
}

int
capf_msg_parse(const uint8_t *data, size_t len, struct capf_msg **out,
    struct capf_error *err)
{
	struct capf_msg *m = NULL;
	struct rd r;
	size_t need, cap;
	uint32_t seen = 0;
	int rc;

	if (out == NULL || (data == NULL && len != 0))
		return fail(err, 0, "bad argument", CAPF_E_ARG);
	rc = capf_msg_frame_len(data, len, &need);
	if (rc == CAPF_E_PROTOCOL)
		return fail(err, 0, "protocol id is not 0x55", rc);
	if (rc == CAPF_E_COMMAND)
		return fail(err, 1, "command id not in 1..23", rc);
	if (rc != CAPF_OK)
		return fail(err, len, "message shorter than its header", rc);
	if (len < need)
		return fail(err, len, "payload_len runs past the end",
		    CAPF_E_TRUNCATED);
	if (len > need)
		return fail(
		    err, need, "bytes after payload_len", CAPF_E_TRAILING);

	m = xcalloc(1, sizeof(*m));
	m->data = xmalloc(len);
	memcpy(m->data, data, len);
	m->len = len;
	m->reason = m->cert_type = m->version = m->auth_type = -1;
	m->key_size = m->key_type = m->curve = -1;

	r.p = m->data;
	r.len = len;
	r.off = 0;
	(void)rd_u8(&r, &m->protocol);
	(void)rd_u8(&r, &m->command);
	(void)rd_u32be(&r, &m->session_id);
	(void)rd_u16be(&r, &m->payload_len);

	/* Each element takes at least 3 bytes: bound the array. */
	cap = m->payload_len / 3 + 1;
	m->elems = xcalloc(cap, sizeof(*m->elems));
	while (r.off < r.len) {
		struct capf_elem *e = &m->elems[m->n_elems];
		const char *what = NULL;

		e->offset = r.off;
		if (rd_u8(&r, &e->tag) != 0 || rd_u16be(&r, &e->len) != 0) {
			rc = fail(err, e->offset, "element header truncated",
			    CAPF_E_TRUNCATED);
			goto out;
		}
		if (rd_bytes(&r, e->len, &e->value) != 0) {
			rc = fail(err, e->offset + 1,
			    "element length runs past the payload",
			    CAPF_E_TRUNCATED);
			goto out;
		}
		m->n_elems++;
		if (!is_known_tag(e->tag)) {
			m->n_unknown++;
			continue;
		}
		if (seen & (1u << e->tag)) {
			rc = fail(err, e->offset, "element appears twice",
			    CAPF_E_DUPLICATE);
			goto out;
		}
		seen |= 1u << e->tag;
		if (parse_known(m, e, &what) != 0) {
			rc = fail(err, e->offset, what, CAPF_E_FORMAT);
			goto out;
		}
	}
	*out = m;
	m = NULL;
	rc = CAPF_OK;
out:
	capf_msg_free(m);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Builders */

static void
put_u16be(struct buf *b, size_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	buf_append(b, x, 2);
}

int
capf_build_msg(uint8_t command, uint32_t session_id,
    const struct capf_elem_in *elems, size_t n_elems, struct buf *out)
{
	uint8_t hdr[8];
	size_t payload = 0;

	if (out == NULL || (elems == NULL && n_elems != 0))
		return CAPF_E_ARG;
	for (size_t i = 0; i < n_elems; i++) {
		if (elems[i].value == NULL && elems[i].len != 0)
			return CAPF_E_ARG;
		if (elems[i].len > CAPF_MAX_PAYLOAD)
			return CAPF_E_TOOBIG;
		payload += 3 + elems[i].len;
		if (payload > CAPF_MAX_PAYLOAD)
			return CAPF_E_TOOBIG;
	}
	hdr[0] = CAPF_PROTOCOL_ID;
	hdr[1] = command;
	hdr[2] = (uint8_t)(session_id >> 24);
	hdr[3] = (uint8_t)(session_id >> 16);
	hdr[4] = (uint8_t)(session_id >> 8);
	hdr[5] = (uint8_t)session_id;
	hdr[6] = (uint8_t)(payload >> 8);
	hdr[7] = (uint8_t)payload;
	buf_grow(out, sizeof(hdr) + payload);
	buf_append(out, hdr, sizeof(hdr));
	for (size_t i = 0; i < n_elems; i++) {
		uint8_t tag = elems[i].tag;

		buf_append(out, &tag, 1);
		put_u16be(out, elems[i].len);
		if (elems[i].len != 0)
			buf_append(out, elems[i].value, elems[i].len);
	}
	return CAPF_OK;
}

static int
is_u8(int v)
{
	return v >= 0 && v <= 255;
}

/* CERTIFICATE value: 01 | u16(der_len + 2) | 00 | type | der. */
static int
cert_value(const uint8_t *der, size_t der_len, uint8_t type, struct buf *v)
{
	uint8_t pre[5];

	if (der == NULL || der_len == 0)
		return CAPF_E_ARG;
	if (der_len > CAPF_MAX_CERT)
		return CAPF_E_TOOBIG;
	pre[0] = 0x01;
	pre[1] = (uint8_t)((der_len + 2) >> 8);
	pre[2] = (uint8_t)(der_len + 2);
	pre[3] = 0x00;
	pre[4] = type;
	buf_append(v, pre, sizeof(pre));
	buf_append(v, der, der_len);
	return CAPF_OK;
}

int
capf_build_auth_request(uint32_t session_id, int auth_type, struct buf *out)
{
	uint8_t version = CAPF_VERSION, at = (uint8_t)auth_type;
	struct capf_elem_in e[] = {
	    {CAPF_TAG_VERSION, &version, 1},
	    {CAPF_TAG_AUTH_TYPE, &at, 1},
	};

	if (auth_type < CAPF_AUTH_TYPE_NONE || auth_type > CAPF_AUTH_TYPE_MIC)
		return CAPF_E_ARG;
	return capf_build_msg(CAPF_CMD_AUTH_REQUEST, session_id, e, 2, out);
}

int
capf_build_key_gen_request(
    uint32_t session_id, int key_type, int key_size, int curve, struct buf *out)
{
	uint8_t size[2] = {(uint8_t)(key_size >> 8), (uint8_t)key_size};
	uint8_t kt = (uint8_t)key_type, cv = (uint8_t)curve;

	if (key_type == CAPF_KEY_RSA) {
		struct capf_elem_in e[] = {
		    {CAPF_TAG_KEY_SIZE, size, 2},
		    {CAPF_TAG_KEY_TYPE, &kt, 1},
		};

		if (key_size != 512 && key_size != 1024 && key_size != 2048 &&
		    key_size != 3072 && key_size != 4096)
			return CAPF_E_ARG;
		return capf_build_msg(
		    CAPF_CMD_KEY_GEN_REQUEST, session_id, e, 2, out);
	}
	if (key_type == CAPF_KEY_EC) {
		struct capf_elem_in e[] = {
		    {CAPF_TAG_KEY_TYPE, &kt, 1},
		    {CAPF_TAG_CURVE, &cv, 1},
		};

		if (curve < CAPF_CURVE_P256 || curve > CAPF_CURVE_P521)
			return CAPF_E_ARG;
		return capf_build_msg(
		    CAPF_CMD_KEY_GEN_REQUEST, session_id, e, 2, out);
	}
	return CAPF_E_ARG;
}

int
capf_build_store_cert_request(
    uint32_t session_id, const uint8_t *der, size_t der_len, struct buf *out)
{
	struct buf v = BUF_INIT;
	uint8_t type = CAPF_CERT_LSC;
	int rc;

	if ((rc = cert_value(der, der_len, CAPF_CERT_LSC, &v)) == CAPF_OK) {
		struct capf_elem_in e[] = {
		    {CAPF_TAG_CERT_TYPE, &type, 1},
		    {CAPF_TAG_CERTIFICATE, v.data, v.len},
		};

		rc = capf_build_msg(
		    CAPF_CMD_STORE_CERT_REQUEST, session_id, e, 2, out);
	}
	buf_free(&v);
	return rc;
}

int
capf_build_fetch_cert_request(uint32_t session_id, struct buf *out)
{
	return capf_build_msg(
	    CAPF_CMD_FETCH_CERT_REQUEST, session_id, NULL, 0, out);
}

int
capf_build_delete_cert_request(uint32_t session_id, struct buf *out)
{
	return capf_build_msg(
	    CAPF_CMD_DELETE_CERT_REQUEST, session_id, NULL, 0, out);
}

static int
build_reason(uint8_t command, uint32_t session_id, int reason, struct buf *out)
{
	uint8_t r = (uint8_t)reason;
	struct capf_elem_in e = {CAPF_TAG_REASON, &r, 1};

	if (!is_u8(reason))
		return CAPF_E_ARG;
	return capf_build_msg(command, session_id, &e, 1, out);
}

int
capf_build_end_session(uint32_t session_id, int reason, struct buf *out)
{
	return build_reason(CAPF_CMD_END_SESSION, session_id, reason, out);
}

/* A NUL-terminated string element value (the NUL included). */
static int
string_len(const char *s, size_t *len)
{
	size_t n = strlen(s) + 1;

	if (n > CAPF_MAX_PAYLOAD)
		return CAPF_E_TOOBIG;
	*len = n;
	return CAPF_OK;
}

static int
sudi_value(const struct capf_auth_response *a, struct buf *v)
{
	const uint8_t ids[3] = {0x00, CAPF_DIGEST_SHA1, CAPF_DIGEST_SHA512};
	const uint8_t *p[3] = {a->sudi_cert, a->sudi_sig1, a->sudi_sig2};
	size_t n[3] = {a->sudi_cert_len, a->sudi_sig1_len, a->sudi_sig2_len};

	for (int i = 0; i < 3; i++) {
		if (p[i] == NULL && n[i] != 0)
			return CAPF_E_ARG;
		if (n[i] > CAPF_MAX_PAYLOAD)
			return CAPF_E_TOOBIG;
		buf_append(v, &ids[i], 1);
		put_u16be(v, n[i]);
		if (n[i] != 0)
			buf_append(v, p[i], n[i]);
	}
	return CAPF_OK;
}

int
capf_build_auth_response(
    uint32_t session_id, const struct capf_auth_response *a, struct buf *out)
{
	struct capf_elem_in e[8];
	struct buf cert = BUF_INIT, sha2 = BUF_INIT, sudi = BUF_INIT;
	uint8_t reason = CAPF_REASON_UPDATE_CERT, version = CAPF_VERSION;
	const char *pw;
	size_t n = 0, pw_len = 0, dn_len = 0;
	int rc;

	if (a == NULL || a->device_name == NULL)
		return CAPF_E_ARG;
	pw = a->password != NULL ? a->password : "";
	if ((rc = string_len(pw, &pw_len)) != CAPF_OK ||
	    (rc = string_len(a->device_name, &dn_len)) != CAPF_OK)
		return rc;
	if ((a->signed_data == NULL && a->signed_data_len != 0) ||
	    (a->sha2_sig == NULL && a->sha2_sig_len != 0))
		return CAPF_E_ARG;

	e[n++] = (struct capf_elem_in){CAPF_TAG_REASON, &reason, 1};
	if (a->cert_der != NULL) {
		rc = cert_value(
		    a->cert_der, a->cert_der_len, CAPF_CERT_LSC, &cert);
		if (rc != CAPF_OK)
			goto out;
		e[n++] = (struct capf_elem_in){
		    CAPF_TAG_CERTIFICATE, cert.data, cert.len};
	}
	if (a->signed_data != NULL)
		e[n++] = (struct capf_elem_in){
		    CAPF_TAG_SIGNED_DATA, a->signed_data, a->signed_data_len};
	e[n++] = (struct capf_elem_in){CAPF_TAG_VERSION, &version, 1};
	e[n++] = (struct capf_elem_in){CAPF_TAG_PASSWORD, pw, pw_len};
	e[n++] =
	    (struct capf_elem_in){CAPF_TAG_DEVICE_NAME, a->device_name, dn_len};
	if (a->sudi_cert != NULL) {
		if ((rc = sudi_value(a, &sudi)) != CAPF_OK)
			goto out;
		e[n++] = (struct capf_elem_in){
		    CAPF_TAG_SUDI_DATA, sudi.data, sudi.len};
	}
	if (a->sha2_sig != NULL) {
		uint8_t id = CAPF_DIGEST_SHA512;

		if (a->sha2_sig_len > CAPF_MAX_PAYLOAD - 3u) {
			rc = CAPF_E_TOOBIG;
			goto out;
		}
		buf_append(&sha2, &id, 1);
		put_u16be(&sha2, a->sha2_sig_len);
		if (a->sha2_sig_len != 0)
			buf_append(&sha2, a->sha2_sig, a->sha2_sig_len);
		e[n++] = (struct capf_elem_in){
		    CAPF_TAG_SHA2_SIGNED_DATA, sha2.data, sha2.len};
	}
	rc = capf_build_msg(CAPF_CMD_AUTH_RESPONSE, session_id, e, n, out);
out:
	buf_free(&cert);
	buf_free(&sha2);
	buf_free(&sudi);
	return rc;
}

int
capf_build_request_in_progress(uint32_t session_id, struct buf *out)
{
	return capf_build_msg(
	    CAPF_CMD_REQUEST_IN_PROGRESS, session_id, NULL, 0, out);
}

int
capf_build_key_gen_response(uint32_t session_id, const uint8_t *spki,
    size_t spki_len, int reason, struct buf *out)
{
	if (spki != NULL) {
		struct capf_elem_in e = {CAPF_TAG_PUBLIC_KEY, spki, spki_len};

		if (spki_len == 0)
			return CAPF_E_ARG;
		return capf_build_msg(
		    CAPF_CMD_KEY_GEN_RESPONSE, session_id, &e, 1, out);
	}
	return build_reason(CAPF_CMD_KEY_GEN_RESPONSE, session_id, reason, out);
}

int
capf_build_store_cert_response(uint32_t session_id, int reason, struct buf *out)
{
	return build_reason(
	    CAPF_CMD_STORE_CERT_RESPONSE, session_id, reason, out);
}

int
capf_build_fetch_cert_response(
    uint32_t session_id, const uint8_t *der, size_t der_len, struct buf *out)
{
	struct buf v = BUF_INIT;
	uint8_t reason = CAPF_REASON_UPDATE_CERT;
	int rc;

	if (der == NULL)
		return build_reason(CAPF_CMD_FETCH_CERT_RESPONSE, session_id,
		    CAPF_REASON_INVALID_ELEMENT, out);
	if ((rc = cert_value(der, der_len, CAPF_CERT_LSC, &v)) == CAPF_OK) {
		struct capf_elem_in e[] = {
		    {CAPF_TAG_REASON, &reason, 1},
		    {CAPF_TAG_CERTIFICATE, v.data, v.len},
		};

		rc = capf_build_msg(
		    CAPF_CMD_FETCH_CERT_RESPONSE, session_id, e, 2, out);
	}
	buf_free(&v);
	return rc;
}

int
capf_build_delete_cert_response(
    uint32_t session_id, int reason, struct buf *out)
{
	return build_reason(
	    CAPF_CMD_DELETE_CERT_RESPONSE, session_id, reason, out);
}
