/*
 * 0700-copy-text: the COPY text encoder (lib/copy-text.c), without a
 * server: every byte's escaping, NUL, JSON into text and json columns,
 * numbers into integer columns, booleans, nulls, and rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load-int.h"
#include "tap.h"

static struct aq_reader *rd;
static int fd = -1;

/* The record of one NDJSON line (valid until the next call). */
static const struct aq_value *
parse(const char *line)
{
	char tmpl[] = "/tmp/aq0700.XXXXXX";
	const struct aq_value *v = NULL;
	size_t len = strlen(line);

	if (fd != -1)
		close(fd);
	if ((fd = mkstemp(tmpl)) == -1 || write(fd, line, len) != (ssize_t)len) {
		perror("mkstemp");
		exit(99);
	}
	unlink(tmpl);
	lseek(fd, 0, SEEK_SET);
	if (aq_reader_open(rd, fd, "t.ndjson") != AQ_OK || aq_reader_next(rd, &v) != AQ_OK) {
		fprintf(stderr, "cannot parse %s\n", line);
		exit(99);
	}
	return v;
}

/* A column of type ct (enum aqi_coltype). */
static const struct aqi_column *
col(int ct)
{
	static struct aqi_column c[AQI_CT_JSON + 1];

	c[ct].type = ct;
	return &c[ct];
}

/* Field 0 of member key of rec, as a column of type ct. */
static int
field(struct aq_buf *b, const struct aq_value *rec, const char *key, int ct)
{
	aq_buf_reset(b);
	return aqi_copy_text.field(b, 0, col(ct), aq_value_get(rec, key));
}

static void
is_field(const struct aq_value *rec, const char *key, int ct, const char *want, const char *what)
{
	struct aq_buf b = {0};
	int rc = field(&b, rec, key, ct);

	if (!ok(rc == AQ_OK && b.data != NULL && strcmp(b.data, want) == 0, "%s", what))
		diag("  rc %d, got '%s', want '%s'", rc, b.data ? b.data : "(null)", want);
	aq_buf_free(&b);
}

int
main(void)
{
	struct aq_buf b = {0}, want = {0};
	const struct aq_value *rec;
	char all[256];
	int c, bad, rc;

	plan(48);
	if ((rd = aq_reader_new()) == NULL)
		return 99;

	/* every byte, alone between two letters */
	for (c = 0, bad = 0; c < 256; c++) {
		char in[3] = {'a', (char)c, 'b'};
		const char *e = c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r" :
		    c == '\t' ? "\\t" : NULL;

		aq_buf_reset(&b);
		aq_buf_reset(&want);
		aq_buf_append(&want, "a", 1);
		if (e != NULL)
			aq_buf_puts(&want, e);
		else
			aq_buf_append(&want, in + 1, 1);
		aq_buf_append(&want, "b", 1);
		if (aqi_copy_text_escape(&b, in, 3) != AQ_OK || b.len != want.len ||
		    memcmp(b.data, want.data, b.len) != 0) {
			if (bad++ < 5)
				diag("  byte 0x%02x: got %zu bytes", c, b.len);
		}
	}
	is_int(bad, 0, "each byte 0x00..0xff alone: only \\\\ \\n \\r \\t are escaped");

	/* all of them in one string: the slow path, escape after escape */
	for (c = 0; c < 256; c++)
		all[c] = (char)c;
	aq_buf_reset(&b);
	aq_buf_reset(&want);
	for (c = 0; c < 256; c++) {
		const char *e = c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r" :
		    c == '\t' ? "\\t" : NULL;

		if (e != NULL)
			aq_buf_puts(&want, e);
		else
			aq_buf_append(&want, all + c, 1);
	}
	rc = aqi_copy_text_escape(&b, all, sizeof all);
	ok(rc == AQ_OK && b.len == 260 && memcmp(b.data, want.data, b.len) == 0,
	    "all 256 bytes in one string: 260 bytes, escaped in place");
	aq_buf_reset(&b);
	ok(aqi_copy_text_escape(&b, "\\\\\t\t\n\r", 6) == AQ_OK &&
	    strcmp(b.data, "\\\\\\\\\\t\\t\\n\\r") == 0, "runs of escapes, nothing between");
	aq_buf_reset(&b);
	ok(aqi_copy_text_escape(&b, "plain", 5) == AQ_OK && strcmp(b.data, "plain") == 0,
	    "text with nothing to escape is copied");
	aq_buf_reset(&b);
	ok(aqi_copy_text_escape(&b, "\\.", 2) == AQ_OK && strcmp(b.data, "\\\\.") == 0,
	    "\\. is data, not the end-of-data marker");

	rec = parse("{\"s\":\"a\\\\b\\tc\\nd\\re\",\"N\":\"\\\\N\",\"u\":\"h\\u00e9\\u20ac\","
	    "\"nul\":\"x\\u0000y\",\"obj\":{\"k\":[1,\"t\\tab\",null,true],\"q\":\"\\\"\"},"
	    "\"arr\":[1,2,{\"a\":[]}],\"deep\":{\"a\":{\"b\\u0000\":1}},\"arrnul\":[\"\\u0000\"],"
	    "\"i60\":6.0,\"i65\":6.5,\"i1e3\":1e3,\"big\":1e30,\"neg\":-7,\"fr\":0.25,"
	    "\"t\":true,\"f\":false,\"n\":null,\"hi\":\"hi\",\"empty\":\"\"}\n");

	/* strings */
	is_field(rec, "s", AQI_CT_TEXT, "a\\\\b\\tc\\nd\\re", "a string's backslash, tab, LF, CR are escaped");
	is_field(rec, "N", AQI_CT_TEXT, "\\\\N", "the string \\N is not null");
	is_field(rec, "u", AQI_CT_TEXT, "h\xc3\xa9\xe2\x82\xac", "UTF-8 goes as it is");
	is_field(rec, "empty", AQI_CT_TEXT, "", "the empty string is empty, not null");
	is_field(rec, "hi", AQI_CT_JSON, "\"hi\"", "a string in a json column is a JSON string");
	is_field(rec, "s", AQI_CT_JSON, "\"a\\\\\\\\b\\\\tc\\\\nd\\\\re\"",
	    "a JSON string's own escapes are escaped again for COPY");

	/* NUL: refused, before anything is written */
	aq_buf_reset(&b);
	aq_buf_puts(&b, "kept");
	rc = aqi_copy_text.field(&b, 1, col(AQI_CT_TEXT), aq_value_get(rec, "nul"));
	is_int(rc, AQ_EDATA, "a NUL character in a string: AQ_EDATA");
	is_str(b.data, "kept", "and nothing written, not even the tab");
	is_int(field(&b, rec, "deep", AQI_CT_JSON), AQ_EDATA, "a NUL in a nested key: AQ_EDATA");
	is_int(field(&b, rec, "arrnul", AQI_CT_JSON), AQ_EDATA, "a NUL in an array: AQ_EDATA");
	ok(aqi_value_has_nul(aq_value_get(rec, "nul")) && !aqi_value_has_nul(aq_value_get(rec, "obj")),
	    "aqi_value_has_nul tells them apart");

	/* objects and arrays: compact JSON, in json and text columns alike */
	is_field(rec, "obj", AQI_CT_JSON, "{\"k\":[1,\"t\\\\tab\",null,true],\"q\":\"\\\\\"\"}",
	    "an object into a json column: compact JSON, escaped for COPY");
	is_field(rec, "obj", AQI_CT_TEXT, "{\"k\":[1,\"t\\\\tab\",null,true],\"q\":\"\\\\\"\"}",
	    "an object into a text column: the same text");
	is_field(rec, "arr", AQI_CT_JSON, "[1,2,{\"a\":[]}]", "an array into a json column");
	is_field(rec, "arr", AQI_CT_TEXT, "[1,2,{\"a\":[]}]", "an array into a text column");

	/* numbers */
	is_field(rec, "i60", AQI_CT_INT, "6", "6.0 into an integer column: 6");
	is_field(rec, "i65", AQI_CT_INT, "6.5", "6.5 into an integer column: as written (the server refuses it)");
	is_field(rec, "i1e3", AQI_CT_INT, "1000", "1e3 into an integer column: 1000");
	is_field(rec, "big", AQI_CT_INT, "1e30", "1e30 into an integer column: as written (out of range)");
	is_field(rec, "neg", AQI_CT_INT, "-7", "-7 into an integer column");
	is_field(rec, "i60", AQI_CT_FLOAT, "6.0", "6.0 into a float column: as written");
	is_field(rec, "i1e3", AQI_CT_FLOAT, "1e3", "1e3 into a float column: as written");
	is_field(rec, "fr", AQI_CT_TEXT, "0.25", "a number into a text column: its text");
	is_field(rec, "i60", AQI_CT_JSON, "6.0", "a number into a json column: its text");

	/* booleans and nulls */
	is_field(rec, "t", AQI_CT_BOOL, "t", "true into a boolean column: t");
	is_field(rec, "f", AQI_CT_BOOL, "f", "false into a boolean column: f");
	is_field(rec, "t", AQI_CT_TEXT, "true", "true into a text column: true");
	is_field(rec, "f", AQI_CT_JSON, "false", "false into a json column: false");
	is_field(rec, "n", AQI_CT_TEXT, "\\N", "JSON null: \\N");
	is_field(rec, "n", AQI_CT_JSON, "\\N", "JSON null into a json column: SQL null too");
	aq_buf_reset(&b);
	ok(aqi_copy_text.field(&b, 0, col(AQI_CT_INT), NULL) == AQ_OK && strcmp(b.data, "\\N") == 0,
	    "no value: \\N");

	/* a row */
	aq_buf_reset(&b);
	rc = aqi_copy_text.row_begin(&b, 4);
	if (rc == AQ_OK)
		rc = aqi_copy_text.field(&b, 0, col(AQI_CT_INT), aq_value_get(rec, "i60"));
	if (rc == AQ_OK)
		rc = aqi_copy_text.field(&b, 1, col(AQI_CT_TEXT), aq_value_get(rec, "s"));
	if (rc == AQ_OK)
		rc = aqi_copy_text.field_raw(&b, 2, NULL, 0);
	if (rc == AQ_OK)
		rc = aqi_copy_text.field_raw(&b, 3, "raw", 3);
	if (rc == AQ_OK)
		rc = aqi_copy_text.row_end(&b);
	ok(rc == AQ_OK && strcmp(b.data, "6\ta\\\\b\\tc\\nd\\re\t\\N\traw\n") == 0,
	    "a row: fields joined by tabs, ended by a newline");
	aq_buf_reset(&want);
	rc = aqi_copy_text.row_with_ord(&want, b.data, b.len, 42);
	ok(rc == AQ_OK && strcmp(want.data, "6\ta\\\\b\\tc\\nd\\re\t\\N\traw\t42\n") == 0,
	    "row_with_ord adds the field before the newline");
	aq_buf_reset(&want);
	is_int(aqi_copy_text.row_with_ord(&want, "a\tb", 3, 1), AQ_EINVAL,
	    "row_with_ord of a row without its newline: AQ_EINVAL");

	/* a default, from the server's text */
	aq_buf_free(&b);
	rc = aqi_copy_text.field_text(&b, col(AQI_CT_TEXT), "x\ty\\", 4);
	ok(rc == AQ_OK && strcmp(b.data, "x\\ty\\\\") == 0, "a default's text is escaped");
	aq_buf_free(&b);
	rc = aqi_copy_text.field_text(&b, col(AQI_CT_TEXT), "", 0);
	ok(rc == AQ_OK && b.data != NULL && b.len == 0, "an empty default is empty, not null");

	/* the types */
	is_int(aqi_coltype_of(20), AQI_CT_INT, "bigint is an integer column");
	is_int(aqi_coltype_of(21), AQI_CT_INT, "smallint is one");
	is_int(aqi_coltype_of(1700), AQI_CT_FLOAT, "numeric is a float column");
	is_int(aqi_coltype_of(3802), AQI_CT_JSON, "jsonb is a json column");
	is_int(aqi_coltype_of(16), AQI_CT_BOOL, "boolean is boolean");
	is_int(aqi_coltype_of(1184), AQI_CT_TEXT, "timestamptz is written as text");
	is_str(aqi_copy_text.name, "text", "the encoder's format is text");

	aq_buf_free(&b);
	aq_buf_free(&want);
	aq_reader_free(rd);
	close(fd);
	return done_testing();
}
