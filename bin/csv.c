/* csv.c: the archive CSV, read as a stream, one record at a time. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "csv.h"
#include "row.h"

#define CHUNK 65536
/* a record longer than this is an unterminated quote, not data */
#define MAXRECORD (1u << 20)

struct state {
	struct csv_record rec;
	struct aq_buf text;	/* the fields, NUL-separated */
	struct aq_buf raw;
	size_t start[CSV_MAXFIELDS];
	int quoted, in_quotes, escaped, after_quote, any;
	long line;
};

static void
add(struct aq_buf *b, char c)
{
	if (aq_buf_append(b, &c, 1) != AQ_OK)
		rows_nomem();
}

static void
end_field(struct state *st)
{
	size_t n = st->rec.nfields;

	if (n < CSV_MAXFIELDS) {
		st->rec.len[n] = st->text.len - st->start[n];
		st->rec.quoted[n] = st->quoted;
		add(&st->text, '\0');
		if (n + 1 < CSV_MAXFIELDS)
			st->start[n + 1] = st->text.len;
	} else
		st->rec.too_many = 1;
	st->rec.nfields++;
	st->quoted = st->after_quote = 0;
}

static void
reset(struct state *st)
{
	aq_buf_reset(&st->text);
	aq_buf_reset(&st->raw);
	if (aq_buf_reserve(&st->text, 256) != AQ_OK || aq_buf_reserve(&st->raw, 256) != AQ_OK)
		rows_nomem();
	st->rec.nfields = 0;
	st->rec.too_many = 0;
	st->start[0] = 0;
	st->quoted = st->in_quotes = st->escaped = st->after_quote = st->any = 0;
}

static int
end_record(struct state *st, int (*fn)(void *, const struct csv_record *), void *arg)
{
	size_t i;
	int status;

	if (!st->any) {		/* a blank line */
		reset(st);
		st->rec.line = st->line + 1;
		return 0;
	}
	end_field(st);
	if (st->raw.len > 0 && st->raw.data[st->raw.len - 1] == '\r')
		st->raw.len--;
	/* a CR before the LF belongs to the line end, not to the last field */
	i = st->rec.nfields <= CSV_MAXFIELDS ? st->rec.nfields - 1 : CSV_MAXFIELDS - 1;
	if (st->rec.len[i] > 0 && !st->rec.quoted[i] &&
	    st->text.data[st->start[i] + st->rec.len[i] - 1] == '\r')
		st->text.data[st->start[i] + --st->rec.len[i]] = '\0';
	for (i = 0; i < st->rec.nfields && i < CSV_MAXFIELDS; i++)
		st->rec.field[i] = st->text.data + st->start[i];
	if (st->rec.nfields > CSV_MAXFIELDS)
		st->rec.nfields = CSV_MAXFIELDS;
	st->rec.raw = st->raw.data ? st->raw.data : "";
	st->rec.rawlen = st->raw.len;
	st->rec.number++;
	status = fn(arg, &st->rec);
	reset(st);
	st->rec.line = st->line + 1;
	return status;
}

static int
ready(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

static int
one(struct state *st, int fd, const char *name, char *buf,
    int (*fn)(void *, const struct csv_record *), int (*idle)(void *), void *arg)
{
	ssize_t n, i;
	int status, bom = 1;

	st->rec.file = name;
	st->rec.number = 0;
	st->rec.line = 1;
	st->line = 0;
	reset(st);
	for (;;) {
		if (!ready(fd)) {
			/* about to block: nothing may wait in a buffer */
			if (fflush(stdout) == EOF || (idle != NULL && idle(arg) != 0))
				return EX_IOERR;
		}
		if (cli_signalled)
			return 0;
		n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_warn("%s", name);
			return EX_IOERR;
		}
		if (n == 0)
			break;
		i = 0;
		if (bom && n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
			i = 3;
		bom = 0;
		for (; i < n; i++) {
			char c = buf[i];

			if (c == '\n' && !st->in_quotes && !st->escaped) {
				st->line++;
				if ((status = end_record(st, fn, arg)) != 0)
					return status;
				continue;
			}
			if (c == '\n')
				st->line++;
			add(&st->raw, c);
			st->any = 1;
			if (st->raw.len > MAXRECORD) {
				cli_warnx("%s:%ld: record longer than %u bytes (an unterminated "
				    "quote?)", name, st->rec.line, MAXRECORD);
				return EX_DATAERR;
			}
			if (st->escaped) {
				add(&st->text, c);
				st->escaped = 0;
			} else if (c == '\\')
				st->escaped = 1;
			else if (st->in_quotes) {
				if (c == '"')
					st->in_quotes = 0, st->after_quote = 1;
				else
					add(&st->text, c);
			} else if (c == '"') {
				if (st->after_quote)
					add(&st->text, '"');	/* "" inside quotes */
				st->in_quotes = 1;
				st->quoted = 1;
			} else if (c == ',')
				end_field(st);
			else {
				st->after_quote = 0;
				add(&st->text, c);
			}
		}
	}
	if (st->any) {
		st->line++;
		return end_record(st, fn, arg);
	}
	return 0;
}

int
csv_run(int argc, char **argv, int (*fn)(void *, const struct csv_record *),
    int (*idle)(void *), void *arg)
{
	static char buf[CHUNK];
	struct state st;
	int i, fd, status = 0;

	memset(&st, 0, sizeof st);
	if (argc == 0)
		status = one(&st, STDIN_FILENO, "<stdin>", buf, fn, idle, arg);
	for (i = 0; i < argc && status == 0 && !cli_signalled; i++) {
		if (strcmp(argv[i], "-") == 0) {
			status = one(&st, STDIN_FILENO, "<stdin>", buf, fn, idle, arg);
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) == -1) {
			cli_warn("%s", argv[i]);
			status = EX_NOINPUT;
			break;
		}
		status = one(&st, fd, argv[i], buf, fn, idle, arg);
		close(fd);
	}
	aq_buf_free(&st.text);
	aq_buf_free(&st.raw);
	return status;
}
