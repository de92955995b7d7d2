#!/bin/sh
# 4900-aq-load-usage: an empty table name is a usage error (64), found
# before any connection, like no table at all.
. "$AQ_SRCDIR/t/lib.sh"
plan 6

# no server to reach: a usage error must not depend on one
PGHOST=$TMP/no-server; export PGHOST
unset PGDATABASE PGSERVICE

check_status "-t '': exit 64" 64 aq-load -t '' /dev/null
check_grep 'with a usage message' '^aq-load: -t: the table name is empty$' "$TMP/.err"
check_grep 'and where to look' "^Try 'aq-load --help'" "$TMP/.err"
check_status "--table= : exit 64" 64 aq-load --table= /dev/null
check_status "--init -t '': exit 64" 64 aq-load --init -t '' /dev/null
check_status "as is no table at all" 64 aq-load /dev/null
