/* ephone, ephone-dn and ephone-template: SCCP phones and their lines. */
#ifndef OPENCME_CONFIG_EPHONE_H
#define OPENCME_CONFIG_EPHONE_H

#include <sys/queue.h>

#include "config/secret.h"

struct buf;

enum cert_oper {
	CERT_OPER_NONE = -1,
	CERT_OPER_DELETE = 0,
	CERT_OPER_FETCH = 1,
	CERT_OPER_UPGRADE = 2,
};
extern const char *const cert_oper_words[];

/* cert-oper ... auth-mode; also capf-server auth-mode (adds "none").
 * Words in enum order: "auth-string", "LSC", "MIC", "null-string",
 * "none". */
enum capf_auth {
	CAPF_AUTH_UNSET = -1,
	CAPF_AUTH_STRING = 0,
	CAPF_AUTH_LSC = 1,
	CAPF_AUTH_MIC = 2,
	CAPF_AUTH_NULL_STRING = 3,
	CAPF_AUTH_NONE = 4,
};
extern const char *const capf_auth_words[];

enum ephone_codec {
	CODEC_UNSET = -1,
	CODEC_G711ULAW = 0,
	CODEC_G722R64 = 1,
	CODEC_G729R8 = 2,
	CODEC_G711ALAW = 3,
};
extern const char *const ephone_codec_words[];

/* One "N<sep>DNS" item of the button command (button  1:2 8:8). */
struct ephone_button {
	unsigned index; /* button number, 1-100 */
	char kind; /* ':' normal, 's' silent, 'b' beep, 'f' feature
			     ring, 'm' monitor, 'w' watch, 'o' overlay,
			     'c' overlay with call waiting, 'x' overflow */
	char *dns; /* ephone-dn tags: "2", or overlay "4,5,6"; for
			     'x' the button number it expands */
};

struct ephone {
	unsigned tag;
	char mac[13]; /* 12 upper-case hex digits, "" unset */
	char *type; /* 7960, 7970, 7941GE ... */
	char *addon; /* "1 7914" or "1 7914 2 7914" */
	struct ephone_button *buttons; /* sorted by index */
	unsigned nbuttons;
	int device_security_mode; /* enum dsm; DSM_UNSET = template's or
				     telephony's */
	int capf_ip_in_cnf;
	char *capf_auth_str; /* 4-10 digits */
	int cert_oper; /* enum cert_oper */
	int cert_oper_auth; /* enum capf_auth */
	/* Not configuration: the capf-server `cert-oper ... all` operation
	 * (enum cert_oper) this phone already completed, set by the CAPF
	 * service from its device table; CERT_OPER_NONE = none. */
	int capf_global_done;
	int codec; /* enum ephone_codec */
	int dspfarm_assist;
	char *username;
	struct secret password; /* [0|6] family, CME policy */
	unsigned template_tag; /* 0 = none */
	int reset_pending; /* `reset`/`restart` typed: services act */
	TAILQ_ENTRY(ephone) entry;
};
TAILQ_HEAD(ephone_list, ephone);

struct ephone_dn {
	unsigned tag;
	int dual_line;
	char *number;
	char *secondary; /* number N secondary M */
	char *name;
	char *cfwd_noan; /* call-forward noan N timeout T */
	unsigned cfwd_noan_timeout;
	char *cfwd_busy;
	char *cfwd_all;
	/* park-slot: dialing the number picks up the call parked there
	 * (its options are accepted and not used). */
	int park_slot;
	TAILQ_ENTRY(ephone_dn) entry;
};
TAILQ_HEAD(ephone_dn_list, ephone_dn);

struct ephone_template {
	unsigned tag;
	int service_https;
	int device_security_mode; /* enum dsm; DSM_UNSET = not set */
	TAILQ_ENTRY(ephone_template) entry;
};
TAILQ_HEAD(ephone_template_list, ephone_template);

struct config;
struct ephone *ephone_find(struct config *cfg, unsigned tag);
/*
 * An ephone for an auto-registering phone (telephony-service
 * auto-reg-ephone), as CME creates one: the lowest free tag up to max_tag,
 * the MAC, and with `auto assign FIRST to LAST` the lowest ephone-dn of
 * that range that no button shows yet as `button 1:DN`.  NULL when the MAC
 * is bad or known, or no tag is free.  The caller announces the change.
 */
struct ephone *ephone_auto_add(
    struct config *cfg, const char *mac12, unsigned max_tag);
/* mac12: 12 hex digits (any case); the dotted form is accepted too. */
struct ephone *ephone_find_mac(struct config *cfg, const char *mac12);
struct ephone_dn *ephone_dn_find(struct config *cfg, unsigned tag);
struct ephone_template *ephone_template_find(struct config *cfg, unsigned tag);
/*
 * The CAPF operation and auth mode that apply to a phone: its own
 * `cert-oper` first, else capf-server's `cert-oper ... all` with its
 * `auth-mode` (chapter: the ephone setting has priority) unless the
 * phone already completed that global operation (it is initiated once per
 * phone).  *oper is CERT_OPER_NONE when nothing is scheduled.
 */
void ephone_capf_effective(
    struct config *cfg, const struct ephone *e, int *oper, int *auth);
/* An auth-mode (enum capf_auth) as the CAPF wire and cnf.xml's
 * capfAuthMode number it (enum capf_auth_type of fmt/capf.h, formats.md
 * §5.5.2 and §7.1); "none" and unset are 0. */
int capf_auth_type_of(int auth);

/* The device-security-mode in force for a phone: the ephone's own, else
 * its ephone-template's, else telephony-service's (the chapter: the
 * ephone value has priority over telephony-service's). */
int ephone_effective_dsm(struct config *cfg, const struct ephone *e);

/*
 * Live phone state for `show ephone`, supplied by the SCCP service when
 * it runs.  describe appends the phone's block (IOS layout, lines ending
 * in '\n'); state (optional) says whether the phone is in the state
 * named by what ("registered", "offhook") for the filtered forms.  With
 * state, describe is called only for registered phones; the others, and
 * every phone without live ops, are shown from the configuration, as
 * unregistered.
 */
struct ephone_live_ops {
	void (*describe)(void *arg, const struct ephone *e, struct buf *out);
	void *arg;
	int (*state)(void *arg, const struct ephone *e, const char *what);
};
/* Copied; NULL removes the hook. */
void ephone_set_live_ops(const struct ephone_live_ops *ops);

#endif
