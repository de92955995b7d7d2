/* 0200-errors: every code has a sentence; freers accept NULL. */
#include <string.h>

#include "openaq.h"
#include "tap.h"

int
main(void)
{
	int code, all = 1;

	for (code = AQ_OK; code <= AQ_ESCHEMA; code++) {
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
	aq_reader_free(NULL);
	aq_writer_free(NULL);
	aq_buf_free(NULL);
	aq_buf_reset(NULL);
	ok(1, "the freers accept NULL");
	is_int(aq_buf_append(NULL, "x", 1), AQ_EINVAL, "aq_buf_append(NULL) is EINVAL");
	is_int(aq_reader_open(NULL, 0, NULL), AQ_EINVAL, "aq_reader_open(NULL) is EINVAL");
	return done_testing();
}
