/*
 * One SCCP connection's protocol logic (spec sections 5-7), without
 * sockets: the service feeds it whole PDUs (already framed by
 * sccp_frame_len) and sends what it appends to out.  The configuration
 * is reached through ops, so that the registration sequence is unit
 * tested with fake ops.
 *
 * Registration decision (sccp_reg_decide) is pure too: the service
 * gathers the facts (transport, TLS identity, ephone, security mode,
 * limits) and this says accept or reject, with the RegisterReject text.
 */
#ifndef OPENCME_SVC_SCCP_SESSION_H
#define OPENCME_SVC_SCCP_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fmt/sccp.h"
#include "lib/buf.h"

enum sccp_transport {
	SCCP_TRANSPORT_TCP = 0,
	SCCP_TRANSPORT_TLS = 1,
};

/* ---- registration decision ---- */

struct sccp_reg_facts {
	const char *device_name; /* Register's deviceName */
	int transport; /* enum sccp_transport */
	const char *tls_cn; /* peer certificate CN (TLS), else NULL */
	int is_known; /* an ephone has this MAC */
	int auto_reg; /* telephony-service auto-reg-ephone */
	int dsm; /* effective device-security-mode (enum dsm) */
	unsigned max_ephones; /* 0 = no limit */
	unsigned registered_others; /* other devices registered now */
	int tls_null; /* TLS with a NULL-encryption suite */
};

enum sccp_reg_verdict {
	SCCP_REG_ACCEPT = 0,
	SCCP_REG_BAD_NAME,
	SCCP_REG_CERT_MISMATCH,
	SCCP_REG_UNKNOWN,
	SCCP_REG_NEEDS_TLS,
	SCCP_REG_MAX_EPHONES,
	SCCP_REG_NEEDS_ENCRYPTION,
};

/* 1 for "SEP" followed by 12 hex digits (either case). */
int sccp_device_name_ok(const char *name);
/* The verdict; *reject gets the RegisterReject text (< 32 bytes) and
 * *why a log line explanation (no secrets either way). */
int sccp_reg_decide(
    const struct sccp_reg_facts *f, const char **reject, const char **why);

/* ---- session ---- */

#define SCCP_SESS_MAX_LINES 8u
#define SCCP_SESS_DEFAULT_KEEPALIVE 30u
/* Before Register: a connection must register within this time. */
#define SCCP_SESS_REGISTER_MS 30000u

/* What the configuration says about an accepted device. */
struct sccp_line_info {
	char number[24];
	char name[40];
};
struct sccp_dev_info {
	unsigned ephone_tag; /* 0 for an auto-registered phone */
	unsigned keepalive_s;
	char date_template[SCCP_DATE_TEMPLATE_LEN + 1];
	unsigned nlines;
	struct sccp_line_info lines[SCCP_SESS_MAX_LINES];
	char server_name[48];
	uint8_t server_ip[4];
	unsigned server_port;
	int dsm; /* effective device-security-mode */
};

struct sccp_sess_ops {
	/* Register arrived: 0 and info filled to accept, -1 to refuse
	 * with *reject (RegisterReject text). */
	int (*check)(void *arg, const struct sccp_register *r,
	    struct sccp_dev_info *info, const char **reject);
	/* The device is registered (after RegisterAck was queued). */
	void (*registered)(void *arg);
	/* Wall clock (tests fix it). */
	time_t (*now)(void *arg);
	/* A message of a registered phone that the session does not
	 * answer itself (call control, media acks): 1 when taken.  May be
	 * NULL (then they are read and ignored). */
	int (*call)(void *arg, const struct sccp_msg *m);
};

enum sccp_sess_state {
	SCCP_SESS_NEW = 0, /* waiting for Register */
	SCCP_SESS_REGISTERED,
	SCCP_SESS_DONE, /* rejected or unregistered: close after flush */
};

struct sccp_sess {
	const struct sccp_sess_ops *ops;
	void *arg;
	int transport;
	enum sccp_sess_state state;
	struct sccp_register reg; /* the accepted Register */
	uint8_t proto; /* negotiated version */
	struct sccp_dev_info info;
	unsigned caps; /* codecs in CapabilitiesRes */
	unsigned keepalives; /* KeepAlive received */
	int time_sent; /* DefineTimeDate sent: registration complete */
	time_t registered_at;
	char reject[SCCP_REJECT_TEXT_LEN + 1]; /* last RegisterReject text */
};

/* Statistics over every session (show sccp connections). */
struct sccp_sess_stats {
	uint64_t registered, rejected, unregistered, malformed, ignored;
};
const struct sccp_sess_stats *sccp_sess_stats(void);
/* The service counts what it sees outside the sessions. */
void sccp_sess_count_malformed(void);

enum {
	SCCP_SESS_CONTINUE = 0,
	SCCP_SESS_CLOSE = 1, /* send out, then close */
	SCCP_SESS_ERROR = -1, /* malformed: close now (err says why) */
};

void sccp_sess_init(struct sccp_sess *s, const struct sccp_sess_ops *ops,
    void *arg, int transport);
/*
 * One whole PDU.  Appends answers to out; returns SCCP_SESS_CONTINUE,
 * SCCP_SESS_CLOSE (rejected, unregistered) or SCCP_SESS_ERROR with *err
 * describing the malformed input (offset, what).
 */
int sccp_sess_input(struct sccp_sess *s, const uint8_t *pdu, size_t len,
    struct buf *out, struct sccp_error *err);
/* Silence allowed before the session is dropped: SCCP_SESS_REGISTER_MS
 * before registration, 2.5 keepalive intervals after (spec 6). */
unsigned sccp_sess_timeout_ms(const struct sccp_sess *s);
/* Header version for a message to this device. */
uint32_t sccp_sess_hdr(const struct sccp_sess *s, uint32_t id);

#endif
