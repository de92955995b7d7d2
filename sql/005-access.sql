-- 005-access: a read-only role for dashboards, and an optional geography
-- column for PostGIS users.  Neither is ever a requirement: without the
-- right to create roles, or without PostGIS, this migration says so in a
-- NOTICE and goes on.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aq_reader') THEN
		BEGIN
			CREATE ROLE aq_reader NOLOGIN;
		EXCEPTION WHEN insufficient_privilege THEN
			RAISE NOTICE 'role aq_reader not created: %', SQLERRM;
		END;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aq_reader') THEN
		EXECUTE format('GRANT USAGE ON SCHEMA %I TO aq_reader', current_schema());
		EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO aq_reader', current_schema());
		EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO aq_reader',
			current_schema());
	END IF;
END
$$;

DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') THEN
		BEGIN
			CREATE EXTENSION IF NOT EXISTS postgis;
			-- a point only for valid WGS84 coordinates (the API has sent
			-- longitude 185.2)
			ALTER TABLE location ADD COLUMN IF NOT EXISTS geog geography(Point, 4326)
				GENERATED ALWAYS AS (CASE
					WHEN latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180
					THEN ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography
				END) STORED;
			CREATE INDEX IF NOT EXISTS location_geog_idx ON location USING gist (geog);
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE 'PostGIS not used: %', SQLERRM;
		END;
	ELSE
		RAISE NOTICE 'PostGIS is not installed: location has no geography column';
	END IF;
END
$$;
