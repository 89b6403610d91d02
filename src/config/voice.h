/*
 * SIP phones (voice register ...), extension mobility profiles, VoIP
 * service settings, codec classes and VoIP dial peers.
 *
 * Lists keep the order in which their entries were created, as IOS
 * prints them (the chapter's secure CME example shows voice class codec
 * 2, 3, 1 in that order).
 */
#ifndef OPENCME_CONFIG_VOICE_H
#define OPENCME_CONFIG_VOICE_H

#include <sys/queue.h>

#include "config/secret.h"
#include "config/telephony.h"

/*
 * srtp on voice service voip and on a dial-peer.
 *
 * voice service voip: SRTP_OFF (default, nothing printed), SRTP_ON
 * (`srtp`), SRTP_FALLBACK (`srtp fallback`).  `no srtp` and `no srtp
 * fallback` both give SRTP_OFF: the chapter says "no srtp fallback
 * disables fallback and SRTP".
 *
 * dial-peer voice N voip: SRTP_UNSET (default, nothing printed) follows
 * voice service voip; `srtp system` (IOS's keyword for that default)
 * returns to it.  `no srtp` (or `no srtp fallback`) is SRTP_OFF: SRTP
 * explicitly off on this dial peer whatever voice service voip says (the
 * chapter: "disables SRTP and causes the dial peer to fall back to RTP
 * mode"; the dial-peer setting takes precedence), printed `no srtp`.
 */
enum srtp_mode {
	SRTP_UNSET = -1,
	SRTP_OFF = 0,
	SRTP_ON = 1,
	SRTP_FALLBACK = 2,
};

/*
 * media flow-through | flow-around on voice service voip and on a
 * dial-peer: where media between two endpoints of the CME goes.
 * flow-through (the default): through the CME (for SCCP phones: an SRTP
 * stream goes through the media relay, which decrypts and re-encrypts
 * with a key per phone and direction); flow-around: endpoint to
 * endpoint, the CME only signals (an SRTP stream gets one key per
 * direction, given to both phones).  The chapter: flow-around is not
 * supported for transferred and forwarded calls, whose streams stay
 * flow-through whatever is configured.  A dial peer's MEDIA_UNSET (its
 * default, nothing printed) follows voice service voip; `no media`
 * returns to it.  Words in media_mode_words order.
 */
enum media_mode {
	MEDIA_UNSET = -1,
	MEDIA_FLOW_THROUGH = 0,
	MEDIA_FLOW_AROUND = 1,
};

/* voice register global: mode; words in vr_mode_words order. */
enum vr_mode {
	VR_MODE_UNSET = -1,
	VR_MODE_CME = 0,
	VR_MODE_SRST = 1,
	VR_MODE_ESRST = 2,
};

struct voice_register_global {
	int present;
	int mode; /* enum vr_mode */
	struct secret password; /* password [0|6] P (auto-register) */
	int service_https;
	unsigned max_pool; /* 0 = not set */
	unsigned max_dn; /* 0 = not set */
};

#define VR_POOL_NUMBERS 10 /* number (1-10) dn N */

struct voice_register_pool {
	unsigned tag;
	char mac[13]; /* id mac: 12 upper-case hex digits, "" unset */
	unsigned number_dn[VR_POOL_NUMBERS]; /* [tag - 1] = dn, 0 unset */
	char *username; /* username U password [0|6] P */
	struct secret password;
	struct secret ata_ivr_pwd; /* ata-ivr-pwd [0|6] NNNN */
	struct secret pin; /* pin [0|6] PIN */
	unsigned template_tag; /* 0 = none */
	TAILQ_ENTRY(voice_register_pool) entry;
};
TAILQ_HEAD(voice_register_pool_list, voice_register_pool);

struct voice_register_template {
	unsigned tag;
	int service_https;
	TAILQ_ENTRY(voice_register_template) entry;
};
TAILQ_HEAD(voice_register_template_list, voice_register_template);

/* voice user-profile N and voice logout-profile N. */
struct voice_profile {
	unsigned tag;
	char *user; /* username/user NAME */
	struct secret password;
	struct secret pin;
	TAILQ_ENTRY(voice_profile) entry;
};
TAILQ_HEAD(voice_profile_list, voice_profile);

struct voice_service_voip {
	int present;
	int srtp; /* enum srtp_mode, default SRTP_OFF */
	int media_renegotiate; /* supplementary-service
					   media-renegotiate */
	int media; /* enum media_mode, default MEDIA_FLOW_THROUGH */
	int h450_2, h450_3, h450_7; /* default on */
	int sip_refer; /* default on */
	int ip_address_trusted_authenticate; /* default on */
	struct str_list allow_connections; /* "h323 to h323" */
	int h323_present;
	int h323_emptycapability;
	/* rtp-port range LO HI: the media relay's UDP ports (RTP on even
	 * P, RTCP on P+1, both in [lo, hi]); 0 = the default range. */
	unsigned rtp_port_lo, rtp_port_hi;
};

#define CODEC_PREF_MAX 14

struct codec_pref {
	unsigned pref; /* 1-14 */
	char *codec;
	unsigned bytes; /* codec preference N C bytes B; 0 = default */
};

struct voice_class_codec {
	unsigned tag;
	struct codec_pref *prefs; /* sorted by pref, one codec each */
	unsigned nprefs;
	TAILQ_ENTRY(voice_class_codec) entry;
};
TAILQ_HEAD(voice_class_codec_list, voice_class_codec);

/* session protocol; words in dp_protocol_words order. */
enum dp_protocol {
	DP_PROTO_H323 = -1, /* the default ("session protocol cisco") */
	DP_PROTO_SIPV2 = 0,
};

struct dial_peer {
	unsigned tag;
	int srtp; /* enum srtp_mode, default SRTP_UNSET */
	int media; /* enum media_mode, default MEDIA_UNSET */
	unsigned voice_class_codec; /* 0 = none */
	char *destination_pattern;
	char *session_target; /* ipv4:A.B.C.D, ras, sip-server */
	int session_protocol; /* enum dp_protocol */
	char *incoming_called_number;
	char *dtmf_relay; /* "h245-alphanumeric", "rtp-nte" ... */
	int shutdown;
	TAILQ_ENTRY(dial_peer) entry;
};
TAILQ_HEAD(dial_peer_list, dial_peer);

struct config;
struct dial_peer *dial_peer_find(struct config *cfg, unsigned tag);
struct voice_class_codec *voice_class_codec_find(
    struct config *cfg, unsigned tag);
struct voice_register_pool *vr_pool_find(struct config *cfg, unsigned tag);
/* The SRTP mode in force on a dial peer: its own setting, or voice
 * service voip's when unset (SRTP_OFF, SRTP_ON or SRTP_FALLBACK). */
int dial_peer_effective_srtp(
    const struct config *cfg, const struct dial_peer *dp);
/* The media mode in force on a dial peer: its own, or voice service
 * voip's when unset (MEDIA_FLOW_THROUGH or MEDIA_FLOW_AROUND). */
int dial_peer_effective_media(
    const struct config *cfg, const struct dial_peer *dp);
/* Is this a codec name `codec preference` accepts? */
int voice_codec_valid(const char *codec);

#endif
