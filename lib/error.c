/* error.c: aq_strerror() and the detail-buffer plumbing. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

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
