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

	fprintf(fp, "usage: aq-dims [-q] [--reject file] [--max-rejects n] kind [file ...]\n"
	    "       aq-dims --columns [kind]\n");
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
		    "  -c, --columns          list each kind's table and columns, and exit\n"
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
		if (g.error == 0 && fwrite(g.rows.data + p->off, 1, p->len, stdout) != p->len)
			g.error = cli_stdout_failed();
		g.written++;
	}
	drop();
}

/* ---- column maps: one per table, walked by build() ---- */

enum col_type {
	COL_ID,		/* an id (field.h's get_id) */
	COL_STR,	/* a string */
	COL_BOOL,	/* true, false */
	COL_NUM,	/* a number, its text kept */
	COL_TIME,	/* an instant, as UTC text */
	COL_DATE,	/* a plain date */
	COL_PARENT	/* no member: the id of the record this one is nested in */
};

struct col {
	const char *name;	/* the output column */
	const char *path;	/* the member: "a.b" is b of the object a */
	enum col_type type;
	int required;		/* null is a reject ("no id"), not a null column */
};

struct map {
	const char *table;
	const struct col *col;
	size_t ncols;
};

#define REQ 1
#define OPT 0
#define MAP(table, cols) {(table), (cols), sizeof(cols) / sizeof((cols)[0])}

static const struct col country_cols[] = {
	{"id", "id", COL_ID, REQ},
	{"code", "code", COL_STR, OPT},
	{"name", "name", COL_STR, OPT},
	{"datetime_first", "datetimeFirst", COL_TIME, OPT},
	{"datetime_last", "datetimeLast", COL_TIME, OPT},
};

static const struct col parameter_cols[] = {
	{"id", "id", COL_ID, REQ},
	{"name", "name", COL_STR, OPT},
	{"units", "units", COL_STR, OPT},
	{"display_name", "displayName", COL_STR, OPT},
	{"description", "description", COL_STR, OPT},
};

static const struct col location_cols[] = {
	{"id", "id", COL_ID, REQ},
	{"name", "name", COL_STR, OPT},
	{"locality", "locality", COL_STR, OPT},
	{"timezone", "timezone", COL_STR, OPT},
	{"country_id", "country.id", COL_ID, OPT},
	{"country_code", "country.code", COL_STR, OPT},
	{"provider_id", "provider.id", COL_ID, OPT},
	{"owner_id", "owner.id", COL_ID, OPT},
	{"is_mobile", "isMobile", COL_BOOL, OPT},
	{"is_monitor", "isMonitor", COL_BOOL, OPT},
	{"latitude", "coordinates.latitude", COL_NUM, OPT},
	{"longitude", "coordinates.longitude", COL_NUM, OPT},
	{"datetime_first", "datetimeFirst", COL_TIME, OPT},
	{"datetime_last", "datetimeLast", COL_TIME, OPT},
};

/* the parent: the location that lists the sensor, or locationsId */
static const struct col sensor_cols[] = {
	{"id", "id", COL_ID, REQ},
	{"location_id", NULL, COL_PARENT, OPT},
	{"parameter_id", "parameter.id", COL_ID, OPT},
	{"name", "name", COL_STR, OPT},
};

static const struct col provider_cols[] = {
	{"id", "id", COL_ID, REQ},
	{"name", "name", COL_STR, OPT},
	{"source_name", "sourceName", COL_STR, OPT},
	{"export_prefix", "exportPrefix", COL_STR, OPT},
	{"datetime_added", "datetimeAdded", COL_TIME, OPT},
	{"datetime_first", "datetimeFirst", COL_TIME, OPT},
	{"datetime_last", "datetimeLast", COL_TIME, OPT},
};

/* owners and manufacturers */
static const struct col id_name_cols[] = {
	{"id", "id", COL_ID, REQ},
	{"name", "name", COL_STR, OPT},
};

/* the parent: the manufacturer that lists the instrument, or its own
 * manufacturer.id (instrument() below) */
static const struct col instrument_cols[] = {
	{"id", "id", COL_ID, REQ},
	{"name", "name", COL_STR, OPT},
	{"is_monitor", "isMonitor", COL_BOOL, OPT},
	{"manufacturer_id", NULL, COL_PARENT, OPT},
};

static const struct col license_cols[] = {
	{"id", "id", COL_ID, REQ},
	{"name", "name", COL_STR, OPT},
	{"commercial_use_allowed", "commercialUseAllowed", COL_BOOL, OPT},
	{"attribution_required", "attributionRequired", COL_BOOL, OPT},
	{"share_alike_required", "shareAlikeRequired", COL_BOOL, OPT},
	{"modification_allowed", "modificationAllowed", COL_BOOL, OPT},
	{"redistribution_allowed", "redistributionAllowed", COL_BOOL, OPT},
	{"source_url", "sourceUrl", COL_STR, OPT},
};

/* an element of a location's licenses: the parent is the location */
static const struct col location_license_cols[] = {
	{"location_id", NULL, COL_PARENT, REQ},
	{"license_id", "id", COL_ID, REQ},
	{"attribution_name", "attribution.name", COL_STR, OPT},
	{"attribution_url", "attribution.url", COL_STR, OPT},
	{"date_from", "dateFrom", COL_DATE, OPT},
	{"date_to", "dateTo", COL_DATE, OPT},
};

/* an element of a location's instruments */
static const struct col location_instrument_cols[] = {
	{"location_id", NULL, COL_PARENT, REQ},
	{"instrument_id", "id", COL_ID, REQ},
};

static const struct map country_map = MAP("country", country_cols);
static const struct map parameter_map = MAP("parameter", parameter_cols);
static const struct map location_map = MAP("location", location_cols);
static const struct map sensor_map = MAP("sensor", sensor_cols);
static const struct map provider_map = MAP("provider", provider_cols);
static const struct map owner_map = MAP("owner", id_name_cols);
static const struct map manufacturer_map = MAP("manufacturer", id_name_cols);
static const struct map instrument_map = MAP("instrument", instrument_cols);
static const struct map license_map = MAP("license", license_cols);
static const struct map location_license_map = MAP("location_license", location_license_cols);
static const struct map location_instrument_map =
    MAP("location_instrument", location_instrument_cols);

#define TRY(x) do { const char *r_ = (x); if (r_ != NULL) return r_; } while (0)

/* The member at path into *out (NULL when it, or an object on the way, is
 * absent or null); the reason when an object on the way is not one. */
static const char *
member(const struct aq_value *v, const char *path, const struct aq_value **out)
{
	const char *p = path, *dot;
	char part[64];

	while ((dot = strchr(p, '.')) != NULL) {
		size_t n = (size_t)(dot - p);

		if (n >= sizeof part)
			return why("%s: too long a member name", path);	/* not in our maps */
		memcpy(part, p, n);
		part[n] = '\0';
		v = aq_value_get(v, part);
		if (aq_value_is_null(v)) {
			*out = NULL;
			return NULL;
		}
		if (aq_value_type(v) != AQ_OBJECT)
			return why("%.*s is not an object", (int)(dot - path), path);
		p = dot + 1;
	}
	*out = aq_value_get(v, p);
	return NULL;
}

/* One column of the row in g.cur: read, checked, written; *id gets an id
 * column's value (0 for null). */
static const char *
column(const struct col *c, const struct aq_value *v, int64_t *id)
{
	char t[AQ_TIME_BUFSZ], tmp[32];
	const char *s = NULL;
	size_t len = 0;
	int rc = FIELD_NULL, x = -1;
	int64_t usec;
	double d;

	switch (c->type) {
	case COL_ID:
		rc = get_id(v, c->path, id);
		break;
	case COL_STR:
		rc = get_str(v, c->path, &s, &len);
		break;
	case COL_BOOL:
		rc = get_bool(v, c->path, &x);
		break;
	case COL_NUM:
		rc = get_num(v, c->path, &s, &len, &d, tmp);
		break;
	case COL_TIME:
		rc = get_time(v, c->path, t, &len, &usec);
		s = t;
		break;
	case COL_DATE:
		rc = get_date(v, c->path, &s, &len);
		break;
	case COL_PARENT:
		return NULL;	/* build() writes it */
	}
	if (rc == FIELD_BAD)
		return why_last();
	if (rc == FIELD_NULL) {
		if (c->required)
			return why("no %s", c->path);
		*id = 0;
		s = NULL;
	}
	switch (c->type) {
	case COL_ID:
		row_oint(&g.cur, c->name, *id != 0, *id);
		break;
	case COL_BOOL:
		row_bool(&g.cur, c->name, x);
		break;
	case COL_NUM:
		row_num(&g.cur, c->name, s, len);
		break;
	case COL_STR:
	case COL_TIME:
	case COL_DATE:
		row_str(&g.cur, c->name, s, len);
		break;
	case COL_PARENT:
		break;
	}
	return NULL;
}

/* The row of map m from the object v: kept in the record's rows, keyed
 * for de-duplication by its first column. */
static const char *
build(const struct map *m, const struct aq_value *v, int64_t parent)
{
	const struct aq_value *mv;
	int64_t key = 0, x;
	size_t i;

	row_begin(&g.cur);
	for (i = 0; i < m->ncols; i++) {
		const struct col *c = &m->col[i];

		x = 0;
		if (c->type == COL_PARENT) {
			x = parent;
			row_oint(&g.cur, c->name, x != 0, x);
		} else {
			TRY(member(v, c->path, &mv));
			TRY(column(c, mv, &x));
		}
		if (i == 0)
			key = x;
	}
	row_end(&g.cur);
	push(key);
	return NULL;
}

/* "what[i]: reason" for an element of an array. */
static const char *
nested(const char *what, size_t i, const char *reason)
{
	char t[256];

	snprintf(t, sizeof t, "%s", reason);
	return why("%s[%zu]: %s", what, i, t);
}

/* ---- the special cases: what a map cannot say ---- */

/* An instrument listed under a manufacturer is that manufacturer's; one
 * on its own, or under a location, names its manufacturer (checked before
 * the other columns, as the id is). */
static const char *
instrument(const struct aq_value *v, int64_t manufacturer)
{
	const struct aq_value *mv;
	int64_t i, mid = manufacturer;

	if (mid == 0) {
		TRY(field_id(aq_value_get(v, "id"), "id", &i, 1));
		TRY(member(v, "manufacturer.id", &mv));
		TRY(field_id(mv, "manufacturer.id", &mid, 0));
	}
	return build(&instrument_map, v, mid);
}

/* fn, or else map m, over each element of rec's array member; a null or
 * absent array has no elements */
static const char *
each(const struct aq_value *rec, const char *member_name, const struct map *m,
    const char *(*fn)(const struct aq_value *, int64_t), int64_t arg)
{
	const struct aq_value *a = aq_value_get(rec, member_name), *e;
	const char *reason;
	size_t i = 0;

	if (aq_value_is_null(a))
		return NULL;
	if (aq_value_type(a) != AQ_ARRAY)
		return why("%s is not an array", member_name);
	for (e = aq_value_first(a); e != NULL; e = aq_value_next(e), i++) {
		if (aq_value_type(e) != AQ_OBJECT)
			return nested(member_name, i, "not an object");
		if ((reason = fn ? fn(e, arg) : build(m, e, arg)) != NULL)
			return nested(member_name, i, reason);
	}
	return NULL;
}

static const char *
sensor_parameter(const struct aq_value *v, int64_t arg)
{
	const struct aq_value *p = aq_value_get(v, "parameter");

	(void)arg;
	if (aq_value_is_null(p))
		return NULL;
	if (aq_value_type(p) != AQ_OBJECT)
		return "parameter is not an object";
	return build(&parameter_map, p, 0);
}

/* A nested {id, name...} object, such as a location's owner: nothing when
 * it is null or its id is null; a reject when it is not an object. */
static const char *
one(const struct aq_value *rec, const char *member_name, const struct map *m)
{
	const struct aq_value *v = aq_value_get(rec, member_name);
	const char *reason;
	char t[256];

	if (aq_value_is_null(v))
		return NULL;
	/* before the id: a string has no "id" member, and is no object either */
	if (aq_value_type(v) != AQ_OBJECT)
		return why("%s is not an object", member_name);
	if (aq_value_is_null(aq_value_get(v, "id")))
		return NULL;
	if ((reason = build(m, v, 0)) != NULL) {
		snprintf(t, sizeof t, "%s", reason);
		return why("%s: %s", member_name, t);
	}
	return NULL;
}

/* ---- kinds: which records carry a table's rows ---- */

static const char *
k_countries(const struct aq_value *rec, int cls)
{
	if (cls == R_COUNTRY)
		return build(&country_map, rec, 0);
	if (cls == R_LOCATION)
		return one(rec, "country", &country_map);
	return why("%s record has no countries", class_names[cls]);
}

static const char *
k_parameters(const struct aq_value *rec, int cls)
{
	switch (cls) {
	case R_PARAMETER:
		return build(&parameter_map, rec, 0);
	case R_LOCATION:
		return each(rec, "sensors", NULL, sensor_parameter, 0);
	case R_SENSOR:
		return sensor_parameter(rec, 0);
	case R_COUNTRY:
	case R_PROVIDER:
		return each(rec, "parameters", &parameter_map, NULL, 0);
	}
	return why("%s record has no parameters", class_names[cls]);
}

static const char *
k_locations(const struct aq_value *rec, int cls)
{
	if (cls == R_LOCATION)
		return build(&location_map, rec, 0);
	return why("%s record is not a location", class_names[cls]);
}

static const char *
k_sensors(const struct aq_value *rec, int cls)
{
	int64_t loc;

	if (cls == R_LOCATION) {
		TRY(field_id(aq_value_get(rec, "id"), "id", &loc, 1));
		return each(rec, "sensors", &sensor_map, NULL, loc);
	}
	if (cls == R_SENSOR) {
		/* /locations/{id}/sensors: aq-fetch adds locationsId;
		 * /sensors/{id} records do not say where they are */
		TRY(field_id(aq_value_get(rec, "locationsId"), "locationsId", &loc, 0));
		return build(&sensor_map, rec, loc);
	}
	return why("%s record has no sensors", class_names[cls]);
}

static const char *
k_providers(const struct aq_value *rec, int cls)
{
	if (cls == R_PROVIDER)
		return build(&provider_map, rec, 0);
	if (cls == R_LOCATION)
		return one(rec, "provider", &provider_map);
	return why("%s record has no providers", class_names[cls]);
}

static const char *
k_owners(const struct aq_value *rec, int cls)
{
	if (cls == R_PLAIN)
		return build(&owner_map, rec, 0);
	if (cls == R_LOCATION)
		return one(rec, "owner", &owner_map);
	return why("%s record has no owners", class_names[cls]);
}

static const char *
k_manufacturers(const struct aq_value *rec, int cls)
{
	if (cls == R_PLAIN || cls == R_MANUFACTURER)
		return build(&manufacturer_map, rec, 0);
	if (cls == R_INSTRUMENT)
		return one(rec, "manufacturer", &manufacturer_map);
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
		return each(rec, "instruments", NULL, instrument, mid);
	case R_LOCATION:
		return each(rec, "instruments", NULL, instrument, 0);
	}
	return why("%s record has no instruments", class_names[cls]);
}

static const char *
k_licenses(const struct aq_value *rec, int cls)
{
	if (cls == R_LICENSE)
		return build(&license_map, rec, 0);
	if (cls == R_LOCATION)
		return each(rec, "licenses", &license_map, NULL, 0);
	return why("%s record has no licenses", class_names[cls]);
}

static const char *
k_location_licenses(const struct aq_value *rec, int cls)
{
	int64_t loc;

	if (cls != R_LOCATION)
		return why("%s record is not a location", class_names[cls]);
	TRY(field_id(aq_value_get(rec, "id"), "id", &loc, 1));
	return each(rec, "licenses", &location_license_map, NULL, loc);
}

static const char *
k_location_instruments(const struct aq_value *rec, int cls)
{
	int64_t loc;

	if (cls != R_LOCATION)
		return why("%s record is not a location", class_names[cls]);
	TRY(field_id(aq_value_get(rec, "id"), "id", &loc, 1));
	return each(rec, "instruments", &location_instrument_map, NULL, loc);
}

static const struct {
	const char *name;
	const struct map *map;
	const char *(*fn)(const struct aq_value *, int);
} kinds[] = {
	{"countries", &country_map, k_countries},
	{"parameters", &parameter_map, k_parameters},
	{"locations", &location_map, k_locations},
	{"sensors", &sensor_map, k_sensors},
	{"providers", &provider_map, k_providers},
	{"owners", &owner_map, k_owners},
	{"manufacturers", &manufacturer_map, k_manufacturers},
	{"instruments", &instrument_map, k_instruments},
	{"licenses", &license_map, k_licenses},
	{"location-licenses", &location_license_map, k_location_licenses},
	{"location-instruments", &location_instrument_map, k_location_instruments},
};

static const char *(*kind_fn)(const struct aq_value *, int);

/* --columns: "kind table column..." for each kind, or for the one named. */
static int
list_columns(const char *kind, int argc)
{
	size_t k, i;
	int found = 0;

	if (argc > 1)
		cli_usage_error("--columns takes at most one kind");
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		const struct map *m = kinds[k].map;

		if (kind != NULL && strcmp(kind, kinds[k].name) != 0)
			continue;
		found = 1;
		printf("%s %s", kinds[k].name, m->table);
		for (i = 0; i < m->ncols; i++)
			printf(" %s", m->col[i].name);
		putchar('\n');
	}
	if (!found)
		cli_usage_error("unknown kind '%s'", kind);
	return cli_stdout_flush();
}

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
		{"columns", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *reject_path = NULL;
	unsigned long max_rejects = 0;
	struct cli_loop loop;
	int ch, quiet = 0, columns = 0, status, st2;
	size_t k;

	cli_init("aq-dims");
	while ((ch = getopt_long(argc, argv, "r:m:qchV", longopts, NULL)) != -1) {
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
		case 'c':
			columns = 1;
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

	if (columns)
		return list_columns(argc > 0 ? argv[0] : NULL, argc);
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
	if (fflush(stdout) == EOF || ferror(stdout))
		status = cli_stdout_failed();
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
