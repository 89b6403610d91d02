#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/httpd.h"
#include "svc/phonecfg/phonecfg.h"
#include "svc/pki/pki_svc.h"
#include "svc/capf/capf_svc.h"
#include "svc/sccp/sccp_svc.h"
#include "svc/tftp/tftp_svc.h"
#include "lib/log.h"

static const char *const statedir_subdirs[] = {
    "flash", "slot0", "nvram", "db", "tftp", NULL};

static int
mkdir_private(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
daemon_statedir_init(const char *statedir)
{
	char path[4096];

	if (mkdir_private(statedir) != 0)
		return -1;
	for (int i = 0; statedir_subdirs[i] != NULL; i++) {
		snprintf(
		    path, sizeof(path), "%s/%s", statedir, statedir_subdirs[i]);
		if (mkdir_private(path) != 0)
			return -1;
	}
	return 0;
}

char *
daemon_url_path(const char *statedir, const char *url)
{
	static const char *const prefixes[] = {
	    "flash:", "slot0:", "nvram:", "system:", NULL};
	struct buf b = BUF_INIT;

	for (int i = 0; prefixes[i] != NULL; i++) {
		size_t plen = strlen(prefixes[i]);
		const char *file = url + plen;

		if (strncmp(url, prefixes[i], plen) != 0)
			continue;
		while (*file == '/')
			file++;
		if (strstr(file, "..") != NULL)
			return NULL;
		buf_printf(&b, "%s/%.*s%s%s", statedir, (int)plen - 1,
		    prefixes[i], *file ? "/" : "", file);
		return buf_steal(&b);
	}
	return NULL;
}

static int
read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "r");
	char chunk[8192];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	fclose(f);
	return 0;
}

char *
daemon_master_key_load(const char *statedir)
{
	char path[4096];
	struct buf b = BUF_INIT;
	char *key;

	if (statedir == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/nvram/config-key", statedir);
	if (read_file(path, &b) != 0) {
		buf_free(&b);
		return NULL;
	}
	while (b.len > 0 && (b.data[b.len - 1] == '\n'))
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		buf_wipe(&b);
		return NULL;
	}
	key = xstrdup(buf_str(&b));
	buf_wipe(&b);
	log_redact_add(key);
	return key;
}

void
daemon_log_lines(const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		log_info("%.*s", len, p);
		p += len + (nl != NULL);
	}
}

struct config *
daemon_config_load(
    const char *path, const char *statedir, struct buf *err, int *errors)
{
	struct buf text = BUF_INIT;
	struct config *cfg;
	struct cli_session *s;

	*errors = 0;
	if (read_file(path, &text) != 0) {
		buf_printf(err, "%s: %s\n", path, strerror(errno));
		buf_free(&text);
		return NULL;
	}
	cfg = config_new();
	/* The master key first, so that type 6 values decrypt. */
	cfg->master_key = daemon_master_key_load(statedir);
	s = config_session_new(cfg);
	*errors =
	    cli_load_text(s, path, text.data ? text.data : "", text.len, err);
	config_check_refs(cfg, path, err);
	cli_session_free(s);
	buf_wipe(&text);
	return cfg;
}

int
daemon_write_file_atomic(const char *path, const void *data, size_t len,
    int keep_backup, struct buf *msg)
{
	struct buf tmp = BUF_INIT, bak = BUF_INIT;
	char *dir = xstrdup(path), *slash;
	int fd = -1, dfd, rc = -1;

	buf_printf(&tmp, "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		buf_printf(msg, "%% Cannot create %s: %s\n", tmp.data,
		    strerror(errno));
		goto out;
	}
	{
		const char *p = data;
		size_t left = len;

		while (left > 0) {
			ssize_t n = write(fd, p, left);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				buf_printf(msg, "%% Cannot write %s: %s\n",
				    tmp.data, strerror(errno));
				goto out_unlink;
			}
			p += n;
			left -= (size_t)n;
		}
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		buf_printf(
		    msg, "%% Cannot write %s: %s\n", tmp.data, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (keep_backup) {
		buf_printf(&bak, "%s.bak", path);
		unlink(bak.data);
		if (link(path, bak.data) != 0 && errno != ENOENT)
			log_warn("keeping %s", bak.data);
	}
	if (rename(tmp.data, path) != 0) {
		buf_printf(
		    msg, "%% Cannot replace %s: %s\n", path, strerror(errno));
		goto out_unlink;
	}
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		dfd = open(slash == dir ? "/" : dir, O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	rc = 0;
	goto out;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp.data);
out:
	free(dir);
	buf_free(&tmp);
	buf_free(&bak);
	return rc;
}

int
daemon_write_config(struct daemon *d, struct buf *msg)
{
	struct buf text = BUF_INIT;
	int rc;

	buf_puts(&text, "! OpenCME startup-config\n!\n");
	config_write(d->cfg, &text, 0, 1);
	rc = daemon_write_file_atomic(
	    d->startup_path, text.data, text.len, 1, msg);
	buf_wipe(&text);
	if (rc == 0)
		log_info("configuration saved to %s", d->startup_path);
	else
		log_warnx(
		    "saving the configuration to %s failed", d->startup_path);
	return rc;
}

/* ---- hooks given to the configuration ---- */

static int
hook_write_memory(void *arg, struct buf *msg)
{
	return daemon_write_config(arg, msg);
}

static int
hook_show_startup(void *arg, struct buf *out)
{
	struct daemon *d = arg;

	if (read_file(d->startup_path, out) != 0) {
		buf_printf(out, "%% startup-config is not present\n");
		return -1;
	}
	return 0;
}

static int
hook_save_master_key(void *arg, const char *key, struct buf *msg)
{
	struct daemon *d = arg;
	char path[4096];

	snprintf(path, sizeof(path), "%s/nvram/config-key", d->statedir);
	if (key == NULL) {
		if (unlink(path) != 0 && errno != ENOENT) {
			buf_printf(msg, "%% Cannot delete the master key: %s\n",
			    strerror(errno));
			return -1;
		}
		log_info("type 6 master key deleted");
		return 0;
	}
	if (daemon_write_file_atomic(path, key, strlen(key), 0, msg) != 0)
		return -1;
	log_info("type 6 master key changed");
	return 0;
}

static void
hook_changed(void *arg, const char *what)
{
	struct daemon *d = arg;

	log_debug("configuration changed: %s", what);
	pki_svc_changed(d, what);
	tftp_svc_changed(d, what);
	phonecfg_changed(d, what);
	capf_svc_changed(d, what);
	sccp_svc_changed(d, what);
	/* New certificates or HTTP settings: the listeners follow. */
	if ((strncmp(what, "ip http", 7) == 0 ||
	        strncmp(what, "crypto pki", 10) == 0) &&
	    d->httpd != NULL)
		httpd_reconcile(d->httpd);
}

static int
hook_ctl_regenerate(void *arg, int force, struct buf *msg)
{
	(void)arg;
	return phonecfg_ctl_generate(force, msg);
}

static void
hook_object_deleted(void *arg, void *obj)
{
	struct daemon *d = arg;

	control_object_deleted(d->control, obj);
}

void
daemon_hooks_init(struct daemon *d)
{
	d->hooks.arg = d;
	d->hooks.write_memory = hook_write_memory;
	d->hooks.show_startup = hook_show_startup;
	d->hooks.save_master_key = hook_save_master_key;
	d->hooks.changed = hook_changed;
	d->hooks.object_deleted = hook_object_deleted;
	d->hooks.ctl_regenerate = hook_ctl_regenerate;
	d->hooks.show_service = NULL;
}

int
daemon_reload(struct daemon *d)
{
	struct buf err = BUF_INIT;
	struct config *cfg, *old;
	int errors;

	cfg = daemon_config_load(d->startup_path, d->statedir, &err, &errors);
	daemon_log_lines(buf_str(&err));
	buf_free(&err);
	if (cfg == NULL || errors > 0) {
		log_warnx("reload of %s failed (%d errors); the running "
		          "configuration is unchanged",
		    d->startup_path, errors);
		config_free(cfg);
		return -1;
	}
	cfg->hooks = &d->hooks;
	old = d->cfg;
	d->cfg = cfg;
	/* Sessions hold pointers into the old tree: move them first. */
	control_config_swapped(d->control);
	config_free(old);
	if (d->httpd != NULL)
		httpd_reconcile(d->httpd);
	pki_svc_changed(d, "reload");
	phonecfg_changed(d, "reload");
	sccp_svc_changed(d, "reload");
	d->reloads++;
	log_info("configuration reloaded from %s", d->startup_path);
	return 0;
}
