#!/bin/sh
# aq-norm: input past the reader's limits (nesting deeper than 1000
# levels) is a bad line like any other: rejected, and the run goes on.
. "$AQ_SRCDIR/t/lib.sh"
need python3
plan 11

# valid_json FILE: every line of FILE is one JSON value (python's
# reader, with room for the deepest records)
valid_json() {
	python3 -c '
import json, sys
sys.setrecursionlimit(20000)
for n, l in enumerate(open(sys.argv[1], "rb"), 1):
	try:
		json.loads(l.decode("utf-8", "strict"))
	except Exception as e:
		sys.exit("line %d: %s" % (n, str(e)[:200]))
' "$1"
}

good='{"datetime":{"utc":"2024-01-01T01:00:00Z"},"value":1,"sensorsId":1}'
# line 1 good; lines 2-9: 999, 1000, 1001, 1000000 levels of arrays,
# then of objects (the record itself is level 1); line 10 good
python3 -c '
import sys
good = sys.argv[1]
print(good)
h = 2
for objects in (0, 1):
	for n in (999, 1000, 1001, 1000000):
		h += 1
		if objects:
			inner = "{\"a\":" * (n - 1) + "1" + "}" * (n - 1)
		else:
			inner = "[" * (n - 1) + "1" + "]" * (n - 1)
		print("{\"sensorsId\":2,\"value\":1,\"datetime\":{\"utc\":\"2024-01-01T%02d:00:00Z\"},\"deep\":" % h + inner + "}")
print(good.replace("01:00", "02:00"))
' "$good" >"$TMP/deep.ndjson"

check "the run goes on past lines too deep (exit 0 with --reject)" \
	aq-norm --reject "$TMP/rej" "$TMP/deep.ndjson"
check_grep "the summary counts them" "10 records, 6 rows, 4 rejects" "$TMP/.err"
check_eq "every line but the four too deep makes a row" "$(grep -c '' "$TMP/.out")" 6
check_eq "four reject lines" "$(grep -c '' "$TMP/rej")" 4
check "the reject lines are valid JSON" valid_json "$TMP/rej"
for l in 4 5 8 9; do
	check_grep "line $l is rejected, nested deeper than 1000 levels" \
		"^\\{\"file\":\"[^\"]*deep.ndjson\",\"line\":$l,\"reason\":\"column [0-9]+: invalid JSON: nested deeper than 1000 levels\"" \
		"$TMP/rej"
done

check_status "without --reject, a line too deep exits 65" 65 aq-norm "$TMP/deep.ndjson"
check_grep "naming FILE:LINE" "deep.ndjson:4: column [0-9]+: invalid JSON: nested deeper than 1000 levels" "$TMP/.err"
