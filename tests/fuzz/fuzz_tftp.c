/*
 * libFuzzer target: TFTP packet parser and the read-transfer state
 * machine.  The input is a list of datagrams, each prefixed by a 16-bit
 * big-endian length.  Every datagram goes through tftp_parse(); a parsed
 * packet must re-encode to something that parses again.  The first RRQ
 * starts a transfer of a file whose size comes from the input; later
 * datagrams are fed to it with time advancing, and every packet it hands
 * out must stay inside the file and carry the right block number.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t file[70000];

static void
check_packet(const uint8_t *p, size_t n)
{
	struct tftp_packet pk;
	uint8_t out[65536 + 8];
	int m = -1;

	if (tftp_parse(p, n, &pk, NULL) != TFTP_OK)
		return;
	switch (pk.opcode) {
	case TFTP_RRQ:
	case TFTP_WRQ:
		if (strlen(pk.filename) == 0 || strlen(pk.filename) > 255)
			abort();
		m = tftp_build_request(out, sizeof(out), pk.opcode, pk.filename,
		    pk.mode == TFTP_MODE_OCTET ? "octet" : "netascii",
		    &pk.opts);
		break;
	case TFTP_OACK:
		m = tftp_build_oack(out, sizeof(out), &pk.opts);
		break;
	case TFTP_DATA:
		m = tftp_build_data(
		    out, sizeof(out), pk.block, pk.data, pk.data_len);
		break;
	case TFTP_ACK:
		m = tftp_build_ack(out, sizeof(out), pk.block);
		break;
	case TFTP_ERROR:
		m = tftp_build_error(
		    out, sizeof(out), pk.error_code, pk.error_msg);
		break;
	}
	if (m < 0) {
		if (pk.opcode != TFTP_DATA)
			abort();
		return;
	}
	if (tftp_parse(out, (size_t)m, &pk, NULL) != TFTP_OK)
		abort();
	(void)tftp_name_check(pk.opcode <= TFTP_WRQ ? pk.filename : "x", NULL);
}

static void
drain(struct tftp_xfer *x, const uint8_t *base, size_t len)
{
	struct tftp_out o;
	int guard = 0;

	while (tftp_xfer_pull(x, &o)) {
		if (++guard > 2000)
			abort();
		if (o.hdr_len == 4) {
			if (o.body_len > x->blksize)
				abort();
			if (o.body_len > 0 &&
			    (o.body < base || o.body + o.body_len > base + len))
				abort();
		} else if (o.body != x->oack || o.body_len != x->oack_len) {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_xfer x;
	int started = 0;
	uint64_t now = 0;
	size_t flen = 0;

	if (size >= 2) {
		flen = ((size_t)data[0] << 8 | data[1]) * 3 % sizeof(file);
		data += 2;
		size -= 2;
	}
	while (size >= 2) {
		size_t n = (size_t)data[0] << 8 | data[1];
		const uint8_t *p = data + 2;

		if (n > size - 2)
			n = size - 2;
		data += 2 + n;
		size -= 2 + n;
		check_packet(p, n);
		if (!started) {
			struct tftp_packet req;

			if (tftp_parse(p, n, &req, NULL) == TFTP_OK &&
			    req.opcode == TFTP_RRQ &&
			    tftp_xfer_init(&x, &req, file, flen, NULL, now) ==
			        TFTP_OK) {
				started = 1;
				drain(&x, file, flen);
			}
			continue;
		}
		/* Time moves by the datagram's length (ms). */
		now += n * 37;
		(void)tftp_xfer_timer(&x, now);
		drain(&x, file, flen);
		(void)tftp_xfer_input(&x, p, n, now);
		drain(&x, file, flen);
		if (x.acked > x.nblocks || x.sent_hi > x.nblocks)
			abort();
	}
	if (size > 0)
		check_packet(data, size);
	return 0;
}
