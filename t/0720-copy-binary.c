/*
 * 0720-copy-binary: the COPY binary encoder (lib/copy-binary.c), without a
 * server: every type's bytes, the edge values (NaN, the infinities, -0,
 * the extremes of the integers, floats, timestamps and dates PostgreSQL
 * accepts, empty and 1 MB strings), the values left to text (AQI_ETEXT),
 * the column defaults from the server's text, rows, and the way back to
 * text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load-int.h"
#include "tap.h"

#define OID_UUID 2950

static struct aq_reader *rd;
static int fd = -1;

/* The value of {"v": json} (valid until the next call). */
static const struct aq_value *
parse(const char *json)
{
	char tmpl[] = "/tmp/aq0720.XXXXXX";
	const struct aq_value *v = NULL;
	struct aq_buf line = {0};

	aq_buf_printf(&line, "{\"v\":%s}\n", json);
	if (fd != -1)
		close(fd);
	if ((fd = mkstemp(tmpl)) == -1 || write(fd, line.data, line.len) != (ssize_t)line.len) {
		perror("mkstemp");
		exit(99);
	}
	unlink(tmpl);
	lseek(fd, 0, SEEK_SET);
	if (aq_reader_open(rd, fd, "t.ndjson") != AQ_OK || aq_reader_next(rd, &v) != AQ_OK) {
		fprintf(stderr, "cannot parse %s\n", line.data);
		exit(99);
	}
	aq_buf_free(&line);
	return aq_value_get(v, "v");
}

static const struct aqi_column *
col(unsigned long oid)
{
	static struct aqi_column c;

	c.oid = oid;
	c.type = aqi_coltype_of(oid);
	return &c;
}

/* The field of json as a value of type oid; its code. */
static int
enc(struct aq_buf *b, unsigned long oid, const char *json)
{
	aq_buf_reset(b);
	return aqi_copy_binary.field(b, 0, col(oid), parse(json));
}

static void
hex(struct aq_buf *out, const char *p, size_t n)
{
	size_t i;

	aq_buf_reset(out);
	for (i = 0; i < n; i++)
		aq_buf_printf(out, "%02x", (unsigned char)p[i]);
	if (out->data == NULL)
		aq_buf_puts(out, "");
}

/* json as oid is the field of bytes want (hex, length first). */
static void
is_hex(unsigned long oid, const char *json, const char *want, const char *what)
{
	struct aq_buf b = {0}, h = {0};
	int rc = enc(&b, oid, json);

	hex(&h, b.data, b.len);
	if (!ok(rc == AQ_OK && strcmp(h.data, want) == 0, "%s", what))
		diag("  %s: rc %d, got %s, want %s", json, rc, h.data, want);
	aq_buf_free(&b);
	aq_buf_free(&h);
}

/* json as oid is left to text. */
static void
is_etext(unsigned long oid, const char *json, const char *what)
{
	struct aq_buf b = {0};
	int rc = enc(&b, oid, json);

	if (!ok(rc == AQI_ETEXT && b.len == 0, "%s", what))
		diag("  %s: rc %d, %zu bytes written", json, rc, b.len);
	aq_buf_free(&b);
}

/* json as oid, back to text, is want. */
static void
is_back(unsigned long oid, const char *json, const char *want, const char *what)
{
	struct aq_buf b = {0}, t = {0};
	int rc = enc(&b, oid, json);

	if (rc == AQ_OK && b.len >= 4)
		rc = aqi_copy_binary_to_text(&t, oid, b.data + 4, b.len - 4);
	if (!ok(rc == AQ_OK && t.data != NULL && strcmp(t.data, want) == 0, "%s", what))
		diag(
		    "  %s: rc %d, got '%s', want '%s'", json, rc, t.data ? t.data : "(null)", want);
	aq_buf_free(&b);
	aq_buf_free(&t);
}

/* The server's text s of a default, as oid: hex want, or NULL for ETEXT. */
static void
is_default(unsigned long oid, const char *s, const char *want, const char *what)
{
	struct aq_buf b = {0}, h = {0};
	int rc = aqi_copy_binary.field_text(&b, col(oid), s, strlen(s));

	hex(&h, b.data, b.len);
	if (want == NULL)
		ok(rc == AQI_ETEXT, "%s", what);
	else if (!ok(rc == AQ_OK && strcmp(h.data, want) == 0, "%s", what))
		diag("  %s: rc %d, got %s, want %s", s, rc, h.data, want);
	aq_buf_free(&b);
	aq_buf_free(&h);
}

int
main(void)
{
	struct aq_buf b = {0}, s = {0}, t = {0};
	char *big;
	size_t i;
	int rc;

	plan(129);
	if ((rd = aq_reader_new()) == NULL)
		return 99;

	/* the stream */
	ok(aqi_copy_binary.headlen == 19 &&
		memcmp(aqi_copy_binary.head, "PGCOPY\n\377\r\n\0", 11) == 0 &&
		memcmp(aqi_copy_binary.head + 11, "\0\0\0\0\0\0\0\0", 8) == 0,
	    "the header: signature, no flags, no extension");
	ok(aqi_copy_binary.taillen == 2 && memcmp(aqi_copy_binary.tail, "\377\377", 2) == 0,
	    "the trailer: -1");
	ok(strcmp(aqi_copy_binary.name, "binary") == 0, "the FORMAT option's name");
	ok(aqi_copy_text.headlen == 0 && aqi_copy_text.taillen == 0, "text has neither");

	/* the types it knows */
	ok(aqi_copy_binary_knows(OID_BOOL) && aqi_copy_binary_knows(OID_INT2) &&
		aqi_copy_binary_knows(OID_INT4) && aqi_copy_binary_knows(OID_INT8) &&
		aqi_copy_binary_knows(OID_FLOAT4) && aqi_copy_binary_knows(OID_FLOAT8) &&
		aqi_copy_binary_knows(OID_NUMERIC) && aqi_copy_binary_knows(OID_TEXT) &&
		aqi_copy_binary_knows(OID_VARCHAR) && aqi_copy_binary_knows(OID_JSON) &&
		aqi_copy_binary_knows(OID_JSONB) && aqi_copy_binary_knows(OID_TIMESTAMPTZ) &&
		aqi_copy_binary_knows(OID_DATE),
	    "every type aq-load writes is known");
	ok(!aqi_copy_binary_knows(OID_UUID) && !aqi_copy_binary_knows(1114),
	    "uuid and timestamp without time zone are not: such a table goes in text");

	/* null */
	is_hex(OID_INT4, "null", "ffffffff", "null: length -1");
	aq_buf_reset(&b);
	ok(aqi_copy_binary.field(&b, 0, col(OID_TEXT), NULL) == AQ_OK && b.len == 4 &&
		memcmp(b.data, "\377\377\377\377", 4) == 0,
	    "a missing value: null");

	/* bool */
	is_hex(OID_BOOL, "true", "0000000101", "bool true");
	is_hex(OID_BOOL, "false", "0000000100", "bool false");
	is_etext(OID_BOOL, "1", "bool from a number: the server's to read");
	is_etext(OID_BOOL, "\"yes\"", "bool from a string: the server's to read");

	/* integers */
	is_hex(OID_INT2, "32767", "000000027fff", "int2 max");
	is_hex(OID_INT2, "-32768", "000000028000", "int2 min");
	is_etext(OID_INT2, "32768", "int2 out of range: the server says so");
	is_hex(OID_INT4, "2147483647", "000000047fffffff", "int4 max");
	is_hex(OID_INT4, "-2147483648", "0000000480000000", "int4 min");
	is_etext(OID_INT4, "2147483648", "int4 out of range");
	is_hex(OID_INT4, "-0", "0000000400000000", "int4 -0 is 0");
	is_hex(OID_INT8, "9223372036854775807", "000000087fffffffffffffff", "int8 max");
	is_hex(OID_INT8, "-9223372036854775808", "000000088000000000000000", "int8 min");
	is_etext(OID_INT8, "9223372036854775808", "int8 out of range");
	is_hex(OID_INT4, "6.0", "0000000400000006", "6.0 is the integer 6, as in text");
	is_hex(OID_INT4, "1e3", "00000004000003e8", "1e3 is 1000");
	is_etext(OID_INT4, "6.5", "6.5 in an integer column: the server refuses it");
	is_etext(OID_INT4, "\"12\"", "a string in an integer column: the server's to read");
	is_etext(OID_INT4, "true", "a boolean in an integer column");

	/* float8 */
	is_hex(OID_FLOAT8, "0.1", "000000083fb999999999999a", "float8 0.1, correctly rounded");
	is_hex(OID_FLOAT8, "-0", "000000088000000000000000", "float8 -0 keeps its sign");
	is_hex(OID_FLOAT8, "-0.0", "000000088000000000000000", "float8 -0.0");
	is_hex(OID_FLOAT8, "0", "000000080000000000000000", "float8 0");
	is_hex(OID_FLOAT8, "\"NaN\"", "000000087ff8000000000000", "float8 NaN");
	is_hex(
	    OID_FLOAT8, "\"nan\"", "000000087ff8000000000000", "float8 nan, as float8in reads it");
	is_hex(OID_FLOAT8, "\"Infinity\"", "000000087ff0000000000000", "float8 Infinity");
	is_hex(OID_FLOAT8, "\"-Infinity\"", "00000008fff0000000000000", "float8 -Infinity");
	is_hex(OID_FLOAT8, "\"inf\"", "000000087ff0000000000000", "float8 inf");
	is_hex(OID_FLOAT8, "\"-inf\"", "00000008fff0000000000000", "float8 -inf");
	is_hex(OID_FLOAT8, "1.7976931348623157e308", "000000087fefffffffffffff", "float8 max");
	is_hex(OID_FLOAT8, "5e-324", "000000080000000000000001", "float8 smallest subnormal");
	is_hex(OID_FLOAT8, "2.2250738585072014e-308", "000000080010000000000000",
	    "float8 smallest normal");
	is_etext(OID_FLOAT8, "1e309", "float8 overflow: the server's \"out of range\"");
	is_etext(OID_FLOAT8, "1e-400", "float8 underflow to 0: the server's \"out of range\"");
	is_etext(OID_FLOAT8, "\"1.5\"", "a number in a string: the server's to read");
	is_etext(OID_FLOAT8, "\" NaN\"", "a name with a space: the server's to read");
	is_etext(OID_FLOAT8, "false", "a boolean in a float column");

	/* the fast path for plain decimals against strtod, on random ones */
	srand(720);
	for (i = 0, rc = 0; i < 200000; i++) {
		char num[64];
		int len = 0, k, ni = rand() % 10, nf = rand() % 14;
		double want, got;
		uint64_t u;

		if (rand() % 4 == 0)
			num[len++] = '-';
		for (k = 0; k < ni || (k == 0 && nf == 0); k++)
			num[len++] = (char)('0' + rand() % 10);
		if (nf > 0) {
			if (ni == 0)
				num[len++] = '0';
			num[len++] = '.';
			for (k = 0; k < nf; k++)
				num[len++] = (char)('0' + rand() % 10);
		}
		num[len] = '\0';
		want = strtod(num, NULL);
		aq_buf_reset(&b);
		if (aqi_copy_binary.field_text(&b, col(OID_FLOAT8), num, (size_t)len) != AQ_OK ||
		    b.len != 12) {
			if (rc++ < 3)
				diag("  %s: not encoded", num);
			continue;
		}
		u = 0;
		for (k = 4; k < 12; k++)
			u = u << 8 | (unsigned char)b.data[k];
		memcpy(&got, &u, 8);
		if (memcmp(&got, &want, 8) != 0 && rc++ < 3)
			diag("  %s: got %.17g, want %.17g", num, got, want);
	}
	ok(rc == 0, "200000 random decimals: the same double as strtod, bit for bit");

	/* float4 */
	is_hex(OID_FLOAT4, "0.1", "000000043dcccccd", "float4 0.1 (strtof, no double rounding)");
	is_hex(OID_FLOAT4, "-0", "0000000480000000", "float4 -0");
	is_hex(OID_FLOAT4, "3.4028235e38", "000000047f7fffff", "float4 max");
	is_hex(OID_FLOAT4, "1e-45", "0000000400000001", "float4 smallest subnormal");
	is_hex(OID_FLOAT4, "\"NaN\"", "000000047fc00000", "float4 NaN");
	is_hex(OID_FLOAT4, "\"-Infinity\"", "00000004ff800000", "float4 -Infinity");
	is_etext(OID_FLOAT4, "3.5e38", "float4 overflow");
	is_etext(OID_FLOAT4, "1e-50", "float4 underflow to 0");

	/* numeric: ndigits, weight, sign, dscale, base-10000 digits */
	is_hex(OID_NUMERIC, "1.50", "0000000c000200000000000200011388",
	    "numeric 1.50 keeps its scale");
	is_hex(OID_NUMERIC, "0", "000000080000000000000000", "numeric 0: no digits");
	is_back(OID_NUMERIC, "0", "0", "numeric 0, back");
	is_back(OID_NUMERIC, "-0", "0", "numeric -0 is 0 (numeric has no -0)");
	is_back(OID_NUMERIC, "0.000", "0.000", "numeric 0.000");
	is_back(OID_NUMERIC, "1e-3", "0.001", "numeric 1e-3: scale 3");
	is_back(OID_NUMERIC, "-12.5E+2", "-1250", "numeric -12.5E+2: scale 0");
	is_back(OID_NUMERIC, "12345678901234567890.000100", "12345678901234567890.000100",
	    "numeric with 26 digits");
	is_back(OID_NUMERIC, "-0.00012300", "-0.00012300", "numeric small, negative");
	is_back(OID_NUMERIC, "10000", "10000", "numeric 10000: one word and a zero word");
	is_back(OID_NUMERIC, "1.5e10", "15000000000", "numeric 1.5e10");
	is_hex(OID_NUMERIC, "\"NaN\"", "0000000800000000c0000000", "numeric NaN");
	is_hex(OID_NUMERIC, "\"Infinity\"", "0000000800000000d0000000", "numeric Infinity");
	is_hex(OID_NUMERIC, "\"-Infinity\"", "0000000800000000f0000000", "numeric -Infinity");
	is_etext(OID_NUMERIC, "\"inf\"", "numeric: numeric_in knows no inf");
	is_etext(OID_NUMERIC, "\"1.5\"", "numeric from a string");
	is_etext(OID_NUMERIC, "1e1001", "numeric with an exponent past 1000: the server's");

	/* text */
	is_hex(OID_TEXT, "\"\"", "00000000", "an empty string: length 0, not null");
	is_hex(OID_TEXT, "\"a\\tb\\\\\\n\"", "000000056109625c0a",
	    "text bytes as they are: no escaping");
	is_hex(OID_TEXT, "\"\xc2\xb5g\"", "00000003c2b567", "UTF-8 as it is");
	is_hex(OID_TEXT, "12.50", "0000000531322e3530", "a number as written");
	is_hex(OID_TEXT, "true", "0000000474727565", "true as true");
	is_hex(OID_VARCHAR, "{\"a\":[1,null]}", "0000000e7b2261223a5b312c6e756c6c5d7d",
	    "an object as compact JSON");
	aq_buf_reset(&b);
	rc = enc(&b, OID_TEXT, "\"a\\u0000b\"");
	ok(rc == AQ_EDATA && b.len == 0, "a NUL character: AQ_EDATA, nothing written");
	/* 1 MB */
	big = malloc((1 << 20) + 3);
	big[0] = '"';
	for (i = 1; i <= 1 << 20; i++)
		big[i] = (char)('a' + i % 26);
	big[i++] = '"';
	big[i] = '\0';
	rc = enc(&b, OID_TEXT, big);
	ok(rc == AQ_OK && b.len == 4 + (1 << 20) && memcmp(b.data, "\0\020\0\0", 4) == 0 &&
		memcmp(b.data + 4, big + 1, 1 << 20) == 0,
	    "a 1 MB string: its length and bytes");
	free(big);

	/* json, jsonb */
	is_hex(OID_JSON, "{\"b\":2,\"a\":[true]}", "000000127b2262223a322c2261223a5b747275655d7d",
	    "json: compact text");
	is_hex(OID_JSON, "\"s\"", "00000003227322", "json: a string is a JSON string");
	is_hex(OID_JSONB, "[1]", "00000004015b315d", "jsonb: version 1, then the text");
	is_hex(OID_JSONB, "12.5",
	    "0000000501"
	    "31322e35",
	    "jsonb: a number");
	is_back(OID_JSONB, "{\"t\":\"a\\tb\"}", "{\"t\":\"a\\\\tb\"}",
	    "jsonb back to text, escaped for COPY");

	/* timestamptz: microseconds since 2000-01-01 UTC */
	is_hex(OID_TIMESTAMPTZ, "\"2000-01-01T00:00:00Z\"", "000000080000000000000000",
	    "2000-01-01: 0");
	is_hex(
	    OID_TIMESTAMPTZ, "\"1970-01-01T00:00:00Z\"", "00000008fffca2fec4c82000", "1970-01-01");
	is_hex(OID_TIMESTAMPTZ, "\"2000-01-01T05:30:00+05:30\"", "000000080000000000000000",
	    "an offset +05:30");
	is_hex(OID_TIMESTAMPTZ, "\"1999-12-31 16:00:00-0800\"", "000000080000000000000000",
	    "a space and -0800");
	is_hex(OID_TIMESTAMPTZ, "\"2000-01-01T00:00:00.000001Z\"", "000000080000000000000001",
	    "one microsecond");
	is_hex(
	    OID_TIMESTAMPTZ, "\"2000-01-01\"", "000000080000000000000000", "a date: midnight UTC");
	is_hex(OID_TIMESTAMPTZ, "\"2000-01-01T00:00\"", "000000080000000000000000",
	    "no zone: UTC, the session's");
	is_hex(OID_TIMESTAMPTZ, "\"4714-11-24 00:00:00+00 BC\"", "00000008fd0f7cc1411fa000",
	    "the smallest timestamp PostgreSQL accepts, 4714-11-24 BC");
	is_hex(OID_TIMESTAMPTZ, "\"294276-12-31T23:59:59.999999Z\"", "000000087fffff5bb3b29fff",
	    "the largest, 294276-12-31 23:59:59.999999");
	is_etext(OID_TIMESTAMPTZ, "\"4714-11-23 23:59:59+00 BC\"",
	    "a second before: the server's to refuse");
	is_etext(OID_TIMESTAMPTZ, "\"294277-01-01T00:00:00Z\"", "a microsecond after");
	is_hex(OID_TIMESTAMPTZ, "\"infinity\"", "000000087fffffffffffffff", "infinity");
	is_hex(OID_TIMESTAMPTZ, "\"-infinity\"", "000000088000000000000000", "-infinity");
	is_hex(OID_TIMESTAMPTZ, "\"0001-01-01T00:00:00Z\"", "00000008ff1fe2ffc59c6000", "year 1");
	is_hex(OID_TIMESTAMPTZ, "\"0001-12-31 00:00:00+00 BC\"", "00000008ff1fe2eba7c50000",
	    "1 BC, a leap year");
	is_etext(OID_TIMESTAMPTZ, "\"2024-01-01T00:00:00.1234567Z\"",
	    "seven fractional digits: the server rounds");
	is_etext(OID_TIMESTAMPTZ, "\"2024-01-01T00:00:00+16:00\"",
	    "an offset past 15:59: the server refuses");
	is_hex(OID_TIMESTAMPTZ, "\"2000-01-01T15:59:00+15:59\"", "000000080000000000000000",
	    "+15:59 is fine");
	is_etext(
	    OID_TIMESTAMPTZ, "\"2024-01-01t00:00:00z\"", "lowercase t and z: the server's to read");
	is_etext(OID_TIMESTAMPTZ, "\"2024-01-01T24:00:00Z\"", "24:00: the server's to read");
	is_etext(OID_TIMESTAMPTZ, "\"2023-02-29\"", "an impossible date: the server's to refuse");
	is_etext(OID_TIMESTAMPTZ, "\"now\"", "now: the server's");
	is_etext(OID_TIMESTAMPTZ, "1700000000", "a number");
	is_back(OID_TIMESTAMPTZ, "\"4714-11-24 00:00:00+00 BC\"",
	    "4714-11-24 00:00:00.000000+00 BC", "the smallest, back to text");
	is_back(OID_TIMESTAMPTZ, "\"294276-12-31T23:59:59.999999Z\"",
	    "294276-12-31 23:59:59.999999+00", "the largest, back to text");
	is_back(OID_TIMESTAMPTZ, "\"1969-12-31T23:59:59.5-01:00\"", "1970-01-01 00:59:59.500000+00",
	    "before 1970, back to text");

	/* date: days since 2000-01-01 */
	is_hex(OID_DATE, "\"2000-01-01\"", "0000000400000000", "date 2000-01-01: 0");
	is_hex(OID_DATE, "\"1999-12-31\"", "00000004ffffffff", "date 1999-12-31: -1");
	is_hex(OID_DATE, "\"infinity\"", "000000047fffffff", "date infinity");
	is_hex(OID_DATE, "\"-infinity\"", "0000000480000000", "date -infinity");
	is_etext(OID_DATE, "\"2024-01-01 10:00\"", "a date with a time: the server's to read");
	is_back(OID_DATE, "\"2024-02-29\"", "2024-02-29", "a date, back to text");

	/* defaults, from the server's text */
	is_default(OID_BOOL, "t", "0000000101", "a default: bool t");
	is_default(OID_INT4, "-42", "00000004ffffffd6", "a default: integer");
	is_default(OID_FLOAT8, "NaN", "000000087ff8000000000000", "a default: NaN");
	is_default(OID_FLOAT8, "1.5", "000000083ff8000000000000", "a default: float8 1.5");
	is_default(
	    OID_NUMERIC, "1.50", "0000000c000200000000000200011388", "a default: numeric 1.50");
	is_default(OID_TIMESTAMPTZ, "2000-01-01 00:00:00.000001+00", "000000080000000000000001",
	    "a default: the server's timestamptz text");
	is_default(OID_TEXT, "", "00000000", "a default: the empty string");
	is_default(OID_JSONB, "{\"k\": [1]}", "0000000b017b226b223a205b315d7d", "a default: jsonb");
	is_default(OID_DATE, "2020-02-29 BC", NULL, "a default binary cannot write: AQI_ETEXT");

	/* rows */
	aq_buf_reset(&b);
	rc = aqi_copy_binary.row_begin(&b, 2);
	if (rc == AQ_OK)
		rc = aqi_copy_binary.field(&b, 0, col(OID_INT4), parse("7"));
	if (rc == AQ_OK)
		rc = aqi_copy_binary.field_raw(&b, 1, NULL, 0);
	if (rc == AQ_OK)
		rc = aqi_copy_binary.row_end(&b);
	hex(&s, b.data, b.len);
	is_str(s.data, "00020000000400000007ffffffff", "a row: its field count, then its fields");
	aq_buf_reset(&t);
	rc = aqi_copy_binary.row_with_ord(&t, b.data, b.len, 5);
	hex(&s, t.data, t.len);
	ok(rc == AQ_OK && strcmp(s.data, "00030000000400000007ffffffff0000000400000005") == 0,
	    "the staging row: one field more, aq_ord");

	/* the public switch */
	{
		struct aq_loader *l = aq_loader_new();

		ok(aq_loader_set_copy_format(NULL, AQ_COPY_TEXT) == AQ_EINVAL &&
			aq_loader_set_copy_format(l, 2) == AQ_EINVAL &&
			aq_loader_set_copy_format(l, -1) == AQ_EINVAL,
		    "aq_loader_set_copy_format: AQ_EINVAL for no loader or another format");
		ok(aq_loader_set_copy_format(l, AQ_COPY_TEXT) == AQ_OK &&
			aq_loader_set_copy_format(l, AQ_COPY_BINARY) == AQ_OK,
		    "aq_loader_set_copy_format: text and binary");
		aq_loader_free(l);
	}
	aq_buf_free(&b);
	aq_buf_free(&s);
	aq_buf_free(&t);
	if (fd != -1)
		close(fd);
	aq_reader_free(rd);
	return done_testing();
}
