/*
 * http-query.c: from a base URL, a path and NAME=VALUE parameters to the
 * request URL of each page.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-int.h"

const char *
aqi_http_base(char *base)
{
	size_t n = strlen(base);
	const char *p;

	while (n > 8 && base[n - 1] == '/')
		base[--n] = '\0';
	if ((p = strstr(base, "://")) == NULL)
		return "";
	p = strchr(p + 3, '/');
	return p != NULL ? p : "";
}

int
aqi_http_path(struct aqi_errbuf *e, const char *base_path, const char *path, const char **rel)
{
	/* "/v3/x", "v3/x", "/x", "x": relative to a base that ends in /v3 */
	while (*path == '/')
		path++;
	if (strcmp(base_path, "/v3") == 0 && strncmp(path, "v3", 2) == 0 &&
	    (path[2] == '/' || path[2] == '\0')) {
		path += 2;
		while (*path == '/')
			path++;
	}
	*rel = path;
	if (strpbrk(path, "?#") != NULL || strstr(path, "..") != NULL)
		return aqi_fail(e, AQ_EINVAL, "'%s': give query parameters as NAME=VALUE", path);
	return AQ_OK;
}

int
aqi_http_check_param(struct aqi_errbuf *e, const char *name)
{
	const char *p;

	if (name == NULL || !(*name >= 'a' && *name <= 'z'))
		return aqi_fail(e, AQ_EINVAL,
		    "'%s': a parameter name starts with a lower-case letter", name ? name : "");
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return aqi_fail(e, AQ_EINVAL,
			    "'%s': the API's parameter names are snake_case, and it silently "
			    "ignores any other name",
			    name);
	return AQ_OK;
}

int
aqi_url_encode(struct aq_buf *b, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char pct[3] = {'%', 0, 0};
	int rc = AQ_OK;

	for (p = (const unsigned char *)s; rc == AQ_OK && *p; p++) {
		if (aqi_url_unreserved(*p) || strchr(keep, *p) != NULL)
			rc = aq_buf_append(b, p, 1);
		else {
			pct[1] = hex[*p >> 4];
			pct[2] = hex[*p & 15];
			rc = aq_buf_append(b, pct, 3);
		}
	}
	return rc;
}

/* NAME=VALUE; the comma, which separates list items, reads better
 * unescaped. */
static int
add_param(struct aq_buf *q, const char *name, const char *value)
{
	int rc = aq_buf_printf(q, "%s%s=", q->len ? "&" : "", name);

	return rc == AQ_OK ? aqi_url_encode(q, value, ",") : rc;
}

int
aqi_http_query(struct aqi_errbuf *e, const char *const *params, struct aq_buf *q, unsigned *limit,
    int *fixed_limit, long *page, int *fixed_page)
{
	size_t i;

	for (i = 0; params != NULL && params[i] != NULL; i++) {
		const char *eq = strchr(params[i], '=');
		char name[128];
		size_t n;
		int rc;

		if (eq == NULL || (n = (size_t)(eq - params[i])) == 0 || n >= sizeof name)
			return aqi_fail(e, AQ_EINVAL, "'%s': a parameter is NAME=VALUE", params[i]);
		memcpy(name, params[i], n);
		name[n] = '\0';
		if ((rc = aqi_http_check_param(e, name)) != AQ_OK)
			return rc;
		if (strcmp(name, "limit") == 0) {
			char *end;
			unsigned long l = strtoul(eq + 1, &end, 10);

			if (*end != '\0' || l < 1 || l > 1000)
				return aqi_fail(e, AQ_EINVAL, "limit must be 1 to 1000");
			*limit = (unsigned)l;
			*fixed_limit = 1;
			continue;
		}
		if (strcmp(name, "page") == 0) {
			char *end;
			long pg = strtol(eq + 1, &end, 10);

			if (*end != '\0' || pg < 1)
				return aqi_fail(e, AQ_EINVAL, "page must be 1 or more");
			*page = pg;
			*fixed_page = 1;
			continue;
		}
		if (add_param(q, name, eq + 1) != AQ_OK)
			return aqi_fail(e, AQ_ENOMEM, "out of memory");
	}
	if (q->data == NULL && aq_buf_puts(q, "") != AQ_OK)
		return aqi_fail(e, AQ_ENOMEM, "out of memory");
	return AQ_OK;
}

static void
fmt_time(int64_t us, int date, char *buf, size_t size)
{
	char t[AQ_TIME_BUFSZ];

	if (aq_time_format(us - us % 1000000, t, sizeof t) == 0)
		snprintf(t, sizeof t, "0001-01-01T00:00:00Z");
	if (date)
		t[10] = '\0';
	snprintf(buf, size, "%s", t);
}

/* snprintf at offset n of buf, which may already be past its end. */
static int more(char *buf, size_t size, int n, const char *fmt, ...) AQI_PRINTF(4, 5);

static int
more(char *buf, size_t size, int n, const char *fmt, ...)
{
	va_list ap;
	int m;

	if (n < 0)
		return n;
	va_start(ap, fmt);
	m = size > (size_t)n ? vsnprintf(buf + n, size - (size_t)n, fmt, ap)
			     : vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	return m < 0 ? m : n + m;
}

int
aqi_http_url(const struct aqi_http_request *r, char *buf, size_t size)
{
	char a[AQ_TIME_BUFSZ], b[AQ_TIME_BUFSZ];
	const char *sep = *r->query ? "&" : "";
	int n;

	n = more(buf, size, 0, "%s%s?%s", r->base, r->path, r->query);
	if (r->family != 0) {
		int date = r->family == AQ_WINDOW_DATE;

		fmt_time(r->from, date, a, sizeof a);
		fmt_time(r->to, date, b, sizeof b);
		n = more(buf, size, n, "%s%s_from=%s&%s_to=%s", sep, date ? "date" : "datetime", a,
		    date ? "date" : "datetime", b);
		sep = "&";
	}
	n = more(buf, size, n, "%slimit=%u&page=%ld", sep, r->limit, r->page);
	return n > 0 && (size_t)n < size ? AQ_OK : AQ_EINVAL;
}
