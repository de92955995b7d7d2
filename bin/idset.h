/*
 * idset.h: a bounded set of int64 key triples seen: aq-dims' de-duplication
 * of rows, and the key hash of aq-norm's window.  Open addressing on
 * (a, b, c) with a != 0; when max entries are kept, the set starts afresh
 * (counted in resets), so that memory stays bounded.
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

#endif /* IDSET_H */
