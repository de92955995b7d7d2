/* value.c: JSON value trees built from yajl callbacks, and their accessors. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aq-int.h"

/* ---- building ---- */

/* The top-level value (cold: once per record). */
static struct aq_value *
top(struct aqi_builder *b, int type)
{
	struct aq_value *v;

	if (b->values > 0) {
		/* a second top-level value: the reader reports it */
		b->values++;
		return NULL;
	}
	if ((v = aqi_arena_alloc(&b->arena, sizeof *v)) == NULL)
		return NULL;
	memset(v, 0, sizeof *v);
	v->type = (unsigned char)type;
	b->root = v;
	if (type != AQ_OBJECT)
		b->not_object = 1;
	if (type != AQ_OBJECT && type != AQ_ARRAY)
		b->values++;
	return v;
}

/* A member or element of the innermost open container. */
static inline struct aq_value *
node(struct aqi_builder *b, int type)
{
	struct aq_value *v;
	struct aqi_frame *f;

	if (b->max_values != 0 && ++b->nvalues > b->max_values) {
		b->too_many = 1;
		return NULL;
	}
	if (b->depth == 0)
		return top(b, type);
	if ((v = aqi_arena_alloc(&b->arena, sizeof *v)) == NULL)
		return NULL;
	f = &b->frame[b->depth - 1];
	v->next = NULL;
	v->u.first = NULL;
	v->len = 0;
	v->type = (unsigned char)type;
	if (f->v->type == AQ_OBJECT) {
		v->key = b->pending_key;
		v->keylen = (uint32_t)b->pending_keylen;
	} else {
		v->key = NULL;
		v->keylen = 0;
	}
	*f->tail = v;
	f->tail = &v->next;
	f->v->len++;
	return v;
}

/*
 * Every token's callback first ends the number before it: yajl has read
 * past that number's last byte by now.  Then text that lies in the in-situ
 * copy is used where it is (a string's closing quote becomes its NUL; a
 * number's next byte, a separator yajl has yet to read, is left for the
 * next callback), and any other text is copied.
 */
static inline void
end_number(struct aqi_builder *b)
{
	if (b->nul_at != NULL) {
		*b->nul_at = '\0';
		b->nul_at = NULL;
	}
}

static inline const char *
text_of(struct aqi_builder *b, const char *s, size_t len, int number)
{
	uintptr_t at = (uintptr_t)s;

	if (at >= b->lo && at < b->hi && len < b->hi - at) {
		char *end = (char *)s + len;

		if (number)
			b->nul_at = end;
		else
			*end = '\0';
		return s;
	}
	return aqi_arena_strdup(&b->arena, s, len);
}

/*
 * A value that a skip rule leaves out: 1 while inside one (or at the
 * value a rule names, which starts it).
 */
static inline int
skipped(struct aqi_builder *b)
{
	if (b->skipping == 0 && !b->skip_next)
		return 0;
	b->skip_next = 0;
	return 1;
}

static inline int
scalar(struct aqi_builder *b, int type, const char *text, size_t len)
{
	struct aq_value *v;

	end_number(b);
	if (skipped(b))
		return 1;
	if ((v = node(b, type)) == NULL)
		return 0;
	if (text != NULL) {
		if ((v->u.text = text_of(b, text, len, type == AQ_NUMBER)) == NULL)
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
	struct aqi_frame *f;
	const struct aqi_skipset *rule;

	end_number(b);
	/* every parse goes through here: the bound on nesting that keeps
	 * whoever walks the tree (recursively, as aq_writer_value() does)
	 * within a small stack; skipped containers count too */
	if (b->depth + b->skipping >= AQ_JSON_MAX_DEPTH) {
		b->too_deep = 1;
		return 0;
	}
	if (skipped(b)) {
		b->skipping++;
		return 1;
	}
	if ((v = node(b, type)) == NULL)
		return 0;
	if (b->not_object)
		return 0;
	/* the rules for this container's members: the root's are the
	 * builder's; an object member's come with its key; an array's
	 * elements share the array's */
	if (b->depth == 0)
		rule = b->skip;
	else if (b->frame[b->depth - 1].v->type == AQ_ARRAY)
		rule = b->frame[b->depth - 1].rule;
	else
		rule = b->pending_rule;
	if (b->depth == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;

		if ((f = realloc(b->frame, cap * sizeof *f)) == NULL)
			return 0;
		b->frame = f;
		b->cap = cap;
	}
	f = &b->frame[b->depth++];
	f->v = v;
	f->tail = &v->u.first;
	f->rule = rule;
	return 1;
}

static int
close_container(struct aqi_builder *b)
{
	end_number(b);
	if (b->skipping > 0) {
		b->skipping--;
		return 1;
	}
	if (b->depth == 0)
		return 0;
	if (--b->depth == 0 && b->values++ == 0 && b->hand != NULL)
		b->root_end = yajl_get_bytes_consumed(b->hand);
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
	const struct aqi_skipset *set;
	const struct aqi_skip *k;

	if (len > UINT32_MAX)
		return 0;
	end_number(b);
	if (b->skipping > 0)
		return 1;
	b->pending_rule = NULL;
	if ((set = b->frame[b->depth - 1].rule) != NULL && len > 0)
		for (k = set->slot[aqi_skip_slot((const char *)key, len)]; k != NULL;
		    k = k->next)
			if (k->len == len && memcmp(k->name, key, len) == 0) {
				b->skip_next = k->leaf;
				b->pending_rule = k->child;
				break;
			}
	if ((b->pending_key = text_of(b, (const char *)key, len, 0)) == NULL)
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
	b->pending_rule = NULL;
	b->skipping = 0;
	b->skip_next = 0;
	b->values = 0;
	b->root_end = 0;
	b->not_object = 0;
	b->too_deep = 0;
	b->nvalues = 0;
	b->too_many = 0;
	b->lo = b->hi = 0;
	b->nul_at = NULL;
}

void
aqi_builder_insitu(struct aqi_builder *b, char *text, size_t len)
{
	b->lo = (uintptr_t)text;
	b->hi = (uintptr_t)text + len;
}

void
aqi_builder_free(struct aqi_builder *b)
{
	aqi_arena_free(&b->arena);
	free(b->frame);
	b->frame = NULL;
	b->depth = b->cap = 0;
	b->root = NULL;
}

/* ---- skip rules ---- */

int
aqi_skip_add(struct aqi_skipset **set, const char *path)
{
	const char *p = path, *dot;
	struct aqi_skip *k, **slot;
	size_t n;

	for (;;) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0)
			return AQ_EINVAL;
		if (*set == NULL && (*set = calloc(1, sizeof **set)) == NULL)
			return AQ_ENOMEM;
		slot = &(*set)->slot[aqi_skip_slot(p, n)];
		for (k = *slot; k != NULL; k = k->next)
			if (k->len == n && memcmp(k->name, p, n) == 0)
				break;
		if (k == NULL) {
			if ((k = calloc(1, sizeof *k + n + 1)) == NULL)
				return AQ_ENOMEM;
			memcpy(k->name, p, n);
			k->len = n;
			k->next = *slot;
			*slot = k;
		} else if (k->leaf)
			return AQ_OK;	/* a shorter path skips it all already */
		if (dot == NULL) {
			/* this path ends here: the whole value goes */
			k->leaf = 1;
			aqi_skip_free(k->child);
			k->child = NULL;
			return AQ_OK;
		}
		set = &k->child;
		p = dot + 1;
	}
}

void
aqi_skip_free(struct aqi_skipset *set)
{
	struct aqi_skip *k, *next;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < AQI_SKIP_SLOTS; i++)
		for (k = set->slot[i]; k != NULL; k = next) {
			next = k->next;
			aqi_skip_free(k->child);
			free(k);
		}
	free(set);
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
