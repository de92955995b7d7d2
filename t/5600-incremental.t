#!/bin/sh
# 5600-incremental: pipeline.mk's hours are incremental.  The first run
# over a window that spans two months asks two requests per sensor; with
# sensor_watermark, a second run over the same window asks at most one per
# sensor (from its newest stored hour less the lookback); when the fake API
# has gained late values for the last 20 hours (withheld during the first
# run), that run loads exactly those, and the table equals what a full,
# non-incremental fetch of the window loads into a second database.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-e2e.sh"
need_api
need make
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
# the clock: 2026-11-28T12:00Z; hours back to 2026-10-24
api_start --seed 3 --locations 40 --hours 840 --rate 600
plan 24

data=$TMP/data
pmk() {
	make -s -f "$AQ_CONTRIB/pipeline.mk" ISO=LU DATA="$data" DB="dbname=aq" \
		ARCHIVE_LAG=60 FROM=2026-10-25 DAY=2026-11-29 TO=2026-11-29 \
		FETCHFLAGS="-q --rate-minute 600" "$@"
}
# hours_per_sensor: "MAX COUNT" of /hours requests per sensor path since the last reset
hours_per_sensor() {
	api_admin requests | python3 -c 'import json, sys, collections
c = collections.Counter(r["path"] for r in json.load(sys.stdin) if r["path"].endswith("/hours"))
print(max(c.values()) if c else 0, len(c))'
}
hour_keys() { q "SELECT sensor_id || ' ' || to_char(datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24') FROM measurement WHERE period = 'hour' ORDER BY 1"; }
rerun() { rm -f "$data"/hours-* "$data"/since-* "$data"/loaded/hours-*; }

# the first run: the last 20 hours before the newest one are late
api_admin 'withhold?hours=20' >"$TMP/withheld"
check "dims and backfill of 2026-10-25 to 2026-11-29, 20 hours late" pmk dims backfill
diag_file "$TMP/.err"
nsens=$(q 'SELECT count(*) FROM sensor')
set -- $(hours_per_sensor)
check_eq "the first run asks each of the $nsens sensors twice (October, November)" "$1 $2" "2 $nsens"
hour_keys >"$TMP/keys1"
check_eq "the late hours are not there" \
	"$(q "SELECT count(*) FROM measurement WHERE period = 'hour' AND datetime > '2026-11-27T15:00Z' AND datetime <= '2026-11-28T11:00Z'")" 0
nwm=$(q "SELECT count(*) FROM sensor_watermark WHERE period = 'hour'")
check_eq "every sensor with hours has its newest hour as watermark" \
	"$(q "SELECT count(*) FROM (SELECT sensor_id, max(datetime) FROM measurement WHERE period = 'hour' GROUP BY 1
		EXCEPT SELECT sensor_id, datetime FROM sensor_watermark WHERE period = 'hour') x") $nwm" "0 $nsens"

# the late values arrive; the same window again
api_admin release >/dev/null
api_admin reset >/dev/null
rerun
check "a second run over the same window" pmk dims backfill
diag_file "$TMP/.err"
set -- $(hours_per_sensor)
nodata=$((nsens - nwm))
if [ "$nodata" -eq 0 ]; then
	check_eq "it asks at most one request per sensor" "$1" 1
else
	diag "$nodata sensors have no hour at all: they start at FROM"
	check_eq "it asks at most one request per sensor with hours" \
		"$(api_admin requests | python3 -c 'import json, sys, collections
c = collections.Counter(r["path"] for r in json.load(sys.stdin) if r["path"].endswith("/hours"))
print(sorted(c.values())[-'"$nodata"'-1])')" 1
fi
check_eq "each from its newest hour less the 24h lookback" \
	"$(api_admin requests | python3 -c 'import json, sys, urllib.parse
print(sorted({urllib.parse.parse_qs(r["query"]).get("datetime_from", [""])[0]
              for r in json.load(sys.stdin) if r["path"].endswith("/hours")})[-1])')" 2026-11-27T12:00:00Z
hour_keys >"$TMP/keys2"
comm -13 "$TMP/keys1" "$TMP/keys2" >"$TMP/new"
ok "it loads new rows ($(grep -c '' "$TMP/new"))" "$(grep -c '' "$TMP/new")" -gt 0
check_eq "exactly the late hours: 2026-11-27T16 to 2026-11-28T11" \
	"$(awk '{ print $2 }' "$TMP/new" | sort -u | sed -n '1p;$p' | tr '\n' ' ')" "2026-11-27T16 2026-11-28T11 "
check_eq "and no row went away" "$(comm -23 "$TMP/keys1" "$TMP/keys2" | wc -l)" 0

# the oracle: a full fetch of the window, not incremental, into "want"
$PSQL -c 'CREATE DATABASE want' >/dev/null && aq-load -q -d dbname=want --init >/dev/null 2>&1 ||
	{ echo "Bail out! the oracle's database"; exit 1; }
check "the same window, whole, into another database" \
	pmk dims backfill INCREMENTAL=no DATA="$TMP/full" DB=dbname=want
diag_file "$TMP/.err"
rows() { $PSQL -d "$1" -c "SELECT m::text FROM measurement m WHERE period = 'hour' ORDER BY sensor_id, period, datetime"; }
rows aq >"$TMP/got"; rows want >"$TMP/want"
check_same "the incremental table equals the full fetch's" "$TMP/got" "$TMP/want"

# nothing new: the same window a third time
api_admin reset >/dev/null
sum=$(table_sum measurement)
rerun
check "a third run" pmk dims backfill
set -- $(hours_per_sensor)
check_eq "changes no row" "$(table_sum measurement)" "$sum"

# corrections: the source corrects the last 5 hours; the next run's
# lookback fetches them again, and each corrected value is a revision,
# counted in the run log
set -- $(api_admin 'correct?hours=5&delta=1' | python3 -c 'import json, sys; print(*json.load(sys.stdin)["corrected"])')
win="period = 'hour' AND datetime > '$1' AND datetime <= '$2'"
ncorr=$(q "SELECT count(*) FROM measurement WHERE $win AND value <> -999")
ok "the corrected window holds stored hours ($ncorr)" "$ncorr" -gt 0
rerun
check "a run after the corrections" pmk dims backfill
diag_file "$TMP/.err"
check_eq "every corrected value is a revision" \
	"$(q "SELECT count(*) FROM measurement_revision WHERE $win")" "$ncorr"
check_eq "from the old value to the new one" \
	"$(q "SELECT count(*) FROM measurement_revision WHERE $win AND abs(new_value - old_value - 1) < 1e-6")" "$ncorr"
check_eq "the table holds the new values" \
	"$(q "SELECT count(*) FROM measurement m JOIN measurement_revision r USING (sensor_id, period, datetime) WHERE m.value = r.new_value")" "$ncorr"
check_eq "the run that loaded them logged them as revised, naming itself" \
	"$(q "SELECT r.revised = (SELECT count(*) FROM measurement_revision WHERE load_run_id = r.id) AND r.revised = $ncorr FROM load_run r WHERE r.target_table = 'measurement' AND r.revised > 0")" t
check_eq "and every run of the pipeline finished, exit 0" \
	"$(q "SELECT count(*) FROM load_run WHERE finished_at IS NULL OR status <> 0")" 0

# a worldwide latest walk (LATEST=parameters): its records name only
# parametersId and sensorsId; the parameter rows give every one its units
check "latest, worldwide" pmk latest LATEST=parameters HOUR=2026-11-28T12
diag_file "$TMP/.err"
nraw=$(q "SELECT count(*) FROM measurement WHERE period = 'raw'")
ok "it loads readings of sensors of every country ($nraw)" "$nraw" -gt "$nsens"
check_eq "each with its parameter and units" \
	"$(q "SELECT count(*) FROM measurement WHERE period = 'raw' AND (units IS NULL OR parameter IS NULL)")" 0
