#!/bin/sh
# 3300-aq-fetch-series: sensor series over a window: the right parameter
# family, UTC with Z, a month a request, a 408 cuts the window, sensorsId
# added, sensor lists from files.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 16

api_start --locations 300 --seed 11 --hours 2400 --max-span 240
export AQ_BACKOFF=0.05
F=2026-09-15T00:00:00Z T=2026-11-10T00:00:00Z
# our lines without the sensorsId we add
strip() { python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l); r.pop("sensorsId")
    print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))'; }

# a sensor with data in the window
sid=
for s in $(api_admin 'sensors?parameter=2' | pyj '" ".join(str(x) for x in j[:20])'); do
	api_truth "/v3/sensors/$s/hours&datetime_from=$F&datetime_to=$T" >"$TMP/want"
	[ -s "$TMP/want" ] && { sid=$s; break; }
done
ok "a sensor with hourly data ($sid)" -n "$sid"

api_admin reset >/dev/null
check 'hours over two months' aq-fetch -q hours --sensor "$sid" --from "$F" --to "$T"
cp "$TMP/.out" "$TMP/hours"
strip <"$TMP/hours" >"$TMP/got"
check_same 'every hour of the window, once, as the server has it' "$TMP/got" "$TMP/want"
bad=$(python3 -c "
import json,sys
print(sum(1 for l in open('$TMP/hours') if json.loads(l).get('sensorsId') != $sid))")
check_eq 'every record carries sensorsId' "$bad" 0
api_admin requests | pyj '"\n".join(r["query"] + " " + str(r["status"]) for r in j)' >"$TMP/req"
check_grep 'datetime_from/datetime_to in UTC with Z' \
	"^datetime_from=2026-09-15T00:00:00Z&datetime_to=2026-10-01T00:00:00Z&limit=1000&page=1 " "$TMP/req"
check_grep 'a month a request' "^datetime_from=2026-11-01T00:00:00Z&datetime_to=2026-11-10T00:00:00Z&" "$TMP/req"
check_grep 'a month is too wide for this server: 408' ' 408$' "$TMP/req"
check_grep 'so the window is cut in two' "^datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-16T12:00:00Z&" "$TMP/req"

api_admin reset >/dev/null
check 'days over the same dates' aq-fetch -q days --sensor "$sid" --from 2026-09-15 --to 2026-11-10
api_admin requests | pyj '"\n".join(r["query"] for r in j)' >"$TMP/req"
check_grep 'days take date_from/date_to, inclusive, a month a request' \
	'^date_from=2026-10-01&date_to=2026-10-31&limit=1000&page=1$' "$TMP/req"
check_grep 'up to the last day asked' '^date_from=2026-11-01&date_to=2026-11-10&' "$TMP/req"

# sensor lists from aq-fetch locations output and from aq-dims sensor rows
aq-fetch -q locations --iso LU >"$TMP/lu.ndjson"
python3 -c "
import json
ids = sorted({s['id'] for l in open('$TMP/lu.ndjson') for s in json.loads(l)['sensors']})
print(' '.join(map(str, ids)))" >"$TMP/want.ids"
check 'hours --sensors-from a locations file' aq-fetch -q hours --sensors-from "$TMP/lu.ndjson" \
	--from 2026-11-27T00:00:00Z --to 2026-11-28T00:00:00Z
python3 -c "
import json
print(' '.join(map(str, sorted({json.loads(l)['sensorsId'] for l in open('$TMP/.out')}))))" >"$TMP/got.ids"
# sensors without data in the window give nothing: compare with the fake
python3 -c "
import json, urllib.request
ids = [int(x) for x in open('$TMP/want.ids').read().split()]
have = []
for i in ids:
    u = '$API_URL/__fake/dump?path=/v3/sensors/%d/hours&datetime_from=2026-11-27T00:00:00Z&datetime_to=2026-11-28T00:00:00Z' % i
    if json.load(urllib.request.urlopen(u))['results']: have.append(i)
print(' '.join(map(str, have)))" >"$TMP/want.ids2"
check_same 'every sensor of the file that has data' "$TMP/got.ids" "$TMP/want.ids2"
aq-dims sensors <"$TMP/lu.ndjson" >"$TMP/sensors.ndjson"
aq-fetch -q hours --sensors-from "$TMP/sensors.ndjson" --from 2026-11-27T00:00:00Z \
	--to 2026-11-28T00:00:00Z >"$TMP/out2" 2>"$TMP/err2"
check_same 'aq-dims sensor rows give the same' "$TMP/out2" "$TMP/.out"
printf '{"id":1,"location_id":2}\n{"foo":1}\n' >"$TMP/bad.ndjson"
aq-fetch hours --sensors-from "$TMP/bad.ndjson" --from 2026-11-27 >/dev/null 2>"$TMP/err"; st=$?
check_eq 'a line that names no sensor: exit 65' "$st" 65
check_grep 'naming the file and line' 'bad.ndjson:2: ' "$TMP/err"
