/*
 * libFuzzer target: SCCP codec (src/fmt/sccp.c).  The input is treated as
 * a TCP stream: PDUs are framed with sccp_frame_len() and each is parsed.
 * A parsed message must rebuild (unless a string does not fit its field),
 * the rebuild must parse again and rebuild to the same bytes, and an
 * undecoded id must rebuild to exactly its input bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/sccp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_one(const uint8_t *data, size_t size)
{
	struct sccp_msg m, m2;
	struct sccp_error err = {0, NULL};
	struct buf b1 = BUF_INIT, b2 = BUF_INIT;
	int rc;

	rc = sccp_msg_parse(data, size, &m, &err);
	if (rc != SCCP_OK) {
		if (err.what == NULL || err.offset > SCCP_MAX_PDU ||
		    sccp_err_str(rc) == NULL)
			abort();
		return;
	}
	if (m.pdu_len > size || m.pdu_len < SCCP_HEADER_LEN ||
	    m.body_len != m.pdu_len - SCCP_HEADER_LEN ||
	    sccp_msg_name(m.id) == NULL)
		abort();
	if (sccp_msg_build(&b1, &m) != SCCP_OK)
		goto out;
	if (!m.is_known &&
	    (b1.len != m.pdu_len || memcmp(b1.data, data, b1.len) != 0))
		abort();
	if (sccp_msg_parse((const uint8_t *)b1.data, b1.len, &m2, NULL) !=
	        SCCP_OK ||
	    m2.id != m.id || m2.hdr_version != m.hdr_version ||
	    m2.pdu_len != b1.len)
		abort();
	if (sccp_msg_build(&b2, &m2) != SCCP_OK || b2.len != b1.len ||
	    memcmp(b1.data, b2.data, b1.len) != 0)
		abort();
out:
	buf_free(&b1);
	buf_free(&b2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, need = 0;

	/* The whole input as one (possibly malformed) PDU. */
	check_one(data, size);
	/* And as a stream of PDUs. */
	while (off < size) {
		int rc = sccp_frame_len(data + off, size - off, &need);

		if (rc < 0)
			break;
		if (rc == 0) {
			if (need <= size - off)
				abort();
			break;
		}
		if (need < SCCP_HEADER_LEN || need > size - off)
			abort();
		check_one(data + off, need);
		off += need;
	}
	return 0;
}
