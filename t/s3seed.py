#!/usr/bin/env python3
"""s3seed.py: the OpenAQ S3 archive's objects for the tests, from the fake API's data set.

Python 3 standard library only.  The objects follow /work/shared/archive.md: keys
records/csv.gz/locationid={id}/year={YYYY}/month={MM}/location-{id}-{YYYYMMDD}.csv.gz,
one per location per LOCAL day of the location, gzip-compressed CSV with the header
location_id,sensors_id,location,datetime,lat,lon,parameter,units,value.

DATA
    The world (locations, sensors, time zones, readings) is t/fakeapi.py's World,
    imported, built from the same --seed, --locations and --now: run the fake API with
    the same three options and the ids agree.  The readings are the fake's too: the
    rows of sensor S are exactly the hours that /v3/sensors/S/hours and
    /v3/sensors/S/measurements list (a gappy sensor's missing hours are missing here;
    a stale sensor stops at its last hour), each with the RAW value, i.e.
    /v3/sensors/S/measurements' "value" (-999.0 on error hours, written -999 in the
    newer style), whereas /hours serves the 3-significant-digit aggregate, null on
    error hours.  The fake only serves --hours hours back from --now: s3seed.py
    prints on stderr the --hours that makes the fake serve every hour it wrote.
    A local day D holds the hours whose period END t satisfies
    D 00:00 < t <= D+1 00:00 local (the fake API's /days grouping): datetime is t in
    the location's local offset, ISO-8601 (period end).  Rows are ordered by datetime,
    then by the location's sensor order.  location is "{name}-{id}", empty when the
    name is null (PostgreSQL's null || text); lat and lon are empty when the
    coordinates are null.  Empty fields are null in the truth.

STYLES (--style, per object)
    old        nothing quoted unless needed (RFC 4180: commas and quotes), doubled quotes
    old-space  old, with a space instead of T in datetime
    old-alt    old, with the docs' header spellings sensor_id and unit
    new        header names quoted, strings and datetimes quoted, location_id and
               sensors_id bare, lat, lon and value quoted (the 2024+ files)
    new-bare   new, with every number bare
    mixed      (default) per object from a hash of the key: old, old-space, new, new-bare
    by-year    old before 2024 (some old-space), new or new-bare from 2024
    Empty fields are always bare (PostgreSQL never quotes a null).  Lines end in \\n.
    Some objects (about a quarter, --encoding mixed) are stored with
    Content-Encoding: gzip and Content-Type: text/csv, the others with no
    Content-Type (s3rver answers binary/octet-stream): the bytes are gzip either way.

USAGE
    python3 t/s3seed.py [options]
    --seed N, --locations N, --now ISO    the fake API's world (defaults as fakeapi.py)
    --ids ID,ID... | --iso CC | --ids auto   which locations get objects; auto (the
                    default) picks a few that matter: a name with a comma and double
                    quotes, a name with a comma, a null name, null coordinates, a
                    +05:45 zone, a DST zone west of UTC, and the --big location
    --from DAY --to DAY   local days, inclusive (default: the three days ending three
                    days before --now's UTC date)
    --big ID|auto|none    one location with --big-days days ending at --to (default
                    auto: a one-sensor live location; 1250 days: over 1000 keys
                    under its prefix spread over four years, so that a listing
                    needs several pages)
    --big-days N
    --missing FRAC  the fraction of location-days left out, from a hash (default 0.05)
    --style STYLE   see STYLES;  --style-for GLOB=STYLE  overrides it for the keys
                    matching GLOB (fnmatch; repeatable, the first match wins)
    --encoding mixed|none|gzip   which objects carry Content-Encoding: gzip
    --patch GLOB    the objects matching GLOB are "re-exported": every value that is
                    not an error becomes value + --patch-delta (default 1; new bytes,
                    so a new ETag; patch the same object again with another delta)
    --only GLOB     only the objects matching GLOB are written, uploaded, indexed and
                    in the truth (repeatable: any match)
  outputs (any number of them):
    --out DIR       plain files DIR/KEY
    --store DIR     straight into the store of "s3rver -d DIR" (bucket --bucket,
                    default openaq-data-archive): KEY._S3rver_object, .md5 and
                    ._S3rver_metadata.json, s3rver 3.7.1's layout; it reads them
                    per request, so this works while it runs.  LastModified is the
                    file's mtime: set to 72 hours after the local day ends (the
                    archive's delay), or to now for a --patch'ed object.
                    Much faster than PUT (1200 objects: about 1 s against 11 s here).
    --upload URL    an unsigned PUT of each object to URL/KEY (URL: the bucket,
                    http://127.0.0.1:PORT/openaq-data-archive)
    --truth FILE    every CSV row as one NDJSON object, keys location_id, sensors_id,
                    location, datetime, lat, lon, parameter, units, value; ids JSON
                    integers, lat/lon/value JSON numbers whose text is the field's
                    text, the others strings, an empty field null; objects in key
                    (byte) order, rows in file order: what aq-fetch archive writes
    --index FILE    one NDJSON object per object: key, etag (quoted, as S3 sends it),
                    size, rows, style, encoding, location_id, day
    --keys          print the keys on stdout, one a line

EXAMPLES
    s3seed.py --locations 300 --store "$TMP/s3" --truth truth.ndjson --index index.ndjson
    s3seed.py --locations 300 --patch '*-20261123.csv.gz' --only '*-20261123.csv.gz' \\
        --ids 179 --big none --store "$TMP/s3" --truth patched.ndjson
"""

import argparse
import datetime as dt
import fnmatch
import gzip
import hashlib
import http.client
import json
import os
import struct
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True   # no __pycache__ in the source tree (read-only under distcheck)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeapi  # noqa: E402  (the world and its readings)

HEADER = ["location_id", "sensors_id", "location", "datetime", "lat", "lon", "parameter", "units", "value"]
HEADER_ALT = ["location_id", "sensor_id", "location", "datetime", "lat", "lon", "parameter", "unit", "value"]
STYLES = ("old", "old-space", "old-alt", "new", "new-bare", "mixed", "by-year")
NUMERIC = {"location_id", "sensors_id", "lat", "lon", "value"}
BUCKET = "openaq-data-archive"
SUFFIX = "._S3rver_"


def h64(*parts):
    """a deterministic 64-bit number of the parts."""
    b = ":".join(str(p) for p in parts).encode()
    return struct.unpack(">Q", hashlib.blake2b(b, digest_size=8).digest())[0]


def frac(*parts):
    return h64(*parts) / 2.0 ** 64


def ftext(x):
    """the text of a float as a CSV field (Python's repr: 14.0, 0.0123, -106.584702)."""
    return repr(float(x))


def minimal(s):
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def quoted(s):
    return '"' + s.replace('"', '""') + '"'


class Seeder:
    def __init__(self, a):
        self.a = a
        now = dt.datetime.fromisoformat(a.now.replace("Z", "+00:00"))
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        self.now0 = now.timestamp()
        today = now.astimezone(dt.timezone.utc).date()
        self.d1 = dt.date.fromisoformat(a.to) if a.to else today - dt.timedelta(days=3)
        self.d0 = dt.date.fromisoformat(a.from_) if a.from_ else self.d1 - dt.timedelta(days=2)
        if self.d0 > self.d1:
            raise SystemExit("s3seed: --from after --to")
        self.big_d0 = self.d1 - dt.timedelta(days=a.big_days - 1)
        first = (self.d0 if a.big == "none" else min(self.d0, self.big_d0)) - dt.timedelta(days=2)
        first_t = dt.datetime(first.year, first.month, first.day, tzinfo=dt.timezone.utc).timestamp()
        nowh = int(self.now0 // 3600 * 3600)
        # hours of history so that every sensor has readings from before the first day
        self.hours = max(72, int((nowh - first_t) // 3600) + 1)
        self.world = fakeapi.World(a.seed, a.locations, self.hours, self.now0)
        self.nowh = nowh
        self.pick_locations()

    # --- which locations ----------------------------------------------------
    def live(self, loc):
        return any(not s["nodata"] for s in loc["sensors"])

    def pick_locations(self):
        a, w = self.a, self.world
        big = None
        if a.big == "auto":
            for loc in w.locations:
                if (len(loc["sensors"]) == 1 and loc["name"] and not loc["nullcoord"]
                        and all(s["last"] is None and not s["nodata"] and not s["gappy"] for s in loc["sensors"])):
                    big = loc["id"]
                    break
        elif a.big != "none":
            big = int(a.big)
            if big not in w.loc_by_id:
                raise SystemExit("s3seed: --big %d: no such location" % big)
        if a.iso:
            ids = [l["id"] for l in w.locations if l["country"][1] == a.iso.upper()]
        elif a.ids and a.ids != "auto":
            ids = [int(x) for x in a.ids.split(",") if x.strip()]
            for i in ids:
                if i not in w.loc_by_id:
                    raise SystemExit("s3seed: --ids: no location %d" % i)
        else:
            tests = [
                lambda l: l["name"] and '"' in l["name"] and "," in l["name"],
                lambda l: l["name"] and "," in l["name"] and '"' not in l["name"],
                lambda l: l["name"] is None,
                lambda l: l["nullcoord"],
                lambda l: l["tz"] == "Asia/Kathmandu",
                lambda l: l["tz"].startswith("America/") and l["tz"] != "America/Sao_Paulo",
            ]
            ids = []
            for t in tests:
                for loc in w.locations:
                    if loc["id"] != big and loc["id"] not in ids and self.live(loc) and t(loc):
                        ids.append(loc["id"])
                        break
        self.big = big
        self.ids = sorted(set(ids) | ({big} if big is not None else set()))

    # --- objects ------------------------------------------------------------
    def days(self, lid):
        d0 = self.big_d0 if lid == self.big else self.d0
        d = d0
        while d <= self.d1:
            yield d
            d += dt.timedelta(days=1)

    @staticmethod
    def key(lid, d):
        return "records/csv.gz/locationid=%d/year=%04d/month=%02d/location-%d-%04d%02d%02d.csv.gz" % (
            lid, d.year, d.month, lid, d.year, d.month, d.day)

    def style_of(self, key, d):
        for pat, st in self.a.style_for:
            if fnmatch.fnmatchcase(key, pat):
                return st
        st = self.a.style
        r = frac(self.a.seed, "style", key)
        if st == "mixed":
            return "old" if r < 0.35 else "old-space" if r < 0.45 else "new" if r < 0.75 else "new-bare"
        if st == "by-year":
            if d.year < 2024:
                return "old-space" if r < 0.15 else "old"
            return "new" if r < 0.6 else "new-bare"
        return st

    def encoding_of(self, key):
        e = self.a.encoding
        if e == "mixed":
            return "gzip" if frac(self.a.seed, "encoding", key) < 0.25 else "none"
        return e

    def rows(self, loc, d, patched):
        """[(t, sensor, value)] of location loc for local day d, in file order."""
        w = self.world
        tz = w.tz(loc)
        lo = dt.datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()
        n = d + dt.timedelta(days=1)
        hi = dt.datetime(n.year, n.month, n.day, tzinfo=tz).timestamp()
        out = []
        for s in loc["sensors"]:
            for t in w.hours_in(s, lo, hi, self.nowh):
                v = w.reading(s["id"], t)[1]
                if patched and v != -999.0:
                    v = round(v + self.a.patch_delta, fakeapi.PARAM[s["param"]][7])
                out.append((t, s, v))
        out.sort(key=lambda r: r[0])   # stable: sensors in location order within an hour
        return out, hi

    def fields(self, loc, t, s, v, style):
        """the nine field texts, in header order ('' for null)."""
        w = self.world
        p = fakeapi.PARAM[s["param"]]
        when = dt.datetime.fromtimestamp(t, w.tz(loc)).isoformat()
        if style == "old-space":
            when = when.replace("T", " ", 1)
        if v == -999.0:
            vt = "-999" if style.startswith("new") else "-999.0"
        else:
            vt = ftext(v)
        return [str(loc["id"]), str(s["id"]),
                "" if loc["name"] is None else "%s-%d" % (loc["name"], loc["id"]),
                when,
                "" if loc["nullcoord"] else ftext(loc["lat"]),
                "" if loc["nullcoord"] else ftext(loc["lon"]),
                p[1], p[2], vt]

    @staticmethod
    def csv_line(f, style):
        if style.startswith("old"):
            return ",".join(minimal(x) for x in f) + "\n"
        out = []
        for name, x in zip(HEADER, f):
            if x == "" or name in ("location_id", "sensors_id") or (style == "new-bare" and name in NUMERIC):
                out.append(x)
            else:
                out.append(quoted(x))
        return ",".join(out) + "\n"

    @staticmethod
    def truth_line(f):
        parts = []
        for name, x in zip(HEADER, f):
            if x == "":
                val = "null"
            elif name in NUMERIC:
                val = x
            else:
                val = json.dumps(x, ensure_ascii=False)
            parts.append('"%s":%s' % (name, val))
        return "{" + ",".join(parts) + "}\n"

    def objects(self):
        """yield dicts (key, body, rows, truth, style, encoding, ...) in key order."""
        a = self.a
        keys = []
        for lid in self.ids:
            for d in self.days(lid):
                k = self.key(lid, d)
                if a.only and not any(fnmatch.fnmatchcase(k, p) for p in a.only):
                    continue
                if frac(a.seed, "missing", lid, d.isoformat()) < a.missing:
                    continue
                keys.append((k, lid, d))
        keys.sort()
        for k, lid, d in keys:
            loc = self.world.loc_by_id[lid]
            patched = any(fnmatch.fnmatchcase(k, p) for p in a.patch)
            rows, day_end = self.rows(loc, d, patched)
            if not rows:
                continue  # no reading that day (a stale or empty location): no file
            style = self.style_of(k, d)
            head = HEADER_ALT if style == "old-alt" else HEADER
            text = [(",".join(head) if style.startswith("old") else ",".join(quoted(h) for h in head)) + "\n"]
            truth = []
            for t, s, v in rows:
                f = self.fields(loc, t, s, v, style)
                text.append(self.csv_line(f, style))
                truth.append(self.truth_line(f))
            body = gzip.compress("".join(text).encode("utf-8"), 6, mtime=0)
            yield {"key": k, "body": body, "rows": len(rows), "truth": truth, "style": style,
                   "encoding": self.encoding_of(k), "location_id": lid, "day": d.isoformat(),
                   "patched": patched, "mtime": min(time.time(), day_end + 72 * 3600)}


def metadata(o):
    m = {}
    if o["encoding"] == "gzip":
        m = {"content-encoding": "gzip", "content-type": "text/csv"}
    return m


def write_store(root, o):
    parts = o["key"].split("/")
    d = os.path.join(root, BUCKET, *parts[:-1])
    os.makedirs(d, exist_ok=True)
    base = os.path.join(d, parts[-1] + SUFFIX)
    md5 = hashlib.md5(o["body"]).hexdigest()
    for name, data in (("object.md5", md5.encode()), ("metadata.json", json.dumps(metadata(o), indent=2).encode()),
                       ("object", o["body"])):
        tmp = "%s%s.tmp%d" % (base, name, os.getpid())
        with open(tmp, "wb") as f:
            f.write(data)
        if name == "object" and not o["patched"]:
            os.utime(tmp, (o["mtime"], o["mtime"]))
        os.rename(tmp, base + name)


class Uploader:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port or 80, u.path.rstrip("/")
        self.c = None

    def put(self, o):
        hdr = {"Content-Length": str(len(o["body"]))}
        hdr.update({k.title(): v for k, v in metadata(o).items()})
        for attempt in (1, 2):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.c.request("PUT", self.path + "/" + urllib.parse.quote(o["key"], safe="/=-_.~"),
                               body=o["body"], headers=hdr)
                r = self.c.getresponse()
                b = r.read()
                break
            except (OSError, http.client.HTTPException):
                self.c.close()
                self.c = None
                if attempt == 2:
                    raise
        if r.status != 200:
            raise SystemExit("s3seed: PUT %s: HTTP %d %s" % (o["key"], r.status, b[:200]))


def main(argv=None):
    global BUCKET
    ap = argparse.ArgumentParser(description="the S3 archive's objects for the tests (see the module docstring)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--locations", type=int, default=2000)
    ap.add_argument("--now", default="2026-11-28T12:00:00Z")
    ap.add_argument("--ids", default="auto")
    ap.add_argument("--iso")
    ap.add_argument("--from", dest="from_")
    ap.add_argument("--to")
    ap.add_argument("--big", default="auto")
    ap.add_argument("--big-days", type=int, default=1250)
    ap.add_argument("--missing", type=float, default=0.05)
    ap.add_argument("--style", default="mixed", choices=STYLES)
    ap.add_argument("--style-for", action="append", default=[])
    ap.add_argument("--encoding", default="mixed", choices=("mixed", "none", "gzip"))
    ap.add_argument("--patch", action="append", default=[])
    ap.add_argument("--patch-delta", type=float, default=1.0)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--out")
    ap.add_argument("--store")
    ap.add_argument("--bucket", default="openaq-data-archive")
    ap.add_argument("--upload")
    ap.add_argument("--truth")
    ap.add_argument("--index")
    ap.add_argument("--keys", action="store_true")
    a = ap.parse_args(argv)
    BUCKET = a.bucket
    sf = []
    for x in a.style_for:
        pat, _, st = x.rpartition("=")
        if not pat or st not in STYLES[:5]:
            ap.error("--style-for GLOB=STYLE, STYLE one of %s: %r" % (", ".join(STYLES[:5]), x))
        sf.append((pat, st))
    a.style_for = sf
    if a.big_days < 1:
        ap.error("--big-days must be positive")
    sd = Seeder(a)
    truth = open(a.truth, "w", encoding="utf-8") if a.truth else None
    index = open(a.index, "w", encoding="utf-8") if a.index else None
    up = Uploader(a.upload) if a.upload else None
    nobj = nrows = 0
    for o in sd.objects():
        nobj += 1
        nrows += o["rows"]
        if a.out:
            p = os.path.join(a.out, o["key"])
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(o["body"])
        if a.store:
            write_store(a.store, o)
        if up:
            up.put(o)
        if truth:
            truth.writelines(o["truth"])
        if index:
            index.write(json.dumps({"key": o["key"], "etag": '"%s"' % hashlib.md5(o["body"]).hexdigest(),
                                    "size": len(o["body"]), "rows": o["rows"], "style": o["style"],
                                    "encoding": o["encoding"], "location_id": o["location_id"],
                                    "day": o["day"]}) + "\n")
        if a.keys:
            print(o["key"])
    for f in (truth, index):
        if f:
            f.close()
    print("s3seed: %d objects, %d rows, locations %s (big: %s); the fake API serves the same readings "
          "with --seed %d --locations %d --now %s --hours %d"
          % (nobj, nrows, ",".join(map(str, sd.ids)), sd.big, a.seed, a.locations, a.now, sd.hours),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
