/*
 * The SCEP endpoint of the certificate server (RFC 8894), on the HTTP
 * server at /cgi-bin/pkiclient.exe as IOS serves it: GetCACaps,
 * GetCACert, GetCRL (plain HTTP, an extension for CRL publication) and
 * PKIOperation (GET with message=, or POST): PKCSReq, RenewalReq,
 * CertPoll, GetCert, GetCRL.  Malformed requests get a SCEP failure
 * reply when one can be built (with the failInfo the codec chose), an
 * HTTP error otherwise; each is counted and logged without its content.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "fmt/scep.h"
#include "lib/log.h"
#include "svc/pki/pki_int.h"

static void
send_body(struct evhttp_request *req, int code, const char *ctype,
    const void *data, size_t len)
{
	struct evbuffer *out = evbuffer_new();

	evbuffer_add(out, data, len);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Content-Type", ctype);
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", out);
	evbuffer_free(out);
}

static void
refuse(struct pki_svc *s, struct evhttp_request *req, int code, const char *why)
{
	s->scep_errors++;
	log_info("SCEP from %s: %s",
	    evhttp_request_get_host(req) ? evhttp_request_get_host(req) : "?",
	    why);
	evhttp_send_error(req, code, why);
}

/* The raw (still URL-encoded) message= value of a GET PKIOperation. */
static int
decode_message(const char *query, struct buf *der)
{
	const char *p = query;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, "message=", 8) == 0) {
			const char *v = p + 8;
			size_t len = strcspn(v, "&");

			return scep_get_message_decode(v, len, der) == 0 ? 0
			                                                 : -1;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return -1;
}

static void
reply_der(struct evhttp_request *req, const struct buf *b)
{
	send_body(req, 200, "application/x-pki-message", b->data, b->len);
}

static int
reply_with_request_state(
    struct pki_svc *s, const struct scep_request *r, struct buf *out)
{
	X509 *cert = NULL;
	int state = -1, rc;
	X509 *ca = ca_cert(s->ca);
	EVP_PKEY *key = ca_key_borrow(s->ca);

	rc = ca_request_lookup_by_transaction(
	    s->ca, r->transaction_id, &state, &cert);
	if (rc == PKI_E_NOTFOUND || rc == STORE_E_NOTFOUND)
		return scep_reply_failure(
		    r, SCEP_FAIL_BAD_CERT_ID, ca, key, out);
	if (rc != 0)
		return scep_reply_failure(
		    r, SCEP_FAIL_BAD_REQUEST, ca, key, out);
	switch (state) {
	case STORE_REQ_ISSUED:
		pki_svc_publish_cert(s, cert);
		rc = scep_reply_success_cert(r, cert, NULL, ca, key, out);
		break;
	case STORE_REQ_REJECTED:
		rc = scep_reply_failure(r, SCEP_FAIL_BAD_REQUEST, ca, key, out);
		break;
	default:
		rc = scep_reply_pending(r, ca, key, out);
		break;
	}
	X509_free(cert);
	return rc;
}

static int
handle_pkcsreq(struct pki_svc *s, const struct scep_request *r, struct buf *out)
{
	int64_t id = 0;
	int rc = r->is_ra_vouched
	    ? ca_request_add_vouched(
	          s->ca, r->csr, r->signer_cert, r->transaction_id, &id)
	    : ca_request_add(s->ca, r->csr, r->transaction_id, &id);

	if (rc == PKI_E_VERIFY) {
		/* Not self-signed and not from an RA we trust. */
		log_info("SCEP request refused: the PKCS#10 is signed by the "
		         "requester's certificate, not by its own key, and "
		         "that certificate is not a trusted RA of this CA "
		         "(issued here, valid, not revoked, with 'ioscs RA' "
		         "as CN or OU)");
		return scep_reply_failure(r, SCEP_FAIL_BAD_MESSAGE_CHECK,
		    ca_cert(s->ca), ca_key_borrow(s->ca), out);
	}
	if (rc == PKI_E_EXISTS)
		return scep_reply_failure(r, SCEP_FAIL_BAD_REQUEST,
		    ca_cert(s->ca), ca_key_borrow(s->ca), out);
	if (rc != 0) {
		log_info("SCEP request refused: %s", pki_err_str(rc));
		return scep_reply_failure(r,
		    rc == PKI_E_SIGNATURE ? SCEP_FAIL_BAD_MESSAGE_CHECK
		                          : SCEP_FAIL_BAD_REQUEST,
		    ca_cert(s->ca), ca_key_borrow(s->ca), out);
	}
	log_info("SCEP enrollment request %lld (transaction %s%s) %s",
	    (long long)id, r->transaction_id,
	    r->is_ra_vouched ? ", vouched for by an RA" : "",
	    s->ca != NULL && pki_svc_enabled_server(s->d->cfg) &&
	            pki_svc_enabled_server(s->d->cfg)->grant_auto
	        ? "granted automatically"
	        : "pending");
	return reply_with_request_state(s, r, out);
}

static int
handle_getcert(struct pki_svc *s, const struct scep_request *r, struct buf *out)
{
	X509 *ca = ca_cert(s->ca);
	EVP_PKEY *key = ca_key_borrow(s->ca);
	struct store_cert *c = NULL;
	uint64_t serial = 0;
	X509 *x = NULL;
	int rc;

	if (r->serial == NULL ||
	    ASN1_INTEGER_get_uint64(&serial, r->serial) != 1 ||
	    store_cert_get(s->store, ca_label(s->ca), serial, &c) != 0 ||
	    c->der == NULL) {
		store_cert_free(c);
		return scep_reply_failure(
		    r, SCEP_FAIL_BAD_CERT_ID, ca, key, out);
	}
	{
		const unsigned char *p = c->der;

		x = d2i_X509(NULL, &p, (long)c->der_len);
	}
	store_cert_free(c);
	if (x == NULL)
		return scep_reply_failure(
		    r, SCEP_FAIL_BAD_CERT_ID, ca, key, out);
	rc = scep_reply_success_cert(r, x, NULL, ca, key, out);
	X509_free(x);
	return rc;
}

static int
handle_getcrl(struct pki_svc *s, const struct scep_request *r, struct buf *out)
{
	X509_CRL *crl = NULL;
	int rc = ca_crl(s->ca, 0, &crl);

	if (rc != 0)
		return scep_reply_failure(r, SCEP_FAIL_BAD_REQUEST,
		    ca_cert(s->ca), ca_key_borrow(s->ca), out);
	rc = scep_reply_success_crl(
	    r, crl, ca_cert(s->ca), ca_key_borrow(s->ca), out);
	X509_CRL_free(crl);
	return rc;
}

static void
pki_operation(
    struct pki_svc *s, struct evhttp_request *req, const struct buf *der)
{
	struct scep_request *r = NULL;
	struct scep_error err;
	struct buf out = BUF_INIT;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = scep_request_parse((const uint8_t *)der->data, der->len,
	    ca_cert(s->ca), ca_key_borrow(s->ca), &r, &err);
	if (rc != 0) {
		s->scep_errors++;
		log_info("SCEP request refused: %s (%s)", scep_err_str(rc),
		    err.what ? err.what : "-");
		/* Authenticated far enough: answer with a SCEP failure. */
		if (r != NULL && err.can_reply &&
		    scep_reply_failure(r, err.fail_info, ca_cert(s->ca),
		        ca_key_borrow(s->ca), &out) == 0)
			reply_der(req, &out);
		else
			evhttp_send_error(
			    req, HTTP_BADREQUEST, scep_err_str(rc));
		scep_request_free(r);
		buf_free(&out);
		return;
	}
	switch (r->msg_type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		rc = handle_pkcsreq(s, r, &out);
		break;
	case SCEP_MSG_CERTPOLL:
		rc = reply_with_request_state(s, r, &out);
		break;
	case SCEP_MSG_GETCERT:
		rc = handle_getcert(s, r, &out);
		break;
	case SCEP_MSG_GETCRL:
		rc = handle_getcrl(s, r, &out);
		break;
	default:
		rc = scep_reply_failure(r, SCEP_FAIL_BAD_REQUEST,
		    ca_cert(s->ca), ca_key_borrow(s->ca), &out);
		break;
	}
	scep_request_free(r);
	if (rc != 0) {
		buf_free(&out);
		refuse(s, req, HTTP_INTERNAL, "cannot build the reply");
		return;
	}
	reply_der(req, &out);
	buf_free(&out);
}

/* Registration authority mode: the same operations, with the RA cert. */
static void
ra_http(struct pki_svc *s, struct evhttp_request *req)
{
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct pki_server *ps = pki_svc_enabled_server(s->d->cfg);
	struct buf der = BUF_INIT, out = BUF_INIT;
	const char *why = NULL, *ctype = NULL;

	if (query == NULL) {
		refuse(s, req, HTTP_BADREQUEST, "no operation");
	} else if (strstr(query, "operation=GetCACaps") != NULL) {
		const char *caps = scep_getcacaps_text();

		send_body(req, 200, "text/plain", caps, strlen(caps));
	} else if (strstr(query, "operation=GetCACert") != NULL) {
		if (pki_ra_getcacert(s->ra, &out, &ctype) != 0)
			refuse(s, req, HTTP_INTERNAL, "GetCACert failed");
		else
			send_body(req, 200, ctype, out.data, out.len);
	} else if (strstr(query, "operation=PKIOperation") != NULL) {
		if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
			struct evbuffer *in =
			    evhttp_request_get_input_buffer(req);
			size_t len = evbuffer_get_length(in);

			if (len > 0 && len <= SCEP_MAX_MESSAGE) {
				buf_grow(&der, len);
				evbuffer_remove(in, der.data, len);
				der.len = len;
			}
		} else {
			decode_message(query, &der);
		}
		if (der.len == 0)
			refuse(
			    s, req, HTTP_BADREQUEST, "no PKIOperation message");
		else if (pki_ra_operation(s->ra, (const uint8_t *)der.data,
		             der.len, ps != NULL && ps->grant_auto, &out,
		             &why) != 0)
			refuse(s, req, HTTP_BADREQUEST, why ? why : "refused");
		else
			reply_der(req, &out);
	} else {
		refuse(
		    s, req, HTTP_BADREQUEST, "operation not served by an RA");
	}
	buf_free(&der);
	buf_free(&out);
}

void
pki_scep_http_cb(struct evhttp_request *req, void *arg)
{
	struct pki_svc *s = arg;
	struct evkeyvalq params;
	const char *query, *op;
	struct buf der = BUF_INIT;

	s->scep_requests++;
	if (s->ra != NULL) {
		ra_http(s, req);
		return;
	}
	if (s->ca == NULL) {
		refuse(
		    s, req, HTTP_SERVUNAVAIL, "certificate server not enabled");
		return;
	}
	TAILQ_INIT(&params);
	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (query == NULL || evhttp_parse_query_str(query, &params) != 0) {
		refuse(s, req, HTTP_BADREQUEST, "no operation");
		return;
	}
	op = evhttp_find_header(&params, "operation");
	if (op == NULL) {
		refuse(s, req, HTTP_BADREQUEST, "no operation");
	} else if (strcmp(op, "GetCACaps") == 0) {
		const char *caps = scep_getcacaps_text();

		send_body(req, 200, "text/plain", caps, strlen(caps));
	} else if (strcmp(op, "GetCACert") == 0) {
		const char *ctype = NULL;

		if (scep_getcacert_reply(ca_cert(s->ca), NULL, &der, &ctype) !=
		    0)
			refuse(s, req, HTTP_INTERNAL, "GetCACert failed");
		else
			send_body(req, 200, ctype, der.data, der.len);
	} else if (strcmp(op, "GetCRL") == 0) {
		X509_CRL *crl = NULL;
		unsigned char *p = NULL;
		int len;

		if (ca_crl(s->ca, 0, &crl) != 0 ||
		    (len = i2d_X509_CRL(crl, &p)) <= 0) {
			refuse(s, req, HTTP_INTERNAL, "CRL unavailable");
		} else {
			send_body(
			    req, 200, "application/pkix-crl", p, (size_t)len);
		}
		OPENSSL_free(p);
		X509_CRL_free(crl);
	} else if (strcmp(op, "PKIOperation") == 0) {
		if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
			struct evbuffer *in =
			    evhttp_request_get_input_buffer(req);
			size_t len = evbuffer_get_length(in);

			if (len == 0 || len > SCEP_MAX_MESSAGE) {
				refuse(s, req, HTTP_BADREQUEST,
				    "empty or oversized PKIOperation");
				goto out;
			}
			buf_grow(&der, len);
			evbuffer_remove(in, der.data, len);
			der.len = len;
		} else if (decode_message(query, &der) != 0) {
			refuse(s, req, HTTP_BADREQUEST,
			    "PKIOperation message is not base64");
			goto out;
		}
		pki_operation(s, req, &der);
	} else {
		refuse(s, req, HTTP_BADREQUEST, "unknown operation");
	}
out:
	buf_free(&der);
	evhttp_clear_headers(&params);
}
