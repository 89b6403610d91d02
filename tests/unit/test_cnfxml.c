/* SEP<MAC>.cnf.xml: security elements and their precedence rules. */
#include <libxml/parser.h>

#include "harness.h"
#include "svc/phonecfg/cnfxml.h"

static char *
build(struct harness *h, unsigned tag)
{
	struct buf out = BUF_INIT;
	struct ephone *e = ephone_find(h->cfg, tag);
	xmlDocPtr doc;

	assert_non_null(e);
	assert_int_equal(cnfxml_build(h->cfg, e, &out), 0);
	doc = xmlReadMemory(out.data, (int)out.len, "cnf.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR);
	assert_non_null(doc); /* well formed */
	xmlFreeDoc(doc);
	return buf_steal(&out);
}

static void
cnfxml_device_mode_of_ephone_overrides_telephony(void **state)
{
	struct harness *h = harness_new();
	char *x;

	(void)state;
	run_ok(h, "configure terminal", "telephony-service",
	    "ip source-address 10.1.1.1 port 2000",
	    "device-security-mode encrypted", "exit", "ephone 1",
	    "mac-address 0011.2233.4455", "exit", "ephone 2",
	    "mac-address 0011.2233.4466", "device-security-mode none", "end",
	    NULL);
	x = build(h, 1);
	assert_contains(x, "<deviceSecurityMode>3</deviceSecurityMode>");
	assert_contains(x, "<processNodeName>10.1.1.1</processNodeName>");
	assert_contains(x, "<ethernetPhonePort>2000</ethernetPhonePort>");
	assert_not_contains(x, "capfList");
	free(x);
	x = build(h, 2);
	assert_contains(x, "<deviceSecurityMode>1</deviceSecurityMode>");
	free(x);
	harness_free(h);
}

static void
cnfxml_capf_fields_appear_when_an_operation_is_pending(void **state)
{
	struct harness *h = harness_new();
	char *x;

	(void)state;
	run_ok(h, "configure terminal", "capf-server", "source-addr 10.1.1.5",
	    "port 3805", "auth-mode null-string", "exit", "ephone 1",
	    "mac-address 0011.2233.4455",
	    "cert-oper upgrade auth-mode auth-string", "exit", "ephone 2",
	    "mac-address 0011.2233.4466", "exit", "ephone 3",
	    "mac-address 0011.2233.4477", "capf-ip-in-cnf", "end", NULL);
	x = build(h, 1);
	assert_contains(x, "<capfAuthMode>1</capfAuthMode>");
	assert_contains(x, "<phonePort>3805</phonePort>");
	assert_contains(x, "<processNodeName>10.1.1.5</processNodeName>");
	free(x);
	/* No operation, no capf-ip-in-cnf: no CAPF fields. */
	x = build(h, 2);
	assert_not_contains(x, "capf");
	free(x);
	/* capf-ip-in-cnf alone: the address with the global auth mode. */
	x = build(h, 3);
	assert_contains(x, "<capfAuthMode>2</capfAuthMode>");
	assert_contains(x, "<capfList>");
	free(x);
	/* The global cert-oper applies to phones without their own. */
	run_ok(h, "configure terminal", "capf-server", "cert-oper upgrade all",
	    "end", NULL);
	x = build(h, 2);
	assert_contains(x, "<capfAuthMode>2</capfAuthMode>");
	free(x);
	/* The ephone's own cert-oper keeps priority. */
	x = build(h, 1);
	assert_contains(x, "<capfAuthMode>1</capfAuthMode>");
	free(x);
	harness_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cnfxml_device_mode_of_ephone_overrides_telephony),
	    cmocka_unit_test(
	        cnfxml_capf_fields_appear_when_an_operation_is_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
