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

/* ---- lib/http-error.c ---- */

/*
 * The server's own words from an error body of any shape the API sends:
 * {"detail": "..."}, {"detail": [{"loc": [..., "name"], "msg": "..."}, ...]}
 * (as "name: msg; ..."), {"message": "..."}, a bare JSON string; else an
 * HTML page's <title>, or the start of the text (at most 120 bytes, line
 * breaks and tabs as spaces, other control bytes as '?'), or "(empty body)".
 * Always NUL-terminates out (size > 0), truncating to fit.  Every piece of
 * server text that reaches a message goes through here.
 */
void aqi_http_error_text(const char *body, size_t len, char *out, size_t size);

#endif /* AQ_HTTP_INT_H */
