/*
 * fuzz.h: what the libFuzzer harnesses of fuzz/ share: the entry points,
 * a check that aborts (libFuzzer then keeps the input as a crash), inputs
 * as file descriptors for the readers that read fds, and a comparison of
 * value trees.  Header-only: each harness is one program.
 */
#ifndef AQ_FUZZ_H
#define AQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "openaq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the code under test promises does not hold: say which, and
 * abort, so that libFuzzer reports the input as a crash. */
#define FUZZ_CHECK(cond)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,   \
			    __LINE__, #cond);                                     \
			abort();                                                  \
		}                                                                 \
	} while (0)

/*
 * Slot k's file (a few per harness): a temporary file, unlinked, that now
 * holds exactly data[0..size), its offset at 0.  The same descriptor is
 * reused from one input to the next.
 */
static inline int
fuzz_fd(int k, const void *data, size_t size)
{
	static FILE *fp[4];
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int fd;

	FUZZ_CHECK(k >= 0 && k < 4);
	if (fp[k] == NULL && (fp[k] = tmpfile()) == NULL) {
		perror("tmpfile");
		abort();
	}
	fd = fileno(fp[k]);
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	while (off < size) {
		n = pwrite(fd, p + off, size - off, (off_t)off);
		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
	FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* A path that opens descriptor fd afresh (its own offset), for code that
 * takes file names. */
static inline const char *
fuzz_path(int fd)
{
	static char path[32];

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return path;
}

/* Are a and b the same JSON value: types, number texts, string bytes,
 * member names and order? */
static inline int
fuzz_value_equal(const struct aq_value *a, const struct aq_value *b)
{
	const struct aq_value *x, *y;
	const char *s, *t;
	size_t n, m;

	if (aq_value_type(a) != aq_value_type(b))
		return 0;
	switch (aq_value_type(a)) {
	case AQ_NUMBER:
	case AQ_STRING:
		s = aq_value_string(a, &n);
		t = aq_value_string(b, &m);
		return s != NULL && t != NULL && n == m && memcmp(s, t, n) == 0;
	case AQ_OBJECT:
	case AQ_ARRAY:
		if (aq_value_count(a) != aq_value_count(b))
			return 0;
		for (x = aq_value_first(a), y = aq_value_first(b); x != NULL && y != NULL;
		    x = aq_value_next(x), y = aq_value_next(y)) {
			if (aq_value_type(a) == AQ_OBJECT) {
				s = aq_value_key(x, &n);
				t = aq_value_key(y, &m);
				if (s == NULL || t == NULL || n != m || memcmp(s, t, n) != 0)
					return 0;
			}
			if (!fuzz_value_equal(x, y))
				return 0;
		}
		return x == NULL && y == NULL;
	default:
		return 1;
	}
}

/* yajl's callbacks for fuzz_check_ndjson(): the depth, and whether a
 * top-level value is an object. */
struct fuzz_json {
	size_t depth;
	int values, not_object;
};

static inline int
fuzz_json_scalar(void *ctx)
{
	struct fuzz_json *j = ctx;

	if (j->depth == 0)
		j->not_object = 1;
	return 1;
}

static inline int
fuzz_json_bool(void *ctx, int b)
{
	(void)b;
	return fuzz_json_scalar(ctx);
}

static inline int
fuzz_json_text(void *ctx, const unsigned char *s, size_t n)
{
	(void)s;
	(void)n;
	return fuzz_json_scalar(ctx);
}

static inline int
fuzz_json_num(void *ctx, const char *s, size_t n)
{
	(void)s;
	(void)n;
	return fuzz_json_scalar(ctx);
}

static inline int
fuzz_json_map(void *ctx)
{
	((struct fuzz_json *)ctx)->depth++;
	return 1;
}

static inline int
fuzz_json_array(void *ctx)
{
	struct fuzz_json *j = ctx;

	if (j->depth++ == 0)
		j->not_object = 1;
	return 1;
}

static inline int
fuzz_json_end(void *ctx)
{
	struct fuzz_json *j = ctx;

	if (--j->depth == 0)
		j->values++;
	return 1;
}

static inline int
fuzz_json_key(void *ctx, const unsigned char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return 1;
}

/*
 * Check every line of text[0..len): each must be one JSON object, valid
 * UTF-8 (what the tools promise of their rows and reject records).  This
 * is yajl's own check, with no bound on depth: a reject line wraps its
 * record in one more object, so a record at AQ_JSON_MAX_DEPTH makes a
 * line one level deeper than the library's reader takes.
 */
static inline void
fuzz_check_ndjson(const char *text, size_t len)
{
	static const yajl_callbacks cb = {
		fuzz_json_scalar, fuzz_json_bool, NULL, NULL, fuzz_json_num, fuzz_json_text,
		fuzz_json_map, fuzz_json_key, fuzz_json_end, fuzz_json_array, fuzz_json_end,
	};
	const char *p = text, *end = text + len, *nl;
	struct fuzz_json j;
	yajl_handle y;
	int ok;

	FUZZ_CHECK(len == 0 || text[len - 1] == '\n');
	FUZZ_CHECK(aq_utf8_valid(text, len) == len);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		memset(&j, 0, sizeof j);
		FUZZ_CHECK((y = yajl_alloc(&cb, NULL, &j)) != NULL);
		ok = yajl_parse(y, (const unsigned char *)p, (size_t)(nl - p)) == yajl_status_ok &&
		    yajl_complete_parse(y) == yajl_status_ok;
		if (!ok || j.values != 1 || j.not_object)
			fprintf(stderr, "not one JSON object: %.*s\n", (int)(nl - p > 300 ? 300 : nl - p),
			    p);
		FUZZ_CHECK(ok && j.values == 1 && !j.not_object);
		/* yajl takes these as white space; JSON does not */
		FUZZ_CHECK(memchr(p, '\v', (size_t)(nl - p)) == NULL);
		FUZZ_CHECK(memchr(p, '\f', (size_t)(nl - p)) == NULL);
		yajl_free(y);
	}
}

/*
 * A tool harness's two outputs, standard output and the reject file, in
 * memory: fuzz_out_begin() points stdout at one and opens the other (for
 * the tool's reject writer); after the run and the close of the rejects,
 * fuzz_out_end() puts stdout back and checks that each holds one JSON
 * object a line.
 */
struct fuzz_out {
	FILE *saved, *out, *rej;
	char *out_text, *rej_text;
	size_t out_len, rej_len;
};

static inline void
fuzz_out_begin(struct fuzz_out *o)
{
	o->saved = stdout;
	FUZZ_CHECK((o->out = open_memstream(&o->out_text, &o->out_len)) != NULL);
	/* glibc's stdout is a variable that may be assigned */
	stdout = o->out;
	FUZZ_CHECK((o->rej = open_memstream(&o->rej_text, &o->rej_len)) != NULL);
}

static inline void
fuzz_out_end(struct fuzz_out *o)
{
	stdout = o->saved;
	FUZZ_CHECK(fclose(o->out) == 0);
	fuzz_check_ndjson(o->out_text, o->out_len);
	fuzz_check_ndjson(o->rej_text, o->rej_len);
	free(o->out_text);
	free(o->rej_text);
	o->out_text = o->rej_text = NULL;
}

#endif /* AQ_FUZZ_H */
