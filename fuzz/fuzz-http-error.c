/*
 * fuzz-http-error: the API client's error-text extraction
 * (lib/http-error.c: aqi_http_error_text, aqi_http_redact) and its
 * header parser (lib/http-outcome.c: aqi_http_header), internal.  The
 * input is an error body; its first byte picks the size of the output
 * buffer and whether a key is given.  The text must fit, be valid UTF-8
 * with no control character (C0, DEL, C1), and never hold the key, as it
 * is or percent-encoded.  Each line of the input is also a header line.
 */
#include "fuzz.h"
#include "http-int.h"

/* with characters that a query value percent-encodes */
static const char key[] = "Zk3+y/Q9";
/* percent-encoded, in the four spellings of its hex digits' case */
static const char *const key_enc[] = {
	"Zk3%2By%2FQ9", "Zk3%2by%2fQ9", "Zk3%2By%2fQ9", "Zk3%2by%2FQ9"
};

/* Does out[0..n) hold the key in any form? */
static int contains(const char *hay, size_t n, const char *needle);

static int
has_key(const char *out, size_t n)
{
	size_t i;

	if (contains(out, n, key))
		return 1;
	for (i = 0; i < sizeof key_enc / sizeof key_enc[0]; i++)
		if (contains(out, n, key_enc[i]))
			return 1;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Is needle in hay[0..n)? */
static int
contains(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return 1;
	return 0;
}

static void
check_text(const char *out, size_t size, int with_key)
{
	const unsigned char *p = (const unsigned char *)out;
	size_t n = strlen(out), i;

	FUZZ_CHECK(n < size);
	FUZZ_CHECK(aq_utf8_valid(out, n) == n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(p[i] >= 0x20 && p[i] != 0x7f);
		/* C1: U+0080 to U+009F, C2 80 to C2 9F */
		FUZZ_CHECK(!(p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] < 0xa0));
	}
	if (with_key) {
		FUZZ_CHECK(!has_key(out, n));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body, *line, *nl, *end;
	char *out, *copy;
	size_t osize, n, len;
	long remaining = -2, reset = -2;
	int with_key;

	if (size == 0)
		return 0;
	osize = (size_t)(data[0] & 0x7f) * 4 + 1;	/* 1 to 509 bytes */
	with_key = (data[0] & 0x80) == 0;
	/* exactly size - 1 bytes: an overread is an ASan report */
	len = size - 1;
	FUZZ_CHECK((copy = malloc(len ? len : 1)) != NULL);
	memcpy(copy, data + 1, len);
	body = copy;
	FUZZ_CHECK((out = malloc(osize)) != NULL);
	aqi_http_error_text(body, len, with_key ? key : NULL, out, osize);
	check_text(out, osize, with_key);
	/* the usual buffer of a message */
	free(out);
	FUZZ_CHECK((out = malloc(512)) != NULL);
	aqi_http_error_text(body, len, key, out, 512);
	check_text(out, 512, 1);
	free(out);

	/* redaction alone, of the body as text, in a buffer of its size */
	FUZZ_CHECK((out = malloc(len + 1)) != NULL);
	memcpy(out, body, len);
	out[len] = '\0';
	if (memchr(out, '\0', len) == NULL) {
		n = aqi_http_redact(out, len, len + 1, key, 0);
		FUZZ_CHECK(n <= len && out[n] == '\0');
		FUZZ_CHECK(!has_key(out, n));
	}
	free(out);

	/* header lines, as curl hands them over (no NUL) */
	end = body + len;
	for (line = body; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		aqi_http_header(line, (size_t)(nl - line) + (nl < end), &remaining, &reset);
		FUZZ_CHECK(remaining >= -2 && reset >= -2);
	}
	free(copy);
	return 0;
}
