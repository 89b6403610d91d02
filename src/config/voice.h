/*
 * SIP phones (voice register ...), extension mobility profiles, VoIP
 * service settings, codec classes and VoIP dial peers.
 */
#ifndef OPENCME_CONFIG_VOICE_H
#define OPENCME_CONFIG_VOICE_H

#include <sys/queue.h>

#include "config/secret.h"
#include "config/telephony.h"

/* srtp on voice service voip / dial-peer. */
enum srtp_mode {
	SRTP_UNSET = -1, /* dial-peer: follow voice service voip */
	SRTP_OFF = 0,
	SRTP_ON = 1,
	SRTP_FALLBACK = 2,
};

struct voice_register_global {
	int present;
	char *mode;		/* mode cme */
	struct secret password;	/* password [0|6] P (auto-register) */
	int service_https;
	unsigned max_pool;
};

struct voice_register_pool {
	unsigned tag;
	char *id_mac;		/* id mac H.H.H */
	char *number;		/* number 1 dn 1 */
	char *username;
	struct secret password;
	struct secret ata_ivr_pwd;
	struct secret pin;
	unsigned template_tag;
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
	char *user;		/* username/user NAME */
	struct secret password;
	struct secret pin;
	TAILQ_ENTRY(voice_profile) entry;
};
TAILQ_HEAD(voice_profile_list, voice_profile);

struct voice_service_voip {
	int present;
	int srtp;			/* enum srtp_mode, default SRTP_OFF */
	int media_renegotiate;		/* supplementary-service
					   media-renegotiate */
	int h450_2, h450_3, h450_7;	/* default on */
	int sip_refer;			/* default on */
	int ip_address_trusted_authenticate; /* default on */
	struct str_list allow_connections; /* "h323 to h323" */
	int h323_present;
	int h323_emptycapability;
};

struct codec_pref {
	unsigned pref;
	char *codec;
};

struct voice_class_codec {
	unsigned tag;
	struct codec_pref *prefs;
	unsigned nprefs;
	TAILQ_ENTRY(voice_class_codec) entry;
};
TAILQ_HEAD(voice_class_codec_list, voice_class_codec);

struct dial_peer {
	unsigned tag;
	int srtp;			/* enum srtp_mode */
	unsigned voice_class_codec;	/* 0 = none */
	char *destination_pattern;
	char *session_target;		/* ipv4:A.B.C.D, ras, sip-server */
	char *session_protocol;		/* sipv2 */
	char *incoming_called_number;
	char *dtmf_relay;
	int shutdown;
	TAILQ_ENTRY(dial_peer) entry;
};
TAILQ_HEAD(dial_peer_list, dial_peer);

#endif
