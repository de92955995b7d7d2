/*
 * load-check.c: a batch checked against the stored rows in one query.
 *
 * A rerun of rows that are stored already (upsert or ignore mode, after a
 * batch found its rows stored) would COPY every row into staging only to
 * find it equal to the stored one.  Instead the batch's key columns go to
 * the server as binary arrays (a COPY BINARY field is an array element as
 * it is), and one prepared query sends back the stored rows of those keys,
 * in binary: per value of the key's other columns (a sensor and period)
 * one index range over its last column (the times), pruned to the batch's
 * months when the table is partitioned by a timestamptz.  When that last
 * column is an integer or a time, the client makes those groups itself
 * and sends one element a group (build_groups()); otherwise the server
 * groups the key columns.  A stored row
 * whose every field has the bytes the batch's row has is unchanged (the
 * binary send form of a value is its COPY BINARY form); the rest, new or
 * not byte-equal, go through staging (load-recover.c), whose own test
 * decides, so that a value equal in another form (-0 and 0, 1.0 and 1.00)
 * is still not rewritten.  A batch that is all stored as it is costs the
 * query and nothing else.
 *
 * aq_loader_send() sends the query without waiting, as it sends a COPY,
 * so that the server looks while the next batch is read, and the loader
 * takes in the answer as it comes (load.c), so that the server is not
 * held up by a full socket.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "load-int.h"

void
aqi_check_reset(struct aq_loader *l)
{
	size_t i;

	if (l->arrays != NULL)
		for (i = 0; i < l->t.ncols + 2; i++)
			aq_buf_free(&l->arrays[i]);
	free(l->arrays);
	free(l->arroids);
	free(l->grp);
	free(l->grpslot);
	l->arrays = NULL;
	l->arroids = NULL;
	l->grp = NULL;
	l->grpslot = NULL;
	l->ngrp = l->capgrp = l->capgrpslot = 0;
	l->grouped = 0;
	if (l->check_ok > 0 && l->conn != NULL && PQstatus(l->conn) == CONNECTION_OK)
		PQclear(PQexec(l->conn, "DEALLOCATE aq_check"));
	l->check_ok = 0;
}

/* The array type of every column, once per table; 0 when one has none. */
static int
array_types(struct aq_loader *l)
{
	struct aq_buf oids = {0};
	const char *params[1];
	PGresult *res;
	size_t i;
	int rc = AQ_OK;

	if ((l->arroids = calloc(l->t.ncols, sizeof *l->arroids)) == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	for (i = 0; i < l->t.ncols && rc == AQ_OK; i++)
		rc = aq_buf_printf(&oids, "%s%lu", i ? "," : "{", l->t.cols[i].oid);
	if (rc == AQ_OK)
		rc = aq_buf_puts(&oids, "}");
	if (rc != AQ_OK) {
		aq_buf_free(&oids);
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	}
	params[0] = oids.data;
	res = PQexecParams(l->conn, "SELECT coalesce(t.typarray, 0) FROM unnest($1::oid[]) "
	    "WITH ORDINALITY AS u(o, n) LEFT JOIN pg_type t ON t.oid = u.o ORDER BY u.n",
	    1, NULL, params, NULL, NULL, 0);
	aq_buf_free(&oids);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || (size_t)PQntuples(res) != l->t.ncols) {
		rc = aqi_load_dberr(l, res, "column types");
		return rc == AQ_EDBCONN ? rc : AQ_EDB;
	}
	for (i = 0; i < l->t.ncols; i++) {
		l->arroids[i] = strtoul(PQgetvalue(res, (int)i, 0), NULL, 10);
		if (l->arroids[i] == 0)
			rc = AQ_EDB;	/* no array type: no check */
	}
	PQclear(res);
	return rc;
}

int
aqi_check_applies(const struct aq_loader *l)
{
	return l->check_ok >= 0 && l->t.npk > 0 && !l->dups && l->nrows > 0 &&
	    l->enc == &aqi_copy_binary &&
	    (l->mode == AQ_LOAD_UPSERT || l->mode == AQ_LOAD_IGNORE);
}

/* Month number m (year * 12 + month - 1) as a timestamptz literal. */
static void
month_text(char *buf, size_t size, int64_t m)
{
	snprintf(buf, size, "%04lld-%02d-01 00:00:00+00", (long long)(m / 12), (int)(m % 12) + 1);
}

/* A binary array's header: one dimension of n elements of type oid. */
static int
array_header(struct aq_buf *b, unsigned long oid, size_t n)
{
	unsigned char h[20];

	aqi_be32(h, 1);
	aqi_be32(h + 4, 0);
	aqi_be32(h + 8, (uint32_t)oid);
	aqi_be32(h + 12, (uint32_t)n);
	aqi_be32(h + 16, 1);
	aq_buf_reset(b);
	return aqi_buf_add(b, (const char *)h, sizeof h);
}

/* One binary array per key column, of the batch's fields in row order. */
static int
build_arrays(struct aq_loader *l)
{
	size_t i, k;

	if (l->arrays == NULL && (l->arrays = calloc(l->t.ncols + 2, sizeof *l->arrays)) == NULL)
		return AQ_ENOMEM;
	for (i = 0; i < l->t.ncols; i++)
		if (l->t.cols[i].pk && array_header(&l->arrays[i], l->t.cols[i].oid, l->nrows) != AQ_OK)
			return AQ_ENOMEM;
	for (k = 0; k < l->nrows; k++) {
		const unsigned char *p = (const unsigned char *)l->copy.data + l->rows[k].copy_off + 2;

		for (i = 0; i < l->t.ncols; i++) {
			int32_t n = aqi_field_len(p);
			size_t len = aqi_field_size(p);

			if (l->t.cols[i].pk) {
				/* a null key cannot be stored: that row is new,
				 * and staging rejects it */
				if (n < 0)
					return AQ_EDATA;
				if (aqi_buf_add(&l->arrays[i], (const char *)p, len) != AQ_OK)
					return AQ_ENOMEM;
			}
			p += len;
		}
	}
	return AQ_OK;
}

/* The key's last column, whose values the client can order: an integer
 * or a time, each a signed big-endian integer in its binary form. */
static size_t
last_key(const struct aq_loader *l)
{
	size_t i, last = 0;

	for (i = 0; i < l->t.ncols; i++)
		if (l->t.cols[i].pk)
			last = i;
	return last;
}

static size_t
orderable(unsigned long oid)
{
	switch (oid) {
	case 21:	/* int2 */
		return 2;
	case 23:	/* int4 */
	case 1082:	/* date */
		return 4;
	case 20:	/* int8 */
	case 1114:	/* timestamp */
	case 1184:	/* timestamptz */
		return 8;
	}
	return 0;
}

/* Order two fields of the last column (length word first, same length):
 * as signed big-endian integers. */
static int
signed_cmp(const unsigned char *a, const unsigned char *b, size_t n)
{
	if (a[4] != b[4])
		return (a[4] ^ 0x80) < (b[4] ^ 0x80) ? -1 : 1;
	return memcmp(a + 5, b + 5, n - 1);
}

/* Do rows p and q (their first field) have the same key but for its last
 * column? */
static int
same_group(const struct aq_loader *l, const unsigned char *p, const unsigned char *q,
    size_t last)
{
	size_t i;

	for (i = 0; i < last; i++) {
		size_t a = aqi_field_size(p), b = aqi_field_size(q);

		if (l->t.cols[i].pk && (a != b || memcmp(p, q, a) != 0))
			return 0;
		p += a;
		q += b;
	}
	return 1;
}

/* The batch's groups (a value of the key's other columns each), and the
 * arrays of the grouped check: those columns, the lowest and highest of
 * the last one. */
static int
build_groups(struct aq_loader *l)
{
	size_t last = last_key(l), n = orderable(l->t.cols[last].oid);
	size_t i, k, h;

	if (l->arrays == NULL && (l->arrays = calloc(l->t.ncols + 2, sizeof *l->arrays)) == NULL)
		return AQ_ENOMEM;
	if (l->capgrpslot > 0)
		memset(l->grpslot, 0, l->capgrpslot * sizeof *l->grpslot);
	l->ngrp = 0;
	for (k = 0; k < l->nrows; k++) {
		const unsigned char *row = (const unsigned char *)l->copy.data + l->rows[k].copy_off + 2;
		const unsigned char *p = row;
		uint64_t hash = AQI_FNV_START;
		struct aqi_checkgrp *g;

		for (i = 0; i < last; i++) {
			size_t len = aqi_field_size(p);

			if (l->t.cols[i].pk) {
				/* a null key cannot be stored: that row is
				 * new, and staging rejects it */
				if (aqi_field_len(p) < 0)
					return AQ_EDATA;
				hash = aqi_fnv(hash, p, len);
			}
			p += len;
		}
		if (aqi_field_len(p) != (int32_t)n)
			return AQ_EDATA;
		if (2 * (l->ngrp + 1) > l->capgrpslot &&
		    aqi_rehash(&l->grpslot, &l->capgrpslot, l->grp, l->ngrp, sizeof *l->grp) != AQ_OK)
			return AQ_ENOMEM;
		for (h = (size_t)hash & (l->capgrpslot - 1); l->grpslot[h] != 0;
		    h = (h + 1) & (l->capgrpslot - 1)) {
			g = &l->grp[l->grpslot[h] - 1];
			if (g->hash == hash && same_group(l, g->first, row, last)) {
				if (signed_cmp(p, g->lo, n) < 0)
					g->lo = p;
				if (signed_cmp(p, g->hi, n) > 0)
					g->hi = p;
				break;
			}
		}
		if (l->grpslot[h] != 0)
			continue;
		if ((g = aqi_grow(l->grp, &l->capgrp, l->ngrp + 1, sizeof *g, 256)) == NULL)
			return AQ_ENOMEM;
		l->grp = g;
		g = &l->grp[l->ngrp];
		g->hash = hash;
		g->first = row;
		g->lo = g->hi = p;
		l->grpslot[h] = ++l->ngrp;
	}
	/* the arrays, a group an element */
	for (i = 0; i < last; i++)
		if (l->t.cols[i].pk && array_header(&l->arrays[i], l->t.cols[i].oid, l->ngrp) != AQ_OK)
			return AQ_ENOMEM;
	if (array_header(&l->arrays[l->t.ncols], l->t.cols[last].oid, l->ngrp) != AQ_OK ||
	    array_header(&l->arrays[l->t.ncols + 1], l->t.cols[last].oid, l->ngrp) != AQ_OK)
		return AQ_ENOMEM;
	for (k = 0; k < l->ngrp; k++) {
		const unsigned char *p = l->grp[k].first;

		for (i = 0; i < last; i++) {
			size_t len = aqi_field_size(p);

			if (l->t.cols[i].pk && aqi_buf_add(&l->arrays[i], (const char *)p, len) != AQ_OK)
				return AQ_ENOMEM;
			p += len;
		}
		if (aqi_buf_add(&l->arrays[l->t.ncols], (const char *)l->grp[k].lo, 4 + n) != AQ_OK ||
		    aqi_buf_add(&l->arrays[l->t.ncols + 1], (const char *)l->grp[k].hi, 4 + n) != AQ_OK)
			return AQ_ENOMEM;
	}
	return AQ_OK;
}

/* Prepare the query, once per table and connection. */
static int
prepare(struct aq_loader *l)
{
	struct aq_buf q = {0};
	unsigned int *types;
	size_t i, np = 0;
	PGresult *res;
	int rc;

	if ((types = calloc(l->t.ncols + 3, sizeof *types)) == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	l->grouped = orderable(l->t.cols[last_key(l)].oid) > 0;
	for (i = 0; i < l->t.ncols; i++)
		if (l->t.cols[i].pk)
			types[np++] = (unsigned int)l->arroids[i];
	if (l->grouped)
		types[np++] = (unsigned int)l->arroids[last_key(l)];
	if (l->partcol >= 0) {
		types[np++] = 1184;	/* timestamptz */
		types[np++] = 1184;
	}
	if (aqi_sql_check(&q, &l->t, l->partcol, l->grouped) != AQ_OK) {
		free(types);
		aq_buf_free(&q);
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	}
	res = PQprepare(l->conn, "aq_check", q.data, (int)np, types);
	free(types);
	aq_buf_free(&q);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = aqi_load_dberr(l, res, "stored rows");
		return rc == AQ_EDBCONN ? rc : AQ_EDB;
	}
	PQclear(res);
	l->check_ok = 1;
	return AQ_OK;
}

int
aqi_check_send(struct aq_loader *l, int nonblock)
{
	const char *values[AQI_CHECK_MAXPARAMS];
	int lengths[AQI_CHECK_MAXPARAMS], formats[AQI_CHECK_MAXPARAMS];
	size_t i, k, np = 0;
	int64_t lo = -1, hi = -1;
	char from[40], to[40];
	int rc;

	if (l->t.npk + 3 > AQI_CHECK_MAXPARAMS) {
		l->check_ok = -1;
		return AQ_EDB;
	}
	if ((l->arroids == NULL && (rc = array_types(l)) != AQ_OK) ||
	    (l->check_ok == 0 && (rc = prepare(l)) != AQ_OK)) {
		if (rc != AQ_EDBCONN)
			l->check_ok = -1;
		return rc;
	}
	if ((rc = l->grouped ? build_groups(l) : build_arrays(l)) != AQ_OK)
		return rc == AQ_ENOMEM ? aqi_load_fail(l, rc, "out of memory") : AQ_EDB;
	for (i = 0; i < l->t.ncols + 2; i++)
		if (i < l->t.ncols ? l->t.cols[i].pk && !(l->grouped && i == last_key(l)) :
		    l->grouped) {
			values[np] = l->arrays[i].data;
			lengths[np] = (int)l->arrays[i].len;
			formats[np++] = 1;
		}
	/* the batch's months, when every row has one; else no bound */
	if (l->partcol >= 0) {
		for (k = 0; k < l->nrows; k++) {
			int64_t m = l->rows[k].month;

			if (m < 0) {
				lo = -1;
				break;
			}
			if (lo < 0 || m < lo)
				lo = m;
			if (m > hi)
				hi = m;
		}
		if (lo >= 0) {
			month_text(from, sizeof from, lo);
			month_text(to, sizeof to, hi + 1);
		} else {
			snprintf(from, sizeof from, "-infinity");
			snprintf(to, sizeof to, "infinity");
		}
		values[np] = from;
		values[np + 1] = to;
		lengths[np] = lengths[np + 1] = 0;
		formats[np] = formats[np + 1] = 0;
		np += 2;
	}
	if (nonblock && PQsetnonblocking(l->conn, 1) != 0)
		nonblock = 0;
	if (!PQsendQueryPrepared(l->conn, "aq_check", (int)np, values, lengths, formats, 1)) {
		rc = aqi_load_dberr(l, NULL, "stored rows");
		(void)aqi_load_settle(l);
		return rc == AQ_EDBCONN ? rc : AQ_EDB;
	}
	l->checking = 1;
	l->flight_sent = !nonblock;
	return AQ_OK;
}

/* FNV-1a of a row's key fields (as encoded: length and bytes). */
static uint64_t
key_hash(const struct aq_loader *l, const unsigned char *p)
{
	uint64_t h = AQI_FNV_START;
	size_t i;

	p += 2;
	for (i = 0; i < l->t.ncols; i++) {
		size_t len = aqi_field_size(p);

		if (l->t.cols[i].pk)
			h = aqi_fnv(h, p, len);
		p += len;
	}
	return h;
}

/* The same of a stored row, from its binary result fields. */
static uint64_t
stored_hash(const struct aq_loader *l, const PGresult *res, int r)
{
	uint64_t h = AQI_FNV_START;
	size_t i;

	for (i = 0; i < l->t.ncols; i++) {
		unsigned char len[4];
		int n = PQgetlength(res, r, (int)i);

		if (!l->t.cols[i].pk)
			continue;
		aqi_be32(len, (uint32_t)n);
		h = aqi_fnv(h, len, sizeof len);
		h = aqi_fnv(h, PQgetvalue(res, r, (int)i), (size_t)n);
	}
	return h;
}

/* Does stored row r have, field by field, the bytes of batch row p
 * (keys only, when only keys count)? */
static int
same_row(const struct aq_loader *l, const PGresult *res, int r, const unsigned char *p,
    int keys_only)
{
	size_t i;

	p += 2;
	for (i = 0; i < l->t.ncols; i++) {
		int32_t n = aqi_field_len(p);

		if (!keys_only || l->t.cols[i].pk) {
			if (PQgetisnull(res, r, (int)i)) {
				if (n >= 0)
					return 0;
			} else if (n < 0 || PQgetlength(res, r, (int)i) != n ||
			    memcmp(PQgetvalue(res, r, (int)i), p + 4, (size_t)n) != 0)
				return 0;
		}
		p += aqi_field_size(p);
	}
	return 1;
}

/* Mark the rows of the batch that a stored row of res equals. */
static int
match(struct aq_loader *l, const PGresult *res, unsigned char *same)
{
	size_t cap = 1, k, h;
	int r, m = PQntuples(res);
	int keys_only = !(l->mode == AQ_LOAD_UPSERT && l->t.npk < l->t.ncols);
	size_t *slot;

	if ((size_t)PQnfields(res) != l->t.ncols)
		return AQ_EDB;
	while (cap < 2 * l->nrows)
		cap *= 2;
	if ((slot = malloc(cap * sizeof *slot)) == NULL)
		return AQ_ENOMEM;
	for (h = 0; h < cap; h++)
		slot[h] = (size_t)-1;
	for (k = 0; k < l->nrows; k++) {
		h = (size_t)key_hash(l, (const unsigned char *)l->copy.data + l->rows[k].copy_off) &
		    (cap - 1);
		while (slot[h] != (size_t)-1)
			h = (h + 1) & (cap - 1);
		slot[h] = k;
	}
	for (r = 0; r < m; r++)
		for (h = (size_t)stored_hash(l, res, r) & (cap - 1); slot[h] != (size_t)-1;
		    h = (h + 1) & (cap - 1)) {
			const unsigned char *p =
			    (const unsigned char *)l->copy.data + l->rows[slot[h]].copy_off;

			/* the row of this key (a batch without a repeated key has
			 * one): equal or not, the search ends there */
			if (same_row(l, res, r, p, 1)) {
				same[slot[h]] = same_row(l, res, r, p, keys_only);
				break;
			}
		}
	free(slot);
	return AQ_OK;
}

int
aqi_check_read(struct aq_loader *l, size_t *nchanged)
{
	PGresult *res, *rows = NULL, *bad = NULL;
	unsigned char *same = NULL;
	size_t n = 0, k;
	int rc = AQ_OK;

	*nchanged = 0;
	l->checking = 0;
	if ((rc = aqi_load_settle(l)) != AQ_OK)
		return rc;
	while ((res = PQgetResult(l->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK && rows == NULL && bad == NULL)
			rows = res;
		else if (PQresultStatus(res) != PGRES_TUPLES_OK && bad == NULL)
			bad = res;
		else
			PQclear(res);
	}
	if (PQstatus(l->conn) == CONNECTION_BAD) {
		PQclear(rows);
		PQclear(bad);
		return aqi_load_fail(l, AQ_EDBCONN, "the database connection was lost: %s",
		    aqi_load_pqmsg(PQerrorMessage(l->conn)));
	}
	if (bad != NULL || rows == NULL) {
		PQclear(rows);
		if (bad != NULL)
			aqi_load_dberr(l, bad, "stored rows");
		return AQ_EDB;
	}
	{
		size_t *c = aqi_grow(l->changed, &l->capchanged, l->nrows, sizeof *c, 1024);

		if (c != NULL)
			l->changed = c;
		if (c == NULL || (same = calloc(l->nrows, 1)) == NULL)
			rc = AQ_ENOMEM;
		else
			rc = match(l, rows, same);
	}
	PQclear(rows);
	if (rc == AQ_OK)
		for (k = 0; k < l->nrows; k++)
			if (!same[k])
				l->changed[n++] = k;
	free(same);
	if (rc == AQ_ENOMEM)
		return aqi_load_fail(l, rc, "out of memory");
	if (rc != AQ_OK)
		return rc;
	*nchanged = n;
	return AQ_OK;
}
