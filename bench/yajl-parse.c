/*
 * yajl-parse: the ceiling for aq-norm, a bare yajl parse of NDJSON.
 *
 *	yajl-parse [file]
 *
 * Reads the file (or stdin) in 64 KiB chunks through one yajl handle with
 * no callbacks and yajl_allow_multiple_values, as lib/reader.c does, and
 * prints the number of bytes and lines.  It builds nothing and writes
 * nothing: any real consumer of the same bytes does more.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_parse.h>

int
main(int argc, char **argv)
{
	static unsigned char chunk[65536];
	FILE *f = stdin;
	yajl_handle h;
	size_t n;
	unsigned long long bytes = 0, lines = 0;

	if (argc > 1 && (f = fopen(argv[1], "rb")) == NULL) {
		perror(argv[1]);
		return 74;
	}
	if ((h = yajl_alloc(NULL, NULL, NULL)) == NULL)
		return 70;
	yajl_config(h, yajl_allow_multiple_values, 1);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		const unsigned char *p = chunk, *end = chunk + n;

		bytes += n;
		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			lines++;
			p++;
		}
		if (yajl_parse(h, chunk, n) != yajl_status_ok)
			goto bad;
	}
	if (ferror(f)) {
		perror("read");
		return 74;
	}
	if (yajl_complete_parse(h) != yajl_status_ok)
		goto bad;
	yajl_free(h);
	printf("%llu bytes, %llu lines\n", bytes, lines);
	return 0;
bad:
	{
		unsigned char *e = yajl_get_error(h, 1, chunk, n);

		fprintf(stderr, "yajl-parse: %s", (char *)e);
		yajl_free_error(h, e);
		yajl_free(h);
		return 65;
	}
}
