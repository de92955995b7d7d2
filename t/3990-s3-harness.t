#!/bin/sh
# 3990-s3-harness.t: the archive tests' harness keeps its contract: s3rver with
# the seeded bucket (t/s3seed.py) lists in pages and serves the truth's rows,
# the objects agree with the fake API, and the fault proxy (t/s3fault.py)
# breaks exactly what it is asked to.  Nothing here runs aq-fetch.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-s3.sh"
. "$AQ_SRCDIR/t/lib-api.sh"

# py_checks ARGS... <PROGRAM: the program prints "0 message" or "1 message" lines
# (then "# diagnostics"), turned into TAP here; a crash is a failed test
py_checks() {
	"$S3_PY" - "$@" >"$TMP/py.out" 2>"$TMP/py.err"
	st=$?
	while IFS= read -r line; do
		case $line in
		'#'*) echo "$line" ;;
		[01]' '*) ok "${line%% *}" "${line#* }" ;;
		esac
	done <"$TMP/py.out"
	[ $st = 0 ] || { ok 1 "python checks ran to the end"; diag_file "$TMP/py.err"; }
}

# a prelude: HTTP helpers, check(), and the independent CSV -> NDJSON rule of DESIGN.md
PRE='import sys, os, json, gzip, csv, io, http.client, socket, time, hashlib, urllib.parse, zlib
import xml.etree.ElementTree as ET
S3 = urllib.parse.urlsplit(os.environ["S3_URL"])
BUCKET = os.environ["S3_BUCKET"]
def check(cond, msg, *d):
    print("%d %s" % (0 if cond else 1, msg))
    if not cond:
        for x in d: print("# " + str(x)[:600])
def req(method, path, headers=None, port=None, body=None, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port or S3.port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse(); b = r.read()
    h = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, h, b
def obj(key, **kw): return req("GET", "/%s/%s" % (BUCKET, key), **kw)
def listing(prefix, token=None, port=None):
    q = {"list-type": "2", "prefix": prefix}
    if token is not None: q["continuation-token"] = token
    st, h, b = req("GET", "/%s?%s" % (BUCKET, urllib.parse.urlencode(q)), port=port)
    return st, b
def xml(b):
    root = ET.fromstring(b)
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    return root, ns
CANON = {"sensor_id": "sensors_id", "unit": "units"}
NUM = {"location_id", "sensors_id", "lat", "lon", "value"}
def to_ndjson(csvtext):
    rows = list(csv.reader(io.StringIO(csvtext)))
    names = [CANON.get(n, n) for n in rows[0]]
    out = []
    for r in rows[1:]:
        parts = []
        for n, x in zip(names, r):
            v = "null" if x == "" else x if n in NUM else json.dumps(x, ensure_ascii=False)
            parts.append("\"%s\":%s" % (n, v))
        out.append("{" + ",".join(parts) + "}\n")
    return out
index = [json.loads(l) for l in open(os.environ["S3_INDEX"])]
'

s3_start
check 's3rver is running on 127.0.0.1' kill -0 "$S3_PID"
check_eq 'OPENAQ_ARCHIVE_URL is the path-style bucket URL' "$OPENAQ_ARCHIVE_URL" "http://127.0.0.1:$S3_PORT/openaq-data-archive"
check 'the bucket is seeded (default locations, a big one)' s3_seed --locations 300
diag "$(cat "$TMP/s3seed.err")"
export S3_INDEX S3_TRUTH
big=$("$S3_PY" -c 'import json,sys,collections
c = collections.Counter(json.loads(l)["location_id"] for l in open(sys.argv[1]))
print(c.most_common(1)[0][0])' "$S3_INDEX")
hours=$(sed -n 's/.*--hours \([0-9]*\).*/\1/p' "$TMP/s3seed.err")

# --- listing ------------------------------------------------------------------
s3_list "records/csv.gz/locationid=$big/" >"$TMP/big.keys"
n=$(wc -l <"$TMP/big.keys")
check 'the big location has more than 1000 keys' test "$n" -gt 1000
check 'and its listing took more than one page' test "$(cat "$TMP/s3list.pages")" -gt 1
grep "\"location_id\": $big," "$S3_INDEX" | "$S3_PY" -c 'import json,sys
for l in sys.stdin: print(json.loads(l)["key"])' >"$TMP/big.want"
check_same 'the pages list exactly the seeded keys, in order' "$TMP/big.keys" "$TMP/big.want"
check 'its keys span several years' test "$(sed 's/.*year=\([0-9]*\).*/\1/' "$TMP/big.keys" | sort -u | wc -l)" -ge 3
check 'and some of its days are missing' test "$n" -lt 1250
s3_list records/csv.gz/ >"$TMP/all.keys"
"$S3_PY" -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["key"])' "$S3_INDEX" >"$TMP/all.want"
check_same 'the whole bucket lists in key order, as indexed' "$TMP/all.keys" "$TMP/all.want"

py_checks "$big" <<EOF
$PRE
big = sys.argv[1]
prefix = "records/csv.gz/locationid=%s/" % big
st, b = listing(prefix)
root, ns = xml(b)
tok = root.findtext(ns + "NextContinuationToken")
check(st == 200 and root.findtext(ns + "IsTruncated") == "true" and root.findtext(ns + "KeyCount") == "1000"
      and root.findtext(ns + "MaxKeys") == "1000" and tok, "page 1: 1000 keys, IsTruncated, a token", b[:300])
c0 = root.find(ns + "Contents")
k0 = c0.findtext(ns + "Key")
i0 = [x for x in index if x["key"] == k0][0]
check(c0.findtext(ns + "ETag") == i0["etag"] and int(c0.findtext(ns + "Size")) == i0["size"],
      "a listed ETag is the quoted MD5 of the bytes, Size their length", ET.tostring(c0)[:300], i0)
check(b'<ETag>&quot;' in b, "the ETag is XML-escaped (&quot;)")
st, b2 = listing(prefix, tok)
check(st == 200, "page 2 with the token: 200 (s3rver runs with the legacy OpenSSL provider)", st, b2[:300])
r2, _ = xml(b2)
check(r2.findtext(ns + "IsTruncated") == "false" and int(r2.findtext(ns + "KeyCount")) > 0, "page 2 is the last")
st, b = listing("records/csv.gz/locationid=999999/")
r, _ = xml(b)
check(st == 200 and r.findtext(ns + "KeyCount") == "0" and r.find(ns + "Contents") is None,
      "an empty prefix lists no key", b[:300])
st, h, b = obj("records/csv.gz/locationid=999999/year=2026/month=01/location-999999-20260101.csv.gz")
check(st == 404 and b"<Code>NoSuchKey</Code>" in b, "a missing key: 404 NoSuchKey", st, b[:200])
EOF

# --- objects: the bytes, the truth ---------------------------------------------
py_checks <<EOF
$PRE
truth = open(os.environ["S3_TRUTH"], encoding="utf-8").read().splitlines(True)
got, styles, enc_ok, gz_ok, qnum = [], set(), True, True, {True: 0, False: 0}
c = http.client.HTTPConnection("127.0.0.1", S3.port, timeout=60)
bad = []
for o in index:
    c.request("GET", "/%s/%s" % (BUCKET, o["key"]))
    r = c.getresponse(); b = r.read()
    if r.status != 200 or hashlib.md5(b).hexdigest() != o["etag"].strip(chr(34)) or r.getheader("ETag") != o["etag"]:
        bad.append((o["key"], r.status, r.getheader("ETag")))
        continue
    gz_ok &= b[:2] == b"\x1f\x8b"
    enc_ok &= (r.getheader("Content-Encoding") == "gzip") == (o["encoding"] == "gzip")
    text = gzip.decompress(b).decode("utf-8")
    rows = to_ndjson(text)
    if len(rows) != o["rows"]:
        bad.append((o["key"], "rows", len(rows), o["rows"]))
    got += rows
    head, first = text.split("\n", 2)[:2]
    styles.add(("quoted header" if head.startswith(chr(34)) else "bare header")
               + (", space datetime" if first.split(",")[3][:20].count(" ") else ""))
    if head.startswith(chr(34)):
        qnum[first.endswith(chr(34))] += 1
check(not bad, "every object downloads with its ETag (the MD5 of its bytes)", *bad[:5])
check(gz_ok, "every object is gzip (1f 8b)")
check(enc_ok, "Content-Encoding: gzip exactly on the objects stored so")
check(got == truth, "the objects, gunzipped, parsed with python csv, in key order: the truth, row for row",
      "got %d rows, truth %d" % (len(got), len(truth)),
      *[("row %d" % i, g, t) for i, (g, t) in enumerate(zip(got, truth)) if g != t][:3])
check({"bare header", "bare header, space datetime", "quoted header"} <= styles, "both styles, and space datetimes", styles)
check(qnum[True] > 0 and qnum[False] > 0, "new-style objects with quoted numbers and with bare ones", qnum)
rows = [json.loads(l) for l in truth]
check(list(rows[0]) == ["location_id", "sensors_id", "location", "datetime", "lat", "lon", "parameter", "units", "value"],
      "truth keys in header order", list(rows[0]))
check(any(r["location"] and "," in r["location"] and chr(34) in r["location"] for r in rows),
      "a location name with a comma and double quotes")
check(any(r["value"] == -999 for r in rows), "some -999 values")
check(any(r["location"] is None for r in rows) and any(r["lat"] is None and r["lon"] is None for r in rows),
      "empty fields are null (a null name, null coordinates)")
check(all(isinstance(r["location_id"], int) and isinstance(r["sensors_id"], int) for r in rows), "ids are integers")
check(any("+05:45" in r["datetime"] for r in rows) and any("-0" in r["datetime"][19:] for r in rows),
      "local offsets (+05:45, negative)")
EOF

# --- the same data set as the fake API ----------------------------------------------
api_start --locations 300 --hours "$hours"
py_checks "$API_URL" <<EOF
$PRE
import datetime as dt
api = sys.argv[1]
def dump(path, **q):
    u = "/__fake/dump?path=" + urllib.parse.quote(path) + "".join("&%s=%s" % (k, urllib.parse.quote(v)) for k, v in q.items())
    c = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlsplit(api).port, timeout=120)
    c.request("GET", u); return json.loads(c.getresponse().read())["results"]
bad_loc, bad_rows, bad_hours, n = [], [], [], 0
for lid in sorted({o["location_id"] for o in index}):
    L = dump("/v3/locations/%d" % lid)[0]
    name = None if L["name"] is None else "%s-%d" % (L["name"], lid)
    sens = {s["id"]: s["parameter"] for s in L["sensors"]}
    # the location's last object, against /measurements and /hours of its local day
    o = [x for x in index if x["location_id"] == lid][-1]
    rows = [json.loads(l) for l in to_ndjson(gzip.decompress(obj(o["key"])[2]).decode())]
    if not all(r["location"] == name and r["lat"] == L["coordinates"]["latitude"]
               and r["lon"] == L["coordinates"]["longitude"] and r["sensors_id"] in sens
               and sens[r["sensors_id"]]["name"] == r["parameter"] and sens[r["sensors_id"]]["units"] == r["units"]
               for r in rows):
        bad_loc.append(lid)
    d0 = o["day"] + "T00:00:00"
    d1 = (dt.date.fromisoformat(o["day"]) + dt.timedelta(days=1)).isoformat() + "T00:00:00"
    for sid in sens:
        meas = dump("/v3/sensors/%d/measurements" % sid, datetime_from=d0, datetime_to=d1)
        hrs = dump("/v3/sensors/%d/hours" % sid, datetime_from=d0, datetime_to=d1)
        want = [(m["period"]["datetimeTo"]["local"], m["value"]) for m in meas]
        have = [(r["datetime"].replace(" ", "T"), r["value"]) for r in rows if r["sensors_id"] == sid]
        if want != have:
            bad_rows.append((lid, sid, want[:2], have[:2]))
        if [h["period"]["datetimeTo"]["local"] for h in hrs] != [w[0] for w in want]:
            bad_hours.append((lid, sid))
        n += len(want)
check(not bad_loc, "each row's location, coordinates, sensor, parameter and units are the fake API's", bad_loc)
check(not bad_rows and n > 0, "a day's rows are /v3/sensors/S/measurements' hours and raw values (%d rows)" % n,
      *bad_rows[:3])
check(not bad_hours, "and /v3/sensors/S/hours lists the same hours", bad_hours[:3])
EOF
api_stop

# --- PUT, patch, If-None-Match ---------------------------------------------------
key1=$(sed -n 1p "$TMP/all.keys")
py_checks "$key1" "$TMP/put.gz" <<EOF
$PRE
key = sys.argv[1]
st, h, b = obj(key)
open(sys.argv[2], "wb").write(b)
json.dump({"etag": h["etag"], "lm": h["last-modified"], "ct": h.get("content-type"), "ce": h.get("content-encoding")},
          open(sys.argv[2] + ".h", "w"))
EOF
check 's3_put puts an object' s3_put "records/put/copy.csv.gz" "$TMP/put.gz" Content-Encoding:gzip Content-Type:text/csv
check 's3_put puts an object without headers' s3_put "records/put/plain.csv.gz" "$TMP/put.gz"
py_checks "$key1" "$TMP/put.gz" <<EOF
$PRE
key = sys.argv[1]
o = json.load(open(sys.argv[2] + ".h"))
st, h, b = obj("records/put/copy.csv.gz")
check(st == 200 and b == open(sys.argv[2], "rb").read() and h["etag"] == o["etag"],
      "a PUT object: the same bytes and ETag as the seeded one", st, h)
check(h.get("content-encoding") == "gzip" and h.get("content-type") == "text/csv", "PUT headers are kept", h)
st, h, b = obj("records/put/plain.csv.gz")
check(h.get("content-type") == "binary/octet-stream" and "content-encoding" not in h,
      "no Content-Encoding unless given; s3rver's default Content-Type", h)
EOF

patched=$(sed -n 2p "$TMP/all.keys")
cp "$S3_INDEX" "$TMP/index.before"
check 's3seed patches one object' s3_seed --locations 300 --patch "$patched" --only "$patched" \
	--truth "$TMP/patched.truth" --index "$TMP/patched.index"
check 's3seed without --only, with --patch: the full truth after the patch' \
	"$S3_PY" "$AQ_SRCDIR/t/s3seed.py" --locations 300 --patch "$patched" --truth "$TMP/full-after.truth"
py_checks "$patched" "$TMP/index.before" "$TMP/patched.index" "$TMP/patched.truth" "$TMP/full-after.truth" <<EOF
$PRE
key, before, after, ptruth, full = sys.argv[1:6]
old = {json.loads(l)["key"]: json.loads(l) for l in open(before)}
new = [json.loads(l) for l in open(after)]
check(len(new) == 1 and new[0]["key"] == key, "--only: one object indexed", new)
check(new[0]["etag"] != old[key]["etag"], "the patched object has a new ETag")
st, b = listing(key)
r, ns = xml(b)
check(r.find(ns + "Contents").findtext(ns + "ETag") == new[0]["etag"], "and the listing shows it", b[:400])
st, h, b = obj(key, headers={"If-None-Match": old[key]["etag"]})
check(st == 200 and h["etag"] == new[0]["etag"], "If-None-Match the old ETag: 200 with the new object", st, h)
check(to_ndjson(gzip.decompress(b).decode()) == open(ptruth, encoding="utf-8").read().splitlines(True),
      "which gunzips to the patched truth")
st, h, b = obj(key, headers={"If-None-Match": new[0]["etag"]})
check(st == 304 and b == b"", "If-None-Match the new ETag: 304", st, h)
other = [k for k in old if k != key][5]
st, h, b = obj(other, headers={"If-None-Match": old[other]["etag"]})
check(st == 304, "an unpatched object is unchanged (304)", st)
ft = open(full, encoding="utf-8").read().splitlines(True)
orig = open(os.environ["S3_TRUTH"], encoding="utf-8").read().splitlines(True)
pt = open(ptruth, encoding="utf-8").read().splitlines(True)
check(len(ft) == len(orig) and sum(a != b for a, b in zip(ft, orig)) > 0
      and all(x in ft for x in pt), "the full truth after the patch differs from the first only in that object",
      len(ft), len(orig))
EOF

check 'the same object patched again, with --patch-delta 2' s3_seed --locations 300 --patch "$patched" \
	--patch-delta 2 --only "$patched" --truth "$TMP/patched2.truth" --index "$TMP/patched2.index"
e1=$(sed 's/.*"etag": "\([^,]*\)", .*/\1/' "$TMP/patched.index")
e2=$(sed 's/.*"etag": "\([^,]*\)", .*/\1/' "$TMP/patched2.index")
check 'has a third ETag' test -n "$e1" -a -n "$e2" -a "$e1" != "$e2"
s3_list "$patched" >"$TMP/p2.keys"
check_eq 'and is still one key' "$(cat "$TMP/p2.keys")" "$patched"

# --upload (PUT) and --out (a plain tree) give the same objects as --store
lid=$(sed -n 's/.*locationid=\([0-9]*\)\/.*/\1/p' "$TMP/all.keys" | sort -u | sed -n 2p)
check 's3seed --upload PUTs objects (patched, so that they change)' \
	"$S3_PY" "$AQ_SRCDIR/t/s3seed.py" --locations 300 --ids "$lid" --big none --patch '*' \
	--upload "$S3_URL/$S3_BUCKET" --out "$TMP/tree" --index "$TMP/up.index"
s3_list "records/csv.gz/locationid=$lid/" >"$TMP/up.keys"
py_checks "$TMP/up.index" "$TMP/tree" <<EOF
$PRE
up = [json.loads(l) for l in open(sys.argv[1])]
st, b = listing(up[0]["key"].rsplit("/", 3)[0] + "/")
r, ns = xml(b)
listed = {c.findtext(ns + "Key"): c.findtext(ns + "ETag") for c in r.findall(ns + "Contents")}
check(up and all(listed.get(o["key"]) == o["etag"] for o in up) and len(listed) == len(up),
      "the uploaded objects are listed with their ETags", up[:1], listed)
old = {o["key"]: o["etag"] for o in index}
check(all(old[o["key"]] != o["etag"] for o in up), "and replaced the stored ones")
check(all(open(os.path.join(sys.argv[2], o["key"]), "rb").read() == obj(o["key"])[2] for o in up),
      "--out wrote the same bytes")
EOF

# --- the fault proxy ------------------------------------------------------------------
s3fault_start
check 'the proxy is running' kill -0 "$S3FAULT_PID"
check_eq 'OPENAQ_ARCHIVE_URL goes through the proxy' "$OPENAQ_ARCHIVE_URL" "$S3FAULT_URL/openaq-data-archive"
s3_list "records/csv.gz/locationid=$big/" "$S3FAULT_URL/$S3_BUCKET" >"$TMP/proxy.keys"
check_same 'a listing through the proxy is the listing' "$TMP/proxy.keys" "$TMP/big.keys"

k=$(sed -n 3p "$TMP/all.keys")
s3fault_reset
s3fault_add "slowdown~$k*2"
s3fault_add "denied~$(sed -n 4p "$TMP/all.keys")"
s3fault_add "reset~$(sed -n 5p "$TMP/all.keys")"
s3fault_add "truncate~$(sed -n 6p "$TMP/all.keys")"
s3fault_add "short~$(sed -n 7p "$TMP/all.keys")"
s3fault_add "stall:1.5~$(sed -n 8p "$TMP/all.keys")"
s3fault_add "stallbody:1.5~$(sed -n 9p "$TMP/all.keys")"
s3fault_add "internal@30"
py_checks "$S3FAULT_PORT" "$TMP/all.keys" "$TMP/s3fault.log" <<EOF
$PRE
P = int(sys.argv[1])
keys = open(sys.argv[2]).read().split()
full = {}
for k in keys[2:9]:
    full[k] = obj(k)[2]
def raw_get(key, quiet=None):
    """(status line, headers dict, body bytes, how it ended, seconds to the first byte)
    over a bare socket; with quiet, a silence of that many seconds once some of the
    body has come ends it ("timeout")."""
    s = socket.create_connection(("127.0.0.1", P), timeout=30)
    s.sendall(("GET /%s/%s HTTP/1.1\r\nHost: x\r\n\r\n" % (BUCKET, key)).encode())
    data, end = b"", "eof"
    t0, first = time.time(), None
    try:
        while True:
            b = s.recv(65536)
            if first is None: first = time.time() - t0
            if not b: break
            data += b
            if b"\r\n\r\n" in data:
                hd = data.split(b"\r\n\r\n", 1)
                cl = [l for l in hd[0].split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(hd[1]) >= int(cl[0].split(b":")[1]): end = "complete"; break
                if quiet and hd[1]: s.settimeout(quiet)
    except ConnectionResetError:
        end = "reset"
    except socket.timeout:
        end = "timeout"
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    h = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    return lines[0], h, body, end, first
st, h, b = obj(keys[9], port=P)
st2, h2, b2 = obj(keys[9], port=P, headers={"If-None-Match": h["etag"]})
st3, h3, b3 = req("HEAD", "/%s/%s" % (BUCKET, keys[9]), port=P)
check(st == 200 and b == obj(keys[9])[2] and h["etag"] == obj(keys[9])[1]["etag"], "GET through the proxy: the object, its ETag")
check(st2 == 304 and b2 == b"" and st3 == 200 and h3["content-length"] == str(len(b)) and b3 == b"",
      "If-None-Match (304) and HEAD pass through", (st2, h2), (st3, h3))
req("GET", "/__s3fault/reset", port=P)
k = keys[2]
a = obj(k, port=P); b = obj(k, port=P); c = obj(k, port=P)
check(a[0] == 503 and b[0] == 503 and b"<Code>SlowDown</Code>" in a[2] and a[1].get("content-type") == "application/xml",
      "slowdown~KEY*2: two 503 SlowDown (XML)", a)
check(c[0] == 200 and c[2] == full[k], "then the object itself")
st, h, body = obj(keys[3], port=P)
check(st == 403 and b"<Code>AccessDenied</Code>" in body and keys[3] in open(sys.argv[2]).read(),
      "denied~KEY: 403 AccessDenied on a listed key", st, body)
st, h, body = obj(keys[3], port=P)
check(st == 200, "once (no *C): the next GET is served", st)
line, h, body, end, _ = raw_get(keys[4])
check(line.endswith("200 OK") and end == "reset" and 0 < len(body) < int(h["content-length"]) == len(full[keys[4]])
      and full[keys[4]].startswith(body), "reset~KEY: headers and part of the body, then a TCP reset",
      line, end, len(body), h)
line, h, body, end, _ = raw_get(keys[5])
check(end == "complete" and int(h["content-length"]) == len(body) < len(full[keys[5]]) and full[keys[5]].startswith(body),
      "truncate~KEY: a complete answer, Content-Length = the cut body", end, len(body), h)
try:
    gzip.decompress(body); broken = False
except (EOFError, zlib.error, OSError):
    broken = True
check(broken, "whose gzip stream is broken")
line, h, body, end, _ = raw_get(keys[6])
check(end == "eof" and int(h["content-length"]) == len(full[keys[6]]) > len(body) > 0,
      "short~KEY: the full Content-Length, part of the body, then EOF", end, len(body), h)
line, h, body, end, first = raw_get(keys[7])
check(end == "complete" and body == full[keys[7]] and first >= 1.4, "stall:1.5~KEY: nothing for 1.5 s, then the object",
      end, first)
line, h, body, end, first = raw_get(keys[8], quiet=0.7)
check(end == "timeout" and 0 < len(body) < len(full[keys[8]]), "stallbody:1.5~KEY: half the body, then silence",
      end, len(body))
n = 0
while n < 40:
    n += 1
    st, h, body = req("GET", "/%s?list-type=2&prefix=records/put/" % BUCKET, port=P)
    if st != 200: break
log = json.loads(req("GET", "/__s3fault/requests", port=P)[2])
check(st == 500 and b"<Code>InternalError</Code>" in body and log[-1]["n"] == 30 and log[-1]["fault"] == "internal@30",
      "internal@30: the 30th request gets 500 InternalError", st, n, log[-1:])
want = [("GET", "/%s/%s" % (BUCKET, k), s) for k, s in ((keys[2], 503), (keys[2], 503), (keys[2], 200), (keys[3], 403),
        (keys[3], 200), (keys[4], 200), (keys[5], 200), (keys[6], 200), (keys[7], 200), (keys[8], 200))]
check([(r["method"], r["path"], r["status"]) for r in log[:10]] == want, "the log: method, path, status of each request",
      [(r["method"], r["path"], r["status"], r["fault"]) for r in log[:10]])
check(log[10]["query"] == "list-type=2&prefix=records/put/", "and the query", log[10])
st, h, b = req("GET", "/%s?list-type=2&prefix=records/put/" % BUCKET, port=P,
               headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x", "X-API-Key": "k"})
log = json.loads(req("GET", "/__s3fault/requests", port=P)[2])
hd = [n.lower() for n, v in log[-1]["headers"]]
check("authorization" in hd and "x-api-key" in hd and "host" in hd, "every request header is recorded", log[-1]["headers"])
check(not any(n.lower() in ("authorization", "x-api-key") for r in log[:-1] for n, v in r["headers"]),
      "(none of the others sent Authorization or X-API-Key)")
lines = [json.loads(l) for l in open(sys.argv[3])]
check(len(lines) >= len(log) and lines[-1] == log[-1], "--log holds the same records", len(lines), len(log))
EOF
st=$(s3fault_admin "fault?spec=nope~x" >/dev/null 2>&1; echo $?)
check_eq 'a bad fault spec is refused' "$st" 1

done_testing
