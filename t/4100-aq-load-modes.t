#!/bin/sh
# Every table, every mode, batches, idempotent reruns, defaults, counters.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 32

# one row for each dimension table, with DESIGN's columns
cat >"$TMP/dims" <<'ROWS'
country	{"id":22,"code":"FR","name":"France","datetime_first":"2016-11-29T23:00:00Z","datetime_last":"2024-09-25T22:00:00Z"}
parameter	{"id":2,"name":"pm25","units":"µg/m³","display_name":"PM2.5","description":"Particulate matter less than 2.5 micrometers in diameter mass concentration"}
provider	{"id":43,"name":"Abu Dhabi","source_name":"adairquality-ae","export_prefix":"abudhabi","datetime_added":"2023-03-29T20:23:57.054584Z","datetime_first":"2022-10-28T16:00:00Z","datetime_last":"2024-05-20T14:00:00Z"}
owner	{"id":4,"name":"Unknown Governmental Organization"}
manufacturer	{"id":4,"name":"Met One"}
instrument	{"id":2,"name":"Government Monitor","is_monitor":true,"manufacturer_id":4}
license	{"id":33,"name":"US Public Domain","commercial_use_allowed":true,"attribution_required":false,"share_alike_required":false,"modification_allowed":true,"redistribution_allowed":true,"source_url":"https://example.org/l"}
location	{"id":2178,"name":"Del Norte","locality":"Albuquerque","timezone":"America/Denver","country_id":155,"country_code":"US","provider_id":119,"owner_id":4,"is_mobile":false,"is_monitor":true,"latitude":35.1353,"longitude":-106.584702,"datetime_first":"2016-03-06T20:00:00Z","datetime_last":"2024-09-25T22:00:00Z"}
sensor	{"id":3917,"location_id":2178,"parameter_id":10,"name":"o3 ppm"}
location_license	{"location_id":2178,"license_id":33,"attribution_name":"Unknown Governmental Organization","attribution_url":null,"date_from":"2016-01-30","date_to":null}
location_instrument	{"location_id":2178,"instrument_id":2}
ROWS
bad=
while IFS='	' read -r table row; do
	printf '%s\n' "$row" >"$TMP/row"
	aq-load -t "$table" "$TMP/row" 2>"$TMP/err" || bad="$bad $table"
	grep -q "1 read, 1 inserted" "$TMP/err" || bad="$bad $table(count)"
	# the stored row, as JSON, has the same keys and values
	got=$(q "SELECT t::text = jsonb_populate_record(NULL::$table, '$(printf '%s' "$row" | sed "s/'/''/g")')::text FROM $table t")
	[ "$got" = t ] || bad="$bad $table(value)"
done <"$TMP/dims"
check_eq "every dimension table loads a row, exactly as given" "$bad" ""

bad=
while IFS='	' read -r table row; do
	printf '%s\n' "$row" >"$TMP/row"
	aq-load -t "$table" "$TMP/row" 2>"$TMP/err" || bad="$bad $table"
	grep -q "1 read, 0 inserted, 0 updated, 1 unchanged" "$TMP/err" || bad="$bad $table(count)"
done <"$TMP/dims"
check_eq "a rerun leaves every table unchanged" "$bad" ""

# measurement: 2500 rows in batches of 1000, across two months
gen_rows 2500 1000 1708819200 >"$TMP/m"	# from 2024-02-25, into March
check "upsert 2500 rows in batches of 1000" aq-load -t measurement --batch 1000 "$TMP/m"
check_grep "all inserted" "2500 read, 2500 inserted, 0 updated, 0 unchanged, 0 duplicates, 0 rejected" "$TMP/.err"
check_eq "2500 rows stored" "$(q 'SELECT count(*) FROM measurement')" 2500
check_eq "none in the default partition" "$(q 'SELECT count(*) FROM measurement_default')" 0
check_eq "in monthly partitions" "$(q "SELECT string_agg(DISTINCT tableoid::regclass::text, ' ') FROM measurement")" \
	"measurement_y2024m02 measurement_y2024m03"
sum=$(table_sum measurement)
check "rerun" aq-load -t measurement --batch 700 "$TMP/m"
check_grep "counts every row unchanged" "2500 read, 0 inserted, 0 updated, 2500 unchanged" "$TMP/.err"
check_eq "and the table is byte for byte the same" "$(table_sum measurement)" "$sum"

# an update, and a duplicate within a batch: the later row wins
head -3 "$TMP/m" | sed 's/"value":[0-9.]*/"value":99.5/' >"$TMP/u"
sed -n 2p "$TMP/m" | sed 's/"value":[0-9.]*/"value":77/' >>"$TMP/u"
check "upsert changed rows" aq-load -t measurement "$TMP/u"
check_grep "3 updated, 1 duplicate" "4 read, 0 inserted, 3 updated, 0 unchanged, 1 duplicates" "$TMP/.err"
id=$(head -1 "$TMP/m" | sed 's/.*"sensor_id":\([0-9]*\).*"datetime":"\([^"]*\)".*/\1 \2/')
set -- $id
check_eq "the new value is stored" "$(q "SELECT value FROM measurement WHERE sensor_id = $1 AND datetime = '$2'")" 99.5
id2=$(sed -n 2p "$TMP/m" | sed 's/.*"sensor_id":\([0-9]*\).*"datetime":"\([^"]*\)".*/\1 \2/')
set -- $id2
check_eq "the later of two rows with one key wins" "$(q "SELECT value FROM measurement WHERE sensor_id = $1 AND datetime = '$2'")" 77

# ignore keeps the stored row
head -1 "$TMP/m" | sed 's/"value":[0-9.]*/"value":1.25/' >"$TMP/i"
gen_rows 1 5000 >>"$TMP/i"
check "ignore mode" aq-load -t measurement --mode ignore "$TMP/i"
check_grep "inserts the new row, keeps the stored one" "2 read, 1 inserted, 0 updated, 1 unchanged" "$TMP/.err"
id=$(head -1 "$TMP/m" | sed 's/.*"sensor_id":\([0-9]*\).*"datetime":"\([^"]*\)".*/\1 \2/')
set -- $id
check_eq "the stored value is kept" "$(q "SELECT value FROM measurement WHERE sensor_id = $1 AND datetime = '$2'")" 99.5

# insert: the fast path, then rows already present are rejected
gen_rows 3000 2000 1709251200 >"$TMP/n"	# March 2024
check "insert mode loads new rows" aq-load -t measurement --mode insert "$TMP/n"
check_grep "all inserted" "3000 read, 3000 inserted, 0 updated, 0 unchanged, 0 duplicates, 0 rejected" "$TMP/.err"
check_status "insert mode again: every row is present, so every row is a reject" 0 \
	aq-load -t measurement --mode insert --reject "$TMP/rej" "$TMP/n"
check_grep "3000 rejected, nothing inserted" "3000 read, 0 inserted, .* 3000 rejected" "$TMP/.err"
check_eq "each reject says already present" "$(grep -c '"reason":"already present' "$TMP/rej")" 3000
rm -f "$TMP/rej"
{ gen_rows 2 3000; gen_rows 1 3000; } >"$TMP/d"
check "insert mode with a duplicate in the input" aq-load -t measurement --mode insert --reject "$TMP/rej" "$TMP/d"
check_grep "the first row of a key goes in, the later is present" "3 read, 2 inserted, .* 1 rejected" "$TMP/.err"
check_grep "the reject is line 3" '"line":3,"reason":"already present' "$TMP/rej"

# a row without "period" gets the column default
printf '{"sensor_id":7,"datetime":"2024-05-01T10:00:00Z","value":1}\n' >"$TMP/p"
check "a row without period loads" aq-load -t measurement "$TMP/p"
check_eq "its period is the default, raw" "$(q "SELECT period FROM measurement WHERE sensor_id = 7")" raw

# orphans: readings whose sensor is not in "sensor" are kept and counted
q "INSERT INTO sensor (id, location_id, parameter_id, name) SELECT g, 100, 2, 'pm25 µg/m³' FROM generate_series(1000, 1004) g" >/dev/null
gen_rows 10 1000 1714521600 >"$TMP/o"	# sensors 1000..1009
check "readings of unknown sensors load" aq-load -t measurement "$TMP/o"
check_grep "and are counted as orphans" "10 read, 10 inserted, .* 5 orphans" "$TMP/.err"
check_eq "all ten are stored" "$(q "SELECT count(*) FROM measurement WHERE datetime = '2024-05-01T00:00:00Z'")" 10

# the latest view: one row per sensor, the newest reading
check_eq "latest_measurement has one row per sensor" \
	"$(q 'SELECT count(*) = count(DISTINCT sensor_id) FROM latest_measurement')" t
check_eq "and its reading is the newest of the sensor" \
	"$(q "SELECT bool_and(l.datetime = (SELECT max(datetime) FROM measurement m WHERE m.sensor_id = l.sensor_id AND m.period IN ('raw','hour'))) FROM latest_measurement l")" t
