/* 0900-csv: the archive CSV reader, from memory and from a descriptor. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openaq.h"
#include "tap.h"

static struct aq_csv *c;
static char errbuf[256];
static char got[4096];

/* Every record of the input as "f1|f2|...;" with quoted fields marked
 * by a leading '*', and the final status. */
static int
all(void)
{
	size_t n = 0, i, len;
	int rc;

	got[0] = '\0';
	while ((rc = aq_csv_next(c)) == AQ_OK) {
		for (i = 0; i < aq_csv_fields(c); i++) {
			const char *f = aq_csv_field(c, i, &len);

			n += (size_t)snprintf(got + n, sizeof got - n, "%s%s%.*s", i ? "|" : "",
			    aq_csv_quoted(c, i) ? "*" : "", (int)len, f);
		}
		n += (size_t)snprintf(got + n, sizeof got - n, ";");
	}
	return rc;
}

static int
mem(const char *s)
{
	aq_csv_open_mem(c, s, strlen(s), "in.csv");
	return all();
}

/* The same input through a pipe, written in pieces of k bytes, so that
 * records and quotes span reads. */
static int
piped(const char *s, size_t k)
{
	int fds[2], rc;
	size_t len = strlen(s), off;
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) == -1)
		exit(99);
	if (pid == 0) {
		close(fds[0]);
		for (off = 0; off < len; off += k)
			if (write(fds[1], s + off, off + k > len ? len - off : k) < 0)
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	aq_csv_open(c, fds[0], "-");
	rc = all();
	close(fds[0]);
	return rc;
}

int
main(void)
{
	static const char *const styles[] = {
		/* the older style: nothing quoted */
		"location_id,sensors_id,location,datetime,lat,lon,parameter,units,value\n"
		"2178,3919,Del Norte-2178,2023-02-22T01:00:00-07:00,35.1353,-106.584702,pm10,"
		"\xc2\xb5g/m\xc2\xb3,14.0\n",
		/* the newer style: names quoted, some numbers bare, a comma and a
		 * doubled quote inside a name, CRLF */
		"\"location_id\",\"sensors_id\",\"location\",\"datetime\",\"lat\",\"lon\","
		"\"parameter\",\"units\",\"value\"\r\n"
		"1234567,7654321,\"Some park, \"\"north\"\"-1234567\",\"2025-03-01T07:00:00+07:00\","
		"\"21.0\",\"105.8\",\"pm25\",\"\xc2\xb5g/m\xc2\xb3\",\"41.2\"\r\n",
	};
	const char *big;
	char *s;
	int col[AQ_ARCHIVE_NCOLS], rc;
	size_t k, len;

	plan(34);
	c = aq_csv_new();
	ok(c != NULL, "aq_csv_new");
	aq_csv_set_errbuf(c, errbuf, sizeof errbuf);

	is_int(mem(styles[0]), AQ_EOF, "the older style reads to the end");
	is_str(got, "location_id|sensors_id|location|datetime|lat|lon|parameter|units|value;"
	    "2178|3919|Del Norte-2178|2023-02-22T01:00:00-07:00|35.1353|-106.584702|pm10|"
	    "\xc2\xb5g/m\xc2\xb3|14.0;", "its fields, as written");
	is_int(mem(styles[1]), AQ_EOF, "the quoted style reads to the end");
	is_str(got, "*location_id|*sensors_id|*location|*datetime|*lat|*lon|*parameter|*units|"
	    "*value;1234567|7654321|*Some park, \"north\"-1234567|*2025-03-01T07:00:00+07:00|"
	    "*21.0|*105.8|*pm25|*\xc2\xb5g/m\xc2\xb3|*41.2;",
	    "quotes removed, \"\" is a quote, a comma inside quotes stays, CR is the line end");

	/* both styles' headers map to the same columns */
	for (k = 0; k < 2; k++) {
		aq_csv_open_mem(c, styles[k], strlen(styles[k]), "h.csv");
		aq_csv_next(c);
		ok(aq_csv_archive_header(c, col) && col[AQ_ARCHIVE_SENSORS_ID] == 1 &&
		    col[AQ_ARCHIVE_VALUE] == 8 && col[AQ_ARCHIVE_LOCATION] == 2,
		    "style %zu: the header maps every column", k + 1);
		aq_csv_next(c);
		ok(!aq_csv_archive_header(c, NULL), "style %zu: a data row is no header", k + 1);
	}
	s = "\"location_id\",\"sensor_id\",\"datetime\",\"unit\",\"value\"\n";
	aq_csv_open_mem(c, s, strlen(s), "h.csv");
	aq_csv_next(c);
	ok(aq_csv_archive_header(c, col) && col[AQ_ARCHIVE_SENSORS_ID] == 1 &&
	    col[AQ_ARCHIVE_UNITS] == 3 && col[AQ_ARCHIVE_LAT] == -1,
	    "the documented spellings sensor_id and unit; absent columns are -1");
	s = "location_id,datetime,value\n";
	aq_csv_open_mem(c, s, strlen(s), "h.csv");
	aq_csv_next(c);
	ok(!aq_csv_archive_header(c, col), "a header without sensors_id is not the archive's");
	is_str(aq_archive_column_name(AQ_ARCHIVE_SENSORS_ID), "sensors_id",
	    "the column name is the files' spelling");
	ok(aq_archive_column_name(AQ_ARCHIVE_NCOLS) == NULL && aq_archive_column_name(-1) == NULL,
	    "no name out of range");

	is_int(mem("a,b\n\n\r\nc,d"), AQ_EOF, "blank lines and a missing last newline");
	is_str(got, "a|b;c|d;", "blank lines are skipped");
	is_int(mem("\xef\xbb\xbf" "a,b\n"), AQ_EOF, "a byte order mark");
	is_str(got, "a|b;", "is not part of the first field");
	is_int(mem("a,\"two\nlines\",c\nd\n"), AQ_EOF, "a quoted line end");
	is_str(got, "a|*two\nlines|c;d;", "stays in its field");
	aq_csv_open_mem(c, "a,\"x\ny\",b\nnext\n", 16, "l.csv");
	aq_csv_next(c);
	aq_csv_next(c);
	is_int(aq_csv_line(c), 3, "the next record starts on line 3");
	is_int(aq_csv_number(c), 2, "and is record 2");
	is_int(mem("a\\,b,c\\\"d,\"e\\\"f\"\n"), AQ_EOF, "backslash escapes");
	is_str(got, "a,b|c\"d|*e\"f;", "escape the next byte, quoted or not");
	is_int(mem(",,\n"), AQ_EOF, "empty fields");
	is_str(got, "||;", "three of them");
	aq_csv_open_mem(c, "x,\"raw\"\r\n", 9, "r.csv");
	aq_csv_next(c);
	is_str(aq_csv_raw(c, &len), "x,\"raw\"", "the raw record without its line end");
	ok(aq_csv_field(c, 2, &len) == NULL && len == 0, "no field past the last");
	is_str(aq_csv_name(c), "r.csv", "the input's name");

	/* a record that never ends: an unterminated quote */
	s = malloc((1u << 20) + 16);
	memset(s, 'x', (1u << 20) + 15);
	s[0] = '"';
	s[(1u << 20) + 15] = '\0';
	big = s;
	rc = mem(big);
	is_int(rc, AQ_ERANGE, "an unterminated quote over 1 MiB is an error");
	ok(strstr(errbuf, "in.csv:1: record longer than") != NULL, "that names input and line: %s",
	    errbuf);
	free(s);

	/* through a descriptor, in small and odd pieces */
	for (k = 1; k <= 7; k += 6) {
		piped(styles[1], k);
		is_str(got, "*location_id|*sensors_id|*location|*datetime|*lat|*lon|*parameter|"
		    "*units|*value;1234567|7654321|*Some park, \"north\"-1234567|"
		    "*2025-03-01T07:00:00+07:00|*21.0|*105.8|*pm25|*\xc2\xb5g/m\xc2\xb3|*41.2;",
		    "a pipe written %zu bytes at a time gives the same records", k);
	}
	is_str(aq_csv_name(c), "<stdin>", "\"-\" is named <stdin>");
	aq_csv_free(c);
	aq_csv_free(NULL);
	ok(1, "aq_csv_free(NULL) is safe");
	return done_testing();
}
