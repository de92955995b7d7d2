#!/bin/sh
# aq-follow against the fake API: new readings reach the database within
# the poll and flush intervals, and SIGTERM leaves nothing half-loaded.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-e2e.sh"
need_api
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
api_start --seed 54 --locations 40 --hours 4 --rate 600
plan 11

aq-fetch -q --iso LU locations >"$TMP/locs" && aq-dims -q locations "$TMP/locs" | aq-load -q -t location &&
	aq-dims -q sensors "$TMP/locs" | aq-load -q -t sensor || { echo "Bail out! dimensions"; exit 1; }

newest() { q "SELECT coalesce(max(datetime), 'epoch') FROM measurement"; }
"$AQ_CONTRIB/aq-follow" -i 1s -f 1s -s "$TMP/locs" -r "$TMP/rejects" -- --rate-minute 600 \
	2>"$TMP/follow.err" &
pid=$!
at_exit 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null'
has_rows() { test "$(q 'SELECT count(*) FROM measurement')" -gt 0; }
newer() { test "$(newest)" != "$t0"; }
check "the first snapshot arrives" wait_for 10 has_rows
# let the first poll finish (a walk over every parameter)
sleep 2
t0=$(newest) n0=$(q 'SELECT count(*) FROM measurement')
check "aq-follow keeps running" kill -0 $pid

api_admin 'advance?hours=1' >/dev/null
start=$(date +%s)
check "readings of the next hour arrive" wait_for 8 newer
took=$(($(date +%s) - start))
check "within the poll + flush intervals and a margin (${took}s)" test "$took" -le 5
check "the hour is one hour later" test "$(q "SELECT '$(newest)'::timestamptz - '$t0'::timestamptz")" = "01:00:00"
sleep 2
check "more rows than before" test "$(q 'SELECT count(*) FROM measurement')" -gt "$n0"

# a new hour, and SIGTERM at once: whatever aq-fetch wrote is committed
api_admin 'advance?hours=1' >/dev/null
sleep 1
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
check "every reject names its reason" sh -c "! grep -v '\"reason\":' '$TMP/rejects'"
diag_file "$TMP/follow.err"
