/*
 * SCCP message codec (spec ../shared/spec/sccp.md).  Bodies are decoded
 * from a zero-filled copy of at most SCCP_BODY_MAX bytes, so a field past
 * the end of a short (older) body reads as 0 as the spec asks, and no read
 * can leave the copy; minimum sizes are checked before decoding.
 */
#include "fmt/sccp.h"

#include <string.h>

#include <openssl/crypto.h>

/* Largest layout decoded or built here (Register with config stamp). */
#define SCCP_BODY_MAX 256u

static const char *const err_strs[] = {
    "ok",
    "truncated",
    "length field below 4",
    "message too big",
    "invalid header version",
    "malformed field",
    "bad argument",
};

const char *
sccp_err_str(int err)
{
	if (err > 0 || -err >= (int)(sizeof(err_strs) / sizeof(err_strs[0])))
		return "unknown error";
	return err_strs[-err];
}

static const struct {
	uint32_t id;
	const char *name;
} names[] = {
    {SCCP_KEEP_ALIVE, "KeepAlive"},
    {SCCP_REGISTER, "Register"},
    {SCCP_KEYPAD_BUTTON, "KeypadButton"},
    {SCCP_ENBLOC_CALL, "EnblocCall"},
    {SCCP_STIMULUS, "Stimulus"},
    {SCCP_OFF_HOOK, "OffHook"},
    {SCCP_ON_HOOK, "OnHook"},
    {SCCP_FORWARD_STAT_REQ, "ForwardStatReq"},
    {SCCP_SPEED_DIAL_STAT_REQ, "SpeedDialStatReq"},
    {SCCP_LINE_STAT_REQ, "LineStatReq"},
    {SCCP_CONFIG_STAT_REQ, "ConfigStatReq"},
    {SCCP_TIME_DATE_REQ, "TimeDateReq"},
    {SCCP_BUTTON_TEMPLATE_REQ, "ButtonTemplateReq"},
    {SCCP_VERSION_REQ, "VersionReq"},
    {SCCP_CAPABILITIES_RES, "CapabilitiesRes"},
    {SCCP_SERVER_REQ, "ServerReq"},
    {SCCP_ALARM, "Alarm"},
    {SCCP_OPEN_RECEIVE_CHANNEL_ACK, "OpenReceiveChannelAck"},
    {SCCP_SOFT_KEY_SET_REQ, "SoftKeySetReq"},
    {SCCP_SOFT_KEY_EVENT, "SoftKeyEvent"},
    {SCCP_UNREGISTER, "Unregister"},
    {SCCP_SOFT_KEY_TEMPLATE_REQ, "SoftKeyTemplateReq"},
    {SCCP_REGISTER_TOKEN_REQ, "RegisterTokenReq"},
    {SCCP_MEDIA_TRANSMISSION_FAILURE, "MediaTransmissionFailure"},
    {SCCP_HEADSET_STATUS, "HeadsetStatus"},
    {SCCP_REGISTER_AVAILABLE_LINES, "RegisterAvailableLines"},
    {SCCP_UPDATE_CAPABILITIES, "UpdateCapabilities"},
    {SCCP_SERVICE_URL_STAT_REQ, "ServiceURLStatReq"},
    {SCCP_FEATURE_STAT_REQ, "FeatureStatReq"},
    {SCCP_UPDATE_CAPABILITIES_V2, "UpdateCapabilitiesV2"},
    {SCCP_UPDATE_CAPABILITIES_V3, "UpdateCapabilitiesV3"},
    {SCCP_REGISTER_ACK, "RegisterAck"},
    {SCCP_START_TONE, "StartTone"},
    {SCCP_STOP_TONE, "StopTone"},
    {SCCP_SET_RINGER, "SetRinger"},
    {SCCP_SET_LAMP, "SetLamp"},
    {SCCP_SET_SPEAKER_MODE, "SetSpeakerMode"},
    {SCCP_SET_MICRO_MODE, "SetMicroMode"},
    {SCCP_START_MEDIA_TRANSMISSION, "StartMediaTransmission"},
    {SCCP_STOP_MEDIA_TRANSMISSION, "StopMediaTransmission"},
    {SCCP_CALL_INFO, "CallInfo"},
    {SCCP_FORWARD_STAT, "ForwardStat"},
    {SCCP_SPEED_DIAL_STAT, "SpeedDialStat"},
    {SCCP_LINE_STAT, "LineStat"},
    {SCCP_CONFIG_STAT, "ConfigStat"},
    {SCCP_DEFINE_TIME_DATE, "DefineTimeDate"},
    {SCCP_BUTTON_TEMPLATE, "ButtonTemplate"},
    {SCCP_VERSION, "Version"},
    {SCCP_CAPABILITIES_REQ, "CapabilitiesReq"},
    {SCCP_REGISTER_REJECT, "RegisterReject"},
    {SCCP_SERVER_RES, "ServerRes"},
    {SCCP_RESET, "Reset"},
    {SCCP_KEEP_ALIVE_ACK, "KeepAliveAck"},
    {SCCP_OPEN_RECEIVE_CHANNEL, "OpenReceiveChannel"},
    {SCCP_CLOSE_RECEIVE_CHANNEL, "CloseReceiveChannel"},
    {SCCP_SOFT_KEY_TEMPLATE_RES, "SoftKeyTemplateRes"},
    {SCCP_SOFT_KEY_SET_RES, "SoftKeySetRes"},
    {SCCP_SELECT_SOFT_KEYS, "SelectSoftKeys"},
    {SCCP_CALL_STATE, "CallState"},
    {SCCP_DISPLAY_PROMPT_STATUS, "DisplayPromptStatus"},
    {SCCP_CLEAR_PROMPT_STATUS, "ClearPromptStatus"},
    {SCCP_DISPLAY_NOTIFY, "DisplayNotify"},
    {SCCP_CLEAR_NOTIFY, "ClearNotify"},
    {SCCP_ACTIVATE_CALL_PLANE, "ActivateCallPlane"},
    {SCCP_DEACTIVATE_CALL_PLANE, "DeactivateCallPlane"},
    {SCCP_UNREGISTER_ACK, "UnregisterAck"},
    {SCCP_REGISTER_TOKEN_ACK, "RegisterTokenAck"},
    {SCCP_REGISTER_TOKEN_REJECT, "RegisterTokenReject"},
    {SCCP_DIALED_NUMBER, "DialedNumber"},
    {SCCP_START_MEDIA_TRANSMISSION_ACK, "StartMediaTransmissionAck"},
};

const char *
sccp_msg_name(uint32_t id)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].id == id)
			return names[i].name;
	return "Unknown";
}

int
sccp_hdr_version_is_valid(uint32_t v)
{
	return v == 0 || v == 10 || v == 11 || (v >= 15 && v <= 22);
}

uint32_t
sccp_hdr_version_for(uint32_t id, uint32_t proto)
{
	if (id == SCCP_REGISTER_ACK || id == SCCP_KEEP_ALIVE_ACK ||
	    id == SCCP_UNREGISTER_ACK || proto < 10)
		return 0;
	return proto;
}

/* ------------------------------------------------------------------ */
/* Little-endian helpers on fixed, already bounded arrays. */

static uint32_t
get32(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 |
	    (uint32_t)b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
}

static uint16_t
get16(const uint8_t *b, size_t off)
{
	return (uint16_t)(b[off] | b[off + 1] << 8);
}

static void
put32(uint8_t *b, size_t off, uint32_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
	b[off + 2] = (uint8_t)(v >> 16);
	b[off + 3] = (uint8_t)(v >> 24);
}

static void
put16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
}

/* Fixed char[n] field -> NUL-terminated dst of n + 1 bytes. */
static void
get_str(char *dst, const uint8_t *b, size_t off, size_t n)
{
	size_t l = 0;

	while (l < n && b[off + l] != 0)
		l++;
	memcpy(dst, b + off, l);
	dst[l] = '\0';
}

/* String into char[n] (NUL-padded); -1 if it does not fit with its NUL. */
static int
put_str(uint8_t *b, size_t off, size_t n, const char *s)
{
	size_t l = strnlen(s, n);

	if (l >= n)
		return -1;
	memcpy(b + off, s, l);
	return 0;
}

static int
fail(struct sccp_error *err, int rc, size_t offset, const char *what)
{
	if (err != NULL) {
		err->offset = offset;
		err->what = what;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Framing */

int
sccp_frame_len(const uint8_t *data, size_t len, size_t *need)
{
	uint32_t length;

	if (need == NULL || (data == NULL && len > 0))
		return SCCP_E_ARG;
	if (len < SCCP_PREFIX_LEN) {
		*need = SCCP_PREFIX_LEN;
		return 0;
	}
	length = get32(data, 0);
	if (length < 4)
		return SCCP_E_LENGTH;
	if (length > SCCP_MAX_PDU - SCCP_PREFIX_LEN)
		return SCCP_E_TOOBIG;
	if (!sccp_hdr_version_is_valid(get32(data, 4)))
		return SCCP_E_VERSION;
	*need = (size_t)length + SCCP_PREFIX_LEN;
	return len >= *need ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Parsers of one body (b is the zero-filled copy, n the real length). */

static void
get_key(struct sccp_key_info *k, const uint8_t *b, size_t off)
{
	k->algorithm_id = get32(b, off);
	k->key_len = get16(b, off + 4);
	k->salt_len = get16(b, off + 6);
	memcpy(k->key, b + off + 8, SCCP_KEY_LEN);
	memcpy(k->salt, b + off + 24, SCCP_SALT_LEN);
	k->is_mki_present = get32(b, off + 40);
	k->key_derivation_rate = get32(b, off + 44);
}

static int
check_key(const struct sccp_key_info *k, size_t off, struct sccp_error *err)
{
	if (k->key_len > SCCP_KEY_LEN)
		return fail(err, SCCP_E_FORMAT, SCCP_HEADER_LEN + off + 4,
		    "key length over 16");
	if (k->salt_len > SCCP_SALT_LEN)
		return fail(err, SCCP_E_FORMAT, SCCP_HEADER_LEN + off + 6,
		    "salt length over 16");
	return SCCP_OK;
}

/* IpAddr: 4 bytes (v4 only) or 20 (type + 16). */
static void
get_ip(struct sccp_ipaddr *ip, const uint8_t *b, size_t off, int is_long)
{
	memset(ip, 0, sizeof(*ip));
	if (is_long) {
		ip->type = get32(b, off);
		memcpy(ip->addr, b + off + 4, 16);
	} else {
		memcpy(ip->addr, b + off, 4);
	}
}

static void
put_ip(uint8_t *b, size_t off, const struct sccp_ipaddr *ip, int is_long)
{
	if (is_long) {
		put32(b, off, ip->type);
		memcpy(b + off + 4, ip->addr, 16);
	} else {
		memcpy(b + off, ip->addr, 4);
	}
}

static void
parse_register(struct sccp_register *r, const uint8_t *b)
{
	get_str(r->device_name, b, 0, SCCP_DEVICE_NAME_LEN);
	r->user_id = get32(b, 16);
	r->instance = get32(b, 20);
	memcpy(r->ip, b + 24, 4);
	r->device_type = get32(b, 28);
	r->max_streams = get32(b, 32);
	r->active_streams = get32(b, 36);
	r->protocol_version = b[40];
	memcpy(r->features, b + 41, 3);
	r->max_conferences = get32(b, 44);
	r->active_conferences = get32(b, 48);
	memcpy(r->mac, b + 52, 12);
	r->ipv4_scope = get32(b, 64);
	r->max_lines = get32(b, 68);
	memcpy(r->ipv6, b + 72, 16);
	r->ipv6_scope = get32(b, 88);
	get_str(r->load_name, b, 92, 32);
	get_str(r->config_version_stamp, b, 124, 48);
}

static void
parse_orc(struct sccp_msg *m, const uint8_t *b, size_t n)
{
	struct sccp_open_receive_channel *o = &m->u.orc;
	int is_v17 = n >= 128;

	o->conference_id = get32(b, 0);
	o->pass_thru_party_id = get32(b, 4);
	o->ms_packet_size = get32(b, 8);
	o->compression_type = get32(b, 12);
	o->ec_value = get32(b, 16);
	o->codec_params = get32(b, 20);
	o->call_reference = get32(b, 24);
	get_key(&o->key, b, 28);
	o->stream_pass_through_id = get32(b, 76);
	o->associated_stream_id = get32(b, 80);
	o->rfc2833_payload_type = get32(b, 84);
	o->dtmf_type = get32(b, 88);
	o->mixing_mode = get32(b, 92);
	o->party_direction = get32(b, 96);
	get_ip(&o->source_ip, b, 100, is_v17);
	o->source_port = get32(b, is_v17 ? 120 : 104);
	o->requested_ip_addr_type = get32(b, is_v17 ? 124 : 108);
	if (is_v17) {
		o->audio_level_adjustment = (int32_t)get32(b, 128);
		memcpy(o->latent_caps, b + 132, SCCP_LATENT_CAPS_LEN);
	}
	m->layout_version = n >= 168 ? 21
	    : is_v17                 ? 17
	    : n >= 112               ? 16
	    : n >= 108               ? 11
	                             : 10;
}

static void
parse_smt(struct sccp_msg *m, const uint8_t *b, size_t n)
{
	struct sccp_start_media_transmission *s = &m->u.smt;
	int is_v17 = n >= 132;
	size_t d = is_v17 ? 16 : 0;

	s->conference_id = get32(b, 0);
	s->pass_thru_party_id = get32(b, 4);
	get_ip(&s->remote_ip, b, 8, is_v17);
	s->remote_port = get32(b, 12 + d);
	s->ms_packet_size = get32(b, 16 + d);
	s->compression_type = get32(b, 20 + d);
	s->precedence = get32(b, 24 + d);
	s->ss_value = get32(b, 28 + d);
	s->max_frames_per_packet = get16(b, 32 + d);
	s->codec_params = get32(b, 36 + d);
	s->call_reference = get32(b, 40 + d);
	get_key(&s->key, b, 44 + d);
	s->stream_pass_through_id = get32(b, 92 + d);
	s->associated_stream_id = get32(b, 96 + d);
	s->rfc2833_payload_type = get32(b, 100 + d);
	s->dtmf_type = get32(b, 104 + d);
	s->mixing_mode = get32(b, 108 + d);
	s->party_direction = get32(b, 112 + d);
	if (is_v17)
		memcpy(s->latent_caps, b + 132, SCCP_LATENT_CAPS_LEN);
	m->layout_version = n >= 168 ? 21 : is_v17 ? 17 : n >= 116 ? 15 : 11;
}

/* Minimum body size per decoded id; 0 if the id has no decoder. */
static size_t
min_body(uint32_t id, int *is_known)
{
	*is_known = 1;
	switch (id) {
	case SCCP_REGISTER:
		return 36;
	case SCCP_REGISTER_ACK:
		return 17; /* up to the protocol version byte */
	case SCCP_REGISTER_REJECT:
	case SCCP_UNREGISTER:
	case SCCP_OFF_HOOK:
	case SCCP_ON_HOOK:
	case SCCP_KEEP_ALIVE:
	case SCCP_KEEP_ALIVE_ACK:
		return 0;
	case SCCP_UNREGISTER_ACK:
	case SCCP_KEYPAD_BUTTON:
		return 4;
	case SCCP_SOFT_KEY_EVENT:
		return 12;
	case SCCP_STIMULUS:
		return 16;
	case SCCP_OPEN_RECEIVE_CHANNEL_ACK:
		return 16;
	case SCCP_START_MEDIA_TRANSMISSION_ACK:
		return 24;
	case SCCP_OPEN_RECEIVE_CHANNEL:
		return 92;
	case SCCP_START_MEDIA_TRANSMISSION:
		return 112;
	default:
		*is_known = 0;
		return 0;
	}
}

int
sccp_msg_parse(const uint8_t *data, size_t len, struct sccp_msg *out,
    struct sccp_error *err)
{
	uint8_t b[SCCP_BODY_MAX];
	size_t need = 0, n, min;
	int rc;

	if (out == NULL || (data == NULL && len > 0))
		return fail(err, SCCP_E_ARG, 0, "bad argument");
	rc = sccp_frame_len(data, len, &need);
	if (rc == SCCP_E_LENGTH)
		return fail(err, rc, 0, "length field below 4");
	if (rc == SCCP_E_TOOBIG)
		return fail(err, rc, 0, "length over maximum PDU size");
	if (rc == SCCP_E_VERSION)
		return fail(err, rc, 4, "invalid header version");
	if (rc < 0)
		return fail(err, rc, 0, "bad argument");
	if (rc == 0)
		return fail(err, SCCP_E_TRUNCATED, len,
		    need == SCCP_PREFIX_LEN ? "short header"
		                            : "message runs past the end");

	memset(out, 0, sizeof(*out));
	out->hdr_version = get32(data, 4);
	out->id = get32(data, 8);
	out->pdu_len = need;
	out->body_len = need - SCCP_HEADER_LEN;
	out->body = out->body_len > 0 ? data + SCCP_HEADER_LEN : NULL;

	min = min_body(out->id, &out->is_known);
	n = out->body_len;
	if (n < min)
		return fail(err, SCCP_E_TRUNCATED, need,
		    "body shorter than the message layout");
	if (!out->is_known)
		return SCCP_OK;

	memset(b, 0, sizeof(b));
	if (n > 0)
		memcpy(b, out->body, n < sizeof(b) ? n : sizeof(b));

	switch (out->id) {
	case SCCP_REGISTER:
		parse_register(&out->u.reg, b);
		break;
	case SCCP_REGISTER_ACK: {
		struct sccp_register_ack *a = &out->u.register_ack;

		a->keepalive_s = get32(b, 0);
		get_str(a->date_template, b, 4, SCCP_DATE_TEMPLATE_LEN);
		a->secondary_keepalive_s = get32(b, 12);
		a->protocol_version = b[16];
		memcpy(a->features, b + 17, 3);
		break;
	}
	case SCCP_REGISTER_REJECT:
		get_str(out->u.reject_text, b, 0, SCCP_REJECT_TEXT_LEN);
		break;
	case SCCP_UNREGISTER:
		out->u.unregister.has_reason = n >= 4;
		out->u.unregister.reason = get32(b, 0);
		break;
	case SCCP_UNREGISTER_ACK:
		out->u.unregister_status = get32(b, 0);
		break;
	case SCCP_OFF_HOOK:
	case SCCP_ON_HOOK:
		out->u.hook.has_call = n >= 8;
		out->u.hook.line_instance = get32(b, 0);
		out->u.hook.call_reference = get32(b, 4);
		break;
	case SCCP_KEYPAD_BUTTON:
		out->u.keypad.button = get32(b, 0);
		out->u.keypad.has_call = n >= 12;
		out->u.keypad.line_instance = get32(b, 4);
		out->u.keypad.call_reference = get32(b, 8);
		break;
	case SCCP_SOFT_KEY_EVENT:
		out->u.soft_key.event = get32(b, 0);
		out->u.soft_key.line_instance = get32(b, 4);
		out->u.soft_key.call_reference = get32(b, 8);
		break;
	case SCCP_STIMULUS:
		out->u.stimulus.stimulus = get32(b, 0);
		out->u.stimulus.instance = get32(b, 4);
		out->u.stimulus.call_reference = get32(b, 8);
		out->u.stimulus.status = get32(b, 12);
		break;
	case SCCP_OPEN_RECEIVE_CHANNEL_ACK: {
		struct sccp_open_receive_channel_ack *a = &out->u.orc_ack;
		int is_v17 = n >= 36;
		size_t d = is_v17 ? 16 : 0;

		a->status = get32(b, 0);
		get_ip(&a->ip, b, 4, is_v17);
		a->port = get32(b, 8 + d);
		a->pass_thru_party_id = get32(b, 12 + d);
		a->has_call_reference = n >= 20;
		a->call_reference = get32(b, 16 + d);
		out->layout_version = is_v17 ? 17 : 11;
		break;
	}
	case SCCP_START_MEDIA_TRANSMISSION_ACK: {
		struct sccp_start_media_transmission_ack *a = &out->u.smt_ack;
		int is_v17 = n >= 40;
		size_t d = is_v17 ? 16 : 0;

		a->conference_id = get32(b, 0);
		a->pass_thru_party_id = get32(b, 4);
		a->call_reference = get32(b, 8);
		get_ip(&a->ip, b, 12, is_v17);
		a->port = get32(b, 16 + d);
		a->status = get32(b, 20 + d);
		out->layout_version = is_v17 ? 17 : 11;
		break;
	}
	case SCCP_OPEN_RECEIVE_CHANNEL:
		parse_orc(out, b, n);
		return check_key(&out->u.orc.key, 28, err);
	case SCCP_START_MEDIA_TRANSMISSION:
		parse_smt(out, b, n);
		return check_key(&out->u.smt.key, n >= 132 ? 60 : 44, err);
	default:
		break;
	}
	return SCCP_OK;
}

int
sccp_key_info_check(const struct sccp_key_info *k)
{
	static const uint8_t salt_len[] = {0, 14, 14, 14, 14, 12};

	if (k == NULL)
		return SCCP_E_ARG;
	if (k->algorithm_id >= sizeof(salt_len))
		return SCCP_E_FORMAT;
	if (k->algorithm_id == SCCP_KEY_ALG_NONE)
		return k->key_len == 0 && k->salt_len == 0 ? SCCP_OK
		                                           : SCCP_E_FORMAT;
	if (k->key_len != 16 || k->salt_len != salt_len[k->algorithm_id])
		return SCCP_E_FORMAT;
	return SCCP_OK;
}

/* ------------------------------------------------------------------ */
/* Builders */

static void
put_key(uint8_t *b, size_t off, const struct sccp_key_info *k)
{
	put32(b, off, k->algorithm_id);
	put16(b, off + 4, k->key_len);
	put16(b, off + 6, k->salt_len);
	memcpy(b + off + 8, k->key, SCCP_KEY_LEN);
	memcpy(b + off + 24, k->salt, SCCP_SALT_LEN);
	put32(b, off + 40, k->is_mki_present);
	put32(b, off + 44, k->key_derivation_rate);
}

static size_t
build_orc(uint8_t *b, const struct sccp_msg *m)
{
	const struct sccp_open_receive_channel *o = &m->u.orc;
	uint32_t v = m->layout_version;
	int is_v17 = v >= 17;

	put32(b, 0, o->conference_id);
	put32(b, 4, o->pass_thru_party_id);
	put32(b, 8, o->ms_packet_size);
	put32(b, 12, o->compression_type);
	put32(b, 16, o->ec_value);
	put32(b, 20, o->codec_params);
	put32(b, 24, o->call_reference);
	put_key(b, 28, &o->key);
	put32(b, 76, o->stream_pass_through_id);
	put32(b, 80, o->associated_stream_id);
	put32(b, 84, o->rfc2833_payload_type);
	put32(b, 88, o->dtmf_type);
	if (v < 11)
		return 92;
	put32(b, 92, o->mixing_mode);
	put32(b, 96, o->party_direction);
	put_ip(b, 100, &o->source_ip, is_v17);
	put32(b, is_v17 ? 120 : 104, o->source_port);
	if (v < 16)
		return 108;
	put32(b, is_v17 ? 124 : 108, o->requested_ip_addr_type);
	if (v < 17)
		return 112;
	if (v < 21)
		return 128;
	put32(b, 128, (uint32_t)o->audio_level_adjustment);
	memcpy(b + 132, o->latent_caps, SCCP_LATENT_CAPS_LEN);
	return 168;
}

static size_t
build_smt(uint8_t *b, const struct sccp_msg *m)
{
	const struct sccp_start_media_transmission *s = &m->u.smt;
	uint32_t v = m->layout_version;
	int is_v17 = v >= 17;
	size_t d = is_v17 ? 16 : 0;

	put32(b, 0, s->conference_id);
	put32(b, 4, s->pass_thru_party_id);
	put_ip(b, 8, &s->remote_ip, is_v17);
	put32(b, 12 + d, s->remote_port);
	put32(b, 16 + d, s->ms_packet_size);
	put32(b, 20 + d, s->compression_type);
	put32(b, 24 + d, s->precedence);
	put32(b, 28 + d, s->ss_value);
	put16(b, 32 + d, s->max_frames_per_packet);
	put32(b, 36 + d, s->codec_params);
	put32(b, 40 + d, s->call_reference);
	put_key(b, 44 + d, &s->key);
	put32(b, 92 + d, s->stream_pass_through_id);
	put32(b, 96 + d, s->associated_stream_id);
	put32(b, 100 + d, s->rfc2833_payload_type);
	put32(b, 104 + d, s->dtmf_type);
	put32(b, 108 + d, s->mixing_mode);
	if (v < 15)
		return 112;
	put32(b, 112 + d, s->party_direction);
	if (v < 17)
		return 116;
	if (v < 21)
		return 132;
	memcpy(b + 132, s->latent_caps, SCCP_LATENT_CAPS_LEN);
	return 168;
}

static size_t
build_register(uint8_t *b, const struct sccp_register *r, int *bad)
{
	*bad |= put_str(b, 0, SCCP_DEVICE_NAME_LEN, r->device_name);
	put32(b, 16, r->user_id);
	put32(b, 20, r->instance);
	memcpy(b + 24, r->ip, 4);
	put32(b, 28, r->device_type);
	put32(b, 32, r->max_streams);
	put32(b, 36, r->active_streams);
	b[40] = r->protocol_version;
	memcpy(b + 41, r->features, 3);
	put32(b, 44, r->max_conferences);
	put32(b, 48, r->active_conferences);
	memcpy(b + 52, r->mac, 12);
	put32(b, 64, r->ipv4_scope);
	put32(b, 68, r->max_lines);
	memcpy(b + 72, r->ipv6, 16);
	put32(b, 88, r->ipv6_scope);
	*bad |= put_str(b, 92, 32, r->load_name);
	if (r->config_version_stamp[0] == '\0')
		return 124;
	*bad |= put_str(b, 124, 48, r->config_version_stamp);
	return 172;
}

int
sccp_msg_build(struct buf *out, const struct sccp_msg *m)
{
	uint8_t b[SCCP_BODY_MAX], hdr[SCCP_HEADER_LEN];
	const uint8_t *body = b;
	size_t n = 0;
	int bad = 0;

	if (out == NULL || m == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	switch (m->id) {
	case SCCP_REGISTER:
		n = build_register(b, &m->u.reg, &bad);
		break;
	case SCCP_REGISTER_ACK: {
		const struct sccp_register_ack *a = &m->u.register_ack;

		put32(b, 0, a->keepalive_s);
		bad |=
		    put_str(b, 4, SCCP_DATE_TEMPLATE_LEN + 1, a->date_template);
		put32(b, 12, a->secondary_keepalive_s);
		b[16] = a->protocol_version;
		memcpy(b + 17, a->features, 3);
		n = 20;
		break;
	}
	case SCCP_REGISTER_REJECT:
		bad |= put_str(b, 0, SCCP_REJECT_TEXT_LEN, m->u.reject_text);
		n = SCCP_REJECT_TEXT_LEN;
		break;
	case SCCP_KEEP_ALIVE:
	case SCCP_KEEP_ALIVE_ACK:
		n = 0;
		break;
	case SCCP_UNREGISTER:
		put32(b, 0, m->u.unregister.reason);
		n = m->u.unregister.has_reason ? 4 : 0;
		break;
	case SCCP_UNREGISTER_ACK:
		put32(b, 0, m->u.unregister_status);
		n = 4;
		break;
	case SCCP_OFF_HOOK:
	case SCCP_ON_HOOK:
		put32(b, 0, m->u.hook.line_instance);
		put32(b, 4, m->u.hook.call_reference);
		n = m->u.hook.has_call ? 8 : 0;
		break;
	case SCCP_KEYPAD_BUTTON:
		put32(b, 0, m->u.keypad.button);
		put32(b, 4, m->u.keypad.line_instance);
		put32(b, 8, m->u.keypad.call_reference);
		n = m->u.keypad.has_call ? 12 : 4;
		break;
	case SCCP_SOFT_KEY_EVENT:
		put32(b, 0, m->u.soft_key.event);
		put32(b, 4, m->u.soft_key.line_instance);
		put32(b, 8, m->u.soft_key.call_reference);
		n = 12;
		break;
	case SCCP_STIMULUS:
		put32(b, 0, m->u.stimulus.stimulus);
		put32(b, 4, m->u.stimulus.instance);
		put32(b, 8, m->u.stimulus.call_reference);
		put32(b, 12, m->u.stimulus.status);
		n = 16;
		break;
	case SCCP_OPEN_RECEIVE_CHANNEL_ACK: {
		const struct sccp_open_receive_channel_ack *a = &m->u.orc_ack;
		int is_v17 = m->layout_version >= 17;
		size_t d = is_v17 ? 16 : 0;

		put32(b, 0, a->status);
		put_ip(b, 4, &a->ip, is_v17);
		put32(b, 8 + d, a->port);
		put32(b, 12 + d, a->pass_thru_party_id);
		put32(b, 16 + d, a->call_reference);
		n = is_v17 ? 36 : a->has_call_reference ? 20 : 16;
		break;
	}
	case SCCP_START_MEDIA_TRANSMISSION_ACK: {
		const struct sccp_start_media_transmission_ack *a =
		    &m->u.smt_ack;
		int is_v17 = m->layout_version >= 17;
		size_t d = is_v17 ? 16 : 0;

		put32(b, 0, a->conference_id);
		put32(b, 4, a->pass_thru_party_id);
		put32(b, 8, a->call_reference);
		put_ip(b, 12, &a->ip, is_v17);
		put32(b, 16 + d, a->port);
		put32(b, 20 + d, a->status);
		n = is_v17 ? 40 : 24;
		break;
	}
	case SCCP_OPEN_RECEIVE_CHANNEL:
		n = build_orc(b, m);
		break;
	case SCCP_START_MEDIA_TRANSMISSION:
		n = build_smt(b, m);
		break;
	default:
		if (m->body_len > 0 && m->body == NULL)
			return SCCP_E_ARG;
		body = m->body;
		n = m->body_len;
		break;
	}
	if (!bad && n <= SCCP_MAX_PDU - SCCP_HEADER_LEN) {
		put32(hdr, 0, (uint32_t)(n + 4));
		put32(hdr, 4, m->hdr_version);
		put32(hdr, 8, m->id);
		buf_append(out, hdr, sizeof(hdr));
		if (n > 0)
			buf_append(out, body, n);
	}
	/* OpenReceiveChannel and StartMediaTransmission carry SRTP keys:
	 * no copy stays on the stack. */
	if (m->id == SCCP_OPEN_RECEIVE_CHANNEL ||
	    m->id == SCCP_START_MEDIA_TRANSMISSION)
		OPENSSL_cleanse(b, sizeof(b));
	return bad || n > SCCP_MAX_PDU - SCCP_HEADER_LEN ? SCCP_E_ARG : SCCP_OK;
}

int
sccp_register_ack_build(struct buf *out, uint32_t keepalive_s,
    const char *date_template, uint32_t secondary_keepalive_s,
    uint8_t protocol_version)
{
	struct sccp_msg m;
	struct sccp_register_ack *a = &m.u.register_ack;

	if (date_template == NULL ||
	    strlen(date_template) > SCCP_DATE_TEMPLATE_LEN)
		return SCCP_E_ARG;
	memset(&m, 0, sizeof(m));
	m.id = SCCP_REGISTER_ACK;
	m.hdr_version = sccp_hdr_version_for(m.id, protocol_version);
	a->keepalive_s = keepalive_s;
	memcpy(a->date_template, date_template, strlen(date_template) + 1);
	a->secondary_keepalive_s = secondary_keepalive_s;
	a->protocol_version = protocol_version;
	/* chan-sccp's feature bytes (spec 5.2; meaning unknown). */
	if (protocol_version >= 11) {
		a->features[0] = 0x20;
		a->features[1] = 0xF1;
		a->features[2] = 0xFF;
	} else if (protocol_version >= 5) {
		a->features[0] = 0x20;
		a->features[1] = 0xF1;
		a->features[2] = 0xFE;
	}
	return sccp_msg_build(out, &m);
}

int
sccp_register_reject_build(struct buf *out, const char *text)
{
	struct sccp_msg m;

	if (text == NULL || strlen(text) >= SCCP_REJECT_TEXT_LEN)
		return SCCP_E_ARG;
	memset(&m, 0, sizeof(m));
	m.id = SCCP_REGISTER_REJECT;
	memcpy(m.u.reject_text, text, strlen(text) + 1);
	return sccp_msg_build(out, &m);
}

int
sccp_keep_alive_ack_build(struct buf *out)
{
	return sccp_empty_build(out, SCCP_KEEP_ALIVE_ACK, 0);
}

int
sccp_unregister_ack_build(struct buf *out, uint32_t status)
{
	struct sccp_msg m;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_UNREGISTER_ACK;
	m.u.unregister_status = status;
	return sccp_msg_build(out, &m);
}

int
sccp_empty_build(struct buf *out, uint32_t id, uint32_t hdr_version)
{
	struct sccp_msg m;
	int known;

	/* Ids whose layout has no empty form. */
	if (min_body(id, &known) > 0 || id == SCCP_REGISTER_REJECT)
		return SCCP_E_ARG;
	memset(&m, 0, sizeof(m));
	m.id = id;
	m.hdr_version = hdr_version;
	return sccp_msg_build(out, &m);
}

/* ------------------------------------------------------------------ */
/* Registration-time answers (spec 5.3-5.9): fixed layouts built into a
 * zeroed array, then framed by sccp_msg_build as a raw body. */

static int
raw_build(struct buf *out, uint32_t id, uint32_t hdr_version, const uint8_t *b,
    size_t n)
{
	struct sccp_msg m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.hdr_version = hdr_version;
	m.body = n > 0 ? b : NULL;
	m.body_len = n;
	return sccp_msg_build(out, &m);
}

uint32_t
sccp_body_u32(const struct sccp_msg *m, size_t off)
{
	if (m == NULL || m->body == NULL || off > m->body_len ||
	    m->body_len - off < 4)
		return 0;
	return get32(m->body, off);
}

int
sccp_button_template_build(struct buf *out, uint32_t hdr_version,
    const struct sccp_button *buttons, size_t n)
{
	uint8_t b[12 + 2 * SCCP_MAX_BUTTONS];

	if (out == NULL || n > SCCP_MAX_BUTTONS || (n > 0 && buttons == NULL))
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	put32(b, 0, 0);
	put32(b, 4, (uint32_t)n);
	put32(b, 8, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		b[12 + 2 * i] = buttons[i].instance;
		b[13 + 2 * i] = buttons[i].definition;
	}
	return raw_build(out, SCCP_BUTTON_TEMPLATE, hdr_version, b, sizeof(b));
}

/* The soft keys every phone gets (spec 4.5 SoftKeyEvent values); the
 * 1-based position in this table is the templateIndex of a set. */
static const struct {
	const char *label;
	uint32_t event;
} softkeys[] = {
    {"Redial", 1},
    {"NewCall", 2},
    {"Hold", 3},
    {"Trnsfer", 4},
    {"CFwdAll", 5},
    {"CFwdBusy", 6},
    {"CFwdNoAnswer", 7},
    {"<<", 8},
    {"EndCall", 9},
    {"Resume", 10},
    {"Answer", 11},
    {"Info", 12},
    {"Confrn", 13},
    {"Park", 14},
    {"Join", 15},
    {"MeetMe", 16},
    {"PickUp", 17},
    {"GPickUp", 18},
};
#define N_SOFTKEYS (sizeof(softkeys) / sizeof(softkeys[0]))

int
sccp_soft_key_template_build(struct buf *out, uint32_t hdr_version)
{
	uint8_t b[12 + 20 * 32];
	int bad = 0;

	if (out == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	put32(b, 4, (uint32_t)N_SOFTKEYS);
	put32(b, 8, (uint32_t)N_SOFTKEYS);
	for (size_t i = 0; i < N_SOFTKEYS; i++) {
		bad |= put_str(b, 12 + 32 * i, 16, softkeys[i].label);
		put32(b, 12 + 32 * i + 16, softkeys[i].event);
	}
	if (bad)
		return SCCP_E_ARG;
	return raw_build(
	    out, SCCP_SOFT_KEY_TEMPLATE_RES, hdr_version, b, sizeof(b));
}

int
sccp_soft_key_set_build(struct buf *out, uint32_t hdr_version)
{
	/* Per SoftKeySet index (spec 4.5), 1-based template positions:
	 * chan-sccp's defaults trimmed to the keys in softkeys[]. */
	static const uint8_t sets[][8] = {
	    {1, 2, 5, 6, 7, 17, 18, 0}, /* 0 OnHook */
	    {3, 9, 4, 13, 14, 0}, /* 1 Connected */
	    {10, 2, 9, 0}, /* 2 OnHold */
	    {11, 9, 0}, /* 3 RingIn */
	    {1, 9, 5, 17, 18, 0}, /* 4 OffHook */
	    {3, 9, 4, 13, 14, 0}, /* 5 ConnectedTransferable */
	    {8, 9, 0}, /* 6 DigitsFollowing */
	    {3, 9, 4, 13, 14, 0}, /* 7 ConnectedConference */
	    {9, 0}, /* 8 RingOut */
	    {1, 9, 5, 0}, /* 9 OffHookWithFeatures */
	    {2, 0}, /* 10 InUseHint */
	};
	uint8_t b[12 + 16 * 48];
	size_t nsets = sizeof(sets) / sizeof(sets[0]);

	if (out == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	put32(b, 4, (uint32_t)nsets);
	put32(b, 8, (uint32_t)nsets);
	for (size_t s = 0; s < nsets; s++) {
		size_t base = 12 + 48 * s;

		for (size_t k = 0; k < 8 && sets[s][k] != 0; k++) {
			b[base + k] = sets[s][k];
			put16(
			    b, base + 16 + 2 * k, (uint16_t)(300 + sets[s][k]));
		}
	}
	return raw_build(out, SCCP_SOFT_KEY_SET_RES, hdr_version, b, sizeof(b));
}

int
sccp_select_soft_keys_build(struct buf *out, uint32_t hdr_version,
    uint32_t line_instance, uint32_t call_reference, uint32_t set,
    uint32_t valid_mask)
{
	uint8_t b[16];

	if (out == NULL)
		return SCCP_E_ARG;
	put32(b, 0, line_instance);
	put32(b, 4, call_reference);
	put32(b, 8, set);
	put32(b, 12, valid_mask);
	return raw_build(out, SCCP_SELECT_SOFT_KEYS, hdr_version, b, sizeof(b));
}

int
sccp_line_stat_build(struct buf *out, uint32_t hdr_version, uint32_t line,
    const char *number, const char *display_name, const char *label)
{
	uint8_t b[112];
	int bad = 0;

	if (out == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	put32(b, 0, line);
	bad |= put_str(b, 4, 24, number ? number : "");
	bad |= put_str(b, 28, 40, display_name ? display_name : "");
	bad |= put_str(b, 68, 40, label ? label : "");
	put32(b, 108, 15); /* displayOptions: show everything (chan-sccp) */
	if (bad)
		return SCCP_E_ARG;
	return raw_build(out, SCCP_LINE_STAT, hdr_version, b, sizeof(b));
}

int
sccp_forward_stat_build(
    struct buf *out, uint32_t hdr_version, uint32_t proto, uint32_t line)
{
	/* No forwarding: every field zero.  The dirnum fields grow from 24
	 * to 25 bytes at protocol 18 (spec 2), with no padding. */
	uint8_t b[8 + 3 * (4 + 25)];
	size_t dn = proto >= 18 ? 25 : 24;

	if (out == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	put32(b, 4, line);
	return raw_build(
	    out, SCCP_FORWARD_STAT, hdr_version, b, 8 + 3 * (4 + dn));
}

int
sccp_speed_dial_stat_build(struct buf *out, uint32_t hdr_version,
    uint32_t index, const char *number, const char *name)
{
	uint8_t b[68];
	int bad = 0;

	if (out == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	put32(b, 0, index);
	bad |= put_str(b, 4, 24, number ? number : "");
	bad |= put_str(b, 28, 40, name ? name : "");
	if (bad)
		return SCCP_E_ARG;
	return raw_build(out, SCCP_SPEED_DIAL_STAT, hdr_version, b, sizeof(b));
}

int
sccp_config_stat_build(struct buf *out, uint32_t hdr_version,
    const char *device_name, uint32_t instance, const char *user_name,
    const char *server_name, uint32_t lines, uint32_t speed_dials)
{
	uint8_t b[112];
	int bad = 0;

	if (out == NULL || device_name == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	bad |= put_str(b, 0, SCCP_DEVICE_NAME_LEN, device_name);
	put32(b, 20, instance);
	bad |= put_str(b, 24, 40, user_name ? user_name : "");
	bad |= put_str(b, 64, 40, server_name ? server_name : "");
	put32(b, 104, lines);
	put32(b, 108, speed_dials);
	if (bad)
		return SCCP_E_ARG;
	return raw_build(out, SCCP_CONFIG_STAT, hdr_version, b, sizeof(b));
}

int
sccp_define_time_date_build(
    struct buf *out, uint32_t hdr_version, const struct sccp_time *t)
{
	uint8_t b[36];

	if (out == NULL || t == NULL)
		return SCCP_E_ARG;
	put32(b, 0, t->year);
	put32(b, 4, t->month);
	put32(b, 8, t->day_of_week);
	put32(b, 12, t->day);
	put32(b, 16, t->hour);
	put32(b, 20, t->minute);
	put32(b, 24, t->second);
	put32(b, 28, t->milliseconds);
	put32(b, 32, t->system_time);
	return raw_build(out, SCCP_DEFINE_TIME_DATE, hdr_version, b, sizeof(b));
}

int
sccp_server_res_build(struct buf *out, uint32_t hdr_version, uint32_t proto,
    const char *name, uint32_t port, const uint8_t ipv4[4])
{
	/* Five {name[48]}, five ports, five addresses (4 or 20 bytes
	 * each from protocol 17, spec 5.8); only the first is ours. */
	uint8_t b[5 * 48 + 5 * 4 + 5 * 20];
	int is_long = proto >= 17;
	struct sccp_ipaddr ip;
	int bad = 0;

	if (out == NULL || name == NULL || ipv4 == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	memset(&ip, 0, sizeof(ip));
	memcpy(ip.addr, ipv4, 4);
	bad |= put_str(b, 0, 48, name);
	put32(b, 240, port);
	put_ip(b, 260, &ip, is_long);
	if (bad)
		return SCCP_E_ARG;
	return raw_build(
	    out, SCCP_SERVER_RES, hdr_version, b, is_long ? 360 : 280);
}

int
sccp_version_build(struct buf *out, uint32_t hdr_version, const char *version)
{
	uint8_t b[16];

	if (out == NULL || version == NULL)
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	if (put_str(b, 0, sizeof(b), version) != 0)
		return SCCP_E_ARG;
	return raw_build(out, SCCP_VERSION, hdr_version, b, sizeof(b));
}

int
sccp_capabilities_res_build(struct buf *out, uint32_t hdr_version,
    const uint32_t *codecs, size_t n, uint32_t ms)
{
	uint8_t b[4 + 18 * 16];

	if (out == NULL || n > 18 || (n > 0 && codecs == NULL))
		return SCCP_E_ARG;
	memset(b, 0, sizeof(b));
	put32(b, 0, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put32(b, 4 + 16 * i, codecs[i]);
		put32(b, 8 + 16 * i, ms);
	}
	return raw_build(out, SCCP_CAPABILITIES_RES, hdr_version, b, sizeof(b));
}

uint8_t
sccp_negotiate_version(uint8_t phone_max, uint32_t device_type)
{
	/* ATA 186/188 report unreliable values (spec 2): force 3. */
	if (device_type == 12 || device_type == 13)
		return 3;
	/* Spec 2's recommendation: 17 for the 794x/796x/797x family (even
	 * when they offer 20-22: no latentCaps ambiguity), 11 for the
	 * 7940/7960; older phones keep what they offer (3-10, whose
	 * registration messages do not differ). */
	if (phone_max >= 17)
		return 17;
	if (phone_max >= 11)
		return 11;
	if (phone_max < 3)
		return 3;
	return phone_max;
}
