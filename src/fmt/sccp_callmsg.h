/*
 * SCCP call-control messages from the call manager to a phone (spec 8,
 * 9.5): CallState, CallInfo, tones, ringer, lamps, prompts, the dialed
 * number, and the media teardown messages.  Pure builders in the style
 * of fmt/sccp.h: each appends one PDU to out, SCCP_OK or SCCP_E_ARG.
 * hdr_version is the header version for the device (sccp_sess_hdr);
 * proto is the negotiated protocol version where a layout depends on it.
 */
#ifndef OPENCME_FMT_SCCP_CALLMSG_H
#define OPENCME_FMT_SCCP_CALLMSG_H

#include <stdint.h>

#include "lib/buf.h"

/* CallState (0x0111): state, line, call reference; privacy 0,
 * precedence level 4 (routine), domain 0. */
int sccp_call_state_build(struct buf *out, uint32_t hdr_version, uint32_t state,
    uint32_t line, uint32_t ref);

/* CallInfo (0x008F), the fixed 384-byte layout (spec 8). */
struct sccp_call_info {
	const char *calling_name, *calling;
	const char *called_name, *called;
	uint32_t line, ref, call_type;
	const char *original_called_name, *original_called;
	const char *last_redirecting_name, *last_redirecting;
	uint32_t original_redirect_reason, last_redirect_reason;
	uint32_t call_instance;
	uint32_t security_status; /* spec 10.3: 1 unknown, 2 authenticated,
				     3 encrypted, 0 not authenticated */
};
int sccp_call_info_build(
    struct buf *out, uint32_t hdr_version, const struct sccp_call_info *ci);

int sccp_start_tone_build(struct buf *out, uint32_t hdr_version, uint32_t tone,
    uint32_t line, uint32_t ref);
/* StopTone: the tone field only from protocol 11 on. */
int sccp_stop_tone_build(struct buf *out, uint32_t hdr_version, uint32_t proto,
    uint32_t line, uint32_t ref);
int sccp_set_ringer_build(struct buf *out, uint32_t hdr_version, uint32_t mode,
    uint32_t duration, uint32_t line, uint32_t ref);
int sccp_set_lamp_build(struct buf *out, uint32_t hdr_version,
    uint32_t stimulus, uint32_t instance, uint32_t mode);
int sccp_set_speaker_mode_build(
    struct buf *out, uint32_t hdr_version, uint32_t mode);
int sccp_activate_call_plane_build(
    struct buf *out, uint32_t hdr_version, uint32_t line);
/* DisplayPromptStatus: text cut to 31 bytes. */
int sccp_display_prompt_build(struct buf *out, uint32_t hdr_version,
    uint32_t timeout_s, const char *text, uint32_t line, uint32_t ref);
int sccp_clear_prompt_build(
    struct buf *out, uint32_t hdr_version, uint32_t line, uint32_t ref);
/* DialedNumber: a 24-byte number before protocol 18, 25 from 18 on. */
int sccp_dialed_number_build(struct buf *out, uint32_t hdr_version,
    uint32_t proto, const char *number, uint32_t line, uint32_t ref);
/* CloseReceiveChannel / StopMediaTransmission (spec 9.5), port handling
 * 0 (close the port). */
int sccp_close_receive_channel_build(struct buf *out, uint32_t hdr_version,
    uint32_t conference, uint32_t party, uint32_t ref);
int sccp_stop_media_transmission_build(struct buf *out, uint32_t hdr_version,
    uint32_t conference, uint32_t party, uint32_t ref);

#endif
