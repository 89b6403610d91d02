/*
 * Signed phone files: the signed header shared by CTL/ITL trust lists
 * (.tlv), signed files (.sgn) and signed encrypted files (.enc.sgn), the
 * trust-list records, RSA signature verification and the builders.
 * See ../shared/spec/formats.md sections 1-3.
 *
 * Pure codec: no files, no sockets, no logging.  Every input is untrusted:
 * no length field is believed before it is checked against the bytes that
 * are really there.  Errors are 0 or a negative enum tlv_err, and parsers
 * also fill a struct tlv_error {offset, what} when one is given.
 *
 * Ownership: tlv_file_parse() copies the input; the struct tlv_file and
 * everything it points to is owned by it and released by tlv_file_free()
 * (NULL is a no-op).  X509 and EVP_PKEY arguments are borrowed.  Built
 * files are appended to a struct buf owned by the caller.
 */
#ifndef OPENCME_FMT_TLV_H
#define OPENCME_FMT_TLV_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/buf.h"

/* Largest input accepted by the parser (a .sgn firmware file may be big). */
#define TLV_MAX_FILE (64u * 1024u * 1024u)

/* Result codes (0 = success, negative = error). */
enum tlv_err {
	TLV_OK = 0,
	TLV_E_TRUNCATED = -1, /* a length runs past the end of the data */
	TLV_E_FORMAT = -2, /* malformed structure or field */
	TLV_E_TAG = -3, /* unknown or duplicated tag */
	TLV_E_MISSING = -4, /* a mandatory field is absent */
	TLV_E_HASH = -5, /* hash algorithm id not 1 (SHA-1) or 3 (SHA-512) */
	TLV_E_KEY = -6, /* key type or size not supported */
	TLV_E_SIGNATURE = -7, /* the signature does not verify */
	TLV_E_SIGNER = -8, /* no record matches the header signer */
	TLV_E_UNTRUSTED = -9, /* signer is not a SAST of the previous list */
	TLV_E_CERT = -10, /* a record certificate is not valid DER X.509 */
	TLV_E_TOOBIG = -11, /* input over TLV_MAX_FILE, or a field > 65535 */
	TLV_E_ARG = -12, /* bad argument from the caller */
	TLV_E_CRYPTO = -13, /* OpenSSL failure */
};

const char *tlv_err_str(int err);

/* Error detail: byte offset in the input and a static description. */
struct tlv_error {
	size_t offset;
	const char *what;
};

/* Header tags (spec 1.1). */
enum tlv_tag {
	TLV_TAG_VERSION = 1,
	TLV_TAG_HEADER_LENGTH = 2,
	TLV_TAG_SIGNER_INFO = 3,
	TLV_TAG_SIGNER_NAME = 4,
	TLV_TAG_SERIAL_NUMBER = 5,
	TLV_TAG_ISSUER_NAME = 6,
	TLV_TAG_SIGNATURE_INFO = 7,
	TLV_TAG_HASH_ALGORITHM = 8,
	TLV_TAG_SIGNATURE_ALGORITHM_INFO = 9,
	TLV_TAG_SIGNATURE_ALGORITHM = 10,
	TLV_TAG_SIGNATURE_MODULUS = 11,
	TLV_TAG_SIGNATURE = 12,
	TLV_TAG_PADDING = 13,
	TLV_TAG_FILENAME = 14,
	TLV_TAG_TIMESTAMP = 15,
	TLV_TAG_SIGNER_VERSION = 28,
};

/* Trust-list record tags (spec 2.2). */
enum tlv_rec_tag {
	TLV_REC_RECORD_LENGTH = 1,
	TLV_REC_DNS_NAME = 2,
	TLV_REC_SUBJECT_NAME = 3,
	TLV_REC_ROLE = 4,
	TLV_REC_ISSUER_NAME = 5,
	TLV_REC_SERIAL_NUMBER = 6,
	TLV_REC_PUBLIC_KEY = 7,
	TLV_REC_SIGNATURE = 8,
	TLV_REC_CERTIFICATE = 9,
	TLV_REC_IP_ADDRESS = 10,
	TLV_REC_CERTIFICATE_HASH = 11,
	TLV_REC_HASH_ALGORITHM = 12,
};

/* Hash algorithm ids (spec 1.4.4). */
enum tlv_hash {
	TLV_HASH_SHA1 = 1,
	TLV_HASH_SHA256 = 2, /* defined, never used for file signatures */
	TLV_HASH_SHA512 = 3,
};

/* Record roles (spec 2.3). */
enum tlv_role {
	TLV_ROLE_SAST = 0,
	TLV_ROLE_CCM = 1,
	TLV_ROLE_CCM_TFTP = 2,
	TLV_ROLE_TFTP = 3,
	TLV_ROLE_CAPF = 4,
	TLV_ROLE_SRST = 5,
	TLV_ROLE_APP_SERVER = 7,
	TLV_ROLE_TVS = 21,
};

/* "SAST", "CCM", "CCM+TFTP", ...; NULL for an unknown id. */
const char *tlv_role_str(int role);
/* Case-insensitive name ("ccm+tftp", "app-server", ...) or decimal id;
 * the role id, or -1. */
int tlv_role_from_str(const char *s);
/* "SHA-1", "SHA-512", ...; NULL for an unknown id. */
const char *tlv_hash_str(int hash);

/* A byte string owned by its struct (data NULL when len is 0). */
struct tlv_bytes {
	uint8_t *data;
	size_t len;
};

/*
 * One trust-list record.  Strings are the NUL-terminated values with the
 * terminator guaranteed (a value without one gets one); NULL when the tag
 * is absent.  Integers are -1 when absent.
 */
struct tlv_record {
	size_t offset; /* of the record's first byte in the file */
	size_t length; /* RECORD_LENGTH: the whole record */
	int role;
	char *subject;
	char *issuer;
	char *dns_name;
	struct tlv_bytes serial;
	struct tlv_bytes public_key; /* PKCS#1 RSAPublicKey or EC point */
	struct tlv_bytes cert_signature;
	struct tlv_bytes certificate; /* DER */
	struct tlv_bytes ip_address;
	struct tlv_bytes cert_hash;
	int hash_alg; /* tag 12 */
};

/* A parsed signed file.  Absent integer fields are -1; strings NULL. */
struct tlv_file {
	struct tlv_bytes data; /* copy of the whole file */
	int version_major, version_minor;
	size_t header_length; /* H: the payload starts here */
	int signer_version_major, signer_version_minor; /* tag 28 */
	char *signer_name;
	char *issuer_name;
	struct tlv_bytes serial;
	int hash_alg;
	int signature_alg;
	int signature_modulus;
	size_t signature_offset; /* of the SIGNATURE TLV's tag byte */
	struct tlv_bytes signature; /* its value */
	char *filename;
	int has_timestamp;
	uint32_t timestamp;
	int is_encrypted; /* tags 16-27 seen (not interpreted) */
	int is_trust_list; /* VERSION 1.2: records parsed */
	struct tlv_record *records;
	size_t n_records;
};

/*
 * Parse a .tlv / .sgn / .enc.sgn file.  The header is walked per spec
 * 1.2; VERSION, HEADER_LENGTH, HASH_ALGORITHM and SIGNATURE are required.
 * With VERSION 1.2 the body is parsed as trust-list records (spec 2.1).
 * On success *out owns a copy of data; on error *out is untouched and err
 * (may be NULL) tells where and what.
 */
int tlv_file_parse(const uint8_t *data, size_t len, struct tlv_file **out,
    struct tlv_error *err);
void tlv_file_free(struct tlv_file *f);

/* The payload file[H:] (borrowed from f). */
void tlv_file_payload(
    const struct tlv_file *f, const uint8_t **payload, size_t *len);

/*
 * Strip a .sgn: parse the header and point *payload into data at H
 * (borrowed).  The signature is not checked.
 */
int tlv_sgn_strip(const uint8_t *data, size_t len, const uint8_t **payload,
    size_t *payload_len, struct tlv_error *err);

/*
 * Verification (spec 1.7).  The signed bytes are the file without the
 * SIGNATURE TLV; RSASSA-PKCS1-v1_5 with the header's hash.  The key must
 * be RSA and its size must equal the signature length.
 */
int tlv_verify_with_pkey(const struct tlv_file *f, EVP_PKEY *pkey);
int tlv_verify_with_cert(const struct tlv_file *f, X509 *cert);
/*
 * Trust list, first use: the signer is a SAST record of f whose serial
 * equals the header serial byte for byte (records whose issuer also
 * matches are tried first).  *signer (may be NULL) gets the record index.
 */
int tlv_verify_self(const struct tlv_file *f, size_t *signer);
/*
 * Update: f must be signed by a SAST record of the installed list
 * previous (matched by serial as above).  TLV_E_UNTRUSTED otherwise.
 */
int tlv_verify_with_trust(
    const struct tlv_file *f, const struct tlv_file *previous, size_t *signer);
/*
 * A .sgn / .enc.sgn against a trust list: signed by a TFTP or CCM+TFTP
 * record of list matched by serial.  TLV_E_UNTRUSTED otherwise.
 */
int tlv_verify_signed_file(
    const struct tlv_file *f, const struct tlv_file *list, size_t *signer);

/* What a builder needs besides the signer and the content. */
enum tlv_signer_version {
	TLV_SIGNER_VERSION_AUTO = 0, /* 1.1 when a record has an EC key */
	TLV_SIGNER_VERSION_1_0,
	TLV_SIGNER_VERSION_1_1,
};

struct tlv_build_opts {
	const char *filename; /* FILENAME tag, e.g. "CTLFile.tlv" */
	uint32_t timestamp; /* Unix seconds, UTC */
	int hash_alg; /* TLV_HASH_SHA1 or TLV_HASH_SHA512 */
	enum tlv_signer_version signer_version; /* trust lists only */
};

/* One trust-list entry: a certificate (RSA or EC key) and its role. */
struct tlv_entry {
	X509 *cert;
	int role;
};

/*
 * Build a CTL/ITL (VERSION 1.2): header in the order of spec 1.4.1,
 * records in the order given, each in the order of spec 2.4.  The signer
 * must be RSA 512/1024/2048/4096, signer_key must match signer_cert, and
 * signer_cert must be one of the SAST entries (so the list verifies by
 * itself); at most two SAST entries.  The file is appended to out.
 */
int tlv_trust_list_build(const struct tlv_entry *entries, size_t n_entries,
    X509 *signer_cert, EVP_PKEY *signer_key, const struct tlv_build_opts *opts,
    struct buf *out);

/*
 * Build a .sgn (VERSION 1.0, no SIGNER_VERSION): the header then payload
 * verbatim.  opts->filename is the full name ("SEP...cnf.xml.sgn");
 * opts->signer_version is ignored.
 */
int tlv_sgn_build(const uint8_t *payload, size_t payload_len, X509 *signer_cert,
    EVP_PKEY *signer_key, const struct tlv_build_opts *opts, struct buf *out);

/* Encodings used in files, exposed for tests and the tool. */
/* DN string of spec 1.4.2 (without the NUL); malloc'ed, NULL on error. */
char *tlv_name_string(const X509_NAME *name);
/* Serial of spec 1.4.3 (unsigned minimal big-endian) into out. */
int tlv_serial_bytes(const X509 *cert, struct tlv_bytes *out);
void tlv_bytes_clear(struct tlv_bytes *b);

#endif
