/*
 * libFuzzer target: signed-file parser (src/fmt/tlv.c).  Whatever parses
 * must also strip to the same payload offset, and a trust list is then
 * verified against its own SAST record (first use) and against itself as
 * the installed list; a forged file must not verify, but the point here is
 * that verification of any parsed structure cannot crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fmt/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlv_file *f = NULL;
	struct tlv_error err = {0, NULL};
	const uint8_t *payload = NULL;
	size_t payload_len = 0, signer = 0;
	int rc;

	rc = tlv_file_parse(data, size, &f, &err);
	if (rc != TLV_OK) {
		if (f != NULL || err.what == NULL || err.offset > size)
			abort();
		return 0;
	}
	if (f->header_length > size || f->data.len != size ||
	    f->signature_offset + 3 + f->signature.len > f->header_length)
		abort();
	if (tlv_sgn_strip(data, size, &payload, &payload_len, NULL) != TLV_OK ||
	    payload != data + f->header_length ||
	    payload_len != size - f->header_length)
		abort();
	if (f->is_trust_list) {
		rc = tlv_verify_self(f, &signer);
		if (rc == TLV_OK &&
		    (signer >= f->n_records ||
		        f->records[signer].role != TLV_ROLE_SAST))
			abort();
		(void)tlv_verify_with_trust(f, f, NULL);
	}
	tlv_file_free(f);
	return 0;
}
