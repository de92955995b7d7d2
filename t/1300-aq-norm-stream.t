#!/bin/sh
# Streaming: rows come out while the input is still open (the window is
# flushed whenever input would block), for aq-norm, aq-norm --csv and
# aq-dims.
. "$AQ_SRCDIR/t/lib.sh"
need mkfifo
plan 9

stream() {	# stream NAME LINE1 LINE2 COMMAND...
	name=$1 l1=$2 l2=$3
	shift 3
	rm -f "$TMP/fifo" "$TMP/out"
	mkfifo "$TMP/fifo"
	"$@" <"$TMP/fifo" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	exec 3>"$TMP/fifo"
	printf '%s\n' "$l1" >&3
	# the input stays open: a row can only come out if it is not held back
	wait_for "$name: a first row" 60 lines_at_least "$TMP/out" 1
	check_eq "$name: the first row comes out before the input ends" "$(grep -c '' "$TMP/out")" 1
	printf '%s\n' "$l2" >&3
	wait_for "$name: a second row" 60 lines_at_least "$TMP/out" 2
	check_eq "$name: and the second" "$(grep -c '' "$TMP/out")" 2
	exec 3>&-
	wait $pid
	check_eq "$name: exits 0 at the end of input" "$?" 0
}

L1='{"datetime":{"utc":"2024-01-01T01:00:00Z"},"value":1,"sensorsId":1}'
L2='{"datetime":{"utc":"2024-01-01T02:00:00Z"},"value":2,"sensorsId":1}'
stream aq-norm "$L1" "$L2" aq-norm -q
C1='location_id,sensors_id,location,datetime,lat,lon,parameter,units,value'
C2='2178,3919,Del Norte-2178,2023-02-22T01:00:00-07:00,35.1353,-106.584702,pm10,µg/m³,14.0'
C3=$(printf "%s" "$C2" | sed "s/T01:/T02:/")
stream "aq-norm --csv" "$C1
$C2" "$C3" aq-norm -q --csv
# the header gives no row: count from the data line
D1='{"id":1,"name":"OpenAQ admin"}'
D2='{"id":2,"name":"Unknown Governmental Organization"}'
stream "aq-dims owners" "$D1" "$D2" aq-dims -q owners
