/* writer.c: compact NDJSON lines through yajl_gen. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "aq-int.h"

struct aq_writer {
	yajl_gen g;
	FILE *fp;
	struct aq_buf mem;	/* lines kept when fp is NULL */
	int depth;
	int values;		/* top-level values in the current line */
	int failed;
};

struct aq_writer *
aq_writer_new(FILE *fp)
{
	struct aq_writer *w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	if ((w->g = yajl_gen_alloc(NULL)) == NULL) {
		free(w);
		return NULL;
	}
	/* compact, raw UTF-8, '/' unescaped: the defaults, said out loud */
	yajl_gen_config(w->g, yajl_gen_beautify, 0);
	yajl_gen_config(w->g, yajl_gen_validate_utf8, 0);
	w->fp = fp;
	return w;
}

void
aq_writer_free(struct aq_writer *w)
{
	if (w == NULL)
		return;
	yajl_gen_free(w->g);
	aq_buf_free(&w->mem);
	free(w);
}

static int
gen(struct aq_writer *w, yajl_gen_status st)
{
	if (st == yajl_gen_status_ok)
		return AQ_OK;
	w->failed = 1;
	return AQ_EINVAL;
}

/* Count a value that starts at the top level. */
static void
top(struct aq_writer *w)
{
	if (w->depth == 0)
		w->values++;
}

int
aq_writer_begin_object(struct aq_writer *w)
{
	top(w);
	w->depth++;
	return gen(w, yajl_gen_map_open(w->g));
}

int
aq_writer_end_object(struct aq_writer *w)
{
	w->depth--;
	return gen(w, yajl_gen_map_close(w->g));
}

int
aq_writer_begin_array(struct aq_writer *w)
{
	top(w);
	w->depth++;
	return gen(w, yajl_gen_array_open(w->g));
}

int
aq_writer_end_array(struct aq_writer *w)
{
	w->depth--;
	return gen(w, yajl_gen_array_close(w->g));
}

int
aq_writer_key(struct aq_writer *w, const char *key)
{
	return gen(w, yajl_gen_string(w->g, (const unsigned char *)key, strlen(key)));
}

int
aq_writer_string(struct aq_writer *w, const char *s, size_t len)
{
	top(w);
	return gen(w, yajl_gen_string(w->g, (const unsigned char *)s, len));
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
	top(w);
	return gen(w, yajl_gen_number(w->g, text, len));
}

int
aq_writer_double(struct aq_writer *w, double d)
{
	char buf[40];
	int n = 0, prec;

	if (!isfinite(d)) {
		w->failed = 1;
		return AQ_ERANGE;
	}
	/* the shortest of %.15g, %.16g, %.17g that reads back as d */
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return aq_writer_number_text(w, buf, (size_t)n);
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
	top(w);
	return gen(w, yajl_gen_bool(w->g, b != 0));
}

int
aq_writer_null(struct aq_writer *w)
{
	top(w);
	return gen(w, yajl_gen_null(w->g));
}

int
aq_writer_value(struct aq_writer *w, const struct aq_value *v)
{
	const struct aq_value *c;
	int rc;

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
			rc = gen(w, yajl_gen_string(w->g, (const unsigned char *)c->key, c->keylen));
			if (rc != AQ_OK || (rc = aq_writer_value(w, c)) != AQ_OK)
				return rc;
		}
		return aq_writer_end_object(w);
	case AQ_ARRAY:
		if ((rc = aq_writer_begin_array(w)) != AQ_OK)
			return rc;
		for (c = v->u.first; c != NULL; c = c->next)
			if ((rc = aq_writer_value(w, c)) != AQ_OK)
				return rc;
		return aq_writer_end_array(w);
	}
	return AQ_EINVAL;
}

void
aq_writer_abandon(struct aq_writer *w)
{
	yajl_gen_clear(w->g);
	yajl_gen_reset(w->g, NULL);
	w->depth = 0;
	w->values = 0;
	w->failed = 0;
}

int
aq_writer_end_line(struct aq_writer *w)
{
	const unsigned char *p;
	size_t len;
	int rc = AQ_OK;

	if (w->failed || w->depth != 0 || w->values != 1) {
		aq_writer_abandon(w);
		return AQ_EINVAL;
	}
	if (yajl_gen_get_buf(w->g, &p, &len) != yajl_gen_status_ok) {
		aq_writer_abandon(w);
		return AQ_EINVAL;
	}
	if (w->fp == NULL) {
		if ((rc = aq_buf_reserve(&w->mem, len + 1)) == AQ_OK) {
			aq_buf_append(&w->mem, p, len);
			aq_buf_append(&w->mem, "\n", 1);
		}
	} else if (fwrite(p, 1, len, w->fp) != len || putc('\n', w->fp) == EOF)
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
