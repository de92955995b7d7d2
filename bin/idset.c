/* idset.c: a bounded hash set of (a, b, c) int64 keys, and a map of ids
 * to dense indexes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "row.h"

struct idset_slot {
	int64_t a, b, c;
};

void
idset_init(struct idset *s, size_t max)
{
	memset(s, 0, sizeof *s);
	s->max = max;
}

static uint64_t
mix(uint64_t x)
{
	/* splitmix64's finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t
idset_hash(int64_t a, int64_t b, int64_t c)
{
	return mix((uint64_t)a ^ mix((uint64_t)b ^ mix((uint64_t)c)));
}

static struct idset_slot *
find(struct idset_slot *slots, size_t cap, int64_t a, int64_t b, int64_t c)
{
	size_t i = (size_t)idset_hash(a, b, c) & (cap - 1);

	while (slots[i].a != 0 && (slots[i].a != a || slots[i].b != b || slots[i].c != c))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

int
idset_add(struct idset *s, int64_t a, int64_t b, int64_t c)
{
	struct idset_slot *e;
	size_t i;

	if (s->cap > 0 && find(s->slots, s->cap, a, b, c)->a != 0)
		return 0;
	if (s->n + 1 > s->max && s->max > 0) {
		/* bounded memory: start afresh (only for a key that is new,
		 * so that a full set still tells the keys it holds); aq-load's
		 * upsert covers the rare duplicate that gets through */
		memset(s->slots, 0, s->cap * sizeof *s->slots);
		s->n = 0;
		s->resets++;
	}
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct idset_slot *slots = calloc(cap, sizeof *slots);

		if (slots == NULL)
			rows_nomem();
		for (i = 0; i < s->cap; i++)
			if (s->slots[i].a != 0)
				*find(slots, cap, s->slots[i].a, s->slots[i].b, s->slots[i].c) =
				    s->slots[i];
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	e = find(s->slots, s->cap, a, b, c);
	e->a = a;
	e->b = b;
	e->c = c;
	s->n++;
	return 1;
}

void
idset_free(struct idset *s)
{
	free(s->slots);
	memset(s, 0, sizeof *s);
}

/* ---- idmap ---- */

struct idmap_slot {
	int64_t id;		/* 0: empty */
	size_t index;
};

static size_t
map_find(const struct idmap_slot *slots, size_t cap, int64_t id)
{
	size_t i = (size_t)mix((uint64_t)id) & (cap - 1);

	while (slots[i].id != 0 && slots[i].id != id)
		i = (i + 1) & (cap - 1);
	return i;
}

size_t
idmap_put(struct idmap *m, int64_t id, int *isnew)
{
	struct idmap_slot *e;
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct idmap_slot *slots = calloc(cap, sizeof *slots);

		if (slots == NULL)
			rows_nomem();
		for (i = 0; i < m->cap; i++)
			if (m->slots[i].id != 0)
				slots[map_find(slots, cap, m->slots[i].id)] = m->slots[i];
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	e = &m->slots[map_find(m->slots, m->cap, id)];
	if (isnew != NULL)
		*isnew = e->id == 0;
	if (e->id == 0) {
		e->id = id;
		e->index = m->n++;
	}
	return e->index;
}

size_t
idmap_get(const struct idmap *m, int64_t id)
{
	const struct idmap_slot *e;

	if (m->cap == 0 || id == 0)
		return IDMAP_NONE;
	e = &m->slots[map_find(m->slots, m->cap, id)];
	return e->id == id ? e->index : IDMAP_NONE;
}

void
idmap_free(struct idmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}
