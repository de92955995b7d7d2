/* cli.c: the shared command-line layer of the aq-* tools. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char *cli_prog = "aq";
volatile sig_atomic_t cli_signalled;

void
cli_init(const char *prog)
{
	cli_prog = prog;
}

static void
vmsg(int errnum, const char *fmt, va_list ap)
{
	cli_progress_done();
	fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	if (errnum >= 0)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void
cli_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(e, fmt, ap);
	va_end(ap);
}

/*
 * Standard output's reader has gone (aq-norm | head -1): a pipe or socket
 * whose other end is closed reports POLLERR or POLLHUP to the writer.
 */
static int
reader_gone(int e)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};

	if (e == EPIPE)
		return 1;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

static int stdout_failed;

int
cli_stdout_failed(void)
{
	int e = errno;

	if (!stdout_failed) {
		stdout_failed = 1;
		if (!reader_gone(e)) {
			errno = e;
			cli_warn("stdout");
		}
	}
	return EX_IOERR;
}

int
cli_stdout_flush(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		return cli_stdout_failed();
	if (!stdout_failed && reader_gone(0)) {
		stdout_failed = 1;
		return EX_IOERR;
	}
	return 0;
}

void
cli_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(-1, fmt, ap);
	va_end(ap);
}

void
cli_err(int status, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(e, fmt, ap);
	va_end(ap);
	exit(status);
}

void
cli_errx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(-1, fmt, ap);
	va_end(ap);
	exit(status);
}

void
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(-1, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", cli_prog);
	exit(EX_USAGE);
}

int
cli_status(int code)
{
	switch (code) {
	case AQ_OK:
	case AQ_EOF:
		return EX_OK;
	case AQ_EIO:
	case AQ_ESTATE:
		return EX_IOERR;
	case AQ_EJSON:
	case AQ_ETYPE:
	case AQ_ERANGE:
	case AQ_EDATA:
	case AQ_ENOTFOUND:
		return EX_DATAERR;
	case AQ_ETRANSPORT:
	case AQ_ETIMEOUT:
	case AQ_ERATELIMIT:
	case AQ_ESERVER:
	case AQ_EDBTEMP:
		return EX_TEMPFAIL;
	case AQ_EHTTP:
	case AQ_EPROTO:
	case AQ_EDBCONN:
	case AQ_EDB:
	case AQ_ESCHEMA:
		return EX_UNAVAILABLE;
	case AQ_EAUTH:
		return EX_NOPERM;
	default:
		return EX_SOFTWARE;
	}
}

void
cli_version(void)
{
	printf("%s (libopenaq) %s\n", cli_prog, aq_version());
}

static void
on_signal(int sig)
{
	cli_signalled = sig;
}

void
cli_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

unsigned long
cli_uint(const char *opt, const char *s, unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		cli_usage_error("%s: '%s' is not a number", opt, s ? s : "");
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		cli_usage_error("%s: '%s' is not a number", opt, s);
	if (errno == ERANGE || v < min || v > max)
		cli_usage_error("%s: %s is out of range (%lu to %lu)", opt, s, min, max);
	return v;
}

double
cli_double(const char *opt, const char *s)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v != v)
		cli_usage_error("%s: '%s' is not a number", opt, s);
	return v;
}

double
cli_duration(const char *opt, const char *s)
{
	double v, unit = 1;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !(v >= 0))
		cli_usage_error("%s: '%s' is not a duration (90, 90s, 15m, 1h)", opt, s);
	if (strcmp(end, "s") == 0 || *end == '\0')
		unit = 1;
	else if (strcmp(end, "m") == 0)
		unit = 60;
	else if (strcmp(end, "h") == 0)
		unit = 3600;
	else
		cli_usage_error("%s: '%s' is not a duration (90, 90s, 15m, 1h)", opt, s);
	if (v * unit > 366.0 * 86400)
		cli_usage_error("%s: '%s' is too long", opt, s);
	return v * unit;
}

double
cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void *
cli_xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		cli_errx(EX_SOFTWARE, "out of memory");
	return p;
}

char *
cli_xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		cli_errx(EX_SOFTWARE, "out of memory");
	return p;
}

/* ---- rejects ---- */

void
cli_rejects_open(struct cli_rejects *rj, const char *path, unsigned long max)
{
	memset(rj, 0, sizeof *rj);
	rj->max = max;
	if (path == NULL)
		return;
	if ((rj->fp = fopen(path, "a+")) == NULL)
		cli_err(EX_CANTCREAT, "%s", path);
	/* a file cut short (a full disk, a kill) ends in part of a line: the
	 * first new reject starts on a line of its own */
	if (fseek(rj->fp, -1, SEEK_END) == 0 && fgetc(rj->fp) != '\n' &&
	    (fseek(rj->fp, 0, SEEK_END) != 0 || fputc('\n', rj->fp) == EOF || fflush(rj->fp) == EOF))
		cli_err(EX_IOERR, "%s", path);
	rj->path = path;
	if ((rj->w = aq_writer_new(rj->fp)) == NULL)
		cli_errx(EX_SOFTWARE, "out of memory");
}

int
cli_rejects_sync(struct cli_rejects *rj)
{
	if (rj->fp == NULL)
		return 0;
	if (rj->failed || fflush(rj->fp) == EOF || ferror(rj->fp) ||
	    (rj->count != rj->synced && fdatasync(fileno(rj->fp)) != 0 && errno != EINVAL &&
	    errno != EROFS)) {
		if (!rj->failed)
			cli_warn("%s", rj->path);
		rj->failed = 1;
		return EX_IOERR;
	}
	rj->synced = rj->count;
	return 0;
}

int
cli_reject(struct cli_rejects *rj, const char *file, long line, const char *reason,
    const struct aq_value *rec, const char *raw, size_t rawlen)
{
	struct aq_writer *w = rj->w;
	int rc;

	rj->count++;
	if (rj->fp == NULL) {
		cli_warnx("%s:%ld: %s", file, line, reason);
		return EX_DATAERR;
	}
	aq_writer_begin_object(w);
	aq_writer_key(w, "file");
	aq_writer_cstring(w, file);
	aq_writer_key(w, "line");
	aq_writer_int64(w, line);
	aq_writer_key(w, "reason");
	aq_writer_cstring(w, reason);
	aq_writer_key(w, "record");
	if (rec != NULL)
		aq_writer_value(w, rec);
	else if (raw != NULL)
		/* a line that is not JSON: kept as a string.  Invalid UTF-8
		 * would make the reject line itself invalid, so each byte
		 * where a well-formed sequence cannot start becomes U+FFFD. */
	{
		struct aq_buf b = {0};
		size_t i = 0, n;

		while (i < rawlen) {
			n = aq_utf8_valid(raw + i, rawlen - i);
			aq_buf_append(&b, raw + i, n);
			i += n;
			if (i < rawlen) {
				aq_buf_append(&b, "\xef\xbf\xbd", 3);
				i++;
			}
		}
		aq_writer_string(w, b.data ? b.data : "", b.len);
		aq_buf_free(&b);
	} else
		aq_writer_null(w);
	aq_writer_end_object(w);
	if ((rc = aq_writer_end_line(w)) != AQ_OK) {
		if (!rj->failed)
			cli_warn("%s", rj->path);
		rj->failed = 1;
		return EX_IOERR;
	}
	if (rj->max > 0 && rj->count > rj->max) {
		cli_warnx("too many rejects: more than %lu (--max-rejects)", rj->max);
		return EX_DATAERR;
	}
	return 0;
}

int
cli_reject_json(struct cli_rejects *rj, const char *file, long line, const char *reason,
    const char *json, size_t len)
{
	struct aq_writer *w;
	const char *head;
	size_t n;
	int ok;

	rj->count++;
	if (rj->fp == NULL) {
		cli_warnx("%s:%ld: %s", file, line, reason);
		return EX_DATAERR;
	}
	/* the head through the writer (escaping), then the record verbatim */
	if ((w = aq_writer_new(NULL)) == NULL)
		cli_errx(EX_SOFTWARE, "out of memory");
	aq_writer_begin_object(w);
	aq_writer_key(w, "file");
	aq_writer_cstring(w, file);
	aq_writer_key(w, "line");
	aq_writer_int64(w, line);
	aq_writer_key(w, "reason");
	aq_writer_cstring(w, reason);
	aq_writer_end_object(w);
	aq_writer_end_line(w);
	head = aq_writer_buffer(w, &n);
	/* drop the closing "}\n" */
	ok = fwrite(head, 1, n - 2, rj->fp) == n - 2 &&
	    fputs(",\"record\":", rj->fp) != EOF &&
	    (len == 0 ? fputs("null", rj->fp) != EOF : fwrite(json, 1, len, rj->fp) == len) &&
	    fputs("}\n", rj->fp) != EOF;
	aq_writer_free(w);
	if (!ok) {
		if (!rj->failed)
			cli_warn("%s", rj->path);
		rj->failed = 1;
		return EX_IOERR;
	}
	if (rj->max > 0 && rj->count > rj->max) {
		cli_warnx("too many rejects: more than %lu (--max-rejects)", rj->max);
		return EX_DATAERR;
	}
	return 0;
}

int
cli_rejects_close(struct cli_rejects *rj)
{
	int status = 0;

	if (rj->fp != NULL) {
		if (fclose(rj->fp) == EOF && !rj->failed) {
			cli_warn("%s", rj->path);
			status = EX_IOERR;
		}
		if (rj->failed)
			status = EX_IOERR;
		rj->fp = NULL;
	}
	aq_writer_free(rj->w);
	rj->w = NULL;
	return status;
}

/* ---- the input loop ---- */

static int loop_fd = -1;	/* the input being read */

static int
on_refill(void *arg)
{
	struct cli_loop *loop = arg;
	struct pollfd p = {.fd = loop_fd, .events = POLLIN};

	/* input is ready (always so for a regular file): read(2) will not
	 * block, so there is nothing to flush yet */
	if (loop_fd >= 0 && poll(&p, 1, 0) > 0)
		return cli_signalled != 0;
	/* stdout may be a pipe into the next stage: never leave rows in a
	 * buffer while we wait for input */
	if (fflush(stdout) == EOF && errno != EINTR) {
		(void)cli_stdout_failed();
		return 1;
	}
	if (loop->idle != NULL && loop->idle(loop->arg) != 0)
		return 1;
	return cli_signalled != 0;
}

int
cli_loop_wait(double seconds)
{
	struct pollfd p = {.fd = loop_fd, .events = POLLIN};
	int ms = seconds <= 0 ? 0 : seconds > 86400 ? 86400000 : (int)(seconds * 1000 + 0.5);

	if (loop_fd < 0)
		return -1;
	switch (poll(&p, 1, ms)) {
	case 0:
		return 0;
	case -1:
		return -1;
	default:
		return 1;
	}
}

/* The input of one run: NDJSON records or CSV records. */
struct source {
	struct aq_reader *json;
	struct aq_csv *csv;	/* NULL for NDJSON */
};

/* A CSV record that is not UTF-8: rejected with the reader's reason. */
static int
bad_record(struct cli_loop *loop, struct aq_csv *c)
{
	size_t rawlen;
	const char *raw = aq_csv_raw(c, &rawlen);

	loop->lines_bad++;
	return cli_reject(loop->rejects, aq_csv_name(c), aq_csv_line(c), aq_csv_error(c), NULL,
	    raw, rawlen);
}

/* A line that is not JSON: rejected with the reader's reason. */
static int
bad_line(struct cli_loop *loop, struct aq_reader *r)
{
	char reason[400];
	size_t rawlen;
	const char *raw = aq_reader_raw(r, &rawlen);

	snprintf(reason, sizeof reason, "column %ld: %s", aq_reader_column(r),
	    aq_reader_error(r));
	loop->lines_bad++;
	return cli_reject(loop->rejects, aq_reader_name(r), aq_reader_line(r), reason, NULL,
	    raw, rawlen);
}

static int
loop_one(struct cli_loop *loop, struct source *src, int fd, const char *name,
    const char *errbuf)
{
	const struct aq_value *rec;
	int rc, status = 0;

	rc = src->csv ? aq_csv_open(src->csv, fd, name) : aq_reader_open(src->json, fd, name);
	if (rc != AQ_OK)
		cli_errx(EX_SOFTWARE, "%s", aq_strerror(rc));
	loop_fd = fd;
	for (;;) {
		if (src->csv != NULL) {
			if ((rc = aq_csv_next(src->csv)) == AQ_OK) {
				loop->records++;
				status = loop->csv_record(loop->arg, src->csv);
			} else if (rc == AQ_ETYPE) {
				status = bad_record(loop, src->csv);
				rc = AQ_EJSON;	/* a bad line, as below */
			}
		} else if ((rc = aq_reader_next(src->json, &rec)) == AQ_OK) {
			loop->records++;
			status = loop->record(loop->arg, src->json, rec);
		} else if (rc == AQ_EJSON)
			status = bad_line(loop, src->json);
		if (rc == AQ_OK || rc == AQ_EJSON) {
			if (status != 0)
				return status;
			continue;
		}
		if (rc == AQ_EOF)
			return 0;
		if (rc == AQ_ECANCELED) {
			if (cli_signalled)
				return 0;
			if (ferror(stdout))
				return cli_stdout_failed();
			return EX_SOFTWARE;
		}
		cli_warnx("%s", errbuf);
		return cli_status(rc);
	}
}

int
cli_loop_run(struct cli_loop *loop, int argc, char **argv)
{
	struct source src = {NULL, NULL};
	struct cli_rejects none;
	char errbuf[512];
	int i, fd, status = 0;

	if (loop->rejects == NULL) {
		memset(&none, 0, sizeof none);
		loop->rejects = &none;
	}
	if (loop->csv_record != NULL) {
		if ((src.csv = aq_csv_new()) == NULL)
			cli_errx(EX_SOFTWARE, "out of memory");
		aq_csv_set_errbuf(src.csv, errbuf, sizeof errbuf);
		aq_csv_set_refill(src.csv, on_refill, loop);
	} else {
		if ((src.json = aq_reader_new()) == NULL)
			cli_errx(EX_SOFTWARE, "out of memory");
		aq_reader_set_errbuf(src.json, errbuf, sizeof errbuf);
		aq_reader_set_refill(src.json, on_refill, loop);
		for (i = 0; loop->skip != NULL && loop->skip[i] != NULL; i++)
			if (aq_reader_skip(src.json, loop->skip[i]) != AQ_OK)
				cli_errx(EX_SOFTWARE, "%s", errbuf);
	}
	if (argc == 0)
		status = loop_one(loop, &src, STDIN_FILENO, "-", errbuf);
	for (i = 0; i < argc && status == 0 && !cli_signalled; i++) {
		if (strcmp(argv[i], "-") == 0) {
			status = loop_one(loop, &src, STDIN_FILENO, "-", errbuf);
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) == -1) {
			cli_warn("%s", argv[i]);
			status = EX_NOINPUT;
			break;
		}
		status = loop_one(loop, &src, fd, argv[i], errbuf);
		close(fd);
	}
	aq_reader_free(src.json);
	aq_csv_free(src.csv);
	if (loop->rejects == &none)
		loop->rejects = NULL;
	return status;
}

/* ---- files named by options ---- */

void
cli_read_file(const char *path, const char *opt, int flags,
    void (*fn)(void *arg, struct aq_reader *r, const struct aq_value *rec), void *arg)
{
	struct aq_reader *r;
	const struct aq_value *rec;
	char errbuf[512];
	int fd, rc;

	if ((flags & CLI_FILE_STDIN) && strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if ((flags & CLI_FILE_OPTIONAL) && errno == ENOENT)
			return;
		cli_err(EX_NOINPUT, "%s %s", opt, path);
	}
	if ((r = aq_reader_new()) == NULL)
		cli_errx(EX_SOFTWARE, "out of memory");
	aq_reader_set_errbuf(r, errbuf, sizeof errbuf);
	if (aq_reader_open(r, fd, path) != AQ_OK)
		cli_errx(EX_SOFTWARE, "out of memory");
	while ((rc = aq_reader_next(r, &rec)) == AQ_OK)
		fn(arg, r, rec);
	if (rc != AQ_EOF)
		cli_errx(cli_status(rc), "%s %s", opt, errbuf);
	aq_reader_free(r);
	if (fd != STDIN_FILENO)
		close(fd);
}

/* ---- progress ---- */

static int progress_shown;
static double progress_last;

void
cli_progress(const char *fmt, ...)
{
	static int tty = -1;
	double now;
	va_list ap;

	if (tty == -1)
		tty = isatty(STDERR_FILENO);
	if (!tty)
		return;
	now = cli_now();
	if (progress_shown && now - progress_last < 0.2)
		return;
	progress_last = now;
	fprintf(stderr, "\r%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	progress_shown = 1;
}

void
cli_progress_done(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}
