-- 004-views: views shaped for dashboards (Grafana) and for people at psql.
-- Every reading carries its location's name, its country, its parameter
-- and units, its coordinates (the reading's own for mobile sensors, else the
-- location's) and the local wall-clock time of the station (the old stack
-- stored the UTC instant in its "local" column and lost it).  A time zone
-- name PostgreSQL does not know gives a null local time, not an error.

-- The last raw-or-hourly reading of every sensor.
CREATE VIEW latest_measurement AS
SELECT l.sensor_id,
	coalesce(l.location_id, s.location_id) AS location_id,
	loc.name AS location_name,
	loc.locality,
	loc.country_code,
	coalesce(l.parameter_id, s.parameter_id) AS parameter_id,
	coalesce(l.parameter, p.name) AS parameter,
	coalesce(l.units, p.units) AS units,
	l.period,
	l.datetime,
	CASE WHEN tz.name IS NOT NULL THEN l.datetime AT TIME ZONE loc.timezone END AS datetime_local,
	loc.timezone,
	l.value,
	coalesce(l.latitude, loc.latitude) AS latitude,
	coalesce(l.longitude, loc.longitude) AS longitude,
	l.flagged
FROM measurement_latest l
LEFT JOIN sensor s ON s.id = l.sensor_id
LEFT JOIN location loc ON loc.id = coalesce(l.location_id, s.location_id)
LEFT JOIN parameter p ON p.id = coalesce(l.parameter_id, s.parameter_id)
LEFT JOIN pg_timezone_names tz ON tz.name = loc.timezone;

-- Every reading, for time series.  Filter on "time" (the period end, UTC):
-- that prunes the monthly partitions.
CREATE VIEW measurement_series AS
SELECT m.datetime AS time,
	m.sensor_id,
	coalesce(m.location_id, s.location_id) AS location_id,
	loc.name AS location_name,
	loc.country_code,
	coalesce(m.parameter_id, s.parameter_id) AS parameter_id,
	coalesce(m.parameter, p.name) AS parameter,
	coalesce(m.units, p.units) AS units,
	m.period,
	m.value,
	CASE WHEN tz.name IS NOT NULL THEN m.datetime AT TIME ZONE loc.timezone END AS time_local,
	coalesce(m.latitude, loc.latitude) AS latitude,
	coalesce(m.longitude, loc.longitude) AS longitude,
	m.flagged
FROM measurement m
LEFT JOIN sensor s ON s.id = m.sensor_id
LEFT JOIN location loc ON loc.id = coalesce(m.location_id, s.location_id)
LEFT JOIN parameter p ON p.id = coalesce(m.parameter_id, s.parameter_id)
LEFT JOIN pg_timezone_names tz ON tz.name = loc.timezone;

-- One row per location, for maps: where, what it measures, how fresh.
CREATE VIEW location_map AS
SELECT loc.id,
	loc.name,
	loc.locality,
	loc.country_code,
	c.name AS country_name,
	loc.latitude,
	loc.longitude,
	loc.is_monitor,
	loc.is_mobile,
	pr.name AS provider_name,
	o.name AS owner_name,
	loc.timezone,
	loc.datetime_first,
	loc.datetime_last,
	(SELECT count(*) FROM sensor s WHERE s.location_id = loc.id) AS sensors,
	(SELECT string_agg(DISTINCT p.name, ', ' ORDER BY p.name)
	   FROM sensor s JOIN parameter p ON p.id = s.parameter_id
	  WHERE s.location_id = loc.id) AS parameters,
	(SELECT max(l.datetime) FROM measurement_latest l
	   JOIN sensor s ON s.id = l.sensor_id WHERE s.location_id = loc.id) AS last_reading
FROM location loc
LEFT JOIN country c ON c.id = loc.country_id
LEFT JOIN provider pr ON pr.id = loc.provider_id
LEFT JOIN owner o ON o.id = loc.owner_id;

-- Readings whose sensor is not (yet) in "sensor": kept, and visible here.
CREATE VIEW orphan_sensor AS
SELECT l.sensor_id, l.location_id, l.datetime AS last_reading
FROM measurement_latest l
WHERE NOT EXISTS (SELECT 1 FROM sensor s WHERE s.id = l.sensor_id);
