/*
 * fuzz-csv: the CSV reader (lib/csv.c).  The input is read twice in step,
 * from memory (aq_csv_open_mem) and from a file descriptor (aq_csv_open,
 * 64 KiB reads): both must give the same records, fields, quoting, lines
 * and errors.  Every field is NUL-terminated and valid UTF-8 (or the
 * record is refused with AQ_ETYPE); aq_csv_archive_header() names fields
 * that exist.
 */
#include "fuzz.h"

static struct aq_csv *mem, *file;
static char err1[512], err2[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK((mem = aq_csv_new()) != NULL);
	FUZZ_CHECK((file = aq_csv_new()) != NULL);
	aq_csv_set_errbuf(mem, err1, sizeof err1);
	aq_csv_set_errbuf(file, err2, sizeof err2);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int col[AQ_ARCHIVE_NCOLS], col2[AQ_ARCHIVE_NCOLS];
	const char *f, *g;
	size_t i, n, m, nf;
	int rc, rc2, k, h;

	FUZZ_CHECK(aq_csv_open_mem(mem, (const char *)data, size, "in") == AQ_OK);
	FUZZ_CHECK(aq_csv_open(file, fuzz_fd(0, data, size), "in") == AQ_OK);
	for (;;) {
		rc = aq_csv_next(mem);
		rc2 = aq_csv_next(file);
		FUZZ_CHECK(rc == rc2);
		FUZZ_CHECK(rc == AQ_OK || rc == AQ_EOF || rc == AQ_ETYPE || rc == AQ_ERANGE);
		if (rc == AQ_EOF)
			break;
		if (rc == AQ_ERANGE) {
			/* final: a record longer than 1 MiB */
			FUZZ_CHECK(strcmp(err1, err2) == 0);
			FUZZ_CHECK(aq_csv_next(mem) != AQ_OK);
			break;
		}
		FUZZ_CHECK(aq_csv_line(mem) == aq_csv_line(file));
		FUZZ_CHECK(aq_csv_number(mem) == aq_csv_number(file));
		FUZZ_CHECK(aq_csv_line(mem) >= aq_csv_number(mem));
		f = aq_csv_raw(mem, &n);
		g = aq_csv_raw(file, &m);
		FUZZ_CHECK(n == m && memcmp(f, g, n) == 0 && f[n] == '\0');
		if (rc == AQ_ETYPE) {
			FUZZ_CHECK(strcmp(aq_csv_error(mem), aq_csv_error(file)) == 0);
			FUZZ_CHECK(aq_csv_error(mem)[0] != '\0');
			FUZZ_CHECK(aq_utf8_valid(f, n) < n);
			continue;
		}
		FUZZ_CHECK(aq_csv_error(mem)[0] == '\0');
		nf = aq_csv_fields(mem);
		FUZZ_CHECK(nf >= 1 && nf == aq_csv_fields(file));
		for (i = 0; i < nf; i++) {
			f = aq_csv_field(mem, i, &n);
			g = aq_csv_field(file, i, &m);
			FUZZ_CHECK(f != NULL && g != NULL && f[n] == '\0');
			FUZZ_CHECK(n == m && memcmp(f, g, n) == 0);
			FUZZ_CHECK(aq_utf8_valid(f, n) == n);
			FUZZ_CHECK(aq_csv_quoted(mem, i) == aq_csv_quoted(file, i));
		}
		FUZZ_CHECK(aq_csv_field(mem, nf, &n) == NULL);
		h = aq_csv_archive_header(mem, col);
		FUZZ_CHECK(h == aq_csv_archive_header(file, col2));
		FUZZ_CHECK(h == aq_csv_archive_header(mem, NULL));
		if (h)
			for (k = 0; k < AQ_ARCHIVE_NCOLS; k++) {
				FUZZ_CHECK(col[k] == col2[k]);
				FUZZ_CHECK(col[k] >= -1 && col[k] < (int)nf);
			}
	}
	for (k = -1; k <= AQ_ARCHIVE_NCOLS; k++)
		FUZZ_CHECK((aq_archive_column_name(k) != NULL) == (k >= 0 && k < AQ_ARCHIVE_NCOLS));
	return 0;
}
