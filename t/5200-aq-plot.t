#!/bin/sh
# aq-plot draws a PNG time series from the database, and says when there
# is nothing to draw.
. "$AQ_SRCDIR/t/lib.sh"
need jq
command -v gnuplot >/dev/null 2>&1 ||
	skip_all "gnuplot not found (Debian: apt-get install gnuplot-nox), aq-plot cannot draw"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
. "$AQ_SRCDIR/t/lib-e2e.sh"
PATH=$AQ_CONTRIB:$PATH
load_start
e2e_samples
plan 9

check "by location id and parameter name" aq-plot -o "$TMP/a.png" 2 pm25
check_eq "it prints the file name" "$(cat "$TMP/.out")" "$TMP/a.png"
check_eq "the file is a PNG" "$(od -An -c -N4 "$TMP/a.png" | tr -d ' ')" '211PNG'
check "by location name and parameter id, a time range and a size" \
	aq-plot -o "$TMP/b.png" -f 2026-11-27T00:00Z -t 2026-11-28T00:00Z -s 640x300 "$(q 'SELECT name FROM location WHERE id = 3')" 2
check_eq "the PNG has that size" "$(od -An -tu1 -j16 -N8 "$TMP/b.png" | tr -s ' ' | sed 's/^ //')" "0 0 2 128 0 0 1 44"
check_status "no such location: exit 1" 1 aq-plot -o "$TMP/c.png" 999999 pm25
ok "and no file" ! -e "$TMP/c.png"
check_status "a quote in a name is data, not SQL: exit 1" 1 aq-plot -o "$TMP/d.png" "x' OR '1'='1" pm25
check_status "a usage error: exit 64" 64 aq-plot -o "$TMP/e.png" 2
