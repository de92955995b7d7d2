#!/bin/sh
# The orphan rule is aq-load's, for table measurement only; notices are
# told apart by their kind, not their text.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 16

q "INSERT INTO sensor (id, location_id, parameter_id, name) SELECT g, 100, 2, 'pm25' FROM generate_series(1000, 1002) g" >/dev/null
gen_rows 10 1000 1714521600 >"$TMP/o"	# sensors 1000..1009: 7 unknown
check "public.measurement: readings of unknown sensors load" aq-load -t public.measurement "$TMP/o"
check_grep "and are counted as orphans" "10 read, 10 inserted, .* 7 orphans" "$TMP/.err"

# a batch counts each value once and its rows as many times as they come:
# 1500 sensors for 3 hours, 500 of them unknown, in batches of 2000 (the
# counts added up across batches) and in one batch of them all (each
# unknown sensor three times in it, the set grown past its first size)
q "INSERT INTO sensor (id, location_id, parameter_id, name) SELECT g, 100, 2, 'pm25' FROM generate_series(5000, 5999) g" >/dev/null
awk "$AQ_AWK_UTC"'BEGIN { for (h = 0; h < 3; h++) for (s = 5000; s < 6500; s++)
	printf "{\"sensor_id\":%d,\"period\":\"hour\",\"datetime\":\"%s\",\"value\":1}\n", s, utc(1714521600 + 3600 * h) }' >"$TMP/many"
check "rows of repeated unknown sensors load, in batches of 2000" aq-load -b 2000 -t measurement "$TMP/many"
check_grep "each row of an unknown sensor is one orphan" "4500 read, 4500 inserted, .* 1500 orphans" "$TMP/.err"
q 'DELETE FROM measurement WHERE sensor_id >= 5000' >/dev/null
check "and in one batch" aq-load -b 5000 -t measurement "$TMP/many"
check_grep "the same count" "4500 read, 4500 inserted, .* 1500 orphans" "$TMP/.err"

# another table with a sensor_id column: no rule, no orphans
q 'CREATE TABLE reading (sensor_id bigint PRIMARY KEY, v int)' >/dev/null
awk 'BEGIN { for (i = 0; i < 5; i++) printf "{\"sensor_id\":%d,\"v\":%d}\n", 2000 + i, i }' >"$TMP/r"
check "a table other than measurement loads" aq-load -t reading "$TMP/r"
check_grep "and counts no orphans" "5 read, 5 inserted, .* 0 orphans" "$TMP/.err"

# measurement of another schema: its own schema's sensor table
q 'CREATE SCHEMA other' >/dev/null
q 'CREATE TABLE other.measurement (sensor_id bigint, datetime timestamptz, value double precision, PRIMARY KEY (sensor_id, datetime))' >/dev/null
awk 'BEGIN { for (i = 0; i < 4; i++) printf "{\"sensor_id\":%d,\"datetime\":\"2024-05-01T0%d:00:00Z\",\"value\":1}\n", 1000 + i, i }' >"$TMP/m"
check "other.measurement without other.sensor loads" aq-load -t other.measurement "$TMP/m"
check_grep "and counts no orphans (the rule does not apply)" "4 read, 4 inserted, .* 0 orphans" "$TMP/.err"
q 'CREATE TABLE other.sensor (id bigint PRIMARY KEY)' >/dev/null
q 'INSERT INTO other.sensor VALUES (1003)' >/dev/null
q 'TRUNCATE other.measurement' >/dev/null
check "with other.sensor" aq-load -t other.measurement "$TMP/m"
check_grep "the orphans are those of other.sensor, not of public.sensor" "4 read, 4 inserted, .* 3 orphans" "$TMP/.err"

# a server notice is said without -q, not with; an unknown key always
q 'CREATE TABLE noisy (id int PRIMARY KEY)' >/dev/null
q "CREATE FUNCTION noisy_t() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE NOTICE 'noisy row %', NEW.id; RETURN NEW; END \$\$" >/dev/null
q 'CREATE TRIGGER noisy_t BEFORE INSERT ON noisy FOR EACH ROW EXECUTE FUNCTION noisy_t()' >/dev/null
printf '{"id":1,"zz":2}\n' >"$TMP/n"
check "a table whose trigger raises a notice loads" aq-load -t noisy "$TMP/n"
check_grep "the server's notice is said" "^aq-load: noisy row 1$" "$TMP/.err"
q 'TRUNCATE noisy' >/dev/null
aq-load -q -t noisy "$TMP/n" >"$TMP/.out" 2>"$TMP/.err"
grep -q 'noisy row' "$TMP/.err"; st=$?
ok "with -q the server's notice is not said" "$st" -ne 0
check_grep "but the unknown key is" "^aq-load: key 'zz' is not a column of noisy: ignored$" "$TMP/.err"
