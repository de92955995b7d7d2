#!/bin/sh
# --stream: rows are committed while the input is still open; signals commit.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 9

# wait up to $2 seconds until query $1 answers $3
wait_for() {
	i=0
	while [ "$(q "$1")" != "$3" ]; do
		i=$((i + 1)); [ $i -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
}

gen_rows 30 100 1719792000 >"$TMP/rows"	# July 2024
mkfifo "$TMP/fifo"
aq-load -t measurement --stream --flush-interval 1s --batch 1000 "$TMP/fifo" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/fifo"
sed -n 1,10p "$TMP/rows" >&3
check "10 rows are visible within the flush interval, input still open" \
	wait_for 'SELECT count(*) FROM measurement' 5 10
sed -n 11,25p "$TMP/rows" >&3
check "15 more follow" wait_for 'SELECT count(*) FROM measurement' 5 25
check "aq-load is still running" kill -0 $pid
sed -n 26,30p "$TMP/rows" >&3
exec 3>&-
wait $pid; st=$?
check_eq "at the end of input it exits 0" "$st" 0
check_eq "with every row stored" "$(q 'SELECT count(*) FROM measurement')" 30

# a big --batch and a long interval: SIGTERM commits what was read
q 'TRUNCATE measurement' >/dev/null
mkfifo "$TMP/fifo2"
aq-load -t measurement --stream --flush-interval 1h --batch 100000 "$TMP/fifo2" 2>"$TMP/err2" &
pid=$!
exec 3>"$TMP/fifo2"
cat "$TMP/rows" >&3
sleep 1
check_eq "nothing committed yet (an hour's interval)" "$(q 'SELECT count(*) FROM measurement')" 0
kill -TERM $pid
wait $pid; st=$?
exec 3>&-
check_eq "SIGTERM: exit 0" "$st" 0
check_eq "and the 30 rows read are committed" "$(q 'SELECT count(*) FROM measurement')" 30
check_grep "the summary says so" "30 read, 30 inserted" "$TMP/err2"
