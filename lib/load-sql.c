/*
 * load-sql.c: the text of the loader's statements.
 *
 * The merge of a batch from the staging table, per mode:
 *   insert  rows whose key exists were deleted from staging first
 *           (aqi_sql_present); the rest go in, ON CONFLICT DO NOTHING
 *   upsert  ON CONFLICT (key) DO UPDATE, only where the values differ
 *   ignore  ON CONFLICT DO NOTHING: the stored row stays
 * Every append is checked where it happens: a builder returns the first
 * failure (AQ_ENOMEM), leaving q with part of the statement.  No libpq
 * here: the unit tests need no server.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "load-int.h"

/* Return the first failing append's code. */
#define TRY(expr)                                                       \
	do {                                                            \
		int try_rc_ = (expr);                                   \
		if (try_rc_ != AQ_OK)                                   \
			return try_rc_;                                 \
	} while (0)

#define STAGE "pg_temp." AQI_STAGE

int
aqi_sql_ident(struct aq_buf *q, const char *name)
{
	const char *p;

	TRY(aqi_buf_add(q, "\"", 1));
	/* as PQescapeIdentifier: '"' doubled; UTF-8 has no '"' inside a
	 * multibyte character */
	while ((p = strchr(name, '"')) != NULL) {
		TRY(aqi_buf_add(q, name, (size_t)(p - name) + 1));
		TRY(aqi_buf_add(q, "\"", 1));
		name = p + 1;
	}
	TRY(aq_buf_puts(q, name));
	return aqi_buf_add(q, "\"", 1);
}

int
aqi_sql_collist(struct aq_buf *q, const struct aqi_table *t)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		TRY(aq_buf_printf(q, "%s%s", i ? ", " : "", t->cols[i].qname));
	return AQ_OK;
}

/* " WITH (FORMAT x)" but for text, the default, which says nothing. */
static int
format_option(struct aq_buf *q, const struct aqi_copy_enc *enc)
{
	if (enc == NULL || strcmp(enc->name, "text") == 0)
		return AQ_OK;
	return aq_buf_printf(q, " WITH (FORMAT %s)", enc->name);
}

int
aqi_sql_copy(struct aq_buf *q, const struct aqi_table *t, const struct aqi_copy_enc *enc)
{
	TRY(aq_buf_printf(q, "COPY %s (%s) FROM STDIN", t->qtable, t->collist));
	return format_option(q, enc);
}

int
aqi_sql_copy_stage(struct aq_buf *q, const struct aqi_table *t, const struct aqi_copy_enc *enc)
{
	TRY(aq_buf_printf(q, "COPY " STAGE " (%s, aq_ord) FROM STDIN", t->collist));
	return format_option(q, enc);
}

int
aqi_sql_stage(struct aq_buf *q, const struct aqi_table *t)
{
	/* the target's columns, NOT NULL and CHECK constraints included so
	 * that COPY finds bad rows with their line, plus the row's place in
	 * the batch */
	return aq_buf_printf(q, "SET client_min_messages = warning; "
	    "DROP TABLE IF EXISTS " STAGE "; RESET client_min_messages; "
	    "CREATE TEMP TABLE " AQI_STAGE " (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
	    "ON COMMIT DELETE ROWS; ALTER TABLE " AQI_STAGE " ADD COLUMN aq_ord integer",
	    t->qtable);
}

/*
 * The columns in or out of the key (pk 1 or 0), each as pre, name, post,
 * name (when post is not NULL), joined by sep.
 */
static int
columns(struct aq_buf *q, const struct aqi_table *t, int pk, const char *sep, const char *pre,
    const char *post)
{
	size_t i;
	int first = 1;

	for (i = 0; i < t->ncols; i++) {
		if (t->cols[i].pk != pk)
			continue;
		TRY(aq_buf_printf(q, "%s%s%s", first ? "" : sep, pre, t->cols[i].qname));
		if (post != NULL)
			TRY(aq_buf_printf(q, "%s%s", post, t->cols[i].qname));
		first = 0;
	}
	return AQ_OK;
}

int
aqi_sql_merge(struct aq_buf *q, const struct aqi_table *t, int mode, size_t a, size_t b,
    int dedup)
{
	if (t->npk == 0 || !dedup)
		TRY(aq_buf_printf(q, "WITH s AS (SELECT * FROM " STAGE
		    " WHERE aq_ord >= %zu AND aq_ord < %zu)", a, b));
	else {
		TRY(aq_buf_puts(q, "WITH s AS (SELECT DISTINCT ON ("));
		TRY(columns(q, t, 1, ", ", "", NULL));
		TRY(aq_buf_printf(q, ") * FROM " STAGE " WHERE aq_ord >= %zu AND aq_ord < %zu "
		    "ORDER BY ", a, b));
		TRY(columns(q, t, 1, ", ", "", NULL));
		TRY(aq_buf_printf(q, ", aq_ord %s)", mode == AQ_LOAD_INSERT ? "ASC" : "DESC"));
	}
	TRY(aq_buf_printf(q, ", m AS (INSERT INTO %s AS t (%s) SELECT %s FROM s ",
	    t->qtable, t->collist, t->collist));
	/* in key order: loaders of the same rows at the same time then lock
	 * them in the same order, and do not deadlock */
	if (t->npk > 0) {
		TRY(aq_buf_puts(q, "ORDER BY "));
		TRY(columns(q, t, 1, ", ", "", NULL));
		TRY(aq_buf_puts(q, " "));
	}
	if (t->npk == 0)
		;	/* insert mode into a table without a key: every row goes in */
	else if (mode == AQ_LOAD_UPSERT && t->npk < t->ncols) {
		TRY(aq_buf_puts(q, "ON CONFLICT ("));
		TRY(columns(q, t, 1, ", ", "", NULL));
		TRY(aq_buf_puts(q, ") DO UPDATE SET "));
		TRY(columns(q, t, 0, ", ", "", " = EXCLUDED."));
		/* a row equal to the stored one is not rewritten (as text:
		 * json has no equality operator) */
		TRY(aq_buf_puts(q, " WHERE ("));
		TRY(columns(q, t, 0, ", ", "t.", NULL));
		TRY(aq_buf_puts(q, ")::text IS DISTINCT FROM ("));
		TRY(columns(q, t, 0, ", ", "EXCLUDED.", NULL));
		TRY(aq_buf_puts(q, ")::text "));
	} else
		TRY(aq_buf_puts(q, "ON CONFLICT DO NOTHING "));
	return aq_buf_puts(q, "RETURNING 1) SELECT (SELECT count(*) FROM m), "
	    "(SELECT count(*) FROM s)");
}

int
aqi_sql_present(struct aq_buf *q, const struct aqi_table *t)
{
	/* out of staging, so that the merge cannot meet them again */
	TRY(aq_buf_printf(q, "DELETE FROM " STAGE " s WHERE EXISTS "
	    "(SELECT 1 FROM %s t WHERE ", t->qtable));
	TRY(columns(q, t, 1, " AND ", "t.", " = s."));
	TRY(aq_buf_puts(q, ") OR EXISTS (SELECT 1 FROM " STAGE " e WHERE e.aq_ord < s.aq_ord"));
	TRY(columns(q, t, 1, "", " AND e.", " = s."));
	return aq_buf_puts(q, ") RETURNING s.aq_ord");
}

int
aqi_sql_orphans(struct aq_buf *q, const char *qreftab, const char *qref)
{
	/* with the batch's facts (load.c, batch_facts()); each distinct
	 * value once, with its number of rows */
	return aq_buf_printf(q, "SELECT current_setting('aq.revised', true), txid_current(), "
	    "(SELECT coalesce(sum(u.n), 0) FROM unnest($1::bigint[], $2::bigint[]) AS u(id, n) "
	    "WHERE NOT EXISTS (SELECT 1 FROM %s s WHERE s.%s = u.id))", qreftab, qref);
}

int
aqi_sql_unchanged(struct aq_buf *q, const struct aqi_table *t)
{
	size_t i;

	/*
	 * Staging rows equal to the stored ones go: the merge would lock
	 * each such row, which writes to its page and to the WAL, for no
	 * change.  A correlated subquery, so that each row is one probe of
	 * the primary key whatever the planner thinks of the sizes (a join
	 * may scan the whole table for a batch).  json has no equality: its
	 * text is compared.
	 */
	TRY(aq_buf_printf(q, "DELETE FROM " STAGE " s WHERE (SELECT true FROM %s t WHERE ",
	    t->qtable));
	TRY(columns(q, t, 1, " AND ", "s.", " = t."));
	for (i = 0; i < t->ncols; i++) {
		const struct aqi_column *c = &t->cols[i];

		if (c->pk)
			continue;
		if (c->type == AQI_CT_JSON)
			TRY(aq_buf_printf(q, " AND t.%s::text IS NOT DISTINCT FROM s.%s::text",
			    c->qname, c->qname));
		else
			TRY(aq_buf_printf(q, " AND t.%s IS NOT DISTINCT FROM s.%s", c->qname,
			    c->qname));
	}
	return aq_buf_puts(q, ")");
}

int
aqi_sql_check(struct aq_buf *q, const struct aqi_table *t, int partcol, int grouped)
{
	size_t i, last = t->ncols, np = 0;
	int first;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].pk)
			last = i;
	if (grouped) {
		/* the groups as the client made them: $1.. the key's other
		 * columns, then the lowest and highest of its last */
		TRY(aq_buf_puts(q, "WITH g AS (SELECT * FROM unnest("));
		for (i = 0; i < t->npk + 1; i++)
			TRY(aq_buf_printf(q, "%s$%zu", i ? ", " : "", i + 1));
		TRY(aq_buf_puts(q, ") AS g("));
		for (i = 0; i < t->ncols; i++)
			if (t->cols[i].pk && i != last)
				TRY(aq_buf_printf(q, "%s, ", t->cols[i].qname));
		TRY(aq_buf_puts(q, "aq_lo, aq_hi))"));
		np = t->npk + 1;
	} else {
		TRY(aq_buf_puts(q, "WITH u AS (SELECT * FROM unnest("));
		for (i = 0; i < t->npk; i++)
			TRY(aq_buf_printf(q, "%s$%zu", i ? ", " : "", i + 1));
		TRY(aq_buf_puts(q, ") AS u("));
		TRY(columns(q, t, 1, ", ", "", NULL));
		/*
		 * Per value of the key's other columns (a sensor and period),
		 * one index range over its last column (the times), not one
		 * probe per row.
		 */
		TRY(aq_buf_puts(q, ")), g AS (SELECT "));
		for (i = 0, first = 1; i < t->ncols; i++)
			if (t->cols[i].pk && i != last) {
				TRY(aq_buf_printf(q, "%s%s", first ? "" : ", ", t->cols[i].qname));
				first = 0;
			}
		TRY(aq_buf_printf(q, "%smin(%s) AS aq_lo, max(%s) AS aq_hi FROM u",
		    first ? "" : ", ", t->cols[last].qname, t->cols[last].qname));
		if (t->npk > 1) {
			TRY(aq_buf_puts(q, " GROUP BY "));
			for (i = 0, first = 1; i < t->ncols; i++)
				if (t->cols[i].pk && i != last) {
					TRY(aq_buf_printf(q, "%s%s", first ? "" : ", ",
					    t->cols[i].qname));
					first = 0;
				}
		}
		TRY(aq_buf_puts(q, ")"));
		np = t->npk;
	}
	/* OFFSET 0 keeps the planner from turning the ranges into a scan of
	 * the whole table; the partition range prunes */
	TRY(aq_buf_puts(q, " SELECT "));
	for (i = 0; i < t->ncols; i++)
		TRY(aq_buf_printf(q, "%st.%s", i ? ", " : "", t->cols[i].qname));
	TRY(aq_buf_printf(q, " FROM g CROSS JOIN LATERAL (SELECT %s FROM %s t WHERE ", t->collist,
	    t->qtable));
	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].pk && i != last)
			TRY(aq_buf_printf(q, "t.%s = g.%s AND ", t->cols[i].qname, t->cols[i].qname));
	TRY(aq_buf_printf(q, "t.%s >= g.aq_lo AND t.%s <= g.aq_hi", t->cols[last].qname,
	    t->cols[last].qname));
	if (partcol >= 0)
		TRY(aq_buf_printf(q, " AND t.%s >= $%zu AND t.%s < $%zu", t->cols[partcol].qname,
		    np + 1, t->cols[partcol].qname, np + 2));
	return aq_buf_puts(q, " OFFSET 0) t");
}

/* SQLSTATE classes and codes, as in PostgreSQL's errcodes.txt */
int
aqi_sqlstate_row(const char *state)
{
	return state != NULL && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0);
}

int
aqi_sqlstate_transient(const char *state)
{
	static const char *const codes[] = {
		"40001",	/* serialization_failure */
		"40P01",	/* deadlock_detected */
		"57P01",	/* admin_shutdown */
		"57P02",	/* crash_shutdown */
		"57P03",	/* cannot_connect_now */
		"57014",	/* query_canceled: statement_timeout */
		"55P03",	/* lock_not_available: lock_timeout */
	};
	size_t i;

	if (state == NULL || strlen(state) != 5)
		return 0;
	/* connection_exception, insufficient_resources (disk full, out of
	 * memory, too many connections) */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0)
		return 1;
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(state, codes[i]) == 0)
			return 1;
	return 0;
}
