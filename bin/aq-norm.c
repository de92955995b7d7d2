/* aq-norm: turns raw OpenAQ readings into measurement rows. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "field.h"
#include "row.h"
#include "sensors.h"
#include "units.h"
#include "window.h"

/* One reading, whatever shape it came in; strings point into the record. */
struct reading {
	int64_t sensor_id, location_id, parameter_id;	/* 0: null */
	const char *parameter, *units;			/* NULL: null */
	size_t parameter_len, units_len;
	int period;
	const char *value, *lat, *lon;			/* number text; NULL: null */
	size_t value_len, lat_len, lon_len;
	double v, lat_d, lon_d;				/* the numbers read */
	const char *observed, *expected;
	size_t observed_len, expected_len;
	int flagged;					/* -1: null */
	char datetime[AQ_TIME_BUFSZ];
	size_t datetime_len;
	int64_t usec;
	char vtmp[32], lattmp[32], lontmp[32], coordtmp[2][32], obstmp[24], exptmp[24];
};

static struct {
	struct window win;
	struct cli_rejects rejects;
	struct sensors *sensors;
	int canonical;
	int reject_null;
	unsigned long records, rows, unknown_units, unconverted, converted, coords_range;
} g;

static void CLI_DEAD
usage(int status)
{
	FILE *fp = status ? stderr : stdout;

	fprintf(fp, "usage: aq-norm [-q] [--csv] [--reject file] [--max-rejects n] "
	    "[--sensors file]\n"
	    "               [--units asis|canonical] [--reference 25|20] [--reject-null]\n"
	    "               [--bounds key=min:max] [--no-bounds] [--sentinels list]\n"
	    "               [--window n] [file ...]\n");
	if (status == 0)
		fputs("\naq-norm turns raw OpenAQ readings (latest, measurements, hours, days,\n"
		    "years, archive rows) into measurement rows.\n"
		    "\n"
		    "  -r, --reject FILE      append rejected records to FILE (else stop at the first)\n"
		    "  -m, --max-rejects N    exit 65 after more than N rejects\n"
		    "  -s, --sensors FILE     locations, sensors or parameters to fill in\n"
		    "                         parameter, units and location (repeatable)\n"
		    "  -u, --units MODE       asis (default) or canonical (ppm/ppb to ug/m3, F to C)\n"
		    "      --reference T      25 (default) or 20: degrees C for ppm/ppb conversions\n"
		    "      --reject-null      reject readings whose value is null\n"
		    "      --bounds K=MIN:MAX possible range for a parameter name or units\n"
		    "      --no-bounds        no default bounds\n"
		    "      --sentinels LIST   values that mean no data (default -999,-9999)\n"
		    "  -w, --window N         de-duplicate within the last N rows (default 8192)\n"
		    "      --csv              input is the OpenAQ archive CSV\n"
		    "  -q, --quiet            no summary line on stderr\n"
		    "  -h, --help             show this help and exit\n"
		    "  -V, --version          show the version and exit\n"
		    "\nSee aq-norm(1).\n", fp);
	exit(status);
}

/* ---- one reading: validate, fill, convert, write ---- */

/* val_num(), inline: a row has seven numbers */
static inline void
put_num(struct aq_buf *b, const char *text, size_t len)
{
	if (text == NULL)
		ROW_LIT(b, "null");
	else
		row_raw(b, text, len);
}

static const char *
finish(struct reading *r)
{
	const struct sensor_info *si;
	const char *reason, *to;
	double out;
	struct aq_buf *b;
	char conv[40];
	const char *src_units = NULL, *src_value = NULL;
	size_t src_units_len = 0, src_value_len = 0;

	if (r->sensor_id == 0)
		return "no sensor id";
	if (r->datetime_len == 0)
		return "no time";
	if (g.sensors != NULL && (si = sensors_find(g.sensors, r->sensor_id)) != NULL) {
		/* the record's own fields win; the table fills gaps */
		if (r->location_id == 0)
			r->location_id = si->location_id;
		if (r->parameter_id == 0)
			r->parameter_id = si->parameter_id;
		if (r->parameter == NULL && si->parameter != NULL) {
			r->parameter = si->parameter;
			r->parameter_len = strlen(si->parameter);
		}
		if (r->units == NULL && si->units != NULL) {
			r->units = si->units;
			r->units_len = strlen(si->units);
		}
		if (r->lat == NULL && r->lon == NULL && si->has_coords) {
			r->lat_len = aq_json_double(si->latitude, r->coordtmp[0], 32);
			r->lat = r->coordtmp[0];
			r->lat_d = si->latitude;
			r->lon_len = aq_json_double(si->longitude, r->coordtmp[1], 32);
			r->lon = r->coordtmp[1];
			r->lon_d = si->longitude;
		}
	}
	if (g.sensors != NULL && r->parameter_id != 0 && (r->parameter == NULL || r->units == NULL)) {
		/* a worldwide latest walk names only its parametersId: the
		 * parameter rows give the name and the units */
		const char *pname, *punits;

		if (sensors_parameter(g.sensors, r->parameter_id, &pname, &punits)) {
			if (r->parameter == NULL && pname != NULL) {
				r->parameter = pname;
				r->parameter_len = strlen(pname);
			}
			if (r->units == NULL && punits != NULL) {
				r->units = punits;
				r->units_len = strlen(punits);
			}
		}
	}
	if (r->value == NULL) {
		if (g.reject_null)
			return "value is null (--reject-null)";
	} else {
		if (is_sentinel(r->v))
			return why("value %s is a no-data sentinel (--sentinels)",
			    why_text(r->value, r->value_len));
		if ((reason = bounds_check(r->parameter, r->parameter_len, r->units,
		    r->units_len, r->v)) != NULL)
			return reason;
	}
	if (r->units == NULL)
		g.unknown_units++;
	else if (g.canonical) {
		switch (units_convert(r->parameter, r->parameter_len, r->units, r->units_len,
		    r->v, &out, &to)) {
		case CONV_DONE:
			g.converted++;
			src_units = r->units;
			src_units_len = r->units_len;
			r->units = to;
			r->units_len = strlen(to);
			if (r->value != NULL) {
				src_value = r->value;
				src_value_len = r->value_len;
				/* JSON has no text for an overflow to infinity */
				if ((r->value_len = aq_json_double(out, conv, sizeof conv)) == 0)
					return why("value %s is out of range in %s",
					    why_text(src_value, src_value_len), to);
				r->value = conv;
			}
			break;
		case CONV_UNABLE:
			g.unconverted++;
			break;
		}
	}
	if (r->lat != NULL && (r->lat_d < -90 || r->lat_d > 90))
		g.coords_range++;
	else if (r->lon != NULL && (r->lon_d < -180 || r->lon_d > 180))
		g.coords_range++;

	b = window_put(&g.win, r->sensor_id, r->period, r->usec);
	/* the keys as literals: this runs once per row */
	aq_buf_reset(b);
	ROW_LIT(b, "{\"sensor_id\":");
	val_int(b, r->sensor_id);
	ROW_LIT(b, ",\"location_id\":");
	if (r->location_id != 0)
		val_int(b, r->location_id);
	else
		ROW_LIT(b, "null");
	ROW_LIT(b, ",\"parameter_id\":");
	if (r->parameter_id != 0)
		val_int(b, r->parameter_id);
	else
		ROW_LIT(b, "null");
	ROW_LIT(b, ",\"parameter\":");
	val_str(b, r->parameter, r->parameter_len);
	ROW_LIT(b, ",\"units\":");
	val_str(b, r->units, r->units_len);
	switch (r->period) {
	case P_RAW:
		ROW_LIT(b, ",\"period\":\"raw\",\"datetime\":\"");
		break;
	case P_HOUR:
		ROW_LIT(b, ",\"period\":\"hour\",\"datetime\":\"");
		break;
	default:
		ROW_LIT(b, ",\"period\":\"");
		row_raw(b, period_name(r->period), strlen(period_name(r->period)));
		ROW_LIT(b, "\",\"datetime\":\"");
	}
	row_raw(b, r->datetime, r->datetime_len);
	ROW_LIT(b, "\",\"value\":");
	put_num(b, r->value, r->value_len);
	ROW_LIT(b, ",\"latitude\":");
	put_num(b, r->lat, r->lat_len);
	ROW_LIT(b, ",\"longitude\":");
	put_num(b, r->lon, r->lon_len);
	ROW_LIT(b, ",\"source_units\":");
	val_str(b, src_units, src_units_len);
	ROW_LIT(b, ",\"source_value\":");
	put_num(b, src_value, src_value_len);
	ROW_LIT(b, ",\"observed_count\":");
	put_num(b, r->observed, r->observed_len);
	ROW_LIT(b, ",\"expected_count\":");
	put_num(b, r->expected, r->expected_len);
	ROW_LIT(b, ",\"flagged\":");
	val_bool(b, r->flagged);
	ROW_LIT(b, "}\n");
	window_commit(&g.win);
	g.rows++;
	return NULL;
}

/* ---- record shapes ---- */

/*
 * Members are found by walking an object once and naming each member
 * (the last of duplicates wins, as with aq_value_get): a lookup per
 * field would walk it again and again.
 */
#define IS(name) (len == sizeof(name) - 1 && memcmp(k, name, len) == 0)

static const char *
coords(struct reading *r, const struct aq_value *c)
{
	const struct aq_value *m, *lat = NULL, *lon = NULL;
	const char *reason;
	size_t len;

	if (aq_value_is_null(c))
		return NULL;
	if (aq_value_type(c) != AQ_OBJECT)
		return "coordinates is not an object";
	for (m = aq_value_first(c); m != NULL; m = aq_value_next(m)) {
		const char *k = aq_value_key(m, &len);

		if (IS("latitude"))
			lat = m;
		else if (IS("longitude"))
			lon = m;
	}
	if ((reason = field_num(lat, "coordinates.latitude", &r->lat, &r->lat_len, &r->lat_d,
	    r->lattmp)) != NULL)
		return reason;
	return field_num(lon, "coordinates.longitude", &r->lon, &r->lon_len, &r->lon_d,
	    r->lontmp);
}

/* A count: an integer >= 0, kept as its text (digits only, the usual
 * case, or "3.0" read as 3). */
static int
count(const struct aq_value *v, const char **text, size_t *len, char *tmp)
{
	int64_t n;

	if ((*text = aq_value_string(v, len)) == NULL || aq_value_type(v) != AQ_NUMBER)
		return 0;
	if (*len < 19 && all_digits(*text, *len))
		return 1;
	if (aq_value_int64(v, &n) != AQ_OK || n < 0)
		return 0;
	/* 24.0 is the count 24: written as an integer */
	*len = (size_t)snprintf(tmp, 24, "%lld", (long long)n);
	*text = tmp;
	return 1;
}

/*
 * What series records carry and no row uses.  The reader leaves these out
 * of the tree, which is a good part of the work per record; a reject
 * keeps the line as it came.
 */
static const char *const skip[] = {
	"summary", "period.interval", "period.datetimeFrom", "parameter.displayName",
	"coverage.expectedInterval", "coverage.observedInterval",
	"coverage.percentComplete", "coverage.percentCoverage", "coverage.datetimeFrom",
	"coverage.datetimeTo", NULL
};

/* The members of a record that tell its shape or that series records
 * use, found in one pass (on_record); named as the keys are. */
struct members {
	const struct aq_value *value, *period, *parameter, *coverage, *coordinates;
	const struct aq_value *flag_info, *sensorsId, *locationsId;
	const struct aq_value *sensors_id, *location_id, *datetime;
};

/* measurements, hours, days, years: value, parameter, period, coverage... */
static const char *
series(struct reading *r, const struct members *mb)
{
	const struct aq_value *m, *p = mb->parameter, *period = mb->period;
	const struct aq_value *cov = mb->coverage, *flag = mb->flag_info, *val = mb->value;
	const struct aq_value *label, *to;
	const char *reason, *s;
	size_t len;
	int rc;

	if ((reason = field_id(mb->sensorsId, "sensorsId", &r->sensor_id, 0)) != NULL ||
	    (reason = field_id(mb->locationsId, "locationsId", &r->location_id, 0)) != NULL)
		return reason;
	if (r->sensor_id == 0)
		return "no sensor id: series records need the sensorsId that aq-fetch adds";
	if (aq_value_type(period) != AQ_OBJECT)
		return "period is not an object";
	label = to = NULL;
	for (m = aq_value_first(period); m != NULL; m = aq_value_next(m)) {
		const char *k = aq_value_key(m, &len);

		if (IS("label"))
			label = m;
		else if (IS("datetimeTo"))
			to = m;
	}
	if ((rc = get_str(label, "period.label", &s, &len)) != FIELD_OK)
		return rc == FIELD_BAD ? why_last() : "period.label is missing";
	if ((r->period = period_from_label(s, len)) < 0)
		return why("period.label '%s' is not raw, hour, day or year", why_text(s, len));
	rc = get_time(to, "period.datetimeTo", r->datetime, &r->datetime_len, &r->usec);
	if (rc == FIELD_BAD)
		return why_last();
	if (rc == FIELD_NULL)
		return "no time: period.datetimeTo is missing";
	if (!aq_value_is_null(p)) {
		const struct aq_value *id = NULL, *name = NULL, *units = NULL;

		if (aq_value_type(p) != AQ_OBJECT)
			return "parameter is not an object";
		for (m = aq_value_first(p); m != NULL; m = aq_value_next(m)) {
			const char *k = aq_value_key(m, &len);

			if (IS("id"))
				id = m;
			else if (IS("name"))
				name = m;
			else if (IS("units"))
				units = m;
		}
		if ((reason = field_id(id, "parameter.id", &r->parameter_id, 0)) ||
		    (reason = field_str(name, "parameter.name", &r->parameter,
		    &r->parameter_len)) ||
		    (reason = field_str(units, "parameter.units", &r->units, &r->units_len)))
			return reason;
	}
	if ((reason = coords(r, mb->coordinates)) != NULL)
		return reason;
	if (aq_value_type(cov) == AQ_OBJECT) {
		const struct aq_value *o = NULL, *e = NULL;

		for (m = aq_value_first(cov); m != NULL; m = aq_value_next(m)) {
			const char *k = aq_value_key(m, &len);

			if (IS("observedCount"))
				o = m;
			else if (IS("expectedCount"))
				e = m;
		}

		if (!aq_value_is_null(o)) {
			if (!count(o, &r->observed, &r->observed_len, r->obstmp))
				return "coverage.observedCount is not a count";
		}
		if (!aq_value_is_null(e)) {
			if (!count(e, &r->expected, &r->expected_len, r->exptmp))
				return "coverage.expectedCount is not a count";
		}
	}
	if (flag != NULL) {
		const struct aq_value *has = NULL;

		for (m = aq_value_first(flag); m != NULL; m = aq_value_next(m)) {
			const char *k = aq_value_key(m, &len);

			if (IS("hasFlags"))
				has = m;
		}
		if (get_bool(has, "flagInfo.hasFlags", &r->flagged) == FIELD_BAD)
			return why_last();
	}
	if (val == NULL)
		return "no value member";
	return field_num(val, "value", &r->value, &r->value_len, &r->v, r->vtmp);
}

/* latest: datetime, value, coordinates, sensorsId, locationsId[, parametersId] */
static const char *
latest(struct reading *r, const struct aq_value *rec)
{
	const struct aq_value *val;
	const char *reason;
	int rc;

	r->period = P_RAW;
	if ((reason = field_id(aq_value_get(rec, "sensorsId"), "sensorsId", &r->sensor_id, 0)) ||
	    (reason = field_id(aq_value_get(rec, "locationsId"), "locationsId", &r->location_id,
	    0)) ||
	    (reason = field_id(aq_value_get(rec, "parametersId"), "parametersId",
	    &r->parameter_id, 0)))
		return reason;
	if (r->sensor_id == 0)
		return "no sensor id: sensorsId is missing";
	rc = get_time(aq_value_get(rec, "datetime"), "datetime", r->datetime,
	    &r->datetime_len, &r->usec);
	if (rc == FIELD_BAD)
		return why_last();
	if (rc == FIELD_NULL)
		return "no time: datetime is missing";
	if ((reason = coords(r, aq_value_get(rec, "coordinates"))) != NULL)
		return reason;
	if ((val = aq_value_get(rec, "value")) == NULL)
		return "no value member";
	return field_num(val, "value", &r->value, &r->value_len, &r->v, r->vtmp);
}

/* archive rows as objects: location_id, sensors_id, location, datetime, lat,
 * lon, parameter, units, value; the values may be strings */
static const char *
archive(struct reading *r, const struct aq_value *rec)
{
	const struct aq_value *dt, *val;
	const char *reason, *s;
	size_t len;

	r->period = P_RAW;
	if ((reason = field_id(aq_value_get(rec, "sensors_id"), "sensors_id", &r->sensor_id, 0)) ||
	    (reason = field_id(aq_value_get(rec, "location_id"), "location_id", &r->location_id,
	    0)))
		return reason;
	if (r->sensor_id == 0)
		return "no sensor id: sensors_id is null";
	dt = aq_value_get(rec, "datetime");
	if (aq_value_type(dt) != AQ_STRING || (s = aq_value_string(dt, &len), len == 0))
		return aq_value_is_null(dt) ? "no time: datetime is missing" :
		    "datetime is not a string";
	if (conv_time(s, len, "datetime", 0, r->datetime, &r->datetime_len, &r->usec) != FIELD_OK)
		return why_last();
	if ((reason = field_str(aq_value_get(rec, "parameter"), "parameter", &r->parameter,
	    &r->parameter_len)) ||
	    (reason = field_str(aq_value_get(rec, "units"), "units", &r->units, &r->units_len)) ||
	    (reason = field_num(aq_value_get(rec, "lat"), "lat", &r->lat, &r->lat_len, &r->lat_d,
	    r->lattmp)) ||
	    (reason = field_num(aq_value_get(rec, "lon"), "lon", &r->lon, &r->lon_len, &r->lon_d,
	    r->lontmp)))
		return reason;
	if (r->parameter != NULL && r->parameter_len == 0)
		r->parameter = NULL;
	if (r->units != NULL && r->units_len == 0)
		r->units = NULL;
	if ((val = aq_value_get(rec, "value")) == NULL)
		return "no value member";
	return field_num(val, "value", &r->value, &r->value_len, &r->v, r->vtmp);
}

static int
on_record(void *arg, struct aq_reader *rd, const struct aq_value *rec)
{
	struct reading r;
	const char *reason;

	struct members mb;
	const struct aq_value *m;

	memset(&r, 0, sizeof r);
	memset(&mb, 0, sizeof mb);
	r.flagged = -1;
	g.records++;
	/* the shape, from the member names, and what series() reads, in
	 * one pass; a switch on the length leaves a comparison or two */
	for (m = aq_value_first(rec); m != NULL; m = aq_value_next(m)) {
		size_t len;
		const char *k = aq_value_key(m, &len);

		switch (len) {
		case 5:
			if (IS("value"))
				mb.value = m;
			break;
		case 6:
			if (IS("period"))
				mb.period = m;
			break;
		case 8:
			if (IS("coverage"))
				mb.coverage = m;
			else if (IS("flagInfo"))
				mb.flag_info = m;
			else if (IS("datetime"))
				mb.datetime = m;
			break;
		case 9:
			if (IS("parameter"))
				mb.parameter = m;
			else if (IS("sensorsId"))
				mb.sensorsId = m;
			break;
		case 10:
			if (IS("sensors_id"))
				mb.sensors_id = m;
			break;
		case 11:
			if (IS("coordinates"))
				mb.coordinates = m;
			else if (IS("locationsId"))
				mb.locationsId = m;
			else if (IS("location_id"))
				mb.location_id = m;
			break;
		}
	}
	if (mb.sensors_id != NULL && mb.location_id != NULL)
		reason = archive(&r, rec);
	else if (mb.period != NULL)
		reason = series(&r, &mb);
	else if (mb.datetime != NULL && mb.value != NULL)
		reason = latest(&r, rec);
#undef IS
	else
		reason = "not a reading record (no period, datetime or sensors_id)";
	if (reason == NULL)
		reason = finish(&r);
	if (reason != NULL) {
		/* the line as it came: the tree lacks the skipped members */
		size_t len;
		const char *raw = aq_reader_raw(rd, &len);

		return cli_reject_json(&g.rejects, aq_reader_name(rd), aq_reader_line(rd),
		    reason, raw, len);
	}
	return g.win.error;
}

/* ---- the archive CSV (--csv) ---- */

static struct {
	int col[AQ_ARCHIVE_NCOLS];	/* field index, -1: absent */
	size_t nfields;
} hdr;

static const char *
csv_reading(struct reading *r, const struct aq_csv *c)
{
	const char *f[AQ_ARCHIVE_NCOLS];
	size_t len[AQ_ARCHIVE_NCOLS], k;
	int rc;

	if (aq_csv_fields(c) != hdr.nfields)
		return why("%zu fields where the header has %zu", aq_csv_fields(c), hdr.nfields);
	for (k = 0; k < AQ_ARCHIVE_NCOLS; k++) {
		f[k] = hdr.col[k] >= 0 ? aq_csv_field(c, (size_t)hdr.col[k], &len[k]) : "";
		if (hdr.col[k] < 0)
			len[k] = 0;
	}
	r->period = P_RAW;
	if ((rc = text_id(f[AQ_ARCHIVE_SENSORS_ID], len[AQ_ARCHIVE_SENSORS_ID], "sensors_id",
	    &r->sensor_id)) == FIELD_BAD || (text_id(f[AQ_ARCHIVE_LOCATION_ID],
	    len[AQ_ARCHIVE_LOCATION_ID], "location_id", &r->location_id) == FIELD_BAD))
		return why_last();
	if (rc == FIELD_NULL)
		return "no sensor id: sensors_id is empty";
	if (len[AQ_ARCHIVE_DATETIME] == 0)
		return "no time: datetime is empty";
	if (conv_time(f[AQ_ARCHIVE_DATETIME], len[AQ_ARCHIVE_DATETIME], "datetime", 0,
	    r->datetime, &r->datetime_len, &r->usec) != FIELD_OK)
		return why_last();
	if (text_num(f[AQ_ARCHIVE_LAT], len[AQ_ARCHIVE_LAT], "lat", &r->lat, &r->lat_len,
	    &r->lat_d, r->lattmp) == FIELD_BAD || text_num(f[AQ_ARCHIVE_LON],
	    len[AQ_ARCHIVE_LON], "lon", &r->lon, &r->lon_len, &r->lon_d, r->lontmp) == FIELD_BAD)
		return why_last();
	if (len[AQ_ARCHIVE_PARAMETER] > 0) {
		r->parameter = f[AQ_ARCHIVE_PARAMETER];
		r->parameter_len = len[AQ_ARCHIVE_PARAMETER];
	}
	if (len[AQ_ARCHIVE_UNITS] > 0) {
		r->units = f[AQ_ARCHIVE_UNITS];
		r->units_len = len[AQ_ARCHIVE_UNITS];
	}
	if (text_num(f[AQ_ARCHIVE_VALUE], len[AQ_ARCHIVE_VALUE], "value", &r->value,
	    &r->value_len, &r->v, r->vtmp) == FIELD_BAD)
		return why_last();
	return NULL;
}

static int
on_csv(void *arg, struct aq_csv *c)
{
	struct reading r;
	const char *reason;
	size_t rawlen;

	if (aq_csv_number(c) == 1 || csv_header_again(c, hdr.col[AQ_ARCHIVE_SENSORS_ID])) {
		if (!aq_csv_archive_header(c, hdr.col)) {
			cli_warnx("%s:%ld: not the archive CSV header (location_id,sensors_id,"
			    "location,datetime,lat,lon,parameter,units,value)", aq_csv_name(c),
			    aq_csv_line(c));
			return EX_DATAERR;
		}
		hdr.nfields = aq_csv_fields(c);
		return 0;
	}
	memset(&r, 0, sizeof r);
	r.flagged = -1;
	g.records++;
	if ((reason = csv_reading(&r, c)) == NULL)
		reason = finish(&r);
	if (reason != NULL) {
		const char *raw = aq_csv_raw(c, &rawlen);

		return cli_reject(&g.rejects, aq_csv_name(c), aq_csv_line(c), reason, NULL, raw,
		    rawlen);
	}
	return g.win.error;
}

/* ---- main ---- */

static int
on_idle(void *arg)
{
	/* no input is ready: rows must not wait in the window */
	if (window_flush(&g.win) != 0)
		return 1;
	if (fflush(stdout) == EOF) {
		(void)cli_stdout_failed();
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	enum { O_REFERENCE = 256, O_REJECT_NULL, O_BOUNDS, O_NO_BOUNDS, O_SENTINELS, O_CSV };
	static const struct option longopts[] = {
		{"reject", required_argument, NULL, 'r'},
		{"max-rejects", required_argument, NULL, 'm'},
		{"sensors", required_argument, NULL, 's'},
		{"units", required_argument, NULL, 'u'},
		{"reference", required_argument, NULL, O_REFERENCE},
		{"reject-null", no_argument, NULL, O_REJECT_NULL},
		{"bounds", required_argument, NULL, O_BOUNDS},
		{"no-bounds", no_argument, NULL, O_NO_BOUNDS},
		{"sentinels", required_argument, NULL, O_SENTINELS},
		{"window", required_argument, NULL, 'w'},
		{"csv", no_argument, NULL, O_CSV},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static char outbuf[1 << 16];
	const char *reject_path = NULL;
	const char *sensor_paths[16];
	unsigned long max_rejects = 0, window = 8192;
	int nsensors = 0, csv = 0, quiet = 0, ch, status, st2;
	struct cli_loop loop;

	cli_init("aq-norm");
	while ((ch = getopt_long(argc, argv, "r:m:s:u:w:qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			reject_path = optarg;
			break;
		case 'm':
			max_rejects = cli_uint("--max-rejects", optarg, 0, 1UL << 40);
			break;
		case 's':
			if (nsensors == (int)(sizeof sensor_paths / sizeof sensor_paths[0]))
				cli_usage_error("--sensors: at most 16 files");
			sensor_paths[nsensors++] = optarg;
			break;
		case 'u':
			if (strcmp(optarg, "asis") == 0)
				g.canonical = 0;
			else if (strcmp(optarg, "canonical") == 0)
				g.canonical = 1;
			else
				cli_usage_error("--units: '%s' is not asis or canonical", optarg);
			break;
		case O_REFERENCE:
			if (strcmp(optarg, "25") != 0 && strcmp(optarg, "20") != 0)
				cli_usage_error("--reference: '%s' is not 25 or 20", optarg);
			units_reference(atoi(optarg));
			break;
		case O_REJECT_NULL:
			g.reject_null = 1;
			break;
		case O_BOUNDS:
			if (bounds_add(optarg) != 0)
				cli_usage_error("--bounds: '%s' is not KEY=MIN:MAX", optarg);
			break;
		case O_NO_BOUNDS:
			bounds_no_defaults();
			break;
		case O_SENTINELS:
			if (sentinels_set(optarg) != 0)
				cli_usage_error("--sentinels: '%s' is not a list of numbers", optarg);
			break;
		case 'w':
			window = cli_uint("--window", optarg, 0, 1000000);
			break;
		case O_CSV:
			csv = 1;
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

	if (nsensors > 0) {
		g.sensors = sensors_new();
		for (ch = 0; ch < nsensors; ch++)
			sensors_load(g.sensors, sensor_paths[ch], "--sensors", 0);
		sensors_done(g.sensors);
	}
	cli_rejects_open(&g.rejects, reject_path, max_rejects);
	cli_catch_signals();
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	window_init(&g.win, window, stdout);

	memset(&loop, 0, sizeof loop);
	if (csv)
		loop.csv_record = on_csv;
	else {
		loop.record = on_record;
		loop.skip = skip;
	}
	loop.idle = on_idle;
	loop.rejects = &g.rejects;
	status = cli_loop_run(&loop, argc, argv);
	g.records += loop.lines_bad;
	/* rows accepted before a stop are written too: they are good rows */
	if (window_flush(&g.win) != 0 || fflush(stdout) == EOF || ferror(stdout))
		status = cli_stdout_failed();
	if ((st2 = cli_rejects_close(&g.rejects)) != 0 && status == 0)
		status = st2;
	if (!quiet)
		cli_warnx("%lu records, %lu rows, %lu rejects, %lu duplicates, %lu converted, "
		    "%lu unconverted, %lu unknown units, %lu coordinates out of range",
		    g.records, g.win.written, g.rejects.count, g.win.duplicates, g.converted,
		    g.unconverted, g.unknown_units, g.coords_range);
	window_free(&g.win);
	sensors_free(g.sensors);
	return status;
}
