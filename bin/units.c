/* units.c: the one place that knows about periods, units and bounds. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "field.h"
#include "row.h"
#include "units.h"

const char *
period_name(int p)
{
	static const char *const names[] = {"raw", "hour", "day", "year"};

	return names[p];
}

int
period_from_label(const char *s, size_t len)
{
	/* "1 hour" (/measurements/hourly) and "1hour" (/hours) alike */
	char buf[16];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == ' ')
			continue;
		if (n + 1 >= sizeof buf)
			return -1;
		buf[n++] = s[i];
	}
	buf[n] = '\0';
	if (strcmp(buf, "raw") == 0)
		return P_RAW;
	if (strcmp(buf, "1hour") == 0)
		return P_HOUR;
	if (strcmp(buf, "1day") == 0)
		return P_DAY;
	if (strcmp(buf, "1year") == 0)
		return P_YEAR;
	return -1;
}

#define SP(text, unit) {text, sizeof(text) - 1, unit}
static const struct {
	const char *text;
	size_t len;
	int unit;
} spellings[] = {
	SP("\xc2\xb5g/m\xc2\xb3", U_UGM3),	/* µg/m³, MICRO SIGN: the API's */
	SP("\xce\xbcg/m\xc2\xb3", U_UGM3),	/* μg/m³, GREEK SMALL LETTER MU */
	SP("\xc2\xb5g/m3", U_UGM3),
	SP("\xce\xbcg/m3", U_UGM3),
	SP("ug/m\xc2\xb3", U_UGM3),
	SP("ug/m3", U_UGM3),
	SP("mg/m\xc2\xb3", U_MGM3),
	SP("mg/m3", U_MGM3),
	SP("ppm", U_PPM),
	SP("ppb", U_PPB),
	SP("particles/cm\xc2\xb3", U_PCM3),
	SP("particles/cm3", U_PCM3),
	SP("%", U_PERCENT),
	SP("c", U_C),
	SP("\xc2\xb0" "c", U_C),
	SP("degc", U_C),
	SP("celsius", U_C),
	SP("f", U_F),
	SP("\xc2\xb0" "f", U_F),
	SP("degf", U_F),
	SP("fahrenheit", U_F),
	SP("mb", U_MB),
	SP("mbar", U_MB),
	SP("hpa", U_MB),
	SP("iaq", U_IAQ),
};
#undef SP

int
unit_of(const char *s, size_t len)
{
	size_t i;

	if (s == NULL)
		return U_UNKNOWN;
	for (i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
		if (spellings[i].len == len &&
		    strncasecmp(spellings[i].text, s, len) == 0)
			return spellings[i].unit;
	return U_OTHER;
}

/*
 * Molecular weights (g/mol) from the IUPAC standard atomic weights
 * (CIAAW 2021, abridged): H 1.008, C 12.011, N 14.007, O 15.999, S 32.06.
 * NOx is expressed as NO2, as Directive 2008/50/EC and the US EPA do.
 */
static const struct {
	const char *name;
	double mw;
} gases[] = {
	{"o3", 47.997},		/* 3 x 15.999 */
	{"no2", 46.005},	/* 14.007 + 2 x 15.999 */
	{"nox", 46.005},	/* as NO2 */
	{"no", 30.006},		/* 14.007 + 15.999 */
	{"so2", 64.058},	/* 32.06 + 2 x 15.999 */
	{"co", 28.010},		/* 12.011 + 15.999 */
	{"nh3", 17.031},	/* 14.007 + 3 x 1.008 */
	{"h2s", 34.076},	/* 2 x 1.008 + 32.06 */
	{"ch4", 16.043},	/* 12.011 + 4 x 1.008 */
};

/* Molar volume of an ideal gas at 1 atm (L/mol): 24.45 at 25 °C (US EPA,
 * WHO), 24.04 at 20 °C (EU Directive 2008/50/EC). */
static double molar_volume = 24.45;

void
units_reference(int celsius)
{
	molar_volume = celsius == 20 ? 24.04 : 24.45;
}

static const char ugm3[] = "\xc2\xb5g/m\xc2\xb3";

int
units_convert(const char *param, size_t plen, const char *units, size_t ulen,
    double v, double *out, const char **to)
{
	size_t i;
	int u = unit_of(units, ulen);

	switch (u) {
	case U_UGM3:
		if (ulen == sizeof ugm3 - 1 && memcmp(units, ugm3, ulen) == 0)
			return CONV_NONE;
		*out = v;	/* another spelling of the same unit */
		*to = ugm3;
		return CONV_DONE;
	case U_MGM3:
		*out = v * 1000;
		*to = ugm3;
		return CONV_DONE;
	case U_PPM:
	case U_PPB:
		for (i = 0; i < sizeof gases / sizeof gases[0]; i++)
			if (param != NULL && strlen(gases[i].name) == plen &&
			    strncasecmp(gases[i].name, param, plen) == 0) {
				/* µg/m³ = ppb x MW / Vm; a ppm is 1000 ppb */
				*out = (u == U_PPM ? v * 1000 : v) * gases[i].mw / molar_volume;
				*to = ugm3;
				return CONV_DONE;
			}
		return CONV_UNABLE;
	case U_F:
		*out = (v - 32) * 5 / 9;
		*to = "c";
		return CONV_DONE;
	case U_C:
		if (ulen == 1 && units[0] == 'c')
			return CONV_NONE;
		*out = v;
		*to = "c";
		return CONV_DONE;
	default:
		return CONV_NONE;
	}
}

/* ---- bounds ---- */

struct bound {
	char *key;		/* a parameter name, or units text */
	int unit;		/* unit_of(key) */
	double min, max;
};

/* Default bounds, per unit.  Concentrations may dip below zero by the
 * zero drift of a continuous monitor, not further. */
static const struct {
	int unit;
	double min, max;
} default_bounds[] = {
	{U_UGM3, -10, INFINITY},
	{U_MGM3, -0.01, INFINITY},
	{U_PPM, -0.005, INFINITY},
	{U_PPB, -5, INFINITY},
	{U_PCM3, 0, INFINITY},
	{U_PERCENT, 0, 100},
	{U_C, -90, 70},
	{U_F, -130, 158},
	{U_MB, 300, 1100},
	{U_IAQ, 0, 500},
};

static struct bound *user_bounds;
static size_t nuser;
static int use_defaults = 1;

int
bounds_add(const char *spec)
{
	const char *eq = strchr(spec, '='), *colon;
	struct bound b;
	char *end;

	if (eq == NULL || eq == spec || (colon = strchr(eq + 1, ':')) == NULL)
		return -1;
	b.min = -INFINITY;
	b.max = INFINITY;
	if (colon > eq + 1) {
		b.min = strtod(eq + 1, &end);
		if (end != colon || isnan(b.min))
			return -1;
	}
	if (colon[1] != '\0') {
		b.max = strtod(colon + 1, &end);
		if (*end != '\0' || isnan(b.max))
			return -1;
	}
	if (b.min > b.max)
		return -1;
	b.key = cli_xmalloc((size_t)(eq - spec) + 1);
	memcpy(b.key, spec, (size_t)(eq - spec));
	b.key[eq - spec] = '\0';
	b.unit = unit_of(b.key, strlen(b.key));
	user_bounds = realloc(user_bounds, (nuser + 1) * sizeof *user_bounds);
	if (user_bounds == NULL)
		rows_nomem();
	user_bounds[nuser++] = b;
	return 0;
}

void
bounds_no_defaults(void)
{
	use_defaults = 0;
}

/* what is a NUL-terminated name, or units of ulen bytes when ulen > 0 */
static const char *
check(double v, double min, double max, const char *what, size_t ulen, const char *origin)
{
	char a[40], b[40];

	if (v >= min && v <= max)
		return NULL;
	aq_json_double(v, a, sizeof a);
	aq_json_double(v < min ? min : max, b, sizeof b);
	return why("value %s is %s %s for %s (%s bounds)", a, v < min ? "below" : "above",
	    b, ulen > 0 ? why_text(what, ulen) : what, origin);
}

const char *
bounds_check(const char *param, size_t plen, const char *units, size_t ulen, double v)
{
	int u = unit_of(units, ulen);
	size_t i;

	/* a parameter name first, then units, the user's before ours */
	for (i = nuser; i-- > 0;)
		if (param != NULL && strlen(user_bounds[i].key) == plen &&
		    strncasecmp(user_bounds[i].key, param, plen) == 0)
			return check(v, user_bounds[i].min, user_bounds[i].max,
			    user_bounds[i].key, 0, "--bounds");
	for (i = nuser; i-- > 0;)
		if (units != NULL &&
		    ((user_bounds[i].unit > U_OTHER && user_bounds[i].unit == u) ||
		    (strlen(user_bounds[i].key) == ulen &&
		    strncmp(user_bounds[i].key, units, ulen) == 0)))
			return check(v, user_bounds[i].min, user_bounds[i].max, units, ulen,
			    "--bounds");
	if (!use_defaults || u <= U_OTHER)
		return NULL;
	for (i = 0; i < sizeof default_bounds / sizeof default_bounds[0]; i++)
		if (default_bounds[i].unit == u)
			return check(v, default_bounds[i].min, default_bounds[i].max, units,
			    ulen, "default");
	return NULL;
}

/* ---- sentinels ---- */

static double sentinels[16] = {-999, -9999};
static size_t nsentinels = 2;

int
sentinels_set(const char *list)
{
	const char *p = list;
	char *end;

	nsentinels = 0;
	while (*p != '\0') {
		if (nsentinels == sizeof sentinels / sizeof sentinels[0])
			return -1;
		sentinels[nsentinels] = strtod(p, &end);
		if (end == p || isnan(sentinels[nsentinels]) || (*end != ',' && *end != '\0'))
			return -1;
		nsentinels++;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

int
is_sentinel(double v)
{
	size_t i;

	for (i = 0; i < nsentinels; i++)
		if (v == sentinels[i])
			return 1;
	return 0;
}
