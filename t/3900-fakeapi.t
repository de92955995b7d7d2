#!/bin/sh
# 3900-fakeapi.t: the fake OpenAQ v3 API (t/fakeapi.py) keeps its contract.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"

# py_checks: run the Python program on stdin (argv: port, key); it prints lines
# "pass message" or "fail message" (then "# diagnostics" lines), turned into
# TAP here.
py_checks() {
	"$API_PY" - "$API_PORT" "$OPENAQ_API_KEY" "$@" >"$TMP/py.out" 2>"$TMP/py.err" || {
		fail "python checks ran"; diag_file "$TMP/py.err"; }
	while IFS= read -r line; do
		case $line in
		'#'*) echo "$line" ;;
		'pass '*) pass "${line#pass }" ;;
		'fail '*) fail "${line#fail }" ;;
		esac
	done <"$TMP/py.out"
}

# a prelude for py_checks programs
PRE='import sys, json, gzip, http.client, socket, time
port, key = int(sys.argv[1]), sys.argv[2]
def req(path, k=None, enc=None, conn=None):
    h = {"X-API-Key": key if k is None else k}
    if k == "-": del h["X-API-Key"]
    if enc: h["Accept-Encoding"] = enc
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers=h)
    r = c.getresponse(); b = r.read()
    hd = {x.lower(): y for x, y in r.getheaders()}
    if hd.get("content-encoding") == "gzip": b = gzip.decompress(b)
    return r.status, hd, b
def J(path, **kw): return json.loads(req(path, **kw)[2])
def admin(p): return J("/__fake/" + p)
def check(cond, msg, *d):
    print("%s %s" % ("pass" if cond else "fail", msg))
    if not cond:
        for x in d: print("# " + str(x)[:400])
def wait_until(what, cond, secs=60):
    # poll an event, with a bound that only detects a hang
    end = time.time() + secs
    while not cond():
        if time.time() > end:
            print("# timed out waiting for " + what)
            return False
        time.sleep(0.05)
    return True
def dumps(o): return json.dumps(o, ensure_ascii=False, separators=(",", ":"))
'

api_start --locations 300 --stall 1

# --- keys -------------------------------------------------------------------
out=$(api_req /v3/parameters -)
check_eq 'no key: 401' "${out%%	*}" 401
check_eq 'no key: the WAF body' "${out##*	}" '{"message":"Unauthorized. A valid API key must be provided in the X-API-Key header."}'
out=$(api_req /v3/parameters '')
check_eq 'empty key: the WAF body' "${out%%	*} ${out##*	}" '401 {"message":"Unauthorized. A valid API key must be provided in the X-API-Key header."}'
out=$(api_req /v3/parameters nope)
check_eq 'unknown key: 401 Invalid credentials' "${out%%	*} ${out##*	}" '401 {"detail":"Invalid credentials"}'
out=$(api_req /ping -)
check_eq '/ping needs no key' "${out%%	*} ${out##*	}" '200 {"ping":"pong!"}'
out=$(api_req /v2/locations -)
check_eq '/v2/: 410 Gone' "${out%%	*} ${out##*	}" '410 {"message":"Gone. Version 1 and Version 2 API endpoints are retired and no longer available. Please migrate to Version 3 endpoints."}'

# --- envelope, found, errors -------------------------------------------------
py_checks <<EOF
$PRE
st, h, b = req("/v3/parameters?limit=3")
j = json.loads(b)
check(st == 200 and h.get("content-type") == "application/json", "200 application/json", st, h)
check(list(j) == ["meta", "results"] and j["meta"] == {"name": "openaq-api", "website": "/", "page": 1, "limit": 3, "found": 18},
      "envelope and meta; parameters found is the exact total", j["meta"])
check("µg/m³" in b.decode() and "\\\\u" not in b.decode(), "raw UTF-8, no \\\\u escapes")
check(h.get("x-ratelimit-limit") == "60" and int(h["x-ratelimit-reset"]) >= 1, "rate-limit headers on a 200", h)
check(h.get("connection", "keep-alive").lower() != "close" and "content-length" in h, "keep-alive with Content-Length", h)
j = J("/v3/locations?limit=5")
check(j["meta"]["found"] == ">5" and len(j["results"]) == 5, "locations: a full page has found '>5'", j["meta"])
lu = J("/v3/locations?iso=LU")
n = len(lu["results"])
check(5 <= n <= 15 and lu["meta"]["found"] == n, "LU: a few locations, found = rows on the page", lu["meta"])
check(all(l["country"]["code"] == "LU" for l in lu["results"]), "iso filter")
j = J("/v3/locations?iso=LU&limit=3&page=100")
check(j["meta"]["found"] == 0 and j["results"] == [] and j["meta"]["page"] == 100, "past the end: found 0, []", j["meta"])
j = J("/v3/countries?limit=2&page=2")
check(isinstance(j["meta"]["found"], int) and j["meta"]["found"] > 15, "countries: exact total", j["meta"])
codes = {c["code"] for c in J("/v3/countries?limit=1000")["results"]}
check({"LU", "FR", "DE", "US", "IN", "GB"} <= codes, "countries include LU FR DE US IN GB", codes)
rec = lu["results"][0]
check(list(rec) == ["id","name","locality","timezone","country","owner","provider","isMobile","isMonitor",
      "instruments","sensors","coordinates","licenses","bounds","distance","datetimeFirst","datetimeLast"],
      "location record fields in the served order", list(rec))
check(all(s["name"] == "%s %s" % (s["parameter"]["name"], s["parameter"]["units"]) for s in rec["sensors"]),
      "sensor names are '<param> <units>'")
st, h, b = req("/v3/locations?limit=1001")
j = json.loads(b)
check(st == 422 and j["detail"][0]["loc"] == ["query", "limit"] and j["detail"][0]["type"] == "less_than_equal",
      "limit=1001: 422 pydantic array", st, b)
st, h, b = req("/v3/locations?page=0")
check(st == 422 and json.loads(b)["detail"][0]["loc"] == ["query", "page"], "page=0: 422", st, b)
st, h, b = req("/v3/locations?limit=abc")
check(st == 422 and isinstance(json.loads(b), str), "limit=abc: 422 bare string", st, b)
st, h, b = req("/v3/locations?iso=FR&countries_id=22")
check(st == 422 and isinstance(json.loads(b)["detail"], list), "iso with countries_id: 422", st, b)
st, h, b = req("/v3/locations/999999999")
check((st, b) == (404, b'{"detail":"Location not found"}'), "unknown location: 404 Location not found", st, b)
st, h, b = req("/v3/sensors/999999999")
check((st, b) == (404, b'{"detail":"Sensor not found"}'), "unknown sensor: 404 Sensor not found", st, b)
st, h, b = req("/v3/parameters/999/latest")
check((st, b) == (404, b'{"detail":"Parameter not found"}'), "unknown parameter latest: 404", st, b)
st, h, b = req("/v3/sensors/999999999/hours?datetime_from=2026-11-27T00:00:00Z&datetime_to=2026-11-28T00:00:00Z")
j = json.loads(b)
check(st == 200 and j["results"] == [] and j["meta"]["found"] == 0, "unknown sensor series: 200 []", st, b)
st, h, b = req("/v2/sensors/1/measurements")
check(st == 410, "v2 path: 410", st)
j = J("/v3/locations?coordinates=%s,%s&radius=25000&limit=1000" % (rec["coordinates"]["latitude"], rec["coordinates"]["longitude"]))
check(rec["id"] in [l["id"] for l in j["results"]] and all(0 <= l["distance"] <= 25000 for l in j["results"]),
      "coordinates and radius: distance filled in", j["meta"])
st, h, b = req("/v3/locations?coordinates=49.6,6.1")
check(st == 422, "coordinates without radius: 422", st, b)
st, h, b = req("/v3/locations?bbox=5.7,49.4,6.6,50.2&limit=1000")
check(st == 200 and len(json.loads(b)["results"]) >= 5, "bbox", st, b[:200])
j = J("/v3/parameters?limit=2&bogus=1&datetimeFrom=x")
check(len(j["results"]) == 2, "unknown query parameters ignored")
lat = J("/v3/parameters/2/latest?limit=3")
check(isinstance(lat["meta"]["found"], int) and lat["meta"]["found"] > 3 and
      all(list(r) == ["datetime", "value", "coordinates", "sensorsId", "locationsId"] for r in lat["results"]),
      "parameters/2/latest: exact found, the 5 fields", lat)
EOF

# --- dates ------------------------------------------------------------------------
py_checks <<EOF
$PRE
# a live sensor without gaps
sid = None
for l in J("/v3/locations?limit=1000")["results"]:
    for s in J("/v3/locations/%d/sensors" % l["id"])["results"]:
        c = s["coverage"]
        if c and s["datetimeLast"]["utc"] == "2026-11-28T12:00:00Z" and c["observedCount"] == c["expectedCount"]:
            sid, sens = s["id"], s
            break
    if sid: break
check(sid is not None, "found a live sensor without gaps")
W = "datetime_from=2026-11-27T00:00:00Z&datetime_to=2026-11-28T00:00:00Z"
j = J("/v3/sensors/%d/hours?%s" % (sid, W))
r = j["results"]
check(len(r) == 24, "hours: one day window gives 24 rows", len(r))
check(r[0]["period"]["datetimeTo"]["utc"] == "2026-11-27T01:00:00Z" and r[-1]["period"]["datetimeTo"]["utc"] == "2026-11-28T00:00:00Z",
      "from exclusive, to inclusive, on the period end", r[0]["period"], r[-1]["period"])
check(r[0]["period"]["label"] == "1hour" and j["meta"]["found"] == 24, "hours: label 1hour, found = rows", j["meta"])
check(list(r[0]) == ["value","flagInfo","parameter","period","coordinates","summary","coverage"], "series record fields", list(r[0]))
j = J("/v3/sensors/%d/measurements?%s&limit=10" % (sid, W))
check(j["results"][0]["period"]["label"] == "raw" and j["results"][0]["summary"] is None and j["meta"]["found"] == ">10",
      "measurements: raw, summary null, found '>10'", j["meta"])
j = J("/v3/sensors/%d/measurements/hourly?%s&limit=10" % (sid, W))
check(j["results"][0]["period"]["label"] == "1 hour" and j["meta"]["found"] == 24, "measurements/hourly: '1 hour', exact found", j["meta"])
j = J("/v3/sensors/%d/hours?date_from=2026-11-28&date_to=2026-11-28&limit=1" % sid)
check(j["results"][0]["period"]["datetimeTo"]["utc"] == sens["datetimeFirst"]["utc"],
      "hours with date_from: ignored, starts at the series start", j["results"][0]["period"], sens["datetimeFirst"])
st, h, b = req("/v3/sensors/%d/hours?datetime_from=2026-11-28T00:00:00Z&datetime_to=2026-11-27T00:00:00Z" % sid)
check(st == 422 and isinstance(json.loads(b), str) and "older" in json.loads(b), "to before from: 422 bare string", st, b)
st, h, b = req("/v3/sensors/%d/hours?datetime_from=2026-11-28T00:00:00Z&datetime_to=2026-11-28T00:00:00Z" % sid)
check(st == 422, "to == from: 422", st, b)
j = J("/v3/sensors/%d/days?date_from=2026-11-27&date_to=2026-11-27" % sid)
check(len(j["results"]) == 1 and j["results"][0]["period"]["label"] == "1day" and j["results"][0]["coverage"]["observedCount"] == 24,
      "days: one date gives one full day", j)
j2 = J("/v3/sensors/%d/days?datetime_from=2026-11-27T00:00:00Z&datetime_to=2026-11-28T00:00:00Z" % sid)
check(len(j2["results"]) >= 3, "days with datetime_*: ignored, whole series", len(j2["results"]))
j = J("/v3/sensors/%d/years" % sid)
check(j["results"][0]["period"]["label"] == "1year", "years: label 1year", j["results"][0]["period"])
loc = J("/v3/locations?limit=1000")
EOF

# --- gzip ---------------------------------------------------------------------------
out=$(api_req '/v3/locations?limit=10' test-key 'Accept-Encoding: gzip, deflate')
case $out in 200'	'*'"content-encoding": "gzip"'*'	gzip:{"meta"'*) pass 'gzip for a large body' ;; *) fail 'gzip for a large body'; diag "$(printf %s "$out" | head -c 300)" ;; esac
# plain: a 200 whose headers (the JSON between the first two tabs) have no
# content-encoding
plain() {
	hdr=${2#*	}; hdr=${hdr%%	*}
	case ${2%%	*}:$hdr in
	200:*content-encoding*) fail "$1"; diag "$(printf %s "$2" | head -c 300)" ;;
	200:*) pass "$1" ;;
	*) fail "$1"; diag "not a 200: $(printf %s "$2" | head -c 300)" ;;
	esac
}
plain 'no gzip under 1000 bytes' "$(api_req '/v3/parameters?limit=1' test-key 'Accept-Encoding: gzip')"
plain 'no gzip without Accept-Encoding' "$(api_req '/v3/locations?limit=10')"

# --- dump, advance ---------------------------------------------------------------------
py_checks <<EOF
$PRE
for path, lim in (("/v3/locations?iso=FR", 7), ("/v3/countries?", 4), ("/v3/parameters/2/latest?", 50)):
    pages, p = [], 1
    while True:
        r = J("%s&limit=%d&page=%d" % (path, lim, p))["results"]
        pages += r
        if len(r) < lim: break
        p += 1
    base, _, q = path.partition("?")
    d = admin("dump?path=%s&%s" % (base, q))["results"]
    check([dumps(x) for x in d] == [dumps(x) for x in pages] and len(d) > lim, "dump equals the pages of " + path, len(d), len(pages))
ids = admin("sensors?parameter=2")
check(len(ids) > 10 and all(isinstance(i, int) for i in ids), "__fake/sensors?parameter=2", ids[:5])
check(admin("now") == {"now": "2026-11-28T12:00:00Z"}, "__fake/now")
lid = J("/v3/locations?iso=LU&monitor=true")["results"][0]["id"]
before = max(r["datetime"]["utc"] for r in J("/v3/locations/%d/latest" % lid)["results"])
check(admin("advance?hours=2") == {"now": "2026-11-28T14:00:00Z"}, "advance 2 hours")
after = max(r["datetime"]["utc"] for r in J("/v3/locations/%d/latest" % lid)["results"])
check((before, after) == ("2026-11-28T12:00:00Z", "2026-11-28T14:00:00Z"), "advance: new latest readings", before, after)
sid = J("/v3/locations/%d/latest" % lid)["results"][0]["sensorsId"]
j = J("/v3/sensors/%d/hours?datetime_from=2026-11-28T12:00:00Z&datetime_to=2026-11-28T23:00:00Z" % sid)
check(len(j["results"]) == 2, "advance: new hours in the series", len(j["results"]))
EOF

# --- faults --------------------------------------------------------------------------
api_admin reset >/dev/null
py_checks <<EOF
$PRE
def fault(spec): return admin("fault?spec=" + spec)
kinds = {"500": 500, "502": 502, "503": 503, "504": 504, "408": 408, "429": 429, "401": 401, "403": 403,
         "404": 404, "410": 410, "422": 422, "422s": 422, "garbage": 200}
for k, want in kinds.items():
    fault("%s~fk=%s" % (k, k))
    st, h, b = req("/v3/parameters?fk=%s" % k)
    good = st == want
    if k in ("500", "503", "504", "403"): good = good and b.lower().lstrip().startswith((b"<html", b"<!doctype"))
    if k == "502": good = good and b == b""
    if k == "408": good = good and json.loads(b)["detail"].startswith("Connection timed out")
    if k == "429": good = good and json.loads(b) == {"detail": "Too many requests"} and h.get("x-ratelimit-remaining") == "0" and int(h["x-ratelimit-reset"]) >= 1
    if k == "422": good = good and isinstance(json.loads(b)["detail"], list)
    if k == "422s": good = good and isinstance(json.loads(b), str)
    if k == "garbage":
        try: json.loads(b); good = False
        except ValueError: pass
    check(good, "fault %s" % k, st, h, b[:200])
    st, h, b = req("/v3/parameters?fk=%s" % k)
    check(st == 200, "fault %s fires once" % k, st)
fault("truncate~fk=truncate")
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
try:
    st, h, b = req("/v3/locations?limit=50&fk=truncate", conn=c)
    check(False, "truncate: short body", st, len(b))
except http.client.IncompleteRead as e:
    check(len(e.partial) > 0, "truncate: short body", len(e.partial))
fault("reset~fk=reset")
try:
    req("/v3/parameters?fk=reset")
    check(False, "reset: the connection is reset")
except (ConnectionResetError, http.client.RemoteDisconnected, ConnectionAbortedError) as e:
    check(True, "reset: the connection is reset (%s)" % type(e).__name__)
fault("stall~fk=stall")
t = time.time()
st, h, b = req("/v3/parameters?fk=stall")
check(st == 200 and time.time() - t >= 0.9, "stall: late, then a normal answer", st, time.time() - t)
fault("500~fk=two*2")
sts = [req("/v3/parameters?fk=two")[0] for i in range(3)]
check(sts == [500, 500, 200], "KIND~TEXT*C fires C times", sts)
s = admin("stats")
check(s["requests"] == 32 and s["status"].get("500") == 3 and s["status"].get("0") == 1, "stats count the faulted requests", s)
check(s["rate_limited"] == 1 and s["max_per_window"] <= 17, "faults are not counted in the window", s)
r = admin("requests")
check(len(r) == 32 and r[0]["key"] == "ok" and r[0]["fault"] == "500" and r[1]["fault"] is None and "ua" in r[0], "__fake/requests", r[:2])
admin("reset")
fault("502@2")
fault("503%3")
sts = [req("/v3/parameters")[0] for i in range(7)]
check(sts == [200, 502, 503, 200, 200, 503, 200], "KIND@N and KIND%N", sts)
EOF
check_grep 'the log has a line per request' '^[0-9]{13} 503 /v3/parameters 503$' "$TMP/api.log"

# --- rate limit -------------------------------------------------------------------------------
api_stop
api_start --locations 20 --window 2 --rate 5 --key k1 --key k2
check_eq 'the first --key is exported' "$OPENAQ_API_KEY" k1
py_checks <<EOF
$PRE
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
# seven requests in one window: a burst that straddles two windows (the
# fake's stats show two) is made again, rather than aiming at a window start
for attempt in range(10):
    admin("reset")
    res = [req("/v3/parameters", conn=c) for i in range(7)]
    win = admin("stats")["windows"]
    if len(win) == 1:
        break
check(len(win) == 1, "a burst of 7 within one window (attempt %d)" % (attempt + 1), win)
sts = [r[0] for r in res]
check(sts == [200] * 5 + [429] * 2, "5 per window, then 429", sts)
used = [r[1].get("x-ratelimit-used") for r in res]
rem = [r[1].get("x-ratelimit-remaining") for r in res]
check(used == ["1", "2", "3", "4", "5", "5", "5"] and rem == ["4", "3", "2", "1", "0", "0", "0"], "used and remaining", used, rem)
check(all(r[1].get("x-ratelimit-limit") == "5" and 1 <= int(r[1]["x-ratelimit-reset"]) <= 2 for r in res), "limit and reset", [r[1] for r in res][-1])
check(res[5][2] == b'{"detail":"Too many requests"}', "the 429 body", res[5][2])
st, h, b = req("/v3/parameters", k="k2")
check(st == 200 and h["x-ratelimit-used"] == "1", "the window is per key", st, h)
wait_until("the end of the burst's window", lambda: time.time() >= win[0][0] + 2)
st, h, b = req("/v3/parameters", conn=c)
check(st == 200 and h["x-ratelimit-used"] == "1", "recovers after the window", st, h)
s = admin("stats")
check(s["requests"] == 9 and s["rate_limited"] == 2 and s["max_per_window"] == 5 and s["status"] == {"200": 7, "429": 2},
      "stats", s)
check(sum(c for w, c in s["windows"]) == 7 and all(w % 2 == 0 for w, c in s["windows"]), "stats windows", s["windows"])
EOF
api_admin 'dump?path=/v3/locations' >"$TMP/dump1"

# --- hourly cap, --max-span, determinism, the shell helpers -----------------------------------
api_stop
api_start --locations 20 --rate 100 --rate-hour 5 --max-span 24
api_admin 'dump?path=/v3/locations' >"$TMP/dump2"
check_same 'the same seed gives the same data' "$TMP/dump2" "$TMP/dump1"
n=$(api_json '/v3/locations?limit=3' 'len(j["results"])')
check_eq 'api_json on a /v3 path' "$n" 3
sid=$(api_json 'sensors' 'j[0]')
out=$(api_get "/v3/sensors/$sid")
case $out in '{"meta":{"name":"openaq-api"'*"\"id\":$sid,"*) pass 'api_get' ;; *) fail 'api_get'; diag "$out" ;; esac
py_checks "$sid" <<EOF
$PRE
sid = int(sys.argv[3])
st, h, b = req("/v3/sensors/%d/hours?datetime_from=2026-11-27T00:00:00Z&datetime_to=2026-11-28T00:00:00Z" % sid)
check(st == 200, "--max-span 24: a one-day window is fine", st, b[:200])
st, h, b = req("/v3/sensors/%d/hours?datetime_from=2026-11-26T00:00:00Z&datetime_to=2026-11-28T00:00:00Z" % sid)
check(st == 408 and json.loads(b)["detail"].startswith("Connection timed out"), "--max-span 24: two days give 408", st, b)
st, h, b = req("/v3/sensors/%d/days?date_from=2026-11-26&date_to=2026-11-27" % sid)
check(st == 408, "--max-span 24: two dates give 408", st, b)
st, h, b = req("/v3/sensors/%d/days?date_from=2026-11-27&date_to=2026-11-27" % sid)
check(st == 429 and h["x-ratelimit-remaining"] == "0" and int(h["x-ratelimit-reset"]) > 2, "--rate-hour 5: the 6th request gets 429", st, h)
EOF
done_testing
