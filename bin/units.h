/*
 * units.h: periods, units, the conversion table and the bounds of aq-norm.
 * The tables live in units.c and nowhere else; aq-norm(1) documents them.
 */
#ifndef UNITS_H
#define UNITS_H

#include <stddef.h>

enum period { P_RAW, P_HOUR, P_DAY, P_YEAR };

/* "raw", "hour", "day" or "year". */
const char *period_name(int p);
/* The period of an API period.label ("raw", "1hour", "1 hour", "1day",
 * "1 day", "1year", "1 year"), or -1. */
int period_from_label(const char *s, size_t len);

enum unit {
	U_UNKNOWN,	/* no units given */
	U_OTHER,	/* units we know nothing about */
	U_UGM3,		/* µg/m³ */
	U_MGM3,		/* mg/m³ */
	U_PPM,
	U_PPB,
	U_PCM3,		/* particles/cm³ */
	U_PERCENT,
	U_C,		/* °C, written "c" by the API */
	U_F,		/* °F, written "f" */
	U_MB,		/* millibar = hPa */
	U_IAQ		/* indoor air quality index */
};

/* The unit of a units string (several spellings each). */
int unit_of(const char *s, size_t len);

/* Reference condition for ppm/ppb -> µg/m³: 25 or 20 (°C, at 1 atm). */
void units_reference(int celsius);

/* What units_convert did. */
#define CONV_NONE 0		/* already canonical, or nothing to convert to */
#define CONV_DONE 1		/* *out and *to are set */
#define CONV_UNABLE 2		/* a mixing ratio of a gas without a molecular weight */

int units_convert(const char *param, size_t plen, const char *units, size_t ulen,
    double v, double *out, const char **to);

/*
 * Bounds: the physically possible range of a value, per parameter name or
 * per unit.  bounds_add() takes "KEY=MIN:MAX" (either side may be empty);
 * it returns 0, or -1 when the text is malformed.
 */
int bounds_add(const char *spec);
void bounds_no_defaults(void);
/* NULL when v is possible, else the reason (in why()'s buffer). */
const char *bounds_check(const char *param, size_t plen, const char *units, size_t ulen,
    double v);

/* Sentinels: "-999,-9999" by default; sentinels_set("") turns them off. */
int sentinels_set(const char *list);
int is_sentinel(double v);

#endif /* UNITS_H */
