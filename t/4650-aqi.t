#!/bin/sh
# The Air Quality Index in the database (sql/009-aqi.sql): the EPA
# document's worked examples, the edges of the bands and truncation, the
# NowCast with gaps, units that need converting (the same conversion as
# aq-norm --units canonical), the EEA's bands, the views, and that the
# views read only the partitions of the hours they need.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
need jq
load_start

# scale pollutant averaging value units -> index ("" for null)
aqi_cases='us-epa	o3	8 hours	0.07853	ppm	126	TAD example: 8-hour O3 0.07853 ppm, truncated to 0.078
us-epa	pm25	24 hours	35.9	µg/m³	102	TAD example: PM2.5 35.9
us-epa	co	8 hours	8.4	ppm	90	CO 8.4 ppm
us-epa	pm25	24 hours	0	µg/m³	0	PM2.5 0: the first edge
us-epa	pm25	24 hours	9.0	µg/m³	50	PM2.5 9.0: the 2024 top of Good
us-epa	pm25	24 hours	9.09	µg/m³	50	PM2.5 9.09 truncates to 9.0
us-epa	pm25	24 hours	9.1	µg/m³	51	PM2.5 9.1: just above
us-epa	pm25	24 hours	12.0	µg/m³	56	PM2.5 12.0 is no longer Good (the pre-2024 edge)
us-epa	pm25	24 hours	325.4	µg/m³	500	PM2.5 325.4: the top of the table
us-epa	pm25	24 hours	325.5	µg/m³		PM2.5 325.5: beyond the table
us-epa	pm25	24 hours	-0.1	µg/m³		PM2.5 below zero: outside the table
us-epa	pm10	24 hours	54.9	µg/m³	50	PM10 54.9 truncates to 54
us-epa	pm10	24 hours	55	µg/m³	51	PM10 55
us-epa	o3	8 hours	0.2009	ppm	300	8-hour O3 0.2009 truncates to 0.200
us-epa	o3	8 hours	0.201	ppm		8-hour O3 above 0.200: the 1-hour table takes over
us-epa	o3	1 hour	0.124	ppm		1-hour O3 below 0.125 has no row
us-epa	o3	1 hour	0.125	ppm	101	1-hour O3 0.125
us-epa	so2	1 hour	304	ppb	200	1-hour SO2 304
us-epa	so2	1 hour	305	ppb		1-hour SO2 305: the 24-hour table takes over
us-epa	so2	24 hours	305	ppb	201	24-hour SO2 305
us-epa	no2	1 hour	100.9	ppb	100	NO2 100.9 truncates to 100
us-epa	no2	1 hour	101	ppb	101	NO2 101
us-epa	co	8 hours	50.4	ppm	500	CO 50.4
us-epa	o3	8 hours	107.96871165644173	µg/m³	51	O3 in µg/m³: 55 ppb back from µg/m³ lands on the edge
us-epa	co	8 hours	5	mg/m³	49	CO in mg/m³ (4.36 ppm)
us-epa	no2	1 hour	0.1	ppm	100	NO2 in ppm: 0.1 ppm is 100 ppb
us-epa	pm25	24 hours	35.9	ug/m3	102	another spelling of µg/m³
us-epa	pm25	24 hours	0.0359	mg/m³	102	PM2.5 in mg/m³
us-epa	pm25	24 hours	5	ppm		PM2.5 in ppm cannot be converted
us-epa	pm25	24 hours	5	particles/cm³		particle counts are not a concentration
us-epa	pm25	24 hours	5			no units
us-epa	pm1	24 hours	5	µg/m³		a pollutant the scale has no table for
us-epa	pm25	1 hour	5	µg/m³		an averaging the scale has no table for
eea	pm25	24 hours	0	µg/m³	1	EEA PM2.5 0: Good
eea	pm25	24 hours	10	µg/m³	1	EEA PM2.5 10: the edge stays Good
eea	pm25	24 hours	10.01	µg/m³	2	EEA PM2.5 10.01: Fair
eea	pm25	24 hours	75.5	µg/m³	6	EEA PM2.5 75.5: Extremely poor
eea	pm25	24 hours	800.1	µg/m³		EEA PM2.5 above 800: outside the table
eea	pm10	24 hours	45	µg/m³	3	EEA PM10 45: Moderate
eea	no2	1 hour	50	ppb	3	EEA NO2 50 ppb (94 µg/m³): Moderate
eea	o3	1 hour	0.07853	ppm	4	EEA O3 0.07853 ppm (154 µg/m³): Poor
eea	so2	1 hour	1250	µg/m³	6	EEA SO2 1250
eea	co	8 hours	5	mg/m³		the EEA has no CO table'
n_aqi=$(printf '%s\n' "$aqi_cases" | wc -l)

plan $((n_aqi + 34))

# ---- aq_aqi, one concentration at a time -------------------------------
# "|", not a tab: read would merge the empty fields between tabs
printf '%s\n' "$aqi_cases" | tr '\t' '|' >"$TMP/cases"
while IFS='|' read -r sc po av v u want what; do
	got=$($PSQL -v sc="$sc" -v po="$po" -v av="$av" -v v="$v" -v u="$u" <<'SQL'
SELECT aq_aqi(:'sc', :'po', :'av'::interval, :'v'::float8, nullif(:'u', ''));
SQL
)
	check_eq "$what: $want" "$got" "$want"
done <"$TMP/cases"

# ---- the NowCast ---------------------------------------------------------
# the EPA's example (AirNow, "Computing the NowCast"): twelve hours, newest
# first; the weight factor 1 - 80/90 is below 0.5, so 0.5; 17.4 ug/m3
ex='ARRAY[0,1,2,3,4,5,6,7,8,9,10,11], ARRAY[13,16,10,21,74,64,53,82,90,75,80,50]::float8[]'
check_eq "the NowCast of the EPA's example is 17.4" "$(q "SELECT trunc(aq_nowcast($ex)::numeric, 1)")" 17.4
check_eq "and its AQI (2024 table) is 66" "$(q "SELECT aq_aqi('us-epa', 'pm25', '24 hours', aq_nowcast($ex), 'µg/m³')")" 66
check_eq "constant hours: w = 1, the NowCast is their mean" \
	"$(q "SELECT aq_nowcast(ARRAY[0,1,2,3], ARRAY[8,8,8,8]::float8[])")" 8
check_eq "a gap: ages 0, 2 and 5, w from min 10 and max 40 floored to 0.5" \
	"$(q "SELECT round(aq_nowcast(ARRAY[0,2,5], ARRAY[10,20,40]::float8[])::numeric, 9)")" \
	"$(awk 'BEGIN { printf "%.9f", (10 + 20 * 0.25 + 40 * 0.03125) / (1 + 0.25 + 0.03125) }')"
check_eq "w above the floor: 1 - (12 - 9) / 12 = 0.75" \
	"$(q "SELECT round(aq_nowcast(ARRAY[0,1,2], ARRAY[12,9,10]::float8[])::numeric, 9)")" \
	"$(awk 'BEGIN { printf "%.9f", (12 + 9 * 0.75 + 10 * 0.5625) / (1 + 0.75 + 0.5625) }')"
check_eq "the two most recent hours missing but 1 and 2 there: valid" \
	"$(q "SELECT aq_nowcast(ARRAY[1,2,3], ARRAY[5,5,5]::float8[])")" 5
check_eq "only one of the three most recent hours: null" \
	"$(q "SELECT aq_nowcast(ARRAY[0,3,4,5], ARRAY[5,5,5,5]::float8[]) IS NULL")" t
check_eq "hours older than 11 do not count" \
	"$(q "SELECT aq_nowcast(ARRAY[0,1,12], ARRAY[4,4,1000]::float8[])")" 4
check_eq "all zero: 0, not a division by zero" "$(q "SELECT aq_nowcast(ARRAY[0,1], ARRAY[0,0]::float8[])")" 0

# ---- units: the same conversion as aq-norm --units canonical ------------
check_eq "a refusal says why: a mixing ratio of particles" \
	"$(q "SELECT aq_conversion_refusal('pm25', 'ppm', 'µg/m³')")" \
	"pm25 has no molecular weight: cannot convert ppm to µg/m³"
check_eq "and units that are not a concentration" \
	"$(q "SELECT aq_conversion_refusal('pm25', 'particles/cm³', 'µg/m³')")" \
	"units particles/cm³ are not a concentration (µg/m³, mg/m³, ppm or ppb)"
# every gas of bin/units.c, in ppm and in ppb, through aq-norm and through SQL
sed -n 's/^[[:space:]]*{"\([a-z0-9]*\)", \([0-9.]*\)},.*/\1 \2/p' "$AQ_SRCDIR/bin/units.c" >"$TMP/gases"
ok "bin/units.c's gas table is read" "$(wc -l <"$TMP/gases")" -ge 9
bad=
while read -r g mw; do
	[ "$(q "SELECT aq_molecular_weight('$g') = $mw")" = t ] || bad="$bad $g"
done <"$TMP/gases"
check_eq "every molecular weight of bin/units.c is the SQL one" "$bad" ""
check_grep "bin/units.c's default reference is 24.45 L/mol, as aq_molar_volume()" \
	"^static double molar_volume = $(q 'SELECT aq_molar_volume()');" "$AQ_SRCDIR/bin/units.c"
i=0
while read -r g mw; do
	for u in ppm ppb PPB mg/m3; do
		i=$((i + 1))
		printf '{"value":%s,"parameter":{"id":%d,"name":"%s","units":"%s"},"period":{"label":"1hour","datetimeTo":{"utc":"2024-01-01T01:00:00Z"}},"sensorsId":%d}\n' \
			"0.$i" "$i" "$g" "$u" "$i"
	done
done <"$TMP/gases" >"$TMP/conv.in"
aq-norm --units canonical <"$TMP/conv.in" >"$TMP/conv.out" 2>"$TMP/conv.err"
jq -r '[.parameter, .source_units, .source_value, .value] | @tsv' "$TMP/conv.out" >"$TMP/conv.tsv"
ok "aq-norm converted every row" "$(wc -l <"$TMP/conv.tsv")" -eq "$i"
bad=$($PSQL -F ' ' -c "CREATE TEMP TABLE c (p text, u text, v float8, want float8)" \
	-c "\\copy c FROM '$TMP/conv.tsv'" \
	-c "SELECT p, u, v, want, aq_convert(p, v, u, 'µg/m³') FROM c
	    WHERE aq_convert(p, v, u, 'µg/m³') IS DISTINCT FROM want")
check_eq "aq_convert() gives aq-norm's values to the last bit" "$bad" ""
check_eq "and converts back: ug/m3 to ppb" "$(q "SELECT round(aq_convert('no2', aq_convert('no2', 37, 'ppb', 'µg/m³'), 'µg/m³', 'ppb')::numeric, 9)")" 37.000000000

# ---- the views -------------------------------------------------------------
q "SELECT aq_ensure_partition('measurement', t) FROM generate_series('2026-09-01'::timestamptz, '2026-11-01', '1 month') t" >/dev/null
# location 1: the EPA's NowCast example as PM2.5 (newest at 12:00), and eight
# hours of O3 at 0.07853 ppm; location 2: PM2.5 in ppm; location 3: PM2.5
# with a gap at 11:00 and 10:00; a sensor of October that the views must not read
q "INSERT INTO measurement (sensor_id, location_id, parameter, units, period, datetime, value)
SELECT 11, 1, 'pm25', 'µg/m³', 'hour', '2026-11-28T12:00Z'::timestamptz - a * interval '1 hour', v
FROM unnest(ARRAY[0,1,2,3,4,5,6,7,8,9,10,11], ARRAY[13,16,10,21,74,64,53,82,90,75,80,50]) AS u(a, v)
UNION ALL
SELECT 12, 1, 'o3', 'ppm', 'hour', '2026-11-28T12:00Z'::timestamptz - a * interval '1 hour', 0.07853
FROM generate_series(0, 7) a
UNION ALL
SELECT 21, 2, 'pm25', 'ppm', 'hour', '2026-11-28T12:00Z'::timestamptz - a * interval '1 hour', 0.01
FROM generate_series(0, 2) a
UNION ALL
SELECT 31, 3, 'pm25', 'µg/m³', 'raw', t, 20
FROM unnest(ARRAY['2026-11-28T12:00Z', '2026-11-28T09:00Z', '2026-11-28T08:00Z']::timestamptz[]) t
UNION ALL
SELECT 41, 4, 'pm25', 'µg/m³', 'hour', '2026-10-15T00:00Z'::timestamptz + a * interval '1 hour', 5
FROM generate_series(0, 23) a" >/dev/null
# and a month of fifty other sensors, so that the planner sees a table
# where reading by key pays
q "INSERT INTO measurement (sensor_id, location_id, parameter, units, period, datetime, value)
SELECT s, s, 'pm25', 'µg/m³', 'hour', t, s % 40
FROM generate_series(100, 149) s, generate_series('2026-11-01T01:00Z'::timestamptz, '2026-11-27T00:00Z', '1 hour') t" >/dev/null
q "ANALYZE measurement" >/dev/null

h="datetime = '2026-11-28T12:00Z'"
check_eq "aqi_hourly: the NowCast's sub-index at location 1" \
	"$(q "SELECT sub_index FROM aqi_hourly WHERE location_id = 1 AND $h AND scale = 'us-epa' AND parameter = 'pm25'")" 66
check_eq "aqi_hourly: O3 from its 8-hour mean, the overall index, category and dominant pollutant" \
	"$(q "SELECT sub_index, aqi, category, dominant_parameter, colour FROM aqi_hourly
	      WHERE location_id = 1 AND $h AND scale = 'us-epa' AND parameter = 'o3'")" \
	"126|126|Unhealthy for Sensitive Groups|o3|#FF7E00"
check_eq "aqi_hourly: at 10:00 O3 has 6 of 8 hours, still a mean" \
	"$(q "SELECT sub_index FROM aqi_hourly WHERE location_id = 1 AND datetime = '2026-11-28T10:00Z' AND scale = 'us-epa' AND parameter = 'o3'")" 126
check_eq "aqi_hourly: at 09:00 5 of 8 hours are too few, and it says so" \
	"$(q "SELECT coalesce(sub_index::text, 'null'), reason FROM aqi_hourly WHERE location_id = 1 AND datetime = '2026-11-28T09:00Z' AND scale = 'us-epa' AND parameter = 'o3'")" \
	"null|5 of the 8 hours present, 6 needed"
check_eq "aqi_hourly: the EEA's O3 level from the hour, converted to µg/m³" \
	"$(q "SELECT sub_index, category, units FROM aqi_hourly WHERE location_id = 1 AND $h AND scale = 'eea' AND parameter = 'o3'")" \
	"4|Poor|µg/m³"
check_eq "aqi_hourly: PM2.5 in ppm has no index, and a reason" \
	"$(q "SELECT coalesce(sub_index::text, 'null'), coalesce(aqi::text, 'null'), reason FROM aqi_hourly WHERE location_id = 2 AND $h AND scale = 'us-epa'")" \
	"null|null|pm25 has no molecular weight: cannot convert ppm to µg/m³"
check_eq "aqi_hourly: a gap at 11:00 and 10:00 leaves no NowCast at 12:00" \
	"$(q "SELECT coalesce(sub_index::text, 'null'), reason FROM aqi_hourly WHERE location_id = 3 AND $h AND scale = 'us-epa'")" \
	"null|the NowCast needs 2 of the 3 most recent hours"
check_eq "aqi_hourly: the same raw readings give a NowCast at 09:00 (09:00 and 08:00)" \
	"$(q "SELECT sub_index FROM aqi_hourly WHERE location_id = 3 AND datetime = '2026-11-28T09:00Z' AND scale = 'us-epa'")" \
	"$(q "SELECT aq_aqi('us-epa', 'pm25', '24 hours', 20, 'µg/m³')")"
check_eq "aq_aqi and the view agree on the EPA's NowCast example" \
	"$(q "SELECT sub_index FROM aqi_hourly WHERE location_id = 1 AND $h AND scale = 'us-epa' AND parameter = 'pm25'")" \
	"$(q "SELECT aq_aqi('us-epa', 'pm25', '24 hours', aq_nowcast($ex), 'µg/m³')")"
check_eq "aqi_current: location 1 now, with its NowCast" \
	"$(q "SELECT datetime AT TIME ZONE 'UTC', aqi, category, dominant_parameter, round(nowcast_pm25::numeric, 2) FROM aqi_current WHERE location_id = 1 AND scale = 'us-epa'")" \
	"2026-11-28 12:00:00|126|Unhealthy for Sensitive Groups|o3|17.41"
check_eq "aqi_current: no index at location 3, and why" \
	"$(q "SELECT coalesce(aqi::text, 'null'), reason FROM aqi_current WHERE location_id = 3 AND scale = 'us-epa'")" \
	"null|pm25: the NowCast needs 2 of the 3 most recent hours"
check_eq "aqi_current: one row per location and scale" \
	"$(q "SELECT count(*), count(DISTINCT (location_id, scale)) FROM aqi_current WHERE location_id < 100")" "8|8"
check_eq "aqi_current: the October sensor's now is its own last hour" \
	"$(q "SELECT datetime AT TIME ZONE 'UTC', aqi FROM aqi_current WHERE location_id = 4 AND scale = 'us-epa'")" \
	"2026-10-15 23:00:00|$(q "SELECT aq_aqi('us-epa', 'pm25', '24 hours', 5, 'µg/m³')")"

# the hours asked for, and only those: a day of November reads the November
# partition (the October one and the default are pruned or never executed)
$PSQL -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM aqi_hourly
	WHERE datetime > '2026-11-28T00:00Z' AND datetime <= '2026-11-28T12:00Z'" >"$TMP/plan"
check_grep "aqi_hourly reads November's hours by primary key" 'Index Scan using measurement_y2026m11_pkey' "$TMP/plan"
grep -E 'Scan.* on measurement_(y2026m09|y2026m10|default)' "$TMP/plan" | grep -v 'never executed' >"$TMP/read"
check_empty "aqi_hourly reads no other month" "$TMP/read"
$PSQL -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM aqi_current WHERE location_id = 1" >"$TMP/plan2"
grep -E 'Seq Scan on measurement_(y|default)' "$TMP/plan2" | grep -v 'never executed' >"$TMP/read2"
check_empty "aqi_current scans no partition whole" "$TMP/read2"
check_eq "the views are readable by aq_reader" \
	"$(q "SET ROLE aq_reader; SELECT count(*) > 0 FROM aqi_current, aqi_breakpoint LIMIT 1")" t
