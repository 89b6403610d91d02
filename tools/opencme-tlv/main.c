/*
 * opencme-tlv: offline tool for signed phone files (CTL/ITL trust lists,
 * .sgn files).  parse, verify, build, strip.  See doc/opencme-tlv.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fmt/tlv.h"
#include "lib/buf.h"

#define PROG "opencme-tlv"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: " PROG " parse FILE\n"
	    "       " PROG " verify FILE [--cert PEM] [--trust OLD.tlv]\n"
	    "       " PROG " build ctl|itl --out FILE --signer-cert PEM "
	    "--signer-key KEY\n"
	    "             --sast PEM [--sast PEM] [--record ROLE:PEM ...]\n"
	    "             [--filename NAME] [--sha1|--sha512] "
	    "[--timestamp N]\n"
	    "             [--signer-version 1.0|1.1]\n"
	    "       " PROG " build sgn --in FILE --out FILE.sgn "
	    "--signer-cert PEM --signer-key KEY\n"
	    "             [--filename NAME.sgn] [--sha1|--sha512] "
	    "[--timestamp N]\n"
	    "       " PROG " strip FILE.sgn OUT\n"
	    "roles: sast ccm ccm+tftp tftp capf app-server tvs (or a "
	    "number)\n");
}

static void errx_msg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
errx_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Read a whole file (at most TLV_MAX_FILE bytes). */
static int
read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		errx_msg("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > TLV_MAX_FILE) {
			errx_msg("%s: larger than %u bytes", path,
			    (unsigned)TLV_MAX_FILE);
			fclose(f);
			return -1;
		}
		buf_append(out, chunk, n);
	}
	if (ferror(f)) {
		errx_msg("%s: read error", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL) {
		errx_msg("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((len > 0 && fwrite(data, 1, len, f) != len) | (fclose(f) != 0)) {
		errx_msg("%s: write error", path);
		return -1;
	}
	return 0;
}

static int
no_password_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static X509 *
load_cert(const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	X509 *x = NULL;

	if (b == NULL) {
		errx_msg("%s: cannot open certificate", path);
		goto out;
	}
	x = PEM_read_bio_X509(b, NULL, no_password_cb, NULL);
	if (x == NULL) {
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
	}
	if (x == NULL)
		errx_msg("%s: not a PEM or DER certificate", path);
out:
	ERR_clear_error();
	BIO_free(b);
	return x;
}

static EVP_PKEY *
load_key(const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	EVP_PKEY *k = NULL;

	if (b == NULL) {
		errx_msg("%s: cannot open private key", path);
		goto out;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, no_password_cb, NULL);
	if (k == NULL)
		errx_msg("%s: not an unencrypted PEM private key", path);
out:
	ERR_clear_error();
	BIO_free(b);
	return k;
}

/* Parse path; on error print where and why. */
static struct tlv_file *
parse_path(const char *path)
{
	struct buf data = BUF_INIT;
	struct tlv_file *f = NULL;
	struct tlv_error err = {0, NULL};
	int rc;

	if (read_file(path, &data) != 0)
		goto out;
	rc = tlv_file_parse((const uint8_t *)data.data, data.len, &f, &err);
	if (rc != TLV_OK)
		errx_msg("%s: malformed at offset %zu (0x%zx): %s (%s)", path,
		    err.offset, err.offset, err.what ? err.what : "?",
		    tlv_err_str(rc));
out:
	buf_free(&data);
	return f;
}

/* ------------------------------------------------------------------ */
/* parse */

static void
print_hex(const uint8_t *p, size_t len, const char *sep)
{
	for (size_t i = 0; i < len; i++)
		printf("%s%02X", i > 0 ? sep : "", p[i]);
}

static void
print_key(const struct tlv_record *r, X509 *x)
{
	EVP_PKEY *pk = x != NULL ? X509_get0_pubkey(x) : NULL;

	if (pk == NULL && r->public_key.len > 0) {
		const unsigned char *p = r->public_key.data;

		if (r->public_key.data[0] == 0x04) {
			printf("EC point (%zu bytes)\n", r->public_key.len);
			return;
		}
		pk = d2i_PublicKey(
		    EVP_PKEY_RSA, NULL, &p, (long)r->public_key.len);
		if (pk != NULL) {
			printf("RSA %d bit\n", EVP_PKEY_get_bits(pk));
			EVP_PKEY_free(pk);
			return;
		}
		ERR_clear_error();
		printf("unrecognised (%zu bytes)\n", r->public_key.len);
		return;
	}
	if (pk == NULL)
		printf("none\n");
	else if (EVP_PKEY_is_a(pk, "RSA"))
		printf("RSA %d bit\n", EVP_PKEY_get_bits(pk));
	else if (EVP_PKEY_is_a(pk, "EC")) {
		char group[80] = "?";

		(void)EVP_PKEY_get_utf8_string_param(
		    pk, "group", group, sizeof(group), NULL);
		printf("EC %s (%d bit)\n", group, EVP_PKEY_get_bits(pk));
	} else
		printf("%s\n", EVP_PKEY_get0_type_name(pk));
	ERR_clear_error();
}

static void
print_record(size_t i, const struct tlv_record *r)
{
	const char *role = tlv_role_str(r->role);
	X509 *x = NULL;

	printf("\nRecord %zu (offset 0x%zX, %zu bytes)\n", i + 1, r->offset,
	    r->length);
	if (r->role < 0)
		printf("  Role:          (none)\n");
	else
		printf("  Role:          %s (%d)\n", role ? role : "unknown",
		    r->role);
	if (r->dns_name != NULL)
		printf("  DNS name:      %s\n", r->dns_name);
	printf("  Subject:       %s\n", r->subject ? r->subject : "(none)");
	printf("  Issuer:        %s\n", r->issuer ? r->issuer : "(none)");
	printf("  Serial number: ");
	print_hex(r->serial.data, r->serial.len, "");
	printf("\n");
	if (r->certificate.len > 0) {
		const unsigned char *p = r->certificate.data;

		x = d2i_X509(NULL, &p, (long)r->certificate.len);
		ERR_clear_error();
	}
	printf("  Public key:    ");
	print_key(r, x);
	if (r->certificate.len > 0) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;

		printf("  Certificate:   %zu bytes%s\n", r->certificate.len,
		    x == NULL ? " (not valid X.509)" : "");
		if (EVP_Digest(r->certificate.data, r->certificate.len, md,
		        &mdlen, EVP_sha1(), NULL) == 1) {
			printf("  SHA-1:         ");
			print_hex(md, mdlen, ":");
			printf("\n");
		}
	}
	if (r->ip_address.len == 4)
		printf("  IP address:    %u.%u.%u.%u\n", r->ip_address.data[0],
		    r->ip_address.data[1], r->ip_address.data[2],
		    r->ip_address.data[3]);
	else if (r->ip_address.len > 0) {
		printf("  IP address:    ");
		print_hex(r->ip_address.data, r->ip_address.len, "");
		printf("\n");
	}
	if (r->cert_hash.len > 0) {
		const char *h = tlv_hash_str(r->hash_alg);

		printf("  Cert hash:     ");
		print_hex(r->cert_hash.data, r->cert_hash.len, "");
		printf(" (%s)\n", h ? h : "unknown algorithm");
	}
	X509_free(x);
}

static int
cmd_parse(int argc, char **argv)
{
	struct tlv_file *f;
	const char *hash;

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	if ((f = parse_path(argv[1])) == NULL)
		return 1;
	hash = tlv_hash_str(f->hash_alg);
	printf("File:           %s\n", argv[1]);
	printf("Type:           %s\n",
	    f->is_trust_list      ? "trust list (CTL/ITL)"
	        : f->is_encrypted ? "signed encrypted file (.enc.sgn)"
	                          : "signed file (.sgn)");
	printf("Version:        %d.%d\n", f->version_major, f->version_minor);
	printf("Header length:  %zu\n", f->header_length);
	if (f->signer_version_major >= 0)
		printf("Signer version: %d.%d\n", f->signer_version_major,
		    f->signer_version_minor);
	printf(
	    "Signer name:    %s\n", f->signer_name ? f->signer_name : "(none)");
	printf(
	    "Issuer name:    %s\n", f->issuer_name ? f->issuer_name : "(none)");
	printf("Serial number:  ");
	print_hex(f->serial.data, f->serial.len, "");
	printf("\n");
	printf(
	    "Hash algorithm: %s (%d)\n", hash ? hash : "unknown", f->hash_alg);
	printf("Signature:      %zu bytes at offset 0x%zX", f->signature.len,
	    f->signature_offset);
	if (f->signature_modulus >= 0)
		printf(", modulus index %d", f->signature_modulus);
	printf("\n");
	printf("Filename:       %s\n", f->filename ? f->filename : "(none)");
	if (f->has_timestamp) {
		time_t t = (time_t)f->timestamp;
		struct tm tm;
		char when[64] = "?";

		if (gmtime_r(&t, &tm) != NULL)
			strftime(
			    when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf(
		    "Timestamp:      %s (%u)\n", when, (unsigned)f->timestamp);
	}
	if (f->is_trust_list) {
		printf("Records:        %zu\n", f->n_records);
		for (size_t i = 0; i < f->n_records; i++)
			print_record(i, &f->records[i]);
	} else {
		printf("Payload:        %zu bytes at offset 0x%zX\n",
		    f->data.len - f->header_length, f->header_length);
	}
	tlv_file_free(f);
	return 0;
}

/* ------------------------------------------------------------------ */
/* verify */

static const struct option verify_opts[] = {
    {"cert", required_argument, NULL, 'c'},
    {"trust", required_argument, NULL, 't'},
    {NULL, 0, NULL, 0},
};

static int
cmd_verify(int argc, char **argv)
{
	const char *cert_path = NULL, *trust_path = NULL, *path;
	struct tlv_file *f = NULL, *old = NULL;
	X509 *x = NULL;
	size_t signer = 0;
	int c, rc, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", verify_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cert_path = optarg;
			break;
		case 't':
			trust_path = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	if ((f = parse_path(path)) == NULL)
		goto out;
	if (cert_path == NULL && trust_path == NULL && !f->is_trust_list) {
		errx_msg("%s: a signed file is verified with --cert TFTP.pem "
		         "or --trust CTL.tlv",
		    path);
		goto out;
	}
	if (cert_path != NULL) {
		if ((x = load_cert(cert_path)) == NULL)
			goto out;
		if ((rc = tlv_verify_with_cert(f, x)) != TLV_OK) {
			errx_msg("%s: not valid with certificate %s: %s", path,
			    cert_path, tlv_err_str(rc));
			goto out;
		}
		printf(
		    "%s: signature valid (certificate %s)\n", path, cert_path);
	}
	if (trust_path != NULL) {
		if ((old = parse_path(trust_path)) == NULL)
			goto out;
		if (!old->is_trust_list) {
			errx_msg("%s: not a trust list", trust_path);
			goto out;
		}
		rc = f->is_trust_list ? tlv_verify_with_trust(f, old, &signer)
		                      : tlv_verify_signed_file(f, old, &signer);
		if (rc != TLV_OK) {
			errx_msg("%s: not trusted by %s: %s%s", path,
			    trust_path, tlv_err_str(rc),
			    rc == TLV_E_UNTRUSTED
			        ? (f->is_trust_list
			                  ? " (signer is no SAST record of "
			                    "the installed list)"
			                  : " (signer is no TFTP or CCM+TFTP "
			                    "record of the list)")
			        : "");
			goto out;
		}
		printf("%s: signature valid (signer: record %zu of %s, %s)\n",
		    path, signer + 1, trust_path,
		    old->records[signer].subject ? old->records[signer].subject
		                                 : "?");
	}
	if (cert_path == NULL && trust_path == NULL) {
		if ((rc = tlv_verify_self(f, &signer)) != TLV_OK) {
			errx_msg("%s: self-verification failed: %s%s", path,
			    tlv_err_str(rc),
			    rc == TLV_E_SIGNER
			        ? " (no SAST record with the header serial "
			          "number)"
			        : "");
			goto out;
		}
		printf("%s: signature valid (signer: SAST record %zu, %s)\n",
		    path, signer + 1,
		    f->records[signer].subject ? f->records[signer].subject
		                               : "?");
	}
	ret = 0;
out:
	X509_free(x);
	tlv_file_free(f);
	tlv_file_free(old);
	return ret;
}

/* ------------------------------------------------------------------ */
/* build */

enum {
	OPT_OUT = 1,
	OPT_IN,
	OPT_FILENAME,
	OPT_SIGNER_CERT,
	OPT_SIGNER_KEY,
	OPT_SAST,
	OPT_RECORD,
	OPT_SHA1,
	OPT_SHA512,
	OPT_TIMESTAMP,
	OPT_SIGNER_VERSION,
};

static const struct option build_opts[] = {
    {"out", required_argument, NULL, OPT_OUT},
    {"in", required_argument, NULL, OPT_IN},
    {"filename", required_argument, NULL, OPT_FILENAME},
    {"signer-cert", required_argument, NULL, OPT_SIGNER_CERT},
    {"signer-key", required_argument, NULL, OPT_SIGNER_KEY},
    {"sast", required_argument, NULL, OPT_SAST},
    {"record", required_argument, NULL, OPT_RECORD},
    {"sha1", no_argument, NULL, OPT_SHA1},
    {"sha512", no_argument, NULL, OPT_SHA512},
    {"timestamp", required_argument, NULL, OPT_TIMESTAMP},
    {"signer-version", required_argument, NULL, OPT_SIGNER_VERSION},
    {NULL, 0, NULL, 0},
};

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static int
cmd_build(int argc, char **argv)
{
	const char *kind, *out_path = NULL, *in_path = NULL;
	const char *signer_cert_path = NULL, *signer_key_path = NULL;
	struct tlv_build_opts o = {
	    NULL, 0, TLV_HASH_SHA1, TLV_SIGNER_VERSION_AUTO};
	struct tlv_entry *entries;
	size_t n = 0, n_sast = 0;
	X509 *signer = NULL;
	EVP_PKEY *key = NULL;
	struct buf out = BUF_INIT, in = BUF_INIT;
	int is_sgn, c, rc, ret = 1, has_signer = 0, has_ts = 0;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	kind = argv[1];
	if (strcmp(kind, "ctl") != 0 && strcmp(kind, "itl") != 0 &&
	    strcmp(kind, "sgn") != 0) {
		errx_msg("build: unknown kind \"%s\" (ctl, itl or sgn)", kind);
		return 2;
	}
	is_sgn = strcmp(kind, "sgn") == 0;
	entries = xcalloc((size_t)argc, sizeof(*entries));
	optind = 2;
	while ((c = getopt_long(argc, argv, "", build_opts, NULL)) != -1) {
		char *end, *colon;
		unsigned long v;
		int role;

		switch (c) {
		case OPT_OUT:
			out_path = optarg;
			break;
		case OPT_IN:
			in_path = optarg;
			break;
		case OPT_FILENAME:
			o.filename = optarg;
			break;
		case OPT_SIGNER_CERT:
			signer_cert_path = optarg;
			break;
		case OPT_SIGNER_KEY:
			signer_key_path = optarg;
			break;
		case OPT_SAST:
		case OPT_RECORD:
			if (is_sgn) {
				errx_msg("build sgn: --sast/--record are for "
				         "trust lists");
				goto out;
			}
			if (c == OPT_SAST) {
				role = TLV_ROLE_SAST;
				colon = optarg - 1;
			} else {
				if ((colon = strchr(optarg, ':')) == NULL) {
					errx_msg("--record %s: expected "
					         "ROLE:CERT.pem",
					    optarg);
					goto out;
				}
				*colon = '\0';
				role = tlv_role_from_str(optarg);
				if (role < 0) {
					errx_msg("--record: unknown role "
					         "\"%s\"",
					    optarg);
					goto out;
				}
			}
			if ((entries[n].cert = load_cert(colon + 1)) == NULL)
				goto out;
			entries[n++].role = role;
			break;
		case OPT_SHA1:
			o.hash_alg = TLV_HASH_SHA1;
			break;
		case OPT_SHA512:
			o.hash_alg = TLV_HASH_SHA512;
			break;
		case OPT_TIMESTAMP:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || v > UINT32_MAX) {
				errx_msg(
				    "--timestamp: not a Unix time: %s", optarg);
				goto out;
			}
			o.timestamp = (uint32_t)v;
			has_ts = 1;
			break;
		case OPT_SIGNER_VERSION:
			if (strcmp(optarg, "1.0") == 0)
				o.signer_version = TLV_SIGNER_VERSION_1_0;
			else if (strcmp(optarg, "1.1") == 0)
				o.signer_version = TLV_SIGNER_VERSION_1_1;
			else {
				errx_msg("--signer-version: 1.0 or 1.1");
				goto out;
			}
			break;
		default:
			usage(stderr);
			ret = 2;
			goto out;
		}
	}
	if (optind != argc || out_path == NULL || signer_cert_path == NULL ||
	    signer_key_path == NULL || (is_sgn && in_path == NULL)) {
		errx_msg("build %s: missing %s", kind,
		    optind != argc         ? "option before extra argument"
		        : out_path == NULL ? "--out"
		        : signer_cert_path == NULL ? "--signer-cert"
		        : signer_key_path == NULL  ? "--signer-key"
		                                   : "--in");
		ret = 2;
		goto out;
	}
	if (!has_ts)
		o.timestamp = (uint32_t)time(NULL);
	if (o.filename == NULL)
		o.filename = is_sgn            ? base_name(out_path)
		    : strcmp(kind, "ctl") == 0 ? "CTLFile.tlv"
		                               : "ITLFile.tlv";
	if ((signer = load_cert(signer_cert_path)) == NULL ||
	    (key = load_key(signer_key_path)) == NULL)
		goto out;
	if (!EVP_PKEY_is_a(key, "RSA") ||
	    (EVP_PKEY_get_bits(key) != 512 && EVP_PKEY_get_bits(key) != 1024 &&
	        EVP_PKEY_get_bits(key) != 2048 &&
	        EVP_PKEY_get_bits(key) != 4096)) {
		errx_msg("%s: the signing key must be RSA with 512, 1024, "
		         "2048 or 4096 bits",
		    signer_key_path);
		goto out;
	}
	if (X509_check_private_key(signer, key) != 1) {
		ERR_clear_error();
		errx_msg(
		    "%s does not match %s", signer_key_path, signer_cert_path);
		goto out;
	}
	if (is_sgn) {
		if (read_file(in_path, &in) != 0)
			goto out;
		rc = tlv_sgn_build(
		    (const uint8_t *)in.data, in.len, signer, key, &o, &out);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (entries[i].role != TLV_ROLE_SAST)
				continue;
			n_sast++;
			if (X509_cmp(entries[i].cert, signer) == 0)
				has_signer = 1;
		}
		if (!has_signer) {
			errx_msg("the signer certificate must also be given "
			         "as --sast");
			goto out;
		}
		if (n_sast > 2) {
			errx_msg("at most two --sast certificates");
			goto out;
		}
		rc = tlv_trust_list_build(entries, n, signer, key, &o, &out);
	}
	if (rc != TLV_OK) {
		errx_msg("build %s: %s", kind, tlv_err_str(rc));
		goto out;
	}
	if (write_file(out_path, out.data, out.len) != 0)
		goto out;
	printf("wrote %s (%zu bytes)\n", out_path, out.len);
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		X509_free(entries[i].cert);
	free(entries);
	X509_free(signer);
	EVP_PKEY_free(key);
	buf_free(&out);
	buf_free(&in);
	return ret;
}

/* ------------------------------------------------------------------ */
/* strip */

static int
cmd_strip(int argc, char **argv)
{
	struct buf data = BUF_INIT;
	struct tlv_error err = {0, NULL};
	const uint8_t *payload;
	size_t len;
	int rc, ret = 1;

	if (argc != 3) {
		usage(stderr);
		return 2;
	}
	if (read_file(argv[1], &data) != 0)
		goto out;
	rc = tlv_sgn_strip(
	    (const uint8_t *)data.data, data.len, &payload, &len, &err);
	if (rc != TLV_OK) {
		errx_msg("%s: malformed at offset %zu (0x%zx): %s (%s)",
		    argv[1], err.offset, err.offset, err.what ? err.what : "?",
		    tlv_err_str(rc));
		goto out;
	}
	if (write_file(argv[2], payload, len) != 0)
		goto out;
	ret = 0;
out:
	buf_free(&data);
	return ret;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "parse") == 0)
		return cmd_parse(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "build") == 0)
		return cmd_build(argc - 1, argv + 1);
	if (strcmp(argv[1], "strip") == 0)
		return cmd_strip(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	errx_msg("unknown command \"%s\"", argv[1]);
	usage(stderr);
	return 2;
}
