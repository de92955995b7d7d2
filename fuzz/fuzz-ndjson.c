/*
 * fuzz-ndjson: the NDJSON reader (lib/reader.c, lib/value.c), with and
 * without aq_reader_skip() paths.  Two readers read the same input in
 * step, one with the skip paths of aq-norm and a few more; they must
 * agree on every line (same status, line, column and raw text: a skipped
 * value is still checked), and the skipping reader's record must be the
 * other's less exactly the members the paths name.  Every value of the
 * full tree then goes through the accessors.
 */
#include "fuzz.h"

/* aq-norm's, and more shapes: a top-level member, paths through arrays
 * (transparent), a path under a skipped one, a long path */
static const char *const skips[] = {
	"summary", "period.interval", "period.datetimeFrom", "parameter.displayName",
	"coverage.expectedInterval", "coverage.observedInterval",
	"coverage.percentComplete", "coverage.percentCoverage", "coverage.datetimeFrom",
	"coverage.datetimeTo", "sensors.parameter", "a", "a.b", "b.c.d.e", NULL
};
#define NSKIPS (sizeof skips / sizeof skips[0] - 1)

static struct aq_reader *plain, *skipping;
static char err1[512], err2[512];

/* The components of each skip path, split once. */
static struct {
	char comp[8][32];
	size_t n;
} rule[NSKIPS];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	FUZZ_CHECK((plain = aq_reader_new()) != NULL);
	FUZZ_CHECK((skipping = aq_reader_new()) != NULL);
	aq_reader_set_errbuf(plain, err1, sizeof err1);
	aq_reader_set_errbuf(skipping, err2, sizeof err2);
	for (i = 0; i < NSKIPS; i++) {
		const char *p = skips[i], *dot;

		FUZZ_CHECK(aq_reader_skip(skipping, skips[i]) == AQ_OK);
		for (;;) {
			dot = strchr(p, '.');
			snprintf(rule[i].comp[rule[i].n++], 32, "%.*s",
			    (int)(dot ? (size_t)(dot - p) : strlen(p)), p);
			if (dot == NULL)
				break;
			p = dot + 1;
		}
	}
	/* the empty component is refused */
	FUZZ_CHECK(aq_reader_skip(plain, "a..b") == AQ_EINVAL);
	return 0;
}

/*
 * Is b the value a less the members that the rules in mask (a bit per
 * rule whose first level components match the path so far) name at
 * object level `level`?  Arrays are transparent.
 */
static int
equal_skipped(const struct aq_value *a, const struct aq_value *b, unsigned mask, size_t level)
{
	const struct aq_value *x, *y;
	const char *k, *kb;
	size_t n, nb, i;

	if (mask == 0)
		return fuzz_value_equal(a, b);
	if (aq_value_type(a) != aq_value_type(b))
		return 0;
	if (aq_value_type(a) == AQ_ARRAY) {
		if (aq_value_count(a) != aq_value_count(b))
			return 0;
		for (x = aq_value_first(a), y = aq_value_first(b); x != NULL;
		    x = aq_value_next(x), y = aq_value_next(y))
			if (y == NULL || !equal_skipped(x, y, mask, level))
				return 0;
		return y == NULL;
	}
	if (aq_value_type(a) != AQ_OBJECT)
		return fuzz_value_equal(a, b);
	y = aq_value_first(b);
	for (x = aq_value_first(a); x != NULL; x = aq_value_next(x)) {
		unsigned next = 0;
		int skip = 0;

		k = aq_value_key(x, &n);
		for (i = 0; i < NSKIPS; i++)
			if ((mask & (1u << i)) && level < rule[i].n &&
			    strlen(rule[i].comp[level]) == n &&
			    memcmp(rule[i].comp[level], k, n) == 0) {
				next |= 1u << i;
				if (rule[i].n == level + 1)
					skip = 1;
			}
		if (skip)
			continue;
		if (y == NULL)
			return 0;
		kb = aq_value_key(y, &nb);
		if (nb != n || memcmp(k, kb, n) != 0 || !equal_skipped(x, y, next, level + 1))
			return 0;
		y = aq_value_next(y);
	}
	return y == NULL;
}

/* Every accessor on every value of v. */
static void
walk(const struct aq_value *v, const struct aq_value *root)
{
	const struct aq_value *c;
	const char *s;
	size_t n, count = 0;
	double d;
	int64_t i;
	int rc;

	switch (aq_value_type(v)) {
	case AQ_NUMBER:
		s = aq_value_string(v, &n);
		FUZZ_CHECK(s != NULL && s[n] == '\0' && n > 0);
		FUZZ_CHECK(aq_value_number(v, &d) == AQ_OK);
		rc = aq_value_int64(v, &i);
		FUZZ_CHECK(rc == AQ_OK || rc == AQ_ERANGE || rc == AQ_ETYPE);
		break;
	case AQ_STRING:
		s = aq_value_string(v, &n);
		FUZZ_CHECK(s != NULL && s[n] == '\0');
		FUZZ_CHECK(aq_utf8_valid(s, n) == n);
		FUZZ_CHECK(aq_value_number(v, &d) == AQ_ETYPE);
		break;
	case AQ_OBJECT:
	case AQ_ARRAY:
		for (c = aq_value_first(v); c != NULL; c = aq_value_next(c)) {
			/* lookups are linear: only the first members, or a wide
			 * object takes quadratic time */
			if (count++ < 64 && aq_value_type(v) == AQ_OBJECT) {
				s = aq_value_key(c, &n);
				FUZZ_CHECK(s != NULL && s[n] == '\0');
				FUZZ_CHECK(aq_utf8_valid(s, n) == n);
				/* a name without NUL finds a member of that name */
				if (memchr(s, '\0', n) == NULL)
					FUZZ_CHECK(aq_value_get(v, s) != NULL);
				/* and a one-component path from the root too */
				if (v == root && n > 0 && strspn(s, "0123456789") < n &&
				    memchr(s, '.', n) == NULL && memchr(s, '\0', n) == NULL)
					FUZZ_CHECK(aq_value_path(root, s) != NULL);
			} else if (aq_value_type(v) == AQ_ARRAY)
				FUZZ_CHECK(aq_value_key(c, NULL) == NULL);
			walk(c, root);
		}
		FUZZ_CHECK(count == aq_value_count(v));
		break;
	default:
		FUZZ_CHECK(aq_value_string(v, NULL) == NULL);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct aq_value *r1, *r2;
	const char *raw1, *raw2;
	size_t n1, n2;
	int rc1, rc2;

	FUZZ_CHECK(aq_reader_open(plain, fuzz_fd(0, data, size), "plain") == AQ_OK);
	FUZZ_CHECK(aq_reader_open(skipping, fuzz_fd(1, data, size), "plain") == AQ_OK);
	do {
		rc1 = aq_reader_next(plain, &r1);
		rc2 = aq_reader_next(skipping, &r2);
		FUZZ_CHECK(rc1 == rc2);
		FUZZ_CHECK(rc1 == AQ_OK || rc1 == AQ_EJSON || rc1 == AQ_EOF);
		FUZZ_CHECK(aq_reader_line(plain) == aq_reader_line(skipping));
		if (rc1 == AQ_EOF)
			break;
		raw1 = aq_reader_raw(plain, &n1);
		raw2 = aq_reader_raw(skipping, &n2);
		FUZZ_CHECK(n1 == n2 && memcmp(raw1, raw2, n1) == 0);
		if (rc1 == AQ_EJSON) {
			FUZZ_CHECK(aq_reader_column(plain) == aq_reader_column(skipping));
			FUZZ_CHECK(aq_reader_column(plain) >= 1 &&
			    aq_reader_column(plain) <= (long)n1 + 1);
			FUZZ_CHECK(strcmp(err1, err2) == 0);
			FUZZ_CHECK(strcmp(aq_reader_error(plain), aq_reader_error(skipping)) == 0);
			FUZZ_CHECK(aq_reader_error(plain)[0] != '\0');
			continue;
		}
		FUZZ_CHECK(aq_value_type(r1) == AQ_OBJECT);
		FUZZ_CHECK(aq_utf8_valid(raw1, n1) == n1);
		FUZZ_CHECK(equal_skipped(r1, r2, (1u << NSKIPS) - 1, 0));
		walk(r1, r1);
		walk(r2, r2);
	} while (1);
	return 0;
}
