/* 0500-time: ISO-8601 parsing and UTC formatting. */
#include <string.h>

#include "openaq.h"
#include "tap.h"

static const char *
utc(const char *s, int *rc)
{
	static char buf[AQ_TIME_BUFSZ];
	struct aq_time t;

	*rc = aq_time_parse(s, strlen(s), &t);
	if (*rc != AQ_OK)
		return "";
	aq_time_format(t.usec, buf, sizeof buf);
	return buf;
}

int
main(void)
{
	struct aq_time t;
	char buf[AQ_TIME_BUFSZ];
	int rc;

	is_str(utc("2024-09-25T22:00:00Z", &rc), "2024-09-25T22:00:00Z", "Z");
	is_str(utc("2024-09-25T16:00:00-06:00", &rc), "2024-09-25T22:00:00Z", "-06:00");
	is_str(utc("2016-03-06T19:00:00+00:00", &rc), "2016-03-06T19:00:00Z", "+00:00");
	is_str(utc("2023-02-22 01:00:00-07:00", &rc), "2023-02-22T08:00:00Z", "a space instead of T");
	is_str(utc("2021-12-16 01:00:00+00:00", &rc), "2021-12-16T01:00:00Z", "archive form");
	is_str(utc("2023-03-29T20:23:57.054584Z", &rc), "2023-03-29T20:23:57.054584Z", "microseconds");
	is_str(utc("2023-03-29T20:23:57.5Z", &rc), "2023-03-29T20:23:57.5Z", "one fractional digit");
	is_str(utc("2023-03-29T20:23:57.123456789Z", &rc), "2023-03-29T20:23:57.123456Z", "nanoseconds truncated");
	is_str(utc("2024-01-01T05:30:00+05:30", &rc), "2024-01-01T00:00:00Z", "+05:30");
	is_str(utc("2024-01-01T00:00:00+13:00", &rc), "2023-12-31T11:00:00Z", "+13:00 crosses the year");
	is_str(utc("2024-01-01T00:00:00-1000", &rc), "2024-01-01T10:00:00Z", "-1000 without colon");
	is_str(utc("2024-01-01T00:00+01", &rc), "2023-12-31T23:00:00Z", "HH:MM and +HH");
	is_str(utc("2024-02-29", &rc), "2024-02-29T00:00:00Z", "a bare date");
	ok(aq_time_parse("2024-02-29", 10, &t) == AQ_OK && !t.has_time && !t.has_zone, "a bare date has no time, no zone");
	ok(aq_time_parse("2024-02-29T10:00:00", 19, &t) == AQ_OK && t.has_time && !t.has_zone, "a naive time has no zone");
	ok(aq_time_parse("2024-02-29T10:00:00-06:00", 25, &t) == AQ_OK && t.offset_min == -360, "offset in minutes");
	utc("2023-02-29", &rc);
	is_int(rc, AQ_ERANGE, "2023-02-29 is impossible");
	utc("2024-13-01", &rc);
	is_int(rc, AQ_ERANGE, "month 13");
	utc("2024-04-31T00:00:00Z", &rc);
	is_int(rc, AQ_ERANGE, "April 31");
	utc("2024-01-01T24:00:00Z", &rc);
	is_int(rc, AQ_ERANGE, "hour 24");
	utc("2024-01-01T23:60:00Z", &rc);
	is_int(rc, AQ_ERANGE, "minute 60");
	utc("2024-01-01T23:59:60Z", &rc);
	is_int(rc, AQ_ERANGE, "second 60");
	utc("0000-01-01", &rc);
	is_int(rc, AQ_ERANGE, "year 0");
	utc("2024-1-01", &rc);
	is_int(rc, AQ_EINVAL, "a one-digit month is malformed");
	utc("2024-01-01T00:00:00Zjunk", &rc);
	is_int(rc, AQ_EINVAL, "trailing text is malformed");
	utc("2024-01-01T00:00:00.Z", &rc);
	is_int(rc, AQ_EINVAL, "a dot without digits");
	utc("", &rc);
	is_int(rc, AQ_EINVAL, "empty");
	utc("2024-09-25T22:00+02:", &rc);
	is_int(rc, AQ_EINVAL, "a colon after the offset's hours needs its minutes");
	utc("2024-09-25T22:00:00+02:", &rc);
	is_int(rc, AQ_EINVAL, "... with seconds too");
	utc("2024-09-25T22:00:00-05:3", &rc);
	is_int(rc, AQ_EINVAL, "... and both of the minutes' digits");
	is_str(utc("2024-09-25T22:00+02", &rc), "2024-09-25T20:00:00Z", "+hh is read");
	is_str(utc("2024-09-25T22:00+0200", &rc), "2024-09-25T20:00:00Z", "+hhmm is read");
	is_str(utc("2024-09-25T22:00+02:00", &rc), "2024-09-25T20:00:00Z", "+hh:mm is read");
	utc("2024-01-01T00:00:00+19:00", &rc);
	is_int(rc, AQ_ERANGE, "offset beyond 18 hours");
	is_str(utc("1969-12-31T23:59:59.5Z", &rc), "1969-12-31T23:59:59.5Z", "before the epoch");
	is_str(utc("0001-01-01T00:00:00Z", &rc), "0001-01-01T00:00:00Z", "year 1");
	is_str(utc("9999-12-31T23:59:59Z", &rc), "9999-12-31T23:59:59Z", "year 9999");
	is_int(aq_time_format(0, buf, 10), 0, "a short buffer is refused");
	is_int(aq_time_format(253402300800LL * 1000000, buf, sizeof buf), 0, "year 10000 is refused");

	/* formatting and parsing are inverse over the whole range: seeded
	 * pseudo-random instants from year 1 to 9999, every fraction width */
	{
		uint64_t x = 88172645463325252ULL;
		int64_t lo = -62135596800LL * 1000000, hi = 253402300799LL * 1000000;
		int bad = 0, k;
		struct aq_time back;

		for (k = 0; k < 200000; k++) {
			int64_t u;
			size_t n;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			u = lo + (int64_t)(x % (uint64_t)(hi - lo));
			if (k % 4 == 1)
				u -= u % 1000000;	/* whole seconds */
			else if (k % 4 == 2)
				u -= u % 1000;		/* milliseconds */
			n = aq_time_format(u, buf, sizeof buf);
			/* the shortest fraction: no trailing zero, no bare dot */
			if (n != strlen(buf) || buf[n - 1] != 'Z' ||
			    (strchr(buf, '.') != NULL && (buf[n - 2] == '0' || buf[n - 2] == '.')) ||
			    ((u % 1000000 == 0) != (strchr(buf, '.') == NULL)) ||
			    aq_time_parse(buf, n, &back) != AQ_OK || back.usec != u) {
				if (bad++ == 0)
					diag("%lld formats as %s", (long long)u, buf);
			}
		}
		is_int(bad, 0, "200000 instants format and parse back");
	}

	/* civil dates */
	{
		int y, m, d, bad = 0;
		int64_t day;

		aq_time_format(aq_time_from_civil(2024, 2, 29), buf, sizeof buf);
		is_str(buf, "2024-02-29T00:00:00Z", "aq_time_from_civil: a leap day");
		aq_time_format(aq_time_from_civil(2025, 13, 1), buf, sizeof buf);
		is_str(buf, "2026-01-01T00:00:00Z", "month 13 is January of the next year");
		aq_time_format(aq_time_from_civil(2025, 0, 1), buf, sizeof buf);
		is_str(buf, "2024-12-01T00:00:00Z", "month 0 is December of the year before");
		aq_time_format(aq_time_from_civil(2025, -13, 1), buf, sizeof buf);
		is_str(buf, "2023-11-01T00:00:00Z", "month -13 goes back two years");
		aq_time_format(aq_time_from_civil(2025, 3, 0), buf, sizeof buf);
		is_str(buf, "2025-02-28T00:00:00Z", "day 0 is the last day of the month before");
		aq_time_format(aq_time_from_civil(2024, 2, 30), buf, sizeof buf);
		is_str(buf, "2024-03-01T00:00:00Z", "a day past the month's end carries");
		is_int(aq_time_from_civil(1970, 1, 1), 0, "the epoch is 0");
		aq_time_to_civil(-1, &y, &m, &d);
		ok(y == 1969 && m == 12 && d == 31, "an instant before 1970 floors to its day");
		aq_time_to_civil(aq_time_from_civil(2026, 12, 2) + 86399999999, &y, &m, &d);
		ok(y == 2026 && m == 12 && d == 2, "the last microsecond of a day is that day");
		aq_time_to_civil(0, NULL, NULL, NULL);
		ok(1, "aq_time_to_civil takes NULL pointers");
		/* every day of years 1..9999 round-trips, and is one day after the last */
		for (day = aq_time_from_civil(1, 1, 1); day < aq_time_from_civil(10000, 1, 1);
		    day += INT64_C(86400000000)) {
			aq_time_to_civil(day, &y, &m, &d);
			if (aq_time_from_civil(y, m, d) != day || aq_time_from_civil(y, m, d + 1) !=
			    day + INT64_C(86400000000)) {
				if (bad++ == 0)
					diag("day %lld: %d-%d-%d", (long long)day, y, m, d);
			}
		}
		is_int(bad, 0, "every day of years 1 to 9999 goes to its date and back");
	}
	return done_testing();
}
