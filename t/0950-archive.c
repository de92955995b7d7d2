/* 0950-archive: the pure parts of the archive client: S3 listings, gzip,
 * keys.  Built from lib/archive.c itself, since aqi_ names are not
 * exported. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "aq-int.h"
#include "tap.h"

static char got[4096];
static size_t gotlen;
static int stop_after = -1;

static int
collect(void *arg, const struct aq_archive_object *o)
{
	(void)arg;
	gotlen += (size_t)snprintf(got + gotlen, sizeof got - gotlen, "%s|%s|%lld|%s;", o->key,
	    o->etag, (long long)o->size, o->last_modified);
	return --stop_after == 0;
}

static int
parse(const char *xml, int *truncated, struct aq_buf *token, char *why)
{
	got[0] = '\0';
	gotlen = 0;
	*truncated = -1;
	return aqi_s3_parse_listing(xml, strlen(xml), collect, NULL, truncated, token, why, 256);
}

/* gzip of s, as one member */
static size_t
gz(const char *s, size_t n, unsigned char *out, size_t size)
{
	z_stream z;

	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)size;
	deflate(&z, Z_FINISH);
	n = size - z.avail_out;
	deflateEnd(&z);
	return n;
}

int
main(void)
{
	static const char page1[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>openaq-data-archive</Name><Prefix>records/</Prefix><KeyCount>2</KeyCount>"
	    "<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>1ueGcx+LPR/x1Tr=</NextContinuationToken>"
	    "<Contents><Key>records/csv.gz/locationid=2178/year=2022/month=05/"
	    "location-2178-20220503.csv.gz</Key>"
	    "<LastModified>2023-01-04T10:21:44.000Z</LastModified>"
	    "<ETag>&quot;6d1c&quot;</ETag><Size>4127</Size><StorageClass>STANDARD</StorageClass>"
	    "</Contents>"
	    "<Contents><Key>a&amp;b</Key><ETag>\"e2\"</ETag><Size>0</Size>"
	    "<LastModified>x</LastModified></Contents>"
	    "</ListBucketResult>";
	static const char last[] =
	    "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount>"
	    "</ListBucketResult>";
	static const char error[] =
	    "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
	    "<Message>Please reduce your request rate.</Message></Error>";
	static const char csv[] = "location_id,sensors_id\n2178,3919\n";
	struct aq_buf token = {0}, out = {0};
	unsigned char z[512], two[1024];
	char why[256];
	int truncated, y, m, d;
	int64_t loc;
	size_t n, n2;

	is_int(parse(page1, &truncated, &token, why), AQ_OK, "a listing page parses");
	is_str(got, "records/csv.gz/locationid=2178/year=2022/month=05/location-2178-20220503."
	    "csv.gz|\"6d1c\"|4127|2023-01-04T10:21:44.000Z;a&b|\"e2\"|0|x;",
	    "each object: key, ETag (quotes kept, XML unescaped), size, LastModified");
	ok(truncated == 1, "IsTruncated true");
	is_str(token.data, "1ueGcx+LPR/x1Tr=", "the continuation token, as sent");
	is_int(parse(last, &truncated, &token, why), AQ_OK, "the last page");
	ok(truncated == 0 && token.len == 0 && got[0] == '\0', "not truncated, no token, no object");
	is_int(parse(error, &truncated, &token, why), AQ_EPROTO, "an <Error> answer is no listing");
	is_str(why, "SlowDown: Please reduce your request rate.", "and says the code and message");
	is_int(parse("<ListBucketResult><Contents><Key>k", &truncated, &token, why), AQ_EPROTO,
	    "cut XML is an error");
	ok(strncmp(why, "the listing is not XML", 22) == 0, "saying so (%s)", why);
	is_int(parse("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
	    &truncated, &token, why), AQ_EPROTO, "truncated without a token is an error");
	stop_after = 1;
	is_int(parse(page1, &truncated, &token, why), AQ_ECANCELED, "the callback can stop it");
	ok(strchr(got, ';') == strrchr(got, ';'), "after one object");
	stop_after = -1;

	/* gzip by the magic bytes */
	n = gz(csv, sizeof csv - 1, z, sizeof z);
	is_int(aqi_gunzip((char *)z, n, &out, why, sizeof why), AQ_OK, "gzip inflates");
	is_str(out.data, csv, "to the CSV");
	is_int(aqi_gunzip(csv, sizeof csv - 1, &out, why, sizeof why), AQ_OK,
	    "no gzip magic: taken as it is");
	is_str(out.data, csv, "unchanged (a server that sent Content-Encoding and decoded)");
	memcpy(two, z, n);
	n2 = gz("more\n", 5, two + n, sizeof two - n);
	is_int(aqi_gunzip((char *)two, n + n2, &out, why, sizeof why), AQ_OK, "two members");
	is_str(out.data, "location_id,sensors_id\n2178,3919\nmore\n", "are one file (zcat a b)");
	is_int(aqi_gunzip((char *)z, n - 9, &out, why, sizeof why), AQ_EPROTO, "a truncated gzip");
	ok(strstr(why, "truncated") != NULL, "is said to be truncated (%s)", why);
	memcpy(two, z, n);
	two[n / 2] ^= 0x55;
	two[n / 2 + 1] ^= 0x55;
	is_int(aqi_gunzip((char *)two, n, &out, why, sizeof why), AQ_EPROTO, "corrupt gzip");
	is_int(aqi_gunzip("\x1f\x8b", 2, &out, why, sizeof why), AQ_EPROTO, "magic and nothing more");

	/* keys */
	{
		char p[96];

		is_int(aq_archive_prefix(2178, 2022, p, sizeof p),
		    strlen("records/csv.gz/locationid=2178/year=2022/"), "the prefix's length");
		is_str(p, "records/csv.gz/locationid=2178/year=2022/", "a location-year prefix");
		is_int(aq_archive_prefix(2178, 2022, p, 10), 0, "too small a buffer: 0");
		is_int(aq_archive_prefix(0, 2022, p, sizeof p), 0, "location 0: 0");
	}
	is_int(aq_archive_key_day("records/csv.gz/locationid=2178/year=2022/month=05/"
	    "location-2178-20220503.csv.gz", &loc, &y, &m, &d), AQ_OK, "a day's key");
	ok(loc == 2178 && y == 2022 && m == 5 && d == 3, "its location and day");
	is_int(aq_archive_key_day("records/csv.gz/locationid=2178/year=2022/month=05/", NULL, NULL,
	    NULL, NULL), AQ_EINVAL, "a folder is no day");
	is_int(aq_archive_key_day("loc-2178-20220503.csv.gz", NULL, NULL, NULL, NULL), AQ_EINVAL,
	    "nor the docs' loc- spelling, which no key has");
	is_int(aq_archive_key_day("location-2178-20221303.csv.gz", NULL, NULL, NULL, NULL),
	    AQ_ERANGE, "month 13");
	aq_buf_free(&token);
	aq_buf_free(&out);
	return done_testing();
}
