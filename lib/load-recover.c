/*
 * load-recover.c: a batch the server refused.
 *
 * The batch is redone in a fresh transaction: every row COPYed into the
 * temporary staging table inside savepoints, the rows the database refuses
 * found (guided by the line number in COPY's error context, else by
 * halving) and handed to the reject callback, then the rest merged into
 * the target with one statement (load-sql.c), halving again if the merge
 * meets a constraint the staging table lacks.
 *
 * bisectable() is the one place that decides which errors are a row's
 * fault, and so worth bisecting for.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "load-int.h"

/*
 * Is a refused statement's error the fault of some row in it, so that
 * halving the rows will find the culprits?  Only the errors of a value or
 * a constraint (SQLSTATE classes 22 and 23) are; anything else (a
 * deadlock, a full disk, a shutdown, a lost connection) fails the batch as
 * a whole, and no row is rejected for it.
 */
static int
bisectable(struct aq_loader *l, const PGresult *res)
{
	return PQstatus(l->conn) != CONNECTION_BAD &&
	    aqi_sqlstate_row(PQresultErrorField(res, PG_DIAG_SQLSTATE));
}

static int
reject_row(struct aq_loader *l, size_t k, const char *reason)
{
	l->counts[AQ_LOAD_REJECTED]++;
	return aqi_load_reject(l, k, reason);
}

/* The reason a row is refused, from an error result. */
static void
reason_of(PGresult *res, char *buf, size_t size, int insert_dup)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

	if (insert_dup && state != NULL && strcmp(state, "23505") == 0)
		snprintf(buf, size, "already present: %s", detail ? aqi_load_pqmsg(detail) : aqi_load_pqmsg(msg));
	else if (detail != NULL)
		snprintf(buf, size, "database: %s (%s)", aqi_load_pqmsg(msg), detail);
	else
		snprintf(buf, size, "database: %s", aqi_load_pqmsg(msg));
	buf[strcspn(buf, "\n")] = '\0';
}

/* The 1-based COPY line of an error, or 0. */
static long
copy_line(PGresult *res)
{
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT), *p;

	if (ctx == NULL || (p = strstr(ctx, ", line ")) == NULL)
		return 0;
	return strtol(p + 7, NULL, 10);
}


/*
 * COPY rows [a, b) of the batch into dest, inside a savepoint; rows the
 * database refuses are rejected, guided by the error's line, else by
 * halving.  Returns AQ_OK or a connection-level failure.
 */
static int
copy_rows(struct aq_loader *l, const char *copysql, size_t a, size_t b, int insert_dup)
{
	PGresult *res;
	size_t k;
	long bad;
	int rc;
	char reason[512];

	while (a < b) {
		if ((rc = aqi_load_exec(l, "SAVEPOINT aq_rows")) != AQ_OK)
			return rc;
		res = PQexec(l->conn, copysql);
		if (PQresultStatus(res) != PGRES_COPY_IN)
			return aqi_load_dberr(l, res, "COPY");
		PQclear(res);
		if (l->enc->headlen > 0 &&
		    PQputCopyData(l->conn, l->enc->head, (int)l->enc->headlen) != 1)
			return aqi_load_dberr(l, NULL, "COPY");
		for (k = a; k < b; k++)
			if (PQputCopyData(l->conn, l->stage.data + l->rows[k].stage_off,
			    (int)l->rows[k].stage_len) != 1)
				return aqi_load_dberr(l, NULL, "COPY");
		if ((l->enc->taillen > 0 &&
		    PQputCopyData(l->conn, l->enc->tail, (int)l->enc->taillen) != 1) ||
		    PQputCopyEnd(l->conn, NULL) != 1)
			return aqi_load_dberr(l, NULL, "COPY");
		res = PQgetResult(l->conn);
		while (PQgetResult(l->conn) != NULL)
			;	/* the COPY has one result; drain to be sure */
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			return aqi_load_exec(l, "RELEASE SAVEPOINT aq_rows");
		}
		if (!bisectable(l, res))
			return aqi_load_dberr(l, res, "COPY");
		bad = copy_line(res);
		reason_of(res, reason, sizeof reason, insert_dup);
		PQclear(res);
		if ((rc = aqi_load_exec(l, "ROLLBACK TO SAVEPOINT aq_rows")) != AQ_OK)
			return rc;
		if (b - a == 1) {
			if ((rc = reject_row(l, a, reason)) != AQ_OK)
				return rc;
			return aqi_load_exec(l, "RELEASE SAVEPOINT aq_rows");
		}
		if ((rc = aqi_load_exec(l, "RELEASE SAVEPOINT aq_rows")) != AQ_OK)
			return rc;
		if (bad >= 1 && (size_t)bad <= b - a) {
			/* rows before the bad one went in fine: redo them, drop it */
			if ((size_t)bad > 1 && (rc = copy_rows(l, copysql, a, a + (size_t)bad - 1,
			    insert_dup)) != AQ_OK)
				return rc;
			if ((rc = reject_row(l, a + (size_t)bad - 1, reason)) != AQ_OK)
				return rc;
			a += (size_t)bad;
		} else {
			size_t mid = a + (b - a) / 2;

			if ((rc = copy_rows(l, copysql, a, mid, insert_dup)) != AQ_OK)
				return rc;
			a = mid;
		}
	}
	return AQ_OK;
}

/*
 * Rows inserted and updated so far in this transaction, from the
 * transaction's own statistics (RETURNING cannot tell an insert from an
 * update on a partitioned table, which has no xmax; a probe per row would
 * cost as much as the merge).  Needs track_counts, on by default.
 */
static int
xact_counts(struct aq_loader *l, uint64_t *ins, uint64_t *upd)
{
	const char *params[1] = {l->t.qtable};
	PGresult *res;

	res = PQexecParams(l->conn,
	    "SELECT coalesce(sum(pg_stat_get_xact_tuples_inserted(relid)), 0), "
	    "coalesce(sum(pg_stat_get_xact_tuples_updated(relid)), 0) "
	    "FROM (SELECT relid FROM pg_partition_tree($1::regclass) WHERE isleaf "
	    "UNION ALL SELECT $1::regclass WHERE NOT EXISTS "
	    "(SELECT 1 FROM pg_partition_tree($1::regclass))) t",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return aqi_load_dberr(l, res, "statistics");
	*ins = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	*upd = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return AQ_OK;
}

/*
 * In insert mode through staging: the rows whose key is stored already,
 * or that repeat a key earlier in the batch, are rejected as present.
 */
static int
reject_present(struct aq_loader *l)
{
	struct aq_buf q = {0};
	PGresult *res;
	int k;
	char reason[256];

	if (aqi_sql_present(&q, &l->t) != AQ_OK) {
		aq_buf_free(&q);
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	}
	res = PQexec(l->conn, q.data);
	aq_buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return aqi_load_dberr(l, res, "insert");
	for (k = 0; k < PQntuples(res); k++) {
		size_t ord = (size_t)strtoul(PQgetvalue(res, k, 0), NULL, 10);

		if (ord < l->nrows) {
			snprintf(reason, sizeof reason, "already present: a row with this key "
			    "is in %s or earlier in the input", l->t.label);
			if (reject_row(l, ord, reason) != AQ_OK) {
				PQclear(res);
				return AQ_ENOMEM;
			}
		}
	}
	PQclear(res);
	return AQ_OK;
}

/*
 * Merge staging rows [a, b) into the target, in a savepoint.  Rows the
 * database refuses at this stage (a constraint the staging table lacks)
 * are found by halving.
 */
static int
merge_rows(struct aq_loader *l, size_t a, size_t b, uint64_t *ins, uint64_t *upd, uint64_t *uniq)
{
	struct aq_buf q = {0};
	PGresult *res;
	uint64_t i0 = 0, u0 = 0, i1, u1, written;
	const char *state;
	int rc, dedup = l->dups || l->t.npk == 0, again_dedup;
	char reason[512];

	if (a >= b)
		return AQ_OK;
again:
	aq_buf_reset(&q);
	if (aqi_sql_merge(&q, &l->t, l->mode, a, b, dedup) != AQ_OK) {
		rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = aqi_load_exec(l, "SAVEPOINT aq_merge")) != AQ_OK)
		goto out;
	if (l->stats && (rc = xact_counts(l, &i0, &u0)) != AQ_OK)
		goto out;
	res = PQexec(l->conn, q.data);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		written = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		*uniq += strtoull(PQgetvalue(res, 0, 1), NULL, 10);
		PQclear(res);
		if (l->mode != AQ_LOAD_UPSERT || !l->stats)
			*ins += written;
		else if ((rc = xact_counts(l, &i1, &u1)) != AQ_OK)
			goto out;
		else {
			*ins += i1 - i0;
			*upd += u1 - u0;
		}
		rc = aqi_load_exec(l, "RELEASE SAVEPOINT aq_merge");
		goto out;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	/* "ON CONFLICT DO UPDATE command cannot affect row a second time":
	 * two keys equal to the database but not as text; dedupe and retry */
	again_dedup = !dedup && state != NULL && strcmp(state, "21000") == 0;
	if (!again_dedup && !bisectable(l, res)) {
		rc = aqi_load_dberr(l, res, "merge");
		goto out;
	}
	reason_of(res, reason, sizeof reason, 0);
	PQclear(res);
	if ((rc = aqi_load_exec(l, "ROLLBACK TO SAVEPOINT aq_merge")) != AQ_OK ||
	    (rc = aqi_load_exec(l, "RELEASE SAVEPOINT aq_merge")) != AQ_OK)
		goto out;
	if (again_dedup) {
		dedup = 1;
		goto again;
	}
	if (b - a == 1) {
		rc = reject_row(l, a, reason);
		goto out;
	}
	rc = merge_rows(l, a, a + (b - a) / 2, ins, upd, uniq);
	if (rc == AQ_OK)
		rc = merge_rows(l, a + (b - a) / 2, b, ins, upd, uniq);
out:
	aq_buf_free(&q);
	return rc;
}

/*
 * Upsert mode, a batch without a repeated key: the rows equal to the
 * stored ones leave staging before the merge, counted as offered (and so
 * as unchanged).  With a repeated key the merge's own test does it, since
 * only the last of the key's rows counts.
 */
static int
drop_unchanged(struct aq_loader *l, uint64_t *uniq)
{
	struct aq_buf q = {0};
	PGresult *res;

	if (aqi_sql_unchanged(&q, &l->t) != AQ_OK) {
		aq_buf_free(&q);
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	}
	res = PQexec(l->conn, q.data);
	aq_buf_free(&q);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return aqi_load_dberr(l, res, "unchanged rows");
	*uniq += strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return AQ_OK;
}

/*
 * The rows as streamed carry no aq_ord: the staging rows give each its
 * place, in l->stage, leaving l->copy as it was for another attempt.
 */
static int
add_ords(struct aq_loader *l)
{
	size_t k;

	aq_buf_reset(&l->stage);
	for (k = 0; k < l->nrows; k++) {
		struct aqi_load_row *r = &l->rows[k];
		size_t off = l->stage.len;

		if (l->enc->row_with_ord(&l->stage, l->copy.data + r->copy_off, r->copy_len,
		    k) != AQ_OK) {
			aq_buf_free(&l->stage);
			return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		}
		r->stage_off = off;
		r->stage_len = l->stage.len - off;
	}
	return AQ_OK;
}

int
aqi_load_recover(struct aq_loader *l, struct aqi_load_tally *t)
{
	struct aq_buf q = {0};
	int rc;

	if ((rc = aqi_load_exec(l, "BEGIN")) != AQ_OK)
		return rc;
	if (aqi_sql_copy_stage(&q, &l->t, l->enc) != AQ_OK) {
		aq_buf_free(&q);
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	}
	if ((rc = add_ords(l)) != AQ_OK) {
		aq_buf_free(&q);
		return rc;
	}
	rc = copy_rows(l, q.data, 0, l->nrows, 0);
	aq_buf_free(&q);
	if (rc == AQ_OK && (rc = aqi_load_partitions(l)) == AQ_OK) {
		if (l->mode == AQ_LOAD_INSERT && l->t.npk > 0 && (rc = reject_present(l)) != AQ_OK)
			return rc;
		if (l->mode == AQ_LOAD_UPSERT && l->t.npk > 0 && l->t.npk < l->t.ncols &&
		    !l->dups && (rc = drop_unchanged(l, &t->uniq)) != AQ_OK)
			return rc;
		rc = merge_rows(l, 0, l->nrows, &t->ins, &t->upd, &t->uniq);
		/* insert mode: every row not inserted was rejected */
		if (l->mode == AQ_LOAD_INSERT)
			t->uniq = t->ins;
	}
	return rc;
}
