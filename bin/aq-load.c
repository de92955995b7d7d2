/* aq-load: loads NDJSON rows into PostgreSQL with COPY, in batches. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static struct {
	struct aq_loader *l;
	struct cli_rejects rejects;
	char errbuf[1024];
	unsigned long batch;
	int stream;
	int quiet;
	double interval;	/* --flush-interval, seconds */
	double batch_start;	/* when the pending batch got its first row */
	int stop;		/* an exit status a reject asked for */
	unsigned long read;
	const char *table;
	const char *label;	/* --label, for the run log */
} g;

static void CLI_DEAD
usage(int status)
{
	FILE *fp = status ? stderr : stdout;

	fprintf(fp, "usage: aq-load [-q] [-d dbname] -t table [--mode upsert|insert|ignore]\n"
	    "               [--batch n] [--stream [--flush-interval duration]] [--strict]\n"
	    "               [--reject file] [--max-rejects n] [--label text] [--retry n]\n"
	    "               [--copy-format binary|text] [file ...]\n"
	    "       aq-load [-q] [-d dbname] --init\n");
	if (status == 0)
		fputs("\naq-load loads NDJSON rows into a PostgreSQL table with COPY, in\n"
		    "batches of one transaction each, so that a rerun never duplicates a row.\n"
		    "\n"
		    "  -t, --table TABLE        the table (its columns are the rows' keys)\n"
		    "  -d, --dbname DBNAME      a database name, libpq conninfo or URI\n"
		    "                           (default: the PG* environment)\n"
		    "  -m, --mode MODE          upsert (default), insert or ignore\n"
		    "  -b, --batch N            rows per transaction (default 10000)\n"
		    "  -s, --stream             commit every --flush-interval too, and when idle\n"
		    "  -f, --flush-interval D   with --stream (default 5s; 90, 90s, 15m, 1h)\n"
		    "      --strict             a key that is not a column is an error\n"
		    "  -r, --reject FILE        append refused rows to FILE (else stop at the first)\n"
		    "      --max-rejects N      exit 65 after more than N rejects\n"
		    "      --label TEXT         the run's label in table load_run\n"
		    "      --retry N            try a batch that failed for a passing reason\n"
		    "                           (deadlock, lost connection, full disk) N more\n"
		    "                           times, waiting 0.5 s, 1 s, 2 s ... 10 s (default 5)\n"
		    "      --copy-format F      binary (default, where exact) or text\n"
		    "      --init               create or upgrade the schema, then load if -t\n"
		    "  -q, --quiet              no summary line\n"
		    "  -h, --help               show this help and exit\n"
		    "  -V, --version            show the version and exit\n"
		    "\nSee aq-load(1).\n", fp);
	exit(status);
}

/*
 * -d NAME as psql takes it: a conninfo ("key=value ...") or a URI is used
 * as it is, anything else is a database name.
 */
static const char *
dbname_conninfo(const char *s)
{
	static char *ci;
	struct aq_buf b = {0};
	const char *p;

	if (s == NULL || *s == '\0' || strchr(s, '=') != NULL ||
	    strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0)
		return s;
	/* dbname='NAME', with ' and \ escaped as libpq reads them */
	aq_buf_puts(&b, "dbname='");
	for (p = s; *p; p++) {
		if (*p == '\'' || *p == '\\')
			aq_buf_append(&b, "\\", 1);
		aq_buf_append(&b, p, 1);
	}
	if (aq_buf_puts(&b, "'") != AQ_OK)
		cli_errx(EX_SOFTWARE, "out of memory");
	free(ci);
	ci = b.data;
	return ci;
}

/* Unknown keys are said even with -q: they may be typos. */
static void
on_notice(void *arg, int kind, const char *msg)
{
	(void)arg;
	if (kind == AQ_LOADER_NOTICE_RETRY)
		cli_warnx("%s: %s", g.table, msg);
	else if (!g.quiet || kind == AQ_LOADER_NOTICE_UNKNOWN_KEY)
		cli_warnx("%s", msg);
}

/* "measurement" or "schema.measurement": the table of readings. */
static int
is_measurement(const char *table)
{
	const char *dot = strchr(table, '.');

	return strcmp(dot ? dot + 1 : table, "measurement") == 0;
}

static void
on_reject(void *arg, const char *source, long line, const char *json, size_t len,
    const char *reason)
{
	int st;

	(void)arg;
	if ((st = cli_reject_json(&g.rejects, source, line, reason, json, len)) != 0 && g.stop == 0)
		g.stop = st;
}

/* The exit status for a failed flush. */
static int
flush_status(int rc)
{
	cli_warnx("%s: %s", g.table, g.errbuf);
	/* not committed, for a passing reason or a signal: try again later */
	if (rc == AQ_EDBCONN || rc == AQ_EDBTEMP || rc == AQ_ECANCELED)
		return EX_TEMPFAIL;
	return cli_status(rc);
}

/* Before each commit: the batch's rejects are on disk, or it rolls back. */
static int
precommit(void *arg)
{
	(void)arg;
	return cli_rejects_sync(&g.rejects) != 0;
}

/* The retry of a failed batch stops at a signal. */
static int
stop_retrying(void *arg)
{
	(void)arg;
	return cli_signalled != 0;
}

/*
 * A batch is full (or, in stream mode, old enough): in stream mode it is
 * committed before reading on, so that no row waits longer than the
 * interval; otherwise it is sent, and committed while the next batch is
 * read (aq_loader_send()).
 */
static int
flush(void)
{
	int rc;

	if (aq_loader_pending(g.l) == 0)
		return 0;
	aq_loader_run_count(g.l, g.read, g.rejects.count);
	rc = g.stream ? aq_loader_flush(g.l) : aq_loader_send(g.l);
	if (rc != AQ_OK)
		return flush_status(rc);
	return g.stop;
}

static int
on_record(void *arg, struct aq_reader *r, const struct aq_value *rec)
{
	const char *raw;
	size_t rawlen;
	int rc, st;

	(void)arg;
	g.read++;
	raw = aq_reader_raw(r, &rawlen);
	if (aq_loader_pending(g.l) == 0)
		g.batch_start = cli_now();
	rc = aq_loader_add(g.l, rec, raw, rawlen, aq_reader_name(r), aq_reader_line(r));
	if (rc == AQ_EDATA) {
		if ((st = cli_reject(&g.rejects, aq_reader_name(r), aq_reader_line(r), g.errbuf,
		    rec, NULL, 0)) != 0)
			return st;
	} else if (rc != AQ_OK) {
		cli_warnx("%s: %s", g.table, g.errbuf);
		return rc == AQ_EDBCONN ? EX_TEMPFAIL : cli_status(rc);
	}
	cli_progress("%s: %lu rows read, %llu committed", g.table, g.read,
	    (unsigned long long)aq_loader_count(g.l, AQ_LOAD_ROWS));
	if (aq_loader_pending(g.l) >= g.batch ||
	    (g.stream && cli_now() - g.batch_start >= g.interval))
		return flush();
	return g.stop;
}

/* The input would block: in stream mode, rows wait at most the interval. */
static int
on_idle(void *arg)
{
	double left;
	int st, rc;

	(void)arg;
	/* a batch sent is committed while the next is read, unless the
	 * input stalls: then it waits at most a second */
	if (!g.stream) {
		if (cli_loop_wait(1.0) == 1)
			return 0;
		if ((rc = aq_loader_finish(g.l)) != AQ_OK) {
			g.stop = flush_status(rc);
			return 1;
		}
		return 0;
	}
	if (aq_loader_pending(g.l) == 0)
		return 0;
	left = g.batch_start + g.interval - cli_now();
	if (left > 0 && cli_loop_wait(left) == 1)
		return 0;
	if ((st = flush()) != 0) {
		g.stop = st;
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"table", required_argument, NULL, 't'},
		{"dbname", required_argument, NULL, 'd'},
		{"mode", required_argument, NULL, 'm'},
		{"batch", required_argument, NULL, 'b'},
		{"stream", no_argument, NULL, 's'},
		{"flush-interval", required_argument, NULL, 'f'},
		{"strict", no_argument, NULL, 'S'},
		{"reject", required_argument, NULL, 'r'},
		{"max-rejects", required_argument, NULL, 'M'},
		{"copy-format", required_argument, NULL, 'C'},
		{"init", no_argument, NULL, 'I'},
		{"label", required_argument, NULL, 'L'},
		{"retry", required_argument, NULL, 'R'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *conninfo = NULL, *reject = NULL, *mode_s = "upsert", *format_s = "binary";
	unsigned long max_rejects = 0;
	int ch, mode, strict = 0, init = 0, interval_set = 0, rc, status, from, to, attempts = 6;
	struct cli_loop loop;
	double t0;

	cli_init("aq-load");
	g.batch = 10000;
	g.interval = 5;
	while ((ch = getopt_long(argc, argv, "t:d:m:b:sf:r:qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			g.table = optarg;
			break;
		case 'd':
			conninfo = optarg;
			break;
		case 'm':
			mode_s = optarg;
			break;
		case 'b':
			g.batch = cli_uint("--batch", optarg, 1, 10000000);
			break;
		case 's':
			g.stream = 1;
			break;
		case 'f':
			g.interval = cli_duration("--flush-interval", optarg);
			interval_set = 1;
			break;
		case 'S':
			strict = 1;
			break;
		case 'r':
			reject = optarg;
			break;
		case 'M':
			max_rejects = cli_uint("--max-rejects", optarg, 0, (unsigned long)-1);
			break;
		case 'C':
			format_s = optarg;
			break;
		case 'I':
			init = 1;
			break;
		case 'L':
			g.label = optarg;
			break;
		case 'R':
			attempts = (int)cli_uint("--retry", optarg, 0, 100) + 1;
			break;
		case 'q':
			g.quiet = 1;
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

	if (strcmp(mode_s, "upsert") == 0)
		mode = AQ_LOAD_UPSERT;
	else if (strcmp(mode_s, "insert") == 0)
		mode = AQ_LOAD_INSERT;
	else if (strcmp(mode_s, "ignore") == 0)
		mode = AQ_LOAD_IGNORE;
	else
		cli_usage_error("--mode: '%s' is not upsert, insert or ignore", mode_s);
	if (strcmp(format_s, "binary") != 0 && strcmp(format_s, "text") != 0)
		cli_usage_error("--copy-format: '%s' is not binary or text", format_s);
	if (g.table == NULL && !init)
		cli_usage_error("no table: -t TABLE (or --init)");
	if (g.table != NULL && *g.table == '\0')
		cli_usage_error("-t: the table name is empty");
	if (g.table == NULL && argc > 0)
		cli_usage_error("files to load, but no table (-t TABLE)");
	if (interval_set && !g.stream)
		cli_usage_error("--flush-interval goes with --stream");
	if (g.stream && g.interval <= 0)
		cli_usage_error("--flush-interval must be more than 0");

	/* from the start: a signal at any moment ends the run cleanly, with
	 * what was read committed */
	cli_catch_signals();
	if ((g.l = aq_loader_new()) == NULL)
		cli_errx(EX_SOFTWARE, "out of memory");
	aq_loader_set_errbuf(g.l, g.errbuf, sizeof g.errbuf);
	aq_loader_set_notice_kind(g.l, on_notice, NULL);
	aq_loader_set_reject(g.l, on_reject, NULL);
	aq_loader_set_copy_format(g.l, strcmp(format_s, "text") == 0 ? AQ_COPY_TEXT : AQ_COPY_BINARY);
	if ((rc = aq_loader_connect(g.l, dbname_conninfo(conninfo))) != AQ_OK)
		cli_errx(cli_status(rc), "%s", g.errbuf);
	if (init) {
		if ((rc = aq_loader_migrate(g.l, &from, &to)) != AQ_OK)
			cli_errx(cli_status(rc), "--init: %s", g.errbuf);
		if (!g.quiet) {
			if (from == to)
				cli_warnx("schema is at version %d, the latest", to);
			else
				cli_warnx("schema upgraded from version %d to %d", from, to);
		}
		if (g.table == NULL) {
			aq_loader_free(g.l);
			return 0;
		}
	}
	/* readings whose sensor is not (yet) in table sensor are orphans */
	if (is_measurement(g.table) &&
	    aq_loader_set_orphans(g.l, "sensor_id", "sensor", "id") != AQ_OK)
		cli_errx(EX_SOFTWARE, "%s", g.errbuf);
	if ((rc = aq_loader_open(g.l, g.table, mode, strict)) != AQ_OK)
		cli_errx(cli_status(rc), "%s", g.errbuf);
	cli_rejects_open(&g.rejects, reject, max_rejects);
	aq_loader_set_precommit(g.l, precommit, NULL);
	if (aq_loader_set_retry(g.l, attempts, 0.5, 10, stop_retrying, NULL) != AQ_OK)
		cli_errx(EX_SOFTWARE, "cannot set the retries");
	if ((rc = aq_loader_run_begin(g.l, g.label)) != AQ_OK)
		cli_errx(cli_status(rc), "%s: %s", g.table, g.errbuf);

	/* batches go in key order, each stored while the next is read (in
	 * stream mode rows go as they come, and each flush commits) */
	if (!g.stream && aq_loader_send(g.l) != AQ_OK)
		cli_errx(EX_SOFTWARE, "%s", g.errbuf);
	t0 = cli_now();
	memset(&loop, 0, sizeof loop);
	loop.record = on_record;
	loop.idle = on_idle;
	loop.rejects = &g.rejects;
	status = cli_loop_run(&loop, argc, argv);
	g.read += loop.lines_bad;
	/* at the end of input, or on SIGINT/SIGTERM, commit what was read;
	 * after an error, the pending batch is abandoned (rolled back) */
	aq_loader_run_count(g.l, g.read, g.rejects.count);
	if (status == 0) {
		status = g.stop;
		/* the last batch and the run log's row in one transaction */
		if (status == 0 && (rc = aq_loader_run_end(g.l, 0)) != AQ_OK)
			status = flush_status(rc);
		/* a reject in the last batch may ask for a status */
		if (status == 0)
			status = g.stop;
	}
	if (status == 0 && cli_rejects_sync(&g.rejects) != 0)
		status = EX_IOERR;
	if (status != 0 && (rc = aq_loader_run_end(g.l, status)) != AQ_OK)
		cli_warnx("%s: the run log: %s", g.table, g.errbuf);
	cli_progress_done();
	if (cli_rejects_close(&g.rejects) != 0 && status == 0)
		status = EX_IOERR;
	if (!g.quiet)
		fprintf(stderr, "aq-load: %s: %lu read, %llu inserted, %llu updated, %llu unchanged, "
		    "%llu duplicates, %lu rejected, %llu orphans, %llu revised, %.2f s\n", g.table,
		    g.read,
		    (unsigned long long)aq_loader_count(g.l, AQ_LOAD_INSERTED),
		    (unsigned long long)aq_loader_count(g.l, AQ_LOAD_UPDATED),
		    (unsigned long long)aq_loader_count(g.l, AQ_LOAD_UNCHANGED),
		    (unsigned long long)aq_loader_count(g.l, AQ_LOAD_DUPLICATES),
		    g.rejects.count,
		    (unsigned long long)aq_loader_count(g.l, AQ_LOAD_ORPHANS),
		    (unsigned long long)aq_loader_count(g.l, AQ_LOAD_REVISED), cli_now() - t0);
	aq_loader_free(g.l);
	return status;
}
