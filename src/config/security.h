/* ctl-client, capf-server and credentials (the CTL provider). */
#ifndef OPENCME_CONFIG_SECURITY_H
#define OPENCME_CONFIG_SECURITY_H

#include <sys/queue.h>

#include "config/secret.h"

enum ctl_role {
	CTL_ROLE_CAPF = 0,
	CTL_ROLE_CME = 1,
	CTL_ROLE_CME_TFTP = 2,
	CTL_ROLE_TFTP = 3,
	CTL_ROLE_APPLICATION = 4,
};
extern const char *const ctl_role_words[];

struct ctl_server {
	int role; /* enum ctl_role */
	char *ip;
	char *trustpoint;
	TAILQ_ENTRY(ctl_server) entry;
};
TAILQ_HEAD(ctl_server_list, ctl_server);

/* server cme IP username U password {0|1} P: a remote CME router. */
struct ctl_remote {
	char *ip;
	char *username;
	struct secret password;
	TAILQ_ENTRY(ctl_remote) entry;
};
TAILQ_HEAD(ctl_remote_list, ctl_remote);

struct ctl_import {
	unsigned tag;
	char *description;
	char *url; /* flash:cert.pem */
	TAILQ_ENTRY(ctl_import) entry;
};
TAILQ_HEAD(ctl_import_list, ctl_import);

struct ctl_client {
	int present;
	char *sast1_tp;
	char *sast2_tp;
	struct ctl_server_list servers;
	struct ctl_remote_list remotes;
	struct ctl_import_list imports;
	int hash_sha512; /* hash sha512 (extension): CTL and .sgn digest */
};

struct capf_server {
	int present;
	char *trustpoint_label;
	char *cert_enroll_tp;
	struct secret cert_enroll_pw; /* {0|1} */
	char *source_addr;
	int auth_mode; /* enum capf_auth, default NONE */
	unsigned phone_key_size; /* 512|1024|2048, default 1024 */
	/* phone-key-curve (extension): EC keys on the curve
	 * phone_key_curve_words[i] instead of RSA; -1 = RSA (default). */
	int phone_key_curve;
	unsigned port; /* 3804 */
	unsigned keygen_retry; /* 3 */
	unsigned keygen_timeout; /* 30 minutes */
	int cert_oper; /* enum cert_oper (all) */
	unsigned
	    tls_min; /* tls-version minimum (extension): 10 or 12 (default) */
};

/* "p256", "p384", "p521": CAPF's CURVE codes 0, 1, 2 (formats.md 5.5.5). */
extern const char *const phone_key_curve_words[];

struct credentials_conf {
	int present;
	char *ip;
	unsigned port; /* 2444 */
	char *trustpoint;
	char *admin_user;
	struct secret admin_secret; /* {0|1} */
};

#endif
