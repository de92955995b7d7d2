#!/bin/sh
# 3500-sensor-files: one reader of sensor files.  Each shape that DESIGN
# allows (aq-fetch locations output, /locations/{id}/sensors and
# /sensors/{id} records, aq-dims sensor rows) is accepted by both
# aq-fetch --sensors-from and aq-norm --sensors, and gives both the same
# sensors.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
need aq-dims
plan 17

api_start --locations 6 --seed 5 --hours 48
export AQ_BACKOFF=0.05
aq-fetch -q locations >"$TMP/locations.ndjson"
loc=$(head -1 "$TMP/locations.ndjson" | pyj 'j["id"]')
sid=$(head -1 "$TMP/locations.ndjson" | pyj 'j["sensors"][-1]["id"]')
aq-fetch -q sensors --location "$loc" >"$TMP/loc-sensors.ndjson"
aq-fetch -q get "/v3/sensors/$sid" >"$TMP/sensor.ndjson"
aq-dims sensors <"$TMP/locations.ndjson" >"$TMP/rows.ndjson"

# the sensor ids of a file, in the order first seen, once each
ids() { python3 -c "
import json, sys
seen = []
for l in open(sys.argv[1]):
    r = json.loads(l)
    for s in r['sensors'] if 'sensors' in r else [r]:
        if s['id'] not in seen: seen.append(s['id'])
print(' '.join(map(str, seen)))" "$1"; }

for f in locations loc-sensors sensor rows; do
	sids=$(ids "$TMP/$f.ndjson")
	# aq-fetch: the sensors it asks for, in order
	api_admin reset >/dev/null
	check_status "$f: aq-fetch --sensors-from takes it" 0 \
		aq-fetch -q hours --sensors-from "$TMP/$f.ndjson" --from 2026-11-28T00:00:00Z \
		--to 2026-11-28T01:00:00Z
	got=$(api_admin requests | pyj '" ".join(r["path"].split("/")[3] for r in j)')
	check_eq "$f: aq-fetch asks for each sensor once, in file order" "$got" "$sids"
	# aq-norm: a reading of each sensor gets its parameter from the file
	for s in $sids; do
		printf '{"datetime":{"utc":"2026-11-28T00:00:00Z"},"value":1,"sensorsId":%s}\n' "$s"
	done >"$TMP/readings.ndjson"
	check_status "$f: aq-norm --sensors takes it" 0 \
		aq-norm -q --no-bounds --sensors "$TMP/$f.ndjson" "$TMP/readings.ndjson"
	n=$(python3 -c "
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['parameter'] is not None))" "$TMP/.out")
	check_eq "$f: and knows the parameter of every sensor" "$n" "$(echo $sids | wc -w)"
done

# a record that names no sensor is refused by aq-fetch, naming file and line
printf '{"id":1,"name":"pm25","units":"ug/m3"}\n' >"$TMP/param.ndjson"
check_status 'a parameter row is no sensor for aq-fetch: exit 65' 65 \
	aq-fetch -q hours --sensors-from "$TMP/param.ndjson" --from 2026-11-28
