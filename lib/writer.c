/*
 * writer.c: compact NDJSON lines.  The generator is our own, not yajl_gen:
 * it writes straight into one line buffer, and its strings and doubles are
 * aq_buf_json_string() and aq_json_double(), the text the tools' own rows
 * use too (json.c).  It checks the grammar as yajl_gen did: a value
 * where a key is due, a close that does not match, two values on a line.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq-int.h"

/* per nesting level */
enum { L_OBJECT = 1, L_ITEMS = 2, L_AFTER_KEY = 4 };

struct aq_writer {
	FILE *fp;
	struct aq_buf line;	/* the line being written */
	struct aq_buf mem;	/* lines kept when fp is NULL */
	unsigned char *levels;
	size_t depth, cap;
	int values;		/* top-level values in the current line */
	int failed;
};

struct aq_writer *
aq_writer_new(FILE *fp)
{
	struct aq_writer *w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->fp = fp;
	return w;
}

void
aq_writer_free(struct aq_writer *w)
{
	if (w == NULL)
		return;
	aq_buf_free(&w->line);
	aq_buf_free(&w->mem);
	free(w->levels);
	free(w);
}

static int
fail(struct aq_writer *w, int code)
{
	w->failed = 1;
	return code;
}

static int
put(struct aq_writer *w, const char *p, size_t n)
{
	if (aq_buf_append(&w->line, p, n) != AQ_OK)
		return fail(w, AQ_ENOMEM);
	return AQ_OK;
}

/* Before any value: the comma, and the grammar. */
static int
before_value(struct aq_writer *w)
{
	unsigned char *l;

	if (w->failed)
		return AQ_EINVAL;
	if (w->depth == 0) {
		if (w->values++ > 0)
			return fail(w, AQ_EINVAL);	/* one value a line */
		return AQ_OK;
	}
	l = &w->levels[w->depth - 1];
	if (*l & L_OBJECT) {
		if (!(*l & L_AFTER_KEY))
			return fail(w, AQ_EINVAL);	/* a value where a key is due */
		*l &= (unsigned char)~L_AFTER_KEY;
		return AQ_OK;
	}
	if ((*l & L_ITEMS) && put(w, ",", 1) != AQ_OK)
		return AQ_ENOMEM;
	*l |= L_ITEMS;
	return AQ_OK;
}

static int
put_string(struct aq_writer *w, const char *s, size_t len)
{
	if (aq_buf_json_string(&w->line, s, len) != AQ_OK)
		return fail(w, AQ_ENOMEM);
	return AQ_OK;
}

static int
open_level(struct aq_writer *w, unsigned char type, char c)
{
	int rc;

	if ((rc = before_value(w)) != AQ_OK)
		return rc;
	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		unsigned char *l = realloc(w->levels, cap);

		if (l == NULL)
			return fail(w, AQ_ENOMEM);
		w->levels = l;
		w->cap = cap;
	}
	w->levels[w->depth++] = type;
	return put(w, &c, 1);
}

static int
close_level(struct aq_writer *w, unsigned char type, char c)
{
	if (w->failed)
		return AQ_EINVAL;
	if (w->depth == 0 || (w->levels[w->depth - 1] & L_OBJECT) != type ||
	    (w->levels[w->depth - 1] & L_AFTER_KEY))
		return fail(w, AQ_EINVAL);
	w->depth--;
	return put(w, &c, 1);
}

int
aq_writer_begin_object(struct aq_writer *w)
{
	return open_level(w, L_OBJECT, '{');
}

int
aq_writer_end_object(struct aq_writer *w)
{
	return close_level(w, L_OBJECT, '}');
}

int
aq_writer_begin_array(struct aq_writer *w)
{
	return open_level(w, 0, '[');
}

int
aq_writer_end_array(struct aq_writer *w)
{
	return close_level(w, 0, ']');
}

static int
put_key(struct aq_writer *w, const char *key, size_t len)
{
	unsigned char *l;
	int rc;

	if (w->failed)
		return AQ_EINVAL;
	if (w->depth == 0 || !((l = &w->levels[w->depth - 1])[0] & L_OBJECT) || (*l & L_AFTER_KEY))
		return fail(w, AQ_EINVAL);
	if ((*l & L_ITEMS) && put(w, ",", 1) != AQ_OK)
		return AQ_ENOMEM;
	*l |= L_ITEMS | L_AFTER_KEY;
	if ((rc = put_string(w, key, len)) != AQ_OK)
		return rc;
	return put(w, ":", 1);
}

int
aq_writer_key(struct aq_writer *w, const char *key)
{
	return put_key(w, key, strlen(key));
}

int
aq_writer_string(struct aq_writer *w, const char *s, size_t len)
{
	int rc;

	if ((rc = before_value(w)) != AQ_OK)
		return rc;
	return put_string(w, s, len);
}

int
aq_writer_cstring(struct aq_writer *w, const char *s)
{
	if (s == NULL)
		return aq_writer_null(w);
	return aq_writer_string(w, s, strlen(s));
}

int
aq_writer_number_text(struct aq_writer *w, const char *text, size_t len)
{
	int rc;

	if (len == 0)
		return fail(w, AQ_EINVAL);
	if ((rc = before_value(w)) != AQ_OK)
		return rc;
	return put(w, text, len);
}

int
aq_writer_double(struct aq_writer *w, double d)
{
	char buf[AQ_JSON_DOUBLE_BUFSZ];
	size_t n = aq_json_double(d, buf, sizeof buf);

	if (n == 0)
		return fail(w, AQ_ERANGE);
	return aq_writer_number_text(w, buf, n);
}

int
aq_writer_int64(struct aq_writer *w, int64_t i)
{
	char buf[24];
	int n = snprintf(buf, sizeof buf, "%" PRId64, i);

	return aq_writer_number_text(w, buf, (size_t)n);
}

int
aq_writer_bool(struct aq_writer *w, int b)
{
	int rc;

	if ((rc = before_value(w)) != AQ_OK)
		return rc;
	return b ? put(w, "true", 4) : put(w, "false", 5);
}

int
aq_writer_null(struct aq_writer *w)
{
	int rc;

	if ((rc = before_value(w)) != AQ_OK)
		return rc;
	return put(w, "null", 4);
}

/* Recursive, as deep as the tree: at most AQ_JSON_MAX_DEPTH, the bound
 * of every tree the library builds. */
static int
value(struct aq_writer *w, const struct aq_value *v, size_t depth)
{
	const struct aq_value *c;
	int rc;

	if (depth > AQ_JSON_MAX_DEPTH && (aq_value_type(v) == AQ_OBJECT ||
	    aq_value_type(v) == AQ_ARRAY))
		return fail(w, AQ_EINVAL);
	switch (aq_value_type(v)) {
	case AQ_NULL:
		return aq_writer_null(w);
	case AQ_FALSE:
		return aq_writer_bool(w, 0);
	case AQ_TRUE:
		return aq_writer_bool(w, 1);
	case AQ_NUMBER:
		return aq_writer_number_text(w, v->u.text, v->len);
	case AQ_STRING:
		return aq_writer_string(w, v->u.text, v->len);
	case AQ_OBJECT:
		if ((rc = aq_writer_begin_object(w)) != AQ_OK)
			return rc;
		for (c = v->u.first; c != NULL; c = c->next) {
			rc = put_key(w, c->key, c->keylen);
			if (rc != AQ_OK || (rc = value(w, c, depth + 1)) != AQ_OK)
				return rc;
		}
		return aq_writer_end_object(w);
	case AQ_ARRAY:
		if ((rc = aq_writer_begin_array(w)) != AQ_OK)
			return rc;
		for (c = v->u.first; c != NULL; c = c->next)
			if ((rc = value(w, c, depth + 1)) != AQ_OK)
				return rc;
		return aq_writer_end_array(w);
	}
	return AQ_EINVAL;
}

int
aq_writer_value(struct aq_writer *w, const struct aq_value *v)
{
	return value(w, v, 1);
}

void
aq_writer_abandon(struct aq_writer *w)
{
	aq_buf_reset(&w->line);
	w->depth = 0;
	w->values = 0;
	w->failed = 0;
}

int
aq_writer_end_line(struct aq_writer *w)
{
	int rc = AQ_OK;

	if (w->failed || w->depth != 0 || w->values != 1) {
		aq_writer_abandon(w);
		return AQ_EINVAL;
	}
	if (put(w, "\n", 1) != AQ_OK) {
		aq_writer_abandon(w);
		return AQ_ENOMEM;
	}
	if (w->fp == NULL)
		rc = aq_buf_append(&w->mem, w->line.data, w->line.len);
	else if (fwrite(w->line.data, 1, w->line.len, w->fp) != w->line.len)
		rc = AQ_EIO;
	aq_writer_abandon(w);
	return rc;
}

const char *
aq_writer_buffer(const struct aq_writer *w, size_t *len)
{
	if (len != NULL)
		*len = w->mem.len;
	return w->mem.data ? w->mem.data : "";
}

void
aq_writer_clear(struct aq_writer *w)
{
	aq_buf_reset(&w->mem);
}

int
aq_writer_flush(struct aq_writer *w)
{
	if (w->fp != NULL && fflush(w->fp) == EOF)
		return AQ_EIO;
	return AQ_OK;
}
