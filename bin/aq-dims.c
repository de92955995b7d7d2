/* aq-dims: turns raw OpenAQ records into dimension rows. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "field.h"
#include "idset.h"
#include "row.h"

/* What a record is, told by the members only that kind has. */
enum class {
	R_LOCATION, R_READING, R_COUNTRY, R_PROVIDER, R_LICENSE, R_SENSOR, R_PARAMETER,
	R_INSTRUMENT, R_MANUFACTURER, R_PLAIN
};

static const char *const class_names[] = {
	"a location", "a reading", "a country", "a provider", "a license", "a sensor",
	"a parameter", "an instrument", "a manufacturer", "an unknown"
};

struct pending {
	size_t off, len;
	int64_t a, b, c;	/* the de-duplication key */
};

static struct {
	const char *kind;
	struct cli_rejects rejects;
	struct idset seen;
	struct aq_buf cur;	/* the row being built */
	struct aq_buf rows;	/* rows of the current record, written if it is good */
	struct pending *pend;
	size_t npend, cap;
	unsigned long records, written, duplicates, empty;
	int error;
} g;

static void CLI_DEAD
usage(int status)
{
	FILE *fp = status ? stderr : stdout;

	fprintf(fp, "usage: aq-dims [-q] [--reject file] [--max-rejects n] kind [file ...]\n");
	if (status == 0)
		fputs("\naq-dims turns raw OpenAQ records into dimension rows.\n"
		    "\n"
		    "kind: countries, parameters, locations, sensors, providers, owners,\n"
		    "      manufacturers, instruments, licenses, location-licenses,\n"
		    "      location-instruments\n"
		    "\n"
		    "  -r, --reject FILE      append rejected records to FILE (else stop at the first)\n"
		    "  -m, --max-rejects N    exit 65 after more than N rejects\n"
		    "  -q, --quiet            no summary line on stderr\n"
		    "  -h, --help             show this help and exit\n"
		    "  -V, --version          show the version and exit\n"
		    "\nSee aq-dims(1).\n", fp);
	exit(status);
}

static int
classify(const struct aq_value *rec)
{
	if (aq_value_type(aq_value_get(rec, "sensors")) == AQ_ARRAY ||
	    aq_value_get(rec, "timezone") != NULL)
		return R_LOCATION;
	if (aq_value_get(rec, "period") != NULL || aq_value_get(rec, "sensors_id") != NULL ||
	    (aq_value_get(rec, "datetime") != NULL && aq_value_get(rec, "value") != NULL))
		return R_READING;
	if (aq_value_get(rec, "code") != NULL)
		return R_COUNTRY;
	if (aq_value_get(rec, "sourceName") != NULL || aq_value_get(rec, "exportPrefix") != NULL ||
	    aq_value_get(rec, "datetimeAdded") != NULL)
		return R_PROVIDER;
	if (aq_value_get(rec, "commercialUseAllowed") != NULL ||
	    aq_value_get(rec, "attributionRequired") != NULL ||
	    aq_value_get(rec, "redistributionAllowed") != NULL)
		return R_LICENSE;
	if (aq_value_type(aq_value_get(rec, "parameter")) == AQ_OBJECT)
		return R_SENSOR;
	if (aq_value_get(rec, "units") != NULL)
		return R_PARAMETER;
	if (aq_value_get(rec, "manufacturer") != NULL || aq_value_get(rec, "isMonitor") != NULL)
		return R_INSTRUMENT;
	if (aq_value_type(aq_value_get(rec, "instruments")) == AQ_ARRAY)
		return R_MANUFACTURER;
	return R_PLAIN;
}

/* ---- rows of one record: kept until the whole record is known good ---- */

/* Two independent 64-bit hashes of a row: with its first key column they
 * tell identical rows apart from different ones with the same id. */
static void
row_hash(const char *s, size_t len, int64_t *h1, int64_t *h2)
{
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		a = (a ^ (unsigned char)s[i]) * 0x100000001b3ULL;
		b = (b + (unsigned char)s[i]) * 0xff51afd7ed558ccdULL;
		b ^= b >> 32;
	}
	*h1 = (int64_t)a;
	*h2 = (int64_t)b;
}

static void
push(int64_t a)
{
	struct pending *p;
	int64_t b, c;

	if (g.npend == g.cap) {
		g.cap = g.cap ? g.cap * 2 : 16;
		if ((g.pend = realloc(g.pend, g.cap * sizeof *g.pend)) == NULL)
			rows_nomem();
	}
	row_hash(g.cur.data, g.cur.len, &b, &c);
	p = &g.pend[g.npend++];
	p->off = g.rows.len;
	p->len = g.cur.len;
	p->a = a;
	p->b = b;
	p->c = c;
	if (aq_buf_append(&g.rows, g.cur.data, g.cur.len) != AQ_OK)
		rows_nomem();
}

static void
drop(void)
{
	g.npend = 0;
	aq_buf_reset(&g.rows);
}

static void
commit(void)
{
	size_t i;

	if (g.npend == 0)
		g.empty++;
	for (i = 0; i < g.npend; i++) {
		struct pending *p = &g.pend[i];

		/* a row identical to one written before says nothing new;
		 * rows that differ are all written, so the later one wins in
		 * aq-load's upsert */
		if (!idset_add(&g.seen, p->a, p->b, p->c)) {
			g.duplicates++;
			continue;
		}
		if (g.error == 0 && fwrite(g.rows.data + p->off, 1, p->len, stdout) != p->len) {
			cli_warn("stdout");
			g.error = EX_IOERR;
		}
		g.written++;
	}
	drop();
}

/* ---- fields, each returning NULL or the reason ---- */

/* "what[i]: reason" for an element of an array. */
static const char *
nested(const char *what, size_t i, const char *reason)
{
	char t[256];

	snprintf(t, sizeof t, "%s", reason);
	return why("%s[%zu]: %s", what, i, t);
}

static const char *
str(struct aq_buf *b, const char *col, const struct aq_value *v, const char *name)
{
	const char *s;
	size_t len;

	if (get_str(v, name, &s, &len) == FIELD_BAD)
		return why_last();
	row_str(b, col, s, len);
	return NULL;
}

static const char *
boolean(struct aq_buf *b, const char *col, const struct aq_value *v, const char *name)
{
	int x;

	if (get_bool(v, name, &x) == FIELD_BAD)
		return why_last();
	row_bool(b, col, x);
	return NULL;
}

static const char *
number(struct aq_buf *b, const char *col, const struct aq_value *v, const char *name)
{
	const char *t;
	size_t len;
	double d;
	char tmp[32];
	int rc = get_num(v, name, &t, &len, &d, tmp);

	if (rc == FIELD_BAD)
		return why_last();
	row_num(b, col, rc == FIELD_OK ? t : NULL, len);
	return NULL;
}

static const char *
timestamp(struct aq_buf *b, const char *col, const struct aq_value *v, const char *name)
{
	char out[AQ_TIME_BUFSZ];
	size_t len;
	int64_t usec;
	int rc = get_time(v, name, out, &len, &usec);

	if (rc == FIELD_BAD)
		return why_last();
	row_str(b, col, rc == FIELD_OK ? out : NULL, len);
	return NULL;
}

static const char *
date(struct aq_buf *b, const char *col, const struct aq_value *v, const char *name)
{
	const char *s;
	size_t len;
	int rc = get_date(v, name, &s, &len);

	if (rc == FIELD_BAD)
		return why_last();
	row_str(b, col, rc == FIELD_OK ? s : NULL, len);
	return NULL;
}

/* An optional {id, ...} member: its id or 0. */
static const char *
ref(const struct aq_value *v, const char *name, int64_t *out)
{
	char n[64];

	*out = 0;
	if (aq_value_is_null(v))
		return NULL;
	if (aq_value_type(v) != AQ_OBJECT)
		return why("%s is not an object", name);
	snprintf(n, sizeof n, "%s.id", name);
	return field_id(aq_value_get(v, "id"), n, out, 0);
}

#define TRY(x) do { const char *r_ = (x); if (r_ != NULL) return r_; } while (0)

/* ---- one builder per table: rec is the record or the nested object ---- */

/* id and name: owners, manufacturers */
static const char *
id_name(const struct aq_value *v)
{
	int64_t i;

	TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
	row_begin(&g.cur);
	row_int(&g.cur, "id", i);
	TRY(str(&g.cur, "name", aq_value_get(v, "name"), "name"));
	row_end(&g.cur);
	push(i);
	return NULL;
}

static const char *
country(const struct aq_value *v)
{
	int64_t i;

	TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
	row_begin(&g.cur);
	row_int(&g.cur, "id", i);
	TRY(str(&g.cur, "code", aq_value_get(v, "code"), "code"));
	TRY(str(&g.cur, "name", aq_value_get(v, "name"), "name"));
	TRY(timestamp(&g.cur, "datetime_first", aq_value_get(v, "datetimeFirst"), "datetimeFirst"));
	TRY(timestamp(&g.cur, "datetime_last", aq_value_get(v, "datetimeLast"), "datetimeLast"));
	row_end(&g.cur);
	push(i);
	return NULL;
}

static const char *
parameter(const struct aq_value *v)
{
	int64_t i;

	TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
	row_begin(&g.cur);
	row_int(&g.cur, "id", i);
	TRY(str(&g.cur, "name", aq_value_get(v, "name"), "name"));
	TRY(str(&g.cur, "units", aq_value_get(v, "units"), "units"));
	TRY(str(&g.cur, "display_name", aq_value_get(v, "displayName"), "displayName"));
	TRY(str(&g.cur, "description", aq_value_get(v, "description"), "description"));
	row_end(&g.cur);
	push(i);
	return NULL;
}

static const char *
location(const struct aq_value *v)
{
	const struct aq_value *c = aq_value_get(v, "country"), *coords;
	int64_t i, cid, pid, oid;

	TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
	row_begin(&g.cur);
	row_int(&g.cur, "id", i);
	TRY(str(&g.cur, "name", aq_value_get(v, "name"), "name"));
	TRY(str(&g.cur, "locality", aq_value_get(v, "locality"), "locality"));
	TRY(str(&g.cur, "timezone", aq_value_get(v, "timezone"), "timezone"));
	TRY(ref(c, "country", &cid));
	row_oint(&g.cur, "country_id", cid != 0, cid);
	TRY(str(&g.cur, "country_code", aq_value_get(c, "code"), "country.code"));
	TRY(ref(aq_value_get(v, "provider"), "provider", &pid));
	row_oint(&g.cur, "provider_id", pid != 0, pid);
	TRY(ref(aq_value_get(v, "owner"), "owner", &oid));
	row_oint(&g.cur, "owner_id", oid != 0, oid);
	TRY(boolean(&g.cur, "is_mobile", aq_value_get(v, "isMobile"), "isMobile"));
	TRY(boolean(&g.cur, "is_monitor", aq_value_get(v, "isMonitor"), "isMonitor"));
	coords = aq_value_get(v, "coordinates");
	if (!aq_value_is_null(coords) && aq_value_type(coords) != AQ_OBJECT)
		return "coordinates is not an object";
	TRY(number(&g.cur, "latitude", aq_value_get(coords, "latitude"),
	    "coordinates.latitude"));
	TRY(number(&g.cur, "longitude", aq_value_get(coords, "longitude"),
	    "coordinates.longitude"));
	TRY(timestamp(&g.cur, "datetime_first", aq_value_get(v, "datetimeFirst"), "datetimeFirst"));
	TRY(timestamp(&g.cur, "datetime_last", aq_value_get(v, "datetimeLast"), "datetimeLast"));
	row_end(&g.cur);
	push(i);
	return NULL;
}

static const char *
sensor(const struct aq_value *v, int64_t loc)
{
	int64_t i, pid;

	TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
	TRY(ref(aq_value_get(v, "parameter"), "parameter", &pid));
	row_begin(&g.cur);
	row_int(&g.cur, "id", i);
	row_oint(&g.cur, "location_id", loc != 0, loc);
	row_oint(&g.cur, "parameter_id", pid != 0, pid);
	TRY(str(&g.cur, "name", aq_value_get(v, "name"), "name"));
	row_end(&g.cur);
	push(i);
	return NULL;
}

static const char *
provider(const struct aq_value *v)
{
	int64_t i;

	TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
	row_begin(&g.cur);
	row_int(&g.cur, "id", i);
	TRY(str(&g.cur, "name", aq_value_get(v, "name"), "name"));
	TRY(str(&g.cur, "source_name", aq_value_get(v, "sourceName"), "sourceName"));
	TRY(str(&g.cur, "export_prefix", aq_value_get(v, "exportPrefix"), "exportPrefix"));
	TRY(timestamp(&g.cur, "datetime_added", aq_value_get(v, "datetimeAdded"), "datetimeAdded"));
	TRY(timestamp(&g.cur, "datetime_first", aq_value_get(v, "datetimeFirst"), "datetimeFirst"));
	TRY(timestamp(&g.cur, "datetime_last", aq_value_get(v, "datetimeLast"), "datetimeLast"));
	row_end(&g.cur);
	push(i);
	return NULL;
}

static const char *
instrument(const struct aq_value *v, int64_t manufacturer)
{
	int64_t i, mid = manufacturer;

	TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
	if (mid == 0)
		TRY(ref(aq_value_get(v, "manufacturer"), "manufacturer", &mid));
	row_begin(&g.cur);
	row_int(&g.cur, "id", i);
	TRY(str(&g.cur, "name", aq_value_get(v, "name"), "name"));
	TRY(boolean(&g.cur, "is_monitor", aq_value_get(v, "isMonitor"), "isMonitor"));
	row_oint(&g.cur, "manufacturer_id", mid != 0, mid);
	row_end(&g.cur);
	push(i);
	return NULL;
}

static const char *
license(const struct aq_value *v)
{
	static const char *const flags[][2] = {
		{"commercial_use_allowed", "commercialUseAllowed"},
		{"attribution_required", "attributionRequired"},
		{"share_alike_required", "shareAlikeRequired"},
		{"modification_allowed", "modificationAllowed"},
		{"redistribution_allowed", "redistributionAllowed"},
	};
	int64_t i;
	size_t k;

	TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
	row_begin(&g.cur);
	row_int(&g.cur, "id", i);
	TRY(str(&g.cur, "name", aq_value_get(v, "name"), "name"));
	for (k = 0; k < sizeof flags / sizeof flags[0]; k++)
		TRY(boolean(&g.cur, flags[k][0], aq_value_get(v, flags[k][1]), flags[k][1]));
	TRY(str(&g.cur, "source_url", aq_value_get(v, "sourceUrl"), "sourceUrl"));
	row_end(&g.cur);
	push(i);
	return NULL;
}

static const char *
location_license(const struct aq_value *v, int64_t loc)
{
	const struct aq_value *a = aq_value_get(v, "attribution");
	int64_t lic;

	TRY(field_id(aq_value_get(v, "id"), "id", &lic, 1));
	if (!aq_value_is_null(a) && aq_value_type(a) != AQ_OBJECT)
		return "attribution is not an object";
	row_begin(&g.cur);
	row_int(&g.cur, "location_id", loc);
	row_int(&g.cur, "license_id", lic);
	TRY(str(&g.cur, "attribution_name", aq_value_get(a, "name"), "attribution.name"));
	TRY(str(&g.cur, "attribution_url", aq_value_get(a, "url"), "attribution.url"));
	TRY(date(&g.cur, "date_from", aq_value_get(v, "dateFrom"), "dateFrom"));
	TRY(date(&g.cur, "date_to", aq_value_get(v, "dateTo"), "dateTo"));
	row_end(&g.cur);
	push(loc);
	return NULL;
}

static const char *
location_instrument(const struct aq_value *v, int64_t loc)
{
	int64_t inst;

	TRY(field_id(aq_value_get(v, "id"), "id", &inst, 1));
	row_begin(&g.cur);
	row_int(&g.cur, "location_id", loc);
	row_int(&g.cur, "instrument_id", inst);
	row_end(&g.cur);
	push(loc);
	return NULL;
}

/* ---- nested objects and arrays ---- */

/* fn over each element of rec's array member; a null or absent array has
 * no elements */
static const char *
each(const struct aq_value *rec, const char *member,
    const char *(*fn)(const struct aq_value *, int64_t), int64_t arg)
{
	const struct aq_value *a = aq_value_get(rec, member), *e;
	const char *reason;
	size_t i = 0;

	if (aq_value_is_null(a))
		return NULL;
	if (aq_value_type(a) != AQ_ARRAY)
		return why("%s is not an array", member);
	for (e = aq_value_first(a); e != NULL; e = aq_value_next(e), i++) {
		if (aq_value_type(e) != AQ_OBJECT)
			return nested(member, i, "not an object");
		if ((reason = fn(e, arg)) != NULL)
			return nested(member, i, reason);
	}
	return NULL;
}

/* the same, for builders without an argument */
static const char *(*each_fn)(const struct aq_value *);

static const char *
each_adapter(const struct aq_value *v, int64_t arg)
{
	return each_fn(v);
}

static const char *
each1(const struct aq_value *rec, const char *member, const char *(*fn)(const struct aq_value *))
{
	each_fn = fn;
	return each(rec, member, each_adapter, 0);
}

static const char *
sensor_parameter(const struct aq_value *v, int64_t arg)
{
	const struct aq_value *p = aq_value_get(v, "parameter");

	if (aq_value_is_null(p))
		return NULL;
	if (aq_value_type(p) != AQ_OBJECT)
		return "parameter is not an object";
	return parameter(p);
}

/* A nested {id, name...} object, such as a location's owner: nothing when
 * it is null or its id is null. */
static const char *
one(const struct aq_value *rec, const char *member, const char *(*fn)(const struct aq_value *))
{
	const struct aq_value *v = aq_value_get(rec, member);
	const char *reason;
	char t[256];

	if (aq_value_is_null(v) || aq_value_is_null(aq_value_get(v, "id")))
		return NULL;
	if (aq_value_type(v) != AQ_OBJECT)
		return why("%s is not an object", member);
	if ((reason = fn(v)) != NULL) {
		snprintf(t, sizeof t, "%s", reason);
		return why("%s: %s", member, t);
	}
	return NULL;
}

/* ---- kinds ---- */

static const char *
k_countries(const struct aq_value *rec, int cls)
{
	if (cls == R_COUNTRY)
		return country(rec);
	if (cls == R_LOCATION)
		return one(rec, "country", country);
	return why("%s record has no countries", class_names[cls]);
}

static const char *
k_parameters(const struct aq_value *rec, int cls)
{
	switch (cls) {
	case R_PARAMETER:
		return parameter(rec);
	case R_LOCATION:
		return each(rec, "sensors", sensor_parameter, 0);
	case R_SENSOR:
		return sensor_parameter(rec, 0);
	case R_COUNTRY:
	case R_PROVIDER:
		return each1(rec, "parameters", parameter);
	}
	return why("%s record has no parameters", class_names[cls]);
}

static const char *
k_locations(const struct aq_value *rec, int cls)
{
	if (cls == R_LOCATION)
		return location(rec);
	return why("%s record is not a location", class_names[cls]);
}

static const char *
k_sensors(const struct aq_value *rec, int cls)
{
	int64_t loc;

	if (cls == R_LOCATION) {
		TRY(field_id(aq_value_get(rec, "id"), "id", &loc, 1));
		return each(rec, "sensors", sensor, loc);
	}
	if (cls == R_SENSOR) {
		/* /locations/{id}/sensors: aq-fetch adds locationsId;
		 * /sensors/{id} records do not say where they are */
		TRY(field_id(aq_value_get(rec, "locationsId"), "locationsId", &loc, 0));
		return sensor(rec, loc);
	}
	return why("%s record has no sensors", class_names[cls]);
}

static const char *
k_providers(const struct aq_value *rec, int cls)
{
	if (cls == R_PROVIDER)
		return provider(rec);
	if (cls == R_LOCATION)
		return one(rec, "provider", provider);
	return why("%s record has no providers", class_names[cls]);
}

static const char *
k_owners(const struct aq_value *rec, int cls)
{
	if (cls == R_PLAIN)
		return id_name(rec);
	if (cls == R_LOCATION)
		return one(rec, "owner", id_name);
	return why("%s record has no owners", class_names[cls]);
}

static const char *
k_manufacturers(const struct aq_value *rec, int cls)
{
	if (cls == R_PLAIN || cls == R_MANUFACTURER)
		return id_name(rec);
	if (cls == R_INSTRUMENT)
		return one(rec, "manufacturer", id_name);
	return why("%s record has no manufacturers", class_names[cls]);
}

static const char *
k_instruments(const struct aq_value *rec, int cls)
{
	int64_t mid;

	switch (cls) {
	case R_INSTRUMENT:
		return instrument(rec, 0);
	case R_MANUFACTURER:
		TRY(field_id(aq_value_get(rec, "id"), "id", &mid, 1));
		return each(rec, "instruments", instrument, mid);
	case R_LOCATION:
		return each(rec, "instruments", instrument, 0);
	}
	return why("%s record has no instruments", class_names[cls]);
}

static const char *
k_licenses(const struct aq_value *rec, int cls)
{
	if (cls == R_LICENSE)
		return license(rec);
	if (cls == R_LOCATION)
		return each1(rec, "licenses", license);
	return why("%s record has no licenses", class_names[cls]);
}

static const char *
k_location_licenses(const struct aq_value *rec, int cls)
{
	int64_t loc;

	if (cls != R_LOCATION)
		return why("%s record is not a location", class_names[cls]);
	TRY(field_id(aq_value_get(rec, "id"), "id", &loc, 1));
	return each(rec, "licenses", location_license, loc);
}

static const char *
k_location_instruments(const struct aq_value *rec, int cls)
{
	int64_t loc;

	if (cls != R_LOCATION)
		return why("%s record is not a location", class_names[cls]);
	TRY(field_id(aq_value_get(rec, "id"), "id", &loc, 1));
	return each(rec, "instruments", location_instrument, loc);
}

static const struct {
	const char *name;
	const char *(*fn)(const struct aq_value *, int);
} kinds[] = {
	{"countries", k_countries},
	{"parameters", k_parameters},
	{"locations", k_locations},
	{"sensors", k_sensors},
	{"providers", k_providers},
	{"owners", k_owners},
	{"manufacturers", k_manufacturers},
	{"instruments", k_instruments},
	{"licenses", k_licenses},
	{"location-licenses", k_location_licenses},
	{"location-instruments", k_location_instruments},
};

static const char *(*kind_fn)(const struct aq_value *, int);

static int
on_record(void *arg, struct aq_reader *r, const struct aq_value *rec)
{
	const char *reason;

	g.records++;
	if ((reason = kind_fn(rec, classify(rec))) != NULL) {
		drop();
		return cli_reject(&g.rejects, aq_reader_name(r), aq_reader_line(r), reason, rec,
		    NULL, 0);
	}
	commit();
	return g.error;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"reject", required_argument, NULL, 'r'},
		{"max-rejects", required_argument, NULL, 'm'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *reject_path = NULL;
	unsigned long max_rejects = 0;
	struct cli_loop loop;
	int ch, quiet = 0, status, st2;
	size_t k;

	cli_init("aq-dims");
	while ((ch = getopt_long(argc, argv, "r:m:qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			reject_path = optarg;
			break;
		case 'm':
			max_rejects = cli_uint("--max-rejects", optarg, 0, 1UL << 40);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(0);
		case 'V':
			cli_version();
			return 0;
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;

	if (argc < 1)
		cli_usage_error("no kind given (countries, parameters, locations, sensors, ...)");
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		if (strcmp(argv[0], kinds[k].name) == 0)
			kind_fn = kinds[k].fn;
	if (kind_fn == NULL)
		cli_usage_error("unknown kind '%s'", argv[0]);
	g.kind = argv[0];
	argc--;
	argv++;

	/* ids seen, for de-duplication: 256k keys (6 MB) at most */
	idset_init(&g.seen, 1UL << 18);
	cli_rejects_open(&g.rejects, reject_path, max_rejects);
	cli_catch_signals();
	memset(&loop, 0, sizeof loop);
	loop.record = on_record;
	loop.rejects = &g.rejects;
	status = cli_loop_run(&loop, argc, argv);
	g.records += loop.lines_bad;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (g.error == 0)
			cli_warn("stdout");
		status = EX_IOERR;
	}
	if ((st2 = cli_rejects_close(&g.rejects)) != 0 && status == 0)
		status = st2;
	if (!quiet)
		cli_warnx("%s: %lu records, %lu rows, %lu rejects, %lu duplicates, "
		    "%lu records without rows", g.kind, g.records, g.written, g.rejects.count,
		    g.duplicates, g.empty);
	idset_free(&g.seen);
	aq_buf_free(&g.cur);
	aq_buf_free(&g.rows);
	free(g.pend);
	return status;
}
