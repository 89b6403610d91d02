/* STUB: replaced by the full implementation. */
#include "config/modes.h"

static const struct cli_cmd none_cmds[] = {
	{.syntax = "voice-placeholder", .help = HELP("placeholder"),
	    .flags = CLI_DEPRECATED | CLI_HIDDEN, .why = "not implemented"},
};
struct cli_table voice_cfg_head = CLI_TABLE(none_cmds);
struct cli_table voice_cfg_dp = CLI_TABLE(none_cmds);
struct cli_table voice_exec = CLI_TABLE(none_cmds);

static struct cli_table *const stub_tables[] = {&cli_builtin_config, NULL};
const struct cli_mode mode_voip = {.name = "mode_voip", .prompt = "mode_voip", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_voip_h323 = {.name = "mode_voip_h323", .prompt = "mode_voip_h323", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_codec_class = {.name = "mode_codec_class", .prompt = "mode_codec_class", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_dial_peer = {.name = "mode_dial_peer", .prompt = "mode_dial_peer", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_vr_global = {.name = "mode_vr_global", .prompt = "mode_vr_global", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_vr_pool = {.name = "mode_vr_pool", .prompt = "mode_vr_pool", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_vr_template = {.name = "mode_vr_template", .prompt = "mode_vr_template", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_user_profile = {.name = "mode_user_profile", .prompt = "mode_user_profile", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};
const struct cli_mode mode_logout_profile = {.name = "mode_logout_profile", .prompt = "mode_logout_profile", .parent = &config_mode_config, .tables = stub_tables, .is_config = 1};

void
voice_conf_init(struct config *cfg)
{
	(void)cfg;
}

void
voice_conf_free(struct config *cfg)
{
	(void)cfg;
}
