/*
 * IOS password encodings (types 5, 6, 7, 8, 9) and the Unified CME password
 * policy.  Algorithms and vectors: shared/spec/pki-passwords.md sections 1
 * and 2.
 *
 * Every decoder validates the whole input before touching key material, and
 * reads at most a bounded prefix of it (strnlen), so an overlong hostile
 * string is refused without being scanned or copied.  Plaintexts are
 * returned as C strings, so a decoded secret containing a NUL byte is
 * refused rather than silently truncated.  Type 7 also refuses an empty
 * secret (spec 1.1); type 6 keeps it, as its deterministic test table
 * includes one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fmt/passwd.h"

/* Type 7: the 53-character key, indexed modulo 53 from the offset. */
static const char T7_KEY[] =
    "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87";
#define T7_KEYLEN 53
_Static_assert(sizeof(T7_KEY) == T7_KEYLEN + 1, "type 7 key length");
#define T7_PLAIN_MAX 255
#define T7_ENC_MAX (2 + 2 * T7_PLAIN_MAX)
/* IOS itself picks 00-15; decoders accept the whole key. */
#define T7_RANDOM_OFFSETS 16

/*
 * Type 6: the keystream counter is one byte of the counter block, so at most
 * 256 blocks of ciphertext exist.
 */
#define T6_SALT_LEN 8
#define T6_MAC_LEN 4
#define T6_CT_MAX (256 * 16)
#define T6_BLOB_MAX (T6_SALT_LEN + T6_CT_MAX + T6_MAC_LEN)
#define T6_ARMOUR_LEN(blob) (3 * ((blob) / 2 + 1))
#define T6_ENC_MAX T6_ARMOUR_LEN(T6_BLOB_MAX)
#define B41_BASE 41
#define B41_FIRST 'A'
#define B41_LAST (B41_FIRST + B41_BASE - 1)

/* Types 5, 8, 9. */
#define MD5C_MAGIC "$1$"
#define MD5C_SALT_MAX 8
#define MD5C_HASH_LEN 22
#define MD5C_ROUNDS 1000
#define H89_SALT_LEN 14
#define H89_KEY_LEN 32
#define H89_DIGEST_LEN 43 /* base64c of 32 bytes, no padding */
#define H89_HASH_LEN (3 + H89_SALT_LEN + 1 + H89_DIGEST_LEN)
#define T8_ITER 20000
#define T9_N 16384
#define T9_R 1
#define T9_P 1
/* Bounds the md5-crypt work (1000 rounds over the password) per call. */
#define HASH_PLAIN_MAX 1024

#define POLICY_MIN 6
#define POLICY_MAX 15
#define ATA_IVR_LEN 4

/* crypt(3) "hash64" (md5-crypt) and Cisco base64 share this alphabet. */
static const char B64C[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const char PASSWD_POLICY_ERROR[] =
    "Error: The password you have entered is incorrect.\n"
    "Your password must contain:\n"
    "1. A minimum of 6 and a maximum of 15 alphanumeric characters, "
    "excluding symbols and special characters.\n"
    "2. A minimum of one numeral, one uppercase alphabet, and one lowercase "
    "alphabet.\n";

const char *
passwd_err_str(int err)
{
	switch (err) {
	case PASSWD_OK:
		return "success";
	case PASSWD_E_FORMAT:
		return "malformed encoding or invalid argument";
	case PASSWD_E_AUTH:
		return "authentication failed (wrong master key?)";
	case PASSWD_E_TOOLONG:
		return "password too long for the encoding";
	case PASSWD_E_NOMEM:
		return "out of memory";
	case PASSWD_E_CRYPTO:
		return "cryptographic library failure";
	default:
		return "unknown error";
	}
}

void
passwd_free(char *secret)
{
	if (secret == NULL)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

/* Frees a partially built secret whose length is known (may hold NULs). */
static void
secret_discard(uint8_t *buf, size_t len)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int
hex_val(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
random_bytes(uint8_t *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : PASSWD_E_CRYPTO;
}

/* ------------------------------------------------------------------ */
/* Type 7 */

int
passwd7_decode(const char *enc, char **plain_out)
{
	uint8_t *plain = NULL;
	size_t len, n = 0, i;
	unsigned off;
	int rc = PASSWD_E_FORMAT;

	if (enc == NULL || plain_out == NULL)
		goto out;
	len = strnlen(enc, T7_ENC_MAX + 1);
	if (len > T7_ENC_MAX) {
		rc = PASSWD_E_TOOLONG;
		goto out;
	}
	/* An empty body is refused: IOS never writes an empty secret. */
	if (len < 4 || len % 2 != 0 || !is_digit(enc[0]) || !is_digit(enc[1]))
		goto out;
	off = (unsigned)(enc[0] - '0') * 10 + (unsigned)(enc[1] - '0');
	if (off >= T7_KEYLEN)
		goto out;
	n = (len - 2) / 2;
	if ((plain = malloc(n + 1)) == NULL) {
		rc = PASSWD_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		int hi = hex_val((unsigned char)enc[2 + 2 * i]);
		int lo = hex_val((unsigned char)enc[3 + 2 * i]);

		if (hi < 0 || lo < 0)
			goto out;
		plain[i] = (uint8_t)((hi << 4 | lo) ^
		    (unsigned char)T7_KEY[(off + i) % T7_KEYLEN]);
		/* A C string cannot carry it; refuse instead of truncating. */
		if (plain[i] == 0)
			goto out;
	}
	plain[n] = '\0';
	*plain_out = (char *)plain;
	plain = NULL;
	rc = PASSWD_OK;
out:
	if (plain != NULL)
		secret_discard(plain, n + 1);
	return rc;
}

int
passwd7_encode(const char *plain, unsigned offset, char **enc_out)
{
	static const char hex[] = "0123456789ABCDEF";
	char *enc = NULL;
	size_t len, i;
	int rc = PASSWD_E_FORMAT;

	if (plain == NULL || enc_out == NULL || offset >= T7_KEYLEN)
		goto out;
	len = strnlen(plain, T7_PLAIN_MAX + 1);
	if (len == 0)
		goto out;
	if (len > T7_PLAIN_MAX) {
		rc = PASSWD_E_TOOLONG;
		goto out;
	}
	if ((enc = malloc(2 + 2 * len + 1)) == NULL) {
		rc = PASSWD_E_NOMEM;
		goto out;
	}
	enc[0] = (char)('0' + offset / 10);
	enc[1] = (char)('0' + offset % 10);
	for (i = 0; i < len; i++) {
		unsigned x = (unsigned char)plain[i] ^
		    (unsigned char)T7_KEY[(offset + i) % T7_KEYLEN];

		enc[2 + 2 * i] = hex[x >> 4];
		enc[3 + 2 * i] = hex[x & 0xf];
	}
	enc[2 + 2 * len] = '\0';
	*enc_out = enc;
	rc = PASSWD_OK;
out:
	return rc;
}

int
passwd7_encode_random(const char *plain, char **enc_out)
{
	uint8_t r;
	int rc;

	if ((rc = random_bytes(&r, 1)) != 0)
		goto out;
	/* 256 is a multiple of 16, so the reduction stays uniform. */
	rc = passwd7_encode(plain, r % T7_RANDOM_OFFSETS, enc_out);
out:
	return rc;
}

/* ------------------------------------------------------------------ */
/* Type 6 */

static void
b41_put(char *o, unsigned v)
{
	o[0] = (char)(B41_FIRST + v / (B41_BASE * B41_BASE));
	o[1] = (char)(B41_FIRST + v / B41_BASE % B41_BASE);
	o[2] = (char)(B41_FIRST + v % B41_BASE);
}

/* out must hold T6_ARMOUR_LEN(len) + 1 bytes. */
static void
b41_encode(const uint8_t *blob, size_t len, char *out)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2, out += 3)
		b41_put(out, (unsigned)blob[i] << 8 | blob[i + 1]);
	/*
	 * The final triplet doubles as a terminator: (last byte, 00) for an
	 * odd blob, 0x0001 for an even one, which keeps the two apart.
	 */
	if (len % 2 != 0)
		b41_put(out, (unsigned)blob[len - 1] << 8);
	else
		b41_put(out, 1);
	out[3] = '\0';
}

/*
 * Validates the armour of a string of slen characters and, when blob is not
 * NULL (room for 2 * slen / 3 bytes), writes the decoded bytes.
 */
static int
b41_decode(const char *s, size_t slen, uint8_t *blob, size_t *bloblen)
{
	size_t i, n = 0;
	unsigned v = 0;

	if (slen == 0 || slen % 3 != 0)
		return PASSWD_E_FORMAT;
	for (i = 0; i < slen; i += 3) {
		int k;

		v = 0;
		for (k = 0; k < 3; k++) {
			int c = (unsigned char)s[i + k];

			if (c < B41_FIRST || c > B41_LAST)
				return PASSWD_E_FORMAT;
			v = v * B41_BASE + (unsigned)(c - B41_FIRST);
		}
		if (v > 0xffff)
			return PASSWD_E_FORMAT;
		if (blob != NULL) {
			blob[n] = (uint8_t)(v >> 8);
			blob[n + 1] = (uint8_t)v;
		}
		n += 2;
	}
	if (v == 1)
		n -= 2;
	else if ((v & 0xff) == 0)
		n -= 1;
	else
		return PASSWD_E_FORMAT;
	*bloblen = n;
	return PASSWD_OK;
}

/* Checks everything that can be checked without the master key. */
static int
t6_shape(const char *enc, size_t *enclen, size_t *bloblen)
{
	size_t len, n;
	int rc;

	if (enc == NULL)
		return PASSWD_E_FORMAT;
	len = strnlen(enc, T6_ENC_MAX + 1);
	if (len > T6_ENC_MAX)
		return PASSWD_E_TOOLONG;
	if ((rc = b41_decode(enc, len, NULL, &n)) != 0)
		return rc;
	if (n < T6_SALT_LEN + T6_MAC_LEN)
		return PASSWD_E_FORMAT;
	if (n > T6_BLOB_MAX)
		return PASSWD_E_TOOLONG;
	*enclen = len;
	*bloblen = n;
	return PASSWD_OK;
}

/* len must be a multiple of 16. */
static int
aes128_ecb(const uint8_t key[16], const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int outl = 0, finl = 0, rc = PASSWD_E_CRYPTO;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_EncryptInit_ex2(ctx, EVP_aes_128_ecb(), key, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_EncryptUpdate(ctx, out, &outl, in, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + outl, &finl) != 1 ||
	    (size_t)outl + (size_t)finl != len)
		goto out;
	rc = PASSWD_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* ka (MAC key) and ke (encryption key) from the master key and the salt. */
static int
t6_keys(const char *master, const uint8_t *salt, uint8_t ka[16], uint8_t ke[16])
{
	uint8_t km[16], in[32], out[32];
	size_t mlen = strlen(master);
	int rc = PASSWD_E_CRYPTO;

	/* The key text as typed, without its terminator (spec 1.7). */
	if (EVP_Digest(master, mlen, km, NULL, EVP_md5(), NULL) != 1)
		goto out;
	memset(in, 0, sizeof(in));
	memcpy(in, salt, T6_SALT_LEN);
	memcpy(in + 16, salt, T6_SALT_LEN);
	in[31] = 1;
	if ((rc = aes128_ecb(km, in, sizeof(in), out)) != 0)
		goto out;
	memcpy(ka, out, 16);
	memcpy(ke, out + 16, 16);
out:
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

/* CTR-like keystream; the same call encrypts and decrypts.  len <= 4096. */
static int
t6_xcrypt(const uint8_t ke[16], const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t ctr[T6_CT_MAX], ks[T6_CT_MAX];
	size_t nblk = (len + 15) / 16, i;
	int rc = PASSWD_E_CRYPTO;

	if (len > T6_CT_MAX)
		goto out;
	if (len == 0) {
		rc = PASSWD_OK;
		goto out;
	}
	memset(ctr, 0, nblk * 16);
	for (i = 0; i < nblk; i++)
		ctr[i * 16 + 3] = (uint8_t)i;
	if ((rc = aes128_ecb(ke, ctr, nblk * 16, ks)) != 0)
		goto out;
	for (i = 0; i < len; i++)
		out[i] = in[i] ^ ks[i];
out:
	OPENSSL_cleanse(ks, sizeof(ks));
	return rc;
}

/* Truncated HMAC-SHA1 over the ciphertext. */
static int
t6_mac(const uint8_t ka[16], const uint8_t *ct, size_t len,
    uint8_t mac[T6_MAC_LEN])
{
	static const uint8_t empty[1];
	uint8_t full[20];
	size_t fulllen = 0;
	int rc = PASSWD_E_CRYPTO;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, ka, 16,
	        len > 0 ? ct : empty, len, full, sizeof(full),
	        &fulllen) == NULL ||
	    fulllen != sizeof(full))
		goto out;
	memcpy(mac, full, T6_MAC_LEN);
	rc = PASSWD_OK;
out:
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

/* Encrypts len bytes of pt (which may include the C terminator). */
static int
t6_seal(const char *master, const uint8_t *pt, size_t len, const uint8_t *salt8,
    char **enc_out)
{
	uint8_t blob[T6_BLOB_MAX], ka[16], ke[16];
	size_t bloblen = T6_SALT_LEN + len + T6_MAC_LEN;
	char *enc = NULL;
	int rc;

	if (len > T6_CT_MAX) {
		rc = PASSWD_E_TOOLONG;
		goto out;
	}
	if (salt8 != NULL)
		memcpy(blob, salt8, T6_SALT_LEN);
	else if ((rc = random_bytes(blob, T6_SALT_LEN)) != 0)
		goto out;
	if ((rc = t6_keys(master, blob, ka, ke)) != 0 ||
	    (rc = t6_xcrypt(ke, pt, len, blob + T6_SALT_LEN)) != 0 ||
	    (rc = t6_mac(
	         ka, blob + T6_SALT_LEN, len, blob + T6_SALT_LEN + len)) != 0)
		goto out;
	if ((enc = malloc(T6_ARMOUR_LEN(bloblen) + 1)) == NULL) {
		rc = PASSWD_E_NOMEM;
		goto out;
	}
	b41_encode(blob, bloblen, enc);
	*enc_out = enc;
	rc = PASSWD_OK;
out:
	OPENSSL_cleanse(ka, sizeof(ka));
	OPENSSL_cleanse(ke, sizeof(ke));
	return rc;
}

static int
t6_encode(const char *master, const char *plain, const uint8_t *salt8,
    int with_nul, char **enc_out)
{
	size_t len;

	if (master == NULL || plain == NULL || enc_out == NULL)
		return PASSWD_E_FORMAT;
	len = strnlen(plain, T6_CT_MAX + 1);
	if (len + (with_nul ? 1 : 0) > T6_CT_MAX)
		return PASSWD_E_TOOLONG;
	return t6_seal(master, (const uint8_t *)plain, len + (with_nul ? 1 : 0),
	    salt8, enc_out);
}

int
passwd6_encode(
    const char *master, const char *plain, const uint8_t *salt8, char **enc_out)
{
	return t6_encode(master, plain, salt8, 0, enc_out);
}

int
passwd6_encode_with_nul(
    const char *master, const char *plain, const uint8_t *salt8, char **enc_out)
{
	return t6_encode(master, plain, salt8, 1, enc_out);
}

int
passwd6_is_wellformed(const char *enc)
{
	size_t enclen, bloblen;

	return t6_shape(enc, &enclen, &bloblen) == PASSWD_OK;
}

int
passwd6_decode(const char *master, const char *enc, char **plain_out)
{
	uint8_t *blob = NULL, *plain = NULL, ka[16], ke[16], mac[T6_MAC_LEN];
	size_t enclen, bloblen = 0, ctlen = 0, ptlen;
	int rc;

	if (master == NULL || plain_out == NULL) {
		rc = PASSWD_E_FORMAT;
		goto out;
	}
	if ((rc = t6_shape(enc, &enclen, &bloblen)) != 0)
		goto out;
	/* Two armour bytes per triplet, terminator included. */
	if ((blob = malloc(2 * enclen / 3)) == NULL) {
		rc = PASSWD_E_NOMEM;
		goto out;
	}
	if ((rc = b41_decode(enc, enclen, blob, &bloblen)) != 0)
		goto out;
	ctlen = bloblen - T6_SALT_LEN - T6_MAC_LEN;
	if ((rc = t6_keys(master, blob, ka, ke)) != 0 ||
	    (rc = t6_mac(ka, blob + T6_SALT_LEN, ctlen, mac)) != 0)
		goto out;
	/* Authenticate before decrypting, without a timing oracle. */
	if (CRYPTO_memcmp(mac, blob + T6_SALT_LEN + ctlen, T6_MAC_LEN) != 0) {
		rc = PASSWD_E_AUTH;
		goto out;
	}
	if ((plain = malloc(ctlen + 1)) == NULL) {
		rc = PASSWD_E_NOMEM;
		goto out;
	}
	if ((rc = t6_xcrypt(ke, blob + T6_SALT_LEN, ctlen, plain)) != 0)
		goto out;
	plain[ctlen] = '\0';
	/* Cisco's own tool encrypts the terminator; devices do not. */
	for (ptlen = ctlen; ptlen > 0 && plain[ptlen - 1] == '\0'; ptlen--)
		;
	if (memchr(plain, '\0', ptlen) != NULL) {
		rc = PASSWD_E_FORMAT;
		goto out;
	}
	*plain_out = (char *)plain;
	plain = NULL;
	rc = PASSWD_OK;
out:
	OPENSSL_cleanse(ka, sizeof(ka));
	OPENSSL_cleanse(ke, sizeof(ke));
	secret_discard(plain, ctlen + 1);
	secret_discard(blob, bloblen);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Type 5: FreeBSD md5-crypt */

static void
to64(char *out, unsigned long v, int n)
{
	while (n-- > 0) {
		*out++ = B64C[v & 0x3f];
		v >>= 6;
	}
}

static int
md_update(EVP_MD_CTX *ctx, const void *p, size_t n)
{
	return EVP_DigestUpdate(ctx, p, n) == 1 ? 0 : PASSWD_E_CRYPTO;
}

static int
md_final(EVP_MD_CTX *ctx, uint8_t fin[16])
{
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(ctx, fin, &len) != 1 || len != 16)
		return PASSWD_E_CRYPTO;
	return PASSWD_OK;
}

/* One of the 1000 stretching rounds; fin is both input and output. */
static int
md5crypt_round(EVP_MD_CTX *ctx, const EVP_MD *md, size_t i, const char *pw,
    size_t pwlen, const char *salt, size_t saltlen, uint8_t fin[16])
{
	const void *first = fin, *last = pw;
	size_t firstlen = 16, lastlen = pwlen;
	int rc;

	if (i & 1) {
		first = pw;
		firstlen = pwlen;
		last = fin;
		lastlen = 16;
	}
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
		return PASSWD_E_CRYPTO;
	if ((rc = md_update(ctx, first, firstlen)) != 0 ||
	    (i % 3 != 0 && (rc = md_update(ctx, salt, saltlen)) != 0) ||
	    (i % 7 != 0 && (rc = md_update(ctx, pw, pwlen)) != 0) ||
	    (rc = md_update(ctx, last, lastlen)) != 0)
		return rc;
	return md_final(ctx, fin);
}

/* Writes the 22-character hash part of $1$salt$hash (not terminated). */
static int
md5crypt(const char *pw, size_t pwlen, const char *salt, size_t saltlen,
    char out[MD5C_HASH_LEN])
{
	/* Byte order of the final encoding, fixed by the original crypt. */
	static const uint8_t perm[5][3] = {
	    {0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}};
	static const uint8_t zero[1];
	EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	uint8_t fin[16];
	size_t pl, i;
	int rc = PASSWD_E_CRYPTO;

	/* One fetch for the 1002 digests instead of one per init. */
	if ((md = EVP_MD_fetch(NULL, "MD5", NULL)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    (rc = md_update(ctx, pw, pwlen)) != 0 ||
	    (rc = md_update(ctx, salt, saltlen)) != 0 ||
	    (rc = md_update(ctx, pw, pwlen)) != 0 ||
	    (rc = md_final(ctx, fin)) != 0)
		goto out;
	rc = PASSWD_E_CRYPTO;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    (rc = md_update(ctx, pw, pwlen)) != 0 ||
	    (rc = md_update(ctx, MD5C_MAGIC, 3)) != 0 ||
	    (rc = md_update(ctx, salt, saltlen)) != 0)
		goto out;
	for (pl = pwlen; pl > 0; pl -= pl > 16 ? 16 : pl)
		if ((rc = md_update(ctx, fin, pl > 16 ? 16 : pl)) != 0)
			goto out;
	/*
	 * The original clears the digest before this loop and then feeds its
	 * first byte, i.e. a NUL; reproduce that quirk.
	 */
	for (i = pwlen; i != 0; i >>= 1)
		if ((rc = md_update(
		         ctx, (i & 1) ? zero : (const void *)pw, 1)) != 0)
			goto out;
	if ((rc = md_final(ctx, fin)) != 0)
		goto out;
	for (i = 0; i < MD5C_ROUNDS; i++)
		if ((rc = md5crypt_round(
		         ctx, md, i, pw, pwlen, salt, saltlen, fin)) != 0)
			goto out;
	for (i = 0; i < 5; i++)
		to64(out + 4 * i,
		    (unsigned long)fin[perm[i][0]] << 16 |
		        (unsigned long)fin[perm[i][1]] << 8 | fin[perm[i][2]],
		    4);
	to64(out + 20, fin[11], 2);
	rc = PASSWD_OK;
out:
	OPENSSL_cleanse(fin, sizeof(fin));
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return rc;
}

static int
in_b64c(int c)
{
	return c != '\0' && strchr(B64C, c) != NULL;
}

/* Salts of types 5, 8 and 9: printable ASCII, no '$' (field separator). */
static int
salt_char_ok(int c)
{
	return c > ' ' && c < 0x7f && c != '$';
}

static int
plain_len(const char *plain, size_t *len)
{
	if (plain == NULL)
		return PASSWD_E_FORMAT;
	*len = strnlen(plain, HASH_PLAIN_MAX + 1);
	return *len > HASH_PLAIN_MAX ? PASSWD_E_TOOLONG : PASSWD_OK;
}

int
passwd5_verify(const char *hash, const char *plain)
{
	char calc[MD5C_HASH_LEN];
	const char *salt, *h;
	size_t saltlen = 0, pwlen, i;
	int rc = PASSWD_E_FORMAT;

	if (hash == NULL || strncmp(hash, MD5C_MAGIC, 3) != 0)
		goto out;
	salt = hash + 3;
	while (saltlen <= MD5C_SALT_MAX &&
	    salt_char_ok((unsigned char)salt[saltlen]))
		saltlen++;
	if (saltlen == 0 || saltlen > MD5C_SALT_MAX || salt[saltlen] != '$')
		goto out;
	h = salt + saltlen + 1;
	for (i = 0; i < MD5C_HASH_LEN; i++)
		if (!in_b64c((unsigned char)h[i]))
			goto out;
	if (h[MD5C_HASH_LEN] != '\0')
		goto out;
	if ((rc = plain_len(plain, &pwlen)) != 0 ||
	    (rc = md5crypt(plain, pwlen, salt, saltlen, calc)) != 0)
		goto out;
	rc = CRYPTO_memcmp(calc, h, MD5C_HASH_LEN) == 0;
out:
	OPENSSL_cleanse(calc, sizeof(calc));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Types 8 and 9 */

/* Cisco base64: RFC 4648 bit order, crypt alphabet, no padding. */
static void
b64c_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i;
	unsigned long v;

	for (i = 0; i + 2 < len; i += 3, out += 4) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		out[0] = B64C[v >> 18 & 0x3f];
		out[1] = B64C[v >> 12 & 0x3f];
		out[2] = B64C[v >> 6 & 0x3f];
		out[3] = B64C[v & 0x3f];
	}
	if (len - i == 1) {
		v = (unsigned long)in[i] << 16;
		out[0] = B64C[v >> 18 & 0x3f];
		out[1] = B64C[v >> 12 & 0x3f];
		out += 2;
	} else if (len - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[0] = B64C[v >> 18 & 0x3f];
		out[1] = B64C[v >> 12 & 0x3f];
		out[2] = B64C[v >> 6 & 0x3f];
		out += 3;
	}
	*out = '\0';
}

static int
h89_salt_ok(const char *salt)
{
	size_t i;

	for (i = 0; i < H89_SALT_LEN; i++)
		if (!salt_char_ok((unsigned char)salt[i]))
			return 0;
	return 1;
}

/* digest must hold H89_DIGEST_LEN + 1 bytes. */
static int
h89_digest(
    int type, const char *pw, size_t pwlen, const char *salt, char *digest)
{
	uint8_t key[H89_KEY_LEN];
	int rc = PASSWD_E_CRYPTO;

	if (type == 8) {
		if (PKCS5_PBKDF2_HMAC(pw, (int)pwlen, (const uint8_t *)salt,
		        H89_SALT_LEN, T8_ITER, EVP_sha256(), sizeof(key),
		        key) != 1)
			goto out;
	} else {
		if (EVP_PBE_scrypt(pw, pwlen, (const uint8_t *)salt,
		        H89_SALT_LEN, T9_N, T9_R, T9_P, 0, key,
		        sizeof(key)) != 1)
			goto out;
	}
	b64c_encode(key, sizeof(key), digest);
	rc = PASSWD_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

static int
h89_verify(int type, const char *hash, const char *plain)
{
	char calc[H89_DIGEST_LEN + 1];
	const char *d;
	size_t pwlen, i;
	int rc = PASSWD_E_FORMAT;

	if (hash == NULL || hash[0] != '$' || hash[1] != '0' + type ||
	    hash[2] != '$')
		goto out;
	/* Stops at the terminator, so a short string cannot be overrun. */
	if (!h89_salt_ok(hash + 3) || hash[3 + H89_SALT_LEN] != '$')
		goto out;
	d = hash + 3 + H89_SALT_LEN + 1;
	for (i = 0; i < H89_DIGEST_LEN; i++)
		if (!in_b64c((unsigned char)d[i]))
			goto out;
	if (d[H89_DIGEST_LEN] != '\0')
		goto out;
	if ((rc = plain_len(plain, &pwlen)) != 0 ||
	    (rc = h89_digest(type, plain, pwlen, hash + 3, calc)) != 0)
		goto out;
	rc = CRYPTO_memcmp(calc, d, H89_DIGEST_LEN) == 0;
out:
	OPENSSL_cleanse(calc, sizeof(calc));
	return rc;
}

/* A NULL salt draws 14 characters from the alphabet, as IOS does. */
static int
h89_hash(int type, const char *plain, const char *salt14, char **hash_out)
{
	uint8_t rnd[H89_SALT_LEN];
	char salt[H89_SALT_LEN + 1], *hash = NULL;
	size_t pwlen, i;
	int rc;

	if (hash_out == NULL) {
		rc = PASSWD_E_FORMAT;
		goto out;
	}
	if ((rc = plain_len(plain, &pwlen)) != 0)
		goto out;
	if (salt14 == NULL) {
		if ((rc = random_bytes(rnd, sizeof(rnd))) != 0)
			goto out;
		/* 256 is a multiple of 64: the draw stays uniform. */
		for (i = 0; i < H89_SALT_LEN; i++)
			salt[i] = B64C[rnd[i] & 0x3f];
	} else {
		if (!h89_salt_ok(salt14) || salt14[H89_SALT_LEN] != '\0') {
			rc = PASSWD_E_FORMAT;
			goto out;
		}
		memcpy(salt, salt14, H89_SALT_LEN);
	}
	salt[H89_SALT_LEN] = '\0';
	if ((hash = malloc(H89_HASH_LEN + 1)) == NULL) {
		rc = PASSWD_E_NOMEM;
		goto out;
	}
	hash[0] = '$';
	hash[1] = (char)('0' + type);
	hash[2] = '$';
	memcpy(hash + 3, salt, H89_SALT_LEN);
	hash[3 + H89_SALT_LEN] = '$';
	if ((rc = h89_digest(
	         type, plain, pwlen, salt, hash + 3 + H89_SALT_LEN + 1)) != 0)
		goto out;
	*hash_out = hash;
	hash = NULL;
	rc = PASSWD_OK;
out:
	free(hash);
	return rc;
}

int
passwd8_verify(const char *hash, const char *plain)
{
	return h89_verify(8, hash, plain);
}

int
passwd9_verify(const char *hash, const char *plain)
{
	return h89_verify(9, hash, plain);
}

int
passwd8_hash(const char *plain, const char *salt14, char **hash_out)
{
	return h89_hash(8, plain, salt14, hash_out);
}

int
passwd9_hash(const char *plain, const char *salt14, char **hash_out)
{
	return h89_hash(9, plain, salt14, hash_out);
}

/* ------------------------------------------------------------------ */
/* Policy */

int
passwd_policy_ok(const char *plain)
{
	size_t len, i;
	int digit = 0, upper = 0, lower = 0;

	if (plain == NULL)
		return 0;
	len = strnlen(plain, POLICY_MAX + 1);
	if (len < POLICY_MIN || len > POLICY_MAX)
		return 0;
	/* Explicit ranges: <ctype.h> would follow the locale. */
	for (i = 0; i < len; i++) {
		int c = (unsigned char)plain[i];

		if (is_digit(c))
			digit = 1;
		else if (is_upper(c))
			upper = 1;
		else if (is_lower(c))
			lower = 1;
		else
			return 0;
	}
	return digit && upper && lower;
}

int
passwd_ata_ivr_ok(const char *plain)
{
	size_t i;

	if (plain == NULL)
		return 0;
	for (i = 0; i < ATA_IVR_LEN; i++)
		if (!is_digit((unsigned char)plain[i]))
			return 0;
	return plain[ATA_IVR_LEN] == '\0';
}
