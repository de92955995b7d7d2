/* 0100-buf: the growable buffer. */
#include <string.h>

#include "openaq.h"
#include "tap.h"

int
main(void)
{
	struct aq_buf b = {0};
	int i;

	plan(12);
	is_int(aq_buf_append(&b, "abc", 3), AQ_OK, "append to an empty buffer");
	is_str(b.data, "abc", "data is NUL-terminated");
	is_int(b.len, 3, "len excludes the NUL");
	is_int(aq_buf_printf(&b, "-%d-%s", 42, "x"), AQ_OK, "printf appends");
	is_str(b.data, "abc-42-x", "printf text");
	for (i = 0; i < 10000; i++)
		aq_buf_append(&b, "0123456789", 10);
	is_int(b.len, 8 + 100000, "grows past many doublings");
	aq_buf_reset(&b);
	is_int(b.len, 0, "reset empties");
	is_str(b.data, "", "reset keeps a valid string");
	is_int(aq_buf_append(&b, "", 0), AQ_OK, "appending nothing is fine");
	is_int(aq_buf_append(&b, "x", (size_t)-1), AQ_ENOMEM, "an impossible size fails");
	is_int(b.len, 0, "and leaves the buffer unchanged");
	aq_buf_free(&b);
	aq_buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "free twice is safe and zeroes");
	return done_testing();
}
