/*
 * Commands of the TFTP service: `show tftp-server` (listener and
 * counters) and `show tftp-server files` (the published view).
 */
#include <inttypes.h>
#include <stdio.h>

#include "config/config.h"
#include "svc/tftp/tftp_int.h"
#include "svc/tftp/tftp_svc.h"

static void
file_line(
    const char *name, size_t len, int loaded, const char *source, void *arg)
{
	struct cli_ctx *ctx = arg;

	if (loaded)
		cli_out(ctx, "%-40s %12zu  %s", name, len, source);
	else
		cli_out(ctx, "%-40s %12s  %s", name, "(unreadable)", source);
}

static int
show_run(struct cli_ctx *ctx, const struct cli_args *args)
{
	const struct tftp_stats *st = tftp_svc_stats();
	char addr[64];
	unsigned port;
	int bound;
	size_t count;
	uint64_t bytes;

	if (!tftp_svc_running()) {
		cli_out(ctx, "%% The TFTP service is not running");
		return CLI_ERR;
	}
	tftp_svc_listener(addr, sizeof(addr), &port, &bound);
	tftp_svc_files(NULL, NULL, &count, &bytes);
	if (cli_has(args, "files")) {
		cli_out(ctx, "%-40s %12s  %s", "Name", "Size", "Source");
		tftp_svc_files(file_line, ctx, &count, &bytes);
		cli_out(ctx, "%zu file%s, %" PRIu64 " bytes", count,
		    count == 1 ? "" : "s", bytes);
		return CLI_OK;
	}
	cli_out(ctx, "TFTP server: %s %s port %u",
	    bound ? "listening on" : "NOT listening on", addr, port);
	cli_out(
	    ctx, "  Files published: %zu (%" PRIu64 " bytes)", count, bytes);
	cli_out(ctx,
	    "  Transfers: %u active (peak %u), %" PRIu64 " completed, %" PRIu64
	    " failed (%" PRIu64 " timed out)",
	    tftp_svc_active(), tftp_svc_peak(), st->completed, st->failed,
	    st->timed_out);
	cli_out(ctx, "  Read requests: %" PRIu64 ", duplicate %" PRIu64,
	    st->requests, st->duplicate_rrq);
	cli_out(ctx,
	    "  Bytes sent: %" PRIu64 " (%" PRIu64 " packets, %" PRIu64
	    " retransmitted)",
	    st->bytes_sent, st->packets_sent, st->retransmits);
	cli_out(ctx,
	    "  Malformed packets: %" PRIu64 ", wrong transfer ID: %" PRIu64,
	    st->malformed, st->bad_tid);
	cli_out(ctx,
	    "  Refused: %" PRIu64 " rate limit, %" PRIu64 " not found, %" PRIu64
	    " access violation, %" PRIu64 " write, %" PRIu64 " option, %" PRIu64
	    " busy",
	    st->refused_rate, st->refused_notfound, st->refused_access,
	    st->refused_write, st->refused_option, st->refused_busy);
	return CLI_OK;
}

static const struct cli_cmd tftp_exec_cmds[] = {
    {.syntax = "show tftp-server [files]",
        .help = HELP("Show running system information", "TFTP server",
            "Published files and their sizes"),
        .handler = show_run,
        .flags = CLI_ACTION},
};

static struct cli_table tftp_exec = CLI_TABLE(tftp_exec_cmds);

void
tftp_svc_register_cli(void)
{
	config_register_table(0, &tftp_exec);
}
