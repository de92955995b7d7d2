/* time.c: ISO-8601 instants in and out, with no dependence on the C
 * library's time zone state (no TZ, no mktime). */
#include "config.h"

#include <string.h>

#include "aq-int.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant), for
 * any year PostgreSQL has (aq-int.h). */
int64_t
aqi_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
mdays(int y, unsigned m)
{
	static const unsigned char n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* Read exactly n digits at *p. */
static int
digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;

	if (end - *p < n)
		return 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return 0;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

int
aq_time_parse(const char *s, size_t len, struct aq_time *t)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h = 0, mi = 0, sec = 0, usec = 0, oh = 0, om = 0, sign = 0;
	int has_time = 0, has_zone = 0;

	if (s == NULL || t == NULL)
		return AQ_EINVAL;
	if (len == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':' && s[19] == 'Z') {
		/* "YYYY-MM-DDTHH:MM:SSZ", what the API sends: the digits at
		 * their places, then the checks below; anything odd in it
		 * takes the general path */
#define ND(i) ((unsigned)(s[i] - '0') > 9 || (unsigned)(s[(i) + 1] - '0') > 9)
		if (!(ND(0) | ND(2) | ND(5) | ND(8) | ND(11) | ND(14) | ND(17))) {
#undef ND
#define D2(i) ((s[i] - '0') * 10 + (s[(i) + 1] - '0'))
			y = D2(0) * 100 + D2(2);
			mo = D2(5);
			d = D2(8);
			h = D2(11);
			mi = D2(14);
			sec = D2(17);
#undef D2
			has_time = has_zone = 1;
			goto check;
		}
	}
	if (!digits(&p, end, 4, &y) || p == end || *p++ != '-' ||
	    !digits(&p, end, 2, &mo) || p == end || *p++ != '-' ||
	    !digits(&p, end, 2, &d))
		return AQ_EINVAL;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (!digits(&p, end, 2, &h) || p == end || *p++ != ':' ||
		    !digits(&p, end, 2, &mi))
			return AQ_EINVAL;
		if (p < end && *p == ':') {
			p++;
			if (!digits(&p, end, 2, &sec))
				return AQ_EINVAL;
			if (p < end && (*p == '.' || *p == ',')) {
				int n = 0;

				p++;
				while (p < end && *p >= '0' && *p <= '9') {
					if (n < 6)
						usec = usec * 10 + (*p - '0');
					n++;
					p++;
				}
				if (n == 0 || n > 9)
					return AQ_EINVAL;
				for (; n < 6; n++)
					usec *= 10;
			}
		}
		has_time = 1;
		if (p < end && (*p == 'Z' || *p == 'z')) {
			p++;
			has_zone = 1;
		} else if (p < end && (*p == '+' || *p == '-')) {
			sign = *p++ == '-' ? -1 : 1;
			if (!digits(&p, end, 2, &oh))
				return AQ_EINVAL;
			/* +hh, +hhmm or +hh:mm; a colon needs its minutes */
			if (p < end && *p == ':') {
				p++;
				if (!digits(&p, end, 2, &om))
					return AQ_EINVAL;
			} else if (p < end && !digits(&p, end, 2, &om))
				return AQ_EINVAL;
			has_zone = 1;
		}
	}
	if (p != end)
		return AQ_EINVAL;
check:
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > mdays(y, (unsigned)mo) ||
	    h > 23 || mi > 59 || sec > 59 || oh > 18 || om > 59 ||
	    (oh == 18 && om > 0))
		return AQ_ERANGE;
	t->offset_min = sign * (oh * 60 + om);
	t->has_zone = has_zone;
	t->has_time = has_time;
	t->usec = ((aqi_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec) - (int64_t)t->offset_min * 60) * 1000000 + usec;
	return AQ_OK;
}

/* Write v as exactly n digits at p (v >= 0, v < 10^n). */
static void
put_digits(char *p, unsigned v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Whole days since 1970-01-01 and microseconds into the day, floored, so
 * that instants before 1970 work too. */
static void
split_usec(int64_t usec, int64_t *days, int64_t *in_day)
{
	const int64_t day = INT64_C(86400000000);

	*days = usec / day;
	*in_day = usec % day;
	if (*in_day < 0) {
		*in_day += day;
		(*days)--;
	}
}

size_t
aq_time_format(int64_t usec, char *buf, size_t size)
{
	int64_t days, in_day, secs;
	int frac, y, n;
	unsigned m, d;

	if (buf == NULL || size < AQ_TIME_BUFSZ)
		return 0;
	split_usec(usec, &days, &in_day);
	secs = in_day / 1000000;
	frac = (int)(in_day % 1000000);
	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return 0;
	/* YYYY-MM-DDTHH:MM:SS by hand: this runs once per row */
	put_digits(buf, (unsigned)y, 4);
	buf[4] = '-';
	put_digits(buf + 5, m, 2);
	buf[7] = '-';
	put_digits(buf + 8, d, 2);
	buf[10] = 'T';
	put_digits(buf + 11, (unsigned)(secs / 3600), 2);
	buf[13] = ':';
	put_digits(buf + 14, (unsigned)(secs / 60 % 60), 2);
	buf[16] = ':';
	put_digits(buf + 17, (unsigned)(secs % 60), 2);
	n = 19;
	if (frac != 0) {
		int w = 6;

		while (frac % 10 == 0) {
			frac /= 10;
			w--;
		}
		buf[n++] = '.';
		put_digits(buf + n, (unsigned)frac, w);
		n += w;
	}
	buf[n++] = 'Z';
	buf[n] = '\0';
	return (size_t)n;
}

int
aqi_time_month(int64_t usec)
{
	int64_t days, in_day;
	int y;
	unsigned m, d;

	split_usec(usec, &days, &in_day);
	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return -1;
	return y * 12 + (int)m - 1;
}

int64_t
aq_time_from_civil(int year, int month, int day)
{
	int64_t y = year;

	/* months outside 1..12 carry into the year, as mktime(3) does */
	if (month < 1 || month > 12) {
		int64_t m0 = (int64_t)month - 1, carry = m0 / 12;

		if (m0 % 12 < 0)
			carry--;
		y += carry;
		month = (int)(m0 - carry * 12) + 1;
	}
	return (aqi_days_from_civil(y, (unsigned)month, 1) + (int64_t)day - 1) * INT64_C(86400000000);
}

void
aq_time_to_civil(int64_t usec, int *year, int *month, int *day)
{
	int64_t days, in_day;
	int y;
	unsigned m, d;

	split_usec(usec, &days, &in_day);
	civil_from_days(days, &y, &m, &d);
	if (year != NULL)
		*year = y;
	if (month != NULL)
		*month = (int)m;
	if (day != NULL)
		*day = (int)d;
}
