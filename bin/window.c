/* window.c: bounded de-duplication, the later row winning, order kept. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "idset.h"
#include "row.h"
#include "window.h"

struct window_slot {
	int64_t sensor, usec;
	uint32_t next;		/* next slot in the hash chain, + 1 */
	unsigned char period;
	unsigned char alive;
	struct aq_buf line;
};

void
window_init(struct window *w, size_t size, FILE *out)
{
	memset(w, 0, sizeof *w);
	w->out = out;
	w->size = size;
	if (size == 0)
		return;
	for (w->nheads = 16; w->nheads < 2 * size; w->nheads *= 2)
		;
	w->slots = calloc(size, sizeof *w->slots);
	w->heads = calloc(w->nheads, sizeof *w->heads);
	if (w->slots == NULL || w->heads == NULL)
		rows_nomem();
}

static size_t
bucket(const struct window *w, int64_t sensor, int period, int64_t usec)
{
	return (size_t)idset_hash(sensor, period, usec) & (w->nheads - 1);
}

static void
unlink_slot(struct window *w, size_t i)
{
	struct window_slot *s = &w->slots[i];
	uint32_t *p = &w->heads[bucket(w, s->sensor, s->period, s->usec)];

	while (*p != 0 && *p != i + 1)
		p = &w->slots[*p - 1].next;
	if (*p != 0)
		*p = s->next;
	s->alive = 0;
}

static void
emit(struct window *w, struct window_slot *s)
{
	if (w->error == 0 && row_write(&s->line, w->out) != 0)
		w->error = EX_IOERR;
	w->written++;
}

struct aq_buf *
window_put(struct window *w, int64_t sensor, int period, int64_t usec)
{
	struct window_slot *s;
	uint32_t *head, j;
	size_t i;

	if (w->size == 0)
		return &w->direct;
	head = &w->heads[bucket(w, sensor, period, usec)];
	for (j = *head; j != 0; j = w->slots[j - 1].next) {
		s = &w->slots[j - 1];
		if (s->sensor == sensor && s->usec == usec && s->period == period) {
			unlink_slot(w, j - 1);
			w->duplicates++;
			break;
		}
	}
	if (w->count == w->size) {
		/* the oldest row leaves the window */
		s = &w->slots[w->start];
		if (s->alive) {
			unlink_slot(w, w->start);
			emit(w, s);
		}
		w->start = (w->start + 1) % w->size;
		w->count--;
	}
	i = (w->start + w->count) % w->size;
	w->count++;
	s = &w->slots[i];
	s->sensor = sensor;
	s->usec = usec;
	s->period = (unsigned char)period;
	s->alive = 1;
	s->next = *head;
	*head = (uint32_t)(i + 1);
	return &s->line;
}

void
window_commit(struct window *w)
{
	if (w->size == 0) {
		if (w->error == 0 && row_write(&w->direct, w->out) != 0)
			w->error = EX_IOERR;
		w->written++;
	}
}

int
window_flush(struct window *w)
{
	size_t k;

	for (k = 0; k < w->count; k++) {
		struct window_slot *s = &w->slots[(w->start + k) % w->size];

		if (s->alive) {
			s->alive = 0;
			emit(w, s);
		}
	}
	if (w->count > 0)
		memset(w->heads, 0, w->nheads * sizeof *w->heads);
	w->start = w->count = 0;
	return w->error;
}

void
window_free(struct window *w)
{
	size_t i;

	for (i = 0; i < w->size; i++)
		aq_buf_free(&w->slots[i].line);
	free(w->slots);
	free(w->heads);
	aq_buf_free(&w->direct);
	memset(w, 0, sizeof *w);
}
