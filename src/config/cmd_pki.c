/* STUB: replaced by the full implementation. */
#include "config/modes.h"

static const struct cli_cmd none_cmds[] = {
	{.syntax = "pki-placeholder", .help = HELP("placeholder"),
	    .flags = CLI_DEPRECATED | CLI_HIDDEN, .why = "not implemented"},
};
struct cli_table pki_cfg = CLI_TABLE(none_cmds);
struct cli_table pki_exec = CLI_TABLE(none_cmds);

static struct cli_table *const stub_tables[] = {&cli_builtin_config, NULL};
const struct cli_mode mode_pki_server = {.name = "mode_pki_server", .prompt = "mode_pki_server", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_trustpoint = {.name = "mode_trustpoint", .prompt = "mode_trustpoint", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_cert_chain = {.name = "mode_cert_chain", .prompt = "mode_cert_chain", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_cert_hex = {.name = "mode_cert_hex", .prompt = "mode_cert_hex", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};

void
pki_conf_init(struct config *cfg)
{
	(void)cfg;
}

void
pki_conf_free(struct config *cfg)
{
	(void)cfg;
}

struct trustpoint *
trustpoint_find(struct config *cfg, const char *name)
{
	(void)cfg;
	(void)name;
	return NULL;
}

struct pki_server *
pki_server_find(struct config *cfg, const char *label)
{
	(void)cfg;
	(void)label;
	return NULL;
}
