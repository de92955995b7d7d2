/* 0310-json-depth: the bound on nesting, AQ_JSON_MAX_DEPTH. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openaq.h"
#include "tap.h"

static char errbuf[512];

/*
 * A line nested n levels deep, the top-level object being level 1: its
 * member "a" holds n - 1 arrays, or n - 1 objects each {"a":...}, around
 * a 1.  Then a newline and a good line.
 */
static char *
deep(size_t n, int objects, size_t *len)
{
	struct aq_buf b = {0};
	size_t i;

	aq_buf_append(&b, "{\"a\":", 5);
	for (i = 1; i < n; i++)
		aq_buf_append(&b, objects ? "{\"a\":" : "[", objects ? 5 : 1);
	aq_buf_append(&b, "1", 1);
	for (i = 1; i < n; i++)
		aq_buf_append(&b, objects ? "}" : "]", 1);
	aq_buf_append(&b, "}\n{\"next\":2}\n", 13);
	*len = b.len;
	return b.data;
}

static int
feed(struct aq_reader *r, const char *data, size_t len)
{
	char tmpl[] = "/tmp/aq0310.XXXXXX";
	int fd;

	if ((fd = mkstemp(tmpl)) == -1 || write(fd, data, len) != (ssize_t)len) {
		perror("mkstemp");
		exit(99);
	}
	unlink(tmpl);
	lseek(fd, 0, SEEK_SET);
	aq_reader_open(r, fd, "in.ndjson");
	return fd;
}

/* The levels of v: 1 for an object or array of scalars. */
static size_t
levels(const struct aq_value *v)
{
	size_t n = 0;

	while (aq_value_type(v) == AQ_OBJECT || aq_value_type(v) == AQ_ARRAY) {
		n++;
		v = aq_value_first(v);
	}
	return n;
}

static void
one(size_t n, int objects, const char *skip)
{
	const char *kind = objects ? "objects" : "arrays";
	struct aq_reader *r = aq_reader_new();
	const struct aq_value *rec = NULL;
	size_t len, raw;
	char *text = deep(n, objects, &len);
	int fd, rc;

	aq_reader_set_errbuf(r, errbuf, sizeof errbuf);
	if (skip != NULL)
		aq_reader_skip(r, skip);
	fd = feed(r, text, len);
	errbuf[0] = '\0';
	rc = aq_reader_next(r, &rec);
	if (n <= AQ_JSON_MAX_DEPTH) {
		is_int(rc, AQ_OK, "%zu levels of %s%s: read", n, kind, skip ? " (skipped)" : "");
		if (skip == NULL) {
			struct aq_writer *w = aq_writer_new(NULL);
			const char *out;
			size_t outlen;

			is_int(levels(rec), n, "%zu levels of %s: all in the tree", n, kind);
			is_int(
			    aq_writer_value(w, rec), AQ_OK, "%zu levels of %s: written", n, kind);
			aq_writer_end_line(w);
			out = aq_writer_buffer(w, &outlen);
			aq_reader_raw(r, &raw);
			ok(outlen == raw + 1 && memcmp(out, text, outlen) == 0,
			    "%zu levels of %s: written as read", n, kind);
			aq_writer_free(w);
		}
	} else {
		is_int(rc, AQ_EJSON, "%zu levels of %s%s: AQ_EJSON", n, kind,
		    skip ? " (skipped)" : "");
		ok(strstr(errbuf, "nested deeper than 1000 levels") != NULL,
		    "%zu levels of %s: the detail says so", n, kind);
		ok(strncmp(errbuf, "in.ndjson:1:", 12) == 0, "... and names the line");
		ok(strstr(aq_reader_error(r), "nested deeper than 1000 levels") != NULL,
		    "... so does aq_reader_error()");
		is_int(aq_reader_line(r), 1, "... on line 1");
		/* level 1001 opens at byte 1005 (arrays) or 5001 (objects) */
		is_int(aq_reader_column(r), objects ? 5001 : 1005,
		    "... at the column of the bracket that opens level 1001");
	}
	rc = aq_reader_next(r, &rec);
	is_int(rc, AQ_OK, "%zu levels of %s: the next line is read", n, kind);
	is_int(aq_reader_line(r), 2, "... it is line 2");
	ok(aq_value_get(rec, "next") != NULL, "... and is the next record");
	is_int(aq_reader_next(r, &rec), AQ_EOF, "... then the end");
	close(fd);
	aq_reader_free(r);
	free(text);
}

int
main(void)
{
	static const size_t n[] = {999, 1000, 1001, 1000000};
	size_t i;

	is_int(AQ_JSON_MAX_DEPTH, 1000, "AQ_JSON_MAX_DEPTH is 1000");
	for (i = 0; i < sizeof n / sizeof n[0]; i++) {
		one(n[i], 0, NULL);
		one(n[i], 1, NULL);
	}
	/* a skipped member is checked, not built: its depth counts too */
	one(1000, 0, "a");
	one(1001, 0, "a");
	one(1001, 1, "a");
	return done_testing();
}
