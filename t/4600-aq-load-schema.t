#!/bin/sh
# The schema's own behaviour: partitions out of the default, latest, views, roles.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 15

# rows of a month without a partition wait in the default partition...
q "INSERT INTO measurement (sensor_id, period, datetime, value) SELECT g, 'raw', '2023-05-10T00:00:00Z', g FROM generate_series(1, 50) g" >/dev/null
check_eq "rows of a month without a partition go to the default" "$(q 'SELECT count(*) FROM measurement_default')" 50
# ...until aq-load needs that month: the partition is made and they move
gen_rows 10 5000 1683676800 >"$TMP/may"	# 2023-05-10
check "aq-load loads the same month" aq-load -t measurement "$TMP/may"
check_eq "the default partition is empty" "$(q 'SELECT count(*) FROM measurement_default')" 0
check_eq "the 60 rows are in the new partition" "$(q "SELECT count(*) FROM measurement_y2023m05")" 60
check_eq "aq_ensure_partition of an existing month just names it" \
	"$(q "SELECT aq_ensure_partition('measurement', '2023-05-31T23:59:59Z')")" measurement_y2023m05
check_eq "months are UTC months" "$(q "SET TIME ZONE 'Pacific/Kiritimati'; SELECT aq_ensure_partition('measurement', '2023-06-01T00:00:00Z')")" measurement_y2023m06

# latest: newer wins; at the same time raw beats hour; days and years do not count
q "INSERT INTO measurement (sensor_id, period, datetime, value) VALUES
	(900, 'hour', '2024-01-01T10:00:00Z', 1), (900, 'raw', '2024-01-01T10:00:00Z', 2),
	(900, 'day', '2024-01-02T00:00:00Z', 3), (900, 'year', '2025-01-01T00:00:00Z', 4),
	(901, 'raw', '2024-01-01T09:00:00Z', 5)" >/dev/null
q "INSERT INTO measurement (sensor_id, period, datetime, value) VALUES (901, 'raw', '2024-01-01T08:00:00Z', 6)" >/dev/null
check_eq "latest: the raw reading at the newest hour" "$(q 'SELECT value FROM latest_measurement WHERE sensor_id = 900')" 2
check_eq "latest: an older reading loaded later does not replace a newer one" \
	"$(q 'SELECT value FROM latest_measurement WHERE sensor_id = 901')" 5
q "DELETE FROM measurement WHERE sensor_id = 901 AND datetime = '2024-01-01T09:00:00Z'" >/dev/null
check_eq "latest: deleting the newest falls back to the next" "$(q 'SELECT value FROM latest_measurement WHERE sensor_id = 901')" 6
check_eq "latest_measurement reads no partition of measurement" \
	"$(q 'EXPLAIN SELECT * FROM latest_measurement' | grep -c 'measurement_y\|measurement_default')" 0

# the views carry names, coordinates and local time
printf '{"id":2178,"name":"Del Norte","timezone":"America/Denver","country_code":"US","latitude":35.1353,"longitude":-106.584702}\n' | aq-load -q -t location
printf '{"id":900,"location_id":2178,"parameter_id":2,"name":"pm25 µg/m³"}\n' | aq-load -q -t sensor
check_eq "latest_measurement: location name, coordinates, local time" \
	"$(q "SELECT location_name, latitude, longitude, datetime_local FROM latest_measurement WHERE sensor_id = 900")" \
	"Del Norte|35.1353|-106.584702|2024-01-01 03:00:00"
printf '{"id":2179,"name":"Nowhere","timezone":"Mars/Olympus_Mons"}\n' | aq-load -q -t location
check_eq "an unknown time zone gives a null local time, not an error" \
	"$(q "SELECT count(*) FROM location_map WHERE id = 2179 AND timezone = 'Mars/Olympus_Mons'")" 1
check_eq "measurement_series: one row per reading" "$(q "SELECT count(*) FROM measurement_series WHERE sensor_id = 900")" 4

# the read-only role
check_eq "aq_reader may read the views" "$(q "SELECT has_table_privilege('aq_reader', 'latest_measurement', 'SELECT')")" t
check_eq "but not write" "$(q "SELECT has_table_privilege('aq_reader', 'measurement', 'INSERT')")" f
