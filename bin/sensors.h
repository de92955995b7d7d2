/*
 * sensors.h: the files of sensors that aq-norm --sensors and aq-fetch
 * --sensors-from read, and the lookup table they make: sensor id to
 * location, parameter, units and the location's coordinates.
 */
#ifndef SENSORS_H
#define SENSORS_H

#include <stddef.h>
#include <stdint.h>

struct sensor_info {
	int64_t id;
	int64_t location_id;	/* 0: unknown */
	int64_t parameter_id;	/* 0: unknown */
	const char *parameter;	/* NULL: unknown; interned */
	const char *units;
	double latitude, longitude;
	int has_coords;
	int has_since;		/* a "since" row: fetch from since (usec) on */
	int64_t since;
};

struct sensors;

struct sensors *sensors_new(void);
void sensors_free(struct sensors *s);
/*
 * Read a file ("-": standard input) of aq-fetch locations records,
 * /locations/{id}/sensors or /sensors/{id} records, aq-dims sensor rows
 * (an id with a location_id or a parameter_id) or parameter rows (any
 * mix); the one reader of DESIGN's "locations output or aq-dims sensor
 * rows" for aq-norm --sensors and aq-fetch --sensors-from.  opt names the
 * option in messages.  With SENSORS_ONLY, a record that names no sensor
 * (a parameter row included) stops the run with exit 65; without it, such
 * records are counted in one warning.  Exits (65, 66, 74) with a message
 * when the file cannot be used.
 */
#define SENSORS_ONLY 1
void sensors_load(struct sensors *s, const char *path, const char *opt, int flags);
/* Fill parameter names and units from parameter rows; call after the
 * last sensors_load(). */
void sensors_done(struct sensors *s);
size_t sensors_count(const struct sensors *s);
/* The ids of every sensor read, in the order first seen, once each. */
const int64_t *sensors_ids(const struct sensors *s, size_t *n);
const struct sensor_info *sensors_find(const struct sensors *s, int64_t id);
/* A parameter row's name and units by parameter id (after sensors_done);
 * 0 when no row has that id. */
int sensors_parameter(const struct sensors *s, int64_t id, const char **name,
    const char **units);

#endif /* SENSORS_H */
