/*
 * voice service voip (+ h323), voice class codec, dial-peer voice N voip,
 * voice register global/template/pool, voice user-profile and voice
 * logout-profile: golden running-config text, round trips, the password
 * policy on every password-bearing command, type 6 input, and the
 * chapter's examples loaded as startup-configs.
 */
#include "harness.h"

#include "fmt/passwd.h"

/* ---- helpers ---- */

static void
assert_rc_equal(struct harness *h, const char *expected)
{
	char *rc = running_config(h);

	if (strcmp(rc, expected) != 0)
		fail_msg("running-config differs\n--- expected\n%s--- got\n%s",
		    expected, rc);
	free(rc);
}

static void
assert_prompt(struct harness *h, const char *expected)
{
	struct buf p = BUF_INIT;

	cli_session_prompt(h->s, &p);
	assert_string_equal(buf_str(&p), expected);
	buf_free(&p);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		fail_msg(
		    "cannot open %s (run the tests from the repo root)", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

/* Load text; no errors allowed; returns the running-config. */
static char *
load_ok(const char *text, struct buf *err)
{
	int errors;
	char *rc = reload_text(text, &errors, err);

	if (errors != 0)
		fail_msg("%d errors loading:\n%s", errors, buf_str(err));
	return rc;
}

static char *
load_file_ok(const char *path, struct buf *err)
{
	char *text = read_file(path);
	char *rc = load_ok(text, err);

	free(text);
	return rc;
}

/* ---- voice service voip ---- */

static void
voip_sip_trunk_golden(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", "voice service voip", NULL);
	assert_prompt(h, "Router(conf-voi-serv)#");
	run_ok(h, "no ip address trusted authenticate", "srtp",
	    "allow-connections sip to sip",
	    "no supplementary-service sip refer",
	    "supplementary-service media-renegotiate", "end", NULL);
	assert_rc_equal(h,
	    "voice service voip\n"
	    " no ip address trusted authenticate\n"
	    " srtp\n"
	    " allow-connections sip to sip\n"
	    " no supplementary-service sip refer\n"
	    " supplementary-service media-renegotiate\n"
	    "!\n"
	    "end\n");
	assert_round_trip(h);
	harness_free(h);
}

static void
voip_srtp_tristate(void **state)
{
	struct harness *h = harness_new();
	struct buf all = BUF_INIT;
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "voice service voip", "srtp", NULL);
	assert_int_equal(h->cfg->voip.srtp, SRTP_ON);
	rc = running_config(h);
	assert_contains(rc, " srtp\n");
	assert_not_contains(rc, "fallback");
	free(rc);

	run_ok(h, "srtp fallback", NULL);
	assert_int_equal(h->cfg->voip.srtp, SRTP_FALLBACK);
	rc = running_config(h);
	assert_contains(rc, " srtp fallback\n");
	free(rc);
	assert_round_trip(h);

	/* The chapter: "no srtp fallback" disables fallback and SRTP. */
	run_ok(h, "no srtp fallback", NULL);
	assert_int_equal(h->cfg->voip.srtp, SRTP_OFF);
	assert_rc_equal(h, "voice service voip\n!\nend\n");

	run_ok(h, "srtp fallback", "no srtp", NULL);
	assert_int_equal(h->cfg->voip.srtp, SRTP_OFF);
	config_write(h->cfg, &all, 1, 0);
	assert_contains(buf_str(&all), " no srtp\n");
	assert_contains(buf_str(&all), " ip address trusted authenticate\n");
	assert_contains(buf_str(&all), " supplementary-service h450.2\n");
	buf_free(&all);
	harness_free(h);
}

static void
voip_h323_and_ignored_lines(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", "voice service voip",
	    "no supplementary-service h450.2",
	    "no supplementary-service h450.3",
	    "no supplementary-service h450.7", "allow-connections h323 to h323",
	    "h323", NULL);
	assert_prompt(h, "Router(conf-serv-h323)#");
	run_ok(h, "emptycapability", NULL);
	assert_int_equal(run(h, "ras rrq ttl 4000"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_prompt(h, "Router(conf-serv-h323)#");
	run_ok(h, "exit", NULL);
	assert_prompt(h, "Router(conf-voi-serv)#");
	assert_int_equal(run(h, "fax rate 14400"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_int_equal(run(h, "sip"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_prompt(h, "Router(conf-voi-serv)#");
	/* Not ignored: a typo in a command of the mode. */
	assert_int_equal(run(h, "srtp bogus"), CLI_ERR);
	assert_int_equal(run(h, "no allow-connections sip to h323"), CLI_ERR);
	assert_contains(buf_str(&h->out), "not configured");
	assert_int_equal(run(h, "no allow-connections"), CLI_ERR);
	assert_contains(buf_str(&h->out), "% Incomplete command");
	run_ok(h, "allow-connections h323 to sip", "end", NULL);
	assert_rc_equal(h,
	    "voice service voip\n"
	    " allow-connections h323 to h323\n"
	    " allow-connections h323 to sip\n"
	    " no supplementary-service h450.2\n"
	    " no supplementary-service h450.3\n"
	    " no supplementary-service h450.7\n"
	    " h323\n"
	    "  emptycapability\n"
	    "!\n"
	    "end\n");
	assert_round_trip(h);
	run_ok(h, "configure terminal", "voice service voip",
	    "no allow-connections h323 to sip", "no h323", "exit", NULL);
	assert_rc_equal(h,
	    "voice service voip\n"
	    " allow-connections h323 to h323\n"
	    " no supplementary-service h450.2\n"
	    " no supplementary-service h450.3\n"
	    " no supplementary-service h450.7\n"
	    "!\n"
	    "end\n");
	run_ok(h, "no voice service voip", NULL);
	assert_rc_equal(h, "end\n");
	harness_free(h);
}

static void
voip_help_lists_commands(void **state)
{
	struct harness *h = harness_new();
	struct buf out = BUF_INIT;

	(void)state;
	run_ok(h, "configure terminal", "voice service voip", NULL);
	cli_session_help(h->s, "", &out);
	assert_contains(buf_str(&out), "  srtp ");
	assert_contains(buf_str(&out), "  h323 ");
	assert_contains(buf_str(&out), "  supplementary-service ");
	buf_reset(&out);
	cli_session_help(h->s, "supplementary-service ", &out);
	assert_contains(buf_str(&out), "  h450.2 ");
	assert_contains(buf_str(&out), "  media-renegotiate ");
	assert_contains(buf_str(&out), "  sip ");
	buf_reset(&out);
	cli_session_help(h->s, "srtp ", &out);
	assert_contains(buf_str(&out), "  fallback ");
	assert_contains(buf_str(&out), "<cr>");
	buf_free(&out);
	harness_free(h);
}

/* ---- voice class codec ---- */

static void
codec_class_golden(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", "voice class codec 3", NULL);
	assert_prompt(h, "Router(config-voice-class)#");
	run_ok(h, "codec preference 9 g711ulaw", "codec preference 1 g729r8",
	    "codec preference 8 g711alaw", NULL);
	assert_int_equal(run(h, "codec preference 2 g999"), CLI_ERR);
	assert_contains(buf_str(&h->out), "% Invalid codec g999");
	/* One preference per codec. */
	assert_int_equal(run(h, "codec preference 2 g711ulaw"), CLI_ERR);
	assert_contains(buf_str(&h->out), "already at preference 9");
	assert_int_equal(run(h, "codec preference 15 g728"), CLI_ERR);
	/* One codec per preference: a new codec replaces the old one. */
	run_ok(h, "codec preference 9 g722-64", "codec preference 2 ilbc",
	    "no codec preference 2", "codec preference 3 g711ulaw bytes 160",
	    NULL);
	assert_int_equal(run(h, "no codec preference 4"), CLI_ERR);
	assert_int_equal(run(h, "no codec preference 8 g728"), CLI_ERR);
	/* Classes print in the order they were created (the chapter's
	 * example prints 2, 3, 1). */
	run_ok(h, "voice class codec 1", "codec preference 1 G711ALAW", "end",
	    NULL);
	assert_rc_equal(h,
	    "voice class codec 3\n"
	    " codec preference 1 g729r8\n"
	    " codec preference 3 g711ulaw bytes 160\n"
	    " codec preference 8 g711alaw\n"
	    " codec preference 9 g722-64\n"
	    "!\n"
	    "voice class codec 1\n"
	    " codec preference 1 g711alaw\n"
	    "!\n"
	    "end\n");
	assert_round_trip(h);
	run_ok(h, "configure terminal", "no voice class codec 3", NULL);
	assert_int_equal(run(h, "no voice class codec 3"), CLI_ERR);
	assert_int_equal(run(h, "no voice class codec"), CLI_ERR);
	assert_contains(buf_str(&h->out), "% Incomplete command");
	assert_rc_equal(h,
	    "voice class codec 1\n"
	    " codec preference 1 g711alaw\n"
	    "!\n"
	    "end\n");
	harness_free(h);
}

/* ---- dial-peer voice N voip ---- */

static void
dial_peer_golden(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", "dial-peer voice 101 voip", NULL);
	assert_prompt(h, "Router(config-dial-peer)#");
	run_ok(h, "srtp fallback", "dtmf-relay rtp-nte sip-notify",
	    "incoming called-number 9362....",
	    "session target ipv4:10.13.32.10", "session protocol sipv2",
	    "destination-pattern 5694....", "shutdown", NULL);
	/* A class that does not exist (yet) is accepted with a warning. */
	assert_int_equal(run(h, "voice-class codec 1"), CLI_OK);
	assert_contains(buf_str(&h->out), "Warning: voice class codec 1");
	assert_int_equal(run(h, "session target bogus"), CLI_ERR);
	assert_int_equal(run(h, "session target ipv4:10.0.0.300"), CLI_ERR);
	assert_int_equal(run(h, "session target ipv4:10.0.0.1:99999"), CLI_ERR);
	assert_int_equal(run(h, "destination-pattern 12x4"), CLI_ERR);
	assert_int_equal(run(h, "dtmf-relay rtp-nte smoke-signals"), CLI_ERR);
	assert_contains(buf_str(&h->out), "smoke-signals");
	/* Out-of-scope dial-peer commands are reported as ignored. */
	assert_int_equal(run(h, "req-qos controlled-load audio"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_int_equal(run(h, "no vad"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_int_equal(run(h, "voice-class sip options-keepalive"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_prompt(h, "Router(config-dial-peer)#");
	run_ok(h, "dial-peer voice 5 voip",
	    "session target dns:cme.example.com", "dial-peer voice 6 voip",
	    "session target ipv4:10.0.0.1:5060", "end", NULL);
	assert_rc_equal(h,
	    "dial-peer voice 101 voip\n"
	    " shutdown\n"
	    " destination-pattern 5694....\n"
	    " voice-class codec 1\n"
	    " session protocol sipv2\n"
	    " session target ipv4:10.13.32.10\n"
	    " incoming called-number 9362....\n"
	    " dtmf-relay rtp-nte sip-notify\n"
	    " srtp fallback\n"
	    "!\n"
	    "dial-peer voice 5 voip\n"
	    " session target dns:cme.example.com\n"
	    "!\n"
	    "dial-peer voice 6 voip\n"
	    " session target ipv4:10.0.0.1:5060\n"
	    "!\n"
	    "end\n");
	assert_round_trip(h);
	run_ok(h, "configure terminal", "no dial-peer voice 5",
	    "no dial-peer voice 6 voip", "dial-peer voice 101 voip",
	    "no shutdown", "no destination-pattern", "no voice-class codec",
	    "no session protocol", "no session target",
	    "no incoming called-number", "no dtmf-relay", "srtp system", "end",
	    NULL);
	assert_int_equal(run(h, "configure terminal"), CLI_OK);
	assert_int_equal(run(h, "no dial-peer voice 5 voip"), CLI_ERR);
	assert_rc_equal(h, "dial-peer voice 101 voip\n!\nend\n");
	harness_free(h);
}

static void
dial_peer_srtp_tristate(void **state)
{
	struct harness *h = harness_new();
	struct dial_peer *dp;
	struct buf all = BUF_INIT;

	(void)state;
	run_ok(h, "configure terminal", "voice service voip", "srtp fallback",
	    "exit", "dial-peer voice 1 voip", NULL);
	dp = dial_peer_find(h->cfg, 1);
	assert_non_null(dp);
	/* Unset: follows voice service voip, prints nothing. */
	assert_int_equal(dp->srtp, SRTP_UNSET);
	assert_int_equal(dial_peer_effective_srtp(h->cfg, dp), SRTP_FALLBACK);
	assert_rc_equal(h,
	    "voice service voip\n srtp fallback\n!\n"
	    "dial-peer voice 1 voip\n!\nend\n");
	config_write(h->cfg, &all, 1, 0);
	assert_contains(buf_str(&all), " srtp system\n!\n");
	buf_free(&all);

	/* no srtp: explicitly off, overriding voice service voip. */
	run_ok(h, "no srtp", NULL);
	assert_int_equal(dp->srtp, SRTP_OFF);
	assert_int_equal(dial_peer_effective_srtp(h->cfg, dp), SRTP_OFF);
	assert_rc_equal(h,
	    "voice service voip\n srtp fallback\n!\n"
	    "dial-peer voice 1 voip\n no srtp\n!\nend\n");
	assert_round_trip(h);

	run_ok(h, "srtp", NULL);
	assert_int_equal(dial_peer_effective_srtp(h->cfg, dp), SRTP_ON);
	run_ok(h, "srtp fallback", "no srtp fallback", NULL);
	assert_int_equal(dp->srtp, SRTP_OFF);
	/* srtp system: back to following voice service voip. */
	run_ok(h, "srtp system", NULL);
	assert_int_equal(dp->srtp, SRTP_UNSET);
	assert_int_equal(run(h, "no srtp system"), CLI_ERR);

	run_ok(h, "no srtp", "end", NULL);
	assert_int_equal(run(h, "show voice service voip security"), CLI_OK);
	assert_string_equal(buf_str(&h->out),
	    "SRTP: enabled\n"
	    "SRTP fallback: enabled\n"
	    "Media renegotiation: disabled\n"
	    "Dial-peer 1: SRTP off (dial-peer setting)\n");
	harness_free(h);
}

/* media flow-around | flow-through: voice service voip's setting
 * (default flow-through, not printed), a dial peer's own or unset
 * (follows voice service voip); other media lines stay ignored. */
static void
media_flow_modes(void **state)
{
	struct harness *h = harness_new();
	struct dial_peer *dp;
	struct buf all = BUF_INIT;

	(void)state;
	assert_int_equal(h->cfg->voip.media, MEDIA_FLOW_THROUGH);
	run_ok(h, "configure terminal", "voice service voip",
	    "media flow-around", NULL);
	assert_int_equal(h->cfg->voip.media, MEDIA_FLOW_AROUND);
	assert_rc_equal(h, "voice service voip\n media flow-around\n!\nend\n");
	assert_round_trip(h);
	run_ok(h, "media flow-through", NULL);
	assert_int_equal(h->cfg->voip.media, MEDIA_FLOW_THROUGH);
	assert_rc_equal(h, "voice service voip\n!\nend\n");
	config_write(h->cfg, &all, 1, 0);
	assert_contains(buf_str(&all), " media flow-through\n");
	buf_reset(&all);
	run_ok(h, "media flow-around", "no media", NULL);
	assert_int_equal(h->cfg->voip.media, MEDIA_FLOW_THROUGH);
	/* IOS's other media commands are outside our scope: ignored. */
	assert_int_equal(run(h, "media bulk-stats"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	assert_int_equal(h->cfg->voip.media, MEDIA_FLOW_THROUGH);

	run_ok(h, "media flow-around", "exit", "dial-peer voice 7 voip", NULL);
	dp = dial_peer_find(h->cfg, 7);
	assert_non_null(dp);
	assert_int_equal(dp->media, MEDIA_UNSET);
	assert_int_equal(
	    dial_peer_effective_media(h->cfg, dp), MEDIA_FLOW_AROUND);
	run_ok(h, "media flow-through", NULL);
	assert_int_equal(
	    dial_peer_effective_media(h->cfg, dp), MEDIA_FLOW_THROUGH);
	assert_rc_equal(h,
	    "voice service voip\n media flow-around\n!\n"
	    "dial-peer voice 7 voip\n media flow-through\n!\nend\n");
	assert_round_trip(h);
	run_ok(h, "no media", NULL);
	assert_int_equal(dp->media, MEDIA_UNSET);
	assert_rc_equal(h,
	    "voice service voip\n media flow-around\n!\n"
	    "dial-peer voice 7 voip\n!\nend\n");
	buf_free(&all);
	harness_free(h);
}

static void
dial_peer_leaves_for_voice_commands(void **state)
{
	struct harness *h = harness_new();
	struct buf out = BUF_INIT, err = BUF_INIT;
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "dial-peer voice 1 voip", NULL);
	/* "voice" abbreviates "voice-class" here: the config-mode voice
	 * commands still leave the dial peer, as in IOS. */
	run_ok(h, "voice class codec 2", NULL);
	assert_prompt(h, "Router(config-voice-class)#");
	run_ok(h, "codec preference 1 g711alaw", "dial-peer voice 1 voip",
	    "voice-class codec 2", "voice register pool 3", NULL);
	assert_prompt(h, "Router(config-register-pool)#");
	run_ok(h, "dial-peer voice 1 voip", "no voice register pool 3", NULL);
	assert_prompt(h, "Router(config)#");
	assert_null(vr_pool_find(h->cfg, 3));
	/* Not offered by help. */
	run_ok(h, "dial-peer voice 1 voip", NULL);
	cli_session_help(h->s, "", &out);
	assert_contains(buf_str(&out), "  voice-class ");
	assert_not_contains(buf_str(&out), "  voice ");
	buf_free(&out);
	/* Ignored voice commands still leave with their sub-lines. */
	run_ok(h, "end", NULL);
	rc = load_ok("dial-peer voice 1 voip\n"
	             " destination-pattern 1...\n"
	             "voice translation-rule 1\n"
	             " rule 1 /^9/ //\n"
	             "voice class codec 2\n"
	             " codec preference 1 g711alaw\n",
	    &err);
	assert_string_equal(rc,
	    "voice class codec 2\n"
	    " codec preference 1 g711alaw\n"
	    "!\n"
	    "dial-peer voice 1 voip\n"
	    " destination-pattern 1...\n"
	    "!\n"
	    "end\n");
	assert_contains(buf_str(&err), "test.cfg:3: ignored");
	free(rc);
	buf_free(&err);
	harness_free(h);
}

/* ---- voice register global / template / pool ---- */

static void
voice_register_golden(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", "voice register pool 1", NULL);
	assert_prompt(h, "Router(config-register-pool)#");
	run_ok(h, "pin Abc123", "ata-ivr-pwd 1234",
	    "username u1 password Cisco123", "template 1", "number 1 dn 1",
	    "number 2 dn 7", "id mac 0009.a3d4.1234", NULL);
	assert_int_equal(run(h, "type 7960"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	run_ok(h, "voice register template 1", NULL);
	assert_prompt(h, "Router(config-register-temp)#");
	run_ok(h, "service https", "voice register global", NULL);
	assert_prompt(h, "Router(config-register-global)#");
	run_ok(h, "service https", NULL);
	assert_int_equal(run(h, "password 6 Cisco123"), CLI_ERR);
	assert_contains(buf_str(&h->out), "Invalid type 6");
	run_ok(h, "password Cisco123", "max-pool 10", "max-dn 20", "mode cme",
	    NULL);
	assert_int_equal(run(h, "source-address 10.0.0.1 port 5060"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	/* Another pool cannot take the same phone. */
	run_ok(h, "voice register pool 2", NULL);
	assert_int_equal(run(h, "id mac 000912345678"), CLI_OK);
	assert_int_equal(run(h, "id mac 0009A3D41234"), CLI_ERR);
	assert_contains(buf_str(&h->out), "voice register pool 1");
	run_ok(h, "end", NULL);
	assert_rc_equal(h,
	    "voice register global\n"
	    " mode cme\n"
	    " max-dn 20\n"
	    " max-pool 10\n"
	    " password 0 Cisco123\n"
	    " service https\n"
	    "!\n"
	    "voice register template 1\n"
	    " service https\n"
	    "!\n"
	    "voice register pool 1\n"
	    " id mac 0009.A3D4.1234\n"
	    " number 1 dn 1\n"
	    " number 2 dn 7\n"
	    " template 1\n"
	    " username u1 password 0 Cisco123\n"
	    " ata-ivr-pwd 0 1234\n"
	    " pin 0 Abc123\n"
	    "!\n"
	    "voice register pool 2\n"
	    " id mac 0009.1234.5678\n"
	    "!\n"
	    "end\n");
	assert_round_trip(h);
	run_ok(h, "configure terminal", "voice register pool 1", "no number 2",
	    "no pin", "no ata-ivr-pwd", "no username", "no template",
	    "no id mac", "no voice register pool 2",
	    "no voice register template 1", "voice register global",
	    "no password", "no service https", "no max-pool", "no max-dn",
	    "no mode", "end", NULL);
	assert_rc_equal(h,
	    "voice register global\n!\n"
	    "voice register pool 1\n number 1 dn 1\n!\n"
	    "end\n");
	run_ok(h, "configure terminal", "no voice register global", NULL);
	assert_int_equal(run(h, "no voice register template 1"), CLI_ERR);
	assert_rc_equal(h, "voice register pool 1\n number 1 dn 1\n!\nend\n");
	harness_free(h);
}

/* ---- voice user-profile / voice logout-profile ---- */

static void
profiles_golden(void **state)
{
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", "voice logout-profile 2", NULL);
	assert_prompt(h, "Router(config-logout-profile)#");
	run_ok(h, "user bob password 0 Cisco456", "pin 0 Abc456", NULL);
	/* The chapter's logout-profile keyword is "user" only: "username"
	 * is the global command, which leaves the mode (as in IOS). */
	run_ok(h, "username bob password Cisco456", NULL);
	assert_prompt(h, "Router(config)#");
	run_ok(h, "no username bob", "voice logout-profile 2", NULL);
	assert_int_equal(run(h, "number 2001 type normal"), CLI_OK);
	assert_contains(buf_str(&h->out), "% Ignored");
	run_ok(h, "voice user-profile 1", NULL);
	assert_prompt(h, "Router(config-user-profile)#");
	/* IOS's "user" form is accepted and written back with the
	 * chapter's "username". */
	run_ok(h, "user alice password Cisco123", "pin Abc123", NULL);
	run_ok(h, "voice user-profile 3", "username carol password 0 Cisco789",
	    "end", NULL);
	assert_rc_equal(h,
	    "voice user-profile 1\n"
	    " username alice password 0 Cisco123\n"
	    " pin 0 Abc123\n"
	    "!\n"
	    "voice user-profile 3\n"
	    " username carol password 0 Cisco789\n"
	    "!\n"
	    "voice logout-profile 2\n"
	    " user bob password 0 Cisco456\n"
	    " pin 0 Abc456\n"
	    "!\n"
	    "end\n");
	assert_round_trip(h);
	run_ok(h, "configure terminal", "voice user-profile 1", "no user",
	    "no pin", "no voice user-profile 3", "no voice logout-profile 2",
	    NULL);
	assert_int_equal(run(h, "no voice logout-profile 2"), CLI_ERR);
	assert_rc_equal(h, "voice user-profile 1\n!\nend\n");
	harness_free(h);
}

/* ---- the password policy ---- */

struct pw_cmd {
	const char *mode; /* line entering the mode */
	const char *fmt; /* the command, %s = the password */
	const char *shown; /* running-config line, %s = the password */
};

static const struct pw_cmd pw_cmds[] = {
    {"voice register global", "password %s", " password 0 %s\n"},
    {"voice register pool 1", "username u1 password %s",
        " username u1 password 0 %s\n"},
    {"voice register pool 1", "pin %s", " pin 0 %s\n"},
    {"voice user-profile 1", "username u1 password %s",
        " username u1 password 0 %s\n"},
    {"voice user-profile 1", "user u1 password %s",
        " username u1 password 0 %s\n"},
    {"voice user-profile 1", "pin %s", " pin 0 %s\n"},
    {"voice logout-profile 1", "user u1 password %s",
        " user u1 password 0 %s\n"},
    {"voice logout-profile 1", "pin %s", " pin 0 %s\n"},
};

/* The chapter's bounds: 6-15 alphanumeric characters, at least one
 * digit, one upper-case and one lower-case letter. */
static const char *const pw_bad[] = {
    "Cisc1", /* 5 characters */
    "Cisco12345678901", /* 16 characters */
    "cisco123", /* no upper case */
    "CISCO123", /* no lower case */
    "CiscoABC", /* no digit */
    "Cisco_12", /* a symbol */
    "0 cisco12", /* type 0 given: same policy */
    "1234", /* a PIN of digits: POLICY_CME taken literally */
};
static const char *const pw_good[] = {
    "Cisco1", "Cisco1234567890", "0 Cisco123"};

static void
run_fmt(struct harness *h, const char *fmt, const char *pw, int expect)
{
	char line[256];

	snprintf(line, sizeof(line), fmt, pw);
	if (run(h, line) != expect)
		fail_msg("\"%s\": expected %s, got: %s", line,
		    expect == CLI_OK ? "success" : "an error",
		    buf_str(&h->out));
}

static void
password_policy_on_every_command(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(pw_cmds) / sizeof(pw_cmds[0]); c++) {
		const struct pw_cmd *pc = &pw_cmds[c];

		for (size_t g = 0; g < sizeof(pw_good) / sizeof(pw_good[0]);
		     g++) {
			struct harness *h = harness_new();
			const char *plain = strncmp(pw_good[g], "0 ", 2) == 0
			    ? pw_good[g] + 2
			    : pw_good[g];
			char shown[128];
			char *rc;

			run_ok(h, "configure terminal", pc->mode, NULL);
			run_fmt(h, pc->fmt, pw_good[g], CLI_OK);
			snprintf(shown, sizeof(shown), pc->shown, plain);
			rc = running_config(h);
			assert_contains(rc, shown);
			free(rc);
			harness_free(h);
		}
		for (size_t b = 0; b < sizeof(pw_bad) / sizeof(pw_bad[0]);
		     b++) {
			struct harness *h = harness_new();
			const char *plain = strncmp(pw_bad[b], "0 ", 2) == 0
			    ? pw_bad[b] + 2
			    : pw_bad[b];
			char *rc;

			/* A good value first: a rejected one changes
			 * nothing. */
			run_ok(h, "configure terminal", pc->mode, NULL);
			run_fmt(h, pc->fmt, "Good5678", CLI_OK);
			run_fmt(h, pc->fmt, pw_bad[b], CLI_ERR);
			assert_string_equal(
			    buf_str(&h->out), PASSWD_POLICY_ERROR);
			assert_contains(buf_str(&h->out),
			    "Error: The password you have entered is "
			    "incorrect.\n");
			rc = running_config(h);
			assert_not_contains(rc, plain);
			assert_contains(rc, "0 Good5678\n");
			free(rc);
			harness_free(h);
		}
	}
}

static void
rejected_password_keeps_the_user(void **state)
{
	struct harness *h = harness_new();
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "voice register pool 1",
	    "username u1 password Cisco123", NULL);
	assert_int_equal(run(h, "username u2 password weak"), CLI_ERR);
	rc = running_config(h);
	assert_contains(rc, " username u1 password 0 Cisco123\n");
	assert_not_contains(rc, "u2");
	free(rc);
	harness_free(h);
}

static void
ata_ivr_pwd_four_digits(void **state)
{
	static const char *const bad[] = {
	    "123", "12345", "12a4", "abcd", "Cisco123"};
	struct harness *h = harness_new();
	char *rc;

	(void)state;
	run_ok(h, "configure terminal", "voice register pool 1",
	    "ata-ivr-pwd 1234", NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "ata-ivr-pwd %s", bad[i]);
		assert_int_equal(run(h, line), CLI_ERR);
		assert_string_equal(buf_str(&h->out),
		    "% Invalid ata-ivr-pwd: four digits required\n");
	}
	rc = running_config(h);
	assert_contains(rc, " ata-ivr-pwd 0 1234\n");
	free(rc);
	run_ok(h, "ata-ivr-pwd 0 0000", NULL);
	rc = running_config(h);
	assert_contains(rc, " ata-ivr-pwd 0 0000\n");
	free(rc);
	assert_round_trip(h);
	harness_free(h);
}

static void
saved_weak_password_only_warns(void **state)
{
	struct buf err = BUF_INIT;
	char *rc;

	(void)state;
	/* The chapter's upgrade exemption: a saved configuration may
	 * predate the policy. */
	rc = load_ok("voice register pool 1\n"
	             " username u1 password 0 cisco\n"
	             " ata-ivr-pwd 0 12\n",
	    &err);
	assert_contains(buf_str(&err), "test.cfg:2: % Warning");
	assert_contains(buf_str(&err), "test.cfg:3: % Warning");
	assert_contains(rc, " username u1 password 0 cisco\n");
	free(rc);
	buf_free(&err);
}

/* ---- type 6 ---- */

static char *
enc6(const char *key, const char *plain)
{
	char *enc = NULL;

	assert_int_equal(passwd6_encode(key, plain, NULL, &enc), PASSWD_OK);
	return enc;
}

static void
type6_input_and_table1(void **state)
{
	struct harness *h = harness_new();
	char *good = enc6("MasterKey1", "Cisco123");
	char *pin = enc6("MasterKey1", "Abc123");
	char *ata = enc6("MasterKey1", "4321");
	char *weak = enc6("MasterKey1", "cisco");
	char *other = enc6("OtherKey99", "Cisco123");
	char line[512], *rc;

	(void)state;
	run_ok(h, "configure terminal",
	    "key config-key password-encrypt MasterKey1",
	    "password encryption aes", "voice register pool 1", NULL);
	snprintf(line, sizeof(line), "username u password 6 %s", good);
	run_ok(h, line, NULL);
	snprintf(line, sizeof(line), "ata-ivr-pwd 6 %s", ata);
	run_ok(h, line, NULL);
	/* The policy applies to the decrypted text too. */
	snprintf(line, sizeof(line), "pin 6 %s", weak);
	assert_int_equal(run(h, line), CLI_ERR);
	assert_string_equal(buf_str(&h->out), PASSWD_POLICY_ERROR);
	snprintf(line, sizeof(line), "pin 6 %s", other);
	assert_int_equal(run(h, line), CLI_ERR);
	assert_contains(buf_str(&h->out), "Cannot decrypt");
	run_ok(h, "voice user-profile 1", NULL);
	snprintf(line, sizeof(line), "pin 6 %s", pin);
	run_ok(h, line, NULL);
	/* Clear text typed while type 6 is in force is shown as type 6. */
	run_ok(
	    h, "voice logout-profile 1", "user lo password 0 Cisco456", NULL);

	rc = running_config(h);
	snprintf(line, sizeof(line), " username u password 6 %s\n", good);
	assert_contains(rc, line);
	snprintf(line, sizeof(line), " ata-ivr-pwd 6 %s\n", ata);
	assert_contains(rc, line);
	snprintf(line, sizeof(line), "voice user-profile 1\n pin 6 %s\n", pin);
	assert_contains(rc, line);
	assert_contains(rc, " user lo password 6 ");
	assert_not_contains(rc, "Cisco123");
	assert_not_contains(rc, "Cisco456");
	free(rc);

	/* Table 1: encrypt password disabled -> plain text (type 0). */
	run_ok(h, "telephony-service", "no encrypt password", NULL);
	rc = running_config(h);
	assert_contains(rc, " username u password 0 Cisco123\n");
	assert_contains(rc, " ata-ivr-pwd 0 4321\n");
	assert_contains(rc, "voice user-profile 1\n pin 0 Abc123\n");
	assert_contains(rc, " user lo password 0 Cisco456\n");
	free(rc);

	run_ok(h, "encrypt password", NULL);
	rc = running_config(h);
	snprintf(line, sizeof(line), " username u password 6 %s\n", good);
	assert_contains(rc, line);
	free(rc);
	/* Reloaded without the master key, the values stay as saved. */
	assert_round_trip(h);

	free(good);
	free(pin);
	free(ata);
	free(weak);
	free(other);
	harness_free(h);
}

/* ---- the chapter's examples ---- */

static void
chapter_voice_service_srtp(void **state)
{
	struct buf err = BUF_INIT;
	char *rc;

	(void)state;
	rc = load_file_ok("examples/chapter/voice-service-srtp.cfg", &err);
	assert_string_equal(rc,
	    "voice service voip\n"
	    " srtp fallback\n"
	    " supplementary-service media-renegotiate\n"
	    " h323\n"
	    "  emptycapability\n"
	    "!\n"
	    "end\n");
	assert_string_equal(buf_str(&err), "");
	free(rc);
	buf_free(&err);
}

static void
chapter_sip_trunk_srtp(void **state)
{
	struct buf err = BUF_INIT;
	char *rc;

	(void)state;
	rc = load_file_ok("examples/chapter/sip-trunk-srtp.cfg", &err);
	assert_string_equal(rc,
	    "voice service voip\n"
	    " no ip address trusted authenticate\n"
	    " srtp\n"
	    " allow-connections sip to sip\n"
	    " no supplementary-service sip refer\n"
	    " supplementary-service media-renegotiate\n"
	    "!\n"
	    "end\n");
	assert_string_equal(buf_str(&err), "");
	free(rc);
	buf_free(&err);
}

static void
chapter_srtp_dial_peer(void **state)
{
	struct buf err = BUF_INIT;
	char *rc;

	(void)state;
	rc = load_file_ok("examples/chapter/srtp-dial-peer.cfg", &err);
	assert_string_equal(rc,
	    "voice class codec 1\n"
	    " codec preference 1 g711alaw\n"
	    "!\n"
	    "dial-peer voice 101 voip\n"
	    " voice-class codec 1\n"
	    " srtp fallback\n"
	    "!\n"
	    "end\n");
	assert_string_equal(buf_str(&err), "");
	free(rc);
	buf_free(&err);
}

/* The voice register part of examples/chapter/https-support.cfg. */
static void
chapter_https_voice_register(void **state)
{
	struct buf err = BUF_INIT;
	char *rc;

	(void)state;
	rc = load_ok("! For Cisco Unified SIP IP Phones at the global level:\n"
	             "voice register global\n"
	             " service https\n"
	             "!\n"
	             "! For Cisco Unified SIP IP Phones at the voice register "
	             "template level:\n"
	             "voice register template 1\n"
	             " service https\n",
	    &err);
	assert_string_equal(rc,
	    "voice register global\n"
	    " service https\n"
	    "!\n"
	    "voice register template 1\n"
	    " service https\n"
	    "!\n"
	    "end\n");
	free(rc);
	buf_free(&err);
}

/* The voice and dial-peer parts of examples/chapter/secure-cme.cfg,
 * with the out-of-scope lines around them. */
static const char secure_cme_voice[] =
    "voice call debug full-guid\n"
    "!\n"
    "voice service voip\n"
    " srtp fallback\n"
    " allow-connections h323 to h323\n"
    " no supplementary-service h450.2\n"
    " no supplementary-service h450.3\n"
    " no supplementary-service h450.7\n"
    " supplementary-service media-renegotiate\n"
    " h323\n"
    "  emptycapability\n"
    "  ras rrq ttl 4000\n"
    "!\n"
    "!\n"
    "voice class codec 2\n"
    " codec preference 1 g711alaw\n"
    " codec preference 2 g711ulaw\n"
    "!\n"
    "voice class codec 3\n"
    " codec preference 1 g729r8\n"
    " codec preference 8 g711alaw\n"
    " codec preference 9 g711ulaw\n"
    "!\n"
    "voice class codec 1\n"
    " codec preference 1 g729r8\n"
    " codec preference 2 g728\n"
    " codec preference 3 g723ar63\n"
    " codec preference 4 g711ulaw\n"
    "!\n"
    "!\n"
    "voice iec syslog\n"
    "voice statistics type iec\n"
    "voice statistics time-range since-reset\n"
    "!\n"
    "control-plane\n"
    "!\n"
    "no call rsvp-sync\n"
    "!\n"
    "voice-port 1/0/0\n"
    "!\n"
    "voice-port 1/0:15\n"
    "!\n"
    "dial-peer voice 1 voip\n"
    " destination-pattern ........\n"
    " voice-class codec 2\n"
    " session target ras\n"
    " incoming called-number 9362....\n"
    " dtmf-relay h245-alphanumeric\n"
    " req-qos controlled-load audio\n"
    "!\n"
    "dial-peer voice 2 pots\n"
    " destination-pattern 93621101\n"
    "!\n"
    "dial-peer voice 3 pots\n"
    " destination-pattern 93621102\n"
    "!\n"
    "dial-peer voice 10 voip\n"
    " destination-pattern 2668....\n"
    " voice-class codec 1\n"
    " session target ipv4:10.13.46.200\n"
    "!\n"
    "dial-peer voice 101 voip\n"
    " shutdown\n"
    " destination-pattern 5694....\n"
    " voice-class codec 1\n"
    " session target ipv4:10.13.32.10\n"
    " incoming called-number 9362....\n"
    "!\n"
    "dial-peer voice 102 voip\n"
    " shutdown\n"
    " destination-pattern 2558....\n"
    " voice-class codec 1\n"
    " session target ipv4:10.13.32.12\n"
    " incoming called-number 9362....\n"
    "!\n"
    "dial-peer voice 103 voip\n"
    " shutdown\n"
    " destination-pattern 9845....\n"
    " voice-class codec 1\n"
    " session target ipv4:10.13.32.14\n"
    " incoming called-number 9362....\n"
    "!\n"
    "dial-peer voice 104 voip\n"
    " shutdown\n"
    " destination-pattern 9844....\n"
    " voice-class codec 1\n"
    " session target ipv4:10.13.32.15\n"
    " incoming called-number 9362....\n"
    "!\n"
    "dial-peer voice 201 pots\n"
    " destination-pattern 93625...\n"
    " no digit-strip\n"
    " direct-inward-dial\n"
    " port 1/0:15\n"
    "!\n"
    "dial-peer voice 202 pots\n"
    " destination-pattern 93625...\n"
    " no digit-strip\n"
    " direct-inward-dial\n"
    " port 1/1:15\n"
    "!\n"
    "!\n"
    "gateway\n"
    " timer receive-rtp 1200\n"
    "!\n";

static void
chapter_secure_cme_voice_parts(void **state)
{
	struct buf err = BUF_INIT;
	const char *e;
	char *rc;

	(void)state;
	rc = load_ok(secure_cme_voice, &err);
	assert_string_equal(rc,
	    "voice service voip\n"
	    " srtp fallback\n"
	    " allow-connections h323 to h323\n"
	    " no supplementary-service h450.2\n"
	    " no supplementary-service h450.3\n"
	    " no supplementary-service h450.7\n"
	    " supplementary-service media-renegotiate\n"
	    " h323\n"
	    "  emptycapability\n"
	    "!\n"
	    "voice class codec 2\n"
	    " codec preference 1 g711alaw\n"
	    " codec preference 2 g711ulaw\n"
	    "!\n"
	    "voice class codec 3\n"
	    " codec preference 1 g729r8\n"
	    " codec preference 8 g711alaw\n"
	    " codec preference 9 g711ulaw\n"
	    "!\n"
	    "voice class codec 1\n"
	    " codec preference 1 g729r8\n"
	    " codec preference 2 g728\n"
	    " codec preference 3 g723ar63\n"
	    " codec preference 4 g711ulaw\n"
	    "!\n"
	    "dial-peer voice 1 voip\n"
	    " destination-pattern ........\n"
	    " voice-class codec 2\n"
	    " session target ras\n"
	    " incoming called-number 9362....\n"
	    " dtmf-relay h245-alphanumeric\n"
	    "!\n"
	    "dial-peer voice 10 voip\n"
	    " destination-pattern 2668....\n"
	    " voice-class codec 1\n"
	    " session target ipv4:10.13.46.200\n"
	    "!\n"
	    "dial-peer voice 101 voip\n"
	    " shutdown\n"
	    " destination-pattern 5694....\n"
	    " voice-class codec 1\n"
	    " session target ipv4:10.13.32.10\n"
	    " incoming called-number 9362....\n"
	    "!\n"
	    "dial-peer voice 102 voip\n"
	    " shutdown\n"
	    " destination-pattern 2558....\n"
	    " voice-class codec 1\n"
	    " session target ipv4:10.13.32.12\n"
	    " incoming called-number 9362....\n"
	    "!\n"
	    "dial-peer voice 103 voip\n"
	    " shutdown\n"
	    " destination-pattern 9845....\n"
	    " voice-class codec 1\n"
	    " session target ipv4:10.13.32.14\n"
	    " incoming called-number 9362....\n"
	    "!\n"
	    "dial-peer voice 104 voip\n"
	    " shutdown\n"
	    " destination-pattern 9844....\n"
	    " voice-class codec 1\n"
	    " session target ipv4:10.13.32.15\n"
	    " incoming called-number 9362....\n"
	    "!\n"
	    "end\n");
	/* Only out-of-scope lines are reported, as ignored. */
	e = buf_str(&err);
	assert_contains(e,
	    "test.cfg:12: ignored (outside OpenCME's scope):"
	    " ras rrq ttl 4000\n");
	assert_contains(e,
	    "test.cfg:49: ignored (outside OpenCME's scope):"
	    " req-qos controlled-load audio\n");
	assert_contains(e,
	    "test.cfg:51: ignored (outside OpenCME's scope): "
	    "dial-peer voice 2 pots\n");
	assert_contains(e,
	    "test.cfg:90: ignored (outside OpenCME's scope): "
	    "dial-peer voice 201 pots\n");
	assert_contains(e,
	    "test.cfg:90: (4 sub-lines of the ignored command "
	    "skipped)\n");
	for (const char *p = e; *p != '\0';) {
		const char *nl = strchr(p, '\n');

		if (strstr(p, "ignored") == NULL ||
		    (nl != NULL && strstr(p, "ignored") > nl))
			fail_msg("unexpected message: %.*s",
			    nl ? (int)(nl - p) : (int)strlen(p), p);
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(rc);
	buf_free(&err);
}

/* ---- prompts of every mode ---- */

static void
mode_prompts(void **state)
{
	static const struct {
		const char *line, *prompt;
	} modes[] = {
	    {"voice service voip", "Router(conf-voi-serv)#"},
	    {"h323", "Router(conf-serv-h323)#"},
	    {"voice class codec 1", "Router(config-voice-class)#"},
	    {"dial-peer voice 1 voip", "Router(config-dial-peer)#"},
	    {"voice register global", "Router(config-register-global)#"},
	    {"voice register pool 1", "Router(config-register-pool)#"},
	    {"voice register template 1", "Router(config-register-temp)#"},
	    {"voice user-profile 1", "Router(config-user-profile)#"},
	    {"voice logout-profile 1", "Router(config-logout-profile)#"},
	};
	struct harness *h = harness_new();

	(void)state;
	run_ok(h, "configure terminal", NULL);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_ok(h, modes[i].line, NULL);
		assert_prompt(h, modes[i].prompt);
	}
	run_ok(h, "end", NULL);
	assert_prompt(h, "Router#");
	harness_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(voip_sip_trunk_golden),
	    cmocka_unit_test(voip_srtp_tristate),
	    cmocka_unit_test(voip_h323_and_ignored_lines),
	    cmocka_unit_test(voip_help_lists_commands),
	    cmocka_unit_test(codec_class_golden),
	    cmocka_unit_test(dial_peer_golden),
	    cmocka_unit_test(dial_peer_srtp_tristate),
	    cmocka_unit_test(media_flow_modes),
	    cmocka_unit_test(dial_peer_leaves_for_voice_commands),
	    cmocka_unit_test(voice_register_golden),
	    cmocka_unit_test(profiles_golden),
	    cmocka_unit_test(password_policy_on_every_command),
	    cmocka_unit_test(rejected_password_keeps_the_user),
	    cmocka_unit_test(ata_ivr_pwd_four_digits),
	    cmocka_unit_test(saved_weak_password_only_warns),
	    cmocka_unit_test(type6_input_and_table1),
	    cmocka_unit_test(chapter_voice_service_srtp),
	    cmocka_unit_test(chapter_sip_trunk_srtp),
	    cmocka_unit_test(chapter_srtp_dial_peer),
	    cmocka_unit_test(chapter_https_voice_register),
	    cmocka_unit_test(chapter_secure_cme_voice_parts),
	    cmocka_unit_test(mode_prompts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
