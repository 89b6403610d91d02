/*
 * SCCP show commands: `show sccp connections`, `show voip rtp
 * connections`, and the live part of `show ephone [registered|offhook]`
 * (config/ephone.h's ephone_live_ops), in the chapter's layout: the
 * registration lines, the line states, and for each call with media the
 * active-call block (sccp_show_describe: addresses, codec, SRTP cipher
 * and keys, counters):
 *
 *   ephone-1[0] Mac:549A.EBB5.8000 TCP socket:[1] activeLine:0
 *   whisperLine:0 REGISTERED in SCCP ver 21/17 max_streams=1
 *   + Authentication + Encryption with TLS connection
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon/conn.h"
#include "svc/sccp/sccp_int.h"
#include "svc/sccp/sccp_svc.h"

static const char *
security_words(const struct sccp_conn_view *v)
{
	if (v->transport != SCCP_TRANSPORT_TLS || v->sess == NULL)
		return "";
	if (v->sess->info.dsm == DSM_ENCRYPTED)
		return " + Authentication + Encryption with TLS connection";
	return " + Authentication with TLS connection";
}

static const char *
security_mode(const struct sccp_conn_view *v)
{
	if (v->transport != SCCP_TRANSPORT_TLS || v->sess == NULL)
		return "none";
	return v->sess->info.dsm == DSM_ENCRYPTED ? "encrypted"
	                                          : "authenticated";
}

/* The state of the phone's line that shows ephone-dn d. */
static const char *
line_state(const struct sccp_sess *s, const struct ephone_dn *d)
{
	for (unsigned i = 0; d->number != NULL && i < s->info.nlines; i++)
		if (strcmp(s->info.lines[i].number, d->number) == 0)
			return sccp_show_line_state(s, i + 1);
	return "IDLE";
}

static void
describe(void *arg, const struct ephone *e, struct buf *out)
{
	struct config *cfg = sccp_svc_cfg();
	struct sccp_conn_view v;
	const struct sccp_sess *s;
	struct sccp_call_summary cs;
	const char *model;

	(void)arg;
	if (cfg == NULL || !sccp_svc_find(e->mac, &v) || v.sess == NULL)
		return;
	s = v.sess;
	sccp_show_summary(s, &cs);
	model = e->type ? e->type : sccp_policy_model(s->reg.device_type);
	buf_printf(out,
	    "ephone-%u[%u] Mac:%.4s.%.4s.%.4s TCP socket:[%d] activeLine:%u "
	    "whisperLine:0 REGISTERED in SCCP ver %u/%u max_streams=%u%s\n",
	    e->tag, e->tag - 1, e->mac, e->mac + 4, e->mac + 8, v.fd,
	    cs.active_line, (unsigned)s->reg.protocol_version,
	    (unsigned)s->proto, s->reg.max_streams, security_words(&v));
	buf_printf(out,
	    "mediaActive:%d whisper_mediaActive:0 startMedia:%d offhook:%d "
	    "ringing:%d reset:%d reset_sent:0 paging 0 debug:0 caps:%u\n",
	    cs.media_active, cs.start_media, cs.offhook, cs.ringing,
	    e->reset_pending, s->caps);
	buf_printf(out,
	    "IP:%s * %u %s keepalive %u max_line %u available_line %u\n",
	    v.peer_ip, v.peer_port, model, s->keepalives,
	    s->reg.max_lines ? s->reg.max_lines : s->info.nlines,
	    s->info.nlines);
	for (unsigned i = 0; i < e->nbuttons; i++) {
		const struct ephone_button *b = &e->buttons[i];
		char *copy, *save = NULL, *tag;

		buf_printf(out, "button %u: cw:1 ccw:(0 0)\n", b->index);
		if (b->kind == 'x') {
			buf_printf(out, " overflow of button %s\n", b->dns);
			continue;
		}
		copy = xstrdup(b->dns);
		for (tag = strtok_r(copy, ",", &save); tag != NULL;
		     tag = strtok_r(NULL, ",", &save)) {
			const struct ephone_dn *d = ephone_dn_find(
			    cfg, (unsigned)strtoul(tag, NULL, 10));

			if (d == NULL)
				buf_printf(
				    out, " dn %s (not configured)\n", tag);
			else
				buf_printf(out, " dn %u number %s CH1 %s%s\n",
				    d->tag, d->number ? d->number : "",
				    line_state(s, d),
				    d->dual_line ? " CH2 IDLE" : "");
		}
		free(copy);
	}
	buf_printf(out, "Preferred Codec: %s\n",
	    ephone_codec_words[e->codec != CODEC_UNSET ? e->codec
	                                               : CODEC_G711ULAW]);
	sccp_show_describe(cfg, s, out);
}

static int
state(void *arg, const struct ephone *e, const char *what)
{
	struct sccp_conn_view v;
	struct sccp_call_summary cs;

	(void)arg;
	if (strcmp(what, "registered") == 0)
		return sccp_svc_find(e->mac, NULL);
	if (strcmp(what, "offhook") != 0 || !sccp_svc_find(e->mac, &v) ||
	    v.sess == NULL)
		return 0;
	sccp_show_summary(v.sess, &cs);
	return cs.offhook;
}

struct conn_show {
	struct cli_ctx *ctx;
	int rows;
};

static void
conn_row(const struct sccp_conn_view *v, void *arg)
{
	struct conn_show *sh = arg;
	const struct sccp_sess *s = v->sess;
	char addr[48], ver[16] = "-", transport[32];
	const char *device = "-", *st = "handshake";

	if (sh->rows++ == 0)
		cli_out(sh->ctx, "%-16s %-21s %-9s %-7s %-14s %s", "Device",
		    "Address", "Transport", "Version", "Security", "State");
	snprintf(addr, sizeof(addr), "%s:%u", v->peer_ip, v->peer_port);
	snprintf(transport, sizeof(transport), "%s",
	    v->transport == SCCP_TRANSPORT_TLS ? "TLS" : "TCP");
	if (s != NULL) {
		st = s->state == SCCP_SESS_REGISTERED ? "registered"
		    : s->state == SCCP_SESS_DONE      ? "closing"
		                                      : "connected";
		if (s->state == SCCP_SESS_REGISTERED) {
			device = s->reg.device_name;
			snprintf(ver, sizeof(ver), "%u/%u",
			    (unsigned)s->reg.protocol_version,
			    (unsigned)s->proto);
		}
	}
	cli_out(sh->ctx, "%-16s %-21s %-9s %-7s %-14s %s", device, addr,
	    transport, ver,
	    s != NULL && s->state == SCCP_SESS_REGISTERED ? security_mode(v)
	                                                  : "-",
	    st);
	if (v->transport == SCCP_TRANSPORT_TLS && v->tls_version[0])
		cli_out(
		    sh->ctx, "%-16s %s %s", "", v->tls_version, v->tls_cipher);
}

static int
show_connections(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct sccp_sess_stats *st = sccp_sess_stats();
	const struct conn_counters *k = sccp_svc_counters();
	struct conn_show sh = {ctx, 0};
	const char *tp = NULL;
	char addr[64];
	unsigned port = 0;

	(void)args;
	if (sccp_svc_listening(
	        SCCP_TRANSPORT_TCP, addr, sizeof(addr), &port, NULL))
		cli_out(ctx, "SCCP TCP: listening on %s port %u", addr, port);
	else
		cli_out(ctx, "SCCP TCP: not listening");
	if (sccp_svc_listening(
	        SCCP_TRANSPORT_TLS, addr, sizeof(addr), &port, &tp))
		cli_out(ctx,
		    "SCCP TLS: listening on %s port %u (trustpoint %s)", addr,
		    port, tp);
	else
		cli_out(ctx, "SCCP TLS: not listening");
	cli_out(ctx,
	    "  Connections: %llu accepted, %llu TLS handshakes failed, "
	    "%llu timed out",
	    k->accepted, k->tls_failed, k->timeouts);
	cli_out(ctx,
	    "  Registrations: %llu accepted, %llu rejected, %llu "
	    "unregistered; %llu malformed, %llu ignored messages",
	    (unsigned long long)st->registered,
	    (unsigned long long)st->rejected,
	    (unsigned long long)st->unregistered,
	    (unsigned long long)st->malformed, (unsigned long long)st->ignored);
	sccp_svc_foreach(conn_row, &sh);
	if (sh.rows == 0)
		cli_out(ctx, "No SCCP connections");
	return CLI_OK;
}

static int
show_rtp(struct cli_ctx *ctx, const struct cli_args *args)
{
	(void)args;
	sccp_show_rtp(ctx->out);
	return CLI_OK;
}

static const struct cli_cmd sccp_exec_cmds[] = {
    {.syntax = "show voip rtp connections",
        .help = HELP("Show running system information", "Voice over IP",
            "RTP information",
            "Media streams through the CME's relay: ports, addresses, "
            "SRTP or RTP, packets"),
        .handler = show_rtp,
        .flags = CLI_ACTION},
    {.syntax = "show sccp connections",
        .help = HELP("Show running system information", "SCCP (Skinny)",
            "Phone connections: device, address, transport, version, "
            "security"),
        .handler = show_connections,
        .flags = CLI_ACTION},
};

static struct cli_table sccp_exec = CLI_TABLE(sccp_exec_cmds);

void
sccp_svc_register_cli(void)
{
	config_register_table(0, &sccp_exec);
}

void
sccp_cli_live(int on)
{
	struct ephone_live_ops ops = {describe, NULL, state};

	ephone_set_live_ops(on ? &ops : NULL);
}
