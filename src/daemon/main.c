/*
 * opencmed: the OpenCME daemon.
 *
 *   opencmed -f CONFIG -d STATEDIR [-v] [-s]   run in the foreground
 *   opencmed -n -f CONFIG [-d STATEDIR]        check a configuration
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/httpd.h"
#include "daemon/publish.h"
#include "svc/capf/capf_svc.h"
#include "svc/phonecfg/phonecfg.h"
#include "svc/pki/pki_svc.h"
#include "svc/sccp/sccp_svc.h"
#include "svc/tftp/tftp_svc.h"
#include "lib/log.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: opencmed [-v] [-s] [-f CONFIG] -d STATEDIR\n"
	    "       opencmed -n -f CONFIG [-d STATEDIR]\n"
	    "  -f CONFIG    startup-config (default STATEDIR/nvram/"
	    "startup-config)\n"
	    "  -d STATEDIR  state directory (flash/, slot0/, nvram/, db/)\n"
	    "  -n           check CONFIG: print the running-config, problems "
	    "to stderr\n"
	    "  -v           debug logging\n"
	    "  -s           log to syslog instead of stderr\n"
	    "  -C           print the command reference (Markdown)\n");
	exit(2);
}

/* -n: parse, print, report; exit status 1 when a command failed. */
static int
check_config(const char *path, const char *statedir)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct config *cfg;
	int errors;

	cfg = daemon_config_load(path, statedir, &err, &errors);
	fputs(buf_str(&err), stderr);
	if (cfg == NULL) {
		buf_free(&err);
		return 1;
	}
	config_write(cfg, &out, 0, 0);
	fputs(buf_str(&out), stdout);
	if (errors > 0)
		fprintf(stderr, "%s: %d error%s\n", path, errors,
		    errors == 1 ? "" : "s");
	buf_wipe(&out);
	buf_free(&err);
	config_free(cfg);
	return errors > 0 ? 1 : 0;
}

static void
signal_cb(evutil_socket_t sig, short events, void *arg)
{
	struct daemon *d = arg;

	(void)events;
	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading %s", d->startup_path);
		daemon_reload(d);
		break;
	default:
		log_info("signal %d: stopping", (int)sig);
		event_base_loopbreak(d->base);
		break;
	}
}

static void
write_pidfile(const char *statedir)
{
	char path[4096], pid[32];
	struct buf msg = BUF_INIT;

	snprintf(path, sizeof(path), "%s/opencmed.pid", statedir);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (daemon_write_file_atomic(path, pid, strlen(pid), 0, &msg) != 0)
		log_warnx("%s", buf_str(&msg));
	buf_free(&msg);
}

static int
run_daemon(const char *config_path, const char *statedir)
{
	struct daemon d;
	struct event *sigs[4];
	const int signums[4] = {SIGTERM, SIGINT, SIGHUP, 0};
	struct buf err = BUF_INIT;
	char sock[4096];
	struct stat st;
	int errors = 0;

	memset(&d, 0, sizeof(d));
	if (daemon_statedir_init(statedir) != 0)
		fatal("state directory %s", statedir);
	snprintf(sock, sizeof(sock), "%s/opencme.sock", statedir);
	if (control_socket_alive(sock))
		fatalx("another opencmed is running on %s", sock);
	d.statedir = xstrdup(statedir);
	if (config_path != NULL) {
		d.startup_path = xstrdup(config_path);
	} else {
		struct buf p = BUF_INIT;

		buf_printf(&p, "%s/nvram/startup-config", statedir);
		d.startup_path = buf_steal(&p);
	}
	daemon_hooks_init(&d);
	if (stat(d.startup_path, &st) == 0) {
		d.cfg =
		    daemon_config_load(d.startup_path, statedir, &err, &errors);
		daemon_log_lines(buf_str(&err));
		if (d.cfg == NULL)
			fatalx("cannot read %s", d.startup_path);
		if (errors > 0)
			log_warnx("%s: %d command%s failed; running with the "
			          "rest",
			    d.startup_path, errors, errors == 1 ? "" : "s");
	} else if (config_path != NULL) {
		fatalx("%s: %s", config_path, strerror(errno));
	} else {
		log_info(
		    "no startup-config at %s: starting empty", d.startup_path);
		d.cfg = config_new();
		d.cfg->master_key = daemon_master_key_load(statedir);
	}
	buf_free(&err);
	d.cfg->hooks = &d.hooks;

	signal(SIGPIPE, SIG_IGN);
	d.base = event_base_new();
	if (d.base == NULL)
		fatalx("event_base_new failed");
	for (int i = 0; signums[i] != 0; i++) {
		sigs[i] = evsignal_new(d.base, signums[i], signal_cb, &d);
		event_add(sigs[i], NULL);
	}
	d.httpd = httpd_new(&d);
	if (pki_svc_start(&d) != 0)
		log_warnx("PKI service not started");
	tftp_svc_start(&d);
	phonecfg_start(&d);
	capf_svc_start(&d);
	sccp_svc_start(&d);
	httpd_reconcile(d.httpd);
	/* The control socket last: its presence tells that we are ready. */
	snprintf(sock, sizeof(sock), "%s/opencme.sock", statedir);
	d.control = control_new(&d, sock);
	if (d.control == NULL)
		fatalx("cannot open the control socket %s", sock);
	write_pidfile(statedir);
	log_info(
	    "opencmed ready (state %s, config %s)", statedir, d.startup_path);
	event_base_dispatch(d.base);

	sccp_svc_stop(&d);
	capf_svc_stop(&d);
	phonecfg_stop(&d);
	tftp_svc_stop(&d);
	pki_svc_stop(&d);
	httpd_free(d.httpd);
	publish_clear();
	control_free(d.control);
	for (int i = 0; signums[i] != 0; i++)
		event_free(sigs[i]);
	event_base_free(d.base);
	config_free(d.cfg);
	snprintf(sock, sizeof(sock), "%s/opencmed.pid", statedir);
	unlink(sock);
	free(d.statedir);
	free(d.startup_path);
	log_redact_clear();
	log_info("opencmed stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL, *statedir = NULL;
	int check = 0, verbose = 0, use_syslog = 0, doc = 0, ch;
	struct buf err = BUF_INIT;

	while ((ch = getopt(argc, argv, "Cd:f:nsvh")) != -1) {
		switch (ch) {
		case 'C':
			doc = 1;
			break;
		case 'd':
			statedir = optarg;
			break;
		case 'f':
			config_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 's':
			use_syslog = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("opencmed", use_syslog, verbose);
	pki_svc_register_cli();
	tftp_svc_register_cli();
	capf_svc_register_cli();
	sccp_svc_register_cli();
	if (config_cli_init(&err) != 0)
		fatalx("command tables are inconsistent:\n%s", buf_str(&err));
	buf_free(&err);
	if (doc) {
		struct buf out = BUF_INIT;

		config_doc_markdown(&out);
		fputs(buf_str(&out), stdout);
		buf_free(&out);
		return 0;
	}
	if (check) {
		if (config_path == NULL)
			usage();
		return check_config(config_path, statedir);
	}
	if (statedir == NULL)
		usage();
	return run_daemon(config_path, statedir);
}
