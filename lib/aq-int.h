/*
 * aq-int.h: private to libopenaq.  Struct layouts and the aqi_ helpers that
 * library files share.  Never installed; the tools in bin/ never include it.
 */
#ifndef AQ_INT_H
#define AQ_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "openaq.h"

/* A macro's value as a string literal: AQI_STR(AQ_JSON_MAX_DEPTH) is "1000". */
#define AQI_STR_(x) #x
#define AQI_STR(x) AQI_STR_(x)

#if defined(__GNUC__)
#define AQI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AQI_PRINTF(a, b)
#endif

/* A caller-owned detail buffer, as set by aq_*_set_errbuf(). */
struct aqi_errbuf {
	char *buf;
	size_t size;
};

/* Write a message to the detail buffer (if any); returns code, so that
 * "return aqi_fail(&e, AQ_EINVAL, "...")" reads naturally.  errno is
 * preserved. */
int aqi_fail(struct aqi_errbuf *e, int code, const char *fmt, ...) AQI_PRINTF(3, 4);
int aqi_vfail(struct aqi_errbuf *e, int code, const char *fmt, va_list ap) AQI_PRINTF(3, 0);
/* What every aq_*_set_errbuf() does: point e at buf and empty it. */
void aqi_errbuf_set(struct aqi_errbuf *e, char *buf, size_t size);
/* One formatted line (at most 1023 bytes) to a log callback, if any. */
void aqi_logf(void (*fn)(void *, const char *), void *arg, const char *fmt, ...)
    AQI_PRINTF(3, 4);
/* Seconds on the monotonic clock. */
double aqi_mono(void);
/* The delay before retry n (1 the first): first * 2^(n-1), at most max,
 * with jitter in its upper half ([d/2, d]); *rng is the caller's state. */
double aqi_backoff(unsigned *rng, double first, double max, unsigned n);

/*
 * Arena: bump allocation in chunks, released all at once.  Reset keeps the
 * first chunk (so the steady state makes no malloc calls) and frees the
 * rest, so one huge record does not pin its memory for the whole run.
 */
struct aqi_chunk {
	struct aqi_chunk *next;
	size_t size, used;
	max_align_t mem[];
};
struct aqi_arena {
	struct aqi_chunk *head;	/* current chunk; its ->next are older */
	size_t chunk_size;
};

/* The slow path of the two below: a new chunk. */
void *aqi_arena_take(struct aqi_arena *a, size_t n, size_t align);

/* n bytes aligned for pointers and sizes (all that value nodes hold). */
static inline void *
aqi_arena_alloc(struct aqi_arena *a, size_t n)
{
	struct aqi_chunk *c = a->head;
	size_t at;

	/* inline: a record of the NDJSON reader makes about a hundred of
	 * these calls */
	if (c != NULL) {
		at = (c->used + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
		if (at <= c->size && c->size - at >= n) {
			c->used = at + n;
			return (char *)c->mem + at;
		}
	}
	return aqi_arena_take(a, n, sizeof(void *));
}

/* A NUL-terminated copy of n bytes; strings take no alignment. */
static inline char *
aqi_arena_strdup(struct aqi_arena *a, const char *s, size_t n)
{
	struct aqi_chunk *c = a->head;
	char *p;

	if (c != NULL && c->size - c->used > n) {
		p = (char *)c->mem + c->used;
		c->used += n + 1;
	} else if ((p = aqi_arena_take(a, n + 1, 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
void aqi_arena_reset(struct aqi_arena *a);
void aqi_arena_free(struct aqi_arena *a);

/* A JSON value node; lives in a reader's arena. */
struct aq_value {
	struct aq_value *next;	/* next member or element */
	const char *key;	/* member name when inside an object */
	union {
		const char *text;	/* string, or the number's text */
		struct aq_value *first;	/* object or array */
	} u;
	size_t len;		/* text length, or number of children */
	uint32_t keylen;
	unsigned char type;	/* enum aq_type */
};

/*
 * Skip rules: member paths whose values a builder checks but leaves out
 * of the tree.  One node per path component; the names that may follow a
 * component (or start a path) form a set, hashed by length and first
 * byte so that a key with no rule costs one look.
 */
#define AQI_SKIP_SLOTS 32
struct aqi_skip;
struct aqi_skipset {
	struct aqi_skip *slot[AQI_SKIP_SLOTS];
};
struct aqi_skip {
	struct aqi_skip *next;		/* in the same slot */
	struct aqi_skipset *child;	/* the components after this one */
	size_t len;
	int leaf;			/* a path ends here: skip the value */
	char name[];
};
static inline size_t
aqi_skip_slot(const char *name, size_t len)
{
	return ((unsigned char)name[0] + len * 7) % AQI_SKIP_SLOTS;
}
/* Add a dotted path ("coverage.datetimeFrom") to *set (made when NULL);
 * AQ_EINVAL for an empty component. */
int aqi_skip_add(struct aqi_skipset **set, const char *path);
void aqi_skip_free(struct aqi_skipset *set);

/* An open container of a builder. */
struct aqi_frame {
	struct aq_value *v;
	struct aq_value **tail;		/* where its next child goes */
	const struct aqi_skipset *rule;	/* the rules for its members */
};

/*
 * Builds a value tree from yajl callbacks.  Shared by the NDJSON reader
 * and the HTTP client (which parses response envelopes with it).
 */
struct aqi_builder {
	struct aqi_arena arena;
	struct aqi_frame *frame;	/* open containers */
	size_t depth, cap;
	struct aq_value *root;
	const char *pending_key;
	size_t pending_keylen;
	const struct aqi_skipset *skip;	/* rules for the root's members */
	const struct aqi_skipset *pending_rule;	/* for the value after a key */
	size_t skipping;		/* depth inside a skipped value */
	int skip_next;			/* the next value is skipped */
	int values;			/* top-level values completed */
	yajl_handle hand;		/* NULL, or the parse whose callbacks
					 * these are: it gives root_end */
	size_t root_end;		/* bytes the parse had consumed when the
					 * first top-level value closed */
	int not_object;			/* a top-level value was not an object */
	int too_deep;			/* nested deeper than AQ_JSON_MAX_DEPTH:
					 * the callback stopped the parse */
	size_t max_values;		/* 0, or the most value nodes a parse
					 * may make (a bound on its memory) */
	size_t nvalues;
	int too_many;			/* more than max_values: stopped */
	/* in situ: a writable copy of the text being parsed, whose strings
	 * and numbers the nodes point into instead of copying them */
	uintptr_t lo, hi;
	char *nul_at;			/* the end of the last number, to end */
};

/* yajl callbacks whose ctx is a struct aqi_builder. */
extern const yajl_callbacks aqi_builder_callbacks;
void aqi_builder_reset(struct aqi_builder *b);
/*
 * Parse text (len writable bytes) in situ: string
 * and key nodes point into it, their closing quote overwritten by a NUL;
 * a number's end is overwritten once the next token has been read, which
 * in an object or array always comes.  Text yajl hands over from its own
 * buffers (escapes, a token split across calls) is copied as usual.
 * Lasts until the next reset.
 */
void aqi_builder_insitu(struct aqi_builder *b, char *text, size_t len);
void aqi_builder_free(struct aqi_builder *b);

/* A schema migration, built from sql/NNN-name.sql by lib/sql2c.awk. */
struct aqi_migration {
	int version;
	const char *name;
	const char *sql;
};
/* Ordered by version; ends with {0, NULL, NULL}. */
extern const struct aqi_migration aqi_migrations[];

/* aq_buf_append() with its common case inline: the loader calls it a few
 * dozen times per row. */
static inline int
aqi_buf_add(struct aq_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len > n) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return AQ_OK;
	}
	return aq_buf_append(b, p, n);
}

/*
 * Room for one more element in array p, which holds n of *cap elements of
 * size elem: p itself when there is room, else p grown (to first, then
 * doubling) with *cap updated, or NULL when out of memory (p and *cap stay
 * as they were).
 */
void *aqi_grow(void *p, size_t *cap, size_t n, size_t elem, size_t first);

/* The bounds of a scaled rate window, shared by aq_limiter_set_window()
 * and aq_client_set_rate_window(): AQ_OK, or AQ_EINVAL saying so in e. */
int aqi_check_window(struct aqi_errbuf *e, double seconds);

/* Days since 1970-01-01 of year-month-day, proleptic Gregorian, for any
 * year (m in 1..12, d in 1..31). */
int64_t aqi_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The month of an instant in UTC, as year * 12 + month - 1; -1 outside
 * the years 1 to 9999, which aq_time_format() cannot write either. */
int aqi_time_month(int64_t usec);

/*
 * utf8.c: the offset in JSON text s[0..len) of the first \u escape of a
 * UTF-16 surrogate that is not half of a pair (a high one, D800-DBFF,
 * then a low one, DC00-DFFF), or len.  yajl decodes such an escape into
 * ill-formed UTF-8 (a low one) or into a character the text never named
 * (a high one).  An escaped backslash before the u ("\\ud800") is no
 * such escape.
 */
size_t aqi_json_surrogates(const char *s, size_t len);

/* SHA-256 of len bytes (lib/sha256.c). */
void aqi_sha256(const void *data, size_t len, unsigned char out[32]);

/* archive.c: gzip by its magic bytes (anything else is copied), and one
 * ListObjectsV2 answer; both pure, for the unit tests. */
int aqi_gunzip(const char *in, size_t len, struct aq_buf *out, char *why, size_t whysize);
int aqi_s3_parse_listing(const char *xml, size_t len,
    int (*fn)(void *, const struct aq_archive_object *), void *arg, int *truncated,
    struct aq_buf *token, char *why, size_t whysize);

/* FNV-1a of n bytes, continued from h (start: AQI_FNV_START). */
#define AQI_FNV_START 14695981039346656037ULL
static inline uint64_t
aqi_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n-- > 0)
		h = (h ^ *c++) * 1099511628211ULL;
	return h;
}

#endif /* AQ_INT_H */
