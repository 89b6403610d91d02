/* Internal to the SCCP service (src/svc/sccp). */
#ifndef OPENCME_SVC_SCCP_INT_H
#define OPENCME_SVC_SCCP_INT_H

#include <netinet/in.h>

#include "svc/sccp/sccp_session.h"

struct config;
struct ephone;

/* One connection as the show commands see it. */
struct sccp_conn_view {
	const struct sccp_sess *sess; /* NULL during the TLS handshake */
	int fd;
	char peer_ip[INET_ADDRSTRLEN];
	unsigned peer_port;
	int transport;
	const char *tls_version; /* "" for TCP */
	const char *tls_cipher;
};

/* Calls fn for every connection (sccp_svc.c). */
void sccp_svc_foreach(
    void (*fn)(const struct sccp_conn_view *v, void *arg), void *arg);
/* The registered session of a MAC (12 hex digits), or NULL. */
int sccp_svc_find(const char *mac12, struct sccp_conn_view *out);
/* Listener facts for `show sccp connections`: 1 when listening. */
int sccp_svc_listening(int transport, char *addr, unsigned long cap,
    unsigned *port, const char **trustpoint);
/* Connections accepted, TLS handshakes failed, timeouts (daemon/conn.h). */
struct conn_counters;
const struct conn_counters *sccp_svc_counters(void);

/* Queue bytes to a connection (a struct sccp_conn *). */
void sccp_svc_send(void *conn, const struct buf *b);
/* The same for messages with keys: no copy outlives the write. */
void sccp_svc_send_secret(void *conn, const struct buf *b);

/* sccp_call.c: call control for registered phones (its modules share
 * sccp_call_int.h). */
struct daemon;
struct cc_stats;
void sccp_call_start(struct daemon *d);
void sccp_call_stop(void);
void sccp_call_device_up(void *conn, struct sccp_sess *sess);
void sccp_call_device_down(void *conn);
int sccp_call_input(void *conn, const struct sccp_msg *m);
void sccp_call_config_changed(struct config *cfg);
void sccp_call_rearm(void);
void sccp_call_stats(struct cc_stats *out);

/* Live call facts of a phone for `show ephone` (sccp_show.c). */
struct sccp_call_summary {
	unsigned active_line; /* line instance of the active call, 0 none */
	int offhook; /* a call in progress that is not ringing in or held */
	int ringing; /* a call ringing in */
	int media_active, start_media; /* a stream opened / started */
};
void sccp_show_summary(
    const struct sccp_sess *s, struct sccp_call_summary *out);
/* IOS word for what line instance `line` does ("IDLE", "CONNECTED"...). */
const char *sccp_show_line_state(const struct sccp_sess *s, unsigned line);
/* The chapter's active-call block of `show ephone offhook` for each
 * stream of the phone: addresses, codec, SRTP cipher, local key (the
 * phone's transmit key||salt) and remote key (its receive key||salt),
 * base64, and the relay's counters.  Keys appear nowhere else. */
void sccp_show_describe(
    struct config *cfg, const struct sccp_sess *s, struct buf *out);
/* `show voip rtp connections`: the relay's port range and legs. */
void sccp_show_rtp(struct buf *out);

/* The running configuration (NULL when the service is stopped). */
struct config *sccp_svc_cfg(void);
/* sccp_cli.c: install (on) or remove the live `show ephone` hooks. */
void sccp_cli_live(int on);

/* sccp_policy.c: the configuration's answer to a Register. */
int sccp_policy_check(struct config *cfg, const struct sccp_register *r,
    int transport, const char *tls_cn, int tls_null, unsigned registered_others,
    struct sccp_dev_info *info, const char **reject, const char **why);
/* Phone model name for show ephone (device type, spec 11). */
const char *sccp_policy_model(uint32_t device_type);

#endif
