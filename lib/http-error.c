/*
 * http-error.c: the server's own words from an error body, whatever its
 * shape (VIOLATIONS.md: not only {"detail": ...}).
 */
#include "config.h"

#include <stdio.h>
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

/* Not JSON: an HTML page's title, or the start of the text, on one line. */
static void
from_text(const char *body, size_t len, char *out, size_t size)
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
	if (n > 120)
		n = 120;
	for (i = 0; i < n && o + 1 < size; i++) {
		if (t[i] == '\n' || t[i] == '\r' || t[i] == '\t')
			out[o++] = ' ';
		else if ((unsigned char)t[i] < 0x20)
			out[o++] = '?';
		else
			out[o++] = t[i];
	}
	out[o] = '\0';
}

void
aqi_http_error_text(const char *body, size_t len, char *out, size_t size)
{
	out[0] = '\0';
	if (len == 0) {
		snprintf(out, size, "(empty body)");
		return;
	}
	from_json(body, len, out, size);
	if (out[0] == '\0')
		from_text(body, len, out, size);
}
