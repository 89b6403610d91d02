/* telephony-service: the CME-wide settings (struct telephony_conf). */
#ifndef OPENCME_CONFIG_TELEPHONY_H
#define OPENCME_CONFIG_TELEPHONY_H

#include <sys/queue.h>

#include "config/secret.h"

/* device-security-mode; words in dsm_words order. */
enum dsm {
	DSM_UNSET = -1,
	DSM_AUTHENTICATED = 0,
	DSM_NONE = 1,
	DSM_ENCRYPTED = 2,
};
extern const char *const dsm_words[];

enum ssm {
	SSM_UNSET = -1, /* no CTL generated yet: nothing printed */
	SSM_NON_SECURE = 0,
	SSM_SECURE = 1,
};

enum transfer_system {
	XFER_DEFAULT = -1,
	XFER_BLIND = 0,
	XFER_FULL_BLIND = 1,
	XFER_FULL_CONSULT = 2,
	XFER_LOCAL_CONSULT = 3,
};

struct load_cfg_file {
	char *url; /* slot0:Ringlist.xml */
	char *alias; /* Ringlist.xml */
	int sign;
	TAILQ_ENTRY(load_cfg_file) entry;
};
TAILQ_HEAD(load_cfg_list, load_cfg_file);

struct str_item {
	char *s;
	TAILQ_ENTRY(str_item) entry;
};
TAILQ_HEAD(str_list, str_item);

/* A user + password pair (ssh userid, xml user, standby user, ...). */
struct user_cred {
	char *user; /* or the application name */
	char *extra; /* url (url authentication), NULL otherwise */
	unsigned privilege; /* xml user: privilege level */
	struct secret pw;
	TAILQ_ENTRY(user_cred) entry;
};
TAILQ_HEAD(user_cred_list, user_cred);

struct telephony_conf {
	int present;
	char *secure_signaling_tp;
	char *tftp_credentials_tp;
	int device_security_mode; /* enum dsm, default DSM_NONE */
	int server_security_mode; /* enum ssm */
	int cnf_file_perphone;
	char *cnf_file_location; /* flash:, slot0:, system: */
	struct load_cfg_list load_cfg_files;
	char *ip_source_addr;
	unsigned ip_source_port; /* 2000 */
	char *ip_source_secondary;
	unsigned secure_port; /* 2443 (extension) */
	/* secure-signaling null-cipher (extension): TLS 1.2 NULL-encryption
	 * suites accepted for authenticated-mode phones that need them. */
	int secure_null_cipher;
	unsigned keepalive_s; /* keepalive: SCCP keepalive interval, 30 */
	int service_https;
	int encrypt_password; /* default on */
	unsigned max_ephones;
	unsigned max_dn;
	int auto_reg_ephone; /* default on */
	unsigned auto_assign_first, auto_assign_last;
	unsigned max_conferences; /* 8 */
	int conference_gain; /* gain -6 */
	struct str_list transfer_patterns;
	int transfer_system; /* enum transfer_system */
	char *voicemail;
	char *moh;
	char *version_stamp; /* create cnf-files version-stamp LINE */
	/* Password-bearing commands. */
	struct user_cred_list ssh_users; /* ssh userid U password */
	struct user_cred_list directory_auth; /* service local-directory auth */
	struct user_cred_list xml_users; /* xml user U password P N */
	struct user_cred_list standby_users; /* standby user U password */
	struct user_cred_list url_auth; /* url authentication URL APP */
	struct user_cred_list auth_creds; /* authentication credential */
	char *web_admin_name; /* web admin system name N */
	struct secret web_admin_pw;
};

#endif
