/*
 * SRTP sessions over libsrtp2 (see srtp_crypto.h).  With srtp_ossl.c, the
 * only files that include libsrtp2's headers: another backend replaces
 * these alone.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "media/srtp_crypto.h"
#include "media/srtp_ossl.h"

struct srtpc_session {
	srtp_t ctx;
	enum srtpc_suite suite;
	enum srtpc_dir dir;
	size_t key_salt_len;
	uint8_t key_salt[SRTPC_MAX_KEY_SALT];
	size_t nssrc;
	uint32_t ssrc[SRTPC_MAX_SSRC];
};

static const char *const err_strs[] = {
    "ok",
    "bad parameter",
    "authentication failed",
    "replayed or too old packet",
    "packet too short",
    "malformed packet",
    "no room for the SRTP trailer",
    "too many SSRCs in one session",
    "out of memory",
    "random generator failed",
    "crypto backend failure",
    "wrong direction for this session",
};

const char *
srtpc_err_str(int err)
{
	size_t i = err <= 0 ? (size_t)-err : 0;

	if (err > 0 || i >= sizeof(err_strs) / sizeof(err_strs[0]))
		return "unknown error";
	return err_strs[i];
}

static int initialized;
static enum srtpc_primitives primitives = SRTPC_PRIM_LIBSRTP;
static int primitives_err;

int
srtpc_init(void)
{
	if (initialized)
		return SRTPC_OK;
	if (srtp_init() != srtp_err_status_ok)
		return SRTPC_E_BACKEND;
	initialized = 1;
	/* A refusal is not fatal: libsrtp's own primitives are correct,
	 * only slower (doc/design.md "SRTP primitives"). */
	primitives_err = srtpc_set_primitives(SRTPC_PRIM_OPENSSL);
	return SRTPC_OK;
}

int
srtpc_set_primitives(enum srtpc_primitives p)
{
	int rc;

	if (p != SRTPC_PRIM_LIBSRTP && p != SRTPC_PRIM_OPENSSL)
		return SRTPC_E_PARAM;
	if ((rc = srtpc_init()) != SRTPC_OK)
		return rc;
	if (p == primitives)
		return SRTPC_OK;
	rc = p == SRTPC_PRIM_OPENSSL ? srtp_ossl_install()
	                             : srtp_ossl_uninstall();
	/* install puts libsrtp's own back when it fails */
	primitives = rc == SRTPC_OK ? p : SRTPC_PRIM_LIBSRTP;
	return rc;
}

enum srtpc_primitives
srtpc_primitives(void)
{
	return primitives;
}

const char *
srtpc_primitives_name(enum srtpc_primitives p)
{
	switch (p) {
	case SRTPC_PRIM_LIBSRTP:
		return "libsrtp2";
	case SRTPC_PRIM_OPENSSL:
		return "OpenSSL";
	}
	return "unknown";
}

int
srtpc_primitives_error(void)
{
	return primitives_err;
}

int
srtpc_suite_valid(enum srtpc_suite suite)
{
	switch (suite) {
	case SRTPC_AES_CM_128_HMAC_SHA1_32:
	case SRTPC_AES_CM_128_HMAC_SHA1_80:
	case SRTPC_AEAD_AES_128_GCM:
	case SRTPC_AEAD_AES_256_GCM:
		return 1;
	default:
		return 0;
	}
}

const char *
srtpc_suite_name(enum srtpc_suite suite)
{
	switch (suite) {
	case SRTPC_NONE:
		return "NONE";
	case SRTPC_AES_CM_128_HMAC_SHA1_32:
		return "AES_CM_128_HMAC_SHA1_32";
	case SRTPC_AES_CM_128_HMAC_SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80";
	case SRTPC_AEAD_AES_128_GCM:
		return "AEAD_AES_128_GCM";
	case SRTPC_AEAD_AES_256_GCM:
		return "AEAD_AES_256_GCM";
	}
	return NULL;
}

size_t
srtpc_key_len(enum srtpc_suite suite)
{
	if (!srtpc_suite_valid(suite))
		return 0;
	return suite == SRTPC_AEAD_AES_256_GCM ? 32 : 16;
}

size_t
srtpc_salt_len(enum srtpc_suite suite)
{
	if (!srtpc_suite_valid(suite))
		return 0;
	return suite == SRTPC_AEAD_AES_128_GCM ||
	        suite == SRTPC_AEAD_AES_256_GCM
	    ? 12
	    : 14;
}

size_t
srtpc_tag_len(enum srtpc_suite suite)
{
	switch (suite) {
	case SRTPC_AES_CM_128_HMAC_SHA1_32:
		return 4;
	case SRTPC_AES_CM_128_HMAC_SHA1_80:
		return 10;
	case SRTPC_AEAD_AES_128_GCM:
	case SRTPC_AEAD_AES_256_GCM:
		return 16;
	default:
		return 0;
	}
}

size_t
srtpc_overhead(enum srtpc_suite suite, int is_rtcp)
{
	if (!srtpc_suite_valid(suite))
		return 0;
	if (!is_rtcp)
		return srtpc_tag_len(suite);
	/* SRTCP: E||index, then an 80-bit tag even for the _32 suite. */
	return 4 +
	    (suite == SRTPC_AES_CM_128_HMAC_SHA1_32 ? 10
	                                            : srtpc_tag_len(suite));
}

int
srtpc_keygen(enum srtpc_suite suite, uint8_t *out, size_t cap)
{
	size_t n = srtpc_key_len(suite) + srtpc_salt_len(suite);

	if (n == 0 || out == NULL || cap < n)
		return SRTPC_E_PARAM;
	if (RAND_bytes(out, (int)n) != 1) {
		OPENSSL_cleanse(out, n);
		return SRTPC_E_RAND;
	}
	return SRTPC_OK;
}

int
srtpc_key_base64(const uint8_t *key_salt, size_t len, char *out, size_t cap)
{
	if (key_salt == NULL || out == NULL || len == 0 ||
	    len > SRTPC_MAX_KEY_SALT || cap < 4 * ((len + 2) / 3) + 1)
		return SRTPC_E_PARAM;
	EVP_EncodeBlock((unsigned char *)out, key_salt, (int)len);
	return SRTPC_OK;
}

static int
set_policy(srtp_policy_t *p, enum srtpc_suite suite)
{
	switch (suite) {
	case SRTPC_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		/* RFC 4568 6.2.2: SRTCP keeps the 80-bit tag. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		return SRTPC_OK;
	case SRTPC_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		return SRTPC_OK;
	case SRTPC_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		return SRTPC_OK;
	case SRTPC_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		return SRTPC_OK;
	default:
		return SRTPC_E_PARAM;
	}
}

int
srtpc_session_new(enum srtpc_suite suite, const uint8_t *key_salt, size_t len,
    enum srtpc_dir dir, struct srtpc_session **out)
{
	struct srtpc_session *s;
	srtp_policy_t p;
	srtp_err_status_t st;

	if (out == NULL || key_salt == NULL || !srtpc_suite_valid(suite) ||
	    len != srtpc_key_len(suite) + srtpc_salt_len(suite) ||
	    (dir != SRTPC_SEND && dir != SRTPC_RECV))
		return SRTPC_E_PARAM;
	if (srtpc_init() != SRTPC_OK)
		return SRTPC_E_BACKEND;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SRTPC_E_NOMEM;
	s->suite = suite;
	s->dir = dir;
	s->key_salt_len = len;
	memcpy(s->key_salt, key_salt, len);

	memset(&p, 0, sizeof(p));
	(void)set_policy(&p, suite);
	p.ssrc.type = dir == SRTPC_SEND ? ssrc_any_outbound : ssrc_any_inbound;
	p.key = s->key_salt;
	p.window_size = 128;
	p.allow_repeat_tx = 0;
	p.next = NULL;
	st = srtp_create(&s->ctx, &p);
	memset(&p, 0, sizeof(p));
	if (st != srtp_err_status_ok) {
		OPENSSL_cleanse(s->key_salt, sizeof(s->key_salt));
		free(s);
		return st == srtp_err_status_alloc_fail ? SRTPC_E_NOMEM
		                                        : SRTPC_E_BACKEND;
	}
	*out = s;
	return SRTPC_OK;
}

void
srtpc_session_free(struct srtpc_session *s)
{
	if (s == NULL)
		return;
	/* libsrtp zeroes its derived keys in srtp_dealloc. */
	if (s->ctx != NULL)
		srtp_dealloc(s->ctx);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

enum srtpc_suite
srtpc_session_suite(const struct srtpc_session *s)
{
	return s->suite;
}

enum srtpc_dir
srtpc_session_dir(const struct srtpc_session *s)
{
	return s->dir;
}

int
srtpc_session_key_base64(const struct srtpc_session *s, char *out, size_t cap)
{
	return srtpc_key_base64(s->key_salt, s->key_salt_len, out, cap);
}

int
srtpc_rtp_header_len(const uint8_t *pkt, size_t len)
{
	size_t h;

	if (len < SRTPC_RTP_HDR)
		return SRTPC_E_SHORT;
	if ((pkt[0] >> 6) != 2)
		return SRTPC_E_MALFORMED;
	h = SRTPC_RTP_HDR + 4 * (size_t)(pkt[0] & 0x0f);
	if (pkt[0] & 0x10) { /* extension: 4-byte header + words */
		if (len < h + 4)
			return SRTPC_E_SHORT;
		h += 4 + 4 * ((size_t)pkt[h + 2] << 8 | pkt[h + 3]);
	}
	if (h > len)
		return SRTPC_E_SHORT;
	return (int)h;
}

static int
rtcp_check(const uint8_t *pkt, size_t len)
{
	if (len < SRTPC_RTCP_HDR)
		return SRTPC_E_SHORT;
	if ((pkt[0] >> 6) != 2)
		return SRTPC_E_MALFORMED;
	return SRTPC_OK;
}

static uint32_t
rd_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* SSRC bound: known, or room for one more (added after success). */
static int
ssrc_admit(const struct srtpc_session *s, uint32_t ssrc)
{
	for (size_t i = 0; i < s->nssrc; i++)
		if (s->ssrc[i] == ssrc)
			return SRTPC_OK;
	return s->nssrc < SRTPC_MAX_SSRC ? SRTPC_OK : SRTPC_E_SSRC;
}

static void
ssrc_note(struct srtpc_session *s, uint32_t ssrc)
{
	for (size_t i = 0; i < s->nssrc; i++)
		if (s->ssrc[i] == ssrc)
			return;
	if (s->nssrc < SRTPC_MAX_SSRC)
		s->ssrc[s->nssrc++] = ssrc;
}

static int
map_status(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return SRTPC_OK;
	case srtp_err_status_auth_fail:
	case srtp_err_status_cipher_fail:
		return SRTPC_E_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
	case srtp_err_status_pkt_idx_old:
		return SRTPC_E_REPLAY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return SRTPC_E_MALFORMED;
	case srtp_err_status_alloc_fail:
		return SRTPC_E_NOMEM;
	default:
		return SRTPC_E_BACKEND;
	}
}

/* The step every direction shares once the packet is checked: the SSRC
 * bound, the libsrtp call, the SSRC recorded. */
static int
srtp_call(struct srtpc_session *s, uint32_t ssrc,
    srtp_err_status_t (*fn)(srtp_t, void *, int *), uint8_t *pkt, size_t *len)
{
	int rc, n;

	if ((rc = ssrc_admit(s, ssrc)) < 0)
		return rc;
	n = (int)*len;
	if ((rc = map_status(fn(s->ctx, pkt, &n))) < 0)
		return rc;
	ssrc_note(s, ssrc);
	*len = (size_t)n;
	return SRTPC_OK;
}

int
srtpc_protect_rtp(
    struct srtpc_session *s, uint8_t *pkt, size_t *len, size_t cap)
{
	int rc;

	if (s == NULL || pkt == NULL || len == NULL)
		return SRTPC_E_PARAM;
	if (s->dir != SRTPC_SEND)
		return SRTPC_E_DIR;
	if ((rc = srtpc_rtp_header_len(pkt, *len)) < 0)
		return rc;
	if (*len > INT_MAX - SRTPC_MAX_OVERHEAD ||
	    cap < *len + srtpc_overhead(s->suite, 0))
		return SRTPC_E_SPACE;
	return srtp_call(s, rd_u32be(pkt + 8), srtp_protect, pkt, len);
}

int
srtpc_unprotect_rtp(struct srtpc_session *s, uint8_t *pkt, size_t *len)
{
	int rc;

	if (s == NULL || pkt == NULL || len == NULL)
		return SRTPC_E_PARAM;
	if (s->dir != SRTPC_RECV)
		return SRTPC_E_DIR;
	if ((rc = srtpc_rtp_header_len(pkt, *len)) < 0)
		return rc;
	if (*len < (size_t)rc + srtpc_tag_len(s->suite))
		return SRTPC_E_SHORT;
	if (*len > INT_MAX)
		return SRTPC_E_MALFORMED;
	return srtp_call(s, rd_u32be(pkt + 8), srtp_unprotect, pkt, len);
}

int
srtpc_protect_rtcp(
    struct srtpc_session *s, uint8_t *pkt, size_t *len, size_t cap)
{
	int rc;

	if (s == NULL || pkt == NULL || len == NULL)
		return SRTPC_E_PARAM;
	if (s->dir != SRTPC_SEND)
		return SRTPC_E_DIR;
	if ((rc = rtcp_check(pkt, *len)) < 0)
		return rc;
	if (*len > INT_MAX - SRTPC_MAX_OVERHEAD ||
	    cap < *len + srtpc_overhead(s->suite, 1))
		return SRTPC_E_SPACE;
	return srtp_call(s, rd_u32be(pkt + 4), srtp_protect_rtcp, pkt, len);
}

int
srtpc_unprotect_rtcp(struct srtpc_session *s, uint8_t *pkt, size_t *len)
{
	int rc;

	if (s == NULL || pkt == NULL || len == NULL)
		return SRTPC_E_PARAM;
	if (s->dir != SRTPC_RECV)
		return SRTPC_E_DIR;
	if ((rc = rtcp_check(pkt, *len)) < 0)
		return rc;
	if (*len < SRTPC_RTCP_HDR + srtpc_overhead(s->suite, 1))
		return SRTPC_E_SHORT;
	if (*len > INT_MAX)
		return SRTPC_E_MALFORMED;
	return srtp_call(s, rd_u32be(pkt + 4), srtp_unprotect_rtcp, pkt, len);
}
