/*
 * openaq.h: the public interface of libopenaq.
 *
 * libopenaq moves OpenAQ v3 data: an API client with a shared rate limiter,
 * a streaming NDJSON reader and writer, and a PostgreSQL COPY loader.
 *
 * Conventions, for every function below unless its comment says otherwise:
 * - Functions that can fail return AQ_OK (0) or one of the AQ_E* codes.
 *   aq_strerror() turns a code into a sentence.  Handles that talk to the
 *   outside world (reader, client, loader) also fill a caller-owned detail
 *   buffer with the libcurl, libpq, HTTP or parser text, set with
 *   aq_*_set_errbuf().
 * - After AQ_EIO, errno still holds the system error.
 * - The library never prints, never exits and never installs signal
 *   handlers.
 * - Every aq_*_new() has an aq_*_free() that accepts NULL.
 * - Strings are UTF-8.  Lengths are in bytes.
 *
 * The numeric values of the AQ_E* codes are part of the ABI: they are
 * never renumbered, only appended to.
 */
#ifndef OPENAQ_H
#define OPENAQ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

enum aq_status {
	AQ_OK = 0,
	AQ_EOF = 1,		/* no more records (not an error) */
	AQ_ENOMEM = 2,		/* out of memory */
	AQ_EINVAL = 3,		/* invalid argument */
	AQ_EIO = 4,		/* input/output error; errno is set */
	AQ_EJSON = 5,		/* input is not valid JSON or not one object a line */
	AQ_ETYPE = 6,		/* a value is not of the type asked for */
	AQ_ERANGE = 7,		/* a value is out of range or impossible */
	AQ_ETRANSPORT = 8,	/* the network transfer failed */
	AQ_ETIMEOUT = 9,	/* the transfer or the server timed out */
	AQ_EHTTP = 10,		/* the API refused the request (4xx) */
	AQ_EAUTH = 11,		/* the API key was missing or refused (401/403) */
	AQ_ENOTFOUND = 12,	/* the API has no such resource (404) */
	AQ_ERATELIMIT = 13,	/* the API kept answering 429 */
	AQ_ESERVER = 14,	/* the API kept failing (5xx) */
	AQ_EPROTO = 15,		/* the API answered something unexpected */
	AQ_EDBCONN = 16,	/* cannot connect to the database */
	AQ_EDB = 17,		/* the database refused a statement */
	AQ_EDATA = 18,		/* the database refused a row */
	AQ_ECANCELED = 19,	/* stopped by the caller */
	AQ_ESTATE = 20,		/* the shared rate-limit state cannot be used */
	AQ_ESCHEMA = 21,	/* the database schema is missing or too old */
	AQ_EDBTEMP = 22		/* the database failed for a passing reason
				 * (deadlock, full disk, shutdown, timeout) and
				 * kept failing: try again later */
};

/* A sentence (no final period) for an AQ_* code; never NULL. */
const char *aq_strerror(int code);

/* The library's version, e.g. "0.1.0". */
const char *aq_version(void);

/* ------------------------------------------------------------------ */
/* Growable byte buffer                                                */
/* ------------------------------------------------------------------ */

/*
 * A plain, transparent buffer (like struct iovec): data is always
 * NUL-terminated when non-NULL, len excludes the NUL.  Zero-initialise it
 * (struct aq_buf b = {0}) and release it with aq_buf_free().
 */
struct aq_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Append n bytes.  On failure the buffer is left unchanged (AQ_ENOMEM). */
int aq_buf_append(struct aq_buf *b, const void *p, size_t n);
/* Append a NUL-terminated string; same failure rule. */
int aq_buf_puts(struct aq_buf *b, const char *s);
/* Append printf-formatted text; same failure rule. */
int aq_buf_printf(struct aq_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Make room for n more bytes without changing len. */
int aq_buf_reserve(struct aq_buf *b, size_t n);
/* Set len to 0, keeping the memory. */
void aq_buf_reset(struct aq_buf *b);
/* Release the memory; the buffer is again all zero and may be reused. */
void aq_buf_free(struct aq_buf *b);

/*
 * Append s[0..len) as a JSON string, quotes included: '"', '\\' and the
 * control bytes are escaped (\b \f \n \r \t, else \u00xx in lower-case
 * hex), everything else (UTF-8, '/', NUL-free or not) is copied as it is;
 * the caller passes valid UTF-8.  Text with nothing to escape costs one
 * scan and one copy.  AQ_ENOMEM leaves the buffer unchanged; AQ_EINVAL if
 * b is NULL, or s is NULL with len > 0.
 */
int aq_buf_json_string(struct aq_buf *b, const char *s, size_t len);

/* Bytes that always hold aq_json_double()'s text and its NUL. */
#define AQ_JSON_DOUBLE_BUFSZ 32
/*
 * The text of d that reads back (strtod) as the same double: the shortest
 * of its %.15g, %.16g and %.17g forms ("0.1", "1e+15", "-0"), written with
 * a NUL into buf.  Returns the length without the NUL, or 0 (buf
 * untouched) when d is NaN or infinite, which JSON cannot write, or when
 * size is too small.  Uses the C locale's decimal point, as printf does.
 */
size_t aq_json_double(double d, char *buf, size_t size);

/*
 * The length of the longest prefix of s[0..len) that is well-formed
 * UTF-8 (RFC 3629): len when all of it is, else the offset of the first
 * byte of the first ill-formed sequence.  Overlong forms (C0 80, E0 80
 * 80, F0 80 80 80), UTF-16 surrogates (ED A0 80 to ED BF BF), code points
 * above U+10FFFF (F4 90 80 80 on), the bytes C0, C1 and F5 to FF, stray
 * continuation bytes and a sequence cut short are all ill-formed.  NUL is
 * a character like any other.  0 when s is NULL.  ASCII costs about a
 * byte-compare per eight bytes.
 */
size_t aq_utf8_valid(const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* JSON values                                                         */
/* ------------------------------------------------------------------ */

enum aq_type {
	AQ_NULL = 0,
	AQ_FALSE,
	AQ_TRUE,
	AQ_NUMBER,
	AQ_STRING,
	AQ_OBJECT,
	AQ_ARRAY
};

/*
 * A parsed JSON value.  Values are owned by the reader that produced them
 * and stay valid until the reader's next call.  A NULL value means
 * "absent"; every accessor accepts NULL.
 */
struct aq_value;

/* The type of v; AQ_NULL for NULL (absent) too. */
int aq_value_type(const struct aq_value *v);
/* 1 if v is absent or a JSON null. */
int aq_value_is_null(const struct aq_value *v);
/* The member called key of object v, or NULL. */
const struct aq_value *aq_value_get(const struct aq_value *v, const char *key);
/*
 * Follow a dotted path of member names, e.g. "period.datetimeTo.utc".
 * A component of digits indexes an array ("sensors.0.id").  NULL if any
 * step is missing.
 */
const struct aq_value *aq_value_path(const struct aq_value *v, const char *path);
/*
 * The text of a string, or the exact text of a number as it was written.
 * NUL-terminated; *len (if not NULL) gets its length.  NULL otherwise.
 */
const char *aq_value_string(const struct aq_value *v, size_t *len);
/* A number as a double; AQ_ETYPE if v is not a number. */
int aq_value_number(const struct aq_value *v, double *out);
/* A number that is an integer in range; AQ_ETYPE or AQ_ERANGE otherwise. */
int aq_value_int64(const struct aq_value *v, int64_t *out);
/* Number of members of an object or elements of an array; 0 otherwise. */
size_t aq_value_count(const struct aq_value *v);
/* First member or element of an object or array, or NULL. */
const struct aq_value *aq_value_first(const struct aq_value *v);
/* The member or element after v, or NULL. */
const struct aq_value *aq_value_next(const struct aq_value *v);
/* The member name of v when v is an object member, else NULL. */
const char *aq_value_key(const struct aq_value *v, size_t *len);

/* ------------------------------------------------------------------ */
/* NDJSON reader                                                       */
/* ------------------------------------------------------------------ */

/*
 * A streaming reader of one JSON object per line.  It reads in fixed
 * chunks and keeps at most one line in memory, so its memory is bounded
 * by the longest line, not by the input.  It accepts CRLF, a missing
 * final newline and blank lines (which are skipped but counted), and
 * checks that strings are valid UTF-8 (a \u escape of a lone UTF-16
 * surrogate is an error of the line too).  A line nested deeper than
 * AQ_JSON_MAX_DEPTH is an error of that line.
 */

/*
 * The deepest nesting of objects and arrays that any JSON parse of the
 * library accepts (the reader's lines, the API client's bodies); the
 * top-level object is level 1.  Deeper input is refused, so that every
 * tree can be walked recursively with a small stack.  OpenAQ records
 * need fewer than 10.
 */
#define AQ_JSON_MAX_DEPTH 1000
struct aq_reader;

struct aq_reader *aq_reader_new(void);
void aq_reader_free(struct aq_reader *r);
/* A buffer of size bytes that receives the text of the last error. */
void aq_reader_set_errbuf(struct aq_reader *r, char *buf, size_t size);
/*
 * Start reading fd (not closed by the reader); name is used in messages
 * ("-" or NULL means "<stdin>").  Line numbers restart at 1.
 */
int aq_reader_open(struct aq_reader *r, int fd, const char *name);
/*
 * Read the next record.  AQ_OK sets *rec; AQ_EOF at the end of input;
 * AQ_EJSON when a line is not one JSON object (or is nested deeper than
 * AQ_JSON_MAX_DEPTH: "nested deeper than 1000 levels"): the line is
 * consumed, the detail buffer says "NAME:LINE:COL: what is wrong", and
 * the next call goes on with the following line.  AQ_EIO and AQ_ENOMEM
 * are final.
 */
int aq_reader_next(struct aq_reader *r, const struct aq_value **rec);
/* The line number of the last record or error. */
long aq_reader_line(const struct aq_reader *r);
/* The input name given to aq_reader_open, "<stdin>" for stdin. */
const char *aq_reader_name(const struct aq_reader *r);
/* The raw text of the last line read, without its line ending. */
const char *aq_reader_raw(const struct aq_reader *r, size_t *len);
/*
 * After AQ_EJSON from aq_reader_next(): the column (1 for the first byte
 * of the line) where the line stops being valid, and what is wrong
 * ("invalid JSON: ..."), the detail buffer's text without its
 * "NAME:LINE:COL: ".  0 and "" after any other outcome.
 */
long aq_reader_column(const struct aq_reader *r);
const char *aq_reader_error(const struct aq_reader *r);
/*
 * Leave the member at path out of every record: its value is still
 * checked as JSON, but not built, so aq_value_get() finds it absent.  A
 * path names members of nested objects ("coverage.datetimeFrom"); an
 * array is transparent (with "sensors.parameter", no element of the
 * sensors array has a parameter).  A reader that only needs part of
 * each record reads faster this way; aq_reader_raw() still has the
 * whole line.  Call it before reading, once per path.  AQ_EINVAL for
 * an empty component ("a..b").
 */
int aq_reader_skip(struct aq_reader *r, const char *path);
/*
 * fn(arg) is called each time the reader is about to wait for input
 * (before every read(2), and again after a read(2) interrupted by a
 * signal).  Streaming filters flush their output there, so that no row
 * waits in a buffer while the input is idle.  If fn returns non-zero,
 * aq_reader_next() returns AQ_ECANCELED (a signal handler's flag can stop
 * a reader blocked on a pipe this way).
 */
void aq_reader_set_refill(struct aq_reader *r, int (*fn)(void *), void *arg);

/* ------------------------------------------------------------------ */
/* CSV reader (the OpenAQ archive)                                     */
/* ------------------------------------------------------------------ */

/*
 * A streaming reader of CSV records, from a file descriptor or from
 * memory, shaped like the NDJSON reader.  Fields are separated by commas;
 * a field may be quoted with '"' ("" is a quote inside it, and it may span
 * lines); a backslash escapes the next byte, quoted or not (the archive's
 * Athena table says ESCAPED BY '\\').  CRLF, blank lines and a UTF-8 byte
 * order mark are accepted.  Memory is bounded by the longest record, and a
 * record longer than 1 MiB is an error (an unterminated quote).
 */
struct aq_csv;

struct aq_csv *aq_csv_new(void);
void aq_csv_free(struct aq_csv *c);
/* A buffer of size bytes that receives the text of the last error. */
void aq_csv_set_errbuf(struct aq_csv *c, char *buf, size_t size);
/* As aq_reader_set_refill(): fn(arg) runs before every read(2). */
void aq_csv_set_refill(struct aq_csv *c, int (*fn)(void *), void *arg);
/*
 * Start reading fd (not closed by the reader), or the len bytes at data
 * (not copied: they must live until the next open or the free); name is
 * used in messages ("-" or NULL means "<stdin>").  Line and record
 * numbers restart at 1.
 */
int aq_csv_open(struct aq_csv *c, int fd, const char *name);
int aq_csv_open_mem(struct aq_csv *c, const char *data, size_t len, const char *name);
/*
 * Read the next record.  AQ_OK: the accessors below describe it until the
 * next call.  AQ_EOF at the end of the input.  AQ_ETYPE when a field is
 * not well-formed UTF-8 (aq_utf8_valid()): the record is consumed, it has
 * no fields, aq_csv_line() and aq_csv_raw() give it, aq_csv_error() says
 * which field, and the next call goes on with the following record.
 * AQ_ERANGE (a record longer than 1 MiB), AQ_EIO, AQ_ENOMEM and
 * AQ_ECANCELED (refill said stop) are final.  The detail buffer says
 * "NAME:LINE: what is wrong".
 */
int aq_csv_next(struct aq_csv *c);
/* After AQ_ETYPE from aq_csv_next(): what is wrong, the detail buffer's
 * text without its "NAME:LINE: " ("field 3: invalid UTF-8 ..."); "" after
 * any other outcome. */
const char *aq_csv_error(const struct aq_csv *c);
/* The number of fields of the record (at least 1 after AQ_OK). */
size_t aq_csv_fields(const struct aq_csv *c);
/* Field i, unquoted and unescaped, NUL-terminated, its length in *len;
 * NULL when i is past the last field. */
const char *aq_csv_field(const struct aq_csv *c, size_t i, size_t *len);
/* 1 if any part of field i was quoted. */
int aq_csv_quoted(const struct aq_csv *c, size_t i);
/* The line the record starts on, and its number in the input (1 first). */
long aq_csv_line(const struct aq_csv *c);
long aq_csv_number(const struct aq_csv *c);
/* The input's name given to the open call, "<stdin>" for stdin. */
const char *aq_csv_name(const struct aq_csv *c);
/* The record as it was read, without its line end, NUL-terminated. */
const char *aq_csv_raw(const struct aq_csv *c, size_t *len);

/* The archive's columns, in the order of its files' header. */
enum aq_archive_column {
	AQ_ARCHIVE_LOCATION_ID,
	AQ_ARCHIVE_SENSORS_ID,	/* also spelt sensor_id */
	AQ_ARCHIVE_LOCATION,
	AQ_ARCHIVE_DATETIME,
	AQ_ARCHIVE_LAT,
	AQ_ARCHIVE_LON,
	AQ_ARCHIVE_PARAMETER,
	AQ_ARCHIVE_UNITS,	/* also spelt unit */
	AQ_ARCHIVE_VALUE,
	AQ_ARCHIVE_NCOLS
};
/* The column's name as the archive's header spells it ("sensors_id"), or
 * NULL for a number out of range. */
const char *aq_archive_column_name(int col);
/*
 * Is the current record an archive header, in either spelling and with or
 * without quotes?  It is when it names at least sensors_id (or sensor_id),
 * datetime and value.  If so, and col is not NULL, col[k] is set to the
 * field index of column k, or -1 when the header lacks it.  Returns 1 or 0.
 */
int aq_csv_archive_header(const struct aq_csv *c, int col[AQ_ARCHIVE_NCOLS]);

/* ------------------------------------------------------------------ */
/* The archive on S3                                                   */
/* ------------------------------------------------------------------ */

/* The public bucket's root URL. */
#define AQ_ARCHIVE_URL "https://openaq-data-archive.s3.amazonaws.com"

/* An object of a listing: key, ETag (as the server wrote it, quotes
 * included), size in bytes (-1: not said), LastModified text; error is
 * NULL but for an object aq_archive_run() could not fetch. */
struct aq_archive_object {
	const char *key;
	const char *etag;
	int64_t size;
	const char *last_modified;
	const char *error;
};

/*
 * The archive: S3 ListObjectsV2 listings and objects over HTTP(S), with
 * no credential of any kind (the bucket is public).  Objects are fetched
 * several at once over reused connections, retried with backoff and
 * jitter on 5xx (S3's 503 SlowDown), 429, resets, timeouts, stalls and
 * truncated or corrupt bodies, and handed over whole, decompressed when
 * they are gzip (by their magic bytes), in the order they were added.
 */
struct aq_archive;

struct aq_archive *aq_archive_new(void);
void aq_archive_free(struct aq_archive *a);
void aq_archive_set_errbuf(struct aq_archive *a, char *buf, size_t size);
/* The bucket's root: AQ_ARCHIVE_URL by default; for a path-style server,
 * "http://127.0.0.1:PORT/openaq-data-archive".  http or https only. */
int aq_archive_set_url(struct aq_archive *a, const char *url);
const char *aq_archive_url(const struct aq_archive *a);
/* Objects in flight, 1 to 64 (16); set before the first run. */
int aq_archive_set_jobs(struct aq_archive *a, unsigned n);
/* Keys per listing page asked for (max-keys, 1 to 1000); 0, the default,
 * asks nothing and takes the server's 1000.  Pages are always followed by
 * their continuation token, whatever their length. */
int aq_archive_set_max_keys(struct aq_archive *a, unsigned n);
/* Retries of a request (6), and the backoff before the first (0.5 s),
 * doubling up to max (30 s), with jitter. */
int aq_archive_set_retries(struct aq_archive *a, unsigned n);
int aq_archive_set_backoff(struct aq_archive *a, double first, double max);
/* Connect and whole-transfer timeouts (10, 120 s), and how long a
 * transfer may stall with no byte before it is given up (30 s). */
int aq_archive_set_timeout(struct aq_archive *a, double connect, double total, double stall);
/* Turn TLS verification off (test servers only). */
int aq_archive_set_insecure(struct aq_archive *a, int insecure);
int aq_archive_set_user_agent(struct aq_archive *a, const char *ua);
/* One line per retry and per object given up; no newline. */
void aq_archive_set_log(struct aq_archive *a, void (*fn)(void *arg, const char *line),
    void *arg);
/* fn(arg) is polled while waiting; non-zero stops (AQ_ECANCELED). */
void aq_archive_set_cancel(struct aq_archive *a, int (*fn)(void *arg), void *arg);
/*
 * Every object whose key starts with prefix, page after page (the
 * continuation token, never a count of keys), fn called for each in the
 * server's (key) order; fn's non-zero return stops it (AQ_ECANCELED).
 * AQ_EPROTO for an answer that is not a listing, or one that names a key
 * not under prefix or not after the key before it (S3 lists in ascending
 * order), repeats its continuation token, or runs past 1000
 * pages or 100,000 keys; AQ_ENOTFOUND for 403 or 404, AQ_ESERVER or
 * AQ_ETRANSPORT when retries are spent.
 */
int aq_archive_list(struct aq_archive *a, const char *prefix,
    int (*fn)(void *arg, const struct aq_archive_object *o), void *arg);
/* Queue an object (copied) for the next run. */
int aq_archive_add(struct aq_archive *a, const struct aq_archive_object *o);
/* Objects queued and not yet handed over. */
size_t aq_archive_pending(const struct aq_archive *a);
/*
 * Fetch every queued object and call fn(arg, o, data, len) for each, in
 * the order they were added, with the whole body (decompressed); memory
 * holds at most 4 x jobs objects.  An object that could not be fetched
 * (403 or 404, or retries spent) gets fn(arg, o, NULL, 0) with o->error
 * saying why, and the others go on; the run then returns the first such
 * failure's code, the detail buffer naming how many and the first key.
 * fn's non-zero return stops the run (AQ_ECANCELED).  The queue is empty
 * afterwards.
 */
int aq_archive_run(struct aq_archive *a,
    int (*fn)(void *arg, const struct aq_archive_object *o, const char *data, size_t len),
    void *arg);
enum aq_archive_counter {
	AQ_ARCHIVE_COUNT_REQUESTS,	/* HTTP requests, retries included */
	AQ_ARCHIVE_COUNT_RETRIES,
	AQ_ARCHIVE_COUNT_LISTINGS,	/* listing pages */
	AQ_ARCHIVE_COUNT_OBJECTS,	/* objects handed over */
	AQ_ARCHIVE_COUNT_BYTES,		/* bytes of objects as they came */
	AQ_ARCHIVE_COUNT_FAILED,	/* objects given up */
	AQ_ARCHIVE_COUNT_N
};
uint64_t aq_archive_count(const struct aq_archive *a, int counter);
/* "records/csv.gz/locationid=ID/year=YYYY/" into buf; its length, or 0
 * when it does not fit or the values are out of range. */
size_t aq_archive_prefix(int64_t location, int year, char *buf, size_t size);
/* The location and local day of a key ".../location-ID-YYYYMMDD.csv.gz";
 * AQ_EINVAL when the key is not of that form (any pointer may be NULL). */
int aq_archive_key_day(const char *key, int64_t *location, int *year, int *month, int *day);

/* ------------------------------------------------------------------ */
/* NDJSON writer                                                       */
/* ------------------------------------------------------------------ */

/*
 * Writes compact JSON lines.  Strings are written as given (raw UTF-8,
 * only the characters JSON requires escaped, as aq_buf_json_string()
 * does); the caller passes valid UTF-8.  With fp NULL, lines stay in memory:
 * aq_writer_buffer() returns them and aq_writer_clear() drops them.
 */
struct aq_writer;

struct aq_writer *aq_writer_new(FILE *fp);
void aq_writer_free(struct aq_writer *w);
int aq_writer_begin_object(struct aq_writer *w);
int aq_writer_end_object(struct aq_writer *w);
int aq_writer_begin_array(struct aq_writer *w);
int aq_writer_end_array(struct aq_writer *w);
/* An object member name (NUL-terminated). */
int aq_writer_key(struct aq_writer *w, const char *key);
int aq_writer_string(struct aq_writer *w, const char *s, size_t len);
/* A NUL-terminated string, or null when s is NULL. */
int aq_writer_cstring(struct aq_writer *w, const char *s);
/* The shortest text that reads back as d; AQ_ERANGE for NaN/infinity. */
int aq_writer_double(struct aq_writer *w, double d);
int aq_writer_int64(struct aq_writer *w, int64_t i);
/* A number given as JSON number text, written unchanged. */
int aq_writer_number_text(struct aq_writer *w, const char *text, size_t len);
int aq_writer_bool(struct aq_writer *w, int b);
int aq_writer_null(struct aq_writer *w);
/* A deep copy of v (numbers keep their exact text); null when v is NULL. */
int aq_writer_value(struct aq_writer *w, const struct aq_value *v);
/*
 * End the current top-level value: append "\n" and hand the line to the
 * FILE (one fwrite), or keep it in memory.  AQ_EINVAL if the value is
 * incomplete, AQ_EIO if the write failed.
 */
int aq_writer_end_line(struct aq_writer *w);
/* Discard a partly written value (after an error), ready for a new line. */
void aq_writer_abandon(struct aq_writer *w);
/* Lines kept in memory (fp NULL); *len gets their length. */
const char *aq_writer_buffer(const struct aq_writer *w, size_t *len);
void aq_writer_clear(struct aq_writer *w);
/* fflush the FILE; AQ_EIO on failure. */
int aq_writer_flush(struct aq_writer *w);

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

/* An instant parsed from ISO-8601 text. */
struct aq_time {
	int64_t usec;		/* microseconds since 1970-01-01T00:00:00Z */
	int offset_min;		/* the text's UTC offset in minutes */
	int has_zone;		/* 0: no zone in the text; usec is the wall time read as UTC */
	int has_time;		/* 0: a bare date; the time is 00:00 */
};

/*
 * Parse "YYYY-MM-DD", or "YYYY-MM-DD" then "T" or " " then "HH:MM[:SS[.f]]"
 * with an optional "Z", "+HH:MM", "+HHMM" or "+HH".  Up to 9 fractional
 * digits (kept to the microsecond, truncated).  AQ_EINVAL for malformed
 * text, AQ_ERANGE for an impossible date or time (2024-02-30, 24:01).
 */
int aq_time_parse(const char *s, size_t len, struct aq_time *t);
/* Bytes needed by aq_time_format, NUL included. */
#define AQ_TIME_BUFSZ 32
/*
 * Write usec as UTC "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (fraction only when
 * non-zero, without trailing zeros).  Returns the length, 0 if out of
 * range (years 1..9999) or size < AQ_TIME_BUFSZ.
 */
size_t aq_time_format(int64_t usec, char *buf, size_t size);
/*
 * Civil dates (proleptic Gregorian, UTC).  aq_time_from_civil() returns
 * the instant 00:00:00Z of year-month-day; a month outside 1..12 carries
 * into the year and a day outside the month into the next or previous
 * months, as mktime(3) normalises (2025-13-01 is 2026-01-01, 2025-03-00
 * is 2025-02-28), so "the first of the next month" is (y, m + 1, 1).
 * aq_time_to_civil() gives the date that holds usec (any pointer may be
 * NULL).
 */
int64_t aq_time_from_civil(int year, int month, int day);
void aq_time_to_civil(int64_t usec, int *year, int *month, int *day);

/* ------------------------------------------------------------------ */
/* PostgreSQL loader                                                   */
/* ------------------------------------------------------------------ */

/*
 * Loads JSON records into one PostgreSQL table, in batches, each batch in
 * one transaction: a batch is committed whole or not at all.  The record's
 * keys are the table's column names (read from the catalog); a key the
 * record lacks takes the column's default (evaluated once per run).
 *
 * Every batch is first COPYed straight into the table; when a row's key
 * exists already, the batch is redone through a temporary staging table
 * and one INSERT ... ON CONFLICT (primary key) per batch.  Modes:
 * - AQ_LOAD_UPSERT: a row whose key exists replaces the stored one; rows
 *   equal to the stored ones are left alone (counted unchanged), so a
 *   rerun of the same input changes nothing.  Within a batch the later row
 *   of a key wins.
 * - AQ_LOAD_IGNORE: the same, but a row whose key exists stays as it is.
 * - AQ_LOAD_INSERT: a row whose key exists (in the table or earlier in the
 *   batch) is rejected as "already present".
 * A row the database refuses (type, constraint) is handed to the reject
 * callback with the database's message; the rest of its batch still loads.
 * A table partitioned by a timestamptz column gets the monthly partitions
 * its rows need from the schema function aq_ensure_partition() when the
 * database has it (see aq_loader_migrate).  The loader knows no table of
 * its own: rows whose reference names no row of another table are counted
 * (AQ_LOAD_ORPHANS) only under a rule the caller sets with
 * aq_loader_set_orphans().
 */
struct aq_loader;

enum aq_load_mode {
	AQ_LOAD_UPSERT = 0,
	AQ_LOAD_INSERT = 1,
	AQ_LOAD_IGNORE = 2
};

/* Counters for aq_loader_count(); all count rows, except BATCHES and
 * RETRIES. */
enum aq_load_counter {
	AQ_LOAD_ROWS = 0,	/* rows accepted by aq_loader_add */
	AQ_LOAD_INSERTED,	/* new rows committed */
	AQ_LOAD_UPDATED,	/* rows that changed stored rows (upsert) */
	AQ_LOAD_UNCHANGED,	/* rows equal to stored ones, or kept by ignore */
	AQ_LOAD_DUPLICATES,	/* rows replaced by a later row of the same batch */
	AQ_LOAD_REJECTED,	/* rows the database refused */
	AQ_LOAD_ORPHANS,	/* rows whose orphan-rule column names no row of
				 * the referenced table (aq_loader_set_orphans) */
	AQ_LOAD_BATCHES,	/* committed batches */
	AQ_LOAD_REVISED,	/* updated rows whose value or units changed,
				 * as the database's revision log counted them
				 * (the setting aq.revised, sql/006-runs.sql) */
	AQ_LOAD_RETRIES,	/* attempts at a batch that failed as a whole
				 * and were tried again (aq_loader_set_retry) */
	AQ_LOAD_NCOUNTERS
};

struct aq_loader *aq_loader_new(void);
void aq_loader_free(struct aq_loader *l);
void aq_loader_set_errbuf(struct aq_loader *l, char *buf, size_t size);
/*
 * fn(arg, source, line, json, len, reason) gets every row the database
 * refused: where it came from, its JSON text as given to aq_loader_add,
 * and the database's message.
 */
void aq_loader_set_reject(struct aq_loader *l,
    void (*fn)(void *arg, const char *source, long line, const char *json, size_t len,
	const char *reason),
    void *arg);
/* fn(arg, message) gets the server's notices and the loader's warnings
 * (an unknown key, once per key). */
void aq_loader_set_notice(struct aq_loader *l, void (*fn)(void *arg, const char *msg),
    void *arg);
/* What a notice is about, for aq_loader_set_notice_kind(); more kinds may
 * be added, so treat an unknown one as AQ_LOADER_NOTICE_SERVER. */
enum aq_loader_notice {
	AQ_LOADER_NOTICE_SERVER = 0,	/* a NOTICE or WARNING from the server */
	AQ_LOADER_NOTICE_UNKNOWN_KEY = 1,	/* a record's key is not a column
					 * (said once per key) */
	AQ_LOADER_NOTICE_RETRY = 2	/* a batch failed for a passing reason
					 * and will be tried again */
};
/*
 * As aq_loader_set_notice(), but fn(arg, kind, message) also gets the
 * notice's kind (enum aq_loader_notice), so that a program can choose
 * without reading the message, whose text may change.  Each of the two
 * replaces the callback the other set.
 */
void aq_loader_set_notice_kind(struct aq_loader *l,
    void (*fn)(void *arg, int kind, const char *msg), void *arg);
/*
 * The orphan rule, applied by the next aq_loader_open(): rows whose column
 * (of the table opened) holds a value that is not in column refcolumn of
 * table reftable ("schema.table", or a table of the opened table's schema)
 * are loaded all the same, and counted as AQ_LOAD_ORPHANS.  The names are
 * quoted, so any name works.  The rule applies only when the opened table
 * has that column and reftable has refcolumn, both integer columns;
 * otherwise no row is counted.  column NULL removes the rule (the default:
 * no rule).  AQ_EINVAL for an empty name, AQ_ENOMEM.
 */
int aq_loader_set_orphans(struct aq_loader *l, const char *column, const char *reftable,
    const char *refcolumn);
/*
 * Connect with a libpq conninfo string or URI; NULL or "" uses libpq's
 * environment (PGHOST, PGDATABASE, PGSERVICE...).  AQ_EDBCONN on failure.
 */
int aq_loader_connect(struct aq_loader *l, const char *conninfo);
/*
 * Create the schema, or upgrade it to this library's latest version,
 * applying the numbered migrations (sql/NNN-*.sql, built into the library)
 * in order, all in one transaction, recorded in table schema_version.
 * *from and *to (either may be NULL) get the versions before and after.
 * AQ_ESCHEMA if the database is newer than the library.
 */
int aq_loader_migrate(struct aq_loader *l, int *from, int *to);
/* The latest schema version this library knows. */
int aq_loader_schema_latest(void);
/* COPY formats, for aq_loader_set_copy_format(). */
enum aq_copy_format {
	AQ_COPY_BINARY = 0,	/* binary where it can be exact (the default) */
	AQ_COPY_TEXT = 1	/* always text */
};
/*
 * The COPY format of the tables opened after this call.  With
 * AQ_COPY_BINARY (the default), a table whose columns are all of types the
 * binary encoder knows (bool, int2/4/8, float4/8, numeric, text, varchar,
 * json, jsonb, timestamptz, date) is loaded in binary, which the server
 * does not have to parse; from the first value it cannot write exactly as
 * the server would read its text (a string in an integer column, say),
 * the loader goes on in text, so that the server reads and judges it.
 * AQ_EINVAL for another format.
 */
int aq_loader_set_copy_format(struct aq_loader *l, int format);
/*
 * Prepare to load table (optionally "schema.table"; the name is quoted, so
 * any name works) in mode (enum aq_load_mode).  With strict, a key that is
 * not a column makes the row an error (AQ_EDATA from aq_loader_add);
 * otherwise it is ignored with one notice.  AQ_ESCHEMA if the table does
 * not exist, or has no primary key for upsert and ignore.
 */
int aq_loader_open(struct aq_loader *l, const char *table, int mode, int strict);
/*
 * Add one record to the current batch.  json/len is the record's text
 * (kept for the reject callback), source/line where it came from.
 * AQ_EDATA (detail buffer: the reason) when the record cannot be a row
 * (a NUL byte, an unknown key under strict); the batch is unaffected.
 * Rows travel to the server as they are added, or, once aq_loader_send()
 * was called, when the batch is sent, in the order of their key; nothing
 * is committed before aq_loader_flush() or aq_loader_send().
 */
int aq_loader_add(struct aq_loader *l, const struct aq_value *rec, const char *json,
    size_t len, const char *source, long line);
/* Rows in the current, uncommitted batch. */
size_t aq_loader_pending(const struct aq_loader *l);
/*
 * Finish the batch: load it, hand refused rows to the reject callback,
 * commit.  Only a row's own fault (SQLSTATE classes 22 and 23: bad input
 * syntax, a constraint) rejects rows.  A failure of the batch as a whole
 * for a passing reason (deadlock 40P01, serialization failure 40001, a
 * lost connection or a server shutdown (class 08, 57P01-57P03),
 * insufficient resources (class 53: disk full, out of memory), a statement
 * or lock timeout (57014, 55P03)) rolls the batch back and tries it again
 * through the staging table, reconnecting if need be, as
 * aq_loader_set_retry() says; then AQ_EDBTEMP (the connection is lost:
 * AQ_EDBCONN).  AQ_EDB if the database refused the batch for any other
 * reason, AQ_ECANCELED if the retry's stop function said stop, AQ_EIO if
 * the before-commit function said the rejects cannot be kept.  On any
 * failure the batch is not committed and every earlier batch is.  A
 * batch sent by aq_loader_send() and not finished yet is finished first
 * (its failure is returned, and the current batch is left pending).
 */
int aq_loader_flush(struct aq_loader *l);
/*
 * Send the batch and return without waiting for the server, so that the
 * caller reads and adds the next batch while the server stores this one
 * (one batch at a time is in flight).  The batch sent is finished
 * (results, rejects, commit, retries, as aq_loader_flush() says) by the
 * next aq_loader_send(), aq_loader_flush(), aq_loader_run_end() or
 * aq_loader_open(), which return its failure, if any, before doing
 * anything else; aq_loader_free() abandons it (rolled back).  A batch
 * that must go through the staging table (it repeats a key, or the last
 * batch found its rows stored) is finished before aq_loader_send()
 * returns.  The counts (aq_loader_count()) are of committed batches.
 * From the first call on (with no rows pending, it only sets this), rows
 * are no longer streamed as they are added but sent with their batch, in
 * the order of their key: the server then stores rows of one key range
 * one after another, which is cheaper for its index than input order.
 */
int aq_loader_send(struct aq_loader *l);
/*
 * Finish the batch aq_loader_send() left in flight, if any, as the next
 * send would (its failure is returned); the current batch stays pending.
 * A program whose input would block calls it, so that a sent batch does
 * not wait uncommitted for the next one to fill.
 */
int aq_loader_finish(struct aq_loader *l);
/*
 * How a batch that failed for a passing reason is tried again: at most
 * attempts times in all (1: never again; default 6), waiting between
 * attempts an exponential backoff with jitter from first seconds
 * (default 0.5) up to max seconds (default 10).  stop(arg), when given, is
 * asked before each attempt and during each wait (every 50 ms, and after a
 * signal interrupted the wait): nonzero gives up at once with
 * AQ_ECANCELED.  AQ_EINVAL for attempts < 1 or first > max.
 */
int aq_loader_set_retry(struct aq_loader *l, int attempts, double first, double max,
    int (*stop)(void *arg), void *arg);
/*
 * fn(arg), when given, runs just before every batch commits, after the
 * reject callback got the batch's refused rows: a program that writes
 * rejects to a file flushes it here, and returns nonzero when they cannot
 * be written, which rolls the batch back (aq_loader_flush() returns
 * AQ_EIO), so that no committed batch lacks its rejects.
 */
void aq_loader_set_precommit(struct aq_loader *l, int (*fn)(void *arg), void *arg);
/*
 * The run log (table load_run of the opened table's schema, sql/006-runs):
 * after aq_loader_run_begin(), every batch's transaction writes the run's
 * row with the counts so far (label may be NULL), so that the log never
 * claims a row the table does not hold, and the revision log names the
 * run.  aq_loader_run_end(l, 0) commits the pending batch as
 * aq_loader_flush() does, marking the row finished with status 0 in the
 * same transaction.  With any other status, or with no batch pending, it
 * marks the row finished with status in a transaction of its own, with
 * the counts of what was committed: after a failed flush (or a failed
 * aq_loader_run_end(l, 0)), call it with the program's exit status.
 * Without a load_run table both do nothing.  AQ_ENOMEM, or a database
 * failure (as for flush).
 */
int aq_loader_run_begin(struct aq_loader *l, const char *label);
int aq_loader_run_end(struct aq_loader *l, int status);
/* The caller's own counts for the run's row: records read (when more than
 * the rows added) and rejected before they reached the loader. */
void aq_loader_run_count(struct aq_loader *l, uint64_t read, uint64_t rejected);
/* The run's id in load_run (aq_loader_run_begin), else 0. */
int64_t aq_loader_run_id(const struct aq_loader *l);
/* A counter (enum aq_load_counter) over the committed batches. */
uint64_t aq_loader_count(const struct aq_loader *l, int counter);

/* ------------------------------------------------------------------ */
/* Rate limiter                                                        */
/* ------------------------------------------------------------------ */

/*
 * A request budget shared by every process that uses the same API key:
 * at most per_minute requests in any window of one "minute" and at most
 * per_hour in any window of sixty of them, counted in a small state file
 * that every user locks (fcntl) for each decision.  The file is named by
 * a SHA-256 hash of the key, never by the key.  The server's own view
 * (x-ratelimit-remaining and x-ratelimit-reset) and its 429 answers
 * tighten the budget further.
 *
 * Times are seconds since the epoch on the caller's clock (the real
 * clock in the tools; unit tests pass their own).  All processes sharing
 * a file must use the same clock.
 */
struct aq_limiter;
struct aq_limiter *aq_limiter_new(void);
void aq_limiter_free(struct aq_limiter *l);
void aq_limiter_set_errbuf(struct aq_limiter *l, char *buf, size_t size);
/*
 * The length of the "minute" in seconds (default 60).  Only tests change
 * it, to scale time down against a fake server with a short window.
 */
int aq_limiter_set_window(struct aq_limiter *l, double seconds);
/*
 * Open (create) the state file for key in dir.  dir NULL means
 * $AQ_STATE_DIR, else $XDG_RUNTIME_DIR/openaq, else $TMPDIR/openaq-UID
 * (created mode 0700; a directory owned by someone else is refused).
 * dir "" keeps the state in this process only.  per_minute and per_hour
 * must be at least 1.  AQ_ESTATE if the file cannot be used.
 */
int aq_limiter_open(struct aq_limiter *l, const char *dir, const char *key,
    unsigned per_minute, unsigned per_hour);
/* The state file's path ("" when the state is private). */
const char *aq_limiter_path(const struct aq_limiter *l);
/*
 * Ask for one request at time now.  AQ_OK and *wait 0: the request is
 * counted, send it.  AQ_OK and *wait > 0: nothing is counted, ask again
 * in *wait seconds.  *why (if not NULL) names the budget that is spent:
 * "minute", "hour" or "server".
 */
int aq_limiter_acquire(struct aq_limiter *l, double now, double *wait, const char **why);
/*
 * What the server said in its x-ratelimit-remaining and -reset headers
 * (pass -1 for a header that was absent or not a number).
 */
int aq_limiter_update(struct aq_limiter *l, double now, long remaining, long reset);
/* The server answered 429: nobody sends before now + seconds. */
int aq_limiter_block(struct aq_limiter *l, double now, double seconds);
/* Requests counted in the last minute and the last hour, at time now. */
int aq_limiter_usage(struct aq_limiter *l, double now, unsigned *minute, unsigned *hour);

/* ------------------------------------------------------------------ */
/* OpenAQ API client                                                   */
/* ------------------------------------------------------------------ */

/*
 * Walks paged OpenAQ v3 endpoints: page 1, 2, ... until a page holds
 * fewer than limit results (meta.found is never trusted), several walks
 * in flight at once (curl multi, reused connections, gzip), every request
 * first counted by the shared rate limiter.  408, 429, 5xx, resets,
 * truncated bodies and timeouts are retried with exponential backoff and
 * jitter; 401, 403, 404, 410 and 422 are not.  A page is handed over only
 * once it arrived whole and parsed, so a failed page is fetched again and
 * delivered once.
 */
struct aq_client;
struct aq_client *aq_client_new(void);
/* Frees the client; the key's memory is wiped. */
void aq_client_free(struct aq_client *c);
void aq_client_set_errbuf(struct aq_client *c, char *buf, size_t size);
/* Default "https://api.openaq.org/v3"; a trailing slash is dropped. */
int aq_client_set_base_url(struct aq_client *c, const char *url);
/* The API key, sent only in the X-API-Key header; copied. */
int aq_client_set_key(struct aq_client *c, const char *key);
/* Default "libopenaq/VERSION". */
int aq_client_set_user_agent(struct aq_client *c, const char *ua);
/* Budgets (defaults 60 and 2000), the state directory (see aq_limiter_open)
 * and the window scale (aq_limiter_set_window); applied at the first run. */
int aq_client_set_rate(struct aq_client *c, unsigned per_minute, unsigned per_hour);
int aq_client_set_state_dir(struct aq_client *c, const char *dir);
int aq_client_set_rate_window(struct aq_client *c, double seconds);
/* Requests in flight at once (default 1, at most 64). */
int aq_client_set_jobs(struct aq_client *c, unsigned n);
/* Page size sent as limit (default 1000, at most 1000). */
int aq_client_set_page_size(struct aq_client *c, unsigned n);
/* Attempts after the first for one page (default 6); 429s are counted
 * apart (up to 20 in a row). */
int aq_client_set_retries(struct aq_client *c, unsigned n);
/* Seconds before the first retry (default 0.5), doubled each retry up to
 * max (default 30), with jitter. */
int aq_client_set_backoff(struct aq_client *c, double first, double max);
/* Seconds: connect timeout and whole-request timeout (defaults 10, 60). */
int aq_client_set_timeout(struct aq_client *c, double connect, double total);
/* Turn off TLS certificate verification (test servers only). */
int aq_client_set_insecure(struct aq_client *c, int insecure);
/*
 * fn(arg, line) receives one line per request and per wait, e.g.
 * "GET /v3/locations?limit=1000&page=2 200 41 ms 1000 results".  Lines
 * never hold the key.
 */
void aq_client_set_log(struct aq_client *c, void (*fn)(void *arg, const char *line), void *arg);
/* fn(arg) is polled while waiting; non-zero stops the run (AQ_ECANCELED). */
void aq_client_set_cancel(struct aq_client *c, int (*fn)(void *arg), void *arg);
/*
 * Check a query parameter name: AQ_EINVAL (detail: why) unless it is
 * snake_case (the API silently ignores any other name).
 */
int aq_client_check_param(struct aq_client *c, const char *name);

/* Window parameter families for aq_client_add_window(). */
enum aq_window {
	AQ_WINDOW_DATETIME = 1,	/* datetime_from (exclusive), datetime_to (inclusive) */
	AQ_WINDOW_DATE = 2	/* date_from, date_to (inclusive dates) */
};
/*
 * Queue a walk of path (relative to the base URL, e.g. "/locations" or
 * "/v3/locations"; the "/v3" is never doubled).  params is NULL or a
 * NULL-terminated array of "name=value" strings, URL-encoded here; limit
 * and page are added unless params holds them (a given page means that
 * one page only).  tag is handed back with each record.
 */
int aq_client_add(struct aq_client *c, const char *path, const char *const *params, void *tag);
/*
 * The same over a time window [from, to] (microseconds since the epoch),
 * sent in UTC with "Z" in the given family.  When the server answers 408
 * to the first page, the window is cut in two and each half walked in
 * turn (down to one hour, or one day for dates).
 */
int aq_client_add_window(struct aq_client *c, const char *path, const char *const *params,
    int family, int64_t from, int64_t to, void *tag);
/*
 * Run every queued walk.  fn(arg, tag, rec) receives each element of each
 * page's results, in order within a walk; it returns 0 to go on, non-zero
 * to stop (AQ_ECANCELED).  Walks still queued after a failure are dropped.
 * Returns AQ_OK, or AQ_EAUTH (401/403), AQ_ENOTFOUND (404), AQ_EHTTP
 * (other 4xx), AQ_ERATELIMIT, AQ_ESERVER, AQ_ETIMEOUT, AQ_ETRANSPORT
 * (retries spent), AQ_EPROTO (bodies that never parsed), AQ_ESTATE; the
 * detail says which request (path and query, never the key) and the API's
 * own error text.
 */
int aq_client_run(struct aq_client *c,
    int (*fn)(void *arg, void *tag, const struct aq_value *rec), void *arg);
/* Counters since the client was made. */
enum aq_client_counter {
	AQ_CLIENT_REQUESTS = 0,	/* requests sent */
	AQ_CLIENT_RETRIES,	/* requests that were retries */
	AQ_CLIENT_RATELIMITED,	/* 429 answers */
	AQ_CLIENT_RECORDS,	/* records handed over */
	AQ_CLIENT_WAITS		/* times the limiter made a request wait */
};
uint64_t aq_client_count(const struct aq_client *c, int counter);

#ifdef __cplusplus
}
#endif

#endif /* OPENAQ_H */
