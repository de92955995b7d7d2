/*
 * json.c: the JSON text of strings and doubles, the one emitter that the
 * NDJSON writer and the tools' hand-built rows share.  Strings escape only
 * what RFC 8259 requires: '"', '\\' and the control bytes, with the short
 * escapes where JSON has them and \u00xx in lower-case hex (as the RFC's
 * examples) for the others; UTF-8 and '/' are copied raw.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq-int.h"

/* 0: copied; 'u': \u00xx; otherwise the letter after the backslash. */
/* clang-format off */
static const char esc[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
};
/* clang-format on */

int
aq_buf_json_string(struct aq_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t i, need;
	char *o;

	if (b == NULL || (s == NULL && len > 0))
		return AQ_EINVAL;
	if (len > SIZE_MAX - b->len - 3)
		return AQ_ENOMEM;	/* before reading bytes that cannot exist */
	/* the usual case: nothing to escape, one reservation, one copy */
	for (i = 0; i < len && esc[p[i]] == 0; i++)
		;
	need = len + 2;
	if (i < len)
		/* the exact size, so that a failure leaves b unchanged */
		for (; i < len; i++)
			if (esc[p[i]] != 0) {
				if (need > SIZE_MAX - 5)
					return AQ_ENOMEM;
				need += esc[p[i]] == 'u' ? 5 : 1;
			}
	if (aq_buf_reserve(b, need) != AQ_OK)
		return AQ_ENOMEM;
	o = b->data + b->len;
	*o++ = '"';
	if (need == len + 2) {
		if (len > 0)
			memcpy(o, s, len);
		o += len;
	} else
		for (; p < end; p++) {
			char e = esc[*p];

			if (e == 0)
				*o++ = (char)*p;
			else if (e != 'u') {
				*o++ = '\\';
				*o++ = e;
			} else {
				memcpy(o, "\\u00", 4);
				o[4] = hex[*p >> 4];
				o[5] = hex[*p & 15];
				o += 6;
			}
		}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->data);
	return AQ_OK;
}

size_t
aq_json_double(double d, char *buf, size_t size)
{
	char tmp[AQ_JSON_DOUBLE_BUFSZ];
	int n = 0, prec;

	if (buf == NULL || size == 0 || !isfinite(d))
		return 0;
	if (fabs(d) < 1e15 && d == (double)(int64_t)d && !(d == 0 && signbit(d))) {
		/* an integer below 10^15: what %.15g writes, without printf */
		char *p = tmp + sizeof tmp;
		int64_t v = (int64_t)d;
		uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

		do
			*--p = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (v < 0)
			*--p = '-';
		n = (int)(tmp + sizeof tmp - p);
		memmove(tmp, p, (size_t)n);
	} else
		/* the shortest of %.15g, %.16g, %.17g that reads back as d */
		for (prec = 15; prec <= 17; prec++) {
			n = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
	if (n <= 0 || (size_t)n >= size)
		return 0;
	memcpy(buf, tmp, (size_t)n);
	buf[n] = '\0';
	return (size_t)n;
}
