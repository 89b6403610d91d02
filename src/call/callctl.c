/*
 * Call control (callctl.h).  The model: a leg is one call as one phone
 * sees it on one line; two connected legs point at each other (peer); a
 * calling leg in RINGOUT is the `caller` of the RINGIN legs of every
 * idle device that shows the dialed line; a consultation leg (transfer or
 * conference) points at the held leg it may complete (xfer_held); a
 * conference is a bridge with its member legs; a park slot holds one
 * leg.  Media follows the legs: a pair of connected legs, neither on
 * hold, has one stream; a bridge member not on hold has one stream to the
 * bridge; a connected leg whose peer is on hold, or a parked leg, hears
 * music on hold (media_sync keeps what is open equal to what should be).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call/callctl.h"
#include "lib/buf.h"

#define CC_MAX_LINES 16
#define CC_NUMBER_MAX 32
#define CC_NAME_MAX 48
#define CC_MAX_FORWARDS 5
#define CC_BRIDGE_MAX 3 /* a 3-party conference */
#define CC_FIRST_REF 0x01000001u

struct cc_line {
	char *number, *name, *fwd_busy, *fwd_noan;
	unsigned noan_ms;
	struct cc_line *next;
};

struct cc_device {
	void *dev;
	struct cc_line *lines[CC_MAX_LINES + 1]; /* by instance, 1.. */
	struct cc_device *next;
};

struct park_slot {
	char number[CC_NUMBER_MAX];
	struct leg *parked;
	int removed; /* gone from the configuration: goes with its call */
	struct park_slot *next;
};

struct bridge {
	unsigned id;
	struct leg *creator; /* only compared, may have left */
	struct leg *members[CC_BRIDGE_MAX];
	size_t n;
	struct bridge *next;
};

struct leg {
	struct cc_device *d;
	unsigned line;
	uint32_t ref;
	int state, tone, ringing, keyset, call_type;
	char digits[CC_NUMBER_MAX];
	size_t ndigits;
	uint64_t digit_deadline;
	struct leg *peer; /* connected 2-party */
	struct leg *caller; /* RINGIN: the calling leg */
	struct cc_line *ring_line; /* RINGOUT: the line being rung */
	uint64_t noan_deadline; /* RINGOUT: forward on no answer */
	unsigned forwards;
	struct leg *xfer_held; /* consultation leg: the held one */
	int xfer_kind; /* CC_KEY_TRANSFER or CC_KEY_CONFERENCE */
	struct bridge *bridge;
	struct park_slot *parked;
	struct leg *media_peer; /* open stream with this leg */
	int media_nonsecure; /* its 2-party media stays plain (chapter) */
	int redirected; /* enum cc_redirect: the call was forwarded ... */
	int media_bridge; /* open stream to its bridge */
	int media_moh; /* music on hold open to it */
	char calling_number[CC_NUMBER_MAX], calling_name[CC_NAME_MAX];
	char called_number[CC_NUMBER_MAX], called_name[CC_NAME_MAX];
	char original_called[CC_NUMBER_MAX];
	char prompt[48];
	struct leg *next;
};

struct cc {
	struct cc_ops ops;
	void *arg;
	struct cc_params p;
	struct cc_line *lines;
	struct cc_device *devices;
	struct park_slot *slots;
	struct bridge *bridges;
	struct leg *legs;
	uint32_t next_ref;
	unsigned next_bridge;
	struct cc_stats st;
};

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* ---- lines, slots, devices ---- */

struct cc *
cc_new(const struct cc_ops *ops, void *arg, const struct cc_params *params)
{
	struct cc *cc = xcalloc(1, sizeof(*cc));

	cc->ops = *ops;
	cc->arg = arg;
	cc_set_params(cc, params);
	cc->next_ref = CC_FIRST_REF;
	return cc;
}

void
cc_set_params(struct cc *cc, const struct cc_params *params)
{
	if (params != NULL)
		cc->p = *params;
	else
		memset(&cc->p, 0, sizeof(cc->p));
	if (cc->p.interdigit_ms == 0)
		cc->p.interdigit_ms = 10000;
}

struct cc_line *
cc_line_add(struct cc *cc, const char *number, const char *name,
    const char *fwd_busy, const char *fwd_noan, unsigned noan_timeout_s)
{
	struct cc_line *l;

	if (number == NULL || number[0] == '\0' ||
	    strlen(number) >= CC_NUMBER_MAX)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->number = xstrdup(number);
	cc_line_update(l, name, fwd_busy, fwd_noan, noan_timeout_s);
	l->next = cc->lines;
	cc->lines = l;
	return l;
}

static void
set_opt(char **field, const char *v)
{
	free(*field);
	*field = v != NULL && v[0] != '\0' ? xstrdup(v) : NULL;
}

void
cc_line_update(struct cc_line *l, const char *name, const char *fwd_busy,
    const char *fwd_noan, unsigned noan_timeout_s)
{
	set_opt(&l->name, name);
	set_opt(&l->fwd_busy, fwd_busy);
	set_opt(&l->fwd_noan, fwd_noan);
	l->noan_ms = (noan_timeout_s ? noan_timeout_s : 20) * 1000u;
}

static struct park_slot *slot_by_number(struct cc *cc, const char *number);

int
cc_park_slot_add(struct cc *cc, const char *number)
{
	struct park_slot *s;

	if (number == NULL || number[0] == '\0' ||
	    strlen(number) >= CC_NUMBER_MAX)
		return -1;
	if ((s = slot_by_number(cc, number)) != NULL) {
		s->removed = 0; /* back before its call left */
		return 0;
	}
	s = xcalloc(1, sizeof(*s));
	copy(s->number, sizeof(s->number), number);
	s->next = cc->slots;
	cc->slots = s;
	return 0;
}

static void
slot_free(struct cc *cc, struct park_slot *s)
{
	struct park_slot **pp;

	for (pp = &cc->slots; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			free(s);
			return;
		}
}

void
cc_park_slot_remove(struct cc *cc, const char *number)
{
	struct park_slot *s = number ? slot_by_number(cc, number) : NULL;

	if (s == NULL)
		return;
	if (s->parked != NULL)
		s->removed = 1;
	else
		slot_free(cc, s);
}

/* The parked call left its slot (picked up, or its party hung up): a
 * slot removed meanwhile goes now. */
static void
slot_release(struct cc *cc, struct park_slot *s)
{
	s->parked->parked = NULL;
	s->parked = NULL;
	cc->st.parked--;
	if (s->removed)
		slot_free(cc, s);
}

struct cc_device *
cc_device_add(struct cc *cc, void *dev)
{
	struct cc_device *d = xcalloc(1, sizeof(*d));

	d->dev = dev;
	d->next = cc->devices;
	cc->devices = d;
	return d;
}

int
cc_device_line(struct cc_device *d, unsigned instance, struct cc_line *l)
{
	if (d == NULL || instance == 0 || instance > CC_MAX_LINES)
		return -1;
	d->lines[instance] = l;
	return 0;
}

static struct cc_line *
line_by_number(struct cc *cc, const char *number)
{
	struct cc_line *l;

	for (l = cc->lines; l != NULL; l = l->next)
		if (strcmp(l->number, number) == 0)
			return l;
	return NULL;
}

static struct park_slot *
slot_by_number(struct cc *cc, const char *number)
{
	struct park_slot *s;

	for (s = cc->slots; s != NULL; s = s->next)
		if (strcmp(s->number, number) == 0)
			return s;
	return NULL;
}

/* 1 when some number (line or slot) is longer than digits and starts
 * with them: the caller may still be dialing. */
static int
longer_number_exists(struct cc *cc, const char *digits)
{
	size_t n = strlen(digits);
	struct cc_line *l;
	struct park_slot *s;

	for (l = cc->lines; l != NULL; l = l->next)
		if (strlen(l->number) > n && strncmp(l->number, digits, n) == 0)
			return 1;
	for (s = cc->slots; s != NULL; s = s->next)
		if (strlen(s->number) > n && strncmp(s->number, digits, n) == 0)
			return 1;
	return 0;
}

/* ---- legs and what the phones see ---- */

static void
emit(struct cc *cc, struct leg *l)
{
	struct cc_leg_view v;

	memset(&v, 0, sizeof(v));
	v.line = l->line;
	v.ref = l->ref;
	v.state = l->state;
	v.tone = l->tone;
	v.ringing = l->ringing;
	v.keyset = l->keyset;
	v.call_type = l->call_type;
	v.calling_number = l->calling_number;
	v.calling_name = l->calling_name;
	v.called_number = l->called_number;
	v.called_name = l->called_name;
	v.original_called = l->original_called[0] ? l->original_called : NULL;
	v.prompt = l->prompt[0] ? l->prompt : NULL;
	v.conference = l->bridge != NULL ? l->bridge->id : 0;
	if (cc->ops.leg != NULL)
		cc->ops.leg(cc->arg, l->d->dev, &v);
}

static struct leg *
leg_new(struct cc *cc, struct cc_device *d, unsigned line)
{
	struct leg *l = xcalloc(1, sizeof(*l));
	struct cc_line *ln = d->lines[line];

	l->d = d;
	l->line = line;
	l->ref = cc->next_ref++;
	if (cc->next_ref == 0)
		cc->next_ref = CC_FIRST_REF;
	if (ln != NULL) {
		copy(l->calling_number, sizeof(l->calling_number), ln->number);
		copy(l->calling_name, sizeof(l->calling_name), ln->name);
	}
	l->next = cc->legs;
	cc->legs = l;
	return l;
}

static struct leg *
leg_by_ref(struct cc *cc, struct cc_device *d, uint32_t ref)
{
	struct leg *l;

	for (l = cc->legs; l != NULL; l = l->next)
		if (l->d == d && l->ref == ref)
			return l;
	return NULL;
}

/* The leg the handset is on: not held, not ringing, not parked. */
static struct leg *
active_leg(struct cc *cc, struct cc_device *d)
{
	struct leg *l;

	for (l = cc->legs; l != NULL; l = l->next)
		if (l->d == d && l->state != CC_HOLD && l->state != CC_RINGIN &&
		    l->parked == NULL)
			return l;
	return NULL;
}

static struct leg *
ringing_leg(struct cc *cc, struct cc_device *d, unsigned line)
{
	struct leg *l;

	for (l = cc->legs; l != NULL; l = l->next)
		if (l->d == d && l->state == CC_RINGIN &&
		    (line == 0 || l->line == line))
			return l;
	return NULL;
}

/* ---- media ---- */

/* Mark a leg's call as redirected (the first reason stays). */
static void
redirect(struct leg *l, int why)
{
	if (l != NULL && l->redirected == CC_REDIRECT_NONE)
		l->redirected = why;
}

static void
media_pair(struct cc *cc, struct leg *a, struct leg *b, int on)
{
	struct cc_media m;

	memset(&m, 0, sizeof(m));
	m.a_dev = a->d->dev;
	m.a_ref = a->ref;
	m.b_dev = b->d->dev;
	m.b_ref = b->ref;
	m.nonsecure = a->media_nonsecure || b->media_nonsecure;
	m.redirected = a->redirected ? a->redirected : b->redirected;
	m.a_number = a->calling_number;
	m.b_number = b->calling_number;
	if (a->original_called[0])
		m.original_called = a->original_called;
	else if (b->original_called[0])
		m.original_called = b->original_called;
	a->media_peer = on ? b : NULL;
	b->media_peer = on ? a : NULL;
	if (cc->ops.media != NULL)
		cc->ops.media(cc->arg, &m, on);
}

static void
media_to_bridge(struct cc *cc, struct leg *a, int on)
{
	struct cc_media m;

	memset(&m, 0, sizeof(m));
	m.a_dev = a->d->dev;
	m.a_ref = a->ref;
	m.bridge = a->bridge->id;
	a->media_bridge = on;
	if (cc->ops.media != NULL)
		cc->ops.media(cc->arg, &m, on);
}

static void
media_moh(struct cc *cc, struct leg *a, int on)
{
	struct cc_media m;

	memset(&m, 0, sizeof(m));
	m.a_dev = a->d->dev;
	m.a_ref = a->ref;
	m.nonsecure = 1;
	m.moh = 1;
	a->media_moh = on;
	if (cc->ops.media != NULL)
		cc->ops.media(cc->arg, &m, on);
}

/* The rule for music on hold: a connected 2-party leg whose peer holds
 * the call (hold, or the consultation of a transfer or conference), or
 * a parked leg, waiting for its call to come back. */
static int
wants_moh(const struct leg *l)
{
	return l->bridge == NULL && l->state == CC_CONNECTED &&
	    ((l->peer != NULL && l->peer->state == CC_HOLD) ||
	        l->parked != NULL);
}

/* Open or close l's stream so that it matches the legs' states; what
 * closes goes first, so that no leg has two streams at once. */
static void
media_sync(struct cc *cc, struct leg *l)
{
	struct leg *want = NULL;
	int want_bridge = 0, want_moh = 0;

	if (l->bridge != NULL)
		want_bridge = l->state == CC_CONNECTED;
	else if (l->peer != NULL && l->state == CC_CONNECTED &&
	    l->peer->state == CC_CONNECTED)
		want = l->peer;
	else
		want_moh = wants_moh(l);
	if (l->media_peer != NULL && l->media_peer != want)
		media_pair(cc, l, l->media_peer, 0);
	if (l->media_bridge && !want_bridge)
		media_to_bridge(cc, l, 0);
	if (l->media_moh && !want_moh)
		media_moh(cc, l, 0);
	if (want != NULL && want->media_moh)
		media_moh(cc, want, 0); /* resumed: its music stops */
	if (want != NULL && l->media_peer == NULL)
		media_pair(cc, l, want, 1);
	if (want_bridge && !l->media_bridge)
		media_to_bridge(cc, l, 1);
	if (want_moh && !l->media_moh)
		media_moh(cc, l, 1);
}

/* ---- ending legs ---- */

static void bridge_leave(struct cc *cc, struct leg *l);

/* Free a leg after its last view (ONHOOK) went out; nothing else may
 * point at it afterwards. */
static void
leg_end(struct cc *cc, struct leg *l, const char *prompt)
{
	struct leg **pp, *o;

	if (l->bridge != NULL)
		bridge_leave(cc, l);
	if (l->media_peer != NULL)
		media_pair(cc, l, l->media_peer, 0);
	if (l->media_moh)
		media_moh(cc, l, 0);
	if (l->parked != NULL)
		slot_release(cc, l->parked);
	for (o = cc->legs; o != NULL; o = o->next) {
		if (o->peer == l)
			o->peer = NULL;
		if (o->caller == l)
			o->caller = NULL;
		if (o->xfer_held == l)
			o->xfer_held = NULL;
	}
	l->state = CC_ONHOOK;
	l->tone = CC_TONE_NONE;
	l->ringing = 0;
	l->keyset = CC_KEYS_ONHOOK;
	copy(l->prompt, sizeof(l->prompt), prompt);
	emit(cc, l);
	for (pp = &cc->legs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	free(l);
}

/* End the RINGIN legs of caller c (except keep). */
static void
end_ringing(struct cc *cc, struct leg *c, struct leg *keep)
{
	struct leg *l, *next;

	for (l = cc->legs; l != NULL; l = next) {
		next = l->next;
		if (l->caller == c && l != keep && l->state == CC_RINGIN)
			leg_end(cc, l, NULL);
	}
}

/* ---- conference bridges ---- */

static void
bridge_free(struct cc *cc, struct bridge *b)
{
	struct bridge **pp;

	for (pp = &cc->bridges; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	cc->st.conferences_active--;
	free(b);
}

/* l leaves its bridge; with two left they become a 2-party call. */
static void
bridge_leave(struct cc *cc, struct leg *l)
{
	struct bridge *b = l->bridge;
	size_t i, j;

	if (l->media_bridge)
		media_to_bridge(cc, l, 0);
	for (i = j = 0; i < b->n; i++)
		if (b->members[i] != l)
			b->members[j++] = b->members[i];
	b->n = j;
	l->bridge = NULL;
	if (b->n == 2) {
		struct leg *x = b->members[0], *y = b->members[1];
		/* Chapter restriction: the two that remain return to a
		 * secure call only with the conference creator among them. */
		int nonsecure = b->creator == l;

		for (i = 0; i < 2; i++) {
			struct leg *m = b->members[i], *o = b->members[1 - i];

			if (m->media_bridge)
				media_to_bridge(cc, m, 0);
			m->bridge = NULL;
			m->peer = o;
			if (nonsecure)
				m->media_nonsecure = 1;
			copy(m->called_number, sizeof(m->called_number),
			    o->calling_number);
			copy(m->called_name, sizeof(m->called_name),
			    o->calling_name);
			if (m->state == CC_CONNECTED)
				m->keyset = CC_KEYS_CONNECTED;
			m->prompt[0] = '\0';
		}
		bridge_free(cc, b);
		emit(cc, x);
		emit(cc, y);
		media_sync(cc, x);
		media_sync(cc, y); /* music on hold if x holds */
		return;
	}
	if (b->n < 2) {
		for (i = 0; i < b->n; i++) {
			if (b->members[i]->media_bridge)
				media_to_bridge(cc, b->members[i], 0);
			b->members[i]->bridge = NULL;
		}
		bridge_free(cc, b);
	}
}

/* ---- calling ---- */

static void route(
    struct cc *cc, struct leg *c, const char *number, uint64_t now);

static int
device_busy_on(struct cc *cc, struct cc_device *d, struct cc_line *ln)
{
	struct leg *l;

	for (l = cc->legs; l != NULL; l = l->next)
		if (l->d == d && d->lines[l->line] == ln &&
		    l->state != CC_HOLD && l->parked == NULL)
			return 1;
	return 0;
}

static void
set_busy(struct cc *cc, struct leg *c, int state, int tone, const char *why)
{
	c->state = state;
	c->tone = tone;
	c->keyset = CC_KEYS_OFFHOOK;
	c->ring_line = NULL;
	c->noan_deadline = 0;
	copy(c->prompt, sizeof(c->prompt), why);
	emit(cc, c);
}

static void
connect_pair(struct cc *cc, struct leg *a, struct leg *b)
{
	a->peer = b;
	b->peer = a;
	a->caller = b->caller = NULL;
	a->ring_line = b->ring_line = NULL;
	a->noan_deadline = b->noan_deadline = 0;
	copy(a->called_number, sizeof(a->called_number), b->calling_number);
	copy(a->called_name, sizeof(a->called_name), b->calling_name);
	copy(b->called_number, sizeof(b->called_number), a->calling_number);
	copy(b->called_name, sizeof(b->called_name), a->calling_name);
	a->state = b->state = CC_CONNECTED;
	a->tone = b->tone = CC_TONE_NONE;
	a->ringing = b->ringing = 0;
	a->prompt[0] = b->prompt[0] = '\0';
	a->keyset =
	    a->xfer_held ? CC_KEYS_CONNECTED_TRANSFERABLE : CC_KEYS_CONNECTED;
	b->keyset =
	    b->xfer_held ? CC_KEYS_CONNECTED_TRANSFERABLE : CC_KEYS_CONNECTED;
	emit(cc, a);
	emit(cc, b);
	media_sync(cc, a);
}

static void
pickup(struct cc *cc, struct leg *c, struct park_slot *s)
{
	struct leg *p = s->parked;

	if (p == NULL) {
		set_busy(cc, c, CC_INVALID, CC_TONE_REORDER, "Nothing parked");
		return;
	}
	slot_release(cc, s); /* s may be gone */
	c->call_type = CC_CALL_OUT;
	cc->st.pickups++;
	/* The dialer sees the parked party; the parked party, the dialer. */
	copy(c->calling_number, sizeof(c->calling_number),
	    c->d->lines[c->line] ? c->d->lines[c->line]->number : "");
	redirect(c, CC_REDIRECT_PICKUP);
	redirect(p, CC_REDIRECT_PICKUP);
	connect_pair(cc, c, p);
}

/* Ring every idle device that shows line ln for caller c. */
static void
ring(struct cc *cc, struct leg *c, struct cc_line *ln, uint64_t now)
{
	struct cc_device *d;
	int rung = 0;

	for (d = cc->devices; d != NULL; d = d->next) {
		unsigned inst;

		for (inst = 1; inst <= CC_MAX_LINES; inst++)
			if (d->lines[inst] == ln)
				break;
		if (inst > CC_MAX_LINES || d == c->d ||
		    device_busy_on(cc, d, ln))
			continue;
		{
			struct leg *r = leg_new(cc, d, inst);

			r->state = CC_RINGIN;
			r->ringing = 1;
			r->keyset = CC_KEYS_RINGIN;
			r->call_type = c->original_called[0] ? CC_CALL_FORWARD
			                                     : CC_CALL_IN;
			r->caller = c;
			/* RINGIN view: calling = the caller, called = us. */
			copy(r->called_number, sizeof(r->called_number),
			    c->calling_number);
			copy(r->called_name, sizeof(r->called_name),
			    c->calling_name);
			copy(r->original_called, sizeof(r->original_called),
			    c->original_called);
			snprintf(r->prompt, sizeof(r->prompt), "From %s",
			    c->calling_number);
			emit(cc, r);
			rung++;
		}
	}
	if (rung == 0) {
		if (ln->fwd_busy != NULL && c->forwards < CC_MAX_FORWARDS) {
			c->forwards++;
			redirect(c, CC_REDIRECT_FORWARD);
			cc->st.forwarded++;
			if (!c->original_called[0])
				copy(c->original_called,
				    sizeof(c->original_called), ln->number);
			route(cc, c, ln->fwd_busy, now);
			return;
		}
		cc->st.busy++;
		set_busy(cc, c, CC_BUSY, CC_TONE_BUSY, "Busy");
		return;
	}
	c->state = CC_RINGOUT;
	c->tone = CC_TONE_RINGBACK;
	c->keyset = CC_KEYS_RINGOUT;
	c->call_type = CC_CALL_OUT;
	c->ring_line = ln;
	c->noan_deadline = ln->fwd_noan != NULL ? now + ln->noan_ms : 0;
	copy(c->called_number, sizeof(c->called_number), ln->number);
	copy(c->called_name, sizeof(c->called_name), ln->name);
	c->prompt[0] = '\0';
	emit(cc, c);
}

static void complete_consult(struct cc *cc, struct leg *n, uint64_t now);

static void
route(struct cc *cc, struct leg *c, const char *number, uint64_t now)
{
	struct park_slot *s = slot_by_number(cc, number);
	struct cc_line *ln;

	c->digit_deadline = 0;
	if (s != NULL) {
		pickup(cc, c, s);
		return;
	}
	ln = line_by_number(cc, number);
	if (ln == NULL) {
		cc->st.invalid++;
		copy(c->called_number, sizeof(c->called_number), number);
		set_busy(cc, c, CC_INVALID, CC_TONE_REORDER, "Unknown number");
		return;
	}
	if (ln == c->d->lines[c->line]) {
		cc->st.busy++;
		set_busy(cc, c, CC_BUSY, CC_TONE_BUSY, "Busy");
		return;
	}
	cc->st.calls_placed++;
	ring(cc, c, ln, now);
	/* transfer-system full-blind: the transfer completes as soon as
	 * the number rings. */
	if (c->state == CC_RINGOUT && c->xfer_held != NULL &&
	    c->xfer_kind == CC_KEY_TRANSFER && cc->p.blind_transfer)
		complete_consult(cc, c, now);
}

static void
answer(struct cc *cc, struct leg *r)
{
	struct leg *c = r->caller;

	if (c == NULL)
		return;
	end_ringing(cc, c, r);
	cc->st.calls_answered++;
	connect_pair(cc, c, r);
}

/* ---- hold, transfer, conference, park ---- */

static void
hold(struct cc *cc, struct leg *l)
{
	l->state = CC_HOLD;
	l->keyset = CC_KEYS_ONHOLD;
	copy(l->prompt, sizeof(l->prompt), "Hold");
	emit(cc, l);
	media_sync(cc, l);
	if (l->peer != NULL)
		media_sync(cc, l->peer);
}

static void
resume(struct cc *cc, struct leg *l)
{
	struct leg *a = active_leg(cc, l->d);

	if (a != NULL && a != l) {
		if (a->state == CC_CONNECTED)
			hold(cc, a);
		else
			leg_end(cc, a, NULL); /* dialing: abandoned */
	}
	l->state = CC_CONNECTED;
	l->keyset =
	    l->bridge ? CC_KEYS_CONNECTED_CONFERENCE : CC_KEYS_CONNECTED;
	l->prompt[0] = '\0';
	emit(cc, l);
	media_sync(cc, l);
}

/* Transfer or Conference on a connected call: hold it, dial another. */
static int
consult_start(struct cc *cc, struct leg *l, int kind)
{
	struct leg *n;

	if (l->state != CC_CONNECTED || (l->peer == NULL && !l->bridge))
		return -1;
	if (kind == CC_KEY_CONFERENCE && l->bridge != NULL)
		return -1; /* already a conference */
	hold(cc, l);
	n = leg_new(cc, l->d, l->line);
	n->state = CC_OFFHOOK;
	n->tone = CC_TONE_DIAL;
	n->keyset = CC_KEYS_OFFHOOK;
	n->xfer_held = l;
	n->xfer_kind = kind;
	copy(n->prompt, sizeof(n->prompt),
	    kind == CC_KEY_TRANSFER ? "Transfer" : "Conference");
	emit(cc, n);
	return 0;
}

static void
transfer_complete(struct cc *cc, struct leg *n, uint64_t now)
{
	struct leg *h = n->xfer_held, *p = h->peer, *c = n->peer, *r;

	(void)now;
	cc->st.transfers++;
	if (n->state == CC_CONNECTED && c != NULL) {
		/* Consultative: the held party and the consulted party. */
		leg_end(cc, n, "Transferred");
		leg_end(cc, h, "Transferred");
		p->state = CC_CONNECTED;
		redirect(p, CC_REDIRECT_TRANSFER);
		redirect(c, CC_REDIRECT_TRANSFER);
		connect_pair(cc, p, c);
		return;
	}
	/* Blind: the held party takes over the ringing call. */
	redirect(p, CC_REDIRECT_TRANSFER);
	p->state = CC_RINGOUT;
	p->tone = CC_TONE_RINGBACK;
	p->keyset = CC_KEYS_RINGOUT;
	p->ring_line = n->ring_line;
	p->noan_deadline = n->noan_deadline;
	copy(p->called_number, sizeof(p->called_number), n->called_number);
	copy(p->called_name, sizeof(p->called_name), n->called_name);
	for (r = cc->legs; r != NULL; r = r->next)
		if (r->caller == n) {
			r->caller = p;
			copy(r->called_number, sizeof(r->called_number),
			    p->calling_number);
			copy(r->called_name, sizeof(r->called_name),
			    p->calling_name);
			snprintf(r->prompt, sizeof(r->prompt), "From %s",
			    p->calling_number);
			emit(cc, r);
		}
	n->ring_line = NULL;
	leg_end(cc, n, "Transferred");
	p->peer = NULL;
	leg_end(cc, h, "Transferred");
	emit(cc, p);
	media_sync(cc, p); /* ringing: the music on hold stops */
}

static void
conference_complete(struct cc *cc, struct leg *n)
{
	struct leg *h = n->xfer_held, *p = h->peer, *c = n->peer;
	struct bridge *b;

	if (cc->st.conferences_active >= cc->p.max_conferences) {
		copy(n->prompt, sizeof(n->prompt), "No conference bridge");
		emit(cc, n);
		return;
	}
	b = xcalloc(1, sizeof(*b));
	b->id = ++cc->next_bridge;
	b->next = cc->bridges;
	cc->bridges = b;
	cc->st.conferences_active++;
	cc->st.conferences++;
	/* The creator keeps the held leg as its conference leg. */
	if (n->media_peer != NULL)
		media_pair(cc, n, n->media_peer, 0);
	n->peer = c->peer = NULL;
	h->peer = p->peer = NULL;
	leg_end(cc, n, NULL);
	b->creator = h;
	b->members[0] = h;
	b->members[1] = p;
	b->members[2] = c;
	b->n = 3;
	for (size_t i = 0; i < 3; i++) {
		struct leg *m = b->members[i];

		m->bridge = b;
		m->state = CC_CONNECTED;
		m->keyset =
		    m == h ? CC_KEYS_CONNECTED_CONFERENCE : CC_KEYS_CONNECTED;
		copy(m->called_number, sizeof(m->called_number), "Conference");
		m->called_name[0] = '\0';
		copy(m->prompt, sizeof(m->prompt), "Conference");
		emit(cc, m);
		media_sync(cc, m);
	}
}

static void
complete_consult(struct cc *cc, struct leg *n, uint64_t now)
{
	if (n->xfer_kind == CC_KEY_TRANSFER)
		transfer_complete(cc, n, now);
	else if (n->state == CC_CONNECTED)
		conference_complete(cc, n);
}

static int
park(struct cc *cc, struct leg *l)
{
	struct park_slot *s;
	struct leg *p = l->peer;
	char text[48];

	if (l->state != CC_CONNECTED || p == NULL)
		return -1;
	for (s = cc->slots; s != NULL && (s->parked != NULL || s->removed);
	     s = s->next)
		;
	if (s == NULL) {
		copy(l->prompt, sizeof(l->prompt), "No park slot");
		emit(cc, l);
		return -1;
	}
	s->parked = p;
	p->parked = s;
	cc->st.parks++;
	cc->st.parked++;
	copy(p->prompt, sizeof(p->prompt), "Call parked");
	snprintf(text, sizeof(text), "Call park at %s", s->number);
	leg_end(cc, l, text); /* closes the stream; p stays connected */
	emit(cc, p);
	media_sync(cc, p); /* parked: music on hold */
	return 0;
}

/* ---- events ---- */

int
cc_offhook(struct cc *cc, struct cc_device *d, unsigned line, uint64_t now)
{
	struct leg *l;

	(void)now;
	if ((l = ringing_leg(cc, d, line)) != NULL) {
		if (active_leg(cc, d) != NULL)
			return -1;
		answer(cc, l);
		return 0;
	}
	if (active_leg(cc, d) != NULL)
		return -1;
	if (line == 0)
		line = 1;
	if (line > CC_MAX_LINES || d->lines[line] == NULL)
		return -1;
	l = leg_new(cc, d, line);
	l->state = CC_OFFHOOK;
	l->tone = CC_TONE_DIAL;
	l->keyset = CC_KEYS_OFFHOOK;
	emit(cc, l);
	return 0;
}

static void
release(struct cc *cc, struct leg *l)
{
	struct leg *p = l->peer;

	if (l->state == CC_RINGOUT)
		end_ringing(cc, l, NULL);
	if (l->state == CC_RINGIN) {
		struct leg *c = l->caller, *o;
		int others = 0;

		leg_end(cc, l, NULL);
		for (o = cc->legs; c != NULL && o != NULL; o = o->next)
			others += o->caller == c;
		if (c != NULL && !others) {
			cc->st.busy++;
			set_busy(cc, c, CC_BUSY, CC_TONE_BUSY, "Busy");
		}
		return;
	}
	leg_end(cc, l, NULL);
	/* The other party's call ends with ours (a parked or conference
	 * party is not our peer). */
	if (p != NULL)
		leg_end(cc, p, NULL);
}

/* A phone's parked leg (its party parked the call; it hears music on
 * hold with the handset up). */
static struct leg *
parked_leg(struct cc *cc, struct cc_device *d)
{
	struct leg *l;

	for (l = cc->legs; l != NULL; l = l->next)
		if (l->d == d && l->parked != NULL)
			return l;
	return NULL;
}

int
cc_onhook(struct cc *cc, struct cc_device *d, unsigned line, uint32_t ref,
    uint64_t now)
{
	struct leg *l = ref ? leg_by_ref(cc, d, ref) : active_leg(cc, d);

	/* Older phones send OnHook without a call reference: with no
	 * active leg, hanging up ends the parked call it is waiting on. */
	if (l == NULL && ref == 0)
		l = parked_leg(cc, d);
	(void)line;
	(void)now;
	if (l == NULL || l->state == CC_HOLD)
		return -1;
	release(cc, l);
	return 0;
}

int
cc_digit(struct cc *cc, struct cc_device *d, unsigned line, uint32_t ref,
    char digit, uint64_t now)
{
	struct leg *l = ref ? leg_by_ref(cc, d, ref) : active_leg(cc, d);

	(void)line;
	if (l == NULL || l->state != CC_OFFHOOK)
		return -1;
	if (digit == '#') {
		if (l->ndigits > 0)
			route(cc, l, l->digits, now);
		return 0;
	}
	if (!((digit >= '0' && digit <= '9') || digit == '*') ||
	    l->ndigits + 1 >= sizeof(l->digits))
		return -1;
	l->digits[l->ndigits++] = digit;
	l->digits[l->ndigits] = '\0';
	l->tone = CC_TONE_NONE;
	l->keyset = CC_KEYS_DIGITS_FOLLOWING;
	copy(l->called_number, sizeof(l->called_number), l->digits);
	if ((line_by_number(cc, l->digits) != NULL ||
	        slot_by_number(cc, l->digits) != NULL) &&
	    !longer_number_exists(cc, l->digits)) {
		route(cc, l, l->digits, now);
		return 0;
	}
	if (!longer_number_exists(cc, l->digits)) {
		route(cc, l, l->digits, now); /* invalid: says so */
		return 0;
	}
	l->digit_deadline = now + cc->p.interdigit_ms;
	emit(cc, l);
	return 0;
}

int
cc_key(struct cc *cc, struct cc_device *d, int key, unsigned line, uint32_t ref,
    uint64_t now)
{
	struct leg *l = ref ? leg_by_ref(cc, d, ref) : NULL;

	switch (key) {
	case CC_KEY_NEWCALL:
		return cc_offhook(cc, d, line, now);
	case CC_KEY_ANSWER:
		if (l == NULL)
			l = ringing_leg(cc, d, line);
		if (l == NULL || l->state != CC_RINGIN)
			return -1;
		{
			struct leg *a = active_leg(cc, d);

			if (a != NULL && a->state == CC_CONNECTED)
				hold(cc, a);
			else if (a != NULL)
				leg_end(cc, a, NULL);
		}
		answer(cc, l);
		return 0;
	case CC_KEY_ENDCALL:
		if (l == NULL)
			l = active_leg(cc, d);
		if (l == NULL)
			return -1;
		release(cc, l);
		return 0;
	case CC_KEY_HOLD:
		if (l == NULL)
			l = active_leg(cc, d);
		if (l == NULL || l->state != CC_CONNECTED)
			return -1;
		hold(cc, l);
		return 0;
	case CC_KEY_RESUME:
		if (l == NULL || l->state != CC_HOLD)
			return -1;
		resume(cc, l);
		return 0;
	case CC_KEY_TRANSFER:
	case CC_KEY_CONFERENCE:
		if (l == NULL)
			l = active_leg(cc, d);
		if (l == NULL)
			return -1;
		if (l->xfer_held != NULL) {
			if (l->xfer_kind != key ||
			    (l->state != CC_CONNECTED &&
			        !(key == CC_KEY_TRANSFER &&
			            l->state == CC_RINGOUT)))
				return -1;
			complete_consult(cc, l, now);
			return 0;
		}
		return consult_start(cc, l, key);
	case CC_KEY_PARK:
		if (l == NULL)
			l = active_leg(cc, d);
		return l != NULL ? park(cc, l) : -1;
	}
	return -1;
}

void
cc_device_remove(struct cc *cc, struct cc_device *d, uint64_t now)
{
	struct leg *l;
	struct cc_device **pp;

	(void)now;
	/* One at a time: ending a leg may end others. */
	for (;;) {
		for (l = cc->legs; l != NULL && l->d != d; l = l->next)
			;
		if (l == NULL)
			break;
		if (l->state == CC_HOLD)
			l->state = CC_CONNECTED; /* so that release ends it */
		release(cc, l);
	}
	for (pp = &cc->devices; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	free(d);
}

void
cc_tick(struct cc *cc, uint64_t now)
{
	struct leg *l;
	int again = 1;

	/* Restart the walk after each action: it may free legs. */
	while (again) {
		again = 0;
		for (l = cc->legs; l != NULL; l = l->next) {
			if (l->state == CC_OFFHOOK && l->digit_deadline &&
			    l->digit_deadline <= now) {
				route(cc, l, l->digits, now);
				again = 1;
				break;
			}
			if (l->state == CC_RINGOUT && l->noan_deadline &&
			    l->noan_deadline <= now && l->ring_line &&
			    l->ring_line->fwd_noan != NULL) {
				const char *to = l->ring_line->fwd_noan;

				l->noan_deadline = 0;
				if (l->forwards >= CC_MAX_FORWARDS)
					continue;
				l->forwards++;
				redirect(l, CC_REDIRECT_FORWARD);
				cc->st.forwarded++;
				end_ringing(cc, l, NULL);
				if (!l->original_called[0])
					copy(l->original_called,
					    sizeof(l->original_called),
					    l->ring_line->number);
				l->ring_line = NULL;
				route(cc, l, to, now);
				again = 1;
				break;
			}
		}
	}
}

uint64_t
cc_next_deadline(const struct cc *cc)
{
	const struct leg *l;
	uint64_t next = 0;

	for (l = cc->legs; l != NULL; l = l->next) {
		uint64_t t = l->state == CC_OFFHOOK ? l->digit_deadline
		    : l->state == CC_RINGOUT        ? l->noan_deadline
		                                    : 0;

		if (t != 0 && (next == 0 || t < next))
			next = t;
	}
	return next;
}

void
cc_stats_get(const struct cc *cc, struct cc_stats *out)
{
	const struct leg *l;
	unsigned connected = 0;

	*out = cc->st;
	for (l = cc->legs; l != NULL; l = l->next)
		connected += l->peer != NULL && l->state == CC_CONNECTED;
	out->calls_active = connected / 2;
}

void
cc_free(struct cc *cc)
{
	if (cc == NULL)
		return;
	while (cc->legs != NULL) {
		struct leg *l = cc->legs;

		cc->legs = l->next;
		free(l);
	}
	while (cc->bridges != NULL) {
		struct bridge *b = cc->bridges;

		cc->bridges = b->next;
		free(b);
	}
	while (cc->slots != NULL) {
		struct park_slot *s = cc->slots;

		cc->slots = s->next;
		free(s);
	}
	while (cc->devices != NULL) {
		struct cc_device *d = cc->devices;

		cc->devices = d->next;
		free(d);
	}
	while (cc->lines != NULL) {
		struct cc_line *l = cc->lines;

		cc->lines = l->next;
		free(l->number);
		free(l->name);
		free(l->fwd_busy);
		free(l->fwd_noan);
		free(l);
	}
	free(cc);
}
