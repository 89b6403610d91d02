/*
 * The configuration model: one struct tree for everything the chapter's
 * commands configure.  The command tables (cmd_*.c) parse into it and
 * print it back; services read it.  A reload builds a new tree from the
 * startup-config and swaps it in only when it loaded cleanly.
 */
#ifndef OPENCME_CONFIG_CONFIG_H
#define OPENCME_CONFIG_CONFIG_H

#include <sys/queue.h>

#include "cli/cli.h"
#include "config/ephone.h"
#include "config/pki_conf.h"
#include "config/secret.h"
#include "config/security.h"
#include "config/telephony.h"
#include "config/voice.h"

struct username {
	char *name;
	unsigned privilege; /* 0 = not given */
	struct secret password; /* username N password {0|7} P */
	char *secret_hash; /* username N secret {5|8|9} HASH */
	int secret_type;
	TAILQ_ENTRY(username) entry;
};
TAILQ_HEAD(username_list, username);

struct tftp_file {
	char *url; /* flash:music-on-hold.au */
	char *alias; /* NULL: the file name */
	TAILQ_ENTRY(tftp_file) entry;
};
TAILQ_HEAD(tftp_file_list, tftp_file);
/* The file name of a flash:/slot0:/path URL, the name a tftp-server or
 * load-cfg-file file is served under when it has no alias ("" for
 * "flash:"). */
const char *conf_url_basename(const char *url);

/* The TFTP server's listener (extension: IOS binds every interface). */
struct tftp_listen_conf {
	char *address; /* tftp-server source-address A.B.C.D */
	unsigned port; /* 69 */
};

struct http_conf {
	int server; /* ip http server */
	int secure_server; /* ip http secure-server */
	unsigned port; /* 80 */
	unsigned secure_port; /* 443 */
	char *address; /* ip http source-address (extension) */
	char *secure_trustpoint; /* ip http secure-trustpoint */
	int secure_client_auth; /* ip http secure-client-auth */
};

/*
 * What the daemon offers to commands that act outside the tree (saving,
 * showing the startup-config, the master key file).  NULL members: the
 * action is not available (e.g. under `opencmed -n`).
 */
struct config_hooks {
	void *arg;
	int (*write_memory)(void *arg, struct buf *msg);
	int (*show_startup)(void *arg, struct buf *out);
	int (*save_master_key)(void *arg, const char *key, struct buf *msg);
	/* Called after every successful configuration change. */
	void (*changed)(void *arg, const char *what);
	/* A mode object (an ephone, a trustpoint...) is about to be freed:
	 * sessions editing it must leave its mode. */
	void (*object_deleted)(void *arg, void *obj);
	/* ctl-client regenerate: build and publish the CTL now. */
	int (*ctl_regenerate)(void *arg, int force, struct buf *msg);
	/* Fetch a CA certificate with SCEP GetCACert from an enrollment URL;
	 * done runs later on the loop, with der or an error text. */
	void (*fetch_ca_cert)(void *arg, const char *url,
	    void (*done)(void *cbarg, const unsigned char *der, size_t len,
	        const char *err),
	    void *cbarg);
	/* Extra `show` output owned by services (NULL: not running). */
	void (*show_service)(void *arg, const char *what, struct buf *out);
};

struct config {
	char *hostname;
	/* Type 6: the master key lives in nvram/, never in the text. */
	char *master_key;
	int password_encryption_aes;
	struct secret_list secrets; /* every secret of the tree */

	struct username_list usernames;
	struct tftp_file_list tftp_files;
	struct tftp_listen_conf tftp;
	struct http_conf http;

	struct telephony_conf tel;
	struct ephone_list ephones;
	struct ephone_dn_list ephone_dns;
	struct ephone_template_list ephone_templates;

	struct voice_register_global vr_global;
	struct voice_register_pool_list vr_pools;
	struct voice_register_template_list vr_templates;
	struct voice_profile_list user_profiles;
	struct voice_profile_list logout_profiles;
	struct voice_service_voip voip;
	struct voice_class_codec_list codec_classes;
	struct dial_peer_list dial_peers;

	struct trustpoint_list trustpoints;
	struct pki_server_list pki_servers;

	struct ctl_client ctl;
	struct capf_server capf;
	struct credentials_conf credentials;

	const struct config_hooks *hooks;
};

struct config *config_new(void);
void config_free(struct config *cfg);

/*
 * Services add their own rows (actions such as `crypto pki enroll`, show
 * commands of live state) to exec mode (config_mode 0) or global
 * configuration mode (1), before config_cli_init().  Their rows carry
 * CLI_ACTION or write nothing: the configuration tree stays the config
 * layer's.  Returns -1 when no slot is left.
 */
int config_register_table(int config_mode, struct cli_table *table);

/* The tables of every mode, compiled once (cli_init). */
int config_cli_init(struct buf *err);
extern const struct cli_mode config_mode_exec;
extern const struct cli_mode config_mode_config;
/* NULL-terminated list of every mode (tests, docs). */
extern const struct cli_mode *const config_all_modes[];

/* A session on cfg with the right environment. */
struct cli_session *config_session_new(struct config *cfg);

/* Full running-config text (as `show running-config`). */
void config_write(struct config *cfg, struct buf *out, int all, int for_save);

/* Checks after a whole file was read: references to trustpoints that
 * do not exist (yet).  Warnings to err; returns how many. */
int config_check_refs(struct config *cfg, const char *src, struct buf *err);

/* Notify the daemon of a change (no-op without hooks). */
void config_changed(struct config *cfg, const char *what);
/* Call before freeing an object that a CLI mode may be editing. */
void config_object_deleted(struct config *cfg, void *obj);

const char *config_hostname(struct config *cfg);

/* doc/commands.md, generated from the tables (doc.c). */
void config_doc_markdown(struct buf *out);
/* Sample argument values used for the generated examples. */
extern cli_sample_fn *config_doc_sample;

/* Type 6 is in force: master key + `password encryption aes` +
 * telephony-service `encrypt password` (chapter Table 1). */
int config_type6_active(const struct config *cfg);

#endif
