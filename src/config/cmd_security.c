/* STUB: replaced by the full implementation. */
#include "config/modes.h"

static const struct cli_cmd none_cmds[] = {
	{.syntax = "security-placeholder", .help = HELP("placeholder"),
	    .flags = CLI_DEPRECATED | CLI_HIDDEN, .why = "not implemented"},
};
struct cli_table security_cfg = CLI_TABLE(none_cmds);
struct cli_table security_exec = CLI_TABLE(none_cmds);

static struct cli_table *const stub_tables[] = {&cli_builtin_config, NULL};
const struct cli_mode mode_ctl_client = {.name = "mode_ctl_client", .prompt = "mode_ctl_client", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_capf_server = {.name = "mode_capf_server", .prompt = "mode_capf_server", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_credentials = {.name = "mode_credentials", .prompt = "mode_credentials", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};

void
security_conf_init(struct config *cfg)
{
	(void)cfg;
}

void
security_conf_free(struct config *cfg)
{
	(void)cfg;
}
