/* sensors.c: the --sensors lookup table of aq-norm. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "field.h"
#include "idset.h"
#include "row.h"
#include "sensors.h"

struct param {
	int64_t id;
	const char *name, *units;
};

struct sensors {
	struct idmap ids;		/* id -> index into info */
	struct sensor_info *info;	/* in the order first seen */
	int64_t *order;			/* the ids, in the same order */
	size_t cap;
	struct param *params;
	size_t nparams;
	char **strs;			/* interned strings: few distinct ones */
	size_t nstrs;
};

struct sensors *
sensors_new(void)
{
	struct sensors *s = calloc(1, sizeof *s);

	if (s == NULL)
		rows_nomem();
	return s;
}

void
sensors_free(struct sensors *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->strs);
	idmap_free(&s->ids);
	free(s->info);
	free(s->order);
	free(s->params);
	free(s);
}

static const char *
intern(struct sensors *s, const char *p, size_t len)
{
	size_t i;
	char *c;

	if (p == NULL)
		return NULL;
	for (i = 0; i < s->nstrs; i++)
		if (strlen(s->strs[i]) == len && memcmp(s->strs[i], p, len) == 0)
			return s->strs[i];
	if ((s->nstrs & (s->nstrs - 1)) == 0) {
		char **n = realloc(s->strs, (s->nstrs ? s->nstrs * 2 : 8) * sizeof *n);

		if (n == NULL)
			rows_nomem();
		s->strs = n;
	}
	c = cli_xmalloc(len + 1);
	memcpy(c, p, len);
	c[len] = '\0';
	s->strs[s->nstrs++] = c;
	return c;
}

static struct sensor_info *
slot(struct sensors *s, int64_t id)
{
	int isnew;
	size_t i = idmap_put(&s->ids, id, &isnew);

	if (i >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 512;
		struct sensor_info *n = realloc(s->info, cap * sizeof *n);
		int64_t *order = realloc(s->order, cap * sizeof *order);

		if (n != NULL)
			s->info = n;
		if (order != NULL)
			s->order = order;
		if (n == NULL || order == NULL)
			rows_nomem();
		s->cap = cap;
	}
	if (isnew) {
		memset(&s->info[i], 0, sizeof s->info[i]);
		s->info[i].id = id;
		s->order[i] = id;
	}
	return &s->info[i];
}

const struct sensor_info *
sensors_find(const struct sensors *s, int64_t id)
{
	size_t i;

	if (s == NULL || (i = idmap_get(&s->ids, id)) == IDMAP_NONE)
		return NULL;
	return &s->info[i];
}

size_t
sensors_count(const struct sensors *s)
{
	return s ? s->ids.n : 0;
}

const int64_t *
sensors_ids(const struct sensors *s, size_t *n)
{
	*n = s->ids.n;
	return s->order;
}

/* One sensor, from a location's sensors[] or a sensor record.  A later
 * record for the same sensor wins, field by field. */
static void
add_sensor(struct sensors *s, const struct aq_value *v, int64_t loc, const double *coords)
{
	const struct aq_value *p = aq_value_get(v, "parameter");
	struct sensor_info *e;
	const char *str;
	size_t len;
	int64_t id, pid;

	if (get_id(aq_value_get(v, "id"), "id", &id) != FIELD_OK)
		return;
	e = slot(s, id);
	if (loc > 0)
		e->location_id = loc;
	if (get_id(aq_value_get(p, "id"), "parameter.id", &pid) == FIELD_OK)
		e->parameter_id = pid;
	if (get_str(aq_value_get(p, "name"), "", &str, &len) == FIELD_OK)
		e->parameter = intern(s, str, len);
	if (get_str(aq_value_get(p, "units"), "", &str, &len) == FIELD_OK)
		e->units = intern(s, str, len);
	if (coords != NULL) {
		e->latitude = coords[0];
		e->longitude = coords[1];
		e->has_coords = 1;
	}
}

enum { REC_NONE, REC_SENSORS, REC_PARAMETER, REC_BADSINCE };

/* A record's "since" (aq-fetch --sensors-from incremental rows): absent,
 * null (no start: --from), or a time with a zone.  Returns REC_NONE when
 * the record has none, REC_SENSORS when taken, REC_BADSINCE when unusable. */
static int
take_since(struct sensors *s, const struct aq_value *rec)
{
	const struct aq_value *v = aq_value_get(rec, "since");
	struct sensor_info *e;
	struct aq_time t;
	const char *str;
	size_t len;
	int64_t id;

	if (v == NULL)
		return REC_NONE;
	if (get_id(aq_value_get(rec, "id"), "id", &id) != FIELD_OK)
		return REC_BADSINCE;
	if (aq_value_type(v) == AQ_NULL) {
		(void)slot(s, id);
		return REC_SENSORS;
	}
	if ((str = aq_value_string(v, &len)) == NULL || aq_time_parse(str, len, &t) != AQ_OK ||
	    !t.has_zone)
		return REC_BADSINCE;
	e = slot(s, id);
	e->since = t.usec;
	e->has_since = 1;
	return REC_SENSORS;
}

/* Take what rec says of sensors or parameters; returns what it was. */
static int
record(struct sensors *s, const struct aq_value *rec)
{
	const struct aq_value *v, *c;
	const char *str;
	size_t len;
	int64_t id, loc = 0, pid;
	double coords[2], *pc = NULL;
	int since = take_since(s, rec);

	if (since == REC_BADSINCE)
		return since;
	v = aq_value_get(rec, "sensors");
	if (aq_value_type(v) == AQ_ARRAY) {
		/* an aq-fetch locations record */
		if (get_id(aq_value_get(rec, "id"), "id", &loc) != FIELD_OK)
			return REC_NONE;
		c = aq_value_get(rec, "coordinates");
		if (aq_value_number(aq_value_get(c, "latitude"), &coords[0]) == AQ_OK &&
		    aq_value_number(aq_value_get(c, "longitude"), &coords[1]) == AQ_OK)
			pc = coords;
		for (c = aq_value_first(v); c != NULL; c = aq_value_next(c))
			add_sensor(s, c, loc, pc);
		return REC_SENSORS;
	}
	if (aq_value_type(aq_value_get(rec, "parameter")) == AQ_OBJECT) {
		/* /locations/{id}/sensors (locationsId added by aq-fetch) or
		 * /sensors/{id} */
		if (get_id(aq_value_get(rec, "id"), "id", &id) != FIELD_OK)
			return REC_NONE;
		if (get_id(aq_value_get(rec, "locationsId"), "", &loc) != FIELD_OK)
			loc = 0;
		add_sensor(s, rec, loc, NULL);
		return REC_SENSORS;
	}
	if (aq_value_get(rec, "parameter_id") != NULL || aq_value_get(rec, "location_id") != NULL) {
		/* an aq-dims sensor row */
		struct sensor_info *e;

		if (get_id(aq_value_get(rec, "id"), "id", &id) != FIELD_OK)
			return REC_NONE;
		e = slot(s, id);
		if (get_id(aq_value_get(rec, "location_id"), "", &loc) == FIELD_OK)
			e->location_id = loc;
		if (get_id(aq_value_get(rec, "parameter_id"), "", &pid) == FIELD_OK)
			e->parameter_id = pid;
		/* the API names a sensor "<parameter> <units>"; parameter
		 * rows, when given, take precedence (sensors_done) */
		if (get_str(aq_value_get(rec, "name"), "", &str, &len) == FIELD_OK) {
			const char *sp = memchr(str, ' ', len);

			if (sp != NULL && sp > str && sp + 1 < str + len &&
			    memchr(sp + 1, ' ', (size_t)(str + len - sp - 1)) == NULL) {
				e->parameter = intern(s, str, (size_t)(sp - str));
				e->units = intern(s, sp + 1, (size_t)(str + len - sp - 1));
			}
		}
		return REC_SENSORS;
	}
	if (aq_value_get(rec, "units") != NULL) {
		/* a parameter record or an aq-dims parameter row */
		struct param *p;

		size_t i;

		if (get_id(aq_value_get(rec, "id"), "id", &id) != FIELD_OK)
			return REC_NONE;
		for (i = 0; i < s->nparams && s->params[i].id != id; i++)
			;
		if (i == s->nparams) {
			p = realloc(s->params, (s->nparams + 1) * sizeof *p);
			if (p == NULL)
				rows_nomem();
			s->params = p;
			s->nparams++;
		}
		p = &s->params[i];
		p->id = id;
		p->name = get_str(aq_value_get(rec, "name"), "", &str, &len) == FIELD_OK ?
		    intern(s, str, len) : NULL;
		p->units = get_str(aq_value_get(rec, "units"), "", &str, &len) == FIELD_OK ?
		    intern(s, str, len) : NULL;
		return REC_PARAMETER;
	}
	return since;
}

struct load {
	struct sensors *s;
	const char *opt;
	int flags;
	unsigned long unused;
};

static void
on_sensor_record(void *arg, struct aq_reader *r, const struct aq_value *rec)
{
	struct load *l = arg;
	int kind = record(l->s, rec);

	if (kind == REC_BADSINCE)
		cli_errx(EX_DATAERR, "%s %s:%ld: \"since\" needs an \"id\" and null or a time "
		    "with its zone (2025-03-01T04:00:00Z)", l->opt, aq_reader_name(r),
		    aq_reader_line(r));
	if (kind == REC_SENSORS || (kind == REC_PARAMETER && !(l->flags & SENSORS_ONLY)))
		return;
	if (l->flags & SENSORS_ONLY)
		cli_errx(EX_DATAERR, "%s %s:%ld: neither a location with sensors, a sensor "
		    "record nor a sensor row", l->opt, aq_reader_name(r), aq_reader_line(r));
	l->unused++;
}

void
sensors_load(struct sensors *s, const char *path, const char *opt, int flags)
{
	struct load l = {s, opt, flags, 0};

	cli_read_file(path, opt, CLI_FILE_STDIN, on_sensor_record, &l);
	if (l.unused > 0)
		cli_warnx("%s %s: %lu records are neither locations, sensors nor "
		    "parameters", opt, path, l.unused);
}

static int
by_id(const void *a, const void *b)
{
	const struct param *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void
sensors_done(struct sensors *s)
{
	struct param key, *p;
	size_t j;

	if (s->nparams == 0)
		return;
	qsort(s->params, s->nparams, sizeof *s->params, by_id);
	for (j = 0; j < s->ids.n; j++) {
		struct sensor_info *e = &s->info[j];

		key.id = e->parameter_id;
		if (e->id == 0 || e->parameter_id == 0 ||
		    (p = bsearch(&key, s->params, s->nparams, sizeof *p, by_id)) == NULL)
			continue;
		if (p->name != NULL)
			e->parameter = p->name;
		if (p->units != NULL)
			e->units = p->units;
	}
}

int
sensors_parameter(const struct sensors *s, int64_t id, const char **name, const char **units)
{
	struct param key, *p;

	if (s == NULL || s->nparams == 0 || id <= 0)
		return 0;
	key.id = id;
	if ((p = bsearch(&key, s->params, s->nparams, sizeof *p, by_id)) == NULL)
		return 0;
	*name = p->name;
	*units = p->units;
	return 1;
}
