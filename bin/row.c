/* row.c: flat JSON rows built by hand in an aq_buf (aq-norm, aq-dims). */
#include "config.h"

#include <string.h>

#include "cli.h"
#include "row.h"

void
rows_nomem(void)
{
	cli_errx(EX_SOFTWARE, "out of memory");
}

static inline void
putc1(struct aq_buf *b, char c)
{
	row_raw(b, &c, 1);
}

void
row_begin(struct aq_buf *b)
{
	aq_buf_reset(b);
	putc1(b, '{');
}

static void
key(struct aq_buf *b, const char *k)
{
	size_t n = strlen(k);

	/* one reservation, then plain stores: rows are built by the million */
	if (b->cap - b->len <= n + 4 && aq_buf_reserve(b, n + 5) != AQ_OK)
		rows_nomem();
	if (b->data[b->len - 1] != '{')
		b->data[b->len++] = ',';
	b->data[b->len++] = '"';
	memcpy(b->data + b->len, k, n);
	b->len += n;
	b->data[b->len++] = '"';
	b->data[b->len++] = ':';
	b->data[b->len] = '\0';
}

void
val_str(struct aq_buf *b, const char *s, size_t len)
{
	if (s == NULL)
		row_raw(b, "null", 4);
	else if (aq_buf_json_string(b, s, len) != AQ_OK)
		rows_nomem();
}

void
row_str(struct aq_buf *b, const char *k, const char *s, size_t len)
{
	key(b, k);
	val_str(b, s, len);
}

void
row_cstr(struct aq_buf *b, const char *k, const char *s)
{
	row_str(b, k, s, s ? strlen(s) : 0);
}

void
row_null(struct aq_buf *b, const char *k)
{
	key(b, k);
	row_raw(b, "null", 4);
}

void
val_int(struct aq_buf *b, int64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	row_raw(b, p, (size_t)(buf + sizeof buf - p));
}

void
row_int(struct aq_buf *b, const char *k, int64_t v)
{
	key(b, k);
	val_int(b, v);
}

void
row_oint(struct aq_buf *b, const char *k, int has, int64_t v)
{
	if (has)
		row_int(b, k, v);
	else
		row_null(b, k);
}

void
val_num(struct aq_buf *b, const char *text, size_t len)
{
	if (text == NULL)
		row_raw(b, "null", 4);
	else
		row_raw(b, text, len);
}

void
row_num(struct aq_buf *b, const char *k, const char *text, size_t len)
{
	key(b, k);
	val_num(b, text, len);
}

void
val_double(struct aq_buf *b, double d)
{
	char buf[AQ_JSON_DOUBLE_BUFSZ];
	size_t n = aq_json_double(d, buf, sizeof buf);

	if (n == 0)
		row_raw(b, "null", 4);	/* NaN or infinity: JSON has no text */
	else
		row_raw(b, buf, n);
}

void
row_double(struct aq_buf *b, const char *k, double d)
{
	key(b, k);
	val_double(b, d);
}

void
row_bool(struct aq_buf *b, const char *k, int v)
{
	key(b, k);
	val_bool(b, v);
}

void
val_bool(struct aq_buf *b, int v)
{
	if (v < 0)
		row_raw(b, "null", 4);
	else if (v)
		row_raw(b, "true", 4);
	else
		row_raw(b, "false", 5);
}

void
row_end(struct aq_buf *b)
{
	row_raw(b, "}\n", 2);
}

int
row_write(const struct aq_buf *b, FILE *fp)
{
	if (b->len > 0 && fwrite(b->data, 1, b->len, fp) != b->len)
		return cli_stdout_failed();
	return 0;
}
