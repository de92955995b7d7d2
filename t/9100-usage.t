#!/bin/sh
# Every tool: --help, --version, a bad flag gives 64 and a usage line.
# aq-check is a script made at build time (for its version).
. "$AQ_SRCDIR/t/lib.sh"
PATH=$AQ_BUILDDIR/contrib:$PATH
tools="aq-fetch aq-dims aq-norm aq-load aq-check"
plan 30
for t in $tools; do
	check_status "$t --help exits 0" 0 $t --help
	check_grep "$t --help starts with usage:" "^usage: $t " "$TMP/.out"
	check_status "$t --version exits 0" 0 $t --version
	check_grep "$t --version names the tool and version" "^$t \\(libopenaq\\) [0-9]+\\.[0-9]+" "$TMP/.out"
	check_status "$t --no-such-flag exits 64" 64 $t --no-such-flag
	check_grep "$t: the error names the program" "^$t: |^usage: $t" "$TMP/.err"
done
