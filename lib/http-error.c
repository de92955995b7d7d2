/*
 * http-error.c: the server's own words from an error body, whatever its
 * shape (VIOLATIONS.md: not only {"detail": ...}).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_parse.h>

#include "http-int.h"

/* pydantic's list: [{"loc": ["query", "limit"], "msg": "..."}, ...] as
 * "limit: ...; ...", the last loc component being the name. */
static void
from_list(const struct aq_value *d, char *out, size_t size)
{
	const struct aq_value *e, *x, *last;
	const char *msg, *name;
	size_t o = 0;

	for (e = aq_value_first(d); e != NULL && o + 1 < size; e = aq_value_next(e)) {
		last = NULL;
		for (x = aq_value_first(aq_value_get(e, "loc")); x != NULL; x = aq_value_next(x))
			last = x;
		name = aq_value_string(last, NULL);
		msg = aq_value_string(aq_value_get(e, "msg"), NULL);
		o += (size_t)snprintf(out + o, size - o, "%s%s%s%s", o ? "; " : "",
		    name ? name : "", name ? ": " : "", msg ? msg : "invalid");
	}
}

/* The text of a JSON body into out; out stays "" if it has none. */
static void
from_json(const char *body, size_t len, char *out, size_t size)
{
	struct aqi_builder b;
	yajl_handle y;
	const struct aq_value *v, *d;

	memset(&b, 0, sizeof b);
	b.arena.chunk_size = 4096;
	if ((y = yajl_alloc(&aqi_builder_callbacks, NULL, &b)) == NULL)
		goto out;
	/* a whole first value will do, whatever follows it */
	(void)yajl_parse(y, (const unsigned char *)body, len);
	(void)yajl_complete_parse(y);
	yajl_free(y);
	if ((v = b.root) == NULL || b.depth != 0)
		goto out;
	if (v->type == AQ_STRING) {
		snprintf(out, size, "%s", v->u.text); /* a bare JSON string */
	} else if (v->type == AQ_OBJECT) {
		if ((d = aq_value_get(v, "detail")) == NULL)
			d = aq_value_get(v, "message");
		if (aq_value_type(d) == AQ_STRING)
			snprintf(out, size, "%s", aq_value_string(d, NULL));
		else if (aq_value_type(d) == AQ_ARRAY)
			from_list(d, out, size);
	}
out:
	aqi_builder_free(&b);
}

/* Not JSON: an HTML page's title, or the start of the text, on one line;
 * returns its length (it may hold NUL bytes) and sets *cut when it is not
 * the whole of it. */
static size_t
from_text(const char *body, size_t len, char *out, size_t size, int *cut)
{
	const char *t = NULL, *te;
	size_t n, i, o = 0;

	for (i = 0; i + 7 <= len; i++)
		if (strncasecmp(body + i, "<title>", 7) == 0) {
			t = body + i + 7;
			break;
		}
	if (t != NULL && (te = memchr(t, '<', len - (size_t)(t - body))) != NULL)
		n = (size_t)(te - t);
	else {
		t = body;
		n = len;
	}
	if (n > 120) {
		n = 120;
		*cut = 1;
	}
	for (i = 0; i < n && o + 1 < size; i++)
		out[o++] = t[i] == '\n' || t[i] == '\r' || t[i] == '\t' ? ' ' : t[i];
	if (i < n)
		*cut = 1;
	out[o] = '\0';
	return o;
}

/* The length of the valid UTF-8 sequence at p (n bytes left), its code
 * point in *cp; 0 for an invalid one (overlong, a surrogate, past
 * U+10FFFF, cut short). */
static size_t
utf8_len(const unsigned char *p, size_t n, unsigned long *cp)
{
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, *cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, *cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, *cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))) ||
	    (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
		return 0;
	return len;
}

/* One byte as a visible escape into e (5 bytes); returns its length. */
static size_t
escape_byte(unsigned char ch, char *e)
{
	if (ch == '\n' || ch == '\r' || ch == '\t') {
		e[0] = '\\';
		e[1] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
		return 2;
	}
	snprintf(e, 5, "\\x%02x", ch);
	return 4;
}

/*
 * Server text as a terminal or a journal may show it: valid UTF-8 kept,
 * but control characters (C0, DEL and the C1 range U+0080-U+009F, which
 * some terminals obey as ESC sequences) and invalid bytes as escapes, so
 * that a body can neither move the cursor nor forge a line of its own.
 * Never cuts an escape or a character in two.
 */
static void
escape(const char *in, size_t n, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0, k, j, w;
	unsigned long cp = 0;
	char unit[16];

	while (i < n) {
		k = utf8_len(p + i, n - i, &cp);
		if (k > 0 && cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0)) {
			memcpy(unit, p + i, k);
			w = k;
		} else {
			if (k == 0)
				k = 1;
			for (j = w = 0; j < k; j++)
				w += escape_byte(p[i + j], unit + w);
		}
		if (o + w >= size)
			break;
		memcpy(out + o, unit, w);
		o += w;
		i += k;
	}
	out[o] = '\0';
}

/*
 * How many bytes at the start of s (n of them) spell key, as it is or
 * percent-encoded (enc; the hex digits in either case): the length of the
 * whole match (*whole set), or of a start of it that s ends in; 0 if s
 * does not begin with it.
 */
static size_t
spell(const char *s, size_t n, const char *key, int enc, int *whole)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *k;
	size_t i = 0, j;

	*whole = 0;
	for (k = (const unsigned char *)key; *k != '\0'; k++) {
		char e[3] = {(char)*k, '\0', '\0'};
		size_t w = 1;

		if (enc && !aqi_url_unreserved(*k)) {
			e[0] = '%';
			e[1] = hex[*k >> 4];
			e[2] = hex[*k & 15];
			w = 3;
		}
		for (j = 0; j < w; j++, i++) {
			if (i == n)
				return i;
			if ((w == 1 ? s[i] : tolower((unsigned char)s[i])) != e[j])
				return 0;
		}
	}
	*whole = 1;
	return i;
}

size_t
aqi_http_redact(char *buf, size_t len, size_t size, const char *key, int cut)
{
	static const char mark[] = "[key]";
	size_t i = 0, m = 0, r, rest;
	int enc, whole;

	if (key == NULL || *key == '\0' || size == 0)
		return len;
	while (i < len) {
		for (enc = 0; enc < 2; enc++)
			if ((m = spell(buf + i, len - i, key, enc, &whole)) > 0 && (whole || cut))
				break;
		if (enc == 2) {
			i++;
			continue;
		}
		r = sizeof mark - 1;
		if (i + r > size - 1)
			r = size - 1 - i;
		rest = len - i - m;
		if (i + r + rest > size - 1) {
			rest = size - 1 - i - r;
			cut = 1; /* what now ends the text may be a start of the key */
		}
		memmove(buf + i + r, buf + i + m, rest);
		memcpy(buf + i, mark, r);
		len = i + r + rest;
		i += r;
	}
	buf[len] = '\0';
	return len;
}

void
aqi_http_error_text(const char *body, size_t len, const char *key, char *out, size_t size)
{
	size_t rsize, n;
	char *raw;
	int cut;

	out[0] = '\0';
	if (len == 0) {
		snprintf(out, size, "(empty body)");
		return;
	}
	/* room for a key that starts in what out can show, in either form */
	rsize = size + 3 * (key != NULL ? strlen(key) : 0) + 1;
	if ((raw = malloc(rsize)) == NULL) {
		snprintf(out, size, "(out of memory)");
		return;
	}
	raw[0] = '\0';
	from_json(body, len, raw, rsize);
	n = strlen(raw);
	cut = n + 1 >= rsize;
	if (n == 0) {
		cut = 0;
		n = from_text(body, len, raw, rsize, &cut);
	}
	n = aqi_http_redact(raw, n, rsize, key, cut);
	escape(raw, n, out, size);
	free(raw);
}
