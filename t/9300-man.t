#!/bin/sh
# The manual pages format without warnings and document every exit status.
. "$AQ_SRCDIR/t/lib.sh"
need groff
pages="aq-fetch.1 aq-dims.1 aq-norm.1 aq-load.1 aq-ndjson.5 openaq.7 libopenaq.3"
plan 11
for p in $pages; do
	groff -mandoc -Tutf8 -ww -z "$AQ_SRCDIR/man/$p" >"$TMP/w" 2>&1
	check_empty "$p formats without warnings" "$TMP/w"
done
for t in aq-fetch aq-dims aq-norm aq-load; do
	missing=
	for st in 0 64 65 70; do
		grep -q "^\\.It $st\$" "$AQ_SRCDIR/man/$t.1" || missing="$missing $st"
	done
	check_eq "$t.1 lists exit statuses 0, 64, 65 and 70" "$missing" ""
done
