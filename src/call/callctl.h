/*
 * Call control between registered phones, as pure logic: lines (ephone-dn
 * numbers), the devices that show them, and the calls between them.  The
 * SCCP service feeds it what phones do (off-hook, digits, soft keys,
 * on-hook) and the clock; it answers through struct cc_ops with what each
 * phone must show (one struct cc_leg_view per change) and which media
 * streams to set up or tear down.  No sockets, no timers of its own, no
 * configuration tree (the glue describes lines and devices), so the unit
 * test drives every feature with a fake clock.
 *
 * Features: basic calls, busy, invalid numbers, call-forward busy and no
 * answer (with timeout), hold/resume with music on hold for the held
 * party (also during a transfer and while parked), blind and
 * consultative transfer,
 * call park to park slots and pickup by dialing the slot, a 3-party
 * conference (one bridge per conference, max_conferences), shared lines
 * (every idle device with the line rings; the first to answer wins).
 *
 * Ownership: the engine owns its calls and legs; device and line handles
 * are created by cc_device_add / cc_line_add and live until cc_free (a
 * device can be removed: its calls end).  Callbacks must not call back
 * into the engine.
 */
#ifndef OPENCME_CALL_CALLCTL_H
#define OPENCME_CALL_CALLCTL_H

#include <stddef.h>
#include <stdint.h>

/* Leg states: the values of SCCP's CallState (sccp.md 4.5). */
enum cc_state {
	CC_OFFHOOK = 1,
	CC_ONHOOK = 2,
	CC_RINGOUT = 3,
	CC_RINGIN = 4,
	CC_CONNECTED = 5,
	CC_BUSY = 6,
	CC_CONGESTION = 7,
	CC_HOLD = 8,
	CC_PROCEED = 12,
	CC_INVALID = 14,
};

enum cc_tone {
	CC_TONE_NONE = 0,
	CC_TONE_DIAL,
	CC_TONE_RINGBACK,
	CC_TONE_BUSY,
	CC_TONE_REORDER,
};

/* Soft key sets: SCCP's set indexes (sccp.md 5.5). */
enum cc_keyset {
	CC_KEYS_ONHOOK = 0,
	CC_KEYS_CONNECTED = 1,
	CC_KEYS_ONHOLD = 2,
	CC_KEYS_RINGIN = 3,
	CC_KEYS_OFFHOOK = 4,
	CC_KEYS_CONNECTED_TRANSFERABLE = 5,
	CC_KEYS_DIGITS_FOLLOWING = 6,
	CC_KEYS_CONNECTED_CONFERENCE = 7,
	CC_KEYS_RINGOUT = 8,
};

/* What a phone asks for with a soft key (or the matching button). */
enum cc_key {
	CC_KEY_NEWCALL,
	CC_KEY_ANSWER,
	CC_KEY_ENDCALL,
	CC_KEY_HOLD,
	CC_KEY_RESUME,
	CC_KEY_TRANSFER,
	CC_KEY_CONFERENCE,
	CC_KEY_PARK,
};

/* Call types of CallInfo. */
enum cc_call_type {
	CC_CALL_IN = 1,
	CC_CALL_OUT = 2,
	CC_CALL_FORWARD = 3,
};

/* How one leg (a call as one phone sees it on one line) looks now. */
struct cc_leg_view {
	unsigned line; /* line instance on the device, 1.. */
	uint32_t ref; /* call reference, unique per engine */
	int state; /* enum cc_state */
	int tone; /* enum cc_tone */
	int ringing; /* the ringer is on */
	int keyset; /* enum cc_keyset */
	int call_type; /* enum cc_call_type */
	const char *calling_number, *calling_name;
	const char *called_number, *called_name;
	const char *original_called; /* forwarded calls, else NULL */
	const char *prompt; /* short status text, or NULL */
	unsigned conference; /* bridge id when in a conference, else 0 */
};

/* Why a call's streams may not flow around the CME (the chapter: "Media
 * flow-around is not supported for call transfer and call forward"): the
 * call was redirected.  A call parked and picked up counts as transferred
 * (CME parks by transferring to the park slot, and the pickup joins a
 * third phone as a transfer does). */
enum cc_redirect {
	CC_REDIRECT_NONE = 0,
	CC_REDIRECT_FORWARD, /* call-forward busy or no answer */
	CC_REDIRECT_TRANSFER, /* blind or consultative transfer */
	CC_REDIRECT_PICKUP, /* parked, then picked up from the slot */
};

/* A media stream to set up or tear down: between two legs, between a
 * leg and a conference bridge (b == NULL, bridge != 0), or music on hold
 * to a leg (moh, b == NULL, bridge 0). */
struct cc_media {
	void *a_dev;
	uint32_t a_ref;
	void *b_dev; /* NULL for a bridge or music on hold */
	uint32_t b_ref;
	unsigned bridge;
	/* A 2-party stream that must stay plain RTP whatever the phones
	 * can do: what is left of a conference after its creator left
	 * (the chapter's restriction); always set with moh. */
	int nonsecure;
	/* enum cc_redirect: a 2-party stream of a call that was forwarded,
	 * transferred or picked up from a park slot, for as long as the
	 * call lasts (hold and resume included); 0 otherwise and for a
	 * bridge.  Such a stream must not flow around the CME. */
	int redirected;
	/* The two legs' own line numbers (what each phone is; NULL for a
	 * bridge) and the number first dialed when the call was forwarded
	 * (else NULL): for rules on numbers such as voicemail. */
	const char *a_number, *b_number, *original_called;
	/* Music (or tone) on hold from the call manager to leg a, one way
	 * and plain RTP (chapter: "Music On Hold (MOH) is not secure"): a
	 * connected leg whose peer holds the call, or a parked leg. */
	int moh;
};

struct cc_ops {
	/* A leg changed (or ended: state CC_ONHOOK, the last view). */
	void (*leg)(void *arg, void *dev, const struct cc_leg_view *v);
	/* Open (on = 1) or close media between two legs, leg and bridge,
	 * or music on hold to a leg.  Every reopen is a new stream (new
	 * keys in secure media).  A leg never has two streams open: the
	 * old one closes before the new one opens. */
	void (*media)(void *arg, const struct cc_media *m, int on);
};

struct cc;
struct cc_line;
struct cc_device;

struct cc_params {
	unsigned max_conferences; /* telephony-service max-conferences */
	unsigned interdigit_ms; /* dialing ends after this silence (10000) */
	/* transfer-system full-blind: a transfer completes as soon as the
	 * dialed number rings (else full-consult: on the second Transfer,
	 * ringing or answered). */
	int blind_transfer;
};

struct cc *cc_new(
    const struct cc_ops *ops, void *arg, const struct cc_params *params);
void cc_free(struct cc *cc);
/* The configuration changed (telephony-service): the next transfer or
 * conference follows the new values; calls in progress keep their state
 * (a conference up stays when max_conferences drops below the count). */
void cc_set_params(struct cc *cc, const struct cc_params *params);

/* A directory number (ephone-dn): number, name (may be NULL), forward
 * targets (NULL = none), no-answer timeout in seconds (0: 20 s). */
struct cc_line *cc_line_add(struct cc *cc, const char *number, const char *name,
    const char *fwd_busy, const char *fwd_noan, unsigned noan_timeout_s);
/* The line's name and forward targets changed (configuration); calls
 * already ringing keep their timer. */
void cc_line_update(struct cc_line *l, const char *name, const char *fwd_busy,
    const char *fwd_noan, unsigned noan_timeout_s);
/* A park slot: dialing it picks up the call parked there. */
int cc_park_slot_add(struct cc *cc, const char *number);
/* The slot left the configuration: an empty one goes now; one holding a
 * call takes no new call but keeps that one (dialing the number still
 * picks it up) and goes when it leaves (picked up, or its party hung
 * up).  Adding the number again before then keeps the slot. */
void cc_park_slot_remove(struct cc *cc, const char *number);

/* A registered phone, identified by the caller's dev pointer; then its
 * lines by instance (button order). */
struct cc_device *cc_device_add(struct cc *cc, void *dev);
int cc_device_line(struct cc_device *d, unsigned instance, struct cc_line *l);
/* The phone went away: its calls end as if it hung up. */
void cc_device_remove(struct cc *cc, struct cc_device *d, uint64_t now_ms);

/* Phone events.  ref 0 = the active leg of that line.  0 or -1 when the
 * event did not apply (ignored: e.g. digits with no call). */
int cc_offhook(
    struct cc *cc, struct cc_device *d, unsigned line, uint64_t now_ms);
int cc_onhook(struct cc *cc, struct cc_device *d, unsigned line, uint32_t ref,
    uint64_t now_ms);
int cc_digit(struct cc *cc, struct cc_device *d, unsigned line, uint32_t ref,
    char digit, uint64_t now_ms);
int cc_key(struct cc *cc, struct cc_device *d, int key, unsigned line,
    uint32_t ref, uint64_t now_ms);

/* Run what is due (interdigit, forward on no answer); the next deadline
 * (0 = none). */
void cc_tick(struct cc *cc, uint64_t now_ms);
uint64_t cc_next_deadline(const struct cc *cc);

/* Counters for show commands. */
struct cc_stats {
	unsigned calls_active, conferences_active, parked;
	uint64_t calls_placed, calls_answered, busy, invalid, forwarded,
	    transfers, conferences, parks, pickups;
};
void cc_stats_get(const struct cc *cc, struct cc_stats *out);

#endif
