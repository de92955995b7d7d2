-- 001-tables: the dimension tables, keyed by OpenAQ's own ids.
-- Their columns are exactly the keys aq-dims writes (DESIGN "Dimension
-- tables").  There are no foreign keys between them: the API can name an
-- owner or a provider before we have loaded it, and a missing dimension row
-- must never stop a load (the old stack's broken foreign keys).

CREATE TABLE country (
	id integer PRIMARY KEY,
	code text,
	name text,
	datetime_first timestamptz,
	datetime_last timestamptz
);

CREATE TABLE parameter (
	id integer PRIMARY KEY,
	name text,
	units text,
	display_name text,
	description text
);

CREATE TABLE provider (
	id integer PRIMARY KEY,
	name text,
	source_name text,
	export_prefix text,
	datetime_added timestamptz,
	datetime_first timestamptz,
	datetime_last timestamptz
);

CREATE TABLE owner (
	id integer PRIMARY KEY,
	name text
);

CREATE TABLE manufacturer (
	id integer PRIMARY KEY,
	name text
);

CREATE TABLE instrument (
	id integer PRIMARY KEY,
	name text,
	is_monitor boolean,
	manufacturer_id integer
);

CREATE TABLE license (
	id integer PRIMARY KEY,
	name text,
	commercial_use_allowed boolean,
	attribution_required boolean,
	share_alike_required boolean,
	modification_allowed boolean,
	redistribution_allowed boolean,
	source_url text
);

CREATE TABLE location (
	id integer PRIMARY KEY,
	name text,
	locality text,
	timezone text,
	country_id integer,
	country_code text,
	provider_id integer,
	owner_id integer,
	is_mobile boolean,
	is_monitor boolean,
	latitude double precision,
	longitude double precision,
	datetime_first timestamptz,
	datetime_last timestamptz
);
CREATE INDEX location_country_code_idx ON location (country_code);

CREATE TABLE sensor (
	id integer PRIMARY KEY,
	location_id integer,
	parameter_id integer,
	name text
);
CREATE INDEX sensor_location_id_idx ON sensor (location_id);

CREATE TABLE location_license (
	location_id integer NOT NULL,
	license_id integer NOT NULL,
	attribution_name text,
	attribution_url text,
	date_from date,
	date_to date,
	PRIMARY KEY (location_id, license_id)
);

CREATE TABLE location_instrument (
	location_id integer NOT NULL,
	instrument_id integer NOT NULL,
	PRIMARY KEY (location_id, instrument_id)
);
