#!/bin/sh
# 3610-aq-fetch-archive-faults: what S3 and the network do to aq-fetch
# archive, through a fault proxy in front of s3rver: 503 SlowDown, 500, a
# reset mid-object, a truncated gzip, a body cut short, a stall.  Each is
# retried and the output equals the fault-free output; a 403 on a listed
# key is named, the other objects are written and recorded, exit 75, and a
# rerun with the manifest fetches only the missing one.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-s3.sh"
s3_start
plan 23
s3_seed --locations 300 --big none || { echo "Bail out! the bucket could not be seeded"; exit 1; }
s3fault_start
export AQ_BACKOFF=0.05
locs=$("$S3_PY" -c 'import json,sys
print(",".join(sorted({str(json.loads(l)["location_id"]) for l in open(sys.argv[1])}, key=int)))' "$S3_INDEX")
from=$("$S3_PY" -c 'import json,sys; print(min(json.loads(l)["day"] for l in open(sys.argv[1])))' "$S3_INDEX")
to=$("$S3_PY" -c 'import json,sys; print(max(json.loads(l)["day"] for l in open(sys.argv[1])))' "$S3_INDEX")
# the second object's key, and a text that names it alone
key2=$(sed -n 2p "$S3_INDEX" | "$S3_PY" -c 'import json,sys; print(json.loads(sys.stdin.read())["key"])')
name2=${key2##*/}
fetch() { aq-fetch -v -j 4 --timeout 3 archive --location "$locs" --from "$from" --to "$to" "$@"; }

# a fault on the second object (or its listing), then the same output
for f in slowdown internal reset truncate short stall:20 stallbody:20; do
	s3fault_clear
	s3fault_reset
	s3fault_add "$f~$name2"
	check "$f: exits 0" fetch
	check_same "$f: the output equals the fault-free output" "$TMP/.out" "$S3_TRUTH"
done
# (the proxy logs a request once answered, and the stalled one is still
# stalling: aq-fetch's own log says it gave up on it and asked again)
check_grep 'the stalled object was given up on and asked for again' \
	"$name2: .*(timed out|too slow).*; again in" "$TMP/.err"

# a listing that fails once: retried
s3fault_clear
s3fault_add 'slowdown~list-type=2'
check 'a SlowDown on a listing is retried' fetch
check_same 'and nothing is lost' "$TMP/.out" "$S3_TRUTH"

# 403 on a listed key: named, the others written and recorded, exit 75
s3fault_clear
s3fault_add "denied~$name2*"
rm -f "$TMP/m"
check_status 'a 403 on a listed key: exit 75' 75 fetch --manifest "$TMP/m"
check_grep 'naming the key' "missing: $key2: HTTP 403 AccessDenied" "$TMP/.err"
"$S3_PY" -c 'import json,sys
skip = json.loads(open(sys.argv[1]).read().splitlines()[1])
rows = skip["rows"]
lines = open(sys.argv[2]).read().splitlines(True)
# the truth without the second object: its rows are the ones after the first object
first = json.loads(open(sys.argv[1]).read().splitlines()[0])["rows"]
sys.stdout.write("".join(lines[:first] + lines[first + rows:]))' "$S3_INDEX" "$S3_TRUTH" >"$TMP/without2"
check_same 'every other object is written' "$TMP/.out" "$TMP/without2"
check_eq 'and recorded in the manifest, the missing one not' \
	"$(grep -c . "$TMP/m"):$(grep -c "$name2" "$TMP/m")" "$(($(grep -c . "$S3_INDEX") - 1)):0"
s3fault_clear
s3fault_reset
check 'the rerun with the manifest' fetch --manifest "$TMP/m"
"$S3_PY" -c 'import json,sys
idx = open(sys.argv[1]).read().splitlines()
first = json.loads(idx[0])["rows"]; rows = json.loads(idx[1])["rows"]
sys.stdout.write("".join(open(sys.argv[2]).read().splitlines(True)[first:first + rows]))' \
	"$S3_INDEX" "$S3_TRUTH" >"$TMP/only2"
check_same 'fetches only the missing object' "$TMP/.out" "$TMP/only2"
