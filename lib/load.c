/*
 * load.c: the PostgreSQL loader's handle, and its batches.
 *
 * Rows are encoded for COPY (copy-binary.c where the table's types allow,
 * else copy-text.c) as they are added and streamed
 * to the server at once, so that the server works while we parse the next
 * rows.  The batch's COPY data and each row's JSON stay in memory until the
 * batch is committed: when the server refuses the batch, they let us find
 * the bad rows without losing the good ones (load-recover.c).
 *
 * Every mode first COPYs the batch straight into the target: when every
 * row is new (a first load, a new period) that is all, and as fast as
 * COPY.  When the COPY fails (a key that exists, a bad row) or the batch
 * repeats a key, the batch is redone in a fresh transaction through a
 * temporary staging table (the target's columns and constraints, plus
 * aq_ord, the row's place in the batch), bad rows rejected, then merged
 * with one INSERT ... SELECT DISTINCT ON (key) ... ON CONFLICT (load-sql.c).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "load-int.h"

#define SEND_CHUNK 65536

/* ---- small helpers ---- */

int
aqi_load_fail(struct aq_loader *l, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	aqi_vfail(&l->err, code, fmt, ap);
	va_end(ap);
	return code;
}

const char *
aqi_load_pqmsg(const char *m)
{
	static _Thread_local char buf[512];
	size_t n;

	if (m == NULL || *m == '\0')
		return "unknown error";
	snprintf(buf, sizeof buf, "%s", m);
	n = strcspn(buf, "\n");
	buf[n] = '\0';
	if (strncmp(buf, "ERROR:  ", 8) == 0)
		memmove(buf, buf + 8, strlen(buf + 8) + 1);
	return buf;
}

int
aqi_load_dberr(struct aq_loader *l, PGresult *res, const char *what)
{
	int code = PQstatus(l->conn) == CONNECTION_BAD ? AQ_EDBCONN : AQ_EDB;
	const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(l->conn);

	if (res != NULL && (m == NULL || *m == '\0'))
		m = PQerrorMessage(l->conn);
	aqi_load_fail(l, code, "%s: %s", what, aqi_load_pqmsg(m));
	PQclear(res);
	return code;
}

int
aqi_load_exec(struct aq_loader *l, const char *sql)
{
	PGresult *res = PQexec(l->conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		return aqi_load_dberr(l, res, sql);
	PQclear(res);
	return AQ_OK;
}

void
aqi_load_notify(struct aq_loader *l, int kind, const char *msg)
{
	if (l->notice_kind != NULL)
		l->notice_kind(l->notice_arg, kind, msg);
	else if (l->notice != NULL)
		l->notice(l->notice_arg, msg);
}

static void
on_notice(void *arg, const PGresult *res)
{
	struct aq_loader *l = arg;
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (m != NULL)
		aqi_load_notify(l, AQ_LOADER_NOTICE_SERVER, m);
}

static void
warn(struct aq_loader *l, int kind, const char *fmt, ...) AQI_PRINTF(3, 4);

static void
warn(struct aq_loader *l, int kind, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (l->notice == NULL && l->notice_kind == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	aqi_load_notify(l, kind, buf);
}

/* ---- life cycle ---- */

struct aq_loader *
aq_loader_new(void)
{
	struct aq_loader *l = calloc(1, sizeof *l);

	if (l != NULL) {
		l->partcol = -1;
		l->orphancol = -1;
		l->enc = &aqi_copy_text;
	}
	return l;
}

static void
clear_batch(struct aq_loader *l)
{
	size_t i;

	aq_buf_reset(&l->copy);
	aq_buf_reset(&l->stage);
	aq_buf_reset(&l->json);
	aq_buf_reset(&l->ids);
	l->sent = 0;
	l->nrows = 0;
	l->broken = 0;
	l->dups = 0;
	if (l->nkeys > 0)
		memset(l->keys, 0, l->capkeys * sizeof *l->keys);
	l->nkeys = 0;
	for (i = 0; i < l->nsrcs; i++)
		free(l->srcs[i]);
	l->nsrcs = 0;
	/* a batch that went on in text (to_text): the next one tries binary
	 * again; its defaults were binary at open, so only memory can fail */
	if (l->binary_ok && l->enc != &aqi_copy_binary) {
		l->enc = &aqi_copy_binary;
		if (aqi_load_defaults(l) != AQ_OK)
			l->enc = &aqi_copy_text;
	}
}

static void
free_orphan_rule(struct aqi_orphan_rule *o)
{
	free(o->column);
	free(o->reftable);
	free(o->refcolumn);
	o->column = o->reftable = o->refcolumn = NULL;
}

void
aq_loader_free(struct aq_loader *l)
{
	size_t i;

	if (l == NULL)
		return;
	if (l->conn != NULL)
		PQfinish(l->conn);
	aqi_load_free_target(l);
	clear_batch(l);
	aq_buf_free(&l->copy);
	aq_buf_free(&l->stage);
	aq_buf_free(&l->json);
	aq_buf_free(&l->ids);
	aq_buf_free(&l->tmp);
	free(l->rows);
	free(l->srcs);
	free(l->months);
	free(l->keys);
	for (i = 0; i < l->nunknown; i++)
		free(l->unknown[i]);
	free(l->unknown);
	free_orphan_rule(&l->orphans);
	free(l);
}

void
aq_loader_set_errbuf(struct aq_loader *l, char *buf, size_t size)
{
	aqi_errbuf_set(&l->err, buf, size);
}

void
aq_loader_set_reject(struct aq_loader *l,
    void (*fn)(void *arg, const char *source, long line, const char *json, size_t len,
	const char *reason),
    void *arg)
{
	l->reject = fn;
	l->reject_arg = arg;
}

void
aq_loader_set_notice(struct aq_loader *l, void (*fn)(void *arg, const char *msg), void *arg)
{
	l->notice = fn;
	l->notice_kind = NULL;
	l->notice_arg = arg;
}

void
aq_loader_set_notice_kind(struct aq_loader *l, void (*fn)(void *arg, int kind, const char *msg),
    void *arg)
{
	l->notice_kind = fn;
	l->notice = NULL;
	l->notice_arg = arg;
}

int
aq_loader_set_copy_format(struct aq_loader *l, int format)
{
	if (l == NULL || (format != AQ_COPY_BINARY && format != AQ_COPY_TEXT))
		return AQ_EINVAL;
	l->text_only = format == AQ_COPY_TEXT;
	return AQ_OK;
}

int
aqi_load_defaults(struct aq_loader *l)
{
	struct aq_buf *b;
	size_t i;
	int rc = AQ_OK;

	/* all or nothing: the old defaults stay on failure */
	if ((b = calloc(l->t.ncols + 1, sizeof *b)) == NULL)
		return AQ_ENOMEM;
	for (i = 0; i < l->t.ncols && rc == AQ_OK; i++)
		if (l->t.cols[i].deftext != NULL)
			rc = l->enc->field_text(&b[i], &l->t.cols[i], l->t.cols[i].deftext,
			    l->t.cols[i].deftextlen);
	for (i = 0; i < l->t.ncols; i++) {
		struct aqi_column *c = &l->t.cols[i];

		if (rc != AQ_OK) {
			aq_buf_free(&b[i]);
			continue;
		}
		free(c->defval);
		c->defval = b[i].data;
		c->deflen = b[i].len;
	}
	free(b);
	return rc;
}

int
aq_loader_set_orphans(struct aq_loader *l, const char *column, const char *reftable,
    const char *refcolumn)
{
	struct aqi_orphan_rule o = {0};

	if (l == NULL)
		return AQ_EINVAL;
	if (column == NULL) {
		free_orphan_rule(&l->orphans);
		return AQ_OK;
	}
	if (*column == '\0' || reftable == NULL || *reftable == '\0' || refcolumn == NULL ||
	    *refcolumn == '\0')
		return aqi_load_fail(l, AQ_EINVAL, "orphan rule: a column, a table and its "
		    "key column, none empty");
	o.column = strdup(column);
	o.reftable = strdup(reftable);
	o.refcolumn = strdup(refcolumn);
	if (o.column == NULL || o.reftable == NULL || o.refcolumn == NULL) {
		free_orphan_rule(&o);
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	}
	free_orphan_rule(&l->orphans);
	l->orphans = o;
	return AQ_OK;
}

uint64_t
aq_loader_count(const struct aq_loader *l, int counter)
{
	if (l == NULL || counter < 0 || counter >= AQ_LOAD_NCOUNTERS)
		return 0;
	return l->counts[counter];
}

size_t
aq_loader_pending(const struct aq_loader *l)
{
	return l == NULL ? 0 : l->nrows;
}

int
aq_loader_connect(struct aq_loader *l, const char *conninfo)
{
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = PQconnectdb(conninfo != NULL ? conninfo : "");
	if (l->conn == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	if (PQstatus(l->conn) != CONNECTION_OK)
		return aqi_load_fail(l, AQ_EDBCONN, "cannot connect to the database: %s",
		    aqi_load_pqmsg(PQerrorMessage(l->conn)));
	PQsetNoticeReceiver(l->conn, on_notice, l);
	/* UTF-8 in, UTF-8 out, whatever the server's default; times in UTC */
	if (PQsetClientEncoding(l->conn, "UTF8") != 0)
		return aqi_load_fail(l, AQ_EDB, "cannot use UTF8: %s",
		    aqi_load_pqmsg(PQerrorMessage(l->conn)));
	return aqi_load_exec(l, "SET TIME ZONE 'UTC'");
}

/* ---- adding rows ---- */

/* Month number (year * 12 + month - 1) of a partition key value, or -1. */
static int64_t
month_of(const struct aq_value *v)
{
	struct aq_time t;
	const char *s;
	size_t n;

	if ((s = aq_value_string(v, &n)) == NULL || aq_value_type(v) != AQ_STRING)
		return -1;
	/* a zone-less time is read by the server in our session zone, UTC */
	if (aq_time_parse(s, n, &t) != AQ_OK)
		return -1;
	return aqi_time_month(t.usec);
}

/* Send what the COPY buffer holds beyond what was sent, in big chunks. */
static int
send_copy(struct aq_loader *l, int all)
{
	while (l->copy.len - l->sent >= SEND_CHUNK || (all && l->copy.len > l->sent)) {
		size_t n = l->copy.len - l->sent;

		if (n > 4 * SEND_CHUNK)
			n = 4 * SEND_CHUNK;
		if (PQputCopyData(l->conn, l->copy.data + l->sent, (int)n) != 1)
			return aqi_load_dberr(l, NULL, "COPY");
		l->sent += n;
	}
	return AQ_OK;
}

/* Start the batch's transaction and its streaming COPY. */
static int
begin_copy(struct aq_loader *l)
{
	PGresult *res;
	int rc;

	if ((rc = aqi_load_exec(l, "BEGIN")) != AQ_OK)
		return rc;
	aq_buf_reset(&l->tmp);
	if (aqi_sql_copy(&l->tmp, &l->t, l->enc) != AQ_OK)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	res = PQexec(l->conn, l->tmp.data);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		return aqi_load_dberr(l, res, "COPY");
	PQclear(res);
	l->in_copy = 1;
	if (l->enc->headlen > 0 &&
	    PQputCopyData(l->conn, l->enc->head, (int)l->enc->headlen) != 1)
		return aqi_load_dberr(l, NULL, "COPY");
	return AQ_OK;
}

static size_t
intern_source(struct aq_loader *l, const char *src)
{
	char **p;

	if (src == NULL)
		src = "";
	if (l->nsrcs > 0 && strcmp(l->srcs[l->nsrcs - 1], src) == 0)
		return l->nsrcs - 1;
	if ((p = realloc(l->srcs, (l->nsrcs + 1) * sizeof *p)) == NULL)
		return (size_t)-1;
	l->srcs = p;
	if ((l->srcs[l->nsrcs] = strdup(src)) == NULL)
		return (size_t)-1;
	return l->nsrcs++;
}

/* The column a member key names, or ncols; cached by member position. */
static size_t
column_of(struct aq_loader *l, size_t pos, const char *key, size_t keylen)
{
	size_t i;

	if (pos < l->nkeycache) {
		i = l->keycache[pos];
		if (i < l->t.ncols && l->t.cols[i].namelen == keylen &&
		    memcmp(l->t.cols[i].name, key, keylen) == 0)
			return i;
	}
	for (i = 0; i < l->t.ncols; i++)
		if (l->t.cols[i].namelen == keylen && memcmp(l->t.cols[i].name, key, keylen) == 0)
			break;
	if (pos >= l->nkeycache) {
		size_t n = pos + 16, *p = realloc(l->keycache, n * sizeof *p);

		if (p == NULL)
			return i;
		for (size_t k = l->nkeycache; k < n; k++)
			p[k] = (size_t)-1;
		l->keycache = p;
		l->nkeycache = n;
	}
	l->keycache[pos] = i;
	return i;
}

/* First time we see an unknown key: say so once. */
static int
unknown_key(struct aq_loader *l, const char *key, size_t keylen)
{
	char **p;
	size_t i;

	for (i = 0; i < l->nunknown; i++)
		if (strlen(l->unknown[i]) == keylen && memcmp(l->unknown[i], key, keylen) == 0)
			return AQ_OK;
	if ((p = realloc(l->unknown, (l->nunknown + 1) * sizeof *p)) == NULL)
		return AQ_ENOMEM;
	l->unknown = p;
	if ((l->unknown[l->nunknown] = strndup(key, keylen)) == NULL)
		return AQ_ENOMEM;
	l->nunknown++;
	warn(l, AQ_LOADER_NOTICE_UNKNOWN_KEY, "key '%.*s' is not a column of %s: ignored", (int)keylen, key, l->t.label);
	return AQ_OK;
}

/*
 * Remember a row's key (the hash of its key columns' COPY text); note when
 * the batch repeats one, so that the merge knows whether to dedupe.  Equal
 * hashes of different keys only cost a needless dedupe.
 */
static void
note_key(struct aq_loader *l, uint64_t h)
{
	size_t i;

	if (l->dups)
		return;
	if (h == 0)
		h = 1;
	if (2 * (l->nkeys + 1) > l->capkeys) {
		size_t cap = l->capkeys ? l->capkeys * 2 : 4096, k;
		uint64_t *n = calloc(cap, sizeof *n);

		if (n == NULL) {
			l->dups = 1;	/* cannot tell: dedupe */
			return;
		}
		for (k = 0; k < l->capkeys; k++)
			if (l->keys[k] != 0) {
				for (i = (size_t)(l->keys[k] & (cap - 1)); n[i] != 0; i = (i + 1) & (cap - 1))
					;
				n[i] = l->keys[k];
			}
		free(l->keys);
		l->keys = n;
		l->capkeys = cap;
	}
	for (i = (size_t)(h & (l->capkeys - 1)); l->keys[i] != 0; i = (i + 1) & (l->capkeys - 1))
		if (l->keys[i] == h) {
			l->dups = 1;
			return;
		}
	l->keys[i] = h;
	l->nkeys++;
}

/* FNV-1a, continued from h. */
static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static void rollback(struct aq_loader *l);

/*
 * A value the binary encoder cannot write exactly: go on in text, the
 * batch's rows so far rewritten in text (their keys noted again, as
 * aq_loader_add hashes them), a COPY under way abandoned to start again.
 */
static int
to_text(struct aq_loader *l)
{
	struct aq_buf nb = {0};
	size_t k, i;
	int rc = AQ_OK, dups = l->dups;

	if (l->in_copy)
		rollback(l);
	l->sent = 0;
	if (l->nkeys > 0)
		memset(l->keys, 0, l->capkeys * sizeof *l->keys);
	l->nkeys = 0;
	l->dups = 0;
	for (k = 0; k < l->nrows && rc == AQ_OK; k++) {
		struct aqi_load_row *r = &l->rows[k];
		const unsigned char *p = (const unsigned char *)l->copy.data + r->copy_off + 2;
		size_t off = nb.len;
		uint64_t h = 14695981039346656037ULL;

		for (i = 0; i < l->t.ncols && rc == AQ_OK; i++) {
			size_t at = nb.len;
			int32_t n = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			    (uint32_t)p[2] << 8 | p[3]);

			p += 4;
			if (i > 0)
				rc = aqi_buf_add(&nb, "\t", 1);
			if (rc == AQ_OK && n < 0)
				rc = aqi_buf_add(&nb, "\\N", 2);
			else if (rc == AQ_OK) {
				rc = aqi_copy_binary_to_text(&nb, l->t.cols[i].oid, (const char *)p,
				    (size_t)n);
				p += n;
			}
			if (rc == AQ_OK && l->t.cols[i].pk)
				h = fnv(h, nb.data + at, nb.len - at + 1);
		}
		if (rc == AQ_OK)
			rc = aqi_buf_add(&nb, "\n", 1);
		if (l->t.npk > 0)
			note_key(l, h);
		/* the new place, in stage_off (free until the recovery) until
		 * all went well */
		r->stage_off = off;
		r->stage_len = nb.len - off;
	}
	l->dups |= dups;
	if (rc == AQ_OK) {
		l->enc = &aqi_copy_text;
		if ((rc = aqi_load_defaults(l)) != AQ_OK)
			l->enc = &aqi_copy_binary;
	}
	if (rc != AQ_OK) {
		aq_buf_free(&nb);
		l->dups = 1;	/* the keys are half noted: dedupe */
		return rc;
	}
	for (k = 0; k < l->nrows; k++) {
		l->rows[k].copy_off = l->rows[k].stage_off;
		l->rows[k].copy_len = l->rows[k].stage_len;
	}
	aq_buf_free(&l->copy);
	l->copy = nb;
	return AQ_OK;
}

int
aq_loader_add(struct aq_loader *l, const struct aq_value *rec, const char *json, size_t len,
    const char *source, long line)
{
	const struct aq_value *m;
	size_t i, pos, before, col, src;
	struct aqi_load_row *r;
	int64_t month = -1;
	uint64_t keyhash = 14695981039346656037ULL;
	int rc;

	if (l == NULL || l->t.cols == NULL || aq_value_type(rec) != AQ_OBJECT)
		return l ? aqi_load_fail(l, AQ_EINVAL, "no table open, or not an object") : AQ_EINVAL;
	for (i = 0; i < l->t.ncols; i++)
		l->slots[i] = NULL;
	for (m = aq_value_first(rec), pos = 0; m != NULL; m = aq_value_next(m), pos++) {
		size_t keylen;
		const char *key = aq_value_key(m, &keylen);

		col = column_of(l, pos, key, keylen);
		if (col == l->t.ncols) {
			if (l->strict)
				return aqi_load_fail(l, AQ_EDATA, "key '%.*s' is not a column of %s (--strict)",
				    (int)keylen, key, l->t.label);
			if ((rc = unknown_key(l, key, keylen)) != AQ_OK)
				return aqi_load_fail(l, rc, "out of memory");
			continue;
		}
		l->slots[col] = m;
	}
	if (l->partcol >= 0 && l->slots[l->partcol] != NULL)
		month = month_of(l->slots[l->partcol]);

	if (l->nrows == l->caprows) {
		size_t cap = l->caprows ? l->caprows * 2 : 1024;
		struct aqi_load_row *p = realloc(l->rows, cap * sizeof *p);

		if (p == NULL)
			return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		l->rows = p;
		l->caprows = cap;
	}
	if ((src = intern_source(l, source)) == (size_t)-1)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");

	/* the COPY row */
again:
	before = l->copy.len;
	rc = l->enc->row_begin(&l->copy, l->t.ncols);
	for (i = 0; i < l->t.ncols && rc == AQ_OK; i++) {
		const struct aqi_column *c = &l->t.cols[i];
		size_t at = l->copy.len;

		if (l->slots[i] != NULL)
			rc = l->enc->field(&l->copy, i, c, l->slots[i]);
		else
			rc = l->enc->field_raw(&l->copy, i, c->defval, c->deflen);
		if (rc != AQ_OK)
			break;
		if (c->pk)	/* the field and the byte after it (a NUL here) */
			keyhash = fnv(keyhash, l->copy.data + at, l->copy.len - at + 1);
	}
	if (rc == AQI_ETEXT && l->enc != &aqi_copy_text) {
		l->copy.len = before;
		if ((rc = to_text(l)) != AQ_OK)
			return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		keyhash = 14695981039346656037ULL;
		goto again;
	}
	if (rc == AQ_EDATA) {
		l->copy.len = before;
		return aqi_load_fail(l, AQ_EDATA, "%s holds a NUL character (\\u0000), which "
		    "PostgreSQL cannot store", l->t.cols[i].name);
	}
	if (rc == AQ_OK && l->t.npk > 0) {
		note_key(l, keyhash);
		/* a repeated key fails the direct COPY for sure: stop streaming,
		 * the batch goes through staging at flush */
		if (l->dups)
			l->broken = 1;
	}
	if (rc == AQ_OK)
		rc = l->enc->row_end(&l->copy);
	if (rc == AQ_OK && l->orphancol >= 0 && l->slots[l->orphancol] != NULL &&
	    aq_value_type(l->slots[l->orphancol]) == AQ_NUMBER) {
		size_t n;
		const char *s = aq_value_string(l->slots[l->orphancol], &n);

		rc = aqi_buf_add(&l->ids, l->ids.len ? "," : "{", 1);
		if (rc == AQ_OK)
			rc = aqi_buf_add(&l->ids, s, n);
	}
	r = &l->rows[l->nrows];
	r->json_off = l->json.len;
	r->json_len = len;
	if (rc == AQ_OK)
		rc = aqi_buf_add(&l->json, json ? json : "", json ? len : 0);
	if (rc != AQ_OK) {
		l->copy.len = before;
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	}
	r->copy_off = before;
	r->copy_len = l->copy.len - before;
	r->line = line;
	r->src = src;
	r->month = month;
	l->nrows++;

	/* stream it; a failure of the COPY shows at flush, where the batch
	 * is redone row by row if need be */
	if (!l->broken) {
		if (!l->in_copy && (rc = begin_copy(l)) != AQ_OK) {
			if (rc == AQ_EDBCONN)
				return rc;
			l->broken = 1;
			return AQ_OK;
		}
		if ((rc = send_copy(l, 0)) != AQ_OK) {
			if (rc == AQ_EDBCONN)
				return rc;
			l->broken = 1;
		}
	}
	return AQ_OK;
}

static int
end_copy(struct aq_loader *l, PGresult **res)
{
	PGresult *r;
	int rc = AQ_OK;

	*res = NULL;
	if (!l->in_copy)
		return AQ_OK;
	l->in_copy = 0;
	if (send_copy(l, 1) != AQ_OK || (l->enc->taillen > 0 &&
	    PQputCopyData(l->conn, l->enc->tail, (int)l->enc->taillen) != 1) ||
	    PQputCopyEnd(l->conn, NULL) != 1)
		rc = PQstatus(l->conn) == CONNECTION_BAD ? AQ_EDBCONN : AQ_EDATA;
	while ((r = PQgetResult(l->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && *res == NULL) {
			*res = r;
			if (rc == AQ_OK)
				rc = AQ_EDATA;
			continue;
		}
		PQclear(r);
	}
	if (PQstatus(l->conn) == CONNECTION_BAD) {
		aqi_load_fail(l, AQ_EDBCONN, "the database connection was lost: %s",
		    aqi_load_pqmsg(PQerrorMessage(l->conn)));
		return AQ_EDBCONN;
	}
	return rc;
}

int
aqi_load_partitions(struct aq_loader *l)
{
	size_t k, j;
	char month[32];
	const char *params[2];
	PGresult *res;

	if (l->partcol < 0)
		return AQ_OK;
	for (k = 0; k < l->nrows; k++) {
		int64_t m = l->rows[k].month;

		if (m < 0)
			continue;
		for (j = 0; j < l->nmonths && l->months[j] != m; j++)
			;
		if (j < l->nmonths)
			continue;
		snprintf(month, sizeof month, "%04d-%02d-01T00:00:00Z", (int)(m / 12), (int)(m % 12) + 1);
		params[0] = l->t.qtable;
		params[1] = month;
		res = PQexecParams(l->conn, "SELECT aq_ensure_partition($1::regclass, $2::timestamptz)",
		    2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			return aqi_load_dberr(l, res, "aq_ensure_partition");
		PQclear(res);
		if (l->nmonths == l->capmonths) {
			size_t cap = l->capmonths ? l->capmonths * 2 : 16;
			int64_t *p = realloc(l->months, cap * sizeof *p);

			if (p == NULL)
				return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
			l->months = p;
			l->capmonths = cap;
		}
		l->months[l->nmonths++] = m;
	}
	return AQ_OK;
}

/* Rows of the batch that break the orphan rule (aq_loader_set_orphans). */
static int
count_orphans(struct aq_loader *l, uint64_t *n)
{
	const char *params[1];
	PGresult *res;

	*n = 0;
	if (l->orphancol < 0 || l->ids.len == 0)
		return AQ_OK;
	if (aqi_buf_add(&l->ids, "}", 1) != AQ_OK)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	params[0] = l->ids.data;
	res = PQexecParams(l->conn, l->orphansql, 1, NULL, params, NULL, NULL, 0);
	l->ids.len--;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return aqi_load_dberr(l, res, "orphans");
	*n = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return AQ_OK;
}

static void
rollback(struct aq_loader *l)
{
	PGresult *res;

	if (l->in_copy) {
		PQputCopyEnd(l->conn, "aborted");
		while ((res = PQgetResult(l->conn)) != NULL)
			PQclear(res);
		l->in_copy = 0;
	}
	if (PQstatus(l->conn) == CONNECTION_OK && PQtransactionStatus(l->conn) != PQTRANS_IDLE) {
		res = PQexec(l->conn, "ROLLBACK");
		PQclear(res);
	}
}

/*
 * One attempt at the batch, up to its commit: the streamed COPY or, when
 * the server refused it, the careful way through staging (load-recover.c).
 * On failure the caller rolls back; the batch's rows are still in l->copy
 * and l->json as they were added, so that it could be attempted again.
 */
static int
load_batch(struct aq_loader *l, struct aqi_load_tally *t, uint64_t *orphans,
    uint64_t rejected_before)
{
	PGresult *res = NULL;
	int rc;

	/* every mode first COPYs straight into the table: when that goes
	 * through, every row was new (a first load, a new period) */
	rc = l->broken ? AQ_EDATA : end_copy(l, &res);
	PQclear(res);
	if (rc == AQ_EDBCONN)
		return rc;
	if (rc == AQ_OK && (rc = aqi_load_partitions(l)) == AQ_OK)
		t->ins = t->uniq = l->nrows;
	if (rc == AQ_EDATA) {
		/* some row was refused: start again, carefully */
		rollback(l);
		l->nmonths = l->nmonths_committed;
		t->ins = t->upd = t->uniq = 0;
		l->counts[AQ_LOAD_REJECTED] = rejected_before;
		rc = aqi_load_recover(l, t);
	}
	if (rc == AQ_OK)
		rc = count_orphans(l, orphans);
	if (rc == AQ_OK)
		rc = aqi_load_exec(l, "COMMIT");
	return rc;
}

int
aq_loader_flush(struct aq_loader *l)
{
	struct aqi_load_tally t = {0, 0, 0};
	uint64_t orphans = 0, rejected_before;
	int rc;

	if (l == NULL || l->conn == NULL)
		return AQ_EINVAL;
	if (l->nrows == 0)
		return AQ_OK;
	rejected_before = l->counts[AQ_LOAD_REJECTED];
	if ((rc = load_batch(l, &t, &orphans, rejected_before)) != AQ_OK) {
		rollback(l);
		/* partitions made in the lost transaction are gone */
		l->nmonths = l->nmonths_committed;
		l->counts[AQ_LOAD_REJECTED] = rejected_before;
		clear_batch(l);
		return rc;
	}
	l->counts[AQ_LOAD_INSERTED] += t.ins;
	l->counts[AQ_LOAD_UPDATED] += t.upd;
	l->counts[AQ_LOAD_UNCHANGED] += t.uniq - t.ins - t.upd;
	l->counts[AQ_LOAD_DUPLICATES] += l->nrows -
	    (l->counts[AQ_LOAD_REJECTED] - rejected_before) - t.uniq;
	l->counts[AQ_LOAD_ORPHANS] += orphans;
	l->counts[AQ_LOAD_ROWS] += l->nrows;
	l->counts[AQ_LOAD_BATCHES]++;
	l->nmonths_committed = l->nmonths;
	clear_batch(l);
	return AQ_OK;
}
