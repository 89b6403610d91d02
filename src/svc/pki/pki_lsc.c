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

int
pki_svc_issue_lsc(const char *ca_trustpoint, EVP_PKEY *pub,
    const char *device_name, unsigned days, X509 **out, const char **why)
{
	static const struct {
		const char *sn;
		int nid;
	} copy[] = {{"O", NID_organizationName},
	    {"OU", NID_organizationalUnitName}, {"L", NID_localityName},
	    {"ST", NID_stateOrProvinceName}, {"C", NID_countryName}};
	struct buf dn = BUF_INIT;
	const X509_NAME *ca_subject;
	int rc;

	*why = NULL;
	if (pki_svc == NULL || pki_svc->ca == NULL) {
		*why = "no local certificate server is running";
		return -1;
	}
	if (ca_trustpoint == NULL ||
	    strcmp(ca_trustpoint, pki_svc->ca_label) != 0) {
		*why =
		    "the cert-enroll-trustpoint is not the local certificate "
		    "server (forwarding to a remote CA through the RA is "
		    "not implemented)";
		return -1;
	}
	if (device_name == NULL || strpbrk(device_name, ",\\=+") != NULL) {
		*why = "bad device name";
		return -1;
	}
	ca_subject = X509_get_subject_name(ca_cert(pki_svc->ca));
	buf_printf(&dn, "CN=%s", device_name);
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		dn_append(&dn, copy[i].sn, ca_subject, copy[i].nid);
	rc = ca_issue_pubkey(pki_svc->ca, pub, buf_str(&dn), days, out);
	buf_free(&dn);
	if (rc != 0) {
		*why = pki_err_str(rc);
		return -1;
	}
	pki_svc_publish_cert(pki_svc, *out);
	return 0;
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
