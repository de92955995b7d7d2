#!/bin/sh
# 5700-readme: the README's examples are what works.  Each sh block of
# README.md preceded by a comment naming this test is run, line for line,
# with sh -e in an empty directory, against the fake API and a throwaway
# database, and must exit 0 and load rows (as jq runs its manual's examples).
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
[ -n "${JQ:-}" ] || skip_all "jq not found"

# the marked blocks, one file each
awk -v dir="$TMP" '
	/^<!-- t\/5700-readme\.t / { want = 1; next }
	want && /^```sh$/ { n++; f = dir "/block" n ".sh"; inblock = 1; want = 0; next }
	inblock && /^```$/ { inblock = 0; close(f); next }
	inblock { print > f }
	{ want = 0 }
	END { print n + 0 > (dir "/blocks") }' "$AQ_SRCDIR/README.md"
n=$(cat "$TMP/blocks")
plan $((n + 2))
ok "README.md has blocks marked for this test ($n)" "$n" -gt 0

api_start --locations 300 --seed 2
pg_start
i=1
while [ "$i" -le "$n" ]; do
	mkdir "$TMP/run$i"
	(cd "$TMP/run$i" && sh -e "$TMP/block$i.sh") >"$TMP/run$i.out" 2>"$TMP/run$i.err"
	st=$?
	check_eq "README block $i exits 0" "$st" 0
	[ "$st" = 0 ] || { diag_file "$TMP/block$i.sh"; diag_file "$TMP/run$i.err"; }
	i=$((i + 1))
done
# what the first block loads: locations, sensors and readings with their
# parameter and units
got=$(psql -qAtX -c "SELECT (SELECT count(*) FROM location) > 0, (SELECT count(*) FROM sensor) > 0,
	(SELECT count(*) FROM measurement WHERE parameter IS NOT NULL AND units IS NOT NULL) > 0" 2>&1)
check_eq "the README's pipeline loads locations, sensors, and readings with parameter and units" "$got" 't|t|t'
