/*
 * Named key pairs ("crypto key generate rsa label L modulus N",
 * trustpoint "rsakeypair L"), one PEM PKCS#8 file per key under a
 * directory (the daemon passes STATEDIR/nvram/keys).
 *
 * Files are written atomically (temp file, fsync, rename, fsync of the
 * directory) with mode 0600.  With a passphrase (the type 6 master key)
 * the PKCS#8 is encrypted with AES-256-CBC (PBES2, PBKDF2); without one
 * it is plain PEM.  Keys live in memory as EVP_PKEY; buffers that held
 * key material are cleansed.
 *
 * Also home of enum pki_err, the error codes of src/pki (keystore and
 * CA).  Functions return 0 or a negative code; they never log.
 * Out-pointers are written only on success.
 */
#ifndef OPENCME_PKI_KEYSTORE_H
#define OPENCME_PKI_KEYSTORE_H

#include <stddef.h>

#include <stdint.h>

#include <openssl/evp.h>

#include "lib/buf.h"

enum pki_err {
	PKI_OK = 0,
	PKI_E_INVAL = -1, /* bad argument */
	PKI_E_NOMEM = -2,
	PKI_E_IO = -3, /* file system error (see errno) */
	PKI_E_CRYPTO = -4, /* OpenSSL failure (error queue left intact) */
	PKI_E_NOTFOUND = -5,
	PKI_E_EXISTS = -6,
	PKI_E_PASSPHRASE = -7, /* key encrypted: no or wrong passphrase */
	PKI_E_LABEL = -8, /* label empty, too long or bad characters */
	PKI_E_KEYSIZE = -9, /* modulus/curve size not supported */
	PKI_E_SIGNATURE = -10, /* CSR self-signature does not verify */
	PKI_E_STATE = -11, /* request/CA not in a state allowing this */
	PKI_E_EXPIRED = -12, /* CA too close to expiry to issue */
	PKI_E_VERIFY = -13, /* certificate chain verification failed */
	PKI_E_MISMATCH = -14, /* key does not match the certificate */
	PKI_E_FORMAT = -15, /* malformed input (DN string, DER, PEM) */
};

/* Names every pki_err code and every store_err code (store/store.h),
 * which the CA passes through unchanged. */
const char *pki_err_str(int err);

enum keystore_type {
	KEYSTORE_UNKNOWN = 0, /* in listings: a file that could not be read */
	KEYSTORE_RSA = 1,
	KEYSTORE_EC = 2,
};

/*
 * Bounds.  RSA moduli 360..4096 are accepted as IOS accepts them, but
 * OpenSSL 3 refuses to generate RSA keys under 512 bits: 360..511 give
 * PKI_E_KEYSIZE.  Our own servers (CA, TLS, CAPF) should use >= 1024,
 * 2048 by default.  EC keys: 256 (P-256) or 384 (P-384).
 */
#define KEYSTORE_RSA_MIN_BITS 360
#define KEYSTORE_RSA_MAX_BITS 4096
#define KEYSTORE_RSA_DEFAULT_BITS 2048
/* Labels: 1..64 of [A-Za-z0-9._-], not starting with '.'. */
#define KEYSTORE_LABEL_MAX 64

struct keystore;

struct keystore_info {
	char label[KEYSTORE_LABEL_MAX + 1];
	int type; /* enum keystore_type */
	unsigned bits;
};

/*
 * Open the key directory (created with mode 0700 if missing; its parent
 * must exist).  passphrase NULL or "" stores keys unencrypted; it is
 * copied and cleansed at keystore_free().
 */
int keystore_open(
    const char *dir, const char *passphrase, struct keystore **out);
void keystore_free(struct keystore *ks);

/* 1 when label is a valid key label, 0 otherwise. */
int keystore_label_ok(const char *label);

/*
 * Generate a key pair and store it.  type KEYSTORE_RSA with bits in
 * 360..4096, or KEYSTORE_EC with bits 256/384.  An existing key of that
 * label gives PKI_E_EXISTS unless overwrite is set.  out may be NULL;
 * otherwise it receives the new key (caller frees with EVP_PKEY_free).
 */
int keystore_generate(struct keystore *ks, const char *label, int type,
    unsigned bits, int overwrite, EVP_PKEY **out);
/* Store an existing private key under label (e.g. an imported one). */
int keystore_put(
    struct keystore *ks, const char *label, EVP_PKEY *key, int overwrite);
/* Load a key: PKI_E_NOTFOUND, PKI_E_PASSPHRASE (encrypted and no or a
 * wrong passphrase). */
int keystore_load(struct keystore *ks, const char *label, EVP_PKEY **out);
/* 1 when a key of that label exists, 0 otherwise. */
int keystore_exists(struct keystore *ks, const char *label);
int keystore_delete(struct keystore *ks, const char *label);
/* A counter that changes whenever a key is written or deleted through
 * this keystore: callers holding loaded keys compare it to know their
 * copies are still the stored ones. */
uint64_t keystore_generation(const struct keystore *ks);
/*
 * All keys, sorted by label; *out is malloc'ed (free()), *n its length.
 * A file that cannot be decoded is listed as KEYSTORE_UNKNOWN, 0 bits.
 */
int keystore_list(struct keystore *ks, struct keystore_info **out, size_t *n);
/* Type and size of one key. */
int keystore_info_get(
    struct keystore *ks, const char *label, struct keystore_info *out);

/*
 * Re-encrypt every key with a new passphrase (NULL or "" = unencrypted)
 * when the master key changes.  All keys are first decrypted with the
 * current passphrase (any failure changes nothing), then written to
 * temporary files, then renamed over the old ones.  On success the
 * keystore uses the new passphrase.
 */
int keystore_rekey(struct keystore *ks, const char *new_passphrase);

enum keystore_format {
	KEYSTORE_PEM = 0, /* "-----BEGIN PUBLIC KEY-----" */
	KEYSTORE_DER = 1, /* DER SubjectPublicKeyInfo */
};
/* Append the public key (SubjectPublicKeyInfo) of a stored key to out. */
int keystore_pubkey_export(
    struct keystore *ks, const char *label, int format, struct buf *out);
/* The same for a key in memory. */
int keystore_pubkey_encode(const EVP_PKEY *key, int format, struct buf *out);

#endif
