#!/bin/sh
# pipeline.mk against the fake API into a real PostgreSQL: the rows the
# API serves end up in the tables, a rerun in the same period makes no
# request, make -j stays within the rate limit, and a failing fetch leaves
# no half-made target and stops what depends on it.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-e2e.sh"
need_api
need make
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
api_start --seed 6 --locations 200 --hours 48 --rate 600
plan 17

data=$TMP/data
pmk() {
	make -s -f "$AQ_CONTRIB/pipeline.mk" ISO=LU DATA="$data" DB="dbname=aq" \
		DAY=2026-11-28 HOUR=2026-11-28T12 FROM=2026-11-27 TO=2026-11-28 \
		FETCHFLAGS="-q --rate-minute 600" "$@"
}
check "make -j4 -f pipeline.mk runs" pmk -j4
diag_file "$TMP/.err"

# what the fake serves, asked directly
nloc=$(api_count /locations iso=LU)
ok "LU has locations in the fake" "$nloc" -gt 0
check_eq "country: every country" "$(q 'SELECT count(*) FROM country')" "$(api_count /countries)"
check_eq "parameter: every parameter" "$(q 'SELECT count(*) FROM parameter')" "$(api_count /parameters)"
check_eq "location: every location of LU" "$(q "SELECT count(*) FROM location WHERE country_code = 'LU'")" "$nloc"
check_eq "and no other" "$(q 'SELECT count(*) FROM location')" "$nloc"
nsens=$(jq -s '[.[].sensors | length] | add' "$data"/locations-LU-2026-11-28.ndjson)
check_eq "sensor: every sensor of those locations" "$(q 'SELECT count(*) FROM sensor')" "$nsens"
nlatest=0 nhours=0
for id in $(api_ids /locations iso=LU); do
	nlatest=$((nlatest + $(api_count "/locations/$id/latest")))
done
for id in $(q 'SELECT id FROM sensor'); do
	nhours=$((nhours + $(api_count "/sensors/$id/hours" datetime_from=2026-11-27T00:00:00Z datetime_to=2026-11-28T00:00:00Z)))
done
# a reading aq-norm or aq-load refuses is in a rejects file, never lost
rej() { cat "$data"/$1*.rejects "$data"/loaded/$1*.rejects 2>/dev/null | wc -l; }
check_eq "measurement: the latest reading of every sensor, stored or rejected" \
	"$(($(q "SELECT count(*) FROM measurement WHERE period = 'raw'") + $(rej latest-)))" "$nlatest"
check_eq "measurement: every hour of the backfill window, stored or rejected" \
	"$(($(q "SELECT count(*) FROM measurement WHERE period = 'hour'") + $(rej hours-)))" "$nhours"
check_eq "no orphan readings: dimensions were loaded first" "$(q 'SELECT count(*) FROM orphan_sensor')" 0
check_eq "make -j4 never tripped the rate limit" "$(api_admin stats | jq -r '.rate_limited')" 0

# a rerun in the same period
before=$(api_requests)
sum=$(table_sum measurement)
check "a rerun succeeds" pmk -j4
check_eq "and makes no request" "$(api_requests)" "$before"
check_eq "and changes no row" "$(table_sum measurement)" "$sum"

# the next hour, with a key the API refuses: latest fails
OPENAQ_API_KEY=not-the-key pmk -j4 HOUR=2026-11-28T13 latest >"$TMP/fail.out" 2>&1
check_eq "a failing fetch fails make" "$?" 2
left=$(cd "$data" && ls | grep -e '2026-11-28T13' -e '\.tmp$'; cd "$data/loaded" && ls | grep 2026-11-28T13)
check_eq "and leaves no target, temp file or stamp of that hour" "$left" ""
check_eq "and loads nothing" "$(table_sum measurement)" "$sum"
