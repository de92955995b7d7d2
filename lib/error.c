/* error.c: aq_strerror() and the detail-buffer plumbing. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <math.h>
#include <time.h>

#include "aq-int.h"

static const char *const messages[] = {
	[AQ_OK] = "success",
	[AQ_EOF] = "end of input",
	[AQ_ENOMEM] = "out of memory",
	[AQ_EINVAL] = "invalid argument",
	[AQ_EIO] = "input/output error",
	[AQ_EJSON] = "input is not one valid JSON object a line",
	[AQ_ETYPE] = "a value does not have the expected type",
	[AQ_ERANGE] = "a value is out of range",
	[AQ_ETRANSPORT] = "the network transfer failed",
	[AQ_ETIMEOUT] = "the transfer timed out",
	[AQ_EHTTP] = "the API refused the request",
	[AQ_EAUTH] = "the API key was missing or refused",
	[AQ_ENOTFOUND] = "the API has no such resource",
	[AQ_ERATELIMIT] = "the API rate limit was exceeded",
	[AQ_ESERVER] = "the API server failed",
	[AQ_EPROTO] = "the API answered with an unexpected response",
	[AQ_EDBCONN] = "cannot connect to the database",
	[AQ_EDB] = "the database refused a statement",
	[AQ_EDATA] = "the database refused a row",
	[AQ_ECANCELED] = "the operation was canceled",
	[AQ_ESTATE] = "the shared rate-limit state cannot be used",
	[AQ_ESCHEMA] = "the database schema is missing or out of date",
	[AQ_EDBTEMP] = "the database kept failing for a passing reason",
};

const char *
aq_strerror(int code)
{
	if (code < 0 || (size_t)code >= sizeof messages / sizeof messages[0] ||
	    messages[code] == NULL)
		return "unknown error code";
	return messages[code];
}

const char *
aq_version(void)
{
	return PACKAGE_VERSION;
}

int
aqi_vfail(struct aqi_errbuf *e, int code, const char *fmt, va_list ap)
{
	int saved = errno;

	if (e != NULL && e->buf != NULL && e->size > 0)
		vsnprintf(e->buf, e->size, fmt, ap);
	errno = saved;
	return code;
}

int
aqi_fail(struct aqi_errbuf *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	aqi_vfail(e, code, fmt, ap);
	va_end(ap);
	return code;
}

void
aqi_errbuf_set(struct aqi_errbuf *e, char *buf, size_t size)
{
	e->buf = buf;
	e->size = size;
	if (buf != NULL && size > 0)
		buf[0] = '\0';
}

void
aqi_logf(void (*fn)(void *, const char *), void *arg, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fn(arg, line);
}

double
aqi_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double
aqi_backoff(unsigned *rng, double first, double max, unsigned n)
{
	double d = first * pow(2, n < 1 ? 0 : n > 31 ? 30 : n - 1);

	if (d > max)
		d = max;
	*rng = *rng * 1103515245u + 12345u;
	return d / 2 + d / 2 * ((*rng >> 8) & 0xffff) / 65535.0;
}
