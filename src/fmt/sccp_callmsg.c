/* SCCP call-control messages (sccp_callmsg.h). */
#include <string.h>

#include "fmt/sccp.h"
#include "fmt/sccp_callmsg.h"

static void
put32(uint8_t *b, size_t off, uint32_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
	b[off + 2] = (uint8_t)(v >> 16);
	b[off + 3] = (uint8_t)(v >> 24);
}

/* A NUL-terminated string in a field of cap bytes, cut to fit. */
static void
putstr(uint8_t *b, size_t off, size_t cap, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n > cap - 1)
		n = cap - 1;
	memset(b + off, 0, cap);
	if (n > 0)
		memcpy(b + off, s, n);
}

static int
raw(struct buf *out, uint32_t id, uint32_t hdr_version, const uint8_t *body,
    size_t len)
{
	struct sccp_msg m;

	if (out == NULL)
		return SCCP_E_ARG;
	memset(&m, 0, sizeof(m));
	m.id = id;
	m.hdr_version = hdr_version;
	m.body = body;
	m.body_len = len;
	return sccp_msg_build(out, &m);
}

/* Up to four u32 fields. */
static int
u32s(struct buf *out, uint32_t id, uint32_t h, size_t n, uint32_t a, uint32_t b,
    uint32_t c, uint32_t d)
{
	uint8_t body[16];
	uint32_t v[4] = {a, b, c, d};

	for (size_t i = 0; i < n; i++)
		put32(body, 4 * i, v[i]);
	return raw(out, id, h, body, 4 * n);
}

int
sccp_call_state_build(struct buf *out, uint32_t hdr_version, uint32_t state,
    uint32_t line, uint32_t ref)
{
	uint8_t b[24];

	memset(b, 0, sizeof(b));
	put32(b, 0, state);
	put32(b, 4, line);
	put32(b, 8, ref);
	put32(b, 12, 0); /* privacy */
	put32(b, 16, 4); /* precedence: routine */
	put32(b, 20, 0);
	return raw(out, SCCP_CALL_STATE, hdr_version, b, sizeof(b));
}

int
sccp_call_info_build(
    struct buf *out, uint32_t hdr_version, const struct sccp_call_info *ci)
{
	uint8_t b[384];

	if (ci == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	putstr(b, 0, 40, ci->calling_name);
	putstr(b, 40, 24, ci->calling);
	putstr(b, 64, 40, ci->called_name);
	putstr(b, 104, 24, ci->called);
	put32(b, 128, ci->line);
	put32(b, 132, ci->ref);
	put32(b, 136, ci->call_type);
	putstr(b, 140, 40, ci->original_called_name);
	putstr(b, 180, 24, ci->original_called);
	putstr(b, 204, 40, ci->last_redirecting_name);
	putstr(b, 244, 24, ci->last_redirecting);
	put32(b, 268, ci->original_redirect_reason);
	put32(b, 272, ci->last_redirect_reason);
	put32(b, 372, ci->call_instance);
	put32(b, 376, ci->security_status);
	put32(b, 380, 0); /* nothing restricted */
	return raw(out, SCCP_CALL_INFO, hdr_version, b, sizeof(b));
}

int
sccp_start_tone_build(struct buf *out, uint32_t hdr_version, uint32_t tone,
    uint32_t line, uint32_t ref)
{
	return u32s(out, SCCP_START_TONE, hdr_version, 4, tone, 0, line, ref);
}

int
sccp_stop_tone_build(struct buf *out, uint32_t hdr_version, uint32_t proto,
    uint32_t line, uint32_t ref)
{
	return u32s(out, SCCP_STOP_TONE, hdr_version, proto >= 11 ? 3 : 2, line,
	    ref, 0, 0);
}

int
sccp_set_ringer_build(struct buf *out, uint32_t hdr_version, uint32_t mode,
    uint32_t duration, uint32_t line, uint32_t ref)
{
	return u32s(
	    out, SCCP_SET_RINGER, hdr_version, 4, mode, duration, line, ref);
}

int
sccp_set_lamp_build(struct buf *out, uint32_t hdr_version, uint32_t stimulus,
    uint32_t instance, uint32_t mode)
{
	return u32s(
	    out, SCCP_SET_LAMP, hdr_version, 3, stimulus, instance, mode, 0);
}

int
sccp_set_speaker_mode_build(
    struct buf *out, uint32_t hdr_version, uint32_t mode)
{
	return u32s(out, SCCP_SET_SPEAKER_MODE, hdr_version, 1, mode, 0, 0, 0);
}

int
sccp_activate_call_plane_build(
    struct buf *out, uint32_t hdr_version, uint32_t line)
{
	return u32s(
	    out, SCCP_ACTIVATE_CALL_PLANE, hdr_version, 1, line, 0, 0, 0);
}

int
sccp_display_prompt_build(struct buf *out, uint32_t hdr_version,
    uint32_t timeout_s, const char *text, uint32_t line, uint32_t ref)
{
	uint8_t b[44];

	put32(b, 0, timeout_s);
	putstr(b, 4, 32, text);
	put32(b, 36, line);
	put32(b, 40, ref);
	return raw(out, SCCP_DISPLAY_PROMPT_STATUS, hdr_version, b, sizeof(b));
}

int
sccp_clear_prompt_build(
    struct buf *out, uint32_t hdr_version, uint32_t line, uint32_t ref)
{
	return u32s(
	    out, SCCP_CLEAR_PROMPT_STATUS, hdr_version, 2, line, ref, 0, 0);
}

int
sccp_dialed_number_build(struct buf *out, uint32_t hdr_version, uint32_t proto,
    const char *number, uint32_t line, uint32_t ref)
{
	uint8_t b[33];
	size_t n = proto >= 18 ? 25 : 24;

	putstr(b, 0, n, number);
	put32(b, n, line);
	put32(b, n + 4, ref);
	return raw(out, SCCP_DIALED_NUMBER, hdr_version, b, n + 8);
}

int
sccp_close_receive_channel_build(struct buf *out, uint32_t hdr_version,
    uint32_t conference, uint32_t party, uint32_t ref)
{
	return u32s(out, SCCP_CLOSE_RECEIVE_CHANNEL, hdr_version, 4, conference,
	    party, ref, 0);
}

int
sccp_stop_media_transmission_build(struct buf *out, uint32_t hdr_version,
    uint32_t conference, uint32_t party, uint32_t ref)
{
	return u32s(out, SCCP_STOP_MEDIA_TRANSMISSION, hdr_version, 4,
	    conference, party, ref, 0);
}
