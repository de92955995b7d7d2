/*
 * window.h: aq-norm's de-duplication window.  The last W rows wait in a
 * ring, indexed by their key (sensor_id, period, datetime); a row whose
 * key is already in the ring kills the earlier one, so the later row wins.
 * Rows are written in input order as they leave the ring, and all of them
 * when window_flush() is called (input idle, end of input).  Memory: W
 * line buffers and 2W hash heads, allocated once.
 */
#ifndef WINDOW_H
#define WINDOW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "openaq.h"

struct window_slot;

struct window {
	struct window_slot *slots;
	uint32_t *heads;	/* hash buckets: slot index + 1, 0 = empty */
	size_t size;		/* W; 0: no de-duplication */
	size_t nheads;
	size_t start, count;
	struct aq_buf direct;	/* the row when size is 0 */
	FILE *out;
	unsigned long duplicates;
	unsigned long written;
	int error;		/* EX_IOERR once a write failed */
};

void window_init(struct window *w, size_t size, FILE *out);
/*
 * Make room for a row with this key and return the buffer to build it in.
 * An earlier row with the same key is dropped (counted in duplicates).
 */
struct aq_buf *window_put(struct window *w, int64_t sensor, int period, int64_t usec);
/* Write the row just built into the buffer that window_put returned
 * (a no-op unless size is 0). */
void window_commit(struct window *w);
/* Write every waiting row; returns 0 or EX_IOERR. */
int window_flush(struct window *w);
void window_free(struct window *w);

#endif /* WINDOW_H */
