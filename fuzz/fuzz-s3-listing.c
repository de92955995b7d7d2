/*
 * fuzz-s3-listing: the S3 ListObjectsV2 parser (lib/archive.c:
 * aqi_s3_parse_listing, expat) and the gzip inflater (aqi_gunzip),
 * internal.  The input is parsed as a listing, and inflated (when short:
 * the inflater's 512 MB bound is not the harness's to reach) and the
 * result parsed too.  Each object handed over has a NUL-terminated UTF-8
 * key and ETag; its key goes through aq_archive_key_day(); the first byte
 * of the input says after how many objects the callback stops the parse.
 */
#include "fuzz.h"
#include "aq-int.h"

static unsigned long stop_after, seen;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int
on_object(void *arg, const struct aq_archive_object *o)
{
	int64_t loc;
	int y, m, d, rc;

	(void)arg;
	FUZZ_CHECK(o->key != NULL && o->etag != NULL && o->last_modified != NULL);
	FUZZ_CHECK(o->key[0] != '\0' && o->error == NULL && o->size >= -1);
	FUZZ_CHECK(aq_utf8_valid(o->key, strlen(o->key)) == strlen(o->key));
	FUZZ_CHECK(aq_utf8_valid(o->etag, strlen(o->etag)) == strlen(o->etag));
	rc = aq_archive_key_day(o->key, &loc, &y, &m, &d);
	FUZZ_CHECK(rc == AQ_OK || rc == AQ_EINVAL || rc == AQ_ERANGE);
	if (rc == AQ_OK)
		FUZZ_CHECK(loc >= 1 && y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= 31);
	FUZZ_CHECK(aq_archive_key_day(o->key, NULL, NULL, NULL, NULL) == rc);
	return ++seen == stop_after;
}

static void
listing(const char *xml, size_t len)
{
	struct aq_buf token = {0};
	char why[256];
	int truncated = -1, rc;

	seen = 0;
	why[0] = '\0';
	rc = aqi_s3_parse_listing(xml, len, on_object, NULL, &truncated, &token, why,
	    sizeof why);
	FUZZ_CHECK(rc == AQ_OK || rc == AQ_EPROTO || rc == AQ_ECANCELED);
	if (rc == AQ_OK) {
		FUZZ_CHECK(truncated == 0 || truncated == 1);
		FUZZ_CHECK(!truncated || token.len > 0);
	} else if (rc == AQ_EPROTO)
		FUZZ_CHECK(why[0] != '\0' && strlen(why) < sizeof why);
	else
		FUZZ_CHECK(stop_after > 0 && seen == stop_after);
	aq_buf_free(&token);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aq_buf out = {0};
	char why[256];
	char *copy;
	int rc;

	stop_after = size > 0 ? data[0] % 8 : 0;	/* 0: never */
	FUZZ_CHECK((copy = malloc(size ? size : 1)) != NULL);
	memcpy(copy, data, size);
	listing(copy, size);
	if (size <= 64 * 1024) {
		why[0] = '\0';
		rc = aqi_gunzip(copy, size, &out, why, sizeof why);
		FUZZ_CHECK(rc == AQ_OK || rc == AQ_EPROTO);
		if (rc == AQ_OK) {
			FUZZ_CHECK(out.len == 0 || out.data[out.len] == '\0');
			if (size < 2 || data[0] != 0x1f || data[1] != 0x8b)
				FUZZ_CHECK(out.len == size && memcmp(out.data, data, size) == 0);
			listing(out.data ? out.data : "", out.len);
		} else
			FUZZ_CHECK(why[0] != '\0');
	}
	aq_buf_free(&out);
	free(copy);
	return 0;
}
