#!/bin/sh
# The run log (load_run), revisions (measurement_revision), unchanged rows
# left alone, and -d NAME as a database name.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 40

gen_rows 100 1000 1722470400 >"$TMP/rows"
last_run() { q "SELECT $1 FROM load_run ORDER BY id DESC LIMIT 1"; }

# ---- a run's row ----
check "a load with --label" aq-load -t measurement --label "nightly 2024-08" "$TMP/rows"
check_eq "one load_run row, finished, exit status 0" \
	"$(q "SELECT count(*), bool_and(finished_at IS NOT NULL), max(status) FROM load_run")" "1|t|0"
check_eq "its table, mode and label" "$(last_run "target_table || '|' || mode || '|' || label")" \
	"measurement|upsert|nightly 2024-08"
check_eq "its counts: read, inserted, updated, unchanged, rejected, orphans, batches" \
	"$(last_run "concat_ws('|', rows_read, inserted, updated, unchanged, rejected, orphans, batches)")" \
	"100|100|0|0|0|100|1"
ok "started before it finished" "$(last_run "started_at <= finished_at")" = t

# ---- a rerun of the same rows: unchanged, and left alone ----
before=$(q "SELECT string_agg(xmin::text || ':' || xmax::text, ',' ORDER BY sensor_id, datetime) FROM measurement")
check "a rerun of the same rows" aq-load -t measurement "$TMP/rows"
check_grep "counts every row unchanged" "100 read, 0 inserted, 0 updated, 100 unchanged" "$TMP/.err"
after=$(q "SELECT string_agg(xmin::text || ':' || xmax::text, ',' ORDER BY sensor_id, datetime) FROM measurement")
check_eq "no row was rewritten or even locked (xmin and xmax as they were)" "$after" "$before"
check_eq "the run log says so" "$(last_run "concat_ws('|', inserted, updated, unchanged, revised)")" "0|0|100|0"

# ---- corrections: revisions kept ----
# rows 1-5: a new value; rows 6-7: new units; rows 8-10: only flagged
awk 'NR <= 5 { sub(/"value":[0-9.]+/, "\"value\":999.5") }
     NR == 6 || NR == 7 { sub(/"units":"[^"]*"/, "\"units\":\"ppb\"") }
     NR >= 8 && NR <= 10 { sub(/"flagged":false/, "\"flagged\":true") }
     { print }' "$TMP/rows" >"$TMP/fixed"
check "a load of corrected rows" aq-load -t measurement --label fix "$TMP/fixed"
check_grep "10 updated, 90 unchanged, 7 revised" "10 updated, 90 unchanged, .* 7 revised" "$TMP/.err"
run=$(last_run id)
check_eq "measurement_revision holds the 7 old and new versions, naming the run" \
	"$(q "SELECT count(*), count(*) FILTER (WHERE load_run_id = $run) FROM measurement_revision")" "7|7"
check_eq "the old and the new value" \
	"$(q "SELECT DISTINCT old_value <> new_value AND new_value = 999.5 FROM measurement_revision WHERE old_units = new_units")" t
check_eq "the old and the new units" \
	"$(q "SELECT string_agg(DISTINCT old_units || '>' || new_units, ',') FROM measurement_revision WHERE old_value = new_value")" "µg/m³>ppb"
check_eq "the table holds the new values" "$(q "SELECT count(*) FROM measurement WHERE value = 999.5 OR units = 'ppb' OR flagged")" 10
check_eq "the run log counts the revisions" "$(last_run "concat_ws('|', updated, unchanged, revised)")" "10|90|7"
check_eq "location_revision: per location and day" \
	"$(q "SELECT sum(revisions), sum(units_changed) FROM location_revision WHERE day = (now() AT TIME ZONE 'UTC')::date")" "7|2"

# a correction within a run's first batch names the run too, and a row
# repeated in one batch (the last wins) is a revision once
{ sed -n 11p "$TMP/rows" | sed 's/"value":[0-9.]*/"value":1.25/'; sed -n 11p "$TMP/rows" | sed 's/"value":[0-9.]*/"value":2.5/'; } >"$TMP/twice"
check "a key twice in one batch" aq-load -t measurement "$TMP/twice"
check_eq "one revision, to the last value, naming the run" \
	"$(q "SELECT count(*), max(new_value), bool_and(load_run_id = (SELECT max(id) FROM load_run)) FROM measurement_revision WHERE new_value IN (1.25, 2.5)")" "1|2.5|t"

# any writer: psql's UPDATE is a revision too, naming no run
q "UPDATE measurement SET value = value + 1 WHERE sensor_id = 1000 AND datetime = (SELECT min(datetime) FROM measurement)" >/dev/null
check_eq "an UPDATE by psql is logged, with no run" "$(q "SELECT count(*) FROM measurement_revision WHERE load_run_id IS NULL")" 1

# insert and ignore modes: no revision, no update
check "insert mode over stored rows" aq-load -t measurement --mode insert --reject "$TMP/irej" "$TMP/fixed"
check_eq "rejects them, revises nothing" "$(last_run "concat_ws('|', inserted, rejected, revised, status)")" "0|100|0|0"
check "ignore mode" aq-load -t measurement --mode ignore "$TMP/rows"
check_eq "keeps the stored rows" "$(last_run "concat_ws('|', inserted, updated, unchanged, revised)")" "0|0|100|0"

# ---- failures are logged with their status ----
printf '%s\n' '{"sensor_id":1,"period":"hour","datetime":"2024-06-01T00:00:00Z","value":"high"}' 'not json' >"$TMP/bad"
check_status "a run stopped by a reject (no --reject): exit 65" 65 aq-load -t measurement "$TMP/bad"
check_eq "is logged, finished, with exit status 65" "$(last_run "concat_ws('|', finished_at IS NOT NULL, status)")" "t|65"
check "a run with rejects" aq-load -t measurement --reject "$TMP/rej" "$TMP/bad"
check_eq "the run log counts every reject: the database's and the bad line" \
	"$(last_run "concat_ws('|', rows_read, rejected, status)")" "2|2|0"

# ---- --stream: the row is brought up to date at every commit ----
mkfifo "$TMP/fifo"
aq-load -q -t measurement --stream --flush-interval 0.2 --label stream "$TMP/fifo" 2>"$TMP/serr" &
pid=$!
exec 3>"$TMP/fifo"
gen_rows 30 5000 1722470400 >&3
streamed() { [ "$(q "SELECT inserted FROM load_run WHERE label = 'stream'")" = "$1" ]; }
wait_for 'the first commit in the run log' 60 streamed 30
check_eq "while it runs: not finished, no status" \
	"$(q "SELECT concat_ws('|', finished_at IS NULL, status IS NULL) FROM load_run WHERE label = 'stream'")" "t|t"
gen_rows 20 6000 1722470400 >&3
wait_for 'the second commit in the run log' 60 streamed 50
exec 3>&-
wait "$pid"
check_eq "at the end: finished, exit 0, every row" \
	"$(q "SELECT concat_ws('|', finished_at IS NOT NULL, status, inserted) FROM load_run WHERE label = 'stream'")" "t|0|50"

# ---- kill -9: the row keeps what was committed, unfinished ----
rm -f "$TMP/fifo"; mkfifo "$TMP/fifo"
aq-load -q -t measurement --stream --flush-interval 0.2 --label killed "$TMP/fifo" 2>/dev/null &
pid=$!
exec 3>"$TMP/fifo"
gen_rows 40 7000 1722470400 >&3
killed() { [ "$(q "SELECT inserted FROM load_run WHERE label = 'killed'")" = 40 ]; }
wait_for 'the commit of the killed run' 60 killed
kill -9 "$pid"; wait "$pid" 2>/dev/null
exec 3>&-
check_eq "after kill -9: the committed counts, not finished" \
	"$(q "SELECT concat_ws('|', inserted, finished_at IS NULL, status IS NULL) FROM load_run WHERE label = 'killed'")" "40|t|t"
check_eq "and the rows it claims are there" "$(q "SELECT count(*) FROM measurement WHERE sensor_id BETWEEN 7000 AND 7009")" 40

# ---- -d: a database name, a conninfo or a URI ----
q 'CREATE DATABASE "other db"' >/dev/null
unset PGDATABASE
check "-d NAME: a bare database name (with a space)" aq-load -d "other db" --init
check_eq "creates the schema there" "$(PGDATABASE='other db' q "SELECT count(*) FROM schema_version")" "$(PGDATABASE=aq q "SELECT count(*) FROM schema_version")"
check "-d dbname=...: a conninfo" aq-load -q -d "dbname=aq" -t measurement "$TMP/rows"
check "-d postgresql://: a URI" aq-load -q -d "postgresql:///aq?host=$PGHOST" -t measurement "$TMP/rows"
check_status "-d a database that does not exist: exit 69" 69 aq-load -d nosuchdb -t measurement "$TMP/rows"
check_grep "naming it" 'database "nosuchdb" does not exist' "$TMP/.err"
PGDATABASE=aq; export PGDATABASE

# ---- without a load_run table: loads, logs nothing ----
q 'CREATE SCHEMA plain; CREATE TABLE plain.t (id integer PRIMARY KEY, v text)' >/dev/null
echo '{"id":1,"v":"a"}' >"$TMP/plain"
check "a table in a schema without load_run loads" aq-load -t plain.t --label x "$TMP/plain"
check_eq "and writes no run row" "$(q "SELECT count(*) FROM load_run WHERE label = 'x'")" 0
