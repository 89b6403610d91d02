#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fmt/passwd.h"
#include "lib/log.h"

void
secret_init(struct config *cfg, struct secret *s, enum secret_family family)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	LIST_INSERT_HEAD(&cfg->secrets, s, entry);
	s->registered = 1;
}

static void
secret_reset(struct secret *s)
{
	if (s->plain != NULL) {
		log_redact_remove(s->plain);
		secret_free(s->plain);
		s->plain = NULL;
	}
	free(s->enc);
	s->enc = NULL;
	s->show_type = 0;
}

void
secret_release(struct secret *s)
{
	secret_reset(s);
	if (s->registered) {
		LIST_REMOVE(s, entry);
		s->registered = 0;
	}
}

int
secret_is_set(const struct secret *s)
{
	return s->plain != NULL || s->enc != NULL;
}

static void
store(struct secret *s, char *plain, char *enc, int show_type)
{
	secret_reset(s);
	s->plain = plain;
	s->enc = enc;
	s->show_type = show_type;
	if (plain != NULL)
		log_redact_add(plain);
}

/*
 * The policy applies to clear text an administrator enters.  A
 * startup-config being loaded may predate the policy (the chapter's
 * upgrade exemption): there a non-compliant password only warns.
 */
static int
check_policy(struct cli_ctx *ctx, const char *plain, enum secret_policy pol)
{
	int ok;

	switch (pol) {
	case POLICY_CME:
		ok = passwd_policy_ok(plain);
		break;
	case POLICY_ATA_IVR:
		ok = passwd_ata_ivr_ok(plain);
		break;
	case POLICY_NONE:
	default:
		return 0;
	}
	if (ok)
		return 0;
	if (ctx->is_loading) {
		cli_out(ctx,
		    "%% Warning: a saved password does not meet the %s; "
		    "accepted from the saved configuration",
		    pol == POLICY_ATA_IVR ? "four-digit rule of ata-ivr-pwd"
		                          : "Unified CME password policy");
		return 0;
	}
	if (pol == POLICY_ATA_IVR)
		cli_out(ctx, "%% Invalid ata-ivr-pwd: four digits required");
	else
		buf_puts(ctx->out, PASSWD_POLICY_ERROR);
	return -1;
}

static int
set_06(struct cli_ctx *ctx, struct secret *s, const char *type,
    const char *value, enum secret_policy pol)
{
	struct config *cfg = ctx->cfg;
	char *plain = NULL;
	int rc;

	if (type == NULL || strcmp(type, "0") == 0) {
		if (check_policy(ctx, value, pol) != 0)
			return CLI_ERR;
		store(s, xstrdup(value), NULL, 0);
		return CLI_OK;
	}
	if (!passwd6_is_wellformed(value)) {
		cli_out(ctx, "%% Invalid type 6 encrypted password");
		return CLI_ERR;
	}
	if (cfg->master_key == NULL) {
		cli_out(ctx,
		    "%% Warning: no master key is set (key config-key "
		    "password-encrypt); the type 6 password is kept "
		    "encrypted and cannot be used");
		store(s, NULL, xstrdup(value), 6);
		return CLI_OK;
	}
	rc = passwd6_decode(cfg->master_key, value, &plain);
	if (rc != PASSWD_OK) {
		if (!ctx->is_loading) {
			cli_out(ctx,
			    "%% Cannot decrypt the type 6 password "
			    "with the configured master key");
			return CLI_ERR;
		}
		cli_out(ctx,
		    "%% Warning: a type 6 password does not decrypt "
		    "with the master key; kept encrypted and unusable");
		store(s, NULL, xstrdup(value), 6);
		return CLI_OK;
	}
	if (check_policy(ctx, plain, pol) != 0) {
		secret_free(plain);
		return CLI_ERR;
	}
	/* Keep the string as given so the configuration prints stably. */
	store(s, plain, xstrdup(value), 6);
	return CLI_OK;
}

static int
set_type7(struct cli_ctx *ctx, struct secret *s, const char *type,
    const char *value, int lenient)
{
	char *plain = NULL;

	if (type == NULL || strcmp(type, "0") == 0) {
		store(s, xstrdup(value), NULL, 0);
		return CLI_OK;
	}
	if (passwd7_decode(value, &plain) == PASSWD_OK) {
		store(s, plain, xstrdup(value), atoi(type));
		return CLI_OK;
	}
	if (!lenient) {
		cli_out(ctx, "%% Invalid encrypted password");
		return CLI_ERR;
	}
	/*
	 * {0|1}: the digit says how the password is to be shown, so "1"
	 * followed by clear text is the password itself (the chapter's
	 * "password 1 mypassword"); type 7 text is decoded above.
	 */
	store(s, xstrdup(value), NULL, 1);
	return CLI_OK;
}

int
secret_set(struct cli_ctx *ctx, struct secret *s, const char *type,
    const char *value, enum secret_policy policy)
{
	int rc = CLI_ERR;

	switch (s->family) {
	case SECRET_06:
		rc = set_06(ctx, s, type, value, policy);
		break;
	case SECRET_01:
		rc = set_type7(ctx, s, type, value, 1);
		break;
	case SECRET_07:
		rc = set_type7(ctx, s, type, value, 0);
		break;
	}
	return rc;
}

/*
 * Type 7 hides nothing (it is reversible by design), so its offset buys
 * no secrecy; a fixed offset per password keeps configurations stable
 * across saves and diffs.  IOS picks 00-15: so do we.
 */
static unsigned
type7_offset(const char *plain)
{
	unsigned sum = 0;

	for (const unsigned char *p = (const unsigned char *)plain; *p; p++)
		sum += *p;
	return sum % 16;
}

void
secret_format(struct config *cfg, struct secret *s, struct buf *out)
{
	if (s->family == SECRET_06) {
		if (s->plain == NULL) {
			buf_printf(out, "6 %s", s->enc ? s->enc : "");
			return;
		}
		if (!config_type6_active(cfg)) {
			buf_printf(out, "0 %s", s->plain);
			return;
		}
		if (s->enc == NULL &&
		    passwd6_encode(cfg->master_key, s->plain, NULL, &s->enc) !=
		        PASSWD_OK) {
			s->enc = NULL;
			buf_printf(out, "0 %s", s->plain);
			return;
		}
		buf_printf(out, "6 %s", s->enc);
		return;
	}
	if (s->show_type == 0 || s->plain == NULL) {
		buf_printf(out, "0 %s", s->plain ? s->plain : "");
		return;
	}
	if (s->enc == NULL &&
	    passwd7_encode(s->plain, type7_offset(s->plain), &s->enc) !=
	        PASSWD_OK) {
		s->enc = NULL;
		buf_printf(out, "0 %s", s->plain);
		return;
	}
	buf_printf(out, "%d %s", s->show_type, s->enc);
}

void
secret_rekey_all(struct config *cfg, const char *old_key)
{
	struct secret *s;

	LIST_FOREACH (s, &cfg->secrets, entry) {
		if (s->family != SECRET_06 || s->enc == NULL)
			continue;
		if (s->plain == NULL) {
			/* Opaque: maybe it was written under one of the keys. */
			char *plain = NULL;

			if ((cfg->master_key != NULL &&
			        passwd6_decode(cfg->master_key, s->enc,
			            &plain) == PASSWD_OK) ||
			    (old_key != NULL &&
			        passwd6_decode(old_key, s->enc, &plain) ==
			            PASSWD_OK)) {
				s->plain = plain;
				log_redact_add(plain);
			} else {
				continue;
			}
		}
		/* Re-encrypted with the current key when next printed. */
		free(s->enc);
		s->enc = NULL;
	}
}
