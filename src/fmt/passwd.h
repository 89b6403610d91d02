/*
 * IOS password encodings and the Unified CME password policy.
 *
 * Pure functions, no I/O, no logging.  Every decoder treats its input as
 * untrusted text.  Returned strings are heap-allocated and owned by the
 * caller; free secrets with passwd_free() (cleanses before free).
 */
#ifndef OPENCME_FMT_PASSWD_H
#define OPENCME_FMT_PASSWD_H

#include <stddef.h>
#include <stdint.h>

/* Result codes (0 = success, negative = error). */
enum passwd_err {
	PASSWD_OK = 0,
	PASSWD_E_FORMAT = -1, /* not a well-formed encoding */
	PASSWD_E_AUTH = -2, /* type 6 MAC mismatch (wrong master key) */
	PASSWD_E_TOOLONG = -3, /* plaintext too long for the encoding */
	PASSWD_E_NOMEM = -4,
	PASSWD_E_CRYPTO = -5, /* OpenSSL failure */
};

const char *passwd_err_str(int err);

/* Overwrite and free a secret string; NULL is a no-op. */
void passwd_free(char *secret);

/*
 * Type 7 ("Vigenere" XOR with the fixed 53-character key).
 * Encoded form: two decimal digits (offset 00-52) then hex pairs
 * (upper or lower case accepted on input, upper case on output).
 */
int passwd7_decode(const char *enc, char **plain_out);
/* offset 0-52; plaintext 1-255 bytes. */
int passwd7_encode(const char *plain, unsigned offset, char **enc_out);
/* Convenience: encode with a random offset in 00-15 as IOS does. */
int passwd7_encode_random(const char *plain, char **enc_out);

/*
 * Type 6 (AES-128 keyed by MD5(master key), "base41" armour).
 * See ../shared/spec/pki-passwords.md section 1.7.  The decoder accepts
 * both the "with trailing NUL" and "without" forms and strips trailing
 * NULs.  The encoder writes the form without NUL (device-generated style).
 * salt may be NULL (random salt) or point to 8 bytes (deterministic tests).
 */
int passwd6_decode(const char *master, const char *enc, char **plain_out);
int passwd6_encode(const char *master, const char *plain, const uint8_t *salt8,
    char **enc_out);
int passwd6_encode_with_nul(const char *master, const char *plain,
    const uint8_t *salt8, char **enc_out); /* Cisco tool's variant */
/* Cheap syntax check: is this string shaped like a type 6 value? */
int passwd6_is_wellformed(const char *enc);

/*
 * Type 5 (MD5-crypt) / 8 (PBKDF2-SHA256) / 9 (scrypt): one-way hashes.
 * verify returns 1 on match, 0 on mismatch, negative on format error.
 */
int passwd5_verify(const char *hash, const char *plain);
int passwd8_verify(const char *hash, const char *plain);
int passwd9_verify(const char *hash, const char *plain);
int passwd8_hash(const char *plain, const char *salt14, char **hash_out);
int passwd9_hash(const char *plain, const char *salt14, char **hash_out);

/*
 * Unified CME password policy (chapter "Unified CME Password Policy"):
 * 6-15 characters, only A-Z a-z 0-9, at least one digit, one upper-case
 * and one lower-case letter.  Returns 1 when the password complies.
 */
int passwd_policy_ok(const char *plain);
/* ata-ivr-pwd: exactly four digits.  Returns 1 when it complies. */
int passwd_ata_ivr_ok(const char *plain);

/* The chapter's exact error text (several lines, ends with '\n'). */
extern const char PASSWD_POLICY_ERROR[];

#endif
