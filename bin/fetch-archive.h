/*
 * fetch-archive.h: aq-fetch archive, the OpenAQ archive on S3 as NDJSON: one
 * line per CSV row, objects in key order, incremental by a manifest.
 */
#ifndef FETCH_ARCHIVE_H
#define FETCH_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "openaq.h"

struct archive_job {
	const int64_t *locations;	/* the locations, any order */
	size_t nlocations;
	int64_t from, to;		/* file days, inclusive: 00:00Z of each */
	const char *manifest;		/* NULL: none */
	unsigned long shard_k, shard_n;	/* n 0: no sharding */
	int quiet, verbose;
};

/*
 * List, fetch and write to out.  Returns an exit status: 0; 65 when an
 * object's CSV is not the archive's (the others are written); 74 for
 * output or the manifest; 75 when objects are missing (403 or 404 on a
 * listed key, or retries spent: the others are written and recorded, and
 * a rerun with the manifest fetches only those), or on a signal; what a
 * listing failure maps to (cli_status).  errbuf is a's detail buffer.
 */
int archive_fetch(struct aq_archive *a, const struct archive_job *j, FILE *out,
    const char *errbuf);

#endif /* FETCH_ARCHIVE_H */
