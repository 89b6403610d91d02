/*
 * opencme-phone: Cisco phone emulator.  Options, the per-phone boot
 * state machine driver (one thread per phone) and the report.
 * See doc/opencme-phone.md.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "media/srtp_crypto.h"
#include "phone.h"

#define MAX_PHONES 4096

/* --key-pool DIR (capf_client.c): pre-generated phone keys DIR/<MAC>.key. */
extern const char *phone_key_pool;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: " PROG " --tftp ADDR[:PORT] (--mac MAC ... | --mac FIRST "
	    "--count N)\n"
	    "       [--model 7970] [--state DIR] [--auth-string DIGITS]\n"
	    "       [--mic-cert PEM --mic-key PEM] [--capf-only] "
	    "[--no-capf]\n"
	    "       [--report json] [--timeout S] [--keygen-delay S] "
	    "[--no-keygen-answer]\n"
	    "       [--key-pool DIR] [--source-ip FIRST] [--no-register]\n"
	    "       [--hold-seconds S] [--sccp-tls-port P] [--force-tcp]\n"
	    "       [--tls-keylog FILE] [--call NUMBER] [--no-answer] "
	    "[--ring-ms MS]\n"
	    "       [--hold-resume] [--rtcp-interval-ms MS]\n");
}

static void
vlog_line(const struct phone *p, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, PROG ": %s: ", p->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

void
phone_fail(struct phone *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->failed_in = p->state;
	p->state = PHONE_FAILED;
}

void
phone_log(const struct phone *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(p, fmt, ap);
	va_end(ap);
}

int
phone_read_file(const char *path, size_t max, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max) {
			fclose(f);
			errno = EFBIG;
			return -1;
		}
		buf_append(out, chunk, n);
	}
	if (ferror(f)) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	return 0;
}

int
phone_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[4300];
	const char *d = data;
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) < 0)
		goto fail;
	while (len > 0) {
		ssize_t w = write(fd, d, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		d += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
phone_path(const struct phone *p, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", p->dir, name);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* "0011.2233.4401", "00:11:22:33:44:01", "SEP001122334401" -> 48 bits. */
static int
parse_mac(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	if (strncasecmp(s, "SEP", 3) == 0)
		s += 3;
	for (; *s; s++) {
		if (*s == '.' || *s == ':' || *s == '-')
			continue;
		if (!isxdigit((unsigned char)*s) || ++digits > 12)
			return -1;
		v = v << 4 |
		    (uint64_t)(isdigit((unsigned char)*s)
		            ? *s - '0'
		            : toupper((unsigned char)*s) - 'A' + 10);
	}
	if (digits != 12)
		return -1;
	*out = v;
	return 0;
}

static int
mkdir_p(const char *path)
{
	char tmp[4096];
	size_t len = strlen(path);

	if (len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (char *q = tmp + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*q = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
copy_in(struct phone *p, const char *src, const char *name, unsigned mode)
{
	struct buf b = BUF_INIT;
	char dst[4200];
	int rc = -1;

	if (phone_read_file(src, 1u << 20, &b) == 0 &&
	    phone_path(p, name, dst, sizeof(dst)) == 0 &&
	    phone_write_file(dst, b.data, b.len, mode) == 0)
		rc = 0;
	buf_wipe(&b);
	return rc;
}

/* The boot state machine.  Later: REGISTER (SCCP), then calls. */
static void *
phone_run(void *arg)
{
	struct phone *p = arg;
	const struct phone_opts *o = p->o;

	p->state = PHONE_INIT;
	if (mkdir_p(p->dir) < 0) {
		phone_fail(p, "cannot create %s: %s", p->dir, strerror(errno));
		goto done;
	}
	if (o->mic_cert &&
	    (copy_in(p, o->mic_cert, "mic.pem", 0644) < 0 ||
	        copy_in(p, o->mic_key, "mic.key", 0600) < 0)) {
		phone_fail(p, "cannot install the MIC: %s", strerror(errno));
		goto done;
	}
	while (p->state != PHONE_FAILED && p->state != PHONE_BOOTED) {
		switch (p->state) {
		case PHONE_INIT:
			(void)phone_boot_trust(p);
			break;
		case PHONE_TRUST:
			(void)phone_boot_config(p);
			break;
		case PHONE_CONFIG:
			if (!p->cfg.has_capf || o->no_capf) {
				p->state = PHONE_CAPF;
				break;
			}
			if (phone_capf_run(p) < 0)
				phone_fail(p, "CAPF %s failed: %s",
				    p->capf.operation, p->capf.detail);
			break;
		case PHONE_CAPF:
			if (o->capf_only || o->no_register) {
				p->state = PHONE_BOOTED;
				break;
			}
			if (phone_sccp_run(p) < 0)
				phone_fail(p,
				    "SCCP registration over %s failed: %s",
				    p->sccp.transport ? p->sccp.transport : "-",
				    p->sccp.detail);
			else
				p->state = PHONE_BOOTED;
			break;
		default:
			p->state = PHONE_FAILED;
			break;
		}
	}
done:
	phone_calls_arrive(p, 1);
	if (p->state == PHONE_FAILED)
		phone_log(p, "boot failed: %s", p->err);
	else if (p->sccp.ran)
		phone_log(p,
		    "booted; registered over %s, %u keepalive ack(s), "
		    "unregistered",
		    p->sccp.transport, p->sccp.keepalive_acks);
	else if (p->capf.ran)
		phone_log(p, "booted; CAPF %s: %s", p->capf.operation,
		    p->capf.detail);
	else
		phone_log(p, "booted");
	return NULL;
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *
state_name(enum phone_state s)
{
	static const char *const names[] = {
	    "init", "trust", "config", "capf", "register", "booted", "failed"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static const char *
suite_name(uint32_t alg)
{
	const char *s = srtpc_suite_name((enum srtpc_suite)alg);

	return alg == 0 ? "none" : s ? s : "unknown";
}

/* Per call: who, states, security, media counters (never keys). */
static void
report_calls(FILE *f, const struct phone *p)
{
	fputs("[", f);
	for (unsigned i = 0; i < p->n_calls; i++) {
		const struct phone_call *c = &p->calls[i];
		int secure =
		    c->was_encrypted && c->rx_alg != 0 && c->tx_alg != 0;

		fprintf(f, "%s\n    {\"ref\": %u, \"number\": ", i ? "," : "",
		    c->ref);
		json_str(f, c->number);
		fputs(", \"direction\": ", f);
		json_str(f, c->outgoing ? "outgoing" : "incoming");
		fputs(", \"state\": ", f);
		json_str(f,
		    phone_call_state_name(
		        c->last_active ? c->last_active : c->state));
		fputs(", \"final_state\": ", f);
		json_str(f, phone_call_state_name(c->state));
		fputs(", \"states\": [", f);
		for (unsigned k = 0; k < c->n_states; k++) {
			fputs(k ? ", " : "", f);
			json_str(f, phone_call_state_name(c->states[k]));
		}
		fprintf(f,
		    "], \"connected\": %s, \"security_status\": %d, "
		    "\"secure\": %s, \"suite\": ",
		    c->connected ? "true" : "false", c->security_status,
		    secure ? "true" : "false");
		json_str(f, suite_name(c->tx_alg ? c->tx_alg : c->rx_alg));
		fprintf(f,
		    ",\n     \"streams\": %u, \"packets\": {\"sent\": %llu, "
		    "\"received\": %llu, \"auth_failed\": %llu, "
		    "\"replayed\": %llu, \"bad_pattern\": %llu, "
		    "\"lost\": %llu, \"hold_audio\": %llu,\n     \"rtcp_sent\": %llu, "
		    "\"rtcp_received\": %llu, \"rtcp_auth_failed\": %llu, "
		    "\"rtcp_malformed\": %llu}}",
		    c->streams, (unsigned long long)c->sent,
		    (unsigned long long)c->received,
		    (unsigned long long)c->auth_failed,
		    (unsigned long long)c->replayed,
		    (unsigned long long)c->bad_pattern,
		    (unsigned long long)c->lost,
		    (unsigned long long)c->hold_audio,
		    (unsigned long long)c->rtcp_sent,
		    (unsigned long long)c->rtcp_received,
		    (unsigned long long)c->rtcp_auth_failed,
		    (unsigned long long)c->rtcp_malformed);
	}
	fprintf(f, "%s]", p->n_calls ? "\n   " : "");
}

static void
report_json(FILE *f, struct phone *phones, size_t n)
{
	fputs("[\n", f);
	for (size_t i = 0; i < n; i++) {
		struct phone *p = &phones[i];
		char serial[128], subject[512], na[64];

		phone_lsc_info(p, serial, sizeof(serial), subject,
		    sizeof(subject), na, sizeof(na));
		fputs("  {\"mac\": ", f);
		json_str(f, p->mac);
		fputs(", \"name\": ", f);
		json_str(f, p->name);
		fputs(", \"model\": ", f);
		json_str(f, p->o->model);
		fprintf(f, ", \"ok\": %s, \"state\": ",
		    p->state == PHONE_BOOTED ? "true" : "false");
		json_str(f,
		    state_name(
		        p->state == PHONE_FAILED ? p->failed_in : p->state));
		fputs(", \"error\": ", f);
		json_str(f, p->state == PHONE_FAILED ? p->err : "");
		fputs(",\n   \"trust_list\": {\"file\": ", f);
		json_str(f, p->trust_file);
		fputs(", \"sha1\": ", f);
		json_str(f, p->trust ? p->trust_sha1 : "");
		fputs(", \"signer\": ", f);
		json_str(f, p->trust ? p->trust_signer : "");
		fputs(", \"accepted\": ", f);
		json_str(f, p->trust_how ? p->trust_how : "");
		fprintf(f, ", \"records\": %zu},\n",
		    p->trust ? p->trust->n_records : (size_t)0);
		fprintf(f,
		    "   \"config\": {\"loaded\": %s, \"signed\": %s, "
		    "\"security_mode\": %d, \"capf_auth_mode\": %d, "
		    "\"capf\": ",
		    p->cfg.loaded ? "true" : "false",
		    p->cfg.signed_file ? "true" : "false", p->cfg.security_mode,
		    p->cfg.capf_auth_mode);
		if (p->cfg.has_capf) {
			fputs("{\"host\": ", f);
			json_str(f, p->cfg.capf_host);
			fprintf(f, ", \"port\": %u}", p->cfg.capf_port);
		} else {
			fputs("null", f);
		}
		fputs(", \"ccm\": ", f);
		json_str(f, p->cfg.ccm_host);
		fputs("},\n   \"capf\": ", f);
		if (p->capf.ran) {
			fprintf(f, "{\"ok\": %s, \"operation\": ",
			    p->capf.ok ? "true" : "false");
			json_str(f, p->capf.operation);
			fprintf(f, ", \"end_reason\": %d, \"detail\": ",
			    p->capf.end_reason);
			json_str(f, p->capf.detail);
			fputs("}", f);
		} else {
			fputs("null", f);
		}
		fputs(",\n   \"lsc\": ", f);
		if (serial[0]) {
			fputs("{\"serial\": ", f);
			json_str(f, serial);
			fputs(", \"subject\": ", f);
			json_str(f, subject);
			fputs(", \"not_after\": ", f);
			json_str(f, na);
			fputs("}", f);
		} else {
			fputs("null", f);
		}
		fputs(",\n   \"sccp\": ", f);
		if (p->sccp.ran) {
			fprintf(f,
			    "{\"registered\": %s, \"unregistered\": %s, "
			    "\"transport\": ",
			    p->sccp.registered ? "true" : "false",
			    p->sccp.unregistered ? "true" : "false");
			json_str(f, p->sccp.transport);
			fputs(", \"tls_version\": ", f);
			json_str(f, p->sccp.tls_version);
			fputs(", \"tls_cipher\": ", f);
			json_str(f, p->sccp.tls_cipher);
			fprintf(f,
			    ", \"security_mode\": %d, \"protocol_offered\": "
			    "%u, \"protocol\": %u, \"keepalive\": %u, "
			    "\"keepalive_acks\": %u, \"reject\": ",
			    p->cfg.security_mode, p->sccp.proto_offered,
			    p->sccp.proto, p->sccp.keepalive_s,
			    p->sccp.keepalive_acks);
			json_str(f, p->sccp.reject);
			fputs(", \"detail\": ", f);
			json_str(f, p->sccp.detail);
			fputs("}", f);
		} else {
			fputs("null", f);
		}
		fputs(",\n   \"calls\": ", f);
		report_calls(f, p);
		fprintf(f, "}%s\n", i + 1 < n ? "," : "");
	}
	fputs("]\n", f);
}

static int
parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* ADDR, ADDR:PORT, [V6]:PORT */
static int
parse_tftp(char *s, struct phone_opts *o)
{
	char *c;

	o->tftp_port = "69";
	if (*s == '[') {
		c = strchr(s, ']');
		if (c == NULL)
			return -1;
		*c = '\0';
		o->tftp_host = s + 1;
		if (c[1] == ':')
			o->tftp_port = c + 2;
		else if (c[1] != '\0')
			return -1;
	} else if ((c = strchr(s, ':')) != NULL && strchr(c + 1, ':') == NULL) {
		*c = '\0';
		o->tftp_host = s;
		o->tftp_port = c + 1;
	} else {
		o->tftp_host = s;
	}
	return *o->tftp_host && *o->tftp_port ? 0 : -1;
}

int
phone_bind_source(const struct phone *p, int fd, int family)
{
	struct sockaddr_in sin;

	if (p->source_ip == 0 || family != AF_INET)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(p->source_ip);
	return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

int
main(int argc, char **argv)
{
	enum {
		O_TFTP = 256,
		O_MAC,
		O_COUNT,
		O_MODEL,
		O_STATE,
		O_AUTH,
		O_MIC_CERT,
		O_MIC_KEY,
		O_CAPF_ONLY,
		O_NO_CAPF,
		O_REPORT,
		O_TIMEOUT,
		O_KG_DELAY,
		O_NO_KG,
		O_KEY_POOL,
		O_NO_REGISTER,
		O_HOLD,
		O_TLS_PORT,
		O_FORCE_TCP,
		O_KEYLOG,
		O_SOURCE_IP,
		O_CALL,
		O_NO_ANSWER,
		O_RING_MS,
		O_HOLD_RESUME,
		O_RTCP_MS,
		O_HELP,
	};
	static const struct option longopts[] = {
	    {"tftp", required_argument, NULL, O_TFTP},
	    {"mac", required_argument, NULL, O_MAC},
	    {"count", required_argument, NULL, O_COUNT},
	    {"model", required_argument, NULL, O_MODEL},
	    {"state", required_argument, NULL, O_STATE},
	    {"auth-string", required_argument, NULL, O_AUTH},
	    {"mic-cert", required_argument, NULL, O_MIC_CERT},
	    {"mic-key", required_argument, NULL, O_MIC_KEY},
	    {"capf-only", no_argument, NULL, O_CAPF_ONLY},
	    {"no-capf", no_argument, NULL, O_NO_CAPF},
	    {"report", required_argument, NULL, O_REPORT},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"keygen-delay", required_argument, NULL, O_KG_DELAY},
	    {"no-keygen-answer", no_argument, NULL, O_NO_KG},
	    {"key-pool", required_argument, NULL, O_KEY_POOL},
	    {"no-register", no_argument, NULL, O_NO_REGISTER},
	    {"hold-seconds", required_argument, NULL, O_HOLD},
	    {"sccp-tls-port", required_argument, NULL, O_TLS_PORT},
	    {"force-tcp", no_argument, NULL, O_FORCE_TCP},
	    {"tls-keylog", required_argument, NULL, O_KEYLOG},
	    {"source-ip", required_argument, NULL, O_SOURCE_IP},
	    {"call", required_argument, NULL, O_CALL},
	    {"no-answer", no_argument, NULL, O_NO_ANSWER},
	    {"ring-ms", required_argument, NULL, O_RING_MS},
	    {"hold-resume", no_argument, NULL, O_HOLD_RESUME},
	    {"rtcp-interval-ms", required_argument, NULL, O_RTCP_MS},
	    {"help", no_argument, NULL, O_HELP},
	    {NULL, 0, NULL, 0},
	};
	struct phone_opts o;
	uint64_t macs[64];
	size_t n_macs = 0, n;
	unsigned count = 0;
	struct phone *phones;
	pthread_t *threads;
	int c, failed = 0;

	memset(&o, 0, sizeof(o));
	o.model = "7970";
	o.state_dir = "phones";
	o.timeout_s = 10;
	o.ring_ms = 300;
	o.rtcp_ms = 5000;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_TFTP:
			if (parse_tftp(optarg, &o) < 0) {
				fprintf(
				    stderr, PROG ": bad --tftp %s\n", optarg);
				return 2;
			}
			break;
		case O_MAC:
			if (n_macs >= sizeof(macs) / sizeof(macs[0]) ||
			    parse_mac(optarg, &macs[n_macs]) < 0) {
				fprintf(
				    stderr, PROG ": bad --mac %s\n", optarg);
				return 2;
			}
			n_macs++;
			break;
		case O_COUNT:
			if (parse_uint(optarg, MAX_PHONES, &count) < 0 ||
			    count == 0) {
				fprintf(stderr, PROG ": --count is 1..%d\n",
				    MAX_PHONES);
				return 2;
			}
			break;
		case O_MODEL:
			o.model = optarg;
			break;
		case O_STATE:
			o.state_dir = optarg;
			break;
		case O_AUTH:
			for (const char *q = optarg; *q; q++)
				if (!isdigit((unsigned char)*q)) {
					fprintf(stderr,
					    PROG ": --auth-string takes "
					         "digits\n");
					return 2;
				}
			o.auth_string = optarg;
			break;
		case O_MIC_CERT:
			o.mic_cert = optarg;
			break;
		case O_MIC_KEY:
			o.mic_key = optarg;
			break;
		case O_CAPF_ONLY:
			o.capf_only = 1;
			break;
		case O_NO_CAPF:
			o.no_capf = 1;
			break;
		case O_REPORT:
			if (strcmp(optarg, "json") != 0) {
				fprintf(stderr, PROG ": --report json\n");
				return 2;
			}
			o.report_json = 1;
			break;
		case O_TIMEOUT:
			if (parse_uint(optarg, 3600, &o.timeout_s) < 0 ||
			    o.timeout_s == 0) {
				fprintf(
				    stderr, PROG ": --timeout is 1..3600\n");
				return 2;
			}
			break;
		case O_KG_DELAY:
			if (parse_uint(optarg, 3600, &o.keygen_delay_s) < 0) {
				fprintf(stderr,
				    PROG ": --keygen-delay is 0..3600\n");
				return 2;
			}
			break;
		case O_NO_KG:
			o.no_keygen_answer = 1;
			break;
		case O_KEY_POOL:
			phone_key_pool = optarg;
			break;
		case O_NO_REGISTER:
			o.no_register = 1;
			break;
		case O_HOLD:
			if (parse_uint(optarg, 86400, &o.hold_s) < 0) {
				fprintf(stderr,
				    PROG ": --hold-seconds is 0..86400\n");
				return 2;
			}
			break;
		case O_TLS_PORT:
			if (parse_uint(optarg, 65535, &o.sccp_tls_port) < 0 ||
			    o.sccp_tls_port == 0) {
				fprintf(stderr,
				    PROG ": --sccp-tls-port is 1..65535\n");
				return 2;
			}
			break;
		case O_FORCE_TCP:
			o.force_tcp = 1;
			break;
		case O_KEYLOG:
			/* Test only: lets tshark decrypt the sessions. */
			if (phone_keylog_open(optarg) < 0) {
				fprintf(stderr, PROG ": --tls-keylog %s: %s\n",
				    optarg, strerror(errno));
				return 2;
			}
			fprintf(stderr,
			    PROG ": writing TLS secrets to %s (test only)\n",
			    optarg);
			break;
		case O_SOURCE_IP: {
			struct in_addr a;

			if (inet_pton(AF_INET, optarg, &a) != 1 ||
			    a.s_addr == 0) {
				fprintf(stderr,
				    PROG ": --source-ip takes an IPv4 "
				         "address\n");
				return 2;
			}
			o.source_ip = ntohl(a.s_addr);
			break;
		}
		case O_CALL:
			if (*optarg == '\0' || strlen(optarg) > 24 ||
			    strspn(optarg, "0123456789*#") != strlen(optarg)) {
				fprintf(stderr,
				    PROG ": --call takes up to 24 digits, * "
				         "and #\n");
				return 2;
			}
			o.call_number = optarg;
			break;
		case O_HOLD_RESUME:
			o.hold_resume = 1;
			break;
		case O_NO_ANSWER:
			o.no_answer = 1;
			break;
		case O_RING_MS:
			if (parse_uint(optarg, 600000, &o.ring_ms) < 0) {
				fprintf(
				    stderr, PROG ": --ring-ms is 0..600000\n");
				return 2;
			}
			break;
		case O_RTCP_MS:
			if (parse_uint(optarg, 600000, &o.rtcp_ms) < 0) {
				fprintf(stderr,
				    PROG ": --rtcp-interval-ms is 0..600000\n");
				return 2;
			}
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || o.tftp_host == NULL || n_macs == 0 ||
	    (count && n_macs != 1) || (!o.mic_cert != !o.mic_key)) {
		usage(stderr);
		return 2;
	}
	n = count ? count : n_macs;
	if (o.source_ip != 0 && o.source_ip + (n - 1) < o.source_ip) {
		fprintf(stderr,
		    PROG ": --source-ip runs past the last "
		         "address\n");
		return 2;
	}
	if (count && macs[0] + count - 1 > 0xffffffffffffULL) {
		fprintf(stderr, PROG ": --count runs past the last MAC\n");
		return 2;
	}

	o.n_phones = n;
	xmlInitParser();
	OPENSSL_init_ssl(0, NULL);
	if (srtpc_init() != SRTPC_OK) {
		fprintf(stderr, PROG ": cannot initialise SRTP\n");
		return 1;
	}
	phones = xcalloc(n, sizeof(*phones));
	threads = xcalloc(n, sizeof(*threads));
	for (size_t i = 0; i < n; i++) {
		struct phone *p = &phones[i];
		uint64_t mac = count ? macs[0] + i : macs[i];

		p->o = &o;
		p->index = i;
		p->source_ip = o.source_ip ? o.source_ip + (uint32_t)i : 0;
		p->cfg.security_mode = -1;
		p->cfg.capf_auth_mode = -1;
		snprintf(
		    p->mac, sizeof(p->mac), "%012llX", (unsigned long long)mac);
		snprintf(p->name, sizeof(p->name), "SEP%s", p->mac);
		if ((size_t)snprintf(p->dir, sizeof(p->dir), "%s/%s",
		        o.state_dir, p->name) >= sizeof(p->dir)) {
			fprintf(stderr, PROG ": --state path too long\n");
			return 2;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (pthread_create(&threads[i], NULL, phone_run, &phones[i]) !=
		    0) {
			/* Out of threads: run this one here. */
			threads[i] = 0;
			phone_run(&phones[i]);
		}
	for (size_t i = 0; i < n; i++)
		if (threads[i])
			pthread_join(threads[i], NULL);
	for (size_t i = 0; i < n; i++)
		if (phones[i].state != PHONE_BOOTED)
			failed++;
	if (o.report_json)
		report_json(stdout, phones, n);
	if (failed)
		fprintf(
		    stderr, PROG ": %d of %zu phone(s) failed\n", failed, n);
	for (size_t i = 0; i < n; i++)
		tlv_file_free(phones[i].trust);
	free(phones);
	free(threads);
	xmlCleanupParser();
	return failed ? 1 : 0;
}
