#!/usr/bin/env python3
"""fakeapi.py: a fake OpenAQ v3 API for the tests, the demo and the bench.

It follows ../shared/openaq-v3.md (in the source tree: the API as served):
the envelope and the meta.found quirks, the key check with the real 401
bodies, the per-key fixed rate window with the four x-ratelimit-* headers
and 429, the error bodies of every shape, the date semantics (datetime_from
exclusive, datetime_to inclusive on the period end; date_from/date_to on
/days and /years; the wrong family silently ignored), gzip over 1000 bytes,
HTTP/1.1 keep-alive.  Python 3 standard library only.

    python3 t/fakeapi.py [--port N] [--port-file F] [--key K]... [--seed N]
        [--locations N] [--hours H] [--now ISO|real] [--rate N] [--window S]
        [--rate-hour N] [--fault SPEC]... [--stall S] [--max-span H] [--log F]

Data is generated from the seed at start-up: parameters with their real ids,
about twenty countries (LU has 8 locations), providers, owners, instruments,
manufacturers, licenses, N locations with Unicode names and the nulls the
spec lists, 1 to 6 sensors each.  Every sensor has a reading every hour for
H hours up to "now" (floored to the hour), except stale sensors (about 10%,
last reading days ago) and silent ones (about 3%, none at all).  Values are
a hash of (seed, sensor, hour), computed on demand.

Rate limit: fixed windows of S seconds on the real clock (multiples of S
since the epoch), N requests each; a 429 does not count.

Faults (--fault or /__fake/fault?spec=): KIND@N (the Nth /v3 request),
KIND%N (every Nth), KIND~TEXT (the first request whose path?query holds
TEXT; KIND~TEXT*C the first C).  KINDs: 500 502 503 504 (gateway bodies:
HTML or empty), 408, 429, 401, 403 (WAF HTML), 404, 410, 422 (pydantic
list), 422s (bare JSON string), truncate (half the body, then close),
reset (RST, no answer), stall (--stall seconds, then answer), garbage
(200 with a body that is not JSON).  Faulted requests are not counted
against the rate window.

Admin, without a key, under /__fake/: stats, reset (stats and the request
counter; faults stay), clear (drop every fault), requests, now,
advance?hours=N, fault?spec=SPEC, dump?path=/v3/PATH&NAME=VALUE... (every
record of every page, {"results": [...]}), sensors[?parameter=ID], quit.
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARAMETERS = [
    (1, "pm10", "µg/m³", "PM10", "Particulate matter less than 10 micrometers in diameter mass concentration"),
    (2, "pm25", "µg/m³", "PM2.5", "Particulate matter less than 2.5 micrometers in diameter mass concentration"),
    (3, "o3", "µg/m³", "O₃ mass", "Ozone mass concentration"),
    (4, "co", "µg/m³", "CO mass", "Carbon Monoxide mass concentration"),
    (5, "no2", "µg/m³", "NO₂ mass", "Nitrogen Dioxide mass concentration"),
    (6, "so2", "µg/m³", "SO₂ mass", "Sulfur Dioxide mass concentration"),
    (7, "no2", "ppm", "NO₂", None),
    (8, "co", "ppm", "CO", None),
    (9, "so2", "ppm", "SO₂", None),
    (10, "o3", "ppm", "O₃", None),
    (19, "pm1", "µg/m³", None, "Particulate matter less than 1 micrometer in diameter mass concentration"),
    (98, "relativehumidity", "%", None, "Relative humidity"),
    (100, "temperature", "c", None, "Temperature (Celsius)"),
    (128, "temperature", "f", None, "Temperature (Fahrenheit)"),
    (132, "pressure", "mb", None, None),
]
COUNTRIES = [  # id, code, name, tz, utc offset in minutes
    (22, "LU", "Luxembourg", "Europe/Luxembourg", 60), (4, "FR", "France", "Europe/Paris", 60),
    (50, "DE", "Germany", "Europe/Berlin", 60), (155, "US", "United States", "America/Denver", -420),
    (9, "IN", "India", "Asia/Kolkata", 330), (79, "GB", "United Kingdom", "Europe/London", 0),
    (13, "JP", "Japan", "Asia/Tokyo", 540), (45, "BR", "Brazil", "America/Sao_Paulo", -180),
    (67, "CH", "Switzerland", "Europe/Zurich", 60), (88, "ES", "Spain", "Europe/Madrid", 60),
    (31, "CL", "Chile", "America/Santiago", -180), (102, "TH", "Thailand", "Asia/Bangkok", 420),
    (117, "NL", "Netherlands", "Europe/Amsterdam", 60), (7, "FJ", "Fiji", "Pacific/Fiji", 720),
    (130, "AU", "Australia", "Australia/Sydney", 660), (3, "CA", "Canada", "America/Toronto", -300),
    (201, "ZA", "South Africa", "Africa/Johannesburg", 120), (64, "MX", "Mexico", "America/Mexico_City", -360),
    (58, "PL", "Poland", "Europe/Warsaw", 60), (171, "NP", "Nepal", "Asia/Kathmandu", 345),
]
NAMES = ["Saint-Étienne – Fauriel", "Zürich Kaserne", "東京 千代田", "São Paulo Cerqueira César",
         "Del Norte", "Kraków, Aleja Krasińskiego", "Łódź Czernika", "Ñuñoa", "Beijing 北京",
         "Dübendorf", "Göteborg Femman", "Köln-Chorweiler", "Bécancour", "Ciudad de México",
         "Kathmandu – Ratnapark", "Esch-sur-Alzette", "Vianden", "Bangkok ถนนพระราม"]
PROVIDERS = [(119, "AirNow", "airnow"), (43, "Abu Dhabi", "adairquality-ae"), (166, "PurpleAir", "purpleair"),
             (62, "EEA", "eea"), (70, "Clarity", "clarity")]
OWNERS = [(4, "Unknown Governmental Organization"), (13, "Umweltbundesamt"), (21, "PurpleAir owner"),
          (88, "Administration de l'environnement")]
MANUFACTURERS = [(4, "Unknown Manufacturer"), (9, "PurpleAir"), (11, "Clarity Movement")]
INSTRUMENTS = [(2, "Government Monitor", True, 4), (3, "PurpleAir Sensor", False, 9),
               (5, "Clarity Node", False, 11), (7, "Reference station", True, 4)]
LICENSES = [(33, "US Public Domain", True, False, False, True, True, "https://www.usa.gov/government-works"),
            (21, "CC BY 4.0", True, True, False, True, True, "https://creativecommons.org/licenses/by/4.0/"),
            (40, "ODbL", True, True, True, True, True, None)]

EXACT = ("parameters", "countries", "providers", "manufacturers", "latest")


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local(ts, off):
    d = datetime.fromtimestamp(ts, timezone(timedelta(minutes=off)))
    return d.isoformat()


def dtobj(ts, off):
    return {"utc": iso(ts), "local": local(ts, off)}


def parse_when(s):
    """An ISO date or datetime as epoch seconds (no zone: UTC)."""
    s = s.strip().replace(" ", "T")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp()


class Data:
    def __init__(self, seed, nloc, hours, now, real=False):
        self.seed = seed
        self.real = real
        self.advanced = 0
        self.hours = hours
        rnd = random.Random(seed)
        self.start_h = int(now // 3600)
        self.now_h = self.start_h
        self.countries = {c[0]: c for c in COUNTRIES}
        self.locations = []
        self.sensors = {}
        sid = 1000
        for i in range(nloc):
            lid = 100 + i * 3 + rnd.randrange(3)
            c = COUNTRIES[0] if i < 8 else rnd.choice(COUNTRIES[1:])
            name = rnd.choice(NAMES) + " " + str(lid) if rnd.random() > 0.02 else None
            prov = rnd.choice(PROVIDERS)
            inst = rnd.choice(INSTRUMENTS)
            params = rnd.sample(PARAMETERS, rnd.randint(1, 6))
            params.sort(key=lambda p: p[0])
            sens = []
            for p in params:
                sid += 1 + rnd.randrange(2)
                r = rnd.random()
                if r < 0.03:
                    last = None
                elif r < 0.13:
                    last = self.start_h - rnd.randint(30, 400)
                else:
                    last = 0  # follows the clock
                s = {"id": sid, "param": p, "loc": lid, "last": last,
                     "first": self.start_h - hours}
                self.sensors[sid] = s
                sens.append(sid)
            lat = round(rnd.uniform(-60, 70), 4)
            lon = round(rnd.uniform(-170, 170), 6)
            self.locations.append({
                "id": lid, "name": name, "country": c, "prov": prov, "owner": rnd.choice(OWNERS),
                "inst": inst, "sensors": sens, "mobile": rnd.random() < 0.02,
                "locality": rnd.choice([None, "Centre", "Nord", "Süd"]),
                "coords": None if rnd.random() < 0.01 else (lat, lon),
                "license": rnd.choice([None, LICENSES[0], LICENSES[1]]),
            })
        self.loc_by_id = {l["id"]: l for l in self.locations}

    def tick(self):
        """With --now real, "now" follows the wall clock."""
        if self.real:
            self.now_h = int(time.time() // 3600) + self.advanced

    # --- readings ---
    def last_h(self, s):
        if s["last"] is None:
            return None
        return self.now_h if s["last"] == 0 else s["last"]

    def value(self, sid, h, kind=""):
        d = hashlib.blake2b(b"%d:%d:%d:%s" % (self.seed, sid, h, kind.encode()), digest_size=8).digest()
        x = struct.unpack("<Q", d)[0]
        v = (x % 100000) / 1000.0 - 2.0
        return round(v, 1), x

    def hours_of(self, s):
        last = self.last_h(s)
        if last is None:
            return range(0)
        return range(s["first"] + 1, last + 1)

    def off(self, s):
        return self.loc_by_id[s["loc"]]["country"][4]

    # --- records ---
    def param_base(self, p):
        return {"id": p[0], "name": p[1], "units": p[2], "displayName": p[3]}

    def parameter(self, p):
        return {"id": p[0], "name": p[1], "units": p[2], "displayName": p[3], "description": p[4]}

    def country(self, c):
        ps = sorted({self.sensors[s]["param"][0] for l in self.locations if l["country"] is c for s in l["sensors"]})
        pm = {p[0]: p for p in PARAMETERS}
        return {"id": c[0], "code": c[1], "name": c[2],
                "datetimeFirst": iso((self.start_h - self.hours) * 3600),
                "datetimeLast": iso(self.now_h * 3600),
                "parameters": [self.param_base(pm[i]) for i in ps] or None}

    def location(self, l):
        c = l["country"]
        off = c[4]
        sens = [self.sensors[s] for s in l["sensors"]]
        lasts = [self.last_h(s) for s in sens if self.last_h(s) is not None]
        rec = {
            "id": l["id"], "name": l["name"], "locality": l["locality"], "timezone": c[3],
            "country": {"id": c[0], "code": c[1], "name": c[2]},
            "owner": {"id": l["owner"][0], "name": l["owner"][1]},
            "provider": {"id": l["prov"][0], "name": l["prov"][1]},
            "isMobile": l["mobile"], "isMonitor": l["inst"][2],
            "instruments": [{"id": l["inst"][0], "name": l["inst"][1]}],
            "sensors": [{"id": s["id"], "name": "%s %s" % (s["param"][1], s["param"][2]),
                         "parameter": self.param_base(s["param"])} for s in sens],
            "coordinates": None if l["coords"] is None else {"latitude": l["coords"][0], "longitude": l["coords"][1]},
            "licenses": None if l["license"] is None else [{
                "id": l["license"][0], "name": l["license"][1],
                "attribution": {"name": l["owner"][1], "url": None},
                "dateFrom": "2016-01-30", "dateTo": None}],
            "bounds": [l["coords"][1], l["coords"][0], l["coords"][1], l["coords"][0]] if l["coords"] else [0.0, 0.0, 0.0, 0.0],
            "distance": None,
            "datetimeFirst": dtobj((self.start_h - self.hours) * 3600, off) if lasts else None,
            "datetimeLast": dtobj(max(lasts) * 3600, off) if lasts else None,
        }
        return rec

    def sensor_full(self, s):
        off = self.off(s)
        last = self.last_h(s)
        rec = {"id": s["id"], "name": "%s %s" % (s["param"][1], s["param"][2]),
               "parameter": self.param_base(s["param"]),
               "datetimeFirst": None, "datetimeLast": None, "coverage": None, "latest": None, "summary": None}
        if last is not None:
            n = last - s["first"]
            l = self.loc_by_id[s["loc"]]
            rec["datetimeFirst"] = dtobj((s["first"] + 1) * 3600, off)
            rec["datetimeLast"] = dtobj(last * 3600, off)
            rec["coverage"] = {"expectedCount": n, "expectedInterval": "%d:00:00" % n, "observedCount": n,
                               "observedInterval": "%d:00:00" % n, "percentComplete": 100.0,
                               "percentCoverage": 100.0, "datetimeFrom": None, "datetimeTo": None}
            rec["latest"] = {"datetime": dtobj(last * 3600, off), "value": self.value(s["id"], last)[0],
                             "coordinates": None if l["coords"] is None else {"latitude": l["coords"][0], "longitude": l["coords"][1]}}
            rec["summary"] = {"min": -2.0, "q02": None, "q25": None, "median": None, "q75": None, "q98": None,
                              "max": 98.0, "avg": 48.123456789, "sd": None}
        return rec

    def latest(self, s):
        l = self.loc_by_id[s["loc"]]
        last = self.last_h(s)
        return {"datetime": dtobj(last * 3600, l["country"][4]), "value": self.value(s["id"], last)[0],
                "coordinates": None if l["coords"] is None else {"latitude": l["coords"][0], "longitude": l["coords"][1]},
                "sensorsId": s["id"], "locationsId": l["id"]}

    def series_rec(self, s, t0, t1, label, interval, agg):
        off = self.off(s)
        v, x = self.value(s["id"], int(t1 // 3600), label)
        if agg and x % 53 == 0:
            v = None
        n = max(1, int((t1 - t0) // 3600))
        rec = {"value": v, "flagInfo": {"hasFlags": x % 41 == 0},
               "parameter": self.param_base(s["param"]),
               "period": {"label": label, "interval": interval,
                          "datetimeFrom": dtobj(t0, off), "datetimeTo": dtobj(t1, off)},
               "coordinates": None,
               "summary": None if not agg else {"min": v, "q02": v, "q25": v, "median": v, "q75": v,
                                                "q98": v, "max": v, "avg": v, "sd": None},
               "coverage": {"expectedCount": n, "expectedInterval": "%02d:00:00" % n if n < 100 else "%d:00:00" % n,
                            "observedCount": n, "observedInterval": "%02d:00:00" % n if n < 100 else "%d:00:00" % n,
                            "percentComplete": 100.0, "percentCoverage": 100.0,
                            "datetimeFrom": dtobj(t0, off), "datetimeTo": dtobj(t1, off)}}
        return rec

    def series(self, s, kind, q):
        """Records of /sensors/{id}/KIND for the query, in datetime order."""
        hs = self.hours_of(s)
        if not hs:
            return []
        if kind in ("measurements", "measurements/hourly", "hours"):
            lo, hi = hs.start, hs.stop - 1
            if "datetime_from" in q:
                lo = max(lo, int(parse_when(q["datetime_from"]) // 3600) + 1)
            if "datetime_to" in q:
                hi = min(hi, int(parse_when(q["datetime_to"]) // 3600))
            label, interval = {"measurements": ("raw", "01:00:00"), "measurements/hourly": ("1 hour", "01:00:00"),
                               "hours": ("1hour", "01:00:00")}[kind]
            return [self.series_rec(s, (h - 1) * 3600, h * 3600, label, interval, kind != "measurements")
                    for h in range(lo, hi + 1)]
        # days and years: local days/years, date_from/date_to inclusive
        off = self.off(s)
        first_d = (hs.start * 3600 + off * 60) // 86400
        last_d = ((hs.stop - 1) * 3600 + off * 60 - 1) // 86400
        if kind == "days":
            lo, hi = first_d, last_d
            if "date_from" in q:
                lo = max(lo, int(parse_when(q["date_from"][:10]) // 86400))
            if "date_to" in q:
                hi = min(hi, int(parse_when(q["date_to"][:10]) // 86400))
            return [self.series_rec(s, d * 86400 - off * 60, (d + 1) * 86400 - off * 60, "1day", "24:00:00", True)
                    for d in range(lo, hi + 1)]
        y0 = datetime.fromtimestamp(first_d * 86400, timezone.utc).year
        y1 = datetime.fromtimestamp(last_d * 86400, timezone.utc).year
        if "date_from" in q:
            y0 = max(y0, int(q["date_from"][:4]))
        if "date_to" in q:
            y1 = min(y1, int(q["date_to"][:4]))
        out = []
        for y in range(y0, y1 + 1):
            a = datetime(y, 1, 1, tzinfo=timezone.utc).timestamp() - off * 60
            b = datetime(y + 1, 1, 1, tzinfo=timezone.utc).timestamp() - off * 60
            out.append(self.series_rec(s, a, b, "1year", "1 year", True))
        return out


class HTTPError(Exception):
    def __init__(self, status, body):
        self.status, self.body = status, body


def detail(msg):
    return json.dumps({"detail": msg})


def not_found(what):
    return HTTPError(404, detail("%s not found" % what))


def pydantic(field, msg, value):
    return HTTPError(422, json.dumps({"detail": [{"type": "value_error", "loc": ["query", field], "msg": msg,
                                                  "input": value, "ctx": {}, "url": "https://errors.pydantic.dev/2.5/v/value_error"}]}))


class API:
    """Routes a /v3 path and query to (records, found kind)."""

    def __init__(self, data):
        self.d = data

    def ids(self, q, name):
        if name not in q:
            return None
        try:
            return {int(x) for x in q[name].split(",") if x.strip()}
        except ValueError:
            raise HTTPError(422, json.dumps("[{'type': 'int_parsing', 'loc': ('query', '%s')}]" % name))

    def route(self, path, q):
        d = self.d
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "v3":
            raise HTTPError(404, detail("Not Found"))
        parts = parts[1:]
        if not parts:
            raise HTTPError(404, detail("Not Found"))
        head = parts[0]

        def one(items, key, what):
            try:
                i = int(key)
            except ValueError:
                raise HTTPError(422, json.dumps("[{'type': 'int_parsing', 'loc': ('path', 'id'), 'input': '%s'}]" % key))
            for it in items:
                if it[0] == i:
                    return it
            raise not_found(what)

        if head == "parameters":
            if len(parts) == 1:
                return [d.parameter(p) for p in PARAMETERS], "exact"
            p = one(PARAMETERS, parts[1], "Parameter")
            if len(parts) == 2:
                return [d.parameter(p)], "exact"
            if parts[2] == "latest" and len(parts) == 3:
                dmin = parse_when(q["datetime_min"]) if "datetime_min" in q else None
                out = []
                for s in sorted(d.sensors.values(), key=lambda s: s["id"]):
                    if s["param"][0] != p[0] or d.last_h(s) is None:
                        continue
                    if dmin is not None and d.last_h(s) * 3600 < dmin:
                        continue
                    out.append(d.latest(s))
                return out, "exact"
        elif head == "countries":
            cs = sorted(COUNTRIES)
            if len(parts) == 1:
                ps = self.ids(q, "parameters_id")
                out = [d.country(c) for c in cs]
                if ps:
                    out = [c for c in out if c["parameters"] and {p["id"] for p in c["parameters"]} & ps]
                return out, "exact"
            return [d.country(one(cs, parts[1], "Country"))], "exact"
        elif head == "locations":
            if len(parts) == 1:
                if "iso" in q and "countries_id" in q:
                    raise pydantic("countries_id", "Value error, cannot pass both countries_id and iso", q["iso"])
                ls = d.locations
                if "iso" in q:
                    ls = [l for l in ls if l["country"][1] == q["iso"].upper()]
                cids = self.ids(q, "countries_id")
                if cids:
                    ls = [l for l in ls if l["country"][0] in cids]
                pids = self.ids(q, "parameters_id")
                if pids:
                    ls = [l for l in ls if {d.sensors[s]["param"][0] for s in l["sensors"]} & pids]
                prids = self.ids(q, "providers_id")
                if prids:
                    ls = [l for l in ls if l["prov"][0] in prids]
                if q.get("sort_order") == "desc":
                    ls = list(reversed(ls))
                return [d.location(l) for l in ls], "page"
            try:
                l = d.loc_by_id[int(parts[1])]
            except (ValueError, KeyError):
                raise not_found("Location")
            if len(parts) == 2:
                return [d.location(l)], "page"
            if parts[2] == "sensors":
                return [d.sensor_full(d.sensors[s]) for s in l["sensors"]], "page"
            if parts[2] == "latest":
                return [d.latest(d.sensors[s]) for s in l["sensors"] if d.last_h(d.sensors[s]) is not None], "exact"
        elif head == "sensors" and len(parts) >= 2:
            try:
                s = d.sensors.get(int(parts[1]))
            except ValueError:
                raise HTTPError(422, json.dumps("[{'type': 'int_parsing'}]"))
            if len(parts) == 2:
                if s is None:
                    raise not_found("Sensor")
                return [d.sensor_full(s)], "page"
            kind = "/".join(parts[2:])
            if kind in ("measurements", "measurements/hourly", "hours", "days", "years"):
                fam = ("date_from", "date_to") if kind in ("days", "years") else ("datetime_from", "datetime_to")
                if fam[0] in q and fam[1] in q and parse_when(q[fam[1]]) <= parse_when(q[fam[0]]):
                    raise HTTPError(422, json.dumps("Date/time from must be older than the date/time to. User passed %s - %s" % (q[fam[0]], q[fam[1]])))
                if s is None:
                    return [], "exact" if kind == "measurements/hourly" else "page"
                qq = {k: v for k, v in q.items() if k in fam}
                return d.series(s, kind, qq), "exact" if kind == "measurements/hourly" else "page"
        elif head == "providers":
            ps = [{"id": p[0], "name": p[1], "sourceName": p[2], "exportPrefix": p[2],
                   "datetimeAdded": "2023-03-29T20:23:57.054584Z", "datetimeFirst": iso((d.start_h - d.hours) * 3600),
                   "datetimeLast": iso(d.now_h * 3600), "entitiesId": 1,
                   "parameters": [d.param_base(PARAMETERS[1])], "bbox": None} for p in sorted(PROVIDERS)]
            if len(parts) == 1:
                return ps, "exact"
            return [one([(p["id"], p) for p in ps], parts[1], "Provider")[1]], "exact"
        elif head == "owners":
            os_ = [{"id": o[0], "name": o[1]} for o in sorted(OWNERS)]
            if len(parts) == 1:
                return os_, "page"
            return [one([(o["id"], o) for o in os_], parts[1], "Owner")[1]], "page"
        elif head == "manufacturers":
            ms = [{"id": m[0], "name": m[1], "instruments": [{"id": i[0], "name": i[1]} for i in INSTRUMENTS if i[3] == m[0]]}
                  for m in sorted(MANUFACTURERS)]
            if len(parts) == 1:
                return ms, "exact"
            return [one([(m["id"], m) for m in ms], parts[1], "Manufacturer")[1]], "exact"
        elif head == "instruments":
            mm = dict((m[0], m[1]) for m in MANUFACTURERS)
            ins = [{"id": i[0], "name": i[1], "isMonitor": i[2], "manufacturer": {"id": i[3], "name": mm[i[3]]}}
                   for i in sorted(INSTRUMENTS)]
            if len(parts) == 1:
                return ins, "page"
            return [one([(i["id"], i) for i in ins], parts[1], "Instrument")[1]], "page"
        elif head == "licenses":
            ls = [{"id": l[0], "name": l[1], "commercialUseAllowed": l[2], "attributionRequired": l[3],
                   "shareAlikeRequired": l[4], "modificationAllowed": l[5], "redistributionAllowed": l[6],
                   "sourceUrl": l[7]} for l in sorted(LICENSES)]
            if len(parts) == 1:
                return ls, "page"
            return [one([(l["id"], l) for l in ls], parts[1], "License")[1]], "page"
        raise HTTPError(404, detail("Not Found"))


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.keys = args.key or ["test-key"]
        self.faults = []  # [kind, mode, arg, remaining]
        for f in args.fault or []:
            self.add_fault(f)
        self.reset()
        self.window_counts = {}
        self.hour_counts = {}

    def reset(self):
        self.n = 0
        self.stats = {"requests": 0, "status": {}, "rate_limited": 0, "windows": {}, "first": None, "last": None}
        self.log = []

    def add_fault(self, spec):
        if "@" in spec:
            k, a = spec.split("@", 1)
            self.faults.append([k, "@", int(a), 1])
        elif "%" in spec:
            k, a = spec.split("%", 1)
            self.faults.append([k, "%", int(a), -1])
        elif "~" in spec:
            k, a = spec.split("~", 1)
            c = 1
            if "*" in a:
                a, c = a.rsplit("*", 1)
                c = int(c)
            self.faults.append([k, "~", a, c])
        else:
            raise ValueError("bad fault spec: " + spec)

    def fault_for(self, n, target):
        for f in self.faults:
            k, mode, a, left = f
            if mode == "@" and n == a and left:
                f[3] = 0
                return k
            if mode == "%" and n % a == 0:
                return k
            if mode == "~" and left and a in target:
                f[3] -= 1
                return k
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeapi"
    sys_version = ""

    def log_message(self, *a):
        pass

    def send(self, status, body, headers=(), ctype="application/json"):
        raw = body.encode() if isinstance(body, str) else body
        gz = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if gz and len(raw) >= 1000 and ctype == "application/json":
            raw = gzip.compress(raw, 5)
            headers = list(headers) + [("Content-Encoding", "gzip")]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        if status < 500:
            self.send_header("Cache-Control", "public, max-age=900")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        return raw

    def do_POST(self):
        raw = self.send(405, detail("Method Not Allowed"))
        self.wfile.write(raw)

    def do_GET(self):
        st = self.server.st
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        if u.path.startswith("/__fake/"):
            return self.admin(u.path[8:], q, u.query)
        if u.path == "/ping":
            return self.wfile.write(self.send(200, '{"ping":"pong!"}'))
        if "/v1/" in u.path or "/v2/" in u.path:
            return self.wfile.write(self.send(410, json.dumps({"message": "Gone. Version 1 and Version 2 API endpoints are retired and no longer available. Please migrate to Version 3 endpoints."})))
        now = time.time()
        target = u.path + ("?" + u.query if u.query else "")
        key = self.headers.get("X-API-Key")
        keystate = "missing" if not key else ("ok" if key in st.keys else "bad")
        with st.lock:
            st.n += 1
            n = st.n
            fault = st.fault_for(n, target)
        entry = {"t": now, "path": u.path, "query": u.query, "status": None,
                 "ua": self.headers.get("User-Agent"), "gzip": "gzip" in (self.headers.get("Accept-Encoding") or ""),
                 "key": keystate, "fault": fault}
        status, body, headers, after = self.answer(u.path, q, now, keystate, fault)
        entry["status"] = status
        with st.lock:
            s = st.stats
            s["requests"] += 1
            s["status"][str(status)] = s["status"].get(str(status), 0) + 1
            if status == 429:
                s["rate_limited"] += 1
            s["first"] = s["first"] or now
            s["last"] = now
            st.log.append(entry)
            if st.args.log:
                with open(st.args.log, "a") as f:
                    f.write("%d %s %s%s\n" % (now * 1000, status, target, " " + fault if fault else ""))
        if after == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if after == "stall":
            time.sleep(st.args.stall)
        raw = self.send(status, body, headers, "text/html" if body.startswith("<") else "application/json")
        if after == "truncate":
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(raw)

    def ratelimit(self, now, count):
        """(allowed, headers): the fixed window of the real clock."""
        st = self.server.st
        a = st.args
        w = int(now // a.window)
        with st.lock:
            used = st.window_counts.get(w, 0)
            hw = int(now // 3600)
            hused = st.hour_counts.get(hw, 0)
            allowed = used < a.rate and (a.rate_hour is None or hused < a.rate_hour)
            if allowed and count:
                used += 1
                st.window_counts[w] = used
                st.hour_counts[hw] = hused + 1
                st.stats["windows"][w * a.window] = st.stats["windows"].get(w * a.window, 0) + 1
        reset = max(1, int(-(-((w + 1) * a.window - now) // 1)))
        hdr = [("x-ratelimit-limit", str(a.rate)), ("x-ratelimit-used", str(used)),
               ("x-ratelimit-remaining", str(max(0, a.rate - used))), ("x-ratelimit-reset", str(reset))]
        return allowed, hdr

    def answer(self, path, q, now, keystate, fault):
        st = self.server.st
        if keystate == "missing":
            return 401, json.dumps({"message": "Unauthorized. A valid API key must be provided in the X-API-Key header."}), [], None
        if keystate == "bad":
            return 401, detail("Invalid credentials"), [], None
        html = "<html><head><title>%d %s</title></head><body><h1>%s</h1></body></html>"
        if fault in ("500", "503"):
            return int(fault), html % (int(fault), "Internal Server Error" if fault == "500" else "Service Unavailable", "Error"), [], None
        if fault in ("502", "504"):
            return int(fault), "", [], None
        if fault == "403":
            return 403, html % (403, "Forbidden", "Request blocked"), [], None
        if fault == "401":
            return 401, detail("Invalid credentials"), [], None
        if fault == "404":
            return 404, detail("Location not found"), [], None
        if fault == "410":
            return 410, json.dumps({"message": "Gone. Version 1 and Version 2 API endpoints are retired and no longer available. Please migrate to Version 3 endpoints."}), [], None
        if fault == "422":
            e = pydantic("limit", "Input should be less than or equal to 1000", "1001")
            return e.status, e.body, [], None
        if fault == "422s":
            return 422, json.dumps("Date/time from must be older than the date/time to. User passed 2025-02-01 - 2025-01-01"), [], None
        if fault == "reset":
            return 0, "", [], "reset"
        if fault == "408":
            return 408, detail("Connection timed out: Try to provide more specific query parameters or a smaller time frame."), [], None
        allowed, hdr = self.ratelimit(now, fault is None or fault in ("stall", "truncate", "garbage"))
        if fault == "429" or not allowed:
            return 429, detail("Too many requests"), hdr, None
        try:
            body = self.page(path, q)
        except HTTPError as e:
            return e.status, e.body, hdr, None
        if fault == "garbage":
            return 200, "<!DOCTYPE html><p>cached error page</p>" + body[:50], hdr, None
        return 200, body, hdr, fault if fault in ("stall", "truncate") else None

    def page(self, path, q):
        st = self.server.st
        try:
            limit = int(q.get("limit", "100"))
            page = int(q.get("page", "1"))
        except ValueError:
            raise HTTPError(422, json.dumps("[{'type': 'int_parsing', 'loc': ('query', 'limit')}]"))
        if not 0 < limit <= 1000:
            raise pydantic("limit", "Input should be less than or equal to 1000", q.get("limit"))
        if page < 1:
            raise pydantic("page", "Input should be greater than 0", q.get("page"))
        m = st.args.max_span
        if m and "/sensors/" in path:
            fam = ("date_from", "date_to") if path.endswith(("/days", "/years")) else ("datetime_from", "datetime_to")
            if fam[0] in q and fam[1] in q and parse_when(q[fam[1]]) - parse_when(q[fam[0]]) > m * 3600:
                raise HTTPError(408, detail("Connection timed out: Try to provide more specific query parameters or a smaller time frame."))
        with st.lock:
            st.data.tick()
            recs, kind = st.api.route(path, q)
        rows = recs[(page - 1) * limit: page * limit]
        if kind == "exact":
            found = len(recs)
        elif len(rows) == limit:
            found = ">%d" % limit
        else:
            found = len(rows)
        return dumps({"meta": {"name": "openaq-api", "website": "/", "page": page, "limit": limit, "found": found},
                      "results": rows})

    def admin(self, what, q, query):
        st = self.server.st
        out = None
        if what == "stats":
            with st.lock:
                s = dict(st.stats)
                w = sorted(s["windows"].items())
                s["windows"] = [[k, v] for k, v in w]
                s["max_per_window"] = max([v for k, v in w] or [0])
                out = s
        elif what == "reset":
            with st.lock:
                st.reset()
            out = {"ok": True}
        elif what == "clear":
            with st.lock:
                st.faults = []
            out = {"ok": True}
        elif what == "requests":
            with st.lock:
                out = list(st.log)
        elif what == "now":
            out = {"now": iso(st.data.now_h * 3600)}
        elif what == "advance":
            with st.lock:
                st.data.now_h += int(q.get("hours", "1"))
                st.data.advanced += int(q.get("hours", "1"))
            out = {"now": iso(st.data.now_h * 3600)}
        elif what == "fault":
            with st.lock:
                st.add_fault(q["spec"])
            out = {"ok": True}
        elif what == "sensors":
            p = int(q["parameter"]) if "parameter" in q else None
            out = sorted(s["id"] for s in st.data.sensors.values() if p is None or s["param"][0] == p)
        elif what == "dump":
            path = q.pop("path")
            if "?" in path:
                path, extra = path.split("?", 1)
                q.update(urllib.parse.parse_qsl(extra))
            if "&" in path:
                path, extra = path.split("&", 1)
                q.update(urllib.parse.parse_qsl(extra))
            try:
                with st.lock:
                    recs, _ = st.api.route(path, q)
            except HTTPError as e:
                return self.wfile.write(self.send(e.status, e.body))
            return self.wfile.write(self.send(200, dumps({"results": recs})))
        elif what == "quit":
            self.wfile.write(self.send(200, '{"ok":true}'))
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return
        else:
            return self.wfile.write(self.send(404, detail("no such admin path")))
        self.wfile.write(self.send(200, dumps(out)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--key", action="append")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--locations", type=int, default=2000)
    ap.add_argument("--hours", type=int, default=72)
    ap.add_argument("--now", default="2026-11-28T12:00:00Z")
    ap.add_argument("--rate", type=int, default=60)
    ap.add_argument("--window", type=float, default=60)
    ap.add_argument("--rate-hour", type=int)
    ap.add_argument("--fault", action="append")
    ap.add_argument("--stall", type=float, default=40)
    ap.add_argument("--max-span", type=float)
    ap.add_argument("--log")
    args = ap.parse_args()
    now = time.time() if args.now == "real" else parse_when(args.now)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    st = State(args)
    st.data = Data(args.seed, args.locations, args.hours, now, args.now == "real")
    st.api = API(st.data)
    srv.st = st
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
