/*
 * The SCCP face of call control (src/call/callctl.h): registered phones
 * become call-control devices with their lines (ephone-dn numbers); what
 * a phone does (OffHook, KeypadButton, SoftKeyEvent, Stimulus,
 * EnblocCall, OnHook) becomes engine events; every leg change the engine
 * reports becomes the messages of spec 12 (CallState, CallInfo, tones,
 * ringer, lamp, soft keys, prompt); every media stream it opens becomes
 * OpenReceiveChannel to both phones, then StartMediaTransmission to each
 * with the other's address from its OpenReceiveChannelAck: RTP phone to
 * phone, or, when both phones are encrypted (TLS and device-security-mode
 * encrypted), SRTP through the media relay (src/media, "flow-through"):
 * one relay leg per phone and four fresh keys per stream, each phone's
 * receive key in its OpenReceiveChannel and its transmit key in its
 * StartMediaTransmission (spec 9, 10.2); every reopen (resume, transfer)
 * makes new keys, and keys are wiped when the stream closes.  With
 * `media flow-around` (voice service voip) an SRTP stream goes phone to
 * phone instead, with two keys given end to end, except for calls that
 * were forwarded or transferred (cc_media.redirected, the chapter's
 * restriction).  stream_plan is the one place that decides what a
 * stream is (secure or not, relayed or not) and keeps its reason; calls
 * to telephony-service voicemail are never secure.  Conference
 * bridges get a mixer each (media/mixer.h, plain RTP as the chapter
 * says): each member streams to its own mixer port.  A call joined to a
 * conference loses its secure stream (CallInfo says so)
 * and gets a new one, secure again, when two phones remain (not when the
 * creator left: cc_media.nonsecure).  A held or parked party hears
 * music on hold (cc_media.moh): a receive-only plain RTP stream from the
 * music-on-hold source (media/moh.h, the `moh` file or tone on hold),
 * never keyed, so the lock goes away while held; resuming makes a new
 * secure stream with new keys.  The show commands read the legs and
 * streams kept here (sccp_call_describe, sccp_call_show_rtp).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "call/callctl.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "fmt/sccp.h"
#include "fmt/sccp_callmsg.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "media/mixer.h"
#include "media/moh.h"
#include "media/relay.h"
#include "media/srtp_crypto.h"
#include "svc/sccp/sccp_int.h"

#define STIMULUS_LINE 9u
#define LAMP_OFF 1u
#define LAMP_ON 2u
#define LAMP_WINK 3u
#define LAMP_BLINK 5u
#define RING_OFF 1u
#define RING_INSIDE 2u
#define CODEC_G711U 4u
#define PACKET_MS 20u
#define SECURE_SUITE SRTPC_AES_CM_128_HMAC_SHA1_32 /* SCCP's default */
#define RELAY_PORT_LO 16384 /* without voice service voip rtp-port range */
#define RELAY_PORT_HI 32766
#define INFO_CACHE 8
#define G711_BYTES 160 /* payload of a 20 ms G.711 packet */

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

/* A registered phone known to the engine. */
struct dev {
	void *conn;
	struct sccp_sess *sess;
	struct cc_device *cd;
	struct leg_track legs[INFO_CACHE];
	struct info_cache info[INFO_CACHE];
	unsigned next_info;
	struct dev *next;
};

/* A phone-to-phone stream being set up or running. */
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

/* A conference bridge's media: one mixer, one member per phone leg. */
struct bmember {
	struct dev *d;
	uint32_t ref, party;
	struct mixer_member *mm;
	uint16_t port;
	int started;
};

struct bridge_media {
	unsigned id;
	struct mixer *mx;
	struct bmember m[MIXER_MAX_MEMBERS];
	size_t n;
	struct bridge_media *next;
};

/* Music on hold to one phone leg: receive only (no
 * StartMediaTransmission: nothing of the held phone's microphone goes
 * out in plain RTP), never keyed. */
struct moh_stream {
	struct dev *d;
	uint32_t ref, party;
	struct moh_listener *l;
	uint8_t ip[4];
	uint32_t port;
	int acked;
	struct moh_stream *next;
};

struct line_map {
	char number[24];
	struct cc_line *line;
	struct line_map *next;
};

static struct {
	struct daemon *d;
	struct cc *cc;
	struct event *tick;
	struct dev *devs;
	struct stream *streams;
	struct line_map *lines;
	uint32_t next_party;
	struct relay *relay; /* made with the first encrypted stream */
	struct in_addr relay_addr;
	struct bridge_media *bridges;
	uint16_t relay_lo, relay_hi; /* the relay's port range */
	struct moh *moh; /* made with the first held party */
	struct in_addr moh_addr;
	uint16_t moh_lo, moh_hi;
	struct moh_stream *mohs;
	int moh_warned; /* the last file problem logged (enum moh_err) */
} call;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct dev *
dev_of_conn(void *conn)
{
	struct dev *d;

	for (d = call.devs; d != NULL; d = d->next)
		if (d->conn == conn)
			return d;
	return NULL;
}

static uint32_t
hdr(const struct dev *d, uint32_t id)
{
	return sccp_sess_hdr(d->sess, id);
}

/* ---- timers ---- */

static void params_sync(void);

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	params_sync();
	cc_tick(call.cc, now_ms());
	sccp_call_rearm();
}

void
sccp_call_rearm(void)
{
	uint64_t next, now;
	struct timeval tv;

	if (call.cc == NULL || call.tick == NULL)
		return;
	next = cc_next_deadline(call.cc);
	evtimer_del(call.tick);
	if (next == 0)
		return;
	now = now_ms();
	next = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(next / 1000u);
	tv.tv_usec = (suseconds_t)(next % 1000u) * 1000;
	evtimer_add(call.tick, &tv);
}

/* ---- what a phone sees ---- */

static uint32_t
tone_code(int tone)
{
	switch (tone) {
	case CC_TONE_DIAL:
		return 0x21;
	case CC_TONE_RINGBACK:
		return 0x24;
	case CC_TONE_BUSY:
		return 0x23;
	case CC_TONE_REORDER:
		return 0x25;
	default:
		return 0;
	}
}

static uint32_t
lamp_mode(int state)
{
	switch (state) {
	case CC_RINGIN:
		return LAMP_BLINK;
	case CC_HOLD:
		return LAMP_WINK;
	case CC_ONHOOK:
		return LAMP_OFF;
	default:
		return LAMP_ON;
	}
}

static struct stream *stream_of(const struct dev *d, uint32_t ref);
static int leg_state(const struct dev *d, uint32_t ref);

/* spec 10.3: 3 Encrypted while the leg is connected and a secure stream
 * runs, else 1 NotAuthenticated (ringing, hold, conference, plain RTP).
 * The leg's new state counts: the view of a leg going on hold is sent
 * before its stream closes. */
static uint32_t
security_of(const struct dev *d, uint32_t ref)
{
	const struct stream *st = stream_of(d, ref);

	return st != NULL && st->secure && st->started &&
	        leg_state(d, ref) == CC_CONNECTED
	    ? 3
	    : 1;
}

static void
info_send(struct dev *d, const struct info_cache *c, struct buf *b)
{
	struct sccp_call_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.calling = c->calling;
	ci.calling_name = c->calling_name;
	ci.called = c->called;
	ci.called_name = c->called_name;
	ci.original_called = c->orig[0] ? c->orig : NULL;
	ci.line = c->line;
	ci.ref = c->ref;
	ci.call_type = c->call_type;
	ci.call_instance = 1;
	ci.security_status = security_of(d, c->ref);
	(void)sccp_call_info_build(b, hdr(d, SCCP_CALL_INFO), &ci);
}

static struct info_cache *
info_find(struct dev *d, uint32_t ref)
{
	for (unsigned i = 0; i < INFO_CACHE; i++)
		if (d->info[i].ref == ref)
			return &d->info[i];
	return NULL;
}

static void
leg_track(struct dev *d, const struct cc_leg_view *v)
{
	struct leg_track *t = NULL, *free_slot = NULL;

	for (unsigned i = 0; i < INFO_CACHE; i++) {
		if (d->legs[i].state != 0 && d->legs[i].ref == v->ref)
			t = &d->legs[i];
		else if (d->legs[i].state == 0 && free_slot == NULL)
			free_slot = &d->legs[i];
	}
	if (v->state == CC_ONHOOK) {
		if (t != NULL)
			memset(t, 0, sizeof(*t));
		return;
	}
	if (t == NULL && (t = free_slot) == NULL)
		return; /* more legs than a phone shows: not tracked */
	t->ref = v->ref;
	t->line = v->line;
	t->state = v->state;
}

static void
leg_cb(void *arg, void *conn, const struct cc_leg_view *v)
{
	struct dev *d = dev_of_conn(conn);
	struct buf b = BUF_INIT;
	uint32_t line = v->line, ref = v->ref, proto;

	(void)arg;
	if (d == NULL)
		return;
	leg_track(d, v);
	proto = d->sess->proto;
	if (v->state != CC_RINGIN)
		(void)sccp_set_ringer_build(
		    &b, hdr(d, SCCP_SET_RINGER), RING_OFF, 1, line, ref);
	if (v->tone != CC_TONE_NONE)
		(void)sccp_start_tone_build(
		    &b, hdr(d, SCCP_START_TONE), tone_code(v->tone), line, ref);
	else
		(void)sccp_stop_tone_build(
		    &b, hdr(d, SCCP_STOP_TONE), proto, line, ref);
	(void)sccp_set_lamp_build(&b, hdr(d, SCCP_SET_LAMP), STIMULUS_LINE,
	    line, lamp_mode(v->state));
	if (v->state == CC_RINGOUT || v->state == CC_BUSY ||
	    v->state == CC_INVALID)
		(void)sccp_dialed_number_build(&b, hdr(d, SCCP_DIALED_NUMBER),
		    proto, v->called_number, line, ref);
	(void)sccp_call_state_build(
	    &b, hdr(d, SCCP_CALL_STATE), (uint32_t)v->state, line, ref);
	if (v->state == CC_RINGOUT || v->state == CC_RINGIN ||
	    v->state == CC_CONNECTED || v->state == CC_HOLD) {
		/* The leg view names the other party "called" whatever the
		 * direction; CallInfo wants calling/called as dialed. */
		struct info_cache *c = info_find(d, ref);
		int in = v->call_type != CC_CALL_OUT;

		if (c == NULL) {
			c = &d->info[d->next_info++ % INFO_CACHE];
			memset(c, 0, sizeof(*c));
		}
		c->ref = ref;
		c->line = line;
		c->call_type = (uint32_t)v->call_type;
#define CP(f, x) snprintf(c->f, sizeof(c->f), "%s", (x) ? (x) : "")
		CP(calling, in ? v->called_number : v->calling_number);
		CP(calling_name, in ? v->called_name : v->calling_name);
		CP(called, in ? v->calling_number : v->called_number);
		CP(called_name, in ? v->calling_name : v->called_name);
		CP(orig, v->original_called);
#undef CP
		info_send(d, c, &b);
	}
	if (v->state == CC_RINGIN)
		(void)sccp_set_ringer_build(&b, hdr(d, SCCP_SET_RINGER),
		    v->ringing ? RING_INSIDE : RING_OFF, 1, line, ref);
	if (v->state == CC_OFFHOOK || v->state == CC_CONNECTED)
		(void)sccp_activate_call_plane_build(
		    &b, hdr(d, SCCP_ACTIVATE_CALL_PLANE), line);
	if (v->prompt != NULL)
		(void)sccp_display_prompt_build(&b,
		    hdr(d, SCCP_DISPLAY_PROMPT_STATUS), 10, v->prompt, line,
		    ref);
	else if (v->state == CC_ONHOOK)
		(void)sccp_clear_prompt_build(
		    &b, hdr(d, SCCP_CLEAR_PROMPT_STATUS), line, ref);
	if (v->state == CC_ONHOOK) {
		struct info_cache *c = info_find(d, ref);

		if (c != NULL)
			memset(c, 0, sizeof(*c));
	}
	if (v->state == CC_ONHOOK)
		(void)sccp_select_soft_keys_build(
		    &b, hdr(d, SCCP_SELECT_SOFT_KEYS), 0, 0, 0, 0xFFFFFFFFu);
	else
		(void)sccp_select_soft_keys_build(&b,
		    hdr(d, SCCP_SELECT_SOFT_KEYS), line, ref,
		    (uint32_t)v->keyset, 0xFFFFFFFFu);
	sccp_svc_send(conn, &b);
	buf_free(&b);
}

/* ---- media ---- */

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
static void
open_receive(
    struct dev *d, uint32_t party, uint32_t ref, const uint8_t *key_salt)
{
	struct sccp_msg m;
	struct buf b = BUF_INIT;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_OPEN_RECEIVE_CHANNEL;
	m.hdr_version = hdr(d, m.id);
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
static void
start_transmission(struct dev *d, uint32_t party, uint32_t ref,
    const uint8_t ip[4], uint32_t port, const uint8_t *key_salt)
{
	struct sccp_msg m;
	struct buf b = BUF_INIT;

	memset(&m, 0, sizeof(m));
	m.id = SCCP_START_MEDIA_TRANSMISSION;
	m.hdr_version = hdr(d, m.id);
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

static void
stop_side(struct dev *d, uint32_t party, uint32_t ref)
{
	struct buf b = BUF_INIT;

	(void)sccp_close_receive_channel_build(
	    &b, hdr(d, SCCP_CLOSE_RECEIVE_CHANNEL), ref, party, ref);
	(void)sccp_stop_media_transmission_build(
	    &b, hdr(d, SCCP_STOP_MEDIA_TRANSMISSION), ref, party, ref);
	sccp_svc_send(d->conn, &b);
	buf_free(&b);
}

static uint32_t
new_party(void)
{
	if (++call.next_party == 0)
		call.next_party = 1;
	return call.next_party;
}

static struct stream *
stream_of(const struct dev *d, uint32_t ref)
{
	struct stream *st;

	for (st = call.streams; st != NULL; st = st->next)
		if ((st->a == d && st->a_ref == ref) ||
		    (st->b == d && st->b_ref == ref))
			return st;
	return NULL;
}

static void
stream_free(struct stream *st)
{
	struct stream **pp;

	for (pp = &call.streams; *pp != NULL; pp = &(*pp)->next)
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
static void
relay_range(uint16_t *lo, uint16_t *hi)
{
	const struct voice_service_voip *v = &call.d->cfg->voip;

	*lo = RELAY_PORT_LO;
	*hi = RELAY_PORT_HI;
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

static int
relay_ready(void)
{
	struct relay_conf rc;
	const char *addr;
	uint16_t lo, hi;
	int rc2;

	relay_range(&lo, &hi);
	if (call.relay != NULL) {
		struct stream *st;

		if (lo == call.relay_lo && hi == call.relay_hi)
			return 0;
		/* voice service voip rtp-port range changed: a new relay
		 * once no relayed stream runs on the old one. */
		for (st = call.streams; st != NULL; st = st->next)
			if (st->la != NULL || st->lb != NULL)
				return 0;
		relay_free(call.relay);
		call.relay = NULL;
	}
	addr = call.d->cfg->tel.ip_source_addr;
	memset(&rc, 0, sizeof(rc));
	if (addr == NULL || inet_pton(AF_INET, addr, &rc.addr) != 1)
		return -1;
	rc.port_lo = lo;
	rc.port_hi = hi;
	if (srtpc_init() != 0 || (rc2 = relay_new(&rc, &call.relay)) != 0) {
		log_warnx("SCCP: the media relay cannot start");
		return -1;
	}
	primitives_note();
	if (relay_attach(call.relay, call.d->base) != 0) {
		relay_free(call.relay);
		call.relay = NULL;
		return -1;
	}
	call.relay_addr = rc.addr;
	call.relay_lo = lo;
	call.relay_hi = hi;
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

	if (relay_ready() != 0 ||
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
	if (relay_leg_add(call.relay, &ca, &st->la) == 0 &&
	    relay_leg_add(call.relay, &cb, &st->lb) == 0 &&
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

static void secure_info(struct dev *d, uint32_t ref);

static int
leg_state(const struct dev *d, uint32_t ref)
{
	for (unsigned i = 0; i < INFO_CACHE; i++)
		if (d->legs[i].state != 0 && d->legs[i].ref == ref)
			return d->legs[i].state;
	return CC_ONHOOK;
}

/* ---- conference bridges: the mixer (plain RTP, chapter) ---- */

static struct bridge_media *
bridge_of(unsigned id, int create)
{
	struct bridge_media *b;
	uint16_t lo, hi;

	for (b = call.bridges; b != NULL; b = b->next)
		if (b->id == id)
			return b;
	if (!create || relay_ready() != 0)
		return NULL;
	relay_range(&lo, &hi);
	b = xcalloc(1, sizeof(*b));
	b->id = id;
	if (mixer_new(call.d->base, &call.relay_addr, lo, hi, &b->mx) != 0) {
		free(b);
		return NULL;
	}
	b->next = call.bridges;
	call.bridges = b;
	return b;
}

static void
bridge_free(struct bridge_media *b)
{
	struct bridge_media **pp;

	for (pp = &call.bridges; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	mixer_free(b->mx);
	free(b);
}

static void
bridge_member_drop(struct bridge_media *b, size_t i, int tell_phone)
{
	if (tell_phone)
		stop_side(b->m[i].d, b->m[i].party, b->m[i].ref);
	mixer_member_remove(b->m[i].mm);
	b->m[i] = b->m[--b->n];
	if (b->n == 0)
		bridge_free(b);
}

static void
bridge_media(struct dev *d, uint32_t ref, unsigned id, int on)
{
	struct bridge_media *b = bridge_of(id, on);
	struct bmember *bm;

	if (b == NULL)
		return;
	if (!on) {
		for (size_t i = 0; i < b->n; i++)
			if (b->m[i].d == d && b->m[i].ref == ref) {
				bridge_member_drop(b, i, 1);
				return;
			}
		return;
	}
	if (b->n >= MIXER_MAX_MEMBERS)
		return;
	bm = &b->m[b->n];
	memset(bm, 0, sizeof(*bm));
	if (mixer_member_add(b->mx, &bm->mm, &bm->port) != 0) {
		log_warnx("SCCP: conference bridge %u: no media port", id);
		if (b->n == 0)
			bridge_free(b);
		return;
	}
	bm->d = d;
	bm->ref = ref;
	bm->party = new_party();
	b->n++;
	open_receive(d, bm->party, ref, NULL);
}

/* OpenReceiveChannelAck of a bridge member: the mixer sends there, the
 * phone sends to its member port.  1 when it was one. */
static int
bridge_acked(struct dev *d, const struct sccp_open_receive_channel_ack *ack)
{
	struct bridge_media *b;

	for (b = call.bridges; b != NULL; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			struct bmember *bm = &b->m[i];
			struct sockaddr_in sin;
			uint8_t ip[4];

			if (bm->d != d || bm->party != ack->pass_thru_party_id)
				continue;
			if (ack->status != 0 || ack->port > 65535 ||
			    bm->started)
				return 1;
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			memcpy(&sin.sin_addr, ack->ip.addr, 4);
			sin.sin_port = htons((uint16_t)ack->port);
			mixer_member_set_remote(bm->mm, &sin);
			memcpy(ip, &call.relay_addr, 4);
			start_transmission(
			    d, bm->party, bm->ref, ip, bm->port, NULL);
			bm->started = 1;
			return 1;
		}
	return 0;
}

/* A phone went away: its bridge members go (no messages to it). */
static void
bridge_device_gone(struct dev *d)
{
	struct bridge_media *b, *next;

	for (b = call.bridges; b != NULL; b = next) {
		next = b->next;
		for (size_t i = 0; i < b->n;)
			if (b->m[i].d == d) {
				int last = b->n == 1;

				bridge_member_drop(b, i, 0);
				if (last)
					break;
			} else {
				i++;
			}
	}
}

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
	const struct config *cfg = call.d->cfg;
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

/* ---- music on hold (plain RTP, chapter) ---- */

/* What the source plays when it starts: the `moh` file, or tone on hold
 * when none is configured or it cannot be played (said once per
 * problem, naming the file). */
static void
moh_audio_pick(void)
{
	const char *url = call.d->cfg->tel.moh;
	uint8_t *audio = NULL, tone[MOH_TONE_LEN];
	size_t n = 0;
	struct moh_audio_info info;
	char *path;
	int rc = MOH_E_IO;

	if (url != NULL && url[0] != '\0') {
		path = daemon_url_path(call.d->statedir, url);
		if (path == NULL)
			errno = EINVAL;
		else
			rc = moh_file_load(path, &audio, &n, &info);
		if (rc == MOH_OK) {
			moh_set_audio(call.moh, audio, n, 0);
			free(audio);
			free(path);
			call.moh_warned = 0;
			return;
		}
		if (rc != call.moh_warned) {
			if (rc == MOH_E_IO)
				log_warn("SCCP: music on hold file %s (%s): "
				         "playing tone on hold",
				    url, path != NULL ? path : "bad URL");
			else
				log_warnx("SCCP: music on hold file %s: %s "
				          "(encoding %u, %u Hz, %u channels): "
				          "playing tone on hold",
				    url, moh_err_str(rc), info.encoding,
				    info.rate, info.channels);
		}
		call.moh_warned = rc;
		free(path);
	}
	moh_tone(tone);
	moh_set_audio(call.moh, tone, sizeof(tone), 1);
}

/* The source on ip source-address in the rtp-port range (again when
 * the range changed and nobody listens). */
static int
moh_ready(void)
{
	const char *addr = call.d->cfg->tel.ip_source_addr;
	struct in_addr in;
	uint16_t lo, hi;

	relay_range(&lo, &hi);
	if (addr == NULL || inet_pton(AF_INET, addr, &in) != 1)
		return -1;
	if (call.moh != NULL && moh_listeners(call.moh) == 0 &&
	    (lo != call.moh_lo || hi != call.moh_hi ||
	        in.s_addr != call.moh_addr.s_addr)) {
		moh_free(call.moh);
		call.moh = NULL;
	}
	if (call.moh == NULL) {
		if (moh_new(call.d->base, &in, lo, hi, &call.moh) != 0) {
			log_warnx("SCCP: music on hold: no UDP port in %u-%u",
			    (unsigned)lo, (unsigned)hi);
			return -1;
		}
		call.moh_addr = in;
		call.moh_lo = lo;
		call.moh_hi = hi;
	}
	if (moh_listeners(call.moh) == 0)
		moh_audio_pick(); /* the file as configured now */
	return 0;
}

static struct moh_stream *
moh_stream_of(const struct dev *d, uint32_t ref)
{
	struct moh_stream *ms;

	for (ms = call.mohs; ms != NULL; ms = ms->next)
		if (ms->d == d && ms->ref == ref)
			return ms;
	return NULL;
}

static void
moh_stream_free(struct moh_stream *ms)
{
	struct moh_stream **pp;

	for (pp = &call.mohs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ms) {
			*pp = ms->next;
			break;
		}
	moh_listener_remove(ms->l);
	free(ms);
}

/* Open (OpenReceiveChannel without keys) or close (CloseReceiveChannel)
 * a phone leg's music on hold. */
static void
moh_media(struct dev *d, uint32_t ref, int on)
{
	struct moh_stream *ms = moh_stream_of(d, ref);
	struct buf b = BUF_INIT;

	if (!on) {
		if (ms == NULL)
			return;
		(void)sccp_close_receive_channel_build(&b,
		    hdr(d, SCCP_CLOSE_RECEIVE_CHANNEL), ref, ms->party, ref);
		sccp_svc_send(d->conn, &b);
		buf_free(&b);
		moh_stream_free(ms);
		return;
	}
	if (ms != NULL || moh_ready() != 0)
		return;
	ms = xcalloc(1, sizeof(*ms));
	if (moh_listener_add(call.moh, &ms->l) != 0) {
		log_warnx("SCCP: music on hold: %u listeners already",
		    (unsigned)MOH_MAX_LISTENERS);
		free(ms);
		return;
	}
	ms->d = d;
	ms->ref = ref;
	ms->party = new_party();
	ms->next = call.mohs;
	call.mohs = ms;
	open_receive(d, ms->party, ref, NULL);
}

/* OpenReceiveChannelAck for music on hold: the source sends there.  1
 * when it was one. */
static int
moh_acked(struct dev *d, const struct sccp_open_receive_channel_ack *ack)
{
	struct moh_stream *ms;
	struct sockaddr_in sin;

	for (ms = call.mohs; ms != NULL; ms = ms->next)
		if (ms->d == d && ms->party == ack->pass_thru_party_id)
			break;
	if (ms == NULL)
		return 0;
	if (ack->status != 0 || ack->port == 0 || ack->port > 65535 ||
	    ms->acked)
		return 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, ack->ip.addr, 4);
	sin.sin_port = htons((uint16_t)ack->port);
	memcpy(ms->ip, ack->ip.addr, 4);
	ms->port = ack->port;
	ms->acked = 1;
	moh_listener_set_remote(ms->l, &sin);
	return 1;
}

/* A phone went away: its music stops (no messages to it). */
static void
moh_device_gone(struct dev *d)
{
	struct moh_stream *ms, *next;

	for (ms = call.mohs; ms != NULL; ms = next) {
		next = ms->next;
		if (ms->d == d)
			moh_stream_free(ms);
	}
}

static void
media_cb(void *arg, const struct cc_media *m, int on)
{
	struct dev *a = dev_of_conn(m->a_dev), *b;
	struct stream *st;
	uint32_t a_ref, b_ref;
	int was_secure;

	(void)arg;
	if (m->moh) {
		if (a != NULL)
			moh_media(a, m->a_ref, on);
		return;
	}
	if (m->b_dev == NULL) {
		if (a != NULL)
			bridge_media(a, m->a_ref, m->bridge, on);
		return;
	}
	b = dev_of_conn(m->b_dev);
	if (a == NULL || b == NULL)
		return;
	if (on) {
		st = xcalloc(1, sizeof(*st));
		st->a = a;
		st->b = b;
		st->a_ref = m->a_ref;
		st->b_ref = m->b_ref;
		st->a_party = new_party();
		st->b_party = new_party();
		st->next = call.streams;
		call.streams = st;
		stream_plan(st, m);
		open_receive(
		    a, st->a_party, st->a_ref, st->secure ? st->a_recv : NULL);
		open_receive(
		    b, st->b_party, st->b_ref, st->secure ? st->b_recv : NULL);
		return;
	}
	for (st = call.streams; st != NULL; st = st->next)
		if ((st->a == a && st->a_ref == m->a_ref && st->b == b &&
		        st->b_ref == m->b_ref) ||
		    (st->a == b && st->a_ref == m->b_ref && st->b == a &&
		        st->b_ref == m->a_ref))
			break;
	if (st == NULL)
		return;
	stop_side(st->a, st->a_party, st->a_ref);
	stop_side(st->b, st->b_party, st->b_ref);
	was_secure = st->secure && st->started;
	a = st->a;
	b = st->b;
	a_ref = st->a_ref;
	b_ref = st->b_ref;
	stream_free(st);
	/* The lock goes away with the secure stream while the call goes on
	 * (joined to a conference, renegotiated for a transfer). */
	if (was_secure) {
		if (leg_state(a, a_ref) == CC_CONNECTED)
			secure_info(a, a_ref);
		if (leg_state(b, b_ref) == CC_CONNECTED)
			secure_info(b, b_ref);
	}
}

static void
secure_info(struct dev *d, uint32_t ref)
{
	struct info_cache *c = info_find(d, ref);
	struct buf b = BUF_INIT;

	if (c == NULL)
		return;
	info_send(d, c, &b);
	sccp_svc_send(d->conn, &b);
	buf_free(&b);
}

/* Flow-around: each phone sends to the other with its transmit key,
 * the other's receive key (spec 10.2); then the lock. */
static void
start_around(struct stream *st)
{
	start_transmission(
	    st->a, st->a_party, st->a_ref, st->b_ip, st->b_port, st->a_send);
	start_transmission(
	    st->b, st->b_party, st->b_ref, st->a_ip, st->a_port, st->b_send);
	secure_info(st->a, st->a_ref);
	secure_info(st->b, st->b_ref);
}

/* A phone's OpenReceiveChannelAck: once both sides have answered, each
 * sends to the other (plain, or SRTP flow-around) or to its relay leg
 * (SRTP flow-through). */
static void
receive_acked(struct dev *d, const struct sccp_open_receive_channel_ack *ack)
{
	struct stream *st;

	if (bridge_acked(d, ack) || moh_acked(d, ack))
		return;
	for (st = call.streams; st != NULL; st = st->next) {
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

		memcpy(relay_ip, &call.relay_addr, 4);
		start_transmission(st->a, st->a_party, st->a_ref, relay_ip,
		    relay_leg_port(st->la), st->a_send);
		start_transmission(st->b, st->b_party, st->b_ref, relay_ip,
		    relay_leg_port(st->lb), st->b_send);
		/* The lock icon (spec 10.3). */
		secure_info(st->a, st->a_ref);
		secure_info(st->b, st->b_ref);
		return;
	}
	start_transmission(
	    st->a, st->a_party, st->a_ref, st->b_ip, st->b_port, NULL);
	start_transmission(
	    st->b, st->b_party, st->b_ref, st->a_ip, st->a_port, NULL);
}

/* ---- lines and devices ---- */

static const struct cc_ops ops = {leg_cb, media_cb};

static struct cc_line *
line_for(struct config *cfg, const char *number, const char *name)
{
	struct line_map *lm;
	struct ephone_dn *dn, *found = NULL;

	TAILQ_FOREACH (dn, &cfg->ephone_dns, entry)
		if (dn->number != NULL && strcmp(dn->number, number) == 0) {
			found = dn;
			break;
		}
	for (lm = call.lines; lm != NULL; lm = lm->next)
		if (lm->line != NULL && strcmp(lm->number, number) == 0)
			break;
	if (lm == NULL) {
		lm = xcalloc(1, sizeof(*lm));
		snprintf(lm->number, sizeof(lm->number), "%s", number);
		lm->line = cc_line_add(call.cc, number, name, NULL, NULL, 0);
		if (lm->line == NULL) {
			free(lm);
			return NULL;
		}
		lm->next = call.lines;
		call.lines = lm;
	}
	cc_line_update(lm->line, found && found->name ? found->name : name,
	    found ? found->cfwd_busy : NULL, found ? found->cfwd_noan : NULL,
	    found ? found->cfwd_noan_timeout : 0);
	return lm->line;
}

static int
is_park_slot(struct config *cfg, const char *number)
{
	struct ephone_dn *dn;

	TAILQ_FOREACH (dn, &cfg->ephone_dns, entry)
		if (dn->park_slot && dn->number != NULL &&
		    strcmp(dn->number, number) == 0)
			return 1;
	return 0;
}

/* Park slots: ephone-dns with park-slot, following the configuration.  A
 * slot removed (no park-slot, no ephone-dn, another number) takes no new
 * call; a call parked there stays until picked up or hung up
 * (cc_park_slot_remove). */
static void
park_slots(struct config *cfg)
{
	struct ephone_dn *dn;
	struct line_map **pp = &call.lines, *gone;

	while (*pp != NULL) {
		if ((*pp)->line != NULL || is_park_slot(cfg, (*pp)->number)) {
			pp = &(*pp)->next;
			continue;
		}
		gone = *pp;
		*pp = gone->next;
		cc_park_slot_remove(call.cc, gone->number);
		free(gone);
	}
	TAILQ_FOREACH (dn, &cfg->ephone_dns, entry) {
		struct line_map *lm;

		if (!dn->park_slot || dn->number == NULL)
			continue;
		for (lm = call.lines; lm != NULL; lm = lm->next)
			if (lm->line == NULL &&
			    strcmp(lm->number, dn->number) == 0)
				break;
		if (lm != NULL || cc_park_slot_add(call.cc, dn->number) != 0)
			continue;
		/* remembered as a line_map without a line */
		lm = xcalloc(1, sizeof(*lm));
		snprintf(lm->number, sizeof(lm->number), "%s", dn->number);
		lm->next = call.lines;
		call.lines = lm;
	}
}

/* telephony-service's transfer-system and max-conferences, read again
 * before every engine event: a change applies to the next transfer or
 * conference, even before the configuration mode is left. */
static void
params_sync(void)
{
	const struct telephony_conf *t;
	struct cc_params p;

	if (call.cc == NULL || call.d == NULL || call.d->cfg == NULL)
		return;
	t = &call.d->cfg->tel;
	memset(&p, 0, sizeof(p));
	p.max_conferences = t->max_conferences;
	p.blind_transfer = t->transfer_system == XFER_FULL_BLIND ||
	    t->transfer_system == XFER_BLIND;
	cc_set_params(call.cc, &p);
}

/* Names, forward targets and park slots follow the configuration. */
void
sccp_call_config_changed(struct config *cfg)
{
	struct line_map *lm;

	if (cfg == NULL || call.cc == NULL)
		return;
	params_sync();
	for (lm = call.lines; lm != NULL; lm = lm->next)
		if (lm->line != NULL)
			(void)line_for(cfg, lm->number, NULL);
	park_slots(cfg);
}

void
sccp_call_device_up(void *conn, struct sccp_sess *sess)
{
	struct config *cfg = call.d != NULL ? call.d->cfg : NULL;
	struct dev *d;

	if (call.cc == NULL || cfg == NULL || dev_of_conn(conn) != NULL)
		return;
	d = xcalloc(1, sizeof(*d));
	d->conn = conn;
	d->sess = sess;
	d->cd = cc_device_add(call.cc, conn);
	for (unsigned i = 0; i < sess->info.nlines; i++) {
		const struct sccp_line_info *li = &sess->info.lines[i];
		struct cc_line *l;

		if (li->number[0] == '\0')
			continue;
		l = line_for(cfg, li->number, li->name);
		if (l != NULL)
			(void)cc_device_line(d->cd, i + 1, l);
	}
	d->next = call.devs;
	call.devs = d;
}

void
sccp_call_device_down(void *conn)
{
	struct dev **pp, *d;
	struct stream *st, *next;

	for (pp = &call.devs; *pp != NULL && (*pp)->conn != conn;
	     pp = &(*pp)->next)
		;
	if ((d = *pp) == NULL)
		return;
	/* Its calls end; the other phones hear about it.  The device
	 * must still be found while that happens, then it goes. */
	cc_device_remove(call.cc, d->cd, now_ms());
	bridge_device_gone(d);
	moh_device_gone(d);
	for (st = call.streams; st != NULL; st = next) {
		next = st->next;
		if (st->a == d || st->b == d)
			stream_free(st);
	}
	*pp = d->next;
	free(d);
	sccp_call_rearm();
}

/* ---- what phones do ---- */

static char
keypad_char(uint32_t button)
{
	if (button <= 9)
		return (char)('0' + button);
	if (button == 0x0E)
		return '*';
	if (button == 0x0F)
		return '#';
	return 0;
}

int
sccp_call_input(void *conn, const struct sccp_msg *m)
{
	struct dev *d = dev_of_conn(conn);
	uint64_t now = now_ms();
	int handled = 1;

	if (d == NULL)
		return 0;
	params_sync();
	switch (m->id) {
	case SCCP_OFF_HOOK:
		(void)cc_offhook(call.cc, d->cd,
		    m->u.hook.has_call ? m->u.hook.line_instance : 0, now);
		break;
	case SCCP_ON_HOOK:
		(void)cc_onhook(call.cc, d->cd,
		    m->u.hook.has_call ? m->u.hook.line_instance : 0,
		    m->u.hook.has_call ? m->u.hook.call_reference : 0, now);
		break;
	case SCCP_KEYPAD_BUTTON: {
		char c = keypad_char(m->u.keypad.button);

		if (c != 0)
			(void)cc_digit(call.cc, d->cd,
			    m->u.keypad.has_call ? m->u.keypad.line_instance
			                         : 0,
			    m->u.keypad.has_call ? m->u.keypad.call_reference
			                         : 0,
			    c, now);
		break;
	}
	case SCCP_ENBLOC_CALL: {
		char number[26];
		size_t n = m->body_len < 25 ? m->body_len : 25;

		memcpy(number, m->body, n);
		number[n] = '\0';
		(void)cc_offhook(call.cc, d->cd, 0, now);
		for (const char *p = number; *p != '\0'; p++)
			(void)cc_digit(call.cc, d->cd, 0, 0, *p, now);
		(void)cc_digit(call.cc, d->cd, 0, 0, '#', now);
		break;
	}
	case SCCP_SOFT_KEY_EVENT: {
		static const struct {
			uint32_t event;
			int key;
		} keys[] = {{2, CC_KEY_NEWCALL}, {3, CC_KEY_HOLD},
		    {4, CC_KEY_TRANSFER}, {9, CC_KEY_ENDCALL},
		    {10, CC_KEY_RESUME}, {11, CC_KEY_ANSWER},
		    {13, CC_KEY_CONFERENCE}, {14, CC_KEY_PARK}};
		const struct sccp_soft_key_event *e = &m->u.soft_key;

		handled = 0;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (keys[i].event == e->event) {
				(void)cc_key(call.cc, d->cd, keys[i].key,
				    e->line_instance, e->call_reference, now);
				handled = 1;
			}
		break;
	}
	case SCCP_STIMULUS:
		/* The line button: a new call on that line. */
		if (m->u.stimulus.stimulus == STIMULUS_LINE)
			(void)cc_offhook(
			    call.cc, d->cd, m->u.stimulus.instance, now);
		else if (m->u.stimulus.stimulus == 3)
			(void)cc_key(call.cc, d->cd, CC_KEY_HOLD,
			    m->u.stimulus.instance,
			    m->u.stimulus.call_reference, now);
		else
			handled = 0;
		break;
	case SCCP_OPEN_RECEIVE_CHANNEL_ACK:
		receive_acked(d, &m->u.orc_ack);
		break;
	case SCCP_START_MEDIA_TRANSMISSION_ACK:
		break;
	default:
		handled = 0;
		break;
	}
	sccp_call_rearm();
	return handled;
}

/* ---- service ---- */

void
sccp_call_start(struct daemon *d)
{
	if (call.cc != NULL)
		return;
	call.d = d;
	call.cc = cc_new(&ops, NULL, NULL);
	params_sync();
	call.tick = evtimer_new(d->base, tick_cb, NULL);
	park_slots(d->cfg);
}

void
sccp_call_stop(void)
{
	while (call.devs != NULL) {
		struct dev *d = call.devs;

		call.devs = d->next;
		free(d);
	}
	while (call.streams != NULL)
		stream_free(call.streams);
	while (call.bridges != NULL)
		bridge_free(call.bridges);
	while (call.mohs != NULL)
		moh_stream_free(call.mohs);
	moh_free(call.moh);
	relay_free(call.relay);
	while (call.lines != NULL) {
		struct line_map *lm = call.lines;

		call.lines = lm->next;
		free(lm);
	}
	if (call.tick != NULL)
		event_free(call.tick);
	cc_free(call.cc);
	memset(&call, 0, sizeof(call));
}

void
sccp_call_stats(struct cc_stats *out)
{
	if (call.cc != NULL)
		cc_stats_get(call.cc, out);
	else
		memset(out, 0, sizeof(*out));
}

/* ---- show commands ---- */

static struct dev *
dev_of_sess(const struct sccp_sess *s)
{
	struct dev *d;

	for (d = call.devs; d != NULL; d = d->next)
		if (d->sess == s)
			return d;
	return NULL;
}

void
sccp_call_summary(const struct sccp_sess *s, struct sccp_call_summary *out)
{
	const struct dev *d = dev_of_sess(s);
	const struct stream *st;

	memset(out, 0, sizeof(*out));
	if (d == NULL)
		return;
	for (unsigned i = 0; i < INFO_CACHE; i++) {
		const struct leg_track *t = &d->legs[i];

		if (t->state == 0)
			continue;
		if (t->state == CC_RINGIN)
			out->ringing = 1;
		else if (t->state != CC_HOLD) {
			out->offhook = 1;
			out->active_line = t->line;
		}
	}
	for (st = call.streams; st != NULL; st = st->next)
		if (st->a == d || st->b == d) {
			out->media_active = 1;
			out->start_media |= st->started;
		}
	for (const struct moh_stream *ms = call.mohs; ms != NULL; ms = ms->next)
		if (ms->d == d)
			out->media_active = 1;
}

static const char *
state_word(int state)
{
	switch (state) {
	case CC_OFFHOOK:
		return "SEIZE";
	case CC_RINGOUT:
		return "ALERTING";
	case CC_RINGIN:
		return "RINGING";
	case CC_CONNECTED:
		return "CONNECTED";
	case CC_HOLD:
		return "HOLD";
	case CC_BUSY:
		return "BUSY";
	case CC_PROCEED:
		return "PROCEED";
	case CC_CONGESTION:
	case CC_INVALID:
		return "REORDER";
	default:
		return "IDLE";
	}
}

const char *
sccp_call_line_state(const struct sccp_sess *s, unsigned line)
{
	const struct dev *d = dev_of_sess(s);
	int best = 0;

	if (d == NULL)
		return "IDLE";
	/* The active leg of the line wins over a held one. */
	for (unsigned i = 0; i < INFO_CACHE; i++) {
		const struct leg_track *t = &d->legs[i];

		if (t->state == 0 || t->line != line)
			continue;
		if (best == 0 || best == CC_HOLD)
			best = t->state;
	}
	return state_word(best);
}

static void
ip_str(const uint8_t ip[4], char *out, size_t cap)
{
	if (inet_ntop(AF_INET, ip, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "0.0.0.0");
}

/* The ephone-dn tag of a line number, 0 if none. */
static unsigned
dn_tag(struct config *cfg, const struct sccp_sess *s, unsigned line)
{
	const struct ephone_dn *dn;
	const char *number;

	if (line == 0 || line > s->info.nlines)
		return 0;
	number = s->info.lines[line - 1].number;
	TAILQ_FOREACH (dn, &cfg->ephone_dns, entry)
		if (dn->number != NULL && strcmp(dn->number, number) == 0)
			return dn->tag;
	return 0;
}

static uint64_t
rtp_only(uint64_t all, uint64_t rtcp)
{
	return all >= rtcp ? all - rtcp : 0;
}

/* Packets from the phone the relay could not forward: failed checks. */
static uint64_t
leg_lost(const struct relay_stats *k)
{
	return k->short_pkt + k->malformed + k->auth_fail + k->replay;
}

/* The media line of a call block: where the stream goes and why. */
static void
describe_mode(const struct stream *st, struct buf *out)
{
	if (st->la != NULL)
		buf_printf(out,
		    "Media: flow-through, SRTP through the CME relay (%s)\n",
		    st->why);
	else if (st->secure)
		buf_printf(out,
		    "Media: flow-around, SRTP phone to phone, keys end to end "
		    "(%s)\n",
		    st->why);
	else
		buf_printf(out, "Media: RTP phone to phone (%s)\n", st->why);
}

/* A held party's music on hold in `show ephone offhook`: plain RTP
 * from the source, no keys. */
static void
moh_describe(struct config *cfg, const struct sccp_sess *s,
    const struct leg_track *t, const char *number, const struct moh_stream *ms,
    struct buf *out)
{
	char lip[INET_ADDRSTRLEN], sip[INET_ADDRSTRLEN];
	uint8_t src[4];

	memcpy(src, &call.moh_addr, 4);
	ip_str(ms->ip, lip, sizeof(lip));
	ip_str(src, sip, sizeof(sip));
	buf_printf(out,
	    "Lpcor Type: none Active Call on DN %u chan 1 :%s %s %u from %s "
	    "%u music on hold (%s, RTP, not secure)\n",
	    dn_tag(cfg, s, t->line), number, lip, (unsigned)ms->port, sip,
	    (unsigned)moh_port(call.moh),
	    moh_is_tone(call.moh) ? "tone on hold" : "moh file");
	buf_printf(out, "G711Ulaw64k %u bytes no vad\n", G711_BYTES);
	buf_printf(out,
	    "Tx Pkts - bytes - Rx Pkts %llu bytes %llu Lost 0 (receive "
	    "only)\n",
	    (unsigned long long)moh_listener_stats(ms->l)->tx,
	    (unsigned long long)(moh_listener_stats(ms->l)->tx * G711_BYTES));
}

void
sccp_call_describe(
    struct config *cfg, const struct sccp_sess *s, struct buf *out)
{
	const struct dev *d = dev_of_sess(s);
	const struct stream *st;

	if (d == NULL)
		return;
	for (unsigned i = 0; i < INFO_CACHE; i++) {
		const struct leg_track *t = &d->legs[i];
		char lip[INET_ADDRSTRLEN], rip[INET_ADDRSTRLEN],
		    vip[INET_ADDRSTRLEN];
		const uint8_t *my_ip, *other_ip;
		uint32_t my_port, other_port;
		const char *number;
		struct relay_leg *leg;
		int side_a;

		if (t->state == 0 || t->state == CC_RINGIN)
			continue;
		number = t->line >= 1 && t->line <= s->info.nlines
		    ? s->info.lines[t->line - 1].number
		    : "";
		st = stream_of(d, t->ref);
		if (st == NULL) {
			const struct bridge_media *b;
			const struct bmember *bm = NULL;

			for (b = call.bridges; b != NULL && bm == NULL;
			     b = b->next)
				for (size_t k = 0; k < b->n; k++)
					if (b->m[k].d == d &&
					    b->m[k].ref == t->ref)
						bm = &b->m[k];
			if (bm != NULL)
				buf_printf(out,
				    "Lpcor Type: none Active Call on DN %u "
				    "chan 1 :%s conference mixer port %u "
				    "(RTP)\n",
				    dn_tag(cfg, s, t->line), number,
				    (unsigned)bm->port);
			else if (moh_stream_of(d, t->ref) != NULL)
				moh_describe(cfg, s, t, number,
				    moh_stream_of(d, t->ref), out);
			else if (t->state == CC_CONNECTED)
				buf_printf(out,
				    "Lpcor Type: none Active Call on DN %u "
				    "chan 1 :%s no media stream\n",
				    dn_tag(cfg, s, t->line), number);
			continue;
		}
		side_a = st->a == d && st->a_ref == t->ref;
		my_ip = side_a ? st->a_ip : st->b_ip;
		my_port = side_a ? st->a_port : st->b_port;
		leg = side_a ? st->la : st->lb;
		ip_str(my_ip, lip, sizeof(lip));
		if (leg != NULL) {
			uint8_t relay_ip[4];

			memcpy(relay_ip, &call.relay_addr, 4);
			ip_str(relay_ip, rip, sizeof(rip));
			other_port = relay_leg_port(leg);
			snprintf(vip, sizeof(vip), "%s", rip);
		} else {
			other_ip = side_a ? st->b_ip : st->a_ip;
			other_port = side_a ? st->b_port : st->a_port;
			ip_str(other_ip, rip, sizeof(rip));
			snprintf(vip, sizeof(vip), "%s", rip);
		}
		buf_printf(out,
		    "Lpcor Type: none Active %sCall on DN %u chan 1 :%s %s %u "
		    "to %s %u via %s\n",
		    st->secure ? "Secure " : "", dn_tag(cfg, s, t->line),
		    number, lip, (unsigned)my_port, rip, (unsigned)other_port,
		    vip);
		buf_printf(out, "G711Ulaw64k %u bytes no vad\n", G711_BYTES);
		describe_mode(st, out);
		if (st->secure) {
			char key[SRTPC_B64_SIZE];
			size_t n = srtpc_key_len(SECURE_SUITE) +
			    srtpc_salt_len(SECURE_SUITE);

			buf_printf(out, "SRTP cipher: %s\n",
			    srtpc_suite_name(SECURE_SUITE));
			/* local: what the phone sends with; remote: what
			 * it receives with (the far end's, re-protected by
			 * the relay). */
			if (srtpc_key_base64(side_a ? st->a_send : st->b_send,
			        n, key, sizeof(key)) == 0)
				buf_printf(out, "  local key: %s\n", key);
			if (srtpc_key_base64(side_a ? st->a_recv : st->b_recv,
			        n, key, sizeof(key)) == 0)
				buf_printf(out, "  remote key: %s\n", key);
			OPENSSL_cleanse(key, sizeof(key));
		}
		if (leg != NULL) {
			/* The phone's Tx is what its relay leg received, its
			 * Rx what the leg sent to it (RTP, not RTCP). */
			const struct relay_stats *k = relay_leg_stats(leg);
			uint64_t tx = rtp_only(k->rx, k->rtcp_rx),
			         rx = rtp_only(k->tx, k->rtcp_tx);

			buf_printf(out,
			    "Tx Pkts %llu bytes %llu Rx Pkts %llu bytes %llu "
			    "Lost %llu\n",
			    (unsigned long long)tx,
			    (unsigned long long)k->rx_octets,
			    (unsigned long long)rx,
			    (unsigned long long)k->tx_octets,
			    (unsigned long long)leg_lost(k));
			buf_printf(out, "RTCP Tx Pkts %llu Rx Pkts %llu\n",
			    (unsigned long long)k->rtcp_rx,
			    (unsigned long long)k->rtcp_tx);
		} else
			buf_puts(out,
			    "Tx Pkts - bytes - Rx Pkts - bytes - "
			    "Lost - (media phone to phone)\n");
		buf_puts(out, "Jitter 0 Latency 0 callingDn -1 calledDn -1\n");
	}
}

/* The SRTP streams that flow around the CME: phone to phone, no relay
 * leg, so no ports of ours and no counters. */
static void
show_rtp_around(struct buf *out)
{
	const struct stream *st;
	unsigned n = 0;

	buf_printf(out, "\nMedia mode: %s (voice service voip)\n",
	    call.d != NULL && call.d->cfg->voip.media == MEDIA_FLOW_AROUND
	        ? "flow-around"
	        : "flow-through");
	for (st = call.streams; st != NULL; st = st->next) {
		char aip[INET_ADDRSTRLEN], bip[INET_ADDRSTRLEN];

		if (!st->secure || !st->flow_around)
			continue;
		if (n++ == 0)
			buf_printf(out,
			    "Flow-around streams (SRTP phone to phone, not "
			    "through the CME: no relay counters):\n"
			    "%-4s %-10s %-10s %-9s %-15s %-9s %-15s %s\n",
			    "No.", "CallId", "dstCallId", "RTP", "IP", "dstRTP",
			    "dstIP", "Security");
		ip_str(st->a_ip, aip, sizeof(aip));
		ip_str(st->b_ip, bip, sizeof(bip));
		buf_printf(out, "%-4u %-10u %-10u %-9u %-15s %-9u %-15s SRTP\n",
		    n, (unsigned)st->a_ref, (unsigned)st->b_ref,
		    (unsigned)st->a_port, aip, (unsigned)st->b_port, bip);
	}
	buf_printf(out, "Found %u flow-around streams\n", n);
}

/* `show voip rtp connections` rows of music on hold: plain RTP from
 * the source to each held party (CallId its leg, no dstCallId). */
static unsigned
moh_show_rtp(struct buf *out, unsigned n)
{
	const struct moh_stream *ms;
	char sip[INET_ADDRSTRLEN], pip[INET_ADDRSTRLEN];
	uint8_t src[4];

	if (call.moh == NULL)
		return n;
	memcpy(src, &call.moh_addr, 4);
	ip_str(src, sip, sizeof(sip));
	for (ms = call.mohs; ms != NULL; ms = ms->next) {
		ip_str(ms->ip, pip, sizeof(pip));
		buf_printf(out,
		    "%-4u %-10u %-10s %-9u %-9u %-15s %-15s %-9s %-10llu %llu "
		    "(%s)\n",
		    ++n, (unsigned)ms->ref, "MOH", (unsigned)moh_port(call.moh),
		    (unsigned)ms->port, sip, pip, "RTP",
		    (unsigned long long)moh_listener_stats(ms->l)->tx, 0ULL,
		    moh_is_tone(call.moh) ? "tone on hold" : "music on hold");
	}
	return n;
}

void
sccp_call_show_rtp(struct buf *out)
{
	const struct stream *st;
	uint16_t lo = RELAY_PORT_LO, hi = RELAY_PORT_HI;
	unsigned n = 0, legs = 0;
	char rip[INET_ADDRSTRLEN];

	if (call.d != NULL)
		relay_range(&lo, &hi);
	for (st = call.streams; st != NULL; st = st->next)
		legs += (st->la != NULL) + (st->lb != NULL);
	legs += call.moh != NULL; /* the music-on-hold source's port */
	buf_printf(out, "VoIP RTP Port Usage Information:\n");
	buf_printf(out,
	    "Min Port: %u Max Port: %u Ports Available: %u Ports in Use: "
	    "%u\n\n",
	    (unsigned)lo, (unsigned)hi, (unsigned)(hi - lo + 1), legs * 2);
	memcpy(rip, "0.0.0.0", 8);
	if (call.relay != NULL)
		(void)inet_ntop(AF_INET, &call.relay_addr, rip, sizeof(rip));
	buf_printf(out, "VoIP RTP active connections :\n");
	buf_printf(out,
	    "%-4s %-10s %-10s %-9s %-9s %-15s %-15s %-9s %-10s %s\n", "No.",
	    "CallId", "dstCallId", "LocalRTP", "RmtRTP", "LocalIP", "RemoteIP",
	    "Security", "Tx", "Rx");
	for (st = call.streams; st != NULL; st = st->next) {
		for (int side = 0; side < 2; side++) {
			const struct relay_leg *leg = side ? st->lb : st->la;
			const struct relay_stats *k;
			char pip[INET_ADDRSTRLEN];

			if (leg == NULL)
				continue;
			k = relay_leg_stats(leg);
			ip_str(side ? st->b_ip : st->a_ip, pip, sizeof(pip));
			buf_printf(out,
			    "%-4u %-10u %-10u %-9u %-9u %-15s %-15s %-9s "
			    "%-10llu %llu\n",
			    ++n, (unsigned)(side ? st->b_ref : st->a_ref),
			    (unsigned)(side ? st->a_ref : st->b_ref),
			    (unsigned)relay_leg_port(leg),
			    (unsigned)(side ? st->b_port : st->a_port), rip,
			    pip, relay_leg_is_secure(leg) ? "SRTP" : "RTP",
			    (unsigned long long)k->tx,
			    (unsigned long long)k->rx);
		}
	}
	n = moh_show_rtp(out, n);
	buf_printf(out, "Found %u active RTP connections\n", n);
	show_rtp_around(out);
}
