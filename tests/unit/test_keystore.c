/*
 * Unit tests of src/pki/keystore.c: labels, EC and RSA generation, file
 * mode and format, passphrase protection, re-encryption after a master
 * key change, listing and public key export.  Mostly EC keys: RSA key
 * generation is slow, only one 1024-bit RSA key is made.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/keystore.h"
#include "store/store.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct fx {
	char dir[64]; /* the temporary directory */
	char keys[96]; /* dir/keys: the keystore */
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/opencme-keys-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct keystore *
ks_open(const struct fx *f, const char *pass)
{
	struct keystore *ks = NULL;

	assert_int_equal(keystore_open(f->keys, pass, &ks), 0);
	assert_non_null(ks);
	return ks;
}

static char *
slurp(const struct fx *f, const char *label)
{
	char path[256], *data = calloc(1, 65536);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.pem", f->keys, label);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_true(fread(data, 1, 65535, fp) > 0);
	fclose(fp);
	return data;
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Only NAME.pem files are left: no temporary files. */
static void
assert_no_temp_files(const struct fx *f)
{
	DIR *d = opendir(f->keys);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_name[0] == '.')
			fail_msg("temporary file left: %s", e->d_name);
	}
	closedir(d);
}

/* ------------------------------------------------------------------ */

static void
keystore_labels_allow_letters_digits_dot_underscore_dash(void **state)
{
	static const struct {
		const char *label;
		int ok;
	} v[] = {
	    {"CA", 1},
	    {"cme-srst.tp_1", 1},
	    {"a", 1},
	    {"0123456789012345678901234567890123456789012345678901234567890123",
	        1},
	    {"01234567890123456789012345678901234567890123456789012345678901234",
	        0},
	    {"", 0},
	    {".", 0},
	    {"..", 0},
	    {".hidden", 0},
	    {"../etc/passwd", 0},
	    {"a/b", 0},
	    {"a b", 0},
	    {"a\\b", 0},
	    {"caf\xc3\xa9", 0},
	    {"x\n", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(v); i++)
		if (keystore_label_ok(v[i].label) != v[i].ok)
			fail_msg(
			    "label \"%s\": expected %d", v[i].label, v[i].ok);
	assert_int_equal(keystore_label_ok(NULL), 0);
}

static void
keystore_refuses_path_traversal_everywhere(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, NULL);
	EVP_PKEY *k = (EVP_PKEY *)0x1;
	char outside[128];

	assert_int_equal(
	    keystore_generate(ks, "../evil", KEYSTORE_EC, 256, 0, NULL),
	    PKI_E_LABEL);
	assert_int_equal(keystore_load(ks, "../keys/x", &k), PKI_E_LABEL);
	assert_ptr_equal(k, (EVP_PKEY *)0x1);
	assert_int_equal(keystore_delete(ks, "../x"), PKI_E_LABEL);
	assert_int_equal(keystore_exists(ks, "../keys"), 0);
	snprintf(outside, sizeof(outside), "%s/evil.pem", f->dir);
	assert_int_not_equal(access(outside, F_OK), 0);
	keystore_free(ks);
}

static void
keystore_creates_its_directory_with_mode_0700(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, NULL);

	assert_int_equal(file_mode(f->keys), 0700);
	keystore_free(ks);
	keystore_free(NULL);
}

static void
keystore_generates_ec_keys_in_plain_pkcs8_files_of_mode_0600(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, NULL);
	struct keystore_info info;
	EVP_PKEY *gen = NULL, *loaded = NULL;
	char path[256], *pem;

	assert_int_equal(
	    keystore_generate(ks, "ec256", KEYSTORE_EC, 256, 0, &gen), 0);
	assert_non_null(gen);
	assert_int_equal(
	    keystore_generate(ks, "ec384", KEYSTORE_EC, 384, 0, NULL), 0);
	assert_int_equal(
	    keystore_generate(ks, "ec521", KEYSTORE_EC, 521, 0, NULL),
	    PKI_E_KEYSIZE);

	snprintf(path, sizeof(path), "%s/ec256.pem", f->keys);
	assert_int_equal(file_mode(path), 0600);
	pem = slurp(f, "ec256");
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	assert_null(strstr(pem, "ENCRYPTED"));
	free(pem);

	assert_int_equal(keystore_exists(ks, "ec256"), 1);
	assert_int_equal(keystore_exists(ks, "nope"), 0);
	assert_int_equal(keystore_load(ks, "ec256", &loaded), 0);
	assert_int_equal(EVP_PKEY_eq(gen, loaded), 1);
	assert_int_equal(keystore_info_get(ks, "ec384", &info), 0);
	assert_int_equal(info.type, KEYSTORE_EC);
	assert_int_equal(info.bits, 384);
	assert_string_equal(info.label, "ec384");
	assert_no_temp_files(f);
	EVP_PKEY_free(gen);
	EVP_PKEY_free(loaded);
	keystore_free(ks);
}

static void
keystore_generates_rsa_within_bounds(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, NULL);
	struct keystore_info info;
	EVP_PKEY *k = NULL;

	assert_int_equal(
	    keystore_generate(ks, "r", KEYSTORE_RSA, 359, 0, &k), PKI_E_INVAL);
	assert_int_equal(
	    keystore_generate(ks, "r", KEYSTORE_RSA, 4097, 0, &k), PKI_E_INVAL);
	/* IOS accepts 360, OpenSSL 3 generates nothing under 512. */
	assert_int_equal(keystore_generate(ks, "r", KEYSTORE_RSA, 360, 0, &k),
	    PKI_E_KEYSIZE);
	assert_int_equal(
	    keystore_generate(ks, "r", 99, 1024, 0, &k), PKI_E_INVAL);
	assert_null(k);
	assert_int_equal(keystore_exists(ks, "r"), 0);

	assert_int_equal(
	    keystore_generate(ks, "r", KEYSTORE_RSA, 1024, 0, &k), 0);
	assert_true(EVP_PKEY_is_a(k, "RSA"));
	assert_int_equal(keystore_info_get(ks, "r", &info), 0);
	assert_int_equal(info.type, KEYSTORE_RSA);
	assert_int_equal(info.bits, 1024);
	EVP_PKEY_free(k);
	keystore_free(ks);
}

static void
keystore_refuses_to_overwrite_unless_asked(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, NULL);
	EVP_PKEY *a = NULL, *b = NULL, *now = NULL;

	assert_int_equal(
	    keystore_generate(ks, "k", KEYSTORE_EC, 256, 0, &a), 0);
	assert_int_equal(
	    keystore_generate(ks, "k", KEYSTORE_EC, 256, 0, &b), PKI_E_EXISTS);
	assert_null(b);
	assert_int_equal(keystore_put(ks, "k", a, 0), PKI_E_EXISTS);
	assert_int_equal(
	    keystore_generate(ks, "k", KEYSTORE_EC, 256, 1, &b), 0);
	assert_int_equal(keystore_load(ks, "k", &now), 0);
	assert_int_equal(EVP_PKEY_eq(now, b), 1);
	assert_int_not_equal(EVP_PKEY_eq(now, a), 1);
	assert_no_temp_files(f);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(now);
	keystore_free(ks);
}

static void
keystore_encrypted_keys_need_the_passphrase(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, "Master-Key-1");
	struct keystore *plain, *wrong;
	EVP_PKEY *gen = NULL, *k = (EVP_PKEY *)0x1;
	char path[256], *pem;

	assert_int_equal(
	    keystore_generate(ks, "secret", KEYSTORE_EC, 256, 0, &gen), 0);
	snprintf(path, sizeof(path), "%s/secret.pem", f->keys);
	assert_int_equal(file_mode(path), 0600);
	pem = slurp(f, "secret");
	assert_non_null(strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	free(pem);

	plain = ks_open(f, NULL);
	assert_int_equal(keystore_load(plain, "secret", &k), PKI_E_PASSPHRASE);
	assert_ptr_equal(k, (EVP_PKEY *)0x1);
	wrong = ks_open(f, "Master-Key-2");
	assert_int_equal(keystore_load(wrong, "secret", &k), PKI_E_PASSPHRASE);
	assert_ptr_equal(k, (EVP_PKEY *)0x1);

	k = NULL;
	assert_int_equal(keystore_load(ks, "secret", &k), 0);
	assert_int_equal(EVP_PKEY_eq(k, gen), 1);
	EVP_PKEY_free(k);
	EVP_PKEY_free(gen);
	keystore_free(plain);
	keystore_free(wrong);
	keystore_free(ks);
}

static void
keystore_rekey_reencrypts_every_key_for_a_new_master_key(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, "old-master");
	struct keystore *old, *nu;
	EVP_PKEY *a = NULL, *b = NULL, *k = NULL;
	char path[256], *pem;

	assert_int_equal(
	    keystore_generate(ks, "a", KEYSTORE_EC, 256, 0, &a), 0);
	assert_int_equal(
	    keystore_generate(ks, "b", KEYSTORE_EC, 384, 0, &b), 0);
	assert_int_equal(keystore_rekey(ks, "new-master"), 0);
	assert_no_temp_files(f);

	old = ks_open(f, "old-master");
	assert_int_equal(keystore_load(old, "a", &k), PKI_E_PASSPHRASE);
	nu = ks_open(f, "new-master");
	assert_int_equal(keystore_load(nu, "b", &k), 0);
	assert_int_equal(EVP_PKEY_eq(k, b), 1);
	EVP_PKEY_free(k);
	k = NULL;
	/* The keystore itself now uses the new passphrase. */
	assert_int_equal(keystore_load(ks, "a", &k), 0);
	assert_int_equal(EVP_PKEY_eq(k, a), 1);
	EVP_PKEY_free(k);
	k = NULL;
	snprintf(path, sizeof(path), "%s/b.pem", f->keys);
	assert_int_equal(file_mode(path), 0600);

	/* A keystore with the wrong current passphrase changes nothing. */
	assert_int_equal(keystore_rekey(old, "third"), PKI_E_PASSPHRASE);
	assert_int_equal(keystore_load(nu, "a", &k), 0);
	EVP_PKEY_free(k);
	k = NULL;
	assert_no_temp_files(f);

	/* Removing the master key stores plain PEM again. */
	assert_int_equal(keystore_rekey(ks, NULL), 0);
	pem = slurp(f, "a");
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	free(pem);
	keystore_free(old);
	old = ks_open(f, NULL);
	assert_int_equal(keystore_load(old, "b", &k), 0);
	EVP_PKEY_free(k);

	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	keystore_free(old);
	keystore_free(nu);
	keystore_free(ks);
}

static void
keystore_lists_sorted_and_marks_unreadable_files(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, NULL);
	struct keystore_info *list = NULL;
	size_t n = 0;
	char path[256];
	FILE *fp;

	assert_int_equal(keystore_list(ks, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);

	assert_int_equal(
	    keystore_generate(ks, "zz", KEYSTORE_EC, 256, 0, NULL), 0);
	assert_int_equal(
	    keystore_generate(ks, "AA", KEYSTORE_EC, 384, 0, NULL), 0);
	snprintf(path, sizeof(path), "%s/junk.pem", f->keys);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("not a key\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/notes.txt", f->keys);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);

	assert_int_equal(keystore_list(ks, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].label, "AA");
	assert_int_equal(list[0].type, KEYSTORE_EC);
	assert_int_equal(list[0].bits, 384);
	assert_string_equal(list[1].label, "junk");
	assert_int_equal(list[1].type, KEYSTORE_UNKNOWN);
	assert_string_equal(list[2].label, "zz");
	assert_int_equal(list[2].bits, 256);
	free(list);
	keystore_free(ks);
}

static void
keystore_deletes_keys(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, NULL);

	assert_int_equal(
	    keystore_generate(ks, "d", KEYSTORE_EC, 256, 0, NULL), 0);
	assert_int_equal(keystore_delete(ks, "d"), 0);
	assert_int_equal(keystore_exists(ks, "d"), 0);
	assert_int_equal(keystore_delete(ks, "d"), PKI_E_NOTFOUND);
	keystore_free(ks);
}

static void
keystore_exports_the_public_key_as_pem_and_der(void **state)
{
	struct fx *f = *state;
	struct keystore *ks = ks_open(f, NULL);
	struct buf pem = BUF_INIT, der = BUF_INIT;
	EVP_PKEY *k = NULL, *pub = NULL;
	const unsigned char *p;

	assert_int_equal(
	    keystore_generate(ks, "p", KEYSTORE_EC, 256, 0, &k), 0);
	assert_int_equal(
	    keystore_pubkey_export(ks, "p", KEYSTORE_PEM, &pem), 0);
	assert_non_null(strstr(buf_str(&pem), "-----BEGIN PUBLIC KEY-----"));
	assert_null(strstr(buf_str(&pem), "PRIVATE"));
	assert_int_equal(
	    keystore_pubkey_export(ks, "p", KEYSTORE_DER, &der), 0);
	p = (const unsigned char *)der.data;
	pub = d2i_PUBKEY(NULL, &p, (long)der.len);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(pub, k), 1);
	assert_int_equal(keystore_pubkey_export(ks, "none", KEYSTORE_DER, &der),
	    PKI_E_NOTFOUND);
	assert_int_equal(keystore_pubkey_encode(k, 7, &der), PKI_E_INVAL);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
	buf_free(&pem);
	buf_free(&der);
	keystore_free(ks);
}

static void
keystore_open_refuses_bad_arguments(void **state)
{
	struct keystore *ks = (struct keystore *)0x1;

	(void)state;
	assert_int_equal(keystore_open(NULL, NULL, &ks), PKI_E_INVAL);
	assert_int_equal(keystore_open("", NULL, &ks), PKI_E_INVAL);
	assert_int_equal(
	    keystore_open("/nonexistent-dir/a/b", NULL, &ks), PKI_E_IO);
	assert_ptr_equal(ks, (struct keystore *)0x1);
}

static void
pki_err_str_names_pki_and_store_codes(void **state)
{
	int e;

	(void)state;
	assert_string_equal(pki_err_str(0), "success");
	for (e = PKI_E_INVAL; e >= PKI_E_FORMAT; e--)
		assert_string_not_equal(pki_err_str(e), "unknown error");
	assert_string_equal(
	    pki_err_str(STORE_E_BUSY), store_err_str(STORE_E_BUSY));
	assert_string_equal(pki_err_str(-50), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        keystore_labels_allow_letters_digits_dot_underscore_dash),
	    cmocka_unit_test_setup_teardown(
	        keystore_refuses_path_traversal_everywhere, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_creates_its_directory_with_mode_0700, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_generates_ec_keys_in_plain_pkcs8_files_of_mode_0600,
	        fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_generates_rsa_within_bounds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_refuses_to_overwrite_unless_asked, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_encrypted_keys_need_the_passphrase, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_rekey_reencrypts_every_key_for_a_new_master_key,
	        fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_lists_sorted_and_marks_unreadable_files, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_deletes_keys, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        keystore_exports_the_public_key_as_pem_and_der, fx_setup,
	        fx_teardown),
	    cmocka_unit_test(keystore_open_refuses_bad_arguments),
	    cmocka_unit_test(pki_err_str_names_pki_and_store_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
