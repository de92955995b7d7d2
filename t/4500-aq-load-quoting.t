#!/bin/sh
# Names and values that would break naive SQL or naive COPY text.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 10

# a table and columns whose names need quoting, in a schema that does too
q 'CREATE SCHEMA "Sch ema"' >/dev/null
q 'CREATE TABLE "Sch ema"."we""ird; DROP TABLE x --" ("id" int PRIMARY KEY, "na""me" text, "tab	col" text, "größe" double precision, "j" jsonb, "flag" boolean, "n" int DEFAULT 42)' >/dev/null
tbl='Sch ema.we"ird; DROP TABLE x --'
cat >"$TMP/rows" <<'ROWS'
{"id":1,"na\"me":"O'Brien \"quoted\"","tab\tcol":"a\tb\nc\rd","größe":1.5,"j":{"k":[1,"two",null]},"flag":true}
{"id":2,"na\"me":"back\\slash \\N \\. end","tab\tcol":"\\","größe":-0.0,"j":"a string","flag":false,"n":7}
{"id":3,"na\"me":"µg/m³ NO₂ 北京 São Paulo – Kraków 😷","tab\tcol":"","größe":6.0,"j":null,"flag":null}
{"id":4,"na\"me":"\\.","tab\tcol":"\\.\n\\.","größe":1e3,"j":[],"flag":true}
ROWS
check "loads into a table whose name needs quoting" aq-load -t "$tbl" "$TMP/rows"
check_grep "4 inserted" "4 read, 4 inserted" "$TMP/.err"
T='"Sch ema"."we""ird; DROP TABLE x --"'
check_eq "quotes and double quotes survive" "$(q "SELECT \"na\"\"me\" FROM $T WHERE id = 1")" "O'Brien \"quoted\""
check_eq "tab, newline and CR survive" \
	"$(q "SELECT replace(replace(replace(\"tab	col\", E'\\t', '<TAB>'), E'\\n', '<LF>'), E'\\r', '<CR>') FROM $T WHERE id = 1")" \
	'a<TAB>b<LF>c<CR>d'
check_eq "backslashes, \\N and \\. are text, not COPY markers" "$(q "SELECT \"na\"\"me\" || '|' || \"tab	col\" FROM $T WHERE id = 2")" 'back\slash \N \. end|\'
check_eq "a line holding only \\. is data" "$(q "SELECT \"na\"\"me\" FROM $T WHERE id = 4")" '\.'
check_eq "Unicode survives, byte for byte" "$(q "SELECT \"na\"\"me\" FROM $T WHERE id = 3")" "µg/m³ NO₂ 北京 São Paulo – Kraków 😷"
check_eq "JSON values land in a jsonb column as JSON" "$(q "SELECT string_agg(coalesce(j::text, 'NULL'), ' ' ORDER BY id) FROM $T")" \
	'{"k": [1, "two", null]} "a string" NULL []'
check_eq "numbers, booleans, nulls and the default" "$(q "SELECT string_agg(concat_ws(',', \"größe\", flag, n), ' ' ORDER BY id) FROM $T")" \
	"1.5,t,42 -0,f,7 6,42 1000,t,42"
check_eq "and nothing else happened" "$(q "SELECT count(*) FROM pg_class WHERE relname = 'x'")" 0
