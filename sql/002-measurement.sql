-- 002-measurement: the fact table, partitioned by month of its time, and
-- the function that creates a month's partition.
--
-- The columns are exactly aq-norm's keys.  There is no foreign key: a
-- reading for a sensor not (yet) in "sensor" is kept, never refused, and
-- aq-load counts it as an orphan.  The default partition catches any month
-- that has no partition yet, so no row is ever refused for its time.

CREATE TABLE measurement (
	sensor_id integer NOT NULL,
	location_id integer,
	parameter_id integer,
	parameter text,
	units text,
	period text NOT NULL DEFAULT 'raw'
		CHECK (period IN ('raw', 'hour', 'day', 'year')),
	datetime timestamptz NOT NULL,
	value double precision,
	latitude double precision,
	longitude double precision,
	source_units text,
	source_value double precision,
	observed_count integer,
	expected_count integer,
	flagged boolean,
	PRIMARY KEY (sensor_id, period, datetime)
) PARTITION BY RANGE (datetime);

CREATE TABLE measurement_default PARTITION OF measurement DEFAULT;

-- aq_ensure_partition(parent, instant): make sure the month (UTC) holding
-- instant has its own partition of parent, named <parent>_yYYYYmMM, and
-- return its name.  PostgreSQL refuses to create a partition while the
-- default partition holds rows of its range, so those rows are moved first,
-- all in the caller's transaction.  Concurrent callers are serialised by an
-- advisory lock; a partition that exists already costs one catalog lookup.
CREATE FUNCTION aq_ensure_partition(parent regclass, instant timestamptz)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	lo timestamptz := date_trunc('month', instant AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
	hi timestamptz := lo + interval '1 month';
	nsp name;
	base name;
	part name;
	keycol name;
	def regclass;
	moved bigint;
BEGIN
	SELECT n.nspname, c.relname INTO nsp, base
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = parent;
	part := base || '_y' || to_char(lo AT TIME ZONE 'UTC', 'YYYY') ||
		'm' || to_char(lo AT TIME ZONE 'UTC', 'MM');
	IF to_regclass(format('%I.%I', nsp, part)) IS NOT NULL THEN
		RETURN part;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('aq_ensure_partition'), parent::oid::int);
	IF to_regclass(format('%I.%I', nsp, part)) IS NOT NULL THEN
		RETURN part;
	END IF;
	SELECT nullif(p.partdefid, 0)::regclass, a.attname INTO def, keycol
	FROM pg_partitioned_table p
	JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
	WHERE p.partrelid = parent;
	IF keycol IS NULL THEN
		RAISE EXCEPTION '% is not partitioned by one column', parent;
	END IF;

	EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
		nsp, part, parent);
	IF def IS NOT NULL THEN
		EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= $1 AND %I < $2 RETURNING *)
			INSERT INTO %I.%I SELECT * FROM moved', def, keycol, keycol, nsp, part)
			USING lo, hi;
		GET DIAGNOSTICS moved = ROW_COUNT;
		IF moved > 0 THEN
			RAISE NOTICE 'moved % rows of % from % into %', moved,
				to_char(lo AT TIME ZONE 'UTC', 'YYYY-MM'), def, part;
		END IF;
	END IF;
	EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
		parent, nsp, part, lo, hi);
	RETURN part;
END
$$;

COMMENT ON FUNCTION aq_ensure_partition(regclass, timestamptz) IS
	'Create the monthly (UTC) partition of parent that holds instant, moving its rows out of the default partition first; returns the partition name';
