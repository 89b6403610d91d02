/*
 * TFTP (RFC 1350) packets with options (RFC 2347 OACK, 2348 blksize,
 * 2349 timeout/tsize, 7440 windowsize), and the sending side of one read
 * transfer as a pure state machine: no sockets, no clock.  The service
 * feeds it packets and time and sends what it hands back.
 *
 * Decisions (doc/tftp.md):
 *  - Modes "octet" and "netascii" (any case) are accepted; "mail" and
 *    anything else are refused.  netascii is translated properly (LF ->
 *    CR LF, CR -> CR NUL) by tftp_netascii_encode(); the caller serves
 *    the translated bytes.
 *  - Option names are case-insensitive; unknown options are ignored (not
 *    acknowledged); a known option given twice, a value that is not a
 *    decimal number, blksize < 8, timeout outside 1..255 or windowsize
 *    outside 1..65535 make the request fail with ERROR 8; blksize above
 *    what the server offers is answered with the server's maximum.  More
 *    than TFTP_MAX_OPTIONS option pairs is refused (ERROR 8).
 *  - Block numbers wrap past 65535 to 0 (as tftp-hpa, curl, most phones).
 *  - A duplicate ACK never triggers a resend (Sorcerer's Apprentice,
 *    RFC 1123 4.2.3.1); only the retransmission timer does, with
 *    exponential backoff and a bounded number of retries.
 */
#ifndef OPENCME_FMT_TFTP_H
#define OPENCME_FMT_TFTP_H

#include <stddef.h>
#include <stdint.h>

enum tftp_opcode {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
	TFTP_OACK = 6,
};

/* ERROR packet codes (RFC 1350, 2347). */
enum tftp_errcode {
	TFTP_ERR_UNDEF = 0,
	TFTP_ERR_NOTFOUND = 1,
	TFTP_ERR_ACCESS = 2,
	TFTP_ERR_DISKFULL = 3,
	TFTP_ERR_BADOP = 4,
	TFTP_ERR_BADTID = 5,
	TFTP_ERR_EXISTS = 6,
	TFTP_ERR_NOUSER = 7,
	TFTP_ERR_OPTNEG = 8,
};

/* Return codes of this module (0 or negative). */
enum tftp_err {
	TFTP_OK = 0,
	TFTP_E_SHORT = -1, /* packet shorter than its opcode needs */
	TFTP_E_OPCODE = -2, /* unknown opcode */
	TFTP_E_NONUL = -3, /* a string without its terminating NUL */
	TFTP_E_MODE = -4, /* transfer mode other than octet/netascii */
	TFTP_E_NAME = -5, /* empty or over-long file name */
	TFTP_E_OPTVAL = -6, /* option value not a number or out of range */
	TFTP_E_OPTDUP = -7, /* a known option given twice */
	TFTP_E_OPTMANY = -8, /* too many options */
	TFTP_E_TRAILING = -9, /* bytes after the last field */
	TFTP_E_TRAVERSAL = -10, /* ".." in a file name */
	TFTP_E_ABSOLUTE = -11, /* absolute path */
	TFTP_E_ARG = -12, /* bad argument from the caller */
	TFTP_E_TOOBIG = -13, /* does not fit the output buffer */
};
const char *tftp_err_str(int err);

#define TFTP_PORT 69
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN 8
#define TFTP_BLKSIZE_MAX 65464
#define TFTP_TIMEOUT_MIN 1
#define TFTP_TIMEOUT_MAX 255
#define TFTP_WINDOW_MAX 65535
#define TFTP_NAME_MAX 255 /* longest file name accepted */
#define TFTP_MAX_OPTIONS 16 /* option pairs in one request */
#define TFTP_ERRMSG_MAX 127

enum tftp_mode {
	TFTP_MODE_OCTET = 0,
	TFTP_MODE_NETASCII = 1,
};

/* Options present in a request or OACK (bits of tftp_options.present). */
enum {
	TFTP_OPT_BLKSIZE = 1 << 0,
	TFTP_OPT_TSIZE = 1 << 1,
	TFTP_OPT_TIMEOUT = 1 << 2,
	TFTP_OPT_WINDOWSIZE = 1 << 3,
};

struct tftp_options {
	unsigned present; /* TFTP_OPT_* */
	unsigned blksize; /* 8..65535 as requested */
	uint64_t tsize;
	unsigned timeout_s; /* 1..255 */
	unsigned windowsize; /* 1..65535 */
	unsigned unknown; /* options ignored */
};

/* A parsed packet.  Pointers borrow the packet buffer. */
struct tftp_packet {
	enum tftp_opcode opcode;
	/* RRQ, WRQ */
	const char *filename; /* NUL-terminated inside the packet */
	enum tftp_mode mode;
	/* RRQ, WRQ, OACK */
	struct tftp_options opts;
	/* DATA, ACK */
	uint16_t block;
	/* DATA */
	const uint8_t *data;
	size_t data_len;
	/* ERROR */
	uint16_t error_code;
	const char *error_msg; /* NUL-terminated inside the packet */
};

/* Parse one datagram.  Fills *out only on success; on failure *offset
 * (if not NULL) gets the byte offset of the problem. */
int tftp_parse(
    const uint8_t *pkt, size_t len, struct tftp_packet *out, size_t *offset);

/* Builders: return the packet length, or a negative tftp_err when cap is
 * too small.  msg is truncated to TFTP_ERRMSG_MAX bytes. */
int tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg);
int tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block);
int tftp_build_data(
    uint8_t *buf, size_t cap, uint16_t block, const uint8_t *data, size_t len);
/* Options in o->present, in the order blksize, tsize, timeout,
 * windowsize. */
int tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_options *o);
/* A request (tests, load generator): options in o (may be NULL). */
int tftp_build_request(uint8_t *buf, size_t cap, enum tftp_opcode op,
    const char *name, const char *mode, const struct tftp_options *o);

/*
 * Name policy for a requested file name.  Returns TFTP_E_TRAVERSAL when a
 * path component is ".." ('/' and '\\' both separate), TFTP_OK otherwise;
 * *lookup points into name past one leading '/' (phones send one).
 * tftp_name_is_absolute() tells a name such as "/etc/passwd" (a leading
 * '/' and another separator) from "/SEP0011.cnf.xml".
 */
int tftp_name_check(const char *name, const char **lookup);
int tftp_name_is_absolute(const char *name);

/* netascii: LF -> CR LF, CR -> CR NUL.  Returns the encoded length;
 * out (may be NULL to measure) needs that many bytes. */
size_t tftp_netascii_encode(const uint8_t *in, size_t len, uint8_t *out);

/* ---- the sending side of a read transfer ---- */

struct tftp_xfer_limits {
	unsigned max_blksize; /* largest block offered (<= 65464) */
	unsigned max_windowsize; /* largest window accepted (<= 64) */
	unsigned timeout_ms; /* first retransmission timeout */
	unsigned max_timeout_ms; /* backoff ceiling */
	unsigned max_retries; /* retransmissions before giving up */
};
/* 512..65464, window <= 16, 1 s doubling up to 8 s, 5 retries. */
void tftp_xfer_limits_default(struct tftp_xfer_limits *lim);

enum tftp_xfer_state {
	TFTP_XFER_RUNNING = 0,
	TFTP_XFER_DONE = 1, /* last block acknowledged */
	TFTP_XFER_FAILED = 2, /* timed out or aborted by the peer */
};

/* Actions returned by input/timer (bits). */
enum {
	TFTP_ACT_NONE = 0,
	TFTP_ACT_SEND = 1 << 0, /* pull packets with tftp_xfer_pull() */
	TFTP_ACT_DONE = 1 << 1,
	TFTP_ACT_FAILED = 1 << 2,
	TFTP_ACT_IGNORED = 1 << 3, /* unexpected or malformed packet */
};

/* One packet to send: hdr[0..hdr_len) then body[0..body_len) (body
 * borrows the file data or the transfer's own buffer). */
struct tftp_out {
	uint8_t hdr[4];
	size_t hdr_len;
	const uint8_t *body;
	size_t body_len;
	int is_retransmit;
};

struct tftp_xfer {
	const uint8_t *data; /* borrowed: the caller keeps it alive */
	size_t len;
	unsigned blksize, windowsize;
	uint64_t nblocks; /* len / blksize + 1 */
	uint64_t acked; /* highest block acknowledged (absolute) */
	uint64_t sent_hi; /* highest block sent so far (absolute) */
	/* pending output: OACK, then blocks [send_next, send_end) */
	int oack_wait; /* OACK sent, ACK 0 not yet received */
	int send_oack;
	uint64_t send_next, send_end;
	int resending;
	enum tftp_xfer_state state;
	uint64_t deadline_ms;
	unsigned timeout_ms, base_timeout_ms, max_timeout_ms;
	unsigned retries, max_retries;
	uint64_t bytes_sent, packets_sent, retransmits;
	uint16_t peer_error; /* code of an ERROR received from the peer */
	uint8_t oack[128];
	size_t oack_len;
};

/*
 * Start sending data[0..len) for request req (an RRQ as parsed) at time
 * now_ms.  Negotiates options (an OACK when any known option was asked
 * for, DATA 1 directly otherwise).  On success returns 0 with the first
 * packet(s) ready to pull; TFTP_E_OPTVAL when the options cannot be
 * honoured (reply ERROR 8).
 */
int tftp_xfer_init(struct tftp_xfer *x, const struct tftp_packet *req,
    const uint8_t *data, size_t len, const struct tftp_xfer_limits *lim,
    uint64_t now_ms);
/* A datagram from the peer (its TID already checked by the caller). */
int tftp_xfer_input(
    struct tftp_xfer *x, const uint8_t *pkt, size_t len, uint64_t now_ms);
/* Time passed: retransmit the window when its deadline is reached. */
int tftp_xfer_timer(struct tftp_xfer *x, uint64_t now_ms);
/* Next packet to send; 0 when none is pending. */
int tftp_xfer_pull(struct tftp_xfer *x, struct tftp_out *out);
/* When tftp_xfer_timer() wants to run next (0: never, finished). */
uint64_t tftp_xfer_deadline(const struct tftp_xfer *x);

#endif
