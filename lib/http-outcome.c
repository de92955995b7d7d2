/*
 * http-outcome.c: what a finished transfer means for the client, from the
 * curl result, the HTTP status and the x-ratelimit-* headers alone.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http-int.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static long
header_long(const char *v, size_t n)
{
	long x = 0;
	int neg = 0, digits = 0;

	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	if (n > 0 && *v == '-')
		neg = 1, v++, n--;
	for (; n > 0 && *v >= '0' && *v <= '9'; v++, n--, digits++)
		if (x < 100000000)
			x = x * 10 + (*v - '0');
	while (n > 0 && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
		v++, n--;
	if (!digits || n != 0 || neg)
		return -1; /* absent, not a number, or a Redis TTL special */
	return x;
}

void
aqi_http_header(const char *line, size_t n, long *remaining, long *reset)
{
	static const char rem[] = "x-ratelimit-remaining:", rst[] = "x-ratelimit-reset:";

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0)
		*remaining = *reset = -1; /* a new response */
	else if (n > sizeof rem - 1 && strncasecmp(line, rem, sizeof rem - 1) == 0)
		*remaining = header_long(line + sizeof rem - 1, n - (sizeof rem - 1));
	else if (n > sizeof rst - 1 && strncasecmp(line, rst, sizeof rst - 1) == 0)
		*reset = header_long(line + sizeof rst - 1, n - (sizeof rst - 1));
}

/* A transport error: the code, and whether another try may help. */
static void
transport(const struct aqi_http_response *r, struct aqi_http_outcome *o)
{
	switch (r->result) {
	case CURLE_OPERATION_TIMEDOUT:
		o->code = AQ_ETIMEOUT, o->retry = 1;
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		o->code = AQ_EINVAL;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
		o->code = AQ_ETRANSPORT; /* retrying will not fix a certificate */
		break;
	case CURLE_WRITE_ERROR:
		/* the body callback refused the chunk that would pass the cap */
		if (r->body_len > 0 && r->body_len + CURL_MAX_WRITE_SIZE > AQI_HTTP_MAX_BODY) {
			o->reason = "the body is larger than " STR(AQI_HTTP_MAX_BODY_MB) " MB";
			o->code = AQ_EPROTO;
			break;
		}
		/* FALLTHROUGH */
	default:
		o->code = AQ_ETRANSPORT, o->retry = 1;
		break;
	}
}

void
aqi_http_outcome(const struct aqi_http_response *r, struct aqi_http_outcome *o)
{
	long st = r->status;

	memset(o, 0, sizeof *o);
	/* the headers of a response that broke off may be a proxy's */
	o->update = r->result == CURLE_OK && r->remaining >= 0;
	if (r->result != CURLE_OK) {
		transport(r, o);
		return;
	}
	if (st == 200) {
		o->page = 1;
		o->code = AQ_EPROTO, o->retry = 1; /* garbled in transit, most likely */
	} else if (st == 429) {
		/* the API sends no Retry-After, only x-ratelimit-reset */
		o->wait = r->reset > 0 && r->reset <= 3600 ? (double)r->reset : 60;
		o->code = AQ_ERATELIMIT;
	} else if (st == 408) {
		o->split = 1;
		o->code = AQ_ETIMEOUT, o->retry = 1;
	} else if (st >= 500)
		o->code = AQ_ESERVER, o->retry = 1;
	else if (st == 401 || st == 403)
		o->code = AQ_EAUTH;
	else if (st == 404)
		o->code = AQ_ENOTFOUND;
	else if (st >= 400)
		o->code = AQ_EHTTP;
	else
		o->code = AQ_EPROTO; /* 1xx, another 2xx, 3xx: not followed */
}
