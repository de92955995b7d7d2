-- 009-aqi: the Air Quality Index, computed in the database from tables of
-- breakpoints that are data, not code.  OpenAQ serves concentrations only.
--
-- Two scales:
--
--   us-epa  the US EPA AQI as revised in May 2024: U.S. EPA, "Technical
--           Assistance Document for the Reporting of Daily Air Quality - the
--           Air Quality Index (AQI)", EPA-454/B-24-002, May 2024, Table 6
--           (breakpoints), section IV (truncation, the equation, NowCast),
--           Table 1 (category names and colours).  The PM2.5 rows are those
--           of the February 2024 final rule (89 FR 16202), in force from
--           6 May 2024.  https://nepis.epa.gov/Exe/ZyPURL.cgi?Dockey=P101AP0Q.txt
--           Completeness of the NowCast (2 of the 3 most recent hours) and of
--           8-hour averages (6 of 8 hours): AirNow-Tech, "The NowCast for
--           PM2.5 and PM10" and "Daily and Hourly AQI - Ozone".
--           https://forum.airnowtech.org/t/the-nowcast-for-pm2-5-and-pm10/172
--   eea     the European Air Quality Index of the European Environment
--           Agency, six levels (1 Good .. 6 Extremely poor), in µg/m³: EEA,
--           "European Air Quality Index - about the index" (index levels
--           table; PM as 24-hour running means, the gases as hourly values).
--           https://airindex.eea.europa.eu/AQI/index.html
--           The index is a level, not a number on a continuous scale: the
--           "index" of a band is its level.
--
-- Units: a value is converted to the units of the table (µg/m³ for particles,
-- ppm or ppb for the EPA's gases, µg/m³ for every EEA pollutant) with the
-- conversion of aq-norm --units canonical (bin/units.c): the same molecular
-- weights and its default reference condition, 25 °C and 1 atm (molar volume
-- 24.45 L/mol).  What cannot be converted (a mixing ratio of particles,
-- units that are not a concentration) gives a null index and a reason.
--
-- Hourly values: a sensor's "hour" rows (the period end, UTC), else its raw
-- readings that fall on the hour (hourly monitors report those); readings of
-- sub-hourly sensors between the hours are not averaged here (fetch their
-- hours with aq-fetch hours).

-- One row per band of a pollutant's table.  A concentration c (converted to
-- units, then truncated to truncate_digits decimals when that is not null)
-- is in the band when conc_lo <= c <= conc_hi (conc_lo < c when lo_inclusive
-- is false: the EEA's bands meet at their edges and the lower band keeps
-- the edge).  Its index is the EPA's linear interpolation
-- (index_hi - index_lo) / (conc_hi - conc_lo) * (c - conc_lo) + index_lo,
-- rounded to the nearest integer; a band with index_lo = index_hi (the
-- EEA's levels) gives that number.
CREATE TABLE aqi_breakpoint (
	scale text NOT NULL,
	pollutant text NOT NULL,
	averaging interval NOT NULL,
	units text NOT NULL,
	conc_lo numeric NOT NULL,
	conc_hi numeric NOT NULL,
	lo_inclusive boolean NOT NULL DEFAULT true,
	truncate_digits integer,
	index_lo integer NOT NULL,
	index_hi integer NOT NULL,
	category text NOT NULL,
	colour text NOT NULL CHECK (colour ~ '^#[0-9A-F]{6}$'),
	source text NOT NULL,
	PRIMARY KEY (scale, pollutant, averaging, conc_lo),
	CHECK (conc_lo <= conc_hi AND index_lo <= index_hi)
);

-- How each averaging of a scale is estimated from hourly values, at an hour
-- h: "mean" is the mean of the hours (h - hours, h], valid with at least
-- min_hours of them; "nowcast" is the EPA NowCast of the 12 hours up to h
-- (aq_nowcast).  A pollutant's sub-index is the highest of its averagings
-- (O3: 8-hour and 1-hour; SO2: 1-hour, and 24-hour above 304 ppb); when
-- none gives one, the reason of its primary averaging is reported.
CREATE TABLE aqi_averaging (
	scale text NOT NULL,
	pollutant text NOT NULL,
	averaging interval NOT NULL,
	estimator text NOT NULL CHECK (estimator IN ('mean', 'nowcast')),
	hours integer NOT NULL CHECK (hours BETWEEN 1 AND 24),
	min_hours integer NOT NULL,
	is_primary boolean NOT NULL,
	PRIMARY KEY (scale, pollutant, averaging),
	CHECK (min_hours BETWEEN 1 AND hours)
);

INSERT INTO aqi_averaging VALUES
	-- the EPA: the NowCast stands for the 24-hour particle averages in real
	-- time; 8-hour means need 6 of the 8 hours (75 %)
	('us-epa', 'pm25', '24 hours', 'nowcast', 12, 2, true),
	('us-epa', 'pm10', '24 hours', 'nowcast', 12, 2, true),
	('us-epa', 'o3', '8 hours', 'mean', 8, 6, true),
	('us-epa', 'o3', '1 hour', 'mean', 1, 1, false),
	('us-epa', 'co', '8 hours', 'mean', 8, 6, true),
	('us-epa', 'so2', '1 hour', 'mean', 1, 1, true),
	('us-epa', 'so2', '24 hours', 'mean', 24, 18, false),
	('us-epa', 'no2', '1 hour', 'mean', 1, 1, true),
	-- the EEA: particles as 24-hour running means (18 of 24 hours, 75 %),
	-- the gases hourly
	('eea', 'pm25', '24 hours', 'mean', 24, 18, true),
	('eea', 'pm10', '24 hours', 'mean', 24, 18, true),
	('eea', 'no2', '1 hour', 'mean', 1, 1, true),
	('eea', 'o3', '1 hour', 'mean', 1, 1, true),
	('eea', 'so2', '1 hour', 'mean', 1, 1, true);

-- The EPA's table (EPA-454/B-24-002, Table 6) and truncation (section IV:
-- O3 to 0.001 ppm, PM2.5 to 0.1 µg/m³, PM10 to 1 µg/m³, CO to 0.1 ppm, SO2
-- and NO2 to 1 ppb).  8-hour O3 has no rows above 300 (the 1-hour rows take
-- over), 1-hour O3 none below 101, 1-hour SO2 none above 200 (the 24-hour
-- rows take over).  Colours: Table 1 (RGB 0,228,0; 255,255,0; 255,126,0;
-- 255,0,0; 143,63,151; 126,0,35).
INSERT INTO aqi_breakpoint (scale, pollutant, averaging, units, conc_lo, conc_hi,
	truncate_digits, index_lo, index_hi, category, colour, source)
SELECT 'us-epa', r.pollutant, r.averaging::interval, r.units, r.lo, r.hi, r.digits,
	c.lo, c.hi, c.name, c.colour, 'EPA-454/B-24-002 (May 2024), Table 6'
FROM (VALUES
	('pm25', '24 hours', 'µg/m³', 1, 0.0, 9.0, 1), ('pm25', '24 hours', 'µg/m³', 1, 9.1, 35.4, 2),
	('pm25', '24 hours', 'µg/m³', 1, 35.5, 55.4, 3), ('pm25', '24 hours', 'µg/m³', 1, 55.5, 125.4, 4),
	('pm25', '24 hours', 'µg/m³', 1, 125.5, 225.4, 5), ('pm25', '24 hours', 'µg/m³', 1, 225.5, 325.4, 6),
	('pm10', '24 hours', 'µg/m³', 0, 0, 54, 1), ('pm10', '24 hours', 'µg/m³', 0, 55, 154, 2),
	('pm10', '24 hours', 'µg/m³', 0, 155, 254, 3), ('pm10', '24 hours', 'µg/m³', 0, 255, 354, 4),
	('pm10', '24 hours', 'µg/m³', 0, 355, 424, 5), ('pm10', '24 hours', 'µg/m³', 0, 425, 604, 6),
	('o3', '8 hours', 'ppm', 3, 0.000, 0.054, 1), ('o3', '8 hours', 'ppm', 3, 0.055, 0.070, 2),
	('o3', '8 hours', 'ppm', 3, 0.071, 0.085, 3), ('o3', '8 hours', 'ppm', 3, 0.086, 0.105, 4),
	('o3', '8 hours', 'ppm', 3, 0.106, 0.200, 5),
	('o3', '1 hour', 'ppm', 3, 0.125, 0.164, 3), ('o3', '1 hour', 'ppm', 3, 0.165, 0.204, 4),
	('o3', '1 hour', 'ppm', 3, 0.205, 0.404, 5), ('o3', '1 hour', 'ppm', 3, 0.405, 0.604, 6),
	('co', '8 hours', 'ppm', 1, 0.0, 4.4, 1), ('co', '8 hours', 'ppm', 1, 4.5, 9.4, 2),
	('co', '8 hours', 'ppm', 1, 9.5, 12.4, 3), ('co', '8 hours', 'ppm', 1, 12.5, 15.4, 4),
	('co', '8 hours', 'ppm', 1, 15.5, 30.4, 5), ('co', '8 hours', 'ppm', 1, 30.5, 50.4, 6),
	('so2', '1 hour', 'ppb', 0, 0, 35, 1), ('so2', '1 hour', 'ppb', 0, 36, 75, 2),
	('so2', '1 hour', 'ppb', 0, 76, 185, 3), ('so2', '1 hour', 'ppb', 0, 186, 304, 4),
	('so2', '24 hours', 'ppb', 0, 305, 604, 5), ('so2', '24 hours', 'ppb', 0, 605, 1004, 6),
	('no2', '1 hour', 'ppb', 0, 0, 53, 1), ('no2', '1 hour', 'ppb', 0, 54, 100, 2),
	('no2', '1 hour', 'ppb', 0, 101, 360, 3), ('no2', '1 hour', 'ppb', 0, 361, 649, 4),
	('no2', '1 hour', 'ppb', 0, 650, 1249, 5), ('no2', '1 hour', 'ppb', 0, 1250, 2049, 6)
) AS r(pollutant, averaging, units, digits, lo, hi, cat)
JOIN (VALUES
	(1, 0, 50, 'Good', '#00E400'),
	(2, 51, 100, 'Moderate', '#FFFF00'),
	(3, 101, 150, 'Unhealthy for Sensitive Groups', '#FF7E00'),
	(4, 151, 200, 'Unhealthy', '#FF0000'),
	(5, 201, 300, 'Very Unhealthy', '#8F3F97'),
	(6, 301, 500, 'Hazardous', '#7E0023')
) AS c(cat, lo, hi, name, colour) ON c.cat = r.cat;

-- The EEA's bands (µg/m³; no truncation).  Colours as the EEA's viewer
-- draws them.
INSERT INTO aqi_breakpoint (scale, pollutant, averaging, units, conc_lo, conc_hi,
	lo_inclusive, index_lo, index_hi, category, colour, source)
SELECT 'eea', r.pollutant, r.averaging::interval, 'µg/m³', r.lo, r.hi, c.lvl = 1,
	c.lvl, c.lvl, c.name, c.colour, 'EEA, European Air Quality Index, index levels'
FROM (VALUES
	('pm25', '24 hours', 0, 10, 1), ('pm25', '24 hours', 10, 20, 2), ('pm25', '24 hours', 20, 25, 3),
	('pm25', '24 hours', 25, 50, 4), ('pm25', '24 hours', 50, 75, 5), ('pm25', '24 hours', 75, 800, 6),
	('pm10', '24 hours', 0, 20, 1), ('pm10', '24 hours', 20, 40, 2), ('pm10', '24 hours', 40, 50, 3),
	('pm10', '24 hours', 50, 100, 4), ('pm10', '24 hours', 100, 150, 5), ('pm10', '24 hours', 150, 1200, 6),
	('no2', '1 hour', 0, 40, 1), ('no2', '1 hour', 40, 90, 2), ('no2', '1 hour', 90, 120, 3),
	('no2', '1 hour', 120, 230, 4), ('no2', '1 hour', 230, 340, 5), ('no2', '1 hour', 340, 1000, 6),
	('o3', '1 hour', 0, 50, 1), ('o3', '1 hour', 50, 100, 2), ('o3', '1 hour', 100, 130, 3),
	('o3', '1 hour', 130, 240, 4), ('o3', '1 hour', 240, 380, 5), ('o3', '1 hour', 380, 800, 6),
	('so2', '1 hour', 0, 100, 1), ('so2', '1 hour', 100, 200, 2), ('so2', '1 hour', 200, 350, 3),
	('so2', '1 hour', 350, 500, 4), ('so2', '1 hour', 500, 750, 5), ('so2', '1 hour', 750, 1250, 6)
) AS r(pollutant, averaging, lo, hi, lvl)
JOIN (VALUES
	(1, 'Good', '#50F0E6'),
	(2, 'Fair', '#50CCAA'),
	(3, 'Moderate', '#F0E641'),
	(4, 'Poor', '#FF5050'),
	(5, 'Very poor', '#960032'),
	(6, 'Extremely poor', '#7D2181')
) AS c(lvl, name, colour) ON c.lvl = r.lvl;

-- The categories of each scale, for an overall index, legends and bands.
CREATE VIEW aqi_category AS
SELECT DISTINCT scale, index_lo, index_hi, category, colour
FROM aqi_breakpoint;

-- ---- units ----------------------------------------------------------------

-- The concentration unit of a units text, in aq-norm's spellings (bin/units.c
-- "spellings", compared without regard to ASCII case): 'µg/m³', 'mg/m³',
-- 'ppm', 'ppb', or null for anything else.
CREATE FUNCTION aq_concentration_unit(units text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE
	WHEN lower(units) IN ('µg/m³', 'μg/m³', 'µg/m3', 'μg/m3', 'ug/m³', 'ug/m3') THEN 'µg/m³'
	WHEN lower(units) IN ('mg/m³', 'mg/m3') THEN 'mg/m³'
	WHEN lower(units) = 'ppm' THEN 'ppm'
	WHEN lower(units) = 'ppb' THEN 'ppb'
END
$$;

-- The molecular weight (g/mol) of a gas: bin/units.c "gases", the IUPAC
-- standard atomic weights (CIAAW 2021, abridged); NOx as NO2.  Null for
-- what is not a gas of that table (particles).  t/4650 checks that these
-- are the weights aq-norm uses.
CREATE FUNCTION aq_molecular_weight(pollutant text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE lower(pollutant)
	WHEN 'o3' THEN 47.997
	WHEN 'no2' THEN 46.005
	WHEN 'nox' THEN 46.005
	WHEN 'no' THEN 30.006
	WHEN 'so2' THEN 64.058
	WHEN 'co' THEN 28.010
	WHEN 'nh3' THEN 17.031
	WHEN 'h2s' THEN 34.076
	WHEN 'ch4' THEN 16.043
END::double precision
$$;

-- The molar volume (L/mol) of aq-norm's default reference condition,
-- 25 °C and 1 atm (the US EPA's and the WHO's).
CREATE FUNCTION aq_molar_volume() RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 24.45::double precision $$;

-- value of pollutant, in from_units, expressed in to_units; null when it
-- cannot be (aq_conversion_refusal says why).  µg/m³ = ppb x MW / Vm, in
-- the order of operations of units_convert(), so that the two agree to the
-- last bit.
CREATE FUNCTION aq_convert(pollutant text, value double precision, from_units text, to_units text)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE aq_concentration_unit(to_units)
	WHEN 'µg/m³' THEN coalesce(m.ugm3, x.ppb * aq_molecular_weight(pollutant) / aq_molar_volume())
	WHEN 'mg/m³' THEN coalesce(m.ugm3, x.ppb * aq_molecular_weight(pollutant) / aq_molar_volume()) / 1000
	WHEN 'ppb' THEN coalesce(x.ppb, m.ugm3 * aq_molar_volume() / aq_molecular_weight(pollutant))
	WHEN 'ppm' THEN coalesce(x.ppb, m.ugm3 * aq_molar_volume() / aq_molecular_weight(pollutant)) / 1000
END
FROM (SELECT CASE aq_concentration_unit(from_units)
		WHEN 'µg/m³' THEN value WHEN 'mg/m³' THEN value * 1000 END AS ugm3) m,
	(SELECT CASE aq_concentration_unit(from_units)
		WHEN 'ppb' THEN value WHEN 'ppm' THEN value * 1000 END AS ppb) x
$$;

-- Why aq_convert(pollutant, v, from_units, to_units) is null for every v,
-- or null when it is not.
CREATE FUNCTION aq_conversion_refusal(pollutant text, from_units text, to_units text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE
	WHEN from_units IS NULL THEN 'no units'
	WHEN aq_concentration_unit(from_units) IS NULL THEN
		format('units %s are not a concentration (µg/m³, mg/m³, ppm or ppb)', from_units)
	WHEN aq_concentration_unit(to_units) IS NULL THEN format('cannot convert to %s', to_units)
	WHEN aq_molecular_weight(pollutant) IS NULL
	     AND (aq_concentration_unit(from_units) IN ('ppm', 'ppb')) <>
		 (aq_concentration_unit(to_units) IN ('ppm', 'ppb')) THEN
		format('%s has no molecular weight: cannot convert %s to %s',
			coalesce(pollutant, 'a pollutant'), from_units, to_units)
END
$$;

-- ---- the index ------------------------------------------------------------

-- The band of aqi_breakpoint that holds a concentration already in the
-- table's units, and the index.  Truncation: the value is first rounded to
-- 10 decimals, so that a conversion that lands a hair under an edge
-- (0.054999999999 ppm for 55 ppb) truncates to the edge.
CREATE FUNCTION aq_truncate(value double precision, digits integer) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN value IS NULL OR value = 'NaN'::float8 OR value IN ('Infinity', '-Infinity') THEN NULL
	WHEN digits IS NULL THEN value::numeric
	ELSE trunc(round(value::numeric, 10), digits) END
$$;

CREATE FUNCTION aq_interpolate(c numeric, b aqi_breakpoint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN b.index_lo = b.index_hi OR b.conc_lo = b.conc_hi THEN b.index_lo
	ELSE round((b.index_hi - b.index_lo) / (b.conc_hi - b.conc_lo) * (c - b.conc_lo) + b.index_lo)::integer
END
$$;

-- The index of one concentration: scale 'us-epa' or 'eea', pollutant an
-- OpenAQ parameter name (pm25, pm10, o3, no2, so2, co), averaging the
-- period the value is a mean of ('1 hour', '8 hours', '24 hours'), value
-- in units.  Null when no row of the table covers the value (after
-- conversion and truncation), when the scale has no table for that
-- pollutant and averaging, or when the units cannot be converted.
CREATE FUNCTION aq_aqi(scale text, pollutant text, averaging interval, value double precision,
	units text)
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT aq_interpolate(c.x, b)
FROM (SELECT aq_truncate(aq_convert(lower($2), $4, $5, t.units), t.truncate_digits) AS x
	FROM aqi_breakpoint t
	WHERE t.scale = $1 AND t.pollutant = lower($2) AND t.averaging = $3
	LIMIT 1) c
JOIN aqi_breakpoint b ON b.scale = $1 AND b.pollutant = lower($2) AND b.averaging = $3
	AND c.x <= b.conc_hi AND (c.x > b.conc_lo OR (b.lo_inclusive AND c.x = b.conc_lo))
$$;

-- The EPA NowCast of hourly concentrations: ages[i] is how many hours
-- before the NowCast's hour vals[i] was measured (0 = that hour).  Only
-- ages 0 to 11 count; one value per age.  Null unless at least two of the
-- three most recent hours (ages 0, 1, 2) have a value.  The weight factor
-- is 1 - (max - min) / max over the hours present, at least 0.5 (1 when
-- max <= 0); the NowCast is sum(c w^age) / sum(w^age).  The result is not
-- truncated: aq_aqi truncates it as the table says.
CREATE FUNCTION aq_nowcast(ages integer[], vals double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
WITH c AS (
	SELECT u.a, u.v FROM unnest(ages, vals) AS u(a, v)
	WHERE u.a BETWEEN 0 AND 11 AND u.v IS NOT NULL
), w AS (
	SELECT CASE WHEN max(c.v) > 0 THEN greatest(0.5, 1 - (max(c.v) - min(c.v)) / max(c.v))
		ELSE 1 END AS w,
		count(*) FILTER (WHERE c.a <= 2) AS recent
	FROM c
)
SELECT CASE WHEN w.recent >= 2 THEN
	(SELECT sum(c.v * w.w ^ c.a) / sum(w.w ^ c.a) FROM c) END
FROM w
$$;

-- The hour of an instant, rounded down (UTC, whatever the session's zone).
CREATE FUNCTION aq_hour_floor(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT to_timestamp(floor(extract(epoch FROM t) / 3600) * 3600) $$;

-- Per scale and averaging, the sub-index of one sensor of pollutant, whose
-- readings are in units, at hour "at": its hourly values of
-- (at - 24 hours, at] (read by primary key, one range per period: only the
-- partitions of those hours), each averaging's estimate, converted,
-- truncated and looked up, or the reason there is no sub-index.  The
-- planner inlines it into the views.
CREATE FUNCTION aq_sensor_subindex(sensor integer, pollutant text, units text, at timestamptz)
RETURNS TABLE (scale text, averaging interval, is_primary boolean, concentration double precision,
	table_units text, sub_index integer, reason text, nowcast double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT s.scale, s.averaging, s.is_primary, s.conc, s.units, s.sub,
	CASE WHEN s.sub IS NULL THEN coalesce(s.refusal, CASE
		WHEN s.conc IS NOT NULL THEN
			format('%s %s is outside the table of %s', round(s.conc::numeric, 3), s.units, s.averaging)
		WHEN s.estimator = 'nowcast' THEN 'the NowCast needs 2 of the 3 most recent hours'
		WHEN s.hours = 1 THEN 'no reading at this hour'
		ELSE format('%s of the %s hours present, %s needed', s.n, s.hours, s.min_hours) END)
	END,
	s.nowcast
FROM (
	SELECT a.scale, a.averaging, a.is_primary, a.estimator, a.hours, a.min_hours, t.units,
		e.conc, w.nowcast, aq_conversion_refusal(a.pollutant, $3, t.units) AS refusal,
		CASE a.hours WHEN 8 THEN w.n8 ELSE w.n24 END AS n,
		(SELECT aq_interpolate(e.x, b) FROM aqi_breakpoint b
		 WHERE b.scale = a.scale AND b.pollutant = a.pollutant AND b.averaging = a.averaging
		   AND e.x <= b.conc_hi AND (e.x > b.conc_lo OR (b.lo_inclusive AND e.x = b.conc_lo))) AS sub
	FROM (
		SELECT
			max(h.v) FILTER (WHERE h.age = 0) AS v1,
			avg(h.v) FILTER (WHERE h.age < 8) AS v8,
			count(*) FILTER (WHERE h.age < 8) AS n8,
			avg(h.v) AS v24,
			count(*) AS n24,
			aq_nowcast(array_agg(h.age) FILTER (WHERE h.age < 12),
				array_agg(h.v) FILTER (WHERE h.age < 12)) AS nowcast
		FROM (
			SELECT ((extract(epoch FROM $4) - extract(epoch FROM m.datetime)) / 3600)::integer AS age,
				coalesce(avg(m.value) FILTER (WHERE m.period = 'hour'),
					avg(m.value) FILTER (WHERE m.period = 'raw')) AS v
			FROM measurement m
			WHERE m.sensor_id = $1 AND m.period IN ('raw', 'hour')
			  AND m.datetime > $4 - interval '24 hours' AND m.datetime <= $4
			  AND m.value IS NOT NULL AND extract(epoch FROM m.datetime) % 3600 = 0
			GROUP BY m.datetime
		) h
	) w
	JOIN aqi_averaging a ON a.pollutant = lower($2)
	CROSS JOIN LATERAL (SELECT b.units, b.truncate_digits FROM aqi_breakpoint b
		WHERE b.scale = a.scale AND b.pollutant = a.pollutant AND b.averaging = a.averaging
		LIMIT 1) t
	-- OFFSET 0: each estimate is computed once, not once per band tried
	CROSS JOIN LATERAL (SELECT c.conc, aq_truncate(c.conc, t.truncate_digits) AS x
		FROM (SELECT aq_convert(a.pollutant, CASE
				WHEN a.estimator = 'nowcast' THEN w.nowcast
				WHEN a.hours = 1 THEN w.v1
				WHEN a.hours = 8 AND w.n8 >= a.min_hours THEN w.v8
				WHEN a.hours = 24 AND w.n24 >= a.min_hours THEN w.v24
			END, $3, t.units) AS conc OFFSET 0) c
		OFFSET 0) e
) s
$$;

-- ---- views ----------------------------------------------------------------

-- One row per location, hour (the period end, UTC), scale and pollutant:
-- the pollutant's sub-index (the highest over its sensors and averagings),
-- and the location-hour's overall index (the highest sub-index), category
-- and dominant pollutant repeated on each; then the concentration of the
-- primary averaging in the table's units, and why the sub-index is null.
-- Filter on "datetime" (and location_id): the hours are read sensor by
-- sensor (the sensors of measurement_latest) by primary key, in the
-- partitions of those hours and of the 24 hours before them only.  A
-- sensor's location, parameter and units are those of its latest reading.
CREATE VIEW aqi_hourly AS
SELECT y.location_id, y.datetime, y.scale, y.parameter, y.sub_index, y.aqi, c.category,
	CASE WHEN y.aqi IS NOT NULL THEN y.dominant END AS dominant_parameter,
	y.concentration, y.units, y.reason, c.colour
FROM (
	SELECT z.location_id, z.datetime, z.scale, z.parameter, z.sub_index, z.concentration,
		z.units, z.reason,
		max(z.sub_index) OVER (PARTITION BY z.location_id, z.datetime, z.scale) AS aqi,
		first_value(z.parameter) OVER (PARTITION BY z.location_id, z.datetime, z.scale
			ORDER BY z.sub_index DESC NULLS LAST, z.parameter) AS dominant
	FROM (
		SELECT k.location_id, k.datetime, x.scale, k.parameter,
			max(x.sub_index) AS sub_index,
			max(x.concentration) FILTER (WHERE x.is_primary) AS concentration,
			max(x.table_units) FILTER (WHERE x.is_primary) AS units,
			CASE WHEN max(x.sub_index) IS NULL THEN min(x.reason) FILTER (WHERE x.is_primary) END
				AS reason
		FROM (
			SELECT l.sensor_id, coalesce(l.location_id, s.location_id) AS location_id,
				lower(coalesce(l.parameter, p.name)) AS parameter,
				coalesce(l.units, p.units) AS units
			FROM measurement_latest l
			LEFT JOIN sensor s ON s.id = l.sensor_id
			LEFT JOIN parameter p ON p.id = coalesce(l.parameter_id, s.parameter_id)
		) n
		CROSS JOIN LATERAL (
			SELECT DISTINCT m.sensor_id, m.datetime, n.location_id, n.parameter, n.units
			FROM measurement m
			WHERE m.sensor_id = n.sensor_id AND m.period IN ('raw', 'hour')
			  AND m.value IS NOT NULL AND extract(epoch FROM m.datetime) % 3600 = 0
		) k
		CROSS JOIN LATERAL aq_sensor_subindex(k.sensor_id, k.parameter, k.units, k.datetime) x
		GROUP BY k.location_id, k.datetime, x.scale, k.parameter
	) z
) y
LEFT JOIN aqi_category c ON c.scale = y.scale AND y.aqi BETWEEN c.index_lo AND c.index_hi;

-- One row per location and scale, at the location's newest hour with a
-- reading of an index pollutant ("datetime": now, as far as the location
-- has told): the overall index with the NowCast for particles (us-epa),
-- 8-hour means for O3 and CO, hourly values for NO2, SO2 and the 1-hour O3;
-- its category, colour and dominant pollutant; the NowCast concentrations
-- of PM2.5 and PM10 in µg/m³; when there is no index, why ("pm25: the
-- NowCast needs 2 of the 3 most recent hours").  Reads measurement_latest,
-- then the last 24 hours of each sensor by primary key.
CREATE VIEW aqi_current AS
SELECT y.location_id, y.scale, y.datetime, y.aqi, c.category, y.dominant_parameter,
	y.nowcast_pm25, y.nowcast_pm10, c.colour, loc.name AS location_name,
	loc.latitude, loc.longitude, y.reason
FROM (
	SELECT z.location_id, z.scale, z.datetime, max(z.sub_index) AS aqi,
		(array_agg(z.parameter ORDER BY z.sub_index DESC, z.parameter)
			FILTER (WHERE z.sub_index IS NOT NULL))[1] AS dominant_parameter,
		max(z.nowcast) FILTER (WHERE z.parameter = 'pm25') AS nowcast_pm25,
		max(z.nowcast) FILTER (WHERE z.parameter = 'pm10') AS nowcast_pm10,
		CASE WHEN max(z.sub_index) IS NULL THEN
			string_agg(DISTINCT z.parameter || ': ' || z.reason, '; ')
				FILTER (WHERE z.is_primary AND z.reason IS NOT NULL) END AS reason
	FROM (
		SELECT l.location_id, n.datetime, l.parameter, x.scale, x.sub_index, x.is_primary, x.reason,
			aq_convert(l.parameter, x.nowcast, l.units, 'µg/m³') AS nowcast
		FROM (
			SELECT coalesce(l.location_id, s.location_id) AS location_id, l.sensor_id,
				lower(coalesce(l.parameter, p.name)) AS parameter,
				coalesce(l.units, p.units) AS units, l.datetime
			FROM measurement_latest l
			LEFT JOIN sensor s ON s.id = l.sensor_id
			LEFT JOIN parameter p ON p.id = coalesce(l.parameter_id, s.parameter_id)
			WHERE lower(coalesce(l.parameter, p.name)) IN (SELECT pollutant FROM aqi_averaging)
		) l
		JOIN (
			SELECT coalesce(l.location_id, s.location_id) AS location_id,
				aq_hour_floor(max(l.datetime)) AS datetime
			FROM measurement_latest l
			LEFT JOIN sensor s ON s.id = l.sensor_id
			LEFT JOIN parameter p ON p.id = coalesce(l.parameter_id, s.parameter_id)
			WHERE lower(coalesce(l.parameter, p.name)) IN (SELECT pollutant FROM aqi_averaging)
			GROUP BY 1
		) n ON n.location_id = l.location_id
		CROSS JOIN LATERAL aq_sensor_subindex(l.sensor_id, l.parameter, l.units, n.datetime) x
	) z
	GROUP BY z.location_id, z.scale, z.datetime
) y
LEFT JOIN aqi_category c ON c.scale = y.scale AND y.aqi BETWEEN c.index_lo AND c.index_hi
LEFT JOIN location loc ON loc.id = y.location_id;

COMMENT ON TABLE aqi_breakpoint IS
	'AQI breakpoints: per scale, pollutant and averaging, the concentration bands, their index range, category, colour and source';
COMMENT ON FUNCTION aq_aqi(text, text, interval, double precision, text) IS
	'The index of one concentration on a scale (us-epa, eea), converted and truncated as the table says; null outside the table';
COMMENT ON FUNCTION aq_nowcast(integer[], double precision[]) IS
	'The EPA NowCast of hourly values by age in hours (0-11); null unless 2 of ages 0-2 are present';
