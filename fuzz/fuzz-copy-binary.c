/*
 * fuzz-copy-binary: the COPY binary encoder and its decoder to text
 * (lib/copy-binary.c: aqi_copy_binary, aqi_copy_binary_to_text),
 * internal.  Each member of each record of the input is encoded as a
 * column of every type the encoder knows.  A field it writes is a 32-bit
 * length and that many bytes (-1: null); decoded to text and read back as
 * the server's text of a column default (field_text), it gives the very
 * same bytes, so that what binary sends is what the text format would
 * have made the server store.  A value the encoder leaves to text
 * (AQI_ETEXT), or refuses for a NUL (AQ_EDATA), writes nothing.  Every
 * string of the input also goes through field_text and back the same way.
 */
#include "fuzz.h"
#include "load-int.h"

static const unsigned long oids[] = {
	16, 20, 21, 23, 25, 114, 700, 701, 1043, 1082, 1184, 1700, 3802
};
#define NOIDS (sizeof oids / sizeof oids[0])

static struct aq_reader *in;
static char err[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t k;

	(void)argc;
	(void)argv;
	FUZZ_CHECK((in = aq_reader_new()) != NULL);
	aq_reader_set_errbuf(in, err, sizeof err);
	for (k = 0; k < NOIDS; k++)
		FUZZ_CHECK(aqi_copy_binary_knows(oids[k]));
	FUZZ_CHECK(!aqi_copy_binary_knows(0) && !aqi_copy_binary_knows(2950));
	return 0;
}

/* COPY text's escapes undone (the decoder writes text escaped). */
static void
unescape(const char *s, size_t n, struct aq_buf *out)
{
	size_t i;
	char c;

	aq_buf_reset(out);
	FUZZ_CHECK(aq_buf_reserve(out, n + 1) == AQ_OK);
	for (i = 0; i < n; i++) {
		c = s[i];
		FUZZ_CHECK(c != '\t' && c != '\n' && c != '\r');
		if (c == '\\') {
			FUZZ_CHECK(++i < n);
			switch (s[i]) {
			case '\\': c = '\\'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			default: FUZZ_CHECK(!"a backslash sequence COPY text has not");
			}
		}
		out->data[out->len++] = c;
	}
	out->data[out->len] = '\0';
}

/* field[0..n) (length word included) of column c, as written: decoded
 * to text and encoded from that text again, the same bytes. */
static void
round_trip(const struct aqi_column *c, const char *field, size_t n)
{
	struct aq_buf t = {0}, u = {0}, again = {0};
	uint32_t len;
	int rc;

	FUZZ_CHECK(n >= 4);
	len = (uint32_t)(unsigned char)field[0] << 24 | (uint32_t)(unsigned char)field[1] << 16 |
	    (uint32_t)(unsigned char)field[2] << 8 | (uint32_t)(unsigned char)field[3];
	if (len == 0xffffffffu) {
		FUZZ_CHECK(n == 4);
		return;
	}
	FUZZ_CHECK(len == n - 4);
	rc = aqi_copy_binary_to_text(&t, c->oid, field + 4, n - 4);
	if (rc != AQ_OK)
		fprintf(stderr, "oid %lu: %zu bytes do not decode (%d)\n", c->oid, n - 4, rc);
	FUZZ_CHECK(rc == AQ_OK);
	unescape(t.data ? t.data : "", t.len, &u);
	rc = aqi_copy_binary.field_text(&again, c, u.data, u.len);
	if (rc != AQ_OK || again.len != n || memcmp(again.data, field, n) != 0)
		fprintf(stderr, "oid %lu: '%s' does not encode back (rc %d, %zu bytes for %zu)\n",
		    c->oid, u.data, rc, again.len, n);
	FUZZ_CHECK(rc == AQ_OK && again.len == n && memcmp(again.data, field, n) == 0);
	aq_buf_free(&t);
	aq_buf_free(&u);
	aq_buf_free(&again);
}

static void
value(const struct aq_value *v)
{
	struct aqi_column c;
	struct aq_buf b = {0};
	const char *s;
	size_t k, n;
	int rc;

	for (k = 0; k < NOIDS; k++) {
		memset(&c, 0, sizeof c);
		c.oid = oids[k];
		c.type = aqi_coltype_of(oids[k]);
		aq_buf_reset(&b);
		FUZZ_CHECK(aq_buf_append(&b, "pre", 3) == AQ_OK);
		rc = aqi_copy_binary.field(&b, 0, &c, v);
		FUZZ_CHECK(rc == AQ_OK || rc == AQI_ETEXT || rc == AQ_EDATA);
		FUZZ_CHECK((rc == AQ_EDATA) == aqi_value_has_nul(v));
		if (rc != AQ_OK) {
			FUZZ_CHECK(b.len == 3);
			continue;
		}
		round_trip(&c, b.data + 3, b.len - 3);
		/* a string as the server's text of a default, too */
		if (aq_value_type(v) == AQ_STRING) {
			s = aq_value_string(v, &n);
			aq_buf_reset(&b);
			rc = aqi_copy_binary.field_text(&b, &c, s, n);
			FUZZ_CHECK(rc == AQ_OK || rc == AQI_ETEXT);
			if (rc == AQ_OK)
				round_trip(&c, b.data, b.len);
		}
	}
	aq_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct aq_value *rec, *m;
	struct aq_buf row = {0}, staged = {0};
	size_t nf;
	int rc;

	FUZZ_CHECK(aq_reader_open(in, fuzz_fd(0, data, size), "in") == AQ_OK);
	while ((rc = aq_reader_next(in, &rec)) == AQ_OK || rc == AQ_EJSON) {
		if (rc != AQ_OK)
			continue;
		for (m = aq_value_first(rec); m != NULL; m = aq_value_next(m))
			value(m);
		/* a row's frame: the field count, then aq_ord after it */
		nf = aq_value_count(rec);
		aq_buf_reset(&row);
		rc = aqi_copy_binary.row_begin(&row, nf);
		FUZZ_CHECK(rc == AQ_OK || (rc == AQI_ETEXT && nf >= INT16_MAX - 1));
		if (rc == AQ_OK) {
			FUZZ_CHECK(aqi_copy_binary.row_end(&row) == AQ_OK);
			aq_buf_reset(&staged);
			FUZZ_CHECK(aqi_copy_binary.row_with_ord(&staged, row.data, row.len, 7) == AQ_OK);
			FUZZ_CHECK(staged.len == row.len + 8);
			FUZZ_CHECK(((unsigned char)staged.data[0] << 8 | (unsigned char)staged.data[1]) ==
			    (int)nf + 1);
		}
	}
	FUZZ_CHECK(rc == AQ_EOF);
	aq_buf_free(&row);
	aq_buf_free(&staged);
	return 0;
}
