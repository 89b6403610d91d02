/*
 * libFuzzer target: type 7 decoder.  Whatever decodes must re-encode, at
 * the same offset, to the input with its hex in upper case.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const char *in, const char *plain)
{
	unsigned off = (unsigned)(in[0] - '0') * 10 + (unsigned)(in[1] - '0');
	char *enc = NULL;
	size_t i;

	if (passwd7_encode(plain, off, &enc) != PASSWD_OK)
		abort();
	if (strlen(enc) != strlen(in))
		abort();
	for (i = 0; in[i] != '\0'; i++) {
		char c = in[i];

		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (enc[i] != c)
			abort();
	}
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *plain = NULL;
	int rc;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	rc = passwd7_decode(in, &plain);
	if (rc == PASSWD_OK) {
		check_round_trip(in, plain);
		passwd_free(plain);
	} else if (rc != PASSWD_E_FORMAT && rc != PASSWD_E_TOOLONG &&
	    rc != PASSWD_E_NOMEM) {
		abort();
	} else if (plain != NULL) {
		abort(); /* out-pointer written on failure */
	}
	/* The same untrusted text also reaches the policy checks. */
	if (passwd_policy_ok(in) && (strlen(in) < 6 || strlen(in) > 15))
		abort();
	if (passwd_ata_ivr_ok(in) && strlen(in) != 4)
		abort();
	free(in);
	return 0;
}
