/*
 * Named key pairs stored as PEM PKCS#8 files (see keystore.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lib/buf.h"
#include "pki/keystore.h"
#include "store/store.h"

#define KEY_SUFFIX ".pem"
#define KEY_FILE_MAX (64 * 1024) /* far above a 4096-bit PKCS#8 PEM */
#define ENCRYPTED_HEADER "-----BEGIN ENCRYPTED PRIVATE KEY-----"

struct keystore {
	char *dir;
	char *pass; /* NULL: keys stored unencrypted */
	uint64_t generation; /* bumped by every write or delete */
};

const char *
pki_err_str(int err)
{
	if (err <= STORE_E_DB)
		return store_err_str(err);
	switch (err) {
	case PKI_OK:
		return "success";
	case PKI_E_INVAL:
		return "invalid argument";
	case PKI_E_NOMEM:
		return "out of memory";
	case PKI_E_IO:
		return "file system error";
	case PKI_E_CRYPTO:
		return "cryptographic library error";
	case PKI_E_NOTFOUND:
		return "not found";
	case PKI_E_EXISTS:
		return "already exists";
	case PKI_E_PASSPHRASE:
		return "key is encrypted and the passphrase is missing or wrong";
	case PKI_E_LABEL:
		return "invalid key label";
	case PKI_E_KEYSIZE:
		return "unsupported key size";
	case PKI_E_SIGNATURE:
		return "request signature does not verify";
	case PKI_E_STATE:
		return "not allowed in the current state";
	case PKI_E_EXPIRED:
		return "CA certificate expires too soon to issue";
	case PKI_E_VERIFY:
		return "certificate verification failed";
	case PKI_E_MISMATCH:
		return "key does not match the certificate";
	case PKI_E_FORMAT:
		return "malformed input";
	}
	return "unknown error";
}

int
keystore_label_ok(const char *label)
{
	size_t i, n;

	if (label == NULL)
		return 0;
	n = strlen(label);
	if (n == 0 || n > KEYSTORE_LABEL_MAX || label[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = label[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == '-'))
			return 0;
	}
	return 1;
}

int
keystore_open(const char *dir, const char *passphrase, struct keystore **out)
{
	struct keystore *ks;
	struct stat st;

	if (dir == NULL || *dir == '\0' || out == NULL ||
	    strlen(dir) > PATH_MAX - KEYSTORE_LABEL_MAX - 32)
		return PKI_E_INVAL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return PKI_E_IO;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return PKI_E_IO;
	ks = xcalloc(1, sizeof(*ks));
	ks->dir = xstrdup(dir);
	if (passphrase != NULL && *passphrase != '\0')
		ks->pass = xstrdup(passphrase);
	*out = ks;
	return 0;
}

void
keystore_free(struct keystore *ks)
{
	if (ks == NULL)
		return;
	secret_free(ks->pass);
	free(ks->dir);
	free(ks);
}

static void
key_path(const struct keystore *ks, const char *label, char *path, size_t n)
{
	snprintf(path, n, "%s/%s" KEY_SUFFIX, ks->dir, label);
}

static int
dir_sync(const struct keystore *ks)
{
	int fd = open(ks->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return PKI_E_IO;
	if (fsync(fd) != 0)
		rc = PKI_E_IO;
	close(fd);
	return rc;
}

/* PEM PKCS#8 of key into out (a buffer to wipe), encrypted with
 * AES-256-CBC when pass is set. */
static int
key_encode(EVP_PKEY *key, const char *pass, struct buf *out)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long len;
	int rc = PKI_E_CRYPTO;

	if (bio == NULL)
		return PKI_E_NOMEM;
	if (pass != NULL) {
		if (strlen(pass) > INT_MAX)
			goto out;
		if (!PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(),
		        pass, (int)strlen(pass), NULL, NULL))
			goto out;
	} else if (!PEM_write_bio_PKCS8PrivateKey(
	               bio, key, NULL, NULL, 0, NULL, NULL)) {
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || data == NULL)
		goto out;
	buf_append(out, data, (size_t)len);
	OPENSSL_cleanse(data, (size_t)len);
	rc = 0;
out:
	BIO_free(bio); /* secure memory BIO: cleansed on free as well */
	return rc;
}

/* Write data to a new temporary file of mode 0600 in the key directory,
 * fsync'ed and closed; its name goes to tmp. */
static int
tmp_write(const struct keystore *ks, const char *label, const struct buf *data,
    char *tmp, size_t tmplen)
{
	size_t off = 0;
	int fd, rc = 0;

	snprintf(tmp, tmplen, "%s/.%s.XXXXXX", ks->dir, label);
	fd = mkstemp(tmp);
	if (fd < 0)
		return PKI_E_IO;
	if (fchmod(fd, 0600) != 0) {
		rc = PKI_E_IO;
		goto out;
	}
	while (off < data->len) {
		ssize_t w = write(fd, data->data + off, data->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = PKI_E_IO;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		rc = PKI_E_IO;
out:
	if (close(fd) != 0 && rc == 0)
		rc = PKI_E_IO;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* Move a finished temporary file to its final name.  Without overwrite
 * link(2) refuses an existing name atomically. */
static int
tmp_commit(const struct keystore *ks, const char *tmp, const char *label,
    int overwrite)
{
	char path[PATH_MAX];
	int rc = 0;

	key_path(ks, label, path, sizeof(path));
	if (overwrite) {
		if (rename(tmp, path) != 0)
			rc = PKI_E_IO;
	} else {
		if (link(tmp, path) != 0)
			rc = errno == EEXIST ? PKI_E_EXISTS : PKI_E_IO;
		unlink(tmp);
	}
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	return dir_sync(ks);
}

int
keystore_put(
    struct keystore *ks, const char *label, EVP_PKEY *key, int overwrite)
{
	struct buf pem = BUF_INIT;
	char tmp[PATH_MAX];
	int rc;

	if (ks == NULL || key == NULL)
		return PKI_E_INVAL;
	if (!keystore_label_ok(label))
		return PKI_E_LABEL;
	if (!overwrite && keystore_exists(ks, label))
		return PKI_E_EXISTS;
	rc = key_encode(key, ks->pass, &pem);
	if (rc != 0)
		goto out;
	rc = tmp_write(ks, label, &pem, tmp, sizeof(tmp));
	if (rc != 0)
		goto out;
	rc = tmp_commit(ks, tmp, label, overwrite);
	ks->generation++;
out:
	buf_wipe(&pem);
	return rc;
}

int
keystore_generate(struct keystore *ks, const char *label, int type,
    unsigned bits, int overwrite, EVP_PKEY **out)
{
	EVP_PKEY *key = NULL;
	int rc;

	if (ks == NULL)
		return PKI_E_INVAL;
	if (!keystore_label_ok(label))
		return PKI_E_LABEL;
	if (type == KEYSTORE_RSA) {
		if (bits < KEYSTORE_RSA_MIN_BITS ||
		    bits > KEYSTORE_RSA_MAX_BITS)
			return PKI_E_INVAL;
		if (bits < 512) /* OpenSSL 3's floor */
			return PKI_E_KEYSIZE;
	} else if (type == KEYSTORE_EC) {
		if (bits != 256 && bits != 384)
			return PKI_E_KEYSIZE;
	} else {
		return PKI_E_INVAL;
	}
	if (!overwrite && keystore_exists(ks, label))
		return PKI_E_EXISTS;
	if (type == KEYSTORE_RSA)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		key = EVP_PKEY_Q_keygen(
		    NULL, NULL, "EC", bits == 256 ? "P-256" : "P-384");
	if (key == NULL)
		return PKI_E_CRYPTO;
	rc = keystore_put(ks, label, key, overwrite);
	if (rc == 0 && out != NULL) {
		*out = key;
		key = NULL;
	}
	EVP_PKEY_free(key);
	return rc;
}

/* Read a whole key file into b (to be wiped by the caller). */
static int
file_read(const char *path, struct buf *b)
{
	char chunk[4096];
	size_t n;
	int rc = 0;
	FILE *f = fopen(path, "rbe");

	if (f == NULL)
		return errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > KEY_FILE_MAX) {
			rc = PKI_E_FORMAT;
			break;
		}
		buf_append(b, chunk, n);
	}
	if (rc == 0 && ferror(f))
		rc = PKI_E_IO;
	OPENSSL_cleanse(chunk, sizeof(chunk));
	fclose(f);
	return rc;
}

static int
pass_cb(char *dst, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t n;

	(void)rwflag;
	if (pass == NULL || size <= 0)
		return -1;
	n = strlen(pass);
	if (n > (size_t)size)
		return -1;
	memcpy(dst, pass, n);
	return (int)n;
}

/* Decode a key file with a given passphrase (NULL: none). */
static int
key_load_with(const struct keystore *ks, const char *label, const char *pass,
    EVP_PKEY **out)
{
	struct buf pem = BUF_INIT;
	char path[PATH_MAX];
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int rc, encrypted;

	if (!keystore_label_ok(label))
		return PKI_E_LABEL;
	key_path(ks, label, path, sizeof(path));
	rc = file_read(path, &pem);
	if (rc != 0)
		goto out;
	encrypted = strstr(buf_str(&pem), ENCRYPTED_HEADER) != NULL;
	if (encrypted && pass == NULL) {
		rc = PKI_E_PASSPHRASE;
		goto out;
	}
	if (pem.len > INT_MAX) {
		rc = PKI_E_FORMAT;
		goto out;
	}
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	if (bio == NULL) {
		rc = PKI_E_NOMEM;
		goto out;
	}
	/* Always our callback: OpenSSL's default would prompt on a tty. */
	key = PEM_read_bio_PrivateKey(
	    bio, NULL, pass_cb, (void *)(uintptr_t)pass);
	if (key == NULL) {
		rc = encrypted ? PKI_E_PASSPHRASE : PKI_E_FORMAT;
		goto out;
	}
	*out = key;
out:
	BIO_free(bio);
	buf_wipe(&pem);
	return rc;
}

int
keystore_load(struct keystore *ks, const char *label, EVP_PKEY **out)
{
	if (ks == NULL || out == NULL)
		return PKI_E_INVAL;
	return key_load_with(ks, label, ks->pass, out);
}

int
keystore_exists(struct keystore *ks, const char *label)
{
	char path[PATH_MAX];
	struct stat st;

	if (ks == NULL || !keystore_label_ok(label))
		return 0;
	key_path(ks, label, path, sizeof(path));
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int
keystore_delete(struct keystore *ks, const char *label)
{
	char path[PATH_MAX];

	if (ks == NULL)
		return PKI_E_INVAL;
	if (!keystore_label_ok(label))
		return PKI_E_LABEL;
	key_path(ks, label, path, sizeof(path));
	if (unlink(path) != 0)
		return errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO;
	ks->generation++;
	return dir_sync(ks);
}

uint64_t
keystore_generation(const struct keystore *ks)
{
	return ks->generation;
}

static void
info_from_key(const EVP_PKEY *key, const char *label, struct keystore_info *i)
{
	memset(i, 0, sizeof(*i));
	snprintf(i->label, sizeof(i->label), "%s", label);
	if (EVP_PKEY_is_a(key, "RSA"))
		i->type = KEYSTORE_RSA;
	else if (EVP_PKEY_is_a(key, "EC"))
		i->type = KEYSTORE_EC;
	i->bits = (unsigned)EVP_PKEY_get_bits(key);
}

int
keystore_info_get(
    struct keystore *ks, const char *label, struct keystore_info *out)
{
	EVP_PKEY *key = NULL;
	int rc;

	if (ks == NULL || out == NULL)
		return PKI_E_INVAL;
	rc = keystore_load(ks, label, &key);
	if (rc != 0)
		return rc;
	info_from_key(key, label, out);
	EVP_PKEY_free(key);
	return 0;
}

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
labels_free(char **labels, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
}

/* The labels of all key files, sorted. */
static int
labels_scan(const struct keystore *ks, char ***out, size_t *nout)
{
	DIR *d = opendir(ks->dir);
	struct dirent *e;
	char **labels = NULL;
	size_t n = 0, cap = 0;
	const size_t sl = strlen(KEY_SUFFIX);

	if (d == NULL)
		return PKI_E_IO;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char label[KEYSTORE_LABEL_MAX + 1];

		if (len <= sl || len - sl > KEYSTORE_LABEL_MAX ||
		    strcmp(e->d_name + len - sl, KEY_SUFFIX) != 0)
			continue;
		memcpy(label, e->d_name, len - sl);
		label[len - sl] = '\0';
		if (!keystore_label_ok(label))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			labels = realloc(labels, cap * sizeof(*labels));
			if (labels == NULL)
				abort();
		}
		labels[n++] = xstrdup(label);
	}
	closedir(d);
	if (n > 0)
		qsort(labels, n, sizeof(*labels), label_cmp);
	*out = labels;
	*nout = n;
	return 0;
}

int
keystore_list(struct keystore *ks, struct keystore_info **out, size_t *nout)
{
	struct keystore_info *infos = NULL;
	char **labels = NULL;
	size_t n = 0, i;
	int rc;

	if (ks == NULL || out == NULL || nout == NULL)
		return PKI_E_INVAL;
	rc = labels_scan(ks, &labels, &n);
	if (rc != 0)
		return rc;
	infos = xcalloc(n ? n : 1, sizeof(*infos));
	for (i = 0; i < n; i++) {
		EVP_PKEY *key = NULL;

		if (keystore_load(ks, labels[i], &key) == 0) {
			info_from_key(key, labels[i], &infos[i]);
			EVP_PKEY_free(key);
		} else {
			snprintf(infos[i].label, sizeof(infos[i].label), "%s",
			    labels[i]);
			infos[i].type = KEYSTORE_UNKNOWN;
		}
	}
	labels_free(labels, n);
	*out = infos;
	*nout = n;
	return 0;
}

int
keystore_rekey(struct keystore *ks, const char *new_passphrase)
{
	const char *np = new_passphrase;
	char **labels = NULL, (*tmps)[PATH_MAX] = NULL;
	EVP_PKEY **keys = NULL;
	size_t n = 0, i, written = 0;
	int rc;

	if (ks == NULL)
		return PKI_E_INVAL;
	if (np != NULL && *np == '\0')
		np = NULL;
	rc = labels_scan(ks, &labels, &n);
	if (rc != 0)
		return rc;
	keys = xcalloc(n ? n : 1, sizeof(*keys));
	tmps = xcalloc(n ? n : 1, sizeof(*tmps));
	/* 1. every key must decrypt with the current passphrase */
	for (i = 0; i < n; i++) {
		rc = keystore_load(ks, labels[i], &keys[i]);
		if (rc != 0)
			goto out;
	}
	/* 2. write them all under temporary names */
	for (i = 0; i < n; i++) {
		struct buf pem = BUF_INIT;

		rc = key_encode(keys[i], np, &pem);
		if (rc == 0)
			rc = tmp_write(ks, labels[i], &pem, tmps[i], PATH_MAX);
		buf_wipe(&pem);
		if (rc != 0)
			goto out;
		written++;
	}
	/* 3. switch over */
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];

		key_path(ks, labels[i], path, sizeof(path));
		if (rename(tmps[i], path) != 0) {
			rc = PKI_E_IO;
			break;
		}
		tmps[i][0] = '\0';
	}
	if (dir_sync(ks) != 0 && rc == 0)
		rc = PKI_E_IO;
	if (rc == 0 || i > 0) {
		/* From the first rename on, files use the new passphrase. */
		secret_free(ks->pass);
		ks->pass = np != NULL ? xstrdup(np) : NULL;
	}
out:
	for (i = 0; i < written; i++)
		if (tmps[i][0] != '\0')
			unlink(tmps[i]);
	for (i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
	free(keys);
	free(tmps);
	labels_free(labels, n);
	return rc;
}

int
keystore_pubkey_encode(const EVP_PKEY *key, int format, struct buf *out)
{
	unsigned char *der = NULL;
	char *data = NULL;
	BIO *bio = NULL;
	long len;
	int n, rc = PKI_E_CRYPTO;

	if (key == NULL || out == NULL)
		return PKI_E_INVAL;
	if (format == KEYSTORE_DER) {
		n = i2d_PUBKEY(key, &der);
		if (n <= 0)
			return PKI_E_CRYPTO;
		buf_append(out, der, (size_t)n);
		OPENSSL_free(der);
		return 0;
	}
	if (format != KEYSTORE_PEM)
		return PKI_E_INVAL;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return PKI_E_NOMEM;
	if (!PEM_write_bio_PUBKEY(bio, key))
		goto out;
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0)
		goto out;
	buf_append(out, data, (size_t)len);
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

int
keystore_pubkey_export(
    struct keystore *ks, const char *label, int format, struct buf *out)
{
	EVP_PKEY *key = NULL;
	int rc;

	if (ks == NULL || out == NULL)
		return PKI_E_INVAL;
	rc = keystore_load(ks, label, &key);
	if (rc != 0)
		return rc;
	rc = keystore_pubkey_encode(key, format, out);
	EVP_PKEY_free(key);
	return rc;
}
