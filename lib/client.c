/*
 * client.c: the OpenAQ v3 API client.
 *
 * A walk is one paged query: page 1, 2, ... until a page holds fewer than
 * limit results.  Up to "jobs" walks are active at once, each either in
 * flight (a curl easy handle in one multi handle, so connections are
 * reused) or waiting out a backoff; the rest wait in a FIFO queue, so with
 * one job the output keeps the order of the walks.  Every request is first
 * counted by the shared rate limiter.  A page's records are handed over
 * only when the whole body arrived and parsed, so a page that failed
 * halfway is fetched again and delivered once.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <yajl/yajl_parse.h>

#include "http-int.h"

#define MAX_JOBS 64
#define MAX_429 20		/* 429s in a row before giving up */

struct walk {
	struct walk *next;
	char *path;		/* relative to the base URL, "/locations" */
	char *query;		/* encoded fixed parameters, "" or "a=b&c=d" */
	int family;		/* 0 or enum aq_window */
	int64_t from, to;
	int fixed_limit, fixed_page;
	unsigned limit;
	long page;
	uint64_t full_hash;	/* of the last full page's results (page > 1) */
	void *tag;
};

struct slot {
	struct walk *w;		/* NULL: free */
	CURL *easy;
	int inflight;
	double not_before;	/* monotonic; when a waiting walk may go */
	unsigned attempts;	/* failures of this page */
	unsigned rl_attempts;	/* 429s in a row */
	struct aq_buf body;
	long remaining, reset;	/* x-ratelimit-* of this response, -1: absent */
	double started;
	char url[8192];
	char cerr[CURL_ERROR_SIZE];
};

struct aq_client {
	struct aqi_errbuf err;
	char *base;		/* without a trailing slash */
	const char *base_path;	/* the path part of base, "/v3" */
	char *key;
	char *ua;
	char *state_dir;
	int state_dir_set;
	double rate_window;
	unsigned per_minute, per_hour, jobs, page_size, retries;
	double connect_timeout, timeout, backoff, backoff_max;
	int insecure;
	void (*log)(void *, const char *);
	void *log_arg;
	int (*cancel)(void *);
	void *cancel_arg;

	struct walk *head, *tail;
	struct aq_limiter *lim;
	char lim_err[512];
	CURLM *multi;
	struct curl_slist *headers;
	struct slot *slots;
	unsigned nslots;
	uint64_t counts[5];
	unsigned rng;
};

static int curl_users;

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
wipe(char *s)
{
	volatile char *p = s;

	if (s == NULL)
		return;
	while (*p)
		*p++ = 0;
}

/*
 * Every message of the client, to the detail buffer or the log, goes
 * through these two, which put "[key]" wherever the key would show: a
 * server may echo it back, and a message may be cut inside it.
 */
static size_t
redacted(const struct aq_client *c, char *m, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(m, size, fmt, ap);
	size_t len;

	if (n < 0) {
		m[0] = '\0';
		return 0;
	}
	len = (size_t)n < size ? (size_t)n : size - 1;
	return aqi_http_redact(m, len, size, c->key, (size_t)n >= size);
}

static int cfail(struct aq_client *c, int code, const char *fmt, ...) AQI_PRINTF(3, 4);
static int
cfail(struct aq_client *c, int code, const char *fmt, ...)
{
	char m[4096];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	(void)redacted(c, m, sizeof m, fmt, ap);
	va_end(ap);
	errno = saved;
	return aqi_fail(&c->err, code, "%s", m);
}

static void logmsg(struct aq_client *c, const char *fmt, ...) AQI_PRINTF(2, 3);
static void
logmsg(struct aq_client *c, const char *fmt, ...)
{
	char m[4096];
	va_list ap;

	if (c->log == NULL)
		return;
	va_start(ap, fmt);
	(void)redacted(c, m, sizeof m, fmt, ap);
	va_end(ap);
	aqi_logf(c->log, c->log_arg, "%s", m);
}

/* The same for what the pure helpers wrote to the detail buffer. */
static int
redact_err(struct aq_client *c, int rc)
{
	if (rc != AQ_OK && c->err.buf != NULL && c->err.size > 0)
		(void)aqi_http_redact(c->err.buf, strlen(c->err.buf), c->err.size, c->key, 0);
	return rc;
}

static int
set_str(struct aq_client *c, char **dst, const char *s)
{
	char *t = NULL;

	if (s != NULL && (t = strdup(s)) == NULL)
		return cfail(c, AQ_ENOMEM, "out of memory");
	free(*dst);
	*dst = t;
	return AQ_OK;
}

struct aq_client *
aq_client_new(void)
{
	struct aq_client *c;

	if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	curl_users++;
	c->per_minute = 60;
	c->per_hour = 2000;
	c->jobs = 1;
	c->page_size = 1000;
	c->retries = 6;
	c->connect_timeout = 10;
	c->timeout = 60;
	c->backoff = 0.5;
	c->backoff_max = 30;
	c->rate_window = 60;
	c->rng = (unsigned)(aqi_mono() * 1e6) ^ (unsigned)getpid() * 2654435761u;
	if (aq_client_set_base_url(c, "https://api.openaq.org/v3") != AQ_OK ||
	    aq_client_set_user_agent(c, "libopenaq/" PACKAGE_VERSION) != AQ_OK) {
		aq_client_free(c);
		return NULL;
	}
	return c;
}

static void
free_walk(struct walk *w)
{
	if (w == NULL)
		return;
	free(w->path);
	free(w->query);
	free(w);
}

static void
drop_queue(struct aq_client *c)
{
	struct walk *w, *n;
	unsigned i;

	for (w = c->head; w != NULL; w = n) {
		n = w->next;
		free_walk(w);
	}
	c->head = c->tail = NULL;
	for (i = 0; i < c->nslots; i++) {
		struct slot *s = &c->slots[i];

		if (s->inflight) {
			curl_multi_remove_handle(c->multi, s->easy);
			s->inflight = 0;
		}
		free_walk(s->w);
		s->w = NULL;
	}
}

void
aq_client_free(struct aq_client *c)
{
	unsigned i;

	if (c == NULL)
		return;
	drop_queue(c);
	for (i = 0; i < c->nslots; i++) {
		if (c->slots[i].easy != NULL)
			curl_easy_cleanup(c->slots[i].easy);
		aq_buf_free(&c->slots[i].body);
	}
	free(c->slots);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	if (c->headers != NULL) {
		struct curl_slist *h;

		for (h = c->headers; h != NULL; h = h->next)
			wipe(h->data);
		curl_slist_free_all(c->headers);
	}
	aq_limiter_free(c->lim);
	wipe(c->key);
	free(c->key);
	free(c->base);
	free(c->ua);
	free(c->state_dir);
	free(c);
	if (--curl_users == 0)
		curl_global_cleanup();
}

void
aq_client_set_errbuf(struct aq_client *c, char *buf, size_t size)
{
	aqi_errbuf_set(&c->err, buf, size);
}

int
aq_client_set_base_url(struct aq_client *c, const char *url)
{
	int rc;

	if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return cfail(c, AQ_EINVAL, "the base URL must start with http:// or https://");
	if ((rc = set_str(c, &c->base, url)) != AQ_OK)
		return rc;
	c->base_path = aqi_http_base(c->base);
	return AQ_OK;
}

int
aq_client_set_key(struct aq_client *c, const char *key)
{
	if (key == NULL || *key == '\0' || strpbrk(key, "\r\n") != NULL)
		return cfail(c, AQ_EINVAL, "the API key is empty or holds a line break");
	if (c->key != NULL)
		wipe(c->key);
	return set_str(c, &c->key, key);
}

int
aq_client_set_user_agent(struct aq_client *c, const char *ua)
{
	return set_str(c, &c->ua, ua);
}

int
aq_client_set_rate(struct aq_client *c, unsigned per_minute, unsigned per_hour)
{
	if (per_minute < 1 || per_hour < 1)
		return cfail(c, AQ_EINVAL, "the rate budgets must be at least 1");
	c->per_minute = per_minute;
	c->per_hour = per_hour;
	return AQ_OK;
}

int
aq_client_set_state_dir(struct aq_client *c, const char *dir)
{
	c->state_dir_set = 1;
	return set_str(c, &c->state_dir, dir);
}

int
aq_client_set_rate_window(struct aq_client *c, double seconds)
{
	int rc;

	if ((rc = aqi_check_window(&c->err, seconds)) != AQ_OK)
		return rc;
	c->rate_window = seconds;
	return AQ_OK;
}

int
aq_client_set_jobs(struct aq_client *c, unsigned n)
{
	if (n < 1 || n > MAX_JOBS)
		return cfail(c, AQ_EINVAL, "jobs must be 1 to %d", MAX_JOBS);
	c->jobs = n;
	return AQ_OK;
}

int
aq_client_set_page_size(struct aq_client *c, unsigned n)
{
	if (n < 1 || n > 1000)
		return cfail(c, AQ_EINVAL, "the page size must be 1 to 1000");
	c->page_size = n;
	return AQ_OK;
}

int
aq_client_set_retries(struct aq_client *c, unsigned n)
{
	if (n > 100)
		return cfail(c, AQ_EINVAL, "at most 100 retries");
	c->retries = n;
	return AQ_OK;
}

int
aq_client_set_timeout(struct aq_client *c, double connect, double total)
{
	if (!(connect > 0 && total > 0 && connect <= 3600 && total <= 86400))
		return cfail(c, AQ_EINVAL, "timeouts must be positive");
	c->connect_timeout = connect;
	c->timeout = total;
	return AQ_OK;
}

int
aq_client_set_backoff(struct aq_client *c, double first, double max)
{
	if (!(first >= 0 && max >= first && max <= 3600))
		return cfail(c, AQ_EINVAL, "backoff must be 0 <= first <= max <= 3600");
	c->backoff = first;
	c->backoff_max = max;
	return AQ_OK;
}

int
aq_client_set_insecure(struct aq_client *c, int insecure)
{
	c->insecure = insecure != 0;
	return AQ_OK;
}

void
aq_client_set_log(struct aq_client *c, void (*fn)(void *, const char *), void *arg)
{
	c->log = fn;
	c->log_arg = arg;
}

void
aq_client_set_cancel(struct aq_client *c, int (*fn)(void *), void *arg)
{
	c->cancel = fn;
	c->cancel_arg = arg;
}

uint64_t
aq_client_count(const struct aq_client *c, int counter)
{
	if (counter < 0 || counter >= (int)(sizeof c->counts / sizeof c->counts[0]))
		return 0;
	return c->counts[counter];
}


int
aq_client_check_param(struct aq_client *c, const char *name)
{
	return redact_err(c, aqi_http_check_param(&c->err, name));
}

/* ---- queueing walks ---- */

static int
make_walk(struct aq_client *c, const char *path, const char *const *params, void *tag,
    struct walk **out)
{
	struct aq_buf q = {0};
	struct walk *w;
	const char *rel;
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return cfail(c, AQ_EINVAL, "no path given");
	if ((w = calloc(1, sizeof *w)) == NULL)
		return cfail(c, AQ_ENOMEM, "out of memory");
	w->limit = c->page_size;
	w->page = 1;
	w->tag = tag;
	if ((rc = redact_err(c, aqi_http_path(&c->err, c->base_path, path, &rel))) != AQ_OK) {
		free(w);
		return rc;
	}
	if ((w->path = malloc(strlen(rel) + 2)) == NULL) {
		free(w);
		return cfail(c, AQ_ENOMEM, "out of memory");
	}
	w->path[0] = '/';
	strcpy(w->path + 1, rel);
	rc = redact_err(c, aqi_http_query(&c->err, params, &q, &w->limit, &w->fixed_limit,
	    &w->page, &w->fixed_page));
	if (rc != AQ_OK) {
		aq_buf_free(&q);
		free_walk(w);
		return rc;
	}
	w->query = q.data;
	*out = w;
	return AQ_OK;
}

static void
enqueue(struct aq_client *c, struct walk *w)
{
	w->next = NULL;
	if (c->tail != NULL)
		c->tail->next = w;
	else
		c->head = w;
	c->tail = w;
}

static void
push_front(struct aq_client *c, struct walk *w)
{
	w->next = c->head;
	c->head = w;
	if (c->tail == NULL)
		c->tail = w;
}

int
aq_client_add(struct aq_client *c, const char *path, const char *const *params, void *tag)
{
	struct walk *w;
	int rc;

	if ((rc = make_walk(c, path, params, tag, &w)) != AQ_OK)
		return rc;
	enqueue(c, w);
	return AQ_OK;
}

#define DAY_US INT64_C(86400000000)
#define HOUR_US INT64_C(3600000000)

static int64_t
day_of(int64_t us)
{
	return us >= 0 ? us / DAY_US : -((-us + DAY_US - 1) / DAY_US);
}

int
aq_client_add_window(struct aq_client *c, const char *path, const char *const *params,
    int family, int64_t from, int64_t to, void *tag)
{
	struct walk *w;
	int rc;

	if (family != AQ_WINDOW_DATETIME && family != AQ_WINDOW_DATE)
		return cfail(c, AQ_EINVAL, "unknown window family %d", family);
	if (family == AQ_WINDOW_DATETIME ? to <= from : day_of(to) < day_of(from))
		return cfail(c, AQ_EINVAL, "the end of the window is not after its start");
	if ((rc = make_walk(c, path, params, tag, &w)) != AQ_OK)
		return rc;
	w->family = family;
	w->from = from;
	w->to = to;
	enqueue(c, w);
	return AQ_OK;
}

/* Cut a walk's window in two (its first page got 408): 1 if done. */
static int
split(struct aq_client *c, struct walk *w)
{
	struct walk *second;
	int64_t mid;

	if (w->family == 0 || w->fixed_page || w->page != 1)
		return 0;
	if (w->family == AQ_WINDOW_DATETIME) {
		if (w->to - w->from < 2 * HOUR_US)
			return 0;
		mid = w->from + (w->to - w->from) / 2;
		mid -= mid % HOUR_US;
		if (mid <= w->from)
			mid += HOUR_US;
	} else {
		int64_t d0 = day_of(w->from), d1 = day_of(w->to);

		if (d1 - d0 < 1)
			return 0;
		mid = (d0 + (d1 - d0) / 2) * DAY_US;	/* the first half ends that day */
	}
	if ((second = calloc(1, sizeof *second)) == NULL)
		return 0;
	*second = *w;
	second->path = strdup(w->path);
	second->query = strdup(w->query);
	if (second->path == NULL || second->query == NULL) {
		free_walk(second);
		return 0;
	}
	second->from = w->family == AQ_WINDOW_DATE ? mid + DAY_US : mid;
	w->to = mid;
	push_front(c, second);
	return 1;
}

/* ---- transfers ---- */

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct slot *s = arg;

	n *= size;
	if (s->body.len + n > AQI_HTTP_MAX_BODY || aq_buf_append(&s->body, p, n) != AQ_OK)
		return 0;
	return n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct slot *s = arg;

	n *= size;
	aqi_http_header(p, n, &s->remaining, &s->reset);
	return n;
}

static int
setup(struct aq_client *c)
{
	char hdr[8192];
	unsigned i;
	int rc;

	if (c->key == NULL)
		return cfail(c, AQ_EAUTH, "no API key was given");
	if (c->multi == NULL) {
		if ((c->multi = curl_multi_init()) == NULL)
			return cfail(c, AQ_ENOMEM, "cannot make a curl multi handle");
		curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->jobs);
	}
	if (c->headers == NULL) {
		struct curl_slist *h = NULL, *t;

		snprintf(hdr, sizeof hdr, "X-API-Key: %s", c->key);
		if ((t = curl_slist_append(h, hdr)) == NULL ||
		    (h = t, t = curl_slist_append(h, "Accept: application/json")) == NULL) {
			wipe(hdr);
			curl_slist_free_all(h);
			return cfail(c, AQ_ENOMEM, "out of memory");
		}
		wipe(hdr);
		c->headers = t;
	}
	if (c->lim == NULL) {
		if ((c->lim = aq_limiter_new()) == NULL)
			return cfail(c, AQ_ENOMEM, "out of memory");
		aq_limiter_set_errbuf(c->lim, c->lim_err, sizeof c->lim_err);
		if (aq_limiter_set_window(c->lim, c->rate_window) != AQ_OK ||
		    (rc = aq_limiter_open(c->lim, c->state_dir_set ? c->state_dir : NULL, c->key,
			c->per_minute, c->per_hour)) != AQ_OK) {
			rc = cfail(c, AQ_ESTATE, "%s", c->lim_err);
			aq_limiter_free(c->lim);
			c->lim = NULL;
			return rc;
		}
	}
	if (c->slots == NULL) {
		if ((c->slots = calloc(c->jobs, sizeof *c->slots)) == NULL)
			return cfail(c, AQ_ENOMEM, "out of memory");
		c->nslots = c->jobs;
		for (i = 0; i < c->nslots; i++) {
			struct slot *s = &c->slots[i];

			if ((s->easy = curl_easy_init()) == NULL)
				return cfail(c, AQ_ENOMEM, "cannot make a curl handle");
			curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
			curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
			curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
			curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
			curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
			curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, c->headers);
			curl_easy_setopt(s->easy, CURLOPT_ACCEPT_ENCODING, "");
			curl_easy_setopt(s->easy, CURLOPT_USERAGENT, c->ua);
			curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->cerr);
			curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
			curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
			curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS,
			    (long)(c->connect_timeout * 1000));
			curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, (long)(c->timeout * 1000));
			curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
			curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
			curl_easy_setopt(s->easy, CURLOPT_TCP_KEEPALIVE, 1L);
		}
	}
	return AQ_OK;
}

static int
start(struct aq_client *c, struct slot *s)
{
	struct aqi_http_request r = {
		.base = c->base,
		.path = s->w->path,
		.query = s->w->query,
		.family = s->w->family,
		.from = s->w->from,
		.to = s->w->to,
		.limit = s->w->limit,
		.page = s->w->page,
	};

	if (aqi_http_url(&r, s->url, sizeof s->url) != AQ_OK)
		return cfail(c, AQ_EINVAL, "the request for %s is too long", s->w->path);
	aq_buf_reset(&s->body);
	s->remaining = s->reset = -1;
	s->cerr[0] = '\0';
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	if (curl_multi_add_handle(c->multi, s->easy) != CURLM_OK)
		return cfail(c, AQ_ENOMEM, "cannot start a transfer");
	s->inflight = 1;
	s->started = aqi_mono();
	c->counts[AQ_CLIENT_REQUESTS]++;
	if (s->attempts > 0 || s->rl_attempts > 0)
		c->counts[AQ_CLIENT_RETRIES]++;
	return AQ_OK;
}

/* The request's path and query as messages show it (no scheme, no host). */
static const char *
shown(const struct aq_client *c, const struct slot *s)
{
	const char *p = strstr(s->url, "://");

	(void)c;
	p = p != NULL ? strchr(p + 3, '/') : NULL;
	return p != NULL ? p : s->url;
}

struct page {
	struct aqi_builder b;
	const struct aq_value *results;
};

/* FNV-1a over a value, continued from h: each node's type, key and text,
 * its members or elements in order. */
static uint64_t
value_hash(const struct aq_value *v, uint64_t h)
{
	const struct aq_value *m;
	const char *t;
	size_t len;
	unsigned char type = (unsigned char)aq_value_type(v);

	h = aqi_fnv(h, &type, 1);
	if ((t = aq_value_key(v, &len)) != NULL)
		h = aqi_fnv(aqi_fnv(h, t, len), "", 1);
	if (type == AQ_OBJECT || type == AQ_ARRAY) {
		for (m = aq_value_first(v); m != NULL; m = aq_value_next(m))
			h = value_hash(m, h);
		return aqi_fnv(h, &type, 1);	/* the end of the container */
	}
	if ((t = aq_value_string(v, &len)) != NULL)
		h = aqi_fnv(aqi_fnv(h, t, len), "", 1);
	return h;
}

/*
 * Parse a 200 body: AQ_OK with page->results an array, or AQ_EPROTO with
 * the reason in why; *as_sent is then set when the body is what the
 * server meant to send (not UTF-8, too deep, too many values, more
 * results than asked for), which asking again would only get again.
 */
static int
parse_page(struct aq_client *c, struct slot *s, struct page *pg, char *why, size_t size,
    int *as_sent)
{
	yajl_handle y;
	yajl_status st;
	size_t ok, n;

	(void)c;
	memset(pg, 0, sizeof *pg);
	*as_sent = 1;
	/* records go out as the server sent them: the bytes must be UTF-8,
	 * exactly (yajl lets overlong forms and surrogates through) */
	if ((ok = aq_utf8_valid(s->body.data, s->body.len)) != s->body.len) {
		snprintf(why, size, "the body is not UTF-8 (byte %zu of %zu)", ok + 1,
		    s->body.len);
		return AQ_EPROTO;
	}
	/* nor may it name a lone UTF-16 surrogate in a \u escape, which
	 * decodes to no character (the reader refuses it too) */
	if ((ok = aqi_json_surrogates(s->body.data, s->body.len)) != s->body.len) {
		snprintf(why, size, "the body escapes a lone UTF-16 surrogate (byte %zu of %zu)",
		    ok + 1, s->body.len);
		return AQ_EPROTO;
	}
	pg->b.arena.chunk_size = 1u << 16;
	pg->b.max_values = AQI_HTTP_MAX_VALUES;
	if ((y = yajl_alloc(&aqi_builder_callbacks, NULL, &pg->b)) == NULL) {
		snprintf(why, size, "out of memory");
		return AQ_ENOMEM;
	}
	st = yajl_parse(y, (const unsigned char *)s->body.data, s->body.len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(y);
	yajl_free(y);
	if (pg->b.too_deep) {
		snprintf(why, size, "the body is nested deeper than %d levels", AQ_JSON_MAX_DEPTH);
		return AQ_EPROTO;
	}
	if (pg->b.too_many) {
		snprintf(why, size, "the body holds more than %d JSON values", AQI_HTTP_MAX_VALUES);
		return AQ_EPROTO;
	}
	*as_sent = 0;	/* garbled in transit, most likely */
	if (st != yajl_status_ok || pg->b.root == NULL || pg->b.not_object || pg->b.depth != 0) {
		snprintf(why, size, "the body is not a JSON object (%zu bytes)", s->body.len);
		return AQ_EPROTO;
	}
	pg->results = aq_value_get(pg->b.root, "results");
	if (aq_value_type(pg->results) != AQ_ARRAY) {
		snprintf(why, size, "the body has no results array");
		return AQ_EPROTO;
	}
	/* an endpoint that does not page answers every page alike: paging
	 * on would write the same records without end */
	if ((n = aq_value_count(pg->results)) > s->w->limit) {
		*as_sent = 1;
		snprintf(why, size, "the page holds %zu results, more than the limit of %u: "
		    "the endpoint does not page", n, s->w->limit);
		return AQ_EPROTO;
	}
	/* nor can one that answers with exactly the limit be told by the
	 * count: a full page whose results are those of the full page
	 * before it, its records written already, is that */
	if (n == s->w->limit && !s->w->fixed_page) {
		uint64_t h = value_hash(pg->results, AQI_FNV_START);

		if (s->w->page > 1 && h == s->w->full_hash) {
			*as_sent = 1;
			snprintf(why, size, "page %ld holds the %zu results of page %ld again: "
			    "the endpoint does not page", s->w->page, n, s->w->page - 1);
			return AQ_EPROTO;
		}
		s->w->full_hash = h;
	}
	return AQ_OK;
}

static double
backoff(struct aq_client *c, unsigned attempt)
{
	return aqi_backoff(&c->rng, c->backoff, c->backoff_max, attempt);
}

/*
 * A transfer ended.  Returns AQ_OK to go on (the slot then waits, moves to
 * the next page, or is free), or the code that ends the run.
 */
static int
finish(struct aq_client *c, struct slot *s, CURLcode res,
    int (*fn)(void *, void *, const struct aq_value *), void *arg)
{
	struct aqi_http_response rs = {.result = res, .remaining = s->remaining, .reset = s->reset};
	struct aqi_http_outcome o;
	double now = aqi_mono(), ms = (now - s->started) * 1000;
	char text[512], why[600];
	int code;
	double wait = 0;
	struct walk *w = s->w;

	curl_multi_remove_handle(c->multi, s->easy);
	s->inflight = 0;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &rs.status);
	rs.body_len = s->body.len;
	aqi_http_outcome(&rs, &o);
	code = o.code;
	if (o.update && c->lim != NULL)
		(void)aq_limiter_update(c->lim, wall(), s->remaining, s->reset);

	if (res != CURLE_OK) {
		snprintf(why, sizeof why, "%s", o.reason != NULL ? o.reason :
		    *s->cerr ? s->cerr : curl_easy_strerror(res));
		logmsg(c, "GET %s failed after %.0f ms: %s", shown(c, s), ms, why);
	} else if (o.page) {
		struct page pg;
		const struct aq_value *r;
		size_t n = 0;
		int as_sent;

		code = parse_page(c, s, &pg, why, sizeof why, &as_sent);
		if (code == AQ_OK) {
			n = aq_value_count(pg.results);
			logmsg(c, "GET %s %ld %.0f ms %zu results", shown(c, s), rs.status, ms, n);
			for (r = aq_value_first(pg.results); r != NULL; r = aq_value_next(r)) {
				c->counts[AQ_CLIENT_RECORDS]++;
				if (fn(arg, w->tag, r) != 0) {
					code = AQ_ECANCELED;
					break;
				}
			}
			aqi_builder_free(&pg.b);
			if (code != AQ_OK)
				return cfail(c, code, "stopped by the caller");
			s->attempts = s->rl_attempts = 0;
			if (w->fixed_page || n < w->limit) {
				free_walk(w);
				s->w = NULL;	/* the walk is complete */
			} else {
				w->page++;
				s->not_before = 0;
			}
			return AQ_OK;
		}
		if (as_sent)
			o.retry = 0;
		aqi_builder_free(&pg.b);
		if (code == AQ_ENOMEM)
			return cfail(c, code, "out of memory");
		logmsg(c, "GET %s %ld %.0f ms: %s", shown(c, s), rs.status, ms, why);
		code = o.code;
	} else {
		aqi_http_error_text(s->body.data, s->body.len, c->key, text, sizeof text);
		snprintf(why, sizeof why, "HTTP %ld: %s%s", rs.status, text,
		    rs.status >= 300 && rs.status < 400 ? " (a redirect: not followed)" : "");
		logmsg(c, "GET %s %ld %.0f ms: %s", shown(c, s), rs.status, ms, text);
		if (o.wait > 0) {
			double secs = o.wait;

			c->counts[AQ_CLIENT_RATELIMITED]++;
			if (++s->rl_attempts > MAX_429)
				return cfail(c, AQ_ERATELIMIT, "GET %s: still HTTP 429 after %u tries: %s",
				    shown(c, s), s->rl_attempts, text);
			if (c->lim != NULL)
				(void)aq_limiter_block(c->lim, wall(), secs);
			s->not_before = now + secs;
			logmsg(c, "rate limited by the server: waiting %.0f s", secs);
			return AQ_OK;
		}
		if (o.split && split(c, w)) {
			logmsg(c, "the server timed out: cutting the window in two");
			s->not_before = 0;
			return AQ_OK;
		}
	}
	if (!o.retry)
		return cfail(c, code, "GET %s: %s", shown(c, s), why);
	if (++s->attempts > c->retries)
		return cfail(c, code, "GET %s: %s (gave up after %u attempts)", shown(c, s),
		    why, s->attempts);
	wait = backoff(c, s->attempts);
	s->not_before = now + wait;
	logmsg(c, "retry %u of %u in %.1f s", s->attempts, c->retries, wait);
	return AQ_OK;
}

int
aq_client_run(struct aq_client *c, int (*fn)(void *, void *, const struct aq_value *),
    void *arg)
{
	double lim_next = 0, now;
	const char *last_why = NULL;
	unsigned i, active, finished;
	int rc, running;

	if ((rc = setup(c)) != AQ_OK) {
		drop_queue(c);
		return rc;
	}
	for (;;) {
		double timeout = 0.25;
		CURLMsg *m;
		int left;

		if (c->cancel != NULL && c->cancel(c->cancel_arg)) {
			rc = cfail(c, AQ_ECANCELED, "stopped");
			break;
		}
		/* fill free slots from the queue, in order */
		active = 0;
		for (i = 0; i < c->nslots; i++) {
			struct slot *s = &c->slots[i];

			if (s->w == NULL && c->head != NULL) {
				s->w = c->head;
				c->head = c->head->next;
				if (c->head == NULL)
					c->tail = NULL;
				s->w->next = NULL;
				s->attempts = s->rl_attempts = 0;
				s->not_before = 0;
			}
			if (s->w != NULL)
				active++;
		}
		if (active == 0) {
			rc = AQ_OK;
			break;
		}
		/* start what may start */
		now = aqi_mono();
		for (i = 0; i < c->nslots; i++) {
			struct slot *s = &c->slots[i];
			double wait;
			const char *why;

			if (s->w == NULL || s->inflight)
				continue;
			if (s->not_before > now) {
				if (s->not_before - now < timeout)
					timeout = s->not_before - now;
				continue;
			}
			if (now < lim_next) {
				if (lim_next - now < timeout)
					timeout = lim_next - now;
				continue;
			}
			if ((rc = aq_limiter_acquire(c->lim, wall(), &wait, &why)) != AQ_OK) {
				rc = cfail(c, AQ_ESTATE, "%s", c->lim_err);
				goto out;
			}
			if (wait > 0) {
				lim_next = now + wait;
				if (wait < timeout)
					timeout = wait;
				if (last_why != why || wait > 5) {
					c->counts[AQ_CLIENT_WAITS]++;
					logmsg(c, "rate limit: waiting %.1f s (%s budget)", wait, why);
				}
				last_why = why;
				continue;
			}
			last_why = NULL;
			if ((rc = start(c, s)) != AQ_OK)
				goto out;
		}
		if (curl_multi_perform(c->multi, &running) != CURLM_OK) {
			rc = cfail(c, AQ_ETRANSPORT, "curl multi failed");
			break;
		}
		finished = 0;
		while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
			struct slot *s = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			if ((rc = finish(c, s, m->data.result, fn, arg)) != AQ_OK)
				goto out;
			finished++;
		}
		/* a transfer ended: its next page (or the next walk) may go now,
		 * without waiting out a poll */
		if (finished == 0)
			curl_multi_poll(c->multi, NULL, 0, (int)(timeout * 1000) + 1, NULL);
	}
out:
	drop_queue(c);
	return rc;
}
