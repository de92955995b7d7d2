/*
 * sensors.h: the sensor lookup table behind aq-norm --sensors: sensor id
 * to location, parameter, units and the location's coordinates.
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
};

struct sensors;

struct sensors *sensors_new(void);
void sensors_free(struct sensors *s);
/*
 * Read a file of aq-fetch locations records, /locations/{id}/sensors or
 * /sensors/{id} records, aq-dims sensor rows or parameter rows (any mix).
 * Exits (65, 66) with a message when the file cannot be used.
 */
void sensors_load(struct sensors *s, const char *path);
/* Fill parameter names and units from parameter rows; call after the
 * last sensors_load(). */
void sensors_done(struct sensors *s);
size_t sensors_count(const struct sensors *s);
const struct sensor_info *sensors_find(const struct sensors *s, int64_t id);

#endif /* SENSORS_H */
