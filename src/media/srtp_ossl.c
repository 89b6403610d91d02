/*
 * OpenSSL EVP primitives for libsrtp2 (see srtp_ossl.h and doc/design.md
 * "SRTP primitives").  Written against the interface of libsrtp2's
 * public <srtp2/cipher.h> and <srtp2/auth.h>.  Per packet nothing here
 * takes a lock.  Each cipher keeps one keyed EVP_CIPHER_CTX and only
 * changes its IV (no allocation).  Each HMAC keeps one keyed EVP_MAC_CTX
 * that restarts from its saved inner and outer pads; OpenSSL 3.0 copies
 * them with two small allocations per packet.  Measured on the project
 * machine, HMAC of a 176-byte packet: 214 ns restarting the keyed
 * context, 420 ns duplicating a keyed one, 355 ns re-keying, 185 ns with
 * hand-made pads over EVP_MD_CTX_copy_ex (not worth our own HMAC).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "media/srtp_crypto.h"
#include "media/srtp_ossl.h"

/*
 * libsrtp's own primitives and one of its vectors.  libsrtp2 exports
 * them without declaring them in its public headers; the names are the
 * same whatever crypto library it was built with.
 */
extern const srtp_cipher_type_t srtp_aes_icm_128;
extern const srtp_cipher_type_t srtp_aes_icm_256;
extern const srtp_auth_type_t srtp_hmac;
extern const srtp_cipher_test_case_t srtp_aes_icm_256_test_case_0;

#define ICM_SALT 14 /* key_len given by libsrtp includes the salt */
#define ICM_BLOCK 16
/* libsrtp's AES-ICM counts blocks in 16 bits; keep its limit. */
#define ICM_MAX_OCTETS (0xffffu * ICM_BLOCK)
#define SHA1_LEN 20

/* ---- AES-ICM (RFC 3711 4.1.1) over EVP AES-CTR ---- */

struct icm {
	srtp_cipher_t c; /* c.state points at the rest */
	EVP_CIPHER_CTX *ctx;
	int aes_len; /* 16 or 32 */
	uint8_t offset[ICM_BLOCK]; /* salt || 0x0000 */
	uint8_t counter[ICM_BLOCK];
};

static srtp_err_status_t icm_alloc(srtp_cipher_t **, int, int);
static srtp_err_status_t icm_dealloc(srtp_cipher_t *);
static srtp_err_status_t icm_init(void *, const uint8_t *);
static srtp_err_status_t icm_set_iv(void *, uint8_t *, srtp_cipher_direction_t);
static srtp_err_status_t icm_crypt(void *, uint8_t *, unsigned int *);

/* RFC 3711 B.2: the keystream for a zero IV is the ciphertext of zeros. */
static const uint8_t icm_128_key[16 + ICM_SALT] = {0x2b, 0x7e, 0x15, 0x16, 0x28,
    0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0,
    0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc,
    0xfd};
static uint8_t icm_128_iv[ICM_BLOCK]; /* libsrtp's test case wants non-const */
static const uint8_t icm_128_zeros[32];
static const uint8_t icm_128_keystream[32] = {0xe0, 0x3e, 0xad, 0x09, 0x35,
    0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4, 0xd2,
    0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a,
    0x5f, 0x97, 0xab};
static const srtp_cipher_test_case_t icm_128_test = {
    .key_length_octets = sizeof(icm_128_key),
    .key = icm_128_key,
    .idx = icm_128_iv,
    .plaintext_length_octets = sizeof(icm_128_zeros),
    .plaintext = icm_128_zeros,
    .ciphertext_length_octets = sizeof(icm_128_keystream),
    .ciphertext = icm_128_keystream,
};

static const srtp_cipher_type_t icm_128_type = {
    .alloc = icm_alloc,
    .dealloc = icm_dealloc,
    .init = icm_init,
    .encrypt = icm_crypt,
    .decrypt = icm_crypt,
    .set_iv = icm_set_iv,
    .description = "AES-128 counter mode (OpenSSL EVP)",
    .test_data = &icm_128_test,
    .id = SRTP_AES_ICM_128,
};

static const srtp_cipher_type_t icm_256_type = {
    .alloc = icm_alloc,
    .dealloc = icm_dealloc,
    .init = icm_init,
    .encrypt = icm_crypt,
    .decrypt = icm_crypt,
    .set_iv = icm_set_iv,
    .description = "AES-256 counter mode (OpenSSL EVP)",
    .test_data = &srtp_aes_icm_256_test_case_0, /* RFC 6188 7.1 */
    .id = SRTP_AES_ICM_256,
};

static srtp_err_status_t
icm_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	const srtp_cipher_type_t *type;
	struct icm *m;

	(void)tag_len;
	/* libsrtp picks the type by key length (its KDF does too). */
	if (key_len == 16 + ICM_SALT)
		type = &icm_128_type;
	else if (key_len == 32 + ICM_SALT)
		type = &icm_256_type;
	else
		return srtp_err_status_bad_param;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return srtp_err_status_alloc_fail;
	if ((m->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(m);
		return srtp_err_status_alloc_fail;
	}
	m->aes_len = key_len - ICM_SALT;
	m->c.type = type;
	m->c.state = m;
	m->c.key_len = key_len;
	m->c.algorithm = type->id;
	*cp = &m->c;
	return srtp_err_status_ok;
}

static srtp_err_status_t
icm_dealloc(srtp_cipher_t *c)
{
	struct icm *m = c->state;

	/* EVP_CIPHER_CTX_free wipes the key schedule. */
	EVP_CIPHER_CTX_free(m->ctx);
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
	return srtp_err_status_ok;
}

static srtp_err_status_t
icm_init(void *state, const uint8_t *key)
{
	struct icm *m = state;
	const EVP_CIPHER *aes =
	    m->aes_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();

	/* The offset is the salt padded with two zero octets: the 16-bit
	 * block counter starts at 0 in the low octets. */
	memset(m->offset, 0, sizeof(m->offset));
	memcpy(m->offset, key + m->aes_len, ICM_SALT);
	if (EVP_EncryptInit_ex(m->ctx, aes, NULL, key, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* Counter = offset XOR iv, as libsrtp's AES-ICM; the direction does not
 * matter in counter mode. */
static srtp_err_status_t
icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm *m = state;

	(void)dir;
	for (size_t i = 0; i < ICM_BLOCK; i++)
		m->counter[i] = m->offset[i] ^ iv[i];
	/* Same key and cipher: only the IV changes, no allocation. */
	if (EVP_EncryptInit_ex(m->ctx, NULL, NULL, NULL, m->counter) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm *m = state;
	int out = 0;

	if (*len == 0)
		return srtp_err_status_ok;
	if (*len > ICM_MAX_OCTETS)
		return srtp_err_status_terminus;
	if (EVP_EncryptUpdate(m->ctx, buf, &out, buf, (int)*len) != 1 ||
	    (unsigned int)out != *len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* ---- HMAC-SHA1 (RFC 2104) over EVP_MAC ---- */

struct hmac {
	srtp_auth_t a; /* a.state points at the rest */
	EVP_MAC_CTX *ctx;
};

static srtp_err_status_t hmac_alloc(srtp_auth_t **, int, int);
static srtp_err_status_t hmac_dealloc(srtp_auth_t *);
static srtp_err_status_t hmac_init(void *, const uint8_t *, int);
static srtp_err_status_t hmac_compute(
    void *, const uint8_t *, int, int, uint8_t *);
static srtp_err_status_t hmac_update(void *, const uint8_t *, int);
static srtp_err_status_t hmac_start(void *);

/* RFC 2202 test case 1. */
static const uint8_t hmac_test_key[SHA1_LEN] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
    0x0b, 0x0b, 0x0b};
static const uint8_t hmac_test_data[8] = "Hi There";
static const uint8_t hmac_test_tag[SHA1_LEN] = {0xb6, 0x17, 0x31, 0x86, 0x55,
    0x05, 0x72, 0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1,
    0x46, 0xbe, 0x00};
static const srtp_auth_test_case_t hmac_test = {
    .key_length_octets = sizeof(hmac_test_key),
    .key = hmac_test_key,
    .data_length_octets = sizeof(hmac_test_data),
    .data = hmac_test_data,
    .tag_length_octets = sizeof(hmac_test_tag),
    .tag = hmac_test_tag,
};

static const srtp_auth_type_t hmac_type = {
    .alloc = hmac_alloc,
    .dealloc = hmac_dealloc,
    .init = hmac_init,
    .compute = hmac_compute,
    .update = hmac_update,
    .start = hmac_start,
    .description = "HMAC-SHA1 (OpenSSL EVP_MAC)",
    .test_data = &hmac_test,
    .id = SRTP_HMAC_SHA1,
};

static srtp_err_status_t
hmac_alloc(srtp_auth_t **ap, int key_len, int out_len)
{
	EVP_MAC *mac;
	struct hmac *h;

	if (key_len < 0 || key_len > SHA1_LEN || out_len < 1 ||
	    out_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return srtp_err_status_alloc_fail;
	/* Fetched once per session; the context keeps its own reference. */
	mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	h->ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	if (h->ctx == NULL) {
		free(h);
		return srtp_err_status_alloc_fail;
	}
	h->a.type = &hmac_type;
	h->a.state = h;
	h->a.out_len = out_len;
	h->a.key_len = key_len;
	h->a.prefix_len = 0;
	*ap = &h->a;
	return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_dealloc(srtp_auth_t *a)
{
	struct hmac *h = a->state;

	/* EVP_MAC_CTX_free wipes the pads and the key. */
	EVP_MAC_CTX_free(h->ctx);
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
	return srtp_err_status_ok;
}

/* Once per session: the key's pads are hashed here, not per packet. */
static srtp_err_status_t
hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac *h = state;
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t) "SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (key_len < 0 ||
	    EVP_MAC_init(h->ctx, key, (size_t)key_len, params) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* Per packet: a NULL key restarts from the saved pads. */
static srtp_err_status_t
hmac_start(void *state)
{
	struct hmac *h = state;

	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac *h = state;

	if (len < 0 || EVP_MAC_update(h->ctx, buf, (size_t)len) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* The last bytes, then the tag truncated to tag_len (RFC 3711 4.2.1). */
static srtp_err_status_t
hmac_compute(
    void *state, const uint8_t *buf, int len, int tag_len, uint8_t *tag)
{
	struct hmac *h = state;
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t n = 0;
	srtp_err_status_t st = srtp_err_status_ok;

	if (tag_len < 0 || tag_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	if ((st = hmac_update(state, buf, len)) != srtp_err_status_ok)
		return st;
	if (EVP_MAC_final(h->ctx, md, &n, sizeof(md)) != 1 || n != SHA1_LEN)
		st = srtp_err_status_auth_fail;
	else
		memcpy(tag, md, (size_t)tag_len);
	OPENSSL_cleanse(md, sizeof(md));
	return st;
}

/* ---- registration ---- */

int
srtp_ossl_install(void)
{
	/* libsrtp self-tests each type (ours, then the replaced one's
	 * vectors) and refuses it on any mismatch. */
	if (srtp_replace_cipher_type(&icm_128_type, SRTP_AES_ICM_128) !=
	        srtp_err_status_ok ||
	    srtp_replace_cipher_type(&icm_256_type, SRTP_AES_ICM_256) !=
	        srtp_err_status_ok ||
	    srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1) !=
	        srtp_err_status_ok) {
		(void)srtp_ossl_uninstall();
		return SRTPC_E_BACKEND;
	}
	return SRTPC_OK;
}

int
srtp_ossl_uninstall(void)
{
	int rc = SRTPC_OK;

	/* Each one even if another fails, so that none is left mixed. */
	if (srtp_replace_cipher_type(&srtp_aes_icm_128, SRTP_AES_ICM_128) !=
	    srtp_err_status_ok)
		rc = SRTPC_E_BACKEND;
	if (srtp_replace_cipher_type(&srtp_aes_icm_256, SRTP_AES_ICM_256) !=
	    srtp_err_status_ok)
		rc = SRTPC_E_BACKEND;
	if (srtp_replace_auth_type(&srtp_hmac, SRTP_HMAC_SHA1) !=
	    srtp_err_status_ok)
		rc = SRTPC_E_BACKEND;
	return rc;
}
