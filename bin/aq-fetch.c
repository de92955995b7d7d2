/*
 * aq-fetch: fetches records from the OpenAQ v3 API as NDJSON, one result
 * object a line, within the rate budget that every aq-fetch process of the
 * same key shares.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fetch-archive.h"
#include "idset.h"
#include "sensors.h"

static void CLI_DEAD
usage(int status)
{
	FILE *fp = status ? stderr : stdout;

	fprintf(fp, "usage: aq-fetch [options] countries|parameters|locations|providers|owners|\n"
		    "                          instruments|manufacturers|licenses\n"
		    "       aq-fetch [options] sensors --location ID\n"
		    "       aq-fetch [options] latest [--parameter ID,...|--location ID] [--follow]\n"
		    "       aq-fetch [options] measurements|hours|days|years --sensor ID,... |\n"
		    "                          --sensors-from FILE [--from TIME] [--to TIME]\n"
		    "       aq-fetch [options] get /v3/PATH [NAME=VALUE ...]\n"
		    "       aq-fetch [options] archive --location ID,... | --locations-from FILE |\n"
		    "                          --iso CC  --from DATE [--to DATE] [--manifest FILE]\n");
	if (status == 0)
		fputs("Writes each OpenAQ v3 result as an NDJSON line, within the shared rate limit.\n"
		      "The key comes from OPENAQ_API_KEY or --api-key-file, never from argv.\n"
		      "  --iso CC  --countries ID,...  --parameters ID,...     list filters\n"
		      "  --datetime-min TIME   latest: sensors with a value since TIME\n"
		      "  --follow [--interval D] [--overlap D]  latest: poll every D (15m), asking\n"
		      "                        from the newest reading less the overlap (10m)\n"
		      "  --lookback DURATION   a --sensors-from \"since\" starts this much earlier (24h)\n"
		      "  --base-url URL        default https://api.openaq.org/v3 ($OPENAQ_BASE_URL)\n"
		      "  --api-key-file FILE   read the key from FILE;  --limit N   page size (1000)\n"
		      "  --rate-minute N  --rate-hour N   request budgets (60, 2000)\n"
		      "  -j, --jobs N  --retries N  --timeout D   in flight, per page (1, 6, 60s)\n"
		      "  archive: no key; --archive-url URL ($OPENAQ_ARCHIVE_URL), --shard K/N, -j 16\n"
		      "  --insecure (test servers)  -v, --verbose  -q, --quiet  -h, --help  -V\n"
		      "Exit: 0 ok, 64 usage, 65 bad input, 69 refused, 74 I/O, 75 try later,\n"
		      "77 key refused.  See aq-fetch(1).\n", fp);
	exit(status);
}

/* Context added to records that lack it (see aq-ndjson(5)). */
struct ctx {
	const char *key;	/* "parametersId", "sensorsId", "locationsId" or NULL */
	int64_t id;
};

/* Ids with an int64 each (the last time a sensor was seen), on idset.c's
 * idmap; keys[] and vals[] are by the map's dense index. */
struct map {
	struct idmap ids;
	int64_t *keys, *vals;
	size_t cap;
};

/* The value slot of k (0 when new; keys are ids >= 1). */
static int64_t *
map_get(struct map *m, int64_t k, int *isnew)
{
	size_t i = idmap_put(&m->ids, k, isnew);

	if (i >= m->cap) {
		m->cap = m->cap ? m->cap * 2 : 1024;
		m->keys = realloc(m->keys, m->cap * sizeof *m->keys);
		m->vals = realloc(m->vals, m->cap * sizeof *m->vals);
		if (m->keys == NULL || m->vals == NULL)
			cli_errx(EX_OSERR, "out of memory");
	}
	if (*isnew) {
		m->keys[i] = k;
		m->vals[i] = 0;
	}
	return &m->vals[i];
}

static void
map_free(struct map *m)
{
	idmap_free(&m->ids);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

struct run {
	struct aq_writer *w;
	int follow;
	struct map seen;	/* follow: sensor -> last datetime (usec) */
	int64_t newest;		/* follow: the newest reading of this poll */
	int has_newest;
	struct map *collect;	/* parameter ids, for a plain latest */
	unsigned long written, skipped, requests;
	int verbose, quiet;
};

static int
on_record(void *arg, void *tag, const struct aq_value *rec)
{
	struct run *r = arg;
	const struct ctx *cx = tag;
	const struct aq_value *m;

	if (r->collect != NULL) {
		int64_t id;
		int isnew;

		if (aq_value_int64(aq_value_get(rec, "id"), &id) == AQ_OK && id > 0)
			(void)map_get(r->collect, id, &isnew);
		return 0;
	}
	if (r->follow) {
		int64_t sid;
		const char *t;
		size_t len;
		struct aq_time tm;

		t = aq_value_string(aq_value_path(rec, "datetime.utc"), &len);
		if (aq_value_int64(aq_value_get(rec, "sensorsId"), &sid) == AQ_OK && t != NULL &&
		    aq_time_parse(t, len, &tm) == AQ_OK) {
			int isnew;
			int64_t *last = map_get(&r->seen, sid, &isnew);
			struct timespec now;

			/* the next poll asks from the newest reading on; one
			 * dated in the future (a sensor's bad clock) must not
			 * move that past readings still to come */
			clock_gettime(CLOCK_REALTIME, &now);
			if ((!r->has_newest || tm.usec > r->newest) &&
			    tm.usec <= ((int64_t)now.tv_sec + 3600) * 1000000) {
				r->newest = tm.usec;
				r->has_newest = 1;
			}

			if (!isnew && tm.usec <= *last) {
				r->skipped++;
				return 0;
			}
			*last = tm.usec;
		}
	}
	if (cx == NULL || cx->key == NULL || aq_value_type(rec) != AQ_OBJECT ||
	    aq_value_get(rec, cx->key) != NULL) {
		if (aq_writer_value(r->w, rec) != AQ_OK)
			goto fail;
	} else {
		if (aq_writer_begin_object(r->w) != AQ_OK)
			goto fail;
		for (m = aq_value_first(rec); m != NULL; m = aq_value_next(m))
			if (aq_writer_key(r->w, aq_value_key(m, NULL)) != AQ_OK ||
			    aq_writer_value(r->w, m) != AQ_OK)
				goto fail;
		if (aq_writer_key(r->w, cx->key) != AQ_OK || aq_writer_int64(r->w, cx->id) != AQ_OK ||
		    aq_writer_end_object(r->w) != AQ_OK)
			goto fail;
	}
	if (aq_writer_end_line(r->w) != AQ_OK) {
		cli_progress_done();
		exit(cli_stdout_failed());	/* quietly if the reader has gone */
	}
	r->written++;
	if (!r->quiet)
		cli_progress("%lu records", r->written);
	return 0;
fail:
	cli_errx(EX_SOFTWARE, "cannot write a record");
}

static void
on_log(void *arg, const char *line)
{
	struct run *r = arg;

	if (r->verbose)
		cli_warnx("%s", line);
}

static int
cancelled(void *arg)
{
	(void)arg;
	return cli_signalled != 0;
}

/* ---- option values ---- */

/* "1,2,3": positive ids; exits 64 naming opt otherwise. */
static size_t
parse_ids(const char *opt, const char *s, int64_t **out)
{
	size_t n = 0, cap = 8;
	int64_t *v = cli_xmalloc(cap * sizeof *v);
	const char *p = s;

	for (;;) {
		char *end;
		long long x;

		errno = 0;
		x = strtoll(p, &end, 10);
		if (end == p || errno != 0 || x < 1 || x > 2147483647 || (*end != ',' && *end != '\0'))
			cli_usage_error("%s: '%s' is not a list of ids (1 to 2147483647)", opt, s);
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		if (v == NULL)
			cli_errx(EX_OSERR, "out of memory");
		v[n++] = x;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*out = v;
	return n;
}

static int64_t
parse_time(const char *opt, const char *s)
{
	struct aq_time t;

	if (aq_time_parse(s, strlen(s), &t) != AQ_OK)
		cli_usage_error("%s: '%s' is not a date or time (2025-01-31, 2025-01-31T12:00:00Z)",
		    opt, s);
	/* a time without a zone is UTC here (the API would read it as local) */
	return t.usec;
}

/* The key stays in memory for the whole run: no core file is to hold it. */
static void
no_core_dumps(void)
{
	struct rlimit rl = {0, 0};

	(void)setrlimit(RLIMIT_CORE, &rl);
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_DUMPABLE)
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

/* Read the key: the first line of path, trailing white space removed;
 * warn if others may read or write the file. */
static char *
read_key_file(const char *path)
{
	char buf[1024], *k;
	size_t n;
	struct stat st;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		cli_err(EX_NOINPUT, "%s", path);
	/* as ssh does for its keys: others should not read or change it */
	if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 077) != 0)
		cli_warnx("warning: %s is %s by others: chmod 600 %s", path,
		    st.st_mode & 044 ? "readable" : "writable", path);
	if (fgets(buf, sizeof buf, fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (n == 0)
		cli_errx(EX_CONFIG, "%s: no API key in the file", path);
	k = cli_xstrdup(buf);
	memset(buf, 0, sizeof buf);
	return k;
}

/* The host is 127.0.0.0/8 written as four decimal octets, n bytes. */
static int
loopback_v4(const char *h, size_t n)
{
	size_t i = 0;
	int part, digits, value;

	for (part = 0; part < 4; part++) {
		if (part > 0 && (i == n || h[i++] != '.'))
			return 0;
		for (digits = value = 0; i < n && h[i] >= '0' && h[i] <= '9' && digits < 3; i++) {
			value = value * 10 + (h[i] - '0');
			digits++;
		}
		if (digits == 0 || value > 255 || (part == 0 && value != 127))
			return 0;
	}
	return i == n;
}

/*
 * Whether a URL's host is loopback: localhost, 127.0.0.0/8 or [::1],
 * exactly, with any port and path (http://localhost.example.com and
 * http://localhost@example.com are not).
 */
static int
loopback(const char *url)
{
	const char *h = strstr(url, "://"), *end, *at, *p;
	size_t n;

	if (h == NULL)
		return 0;
	h += 3;
	end = h + strcspn(h, "/?#");
	for (at = NULL, p = h; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL)
		h = at + 1;
	if (*h == '[')
		n = (p = memchr(h, ']', (size_t)(end - h))) != NULL ? (size_t)(p - h) + 1 : 0;
	else
		n = (p = memchr(h, ':', (size_t)(end - h))) != NULL ? (size_t)(p - h) :
		    (size_t)(end - h);
	if (n == 0)
		return 0;
	/* what follows the host: nothing, or a port */
	for (p = h + n; p < end; p++)
		if (!(p == h + n ? *p == ':' : *p >= '0' && *p <= '9'))
			return 0;
	return (n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
	    (n == 5 && memcmp(h, "[::1]", 5) == 0) || loopback_v4(h, n);
}

/* ---- time windows ---- */

#define DAY_US INT64_C(86400000000)

/* The start of the month after the one holding us. */
static int64_t
next_month(int64_t us)
{
	int y, m;

	aq_time_to_civil(us, &y, &m, NULL);
	return aq_time_from_civil(y, m + 1, 1);
}

/* ---- main ---- */

enum {
	O_BASE = 256, O_KEYFILE, O_APIKEY, O_ISO, O_COUNTRIES, O_PARAMETERS, O_PARAMETER,
	O_LOCATION, O_SENSOR, O_SENSORS_FROM, O_FROM, O_TO, O_LIMIT, O_RATE_MIN, O_RATE_HOUR,
	O_FOLLOW, O_INTERVAL, O_INSECURE, O_RETRIES, O_TIMEOUT, O_DTMIN, O_LOCATIONS_FROM,
	O_MANIFEST, O_SHARD, O_ARCHIVE_URL, O_LOOKBACK, O_OVERLAP
};

struct opts {
	const char *base, *keyfile, *iso, *countries, *parameters, *parameter, *location;
	const char *sensor, *sensors_from, *dtmin;
	const char *locations_from, *manifest, *archive_url, *from_s, *to_s;
	int64_t from, to, dtmin_us;
	unsigned long shard_k, shard_n;
	int has_from, has_to, follow, insecure, verbose, quiet, jobs_set;
	unsigned long limit, rate_min, rate_hour, jobs, retries;
	double interval, timeout;
	double lookback, overlap;	/* seconds */
	int lookback_set, overlap_set;
};

static const char *const list_kinds[] = {"countries", "parameters", "locations", "providers",
	"owners", "instruments", "manufacturers", "licenses", NULL};
static const char *const series_kinds[] = {"measurements", "hours", "days", "years", NULL};

static int
in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* Which of the filters --iso, --countries, --parameters a list kind takes. */
static void
check_filters(const char *kind, const struct opts *o)
{
	int iso = 0, countries = 0, parameters = 0;

	if (strcmp(kind, "locations") == 0 || strcmp(kind, "providers") == 0)
		iso = countries = parameters = 1;
	else if (strcmp(kind, "parameters") == 0)
		iso = countries = 1;
	else if (strcmp(kind, "countries") == 0)
		parameters = 1;
	if (o->iso && !iso)
		cli_usage_error("%s takes no --iso", kind);
	if (o->countries && !countries)
		cli_usage_error("%s takes no --countries", kind);
	if (o->parameters && !parameters)
		cli_usage_error("%s takes no --parameters", kind);
	if (o->iso && o->countries)
		cli_usage_error("--iso and --countries cannot go together (the API refuses both)");
}

/* A "name=value" string that lives until exit. */
static const char *
nv(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char *s = cli_xmalloc(n);

	snprintf(s, n, "%s=%s", name, value);
	return s;
}

static void
add(struct aq_client *c, const char *path, const char *const *params, struct ctx *cx,
    const char *errbuf)
{
	if (aq_client_add(c, path, params, cx) != AQ_OK)
		cli_usage_error("%s", errbuf);
}

/* Queue the latest walks; a plain latest first lists the parameters. */
static int
queue_latest(struct aq_client *c, struct run *r, const struct opts *o, const char *dtmin,
    const char *errbuf, struct ctx **ctxs, size_t *nctx)
{
	const char *params[2] = {NULL, NULL};
	char path[64];
	int64_t *ids = NULL;
	size_t n = 0, i;

	if (dtmin != NULL)
		params[0] = nv("datetime_min", dtmin);
	if (o->location != NULL) {
		snprintf(path, sizeof path, "/locations/%s/latest", o->location);
		add(c, path, params, NULL, errbuf);
		free((char *)params[0]);
		return AQ_OK;
	}
	if (o->parameter != NULL)
		n = parse_ids("--parameter", o->parameter, &ids);
	else {
		struct map m = {0};
		int rc;

		/* every parameter: one walk per parameter, the fewest requests */
		r->collect = &m;
		add(c, "/parameters", NULL, NULL, errbuf);
		rc = aq_client_run(c, on_record, r);
		r->collect = NULL;
		if (rc != AQ_OK) {
			map_free(&m);
			free((char *)params[0]);
			return rc;
		}
		ids = cli_xmalloc((m.ids.n + 1) * sizeof *ids);
		for (i = 0; i < m.ids.n; i++)
			ids[n++] = m.keys[i];
		map_free(&m);
		/* in id order, so that runs compare */
		for (i = 1; i < n; i++) {
			int64_t x = ids[i];
			size_t j = i;

			for (; j > 0 && ids[j - 1] > x; j--)
				ids[j] = ids[j - 1];
			ids[j] = x;
		}
	}
	free(*ctxs);
	*ctxs = cli_xmalloc((n + 1) * sizeof **ctxs);
	*nctx = n;
	for (i = 0; i < n; i++) {
		(*ctxs)[i].key = "parametersId";
		(*ctxs)[i].id = ids[i];
		snprintf(path, sizeof path, "/parameters/%lld/latest", (long long)ids[i]);
		add(c, path, params, &(*ctxs)[i], errbuf);
	}
	free(ids);
	free((char *)params[0]);
	return AQ_OK;
}

static void CLI_DEAD
fail(int rc, const char *errbuf)
{
	cli_progress_done();
	if (rc == AQ_ECANCELED && cli_signalled)
		cli_errx(EX_TEMPFAIL, "interrupted");
	cli_errx(cli_status(rc), "%s", errbuf);
}

static void
sleep_for(double seconds)
{
	double end = cli_now() + seconds;

	while (!cli_signalled && cli_now() < end) {
		struct timespec ts;
		double left = end - cli_now();

		if (left > 0.2)
			left = 0.2;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}

static int
follow(struct aq_client *c, struct run *r, const struct opts *o, char *errbuf)
{
	struct ctx *ctxs = NULL;
	size_t nctx = 0;
	unsigned failures = 0;
	double wait;
	int rc = AQ_OK;
	char dt[AQ_TIME_BUFSZ];
	const char *dtmin = o->dtmin;
	int64_t from = 0;
	int has_from = 0;

	r->follow = 1;
	while (!cli_signalled) {
		/* after the first snapshot, only what changed: the sensors
		 * whose latest reading is at most --overlap older than the
		 * newest one of the last complete poll */
		r->has_newest = 0;
		rc = queue_latest(c, r, o, dtmin, errbuf, &ctxs, &nctx);
		if (rc == AQ_OK)
			rc = aq_client_run(c, on_record, r);
		if (rc == AQ_OK && r->has_newest) {
			int64_t t = r->newest - (int64_t)(o->overlap * 1e6);

			if (!has_from || t > from) {
				from = t;
				has_from = 1;
			}
			if (o->dtmin == NULL || from > o->dtmin_us) {
				aq_time_format(from, dt, sizeof dt);
				dtmin = dt;
			}
		}
		if (cli_stdout_flush() != 0) {
			cli_progress_done();
			exit(EX_IOERR);	/* the reader has gone: nobody to poll for */
		}
		if (cli_signalled)
			break;
		if (rc == AQ_EAUTH || rc == AQ_ENOTFOUND || rc == AQ_EHTTP || rc == AQ_ESTATE ||
		    rc == AQ_EINVAL || rc == AQ_ENOMEM)
			break;	/* not transient: waiting will not help */
		if (rc != AQ_OK) {
			failures++;
			wait = o->interval;
			if (failures < 10 && (double)(5u << failures) < wait)
				wait = (double)(5u << failures);
			cli_progress_done();
			cli_warnx("%s; trying again in %.0f s", errbuf, wait);
		} else {
			failures = 0;
			wait = o->interval;
			if (r->verbose)
				cli_warnx("%lu new readings so far (%lu unchanged); next poll in %.0f s, "
				    "from %s", r->written, r->skipped, wait, dtmin ? dtmin : "the start");
		}
		sleep_for(wait);
	}
	free(ctxs);
	if (cli_signalled) {
		cli_progress_done();
		return EX_OK;
	}
	fail(rc, errbuf);
}

/* One option; shared by the options before and after the kind. */
static void
option(int ch, struct opts *o)
{
	switch (ch) {
	case 'h':
		usage(0);
	case 'V':
		cli_version();
		exit(0);
	case 'v':
		o->verbose = 1;
		break;
	case 'q':
		o->quiet = 1;
		break;
	case 'j':
		o->jobs = cli_uint("-j", optarg, 1, 64);
		o->jobs_set = 1;
		break;
	case O_BASE:
		o->base = optarg;
		break;
	case O_KEYFILE:
		o->keyfile = optarg;
		break;
	case O_APIKEY:
		cli_usage_error("a key is never taken on the command line, where other users "
				"can see it: set OPENAQ_API_KEY or use --api-key-file");
	case O_ISO:
		if (strlen(optarg) != 2 || !((optarg[0] | 32) >= 'a' && (optarg[0] | 32) <= 'z' &&
		    (optarg[1] | 32) >= 'a' && (optarg[1] | 32) <= 'z'))
			cli_usage_error("--iso: '%s' is not a two-letter country code", optarg);
		o->iso = optarg;
		break;
	case O_COUNTRIES:
		o->countries = optarg;
		break;
	case O_PARAMETERS:
		o->parameters = optarg;
		break;
	case O_PARAMETER:
		o->parameter = optarg;
		break;
	case O_LOCATION:
		o->location = optarg;
		break;
	case O_SENSOR:
		o->sensor = optarg;
		break;
	case O_SENSORS_FROM:
		o->sensors_from = optarg;
		break;
	case O_FROM:
		o->from = parse_time("--from", optarg);
		o->from_s = optarg;
		o->has_from = 1;
		break;
	case O_TO:
		o->to = parse_time("--to", optarg);
		o->to_s = optarg;
		o->has_to = 1;
		break;
	case O_LOCATIONS_FROM:
		o->locations_from = optarg;
		break;
	case O_MANIFEST:
		o->manifest = optarg;
		break;
	case O_ARCHIVE_URL:
		o->archive_url = optarg;
		break;
	case O_SHARD: {
		char *slash = strchr(optarg, '/');

		if (slash == NULL)
			cli_usage_error("--shard: '%s' is not K/N (0/4, 1/4, 2/4, 3/4)", optarg);
		*slash = '\0';
		o->shard_n = cli_uint("--shard", slash + 1, 1, 1000000);
		o->shard_k = cli_uint("--shard", optarg, 0, o->shard_n - 1);
		*slash = '/';
		break;
	}
	case O_DTMIN: {
		/* sent in UTC with Z: the API reads a bare time as station-local */
		static char t[AQ_TIME_BUFSZ];

		o->dtmin_us = parse_time("--datetime-min", optarg);
		aq_time_format(o->dtmin_us, t, sizeof t);
		o->dtmin = t;
		break;
	}
	case O_LIMIT:
		o->limit = cli_uint("--limit", optarg, 1, 1000);
		break;
	case O_RATE_MIN:
		o->rate_min = cli_uint("--rate-minute", optarg, 1, 1000000);
		break;
	case O_RATE_HOUR:
		o->rate_hour = cli_uint("--rate-hour", optarg, 1, 100000000);
		break;
	case O_FOLLOW:
		o->follow = 1;
		break;
	case O_INTERVAL:
		o->interval = cli_duration("--interval", optarg);
		if (o->interval < 1)
			cli_usage_error("--interval: at least 1 s");
		break;
	case O_LOOKBACK:
		o->lookback = cli_duration("--lookback", optarg);
		o->lookback_set = 1;
		break;
	case O_OVERLAP:
		o->overlap = cli_duration("--overlap", optarg);
		o->overlap_set = 1;
		break;
	case O_INSECURE:
		o->insecure = 1;
		break;
	case O_RETRIES:
		o->retries = cli_uint("--retries", optarg, 0, 100);
		break;
	case O_TIMEOUT:
		o->timeout = cli_duration("--timeout", optarg);
		if (o->timeout <= 0)
			cli_usage_error("--timeout: must be more than 0");
		break;
	default:
		usage(EX_USAGE);
	}
}

/* Check the request before the first one is sent: usage errors exit 64. */
static void
check_archive(struct opts *o)
{
	struct aq_time t;
	int n = (o->location != NULL) + (o->locations_from != NULL) + (o->iso != NULL);

	if (n != 1)
		cli_usage_error("archive needs one of --location ID,..., --locations-from FILE "
				"or --iso CC");
	if (o->countries || o->parameters || o->parameter || o->sensor || o->sensors_from ||
	    o->dtmin || o->follow)
		cli_usage_error("archive takes --location, --locations-from or --iso, "
				"--from and --to");
	if (!o->has_from)
		cli_usage_error("archive needs --from DATE (the first file day)");
	aq_time_parse(o->from_s, strlen(o->from_s), &t);
	if (t.has_time)
		cli_usage_error("--from: '%s' is not a day (archive files are days)", o->from_s);
	if (o->has_to) {
		aq_time_parse(o->to_s, strlen(o->to_s), &t);
		if (t.has_time)
			cli_usage_error("--to: '%s' is not a day (archive files are days)", o->to_s);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		o->to = (int64_t)ts.tv_sec * 1000000;
		o->to -= o->to % DAY_US;
	}
	if (o->to < o->from)
		cli_usage_error("--to must not be before --from");
	if (o->location) {
		int64_t *ids;

		free((parse_ids("--location", o->location, &ids), ids));
	}
}

static void
check_kind(const char *kind, struct opts *o, int argc, char **argv)
{
	if (!in(kind, list_kinds) && !in(kind, series_kinds) && strcmp(kind, "latest") != 0 &&
	    strcmp(kind, "sensors") != 0 && strcmp(kind, "get") != 0 &&
	    strcmp(kind, "archive") != 0)
		cli_usage_error("'%s': unknown kind of record", kind);
	if (strcmp(kind, "archive") != 0 && (o->locations_from || o->manifest ||
	    o->archive_url || o->shard_n))
		cli_usage_error("--locations-from, --manifest, --shard and --archive-url are "
				"for archive");
	if (strcmp(kind, "archive") == 0) {
		if (argc > 0)
			cli_usage_error("'%s': unexpected argument", argv[0]);
		check_archive(o);
		return;
	}
	if (strcmp(kind, "get") != 0 && argc > 0)
		cli_usage_error("'%s': unexpected argument", argv[0]);
	if (o->follow && strcmp(kind, "latest") != 0)
		cli_usage_error("--follow works with latest only");
	if (o->overlap_set && !o->follow)
		cli_usage_error("--overlap is for latest --follow");
	if (o->lookback_set && (!in(kind, series_kinds) || o->sensors_from == NULL))
		cli_usage_error("--lookback is for measurements, hours, days and years "
				"with --sensors-from");
	if (in(kind, list_kinds))
		check_filters(kind, o);
	else if (o->iso || o->countries || o->parameters)
		cli_usage_error("%s takes no --iso, --countries or --parameters", kind);
	if (strcmp(kind, "latest") == 0 && o->parameter && o->location)
		cli_usage_error("latest takes --parameter or --location, not both");
	if (o->parameter && strcmp(kind, "latest") != 0)
		cli_usage_error("--parameter is for latest; lists take --parameters");
	if (o->location && strcmp(kind, "latest") != 0 && strcmp(kind, "sensors") != 0)
		cli_usage_error("--location is for latest and sensors");
	if (strcmp(kind, "sensors") == 0 && o->location == NULL)
		cli_usage_error("sensors needs --location ID (the API has no list of all sensors)");
	if (o->location) {
		int64_t *ids;

		if (parse_ids("--location", o->location, &ids) != 1)
			cli_usage_error("--location takes one id");
		free(ids);
	}
	if (in(kind, series_kinds)) {
		if ((o->sensor == NULL) == (o->sensors_from == NULL))
			cli_usage_error("%s needs --sensor ID or --sensors-from FILE", kind);
		if (!o->has_from && o->sensors_from == NULL)
			cli_usage_error("%s needs --from TIME (the API starts at the oldest data "
					"otherwise)", kind);
		if (!o->has_to) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			o->to = (int64_t)ts.tv_sec * 1000000;
		}
		if (o->has_from && o->to <= o->from)
			cli_usage_error("--to must be after --from");
	} else if (o->sensor || o->sensors_from || o->has_from || o->has_to)
		cli_usage_error("--sensor, --sensors-from, --from and --to are for "
				"measurements, hours, days and years");
	if (o->dtmin && strcmp(kind, "latest") != 0)
		cli_usage_error("--datetime-min is for latest");
	if (strcmp(kind, "get") == 0 && argc < 1)
		cli_usage_error("get needs a path, e.g. get /v3/locations/2178");
}

/* The client, set up from the options; the key from the environment or
 * a file, never argv. */
static struct aq_client *
new_client(const struct opts *o, struct run *r, char *errbuf, size_t size)
{
	struct aq_client *c;
	const char *base = o->base, *env;
	char *key;

	if (o->keyfile != NULL)
		key = read_key_file(o->keyfile);
	else if ((env = getenv("OPENAQ_API_KEY")) != NULL && *env)
		key = cli_xstrdup(env);
	else
		cli_errx(EX_NOPERM, "no API key: set OPENAQ_API_KEY or use --api-key-file "
				    "(register at https://explore.openaq.org/register)");
	/* no child is to inherit it, and /proc/PID/environ is to show no key */
	if ((env = getenv("OPENAQ_API_KEY")) != NULL)
		memset((char *)env, 0, strlen(env));
	unsetenv("OPENAQ_API_KEY");
	if (base == NULL && (env = getenv("OPENAQ_BASE_URL")) != NULL && *env)
		base = env;

	if ((c = aq_client_new()) == NULL)
		cli_errx(EX_OSERR, "cannot start the HTTP client");
	aq_client_set_errbuf(c, errbuf, size);
	if (base != NULL && aq_client_set_base_url(c, base) != AQ_OK)
		cli_usage_error("--base-url: %s", errbuf);
	if (base != NULL && strncmp(base, "http://", 7) == 0 && !loopback(base))
		cli_warnx("warning: %s is plain http: the key and the data travel unencrypted", base);
	if (o->insecure)
		cli_warnx("warning: --insecure: TLS certificates are not verified (test servers only)");
	if (aq_client_set_key(c, key) != AQ_OK)
		cli_errx(EX_CONFIG, "%s", errbuf);
	memset(key, 0, strlen(key));
	free(key);
	if ((env = getenv("AQ_RATE_WINDOW")) != NULL && *env &&
	    aq_client_set_rate_window(c, cli_duration("AQ_RATE_WINDOW", env)) != AQ_OK)
		cli_usage_error("AQ_RATE_WINDOW: %s", errbuf);
	if ((env = getenv("AQ_BACKOFF")) != NULL && *env) {
		double b = cli_duration("AQ_BACKOFF", env);

		(void)aq_client_set_backoff(c, b, b * 8 > 30 ? b * 8 : 30);
	}
	aq_client_set_user_agent(c, "aq-fetch/" PACKAGE_VERSION " (libopenaq)");
	if (aq_client_set_rate(c, (unsigned)o->rate_min, (unsigned)o->rate_hour) != AQ_OK ||
	    aq_client_set_jobs(c, (unsigned)o->jobs) != AQ_OK ||
	    aq_client_set_page_size(c, (unsigned)o->limit) != AQ_OK ||
	    aq_client_set_retries(c, (unsigned)o->retries) != AQ_OK ||
	    aq_client_set_timeout(c, o->timeout < 10 ? o->timeout : 10, o->timeout) != AQ_OK)
		cli_usage_error("%s", errbuf);
	aq_client_set_insecure(c, o->insecure);
	aq_client_set_log(c, on_log, r);
	return c;
}

/* A list kind, with the filters it takes. */
static void
plan_list(struct aq_client *c, const char *kind, const struct opts *o, const char *errbuf)
{
	const char *params[4] = {NULL};
	int np = 0;
	char path[32];

	if (o->iso)
		params[np++] = nv("iso", o->iso);
	if (o->countries) {
		int64_t *ids;

		free((parse_ids("--countries", o->countries, &ids), ids));
		params[np++] = nv("countries_id", o->countries);
	}
	if (o->parameters) {
		int64_t *ids;

		free((parse_ids("--parameters", o->parameters, &ids), ids));
		params[np++] = nv("parameters_id", o->parameters);
	}
	snprintf(path, sizeof path, "/%s", kind);
	add(c, path, params, NULL, errbuf);
	while (np > 0)
		free((char *)params[--np]);	/* the client keeps its own copy */
}

/* The sensors of one location, each record given its locationsId. */
static struct ctx *
plan_sensors(struct aq_client *c, const struct opts *o, const char *errbuf)
{
	struct ctx *cx = cli_xmalloc(sizeof *cx);
	char path[64];

	cx->key = "locationsId";
	cx->id = strtoll(o->location, NULL, 10);
	snprintf(path, sizeof path, "/locations/%s/sensors", o->location);
	add(c, path, NULL, cx, errbuf);
	return cx;
}

/* Any path with its NAME=VALUE parameters (argv is NULL-terminated). */
static void
plan_get(struct aq_client *c, char **argv, const char *errbuf)
{
	add(c, argv[0], (const char *const *)argv + 1, NULL, errbuf);
}

/* A sensor series: each sensor's window, a month a request (the API times
 * out, 408, on wide windows), each record given its sensorsId. */
static struct ctx *
plan_series(struct aq_client *c, const char *kind, const struct opts *o, const char *errbuf)
{
	struct ctx *ctxs;
	struct sensors *sf = NULL;
	int64_t *ids, *from, t, end, last, lookback = (int64_t)(o->lookback * 1e6);
	unsigned char *tail;
	size_t n, i, tails = 0;
	int family = strcmp(kind, "days") == 0 || strcmp(kind, "years") == 0 ?
	    AQ_WINDOW_DATE : AQ_WINDOW_DATETIME;

	if (o->sensor)
		n = parse_ids("--sensor", o->sensor, &ids);
	else {
		const int64_t *v;

		sf = sensors_new();
		sensors_load(sf, o->sensors_from, "--sensors-from", SENSORS_ONLY);
		v = sensors_ids(sf, &n);
		ids = cli_xmalloc((n + 1) * sizeof *ids);
		if (n > 0)
			memcpy(ids, v, n * sizeof *ids);
	}
	/* each sensor's start: its since less the lookback (never before
	 * --from), else --from */
	from = cli_xmalloc((n + 1) * sizeof *from);
	tail = cli_xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		const struct sensor_info *e = sf ? sensors_find(sf, ids[i]) : NULL;

		if (e != NULL && e->has_since) {
			from[i] = e->since - lookback;
			if (o->has_from && from[i] < o->from)
				from[i] = o->from;
			tail[i] = 1;
			tails++;
		} else if (o->has_from) {
			from[i] = o->from;
			tail[i] = 0;
		} else {
			long long id = (long long)ids[i];

			sensors_free(sf);
			free(ids);
			free(from);
			free(tail);
			cli_usage_error("--sensors-from %s: sensor %lld has no \"since\"; give "
					"--from TIME for such sensors", o->sensors_from, id);
		}
	}
	sensors_free(sf);
	if (o->verbose && tails > 0)
		cli_warnx("%zu of %zu sensors start at their since less %.0f s", tails, n,
		    o->lookback);
	ctxs = cli_xmalloc((n + 1) * sizeof *ctxs);
	for (i = 0; i < n; i++) {
		char path[64];

		ctxs[i].key = "sensorsId";
		ctxs[i].id = ids[i];
		snprintf(path, sizeof path, "/sensors/%lld/%s", (long long)ids[i], kind);
		for (t = from[i]; t < o->to; t = end) {
			end = next_month(t);
			/* a tail shorter than a month: one request, even across
			 * a month's end (the API's timeouts come with wide ones) */
			if (tail[i] && o->to - from[i] <= 31 * DAY_US)
				end = family == AQ_WINDOW_DATE ? o->to + DAY_US : o->to;
			if (family == AQ_WINDOW_DATE) {
				/* inclusive dates: up to the month's last day */
				if (end - DAY_US >= o->to)
					end = o->to + DAY_US;
				last = end - DAY_US;
			} else
				last = end = end > o->to ? o->to : end;
			if (aq_client_add_window(c, path, NULL, family, t, last, &ctxs[i]) != AQ_OK)
				cli_usage_error("%s", errbuf);
		}
	}
	free(ids);
	free(from);
	free(tail);
	return ctxs;
}

/* ---- archive ---- */

struct ids {
	int64_t *v;
	size_t n, cap;
};

static void
on_location_record(void *arg, struct aq_reader *r, const struct aq_value *rec)
{
	struct ids *ids = arg;
	int64_t id;

	if (aq_value_int64(aq_value_get(rec, "id"), &id) != AQ_OK || id < 1)
		cli_errx(EX_DATAERR, "--locations-from %s:%ld: no location id", aq_reader_name(r),
		    aq_reader_line(r));
	if (ids->n == ids->cap &&
	    (ids->v = realloc(ids->v, (ids->cap = ids->cap ? ids->cap * 2 : 64) * sizeof *ids->v)) ==
	    NULL)
		cli_errx(EX_OSERR, "out of memory");
	ids->v[ids->n++] = id;
}

/* Location ids from aq-fetch locations output or aq-dims location rows. */
static size_t
read_locations(const char *path, int64_t **out)
{
	struct ids ids = {NULL, 0, 0};

	cli_read_file(path, "--locations-from", CLI_FILE_STDIN, on_location_record, &ids);
	*out = ids.v != NULL ? ids.v : cli_xmalloc(sizeof **out);
	return ids.n;
}

static int
archive(struct opts *o, struct run *r)
{
	struct archive_job job;
	struct aq_archive *a;
	char errbuf[1024];
	const char *url = o->archive_url, *env;
	int64_t *ids = NULL;
	size_t n;
	int status;

	if (o->location)
		n = parse_ids("--location", o->location, &ids);
	else if (o->locations_from)
		n = read_locations(o->locations_from, &ids);
	else {
		/* the country's locations: the only use of the API here */
		struct aq_client *c = new_client(o, r, errbuf, sizeof errbuf);
		struct map m = {0};
		const char *params[2] = {nv("iso", o->iso), NULL};
		size_t i;
		int rc;

		aq_client_set_cancel(c, cancelled, NULL);
		r->collect = &m;
		add(c, "/locations", params, NULL, errbuf);
		free((char *)params[0]);
		if ((rc = aq_client_run(c, on_record, r)) != AQ_OK)
			fail(rc, errbuf);
		r->collect = NULL;
		ids = cli_xmalloc((m.ids.n + 1) * sizeof *ids);
		for (i = 0, n = 0; i < m.ids.n; i++)
			ids[n++] = m.keys[i];
		map_free(&m);
		aq_client_free(c);
	}
	if (url == NULL && (env = getenv("OPENAQ_ARCHIVE_URL")) != NULL && *env)
		url = env;
	if ((a = aq_archive_new()) == NULL)
		cli_errx(EX_OSERR, "cannot start the HTTP client");
	aq_archive_set_errbuf(a, errbuf, sizeof errbuf);
	if (url != NULL && aq_archive_set_url(a, url) != AQ_OK)
		cli_usage_error("--archive-url: %s", errbuf);
	if (aq_archive_set_jobs(a, o->jobs_set ? (unsigned)o->jobs : 16) != AQ_OK ||
	    aq_archive_set_retries(a, (unsigned)o->retries) != AQ_OK ||
	    aq_archive_set_timeout(a, o->timeout < 10 ? o->timeout : 10, o->timeout * 2,
	    o->timeout < 30 ? o->timeout : 30) != AQ_OK)
		cli_usage_error("%s", errbuf);
	if ((env = getenv("AQ_BACKOFF")) != NULL && *env) {
		double b = cli_duration("AQ_BACKOFF", env);

		(void)aq_archive_set_backoff(a, b, b * 8 > 30 ? b * 8 : 30);
	}
	if ((env = getenv("AQ_ARCHIVE_MAX_KEYS")) != NULL && *env &&
	    aq_archive_set_max_keys(a, (unsigned)cli_uint("AQ_ARCHIVE_MAX_KEYS", env, 1, 1000)) !=
	    AQ_OK)
		cli_usage_error("%s", errbuf);
	if (o->insecure)
		cli_warnx("warning: --insecure: TLS certificates are not verified (test servers only)");
	aq_archive_set_insecure(a, o->insecure);
	aq_archive_set_user_agent(a, "aq-fetch/" PACKAGE_VERSION " (libopenaq)");
	aq_archive_set_log(a, on_log, r);
	aq_archive_set_cancel(a, cancelled, NULL);
	memset(&job, 0, sizeof job);
	job.locations = ids;
	job.nlocations = n;
	job.from = o->from;
	job.to = o->to;
	job.manifest = o->manifest;
	job.shard_k = o->shard_k;
	job.shard_n = o->shard_n;
	job.quiet = o->quiet;
	job.verbose = o->verbose;
	status = archive_fetch(a, &job, stdout, errbuf);
	aq_archive_free(a);
	free(ids);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"jobs", required_argument, NULL, 'j'},
		{"base-url", required_argument, NULL, O_BASE},
		{"api-key-file", required_argument, NULL, O_KEYFILE},
		{"api-key", required_argument, NULL, O_APIKEY},
		{"key", required_argument, NULL, O_APIKEY},
		{"iso", required_argument, NULL, O_ISO},
		{"countries", required_argument, NULL, O_COUNTRIES},
		{"parameters", required_argument, NULL, O_PARAMETERS},
		{"parameter", required_argument, NULL, O_PARAMETER},
		{"location", required_argument, NULL, O_LOCATION},
		{"sensor", required_argument, NULL, O_SENSOR},
		{"sensors", required_argument, NULL, O_SENSOR},
		{"sensors-from", required_argument, NULL, O_SENSORS_FROM},
		{"from", required_argument, NULL, O_FROM},
		{"to", required_argument, NULL, O_TO},
		{"datetime-min", required_argument, NULL, O_DTMIN},
		{"limit", required_argument, NULL, O_LIMIT},
		{"rate-minute", required_argument, NULL, O_RATE_MIN},
		{"rate-hour", required_argument, NULL, O_RATE_HOUR},
		{"follow", no_argument, NULL, O_FOLLOW},
		{"lookback", required_argument, NULL, O_LOOKBACK},
		{"overlap", required_argument, NULL, O_OVERLAP},
		{"interval", required_argument, NULL, O_INTERVAL},
		{"insecure", no_argument, NULL, O_INSECURE},
		{"retries", required_argument, NULL, O_RETRIES},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"locations-from", required_argument, NULL, O_LOCATIONS_FROM},
		{"manifest", required_argument, NULL, O_MANIFEST},
		{"shard", required_argument, NULL, O_SHARD},
		{"archive-url", required_argument, NULL, O_ARCHIVE_URL},
		{NULL, 0, NULL, 0},
	};
	struct opts o;
	struct run r;
	struct aq_client *c;
	struct ctx *ctxs = NULL;
	char errbuf[1024];
	const char *kind;
	size_t nctx = 0;
	int ch, rc;

	cli_init("aq-fetch");
	no_core_dumps();
	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	o.limit = 1000;
	o.rate_min = 60;
	o.rate_hour = 2000;
	o.jobs = 1;
	o.retries = 6;
	o.interval = 900;
	o.lookback = 86400;
	o.overlap = 600;
	o.timeout = 60;
	while ((ch = getopt_long(argc, argv, "+hVvqj:", longopts, NULL)) != -1)
		option(ch, &o);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(EX_USAGE);
	kind = argv[0];
	/* options may also follow the kind: aq-fetch latest --parameter 2 */
	if (argc > 1 && argv[1][0] == '-' && strcmp(kind, "get") != 0) {
		optind = 1;
		while ((ch = getopt_long(argc, argv, "+hVvqj:", longopts, NULL)) != -1)
			option(ch, &o);
		argv += optind;
		argc -= optind;
		if (argc > 0)
			cli_usage_error("'%s': unexpected argument", argv[0]);
	} else {
		argv++;
		argc--;
	}
	check_kind(kind, &o, argc, argv);

	r.verbose = o.verbose;
	r.quiet = o.quiet;
	if (strcmp(kind, "archive") == 0) {
		cli_catch_signals();
		return archive(&o, &r);
	}
	c = new_client(&o, &r, errbuf, sizeof errbuf);
	cli_catch_signals();
	aq_client_set_cancel(c, cancelled, NULL);
	if ((r.w = aq_writer_new(stdout)) == NULL)
		cli_errx(EX_OSERR, "out of memory");

	if (in(kind, list_kinds))
		plan_list(c, kind, &o, errbuf);
	else if (strcmp(kind, "sensors") == 0)
		ctxs = plan_sensors(c, &o, errbuf);
	else if (strcmp(kind, "get") == 0) {
		argv[argc] = NULL;
		plan_get(c, argv, errbuf);
	} else if (strcmp(kind, "latest") == 0) {
		if (o.follow) {
			rc = follow(c, &r, &o, errbuf);
			goto done;
		}
		if ((rc = queue_latest(c, &r, &o, o.dtmin, errbuf, &ctxs, &nctx)) != AQ_OK)
			fail(rc, errbuf);
	} else
		ctxs = plan_series(c, kind, &o, errbuf);
	rc = aq_client_run(c, on_record, &r);
	if (rc != AQ_OK) {
		fflush(stdout);
		fail(rc, errbuf);
	}
	rc = EX_OK;
done:
	cli_progress_done();
	if (o.verbose)
		cli_warnx("%lu records, %llu requests (%llu retries, %llu rate limited)", r.written,
		    (unsigned long long)aq_client_count(c, AQ_CLIENT_REQUESTS),
		    (unsigned long long)aq_client_count(c, AQ_CLIENT_RETRIES),
		    (unsigned long long)aq_client_count(c, AQ_CLIENT_RATELIMITED));
	if (aq_writer_flush(r.w) != AQ_OK || fflush(stdout) != 0)
		rc = cli_stdout_failed();
	aq_writer_free(r.w);
	aq_client_free(c);
	free(ctxs);
	map_free(&r.seen);
	return rc;
}
