/*
 * utf8.c: the exact UTF-8 check (RFC 3629, Table 3-7 of the Unicode
 * standard): no overlong form, no UTF-16 surrogate, nothing above
 * U+10FFFF.  yajl's own check lets all three through.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "aq-int.h"

size_t
aq_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *start = p, *end = p + len;

	if (s == NULL)
		return 0;
	while (p < end) {
		unsigned c = *p;
		unsigned lo = 0x80, hi = 0xbf; /* the second byte's range */
		size_t n, k;

		if (c < 0x80) {
			/* ASCII, the usual case: 32 bytes a step, then eight */
			uint64_t w, w1, w2, w3;

			while (end - p >= 32) {
				memcpy(&w, p, 8);
				memcpy(&w1, p + 8, 8);
				memcpy(&w2, p + 16, 8);
				memcpy(&w3, p + 24, 8);
				if ((w | w1 | w2 | w3) & UINT64_C(0x8080808080808080))
					break;
				p += 32;
			}
			while (end - p >= 8) {
				memcpy(&w, p, 8);
				if (w & UINT64_C(0x8080808080808080))
					break;
				p += 8;
			}
			while (p < end && *p < 0x80)
				p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			if (c == 0xe0)
				lo = 0xa0; /* below: overlong */
			else if (c == 0xed)
				hi = 0x9f; /* above: surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			if (c == 0xf0)
				lo = 0x90; /* below: overlong */
			else if (c == 0xf4)
				hi = 0x8f; /* above: past U+10FFFF */
		} else
			break; /* a continuation byte, C0, C1 or F5-FF */
		if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
			break;
		for (k = 2; k < n; k++)
			if ((p[k] & 0xc0) != 0x80)
				break;
		if (k < n)
			break;
		p += n;
	}
	return (size_t)(p - start);
}

/* The value of the four hex digits at p, or -1. */
static long
hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

size_t
aqi_json_surrogates(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	long cp, lo;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		if (end - p < 6 || p[1] != 'u' || (cp = hex4(p + 2)) < 0) {
			p += end - p < 2 ? 1 : 2; /* another escape: yajl's to judge */
			continue;
		}
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return (size_t)(p - s);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
			    (lo = hex4(p + 8)) < 0xdc00 || lo > 0xdfff)
				return (size_t)(p - s);
			p += 12;
		} else
			p += 6;
	}
	return len;
}
