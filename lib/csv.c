/*
 * csv.c: a streaming reader of the OpenAQ archive CSV, from a file
 * descriptor or from memory (an archive object already decompressed).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aq-int.h"

#define READ_CHUNK 65536
/* a record longer than this is an unterminated quote, not data */
#define MAXRECORD (1u << 20)

struct aq_csv {
	int fd;			/* -1: reading memory, or not open */
	const char *mem;	/* memory input: the whole of it */
	size_t memlen;
	int eof, bom;
	const char *name;
	char *name_copy;
	long line;		/* lines consumed */
	long rec_line;		/* the line the current record starts on */
	long number;		/* records so far in this input */
	char *buf;		/* READ_CHUNK bytes read from fd */
	const char *in;		/* the bytes being parsed: buf or mem */
	size_t pos, end;
	struct aq_buf text;	/* the fields, each NUL-terminated */
	struct aq_buf raw;	/* the record as read */
	size_t *start, *len;	/* per field: offset in text, length */
	unsigned char *quoted;
	size_t nfields, cap;
	struct aqi_errbuf err;
	char why[160];		/* the last AQ_ETYPE: what is wrong */
	int (*refill)(void *);
	void *refill_arg;
};

struct aq_csv *
aq_csv_new(void)
{
	struct aq_csv *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->fd = -1;
	c->name = "<stdin>";
	return c;
}

void
aq_csv_free(struct aq_csv *c)
{
	if (c == NULL)
		return;
	aq_buf_free(&c->text);
	aq_buf_free(&c->raw);
	free(c->start);
	free(c->len);
	free(c->quoted);
	free(c->name_copy);
	free(c->buf);
	free(c);
}

void
aq_csv_set_errbuf(struct aq_csv *c, char *buf, size_t size)
{
	aqi_errbuf_set(&c->err, buf, size);
}

void
aq_csv_set_refill(struct aq_csv *c, int (*fn)(void *), void *arg)
{
	c->refill = fn;
	c->refill_arg = arg;
}

static int
start(struct aq_csv *c, const char *name)
{
	char *copy = NULL;

	if (name != NULL && strcmp(name, "-") != 0 && (copy = strdup(name)) == NULL)
		return AQ_ENOMEM;
	free(c->name_copy);
	c->name_copy = copy;
	c->name = copy ? copy : "<stdin>";
	c->eof = 0;
	c->bom = 1;
	c->line = c->rec_line = c->number = 0;
	c->pos = c->end = 0;
	c->nfields = 0;
	aq_buf_reset(&c->text);
	aq_buf_reset(&c->raw);
	return AQ_OK;
}

int
aq_csv_open(struct aq_csv *c, int fd, const char *name)
{
	int rc;

	if (c == NULL || fd < 0)
		return AQ_EINVAL;
	if (c->buf == NULL && (c->buf = malloc(READ_CHUNK)) == NULL)
		return AQ_ENOMEM;
	if ((rc = start(c, name)) != AQ_OK)
		return rc;
	c->fd = fd;
	c->mem = NULL;
	c->in = c->buf;
	return AQ_OK;
}

int
aq_csv_open_mem(struct aq_csv *c, const char *data, size_t len, const char *name)
{
	int rc;

	if (c == NULL || (data == NULL && len > 0))
		return AQ_EINVAL;
	if ((rc = start(c, name)) != AQ_OK)
		return rc;
	c->fd = -1;
	c->mem = data ? data : "";
	c->memlen = len;
	c->in = c->mem;
	c->end = len;
	c->eof = 1;		/* nothing to read past the memory */
	return AQ_OK;
}

/* Room for field n; AQ_ENOMEM or AQ_OK. */
static int
field_slot(struct aq_csv *c, size_t n)
{
	if (n < c->cap)
		return AQ_OK;
	{
		size_t cap = c->cap ? c->cap * 2 : 16;
		size_t *s = realloc(c->start, cap * sizeof *s);

		if (s == NULL)
			return AQ_ENOMEM;
		c->start = s;
		if ((s = realloc(c->len, cap * sizeof *s)) == NULL)
			return AQ_ENOMEM;
		c->len = s;
		{
			unsigned char *q = realloc(c->quoted, cap);

			if (q == NULL)
				return AQ_ENOMEM;
			c->quoted = q;
		}
		c->cap = cap;
	}
	return AQ_OK;
}

/*
 * Parse one record out of raw (the record's bytes, line end excluded,
 * quoted line ends included) into fields.  Quoting: '"' opens a quoted
 * part, "" inside it is a quote; a backslash escapes the next byte,
 * quoted or not (the archive's Athena table says ESCAPED BY '\\').
 */
static int
split(struct aq_csv *c)
{
	const char *p = c->raw.data, *end = p + c->raw.len;
	int in_quotes = 0, after_quote = 0, quoted = 0;
	size_t n = 0;

	aq_buf_reset(&c->text);
	if (aq_buf_reserve(&c->text, c->raw.len + 1) != AQ_OK || field_slot(c, 0) != AQ_OK)
		return AQ_ENOMEM;
	c->start[0] = 0;
	for (; p < end; p++) {
		char ch = *p;

		if (ch == '\\' && p + 1 < end) {
			c->text.data[c->text.len++] = *++p;
			after_quote = 0;
		} else if (in_quotes) {
			if (ch == '"')
				in_quotes = 0, after_quote = 1;
			else
				c->text.data[c->text.len++] = ch;
		} else if (ch == '"') {
			if (after_quote)
				c->text.data[c->text.len++] = '"';	/* "" inside quotes */
			in_quotes = quoted = 1;
		} else if (ch == ',') {
			c->len[n] = c->text.len - c->start[n];
			c->quoted[n] = (unsigned char)quoted;
			c->text.data[c->text.len++] = '\0';
			if (field_slot(c, ++n) != AQ_OK)
				return AQ_ENOMEM;
			c->start[n] = c->text.len;
			quoted = after_quote = 0;
		} else {
			after_quote = 0;
			c->text.data[c->text.len++] = ch;
		}
	}
	c->len[n] = c->text.len - c->start[n];
	c->quoted[n] = (unsigned char)quoted;
	c->text.data[c->text.len] = '\0';
	c->nfields = n + 1;
	return AQ_OK;
}

/*
 * The end of the record that ends at in[i] (a newline outside quotes), or
 * SIZE_MAX.  *state carries the quote and escape state across chunks:
 * bit 0 inside quotes, bit 1 after a backslash.
 */
static size_t
record_end(const char *in, size_t i, size_t end, unsigned *state, long *newlines)
{
	unsigned st = *state;

	for (; i < end; i++) {
		char ch = in[i];

		if (st & 2) {
			st &= ~2u;
			if (ch == '\n')
				++*newlines;
			continue;
		}
		if (ch == '\\')
			st |= 2;
		else if (ch == '"')
			st ^= 1;
		else if (ch == '\n') {
			if (!(st & 1)) {
				*state = st;
				return i;
			}
			++*newlines;
		}
	}
	*state = st;
	return SIZE_MAX;
}

/*
 * Every field is well-formed UTF-8, or the record is AQ_ETYPE.  The
 * record as read is checked first, in one pass that is quick for ASCII:
 * the fields are its bytes less some ASCII ones (quotes, backslashes,
 * commas), so when it is valid they all are.
 */
static int
check_utf8(struct aq_csv *c)
{
	size_t i, ok;

	if (aq_utf8_valid(c->raw.data, c->raw.len) == c->raw.len)
		return AQ_OK;
	for (i = 0; i < c->nfields; i++) {
		const char *f = c->text.data + c->start[i];

		if ((ok = aq_utf8_valid(f, c->len[i])) < c->len[i]) {
			snprintf(c->why, sizeof c->why, "field %zu: invalid UTF-8 (an "
			    "ill-formed sequence at byte 0x%02x, byte %zu of the field)", i + 1,
			    (unsigned char)f[ok], ok + 1);
			c->nfields = 0;
			return aqi_fail(&c->err, AQ_ETYPE, "%s:%ld: %s", c->name, c->rec_line,
			    c->why);
		}
	}
	/* bytes that only quotes or escapes split: the fields are whole */
	return AQ_OK;
}

int
aq_csv_next(struct aq_csv *c)
{
	unsigned state = 0;
	ssize_t n;
	int rc;

	if (c == NULL || (c->fd < 0 && c->mem == NULL))
		return AQ_EINVAL;
	if (c->raw.cap > MAXRECORD && c->raw.len == 0)
		aq_buf_free(&c->raw);
	aq_buf_reset(&c->raw);
	c->nfields = 0;
	c->why[0] = '\0';
	for (;;) {
		long nl = 0;
		size_t at = c->pos, e;

		if (c->bom && c->pos == 0 && c->end > 0) {
			/* a byte order mark at the start of an input */
			if (c->end >= 3 && memcmp(c->in, "\xef\xbb\xbf", 3) == 0)
				c->pos = at = 3;
			c->bom = 0;
		}
		if (c->pos < c->end) {
			if (c->raw.len == 0)
				c->rec_line = c->line + 1;
			e = record_end(c->in, c->pos, c->end, &state, &nl);
			c->line += nl;
			rc = aq_buf_append(&c->raw, c->in + at, (e == SIZE_MAX ? c->end : e) - at);
			if (rc != AQ_OK)
				return aqi_fail(&c->err, rc, "%s:%ld: out of memory", c->name,
				    c->rec_line);
			if (c->raw.len > MAXRECORD)
				return aqi_fail(&c->err, AQ_ERANGE, "%s:%ld: record longer than %u "
				    "bytes (an unterminated quote?)", c->name, c->rec_line,
				    MAXRECORD);
			if (e != SIZE_MAX) {
				c->pos = e + 1;
				c->line++;
				if (c->raw.len > 0 && c->raw.data[c->raw.len - 1] == '\r')
					c->raw.len--;
				if (c->raw.len == 0) {
					/* a blank line */
					state = 0;
					continue;
				}
				goto record;
			}
			c->pos = c->end;
		}
		if (c->eof) {
			if (c->raw.len == 0)
				return AQ_EOF;
			/* the last record has no newline */
			c->line++;
			if (c->raw.data[c->raw.len - 1] == '\r')
				c->raw.len--;
			if (c->raw.len == 0)
				return AQ_EOF;
			goto record;
		}
		do {
			if (c->refill != NULL && c->refill(c->refill_arg) != 0)
				return aqi_fail(&c->err, AQ_ECANCELED, "%s: reading stopped",
				    c->name);
			n = read(c->fd, c->buf, READ_CHUNK);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return aqi_fail(&c->err, AQ_EIO, "%s: read: %s", c->name,
			    strerror(errno));
		c->pos = 0;
		c->end = (size_t)n;
		if (n == 0)
			c->eof = 1;
	}
record:
	c->raw.data[c->raw.len] = '\0';
	if ((rc = split(c)) != AQ_OK)
		return aqi_fail(&c->err, rc, "%s:%ld: out of memory", c->name, c->rec_line);
	c->number++;
	return check_utf8(c);
}

size_t
aq_csv_fields(const struct aq_csv *c)
{
	return c->nfields;
}

const char *
aq_csv_field(const struct aq_csv *c, size_t i, size_t *len)
{
	if (i >= c->nfields) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = c->len[i];
	return c->text.data + c->start[i];
}

int
aq_csv_quoted(const struct aq_csv *c, size_t i)
{
	return i < c->nfields && c->quoted[i];
}

long
aq_csv_line(const struct aq_csv *c)
{
	return c->rec_line;
}

long
aq_csv_number(const struct aq_csv *c)
{
	return c->number;
}

const char *
aq_csv_name(const struct aq_csv *c)
{
	return c->name;
}

const char *
aq_csv_error(const struct aq_csv *c)
{
	return c->why;
}

const char *
aq_csv_raw(const struct aq_csv *c, size_t *len)
{
	if (len != NULL)
		*len = c->raw.len;
	return c->raw.data ? c->raw.data : "";
}

/* ---- the archive's columns ---- */

static const char *const archive_names[AQ_ARCHIVE_NCOLS][2] = {
	[AQ_ARCHIVE_LOCATION_ID] = {"location_id", NULL},
	[AQ_ARCHIVE_SENSORS_ID] = {"sensors_id", "sensor_id"},
	[AQ_ARCHIVE_LOCATION] = {"location", NULL},
	[AQ_ARCHIVE_DATETIME] = {"datetime", NULL},
	[AQ_ARCHIVE_LAT] = {"lat", NULL},
	[AQ_ARCHIVE_LON] = {"lon", NULL},
	[AQ_ARCHIVE_PARAMETER] = {"parameter", NULL},
	[AQ_ARCHIVE_UNITS] = {"units", "unit"},
	[AQ_ARCHIVE_VALUE] = {"value", NULL},
};

const char *
aq_archive_column_name(int col)
{
	return col >= 0 && col < AQ_ARCHIVE_NCOLS ? archive_names[col][0] : NULL;
}

int
aq_csv_archive_header(const struct aq_csv *c, int col[AQ_ARCHIVE_NCOLS])
{
	int map[AQ_ARCHIVE_NCOLS];
	size_t i, k;

	for (k = 0; k < AQ_ARCHIVE_NCOLS; k++)
		map[k] = -1;
	for (i = 0; i < c->nfields; i++) {
		const char *f = c->text.data + c->start[i];

		for (k = 0; k < AQ_ARCHIVE_NCOLS; k++)
			if (strcmp(f, archive_names[k][0]) == 0 ||
			    (archive_names[k][1] != NULL && strcmp(f, archive_names[k][1]) == 0)) {
				map[k] = (int)i;
				break;
			}
	}
	if (map[AQ_ARCHIVE_SENSORS_ID] < 0 || map[AQ_ARCHIVE_DATETIME] < 0 ||
	    map[AQ_ARCHIVE_VALUE] < 0)
		return 0;
	if (col != NULL)
		memcpy(col, map, sizeof map);
	return 1;
}
