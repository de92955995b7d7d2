/*
 * 0800-http-outcome: what a finished transfer means (lib/http-outcome.c),
 * for every status and curl result the client tells apart.
 */
#include <string.h>

#include <curl/curl.h>

#include "http-int.h"
#include "tap.h"

static struct aqi_http_outcome o;

/* The outcome of a complete response with this status and no headers. */
static const struct aqi_http_outcome *
http(long status)
{
	struct aqi_http_response r = {.status = status, .remaining = -1, .reset = -1};

	aqi_http_outcome(&r, &o);
	return &o;
}

/* The outcome of a transfer that failed with this curl result. */
static const struct aqi_http_outcome *
broken(int result, long status, size_t body_len)
{
	struct aqi_http_response r = {
	    .result = result,
	    .status = status,
	    .body_len = body_len,
	    .remaining = 5,
	    .reset = 9,
	};

	aqi_http_outcome(&r, &o);
	return &o;
}

/* code, retry, and none of page/split/wait/reason */
static void
plain(const struct aqi_http_outcome *x, int code, int retry, const char *what)
{
	is_int(x->code, code, "%s: %s", what, aq_strerror(code));
	is_int(x->retry, retry, "%s: %s", what, retry ? "retried" : "not retried");
	ok(!x->page && !x->split && x->wait == 0 && x->reason == NULL, "%s: nothing else", what);
}

int
main(void)
{
	static const struct {
		long status;
		int code, retry;
	} st[] = {
	    {400, AQ_EHTTP, 0},
	    {401, AQ_EAUTH, 0},
	    {403, AQ_EAUTH, 0},
	    {404, AQ_ENOTFOUND, 0},
	    {405, AQ_EHTTP, 0},
	    {410, AQ_EHTTP, 0},
	    {422, AQ_EHTTP, 0},
	    {451, AQ_EHTTP, 0},
	    {499, AQ_EHTTP, 0},
	    {500, AQ_ESERVER, 1},
	    {502, AQ_ESERVER, 1},
	    {503, AQ_ESERVER, 1},
	    {504, AQ_ESERVER, 1},
	    {507, AQ_ESERVER, 1},
	    {599, AQ_ESERVER, 1},
	    /* redirects are not followed, and nothing but 200 is a page */
	    {204, AQ_EPROTO, 0},
	    {301, AQ_EPROTO, 0},
	    {304, AQ_EPROTO, 0},
	    {100, AQ_EPROTO, 0},
	};
	static const struct {
		int result, code, retry;
		const char *what;
	} tr[] = {
	    {CURLE_OPERATION_TIMEDOUT, AQ_ETIMEOUT, 1, "timeout"},
	    {CURLE_COULDNT_RESOLVE_HOST, AQ_ETRANSPORT, 1, "DNS"},
	    {CURLE_COULDNT_CONNECT, AQ_ETRANSPORT, 1, "connection refused"},
	    {CURLE_RECV_ERROR, AQ_ETRANSPORT, 1, "connection reset"},
	    {CURLE_SEND_ERROR, AQ_ETRANSPORT, 1, "send failed"},
	    {CURLE_GOT_NOTHING, AQ_ETRANSPORT, 1, "empty reply"},
	    {CURLE_PARTIAL_FILE, AQ_ETRANSPORT, 1, "partial body"},
	    {CURLE_BAD_CONTENT_ENCODING, AQ_ETRANSPORT, 1, "bad gzip"},
	    {CURLE_SSL_CONNECT_ERROR, AQ_ETRANSPORT, 1, "TLS handshake"},
	    {CURLE_PEER_FAILED_VERIFICATION, AQ_ETRANSPORT, 0, "TLS certificate"},
	    {CURLE_SSL_CACERT_BADFILE, AQ_ETRANSPORT, 0, "TLS CA file"},
	    {CURLE_SSL_CERTPROBLEM, AQ_ETRANSPORT, 0, "TLS client certificate"},
	    {CURLE_SSL_CIPHER, AQ_ETRANSPORT, 0, "TLS cipher"},
	    {CURLE_UNSUPPORTED_PROTOCOL, AQ_EINVAL, 0, "unsupported protocol"},
	    {CURLE_URL_MALFORMAT, AQ_EINVAL, 0, "malformed URL"},
	    {CURLE_WRITE_ERROR, AQ_ETRANSPORT, 1, "write error, no body"},
	};
	const struct aqi_http_outcome *x;
	struct aqi_http_response r;
	size_t i;
	char what[64];

	/* 200: a page; a body that does not parse is retried as EPROTO */
	x = http(200);
	ok(x->page, "200: a page");
	is_int(x->code, AQ_EPROTO, "200: a body that is no page is AQ_EPROTO");
	is_int(x->retry, 1, "200: and is retried");
	ok(!x->split && x->wait == 0 && x->reason == NULL, "200: nothing else");

	for (i = 0; i < sizeof st / sizeof st[0]; i++) {
		snprintf(what, sizeof what, "%ld", st[i].status);
		plain(http(st[i].status), st[i].code, st[i].retry, what);
	}

	/* 408: cut the window, else retry as a timeout */
	x = http(408);
	ok(x->split && !x->page && x->wait == 0, "408: split the window");
	is_int(x->code, AQ_ETIMEOUT, "408: AQ_ETIMEOUT");
	is_int(x->retry, 1, "408: retried when it cannot be split");

	/* 429: x-ratelimit-reset seconds, 60 without a usable one */
	x = http(429);
	ok(x->wait == 60, "429 without x-ratelimit-reset: wait 60 s (%g)", x->wait);
	is_int(x->code, AQ_ERATELIMIT, "429: AQ_ERATELIMIT");
	ok(!x->retry && !x->page && !x->split, "429: waited out, not a retry");
	{
		static const struct {
			long reset;
			double wait;
		} rs[] = {{12, 12}, {1, 1}, {3600, 3600}, {3601, 60}, {0, 60}, {-1, 60}};

		for (i = 0; i < sizeof rs / sizeof rs[0]; i++) {
			r = (struct aqi_http_response){
			    .status = 429, .remaining = 0, .reset = rs[i].reset};
			aqi_http_outcome(&r, &o);
			ok(o.wait == rs[i].wait, "429 with reset %ld: wait %g s (%g)", rs[i].reset,
			    rs[i].wait, o.wait);
		}
	}

	/* the rate headers count only from a whole response */
	r = (struct aqi_http_response){.status = 200, .remaining = 7, .reset = 30};
	aqi_http_outcome(&r, &o);
	ok(o.update, "a 200 with x-ratelimit-remaining updates the limiter");
	r.status = 503;
	aqi_http_outcome(&r, &o);
	ok(o.update, "so does a 503 with it");
	r.remaining = 0;
	aqi_http_outcome(&r, &o);
	ok(o.update, "remaining 0 is a value");
	r.remaining = -1;
	aqi_http_outcome(&r, &o);
	ok(!o.update, "no x-ratelimit-remaining: no update");
	ok(!broken(CURLE_PARTIAL_FILE, 200, 10)->update, "a broken-off response: no update");

	for (i = 0; i < sizeof tr / sizeof tr[0]; i++)
		plain(broken(tr[i].result, 0, 0), tr[i].code, tr[i].retry, tr[i].what);
	/* a transport error wins over a status already received */
	plain(broken(CURLE_PARTIAL_FILE, 200, 1000), AQ_ETRANSPORT, 1, "partial 200 body");
	plain(broken(CURLE_RECV_ERROR, 404, 10), AQ_ETRANSPORT, 1, "reset after a 404 header");
	plain(broken(CURLE_OPERATION_TIMEDOUT, 200, 5), AQ_ETIMEOUT, 1, "stalled 200 body");

	/* too large: the body callback refused the chunk past the cap */
	x = broken(CURLE_WRITE_ERROR, 200, AQI_HTTP_MAX_BODY - CURL_MAX_WRITE_SIZE + 1);
	is_int(x->code, AQ_EPROTO, "a body at the cap: AQ_EPROTO");
	is_int(x->retry, 0, "a body at the cap: not retried");
	is_str(x->reason, "the body is larger than 256 MB", "a body at the cap: says so");
	x = broken(CURLE_WRITE_ERROR, 200, AQI_HTTP_MAX_BODY);
	is_str(x->reason, "the body is larger than 256 MB", "a body of the cap: says so");
	plain(broken(CURLE_WRITE_ERROR, 200, AQI_HTTP_MAX_BODY - CURL_MAX_WRITE_SIZE),
	    AQ_ETRANSPORT, 1, "a write error one chunk under the cap");
	plain(broken(CURLE_WRITE_ERROR, 200, 1), AQ_ETRANSPORT, 1, "a write error on a small body");

	/* the x-ratelimit-* header lines, as curl hands them over */
	{
		static const struct {
			const char *line;
			long remaining, reset;
		} h[] = {
		    {"x-ratelimit-remaining: 57\r\n", 57, 9},
		    {"x-ratelimit-reset: 12\r\n", 5, 12},
		    {"X-RateLimit-Reset: 12\r\n", 5, 12},
		    {"X-RATELIMIT-REMAINING:0\r\n", 0, 9},
		    {"x-ratelimit-reset: \t 30 \t\r\n", 5, 30},
		    {"x-ratelimit-reset: 30\n", 5, 30},
		    {"x-ratelimit-reset: 30", 5, 30},
		    {"x-ratelimit-reset: -1\r\n", 5, -1},
		    {"x-ratelimit-reset: -2\r\n", 5, -1},
		    {"x-ratelimit-reset: 1.5\r\n", 5, -1},
		    {"x-ratelimit-reset: 12s\r\n", 5, -1},
		    {"x-ratelimit-reset: 1 2\r\n", 5, -1},
		    {"x-ratelimit-reset: \r\n", 5, -1},
		    {"x-ratelimit-reset:", 5, 9},
		    {"x-ratelimit-reset: 99999999999\r\n", 5, 999999999},
		    {"x-ratelimit-reset-after: 3\r\n", 5, 9},
		    {"x-ratelimit-limit: 60\r\n", 5, 9},
		    {"x-ratelimit-used: 3\r\n", 5, 9},
		    {"retry-after: 30\r\n", 5, 9},
		    {"HTTP/1.1 200 OK\r\n", -1, -1},
		    {"HTTP/2 429\r\n", -1, -1},
		    {"\r\n", 5, 9},
		};
		long rem, rst;

		for (i = 0; i < sizeof h / sizeof h[0]; i++) {
			rem = 5, rst = 9;
			aqi_http_header(h[i].line, strlen(h[i].line), &rem, &rst);
			ok(rem == h[i].remaining && rst == h[i].reset,
			    "header '%.*s': %ld %ld (%ld %ld)", (int)strcspn(h[i].line, "\r\n"),
			    h[i].line, h[i].remaining, h[i].reset, rem, rst);
		}
		rem = 5, rst = 9;
		aqi_http_header("x-ratelimit-reset: 12\r\nxyz", 23, &rem, &rst);
		ok(rst == 12, "only n bytes are read (%ld)", rst);
	}

	return done_testing();
}
