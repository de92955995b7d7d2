/*
 * load.c: the PostgreSQL loader's handle, and its batches.
 *
 * Rows are encoded for COPY (copy-binary.c where the table's types allow,
 * else copy-text.c) as they are added, and go to the server when the batch
 * is sent, in the order of their key: rows of one key range then land on
 * the same index pages one after another, which makes the server's work
 * for them about a fifth cheaper than in input order (the OpenAQ API and
 * archive deliver by time, so every row of a batch lands on another page).
 * aq_loader_send() returns as soon as the batch is queued, without waiting
 * for the server: the caller parses and encodes the next batch while the
 * server stores this one, and the next send, flush or run end finishes it
 * (its result, its rejects, its commit) before anything else is done on
 * the connection.  The batch's COPY data and each row's JSON stay in
 * memory until the batch is committed: when the server refuses the batch,
 * they let us find the bad rows without losing the good ones
 * (load-recover.c).
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

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "load-int.h"

#define SEND_CHUNK 65536
/* while a batch is in flight, push more of it each time this much more of
 * the next batch was encoded */
#define POKE_EVERY 32768

/*
 * The fields of struct aq_loader that make a batch, so that the batch in
 * flight can be set aside while the next one is added (swap_batch()).
 */
struct aqi_load_batch {
	struct aq_buf copy, json, stage;
	struct aqi_idset ids;
	struct aqi_load_row *rows;
	size_t nrows, caprows;
	char **srcs;
	size_t nsrcs;
	int broken;
	uint64_t *keys;
	size_t capkeys, nkeys;
	int dups;
	const struct aqi_copy_enc *enc;
};

#define SWAP(a, b) do { \
	char t_[sizeof(a)]; \
	memcpy(t_, &(a), sizeof(a)); \
	memcpy(&(a), &(b), sizeof(a)); \
	memcpy(&(b), t_, sizeof(a)); \
} while (0)

/* Exchange the loader's batch with *b. */
static void
swap_batch(struct aq_loader *l, struct aqi_load_batch *b)
{
	SWAP(l->copy, b->copy);
	SWAP(l->json, b->json);
	SWAP(l->ids, b->ids);
	SWAP(l->stage, b->stage);
	SWAP(l->rows, b->rows);
	SWAP(l->nrows, b->nrows);
	SWAP(l->caprows, b->caprows);
	SWAP(l->srcs, b->srcs);
	SWAP(l->nsrcs, b->nsrcs);
	SWAP(l->broken, b->broken);
	SWAP(l->keys, b->keys);
	SWAP(l->capkeys, b->capkeys);
	SWAP(l->nkeys, b->nkeys);
	SWAP(l->dups, b->dups);
	SWAP(l->enc, b->enc);
}

/* ---- the orphan column's distinct values ---- */

static void
ids_reset(struct aqi_idset *d)
{
	aq_buf_reset(&d->text);
	d->nv = 0;
	if (d->slot != NULL)
		memset(d->slot, 0, d->capslot * sizeof *d->slot);
}

static void
ids_free(struct aqi_idset *d)
{
	aq_buf_free(&d->text);
	aq_buf_free(&d->counts);
	free(d->v);
	free(d->slot);
	memset(d, 0, sizeof *d);
}

int
aqi_rehash(size_t **slot, size_t *cap, const void *v, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 1024, i, h;
	size_t *s = calloc(c, sizeof *s);

	if (s == NULL)
		return AQ_ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t hash;

		memcpy(&hash, (const char *)v + i * size, sizeof hash);
		for (h = (size_t)hash & (c - 1); s[h] != 0; h = (h + 1) & (c - 1))
			;
		s[h] = i + 1;
	}
	free(*slot);
	*slot = s;
	*cap = c;
	return AQ_OK;
}

/* One more row with the value s (n bytes, a JSON number's text). */
static int
ids_add(struct aqi_idset *d, const char *s, size_t n)
{
	uint64_t hash = aqi_fnv(AQI_FNV_START, s, n);
	struct aqi_ident *e;
	size_t h;

	if (2 * (d->nv + 1) > d->capslot &&
	    aqi_rehash(&d->slot, &d->capslot, d->v, d->nv, sizeof *d->v) != AQ_OK)
		return AQ_ENOMEM;
	for (h = (size_t)hash & (d->capslot - 1); d->slot[h] != 0; h = (h + 1) & (d->capslot - 1)) {
		e = &d->v[d->slot[h] - 1];
		if (e->hash == hash && e->len == n && memcmp(d->text.data + e->off, s, n) == 0) {
			e->n++;
			return AQ_OK;
		}
	}
	if ((e = aqi_grow(d->v, &d->capv, d->nv + 1, sizeof *d->v, 256)) == NULL)
		return AQ_ENOMEM;
	d->v = e;
	e = &d->v[d->nv];
	e->hash = hash;
	e->n = 1;
	e->off = d->text.len + 1;
	e->len = n;
	if (aqi_buf_add(&d->text, d->nv ? "," : "{", 1) != AQ_OK ||
	    aqi_buf_add(&d->text, s, n) != AQ_OK) {
		d->text.len = e->off - 1;	/* as it was */
		return AQ_ENOMEM;
	}
	d->slot[h] = ++d->nv;
	return AQ_OK;
}

/* The values and their row counts as two array literals; text gets a
 * closing brace the caller takes off again. */
static int
ids_arrays(struct aqi_idset *d)
{
	size_t i;

	aq_buf_reset(&d->counts);
	for (i = 0; i < d->nv; i++)
		if (aq_buf_printf(&d->counts, "%c%llu", i ? ',' : '{',
		    (unsigned long long)d->v[i].n) != AQ_OK)
			return AQ_ENOMEM;
	if (aqi_buf_add(&d->counts, "}", 1) != AQ_OK || aqi_buf_add(&d->text, "}", 1) != AQ_OK)
		return AQ_ENOMEM;
	return AQ_OK;
}

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
	int code = PQstatus(l->conn) == CONNECTION_BAD ? AQ_EDBCONN :
	    res != NULL && aqi_sqlstate_transient(PQresultErrorField(res, PG_DIAG_SQLSTATE)) ?
	    AQ_EDBTEMP : AQ_EDB;
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
		l->attempts = 6;
		l->backoff_first = 0.5;
		l->backoff_max = 10;
		l->rng = (unsigned)(aqi_mono() * 1e6) ^ (unsigned)getpid() * 2654435761u;
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
	ids_reset(&l->ids);
	l->sent = 0;
	l->nrows = 0;
	l->broken = 0;
	l->nrejs = 0;
	aq_buf_reset(&l->rejreasons);
	l->dups = 0;
	if (l->nkeys > 0)
		memset(l->keys, 0, l->capkeys * sizeof *l->keys);
	l->nkeys = 0;
	for (i = 0; i < l->nsrcs; i++)
		free(l->srcs[i]);
	l->nsrcs = 0;
	/* a batch that went on in text (to_text): the next one tries binary
	 * again; its defaults were binary at open, so only memory can fail */
	if (l->binary_ok && (l->enc != &aqi_copy_binary || l->defenc != l->enc)) {
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
	l->conn = NULL;		/* aqi_check_reset() must not use it */
	aqi_check_reset(l);
	free(l->changed);
	aqi_load_free_target(l);
	if (l->flight != NULL) {
		/* a batch in flight is abandoned with the connection */
		struct aqi_load_batch *b = l->flight;

		aq_buf_free(&b->copy);
		aq_buf_free(&b->stage);
		aq_buf_free(&b->json);
		ids_free(&b->ids);
		free(b->rows);
		for (i = 0; i < b->nsrcs; i++)
			free(b->srcs[i]);
		free(b->srcs);
		free(b->keys);
		free(b);
	}
	clear_batch(l);
	free(l->sortv);
	aq_buf_free(&l->sortbuf);
	free(l->rejs);
	aq_buf_free(&l->rejreasons);
	free(l->run_table);
	free(l->run_label);
	aq_buf_free(&l->copy);
	aq_buf_free(&l->stage);
	aq_buf_free(&l->json);
	ids_free(&l->ids);
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
	if (rc == AQ_OK)
		l->defenc = l->enc;
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

/* The run's id, for the revision log (sql/006-runs.sql). */
static int
session_run(struct aq_loader *l)
{
	char set[64];

	snprintf(set, sizeof set, "SET aq.load_run = '%lld'", (long long)l->run_id);
	return aqi_load_exec(l, set);
}

/* The session's settings, after every connect. */
static int
session(struct aq_loader *l)
{

	PQsetNoticeReceiver(l->conn, on_notice, l);
	/* UTF-8 in, UTF-8 out, whatever the server's default; times in UTC */
	if (PQsetClientEncoding(l->conn, "UTF8") != 0)
		return aqi_load_fail(l, AQ_EDB, "cannot use UTF8: %s",
		    aqi_load_pqmsg(PQerrorMessage(l->conn)));
	if (l->run_id > 0 && session_run(l) != AQ_OK)
		return AQ_EDB;
	return aqi_load_exec(l, "SET TIME ZONE 'UTC'");
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
	return session(l);
}

/* After a lost connection: connect again with the same parameters
 * (PQreset), the session's settings and its staging table. */
static int
reconnect(struct aq_loader *l)
{
	int rc;

	PQreset(l->conn);
	if (PQstatus(l->conn) != CONNECTION_OK)
		return aqi_load_fail(l, AQ_EDBCONN, "cannot connect to the database again: %s",
		    aqi_load_pqmsg(PQerrorMessage(l->conn)));
	l->in_copy = 0;
	l->checking = 0;
	if (l->check_ok > 0)	/* prepared on the lost session */
		l->check_ok = 0;
	if ((rc = session(l)) != AQ_OK)
		return rc;
	return l->t.cols != NULL ? aqi_load_stage(l) : AQ_OK;
}

int
aq_loader_set_retry(struct aq_loader *l, int attempts, double first, double max,
    int (*stop)(void *arg), void *arg)
{
	if (l == NULL || attempts < 1 || !(first >= 0) || !(max >= first))
		return AQ_EINVAL;
	l->attempts = attempts;
	l->backoff_first = first;
	l->backoff_max = max;
	l->stop = stop;
	l->stop_arg = arg;
	return AQ_OK;
}

void
aq_loader_set_precommit(struct aq_loader *l, int (*fn)(void *arg), void *arg)
{
	if (l == NULL)
		return;
	l->precommit = fn;
	l->precommit_arg = arg;
}

int
aqi_load_reject(struct aq_loader *l, size_t row, const char *reason)
{
	struct aqi_load_reject *p = aqi_grow(l->rejs, &l->caprejs, l->nrejs, sizeof *p, 64);

	if (p == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	l->rejs = p;
	l->rejs[l->nrejs].row = row;
	l->rejs[l->nrejs].off = l->rejreasons.len;
	if (aqi_buf_add(&l->rejreasons, reason, strlen(reason) + 1) != AQ_OK)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	l->nrejs++;
	return AQ_OK;
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

static int begin_copy(struct aq_loader *l);

/* Stream what the COPY buffer holds beyond what was sent, in big chunks
 * (rows as they are added, when the caller does not use aq_loader_send()). */
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

/* Wait until the connection's socket takes more bytes (or fails). */
static void
wait_writable(struct aq_loader *l)
{
	struct pollfd p;

	p.fd = PQsocket(l->conn);
	p.events = POLLOUT;
	p.revents = 0;
	if (p.fd >= 0)
		(void)poll(&p, 1, 1000);
}

int
aqi_load_settle(struct aq_loader *l)
{
	int f;

	if (!PQisnonblocking(l->conn))
		return AQ_OK;
	while ((f = PQflush(l->conn)) == 1)
		wait_writable(l);
	if (f != 0 || PQsetnonblocking(l->conn, 0) != 0)
		return aqi_load_fail(l, AQ_EDBCONN, "the database connection was lost: %s",
		    aqi_load_pqmsg(PQerrorMessage(l->conn)));
	return AQ_OK;
}

/* Queue n bytes of COPY data, waiting for the socket when libpq cannot
 * take them yet (non-blocking mode). */
static int
put_copy(struct aq_loader *l, const char *p, size_t n)
{
	int r;

	while ((r = PQputCopyData(l->conn, p, (int)n)) == 0)
		wait_writable(l);
	return r == 1 ? AQ_OK : aqi_load_dberr(l, NULL, "COPY");
}

/* By the key's bytes (its first 8 as one number), then input order. */
static int
sortent_cmp(const void *a, const void *b)
{
	const struct aqi_sortent *x = a, *y = b;
	size_t n;
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	n = x->keylen < y->keylen ? x->keylen : y->keylen;
	if (n > 0 && (c = memcmp(x->key, y->key, n)) != 0)
		return c;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/*
 * The batch's rows in key order, in l->sortv: the key columns' bytes as
 * encoded (big-endian integers and times in binary, so that byte order is
 * their order for the values OpenAQ has), compared as bytes.  Only the
 * pages the rows land on depend on it, never what is stored: the direct
 * COPY runs only for a batch without a repeated key.  Returns 0 when
 * the order stays the input's (no key, out of memory).
 */
static int
sort_rows(struct aq_loader *l)
{
	struct aqi_sortent *v;
	const unsigned char *key;
	size_t k, i;
	int binary = l->enc == &aqi_copy_binary;

	l->sort_gen++;
	if (l->t.npk == 0 || l->nrows < 2)
		return 0;
	if ((v = aqi_grow(l->sortv, &l->capsort, l->nrows - 1, sizeof *v, 1024)) == NULL)
		return 0;
	l->sortv = v;
	aq_buf_reset(&l->sortbuf);
	for (k = 0; k < l->nrows; k++) {
		const unsigned char *p = (const unsigned char *)l->copy.data + l->rows[k].copy_off;
		const unsigned char *e = p + l->rows[k].copy_len;
		size_t off = l->sortbuf.len;

		if (binary)
			p += 2;
		for (i = 0; i < l->t.ncols && p < e; i++) {
			const unsigned char *f = p;
			size_t n;

			if (binary) {
				f = p + 4;
				n = aqi_field_size(p) - 4;
				p = f + n;
			} else {
				const unsigned char *t = memchr(p, i + 1 < l->t.ncols ? '\t' : '\n',
				    (size_t)(e - p));

				n = t ? (size_t)(t - p) : (size_t)(e - p);
				p += n + 1;
			}
			if (l->t.cols[i].pk && (aqi_buf_add(&l->sortbuf, (const char *)f, n) != AQ_OK ||
			    (!binary && aqi_buf_add(&l->sortbuf, "", 1) != AQ_OK)))
				return 0;
		}
		v[k].keylen = l->sortbuf.len - off;
		v[k].row = k;
	}
	/* the keys lie one after another in sortbuf, which no longer moves */
	key = (const unsigned char *)l->sortbuf.data;
	for (k = 0; k < l->nrows; key += v[k].keylen, k++) {
		uint64_t pre = 0;

		for (i = 0; i < 8; i++)
			pre = pre << 8 | (i < v[k].keylen ? key[i] : 0);
		v[k].key = key;
		v[k].prefix = pre;
	}
	qsort(v, l->nrows, sizeof *v, sortent_cmp);
	return 1;
}

/*
 * Send the batch: BEGIN, COPY, its rows in key order, the end of the
 * COPY, in blocking mode or queued in non-blocking mode (the caller
 * pushes the rest with PQflush(), end_copy() reads the results).
 * On failure the transaction is left for rollback().
 */
static int
send_batch(struct aq_loader *l, int nonblock)
{
	size_t k;
	int sorted, rc;

	if ((rc = begin_copy(l)) != AQ_OK)
		return rc;
	if (nonblock && PQsetnonblocking(l->conn, 1) != 0)
		nonblock = 0;
	/* sorted already while the batch before was finishing */
	sorted = l->presorted ? l->presorted - 1 : sort_rows(l);
	l->presorted = 0;
	aq_buf_reset(&l->tmp);
	for (k = 0; k < l->nrows; k++) {
		const struct aqi_load_row *r = &l->rows[sorted ? l->sortv[k].row : k];

		if (aqi_buf_add(&l->tmp, l->copy.data + r->copy_off, r->copy_len) != AQ_OK)
			return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		if (l->tmp.len >= SEND_CHUNK) {
			if ((rc = put_copy(l, l->tmp.data, l->tmp.len)) != AQ_OK)
				return rc;
			aq_buf_reset(&l->tmp);
		}
	}
	if (l->enc->taillen > 0 && aqi_buf_add(&l->tmp, l->enc->tail, l->enc->taillen) != AQ_OK)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	if (l->tmp.len > 0 && (rc = put_copy(l, l->tmp.data, l->tmp.len)) != AQ_OK)
		return rc;
	aq_buf_reset(&l->tmp);
	{
		int r;

		while ((r = PQputCopyEnd(l->conn, NULL)) == 0)
			wait_writable(l);
		if (r != 1)
			return aqi_load_dberr(l, NULL, "COPY");
	}
	l->in_copy = 2;
	l->flight_sent = !nonblock;
	return AQ_OK;
}

/* Start the batch's transaction and its COPY. */
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

	/* a COPY streaming this batch's rows (never one in flight: rows
	 * stream only when nothing is ever sent in flight) */
	if (l->in_copy == 1)
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
		uint64_t h = AQI_FNV_START;

		for (i = 0; i < l->t.ncols && rc == AQ_OK; i++) {
			size_t at = nb.len;
			int32_t n = aqi_field_len(p);

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
				h = aqi_fnv(h, nb.data + at, nb.len - at + 1);
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
	uint64_t keyhash = AQI_FNV_START;
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

	if ((r = aqi_grow(l->rows, &l->caprows, l->nrows, sizeof *r, 1024)) == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	l->rows = r;
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
			keyhash = aqi_fnv(keyhash, l->copy.data + at, l->copy.len - at + 1);
	}
	if (rc == AQI_ETEXT && l->enc != &aqi_copy_text) {
		l->copy.len = before;
		if ((rc = to_text(l)) != AQ_OK)
			return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		keyhash = AQI_FNV_START;
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
	r = &l->rows[l->nrows];
	r->json_off = l->json.len;
	r->json_len = len;
	if (rc == AQ_OK)
		rc = aqi_buf_add(&l->json, json ? json : "", json ? len : 0);
	/* last: a row that failed is not counted */
	if (rc == AQ_OK && l->orphancol >= 0 && l->slots[l->orphancol] != NULL &&
	    aq_value_type(l->slots[l->orphancol]) == AQ_NUMBER) {
		size_t n;
		const char *s = aq_value_string(l->slots[l->orphancol], &n);

		rc = ids_add(&l->ids, s, n);
	}
	if (rc != AQ_OK) {
		l->copy.len = before;
		l->json.len = r->json_off;
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	}
	r->copy_off = before;
	r->copy_len = l->copy.len - before;
	r->line = line;
	r->src = src;
	r->month = month;
	l->nrows++;

	/* the last batch found its rows stored already: this one goes
	 * through staging */
	if (l->nrows == 1 && l->careful)
		l->broken = 1;
	/* not sent in key order: streamed as added, so that the server works
	 * while we parse the next rows; a failure of the COPY (a lost
	 * connection too) shows at flush, where the batch is redone */
	if (!l->sending && !l->broken) {
		if (!l->in_copy && begin_copy(l) != AQ_OK)
			l->broken = 1;
		else if (send_copy(l, 0) != AQ_OK)
			l->broken = 1;
	}
	/* the batch in flight: hand libpq's socket more of it now and then,
	 * and once all is sent, take in what the server answers (a check's
	 * rows), so that it is not held up by a full socket; errors wait for
	 * the finish */
	if (l->flying && l->copy.len >= l->poke_at) {
		l->poke_at = l->copy.len + POKE_EVERY;
		if (!l->flight_sent) {
			if (PQflush(l->conn) != 1)
				l->flight_sent = 1;	/* all sent, or failed: end_copy() tells */
		} else
			(void)PQconsumeInput(l->conn);
	}
	return AQ_OK;
}

static int
end_copy(struct aq_loader *l, PGresult **res)
{
	PGresult *r;
	int rc = AQ_OK;

	*res = NULL;
	/* not sent yet (aq_loader_flush()): send it now, and wait */
	if (!l->in_copy && (rc = send_batch(l, 0)) != AQ_OK) {
		if (!l->in_copy)	/* the COPY was refused: through staging */
			return PQstatus(l->conn) == CONNECTION_BAD ? AQ_EDBCONN : AQ_EDATA;
		if (l->in_copy == 1)	/* cut off while sending */
			(void)PQputCopyEnd(l->conn, "aborted");
		l->in_copy = 2;
	}
	/* streamed as added: the rest, the end */
	if (l->in_copy == 1 && (send_copy(l, 1) != AQ_OK || (l->enc->taillen > 0 &&
	    PQputCopyData(l->conn, l->enc->tail, (int)l->enc->taillen) != 1) ||
	    PQputCopyEnd(l->conn, NULL) != 1))
		rc = PQstatus(l->conn) == CONNECTION_BAD ? AQ_EDBCONN : AQ_EDATA;
	/* in flight (aq_loader_send()): what libpq holds yet goes first */
	if (aqi_load_settle(l) != AQ_OK)
		rc = AQ_EDBCONN;
	if (rc != AQ_OK && rc != AQ_EDBCONN)
		rc = PQstatus(l->conn) == CONNECTION_BAD ? AQ_EDBCONN : AQ_EDATA;
	l->in_copy = 0;
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
	int64_t *p;

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
		if ((p = aqi_grow(l->months, &l->capmonths, l->nmonths, sizeof *p, 16)) == NULL)
			return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		l->months = p;
		l->months[l->nmonths++] = m;
	}
	return AQ_OK;
}

static void
rollback(struct aq_loader *l)
{
	PGresult *res;

	(void)aqi_load_settle(l);
	if (l->checking) {	/* a check's answer, unread */
		while ((res = PQgetResult(l->conn)) != NULL)
			PQclear(res);
		l->checking = 0;
	}
	if (l->in_copy) {
		if (l->in_copy == 1)
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
 * In one round trip before the commit: the transaction's revisions so far
 * (the revision log's setting, null unless an update revised a row), its
 * id, which settles a COMMIT whose connection broke, and the rows of the
 * batch that break the orphan rule (aq_loader_set_orphans()), each
 * distinct value probed once.
 */
static int
batch_facts(struct aq_loader *l, uint64_t *orphans, uint64_t *revised, char *xid, size_t size)
{
	const char *params[2];
	PGresult *res;
	int counted = l->orphancol >= 0 && l->ids.nv > 0;

	*orphans = 0;
	if (counted) {
		if (ids_arrays(&l->ids) != AQ_OK)
			return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		params[0] = l->ids.text.data;
		params[1] = l->ids.counts.data;
		res = PQexecParams(l->conn, l->orphansql, 2, NULL, params, NULL, NULL, 0);
		l->ids.text.len--;	/* its closing brace */
	} else
		res = PQexec(l->conn, "SELECT current_setting('aq.revised', true), txid_current()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return aqi_load_dberr(l, res, counted ? "orphans" : "revisions");
	*revised = PQgetisnull(res, 0, 0) ? 0 : strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(xid, size, "%s", PQgetvalue(res, 0, 1));
	if (counted)
		*orphans = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	return AQ_OK;
}

/* Forget what a failed attempt at the batch did, after its rollback: the
 * partitions it made, its rejects. */
static void
undo_batch(struct aq_loader *l, uint64_t rejected_before)
{
	l->nmonths = l->nmonths_committed;
	l->counts[AQ_LOAD_REJECTED] = rejected_before;
	l->nrejs = 0;
	aq_buf_reset(&l->rejreasons);
}

/*
 * A batch checked against the stored rows (load-check.c), nchanged of its
 * rows (l->changed) new or not as stored: the rest are unchanged, these go
 * through staging, as the batch alone, their rejects then named by their
 * place in the whole batch.
 */
static int
load_changed(struct aq_loader *l, struct aqi_load_tally *t, size_t nchanged)
{
	struct aqi_load_row *all = l->rows, *sub;
	size_t n = l->nrows, cap = l->caprows, j;
	int rc;

	t->ins = t->upd = 0;
	if (nchanged == 0) {
		t->uniq = n;
		return aqi_load_exec(l, "BEGIN");
	}
	t->uniq = 0;
	if (nchanged == n)
		return aqi_load_recover(l, t);
	if ((sub = malloc(nchanged * sizeof *sub)) == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	for (j = 0; j < nchanged; j++)
		sub[j] = all[l->changed[j]];
	l->rows = sub;
	l->nrows = l->caprows = nchanged;
	rc = aqi_load_recover(l, t);
	for (j = 0; j < l->nrejs; j++)
		l->rejs[j].row = l->changed[l->rejs[j].row];
	l->rows = all;
	l->nrows = n;
	l->caprows = cap;
	free(sub);
	t->uniq += n - nchanged;
	return rc;
}

/*
 * One attempt at the batch, up to its commit: the streamed COPY or, when
 * the server refused a row of it, the careful way through staging
 * (load-recover.c).  On failure the caller rolls back; the batch's rows
 * are still in l->copy and l->json as they were added, so that it can be
 * attempted again.
 */
static int
load_batch(struct aq_loader *l, struct aqi_load_tally *t, uint64_t *orphans,
    uint64_t rejected_before, char *xid, size_t xidsize)
{
	PGresult *res = NULL;
	int rc;

	/* after a batch that found its rows stored: which rows of this one
	 * are not stored as they are, in one query */
	if (l->broken && (l->checking || aqi_check_applies(l))) {
		size_t nch = 0;

		rc = l->checking ? AQ_OK : aqi_check_send(l, 0);
		if (rc == AQ_OK)
			rc = aqi_check_read(l, &nch);
		if (rc == AQ_OK) {
			if ((rc = load_changed(l, t, nch)) == AQ_OK)
				l->careful = t->ins < t->uniq;
			goto tail;
		}
		if (rc == AQ_EDBCONN)
			return rc;
		/* the check does not work here: the usual way from now on */
		l->check_ok = -1;
	}
	/* every mode first COPYs straight into the table: when that goes
	 * through, every row was new (a first load, a new period) */
	rc = l->broken ? AQ_EDATA : end_copy(l, &res);
	if (rc == AQ_EDATA && res != NULL &&
	    !aqi_sqlstate_row(PQresultErrorField(res, PG_DIAG_SQLSTATE))) {
		/* not a row's fault: the batch failed as a whole */
		if (aqi_sqlstate_transient(PQresultErrorField(res, PG_DIAG_SQLSTATE)))
			l->careful = 1;
		return aqi_load_dberr(l, res, "COPY");
	}
	PQclear(res);
	if (rc == AQ_EDBCONN)
		return rc;
	if (rc == AQ_OK && (rc = aqi_load_partitions(l)) == AQ_OK) {
		t->ins = t->uniq = l->nrows;
		l->careful = 0;
	}
	if (rc == AQ_EDATA) {
		/* some row was refused, or a key is stored: start again,
		 * carefully */
		rollback(l);
		undo_batch(l, rejected_before);
		t->ins = t->upd = t->uniq = 0;
		rc = aqi_load_recover(l, t);
		/* rows stored already: the next batch goes the same way at once */
		if (rc == AQ_OK)
			l->careful = t->ins < t->uniq;
	}
tail:
	if (rc == AQ_OK)
		rc = batch_facts(l, orphans, &t->revised, xid, xidsize);
	return rc;
}

/* ---- the run log ---- */

int
aq_loader_run_begin(struct aq_loader *l, const char *label)
{
	const char *params[1];
	PGresult *res;

	if (l == NULL || l->conn == NULL || l->t.cols == NULL)
		return l ? aqi_load_fail(l, AQ_EINVAL, "no table open") : AQ_EINVAL;
	free(l->run_label);
	l->run_label = NULL;
	if (label != NULL && (l->run_label = strdup(label)) == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	/* load_run of the target's schema, if the schema has one */
	params[0] = l->t.qtable;
	res = PQexecParams(l->conn,
	    "SELECT format('%I.%I', n.nspname, 'load_run'), now() "
	    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "WHERE c.oid = $1::regclass "
	    "AND to_regclass(format('%I.%I', n.nspname, 'load_run')) IS NOT NULL",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return aqi_load_dberr(l, res, "load_run");
	l->run_on = PQntuples(res) == 1;
	if (l->run_on) {
		free(l->run_table);
		if ((l->run_table = strdup(PQgetvalue(res, 0, 0))) == NULL) {
			PQclear(res);
			l->run_on = 0;
			return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		}
		snprintf(l->run_started, sizeof l->run_started, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	l->run_id = 0;
	l->run_written = 0;
	if (!l->run_on)
		return AQ_OK;
	/* the run's id from the start, so that the revision log can name it
	 * (aq.load_run) from the first batch */
	params[0] = l->run_table;
	res = PQexecParams(l->conn, "SELECT nextval(pg_get_serial_sequence($1, 'id'))",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQgetisnull(res, 0, 0)) {
		l->run_on = 0;
		return aqi_load_dberr(l, res, "load_run");
	}
	l->run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return session_run(l);
}

void
aq_loader_run_count(struct aq_loader *l, uint64_t read, uint64_t rejected)
{
	if (l == NULL)
		return;
	l->run_read = read;
	l->run_rejected = rejected;
}

int64_t
aq_loader_run_id(const struct aq_loader *l)
{
	return l == NULL ? 0 : l->run_id;
}

static const char *
mode_name(int mode)
{
	return mode == AQ_LOAD_INSERT ? "insert" : mode == AQ_LOAD_IGNORE ? "ignore" : "upsert";
}

/*
 * Write the run's row, in the current transaction, with counts c (the
 * committed ones plus the batch's); finished (with status) or not.  The
 * first write inserts the row (l->run_written is set once it commits).
 */
static int
write_run(struct aq_loader *l, const uint64_t *c, int finished, int status)
{
	char v[9][32], sid[32], sst[16];
	const char *p[16];
	const int which[] = {AQ_LOAD_INSERTED, AQ_LOAD_UPDATED, AQ_LOAD_UNCHANGED,
	    AQ_LOAD_DUPLICATES, AQ_LOAD_REVISED, AQ_LOAD_REJECTED, AQ_LOAD_ORPHANS,
	    AQ_LOAD_BATCHES};
	struct aq_buf q = {0};
	PGresult *res;
	size_t i;
	uint64_t read = c[AQ_LOAD_ROWS] > l->run_read ? c[AQ_LOAD_ROWS] : l->run_read;

	if (!l->run_on)
		return AQ_OK;
	snprintf(v[0], sizeof v[0], "%llu", (unsigned long long)read);
	for (i = 0; i < sizeof which / sizeof which[0]; i++)
		snprintf(v[i + 1], sizeof v[i + 1], "%llu", (unsigned long long)(c[which[i]] +
		    (which[i] == AQ_LOAD_REJECTED ? l->run_rejected : 0)));
	for (i = 0; i < 9; i++)
		p[i] = v[i];
	snprintf(sst, sizeof sst, "%d", status);
	p[9] = finished ? "t" : "f";
	p[10] = finished ? sst : NULL;
	snprintf(sid, sizeof sid, "%lld", (long long)l->run_id);
	p[11] = sid;
	if (l->run_written) {
		if (aq_buf_printf(&q, "UPDATE %s SET rows_read = $1, inserted = $2, updated = $3, "
		    "unchanged = $4, duplicates = $5, revised = $6, rejected = $7, orphans = $8, "
		    "batches = $9, finished_at = CASE WHEN $10::boolean THEN clock_timestamp() END, "
		    "status = $11 WHERE id = $12 RETURNING id", l->run_table) != AQ_OK)
			goto nomem;
	} else {
		p[12] = l->t.label;
		p[13] = mode_name(l->mode);
		p[14] = l->run_label;
		p[15] = l->run_started;
		if (aq_buf_printf(&q, "INSERT INTO %s (rows_read, inserted, updated, unchanged, "
		    "duplicates, revised, rejected, orphans, batches, finished_at, status, "
		    "id, target_table, mode, label, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
		    "$8, $9, CASE WHEN $10::boolean THEN clock_timestamp() END, $11, $12, $13, $14, "
		    "$15, $16) RETURNING id", l->run_table) != AQ_OK)
			goto nomem;
	}
	res = PQexecParams(l->conn, q.data, l->run_written ? 12 : 16, NULL, p, NULL, NULL, 0);
	aq_buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		return aqi_load_dberr(l, res, "load_run");
	PQclear(res);
	return AQ_OK;
nomem:
	aq_buf_free(&q);
	return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
}

/* ---- committing a batch ---- */

/* The refused rows of the batch, to the caller, then its before-commit
 * function. */
static int
deliver_rejects(struct aq_loader *l)
{
	size_t i;

	for (i = 0; i < l->nrejs && l->reject != NULL; i++) {
		const struct aqi_load_row *r = &l->rows[l->rejs[i].row];

		l->reject(l->reject_arg, l->srcs[r->src], r->line, l->json.data + r->json_off,
		    r->json_len, l->rejreasons.data + l->rejs[i].off);
	}
	if (l->precommit != NULL && l->precommit(l->precommit_arg) != 0)
		return aqi_load_fail(l, AQ_EIO, "the rejected rows could not be written: "
		    "the batch was rolled back");
	return AQ_OK;
}

static int
stopped(struct aq_loader *l)
{
	return l->stop != NULL && l->stop(l->stop_arg);
}

/* Wait seconds, asking the stop function every 50 ms. */
static int
backoff_wait(struct aq_loader *l, double seconds)
{
	double end = aqi_mono() + seconds, left;

	while ((left = end - aqi_mono()) > 0) {
		struct timespec ts;

		if (stopped(l))
			return AQ_ECANCELED;
		if (left > 0.05)
			left = 0.05;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
			break;
	}
	return stopped(l) ? AQ_ECANCELED : AQ_OK;
}

/*
 * A COMMIT whose connection broke: did the transaction commit?  1 yes,
 * 0 no, -1 cannot tell (the connection cannot be made again).
 */
static int
committed(struct aq_loader *l, const char *xid)
{
	const char *params[1] = {xid};
	PGresult *res;
	int n;

	for (n = 1; n <= l->attempts; n++) {
		if (n > 1 && backoff_wait(l, aqi_backoff(&l->rng, l->backoff_first,
		    l->backoff_max, (unsigned)n - 1)) != AQ_OK)
			return -1;
		if (reconnect(l) != AQ_OK)
			continue;
		res = PQexecParams(l->conn, "SELECT txid_status($1::bigint)", 1, NULL, params,
		    NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && !PQgetisnull(res, 0, 0) &&
		    strcmp(PQgetvalue(res, 0, 0), "in progress") != 0) {
			int yes = strcmp(PQgetvalue(res, 0, 0), "committed") == 0;

			PQclear(res);
			return yes;
		}
		PQclear(res);
	}
	return -1;
}

static int
transient(int rc)
{
	return rc == AQ_EDBTEMP || rc == AQ_EDBCONN;
}

/*
 * Load, write the run row, hand over the rejects and commit the batch,
 * trying again for a passing failure.  finished: the run ends with this
 * transaction, with status.
 */
static int
commit_batch(struct aq_loader *l, int finished, int status)
{
	struct aqi_load_tally t;
	uint64_t orphans, rejected_before = l->counts[AQ_LOAD_REJECTED], c[AQ_LOAD_NCOUNTERS];
	int rc, attempt, ok;
	char xid[32];

	for (attempt = 1;; attempt++) {
		memset(&t, 0, sizeof t);
		orphans = 0;
		xid[0] = '\0';
		if (stopped(l) && attempt > 1)
			rc = aqi_load_fail(l, AQ_ECANCELED, "stopped while trying the batch again");
		else if ((rc = load_batch(l, &t, &orphans, rejected_before, xid, sizeof xid)) ==
		    AQ_OK) {
			memcpy(c, l->counts, sizeof c);
			c[AQ_LOAD_INSERTED] += t.ins;
			c[AQ_LOAD_UPDATED] += t.upd;
			c[AQ_LOAD_UNCHANGED] += t.uniq - t.ins - t.upd;
			c[AQ_LOAD_DUPLICATES] += l->nrows - (l->counts[AQ_LOAD_REJECTED] -
			    rejected_before) - t.uniq;
			c[AQ_LOAD_ORPHANS] += orphans;
			c[AQ_LOAD_REVISED] += t.revised;
			c[AQ_LOAD_ROWS] += l->nrows;
			c[AQ_LOAD_BATCHES]++;
			rc = write_run(l, c, finished, status);
		}
		if (rc == AQ_OK)
			rc = deliver_rejects(l);
		if (rc == AQ_OK && (rc = aqi_load_exec(l, "COMMIT")) == AQ_EDBCONN) {
			/* the commit's fate is on the server: ask it */
			char why[512];

			snprintf(why, sizeof why, "%s", l->err.buf ? l->err.buf : "");
			ok = committed(l, xid);
			if (ok == 1)
				rc = AQ_OK;
			else if (ok == 0)
				rc = aqi_load_fail(l, AQ_EDBCONN, "%s", why);
			else
				return aqi_load_fail(l, AQ_EDBCONN, "the connection was lost at "
				    "COMMIT, and whether the batch was committed cannot be told: "
				    "rerun in upsert or ignore mode (%s)", why);
		}
		if (rc == AQ_OK)
			break;
		rollback(l);
		undo_batch(l, rejected_before);
		if (!transient(rc) || attempt >= l->attempts)
			return rc;
		{
			double wait = aqi_backoff(&l->rng, l->backoff_first, l->backoff_max,
			    (unsigned)attempt);

			warn(l, AQ_LOADER_NOTICE_RETRY, "the batch failed (%s): trying it again in "
			    "%.1f s (attempt %d of %d)", l->err.buf ? l->err.buf : aq_strerror(rc),
			    wait, attempt + 1, l->attempts);
			l->counts[AQ_LOAD_RETRIES]++;
			if ((rc = backoff_wait(l, wait)) != AQ_OK)
				return aqi_load_fail(l, rc, "stopped while waiting to try the batch "
				    "again");
		}
		/* a connection that cannot be made again fails the next attempt
		 * at once, which waits longer */
		if (PQstatus(l->conn) != CONNECTION_OK)
			(void)reconnect(l);
		/* again, through staging: in key order, so not deadlocking */
		l->broken = 1;
		l->in_copy = 0;
	}
	memcpy(l->counts, c, sizeof c);
	if (l->run_on)
		l->run_written = 1;
	l->nmonths_committed = l->nmonths;
	return AQ_OK;
}

/*
 * Finish the batch in flight, if any (load-int.h): its COPY's result, the rest of its
 * transaction, its commit (commit_batch(), retries included), while the
 * batch being added waits aside.
 */
int
aqi_load_finish_flight(struct aq_loader *l)
{
	int rc;

	if (!l->flying)
		return AQ_OK;
	l->flying = 0;
	swap_batch(l, l->flight);
	rc = commit_batch(l, 0, 0);
	clear_batch(l);
	swap_batch(l, l->flight);
	/* the defaults as the batch being added encodes its rows */
	if (l->defenc != l->enc && aqi_load_defaults(l) != AQ_OK && rc == AQ_OK)
		rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	return rc;
}

int
aq_loader_send(struct aq_loader *l)
{
	int rc, presort = -1;
	unsigned gen = 0;

	if (l == NULL || l->conn == NULL)
		return AQ_EINVAL;
	l->sending = 1;
	/* a batch that will likely go as a COPY is put in key order before
	 * the one in flight is finished, not while the server waits for it */
	if (l->flying && !l->careful && !l->broken && !l->in_copy && l->nrows > 1) {
		presort = sort_rows(l);
		gen = l->sort_gen;
	}
	if ((rc = aqi_load_finish_flight(l)) != AQ_OK || l->nrows == 0)
		return rc;
	/* the batch just finished found its rows stored: through staging,
	 * at once (commit_batch() then does everything before returning) */
	if (l->careful)
		l->broken = 1;
	/* in flight: the COPY straight into the table, or, after a batch
	 * that found its rows stored, the check of which rows are not
	 * (rows streamed already, added before the first send, are
	 * finished now) */
	if (!l->in_copy && (!l->broken || aqi_check_applies(l))) {
		if (l->flight == NULL) {
			if ((l->flight = calloc(1, sizeof *l->flight)) == NULL)
				return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
			l->flight->enc = l->enc;
		}
		/* the presort holds unless finishing sorted another batch */
		if (!l->broken && presort >= 0 && gen == l->sort_gen)
			l->presorted = 1 + presort;
		rc = l->broken ? aqi_check_send(l, 1) : send_batch(l, 1);
		l->presorted = 0;
		if (rc == AQ_OK) {
			/* set it aside; the next batch starts empty */
			swap_batch(l, l->flight);
			clear_batch(l);
			l->flying = 1;
			l->poke_at = POKE_EVERY;
			return AQ_OK;
		}
		/* end_copy() sorts it out: results, or the way through staging */
	}
	rc = commit_batch(l, 0, 0);
	clear_batch(l);
	return rc;
}

int
aq_loader_finish(struct aq_loader *l)
{
	if (l == NULL || l->conn == NULL)
		return AQ_EINVAL;
	return aqi_load_finish_flight(l);
}

int
aq_loader_flush(struct aq_loader *l)
{
	int rc;

	if (l == NULL || l->conn == NULL)
		return AQ_EINVAL;
	if ((rc = aqi_load_finish_flight(l)) != AQ_OK || l->nrows == 0)
		return rc;
	rc = commit_batch(l, 0, 0);
	clear_batch(l);
	return rc;
}

int
aq_loader_run_end(struct aq_loader *l, int status)
{
	int rc;

	if (l == NULL || l->conn == NULL)
		return AQ_EINVAL;
	/* a batch sent is committed whatever the status: the caller was done
	 * with it before the run went wrong */
	if ((rc = aqi_load_finish_flight(l)) != AQ_OK) {
		clear_batch(l);
		return rc;
	}
	if (l->nrows > 0 && status == 0) {
		/* the last batch and the run's end, in one transaction */
		rc = commit_batch(l, 1, 0);
		clear_batch(l);
		return rc;
	}
	clear_batch(l);
	if (!l->run_on)
		return AQ_OK;
	/* the run's row alone, with what was committed */
	if (PQstatus(l->conn) != CONNECTION_OK && (rc = reconnect(l)) != AQ_OK)
		return rc;
	rollback(l);
	if ((rc = aqi_load_exec(l, "BEGIN")) == AQ_OK &&
	    (rc = write_run(l, l->counts, 1, status)) == AQ_OK &&
	    (rc = aqi_load_exec(l, "COMMIT")) == AQ_OK) {
		l->run_written = 1;
		return AQ_OK;
	}
	rollback(l);
	return rc;
}
