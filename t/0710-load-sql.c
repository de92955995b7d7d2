/*
 * 0710-load-sql: the loader's statements (lib/load-sql.c), without a
 * server: the exact text for a table with one key column and with two,
 * in each mode, with names that need quoting; and that a failed append
 * is returned.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load-int.h"
#include "tap.h"

/* A table named qtable of n columns names[i], pk[i]. */
static void
table(struct aqi_table *t, const char *qtable, size_t n, const char *const *names, const int *pk)
{
	struct aq_buf q = {0};
	size_t i;

	memset(t, 0, sizeof *t);
	t->qtable = strdup(qtable);
	t->cols = calloc(n, sizeof *t->cols);
	if (t->qtable == NULL || t->cols == NULL)
		exit(99);
	t->ncols = n;
	for (i = 0; i < n; i++) {
		struct aq_buf qn = {0};

		if (aqi_sql_ident(&qn, names[i]) != AQ_OK)
			exit(99);
		t->cols[i].name = strdup(names[i]);
		t->cols[i].qname = qn.data;
		t->cols[i].pk = pk[i];
		t->npk += pk[i] != 0;
	}
	if (aqi_sql_collist(&q, t) != AQ_OK)
		exit(99);
	t->collist = q.data;
}

static void
table_free(struct aqi_table *t)
{
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		free(t->cols[i].qname);
	}
	free(t->cols);
	free(t->qtable);
	free(t->collist);
}

static void
is_merge(const struct aqi_table *t, int mode, size_t a, size_t b, int dedup, const char *want,
    const char *what)
{
	struct aq_buf q = {0};
	int rc = aqi_sql_merge(&q, t, mode, a, b, dedup);

	if (!ok(rc == AQ_OK && q.data != NULL && strcmp(q.data, want) == 0, "%s", what))
		diag("  rc %d\n#   got  %s\n#   want %s", rc, q.data ? q.data : "(null)", want);
	aq_buf_free(&q);
}

static void
is_sql(int rc, struct aq_buf *q, const char *want, const char *what)
{
	if (!ok(rc == AQ_OK && q->data != NULL && strcmp(q->data, want) == 0, "%s", what))
		diag("  rc %d\n#   got  %s\n#   want %s", rc, q->data ? q->data : "(null)", want);
	aq_buf_free(q);
}

#define DO_UPDATE1                                                              \
	"ON CONFLICT (\"id\") DO UPDATE SET \"select\" = EXCLUDED.\"select\", "   \
	"\"a\"\"b\" = EXCLUDED.\"a\"\"b\" WHERE (t.\"select\", t.\"a\"\"b\")::text " \
	"IS DISTINCT FROM (EXCLUDED.\"select\", EXCLUDED.\"a\"\"b\")::text "
#define INTO1                                                                   \
	", m AS (INSERT INTO public.\"my table\" AS t (\"id\", \"select\", \"a\"\"b\") " \
	"SELECT \"id\", \"select\", \"a\"\"b\" FROM s ORDER BY \"id\" "
#define PLAIN(a, b) "WITH s AS (SELECT * FROM pg_temp.aq_stage WHERE aq_ord >= " a " AND aq_ord < " b ")"
#define END "RETURNING 1) SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM s)"

#define DISTINCT2(dir)                                                          \
	"WITH s AS (SELECT DISTINCT ON (\"sensor_id\", \"date time\") * FROM pg_temp.aq_stage " \
	"WHERE aq_ord >= 5 AND aq_ord < 9 ORDER BY \"sensor_id\", \"date time\", aq_ord " dir ")"
#define INTO2                                                                   \
	", m AS (INSERT INTO public.m AS t (\"sensor_id\", \"date time\", \"value\", \"select\") " \
	"SELECT \"sensor_id\", \"date time\", \"value\", \"select\" FROM s "   \
	"ORDER BY \"sensor_id\", \"date time\" "
#define DO_UPDATE2                                                              \
	"ON CONFLICT (\"sensor_id\", \"date time\") DO UPDATE SET \"value\" = EXCLUDED.\"value\", " \
	"\"select\" = EXCLUDED.\"select\" WHERE (t.\"value\", t.\"select\")::text " \
	"IS DISTINCT FROM (EXCLUDED.\"value\", EXCLUDED.\"select\")::text "

int
main(void)
{
	static const char *const n1[] = {"id", "select", "a\"b"};
	static const int pk1[] = {1, 0, 0};
	static const char *const n2[] = {"sensor_id", "date time", "value", "select"};
	static const int pk2[] = {1, 1, 0, 0};
	static const char *const nk[] = {"k"};
	static const int pkk[] = {1};
	static const int pk0[] = {0, 0, 0};
	/* the builders read only the encoder's name */
	static const struct aqi_copy_enc text = {.name = "text"};
	struct aqi_table t1, t2, tk, t0;
	struct aq_buf q = {0};
	int rc;

	plan(40);
	table(&t1, "public.\"my table\"", 3, n1, pk1);
	table(&t2, "public.m", 4, n2, pk2);
	table(&tk, "k", 1, nk, pkk);
	table(&t0, "nokey", 3, n1, pk0);

	/* identifiers */
	is_sql(aqi_sql_ident(&q, "select"), &q, "\"select\"", "a reserved word is quoted");
	is_sql(aqi_sql_ident(&q, "a\"b"), &q, "\"a\"\"b\"", "a double quote is doubled");
	is_sql(aqi_sql_ident(&q, "\"\""), &q, "\"\"\"\"\"\"", "only double quotes");
	is_sql(aqi_sql_ident(&q, ""), &q, "\"\"", "the empty name");
	is_sql(aqi_sql_ident(&q, "caf\xc3\xa9 \"x\""), &q, "\"caf\xc3\xa9 \"\"x\"\"\"",
	    "UTF-8 and spaces as they are");
	is_str(t1.collist, "\"id\", \"select\", \"a\"\"b\"", "the column list");

	/* COPY and staging */
	is_sql(aqi_sql_copy(&q, &t1, &text), &q,
	    "COPY public.\"my table\" (\"id\", \"select\", \"a\"\"b\") FROM STDIN",
	    "COPY into the target, text format: no option");
	is_sql(aqi_sql_copy_stage(&q, &t2, &text), &q,
	    "COPY pg_temp.aq_stage (\"sensor_id\", \"date time\", \"value\", \"select\", aq_ord) FROM STDIN",
	    "COPY into staging, with aq_ord");
	{
		struct aqi_copy_enc bin = {.name = "binary"};

		is_sql(aqi_sql_copy(&q, &tk, &bin), &q, "COPY k (\"k\") FROM STDIN WITH (FORMAT binary)",
		    "another format is named");
	}
	is_sql(aqi_sql_stage(&q, &t1), &q,
	    "SET client_min_messages = warning; DROP TABLE IF EXISTS pg_temp.aq_stage; "
	    "RESET client_min_messages; CREATE TEMP TABLE aq_stage (LIKE public.\"my table\" "
	    "INCLUDING DEFAULTS INCLUDING CONSTRAINTS) ON COMMIT DELETE ROWS; "
	    "ALTER TABLE aq_stage ADD COLUMN aq_ord integer", "the staging table");

	/* one key column */
	is_merge(&t1, AQ_LOAD_UPSERT, 0, 10, 0, PLAIN("0", "10") INTO1 DO_UPDATE1 END,
	    "1 key, upsert, distinct keys");
	is_merge(&t1, AQ_LOAD_UPSERT, 0, 10, 1,
	    "WITH s AS (SELECT DISTINCT ON (\"id\") * FROM pg_temp.aq_stage WHERE aq_ord >= 0 "
	    "AND aq_ord < 10 ORDER BY \"id\", aq_ord DESC)" INTO1 DO_UPDATE1 END,
	    "1 key, upsert, dedup: the last row of a key wins");
	is_merge(&t1, AQ_LOAD_IGNORE, 3, 4, 0, PLAIN("3", "4") INTO1 "ON CONFLICT DO NOTHING " END,
	    "1 key, ignore");
	is_merge(&t1, AQ_LOAD_IGNORE, 0, 10, 1,
	    "WITH s AS (SELECT DISTINCT ON (\"id\") * FROM pg_temp.aq_stage WHERE aq_ord >= 0 "
	    "AND aq_ord < 10 ORDER BY \"id\", aq_ord DESC)" INTO1 "ON CONFLICT DO NOTHING " END,
	    "1 key, ignore, dedup");
	is_merge(&t1, AQ_LOAD_INSERT, 0, 2, 0, PLAIN("0", "2") INTO1 "ON CONFLICT DO NOTHING " END,
	    "1 key, insert");
	is_merge(&t1, AQ_LOAD_INSERT, 0, 10, 1,
	    "WITH s AS (SELECT DISTINCT ON (\"id\") * FROM pg_temp.aq_stage WHERE aq_ord >= 0 "
	    "AND aq_ord < 10 ORDER BY \"id\", aq_ord ASC)" INTO1 "ON CONFLICT DO NOTHING " END,
	    "1 key, insert, dedup: the first row of a key wins");
	is_sql(aqi_sql_present(&q, &t1), &q,
	    "DELETE FROM pg_temp.aq_stage s WHERE EXISTS (SELECT 1 FROM public.\"my table\" t "
	    "WHERE t.\"id\" = s.\"id\") OR EXISTS (SELECT 1 FROM pg_temp.aq_stage e "
	    "WHERE e.aq_ord < s.aq_ord AND e.\"id\" = s.\"id\") RETURNING s.aq_ord",
	    "1 key, insert: the rows present");

	/* two key columns */
	is_merge(&t2, AQ_LOAD_UPSERT, 5, 9, 0, PLAIN("5", "9") INTO2 DO_UPDATE2 END,
	    "2 keys, upsert");
	is_merge(&t2, AQ_LOAD_UPSERT, 5, 9, 1, DISTINCT2("DESC") INTO2 DO_UPDATE2 END,
	    "2 keys, upsert, dedup");
	is_merge(&t2, AQ_LOAD_IGNORE, 5, 9, 0, PLAIN("5", "9") INTO2 "ON CONFLICT DO NOTHING " END,
	    "2 keys, ignore");
	is_merge(&t2, AQ_LOAD_IGNORE, 5, 9, 1, DISTINCT2("DESC") INTO2 "ON CONFLICT DO NOTHING " END,
	    "2 keys, ignore, dedup");
	is_merge(&t2, AQ_LOAD_INSERT, 5, 9, 0, PLAIN("5", "9") INTO2 "ON CONFLICT DO NOTHING " END,
	    "2 keys, insert");
	is_merge(&t2, AQ_LOAD_INSERT, 5, 9, 1, DISTINCT2("ASC") INTO2 "ON CONFLICT DO NOTHING " END,
	    "2 keys, insert, dedup");
	is_sql(aqi_sql_present(&q, &t2), &q,
	    "DELETE FROM pg_temp.aq_stage s WHERE EXISTS (SELECT 1 FROM public.m t "
	    "WHERE t.\"sensor_id\" = s.\"sensor_id\" AND t.\"date time\" = s.\"date time\") "
	    "OR EXISTS (SELECT 1 FROM pg_temp.aq_stage e WHERE e.aq_ord < s.aq_ord "
	    "AND e.\"sensor_id\" = s.\"sensor_id\" AND e.\"date time\" = s.\"date time\") "
	    "RETURNING s.aq_ord", "2 keys, insert: the rows present");

	/* every column in the key; no key */
	is_merge(&tk, AQ_LOAD_UPSERT, 0, 1, 0,
	    "WITH s AS (SELECT * FROM pg_temp.aq_stage WHERE aq_ord >= 0 AND aq_ord < 1), "
	    "m AS (INSERT INTO k AS t (\"k\") SELECT \"k\" FROM s ORDER BY \"k\" ON CONFLICT DO NOTHING " END,
	    "upsert when every column is in the key: nothing to update");
	is_merge(&t0, AQ_LOAD_INSERT, 0, 3, 1,
	    PLAIN("0", "3") ", m AS (INSERT INTO nokey AS t (\"id\", \"select\", \"a\"\"b\") "
	    "SELECT \"id\", \"select\", \"a\"\"b\" FROM s " END,
	    "insert into a table without a key: every row, no ON CONFLICT");

	/* upsert: the rows equal to the stored ones leave staging */
	is_sql(aqi_sql_unchanged(&q, &t2), &q,
	    "DELETE FROM pg_temp.aq_stage s WHERE (SELECT true FROM public.m t WHERE "
	    "s.\"sensor_id\" = t.\"sensor_id\" AND s.\"date time\" = t.\"date time\" AND "
	    "t.\"value\" IS NOT DISTINCT FROM s.\"value\" AND "
	    "t.\"select\" IS NOT DISTINCT FROM s.\"select\")",
	    "2 keys, upsert: the unchanged rows");

	/* which failures are a row's, which the batch's for a passing reason */
	ok(aqi_sqlstate_row("22P02") &&
	    aqi_sqlstate_row("23505") && aqi_sqlstate_row("22021") && !aqi_sqlstate_row("40P01") &&
	    !aqi_sqlstate_row("53100") && !aqi_sqlstate_row("21000") && !aqi_sqlstate_row(NULL) &&
	    !aqi_sqlstate_row("2"), "a row's fault: classes 22 and 23");
	ok(aqi_sqlstate_transient("40P01") && aqi_sqlstate_transient("40001") &&
	    aqi_sqlstate_transient("08006") && aqi_sqlstate_transient("57P01") &&
	    aqi_sqlstate_transient("57P02") && aqi_sqlstate_transient("57P03") &&
	    aqi_sqlstate_transient("53100") && aqi_sqlstate_transient("53200") &&
	    aqi_sqlstate_transient("57014") && aqi_sqlstate_transient("55P03"),
	    "passing: deadlock, serialization, connection, shutdown, resources, timeouts");
	ok(!aqi_sqlstate_transient("22P02") &&
	    !aqi_sqlstate_transient("23505") && !aqi_sqlstate_transient("42P01") &&
	    !aqi_sqlstate_transient("42501") && !aqi_sqlstate_transient("XX000") &&
	    !aqi_sqlstate_transient(NULL) && !aqi_sqlstate_transient("40P0") &&
	    !aqi_sqlstate_transient("40P011"), "not passing: data, syntax, privileges, unknown");

	/* the orphan count, with the batch's facts */
	is_sql(aqi_sql_orphans(&q, "public.sensor", "\"id\""), &q,
	    "SELECT current_setting('aq.revised', true), txid_current(), "
	    "(SELECT coalesce(sum(u.n), 0) FROM unnest($1::bigint[], $2::bigint[]) AS u(id, n) "
	    "WHERE NOT EXISTS (SELECT 1 FROM public.sensor s WHERE s.\"id\" = u.id))",
	    "the orphan count, each value once with its rows");

	/* the check of stored rows: grouped by the server, by the client */
	is_sql(aqi_sql_check(&q, &t2, 1, 0), &q,
	    "WITH u AS (SELECT * FROM unnest($1, $2) AS u(\"sensor_id\", \"date time\")), "
	    "g AS (SELECT \"sensor_id\", min(\"date time\") AS aq_lo, max(\"date time\") AS aq_hi "
	    "FROM u GROUP BY \"sensor_id\") SELECT t.\"sensor_id\", t.\"date time\", t.\"value\", "
	    "t.\"select\" FROM g CROSS JOIN LATERAL (SELECT \"sensor_id\", \"date time\", \"value\", "
	    "\"select\" FROM public.m t WHERE t.\"sensor_id\" = g.\"sensor_id\" AND "
	    "t.\"date time\" >= g.aq_lo AND t.\"date time\" <= g.aq_hi AND t.\"date time\" >= $3 "
	    "AND t.\"date time\" < $4 OFFSET 0) t", "the check, the server's groups");
	is_sql(aqi_sql_check(&q, &t2, 1, 1), &q,
	    "WITH g AS (SELECT * FROM unnest($1, $2, $3) AS g(\"sensor_id\", aq_lo, aq_hi)) "
	    "SELECT t.\"sensor_id\", t.\"date time\", t.\"value\", t.\"select\" FROM g "
	    "CROSS JOIN LATERAL (SELECT \"sensor_id\", \"date time\", \"value\", \"select\" "
	    "FROM public.m t WHERE t.\"sensor_id\" = g.\"sensor_id\" AND t.\"date time\" >= g.aq_lo "
	    "AND t.\"date time\" <= g.aq_hi AND t.\"date time\" >= $4 AND t.\"date time\" < $5 "
	    "OFFSET 0) t", "the check, the client's groups");
	is_sql(aqi_sql_check(&q, &tk, -1, 1), &q,
	    "WITH g AS (SELECT * FROM unnest($1, $2) AS g(aq_lo, aq_hi)) SELECT t.\"k\" FROM g "
	    "CROSS JOIN LATERAL (SELECT \"k\" FROM k t WHERE t.\"k\" >= g.aq_lo AND "
	    "t.\"k\" <= g.aq_hi OFFSET 0) t", "the check of a one-column key");

	/* a buffer that cannot grow: the first append fails, and says so */
	{
		struct aq_buf full = {0};

		if ((full.data = malloc(16)) == NULL)
			return 99;
		full.len = full.cap = SIZE_MAX - 1;
		rc = aqi_sql_merge(&full, &t2, AQ_LOAD_UPSERT, 0, 1, 1);
		is_int(rc, AQ_ENOMEM, "merge: a failed append is AQ_ENOMEM");
		is_int(aqi_sql_present(&full, &t2), AQ_ENOMEM, "present: AQ_ENOMEM");
		is_int(aqi_sql_ident(&full, "x"), AQ_ENOMEM, "ident: AQ_ENOMEM");
		is_int(aqi_sql_collist(&full, &t2), AQ_ENOMEM, "collist: AQ_ENOMEM");
		is_int(aqi_sql_copy(&full, &t2, &text), AQ_ENOMEM, "copy: AQ_ENOMEM");
		ok(full.len == SIZE_MAX - 1, "and the buffer is as it was");
		free(full.data);
	}

	table_free(&t1);
	table_free(&t2);
	table_free(&tk);
	table_free(&t0);
	return done_testing();
}
