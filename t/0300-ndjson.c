/* 0300-ndjson: the streaming reader. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openaq.h"
#include "tap.h"

static struct aq_reader *r;
static char errbuf[512];
static int fds[2] = {-1, -1};
static char tmpl[64];

/* Start reading the given bytes with rd, from a temp file called name. */
static void
feed_to(struct aq_reader *rd, const char *name, const char *data, size_t len)
{
	int fd;

	strcpy(tmpl, "/tmp/aq0300.XXXXXX");
	if ((fd = mkstemp(tmpl)) == -1 || write(fd, data, len) != (ssize_t)len) {
		perror("mkstemp");
		exit(99);
	}
	unlink(tmpl);
	lseek(fd, 0, SEEK_SET);
	if (fds[0] != -1)
		close(fds[0]);
	fds[0] = fd;
	aq_reader_open(rd, fd, name);
}

static void
feed(const char *data, size_t len)
{
	feed_to(r, "in.ndjson", data, len);
}

static const struct aq_value *
next(int *rc)
{
	const struct aq_value *v = NULL;

	*rc = aq_reader_next(r, &v);
	return v;
}

static int
count_all(int *bad)
{
	const struct aq_value *v;
	int rc, n = 0;

	*bad = 0;
	for (;;) {
		rc = aq_reader_next(r, &v);
		if (rc == AQ_OK)
			n++;
		else if (rc == AQ_EJSON)
			(*bad)++;
		else
			break;
	}
	return n;
}

int
main(void)
{
	const struct aq_value *v, *c;
	const char *s;
	size_t len;
	double d;
	int64_t i;
	int rc, bad, n;

	r = aq_reader_new();
	aq_reader_set_errbuf(r, errbuf, sizeof errbuf);

	feed("", 0);
	v = next(&rc);
	is_int(rc, AQ_EOF, "empty input: EOF at once");

	feed("{\"a\":1}\n{\"a\":2}\n", 16);
	v = next(&rc);
	is_int(rc, AQ_OK, "first record");
	is_int(aq_reader_line(r), 1, "on line 1");
	ok(aq_value_int64(aq_value_get(v, "a"), &i) == AQ_OK && i == 1, "a = 1");
	v = next(&rc);
	ok(rc == AQ_OK && aq_reader_line(r) == 2, "second record on line 2");
	v = next(&rc);
	is_int(rc, AQ_EOF, "then EOF");

	feed("{\"a\":1}\r\n{\"b\":\"x\"}", 18);
	v = next(&rc);
	ok(rc == AQ_OK, "CRLF line");
	s = aq_reader_raw(r, &len);
	ok(len == 7 && memcmp(s, "{\"a\":1}", 7) == 0, "raw line excludes CR LF");
	v = next(&rc);
	ok(rc == AQ_OK && aq_reader_line(r) == 2, "last line without newline");
	is_str(aq_value_string(aq_value_get(v, "b"), NULL), "x", "its value");
	v = next(&rc);
	is_int(rc, AQ_EOF, "EOF after an unterminated last line");

	{
		const char in[] = "{\"units\":\"\xc2\xb5g/m\xc2\xb3\",\"n\":\"NO\xe2\x82\x82\",\"e\":\"\\u00b5\\n\\\"\"}\n";

		feed(in, sizeof in - 1);
		v = next(&rc);
		is_str(aq_value_string(aq_value_get(v, "units"), &len), "\xc2\xb5g/m\xc2\xb3",
		    "raw UTF-8 kept: \xc2\xb5g/m\xc2\xb3");
		is_int(len, 7, "its length in bytes");
		is_str(aq_value_string(aq_value_get(v, "n"), NULL), "NO\xe2\x82\x82", "NO\xe2\x82\x82");
		is_str(aq_value_string(aq_value_get(v, "e"), NULL), "\xc2\xb5\n\"", "escapes decoded");
	}

	{
		const char in[] = "{\"a\":0,\"b\":-0.1,\"c\":1e3,\"d\":-2.5E-2,\"e\":12345678901234567890,"
		    "\"f\":6.0,\"g\":1e400,\"h\":-9999.0}\n";

		feed(in, sizeof in - 1);
		v = next(&rc);
		ok(rc == AQ_OK, "every JSON number form parses");
		ok(aq_value_number(aq_value_get(v, "b"), &d) == AQ_OK && d == -0.1, "-0.1");
		ok(aq_value_int64(aq_value_get(v, "c"), &i) == AQ_OK && i == 1000, "1e3 is the integer 1000");
		ok(aq_value_number(aq_value_get(v, "d"), &d) == AQ_OK && d == -0.025, "-2.5E-2");
		is_int(aq_value_int64(aq_value_get(v, "e"), &i), AQ_ERANGE, "a 20-digit integer is out of int64 range");
		is_str(aq_value_string(aq_value_get(v, "e"), NULL), "12345678901234567890", "but its text is exact");
		ok(aq_value_int64(aq_value_get(v, "f"), &i) == AQ_OK && i == 6, "6.0 is an integer");
		is_str(aq_value_string(aq_value_get(v, "f"), NULL), "6.0", "6.0 keeps its text");
		ok(aq_value_number(aq_value_get(v, "g"), &d) == AQ_OK && d > 1e308, "1e400 overflows to infinity, not an error");
		is_int(aq_value_int64(aq_value_get(v, "b"), &i), AQ_ETYPE, "-0.1 is not an integer");
		is_int(aq_value_number(aq_value_get(v, "zz"), &d), AQ_ETYPE, "an absent member is not a number");
	}

	{
		const char in[] = "{\"period\":{\"datetimeTo\":{\"utc\":\"2024-01-01T00:00:00Z\"}},"
		    "\"sensors\":[{\"id\":1},{\"id\":2,\"x\":null}],\"t\":true,\"f\":false,\"k\":1,\"k\":2}\n";

		feed(in, sizeof in - 1);
		v = next(&rc);
		is_str(aq_value_string(aq_value_path(v, "period.datetimeTo.utc"), NULL),
		    "2024-01-01T00:00:00Z", "dotted path");
		ok(aq_value_int64(aq_value_path(v, "sensors.1.id"), &i) == AQ_OK && i == 2, "array index in a path");
		ok(aq_value_path(v, "sensors.2.id") == NULL, "an index past the end is absent");
		is_int(aq_value_count(aq_value_get(v, "sensors")), 2, "array count");
		ok(aq_value_type(aq_value_path(v, "sensors.1.x")) == AQ_NULL &&
		    aq_value_path(v, "sensors.1.x") != NULL, "null is present, typed AQ_NULL");
		ok(aq_value_is_null(aq_value_path(v, "sensors.1.x")) && aq_value_is_null(NULL), "is_null for null and absent");
		ok(aq_value_type(aq_value_get(v, "t")) == AQ_TRUE && aq_value_type(aq_value_get(v, "f")) == AQ_FALSE, "booleans");
		ok(aq_value_int64(aq_value_get(v, "k"), &i) == AQ_OK && i == 2, "a duplicate key: the last wins");
		n = 0;
		for (c = aq_value_first(v); c != NULL; c = aq_value_next(c))
			n++;
		is_int(n, 6, "iteration sees every member, duplicates too");
		is_str(aq_value_key(aq_value_first(v), NULL), "period", "member keys");
	}

	{
		const char in[] = "{\"a\":1}\n{\"a\":\n[1,2]\n\"str\"\n{} {}\n{\"a\":tru}\n\n  \n{\"b\":\"\xff\"}\n{\"ok\":1}\n";

		feed(in, sizeof in - 1);
	}
	v = next(&rc);
	ok(rc == AQ_OK, "good line 1");
	v = next(&rc);
	ok(rc == AQ_EJSON && aq_reader_line(r) == 2, "an incomplete object is an error on line 2");
	ok(strncmp(errbuf, "in.ndjson:2:", 12) == 0, "the message names FILE:LINE (%s)", errbuf);
	v = next(&rc);
	ok(rc == AQ_EJSON && strstr(errbuf, "not a JSON object") != NULL, "an array line is not an object (%s)", errbuf);
	v = next(&rc);
	ok(rc == AQ_EJSON && aq_reader_line(r) == 4, "a string line is not an object");
	v = next(&rc);
	ok(rc == AQ_EJSON && strstr(errbuf, "more than one") != NULL, "two values on a line (%s)", errbuf);
	v = next(&rc);
	ok(rc == AQ_EJSON && aq_reader_line(r) == 6 && strstr(errbuf, "in.ndjson:6:") == errbuf,
	    "a lexical error, with its line (%s)", errbuf);
	ok(strchr(errbuf, '\n') == NULL, "the message is one line");
	{
		char want[400];

		snprintf(want, sizeof want, "in.ndjson:6:%ld: %s", aq_reader_column(r),
		    aq_reader_error(r));
		ok(aq_reader_column(r) >= 6 && aq_reader_column(r) <= 10 &&
		    strncmp(aq_reader_error(r), "invalid JSON: ", 14) == 0,
		    "aq_reader_column() and aq_reader_error() (%ld, %s)", aq_reader_column(r),
		    aq_reader_error(r));
		is_str(errbuf, want, "the detail buffer is NAME:LINE:COL: then the error");
	}
	v = next(&rc);
	ok(rc == AQ_EJSON && aq_reader_line(r) == 9, "invalid UTF-8 is an error; blank lines skipped but counted (%s)", errbuf);
	v = next(&rc);
	ok(rc == AQ_OK && aq_reader_line(r) == 10, "reading goes on after errors");
	ok(aq_reader_column(r) == 0 && *aq_reader_error(r) == '\0',
	    "no error column or text after a good line");
	v = next(&rc);
	is_int(rc, AQ_EOF, "EOF");

	/* lines far longer than the read chunk, across chunk boundaries */
	{
		size_t big = 300000, k, total = 0;
		char *in = malloc(3 * (big + 32)), *p = in;

		for (k = 0; k < 3; k++) {
			p += sprintf(p, "{\"k\":%zu,\"s\":\"", k);
			memset(p, 'a' + (int)k, big);
			p += big;
			p += sprintf(p, "\"}\n");
		}
		feed(in, (size_t)(p - in));
		for (k = 0; k < 3; k++) {
			v = next(&rc);
			if (rc == AQ_OK) {
				aq_value_string(aq_value_get(v, "s"), &len);
				total += len;
			}
		}
		is_int(total, 3 * big, "three 300 kB lines read whole");
		v = next(&rc);
		is_int(rc, AQ_EOF, "then EOF");
		free(in);
	}

	/* many records through a pipe, in odd-sized writes */
	{
		int p[2];
		pid_t pid;
		char line[64];

		if (pipe(p) == -1)
			return 99;
		if ((pid = fork()) == 0) {
			close(p[0]);
			for (int k = 0; k < 50000; k++) {
				int m = snprintf(line, sizeof line, "{\"i\":%d}\n", k);

				if (write(p[1], line, (size_t)m) != m)
					_exit(1);
			}
			_exit(0);
		}
		close(p[1]);
		aq_reader_open(r, p[0], NULL);
		n = count_all(&bad);
		is_int(n, 50000, "50000 records through a pipe");
		is_int(bad, 0, "none bad");
		is_str(aq_reader_name(r), "<stdin>", "a NULL name reads as <stdin>");
		close(p[0]);
	}

	/* the tree points into a copy of the line: every kind of text ends
	 * where it should, and the raw line stays as it came */
	{
		const char in[] = "{\"n\":12,\"s\":\"abc\",\"e\":\"a\\\"b\\u00e9\",\"arr\":[1,-2.5e3,[3]],"
		    "\"o\":{\"x\":7} ,\"k\\u0041\":\"v\",\"t\":true,\"z\":0}\n";
		const char *raw;

		feed(in, sizeof in - 1);
		v = next(&rc);
		ok(rc == AQ_OK, "a line of every token kind");
		is_str(aq_value_string(aq_value_get(v, "n"), NULL), "12", "a number before a comma");
		is_str(aq_value_string(aq_value_get(v, "s"), NULL), "abc", "a plain string");
		is_str(aq_value_string(aq_value_get(v, "e"), NULL), "a\"b\xc3\xa9", "a string with escapes");
		is_str(aq_value_string(aq_value_path(v, "arr.0"), NULL), "1", "a number in an array");
		is_str(aq_value_string(aq_value_path(v, "arr.1"), NULL), "-2.5e3", "a number before a comma in an array");
		is_str(aq_value_string(aq_value_path(v, "arr.2.0"), NULL), "3", "a number before ]");
		is_str(aq_value_string(aq_value_path(v, "o.x"), NULL), "7", "a number before }");
		is_str(aq_value_string(aq_value_get(v, "kA"), NULL), "v", "a key with an escape");
		is_str(aq_value_string(aq_value_get(v, "z"), NULL), "0", "the last number of the line");
		ok(aq_value_type(aq_value_get(v, "t")) == AQ_TRUE, "a boolean among them");
		raw = aq_reader_raw(r, &len);
		ok(len == sizeof in - 2 && memcmp(raw, in, len) == 0, "the raw line is untouched");
	}

	/* a number after the object, at the very end of the line */
	{
		const char in[] = "{\"a\":1} 7\n{\"a\":1}\n{\"a\":1}7";

		feed(in, sizeof in - 1);
		v = next(&rc);
		ok(rc == AQ_EJSON && strstr(errbuf, "more than one") != NULL,
		    "a number after the object is a second value (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_OK, "an object that ends the line");
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 3,
		    "a number right after the object, at the end of input (%s)", errbuf);
	}

	/* members left out by aq_reader_skip */
	{
		struct aq_reader *r2 = aq_reader_new();
		char err2[256];
		const char in[] =
		    "{\"value\":1,\"summary\":{\"min\":1,\"q\":[1,{\"x\":\"s\"}]},"
		    "\"period\":{\"datetimeFrom\":{\"utc\":\"x\"},\"datetimeTo\":{\"utc\":\"y\"}},"
		    "\"sensors\":[{\"id\":1,\"parameter\":{\"id\":2}},{\"id\":3,\"parameter\":5}],"
		    "\"a\":{\"b\":{\"c\":1,\"d\":2}},\"datetimeFrom\":\"kept\"}\n"
		    "{\"summary\":{\"min\":tru}}\n"
		    "{\"summary\":\"\xff\",\"v\":1}\n"
		    "{\"summary\":{\"a\":[1,\n"
		    "{\"summary\":1,\"v\":2}\n";
		const char *raw;

		aq_reader_set_errbuf(r2, err2, sizeof err2);
		is_int(aq_reader_skip(r2, "a..b"), AQ_EINVAL, "an empty component is refused");
		ok(strstr(err2, "a..b") != NULL, "the message names the path (%s)", err2);
		is_int(aq_reader_skip(r2, ""), AQ_EINVAL, "an empty path is refused");
		is_int(aq_reader_skip(r2, ".x"), AQ_EINVAL, "a leading dot is refused");
		is_int(aq_reader_skip(r2, NULL), AQ_EINVAL, "a NULL path is refused");
		ok(aq_reader_skip(r2, "summary.min") == AQ_OK && aq_reader_skip(r2, "summary") == AQ_OK &&
		    aq_reader_skip(r2, "summary.max") == AQ_OK &&
		    aq_reader_skip(r2, "period.datetimeFrom") == AQ_OK &&
		    aq_reader_skip(r2, "sensors.parameter") == AQ_OK &&
		    aq_reader_skip(r2, "a.b.c") == AQ_OK, "paths are taken");
		feed_to(r2, "skip.ndjson", in, sizeof in - 1);
		rc = aq_reader_next(r2, &v);
		ok(rc == AQ_OK, "a record with skipped members reads (%s)", err2);
		ok(aq_value_get(v, "summary") == NULL, "summary is left out, arrays and objects inside it too");
		ok(aq_value_path(v, "period.datetimeFrom") == NULL, "a nested member is left out");
		is_str(aq_value_string(aq_value_path(v, "period.datetimeTo.utc"), NULL), "y",
		    "its sibling stays");
		is_int(aq_value_count(aq_value_get(v, "period")), 1, "the object counts only what it has");
		ok(aq_value_path(v, "sensors.0.parameter") == NULL && aq_value_path(v, "sensors.1.parameter") == NULL,
		    "an array is transparent: every element loses the member");
		ok(aq_value_int64(aq_value_path(v, "sensors.1.id"), &i) == AQ_OK && i == 3,
		    "and keeps the others");
		ok(aq_value_path(v, "a.b.c") == NULL && aq_value_int64(aq_value_path(v, "a.b.d"), &i) == AQ_OK &&
		    i == 2, "three levels deep");
		is_str(aq_value_string(aq_value_get(v, "datetimeFrom"), NULL), "kept",
		    "a rule is a path, not a name: a top-level datetimeFrom stays");
		is_int(aq_value_count(v), 5, "the record has its five other members");
		raw = aq_reader_raw(r2, &len);
		ok(len == strchr(in, '\n') - in && memcmp(raw, in, len) == 0, "the raw line has all of it");
		rc = aq_reader_next(r2, &v);
		ok(rc == AQ_EJSON && strstr(err2, "skip.ndjson:2:") == err2,
		    "invalid JSON inside a skipped member is still an error (%s)", err2);
		rc = aq_reader_next(r2, &v);
		ok(rc == AQ_EJSON && aq_reader_line(r2) == 3,
		    "invalid UTF-8 inside a skipped member is still an error (%s)", err2);
		rc = aq_reader_next(r2, &v);
		ok(rc == AQ_EJSON && aq_reader_line(r2) == 4, "a line that ends inside a skipped member");
		rc = aq_reader_next(r2, &v);
		ok(rc == AQ_OK && aq_value_count(v) == 1 && aq_value_int64(aq_value_get(v, "v"), &i) == AQ_OK &&
		    i == 2, "the next line starts afresh");
		aq_reader_free(r2);
	}

	/* JSON white space is space, tab, LF and CR only: yajl also takes
	 * vertical tab and form feed, the reader does not */
	{
		static const char in[] = "{\"a\":1,\v\"b\":2}\n"
		    "\f{\"a\":1}\n"
		    "{\"a\":1} \v\n"
		    "{\"a\":[1,\f2]}\n"
		    "{\"a\":\"x\vy\"}\n"
		    "{\"a\":\"x\\u000b\\fy\"}\n"
		    "{\"a\":1}\n";

		feed(in, sizeof in - 1);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_column(r) == 8 &&
		    strstr(aq_reader_error(r), "vertical tab outside a string") != NULL,
		    "a vertical tab between members is refused, at its column (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_column(r) == 1 &&
		    strstr(errbuf, "in.ndjson:2:1: invalid JSON: form feed outside a string") == errbuf,
		    "a form feed before the object is refused (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_column(r) == 9, "a vertical tab after it too (%s)",
		    errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_column(r) == 9, "a form feed in an array too (%s)",
		    errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 5,
		    "a raw vertical tab in a string is a control character (%s)", errbuf);
		v = next(&rc);
		is_str(aq_value_string(aq_value_get(v, "a"), NULL), "x\v\fy",
		    "escaped, they are characters of the string");
		v = next(&rc);
		ok(rc == AQ_OK && aq_reader_line(r) == 7, "the next line is read");
	}

	/* a string opened after the object and never closed: yajl's lexer
	 * holds it, and a space would be part of it (found by fuzz/fuzz-aq-norm:
	 * the line was taken as a record, and aq-norm copied it verbatim into
	 * a reject line that was not JSON) */
	{
		static const char in[] = "{\"a\":1}\"{\n"
					 "{\"a\":1} \"x y\n"
					 "{\"a\":1}\"\n"
					 "{\"a\":1}  \n";

		feed(in, sizeof in - 1);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_column(r) == 10 &&
			strstr(aq_reader_error(r), "ends inside a JSON value") != NULL,
		    "an unterminated string after the object is refused (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 2, "with a space in it too (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 3, "a lone quote too (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_OK && aq_reader_line(r) == 4, "trailing spaces are still fine");
	}

	/* the same, when the line's last byte is a '}' inside that string:
	 * the object did not close at the last byte (found by
	 * fuzz/fuzz-writer: the line was a record, and the string stayed
	 * open in yajl's lexer, so the next line was read inside it) */
	{
		int64_t i64 = 0;
		static const char in[] = "{\"Id\":1}\"loca2uiId :2}\n"
		    "{\"a\":2}\n"
		    "{\"a\":3}\"}\n"
		    "{\"a\":{}}\n";

		feed(in, sizeof in - 1);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 1 &&
		    strstr(aq_reader_error(r), "ends inside a JSON value") != NULL,
		    "a string after the object that ends in '}' is refused (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_OK && aq_reader_line(r) == 2 &&
		    aq_value_int64(aq_value_get(v, "a"), &i64) == AQ_OK && i64 == 2,
		    "the next line is its own record");
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 3, "a lone '\"}' too (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_OK && aq_reader_line(r) == 4 &&
		    aq_value_type(aq_value_get(v, "a")) == AQ_OBJECT, "a nested object at the end is fine");
	}

	/* \u escapes of UTF-16 surrogates: a pair is one character; alone,
	 * yajl wrote a low one as ill-formed UTF-8 (ED B0 80) into the
	 * record, turned a high one into '?' and a high one before another
	 * escape into a code point of its own making (found by
	 * fuzz/fuzz-aq-dims: the reject file was not UTF-8) */
	{
		static const char in[] = "{\"a\":\"\\ud83d\\ude00\"}\n"
					 "{\"a\":\"x\\udc00\"}\n"
					 "{\"a\":\"\\ud800\"}\n"
					 "{\"a\":\"\\ud800\\u0041\"}\n"
					 "{\"\\udfff\":1}\n"
					 "{\"a\":\"\\\\udc00\"}\n"
					 "{\"a\":\"\\uD83D\\uDE00\\u00e9\"}\n";
		const char *t;

		feed(in, sizeof in - 1);
		v = next(&rc);
		t = aq_value_string(aq_value_get(v, "a"), &len);
		ok(rc == AQ_OK && t != NULL && len == 4 && memcmp(t, "\xf0\x9f\x98\x80", 4) == 0,
		    "a surrogate pair is one character");
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_column(r) == 8 &&
			strstr(aq_reader_error(r), "surrogate") != NULL,
		    "a lone low surrogate is refused, at its column (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 3, "a lone high surrogate too (%s)",
		    errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 4,
		    "a high surrogate before another escape too (%s)", errbuf);
		v = next(&rc);
		ok(rc == AQ_EJSON && aq_reader_line(r) == 5, "in a key too (%s)", errbuf);
		v = next(&rc);
		is_str(aq_value_string(aq_value_get(v, "a"), NULL), "\\udc00",
		    "an escaped backslash before u is no escape");
		v = next(&rc);
		t = aq_value_string(aq_value_get(v, "a"), &len);
		ok(rc == AQ_OK && t != NULL && len == 6 &&
			memcmp(t, "\xf0\x9f\x98\x80\xc3\xa9", 6) == 0,
		    "upper-case hex, then another escape");
	}

	aq_reader_free(r);
	if (fds[0] != -1)
		close(fds[0]);
	return done_testing();
}
