#!/bin/sh
# aq-norm and aq-dims: malformed input, reject files line by line, exit
# statuses, options.
. "$AQ_SRCDIR/t/lib.sh"
plan 37

good='{"datetime":{"utc":"2024-01-01T01:00:00Z"},"value":1,"sensorsId":1}'
good2='{"datetime":{"utc":"2024-01-01T02:00:00Z"},"value":2,"sensorsId":1}'
printf '%s\n%s\n%s\n' "$good" '{"value": 1,,}' "$good2" >"$TMP/bad.ndjson"
printf '%s\n%s\n' '{"id":1,"name":"o"}' '{"value": 1,,}' >"$TMP/bad-dims.ndjson"

# a line that is not JSON, no reject file: stop with 65, naming FILE:LINE
for tool in "aq-norm bad" "aq-dims bad-dims owners"; do
	set -- $tool
	f=$TMP/$2.ndjson
	t=$1
	shift 2
	check_status "$t: a non-JSON line without --reject exits 65" 65 $t "$@" "$f"
	check_grep "$t: the message names FILE:LINE" "^$t: $f:2: (column [0-9]+: )?invalid JSON" "$TMP/.err"
	$t "$@" <"$f" >/dev/null 2>"$TMP/err"
	check_grep "$t: standard input is <stdin>" "^$t: <stdin>:2: " "$TMP/err"
done
aq-norm -q "$TMP/bad.ndjson" >"$TMP/out" 2>/dev/null
check_eq "rows read before the stop are written" "$(grep -c . "$TMP/out")" 1

# with --reject: the line goes to the reject file as a string, the run goes on
rm -f "$TMP/rej"
check_status "with --reject the run exits 0" 0 aq-norm --reject "$TMP/rej" "$TMP/bad.ndjson"
check_eq "both good rows are written" "$(grep -c . "$TMP/.out")" 2
check_eq "one reject line" "$(grep -c . "$TMP/rej")" 1
check_grep "the reject names file and line, keeps the raw line" \
    "^\\{\"file\":\"$TMP/bad.ndjson\",\"line\":2,\"reason\":\"(column [0-9]+: )?invalid JSON: .*\",\"record\":\"\\{\\\\\"value\\\\\": 1,,\\}\"\\}\$" "$TMP/rej"
check_grep "the summary counts it" ": 3 records, 2 rows, 1 rejects, " "$TMP/.err"

# invalid UTF-8: rejected, and the reject line is valid UTF-8 (U+FFFD)
printf '{"datetime":{"utc":"2024-01-01T01:00:00Z"},"value":1,"sensorsId":1,"x":"\377"}\n' >"$TMP/utf8"
rm -f "$TMP/rej"
check_status "invalid UTF-8 with --reject exits 0" 0 aq-norm -q --reject "$TMP/rej" "$TMP/utf8"
check_grep "the raw line keeps U+FFFD for the bad byte" '"x\\":\\"�\\"}"}$' "$TMP/rej"

# a rejected record is kept as it came: the members aq-norm never reads
# (summary, coverage times...) and the spacing and escapes of the line too
rec='{"value": -999, "parameter":{"id":2,"name":"pm25","units":"\u00b5g/m\u00b3","displayName":null},"period":{"label":"1hour","interval":"01:00:00","datetimeFrom":{"utc":"2024-01-01T00:00:00Z","local":"2024-01-01T01:00:00+01:00"},"datetimeTo":{"utc":"2024-01-01T01:00:00Z","local":"2024-01-01T02:00:00+01:00"}},"summary":{"min":-999,"max":-999},"coverage":{"observedCount":1,"datetimeTo":{"utc":"2024-01-01T01:00:00Z"}},"sensorsId":7}'
printf '%s\n' "$rec" >"$TMP/sentinel"
rm -f "$TMP/rej"
check_status "a sentinel hour with --reject exits 0" 0 aq-norm -q --reject "$TMP/rej" "$TMP/sentinel"
check_eq "the reject holds the record byte for byte" "$(sed 's/.*,"record"://; s/}$//' "$TMP/rej")" "$rec"
check_eq "and is valid JSON whose record has every member" \
    "$(jq -c '.record | keys' "$TMP/rej")" '["coverage","parameter","period","sensorsId","summary","value"]'

# rejects are appended, one per bad record, in input order
printf '%s\n' '{"period":{"label":"raw"},"value":1}' "$good" '{"a":1}' >"$TMP/two"
rm -f "$TMP/rej"
aq-norm -q --reject "$TMP/rej" "$TMP/two" >/dev/null
aq-norm -q --reject "$TMP/rej" "$TMP/two" >/dev/null
check_eq "rejects are appended: 2 runs x 2" "$(grep -c . "$TMP/rej")" 4
check_eq "in input order" "$(sed -n 's/.*"line":\([0-9]*\),.*/\1/p' "$TMP/rej" | tr '\n' ' ')" "1 3 1 3 "
check_status "--max-rejects 1 with 2 rejects exits 65" 65 aq-norm -q --reject "$TMP/rej" --max-rejects 1 "$TMP/two"
check_grep "saying why" "too many rejects" "$TMP/.err"
check_status "--max-rejects 2 with 2 rejects exits 0" 0 aq-norm -q --reject "$TMP/rej" --max-rejects 2 "$TMP/two"

# exit statuses
check_status "a missing input exits 66" 66 aq-norm /nonexistent/x.ndjson
check_status "aq-dims: a missing input exits 66" 66 aq-dims owners /nonexistent/x.ndjson
check_status "a reject file that cannot be created exits 73" 73 aq-norm --reject /nonexistent/dir/rej "$TMP/two"
check_status "a --sensors file that cannot be opened exits 66" 66 aq-norm --sensors /nonexistent/s.ndjson "$TMP/two"
if [ -w /dev/full ]; then
	check_status "a failed write to stdout exits 74" 74 sh -c 'aq-norm -q "$1" >/dev/full' sh "$TMP/bad.ndjson"
	check_status "aq-dims: a failed write to stdout exits 74" 74 sh -c 'aq-dims -q owners "$1" >/dev/full' sh "$AQ_TESTDATA/dims/location-2178.ndjson"
else
	skip "no /dev/full"
	skip "no /dev/full"
fi
check_status "--units other exits 64" 64 aq-norm --units si
check_status "--reference 30 exits 64" 64 aq-norm --reference 30
check_status "--window x exits 64" 64 aq-norm --window x
check_status "--sentinels x exits 64" 64 aq-norm --sentinels x
check_status "aq-dims without a kind exits 64" 64 aq-dims
check_status "aq-dims with an unknown kind exits 64" 64 aq-dims cities

# sentinels and bounds can be changed
printf '{"location_id":1,"sensors_id":1,"datetime":"2024-01-01T01:00:00Z","parameter":"pm25","units":"µg/m³","value":-999}\n' >"$TMP/s"
check_status "-999 is a sentinel by default" 65 aq-norm -q "$TMP/s"
check_status "--sentinels '' --no-bounds lets -999 through" 0 aq-norm -q --sentinels '' --no-bounds "$TMP/s"
check_status "--sentinels '' alone: -999 ug/m3 is still out of bounds" 65 aq-norm -q --sentinels '' "$TMP/s"
