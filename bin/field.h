/*
 * field.h: members of API records (aq_value) and CSV fields read as ids,
 * strings, booleans, numbers, instants and dates, each check saying why it
 * failed through why().  Not installed; uses only openaq.h.
 */
#ifndef FIELD_H
#define FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "openaq.h"

/* ---- reasons: the text of the last failed check ---- */

/* Format a reason into a static buffer and return it.  %s arguments
 * taken from input are cut at a UTF-8 boundary by why_text(). */
const char *why(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
/* The last reason that why() formatted. */
const char *why_last(void);
/* Input text made safe for a reason: at most 40 bytes, whole UTF-8
 * characters, with "..." when cut.  Returns a static buffer (one of two,
 * so that two texts can go into one reason). */
const char *why_text(const char *s, size_t len);

/* ---- fields of API records ---- */

/* Results of the readers below. */
#define FIELD_OK 0	/* a value was read */
#define FIELD_NULL 1	/* absent or JSON null */
#define FIELD_BAD 2	/* present but wrong: why() holds the reason */

/* 1 if the len bytes at s are all decimal digits (and len > 0). */
static inline int
all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return len > 0;
}

/* An id: a JSON integer >= 1, or a string of decimal digits. */
int get_id(const struct aq_value *v, const char *name, int64_t *out);
/* A string or null; anything else is FIELD_BAD. */
int get_str(const struct aq_value *v, const char *name, const char **s, size_t *len);
/* A boolean or null. */
int get_bool(const struct aq_value *v, const char *name, int *out);
/*
 * A number as JSON number text and as a double: a JSON number, or a
 * string holding a decimal number (archive rows).  Text that is not
 * JSON number syntax ("+1", ".5", " 7") is rewritten into tmp (>= 32
 * bytes).  Non-finite values are FIELD_BAD.
 */
int get_num(const struct aq_value *v, const char *name, const char **text, size_t *len,
    double *d, char *tmp);
/* Does s[0..len) follow the JSON number grammar? */
int is_json_number(const char *s, size_t len);
/* The same for raw text (CSV fields). */
int text_num(const char *s, size_t len, const char *name, const char **text, size_t *tlen,
    double *d, char *tmp);
int text_id(const char *s, size_t len, const char *name, int64_t *out);

/*
 * An instant as canonical UTC text "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" in out
 * (AQ_TIME_BUFSZ bytes).  naive_utc: text without a zone is read as UTC
 * (the API's "utc" members); otherwise it is rejected.  A bare date is
 * rejected.  Canonical input is copied, not re-formatted.
 */
int conv_time(const char *s, size_t len, const char *name, int naive_utc, char *out,
    size_t *outlen, int64_t *usec);
/*
 * A timestamp member: a {utc, local} object (utc preferred, local used
 * only when utc is absent), or a plain string with a zone.
 */
int get_time(const struct aq_value *v, const char *name, char *out, size_t *outlen,
    int64_t *usec);
/* A plain date "YYYY-MM-DD" (location licenses), checked, kept as is. */
int get_date(const struct aq_value *v, const char *name, const char **s, size_t *len);

/*
 * The same readers for code that builds a reason: NULL when the member
 * was read or is null, else why_last().  A null id is 0 (with required,
 * the reason "no NAME"), a null string or number text NULL.
 */
const char *field_id(const struct aq_value *v, const char *name, int64_t *out, int required);
const char *field_str(const struct aq_value *v, const char *name, const char **s, size_t *len);
const char *field_num(const struct aq_value *v, const char *name, const char **text,
    size_t *len, double *d, char *tmp);

/*
 * Is the CSV record the archive's header again (files joined into one
 * stream, zcat *.csv.gz), given where the first header put sensors_id
 * (col)?  Only a record whose field there names the column is looked at
 * closely: a data row's is a number, so rows cost one comparison.
 */
int csv_header_again(const struct aq_csv *c, int sensors_col);

#endif /* FIELD_H */
