/*
 * row.h: flat JSON rows, one object per line, written by hand into an
 * aq_buf: the output of aq-norm and aq-dims.  Strings and doubles take
 * the library's JSON text (aq_buf_json_string, aq_json_double).  Not
 * installed; uses only openaq.h.
 */
#ifndef ROW_H
#define ROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "openaq.h"

/* ---- rows: one flat JSON object per line, built in an aq_buf ---- */

void row_begin(struct aq_buf *b);
/* "key": then the value; s == NULL writes null. */
void row_str(struct aq_buf *b, const char *key, const char *s, size_t len);
void row_cstr(struct aq_buf *b, const char *key, const char *s);
void row_null(struct aq_buf *b, const char *key);
void row_int(struct aq_buf *b, const char *key, int64_t v);
/* An optional integer: null unless has. */
void row_oint(struct aq_buf *b, const char *key, int has, int64_t v);
/* JSON number text, written unchanged; NULL writes null. */
void row_num(struct aq_buf *b, const char *key, const char *text, size_t len);
/* aq_json_double()'s text of d; null for NaN and infinity. */
void row_double(struct aq_buf *b, const char *key, double d);
/* -1 writes null. */
void row_bool(struct aq_buf *b, const char *key, int v);
/* Close the object and end the line. */
void row_end(struct aq_buf *b);
/* The same values without a key, after row_raw() wrote the key: the hot
 * path of aq-norm writes keys as literals.  Inline, so that a literal's
 * copy is a few moves. */
/* Allocation failure in a helper: exit 70 with a message. */
void rows_nomem(void);
static inline void
row_raw(struct aq_buf *b, const char *s, size_t n)
{
	if (b->cap - b->len <= n && aq_buf_reserve(b, n + 1) != AQ_OK)
		rows_nomem();
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}
#define ROW_LIT(b, s) row_raw((b), (s), sizeof(s) - 1)
void val_str(struct aq_buf *b, const char *s, size_t len);
void val_int(struct aq_buf *b, int64_t v);
void val_num(struct aq_buf *b, const char *text, size_t len);
void val_double(struct aq_buf *b, double d);
void val_bool(struct aq_buf *b, int v);
/* Write the buffer to fp; returns 0 or EX_IOERR after a warning. */
int row_write(const struct aq_buf *b, FILE *fp);

#endif /* ROW_H */
