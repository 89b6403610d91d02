/*
 * Unit tests of src/fmt/tftp.c: the packet codec and the sending side of
 * a read transfer, driven in virtual time (no sockets, no clock).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/tftp.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Build a packet from a literal with embedded NULs. */
#define PKT(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

static int
parse(const uint8_t *p, size_t n, struct tftp_packet *out)
{
	return tftp_parse(p, n, out, NULL);
}

/* ---- codec ---- */

static void
parse_rrq_without_options(void **state)
{
	struct tftp_packet p;

	(void)state;
	assert_int_equal(parse(PKT("\0\1SEP0011.cnf.xml\0octet\0"), &p), 0);
	assert_int_equal(p.opcode, TFTP_RRQ);
	assert_string_equal(p.filename, "SEP0011.cnf.xml");
	assert_int_equal(p.mode, TFTP_MODE_OCTET);
	assert_int_equal(p.opts.present, 0);
}

static void
parse_rrq_with_every_option_case_insensitively(void **state)
{
	struct tftp_packet p;

	(void)state;
	assert_int_equal(parse(PKT("\0\1f\0NetASCII\0BLKSIZE\0001428\0tsize\0"
	                           "0\0timeout\0003\0windowsize\0008\0x-"
	                           "unknown\0v\0"),
	                     &p),
	    0);
	assert_int_equal(p.mode, TFTP_MODE_NETASCII);
	assert_int_equal(p.opts.present,
	    TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE | TFTP_OPT_TIMEOUT |
	        TFTP_OPT_WINDOWSIZE);
	assert_int_equal(p.opts.blksize, 1428);
	assert_int_equal(p.opts.tsize, 0);
	assert_int_equal(p.opts.timeout_s, 3);
	assert_int_equal(p.opts.windowsize, 8);
	assert_int_equal(p.opts.unknown, 1);
}

static void
parse_wrq_data_ack_error_oack(void **state)
{
	struct tftp_packet p;

	(void)state;
	assert_int_equal(parse(PKT("\0\2up.bin\0octet\0"), &p), 0);
	assert_int_equal(p.opcode, TFTP_WRQ);
	assert_int_equal(parse(PKT("\0\3\1\2abc"), &p), 0);
	assert_int_equal(p.opcode, TFTP_DATA);
	assert_int_equal(p.block, 0x102);
	assert_int_equal(p.data_len, 3);
	assert_memory_equal(p.data, "abc", 3);
	assert_int_equal(parse(PKT("\0\4\377\377"), &p), 0);
	assert_int_equal(p.opcode, TFTP_ACK);
	assert_int_equal(p.block, 65535);
	assert_int_equal(parse(PKT("\0\5\0\1File not found\0"), &p), 0);
	assert_int_equal(p.opcode, TFTP_ERROR);
	assert_int_equal(p.error_code, 1);
	assert_string_equal(p.error_msg, "File not found");
	assert_int_equal(
	    parse(PKT("\0\6blksize\0001024\0tsize\00099\0"), &p), 0);
	assert_int_equal(p.opcode, TFTP_OACK);
	assert_int_equal(p.opts.blksize, 1024);
	assert_int_equal(p.opts.tsize, 99);
}

struct bad_vec {
	const char *pkt;
	size_t len;
	int rc;
};
#define BAD(s, rc)                                                             \
	{                                                                      \
		s, sizeof(s) - 1, rc                                           \
	}

static const struct bad_vec bad_packets[] = {
    BAD("", TFTP_E_SHORT),
    BAD("\0", TFTP_E_SHORT),
    BAD("\0\0", TFTP_E_OPCODE),
    BAD("\0\7abc", TFTP_E_OPCODE),
    BAD("\1\1f\0octet\0", TFTP_E_OPCODE),
    BAD("\0\1", TFTP_E_NONUL),
    BAD("\0\1file", TFTP_E_NONUL),
    BAD("\0\1file\0octet", TFTP_E_NONUL),
    BAD("\0\1\0octet\0", TFTP_E_NAME),
    BAD("\0\1f\0mail\0", TFTP_E_MODE),
    BAD("\0\1f\0\0", TFTP_E_MODE),
    BAD("\0\1f\0octet\0blksize", TFTP_E_NONUL),
    BAD("\0\1f\0octet\0blksize\0", TFTP_E_NONUL),
    BAD("\0\1f\0octet\0blksize\0"
        "512",
        TFTP_E_NONUL),
    BAD("\0\1f\0octet\0blksize\0"
        "7\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0blksize\0"
        "65536\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0blksize\0"
        "-1\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0blksize\0"
        "1x\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0blksize\0\0", TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0timeout\0"
        "0\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0timeout\0"
        "256\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0windowsize\0"
        "0\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0windowsize\0"
        "65536\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0tsize\0"
        "99999999999999999999999\0",
        TFTP_E_OPTVAL),
    BAD("\0\1f\0octet\0blksize\0"
        "512\0BlkSize\0"
        "1024\0",
        TFTP_E_OPTDUP),
    BAD("\0\3\0", TFTP_E_SHORT),
    BAD("\0\4\0", TFTP_E_SHORT),
    BAD("\0\5\0\1", TFTP_E_NONUL),
    BAD("\0\5\0\1oops", TFTP_E_NONUL),
    BAD("\0\5\0", TFTP_E_SHORT),
};

static void
parse_rejects_malformed_packets(void **state)
{
	struct tftp_packet p, untouched;

	(void)state;
	memset(&untouched, 0x5a, sizeof(untouched));
	for (size_t i = 0; i < NELEM(bad_packets); i++) {
		p = untouched;
		int rc = parse((const uint8_t *)bad_packets[i].pkt,
		    bad_packets[i].len, &p);

		if (rc != bad_packets[i].rc)
			fail_msg("vector %zu: got %d (%s), want %d", i, rc,
			    tftp_err_str(rc), bad_packets[i].rc);
		assert_memory_equal(&p, &untouched, sizeof(p));
	}
	assert_int_equal(tftp_parse(NULL, 4, &p, NULL), TFTP_E_ARG);
}

static void
parse_refuses_huge_option_lists_and_overlong_names(void **state)
{
	uint8_t pkt[4096];
	size_t n = 0;
	struct tftp_packet p;
	char name[300];

	(void)state;
	memcpy(pkt, "\0\1f\0octet\0", 10);
	n = 10;
	for (int i = 0; i <= TFTP_MAX_OPTIONS; i++)
		n += (size_t)snprintf(
		         (char *)pkt + n, sizeof(pkt) - n, "opt%d%c1", i, 0) +
		    1;
	assert_int_equal(parse(pkt, n, &p), TFTP_E_OPTMANY);
	memset(name, 'a', sizeof(name));
	name[sizeof(name) - 1] = 0;
	n = (size_t)tftp_build_request(
	    pkt, sizeof(pkt), TFTP_RRQ, name, "octet", NULL);
	assert_int_equal(parse(pkt, n, &p), TFTP_E_NAME);
	/* NUL padding after the last option is tolerated. */
	assert_int_equal(parse(PKT("\0\1f\0octet\0\0\0\0"), &p), 0);
}

static void
build_round_trips(void **state)
{
	uint8_t b[256];
	struct tftp_packet p;
	struct tftp_options o = {.present = TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE |
	        TFTP_OPT_TIMEOUT | TFTP_OPT_WINDOWSIZE,
	    .blksize = 1428,
	    .tsize = 123456789012ULL,
	    .timeout_s = 5,
	    .windowsize = 4};
	int n;

	(void)state;
	n = tftp_build_oack(b, sizeof(b), &o);
	assert_true(n > 0);
	assert_int_equal(parse(b, (size_t)n, &p), 0);
	assert_int_equal(p.opcode, TFTP_OACK);
	assert_int_equal(p.opts.present, o.present);
	assert_int_equal(p.opts.tsize, o.tsize);
	assert_int_equal(p.opts.windowsize, 4);
	n = tftp_build_request(b, sizeof(b), TFTP_RRQ, "x.bin", "octet", &o);
	assert_int_equal(parse(b, (size_t)n, &p), 0);
	assert_string_equal(p.filename, "x.bin");
	assert_int_equal(p.opts.blksize, 1428);
	n = tftp_build_error(b, sizeof(b), TFTP_ERR_NOTFOUND, "File not found");
	assert_int_equal(n, 4 + 14 + 1);
	assert_int_equal(parse(b, (size_t)n, &p), 0);
	assert_string_equal(p.error_msg, "File not found");
	assert_int_equal(tftp_build_ack(b, sizeof(b), 7), 4);
	assert_int_equal(
	    tftp_build_data(b, sizeof(b), 9, (const uint8_t *)"hi", 2), 6);
	assert_int_equal(parse(b, 6, &p), 0);
	assert_int_equal(p.block, 9);
	assert_int_equal(tftp_build_error(b, 4, 0, "x"), TFTP_E_TOOBIG);
	assert_int_equal(tftp_build_oack(b, 10, &o), TFTP_E_TOOBIG);
	assert_string_equal(
	    tftp_err_str(TFTP_E_MODE), "unsupported transfer mode");
	assert_string_equal(tftp_err_str(-999), "unknown error");
}

static void
name_policy_refuses_traversal_and_absolute_paths(void **state)
{
	const char *l;

	(void)state;
	assert_int_equal(tftp_name_check("SEP1.cnf.xml", &l), 0);
	assert_string_equal(l, "SEP1.cnf.xml");
	assert_int_equal(tftp_name_check("/SEP1.cnf.xml", &l), 0);
	assert_string_equal(l, "SEP1.cnf.xml");
	assert_int_equal(tftp_name_check("a..b", &l), 0);
	assert_int_equal(tftp_name_check("..", &l), TFTP_E_TRAVERSAL);
	assert_int_equal(
	    tftp_name_check("../etc/passwd", &l), TFTP_E_TRAVERSAL);
	assert_int_equal(tftp_name_check("a/../../b", &l), TFTP_E_TRAVERSAL);
	assert_int_equal(tftp_name_check("a\\..\\b", &l), TFTP_E_TRAVERSAL);
	assert_int_equal(tftp_name_check("x/..", &l), TFTP_E_TRAVERSAL);
	assert_true(tftp_name_is_absolute("/etc/passwd"));
	assert_true(tftp_name_is_absolute("//x"));
	assert_true(tftp_name_is_absolute("C:\\boot.ini"));
	assert_false(tftp_name_is_absolute("/SEP1.cnf.xml"));
	assert_false(tftp_name_is_absolute("SEP1.cnf.xml"));
}

static void
netascii_translates_line_ends(void **state)
{
	uint8_t out[16];
	size_t n;

	(void)state;
	n = tftp_netascii_encode((const uint8_t *)"a\nb\rc", 5, NULL);
	assert_int_equal(n, 7);
	assert_int_equal(
	    tftp_netascii_encode((const uint8_t *)"a\nb\rc", 5, out), 7);
	assert_memory_equal(out, "a\r\nb\r\0c", 7);
}

/* ---- the transfer ---- */

static uint8_t file[200000];

struct sent {
	int n;
	uint16_t op[64];
	uint16_t block[64];
	size_t len[64];
	int retx;
};

static void
drain(struct tftp_xfer *x, struct sent *s)
{
	struct tftp_out o;

	memset(s, 0, sizeof(*s));
	while (tftp_xfer_pull(x, &o)) {
		assert_true(s->n < 64);
		if (o.hdr_len == 4) {
			s->op[s->n] = (uint16_t)(o.hdr[0] << 8 | o.hdr[1]);
			s->block[s->n] = (uint16_t)(o.hdr[2] << 8 | o.hdr[3]);
			s->len[s->n] = o.body_len;
		} else {
			s->op[s->n] = (uint16_t)(o.body[0] << 8 | o.body[1]);
			s->len[s->n] = o.body_len;
		}
		s->retx += o.is_retransmit;
		s->n++;
	}
}

static int
ack(struct tftp_xfer *x, uint16_t block, uint64_t now)
{
	uint8_t b[4];

	tftp_build_ack(b, sizeof(b), block);
	return tftp_xfer_input(x, b, 4, now);
}

static void
start(struct tftp_xfer *x, const uint8_t *rrq, size_t rrq_len, size_t len)
{
	struct tftp_packet p;

	assert_int_equal(parse(rrq, rrq_len, &p), 0);
	assert_int_equal(tftp_xfer_init(x, &p, file, len, NULL, 0), 0);
}

static void
xfer_sends_blocks_of_512_until_a_short_one(void **state)
{
	struct tftp_xfer x;
	struct sent s;

	(void)state;
	start(&x, PKT("\0\1f\0octet\0"), 1100);
	drain(&x, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.op[0], TFTP_DATA);
	assert_int_equal(s.block[0], 1);
	assert_int_equal(s.len[0], 512);
	assert_int_equal(ack(&x, 1, 10), TFTP_ACT_SEND);
	drain(&x, &s);
	assert_int_equal(s.block[0], 2);
	assert_int_equal(ack(&x, 2, 20), TFTP_ACT_SEND);
	drain(&x, &s);
	assert_int_equal(s.block[0], 3);
	assert_int_equal(s.len[0], 1100 - 1024);
	assert_int_equal(ack(&x, 3, 30), TFTP_ACT_DONE);
	assert_int_equal(x.state, TFTP_XFER_DONE);
	assert_int_equal(tftp_xfer_deadline(&x), 0);
	assert_int_equal(x.bytes_sent, 1100);
}

static void
xfer_ends_with_an_empty_block_on_a_multiple_of_blksize(void **state)
{
	struct tftp_xfer x;
	struct sent s;

	(void)state;
	start(&x, PKT("\0\1f\0octet\0"), 1024);
	drain(&x, &s);
	ack(&x, 1, 1);
	drain(&x, &s);
	ack(&x, 2, 2);
	drain(&x, &s);
	assert_int_equal(s.block[0], 3);
	assert_int_equal(s.len[0], 0);
	assert_int_equal(ack(&x, 3, 3), TFTP_ACT_DONE);
	/* An empty file is one empty block. */
	start(&x, PKT("\0\1f\0octet\0"), 0);
	drain(&x, &s);
	assert_int_equal(s.len[0], 0);
	assert_int_equal(ack(&x, 1, 3), TFTP_ACT_DONE);
}

static void
xfer_negotiates_blksize_1428_and_tsize_with_an_oack(void **state)
{
	struct tftp_xfer x;
	struct tftp_packet p;
	struct tftp_out o;
	struct sent s;

	(void)state;
	start(&x, PKT("\0\1f\0octet\0blksize\0001428\0tsize\0000\0"), 3000);
	assert_int_equal(tftp_xfer_pull(&x, &o), 1);
	assert_int_equal(parse(o.body, o.body_len, &p), 0);
	assert_int_equal(p.opcode, TFTP_OACK);
	assert_int_equal(p.opts.blksize, 1428);
	assert_int_equal(p.opts.tsize, 3000);
	assert_int_equal(tftp_xfer_pull(&x, &o), 0);
	/* DATA only after ACK 0; other ACKs are ignored meanwhile. */
	assert_int_equal(ack(&x, 1, 5), TFTP_ACT_IGNORED);
	assert_int_equal(ack(&x, 0, 5), TFTP_ACT_SEND);
	drain(&x, &s);
	assert_int_equal(s.block[0], 1);
	assert_int_equal(s.len[0], 1428);
	ack(&x, 1, 6);
	drain(&x, &s);
	ack(&x, 2, 7);
	drain(&x, &s);
	assert_int_equal(s.len[0], 3000 - 2 * 1428);
	assert_int_equal(ack(&x, 3, 8), TFTP_ACT_DONE);
}

static void
xfer_clamps_blksize_and_refuses_bad_values(void **state)
{
	struct tftp_xfer x;
	struct tftp_packet p;
	struct tftp_xfer_limits lim;
	struct tftp_out o;

	(void)state;
	tftp_xfer_limits_default(&lim);
	lim.max_blksize = 1468;
	assert_int_equal(parse(PKT("\0\1f\0octet\0blksize\00065535\0"), &p), 0);
	assert_int_equal(tftp_xfer_init(&x, &p, file, 10, &lim, 0), 0);
	assert_int_equal(x.blksize, 1468);
	assert_int_equal(tftp_xfer_pull(&x, &o), 1);
	assert_int_equal(parse(o.body, o.body_len, &p), 0);
	assert_int_equal(p.opts.blksize, 1468);
	/* Not an RRQ. */
	assert_int_equal(parse(PKT("\0\2f\0octet\0"), &p), 0);
	assert_int_equal(tftp_xfer_init(&x, &p, file, 10, &lim, 0), TFTP_E_ARG);
	/* Unknown options only: no OACK, DATA 1 at once. */
	assert_int_equal(parse(PKT("\0\1f\0octet\0foo\0bar\0"), &p), 0);
	assert_int_equal(tftp_xfer_init(&x, &p, file, 10, &lim, 0), 0);
	assert_int_equal(tftp_xfer_pull(&x, &o), 1);
	assert_int_equal(o.hdr[1], TFTP_DATA);
}

static void
xfer_sends_windows_and_resumes_after_a_partial_ack(void **state)
{
	struct tftp_xfer x;
	struct sent s;

	(void)state;
	start(&x, PKT("\0\1f\0octet\0windowsize\0004\0"), 512 * 10 + 5);
	drain(&x, &s);
	assert_int_equal(s.op[0], TFTP_OACK);
	ack(&x, 0, 1);
	drain(&x, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.block[0], 1);
	assert_int_equal(s.block[3], 4);
	/* Whole window acknowledged: the next four. */
	assert_int_equal(ack(&x, 4, 2), TFTP_ACT_SEND);
	drain(&x, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.block[0], 5);
	assert_int_equal(s.retx, 0);
	/* Block 7 was lost: the client acks 6; resume from 7. */
	assert_int_equal(ack(&x, 6, 3), TFTP_ACT_SEND);
	drain(&x, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.block[0], 7);
	assert_int_equal(s.block[3], 10);
	assert_int_equal(s.retx, 2);
	assert_int_equal(ack(&x, 10, 4), TFTP_ACT_SEND);
	drain(&x, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.block[0], 11);
	assert_int_equal(s.len[0], 5);
	assert_int_equal(ack(&x, 11, 5), TFTP_ACT_DONE);
}

static void
xfer_never_resends_on_a_duplicate_ack(void **state)
{
	struct tftp_xfer x;
	struct sent s;

	(void)state;
	start(&x, PKT("\0\1f\0octet\0"), 5000);
	drain(&x, &s);
	ack(&x, 1, 1);
	drain(&x, &s);
	assert_int_equal(s.block[0], 2);
	/* Sorcerer's Apprentice: the late duplicate of ACK 1. */
	assert_int_equal(ack(&x, 1, 2), TFTP_ACT_NONE);
	drain(&x, &s);
	assert_int_equal(s.n, 0);
	/* An ACK for a block never sent. */
	assert_int_equal(ack(&x, 9, 2), TFTP_ACT_IGNORED);
	/* Other packet types are ignored, the transfer goes on. */
	assert_int_equal(
	    tftp_xfer_input(&x, PKT("\0\3\0\1x"), 2), TFTP_ACT_IGNORED);
	assert_int_equal(tftp_xfer_input(&x, PKT("\0\1"), 2), TFTP_ACT_IGNORED);
	assert_int_equal(ack(&x, 2, 3), TFTP_ACT_SEND);
	drain(&x, &s);
	assert_int_equal(s.block[0], 3);
}

static void
xfer_retransmits_with_backoff_then_gives_up(void **state)
{
	struct tftp_xfer x;
	struct sent s;
	uint64_t t = 0;
	const unsigned want[] = {2000, 4000, 8000, 8000, 8000};

	(void)state;
	start(&x, PKT("\0\1f\0octet\0"), 2000);
	drain(&x, &s);
	assert_int_equal(tftp_xfer_deadline(&x), 1000);
	assert_int_equal(tftp_xfer_timer(&x, 999), TFTP_ACT_NONE);
	t = 1000;
	for (size_t i = 0; i < NELEM(want); i++) {
		assert_int_equal(tftp_xfer_timer(&x, t), TFTP_ACT_SEND);
		drain(&x, &s);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.block[0], 1);
		assert_int_equal(s.retx, 1);
		assert_int_equal(tftp_xfer_deadline(&x), t + want[i]);
		t += want[i];
	}
	assert_int_equal(tftp_xfer_timer(&x, t), TFTP_ACT_FAILED);
	assert_int_equal(x.state, TFTP_XFER_FAILED);
	assert_int_equal(x.retransmits, 5);
	assert_int_equal(ack(&x, 1, t), TFTP_ACT_IGNORED);
}

static void
xfer_ack_resets_backoff_and_timeout_option_sets_it(void **state)
{
	struct tftp_xfer x;
	struct sent s;

	(void)state;
	start(&x, PKT("\0\1f\0octet\0timeout\0003\0"), 2000);
	drain(&x, &s);
	assert_int_equal(tftp_xfer_deadline(&x), 3000);
	assert_int_equal(tftp_xfer_timer(&x, 3000), TFTP_ACT_SEND);
	drain(&x, &s);
	assert_int_equal(s.op[0], TFTP_OACK);
	assert_int_equal(tftp_xfer_deadline(&x), 9000);
	assert_int_equal(ack(&x, 0, 9500), TFTP_ACT_SEND);
	assert_int_equal(tftp_xfer_deadline(&x), 12500);
	assert_int_equal(x.retries, 0);
}

static void
xfer_error_from_the_peer_aborts(void **state)
{
	struct tftp_xfer x;
	struct sent s;

	(void)state;
	start(&x, PKT("\0\1f\0octet\0tsize\0000\0"), 2000);
	drain(&x, &s);
	assert_int_equal(
	    tftp_xfer_input(&x, PKT("\0\5\0\10no\0"), 1), TFTP_ACT_FAILED);
	assert_int_equal(x.peer_error, 8);
	assert_int_equal(tftp_xfer_pull(&x, &(struct tftp_out){0}), 0);
}

static void
xfer_block_numbers_wrap_past_65535(void **state)
{
	struct tftp_xfer x;
	struct sent s;
	struct tftp_packet p;
	size_t len = 70000 * 8 + 3; /* 70001 blocks of 8 bytes */
	uint64_t blk;
	static uint8_t big[70000 * 8 + 3];

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(parse(PKT("\0\1f\0octet\0blksize\0008\0"), &p), 0);
	assert_int_equal(tftp_xfer_init(&x, &p, big, len, NULL, 0), 0);
	drain(&x, &s);
	assert_int_equal(ack(&x, 0, 1), TFTP_ACT_SEND);
	for (blk = 1;; blk++) {
		struct tftp_out o;
		int act;

		assert_int_equal(tftp_xfer_pull(&x, &o), 1);
		assert_int_equal(
		    (uint16_t)(o.hdr[2] << 8 | o.hdr[3]), (uint16_t)blk);
		if (blk == 65536)
			assert_int_equal(o.hdr[2] << 8 | o.hdr[3], 0);
		assert_ptr_equal(
		    o.body, blk * 8 - 8 < len ? big + (blk - 1) * 8 : NULL);
		act = ack(&x, (uint16_t)blk, 2);
		if (act == TFTP_ACT_DONE)
			break;
		assert_int_equal(act, TFTP_ACT_SEND);
		/* A stale ACK from one wrap ago changes nothing. */
		if (blk == 65600)
			assert_int_equal(
			    ack(&x, (uint16_t)(blk - 65536 + 1), 2),
			    TFTP_ACT_IGNORED);
	}
	assert_int_equal(blk, 70001);
	assert_int_equal(x.bytes_sent, len);
}

static void
xfer_serves_netascii_bytes_given(void **state)
{
	struct tftp_xfer x;
	struct tftp_packet p;
	struct tftp_out o;
	uint8_t na[16];
	size_t n = tftp_netascii_encode((const uint8_t *)"a\nb", 3, na);

	(void)state;
	assert_int_equal(parse(PKT("\0\1f\0netascii\0"), &p), 0);
	assert_int_equal(tftp_xfer_init(&x, &p, na, n, NULL, 0), 0);
	assert_int_equal(tftp_xfer_pull(&x, &o), 1);
	assert_int_equal(o.body_len, 4);
	assert_memory_equal(o.body, "a\r\nb", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_rrq_without_options),
	    cmocka_unit_test(parse_rrq_with_every_option_case_insensitively),
	    cmocka_unit_test(parse_wrq_data_ack_error_oack),
	    cmocka_unit_test(parse_rejects_malformed_packets),
	    cmocka_unit_test(
	        parse_refuses_huge_option_lists_and_overlong_names),
	    cmocka_unit_test(build_round_trips),
	    cmocka_unit_test(name_policy_refuses_traversal_and_absolute_paths),
	    cmocka_unit_test(netascii_translates_line_ends),
	    cmocka_unit_test(xfer_sends_blocks_of_512_until_a_short_one),
	    cmocka_unit_test(
	        xfer_ends_with_an_empty_block_on_a_multiple_of_blksize),
	    cmocka_unit_test(
	        xfer_negotiates_blksize_1428_and_tsize_with_an_oack),
	    cmocka_unit_test(xfer_clamps_blksize_and_refuses_bad_values),
	    cmocka_unit_test(
	        xfer_sends_windows_and_resumes_after_a_partial_ack),
	    cmocka_unit_test(xfer_never_resends_on_a_duplicate_ack),
	    cmocka_unit_test(xfer_retransmits_with_backoff_then_gives_up),
	    cmocka_unit_test(
	        xfer_ack_resets_backoff_and_timeout_option_sets_it),
	    cmocka_unit_test(xfer_error_from_the_peer_aborts),
	    cmocka_unit_test(xfer_block_numbers_wrap_past_65535),
	    cmocka_unit_test(xfer_serves_netascii_bytes_given),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
