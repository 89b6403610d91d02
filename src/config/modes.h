/*
 * The command tables and modes of each configuration area, and the
 * init/free functions of the parts of the tree they own (internal to
 * src/config).  Table order in config.c is running-config order.
 */
#ifndef OPENCME_CONFIG_MODES_H
#define OPENCME_CONFIG_MODES_H

#include "config/config.h"

/* cmd_global.c: hostname, usernames, type 6 switches, ip http,
 * tftp-server, show/write/copy. */
extern struct cli_table global_cfg_head, global_cfg_tail, global_exec;
void global_conf_init(struct config *cfg);
void global_conf_free(struct config *cfg);

/* cmd_telephony.c */
extern struct cli_table telephony_cfg, telephony_exec;
extern const struct cli_mode mode_telephony;
void telephony_conf_init(struct config *cfg);
void telephony_conf_free(struct config *cfg);

/* cmd_ephone.c: ephone-template, ephone-dn, ephone. */
extern struct cli_table ephone_cfg, ephone_exec;
extern const struct cli_mode mode_ephone, mode_ephone_dn, mode_ephone_template;
void ephone_conf_init(struct config *cfg);
void ephone_conf_free(struct config *cfg);

/* cmd_voice.c: voice service voip (+ h323), voice class codec,
 * voice register global/pool/template, voice user-profile,
 * voice logout-profile (voice_cfg_head); dial-peer voice (voice_cfg_dp). */
extern struct cli_table voice_cfg_head, voice_cfg_dp, voice_exec;
extern const struct cli_mode mode_voip, mode_voip_h323, mode_codec_class,
    mode_dial_peer, mode_vr_global, mode_vr_pool, mode_vr_template,
    mode_user_profile, mode_logout_profile;
void voice_conf_init(struct config *cfg);
void voice_conf_free(struct config *cfg);

/* cmd_pki.c: crypto pki server / trustpoint / certificate chain. */
extern struct cli_table pki_cfg, pki_exec;
extern const struct cli_mode mode_pki_server, mode_trustpoint, mode_cert_chain,
    mode_cert_hex;
/* cmd_pki_import.c: crypto pki authenticate. */
extern struct cli_table pki_import_cfg;
void pki_conf_init(struct config *cfg);
void pki_conf_free(struct config *cfg);

/* cmd_security.c: ctl-client, capf-server, credentials. */
extern struct cli_table security_cfg, security_exec;
extern const struct cli_mode mode_ctl_client, mode_capf_server,
    mode_credentials;
void security_conf_init(struct config *cfg);
void security_conf_free(struct config *cfg);

/* Helpers shared by the command files. */
extern struct cli_table config_common; /* exit, end, no, do */
/* Free a string field and set it (NULL clears). */
void conf_set_str(char **field, const char *value);
/* Print "!" between top-level blocks. */
void conf_write_bang(struct cli_writer *w);
/* A mode block: its entering line, the mode's rows indented, "!". */
void conf_write_block(struct cli_writer *w, const char *head,
    const struct cli_mode *mode, void *obj);
/*
 * The entering command of a block that exists once (telephony-service,
 * ctl-client, capf-server, credentials, voice service voip, voice
 * register global): mark it present and enter mode on obj, or with "no"
 * reset it (free_fn, then init_fn) and announce the change as name.
 */
int conf_enter_block(struct cli_ctx *ctx, const char *name,
    const struct cli_mode *mode, void *obj, int *present,
    void (*free_fn)(struct config *), void (*init_fn)(struct config *));

#endif
