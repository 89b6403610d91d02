/*
 * The published-file view: what phones may fetch (TFTP today, HTTP
 * provisioning later).  Services that generate files (trust lists,
 * signed configuration files) put them here; services that serve files
 * read them from here, so no service depends on another.
 *
 * Files are immutable, reference-counted blobs: replacing a name never
 * changes bytes a transfer already holds ("never served half-written"),
 * and one blob can be published under many names (the per-phone copies
 * of a trust list).
 */
#ifndef OPENCME_DAEMON_PUBLISH_H
#define OPENCME_DAEMON_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

struct pub_blob;

struct pub_blob *pub_blob_new(const void *data, size_t len);
void pub_blob_ref(struct pub_blob *b);
void pub_blob_unref(struct pub_blob *b);
const uint8_t *pub_blob_data(const struct pub_blob *b);
size_t pub_blob_len(const struct pub_blob *b);

/* Publish (or replace) name.  put copies data; put_blob takes a new
 * reference on b.  Names are matched exactly. */
int publish_put(const char *name, const void *data, size_t len);
int publish_put_blob(const char *name, struct pub_blob *b);
/* Returns 0, or -1 when name was not published. */
int publish_remove(const char *name);
/* A new reference to the blob published as name, or NULL. */
struct pub_blob *publish_get(const char *name);

/* Every published name, in no particular order. */
typedef void publish_fn(const char *name, const struct pub_blob *b, void *arg);
void publish_foreach(publish_fn *fn, void *arg);
size_t publish_count(void);
/* Drop everything (daemon stop, tests). */
void publish_clear(void);

#endif
