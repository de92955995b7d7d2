/*
 * idset.h: hash tables of int64 ids.  struct idset is a bounded set of
 * key triples seen (aq-dims' de-duplication of rows): open addressing on
 * (a, b, c) with a != 0; when max entries are kept, the set starts afresh
 * (counted in resets), so that memory stays bounded.  idset_hash() is its
 * hash, which aq-norm's window uses too.  struct idmap maps ids to dense
 * indexes, for per-id values such as aq-fetch's and sensors.c's tables.
 */
#ifndef IDSET_H
#define IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset {
	struct idset_slot *slots;
	size_t cap;		/* slots, a power of two */
	size_t n;
	size_t max;		/* entries kept before the set starts afresh */
	unsigned long resets;
};

void idset_init(struct idset *s, size_t max);
/* 1 if (a, b, c) is new (and now kept), 0 if it was seen.  a != 0. */
int idset_add(struct idset *s, int64_t a, int64_t b, int64_t c);
void idset_free(struct idset *s);
/* The hash of (a, b, c) that the set probes with (splitmix64's finaliser,
 * chained): well spread in every bit, for tables of another shape. */
uint64_t idset_hash(int64_t a, int64_t b, int64_t c);

/*
 * A map from ids (>= 1) to dense indexes 0, 1, 2... in the order the ids
 * were first put, so that the caller keeps the values in an array of its
 * own (vals[index]) of any type.  Unbounded; zero-initialise it.
 */
struct idmap {
	struct idmap_slot *slots;
	size_t cap;		/* slots, a power of two */
	size_t n;		/* ids kept: the next index */
};

#define IDMAP_NONE ((size_t)-1)

/* The index of id (>= 1); a new id gets index n, and *isnew (if not
 * NULL) says which. */
size_t idmap_put(struct idmap *m, int64_t id, int *isnew);
/* The index of id, or IDMAP_NONE. */
size_t idmap_get(const struct idmap *m, int64_t id);
void idmap_free(struct idmap *m);

#endif /* IDSET_H */
