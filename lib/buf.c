/* buf.c: the growable byte buffer and the arena. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq-int.h"

int
aq_buf_reserve(struct aq_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b == NULL)
		return AQ_EINVAL;
	if (n > SIZE_MAX - b->len - 1)
		return AQ_ENOMEM;
	need = b->len + n + 1;
	if (need <= b->cap)
		return AQ_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return AQ_ENOMEM;
	if (b->data == NULL)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return AQ_OK;
}

int
aq_buf_append(struct aq_buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = aq_buf_reserve(b, n)) != AQ_OK)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return AQ_OK;
}

int
aq_buf_puts(struct aq_buf *b, const char *s)
{
	if (s == NULL)
		return AQ_EINVAL;
	return aq_buf_append(b, s, strlen(s));
}

int
aq_buf_printf(struct aq_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	if (b == NULL || fmt == NULL)
		return AQ_EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return AQ_EINVAL;
	if ((rc = aq_buf_reserve(b, (size_t)n)) != AQ_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return AQ_OK;
}

void
aq_buf_reset(struct aq_buf *b)
{
	if (b == NULL)
		return;
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
aq_buf_free(struct aq_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---- arena ---- */

/* Nodes hold pointers and sizes: pointer alignment is enough for them
 * (max_align_t, 32 bytes on x86-64, tripled the footprint of a record),
 * and strings take none.  The fast paths are inline in aq-int.h. */
void *
aqi_arena_take(struct aqi_arena *a, size_t n, size_t align)
{
	struct aqi_chunk *c = a->head;
	size_t size, at;
	void *p;

	at = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (c == NULL || at > c->size || c->size - at < n) {
		size = a->chunk_size ? a->chunk_size : 16384;
		if (n > size)
			size = n;
		if ((c = malloc(sizeof *c + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		at = 0;
	}
	p = (char *)c->mem + at;
	c->used = at + n;
	return p;
}

void
aqi_arena_reset(struct aqi_arena *a)
{
	struct aqi_chunk *c, *next;

	if (a->head == NULL)
		return;
	/* keep the oldest chunk (the usual working size), free the others */
	for (c = a->head; c->next != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = c;
	c->used = 0;
	if (c->size > 4 * (a->chunk_size ? a->chunk_size : 16384)) {
		free(c);
		a->head = NULL;
	}
}

void
aqi_arena_free(struct aqi_arena *a)
{
	struct aqi_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

void *
aqi_grow(void *p, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t c;
	void *q;

	if (n < *cap)
		return p;
	c = *cap ? *cap : first;
	while (c <= n)
		c *= 2;
	if (c > SIZE_MAX / elem || (q = realloc(p, c * elem)) == NULL)
		return NULL;
	*cap = c;
	return q;
}
