/*
 * PKI service lifecycle: the key store (STATEDIR/nvram/keys, encrypted
 * with the type 6 master key when one is set), the SQLite store
 * (STATEDIR/db/opencme.sqlite3) and the local certificate server, which
 * follows `crypto pki server LABEL` / `no shutdown` in the configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "daemon/httpd.h"
#include "lib/log.h"
#include "svc/pki/pki_int.h"
#include "svc/pki/pki_svc.h"

struct pki_svc *pki_svc;

static void
set_error(struct pki_svc *s, const char *detail)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "cannot start: %s", detail);
	free(s->ca_error);
	s->ca_error = buf_steal(&b);
	log_warnx("certificate server: %s", s->ca_error);
}

struct pki_server *
pki_svc_enabled_server(struct config *cfg)
{
	struct pki_server *ps;

	TAILQ_FOREACH (ps, &cfg->pki_servers, entry)
		if (!ps->shutdown)
			return ps;
	return NULL;
}

static void
ca_params_from(const struct pki_server *ps, struct ca_params *p)
{
	memset(p, 0, sizeof(*p));
	p->issuer_name = ps->issuer_name;
	p->key_bits = 2048;
	p->lifetime_ca_days = ps->lifetime_ca_days;
	p->lifetime_cert_days = ps->lifetime_cert_days;
	p->lifetime_crl_hours = ps->lifetime_crl_hours;
	p->database_level = ps->database_level;
	p->grant_auto = ps->grant_auto;
}

/*
 * The CA certificate also goes into the trustpoint of the same name, as
 * IOS does ("A trustpoint with the same name as the certificate server
 * stores the certificates"), so phones' chains and `show` find it.
 */
static void
publish_ca_cert(struct pki_svc *s)
{
	struct config *cfg = s->d->cfg;
	struct trustpoint *tp = trustpoint_find(cfg, s->ca_label);
	unsigned char *der = NULL;
	int len;

	if (tp == NULL)
		return;
	len = i2d_X509(ca_cert(s->ca), &der);
	if (len > 0)
		trustpoint_chain_add(cfg, tp, der, (size_t)len, 1);
	OPENSSL_free(der);
}

/*
 * Files at the server's `database url` (an IOS file system mapped into
 * STATEDIR; the database itself is SQLite): LABEL.crl always, and at
 * `database level complete` SERIAL.cer for each certificate issued.
 */
static char *
db_file(struct pki_svc *s, const char *name)
{
	struct pki_server *ps = pki_svc_enabled_server(s->d->cfg);
	struct buf url = BUF_INIT;
	char *path;

	buf_printf(&url, "%s%s",
	    ps && ps->database_url ? ps->database_url : "nvram:", name);
	path = daemon_url_path(s->d->statedir, buf_str(&url));
	buf_free(&url);
	return path;
}

void
pki_svc_publish_crl(struct pki_svc *s)
{
	X509_CRL *crl = NULL;
	unsigned char *der = NULL;
	struct buf name = BUF_INIT, msg = BUF_INIT;
	char *path;
	int len;

	if (s->ca == NULL || ca_crl(s->ca, 0, &crl) != 0)
		return;
	buf_printf(&name, "%s.crl", ca_label(s->ca));
	path = db_file(s, buf_str(&name));
	len = i2d_X509_CRL(crl, &der);
	if (path != NULL && len > 0 &&
	    daemon_write_file_atomic(path, der, (size_t)len, 0, &msg) != 0)
		log_warnx("CRL file %s: %s", path, buf_str(&msg));
	OPENSSL_free(der);
	X509_CRL_free(crl);
	free(path);
	buf_free(&name);
	buf_free(&msg);
}

void
pki_svc_publish_cert(struct pki_svc *s, X509 *cert)
{
	struct pki_server *ps = pki_svc_enabled_server(s->d->cfg);
	unsigned char *der = NULL;
	struct buf name = BUF_INIT, msg = BUF_INIT;
	uint64_t serial = 0;
	char *path;
	int len;

	if (ps == NULL || ps->database_level != DB_COMPLETE)
		return;
	ASN1_INTEGER_get_uint64(&serial, X509_get0_serialNumber(cert));
	buf_printf(&name, "%llX.cer", (unsigned long long)serial);
	path = db_file(s, buf_str(&name));
	len = i2d_X509(cert, &der);
	if (path != NULL && len > 0 &&
	    daemon_write_file_atomic(path, der, (size_t)len, 0, &msg) != 0)
		log_warnx("certificate file %s: %s", path, buf_str(&msg));
	OPENSSL_free(der);
	free(path);
	buf_free(&name);
	buf_free(&msg);
}

void
pki_svc_reconcile(struct pki_svc *s)
{
	struct config *cfg = s->d->cfg;
	struct pki_server *ps = pki_svc_enabled_server(cfg);
	struct ca_params p;
	int rc;

	if (ps == NULL || ps->mode_ra) {
		if (s->ca != NULL) {
			log_info("certificate server %s disabled", s->ca_label);
			ca_free(s->ca);
			s->ca = NULL;
		}
		if (s->ra != NULL &&
		    (ps == NULL || !ps->mode_ra ||
		        strcmp(pki_ra_label(s->ra), ps->label) != 0)) {
			pki_ra_free(s->ra);
			s->ra = NULL;
		}
		free(s->ca_label);
		s->ca_label = ps ? xstrdup(ps->label) : NULL;
		if (ps != NULL && s->ra == NULL) {
			const char *why = NULL;

			free(s->ca_error);
			s->ca_error = NULL;
			if (pki_ra_open(s, ps->label, &s->ra, &why) != 0) {
				s->ra = NULL;
				set_error(s, why);
			} else {
				log_info("registration authority %s enabled",
				    ps->label);
			}
		}
		return;
	}
	if (s->ra != NULL) {
		pki_ra_free(s->ra);
		s->ra = NULL;
	}
	ca_params_from(ps, &p);
	if (s->ca != NULL && strcmp(s->ca_label, ps->label) == 0) {
		ca_params_set(s->ca, &p);
		return;
	}
	if (s->ca != NULL) {
		ca_free(s->ca);
		s->ca = NULL;
	}
	free(s->ca_label);
	s->ca_label = xstrdup(ps->label);
	free(s->ca_error);
	s->ca_error = NULL;
	/* IOS creates the server's trustpoint when none is configured. */
	trustpoint_declare(cfg, ps->label);
	rc = ca_open(s->store, s->keys, ps->label, &p, &s->ca);
	if (rc != 0) {
		set_error(s, pki_err_str(rc));
		s->ca = NULL;
		return;
	}
	publish_ca_cert(s);
	pki_svc_publish_crl(s);
	log_info("certificate server %s enabled", ps->label);
}

int
pki_svc_start(struct daemon *d)
{
	struct pki_svc *s = xcalloc(1, sizeof(*s));
	struct buf path = BUF_INIT;
	int rc;

	s->d = d;
	buf_printf(&path, "%s/db/opencme.sqlite3", d->statedir);
	rc = store_open(buf_str(&path), &s->store);
	if (rc != 0) {
		log_warnx("database %s: %s", buf_str(&path), store_err_str(rc));
		buf_free(&path);
		free(s);
		return -1;
	}
	buf_reset(&path);
	buf_printf(&path, "%s/nvram/keys", d->statedir);
	rc = keystore_open(buf_str(&path), d->cfg->master_key, &s->keys);
	buf_free(&path);
	if (rc != 0) {
		log_warnx("key store: %s", pki_err_str(rc));
		store_free(s->store);
		free(s);
		return -1;
	}
	pki_svc = s;
	d->hooks.fetch_ca_cert = pki_fetch_ca_cert;
	if (d->httpd != NULL &&
	    httpd_route(d->httpd, SCEP_PATH, pki_scep_http_cb, s) == 0)
		s->scep_routed = 1;
	pki_svc_reconcile(s);
	return 0;
}

void
pki_svc_changed(struct daemon *d, const char *what)
{
	struct pki_svc *s = pki_svc;

	(void)d;
	if (s == NULL)
		return;
	if (strcmp(what, "master-key") == 0) {
		int rc = keystore_rekey(s->keys, s->d->cfg->master_key);

		if (rc != 0)
			log_warnx(
			    "re-encrypting the key pairs: %s", pki_err_str(rc));
		return;
	}
	if (strncmp(what, "crypto pki", 10) == 0 || strcmp(what, "reload") == 0)
		pki_svc_reconcile(s);
}

void
pki_svc_stop(struct daemon *d)
{
	struct pki_svc *s = pki_svc;

	(void)d;
	if (s == NULL)
		return;
	pki_enroll_stop_all();
	pki_trust_free_all();
	pki_ra_free(s->ra);
	ca_free(s->ca);
	keystore_free(s->keys);
	store_free(s->store);
	free(s->ca_label);
	free(s->ca_error);
	free(s);
	pki_svc = NULL;
}

void
pki_svc_register_cli(void)
{
	config_register_table(0, &pki_svc_exec);
	config_register_table(1, &pki_svc_cfg);
	config_register_table(1, &pki_enroll_cfg);
}

void
pki_hex_lines(
    const unsigned char *der, size_t len, const char *indent, struct buf *out)
{
	for (size_t i = 0; i < len; i += 32) {
		buf_puts(out, indent);
		for (size_t j = i; j < len && j < i + 32; j += 4) {
			if (j > i)
				buf_putc(out, ' ');
			for (size_t k = j; k < len && k < j + 4; k++)
				buf_printf(out, "%02X", der[k]);
		}
		buf_putc(out, '\n');
	}
}
