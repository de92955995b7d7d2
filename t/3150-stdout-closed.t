#!/bin/sh
# 3150-stdout-closed: a reader that closes stdout early (aq-norm | head -1)
# stops aq-norm, aq-dims and aq-fetch quietly: exit 74, no "Broken pipe",
# no message at all beyond the usual summary, and aq-fetch makes no further
# request (with --follow it ends too, instead of polling for nobody).  A
# write error that is not EPIPE (a full disk: /dev/full) is still named,
# once.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 26

# closed NAME CMD...: run CMD into "head -1"; leaves its exit status in
# $st, its stderr in $TMP/NAME.err and what head took in $TMP/NAME.head
closed() {
	c_name=$1; shift
	{ "$@" 2>"$TMP/$c_name.err"; echo $? >"$TMP/$c_name.st"; } | head -1 >"$TMP/$c_name.head"
	st=$(cat "$TMP/$c_name.st")
}
# quiet NAME: the checks of one closed run with -q: 74, one line read, no word
quiet() {
	check_eq "$1: exit 74" "$st" 74
	check_eq "$1: the reader got its line" "$(grep -c '' "$TMP/$1.head")" 1
	check_empty "$1: nothing on stderr" "$TMP/$1.err"
}

# 200,000 readings of 8,334 sensors: some 60 MB of rows, far more than a
# pipe and a stdio buffer hold
awk 'BEGIN { for (i = 0; i < 200000; i++)
	printf "{\"datetime\":{\"utc\":\"2024-01-01T%02d:00:00Z\"},\"value\":%d,\"sensorsId\":%d,\"locationsId\":3}\n",
		i % 24, i, 1 + int(i / 24) }' >"$TMP/readings.ndjson"
awk 'BEGIN { for (i = 1; i <= 200000; i++) printf "{\"id\":%d,\"name\":\"owner %d\"}\n", i, i }' \
	>"$TMP/owners.ndjson"

closed norm aq-norm -q "$TMP/readings.ndjson"
quiet norm
closed norm-v aq-norm "$TMP/readings.ndjson"
check_eq 'aq-norm without -q: exit 74' "$st" 74
check_grep 'its summary is all it says' '^aq-norm: [0-9]+ records, [0-9]+ rows' "$TMP/norm-v.err"
check_eq 'in one line' "$(grep -c '' "$TMP/norm-v.err")" 1
closed norm-csv sh -c "awk 'BEGIN { print \"location_id,sensors_id,location,datetime,lat,lon,parameter,units,value\"
	for (i = 0; i < 200000; i++) printf \"2178,%d,x,2023-02-22T01:00:00-07:00,35.1,-106.5,pm10,ppm,%d\\n\", i + 1, i }' | aq-norm -q --csv"
quiet norm-csv

closed dims aq-dims -q owners "$TMP/owners.ndjson"
quiet dims
closed dims-v aq-dims owners "$TMP/owners.ndjson"
check_eq 'aq-dims without -q: its summary is all it says' \
	"$st:$(grep -c '' "$TMP/dims-v.err"):$(grep -c '^aq-dims: owners: [0-9]* records' "$TMP/dims-v.err")" 74:1:1

# a write error that is not the reader going away is still an error
aq-norm -q "$TMP/readings.ndjson" >/dev/full 2>"$TMP/full.err"; st=$?
check_eq 'aq-norm >/dev/full: exit 74' "$st" 74
check_eq 'and says so, once' "$(cat "$TMP/full.err")" 'aq-norm: stdout: No space left on device'
aq-dims -q owners "$TMP/owners.ndjson" >/dev/full 2>"$TMP/full.err"; st=$?
check_eq 'aq-dims >/dev/full: exit 74, said once' "$st:$(cat "$TMP/full.err")" \
	'74:aq-dims: stdout: No space left on device'

# aq-fetch: 3000 locations, 100 a page (30 pages): it stops at the page
# that could not be written
api_start --locations 3000
closed fetch aq-fetch -q --limit 100 locations
quiet fetch
n=$(api_requests)
ok "and stops asking ($n requests of 30)" "$n" -le 3
api_admin reset >/dev/null
aq-fetch -q --limit 100 locations >/dev/full 2>"$TMP/fetch-full.err"; st=$?
check_eq 'aq-fetch >/dev/full: exit 74, said once' "$st:$(cat "$TMP/fetch-full.err")" \
	'74:aq-fetch: stdout: No space left on device'
api_admin reset >/dev/null
closed fetch-v aq-fetch -v --limit 100 locations
check_eq 'aq-fetch -v: exit 74' "$st" 74
check_nogrep 'with -v, only its request lines' '^aq-fetch: [^G0-9]|[Pp]ipe|write error' "$TMP/fetch-v.err"

# --follow: polls every second; once its reader has gone it ends, at the
# first write or the first poll after it
api_admin reset >/dev/null
mkfifo "$TMP/follow.fifo"
head -1 <"$TMP/follow.fifo" >"$TMP/follow.head" &
hpid=$!
aq-fetch -q latest --follow --interval 1 >"$TMP/follow.fifo" 2>"$TMP/follow.err" &
fpid=$!
at_exit 'kill $fpid 2>/dev/null'
gone() { ! kill -0 "$fpid" 2>/dev/null; }
wait_for 'aq-fetch --follow to end' 120 gone
wait "$fpid"; st=$?
wait "$hpid"
quiet follow
