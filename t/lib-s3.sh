# lib-s3.sh: a real S3 server (s3rver) with the archive's bucket for one test
# file, the seeded objects (t/s3seed.py) and the fault proxy (t/s3fault.py).
#
#   . "$AQ_SRCDIR/t/lib.sh"
#   . "$AQ_SRCDIR/t/lib-s3.sh"
#   s3_start                          # or skip_all; stopped by the EXIT trap
#   s3_seed --locations 300           # s3seed.py into the running store: $S3_TRUTH, $S3_INDEX
#   s3_put KEY FILE [Name:value...]   # one unsigned PUT
#   s3_list PREFIX                    # every key under PREFIX, one a line, following the tokens
#   s3fault_start [--fault SPEC...]   # the proxy; OPENAQ_ARCHIVE_URL now goes through it
#   s3fault_add 'slowdown~location-7-*2'
#   s3fault_requests                  # JSON: what reached the proxy, with all headers
#
# Set by s3_start: S3_URL (http://127.0.0.1:PORT, s3rver itself), S3_BUCKET,
# S3_DIR (s3rver's -d store), OPENAQ_ARCHIVE_URL ($S3_URL/$S3_BUCKET, path style).
# By s3fault_start: S3FAULT_URL, and OPENAQ_ARCHIVE_URL=$S3FAULT_URL/$S3_BUCKET.

S3_BUCKET=openaq-data-archive

s3_py() {
	[ -n "${S3_PY:-}" ] && return 0
	S3_PY=${PYTHON3:-}
	[ -n "$S3_PY" ] || S3_PY=$(command -v python3 2>/dev/null) || true
	[ -n "$S3_PY" ] || skip_all "python3 not found (Debian: apt-get install python3): no S3 harness"
}

# s3_wait PORT PID NEEDLE: until GET http://127.0.0.1:PORT/ answers with NEEDLE in
# its body (s3rver's bucket list), for at most 60 s; fails at once when PID is gone
s3_wait() {
	"$S3_PY" - "$@" <<'EOF'
import http.client, os, sys, time
port, pid, needle = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
end = time.time() + 60
while time.time() < end:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(2)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/")
        if needle in c.getresponse().read():
            sys.exit(0)
        time.sleep(0.05)
    except (OSError, http.client.HTTPException):
        time.sleep(0.05)
sys.exit(1)
EOF
}

s3_free_port() {
	"$S3_PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

s3_start() {
	[ -n "${S3RVER:-}" ] || skip_all "s3rver not found (build-aux/install-deps installs it; configure looks in var/node): no S3 server"
	[ -x "$S3RVER" ] || skip_all "S3RVER=$S3RVER is not executable: no S3 server"
	command -v node >/dev/null 2>&1 || skip_all "node not found (Debian: apt-get install nodejs): no S3 server"
	s3_py
	S3_DIR=$TMP/s3
	mkdir -p "$S3_DIR"
	tries=0
	while :; do
		tries=$((tries + 1))
		S3_PORT=$(s3_free_port) || { echo "Bail out! no free port"; exit 1; }
		# s3rver 3.7.1 answers every continuation-token request with a 500 under
		# Node 17+ unless OpenSSL's legacy provider is loaded (its token cipher)
		NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--openssl-legacy-provider" \
			"$S3RVER" -d "$S3_DIR" -a 127.0.0.1 -p "$S3_PORT" --silent \
			--configure-bucket "$S3_BUCKET" >"$TMP/s3rver.log" 2>&1 &
		S3_PID=$!
		s3_wait "$S3_PORT" "$S3_PID" "<Name>$S3_BUCKET</Name>" && break
		kill "$S3_PID" 2>/dev/null
		wait "$S3_PID" 2>/dev/null
		S3_PID=
		if [ $tries -lt 5 ] && grep -q EADDRINUSE "$TMP/s3rver.log"; then
			continue
		fi
		diag_file "$TMP/s3rver.log"
		echo "Bail out! s3rver did not start"
		exit 1
	done
	at_exit 's3_stop'
	S3_URL=http://127.0.0.1:$S3_PORT
	OPENAQ_ARCHIVE_URL=$S3_URL/$S3_BUCKET
	S3_TRUTH=$TMP/s3.truth
	S3_INDEX=$TMP/s3.index
	export S3_URL S3_PORT S3_BUCKET S3_DIR OPENAQ_ARCHIVE_URL
}

s3_stop() { stop_bg "${S3_PID:-}"; S3_PID=; }

# s3_seed [s3seed.py options]: the objects, straight into the running s3rver's
# store, the truth in $S3_TRUTH and the index in $S3_INDEX (unless the options
# name others); s3seed's summary line goes to $TMP/s3seed.err
s3_seed() {
	"$S3_PY" "$AQ_SRCDIR/t/s3seed.py" --store "$S3_DIR" --truth "$S3_TRUTH" --index "$S3_INDEX" "$@" \
		2>"$TMP/s3seed.err" || { diag_file "$TMP/s3seed.err"; return 1; }
}

# s3_put KEY FILE [Name:value...]: an unsigned PUT of FILE to the bucket as KEY,
# with those headers only (e.g. Content-Encoding:gzip; no Content-Type unless
# given); fails unless s3rver says 200
s3_put() {
	"$S3_PY" - "$S3_PORT" "/$S3_BUCKET" "$@" <<'EOF'
import sys, http.client, urllib.parse
port, base, key, path = sys.argv[1:5]
hdr = {}
for h in sys.argv[5:]:
    k, v = h.split(":", 1)
    hdr[k.strip()] = v.strip()
data = open(path, "rb").read()
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
c.request("PUT", base + "/" + urllib.parse.quote(key, safe="/=-_.~"), body=data, headers=hdr)
r = c.getresponse()
r.read()
if r.status != 200:
    sys.exit("s3_put %s: HTTP %d" % (key, r.status))
EOF
}

# s3_list PREFIX [URL]: every key under PREFIX, one a line, in the order listed,
# by ListObjectsV2 pages (URL: the bucket, default $OPENAQ_ARCHIVE_URL's
# s3rver); the number of pages goes to $TMP/s3list.pages
s3_list() {
	"$S3_PY" - "$1" "${2:-$S3_URL/$S3_BUCKET}" "$TMP/s3list.pages" <<'EOF'
import sys, urllib.parse, urllib.request
import xml.etree.ElementTree as ET
prefix, base, pages_file = sys.argv[1:4]
tok, pages = None, 0
while True:
    q = {"list-type": "2", "prefix": prefix}
    if tok is not None:
        q["continuation-token"] = tok
    with urllib.request.urlopen(base + "?" + urllib.parse.urlencode(q), timeout=60) as r:
        root = ET.fromstring(r.read())
    pages += 1
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    for c in root.findall(ns + "Contents"):
        print(c.find(ns + "Key").text)
    if root.findtext(ns + "IsTruncated") != "true":
        break
    tok = root.findtext(ns + "NextContinuationToken")
open(pages_file, "w").write("%d\n" % pages)
EOF
}

# s3fault_start [s3fault.py options]: the fault proxy in front of s3rver;
# OPENAQ_ARCHIVE_URL goes through it from now on (S3_URL still names s3rver)
s3fault_start() {
	rm -f "$TMP/s3fault.port"
	"$S3_PY" "$AQ_SRCDIR/t/s3fault.py" --upstream "$S3_URL" --port-file "$TMP/s3fault.port" \
		--log "$TMP/s3fault.log" "$@" 2>"$TMP/s3fault.err" &
	S3FAULT_PID=$!
	at_exit 's3fault_stop'
	i=0
	while [ ! -s "$TMP/s3fault.port" ]; do
		if ! kill -0 "$S3FAULT_PID" 2>/dev/null || [ $i -ge 400 ]; then
			diag_file "$TMP/s3fault.err"
			echo "Bail out! the S3 fault proxy did not start"
			exit 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	S3FAULT_PORT=$(cat "$TMP/s3fault.port")
	S3FAULT_URL=http://127.0.0.1:$S3FAULT_PORT
	OPENAQ_ARCHIVE_URL=$S3FAULT_URL/$S3_BUCKET
	export S3FAULT_URL S3FAULT_PORT OPENAQ_ARCHIVE_URL
}

s3fault_stop() { stop_bg "${S3FAULT_PID:-}"; S3FAULT_PID=; }

# s3fault_admin CMD: the JSON answer of $S3FAULT_URL/__s3fault/CMD
s3fault_admin() {
	"$S3_PY" -c 'import sys, urllib.request, urllib.error
try:
    b = urllib.request.urlopen(sys.argv[1], timeout=30).read()
except urllib.error.HTTPError as e:
    sys.stdout.write(e.read().decode()); sys.exit(1)
sys.stdout.write(b.decode())' "$S3FAULT_URL/__s3fault/$1"
}

# s3fault_add SPEC: one more fault (see t/s3fault.py)
s3fault_add() {
	s3fault_admin "fault?spec=$("$S3_PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")" >/dev/null
}
s3fault_clear() { s3fault_admin clear >/dev/null; }
s3fault_reset() { s3fault_admin reset >/dev/null; }
s3fault_requests() { s3fault_admin requests; }
