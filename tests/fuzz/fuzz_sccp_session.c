/*
 * libFuzzer target: the SCCP session (src/svc/sccp/sccp_session.c) fed a
 * TCP stream the way the service frames it.  The first byte picks the
 * fake configuration's answer (accept or refuse, TCP or TLS); every
 * answer the session produces must parse again, and a session that said
 * close must stay closed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sccp/sccp_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fz_check(void *arg, const struct sccp_register *r, struct sccp_dev_info *info,
    const char **reject)
{
	int accept = *(const int *)arg;

	if (!accept || r->device_name[0] == '\0') {
		*reject = "Unknown device";
		return -1;
	}
	info->nlines = 2;
	memcpy(info->lines[0].number, "1001", 5);
	memcpy(info->server_name, "CME1", 5);
	return 0;
}

static time_t
fz_now(void *arg)
{
	(void)arg;
	return 1700000000;
}

static const struct sccp_sess_ops fz_ops = {fz_check, NULL, fz_now, NULL};

/* Every answer must be well formed. */
static void
check_out(const struct buf *out)
{
	const uint8_t *p = (const uint8_t *)out->data;
	size_t left = out->len;

	while (left > 0) {
		struct sccp_msg m;

		if (sccp_msg_parse(p, left, &m, NULL) != SCCP_OK)
			abort();
		p += m.pdu_len;
		left -= m.pdu_len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sccp_sess s;
	int accept, closed = 0;
	size_t off = 1, need = 0;

	if (size < 1)
		return 0;
	accept = data[0] & 1;
	sccp_sess_init(&s, &fz_ops, &accept,
	    data[0] & 2 ? SCCP_TRANSPORT_TLS : SCCP_TRANSPORT_TCP);
	while (off < size) {
		struct buf out = BUF_INIT;
		struct sccp_error err = {0, NULL};
		int rc = sccp_frame_len(data + off, size - off, &need);

		if (rc != 1)
			break;
		rc = sccp_sess_input(&s, data + off, need, &out, &err);
		check_out(&out);
		if (closed && (rc != SCCP_SESS_CLOSE || out.len != 0))
			abort();
		if (rc == SCCP_SESS_ERROR && err.what == NULL)
			abort();
		buf_free(&out);
		if (rc == SCCP_SESS_ERROR)
			break;
		if (rc == SCCP_SESS_CLOSE)
			closed = 1;
		if (sccp_sess_timeout_ms(&s) == 0)
			abort();
		off += need;
	}
	return 0;
}
