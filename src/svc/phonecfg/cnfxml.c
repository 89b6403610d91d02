#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "svc/phonecfg/cnfxml.h"

int
cnfxml_security_mode(int dsm)
{
	switch (dsm) {
	case DSM_AUTHENTICATED:
		return 2;
	case DSM_ENCRYPTED:
		return 3;
	default:
		return 1;
	}
}

static xmlNodePtr
child(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(
	    parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
}

static void
child_uint(xmlNodePtr parent, const char *name, unsigned v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	child(parent, name, num);
}

int
cnfxml_build(struct config *cfg, const struct ephone *e, struct buf *out)
{
	const struct telephony_conf *t = &cfg->tel;
	const char *cme = t->ip_source_addr ? t->ip_source_addr : "";
	int capf_oper, capf_auth;
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr dev, n;
	xmlChar *mem = NULL;
	int size = 0;

	dev = xmlNewNode(NULL, (const xmlChar *)"device");
	xmlDocSetRootElement(doc, dev);
	child(dev, "fullConfig", "true");
	child(dev, "deviceProtocol", "SCCP");
	child(dev, "ipAddressMode", "0");
	n = child(dev, "devicePool", NULL);
	n = child(n, "callManagerGroup", NULL);
	n = child(n, "members", NULL);
	n = child(n, "member", NULL);
	xmlNewProp(n, (const xmlChar *)"priority", (const xmlChar *)"0");
	n = child(n, "callManager", NULL);
	{
		xmlNodePtr ports = child(n, "ports", NULL);

		/* Plain SCCP port; TLS is 2443, chosen by the security
		 * mode (formats.md §7: no element carries it). */
		child_uint(ports, "ethernetPhonePort", t->ip_source_port);
	}
	child(n, "processNodeName", cme);
	child(dev, "loadInformation", "");
	child_uint(dev, "deviceSecurityMode",
	    (unsigned)cnfxml_security_mode(ephone_effective_dsm(cfg, e)));
	ephone_capf_effective(cfg, e, &capf_oper, &capf_auth);
	if (capf_oper != CERT_OPER_NONE || e->capf_ip_in_cnf) {
		int code = capf_auth_type_of(capf_oper != CERT_OPER_NONE
		        ? capf_auth
		        : cfg->capf.auth_mode);
		const char *addr =
		    cfg->capf.source_addr ? cfg->capf.source_addr : cme;

		if (code != 0)
			child_uint(dev, "capfAuthMode", (unsigned)code);
		n = child(dev, "capfList", NULL);
		n = child(n, "capf", NULL);
		child_uint(
		    n, "phonePort", cfg->capf.port ? cfg->capf.port : 3804);
		child(n, "processNodeName", addr);
	}
	child(dev, "certHash", "");
	child(dev, "encrConfig", "false");
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (mem == NULL || size <= 0)
		return -1;
	buf_append(out, mem, (size_t)size);
	xmlFree(mem);
	return 0;
}
