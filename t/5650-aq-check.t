#!/bin/sh
# location_freshness tells ok, late and silent locations apart by
# thresholds a user can change, and aq-check turns it and the run log into
# a monitoring plugin's statuses: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
PATH=$AQ_BUILDDIR/contrib:$PATH
load_start

# Readings that end relative to now, whole hours:
#   location 1: pm25 (sensor 11, hourly, with a 6-hour hole in its
#               history) and pm10 (sensor 12, hourly), newest this hour: ok
#   location 2: pm25 hourly, newest 5 hours ago: late (3 x 1h, and past 2h)
#   location 3: pm25 hourly, newest 30 hours ago: silent (past 24h)
#   location 4: pm25 raw every 10 minutes, newest this hour: ok
#   location 5: pm25, one reading, this hour: no usual interval, ok
now=$(date +%s)
awk -v t0="$((now - now % 3600))" "$AQ_AWK_UTC"'
function row(s, l, p, per, t) {
	printf "{\"sensor_id\":%d,\"location_id\":%d,\"parameter_id\":%d,\"parameter\":\"%s\",\"units\":\"µg/m³\",\"period\":\"%s\",\"datetime\":\"%s\",\"value\":%d}\n",
		s, l, p == "pm25" ? 2 : 1, p, per, utc(t), (s + t / 600) % 40
}
BEGIN {
	for (h = 0; h < 48; h++) {
		if (h < 10 || h > 15) row(11, 1, "pm25", "hour", t0 - 3600 * h)
		row(12, 1, "pm10", "hour", t0 - 3600 * h)
		row(21, 2, "pm25", "hour", t0 - 3600 * (h + 5))
		row(31, 3, "pm25", "hour", t0 - 3600 * (h + 30))
		row(41, 4, "pm25", "raw", t0 - 600 * h)
	}
	row(51, 5, "pm25", "hour", t0)
}' >"$TMP/readings"
for i in 1 2 3 4 5; do printf '{"id":%d,"name":"Station %d"}\n' $i $i; done >"$TMP/locations"
aq-load -q -t location "$TMP/locations" && aq-load -q -t measurement "$TMP/readings" ||
	{ echo "Bail out! loading the readings"; exit 1; }

states() { q "SELECT string_agg(location_id || ':' || parameter || ':' || state, ' ' ORDER BY location_id, parameter) FROM location_freshness"; }
# run TABLE STATUS ROWS REJECTED AGE: a finished run AGE ago (a PostgreSQL interval)
run() {
	q "INSERT INTO load_run (target_table, mode, label, started_at, finished_at, rows_read, inserted, rejected, status)
	   VALUES ('$1', 'upsert', 'test', now() - interval '$5' - interval '1 minute', now() - interval '$5', $3, $3 - $4, $4, $2)" >/dev/null
}
first() { head -1 "$TMP/.out"; }

# --- the view ---------------------------------------------------------------
check_eq "location_freshness: ok, late and silent" "$(states)" \
	"1:pm10:ok 1:pm25:ok 2:pm25:late 3:pm25:silent 4:pm25:ok 5:pm25:ok"
check_eq "the usual interval: the median gap, a hole in the history aside" \
	"$(q "SELECT string_agg(location_id || ':' || coalesce(usual_interval::text, '-'), ' ' ORDER BY location_id)
	      FROM location_freshness WHERE parameter = 'pm25'")" \
	"1:01:00:00 2:01:00:00 3:01:00:00 4:00:10:00 5:-"
check_eq "the newest reading and its sensor count" \
	"$(q "SELECT sensors || ' ' || newest_sensor_id || ' ' || (last_datetime = to_timestamp($((now - now % 3600))))
	      FROM location_freshness WHERE location_id = 1 AND parameter = 'pm25'")" "1 11 true"
ok "the age is measured from now" "$(q "SELECT count(*) FROM location_freshness
	WHERE age BETWEEN now() - last_datetime - interval '1 minute' AND now() - last_datetime")" -eq 6
q "UPDATE aq_freshness_threshold SET silent_after = '4 hours' WHERE location_id IS NULL" >/dev/null
check_eq "the default threshold can be changed" "$(states)" \
	"1:pm10:ok 1:pm25:ok 2:pm25:silent 3:pm25:silent 4:pm25:ok 5:pm25:ok"
q "UPDATE aq_freshness_threshold SET silent_after = '24 hours' WHERE location_id IS NULL;
   INSERT INTO aq_freshness_threshold (location_id, silent_after) VALUES (3, '3 days');
   INSERT INTO aq_freshness_threshold (location_id, late_intervals) VALUES (2, 10)" >/dev/null
check_eq "a location's own row overrides the default" "$(states)" \
	"1:pm10:ok 1:pm25:ok 2:pm25:ok 3:pm25:late 4:pm25:ok 5:pm25:ok"
q "DELETE FROM aq_freshness_threshold WHERE location_id IS NOT NULL" >/dev/null
check_status "there is one default row only" 3 sh -c "$PSQL -c \"INSERT INTO aq_freshness_threshold (silent_after) VALUES ('1 hour')\" 2>/dev/null || exit 3"
# a year of older history for sensor 11, in partitions of its own: the
# view reads none of them (pruned at run time, or never executed)
awk -v t0="$((now - now % 3600 - 40 * 86400))" "$AQ_AWK_UTC"'
BEGIN {
	for (h = 0; h < 8760; h++)
		printf "{\"sensor_id\":11,\"location_id\":1,\"parameter_id\":2,\"parameter\":\"pm25\",\"period\":\"hour\",\"datetime\":\"%s\",\"value\":%d}\n", utc(t0 - 3600 * h), h % 40
}' >"$TMP/history"
aq-load -q -t measurement "$TMP/history" && q 'ANALYZE measurement' >/dev/null ||
	{ echo "Bail out! loading the history"; exit 1; }
q "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
   WHERE i.inhparent = 'measurement'::regclass AND c.relname LIKE 'measurement_y%'
     AND to_date(substr(c.relname, 14), 'YYYY\"m\"MM') + interval '1 month' < now() - interval '8 days'" >"$TMP/old"
q "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM location_freshness" >"$TMP/plan"
ok "the history has old partitions" "$(grep -c '' "$TMP/old")" -ge 11
grep -Ff "$TMP/old" "$TMP/plan" | grep -v 'never executed' >"$TMP/read"
check_empty "the view reads only the partitions of the last days" "$TMP/read"
check_eq "a long history changes nothing" "$(states)" \
	"1:pm10:ok 1:pm25:ok 2:pm25:late 3:pm25:silent 4:pm25:ok 5:pm25:ok"

# --- aq-check: the runs -----------------------------------------------------
# the run log is set up by hand: forget what aq-load wrote in it
q 'DELETE FROM load_run' >/dev/null
check_status "no run recorded: exit 2" 2 aq-check
like "the first line: CRITICAL and the first problem" "$(first)" \
	'^OPENAQ CRITICAL - no successful load of measurement recorded \(and 1 more\) \| locations=5 late=1 silent=1 measurement_load_age=U$'
check_grep "one line per problem: the silent location" '^WARNING: location 3 \(Station 3\): silent: pm25 for 30h [0-9]+m$' "$TMP/.out"
check_eq "two problems, two lines" "$(grep -c '' "$TMP/.out")" 3

run measurement 0 1000 0 '10 minutes'
check_status "a recent successful run, a silent location: exit 1" 1 aq-check
like "WARNING names the location" "$(first)" '^OPENAQ WARNING - location 3 \(Station 3\): silent: pm25 '
check_status "-s 2d: nothing silent, exit 0" 0 aq-check -s 2d
like "OK summarises" "$(first)" '^OPENAQ OK - 5 locations, 2 late, 0 silent; last load of measurement 10m ago \| locations=5 late=2 silent=0 measurement_load_age=6[0-9][0-9]s$'
check_eq "OK is one line" "$(grep -c '' "$TMP/.out")" 1
check_status "-l: late locations warn too" 1 aq-check -l
check_grep "the late location, with its usual interval" '^WARNING: location 2 \(Station 2\): late: pm25 for 5h [0-9]+m \(usually every 1h 0m\)$' "$TMP/.out"

run measurement 0 1000 100 '5 minutes'
check_status "the last run rejected 10%: exit 1" 1 aq-check -s 2d
check_grep "it says how many" '^WARNING: the last load of measurement rejected 100 of 1000 rows \(10\.0%; limit 5%\): run [0-9]+ \(test\)$' "$TMP/.out"
check_status "-p 20: that is fine" 0 aq-check -s 2d -p 20

run measurement 75 400 0 '1 minute'
check_status "the last run failed, an earlier one succeeded: exit 1" 1 aq-check -s 2d
check_grep "it names the run and its status" '^WARNING: the last load of measurement failed: run [0-9]+ \(test\) exited with status 75 at ' "$TMP/.out"

q "UPDATE load_run SET started_at = started_at - interval '3 hours', finished_at = finished_at - interval '3 hours'" >/dev/null
check_status "no successful load for 3 hours: exit 2" 2 aq-check -s 2d
like "CRITICAL comes first" "$(first)" '^OPENAQ CRITICAL - no successful load of measurement for 3h [0-9]+m \(the last [0-9TZ:-]+; limit 2h 0m\) \(and 1 more\)'
check_status "-r 4h: a failed run only" 1 aq-check -s 2d -r 4h
check_status "-r 0: no age limit; the failed run still warns" 1 aq-check -s 2d -r 0
check_nogrep "and nothing is CRITICAL" '^CRITICAL' "$TMP/.out"

q "INSERT INTO load_run (target_table, mode, started_at) VALUES ('measurement', 'insert', now() - interval '5 hours')" >/dev/null
check_status "an open --stream run that commits counts as loading: exit 0" 0 aq-check -s 2d
q "ALTER TABLE load_run DISABLE TRIGGER load_run_touch;
   UPDATE load_run SET updated_at = now() - interval '150 minutes' WHERE finished_at IS NULL;
   ALTER TABLE load_run ENABLE TRIGGER load_run_touch" >/dev/null
check_status "an open run that stopped committing does not: exit 2" 2 aq-check -s 2d
q "UPDATE load_run SET rows_read = rows_read + 1 WHERE finished_at IS NULL" >/dev/null
check_eq "a write to a run's row sets its updated_at" \
	"$(q "SELECT updated_at > now() - interval '1 minute' FROM load_run WHERE finished_at IS NULL")" t

q 'DELETE FROM load_run' >/dev/null
check "aq-load's own run log: a rerun of the readings" aq-load -q -t measurement "$TMP/readings"
check_status "it is a successful load: exit 0" 0 aq-check -s 2d
like "its age is seconds" "$(first)" 'last load of measurement [0-9]+s ago'

check_status "-t: each table is checked" 2 aq-check -s 2d -t measurement -t location
check_grep "a table never loaded" '^CRITICAL: no successful load of location recorded$' "$TMP/.out"
check_grep "its perfdata is U" ' location_load_age=U$' "$TMP/.out"
check_status "a quote in a table name is data, not SQL" 2 aq-check -t "x' OR '1'='1"
check_grep "it is named as given" "^CRITICAL: no successful load of x' OR '1'='1 recorded$" "$TMP/.out"

# --- aq-check: many silent locations ------------------------------------------
check_status "1 of 5 locations silent, -c 20: exit 2" 2 aq-check -c 20
check_grep "it says how many" '^CRITICAL: 1 of 5 locations are silent \(20\.0%; limit 20%\)$' "$TMP/.out"
check_status "-c 21: exit 1" 1 aq-check -c 21
check_status "-m 0: the status line only" 1 aq-check -m 0
check_eq "one line, and how many more" "$(cat "$TMP/.out" | sed -n '2p')" "... and 1 more"

q "UPDATE location SET name = E'Station\\n3' WHERE id = 3" >/dev/null
check_status "a newline in a name" 1 aq-check -c 0
check_grep "is a space: one line per problem" '^WARNING: location 3 \(Station 3\): silent: pm25 for ' "$TMP/.out"
check_eq "two lines in all" "$(grep -c '' "$TMP/.out")" 2

# --- aq-check: UNKNOWN and usage ----------------------------------------------
check_status "a database that cannot be reached: exit 3" 3 aq-check -d "host=$TMP/nosuchdir"
like "UNKNOWN says why" "$(first)" '^OPENAQ UNKNOWN - the database cannot be read: .*nosuchdir'
$PSQL -c 'CREATE DATABASE empty' >/dev/null
check_status "a database without the schema: exit 3" 3 aq-check -d dbname=empty
like "it names the migration" "$(first)" '^OPENAQ UNKNOWN - the schema is older than 008'
$PSQL -c 'CREATE ROLE watcher LOGIN IN ROLE aq_reader' >/dev/null
check_status "the read-only role aq_reader is enough" 1 aq-check -d "user=watcher"
check_status "a bad age: exit 64" 64 aq-check -r 5x
check_grep "the error names the option" "^aq-check: -r: '5x' is not an age" "$TMP/.err"
check_grep "and the usage" '^usage: aq-check ' "$TMP/.err"
check_status "an argument: exit 64" 64 aq-check extra
check_status "--help: exit 0" 0 aq-check --help
check_grep "--help starts with usage:" '^usage: aq-check ' "$TMP/.out"
done_testing
