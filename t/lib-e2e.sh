# lib-e2e.sh: for the 5NNN end-to-end tests.
#   . "$AQ_SRCDIR/t/lib.sh"; . "$AQ_SRCDIR/t/lib-pg.sh"; . "$AQ_SRCDIR/t/lib-load.sh"
#   . "$AQ_SRCDIR/t/lib-e2e.sh"
#   e2e_samples            # after load_start: dimensions from t/data/api-samples,
#                          # and 48 hourly readings per sensor ending E2E_END

: "${AQ_CONTRIB:=$AQ_SRCDIR/contrib}"
E2E_END=2026-11-28T12:00:00Z
E2E_END_EPOCH=1795867200

e2e_samples() {
	s=$AQ_TESTDATA/api-samples
	jq -c '.results[]' "$s/countries-r1.json" >"$TMP/countries.raw"
	jq -c '.results[]' "$s/parameters-r1.json" >"$TMP/parameters.raw"
	jq -c '.results[]' "$s/locations-r1.json" >"$TMP/locations.raw"
	aq-dims -q countries "$TMP/countries.raw" | aq-load -q -t country &&
	aq-dims -q parameters "$TMP/parameters.raw" | aq-load -q -t parameter &&
	aq-dims -q locations "$TMP/locations.raw" | aq-load -q -t location &&
	aq-dims -q sensors "$TMP/locations.raw" >"$TMP/sensors.rows" &&
	aq-load -q -t sensor "$TMP/sensors.rows" || { echo "Bail out! loading the sample dimensions"; exit 1; }
	# 48 hourly readings per sensor, ending at E2E_END
	awk -v t1="$E2E_END_EPOCH" "$AQ_AWK_UTC"'
	function num(k,   m) { return match($0, "\"" k "\":[0-9]+") ? substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3) : "null" }
	{
		for (h = 47; h >= 0; h--)
			printf "{\"sensor_id\":%s,\"location_id\":%s,\"parameter_id\":%s,\"period\":\"hour\",\"datetime\":\"%s\",\"value\":%.1f}\n",
				num("id"), num("location_id"), num("parameter_id"), utc(t1 - 3600 * h), (NR * 13 + h * 7) % 90 / 2
	}' "$TMP/sensors.rows" >"$TMP/readings.rows"
	aq-load -q -t measurement "$TMP/readings.rows" || { echo "Bail out! loading the sample readings"; exit 1; }
}

# need_api: the fake OpenAQ server and what its helpers need.  The fake is
# part of the tree: a missing one is an error, not a reason to skip.
need_api() {
	[ -f "$AQ_SRCDIR/t/fakeapi.py" ] && [ -f "$AQ_SRCDIR/t/lib-api.sh" ] ||
		{ echo "Bail out! t/fakeapi.py or t/lib-api.sh is missing"; exit 1; }
	need python3 jq
	. "$AQ_SRCDIR/t/lib-api.sh"
}

# api_count PATH [NAME=VALUE...]: how many results the API serves there,
# paged straight through with python3 (not with aq-fetch, which is tested)
api_count() {
	python3 - "$@" <<'PY'
import json, os, sys, urllib.parse, urllib.request
path, args = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
base = os.environ["OPENAQ_BASE_URL"].rstrip("/")
n, page = 0, 1
while True:
    q = dict(args, limit="1000", page=str(page))
    req = urllib.request.Request(base + path + "?" + urllib.parse.urlencode(q),
                                 headers={"X-API-Key": os.environ["OPENAQ_API_KEY"]})
    got = json.load(urllib.request.urlopen(req, timeout=30))["results"]
    n += len(got)
    if len(got) < 1000:
        break
    page += 1
print(n)
PY
}

# api_ids PATH [NAME=VALUE...]: the ids of those results, one a line
api_ids() {
	python3 - "$@" <<'PY'
import json, os, sys, urllib.parse, urllib.request
path, args = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
base = os.environ["OPENAQ_BASE_URL"].rstrip("/")
q = dict(args, limit="1000")
req = urllib.request.Request(base + path + "?" + urllib.parse.urlencode(q),
                             headers={"X-API-Key": os.environ["OPENAQ_API_KEY"]})
for r in json.load(urllib.request.urlopen(req, timeout=30))["results"]:
    print(r["id"] if "id" in r else r.get("sensorsId"))
PY
}
