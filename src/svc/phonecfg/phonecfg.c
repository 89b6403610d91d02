/*
 * Phone authentication files (chapter "Phone Authentication", "File
 * Authentication", "CTL File Maintenance", "Configuration File
 * Maintenance"): the CTL client's trust list (CTLFile.tlv and one
 * CTLSEP<MAC>.tlv per phone), each phone's SEP<MAC>.cnf.xml and its
 * signed .sgn, and the load-cfg-file files, all put in the published view
 * (daemon/publish.h) that the TFTP server serves.
 *
 * Trust-list continuity (SAST rollover): the published list is kept in
 * STATEDIR/tftp/CTLFile.tlv.  A new list is signed with SAST1 when the
 * published list has SAST1 as a SAST record, else with SAST2 when that
 * one is there (SAST1 was replaced), and refused otherwise — phones
 * would reject it — unless forced (`regenerate force`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/daemon.h"
#include "daemon/publish.h"
#include "fmt/tlv.h"
#include "lib/log.h"
#include "svc/phonecfg/cnfxml.h"
#include "svc/phonecfg/phonecfg.h"
#include "svc/pki/pki_svc.h"

#define CTL_NAME "CTLFile.tlv"
#define ITL_NAME "ITLFile.tlv"

struct phonecfg {
	struct daemon *d;
	struct tlv_file *published; /* the trust list phones hold */
	char *last_error;
	unsigned long ctl_generations;
	unsigned long cnf_files, sgn_files, sign_ops;
	/* Content hashes of the cnf.xml files already signed, so that an
	 * unchanged file is not signed again. */
	struct signed_cache *cache;
};

struct signed_cache {
	char name[64];
	unsigned char digest[32];
	struct signed_cache *next;
};

static struct phonecfg *pc;

static void
set_error(const char *fmt, const char *detail)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, fmt, detail ? detail : "");
	free(pc->last_error);
	pc->last_error = buf_steal(&b);
	log_warnx("phone files: %s", pc->last_error);
}

/* ---- helpers ---- */

static char *
ctl_path(void)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/tftp/%s", pc->d->statedir, CTL_NAME);
	return buf_steal(&b);
}

static X509 *
trustpoint_cert(struct config *cfg, const char *tp_name)
{
	struct trustpoint *tp = trustpoint_find(cfg, tp_name);
	const struct chain_cert *c;

	if (tp == NULL)
		return NULL;
	TAILQ_FOREACH (c, &tp->chain, entry) {
		const unsigned char *p = c->der;

		if (!c->is_ca)
			return d2i_X509(NULL, &p, (long)c->der_len);
	}
	return NULL;
}

static int
role_of(int ctl_role)
{
	switch (ctl_role) {
	case CTL_ROLE_CAPF:
		return TLV_ROLE_CAPF;
	case CTL_ROLE_CME:
	case CTL_ROLE_CME_TFTP:
		/* The call manager also signs TFTP files here. */
		return TLV_ROLE_CCM_TFTP;
	case CTL_ROLE_TFTP:
		return TLV_ROLE_TFTP;
	default:
		return TLV_ROLE_APP_SERVER;
	}
}

/* Is cert a SAST record of the published list? */
static int
published_sast(X509 *cert)
{
	struct tlv_bytes serial = {NULL, 0};
	int found = 0;

	if (pc->published == NULL || tlv_serial_bytes(cert, &serial) != 0)
		return 0;
	for (size_t i = 0; i < pc->published->n_records; i++) {
		const struct tlv_record *r = &pc->published->records[i];

		if (r->role == TLV_ROLE_SAST && r->serial.len == serial.len &&
		    memcmp(r->serial.data, serial.data, serial.len) == 0) {
			found = 1;
			break;
		}
	}
	tlv_bytes_clear(&serial);
	return found;
}

/* One list under its generic name and one per phone (formats.md §2.8:
 * the per-phone copies carry the generic FILENAME). */
static void
publish_list(const char *kind, const uint8_t *data, size_t len)
{
	struct pub_blob *b = pub_blob_new(data, len);
	struct ephone *e;
	char name[64];

	snprintf(name, sizeof(name), "%sFile.tlv", kind);
	publish_put_blob(name, b);
	TAILQ_FOREACH (e, &pc->d->cfg->ephones, entry) {
		if (e->mac[0] == '\0')
			continue;
		snprintf(name, sizeof(name), "%sSEP%s.tlv", kind, e->mac);
		publish_put_blob(name, b);
	}
	pub_blob_unref(b);
}

static void
publish_ctl(const uint8_t *data, size_t len)
{
	publish_list("CTL", data, len);
}

static void
unpublish_ctl(void)
{
	struct ephone *e;
	char name[64];

	publish_remove(CTL_NAME);
	publish_remove(ITL_NAME);
	TAILQ_FOREACH (e, &pc->d->cfg->ephones, entry) {
		snprintf(name, sizeof(name), "CTLSEP%s.tlv", e->mac);
		publish_remove(name);
		snprintf(name, sizeof(name), "ITLSEP%s.tlv", e->mac);
		publish_remove(name);
	}
}

/* An imported certificate (`import certificate TAG DESC flash:FILE`). */
static X509 *
read_pem_cert(const char *url)
{
	char *path = daemon_url_path(pc->d->statedir, url);
	FILE *f = path ? fopen(path, "r") : NULL;
	X509 *x = NULL;

	if (f != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	free(path);
	return x;
}

/* ---- the CTL ---- */

int
phonecfg_ctl_generate(int force, struct buf *msg)
{
	struct config *cfg = pc->d->cfg;
	struct ctl_client *ctl = &cfg->ctl;
	struct tlv_entry entries[32];
	size_t n = 0;
	X509 *sast1 = NULL, *sast2 = NULL, *signer = NULL;
	EVP_PKEY *key = NULL;
	X509 *idcert = NULL;
	STACK_OF(X509) *chain = NULL;
	const char *why = NULL, *signer_tp;
	struct tlv_build_opts opts;
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct tlv_file *parsed = NULL;
	struct ctl_server *cs;
	struct ctl_import *im;
	char *path = NULL;
	int rc = -1;

	if (!ctl->present || ctl->sast1_tp == NULL || ctl->sast2_tp == NULL) {
		buf_puts(msg,
		    "% The CTL client needs sast1 and sast2 "
		    "trustpoints\n");
		return -1;
	}
	sast1 = trustpoint_cert(cfg, ctl->sast1_tp);
	sast2 = trustpoint_cert(cfg, ctl->sast2_tp);
	if (sast1 == NULL || sast2 == NULL) {
		buf_printf(msg,
		    "%% Trustpoint %s has no certificate (crypto "
		    "pki enroll); the published CTL is unchanged\n",
		    sast1 == NULL ? ctl->sast1_tp : ctl->sast2_tp);
		goto out;
	}
	if (X509_cmp(sast1, sast2) == 0) {
		buf_puts(msg,
		    "% SAST1 and SAST2 must be different "
		    "certificates\n");
		goto out;
	}
	/* Rollover: sign with a key the phones already trust. */
	signer = sast1;
	signer_tp = ctl->sast1_tp;
	if (pc->published != NULL && !published_sast(sast1)) {
		if (published_sast(sast2)) {
			signer = sast2;
			signer_tp = ctl->sast2_tp;
			buf_printf(msg,
			    "%% SAST1 is not in the published CTL: "
			    "signing with SAST2 (%s), which phones "
			    "trust\n",
			    signer_tp);
		} else if (!force) {
			buf_puts(msg,
			    "% Neither SAST certificate is in the "
			    "published CTL: phones would refuse the "
			    "new one (factory reset needed).  Use "
			    "\"regenerate force\" to publish it "
			    "anyway\n");
			goto out;
		}
	}
	if (pki_svc_credentials(cfg,
	        signer == sast1 ? ctl->sast1_tp : ctl->sast2_tp, &key, &idcert,
	        &chain, &why) != 0) {
		buf_printf(msg, "%% SAST trustpoint %s: %s\n", signer_tp, why);
		goto out;
	}
	entries[n++] = (struct tlv_entry){sast1, TLV_ROLE_SAST};
	entries[n++] = (struct tlv_entry){sast2, TLV_ROLE_SAST};
	TAILQ_FOREACH (cs, &ctl->servers, entry) {
		X509 *x = trustpoint_cert(cfg, cs->trustpoint);

		if (x == NULL) {
			buf_printf(msg,
			    "%% Server %s: trustpoint %s has no "
			    "certificate; the published CTL is "
			    "unchanged\n",
			    cs->ip, cs->trustpoint);
			goto out_entries;
		}
		if (n == sizeof(entries) / sizeof(entries[0])) {
			X509_free(x);
			break;
		}
		entries[n++] = (struct tlv_entry){x, role_of(cs->role)};
	}
	TAILQ_FOREACH (im, &ctl->imports, entry) {
		X509 *x = read_pem_cert(im->url);

		if (x == NULL) {
			buf_printf(msg,
			    "%% import certificate %u: cannot read "
			    "a PEM certificate from %s\n",
			    im->tag, im->url);
			goto out_entries;
		}
		if (n == sizeof(entries) / sizeof(entries[0])) {
			X509_free(x);
			break;
		}
		entries[n++] = (struct tlv_entry){x, TLV_ROLE_APP_SERVER};
	}
	memset(&opts, 0, sizeof(opts));
	opts.filename = CTL_NAME;
	opts.timestamp = (uint32_t)time(NULL);
	opts.hash_alg = ctl->hash_sha512 ? TLV_HASH_SHA512 : TLV_HASH_SHA1;
	/* Phones enroll EC keys only under a 1.1 trust list (formats.md
	 * 2.10); otherwise 1.1 only when a listed certificate is EC. */
	opts.signer_version =
	    pc->d->cfg->capf.present && pc->d->cfg->capf.phone_key_curve >= 0
	    ? TLV_SIGNER_VERSION_1_1
	    : TLV_SIGNER_VERSION_AUTO;
	rc = tlv_trust_list_build(entries, n, signer, key, &opts, &out);
	if (rc != 0) {
		buf_printf(
		    msg, "%% Cannot build the CTL: %s\n", tlv_err_str(rc));
		rc = -1;
		goto out_entries;
	}
	rc = tlv_file_parse((const uint8_t *)out.data, out.len, &parsed, NULL);
	if (rc != 0) {
		rc = -1;
		goto out_entries;
	}
	path = ctl_path();
	if (daemon_write_file_atomic(path, out.data, out.len, 1, &err) != 0) {
		buf_puts(msg, buf_str(&err));
		rc = -1;
		goto out_entries;
	}
	tlv_file_free(pc->published);
	pc->published = parsed;
	parsed = NULL;
	publish_ctl((const uint8_t *)out.data, out.len);
	/* Phones that ask for an ITL get the same list under its name. */
	{
		struct buf itl = BUF_INIT;

		opts.filename = ITL_NAME;
		if (tlv_trust_list_build(
		        entries, n, signer, key, &opts, &itl) == 0)
			publish_list("ITL", (const uint8_t *)itl.data, itl.len);
		buf_free(&itl);
	}
	pc->ctl_generations++;
	/* The chapter: the first CTL sets server-security-mode secure. */
	if (cfg->tel.server_security_mode == SSM_UNSET)
		cfg->tel.server_security_mode = SSM_SECURE;
	log_info("CTL published (%zu records, signed by %s)", n, signer_tp);
	buf_printf(msg,
	    "%% CTL file %s published with %zu records, signed "
	    "by %s\n",
	    CTL_NAME, n, signer_tp);
	rc = 0;
out_entries:
	for (size_t i = 2; i < n; i++)
		X509_free(entries[i].cert);
out:
	tlv_file_free(parsed);
	X509_free(sast1);
	X509_free(sast2);
	X509_free(idcert);
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
	buf_free(&out);
	buf_free(&err);
	free(path);
	return rc;
}

static void
ctl_erase(void)
{
	char *path = ctl_path();

	unpublish_ctl();
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("removing %s", path);
	free(path);
	tlv_file_free(pc->published);
	pc->published = NULL;
	log_info("CTL files erased (server-security-mode erase)");
}

static void
ctl_load_published(void)
{
	char *path = ctl_path();
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t r;

	free(path);
	if (f == NULL)
		return;
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, r);
	fclose(f);
	if (tlv_file_parse(
	        (const uint8_t *)b.data, b.len, &pc->published, NULL) == 0)
		publish_ctl((const uint8_t *)b.data, b.len);
	else
		log_warnx("the saved CTL file does not parse; ignored");
	buf_free(&b);
}

/* ---- signed configuration files ---- */

static int
sign_and_publish(
    const char *name, const void *data, size_t len, EVP_PKEY *key, X509 *cert)
{
	struct tlv_build_opts opts;
	struct buf sgn = BUF_INIT;
	char sname[256];
	int rc;

	snprintf(sname, sizeof(sname), "%s.sgn", name);
	memset(&opts, 0, sizeof(opts));
	opts.filename = sname;
	opts.timestamp = (uint32_t)time(NULL);
	opts.hash_alg =
	    pc->d->cfg->ctl.hash_sha512 ? TLV_HASH_SHA512 : TLV_HASH_SHA1;
	rc = tlv_sgn_build(data, len, cert, key, &opts, &sgn);
	if (rc == 0) {
		publish_put(sname, sgn.data, sgn.len);
		pc->sgn_files++;
		pc->sign_ops++;
	}
	buf_free(&sgn);
	return rc;
}

static struct signed_cache *
cache_find(const char *name)
{
	for (struct signed_cache *c = pc->cache; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* The tftp-server-credentials that sign the phones' files. */
struct cnf_signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) * chain;
	int ok;
};

static void
cnf_signer_load(struct config *cfg, struct cnf_signer *sg)
{
	const char *tftp_tp = cfg->tel.tftp_credentials_tp;
	const char *why = NULL;

	memset(sg, 0, sizeof(*sg));
	if (tftp_tp == NULL)
		return;
	sg->ok = pki_svc_credentials(
	             cfg, tftp_tp, &sg->key, &sg->cert, &sg->chain, &why) == 0;
	if (!sg->ok)
		set_error("tftp-server-credentials: %s", why);
}

static void
cnf_signer_free(struct cnf_signer *sg)
{
	EVP_PKEY_free(sg->key);
	X509_free(sg->cert);
	sk_X509_pop_free(sg->chain, X509_free);
}

static void
refused_error(void)
{
	set_error("%s",
	    "cnf-file perphone is required for phones in authenticated or "
	    "encrypted mode; their files are not generated");
}

/* One phone's SEP<MAC>.cnf.xml and, with a signer, its .sgn (signed
 * only when the content changed).  1 when the phone is secure without
 * cnf-file perphone (its files are withdrawn), else 0. */
static int
cnf_generate_one(
    struct config *cfg, const struct ephone *e, const struct cnf_signer *sg)
{
	struct buf xml = BUF_INIT;
	char name[64];
	int secure = ephone_effective_dsm(cfg, e) != DSM_NONE;
	unsigned char digest[32];
	unsigned dlen = 0;
	struct signed_cache *c;

	if (e->mac[0] == '\0')
		return 0;
	snprintf(name, sizeof(name), "SEP%s.cnf.xml", e->mac);
	if (secure && !cfg->tel.cnf_file_perphone) {
		/* No stale secure files either. */
		char sname[80];

		snprintf(sname, sizeof(sname), "%s.sgn", name);
		publish_remove(name);
		publish_remove(sname);
		return 1;
	}
	if (cnfxml_build(cfg, e, &xml) != 0) {
		buf_free(&xml);
		return 0;
	}
	publish_put(name, xml.data, xml.len);
	pc->cnf_files++;
	if (!sg->ok) {
		buf_free(&xml);
		return 0;
	}
	/* Sign only what changed since it was last signed. */
	EVP_Digest(xml.data, xml.len, digest, &dlen, EVP_sha256(), NULL);
	c = cache_find(name);
	if (c == NULL || memcmp(c->digest, digest, 32) != 0) {
		if (sign_and_publish(
		        name, xml.data, xml.len, sg->key, sg->cert) == 0) {
			if (c == NULL) {
				c = xcalloc(1, sizeof(*c));
				snprintf(c->name, sizeof(c->name), "%s", name);
				c->next = pc->cache;
				pc->cache = c;
			}
			memcpy(c->digest, digest, 32);
		}
	}
	buf_free(&xml);
	return 0;
}

void
phonecfg_cnf_generate(void)
{
	struct config *cfg = pc->d->cfg;
	struct cnf_signer sg;
	struct ephone *e;
	int refused = 0;

	cnf_signer_load(cfg, &sg);
	TAILQ_FOREACH (e, &cfg->ephones, entry)
		refused += cnf_generate_one(cfg, e, &sg);
	if (refused > 0)
		refused_error();
	cnf_signer_free(&sg);
}

/* Only the phone whose CAPF operation completed: nothing else in the
 * phone files depends on it. */
static void
cnf_generate_device(const char *device)
{
	struct config *cfg = pc->d->cfg;
	struct ephone *e = NULL;
	struct cnf_signer sg;

	if (strncmp(device, "SEP", 3) == 0)
		e = ephone_find_mac(cfg, device + 3);
	if (e == NULL) {
		phonecfg_cnf_generate();
		return;
	}
	cnf_signer_load(cfg, &sg);
	if (cnf_generate_one(cfg, e, &sg))
		refused_error();
	cnf_signer_free(&sg);
}

/* load-cfg-file: host ALIAS, and ALIAS.sgn when `sign`. */
static void
load_cfg_files(int create)
{
	struct config *cfg = pc->d->cfg;
	struct load_cfg_file *l;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	const char *why = NULL;
	int have_creds = cfg->tel.tftp_credentials_tp != NULL &&
	    pki_svc_credentials(cfg, cfg->tel.tftp_credentials_tp, &key, &cert,
	        &chain, &why) == 0;

	TAILQ_FOREACH (l, &cfg->tel.load_cfg_files, entry) {
		char *path = daemon_url_path(pc->d->statedir, l->url);
		FILE *f = path ? fopen(path, "rb") : NULL;
		struct buf data = BUF_INIT;
		char chunk[8192];
		size_t r;

		if (f == NULL) {
			log_warnx("load-cfg-file %s: cannot read it", l->url);
			free(path);
			continue;
		}
		while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&data, chunk, r);
		fclose(f);
		publish_put(l->alias, data.data ? data.data : "", data.len);
		if (l->sign && have_creds &&
		    sign_and_publish(l->alias, data.data ? data.data : "",
		        data.len, key, cert) == 0 &&
		    create) {
			/* `create`: the signed file also lands next to the
			 * original, as the chapter describes. */
			struct pub_blob *b;
			struct buf sname = BUF_INIT, spath = BUF_INIT,
			           m = BUF_INIT;
			char *slash = strrchr(path, '/');

			buf_printf(&sname, "%s.sgn", l->alias);
			b = publish_get(buf_str(&sname));
			if (slash != NULL && b != NULL) {
				buf_printf(&spath, "%.*s/%s",
				    (int)(slash - path), path, buf_str(&sname));
				if (daemon_write_file_atomic(buf_str(&spath),
				        pub_blob_data(b), pub_blob_len(b), 0,
				        &m) != 0)
					log_warnx("%s", buf_str(&m));
			}
			pub_blob_unref(b);
			buf_free(&sname);
			buf_free(&spath);
			buf_free(&m);
		}
		buf_free(&data);
		free(path);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
}

/* ---- lifecycle ---- */

int
phonecfg_start(struct daemon *d)
{
	pc = xcalloc(1, sizeof(*pc));
	pc->d = d;
	ctl_load_published();
	phonecfg_cnf_generate();
	load_cfg_files(0);
	return 0;
}

/* The published CTL again under every name (CTLFile.tlv and one
 * CTLSEP<MAC>.tlv per phone); nothing when none is published. */
static void
republish_ctl(void)
{
	struct pub_blob *b;

	if (pc->published == NULL || (b = publish_get(CTL_NAME)) == NULL)
		return;
	publish_ctl(pub_blob_data(b), pub_blob_len(b));
	pub_blob_unref(b);
}

void
phonecfg_changed(struct daemon *d, const char *what)
{
	(void)d;
	if (pc == NULL)
		return;
	if (strcmp(what, "server-security-mode erase") == 0) {
		ctl_erase();
		return;
	}
	if (strncmp(what, "ctl-client regenerate", 21) == 0) {
		struct buf msg = BUF_INIT;

		phonecfg_ctl_generate(strstr(what, "force") != NULL, &msg);
		buf_free(&msg);
		return;
	}
	if (strcmp(what, "capf-server phone-key-curve") == 0) {
		struct buf msg = BUF_INIT;

		/* The published trust list's SIGNER_VERSION follows. */
		if (pc->published != NULL)
			phonecfg_ctl_generate(1, &msg);
		buf_free(&msg);
		return;
	}
	if (strncmp(what, "load-cfg-file", 13) == 0) {
		load_cfg_files(strstr(what, "create") != NULL);
		return;
	}
	/* CAPF bookkeeping: a used authentication string is in no phone
	 * file; a completed operation changes only that phone's. */
	if (strncmp(what, "capf auth-string used", 21) == 0)
		return;
	if (strncmp(what, "capf operation done ", 20) == 0) {
		cnf_generate_device(what + 20);
		return;
	}
	if (strncmp(what, "ephone", 6) == 0 ||
	    strncmp(what, "telephony-service", 17) == 0 ||
	    strncmp(what, "create cnf-files", 16) == 0 ||
	    strncmp(what, "capf", 4) == 0 || strcmp(what, "reload") == 0 ||
	    strncmp(what, "crypto pki", 10) == 0 ||
	    strncmp(what, "ip source-address", 17) == 0) {
		phonecfg_cnf_generate();
		/* The per-phone copies of the CTL follow the ephone list. */
		if (strcmp(what, "reload") == 0 ||
		    strncmp(what, "ephone", 6) == 0)
			republish_ctl();
	}
}

void
phonecfg_stop(struct daemon *d)
{
	(void)d;
	if (pc == NULL)
		return;
	while (pc->cache != NULL) {
		struct signed_cache *c = pc->cache;

		pc->cache = c->next;
		free(c);
	}
	tlv_file_free(pc->published);
	free(pc->last_error);
	free(pc);
	pc = NULL;
}

const char *
phonecfg_last_error(void)
{
	return pc ? pc->last_error : NULL;
}

int
phonecfg_ctl_published(void)
{
	return pc != NULL && pc->published != NULL;
}
