/*
 * The TFTP part of a phone's boot: the trust list (spec 2.6: trust on
 * first use, later lists only when signed by a SAST the phone holds) and
 * the configuration file (spec 3.3: .sgn verified against a TFTP or
 * CCM+TFTP record; spec 7: the security elements).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/sha.h>

#include "phone.h"

static void
hex(const uint8_t *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
set_trust(struct phone *p, struct tlv_file *f, size_t signer)
{
	uint8_t md[SHA_DIGEST_LENGTH];

	tlv_file_free(p->trust);
	p->trust = f;
	SHA1(f->data.data, f->data.len, md);
	hex(md, sizeof(md), p->trust_sha1);
	snprintf(p->trust_signer, sizeof(p->trust_signer), "%s",
	    signer < f->n_records && f->records[signer].subject
	        ? f->records[signer].subject
	        : "");
}

static int
has_role(const struct tlv_file *f, int role)
{
	for (size_t i = 0; f && i < f->n_records; i++)
		if (f->records[i].role == role)
			return 1;
	return 0;
}

/* The installed list, or NULL (a corrupt one is reported and ignored,
 * like a phone whose trust list was erased). */
static struct tlv_file *
load_installed(struct phone *p)
{
	char path[4200];
	struct buf b = BUF_INIT;
	struct tlv_file *f = NULL;
	struct tlv_error te = {0, NULL};
	int rc;

	if (phone_path(p, "ctl.tlv", path, sizeof(path)) < 0 ||
	    phone_read_file(path, TLV_MAX_FILE, &b) < 0) {
		buf_free(&b);
		return NULL;
	}
	rc = tlv_file_parse((const uint8_t *)b.data, b.len, &f, &te);
	if (rc != TLV_OK || !f->is_trust_list) {
		phone_log(p,
		    "installed trust list %s is unusable (%s); "
		    "treating the phone as new",
		    path, rc != TLV_OK ? tlv_err_str(rc) : "not a trust list");
		tlv_file_free(rc == TLV_OK ? f : NULL);
		f = NULL;
	}
	buf_free(&b);
	return f;
}

int
phone_boot_trust(struct phone *p)
{
	const struct phone_opts *o = p->o;
	struct tlv_file *installed = load_installed(p), *f = NULL;
	struct tlv_error te = {0, NULL};
	struct buf b = BUF_INIT;
	char name[64], err[300], path[4200];
	size_t signer = 0;
	int rc;

	p->state = PHONE_TRUST;
	snprintf(name, sizeof(name), "CTL%s.tlv", p->name);
	rc = tftp_fetch(p, o->tftp_host, o->tftp_port, name, o->timeout_s, &b,
	    err, sizeof(err));
	if (rc == TFTP_FETCH_NOTFOUND) {
		snprintf(name, sizeof(name), "CTLFile.tlv");
		rc = tftp_fetch(p, o->tftp_host, o->tftp_port, name,
		    o->timeout_s, &b, err, sizeof(err));
	}
	if (rc == TFTP_FETCH_NOTFOUND) {
		/* No trust list served: a non-secure system, or keep the
		 * one the phone already holds. */
		buf_free(&b);
		if (installed) {
			(void)tlv_verify_self(installed, &signer);
			set_trust(p, installed, signer);
			p->trust_how = "kept (none served)";
		} else {
			p->trust_how = "none";
		}
		return 0;
	}
	if (rc != 0) {
		tlv_file_free(installed);
		buf_free(&b);
		phone_fail(p, "%s", err);
		return -1;
	}
	snprintf(p->trust_file, sizeof(p->trust_file), "%s", name);
	rc = tlv_file_parse((const uint8_t *)b.data, b.len, &f, &te);
	if (rc != TLV_OK) {
		phone_fail(p,
		    "%s: unparseable trust list: %s at offset %zu%s%s", name,
		    tlv_err_str(rc), te.offset, te.what ? ": " : "",
		    te.what ? te.what : "");
		goto fail;
	}
	if (!f->is_trust_list) {
		phone_fail(p, "%s: not a trust list (version %d.%d)", name,
		    f->version_major, f->version_minor);
		goto fail;
	}
	if (installed == NULL) {
		rc = tlv_verify_self(f, &signer);
		if (rc != TLV_OK) {
			phone_fail(p, "%s: refused on first use: %s", name,
			    tlv_err_str(rc));
			goto fail;
		}
		p->trust_how = "first-use";
	} else if (installed->data.len == f->data.len &&
	    memcmp(installed->data.data, f->data.data, f->data.len) == 0) {
		(void)tlv_verify_self(f, &signer);
		p->trust_how = "unchanged";
	} else {
		rc = tlv_verify_with_trust(f, installed, &signer);
		if (rc != TLV_OK) {
			phone_fail(p,
			    "%s: refused: %s (signer %s, serial not a SAST of "
			    "the installed trust list)",
			    name, tlv_err_str(rc),
			    f->signer_name ? f->signer_name : "?");
			goto fail;
		}
		p->trust_how = "verified-update";
	}
	if (phone_path(p, "ctl.tlv", path, sizeof(path)) < 0 ||
	    phone_write_file(path, b.data, b.len, 0644) < 0) {
		phone_fail(p, "cannot install %s: %s", path, strerror(errno));
		goto fail;
	}
	tlv_file_free(installed);
	buf_free(&b);
	set_trust(p, f, signer);
	phone_log(p, "trust list %s accepted (%s), signer %s", name,
	    p->trust_how, p->trust_signer);
	return 0;
fail:
	tlv_file_free(f);
	tlv_file_free(installed);
	buf_free(&b);
	return -1;
}

static int
text_int(xmlNode *n, int *out)
{
	xmlChar *s = xmlNodeGetContent(n);
	char *end;
	long v;
	int rc = -1;

	if (s) {
		errno = 0;
		v = strtol((const char *)s, &end, 10);
		while (
		    *end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
			end++;
		if (errno == 0 && end != (char *)s && *end == '\0' && v >= 0 &&
		    v <= 65535) {
			*out = (int)v;
			rc = 0;
		}
	}
	xmlFree(s);
	return rc;
}

static void
text_copy(xmlNode *n, char *out, size_t cap)
{
	xmlChar *s = xmlNodeGetContent(n);
	const char *t = s ? (const char *)s : "";
	size_t len;

	while (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r')
		t++;
	len = strcspn(t, " \n\t\r");
	if (len >= cap)
		len = cap - 1;
	memcpy(out, t, len);
	out[len] = '\0';
	xmlFree(s);
}

static int
is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

static xmlNode *
child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (is(c, name))
			return c;
	return NULL;
}

/* First element called name below n (depth first). */
static xmlNode *
descendant(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		xmlNode *d;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, name))
			return c;
		if ((d = descendant(c, name)) != NULL)
			return d;
	}
	return NULL;
}

int
phone_parse_cnf(const uint8_t *xml, size_t len, struct phone_config *cfg,
    char *err, size_t errcap)
{
	xmlDoc *doc;
	xmlNode *root, *n;
	int v;

	memset(cfg, 0, sizeof(*cfg));
	cfg->security_mode = -1;
	cfg->capf_auth_mode = -1;
	if (len > 4u * 1024u * 1024u || len > (size_t)0x7fffffff) {
		snprintf(err, errcap, "configuration file too big");
		return -1;
	}
	doc = xmlReadMemory((const char *)xml, (int)len, "cnf.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		snprintf(err, errcap, "configuration file is not valid XML");
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is(root, "device")) {
		snprintf(err, errcap,
		    "configuration root element is not "
		    "<device>");
		xmlFreeDoc(doc);
		return -1;
	}
	if ((n = child(root, "deviceSecurityMode")) && text_int(n, &v) == 0)
		cfg->security_mode = v;
	if ((n = child(root, "capfAuthMode")) && text_int(n, &v) == 0)
		cfg->capf_auth_mode = v;
	if ((n = child(root, "capfList")) && (n = child(n, "capf"))) {
		xmlNode *host = child(n, "processNodeName");
		xmlNode *port = child(n, "phonePort");

		cfg->capf_port = 3804;
		if (port && text_int(port, &v) == 0 && v > 0)
			cfg->capf_port = (unsigned)v;
		if (host)
			text_copy(host, cfg->capf_host, sizeof(cfg->capf_host));
		cfg->has_capf = cfg->capf_host[0] != '\0';
	}
	cfg->ccm_port = 2000;
	if ((n = child(root, "devicePool")) &&
	    (n = descendant(n, "callManager"))) {
		xmlNode *host = child(n, "processNodeName");
		xmlNode *ports = child(n, "ports");
		xmlNode *port =
		    ports ? child(ports, "ethernetPhonePort") : NULL;

		if (host)
			text_copy(host, cfg->ccm_host, sizeof(cfg->ccm_host));
		if (port && text_int(port, &v) == 0 && v > 0 && v < 65536)
			cfg->ccm_port = (unsigned)v;
	}
	cfg->loaded = 1;
	xmlFreeDoc(doc);
	return 0;
}

int
phone_boot_config(struct phone *p)
{
	const struct phone_opts *o = p->o;
	struct buf b = BUF_INIT;
	struct tlv_file *f = NULL;
	struct tlv_error te = {0, NULL};
	const uint8_t *xml;
	size_t xml_len;
	char name[64], err[300];
	int want_signed, rc;

	p->state = PHONE_CONFIG;
	/* Spec 3.3: with a TFTP or CCM+TFTP record, files must be signed. */
	want_signed = has_role(p->trust, TLV_ROLE_TFTP) ||
	    has_role(p->trust, TLV_ROLE_CCM_TFTP);
	snprintf(name, sizeof(name), "%s.cnf.xml%s", p->name,
	    want_signed ? ".sgn" : "");
	rc = tftp_fetch(p, o->tftp_host, o->tftp_port, name, o->timeout_s, &b,
	    err, sizeof(err));
	if (rc != 0) {
		buf_free(&b);
		phone_fail(p, "%s", err);
		return -1;
	}
	xml = (const uint8_t *)b.data;
	xml_len = b.len;
	if (want_signed) {
		size_t signer = 0;

		rc = tlv_file_parse((const uint8_t *)b.data, b.len, &f, &te);
		if (rc != TLV_OK) {
			phone_fail(p, "%s: unparseable signed file: %s", name,
			    tlv_err_str(rc));
			goto fail;
		}
		rc = tlv_verify_signed_file(f, p->trust, &signer);
		if (rc != TLV_OK) {
			phone_fail(p,
			    "%s: refused: %s (not signed by a TFTP or "
			    "CCM+TFTP record of the trust list)",
			    name, tlv_err_str(rc));
			goto fail;
		}
		tlv_file_payload(f, &xml, &xml_len);
	}
	if (phone_parse_cnf(xml, xml_len, &p->cfg, err, sizeof(err)) < 0) {
		phone_fail(p, "%s: %s", name, err);
		goto fail;
	}
	p->cfg.signed_file = want_signed;
	phone_log(p, "%s loaded: deviceSecurityMode %d%s", name,
	    p->cfg.security_mode, p->cfg.has_capf ? ", CAPF listed" : "");
	tlv_file_free(f);
	buf_free(&b);
	return 0;
fail:
	tlv_file_free(f);
	buf_free(&b);
	return -1;
}
