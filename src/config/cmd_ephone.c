/* STUB: replaced by the full implementation. */
#include "config/modes.h"

static const struct cli_cmd none_cmds[] = {
	{.syntax = "ephone-placeholder", .help = HELP("placeholder"),
	    .flags = CLI_DEPRECATED | CLI_HIDDEN, .why = "not implemented"},
};
struct cli_table ephone_cfg = CLI_TABLE(none_cmds);
struct cli_table ephone_exec = CLI_TABLE(none_cmds);

static struct cli_table *const stub_tables[] = {&cli_builtin_config, NULL};
const struct cli_mode mode_ephone = {.name = "mode_ephone", .prompt = "mode_ephone", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_ephone_dn = {.name = "mode_ephone_dn", .prompt = "mode_ephone_dn", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_ephone_template = {.name = "mode_ephone_template", .prompt = "mode_ephone_template", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};

void
ephone_conf_init(struct config *cfg)
{
	(void)cfg;
}

void
ephone_conf_free(struct config *cfg)
{
	(void)cfg;
}
