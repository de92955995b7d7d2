/*
 * migrate.c: the schema migrations.  The numbered files sql/NNN-*.sql are
 * built into the library as lib/migrations.c (lib/sql2c.awk); applying
 * them needs no file at run time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "load-int.h"

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
		return aqi_load_fail(l, AQ_EINVAL, "not connected");
	if ((rc = aqi_load_exec(l, "BEGIN")) != AQ_OK)
		return rc;
	/* one --init at a time, whatever the number of loaders */
	if ((rc = aqi_load_exec(l, "SELECT pg_advisory_xact_lock(hashtext('aq_loader_migrate'))")) != AQ_OK ||
	    (rc = aqi_load_exec(l, "SET LOCAL client_min_messages = warning")) != AQ_OK ||
	    (rc = aqi_load_exec(l, "CREATE TABLE IF NOT EXISTS schema_version ("
		"version integer PRIMARY KEY, name text NOT NULL, "
		"applied_at timestamptz NOT NULL DEFAULT now())")) != AQ_OK ||
	    (rc = aqi_load_exec(l, "RESET client_min_messages")) != AQ_OK)
		goto out;
	res = PQexec(l->conn, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = aqi_load_dberr(l, res, "schema_version");
		res = NULL;
		goto out;
	}
	before = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	if (before > aq_loader_schema_latest()) {
		rc = aqi_load_fail(l, AQ_ESCHEMA, "the database schema is version %d, newer than this "
		    "library knows (%d): upgrade libopenaq", before, aq_loader_schema_latest());
		goto out;
	}
	for (m = aqi_migrations; m->name != NULL; m++) {
		if (m->version <= before)
			continue;
		res = PQexec(l->conn, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = aqi_load_dberr(l, res, m->name);
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
			rc = aqi_load_dberr(l, res, "schema_version");
			res = NULL;
			goto out;
		}
		PQclear(res);
		res = NULL;
	}
	rc = aqi_load_exec(l, "COMMIT");
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
