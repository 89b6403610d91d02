/*
 * Internal to call control for registered phones (src/svc/sccp): the
 * objects its modules share and the few functions they call across.
 * Each object has one owner, the module that allocates and frees it:
 *
 *   sccp_call.c    devices (struct dev), their legs and CallInfo; the
 *                  engine, its callbacks, phone input, lines, park slots
 *   sccp_media.c   phone-to-phone streams (struct stream), their keys
 *                  and relay legs; the media relay
 *   sccp_bridge.c  conference bridges (a mixer each)
 *   sccp_moh.c     music on hold streams (struct moh_stream); the source
 *   sccp_show.c    nothing: reads the others for the show commands
 *
 * Pointers returned here are borrowed from their owner.
 */
#ifndef OPENCME_SVC_SCCP_CALL_INT_H
#define OPENCME_SVC_SCCP_CALL_INT_H

#include <netinet/in.h>
#include <stdint.h>

#include "media/srtp_crypto.h"
#include "svc/sccp/sccp_session.h"

struct cc_media;
struct daemon;
struct moh;
struct moh_listener;
struct relay_leg;

#define INFO_CACHE 8
#define SECURE_SUITE SRTPC_AES_CM_128_HMAC_SHA1_32 /* SCCP's default */

/* The last CallInfo sent for a call reference, to send it again with
 * the security status once the stream is up. */
struct info_cache {
	uint32_t ref, line, call_type;
	char calling[25], calling_name[41], called[25], called_name[41];
	char orig[25];
};

/* The state of one leg of a phone, as the engine last showed it. */
struct leg_track {
	uint32_t ref;
	unsigned line;
	int state; /* enum cc_state; 0 = free slot */
};

/* A registered phone known to the engine (owned by sccp_call.c). */
struct dev {
	void *conn;
	struct sccp_sess *sess;
	struct cc_device *cd;
	struct leg_track legs[INFO_CACHE];
	struct info_cache info[INFO_CACHE];
	unsigned next_info;
	struct dev *next;
};

/* A phone-to-phone stream being set up or running (owned by
 * sccp_media.c). */
struct stream {
	struct dev *a, *b;
	uint32_t a_ref, b_ref;
	uint32_t a_party, b_party; /* passThruPartyId per side */
	int a_acked, b_acked, started;
	uint8_t a_ip[4], b_ip[4];
	uint32_t a_port, b_port;
	/* Encrypted: through the relay, one leg per phone, four keys:
	 * what each phone sends with and receives with.  Flow-around: no
	 * relay legs, two keys (a_send == b_recv, b_send == a_recv). */
	int secure;
	int flow_around; /* SRTP phone to phone (media flow-around) */
	char why[64]; /* the media decision's reason (stream_plan) */
	struct relay_leg *la, *lb;
	uint8_t a_send[SRTPC_MAX_KEY_SALT], a_recv[SRTPC_MAX_KEY_SALT];
	uint8_t b_send[SRTPC_MAX_KEY_SALT], b_recv[SRTPC_MAX_KEY_SALT];
	struct stream *next;
};

/* Music on hold to one phone leg: receive only (no
 * StartMediaTransmission: nothing of the held phone's microphone goes
 * out in plain RTP), never keyed (owned by sccp_moh.c). */
struct moh_stream {
	struct dev *d;
	uint32_t ref, party;
	struct moh_listener *l;
	uint8_t ip[4];
	uint32_t port;
	int acked;
	struct moh_stream *next;
};

static inline uint32_t
sccp_dev_hdr(const struct dev *d, uint32_t id)
{
	return sccp_sess_hdr(d->sess, id);
}

/* sccp_call.c */
/* The daemon the service runs in (borrowed), NULL when stopped. */
struct daemon *sccp_call_daemon(void);
/* The device of a registered session, or NULL. */
struct dev *sccp_call_dev_of_sess(const struct sccp_sess *s);
/* enum cc_state of a phone's leg (CC_ONHOOK when not tracked). */
int sccp_call_leg_state(const struct dev *d, uint32_t ref);
/* Sends a leg's last CallInfo again, with its security status now. */
void sccp_call_info_resend(struct dev *d, uint32_t ref);

/* sccp_media.c: the messages that open and close a phone's media
 * (ORC/SMT; with key_salt, the phone's receive or transmit key). */
uint32_t sccp_media_party_new(void);
void sccp_media_open_receive(
    struct dev *d, uint32_t party, uint32_t ref, const uint8_t *key_salt);
void sccp_media_start_transmission(struct dev *d, uint32_t party, uint32_t ref,
    const uint8_t ip[4], uint32_t port, const uint8_t *key_salt);
void sccp_media_stop_side(struct dev *d, uint32_t party, uint32_t ref);
/* The media UDP ports: voice service voip rtp-port range, else the
 * default (also while the service is stopped). */
void sccp_media_port_range(uint16_t *lo, uint16_t *hi);
/* The relay running on ip source-address: 0, or -1. */
int sccp_media_relay_ready(void);
int sccp_media_relay_is_running(void);
/* relay_gso_active() of the running relay, -1 when none runs. */
int sccp_media_relay_gso(void);
/* The address the relay was last started on. */
const struct in_addr *sccp_media_relay_addr(void);
/* The engine opened or closed a phone-to-phone stream. */
void sccp_media_stream_open(
    struct dev *a, struct dev *b, const struct cc_media *m);
void sccp_media_stream_close(
    struct dev *a, struct dev *b, const struct cc_media *m);
/* A phone's OpenReceiveChannelAck for a phone-to-phone stream. */
void sccp_media_acked(
    struct dev *d, const struct sccp_open_receive_channel_ack *ack);
struct stream *sccp_media_stream_of(const struct dev *d, uint32_t ref);
const struct stream *sccp_media_streams(void);
/* A phone went away: its streams go (no messages to it). */
void sccp_media_device_gone(struct dev *d);
void sccp_media_stop(void);

/* sccp_bridge.c: a phone leg joins (on) or leaves a conference bridge. */
void sccp_bridge_media(struct dev *d, uint32_t ref, unsigned id, int on);
/* 1 when the OpenReceiveChannelAck was a bridge member's. */
int sccp_bridge_acked(
    struct dev *d, const struct sccp_open_receive_channel_ack *ack);
/* The mixer port of a phone leg in a bridge: 1, or 0 when not in one. */
int sccp_bridge_port_of(const struct dev *d, uint32_t ref, uint16_t *port);
void sccp_bridge_device_gone(struct dev *d);
void sccp_bridge_stop(void);

/* sccp_moh.c: a phone leg's music on hold opens (on) or closes. */
void sccp_moh_media(struct dev *d, uint32_t ref, int on);
/* 1 when the OpenReceiveChannelAck was for music on hold. */
int sccp_moh_acked(
    struct dev *d, const struct sccp_open_receive_channel_ack *ack);
struct moh_stream *sccp_moh_stream_of(const struct dev *d, uint32_t ref);
const struct moh_stream *sccp_moh_streams(void);
/* The music-on-hold source (NULL before the first held party) and the
 * address it was made on. */
const struct moh *sccp_moh_source(void);
const struct in_addr *sccp_moh_addr(void);
void sccp_moh_device_gone(struct dev *d);
void sccp_moh_stop(void);

#endif
