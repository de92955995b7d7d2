/*
 * fetch-archive.c: aq-fetch archive.  For each location (in key order)
 * and each year of the range, the objects are listed, compared with the
 * manifest (a new or changed ETag is fetched, an unchanged one skipped),
 * fetched several at once, and written one NDJSON line per CSV row.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fetch-archive.h"
#include "field.h"

#define DAY_US INT64_C(86400000000)

/* ---- the manifest: key -> etag, size, last_modified, rows ---- */

struct entry {
	char *key, *etag, *modified;
	int64_t size, rows;
};

struct manifest {
	struct entry *e;	/* open addressing on the key; key NULL = empty */
	size_t cap, n;
	int dirty;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

static struct entry *
lookup(struct manifest *m, const char *key, int add)
{
	size_t i;

	if (add && (m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024, j;
		struct entry *n = calloc(cap, sizeof *n);

		if (n == NULL)
			cli_errx(EX_OSERR, "out of memory");
		for (j = 0; j < m->cap; j++)
			if (m->e[j].key != NULL) {
				i = hash(m->e[j].key) & (cap - 1);
				while (n[i].key != NULL)
					i = (i + 1) & (cap - 1);
				n[i] = m->e[j];
			}
		free(m->e);
		m->e = n;
		m->cap = cap;
	}
	if (m->cap == 0)
		return NULL;
	i = hash(key) & (m->cap - 1);
	while (m->e[i].key != NULL && strcmp(m->e[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	if (m->e[i].key == NULL) {
		if (!add)
			return NULL;
		m->e[i].key = cli_xstrdup(key);
		m->n++;
	}
	return &m->e[i];
}

static void
set_entry(struct entry *e, const char *etag, int64_t size, const char *modified, int64_t rows)
{
	free(e->etag);
	free(e->modified);
	e->etag = cli_xstrdup(etag);
	e->modified = cli_xstrdup(modified);
	e->size = size;
	e->rows = rows;
}

static void
manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->e[i].key != NULL) {
			free(m->e[i].key);
			free(m->e[i].etag);
			free(m->e[i].modified);
		}
	free(m->e);
	memset(m, 0, sizeof *m);
}

static void
on_manifest_record(void *arg, struct aq_reader *r, const struct aq_value *rec)
{
	struct manifest *m = arg;
	const char *key = aq_value_string(aq_value_get(rec, "key"), NULL);
	const char *etag = aq_value_string(aq_value_get(rec, "etag"), NULL);
	const char *mod = aq_value_string(aq_value_get(rec, "last_modified"), NULL);
	int64_t size = -1, rows = 0;

	if (key == NULL || etag == NULL)
		cli_errx(EX_DATAERR, "--manifest %s:%ld: no key or etag: not a manifest",
		    aq_reader_name(r), aq_reader_line(r));
	(void)aq_value_int64(aq_value_get(rec, "size"), &size);
	(void)aq_value_int64(aq_value_get(rec, "rows"), &rows);
	set_entry(lookup(m, key, 1), etag, size, mod ? mod : "", rows);
}

/* The manifest of earlier runs; none on the first. */
static void
manifest_read(struct manifest *m, const char *path)
{
	cli_read_file(path, "--manifest", CLI_FILE_OPTIONAL, on_manifest_record, m);
}

static int
by_key(const void *a, const void *b)
{
	const struct entry *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* Rewrite the manifest whole, in key order: a temporary file, then rename. */
static int
manifest_write(struct manifest *m, const char *path)
{
	struct entry **v;
	struct aq_writer *w;
	char *tmp;
	size_t i, n = 0, len = strlen(path) + 16;
	FILE *fp;
	int fd, ok = 1;

	v = cli_xmalloc((m->n + 1) * sizeof *v);
	for (i = 0; i < m->cap; i++)
		if (m->e[i].key != NULL)
			v[n++] = &m->e[i];
	qsort(v, n, sizeof *v, by_key);
	tmp = cli_xmalloc(len);
	snprintf(tmp, len, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		cli_warn("--manifest %s", tmp);
		free(tmp);
		free(v);
		return EX_CANTCREAT;
	}
	if ((w = aq_writer_new(fp)) == NULL)
		cli_errx(EX_OSERR, "out of memory");
	for (i = 0; i < n && ok; i++)
		ok = aq_writer_begin_object(w) == AQ_OK && aq_writer_key(w, "key") == AQ_OK &&
		    aq_writer_cstring(w, v[i]->key) == AQ_OK && aq_writer_key(w, "etag") == AQ_OK &&
		    aq_writer_cstring(w, v[i]->etag) == AQ_OK && aq_writer_key(w, "size") == AQ_OK &&
		    aq_writer_int64(w, v[i]->size) == AQ_OK &&
		    aq_writer_key(w, "last_modified") == AQ_OK &&
		    aq_writer_cstring(w, v[i]->modified) == AQ_OK && aq_writer_key(w, "rows") == AQ_OK &&
		    aq_writer_int64(w, v[i]->rows) == AQ_OK && aq_writer_end_object(w) == AQ_OK &&
		    aq_writer_end_line(w) == AQ_OK;
	ok = ok && aq_writer_flush(w) == AQ_OK && fflush(fp) == 0 && fsync(fd) == 0;
	aq_writer_free(w);
	if (fclose(fp) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok) {
		cli_warn("--manifest %s", path);
		unlink(tmp);
	}
	free(tmp);
	free(v);
	m->dirty = 0;
	return ok ? 0 : EX_IOERR;
}

/* ---- one object's CSV as NDJSON ---- */

struct state {
	const struct archive_job *job;
	struct aq_writer *w;	/* in memory: one object's rows */
	FILE *out;
	struct aq_csv *csv;
	struct manifest man;
	char csverr[256];
	unsigned long listed, skipped, fetched, changed, missing, locations_empty;
	uint64_t rows, bytes_done;
	unsigned long objects_done, objects_total;
	double started;
	int status;		/* the worst exit status so far */
	int stop;		/* a write failed: stop the run */
};

static int
is_int_text(const char *s, size_t n)
{
	size_t i = s[0] == '-';

	if (n == i || n - i > 18)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return !(s[0] == '0' && n > 1) && !(s[0] == '-' && (s[1] == '0' || n == 1));
}

static int
write_field(struct aq_writer *w, int kind, const char *f, size_t n)
{
	if (n == 0)
		return aq_writer_null(w);
	/* quoting is CSV syntax, not type: a number stays a number; text
	 * that is not one stays a string, for aq-norm to judge */
	if ((kind == 1 && is_int_text(f, n)) || (kind == 2 && is_json_number(f, n)))
		return aq_writer_number_text(w, f, n);
	return aq_writer_string(w, f, n);
}

/* 0 text, 1 integer, 2 number: the type of each archive column */
static const int col_kind[AQ_ARCHIVE_NCOLS] = {
	[AQ_ARCHIVE_LOCATION_ID] = 1, [AQ_ARCHIVE_SENSORS_ID] = 1,
	[AQ_ARCHIVE_LAT] = 2, [AQ_ARCHIVE_LON] = 2, [AQ_ARCHIVE_VALUE] = 2,
};

static int
write_rows(struct state *st, const struct aq_archive_object *o, const char *data, size_t len,
    int64_t *rows)
{
	int col[AQ_ARCHIVE_NCOLS], kind_of[64], rc, k;
	const char *name_of[64];
	size_t nf = 0, i, flen;

	*rows = 0;
	col[AQ_ARCHIVE_SENSORS_ID] = -1;	/* until the header says */
	aq_csv_open_mem(st->csv, data, len, o->key);
	while ((rc = aq_csv_next(st->csv)) == AQ_OK) {
		if (aq_csv_number(st->csv) == 1 ||
		    csv_header_again(st->csv, col[AQ_ARCHIVE_SENSORS_ID])) {
			if (!aq_csv_archive_header(st->csv, col)) {
				cli_warnx("%s:%ld: not the archive CSV header", o->key,
				    aq_csv_line(st->csv));
				return EX_DATAERR;
			}
			nf = aq_csv_fields(st->csv);
			if (nf > 64) {
				cli_warnx("%s:%ld: %zu columns", o->key, aq_csv_line(st->csv), nf);
				return EX_DATAERR;
			}
			/* keys in the header's order, spelt as the archive's columns;
			 * a column the archive does not have is left out */
			for (i = 0; i < nf; i++) {
				name_of[i] = NULL;
				kind_of[i] = 0;
			}
			for (k = 0; k < AQ_ARCHIVE_NCOLS; k++)
				if (col[k] >= 0) {
					name_of[col[k]] = aq_archive_column_name(k);
					kind_of[col[k]] = col_kind[k];
				}
			continue;
		}
		if (aq_csv_fields(st->csv) != nf) {
			cli_warnx("%s:%ld: %zu fields where the header has %zu", o->key,
			    aq_csv_line(st->csv), aq_csv_fields(st->csv), nf);
			return EX_DATAERR;
		}
		if (aq_writer_begin_object(st->w) != AQ_OK)
			return EX_SOFTWARE;
		for (i = 0; i < nf; i++) {
			const char *f = aq_csv_field(st->csv, i, &flen);

			if (name_of[i] == NULL)
				continue;
			if (aq_writer_key(st->w, name_of[i]) != AQ_OK ||
			    write_field(st->w, kind_of[i], f, flen) != AQ_OK)
				return EX_SOFTWARE;
		}
		if (aq_writer_end_object(st->w) != AQ_OK || aq_writer_end_line(st->w) != AQ_OK)
			return EX_SOFTWARE;
		(*rows)++;
	}
	if (rc != AQ_EOF) {
		cli_warnx("%s", st->csverr);
		return cli_status(rc);
	}
	return 0;
}

static void
progress(struct state *st)
{
	double dt = cli_now() - st->started;

	if (st->job->quiet)
		return;
	cli_progress("%lu/%lu objects, %.1f MB, %llu rows, %.0f objects/s", st->objects_done,
	    st->objects_total, st->bytes_done / 1e6, (unsigned long long)st->rows,
	    dt > 0 ? st->objects_done / dt : 0.0);
}

static int
on_object(void *arg, const struct aq_archive_object *o, const char *data, size_t len)
{
	struct state *st = arg;
	int64_t rows;
	int s;

	st->objects_done++;
	if (data == NULL) {
		st->missing++;
		cli_progress_done();
		cli_warnx("missing: %s: %s", o->key, o->error);
		progress(st);
		return 0;
	}
	st->bytes_done += len;
	/* the rows go to memory first: an object is written whole or not */
	aq_writer_clear(st->w);
	if ((s = write_rows(st, o, data, len, &rows)) == 0) {
		size_t n;
		const char *b = aq_writer_buffer(st->w, &n);

		/* flushed before the manifest records it: an object is
		 * written when its rows left the process, not the buffer */
		if (fwrite(b, 1, n, st->out) != n || fflush(st->out) == EOF)
			s = cli_stdout_failed();
	}
	aq_writer_clear(st->w);
	if (s != 0) {
		if (s == EX_DATAERR) {
			/* none of its rows are out, and it is not recorded: a
			 * rerun fetches it again */
			if (st->status == 0 || st->status == EX_TEMPFAIL)
				st->status = s;
			return 0;
		}
		st->status = s;
		st->stop = 1;
		return 1;
	}
	st->rows += (uint64_t)rows;
	if (st->job->manifest != NULL) {
		set_entry(lookup(&st->man, o->key, 1), o->etag, o->size, o->last_modified, rows);
		st->man.dirty = 1;
	}
	progress(st);
	return 0;
}

/* ---- listing ---- */

struct listing {
	struct state *st;
	struct aq_archive *a;
	int64_t from, to;
	unsigned long found;
};

static int
on_listed(void *arg, const struct aq_archive_object *o)
{
	struct listing *l = arg;
	struct entry *e;
	int y, m, d;

	if (aq_archive_key_day(o->key, NULL, &y, &m, &d) != AQ_OK)
		return 0;	/* not a day's file */
	{
		int64_t t = aq_time_from_civil(y, m, d);

		if (t < l->from || t > l->to)
			return 0;
	}
	l->found++;
	l->st->listed++;
	e = l->st->job->manifest ? lookup(&l->st->man, o->key, 0) : NULL;
	if (e != NULL && strcmp(e->etag, o->etag) == 0) {
		l->st->skipped++;
		return 0;
	}
	if (e != NULL)
		l->st->changed++;
	l->st->fetched++;
	l->st->objects_total++;
	if (aq_archive_add(l->a, o) != AQ_OK)
		cli_errx(EX_OSERR, "out of memory");
	return 0;
}

/* Locations in the order of their keys ("locationid=10" before "=2"). */
static int
by_key_text(const void *a, const void *b)
{
	char x[24], y[24];

	snprintf(x, sizeof x, "%lld/", (long long)*(const int64_t *)a);
	snprintf(y, sizeof y, "%lld/", (long long)*(const int64_t *)b);
	return strcmp(x, y);
}

int
archive_fetch(struct aq_archive *a, const struct archive_job *j, FILE *out,
    const char *errbuf)
{
	struct state st;
	int64_t *locs;
	size_t i, n = 0;
	int y0, y1, y, rc = AQ_OK, status;

	memset(&st, 0, sizeof st);
	st.job = j;
	st.out = out;
	if ((st.w = aq_writer_new(NULL)) == NULL)
		cli_errx(EX_OSERR, "out of memory");
	st.started = cli_now();
	if ((st.csv = aq_csv_new()) == NULL)
		cli_errx(EX_OSERR, "out of memory");
	aq_csv_set_errbuf(st.csv, st.csverr, sizeof st.csverr);
	if (j->manifest != NULL)
		manifest_read(&st.man, j->manifest);
	locs = cli_xmalloc((j->nlocations + 1) * sizeof *locs);
	for (i = 0; i < j->nlocations; i++)
		if (j->shard_n == 0 || (uint64_t)j->locations[i] % j->shard_n == j->shard_k)
			locs[n++] = j->locations[i];
	qsort(locs, n, sizeof *locs, by_key_text);
	aq_time_to_civil(j->from, &y0, NULL, NULL);
	aq_time_to_civil(j->to, &y1, NULL, NULL);
	for (i = 0; i < n && !st.stop && !cli_signalled; i++) {
		struct listing l = {&st, a, j->from, j->to, 0};

		if (i > 0 && locs[i] == locs[i - 1])
			continue;
		/* a year at a time: memory holds one location-year's keys */
		for (y = y0; y <= y1 && !st.stop && !cli_signalled; y++) {
			char prefix[96];

			aq_archive_prefix(locs[i], y, prefix, sizeof prefix);
			if ((rc = aq_archive_list(a, prefix, on_listed, &l)) != AQ_OK)
				break;
			progress(&st);
			rc = aq_archive_run(a, on_object, &st);
			if (rc != AQ_OK && st.missing == 0)
				break;	/* not a missing object: the run stopped */
			rc = AQ_OK;
		}
		if (rc != AQ_OK)
			break;
		if (l.found == 0)
			st.locations_empty++;
	}
	cli_progress_done();
	status = st.status;
	if (rc != AQ_OK && !st.stop) {
		if (rc == AQ_ECANCELED && cli_signalled)
			cli_warnx("interrupted");
		else
			cli_warnx("%s", errbuf);
		if (status == 0)
			status = rc == AQ_ECANCELED ? EX_TEMPFAIL : cli_status(rc);
	} else if (cli_signalled) {
		cli_warnx("interrupted");
		if (status == 0)
			status = EX_TEMPFAIL;
	}
	if (fflush(out) != 0)
		status = cli_stdout_failed();
	/* what was written is recorded, even when the run failed later */
	if (j->manifest != NULL && st.man.dirty) {
		int ms = manifest_write(&st.man, j->manifest);

		if (ms != 0)
			status = ms;
	}
	if (st.missing > 0 && status == 0)
		status = EX_TEMPFAIL;
	if (!j->quiet)
		cli_warnx("%zu locations (%lu without objects in the range), %lu objects listed, "
		    "%lu unchanged and skipped, %lu fetched (%lu changed), %lu missing, "
		    "%llu rows", n, st.locations_empty, st.listed, st.skipped, st.fetched,
		    st.changed, st.missing, (unsigned long long)st.rows);
	if (j->verbose)
		cli_warnx("%llu requests (%llu retries, %llu listing pages)",
		    (unsigned long long)aq_archive_count(a, AQ_ARCHIVE_COUNT_REQUESTS),
		    (unsigned long long)aq_archive_count(a, AQ_ARCHIVE_COUNT_RETRIES),
		    (unsigned long long)aq_archive_count(a, AQ_ARCHIVE_COUNT_LISTINGS));
	manifest_free(&st.man);
	aq_writer_free(st.w);
	aq_csv_free(st.csv);
	free(locs);
	return status;
}
