/*
 * CAPF (Certificate Authority Proxy Function) message codec: the 8-byte
 * framing, the element TLVs, typed accessors and the builders of every
 * message the reference server and phones exchange.
 * See ../shared/spec/formats.md section 5.
 *
 * Pure codec: no sockets, no TLS, no session state, no logging.  Every
 * input is untrusted: no length field is believed before it is checked
 * against the bytes really present.  Errors are 0 or a negative enum
 * capf_err; parsers also fill a struct capf_error {offset, what}.
 *
 * Element policy (spec 5.4 [REC]):
 *  - unknown tags (0, 5, 12, 14, 15, 19, >= 21) are kept in the element
 *    list, counted in n_unknown and otherwise skipped, never rejected;
 *  - a known tag that appears twice is rejected (CAPF_E_DUPLICATE): a
 *    security protocol must not let two readers pick different copies;
 *  - known tags are validated: fixed sizes (REASON, VERSION ... 1 byte,
 *    KEY_SIZE 2 bytes), strings without interior NUL, the CERTIFICATE
 *    5-byte prefix, the SHA2_SIGNED_DATA and SUDI_DATA inner lengths.
 *  - element order is free (spec 5.6); which elements a command carries
 *    is the session's business, not the codec's.
 *
 * Ownership: capf_msg_parse() copies the input; the struct capf_msg and
 * everything it points to is owned by it and released by capf_msg_free()
 * (NULL is a no-op; the password is wiped).  Builders append one complete
 * message to a struct buf owned by the caller, and append nothing on
 * error.
 */
#ifndef OPENCME_FMT_CAPF_H
#define OPENCME_FMT_CAPF_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define CAPF_PROTOCOL_ID 0x55
#define CAPF_HEADER_LEN 8u
/* payload_len is a u16, so no message can exceed this. */
#define CAPF_MAX_PAYLOAD 0xffffu
#define CAPF_MAX_MESSAGE (CAPF_HEADER_LEN + CAPF_MAX_PAYLOAD)
/* Largest DER certificate a STORE_CERTIFICATE_REQUEST can carry. */
#define CAPF_MAX_CERT (CAPF_MAX_PAYLOAD - 4u - 3u - 5u)
#define CAPF_VERSION 3
#define CAPF_PORT 3804

/* Result codes (0 = success, negative = error). */
enum capf_err {
	CAPF_OK = 0,
	CAPF_E_TRUNCATED = -1, /* a length runs past the end of the data */
	CAPF_E_PROTOCOL = -2, /* protocol id is not 0x55 */
	CAPF_E_COMMAND = -3, /* command id not in 1..23 */
	CAPF_E_FORMAT = -4, /* malformed element value */
	CAPF_E_DUPLICATE = -5, /* a known element appears twice */
	CAPF_E_TRAILING = -6, /* bytes after the end of the message */
	CAPF_E_TOOBIG = -7, /* a field or the payload exceeds 65535 bytes */
	CAPF_E_ARG = -8, /* bad argument from the caller */
};

const char *capf_err_str(int err);

/* Error detail: byte offset in the input and a static description. */
struct capf_error {
	size_t offset;
	const char *what;
};

/* Commands (spec 5.3). */
enum capf_cmd {
	CAPF_CMD_AUTH_REQUEST = 1,
	CAPF_CMD_AUTH_RESPONSE = 2,
	CAPF_CMD_KEY_GEN_REQUEST = 3,
	CAPF_CMD_KEY_GEN_RESPONSE = 4,
	CAPF_CMD_ENCRYPT_RESPONSE = 5,
	CAPF_CMD_ENCRYPT_REQUEST = 6,
	CAPF_CMD_DECRYPT_REQUEST = 7,
	CAPF_CMD_DECRYPT_RESPONSE = 8,
	CAPF_CMD_STORE_CERT_REQUEST = 9,
	CAPF_CMD_STORE_CERT_RESPONSE = 10,
	CAPF_CMD_FETCH_CERT_REQUEST = 11,
	CAPF_CMD_FETCH_CERT_RESPONSE = 12,
	CAPF_CMD_DELETE_CERT_REQUEST = 13,
	CAPF_CMD_DELETE_CERT_RESPONSE = 14,
	CAPF_CMD_END_SESSION = 15,
	CAPF_CMD_RETRY_LATER = 16,
	CAPF_CMD_REQUEST_IN_PROGRESS = 17,
	CAPF_CMD_STATUS_REQUEST = 18,
	CAPF_CMD_STATUS_RESPONSE = 19,
	CAPF_CMD_ABORT_REQUEST = 20,
	CAPF_CMD_ABORT_RESPONSE = 21,
	CAPF_CMD_SIGN_CERT_REQUEST = 22,
	CAPF_CMD_SIGN_CERT_RESPONSE = 23,
};

/* "AUTH_REQUEST", ...; NULL for an id outside 1..23. */
const char *capf_cmd_str(int cmd);

/* Element tags (spec 5.4). */
enum capf_tag {
	CAPF_TAG_REASON = 1,
	CAPF_TAG_REASON_INFO = 2,
	CAPF_TAG_CERT_TYPE = 3,
	CAPF_TAG_CERTIFICATE = 4,
	CAPF_TAG_CERT_ID = 5, /* encoding unknown: kept raw */
	CAPF_TAG_SIGNED_DATA = 6,
	CAPF_TAG_VERSION = 7,
	CAPF_TAG_AUTH_TYPE = 8,
	CAPF_TAG_PUBLIC_KEY = 9,
	CAPF_TAG_KEY_SIZE = 10,
	CAPF_TAG_PASSWORD = 11,
	CAPF_TAG_RETRY_DELAY = 12, /* encoding unknown: kept raw */
	CAPF_TAG_DEVICE_NAME = 13,
	CAPF_TAG_SUDI_DATA = 16,
	CAPF_TAG_KEY_TYPE = 17,
	CAPF_TAG_CURVE = 18,
	CAPF_TAG_DIGEST_TYPE = 19, /* encoding unknown: kept raw */
	CAPF_TAG_SHA2_SIGNED_DATA = 20,
};

/* Reason codes (spec 5.5.1). */
enum capf_reason {
	CAPF_REASON_NO_ACTION = 0,
	CAPF_REASON_UPDATE_CERT = 1, /* "OK" */
	CAPF_REASON_INVALID_ELEMENT = 7, /* generic failure */
	CAPF_REASON_UNKNOWN_DEVICE = 9,
};

/* Authentication types (spec 5.5.2). */
enum capf_auth_type {
	CAPF_AUTH_TYPE_NONE = 0,
	CAPF_AUTH_TYPE_PASSWORD = 1,
	CAPF_AUTH_TYPE_NO_PASSWORD = 2,
	CAPF_AUTH_TYPE_LSC = 3,
	CAPF_AUTH_TYPE_MIC = 4,
};

/* Certificate types (spec 5.5.3). */
enum capf_cert_type {
	CAPF_CERT_LSC = 1,
	CAPF_CERT_MIC = 2,
};

/* Key types and curves (spec 5.5.4, 5.5.5). */
enum capf_key_type {
	CAPF_KEY_RSA = 0,
	CAPF_KEY_EC = 1,
};

enum capf_curve {
	CAPF_CURVE_P256 = 0,
	CAPF_CURVE_P384 = 1,
	CAPF_CURVE_P521 = 2,
};

/* Digest ids (spec 5.5.6). */
enum capf_digest {
	CAPF_DIGEST_SHA1 = 1,
	CAPF_DIGEST_SHA256 = 2,
	CAPF_DIGEST_SHA512 = 3,
};

/* A byte range borrowed from the message's copy (data NULL if absent). */
struct capf_bytes {
	const uint8_t *data;
	size_t len;
};

/* One element as found on the wire, in wire order. */
struct capf_elem {
	size_t offset; /* of the tag byte in the message */
	uint8_t tag;
	uint16_t len;
	const uint8_t *value; /* into the message's copy */
};

/* CERTIFICATE (tag 4): 01 | inner_len:u16 | 00 | cert_type | DER. */
struct capf_cert {
	uint8_t prefix0; /* 0x01 from the reference; not checked */
	uint16_t inner_len; /* DER length + 2 from the reference; not checked */
	uint8_t prefix3; /* 0x00 from the reference; not checked */
	uint8_t cert_type; /* 1 (the reference always writes 1) */
	struct capf_bytes der;
};

/* SHA2_SIGNED_DATA (tag 20): hash_id:u8 | sig_len:u16 | signature. */
struct capf_sha2_sig {
	uint8_t hash_id; /* 3 = SHA-512 expected; not checked here */
	struct capf_bytes sig;
};

/* SUDI_DATA (tag 16, spec 5.7.5): three (id:u8, len:u16, bytes) parts. */
struct capf_sudi {
	uint8_t cert_id, sig1_id, sig2_id; /* 0, 1, 3 from the reference */
	struct capf_bytes cert; /* DER SUDI certificate */
	struct capf_bytes sig1; /* SHA-1 signature */
	struct capf_bytes sig2; /* SHA-512 signature */
};

/*
 * A parsed message.  Integers are -1 when the element is absent; strings
 * are NUL-terminated copies (NULL when absent; a value sent without its
 * terminating NUL still gets one); byte ranges point into data.
 */
struct capf_msg {
	uint8_t *data; /* copy of the whole message */
	size_t len;
	uint8_t protocol; /* always CAPF_PROTOCOL_ID */
	uint8_t command; /* enum capf_cmd */
	uint32_t session_id;
	uint16_t payload_len;

	struct capf_elem *elems; /* every element, unknown ones included */
	size_t n_elems;
	size_t n_unknown; /* elements whose tag is not of spec 5.4 */

	int reason; /* tag 1 */
	struct capf_bytes reason_info; /* tag 2, raw (encoding unknown) */
	int cert_type; /* tag 3 */
	int has_cert;
	struct capf_cert cert; /* tag 4 */
	struct capf_bytes signed_data; /* tag 6 */
	int version; /* tag 7 */
	int auth_type; /* tag 8 */
	struct capf_bytes public_key; /* tag 9, DER SubjectPublicKeyInfo */
	int key_size; /* tag 10 */
	char *password; /* tag 11 (wiped on free) */
	char *device_name; /* tag 13 */
	int has_sudi;
	struct capf_sudi sudi; /* tag 16 */
	int key_type; /* tag 17 */
	int curve; /* tag 18 */
	int has_sha2_sig;
	struct capf_sha2_sig sha2_sig; /* tag 20 */
};

/*
 * How many bytes the message starting at data needs: on CAPF_OK, *need
 * is 8 + payload_len (<= CAPF_MAX_MESSAGE); with fewer than 8 bytes the
 * result is CAPF_E_TRUNCATED and *need is 8.  A wrong protocol id
 * (CAPF_E_PROTOCOL) or command (CAPF_E_COMMAND) is reported as soon as
 * its byte is present so the transport can drop the peer at once.
 */
int capf_msg_frame_len(const uint8_t *data, size_t len, size_t *need);

/*
 * Parse exactly one complete message (len must equal 8 + payload_len).
 * On success *out owns a copy of data; on error *out is untouched and err
 * (may be NULL) tells where and what.
 */
int capf_msg_parse(const uint8_t *data, size_t len, struct capf_msg **out,
    struct capf_error *err);
void capf_msg_free(struct capf_msg *m);

/* The first element with this tag, or NULL. */
const struct capf_elem *capf_msg_find(const struct capf_msg *m, int tag);

/* One element to emit with capf_build_msg(). */
struct capf_elem_in {
	uint8_t tag;
	const void *value;
	size_t len;
};

/*
 * Generic builder: header then the elements in the order given, values
 * verbatim.  CAPF_E_TOOBIG when an element or the payload exceeds 65535.
 */
int capf_build_msg(uint8_t command, uint32_t session_id,
    const struct capf_elem_in *elems, size_t n_elems, struct buf *out);

/* Server -> phone (spec 5.6, elements in the reference's order). */
/* VERSION=3, AUTH_TYPE (0..4). */
int capf_build_auth_request(
    uint32_t session_id, int auth_type, struct buf *out);
/*
 * RSA (key_type 0): KEY_SIZE (512/1024/2048/3072/4096), KEY_TYPE=0;
 * EC (key_type 1): KEY_TYPE=1, CURVE (0..2).  The other argument is
 * ignored.
 */
int capf_build_key_gen_request(uint32_t session_id, int key_type, int key_size,
    int curve, struct buf *out);
/* CERTIFICATE_TYPE=1, CERTIFICATE (prefix type 1 + der). */
int capf_build_store_cert_request(
    uint32_t session_id, const uint8_t *der, size_t der_len, struct buf *out);
int capf_build_fetch_cert_request(uint32_t session_id, struct buf *out);
int capf_build_delete_cert_request(uint32_t session_id, struct buf *out);
/* REASON (0..255). */
int capf_build_end_session(uint32_t session_id, int reason, struct buf *out);

/* Phone -> server. */
struct capf_auth_response {
	const char *device_name; /* required, "SEP" + 12 hex digits */
	const char *password; /* NULL = empty (value 00) */
	/* Certificate mode (optional; each NULL/0 when absent). */
	const uint8_t *cert_der;
	size_t cert_der_len;
	const uint8_t *signed_data; /* SHA-1 signature */
	size_t signed_data_len;
	const uint8_t *sha2_sig; /* SHA-512 signature (hash id 3 added) */
	size_t sha2_sig_len;
	/* SUDI_DATA (optional: emitted when sudi_cert is not NULL). */
	const uint8_t *sudi_cert;
	size_t sudi_cert_len;
	const uint8_t *sudi_sig1;
	size_t sudi_sig1_len;
	const uint8_t *sudi_sig2;
	size_t sudi_sig2_len;
};

/*
 * REASON=1, [CERTIFICATE], [SIGNED_DATA], VERSION=3, PASSWORD,
 * DEVICE_NAME, [SUDI_DATA], [SHA2_SIGNED_DATA].
 */
int capf_build_auth_response(
    uint32_t session_id, const struct capf_auth_response *a, struct buf *out);
/* No elements. */
int capf_build_request_in_progress(uint32_t session_id, struct buf *out);
/* spki != NULL: PUBLIC_KEY only; spki == NULL: REASON only (failure). */
int capf_build_key_gen_response(uint32_t session_id, const uint8_t *spki,
    size_t spki_len, int reason, struct buf *out);
/* REASON. */
int capf_build_store_cert_response(
    uint32_t session_id, int reason, struct buf *out);
/* der != NULL: REASON=1, CERTIFICATE; der == NULL: REASON=7. */
int capf_build_fetch_cert_response(
    uint32_t session_id, const uint8_t *der, size_t der_len, struct buf *out);
/* REASON (1 = deleted, 7 = nothing to delete). */
int capf_build_delete_cert_response(
    uint32_t session_id, int reason, struct buf *out);

#endif
