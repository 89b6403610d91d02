/* The control socket: `opencme` sessions on STATEDIR/opencme.sock. */
#ifndef OPENCME_DAEMON_CONTROL_H
#define OPENCME_DAEMON_CONTROL_H

struct daemon;
struct control;

/* Does a daemon answer on this socket? */
int control_socket_alive(const char *path);
struct control *control_new(struct daemon *d, const char *path);
void control_free(struct control *cs);
/* A configuration object is about to be freed. */
void control_object_deleted(struct control *cs, void *obj);
/* The configuration tree was swapped: every session starts over on it. */
void control_config_swapped(struct control *cs);

#endif
