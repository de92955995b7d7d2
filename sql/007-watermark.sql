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
-- constant-false and never run.  For period = 'hour' over sensors that
-- only have hours, the plan reads measurement_latest alone (the probe is
-- under a One-Time Filter that is false); for period = 'day':
--
--   Nested Loop
--     ->  HashAggregate  (Group Key: measurement_latest.sensor_id)
--           ->  Append
--                 ->  Seq Scan on measurement_latest
--                 ->  Seq Scan on sensor
--     ->  Limit
--           ->  Merge Append  (Sort Key: m.datetime DESC)
--                 ->  Index Only Scan Backward using measurement_y2024m01_pkey
--                     on measurement_y2024m01 m_1
--                       Index Cond: ((sensor_id = s.id) AND (period = 'day'::text))
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
