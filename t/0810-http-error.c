/*
 * 0810-http-error: the server's words from every error body shape the API
 * sends (lib/http-error.c; VIOLATIONS.md row 10, openaq-v3.md section 4).
 * The text is safe to print: control characters and invalid UTF-8 as
 * visible escapes, the key as "[key]" (aqi_http_redact()).
 */
#include <stdio.h>
#include <string.h>

#include "http-int.h"
#include "tap.h"

static char out[512];
static const char *key;

static const char *
text_n(const char *body, size_t len, size_t size)
{
	memset(out, 'X', sizeof out);
	aqi_http_error_text(body, len, key, out, size);
	return out;
}

static const char *
text(const char *body)
{
	return text_n(body, strlen(body), sizeof out);
}

int
main(void)
{
	char big[4096], want[600];

	/* the shapes of openaq-v3.md */
	is_str(text("{\"detail\":\"Invalid credentials\"}"), "Invalid credentials",
	    "{\"detail\": string}");
	is_str(text("{\"message\": \"Unauthorized. A valid API key must be provided in the "
		    "X-API-Key header.\"}"),
	    "Unauthorized. A valid API key must be provided in the X-API-Key header.",
	    "{\"message\": string} (WAF)");
	is_str(text("{\"detail\":[{\"type\":\"less_than_equal\",\"loc\":[\"query\",\"limit\"],"
		    "\"msg\":\"Input should be less than or equal to 1000\",\"input\":\"1001\","
		    "\"ctx\":{\"le\":1000},\"url\":\"https://errors.pydantic.dev/2.6/v/"
		    "less_than_equal\"}]}"),
	    "limit: Input should be less than or equal to 1000", "{\"detail\": [pydantic]}");
	is_str(text("{\"detail\":[{\"loc\":[\"query\",\"limit\"],\"msg\":\"too big\"},"
		    "{\"loc\":[\"query\",\"page\"],\"msg\":\"too small\"}]}"),
	    "limit: too big; page: too small", "two pydantic errors, joined with '; '");
	is_str(text("{\"detail\":[{\"loc\":[\"query\"],\"msg\":\"Value error, radius needs "
		    "coordinates\"}]}"),
	    "query: Value error, radius needs coordinates", "a model error names the query");
	is_str(text("{\"detail\":[{\"loc\":[\"body\",\"items\",0],\"msg\":\"bad\"}]}"), "0: bad",
	    "a numeric last loc is shown as a name");
	is_str(text("{\"detail\":[{\"loc\":[[\"x\"]],\"msg\":\"bad\"}]}"), "bad",
	    "a last loc that is no scalar is left out");
	is_str(text("{\"detail\":[{\"msg\":\"no loc\"}]}"), "no loc", "no loc: the msg alone");
	is_str(
	    text("{\"detail\":[{\"loc\":[\"query\",\"x\"]}]}"), "x: invalid", "no msg: 'invalid'");
	is_str(
	    text("{\"detail\":[1,\"two\"]}"), "invalid; invalid", "list items that are no objects");
	is_str(text("\"Date/time from must be older than the date/time to.\""),
	    "Date/time from must be older than the date/time to.", "a bare JSON string (422)");
	is_str(text("\"[{'type': 'int_parsing', 'loc': ('query', 'limit')}]\""),
	    "[{'type': 'int_parsing', 'loc': ('query', 'limit')}]",
	    "a bare JSON string holding a Python repr");
	is_str(text("{\"detail\":\"column \\\"provider\\\" does not exist\"}"),
	    "column \"provider\" does not exist", "JSON escapes are decoded");
	is_str(text("{\"detail\":\"NO\\u2082 \\u00b5g/m\\u00b3\"}"),
	    "NO\xe2\x82\x82 \xc2\xb5g/m\xc2\xb3", "\\u escapes become UTF-8");
	is_str(text("{\"detail\":\"a\",\"message\":\"b\"}"), "a", "detail wins over message");
	is_str(text("{\"detail\":\"a\",\"detail\":\"b\"}"), "b", "the last duplicate wins");
	is_str(text("  {\"detail\" : \"spaced\"}\n"), "spaced", "whitespace around JSON");
	is_str(text("{\"detail\":\"a\"} trailing"), "a",
	    "a whole object followed by garbage is still read");

	/* JSON that says nothing usable: the body's text */
	is_str(text("{\"detail\":null,\"message\":\"m\"}"), "{\"detail\":null,\"message\":\"m\"}",
	    "detail null does not fall back to message: the raw body");
	is_str(text("{\"detail\":42}"), "{\"detail\":42}", "a numeric detail: the raw body");
	is_str(text("{\"detail\":{\"x\":1}}"), "{\"detail\":{\"x\":1}}",
	    "an object detail: the raw body");
	is_str(text("{\"detail\":[]}"), "{\"detail\":[]}", "an empty list: the raw body");
	is_str(text("{\"ping\":\"pong!\"}"), "{\"ping\":\"pong!\"}", "neither key: the raw body");
	is_str(text("{\"detail\":\"\"}"), "{\"detail\":\"\"}", "an empty detail: the raw body");
	is_str(text("\"\""), "\"\"", "an empty bare string: the raw body");
	is_str(text("[\"a\"]"), "[\"a\"]", "a JSON array: the raw body");
	is_str(text("42"), "42", "a JSON number: the raw body");
	is_str(text("{\"detail\":\"cut"), "{\"detail\":\"cut", "a truncated object: the raw body");

	/* not JSON */
	is_str(text("<html><head><title>500 Internal Server Error</title></head><body><h1>Internal "
		    "Server Error</h1></body></html>\n"),
	    "500 Internal Server Error", "HTML: the title");
	is_str(text("<html>\r\n<head><TITLE>403 "
		    "Forbidden</TITLE></head>\r\n<body></body>\r\n</html>\r\n"),
	    "403 Forbidden", "HTML: <TITLE> in capitals");
	is_str(text("<html><title>\n  502\tBad Gateway\r\n</title></html>"), "   502 Bad Gateway  ",
	    "HTML: line breaks and tabs in the title become spaces, not trimmed");
	is_str(text("<title></title><h1>x</h1>"), "", "HTML: an empty title gives an empty text");
	is_str(text("<title>no end"), "<title>no end",
	    "HTML: a title with no '<' after it: the start of the body");
	is_str(text("<html><body><h1>Bad Gateway</h1></body></html>"),
	    "<html><body><h1>Bad Gateway</h1></body></html>", "HTML without a title: the body");
	is_str(text(""), "(empty body)", "an empty body");
	is_str(text_n(NULL, 0, sizeof out), "(empty body)", "no body at all");
	is_str(text("Service Unavailable\n"), "Service Unavailable ",
	    "plain text, newline as a space");
	is_str(text("a\tb\rc\nd"), "a b c d", "tab, CR and LF as spaces");
	is_str(text("a\001b\033[31mc\177d"), "a\\x01b\\x1b[31mc\\x7fd",
	    "other control bytes and DEL as \\xHH");
	is_str(text_n("a\0b", 3, sizeof out), "a\\x00b", "a NUL byte as \\x00");
	is_str(text("caf\xc3\xa9 \xff\xfe"), "caf\xc3\xa9 \\xff\\xfe",
	    "not JSON: UTF-8 kept, invalid bytes as \\xHH");

	/* JSON strings: control characters as visible escapes */
	is_str(text("{\"detail\":\"line1\\nline2\\ttab\\u0001\"}"), "line1\\nline2\\ttab\\x01",
	    "JSON escapes of control characters become visible");
	is_str(text("{\"detail\":\"\\u001b[2J\\u001b]0;owned\\u0007x\"}"),
	    "\\x1b[2J\\x1b]0;owned\\x07x", "ESC sequences cannot reach a terminal");
	is_str(text("{\"detail\":\"bad\\r\\naq-fetch: forged\"}"), "bad\\r\\naq-fetch: forged",
	    "CR and LF cannot start a forged line");
	is_str(text("{\"detail\":\"csi \\u009b31m\"}"), "csi \\xc2\\x9b31m",
	    "a C1 control (U+009B, CSI) as the escapes of its bytes");
	is_str(text("{\"detail\":\"\\u00a0nbsp \\u00ff \\u2028 \\ud83d\\ude00\"}"),
	    "\xc2\xa0nbsp \xc3\xbf \xe2\x80\xa8 \xf0\x9f\x98\x80", "other UTF-8 is kept");
	is_str(text("{\"detail\":\"bad \xff byte\"}"), "{\"detail\":\"bad \\xff byte\"}",
	    "invalid UTF-8 in JSON: not JSON, the raw body, the byte escaped");
	is_str(text("\"\xc3\xa9t\xc3\xa9\""), "\xc3\xa9t\xc3\xa9", "UTF-8 in a bare string");
	is_str(text("over\xc0\xaflong \xed\xa0\x80 cut\xe2\x82"),
	    "over\\xc0\\xaflong \\xed\\xa0\\x80 cut\\xe2\\x82",
	    "overlong, surrogate and cut sequences are invalid bytes");
	is_str(text_n("{\"detail\":\"abc\\n\"}", 18, 5), "abc",
	    "an escape that does not fit is left out whole");
	is_str(text_n("\"ab\xc3\xa9\"", 6, 4), "ab", "so is a character");
	is_str(text_n("\"ab\xc3\xa9\"", 6, 5), "ab\xc3\xa9", "which fits in 5 bytes");

	/* the key */
	key = "s3cr3t-Key+/=";
	is_str(text("{\"detail\":\"Invalid key s3cr3t-Key+/= for s3cr3t-Key+/=\"}"),
	    "Invalid key [key] for [key]", "every occurrence of the key is [key]");
	is_str(text("{\"detail\":\"url ?k=s3cr3t-Key%2B%2F%3D&x=s3cr3t-Key%2b%2f%3d\"}"),
	    "url ?k=[key]&x=[key]", "so is its percent-encoded form, in either case");
	is_str(text("<title>key s3cr3t-Key+/=</title>"), "key [key]", "in an HTML title too");
	is_str(text("s3cr3t-Key+/"), "s3cr3t-Key+/", "a start of it in a whole text is kept");
	memset(big, 'a', 118);
	memcpy(big + 118, "s3cr3t-Key+/=", 14);
	memcpy(want, big, 118);
	memcpy(want + 118, "[key]", 6);
	is_str(text(big), want, "a key cut by the 120-byte limit is [key]");
	snprintf(big, sizeof big, "{\"detail\":\"%0*ds3cr3t-Key+/=\"}", 508, 0);
	is_str(text(big) + 508, "[ke", "a key past the end of out is never shown, even cut");
	snprintf(big, sizeof big, "{\"detail\":\"%0*ds3cr3t-Key+/=\\u001b\"}", 300, 0);
	is_str(text(big) + 300, "[key]\\x1b", "the key is found before escaping");
	key = NULL;

	/* truncation */
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\0';
	memset(want, 'a', 120);
	want[120] = '\0';
	is_str(text(big), want, "a long text body: its first 120 bytes");
	is_str(text_n(big, 121, sizeof out), want, "121 bytes: the first 120");
	is_str(text_n(big, 120, sizeof out), want, "120 bytes: all of them");
	want[119] = '\0';
	is_str(text_n(big, 119, sizeof out), want, "119 bytes: all of them");
	want[119] = 'a';
	memcpy(big, "<title>", 7);
	memcpy(big + 3000, "</title>", 8);
	is_str(text(big), want, "a long title: its first 120 bytes");
	snprintf(big, sizeof big, "{\"detail\":\"");
	memset(big + 11, 'b', 1000);
	snprintf(big + 1011, 10, "\"}");
	memset(want, 'b', sizeof out - 1);
	want[sizeof out - 1] = '\0';
	is_str(text(big), want, "a long detail: as much as fits (511 bytes)");
	is_str(text_n(big, strlen(big), 8), "bbbbbbb", "a long detail in 8 bytes: 7 and a NUL");
	snprintf(big, sizeof big,
	    "{\"detail\":[{\"loc\":[\"q\",\"limit\"],\"msg\":\"too big\"},"
	    "{\"loc\":[\"q\",\"page\"],\"msg\":\"too small\"}]}");
	is_str(text_n(big, strlen(big), 12), "limit: too ",
	    "a pydantic list cut at the end of the buffer");
	is_str(text_n("Service Unavailable", 19, 8), "Service", "a text body in 8 bytes");
	is_str(text_n("", 0, 8), "(empty ", "(empty body) in 8 bytes");
	text_n("{\"detail\":\"x\"}", 14, 1);
	is_int(out[0], 0, "size 1: just the NUL");
	ok(out[1] == 'X', "and nothing past it");

	/* aqi_http_redact() on its own */
	snprintf(big, sizeof big, "k=KEY&K=KEY");
	is_int((int)aqi_http_redact(big, strlen(big), 16, "KEY", 0), 15, "the new length");
	is_str(big, "k=[key]&K=[key]", "a key shorter than [key] grows the text");
	snprintf(big, sizeof big, "aKbKc");
	aqi_http_redact(big, 5, 8, "K", 0);
	is_str(big, "a[key]b", "growing, it is cut to size - 1");
	snprintf(big, sizeof big, "why: KE");
	aqi_http_redact(big, 7, sizeof big, "KEY", 1);
	is_str(big, "why: [key]", "cut: a start of the key at the end is [key]");
	snprintf(big, sizeof big, "why: KE");
	aqi_http_redact(big, 7, sizeof big, "KEY", 0);
	is_str(big, "why: KE", "not cut: it is kept");
	snprintf(big, sizeof big, "a%%20b a%%20B a b");
	aqi_http_redact(big, strlen(big), sizeof big, "a b", 0);
	is_str(big, "[key] a%20B [key]", "only the hex digits match in either case");
	snprintf(big, sizeof big, "same");
	is_int((int)aqi_http_redact(big, 4, sizeof big, NULL, 1), 4, "a NULL key changes nothing");
	is_int((int)aqi_http_redact(big, 4, sizeof big, "", 1), 4, "nor does an empty one");
	is_str(big, "same", "the text is as it was");
	return done_testing();
}
