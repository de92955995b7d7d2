/*
 * limiter.c: the request budget shared by every process of one API key.
 *
 * The state is a small file mapped into memory (MAP_SHARED) and locked with
 * fcntl for each decision.  It counts requests in buckets of 1/60 of the
 * "minute" (one second at the real scale), 3601 + 1 of them, so that both
 * the minute and the hour are sliding windows: no 60 s span ever holds more
 * than per_minute requests, whatever the alignment of the server's own
 * fixed minutes.  The minute is counted over 61 buckets, one more than it
 * holds, as a margin for the time a request takes to reach the server.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aq-int.h"

#define NB 3602			/* buckets: an hour, the margin, the current one */
#define MINUTE_B 61		/* buckets counted for the minute */
#define HOUR_B 3601		/* and for the hour */
#define MAGIC "AQRLIM01"

struct state {
	char magic[8];
	double width;		/* bucket width the file was made with */
	double blocked_until;	/* a 429: nobody sends before this */
	double srv_until;	/* the server's current window ends */
	int64_t srv_remaining;	/* what the server still allows before srv_until */
	int64_t slot[NB];	/* absolute bucket number held by each bucket */
	uint32_t count[NB];
};

struct aq_limiter {
	struct aqi_errbuf err;
	struct state *st;	/* mapped file, or private memory */
	int fd;			/* -1: private */
	double window;		/* seconds in a "minute" */
	unsigned per_minute, per_hour;
	char path[4096];
};

struct aq_limiter *
aq_limiter_new(void)
{
	struct aq_limiter *l = calloc(1, sizeof *l);

	if (l != NULL) {
		l->fd = -1;
		l->window = 60;
	}
	return l;
}

static void
unmap(struct aq_limiter *l)
{
	if (l->st != NULL) {
		if (l->fd >= 0)
			munmap(l->st, sizeof *l->st);
		else
			free(l->st);
	}
	if (l->fd >= 0)
		close(l->fd);
	l->st = NULL;
	l->fd = -1;
}

void
aq_limiter_free(struct aq_limiter *l)
{
	if (l == NULL)
		return;
	unmap(l);
	free(l);
}

void
aq_limiter_set_errbuf(struct aq_limiter *l, char *buf, size_t size)
{
	aqi_errbuf_set(&l->err, buf, size);
}

int
aqi_check_window(struct aqi_errbuf *e, double seconds)
{
	if (!(seconds >= 0.06 && seconds <= 3600))
		return aqi_fail(e, AQ_EINVAL, "rate window %g s is out of range", seconds);
	return AQ_OK;
}

int
aq_limiter_set_window(struct aq_limiter *l, double seconds)
{
	int rc;

	if ((rc = aqi_check_window(&l->err, seconds)) != AQ_OK)
		return rc;
	l->window = seconds;
	return AQ_OK;
}

const char *
aq_limiter_path(const struct aq_limiter *l)
{
	return l->path;
}

/* The directory for state files, made if missing; 0 or AQ_ESTATE. */
static int
state_dir(struct aq_limiter *l, const char *dir, char *out, size_t size)
{
	const char *env;
	struct stat sb;
	int strict = 0;

	if (dir != NULL)
		snprintf(out, size, "%s", dir);
	else if ((env = getenv("AQ_STATE_DIR")) != NULL && *env)
		snprintf(out, size, "%s", env);
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && *env)
		snprintf(out, size, "%s/openaq", env), strict = 1;
	else {
		env = getenv("TMPDIR");
		snprintf(out, size, "%s/openaq-%lu", env && *env ? env : "/tmp",
		    (unsigned long)getuid());
		strict = 1;
	}
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return aqi_fail(&l->err, AQ_ESTATE, "cannot make the rate-limit directory %s: %s",
		    out, strerror(errno));
	if (lstat(out, &sb) != 0)
		return aqi_fail(&l->err, AQ_ESTATE, "%s: %s", out, strerror(errno));
	if (!S_ISDIR(sb.st_mode) && !(S_ISLNK(sb.st_mode) && !strict && stat(out, &sb) == 0 &&
	    S_ISDIR(sb.st_mode)))
		return aqi_fail(&l->err, AQ_ESTATE, "%s: not a directory", out);
	/* a shared temp dir: only a private directory of our own will do */
	if (strict && (sb.st_uid != getuid() || (sb.st_mode & 077) != 0))
		return aqi_fail(&l->err, AQ_ESTATE,
		    "%s: not a private directory of this user; set AQ_STATE_DIR", out);
	return AQ_OK;
}

static int
lock(struct aq_limiter *l, int type)
{
	struct flock fl;

	if (l->fd < 0)
		return AQ_OK;
	memset(&fl, 0, sizeof fl);
	fl.l_type = (short)type;
	fl.l_whence = SEEK_SET;
	fl.l_len = 0;
	while (fcntl(l->fd, F_SETLKW, &fl) != 0) {
		if (errno != EINTR)
			return aqi_fail(&l->err, AQ_ESTATE, "cannot lock %s: %s", l->path,
			    strerror(errno));
	}
	return AQ_OK;
}

static void
unlock(struct aq_limiter *l)
{
	int e = errno;

	(void)lock(l, F_UNLCK);
	errno = e;
}

/* Under the lock: a new or foreign file starts empty. */
static void
check_state(struct aq_limiter *l)
{
	double width = l->window / 60;

	if (memcmp(l->st->magic, MAGIC, 8) != 0 || l->st->width != width) {
		memset(l->st, 0, sizeof *l->st);
		memcpy(l->st->magic, MAGIC, 8);
		l->st->width = width;
	}
}

int
aq_limiter_open(struct aq_limiter *l, const char *dir, const char *key, unsigned per_minute,
    unsigned per_hour)
{
	char d[3900], hex[33];
	unsigned char h[32];
	struct stat sb;
	int fd, rc, i;

	if (per_minute < 1 || per_hour < 1 || key == NULL)
		return aqi_fail(&l->err, AQ_EINVAL, "the rate budgets must be at least 1");
	unmap(l);
	l->per_minute = per_minute;
	l->per_hour = per_hour;
	l->path[0] = '\0';
	if (dir != NULL && *dir == '\0') {
		if ((l->st = calloc(1, sizeof *l->st)) == NULL)
			return aqi_fail(&l->err, AQ_ENOMEM, "out of memory");
		check_state(l);
		return AQ_OK;
	}
	if ((rc = state_dir(l, dir, d, sizeof d)) != AQ_OK)
		return rc;
	aqi_sha256(key, strlen(key), h);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(l->path, sizeof l->path, "%s/ratelimit-%s", d, hex);
	fd = open(l->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return aqi_fail(&l->err, AQ_ESTATE, "cannot open %s: %s", l->path, strerror(errno));
	l->fd = fd;
	if ((rc = lock(l, F_WRLCK)) != AQ_OK)
		goto fail;
	if (fstat(fd, &sb) != 0 || (sb.st_size != (off_t)sizeof *l->st &&
	    ftruncate(fd, (off_t)sizeof *l->st) != 0)) {
		rc = aqi_fail(&l->err, AQ_ESTATE, "cannot size %s: %s", l->path, strerror(errno));
		unlock(l);
		goto fail;
	}
	l->st = mmap(NULL, sizeof *l->st, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (l->st == MAP_FAILED) {
		l->st = NULL;
		rc = aqi_fail(&l->err, AQ_ESTATE, "cannot map %s: %s", l->path, strerror(errno));
		unlock(l);
		goto fail;
	}
	check_state(l);
	unlock(l);
	return AQ_OK;
fail:
	unmap(l);
	return rc;
}

/* Requests in the n buckets up to cur; *oldest gets the oldest busy one. */
static unsigned
sum(const struct state *st, int64_t cur, int n, int64_t *oldest)
{
	unsigned total = 0;
	int64_t s;

	*oldest = cur;
	for (s = cur - n + 1; s <= cur; s++) {
		int i = (int)(((s % NB) + NB) % NB);

		if (st->slot[i] == s && st->count[i] > 0) {
			if (total == 0)
				*oldest = s;
			total += st->count[i];
		}
	}
	return total;
}

int
aq_limiter_acquire(struct aq_limiter *l, double now, double *wait, const char **why)
{
	struct state *st;
	double width = l->window / 60;
	int64_t cur, old_m, old_h;
	unsigned m, h;
	int rc, i;

	*wait = 0;
	if (why != NULL)
		*why = NULL;
	if (l->st == NULL)
		return aqi_fail(&l->err, AQ_EINVAL, "the rate limiter is not open");
	if ((rc = lock(l, F_WRLCK)) != AQ_OK)
		return rc;
	check_state(l);
	st = l->st;
	cur = (int64_t)floor(now / width);
	m = sum(st, cur, MINUTE_B, &old_m);
	h = sum(st, cur, HOUR_B, &old_h);
	if (now < st->blocked_until) {
		*wait = st->blocked_until - now;
		if (why != NULL)
			*why = "server";
	} else if (now < st->srv_until && st->srv_remaining <= 0) {
		*wait = st->srv_until - now;
		if (why != NULL)
			*why = "server";
	} else if (m >= l->per_minute) {
		*wait = (double)(old_m + MINUTE_B) * width - now;
		if (why != NULL)
			*why = "minute";
	} else if (h >= l->per_hour) {
		*wait = (double)(old_h + HOUR_B) * width - now;
		if (why != NULL)
			*why = "hour";
	} else {
		i = (int)(((cur % NB) + NB) % NB);
		if (st->slot[i] != cur) {
			st->slot[i] = cur;
			st->count[i] = 0;
		}
		st->count[i]++;
		if (now < st->srv_until)
			st->srv_remaining--;
	}
	if (*wait < 0)
		*wait = 0;
	else if (*wait > 0 && *wait < 0.001)
		*wait = 0.001;
	unlock(l);
	return AQ_OK;
}

int
aq_limiter_update(struct aq_limiter *l, double now, long remaining, long reset)
{
	struct state *st;
	double until;
	int rc;

	/* Redis TTL specials (-1, -2), absent or absurd headers: no news */
	if (l->st == NULL || remaining < 0 || reset < 0 || reset > 3600)
		return AQ_OK;
	if ((rc = lock(l, F_WRLCK)) != AQ_OK)
		return rc;
	check_state(l);
	st = l->st;
	until = now + (double)(reset > 0 ? reset : 1);
	if (now < st->srv_until && fabs(until - st->srv_until) < 1.5) {
		/* the same server window: answers may come back out of order */
		if (remaining < st->srv_remaining)
			st->srv_remaining = remaining;
	} else if (until > st->srv_until || now >= st->srv_until) {
		st->srv_until = until;
		st->srv_remaining = remaining;
	}
	unlock(l);
	return AQ_OK;
}

int
aq_limiter_block(struct aq_limiter *l, double now, double seconds)
{
	int rc;

	if (l->st == NULL)
		return aqi_fail(&l->err, AQ_EINVAL, "the rate limiter is not open");
	if ((rc = lock(l, F_WRLCK)) != AQ_OK)
		return rc;
	check_state(l);
	if (now + seconds > l->st->blocked_until)
		l->st->blocked_until = now + seconds;
	unlock(l);
	return AQ_OK;
}

int
aq_limiter_usage(struct aq_limiter *l, double now, unsigned *minute, unsigned *hour)
{
	double width = l->window / 60;
	int64_t cur = (int64_t)floor(now / width), o;
	int rc;

	if (l->st == NULL)
		return aqi_fail(&l->err, AQ_EINVAL, "the rate limiter is not open");
	if ((rc = lock(l, F_RDLCK)) != AQ_OK)
		return rc;
	*minute = sum(l->st, cur, MINUTE_B, &o);
	*hour = sum(l->st, cur, HOUR_B, &o);
	unlock(l);
	return AQ_OK;
}
