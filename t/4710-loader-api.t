#!/bin/sh
# The loader's orphan rule and notice kinds, through the public API
# (t/loader-probe), on tables and columns whose names need quoting.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 20
probe() { "$AQ_BUILDDIR/t/loader-probe" "$@" <"$TMP/in" >"$TMP/out" 2>"$TMP/err"; }
line() { grep "^$1 " "$TMP/out" | head -1 | cut -d' ' -f2-; }

q 'CREATE SCHEMA "s ch"' >/dev/null
q 'CREATE TABLE "s ch"."a""b" ("select" bigint PRIMARY KEY, "t x" text)' >/dev/null
q 'CREATE TABLE "s ch"."ref tab" ("key""col" int PRIMARY KEY)' >/dev/null
q 'INSERT INTO "s ch"."ref tab" VALUES (1), (2)' >/dev/null
awk 'BEGIN { for (i = 1; i <= 5; i++) printf "{\"select\":%d,\"t x\":\"%d\",\"zz\":0}\n", i, i }' >"$TMP/in"

probe -r select 'ref tab' 'key"col' 's ch.a"b'
check_eq "set_orphans with names that need quoting: AQ_OK" "$(line set_orphans)" 0
check_eq "all 5 rows load" "$(line inserted)" 5
check_eq "3 of them name no row of the referenced table" "$(line orphans)" 3
check_eq "the unknown key is a notice of kind AQ_LOADER_NOTICE_UNKNOWN_KEY (1)" \
	"$(line notice)" "1 key 'zz' is not a column of s ch.a\"b: ignored"

q 'TRUNCATE "s ch"."a""b"' >/dev/null
probe -r select 's ch.ref tab' 'key"col' 's ch.a"b'
check_eq "a schema-qualified reference table" "$(line orphans)" 3

q 'TRUNCATE "s ch"."a""b"' >/dev/null
probe 's ch.a"b'
check_eq "no rule, no orphans" "$(line orphans)" 0

q 'TRUNCATE "s ch"."a""b"' >/dev/null
probe -r 't x' 'ref tab' 'key"col' 's ch.a"b'
check_eq "a text column: the rule does not apply" "$(line orphans)" 0

q 'TRUNCATE "s ch"."a""b"' >/dev/null
probe -r select 'no such table' 'key"col' 's ch.a"b'
check_eq "a missing reference table: the rule does not apply" "$(line orphans)" 0
check_eq "and the load goes on" "$(line inserted)" 5

q 'TRUNCATE "s ch"."a""b"' >/dev/null
probe -r select 'ref tab' 'no such column' 's ch.a"b'
check_eq "a missing key column: the rule does not apply" "$(line orphans)" 0

probe -r '' 'ref tab' 'key"col' 's ch.a"b'
check_eq "an empty column name: AQ_EINVAL" "$(line set_orphans)" "$(awk '/AQ_EINVAL *=/ { sub(/,.*/, ""); print $NF }' "$AQ_SRCDIR/lib/openaq.h")"

# the old callback still gets the messages, without a kind
q 'TRUNCATE "s ch"."a""b"' >/dev/null
probe -o 's ch.a"b'
check_eq "aq_loader_set_notice still works" "$(line notice)" "- key 'zz' is not a column of s ch.a\"b: ignored"

# a server notice is of kind AQ_LOADER_NOTICE_SERVER (0)
q "CREATE FUNCTION \"s ch\".noisy() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE NOTICE 'row %', NEW.\"select\"; RETURN NEW; END \$\$" >/dev/null
q 'CREATE TRIGGER noisy BEFORE INSERT ON "s ch"."a""b" FOR EACH ROW EXECUTE FUNCTION "s ch".noisy()' >/dev/null
q 'TRUNCATE "s ch"."a""b"' >/dev/null
probe 's ch.a"b'
check_grep "a server notice is of kind AQ_LOADER_NOTICE_SERVER (0)" "^notice 0 row 5$" "$TMP/out"
check_eq "said once per row" "$(grep -c '^notice 0 row' "$TMP/out")" 5

# aq_loader_send(): a batch sent is committed by the next call, not before;
# aq_loader_finish() commits it and leaves the current batch pending
q 'TRUNCATE "s ch"."a""b"' >/dev/null
awk 'BEGIN { for (i = 1; i <= 7; i++) printf "{\"select\":%d,\"t x\":\"%d\"}\n", i, i }' >"$TMP/in"
probe -s 3 's ch.a"b'
check_eq "the first send: nothing committed yet, nothing pending" "$(grep '^sent' "$TMP/out" | sed -n 1p)" "sent 0 0 0"
check_eq "the second: the first batch committed" "$(grep '^sent' "$TMP/out" | sed -n 2p)" "sent 0 3 0"
check_eq "finish: the second committed, the seventh row still pending" "$(line finished)" "0 6 1"
check_eq "the flush commits it" "$(line rows)" 7
check_eq "every row stored" "$(q 'SELECT count(*) FROM "s ch"."a""b"')" 7
# a rerun the same way: the sent batches are checked, not staged
probe -s 3 's ch.a"b'
check_eq "a rerun: every row read, none inserted" "$(line rows)|$(line inserted)" "7|0"
