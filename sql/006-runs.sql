-- 006-runs: the log of load runs, and the revisions of measurement.
--
-- load_run: one row per aq-load run, written in the transaction of the
-- run's last batch (and, with --stream, brought up to date at every
-- commit), so that the log never claims a row the tables do not hold.  A
-- run that failed says so with its exit status; its counts are those of
-- the batches it committed.
--
-- measurement_revision: when a stored reading is replaced by one whose
-- value or units differ (OpenAQ's sources correct their data), the old and
-- the new version, by a statement trigger that covers every writer.  The
-- writer names its run in the setting aq.load_run (aq-load does); a
-- revision made by any other writer has a null load_run_id.

CREATE TABLE load_run (
	id bigserial PRIMARY KEY,
	target_table text NOT NULL,
	mode text NOT NULL,
	label text,
	started_at timestamptz NOT NULL,
	finished_at timestamptz,	-- null while a --stream run goes on
	rows_read bigint NOT NULL DEFAULT 0,
	inserted bigint NOT NULL DEFAULT 0,
	updated bigint NOT NULL DEFAULT 0,
	unchanged bigint NOT NULL DEFAULT 0,
	duplicates bigint NOT NULL DEFAULT 0,
	revised bigint NOT NULL DEFAULT 0,
	rejected bigint NOT NULL DEFAULT 0,
	orphans bigint NOT NULL DEFAULT 0,
	batches bigint NOT NULL DEFAULT 0,
	status integer		-- null while running; 0 success
);

CREATE INDEX load_run_started_at ON load_run (started_at);
CREATE INDEX load_run_table_finished ON load_run (target_table, finished_at);

COMMENT ON TABLE load_run IS
	'One row per aq-load run: what it read and did, written with its last committed batch';

CREATE TABLE measurement_revision (
	id bigserial PRIMARY KEY,
	sensor_id integer NOT NULL,
	period text NOT NULL,
	datetime timestamptz NOT NULL,
	location_id integer,
	parameter text,
	old_value double precision,
	new_value double precision,
	old_units text,
	new_units text,
	revised_at timestamptz NOT NULL DEFAULT now(),
	load_run_id bigint
);

CREATE INDEX measurement_revision_key ON measurement_revision (sensor_id, period, datetime);
CREATE INDEX measurement_revision_revised_at ON measurement_revision (revised_at);

COMMENT ON TABLE measurement_revision IS
	'Readings replaced by a different value or units: the old and the new version';

-- Updated rows whose value or units changed: their old and new versions.
-- The count of this transaction's revisions is kept in the setting
-- aq.revised, for the loader's summary.
CREATE FUNCTION aq_revision_log() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
	cnt bigint;
	run bigint := nullif(current_setting('aq.load_run', true), '')::bigint;
BEGIN
	INSERT INTO measurement_revision
		(sensor_id, period, datetime, location_id, parameter,
		 old_value, new_value, old_units, new_units, load_run_id)
	SELECT n.sensor_id, n.period, n.datetime, coalesce(n.location_id, o.location_id),
		coalesce(n.parameter, o.parameter), o.value, n.value, o.units, n.units, run
	FROM old_rows o
	JOIN new_rows n USING (sensor_id, period, datetime)
	WHERE o.value IS DISTINCT FROM n.value OR o.units IS DISTINCT FROM n.units
	ORDER BY n.sensor_id, n.period, n.datetime;
	GET DIAGNOSTICS cnt = ROW_COUNT;
	IF cnt > 0 THEN
		PERFORM set_config('aq.revised',
			(coalesce(nullif(current_setting('aq.revised', true), ''), '0')::bigint + cnt)::text,
			true);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER measurement_revision_log AFTER UPDATE ON measurement
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION aq_revision_log();

-- The revisions per location and day, newest first: filter on "day" for
-- the last N days, e.g. WHERE day > current_date - 7.
CREATE VIEW location_revision AS
SELECT r.location_id,
	loc.name AS location_name,
	(r.revised_at AT TIME ZONE 'UTC')::date AS day,
	r.parameter,
	count(*) AS revisions,
	count(DISTINCT r.sensor_id) AS sensors,
	min(r.datetime) AS oldest_reading,
	max(r.datetime) AS newest_reading,
	max(abs(r.new_value - r.old_value)) AS largest_change,
	count(*) FILTER (WHERE r.old_units IS DISTINCT FROM r.new_units) AS units_changed
FROM measurement_revision r
LEFT JOIN location loc ON loc.id = r.location_id
GROUP BY r.location_id, loc.name, (r.revised_at AT TIME ZONE 'UTC')::date, r.parameter;
