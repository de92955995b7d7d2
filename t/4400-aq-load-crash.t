#!/bin/sh
# A kill -9 or a lost connection leaves whole batches; a rerun completes.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 9

gen_rows 20000 1000 1722470400 >"$TMP/rows"	# August 2024
# rows N: the table holds N rows (for wait_for)
rows() { [ "$(q 'SELECT count(*) FROM measurement')" = "$1" ]; }
# The kill lands mid-load, by construction: aq-load gets 5500 rows and
# the input stays open, so 5 batches are committed and 500 rows wait in
# the sixth; the kill comes once the 5 are in.
mkfifo "$TMP/fifo"
aq-load -q -t measurement --batch 1000 "$TMP/fifo" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/fifo"
sed -n 1,5500p "$TMP/rows" >&3
wait_for 'five batches' 120 rows 5000
kill -9 $pid
wait $pid 2>/dev/null
exec 3>&-
n=$(q 'SELECT count(*) FROM measurement')
diag "after kill -9: $n rows"
check_eq "killed mid-batch: the 5 committed batches stay, the sixth's 500 rows do not" "$n" 5000
check_eq "only whole batches of 1000 are stored" "$((n % 1000))" 0
check "a rerun completes" aq-load -t measurement --batch 1000 "$TMP/rows"
check_eq "every row once" "$(q 'SELECT count(*), count(DISTINCT (sensor_id, period, datetime)) FROM measurement')" "20000|20000"
check_grep "the rerun counts the stored rows unchanged" "20000 read, $((20000 - n)) inserted, 0 updated, $n unchanged" "$TMP/.err"

# a lost connection: the server ends our session mid-load
# (2500 rows on standard input, kept open: 2 batches in, the third waits;
# the end of input then commits it: the connection is found lost, made
# again, and the batch tried again)
q 'TRUNCATE measurement' >/dev/null
mkfifo "$TMP/fifo2"
aq-load -q -t measurement --batch 1000 <"$TMP/fifo2" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/fifo2"
sed -n 1,2500p "$TMP/rows" >&3
wait_for 'two batches' 120 rows 2000
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '' AND pid <> pg_backend_pid() AND datname = 'aq'" >/dev/null
exec 3>&-
wait $pid; st=$?
check_eq "a lost connection: aq-load connects again and completes" "$st" 0
check_grep "saying the connection was lost, and that it tries again" "aq-load: measurement: the batch failed \\(.*(connection|terminat).*trying it again" "$TMP/err"
check_eq "every row once" "$(q 'SELECT count(*), count(DISTINCT (sensor_id, period, datetime)) FROM measurement')" "2500|2500"
aq-load -q -t measurement --batch 1000 "$TMP/rows"
check_eq "a rerun completes, every row once" "$(q 'SELECT count(*), count(DISTINCT (sensor_id, period, datetime)) FROM measurement')" "20000|20000"
