/*
 * Signed phone files (.tlv, .sgn, .enc.sgn): parser, verifier, builders.
 * See tlv.h and ../shared/spec/formats.md sections 1-3.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "fmt/tlv.h"

#define TLV_U16_MAX 65535u

const char *
tlv_err_str(int err)
{
	switch (err) {
	case TLV_OK:
		return "success";
	case TLV_E_TRUNCATED:
		return "length runs past the end of the data";
	case TLV_E_FORMAT:
		return "malformed signed file";
	case TLV_E_TAG:
		return "unknown or duplicated tag";
	case TLV_E_MISSING:
		return "mandatory field missing";
	case TLV_E_HASH:
		return "unsupported hash algorithm";
	case TLV_E_KEY:
		return "unsupported key type or size";
	case TLV_E_SIGNATURE:
		return "signature verification failed";
	case TLV_E_SIGNER:
		return "no record matches the signer";
	case TLV_E_UNTRUSTED:
		return "signer not trusted by the installed list";
	case TLV_E_CERT:
		return "malformed record certificate";
	case TLV_E_TOOBIG:
		return "input or field too large";
	case TLV_E_ARG:
		return "invalid argument";
	case TLV_E_CRYPTO:
		return "cryptographic library failure";
	}
	return "unknown error";
}

static const struct {
	int id;
	const char *name;
} roles[] = {
    {TLV_ROLE_SAST, "SAST"},
    {TLV_ROLE_CCM, "CCM"},
    {TLV_ROLE_CCM_TFTP, "CCM+TFTP"},
    {TLV_ROLE_TFTP, "TFTP"},
    {TLV_ROLE_CAPF, "CAPF"},
    {TLV_ROLE_SRST, "SRST"},
    {TLV_ROLE_APP_SERVER, "APP-SERVER"},
    {TLV_ROLE_TVS, "TVS"},
};

const char *
tlv_role_str(int role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].id == role)
			return roles[i].name;
	return NULL;
}

int
tlv_role_from_str(const char *s)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return -1;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcasecmp(roles[i].name, s) == 0)
			return roles[i].id;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > TLV_U16_MAX)
		return -1;
	return (int)v;
}

const char *
tlv_hash_str(int hash)
{
	switch (hash) {
	case TLV_HASH_SHA1:
		return "SHA-1";
	case TLV_HASH_SHA256:
		return "SHA-256";
	case TLV_HASH_SHA512:
		return "SHA-512";
	}
	return NULL;
}

static const EVP_MD *
hash_md(int hash)
{
	switch (hash) {
	case TLV_HASH_SHA1:
		return EVP_sha1();
	case TLV_HASH_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

void
tlv_bytes_clear(struct tlv_bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* ------------------------------------------------------------------ */
/* Parsing */

static int
fail(struct tlv_error *err, int code, size_t offset, const char *what)
{
	if (err != NULL) {
		err->offset = offset;
		err->what = what;
	}
	return code;
}

static unsigned
rd_u16be(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
bytes_set(struct tlv_bytes *b, const uint8_t *p, size_t len)
{
	b->data = len > 0 ? xmalloc(len) : NULL;
	if (len > 0)
		memcpy(b->data, p, len);
	b->len = len;
}

/* A NUL-terminated string field; the terminator is added if missing. */
static char *
str_dup(const uint8_t *p, size_t len)
{
	char *s = xmalloc(len + 1);

	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static int
is_container(unsigned tag)
{
	return tag == 3 || tag == 7 || tag == 9 || tag == 16 || tag == 17 ||
	    tag == 21;
}

static void
record_clear(struct tlv_record *r)
{
	free(r->subject);
	free(r->issuer);
	free(r->dns_name);
	tlv_bytes_clear(&r->serial);
	tlv_bytes_clear(&r->public_key);
	tlv_bytes_clear(&r->cert_signature);
	tlv_bytes_clear(&r->certificate);
	tlv_bytes_clear(&r->ip_address);
	tlv_bytes_clear(&r->cert_hash);
}

void
tlv_file_free(struct tlv_file *f)
{
	if (f == NULL)
		return;
	tlv_bytes_clear(&f->data);
	free(f->signer_name);
	free(f->issuer_name);
	tlv_bytes_clear(&f->serial);
	tlv_bytes_clear(&f->signature);
	free(f->filename);
	for (size_t i = 0; i < f->n_records; i++)
		record_clear(&f->records[i]);
	free(f->records);
	free(f);
}

static struct tlv_file *
file_new(void)
{
	struct tlv_file *f = xcalloc(1, sizeof(*f));

	f->version_major = f->version_minor = -1;
	f->signer_version_major = f->signer_version_minor = -1;
	f->hash_alg = f->signature_alg = f->signature_modulus = -1;
	return f;
}

/* Header walk, spec 1.2.  Fills f except data and records. */
static int
header_parse(
    const uint8_t *d, size_t len, struct tlv_file *f, struct tlv_error *err)
{
	uint32_t seen = 0;
	size_t off, h;

	if (len < 3)
		return fail(
		    err, TLV_E_TRUNCATED, 0, "file too short for VERSION");
	if (d[0] != TLV_TAG_VERSION)
		return fail(err, TLV_E_FORMAT, 0, "first TLV is not VERSION");
	if (rd_u16be(d + 1) != 2)
		return fail(err, TLV_E_FORMAT, 1, "VERSION length is not 2");
	if (len < 10)
		return fail(err, TLV_E_TRUNCATED, len,
		    "file too short for VERSION and HEADER_LENGTH");
	f->version_major = d[3];
	f->version_minor = d[4];
	if (d[5] != TLV_TAG_HEADER_LENGTH)
		return fail(
		    err, TLV_E_FORMAT, 5, "second TLV is not HEADER_LENGTH");
	if (rd_u16be(d + 6) != 2)
		return fail(
		    err, TLV_E_FORMAT, 6, "HEADER_LENGTH length is not 2");
	h = rd_u16be(d + 8);
	if (h < 10)
		return fail(err, TLV_E_FORMAT, 8,
		    "HEADER_LENGTH smaller than VERSION and HEADER_LENGTH");
	if (h > len)
		return fail(err, TLV_E_TRUNCATED, 8,
		    "HEADER_LENGTH beyond the end of the file");
	f->header_length = h;
	seen = 1u << TLV_TAG_VERSION | 1u << TLV_TAG_HEADER_LENGTH;

	off = 10;
	while (off < h) {
		unsigned tag = d[off];
		size_t l;
		const uint8_t *v;

		if (tag == TLV_TAG_PADDING) {
			off++;
			continue;
		}
		if (h - off < 3)
			return fail(err, TLV_E_TRUNCATED, off,
			    "header TLV runs past HEADER_LENGTH");
		l = rd_u16be(d + off + 1);
		if (l > h - off - 3)
			return fail(err, TLV_E_TRUNCATED, off,
			    "header TLV value runs past HEADER_LENGTH");
		if (tag == 0 || (tag > 28))
			return fail(err, TLV_E_TAG, off, "unknown header tag");
		if (seen & (1u << tag))
			return fail(
			    err, TLV_E_TAG, off, "duplicate header tag");
		seen |= 1u << tag;
		if (is_container(tag)) {
			if (tag >= 16)
				f->is_encrypted = 1;
			off += 3; /* step into the children */
			continue;
		}
		v = d + off + 3;
		switch (tag) {
		case TLV_TAG_SIGNER_NAME:
			f->signer_name = str_dup(v, l);
			break;
		case TLV_TAG_SERIAL_NUMBER:
			bytes_set(&f->serial, v, l);
			break;
		case TLV_TAG_ISSUER_NAME:
			f->issuer_name = str_dup(v, l);
			break;
		case TLV_TAG_HASH_ALGORITHM:
		case TLV_TAG_SIGNATURE_ALGORITHM:
		case TLV_TAG_SIGNATURE_MODULUS:
			if (l != 1)
				return fail(err, TLV_E_FORMAT, off,
				    "one-byte header field of wrong length");
			if (tag == TLV_TAG_HASH_ALGORITHM)
				f->hash_alg = v[0];
			else if (tag == TLV_TAG_SIGNATURE_ALGORITHM)
				f->signature_alg = v[0];
			else
				f->signature_modulus = v[0];
			break;
		case TLV_TAG_SIGNATURE:
			if (l == 0)
				return fail(
				    err, TLV_E_FORMAT, off, "empty SIGNATURE");
			f->signature_offset = off;
			bytes_set(&f->signature, v, l);
			break;
		case TLV_TAG_FILENAME:
			f->filename = str_dup(v, l);
			break;
		case TLV_TAG_TIMESTAMP:
			if (l != 4)
				return fail(err, TLV_E_FORMAT, off,
				    "TIMESTAMP length is not 4");
			f->has_timestamp = 1;
			f->timestamp = (uint32_t)v[0] << 24 |
			    (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
			break;
		case TLV_TAG_SIGNER_VERSION:
			if (l != 2)
				return fail(err, TLV_E_FORMAT, off,
				    "SIGNER_VERSION length is not 2");
			f->signer_version_major = v[0];
			f->signer_version_minor = v[1];
			break;
		default:
			if (tag >= 16 && tag <= 27) {
				f->is_encrypted = 1; /* not interpreted */
				break;
			}
			return fail(err, TLV_E_TAG, off, "unknown header tag");
		}
		off += 3 + l;
	}
	if (!(seen & (1u << TLV_TAG_HASH_ALGORITHM)))
		return fail(
		    err, TLV_E_MISSING, h, "no HASH_ALGORITHM in header");
	if (!(seen & (1u << TLV_TAG_SIGNATURE)))
		return fail(err, TLV_E_MISSING, h, "no SIGNATURE in header");
	if (f->signature_modulus >= 0 && f->signature_modulus <= 3 &&
	    f->signature.len != (size_t)64 << f->signature_modulus)
		return fail(err, TLV_E_FORMAT, f->signature_offset,
		    "SIGNATURE length does not match SIGNATURE_MODULUS");
	return TLV_OK;
}

/* One record at d[off..off+rl), spec 2.1/2.2. */
static int
record_parse(const uint8_t *d, size_t off, size_t rl, struct tlv_record *r,
    struct tlv_error *err)
{
	size_t p = off + 5, end = off + rl;
	uint32_t seen = 1u << TLV_REC_RECORD_LENGTH;

	r->offset = off;
	r->length = rl;
	r->role = -1;
	r->hash_alg = -1;
	while (p < end) {
		unsigned tag = d[p];
		size_t l;
		const uint8_t *v;

		if (end - p < 3)
			return fail(err, TLV_E_TRUNCATED, p,
			    "record TLV runs past RECORD_LENGTH");
		l = rd_u16be(d + p + 1);
		if (l > end - p - 3)
			return fail(err, TLV_E_TRUNCATED, p,
			    "record TLV value runs past RECORD_LENGTH");
		if (tag < TLV_REC_DNS_NAME || tag > TLV_REC_HASH_ALGORITHM)
			return fail(err, TLV_E_TAG, p, "unknown record tag");
		if (seen & (1u << tag))
			return fail(err, TLV_E_TAG, p, "duplicate record tag");
		seen |= 1u << tag;
		v = d + p + 3;
		switch (tag) {
		case TLV_REC_DNS_NAME:
			r->dns_name = str_dup(v, l);
			break;
		case TLV_REC_SUBJECT_NAME:
			r->subject = str_dup(v, l);
			break;
		case TLV_REC_ROLE:
			if (l != 2)
				return fail(err, TLV_E_FORMAT, p,
				    "ROLE length is not 2");
			r->role = (int)rd_u16be(v);
			break;
		case TLV_REC_ISSUER_NAME:
			r->issuer = str_dup(v, l);
			break;
		case TLV_REC_SERIAL_NUMBER:
			bytes_set(&r->serial, v, l);
			break;
		case TLV_REC_PUBLIC_KEY:
			bytes_set(&r->public_key, v, l);
			break;
		case TLV_REC_SIGNATURE:
			bytes_set(&r->cert_signature, v, l);
			break;
		case TLV_REC_CERTIFICATE:
			bytes_set(&r->certificate, v, l);
			break;
		case TLV_REC_IP_ADDRESS:
			bytes_set(&r->ip_address, v, l);
			break;
		case TLV_REC_CERTIFICATE_HASH:
			bytes_set(&r->cert_hash, v, l);
			break;
		case TLV_REC_HASH_ALGORITHM:
			if (l != 1)
				return fail(err, TLV_E_FORMAT, p,
				    "record HASH_ALGORITHM length is not 1");
			r->hash_alg = v[0];
			break;
		}
		p += 3 + l;
	}
	return TLV_OK;
}

static int
records_parse(
    const uint8_t *d, size_t len, struct tlv_file *f, struct tlv_error *err)
{
	size_t off = f->header_length, cap = 0;
	int rc;

	while (off < len) {
		size_t rl;
		struct tlv_record *r;

		if (len - off < 5)
			return fail(err, TLV_E_TRUNCATED, off,
			    "record shorter than its RECORD_LENGTH TLV");
		if (d[off] != TLV_REC_RECORD_LENGTH)
			return fail(err, TLV_E_FORMAT, off,
			    "record does not start with RECORD_LENGTH");
		if (rd_u16be(d + off + 1) != 2)
			return fail(err, TLV_E_FORMAT, off + 1,
			    "RECORD_LENGTH length is not 2");
		rl = rd_u16be(d + off + 3);
		if (rl < 5)
			return fail(err, TLV_E_FORMAT, off + 3,
			    "RECORD_LENGTH smaller than 5");
		if (rl > len - off)
			return fail(err, TLV_E_TRUNCATED, off + 3,
			    "RECORD_LENGTH beyond the end of the file");
		if (f->n_records == cap) {
			cap = cap ? 2 * cap : 8;
			f->records = realloc(f->records, cap * sizeof(*r));
			if (f->records == NULL)
				abort();
		}
		r = &f->records[f->n_records++];
		memset(r, 0, sizeof(*r));
		if ((rc = record_parse(d, off, rl, r, err)) != TLV_OK)
			return rc;
		off += rl;
	}
	return TLV_OK;
}

int
tlv_file_parse(const uint8_t *data, size_t len, struct tlv_file **out,
    struct tlv_error *err)
{
	struct tlv_file *f;
	int rc;

	if (out == NULL || (data == NULL && len > 0))
		return fail(err, TLV_E_ARG, 0, "no input");
	if (len > TLV_MAX_FILE)
		return fail(err, TLV_E_TOOBIG, 0, "file too large");
	f = file_new();
	if ((rc = header_parse(data, len, f, err)) != TLV_OK)
		goto out;
	if (f->version_major == 1 && f->version_minor == 2) {
		f->is_trust_list = 1;
		if ((rc = records_parse(data, len, f, err)) != TLV_OK)
			goto out;
	}
	bytes_set(&f->data, data, len);
	*out = f;
	f = NULL;
out:
	tlv_file_free(f);
	return rc;
}

void
tlv_file_payload(const struct tlv_file *f, const uint8_t **payload, size_t *len)
{
	*payload = f->data.data + f->header_length;
	*len = f->data.len - f->header_length;
}

int
tlv_sgn_strip(const uint8_t *data, size_t len, const uint8_t **payload,
    size_t *payload_len, struct tlv_error *err)
{
	struct tlv_file *f;
	int rc;

	if (payload == NULL || payload_len == NULL || (data == NULL && len > 0))
		return fail(err, TLV_E_ARG, 0, "no input");
	if (len > TLV_MAX_FILE)
		return fail(err, TLV_E_TOOBIG, 0, "file too large");
	f = file_new();
	if ((rc = header_parse(data, len, f, err)) == TLV_OK) {
		*payload = data + f->header_length;
		*payload_len = len - f->header_length;
	}
	tlv_file_free(f);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Verification */

int
tlv_verify_with_pkey(const struct tlv_file *f, EVP_PKEY *pkey)
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx = NULL;
	const uint8_t *d;
	size_t s, cut;
	int rc, ok;

	if (f == NULL || pkey == NULL)
		return TLV_E_ARG;
	if ((md = hash_md(f->hash_alg)) == NULL)
		return TLV_E_HASH;
	if (!EVP_PKEY_is_a(pkey, "RSA"))
		return TLV_E_KEY;
	s = f->signature.len;
	if (EVP_PKEY_get_size(pkey) <= 0 ||
	    (size_t)EVP_PKEY_get_size(pkey) != s)
		return TLV_E_SIGNATURE; /* not made by a key of this size */
	d = f->data.data;
	cut = f->signature_offset;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return TLV_E_CRYPTO;
	ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
	    EVP_DigestVerifyUpdate(ctx, d, cut) == 1 &&
	    EVP_DigestVerifyUpdate(
	        ctx, d + cut + 3 + s, f->data.len - cut - 3 - s) == 1;
	if (!ok)
		rc = TLV_E_CRYPTO;
	else if (EVP_DigestVerifyFinal(ctx, f->signature.data, s) == 1)
		rc = TLV_OK;
	else
		rc = TLV_E_SIGNATURE;
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
tlv_verify_with_cert(const struct tlv_file *f, X509 *cert)
{
	EVP_PKEY *pkey;

	if (f == NULL || cert == NULL)
		return TLV_E_ARG;
	if ((pkey = X509_get0_pubkey(cert)) == NULL) {
		ERR_clear_error();
		return TLV_E_KEY;
	}
	return tlv_verify_with_pkey(f, pkey);
}

static int
bytes_equal(const struct tlv_bytes *a, const struct tlv_bytes *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int
role_in(int role, unsigned mask)
{
	return role >= 0 && role < 32 && (mask & (1u << role));
}

/*
 * Verify f with the certificate of a record of list whose role is in
 * role_mask and whose serial equals f's header serial; records whose
 * issuer string also matches are tried first.  none: the code when no
 * record matches.
 */
static int
verify_by_records(const struct tlv_file *f, const struct tlv_file *list,
    unsigned role_mask, int none, size_t *signer)
{
	int rc = none;

	if (f == NULL || list == NULL)
		return TLV_E_ARG;
	if (f->serial.len == 0)
		return TLV_E_MISSING;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < list->n_records; i++) {
			const struct tlv_record *r = &list->records[i];
			const unsigned char *p = r->certificate.data;
			X509 *x;
			int same_issuer, vrc;

			if (!role_in(r->role, role_mask) ||
			    !bytes_equal(&r->serial, &f->serial))
				continue;
			same_issuer = r->issuer != NULL &&
			    f->issuer_name != NULL &&
			    strcmp(r->issuer, f->issuer_name) == 0;
			if (same_issuer != (pass == 0))
				continue;
			if (r->certificate.len == 0 ||
			    r->certificate.len > LONG_MAX) {
				rc = TLV_E_CERT;
				continue;
			}
			x = d2i_X509(NULL, &p, (long)r->certificate.len);
			if (x == NULL ||
			    p != r->certificate.data + r->certificate.len) {
				ERR_clear_error();
				X509_free(x);
				rc = TLV_E_CERT;
				continue;
			}
			vrc = tlv_verify_with_cert(f, x);
			X509_free(x);
			if (vrc == TLV_OK) {
				if (signer != NULL)
					*signer = i;
				return TLV_OK;
			}
			rc = vrc;
		}
	}
	return rc;
}

int
tlv_verify_self(const struct tlv_file *f, size_t *signer)
{
	if (f == NULL || !f->is_trust_list)
		return TLV_E_ARG;
	return verify_by_records(
	    f, f, 1u << TLV_ROLE_SAST, TLV_E_SIGNER, signer);
}

int
tlv_verify_with_trust(
    const struct tlv_file *f, const struct tlv_file *previous, size_t *signer)
{
	if (f == NULL || previous == NULL || !previous->is_trust_list)
		return TLV_E_ARG;
	return verify_by_records(
	    f, previous, 1u << TLV_ROLE_SAST, TLV_E_UNTRUSTED, signer);
}

int
tlv_verify_signed_file(
    const struct tlv_file *f, const struct tlv_file *list, size_t *signer)
{
	if (f == NULL || list == NULL || !list->is_trust_list)
		return TLV_E_ARG;
	return verify_by_records(f, list,
	    1u << TLV_ROLE_TFTP | 1u << TLV_ROLE_CCM_TFTP, TLV_E_UNTRUSTED,
	    signer);
}

/* ------------------------------------------------------------------ */
/* Encodings */

/* RFC 4514 section 3 short names; others are written as dotted OIDs. */
static const char *
attr_short_name(int nid)
{
	switch (nid) {
	case NID_commonName:
		return "CN";
	case NID_localityName:
		return "L";
	case NID_stateOrProvinceName:
		return "ST";
	case NID_organizationName:
		return "O";
	case NID_organizationalUnitName:
		return "OU";
	case NID_countryName:
		return "C";
	case NID_streetAddress:
		return "STREET";
	case NID_domainComponent:
		return "DC";
	case NID_userId:
		return "UID";
	}
	return NULL;
}

/* RFC 4514 section 2.4 escaping of an attribute value (UTF-8). */
static void
escape_value(struct buf *b, const unsigned char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = v[i];

		if (c == '\0') {
			buf_puts(b, "\\00");
			continue;
		}
		if (strchr("\"+,;<>\\", c) != NULL ||
		    (i == 0 && (c == '#' || c == ' ')) ||
		    (i == n - 1 && c == ' '))
			buf_putc(b, '\\');
		buf_putc(b, (char)c);
	}
}

char *
tlv_name_string(const X509_NAME *name)
{
	struct buf b = BUF_INIT;
	int n;

	if (name == NULL)
		return NULL;
	n = X509_NAME_entry_count(name);
	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const char *sn = attr_short_name(OBJ_obj2nid(obj));
		unsigned char *u = NULL;
		int ul;

		if (i > 0)
			buf_putc(&b, ',');
		if (sn != NULL) {
			buf_puts(&b, sn);
		} else {
			char oid[128];

			if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
				goto fail;
			buf_puts(&b, oid);
		}
		buf_putc(&b, '=');
		ul = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
		if (ul < 0)
			goto fail;
		escape_value(&b, u, (size_t)ul);
		OPENSSL_free(u);
	}
	return buf_steal(&b);
fail:
	ERR_clear_error();
	buf_free(&b);
	return NULL;
}

int
tlv_serial_bytes(const X509 *cert, struct tlv_bytes *out)
{
	BIGNUM *bn;
	int n;

	if (cert == NULL || out == NULL)
		return TLV_E_ARG;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	if (bn == NULL) {
		ERR_clear_error();
		return TLV_E_CRYPTO;
	}
	n = BN_num_bytes(bn);
	out->len = (size_t)n;
	out->data = n > 0 ? xmalloc((size_t)n) : NULL;
	if (n > 0)
		BN_bn2bin(bn, out->data);
	BN_free(bn);
	return TLV_OK;
}

/* Record public key: PKCS#1 RSAPublicKey, or an uncompressed EC point. */
static int
pubkey_bytes(EVP_PKEY *pk, struct tlv_bytes *out, int *is_ec)
{
	unsigned char *p;
	int n;

	*is_ec = 0;
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if ((n = i2d_PublicKey(pk, NULL)) <= 0)
			goto crypto;
		out->data = p = xmalloc((size_t)n);
		out->len = (size_t)n;
		if (i2d_PublicKey(pk, &p) != n)
			goto crypto;
		return TLV_OK;
	}
	if (EVP_PKEY_is_a(pk, "EC")) {
		size_t len = 0;
		char group[80];
		EC_GROUP *g = NULL;
		EC_POINT *pt = NULL;

		*is_ec = 1;
		if (!EVP_PKEY_get_octet_string_param(pk,
		        OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0, &len) ||
		    len == 0)
			goto crypto;
		out->data = xmalloc(len);
		out->len = len;
		if (!EVP_PKEY_get_octet_string_param(pk,
		        OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out->data, len,
		        &len))
			goto crypto;
		out->len = len;
		if (out->data[0] == 0x04)
			return TLV_OK;
		/* Compressed in the certificate: expand it. */
		if (!EVP_PKEY_get_utf8_string_param(pk,
		        OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		        NULL) ||
		    (g = EC_GROUP_new_by_curve_name(OBJ_sn2nid(group))) ==
		        NULL ||
		    (pt = EC_POINT_new(g)) == NULL ||
		    !EC_POINT_oct2point(g, pt, out->data, out->len, NULL) ||
		    (len = EC_POINT_point2oct(g, pt,
		         POINT_CONVERSION_UNCOMPRESSED, NULL, 0, NULL)) == 0) {
			EC_POINT_free(pt);
			EC_GROUP_free(g);
			goto crypto;
		}
		tlv_bytes_clear(out);
		out->data = xmalloc(len);
		out->len = EC_POINT_point2oct(
		    g, pt, POINT_CONVERSION_UNCOMPRESSED, out->data, len, NULL);
		EC_POINT_free(pt);
		EC_GROUP_free(g);
		if (out->len != len)
			goto crypto;
		return TLV_OK;
	}
	return TLV_E_KEY;
crypto:
	ERR_clear_error();
	tlv_bytes_clear(out);
	return TLV_E_CRYPTO;
}

/* ------------------------------------------------------------------ */
/* Building */

static void
put_u8(struct buf *b, unsigned v)
{
	char c = (char)(uint8_t)v;

	buf_append(b, &c, 1);
}

static void
put_u16(struct buf *b, size_t v)
{
	put_u8(b, (unsigned)(v >> 8) & 0xff);
	put_u8(b, (unsigned)v & 0xff);
}

static void
put_tlv(struct buf *b, unsigned tag, const void *v, size_t len)
{
	put_u8(b, tag);
	put_u16(b, len);
	if (len > 0)
		buf_append(b, v, len);
}

/* A string TLV including its NUL. */
static void
put_str(struct buf *b, unsigned tag, const char *s)
{
	put_tlv(b, tag, s, strlen(s) + 1);
}

static int
modulus_index(EVP_PKEY *key, int *index, size_t *sig_len)
{
	if (!EVP_PKEY_is_a(key, "RSA"))
		return TLV_E_KEY;
	switch (EVP_PKEY_get_bits(key)) {
	case 512:
		*index = 0;
		break;
	case 1024:
		*index = 1;
		break;
	case 2048:
		*index = 2;
		break;
	case 4096:
		*index = 3;
		break;
	default:
		return TLV_E_KEY;
	}
	*sig_len = (size_t)64 << *index;
	return TLV_OK;
}

/*
 * The header without the SIGNATURE TLV (spec 1.4.1, 1.5, 1.6 steps 1-4),
 * appended to b.  *sig_off: where the SIGNATURE TLV goes.
 */
static int
header_build(struct buf *b, unsigned vmaj, unsigned vmin, int signer_minor,
    X509 *signer, int hash, int modulus, size_t sig_len,
    const struct tlv_build_opts *opts, size_t *sig_off)
{
	char *subject = tlv_name_string(X509_get_subject_name(signer));
	char *issuer = tlv_name_string(X509_get_issuer_name(signer));
	struct tlv_bytes serial = {NULL, 0};
	size_t info_len, h;
	uint8_t ts[4];
	int rc = TLV_E_CRYPTO;

	if (subject == NULL || issuer == NULL ||
	    tlv_serial_bytes(signer, &serial) != TLV_OK)
		goto out;
	rc = TLV_E_TOOBIG;
	info_len =
	    3 + strlen(subject) + 1 + 3 + strlen(issuer) + 1 + 3 + serial.len;
	if (info_len > TLV_U16_MAX || strlen(opts->filename) + 1 > TLV_U16_MAX)
		goto out;
	put_tlv(b, TLV_TAG_VERSION,
	    (const uint8_t[]){(uint8_t)vmaj, (uint8_t)vmin}, 2);
	put_tlv(b, TLV_TAG_HEADER_LENGTH, (const uint8_t[]){0, 0}, 2);
	if (signer_minor >= 0)
		put_tlv(b, TLV_TAG_SIGNER_VERSION,
		    (const uint8_t[]){1, (uint8_t)signer_minor}, 2);
	put_u8(b, TLV_TAG_SIGNER_INFO);
	put_u16(b, info_len);
	put_str(b, TLV_TAG_SIGNER_NAME, subject);
	put_str(b, TLV_TAG_ISSUER_NAME, issuer);
	put_tlv(b, TLV_TAG_SERIAL_NUMBER, serial.data, serial.len);
	put_u8(b, TLV_TAG_SIGNATURE_INFO);
	put_u16(b, 15);
	put_tlv(b, TLV_TAG_HASH_ALGORITHM, (const uint8_t[]){(uint8_t)hash}, 1);
	put_u8(b, TLV_TAG_SIGNATURE_ALGORITHM_INFO);
	put_u16(b, 8);
	put_tlv(b, TLV_TAG_SIGNATURE_ALGORITHM, (const uint8_t[]){0}, 1);
	put_tlv(b, TLV_TAG_SIGNATURE_MODULUS,
	    (const uint8_t[]){(uint8_t)modulus}, 1);
	*sig_off = b->len;
	put_str(b, TLV_TAG_FILENAME, opts->filename);
	ts[0] = (uint8_t)(opts->timestamp >> 24);
	ts[1] = (uint8_t)(opts->timestamp >> 16);
	ts[2] = (uint8_t)(opts->timestamp >> 8);
	ts[3] = (uint8_t)opts->timestamp;
	put_tlv(b, TLV_TAG_TIMESTAMP, ts, 4);
	while ((b->len + 3 + sig_len) % 4 != 0)
		put_u8(b, TLV_TAG_PADDING);
	h = b->len + 3 + sig_len;
	if (h > TLV_U16_MAX)
		goto out;
	b->data[8] = (char)(uint8_t)(h >> 8);
	b->data[9] = (char)(uint8_t)h;
	rc = TLV_OK;
out:
	free(subject);
	free(issuer);
	tlv_bytes_clear(&serial);
	return rc;
}

/* Spec 1.6 step 6: sign b and append it, with the signature, to out. */
static int
sign_and_emit(struct buf *b, size_t sig_off, size_t sig_len, int hash,
    EVP_PKEY *key, struct buf *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *sig = xmalloc(sig_len);
	size_t len = sig_len;
	int rc = TLV_E_CRYPTO;

	if (ctx == NULL ||
	    EVP_DigestSignInit(ctx, NULL, hash_md(hash), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &len, (const uint8_t *)b->data, b->len) !=
	        1 ||
	    len != sig_len) {
		ERR_clear_error();
		goto out;
	}
	buf_append(out, b->data, sig_off);
	put_tlv(out, TLV_TAG_SIGNATURE, sig, sig_len);
	buf_append(out, b->data + sig_off, b->len - sig_off);
	rc = TLV_OK;
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	return rc;
}

static int
signer_check(X509 *cert, EVP_PKEY *key, const struct tlv_build_opts *opts,
    int *modulus, size_t *sig_len)
{
	int rc;

	if (cert == NULL || key == NULL || opts == NULL ||
	    opts->filename == NULL)
		return TLV_E_ARG;
	if (hash_md(opts->hash_alg) == NULL)
		return TLV_E_HASH;
	if ((rc = modulus_index(key, modulus, sig_len)) != TLV_OK)
		return rc;
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return TLV_E_KEY;
	}
	return TLV_OK;
}

/* One record in the order of spec 2.4. */
static int
record_build(struct buf *b, X509 *cert, int role)
{
	char *subject = tlv_name_string(X509_get_subject_name(cert));
	char *issuer = tlv_name_string(X509_get_issuer_name(cert));
	struct tlv_bytes serial = {NULL, 0}, pub = {NULL, 0};
	const ASN1_BIT_STRING *sig = NULL;
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	unsigned char *der = NULL, *p;
	size_t sl, il, sigl, rl;
	int derl, is_ec, rc = TLV_E_CRYPTO;

	if (subject == NULL || issuer == NULL || pk == NULL ||
	    tlv_serial_bytes(cert, &serial) != TLV_OK)
		goto out;
	if ((rc = pubkey_bytes(pk, &pub, &is_ec)) != TLV_OK)
		goto out;
	rc = TLV_E_CRYPTO;
	X509_get0_signature(&sig, NULL, cert);
	if (sig == NULL || (derl = i2d_X509(cert, NULL)) <= 0)
		goto out;
	der = p = xmalloc((size_t)derl);
	if (i2d_X509(cert, &p) != derl)
		goto out;
	sl = strlen(subject) + 1;
	il = strlen(issuer) + 1;
	sigl = (size_t)ASN1_STRING_length(sig);
	rl = 5 + 3 + sl + 3 + il + 3 + serial.len + 3 + 2 + 3 + pub.len + 3 +
	    sigl + 3 + (size_t)derl;
	rc = TLV_E_TOOBIG;
	if (rl > TLV_U16_MAX)
		goto out;
	put_u8(b, TLV_REC_RECORD_LENGTH);
	put_u16(b, 2);
	put_u16(b, rl);
	put_tlv(b, TLV_REC_SUBJECT_NAME, subject, sl);
	put_tlv(b, TLV_REC_ISSUER_NAME, issuer, il);
	put_tlv(b, TLV_REC_SERIAL_NUMBER, serial.data, serial.len);
	put_u8(b, TLV_REC_ROLE);
	put_u16(b, 2);
	put_u16(b, (size_t)role);
	put_tlv(b, TLV_REC_PUBLIC_KEY, pub.data, pub.len);
	put_tlv(b, TLV_REC_SIGNATURE, ASN1_STRING_get0_data(sig), sigl);
	put_tlv(b, TLV_REC_CERTIFICATE, der, (size_t)derl);
	rc = TLV_OK;
out:
	if (rc == TLV_E_CRYPTO)
		ERR_clear_error();
	free(subject);
	free(issuer);
	free(der);
	tlv_bytes_clear(&serial);
	tlv_bytes_clear(&pub);
	return rc;
}

int
tlv_trust_list_build(const struct tlv_entry *entries, size_t n_entries,
    X509 *signer_cert, EVP_PKEY *signer_key, const struct tlv_build_opts *opts,
    struct buf *out)
{
	struct buf b = BUF_INIT;
	size_t sig_len, sig_off, n_sast = 0;
	int modulus, minor = 0, has_signer = 0, rc;

	if ((rc = signer_check(
	         signer_cert, signer_key, opts, &modulus, &sig_len)) != TLV_OK)
		return rc;
	if (entries == NULL || n_entries == 0 || out == NULL)
		return TLV_E_ARG;
	for (size_t i = 0; i < n_entries; i++) {
		EVP_PKEY *pk;

		if (entries[i].cert == NULL || entries[i].role < 0 ||
		    entries[i].role > (int)TLV_U16_MAX)
			return TLV_E_ARG;
		if ((pk = X509_get0_pubkey(entries[i].cert)) == NULL) {
			ERR_clear_error();
			return TLV_E_KEY;
		}
		if (EVP_PKEY_is_a(pk, "EC"))
			minor = 1;
		else if (!EVP_PKEY_is_a(pk, "RSA"))
			return TLV_E_KEY;
		if (entries[i].role == TLV_ROLE_SAST) {
			n_sast++;
			if (X509_cmp(entries[i].cert, signer_cert) == 0)
				has_signer = 1;
		}
	}
	if (!has_signer || n_sast > 2)
		return TLV_E_ARG;
	if (opts->signer_version == TLV_SIGNER_VERSION_1_0)
		minor = 0;
	else if (opts->signer_version == TLV_SIGNER_VERSION_1_1)
		minor = 1;
	if ((rc = header_build(&b, 1, 2, minor, signer_cert, opts->hash_alg,
	         modulus, sig_len, opts, &sig_off)) != TLV_OK)
		goto out;
	for (size_t i = 0; i < n_entries; i++)
		if ((rc = record_build(&b, entries[i].cert, entries[i].role)) !=
		    TLV_OK)
			goto out;
	rc = sign_and_emit(
	    &b, sig_off, sig_len, opts->hash_alg, signer_key, out);
out:
	buf_free(&b);
	return rc;
}

int
tlv_sgn_build(const uint8_t *payload, size_t payload_len, X509 *signer_cert,
    EVP_PKEY *signer_key, const struct tlv_build_opts *opts, struct buf *out)
{
	struct buf b = BUF_INIT;
	size_t sig_len, sig_off;
	int modulus, rc;

	if ((rc = signer_check(
	         signer_cert, signer_key, opts, &modulus, &sig_len)) != TLV_OK)
		return rc;
	if (out == NULL || (payload == NULL && payload_len > 0))
		return TLV_E_ARG;
	if ((rc = header_build(&b, 1, 0, -1, signer_cert, opts->hash_alg,
	         modulus, sig_len, opts, &sig_off)) != TLV_OK)
		goto out;
	if (payload_len > 0)
		buf_append(&b, payload, payload_len);
	rc = sign_and_emit(
	    &b, sig_off, sig_len, opts->hash_alg, signer_key, out);
out:
	buf_free(&b);
	return rc;
}
