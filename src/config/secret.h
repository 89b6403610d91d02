/*
 * Stored passwords of the configuration and how they are printed.
 *
 * Two families of commands carry passwords:
 *  - "[0|6] PW" (the CME password commands of the chapter's "Guidelines
 *    for Password Configuration"): printed as type 6 when a master key is
 *    set, `password encryption aes` is on and telephony-service has
 *    `encrypt password` (the default); as type 0 otherwise (Table 1).
 *  - "{0|1} PW" (ctl-client server cme, capf-server cert-enroll-trustpoint,
 *    credentials ctl-service): the digit says how the password is shown;
 *    1 is the reversible type 7 encoding (the chapter calls it "MD5", but
 *    its own examples are type 7 strings).
 *  - global `username N password {0|7} PW`.
 *
 * Plain text is kept in memory (services need it; re-keying needs it) and
 * is registered with the log redaction list.  A type 6 value that cannot
 * be decrypted (no or wrong master key) is kept as the opaque string.
 */
#ifndef OPENCME_CONFIG_SECRET_H
#define OPENCME_CONFIG_SECRET_H

#include <sys/queue.h>

#include "cli/cli.h"

struct config;

enum secret_family {
	SECRET_06, /* [0|6] */
	SECRET_01, /* {0|1}: 1 = type 7 */
	SECRET_07, /* {0|7} */
};

enum secret_policy {
	POLICY_NONE,
	POLICY_CME, /* the Unified CME password policy */
	POLICY_ATA_IVR, /* four digits */
};

struct secret {
	enum secret_family family;
	char *plain; /* NULL: unset, or only enc known */
	char *enc; /* cached encoded text: type 6 (06) or type 7 (01, 07) */
	int show_type; /* SECRET_01/07: the digit asked for (0, 1 or 7) */
	int registered;
	LIST_ENTRY(secret) entry;
};

LIST_HEAD(secret_list, secret);

void secret_init(
    struct config *cfg, struct secret *s, enum secret_family family);
/* Clear and unregister (the struct itself belongs to its owner). */
void secret_release(struct secret *s);
int secret_is_set(const struct secret *s);

/*
 * Set from a command: type is the digit typed ("0", "6", "1", "7" or NULL
 * for none), value the password text.  Checks the policy on clear text
 * (interactive input; a startup-config being loaded only warns, see
 * doc/design.md).  Messages go to ctx.  Returns CLI_OK or CLI_ERR; on
 * error the stored value is unchanged.
 */
int secret_set(struct cli_ctx *ctx, struct secret *s, const char *type,
    const char *value, enum secret_policy policy);

/* Append "0 PW", "6 ENC", "1 ENC7", "7 ENC7" to out. */
void secret_format(struct config *cfg, struct secret *s, struct buf *out);

/* Master key changed (or type 6 switched): re-encrypt every secret; the
 * opaque values are decrypted with the new key where possible. */
void secret_rekey_all(struct config *cfg, const char *old_key);

#endif
