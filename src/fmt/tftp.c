/*
 * TFTP packet codec and the sending side of a read transfer (see
 * tftp.h for the decisions taken where the RFCs leave a choice).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fmt/tftp.h"

static const char *const err_strs[] = {
    "ok",
    "packet too short",
    "unknown opcode",
    "string without NUL",
    "unsupported transfer mode",
    "bad file name",
    "bad option value",
    "duplicate option",
    "too many options",
    "trailing bytes",
    "path traversal",
    "absolute path",
    "bad argument",
    "buffer too small",
};

const char *
tftp_err_str(int err)
{
	size_t i = err <= 0 ? (size_t)-err : 0;

	if (err > 0 || i >= sizeof(err_strs) / sizeof(err_strs[0]))
		return "unknown error";
	return err_strs[i];
}

static uint16_t
rd_u16be(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void
wr_u16be(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A NUL-terminated string at pkt[*pos..len); advances *pos past the NUL.
 * Returns its length or -1 when there is no NUL. */
static long
rd_string(const uint8_t *pkt, size_t len, size_t *pos, const char **s)
{
	const uint8_t *start = pkt + *pos;
	const uint8_t *nul;

	if (*pos >= len)
		return -1;
	nul = memchr(start, 0, len - *pos);
	if (nul == NULL)
		return -1;
	*s = (const char *)start;
	*pos += (size_t)(nul - start) + 1;
	return (long)(nul - start);
}

/* A decimal number of 1..20 digits that fits 64 bits. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		unsigned d;

		if (s[n] < '0' || s[n] > '9' || n >= 20)
			return -1;
		d = (unsigned)(s[n] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (n == 0)
		return -1;
	*out = v;
	return 0;
}

static int
parse_options(const uint8_t *pkt, size_t len, size_t pos,
    struct tftp_options *o, size_t *offset)
{
	unsigned count = 0;

	memset(o, 0, sizeof(*o));
	while (pos < len) {
		const char *name, *value;
		size_t at = pos, k;
		uint64_t v;
		unsigned bit = 0;

		/* Some clients pad the request with NULs: allow that. */
		for (k = pos; k < len && pkt[k] == 0; k++)
			;
		if (k == len)
			break;
		if (rd_string(pkt, len, &pos, &name) < 0 ||
		    rd_string(pkt, len, &pos, &value) < 0) {
			*offset = at;
			return TFTP_E_NONUL;
		}
		if (++count > TFTP_MAX_OPTIONS) {
			*offset = at;
			return TFTP_E_OPTMANY;
		}
		if (strcasecmp(name, "blksize") == 0)
			bit = TFTP_OPT_BLKSIZE;
		else if (strcasecmp(name, "tsize") == 0)
			bit = TFTP_OPT_TSIZE;
		else if (strcasecmp(name, "timeout") == 0)
			bit = TFTP_OPT_TIMEOUT;
		else if (strcasecmp(name, "windowsize") == 0)
			bit = TFTP_OPT_WINDOWSIZE;
		if (bit == 0) {
			o->unknown++;
			continue;
		}
		if (o->present & bit) {
			*offset = at;
			return TFTP_E_OPTDUP;
		}
		if (parse_u64(value, &v) != 0) {
			*offset = at;
			return TFTP_E_OPTVAL;
		}
		switch (bit) {
		case TFTP_OPT_BLKSIZE:
			if (v < TFTP_BLKSIZE_MIN || v > 65535) {
				*offset = at;
				return TFTP_E_OPTVAL;
			}
			o->blksize = (unsigned)v;
			break;
		case TFTP_OPT_TSIZE:
			o->tsize = v;
			break;
		case TFTP_OPT_TIMEOUT:
			if (v < TFTP_TIMEOUT_MIN || v > TFTP_TIMEOUT_MAX) {
				*offset = at;
				return TFTP_E_OPTVAL;
			}
			o->timeout_s = (unsigned)v;
			break;
		default:
			if (v < 1 || v > TFTP_WINDOW_MAX) {
				*offset = at;
				return TFTP_E_OPTVAL;
			}
			o->windowsize = (unsigned)v;
			break;
		}
		o->present |= bit;
	}
	return TFTP_OK;
}

int
tftp_parse(
    const uint8_t *pkt, size_t len, struct tftp_packet *out, size_t *offset)
{
	struct tftp_packet p;
	size_t pos = 2, off = 0;
	const char *mode;
	long n;
	int rc = TFTP_OK;

	if (offset == NULL)
		offset = &off;
	if (pkt == NULL || out == NULL) {
		*offset = 0;
		return TFTP_E_ARG;
	}
	if (len < 2) {
		*offset = 0;
		return TFTP_E_SHORT;
	}
	memset(&p, 0, sizeof(p));
	p.opcode = (enum tftp_opcode)rd_u16be(pkt);
	switch (p.opcode) {
	case TFTP_RRQ:
	case TFTP_WRQ:
		n = rd_string(pkt, len, &pos, &p.filename);
		if (n < 0) {
			*offset = 2;
			return TFTP_E_NONUL;
		}
		if (n == 0 || n > TFTP_NAME_MAX) {
			*offset = 2;
			return TFTP_E_NAME;
		}
		*offset = pos;
		if (rd_string(pkt, len, &pos, &mode) < 0)
			return TFTP_E_NONUL;
		if (strcasecmp(mode, "octet") == 0)
			p.mode = TFTP_MODE_OCTET;
		else if (strcasecmp(mode, "netascii") == 0)
			p.mode = TFTP_MODE_NETASCII;
		else
			return TFTP_E_MODE;
		rc = parse_options(pkt, len, pos, &p.opts, offset);
		break;
	case TFTP_OACK:
		rc = parse_options(pkt, len, pos, &p.opts, offset);
		break;
	case TFTP_DATA:
	case TFTP_ACK:
		if (len < 4) {
			*offset = len;
			return TFTP_E_SHORT;
		}
		p.block = rd_u16be(pkt + 2);
		if (p.opcode == TFTP_DATA) {
			p.data = pkt + 4;
			p.data_len = len - 4;
		}
		/* Bytes after an ACK are ignored (some stacks pad). */
		break;
	case TFTP_ERROR:
		if (len < 4) {
			*offset = len;
			return TFTP_E_SHORT;
		}
		p.error_code = rd_u16be(pkt + 2);
		pos = 4;
		if (rd_string(pkt, len, &pos, &p.error_msg) < 0) {
			*offset = 4;
			return TFTP_E_NONUL;
		}
		break;
	default:
		*offset = 0;
		return TFTP_E_OPCODE;
	}
	if (rc != TFTP_OK)
		return rc;
	*out = p;
	return TFTP_OK;
}

int
tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg)
{
	size_t n = msg ? strlen(msg) : 0;

	if (n > TFTP_ERRMSG_MAX)
		n = TFTP_ERRMSG_MAX;
	if (buf == NULL || cap < 4 + n + 1)
		return TFTP_E_TOOBIG;
	wr_u16be(buf, TFTP_ERROR);
	wr_u16be(buf + 2, code);
	if (n > 0)
		memcpy(buf + 4, msg, n);
	buf[4 + n] = 0;
	return (int)(4 + n + 1);
}

int
tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block)
{
	if (buf == NULL || cap < 4)
		return TFTP_E_TOOBIG;
	wr_u16be(buf, TFTP_ACK);
	wr_u16be(buf + 2, block);
	return 4;
}

int
tftp_build_data(
    uint8_t *buf, size_t cap, uint16_t block, const uint8_t *data, size_t len)
{
	if (buf == NULL || len > 65535 || cap < 4 + len ||
	    (data == NULL && len > 0))
		return TFTP_E_TOOBIG;
	wr_u16be(buf, TFTP_DATA);
	wr_u16be(buf + 2, block);
	if (len > 0)
		memcpy(buf + 4, data, len);
	return (int)(4 + len);
}

/* Append "name\0value\0"; returns the new position or 0 on overflow. */
static size_t
put_opt(uint8_t *buf, size_t cap, size_t pos, const char *name, uint64_t v)
{
	char num[24];
	size_t nl = strlen(name), vl;

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	vl = strlen(num);
	if (pos + nl + 1 + vl + 1 > cap)
		return 0;
	memcpy(buf + pos, name, nl + 1);
	memcpy(buf + pos + nl + 1, num, vl + 1);
	return pos + nl + 1 + vl + 1;
}

static int
put_opts(uint8_t *buf, size_t cap, size_t pos, const struct tftp_options *o)
{
	if (o == NULL)
		return (int)pos;
	if ((o->present & TFTP_OPT_BLKSIZE) &&
	    (pos = put_opt(buf, cap, pos, "blksize", o->blksize)) == 0)
		return TFTP_E_TOOBIG;
	if ((o->present & TFTP_OPT_TSIZE) &&
	    (pos = put_opt(buf, cap, pos, "tsize", o->tsize)) == 0)
		return TFTP_E_TOOBIG;
	if ((o->present & TFTP_OPT_TIMEOUT) &&
	    (pos = put_opt(buf, cap, pos, "timeout", o->timeout_s)) == 0)
		return TFTP_E_TOOBIG;
	if ((o->present & TFTP_OPT_WINDOWSIZE) &&
	    (pos = put_opt(buf, cap, pos, "windowsize", o->windowsize)) == 0)
		return TFTP_E_TOOBIG;
	return (int)pos;
}

int
tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_options *o)
{
	if (buf == NULL || cap < 2)
		return TFTP_E_TOOBIG;
	wr_u16be(buf, TFTP_OACK);
	return put_opts(buf, cap, 2, o);
}

int
tftp_build_request(uint8_t *buf, size_t cap, enum tftp_opcode op,
    const char *name, const char *mode, const struct tftp_options *o)
{
	size_t nl, ml;

	if (buf == NULL || name == NULL || mode == NULL ||
	    (op != TFTP_RRQ && op != TFTP_WRQ))
		return TFTP_E_ARG;
	nl = strlen(name);
	ml = strlen(mode);
	if (cap < 2 + nl + 1 + ml + 1)
		return TFTP_E_TOOBIG;
	wr_u16be(buf, op);
	memcpy(buf + 2, name, nl + 1);
	memcpy(buf + 2 + nl + 1, mode, ml + 1);
	return put_opts(buf, cap, 2 + nl + 1 + ml + 1, o);
}

static int
is_sep(char c)
{
	return c == '/' || c == '\\';
}

int
tftp_name_check(const char *name, const char **lookup)
{
	const char *p;

	if (name == NULL)
		return TFTP_E_ARG;
	for (p = name; *p != '\0';) {
		const char *seg = p;

		while (*p != '\0' && !is_sep(*p))
			p++;
		if (p - seg == 2 && seg[0] == '.' && seg[1] == '.')
			return TFTP_E_TRAVERSAL;
		if (*p != '\0')
			p++;
	}
	if (lookup != NULL)
		*lookup = name[0] == '/' ? name + 1 : name;
	return TFTP_OK;
}

int
tftp_name_is_absolute(const char *name)
{
	if (name == NULL)
		return 0;
	if (is_sep(name[0]))
		return name[1] == '\0' || strchr(name + 1, '/') != NULL ||
		    strchr(name + 1, '\\') != NULL || is_sep(name[1]);
	/* C:\x or C:/x */
	return name[0] != '\0' && name[1] == ':' && is_sep(name[2]);
}

size_t
tftp_netascii_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n') {
			if (out != NULL) {
				out[n] = '\r';
				out[n + 1] = '\n';
			}
			n += 2;
		} else if (in[i] == '\r') {
			if (out != NULL) {
				out[n] = '\r';
				out[n + 1] = 0;
			}
			n += 2;
		} else {
			if (out != NULL)
				out[n] = in[i];
			n++;
		}
	}
	return n;
}

/* ---- transfer state machine ---- */

void
tftp_xfer_limits_default(struct tftp_xfer_limits *lim)
{
	lim->max_blksize = TFTP_BLKSIZE_MAX;
	lim->max_windowsize = 16;
	lim->timeout_ms = 1000;
	lim->max_timeout_ms = 8000;
	lim->max_retries = 5;
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Queue the window that starts after the last acknowledged block. */
static void
queue_window(struct tftp_xfer *x)
{
	x->send_next = x->acked + 1;
	x->send_end = min_u64(x->acked + x->windowsize, x->nblocks) + 1;
}

int
tftp_xfer_init(struct tftp_xfer *x, const struct tftp_packet *req,
    const uint8_t *data, size_t len, const struct tftp_xfer_limits *lim,
    uint64_t now_ms)
{
	struct tftp_xfer_limits def;
	struct tftp_options ack;
	const struct tftp_options *o;
	int n;

	if (x == NULL || req == NULL || req->opcode != TFTP_RRQ ||
	    (data == NULL && len > 0))
		return TFTP_E_ARG;
	if (lim == NULL) {
		tftp_xfer_limits_default(&def);
		lim = &def;
	}
	o = &req->opts;
	memset(x, 0, sizeof(*x));
	memset(&ack, 0, sizeof(ack));
	x->data = data;
	x->len = len;
	x->blksize = TFTP_BLKSIZE_DEFAULT;
	x->windowsize = 1;
	x->base_timeout_ms = lim->timeout_ms ? lim->timeout_ms : 1000;
	x->max_timeout_ms = lim->max_timeout_ms;
	x->max_retries = lim->max_retries;
	if (o->present & TFTP_OPT_BLKSIZE) {
		unsigned max = lim->max_blksize;

		if (max < TFTP_BLKSIZE_MIN || max > TFTP_BLKSIZE_MAX)
			max = TFTP_BLKSIZE_MAX;
		if (o->blksize < TFTP_BLKSIZE_MIN)
			return TFTP_E_OPTVAL;
		x->blksize = o->blksize < max ? o->blksize : max;
		ack.blksize = x->blksize;
		ack.present |= TFTP_OPT_BLKSIZE;
	}
	if (o->present & TFTP_OPT_TSIZE) {
		ack.tsize = len;
		ack.present |= TFTP_OPT_TSIZE;
	}
	if (o->present & TFTP_OPT_TIMEOUT) {
		if (o->timeout_s < TFTP_TIMEOUT_MIN ||
		    o->timeout_s > TFTP_TIMEOUT_MAX)
			return TFTP_E_OPTVAL;
		x->base_timeout_ms = o->timeout_s * 1000u;
		ack.timeout_s = o->timeout_s;
		ack.present |= TFTP_OPT_TIMEOUT;
	}
	if (o->present & TFTP_OPT_WINDOWSIZE) {
		unsigned max = lim->max_windowsize;

		/* Acknowledgements are matched modulo 65536: keep the
		 * window far below that. */
		if (max < 1 || max > 1024)
			max = 1024;
		if (o->windowsize < 1)
			return TFTP_E_OPTVAL;
		x->windowsize = o->windowsize < max ? o->windowsize : max;
		ack.windowsize = x->windowsize;
		ack.present |= TFTP_OPT_WINDOWSIZE;
	}
	if (x->max_timeout_ms < x->base_timeout_ms)
		x->max_timeout_ms = x->base_timeout_ms;
	x->timeout_ms = x->base_timeout_ms;
	x->nblocks = (uint64_t)len / x->blksize + 1;
	if (ack.present != 0) {
		n = tftp_build_oack(x->oack, sizeof(x->oack), &ack);
		if (n < 0)
			return n;
		x->oack_len = (size_t)n;
		x->oack_wait = 1;
		x->send_oack = 1;
	} else {
		queue_window(x);
	}
	x->deadline_ms = now_ms + x->timeout_ms;
	return TFTP_OK;
}

int
tftp_xfer_pull(struct tftp_xfer *x, struct tftp_out *out)
{
	uint64_t n, off;
	size_t blen;

	if (x == NULL || out == NULL || x->state != TFTP_XFER_RUNNING)
		return 0;
	memset(out, 0, sizeof(*out));
	if (x->send_oack) {
		x->send_oack = 0;
		out->body = x->oack;
		out->body_len = x->oack_len;
		out->is_retransmit = x->resending;
		x->packets_sent++;
		if (x->resending)
			x->retransmits++;
		return 1;
	}
	if (x->send_next >= x->send_end)
		return 0;
	n = x->send_next++;
	off = (n - 1) * x->blksize;
	blen = off >= x->len ? 0 : (size_t)min_u64(x->blksize, x->len - off);
	wr_u16be(out->hdr, TFTP_DATA);
	wr_u16be(out->hdr + 2, (unsigned)(n & 0xffff));
	out->hdr_len = 4;
	out->body = blen > 0 ? x->data + off : NULL;
	out->body_len = blen;
	if (n <= x->sent_hi) {
		out->is_retransmit = 1;
		x->retransmits++;
	} else {
		x->sent_hi = n;
	}
	x->bytes_sent += blen;
	x->packets_sent++;
	return 1;
}

int
tftp_xfer_input(
    struct tftp_xfer *x, const uint8_t *pkt, size_t len, uint64_t now_ms)
{
	struct tftp_packet p;
	uint64_t k;

	if (x == NULL || x->state != TFTP_XFER_RUNNING)
		return TFTP_ACT_IGNORED;
	if (tftp_parse(pkt, len, &p, NULL) != TFTP_OK)
		return TFTP_ACT_IGNORED;
	if (p.opcode == TFTP_ERROR) {
		x->peer_error = p.error_code;
		x->state = TFTP_XFER_FAILED;
		x->deadline_ms = 0;
		return TFTP_ACT_FAILED;
	}
	if (p.opcode != TFTP_ACK)
		return TFTP_ACT_IGNORED;
	if (x->oack_wait) {
		if (p.block != 0)
			return TFTP_ACT_IGNORED;
		x->oack_wait = 0;
		x->acked = 0;
	} else {
		/* The absolute block this ACK names, within what was sent. */
		k = x->acked + (uint16_t)(p.block - (uint16_t)x->acked);
		if (k > x->sent_hi)
			return TFTP_ACT_IGNORED; /* never sent, or stale */
		if (k == x->acked)
			return TFTP_ACT_NONE; /* duplicate: never resend */
		x->acked = k;
		if (x->acked >= x->nblocks) {
			x->state = TFTP_XFER_DONE;
			x->deadline_ms = 0;
			x->send_next = x->send_end = 0;
			return TFTP_ACT_DONE;
		}
	}
	x->retries = 0;
	x->resending = 0;
	x->timeout_ms = x->base_timeout_ms;
	queue_window(x);
	x->deadline_ms = now_ms + x->timeout_ms;
	return TFTP_ACT_SEND;
}

int
tftp_xfer_timer(struct tftp_xfer *x, uint64_t now_ms)
{
	if (x == NULL || x->state != TFTP_XFER_RUNNING || x->deadline_ms == 0 ||
	    now_ms < x->deadline_ms)
		return TFTP_ACT_NONE;
	if (++x->retries > x->max_retries) {
		x->state = TFTP_XFER_FAILED;
		x->deadline_ms = 0;
		return TFTP_ACT_FAILED;
	}
	x->timeout_ms = x->timeout_ms * 2 > x->max_timeout_ms
	    ? x->max_timeout_ms
	    : x->timeout_ms * 2;
	x->deadline_ms = now_ms + x->timeout_ms;
	x->resending = 1;
	if (x->oack_wait)
		x->send_oack = 1;
	else
		queue_window(x);
	return TFTP_ACT_SEND;
}

uint64_t
tftp_xfer_deadline(const struct tftp_xfer *x)
{
	if (x == NULL || x->state != TFTP_XFER_RUNNING)
		return 0;
	return x->deadline_ms;
}
