#!/bin/sh
# 3600-aq-fetch-archive: aq-fetch archive against a real S3 server (s3rver)
# seeded from the fake API's world: every row of every object comes out,
# once, equal to the source, in key order; a rerun with the manifest fetches
# nothing; a patched object is the only one fetched again, and its values
# win after the load; --shard parts add up to the whole; --iso lists the
# locations through the API; no key ever reaches the archive.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-s3.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
s3_start
plan 27
s3_seed --locations 300 || { echo "Bail out! the bucket could not be seeded"; exit 1; }
s3fault_start
export AQ_BACKOFF=0.05
# the locations and the days of the seeded objects
locs=$("$S3_PY" -c 'import json,sys
print(",".join(sorted({str(json.loads(l)["location_id"]) for l in open(sys.argv[1])}, key=int)))' "$S3_INDEX")
days() { "$S3_PY" -c 'import json,sys
d = sorted(json.loads(l)["day"] for l in open(sys.argv[1]))
print(d[0] if sys.argv[2] == "first" else d[-1])' "$S3_INDEX" "$1"; }
from=$(days first) to=$(days last)
nobj=$(grep -c . "$S3_INDEX")
diag "$nobj objects of locations $locs, $from to $to"
# the key, which must never reach the archive
OPENAQ_API_KEY=archive-must-not-see-this; export OPENAQ_API_KEY

# --- every row, once, in key order -----------------------------------------
check 'archive over every seeded location and day' \
	aq-fetch archive --location "$locs" --from "$from" --to "$to" --manifest "$TMP/m"
cp "$TMP/.out" "$TMP/all.ndjson"
check_same 'every row of every object, once, equal to the source, in key order' \
	"$TMP/all.ndjson" "$S3_TRUTH"
check_grep 'the summary counts the objects' "$nobj objects listed, 0 unchanged and skipped, $nobj fetched" "$TMP/.err"
check_eq 'the manifest has one line per object' "$(grep -c . "$TMP/m")" "$nobj"
n=$("$S3_PY" -c 'import json,sys
m = {json.loads(l)["key"]: json.loads(l) for l in open(sys.argv[1])}
i = [json.loads(l) for l in open(sys.argv[2])]
print(sum(1 for o in i if m.get(o["key"], {}).get("etag") != o["etag"] or m[o["key"]]["size"] != o["size"]
	or m[o["key"]]["rows"] != o["rows"]))' "$TMP/m" "$S3_INDEX")
ok 'the manifest records each key with its ETag, size and rows' "$n" = 0
s3fault_requests >"$TMP/req.json"
n=$("$S3_PY" -c 'import json,sys
bad = 0
for r in json.load(open(sys.argv[1])):
    for k, v in r["headers"]:
        if k.lower() in ("authorization", "x-api-key") or "archive-must-not-see-this" in v: bad += 1
print(bad)' "$TMP/req.json")
ok 'no request carries the API key or any credential' "$n" = 0
n=$("$S3_PY" -c 'import json,sys
print(sum(1 for r in json.load(open(sys.argv[1])) if "list-type=2" in r["query"]))' "$TMP/req.json")
ok "objects are found by listing ($n listings), not by guessing keys day by day" "$n" -lt "$nobj"

# --- listings of many pages, by continuation token ----------------------------
s3fault_reset
AQ_ARCHIVE_MAX_KEYS=50 aq-fetch -q archive --location "$locs" --from "$from" --to "$to" >"$TMP/paged"
check_same 'listing pages of 50 keys give the same rows' "$TMP/paged" "$S3_TRUTH"
n=$(s3fault_requests | "$S3_PY" -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin) if "continuation-token=" in r["query"]))')
ok "the next pages were asked for by continuation token ($n)" "$n" -gt 5

# --- a rerun with the manifest fetches nothing --------------------------------
s3fault_reset
check 'a rerun with the manifest' aq-fetch archive --location "$locs" --from "$from" --to "$to" --manifest "$TMP/m"
check_empty 'writes nothing' "$TMP/.out"
check_grep 'and says every object was unchanged' "$nobj unchanged and skipped, 0 fetched" "$TMP/.err"
n=$(s3fault_requests | "$S3_PY" -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin) if "list-type" not in r["query"]))')
ok 'it made no object request at all' "$n" = 0

# --- a patched object: fetched again, alone, and its values win ---------------
pg_start
aq-load -q --init
aq-norm -q --no-bounds --reject "$TMP/rej1" "$TMP/all.ndjson" | aq-load -q -t measurement
pkey=$(sed -n '2p' "$S3_INDEX" | "$S3_PY" -c 'import json,sys; print(json.loads(sys.stdin.read())["key"])')
pglob="*/${pkey##*/}"
"$S3_PY" "$AQ_SRCDIR/t/s3seed.py" --locations 300 --store "$S3_DIR" --patch "$pglob" --only "$pglob" \
	--patch-delta 0.5 --truth "$TMP/patched.truth" 2>"$TMP/patch.err"
check 'a rerun after one object was patched' \
	aq-fetch archive --location "$locs" --from "$from" --to "$to" --manifest "$TMP/m"
check_same 'writes exactly the patched object, whole' "$TMP/.out" "$TMP/patched.truth"
check_grep 'and counts it as changed' "1 fetched \(1 changed\)" "$TMP/.err"
aq-norm -q --no-bounds "$TMP/.out" >"$TMP/patched.rows"
aq-load -q -t measurement --mode upsert "$TMP/patched.rows"
# every patched row, as stored, has the patched value
"$S3_PY" -c 'import json,sys
v = []
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["value"] is not None:
        v.append("(%d,%s::timestamptz,%r::float8)" % (r["sensor_id"], "\x27%s\x27" % r["datetime"], r["value"]))
print("select count(*) from measurement m join (values %s) x(s, t, v) on m.sensor_id = x.s and "
      "m.period = \x27raw\x27 and m.datetime = x.t and m.value = x.v" % ",".join(v))' \
	"$TMP/patched.rows" >"$TMP/patched.sql"
want=$(grep -c . "$TMP/patched.rows")
got=$(psql -XAtq -f "$TMP/patched.sql")
ok "after the load the patched values win ($got of $want rows)" "$want" -gt 0 -a "$got" = "$want"

# --- shards add up to the whole ---------------------------------------------
: >"$TMP/shards"
for k in 0 1 2; do
	aq-fetch -q archive --location "$locs" --from "$from" --to "$to" --shard "$k/3" >>"$TMP/shards"
done
sort "$TMP/shards" >"$TMP/shards.sorted"
aq-fetch -q archive --location "$locs" --from "$from" --to "$to" | sort >"$TMP/whole.sorted"
check_same '--shard 0/3, 1/3 and 2/3 add up to the whole, with no overlap' "$TMP/shards.sorted" "$TMP/whole.sorted"
check_status '--shard 3/3 is a usage error' 64 aq-fetch archive --location 1 --from 2026-01-01 --shard 3/3

# --- --iso: the locations through the API -------------------------------------
api_start --locations 300
api_truth "/v3/locations" >"$TMP/api-locations"
# the country of the first seeded location, and its locations' rows
iso=$("$S3_PY" -c 'import json,sys
first = int(sys.argv[2].split(",")[0])
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["id"] == first: print(r["country"]["code"])' "$TMP/api-locations" "$locs")
"$S3_PY" -c 'import json,sys
keep = {json.loads(l)["id"] for l in open(sys.argv[1]) if json.loads(l)["country"]["code"] == sys.argv[3]}
for l in open(sys.argv[2]):
    if json.loads(l)["location_id"] in keep: sys.stdout.write(l)' "$TMP/api-locations" "$S3_TRUTH" "$iso" \
	>"$TMP/iso.want"
api_admin reset >/dev/null
check "--iso ${iso:-?} lists its locations through the fake API" \
	aq-fetch archive --iso "$iso" --from "$from" --to "$to"
check_same "and writes every row of the country's seeded locations" "$TMP/.out" "$TMP/iso.want"
n=$(api_admin requests | pyj 'sum(1 for r in j if r["path"] != "/v3/locations")')
ok 'it asks the API for nothing but /v3/locations' "$n" = 0

# --- usage ----------------------------------------------------------------
check_status 'archive without locations is a usage error' 64 aq-fetch archive --from 2026-01-01
check_status 'a time is not a day' 64 aq-fetch archive --location 1 --from 2026-01-01T00:00:00Z
check_status '--manifest is for archive only' 64 aq-fetch countries --manifest "$TMP/x"
check 'a location without objects is no error' aq-fetch archive --location 999999 --from 2026-01-01 \
	--to 2026-01-02
check_grep 'the summary says so' '1 locations \(1 without objects in the range\)' "$TMP/.err"
