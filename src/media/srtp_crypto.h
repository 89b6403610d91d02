/*
 * SRTP/SRTCP protection of one direction of one media leg, behind a small
 * interface so that the crypto backend can change (today libsrtp2; see
 * doc/media.md).  Nothing here does I/O or logs.
 *
 * Prefix srtpc_ (not srtp_crypto_): libsrtp2 already exports
 * srtp_crypto_alloc/free and srtp_crypto_policy_*.
 *
 * A session is created from a suite, the master key followed by the master
 * salt ("key||salt", the layout of SDES and of the show commands) and a
 * direction.  A SEND session protects, a RECV session unprotects (with
 * libsrtp's replay window of 128 packets).  Both handle RTP and RTCP with
 * the same master key (RFC 3711 key derivation labels).  Packets are
 * transformed in place; protect needs room for the trailer
 * (srtpc_overhead()).  Each session accepts at most SRTPC_MAX_SSRC
 * distinct SSRCs, so a peer cannot make it allocate without bound.
 *
 * Keys: the session keeps its own copy of key||salt (for the show
 * commands) and wipes it with OPENSSL_cleanse when freed; callers wipe
 * theirs.  Key bytes never appear in an error string.
 */
#ifndef OPENCME_MEDIA_SRTP_CRYPTO_H
#define OPENCME_MEDIA_SRTP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Suites; the values are SCCP's algorithmID (spec/sccp.md 10.2). */
enum srtpc_suite {
	SRTPC_NONE = 0,
	SRTPC_AES_CM_128_HMAC_SHA1_32 = 1,
	SRTPC_AES_CM_128_HMAC_SHA1_80 = 2,
	SRTPC_AEAD_AES_128_GCM = 5,
	SRTPC_AEAD_AES_256_GCM = 6,
};

enum srtpc_dir {
	SRTPC_SEND = 0, /* protect */
	SRTPC_RECV = 1, /* unprotect */
};

/* Return codes (0 or negative). */
enum srtpc_err {
	SRTPC_OK = 0,
	SRTPC_E_PARAM = -1, /* bad suite, key length, direction */
	SRTPC_E_AUTH = -2, /* authentication tag does not verify */
	SRTPC_E_REPLAY = -3, /* packet index seen or too old */
	SRTPC_E_SHORT = -4, /* shorter than its header and trailer */
	SRTPC_E_MALFORMED = -5, /* not RTP/RTCP version 2, bad header */
	SRTPC_E_SPACE = -6, /* no room for the trailer */
	SRTPC_E_SSRC = -7, /* a new SSRC beyond SRTPC_MAX_SSRC */
	SRTPC_E_NOMEM = -8,
	SRTPC_E_RAND = -9, /* the random generator failed */
	SRTPC_E_BACKEND = -10, /* any other failure of the backend */
	SRTPC_E_DIR = -11, /* protect on RECV or unprotect on SEND */
};

#define SRTPC_MAX_KEY 32
#define SRTPC_MAX_SALT 14
#define SRTPC_MAX_KEY_SALT 44 /* AEAD_AES_256_GCM: 32 + 12 */
#define SRTPC_MAX_OVERHEAD 20 /* SRTCP: 4-byte E||index + 16-byte tag */
#define SRTPC_B64_SIZE 61 /* base64 of 44 bytes (60) + NUL */
#define SRTPC_MAX_SSRC 4
#define SRTPC_RTP_HDR 12
#define SRTPC_RTCP_HDR 8

struct srtpc_session;

const char *srtpc_err_str(int err);

/*
 * Once per process, before any session and before threads (not
 * thread-safe).  Registers OpenSSL's AES-ICM and HMAC-SHA1 in libsrtp2
 * in place of the ones it was built with (NSS on Debian), once libsrtp's
 * self-test accepts them; if it does not, libsrtp's own stay and
 * srtpc_primitives_error() says why (the caller logs it once).
 */
int srtpc_init(void);

/* The primitives under libsrtp2's protocol logic. */
enum srtpc_primitives {
	SRTPC_PRIM_LIBSRTP = 0, /* those libsrtp2 was built with */
	SRTPC_PRIM_OPENSSL = 1, /* OpenSSL EVP (srtp_ossl.c) */
};

/*
 * For tests and the benchmark: switch the primitives of sessions created
 * from now on (existing ones keep theirs).  Same rules as srtpc_init().
 */
int srtpc_set_primitives(enum srtpc_primitives p);
enum srtpc_primitives srtpc_primitives(void);
const char *srtpc_primitives_name(enum srtpc_primitives p);
/* 0, or why srtpc_init() kept libsrtp's own primitives. */
int srtpc_primitives_error(void);

/* Suite properties; 0 / NULL for an unknown suite. */
int srtpc_suite_valid(enum srtpc_suite suite);
const char *srtpc_suite_name(enum srtpc_suite suite);
size_t srtpc_key_len(enum srtpc_suite suite);
size_t srtpc_salt_len(enum srtpc_suite suite);
/* SRTP tag length; SRTCP adds 4 bytes (E||index) and its own tag. */
size_t srtpc_tag_len(enum srtpc_suite suite);
size_t srtpc_overhead(enum srtpc_suite suite, int is_rtcp);

/* Fill out[0 .. key_len+salt_len) with fresh key||salt (OpenSSL RAND). */
int srtpc_keygen(enum srtpc_suite suite, uint8_t *out, size_t cap);

/* Base64 of key||salt (for show output only), NUL-terminated. */
int srtpc_key_base64(
    const uint8_t *key_salt, size_t len, char *out, size_t cap);

/* *out only on success.  len must be exactly key_len + salt_len. */
int srtpc_session_new(enum srtpc_suite suite, const uint8_t *key_salt,
    size_t len, enum srtpc_dir dir, struct srtpc_session **out);
/* Wipes the keys; NULL is a no-op. */
void srtpc_session_free(struct srtpc_session *s);

enum srtpc_suite srtpc_session_suite(const struct srtpc_session *s);
enum srtpc_dir srtpc_session_dir(const struct srtpc_session *s);
/* Base64 of the session's key||salt, for show commands only. */
int srtpc_session_key_base64(
    const struct srtpc_session *s, char *out, size_t cap);

/*
 * In place.  *len is the packet length in and out; cap the buffer size.
 * On error the buffer content is unspecified and must be dropped.
 */
int srtpc_protect_rtp(
    struct srtpc_session *s, uint8_t *pkt, size_t *len, size_t cap);
int srtpc_unprotect_rtp(struct srtpc_session *s, uint8_t *pkt, size_t *len);
int srtpc_protect_rtcp(
    struct srtpc_session *s, uint8_t *pkt, size_t *len, size_t cap);
int srtpc_unprotect_rtcp(struct srtpc_session *s, uint8_t *pkt, size_t *len);

/*
 * RTP header length (12 + CSRCs + extension) if pkt holds a whole
 * version-2 header, else a negative SRTPC_E_* code.
 */
int srtpc_rtp_header_len(const uint8_t *pkt, size_t len);

#endif
