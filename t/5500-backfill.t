#!/bin/sh
# 5500-backfill: make -f pipeline.mk backfill over a window that spans the
# archive's lag, against s3rver (through the fault proxy) and the fake API
# serving one world, into a real PostgreSQL.  The days up to ARCH_LAST (DAY
# minus ARCHIVE_LAG minus one) come from the archive, the API's hours from
# ARCH_LAST on: the measurement table holds exactly the archive's rows of
# the old days (raw) and the API's hours of the rest (hour), once each; the
# API is never asked for an hour before ARCH_LAST; the next day's run
# fetches no unchanged archive object; a failed archive fetch leaves no
# half-made file, stamp or manifest, and a rerun completes it; a failed
# load leaves the manifest as it was, so the next day's run brings those
# objects again.  Each run backfills FROM to its DAY (TO=DAY).
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-e2e.sh"
need_api
need make
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
. "$AQ_SRCDIR/t/lib-s3.sh"

# one world: the fake API's, and the archive's objects of its LU locations.
# The fake's clock is DAY at noon; the archive holds the local days up to
# ARCH_LAST (their files appear 72 hours after the day ends), and each later
# day's objects are put in before the run whose DAY makes them old enough.
NOW=2026-11-28T12:00:00Z
FROM=2026-11-22
world="--seed 3 --locations 40 --now $NOW"
seed_days() {	# seed_days NAME LAST_DAY [GLOB]: objects FROM..LAST_DAY (or those matching GLOB)
	s3_seed $world --iso LU --big none --from "$FROM" --to "$2" ${3:+--only "$3"} \
		--truth "$TMP/$1.truth" --index "$TMP/$1.index"
}
s3_start
seed_days arch1 2026-11-24 || { echo "Bail out! the bucket could not be seeded"; exit 1; }
# the --hours that makes the fake serve every hour the archive holds
hours=$(sed -n 's/.* --hours \([0-9][0-9]*\)$/\1/p' "$TMP/s3seed.err")
[ -n "$hours" ] || { diag_file "$TMP/s3seed.err"; echo "Bail out! no --hours from s3seed.py"; exit 1; }
s3fault_start
export AQ_BACKOFF=0.05
load_start
api_start $world --hours "$hours" --rate 600
plan 39

data=$TMP/data
manifest=$data/archive-LU.manifest
pmk() {
	make -s -f "$AQ_CONTRIB/pipeline.mk" ISO=LU DATA="$data" DB="dbname=aq" \
		FROM="$FROM" HOUR="${DAY}T12" DAY="$DAY" TO="$DAY" \
		FETCHFLAGS="-q --rate-minute 600" "$@"
}

# --- the oracle: what the table must hold --------------------------------
# The expected rows go through aq-norm and aq-load into a second database,
# so that the two tables compare row by row, as PostgreSQL stores them.
$PSQL -c 'CREATE DATABASE want' >/dev/null && aq-load -q -d dbname=want --init >/dev/null 2>&1 ||
	{ echo "Bail out! the oracle's database"; exit 1; }
# api_hours FROM TO: every hour record the fake holds for the sensors of
# the locations file, FROM < period end <= TO (as aq-fetch hours asks:
# datetime_from exclusive, datetime_to inclusive), with sensorsId added
api_hours() {
	python3 - "$API_URL" "$data/locations-LU-$FIRST_DAY.ndjson" "$1" "$2" <<'PY'
import json, sys, urllib.parse, urllib.request
url, locs, lo, hi = sys.argv[1:5]
sids = [s["id"] for l in open(locs) for s in json.loads(l)["sensors"]]
for sid in sids:
    q = urllib.parse.urlencode({"path": "/v3/sensors/%d/hours" % sid, "datetime_from": lo, "datetime_to": hi})
    for r in json.load(urllib.request.urlopen(url + "/__fake/dump?" + q, timeout=60))["results"]:
        r.setdefault("sensorsId", sid)
        print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
PY
}
# want ARCH_TRUTHS... -- HOURS_FROM HOURS_TO: the oracle holds those archive
# rows and those API hours
want() {
	cat /dev/null >"$TMP/want.raw"
	while [ "$1" != -- ]; do cat "$TMP/$1.truth" >>"$TMP/want.raw"; shift; done
	api_hours "$2T00:00:00Z" "$3T00:00:00Z" >"$TMP/want.hours"
	for f in raw hours; do
		aq-norm -q --sensors "$data/locations-LU-$FIRST_DAY.ndjson" --reject "$TMP/want.$f.rejects" \
			"$TMP/want.$f" >"$TMP/want.$f.rows"
	done
	$PSQL -d want -c 'TRUNCATE measurement' >/dev/null
	cat "$TMP/want.raw.rows" "$TMP/want.hours.rows" | aq-load -q -d dbname=want -t measurement
}
rows_of() {	# rows_of DB: every measurement row, as text, in order
	$PSQL -d "$1" -c "SELECT m::text FROM measurement m ORDER BY sensor_id, period, datetime"
}
dups() { q 'SELECT count(*) - count(DISTINCT (sensor_id, period, datetime)) FROM measurement'; }
# the archive objects fetched through the proxy (GETs that are not listings), as keys
s3_gets() {
	s3fault_requests | python3 -c 'import json, sys
for r in json.load(sys.stdin):
    if r["method"] == "GET" and "list-type" not in r["query"]:
        print(r["path"].split("/", 2)[2])' | sort
}
keys_of() { python3 -c 'import json, sys
for l in open(sys.argv[1]): print(json.loads(l)["key"])' "$1" | sort; }
# the earliest datetime_from of the API's /hours requests (empty: none)
hours_from() {
	api_admin requests | python3 -c 'import json, sys, urllib.parse
f = [urllib.parse.parse_qs(r["query"]).get("datetime_from", [""])[0]
     for r in json.load(sys.stdin) if r["path"].endswith("/hours")]
print(min(f) if f else "")'
}

# --- the first run: DAY 2026-11-28, ARCH_LAST 2026-11-24 ----------------------
DAY=2026-11-28 FIRST_DAY=$DAY
check "dims, then backfill $FROM to $DAY" pmk dims backfill
diag_file "$TMP/.err"
nobj=$(grep -c . "$TMP/arch1.index")
ok "the bucket holds the LU objects of $FROM to 2026-11-24 ($nobj)" "$nobj" -gt 3
check_eq 'the archive part is one file, FROM to ARCH_LAST' \
	"$(cd "$data" && ls archive-LU-*.ndjson)" "archive-LU-$FROM-2026-11-24.ndjson"
check_eq 'the API part is one file, ARCH_LAST to TO' \
	"$(cd "$data" && ls hours-LU-*.ndjson)" "hours-LU-2026-11-24-$DAY.ndjson"
check_same 'the archive rows are every row of those objects' "$data/archive-LU-$FROM-2026-11-24.ndjson" \
	"$TMP/arch1.truth"
want arch1 -- 2026-11-24 "$DAY"
ok 'the oracle has archive rows and API hours' "$(grep -c . "$TMP/want.raw.rows")" -gt 100 -a \
	"$(grep -c . "$TMP/want.hours.rows")" -gt 100
rows_of aq >"$TMP/got1"; rows_of want >"$TMP/want1"
check_same 'measurement: exactly the archive rows of the old days and the API hours of the rest' \
	"$TMP/got1" "$TMP/want1"
check_eq 'the archive rows are raw, the API rows hour' \
	"$(q "SELECT string_agg(period || ' ' || n, ',' ORDER BY period) FROM (SELECT period, count(*) n FROM measurement GROUP BY period) c")" \
	"hour $(grep -c . "$TMP/want.hours.rows"),raw $(grep -c . "$TMP/want.raw.rows")"
check_eq 'no duplicate' "$(dups)" 0
check_eq 'the API was asked for hours from ARCH_LAST on, never before' "$(hours_from)" 2026-11-24T00:00:00Z
check_eq 'the manifest in DATA records every archive object' "$(keys_of "$manifest")" "$(keys_of "$TMP/arch1.index")"
check_eq 'and each was fetched once' "$(s3_gets)" "$(keys_of "$TMP/arch1.index")"
check_eq 'the API was asked for dimensions and sensor series only' \
	"$(api_admin requests | python3 -c 'import json, sys
print(sorted({r["path"].split("/")[2] for r in json.load(sys.stdin)}))')" "['countries', 'locations', 'parameters', 'sensors']"

# --- the next day: new target names, the same manifest --------------------
# the fake's clock moves on a day; the archive gets the day that is now old enough
api_admin 'advance?hours=24' >/dev/null
seed_days arch2 2026-11-25 '*-20261125.csv.gz' || { echo "Bail out! seeding 2026-11-25"; exit 1; }
api_admin reset >/dev/null
s3fault_reset
cp "$manifest" "$TMP/manifest1"
DAY=2026-11-29
check "the next day's backfill, $FROM to $DAY" pmk dims backfill
diag_file "$TMP/.err"
keys_of "$TMP/manifest1" >"$TMP/manifest1.keys"
check_eq 'it fetches no object of the manifest (all unchanged)' \
	"$(s3_gets | comm -12 - "$TMP/manifest1.keys" | wc -l)" 0
check_eq 'it fetches exactly the new day'"'"'s objects' "$(s3_gets)" "$(keys_of "$TMP/arch2.index")"
check_eq 'the manifest now records both' "$(keys_of "$manifest")" \
	"$(cat "$TMP/arch1.index" "$TMP/arch2.index" >"$TMP/arch12.index"; keys_of "$TMP/arch12.index")"
# the hours are incremental: each sensor from its newest stored hour less
# the lookback, never before the new ARCH_LAST
check_eq 'hours never from before the new ARCH_LAST' \
	"$(hours_from | awk '{ print ($0 >= "2026-11-25T00:00:00Z") }')" 1
want arch1 arch2 -- 2026-11-24 "$DAY"
rows_of aq >"$TMP/got2"; rows_of want >"$TMP/want2"
check_same 'measurement: the archive rows to 2026-11-25 and the hours of both runs' "$TMP/got2" "$TMP/want2"
check_eq 'no duplicate' "$(dups)" 0

# --- a failed archive fetch: one object refused ----------------------------------
api_admin 'advance?hours=24' >/dev/null
seed_days arch3 2026-11-26 '*-20261126.csv.gz' || { echo "Bail out! seeding 2026-11-26"; exit 1; }
bad=$(keys_of "$TMP/arch3.index" | sed -n 2p)
bad=${bad##*/}
s3fault_reset
s3fault_add "denied~$bad"
cp "$manifest" "$TMP/manifest2"
sum=$(table_sum measurement)
DAY=2026-11-30
pmk dims backfill >"$TMP/fail.out" 2>&1
check_eq "a 403 on $bad fails make" "$?" 2
n=$(s3fault_requests | python3 -c 'import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["status"] == 403))')
ok 'the proxy refused it' "$n" -ge 1
check_eq 'no archive file, rows file or stamp of that window' \
	"$(cd "$data" && ls -d archive*"$FROM-2026-11-26"* loaded/archive*"$FROM-2026-11-26"* 2>/dev/null)" ""
check_eq 'no temporary file left in DATA' "$(cd "$data" && ls | grep -e '\.tmp$' -e '\.new$')" ""
check_same 'the manifest is unchanged' "$manifest" "$TMP/manifest2"
check_eq 'and nothing of that window was loaded' "$(table_sum measurement)" "$sum"

s3fault_clear
s3fault_reset
check 'a rerun completes it' pmk dims backfill
diag_file "$TMP/.err"
check_eq 'fetching the new day again, whole, and nothing else' "$(s3_gets)" "$(keys_of "$TMP/arch3.index")"
cat "$TMP/arch12.index" "$TMP/arch3.index" >"$TMP/arch123.index"
check_eq 'the manifest records every object' "$(keys_of "$manifest")" "$(keys_of "$TMP/arch123.index")"
want arch1 arch2 arch3 -- 2026-11-24 "$DAY"
rows_of aq >"$TMP/got3"; rows_of want >"$TMP/want3"
check_same 'measurement: the archive rows to 2026-11-26 and every hour from 2026-11-24, once' \
	"$TMP/got3" "$TMP/want3"
check_eq 'no duplicate' "$(dups)" 0

# --- a failed load: the next day's run must still bring those objects -------
# The fetch succeeds and the database is away (a timer run under -k): the
# manifest may not count those objects as done, or the next day's run, whose
# targets have new names, would skip them and they would never be loaded.
api_admin 'advance?hours=24' >/dev/null
seed_days arch4 2026-11-27 '*-20261127.csv.gz' || { echo "Bail out! seeding 2026-11-27"; exit 1; }
cp "$manifest" "$TMP/manifest3"
sum=$(table_sum measurement)
DAY=2026-12-01
pmk -k dims backfill DB=dbname=no_such_db >"$TMP/noload.out" 2>&1
check_eq 'with the database away, make fails' "$?" 2
check_eq 'having fetched the new day' "$(cd "$data" && ls archive-LU-"$FROM"-2026-11-27.ndjson)" \
	"archive-LU-$FROM-2026-11-27.ndjson"
check_same 'but the manifest still says what was loaded' "$manifest" "$TMP/manifest3"
check_eq 'and nothing was loaded' "$(table_sum measurement)" "$sum"
api_admin 'advance?hours=24' >/dev/null
seed_days arch5 2026-11-28 '*-20261128.csv.gz' || { echo "Bail out! seeding 2026-11-28"; exit 1; }
s3fault_reset
DAY=2026-12-02
check 'the next day, with the database back' pmk dims backfill
diag_file "$TMP/.err"
cat "$TMP/arch4.index" "$TMP/arch5.index" >"$TMP/arch45.index"
check_eq 'fetches the objects of both days' "$(s3_gets)" "$(keys_of "$TMP/arch45.index")"
want arch1 arch2 arch3 arch4 arch5 -- 2026-11-24 "$DAY"
rows_of aq >"$TMP/got5"; rows_of want >"$TMP/want5"
check_same 'measurement: the archive rows to 2026-11-28 and every hour from 2026-11-24, once' \
	"$TMP/got5" "$TMP/want5"
check_eq 'no duplicate' "$(dups)" 0
