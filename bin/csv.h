/*
 * csv.h: a streaming reader of the OpenAQ archive CSV (aq-norm --csv).
 * Fields are separated by commas; a field may be quoted with '"' ("" is a
 * quote inside it, and it may span lines); a backslash escapes the next
 * character, quoted or not (the archive's Athena table says ESCAPED BY
 * '\\').  CRLF and a UTF-8 byte order mark are accepted.
 */
#ifndef CSV_H
#define CSV_H

#include <stddef.h>

#define CSV_MAXFIELDS 32

struct csv_record {
	const char *file;
	long line;		/* the line the record starts on */
	long number;		/* 1 for the first record of the file */
	size_t nfields;
	const char *field[CSV_MAXFIELDS];	/* NUL-terminated */
	size_t len[CSV_MAXFIELDS];
	int quoted[CSV_MAXFIELDS];
	const char *raw;	/* the record as read, without its line end */
	size_t rawlen;
	int too_many;		/* more than CSV_MAXFIELDS fields */
};

/*
 * Every record of the files in argv (argc of them; none or "-" is stdin).
 * fn returns 0 to go on or an exit status to stop.  idle(arg) runs when
 * input is about to block.  Returns 0 or an exit status (66 for a file
 * that cannot be opened, 74 for a read error).
 */
int csv_run(int argc, char **argv, int (*fn)(void *, const struct csv_record *),
    int (*idle)(void *), void *arg);

#endif /* CSV_H */
