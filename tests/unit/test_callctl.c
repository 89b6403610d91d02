/*
 * Call control (src/call/callctl.c) driven like phones would drive it,
 * with a fake clock: every feature's states on every phone and the media
 * streams it opens and closes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "call/callctl.h"

/* Phones A..F: the device handles the engine reports views for. */
enum { A, B, C, D, E, F, NPHONES };

struct view {
	int dev;
	struct cc_leg_view v;
	char calling[32], called[32], orig[32], prompt[48];
};

struct fake {
	int phones[NPHONES];
	struct view views[512];
	size_t nviews;
	int media_open, media_close, bridge_open, bridge_close;
	int open_pairs; /* currently open pair streams */
	int open_bridge; /* currently open bridge streams */
	int last_nonsecure; /* nonsecure of the last pair opened */
	int last_redirected; /* redirected of the last pair opened */
	/* The numbers of the last pair opened ("" for NULL). */
	char last_a[32], last_b[32], last_orig[32];
	int moh_open, moh_close; /* music on hold streams */
	struct {
		int dev;
		uint32_t ref;
	} moh[NPHONES]; /* legs hearing music on hold now */
	size_t nmoh;
	struct cc *cc;
	struct cc_device *dev[NPHONES];
	uint64_t now;
};

static void
f_leg(void *arg, void *dev, const struct cc_leg_view *v)
{
	struct fake *f = arg;
	struct view *w;

	assert_true(f->nviews < sizeof(f->views) / sizeof(f->views[0]));
	w = &f->views[f->nviews++];
	w->dev = *(int *)dev;
	w->v = *v;
	snprintf(w->calling, sizeof(w->calling), "%s", v->calling_number);
	snprintf(w->called, sizeof(w->called), "%s", v->called_number);
	snprintf(w->orig, sizeof(w->orig), "%s",
	    v->original_called ? v->original_called : "");
	snprintf(
	    w->prompt, sizeof(w->prompt), "%s", v->prompt ? v->prompt : "");
}

/* Index of leg (dev, ref) among those hearing music on hold, or -1. */
static int
moh_index(const struct fake *f, int dev, uint32_t ref)
{
	for (size_t i = 0; i < f->nmoh; i++)
		if (f->moh[i].dev == dev && f->moh[i].ref == ref)
			return (int)i;
	return -1;
}

static void
f_media(void *arg, const struct cc_media *m, int on)
{
	struct fake *f = arg;

	if (m->moh) {
		int dev = *(int *)m->a_dev, i = moh_index(f, dev, m->a_ref);

		/* One way, plain, to one leg; never twice, never closed
		 * when not open. */
		assert_null(m->b_dev);
		assert_int_equal(m->bridge, 0);
		assert_true(m->nonsecure);
		if (on) {
			assert_int_equal(i, -1);
			assert_true(f->nmoh < NPHONES);
			f->moh[f->nmoh].dev = dev;
			f->moh[f->nmoh++].ref = m->a_ref;
			f->moh_open++;
		} else {
			assert_true(i >= 0);
			f->moh[i] = f->moh[--f->nmoh];
			f->moh_close++;
		}
		return;
	}
	/* A leg's music stops before its call's new stream starts. */
	if (on) {
		assert_int_equal(moh_index(f, *(int *)m->a_dev, m->a_ref), -1);
		if (m->b_dev != NULL)
			assert_int_equal(
			    moh_index(f, *(int *)m->b_dev, m->b_ref), -1);
	}
	if (m->b_dev != NULL) {
		f->media_open += on;
		f->media_close += !on;
		f->open_pairs += on ? 1 : -1;
		if (on) {
			f->last_nonsecure = m->nonsecure;
			f->last_redirected = m->redirected;
			snprintf(f->last_a, sizeof(f->last_a), "%s",
			    m->a_number ? m->a_number : "");
			snprintf(f->last_b, sizeof(f->last_b), "%s",
			    m->b_number ? m->b_number : "");
			snprintf(f->last_orig, sizeof(f->last_orig), "%s",
			    m->original_called ? m->original_called : "");
		}
	} else {
		assert_true(m->bridge != 0);
		assert_int_equal(m->redirected, CC_REDIRECT_NONE);
		f->bridge_open += on;
		f->bridge_close += !on;
		f->open_bridge += on ? 1 : -1;
	}
	assert_true(f->open_pairs >= 0 && f->open_bridge >= 0);
}

static const struct cc_ops ops = {f_leg, f_media};

/* The latest view of phone p (its newest leg change). */
static const struct view *
last(struct fake *f, int p)
{
	for (size_t i = f->nviews; i-- > 0;)
		if (f->views[i].dev == p)
			return &f->views[i];
	fail_msg("no view for phone %d", p);
	return NULL;
}

/* The latest view of leg ref. */
static const struct view *
leg(struct fake *f, uint32_t ref)
{
	for (size_t i = f->nviews; i-- > 0;)
		if (f->views[i].v.ref == ref)
			return &f->views[i];
	fail_msg("no view for ref %x", ref);
	return NULL;
}

static struct fake *
setup(int max_conferences, int blind)
{
	static struct fake f;
	struct cc_params p = {(unsigned)max_conferences, 5000, blind};
	struct cc_line *l[8];

	memset(&f, 0, sizeof(f));
	for (int i = 0; i < NPHONES; i++)
		f.phones[i] = i;
	f.cc = cc_new(&ops, &f, &p);
	l[A] = cc_line_add(f.cc, "1001", "Alice", NULL, NULL, 0);
	l[B] = cc_line_add(f.cc, "1002", "Bob", NULL, NULL, 0);
	l[C] = cc_line_add(f.cc, "1003", "Carol", NULL, NULL, 0);
	l[D] = cc_line_add(f.cc, "1004", "Dave", NULL, "1003", 10);
	l[E] = cc_line_add(f.cc, "1005", "Erin", "1003", NULL, 0);
	l[F] = cc_line_add(f.cc, "1006", "Frank", NULL, NULL, 0);
	l[6] = cc_line_add(f.cc, "2000", "Sales", NULL, NULL, 0);
	assert_int_equal(cc_park_slot_add(f.cc, "801"), 0);
	for (int i = 0; i < NPHONES; i++) {
		f.dev[i] = cc_device_add(f.cc, &f.phones[i]);
		assert_int_equal(cc_device_line(f.dev[i], 1, l[i]), 0);
	}
	/* The shared line on B and C. */
	assert_int_equal(cc_device_line(f.dev[B], 2, l[6]), 0);
	assert_int_equal(cc_device_line(f.dev[C], 2, l[6]), 0);
	return &f;
}

static void
teardown_fake(struct fake *f)
{
	cc_free(f->cc);
	assert_int_equal(f->open_pairs, 0);
	assert_int_equal(f->open_bridge, 0);
	assert_int_equal(f->nmoh, 0);
}

/* Phone p's leg hears music on hold (1) or not (0). */
static int
hears_moh(const struct fake *f, int p)
{
	for (size_t i = 0; i < f->nmoh; i++)
		if (f->moh[i].dev == p)
			return 1;
	return 0;
}

static void
dial(struct fake *f, int p, const char *number)
{
	assert_int_equal(cc_offhook(f->cc, f->dev[p], 1, f->now), 0);
	assert_int_equal(last(f, p)->v.state, CC_OFFHOOK);
	assert_int_equal(last(f, p)->v.tone, CC_TONE_DIAL);
	for (const char *q = number; *q; q++)
		assert_int_equal(
		    cc_digit(f->cc, f->dev[p], 1, 0, *q, f->now), 0);
}

/* p calls q, q answers: both connected, one stream. */
static void
connect(struct fake *f, int p, int q, const char *number)
{
	int before = f->open_pairs;

	dial(f, p, number);
	assert_int_equal(last(f, p)->v.state, CC_RINGOUT);
	assert_int_equal(last(f, q)->v.state, CC_RINGIN);
	assert_int_equal(cc_offhook(f->cc, f->dev[q], 0, f->now), 0);
	assert_int_equal(last(f, p)->v.state, CC_CONNECTED);
	assert_int_equal(last(f, q)->v.state, CC_CONNECTED);
	assert_int_equal(f->open_pairs, before + 1);
}

static void
basic_call_and_hang_up(void **state)
{
	struct fake *f = setup(8, 0);
	const struct view *a, *b;
	struct cc_stats st;

	(void)state;
	dial(f, A, "1002");
	a = last(f, A);
	assert_int_equal(a->v.state, CC_RINGOUT);
	assert_int_equal(a->v.tone, CC_TONE_RINGBACK);
	assert_int_equal(a->v.keyset, CC_KEYS_RINGOUT);
	assert_string_equal(a->called, "1002");
	assert_int_equal(a->v.call_type, CC_CALL_OUT);
	b = last(f, B);
	assert_int_equal(b->v.state, CC_RINGIN);
	assert_true(b->v.ringing);
	assert_string_equal(b->calling, "1002");
	assert_string_equal(b->called, "1001"); /* who calls */
	assert_string_equal(b->prompt, "From 1001");
	assert_int_equal(f->open_pairs, 0);
	assert_int_equal(cc_offhook(f->cc, f->dev[B], 1, f->now), 0);
	a = last(f, A);
	b = last(f, B);
	assert_int_equal(a->v.state, CC_CONNECTED);
	assert_int_equal(a->v.tone, CC_TONE_NONE);
	assert_int_equal(b->v.state, CC_CONNECTED);
	assert_false(b->v.ringing);
	assert_int_equal(f->open_pairs, 1);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.calls_active, 1);
	assert_int_equal(st.calls_answered, 1);
	/* A hangs up: both calls end, the stream closes. */
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	assert_int_equal(last(f, A)->v.state, CC_ONHOOK);
	assert_int_equal(last(f, B)->v.state, CC_ONHOOK);
	assert_int_equal(f->open_pairs, 0);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.calls_active, 0);
	/* Nothing to hang up now. */
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), -1);
	teardown_fake(f);
}

static void
busy_invalid_and_interdigit(void **state)
{
	struct fake *f = setup(8, 0);
	struct cc_stats st;

	(void)state;
	/* B is off-hook: busy. */
	assert_int_equal(cc_offhook(f->cc, f->dev[B], 1, f->now), 0);
	dial(f, A, "1002");
	assert_int_equal(last(f, A)->v.state, CC_BUSY);
	assert_int_equal(last(f, A)->v.tone, CC_TONE_BUSY);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	/* Calling oneself: busy. */
	dial(f, A, "1001");
	assert_int_equal(last(f, A)->v.state, CC_BUSY);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	/* No number starts with 9. */
	dial(f, A, "9");
	assert_int_equal(last(f, A)->v.state, CC_INVALID);
	assert_int_equal(last(f, A)->v.tone, CC_TONE_REORDER);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	/* "10" may still become 1001..1006: wait, then give up. */
	dial(f, A, "10");
	assert_int_equal(last(f, A)->v.state, CC_OFFHOOK);
	assert_int_equal(last(f, A)->v.keyset, CC_KEYS_DIGITS_FOLLOWING);
	assert_int_equal(cc_next_deadline(f->cc), f->now + 5000);
	f->now += 4999;
	cc_tick(f->cc, f->now);
	assert_int_equal(last(f, A)->v.state, CC_OFFHOOK);
	f->now += 1;
	cc_tick(f->cc, f->now);
	assert_int_equal(last(f, A)->v.state, CC_INVALID);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	/* "#" ends dialing at once, without the wait. */
	dial(f, A, "100#");
	assert_int_equal(last(f, A)->v.state, CC_INVALID);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.busy, 2);
	assert_int_equal(st.invalid, 3);
	assert_int_equal(cc_onhook(f->cc, f->dev[B], 1, 0, f->now), 0);
	teardown_fake(f);
}

static void
forward_on_no_answer_and_on_busy(void **state)
{
	struct fake *f = setup(8, 0);
	const struct view *c;

	(void)state;
	dial(f, A, "1004");
	assert_int_equal(last(f, D)->v.state, CC_RINGIN);
	assert_int_equal(cc_next_deadline(f->cc), f->now + 10000);
	f->now += 10000;
	cc_tick(f->cc, f->now);
	assert_int_equal(last(f, D)->v.state, CC_ONHOOK);
	c = last(f, C);
	assert_int_equal(c->v.state, CC_RINGIN);
	assert_int_equal(c->v.call_type, CC_CALL_FORWARD);
	assert_string_equal(c->orig, "1004");
	assert_int_equal(last(f, A)->v.state, CC_RINGOUT);
	assert_string_equal(last(f, A)->called, "1003");
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(last(f, A)->v.state, CC_CONNECTED);
	assert_int_equal(f->open_pairs, 1);
	assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
	assert_int_equal(last(f, A)->v.state, CC_ONHOOK);
	/* The forward target can change (configuration). */
	{
		struct cc_line *g =
		    cc_line_add(f->cc, "1007", NULL, NULL, "1002", 5);

		assert_non_null(g);
		cc_line_update(g, "Gus", NULL, "1003", 3);
		assert_int_equal(cc_device_line(f->dev[F], 2, g), 0);
		dial(f, A, "1007");
		assert_int_equal(last(f, F)->v.state, CC_RINGIN);
		f->now += 3000;
		cc_tick(f->cc, f->now);
		assert_int_equal(last(f, C)->v.state, CC_RINGIN);
		assert_string_equal(last(f, C)->orig, "1007");
		assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	}
	/* E is busy: 1005 forwards to 1003. */
	assert_int_equal(cc_offhook(f->cc, f->dev[E], 1, f->now), 0);
	dial(f, A, "1005");
	c = last(f, C);
	assert_int_equal(c->v.state, CC_RINGIN);
	assert_string_equal(c->orig, "1005");
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	assert_int_equal(last(f, C)->v.state, CC_ONHOOK);
	assert_int_equal(cc_onhook(f->cc, f->dev[E], 1, 0, f->now), 0);
	teardown_fake(f);
}

static void
hold_and_resume_renegotiate_media(void **state)
{
	struct fake *f = setup(8, 0);
	uint32_t ref;

	(void)state;
	connect(f, A, B, "1002");
	ref = last(f, A)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_HOLD, 1, ref, f->now), 0);
	assert_int_equal(last(f, A)->v.state, CC_HOLD);
	assert_int_equal(last(f, A)->v.keyset, CC_KEYS_ONHOLD);
	assert_int_equal(last(f, B)->v.state, CC_CONNECTED);
	assert_int_equal(f->open_pairs, 0);
	/* B, held, hears music on hold; A, who holds, nothing. */
	assert_int_equal(f->nmoh, 1);
	assert_true(hears_moh(f, B));
	assert_int_equal(f->moh[0].ref, last(f, B)->v.ref);
	/* On hold, the handset may go on-hook: the call stays. */
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), -1);
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_RESUME, 1, ref, f->now), 0);
	assert_int_equal(last(f, A)->v.state, CC_CONNECTED);
	assert_int_equal(f->open_pairs, 1);
	assert_int_equal(f->media_open, 2); /* a new stream: new keys */
	assert_int_equal(f->nmoh, 0);
	assert_int_equal(f->moh_close, 1);
	/* Hold again, then the held party hangs up: its music stops with
	 * its call, and A's held call ends. */
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_HOLD, 1, ref, f->now), 0);
	assert_true(hears_moh(f, B));
	assert_int_equal(cc_onhook(f->cc, f->dev[B], 1, 0, f->now), 0);
	assert_int_equal(f->nmoh, 0);
	assert_int_equal(last(f, A)->v.state, CC_ONHOOK);
	assert_int_equal(f->moh_open, 2);
	teardown_fake(f);
}

/* Both hold: nobody hears music (a held handset hears nothing); the one
 * who resumes first hears the other's music until the other resumes. */
static void
hold_on_both_sides(void **state)
{
	struct fake *f = setup(8, 0);
	uint32_t aref, bref;

	(void)state;
	connect(f, A, B, "1002");
	aref = last(f, A)->v.ref;
	bref = last(f, B)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_HOLD, 1, aref, f->now), 0);
	assert_true(hears_moh(f, B));
	assert_int_equal(
	    cc_key(f->cc, f->dev[B], CC_KEY_HOLD, 1, bref, f->now), 0);
	assert_int_equal(f->nmoh, 0);
	assert_int_equal(f->open_pairs, 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[B], CC_KEY_RESUME, 1, bref, f->now), 0);
	assert_true(hears_moh(f, B));
	assert_false(hears_moh(f, A));
	assert_int_equal(f->open_pairs, 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_RESUME, 1, aref, f->now), 0);
	assert_int_equal(f->nmoh, 0);
	assert_int_equal(f->open_pairs, 1);
	/* The held party's phone goes away: its music with it. */
	assert_int_equal(
	    cc_key(f->cc, f->dev[B], CC_KEY_HOLD, 1, bref, f->now), 0);
	assert_true(hears_moh(f, A));
	cc_device_remove(f->cc, f->dev[A], f->now);
	f->dev[A] = NULL;
	assert_int_equal(f->nmoh, 0);
	assert_int_equal(last(f, B)->v.state, CC_ONHOOK);
	teardown_fake(f);
}

static void
consultative_transfer(void **state)
{
	struct fake *f = setup(8, 0);
	uint32_t held, consult;
	const struct view *b, *c;
	struct cc_stats st;

	(void)state;
	connect(f, A, B, "1002");
	held = last(f, A)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1, held, f->now), 0);
	assert_int_equal(leg(f, held)->v.state, CC_HOLD);
	consult = last(f, A)->v.ref;
	assert_true(consult != held);
	assert_int_equal(last(f, A)->v.state, CC_OFFHOOK);
	assert_int_equal(f->open_pairs, 0);
	/* The party being transferred is put on hold: music on hold. */
	assert_true(hears_moh(f, B));
	for (const char *q = "1003"; *q; q++)
		assert_int_equal(
		    cc_digit(f->cc, f->dev[A], 1, consult, *q, f->now), 0);
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(leg(f, consult)->v.state, CC_CONNECTED);
	assert_int_equal(
	    leg(f, consult)->v.keyset, CC_KEYS_CONNECTED_TRANSFERABLE);
	assert_int_equal(f->open_pairs, 1);
	assert_true(hears_moh(f, B));
	assert_false(hears_moh(f, C));
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1, consult, f->now), 0);
	assert_int_equal(leg(f, held)->v.state, CC_ONHOOK);
	assert_int_equal(leg(f, consult)->v.state, CC_ONHOOK);
	b = last(f, B);
	c = last(f, C);
	assert_int_equal(b->v.state, CC_CONNECTED);
	assert_int_equal(c->v.state, CC_CONNECTED);
	assert_string_equal(b->called, "1003");
	assert_string_equal(c->called, "1002");
	assert_int_equal(f->open_pairs, 1);
	/* Transferred: B's music stops, B and C get a new stream (that
	 * may be secure again). */
	assert_int_equal(f->nmoh, 0);
	assert_int_equal(f->last_nonsecure, 0);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.transfers, 1);
	assert_int_equal(st.calls_active, 1);
	assert_int_equal(cc_onhook(f->cc, f->dev[B], 1, 0, f->now), 0);
	assert_int_equal(last(f, C)->v.state, CC_ONHOOK);
	teardown_fake(f);
}

static void
blind_transfer_while_ringing(void **state)
{
	for (int mode = 0; mode < 2; mode++) {
		struct fake *f = setup(8, mode);
		uint32_t held, consult;

		connect(f, A, B, "1002");
		held = last(f, A)->v.ref;
		assert_int_equal(
		    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1, held, f->now),
		    0);
		consult = last(f, A)->v.ref;
		for (const char *q = "1003"; *q; q++)
			assert_int_equal(
			    cc_digit(f->cc, f->dev[A], 1, consult, *q, f->now),
			    0);
		assert_int_equal(last(f, C)->v.state, CC_RINGIN);
		/* full-consult: B hears music until the second Transfer */
		assert_int_equal(hears_moh(f, B), mode == 0);
		if (mode == 0) /* full-consult: Transfer again while ringing */
			assert_int_equal(
			    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1,
			        consult, f->now),
			    0);
		/* full-blind: done as soon as it rang */
		assert_int_equal(leg(f, held)->v.state, CC_ONHOOK);
		assert_int_equal(leg(f, consult)->v.state, CC_ONHOOK);
		assert_int_equal(last(f, B)->v.state, CC_RINGOUT);
		assert_int_equal(last(f, B)->v.tone, CC_TONE_RINGBACK);
		/* B rings C: its phone plays ringback, the music stops. */
		assert_int_equal(f->nmoh, 0);
		assert_string_equal(last(f, C)->called, "1002");
		assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
		assert_int_equal(last(f, B)->v.state, CC_CONNECTED);
		assert_int_equal(last(f, C)->v.state, CC_CONNECTED);
		assert_int_equal(f->open_pairs, 1);
		assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
		teardown_fake(f);
	}
	(void)state;
}

static void
park_and_pickup(void **state)
{
	struct fake *f = setup(8, 0);
	struct cc_stats st;

	(void)state;
	connect(f, A, B, "1002");
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_PARK, 1, 0, f->now), 0);
	assert_int_equal(last(f, A)->v.state, CC_ONHOOK);
	assert_string_equal(last(f, A)->prompt, "Call park at 801");
	assert_int_equal(last(f, B)->v.state, CC_CONNECTED);
	assert_string_equal(last(f, B)->prompt, "Call parked");
	assert_int_equal(f->open_pairs, 0);
	/* The parked party hears music on hold. */
	assert_int_equal(f->nmoh, 1);
	assert_true(hears_moh(f, B));
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.parked, 1);
	/* The only slot is taken. */
	connect(f, C, D, "1004");
	assert_int_equal(
	    cc_key(f->cc, f->dev[C], CC_KEY_PARK, 1, 0, f->now), -1);
	assert_string_equal(last(f, C)->prompt, "No park slot");
	assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
	/* E picks it up by dialing the slot. */
	dial(f, E, "801");
	assert_int_equal(last(f, E)->v.state, CC_CONNECTED);
	assert_string_equal(last(f, E)->called, "1002");
	assert_int_equal(last(f, B)->v.state, CC_CONNECTED);
	assert_string_equal(last(f, B)->called, "1005");
	assert_int_equal(f->open_pairs, 1);
	assert_int_equal(f->nmoh, 0);
	/* The slot is empty again. */
	dial(f, F, "801");
	assert_int_equal(last(f, F)->v.state, CC_INVALID);
	assert_int_equal(cc_onhook(f->cc, f->dev[F], 1, 0, f->now), 0);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.parked, 0);
	assert_int_equal(st.pickups, 1);
	assert_int_equal(cc_onhook(f->cc, f->dev[E], 1, 0, f->now), 0);
	assert_int_equal(last(f, B)->v.state, CC_ONHOOK);
	teardown_fake(f);
}

/* A parked party that hangs up with an OnHook without a call reference
 * (older phones): its parked call ends and the slot is free again. */
static void
parked_party_hangs_up_without_a_reference(void **state)
{
	struct fake *f = setup(8, 0);
	struct cc_stats st;

	(void)state;
	connect(f, A, B, "1002");
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_PARK, 1, 0, f->now), 0);
	assert_true(hears_moh(f, B));
	assert_int_equal(cc_onhook(f->cc, f->dev[B], 0, 0, f->now), 0);
	assert_int_equal(last(f, B)->v.state, CC_ONHOOK);
	assert_int_equal(f->nmoh, 0);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.parked, 0);
	/* Nothing parked any more: dialing the slot finds nothing. */
	dial(f, E, "801");
	assert_int_equal(last(f, E)->v.state, CC_INVALID);
	assert_string_equal(last(f, E)->prompt, "Nothing parked");
	teardown_fake(f);
}

/* A transfers B to C's number: Transfer, then the digits (C rings). */
static uint32_t
transfer_to_ringing(
    struct fake *f, int a, int b, const char *number, uint32_t *held)
{
	connect(f, a, b, a == A ? "1002" : "1005");
	*held = last(f, a)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[a], CC_KEY_TRANSFER, 1, *held, f->now), 0);
	{
		uint32_t consult = last(f, a)->v.ref;

		for (const char *q = number; *q; q++)
			assert_int_equal(
			    cc_digit(f->cc, f->dev[a], 1, consult, *q, f->now),
			    0);
		return consult;
	}
}

static void
set_params_changes_the_next_transfer(void **state)
{
	struct fake *f = setup(8, 0);
	struct cc_params blind = {8, 5000, 1}, consult_p = {8, 5000, 0};
	uint32_t held, consult;

	(void)state;
	/* full-consult: C rings, A's calls wait for the second Transfer. */
	consult = transfer_to_ringing(f, A, B, "1003", &held);
	assert_int_equal(last(f, C)->v.state, CC_RINGIN);
	assert_int_equal(leg(f, held)->v.state, CC_HOLD);
	assert_int_equal(leg(f, consult)->v.state, CC_RINGOUT);
	/* Switched to full-blind while the consultation rings: the next
	 * transfer that rings completes; this one still waits. */
	cc_set_params(f->cc, &blind);
	assert_int_equal(leg(f, held)->v.state, CC_HOLD);
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1, consult, f->now), 0);
	assert_int_equal(last(f, B)->v.state, CC_RINGOUT);
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
	/* D transfers E to F: done as soon as F rings. */
	consult = transfer_to_ringing(f, D, E, "1006", &held);
	assert_int_equal(leg(f, held)->v.state, CC_ONHOOK);
	assert_int_equal(leg(f, consult)->v.state, CC_ONHOOK);
	assert_int_equal(last(f, E)->v.state, CC_RINGOUT);
	assert_int_equal(cc_onhook(f->cc, f->dev[E], 1, 0, f->now), 0);
	assert_int_equal(last(f, F)->v.state, CC_ONHOOK);
	/* And back to full-consult. */
	cc_set_params(f->cc, &consult_p);
	consult = transfer_to_ringing(f, A, B, "1003", &held);
	assert_int_equal(leg(f, held)->v.state, CC_HOLD);
	assert_int_equal(leg(f, consult)->v.state, CC_RINGOUT);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, consult, f->now), 0);
	assert_int_equal(last(f, C)->v.state, CC_ONHOOK);
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_RESUME, 1, held, f->now), 0);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	assert_int_equal(last(f, B)->v.state, CC_ONHOOK);
	teardown_fake(f);
}

/* p (talking to q) consults r's number, r answers, p presses Confrn. */
static uint32_t
conference(struct fake *f, int p, int q, int r, const char *qn, const char *rn)
{
	uint32_t held, consult;

	connect(f, p, q, qn);
	held = last(f, p)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[p], CC_KEY_CONFERENCE, 1, held, f->now), 0);
	consult = last(f, p)->v.ref;
	for (const char *c = rn; *c; c++)
		assert_int_equal(
		    cc_digit(f->cc, f->dev[p], 1, consult, *c, f->now), 0);
	assert_int_equal(cc_offhook(f->cc, f->dev[r], 1, f->now), 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[p], CC_KEY_CONFERENCE, 1, consult, f->now), 0);
	return consult;
}

static void
set_params_changes_max_conferences(void **state)
{
	struct fake *f = setup(2, 0);
	struct cc_params one = {1, 5000, 0}, two = {2, 5000, 0};
	uint32_t consult;
	struct cc_stats st;

	(void)state;
	(void)conference(f, A, B, C, "1002", "1003");
	cc_set_params(f->cc, &one);
	consult = conference(f, D, E, F, "1005", "1006");
	assert_string_equal(last(f, D)->prompt, "No conference bridge");
	assert_int_equal(leg(f, consult)->v.state, CC_CONNECTED);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.conferences_active, 1);
	/* Raised again: the same Confrn now makes the second one. */
	cc_set_params(f->cc, &two);
	assert_int_equal(
	    cc_key(f->cc, f->dev[D], CC_KEY_CONFERENCE, 1, consult, f->now), 0);
	assert_int_equal(leg(f, consult)->v.state, CC_ONHOOK);
	assert_true(last(f, F)->v.conference != 0);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.conferences_active, 2);
	/* Lowered below the count: the conferences up stay. */
	cc_set_params(f->cc, &one);
	assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
	assert_int_equal(cc_onhook(f->cc, f->dev[F], 1, 0, f->now), 0);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	assert_int_equal(cc_onhook(f->cc, f->dev[D], 1, 0, f->now), 0);
	teardown_fake(f);
}

/* Dials number, whatever the digits do (an unknown prefix ends the
 * dialing at once: the digits after it are refused). */
static void
dial_unknown(struct fake *f, int p, const char *number)
{
	assert_int_equal(cc_offhook(f->cc, f->dev[p], 1, f->now), 0);
	for (const char *q = number; *q; q++)
		(void)cc_digit(f->cc, f->dev[p], 1, 0, *q, f->now);
	assert_int_equal(last(f, p)->v.state, CC_INVALID);
}

/* Removing an empty slot: no park there, its number is unknown. */
static void
park_slot_removed_when_empty(void **state)
{
	struct fake *f = setup(8, 0);

	(void)state;
	cc_park_slot_remove(f->cc, "801");
	connect(f, A, B, "1002");
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_PARK, 1, 0, f->now), -1);
	assert_string_equal(last(f, A)->prompt, "No park slot");
	dial_unknown(f, C, "801");
	assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
	/* Back in the configuration: parks again. */
	assert_int_equal(cc_park_slot_add(f->cc, "801"), 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_PARK, 1, 0, f->now), 0);
	assert_string_equal(last(f, A)->prompt, "Call park at 801");
	assert_int_equal(
	    cc_onhook(f->cc, f->dev[B], 1, last(f, B)->v.ref, f->now), 0);
	teardown_fake(f);
}

/* Removing a slot that holds a call: the call stays there until picked
 * up (or hung up), no other call parks there, then the slot is gone. */
static void
park_slot_removed_keeps_its_call(void **state)
{
	struct cc_stats st;

	(void)state;
	for (int hang_up = 0; hang_up < 2; hang_up++) {
		struct fake *f = setup(8, 0);

		connect(f, A, B, "1002");
		assert_int_equal(
		    cc_key(f->cc, f->dev[A], CC_KEY_PARK, 1, 0, f->now), 0);
		cc_park_slot_remove(f->cc, "801");
		assert_int_equal(last(f, B)->v.state, CC_CONNECTED);
		connect(f, C, D, "1004");
		assert_int_equal(
		    cc_key(f->cc, f->dev[C], CC_KEY_PARK, 1, 0, f->now), -1);
		assert_string_equal(last(f, C)->prompt, "No park slot");
		assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
		if (hang_up) {
			/* The parked party hangs up (its leg by ref: a
			 * parked leg is not the active one). */
			assert_int_equal(cc_onhook(f->cc, f->dev[B], 1,
			                     last(f, B)->v.ref, f->now),
			    0);
		} else {
			dial(f, E, "801");
			assert_int_equal(last(f, E)->v.state, CC_CONNECTED);
			assert_string_equal(last(f, E)->called, "1002");
			assert_int_equal(
			    cc_onhook(f->cc, f->dev[E], 1, 0, f->now), 0);
		}
		assert_int_equal(last(f, B)->v.state, CC_ONHOOK);
		cc_stats_get(f->cc, &st);
		assert_int_equal(st.parked, 0);
		/* The slot went with its call. */
		dial_unknown(f, F, "801");
		assert_int_equal(cc_onhook(f->cc, f->dev[F], 1, 0, f->now), 0);
		teardown_fake(f);
	}
}

/* The chapter: when the conference creator leaves, the two others are
 * joined, but their call stays nonsecure, also after hold and resume. */
static void
conference_creator_leaves(void **state)
{
	struct fake *f = setup(1, 0);
	uint32_t held, consult, bref;

	(void)state;
	connect(f, A, B, "1002");
	held = last(f, A)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_CONFERENCE, 1, held, f->now), 0);
	consult = last(f, A)->v.ref;
	for (const char *q = "1003"; *q; q++)
		assert_int_equal(
		    cc_digit(f->cc, f->dev[A], 1, consult, *q, f->now), 0);
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_CONFERENCE, 1, consult, f->now), 0);
	assert_int_equal(f->open_bridge, 3);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	assert_int_equal(f->open_bridge, 0);
	assert_int_equal(f->open_pairs, 1);
	assert_int_equal(f->last_nonsecure, 1);
	assert_int_equal(last(f, B)->v.state, CC_CONNECTED);
	assert_int_equal(last(f, C)->v.state, CC_CONNECTED);
	assert_string_equal(last(f, B)->called, "1003");
	bref = last(f, B)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[B], CC_KEY_HOLD, 1, bref, f->now), 0);
	assert_int_equal(f->open_pairs, 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[B], CC_KEY_RESUME, 1, bref, f->now), 0);
	assert_int_equal(f->open_pairs, 1);
	assert_int_equal(f->last_nonsecure, 1);
	assert_int_equal(cc_onhook(f->cc, f->dev[B], 1, 0, f->now), 0);
	assert_int_equal(last(f, C)->v.state, CC_ONHOOK);
	assert_int_equal(f->open_pairs, 0);
	teardown_fake(f);
}

static void
three_party_conference(void **state)
{
	struct fake *f = setup(1, 0);
	uint32_t held, consult;
	struct cc_stats st;

	(void)state;
	connect(f, A, B, "1002");
	held = last(f, A)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_CONFERENCE, 1, held, f->now), 0);
	assert_true(hears_moh(f, B));
	consult = last(f, A)->v.ref;
	for (const char *q = "1003"; *q; q++)
		assert_int_equal(
		    cc_digit(f->cc, f->dev[A], 1, consult, *q, f->now), 0);
	/* Not before the consulted party answers. */
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_CONFERENCE, 1, consult, f->now),
	    -1);
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_CONFERENCE, 1, consult, f->now), 0);
	assert_int_equal(leg(f, consult)->v.state, CC_ONHOOK);
	assert_int_equal(leg(f, held)->v.state, CC_CONNECTED);
	assert_int_equal(leg(f, held)->v.keyset, CC_KEYS_CONNECTED_CONFERENCE);
	assert_true(leg(f, held)->v.conference != 0);
	assert_int_equal(last(f, B)->v.conference, leg(f, held)->v.conference);
	assert_int_equal(last(f, C)->v.conference, leg(f, held)->v.conference);
	assert_int_equal(f->open_pairs, 0);
	assert_int_equal(f->open_bridge, 3);
	assert_int_equal(f->nmoh, 0); /* B's music stopped: bridged */
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.conferences_active, 1);
	/* A second one: no bridge left (max-conferences 1). */
	connect(f, D, E, "1005");
	assert_int_equal(
	    cc_key(f->cc, f->dev[D], CC_KEY_CONFERENCE, 1, 0, f->now), 0);
	consult = last(f, D)->v.ref;
	for (const char *q = "1006"; *q; q++)
		assert_int_equal(
		    cc_digit(f->cc, f->dev[D], 1, consult, *q, f->now), 0);
	assert_int_equal(cc_offhook(f->cc, f->dev[F], 1, f->now), 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[D], CC_KEY_CONFERENCE, 1, consult, f->now), 0);
	assert_string_equal(last(f, D)->prompt, "No conference bridge");
	assert_int_equal(last(f, D)->v.state, CC_CONNECTED);
	assert_int_equal(cc_onhook(f->cc, f->dev[D], 1, consult, f->now), 0);
	assert_int_equal(last(f, F)->v.state, CC_ONHOOK);
	/* C leaves: A and B are a two-party call again, directly. */
	assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
	assert_int_equal(leg(f, held)->v.state, CC_CONNECTED);
	assert_int_equal(leg(f, held)->v.conference, 0);
	assert_string_equal(leg(f, held)->called, "1002");
	assert_int_equal(last(f, B)->v.conference, 0);
	assert_int_equal(f->open_bridge, 0);
	assert_int_equal(f->open_pairs, 1);
	/* The creator (A) is among the two: the stream may be secure. */
	assert_int_equal(f->last_nonsecure, 0);
	cc_stats_get(f->cc, &st);
	assert_int_equal(st.conferences_active, 0);
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	assert_int_equal(last(f, B)->v.state, CC_ONHOOK);
	/* D's held call with E is still there; D hangs up the held one
	 * after resuming it. */
	{
		uint32_t dref = 0;

		for (size_t i = f->nviews; i-- > 0;)
			if (f->views[i].dev == D &&
			    f->views[i].v.state == CC_HOLD) {
				dref = f->views[i].v.ref;
				break;
			}
		assert_true(dref != 0);
		assert_int_equal(
		    cc_key(f->cc, f->dev[D], CC_KEY_RESUME, 1, dref, f->now),
		    0);
		assert_int_equal(cc_onhook(f->cc, f->dev[D], 1, 0, f->now), 0);
		assert_int_equal(last(f, E)->v.state, CC_ONHOOK);
	}
	teardown_fake(f);
}

static void
shared_line_rings_everywhere_first_answer_wins(void **state)
{
	struct fake *f = setup(8, 0);

	(void)state;
	dial(f, A, "2000");
	assert_int_equal(last(f, B)->v.state, CC_RINGIN);
	assert_int_equal(last(f, B)->v.line, 2);
	assert_int_equal(last(f, C)->v.state, CC_RINGIN);
	assert_int_equal(
	    cc_key(f->cc, f->dev[C], CC_KEY_ANSWER, 2, 0, f->now), 0);
	assert_int_equal(last(f, B)->v.state, CC_ONHOOK);
	assert_int_equal(last(f, C)->v.state, CC_CONNECTED);
	assert_int_equal(last(f, A)->v.state, CC_CONNECTED);
	/* B is not busy on 2000's account: its own line still takes calls,
	 * and 2000 rings B while C has it. */
	dial(f, D, "2000");
	assert_int_equal(last(f, B)->v.state, CC_RINGIN);
	/* B declines (end call on the ringing leg): D hears busy. */
	assert_int_equal(cc_key(f->cc, f->dev[B], CC_KEY_ENDCALL, 2,
	                     last(f, B)->v.ref, f->now),
	    0);
	assert_int_equal(last(f, D)->v.state, CC_BUSY);
	assert_int_equal(cc_onhook(f->cc, f->dev[D], 1, 0, f->now), 0);
	/* C's phone disappears: A's call ends with it. */
	cc_device_remove(f->cc, f->dev[C], f->now);
	f->dev[C] = NULL;
	assert_int_equal(last(f, A)->v.state, CC_ONHOOK);
	assert_int_equal(f->open_pairs, 0);
	teardown_fake(f);
}

/* Hold the active call of p and resume it: a new stream opens. */
static void
hold_resume(struct fake *f, int p)
{
	uint32_t ref = last(f, p)->v.ref;
	int opened = f->media_open;

	assert_int_equal(
	    cc_key(f->cc, f->dev[p], CC_KEY_HOLD, 1, ref, f->now), 0);
	f->last_redirected = -1;
	assert_int_equal(
	    cc_key(f->cc, f->dev[p], CC_KEY_RESUME, 1, ref, f->now), 0);
	assert_int_equal(f->media_open, opened + 1);
}

/* The pair of numbers of the last stream, in either order. */
static void
assert_pair(struct fake *f, const char *x, const char *y)
{
	assert_true((strcmp(f->last_a, x) == 0 && strcmp(f->last_b, y) == 0) ||
	    (strcmp(f->last_a, y) == 0 && strcmp(f->last_b, x) == 0));
}

/* The chapter: "Media flow-around is not supported for call transfer and
 * call forward".  Every stream of a forwarded, transferred or picked-up
 * call says so (hold and resume included); a plain call and the
 * consultation call of a transfer do not. */
static void
redirected_calls_flag_their_streams(void **state)
{
	struct fake *f = setup(8, 0);
	uint32_t held, consult;

	(void)state;
	/* A plain call: not redirected, the two line numbers. */
	connect(f, A, B, "1002");
	assert_int_equal(f->last_redirected, CC_REDIRECT_NONE);
	assert_pair(f, "1001", "1002");
	assert_string_equal(f->last_orig, "");
	hold_resume(f, A);
	assert_int_equal(f->last_redirected, CC_REDIRECT_NONE);
	/* Consultative transfer: the consultation call is not redirected,
	 * the joined call is. */
	held = last(f, A)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1, held, f->now), 0);
	consult = last(f, A)->v.ref;
	for (const char *q = "1003"; *q; q++)
		assert_int_equal(
		    cc_digit(f->cc, f->dev[A], 1, consult, *q, f->now), 0);
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(f->last_redirected, CC_REDIRECT_NONE);
	assert_pair(f, "1001", "1003");
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1, consult, f->now), 0);
	assert_int_equal(last(f, B)->v.state, CC_CONNECTED);
	assert_int_equal(f->last_redirected, CC_REDIRECT_TRANSFER);
	assert_pair(f, "1002", "1003");
	hold_resume(f, C);
	assert_int_equal(f->last_redirected, CC_REDIRECT_TRANSFER);
	assert_int_equal(cc_onhook(f->cc, f->dev[B], 1, 0, f->now), 0);
	/* The next call between the same phones is a new call. */
	connect(f, B, C, "1003");
	assert_int_equal(f->last_redirected, CC_REDIRECT_NONE);
	assert_int_equal(cc_onhook(f->cc, f->dev[B], 1, 0, f->now), 0);
	/* Blind transfer (full-consult, Transfer while it rings). */
	connect(f, A, B, "1002");
	held = last(f, A)->v.ref;
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1, held, f->now), 0);
	consult = last(f, A)->v.ref;
	for (const char *q = "1003"; *q; q++)
		assert_int_equal(
		    cc_digit(f->cc, f->dev[A], 1, consult, *q, f->now), 0);
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_TRANSFER, 1, consult, f->now), 0);
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(last(f, B)->v.state, CC_CONNECTED);
	assert_int_equal(f->last_redirected, CC_REDIRECT_TRANSFER);
	assert_pair(f, "1002", "1003");
	assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
	/* Forward on no answer: 1004 -> 1003, the number first dialed. */
	dial(f, A, "1004");
	f->now += 10000;
	cc_tick(f->cc, f->now);
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(last(f, A)->v.state, CC_CONNECTED);
	assert_int_equal(f->last_redirected, CC_REDIRECT_FORWARD);
	assert_pair(f, "1001", "1003");
	assert_string_equal(f->last_orig, "1004");
	hold_resume(f, A);
	assert_int_equal(f->last_redirected, CC_REDIRECT_FORWARD);
	assert_string_equal(f->last_orig, "1004");
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	/* Forward on busy: E is off-hook, 1005 -> 1003. */
	assert_int_equal(cc_offhook(f->cc, f->dev[E], 1, f->now), 0);
	dial(f, A, "1005");
	assert_int_equal(cc_offhook(f->cc, f->dev[C], 1, f->now), 0);
	assert_int_equal(f->last_redirected, CC_REDIRECT_FORWARD);
	assert_string_equal(f->last_orig, "1005");
	assert_int_equal(cc_onhook(f->cc, f->dev[A], 1, 0, f->now), 0);
	assert_int_equal(cc_onhook(f->cc, f->dev[E], 1, 0, f->now), 0);
	/* Park and pickup: the picked-up call counts as transferred. */
	connect(f, A, B, "1002");
	assert_int_equal(
	    cc_key(f->cc, f->dev[A], CC_KEY_PARK, 1, 0, f->now), 0);
	dial(f, C, "801");
	assert_int_equal(last(f, C)->v.state, CC_CONNECTED);
	assert_int_equal(f->last_redirected, CC_REDIRECT_PICKUP);
	assert_pair(f, "1002", "1003");
	assert_int_equal(cc_onhook(f->cc, f->dev[C], 1, 0, f->now), 0);
	teardown_fake(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(basic_call_and_hang_up),
	    cmocka_unit_test(busy_invalid_and_interdigit),
	    cmocka_unit_test(forward_on_no_answer_and_on_busy),
	    cmocka_unit_test(hold_and_resume_renegotiate_media),
	    cmocka_unit_test(hold_on_both_sides),
	    cmocka_unit_test(consultative_transfer),
	    cmocka_unit_test(blind_transfer_while_ringing),
	    cmocka_unit_test(park_and_pickup),
	    cmocka_unit_test(parked_party_hangs_up_without_a_reference),
	    cmocka_unit_test(set_params_changes_the_next_transfer),
	    cmocka_unit_test(set_params_changes_max_conferences),
	    cmocka_unit_test(park_slot_removed_when_empty),
	    cmocka_unit_test(park_slot_removed_keeps_its_call),
	    cmocka_unit_test(three_party_conference),
	    cmocka_unit_test(conference_creator_leaves),
	    cmocka_unit_test(shared_line_rings_everywhere_first_answer_wins),
	    cmocka_unit_test(redirected_calls_flag_their_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
