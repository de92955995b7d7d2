/*
 * copy-text.c: the COPY text format encoder.
 *
 * A row is its fields separated by tabs and ended by a newline; SQL null
 * is \N; backslash, newline, carriage return and tab are escaped with a
 * backslash, every other byte goes as it is (the connection is UTF8).
 * PostgreSQL cannot store a NUL character in text or json, so a value
 * holding one is refused (AQ_EDATA) before anything is written.
 * No libpq here: the unit tests need no server.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "load-int.h"

int
aqi_coltype_of(unsigned long oid)
{
	switch (oid) {
	case OID_INT2: case OID_INT4: case OID_INT8: return AQI_CT_INT;
	case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC: return AQI_CT_FLOAT;
	case OID_BOOL: return AQI_CT_BOOL;
	case OID_JSON: case OID_JSONB: return AQI_CT_JSON;
	default: return AQI_CT_TEXT;
	}
}

int
aqi_copy_text_escape(struct aq_buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	int rc = AQ_OK;

	/* most text has nothing to escape: one look per byte, one copy */
	for (i = 0; i < n; i++)
		if (s[i] == '\\' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			break;
	if (i == n)
		return aqi_buf_add(b, s, n);
	for (; i < n && rc == AQ_OK; i++) {
		const char *e;

		switch (s[i]) {
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default: continue;
		}
		if ((rc = aqi_buf_add(b, s + start, i - start)) == AQ_OK)
			rc = aqi_buf_add(b, e, 2);
		start = i + 1;
	}
	if (rc == AQ_OK)
		rc = aqi_buf_add(b, s + start, n - start);
	return rc;
}

int
aqi_value_has_nul(const struct aq_value *v)
{
	const struct aq_value *c;
	size_t n;
	const char *s;

	switch (aq_value_type(v)) {
	case AQ_STRING:
		s = aq_value_string(v, &n);
		return memchr(s, '\0', n) != NULL;
	case AQ_OBJECT:
		for (c = aq_value_first(v); c != NULL; c = aq_value_next(c)) {
			s = aq_value_key(c, &n);
			if (memchr(s, '\0', n) != NULL || aqi_value_has_nul(c))
				return 1;
		}
		return 0;
	case AQ_ARRAY:
		for (c = aq_value_first(v); c != NULL; c = aq_value_next(c))
			if (aqi_value_has_nul(c))
				return 1;
		return 0;
	default:
		return 0;
	}
}

/* v as compact JSON text, escaped. */
static int
put_json(struct aq_buf *b, const struct aq_value *v)
{
	struct aq_writer *w = aq_writer_new(NULL);
	const char *s;
	size_t n;
	int rc;

	if (w == NULL)
		return AQ_ENOMEM;
	if ((rc = aq_writer_value(w, v)) == AQ_OK && (rc = aq_writer_end_line(w)) == AQ_OK) {
		s = aq_writer_buffer(w, &n);
		rc = aqi_copy_text_escape(b, s, n - 1);	/* without the newline */
	}
	aq_writer_free(w);
	return rc;
}

/* One value as COPY text of a column of type coltype. */
static int
put_value(struct aq_buf *b, int coltype, const struct aq_value *v)
{
	const char *s;
	size_t n;
	int64_t i;
	char num[24];

	switch (aq_value_type(v)) {
	case AQ_NULL:
		return aqi_buf_add(b, "\\N", 2);
	case AQ_TRUE:
	case AQ_FALSE:
		if (coltype == AQI_CT_BOOL)
			return aqi_buf_add(b, aq_value_type(v) == AQ_TRUE ? "t" : "f", 1);
		s = aq_value_type(v) == AQ_TRUE ? "true" : "false";
		return aq_buf_puts(b, s);
	case AQ_NUMBER:
		s = aq_value_string(v, &n);
		/* 6.0 or 1e3 in an integer column: the integer they are */
		if (coltype == AQI_CT_INT && strpbrk(s, ".eE") != NULL &&
		    aq_value_int64(v, &i) == AQ_OK) {
			n = (size_t)snprintf(num, sizeof num, "%" PRId64, i);
			s = num;
		}
		return aqi_buf_add(b, s, n);
	case AQ_STRING:
		/* a string in a json column is a JSON string */
		if (coltype == AQI_CT_JSON)
			return put_json(b, v);
		s = aq_value_string(v, &n);
		return aqi_copy_text_escape(b, s, n);
	default:
		/* objects and arrays as compact JSON text */
		return put_json(b, v);
	}
}

static int
text_row_begin(struct aq_buf *b, size_t nfields)
{
	(void)b;
	(void)nfields;
	return AQ_OK;
}

static int
text_field(struct aq_buf *b, size_t i, const struct aqi_column *c, const struct aq_value *v)
{
	int rc;

	if (v != NULL && aqi_value_has_nul(v))
		return AQ_EDATA;
	if (i > 0 && (rc = aqi_buf_add(b, "\t", 1)) != AQ_OK)
		return rc;
	if (v == NULL)
		return aqi_buf_add(b, "\\N", 2);
	return put_value(b, c->type, v);
}

static int
text_field_raw(struct aq_buf *b, size_t i, const char *enc, size_t len)
{
	int rc;

	if (i > 0 && (rc = aqi_buf_add(b, "\t", 1)) != AQ_OK)
		return rc;
	if (enc == NULL)
		return aqi_buf_add(b, "\\N", 2);
	return aqi_buf_add(b, enc, len);
}

static int
text_field_text(struct aq_buf *out, const struct aqi_column *c, const char *s, size_t n)
{
	int rc;

	(void)c;
	if ((rc = aqi_copy_text_escape(out, s, n)) != AQ_OK)
		return rc;
	/* an empty string is not null: give it its buffer */
	return out->data == NULL ? aqi_buf_add(out, "", 0) : AQ_OK;
}

static int
text_row_end(struct aq_buf *b)
{
	return aqi_buf_add(b, "\n", 1);
}

static int
text_row_with_ord(struct aq_buf *b, const char *row, size_t len, size_t ord)
{
	int rc;

	if (len == 0 || row[len - 1] != '\n')
		return AQ_EINVAL;
	if ((rc = aqi_buf_add(b, row, len - 1)) != AQ_OK)
		return rc;
	return aq_buf_printf(b, "\t%zu\n", ord);
}

const struct aqi_copy_enc aqi_copy_text = {
	.name = "text",
	.row_begin = text_row_begin,
	.field = text_field,
	.field_raw = text_field_raw,
	.field_text = text_field_text,
	.row_end = text_row_end,
	.row_with_ord = text_row_with_ord,
};
