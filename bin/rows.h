/*
 * rows.h: what aq-norm and aq-dims share: flat JSON rows written by hand
 * into a buffer, ids, numbers and timestamps read from API records, and a
 * bounded set of keys seen.  Not installed; uses only openaq.h and cli.h.
 */
#ifndef ROWS_H
#define ROWS_H

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
/* aq_json_double()'s text of d (finite). */
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

/* ---- reasons: the text of the last failed check ---- */

/* Format a reason into a static buffer and return it.  %s arguments
 * taken from input are cut at a UTF-8 boundary by why_text(). */
const char *why(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
/* The last reason that why() formatted. */
const char *why_last(void);
/* Input text made safe for a reason: at most 40 bytes, whole UTF-8
 * characters, with "..." when cut.  Returns a static buffer (one of two,
 * so that two texts can go into one reason). */
const char *why_text(const char *s, size_t len);

/* ---- fields of API records ---- */

/* Results of the readers below. */
#define F_OK 0		/* a value was read */
#define F_NULL 1	/* absent or JSON null */
#define F_BAD 2		/* present but wrong: why() holds the reason */

/* 1 if the len bytes at s are all decimal digits (and len > 0). */
static inline int
all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return len > 0;
}

/* An id: a JSON integer >= 1, or a string of decimal digits. */
int get_id(const struct aq_value *v, const char *name, int64_t *out);
/* A string or null; anything else is F_BAD. */
int get_str(const struct aq_value *v, const char *name, const char **s, size_t *len);
/* A boolean or null. */
int get_bool(const struct aq_value *v, const char *name, int *out);
/*
 * A number as JSON number text and as a double: a JSON number, or a
 * string holding a decimal number (archive rows).  Text that is not
 * JSON number syntax ("+1", ".5", " 7") is rewritten into tmp (>= 32
 * bytes).  Non-finite values are F_BAD.
 */
int get_num(const struct aq_value *v, const char *name, const char **text, size_t *len,
    double *d, char *tmp);
/* Does s[0..len) follow the JSON number grammar? */
int is_json_number(const char *s, size_t len);
/* The same for raw text (CSV fields). */
int text_num(const char *s, size_t len, const char *name, const char **text, size_t *tlen,
    double *d, char *tmp);
int text_id(const char *s, size_t len, const char *name, int64_t *out);

/*
 * An instant as canonical UTC text "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" in out
 * (AQ_TIME_BUFSZ bytes).  naive_utc: text without a zone is read as UTC
 * (the API's "utc" members); otherwise it is rejected.  A bare date is
 * rejected.  Canonical input is copied, not re-formatted.
 */
int conv_time(const char *s, size_t len, const char *name, int naive_utc, char *out,
    size_t *outlen, int64_t *usec);
/*
 * A timestamp member: a {utc, local} object (utc preferred, local used
 * only when utc is absent), or a plain string with a zone.
 */
int get_time(const struct aq_value *v, const char *name, char *out, size_t *outlen,
    int64_t *usec);
/* A plain date "YYYY-MM-DD" (location licenses), checked, kept as is. */
int get_date(const struct aq_value *v, const char *name, const char **s, size_t *len);

/* ---- a bounded set of keys seen (aq-dims de-duplication) ---- */

struct keyset {
	struct keyset_slot *slots;
	size_t cap;		/* slots, a power of two */
	size_t n;
	size_t max;		/* entries kept before the set starts afresh */
	unsigned long resets;
};

void keyset_init(struct keyset *s, size_t max);
/* 1 if (a, b, c) is new (and now kept), 0 if it was seen.  a != 0. */
int keyset_add(struct keyset *s, int64_t a, int64_t b, int64_t c);
void keyset_free(struct keyset *s);

#endif /* ROWS_H */
