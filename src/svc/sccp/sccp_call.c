/*
 * The SCCP face of call control (src/call/callctl.h): registered phones
 * become call-control devices with their lines (ephone-dn numbers); what
 * a phone does (OffHook, KeypadButton, SoftKeyEvent, Stimulus,
 * EnblocCall, OnHook) becomes engine events; every leg change the engine
 * reports becomes the messages of spec 12 (CallState, CallInfo, tones,
 * ringer, lamp, soft keys, prompt); every media stream it opens or
 * closes goes to the module that owns that kind: phone to phone to
 * sccp_media.c (RTP, or SRTP through the relay or flow-around, and
 * why), a conference bridge's to sccp_bridge.c (a mixer), music on hold
 * to sccp_moh.c; a phone's OpenReceiveChannelAck goes back to the one
 * whose channel it answers.  CallInfo carries the security status of
 * the leg's stream (the lock), sent again when a secure stream starts
 * or ends while the call goes on.  The show commands (sccp_show.c) read
 * the devices and legs kept here.
 *
 * Owns the devices (struct dev) with their legs and CallInfo, the lines
 * and park slots given to the engine, the engine and its timer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "call/callctl.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "fmt/sccp.h"
#include "fmt/sccp_callmsg.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "svc/sccp/sccp_call_int.h"
#include "svc/sccp/sccp_int.h"

#define STIMULUS_LINE 9u
#define LAMP_OFF 1u
#define LAMP_ON 2u
#define LAMP_WINK 3u
#define LAMP_BLINK 5u
#define RING_OFF 1u
#define RING_INSIDE 2u

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
	struct line_map *lines;
} call;

static struct dev *
dev_of_conn(void *conn)
{
	struct dev *d;

	for (d = call.devs; d != NULL; d = d->next)
		if (d->conn == conn)
			return d;
	return NULL;
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
	cc_tick(call.cc, clock_mono_ms());
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
	now = clock_mono_ms();
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

/* spec 10.3: 3 Encrypted while the leg is connected and a secure stream
 * runs, else 1 NotAuthenticated (ringing, hold, conference, plain RTP).
 * The leg's new state counts: the view of a leg going on hold is sent
 * before its stream closes. */
static uint32_t
security_of(const struct dev *d, uint32_t ref)
{
	const struct stream *st = sccp_media_stream_of(d, ref);

	return st != NULL && st->secure && st->started &&
	        sccp_call_leg_state(d, ref) == CC_CONNECTED
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
	(void)sccp_call_info_build(b, sccp_dev_hdr(d, SCCP_CALL_INFO), &ci);
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
		(void)sccp_set_ringer_build(&b,
		    sccp_dev_hdr(d, SCCP_SET_RINGER), RING_OFF, 1, line, ref);
	if (v->tone != CC_TONE_NONE)
		(void)sccp_start_tone_build(&b,
		    sccp_dev_hdr(d, SCCP_START_TONE), tone_code(v->tone), line,
		    ref);
	else
		(void)sccp_stop_tone_build(
		    &b, sccp_dev_hdr(d, SCCP_STOP_TONE), proto, line, ref);
	(void)sccp_set_lamp_build(&b, sccp_dev_hdr(d, SCCP_SET_LAMP),
	    STIMULUS_LINE, line, lamp_mode(v->state));
	if (v->state == CC_RINGOUT || v->state == CC_BUSY ||
	    v->state == CC_INVALID)
		(void)sccp_dialed_number_build(&b,
		    sccp_dev_hdr(d, SCCP_DIALED_NUMBER), proto,
		    v->called_number, line, ref);
	(void)sccp_call_state_build(&b, sccp_dev_hdr(d, SCCP_CALL_STATE),
	    (uint32_t)v->state, line, ref);
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
		(void)sccp_set_ringer_build(&b,
		    sccp_dev_hdr(d, SCCP_SET_RINGER),
		    v->ringing ? RING_INSIDE : RING_OFF, 1, line, ref);
	if (v->state == CC_OFFHOOK || v->state == CC_CONNECTED)
		(void)sccp_activate_call_plane_build(
		    &b, sccp_dev_hdr(d, SCCP_ACTIVATE_CALL_PLANE), line);
	if (v->prompt != NULL)
		(void)sccp_display_prompt_build(&b,
		    sccp_dev_hdr(d, SCCP_DISPLAY_PROMPT_STATUS), 10, v->prompt,
		    line, ref);
	else if (v->state == CC_ONHOOK)
		(void)sccp_clear_prompt_build(
		    &b, sccp_dev_hdr(d, SCCP_CLEAR_PROMPT_STATUS), line, ref);
	if (v->state == CC_ONHOOK) {
		struct info_cache *c = info_find(d, ref);

		if (c != NULL)
			memset(c, 0, sizeof(*c));
	}
	if (v->state == CC_ONHOOK)
		(void)sccp_select_soft_keys_build(&b,
		    sccp_dev_hdr(d, SCCP_SELECT_SOFT_KEYS), 0, 0, 0,
		    0xFFFFFFFFu);
	else
		(void)sccp_select_soft_keys_build(&b,
		    sccp_dev_hdr(d, SCCP_SELECT_SOFT_KEYS), line, ref,
		    (uint32_t)v->keyset, 0xFFFFFFFFu);
	sccp_svc_send(conn, &b);
	buf_free(&b);
}

int
sccp_call_leg_state(const struct dev *d, uint32_t ref)
{
	for (unsigned i = 0; i < INFO_CACHE; i++)
		if (d->legs[i].state != 0 && d->legs[i].ref == ref)
			return d->legs[i].state;
	return CC_ONHOOK;
}

void
sccp_call_info_resend(struct dev *d, uint32_t ref)
{
	struct info_cache *c = info_find(d, ref);
	struct buf b = BUF_INIT;

	if (c == NULL)
		return;
	info_send(d, c, &b);
	sccp_svc_send(d->conn, &b);
	buf_free(&b);
}

/* ---- media: each kind of stream to the module that owns it ---- */

static void
media_cb(void *arg, const struct cc_media *m, int on)
{
	struct dev *a = dev_of_conn(m->a_dev), *b;

	(void)arg;
	if (m->moh) {
		if (a != NULL)
			sccp_moh_media(a, m->a_ref, on);
		return;
	}
	if (m->b_dev == NULL) {
		if (a != NULL)
			sccp_bridge_media(a, m->a_ref, m->bridge, on);
		return;
	}
	b = dev_of_conn(m->b_dev);
	if (a == NULL || b == NULL)
		return;
	if (on)
		sccp_media_stream_open(a, b, m);
	else
		sccp_media_stream_close(a, b, m);
}

/* A phone's OpenReceiveChannelAck: a bridge member's, music on hold's,
 * or a phone-to-phone stream's. */
static void
receive_acked(struct dev *d, const struct sccp_open_receive_channel_ack *ack)
{
	if (sccp_bridge_acked(d, ack) || sccp_moh_acked(d, ack))
		return;
	sccp_media_acked(d, ack);
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

	for (pp = &call.devs; *pp != NULL && (*pp)->conn != conn;
	     pp = &(*pp)->next)
		;
	if ((d = *pp) == NULL)
		return;
	/* Its calls end; the other phones hear about it.  The device
	 * must still be found while that happens, then it goes. */
	cc_device_remove(call.cc, d->cd, clock_mono_ms());
	sccp_bridge_device_gone(d);
	sccp_moh_device_gone(d);
	sccp_media_device_gone(d);
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
	uint64_t now = clock_mono_ms();
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
	sccp_bridge_stop();
	sccp_moh_stop();
	sccp_media_stop(); /* the streams, then the relay */
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

struct daemon *
sccp_call_daemon(void)
{
	return call.d;
}

struct dev *
sccp_call_dev_of_sess(const struct sccp_sess *s)
{
	struct dev *d;

	for (d = call.devs; d != NULL; d = d->next)
		if (d->sess == s)
			return d;
	return NULL;
}
