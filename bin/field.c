/* field.c: members of API records read and checked, with the reason of
 * the last failure (aq-norm, aq-dims; sensors.c reads ids with them). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"

/* ---- reasons ---- */

static char why_buf[512];

const char *
why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof why_buf, fmt, ap);
	va_end(ap);
	return why_buf;
}

const char *
why_last(void)
{
	return why_buf;
}

const char *
why_text(const char *s, size_t len)
{
	static char bufs[2][64];
	static int which;
	char *out = bufs[which ^= 1];
	size_t n = len, o = 0, i;

	if (n > 40) {
		n = 40;
		/* back to the start of a UTF-8 character */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		/* control characters would only confuse a terminal */
		out[o++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	if (n < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* ---- fields ---- */

int
text_id(const char *s, size_t len, const char *name, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (len == 0)
		return FIELD_NULL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10) {
			why("%s '%s' is not an id", name, why_text(s, len));
			return FIELD_BAD;
		}
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1) {
		why("%s %s is not an id (ids are 1 or more)", name, why_text(s, len));
		return FIELD_BAD;
	}
	*out = v;
	return FIELD_OK;
}

int
get_id(const struct aq_value *v, const char *name, int64_t *out)
{
	const char *s;
	size_t len;
	int64_t id;

	switch (aq_value_type(v)) {
	case AQ_NULL:
		return FIELD_NULL;
	case AQ_NUMBER:
		s = aq_value_string(v, &len);
		if (len < 19 && s[0] != '0' && all_digits(s, len)) {
			/* the usual case, without strtoll */
			for (id = 0; len > 0; len--)
				id = id * 10 + (*s++ - '0');
			*out = id;
			return FIELD_OK;
		}
		if (aq_value_int64(v, &id) != AQ_OK || id < 1) {
			why("%s %s is not an id", name, why_text(s, len));
			return FIELD_BAD;
		}
		*out = id;
		return FIELD_OK;
	case AQ_STRING:
		s = aq_value_string(v, &len);
		if (len == 0) {
			why("%s is an empty string", name);
			return FIELD_BAD;
		}
		return text_id(s, len, name, out);
	default:
		why("%s is not an id", name);
		return FIELD_BAD;
	}
}

int
get_str(const struct aq_value *v, const char *name, const char **s, size_t *len)
{
	switch (aq_value_type(v)) {
	case AQ_NULL:
		*s = NULL;
		*len = 0;
		return FIELD_NULL;
	case AQ_STRING:
		*s = aq_value_string(v, len);
		return FIELD_OK;
	default:
		why("%s is not a string", name);
		return FIELD_BAD;
	}
}

int
get_bool(const struct aq_value *v, const char *name, int *out)
{
	switch (aq_value_type(v)) {
	case AQ_NULL:
		*out = -1;
		return FIELD_NULL;
	case AQ_TRUE:
		*out = 1;
		return FIELD_OK;
	case AQ_FALSE:
		*out = 0;
		return FIELD_OK;
	default:
		why("%s is not true, false or null", name);
		return FIELD_BAD;
	}
}

int
is_json_number(const char *s, size_t len)
{
	size_t i = 0;

	if (i < len && s[i] == '-')
		i++;
	if (i >= len)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < len && s[i] == '.') {
		size_t d = ++i;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t d;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i == len;
}

/*
 * "-ddd.ddd" with at most 15 digits, read exactly: the digits as an
 * integer and a power of ten up to 1e22 are exact doubles, so one division
 * rounds correctly, as strtod would (Clinger's fast path).  0 when the
 * text is anything else, for strtod to handle.
 */
static int
fast_decimal(const char *s, size_t len, double *out)
{
	static const double pow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	    1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	const char *p = s, *end = s + len, *q;
	uint64_t m = 0;	/* wraps past 19 digits, and is then not used */
	size_t ndigits, nfrac = 0;
	int neg = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	for (q = p; p < end && (unsigned)(*p - '0') <= 9; p++)
		m = m * 10 + (uint64_t)(*p - '0');
	/* a digit first; no leading zero but "0" itself */
	if ((ndigits = (size_t)(p - q)) == 0 || (*q == '0' && ndigits > 1))
		return 0;
	if (p < end) {
		/* a point and at least one digit, and nothing after them */
		if (*p++ != '.')
			return 0;
		for (q = p; p < end && (unsigned)(*p - '0') <= 9; p++)
			m = m * 10 + (uint64_t)(*p - '0');
		if ((nfrac = (size_t)(p - q)) == 0 || p != end)
			return 0;
	}
	if (ndigits + nfrac > 15)
		return 0;
	*out = (double)m / pow10[nfrac];
	if (neg)
		*out = -*out;
	return 1;
}

/* text_num past its fast path: kept out of line, with its buffer */
static int
text_num_slow(const char *s, size_t len, const char *name, const char **text,
    size_t *tlen, double *d, char *tmp)
{
	char buf[64], *end;
	double x;

	if (is_json_number(s, len)) {
		/* every caller's text ends in a NUL (aq_value_string, CSV
		 * fields), and strtod stops at the end of the number */
		x = strtod(s, NULL);
		if (!isfinite(x)) {
			why("%s %s is not finite", name, why_text(s, len));
			return FIELD_BAD;
		}
		*text = s;
		*tlen = len;
		*d = x;
		return FIELD_OK;
	}
	if (len >= sizeof buf) {
		why("%s '%s' is not a number", name, why_text(s, len));
		return FIELD_BAD;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	x = strtod(buf, &end);
	/* strtod also reads "nan", "inf" and hex: say which is wrong */
	if (end == buf || *end != '\0' || buf[0] == ' ' || buf[0] == '\t') {
		why("%s '%s' is not a number", name, why_text(s, len));
		return FIELD_BAD;
	}
	if (!isfinite(x)) {
		why("%s '%s' is not finite", name, why_text(s, len));
		return FIELD_BAD;
	}
	*tlen = aq_json_double(x, tmp, 32);
	*text = tmp;
	*d = x;
	return FIELD_OK;
}

int
text_num(const char *s, size_t len, const char *name, const char **text, size_t *tlen,
    double *d, char *tmp)
{
	double x;

	if (len == 0)
		return FIELD_NULL;
	if (fast_decimal(s, len, &x)) {
		*text = s;
		*tlen = len;
		*d = x;
		return FIELD_OK;
	}
	return text_num_slow(s, len, name, text, tlen, d, tmp);
}

int
get_num(const struct aq_value *v, const char *name, const char **text, size_t *len,
    double *d, char *tmp)
{
	const char *s;
	size_t n;
	int type = aq_value_type(v);

	switch (type) {
	case AQ_NULL:
		return FIELD_NULL;
	case AQ_NUMBER:
	case AQ_STRING:
		s = aq_value_string(v, &n);
		if (type == AQ_STRING && n == 0)
			return FIELD_NULL;	/* an empty CSV field */
		return text_num(s, n, name, text, len, d, tmp);
	default:
		why("%s is not a number", name);
		return FIELD_BAD;
	}
}

static int
canonical_utc(const char *s, size_t len)
{
	return len == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':' && s[19] == 'Z';
}

/* conv_time with the member name in two parts ("period.datetimeTo",
 * ".utc"), joined only when a reason needs them. */
static int
conv_time2(const char *s, size_t len, const char *name, const char *sub, int naive_utc,
    char *out, size_t *outlen, int64_t *usec)
{
	struct aq_time t;
	int rc;

	if ((rc = aq_time_parse(s, len, &t)) != AQ_OK) {
		if (rc == AQ_ERANGE)
			why("%s%s '%s' is an impossible date or time", name, sub,
			    why_text(s, len));
		else
			why("%s%s '%s' is not an ISO-8601 timestamp", name, sub,
			    why_text(s, len));
		return FIELD_BAD;
	}
	if (!t.has_time) {
		why("%s%s '%s' has no time of day", name, sub, why_text(s, len));
		return FIELD_BAD;
	}
	if (!t.has_zone && !naive_utc) {
		why("%s%s '%s' has no time zone", name, sub, why_text(s, len));
		return FIELD_BAD;
	}
	*usec = t.usec;
	if (canonical_utc(s, len)) {
		/* already what we write: no re-formatting on the hot path */
		memcpy(out, s, len);
		out[len] = '\0';
		*outlen = len;
		return FIELD_OK;
	}
	if ((*outlen = aq_time_format(t.usec, out, AQ_TIME_BUFSZ)) == 0) {
		why("%s%s '%s' is out of range in UTC", name, sub, why_text(s, len));
		return FIELD_BAD;
	}
	return FIELD_OK;
}

int
conv_time(const char *s, size_t len, const char *name, int naive_utc, char *out,
    size_t *outlen, int64_t *usec)
{
	return conv_time2(s, len, name, "", naive_utc, out, outlen, usec);
}

int
get_time(const struct aq_value *v, const char *name, char *out, size_t *outlen,
    int64_t *usec)
{
	const struct aq_value *u, *loc, *m;
	const char *s;
	size_t len;

	switch (aq_value_type(v)) {
	case AQ_NULL:
		return FIELD_NULL;
	case AQ_STRING:
		s = aq_value_string(v, &len);
		return conv_time(s, len, name, 0, out, outlen, usec);
	case AQ_OBJECT:
		/* both members in one walk (the last of duplicates wins, as
		 * with aq_value_get) */
		u = loc = NULL;
		for (m = aq_value_first(v); m != NULL; m = aq_value_next(m)) {
			const char *k = aq_value_key(m, &len);

			if (len == 3 && memcmp(k, "utc", 3) == 0)
				u = m;
			else if (len == 5 && memcmp(k, "local", 5) == 0)
				loc = m;
		}
		if (aq_value_type(u) == AQ_STRING) {
			s = aq_value_string(u, &len);
			return conv_time2(s, len, name, ".utc", 1, out, outlen, usec);
		}
		if (!aq_value_is_null(u)) {
			why("%s.utc is not a string", name);
			return FIELD_BAD;
		}
		u = loc;
		if (aq_value_type(u) == AQ_STRING) {
			s = aq_value_string(u, &len);
			return conv_time2(s, len, name, ".local", 0, out, outlen, usec);
		}
		if (!aq_value_is_null(u)) {
			why("%s.local is not a string", name);
			return FIELD_BAD;
		}
		return FIELD_NULL;
	default:
		why("%s is not a timestamp", name);
		return FIELD_BAD;
	}
}

int
get_date(const struct aq_value *v, const char *name, const char **s, size_t *len)
{
	struct aq_time t;
	int rc;

	if ((rc = get_str(v, name, s, len)) != FIELD_OK)
		return rc;
	if ((rc = aq_time_parse(*s, *len, &t)) != AQ_OK || t.has_time) {
		why("%s '%s' is not a date (YYYY-MM-DD)", name, why_text(*s, *len));
		return FIELD_BAD;
	}
	return FIELD_OK;
}

/* ---- the readers with a reason ---- */

const char *
field_id(const struct aq_value *v, const char *name, int64_t *out, int required)
{
	int rc = get_id(v, name, out);

	if (rc == FIELD_BAD)
		return why_last();
	if (rc == FIELD_NULL) {
		*out = 0;
		if (required)
			return why("no %s", name);
	}
	return NULL;
}

const char *
field_str(const struct aq_value *v, const char *name, const char **s, size_t *len)
{
	return get_str(v, name, s, len) == FIELD_BAD ? why_last() : NULL;
}

const char *
field_num(const struct aq_value *v, const char *name, const char **text, size_t *len,
    double *d, char *tmp)
{
	int rc = get_num(v, name, text, len, d, tmp);

	if (rc == FIELD_BAD)
		return why_last();
	if (rc == FIELD_NULL)
		*text = NULL;
	return NULL;
}

int
csv_header_again(const struct aq_csv *c, int sensors_col)
{
	const char *f = sensors_col >= 0 ? aq_csv_field(c, (size_t)sensors_col, NULL) : NULL;

	return f != NULL && (strcmp(f, "sensors_id") == 0 || strcmp(f, "sensor_id") == 0) &&
	    aq_csv_archive_header(c, NULL);
}
