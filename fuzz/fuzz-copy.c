/*
 * fuzz-copy: the COPY text encoder (lib/copy-text.c, struct
 * aqi_copy_enc, internal).  Each record of the input is one row, each of
 * its members a field, encoded as a column of every type.  The row must
 * be one line of tab-separated fields whose only backslash sequences are
 * COPY's (\\ \n \r \t \N); unescaped, a text column's string is its bytes
 * and a json column's text reads back as the same value.  A value
 * holding a NUL is refused (AQ_EDATA) before anything is written.  The
 * input's bytes also go through aqi_copy_text_escape() and back.
 */
#include "fuzz.h"
#include "load-int.h"

static struct aq_reader *in, *back;
static char err1[512], err2[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK((in = aq_reader_new()) != NULL);
	FUZZ_CHECK((back = aq_reader_new()) != NULL);
	aq_reader_set_errbuf(in, err1, sizeof err1);
	aq_reader_set_errbuf(back, err2, sizeof err2);
	return 0;
}

/* COPY text's escapes undone into out; 0 if s holds another backslash
 * sequence, a raw tab or line end, or a lone backslash.  \N is null. */
static int
unescape(const char *s, size_t n, struct aq_buf *out, int *null)
{
	const char *p = s, *end = s + n;
	char *o;

	aq_buf_reset(out);
	*null = n == 2 && s[0] == '\\' && s[1] == 'N';
	FUZZ_CHECK(aq_buf_reserve(out, n + 1) == AQ_OK);
	o = out->data;
	if (*null) {
		*o = '\0';
		return 1;
	}
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		size_t run = (size_t)((bs ? bs : end) - p);

		if (memchr(p, '\t', run) || memchr(p, '\n', run) || memchr(p, '\r', run))
			return 0;
		memcpy(o, p, run);
		o += run;
		p += run;
		if (bs == NULL)
			break;
		if (++p == end)
			return 0;
		switch (*p++) {
		case '\\': *o++ = '\\'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		default: return 0;
		}
	}
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return 1;
}

static int
has_nul(const struct aq_value *v)
{
	const struct aq_value *c;
	const char *s;
	size_t n;

	if (aq_value_type(v) == AQ_STRING) {
		s = aq_value_string(v, &n);
		return memchr(s, '\0', n) != NULL;
	}
	for (c = aq_value_first(v); c != NULL; c = aq_value_next(c)) {
		if (aq_value_type(v) == AQ_OBJECT && (s = aq_value_key(c, &n)) != NULL &&
		    memchr(s, '\0', n) != NULL)
			return 1;
		if (has_nul(c))
			return 1;
	}
	return 0;
}

/* A field's unescaped text as column type ct says v is. */
static void
check_field(const struct aq_value *v, int ct, const char *text, size_t len)
{
	const struct aq_value *rec;
	struct aq_buf u = {0}, line = {0};
	int null, rc;
	const char *s;
	size_t n;
	int64_t i;

	FUZZ_CHECK(unescape(text, len, &u, &null));
	switch (aq_value_type(v)) {
	case AQ_NULL:
		FUZZ_CHECK(null);
		break;
	case AQ_TRUE:
	case AQ_FALSE:
		FUZZ_CHECK(!null);
		if (ct == AQI_CT_BOOL)
			FUZZ_CHECK(strcmp(u.data, aq_value_type(v) == AQ_TRUE ? "t" : "f") == 0);
		else
			FUZZ_CHECK(strcmp(u.data, aq_value_type(v) == AQ_TRUE ? "true" : "false") ==
			    0);
		break;
	case AQ_NUMBER:
		FUZZ_CHECK(!null);
		s = aq_value_string(v, &n);
		if (ct == AQI_CT_INT && strpbrk(s, ".eE") != NULL && aq_value_int64(v, &i) == AQ_OK) {
			char num[24];

			snprintf(num, sizeof num, "%lld", (long long)i);
			FUZZ_CHECK(strcmp(u.data, num) == 0);
		} else
			FUZZ_CHECK(u.len == n && memcmp(u.data, s, n) == 0);
		break;
	case AQ_STRING:
		FUZZ_CHECK(!null);
		if (ct != AQI_CT_JSON) {
			s = aq_value_string(v, &n);
			FUZZ_CHECK(u.len == n && memcmp(u.data, s, n) == 0);
			break;
		}
		/* FALLTHROUGH: a string in a json column is JSON text */
	default:
		/* JSON text of the value: reads back as the same value (the
		 * text is the same in every column type: read once) */
		FUZZ_CHECK(!null);
		if (ct != AQI_CT_JSON)
			break;
		/* in memory, as the client parses bodies: no file per field */
		FUZZ_CHECK(aq_buf_printf(&line, "{\"v\":%s}", u.data) == AQ_OK);
		{
			struct aqi_builder bld;
			yajl_handle y;

			memset(&bld, 0, sizeof bld);
			bld.arena.chunk_size = 4096;
			FUZZ_CHECK((y = yajl_alloc(&aqi_builder_callbacks, NULL, &bld)) != NULL);
			rc = yajl_parse(y, (const unsigned char *)line.data, line.len);
			if (rc == yajl_status_ok)
				rc = yajl_complete_parse(y);
			if (rc != yajl_status_ok)
				fprintf(stderr, "json field does not read back: %s\n", line.data);
			FUZZ_CHECK(rc == yajl_status_ok && bld.depth == 0);
			rec = bld.root;
			FUZZ_CHECK(fuzz_value_equal(v, aq_value_get(rec, "v")));
			yajl_free(y);
			aqi_builder_free(&bld);
		}
		break;
	}
	aq_buf_free(&u);
	aq_buf_free(&line);
}

static void
row(const struct aq_value *rec, int ct)
{
	struct aq_buf b = {0}, staged = {0};
	const struct aq_value *m;
	struct aqi_column c;
	size_t i = 0, start, nf = aq_value_count(rec);
	int rc;

	memset(&c, 0, sizeof c);
	c.type = ct;
	FUZZ_CHECK(aqi_copy_text.row_begin(&b, nf) == AQ_OK);
	for (m = aq_value_first(rec); m != NULL; m = aq_value_next(m), i++) {
		start = b.len;
		rc = aqi_copy_text.field(&b, i, &c, m);
		FUZZ_CHECK(rc == AQ_OK || rc == AQ_EDATA);
		FUZZ_CHECK((rc == AQ_EDATA) == has_nul(m));
		FUZZ_CHECK((rc == AQ_EDATA) == aqi_value_has_nul(m));
		if (rc == AQ_EDATA) {
			/* nothing written */
			FUZZ_CHECK(b.len == start);
			/* a null in its place, as a default would be */
			FUZZ_CHECK(aqi_copy_text.field_raw(&b, i, NULL, 0) == AQ_OK);
			continue;
		}
		if (i > 0) {
			FUZZ_CHECK(b.data[start] == '\t');
			start++;
		}
		check_field(m, ct, b.data + start, b.len - start);
	}
	/* a string as a column default: encoded once, written raw */
	{
		struct aq_buf def = {0};
		const char *s = aq_value_string(aq_value_first(rec), NULL);
		size_t n = 0;

		if (s != NULL && aq_value_type(aq_value_first(rec)) == AQ_STRING) {
			s = aq_value_string(aq_value_first(rec), &n);
			FUZZ_CHECK(aqi_copy_text.field_text(&def, &c, s, n) == AQ_OK);
			FUZZ_CHECK(def.data != NULL);
			start = b.len;
			FUZZ_CHECK(aqi_copy_text.field_raw(&b, i, def.data, def.len) == AQ_OK);
			FUZZ_CHECK(b.data[start] == '\t' || i == 0);
			i++;
		}
		aq_buf_free(&def);
	}
	FUZZ_CHECK(aqi_copy_text.row_end(&b) == AQ_OK);
	/* one line: its only newline ends it */
	FUZZ_CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
	FUZZ_CHECK(memchr(b.data, '\n', b.len - 1) == NULL);
	FUZZ_CHECK(memchr(b.data, '\r', b.len) == NULL);
	FUZZ_CHECK(aqi_copy_text.row_with_ord(&staged, b.data, b.len, i) == AQ_OK);
	FUZZ_CHECK(staged.len > b.len && memcmp(staged.data, b.data, b.len - 1) == 0);
	FUZZ_CHECK(staged.data[b.len - 1] == '\t' && staged.data[staged.len - 1] == '\n');
	FUZZ_CHECK(aqi_copy_text.row_with_ord(&staged, "x", 1, 0) == AQ_EINVAL);
	aq_buf_free(&b);
	aq_buf_free(&staged);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aq_buf b = {0}, u = {0};
	const struct aq_value *rec;
	unsigned long oid;
	int rc, ct, null;

	FUZZ_CHECK(aq_reader_open(in, fuzz_fd(0, data, size), "in") == AQ_OK);
	while ((rc = aq_reader_next(in, &rec)) == AQ_OK || rc == AQ_EJSON) {
		if (rc != AQ_OK)
			continue;
		for (ct = AQI_CT_TEXT; ct <= AQI_CT_JSON; ct++)
			row(rec, ct);
	}
	FUZZ_CHECK(rc == AQ_EOF);
	/* raw bytes: escaped, and back */
	FUZZ_CHECK(aqi_copy_text_escape(&b, (const char *)data, size) == AQ_OK);
	if (b.len != 2 || memcmp(b.data, "\\N", 2) != 0) {
		FUZZ_CHECK(unescape(b.data ? b.data : "", b.len, &u, &null));
		FUZZ_CHECK(!null && u.len == size && memcmp(u.data, data, size) == 0);
	}
	if (size >= sizeof oid) {
		memcpy(&oid, data, sizeof oid);
		ct = aqi_coltype_of(oid);
		FUZZ_CHECK(ct >= AQI_CT_TEXT && ct <= AQI_CT_JSON);
	}
	aq_buf_free(&b);
	aq_buf_free(&u);
	return 0;
}
