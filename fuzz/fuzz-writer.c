/*
 * fuzz-writer: the NDJSON writer (lib/writer.c) and the JSON emitters
 * (aq_buf_json_string, aq_json_double in lib/json.c), by round trips
 * through the reader:
 * - every record of the input, copied by aq_writer_value(), reads back
 *   as the same tree, on one line;
 * - the input's longest valid UTF-8 prefix, as aq_buf_json_string() and
 *   aq_writer_string() write it, reads back as the same bytes;
 * - each 8 bytes of the input, as a double, reads back (strtod) as the
 *   same double from aq_json_double()'s text, which fits any size given
 *   or is refused.
 */
#include <math.h>

#include "fuzz.h"

static struct aq_reader *in, *back;
static struct aq_writer *w;
static char err1[512], err2[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK((in = aq_reader_new()) != NULL);
	FUZZ_CHECK((back = aq_reader_new()) != NULL);
	FUZZ_CHECK((w = aq_writer_new(NULL)) != NULL);
	aq_reader_set_errbuf(in, err1, sizeof err1);
	aq_reader_set_errbuf(back, err2, sizeof err2);
	return 0;
}

/* The one record of the writer's buffer, read back. */
static const struct aq_value *
read_back(void)
{
	const struct aq_value *rec;
	const char *text;
	size_t n;
	int rc;

	text = aq_writer_buffer(w, &n);
	FUZZ_CHECK(n > 0 && text[n - 1] == '\n' && memchr(text, '\n', n - 1) == NULL);
	FUZZ_CHECK(aq_reader_open(back, fuzz_fd(1, text, n), "back") == AQ_OK);
	rc = aq_reader_next(back, &rec);
	if (rc != AQ_OK)
		fprintf(stderr, "written line does not read back: %s\n", err2);
	FUZZ_CHECK(rc == AQ_OK);
	return rec;
}

static void
strings(const char *s, size_t len)
{
	struct aq_buf b = {0};
	const struct aq_value *rec, *v;
	const char *t;
	size_t n;

	FUZZ_CHECK(aq_buf_json_string(&b, s, len) == AQ_OK);
	FUZZ_CHECK(b.len >= len + 2 && b.data[0] == '"' && b.data[b.len - 1] == '"');
	for (n = 0; n < b.len; n++)
		FUZZ_CHECK((unsigned char)b.data[n] >= 0x20);
	/* the same text, as a member of a record */
	aq_writer_clear(w);
	FUZZ_CHECK(aq_writer_begin_object(w) == AQ_OK);
	FUZZ_CHECK(aq_writer_key(w, "s") == AQ_OK);
	FUZZ_CHECK(aq_writer_string(w, s, len) == AQ_OK);
	FUZZ_CHECK(aq_writer_end_object(w) == AQ_OK);
	FUZZ_CHECK(aq_writer_end_line(w) == AQ_OK);
	t = aq_writer_buffer(w, &n);
	FUZZ_CHECK(n == b.len + 7 && memcmp(t + 5, b.data, b.len) == 0);
	rec = read_back();
	v = aq_value_get(rec, "s");
	t = aq_value_string(v, &n);
	FUZZ_CHECK(aq_value_type(v) == AQ_STRING && n == len && memcmp(t, s, len) == 0);
	aq_buf_free(&b);
}

static void
doubles(const uint8_t *data, size_t size)
{
	char buf[AQ_JSON_DOUBLE_BUFSZ], *tight;
	size_t i, n, m;
	double d, e;
	uint64_t bits;

	for (i = 0; i + 8 <= size && i < 64 * 8; i += 8) {
		memcpy(&bits, data + i, 8);
		memcpy(&d, &bits, 8);
		n = aq_json_double(d, buf, sizeof buf);
		if (!isfinite(d)) {
			FUZZ_CHECK(n == 0);
			FUZZ_CHECK(aq_writer_double(w, d) == AQ_ERANGE);
			aq_writer_abandon(w);
			continue;
		}
		FUZZ_CHECK(n > 0 && n < sizeof buf && buf[n] == '\0' && strlen(buf) == n);
		e = strtod(buf, NULL);
		FUZZ_CHECK(memcmp(&e, &d, sizeof d) == 0);
		/* exactly n + 1 bytes is enough, n is not (ASan sees the bound) */
		FUZZ_CHECK((tight = malloc(n + 1)) != NULL);
		m = aq_json_double(d, tight, n + 1);
		FUZZ_CHECK(m == n && memcmp(tight, buf, n + 1) == 0);
		FUZZ_CHECK(aq_json_double(d, tight, n) == 0);
		free(tight);
		/* and the writer writes that text */
		aq_writer_clear(w);
		FUZZ_CHECK(aq_writer_begin_array(w) == AQ_OK);
		FUZZ_CHECK(aq_writer_double(w, d) == AQ_OK);
		FUZZ_CHECK(aq_writer_int64(w, (int64_t)bits) == AQ_OK);
		FUZZ_CHECK(aq_writer_end_array(w) == AQ_OK);
		FUZZ_CHECK(aq_writer_end_line(w) == AQ_OK);
		{
			const char *t = aq_writer_buffer(w, &m);

			FUZZ_CHECK(m > n + 1 && memcmp(t + 1, buf, n) == 0 && t[n + 1] == ',');
		}
	}
	aq_writer_clear(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct aq_value *rec;
	int rc;

	/* every record copied into one buffer of lines, then the input read
	 * again beside what was written: one file each, not one a record */
	aq_writer_clear(w);
	FUZZ_CHECK(aq_reader_open(in, fuzz_fd(0, data, size), "in") == AQ_OK);
	while ((rc = aq_reader_next(in, &rec)) == AQ_OK || rc == AQ_EJSON) {
		if (rc != AQ_OK)
			continue;
		FUZZ_CHECK(aq_writer_value(w, rec) == AQ_OK);
		FUZZ_CHECK(aq_writer_end_line(w) == AQ_OK);
	}
	FUZZ_CHECK(rc == AQ_EOF);
	{
		const struct aq_value *copy;
		const char *text;
		size_t n;
		int rc2;

		text = aq_writer_buffer(w, &n);
		FUZZ_CHECK(aq_reader_open(back, fuzz_fd(1, text, n), "back") == AQ_OK);
		FUZZ_CHECK(aq_reader_open(in, fuzz_fd(0, data, size), "in") == AQ_OK);
		while ((rc = aq_reader_next(in, &rec)) == AQ_OK || rc == AQ_EJSON) {
			if (rc != AQ_OK)
				continue;
			rc2 = aq_reader_next(back, &copy);
			if (rc2 != AQ_OK)
				fprintf(stderr, "written line does not read back: %s\n", err2);
			FUZZ_CHECK(rc2 == AQ_OK);
			FUZZ_CHECK(fuzz_value_equal(rec, copy));
		}
		FUZZ_CHECK(aq_reader_next(back, &copy) == AQ_EOF);
	}
	/* an incomplete value is refused, then abandoned */
	aq_writer_clear(w);
	FUZZ_CHECK(aq_writer_begin_object(w) == AQ_OK);
	FUZZ_CHECK(aq_writer_end_line(w) == AQ_EINVAL);
	aq_writer_abandon(w);

	strings((const char *)data, aq_utf8_valid((const char *)data, size));
	doubles(data, size);
	return 0;
}
