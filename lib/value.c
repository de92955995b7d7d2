/* value.c: JSON value trees built from yajl callbacks, and their accessors. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aq-int.h"

/* ---- building ---- */

static struct aq_value *
node(struct aqi_builder *b, int type)
{
	struct aq_value *v, *parent;

	if (b->depth == 0 && b->values > 0) {
		/* a second top-level value: the reader reports it */
		b->values++;
		return NULL;
	}
	if ((v = aqi_arena_alloc(&b->arena, sizeof *v)) == NULL)
		return NULL;
	memset(v, 0, sizeof *v);
	v->type = (unsigned char)type;
	if (b->depth == 0) {
		b->root = v;
		if (type != AQ_OBJECT)
			b->not_object = 1;
		if (type != AQ_OBJECT && type != AQ_ARRAY)
			b->values++;
		return v;
	}
	parent = b->stack[b->depth - 1];
	if (parent->type == AQ_OBJECT) {
		v->key = b->pending_key;
		v->keylen = (uint32_t)b->pending_keylen;
	}
	if (b->last[b->depth - 1] == NULL)
		parent->u.first = v;
	else
		b->last[b->depth - 1]->next = v;
	b->last[b->depth - 1] = v;
	parent->len++;
	return v;
}

static int
scalar(struct aqi_builder *b, int type, const char *text, size_t len)
{
	struct aq_value *v;

	if ((v = node(b, type)) == NULL)
		return 0;
	if (text != NULL) {
		if ((v->u.text = aqi_arena_strdup(&b->arena, text, len)) == NULL)
			return 0;
		v->len = len;
	}
	/* a scalar at the top level is not an object: stop right there */
	return b->not_object ? 0 : 1;
}

static int
cb_null(void *ctx)
{
	return scalar(ctx, AQ_NULL, NULL, 0);
}

static int
cb_boolean(void *ctx, int val)
{
	return scalar(ctx, val ? AQ_TRUE : AQ_FALSE, NULL, 0);
}

static int
cb_number(void *ctx, const char *s, size_t len)
{
	return scalar(ctx, AQ_NUMBER, s, len);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
	return scalar(ctx, AQ_STRING, (const char *)s, len);
}

static int
open_container(struct aqi_builder *b, int type)
{
	struct aq_value *v;

	if ((v = node(b, type)) == NULL)
		return 0;
	if (b->not_object)
		return 0;
	if (b->depth == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct aq_value **s, **l;

		if ((s = realloc(b->stack, cap * sizeof *s)) == NULL)
			return 0;
		b->stack = s;
		if ((l = realloc(b->last, cap * sizeof *l)) == NULL)
			return 0;
		b->last = l;
		b->cap = cap;
	}
	b->stack[b->depth] = v;
	b->last[b->depth] = NULL;
	b->depth++;
	return 1;
}

static int
close_container(struct aqi_builder *b)
{
	if (b->depth == 0)
		return 0;
	if (--b->depth == 0)
		b->values++;
	return 1;
}

static int
cb_start_map(void *ctx)
{
	return open_container(ctx, AQ_OBJECT);
}

static int
cb_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct aqi_builder *b = ctx;

	if (len > UINT32_MAX)
		return 0;
	if ((b->pending_key = aqi_arena_strdup(&b->arena, (const char *)key, len)) == NULL)
		return 0;
	b->pending_keylen = len;
	return 1;
}

static int
cb_end(void *ctx)
{
	return close_container(ctx);
}

static int
cb_start_array(void *ctx)
{
	return open_container(ctx, AQ_ARRAY);
}

const yajl_callbacks aqi_builder_callbacks = {
	cb_null,
	cb_boolean,
	NULL,
	NULL,
	cb_number,
	cb_string,
	cb_start_map,
	cb_map_key,
	cb_end,
	cb_start_array,
	cb_end,
};

void
aqi_builder_reset(struct aqi_builder *b)
{
	aqi_arena_reset(&b->arena);
	b->depth = 0;
	b->root = NULL;
	b->pending_key = NULL;
	b->pending_keylen = 0;
	b->values = 0;
	b->not_object = 0;
}

void
aqi_builder_free(struct aqi_builder *b)
{
	aqi_arena_free(&b->arena);
	free(b->stack);
	free(b->last);
	b->stack = b->last = NULL;
	b->depth = b->cap = 0;
	b->root = NULL;
}

/* ---- reading ---- */

int
aq_value_type(const struct aq_value *v)
{
	return v == NULL ? AQ_NULL : v->type;
}

int
aq_value_is_null(const struct aq_value *v)
{
	return v == NULL || v->type == AQ_NULL;
}

static const struct aq_value *
member(const struct aq_value *v, const char *key, size_t keylen)
{
	const struct aq_value *c;

	if (v == NULL || v->type != AQ_OBJECT)
		return NULL;
	/* the last duplicate wins, as in most JSON readers */
	const struct aq_value *found = NULL;
	for (c = v->u.first; c != NULL; c = c->next)
		if (c->keylen == keylen && memcmp(c->key, key, keylen) == 0)
			found = c;
	return found;
}

const struct aq_value *
aq_value_get(const struct aq_value *v, const char *key)
{
	if (key == NULL)
		return NULL;
	return member(v, key, strlen(key));
}

const struct aq_value *
aq_value_path(const struct aq_value *v, const char *path)
{
	const char *p, *dot;
	size_t n, i;

	if (path == NULL)
		return NULL;
	for (p = path; v != NULL; p = dot + 1) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (v->type == AQ_ARRAY && n > 0 && strspn(p, "0123456789") >= n) {
			const struct aq_value *c = v->u.first;

			i = (size_t)strtoul(p, NULL, 10);
			while (c != NULL && i-- > 0)
				c = c->next;
			v = c;
		} else
			v = member(v, p, n);
		if (dot == NULL)
			break;
	}
	return v;
}

const char *
aq_value_string(const struct aq_value *v, size_t *len)
{
	if (v == NULL || (v->type != AQ_STRING && v->type != AQ_NUMBER))
		return NULL;
	if (len != NULL)
		*len = v->len;
	return v->u.text;
}

int
aq_value_number(const struct aq_value *v, double *out)
{
	char *end;
	double d;

	if (v == NULL || v->type != AQ_NUMBER)
		return AQ_ETYPE;
	/* yajl has checked the JSON number grammar; strtod accepts all of it */
	d = strtod(v->u.text, &end);
	*out = d;
	return AQ_OK;
}

int
aq_value_int64(const struct aq_value *v, int64_t *out)
{
	const char *s;
	char *end;
	long long ll;
	double d;

	if (v == NULL || v->type != AQ_NUMBER)
		return AQ_ETYPE;
	s = v->u.text;
	if (strpbrk(s, ".eE") == NULL) {
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (errno == ERANGE)
			return AQ_ERANGE;
		*out = ll;
		return AQ_OK;
	}
	/* 3.0 or 1e3 are integers written another way */
	d = strtod(s, &end);
	if (!isfinite(d) || d != floor(d))
		return AQ_ETYPE;
	if (d < -9.2233720368547758e18 || d >= 9.2233720368547758e18)
		return AQ_ERANGE;
	*out = (int64_t)d;
	return AQ_OK;
}

size_t
aq_value_count(const struct aq_value *v)
{
	if (v == NULL || (v->type != AQ_OBJECT && v->type != AQ_ARRAY))
		return 0;
	return v->len;
}

const struct aq_value *
aq_value_first(const struct aq_value *v)
{
	if (v == NULL || (v->type != AQ_OBJECT && v->type != AQ_ARRAY))
		return NULL;
	return v->u.first;
}

const struct aq_value *
aq_value_next(const struct aq_value *v)
{
	return v == NULL ? NULL : v->next;
}

const char *
aq_value_key(const struct aq_value *v, size_t *len)
{
	if (v == NULL || v->key == NULL)
		return NULL;
	if (len != NULL)
		*len = v->keylen;
	return v->key;
}
