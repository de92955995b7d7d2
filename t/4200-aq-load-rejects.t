#!/bin/sh
# Rows the database refuses are rejected with its message; their neighbours load.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 27

gen_rows 1000 1000 1717200000 >"$TMP/good"	# June 2024
# three bad rows among good ones: a type error, a CHECK violation, a NULL key
{
	sed -n 1,300p "$TMP/good"
	printf '{"sensor_id":1,"datetime":"2024-06-01T00:00:00Z","value":"high"}\n'
	sed -n 301,600p "$TMP/good"
	printf '{"sensor_id":2,"period":"minute","datetime":"2024-06-01T00:00:00Z","value":1}\n'
	sed -n 601,1000p "$TMP/good"
	printf '{"sensor_id":null,"datetime":"2024-06-01T00:00:00Z","value":1}\n'
} >"$TMP/mixed"
for mode in upsert insert; do
	q 'TRUNCATE measurement' >/dev/null
	rm -f "$TMP/rej"
	check "$mode: a batch with bad rows loads" aq-load -t measurement --mode $mode --reject "$TMP/rej" "$TMP/mixed"
	check_grep "$mode: 1000 inserted, 3 rejected" "1003 read, 1000 inserted, .* 3 rejected" "$TMP/.err"
	check_eq "$mode: the good rows are all there" "$(q 'SELECT count(*) FROM measurement')" 1000
	check_eq "$mode: three reject lines" "$(wc -l <"$TMP/rej")" 3
	check_grep "$mode: a type error, with its line and the database's message" \
		'^\{"file":"[^"]*/mixed","line":301,"reason":"database: invalid input syntax for type double precision: \\"high\\"","record":\{"sensor_id":1,' "$TMP/rej"
	check_grep "$mode: a CHECK violation" '"line":602,"reason":"database: new row for relation .* violates check constraint' "$TMP/rej"
	check_grep "$mode: a NULL in the key" '"line":1003,"reason":"database: null value in column \\"sensor_id\\"' "$TMP/rej"
done

# without a reject file the first refused row stops the run
q 'TRUNCATE measurement' >/dev/null
check_status "without --reject: exit 65" 65 aq-load -t measurement "$TMP/mixed"
check_grep "naming the file and line" "^aq-load: .*/mixed:301: database: invalid input syntax" "$TMP/.err"
check_status "--max-rejects 2 with 3 rejects: exit 65" 65 aq-load -t measurement --reject "$TMP/rej2" --max-rejects 2 "$TMP/mixed"
check_grep "saying why" "too many rejects" "$TMP/.err"

# rows refused before they reach the database
printf '{"sensor_id":5,"datetime":"2024-06-02T00:00:00Z","parameter":"a\\u0000b","value":1}\n{"sensor_id":5,"datetime":"2024-06-02T01:00:00Z","value":2}\n' >"$TMP/nul"
rm -f "$TMP/rej"
check "a NUL character is rejected, the next row loads" aq-load -t measurement --reject "$TMP/rej" "$TMP/nul"
check_grep "its reason names the column" '"line":1,"reason":"parameter holds a NUL character' "$TMP/rej"
check_eq "the other row is stored" "$(q "SELECT value FROM measurement WHERE sensor_id = 5")" 2

printf '{"sensor_id":6,"datetime":"2024-06-02T00:00:00Z","value":1,"colour":"red"}\n' >"$TMP/unk"
check "an unknown key is ignored" aq-load -t measurement "$TMP/unk"
check_grep "with one warning" "key 'colour' is not a column of measurement: ignored" "$TMP/.err"
check_status "under --strict it is an error: 65" 65 aq-load -t measurement --strict "$TMP/unk"
check_grep "naming the key" "unk:1: key 'colour' is not a column of measurement \\(--strict\\)" "$TMP/.err"

printf '{"sensor_id":8,"datetime":"2024-06-02T00:00:00Z","value":1}\n{"sensor_id":8,\n' >"$TMP/json"
check_status "a line that is not JSON: 65" 65 aq-load -t measurement "$TMP/json"
check_grep "naming FILE:LINE" "json:2: .*invalid N?DJSON" "$TMP/.err"
