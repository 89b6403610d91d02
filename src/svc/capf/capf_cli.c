/*
 * `show capf-server certificate [H.H.H]`: the CAPF device table (one row
 * per phone the server has seen) plus the listener and counters.
 * `show capf-server summary` and `auth-string` live in
 * config/cmd_security.c.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "store/store.h"
#include "svc/capf/capf_int.h"
#include "svc/capf/capf_svc.h"
#include "svc/pki/pki_svc.h"

struct show {
	struct cli_ctx *ctx;
	const char *device; /* NULL: all */
	int rows;
};

static int
row_cb(const struct store_capf *r, void *arg)
{
	struct show *sh = arg;
	char when[32] = "-", expiry[32] = "-", serial[24] = "-";
	struct tm tm;

	if (sh->device != NULL && strcmp(sh->device, r->device) != 0)
		return 0;
	if (sh->rows++ == 0)
		cli_out(sh->ctx, "%-16s %-4s %-10s %-20s %-8s %-8s %s",
		    "Device", "LSC", "Serial", "Expires (UTC)", "Attempts",
		    "Last op", "Last result (time)");
	if (r->serial != 0)
		snprintf(serial, sizeof(serial), "%" PRIX64, r->serial);
	if (r->not_after != 0) {
		time_t t = (time_t)r->not_after;

		gmtime_r(&t, &tm);
		strftime(expiry, sizeof(expiry), "%Y-%m-%d %H:%M", &tm);
	}
	if (r->last_time != 0) {
		time_t t = (time_t)r->last_time;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	cli_out(sh->ctx, "%-16s %-4s %-10s %-20s %-8d %-8s %s (%s)", r->device,
	    r->cert_der != NULL ? "yes" : "no", serial, expiry, r->attempts,
	    r->last_op ? r->last_op : "-",
	    r->last_result ? r->last_result : "-", when);
	if (r->pending_op != NULL)
		cli_out(
		    sh->ctx, "%-16s pending operation: %s", "", r->pending_op);
	return 0;
}

static int
show_certificate(struct cli_ctx *ctx, const struct cli_args *args)
{
	const char *mac = cli_arg(args, "mac");
	struct store *st = pki_svc_store();
	const struct capf_sess_stats *ss = capf_sess_stats();
	struct show sh = {ctx, NULL, 0};
	char dev[16], addr[64];
	unsigned port = 0;
	int rc;

	if (mac != NULL) {
		size_t n = 3;

		memcpy(dev, "SEP", 3);
		for (const char *p = mac; *p && n < 15; p++)
			if (*p != '.')
				dev[n++] = (char)toupper((unsigned char)*p);
		dev[n] = '\0';
		sh.device = dev;
	}
	if (capf_svc_listening(addr, sizeof(addr), &port))
		cli_out(ctx,
		    "CAPF server: listening on %s port %u, %u active "
		    "session(s)",
		    addr, port, capf_svc_active());
	else
		cli_out(ctx, "CAPF server: not listening");
	cli_out(ctx,
	    "  Sessions: %" PRIu64 ", completed %" PRIu64 ", failed %" PRIu64
	    ", no action %" PRIu64 ", unknown device %" PRIu64,
	    ss->sessions, ss->completed, ss->failed, ss->no_action,
	    ss->unknown_device);
	cli_out(ctx,
	    "  Authentication failures %" PRIu64 ", protocol errors %" PRIu64
	    ", timeouts %" PRIu64 ", keygen retries %" PRIu64
	    ", LSCs issued %" PRIu64,
	    ss->auth_failed, ss->protocol_errors, ss->timeouts,
	    ss->keygen_retries, ss->lsc_issued);
	if (st == NULL) {
		cli_out(ctx, "%% The PKI store is not available");
		return CLI_ERR;
	}
	rc = store_capf_foreach(st, row_cb, &sh);
	if (rc != 0) {
		cli_out(ctx, "%% Cannot read the CAPF table: %s",
		    store_err_str(rc));
		return CLI_ERR;
	}
	if (sh.rows == 0)
		cli_out(ctx, "No CAPF device records%s%s",
		    sh.device ? " for " : "", sh.device ? sh.device : "");
	return CLI_OK;
}

static const struct cli_cmd capf_exec_cmds[] = {
    {.syntax = "show capf-server certificate [H.H.H$mac]",
        .help = HELP("Show running system information", "CAPF server",
            "Phone certificates (LSC) handled by the CAPF server",
            "MAC address of one phone"),
        .handler = show_certificate,
        .flags = CLI_ACTION},
};

static struct cli_table capf_exec = CLI_TABLE(capf_exec_cmds);

void
capf_svc_register_cli(void)
{
	config_register_table(0, &capf_exec);
}
