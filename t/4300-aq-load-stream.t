#!/bin/sh
# --stream: rows are committed while the input is still open; signals commit.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 9

# rows N: the table holds N rows (for wait_for)
rows() { [ "$(q 'SELECT count(*) FROM measurement')" = "$1" ]; }
# copying: aq-load's session is inside a COPY: it has taken a row in hand
copying() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %' AND pid <> pg_backend_pid()")" = 1 ]; }
# drained: nothing is left unread in the pipe on fd 3 (FIONREAD on our end)
drained() {
	[ "$("$PY" -c 'import fcntl, struct, termios
print(struct.unpack("i", fcntl.ioctl(3, termios.FIONREAD, b"\0\0\0\0"))[0])')" = 0 ]
}
PY=${PYTHON3:-python3}

gen_rows 30 100 1719792000 >"$TMP/rows"	# July 2024
mkfifo "$TMP/fifo"
aq-load -t measurement --stream --flush-interval 1s --batch 1000 "$TMP/fifo" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/fifo"
sed -n 1,10p "$TMP/rows" >&3
# the time bound is a hang detector: how soon is a speed (bench/)
wait_for 'the first 10 rows' 60 rows 10
check_eq "10 rows are committed while the input is still open" "$(q 'SELECT count(*) FROM measurement')" 10
sed -n 11,25p "$TMP/rows" >&3
wait_for '15 more rows' 60 rows 25
check_eq "15 more follow" "$(q 'SELECT count(*) FROM measurement')" 25
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
# aq-load has read every row (the pipe is empty) and holds them in a COPY
wait_for 'aq-load to read the rows' 60 drained
wait_for "aq-load's COPY" 60 copying
check_eq "nothing committed yet (an hour's interval)" "$(q 'SELECT count(*) FROM measurement')" 0
kill -TERM $pid
wait $pid; st=$?
exec 3>&-
check_eq "SIGTERM: exit 0" "$st" 0
check_eq "and the 30 rows read are committed" "$(q 'SELECT count(*) FROM measurement')" 30
check_grep "the summary says so" "30 read, 30 inserted" "$TMP/err2"
