/* 0400-writer: compact lines, exact numbers, raw UTF-8, round trips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openaq.h"
#include "tap.h"

static struct aq_writer *w;

static const char *
line(void)
{
	static char out[4096];
	size_t len;
	const char *p = aq_writer_buffer(w, &len);

	if (len >= sizeof out)
		len = sizeof out - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	aq_writer_clear(w);
	return out;
}

static const char *
dbl(double d)
{
	aq_writer_begin_array(w);
	aq_writer_double(w, d);
	aq_writer_end_array(w);
	aq_writer_end_line(w);
	return line();
}

int
main(void)
{
	const char in[] = "{\"id\":2178,\"name\":\"Del Norte \\\"x\\\"\",\"units\":\"\xc2\xb5g/m\xc2\xb3\","
	    "\"v\":-0.10,\"big\":1E+2,\"a\":[1,{\"b\":null},true,false],\"ctl\":\"tab\\tnl\\n\\u0001\",\"sl\":\"a/b\"}";
	struct aq_reader *r;
	const struct aq_value *v;
	char tmpl[] = "/tmp/aq0400.XXXXXX";
	int fd;

	w = aq_writer_new(NULL);
	r = aq_reader_new();

	aq_writer_begin_object(w);
	aq_writer_key(w, "a");
	aq_writer_int64(w, -42);
	aq_writer_key(w, "b");
	aq_writer_cstring(w, "NO\xe2\x82\x82");
	aq_writer_key(w, "c");
	aq_writer_cstring(w, NULL);
	aq_writer_key(w, "d");
	aq_writer_bool(w, 1);
	aq_writer_end_object(w);
	is_int(aq_writer_end_line(w), AQ_OK, "a line ends");
	is_str(line(), "{\"a\":-42,\"b\":\"NO\xe2\x82\x82\",\"c\":null,\"d\":true}\n", "compact, raw UTF-8, newline");

	aq_writer_begin_array(w);
	aq_writer_string(w, "\x1f\x7f\"\\/", 5);
	aq_writer_end_array(w);
	aq_writer_end_line(w);
	is_str(line(), "[\"\\u001f\x7f\\\"\\\\/\"]\n",
	    "control bytes as \\u00xx in lower case, DEL and '/' raw");

	is_str(dbl(0.1), "[0.1]\n", "0.1 is written 0.1");
	is_str(dbl(0.0023), "[0.0023]\n", "0.0023");
	is_str(dbl(117.07089999999998), "[117.07089999999998]\n", "float noise kept exactly");
	is_str(dbl(6.0), "[6]\n", "6.0 as 6");
	is_str(dbl(-999.0), "[-999]\n", "-999");
	is_str(dbl(1e21), "[1e+21]\n", "large");
	is_str(dbl(5e-324), "[4.94065645841247e-324]\n", "the smallest denormal round-trips");
	is_int(aq_writer_double(w, NAN), AQ_ERANGE, "NaN is refused");
	aq_writer_abandon(w);
	is_int(aq_writer_double(w, INFINITY), AQ_ERANGE, "infinity is refused");
	aq_writer_abandon(w);
	aq_writer_clear(w);

	aq_writer_begin_object(w);
	aq_writer_key(w, "a");
	is_int(aq_writer_end_line(w), AQ_EINVAL, "an incomplete value cannot end a line");
	is_str(line(), "", "and nothing was written");
	aq_writer_begin_object(w);
	aq_writer_end_object(w);
	is_int(aq_writer_end_line(w), AQ_OK, "the writer works again after that");
	is_str(line(), "{}\n", "{}");

	/* round trip through the reader: exact numbers and strings */
	fd = mkstemp(tmpl);
	if (fd == -1 || write(fd, in, sizeof in - 1) != (ssize_t)(sizeof in - 1))
		return 99;
	unlink(tmpl);
	lseek(fd, 0, SEEK_SET);
	aq_reader_open(r, fd, "x");
	ok(aq_reader_next(r, &v) == AQ_OK, "read the record back");
	aq_writer_value(w, v);
	aq_writer_end_line(w);
	is_str(line(), "{\"id\":2178,\"name\":\"Del Norte \\\"x\\\"\",\"units\":\"\xc2\xb5g/m\xc2\xb3\","
	    "\"v\":-0.10,\"big\":1E+2,\"a\":[1,{\"b\":null},true,false],\"ctl\":\"tab\\tnl\\n\\u0001\",\"sl\":\"a/b\"}\n",
	    "aq_writer_value copies exactly: numbers as written, UTF-8 raw");
	close(fd);

	aq_reader_free(r);
	aq_writer_free(w);
	return done_testing();
}
