/*
 * http-int.h: private to libopenaq.  The pure parts of the API client
 * (lib/client.c): what a finished transfer means, the server's words from
 * an error body, and the request URL.  None of them touches a curl handle
 * or does I/O, so each is unit-tested on its own (t/08NN-http-*.c).
 */
#ifndef AQ_HTTP_INT_H
#define AQ_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "aq-int.h"

/* The largest body kept; a page of 1000 records is about 1 MB. */
#define AQI_HTTP_MAX_BODY_MB 256
#define AQI_HTTP_MAX_BODY ((size_t)AQI_HTTP_MAX_BODY_MB << 20)
/* The most JSON values a page may hold (its tree takes 48 bytes a value,
 * about 200 MB then); a page of 1000 locations with their sensors holds
 * some 100,000. */
#define AQI_HTTP_MAX_VALUES 4000000

/* ---- lib/http-outcome.c ---- */

/* What the client knows when a transfer has ended. */
struct aqi_http_response {
	int result;            /* the CURLcode; CURLE_OK (0) when a response came */
	long status;           /* the HTTP status, 0 if none */
	size_t body_len;       /* bytes of body received */
	long remaining, reset; /* x-ratelimit-remaining/-reset, -1: absent */
};

/*
 * What to do about it.  page: a 200, whose body is to be parsed as a page;
 * code and retry then say what a body that does not parse means.  wait > 0:
 * a 429, to be waited out without counting an attempt (code is
 * AQ_ERATELIMIT for when that happens too often).  split: a 408, whose
 * walk's window is to be cut in two if it can be; if not, code and retry
 * apply.  Otherwise code (never AQ_OK) ends the request, after backoff and
 * retries when retry is set.  reason, when not NULL, replaces curl's text
 * of a transport error.  update: the x-ratelimit-* headers are those of a
 * whole response and may update the rate limiter.
 */
struct aqi_http_outcome {
	int code;
	int retry;
	int page;
	int split;
	double wait;
	int update;
	const char *reason;
};

void aqi_http_outcome(const struct aqi_http_response *r, struct aqi_http_outcome *o);

/*
 * One header line of n bytes as curl hands it over (CRLF included, no
 * NUL): a status line starts a new response (after a 100 Continue, say)
 * and sets *remaining and *reset to -1; x-ratelimit-remaining and
 * x-ratelimit-reset, in any case, set theirs to the value, or to -1
 * unless it is a plain non-negative number (a Redis TTL of -1 or -2, say).
 * The API sends no Retry-After.  Other lines change nothing.
 */
void aqi_http_header(const char *line, size_t n, long *remaining, long *reset);

/* ---- lib/http-error.c ---- */

/*
 * The server's own words from an error body of any shape the API sends:
 * {"detail": "..."}, {"detail": [{"loc": [..., "name"], "msg": "..."}, ...]}
 * (as "name: msg; ..."), {"message": "..."}, a bare JSON string; else an
 * HTML page's <title>, or the start of the text (at most 120 bytes, line
 * breaks and tabs as spaces), or "(empty body)".  The text is safe to
 * print: the key (when not NULL), as it is or percent-encoded, becomes
 * "[key]", and control characters (C0, DEL, C1) and invalid UTF-8 bytes
 * become visible escapes ("\n", "\r", "\t", "\x1b"); valid UTF-8 is kept.
 * Always NUL-terminates out (size > 0), truncating to fit, never inside
 * an escape or a character.  Every piece of server text that reaches a
 * message goes through here.
 */
void aqi_http_error_text(const char *body, size_t len, const char *key, char *out, size_t size);

/*
 * Replace every occurrence of key in buf (len bytes, NUL-terminated in
 * size > len bytes), as it is or percent-encoded as a query value would
 * be (either case of hex digits), with "[key]", truncating to size - 1
 * bytes.  cut says that buf is the start of a longer text: a start of the
 * key that ends buf is then replaced too.  Returns the new length; a NULL
 * or empty key changes nothing.
 */
size_t aqi_http_redact(char *buf, size_t len, size_t size, const char *key, int cut);

/* ---- lib/http-query.c ---- */

/* Trim the trailing slashes of a base URL ("https://host/v3/" ->
 * "https://host/v3", never into the "scheme://"); returns its path part
 * ("/v3", or "" when it has none), which points into base. */
const char *aqi_http_base(char *base);

/*
 * A walk's path relative to a base whose path part is base_path: leading
 * slashes dropped, and a leading "v3" component too when base_path is
 * "/v3" (so that "/v3/x", "v3/x", "/x" and "x" are one request, and /v3 is
 * never doubled).  Sets *rel into path; AQ_EINVAL (detail in e) for a path
 * with a query, fragment or "..".
 */
int aqi_http_path(struct aqi_errbuf *e, const char *base_path, const char *path, const char **rel);

/* What aq_client_check_param() checks: a snake_case name. */
int aqi_http_check_param(struct aqi_errbuf *e, const char *name);

/*
 * The fixed query of a walk from NAME=VALUE params (NULL-terminated; NULL
 * for none): names checked, values percent-encoded (every byte but
 * A-Z a-z 0-9 - . _ ~ and the comma that separates list items), joined
 * with '&' into q, which is left "" rather than NULL.  limit and page are
 * taken out and checked: *limit and *page are set and *fixed_limit,
 * *fixed_page set to 1 when given.  AQ_EINVAL or AQ_ENOMEM, with the
 * detail in e; q is then to be freed by the caller.
 */
int aqi_http_query(struct aqi_errbuf *e, const char *const *params, struct aq_buf *q,
    unsigned *limit, int *fixed_limit, long *page, int *fixed_page);

/* RFC 3986 unreserved: the bytes a URL carries as they are (curl_easy_escape()
 * keeps the same). */
static inline int
aqi_url_unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Append s to b percent-encoded: every byte but the unreserved ones and
 * those in keep ("," for list values, "/=" for S3 keys) as %XX.  AQ_OK or
 * AQ_ENOMEM (b then holds a part of it). */
int aqi_url_encode(struct aq_buf *b, const char *s, const char *keep);

/* One page of a walk. */
struct aqi_http_request {
	const char *base;  /* trimmed by aqi_http_base() */
	const char *path;  /* "/locations" */
	const char *query; /* "" or "a=b&c=d" */
	int family;        /* 0 or enum aq_window */
	int64_t from, to;  /* the window, when family is not 0 */
	unsigned limit;
	long page;
};

/* The request URL, "https://host/v3/locations?a=b&limit=1000&page=1", with
 * the window as datetime_from/_to or date_from/_to; AQ_EINVAL if it does
 * not fit in size bytes. */
int aqi_http_url(const struct aqi_http_request *r, char *buf, size_t size);

#endif /* AQ_HTTP_INT_H */
