/*
 * fuzz-time: the ISO-8601 parser and formatter (lib/time.c).  The input
 * is parsed as time text; what parses is formatted and parsed back to the
 * same instant.  Its first bytes are also taken as an instant
 * (aq_time_format, aq_time_to_civil round trips) and as a civil date
 * (aq_time_from_civil).
 */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* usec as text, parsed back: the same instant, in UTC. */
static void
round_trip(int64_t usec)
{
	char buf[AQ_TIME_BUFSZ], small[AQ_TIME_BUFSZ - 1];
	struct aq_time t;
	size_t n;
	int y, m, d;

	n = aq_time_format(usec, buf, sizeof buf);
	FUZZ_CHECK(aq_time_format(usec, small, sizeof small) == 0);
	aq_time_to_civil(usec, &y, &m, &d);
	FUZZ_CHECK(m >= 1 && m <= 12 && d >= 1 && d <= 31);
	if (n == 0) {
		FUZZ_CHECK(y < 1 || y > 9999);
		return;
	}
	FUZZ_CHECK(n < sizeof buf && buf[n] == '\0' && strlen(buf) == n);
	FUZZ_CHECK(buf[n - 1] == 'Z');
	FUZZ_CHECK(aq_time_parse(buf, n, &t) == AQ_OK);
	FUZZ_CHECK(t.usec == usec && t.has_zone && t.has_time && t.offset_min == 0);
	/* the day that holds it */
	FUZZ_CHECK(aq_time_from_civil(y, m, d) <= usec);
	FUZZ_CHECK(usec - aq_time_from_civil(y, m, d) < INT64_C(86400000000));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aq_time t;
	int64_t usec;
	int32_t civil[3];
	int rc, y, m, d;
	char *copy;

	/* exactly size bytes: an overread is an ASan report */
	copy = malloc(size ? size : 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	memset(&t, 0x55, sizeof t);
	rc = aq_time_parse(copy, size, &t);
	FUZZ_CHECK(rc == AQ_OK || rc == AQ_EINVAL || rc == AQ_ERANGE);
	if (rc == AQ_OK) {
		FUZZ_CHECK(t.has_zone == 0 || t.has_zone == 1);
		FUZZ_CHECK(t.has_time == 0 || t.has_time == 1);
		FUZZ_CHECK(t.offset_min > -24 * 60 && t.offset_min < 24 * 60);
		FUZZ_CHECK(t.has_zone || t.offset_min == 0);
		/* a date is read as UTC midnight, whatever its zone says */
		round_trip(t.usec);
		aq_time_to_civil(t.usec, &y, &m, &d);
		FUZZ_CHECK(y >= -1 && y <= 10000);
	}
	free(copy);

	if (size >= sizeof usec) {
		memcpy(&usec, data, sizeof usec);
		round_trip(usec);
	}
	if (size >= sizeof civil) {
		memcpy(civil, data, sizeof civil);
		/* the years the formatter writes, months and days that carry */
		if (civil[0] > -20000 && civil[0] < 20000 && civil[1] > -1000000 &&
		    civil[1] < 1000000 && civil[2] > -10000000 && civil[2] < 10000000) {
			usec = aq_time_from_civil(civil[0], civil[1], civil[2]);
			aq_time_to_civil(usec, &y, &m, &d);
			FUZZ_CHECK(aq_time_from_civil(y, m, d) == usec);
		}
	}
	return 0;
}
