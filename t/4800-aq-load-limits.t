#!/bin/sh
# aq-load: lines nested deeper than 1000 levels are bad lines, rejected
# with their line number; the run goes on and the good rows load.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
need python3
load_start
plan 10

# line 1 and the last line good; between them 999, 1000, 1001 and
# 1000000 levels of arrays, then of objects, under a key that is not a
# column (the row itself is level 1)
python3 -c '
h = 0
def row(extra):
	global h
	h += 1
	return "{\"sensor_id\":7,\"datetime\":\"2024-06-01T%02d:00:00Z\",\"value\":1%s}" % (h, extra)
print(row(""))
for objects in (0, 1):
	for n in (999, 1000, 1001, 1000000):
		if objects:
			inner = "{\"a\":" * (n - 1) + "1" + "}" * (n - 1)
		else:
			inner = "[" * (n - 1) + "1" + "]" * (n - 1)
		print(row(",\"deep\":" + inner))
print(row(""))
' >"$TMP/deep.ndjson"

check "the run goes on past lines too deep (exit 0 with --reject)" \
	aq-load -t measurement --reject "$TMP/rej" "$TMP/deep.ndjson"
check_eq "the other six rows are stored" "$(q 'SELECT count(*) FROM measurement WHERE sensor_id = 7')" 6
check_eq "four reject lines" "$(grep -c '' "$TMP/rej")" 4
check "the reject lines are valid JSON" python3 -c '
import json, sys
for l in open(sys.argv[1], "rb"):
	json.loads(l.decode("utf-8", "strict"))
' "$TMP/rej"
for l in 4 5 8 9; do
	check_grep "line $l is rejected, nested deeper than 1000 levels" \
		"^\\{\"file\":\"[^\"]*deep.ndjson\",\"line\":$l,\"reason\":\"column [0-9]+: invalid JSON: nested deeper than 1000 levels\"" \
		"$TMP/rej"
done
q 'TRUNCATE measurement' >/dev/null
check_status "without --reject, a line too deep exits 65" 65 aq-load -t measurement "$TMP/deep.ndjson"
check_grep "naming FILE:LINE" "deep.ndjson:4: .*nested deeper than 1000 levels" "$TMP/.err"
