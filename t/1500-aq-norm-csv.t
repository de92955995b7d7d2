#!/bin/sh
# aq-norm --csv: the archive CSV read directly, with quotes, commas in
# names, backslash escapes, records over two lines, CRLF, a byte order
# mark and a repeated header; the same rows as the archive rows as objects.
. "$AQ_SRCDIR/t/lib.sh"
[ -n "${JQ:-}" ] || skip_all "jq not found"
plan 8
d=$AQ_TESTDATA/csv
for s in archive-g1 archive-g2; do
	aq-norm -q --csv "$AQ_TESTDATA/api-samples/$s.csv" >"$TMP/csv.out"
	aq-norm -q "$AQ_TESTDATA/samples/$s.ndjson" >"$TMP/obj.out"
	check_same "$s: --csv gives the rows of the archive rows as objects" "$TMP/csv.out" "$TMP/obj.out"
	check_eq "$s: one row per data line" "$(grep -c . "$TMP/csv.out")" "$(($(grep -c . "$AQ_TESTDATA/api-samples/$s.csv") - 1))"
done
rm -f "$TMP/rej"
check_status "tricky.csv exits 0 with --reject" 0 aq-norm -q --csv --reject "$TMP/rej" "$d/tricky.csv"
check_same "tricky.csv: rows" "$TMP/.out" "$d/tricky.out.ndjson"
"$JQ" -r '"\(.line)\t\(.reason)"' "$TMP/rej" >"$TMP/rej.got"
check_same "tricky.csv: rejects" "$TMP/rej.got" "$d/tricky.rejects.tsv"
check_eq "a reject keeps the CSV record as a string" "$("$JQ" -r 'select(.line == 10) | .record' "$TMP/rej")" \
    "8118,23534,New Delhi-8118,2021-12-16T02:00:00+00:00,28.63576,77.22445,pm25"
