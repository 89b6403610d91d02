/*
 * opencmed: the daemon's shared state.  One event loop runs every
 * service; the configuration tree is owned here and swapped on reload.
 */
#ifndef OPENCME_DAEMON_DAEMON_H
#define OPENCME_DAEMON_DAEMON_H

#include "config/config.h"

struct event_base;
struct control;

struct daemon {
	struct event_base *base;
	char *statedir;
	char *startup_path; /* -f CONFIG, or STATEDIR/nvram/startup-config */
	struct config *cfg;
	struct config_hooks hooks;
	struct control *control;
	struct httpd *httpd;
	int reloads;
};

/*
 * A service on the loop (OpenBSD procs[] / baresip modules): started in
 * table order after the configuration is loaded, told about reloads and
 * configuration changes, stopped in reverse order.
 */
struct service {
	const char *name;
	int (*start)(struct daemon *d);
	void (*reload)(struct daemon *d);
	void (*changed)(struct daemon *d, const char *what);
	void (*stop)(struct daemon *d);
};

/* State directory layout (created at start, mode 0700). */
int daemon_statedir_init(const char *statedir);
/* Resolve an IOS file URL (flash:x, slot0:x, nvram:x) inside STATEDIR;
 * refuses ".." and absolute paths.  Returns a malloc'ed path or NULL. */
char *daemon_url_path(const char *statedir, const char *url);

/* Master key file STATEDIR/nvram/config-key (0600). */
char *daemon_master_key_load(const char *statedir);

/* Load a startup-config file into a fresh tree.  Problems to err;
 * *errors counts the commands in scope that failed.  NULL when the file
 * cannot be read. */
struct config *daemon_config_load(
    const char *path, const char *statedir, struct buf *err, int *errors);

/* Write the running-config atomically (temp, fsync, .bak, rename,
 * fsync dir).  On failure the old file is intact. */
int daemon_write_config(struct daemon *d, struct buf *msg);

/* Atomic write of a small private file (mode 0600). */
int daemon_write_file_atomic(const char *path, const void *data, size_t len,
    int keep_backup, struct buf *msg);

/* Log a multi-line text one line at a time. */
void daemon_log_lines(const char *text);
void daemon_hooks_init(struct daemon *d);
int daemon_reload(struct daemon *d);

#endif
