/* ephone, ephone-dn and ephone-template: SCCP phones and their lines. */
#ifndef OPENCME_CONFIG_EPHONE_H
#define OPENCME_CONFIG_EPHONE_H

#include <sys/queue.h>

#include "config/secret.h"

enum cert_oper {
	CERT_OPER_NONE = -1,
	CERT_OPER_DELETE = 0,
	CERT_OPER_FETCH = 1,
	CERT_OPER_UPGRADE = 2,
};
extern const char *const cert_oper_words[];

/* cert-oper ... auth-mode; also capf-server auth-mode (adds "none"). */
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

struct ephone_button {
	unsigned index;	  /* button number */
	char kind;	  /* ':' normal, 's' silent, 'f' feature, 'm' monitor,
			     'b' ... as IOS */
	char *dns;	  /* "2" or overlay "1,2,3" */
};

struct ephone {
	unsigned tag;
	char mac[13];		/* 12 upper-case hex digits, "" unset */
	char *type;		/* 7960, 7970, 7941GE ... */
	char *addon;		/* "1 7914" */
	struct ephone_button *buttons;
	unsigned nbuttons;
	int device_security_mode; /* enum dsm; DSM_UNSET = telephony's */
	int capf_ip_in_cnf;
	char *capf_auth_str;	/* 4-10 digits */
	int cert_oper;		/* enum cert_oper */
	int cert_oper_auth;	/* enum capf_auth */
	int codec;		/* enum ephone_codec */
	int dspfarm_assist;
	char *username;
	struct secret password;
	unsigned template_tag;	/* 0 = none */
	int reset_pending;	/* `reset` typed: services act on it */
	TAILQ_ENTRY(ephone) entry;
};
TAILQ_HEAD(ephone_list, ephone);

struct ephone_dn {
	unsigned tag;
	int dual_line;
	char *number;
	char *secondary;	/* number N secondary M */
	char *name;
	char *cfwd_noan;	/* call-forward noan N timeout T */
	unsigned cfwd_noan_timeout;
	char *cfwd_busy;
	char *cfwd_all;
	TAILQ_ENTRY(ephone_dn) entry;
};
TAILQ_HEAD(ephone_dn_list, ephone_dn);

struct ephone_template {
	unsigned tag;
	int service_https;
	int device_security_mode;
	TAILQ_ENTRY(ephone_template) entry;
};
TAILQ_HEAD(ephone_template_list, ephone_template);

struct config;
struct ephone *ephone_find(struct config *cfg, unsigned tag);
struct ephone *ephone_find_mac(struct config *cfg, const char *mac12);
struct ephone_dn *ephone_dn_find(struct config *cfg, unsigned tag);
/* The device-security-mode in force for a phone (ephone over
 * telephony-service, as the chapter says). */
int ephone_effective_dsm(struct config *cfg, const struct ephone *e);

#endif
