/*
 * SCEP (RFC 8894) message codec: pkiMessage parsing and building on
 * OpenSSL 3's PKCS7 API.  Pure: no sockets, no HTTP, no CA policy, no
 * logging.  See shared/spec/pki-passwords.md sections 3.1 and 4.
 *
 * Server side: scep_request_parse() authenticates and opens a PKCSReq,
 * RenewalReq, CertPoll, GetCert or GetCRL; scep_reply_*() build the CertRep.
 * Client side: scep_pkcsreq_build() / scep_certpoll_build() /
 * scep_issuer_serial_build() build requests and keep the transaction state
 * that scep_reply_parse() checks the CertRep against.
 *
 * Ownership: every struct returned through an out-pointer is owned by the
 * caller and released with its _free() (NULL is a no-op); X509 and EVP_PKEY
 * arguments are borrowed (up-referenced when kept).  Byte output goes to a
 * struct buf, appended to.  Inputs are untrusted and capped at
 * SCEP_MAX_MESSAGE bytes.
 *
 * DES and 3DES envelopes need OpenSSL's "legacy" provider: the first call
 * into this module loads "legacy" and "default" into the default library
 * context (once per process; a missing legacy provider only disables DES).
 */
#ifndef OPENCME_FMT_SCEP_H
#define OPENCME_FMT_SCEP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/buf.h"

#define SCEP_MAX_MESSAGE (256 * 1024)
#define SCEP_NONCE_LEN 16
#define SCEP_NONCE_MAX 64 /* longest senderNonce accepted */
#define SCEP_TRANSACTION_ID_MAX 128 /* longest transactionID accepted */
#define SCEP_CHALLENGE_MAX 255 /* longest challengePassword */

/* Result codes (0 = success, negative = error). */
enum scep_err {
	SCEP_OK = 0,
	SCEP_E_TOOBIG = -1, /* input over SCEP_MAX_MESSAGE */
	SCEP_E_DER = -2, /* not DER, truncated or trailing bytes */
	SCEP_E_FORMAT = -3, /* DER, but not the expected structure */
	SCEP_E_SIGNATURE = -4, /* outer signature does not verify */
	SCEP_E_RECIPIENT = -5, /* envelope not encrypted to our cert */
	SCEP_E_DECRYPT = -6, /* envelope does not decrypt */
	SCEP_E_ALG = -7, /* unsupported digest or cipher */
	SCEP_E_MSGTYPE = -8, /* unknown or unexpected messageType */
	SCEP_E_ATTR = -9, /* missing or malformed SCEP attribute */
	SCEP_E_CONTENT = -10, /* inner content (CSR, names) malformed */
	SCEP_E_TRANSACTION = -11, /* CertRep transactionID mismatch */
	SCEP_E_NONCE = -12, /* CertRep recipientNonce mismatch */
	SCEP_E_ARG = -13, /* bad argument from the caller */
	SCEP_E_CRYPTO = -14, /* OpenSSL failure while building */
};

const char *scep_err_str(int err);

/* messageType values (decimal in a PrintableString on the wire). */
enum scep_msg_type {
	SCEP_MSG_CERTREP = 3,
	SCEP_MSG_RENEWALREQ = 17,
	SCEP_MSG_PKCSREQ = 19,
	SCEP_MSG_CERTPOLL = 20, /* formerly GetCertInitial */
	SCEP_MSG_GETCERT = 21,
	SCEP_MSG_GETCRL = 22,
};

enum scep_pki_status {
	SCEP_STATUS_SUCCESS = 0,
	SCEP_STATUS_FAILURE = 2,
	SCEP_STATUS_PENDING = 3,
};

enum scep_fail_info {
	SCEP_FAIL_NONE = -1, /* no failInfo */
	SCEP_FAIL_BAD_ALG = 0,
	SCEP_FAIL_BAD_MESSAGE_CHECK = 1,
	SCEP_FAIL_BAD_REQUEST = 2,
	SCEP_FAIL_BAD_TIME = 3,
	SCEP_FAIL_BAD_CERT_ID = 4,
};

/* "PKCSReq", "CertRep", ...; "unknown" otherwise. */
const char *scep_msg_type_str(int msg_type);
/* "badAlg", "badMessageCheck", ...; "none" / "unknown". */
const char *scep_fail_info_str(int fail_info);

/* Envelope ciphers and signature digests we speak. */
enum scep_cipher {
	SCEP_CIPHER_AES128 = 0, /* AES-128-CBC, the default ("AES") */
	SCEP_CIPHER_AES256,
	SCEP_CIPHER_DES3,
	SCEP_CIPHER_DES, /* what micromdm sends; legacy provider */
};

enum scep_digest {
	SCEP_DIGEST_SHA256 = 0, /* the default */
	SCEP_DIGEST_SHA1,
	SCEP_DIGEST_SHA512,
};

/*
 * Error detail.  offset is the byte offset in the input where the fault
 * was found (0 when it concerns the whole message); what is a static
 * string.  fail_info is the failInfo to answer with.  can_reply is 1 when
 * the message was authenticated far enough (signature, transactionID,
 * senderNonce) to answer it with a FAILURE CertRep; then
 * scep_request_parse() also hands back the partial request.
 */
struct scep_error {
	size_t offset;
	const char *what;
	int fail_info;
	int can_reply;
};

/* A request as seen by the server.  All fields owned by the request. */
struct scep_request {
	int msg_type; /* enum scep_msg_type */
	char *transaction_id; /* NUL-terminated printable text */
	uint8_t sender_nonce[SCEP_NONCE_MAX];
	size_t sender_nonce_len;
	X509 *signer_cert; /* the requester's cert: replies go to it */
	int is_signer_self_signed; /* signer cert is self-issued and verifies */
	int cipher; /* enum scep_cipher of the envelope */
	int digest_nid; /* the SignerInfo digest (NID_sha1, ...) */
	/* PKCSReq, RenewalReq: */
	/* Self-signature verified, or (is_ra_vouched) signed with the key
	 * of signer_cert, which is not self-signed: an RA asserting that it
	 * checked possession of the key (a CAPF phone's public key).  The
	 * caller must accept such a request only from an RA it trusts. */
	X509_REQ *csr;
	int is_ra_vouched;
	char *challenge_password; /* NULL when absent; cleansed on free */
	int is_signer_csr_key; /* signer cert key == CSR key */
	/* CertPoll (IssuerAndSubject) and GetCert/GetCRL (issuer, serial): */
	X509_NAME *issuer;
	X509_NAME *subject; /* CertPoll only */
	ASN1_INTEGER *serial; /* GetCert, GetCRL only */
};

/*
 * Parse and open a pkiMessage sent to the CA (or RA) whose certificate and
 * key are given.  Verifies the outer SignedData signature (over the signed
 * attributes) with the signer certificate it carries, reads messageType,
 * transactionID and senderNonce, decrypts the EnvelopedData (AES-128/256,
 * 3DES, DES) and decodes its content.  On success *out is set.  On error
 * err (may be NULL) explains; when err is given and err->can_reply is 1,
 * *out is also set, to the request without its content, so the caller can
 * answer with scep_reply_failure(*out, err->fail_info, ...); it must free
 * it.  The signer certificate is not chain-verified: for RenewalReq,
 * GetCert and GetCRL the caller checks that its CA issued it.
 */
int scep_request_parse(const uint8_t *der, size_t len, X509 *ca_or_ra_cert,
    EVP_PKEY *ca_or_ra_key, struct scep_request **out, struct scep_error *err);
void scep_request_free(struct scep_request *req);

/*
 * CertRep builders.  Each is a SignedData signed with signer_key (SHA-256,
 * SignerInfo rsaEncryption) carrying messageType 3, pkiStatus, the echoed
 * transactionID, recipientNonce = the request's senderNonce and a fresh
 * senderNonce.  SUCCESS content is an EnvelopedData, encrypted to the
 * request's signer certificate with the request's cipher, holding a
 * degenerate certs-only SignedData: the issued cert first, then extra
 * (may be NULL), or the CRL.  PENDING and FAILURE carry empty content.
 */
int scep_reply_success_cert(const struct scep_request *req, X509 *issued,
    STACK_OF(X509) * extra, X509 *signer_cert, EVP_PKEY *signer_key,
    struct buf *out_der);
int scep_reply_success_crl(const struct scep_request *req, X509_CRL *crl,
    X509 *signer_cert, EVP_PKEY *signer_key, struct buf *out_der);
int scep_reply_pending(const struct scep_request *req, X509 *signer_cert,
    EVP_PKEY *signer_key, struct buf *out_der);
int scep_reply_failure(const struct scep_request *req, int fail_info,
    X509 *signer_cert, EVP_PKEY *signer_key, struct buf *out_der);

/*
 * GetCACert answer.  CA only: the raw DER certificate,
 * "application/x-x509-ca-cert".  CA and RA: a degenerate certs-only
 * SignedData holding both, "application/x-x509-ca-ra-cert".
 * *content_type is a static string.
 */
int scep_getcacert_reply(
    X509 *ca, X509 *ra_or_null, struct buf *out, const char **content_type);
/* GetCACaps answer: one keyword per line, static text. */
const char *scep_getcacaps_text(void);

/* ------------------------------------------------------------------ */
/* Client side */

/* Transaction state kept between a request and its CertRep. */
struct scep_client_state {
	int msg_type; /* of the last request built */
	char *transaction_id;
	uint8_t sender_nonce[SCEP_NONCE_LEN]; /* of the last request */
	X509 *signer_cert; /* throw-away or given; replies are for it */
	int cipher; /* enum scep_cipher */
	int digest; /* enum scep_digest */
	X509_NAME *subject; /* of the CSR, for CertPoll */
	EVP_PKEY *csr_pubkey; /* to pick the issued cert; may be NULL */
};

void scep_client_state_free(struct scep_client_state *st);

struct scep_build_opts {
	int msg_type; /* SCEP_MSG_PKCSREQ (0 means that) or _RENEWALREQ */
	int cipher; /* enum scep_cipher, default AES-128 */
	int digest; /* enum scep_digest, default SHA-256 */
	/*
	 * Sign with this existing certificate (RenewalReq: the old cert; RA
	 * forwarding: the RA cert) whose key is the key argument.  NULL: a
	 * throw-away self-signed cert with the CSR subject and the key.
	 */
	X509 *signer_cert;
};

/*
 * Build a PKCSReq (or RenewalReq) for csr, signed with key, enveloped to
 * ca_or_ra_cert.  transaction_id NULL: hex SHA-256 of the CSR public key.
 * opts may be NULL (defaults).  On success appends the DER to out_der and
 * sets *st_out.
 */
int scep_pkcsreq_build(X509_REQ *csr, EVP_PKEY *key, X509 *ca_or_ra_cert,
    const char *transaction_id, const struct scep_build_opts *opts,
    struct buf *out_der, struct scep_client_state **st_out);
/*
 * Build a CertPoll for the transaction in st (same transactionID, signer
 * and subject; fresh senderNonce, stored in st).  issuer NULL: the subject
 * of ca_or_ra_cert (pass the CA name in RA mode).
 */
int scep_certpoll_build(struct scep_client_state *st, EVP_PKEY *key,
    X509 *ca_or_ra_cert, const X509_NAME *issuer, struct buf *out_der);
/*
 * Build a GetCert or GetCRL (msg_type) for issuer + serial, signed with
 * signer_cert/key (the requester's existing cert), with a fresh
 * transaction.  Sets *st_out on success.
 */
int scep_issuer_serial_build(int msg_type, const X509_NAME *issuer,
    const ASN1_INTEGER *serial, X509 *signer_cert, EVP_PKEY *key,
    X509 *ca_or_ra_cert, struct buf *out_der,
    struct scep_client_state **st_out);

/* A CertRep as seen by the client. */
struct scep_reply {
	int pki_status; /* enum scep_pki_status */
	int fail_info; /* SCEP_FAIL_NONE unless FAILURE */
	char *transaction_id;
	X509 *issued; /* SUCCESS for a cert request */
	STACK_OF(X509) * certs; /* SUCCESS: all certs of the reply */
	X509_CRL *crl; /* SUCCESS for GetCRL */
};

/*
 * Parse a CertRep: the signature must verify with ca_or_ra_cert (the
 * certificates inside the message are not trusted), messageType must be 3,
 * transactionID and recipientNonce must match st.  SUCCESS content is
 * decrypted with key (the key of st->signer_cert).  The issued cert is the
 * one holding st->csr_pubkey, else the first certificate.
 */
int scep_reply_parse(const uint8_t *der, size_t len, X509 *ca_or_ra_cert,
    const struct scep_client_state *st, EVP_PKEY *key, struct scep_reply **out,
    struct scep_error *err);
void scep_reply_free(struct scep_reply *r);

/*
 * Parse a GetCACert answer: raw DER cert or certs-only SignedData.  *ca_out
 * is the CA (a CA cert that issued the RA, or the only cert), *ra_out the
 * RA cert or NULL; both owned by the caller.  certs_out (may be NULL) gets
 * every certificate.
 */
int scep_getcacert_parse(const uint8_t *der, size_t len, X509 **ca_out,
    X509 **ra_out, STACK_OF(X509) * *certs_out, struct scep_error *err);

/* ------------------------------------------------------------------ */
/* Transport helpers */

/*
 * GET PKIOperation: value is the raw (still URL-encoded) message= query
 * value; %XX escapes are decoded ('+' stays '+': it is base64, not a
 * space), then base64 (line breaks allowed).  Appends the DER to out.
 */
int scep_get_message_decode(const char *value, size_t len, struct buf *out);
/* The inverse: base64 without line breaks, URL-escaped (+ / =). */
int scep_get_message_encode(const uint8_t *der, size_t len, struct buf *out);
/* Plain base64 decode (whitespace ignored), capped at SCEP_MAX_MESSAGE. */
int scep_base64_decode(const char *in, size_t len, struct buf *out);

#endif
