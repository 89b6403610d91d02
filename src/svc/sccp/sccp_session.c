/*
 * SCCP session logic: Register -> RegisterAck (or RegisterReject), then
 * every registration-time request answered as spec section 7 lists it,
 * KeepAlive -> KeepAliveAck, Unregister -> UnregisterAck.  Call-control
 * messages are read and ignored in this slice (issue 6 part 3).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/telephony.h"
#include "svc/sccp/sccp_session.h"

static struct sccp_sess_stats stats;

const struct sccp_sess_stats *
sccp_sess_stats(void)
{
	return &stats;
}

void
sccp_sess_count_malformed(void)
{
	stats.malformed++;
}

/* ---- registration decision ---- */

int
sccp_device_name_ok(const char *name)
{
	if (name == NULL || strncmp(name, "SEP", 3) != 0 || strlen(name) != 15)
		return 0;
	for (size_t i = 3; i < 15; i++)
		if (!isxdigit((unsigned char)name[i]))
			return 0;
	return 1;
}

int
sccp_reg_decide(
    const struct sccp_reg_facts *f, const char **reject, const char **why)
{
	if (!sccp_device_name_ok(f->device_name)) {
		*reject = "Invalid device name";
		*why = "device name is not SEP<MAC>";
		return SCCP_REG_BAD_NAME;
	}
	/* The TLS identity is bound to the name before anything else
	 * (spec 10.1): otherwise any LSC could register as any phone. */
	if (f->transport == SCCP_TRANSPORT_TLS &&
	    (f->tls_cn == NULL || strcasecmp(f->tls_cn, f->device_name) != 0)) {
		*reject = "Certificate mismatch";
		*why = "certificate subject CN is not the device name";
		return SCCP_REG_CERT_MISMATCH;
	}
	if (!f->is_known && !f->auto_reg) {
		*reject = "Unknown device";
		*why = "no ephone has this MAC address and auto-reg-ephone "
		       "is off";
		return SCCP_REG_UNKNOWN;
	}
	if (f->transport == SCCP_TRANSPORT_TCP &&
	    (f->dsm == DSM_AUTHENTICATED || f->dsm == DSM_ENCRYPTED)) {
		*reject = "Secure device: use TLS";
		*why = "device-security-mode requires TLS, phone came on TCP";
		return SCCP_REG_NEEDS_TLS;
	}
	/* Integrity-only TLS is for authenticated mode: an encrypted
	 * phone's signaling must be encrypted too. */
	if (f->transport == SCCP_TRANSPORT_TLS && f->tls_null &&
	    f->dsm == DSM_ENCRYPTED) {
		*reject = "Encryption required";
		*why = "device-security-mode encrypted, TLS without encryption";
		return SCCP_REG_NEEDS_ENCRYPTION;
	}
	if (f->max_ephones != 0 && f->registered_others >= f->max_ephones) {
		*reject = "Max ephones registered";
		*why = "max-ephones phones are registered already";
		return SCCP_REG_MAX_EPHONES;
	}
	*reject = "";
	*why = "accepted";
	return SCCP_REG_ACCEPT;
}

/* ---- session ---- */

void
sccp_sess_init(struct sccp_sess *s, const struct sccp_sess_ops *ops, void *arg,
    int transport)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->arg = arg;
	s->transport = transport;
	s->state = SCCP_SESS_NEW;
}

uint32_t
sccp_sess_hdr(const struct sccp_sess *s, uint32_t id)
{
	return sccp_hdr_version_for(id, s->proto);
}

unsigned
sccp_sess_timeout_ms(const struct sccp_sess *s)
{
	unsigned k = s->info.keepalive_s ? s->info.keepalive_s
	                                 : SCCP_SESS_DEFAULT_KEEPALIVE;

	if (s->state != SCCP_SESS_REGISTERED)
		return SCCP_SESS_REGISTER_MS;
	return k * 2500u;
}

static int
do_register(struct sccp_sess *s, const struct sccp_msg *m, struct buf *out)
{
	const char *reject = "Rejected";

	if (s->state == SCCP_SESS_REGISTERED) {
		/* A second Register on the same connection: ignore it, the
		 * first one's answers are on their way. */
		stats.ignored++;
		return SCCP_SESS_CONTINUE;
	}
	memset(&s->info, 0, sizeof(s->info));
	if (s->ops->check(s->arg, &m->u.reg, &s->info, &reject) != 0) {
		snprintf(s->reject, sizeof(s->reject), "%s", reject);
		(void)sccp_register_reject_build(out, s->reject);
		stats.rejected++;
		s->state = SCCP_SESS_DONE;
		return SCCP_SESS_CLOSE;
	}
	s->reg = m->u.reg;
	s->proto = sccp_negotiate_version(
	    m->u.reg.protocol_version, m->u.reg.device_type);
	if (s->info.keepalive_s == 0)
		s->info.keepalive_s = SCCP_SESS_DEFAULT_KEEPALIVE;
	if (s->info.date_template[0] == '\0')
		snprintf(s->info.date_template, sizeof(s->info.date_template),
		    "M/D/Y");
	/* Secondary keepalive = the same interval: there is no standby
	 * CME to count time for in this slice. */
	(void)sccp_register_ack_build(out, s->info.keepalive_s,
	    s->info.date_template, s->info.keepalive_s, s->proto);
	(void)sccp_empty_build(out, SCCP_CAPABILITIES_REQ,
	    sccp_sess_hdr(s, SCCP_CAPABILITIES_REQ));
	s->state = SCCP_SESS_REGISTERED;
	s->registered_at = s->ops->now(s->arg);
	stats.registered++;
	if (s->ops->registered != NULL)
		s->ops->registered(s->arg);
	return SCCP_SESS_CONTINUE;
}

static void
button_template(struct sccp_sess *s, struct buf *out)
{
	struct sccp_button b[SCCP_SESS_MAX_LINES];

	for (unsigned i = 0; i < s->info.nlines; i++) {
		b[i].instance = (uint8_t)(i + 1);
		b[i].definition = SCCP_BUTTON_LINE;
	}
	(void)sccp_button_template_build(
	    out, sccp_sess_hdr(s, SCCP_BUTTON_TEMPLATE), b, s->info.nlines);
}

static void
line_stat(struct sccp_sess *s, uint32_t line, struct buf *out)
{
	const struct sccp_line_info *l = NULL;

	if (line >= 1 && line <= s->info.nlines)
		l = &s->info.lines[line - 1];
	(void)sccp_line_stat_build(out, sccp_sess_hdr(s, SCCP_LINE_STAT), line,
	    l ? l->number : "", l ? l->name : "", l ? l->name : "");
}

static void
time_date(struct sccp_sess *s, struct buf *out)
{
	time_t now = s->ops->now(s->arg);
	struct sccp_time t;
	struct tm tm;

	localtime_r(&now, &tm);
	memset(&t, 0, sizeof(t));
	t.year = (uint32_t)tm.tm_year + 1900u;
	t.month = (uint32_t)tm.tm_mon + 1u;
	t.day_of_week = (uint32_t)tm.tm_wday;
	t.day = (uint32_t)tm.tm_mday;
	t.hour = (uint32_t)tm.tm_hour;
	t.minute = (uint32_t)tm.tm_min;
	t.second = (uint32_t)tm.tm_sec;
	t.system_time = (uint32_t)now;
	(void)sccp_define_time_date_build(
	    out, sccp_sess_hdr(s, SCCP_DEFINE_TIME_DATE), &t);
	s->time_sent = 1;
}

/* Requests of a registered phone (spec 5.3-5.9). */
static void
registered_input(struct sccp_sess *s, const struct sccp_msg *m, struct buf *out)
{
	uint32_t id = m->id, h = sccp_sess_hdr(s, 0xFFFF);

	switch (id) {
	case SCCP_CAPABILITIES_RES: {
		uint32_t n = sccp_body_u32(m, 0);

		s->caps = n > 18 ? 18 : n;
		break;
	}
	case SCCP_BUTTON_TEMPLATE_REQ:
		button_template(s, out);
		break;
	case SCCP_SOFT_KEY_TEMPLATE_REQ:
		(void)sccp_soft_key_template_build(out, h);
		break;
	case SCCP_SOFT_KEY_SET_REQ:
		(void)sccp_soft_key_set_build(out, h);
		/* Idle screen: OnHook set, every key visible. */
		(void)sccp_select_soft_keys_build(out, h, 0, 0, 0, 0xFFFFFFFFu);
		break;
	case SCCP_LINE_STAT_REQ:
		line_stat(s, sccp_body_u32(m, 0), out);
		break;
	case SCCP_FORWARD_STAT_REQ:
		(void)sccp_forward_stat_build(
		    out, h, s->proto, sccp_body_u32(m, 0));
		break;
	case SCCP_SPEED_DIAL_STAT_REQ:
		(void)sccp_speed_dial_stat_build(
		    out, h, sccp_body_u32(m, 0), "", "");
		break;
	case SCCP_CONFIG_STAT_REQ:
		(void)sccp_config_stat_build(out, h, s->reg.device_name,
		    s->reg.instance, "", s->info.server_name, s->info.nlines,
		    0);
		break;
	case SCCP_SERVER_REQ:
		(void)sccp_server_res_build(out, h, s->proto,
		    s->info.server_name, s->info.server_port,
		    s->info.server_ip);
		break;
	case SCCP_TIME_DATE_REQ:
		time_date(s, out);
		break;
	case SCCP_VERSION_REQ:
		(void)sccp_version_build(out, h, "OpenCME");
		break;
	case SCCP_REGISTER_TOKEN_REQ:
		(void)sccp_empty_build(out, SCCP_REGISTER_TOKEN_ACK, h);
		break;
	case SCCP_REGISTER_AVAILABLE_LINES:
	case SCCP_ALARM:
	case SCCP_HEADSET_STATUS:
	case SCCP_UPDATE_CAPABILITIES:
	case SCCP_UPDATE_CAPABILITIES_V2:
	case SCCP_UPDATE_CAPABILITIES_V3:
	case SCCP_SERVICE_URL_STAT_REQ:
	case SCCP_FEATURE_STAT_REQ:
		break; /* nothing to answer (spec 5.9) */
	default:
		/* Call control goes to the call layer; everything else is
		 * read and ignored (spec 3: discard unknown ids by length). */
		if (s->ops->call == NULL || !s->ops->call(s->arg, m))
			stats.ignored++;
		break;
	}
}

int
sccp_sess_input(struct sccp_sess *s, const uint8_t *pdu, size_t len,
    struct buf *out, struct sccp_error *err)
{
	struct sccp_msg m;
	int rc;

	if (s->state == SCCP_SESS_DONE)
		return SCCP_SESS_CLOSE;
	rc = sccp_msg_parse(pdu, len, &m, err);
	if (rc != SCCP_OK) {
		stats.malformed++;
		return SCCP_SESS_ERROR;
	}
	switch (m.id) {
	case SCCP_KEEP_ALIVE:
		/* Answered even before Register (7985, 6911: spec 6). */
		if (s->state == SCCP_SESS_REGISTERED)
			s->keepalives++;
		(void)sccp_keep_alive_ack_build(out);
		return SCCP_SESS_CONTINUE;
	case SCCP_REGISTER:
		return do_register(s, &m, out);
	case SCCP_UNREGISTER:
		(void)sccp_unregister_ack_build(out, 0);
		if (s->state == SCCP_SESS_REGISTERED)
			stats.unregistered++;
		s->state = SCCP_SESS_DONE;
		return SCCP_SESS_CLOSE;
	default:
		break;
	}
	if (s->state != SCCP_SESS_REGISTERED) {
		/* Nothing but Register/KeepAlive means anything yet. */
		stats.ignored++;
		return SCCP_SESS_CONTINUE;
	}
	registered_input(s, &m, out);
	return SCCP_SESS_CONTINUE;
}
