#!/bin/sh
# sensor_watermark: the newest stored reading per sensor and period, right
# for every period and never a scan of "measurement".
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 9

# 400 sensors over 4 months: hourly rows for all, raw rows for the even
# ones (ending earlier than their hours for a quarter of them), day rows
# for one in three, a year row for one in five; sensor 2000 has only days
# and a row in "sensor"; sensor 2001 only days and no row anywhere else
q "SELECT aq_ensure_partition('measurement', t) FROM generate_series(timestamptz '2024-01-01Z', '2024-04-01Z', '1 month') t" >/dev/null
q "INSERT INTO measurement (sensor_id, period, datetime, value)
	SELECT s, 'hour', t, 1 FROM generate_series(1, 400) s,
		generate_series(timestamptz '2024-01-01Z', timestamptz '2024-04-10Z' - (s % 7) * interval '1 day', '6 hours') t" >/dev/null
q "INSERT INTO measurement (sensor_id, period, datetime, value)
	SELECT s, 'raw', t, 2 FROM generate_series(2, 400, 2) s,
		generate_series(timestamptz '2024-02-01Z', timestamptz '2024-04-10Z' - (s % 4) * interval '20 days' - (s % 7) * interval '1 day', '12 hours') t" >/dev/null
q "INSERT INTO measurement (sensor_id, period, datetime, value)
	SELECT s, 'day', t, 3 FROM generate_series(3, 400, 3) s,
		generate_series(timestamptz '2024-01-02Z', timestamptz '2024-04-01Z' - (s % 5) * interval '1 day', '1 day') t" >/dev/null
q "INSERT INTO measurement (sensor_id, period, datetime, value)
	SELECT s, 'year', '2025-01-01Z', 4 FROM generate_series(5, 400, 5) s" >/dev/null
q "INSERT INTO measurement (sensor_id, period, datetime, value) VALUES
	(2000, 'day', '2024-03-05Z', 5), (2001, 'day', '2024-03-06Z', 6)" >/dev/null
q "INSERT INTO sensor (id) VALUES (2000)" >/dev/null
q "VACUUM ANALYZE measurement" >/dev/null

truth="SELECT sensor_id, period, max(datetime) AS datetime FROM measurement WHERE sensor_id <> 2001 GROUP BY 1, 2"
check_eq "the watermark is the newest row of every sensor and period" \
	"$(q "SELECT count(*) FROM (($truth) EXCEPT ALL (SELECT * FROM sensor_watermark)) a") $(q "SELECT count(*) FROM ((SELECT * FROM sensor_watermark) EXCEPT ALL ($truth)) b")" "0 0"
check_eq "it has raw, hour, day and year rows" \
	"$(q "SELECT string_agg(period || '=' || n, ' ' ORDER BY period) FROM (SELECT period, count(*) n FROM sensor_watermark GROUP BY 1) x")" \
	"day=134 hour=400 raw=200 year=80"
check_eq "a sensor with only days, known to \"sensor\", has its day watermark" \
	"$(q "SELECT period || ' ' || to_char(datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM sensor_watermark WHERE sensor_id = 2000")" "day 2024-03-05"
check_eq "one known nowhere else has none (aq-fetch then starts at --from)" \
	"$(q "SELECT count(*) FROM sensor_watermark WHERE sensor_id = 2001")" 0

# the plans: never a scan of measurement's rows
for p in raw hour day year; do
	q "EXPLAIN (COSTS OFF) SELECT * FROM sensor_watermark WHERE period = '$p'" >"$TMP/plan.$p"
done
check_eq "no plan scans a partition of measurement" \
	"$(cat "$TMP"/plan.* | grep -cE 'Seq Scan on measurement_(y|default)|Bitmap Heap Scan on measurement')" 0
check_grep "day rows come from backward index-only probes" 'Index Only Scan Backward using measurement_y2024m0[0-9]_pkey' "$TMP/plan.day"
# hourly sensors: their watermark is their measurement_latest row
q "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM sensor_watermark WHERE period = 'hour'" >"$TMP/an.hour"
check_grep "hour: read from measurement_latest" 'Seq Scan on measurement_latest' "$TMP/an.hour"
loops=$(grep 'Index Only Scan Backward' "$TMP/an.hour" | sed -n 's/.*loops=\([0-9]*\).*/\1/p' | sort -n | tail -1)
ok "hour: the probe runs only for sensors whose latest row is raw (100 of 400; got ${loops:-none})" \
	"${loops:-0}" -gt 0 -a "${loops:-0}" -le 100
check_eq "the other branches do not run for period = 'hour'" \
	"$(grep -c 'Seq Scan on sensor' "$TMP/an.hour")" 0
