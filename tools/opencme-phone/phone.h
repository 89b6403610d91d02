/*
 * opencme-phone: a Cisco phone emulator.  Each emulated phone is a
 * struct phone driven through a boot state machine:
 *
 *   INIT -> TRUST (CTL over TFTP, TOFU or verified update)
 *        -> CONFIG (SEP<MAC>.cnf.xml[.sgn], verified, parsed)
 *        -> CAPF (when the configuration lists a CAPF server)
 *        -> REGISTER (SCCP: TLS with the LSC when the security mode is
 *           authenticated/encrypted, else TCP; keepalives; unregister)
 *        -> BOOTED
 *   any step -> FAILED (p->err says why)
 *
 * See doc/opencme-phone.md.
 */
#ifndef OPENCME_PHONE_H
#define OPENCME_PHONE_H

#include <stddef.h>
#include <stdint.h>

#include "fmt/tlv.h"
#include "lib/buf.h"

#define PROG "opencme-phone"

/* Command-line settings shared by every phone (read-only once parsed). */
struct phone_opts {
	const char *tftp_host;
	const char *tftp_port; /* service string, "69" by default */
	const char *model;
	const char *state_dir;
	const char *auth_string;
	const char *mic_cert; /* PEM paths, copied into the phone's dir */
	const char *mic_key;
	int capf_only;
	int no_capf;
	int report_json;
	unsigned timeout_s;
	unsigned keygen_delay_s;
	int no_keygen_answer;
	int no_register; /* stop after the boot (also --capf-only) */
	unsigned hold_s; /* stay registered this long, then unregister */
	unsigned sccp_tls_port; /* 0: the cnf.xml SCCP port + 443 */
	int force_tcp; /* register over TCP whatever the security mode */
	/* --source-ip: the first phone's IPv4 source address in host
	 * order (0 = the kernel's choice); phone i uses first + i, as
	 * real phones each have their own address (per-address limits on
	 * the server, e.g. TFTP's request rate, then apply per phone). */
	uint32_t source_ip;
	/* Calls (calls.c). */
	const char *call_number; /* --call: the first phone dials it */
	int no_answer; /* --no-answer: let incoming calls ring */
	int hold_resume; /* --hold-resume: the --call phone holds, resumes */
	unsigned ring_ms; /* --ring-ms: ring this long before answering */
	unsigned rtcp_ms; /* --rtcp-interval-ms: RTCP SR period, 0 = none */
	size_t n_phones; /* phones in this run */
};

enum phone_state {
	PHONE_INIT = 0,
	PHONE_TRUST,
	PHONE_CONFIG,
	PHONE_CAPF,
	PHONE_REGISTER,
	PHONE_BOOTED,
	PHONE_FAILED,
};

/* Outcome of the CAPF session, for the report. */
struct phone_capf_result {
	int ran; /* a session was attempted */
	int ok; /* ended with END_SESSION reason 0 or 1 */
	const char *operation; /* "none", "install", "fetch", "delete" */
	int end_reason; /* END_SESSION reason, -1 when none received */
	char detail[600];
};

/* What the configuration file said (spec 7). */
struct phone_config {
	int loaded;
	int signed_file; /* came as .sgn and verified */
	int security_mode; /* -1 when absent */
	int capf_auth_mode; /* -1 when absent */
	int has_capf;
	char capf_host[256];
	unsigned capf_port;
	char ccm_host[256]; /* devicePool processNodeName */
	unsigned ccm_port; /* its ethernetPhonePort (SCCP TCP), 2000 */
};

/* Outcome of the SCCP registration, for the report. */
struct phone_sccp_result {
	int ran;
	int registered; /* RegisterAck ... DefineTimeDate received */
	int unregistered; /* UnregisterAck received */
	const char *transport; /* "TCP" or "TLS" */
	char tls_version[32];
	char tls_cipher[64];
	unsigned proto_offered, proto; /* Register / RegisterAck versions */
	unsigned keepalive_s;
	unsigned keepalive_acks;
	char reject[33]; /* RegisterReject text */
	char detail[600];
};

/* One call as the phone saw it (calls.c), for the report. */
#define PHONE_MAX_CALLS 8
#define PHONE_MAX_STATES 16
struct phone_call {
	uint32_t ref; /* CallState callReference */
	int outgoing; /* this phone dialed (1) or was called (0) */
	char number[26]; /* dialed, or the calling party's number */
	uint32_t state; /* last CallState */
	uint32_t last_active; /* last state other than OnHook/Idle */
	uint8_t states[PHONE_MAX_STATES]; /* distinct successive states */
	unsigned n_states;
	int connected; /* CallState Connected seen */
	int security_status; /* last CallInfo callSecurityStatus, -1 */
	int was_encrypted; /* some CallInfo said encrypted (3) */
	uint32_t rx_alg, tx_alg; /* key algorithm of the last ORC/SMT */
	unsigned streams; /* StartMediaTransmission received */
	uint64_t sent, received, auth_failed, replayed, bad_pattern, lost;
	/* RTCP on port + 1: SRs sent; compound packets received that
	 * passed SRTCP (or were plain) and parse; failed SRTCP checks
	 * (tag or replay); undecodable ones. */
	uint64_t rtcp_sent, rtcp_received, rtcp_auth_failed, rtcp_malformed;
	/* Packets of receive-only plain streams (music or tone on hold
	 * while the other party held the call): not the pattern. */
	uint64_t hold_audio;
};

struct phone {
	const struct phone_opts *o;
	size_t index; /* in the run, 0 = the --call phone */
	char mac[13]; /* 12 upper-case hex digits */
	char name[16]; /* "SEP" + mac */
	char dir[4096]; /* STATE/SEP<MAC> */
	enum phone_state state;
	enum phone_state failed_in; /* state that failed */
	char err[1024];

	/* Trust list (installed after verification). */
	struct tlv_file *trust;
	char trust_sha1[41];
	char trust_signer[512];
	const char *trust_how; /* "first-use", "verified", "unchanged", ... */
	char trust_file[64]; /* name fetched */

	struct phone_config cfg;
	struct phone_capf_result capf;
	struct phone_sccp_result sccp;
	uint32_t source_ip; /* host order, 0 = none */
	struct phone_call calls[PHONE_MAX_CALLS];
	unsigned n_calls;
	unsigned calls_dropped; /* calls beyond PHONE_MAX_CALLS */
	int arrived; /* counted by phone_calls_arrive */
};

/* Helpers (main.c). */
void phone_fail(struct phone *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void phone_log(const struct phone *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Read a whole file (at most max bytes); 0 or -1 (errno set). */
int phone_read_file(const char *path, size_t max, struct buf *out);
/* Write atomically (temp file + rename) with the given mode; 0 or -1. */
int phone_write_file(
    const char *path, const void *data, size_t len, unsigned mode);
/* Bind fd to the phone's source address when it has one (IPv4 sockets
 * only); 0 or -1 with errno. */
int phone_bind_source(const struct phone *p, int fd, int family);
/* dir/name into out (size cap); 0 or -1 when it does not fit. */
int phone_path(const struct phone *p, const char *name, char *out, size_t cap);

/* tftp_client.c: fetch one file.  0 on success; TFTP_FETCH_NOTFOUND when
 * the server answered "file not found"; -1 on any other failure (err
 * filled). */
#define TFTP_FETCH_NOTFOUND 1
int tftp_fetch(const struct phone *p, const char *host, const char *port,
    const char *name, unsigned timeout_s, struct buf *out, char *err,
    size_t errcap);

/* boot.c: the TFTP part of the boot (trust list then configuration). */
int phone_boot_trust(struct phone *p);
int phone_boot_config(struct phone *p);
/* Parse a cnf.xml document into cfg; 0 or -1 (err filled). */
int phone_parse_cnf(const uint8_t *xml, size_t len, struct phone_config *cfg,
    char *err, size_t errcap);

/* capf_client.c: one CAPF session as the phone; 0 when it ended with
 * reason 0 or 1. */
int phone_capf_run(struct phone *p);
/* sccp_client.c: register, keep alive for --hold-seconds, unregister;
 * 0 on success (p->sccp says what happened). */
int phone_sccp_run(struct phone *p);
/* The registered connection, for calls.c (sccp_client.c). */
struct phone_link;
struct sccp_msg;
int phone_link_fd(const struct phone_link *l);
int phone_link_pending(struct phone_link *l); /* TLS bytes buffered */
/* Next message (blocking once readable); -1 (p->sccp.detail) */
int phone_link_recv(struct phone_link *l, struct sccp_msg *m);
/* Send and free b; 0 or -1. */
int phone_link_send(struct phone_link *l, struct buf *b);
/* The local IPv4 address of the connection (host order). */
uint32_t phone_link_local_ip(const struct phone_link *l);

/* calls.c: the registered phase -- keepalives, --call, answering,
 * media -- until it is time to unregister; 0 or -1 (p->sccp.detail). */
int phone_calls_run(struct phone *p, struct phone_link *l);
/* A phone registered (gone 0) or is out of the run (gone 1: failed, or
 * done): the --call phone dials once every phone arrived; the others
 * stay registered until the --call phone is gone.  Idempotent. */
void phone_calls_arrive(struct phone *p, int gone);
/* CallState name ("connected"), "?" when unknown. */
const char *phone_call_state_name(uint32_t state);

/* --tls-keylog FILE (test only): NSS key log of every TLS session. */
int phone_keylog_open(const char *path);

/* LSC facts for the report: fills the strings ("" when no LSC). */
void phone_lsc_info(const struct phone *p, char *serial, size_t serial_cap,
    char *subject, size_t subject_cap, char *not_after, size_t na_cap);

#endif
