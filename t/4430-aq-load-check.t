#!/bin/sh
# Batches after one that found its rows stored are checked against the
# stored rows in one query (lib/load-check.c), not staged: a rerun of
# unchanged rows touches nothing, a corrected row among them is updated and
# kept as a revision, a new row is inserted, ignore mode keeps what is
# stored, and a table the check cannot serve (text COPY) gives the same
# counts the slower way.  Batches cross a month, so the check's partition
# range spans two partitions.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 30

log=$PGDIR/data/server.log
# statements of the server's log since mark, matching a pattern
mark() { wc -l <"$log" >"$TMP/mark"; }
since() { tail -n +"$(($(cat "$TMP/mark") + 1))" "$log" | grep -c "$1" || true; }
aql() { PGOPTIONS='-c log_statement=all' aq-load "$@"; }
last_run() { q "SELECT $1 FROM load_run ORDER BY id DESC LIMIT 1"; }
xs() { q "SELECT string_agg(xmin::text || ':' || xmax::text, ',' ORDER BY sensor_id, datetime) FROM measurement"; }

# 100 rows, 10 sensors, hourly from 2024-01-31T15:00Z: batches of 10 cross
# into February
gen_rows 100 1000 1706713200 >"$TMP/rows"
check "a first load in batches of 10" aq-load -q -t measurement --batch 10 "$TMP/rows"
before=$(xs)
mark
check "a rerun" aql -t measurement --batch 10 "$TMP/rows"
check_eq "touches no row (xmin and xmax as they were)" "$(xs)" "$before"
check_eq "and counts every row unchanged" "$(last_run "concat_ws('|', inserted, updated, unchanged, revised, batches)")" "0|0|100|0|10"
check_eq "only the first batch went through staging" "$(since 'COPY pg_temp.aq_stage')" 1
check_eq "the nine others were checked, one query each" "$(since 'execute aq_check')" 9

# corrections in later batches: a value, a unit, a value to null, a flag
awk 'NR == 15 { sub(/"value":[-0-9.]+/, "\"value\":999.5") }
     NR == 33 { sub(/"units":"[^"]*"/, "\"units\":\"ppb\"") }
     NR == 57 { sub(/"value":[-0-9.]+/, "\"value\":null") }
     NR == 99 { sub(/"flagged":false/, "\"flagged\":true") }
     { print }' "$TMP/rows" >"$TMP/fixed"
check "a load of four corrected rows" aq-load -t measurement --batch 10 --label fix "$TMP/fixed"
check_eq "updates exactly them, the rest unchanged" "$(last_run "concat_ws('|', inserted, updated, unchanged, revised)")" "0|4|96|3"
check_eq "the table holds the corrections" \
	"$(q "SELECT count(*) FROM measurement WHERE value = 999.5 OR units = 'ppb' OR value IS NULL OR flagged")" 4
check_eq "the value and unit revisions are kept" "$(q 'SELECT count(*) FROM measurement_revision')" 3

# new rows among stored ones: ten more sensors at the first hour, in the
# middle of the file
{ head -n 50 "$TMP/fixed"; gen_rows 10 2000 1706713200; tail -n +51 "$TMP/fixed"; } >"$TMP/more"
check "stored rows with ten new ones" aq-load -t measurement --batch 10 "$TMP/more"
check_eq "inserts the ten" "$(last_run "concat_ws('|', inserted, updated, unchanged)")" "10|0|100"

# ignore mode keeps the stored rows, whatever their values
check "ignore mode over the original rows" aq-load -t measurement --batch 10 --mode ignore "$TMP/rows"
check_eq "keeps every stored row" "$(last_run "concat_ws('|', inserted, updated, unchanged)")" "0|0|100"

# text COPY: the check needs binary rows; staging gives the same counts
check "text COPY, the original rows" aq-load -t measurement --batch 10 --copy-format text "$TMP/rows"
check_eq "reverts the four corrections the slower way" \
	"$(last_run "concat_ws('|', inserted, updated, unchanged, revised)")" "0|4|96|3"

# the groups' range of the key's last column, made by the client for an
# integer or a time: times on both sides of 2000-01-01 (negative and
# positive in their binary form), integers on both sides of 0; and made
# by the server for a text
q 'CREATE TABLE ck (k text, t timestamptz, v int, PRIMARY KEY (k, t))' >/dev/null
q 'CREATE TABLE ci (g int, n bigint, v int, PRIMARY KEY (g, n))' >/dev/null
q 'CREATE TABLE ct (a int, b text, v int, PRIMARY KEY (a, b))' >/dev/null
awk "$AQ_AWK_UTC"'BEGIN { for (h = -7; h < 5; h++) for (k = 0; k < 3; k++)
	printf "{\"k\":\"s%d\",\"t\":\"%s\",\"v\":%d}\n", k, utc(946684800 + 3600 * h), h }' >"$TMP/ck"
awk 'BEGIN { for (n = -7; n < 5; n++) for (g = 0; g < 3; g++)
	printf "{\"g\":%d,\"n\":%.0f,\"v\":%d}\n", g, n * 1000000007, n }' >"$TMP/ci"
awk 'BEGIN { for (n = 0; n < 12; n++) for (a = 0; a < 3; a++)
	printf "{\"a\":%d,\"b\":\"%c%d\",\"v\":%d}\n", a, 97 + n % 5, n, n }' >"$TMP/ct"
for t in ck ci ct; do
	check "$t: a first load in batches of 6" aq-load -q -t $t --batch 6 "$TMP/$t"
	mark
	check "$t: a rerun" aql -t $t --batch 6 "$TMP/$t"
	check_eq "$t: counts every row unchanged" "$(last_run "concat_ws('|', inserted, updated, unchanged, batches)")" "0|0|36|6"
	check_eq "$t: only the first batch went through staging" "$(since 'COPY pg_temp.aq_stage')" 1
done
# which grouping ran: the last table's (text) check is the server's, the
# others' the client's (the statement's first words, in the server log)
check_eq "a text key's check is grouped by the server" "$(since 'execute aq_check: WITH u AS')" 5
mark
aql -t ck --batch 6 "$TMP/ck" >/dev/null 2>&1
check_eq "a timestamptz key's by the client" "$(since 'execute aq_check: WITH g AS')" 5
