/*
 * cli.h: what the aq-* commands share: diagnostics, exit statuses, option
 * parsing helpers, the input loop and the reject file.  Not installed; it
 * uses only the public openaq.h.
 */
#ifndef CLI_H
#define CLI_H

#include <signal.h>
#include <stdio.h>

#include "openaq.h"

#ifdef HAVE_SYSEXITS_H
#include <sysexits.h>
#else
#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_OSERR 71
#define EX_CANTCREAT 73
#define EX_IOERR 74
#define EX_TEMPFAIL 75
#define EX_NOPERM 77
#define EX_CONFIG 78
#endif

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CLI_DEAD __attribute__((noreturn))
#else
#define CLI_PRINTF(a, b)
#define CLI_DEAD
#endif

extern const char *cli_prog;
/* Set by SIGINT/SIGTERM once cli_catch_signals() ran. */
extern volatile sig_atomic_t cli_signalled;

/* Name the program for diagnostics (a fixed name: the libtool wrapper
 * would otherwise show "lt-aq-norm"). */
void cli_init(const char *prog);
/* "prog: message" on stderr; the err variants add ": strerror(errno)". */
void cli_warn(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_warnx(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_err(int status, const char *fmt, ...) CLI_PRINTF(2, 3) CLI_DEAD;
void cli_errx(int status, const char *fmt, ...) CLI_PRINTF(2, 3) CLI_DEAD;
/* A usage error: "prog: message" then "Try 'prog --help'." and exit 64. */
void cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2) CLI_DEAD;
/* The exit status (sysexits) for an AQ_* code. */
int cli_status(int aq_code);
/* "prog (libopenaq) VERSION" on stdout. */
void cli_version(void);
/* SIGINT and SIGTERM set cli_signalled (no SA_RESTART); SIGPIPE ignored. */
void cli_catch_signals(void);

/*
 * After a write or flush of stdout failed: "prog: stdout: reason", once
 * per run, or nothing at all when stdout's reader has gone (EPIPE:
 * "aq-norm | head -1" is no error to report; the run stops quietly).
 * Returns EX_IOERR, the status of either.
 */
int cli_stdout_failed(void);
/* Flush stdout: 0, or cli_stdout_failed()'s status; also EX_IOERR
 * (quietly) when the reader has gone with nothing left to write. */
int cli_stdout_flush(void);

/* Option values; each calls cli_usage_error() naming opt when s is bad. */
unsigned long cli_uint(const char *opt, const char *s, unsigned long min, unsigned long max);
double cli_double(const char *opt, const char *s);
/* DURATION: "90", "90s", "15m", "1h", "1.5s"; seconds. */
double cli_duration(const char *opt, const char *s);
/* Seconds on a monotonic clock. */
double cli_now(void);

/* The reject file: {"file":...,"line":N,"reason":...,"record":...} lines. */
struct cli_rejects {
	FILE *fp;		/* NULL: a reject stops the run */
	const char *path;
	int failed;		/* a write failed: said once */
	unsigned long synced;	/* count at the last cli_rejects_sync() */
	struct aq_writer *w;
	unsigned long count;
	unsigned long max;	/* 0: no limit */
};

/* Open path for appending rejects (NULL: none), on a fresh line.  Exits
 * 73 when it cannot be opened, 74 when it cannot be written. */
void cli_rejects_open(struct cli_rejects *rj, const char *path, unsigned long max);
/* Write out (and sync to disk) the rejects so far: 0, or EX_IOERR (said
 * once) when they could not all be written. */
int cli_rejects_sync(struct cli_rejects *rj);
/*
 * Record a rejected input record (rec), or a line that is not JSON (raw).
 * Returns 0 to go on, or EX_DATAERR when the run must stop: there is no
 * reject file (the reason is printed as "prog: FILE:LINE: reason"), or
 * --max-rejects was passed.
 */
int cli_reject(struct cli_rejects *rj, const char *file, long line, const char *reason,
    const struct aq_value *rec, const char *raw, size_t rawlen);
/* The same for a record given as JSON text (written verbatim as "record"). */
int cli_reject_json(struct cli_rejects *rj, const char *file, long line, const char *reason,
    const char *json, size_t len);
/* Flush and close; returns EX_IOERR if the reject file could not be written. */
int cli_rejects_close(struct cli_rejects *rj);

/*
 * The input loop: every record of the files named in argv (argc of them;
 * none or "-" means stdin), in order: NDJSON records through record(), or,
 * when csv_record is set, CSV records (the archive) through csv_record().
 * Each returns 0 to go on or an exit status to stop.  Lines that are not
 * JSON go through cli_reject().  idle(arg), when given, runs whenever the
 * input is about to block, after stdout has been flushed.  Returns 0 or an
 * exit status (66 for a file that cannot be opened); a signal
 * (cli_signalled) ends the loop with 0.
 */
struct cli_loop {
	int (*record)(void *arg, struct aq_reader *r, const struct aq_value *rec);
	int (*csv_record)(void *arg, struct aq_csv *c);
	int (*idle)(void *arg);
	void *arg;
	struct cli_rejects *rejects;
	/* NULL-terminated member paths record() never reads (aq_reader_skip) */
	const char *const *skip;
	unsigned long records;	/* records handed to record() */
	unsigned long lines_bad;	/* lines that were not JSON */
};
int cli_loop_run(struct cli_loop *loop, int argc, char **argv);
/*
 * From an idle callback: wait up to seconds for the input to become
 * readable.  1: it is, 0: the time ran out, -1: a signal or an error.
 */
int cli_loop_wait(double seconds);

/*
 * A file of records that an option names (--sensors, --locations-from,
 * --manifest), read whole before the input: fn(arg, r, rec) for each
 * record, in order.  A file that cannot be opened exits 66; a line that is
 * not JSON, or a read error, exits 65 or 74; each message is "prog: OPT
 * PATH..." with the reader's line.  CLI_FILE_STDIN: "-" is standard
 * input; CLI_FILE_OPTIONAL: a file that does not exist reads as empty.
 */
#define CLI_FILE_STDIN 1
#define CLI_FILE_OPTIONAL 2
void cli_read_file(const char *path, const char *opt, int flags,
    void (*fn)(void *arg, struct aq_reader *r, const struct aq_value *rec), void *arg);

/* Progress on stderr when it is a terminal, at most 5 times a second. */
void cli_progress(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Erase the progress line. */
void cli_progress_done(void);

/* Allocation that exits 70 on failure. */
void *cli_xmalloc(size_t n);
char *cli_xstrdup(const char *s);

#endif /* CLI_H */
