/*
 * LSC issuing and revocation for the CAPF server (pki_svc.h): the local
 * CA and its key stay inside the PKI service.
 */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "svc/pki/pki_int.h"
#include "svc/pki/pki_svc.h"

/* Append ",SN=value" with commas and backslashes escaped. */
static void
dn_append(struct buf *dn, const char *sn, const X509_NAME *from, int nid)
{
	int i = -1;

	while ((i = X509_NAME_get_index_by_NID(from, nid, i)) >= 0) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(from, i);
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));

		if (n < 0)
			continue;
		buf_printf(dn, ",%s=", sn);
		for (int k = 0; k < n; k++) {
			if (utf8[k] == ',' || utf8[k] == '\\')
				buf_putc(dn, '\\');
			buf_putc(dn, (char)utf8[k]);
		}
		OPENSSL_free(utf8);
	}
}

/* The LSC subject of formats.md 5.10: CN=<device> followed by the O, OU,
 * L, ST and C of the issuing CA's subject. */
static int
lsc_subject(X509 *issuer, const char *device_name, struct buf *dn)
{
	static const struct {
		const char *sn;
		int nid;
	} copy[] = {{"O", NID_organizationName},
	    {"OU", NID_organizationalUnitName}, {"L", NID_localityName},
	    {"ST", NID_stateOrProvinceName}, {"C", NID_countryName}};
	const X509_NAME *ca_subject = X509_get_subject_name(issuer);

	if (device_name == NULL || strpbrk(device_name, ",\\=+") != NULL)
		return -1;
	buf_printf(dn, "CN=%s", device_name);
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		dn_append(dn, copy[i].sn, ca_subject, copy[i].nid);
	return 0;
}

struct pki_lsc_request {
	struct pki_ra_lsc *ra_wait;
	pki_lsc_done_fn *done;
	void *arg;
};

static void
ra_done(void *arg, X509 *cert, const char *why)
{
	struct pki_lsc_request *r = arg;
	pki_lsc_done_fn *done = r->done;
	void *done_arg = r->arg;

	free(r);
	if (cert != NULL)
		pki_svc_publish_cert(pki_svc, cert);
	done(done_arg, cert, why);
}

/* Through the local RA: ask its issuing CA, answer later. */
static int
issue_via_ra(const char *password, EVP_PKEY *pub, const char *device_name,
    pki_lsc_done_fn *done, void *arg, struct pki_lsc_request **pending,
    const char **why)
{
	struct pki_server *ps = pki_svc_enabled_server(pki_svc->d->cfg);
	struct pki_lsc_request *r;
	struct buf dn = BUF_INIT;
	X509_NAME *subject = NULL;
	int rc;

	if (done == NULL || pending == NULL) {
		*why = "the RA answers later and the caller cannot wait";
		return -1;
	}
	if (lsc_subject(pki_ra_ca_cert(pki_svc->ra), device_name, &dn) != 0 ||
	    pki_name_parse(buf_str(&dn), &subject) != 0) {
		buf_free(&dn);
		*why = "bad device name";
		return -1;
	}
	buf_free(&dn);
	r = xcalloc(1, sizeof(*r));
	r->done = done;
	r->arg = arg;
	rc = pki_ra_request_lsc(pki_svc->ra, pub, subject, password,
	    ps != NULL && ps->grant_auto, ra_done, r, &r->ra_wait, why);
	X509_NAME_free(subject);
	if (rc != 0) {
		free(r);
		return -1;
	}
	*pending = r;
	return 1;
}

int
pki_svc_issue_lsc(const char *ca_trustpoint, const char *password,
    EVP_PKEY *pub, const char *device_name, unsigned days, X509 **out,
    pki_lsc_done_fn *done, void *arg, struct pki_lsc_request **pending,
    const char **why)
{
	struct buf dn = BUF_INIT;
	int rc;

	*why = NULL;
	if (pki_svc != NULL && pki_svc->ra != NULL && ca_trustpoint != NULL &&
	    strcmp(ca_trustpoint, pki_ra_label(pki_svc->ra)) == 0)
		return issue_via_ra(
		    password, pub, device_name, done, arg, pending, why);
	if (pki_svc == NULL || pki_svc->ca == NULL) {
		*why = "no local certificate server (CA or RA) is running";
		return -1;
	}
	if (ca_trustpoint == NULL ||
	    strcmp(ca_trustpoint, pki_svc->ca_label) != 0) {
		*why = "the cert-enroll-trustpoint is not the running "
		       "certificate server (crypto pki server LABEL, in CA "
		       "or RA mode)";
		return -1;
	}
	if (lsc_subject(ca_cert(pki_svc->ca), device_name, &dn) != 0) {
		buf_free(&dn);
		*why = "bad device name";
		return -1;
	}
	rc = ca_issue_pubkey(pki_svc->ca, pub, buf_str(&dn), days, out);
	buf_free(&dn);
	if (rc != 0) {
		*why = pki_err_str(rc);
		return -1;
	}
	pki_svc_publish_cert(pki_svc, *out);
	return 0;
}

void
pki_svc_lsc_cancel(struct pki_lsc_request *r)
{
	if (r == NULL)
		return;
	pki_ra_lsc_cancel(r->ra_wait);
	free(r);
}

int
pki_svc_revoke_lsc(uint64_t serial)
{
	int rc;

	if (pki_svc == NULL || pki_svc->ca == NULL)
		return PKI_E_NOTFOUND;
	rc = ca_revoke(pki_svc->ca, serial, 4 /* superseded */);
	if (rc == 0) {
		pki_trust_local_crl_changed();
		pki_svc_publish_crl(pki_svc);
	}
	return rc;
}

struct store *
pki_svc_store(void)
{
	return pki_svc != NULL ? pki_svc->store : NULL;
}
