#!/bin/sh
# 3500-sensor-files: one reader of sensor files.  Each shape that DESIGN
# allows (aq-fetch locations output, /locations/{id}/sensors and
# /sensors/{id} records, aq-dims sensor rows) is accepted by both
# aq-fetch --sensors-from and aq-norm --sensors, and gives both the same
# sensors.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
need aq-dims
plan 31

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

# incremental rows: {"id","since"}; a sensor starts at since less --lookback
s1=$(echo $(ids "$TMP/rows.ndjson") | cut -d' ' -f1)
s2=$(echo $(ids "$TMP/rows.ndjson") | cut -d' ' -f2)
printf '{"id":%s,"since":"2026-11-28T04:00:00Z"}\n{"id":%s,"since":null}\n' "$s1" "$s2" >"$TMP/since.ndjson"
froms() { api_admin requests | pyj '" ".join(r["path"].split("/")[3] + "@" + __import__("urllib.parse").parse.parse_qs(r["query"])["datetime_from"][0] for r in j)'; }
api_admin reset >/dev/null
check 'since rows: aq-fetch hours --sensors-from' \
	aq-fetch -q hours --sensors-from "$TMP/since.ndjson" --from 2026-11-27T00:00:00Z --to 2026-11-28T12:00:00Z
check_eq 'a sensor with since starts at since less 24h, one without at --from' "$(froms)" \
	"$s1@2026-11-27T04:00:00Z $s2@2026-11-27T00:00:00Z"
api_admin reset >/dev/null
cat "$TMP/rows.ndjson" "$TMP/since.ndjson" |
	aq-fetch -q hours --sensors-from - --lookback 2h --from 2026-11-28T03:00:00Z --to 2026-11-28T12:00:00Z >/dev/null
check_eq '--lookback 2h, never before --from; sensor rows and since rows mix' \
	"$(froms | tr ' ' '\n' | grep -e "^$s1@" -e "^$s2@" | tr '\n' ' ')" "$s1@2026-11-28T03:00:00Z $s2@2026-11-28T03:00:00Z "
api_admin reset >/dev/null
printf '{"id":%s,"since":"2026-10-30T04:00:00+01:00"}\n' "$s1" >"$TMP/since2.ndjson"
check 'since alone needs no --from' aq-fetch -q hours --sensors-from "$TMP/since2.ndjson" --to 2026-11-28T12:00:00Z
check_eq 'a tail under a month is one request, even across the month' "$(froms)" "$s1@2026-10-29T03:00:00Z"
check_status 'a sensor without since and no --from: exit 64' 64 \
	aq-fetch -q hours --sensors-from "$TMP/since.ndjson" --to 2026-11-28T12:00:00Z
check_grep 'naming the sensor' "sensor $s2 has no \"since\"" "$TMP/.err"
printf '{"id":%s,"since":"2026-11-28T04:00:00"}\n' "$s1" >"$TMP/badsince.ndjson"
check_status 'a since without its zone: exit 65' 65 \
	aq-fetch -q hours --sensors-from "$TMP/badsince.ndjson" --from 2026-11-28
check_grep 'naming file and line' "badsince.ndjson:1: \"since\" needs" "$TMP/.err"
check_status '--lookback without --sensors-from: exit 64' 64 \
	aq-fetch -q hours --sensor "$s1" --lookback 1h --from 2026-11-28

# a worldwide latest record names only parametersId and sensorsId: parameter
# rows fill parameter and units, for sensors no file knows
aq-fetch -q parameters | aq-dims -q parameters >"$TMP/param-rows.ndjson"
printf '{"datetime":{"utc":"2026-11-28T00:00:00Z","local":"2026-11-28T01:00:00+01:00"},"value":12.5,"coordinates":{"latitude":1,"longitude":2},"sensorsId":99999999,"locationsId":5,"parametersId":2}\n' >"$TMP/world.ndjson"
check 'aq-norm --sensors PARAMETER-ROWS on a worldwide latest record' \
	aq-norm -q --sensors "$TMP/param-rows.ndjson" "$TMP/world.ndjson"
check_eq 'parameter and units from the record'"'"'s own parametersId' \
	"$(pyj 'j["parameter"] + " " + j["units"] + " " + str(j["parameter_id"])' <"$TMP/.out")" "pm25 µg/m³ 2"
aq-fetch -q parameters >"$TMP/param-records.ndjson"
check 'aq-norm --sensors PARAMETERS-RECORDS (aq-fetch parameters output)' \
	aq-norm -q --sensors "$TMP/param-records.ndjson" "$TMP/world.ndjson"
check_eq 'gives the same' "$(pyj 'j["parameter"] + " " + j["units"]' <"$TMP/.out")" "pm25 µg/m³"
