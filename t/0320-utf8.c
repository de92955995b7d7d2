/* 0320-utf8: aq_utf8_valid(), and the NDJSON and CSV readers that use it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openaq.h"
#include "tap.h"

struct seq {
	const char *name, *bytes;
};

/* The edges of each sequence length. */
static const struct seq good[] = {
    {"U+0000", "\x00"},
    {"U+007F", "\x7f"},
    {"U+0080", "\xc2\x80"},
    {"U+07FF", "\xdf\xbf"},
    {"U+0800", "\xe0\xa0\x80"},
    {"U+D7FF", "\xed\x9f\xbf"},
    {"U+E000", "\xee\x80\x80"},
    {"U+FFFF", "\xef\xbf\xbf"},
    {"U+10000", "\xf0\x90\x80\x80"},
    {"U+10FFFF", "\xf4\x8f\xbf\xbf"},
};

/* Every class of ill-formed input. */
static const struct seq bad[] = {
    {"overlong U+0000 (C0 80)", "\xc0\x80"},
    {"overlong U+007F (C1 BF)", "\xc1\xbf"},
    {"overlong 3 bytes (E0 80 80)", "\xe0\x80\x80"},
    {"overlong U+07FF in 3 bytes (E0 9F BF)", "\xe0\x9f\xbf"},
    {"overlong 4 bytes (F0 80 80 80)", "\xf0\x80\x80\x80"},
    {"overlong U+FFFF in 4 bytes (F0 8F BF BF)", "\xf0\x8f\xbf\xbf"},
    {"surrogate U+D800 (ED A0 80)", "\xed\xa0\x80"},
    {"surrogate U+DFFF (ED BF BF)", "\xed\xbf\xbf"},
    {"U+110000 (F4 90 80 80)", "\xf4\x90\x80\x80"},
    {"lead byte F5", "\xf5\x80\x80\x80"},
    {"lead byte F8", "\xf8\x88\x80\x80\x80"},
    {"lead byte FF", "\xff"},
    {"stray continuation 80", "\x80"},
    {"stray continuation BF", "\xbf"},
    {"two bytes cut short", "\xc3"},
    {"three bytes cut short", "\xe2\x82"},
    {"four bytes cut short", "\xf0\x9f\x98"},
    {"lead then ASCII", "\xc3("},
};

#define N(a) (sizeof(a) / sizeof(a)[0])

static size_t
len_of(const struct seq *s)
{
	/* U+0000 is one NUL byte */
	return s->bytes[0] == '\0' ? 1 : strlen(s->bytes);
}

static int
tmpfd(const char *data, size_t len)
{
	char tmpl[] = "/tmp/aq0320.XXXXXX";
	int fd;

	if ((fd = mkstemp(tmpl)) == -1 || write(fd, data, len) != (ssize_t)len) {
		perror("mkstemp");
		exit(99);
	}
	unlink(tmpl);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void
validator(void)
{
	char buf[64];
	size_t i, n;

	is_int(aq_utf8_valid("", 0), 0, "empty: valid");
	is_int(aq_utf8_valid(NULL, 5), 0, "NULL: 0");
	for (i = 0; i < N(good); i++) {
		n = len_of(&good[i]);
		is_int(aq_utf8_valid(good[i].bytes, n), n, "%s is valid", good[i].name);
		/* after ASCII long enough for the eight-byte steps, and before more */
		memcpy(buf, "0123456789a", 11);
		memcpy(buf + 11, good[i].bytes, n);
		memcpy(buf + 11 + n, "bcdefghijklmnop", 15);
		is_int(aq_utf8_valid(buf, 26 + n), 26 + n, "%s is valid amid ASCII", good[i].name);
	}
	for (i = 0; i < N(bad); i++) {
		n = strlen(bad[i].bytes);
		is_int(aq_utf8_valid(bad[i].bytes, n), 0, "%s is invalid", bad[i].name);
		memcpy(buf, "0123456789a\xc3\xa9", 13);
		memcpy(buf + 13, bad[i].bytes, n);
		memcpy(buf + 13 + n, "bcdefghijklmnop", 15);
		is_int(aq_utf8_valid(buf, 28 + n), 13, "%s: the valid prefix ends before it",
		    bad[i].name);
	}
	/* a sequence cut by the length, not by the bytes */
	is_int(aq_utf8_valid("a\xe2\x82\xac", 3), 1, "a sequence cut short by len");
	is_int(aq_utf8_valid("a\xe2\x82\xac", 4), 4, "the whole of it is valid");
}

static void
reader(void)
{
	struct aq_reader *r = aq_reader_new();
	struct aq_buf in = {0};
	const struct aq_value *v;
	char errbuf[512], want[64];
	size_t i;
	long line = 0;
	int fd, rc;

	aq_reader_set_errbuf(r, errbuf, sizeof errbuf);
	/* each bad sequence in a string value, then in a key; a good line
	 * after every bad one */
	for (i = 0; i < N(bad); i++) {
		aq_buf_append(&in, "{\"k\":\"x", 7);
		aq_buf_append(&in, bad[i].bytes, strlen(bad[i].bytes));
		aq_buf_append(&in, "\"}\n{\"", 5);
		aq_buf_append(&in, bad[i].bytes, strlen(bad[i].bytes));
		aq_buf_append(&in, "\":1}\n{\"ok\":1}\n", 14);
	}
	for (i = 0; i < N(good); i++) {
		aq_buf_append(&in, "{\"k\":\"", 6);
		aq_buf_append(&in, good[i].bytes, len_of(&good[i]));
		aq_buf_append(&in, "\"}\n", 3);
	}
	fd = tmpfd(in.data, in.len);
	aq_reader_open(r, fd, "u.ndjson");
	for (i = 0; i < N(bad); i++) {
		rc = aq_reader_next(r, &v);
		snprintf(want, sizeof want, "u.ndjson:%ld:8: invalid JSON: invalid UTF-8", ++line);
		ok(rc == AQ_EJSON && strncmp(errbuf, want, strlen(want)) == 0,
		    "reader: %s in a string is refused, at its column (%s)", bad[i].name, errbuf);
		rc = aq_reader_next(r, &v);
		snprintf(want, sizeof want, "u.ndjson:%ld:3: invalid JSON: invalid UTF-8", ++line);
		ok(rc == AQ_EJSON && strncmp(errbuf, want, strlen(want)) == 0 &&
			aq_reader_column(r) == 3 && strstr(aq_reader_error(r), "UTF-8") != NULL,
		    "reader: %s in a key is refused (%s)", bad[i].name, errbuf);
		rc = aq_reader_next(r, &v);
		line++;
		ok(rc == AQ_OK && aq_value_get(v, "ok") != NULL, "reader: the next line is read");
	}
	for (i = 0; i < N(good); i++) {
		size_t n;
		const char *s;

		rc = aq_reader_next(r, &v);
		s = aq_value_string(aq_value_get(v, "k"), &n);
		/* yajl refuses a raw NUL as a control character: only the
		 * validator may call it valid */
		if (good[i].bytes[0] == '\0')
			ok(rc == AQ_EJSON, "reader: a raw NUL is still refused by yajl");
		else
			ok(rc == AQ_OK && s != NULL && n == len_of(&good[i]) &&
				memcmp(s, good[i].bytes, n) == 0,
			    "reader: %s is read", good[i].name);
	}
	is_int(aq_reader_next(r, &v), AQ_EOF, "reader: then the end");
	close(fd);
	aq_reader_free(r);
	aq_buf_free(&in);
}

static void
csv(void)
{
	struct aq_csv *c = aq_csv_new();
	struct aq_buf in = {0};
	char errbuf[512], want[80];
	const char *raw, *f;
	size_t i, n;
	int rc;

	aq_csv_set_errbuf(c, errbuf, sizeof errbuf);
	/* each bad sequence in field 3, plain then quoted, a good record
	 * after them */
	aq_buf_append(&in, "a,b,c\n", 6);
	for (i = 0; i < N(bad); i++) {
		aq_buf_append(&in, "1,2,x", 5);
		aq_buf_append(&in, bad[i].bytes, strlen(bad[i].bytes));
		aq_buf_append(&in, "\n1,\"2\",\"x", 9);
		aq_buf_append(&in, bad[i].bytes, strlen(bad[i].bytes));
		aq_buf_append(&in, "\"\n3,4,5\n", 8);
	}
	for (i = 1; i < N(good); i++) {
		aq_buf_append(&in, "6,\"", 3);
		aq_buf_append(&in, good[i].bytes, len_of(&good[i]));
		aq_buf_append(&in, "\",7\n", 4);
	}
	aq_csv_open_mem(c, in.data, in.len, "u.csv");
	is_int(aq_csv_next(c), AQ_OK, "csv: the header");
	for (i = 0; i < N(bad); i++) {
		long line = 2 + 3 * (long)i;

		rc = aq_csv_next(c);
		snprintf(want, sizeof want, "u.csv:%ld: field 3: invalid UTF-8", line);
		ok(rc == AQ_ETYPE && strncmp(errbuf, want, strlen(want)) == 0 &&
			strncmp(aq_csv_error(c), "field 3: invalid UTF-8 ", 23) == 0 &&
			strstr(aq_csv_error(c), "byte 2 of the field") != NULL,
		    "csv: %s in a field is refused, naming line and field (%s)", bad[i].name,
		    errbuf);
		raw = aq_csv_raw(c, &n);
		ok(aq_csv_line(c) == line && aq_csv_fields(c) == 0 &&
			aq_csv_field(c, 2, NULL) == NULL && n == 5 + strlen(bad[i].bytes) &&
			memcmp(raw, "1,2,x", 5) == 0,
		    "csv: ... no fields, the raw record kept");
		rc = aq_csv_next(c);
		ok(rc == AQ_ETYPE && aq_csv_line(c) == line + 1 &&
			strstr(errbuf, "field 3:") != NULL,
		    "csv: %s in a quoted field is refused (%s)", bad[i].name, errbuf);
		rc = aq_csv_next(c);
		ok(rc == AQ_OK && aq_csv_fields(c) == 3 && *aq_csv_error(c) == '\0',
		    "csv: the next record is read");
	}
	for (i = 1; i < N(good); i++) {
		rc = aq_csv_next(c);
		f = aq_csv_field(c, 1, &n);
		ok(rc == AQ_OK && f != NULL && n == len_of(&good[i]) &&
			memcmp(f, good[i].bytes, n) == 0,
		    "csv: %s is read", good[i].name);
	}
	is_int(aq_csv_next(c), AQ_EOF, "csv: then the end");
	/* quotes between the bytes of one character: the field is whole */
	aq_csv_open_mem(c, "x\xc3\"\xa9\"y\n", 7, "q.csv");
	f = aq_csv_field(c, 0, &n);
	ok(aq_csv_next(c) == AQ_OK && (f = aq_csv_field(c, 0, &n)) != NULL && n == 4 &&
		memcmp(f, "x\xc3\xa9y", 4) == 0,
	    "csv: a character split by quotes is whole");
	aq_csv_free(c);
	aq_buf_free(&in);
}

int
main(void)
{
	validator();
	reader();
	csv();
	return done_testing();
}
