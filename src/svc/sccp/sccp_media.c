/*
 * Phone-to-phone media streams: every stream the engine opens between
 * two phones becomes OpenReceiveChannel to both phones, then
 * StartMediaTransmission to each with the other's address from its
 * OpenReceiveChannelAck: RTP phone to phone, or, when both phones are
 * encrypted (TLS and device-security-mode encrypted), SRTP through the
 * media relay (src/media, "flow-through"): one relay leg per phone and
 * four fresh keys per stream, each phone's receive key in its
 * OpenReceiveChannel and its transmit key in its StartMediaTransmission
 * (spec 9, 10.2); every reopen (resume, transfer) makes new keys, and
 * keys are wiped when the stream closes.  With `media flow-around`
 * (voice service voip) an SRTP stream goes phone to phone instead, with
 * two keys given end to end, except for calls that were forwarded or
 * transferred (cc_media.redirected, the chapter's restriction).
 * stream_plan is the one place that decides what a stream is (secure or
 * not, relayed or not) and keeps its reason; calls to telephony-service
 * voicemail are never secure.  A call joined to a conference loses its
 * secure stream (CallInfo says so) and gets a new one, secure again,
 * when two phones remain (not when the creator left:
 * cc_media.nonsecure).
 *
 * Owns the streams (struct stream), their keys and relay legs, and the
 * relay itself (made with the first encrypted stream, or conference);
 * also the OpenReceiveChannel, StartMediaTransmission and close
 * messages the bridges and music on hold send with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include "call/callctl.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "fmt/sccp.h"
#include "fmt/sccp_callmsg.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "media/relay.h"
#include "media/srtp_crypto.h"
#include "svc/sccp/sccp_call_int.h"
#include "svc/sccp/sccp_int.h"

#define CODEC_G711U 4u
#define PACKET_MS 20u
#define RELAY_PORT_LO 16384 /* without voice service voip rtp-port range */
#define RELAY_PORT_HI 32766

static struct {
	struct stream *streams;
	uint32_t next_party;
	struct relay *relay; /* made with the first encrypted stream */
	struct in_addr relay_addr;
	uint16_t relay_lo, relay_hi; /* the relay's port range */
} media;

/* ---- the messages that open and close a phone's media ---- */

/* The SCCP key block for key||salt of SECURE_SUITE. */
static void
key_block(struct sccp_key_info *k, const uint8_t *key_salt)
{
	size_t kl = srtpc_key_len(SECURE_SUITE),
	       sl = srtpc_salt_len(SECURE_SUITE);

	memset(k, 0, sizeof(*k));
	k->algorithm_id = SCCP_KEY_ALG_AES_CM_128_HMAC_SHA1_32;
	k->key_len = (uint16_t)kl;
	k->salt_len = (uint16_t)sl;
	memcpy(k->key, key_salt, kl);
	memcpy(k->salt, key_salt + kl, sl);
}

/* OpenReceiveChannel; with key_salt, the phone's receive (decrypt) key
 * (spec 9.1, 10.2). */
void
sccp_media_open_receive(
    struct dev *d, uint32_t party, uint32_t ref, const uint8_t *key_salt)
{
	struct sccp_msg m;
	struct buf b = BUF_INIT;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_OPEN_RECEIVE_CHANNEL;
	m.hdr_version = sccp_dev_hdr(d, m.id);
	m.layout_version = d->sess->proto;
	m.u.orc.conference_id = ref;
	m.u.orc.pass_thru_party_id = party;
	m.u.orc.ms_packet_size = PACKET_MS;
	m.u.orc.compression_type = CODEC_G711U;
	m.u.orc.call_reference = ref;
	if (key_salt != NULL)
		key_block(&m.u.orc.key, key_salt);
	if (sccp_msg_build(&b, &m) == SCCP_OK)
		sccp_svc_send_secret(d->conn, &b);
	OPENSSL_cleanse(&m, sizeof(m));
	buf_wipe(&b);
}

/* StartMediaTransmission; with key_salt, the phone's transmit (encrypt)
 * key (spec 9.3). */
void
sccp_media_start_transmission(struct dev *d, uint32_t party, uint32_t ref,
    const uint8_t ip[4], uint32_t port, const uint8_t *key_salt)
{
	struct sccp_msg m;
	struct buf b = BUF_INIT;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_START_MEDIA_TRANSMISSION;
	m.hdr_version = sccp_dev_hdr(d, m.id);
	m.layout_version = d->sess->proto;
	m.u.smt.conference_id = ref;
	m.u.smt.pass_thru_party_id = party;
	memcpy(m.u.smt.remote_ip.addr, ip, 4);
	m.u.smt.remote_port = port;
	m.u.smt.ms_packet_size = PACKET_MS;
	m.u.smt.compression_type = CODEC_G711U;
	m.u.smt.precedence = 4;
	m.u.smt.max_frames_per_packet = 1;
	m.u.smt.call_reference = ref;
	if (key_salt != NULL)
		key_block(&m.u.smt.key, key_salt);
	if (sccp_msg_build(&b, &m) == SCCP_OK)
		sccp_svc_send_secret(d->conn, &b);
	OPENSSL_cleanse(&m, sizeof(m));
	buf_wipe(&b);
}

/* CloseReceiveChannel and StopMediaTransmission. */
void
sccp_media_stop_side(struct dev *d, uint32_t party, uint32_t ref)
{
	struct buf b = BUF_INIT;

	(void)sccp_close_receive_channel_build(
	    &b, sccp_dev_hdr(d, SCCP_CLOSE_RECEIVE_CHANNEL), ref, party, ref);
	(void)sccp_stop_media_transmission_build(
	    &b, sccp_dev_hdr(d, SCCP_STOP_MEDIA_TRANSMISSION), ref, party, ref);
	sccp_svc_send(d->conn, &b);
	buf_free(&b);
}

/* A passThruPartyId, never 0. */
uint32_t
sccp_media_party_new(void)
{
	if (++media.next_party == 0)
		media.next_party = 1;
	return media.next_party;
}

/* ---- streams and the relay ---- */

struct stream *
sccp_media_stream_of(const struct dev *d, uint32_t ref)
{
	struct stream *st;

	for (st = media.streams; st != NULL; st = st->next)
		if ((st->a == d && st->a_ref == ref) ||
		    (st->b == d && st->b_ref == ref))
			return st;
	return NULL;
}

static void
stream_free(struct stream *st)
{
	struct stream **pp;

	for (pp = &media.streams; *pp != NULL; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	relay_leg_free(st->la);
	relay_leg_free(st->lb);
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
}

/* Encrypted media for a phone: it came over TLS and its security mode
 * is encrypted (chapter: a call is secure only if both are). */
static int
dev_encrypted(const struct dev *d)
{
	return d->sess->transport == SCCP_TRANSPORT_TLS &&
	    d->sess->info.dsm == DSM_ENCRYPTED;
}

/* The relay's UDP ports: voice service voip rtp-port range, else the
 * default. */
void
sccp_media_port_range(uint16_t *lo, uint16_t *hi)
{
	const struct daemon *d = sccp_call_daemon();
	const struct voice_service_voip *v;

	*lo = RELAY_PORT_LO;
	*hi = RELAY_PORT_HI;
	if (d == NULL)
		return;
	v = &d->cfg->voip;
	if (v->present && v->rtp_port_lo != 0 && v->rtp_port_hi != 0) {
		*lo = (uint16_t)v->rtp_port_lo;
		*hi = (uint16_t)v->rtp_port_hi;
	}
}

/* Once per process: libsrtp2 refused OpenSSL's primitives and keeps its
 * own, which are correct but slower (doc/design.md "SRTP primitives"). */
static void
primitives_note(void)
{
	static int noted;
	int err = srtpc_primitives_error();

	if (noted || err == 0)
		return;
	noted = 1;
	log_warnx("SRTP: libsrtp2 refused the OpenSSL primitives (%s); "
	          "media uses libsrtp2's own, slower",
	    srtpc_err_str(err));
}

int
sccp_media_relay_ready(void)
{
	struct relay_conf rc;
	const char *addr;
	uint16_t lo, hi;
	int rc2;

	sccp_media_port_range(&lo, &hi);
	if (media.relay != NULL) {
		struct stream *st;

		if (lo == media.relay_lo && hi == media.relay_hi)
			return 0;
		/* voice service voip rtp-port range changed: a new relay
		 * once no relayed stream runs on the old one. */
		for (st = media.streams; st != NULL; st = st->next)
			if (st->la != NULL || st->lb != NULL)
				return 0;
		relay_free(media.relay);
		media.relay = NULL;
	}
	addr = sccp_call_daemon()->cfg->tel.ip_source_addr;
	memset(&rc, 0, sizeof(rc));
	if (addr == NULL || inet_pton(AF_INET, addr, &rc.addr) != 1)
		return -1;
	rc.port_lo = lo;
	rc.port_hi = hi;
	if (srtpc_init() != 0 || (rc2 = relay_new(&rc, &media.relay)) != 0) {
		log_warnx("SCCP: the media relay cannot start");
		return -1;
	}
	primitives_note();
	if (relay_attach(media.relay, sccp_call_daemon()->base) != 0) {
		relay_free(media.relay);
		media.relay = NULL;
		return -1;
	}
	media.relay_addr = rc.addr;
	media.relay_lo = lo;
	media.relay_hi = hi;
	return 0;
}

/* Flow-around: two fresh keys, one per direction, given end to end
 * (spec 10.2: A's transmit key is B's receive key); no relay. */
static int
around_setup(struct stream *st)
{
	size_t n = srtpc_key_len(SECURE_SUITE) + srtpc_salt_len(SECURE_SUITE);

	if (srtpc_init() != 0 ||
	    srtpc_keygen(SECURE_SUITE, st->a_send, sizeof(st->a_send)) != 0 ||
	    srtpc_keygen(SECURE_SUITE, st->b_send, sizeof(st->b_send)) != 0)
		return -1;
	memcpy(st->b_recv, st->a_send, n);
	memcpy(st->a_recv, st->b_send, n);
	return 0;
}

/* Two relay legs with four fresh keys; 0 or -1 (then plain RTP). */
static int
secure_setup(struct stream *st)
{
	struct relay_leg_conf ca, cb;
	size_t n = srtpc_key_len(SECURE_SUITE) + srtpc_salt_len(SECURE_SUITE);
	int rc = -1;

	if (sccp_media_relay_ready() != 0 ||
	    srtpc_keygen(SECURE_SUITE, st->a_send, sizeof(st->a_send)) != 0 ||
	    srtpc_keygen(SECURE_SUITE, st->a_recv, sizeof(st->a_recv)) != 0 ||
	    srtpc_keygen(SECURE_SUITE, st->b_send, sizeof(st->b_send)) != 0 ||
	    srtpc_keygen(SECURE_SUITE, st->b_recv, sizeof(st->b_recv)) != 0)
		return -1;
	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	ca.suite = cb.suite = SECURE_SUITE;
	memcpy(ca.rx_key, st->a_send, n); /* we unprotect what A sends */
	memcpy(ca.tx_key, st->a_recv, n); /* we protect what A receives */
	memcpy(cb.rx_key, st->b_send, n);
	memcpy(cb.tx_key, st->b_recv, n);
	if (relay_leg_add(media.relay, &ca, &st->la) == 0 &&
	    relay_leg_add(media.relay, &cb, &st->lb) == 0 &&
	    relay_pair(st->la, st->lb) == 0)
		rc = 0;
	OPENSSL_cleanse(&ca, sizeof(ca));
	OPENSSL_cleanse(&cb, sizeof(cb));
	if (rc != 0) {
		relay_leg_free(st->la);
		relay_leg_free(st->lb);
		st->la = st->lb = NULL;
	}
	return rc;
}

/* ---- the plan: secure or not, relayed or not, and why ---- */

static const char *
redirect_word(int why)
{
	switch (why) {
	case CC_REDIRECT_FORWARD:
		return "forwarded";
	case CC_REDIRECT_TRANSFER:
		return "transferred";
	case CC_REDIRECT_PICKUP:
		return "parked and picked-up";
	default:
		return "redirected";
	}
}

/* Is one of the stream's numbers telephony-service voicemail?  The
 * phones' own numbers (the connected one) and the number first dialed
 * (a call forwarded elsewhere from the voicemail number). */
static int
to_voicemail(const struct cc_media *m, const char *vm)
{
	const char *nums[3] = {m->a_number, m->b_number, m->original_called};

	if (vm == NULL || vm[0] == '\0')
		return 0;
	for (size_t i = 0; i < 3; i++)
		if (nums[i] != NULL && strcmp(nums[i], vm) == 0)
			return 1;
	return 0;
}

/*
 * The one decision on a phone-to-phone stream: SRTP or RTP, through the
 * relay (flow-through) or phone to phone (flow-around), and why, for
 * `show ephone offhook` and the log (never a key).  The chapter's rules:
 * secure only when both phones are encrypted (TLS and encrypted mode),
 * never what is left of a conference without its creator, never a call
 * to voicemail ("Calls to Cisco Unity Express are not secure");
 * flow-around only when voice service voip says `media flow-around` and
 * the call was not forwarded or transferred (nor parked and picked up:
 * CME parks by transferring); the configuration is read for each new
 * stream, so a change applies to the next one.  Plain RTP goes phone to
 * phone whatever the mode.
 */
static void
stream_plan(struct stream *st, const struct cc_media *m)
{
	const struct config *cfg = sccp_call_daemon()->cfg;
	const char *vm = cfg->tel.voicemail;
	int around = cfg->voip.media == MEDIA_FLOW_AROUND;

	st->secure = st->flow_around = 0;
	if (!dev_encrypted(st->a) || !dev_encrypted(st->b))
		snprintf(st->why, sizeof(st->why), "not secure: %s",
		    !dev_encrypted(st->a) && !dev_encrypted(st->b)
		        ? "the phones are not encrypted"
		        : "a phone is not encrypted");
	else if (m->nonsecure)
		snprintf(st->why, sizeof(st->why),
		    "not secure: conference left by its creator");
	else if (to_voicemail(m, vm))
		snprintf(st->why, sizeof(st->why),
		    "not secure: call to voicemail %s", vm);
	else if (around && m->redirected != CC_REDIRECT_NONE) {
		st->secure = 1;
		snprintf(st->why, sizeof(st->why), "%s call: no flow-around",
		    redirect_word(m->redirected));
	} else {
		st->secure = 1;
		st->flow_around = around;
		snprintf(st->why, sizeof(st->why), "%s",
		    around ? "media flow-around" : "media flow-through");
	}
	if (st->secure &&
	    (st->flow_around ? around_setup(st) : secure_setup(st)) != 0) {
		st->secure = st->flow_around = 0;
		snprintf(
		    st->why, sizeof(st->why), "not secure: no keys or relay");
	}
	log_info("SCCP %s (%s) <-> %s (%s): %s %s (%s)",
	    st->a->sess->reg.device_name, m->a_number ? m->a_number : "-",
	    st->b->sess->reg.device_name, m->b_number ? m->b_number : "-",
	    st->secure ? "SRTP" : "RTP",
	    !st->secure           ? "phone to phone"
	        : st->flow_around ? "phone to phone"
	                          : "through the relay",
	    st->why);
}

/* ---- a stream's life: open, acks, start, close ---- */

/* The engine opened a stream between two phones: its plan, then
 * OpenReceiveChannel to both (with their receive keys when secure). */
void
sccp_media_stream_open(struct dev *a, struct dev *b, const struct cc_media *m)
{
	struct stream *st = xcalloc(1, sizeof(*st));

	st->a = a;
	st->b = b;
	st->a_ref = m->a_ref;
	st->b_ref = m->b_ref;
	st->a_party = sccp_media_party_new();
	st->b_party = sccp_media_party_new();
	st->next = media.streams;
	media.streams = st;
	stream_plan(st, m);
	sccp_media_open_receive(
	    a, st->a_party, st->a_ref, st->secure ? st->a_recv : NULL);
	sccp_media_open_receive(
	    b, st->b_party, st->b_ref, st->secure ? st->b_recv : NULL);
}

/* The engine closed a stream between two phones: both sides stop, the
 * keys are wiped. */
void
sccp_media_stream_close(struct dev *a, struct dev *b, const struct cc_media *m)
{
	struct stream *st;
	uint32_t a_ref, b_ref;
	int was_secure;

	for (st = media.streams; st != NULL; st = st->next)
		if ((st->a == a && st->a_ref == m->a_ref && st->b == b &&
		        st->b_ref == m->b_ref) ||
		    (st->a == b && st->a_ref == m->b_ref && st->b == a &&
		        st->b_ref == m->a_ref))
			break;
	if (st == NULL)
		return;
	sccp_media_stop_side(st->a, st->a_party, st->a_ref);
	sccp_media_stop_side(st->b, st->b_party, st->b_ref);
	was_secure = st->secure && st->started;
	a = st->a;
	b = st->b;
	a_ref = st->a_ref;
	b_ref = st->b_ref;
	stream_free(st);
	/* The lock goes away with the secure stream while the call goes on
	 * (joined to a conference, renegotiated for a transfer). */
	if (was_secure) {
		if (sccp_call_leg_state(a, a_ref) == CC_CONNECTED)
			sccp_call_info_resend(a, a_ref);
		if (sccp_call_leg_state(b, b_ref) == CC_CONNECTED)
			sccp_call_info_resend(b, b_ref);
	}
}

/* Flow-around: each phone sends to the other with its transmit key,
 * the other's receive key (spec 10.2); then the lock. */
static void
start_around(struct stream *st)
{
	sccp_media_start_transmission(
	    st->a, st->a_party, st->a_ref, st->b_ip, st->b_port, st->a_send);
	sccp_media_start_transmission(
	    st->b, st->b_party, st->b_ref, st->a_ip, st->a_port, st->b_send);
	sccp_call_info_resend(st->a, st->a_ref);
	sccp_call_info_resend(st->b, st->b_ref);
}

/* A phone's OpenReceiveChannelAck: once both sides have answered, each
 * sends to the other (plain, or SRTP flow-around) or to its relay leg
 * (SRTP flow-through). */
void
sccp_media_acked(struct dev *d, const struct sccp_open_receive_channel_ack *ack)
{
	struct stream *st;

	for (st = media.streams; st != NULL; st = st->next) {
		int side_a =
		    st->a == d && st->a_party == ack->pass_thru_party_id;
		int side_b =
		    st->b == d && st->b_party == ack->pass_thru_party_id;
		struct relay_leg *leg = side_a ? st->la : st->lb;

		if (!side_a && !side_b)
			continue;
		if (side_a) {
			st->a_acked = ack->status == 0;
			memcpy(st->a_ip, ack->ip.addr, 4);
			st->a_port = ack->port;
		} else {
			st->b_acked = ack->status == 0;
			memcpy(st->b_ip, ack->ip.addr, 4);
			st->b_port = ack->port;
		}
		if (leg != NULL && ack->status == 0 && ack->port <= 65535) {
			struct sockaddr_in sin;

			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			memcpy(&sin.sin_addr, ack->ip.addr, 4);
			sin.sin_port = htons((uint16_t)ack->port);
			relay_leg_set_remote(leg, &sin);
		}
		break;
	}
	if (st == NULL || st->started || !st->a_acked || !st->b_acked)
		return;
	st->started = 1;
	if (st->secure && st->flow_around) {
		start_around(st);
		return;
	}
	if (st->secure) {
		uint8_t relay_ip[4];

		memcpy(relay_ip, &media.relay_addr, 4);
		sccp_media_start_transmission(st->a, st->a_party, st->a_ref,
		    relay_ip, relay_leg_port(st->la), st->a_send);
		sccp_media_start_transmission(st->b, st->b_party, st->b_ref,
		    relay_ip, relay_leg_port(st->lb), st->b_send);
		/* The lock icon (spec 10.3). */
		sccp_call_info_resend(st->a, st->a_ref);
		sccp_call_info_resend(st->b, st->b_ref);
		return;
	}
	sccp_media_start_transmission(
	    st->a, st->a_party, st->a_ref, st->b_ip, st->b_port, NULL);
	sccp_media_start_transmission(
	    st->b, st->b_party, st->b_ref, st->a_ip, st->a_port, NULL);
}

/* ---- for the other modules ---- */

const struct stream *
sccp_media_streams(void)
{
	return media.streams;
}

int
sccp_media_relay_is_running(void)
{
	return media.relay != NULL;
}

int
sccp_media_relay_gso(void)
{
	return media.relay != NULL ? relay_gso_active(media.relay) : -1;
}

const struct in_addr *
sccp_media_relay_addr(void)
{
	return &media.relay_addr;
}

void
sccp_media_device_gone(struct dev *d)
{
	struct stream *st, *next;

	for (st = media.streams; st != NULL; st = next) {
		next = st->next;
		if (st->a == d || st->b == d)
			stream_free(st);
	}
}

void
sccp_media_stop(void)
{
	while (media.streams != NULL)
		stream_free(media.streams);
	relay_free(media.relay);
	memset(&media, 0, sizeof(media));
}
