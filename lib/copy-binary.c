/*
 * copy-binary.c: the COPY binary format encoder, and its decoder to text.
 *
 * The stream is a header (PGCOPY\n\377\r\n\0, flags, extension length),
 * then rows: a 16-bit field count, each field a 32-bit length (-1 for SQL
 * null) and the bytes of the type's send format, all big-endian; a 16-bit
 * -1 ends it.  The server does not parse what we send, which is why it is
 * faster than text, and why every value must be written exactly as the
 * type's input function would have read its text:
 *
 *   bool         JSON true and false
 *   int2/4/8     a JSON number that is an integer in range (6.0 and 1e3
 *                too, as the text encoder writes them)
 *   float4/8     a JSON number (strtof/strtod, as float4in/float8in), and
 *                the strings NaN, Infinity, -Infinity, inf, -inf
 *   numeric      a JSON number, with its scale as written; NaN, Infinity
 *   text         a string as it is; numbers, booleans, objects and arrays
 *   varchar      as the text encoder writes them (JSON text)
 *   json, jsonb  compact JSON text (jsonb: version byte 1 first)
 *   timestamptz  ISO-8601 text (years 4714 BC to 294276 AD), infinity
 *   date         YYYY-MM-DD, infinity
 *
 * A value that PostgreSQL would read otherwise, or refuse (a string in an
 * integer column, an offset past 15:59, seven fractional digits, a time
 * outside PostgreSQL's range), is not guessed at: field() returns
 * AQI_ETEXT and the loader falls back to the text format, so that the
 * server reads the text and says what it thinks of it.  Types not listed
 * make the loader use text for the whole table (aqi_copy_binary_knows).
 *
 * No libpq here: the unit tests need no server.
 */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "load-int.h"


/* PostgreSQL's epoch, 2000-01-01, in microseconds and days since 1970 */
#define PG_EPOCH_USEC INT64_C(946684800000000)
#define PG_EPOCH_DAYS 10957
/* timestamptz: [4714-11-24 00:00:00 BC, 294277-01-01 00:00:00) since 2000,
 * and the infinities (datatype/timestamp.h) */
#define TS_MIN INT64_C(-211813488000000000)
#define TS_END INT64_C(9223371331200000000)
#define TS_NOBEGIN INT64_MIN
#define TS_NOEND INT64_MAX
/* date: 4714-11-24 BC (Julian day 0) to 5874897-12-31, and infinities */
#define DATE_MIN (-2451545)
#define DATE_END 2145031948
#define DATE_NOBEGIN INT32_MIN
#define DATE_NOEND INT32_MAX
/* numeric's sign words and limits (utils/numeric.c) */
#define NUMERIC_POS 0x0000
#define NUMERIC_NEG 0x4000
#define NUMERIC_NAN 0xC000
#define NUMERIC_PINF 0xD000
#define NUMERIC_NINF 0xF000
/* the decimal digits we write; a longer number is the server's (text) */
#define NUMERIC_MAX_DIGITS 1000

static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
static const char trailer[2] = "\377\377";

int
aqi_copy_binary_knows(unsigned long oid)
{
	switch (oid) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
	case OID_TEXT:
	case OID_VARCHAR:
	case OID_JSON:
	case OID_JSONB:
	case OID_TIMESTAMPTZ:
	case OID_DATE:
		return 1;
	default:
		return 0;
	}
}

/* ---- big-endian integers ---- */

static void
be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
be64(unsigned char *p, uint64_t v)
{
	aqi_be32(p, (uint32_t)(v >> 32));
	aqi_be32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)aqi_get32(p) << 32 | aqi_get32(p + 4);
}

/* A field of n bytes from p: its length, then the bytes. */
static int
put_field(struct aq_buf *b, const void *p, size_t n)
{
	unsigned char len[4];
	int rc;

	if (n > INT32_MAX)
		return AQI_ETEXT;
	aqi_be32(len, (uint32_t)n);
	if ((rc = aqi_buf_add(b, len, 4)) != AQ_OK)
		return rc;
	return aqi_buf_add(b, p, n);
}

static int
put_i16(struct aq_buf *b, int16_t v)
{
	unsigned char p[2];

	be16(p, (uint16_t)v);
	return put_field(b, p, 2);
}

static int
put_i32(struct aq_buf *b, int32_t v)
{
	unsigned char p[4];

	aqi_be32(p, (uint32_t)v);
	return put_field(b, p, 4);
}

static int
put_i64(struct aq_buf *b, int64_t v)
{
	unsigned char p[8];

	be64(p, (uint64_t)v);
	return put_field(b, p, 8);
}

/* ---- values from text ---- */

static int
put_int(struct aq_buf *b, unsigned long oid, int64_t v)
{
	if (oid == OID_INT2)
		return v < INT16_MIN || v > INT16_MAX ? AQI_ETEXT : put_i16(b, (int16_t)v);
	if (oid == OID_INT4)
		return v < INT32_MIN || v > INT32_MAX ? AQI_ETEXT : put_i32(b, (int32_t)v);
	return put_i64(b, v);
}

/* An integer of column type oid from the exact decimal text s. */
static int
put_int_text(struct aq_buf *b, unsigned long oid, const char *s, size_t n)
{
	char buf[32], *end;
	long long v;

	if (n == 0 || n >= sizeof buf)
		return AQI_ETEXT;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0' || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
		return AQI_ETEXT;
	return put_int(b, oid, v);
}

/*
 * A decimal without an exponent whose digits make an integer m <= 2^53,
 * with at most 22 digits after the point, is m / 10^k in one correctly
 * rounded division, which is what strtod gives (Clinger's fast path): most
 * readings are such.  1 and *out, or 0 for strtod to do.
 */
static int
fast_double(const char *s, size_t n, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	const char *p = s, *end = s + n;
	uint64_t m = 0;
	int neg = 0, nd = 0, digits = 0, k = 0, point = 0;
	double d;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9') {
			if (m != 0 || *p != '0')
				nd++;
			if (nd > 19)
				return 0;
			m = m * 10 + (uint64_t)(*p - '0');
			digits++;
			k += point;
		} else if (*p == '.' && !point)
			point = 1;
		else
			return 0; /* an exponent, or not a number */
	}
	if (digits == 0 || m > (UINT64_C(1) << 53) || k > 22)
		return 0;
	d = (double)m / p10[k];
	*out = neg ? -d : d;
	return 1;
#else
	(void)s;
	(void)n;
	(void)out;
	return 0;
#endif
}

/*
 * The special float names float8in and float4in accept (case aside):
 * 1 NaN, 2 Infinity, 3 -Infinity; 0 for anything else.
 */
static int
float_name(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int kind;
	} names[] = {{"nan", 1}, {"infinity", 2}, {"+infinity", 2}, {"inf", 2}, {"+inf", 2},
	    {"-infinity", 3}, {"-inf", 3}};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == n && strncasecmp(s, names[i].name, n) == 0)
			return names[i].kind;
	return 0;
}

/*
 * A float of column type oid from text s: a number when number is set (a
 * JSON number, or the server's text of a default), else only a name.
 */
static int
put_float_text(struct aq_buf *b, unsigned long oid, const char *s, size_t n, int number)
{
	char buf[512], *end;
	unsigned char p[8];
	double d = 0;
	float f = 0;
	/* a number starts with a digit or -digit: no name to look for */
	int digit = n > 0 && (s[0] == '-' ? n > 1 && s[1] >= '0' && s[1] <= '9'
					  : s[0] >= '0' && s[0] <= '9');
	int kind = digit ? 0 : float_name(s, n);

	if (kind != 0) {
		d = kind == 1 ? (double)NAN : kind == 2 ? (double)INFINITY : -(double)INFINITY;
		f = (float)d;
	} else if (number && oid == OID_FLOAT8 && fast_double(s, n, &d)) {
		;
	} else {
		if (!number || n == 0 || n >= sizeof buf)
			return AQI_ETEXT;
		memcpy(buf, s, n);
		buf[n] = '\0';
		errno = 0;
		/* float4in reads with strtof: no double rounding */
		if (oid == OID_FLOAT4)
			d = f = strtof(buf, &end);
		else
			d = strtod(buf, &end);
		/* what the server refuses ("out of range"), it refuses in text */
		if (*end != '\0' || end == buf || (errno == ERANGE && (d == 0 || isinf(d))) ||
		    isnan(d) || isinf(d))
			return AQI_ETEXT;
	}
	if (oid == OID_FLOAT4) {
		uint32_t u;

		memcpy(&u, &f, 4);
		aqi_be32(p, u);
		return put_field(b, p, 4);
	} else {
		uint64_t u;

		memcpy(&u, &d, 8);
		be64(p, u);
		return put_field(b, p, 8);
	}
}

/*
 * A numeric from decimal text (JSON number syntax, or the server's text),
 * with the scale the text gives it, as numeric_in reads it: the digits
 * after the point, less the exponent, at least 0.
 */
static int
put_numeric_text(struct aq_buf *b, const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	int neg = 0, ndig = 0, point = -1, kind = float_name(s, n), i;
	long exp = 0, dscale, weight10;
	int16_t words[4 + NUMERIC_MAX_DIGITS / 4 + 4];
	char dig[NUMERIC_MAX_DIGITS + 8];
	unsigned char out[2 * (int)(sizeof words / sizeof words[0])];
	int nd, w, first, last, lead;

	if (kind != 0) {
		if (kind != 1 && n < 8)
			return AQI_ETEXT; /* numeric_in knows no "inf" */
		be16(out, 0);
		be16(out + 2, 0);
		be16(out + 4, kind == 1 ? NUMERIC_NAN : kind == 2 ? NUMERIC_PINF : NUMERIC_NINF);
		be16(out + 6, 0);
		return put_field(b, out, 8);
	}
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9') {
			if (ndig >= NUMERIC_MAX_DIGITS)
				return AQI_ETEXT;
			dig[ndig++] = (char)(*p - '0');
		} else if (*p == '.' && point < 0)
			point = ndig;
		else
			break;
	}
	if (ndig == 0)
		return AQI_ETEXT;
	if (point < 0)
		point = ndig;
	if (p < end && (*p == 'e' || *p == 'E')) {
		char ebuf[16], *eend;

		p++;
		if (end - p <= 0 || (size_t)(end - p) >= sizeof ebuf)
			return AQI_ETEXT;
		memcpy(ebuf, p, (size_t)(end - p));
		ebuf[end - p] = '\0';
		errno = 0;
		exp = strtol(ebuf, &eend, 10);
		if (*eend != '\0' || errno != 0 || exp > NUMERIC_MAX_DIGITS ||
		    exp < -NUMERIC_MAX_DIGITS)
			return AQI_ETEXT;
		p = end;
	}
	if (p != end)
		return AQI_ETEXT;
	dscale = (long)(ndig - point) - exp;
	if (dscale < 0)
		dscale = 0;
	if (dscale > NUMERIC_MAX_DIGITS)
		return AQI_ETEXT;
	/* the decimal point after digit point + exp: digit k has weight
	 * (point + exp - 1 - k) in powers of ten */
	weight10 = point + exp - 1;
	/* base-10000 words: digit k goes to word floor(weight/4) */
	lead = (int)(((weight10 % 4) + 4) % 4); /* digits before the first word's end */
	nd = 0;
	w = 0;
	{
		long wtop = weight10 >= 0 ? weight10 / 4 : -((-weight10 + 3) / 4);
		int pos = 3 - lead; /* position in the first word, 0 = most significant */
		int16_t cur = 0;

		for (i = 0; i < ndig; i++) {
			cur = (int16_t)(cur * 10 + dig[i]);
			if (++pos == 4) {
				words[4 + nd++] = cur;
				cur = 0;
				pos = 0;
			}
		}
		if (pos != 0) {
			for (; pos < 4; pos++)
				cur = (int16_t)(cur * 10);
			words[4 + nd++] = cur;
		}
		w = (int)wtop;
	}
	/* strip zero words, as make_result does */
	first = 0;
	while (first < nd && words[4 + first] == 0) {
		first++;
		w--;
	}
	last = nd;
	while (last > first && words[4 + last - 1] == 0)
		last--;
	if (first == last) {
		w = 0;
		neg = 0; /* numeric has no -0 */
	}
	be16(out, (uint16_t)(last - first));
	be16(out + 2, (uint16_t)(int16_t)w);
	be16(out + 4, neg ? NUMERIC_NEG : NUMERIC_POS);
	be16(out + 6, (uint16_t)dscale);
	for (i = first; i < last; i++)
		be16(out + 8 + 2 * (i - first), (uint16_t)words[4 + i]);
	return put_field(b, out, 8 + 2 * (size_t)(last - first));
}

/* n digits at s, or -1. */
static long
num_digits(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * The "infinity" forms both date and timestamptz take: 1, -1, or 0.
 */
static int
infinity_of(const char *s, size_t n)
{
	if ((n == 8 && strncasecmp(s, "infinity", 8) == 0) ||
	    (n == 9 && strncasecmp(s, "+infinity", 9) == 0))
		return 1;
	if (n == 9 && strncasecmp(s, "-infinity", 9) == 0)
		return -1;
	return 0;
}

/*
 * A timestamptz (microseconds since 2000-01-01 UTC) from ISO-8601 text as
 * aq_time_parse() reads it, years of 4 to 6 digits and a " BC" suffix
 * included (the server's own text of a default), the rest refused: what
 * the server might read otherwise (a lowercase t or z, a comma, more than
 * six fractional digits, rounded by the server) or refuse (an offset past
 * 15:59, a time out of its range).
 */
static int
timestamptz_of(const char *s, size_t n, int64_t *out)
{
	char buf[64];
	struct aq_time t;
	size_t ylen, i, frac = 0;
	long year, base;
	int bc = 0, inf = infinity_of(s, n), in_frac = 0;
	int64_t v;

	if (inf != 0) {
		*out = inf > 0 ? TS_NOEND : TS_NOBEGIN;
		return AQ_OK;
	}
	if (n > 3 && memcmp(s + n - 3, " BC", 3) == 0) {
		bc = 1;
		n -= 3;
	}
	for (ylen = 0; ylen < n && s[ylen] >= '0' && s[ylen] <= '9'; ylen++)
		;
	if (ylen < 4 || ylen > 6 || n - ylen + 4 >= sizeof buf)
		return AQI_ETEXT;
	for (i = ylen; i < n; i++) {
		char c = s[i];

		if (c == 't' || c == 'z' || c == ',')
			return AQI_ETEXT;
		if (c == '.')
			in_frac = 1;
		else if (c < '0' || c > '9')
			in_frac = 0;
		else if (in_frac && ++frac > 6)
			return AQI_ETEXT;
	}
	if (ylen == 4 && !bc) {
		/* the common case: aq_time_parse() reads it as it is */
		if (aq_time_parse(s, n, &t) != AQ_OK || t.offset_min > 15 * 60 + 59 ||
		    t.offset_min < -(15 * 60 + 59))
			return AQI_ETEXT;
		*out = t.usec - PG_EPOCH_USEC;
		return AQ_OK;
	}
	year = num_digits(s, ylen);
	if (year < 1 || year > (bc ? 4714 : 294276))
		return AQI_ETEXT;
	if (bc)
		year = 1 - year; /* astronomical: 1 BC is year 0 */
	/* the same date in a year of the same kind (leap or not) that
	 * aq_time_parse() reads, moved by whole days after (in PostgreSQL's
	 * epoch: since 1970, 294276 AD overflows) */
	base = is_leap(year) ? 2000 : 2001;
	memcpy(buf, base == 2000 ? "2000" : "2001", 4);
	memcpy(buf + 4, s + ylen, n - ylen);
	if (aq_time_parse(buf, n - ylen + 4, &t) != AQ_OK)
		return AQI_ETEXT;
	if (t.offset_min > 15 * 60 + 59 || t.offset_min < -(15 * 60 + 59))
		return AQI_ETEXT;
	v = t.usec - aq_time_from_civil(base, 1, 1) +
	    (aqi_days_from_civil(year, 1, 1) - PG_EPOCH_DAYS) * INT64_C(86400000000);
	if (v < TS_MIN || v >= TS_END)
		return AQI_ETEXT;
	*out = v;
	return AQ_OK;
}

/* A date (days since 2000-01-01) from YYYY-MM-DD, or infinity. */
static int
date_of(const char *s, size_t n, int32_t *out)
{
	struct aq_time t;
	int inf = infinity_of(s, n);

	if (inf != 0) {
		*out = inf > 0 ? DATE_NOEND : DATE_NOBEGIN;
		return AQ_OK;
	}
	if (n != 10 || aq_time_parse(s, n, &t) != AQ_OK)
		return AQI_ETEXT;
	*out = (int32_t)(t.usec / INT64_C(86400000000) - PG_EPOCH_DAYS);
	return AQ_OK;
}

/* A value of column type oid from its text s (a string's text, or the
 * server's text of a default). */
static int
put_text_as(struct aq_buf *b, unsigned long oid, const char *s, size_t n, int server)
{
	int64_t ts;
	int32_t dt;
	int rc;

	switch (oid) {
	case OID_TIMESTAMPTZ:
		if ((rc = timestamptz_of(s, n, &ts)) != AQ_OK)
			return rc;
		return put_i64(b, ts);
	case OID_DATE:
		if ((rc = date_of(s, n, &dt)) != AQ_OK)
			return rc;
		return put_i32(b, dt);
	case OID_FLOAT4:
	case OID_FLOAT8:
		return put_float_text(b, oid, s, n, server);
	case OID_NUMERIC:
		return server ? put_numeric_text(b, s, n) : AQI_ETEXT;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return server ? put_int_text(b, oid, s, n) : AQI_ETEXT;
	case OID_BOOL:
		if (server && n == 1 && (s[0] == 't' || s[0] == 'f'))
			return put_field(b, s[0] == 't' ? "\1" : "\0", 1);
		return AQI_ETEXT;
	case OID_JSONB:
		if (!server)
			return AQI_ETEXT; /* field() writes a string as JSON */
		if ((rc = aqi_buf_add(b, "\0\0\0\0\1", 5)) != AQ_OK)
			return rc;
		aqi_be32((unsigned char *)b->data + b->len - 5, (uint32_t)n + 1);
		return aqi_buf_add(b, s, n);
	case OID_JSON:
		if (!server)
			return AQI_ETEXT;
		return put_field(b, s, n);
	case OID_TEXT:
	case OID_VARCHAR:
		return put_field(b, s, n);
	default:
		return AQI_ETEXT;
	}
}

/* v as compact JSON text, as one field (jsonb: after its version byte). */
static int
put_json(struct aq_buf *b, const struct aq_value *v, int jsonb)
{
	struct aq_writer *w = aq_writer_new(NULL);
	const char *s;
	size_t n, at = b->len;
	int rc;

	if (w == NULL)
		return AQ_ENOMEM;
	if ((rc = aq_writer_value(w, v)) == AQ_OK && (rc = aq_writer_end_line(w)) == AQ_OK) {
		s = aq_writer_buffer(w, &n);
		n--; /* without the newline */
		if ((rc = aqi_buf_add(b, "\0\0\0\0\1", jsonb ? 5 : 4)) == AQ_OK) {
			aqi_be32((unsigned char *)b->data + at, (uint32_t)(n + (size_t)jsonb));
			rc = aqi_buf_add(b, s, n);
		}
	}
	aq_writer_free(w);
	return rc;
}

/* One non-null value as a field of column c. */
static int
put_value(struct aq_buf *b, const struct aqi_column *c, const struct aq_value *v)
{
	const char *s;
	size_t n;
	int64_t i;
	int t = aq_value_type(v);

	switch (c->oid) {
	case OID_BOOL:
		if (t == AQ_TRUE || t == AQ_FALSE)
			return put_field(b, t == AQ_TRUE ? "\1" : "\0", 1);
		return AQI_ETEXT;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		if (t != AQ_NUMBER || aq_value_int64(v, &i) != AQ_OK)
			return AQI_ETEXT;
		return put_int(b, c->oid, i);
	case OID_FLOAT4:
	case OID_FLOAT8:
		if (t != AQ_NUMBER && t != AQ_STRING)
			return AQI_ETEXT;
		s = aq_value_string(v, &n);
		return put_float_text(b, c->oid, s, n, t == AQ_NUMBER);
	case OID_NUMERIC:
		if (t != AQ_NUMBER && t != AQ_STRING)
			return AQI_ETEXT;
		s = aq_value_string(v, &n);
		if (t == AQ_STRING && float_name(s, n) == 0)
			return AQI_ETEXT;
		return put_numeric_text(b, s, n);
	case OID_TIMESTAMPTZ:
	case OID_DATE:
		if (t != AQ_STRING)
			return AQI_ETEXT;
		s = aq_value_string(v, &n);
		return put_text_as(b, c->oid, s, n, 0);
	case OID_JSON:
	case OID_JSONB:
		return put_json(b, v, c->oid == OID_JSONB);
	case OID_TEXT:
	case OID_VARCHAR:
		/* as the text encoder: numbers as written, booleans as
		 * true/false, objects and arrays as JSON */
		if (t == AQ_STRING || t == AQ_NUMBER) {
			s = aq_value_string(v, &n);
			return put_field(b, s, n);
		}
		if (t == AQ_TRUE || t == AQ_FALSE)
			return put_field(b, t == AQ_TRUE ? "true" : "false", t == AQ_TRUE ? 4 : 5);
		return put_json(b, v, 0);
	default:
		return AQI_ETEXT;
	}
}

static int
bin_row_begin(struct aq_buf *b, size_t nfields)
{
	unsigned char p[2];

	if (nfields > INT16_MAX - 1) /* room for aq_ord */
		return AQI_ETEXT;
	be16(p, (uint16_t)nfields);
	return aqi_buf_add(b, p, 2);
}

static int
bin_field(struct aq_buf *b, size_t i, const struct aqi_column *c, const struct aq_value *v)
{
	size_t at = b->len;
	int rc;

	(void)i;
	if (v == NULL || aq_value_type(v) == AQ_NULL)
		return aqi_buf_add(b, "\377\377\377\377", 4);
	if (aqi_value_has_nul(v))
		return AQ_EDATA;
	if ((rc = put_value(b, c, v)) != AQ_OK)
		b->len = at;
	return rc;
}

static int
bin_field_raw(struct aq_buf *b, size_t i, const char *enc, size_t len)
{
	(void)i;
	if (enc == NULL)
		return aqi_buf_add(b, "\377\377\377\377", 4);
	return aqi_buf_add(b, enc, len);
}

static int
bin_field_text(struct aq_buf *out, const struct aqi_column *c, const char *s, size_t n)
{
	/* the whole field, length included, for field_raw */
	return put_text_as(out, c->oid, s, n, 1);
}

static int
bin_row_end(struct aq_buf *b)
{
	(void)b;
	return AQ_OK;
}

static int
bin_row_with_ord(struct aq_buf *b, const char *row, size_t len, size_t ord)
{
	const unsigned char *r = (const unsigned char *)row;
	unsigned char p[8];
	size_t at = b->len;
	int rc;

	if (len < 2 || ord > INT32_MAX)
		return AQ_EINVAL;
	if ((rc = aqi_buf_add(b, row, len)) != AQ_OK)
		return rc;
	be16((unsigned char *)b->data + at, (uint16_t)(((unsigned)r[0] << 8 | r[1]) + 1));
	aqi_be32(p, 4);
	aqi_be32(p + 4, (uint32_t)ord);
	return aqi_buf_add(b, p, 8);
}

const struct aqi_copy_enc aqi_copy_binary = {
    .name = "binary",
    .head = header,
    .headlen = sizeof header,
    .tail = trailer,
    .taillen = sizeof trailer,
    .row_begin = bin_row_begin,
    .field = bin_field,
    .field_raw = bin_field_raw,
    .field_text = bin_field_text,
    .row_end = bin_row_end,
    .row_with_ord = bin_row_with_ord,
};

/* ---- back to text ---- */

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* A timestamp's text (UTC; usec since 2000), as the server writes it with
 * TimeZone UTC; without the time for a date. */
static int
text_of_time(struct aq_buf *out, int64_t usec, int with_time)
{
	int64_t day = INT64_C(86400000000), days, in_day, y;
	unsigned m, d;

	days = usec / day;
	in_day = usec % day;
	if (in_day < 0) {
		in_day += day;
		days--;
	}
	civil_from_days(days + PG_EPOCH_DAYS, &y, &m, &d);
	if (!with_time)
		return aq_buf_printf(
		    out, "%04" PRId64 "-%02u-%02u%s", y > 0 ? y : 1 - y, m, d, y > 0 ? "" : " BC");
	return aq_buf_printf(out, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d.%06d+00%s",
	    y > 0 ? y : 1 - y, m, d, (int)(in_day / 3600000000), (int)(in_day / 60000000 % 60),
	    (int)(in_day / 1000000 % 60), (int)(in_day % 1000000), y > 0 ? "" : " BC");
}

/* A numeric's text from its binary form (p, n bytes). */
static int
text_of_numeric(struct aq_buf *out, const unsigned char *p, size_t n)
{
	int nd, weight, sign, dscale, i, k, rc = AQ_OK;

	if (n < 8)
		return AQ_EINVAL;
	nd = (int)(p[0] << 8 | p[1]);
	weight = (int16_t)(p[2] << 8 | p[3]);
	sign = p[4] << 8 | p[5];
	dscale = p[6] << 8 | p[7];
	if (n != 8 + 2 * (size_t)nd)
		return AQ_EINVAL;
	if (sign == NUMERIC_NAN)
		return aq_buf_puts(out, "NaN");
	if (sign == NUMERIC_PINF)
		return aq_buf_puts(out, "Infinity");
	if (sign == NUMERIC_NINF)
		return aq_buf_puts(out, "-Infinity");
	if (sign == NUMERIC_NEG)
		rc = aqi_buf_add(out, "-", 1);
	/* the integer part: words 0..weight */
	if (weight < 0)
		rc = rc ? rc : aqi_buf_add(out, "0", 1);
	for (k = 0; k <= weight && rc == AQ_OK; k++) {
		int w = k < nd ? (p[8 + 2 * k] << 8 | p[9 + 2 * k]) : 0;

		rc = aq_buf_printf(out, k == 0 ? "%d" : "%04d", w);
	}
	if (dscale > 0 && rc == AQ_OK) {
		rc = aqi_buf_add(out, ".", 1);
		for (i = 0; i < dscale && rc == AQ_OK; i++) {
			/* decimal digit i after the point is in word weight + 1 + i / 4 */
			int wi = weight + 1 + i / 4, w;
			static const int div[4] = {1000, 100, 10, 1};

			w = wi >= 0 && wi < nd ? (p[8 + 2 * wi] << 8 | p[9 + 2 * wi]) : 0;
			rc = aq_buf_printf(out, "%d", w / div[i % 4] % 10);
		}
	}
	return rc;
}

int
aqi_copy_binary_to_text(struct aq_buf *out, unsigned long oid, const char *field, size_t n)
{
	const unsigned char *p = (const unsigned char *)field;
	char num[40];
	uint64_t u;
	double d;
	float f;
	uint32_t u32;

	switch (oid) {
	case OID_BOOL:
		return n == 1 ? aqi_buf_add(out, p[0] ? "t" : "f", 1) : AQ_EINVAL;
	case OID_INT2:
		return n == 2 ? aq_buf_printf(out, "%d", (int16_t)(p[0] << 8 | p[1])) : AQ_EINVAL;
	case OID_INT4:
		return n == 4 ? aq_buf_printf(out, "%" PRId32, (int32_t)aqi_get32(p)) : AQ_EINVAL;
	case OID_INT8:
		return n == 8 ? aq_buf_printf(out, "%" PRId64, (int64_t)get64(p)) : AQ_EINVAL;
	case OID_FLOAT4:
	case OID_FLOAT8:
		if (n != (oid == OID_FLOAT4 ? 4u : 8u))
			return AQ_EINVAL;
		if (oid == OID_FLOAT4) {
			u32 = aqi_get32(p);
			memcpy(&f, &u32, 4);
			d = f;
		} else {
			u = get64(p);
			memcpy(&d, &u, 8);
		}
		if (isnan(d))
			return aq_buf_puts(out, "NaN");
		if (isinf(d))
			return aq_buf_puts(out, d > 0 ? "Infinity" : "-Infinity");
		/* digits enough to read back the same value */
		snprintf(num, sizeof num, oid == OID_FLOAT4 ? "%.9g" : "%.17g", d);
		return aq_buf_puts(out, num);
	case OID_NUMERIC:
		return text_of_numeric(out, p, n);
	case OID_TIMESTAMPTZ:
		if (n != 8)
			return AQ_EINVAL;
		if ((int64_t)get64(p) == TS_NOEND || (int64_t)get64(p) == TS_NOBEGIN)
			return aq_buf_puts(
			    out, (int64_t)get64(p) == TS_NOEND ? "infinity" : "-infinity");
		return text_of_time(out, (int64_t)get64(p), 1);
	case OID_DATE:
		if (n != 4)
			return AQ_EINVAL;
		if ((int32_t)aqi_get32(p) == DATE_NOEND || (int32_t)aqi_get32(p) == DATE_NOBEGIN)
			return aq_buf_puts(
			    out, (int32_t)aqi_get32(p) == DATE_NOEND ? "infinity" : "-infinity");
		return text_of_time(out, (int64_t)(int32_t)aqi_get32(p) * INT64_C(86400000000), 0);
	case OID_JSONB:
		if (n < 1 || p[0] != 1)
			return AQ_EINVAL;
		return aqi_copy_text_escape(out, field + 1, n - 1);
	default:
		return aqi_copy_text_escape(out, field, n);
	}
}
