#!/bin/sh
# 3620-aq-fetch-archive-closed: aq-fetch archive into a reader that closes
# stdout early (| head -1) stops quietly with 74 and still writes its
# manifest, of the objects it wrote out (each flushed before it is
# recorded; none, and no manifest, when the first one failed already); a rerun with that manifest writes exactly the others, so the
# two runs' rows add up to every row.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-s3.sh"
s3_start
plan 6

s3_seed --locations 100 || { echo "Bail out! the bucket could not be seeded"; exit 1; }
locs=$("$S3_PY" -c 'import json,sys
print(",".join(sorted({str(json.loads(l)["location_id"]) for l in open(sys.argv[1])}, key=int)))' "$S3_INDEX")
days() { "$S3_PY" -c 'import json,sys
d = sorted(json.loads(l)["day"] for l in open(sys.argv[1]))
print(d[0] if sys.argv[2] == "first" else d[-1])' "$S3_INDEX" "$1"; }
from=$(days first) to=$(days last)
nobj=$(grep -c . "$S3_INDEX")
total=$(grep -c '' "$S3_TRUTH")
diag "$nobj objects, $total rows"

{ aq-fetch -q -j 4 archive --location "$locs" --from "$from" --to "$to" --manifest "$TMP/m" \
	2>"$TMP/err"; echo $? >"$TMP/st"; } | head -1 >"$TMP/head"
check_eq 'into head -1: exit 74' "$(cat "$TMP/st")" 74
check_empty 'nothing on stderr' "$TMP/err"
check_eq 'the reader got its line' "$(grep -c '' "$TMP/head")" 1
# the first object may already have failed: then there is no manifest
touch "$TMP/m"
recorded=$(grep -c '' "$TMP/m")
ok "the manifest records fewer objects than there are ($recorded of $nobj)" "$recorded" -lt "$nobj"
rows1=$("$S3_PY" -c 'import json,sys; print(sum(json.loads(l)["rows"] for l in open(sys.argv[1])))' "$TMP/m")

aq-fetch -q -j 4 archive --location "$locs" --from "$from" --to "$to" --manifest "$TMP/m" \
	>"$TMP/rest" 2>"$TMP/err2"; st=$?
check_eq 'a rerun with the manifest exits 0' "$st" 0
check_eq 'and writes the rows of the objects not recorded: together, every row' \
	"$((rows1 + $(grep -c '' "$TMP/rest")))" "$total"
