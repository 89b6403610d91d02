/*
 * libFuzzer target: type 6 decoder.  Input is "master\nvalue" (no newline:
 * empty master, whole input is the value).  The decoder must agree with
 * passwd6_is_wellformed(), and whatever decodes must re-encode with the
 * same salt, in one of the two NUL forms, to a string that decodes back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The salt is the first four triplets of the armour (spec 1.7). */
static void
salt_of(const char *enc, uint8_t salt[8])
{
	int i;

	for (i = 0; i < 4; i++) {
		const char *t = enc + 3 * i;
		unsigned v = (unsigned)(t[0] - 'A') * 41 * 41 +
		    (unsigned)(t[1] - 'A') * 41 + (unsigned)(t[2] - 'A');

		salt[2 * i] = (uint8_t)(v >> 8);
		salt[2 * i + 1] = (uint8_t)v;
	}
}

static void
check_decodes_to(
    const char *master, const char *enc, const char *value, const char *plain)
{
	char *dec = NULL;

	if (strncmp(enc, value, 12) != 0)
		abort();
	if (passwd6_decode(master, enc, &dec) != PASSWD_OK ||
	    strcmp(dec, plain) != 0)
		abort();
	passwd_free(dec);
}

static void
check_round_trip(const char *master, const char *value, const char *plain)
{
	uint8_t salt[8];
	char *a = NULL, *b = NULL, *again = NULL;
	int rc;

	salt_of(value, salt);
	if (passwd6_encode(master, plain, salt, &a) != PASSWD_OK)
		abort();
	check_decodes_to(master, a, value, plain);
	if (passwd6_encode(master, plain, salt, &again) != PASSWD_OK ||
	    strcmp(a, again) != 0)
		abort();
	rc = passwd6_encode_with_nul(master, plain, salt, &b);
	if (rc == PASSWD_E_TOOLONG && strlen(plain) == 4096) {
		b = NULL;
	} else if (rc != PASSWD_OK) {
		abort();
	} else {
		check_decodes_to(master, b, value, plain);
		/*
		 * Any other form carries two or more trailing NULs, so its
		 * armour cannot be shorter than the "with NUL" form.
		 */
		if (strcmp(value, a) != 0 && strcmp(value, b) != 0 &&
		    strlen(value) < strlen(b))
			abort();
	}
	free(a);
	free(b);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *master, *value, *nl, *plain = NULL;
	int rc, wf;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if ((nl = strchr(in, '\n')) != NULL) {
		*nl = '\0';
		master = in;
		value = nl + 1;
	} else {
		master = in + size; /* "" */
		value = in;
	}
	rc = passwd6_decode(master, value, &plain);
	wf = passwd6_is_wellformed(value);
	switch (rc) {
	case PASSWD_OK:
		if (!wf)
			abort();
		check_round_trip(master, value, plain);
		passwd_free(plain);
		break;
	case PASSWD_E_AUTH:
		if (!wf || plain != NULL)
			abort();
		break;
	case PASSWD_E_TOOLONG:
		if (wf || plain != NULL)
			abort();
		break;
	case PASSWD_E_FORMAT:
		/* Well-formed yet FORMAT only for an authentic inner NUL. */
	case PASSWD_E_NOMEM:
		if (plain != NULL)
			abort();
		break;
	default:
		abort();
	}
	free(in);
	return 0;
}
