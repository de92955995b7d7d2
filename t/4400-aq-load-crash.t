#!/bin/sh
# A kill -9 or a lost connection leaves whole batches; a rerun completes.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 8

gen_rows 20000 1000 1722470400 >"$TMP/rows"	# August 2024
mkfifo "$TMP/fifo"
# feed the rows slowly, so that the kill lands mid-load
{ i=0; while [ $i -lt 20 ]; do sed -n "$((i * 1000 + 1)),$(((i + 1) * 1000))p" "$TMP/rows"; sleep 0.1; i=$((i + 1)); done; } >"$TMP/fifo" &
feeder=$!
aq-load -q -t measurement --batch 1000 "$TMP/fifo" 2>"$TMP/err" &
pid=$!
i=0
while [ "$(q 'SELECT count(*) FROM measurement')" -lt 3000 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $pid
wait $pid 2>/dev/null
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
n=$(q 'SELECT count(*) FROM measurement')
diag "after kill -9: $n rows"
check_eq "killed mid-load, with some batches committed" "$([ "$n" -ge 3000 ] && [ "$n" -lt 20000 ] && echo yes)" yes
check_eq "only whole batches of 1000 are stored" "$((n % 1000))" 0
check "a rerun completes" aq-load -t measurement --batch 1000 "$TMP/rows"
check_eq "every row once" "$(q 'SELECT count(*), count(DISTINCT (sensor_id, period, datetime)) FROM measurement')" "20000|20000"
check_grep "the rerun counts the stored rows unchanged" "20000 read, $((20000 - n)) inserted, 0 updated, $n unchanged" "$TMP/.err"

# a lost connection: the server ends our session mid-load
q 'TRUNCATE measurement' >/dev/null
{ i=0; while [ $i -lt 20 ]; do sed -n "$((i * 1000 + 1)),$(((i + 1) * 1000))p" "$TMP/rows"; sleep 0.1; i=$((i + 1)); done; } |
	aq-load -q -t measurement --batch 1000 2>"$TMP/err" &
pid=$!
i=0
while [ "$(q 'SELECT count(*) FROM measurement')" -lt 2000 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '' AND pid <> pg_backend_pid() AND datname = 'aq'" >/dev/null
wait $pid; st=$?
check_eq "a lost connection: exit 75 (try again)" "$st" 75
check_grep "saying the connection was lost" "aq-load: measurement: .*(connection|terminat)" "$TMP/err"
aq-load -q -t measurement --batch 1000 "$TMP/rows"
check_eq "a rerun completes, every row once" "$(q 'SELECT count(*), count(DISTINCT (sensor_id, period, datetime)) FROM measurement')" "20000|20000"
