/*
 * SCCP ("Skinny") message codec: framing, parsing of the registration /
 * keepalive / basic call / media subset into a tagged struct, builders.
 * See ../shared/spec/sccp.md sections 1-9.
 *
 * Pure codec: no sockets, no call state, no logging.  Every input is
 * untrusted: the header length is checked against SCCP_MAX_PDU and against
 * the bytes present before anything is read.  Errors are 0 or a negative
 * enum sccp_err, and the parser also fills a struct sccp_error {offset,
 * what} (offset from the start of the PDU) when one is given.
 *
 * Ownership: a parsed struct sccp_msg holds no allocation; its body pointer
 * is borrowed from the parsed input.  Builders append to a caller-owned
 * struct buf.
 */
#ifndef OPENCME_FMT_SCCP_H
#define OPENCME_FMT_SCCP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define SCCP_HEADER_LEN 12u
/* The 8 bytes before the length field's count starts (length, version). */
#define SCCP_PREFIX_LEN 8u
/* Largest PDU (length + 8) accepted (spec 1.5 recommendation). */
#define SCCP_MAX_PDU 4096u

#define SCCP_DEVICE_NAME_LEN 16u
#define SCCP_REJECT_TEXT_LEN 32u
#define SCCP_DATE_TEMPLATE_LEN 6u
#define SCCP_KEY_LEN 16u
#define SCCP_SALT_LEN 16u
#define SCCP_LATENT_CAPS_LEN 36u

/* Result codes (0 = success, negative = error). */
enum sccp_err {
	SCCP_OK = 0,
	SCCP_E_TRUNCATED = -1, /* fewer bytes than the header/body needs */
	SCCP_E_LENGTH = -2, /* header length < 4 (no message id) */
	SCCP_E_TOOBIG = -3, /* length + 8 > SCCP_MAX_PDU */
	SCCP_E_VERSION = -4, /* headerVersion not one of spec 1.4 */
	SCCP_E_FORMAT = -5, /* malformed field (e.g. key length > 16) */
	SCCP_E_ARG = -6, /* bad argument from the caller */
};

const char *sccp_err_str(int err);

/* Error detail: byte offset in the PDU and a static description. */
struct sccp_error {
	size_t offset;
	const char *what;
};

/* Message ids (spec 3). */
enum sccp_msg_id {
	SCCP_KEEP_ALIVE = 0x0000,
	SCCP_REGISTER = 0x0001,
	SCCP_KEYPAD_BUTTON = 0x0003,
	SCCP_ENBLOC_CALL = 0x0004,
	SCCP_STIMULUS = 0x0005,
	SCCP_OFF_HOOK = 0x0006,
	SCCP_ON_HOOK = 0x0007,
	SCCP_FORWARD_STAT_REQ = 0x0009,
	SCCP_SPEED_DIAL_STAT_REQ = 0x000A,
	SCCP_LINE_STAT_REQ = 0x000B,
	SCCP_CONFIG_STAT_REQ = 0x000C,
	SCCP_TIME_DATE_REQ = 0x000D,
	SCCP_BUTTON_TEMPLATE_REQ = 0x000E,
	SCCP_VERSION_REQ = 0x000F,
	SCCP_CAPABILITIES_RES = 0x0010,
	SCCP_SERVER_REQ = 0x0012,
	SCCP_ALARM = 0x0020,
	SCCP_OPEN_RECEIVE_CHANNEL_ACK = 0x0022,
	SCCP_SOFT_KEY_SET_REQ = 0x0025,
	SCCP_SOFT_KEY_EVENT = 0x0026,
	SCCP_UNREGISTER = 0x0027,
	SCCP_SOFT_KEY_TEMPLATE_REQ = 0x0028,
	SCCP_REGISTER_TOKEN_REQ = 0x0029,
	SCCP_MEDIA_TRANSMISSION_FAILURE = 0x002A,
	SCCP_HEADSET_STATUS = 0x002B,
	SCCP_REGISTER_AVAILABLE_LINES = 0x002D,
	SCCP_UPDATE_CAPABILITIES = 0x0030,
	SCCP_SERVICE_URL_STAT_REQ = 0x0033,
	SCCP_FEATURE_STAT_REQ = 0x0034,
	SCCP_UPDATE_CAPABILITIES_V2 = 0x0043,
	SCCP_UPDATE_CAPABILITIES_V3 = 0x0044,
	SCCP_REGISTER_ACK = 0x0081,
	SCCP_START_TONE = 0x0082,
	SCCP_STOP_TONE = 0x0083,
	SCCP_SET_RINGER = 0x0085,
	SCCP_SET_LAMP = 0x0086,
	SCCP_SET_SPEAKER_MODE = 0x0088,
	SCCP_SET_MICRO_MODE = 0x0089,
	SCCP_START_MEDIA_TRANSMISSION = 0x008A,
	SCCP_STOP_MEDIA_TRANSMISSION = 0x008B,
	SCCP_CALL_INFO = 0x008F,
	SCCP_FORWARD_STAT = 0x0090,
	SCCP_SPEED_DIAL_STAT = 0x0091,
	SCCP_LINE_STAT = 0x0092,
	SCCP_CONFIG_STAT = 0x0093,
	SCCP_DEFINE_TIME_DATE = 0x0094,
	SCCP_BUTTON_TEMPLATE = 0x0097,
	SCCP_VERSION = 0x0098,
	SCCP_CAPABILITIES_REQ = 0x009B,
	SCCP_REGISTER_REJECT = 0x009D,
	SCCP_SERVER_RES = 0x009E,
	SCCP_RESET = 0x009F,
	SCCP_KEEP_ALIVE_ACK = 0x0100,
	SCCP_OPEN_RECEIVE_CHANNEL = 0x0105,
	SCCP_CLOSE_RECEIVE_CHANNEL = 0x0106,
	SCCP_SOFT_KEY_TEMPLATE_RES = 0x0108,
	SCCP_SOFT_KEY_SET_RES = 0x0109,
	SCCP_SELECT_SOFT_KEYS = 0x0110,
	SCCP_CALL_STATE = 0x0111,
	SCCP_DISPLAY_PROMPT_STATUS = 0x0112,
	SCCP_CLEAR_PROMPT_STATUS = 0x0113,
	SCCP_DISPLAY_NOTIFY = 0x0114,
	SCCP_CLEAR_NOTIFY = 0x0115,
	SCCP_ACTIVATE_CALL_PLANE = 0x0116,
	SCCP_DEACTIVATE_CALL_PLANE = 0x0117,
	SCCP_UNREGISTER_ACK = 0x0118,
	SCCP_REGISTER_TOKEN_ACK = 0x011A,
	SCCP_REGISTER_TOKEN_REJECT = 0x011B,
	SCCP_DIALED_NUMBER = 0x011D,
	SCCP_START_MEDIA_TRANSMISSION_ACK = 0x0154,
};

/* Name of a message id ("RegisterAck"); "Unknown" for others. */
const char *sccp_msg_name(uint32_t id);
/* True if headerVersion v is one of spec 1.4 (0, 10, 11, 15..22). */
int sccp_hdr_version_is_valid(uint32_t v);
/*
 * headerVersion to send for message id at negotiated protocol proto
 * (spec 1.4): 0 for RegisterAck/KeepAliveAck/UnregisterAck and when
 * proto < 10, else proto.
 */
uint32_t sccp_hdr_version_for(uint32_t id, uint32_t proto);

/*
 * Framing.  Looks at the first len bytes of a stream.  Returns 1 when a
 * complete PDU is present (*need = its size, length + 8), 0 when more
 * bytes are needed (*need = total bytes needed: 8 while the length is
 * unknown, then length + 8), or a negative error (length < 4, PDU over
 * SCCP_MAX_PDU, invalid headerVersion once 8 bytes are in: the connection
 * must then be dropped, there is no resync).
 */
int sccp_frame_len(const uint8_t *data, size_t len, size_t *need);

/* IpAddr (spec 4.2): type 0 = IPv4 in addr[0..3] network order. */
struct sccp_ipaddr {
	uint32_t type;
	uint8_t addr[16];
};

/* MediaEncryptionKeyInfo (spec 4.4). */
struct sccp_key_info {
	uint32_t algorithm_id;
	uint16_t key_len;
	uint16_t salt_len;
	uint8_t key[SCCP_KEY_LEN];
	uint8_t salt[SCCP_SALT_LEN];
	uint32_t is_mki_present;
	uint32_t key_derivation_rate;
};

/* SRTP algorithm ids (spec 10.2). */
enum sccp_key_alg {
	SCCP_KEY_ALG_NONE = 0,
	SCCP_KEY_ALG_AES_CM_128_HMAC_SHA1_32 = 1,
	SCCP_KEY_ALG_AES_CM_128_HMAC_SHA1_80 = 2,
	SCCP_KEY_ALG_F8_128_HMAC_SHA1_32 = 3,
	SCCP_KEY_ALG_F8_128_HMAC_SHA1_80 = 4,
	SCCP_KEY_ALG_AEAD_AES_128_GCM = 5,
	SCCP_KEY_ALG_AEAD_AES_256_GCM = 6,
};

/*
 * Consistency of a key block: algorithm 0 with zero lengths, 1-5 with the
 * key/salt lengths of spec 10.2; 6 (32-byte key) cannot be represented.
 * SCCP_OK or SCCP_E_FORMAT.  The parser only enforces lengths <= 16.
 */
int sccp_key_info_check(const struct sccp_key_info *k);

/* Register (0x0001, spec 5.1).  Fields past the body are 0. */
struct sccp_register {
	char device_name[SCCP_DEVICE_NAME_LEN + 1];
	uint32_t user_id;
	uint32_t instance;
	uint8_t ip[4]; /* network order */
	uint32_t device_type;
	uint32_t max_streams;
	uint32_t active_streams;
	uint8_t protocol_version; /* highest the phone speaks */
	uint8_t features[3];
	uint32_t max_conferences;
	uint32_t active_conferences;
	uint8_t mac[12];
	uint32_t ipv4_scope;
	uint32_t max_lines;
	uint8_t ipv6[16];
	uint32_t ipv6_scope;
	char load_name[33];
	char config_version_stamp[49];
};

/* RegisterAck (0x0081, spec 5.2). */
struct sccp_register_ack {
	uint32_t keepalive_s;
	char date_template[SCCP_DATE_TEMPLATE_LEN + 1];
	uint32_t secondary_keepalive_s;
	uint8_t protocol_version;
	uint8_t features[3];
};

/* OffHook / OnHook (lineInstance, callReference if has_call). */
struct sccp_hook {
	int has_call;
	uint32_t line_instance;
	uint32_t call_reference;
};

/* KeypadButton (button, [lineInstance, callReference]). */
struct sccp_keypad_button {
	uint32_t button;
	int has_call;
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_soft_key_event {
	uint32_t event;
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_stimulus {
	uint32_t stimulus;
	uint32_t instance;
	uint32_t call_reference;
	uint32_t status;
};

/*
 * OpenReceiveChannel (0x0105, spec 9.1).  The layout is chosen by
 * layout_version (builders) / detected from the body length (parser):
 * < 11 body 92, 11..15 108, 16 112, 17..20 128, >= 21 168 (with
 * audioLevelAdjustment and latentCapsInfo).
 */
struct sccp_open_receive_channel {
	uint32_t conference_id;
	uint32_t pass_thru_party_id;
	uint32_t ms_packet_size;
	uint32_t compression_type;
	uint32_t ec_value;
	uint32_t codec_params; /* G.723 bitrate or codecParams bytes */
	uint32_t call_reference;
	struct sccp_key_info key;
	uint32_t stream_pass_through_id;
	uint32_t associated_stream_id;
	uint32_t rfc2833_payload_type;
	uint32_t dtmf_type;
	uint32_t mixing_mode;
	uint32_t party_direction;
	struct sccp_ipaddr source_ip;
	uint32_t source_port;
	uint32_t requested_ip_addr_type;
	int32_t audio_level_adjustment;
	uint8_t latent_caps[SCCP_LATENT_CAPS_LEN];
};

/* OpenReceiveChannelAck (0x0022, spec 9.2). */
struct sccp_open_receive_channel_ack {
	uint32_t status;
	struct sccp_ipaddr ip;
	uint32_t port;
	uint32_t pass_thru_party_id;
	int has_call_reference;
	uint32_t call_reference;
};

/*
 * StartMediaTransmission (0x008A, spec 9.3): layouts < 15 body 112,
 * 15..16 116, 17..20 132, >= 21 168.
 */
struct sccp_start_media_transmission {
	uint32_t conference_id;
	uint32_t pass_thru_party_id;
	struct sccp_ipaddr remote_ip;
	uint32_t remote_port;
	uint32_t ms_packet_size;
	uint32_t compression_type;
	uint32_t precedence;
	uint32_t ss_value;
	uint16_t max_frames_per_packet;
	uint32_t codec_params;
	uint32_t call_reference;
	struct sccp_key_info key;
	uint32_t stream_pass_through_id;
	uint32_t associated_stream_id;
	uint32_t rfc2833_payload_type;
	uint32_t dtmf_type;
	uint32_t mixing_mode;
	uint32_t party_direction;
	uint8_t latent_caps[SCCP_LATENT_CAPS_LEN];
};

/* StartMediaTransmissionAck (0x0154, spec 9.4). */
struct sccp_start_media_transmission_ack {
	uint32_t conference_id;
	uint32_t pass_thru_party_id;
	uint32_t call_reference;
	struct sccp_ipaddr ip;
	uint32_t port;
	uint32_t status;
};

/*
 * One parsed PDU.  id is the tag: the union member named after the
 * message is valid for the ids listed; every other id (including the
 * empty requests and unknown ids) has only the raw body.
 */
struct sccp_msg {
	uint32_t id;
	uint32_t hdr_version;
	size_t pdu_len; /* bytes consumed: length + 8 */
	const uint8_t *body; /* borrowed from the input; NULL if empty */
	size_t body_len;
	int is_known; /* id has a decoder here (body decoded into u) */
	/*
	 * Layout used by the version-dependent messages (OpenReceiveChannel,
	 * its ack, StartMediaTransmission, its ack): for the builders the
	 * negotiated protocol version; set by the parser to the lowest
	 * version of the layout detected from the body length.
	 */
	uint32_t layout_version;
	union {
		struct sccp_register reg; /* REGISTER */
		struct sccp_register_ack register_ack; /* REGISTER_ACK */
		char
		    reject_text[SCCP_REJECT_TEXT_LEN + 1]; /* REGISTER_REJECT */
		struct {
			int has_reason;
			uint32_t reason;
		} unregister; /* UNREGISTER */
		uint32_t unregister_status; /* UNREGISTER_ACK */
		struct sccp_hook hook; /* OFF_HOOK, ON_HOOK */
		struct sccp_keypad_button keypad; /* KEYPAD_BUTTON */
		struct sccp_soft_key_event soft_key; /* SOFT_KEY_EVENT */
		struct sccp_stimulus stimulus; /* STIMULUS */
		struct sccp_open_receive_channel orc;
		struct sccp_open_receive_channel_ack orc_ack;
		struct sccp_start_media_transmission smt;
		struct sccp_start_media_transmission_ack smt_ack;
	} u;
};

/*
 * Parse the first PDU of data (len may hold more; out->pdu_len says how
 * much was consumed).  Unknown ids are not an error.  Bodies longer than
 * the known layout are accepted (trailing bytes ignored); bodies shorter
 * than the oldest known layout are SCCP_E_TRUNCATED.  On error *out is
 * unspecified and err (if not NULL) holds the offset in the PDU.
 */
int sccp_msg_parse(const uint8_t *data, size_t len, struct sccp_msg *out,
    struct sccp_error *err);

/*
 * Encode m (m->id selects the union member; ids without a decoder are
 * sent with m->body/m->body_len as their raw body) with headerVersion
 * m->hdr_version.  Appends to out; SCCP_E_ARG for a too-long string or
 * PDU, nothing appended then.
 */
int sccp_msg_build(struct buf *out, const struct sccp_msg *m);

/* Convenience builders for the server -> phone messages (spec 5.2, 6). */
int sccp_register_ack_build(struct buf *out, uint32_t keepalive_s,
    const char *date_template, uint32_t secondary_keepalive_s,
    uint8_t protocol_version);
int sccp_register_reject_build(struct buf *out, const char *text);
int sccp_keep_alive_ack_build(struct buf *out);
int sccp_unregister_ack_build(struct buf *out, uint32_t status);
/* Body-less message (CapabilitiesReq, ClearNotify, ...). */
int sccp_empty_build(struct buf *out, uint32_t id, uint32_t hdr_version);

/*
 * Registration-time messages (spec 5.3-5.9, section 7's sequence).
 * hdr_version: what sccp_hdr_version_for() gives for the id.
 */

/* A u32 of a parsed message's body at off; 0 when the body is shorter
 * (spec 1.3: missing trailing fields are 0). */
uint32_t sccp_body_u32(const struct sccp_msg *m, size_t off);

/*
 * Protocol version to use with a phone whose Register offered phone_max
 * (spec 2): 17 for 17 and above, 11 for 11..16, the phone's own value
 * for 3..10, 3 below that and for ATA 186/188 (device types 12, 13).
 */
uint8_t sccp_negotiate_version(uint8_t phone_max, uint32_t device_type);

#define SCCP_MAX_BUTTONS 42u
/* ButtonTemplate slot (spec 5.4): instance, definition (0x09 = line). */
struct sccp_button {
	uint8_t instance;
	uint8_t definition;
};
#define SCCP_BUTTON_LINE 0x09u
#define SCCP_BUTTON_SPEED_DIAL 0x02u

int sccp_button_template_build(struct buf *out, uint32_t hdr_version,
    const struct sccp_button *buttons, size_t n);
/* The standard soft keys and their sets (spec 5.5). */
int sccp_soft_key_template_build(struct buf *out, uint32_t hdr_version);
int sccp_soft_key_set_build(struct buf *out, uint32_t hdr_version);
int sccp_select_soft_keys_build(struct buf *out, uint32_t hdr_version,
    uint32_t line_instance, uint32_t call_reference, uint32_t set,
    uint32_t valid_mask);
/* LineStat (spec 5.6): SCCP_E_ARG when a string does not fit its field
 * (24 / 40 / 40 bytes with the NUL). */
int sccp_line_stat_build(struct buf *out, uint32_t hdr_version, uint32_t line,
    const char *number, const char *display_name, const char *label);
/* ForwardStat with no forwarding; proto selects the 24/25-byte layout. */
int sccp_forward_stat_build(
    struct buf *out, uint32_t hdr_version, uint32_t proto, uint32_t line);
int sccp_speed_dial_stat_build(struct buf *out, uint32_t hdr_version,
    uint32_t index, const char *number, const char *name);
int sccp_config_stat_build(struct buf *out, uint32_t hdr_version,
    const char *device_name, uint32_t instance, const char *user_name,
    const char *server_name, uint32_t lines, uint32_t speed_dials);

/* DefineTimeDate fields (spec 5.7). */
struct sccp_time {
	uint32_t year, month, day_of_week, day, hour, minute, second;
	uint32_t milliseconds;
	uint32_t system_time; /* Unix seconds */
};
int sccp_define_time_date_build(
    struct buf *out, uint32_t hdr_version, const struct sccp_time *t);
/* ServerRes with one server (name, port, IPv4 in network order). */
int sccp_server_res_build(struct buf *out, uint32_t hdr_version, uint32_t proto,
    const char *name, uint32_t port, const uint8_t ipv4[4]);
int sccp_version_build(
    struct buf *out, uint32_t hdr_version, const char *version);
/* CapabilitiesRes (phone side, spec 5.3): n codec ids, ms per packet. */
int sccp_capabilities_res_build(struct buf *out, uint32_t hdr_version,
    const uint32_t *codecs, size_t n, uint32_t ms);

#endif
