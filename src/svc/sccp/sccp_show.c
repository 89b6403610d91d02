/*
 * The live call part of the SCCP show commands (the tables and the
 * registration lines are in sccp_cli.c): `show ephone` (each phone's
 * call summary and line states), `show ephone offhook` (the chapter's
 * active-call block for each stream of a phone: addresses, codec, the
 * media decision and why, SRTP cipher and keys, the relay's counters;
 * keys appear nowhere else) and `show voip rtp connections` (the
 * relay's port range and legs, music on hold, flow-around streams).
 *
 * Owns nothing: it reads the devices (sccp_call.c), streams
 * (sccp_media.c), bridges (sccp_bridge.c) and music on hold
 * (sccp_moh.c).
 */
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include "call/callctl.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "lib/buf.h"
#include "media/moh.h"
#include "media/relay.h"
#include "media/srtp_crypto.h"
#include "svc/sccp/sccp_call_int.h"
#include "svc/sccp/sccp_int.h"

#define G711_BYTES 160 /* payload of a 20 ms G.711 packet */

void
sccp_show_summary(const struct sccp_sess *s, struct sccp_call_summary *out)
{
	const struct dev *d = sccp_call_dev_of_sess(s);
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
	for (st = sccp_media_streams(); st != NULL; st = st->next)
		if (st->a == d || st->b == d) {
			out->media_active = 1;
			out->start_media |= st->started;
		}
	for (const struct moh_stream *ms = sccp_moh_streams(); ms != NULL;
	     ms = ms->next)
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
sccp_show_line_state(const struct sccp_sess *s, unsigned line)
{
	const struct dev *d = sccp_call_dev_of_sess(s);
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
	const struct moh *source = sccp_moh_source();
	char lip[INET_ADDRSTRLEN], sip[INET_ADDRSTRLEN];
	uint8_t src[4];

	memcpy(src, sccp_moh_addr(), 4);
	ip_str(ms->ip, lip, sizeof(lip));
	ip_str(src, sip, sizeof(sip));
	buf_printf(out,
	    "Lpcor Type: none Active Call on DN %u chan 1 :%s %s %u from %s "
	    "%u music on hold (%s, RTP, not secure)\n",
	    dn_tag(cfg, s, t->line), number, lip, (unsigned)ms->port, sip,
	    (unsigned)moh_port(source),
	    moh_is_tone(source) ? "tone on hold" : "moh file");
	buf_printf(out, "G711Ulaw64k %u bytes no vad\n", G711_BYTES);
	buf_printf(out,
	    "Tx Pkts - bytes - Rx Pkts %llu bytes %llu Lost 0 (receive "
	    "only)\n",
	    (unsigned long long)moh_listener_stats(ms->l)->tx,
	    (unsigned long long)(moh_listener_stats(ms->l)->tx * G711_BYTES));
}

void
sccp_show_describe(
    struct config *cfg, const struct sccp_sess *s, struct buf *out)
{
	const struct dev *d = sccp_call_dev_of_sess(s);
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
		st = sccp_media_stream_of(d, t->ref);
		if (st == NULL) {
			uint16_t port;

			if (sccp_bridge_port_of(d, t->ref, &port))
				buf_printf(out,
				    "Lpcor Type: none Active Call on DN %u "
				    "chan 1 :%s conference mixer port %u "
				    "(RTP)\n",
				    dn_tag(cfg, s, t->line), number,
				    (unsigned)port);
			else if (sccp_moh_stream_of(d, t->ref) != NULL)
				moh_describe(cfg, s, t, number,
				    sccp_moh_stream_of(d, t->ref), out);
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

			memcpy(relay_ip, sccp_media_relay_addr(), 4);
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
	const struct daemon *d = sccp_call_daemon();
	const struct stream *st;
	unsigned n = 0;

	buf_printf(out, "\nMedia mode: %s (voice service voip)\n",
	    d != NULL && d->cfg->voip.media == MEDIA_FLOW_AROUND
	        ? "flow-around"
	        : "flow-through");
	for (st = sccp_media_streams(); st != NULL; st = st->next) {
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
	const struct moh *source = sccp_moh_source();
	const struct moh_stream *ms;
	char sip[INET_ADDRSTRLEN], pip[INET_ADDRSTRLEN];
	uint8_t src[4];

	if (source == NULL)
		return n;
	memcpy(src, sccp_moh_addr(), 4);
	ip_str(src, sip, sizeof(sip));
	for (ms = sccp_moh_streams(); ms != NULL; ms = ms->next) {
		ip_str(ms->ip, pip, sizeof(pip));
		buf_printf(out,
		    "%-4u %-10u %-10s %-9u %-9u %-15s %-15s %-9s %-10llu %llu "
		    "(%s)\n",
		    ++n, (unsigned)ms->ref, "MOH", (unsigned)moh_port(source),
		    (unsigned)ms->port, sip, pip, "RTP",
		    (unsigned long long)moh_listener_stats(ms->l)->tx, 0ULL,
		    moh_is_tone(source) ? "tone on hold" : "music on hold");
	}
	return n;
}

void
sccp_show_rtp(struct buf *out)
{
	const struct stream *st;
	uint16_t lo, hi;
	unsigned n = 0, legs = 0;
	char rip[INET_ADDRSTRLEN];

	sccp_media_port_range(&lo, &hi); /* the default when stopped */
	for (st = sccp_media_streams(); st != NULL; st = st->next)
		legs += (st->la != NULL) + (st->lb != NULL);
	legs += sccp_moh_source() != NULL; /* the music-on-hold source's port */
	buf_printf(out, "VoIP RTP Port Usage Information:\n");
	buf_printf(out,
	    "Min Port: %u Max Port: %u Ports Available: %u Ports in Use: "
	    "%u\n\n",
	    (unsigned)lo, (unsigned)hi, (unsigned)(hi - lo + 1), legs * 2);
	memcpy(rip, "0.0.0.0", 8);
	if (sccp_media_relay_is_running())
		(void)inet_ntop(
		    AF_INET, sccp_media_relay_addr(), rip, sizeof(rip));
	buf_printf(out, "VoIP RTP active connections :\n");
	buf_printf(out,
	    "%-4s %-10s %-10s %-9s %-9s %-15s %-15s %-9s %-10s %s\n", "No.",
	    "CallId", "dstCallId", "LocalRTP", "RmtRTP", "LocalIP", "RemoteIP",
	    "Security", "Tx", "Rx");
	for (st = sccp_media_streams(); st != NULL; st = st->next) {
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
	/* How the relay sends (doc/media.md "Relay I/O"). */
	switch (sccp_media_relay_gso()) {
	case 2:
		buf_puts(out, "Relay send: UDP GSO in use\n");
		break;
	case 1:
		buf_puts(out, "Relay send: UDP GSO available, not used yet\n");
		break;
	case 0:
		buf_puts(out,
		    "Relay send: one datagram per message (no UDP "
		    "GSO)\n");
		break;
	default:
		break;
	}
	show_rtp_around(out);
}
