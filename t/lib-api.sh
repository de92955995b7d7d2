# lib-api.sh: the fake OpenAQ v3 server (t/fakeapi.py) for one test file.
#
#   . "$AQ_SRCDIR/t/lib.sh"
#   . "$AQ_SRCDIR/t/lib-api.sh"
#   api_start --locations 500 --window 2 --rate 10   # or skip_all
#   aq-fetch countries                # OPENAQ_BASE_URL, OPENAQ_API_KEY, AQ_STATE_DIR are set
#   api_admin stats                   # JSON from $API_URL/__fake/stats
#   wait_for 'a poll' 60 requests_at_least 3

api_start() {
	py=${PYTHON3:-}
	[ -n "$py" ] || py=$(command -v python3 2>/dev/null) || true
	[ -n "$py" ] || skip_all "python3 not found (Debian: apt-get install python3): no fake API"
	API_PY=$py
	rm -f "$TMP/api.port"
	"$API_PY" "$AQ_SRCDIR/t/fakeapi.py" --port-file "$TMP/api.port" --log "$TMP/api.log" "$@" \
		2>"$TMP/api.err" &
	API_PID=$!
	at_exit 'api_stop'
	# it writes the port file once it listens; or it dies
	API_DEAD=
	if ! wait_for 'the fake API to listen' 60 api_up || [ -n "$API_DEAD" ]; then
		diag_file "$TMP/api.err"
		echo "Bail out! the fake API did not start"
		exit 1
	fi
	API_PORT=$(cat "$TMP/api.port")
	API_URL=http://127.0.0.1:$API_PORT
	OPENAQ_BASE_URL=$API_URL/v3
	OPENAQ_API_KEY=test-key
	prev=
	for a in "$@"; do
		[ "$prev" = --key ] && { OPENAQ_API_KEY=$a; break; }
		prev=$a
	done
	AQ_STATE_DIR=$TMP/aqstate
	export OPENAQ_BASE_URL OPENAQ_API_KEY AQ_STATE_DIR API_URL API_PORT
	unset XDG_RUNTIME_DIR AQ_RATE_WINDOW
}

# api_up: the fake has written its port file, or has died (then fail fast)
api_up() {
	[ -s "$TMP/api.port" ] && return 0
	kill -0 "$API_PID" 2>/dev/null || { echo "the fake API exited"; API_DEAD=1; return 0; }
	return 1
}

# api_admin PATH: the JSON answer of $API_URL/__fake/PATH
api_admin() {
	"$API_PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())' "$API_URL/__fake/$1"
}

# pyj EXPR: print the Python expression EXPR over the JSON on stdin, as j
pyj() { "$API_PY" -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# api_truth PATH[&NAME=VALUE...]: every record the fake holds for a list
# path, one a line, as the API sends them (the ground truth for aq-fetch)
api_truth() {
	api_admin "dump?path=$1" | "$API_PY" -c 'import json, sys
for r in json.load(sys.stdin)["results"]:
    print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))'
}

# api_stat KEY: one number of /__fake/stats ("requests", "rate_limited", ...)
api_stat() { api_admin stats | pyj "j[\"$1\"]"; }

# api_requests: the fake's count of requests so far
api_requests() { api_stat requests; }

# requests_at_least N: the fake has had N requests or more (for wait_for)
requests_at_least() { [ "$(api_requests)" -ge "$1" ]; }

api_stop() { stop_bg "${API_PID:-}"; API_PID=; }

# api_json PATH PYEXPR: evaluate PYEXPR on the parsed JSON j of __fake/PATH (or of
# a /v3 path, fetched with the key when PATH starts with /v3); print str() of it,
# or JSON for lists and dicts
api_json() {
	"$API_PY" -c 'import sys, json, urllib.request
p = sys.argv[1]
if p.startswith("/"):
    r = urllib.request.Request(sys.argv[3] + p, headers={"X-API-Key": sys.argv[4]})
else:
    r = sys.argv[3] + "/__fake/" + p
try:
    b = urllib.request.urlopen(r, timeout=60).read()
except urllib.error.HTTPError as e:
    b = e.read()
j = json.loads(b)
v = eval(sys.argv[2])
print(json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)' \
		"$1" "$2" "$API_URL" "${OPENAQ_API_KEY:-test-key}"
}

# api_get PATH: the body of an authenticated GET of $API_URL PATH (e.g. /v3/...),
# whatever the status
api_get() {
	"$API_PY" -c 'import sys, urllib.request
r = urllib.request.Request(sys.argv[1], headers={"X-API-Key": sys.argv[2]})
try:
    b = urllib.request.urlopen(r, timeout=60).read()
except urllib.error.HTTPError as e:
    b = e.read()
sys.stdout.buffer.write(b)' "$API_URL$1" "${OPENAQ_API_KEY:-test-key}"
}

# api_req PATH [KEY|-|''] [Header:value...]: one raw request over http.client, no
# decompression; prints STATUS, a tab, the response headers as a JSON object (names
# lower-cased), a tab, then the body (gunzipped when Content-Encoding is gzip, and
# then "gzip:" is put before it).  KEY "-" sends no key; the default is $OPENAQ_API_KEY.
api_req() {
	"$API_PY" - "$API_PORT" "$@" "${OPENAQ_API_KEY:-test-key}" <<'EOF'
import sys, json, gzip, http.client
port, path = sys.argv[1], sys.argv[2]
rest = sys.argv[3:-1]
key = rest[0] if rest else sys.argv[-1]
hdr = {}
if key != "-":
    hdr["X-API-Key"] = key
for h in rest[1:]:
    k, v = h.split(":", 1)
    hdr[k] = v.strip()
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
c.request("GET", path, headers=hdr)
r = c.getresponse()
b = r.read()
h = {k.lower(): v for k, v in r.getheaders()}
pre = b""
if h.get("content-encoding") == "gzip":
    b, pre = gzip.decompress(b), b"gzip:"
sys.stdout.buffer.write(b"%d\t%s\t%s%s" % (r.status, json.dumps(h).encode(), pre, b))
EOF
}
