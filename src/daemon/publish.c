#include <stdlib.h>
#include <string.h>

#include "daemon/publish.h"
#include "lib/buf.h"

struct pub_blob {
	unsigned refs;
	size_t len;
	uint8_t data[];
};

struct entry {
	char *name;
	struct pub_blob *blob;
	struct entry *next;
};

#define NBUCKETS 4096 /* power of two; chains stay short for 10k+ phones */

static struct entry *buckets[NBUCKETS];
static size_t nentries;

struct pub_blob *
pub_blob_new(const void *data, size_t len)
{
	struct pub_blob *b = xmalloc(sizeof(*b) + len);

	b->refs = 1;
	b->len = len;
	if (len > 0)
		memcpy(b->data, data, len);
	return b;
}

void
pub_blob_ref(struct pub_blob *b)
{
	b->refs++;
}

void
pub_blob_unref(struct pub_blob *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

const uint8_t *
pub_blob_data(const struct pub_blob *b)
{
	return b->data;
}

size_t
pub_blob_len(const struct pub_blob *b)
{
	return b->len;
}

static unsigned
hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h & (NBUCKETS - 1);
}

static struct entry **
find(const char *name)
{
	struct entry **p = &buckets[hash(name)];

	while (*p != NULL && strcmp((*p)->name, name) != 0)
		p = &(*p)->next;
	return p;
}

int
publish_put_blob(const char *name, struct pub_blob *b)
{
	struct entry **p = find(name);

	pub_blob_ref(b);
	if (*p != NULL) {
		pub_blob_unref((*p)->blob);
		(*p)->blob = b;
		return 0;
	}
	*p = xcalloc(1, sizeof(**p));
	(*p)->name = xstrdup(name);
	(*p)->blob = b;
	nentries++;
	return 0;
}

int
publish_put(const char *name, const void *data, size_t len)
{
	struct pub_blob *b = pub_blob_new(data, len);
	int rc = publish_put_blob(name, b);

	pub_blob_unref(b);
	return rc;
}

int
publish_remove(const char *name)
{
	struct entry **p = find(name), *e = *p;

	if (e == NULL)
		return -1;
	*p = e->next;
	pub_blob_unref(e->blob);
	free(e->name);
	free(e);
	nentries--;
	return 0;
}

struct pub_blob *
publish_get(const char *name)
{
	struct entry *e = *find(name);

	if (e == NULL)
		return NULL;
	pub_blob_ref(e->blob);
	return e->blob;
}

void
publish_foreach(publish_fn *fn, void *arg)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct entry *e = buckets[i]; e != NULL; e = e->next)
			fn(e->name, e->blob, arg);
}

size_t
publish_count(void)
{
	return nentries;
}

void
publish_clear(void)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		while (buckets[i] != NULL) {
			struct entry *e = buckets[i];

			buckets[i] = e->next;
			pub_blob_unref(e->blob);
			free(e->name);
			free(e);
		}
	nentries = 0;
}
