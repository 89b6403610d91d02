/*
 * The configuration side of SCCP registration: which ephone a Register
 * is, its effective device-security-mode (ephone, then template, then
 * telephony-service), the limits, and the lines the phone gets from its
 * `button` command.  The decision itself is sccp_reg_decide (pure).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "lib/log.h"
#include "svc/sccp/sccp_int.h"

/* The first ephone-dn of each button, in button order: line instance
 * i + 1 is lines[i] (spec 5.4). */
static void
fill_lines(
    struct config *cfg, const struct ephone *e, struct sccp_dev_info *info)
{
	for (unsigned i = 0; i < e->nbuttons; i++) {
		const struct ephone_button *b = &e->buttons[i];
		const struct ephone_dn *dn;
		struct sccp_line_info *l;

		if (info->nlines >= SCCP_SESS_MAX_LINES)
			break;
		if (b->kind == 'x' || b->dns == NULL)
			continue;
		dn = ephone_dn_find(cfg, (unsigned)strtoul(b->dns, NULL, 10));
		if (dn == NULL)
			continue;
		l = &info->lines[info->nlines++];
		snprintf(l->number, sizeof(l->number), "%.23s",
		    dn->number ? dn->number : "");
		snprintf(l->name, sizeof(l->name), "%.39s",
		    dn->name ? dn->name : "");
	}
}

int
sccp_policy_check(struct config *cfg, const struct sccp_register *r,
    int transport, const char *tls_cn, int tls_null, unsigned registered_others,
    struct sccp_dev_info *info, const char **reject, const char **why)
{
	const struct telephony_conf *t = &cfg->tel;
	const struct ephone *e = NULL;
	struct sccp_reg_facts f;
	struct in_addr a;

	memset(&f, 0, sizeof(f));
	f.device_name = r->device_name;
	f.transport = transport;
	f.tls_cn = tls_cn;
	f.tls_null = tls_null;
	if (sccp_device_name_ok(r->device_name))
		e = ephone_find_mac(cfg, r->device_name + 3);
	f.is_known = e != NULL;
	f.auto_reg = t->auto_reg_ephone;
	f.dsm =
	    e != NULL ? ephone_effective_dsm(cfg, e) : t->device_security_mode;
	f.max_ephones = t->max_ephones;
	f.registered_others = registered_others;
	if (sccp_reg_decide(&f, reject, why) != SCCP_REG_ACCEPT)
		return -1;
	if (e == NULL) {
		/* auto-reg-ephone: the phone gets an ephone (and with
		 * `auto assign` a line) in the running configuration. */
		e = ephone_auto_add(cfg, r->device_name + 3,
		    t->max_ephones ? t->max_ephones : 10000);
		if (e != NULL) {
			log_info("SCCP %s: auto-registered as ephone %u%s%s",
			    r->device_name, e->tag,
			    e->nbuttons ? " with ephone-dn " : "",
			    e->nbuttons ? e->buttons[0].dns : "");
			config_changed(cfg, "ephone");
		}
	}

	memset(info, 0, sizeof(*info));
	info->ephone_tag = e ? e->tag : 0;
	info->dsm = f.dsm;
	info->keepalive_s =
	    t->keepalive_s ? t->keepalive_s : SCCP_SESS_DEFAULT_KEEPALIVE;
	snprintf(info->date_template, sizeof(info->date_template), "M/D/Y");
	if (e != NULL)
		fill_lines(cfg, e, info);
	snprintf(info->server_name, sizeof(info->server_name), "%.47s",
	    config_hostname(cfg));
	if (t->ip_source_addr != NULL &&
	    inet_pton(AF_INET, t->ip_source_addr, &a) == 1)
		memcpy(info->server_ip, &a, 4);
	info->server_port = t->ip_source_port;
	return 0;
}

const char *
sccp_policy_model(uint32_t device_type)
{
	/* Spec 11. */
	static const struct {
		uint32_t type;
		const char *name;
	} models[] = {
	    {7, "7960"},
	    {8, "7940"},
	    {12, "ATA186"},
	    {13, "ATA188"},
	    {115, "7941"},
	    {119, "7971"},
	    {307, "7911"},
	    {308, "7961GE"},
	    {309, "7941GE"},
	    {369, "7906"},
	    {404, "7962"},
	    {434, "7942"},
	    {435, "7945"},
	    {436, "7965"},
	    {437, "7975"},
	    {585, "8945"},
	    {586, "8941"},
	    {30006, "7970"},
	    {30016, "IP Communicator"},
	    {30018, "7961"},
	    {30027, "Analog Phone"},
	};

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (models[i].type == device_type)
			return models[i].name;
	return "Unknown";
}
