-- 007-watermark: per sensor and period, the time of the newest stored
-- reading, from which aq-fetch --sensors-from starts an incremental fetch
-- (its "since", less --lookback).  It must stay fast at 10M+ rows, so it
-- never scans "measurement":
--
--   * the period of a sensor's row in measurement_latest (raw or hour) is
--     read from that row: one row per sensor, no probe at all;
--   * the other of raw and hour, and day and year, cost one backward
--     index-only probe of the primary key (sensor_id, period, datetime) per
--     sensor and monthly partition (ORDER BY datetime DESC LIMIT 1 over a
--     Merge Append of Index Only Scan Backward); for raw and hour the probe
--     runs only for sensors whose kept row has the other period, bounded by
--     its datetime.
--
-- Filter on period (WHERE period = 'hour'): the other branches are then
-- constant-false and never run.  Measured on 10.3M rows (2000 sensors,
-- hourly and daily rows over 7 monthly partitions and the default; PG 15,
-- a loaded 2-core machine): period = 'hour' takes 14 ms, period = 'day'
-- 0.34 s (a GROUP BY max() over the day rows alone: 1.2 s).  The plans
-- (EXPLAIN ANALYZE, abridged):
--
--   period = 'hour'                                   21 ms
--   Nested Loop (rows=2000)
--     ->  Seq Scan on measurement_latest l (rows=2000)
--     ->  Append
--           ->  Result  One-Time Filter: (l.period = 'hour')
--           ->  Limit -> Merge Append
--                 ->  Result  One-Time Filter: (l.period <> 'hour')
--                       ->  Index Only Scan Backward using
--                           measurement_y2024m01_pkey ... (never executed)
--
--   period = 'day'                                   343 ms
--   Nested Loop (rows=2000)
--     ->  HashAggregate  (Group Key: measurement_latest.sensor_id)
--           ->  Append
--                 ->  Seq Scan on measurement_latest (rows=2000)
--                 ->  Seq Scan on sensor
--     ->  Limit (rows=1 loops=2000)
--           ->  Merge Append  (Sort Key: m.datetime DESC)
--                 ->  Index Only Scan Backward using measurement_y2024m01_pkey
--                     on measurement_y2024m01 m_1 (rows=1 loops=2000)
--                       Index Cond: ((sensor_id = measurement_latest.sensor_id)
--                                    AND (period = 'day'::text))
--                       Heap Fetches: 0
--                 ...  (one per partition)
--
-- (t/4660-watermark.t checks that no plan scans a partition of
-- measurement.)  The sensors probed for day and year are those of
-- measurement_latest and of "sensor": a sensor known to neither, with only
-- day or year rows, has no watermark, so aq-fetch starts it at --from
-- (more requests, never a gap).

CREATE VIEW sensor_watermark AS
SELECT l.sensor_id, 'raw'::text AS period, x.datetime
FROM measurement_latest l
CROSS JOIN LATERAL (
	SELECT l.datetime WHERE l.period = 'raw'
	UNION ALL
	(SELECT m.datetime FROM measurement m
	 WHERE l.period <> 'raw' AND m.sensor_id = l.sensor_id AND m.period = 'raw'
	   AND m.datetime <= l.datetime
	 ORDER BY m.datetime DESC LIMIT 1)) x
UNION ALL
SELECT l.sensor_id, 'hour'::text, x.datetime
FROM measurement_latest l
CROSS JOIN LATERAL (
	SELECT l.datetime WHERE l.period = 'hour'
	UNION ALL
	(SELECT m.datetime FROM measurement m
	 WHERE l.period <> 'hour' AND m.sensor_id = l.sensor_id AND m.period = 'hour'
	   AND m.datetime <= l.datetime
	 ORDER BY m.datetime DESC LIMIT 1)) x
UNION ALL
SELECT s.id, 'day'::text, x.datetime
FROM (SELECT sensor_id AS id FROM measurement_latest UNION SELECT id FROM sensor) s
CROSS JOIN LATERAL (
	SELECT m.datetime FROM measurement m
	WHERE m.sensor_id = s.id AND m.period = 'day'
	ORDER BY m.datetime DESC LIMIT 1) x
UNION ALL
SELECT s.id, 'year'::text, x.datetime
FROM (SELECT sensor_id AS id FROM measurement_latest UNION SELECT id FROM sensor) s
CROSS JOIN LATERAL (
	SELECT m.datetime FROM measurement m
	WHERE m.sensor_id = s.id AND m.period = 'year'
	ORDER BY m.datetime DESC LIMIT 1) x;

COMMENT ON VIEW sensor_watermark IS
	'Per sensor and period, the datetime of the newest stored reading (filter on period)';
