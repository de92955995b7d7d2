# lib-api.sh: the fake OpenAQ v3 server (t/fakeapi.py) for one test file.
#
#   . "$AQ_SRCDIR/t/lib.sh"
#   . "$AQ_SRCDIR/t/lib-api.sh"
#   api_start --locations 500 --window 2 --rate 10   # or skip_all
#   aq-fetch countries                # OPENAQ_BASE_URL, OPENAQ_API_KEY, AQ_STATE_DIR are set
#   api_admin stats                   # JSON from $API_URL/__fake/stats

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
	i=0
	while [ ! -s "$TMP/api.port" ]; do
		if ! kill -0 "$API_PID" 2>/dev/null || [ $i -ge 200 ]; then
			diag_file "$TMP/api.err"
			echo "Bail out! the fake API did not start"
			exit 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
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
	export OPENAQ_BASE_URL OPENAQ_API_KEY AQ_STATE_DIR API_URL
	unset XDG_RUNTIME_DIR AQ_RATE_WINDOW
}

# api_admin PATH: the JSON answer of $API_URL/__fake/PATH
api_admin() {
	"$API_PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())' "$API_URL/__fake/$1"
}

# api_get PATH: the body of an authenticated GET of $API_URL/PATH
api_get() {
	"$API_PY" -c 'import os, sys, gzip, urllib.request
r = urllib.request.Request(sys.argv[1], headers={"X-API-Key": os.environ["OPENAQ_API_KEY"]})
try:
    sys.stdout.write(urllib.request.urlopen(r, timeout=30).read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write(e.read().decode())' "$API_URL/$1"
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

api_stop() {
	[ -n "${API_PID:-}" ] || return 0
	kill "$API_PID" 2>/dev/null
	wait "$API_PID" 2>/dev/null
	API_PID=
}
