/*
 * load-int.h: private to the loader's files.
 *
 *   load.c          the handle, connecting, adding rows, flushing a batch
 *   load-open.c     reading the target table from the catalog
 *   migrate.c       the schema migrations (lib/migrations.c)
 *   copy-text.c     the COPY text encoder (no libpq)
 *   copy-binary.c   the COPY binary encoder, and back to text (no libpq)
 *   load-sql.c      the statements' text (no libpq)
 *   load-recover.c  a refused batch: staging, bisection, rejects
 *
 * copy-text.c, copy-binary.c and load-sql.c know nothing of libpq or of struct aq_loader,
 * so that their unit tests need no server.
 */
#ifndef AQ_LOAD_INT_H
#define AQ_LOAD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "aq-int.h"

/* libpq's handles, without libpq-fe.h: the encoder and the statement
 * builders must build without libpq */
struct pg_conn;
struct pg_result;

/* PostgreSQL type oids (pg_type.h) of the types the encoders know */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_JSON 114
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_VARCHAR 1043
#define OID_DATE 1082
#define OID_TIMESTAMPTZ 1184
#define OID_NUMERIC 1700
#define OID_JSONB 3802

/* How a column's values are written (from its type's oid). */
enum aqi_coltype { AQI_CT_TEXT, AQI_CT_INT, AQI_CT_FLOAT, AQI_CT_BOOL, AQI_CT_JSON };

/* The map from a PostgreSQL type oid to enum aqi_coltype. */
int aqi_coltype_of(unsigned long oid);

struct aqi_column {
	char *name;
	size_t namelen;
	char *qname;		/* quoted identifier (aqi_sql_ident) */
	unsigned long oid;	/* its type, for an encoder that needs more
				 * than type (a binary one) */
	int type;		/* enum aqi_coltype */
	int pk;			/* part of the primary key */
	char *defval;		/* default, encoded as a field; NULL for SQL null */
	size_t deflen;
	char *deftext;		/* the default as the server wrote it, for
				 * another encoder; NULL for SQL null */
	size_t deftextlen;
};

/* The target table, as the statement builders see it. */
struct aqi_table {
	char *qtable;			/* "schema"."table" */
	char *label;			/* table as the caller named it */
	struct aqi_column *cols;
	size_t ncols, npk;
	char *collist;			/* "a", "b", "c" */
};

/* ---- COPY encoders (copy-text.c, copy-binary.c) ---- */

/* From an encoder's field or field_text: this value cannot be written
 * exactly in this format; use text, where the server reads it itself. */
#define AQI_ETEXT 1000

/*
 * One COPY data format.  A row is row_begin, then field for each column in
 * order, then row_end.  Every function appends to b and returns AQ_OK or
 * AQ_ENOMEM; on failure b may hold part of the row (the caller truncates).
 * field also returns AQ_EDATA for a value PostgreSQL cannot store (a NUL
 * character anywhere in it), before writing anything.
 */
struct aqi_copy_enc {
	const char *name;	/* "text": the COPY FORMAT option */
	/* bytes that start and end every COPY stream */
	const char *head, *tail;
	size_t headlen, taillen;
	int (*row_begin)(struct aq_buf *b, size_t nfields);
	/* field i (from 0) of a row, v as a value of column c; v NULL for
	 * SQL null */
	int (*field)(struct aq_buf *b, size_t i, const struct aqi_column *c,
	    const struct aq_value *v);
	/* field i, as bytes encoded already by field_text (a column
	 * default); enc NULL for SQL null */
	int (*field_raw)(struct aq_buf *b, size_t i, const char *enc, size_t len);
	/* encode the server's text form of a value (a column default) into
	 * *out, to be written later with field_raw */
	int (*field_text)(struct aq_buf *out, const struct aqi_column *c, const char *s,
	    size_t n);
	int (*row_end)(struct aq_buf *b);
	/* append to b the row [row, row + len), as written above, with one
	 * more integer field ord at its end (staging's aq_ord column) */
	int (*row_with_ord)(struct aq_buf *b, const char *row, size_t len, size_t ord);
};

extern const struct aqi_copy_enc aqi_copy_text;
extern const struct aqi_copy_enc aqi_copy_binary;

/* Big-endian 32-bit words, as COPY BINARY and the binary send forms
 * write them. */
static inline void
aqi_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint32_t
aqi_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The length word that heads a COPY BINARY field (-1: null), and the
 * field's size, the word included. */
static inline int32_t
aqi_field_len(const unsigned char *p)
{
	return (int32_t)aqi_get32(p);
}

static inline size_t
aqi_field_size(const unsigned char *p)
{
	int32_t n = aqi_field_len(p);

	return 4 + (n > 0 ? (size_t)n : 0);
}

/* Does the binary encoder know the type oid? */
int aqi_copy_binary_knows(unsigned long oid);
/* Append the COPY text of field [field, field + n) of type oid as the
 * binary encoder wrote it (no length; n > 0 or empty text). */
int aqi_copy_binary_to_text(struct aq_buf *out, unsigned long oid, const char *field, size_t n);

/* Append s[0..n) escaped as COPY text (backslash, newline, CR, tab). */
int aqi_copy_text_escape(struct aq_buf *b, const char *s, size_t n);
/* Does a JSON value hold a NUL character ("\u0000") in any string or key? */
int aqi_value_has_nul(const struct aq_value *v);

/* Double a hash set's slots (index + 1 into v, 0 free; 1024 at first) and
 * place v's n entries again, each of size bytes and led by its uint64_t
 * hash (struct aqi_ident, struct aqi_checkgrp). */
int aqi_rehash(size_t **slot, size_t *cap, const void *v, size_t n, size_t size);
/* Finish the batch aq_loader_send() left in flight, if any (load.c). */
int aqi_load_finish_flight(struct aq_loader *l);
/* Back to blocking mode, what libpq holds sent first (load.c). */
int aqi_load_settle(struct aq_loader *l);

/* ---- the check against stored rows (load-check.c) ---- */

/* Forget the open table's check state (before it changes). */
void aqi_check_reset(struct aq_loader *l);
/* Can the batch be checked (upsert or ignore, binary rows, a key, no
 * repeated key)? */
int aqi_check_applies(const struct aq_loader *l);
/* Send the check's query (nonblock: queued, see aq_loader_send()). */
int aqi_check_send(struct aq_loader *l, int nonblock);
/* Read its answer: l->changed[0..*nchanged) are the rows (in l->rows)
 * that are new or differ from the stored ones.  AQ_EDB when the check
 * failed (the caller goes the usual way), AQ_EDBCONN. */
int aqi_check_read(struct aq_loader *l, size_t *nchanged);

/* ---- statement text (load-sql.c) ---- */

/* The staging table's name, in pg_temp. */
#define AQI_STAGE "aq_stage"

/*
 * Every builder appends to q (the caller resets it) and returns AQ_OK, or
 * the code of the first append that failed (AQ_ENOMEM), at once.
 */

/* name as a quoted identifier: "name", with '"' doubled. */
int aqi_sql_ident(struct aq_buf *q, const char *name);
/* "a", "b", "c": the columns' quoted names. */
int aqi_sql_collist(struct aq_buf *q, const struct aqi_table *t);
/* COPY into the target, or into staging with aq_ord, in format enc. */
int aqi_sql_copy(struct aq_buf *q, const struct aqi_table *t, const struct aqi_copy_enc *enc);
int aqi_sql_copy_stage(struct aq_buf *q, const struct aqi_table *t,
    const struct aqi_copy_enc *enc);
/* (Re)create the staging table for t. */
int aqi_sql_stage(struct aq_buf *q, const struct aqi_table *t);
/*
 * The merge of staging rows with aq_ord in [a, b) into the target in mode
 * (enum aq_load_mode); with dedup, one row per key (the first in insert
 * mode, else the last).  Its one row: rows written, rows offered.
 */
int aqi_sql_merge(struct aq_buf *q, const struct aqi_table *t, int mode, size_t a, size_t b,
    int dedup);
/* Upsert mode: delete from staging the rows equal to stored ones. */
int aqi_sql_unchanged(struct aq_buf *q, const struct aqi_table *t);
/* The check of load-check.c: $1..$npk the key columns as arrays (in
 * column order), then, when partcol >= 0, $npk+1 and $npk+2 the range of
 * that column; returns the stored rows of those keys (every column, in
 * column order), perhaps more.  The key's last column needs min() and
 * max().  grouped: the client has made the groups, and $1..$npk-1 are the
 * key's other columns, one element a group, $npk and $npk+1 the lowest
 * and highest of its last column in the group (then the range). */
int aqi_sql_check(struct aq_buf *q, const struct aqi_table *t, int partcol, int grouped);
/* Parameters of the check at most (the key's columns, the range and one
 * more when grouped). */
#define AQI_CHECK_MAXPARAMS 35
/* Insert mode: delete from staging, returning their aq_ord, the rows whose
 * key is stored already or earlier in staging. */
int aqi_sql_present(struct aq_buf *q, const struct aqi_table *t);
/* The batch's facts (revisions, transaction id) and the rows of values $1
 * (a bigint[] literal, each value once), $2 rows each, not in column qref
 * of table qreftab (both quoted already). */
int aqi_sql_orphans(struct aq_buf *q, const char *qreftab, const char *qref);

/* ---- the handle ---- */

struct aqi_load_row {
	size_t copy_off, copy_len;	/* its COPY data in l->copy */
	size_t stage_off, stage_len;	/* the same with aq_ord, in l->stage */
	size_t json_off, json_len;	/* its JSON in l->json */
	long line;
	size_t src;			/* index in l->srcs */
	int64_t month;			/* of the partition key, or -1 */
};

/* The orphan rule, as the caller set it (aq_loader_set_orphans). */
struct aqi_orphan_rule {
	char *column, *reftable, *refcolumn;	/* NULL: no rule */
};

/* A row refused by the batch, kept until the batch is about to commit. */
struct aqi_load_reject {
	size_t row;			/* in l->rows */
	size_t off;			/* its reason, a string in l->rejreasons */
};

/* A row's place in key order (load.c, send_batch()). */
struct aqi_sortent {
	uint64_t prefix;		/* the key's first 8 bytes, big-endian */
	const unsigned char *key;	/* the key's bytes, in l->sortbuf */
	size_t keylen;
	size_t row;
};

struct aqi_load_batch;

/*
 * The distinct values of a batch's orphan column (aq_loader_set_orphans()),
 * each with its number of rows, so that the orphan count probes each
 * value once: text is "{v1,v2,..." as the rows gave them.
 */
struct aqi_ident {
	uint64_t hash, n;		/* hash first: aqi_rehash() */
	size_t off, len;		/* in text */
};
struct aqi_idset {
	struct aq_buf text, counts;
	struct aqi_ident *v;
	size_t nv, capv;
	size_t *slot;			/* index + 1 into v, 0 free */
	size_t capslot;
};

/* A group of a batch's rows for the check (load-check.c): one value of the
 * key's other columns, the lowest and highest of its last. */
struct aqi_checkgrp {
	uint64_t hash;			/* first: aqi_rehash() */
	const unsigned char *first;	/* its first row's fields */
	const unsigned char *lo, *hi;	/* the last column's, length word first */
};

struct aq_loader {
	struct pg_conn *conn;
	struct aqi_errbuf err;
	void (*reject)(void *, const char *, long, const char *, size_t, const char *);
	void *reject_arg;
	void (*notice)(void *, const char *);
	void (*notice_kind)(void *, int, const char *);
	void *notice_arg;
	const struct aqi_copy_enc *enc;
	int text_only;			/* aq_loader_set_copy_format(TEXT) */
	int binary_ok;			/* the open table can go in binary */
	struct aqi_orphan_rule orphans;

	/* a batch that failed for a passing reason (aq_loader_set_retry) */
	int attempts;
	double backoff_first, backoff_max;
	int (*stop)(void *);
	void *stop_arg;
	unsigned rng;
	int careful;			/* skip the direct COPY: rows of the last
					 * batch existed, or it deadlocked */
	int (*precommit)(void *);
	void *precommit_arg;

	/* the batch's refused rows, delivered just before its commit */
	struct aqi_load_reject *rejs;
	size_t nrejs, caprejs;
	struct aq_buf rejreasons;

	/* the run log (aq_loader_run_begin) */
	int run_on;			/* load_run exists and a run began */
	char *run_table;		/* its quoted name */
	char *run_label;
	char run_started[64];		/* the server's now() at run_begin */
	int64_t run_id;			/* its id, from run_begin on */
	int run_written;		/* its row is committed */
	uint64_t run_read, run_rejected;	/* the caller's own counts */

	/* the target, from the catalog */
	int mode, strict;
	struct aqi_table t;
	int partcol;			/* timestamptz partition key column, or -1 */
	int orphancol;			/* the orphan rule's column, or -1 */
	char *orphansql;		/* the batch facts with its count (load.c) */
	int can_partition;		/* aq_ensure_partition() exists */

	/* the batch being added to (the fields that struct aqi_load_batch
	 * swaps with the batch in flight, load.c) */
	struct aq_buf copy, json;
	struct aqi_idset ids;		/* the orphan column's values */
	struct aq_buf stage;		/* the rows for staging (load-recover.c);
					 * copy stays as it was added */
	struct aqi_load_row *rows;
	size_t nrows, caprows;
	char **srcs;
	size_t nsrcs;
	int broken;			/* the direct COPY cannot work: go
					 * through staging at once */
	uint64_t *keys;			/* hashes of the batch's keys (0: free) */
	size_t capkeys, nkeys;
	int dups;			/* the batch may repeat a key */

	size_t sent;			/* bytes of copy streamed already */
	/* the connection's COPY: 1 under way, 2 every row and its end
	 * queued (the results not read yet) */
	int in_copy;
	int sending;			/* aq_loader_send() was called: rows go
					 * at send, in key order, not as added */
	/* a batch sent by aq_loader_send() and not finished yet: its rows
	 * went in key order, and its results wait on the connection */
	struct aqi_load_batch *flight;
	int flying;
	int flight_sent;		/* libpq has sent all its bytes */
	size_t poke_at;			/* copy.len at which to push more of it */
	const struct aqi_copy_enc *defenc;	/* the defaults' encoding */
	struct aqi_sortent *sortv;	/* send_batch()'s key order */
	size_t capsort;
	struct aq_buf sortbuf;
	unsigned sort_gen;		/* sort_rows() calls, to tell that sortv
					 * still holds a presort */
	int presorted;			/* for the next send_batch(): 0, or 1 +
					 * the sort_rows() done already */

	/* the check of a batch against the stored rows (load-check.c) */
	int check_ok;			/* 0 may be tried, 1 prepared, -1 not for
					 * this table */
	int checking;			/* its query is sent, the rows not read */
	unsigned long *arroids;		/* the columns' array types */
	struct aq_buf *arrays;		/* a binary array per column, then the
					 * groups' lowest and highest */
	int grouped;			/* the key's last column is an integer
					 * or a time: the client makes the groups */
	struct aqi_checkgrp *grp;	/* the batch's groups */
	size_t ngrp, capgrp;
	size_t *grpslot, capgrpslot;	/* index + 1 into grp, 0 free */
	size_t *changed, capchanged;	/* rows new or not as stored */
	int stats;			/* track_counts is on */
	int64_t *months;		/* months with a partition (this run) */
	size_t nmonths, capmonths;
	size_t nmonths_committed;	/* the rest were made in this batch */

	/* per-row scratch */
	const struct aq_value **slots;
	size_t *keycache;		/* column of the i-th member last time */
	size_t nkeycache;
	char **unknown;			/* keys warned about */
	size_t nunknown;
	struct aq_buf tmp;

	uint64_t counts[AQ_LOAD_NCOUNTERS];
};

/* What a batch's loading adds to the counters. */
struct aqi_load_tally {
	uint64_t ins, upd, uniq;
	uint64_t revised;
};

/* Is a failure with this SQLSTATE one of the batch as a whole, for a
 * passing reason, that a later attempt may get through? */
int aqi_sqlstate_transient(const char *state);
/* Is it the fault of a row (classes 22 and 23)? */
int aqi_sqlstate_row(const char *state);

/* ---- shared by the loader's files (load.c) ---- */

/* Fill the detail buffer; returns code. */
int aqi_load_fail(struct aq_loader *l, int code, const char *fmt, ...) AQI_PRINTF(3, 4);
/* libpq's message, trimmed to one line (a thread's static buffer). */
const char *aqi_load_pqmsg(const char *m);
/* The failure code for a bad result (cleared) or connection, said in the
 * detail buffer as "what: message". */
int aqi_load_dberr(struct aq_loader *l, struct pg_result *res, const char *what);
/* Run a command that returns no rows. */
int aqi_load_exec(struct aq_loader *l, const char *sql);
/* A notice of kind (enum aq_loader_notice) to the caller's callback. */
void aqi_load_notify(struct aq_loader *l, int kind, const char *msg);
/* Make sure every month of the batch has its partition. */
int aqi_load_partitions(struct aq_loader *l);
/* Encode the columns' defaults (deftext) for l->enc: AQ_OK, AQ_ENOMEM or
 * AQI_ETEXT. */
int aqi_load_defaults(struct aq_loader *l);
/* Free what aq_loader_open() set up. */
void aqi_load_free_target(struct aq_loader *l);
/* (Re)create the session's staging table for the opened target. */
int aqi_load_stage(struct aq_loader *l);
/* Keep a refused row's reason until the batch commits. */
int aqi_load_reject(struct aq_loader *l, size_t row, const char *reason);

/* ---- a refused batch (load-recover.c) ---- */

/*
 * Redo the batch in a fresh transaction through the staging table: every
 * row COPYed, the refused ones rejected, the rest merged; adds to *t.
 * AQ_OK (the caller commits), or a failure of the batch as a whole.
 */
int aqi_load_recover(struct aq_loader *l, struct aqi_load_tally *t);

#endif /* AQ_LOAD_INT_H */
