#!/bin/sh
# aq-follow against the fake API: new readings reach the database, and
# SIGTERM leaves nothing half-loaded.  (How soon they arrive is a speed:
# bench/follow-latency measures it.)
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-e2e.sh"
need_api
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
api_start --seed 54 --locations 40 --hours 4 --rate 600
plan 10

aq-fetch -q --iso LU locations >"$TMP/locs" && aq-dims -q locations "$TMP/locs" | aq-load -q -t location &&
	aq-dims -q sensors "$TMP/locs" | aq-load -q -t sensor || { echo "Bail out! dimensions"; exit 1; }

newest() { q "SELECT coalesce(max(datetime), 'epoch') FROM measurement"; }
"$AQ_CONTRIB/aq-follow" -i 1s -f 1s -s "$TMP/locs" -r "$TMP/rejects" -- --rate-minute 600 \
	2>"$TMP/follow.err" &
pid=$!
at_exit 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null'
# the first poll is a walk over every parameter: it is over when each latest
# reading the fake serves is stored or rejected
nlatest=$(api_admin 'dump?path=/v3/parameters' | jq -r '.results[].id' | while read -r p; do
	api_admin "dump?path=/v3/parameters/$p/latest" | jq '.results | length'; done | awk '{ n += $1 } END { print n }')
stored() { echo $(($(q 'SELECT count(*) FROM measurement') + $(cat "$TMP/rejects" 2>/dev/null | wc -l))); }
all_stored() { test "$(stored)" -ge "$nlatest"; }
newer() { test "$(newest)" != "$t0"; }
wait_for "the first poll ($nlatest readings) to be stored" 120 all_stored
check_eq "the first snapshot arrives: every reading stored or rejected" "$(stored)" "$nlatest"
t0=$(newest) n0=$(q 'SELECT count(*) FROM measurement')
check "aq-follow keeps running" kill -0 $pid

api_admin 'advance?hours=1' >/dev/null
wait_for 'the readings of the next hour' 60 newer
check "readings of the next hour arrive" newer
ok "the hour is one hour later" "$(q "SELECT '$(newest)'::timestamptz - '$t0'::timestamptz")" = "01:00:00"
ok "more rows than before" "$(q 'SELECT count(*) FROM measurement')" -gt "$n0"

# a new hour, and SIGTERM at once, as soon as a poll of it has begun:
# whatever aq-fetch wrote is committed
r=$(api_requests)
api_admin 'advance?hours=1' >/dev/null
wait_for 'a poll of the new hour' 60 requests_at_least $((r + 1))
kill -TERM $pid
wait $pid; st=$?
check_eq "SIGTERM: exit 0" "$st" 0
check_eq "no connection is left open" \
	"$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")" 0
# aq-fetch writes each reading once (only newer ones); aq-norm's summary
# counts the rows it passed on, aq-load's the rows it read and stored
rows=$(sed -n 's/^aq-norm: .* records, \([0-9]*\) rows,.*/\1/p' "$TMP/follow.err")
read=$(sed -n 's/^aq-load: measurement: \([0-9]*\) read,.*/\1/p' "$TMP/follow.err")
ins=$(sed -n 's/^aq-load: measurement: .* read, \([0-9]*\) inserted,.*/\1/p' "$TMP/follow.err")
check_eq "aq-load read every row aq-norm wrote" "$read" "$rows"
check_eq "and the table holds every one" "$(q 'SELECT count(*) FROM measurement')" "$ins"
# the fake serves some readings aq-norm refuses (nulls, sentinels): each is
# in the rejects file with its reason, none is lost
check_eq "every reject names its reason" "$(grep -vc '"reason":' "$TMP/rejects")" 0
diag_file "$TMP/follow.err"
