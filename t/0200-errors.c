/*
 * 0200-errors: every code has a sentence; every public freer accepts NULL
 * and may be called again on what it released (t/9000-symbols.t checks
 * that each aq_*_free of openaq.h is called here).
 */
#include <string.h>

#include "openaq.h"
#include "tap.h"

int
main(void)
{
	struct aq_buf b = {0};
	struct aq_reader *r;
	struct aq_writer *w;
	struct aq_loader *lo;
	struct aq_limiter *li;
	struct aq_client *c;
	int code, all = 1;

	for (code = AQ_OK; code <= AQ_EDBTEMP; code++) {
		const char *s = aq_strerror(code);

		if (s == NULL || strcmp(s, "unknown error code") == 0 || strchr(s, '\n') ||
		    s[strlen(s) - 1] == '.') {
			all = 0;
			diag("code %d: '%s'", code, s ? s : "(null)");
		}
	}
	ok(all, "every AQ_* code has a one-line sentence without a final period");
	is_str(aq_strerror(-1), "unknown error code", "a negative code is unknown");
	is_str(aq_strerror(9999), "unknown error code", "a large code is unknown");
	ok(aq_version() != NULL && aq_version()[0] >= '0' && aq_version()[0] <= '9',
	    "aq_version is a version number");

	/* NULL: each call must simply return (ASan/UBSan and valgrind watch) */
	aq_buf_free(NULL);
	ok(1, "aq_buf_free(NULL) returns");
	aq_buf_reset(NULL);
	ok(1, "aq_buf_reset(NULL) returns");
	aq_reader_free(NULL);
	ok(1, "aq_reader_free(NULL) returns");
	aq_writer_free(NULL);
	ok(1, "aq_writer_free(NULL) returns");
	aq_loader_free(NULL);
	ok(1, "aq_loader_free(NULL) returns");
	aq_limiter_free(NULL);
	ok(1, "aq_limiter_free(NULL) returns");
	aq_csv_free(NULL);
	ok(1, "aq_csv_free(NULL) returns");
	aq_archive_free(NULL);
	ok(1, "aq_archive_free(NULL) returns");
	aq_client_free(NULL);
	ok(1, "aq_client_free(NULL) returns");

	/* a buffer: free zeroes it, so freeing again is safe, and it is reusable */
	aq_buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "aq_buf_free of an empty buffer");
	is_int(aq_buf_puts(&b, "abc"), AQ_OK, "a buffer takes text");
	aq_buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "aq_buf_free zeroes the buffer");
	aq_buf_free(&b);
	ok(b.data == NULL, "and a second aq_buf_free is harmless");
	is_int(aq_buf_puts(&b, "again"), AQ_OK, "the freed buffer is usable again");
	aq_buf_free(&b);

	/* each handle: made and freed without ever being used */
	ok((r = aq_reader_new()) != NULL, "aq_reader_new");
	aq_reader_free(r);
	ok((w = aq_writer_new(NULL)) != NULL, "aq_writer_new");
	aq_writer_free(w);
	ok((lo = aq_loader_new()) != NULL, "aq_loader_new");
	if (lo != NULL) {
		is_int(aq_loader_set_retry(lo, 0, 0.5, 10, NULL, NULL), AQ_EINVAL,
		    "aq_loader_set_retry: fewer than 1 attempt is EINVAL");
		is_int(aq_loader_set_retry(lo, 3, 2, 1, NULL, NULL), AQ_EINVAL,
		    "aq_loader_set_retry: a first wait longer than the longest is EINVAL");
		is_int(aq_loader_set_retry(lo, 1, 0, 0, NULL, NULL), AQ_OK,
		    "aq_loader_set_retry: one attempt, no wait");
		is_int(aq_loader_run_begin(lo, "x"), AQ_EINVAL, "aq_loader_run_begin unconnected is EINVAL");
		is_int(aq_loader_run_end(lo, 0), AQ_EINVAL, "aq_loader_run_end unconnected is EINVAL");
		ok(aq_loader_run_id(lo) == 0, "no run, no run id");
		aq_loader_set_precommit(lo, NULL, NULL);
		aq_loader_run_count(lo, 1, 1);
	}
	aq_loader_free(lo);
	is_int(aq_loader_set_retry(NULL, 1, 0, 0, NULL, NULL), AQ_EINVAL, "aq_loader_set_retry(NULL)");
	ok(aq_loader_run_id(NULL) == 0, "aq_loader_run_id(NULL) is 0");
	aq_loader_set_precommit(NULL, NULL, NULL);
	aq_loader_run_count(NULL, 0, 0);
	ok((li = aq_limiter_new()) != NULL, "aq_limiter_new");
	aq_limiter_free(li);
	ok((c = aq_client_new()) != NULL, "aq_client_new");
	aq_client_free(c);

	is_int(aq_buf_append(NULL, "x", 1), AQ_EINVAL, "aq_buf_append(NULL) is EINVAL");
	is_int(aq_reader_open(NULL, 0, NULL), AQ_EINVAL, "aq_reader_open(NULL) is EINVAL");
	return done_testing();
}
