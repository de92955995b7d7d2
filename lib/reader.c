/* reader.c: the streaming NDJSON reader. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "aq-int.h"

#define READ_CHUNK 65536
/* a line longer than this leaves its buffer to be freed afterwards */
#define KEEP_LINE (1u << 20)

struct aq_reader {
	int fd;
	int eof;
	const char *name;
	char *name_copy;
	long line;
	char *buf;		/* READ_CHUNK bytes read from fd */
	size_t pos, end;
	struct aq_buf carry;	/* a line that spans chunks */
	const char *raw;	/* the current line */
	size_t rawlen;
	yajl_handle yajl;
	struct aqi_builder b;
	struct aqi_skipset *skip;	/* members left out of records */
	struct aqi_errbuf err;
	size_t errcol;		/* the last AQ_EJSON error: its column, its text */
	char why[320];
	int (*refill)(void *);
	void *refill_arg;
};

struct aq_reader *
aq_reader_new(void)
{
	struct aq_reader *r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	if ((r->buf = malloc(READ_CHUNK)) == NULL) {
		free(r);
		return NULL;
	}
	r->fd = -1;
	r->name = "<stdin>";
	return r;
}

void
aq_reader_free(struct aq_reader *r)
{
	if (r == NULL)
		return;
	if (r->yajl != NULL)
		yajl_free(r->yajl);
	aqi_builder_free(&r->b);
	aqi_skip_free(r->skip);
	aq_buf_free(&r->carry);
	free(r->name_copy);
	free(r->buf);
	free(r);
}

void
aq_reader_set_errbuf(struct aq_reader *r, char *buf, size_t size)
{
	aqi_errbuf_set(&r->err, buf, size);
}

void
aq_reader_set_refill(struct aq_reader *r, int (*fn)(void *), void *arg)
{
	r->refill = fn;
	r->refill_arg = arg;
}

int
aq_reader_skip(struct aq_reader *r, const char *path)
{
	int rc;

	if (r == NULL || path == NULL)
		return AQ_EINVAL;
	if ((rc = aqi_skip_add(&r->skip, path)) != AQ_OK)
		return aqi_fail(&r->err, rc, "%s: %s", path, rc == AQ_EINVAL ?
		    "not a member path" : "out of memory");
	r->b.skip = r->skip;
	return AQ_OK;
}

int
aq_reader_open(struct aq_reader *r, int fd, const char *name)
{
	char *copy = NULL;

	if (r == NULL || fd < 0)
		return AQ_EINVAL;
	if (name != NULL && strcmp(name, "-") != 0 &&
	    (copy = strdup(name)) == NULL)
		return AQ_ENOMEM;
	free(r->name_copy);
	r->name_copy = copy;
	r->name = copy ? copy : "<stdin>";
	r->fd = fd;
	r->eof = 0;
	r->line = 0;
	r->pos = r->end = 0;
	aq_buf_reset(&r->carry);
	r->raw = NULL;
	r->rawlen = 0;
	return AQ_OK;
}

long
aq_reader_line(const struct aq_reader *r)
{
	return r->line;
}

const char *
aq_reader_name(const struct aq_reader *r)
{
	return r->name;
}

long
aq_reader_column(const struct aq_reader *r)
{
	return (long)r->errcol;
}

const char *
aq_reader_error(const struct aq_reader *r)
{
	return r->why;
}

const char *
aq_reader_raw(const struct aq_reader *r, size_t *len)
{
	if (len != NULL)
		*len = r->rawlen;
	return r->raw ? r->raw : "";
}

/* A short, printable excerpt of the line at byte off, for messages. */
static void
excerpt(const char *s, size_t len, size_t off, char *out, size_t size)
{
	size_t i, o = 0;

	if (off > len)
		off = len;
	for (i = off; i < len && o + 5 < size && i < off + 24; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = (c < 0x20 || c == 0x7f || c >= 0x80) ? '?' : (char)c;
	}
	if (i < len && o + 4 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* The line is not JSON at byte col (0 the first): AQ_EJSON, saying why. */
static int
refuse(struct aq_reader *r, size_t col)
{
	r->errcol = col + 1;
	return aqi_fail(&r->err, AQ_EJSON, "%s:%ld:%zu: %s", r->name, r->line, col + 1,
	    r->why);
}

/*
 * What yajl lets through: ill-formed UTF-8 (it checks lead and
 * continuation bytes, not overlong forms, surrogates or the end of
 * Unicode), and vertical tab and form feed as white space (RFC 8259 has
 * only space, tab, LF and CR).  UTF-8 is checked before the parse,
 * which then sees only valid text; VT and FF after a parse that
 * succeeded, when any of them can only be outside a string (inside one
 * they are control characters, which yajl refuses).
 */
static int
check_utf8(struct aq_reader *r)
{
	size_t ok = aq_utf8_valid(r->raw, r->rawlen);

	if (ok == r->rawlen)
		return AQ_OK;
	snprintf(r->why, sizeof r->why, "invalid JSON: invalid UTF-8 (an ill-formed "
	    "sequence at byte 0x%02x)", (unsigned char)r->raw[ok]);
	return refuse(r, ok);
}

/* \u escapes of lone UTF-16 surrogates, which yajl would decode into
 * ill-formed UTF-8 or into another character: only a line with a
 * backslash can have one. */
static int
check_escapes(struct aq_reader *r)
{
	size_t at;

	if (memchr(r->raw, '\\', r->rawlen) == NULL ||
	    (at = aqi_json_surrogates(r->raw, r->rawlen)) == r->rawlen)
		return AQ_OK;
	snprintf(r->why, sizeof r->why,
	    "invalid JSON: a \\u escape of a lone UTF-16 "
	    "surrogate (not a character)");
	return refuse(r, at);
}

static int
check_space(struct aq_reader *r)
{
	const char *vt = memchr(r->raw, '\v', r->rawlen);
	const char *ff = memchr(r->raw, '\f', vt ? (size_t)(vt - r->raw) : r->rawlen);
	const char *at = ff ? ff : vt;

	if (at == NULL)
		return AQ_OK;
	snprintf(r->why, sizeof r->why, "invalid JSON: %s outside a string "
	    "(JSON white space is only space, tab, LF and CR)", at == ff ?
	    "form feed" : "vertical tab");
	return refuse(r, (size_t)(at - r->raw));
}

static int
parse_line(struct aq_reader *r, const struct aq_value **rec)
{
	static const unsigned char sep[] = " ", nl[] = "\n";
	yajl_status st;
	const char *why = NULL;
	size_t col;
	char *text;
	int rc, closed;

	aqi_builder_reset(&r->b);
	if ((rc = check_utf8(r)) != AQ_OK || (rc = check_escapes(r)) != AQ_OK)
		return rc;
	/* the tree points into a copy of the line: raw stays as it came */
	if ((text = aqi_arena_strdup(&r->b.arena, r->raw, r->rawlen)) == NULL)
		return aqi_fail(&r->err, AQ_ENOMEM, "%s:%ld: out of memory", r->name,
		    r->line);
	aqi_builder_insitu(&r->b, text, r->rawlen);
	if (r->yajl == NULL) {
		r->yajl = yajl_alloc(&aqi_builder_callbacks, NULL, &r->b);
		if (r->yajl == NULL)
			return aqi_fail(&r->err, AQ_ENOMEM, "%s:%ld: out of memory",
			    r->name, r->line);
		yajl_config(r->yajl, yajl_allow_multiple_values, 1);
		/* check_utf8() has passed the line, with a stricter check
		 * than yajl's: its lexer need not look again */
		yajl_config(r->yajl, yajl_dont_validate_strings, 1);
	}
	r->b.hand = r->yajl;
	st = yajl_parse(r->yajl, (const unsigned char *)text, r->rawlen);
	/* a space ends a trailing number, as a newline would; a line whose
	 * object closed at its last byte has none (its last byte may be a
	 * '}' inside a string opened after the object: "{}\"}") */
	closed = r->b.depth == 0 && r->b.values == 1 && r->b.root_end == r->rawlen;
	if (st == yajl_status_ok && !closed)
		st = yajl_parse(r->yajl, sep, 1);
	/* a string opened after the object ("{}\"x") is still in yajl's
	 * lexer, waiting, and the space went into it: a newline, which no
	 * string may hold, makes that an error (and is white space
	 * otherwise); the line then ends inside a value */
	if (st == yajl_status_ok && r->b.depth == 0 && r->b.values == 1 &&
	    !r->b.not_object && (closed ||
	    yajl_parse(r->yajl, nl, 1) == yajl_status_ok)) {
		if ((rc = check_space(r)) != AQ_OK)
			return rc;
		*rec = r->b.root;
		return AQ_OK;
	}

	col = yajl_get_bytes_consumed(r->yajl);
	if (col > r->rawlen)
		col = r->rawlen;
	if (r->b.not_object)
		why = "not a JSON object";
	else if (r->b.values > 1)
		why = "more than one JSON value on the line";
	else if (st == yajl_status_ok)
		why = "the line ends inside a JSON value", col = r->rawlen;
	else if (r->b.too_deep)
		/* yajl has consumed the bracket that opens one level too many */
		why = "nested deeper than " AQI_STR(AQ_JSON_MAX_DEPTH) " levels",
		col = col > 0 ? col - 1 : 0;
	else if (st == yajl_status_client_canceled)
		why = NULL;	/* out of memory in a callback */

	if (st == yajl_status_client_canceled && why == NULL) {
		yajl_free(r->yajl);
		r->b.hand = NULL;
		r->yajl = NULL;
		return aqi_fail(&r->err, AQ_ENOMEM, "%s:%ld: out of memory",
		    r->name, r->line);
	}
	if (why == NULL) {
		unsigned char *msg = yajl_get_error(r->yajl, 0, NULL, 0);
		char near[32];
		size_t n = msg ? strlen((char *)msg) : 0;

		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		excerpt(r->raw, r->rawlen, col, near, sizeof near);
		snprintf(r->why, sizeof r->why, "invalid JSON: %s%s%s%s",
		    msg ? (char *)msg : "parse error", *near ? " near '" : "", near,
		    *near ? "'" : "");
		if (msg != NULL)
			yajl_free_error(r->yajl, msg);
	} else
		snprintf(r->why, sizeof r->why, "invalid %s: %s", r->b.too_deep ?
		    "JSON" : "NDJSON", why);
	/* the handle may be mid-value or in error: start afresh next line */
	yajl_free(r->yajl);
	r->b.hand = NULL;
	r->yajl = NULL;
	return refuse(r, col);
}

/* Is the line only JSON white space? */
static int
blank(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n == 0;
}

int
aq_reader_next(struct aq_reader *r, const struct aq_value **rec)
{
	char *nl;
	ssize_t n;
	int rc;

	if (r == NULL || rec == NULL || r->fd < 0)
		return AQ_EINVAL;
	*rec = NULL;
	r->errcol = 0;
	r->why[0] = '\0';
	if (r->carry.cap > KEEP_LINE && r->carry.len == 0)
		aq_buf_free(&r->carry);
	for (;;) {
		if (r->pos < r->end) {
			nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
			if (nl != NULL) {
				size_t len = (size_t)(nl - (r->buf + r->pos));

				r->line++;
				if (r->carry.len > 0) {
					rc = aq_buf_append(&r->carry, r->buf + r->pos, len);
					r->pos += len + 1;
					if (rc != AQ_OK)
						return aqi_fail(&r->err, rc, "%s:%ld: line too long for memory",
						    r->name, r->line);
					r->raw = r->carry.data;
					r->rawlen = r->carry.len;
					/* no NUL written: raw lives until the next call */
					r->carry.len = 0;
				} else {
					r->raw = r->buf + r->pos;
					r->rawlen = len;
					r->pos += len + 1;
				}
				if (r->rawlen > 0 && r->raw[r->rawlen - 1] == '\r')
					r->rawlen--;
				if (blank(r->raw, r->rawlen))
					continue;
				return parse_line(r, rec);
			}
			rc = aq_buf_append(&r->carry, r->buf + r->pos, r->end - r->pos);
			r->pos = r->end;
			if (rc != AQ_OK)
				return aqi_fail(&r->err, rc, "%s:%ld: line too long for memory",
				    r->name, r->line + 1);
		}
		if (r->eof) {
			if (r->carry.len == 0)
				return AQ_EOF;
			/* the last line has no newline */
			r->line++;
			r->raw = r->carry.data;
			r->rawlen = r->carry.len;
			r->carry.len = 0;
			if (r->rawlen > 0 && r->raw[r->rawlen - 1] == '\r')
				r->rawlen--;
			if (blank(r->raw, r->rawlen))
				return AQ_EOF;
			return parse_line(r, rec);
		}
		do {
			if (r->refill != NULL && r->refill(r->refill_arg) != 0)
				return aqi_fail(&r->err, AQ_ECANCELED, "%s: reading stopped",
				    r->name);
			n = read(r->fd, r->buf, READ_CHUNK);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return aqi_fail(&r->err, AQ_EIO, "%s: read: %s", r->name,
			    strerror(errno));
		r->pos = 0;
		r->end = (size_t)n;
		if (n == 0)
			r->eof = 1;
	}
}
