/*
 * 0820-http-query: base URL, path and NAME=VALUE parameters to the request
 * URL (lib/http-query.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-int.h"
#include "tap.h"

static char err[512];
static struct aqi_errbuf eb = {err, sizeof err};

/* The query of params, or "ERR: detail"; *lim and *pg as it leaves them. */
static char qs[4096];
static unsigned lim;
static long pg;
static int flim, fpg;

static const char *
query(const char *const *params)
{
	struct aq_buf q = {0};
	int rc;

	lim = 1000, pg = 1, flim = fpg = 0;
	err[0] = '\0';
	rc = aqi_http_query(&eb, params, &q, &lim, &flim, &pg, &fpg);
	if (rc != AQ_OK)
		snprintf(qs, sizeof qs, "ERR %d: %s", rc, err);
	else
		snprintf(qs, sizeof qs, "%s", q.data != NULL ? q.data : "(null)");
	aq_buf_free(&q);
	return qs;
}

#define Q(...) query((const char *const[]){__VA_ARGS__, NULL})

/* The path of a walk, "/" + rel, or "ERR: detail". */
static char ps[512];

static const char *
path(const char *base_path, const char *p)
{
	const char *rel;

	err[0] = '\0';
	if (aqi_http_path(&eb, base_path, p, &rel) != AQ_OK)
		snprintf(ps, sizeof ps, "ERR: %s", err);
	else
		snprintf(ps, sizeof ps, "/%s", rel);
	return ps;
}

/* The base trimmed, then its path part: "base|path". */
static char bs[512];

static const char *
base(const char *url)
{
	char b[256];
	const char *p;

	snprintf(b, sizeof b, "%s", url);
	p = aqi_http_base(b);
	ok(*p == '\0' ||
		(p >= b && p <= b + strlen(b) && strcmp(b + strlen(b) - strlen(p), p) == 0),
	    "the path part of %s is empty or its end", url);
	snprintf(bs, sizeof bs, "%s|%s", b, p);
	return bs;
}

static char us[9000];

static const char *
url(const struct aqi_http_request *r)
{
	if (aqi_http_url(r, us, sizeof us) != AQ_OK)
		snprintf(us, sizeof us, "ERR");
	return us;
}

int
main(void)
{
	char longv[9000], want[9100];
	struct aqi_http_request r;
	size_t i;

	/* base URLs */
	is_str(
	    base("https://api.openaq.org/v3"), "https://api.openaq.org/v3|/v3", "a base with /v3");
	is_str(base("https://api.openaq.org/v3/"), "https://api.openaq.org/v3|/v3",
	    "a trailing slash is dropped");
	is_str(base("https://api.openaq.org/v3///"), "https://api.openaq.org/v3|/v3",
	    "so are several");
	is_str(base("http://127.0.0.1:8080"), "http://127.0.0.1:8080|", "a bare host: no path");
	is_str(base("http://127.0.0.1:8080/"), "http://127.0.0.1:8080|", "a bare host and a slash");
	is_str(base("http://h/proxy/openaq/v3/"), "http://h/proxy/openaq/v3|/proxy/openaq/v3",
	    "a base with a longer path");
	is_str(base("https:///"), "https://|", "never into the scheme");

	/* the /v3 rule */
	is_str(path("/v3", "/v3/locations"), "/locations", "/v3/x on a /v3 base");
	is_str(path("/v3", "v3/locations"), "/locations", "v3/x on a /v3 base");
	is_str(path("/v3", "/locations"), "/locations", "/x on a /v3 base");
	is_str(path("/v3", "locations"), "/locations", "x on a /v3 base");
	is_str(path("/v3", "//v3//locations/2"), "/locations/2", "extra slashes");
	is_str(path("/v3", "/v3"), "/", "/v3 alone");
	is_str(path("/v3", "/v3x/locations"), "/v3x/locations", "v3x is not v3");
	is_str(path("/v3", "/v3/v3/locations"), "/v3/locations", "only one v3 is taken off");
	is_str(path("", "/v3/locations"), "/v3/locations", "a base without a path keeps /v3");
	is_str(path("/proxy/v3", "/v3/locations"), "/v3/locations",
	    "a base whose path only ends in /v3 keeps it");
	is_str(path("/v3", "/locations?limit=5"),
	    "ERR: 'locations?limit=5': give query parameters as NAME=VALUE", "a query is refused");
	is_str(path("/v3", "v3/locations#x"),
	    "ERR: 'locations#x': give query parameters as NAME=VALUE", "a fragment is refused");
	is_str(path("/v3", "/locations/../x"),
	    "ERR: 'locations/../x': give query parameters as NAME=VALUE", "'..' is refused");

	/* parameter names */
	is_int(aqi_http_check_param(&eb, "countries_id"), AQ_OK, "countries_id is snake_case");
	is_int(aqi_http_check_param(&eb, "a1_b2"), AQ_OK, "digits after the first letter");
	{
		static const char *bad[] = {
		    "countriesId", "Countries", "_x", "1x", "x-y", "x.y", "", "x y", "\xc3\xa9"};

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
			is_int(aqi_http_check_param(&eb, bad[i]), AQ_EINVAL, "'%s' is refused",
			    bad[i]);
	}
	aqi_http_check_param(&eb, "countriesId");
	is_str(err,
	    "'countriesId': the API's parameter names are snake_case, and it silently "
	    "ignores any other name",
	    "camelCase: why");
	aqi_http_check_param(&eb, "Iso");
	is_str(err, "'Iso': a parameter name starts with a lower-case letter", "capital: why");
	aqi_http_check_param(&eb, NULL);
	is_str(err, "'': a parameter name starts with a lower-case letter", "NULL: why");

	/* queries */
	is_str(query(NULL), "", "no params: an empty query, not NULL");
	is_str(query((const char *const[]){NULL}), "", "an empty list: an empty query");
	is_str(Q("iso=LU"), "iso=LU", "one parameter");
	is_str(Q("iso=LU", "parameters_id=2"), "iso=LU&parameters_id=2", "two, joined with &");
	is_str(Q("x="), "x=", "an empty value");
	is_str(Q("countries_id=1,2,3"), "countries_id=1,2,3", "commas stay");
	is_str(Q("q=a+b&c=d"), "q=a%2Bb%26c%3Dd", "+ & = in a value are encoded");
	is_str(Q("q=a b/c?d#e%f"), "q=a%20b%2Fc%3Fd%23e%25f", "space / ? # %% are encoded");
	is_str(Q("q=-._~AZaz09"), "q=-._~AZaz09", "unreserved characters stay");
	is_str(Q("q=!*'();:@$[]\"<>\\^`{|}"),
	    "q=%21%2A%27%28%29%3B%3A%40%24%5B%5D%22%3C%3E%5C%5E%60%7B%7C%7D",
	    "every other reserved or unsafe character is encoded");
	is_str(
	    Q("q=\xc2\xb5g/m\xc2\xb3"), "q=%C2%B5g%2Fm%C2%B3", "UTF-8 byte by byte, in capitals");
	is_str(Q("q=\xff\x01\x7f\n"), "q=%FF%01%7F%0A", "invalid UTF-8 and control bytes too");
	is_str(Q("q=a=b"), "q=a%3Db", "the first = splits name from value");
	is_str(Q("coordinates=49.6,6.1", "radius=1000"), "coordinates=49.6,6.1&radius=1000",
	    "coordinates");
	is_str(Q("bbox=-1.5,40.0,2.5,45.0"), "bbox=-1.5,40.0,2.5,45.0", "a bbox with a minus");

	/* limit and page are taken out */
	is_str(Q("iso=LU", "limit=5", "page=3", "x=1"), "iso=LU&x=1", "limit and page left out");
	ok(lim == 5 && flim == 1 && pg == 3 && fpg == 1, "and set (%u %d %ld %d)", lim, flim, pg,
	    fpg);
	is_str(Q("iso=LU"), "iso=LU", "without limit and page");
	ok(lim == 1000 && flim == 0 && pg == 1 && fpg == 0, "the defaults stay (%u %d %ld %d)", lim,
	    flim, pg, fpg);
	is_str(Q("limit=1000"), "", "limit=1000");
	is_str(Q("limit=1"), "", "limit=1");
	ok(lim == 1, "limit 1");
	is_str(Q("limit=0"), "ERR 3: limit must be 1 to 1000", "limit=0");
	is_str(Q("limit=1001"), "ERR 3: limit must be 1 to 1000", "limit=1001");
	is_str(Q("limit=5x"), "ERR 3: limit must be 1 to 1000", "limit=5x");
	is_str(Q("limit="), "ERR 3: limit must be 1 to 1000", "limit=");
	is_str(Q("page=0"), "ERR 3: page must be 1 or more", "page=0");
	is_str(Q("page=-2"), "ERR 3: page must be 1 or more", "page=-2");
	is_str(Q("page=abc"), "ERR 3: page must be 1 or more", "page=abc");
	is_str(Q("page=99999"), "", "a large page");
	ok(pg == 99999, "page 99999");

	/* malformed */
	is_str(Q("iso"), "ERR 3: 'iso': a parameter is NAME=VALUE", "no =");
	is_str(Q("=LU"), "ERR 3: '=LU': a parameter is NAME=VALUE", "no name");
	is_str(Q("isoCode=LU"),
	    "ERR 3: 'isoCode': the API's parameter names are snake_case, and it silently ignores "
	    "any other name",
	    "a camelCase name");
	is_str(Q("iso=LU", "Limit=5"),
	    "ERR 3: 'Limit': a parameter name starts with a lower-case letter",
	    "a bad second name");
	memset(longv, 'n', 128);
	strcpy(longv + 128, "=1");
	snprintf(want, sizeof want, "ERR 3: '%s': a parameter is NAME=VALUE", longv);
	is_str(Q(longv), want, "a 128-byte name is refused");
	memset(longv, 'n', 127);
	strcpy(longv + 127, "=1");
	is_str(Q(longv), longv, "a 127-byte name is fine");

	/* URLs */
	r = (struct aqi_http_request){.base = "https://api.openaq.org/v3",
	    .path = "/locations",
	    .query = "",
	    .limit = 1000,
	    .page = 1};
	is_str(url(&r), "https://api.openaq.org/v3/locations?limit=1000&page=1", "no fixed query");
	r.query = "iso=LU";
	r.page = 2;
	is_str(url(&r), "https://api.openaq.org/v3/locations?iso=LU&limit=1000&page=2",
	    "a fixed query");
	r.base = "http://127.0.0.1:8080";
	r.path = "/v3/locations";
	is_str(url(&r), "http://127.0.0.1:8080/v3/locations?iso=LU&limit=1000&page=2",
	    "a base without a path");
	r.base = "http://h/proxy/v3";
	r.path = "/sensors/7/hours";
	r.query = "";
	r.family = AQ_WINDOW_DATETIME;
	r.from = INT64_C(1704067200000000); /* 2024-01-01T00:00:00Z */
	r.to = INT64_C(1706745600999999);   /* 2024-02-01T00:00:00.999999Z */
	r.limit = 500;
	r.page = 1;
	is_str(url(&r),
	    "http://h/proxy/v3/sensors/7/hours?datetime_from=2024-01-01T00:00:00Z&"
	    "datetime_to=2024-02-01T00:00:00Z&limit=500&page=1",
	    "a datetime window, to the second, in UTC with Z");
	r.family = AQ_WINDOW_DATE;
	r.query = "a=1";
	is_str(url(&r),
	    "http://h/proxy/v3/sensors/7/hours?a=1&date_from=2024-01-01&date_to=2024-02-01&"
	    "limit=500&page=1",
	    "a date window after the fixed query");
	r.family = AQ_WINDOW_DATETIME;
	r.from = INT64_C(-1000000);
	r.to = INT64_C(1000000);
	is_str(url(&r),
	    "http://h/proxy/v3/sensors/7/hours?a=1&datetime_from=1969-12-31T23:59:59Z&"
	    "datetime_to=1970-01-01T00:00:01Z&limit=500&page=1",
	    "instants around the epoch");
	r.from = INT64_C(-100000000000000000);
	is_str(strstr(url(&r), "datetime_from="),
	    "datetime_from=0001-01-01T00:00:00Z&"
	    "datetime_to=1970-01-01T00:00:01Z&limit=500&page=1",
	    "an instant before year 1 is written as 0001-01-01");

	/* too long */
	r = (struct aqi_http_request){
	    .base = "http://h", .path = "/x", .query = longv, .limit = 1, .page = 1};
	memset(longv, 'q', sizeof longv);
	i = 8192 - strlen("http://h/x?&limit=1&page=1") - 1;
	longv[i] = '\0';
	is_int(aqi_http_url(&r, us, 8192), AQ_OK, "a URL of 8191 bytes fits in 8192");
	is_int(strlen(us), 8191, "and is whole");
	longv[i] = 'q';
	longv[i + 1] = '\0';
	is_int(aqi_http_url(&r, us, 8192), AQ_EINVAL, "one of 8192 does not");
	r.family = AQ_WINDOW_DATE;
	r.to = 86400000000;
	longv[8000] = '\0';
	is_int(aqi_http_url(&r, us, 8192), AQ_OK, "8 kB with a window fits");
	longv[8000] = 'q';
	longv[8150] = '\0';
	is_int(aqi_http_url(&r, us, 8192), AQ_EINVAL, "with a window past the end does not");
	is_int(aqi_http_url(&r, us, 10), AQ_EINVAL, "a tiny buffer");

	return done_testing();
}
