-- 003-latest: the last reading of every sensor, kept current by statement
-- triggers so that reading it costs one row per sensor whatever the size of
-- "measurement" (a DISTINCT ON or a lateral scan over 10M+ rows and every
-- monthly partition does not stay fast).  Only raw and hourly readings
-- count: the period end of a day or year aggregate can lie in the future.
-- Any writer is covered (aq-load in every mode, psql \copy, INSERT).

CREATE TABLE measurement_latest (
	sensor_id integer PRIMARY KEY,
	location_id integer,
	parameter_id integer,
	parameter text,
	units text,
	period text NOT NULL,
	datetime timestamptz NOT NULL,
	value double precision,
	latitude double precision,
	longitude double precision,
	flagged boolean
);

-- New or updated rows: per sensor, the newest raw-or-hour reading of the
-- statement replaces the kept one when it is newer, or when it is the same
-- reading with new values.  At equal times a raw reading wins over an hour.
CREATE FUNCTION aq_latest_upsert() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	INSERT INTO measurement_latest AS l
		(sensor_id, location_id, parameter_id, parameter, units, period,
		 datetime, value, latitude, longitude, flagged)
	SELECT DISTINCT ON (n.sensor_id)
		n.sensor_id, n.location_id, n.parameter_id, n.parameter, n.units, n.period,
		n.datetime, n.value, n.latitude, n.longitude, n.flagged
	FROM new_rows n
	WHERE n.period IN ('raw', 'hour')
	ORDER BY n.sensor_id, n.datetime DESC, n.period = 'raw' DESC
	ON CONFLICT (sensor_id) DO UPDATE SET
		location_id = EXCLUDED.location_id, parameter_id = EXCLUDED.parameter_id,
		parameter = EXCLUDED.parameter, units = EXCLUDED.units,
		period = EXCLUDED.period, datetime = EXCLUDED.datetime,
		value = EXCLUDED.value, latitude = EXCLUDED.latitude,
		longitude = EXCLUDED.longitude, flagged = EXCLUDED.flagged
	WHERE EXCLUDED.datetime > l.datetime
	   OR (EXCLUDED.datetime = l.datetime AND (EXCLUDED.period = l.period OR EXCLUDED.period = 'raw'));
	RETURN NULL;
END
$$;

-- Deleted rows: forget them, then find each affected sensor's newest
-- remaining reading (an index probe per sensor on the primary key).
CREATE FUNCTION aq_latest_forget() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	DELETE FROM measurement_latest l USING old_rows o
	WHERE l.sensor_id = o.sensor_id AND l.datetime = o.datetime AND l.period = o.period;
	INSERT INTO measurement_latest
		(sensor_id, location_id, parameter_id, parameter, units, period,
		 datetime, value, latitude, longitude, flagged)
	SELECT m.sensor_id, m.location_id, m.parameter_id, m.parameter, m.units, m.period,
		m.datetime, m.value, m.latitude, m.longitude, m.flagged
	FROM (SELECT DISTINCT sensor_id FROM old_rows) s
	CROSS JOIN LATERAL (
		SELECT * FROM measurement m
		WHERE m.sensor_id = s.sensor_id AND m.period IN ('raw', 'hour')
		ORDER BY m.datetime DESC, m.period = 'raw' DESC LIMIT 1) m
	ON CONFLICT (sensor_id) DO NOTHING;
	RETURN NULL;
END
$$;

CREATE FUNCTION aq_latest_truncate() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	TRUNCATE measurement_latest;
	RETURN NULL;
END
$$;

CREATE TRIGGER measurement_latest_insert AFTER INSERT ON measurement
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION aq_latest_upsert();
CREATE TRIGGER measurement_latest_update AFTER UPDATE ON measurement
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION aq_latest_upsert();
CREATE TRIGGER measurement_latest_delete AFTER DELETE ON measurement
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION aq_latest_forget();
CREATE TRIGGER measurement_latest_truncate AFTER TRUNCATE ON measurement
	FOR EACH STATEMENT EXECUTE FUNCTION aq_latest_truncate();
