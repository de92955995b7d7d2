/*
 * archive.c: the OpenAQ archive on S3 (or any S3-compatible server).
 *
 * Listing is S3 ListObjectsV2, paged by continuation token and parsed with
 * expat.  Objects are fetched up to "jobs" at once over one curl multi
 * handle (connections are reused), decompressed with zlib when their
 * first bytes are the gzip magic (a server may or may not have sent
 * Content-Encoding, and we never ask for one), and handed to the caller
 * whole, in the order they were added: a truncated, corrupt or failed
 * object is fetched again, never handed over in part.  No key or
 * credential is ever sent: the archive is public.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <expat.h>
#include <zlib.h>

#include "aq-int.h"
#include "http-int.h"

#define MAX_JOBS 64
#define MAX_OBJECT (64u << 20)	/* compressed; a location-day is a few KB */
#define MAX_PLAIN (512u << 20)	/* decompressed */
#define MAX_LISTING (16u << 20)

enum { ST_QUEUED, ST_WAIT, ST_FLIGHT, ST_DONE, ST_FAILED };

struct item {
	char *key, *etag, *last_modified;
	int64_t size;
	int state;
	unsigned attempts;
	double not_before;
	struct aq_buf data;	/* the body as it came, then decompressed */
	char why[160];		/* the last failure */
	int code;
};

struct xfer {
	struct item *it;	/* NULL: free */
	CURL *easy;
	struct aq_buf body;
	char url[4096];
	char cerr[CURL_ERROR_SIZE];
	int too_big;
};

struct aq_archive {
	struct aqi_errbuf err;
	char *root;		/* the bucket's root URL, no trailing slash */
	int path_style;		/* the root has a path: "?list-type" follows it */
	char *ua;
	unsigned jobs, retries, max_keys;
	double backoff, backoff_max, connect_timeout, timeout, stall;
	int insecure;
	void (*log)(void *, const char *);
	void *log_arg;
	int (*cancel)(void *);
	void *cancel_arg;
	CURLM *multi;
	CURL *lister;
	struct xfer *xfers;
	struct item *items;
	size_t nitems, capitems, delivered;
	uint64_t counts[AQ_ARCHIVE_COUNT_N];
	unsigned rng;
};


struct aq_archive *
aq_archive_new(void)
{
	struct aq_archive *a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(a);
		return NULL;
	}
	a->jobs = 16;
	a->retries = 6;
	a->backoff = 0.5;
	a->backoff_max = 30;
	a->connect_timeout = 10;
	a->timeout = 120;
	a->stall = 30;
	a->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)a;
	if (aq_archive_set_url(a, AQ_ARCHIVE_URL) != AQ_OK ||
	    (a->ua = strdup("libopenaq/" PACKAGE_VERSION)) == NULL) {
		aq_archive_free(a);
		return NULL;
	}
	return a;
}

static void
free_items(struct aq_archive *a)
{
	size_t i;

	for (i = 0; i < a->nitems; i++) {
		free(a->items[i].key);
		free(a->items[i].etag);
		free(a->items[i].last_modified);
		aq_buf_free(&a->items[i].data);
	}
	a->nitems = a->delivered = 0;
}

void
aq_archive_free(struct aq_archive *a)
{
	unsigned i;

	if (a == NULL)
		return;
	if (a->xfers != NULL) {
		for (i = 0; i < a->jobs; i++) {
			if (a->xfers[i].easy != NULL) {
				if (a->multi != NULL)
					curl_multi_remove_handle(a->multi, a->xfers[i].easy);
				curl_easy_cleanup(a->xfers[i].easy);
			}
			aq_buf_free(&a->xfers[i].body);
		}
		free(a->xfers);
	}
	if (a->lister != NULL)
		curl_easy_cleanup(a->lister);
	if (a->multi != NULL)
		curl_multi_cleanup(a->multi);
	free_items(a);
	free(a->items);
	free(a->root);
	free(a->ua);
	free(a);
	curl_global_cleanup();
}

void
aq_archive_set_errbuf(struct aq_archive *a, char *buf, size_t size)
{
	aqi_errbuf_set(&a->err, buf, size);
}

int
aq_archive_set_url(struct aq_archive *a, const char *url)
{
	const char *h;
	char *r;
	size_t n;

	if (a == NULL || url == NULL)
		return AQ_EINVAL;
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return aqi_fail(&a->err, AQ_EINVAL, "%s: not an http:// or https:// URL", url);
	if (strpbrk(url, "?# \t\r\n") != NULL)
		return aqi_fail(&a->err, AQ_EINVAL, "%s: the archive URL takes no query", url);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((r = strndup(url, n)) == NULL)
		return AQ_ENOMEM;
	free(a->root);
	a->root = r;
	h = strstr(r, "://") + 3;
	a->path_style = strchr(h, '/') != NULL;
	return AQ_OK;
}

const char *
aq_archive_url(const struct aq_archive *a)
{
	return a->root;
}

int
aq_archive_set_jobs(struct aq_archive *a, unsigned n)
{
	if (n < 1 || n > MAX_JOBS)
		return aqi_fail(&a->err, AQ_EINVAL, "jobs: %u is not from 1 to %d", n, MAX_JOBS);
	if (a->xfers != NULL)
		return aqi_fail(&a->err, AQ_EINVAL, "jobs: set before the first run");
	a->jobs = n;
	return AQ_OK;
}

int
aq_archive_set_max_keys(struct aq_archive *a, unsigned n)
{
	if (n > 1000)
		return aqi_fail(&a->err, AQ_EINVAL, "max-keys: %u is more than 1000", n);
	a->max_keys = n;
	return AQ_OK;
}

int
aq_archive_set_retries(struct aq_archive *a, unsigned n)
{
	if (n > 100)
		return aqi_fail(&a->err, AQ_EINVAL, "retries: %u is more than 100", n);
	a->retries = n;
	return AQ_OK;
}

int
aq_archive_set_backoff(struct aq_archive *a, double first, double max)
{
	if (!(first >= 0) || !(max >= first) || max > 3600)
		return aqi_fail(&a->err, AQ_EINVAL, "backoff: %g to %g s is not a range", first, max);
	a->backoff = first;
	a->backoff_max = max;
	return AQ_OK;
}

int
aq_archive_set_timeout(struct aq_archive *a, double connect, double total, double stall)
{
	if (!(connect > 0) || !(total > 0) || !(stall > 0) || total > 86400)
		return aqi_fail(&a->err, AQ_EINVAL, "timeout: must be more than 0");
	a->connect_timeout = connect;
	a->timeout = total;
	a->stall = stall;
	return AQ_OK;
}

int
aq_archive_set_insecure(struct aq_archive *a, int insecure)
{
	a->insecure = insecure != 0;
	return AQ_OK;
}

int
aq_archive_set_user_agent(struct aq_archive *a, const char *ua)
{
	char *s;

	if (ua == NULL || (s = strdup(ua)) == NULL)
		return ua == NULL ? AQ_EINVAL : AQ_ENOMEM;
	free(a->ua);
	a->ua = s;
	return AQ_OK;
}

void
aq_archive_set_log(struct aq_archive *a, void (*fn)(void *arg, const char *line), void *arg)
{
	a->log = fn;
	a->log_arg = arg;
}

void
aq_archive_set_cancel(struct aq_archive *a, int (*fn)(void *arg), void *arg)
{
	a->cancel = fn;
	a->cancel_arg = arg;
}

uint64_t
aq_archive_count(const struct aq_archive *a, int counter)
{
	if (counter < 0 || counter >= AQ_ARCHIVE_COUNT_N)
		return 0;
	return a->counts[counter];
}

/* ---- keys ---- */

size_t
aq_archive_prefix(int64_t location, int year, char *buf, size_t size)
{
	int n;

	if (location < 1 || year < 1 || year > 9999)
		return 0;
	n = snprintf(buf, size, "records/csv.gz/locationid=%lld/year=%04d/", (long long)location,
	    year);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

int
aq_archive_key_day(const char *key, int64_t *location, int *year, int *month, int *day)
{
	const char *b = strrchr(key, '/'), *p;
	long long id = 0;
	int ymd = 0, i;

	b = b ? b + 1 : key;
	if (strncmp(b, "location-", 9) != 0)
		return AQ_EINVAL;
	for (p = b + 9; *p >= '0' && *p <= '9' && id < INT64_MAX / 10; p++)
		id = id * 10 + (*p - '0');
	if (p == b + 9 || *p++ != '-' || id < 1)
		return AQ_EINVAL;
	for (i = 0; i < 8; i++, p++) {
		if (*p < '0' || *p > '9')
			return AQ_EINVAL;
		ymd = ymd * 10 + (*p - '0');
	}
	if (strncmp(p, ".csv", 4) != 0)
		return AQ_EINVAL;
	if (ymd / 10000 < 1 || ymd / 100 % 100 < 1 || ymd / 100 % 100 > 12 || ymd % 100 < 1 ||
	    ymd % 100 > 31)
		return AQ_ERANGE;
	if (location)
		*location = id;
	if (year)
		*year = ymd / 10000;
	if (month)
		*month = ymd / 100 % 100;
	if (day)
		*day = ymd % 100;
	return AQ_OK;
}

/* ---- gzip ---- */

int
aqi_gunzip(const char *in, size_t len, struct aq_buf *out, char *why, size_t whysize)
{
	z_stream z;
	int zr = Z_OK;
	size_t off = 0;

	aq_buf_reset(out);
	if (len < 2 || (unsigned char)in[0] != 0x1f || (unsigned char)in[1] != 0x8b) {
		/* not gzip: the server decoded it, or it is stored plain */
		return aq_buf_append(out, in, len);
	}
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		snprintf(why, whysize, "zlib: cannot start");
		return AQ_ENOMEM;
	}
	/* members one after another (gzip a b > ab.gz) are one file */
	while (off < len) {
		z.next_in = (Bytef *)(uintptr_t)(in + off);
		z.avail_in = (uInt)(len - off > UINT32_MAX ? UINT32_MAX : len - off);
		do {
			if (aq_buf_reserve(out, 65536) != AQ_OK) {
				inflateEnd(&z);
				return AQ_ENOMEM;
			}
			z.next_out = (Bytef *)out->data + out->len;
			z.avail_out = (uInt)(out->cap - out->len - 1);
			zr = inflate(&z, Z_NO_FLUSH);
			out->len = out->cap - 1 - z.avail_out;
			out->data[out->len] = '\0';
			if (out->len > MAX_PLAIN) {
				inflateEnd(&z);
				snprintf(why, whysize, "more than %u MB once decompressed",
				    MAX_PLAIN >> 20);
				return AQ_EPROTO;
			}
		} while (zr == Z_OK && z.avail_in > 0);
		off = (size_t)((const char *)z.next_in - in);
		if (zr == Z_STREAM_END) {
			if (off < len && (len - off < 2 || (unsigned char)in[off] != 0x1f ||
			    (unsigned char)in[off + 1] != 0x8b))
				break;	/* trailing bytes that are not gzip */
			if (off < len)
				inflateReset(&z);
			continue;
		}
		if (zr == Z_OK || zr == Z_BUF_ERROR) {
			inflateEnd(&z);
			snprintf(why, whysize, "the gzip data ends early (truncated)");
			return AQ_EPROTO;
		}
		inflateEnd(&z);
		snprintf(why, whysize, "corrupt gzip data: %s", z.msg ? z.msg : "inflate failed");
		return AQ_EPROTO;
	}
	inflateEnd(&z);
	return AQ_OK;
}

/* ---- the listing ---- */

enum { X_NONE, X_KEY, X_ETAG, X_SIZE, X_MODIFIED, X_TRUNCATED, X_TOKEN, X_CODE, X_MESSAGE };

struct listing {
	XML_Parser xp;
	int depth;
	int in_contents, in_error, field;
	struct aq_buf text;
	struct aq_buf key, etag, modified;
	int64_t size;
	int truncated, is_error, nomem;
	struct aq_buf token, code, message;
	int (*fn)(void *, const struct aq_archive_object *);
	void *arg;
	int stop;		/* what fn returned, when non-zero */
	unsigned long objects;
};

static int
local_is(const char *name, const char *want)
{
	/* an element name may carry the namespace when the parser splits
	 * them; we do not, so the name is as written, maybe prefixed */
	const char *c = strrchr(name, ':');

	return strcmp(c ? c + 1 : name, want) == 0;
}

static void XMLCALL
x_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct listing *l = ud;

	(void)attrs;
	l->depth++;
	l->field = X_NONE;
	aq_buf_reset(&l->text);
	if (l->depth == 1) {
		l->is_error = local_is(name, "Error");
		return;
	}
	if (l->depth == 2 && local_is(name, "Contents")) {
		l->in_contents = 1;
		aq_buf_reset(&l->key);
		aq_buf_reset(&l->etag);
		aq_buf_reset(&l->modified);
		l->size = -1;
		return;
	}
	if (l->depth == 3 && l->in_contents) {
		if (local_is(name, "Key"))
			l->field = X_KEY;
		else if (local_is(name, "ETag"))
			l->field = X_ETAG;
		else if (local_is(name, "Size"))
			l->field = X_SIZE;
		else if (local_is(name, "LastModified"))
			l->field = X_MODIFIED;
	} else if (l->depth == 2) {
		if (local_is(name, "IsTruncated"))
			l->field = X_TRUNCATED;
		else if (local_is(name, "NextContinuationToken"))
			l->field = X_TOKEN;
		else if (l->is_error && local_is(name, "Code"))
			l->field = X_CODE;
		else if (l->is_error && local_is(name, "Message"))
			l->field = X_MESSAGE;
	}
}

static void XMLCALL
x_text(void *ud, const XML_Char *s, int len)
{
	struct listing *l = ud;

	if (l->field != X_NONE && aq_buf_append(&l->text, s, (size_t)len) != AQ_OK)
		l->nomem = 1;
}

static int
copy_text(struct listing *l, struct aq_buf *to)
{
	aq_buf_reset(to);
	if (aq_buf_append(to, l->text.data ? l->text.data : "", l->text.len) != AQ_OK) {
		l->nomem = 1;
		return -1;
	}
	return 0;
}

static void XMLCALL
x_end(void *ud, const XML_Char *name)
{
	struct listing *l = ud;
	const char *t = l->text.data ? l->text.data : "";

	switch (l->field) {
	case X_KEY:
		copy_text(l, &l->key);
		break;
	case X_ETAG:
		copy_text(l, &l->etag);
		break;
	case X_MODIFIED:
		copy_text(l, &l->modified);
		break;
	case X_SIZE: {
		char *end;
		long long v = strtoll(t, &end, 10);

		l->size = end != t && *end == '\0' && v >= 0 ? v : -1;
		break;
	}
	case X_TRUNCATED:
		l->truncated = strcmp(t, "true") == 0;
		break;
	case X_TOKEN:
		copy_text(l, &l->token);
		break;
	case X_CODE:
		copy_text(l, &l->code);
		break;
	case X_MESSAGE:
		copy_text(l, &l->message);
		break;
	}
	l->field = X_NONE;
	if (l->depth == 2 && l->in_contents && local_is(name, "Contents")) {
		struct aq_archive_object o;

		l->in_contents = 0;
		if (l->key.len > 0 && l->stop == 0 && !l->nomem) {
			o.key = l->key.data;
			o.etag = l->etag.data ? l->etag.data : "";
			o.size = l->size;
			o.last_modified = l->modified.data ? l->modified.data : "";
			o.error = NULL;
			l->objects++;
			if ((l->stop = l->fn(l->arg, &o)) != 0)
				XML_StopParser(l->xp, XML_FALSE);
		}
	}
	l->depth--;
}

static void
listing_free(struct listing *l)
{
	aq_buf_free(&l->text);
	aq_buf_free(&l->key);
	aq_buf_free(&l->etag);
	aq_buf_free(&l->modified);
	aq_buf_free(&l->token);
	aq_buf_free(&l->code);
	aq_buf_free(&l->message);
}

/*
 * Parse one ListObjectsV2 answer (or an S3 <Error>), calling fn for each
 * object in it.  AQ_OK with *truncated and the continuation token in
 * token, AQ_EPROTO for XML that is not a listing (why says so), or fn's
 * non-zero value as AQ_ECANCELED.
 */
int
aqi_s3_parse_listing(const char *xml, size_t len,
    int (*fn)(void *, const struct aq_archive_object *), void *arg, int *truncated,
    struct aq_buf *token, char *why, size_t whysize)
{
	struct listing l;
	enum XML_Status st;
	int rc = AQ_OK;

	memset(&l, 0, sizeof l);
	l.fn = fn;
	l.arg = arg;
	if ((l.xp = XML_ParserCreate("UTF-8")) == NULL)
		return AQ_ENOMEM;
	XML_SetUserData(l.xp, &l);
	XML_SetElementHandler(l.xp, x_start, x_end);
	XML_SetCharacterDataHandler(l.xp, x_text);
	st = XML_Parse(l.xp, xml, (int)(len > INT32_MAX ? INT32_MAX : len), XML_TRUE);
	if (l.nomem)
		rc = AQ_ENOMEM;
	else if (l.stop != 0)
		rc = AQ_ECANCELED;
	else if (st != XML_STATUS_OK) {
		snprintf(why, whysize, "the listing is not XML: %s at line %lu",
		    XML_ErrorString(XML_GetErrorCode(l.xp)),
		    (unsigned long)XML_GetCurrentLineNumber(l.xp));
		rc = AQ_EPROTO;
	} else if (l.is_error) {
		snprintf(why, whysize, "%s: %s", l.code.data ? l.code.data : "Error",
		    l.message.data ? l.message.data : "");
		rc = AQ_EPROTO;
	} else {
		*truncated = l.truncated;
		aq_buf_reset(token);
		if (l.token.len > 0 && aq_buf_append(token, l.token.data, l.token.len) != AQ_OK)
			rc = AQ_ENOMEM;
		if (l.truncated && l.token.len == 0) {
			snprintf(why, whysize, "the listing is truncated but names no continuation "
			    "token");
			rc = AQ_EPROTO;
		}
	}
	XML_ParserFree(l.xp);
	listing_free(&l);
	return rc;
}

/* ---- HTTP ---- */

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;

	n *= size;
	if (x->body.len + n > (x->it ? MAX_OBJECT : MAX_LISTING)) {
		x->too_big = 1;
		return 0;
	}
	if (aq_buf_append(&x->body, p, n) != AQ_OK)
		return 0;
	return n;
}

static int
on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct aq_archive *ar = ud;

	(void)a, (void)b, (void)c, (void)d;
	return ar->cancel != NULL && ar->cancel(ar->cancel_arg) != 0;
}

static void
setup(struct aq_archive *a, CURL *e, struct xfer *x)
{
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_USERAGENT, a->ua);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->cerr);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(a->connect_timeout * 1000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(a->timeout * 1000));
	/* a server that stops sending: under 1 byte/s for the stall time */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)(a->stall + 0.5));
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, a->insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, a->insecure ? 0L : 2L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, a);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
}

static double
backoff(struct aq_archive *a, unsigned n)
{
	return aqi_backoff(&a->rng, a->backoff, a->backoff_max, n);
}

/* What a finished transfer was: AQ_OK, or a code with *retry and why. */
static int
outcome(CURLcode cc, long status, const struct xfer *x, int *retry, char *why, size_t n)
{
	*retry = 0;
	if (cc != CURLE_OK) {
		if (cc == CURLE_ABORTED_BY_CALLBACK) {
			snprintf(why, n, "stopped");
			return AQ_ECANCELED;
		}
		if (x->too_big) {
			snprintf(why, n, "more than %u MB", (x->it ? MAX_OBJECT : MAX_LISTING) >> 20);
			return AQ_EPROTO;
		}
		snprintf(why, n, "%s", x->cerr[0] ? x->cerr : curl_easy_strerror(cc));
		*retry = cc != CURLE_URL_MALFORMAT && cc != CURLE_UNSUPPORTED_PROTOCOL &&
		    cc != CURLE_OUT_OF_MEMORY;
		return cc == CURLE_OPERATION_TIMEDOUT ? AQ_ETIMEOUT : AQ_ETRANSPORT;
	}
	if (status == 200)
		return AQ_OK;
	snprintf(why, n, "HTTP %ld", status);
	if (x->body.len > 0 && x->body.len < 4096) {
		/* <Error><Code>SlowDown</Code>...: name the code */
		const char *c = strstr(x->body.data, "<Code>"), *e;

		/* S3's codes are words (SlowDown, NoSuchKey): anything else is
		 * not shown, so that no server text reaches a terminal raw */
		if (c != NULL && (e = strstr(c, "</Code>")) != NULL && e - c - 6 < 64 &&
		    e - c > 6 && strspn(c + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
		    (size_t)(e - c - 6))
			snprintf(why + strlen(why), n - strlen(why), " %.*s", (int)(e - c - 6),
			    c + 6);
	}
	if (status == 429 || status >= 500) {
		*retry = 1;
		return AQ_ESERVER;
	}
	if (status == 403 || status == 404)
		return AQ_ENOTFOUND;
	return AQ_EHTTP;
}

/* One GET of url into x->body, retried; blocking (but cancellable). */
static int
get_retried(struct aq_archive *a, const char *url, struct xfer *x, const char *what)
{
	unsigned attempt;
	char why[256];
	int rc = AQ_OK, retry;

	if (a->lister == NULL && (a->lister = curl_easy_init()) == NULL)
		return aqi_fail(&a->err, AQ_ENOMEM, "cannot start libcurl");
	for (attempt = 0;; attempt++) {
		CURLcode cc;
		long status = 0;

		curl_easy_reset(a->lister);
		aq_buf_reset(&x->body);
		x->too_big = 0;
		x->cerr[0] = '\0';
		setup(a, a->lister, x);
		curl_easy_setopt(a->lister, CURLOPT_URL, url);
		a->counts[AQ_ARCHIVE_COUNT_REQUESTS]++;
		cc = curl_easy_perform(a->lister);
		curl_easy_getinfo(a->lister, CURLINFO_RESPONSE_CODE, &status);
		if ((rc = outcome(cc, status, x, &retry, why, sizeof why)) == AQ_OK)
			return AQ_OK;
		if (!retry || attempt >= a->retries)
			break;
		a->counts[AQ_ARCHIVE_COUNT_RETRIES]++;
		{
			double d = backoff(a, attempt + 1), end = aqi_mono() + d;

			aqi_logf(a->log, a->log_arg, "%s: %s; again in %.1f s", what, why, d);
			while (aqi_mono() < end) {
				struct timespec ts = {0, 50000000};

				if (a->cancel != NULL && a->cancel(a->cancel_arg) != 0)
					return aqi_fail(&a->err, AQ_ECANCELED, "%s: stopped", what);
				nanosleep(&ts, NULL);
			}
		}
	}
	return aqi_fail(&a->err, rc, "%s: %s%s", what, why,
	    retry ? " (retries spent)" : "");
}

/*
 * What a listing may hold.  A location's year has at most 366 day files,
 * one page of S3's 1000 keys: a listing past these bounds is not the
 * archive's, and a server whose every page is truncated would otherwise
 * be listed without end.
 */
#define MAX_LISTED_KEYS 100000
#define MAX_LISTING_PAGES 1000

/* Each listed object, checked before the caller sees it. */
struct listed {
	int (*fn)(void *arg, const struct aq_archive_object *o);
	void *arg;
	const char *prefix;
	size_t prefix_len;
	unsigned long keys;
	struct aq_buf last;	/* the key before: S3 lists in ascending order */
	int outside;		/* 1: a key not under the prefix, 2: too many
				 * keys, 3: not ascending; stopped */
};

static int
on_listed_key(void *arg, const struct aq_archive_object *o)
{
	struct listed *l = arg;

	/* S3 lists only keys under the prefix; another key would be an
	 * object nobody asked for (another location's rows) */
	if (strncmp(o->key, l->prefix, l->prefix_len) != 0) {
		l->outside = 1;
		return 1;
	}
	if (++l->keys > MAX_LISTED_KEYS) {
		l->outside = 2;
		return 1;
	}
	/* a key listed twice would be fetched and written twice */
	if (l->last.len > 0 && strcmp(o->key, l->last.data) <= 0) {
		l->outside = 3;
		return 1;
	}
	aq_buf_reset(&l->last);
	if (aq_buf_puts(&l->last, o->key) != AQ_OK) {
		l->outside = 4;
		return 1;
	}
	return l->fn(l->arg, o);
}

int
aq_archive_list(struct aq_archive *a, const char *prefix,
    int (*fn)(void *arg, const struct aq_archive_object *o), void *arg)
{
	struct xfer x;
	struct aq_buf url = {0}, token = {0}, prev = {0};
	struct listed ld = {fn, arg, prefix, 0, 0, {0}, 0};
	char why[256];
	int rc, truncated = 0, pages = 0;

	if (a == NULL || prefix == NULL || fn == NULL)
		return AQ_EINVAL;
	ld.prefix_len = strlen(prefix);
	memset(&x, 0, sizeof x);
	do {
		if (pages >= MAX_LISTING_PAGES) {
			rc = aqi_fail(&a->err, AQ_EPROTO, "listing %s: still truncated after %d "
			    "pages", prefix, pages);
			break;
		}
		aq_buf_reset(&url);
		rc = aq_buf_puts(&url, a->root);
		if (rc == AQ_OK)
			rc = aq_buf_puts(&url, a->path_style ? "?list-type=2&prefix=" :
			    "/?list-type=2&prefix=");
		if (rc == AQ_OK)
			rc = aqi_url_encode(&url, prefix, "");
		if (rc == AQ_OK && a->max_keys > 0)
			rc = aq_buf_printf(&url, "&max-keys=%u", a->max_keys);
		if (rc == AQ_OK && token.len > 0) {
			rc = aq_buf_puts(&url, "&continuation-token=");
			if (rc == AQ_OK)
				rc = aqi_url_encode(&url, token.data, "");
		}
		if (rc != AQ_OK)
			break;
		if ((rc = get_retried(a, url.data, &x, prefix)) != AQ_OK)
			break;
		pages++;
		a->counts[AQ_ARCHIVE_COUNT_LISTINGS]++;
		aq_buf_reset(&prev);
		if (token.len > 0 && aq_buf_append(&prev, token.data, token.len) != AQ_OK) {
			rc = aqi_fail(&a->err, AQ_ENOMEM, "listing %s: out of memory", prefix);
			break;
		}
		rc = aqi_s3_parse_listing(x.body.data ? x.body.data : "", x.body.len,
		    on_listed_key, &ld, &truncated, &token, why, sizeof why);
		if (rc == AQ_ECANCELED && ld.outside) {
			if (ld.outside == 1)
				rc = aqi_fail(&a->err, AQ_EPROTO, "listing %s (page %d): a key "
				    "that is not under the prefix", prefix, pages);
			else if (ld.outside == 2)
				rc = aqi_fail(&a->err, AQ_EPROTO, "listing %s (page %d): more "
				    "than %d keys", prefix, pages, MAX_LISTED_KEYS);
			else if (ld.outside == 3)
				rc = aqi_fail(&a->err, AQ_EPROTO, "listing %s (page %d): a key "
				    "not after the one before it (listed twice, or out of order)",
				    prefix, pages);
			else
				rc = aqi_fail(&a->err, AQ_ENOMEM, "listing %s: out of memory",
				    prefix);
			break;
		}
		if (rc == AQ_ECANCELED)
			break;
		if (rc == AQ_OK && truncated && prev.len == token.len &&
		    (token.len == 0 || memcmp(prev.data, token.data, token.len) == 0)) {
			rc = aqi_fail(&a->err, AQ_EPROTO, "listing %s (page %d): the same "
			    "continuation token again", prefix, pages);
			break;
		}
		if (rc != AQ_OK) {
			rc = aqi_fail(&a->err, rc, "listing %s (page %d): %s", prefix, pages,
			    rc == AQ_ENOMEM ? "out of memory" : why);
			break;
		}
	} while (truncated);
	aq_buf_free(&url);
	aq_buf_free(&token);
	aq_buf_free(&prev);
	aq_buf_free(&ld.last);
	aq_buf_free(&x.body);
	return rc;
}

/* ---- objects ---- */

int
aq_archive_add(struct aq_archive *a, const struct aq_archive_object *o)
{
	struct item *it;

	if (a == NULL || o == NULL || o->key == NULL || *o->key == '\0')
		return AQ_EINVAL;
	if (a->nitems == a->capitems) {
		size_t cap = a->capitems ? a->capitems * 2 : 256;
		struct item *n = realloc(a->items, cap * sizeof *n);

		if (n == NULL)
			return AQ_ENOMEM;
		a->items = n;
		a->capitems = cap;
	}
	it = &a->items[a->nitems];
	memset(it, 0, sizeof *it);
	it->key = strdup(o->key);
	it->etag = strdup(o->etag ? o->etag : "");
	it->last_modified = strdup(o->last_modified ? o->last_modified : "");
	it->size = o->size;
	if (it->key == NULL || it->etag == NULL || it->last_modified == NULL) {
		free(it->key);
		free(it->etag);
		free(it->last_modified);
		return AQ_ENOMEM;
	}
	a->nitems++;
	return AQ_OK;
}

size_t
aq_archive_pending(const struct aq_archive *a)
{
	return a->nitems - a->delivered;
}

static int
start(struct aq_archive *a, struct xfer *x, struct item *it)
{
	struct aq_buf u = {0};
	int rc;

	if (x->easy == NULL && (x->easy = curl_easy_init()) == NULL)
		return AQ_ENOMEM;
	rc = aq_buf_puts(&u, a->root);
	if (rc == AQ_OK)
		rc = aq_buf_puts(&u, "/");
	if (rc == AQ_OK)
		rc = aqi_url_encode(&u, it->key, "/=");
	if (rc == AQ_OK && u.len >= sizeof x->url)
		rc = AQ_EINVAL;
	if (rc != AQ_OK) {
		aq_buf_free(&u);
		return rc;
	}
	memcpy(x->url, u.data, u.len + 1);
	aq_buf_free(&u);
	curl_easy_reset(x->easy);
	aq_buf_reset(&x->body);
	x->too_big = 0;
	x->cerr[0] = '\0';
	x->it = it;
	setup(a, x->easy, x);
	curl_easy_setopt(x->easy, CURLOPT_URL, x->url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(a->multi, x->easy) != CURLM_OK)
		return AQ_ENOMEM;
	it->state = ST_FLIGHT;
	a->counts[AQ_ARCHIVE_COUNT_REQUESTS]++;
	return AQ_OK;
}

/* A transfer ended: the object is done, waits to be tried again, or failed. */
static int
finish(struct aq_archive *a, struct xfer *x, CURLcode cc)
{
	struct item *it = x->it;
	long status = 0;
	int rc, retry;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(a->multi, x->easy);
	rc = outcome(cc, status, x, &retry, it->why, sizeof it->why);	/* x->it: its cap */
	x->it = NULL;
	if (rc == AQ_ECANCELED)
		return rc;
	if (rc == AQ_OK && it->size >= 0 && (int64_t)x->body.len != it->size) {
		snprintf(it->why, sizeof it->why, "%zu bytes where the listing says %lld (truncated)",
		    x->body.len, (long long)it->size);
		rc = AQ_EPROTO;
		retry = 1;
	}
	if (rc == AQ_OK) {
		a->counts[AQ_ARCHIVE_COUNT_BYTES] += x->body.len;
		rc = aqi_gunzip(x->body.data ? x->body.data : "", x->body.len, &it->data, it->why,
		    sizeof it->why);
		if (rc == AQ_EPROTO)
			retry = 1;	/* corrupt on the way: another copy may be whole */
		else if (rc == AQ_ENOMEM)
			return aqi_fail(&a->err, rc, "%s: out of memory", it->key);
	}
	if (rc == AQ_OK) {
		it->state = ST_DONE;
		return AQ_OK;
	}
	aq_buf_free(&it->data);
	it->code = rc;
	if (retry && it->attempts < a->retries) {
		double d = backoff(a, ++it->attempts);

		a->counts[AQ_ARCHIVE_COUNT_RETRIES]++;
		it->state = ST_WAIT;
		it->not_before = aqi_mono() + d;
		aqi_logf(a->log, a->log_arg, "%s: %s; again in %.1f s", it->key, it->why, d);
		return AQ_OK;
	}
	it->state = ST_FAILED;
	a->counts[AQ_ARCHIVE_COUNT_FAILED]++;
	aqi_logf(a->log, a->log_arg, "%s: %s%s", it->key, it->why, retry ? " (retries spent)" : "");
	return AQ_OK;
}

int
aq_archive_run(struct aq_archive *a,
    int (*fn)(void *arg, const struct aq_archive_object *o, const char *data, size_t len),
    void *arg)
{
	size_t i, failed = 0;
	unsigned j, inflight = 0;
	int rc = AQ_OK, first_code = AQ_OK;
	char *first_key = NULL, *first_why = NULL;

	if (a == NULL || fn == NULL)
		return AQ_EINVAL;
	if (a->multi == NULL && (a->multi = curl_multi_init()) == NULL)
		return aqi_fail(&a->err, AQ_ENOMEM, "cannot start libcurl");
	if (a->xfers == NULL && (a->xfers = calloc(a->jobs, sizeof *a->xfers)) == NULL)
		return aqi_fail(&a->err, AQ_ENOMEM, "out of memory");
	curl_multi_setopt(a->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)a->jobs);
	while (a->delivered < a->nitems) {
		double now = aqi_mono(), wait = 1.0;
		int running = 0, ended;
		CURLMsg *m;

		if (a->cancel != NULL && a->cancel(a->cancel_arg) != 0) {
			rc = aqi_fail(&a->err, AQ_ECANCELED, "stopped");
			break;
		}
		/* hand over, in order, what is whole */
		while (a->delivered < a->nitems) {
			struct item *it = &a->items[a->delivered];
			struct aq_archive_object o = {it->key, it->etag, it->size,
				it->last_modified, NULL};

			if (it->state == ST_DONE) {
				a->counts[AQ_ARCHIVE_COUNT_OBJECTS]++;
				rc = fn(arg, &o, it->data.data ? it->data.data : "", it->data.len);
				aq_buf_free(&it->data);
				if (rc != 0) {
					rc = aqi_fail(&a->err, AQ_ECANCELED, "stopped by the caller");
					goto out;
				}
			} else if (it->state == ST_FAILED) {
				if (failed++ == 0) {
					first_code = it->code;
					first_key = it->key;
					first_why = it->why;
				}
				o.error = it->why;
				if (fn(arg, &o, NULL, 0) != 0) {
					rc = aqi_fail(&a->err, AQ_ECANCELED, "stopped by the caller");
					goto out;
				}
			} else
				break;
			a->delivered++;
		}
		if (a->delivered == a->nitems)
			break;
		/* start what may go: at most jobs in flight, and no object further
		 * than 4 x jobs ahead of the next to hand over (bounded memory) */
		for (j = 0; j < a->jobs && inflight < a->jobs; j++) {
			if (a->xfers[j].it != NULL)
				continue;
			for (i = a->delivered; i < a->nitems && i < a->delivered + 4 * a->jobs; i++) {
				struct item *it = &a->items[i];

				if (it->state == ST_WAIT && it->not_before > now && it->not_before - now < wait)
					wait = it->not_before - now;
				if (it->state == ST_QUEUED || (it->state == ST_WAIT && it->not_before <= now))
					break;
			}
			if (i >= a->nitems || i >= a->delivered + 4 * a->jobs)
				break;
			if ((rc = start(a, &a->xfers[j], &a->items[i])) != AQ_OK) {
				rc = aqi_fail(&a->err, rc, "%s: cannot start the transfer", a->items[i].key);
				goto out;
			}
			inflight++;
		}
		if (inflight > 0)
			wait = wait > 0.2 ? 0.2 : wait;
		curl_multi_perform(a->multi, &running);
		ended = 0;
		while ((m = curl_multi_info_read(a->multi, &running)) != NULL) {
			struct xfer *x;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			inflight--;
			ended++;
			if ((rc = finish(a, x, m->data.result)) != AQ_OK) {
				if (rc == AQ_ECANCELED)
					rc = aqi_fail(&a->err, rc, "stopped");
				goto out;
			}
		}
		/* a transfer ended: hand it over and start the next at once,
		 * not after the poll's timeout */
		if (ended == 0 && (inflight > 0 || wait > 0))
			curl_multi_poll(a->multi, NULL, 0, (int)(wait * 1000) + 1, NULL);
	}
out:
	/* whatever is still in flight is dropped */
	for (j = 0; a->xfers != NULL && j < a->jobs; j++)
		if (a->xfers[j].it != NULL) {
			curl_multi_remove_handle(a->multi, a->xfers[j].easy);
			a->xfers[j].it = NULL;
		}
	if (rc == AQ_OK && failed > 0)
		rc = aqi_fail(&a->err, first_code, "%zu object%s could not be fetched; the first: "
		    "%s: %s", failed, failed == 1 ? "" : "s", first_key, first_why);
	free_items(a);
	return rc;
}
