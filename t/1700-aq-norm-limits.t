#!/bin/sh
# aq-norm: input past the reader's limits (nesting deeper than 1000
# levels, ill-formed UTF-8) is a bad line like any other: rejected, with a
# reject line that is valid JSON and valid UTF-8, and the run goes on.
. "$AQ_SRCDIR/t/lib.sh"
need python3
plan 27

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

# ill-formed UTF-8, each class once, in a string the row would copy
# (the location's name, the units), and a good line after each
bad='c080 e08080 f0808080 eda080 edbfbf f4908080 f5 ff 80 bf c3'
python3 -c '
import sys
rec = "{\"datetime\":{\"utc\":\"2024-01-01T%02d:00:00Z\"},\"value\":1,\"sensorsId\":1,\"location\":\"x%sy\"}\n"
out = sys.stdout.buffer
for i, h in enumerate(sys.argv[1].split()):
	out.write((rec % (2 * i, "")).encode())
	out.write((rec % (2 * i + 1, "@")).encode().replace(b"@", bytes.fromhex(h)))
' "$bad" >"$TMP/utf8.ndjson"
python3 -c '
import sys
out = sys.stdout.buffer
out.write(b"location_id,sensors_id,location,datetime,lat,lon,parameter,units,value\n")
for i, h in enumerate(sys.argv[1].split()):
	b = bytes.fromhex(h)
	out.write(b"1,2,ok,2024-01-%02dT00:00:00Z,1,2,pm25,ppm,3\n" % (i + 1))
	out.write(b"1,2,x%sy,2024-01-%02dT01:00:00Z,1,2,pm25,ppm,3\n" % (b, i + 1))
	out.write(b"1,2,ok,2024-01-%02dT02:00:00Z,1,2,pm25,\"p%spm\",3\n" % (i + 1, b))
' "$bad" >"$TMP/utf8.csv"

# is_utf8 FILE: the whole of FILE is well-formed UTF-8
is_utf8() { python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8", "strict")' "$1"; }

rm -f "$TMP/rej"
check "JSON: the run goes on past ill-formed UTF-8 (exit 0 with --reject)" \
	aq-norm --reject "$TMP/rej" "$TMP/utf8.ndjson"
check_eq "JSON: a row for each good line" "$(grep -c '' "$TMP/.out")" 11
check_eq "JSON: a reject for each bad one" "$(grep -c '' "$TMP/rej")" 11
check_eq "JSON: every reject says invalid UTF-8, on its line" \
	"$(grep -Ec '^\{"file":"[^"]*utf8.ndjson","line":[0-9]*[02468],"reason":"column 81: invalid JSON: invalid UTF-8' "$TMP/rej")" 11
check "JSON: the rows are valid UTF-8" is_utf8 "$TMP/.out"
check "JSON: the reject lines are valid JSON and UTF-8" valid_json "$TMP/rej"
check_grep "JSON: each bad byte became U+FFFD in the reject" '"line":2,.*location.*x��y' "$TMP/rej"

rm -f "$TMP/rej"
check "CSV: the run goes on past ill-formed UTF-8 (exit 0 with --reject)" \
	aq-norm --csv --reject "$TMP/rej" "$TMP/utf8.csv"
check_eq "CSV: a row for each good record" "$(grep -c '' "$TMP/.out")" 11
check_eq "CSV: a reject for each bad one" "$(grep -c '' "$TMP/rej")" 22
check_eq "CSV: the location's rejects name field 3" \
	"$(grep -Ec '^\{"file":"[^"]*utf8.csv","line":[0-9]+,"reason":"field 3: invalid UTF-8 \(an ill-formed sequence at byte 0x[0-9a-f]{2}, byte 2 of the field\)"' "$TMP/rej")" 11
check_eq "CSV: the units' rejects name field 8" \
	"$(grep -Ec '"reason":"field 8: invalid UTF-8 ' "$TMP/rej")" 11
check "CSV: the rows are valid UTF-8" is_utf8 "$TMP/.out"
check "CSV: the reject lines are valid JSON and UTF-8" valid_json "$TMP/rej"

# vertical tab and form feed are not JSON white space
printf '{"datetime":{"utc":"2024-01-01T01:00:00Z"},\v"value":1,"sensorsId":1}\n\f{"datetime":{"utc":"2024-01-01T02:00:00Z"},"value":1,"sensorsId":1}\n' >"$TMP/ws.ndjson"
rm -f "$TMP/rej"
check "VT, FF: rejected with --reject (exit 0)" aq-norm --reject "$TMP/rej" "$TMP/ws.ndjson"
check_eq "VT, FF: both lines rejected, saying why" \
	"$(grep -Ec '"reason":"column (44|1): invalid JSON: (vertical tab|form feed) outside a string' "$TMP/rej")" 2
