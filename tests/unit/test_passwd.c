/*
 * Unit tests of src/fmt/passwd.c against the vectors of
 * shared/spec/pki-passwords.md sections 1 and 2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fmt/passwd.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Out-pointers must keep this value when a call fails. */
static char untouched[] = "untouched";

/* ------------------------------------------------------------------ */
/* Type 7 */

struct t7_vec {
	const char *enc;
	const char *plain;
};

static const struct t7_vec t7_published[] = {
    {"060506324F41", "cisco"},
    {"08204E", "ab"},
    {"1513090F", "abc"},
    {"104F0B1A011214", "abcdef"},
    {"062506324f41584b5643", "Cisco1234"},
    {"121A0C041104", "cisco"},
    {"1306181D000E0B2520", "cookbook"},
    {"06150E2F4A5C0817", "sanfran"},
    {"070033494705151C", "oreilly"},
    {"0212015803161825", "techpwd"},
    {"06120A22445E1E1D", "techpwd"},
};

/* The "password 1" strings of the seed documentation are type 7. */
static const struct t7_vec t7_seed[] = {
    {"0822455D0A16544541", "cisco123"},
    {"094F471A1A0A464058", "cisco123"},
    {"00071A1507545A545C", "cisco123"},
};

/* Published entries of the Cisco::Management all-offsets table. */
static const struct {
	unsigned offset;
	const char *enc;
} t7_cisco_offsets[] = {
    {0, "00071A150754"},
    {1, "01100F175804"},
    {8, "0822455D0A16"},
    {9, "094F471A1A0A"},
    {12, "121A0C041104"},
    {52, "52540D00050B"},
};

static unsigned
t7_offset(const char *enc)
{
	return (unsigned)(enc[0] - '0') * 10 + (unsigned)(enc[1] - '0');
}

static void
upcase(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static void
check_t7_decodes(const struct t7_vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *plain = untouched;

		assert_int_equal(passwd7_decode(v[i].enc, &plain), PASSWD_OK);
		assert_string_equal(plain, v[i].plain);
		passwd_free(plain);
	}
}

static void
passwd7_decodes_published_vectors(void **state)
{
	(void)state;
	check_t7_decodes(t7_published, NELEM(t7_published));
}

static void
passwd7_reencodes_published_vectors_in_upper_case(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(t7_published); i++) {
		char *enc = NULL, *want = strdup(t7_published[i].enc);

		assert_non_null(want);
		upcase(want);
		assert_int_equal(passwd7_encode(t7_published[i].plain,
		                     t7_offset(want), &enc),
		    PASSWD_OK);
		assert_string_equal(enc, want);
		free(enc);
		free(want);
	}
}

static void
passwd7_decodes_seed_password_1_strings_to_cisco123(void **state)
{
	(void)state;
	check_t7_decodes(t7_seed, NELEM(t7_seed));
}

static void
passwd7_decodes_all_53_offsets_of_cisco(void **state)
{
	size_t k = 0;

	(void)state;
	for (unsigned off = 0; off < 53; off++) {
		char *enc = NULL, *plain = NULL;

		assert_int_equal(passwd7_encode("cisco", off, &enc), PASSWD_OK);
		assert_int_equal(strlen(enc), 12);
		assert_int_equal(t7_offset(enc), off);
		if (k < NELEM(t7_cisco_offsets) &&
		    t7_cisco_offsets[k].offset == off)
			assert_string_equal(enc, t7_cisco_offsets[k++].enc);
		assert_int_equal(passwd7_decode(enc, &plain), PASSWD_OK);
		assert_string_equal(plain, "cisco");
		passwd_free(plain);
		free(enc);
	}
	assert_int_equal(k, NELEM(t7_cisco_offsets));
}

static void
passwd7_round_trips_every_byte_value_at_every_offset(void **state)
{
	char all[256];

	(void)state;
	for (int i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = '\0';
	for (unsigned off = 0; off < 53; off++) {
		char *enc = NULL, *plain = NULL;

		assert_int_equal(passwd7_encode(all, off, &enc), PASSWD_OK);
		assert_int_equal(strlen(enc), 2 + 2 * 255);
		assert_int_equal(passwd7_decode(enc, &plain), PASSWD_OK);
		assert_string_equal(plain, all);
		passwd_free(plain);
		free(enc);
	}
}

static void
passwd7_rejects_malformed_encodings(void **state)
{
	char toolong[2 + 2 * 256 + 1];
	static const struct {
		const char *enc;
		int rc;
	} bad[] = {
	    {"", PASSWD_E_FORMAT},
	    {"0", PASSWD_E_FORMAT},
	    {"06", PASSWD_E_FORMAT}, /* empty body */
	    {"060", PASSWD_E_FORMAT}, /* odd hex */
	    {"060506324F4", PASSWD_E_FORMAT}, /* odd hex */
	    {"06GG", PASSWD_E_FORMAT}, /* non-hex */
	    {"0605 6", PASSWD_E_FORMAT},
	    {"060506324F4G", PASSWD_E_FORMAT},
	    {"53AAAA", PASSWD_E_FORMAT}, /* offset 53 */
	    {"99AAAA", PASSWD_E_FORMAT},
	    {"A60506", PASSWD_E_FORMAT}, /* offset not decimal */
	    {"-1AAAA", PASSWD_E_FORMAT},
	    {" 60506324F41", PASSWD_E_FORMAT},
	    {"060506324F41\n", PASSWD_E_FORMAT},
	    {"060506324F41 ", PASSWD_E_FORMAT},
	    {"0x0506", PASSWD_E_FORMAT},
	    {"0064", PASSWD_E_FORMAT}, /* decodes to a NUL byte */
	    {"06076F", PASSWD_E_FORMAT}, /* "a" NUL */
	    {"06\303\251", PASSWD_E_FORMAT},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(bad); i++) {
		char *plain = untouched;

		assert_int_equal(passwd7_decode(bad[i].enc, &plain), bad[i].rc);
		assert_ptr_equal(plain, untouched);
	}
	memset(toolong, 'A', sizeof(toolong) - 1);
	toolong[0] = '0';
	toolong[1] = '0';
	toolong[sizeof(toolong) - 1] = '\0';
	{
		char *plain = untouched;

		assert_int_equal(
		    passwd7_decode(toolong, &plain), PASSWD_E_TOOLONG);
		assert_ptr_equal(plain, untouched);
		assert_int_equal(passwd7_decode(NULL, &plain), PASSWD_E_FORMAT);
		assert_ptr_equal(plain, untouched);
	}
}

static void
passwd7_encode_accepts_1_to_255_bytes_and_offsets_below_53(void **state)
{
	char plain[257], *enc = untouched, *dec = NULL;

	(void)state;
	memset(plain, 'x', sizeof(plain) - 1);
	plain[256] = '\0';
	assert_int_equal(passwd7_encode(plain, 0, &enc), PASSWD_E_TOOLONG);
	assert_ptr_equal(enc, untouched);
	assert_int_equal(passwd7_encode("", 0, &enc), PASSWD_E_FORMAT);
	assert_int_equal(passwd7_encode(NULL, 0, &enc), PASSWD_E_FORMAT);
	assert_int_equal(passwd7_encode("cisco", 53, &enc), PASSWD_E_FORMAT);
	assert_int_equal(passwd7_encode("cisco", 100, &enc), PASSWD_E_FORMAT);
	assert_int_equal(passwd7_encode("cisco", ~0u, &enc), PASSWD_E_FORMAT);
	assert_ptr_equal(enc, untouched);
	assert_int_equal(passwd7_encode_random(plain, &enc), PASSWD_E_TOOLONG);
	assert_ptr_equal(enc, untouched);

	plain[255] = '\0';
	assert_int_equal(passwd7_encode(plain, 52, &enc), PASSWD_OK);
	assert_int_equal(passwd7_decode(enc, &dec), PASSWD_OK);
	assert_string_equal(dec, plain);
	passwd_free(dec);
	free(enc);
	assert_int_equal(passwd7_encode("c", 7, &enc), PASSWD_OK);
	assert_string_equal(enc, "070C"); /* 'c' ^ key[7] 'o' */
	free(enc);
}

static void
passwd7_encode_random_uses_offsets_00_to_15_and_round_trips(void **state)
{
	int seen[16] = {0};

	(void)state;
	for (int i = 0; i < 400; i++) {
		char *enc = NULL, *plain = NULL;
		unsigned off;

		assert_int_equal(
		    passwd7_encode_random("Cisco123", &enc), PASSWD_OK);
		off = t7_offset(enc);
		assert_in_range(off, 0, 15);
		seen[off] = 1;
		assert_int_equal(passwd7_decode(enc, &plain), PASSWD_OK);
		assert_string_equal(plain, "Cisco123");
		passwd_free(plain);
		free(enc);
	}
	/* Missing one of 16 offsets in 400 draws has odds of about 1e-10. */
	for (int i = 0; i < 16; i++)
		assert_true(seen[i]);
}

/* ------------------------------------------------------------------ */
/* Type 6 */

/* Cisco's published vector, password encrypted with its NUL. */
#define T6_CISCO_MASTER "cisco123"
#define T6_CISCO_NUL "NdUI^_YP[VEPG[MT_bfTEFNZYFCYe\\R\\M"
#define T6_CISCO_NONUL "NdUI^_YP[VEPG[MT_bfTEFNZ^MUbJYAAB"

static const uint8_t salt_0_7[8] = {0, 1, 2, 3, 4, 5, 6, 7};

/* Spec 1.7 table (salt 00..07), escaped from the verbatim fence. */
static const struct t6_vec {
	const char *master;
	const char *plain;
	int with_nul;
	const char *enc;
} t6_local[] = {
    {"MasterKey1", "a", 0, "AABAMXAZEAf[N^J^b]YCW"},
    {"MasterKey1", "a", 1, "AABAMXAZEAf[N__DUECVVAAB"},
    {"MasterKey1", "Passw0rd", 0, "AABAMXAZEAf[QNDRiTG\\_\\YW[QMcS`AAB"},
    {"MasterKey1", "Passw0rd", 1, "AABAMXAZEAf[QNDRiTG\\_\\YWW]OUUR_MW"},
    {"MasterKey1", "xxxxxxxxxxxxxxxx", 0,
        "AABAMXAZEAf[KJWTCCFX\\^EUeFAVddTbYFi``aY[eFAAB"},
    {"MasterKey1", "xxxxxxxxxxxxxxxx", 1,
        "AABAMXAZEAf[KJWTCCFX\\^EUeFAVddTbYFi`AfgX^BDUZ"},
    {"MasterKey1", "xxxxxxxxxxxxxxxxx", 0,
        "AABAMXAZEAf[KJWTCCFX\\^EUeFAVddTbYFi`TIEHP[c^Z"},
    {"MasterKey1", "xxxxxxxxxxxxxxxxx", 1,
        "AABAMXAZEAf[KJWTCCFX\\^EUeFAVddTbYFi`TJh[PGbHhAAB"},
    {"cisco123", "", 0, "AABAMXAZEAf[HYOUJ[AAB"},
    {"cisco123", "", 1, "AABAMXAZEAf[GA[`dIeQM"},
};

/* Reads the salt back from the first four triplets of the armour. */
static void
t6_salt_of(const char *enc, uint8_t salt[8])
{
	for (int i = 0; i < 4; i++) {
		const char *t = enc + 3 * i;
		unsigned v = (unsigned)(t[0] - 'A') * 1681 +
		    (unsigned)(t[1] - 'A') * 41 + (unsigned)(t[2] - 'A');

		salt[2 * i] = (uint8_t)(v >> 8);
		salt[2 * i + 1] = (uint8_t)v;
	}
}

static void
put41(char *o, unsigned v)
{
	o[0] = (char)('A' + v / 1681);
	o[1] = (char)('A' + v / 41 % 41);
	o[2] = (char)('A' + v % 41);
}

/*
 * Independent sealer for plaintexts the API cannot express (NUL bytes
 * inside), built straight from spec 1.7 with OpenSSL one-shot calls.
 * out needs 3 * ((len + 12) / 2 + 1) + 1 bytes; len <= 64.
 */
static void
t6_seal_raw(const char *master, const uint8_t salt[8], const uint8_t *pt,
    size_t len, char *out)
{
	uint8_t km[16], in[32], keys[48], ctr[64] = {0}, ks[80];
	uint8_t blob[8 + 64 + 4], mac[20];
	unsigned int kmlen;
	size_t maclen, n = 8 + len + 4, i;
	int outl, fl;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	assert_true(len <= 64);
	assert_non_null(c);
	assert_int_equal(
	    EVP_Digest(master, strlen(master), km, &kmlen, EVP_md5(), NULL), 1);
	memset(in, 0, sizeof(in));
	memcpy(in, salt, 8);
	memcpy(in + 16, salt, 8);
	in[31] = 1;
	assert_int_equal(
	    EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, km, NULL), 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	assert_int_equal(EVP_EncryptUpdate(c, keys, &outl, in, 32), 1);
	assert_int_equal(EVP_EncryptInit_ex(c, NULL, NULL, keys + 16, NULL), 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	for (i = 0; i < 4; i++)
		ctr[16 * i + 3] = (uint8_t)i;
	assert_int_equal(EVP_EncryptUpdate(c, ks, &outl, ctr, 64), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, ks + outl, &fl), 1);
	EVP_CIPHER_CTX_free(c);
	memcpy(blob, salt, 8);
	for (i = 0; i < len; i++)
		blob[8 + i] = pt[i] ^ ks[i];
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, keys, 16,
	    blob + 8, len, mac, sizeof(mac), &maclen));
	memcpy(blob + 8 + len, mac, 4);
	for (i = 0; i + 1 < n; i += 2, out += 3)
		put41(out, (unsigned)blob[i] << 8 | blob[i + 1]);
	put41(out, n % 2 ? (unsigned)blob[n - 1] << 8 : 1u);
	out[3] = '\0';
}

static void
passwd6_decodes_cisco_published_vector_with_nul(void **state)
{
	char *plain = NULL;

	(void)state;
	assert_int_equal(strlen(T6_CISCO_NUL), 33);
	assert_non_null(strchr(T6_CISCO_NUL, '\\'));
	assert_int_equal(
	    passwd6_decode(T6_CISCO_MASTER, T6_CISCO_NUL, &plain), PASSWD_OK);
	assert_string_equal(plain, "password");
	passwd_free(plain);
	assert_int_equal(
	    passwd6_decode(T6_CISCO_MASTER, T6_CISCO_NONUL, &plain), PASSWD_OK);
	assert_string_equal(plain, "password");
	passwd_free(plain);
}

static void
passwd6_reencodes_cisco_vector_with_its_salt_in_both_forms(void **state)
{
	uint8_t salt[8];
	char *enc = NULL;

	(void)state;
	t6_salt_of(T6_CISCO_NUL, salt);
	assert_int_equal(
	    passwd6_encode_with_nul(T6_CISCO_MASTER, "password", salt, &enc),
	    PASSWD_OK);
	assert_string_equal(enc, T6_CISCO_NUL);
	free(enc);
	assert_int_equal(
	    passwd6_encode(T6_CISCO_MASTER, "password", salt, &enc), PASSWD_OK);
	assert_string_equal(enc, T6_CISCO_NONUL);
	free(enc);
}

static void
passwd6_local_salt_table_encodes_byte_identically(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(t6_local); i++) {
		const struct t6_vec *v = &t6_local[i];
		char *enc = NULL;

		assert_int_equal(v->with_nul
		        ? passwd6_encode_with_nul(
		              v->master, v->plain, salt_0_7, &enc)
		        : passwd6_encode(v->master, v->plain, salt_0_7, &enc),
		    PASSWD_OK);
		assert_string_equal(enc, v->enc);
		assert_memory_equal(enc, "AABAMXAZEAf[", 12);
		free(enc);
	}
}

static void
passwd6_local_salt_table_decodes_with_and_without_nul(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(t6_local); i++) {
		char *plain = NULL;

		assert_true(passwd6_is_wellformed(t6_local[i].enc));
		assert_int_equal(
		    passwd6_decode(t6_local[i].master, t6_local[i].enc, &plain),
		    PASSWD_OK);
		assert_string_equal(plain, t6_local[i].plain);
		passwd_free(plain);
	}
}

static void
passwd6_wrong_master_key_fails_authentication(void **state)
{
	static const char *wrong[] = {"", "wrongkey", "cisco12", "cisco1234",
	    "Cisco123", "MasterKey", "MasterKey1 "};

	(void)state;
	for (size_t k = 0; k < NELEM(wrong); k++) {
		char *plain = untouched;

		assert_int_equal(passwd6_decode(wrong[k], T6_CISCO_NUL, &plain),
		    PASSWD_E_AUTH);
		assert_int_equal(
		    passwd6_decode(wrong[k], T6_CISCO_NONUL, &plain),
		    PASSWD_E_AUTH);
		for (size_t i = 0; i < NELEM(t6_local); i++)
			if (strcmp(wrong[k], t6_local[i].master) != 0)
				assert_int_equal(passwd6_decode(wrong[k],
				                     t6_local[i].enc, &plain),
				    PASSWD_E_AUTH);
		assert_ptr_equal(plain, untouched);
	}
}

static void
passwd6_any_tampered_character_is_refused(void **state)
{
	char buf[sizeof(T6_CISCO_NUL)];

	(void)state;
	for (size_t i = 0; i < sizeof(buf) - 1; i++) {
		for (int c = 'A'; c <= 'i'; c++) {
			char *plain = untouched;
			int rc;

			memcpy(buf, T6_CISCO_NUL, sizeof(buf));
			if (buf[i] == c)
				continue;
			buf[i] = (char)c;
			rc = passwd6_decode(T6_CISCO_MASTER, buf, &plain);
			assert_true(
			    rc == PASSWD_E_AUTH || rc == PASSWD_E_FORMAT);
			assert_ptr_equal(plain, untouched);
		}
	}
}

static const struct {
	const char *enc;
	int rc;
} t6_malformed[] = {
    {"", PASSWD_E_FORMAT},
    {"AAAA", PASSWD_E_FORMAT}, /* length not a multiple of 3 */
    {"AAA", PASSWD_E_FORMAT}, /* too short */
    {"AA!", PASSWD_E_FORMAT}, /* outside the alphabet */
    {"iiiiiiiiiiiiiiiiiiiii", PASSWD_E_FORMAT}, /* iii x7 > 65535 */
    {"AABAMXAZEAf[AAB", PASSWD_E_FORMAT}, /* salt only */
    {"AABAMXAZEAf[HYOUJ[", PASSWD_E_FORMAT}, /* no terminator */
    {"AABAMXAZEAf[HYOUJ[AAC", PASSWD_E_FORMAT}, /* pair 0x0002 */
    {"AABAMXAZEAf[HYOUJ[AAj", PASSWD_E_FORMAT}, /* 'j' past 'i' */
    {"AABAMXAZEAf[HYOUJ[@AB", PASSWD_E_FORMAT}, /* '@' before 'A' */
    {"AABAMXAZEAf[HYOUJ[AAB\n", PASSWD_E_FORMAT},
    {" AABAMXAZEAf[HYOUJ[AAB", PASSWD_E_FORMAT},
    {"aabamxazeaf{hyouj{aab", PASSWD_E_FORMAT},
    {"AABAMXAZEAf[HYOUJ[\303\251A", PASSWD_E_FORMAT},
    {"NdUI^_YP[VEPG[MT_bfTEFNZYFCYe\\R\\", PASSWD_E_FORMAT},
};

static void
passwd6_rejects_malformed_strings(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(t6_malformed); i++) {
		char *plain = untouched;

		assert_int_equal(passwd6_decode(T6_CISCO_MASTER,
		                     t6_malformed[i].enc, &plain),
		    t6_malformed[i].rc);
		assert_ptr_equal(plain, untouched);
		assert_false(passwd6_is_wellformed(t6_malformed[i].enc));
	}
	{
		char *plain = untouched;

		assert_int_equal(passwd6_decode(T6_CISCO_MASTER, NULL, &plain),
		    PASSWD_E_FORMAT);
		assert_int_equal(passwd6_decode(NULL, T6_CISCO_NUL, &plain),
		    PASSWD_E_FORMAT);
		assert_ptr_equal(plain, untouched);
		assert_false(passwd6_is_wellformed(NULL));
	}
}

static void
passwd6_accepts_4096_ciphertext_bytes_and_refuses_more(void **state)
{
	/* The longest armour: 4096 ciphertext bytes, even blob. */
	size_t max = 3 * ((8 + 4096 + 4) / 2 + 1);
	char *big = malloc(max + 3 + 1), *plain = untouched;

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < max + 3; i += 3)
		memcpy(big + i, "AAB", 3);
	big[max] = '\0';
	assert_true(passwd6_is_wellformed(big));
	assert_int_equal(
	    passwd6_decode(T6_CISCO_MASTER, big, &plain), PASSWD_E_AUTH);
	/* Same length, odd terminator: 4097 ciphertext bytes. */
	memcpy(big + max - 3, "AAA", 3);
	assert_false(passwd6_is_wellformed(big));
	assert_int_equal(
	    passwd6_decode(T6_CISCO_MASTER, big, &plain), PASSWD_E_TOOLONG);
	memcpy(big + max - 3, "AABAAB", 6);
	big[max + 3] = '\0';
	assert_false(passwd6_is_wellformed(big));
	assert_int_equal(
	    passwd6_decode(T6_CISCO_MASTER, big, &plain), PASSWD_E_TOOLONG);
	assert_ptr_equal(plain, untouched);
	free(big);
}

static void
passwd6_is_wellformed_accepts_published_shapes(void **state)
{
	(void)state;
	assert_true(passwd6_is_wellformed(T6_CISCO_NUL));
	assert_true(passwd6_is_wellformed(T6_CISCO_NONUL));
	/* Shape only: the MAC is not checked. */
	assert_true(passwd6_is_wellformed("AAAAAAAAAAAA"
	                                  "AAAAAA"
	                                  "AAB"));
	assert_int_equal(passwd6_is_wellformed("AABAMXAZEAf[HYOUJ[AAB"), 1);
}

static void
passwd6_strips_trailing_nuls_and_refuses_inner_nuls(void **state)
{
	static const struct {
		const char *pt;
		size_t len;
		int rc;
		const char *plain;
	} cases[] = {
	    {"abc", 3, PASSWD_OK, "abc"},
	    {"abc\0", 4, PASSWD_OK, "abc"},
	    {"abc\0\0\0", 6, PASSWD_OK, "abc"},
	    {"\0\0", 2, PASSWD_OK, ""},
	    {"a\0c", 3, PASSWD_E_FORMAT, NULL},
	    {"\0abc", 4, PASSWD_E_FORMAT, NULL},
	    {"a\0c\0", 4, PASSWD_E_FORMAT, NULL},
	};
	char enc[3 * ((64 + 12) / 2 + 1) + 1];

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		char *plain = untouched;

		t6_seal_raw("MasterKey1", salt_0_7,
		    (const uint8_t *)cases[i].pt, cases[i].len, enc);
		assert_int_equal(
		    passwd6_decode("MasterKey1", enc, &plain), cases[i].rc);
		if (cases[i].plain == NULL) {
			assert_ptr_equal(plain, untouched);
			continue;
		}
		assert_string_equal(plain, cases[i].plain);
		passwd_free(plain);
	}
	/* The independent sealer agrees with the spec table. */
	t6_seal_raw(
	    "MasterKey1", salt_0_7, (const uint8_t *)"Passw0rd", 8, enc);
	assert_string_equal(enc, t6_local[2].enc);
}

static void
passwd6_round_trips_with_random_salts(void **state)
{
	static const size_t lens[] = {
	    0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 255, 4095, 4096};
	char *plain = malloc(4097);

	(void)state;
	assert_non_null(plain);
	for (size_t i = 0; i < NELEM(lens); i++) {
		for (size_t j = 0; j < lens[i]; j++)
			plain[j] = (char)(1 + (j * 37 + i) % 255);
		plain[lens[i]] = '\0';
		for (int nul = 0; nul < 2; nul++) {
			char *a = NULL, *b = NULL, *dec = NULL;
			int (*enc)(const char *, const char *, const uint8_t *,
			    char **) =
			    nul ? passwd6_encode_with_nul : passwd6_encode;

			if (nul && lens[i] == 4096) {
				assert_int_equal(
				    enc("k3y-Master", plain, NULL, &a),
				    PASSWD_E_TOOLONG);
				continue;
			}
			assert_int_equal(
			    enc("k3y-Master", plain, NULL, &a), PASSWD_OK);
			assert_int_equal(
			    enc("k3y-Master", plain, NULL, &b), PASSWD_OK);
			/* Fresh salts: 2^-64 odds of a false failure. */
			assert_memory_not_equal(a, b, 12);
			assert_int_equal(strlen(a),
			    3 * ((12 + lens[i] + (size_t)nul) / 2 + 1));
			assert_true(passwd6_is_wellformed(a));
			assert_int_equal(
			    passwd6_decode("k3y-Master", a, &dec), PASSWD_OK);
			assert_string_equal(dec, plain);
			passwd_free(dec);
			assert_int_equal(
			    passwd6_decode("k3y-Master", b, &dec), PASSWD_OK);
			assert_string_equal(dec, plain);
			passwd_free(dec);
			free(a);
			free(b);
		}
	}
	free(plain);
}

static void
passwd6_encode_refuses_over_4096_bytes_and_null_arguments(void **state)
{
	char *plain = malloc(4098), *enc = untouched;

	(void)state;
	assert_non_null(plain);
	memset(plain, 'p', 4097);
	plain[4097] = '\0';
	assert_int_equal(
	    passwd6_encode("m", plain, salt_0_7, &enc), PASSWD_E_TOOLONG);
	plain[4096] = '\0';
	assert_int_equal(passwd6_encode_with_nul("m", plain, salt_0_7, &enc),
	    PASSWD_E_TOOLONG);
	assert_int_equal(
	    passwd6_encode(NULL, "p", salt_0_7, &enc), PASSWD_E_FORMAT);
	assert_int_equal(
	    passwd6_encode("m", NULL, salt_0_7, &enc), PASSWD_E_FORMAT);
	assert_int_equal(
	    passwd6_encode_with_nul(NULL, "p", NULL, &enc), PASSWD_E_FORMAT);
	assert_ptr_equal(enc, untouched);
	free(plain);
}

/* ------------------------------------------------------------------ */
/* Type 5 */

struct hash_vec {
	const char *hash;
	const char *plain;
};

static const struct hash_vec t5_vectors[] = {
    {"$1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "cisco"},
    {"$1$4y6Q$bcGReJ3kGgmlpfr7/lT64.", "cisco"},
    {"$1$28772684$iEwNOgGugqO9.bIz5sk8k/", "hashcat"},
    /* `openssl passwd -1`: 16/17/40-byte passwords, 1-char salt, empty */
    {"$1$saltsalt$MzDjbImyzEz2m0NTiPzNW/", "a"},
    {"$1$saltsalt$xXjYoUe111lGDGm6AfLHb1", "0123456789abcdef"},
    {"$1$saltsalt$Tz7GELx6iQQ6ls/oXi2H3/", "0123456789abcdefg"},
    {"$1$saltsalt$9cUE7A1Kcpik8MS3CRoMT.",
        "this is a much longer password of 40 chr"},
    {"$1$saltsalt$8VsZPu1eQAlblnxnDt75o.", "p@ss w0rd"},
    {"$1$abcd$0qAkDAQ4C6CLBizS.dUjh0", "Cisco123"},
    {"$1$ABCD$sMn93H8FgyK8r2jWqCTAj.", "Cisco123"},
    {"$1$x$fwjfZtMwarkdetsjiQreU1", ""},
};

static void
passwd5_verifies_published_and_openssl_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(t5_vectors); i++)
		assert_int_equal(
		    passwd5_verify(t5_vectors[i].hash, t5_vectors[i].plain), 1);
}

static void
passwd5_reports_mismatch_for_wrong_passwords(void **state)
{
	static const char *wrong[] = {
	    "Cisco", "cisco ", "", "cisco\n", "hashcaT", "cisc", "password"};

	(void)state;
	for (size_t i = 0; i < NELEM(t5_vectors); i++)
		for (size_t k = 0; k < NELEM(wrong); k++)
			if (strcmp(wrong[k], t5_vectors[i].plain) != 0)
				assert_int_equal(
				    passwd5_verify(
				        t5_vectors[i].hash, wrong[k]),
				    0);
	/* Same salt, other hash: the ABCD vector under the abcd salt. */
	assert_int_equal(
	    passwd5_verify("$1$abcd$sMn93H8FgyK8r2jWqCTAj.", "Cisco123"), 0);
}

static void
passwd5_rejects_malformed_hashes(void **state)
{
	static const char *bad[] = {
	    "",
	    "$1$",
	    "$1$mERr",
	    "$1$mERr$",
	    "$1$mERr$hx5rVt7rPNoS4wqbXKX7m", /* 21 chars */
	    "$1$mERr$hx5rVt7rPNoS4wqbXKX7m00", /* 23 chars */
	    "$1$$hx5rVt7rPNoS4wqbXKX7m0", /* empty salt */
	    "$1$123456789$hx5rVt7rPNoS4wqbXKX7m0", /* 9-char salt */
	    "$2$mERr$hx5rVt7rPNoS4wqbXKX7m0",
	    "1$mERr$hx5rVt7rPNoS4wqbXKX7m0",
	    "$1$mE r$hx5rVt7rPNoS4wqbXKX7m0",
	    "$1$mERr$hx5rVt7rPNoS4wqbXKX7m!",
	    "$1$mERr$hx5rVt7rPNoS4wqbXKX7m0\n",
	    "$1$mERr$hx5rVt7rPNoS4wqbXK+7m0",
	    "$8$J5J/1K3e8gk974$HRezVpnMZOhOU2uxFTv.79S1U1PpMScizwXS3Z1Dx1s",
	};
	char *longpw = malloc(1026);

	(void)state;
	for (size_t i = 0; i < NELEM(bad); i++)
		assert_int_equal(
		    passwd5_verify(bad[i], "cisco"), PASSWD_E_FORMAT);
	assert_int_equal(passwd5_verify(NULL, "cisco"), PASSWD_E_FORMAT);
	assert_int_equal(
	    passwd5_verify(t5_vectors[0].hash, NULL), PASSWD_E_FORMAT);
	assert_non_null(longpw);
	memset(longpw, 'a', 1025);
	longpw[1025] = '\0';
	assert_int_equal(
	    passwd5_verify(t5_vectors[0].hash, longpw), PASSWD_E_TOOLONG);
	free(longpw);
}

/* ------------------------------------------------------------------ */
/* Types 8 and 9 */

static const struct hash_vec t8_vectors[] = {
    {"$8$J5J/1K3e8gk974$HRezVpnMZOhOU2uxFTv.79S1U1PpMScizwXS3Z1Dx1s",
        "cisco123"},
    {"$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk",
        "hashcat"},
};

static const struct hash_vec t9_vectors[] = {
    {"$9$ihSswXDbk0kaVK$o.uyR2nMrWtjMkrQwBXUR5lVuVt/KzG23rmYvshODXI",
        "cisco123"},
    {"$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6",
        "hashcat"},
};

typedef int (*verify_fn)(const char *, const char *);
typedef int (*hash_fn)(const char *, const char *, char **);

static void
check_h89_vectors(
    const struct hash_vec *v, size_t n, verify_fn verify, hash_fn hash)
{
	for (size_t i = 0; i < n; i++) {
		char salt[15], *h = NULL;

		assert_int_equal(verify(v[i].hash, v[i].plain), 1);
		assert_int_equal(verify(v[i].hash, "Cisco123"), 0);
		assert_int_equal(verify(v[i].hash, ""), 0);
		memcpy(salt, v[i].hash + 3, 14);
		salt[14] = '\0';
		assert_int_equal(hash(v[i].plain, salt, &h), PASSWD_OK);
		assert_string_equal(h, v[i].hash);
		free(h);
	}
}

static void
check_h89_random_salts(char type, verify_fn verify, hash_fn hash)
{
	static const char alpha[] = "./0123456789"
	                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "abcdefghijklmnopqrstuvwxyz";
	char *a = NULL, *b = NULL;

	assert_int_equal(hash("Rand0mPw", NULL, &a), PASSWD_OK);
	assert_int_equal(hash("Rand0mPw", NULL, &b), PASSWD_OK);
	assert_int_equal(strlen(a), 3 + 14 + 1 + 43);
	assert_true(a[0] == '$' && a[1] == type && a[2] == '$' && a[17] == '$');
	assert_int_equal(strspn(a + 3, alpha), 14);
	assert_int_equal(strspn(a + 18, alpha), 43);
	assert_memory_not_equal(a + 3, b + 3, 14);
	assert_int_equal(verify(a, "Rand0mPw"), 1);
	assert_int_equal(verify(b, "Rand0mPw"), 1);
	assert_int_equal(verify(a, "Rand0mPW"), 0);
	free(a);
	free(b);
}

static void
check_h89_malformed(char type, const char *good, verify_fn verify, hash_fn hash)
{
	static const char *bad_salts[] = {"", "J5J/1K3e8gk97",
	    "J5J/1K3e8gk9745", "J5J/1K3e8g$974", "J5J/1K3e8g 974",
	    "J5J/1K3e8g\t974", "J5J/1K3e8g\303\25174"};
	char buf[80], *h = untouched;
	size_t len = strlen(good);

	assert_int_equal(verify(NULL, "x"), PASSWD_E_FORMAT);
	assert_int_equal(verify(good, NULL), PASSWD_E_FORMAT);
	assert_int_equal(verify("", "x"), PASSWD_E_FORMAT);
	/* Every truncation of a good hash is malformed. */
	for (size_t n = 0; n < len; n++) {
		memcpy(buf, good, n);
		buf[n] = '\0';
		assert_int_equal(verify(buf, "x"), PASSWD_E_FORMAT);
	}
	snprintf(buf, sizeof(buf), "%sA", good);
	assert_int_equal(verify(buf, "x"), PASSWD_E_FORMAT);
	memcpy(buf, good, len + 1);
	buf[1] = type == '8' ? '9' : '8';
	assert_int_equal(verify(buf, "x"), PASSWD_E_FORMAT);
	memcpy(buf, good, len + 1);
	buf[30] = '+'; /* RFC 4648 character, not in the Cisco alphabet */
	assert_int_equal(verify(buf, "x"), PASSWD_E_FORMAT);
	memcpy(buf, good, len + 1);
	buf[10] = '$';
	assert_int_equal(verify(buf, "x"), PASSWD_E_FORMAT);
	for (size_t i = 0; i < NELEM(bad_salts); i++)
		assert_int_equal(hash("x", bad_salts[i], &h), PASSWD_E_FORMAT);
	assert_int_equal(hash(NULL, NULL, &h), PASSWD_E_FORMAT);
	assert_ptr_equal(h, untouched);
}

static void
passwd8_verifies_and_reproduces_published_vectors(void **state)
{
	(void)state;
	check_h89_vectors(
	    t8_vectors, NELEM(t8_vectors), passwd8_verify, passwd8_hash);
}

static void
passwd8_hashes_with_random_14_char_salts(void **state)
{
	(void)state;
	check_h89_random_salts('8', passwd8_verify, passwd8_hash);
}

static void
passwd8_rejects_malformed_hashes_and_salts(void **state)
{
	(void)state;
	check_h89_malformed(
	    '8', t8_vectors[0].hash, passwd8_verify, passwd8_hash);
}

static void
passwd9_verifies_and_reproduces_published_vectors(void **state)
{
	(void)state;
	check_h89_vectors(
	    t9_vectors, NELEM(t9_vectors), passwd9_verify, passwd9_hash);
}

static void
passwd9_hashes_with_random_14_char_salts(void **state)
{
	(void)state;
	check_h89_random_salts('9', passwd9_verify, passwd9_hash);
}

static void
passwd9_rejects_malformed_hashes_and_salts(void **state)
{
	(void)state;
	check_h89_malformed(
	    '9', t9_vectors[0].hash, passwd9_verify, passwd9_hash);
}

/* ------------------------------------------------------------------ */
/* Policy */

static const struct {
	const char *pw;
	int ok;
} policy_cases[] = {
    {"Abc123", 1}, /* 6: lower bound */
    {"Abc12", 0}, /* 5 */
    {"Abcdefghijk1234", 1}, /* 15: upper bound */
    {"Abcdefghijk12345", 0}, /* 16 */
    {"aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3", 0},
    {"1aB", 0},
    {"Z9zZ9z", 1},
    {"9zzzzZ", 1},
    {"zzzzzZ9", 1},
    {"abcdef1", 0}, /* no upper case */
    {"ABCDEF1", 0}, /* no lower case */
    {"Abcdefg", 0}, /* no digit */
    {"123456", 0},
    {"abcdef", 0},
    {"ABCDEF", 0},
    {"Abc 123", 0}, /* space */
    {" Abc123", 0},
    {"Abc123 ", 0},
    {"Abc_123", 0}, /* underscore */
    {"Abc-123", 0}, /* hyphen */
    {"Abc!123", 0},
    {"Abc@123", 0},
    {"Abc#123", 0},
    {"Abc$123", 0},
    {"Abc.123", 0},
    {"Abc,123", 0},
    {"Abc/123", 0},
    {"Abc\\123", 0},
    {"Abc\"123", 0},
    {"Abc'123", 0},
    {"Abc`123", 0},
    {"Abc~123", 0},
    {"Abc[123", 0},
    {"Abc{123", 0},
    {"Abc:123", 0},
    {"Abc123=", 0},
    {"Abc123?", 0},
    {"Abc123+", 0},
    {"Abc\303\251123", 0}, /* U+00E9 */
    {"\303\204bc1234", 0}, /* U+00C4 */
    {"Abc123\357\274\241", 0}, /* fullwidth A */
    {"Abc\331\24312", 0}, /* Arabic-Indic digit */
    {"Abc\377123", 0},
    {"Abc123\t", 0}, /* control characters */
    {"Abc123\n", 0}, /* the regex '$' trap */
    {"\nAbc123", 0},
    {"Abc\r123", 0},
    {"\001Abc123", 0},
    {"Abc\177123", 0},
    {"Abc\033123", 0},
    {"", 0},
};

static void
passwd_policy_checks_every_bound_and_character_class(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(policy_cases); i++)
		if (passwd_policy_ok(policy_cases[i].pw) != policy_cases[i].ok)
			fail_msg("policy case %zu \"%s\": want %d", i,
			    policy_cases[i].pw, policy_cases[i].ok);
	assert_int_equal(passwd_policy_ok(NULL), 0);
}

static void
passwd_policy_error_is_the_chapter_text(void **state)
{
	(void)state;
	assert_string_equal(PASSWD_POLICY_ERROR,
	    "Error: The password you have entered is incorrect.\n"
	    "Your password must contain:\n"
	    "1. A minimum of 6 and a maximum of 15 alphanumeric characters, "
	    "excluding symbols and special characters.\n"
	    "2. A minimum of one numeral, one uppercase alphabet, and one "
	    "lowercase alphabet.\n");
}

static void
passwd_ata_ivr_requires_exactly_four_digits(void **state)
{
	static const struct {
		const char *pw;
		int ok;
	} cases[] = {
	    {"1234", 1},
	    {"0000", 1},
	    {"9999", 1},
	    {"123", 0},
	    {"12345", 0},
	    {"", 0},
	    {"12a4", 0},
	    {"abcd", 0},
	    {" 1234", 0},
	    {"1234 ", 0},
	    {"1234\n", 0},
	    {"12 4", 0},
	    {"-123", 0},
	    {"+123", 0},
	    {"1.23", 0},
	    {"\331\241\331\242\331\243\331\244", 0}, /* Arabic-Indic 1234 */
	    {"\357\274\221\357\274\222\357\274\223\357\274\224", 0},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++)
		if (passwd_ata_ivr_ok(cases[i].pw) != cases[i].ok)
			fail_msg("ata-ivr case %zu \"%s\": want %d", i,
			    cases[i].pw, cases[i].ok);
	assert_int_equal(passwd_ata_ivr_ok(NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Misc */

static void
passwd_err_str_names_every_code(void **state)
{
	static const int codes[] = {PASSWD_OK, PASSWD_E_FORMAT, PASSWD_E_AUTH,
	    PASSWD_E_TOOLONG, PASSWD_E_NOMEM, PASSWD_E_CRYPTO};
	const char *unknown = passwd_err_str(-99);

	(void)state;
	assert_non_null(unknown);
	assert_string_equal(passwd_err_str(1), unknown);
	for (size_t i = 0; i < NELEM(codes); i++) {
		assert_non_null(passwd_err_str(codes[i]));
		assert_string_not_equal(passwd_err_str(codes[i]), unknown);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(
			    passwd_err_str(codes[i]), passwd_err_str(codes[j]));
	}
}

static void
passwd_free_accepts_null_and_heap_secrets(void **state)
{
	char *s = strdup("secret");

	(void)state;
	passwd_free(NULL);
	assert_non_null(s);
	passwd_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(passwd7_decodes_published_vectors),
	    cmocka_unit_test(passwd7_reencodes_published_vectors_in_upper_case),
	    cmocka_unit_test(
	        passwd7_decodes_seed_password_1_strings_to_cisco123),
	    cmocka_unit_test(passwd7_decodes_all_53_offsets_of_cisco),
	    cmocka_unit_test(
	        passwd7_round_trips_every_byte_value_at_every_offset),
	    cmocka_unit_test(passwd7_rejects_malformed_encodings),
	    cmocka_unit_test(
	        passwd7_encode_accepts_1_to_255_bytes_and_offsets_below_53),
	    cmocka_unit_test(
	        passwd7_encode_random_uses_offsets_00_to_15_and_round_trips),
	    cmocka_unit_test(passwd6_decodes_cisco_published_vector_with_nul),
	    cmocka_unit_test(
	        passwd6_reencodes_cisco_vector_with_its_salt_in_both_forms),
	    cmocka_unit_test(passwd6_local_salt_table_encodes_byte_identically),
	    cmocka_unit_test(
	        passwd6_local_salt_table_decodes_with_and_without_nul),
	    cmocka_unit_test(passwd6_wrong_master_key_fails_authentication),
	    cmocka_unit_test(passwd6_any_tampered_character_is_refused),
	    cmocka_unit_test(passwd6_rejects_malformed_strings),
	    cmocka_unit_test(
	        passwd6_accepts_4096_ciphertext_bytes_and_refuses_more),
	    cmocka_unit_test(passwd6_is_wellformed_accepts_published_shapes),
	    cmocka_unit_test(
	        passwd6_strips_trailing_nuls_and_refuses_inner_nuls),
	    cmocka_unit_test(passwd6_round_trips_with_random_salts),
	    cmocka_unit_test(
	        passwd6_encode_refuses_over_4096_bytes_and_null_arguments),
	    cmocka_unit_test(passwd5_verifies_published_and_openssl_vectors),
	    cmocka_unit_test(passwd5_reports_mismatch_for_wrong_passwords),
	    cmocka_unit_test(passwd5_rejects_malformed_hashes),
	    cmocka_unit_test(passwd8_verifies_and_reproduces_published_vectors),
	    cmocka_unit_test(passwd8_hashes_with_random_14_char_salts),
	    cmocka_unit_test(passwd8_rejects_malformed_hashes_and_salts),
	    cmocka_unit_test(passwd9_verifies_and_reproduces_published_vectors),
	    cmocka_unit_test(passwd9_hashes_with_random_14_char_salts),
	    cmocka_unit_test(passwd9_rejects_malformed_hashes_and_salts),
	    cmocka_unit_test(
	        passwd_policy_checks_every_bound_and_character_class),
	    cmocka_unit_test(passwd_policy_error_is_the_chapter_text),
	    cmocka_unit_test(passwd_ata_ivr_requires_exactly_four_digits),
	    cmocka_unit_test(passwd_err_str_names_every_code),
	    cmocka_unit_test(passwd_free_accepts_null_and_heap_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
