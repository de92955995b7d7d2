/*
 * load-open.c: the target table, read from the catalog by aq_loader_open():
 * its columns, types, defaults, primary key and partition key, the orphan
 * rule's tables, and the staging table made in its image.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "load-int.h"

void
aqi_load_free_target(struct aq_loader *l)
{
	struct aqi_table *t = &l->t;
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		free(t->cols[i].qname);
		free(t->cols[i].defval);
		free(t->cols[i].deftext);
	}
	free(t->cols);
	t->cols = NULL;
	t->ncols = t->npk = 0;
	free(t->qtable);
	free(t->label);
	free(t->collist);
	t->qtable = t->label = t->collist = NULL;
	free(l->orphansql);
	l->orphansql = NULL;
	free(l->slots);
	free(l->keycache);
	l->slots = NULL;
	l->keycache = NULL;
	l->nkeycache = 0;
}

/* Evaluate a column default once, encoded as a field of c's type. */
static int
eval_default(struct aq_loader *l, const char *expr, struct aqi_column *c)
{
	struct aq_buf sql = {0}, b = {0};
	PGresult *res;
	int rc = AQ_OK;

	c->defval = c->deftext = NULL;
	c->deflen = c->deftextlen = 0;
	if (aq_buf_printf(&sql, "SELECT (%s)::text", expr) != AQ_OK)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	res = PQexec(l->conn, sql.data);
	aq_buf_free(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return aqi_load_dberr(l, res, "column default");
	/* kept as the server's text, encoded by aqi_load_defaults() */
	if (!PQgetisnull(res, 0, 0)) {
		if (aqi_buf_add(&b, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0)) != AQ_OK ||
		    (b.data == NULL && aqi_buf_add(&b, "", 0) != AQ_OK))
			rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		c->deftext = b.data;
		c->deftextlen = b.len;
	}
	PQclear(res);
	return rc;
}

/*
 * The orphan rule on the open table: its column must be an integer column
 * of the target, and the referenced table (in the target's schema unless
 * it names one) must have the key column, an integer too; else the rule
 * does not apply and no row is counted.
 */
static int
open_orphans(struct aq_loader *l, const char *schema)
{
	static const char q_ref[] =
	    "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.atttypid "
	    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
	    "  AND NOT a.attisdropped AND a.attname = $3 "
	    "WHERE n.nspname = $1 AND c.relname = $2";
	const struct aqi_orphan_rule *o = &l->orphans;
	const char *dot, *params[3];
	char *refschema = NULL;
	struct aq_buf q = {0};
	PGresult *res = NULL;
	size_t i;
	int rc = AQ_OK;

	if (o->column == NULL)
		return AQ_OK;
	for (i = 0; i < l->t.ncols; i++)
		if (strcmp(l->t.cols[i].name, o->column) == 0 && l->t.cols[i].type == AQI_CT_INT)
			break;
	if (i == l->t.ncols)
		return AQ_OK;
	dot = strchr(o->reftable, '.');
	if (dot != NULL && (refschema = strndup(o->reftable, (size_t)(dot - o->reftable))) == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	params[0] = dot ? refschema : schema;
	params[1] = dot ? dot + 1 : o->reftable;
	params[2] = o->refcolumn;
	res = PQexecParams(l->conn, q_ref, 3, NULL, params, NULL, NULL, 0);
	free(refschema);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return aqi_load_dberr(l, res, "catalog");
	if (PQntuples(res) == 1 &&
	    aqi_coltype_of(strtoul(PQgetvalue(res, 0, 1), NULL, 10)) == AQI_CT_INT) {
		struct aq_buf qref = {0};

		if (aqi_sql_ident(&qref, o->refcolumn) != AQ_OK ||
		    aqi_sql_orphans(&q, PQgetvalue(res, 0, 0), qref.data) != AQ_OK)
			rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		else {
			l->orphancol = (int)i;
			l->orphansql = q.data;
			q.data = NULL;
		}
		aq_buf_free(&qref);
	}
	aq_buf_free(&q);
	PQclear(res);
	return rc;
}

int
aq_loader_open(struct aq_loader *l, const char *table, int mode, int strict)
{
	static const char q_rel[] =
	    "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind, "
	    "  n.nspname, "
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
	struct aqi_table *t = &l->t;
	PGresult *res = NULL;
	const char *params[2];
	char *schema = NULL, *name = NULL, *oid = NULL, *nsp = NULL;
	const char *dot;
	struct aq_buf list = {0};
	size_t i;
	int rc = AQ_OK;

	if (l->conn == NULL || table == NULL || *table == '\0')
		return aqi_load_fail(l, AQ_EINVAL, "no connection or no table");
	if ((rc = aqi_load_finish_flight(l)) != AQ_OK)
		return rc;
	aqi_check_reset(l);
	aqi_load_free_target(l);
	l->mode = mode;
	l->strict = strict;
	l->binary_ok = 0;
	l->partcol = l->orphancol = -1;
	if ((t->label = strdup(table)) == NULL)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	/* "schema.table" or "table"; a name with a dot needs a schema */
	dot = strchr(table, '.');
	schema = strndup(table, dot ? (size_t)(dot - table) : 0);
	name = strdup(dot ? dot + 1 : table);
	if (schema == NULL || name == NULL) {
		rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	params[0] = schema;
	params[1] = name;
	res = PQexecParams(l->conn, q_rel, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = aqi_load_dberr(l, res, "catalog");
		res = NULL;
		goto out;
	}
	if (PQntuples(res) != 1) {
		rc = aqi_load_fail(l, AQ_ESCHEMA,
		    "table %s does not exist (aq-load --init creates the schema)", table);
		goto out;
	}
	oid = strdup(PQgetvalue(res, 0, 0));
	t->qtable = strdup(PQgetvalue(res, 0, 1));
	nsp = strdup(PQgetvalue(res, 0, 3));
	if (oid == NULL || t->qtable == NULL || nsp == NULL) {
		rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	l->can_partition = PQgetvalue(res, 0, 2)[0] == 'p' && PQgetvalue(res, 0, 4)[0] == 't';
	PQclear(res);
	params[0] = oid;
	res = PQexecParams(l->conn, q_cols, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = aqi_load_dberr(l, res, "catalog");
		res = NULL;
		goto out;
	}
	t->ncols = (size_t)PQntuples(res);
	if (t->ncols == 0) {
		rc = aqi_load_fail(l, AQ_ESCHEMA, "table %s has no columns to load", table);
		goto out;
	}
	t->cols = calloc(t->ncols, sizeof *t->cols);
	l->slots = calloc(t->ncols, sizeof *l->slots);
	if (t->cols == NULL || l->slots == NULL) {
		t->ncols = 0;
		rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < t->ncols; i++) {
		struct aqi_column *c = &t->cols[i];
		const char *nm = PQgetvalue(res, (int)i, 0);
		struct aq_buf qn = {0};

		c->name = strdup(nm);
		c->namelen = strlen(nm);
		if (aqi_sql_ident(&qn, nm) != AQ_OK)
			aq_buf_free(&qn);
		c->qname = qn.data;
		if (c->name == NULL || c->qname == NULL) {
			rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
			goto out;
		}
		c->oid = strtoul(PQgetvalue(res, (int)i, 1), NULL, 10);
		c->type = aqi_coltype_of(c->oid);
		c->pk = PQgetvalue(res, (int)i, 3)[0] == 't';
		t->npk += c->pk;
		if (PQgetvalue(res, (int)i, 4)[0] == 't')
			l->partcol = (int)i;
		if (!PQgetisnull(res, (int)i, 2) &&
		    strncmp(PQgetvalue(res, (int)i, 2), "nextval(", 8) != 0 &&
		    (rc = eval_default(l, PQgetvalue(res, (int)i, 2), c)) != AQ_OK)
			goto out;
	}
	if (aqi_sql_collist(&list, t) != AQ_OK) {
		rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	if (!l->can_partition)
		l->partcol = -1;
	/* binary when every column's type allows, and every default */
	l->enc = &aqi_copy_binary;
	for (i = 0; i < t->ncols; i++)
		if (l->text_only || !aqi_copy_binary_knows(t->cols[i].oid))
			l->enc = &aqi_copy_text;
	if ((rc = aqi_load_defaults(l)) == AQI_ETEXT) {
		l->enc = &aqi_copy_text;
		rc = aqi_load_defaults(l);
	}
	if (rc != AQ_OK) {
		rc = aqi_load_fail(l, AQ_ENOMEM, "out of memory");
		goto out;
	}
	l->binary_ok = l->enc == &aqi_copy_binary;
	PQclear(res);
	res = PQexec(l->conn, "SELECT current_setting('track_counts')::boolean");
	l->stats = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
	t->collist = list.data;
	list.data = NULL;
	if (t->npk == 0 && mode != AQ_LOAD_INSERT) {
		rc = aqi_load_fail(l, AQ_ESCHEMA, "table %s has no primary key: use --mode insert",
		    table);
		goto out;
	}
	PQclear(res);
	res = NULL;
	if ((rc = open_orphans(l, nsp)) != AQ_OK)
		goto out;
	rc = aqi_load_stage(l);
out:
	PQclear(res);
	aq_buf_free(&list);
	free(schema);
	free(name);
	free(oid);
	free(nsp);
	return rc;
}

int
aqi_load_stage(struct aq_loader *l)
{
	aq_buf_reset(&l->tmp);
	if (aqi_sql_stage(&l->tmp, &l->t) != AQ_OK)
		return aqi_load_fail(l, AQ_ENOMEM, "out of memory");
	return aqi_load_exec(l, l->tmp.data);
}
