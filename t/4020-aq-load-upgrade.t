#!/bin/sh
# An upgrade keeps every row: a database made by the released schema
# (migrations 001-005, as release 0.1.0 made it), loaded, then upgraded by
# aq-load --init to the latest, holds the same rows, and loads on.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
pg_start
plan 7
RELEASED="001-tables 002-measurement 003-latest 004-views 005-access"

$PSQL -c 'CREATE DATABASE aq' >/dev/null
PGDATABASE=aq; export PGDATABASE
q 'CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())' >/dev/null
bad=
for m in $RELEASED; do
	$PSQL -1 -f "$AQ_SRCDIR/sql/$m.sql" >/dev/null 2>"$TMP/m.err" || bad="$bad $m"
	q "INSERT INTO schema_version (version, name) VALUES (${m%%-*}, '$m')" >/dev/null
done
check_eq "the released migrations apply with psql" "$bad" ""

gen_rows 3000 1000 1722470400 >"$TMP/rows"
bad=
for tf in country:countries instrument:instruments license:licenses location:locations \
    manufacturer:manufacturers owner:owners parameter:parameters \
    location_license:location-licenses location_instrument:location-instruments; do
	aq-load -q -t "${tf%%:*}" "$AQ_TESTDATA/dims/loc2178-${tf#*:}.out.ndjson" || bad="$bad ${tf%%:*}"
done
aq-load -q -t measurement "$TMP/rows" || bad="$bad measurement"
check_eq "the released schema loads today's rows and dimensions" "$bad" ""
tables=$(q "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_version'")
sums() { for t in $tables; do printf '%s=%s\n' "$t" "$(table_sum "$t")"; done; }
sums >"$TMP/before"

check "aq-load --init upgrades it" aq-load --init
check_grep "saying from which version to which" "schema upgraded from version 5 to [0-9]+" "$TMP/.err"
sums >"$TMP/after"
check_same "every table of the release holds the same rows" "$TMP/after" "$TMP/before"
check "and loads on, with a run log" aq-load -q -t measurement "$TMP/rows"
check_eq "the run log has the run" "$(q 'SELECT count(*), max(unchanged) FROM load_run')" "1|3000"
