/* 0110-json: aq_buf_json_string() and aq_json_double(), checked against the
 * JSON grammar by reading their text back with the library's own reader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openaq.h"
#include "tap.h"

static const char *
js(const char *s, size_t len)
{
	static struct aq_buf b;

	aq_buf_reset(&b);
	if (aq_buf_json_string(&b, s, len) != AQ_OK)
		return "(failed)";
	return b.data;
}

static const char *
dbl(double d)
{
	static char buf[AQ_JSON_DOUBLE_BUFSZ];

	if (aq_json_double(d, buf, sizeof buf) == 0)
		return "(none)";
	return buf;
}

/* Parse text as a one-member object's value and return the value's
 * string bytes and length (the reader decodes the escapes). */
static int
reads_back(const char *json, const char *want, size_t wantlen)
{
	struct aq_reader *r = aq_reader_new();
	const struct aq_value *v;
	char tmpl[] = "/tmp/aq0110.XXXXXX";
	const char *s;
	size_t len;
	int fd = mkstemp(tmpl), ok_ = 0;
	FILE *fp;

	if (fd == -1 || r == NULL)
		return 0;
	unlink(tmpl);
	fp = fdopen(fd, "w+");
	fprintf(fp, "{\"k\":%s}\n", json);
	fflush(fp);
	lseek(fd, 0, SEEK_SET);
	aq_reader_open(r, fd, "x");
	if (aq_reader_next(r, &v) == AQ_OK) {
		s = aq_value_string(aq_value_get(v, "k"), &len);
		ok_ = s != NULL && len == wantlen && memcmp(s, want, len) == 0;
	}
	aq_reader_free(r);
	fclose(fp);
	return ok_;
}

int
main(void)
{
	struct aq_buf b = {0};
	char all[256], small[4];
	double d;
	size_t n;
	int i, bad;

	is_str(js("plain text", 10), "\"plain text\"", "plain text is copied between quotes");
	is_str(js("", 0), "\"\"", "the empty string");
	is_str(js(NULL, 0), "\"\"", "NULL with length 0 is the empty string");
	is_str(js("a\"b\\c/d", 7), "\"a\\\"b\\\\c/d\"", "quote and backslash escaped, '/' not");
	is_str(js("\b\f\n\r\t", 5), "\"\\b\\f\\n\\r\\t\"", "the short escapes");
	is_str(js("\x01\x1f\x0b", 3), "\"\\u0001\\u001f\\u000b\"",
	    "other control bytes as \\u00xx, lower-case hex");
	is_str(js("a\0b", 3), "\"a\\u0000b\"", "a NUL inside the text");
	is_str(js("\x7f\xc2\xb5g/m\xc2\xb3 NO\xe2\x82\x82", 14),
	    "\"\x7f\xc2\xb5g/m\xc2\xb3 NO\xe2\x82\x82\"", "DEL and UTF-8 are copied raw");

	for (i = 0; i < 256; i++)
		all[i] = (char)(i < 128 ? i : 'x');
	aq_buf_reset(&b);
	aq_buf_json_string(&b, all, 128);
	ok(reads_back(b.data, all, 128), "every ASCII byte reads back as itself");

	aq_buf_puts(&b, "keep");
	n = b.len;
	is_int(aq_buf_json_string(&b, "x", (size_t)-1 - 1), AQ_ENOMEM,
	    "an impossible length fails");
	ok(b.len == n && strcmp(b.data + n - 4, "keep") == 0, "and leaves the buffer unchanged");
	is_int(aq_buf_json_string(NULL, "x", 1), AQ_EINVAL, "a NULL buffer is AQ_EINVAL");
	is_int(aq_buf_json_string(&b, NULL, 1), AQ_EINVAL, "NULL text with a length is AQ_EINVAL");
	aq_buf_reset(&b);
	aq_buf_puts(&b, "[");
	aq_buf_json_string(&b, "a", 1);
	is_str(b.data, "[\"a\"", "appends after what the buffer holds");
	aq_buf_free(&b);

	is_str(dbl(0.1), "0.1", "0.1");
	is_str(dbl(0.0023), "0.0023", "0.0023");
	is_str(dbl(117.07089999999998), "117.07089999999998", "17 digits when needed");
	is_str(dbl(6.0), "6", "6.0 as 6");
	is_str(dbl(-999.0), "-999", "-999");
	is_str(dbl(0.0), "0", "zero");
	is_str(dbl(-0.0), "-0", "minus zero keeps its sign");
	is_str(dbl(999999999999999.0), "999999999999999", "the largest 15-digit integer");
	is_str(dbl(1e15), "1e+15", "10^15 in %g's exponent form");
	is_str(dbl(-123456789012.0), "-123456789012", "a negative integer");
	is_str(dbl(1e21), "1e+21", "large");
	is_str(dbl(5e-324), "4.94065645841247e-324", "the smallest denormal");
	is_str(dbl(NAN), "(none)", "NaN has no JSON text");
	is_str(dbl(INFINITY), "(none)", "infinity has no JSON text");
	is_str(dbl(-INFINITY), "(none)", "minus infinity has no JSON text");
	is_int(aq_json_double(12345.0, small, sizeof small), 0, "too small a buffer gives 0");
	is_int(aq_json_double(123.0, small, sizeof small), 3, "a buffer just large enough");
	is_str(small, "123", "holds the text and its NUL");

	/* every text reads back as the same double, and is the one that the
	 * %.15g, %.16g, %.17g rule gives (the integer path takes no printf) */
	srand(7);
	for (i = 0, bad = 0; i < 20000; i++) {
		char buf[AQ_JSON_DOUBLE_BUFSZ], want[40];
		int prec;

		if (i % 2)
			d = ((double)rand() / RAND_MAX - 0.5) * pow(10, rand() % 40 - 20);
		else
			d = (double)(rand() % 2000000 - 1000000) / (i % 7 ? 100 : 1);
		for (prec = 15; prec <= 17; prec++) {
			snprintf(want, sizeof want, "%.*g", prec, d);
			if (strtod(want, NULL) == d)
				break;
		}
		n = aq_json_double(d, buf, sizeof buf);
		if (n == 0 || strlen(buf) != n || strtod(buf, NULL) != d || strcmp(buf, want) != 0) {
			if (bad++ < 5)
				diag("%.17g: got '%s', want '%s'", d, buf, want);
		}
	}
	is_int(bad, 0, "20000 doubles read back exactly, as the shortest of %%.15g..%%.17g");
	return done_testing();
}
