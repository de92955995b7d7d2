/*
 * loader-probe: loads NDJSON from stdin into a table through the public
 * loader API, for t/4710-loader-api.t, and says what happened:
 *   loader-probe [-o] [-s N] [-r column reftable refcolumn] table
 * prints "set_orphans RC", then one "notice KIND MESSAGE" line per notice
 * (KIND "-" with -o, which uses the old aq_loader_set_notice), then
 * "rows N", "inserted N", "orphans N".  With -s N it calls aq_loader_send()
 * once before the first row and every N rows, printing "sent RC committed pending" after each, then at the
 * end aq_loader_finish() ("finished RC committed pending") before the
 * flush.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openaq.h"

static void
on_notice_kind(void *arg, int kind, const char *msg)
{
	(void)arg;
	printf("notice %d %s\n", kind, msg);
}

static void
on_notice(void *arg, const char *msg)
{
	(void)arg;
	printf("notice - %s\n", msg);
}

int
main(int argc, char **argv)
{
	struct aq_loader *l;
	struct aq_reader *r;
	const struct aq_value *rec;
	const char *raw;
	size_t len;
	char err[1024] = "";
	int old = 0, rc;
	unsigned long every = 0;

	argv++, argc--;
	if (argc > 0 && strcmp(argv[0], "-o") == 0)
		old = 1, argv++, argc--;
	if (argc > 1 && strcmp(argv[0], "-s") == 0) {
		every = strtoul(argv[1], NULL, 10);
		argv += 2, argc -= 2;
	}
	if ((l = aq_loader_new()) == NULL || (r = aq_reader_new()) == NULL)
		return 70;
	aq_loader_set_errbuf(l, err, sizeof err);
	if (old)
		aq_loader_set_notice(l, on_notice, NULL);
	else
		aq_loader_set_notice_kind(l, on_notice_kind, NULL);
	if (argc >= 4 && strcmp(argv[0], "-r") == 0) {
		printf("set_orphans %d\n", aq_loader_set_orphans(l, argv[1], argv[2], argv[3]));
		argv += 4, argc -= 4;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: loader-probe [-o] [-r column reftable refcolumn] table\n");
		return 64;
	}
	if ((rc = aq_loader_connect(l, NULL)) != AQ_OK ||
	    (rc = aq_loader_open(l, argv[0], AQ_LOAD_UPSERT, 0)) != AQ_OK) {
		fprintf(stderr, "loader-probe: %s\n", err);
		return 69;
	}
	aq_reader_open(r, 0, NULL);
	/* rows wait for their batch from here on */
	if (every > 0 && (rc = aq_loader_send(l)) != AQ_OK)
		fprintf(stderr, "loader-probe: send: %d: %s\n", rc, err);
	while ((rc = aq_reader_next(r, &rec)) == AQ_OK) {
		raw = aq_reader_raw(r, &len);
		if ((rc = aq_loader_add(l, rec, raw, len, aq_reader_name(r), aq_reader_line(r))) != AQ_OK)
			break;
		if (every > 0 && aq_loader_pending(l) >= every) {
			rc = aq_loader_send(l);
			printf("sent %d %" PRIu64 " %zu\n", rc, aq_loader_count(l, AQ_LOAD_ROWS),
			    aq_loader_pending(l));
			if (rc != AQ_OK)
				break;
		}
	}
	if (rc == AQ_EOF && every > 0) {
		rc = aq_loader_finish(l);
		printf("finished %d %" PRIu64 " %zu\n", rc, aq_loader_count(l, AQ_LOAD_ROWS),
		    aq_loader_pending(l));
		if (rc == AQ_OK)
			rc = AQ_EOF;
	}
	if (rc == AQ_EOF)
		rc = aq_loader_flush(l);
	if (rc != AQ_OK)
		fprintf(stderr, "loader-probe: %d: %s\n", rc, err);
	printf("rows %" PRIu64 "\ninserted %" PRIu64 "\norphans %" PRIu64 "\n",
	    aq_loader_count(l, AQ_LOAD_ROWS), aq_loader_count(l, AQ_LOAD_INSERTED),
	    aq_loader_count(l, AQ_LOAD_ORPHANS));
	aq_reader_free(r);
	aq_loader_free(l);
	return rc == AQ_OK ? 0 : 65;
}
