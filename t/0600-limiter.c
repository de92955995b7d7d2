/*
 * 0600-limiter: the shared rate budget, on an injected clock.  Two
 * limiters on the same state file stand for two aq-fetch processes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openaq.h"
#include "tap.h"

/* Ask until refused at time now; the number granted. */
static unsigned
drain(struct aq_limiter *l, double now, double *wait, const char **why)
{
	unsigned n = 0;

	for (;;) {
		if (aq_limiter_acquire(l, now, wait, why) != AQ_OK || *wait > 0 || n > 100000)
			return n;
		n++;
	}
}

int
main(void)
{
	char dir[] = "/tmp/aqlimXXXXXX", err[512], path[600];
	struct aq_limiter *a, *b, *p;
	const char *why;
	double wait, t0 = 1700000000.0, t;
	unsigned n, m, h, total, worst, i;
	struct stat sb;

	if (mkdtemp(dir) == NULL)
		return 99;
	a = aq_limiter_new();
	b = aq_limiter_new();
	aq_limiter_set_errbuf(a, err, sizeof err);
	is_int(aq_limiter_open(a, dir, "secret-key-1", 60, 2000), AQ_OK, "open a state file");
	is_int(aq_limiter_open(b, dir, "secret-key-1", 60, 2000), AQ_OK, "a second user of the same key");
	ok(strcmp(aq_limiter_path(a), aq_limiter_path(b)) == 0, "both use one file");
	ok(strstr(aq_limiter_path(a), "secret-key-1") == NULL, "the file is not named by the key");
	ok(stat(aq_limiter_path(a), &sb) == 0 && (sb.st_mode & 077) == 0, "the file is private (0600)");

	/* the minute budget, shared */
	n = drain(a, t0, &wait, &why);
	is_int(n, 60, "60 requests in the first second");
	ok(wait > 59 && wait <= 61.01, "then a wait until the minute has passed (%.2f s)", wait);
	is_str(why, "minute", "the minute budget is named");
	is_int(drain(b, t0 + 1, &wait, &why), 0, "the other process gets nothing");
	is_int(drain(b, t0 + 59.5, &wait, &why), 0, "nor just before the minute ends");
	n = drain(b, t0 + 61.001, &wait, &why);
	is_int(n, 60, "after the wait, the budget is back");

	/* no 60 s span ever holds more than 60, however requests are spread */
	{
		struct aq_limiter *c = aq_limiter_new();
		static double at[20000];
		unsigned k = 0, j;

		aq_limiter_open(c, "", "k", 60, 100000);
		for (t = t0; t < t0 + 600; t += 0.37)
			if (aq_limiter_acquire(c, t, &wait, NULL) == AQ_OK && wait == 0 && k < 20000)
				at[k++] = t;
		worst = 0;
		for (i = 0; i < k; i++) {
			for (j = i; j < k && at[j] < at[i] + 60; j++)
				;
			if (j - i > worst)
				worst = j - i;
		}
		ok(worst <= 60, "at most 60 in any 60 s span (worst %u)", worst);
		ok(k >= 600 / 61.0 * 60 - 60, "and the budget is used: %u in 600 s", k);
		aq_limiter_free(c);
	}

	/* the hour budget */
	p = aq_limiter_new();
	is_int(aq_limiter_open(p, "", "k2", 100, 250), AQ_OK, "a private limiter");
	is_str(aq_limiter_path(p), "", "that has no file");
	total = 0;
	for (t = t0; t < t0 + 7200; t += 1) {
		total += drain(p, t, &wait, &why);
		if (t == t0 + 1800)
			is_int(total, 250, "250 in the first half hour, then no more");
	}
	aq_limiter_usage(p, t0 + 7199, &m, &h);
	ok(h <= 250, "never more than 250 in the last hour (%u)", h);
	is_int(total, 500, "500 over two hours");
	aq_limiter_free(p);

	/* the server's view */
	p = aq_limiter_new();
	aq_limiter_open(p, "", "k3", 60, 2000);
	is_int(aq_limiter_update(p, t0, 2, 30), AQ_OK, "x-ratelimit-remaining 2, reset 30");
	n = drain(p, t0, &wait, &why);
	is_int(n, 2, "then only 2 more");
	is_str(why, "server", "because the server said so");
	ok(wait > 29 && wait <= 30, "until its window ends (%.1f s)", wait);
	is_int(aq_limiter_update(p, t0, -1, -2), AQ_OK, "Redis TTL specials are no news");
	is_int(drain(p, t0 + 30.5, &wait, &why), 58, "next window: the rest of our own minute");
	aq_limiter_free(p);
	p = aq_limiter_new();
	aq_limiter_open(p, "", "k4", 60, 2000);
	aq_limiter_block(p, t0, 60);
	is_int(drain(p, t0 + 10, &wait, &why), 0, "a 429 stops everyone");
	ok(wait > 49.9 && wait < 50.1, "for the reset time (%.1f s left)", wait);
	is_int(drain(p, t0 + 60.01, &wait, &why), 60, "and then the budget is whole");
	aq_limiter_free(p);

	/* a scaled window, as the tests use against a fast fake */
	p = aq_limiter_new();
	is_int(aq_limiter_set_window(p, 2), AQ_OK, "a 2 s minute");
	aq_limiter_open(p, "", "k5", 10, 1000);
	is_int(drain(p, t0, &wait, &why), 10, "10 at once");
	ok(wait > 1.9 && wait < 2.1, "then wait one scaled minute (%.2f s)", wait);
	aq_limiter_free(p);

	/* refusals */
	p = aq_limiter_new();
	aq_limiter_set_errbuf(p, err, sizeof err);
	is_int(aq_limiter_open(p, "", "k", 0, 10), AQ_EINVAL, "a zero budget is refused");
	snprintf(path, sizeof path, "%s/file", dir);
	fclose(fopen(path, "w"));
	is_int(aq_limiter_open(p, path, "k", 60, 2000), AQ_ESTATE, "a state dir that is a file is refused");
	ok(strstr(err, "not a directory") != NULL, "saying why: %s", err);
	is_int(aq_limiter_acquire(p, t0, &wait, &why), AQ_EINVAL, "a limiter that is not open refuses");
	aq_limiter_free(p);
	unlink(path);

	aq_limiter_free(a);
	aq_limiter_free(b);
	{
		char cmd[700];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
