#!/bin/sh
# The throwaway PostgreSQL cluster helper works (or the file skips, saying why).
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
pg_start
plan 4
check "the cluster answers on its socket" $PSQL -c 'select 1'
check_eq "it is PostgreSQL 15 or later" "$($PSQL -c 'select current_setting($$server_version_num$$)::int >= 150000')" "t"
check_eq "it listens on no TCP address" "$($PSQL -c 'show listen_addresses')" ""
check_eq "fsync is off" "$($PSQL -c 'show fsync')" "off"
