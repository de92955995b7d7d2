-- 008-freshness: is every location still reporting, and is the loader
-- still running?
--
-- aq_freshness_threshold: when a location counts as late or silent.  The
-- row with a null location_id is the default for every location; a row
-- with a location_id overrides it for that location (a null column of an
-- override falls back to the default row, and without a default row to
-- the built-in values: 3 intervals, 2 hours, 24 hours).
--
-- location_freshness: per location and parameter, the newest raw-or-hour
-- reading (from measurement_latest, one row per sensor), its age, the
-- location's usual interval between readings (the median gap between the
-- newest sensor's last 25 readings within 7 days of its newest, read
-- backwards on the primary key of measurement, so that the cost is bounded
-- per sensor whatever the size of the table), and a state:
--   silent  the age is over silent_after
--   late    the age is over late_intervals times the usual interval, and
--           over late_after (readings arrive with a delay: never late
--           before that)
--   ok      otherwise
-- Locations that never delivered a reading have no row.
--
-- load_run gains updated_at: the time of the last write to its row, set
-- by a trigger, so that an open --stream run (finished_at null) tells
-- when it last committed.

CREATE TABLE aq_freshness_threshold (
	location_id integer,		-- null: the default for every location
	late_intervals double precision CHECK (late_intervals > 0),
	late_after interval CHECK (late_after >= interval '0'),
	silent_after interval CHECK (silent_after > interval '0')
);
-- one default row, one row per location
CREATE UNIQUE INDEX aq_freshness_threshold_location
	ON aq_freshness_threshold ((coalesce(location_id, -1)));
INSERT INTO aq_freshness_threshold (location_id, late_intervals, late_after, silent_after)
VALUES (NULL, 3, interval '2 hours', interval '24 hours');

COMMENT ON TABLE aq_freshness_threshold IS
	'When location_freshness calls a location late or silent: the row with a null location_id is the default, others override it';

CREATE VIEW location_freshness AS
WITH newest AS (
	-- per location and parameter, the sensor with the newest reading
	SELECT DISTINCT ON (l.location_id, l.parameter_id, l.parameter)
		l.location_id, l.parameter_id, l.parameter, l.sensor_id, l.period,
		l.datetime,
		count(*) OVER (PARTITION BY l.location_id, l.parameter_id, l.parameter) AS sensors
	FROM measurement_latest l
	WHERE l.location_id IS NOT NULL
	ORDER BY l.location_id, l.parameter_id, l.parameter, l.datetime DESC, l.sensor_id
), fresh AS (
	-- the median gap between the newest sensor's last 25 readings within
	-- 7 days of its newest, read backwards on the primary key (a merge of
	-- the partitions that hold those days, stopped by the LIMIT)
	SELECT n.*, u.usual_interval
	FROM newest n
	LEFT JOIN LATERAL (
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY g.gap) AS usual_interval
		FROM (
			SELECT r.datetime - lead(r.datetime) OVER (ORDER BY r.datetime DESC) AS gap
			FROM (
				SELECT m.datetime FROM measurement m
				WHERE m.sensor_id = n.sensor_id AND m.period = n.period
				  AND m.datetime > n.datetime - interval '7 days'
				ORDER BY m.datetime DESC
				LIMIT 25) r
		) g
		WHERE g.gap IS NOT NULL) u ON true
), limits AS (
	SELECT f.*,
		coalesce(o.late_intervals, d.late_intervals, 3) AS late_intervals,
		coalesce(o.late_after, d.late_after, interval '2 hours') AS late_after,
		coalesce(o.silent_after, d.silent_after, interval '24 hours') AS silent_after,
		now() - f.datetime AS age
	FROM fresh f
	LEFT JOIN aq_freshness_threshold d ON d.location_id IS NULL
	LEFT JOIN aq_freshness_threshold o ON o.location_id = f.location_id
)
SELECT x.location_id,
	loc.name AS location_name,
	x.parameter_id,
	x.parameter,
	x.sensors,
	x.sensor_id AS newest_sensor_id,
	x.datetime AS last_datetime,
	x.age,
	x.usual_interval,
	greatest(x.late_after, x.late_intervals * coalesce(x.usual_interval, interval '0')) AS late_after,
	x.silent_after,
	CASE
		WHEN x.age > x.silent_after THEN 'silent'
		WHEN x.age > greatest(x.late_after, x.late_intervals * coalesce(x.usual_interval, interval '0'))
			THEN 'late'
		ELSE 'ok'
	END AS state
FROM limits x
LEFT JOIN location loc ON loc.id = x.location_id;

COMMENT ON VIEW location_freshness IS
	'Per location and parameter: the newest reading, its age, the usual interval and a state (ok, late, silent)';

ALTER TABLE load_run ADD COLUMN IF NOT EXISTS updated_at timestamptz;
UPDATE load_run SET updated_at = coalesce(finished_at, started_at) WHERE updated_at IS NULL;

CREATE FUNCTION aq_load_run_touch() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	NEW.updated_at := clock_timestamp();
	RETURN NEW;
END
$$;

CREATE TRIGGER load_run_touch BEFORE INSERT OR UPDATE ON load_run
	FOR EACH ROW EXECUTE FUNCTION aq_load_run_touch();

-- aq_reader reads the new objects (005's default privileges cover tables
-- made by the role that ran 005; say it again for any other)
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aq_reader') THEN
		GRANT SELECT ON aq_freshness_threshold, location_freshness TO aq_reader;
	END IF;
END
$$;
