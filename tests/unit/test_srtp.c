/*
 * Unit tests of src/media/srtp_crypto.c.
 *
 * libsrtp2 exposes neither its keystream nor its key derivation, and it
 * always derives session keys from a master key, while the RFC 7714
 * vectors are stated for session keys.  So the test carries an
 * independent SRTP implementation written on OpenSSL EVP (AES-CTR,
 * HMAC-SHA1, AES-GCM):
 *   1. the reference reproduces RFC 3711 B.2 (keystream), B.3 (key
 *      derivation) and RFC 7714 16.1.1 / 16.2.1 (AEAD packets) byte for
 *      byte;
 *   2. packets protected through OUR interface (srtpc_*) with a master
 *      key are compared byte for byte with the reference given the same
 *      master key (B.3's master key for AES-CM), for every suite, SRTP and
 *      SRTCP; and the reference's packets unprotect through our interface.
 * Then round trips, tampering, replay, short packets, parameters.
 *
 * srtpc_init() puts OpenSSL's primitives under libsrtp2 (srtp_ossl.c), so
 * all of the above runs on them.  The last test checks them against
 * libsrtp2's own (NSS on Debian) in a second process, byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "media/srtp_crypto.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] != '\0' && s[1] != '\0') {
		unsigned v;

		if (s[0] == ' ') {
			s++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void
assert_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[512];
	size_t wn = unhex(want, w, sizeof(w));

	assert_int_equal(n, wn);
	assert_memory_equal(got, w, n);
}

/* ---- the independent reference (OpenSSL EVP) ---- */

static void
aes_ctr(const uint8_t *key, size_t keylen, const uint8_t iv[16],
    const uint8_t *in, uint8_t *out, size_t n)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol = 0;

	assert_non_null(c);
	assert_int_equal(
	    EVP_EncryptInit_ex(c,
	        keylen == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(), NULL, key,
	        iv),
	    1);
	assert_int_equal(EVP_EncryptUpdate(c, out, &ol, in, (int)n), 1);
	assert_int_equal((size_t)ol, n);
	EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 4.3 with kdr = 0 (x = key_id XOR master_salt, times 2^16). */
static void
ref_kdf(const uint8_t *mk, size_t mklen, const uint8_t *salt, size_t saltlen,
    uint8_t label, uint8_t *out, size_t n)
{
	uint8_t iv[16] = {0}, zero[128] = {0};

	assert_true(n <= sizeof(zero));
	memcpy(iv, salt, saltlen);
	iv[7] ^= label;
	aes_ctr(mk, mklen, iv, zero, out, n);
}

struct ref_keys {
	uint8_t ek[32], ak[20], salt[14];
	size_t eklen, saltlen;
};

/* Session keys for RTP (labels 0,1,2) or RTCP (3,4,5). */
static void
ref_derive(
    enum srtpc_suite suite, const uint8_t *ks, int rtcp, struct ref_keys *k)
{
	size_t kl = srtpc_key_len(suite), sl = srtpc_salt_len(suite);
	uint8_t base = rtcp ? 3 : 0;

	k->eklen = kl;
	k->saltlen = sl;
	ref_kdf(ks, kl, ks + kl, sl, base, k->ek, kl);
	ref_kdf(ks, kl, ks + kl, sl, base + 1, k->ak, 20);
	ref_kdf(ks, kl, ks + kl, sl, base + 2, k->salt, sl);
}

static size_t
ref_hdr_len(const uint8_t *p)
{
	return 12 + 4 * (size_t)(p[0] & 0x0f);
}

/* RFC 3711 AES-CM + HMAC-SHA1 SRTP. */
static size_t
ref_srtp_cm(const struct ref_keys *k, size_t taglen, uint32_t roc,
    const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t iv[16] = {0}, mac[20];
	size_t h = ref_hdr_len(in);
	unsigned ml = 0;

	memcpy(iv, k->salt, 14);
	for (int i = 0; i < 4; i++) {
		iv[4 + i] ^= in[8 + i]; /* SSRC */
		iv[8 + i] ^= (uint8_t)(roc >> (24 - 8 * i));
	}
	iv[12] ^= in[2];
	iv[13] ^= in[3];
	memcpy(out, in, h);
	aes_ctr(k->ek, k->eklen, iv, in + h, out + h, len - h);
	/* authenticated portion || ROC */
	out[len] = (uint8_t)(roc >> 24);
	out[len + 1] = (uint8_t)(roc >> 16);
	out[len + 2] = (uint8_t)(roc >> 8);
	out[len + 3] = (uint8_t)roc;
	HMAC(EVP_sha1(), k->ak, 20, out, len + 4, mac, &ml);
	memcpy(out + len, mac, taglen);
	return len + taglen;
}

/* RFC 3711 SRTCP, AES-CM + HMAC-SHA1-80, encrypted, with index. */
static size_t
ref_srtcp_cm(const struct ref_keys *k, uint32_t index, const uint8_t *in,
    size_t len, uint8_t *out)
{
	uint8_t iv[16] = {0}, mac[20];
	uint32_t ei = 0x80000000u | index;
	unsigned ml = 0;

	memcpy(iv, k->salt, 14);
	for (int i = 0; i < 4; i++) {
		iv[4 + i] ^= in[4 + i];
		iv[10 + i] ^= (uint8_t)(index >> (24 - 8 * i));
	}
	memcpy(out, in, 8);
	aes_ctr(k->ek, k->eklen, iv, in + 8, out + 8, len - 8);
	for (int i = 0; i < 4; i++)
		out[len + (size_t)i] = (uint8_t)(ei >> (24 - 8 * i));
	HMAC(EVP_sha1(), k->ak, 20, out, len + 4, mac, &ml);
	memcpy(out + len + 4, mac, 10);
	return len + 14;
}

static void
aes_gcm(const uint8_t *key, size_t keylen, const uint8_t iv[12],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t n,
    uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol = 0;

	assert_non_null(c);
	assert_int_equal(
	    EVP_EncryptInit_ex(c,
	        keylen == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), NULL, key,
	        iv),
	    1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &ol, aad, (int)aadlen), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out, &ol, in, (int)n), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, out + ol, &ol), 1);
	assert_int_equal(
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(c);
}

/* RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt. */
static size_t
ref_srtp_gcm(const uint8_t *key, size_t keylen, const uint8_t salt[12],
    uint32_t roc, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t iv[12] = {0};
	size_t h = ref_hdr_len(in);

	for (int i = 0; i < 4; i++) {
		iv[2 + i] = in[8 + i];
		iv[6 + i] = (uint8_t)(roc >> (24 - 8 * i));
	}
	iv[10] = in[2];
	iv[11] = in[3];
	for (int i = 0; i < 12; i++)
		iv[i] ^= salt[i];
	memcpy(out, in, h);
	aes_gcm(key, keylen, iv, in, h, in + h, len - h, out + h, out + len);
	return len + 16;
}

/* RFC 7714 9.1: SRTCP, AAD = header || E||index; trailer tag, E||index. */
static size_t
ref_srtcp_gcm(const uint8_t *key, size_t keylen, const uint8_t salt[12],
    uint32_t index, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t iv[12] = {0}, aad[12];
	uint32_t ei = 0x80000000u | index;

	for (int i = 0; i < 4; i++) {
		iv[2 + i] = in[4 + i];
		iv[8 + i] = (uint8_t)(index >> (24 - 8 * i));
	}
	for (int i = 0; i < 12; i++)
		iv[i] ^= salt[i];
	memcpy(aad, in, 8);
	for (int i = 0; i < 4; i++)
		aad[8 + i] = (uint8_t)(ei >> (24 - 8 * i));
	memcpy(out, in, 8);
	aes_gcm(key, keylen, iv, aad, 12, in + 8, len - 8, out + 8, out + len);
	memcpy(out + len + 16, aad + 8, 4);
	return len + 20;
}

/* ---- vectors ---- */

/* RFC 3711 B.3 */
static const char *const b3_master_key = "E1F97A0D3E018BE0D64FA32C06DE4139";
static const char *const b3_master_salt = "0EC675AD498AFEEBB6960B3AABE6";

/* RFC 7714 16 */
static const char *const r7714_pkt =
    "8040f17b8041f8d35501a0b2"
    "47616c6c696120657374206f6d6e69732064697669736120696e2070617274"
    "65732074726573";
static const char *const r7714_salt = "517569642070726f2071756f";

static void
rfc3711_b2_aes_cm_keystream(void **state)
{
	uint8_t key[16], iv[16], zero[48] = {0}, ks[48];

	(void)state;
	unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	/* session salt F0..FD shifted by 16 bits, SSRC 0, index 0 */
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof(iv));
	aes_ctr(key, 16, iv, zero, ks, sizeof(ks));
	assert_hex(ks, 48,
	    "E03EAD0935C95E80E166B16DD92B4EB4"
	    "D23513162B02D0F72A43A2FE4A5F97AB"
	    "41E95B3BB0A2E8DD477901E4FCA894C0");
	/* counter ...FEFF, ...FF00, ...FF01 */
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF", iv, sizeof(iv));
	aes_ctr(key, 16, iv, zero, ks, sizeof(ks));
	assert_hex(ks, 48,
	    "EC8CDF7398607CB0F2D21675EA9EA1E4"
	    "362B7C3C6773516318A077D7FC5073AE"
	    "6A2CC3787889374FBEB4C81B17BA6C44");
}

static void
rfc3711_b3_key_derivation(void **state)
{
	uint8_t ks[30];
	struct ref_keys k;

	(void)state;
	unhex(b3_master_key, ks, 16);
	unhex(b3_master_salt, ks + 16, 14);
	ref_derive(SRTPC_AES_CM_128_HMAC_SHA1_80, ks, 0, &k);
	assert_hex(k.ek, 16, "C61E7A93744F39EE10734AFE3FF7A087");
	assert_hex(k.salt, 14, "30CBBC08863D8C85D49DB34A9AE1");
	assert_hex(k.ak, 20, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
}

static void
rfc7714_gcm_vectors_reproduced_by_reference(void **state)
{
	uint8_t pkt[64], salt[12], key[32], out[128];
	size_t n = unhex(r7714_pkt, pkt, sizeof(pkt)), m;

	(void)state;
	unhex(r7714_salt, salt, sizeof(salt));
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	m = ref_srtp_gcm(key, 16, salt, 0, pkt, n, out);
	/* 16.1.1 */
	assert_hex(out, m,
	    "8040f17b8041f8d35501a0b2"
	    "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b"
	    "36de3adf8833"
	    "899d7f27beb16a9152cf765ee4390cce");
	m = ref_srtp_gcm(key, 32, salt, 0, pkt, n, out);
	/* 16.2.1 */
	assert_hex(out, m,
	    "8040f17b8041f8d35501a0b2"
	    "32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f"
	    "1ba63799b87b"
	    "7aa3db36dfffd6b0f9bb7878d7a76c13");
}

/* Our interface's packets equal the reference's for the same master key. */
static void
check_suite_against_reference(enum srtpc_suite suite)
{
	struct srtpc_session *tx = NULL, *rx = NULL;
	struct ref_keys k, kc;
	uint8_t ks[SRTPC_MAX_KEY_SALT], in[64], a[128], b[128];
	size_t kl = srtpc_key_len(suite), sl = srtpc_salt_len(suite);
	size_t n = unhex(r7714_pkt, in, sizeof(in)), an, bn;

	/* AES-CM: B.3's master key and salt; GCM: RFC 7714's key bytes. */
	if (kl == 16 && sl == 14) {
		unhex(b3_master_key, ks, 16);
		unhex(b3_master_salt, ks + 16, 14);
	} else {
		for (size_t i = 0; i < kl; i++)
			ks[i] = (uint8_t)i;
		unhex(r7714_salt, ks + kl, sl);
	}
	assert_int_equal(
	    srtpc_session_new(suite, ks, kl + sl, SRTPC_SEND, &tx), SRTPC_OK);
	assert_int_equal(
	    srtpc_session_new(suite, ks, kl + sl, SRTPC_RECV, &rx), SRTPC_OK);
	ref_derive(suite, ks, 0, &k);
	ref_derive(suite, ks, 1, &kc);

	/* SRTP */
	memcpy(a, in, n);
	an = n;
	assert_int_equal(srtpc_protect_rtp(tx, a, &an, sizeof(a)), SRTPC_OK);
	if (sl == 14)
		bn = ref_srtp_cm(&k, srtpc_tag_len(suite), 0, in, n, b);
	else
		bn = ref_srtp_gcm(k.ek, kl, k.salt, 0, in, n, b);
	assert_int_equal(an, bn);
	assert_memory_equal(a, b, an);
	assert_int_equal(srtpc_unprotect_rtp(rx, b, &bn), SRTPC_OK);
	assert_int_equal(bn, n);
	assert_memory_equal(b, in, n);

	/* SRTCP: an RTCP SR-like packet (RFC 7714 17's) */
	n = unhex("81c8000d4d6172734e5450314e545032525450200000042a0000e930"
	          "4c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
	    in, sizeof(in));
	memcpy(a, in, n);
	an = n;
	assert_int_equal(srtpc_protect_rtcp(tx, a, &an, sizeof(a)), SRTPC_OK);
	assert_int_equal(an, n + srtpc_overhead(suite, 1));
	/* libsrtp starts the SRTCP index at 1 */
	if (sl == 14)
		bn = ref_srtcp_cm(&kc, 1, in, n, b);
	else
		bn = ref_srtcp_gcm(kc.ek, kl, kc.salt, 1, in, n, b);
	assert_int_equal(an, bn);
	assert_memory_equal(a, b, an);
	assert_int_equal(srtpc_unprotect_rtcp(rx, b, &bn), SRTPC_OK);
	assert_int_equal(bn, n);
	assert_memory_equal(b, in, n);

	srtpc_session_free(tx);
	srtpc_session_free(rx);
}

static void
aes_cm_128_sha1_32_matches_reference_with_b3_master_key(void **state)
{
	(void)state;
	check_suite_against_reference(SRTPC_AES_CM_128_HMAC_SHA1_32);
}

static void
aes_cm_128_sha1_80_matches_reference_with_b3_master_key(void **state)
{
	(void)state;
	check_suite_against_reference(SRTPC_AES_CM_128_HMAC_SHA1_80);
}

static void
aead_aes_128_gcm_matches_rfc7714_reference(void **state)
{
	(void)state;
	check_suite_against_reference(SRTPC_AEAD_AES_128_GCM);
}

static void
aead_aes_256_gcm_matches_rfc7714_reference(void **state)
{
	(void)state;
	check_suite_against_reference(SRTPC_AEAD_AES_256_GCM);
}

/* ---- behaviour ---- */

static const enum srtpc_suite suites[] = {
    SRTPC_AES_CM_128_HMAC_SHA1_32,
    SRTPC_AES_CM_128_HMAC_SHA1_80,
    SRTPC_AEAD_AES_128_GCM,
    SRTPC_AEAD_AES_256_GCM,
};

struct pair {
	struct srtpc_session *tx, *rx;
	uint8_t ks[SRTPC_MAX_KEY_SALT];
	size_t kslen;
};

static void
pair_new(struct pair *p, enum srtpc_suite suite)
{
	p->kslen = srtpc_key_len(suite) + srtpc_salt_len(suite);
	assert_int_equal(srtpc_keygen(suite, p->ks, sizeof(p->ks)), SRTPC_OK);
	assert_int_equal(
	    srtpc_session_new(suite, p->ks, p->kslen, SRTPC_SEND, &p->tx), 0);
	assert_int_equal(
	    srtpc_session_new(suite, p->ks, p->kslen, SRTPC_RECV, &p->rx), 0);
}

static void
pair_free(struct pair *p)
{
	srtpc_session_free(p->tx);
	srtpc_session_free(p->rx);
}

/* A G.711 20 ms packet: 12-byte header + 160 bytes. */
static size_t
g711(uint8_t *b, uint16_t seq, uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memset(b + 4, 0, 4);
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	for (int i = 0; i < 160; i++)
		b[12 + i] = (uint8_t)(i * 7 + seq);
	return 172;
}

static void
round_trip_every_suite_rtp_and_rtcp(void **state)
{
	(void)state;
	for (size_t s = 0; s < NELEM(suites); s++) {
		struct pair p;
		uint8_t plain[256], b[256];
		size_t n, m;

		pair_new(&p, suites[s]);
		for (uint16_t seq = 65530; seq != 10; seq++) { /* wraps: ROC */
			n = g711(plain, seq, 0x1234);
			memcpy(b, plain, n);
			m = n;
			assert_int_equal(
			    srtpc_protect_rtp(p.tx, b, &m, sizeof(b)), 0);
			assert_int_equal(m, n + srtpc_tag_len(suites[s]));
			assert_memory_not_equal(b + 12, plain + 12, 16);
			assert_int_equal(srtpc_unprotect_rtp(p.rx, b, &m), 0);
			assert_int_equal(m, n);
			assert_memory_equal(b, plain, n);
		}
		n = 28;
		memset(plain, 0x5a, n);
		plain[0] = 0x80;
		plain[1] = 200;
		memcpy(b, plain, n);
		m = n;
		assert_int_equal(srtpc_protect_rtcp(p.tx, b, &m, sizeof(b)), 0);
		assert_int_equal(srtpc_unprotect_rtcp(p.rx, b, &m), 0);
		assert_int_equal(m, n);
		assert_memory_equal(b, plain, n);
		pair_free(&p);
	}
}

static void
tampered_packets_fail_authentication(void **state)
{
	(void)state;
	for (size_t s = 0; s < NELEM(suites); s++) {
		struct pair p;
		uint8_t b[256], c[256];
		size_t n, m;

		pair_new(&p, suites[s]);
		n = g711(b, 1, 7);
		assert_int_equal(srtpc_protect_rtp(p.tx, b, &n, sizeof(b)), 0);
		/* a payload bit, a header bit, the last tag bit */
		size_t at[] = {40, 1, n - 1};
		for (size_t i = 0; i < NELEM(at); i++) {
			memcpy(c, b, n);
			m = n;
			c[at[i]] ^= 0x01;
			assert_int_equal(
			    srtpc_unprotect_rtp(p.rx, c, &m), SRTPC_E_AUTH);
		}
		/* the genuine packet still passes after the forgeries */
		m = n;
		assert_int_equal(srtpc_unprotect_rtp(p.rx, b, &m), 0);
		pair_free(&p);
	}
}

static void
replayed_packet_is_rejected(void **state)
{
	(void)state;
	for (size_t s = 0; s < NELEM(suites); s++) {
		struct pair p;
		uint8_t b[256], c[256], old[256];
		size_t n, m, on;

		pair_new(&p, suites[s]);
		on = g711(old, 1, 9);
		assert_int_equal(
		    srtpc_protect_rtp(p.tx, old, &on, sizeof(old)), 0);
		n = g711(b, 2, 9);
		assert_int_equal(srtpc_protect_rtp(p.tx, b, &n, sizeof(b)), 0);
		memcpy(c, b, n);
		m = n;
		assert_int_equal(srtpc_unprotect_rtp(p.rx, c, &m), 0);
		memcpy(c, b, n);
		m = n;
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, c, &m), SRTPC_E_REPLAY);
		/* an older packet inside the window is still accepted once */
		memcpy(c, old, on);
		m = on;
		assert_int_equal(srtpc_unprotect_rtp(p.rx, c, &m), 0);
		memcpy(c, old, on);
		m = on;
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, c, &m), SRTPC_E_REPLAY);
		pair_free(&p);
	}
}

static void
packet_far_behind_the_window_is_rejected(void **state)
{
	struct pair p;
	uint8_t first[256], b[256];
	size_t fn, n;

	(void)state;
	pair_new(&p, SRTPC_AES_CM_128_HMAC_SHA1_32);
	fn = g711(first, 1, 3);
	assert_int_equal(srtpc_protect_rtp(p.tx, first, &fn, sizeof(first)), 0);
	for (uint16_t seq = 2; seq < 300; seq++) {
		n = g711(b, seq, 3);
		assert_int_equal(srtpc_protect_rtp(p.tx, b, &n, sizeof(b)), 0);
		assert_int_equal(srtpc_unprotect_rtp(p.rx, b, &n), 0);
	}
	assert_int_equal(srtpc_unprotect_rtp(p.rx, first, &fn), SRTPC_E_REPLAY);
	pair_free(&p);
}

static void
short_and_malformed_packets_are_rejected(void **state)
{
	(void)state;
	for (size_t s = 0; s < NELEM(suites); s++) {
		struct pair p;
		uint8_t b[256];
		size_t n;

		pair_new(&p, suites[s]);
		/* shorter than an RTP header */
		n = g711(b, 1, 1);
		n = 11;
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, b, &n), SRTPC_E_SHORT);
		n = 0;
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, b, &n), SRTPC_E_SHORT);
		/* a header, no room for the tag */
		n = 12 + srtpc_tag_len(suites[s]) - 1;
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, b, &n), SRTPC_E_SHORT);
		/* CSRC count past the end */
		n = g711(b, 1, 1);
		b[0] = 0x8f;
		n = 40;
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, b, &n), SRTPC_E_SHORT);
		/* extension length past the end */
		n = g711(b, 1, 1);
		b[0] = 0x90;
		b[14] = 0xff;
		b[15] = 0xff;
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, b, &n), SRTPC_E_SHORT);
		/* version 1 */
		n = g711(b, 1, 1);
		b[0] = 0x40;
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, b, &n), SRTPC_E_MALFORMED);
		assert_int_equal(srtpc_protect_rtp(p.tx, b, &n, sizeof(b)),
		    SRTPC_E_MALFORMED);
		/* plain RTP on a secure leg: its "tag" does not verify */
		n = g711(b, 1, 1);
		assert_int_equal(
		    srtpc_unprotect_rtp(p.rx, b, &n), SRTPC_E_AUTH);
		/* SRTCP shorter than header + E||index + tag */
		n = 8 + srtpc_overhead(suites[s], 1) - 1;
		b[0] = 0x80;
		assert_int_equal(
		    srtpc_unprotect_rtcp(p.rx, b, &n), SRTPC_E_SHORT);
		n = 7;
		assert_int_equal(
		    srtpc_protect_rtcp(p.tx, b, &n, sizeof(b)), SRTPC_E_SHORT);
		/* no room for the trailer */
		n = g711(b, 1, 1);
		assert_int_equal(
		    srtpc_protect_rtp(p.tx, b, &n, n + 3), SRTPC_E_SPACE);
		pair_free(&p);
	}
}

static void
session_parameters_are_checked(void **state)
{
	struct srtpc_session *s = NULL;
	uint8_t ks[SRTPC_MAX_KEY_SALT] = {1};
	uint8_t b[256];
	size_t n;

	(void)state;
	assert_int_equal(srtpc_session_new(SRTPC_AES_CM_128_HMAC_SHA1_32, ks,
	                     29, SRTPC_SEND, &s),
	    SRTPC_E_PARAM);
	assert_int_equal(
	    srtpc_session_new(SRTPC_AEAD_AES_256_GCM, ks, 30, SRTPC_SEND, &s),
	    SRTPC_E_PARAM);
	assert_int_equal(
	    srtpc_session_new((enum srtpc_suite)3, ks, 30, SRTPC_SEND, &s),
	    SRTPC_E_PARAM);
	assert_int_equal(srtpc_session_new(SRTPC_NONE, ks, 0, SRTPC_SEND, &s),
	    SRTPC_E_PARAM);
	assert_null(s);
	assert_int_equal(
	    srtpc_session_new(SRTPC_AEAD_AES_256_GCM, ks, 44, SRTPC_RECV, &s),
	    SRTPC_OK);
	assert_int_equal(srtpc_session_suite(s), SRTPC_AEAD_AES_256_GCM);
	n = g711(b, 1, 1);
	assert_int_equal(srtpc_protect_rtp(s, b, &n, sizeof(b)), SRTPC_E_DIR);
	srtpc_session_free(s);
	srtpc_session_free(NULL);
	assert_int_equal(srtpc_key_len(SRTPC_AES_CM_128_HMAC_SHA1_32), 16);
	assert_int_equal(srtpc_salt_len(SRTPC_AES_CM_128_HMAC_SHA1_32), 14);
	assert_int_equal(srtpc_key_len(SRTPC_AEAD_AES_128_GCM), 16);
	assert_int_equal(srtpc_salt_len(SRTPC_AEAD_AES_128_GCM), 12);
	assert_int_equal(srtpc_key_len(SRTPC_AEAD_AES_256_GCM), 32);
	assert_int_equal(srtpc_overhead(SRTPC_AES_CM_128_HMAC_SHA1_32, 0), 4);
	assert_int_equal(srtpc_overhead(SRTPC_AES_CM_128_HMAC_SHA1_32, 1), 14);
	assert_int_equal(srtpc_overhead(SRTPC_AEAD_AES_256_GCM, 1), 20);
	assert_string_equal(
	    srtpc_err_str(SRTPC_E_AUTH), "authentication failed");
	assert_string_equal(srtpc_err_str(5), "unknown error");
	assert_string_equal(srtpc_err_str(-100), "unknown error");
}

static void
keygen_is_fresh_and_base64_is_key_then_salt(void **state)
{
	uint8_t a[SRTPC_MAX_KEY_SALT], b[SRTPC_MAX_KEY_SALT];
	char s[SRTPC_B64_SIZE];
	struct srtpc_session *ses = NULL;

	(void)state;
	assert_int_equal(
	    srtpc_keygen(SRTPC_AES_CM_128_HMAC_SHA1_32, a, 29), SRTPC_E_PARAM);
	assert_int_equal(srtpc_keygen(SRTPC_AES_CM_128_HMAC_SHA1_32, a, 30), 0);
	assert_int_equal(srtpc_keygen(SRTPC_AES_CM_128_HMAC_SHA1_32, b, 30), 0);
	assert_memory_not_equal(a, b, 30);
	assert_int_equal(srtpc_keygen(SRTPC_AEAD_AES_256_GCM, a, sizeof(a)), 0);

	/* 30 bytes -> 40 characters, as `show ephone offhook` prints */
	for (int i = 0; i < 30; i++)
		a[i] = (uint8_t)i;
	assert_int_equal(srtpc_key_base64(a, 30, s, 40), SRTPC_E_PARAM);
	assert_int_equal(srtpc_key_base64(a, 30, s, sizeof(s)), 0);
	assert_string_equal(s, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd");
	assert_int_equal(srtpc_session_new(SRTPC_AES_CM_128_HMAC_SHA1_32, a, 30,
	                     SRTPC_SEND, &ses),
	    0);
	memset(s, 0, sizeof(s));
	assert_int_equal(srtpc_session_key_base64(ses, s, sizeof(s)), 0);
	assert_string_equal(s, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd");
	srtpc_session_free(ses);
	assert_int_equal(srtpc_key_base64(a, 44, s, sizeof(s)), 0);
	assert_int_equal(strlen(s), 60);
}

static void
new_ssrcs_beyond_the_bound_are_refused(void **state)
{
	struct pair p;
	uint8_t b[256];
	size_t n;

	(void)state;
	pair_new(&p, SRTPC_AES_CM_128_HMAC_SHA1_80);
	for (uint32_t ssrc = 1; ssrc <= SRTPC_MAX_SSRC; ssrc++) {
		n = g711(b, 1, ssrc);
		assert_int_equal(srtpc_protect_rtp(p.tx, b, &n, sizeof(b)), 0);
		assert_int_equal(srtpc_unprotect_rtp(p.rx, b, &n), 0);
	}
	n = g711(b, 1, 99);
	assert_int_equal(
	    srtpc_protect_rtp(p.tx, b, &n, sizeof(b)), SRTPC_E_SSRC);
	/* known SSRCs still work */
	n = g711(b, 2, 1);
	assert_int_equal(srtpc_protect_rtp(p.tx, b, &n, sizeof(b)), 0);
	assert_int_equal(srtpc_unprotect_rtp(p.rx, b, &n), 0);
	pair_free(&p);
}

/* Sessions keep the primitives they were made with; libsrtp2's own pass
 * the same reference checks as OpenSSL's, and OpenSSL's come back. */
static void
primitives_switch_and_both_pass_the_vectors(void **state)
{
	struct pair before;
	uint8_t b[256];
	size_t n;

	(void)state;
	assert_int_equal(srtpc_primitives(), SRTPC_PRIM_OPENSSL);
	pair_new(&before, SRTPC_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(srtpc_set_primitives(SRTPC_PRIM_LIBSRTP), 0);
	assert_int_equal(srtpc_primitives(), SRTPC_PRIM_LIBSRTP);
	for (size_t i = 0; i < NELEM(suites); i++)
		check_suite_against_reference(suites[i]);
	n = g711(b, 7, 0x77);
	assert_int_equal(srtpc_protect_rtp(before.tx, b, &n, sizeof(b)), 0);
	assert_int_equal(srtpc_unprotect_rtp(before.rx, b, &n), 0);
	assert_int_equal(srtpc_set_primitives(SRTPC_PRIM_OPENSSL), 0);
	assert_int_equal(srtpc_primitives(), SRTPC_PRIM_OPENSSL);
	assert_int_equal(srtpc_set_primitives(99), SRTPC_E_PARAM);
	assert_string_equal(
	    srtpc_primitives_name(SRTPC_PRIM_OPENSSL), "OpenSSL");
	pair_free(&before);
}

/*
 * ---- OpenSSL primitives against libsrtp2's own, in two processes ----
 *
 * The primitives are process-global, so a forked child switches to
 * libsrtp2's own while this process keeps OpenSSL's.  Each side protects
 * one direction (its own key, RTP across the sequence-number wrap, so
 * the ROC changes, and SRTCP) and sends the packets over a pipe; the
 * other side checks that it protects the same plaintexts to the same
 * bytes and that its receiving session unprotects them.
 */
#define XN 600 /* packets per direction and kind */

static size_t
x_plain(uint8_t *b, int dir, int rtcp, unsigned i)
{
	uint32_t ssrc = 0x5100u + (uint32_t)dir;

	if (!rtcp) /* sequence numbers 65236 .. 65535, 0 .. 299 */
		return g711(b, (uint16_t)(65536u - XN / 2 + i), ssrc);
	b[0] = 0x80; /* a sender report of 28 bytes */
	b[1] = 200;
	b[2] = 0;
	b[3] = 6;
	b[4] = (uint8_t)(ssrc >> 24);
	b[5] = (uint8_t)(ssrc >> 16);
	b[6] = (uint8_t)(ssrc >> 8);
	b[7] = (uint8_t)ssrc;
	for (unsigned k = 8; k < 28; k++)
		b[k] = (uint8_t)(i * 3 + k + (unsigned)dir);
	return 28;
}

static int
x_protect(struct srtpc_session *s, int rtcp, uint8_t *b, size_t *n)
{
	return rtcp ? srtpc_protect_rtcp(s, b, n, 256)
	            : srtpc_protect_rtp(s, b, n, 256);
}

static int
x_io(int fd, uint8_t *b, size_t n, int is_write)
{
	while (n > 0) {
		ssize_t k = is_write ? write(fd, b, n) : read(fd, b, n);

		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Protects direction dir and writes each packet as len(2) || bytes. */
static int
x_send(int fd, enum srtpc_suite suite, const uint8_t *key, int dir)
{
	struct srtpc_session *tx;
	uint8_t b[2 + 256];
	int rc = 0;

	if (srtpc_session_new(suite, key,
	        srtpc_key_len(suite) + srtpc_salt_len(suite), SRTPC_SEND,
	        &tx) != 0)
		return 10;
	for (int rtcp = 0; rtcp < 2 && rc == 0; rtcp++)
		for (unsigned i = 0; i < XN && rc == 0; i++) {
			size_t n = x_plain(b + 2, dir, rtcp, i);

			if (x_protect(tx, rtcp, b + 2, &n) != 0)
				rc = 11;
			b[0] = (uint8_t)(n >> 8);
			b[1] = (uint8_t)n;
			if (rc == 0 && x_io(fd, b, n + 2, 1) != 0)
				rc = 12;
		}
	srtpc_session_free(tx);
	return rc;
}

/* Reads direction dir's packets: same bytes as ours, and unprotected. */
static int
x_check(int fd, enum srtpc_suite suite, const uint8_t *key, int dir)
{
	struct srtpc_session *tx, *rx;
	size_t klen = srtpc_key_len(suite) + srtpc_salt_len(suite);
	int rc = 0;

	if (srtpc_session_new(suite, key, klen, SRTPC_SEND, &tx) != 0)
		return 20;
	if (srtpc_session_new(suite, key, klen, SRTPC_RECV, &rx) != 0) {
		srtpc_session_free(tx);
		return 20;
	}
	for (int rtcp = 0; rtcp < 2 && rc == 0; rtcp++)
		for (unsigned i = 0; i < XN && rc == 0; i++) {
			uint8_t hdr[2], got[256], mine[256], plain[256];
			size_t n, pn = x_plain(plain, dir, rtcp, i), mn = pn;

			memcpy(mine, plain, pn);
			if (x_io(fd, hdr, 2, 0) != 0 ||
			    (n = (size_t)hdr[0] << 8 | hdr[1]) > sizeof(got) ||
			    x_io(fd, got, n, 0) != 0)
				rc = 21;
			else if (x_protect(tx, rtcp, mine, &mn) != 0 ||
			    mn != n || memcmp(mine, got, n) != 0)
				rc = 22; /* the two primitives differ */
			else if ((rtcp ? srtpc_unprotect_rtcp(rx, got, &n)
			               : srtpc_unprotect_rtp(rx, got, &n)) !=
			        0 ||
			    n != pn || memcmp(got, plain, pn) != 0)
				rc = 23;
		}
	srtpc_session_free(tx);
	srtpc_session_free(rx);
	return rc;
}

/* The child: libsrtp2's own primitives; checks 0, then sends 1. */
static int
x_child(int in, int out, enum srtpc_suite suite, const uint8_t *k0,
    const uint8_t *k1)
{
	int rc;

	if (srtpc_set_primitives(SRTPC_PRIM_LIBSRTP) != 0 ||
	    srtpc_primitives() != SRTPC_PRIM_LIBSRTP)
		return 30;
	if ((rc = x_check(in, suite, k0, 0)) != 0)
		return rc;
	return x_send(out, suite, k1, 1);
}

static void
openssl_and_libsrtp_primitives_interoperate(void **state)
{
	/* every suite; GCM is not replaced but its key derivation is */
	(void)state;
	assert_int_equal(srtpc_primitives(), SRTPC_PRIM_OPENSSL);
	/* a child that fails early must not kill us with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	for (size_t j = 0; j < NELEM(suites); j++) {
		uint8_t k0[SRTPC_MAX_KEY_SALT], k1[SRTPC_MAX_KEY_SALT];
		int to_child[2], to_parent[2], status = -1;
		pid_t pid;

		assert_int_equal(srtpc_keygen(suites[j], k0, sizeof(k0)), 0);
		assert_int_equal(srtpc_keygen(suites[j], k1, sizeof(k1)), 0);
		assert_int_equal(pipe(to_child), 0);
		assert_int_equal(pipe(to_parent), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(to_child[1]);
			close(to_parent[0]);
			_exit(x_child(
			    to_child[0], to_parent[1], suites[j], k0, k1));
		}
		close(to_child[0]);
		close(to_parent[1]);
		assert_int_equal(x_send(to_child[1], suites[j], k0, 0), 0);
		close(to_child[1]);
		assert_int_equal(x_check(to_parent[0], suites[j], k1, 1), 0);
		close(to_parent[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	signal(SIGPIPE, SIG_DFL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc3711_b2_aes_cm_keystream),
	    cmocka_unit_test(rfc3711_b3_key_derivation),
	    cmocka_unit_test(rfc7714_gcm_vectors_reproduced_by_reference),
	    cmocka_unit_test(
	        aes_cm_128_sha1_32_matches_reference_with_b3_master_key),
	    cmocka_unit_test(
	        aes_cm_128_sha1_80_matches_reference_with_b3_master_key),
	    cmocka_unit_test(aead_aes_128_gcm_matches_rfc7714_reference),
	    cmocka_unit_test(aead_aes_256_gcm_matches_rfc7714_reference),
	    cmocka_unit_test(round_trip_every_suite_rtp_and_rtcp),
	    cmocka_unit_test(tampered_packets_fail_authentication),
	    cmocka_unit_test(replayed_packet_is_rejected),
	    cmocka_unit_test(packet_far_behind_the_window_is_rejected),
	    cmocka_unit_test(short_and_malformed_packets_are_rejected),
	    cmocka_unit_test(session_parameters_are_checked),
	    cmocka_unit_test(keygen_is_fresh_and_base64_is_key_then_salt),
	    cmocka_unit_test(new_ssrcs_beyond_the_bound_are_refused),
	    cmocka_unit_test(primitives_switch_and_both_pass_the_vectors),
	    cmocka_unit_test(openssl_and_libsrtp_primitives_interoperate),
	};

	assert_int_equal(srtpc_init(), 0);
	/* every test above runs on the OpenSSL primitives */
	assert_int_equal(srtpc_primitives_error(), 0);
	assert_int_equal(srtpc_primitives(), SRTPC_PRIM_OPENSSL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
