#!/bin/sh
# aq-load --init: creates the schema, records it, is idempotent, refuses a newer one.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
pg_start
$PSQL -c 'CREATE DATABASE aq' >/dev/null
PGDATABASE=aq; export PGDATABASE
plan 16

check_status "a table in an empty database: 69" 69 aq-load -t measurement /dev/null
check_grep "the message says to run --init" 'measurement does not exist.*--init' "$TMP/.err"
check "--init creates the schema" aq-load --init
check_grep "and says from which version to which" 'upgraded from version 0 to [0-9]+' "$TMP/.err"
latest=$(q 'SELECT max(version) FROM schema_version')
check_eq "schema_version records every migration, numbered from 1" \
	"$(q 'SELECT count(*) = max(version) AND min(version) = 1 FROM schema_version')" t
check_eq "with the migration names" "$(q "SELECT name FROM schema_version WHERE version = 2")" 002-measurement
for t in country parameter provider owner manufacturer instrument license location sensor \
    location_license location_instrument measurement measurement_latest; do
	[ "$(q "SELECT to_regclass('$t') IS NOT NULL")" = t ] || missing="${missing:-} $t"
done
check_eq "every table exists" "${missing:-}" ""
check_eq "measurement is partitioned, with a default partition" \
	"$(q "SELECT p.partdefid::regclass FROM pg_partitioned_table p WHERE p.partrelid = 'measurement'::regclass")" \
	measurement_default
check_eq "its primary key is (sensor_id, period, datetime)" \
	"$(q "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'measurement'::regclass AND contype = 'p'")" \
	"PRIMARY KEY (sensor_id, period, datetime)"
check "a second --init succeeds" aq-load --init
check_grep "and changes nothing" "schema is at version $latest, the latest" "$TMP/.err"
check_eq "nothing was applied twice" "$(q 'SELECT count(*) FROM schema_version')" "$latest"

# two at once: the advisory lock serialises them
$PSQL -c 'CREATE DATABASE aq2' >/dev/null
PGDATABASE=aq2 aq-load -q --init 2>"$TMP/a.err" & a=$!
PGDATABASE=aq2 aq-load -q --init 2>"$TMP/b.err"; sb=$?
wait $a; sa=$?
check_eq "two concurrent --init both succeed" "$sa $sb" "0 0"
check_eq "and apply each migration once" "$(PGDATABASE=aq2 $PSQL -c 'SELECT count(*) FROM schema_version')" "$latest"

q "INSERT INTO schema_version (version, name) VALUES (9999, '9999-future')"
check_status "a schema newer than aq-load: --init exits 69" 69 aq-load --init
check_grep "saying so" 'version 9999, newer than this library knows' "$TMP/.err"
