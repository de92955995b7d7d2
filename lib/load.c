/*
 * load.c: the PostgreSQL loader.
 *
 * Rows are turned into COPY text as they are added and streamed to the
 * server at once, so that the server works while we parse the next rows.
 * The batch's COPY text and each row's JSON stay in memory until the batch
 * is committed: when the server refuses the batch, they let us find the
 * bad rows (guided by the line number in COPY's error context, else by
 * bisection) inside savepoints, without losing the good ones.
 *
 * Every mode first COPYs the batch straight into the target: when every
 * row is new (a first load, a new period) that is all, and as fast as
 * COPY.  When the COPY fails (a key that exists, a bad row) or the batch
 * repeats a key, the batch is redone in a fresh transaction through a
 * temporary staging table (the target's columns and constraints, plus
 * aq_ord, the row's place in the batch), bad rows rejected, then merged
 * with one INSERT ... SELECT DISTINCT ON (key) ... ON CONFLICT:
 *   insert  rows whose key exists (stored, or earlier in the batch) are
 *           rejected as already present; the rest go in
 *   upsert  DO UPDATE, only where the values differ: the later row wins
 *   ignore  DO NOTHING: the stored row stays
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "aq-int.h"

/* PostgreSQL type oids (pg_type.h) that change how a value is written */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_JSON 114
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700
#define OID_TIMESTAMPTZ 1184
#define OID_JSONB 3802

enum { CT_TEXT, CT_INT, CT_FLOAT, CT_BOOL, CT_JSON };

#define SEND_CHUNK 65536
#define STAGE "aq_stage"

struct column {
	char *name;
	size_t namelen;
	char *qname;		/* quoted identifier */
	int type;		/* CT_* */
	int pk;			/* part of the primary key */
	char *defval;		/* default as COPY text, or NULL for \N */
};

struct row {
	size_t copy_off, copy_len;	/* its COPY text in l->copy */
	size_t json_off, json_len;	/* its JSON in l->json */
	long line;
	size_t src;			/* index in l->srcs */
	int64_t month;			/* of the partition key, or -1 */
};

struct aq_loader {
	PGconn *conn;
	struct aqi_errbuf err;
	void (*reject)(void *, const char *, long, const char *, size_t, const char *);
	void *reject_arg;
	void (*notice)(void *, const char *);
	void *notice_arg;

	/* the target, from the catalog */
	int mode, strict;
	char *qtable;			/* "schema"."table" */
	char *label;			/* table as the user named it */
	struct column *cols;
	size_t ncols, npk;
	int partcol;			/* timestamptz partition key column, or -1 */
	int orphancol;			/* sensor_id, when table sensor exists, or -1 */
	int can_partition;		/* aq_ensure_partition() exists */
	char *collist;			/* "a","b","c" */

	/* the batch */
	struct aq_buf copy, json, ids;
	size_t sent;			/* bytes of copy already sent */
	struct row *rows;
	size_t nrows, caprows;
	char **srcs;
	size_t nsrcs;
	int in_copy;			/* a COPY is streaming */
	int broken;			/* the streaming COPY failed: redo at flush */
	uint64_t *keys;			/* hashes of the batch's keys (0: free) */
	size_t capkeys, nkeys;
	int dups;			/* the batch may repeat a key */
	int stats;			/* track_counts is on */
	int64_t *months;		/* months with a partition (this run) */
	size_t nmonths, capmonths;
	size_t nmonths_committed;	/* the rest were made in this batch */

	/* per-row scratch */
	const struct aq_value **slots;
	size_t *keycache;		/* column of the i-th member last time */
	size_t nkeycache;
	char **unknown;			/* keys warned about */
	size_t nunknown;
	struct aq_buf tmp;

	uint64_t counts[AQ_LOAD_NCOUNTERS];
};

/* ---- small helpers ---- */

static int
fail(struct aq_loader *l, int code, const char *fmt, ...) AQI_PRINTF(3, 4);

static int
fail(struct aq_loader *l, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	aqi_vfail(&l->err, code, fmt, ap);
	va_end(ap);
	return code;
}

/* libpq's message, trimmed to one line. */
static const char *
pqmsg(const char *m)
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

/* The failure code for a bad result or connection. */
static int
dberr(struct aq_loader *l, PGresult *res, const char *what)
{
	int code = PQstatus(l->conn) == CONNECTION_BAD ? AQ_EDBCONN : AQ_EDB;
	const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(l->conn);

	if (res != NULL && (m == NULL || *m == '\0'))
		m = PQerrorMessage(l->conn);
	fail(l, code, "%s: %s", what, pqmsg(m));
	PQclear(res);
	return code;
}

/* Run a command that returns no rows. */
static int
exec(struct aq_loader *l, const char *sql)
{
	PGresult *res = PQexec(l->conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		return dberr(l, res, sql);
	PQclear(res);
	return AQ_OK;
}

static void
on_notice(void *arg, const PGresult *res)
{
	struct aq_loader *l = arg;
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (l->notice != NULL && m != NULL)
		l->notice(l->notice_arg, m);
}

static void
warn(struct aq_loader *l, const char *fmt, ...) AQI_PRINTF(2, 3);

static void
warn(struct aq_loader *l, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (l->notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	l->notice(l->notice_arg, buf);
}

/* ---- life cycle ---- */

struct aq_loader *
aq_loader_new(void)
{
	struct aq_loader *l = calloc(1, sizeof *l);

	if (l != NULL) {
		l->partcol = -1;
		l->orphancol = -1;
	}
	return l;
}

static void
free_target(struct aq_loader *l)
{
	size_t i;

	for (i = 0; i < l->ncols; i++) {
		free(l->cols[i].name);
		PQfreemem(l->cols[i].qname);
		free(l->cols[i].defval);
	}
	free(l->cols);
	l->cols = NULL;
	l->ncols = l->npk = 0;
	free(l->qtable);
	free(l->label);
	free(l->collist);
	free(l->slots);
	free(l->keycache);
	l->qtable = l->label = l->collist = NULL;
	l->slots = NULL;
	l->keycache = NULL;
	l->nkeycache = 0;
}

static void
clear_batch(struct aq_loader *l)
{
	size_t i;

	aq_buf_reset(&l->copy);
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
}

void
aq_loader_free(struct aq_loader *l)
{
	size_t i;

	if (l == NULL)
		return;
	if (l->conn != NULL)
		PQfinish(l->conn);
	free_target(l);
	clear_batch(l);
	aq_buf_free(&l->copy);
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
	l->notice_arg = arg;
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
		return fail(l, AQ_ENOMEM, "out of memory");
	if (PQstatus(l->conn) != CONNECTION_OK)
		return fail(l, AQ_EDBCONN, "cannot connect to the database: %s",
		    pqmsg(PQerrorMessage(l->conn)));
	PQsetNoticeReceiver(l->conn, on_notice, l);
	/* UTF-8 in, UTF-8 out, whatever the server's default; times in UTC */
	if (PQsetClientEncoding(l->conn, "UTF8") != 0)
		return fail(l, AQ_EDB, "cannot use UTF8: %s", pqmsg(PQerrorMessage(l->conn)));
	return exec(l, "SET TIME ZONE 'UTC'");
}

/* ---- migrations ---- */

int
aq_loader_schema_latest(void)
{
	int v = 0;

	for (const struct aqi_migration *m = aqi_migrations; m->name != NULL; m++)
		v = m->version;
	return v;
}

int
aq_loader_migrate(struct aq_loader *l, int *from, int *to)
{
	const struct aqi_migration *m;
	PGresult *res = NULL;
	int before = 0, rc;
	char v[16];
	const char *params[2];

	if (l->conn == NULL)
		return fail(l, AQ_EINVAL, "not connected");
	if ((rc = exec(l, "BEGIN")) != AQ_OK)
		return rc;
	/* one --init at a time, whatever the number of loaders */
	if ((rc = exec(l, "SELECT pg_advisory_xact_lock(hashtext('aq_loader_migrate'))")) != AQ_OK ||
	    (rc = exec(l, "SET LOCAL client_min_messages = warning")) != AQ_OK ||
	    (rc = exec(l, "CREATE TABLE IF NOT EXISTS schema_version ("
		"version integer PRIMARY KEY, name text NOT NULL, "
		"applied_at timestamptz NOT NULL DEFAULT now())")) != AQ_OK ||
	    (rc = exec(l, "RESET client_min_messages")) != AQ_OK)
		goto out;
	res = PQexec(l->conn, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = dberr(l, res, "schema_version");
		res = NULL;
		goto out;
	}
	before = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	if (before > aq_loader_schema_latest()) {
		rc = fail(l, AQ_ESCHEMA, "the database schema is version %d, newer than this "
		    "library knows (%d): upgrade libopenaq", before, aq_loader_schema_latest());
		goto out;
	}
	for (m = aqi_migrations; m->name != NULL; m++) {
		if (m->version <= before)
			continue;
		res = PQexec(l->conn, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = dberr(l, res, m->name);
			res = NULL;
			goto out;
		}
		PQclear(res);
		snprintf(v, sizeof v, "%d", m->version);
		params[0] = v;
		params[1] = m->name;
		res = PQexecParams(l->conn, "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
		    2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = dberr(l, res, "schema_version");
			res = NULL;
			goto out;
		}
		PQclear(res);
		res = NULL;
	}
	rc = exec(l, "COMMIT");
	if (rc == AQ_OK) {
		if (from != NULL)
			*from = before;
		if (to != NULL)
			*to = aq_loader_schema_latest();
		return AQ_OK;
	}
out:
	PQclear(res);
	if (PQstatus(l->conn) == CONNECTION_OK) {
		res = PQexec(l->conn, "ROLLBACK");
		PQclear(res);
	}
	return rc;
}

/* ---- opening a table ---- */

/* Evaluate a column default once, as COPY text. */
static int
eval_default(struct aq_loader *l, const char *expr, char **out)
{
	struct aq_buf sql = {0};
	PGresult *res;
	int rc = AQ_OK;

	*out = NULL;
	if (aq_buf_printf(&sql, "SELECT (%s)::text", expr) != AQ_OK)
		return fail(l, AQ_ENOMEM, "out of memory");
	res = PQexec(l->conn, sql.data);
	aq_buf_free(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return dberr(l, res, "column default");
	if (!PQgetisnull(res, 0, 0)) {
		struct aq_buf b = {0};
		const char *s = PQgetvalue(res, 0, 0);

		for (; *s; s++) {
			const char *e = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" :
			    *s == '\r' ? "\\r" : *s == '\t' ? "\\t" : NULL;

			if ((e ? aq_buf_puts(&b, e) : aqi_buf_add(&b, s, 1)) != AQ_OK) {
				rc = fail(l, AQ_ENOMEM, "out of memory");
				break;
			}
		}
		if (rc == AQ_OK && b.data == NULL)
			rc = aqi_buf_add(&b, "", 0);
		*out = b.data;
	}
	PQclear(res);
	return rc;
}

int
aq_loader_open(struct aq_loader *l, const char *table, int mode, int strict)
{
	static const char q_rel[] =
	    "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind, "
	    "  to_regclass(quote_ident(n.nspname) || '.sensor') IS NOT NULL "
	    "    AND c.relname <> 'sensor', "
	    "  to_regprocedure('aq_ensure_partition(regclass,timestamptz)') IS NOT NULL "
	    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "WHERE c.relkind IN ('r', 'p') AND c.relname = $2 "
	    "  AND (CASE WHEN $1 = '' THEN pg_table_is_visible(c.oid) ELSE n.nspname = $1 END)";
	static const char q_cols[] =
	    "SELECT a.attname, a.atttypid, pg_get_expr(d.adbin, d.adrelid), "
	    "  coalesce(a.attnum = ANY (i.indkey::int2[]), false), "
	    "  coalesce(a.attnum = pt.partattrs[0] AND a.atttypid = 1184, false) "
	    "FROM pg_attribute a "
	    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	    "LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
	    "LEFT JOIN pg_partitioned_table pt ON pt.partrelid = a.attrelid "
	    "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped "
	    "  AND a.attgenerated = '' AND a.attidentity <> 'a' "
	    "ORDER BY a.attnum";
	PGresult *res = NULL;
	const char *params[2];
	char *schema = NULL, *name = NULL, *oid = NULL;
	const char *dot;
	struct aq_buf list = {0};
	size_t i;
	int rc = AQ_OK, n;

	if (l->conn == NULL || table == NULL || *table == '\0')
		return fail(l, AQ_EINVAL, "no connection or no table");
	free_target(l);
	l->mode = mode;
	l->strict = strict;
	l->partcol = l->orphancol = -1;
	if ((l->label = strdup(table)) == NULL)
		return fail(l, AQ_ENOMEM, "out of memory");
	/* "schema.table" or "table"; a name with a dot needs a schema */
	dot = strchr(table, '.');
	schema = strndup(table, dot ? (size_t)(dot - table) : 0);
	name = strdup(dot ? dot + 1 : table);
	if (schema == NULL || name == NULL) {
		rc = fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	params[0] = schema;
	params[1] = name;
	res = PQexecParams(l->conn, q_rel, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = dberr(l, res, "catalog");
		res = NULL;
		goto out;
	}
	if (PQntuples(res) != 1) {
		rc = fail(l, AQ_ESCHEMA, "table %s does not exist (aq-load --init creates the schema)",
		    table);
		goto out;
	}
	oid = strdup(PQgetvalue(res, 0, 0));
	l->qtable = strdup(PQgetvalue(res, 0, 1));
	if (oid == NULL || l->qtable == NULL) {
		rc = fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	l->can_partition = PQgetvalue(res, 0, 2)[0] == 'p' && PQgetvalue(res, 0, 4)[0] == 't';
	n = PQgetvalue(res, 0, 3)[0] == 't';
	PQclear(res);
	params[0] = oid;
	res = PQexecParams(l->conn, q_cols, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = dberr(l, res, "catalog");
		res = NULL;
		goto out;
	}
	l->ncols = (size_t)PQntuples(res);
	if (l->ncols == 0) {
		rc = fail(l, AQ_ESCHEMA, "table %s has no columns to load", table);
		goto out;
	}
	l->cols = calloc(l->ncols, sizeof *l->cols);
	l->slots = calloc(l->ncols, sizeof *l->slots);
	if (l->cols == NULL || l->slots == NULL) {
		rc = fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < l->ncols; i++) {
		struct column *c = &l->cols[i];
		const char *nm = PQgetvalue(res, (int)i, 0);
		unsigned long type = strtoul(PQgetvalue(res, (int)i, 1), NULL, 10);

		c->name = strdup(nm);
		c->namelen = strlen(nm);
		c->qname = PQescapeIdentifier(l->conn, nm, strlen(nm));
		if (c->name == NULL || c->qname == NULL) {
			rc = fail(l, AQ_ENOMEM, "out of memory");
			goto out;
		}
		c->type = type == OID_INT2 || type == OID_INT4 || type == OID_INT8 ? CT_INT :
		    type == OID_FLOAT4 || type == OID_FLOAT8 || type == OID_NUMERIC ? CT_FLOAT :
		    type == OID_BOOL ? CT_BOOL :
		    type == OID_JSON || type == OID_JSONB ? CT_JSON : CT_TEXT;
		c->pk = PQgetvalue(res, (int)i, 3)[0] == 't';
		l->npk += c->pk;
		if (PQgetvalue(res, (int)i, 4)[0] == 't')
			l->partcol = (int)i;
		if (n && strcmp(nm, "sensor_id") == 0 && c->type == CT_INT)
			l->orphancol = (int)i;
		if (!PQgetisnull(res, (int)i, 2) && strncmp(PQgetvalue(res, (int)i, 2), "nextval(", 8) != 0 &&
		    (rc = eval_default(l, PQgetvalue(res, (int)i, 2), &c->defval)) != AQ_OK)
			goto out;
		if (aq_buf_printf(&list, "%s%s", i ? ", " : "", c->qname) != AQ_OK) {
			rc = fail(l, AQ_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (!l->can_partition)
		l->partcol = -1;
	PQclear(res);
	res = PQexec(l->conn, "SELECT current_setting('track_counts')::boolean");
	l->stats = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
	l->collist = list.data;
	list.data = NULL;
	if (l->npk == 0 && mode != AQ_LOAD_INSERT) {
		rc = fail(l, AQ_ESCHEMA, "table %s has no primary key: use --mode insert", table);
		goto out;
	}
	/* the staging table: the target's columns, NOT NULL and CHECK
	 * constraints included so that COPY finds bad rows with their line,
	 * plus the row's place in the batch */
	PQclear(res);
	res = NULL;
	aq_buf_reset(&l->tmp);
	if (aq_buf_printf(&l->tmp, "SET client_min_messages = warning; "
	    "DROP TABLE IF EXISTS pg_temp." STAGE "; RESET client_min_messages; "
	    "CREATE TEMP TABLE " STAGE " (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
	    "ON COMMIT DELETE ROWS; ALTER TABLE " STAGE " ADD COLUMN aq_ord integer",
	    l->qtable) != AQ_OK) {
		rc = fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = exec(l, l->tmp.data)) != AQ_OK)
		goto out;
out:
	PQclear(res);
	aq_buf_free(&list);
	free(schema);
	free(name);
	free(oid);
	return rc;
}

/* ---- adding rows ---- */

/* Append s[0..n) as COPY text to b. */
static int
copy_text(struct aq_buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	int rc = AQ_OK;

	/* most text has nothing to escape: one look per byte, one copy */
	for (i = 0; i < n; i++)
		if (s[i] == '\\' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			break;
	if (i == n)
		return aqi_buf_add(b, s, n);
	for (; i < n && rc == AQ_OK; i++) {
		const char *e;

		switch (s[i]) {
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default: continue;
		}
		if ((rc = aqi_buf_add(b, s + start, i - start)) == AQ_OK)
			rc = aqi_buf_add(b, e, 2);
		start = i + 1;
	}
	if (rc == AQ_OK)
		rc = aqi_buf_add(b, s + start, n - start);
	return rc;
}

/* Does a JSON value hold a NUL byte (from "\u0000") anywhere? */
static int
has_nul(const struct aq_value *v)
{
	const struct aq_value *c;
	size_t n;
	const char *s;

	switch (aq_value_type(v)) {
	case AQ_STRING:
		s = aq_value_string(v, &n);
		return memchr(s, '\0', n) != NULL;
	case AQ_OBJECT:
		for (c = aq_value_first(v); c != NULL; c = aq_value_next(c)) {
			s = aq_value_key(c, &n);
			if (memchr(s, '\0', n) != NULL || has_nul(c))
				return 1;
		}
		return 0;
	case AQ_ARRAY:
		for (c = aq_value_first(v); c != NULL; c = aq_value_next(c))
			if (has_nul(c))
				return 1;
		return 0;
	default:
		return 0;
	}
}

/* One value as COPY text of a column of type c->type. */
static int
put_value(struct aq_loader *l, struct aq_buf *b, const struct column *c, const struct aq_value *v)
{
	const char *s;
	size_t n;
	int64_t i;
	char num[24];

	switch (aq_value_type(v)) {
	case AQ_NULL:
		return aqi_buf_add(b, "\\N", 2);
	case AQ_TRUE:
	case AQ_FALSE:
		if (c->type == CT_BOOL)
			return aqi_buf_add(b, aq_value_type(v) == AQ_TRUE ? "t" : "f", 1);
		s = aq_value_type(v) == AQ_TRUE ? "true" : "false";
		return aq_buf_puts(b, s);
	case AQ_NUMBER:
		s = aq_value_string(v, &n);
		/* 6.0 or 1e3 in an integer column: the integer they are */
		if (c->type == CT_INT && strpbrk(s, ".eE") != NULL && aq_value_int64(v, &i) == AQ_OK) {
			n = (size_t)snprintf(num, sizeof num, "%" PRId64, i);
			s = num;
		}
		return aqi_buf_add(b, s, n);
	case AQ_STRING:
		if (c->type != CT_JSON) {
			s = aq_value_string(v, &n);
			return copy_text(b, s, n);
		}
		/* a string in a json column is a JSON string */
		/* FALLTHROUGH */
	default: {
		/* objects and arrays (and JSON strings) as compact JSON text */
		struct aq_writer *w = aq_writer_new(NULL);
		int rc;

		if (w == NULL)
			return AQ_ENOMEM;
		if ((rc = aq_writer_value(w, v)) == AQ_OK && (rc = aq_writer_end_line(w)) == AQ_OK) {
			s = aq_writer_buffer(w, &n);
			rc = copy_text(b, s, n - 1);	/* without the newline */
		}
		aq_writer_free(w);
		(void)l;
		return rc;
	}
	}
}

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
			return dberr(l, NULL, "COPY");
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

	if ((rc = exec(l, "BEGIN")) != AQ_OK)
		return rc;
	aq_buf_reset(&l->tmp);
	if (aq_buf_printf(&l->tmp, "COPY %s (%s) FROM STDIN", l->qtable, l->collist) != AQ_OK)
		return fail(l, AQ_ENOMEM, "out of memory");
	res = PQexec(l->conn, l->tmp.data);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		return dberr(l, res, "COPY");
	PQclear(res);
	l->in_copy = 1;
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
		if (i < l->ncols && l->cols[i].namelen == keylen &&
		    memcmp(l->cols[i].name, key, keylen) == 0)
			return i;
	}
	for (i = 0; i < l->ncols; i++)
		if (l->cols[i].namelen == keylen && memcmp(l->cols[i].name, key, keylen) == 0)
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
	warn(l, "key '%.*s' is not a column of %s: ignored", (int)keylen, key, l->label);
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

int
aq_loader_add(struct aq_loader *l, const struct aq_value *rec, const char *json, size_t len,
    const char *source, long line)
{
	const struct aq_value *m;
	size_t i, pos, before, col, src;
	struct row *r;
	int64_t month = -1;
	uint64_t keyhash = 14695981039346656037ULL;
	int rc;

	if (l == NULL || l->cols == NULL || aq_value_type(rec) != AQ_OBJECT)
		return l ? fail(l, AQ_EINVAL, "no table open, or not an object") : AQ_EINVAL;
	for (i = 0; i < l->ncols; i++)
		l->slots[i] = NULL;
	for (m = aq_value_first(rec), pos = 0; m != NULL; m = aq_value_next(m), pos++) {
		size_t keylen;
		const char *key = aq_value_key(m, &keylen);

		col = column_of(l, pos, key, keylen);
		if (col == l->ncols) {
			if (l->strict)
				return fail(l, AQ_EDATA, "key '%.*s' is not a column of %s (--strict)",
				    (int)keylen, key, l->label);
			if ((rc = unknown_key(l, key, keylen)) != AQ_OK)
				return fail(l, rc, "out of memory");
			continue;
		}
		l->slots[col] = m;
	}
	for (i = 0; i < l->ncols; i++)
		if (l->slots[i] != NULL && has_nul(l->slots[i]))
			return fail(l, AQ_EDATA, "%s holds a NUL character (\\u0000), which "
			    "PostgreSQL cannot store", l->cols[i].name);
	if (l->partcol >= 0 && l->slots[l->partcol] != NULL)
		month = month_of(l->slots[l->partcol]);

	if (l->nrows == l->caprows) {
		size_t cap = l->caprows ? l->caprows * 2 : 1024;
		struct row *p = realloc(l->rows, cap * sizeof *p);

		if (p == NULL)
			return fail(l, AQ_ENOMEM, "out of memory");
		l->rows = p;
		l->caprows = cap;
	}
	if ((src = intern_source(l, source)) == (size_t)-1)
		return fail(l, AQ_ENOMEM, "out of memory");

	/* the COPY line */
	before = l->copy.len;
	rc = AQ_OK;
	for (i = 0; i < l->ncols && rc == AQ_OK; i++) {
		const struct column *c = &l->cols[i];
		size_t at;

		if (i > 0)
			rc = aqi_buf_add(&l->copy, "\t", 1);
		if (rc != AQ_OK)
			break;
		at = l->copy.len;
		if (l->slots[i] != NULL)
			rc = put_value(l, &l->copy, c, l->slots[i]);
		else if (c->defval != NULL)
			rc = aq_buf_puts(&l->copy, c->defval);
		else
			rc = aqi_buf_add(&l->copy, "\\N", 2);
		if (c->pk && rc == AQ_OK)
			keyhash = fnv(keyhash, l->copy.data + at, l->copy.len - at + 1);	/* + the tab or NUL */
	}
	if (rc == AQ_OK && l->npk > 0) {
		note_key(l, keyhash);
		/* a repeated key fails the direct COPY for sure: stop streaming,
		 * the batch goes through staging at flush */
		if (l->dups)
			l->broken = 1;
	}
	if (rc == AQ_OK)
		rc = aqi_buf_add(&l->copy, "\n", 1);
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
		return fail(l, AQ_ENOMEM, "out of memory");
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

/* ---- committing a batch ---- */

static void
reject_row(struct aq_loader *l, size_t k, const char *reason)
{
	const struct row *r = &l->rows[k];

	l->counts[AQ_LOAD_REJECTED]++;
	if (l->reject != NULL)
		l->reject(l->reject_arg, l->srcs[r->src], r->line, l->json.data + r->json_off,
		    r->json_len, reason);
}

/* The reason a row is refused, from an error result. */
static void
reason_of(PGresult *res, char *buf, size_t size, int insert_dup)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

	if (insert_dup && state != NULL && strcmp(state, "23505") == 0)
		snprintf(buf, size, "already present: %s", detail ? pqmsg(detail) : pqmsg(msg));
	else if (detail != NULL)
		snprintf(buf, size, "database: %s (%s)", pqmsg(msg), detail);
	else
		snprintf(buf, size, "database: %s", pqmsg(msg));
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

/* End the streaming COPY; AQ_OK, or AQ_EDATA with *res holding the error. */
static int
end_copy(struct aq_loader *l, PGresult **res)
{
	PGresult *r;
	int rc = AQ_OK;

	*res = NULL;
	if (!l->in_copy)
		return AQ_OK;
	l->in_copy = 0;
	if (send_copy(l, 1) != AQ_OK || PQputCopyEnd(l->conn, NULL) != 1)
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
		fail(l, AQ_EDBCONN, "the database connection was lost: %s",
		    pqmsg(PQerrorMessage(l->conn)));
		return AQ_EDBCONN;
	}
	return rc;
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
		if ((rc = exec(l, "SAVEPOINT aq_rows")) != AQ_OK)
			return rc;
		res = PQexec(l->conn, copysql);
		if (PQresultStatus(res) != PGRES_COPY_IN)
			return dberr(l, res, "COPY");
		PQclear(res);
		for (k = a; k < b; k++)
			if (PQputCopyData(l->conn, l->copy.data + l->rows[k].copy_off,
			    (int)l->rows[k].copy_len) != 1)
				return dberr(l, NULL, "COPY");
		if (PQputCopyEnd(l->conn, NULL) != 1)
			return dberr(l, NULL, "COPY");
		res = PQgetResult(l->conn);
		while (PQgetResult(l->conn) != NULL)
			;	/* the COPY has one result; drain to be sure */
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			return exec(l, "RELEASE SAVEPOINT aq_rows");
		}
		if (PQstatus(l->conn) == CONNECTION_BAD)
			return dberr(l, res, "COPY");
		bad = copy_line(res);
		reason_of(res, reason, sizeof reason, insert_dup);
		PQclear(res);
		if ((rc = exec(l, "ROLLBACK TO SAVEPOINT aq_rows")) != AQ_OK)
			return rc;
		if (b - a == 1) {
			reject_row(l, a, reason);
			return exec(l, "RELEASE SAVEPOINT aq_rows");
		}
		if ((rc = exec(l, "RELEASE SAVEPOINT aq_rows")) != AQ_OK)
			return rc;
		if (bad >= 1 && (size_t)bad <= b - a) {
			/* rows before the bad one went in fine: redo them, drop it */
			if ((size_t)bad > 1 && (rc = copy_rows(l, copysql, a, a + (size_t)bad - 1,
			    insert_dup)) != AQ_OK)
				return rc;
			reject_row(l, a + (size_t)bad - 1, reason);
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

/* Make sure every month of the batch has its partition. */
static int
ensure_partitions(struct aq_loader *l)
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
		params[0] = l->qtable;
		params[1] = month;
		res = PQexecParams(l->conn, "SELECT aq_ensure_partition($1::regclass, $2::timestamptz)",
		    2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			return dberr(l, res, "aq_ensure_partition");
		PQclear(res);
		if (l->nmonths == l->capmonths) {
			size_t cap = l->capmonths ? l->capmonths * 2 : 16;
			int64_t *p = realloc(l->months, cap * sizeof *p);

			if (p == NULL)
				return fail(l, AQ_ENOMEM, "out of memory");
			l->months = p;
			l->capmonths = cap;
		}
		l->months[l->nmonths++] = m;
	}
	return AQ_OK;
}

/* Rows of the batch whose sensor_id is not in table sensor. */
static int
count_orphans(struct aq_loader *l, uint64_t *n)
{
	const char *params[1];
	PGresult *res;

	*n = 0;
	if (l->orphancol < 0 || l->ids.len == 0)
		return AQ_OK;
	if (aqi_buf_add(&l->ids, "}", 1) != AQ_OK)
		return fail(l, AQ_ENOMEM, "out of memory");
	params[0] = l->ids.data;
	res = PQexecParams(l->conn,
	    "SELECT count(*) FROM unnest($1::bigint[]) AS u(id) "
	    "WHERE NOT EXISTS (SELECT 1 FROM sensor s WHERE s.id = u.id)",
	    1, NULL, params, NULL, NULL, 0);
	l->ids.len--;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return dberr(l, res, "orphans");
	*n = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return AQ_OK;
}

/* The primary key columns, as "a, b, c" (prefix each with pre). */
static int
pk_list(struct aq_loader *l, struct aq_buf *q, const char *pre)
{
	size_t i;
	int rc = AQ_OK, first = 1;

	for (i = 0; i < l->ncols; i++)
		if (l->cols[i].pk) {
			rc |= aq_buf_printf(q, "%s%s%s", first ? "" : ", ", pre, l->cols[i].qname);
			first = 0;
		}
	return rc;
}

/*
 * The INSERT ... SELECT from staging for rows with aq_ord in [a, b).  With
 * dedup, DISTINCT ON keeps one row per key (the first in insert mode, the
 * last otherwise); without, the caller knows the keys are distinct.  The
 * result: rows written, rows offered.
 */
static int
merge_sql(struct aq_loader *l, struct aq_buf *q, size_t a, size_t b, int dedup)
{
	size_t i;
	int rc, first;

	aq_buf_reset(q);
	if (l->npk == 0 || !dedup)
		rc = aq_buf_printf(q, "WITH s AS (SELECT * FROM pg_temp." STAGE
		    " WHERE aq_ord >= %zu AND aq_ord < %zu)", a, b);
	else {
		rc = aq_buf_printf(q, "WITH s AS (SELECT DISTINCT ON (");
		rc |= pk_list(l, q, "");
		rc |= aq_buf_printf(q, ") * FROM pg_temp." STAGE " WHERE aq_ord >= %zu AND aq_ord < %zu "
		    "ORDER BY ", a, b);
		rc |= pk_list(l, q, "");
		rc |= aq_buf_printf(q, ", aq_ord %s)", l->mode == AQ_LOAD_INSERT ? "ASC" : "DESC");
	}
	rc |= aq_buf_printf(q, ", m AS (INSERT INTO %s AS t (%s) SELECT %s FROM s ",
	    l->qtable, l->collist, l->collist);
	if (l->npk == 0)
		;	/* insert mode into a table without a key: every row goes in */
	else if (l->mode == AQ_LOAD_UPSERT && l->npk < l->ncols) {
		rc |= aq_buf_printf(q, "ON CONFLICT (");
		rc |= pk_list(l, q, "");
		rc |= aq_buf_printf(q, ") DO UPDATE SET ");
		for (i = 0, first = 1; i < l->ncols; i++)
			if (!l->cols[i].pk) {
				rc |= aq_buf_printf(q, "%s%s = EXCLUDED.%s", first ? "" : ", ",
				    l->cols[i].qname, l->cols[i].qname);
				first = 0;
			}
		/* a row equal to the stored one is not rewritten (as text:
		 * json has no equality operator) */
		rc |= aq_buf_printf(q, " WHERE (");
		for (i = 0, first = 1; i < l->ncols; i++)
			if (!l->cols[i].pk) {
				rc |= aq_buf_printf(q, "%st.%s", first ? "" : ", ", l->cols[i].qname);
				first = 0;
			}
		rc |= aq_buf_printf(q, ")::text IS DISTINCT FROM (");
		for (i = 0, first = 1; i < l->ncols; i++)
			if (!l->cols[i].pk) {
				rc |= aq_buf_printf(q, "%sEXCLUDED.%s", first ? "" : ", ", l->cols[i].qname);
				first = 0;
			}
		rc |= aq_buf_printf(q, ")::text ");
	} else
		rc |= aq_buf_printf(q, "ON CONFLICT DO NOTHING ");
	rc |= aq_buf_printf(q, "RETURNING 1) SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM s)");
	return rc == AQ_OK ? AQ_OK : fail(l, AQ_ENOMEM, "out of memory");
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
	const char *params[1] = {l->qtable};
	PGresult *res;

	res = PQexecParams(l->conn,
	    "SELECT coalesce(sum(pg_stat_get_xact_tuples_inserted(relid)), 0), "
	    "coalesce(sum(pg_stat_get_xact_tuples_updated(relid)), 0) "
	    "FROM (SELECT relid FROM pg_partition_tree($1::regclass) WHERE isleaf "
	    "UNION ALL SELECT $1::regclass WHERE NOT EXISTS "
	    "(SELECT 1 FROM pg_partition_tree($1::regclass))) t",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return dberr(l, res, "statistics");
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
	size_t i;
	int rc = AQ_OK, first, k;
	char reason[256];

	/* out of staging, so that the merge cannot meet them again */
	rc |= aq_buf_printf(&q, "DELETE FROM pg_temp." STAGE " s WHERE EXISTS "
	    "(SELECT 1 FROM %s t WHERE ", l->qtable);
	for (i = 0, first = 1; i < l->ncols; i++)
		if (l->cols[i].pk) {
			rc |= aq_buf_printf(&q, "%st.%s = s.%s", first ? "" : " AND ",
			    l->cols[i].qname, l->cols[i].qname);
			first = 0;
		}
	rc |= aq_buf_printf(&q, ") OR EXISTS (SELECT 1 FROM pg_temp." STAGE " e WHERE e.aq_ord < s.aq_ord");
	for (i = 0; i < l->ncols; i++)
		if (l->cols[i].pk)
			rc |= aq_buf_printf(&q, " AND e.%s = s.%s", l->cols[i].qname, l->cols[i].qname);
	rc |= aq_buf_printf(&q, ") RETURNING s.aq_ord");
	if (rc != AQ_OK) {
		aq_buf_free(&q);
		return fail(l, AQ_ENOMEM, "out of memory");
	}
	res = PQexec(l->conn, q.data);
	aq_buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return dberr(l, res, "insert");
	for (k = 0; k < PQntuples(res); k++) {
		size_t ord = (size_t)strtoul(PQgetvalue(res, k, 0), NULL, 10);

		if (ord < l->nrows) {
			snprintf(reason, sizeof reason, "already present: a row with this key "
			    "is in %s or earlier in the input", l->label);
			reject_row(l, ord, reason);
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
	int rc, dedup = l->dups || l->npk == 0;
	char reason[512];

	if (a >= b)
		return AQ_OK;
again:
	if ((rc = merge_sql(l, &q, a, b, dedup)) != AQ_OK)
		return rc;
	if ((rc = exec(l, "SAVEPOINT aq_merge")) != AQ_OK)
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
		rc = exec(l, "RELEASE SAVEPOINT aq_merge");
		goto out;
	}
	if (PQstatus(l->conn) == CONNECTION_BAD) {
		rc = dberr(l, res, "merge");
		goto out;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	/* "ON CONFLICT DO UPDATE command cannot affect row a second time":
	 * two keys equal to the database but not as text; dedupe and retry */
	dedup = !dedup && state != NULL && strcmp(state, "21000") == 0;
	reason_of(res, reason, sizeof reason, 0);
	PQclear(res);
	if ((rc = exec(l, "ROLLBACK TO SAVEPOINT aq_merge")) != AQ_OK ||
	    (rc = exec(l, "RELEASE SAVEPOINT aq_merge")) != AQ_OK)
		goto out;
	if (dedup)
		goto again;
	if (b - a == 1) {
		reject_row(l, a, reason);
		goto out;
	}
	rc = merge_rows(l, a, a + (b - a) / 2, ins, upd, uniq);
	if (rc == AQ_OK)
		rc = merge_rows(l, a + (b - a) / 2, b, ins, upd, uniq);
out:
	aq_buf_free(&q);
	return rc;
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
 * The slow, careful path: a fresh transaction, every row COPYed into the
 * staging table with bad rows rejected, then merged.
 */
static int
load_via_staging(struct aq_loader *l, uint64_t *ins, uint64_t *upd, uint64_t *uniq)
{
	struct aq_buf q = {0};
	int rc;

	if ((rc = exec(l, "BEGIN")) != AQ_OK)
		return rc;
	if (aq_buf_printf(&q, "COPY pg_temp." STAGE " (%s, aq_ord) FROM STDIN", l->collist) != AQ_OK)
		return fail(l, AQ_ENOMEM, "out of memory");
	{
		/* the rows as streamed carry no aq_ord: give them one */
		struct aq_buf copy = l->copy;
		struct aq_buf re = {0};
		size_t k;

		for (k = 0; k < l->nrows; k++) {
			struct row *r = &l->rows[k];
			size_t off = re.len;

			if (aqi_buf_add(&re, copy.data + r->copy_off, r->copy_len - 1) != AQ_OK ||
			    aq_buf_printf(&re, "\t%zu\n", k) != AQ_OK) {
				aq_buf_free(&re);
				aq_buf_free(&q);
				return fail(l, AQ_ENOMEM, "out of memory");
			}
			r->copy_off = off;
			r->copy_len = re.len - off;
		}
		l->copy = re;
		aq_buf_free(&copy);
	}
	rc = copy_rows(l, q.data, 0, l->nrows, 0);
	aq_buf_free(&q);
	if (rc == AQ_OK && (rc = ensure_partitions(l)) == AQ_OK) {
		if (l->mode == AQ_LOAD_INSERT && l->npk > 0 && (rc = reject_present(l)) != AQ_OK)
			return rc;
		rc = merge_rows(l, 0, l->nrows, ins, upd, uniq);
		/* insert mode: every row not inserted was rejected */
		if (l->mode == AQ_LOAD_INSERT)
			*uniq = *ins;
	}
	return rc;
}

int
aq_loader_flush(struct aq_loader *l)
{
	PGresult *res = NULL;
	uint64_t ins = 0, upd = 0, uniq = 0, orphans = 0, rejected_before;
	int rc;

	if (l == NULL || l->conn == NULL)
		return AQ_EINVAL;
	if (l->nrows == 0)
		return AQ_OK;
	rejected_before = l->counts[AQ_LOAD_REJECTED];
	/* every mode first COPYs straight into the table: when that goes
	 * through, every row was new (a first load, a new period) */
	rc = l->broken ? AQ_EDATA : end_copy(l, &res);
	if (rc == AQ_EDBCONN)
		goto fail;
	if (rc == AQ_OK && (rc = ensure_partitions(l)) == AQ_OK)
		ins = uniq = l->nrows;
	if (rc == AQ_EDATA) {
		/* some row was refused: start again, carefully */
		PQclear(res);
		res = NULL;
		rollback(l);
		l->nmonths = l->nmonths_committed;
		ins = upd = uniq = 0;
		l->counts[AQ_LOAD_REJECTED] = rejected_before;
		rc = load_via_staging(l, &ins, &upd, &uniq);
	}
	PQclear(res);
	res = NULL;
	if (rc == AQ_OK)
		rc = count_orphans(l, &orphans);
	if (rc == AQ_OK)
		rc = exec(l, "COMMIT");
	if (rc != AQ_OK)
		goto fail;
	l->counts[AQ_LOAD_INSERTED] += ins;
	l->counts[AQ_LOAD_UPDATED] += upd;
	l->counts[AQ_LOAD_UNCHANGED] += uniq - ins - upd;
	l->counts[AQ_LOAD_DUPLICATES] += l->nrows - (l->counts[AQ_LOAD_REJECTED] - rejected_before) - uniq;
	l->counts[AQ_LOAD_ORPHANS] += orphans;
	l->counts[AQ_LOAD_ROWS] += l->nrows;
	l->counts[AQ_LOAD_BATCHES]++;
	l->nmonths_committed = l->nmonths;
	clear_batch(l);
	return AQ_OK;
fail:
	PQclear(res);
	rollback(l);
	/* partitions made in the lost transaction are gone */
	l->nmonths = l->nmonths_committed;
	l->counts[AQ_LOAD_REJECTED] = rejected_before;
	clear_batch(l);
	return rc;
}
