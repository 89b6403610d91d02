/*
 * libFuzzer target: CAPF message codec (src/fmt/capf.c).  The framing
 * must agree with the parser, every parsed element must lie inside the
 * message, the typed fields must point into it, and a message rebuilt
 * from the parsed element list must be byte-identical to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/capf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const struct capf_msg *m, const struct capf_bytes *b)
{
	if (b->data == NULL)
		return b->len == 0;
	return b->data >= m->data && b->len <= m->len &&
	    (size_t)(b->data - m->data) <= m->len - b->len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capf_msg *m = NULL;
	struct capf_error err = {0, NULL};
	struct capf_elem_in *in;
	struct buf b = BUF_INIT;
	size_t need = 0;
	int rc, frc;

	frc = capf_msg_frame_len(data, size, &need);
	if (frc == CAPF_OK &&
	    (need < CAPF_HEADER_LEN || need > CAPF_MAX_MESSAGE))
		abort();
	rc = capf_msg_parse(data, size, &m, &err);
	if (rc != CAPF_OK) {
		if (m != NULL || err.what == NULL || err.offset > size ||
		    capf_err_str(rc) == NULL)
			abort();
		return 0;
	}
	if (frc != CAPF_OK || need != size || m->len != size ||
	    capf_cmd_str(m->command) == NULL)
		abort();
	if (!inside(m, &m->cert.der) || !inside(m, &m->public_key) ||
	    !inside(m, &m->signed_data) || !inside(m, &m->sha2_sig.sig) ||
	    !inside(m, &m->sudi.cert) || !inside(m, &m->sudi.sig1) ||
	    !inside(m, &m->sudi.sig2) || !inside(m, &m->reason_info))
		abort();
	in = calloc(m->n_elems + 1, sizeof(*in));
	if (in == NULL)
		abort();
	for (size_t i = 0; i < m->n_elems; i++) {
		in[i].tag = m->elems[i].tag;
		in[i].value = m->elems[i].value;
		in[i].len = m->elems[i].len;
	}
	if (capf_build_msg(m->command, m->session_id, in, m->n_elems, &b) !=
	        CAPF_OK ||
	    b.len != size || memcmp(b.data, data, size) != 0)
		abort();
	free(in);
	buf_free(&b);
	capf_msg_free(m);
	return 0;
}
