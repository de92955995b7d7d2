#!/usr/bin/env python3
"""fakeapi.py: a fake OpenAQ v3 API server for the libopenaq tests and benchmarks.

Python 3.11 standard library only.  It follows /work/shared/openaq-v3.md (the API
as served): the envelope, the two kinds of meta.found, the rate-limit headers and
the 429 body, the error bodies, the date semantics and the record shapes of the
recorded samples (compact JSON, raw UTF-8, key order as served).

USAGE
    python3 t/fakeapi.py [options]

    --port N          TCP port on 127.0.0.1 (default 0: a random free port)
    --port-file F     once listening, write the port number to F (F.tmp, then rename)
    --key K           an accepted API key (default test-key; repeat for several)
    --seed N          data seed (default 1); the data is a pure function of it
    --locations N     number of locations (default 2000)
    --hours H         hours of hourly history per sensor (default 72)
    --now ISO|real    the fake clock (default 2026-11-28T12:00:00Z); "real" follows
                      the wall clock.  Every live sensor has a reading for every hour
                      up to "now" floored to the hour.
    --rate N          requests per rate window and key (default 60)
    --window S        rate window in seconds (default 60); fixed windows aligned on
                      multiples of S since the epoch, on the REAL clock
    --rate-hour N     optional hourly cap per key (fixed real-clock hours; default off)
    --fault SPEC      inject a fault (repeatable, see FAULTS)
    --stall S         seconds a "stall" fault waits (default 40)
    --max-span H      a sensor series request whose window spans more than H hours
                      gets 408 (default: no limit).  A missing bound counts as the
                      series start / "now".
    --log FILE        one line per non-admin request: EPOCH_MS STATUS PATH?QUERY [fault]
    --parameters N    world scale: N parameters in all (default: the 18 below); the
                      extra ones have ids 30001.. (name xN, units ppb), and 30% of the
                      locations get one more sensor (ids from 10000000) of one of them.
                      The other data are unchanged.
    --poll-clock S    every /v3/parameters list request (the start of each poll of
                      aq-fetch latest) first moves the fake clock forward S seconds, so
                      that polls are S apart in fake time whatever their real pace
    --stagger         each live sensor reports at its own minute of the hour: on the
                      two latest routes its reading for the hour ending h is dated
                      h + offset (0..59 min) and appears once the clock passes it, so
                      a quarter of the sensors have a new latest in any 15 minutes.
                      The series routes are unchanged.

DATA (deterministic from --seed; readings are computed on demand from a hash of
(seed, sensor, hour), never stored)
    parameters   the real ids: 1 pm10, 2 pm25, 3 o3, 4 co, 5 no2, 6 so2 (µg/m³),
                 7 no2, 8 co, 9 so2, 10 o3 (ppm), 19 pm1, 35 no, 98 humidity %,
                 100 temperature c, 125 um003, 128 temperature f, 132 pressure mb,
                 19840 nox; displayName is often null (always null in the copies
                 embedded in measurements, countries and providers).
    countries    21, ids unrelated to any scheme (US 155, LU 104, FR 22, ...);
                 datetimeFirst/Last are plain strings.
    locations    Unicode names ("Saint-Étienne – Fauriel", "Zürich Kaserne", "東京",
                 "São Paulo", a name with a comma and quotes), about 2% name null,
                 30% locality null, 5% licenses null, 0.5% coordinates with null
                 latitude/longitude, 1% mobile (low-cost only); 1-6 sensors each, named
                 "<param> <units>".  LU has 8 locations (fewer for tiny --locations).
    sensors      about 10% stale (the whole location, or single sensors: the last
                 reading days ago), about 1% without any reading (datetimeFirst,
                 datetimeLast, coverage, latest, summary null).  About 5% of the
                 sensors are "gappy": 10% of their hours are missing; the others have
                 every hour.  About 0.5% of all hours are error hours: raw value -999.0, aggregate
                 value null.  The newest hour of a live sensor is never missing.
    providers, owners, instruments, manufacturers, licenses: consistent with the
    locations.

ROUTES (GET only, under /v3; /ping needs no key)
    parameters, parameters/{id}, parameters/{id}/latest (datetime_min)
    countries, countries/{id}   (providers_id gives 500 as the real server, #395)
    locations (iso | countries_id, providers_id, parameters_id, owner_contacts_id,
               instruments_id, manufacturers_id, licenses_id, mobile, monitor, bbox
               "minLon,minLat,maxLon,maxLat", or coordinates "lat,lon" with radius
               1..25000 m, which fills in distance; iso with countries_id, bbox with
               coordinates, coordinates without radius: 422),
    locations/{id}, locations/{id}/sensors, locations/{id}/latest, locations/{id}/flags
    sensors/{id}, sensors/{id}/flags
    sensors/{id}/measurements (label "raw"), .../measurements/hourly ("1 hour"),
    sensors/{id}/hours ("1hour"), /days ("1day", date_from/date_to),
    /years ("1year", date_from/date_to)
    providers, owners, instruments, manufacturers, manufacturers/{id}/instruments,
    licenses (+ the /{id} forms)
  Paging: limit 1..1000 (default 100), page >= 1; otherwise 422 with the pydantic
  array body; a non-integer is a 422 with a bare JSON string body.
  found: exact int for parameters, countries, providers, manufacturers, both latest
  routes and measurements/hourly; elsewhere ">limit" for a full page, else the number
  of rows on the page; 0 when empty.
  Dates: datetime_from exclusive, datetime_to inclusive, on the period END;
  date_from/date_to inclusive on the local day (year) start; a naive value is in the
  location's local time; the wrong family is ignored (the series starts at its
  beginning); datetime to <= from, or date to < from, gives 422 with a bare string.
  Unknown sensor on series routes: 200 with [].  Unknown ids elsewhere: 404
  {"detail":"Location not found"} style.  /v1/ or /v2/ anywhere: 410 Gone body.
  Unknown query parameters are ignored.  Bodies are gzipped when Accept-Encoding has
  gzip and the body is >= 1000 bytes.  Keep-alive HTTP/1.1 with Content-Length.

KEY
  missing/empty X-API-Key on a /v3/ path: 401
  {"message": "Unauthorized. A valid API key must be provided in the X-API-Key header."};
  an unknown key: 401 {"detail":"Invalid credentials"}.

RATE LIMIT
  Every /v3 request with a valid key gets x-ratelimit-limit, -used, -remaining and
  -reset (whole seconds to the end of the window, >= 1).  When used >= limit: 429
  {"detail":"Too many requests"} with the four headers; a 429 is not counted.
  With --rate-hour, a request over the hourly cap also gets 429, with remaining 0
  and reset = seconds to the end of the hour.

FAULTS  (SPEC is KIND@N: the Nth /v3 request (1-based, all /v3 requests counted);
         KIND%N: every Nth; KIND~TEXT: the first request whose path?query contains
         TEXT; KIND~TEXT*C: the first C such requests)
  500, 503 (HTML bodies), 502 (empty body), 504 (HTML), 408 (JSON timeout detail),
  429 (JSON with the rate headers), 401, 403 (WAF HTML), 404, 410, 422 (pydantic
  array), 422s (bare JSON string), truncate (full Content-Length, half the body,
  then close; the body is the normal answer, computed without the key check),
  reset (close with SO_LINGER 0: a TCP RST, no response; logged as status 0),
  stall (sleep --stall seconds, then answer normally: that answer is counted by the
  limiter), garbage (200 with a non-JSON body), hostile (422 whose detail holds ESC
  sequences, CR/LF, a forged "aq-fetch:" line and a C1 CSI),
  echo (401 whose detail echoes the request's X-API-Key, raw and percent-encoded).
  Faults are checked before the key and the limiter, and faulted requests are not
  counted in the rate window.
  Fault specs are tried in the order given; the first that matches wins.  The
  request counter restarts at /__fake/reset, so KIND@N fires again after a reset.
  HTML bodies are sent as text/html; the 502 has no body and no Content-Type;
  every other answer is application/json.

ADMIN (no key, JSON answers)
  /__fake/stats      {"requests","status":{code:n},"rate_limited","max_per_window",
                      "windows":[[start,count]...],"first","last"}
  /__fake/reset      zero the stats, the request list and the fault counters
  /__fake/requests   [{"t","path","query","status","ua","gzip","key","fault","port" (the client's TCP port)}...]
                     (every /v3 request; key is "ok", "missing" or "bad")
  /__fake/now        {"now":"...Z"}
  /__fake/advance?hours=N   move the fake clock forward N hours (fractions too)
  /__fake/withhold?hours=H  late data: every sensor's hours in (now-H-1h, now-1h]
                     (the newest hour stays) are missing from every route until
                     /__fake/latest-counts?at=ISO[&datetime_min=ISO]  {parameter id: sensors that the
                     /parameters/{id}/latest route lists at that fake time}
  /__fake/release (which delivers them, values unchanged)
  /__fake/correct?hours=H&delta=D  corrected data: every sensor's values in
                     (now-H-1h, now-1h] are served D higher from now on (not
                     the -999 errors); answers {"corrected": [lo, hi]}
  /__fake/fault?spec=SPEC   add a fault
  /__fake/dump?path=/v3/...&k=v...  {"results":[...]}: every record of every page
                     of that list endpoint, in order, serialized identically
                     (limit and page are ignored; no key, not counted, no faults)
  /__fake/sensors[?parameter=ID]   [sensor ids], also those without readings
  /__fake/quit       stop the server
"""

import argparse
import bisect
import datetime as dt
import gzip
import hashlib
import http.server
import json
import math
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse
from functools import lru_cache

try:
    import zoneinfo
except ImportError:  # pragma: no cover
    zoneinfo = None

UTC = dt.timezone.utc

# ---------------------------------------------------------------------------
# static tables

# id, name, units, displayName, description, type, base value, decimals
PARAMETERS = [
    (1, "pm10", "µg/m³", "PM10", "Particulate matter less than 10 micrometers in diameter mass concentration", "pollutant", 24.0, 1),
    (2, "pm25", "µg/m³", "PM2.5", "Particulate matter less than 2.5 micrometers in diameter mass concentration", "pollutant", 12.0, 1),
    (3, "o3", "µg/m³", None, "Ozone mass concentration", "pollutant", 55.0, 1),
    (4, "co", "µg/m³", None, "Carbon Monoxide mass concentration", "pollutant", 300.0, 1),
    (5, "no2", "µg/m³", None, "Nitrogen Dioxide mass concentration", "pollutant", 22.0, 1),
    (6, "so2", "µg/m³", None, "Sulfur Dioxide mass concentration", "pollutant", 4.0, 1),
    (7, "no2", "ppm", "NO₂", "Nitrogen Dioxide concentration", "pollutant", 0.012, 4),
    (8, "co", "ppm", "CO", "Carbon Monoxide concentration", "pollutant", 0.35, 3),
    (9, "so2", "ppm", "SO₂", "Sulfur Dioxide concentration", "pollutant", 0.0015, 4),
    (10, "o3", "ppm", "O₃", "Ozone concentration", "pollutant", 0.028, 4),
    (19, "pm1", "µg/m³", "PM1", "Particulate matter less than 1 micrometer in diameter mass concentration", "pollutant", 8.0, 1),
    (35, "no", "ppm", None, "Nitrogen Monoxide concentration", "pollutant", 0.004, 4),
    (98, "humidity", "%", None, "Relative humidity", "meteorological", 68.0, 0),
    (100, "temperature", "c", None, "Temperature (C)", "meteorological", 11.0, 1),
    (125, "um003", "particles/cm³", None, None, "pollutant", 900.0, 0),
    (128, "temperature", "f", None, "Temperature (F)", "meteorological", 52.0, 1),
    (132, "pressure", "mb", None, "Atmospheric pressure", "meteorological", 1013.0, 1),
    (19840, "nox", "ppm", None, "Nitrogen Oxides concentration", "pollutant", 0.02, 4),
]
PARAM = {p[0]: p for p in PARAMETERS}

# code, id, name, weight, [(tz, fallback offset hours)], lat, lon, spread (deg), names
COUNTRIES = [
    ("US", 155, "United States", 16, [("America/New_York", -5), ("America/Denver", -7), ("America/Los_Angeles", -8), ("America/Chicago", -6)], 39.0, -96.0, 12.0,
     ["Del Norte", "Albuquerque South Valley", "Bakersfield-California Ave", "Queens College", "Denver - CAMP", "Chicago SE", "Phoenix JLG Supersite", "Seattle Beacon Hill", "Mount Hood Meadows", "Station \"Nord\", Lake City"]),
    ("IN", 9, "India", 12, [("Asia/Kolkata", 5.5)], 22.0, 79.0, 7.0,
     ["Anand Vihar, New Delhi - DPCC", "ITO, Delhi - CPCB", "Bandra, Mumbai - MPCB", "Chandni Chowk", "Indore Chhoti Gwaltoli", "Hebbal, Bengaluru - KSPCB"]),
    ("GB", 79, "United Kingdom", 6, [("Europe/London", 0)], 53.0, -1.5, 3.0,
     ["London N. Kensington", "Manchester Piccadilly", "Glasgow Kerbside", "Cardiff Centre", "Belfast Stockman's Lane"]),
    ("FR", 22, "France", 8, [("Europe/Paris", 1)], 46.5, 2.5, 4.0,
     ["Saint-Étienne – Fauriel", "Paris 13e – Place d'Italie", "Lyon Gerland", "Marseille Cinq Avenues", "Grenoble Les Frênes", "Besançon Prévoyance", "Nîmes Sud"]),
    ("DE", 50, "Germany", 8, [("Europe/Berlin", 1)], 51.0, 10.0, 3.5,
     ["München/Landshuter Allee", "Köln-Chorweiler", "Berlin Frankfurter Allee", "Düsseldorf-Lörick", "Stuttgart Am Neckartor", "Görlitz"]),
    ("LU", 104, "Luxembourg", 0, [("Europe/Luxembourg", 1)], 49.7, 6.1, 0.2,
     ["Luxembourg-Bonnevoie", "Esch-sur-Alzette", "Beidweiler", "Vianden", "Luxembourg-Kirchberg", "Ettelbruck", "Mondercange", "Luxembourg-Centre Hamilius", "Remich", "Wiltz"]),
    ("CH", 131, "Switzerland", 3, [("Europe/Zurich", 1)], 46.8, 8.2, 1.0,
     ["Zürich Kaserne", "Genève – Wilson", "Bern-Bollwerk", "Lugano Università", "Basel-Binningen"]),
    ("JP", 190, "Japan", 6, [("Asia/Tokyo", 9)], 36.0, 138.0, 4.0,
     ["東京", "大阪市役所", "札幌北", "名古屋港", "福岡市役所"]),
    ("BR", 45, "Brazil", 4, [("America/Sao_Paulo", -3)], -15.0, -48.0, 8.0,
     ["São Paulo", "Ibirapuera", "Rio de Janeiro – Tijuca", "Cubatão Centro", "Belo Horizonte – Praça Rui Barbosa"]),
    ("AU", 17, "Australia", 3, [("Australia/Sydney", 10)], -33.5, 150.5, 3.0,
     ["Randwick", "Parramatta North", "Liverpool", "Wollongong"]),
    ("PF", 194, "French Polynesia", 1, [("Pacific/Tahiti", -10)], -17.5, -149.5, 0.5,
     ["testing site 1", "Papeete – Mairie"]),
    ("NP", 101, "Nepal", 2, [("Asia/Kathmandu", 5.75)], 27.7, 85.3, 0.6,
     ["Ratnapark", "Bhaisepati", "Pulchowk"]),
    ("CA", 32, "Canada", 4, [("America/Toronto", -5), ("America/Vancouver", -8)], 49.0, -95.0, 12.0,
     ["Toronto West", "Montréal – Échangeur Décarie", "Vancouver Clark Drive", "Québec – Vieux-Limoilou"]),
    ("MX", 157, "Mexico", 3, [("America/Mexico_City", -6)], 19.4, -99.1, 2.0,
     ["Merced", "Tlalnepantla", "Iztacalco", "Pedregal"]),
    ("ES", 67, "Spain", 4, [("Europe/Madrid", 1)], 40.0, -3.7, 3.0,
     ["Madrid – Escuelas Aguirre", "Barcelona – Eixample", "A Coruña – Riazor", "Sevilla – Torneo"]),
    ("IT", 88, "Italy", 4, [("Europe/Rome", 1)], 42.5, 12.5, 3.0,
     ["Milano – Città Studi", "Roma – Cinecittà", "Torino – Lingotto", "Napoli – Ospedale Pellegrini"]),
    ("NL", 120, "Netherlands", 3, [("Europe/Amsterdam", 1)], 52.2, 5.3, 0.8,
     ["Amsterdam-Vondelpark", "Rotterdam-Statenweg", "Utrecht-Kardinaal de Jongweg", "Den Haag-Rebecquestraat"]),
    ("PL", 142, "Poland", 3, [("Europe/Warsaw", 1)], 52.0, 19.0, 2.5,
     ["Kraków, Aleja Krasińskiego", "Warszawa-Niepodległości", "Łódź-Czernika", "Wrocław-Wiśniowa"]),
    ("TH", 111, "Thailand", 3, [("Asia/Bangkok", 7)], 14.0, 100.5, 3.0,
     ["กรุงเทพมหานคร", "Chiang Mai City Hall", "Khon Kaen"]),
    ("NZ", 13, "New Zealand", 2, [("Pacific/Auckland", 12)], -41.0, 174.0, 3.0,
     ["Auckland – Queen Street", "Christchurch St Albans", "Wellington Central"]),
    ("CL", 3, "Chile", 3, [("America/Santiago", -4)], -33.4, -70.6, 2.5,
     ["Parque O'Higgins", "Independencia", "Ñuñoa", "Las Condes"]),
]

# id, name, sourceName, exportPrefix, datetimeAdded, entitiesId, low-cost?
PROVIDERS = [
    (119, "AirNow", "AirNow", "airnow", "2022-06-02T17:30:02.584912Z", 1, False),
    (70, "EEA", "EEA", "eea", "2023-03-29T20:23:57.054584Z", 1, False),
    (168, "CPCB", "caaqm", "caaqm", "2022-11-01T11:02:43.112Z", 1, False),
    (2, "Japan Soramame", "japan-soramame", "japan", "2022-05-17T14:20:00Z", 1, False),
    (43, "Government Monitor Networks", "gov-monitors", "gov", "2023-01-12T09:00:01.5Z", 1, False),
    (166, "PurpleAir", "purpleair", "purpleair", "2023-08-01T00:00:00Z", 2, True),
    (223, "AirGradient", "air-gradient", "airgradient", "2023-10-11T08:12:27.770001Z", 2, True),
    (62, "Sensor.Community", "sensor_community", "sensorcommunity", "2022-07-21T10:00:00Z", 2, True),
]

OWNERS = [
    (4, "Unknown Governmental Organization"),
    (1, "OpenAQ admin"),
    (2011, "Administration de l'environnement (Luxembourg)"),
    (1652, "Atmo Auvergne-Rhône-Alpes"),
    (3121, "Umweltbundesamt"),
    (2977, "Central Pollution Control Board"),
    (5521, "環境省"),
    (6012, "Private Citizen"),
    (6230, "École Polytechnique Fédérale"),
]

MANUFACTURERS = [(4, "Unknown Manufacturer"), (11, "PurpleAir"), (15, "AirGradient"), (21, "Nova Fitness")]
# id, name, isMonitor, manufacturer id
INSTRUMENTS = [(2, "Government Monitor", True, 4), (3, "PurpleAir PA-II", False, 11),
               (13, "AirGradient Open Air", False, 15), (17, "SDS011", False, 21)]

# id, name, commercial, attribution, sharealike, modification, redistribution, url
LICENSES = [
    (33, "US Public Domain", True, False, False, True, True, "https://www.usa.gov/government-works"),
    (34, "CC BY 4.0", True, True, False, True, True, "https://creativecommons.org/licenses/by/4.0/"),
    (35, "ODbL-1.0", True, True, True, True, True, "https://opendatacommons.org/licenses/odbl/1-0/"),
    (38, "CC BY-NC 4.0", False, True, False, True, True, "https://creativecommons.org/licenses/by-nc/4.0/"),
]

GONE = {"message": "Gone. Version 1 and Version 2 API endpoints are retired and no longer available. Please migrate to Version 3 endpoints."}
NOKEY = {"message": "Unauthorized. A valid API key must be provided in the X-API-Key header."}
BADKEY = {"detail": "Invalid credentials"}
TOO_MANY = {"detail": "Too many requests"}
TIMEOUT = {"detail": "Connection timed out: Try to provide more specific query parameters or a smaller time frame."}
PYD = "https://errors.pydantic.dev/2.9/v/"

HTML = {
    500: "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>\n",
    503: "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>503 ERROR</H1><H2>The request could not be satisfied.</H2>Generated by cloudfront (CloudFront)</BODY></HTML>\n",
    504: "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>504 Gateway Timeout ERROR</H1><H2>The request could not be satisfied.</H2>Generated by cloudfront (CloudFront)</BODY></HTML>\n",
    403: "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n",
}
REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 410: "Gone", 422: "Unprocessable Entity", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


_dumping = threading.local()


def dumps(obj):
    """The one serializer (orjson style: compact, raw UTF-8)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def iso_utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def haversine(lat1, lon1, lat2, lon2):
    """metres between two WGS84 points (spherical earth)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return round(2 * 6371008.8 * math.asin(math.sqrt(a)), 3)


def sig3(x):
    if x == 0:
        return 0.0
    d = 3 - int(math.floor(math.log10(abs(x)))) - 1
    return float(round(x, d))


class HTTPError(Exception):
    def __init__(self, status, body):
        self.status, self.body = status, body


def bare422(msg):
    return HTTPError(422, msg)


def pyd422(typ, loc, msg, inp, ctx=None):
    e = {"type": typ, "loc": ["query"] + ([loc] if loc else []), "msg": msg, "input": inp}
    if ctx is not None:
        e["ctx"] = ctx
    e["url"] = PYD + typ
    return HTTPError(422, {"detail": [e]})


def int_error(name, value, where="query"):
    return bare422("[{'type': 'int_parsing', 'loc': ('%s', '%s'), 'msg': 'Input should be a valid integer, "
                   "unable to parse string as an integer', 'input': '%s'}]" % (where, name, value))


# ---------------------------------------------------------------------------
# the world

class World:
    def __init__(self, seed, nloc, hours, now0, extra_params=(), stagger=False):
        self.seed, self.hours = seed, hours
        self.stagger = stagger
        self.withheld = None       # (lo, hi]: hours missing until released
        self.corrected = None      # (lo, hi, delta): values served corrected
        xrnd = random.Random(seed + 7919)
        xsid = 10000000
        self.now0_hour = int(now0 // 3600 * 3600)
        rnd = random.Random(seed)
        self.tzcache = {}
        self.locations = []        # dicts, sorted by id
        self.loc_by_id = {}
        self.sensors = {}          # id -> dict
        self.sensor_ids = []
        # how many locations per country
        counts = {}
        nlu = max(1, min(8, nloc // 10)) if nloc >= 2 else nloc
        rest = nloc - nlu
        weights = [(c, c[3]) for c in COUNTRIES if c[0] != "LU"]
        wsum = sum(w for _, w in weights)
        for c, w in weights:
            counts[c[0]] = rest * w // wsum
        left = rest - sum(counts.values())
        for c, _ in weights[:left]:
            counts[c[0]] += 1
        counts["LU"] = nlu
        plan = []
        for c in COUNTRIES:
            plan += [c] * counts[c[0]]
        rnd.shuffle(plan)
        loc_id = 0
        sens_id = 1000
        seen_names = {}
        for c in plan:
            code, cid, cname, _, tzs, clat, clon, spread, names = c
            loc_id += rnd.randint(1, 7)
            tzname, tzoff = tzs[rnd.randrange(len(tzs))]
            k = seen_names.get(code, 0)
            seen_names[code] = k + 1
            base = names[k % len(names)]
            name = base if k < len(names) else "%s %d" % (base, k // len(names) + 1)
            if rnd.random() < 0.02:
                name = None
            lowcost = rnd.random() < (0.2 if code == "LU" else 0.35)
            if code == "US":
                prov = 119 if not lowcost else rnd.choice([166, 223])
            elif code in ("FR", "DE", "LU", "CH", "ES", "IT", "NL", "PL", "GB"):
                prov = 70 if not lowcost else rnd.choice([62, 223])
            elif code == "IN":
                prov = 168 if not lowcost else 223
            elif code == "JP":
                prov = 2 if not lowcost else 166
            else:
                prov = 43 if not lowcost else rnd.choice([166, 223])
            if lowcost:
                owner = 6012 if rnd.random() < 0.7 else 6230
                inst = {166: 3, 223: 13, 62: 17}[prov]
                pool = [[2], [2, 1], [2, 1, 19], [2, 100, 98], [2, 1, 19, 100, 98], [2, 1, 19, 125, 100, 98]]
                params = rnd.choice(pool)
                if code == "US" and 100 in params and rnd.random() < 0.5:
                    params = [128 if p == 100 else p for p in params]
            else:
                owner = {"LU": 2011, "FR": 1652, "DE": 3121, "IN": 2977, "JP": 5521}.get(code, 4)
                if rnd.random() < 0.1:
                    owner = 1
                inst = 2
                ppm = code in ("US", "CA", "MX", "JP")
                full = [2, 1, 10 if ppm else 3, 7 if ppm else 5, 8 if ppm else 4, 9 if ppm else 6]
                n = rnd.randint(1, 6)
                params = full[:n]
                if ppm and n >= 4 and rnd.random() < 0.3:
                    params.append(35)
                if ppm and n >= 5 and rnd.random() < 0.2:
                    params.append(19840)
                if n >= 3 and rnd.random() < 0.2:
                    params.append(132)
                params = params[:6]
            lat = round(clat + rnd.uniform(-spread, spread), 5)
            lon = round(clon + rnd.uniform(-spread, spread) * 1.5, 6)
            nullcoord = rnd.random() < 0.005
            lic = None
            r = rnd.random()
            if r >= 0.05:
                lid = 33 if code == "US" and not lowcost else (35 if prov == 62 else rnd.choice([34, 34, 38]))
                lic = (lid, rnd.choice(["2016-01-30", None, "2019-07-01", "2021-03-15"]),
                       None if rnd.random() < 0.9 else "2030-12-31",
                       None if rnd.random() < 0.6 else "https://example.org/owner/%d" % owner)
            stale_loc = rnd.random() < 0.06
            loc = {
                "id": loc_id, "name": name,
                "locality": None if rnd.random() < 0.3 else rnd.choice(["Centre", "Nord", "Süd", "East District", "Île-de-France", "Metro"]),
                "tz": tzname, "tzoff": tzoff, "country": (cid, code, cname), "owner": owner,
                "provider": prov, "mobile": lowcost and rnd.random() < 0.03, "monitor": not lowcost,
                "instrument": inst, "lat": lat, "lon": lon, "nullcoord": nullcoord,
                "license": lic, "sensors": [],
            }
            for p in params:
                sens_id += rnd.randint(1, 3)
                r = rnd.random()
                if r < 0.01:
                    first = last = None
                else:
                    if stale_loc or r < 0.05:
                        last = self.now0_hour - rnd.randint(2, 40) * 86400 - rnd.randint(0, 23) * 3600
                    else:
                        last = None  # live: follows the clock
                    first = (last if last is not None else self.now0_hour) - (hours - 1) * 3600
                s = {"id": sens_id, "param": p, "loc": loc, "first": first, "last": last,
                     "nodata": r < 0.01, "phase": rnd.random() * 24, "scale": rnd.uniform(0.6, 1.6),
                     "gappy": rnd.random() < 0.05}
                loc["sensors"].append(s)
                self.sensors[sens_id] = s
                self.sensor_ids.append(sens_id)
            if extra_params and xrnd.random() < 0.3:
                # --parameters: one more sensor, from a generator of its own
                # so that the rest of the world stays as it is
                xsid += 1
                s = {"id": xsid, "param": extra_params[xrnd.randrange(len(extra_params))], "loc": loc,
                     "first": (self.now0_hour if not stale_loc else self.now0_hour - 3 * 86400) - (hours - 1) * 3600,
                     "last": None if not stale_loc else self.now0_hour - 3 * 86400,
                     "nodata": False, "phase": xrnd.random() * 24, "scale": xrnd.uniform(0.6, 1.6),
                     "gappy": False}
                loc["sensors"].append(s)
                self.sensors[xsid] = s
                self.sensor_ids.append(xsid)
            self.locations.append(loc)
            self.loc_by_id[loc_id] = loc
        self.countries = sorted({c[1]: c for c in COUNTRIES if counts.get(c[0])}.values(), key=lambda c: c[1])

    # --- time ---------------------------------------------------------------
    def tz(self, loc):
        z = self.tzcache.get(loc["tz"])
        if z is None:
            try:
                z = zoneinfo.ZoneInfo(loc["tz"])
            except Exception:
                z = dt.timezone(dt.timedelta(hours=loc["tzoff"]))
            self.tzcache[loc["tz"]] = z
        return z

    def dto(self, t, loc):
        if self.stagger:
            # world scale: few distinct (time, zone) pairs, many sensors
            u, l = self.dto_cached(t, loc["tz"], loc["tzoff"])
            return {"utc": u, "local": l}
        return {"utc": iso_utc(t), "local": dt.datetime.fromtimestamp(t, self.tz(loc)).isoformat()}

    @lru_cache(maxsize=100000)
    def dto_cached(self, t, tzname, tzoff):
        return iso_utc(t), dt.datetime.fromtimestamp(t, self.tz({"tz": tzname, "tzoff": tzoff})).isoformat()

    # --- readings -------------------------------------------------------------
    def last_hour(self, s, nowh):
        if s["nodata"]:
            return None
        return s["last"] if s["last"] is not None else max(nowh, s["first"])

    def reading(self, sid, t):
        """(present, value, error, flagged) of sensor sid for the hour ending at t,
        corrected (/__fake/correct) where the source corrected it."""
        r = self.original(sid, t)
        c = self.corrected
        if c is not None and c[0] < t <= c[1] and not r[2]:
            dec = PARAM[self.sensors[sid]["param"]][7]
            return (r[0], round(r[1] + c[2], max(dec, 1)), r[2], r[3])
        return r

    @lru_cache(maxsize=500000)
    def original(self, sid, t):
        """(present, value, error, flagged) of sensor sid for the hour ending at t."""
        h = hashlib.blake2b(b"%d:%d:%d" % (self.seed, sid, t), digest_size=16).digest()
        u, m, e, f = struct.unpack(">QHHI", h)
        s = self.sensors[sid]
        missing = s["gappy"] and m < 0.1 * 65536
        error = e < 0.005 * 65536
        p = PARAM[s["param"]]
        base, dec = p[6], p[7]
        hr = (t / 3600.0 + s["phase"]) % 24
        x = base * s["scale"] * (1 + 0.35 * math.sin(2 * math.pi * hr / 24)) * (0.7 + 0.6 * u / 2**64)
        if p[1] == "temperature":
            x = base + (x - base) * 3
        if (u & 0xff) == 7 and p[1].startswith("pm"):
            x = -0.1
        v = round(x, dec)
        if dec == 0:
            v = float(v)
        return (not missing, -999.0 if error else v, error, f < 0.01 * 2**32)

    def hours_in(self, s, lo, hi, nowh):
        """hour ends t with lo < t <= hi that have a reading (lo/hi may be None)."""
        last = self.last_hour(s, nowh)
        if last is None:
            return []
        a = s["first"]
        if lo is not None:
            a = max(a, (int(lo) // 3600 + 1) * 3600)
        b = last
        if hi is not None:
            b = min(b, int(hi) // 3600 * 3600)
        sid = s["id"]
        wh = self.withheld
        return [t for t in range(a, b + 1, 3600) if t == last or
                (self.reading(sid, t)[0] and (wh is None or not wh[0] < t <= wh[1]))]

    def latest_time(self, s, now):
        """(datetime, hour) of the sensor's latest reading at now, or None."""
        last = self.last_hour(s, int(now // 3600 * 3600))
        if last is None or not self.stagger:
            return None if last is None else (last, last)
        off = int(s["phase"] * 3600) % 60 * 60
        if last + off > now:
            last -= 3600
        return (last + off, last) if last >= s["first"] else None


def summary_of(vals):
    if not vals:
        return {"min": None, "q02": None, "q25": None, "median": None, "q75": None, "q98": None,
                "max": None, "avg": None, "sd": None}
    v = sorted(vals)
    n = len(v)

    def q(p):
        k = (n - 1) * p
        i = int(k)
        return v[i] if i + 1 >= n else v[i] + (v[i + 1] - v[i]) * (k - i)
    avg = sum(v) / n
    sd = None if n < 2 else math.sqrt(sum((x - avg) ** 2 for x in v) / (n - 1))
    return {"min": v[0], "q02": q(0.02), "q25": q(0.25), "median": q(0.5), "q75": q(0.75),
            "q98": q(0.98), "max": v[-1], "avg": avg, "sd": sd}


# ---------------------------------------------------------------------------
# the API

class ListResult:
    """keys + render(key); exact: found is the total; paged: honours limit/page."""
    def __init__(self, keys, render, exact, paged=True):
        self.keys, self.render, self.exact, self.paged = keys, render, exact, paged


class Api:
    def __init__(self, args):
        self.args = args
        self.keys = args.key or ["test-key"]
        if args.now == "real":
            self.fixed = None
            now0 = time.time()
        else:
            self.fixed = dt.datetime.fromisoformat(args.now.replace("Z", "+00:00"))
            if self.fixed.tzinfo is None:
                self.fixed = self.fixed.replace(tzinfo=UTC)
            self.fixed = self.fixed.timestamp()
            now0 = self.fixed
        self.offset = 0.0
        extra = []
        if args.parameters and args.parameters > len(PARAMETERS):
            for k in range(args.parameters - len(PARAMETERS)):
                i = 30001 + k
                PARAMETERS.append((i, "x%d" % i, "ppb", None, "Synthetic parameter %d" % i, "pollutant", 10.0, 1))
                PARAM[i] = PARAMETERS[-1]
                extra.append(i)
        self.world = World(args.seed, args.locations, args.hours, now0, extra, args.stagger)
        self.lock = threading.Lock()
        # a request is counted when it arrives and recorded once answered:
        # stats and requests wait until every counted one is recorded, or
        # a client could ask for them before its last answer is in
        self.settled = threading.Condition(self.lock)
        self.faults = []
        for spec in args.fault or []:
            self.add_fault(spec)
        self.latest_memo = {}
        self.lt_memo = (None, {})
        self.rendered = {}
        self.param_index = None
        self.reset_stats()

    # --- clock, stats, faults ----------------------------------------------
    def now(self):
        return (self.fixed if self.fixed is not None else time.time()) + self.offset

    def nowh(self):
        return int(self.now() // 3600 * 3600)

    def reset_stats(self):
        self.nreq = 0
        self.ndone = 0
        self.status = {}
        self.rate_limited = 0
        self.windows = {}       # (key, start) -> count
        self.hourwin = {}
        self.first = self.last = None
        self.reqlog = []

    def add_fault(self, spec):
        kinds = ("500", "502", "503", "504", "408", "429", "401", "403", "404", "410", "422", "422s",
                 "truncate", "reset", "stall", "garbage", "hostile", "echo")
        for sep in "@%~":
            if sep in spec:
                kind, arg = spec.split(sep, 1)
                break
        else:
            raise ValueError("bad fault spec %r" % spec)
        if kind not in kinds:
            raise ValueError("bad fault kind %r" % kind)
        f = {"spec": spec, "kind": kind, "op": sep, "count": 1}
        if sep == "~":
            if "*" in arg:
                arg, c = arg.rsplit("*", 1)
                f["count"] = int(c)
            f["text"] = arg
        else:
            f["n"] = int(arg)
            if f["n"] < 1:
                raise ValueError("bad fault spec %r" % spec)
        f["left"] = f["count"]
        with self.lock:
            self.faults.append(f)

    def pick_fault(self, n, target):
        for f in self.faults:
            if f["op"] == "@" and f["n"] == n and f["left"] > 0:
                f["left"] -= 1
                return f["kind"]
            if f["op"] == "%" and n % f["n"] == 0:
                return f["kind"]
            if f["op"] == "~" and f["left"] > 0 and f["text"] in target:
                f["left"] -= 1
                return f["kind"]
        return None

    def rate_headers(self, key, count):
        """count this request if count; return (allowed, headers)."""
        W = self.args.window
        rt = time.time()
        start = int(rt // W * W)
        reset = max(1, int(math.ceil(start + W - rt)))
        limit = self.args.rate
        used = self.windows.get((key, start), 0)
        hour_over = False
        hstart = int(rt // 3600 * 3600)
        if self.args.rate_hour:
            hour_over = self.hourwin.get((key, hstart), 0) >= self.args.rate_hour
        allowed = used < limit and not hour_over
        if allowed and count:
            used += 1
            self.windows[(key, start)] = used
            self.hourwin[(key, hstart)] = self.hourwin.get((key, hstart), 0) + 1
        remaining = max(0, limit - used)
        if hour_over:
            remaining = 0
            reset = max(1, int(math.ceil(hstart + 3600 - rt)))
        hdr = [("x-ratelimit-limit", str(limit)), ("x-ratelimit-used", str(used)),
               ("x-ratelimit-remaining", str(remaining)), ("x-ratelimit-reset", str(reset))]
        return allowed, hdr

    def settle(self):
        """Wait (the lock held) until every request counted is recorded."""
        self.settled.wait_for(lambda: self.ndone >= self.nreq, timeout=5)

    def stats(self):
        with self.lock:
            self.settle()
            agg = {}
            for (k, s), c in self.windows.items():
                agg[s] = agg.get(s, 0) + c
            return {"requests": self.nreq, "status": {str(k): v for k, v in sorted(self.status.items())},
                    "rate_limited": self.rate_limited,
                    "max_per_window": max(self.windows.values(), default=0),
                    "windows": [[s, c] for s, c in sorted(agg.items())],
                    "first": self.first, "last": self.last}

    # --- query helpers -------------------------------------------------------
    @staticmethod
    def one(q, name):
        v = q.get(name)
        return v[-1] if v else None

    def int_param(self, q, name, default=None):
        v = self.one(q, name)
        if v is None or v == "":
            return default
        try:
            return int(v.strip())
        except ValueError:
            raise int_error(name, v)

    def int_list(self, q, name):
        vals = q.get(name)
        if not vals:
            return None
        out = []
        for v in vals:
            for item in v.split(","):
                item = item.strip()
                if not item:
                    continue
                try:
                    out.append(int(item))
                except ValueError:
                    raise int_error(name, item)
        return out

    def bool_param(self, q, name):
        v = self.one(q, name)
        if v is None:
            return None
        lv = v.strip().lower()
        if lv in ("true", "1", "yes", "on", "t", "y"):
            return True
        if lv in ("false", "0", "no", "off", "f", "n"):
            return False
        raise pyd422("bool_parsing", name, "Input should be a valid boolean, unable to interpret input", v)

    def paging(self, q):
        limit = self.int_param(q, "limit", 100)
        page = self.int_param(q, "page", 1)
        if limit <= 0:
            raise pyd422("greater_than", "limit", "Input should be greater than 0", str(limit), {"gt": 0})
        if limit > 1000:
            raise pyd422("less_than_equal", "limit", "Input should be less than or equal to 1000", str(limit), {"le": 1000})
        if page <= 0:
            raise pyd422("greater_than", "page", "Input should be greater than 0", str(page), {"gt": 0})
        return limit, page

    def sorting(self, q, keys):
        ob = self.one(q, "order_by")
        if ob is not None and ob != "id":
            raise pyd422("enum", "order_by", "Input should be 'id'", ob, {"expected": "'id'"})
        so = self.one(q, "sort_order")
        if so is not None and so.lower() not in ("asc", "desc"):
            raise pyd422("enum", "sort_order", "Input should be 'asc' or 'desc'", so, {"expected": "'asc' or 'desc'"})
        if so and so.lower() == "desc":
            return list(reversed(keys))
        return keys

    def iso_or_countries(self, q):
        iso, cids = self.one(q, "iso"), self.int_list(q, "countries_id")
        if iso is not None and cids is not None:
            raise HTTPError(422, {"detail": [{"type": "value_error", "loc": ["query"],
                                              "msg": "Value error, Cannot pass both countries_id and iso code",
                                              "input": {"iso": iso, "countries_id": cids},
                                              "ctx": {"error": {}}, "url": PYD + "value_error"}]})
        if iso is not None:
            return {c[1] for c in COUNTRIES if c[0] == iso.strip().upper()}
        return set(cids) if cids is not None else None

    def parse_when(self, v, name, loc):
        """epoch seconds of an ISO date/datetime; naive values in the location's zone."""
        try:
            s = v.strip().replace(" ", "T") if "T" not in v else v.strip()
            if s.endswith("Z") or s.endswith("z"):
                s = s[:-1] + "+00:00"
            d = dt.datetime.fromisoformat(s)
        except ValueError:
            raise bare422("[{'type': 'datetime_from_date_parsing', 'loc': ('query', '%s'), 'msg': "
                          "'Input should be a valid datetime or date, invalid character in year', "
                          "'input': '%s'}]" % (name, v))
        if d.tzinfo is None:
            d = d.replace(tzinfo=self.world.tz(loc) if loc else UTC)
        return d.timestamp()

    def parse_date(self, v, name, loc):
        """local date of an ISO date/datetime."""
        t = self.parse_when(v, name, loc)
        s = v.strip()
        if len(s) == 10:
            return dt.date.fromisoformat(s)
        return dt.datetime.fromtimestamp(t, self.world.tz(loc) if loc else UTC).date()

    # --- renderers ---------------------------------------------------------------
    def param_embed(self, pid, display=False):
        p = PARAM[pid]
        return {"id": p[0], "name": p[1], "units": p[2], "displayName": p[3] if display else None}

    def coords(self, loc):
        if loc["nullcoord"]:
            return {"latitude": None, "longitude": None}
        return {"latitude": loc["lat"], "longitude": loc["lon"]}

    def loc_span(self, loc, nowh):
        f = l = None
        for s in loc["sensors"]:
            lh = self.world.last_hour(s, nowh)
            if lh is None:
                continue
            f = s["first"] if f is None else min(f, s["first"])
            l = lh if l is None else max(l, lh)
        return f, l

    def render_location(self, loc, nowh, distance=None):
        w = self.world
        f, l = self.loc_span(loc, nowh)
        lic = None
        if loc["license"]:
            lid, dfrom, dto_, url = loc["license"]
            lic = [{"id": lid, "name": [x for x in LICENSES if x[0] == lid][0][1],
                    "attribution": {"name": dict(OWNERS)[loc["owner"]], "url": url},
                    "dateFrom": dfrom, "dateTo": dto_}]
        inst = [x for x in INSTRUMENTS if x[0] == loc["instrument"]][0]
        prov = [x for x in PROVIDERS if x[0] == loc["provider"]][0]
        b = [0.0, 0.0, 0.0, 0.0] if loc["nullcoord"] else [loc["lon"], loc["lat"], loc["lon"], loc["lat"]]
        cid, code, cname = loc["country"]
        return {
            "id": loc["id"], "name": loc["name"], "locality": loc["locality"], "timezone": loc["tz"],
            "country": {"id": cid, "code": code, "name": cname},
            "owner": {"id": loc["owner"], "name": dict(OWNERS)[loc["owner"]]},
            "provider": {"id": prov[0], "name": prov[1]},
            "isMobile": loc["mobile"], "isMonitor": loc["monitor"],
            "instruments": [{"id": inst[0], "name": inst[1]}],
            "sensors": [{"id": s["id"], "name": "%s %s" % (PARAM[s["param"]][1], PARAM[s["param"]][2]),
                         "parameter": self.param_embed(s["param"], True)} for s in loc["sensors"]],
            "coordinates": self.coords(loc), "licenses": lic, "bounds": b, "distance": distance,
            "datetimeFirst": w.dto(f, loc) if f is not None else None,
            "datetimeLast": w.dto(l, loc) if l is not None else None,
        }

    def render_sensor(self, s, nowh):
        w = self.world
        loc = s["loc"]
        p = PARAM[s["param"]]
        rec = {"id": s["id"], "name": "%s %s" % (p[1], p[2]), "parameter": self.param_embed(p[0], True),
               "datetimeFirst": None, "datetimeLast": None, "coverage": None, "latest": None, "summary": None}
        last = w.last_hour(s, nowh)
        if last is None:
            return rec
        hrs = w.hours_in(s, None, None, nowh)
        vals = [w.reading(s["id"], t)[1] for t in hrs]
        good = [v for v in vals if v != -999.0]
        exp = (last - s["first"]) // 3600 + 1
        sm = summary_of(good)
        rec["datetimeFirst"] = w.dto(s["first"], loc)
        rec["datetimeLast"] = w.dto(last, loc)
        rec["coverage"] = {"expectedCount": exp, "expectedInterval": "%02d:00:00" % exp,
                           "observedCount": len(hrs), "observedInterval": "%02d:00:00" % len(hrs),
                           "percentComplete": round(100.0 * len(hrs) / exp, 2),
                           "percentCoverage": round(100.0 * len(hrs) / exp, 2),
                           "datetimeFrom": w.dto(s["first"], loc), "datetimeTo": w.dto(last, loc)}
        rec["latest"] = {"datetime": w.dto(last, loc), "value": w.reading(s["id"], last)[1],
                         "coordinates": self.coords(loc)}
        rec["summary"] = {"min": sm["min"], "q02": None, "q25": None, "median": None, "q75": None,
                          "q98": None, "max": sm["max"], "avg": sm["avg"], "sd": sm["sd"]}
        return rec

    def render_latest(self, s, nowh):
        now = self.now()
        lt = self.lt_memo[1].get(s["id"]) if self.lt_memo[0] == now else None
        t, last = lt if lt is not None else self.world.latest_time(s, now)
        if self.world.stagger:
            # world scale: a sensor's record stays the same until its next reading
            k = (s["id"], t)
            rec = self.rendered.get(k)
            if rec is None:
                if len(self.rendered) > 400000:
                    self.rendered.clear()
                rec = self.rendered[k] = self.render_latest1(s, t, last)
            return rec
        return self.render_latest1(s, t, last)

    def render_latest1(self, s, t, last):
        loc = s["loc"]
        return {"datetime": self.world.dto(t, loc), "value": self.world.reading(s["id"], last)[1],
                "coordinates": self.coords(loc), "sensorsId": s["id"], "locationsId": loc["id"]}

    def render_hour(self, s, t, label):
        w, loc = self.world, s["loc"]
        present, v, err, flag = w.reading(s["id"], t)
        frm, to = w.dto(t - 3600, loc), w.dto(t, loc)
        cov = {"expectedCount": 1, "expectedInterval": "01:00:00", "observedCount": 1,
               "observedInterval": "01:00:00", "percentComplete": 100.0, "percentCoverage": 100.0,
               "datetimeFrom": frm, "datetimeTo": to}
        if label == "raw":
            value, summ = v, None
        else:
            value = None if err else sig3(v)
            summ = summary_of([] if err else [v])
        return {"value": value, "flagInfo": {"hasFlags": flag}, "parameter": self.param_embed(s["param"]),
                "period": {"label": label, "interval": "01:00:00", "datetimeFrom": frm, "datetimeTo": to},
                "coordinates": self.coords(loc) if (label == "raw" and loc["mobile"]) else None,
                "summary": summ, "coverage": cov}

    def render_agg(self, s, key, label, interval):
        w, loc = self.world, s["loc"]
        lo, hi, hrs = key
        vals = [w.reading(s["id"], t)[1] for t in hrs]
        good = [v for v in vals if v != -999.0]
        exp = (hi - lo) // 3600
        sm = summary_of(good)
        return {"value": sig3(sm["avg"]) if good else None, "flagInfo": {"hasFlags": False},
                "parameter": self.param_embed(s["param"]),
                "period": {"label": label, "interval": interval, "datetimeFrom": w.dto(lo, loc),
                           "datetimeTo": w.dto(hi, loc)},
                "coordinates": None, "summary": sm,
                "coverage": {"expectedCount": exp, "expectedInterval": "%02d:00:00" % exp,
                             "observedCount": len(hrs), "observedInterval": "%02d:00:00" % len(hrs),
                             "percentComplete": round(100.0 * len(hrs) / exp, 2),
                             "percentCoverage": round(100.0 * len(hrs) / exp, 2),
                             "datetimeFrom": w.dto(hrs[0] - 3600, loc), "datetimeTo": w.dto(hrs[-1], loc)}}

    # --- routing -------------------------------------------------------------------
    def route(self, path, q):
        """-> ListResult, or raise HTTPError."""
        parts = [p for p in path.split("/") if p][1:]   # drop "v3"
        nowh = self.nowh()
        w = self.world

        def pid(i, what):
            v = parts[i]
            try:
                n = int(v)
            except ValueError:
                raise int_error("%s_id" % what, v, "path")
            if n < 1:
                raise HTTPError(422, {"detail": [{"type": "greater_than_equal", "loc": ["path", "%s_id" % what],
                                                  "msg": "Input should be greater than or equal to 1", "input": v,
                                                  "ctx": {"ge": 1}, "url": PYD + "greater_than_equal"}]})
            return n

        def nf(what):
            return HTTPError(404, {"detail": "%s not found" % what})

        if not parts:
            raise HTTPError(404, {"detail": "Not Found"})
        head, n = parts[0], len(parts)

        if head == "parameters":
            if n == 1:
                if self.args.poll_clock and not getattr(_dumping, "on", False):
                    with self.lock:
                        self.offset += self.args.poll_clock
                    nowh = self.nowh()
                keys = [p[0] for p in PARAMETERS]
                pt = self.one(q, "parameter_type")
                if pt is not None:
                    if pt not in ("pollutant", "meteorological"):
                        raise pyd422("enum", "parameter_type", "Input should be 'pollutant' or 'meteorological'", pt,
                                     {"expected": "'pollutant' or 'meteorological'"})
                    keys = [k for k in keys if PARAM[k][5] == pt]
                cs = self.iso_or_countries(q)
                if cs is not None:
                    have = {s["param"] for l in w.locations if l["country"][0] in cs for s in l["sensors"]}
                    keys = [k for k in keys if k in have]
                keys = self.sorting(q, keys)
                return ListResult(keys, self.render_parameter, True)
            i = pid(1, "parameters")
            if i not in PARAM:
                raise nf("Parameter")
            if n == 2:
                return ListResult([i], self.render_parameter, True)
            if n == 3 and parts[2] == "latest":
                return self.latest(self.by_param(i), q, nowh, memo=i)
        elif head == "countries":
            if n == 1:
                if self.one(q, "providers_id") is not None:
                    raise HTTPError(500, {"detail": 'column "provider" does not exist'})
                keys = [c[1] for c in self.world.countries]
                ps = self.int_list(q, "parameters_id")
                if ps is not None:
                    have = {l["country"][0] for l in w.locations for s in l["sensors"] if s["param"] in ps}
                    keys = [k for k in keys if k in have]
                return ListResult(self.sorting(q, keys), lambda k: self.render_country(k, nowh), True)
            i = pid(1, "countries")
            if n == 2:
                if i not in {c[1] for c in self.world.countries}:
                    raise nf("Country")
                return ListResult([i], lambda k: self.render_country(k, nowh), True)
        elif head == "locations":
            if n == 1:
                locs, dist = self.filter_locations(q)
                return ListResult(self.sorting(q, locs),
                                  lambda l: self.render_location(l, nowh, dist.get(l["id"])), False)
            i = pid(1, "locations")
            loc = w.loc_by_id.get(i)
            if loc is None:
                raise nf("Location")
            if n == 2:
                return ListResult([loc], lambda l: self.render_location(l, nowh), False)
            if n == 3 and parts[2] == "sensors":
                return ListResult(loc["sensors"], lambda s: self.render_sensor(s, nowh), False, paged=False)
            if n == 3 and parts[2] == "latest":
                return self.latest(loc["sensors"], q, nowh)
            if n == 3 and parts[2] == "flags":
                self.paging(q)
                return ListResult([], None, False)
        elif head == "sensors" and n >= 2:
            i = pid(1, "sensors")
            s = w.sensors.get(i)
            if n == 2:
                if s is None:
                    raise nf("Sensor")
                return ListResult([s], lambda s: self.render_sensor(s, nowh), False, paged=False)
            sub = "/".join(parts[2:])
            if sub == "flags":
                self.paging(q)
                return ListResult([], None, False)
            if sub in ("measurements", "measurements/hourly", "hours"):
                return self.series_hours(s, q, nowh, sub)
            if sub in ("days", "years"):
                return self.series_agg(s, q, nowh, sub)
        elif head in ("providers", "owners", "instruments", "manufacturers", "licenses"):
            table = {"providers": (PROVIDERS, "Provider", True), "owners": (OWNERS, "Owner", False),
                     "instruments": (INSTRUMENTS, "Instrument", False),
                     "manufacturers": (MANUFACTURERS, "Manufacturer", True),
                     "licenses": (LICENSES, "License", False)}[head]
            rows, what, exact = table
            used = self.used_ids(head)
            render = getattr(self, "render_" + head[:-1])
            if n == 1:
                keys = sorted(r[0] for r in rows if r[0] in used)
                if head == "providers":
                    keys = self.filter_providers(q, keys)
                return ListResult(self.sorting(q, keys), lambda k: render(k, nowh), exact)
            i = pid(1, head)
            if i not in used:
                raise nf(what)
            if n == 2:
                return ListResult([i], lambda k: render(k, nowh), exact)
            if n == 3 and head == "manufacturers" and parts[2] == "instruments":
                keys = [x[0] for x in INSTRUMENTS if x[3] == i and x[0] in self.used_ids("instruments")]
                return ListResult(keys, lambda k: self.render_instrument(k, nowh), False)
        raise HTTPError(404, {"detail": "Not Found"})

    def used_ids(self, head):
        w = self.world
        key = {"providers": "provider", "owners": "owner", "instruments": "instrument"}.get(head)
        if key:
            return {l[key] for l in w.locations}
        if head == "manufacturers":
            ins = {l["instrument"] for l in w.locations}
            return {x[3] for x in INSTRUMENTS if x[0] in ins}
        return {l["license"][0] for l in w.locations if l["license"]}

    def filter_locations(self, q):
        cs = self.iso_or_countries(q)
        provs = self.int_list(q, "providers_id")
        params = self.int_list(q, "parameters_id")
        owners = self.int_list(q, "owner_contacts_id")
        insts = self.int_list(q, "instruments_id")
        mans = self.int_list(q, "manufacturers_id")
        lics = self.int_list(q, "licenses_id")
        mobile, monitor = self.bool_param(q, "mobile"), self.bool_param(q, "monitor")
        bbox = self.one(q, "bbox")
        coords, radius = self.one(q, "coordinates"), self.one(q, "radius")
        if bbox is not None and (coords is not None or radius is not None):
            raise pyd422("value_error", None, "Value error, Cannot pass both bounding box and coordinate/radius query in the same URL",
                         {"bbox": bbox}, {"error": {}})
        if (coords is None) != (radius is None):
            raise pyd422("value_error", None, "Value error, Coordinates and radius must be passed together",
                         {"coordinates": coords, "radius": radius}, {"error": {}})
        centre = None
        if coords is not None:
            try:
                r = int(radius)
            except ValueError:
                raise int_error("radius", radius)
            if not 0 < r <= 25000:
                raise pyd422("less_than_equal" if r > 0 else "greater_than", "radius",
                             "Input should be less than or equal to 25000" if r > 0 else "Input should be greater than 0",
                             radius, {"le": 25000} if r > 0 else {"gt": 0})
            try:
                la, lo = (float(x) for x in coords.split(","))
                if not (-90 <= la <= 90 and -180 <= lo <= 180):
                    raise ValueError
            except ValueError:
                raise pyd422("value_error", "coordinates", "Value error, Invalid coordinates", coords, {"error": {}})
            centre = (round(la, 4), round(lo, 4), r)
        box = None
        if bbox is not None:
            try:
                box = [float(x) for x in bbox.split(",")]
                if len(box) != 4 or not (-180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90):
                    raise ValueError
            except ValueError:
                raise pyd422("value_error", "bbox", "Value error, Invalid bounding box", bbox, {"error": {}})
        out, dist = [], {}
        for l in self.world.locations:
            if cs is not None and l["country"][0] not in cs:
                continue
            if provs is not None and l["provider"] not in provs:
                continue
            if params is not None and not any(s["param"] in params for s in l["sensors"]):
                continue
            if owners is not None and l["owner"] not in owners:
                continue
            if insts is not None and l["instrument"] not in insts:
                continue
            if mans is not None and [x[3] for x in INSTRUMENTS if x[0] == l["instrument"]][0] not in mans:
                continue
            if lics is not None and not (l["license"] and l["license"][0] in lics):
                continue
            if mobile is not None and l["mobile"] != mobile:
                continue
            if monitor is not None and l["monitor"] != monitor:
                continue
            if box is not None and (l["nullcoord"] or not (box[0] <= l["lon"] <= box[2] and box[1] <= l["lat"] <= box[3])):
                continue
            if centre is not None:
                if l["nullcoord"]:
                    continue
                d = haversine(centre[0], centre[1], l["lat"], l["lon"])
                if d > centre[2]:
                    continue
                dist[l["id"]] = d
            out.append(l)
        return out, dist

    def filter_providers(self, q, keys):
        cs = self.iso_or_countries(q)
        monitor = self.bool_param(q, "monitor")
        params = self.int_list(q, "parameters_id")
        ok = set()
        for l in self.world.locations:
            if cs is not None and l["country"][0] not in cs:
                continue
            if monitor is not None and l["monitor"] != monitor:
                continue
            if params is not None and not any(s["param"] in params for s in l["sensors"]):
                continue
            ok.add(l["provider"])
        return [k for k in keys if k in ok]

    def render_parameter(self, i):
        p = PARAM[i]
        return {"id": p[0], "name": p[1], "units": p[2], "displayName": p[3], "description": p[4]}

    def span_of(self, locs, nowh):
        f = l = None
        params = set()
        for loc in locs:
            a, b = self.loc_span(loc, nowh)
            params |= {s["param"] for s in loc["sensors"]}
            if a is None:
                continue
            f = a if f is None else min(f, a)
            l = b if l is None else max(l, b)
        return f, l, params

    def render_country(self, cid, nowh):
        c = [x for x in COUNTRIES if x[1] == cid][0]
        f, l, params = self.span_of([x for x in self.world.locations if x["country"][0] == cid], nowh)
        return {"id": cid, "code": c[0], "name": c[2],
                "datetimeFirst": iso_utc(f) if f is not None else None,
                "datetimeLast": iso_utc(l) if l is not None else None,
                "parameters": [self.param_embed(p) for p in sorted(params)]}

    def render_provider(self, pid, nowh):
        p = [x for x in PROVIDERS if x[0] == pid][0]
        locs = [x for x in self.world.locations if x["provider"] == pid]
        f, l, params = self.span_of(locs, nowh)
        pts = [(x["lon"], x["lat"]) for x in locs if not x["nullcoord"]]
        bbox = None
        if pts:
            a, b = min(x for x, _ in pts), min(y for _, y in pts)
            c, d = max(x for x, _ in pts), max(y for _, y in pts)
            bbox = {"type": "Polygon", "coordinates": [[[a, b], [a, d], [c, d], [c, b], [a, b]]]}
        return {"id": pid, "name": p[1], "sourceName": p[2], "exportPrefix": p[3], "datetimeAdded": p[4],
                "datetimeFirst": iso_utc(f) if f is not None else None,
                "datetimeLast": iso_utc(l) if l is not None else None,
                "entitiesId": p[5], "parameters": [self.param_embed(x) for x in sorted(params)], "bbox": bbox}

    def render_owner(self, oid, nowh):
        return {"id": oid, "name": dict(OWNERS)[oid]}

    def render_instrument(self, iid, nowh):
        x = [r for r in INSTRUMENTS if r[0] == iid][0]
        return {"id": x[0], "name": x[1], "isMonitor": x[2],
                "manufacturer": {"id": x[3], "name": dict(MANUFACTURERS)[x[3]]}}

    def render_manufacturer(self, mid, nowh):
        used = self.used_ids("instruments")
        return {"id": mid, "name": dict(MANUFACTURERS)[mid],
                "instruments": [{"id": x[0], "name": x[1]} for x in INSTRUMENTS if x[3] == mid and x[0] in used]}

    def render_license(self, lid, nowh):
        x = [r for r in LICENSES if r[0] == lid][0]
        return {"id": x[0], "name": x[1], "commercialUseAllowed": x[2], "attributionRequired": x[3],
                "shareAlikeRequired": x[4], "modificationAllowed": x[5], "redistributionAllowed": x[6],
                "sourceUrl": x[7]}

    def latest(self, sensors, q, nowh, memo=None, now=None):
        self.paging(q)
        dmin = self.one(q, "datetime_min")
        now = self.now() if now is None else now
        if memo is not None:
            # the pages of one walk list the same sensors: compute them once
            key = (memo, dmin, now)
            hit = self.latest_memo.get(key)
            if hit is not None:
                return ListResult(hit, lambda s: self.render_latest(s, nowh), True)
        keys = []
        # a zoned datetime_min is one instant; a naive one is local to each sensor
        zoned = dmin is not None and (dmin.strip().endswith(("Z", "z")) or "+" in dmin[10:] or "-" in dmin[10:])
        t0 = self.parse_when(dmin, "datetime_min", None) if zoned else None
        if self.lt_memo[0] != now:
            self.lt_memo = (now, {})
        memo_lt = self.lt_memo[1]
        for s in sensors:
            lt = self.world.latest_time(s, now)
            if lt is None:
                continue
            memo_lt[s["id"]] = lt
            if dmin is not None and lt[0] < (t0 if zoned else self.parse_when(dmin, "datetime_min", s["loc"])):
                continue
            keys.append(s)
        if memo is not None:
            if len(self.latest_memo) > 64:
                self.latest_memo.clear()
            self.latest_memo[key] = keys
        return ListResult(keys, lambda s: self.render_latest(s, nowh), True)

    def by_param(self, i):
        w = self.world
        if self.param_index is None:
            idx = {}
            for x in w.sensor_ids:
                idx.setdefault(w.sensors[x]["param"], []).append(w.sensors[x])
            self.param_index = idx
        return self.param_index.get(i, [])

    def check_span(self, lo, hi):
        if getattr(_dumping, "on", False):
            return  # the ground truth has no time limit
        if self.args.max_span is not None and hi - lo > self.args.max_span * 3600:
            raise HTTPError(408, TIMEOUT)

    def series_hours(self, s, q, nowh, sub):
        self.paging(q)
        loc = s["loc"] if s else None
        f, t = self.one(q, "datetime_from"), self.one(q, "datetime_to")
        lo = self.parse_when(f, "datetime_from", loc) if f is not None else None
        hi = self.parse_when(t, "datetime_to", loc) if t is not None else None
        if lo is not None and hi is not None and hi <= lo:
            raise bare422("Date/time from must be older than the date/time to. User passed %s - %s"
                          % (dt.datetime.fromtimestamp(lo, UTC), dt.datetime.fromtimestamp(hi, UTC)))
        label = {"measurements": "raw", "measurements/hourly": "1 hour", "hours": "1hour"}[sub]
        exact = sub == "measurements/hourly"
        if s is None:
            return ListResult([], None, exact)
        if self.args.max_span is not None:
            last = self.world.last_hour(s, nowh)
            a = lo if lo is not None else (s["first"] - 3600 if s["first"] is not None else 0)
            b = hi if hi is not None else (last if last is not None else nowh)
            self.check_span(a, b)
        keys = self.world.hours_in(s, lo, hi, nowh)
        return ListResult(keys, lambda t: self.render_hour(s, t, label), exact)

    def series_agg(self, s, q, nowh, sub):
        self.paging(q)
        loc = s["loc"] if s else None
        f, t = self.one(q, "date_from"), self.one(q, "date_to")
        d0 = self.parse_date(f, "date_from", loc) if f is not None else None
        d1 = self.parse_date(t, "date_to", loc) if t is not None else None
        if d0 is not None and d1 is not None and d1 < d0:
            raise bare422("Date/time from must be older than the date/time to. User passed %s - %s" % (d0, d1))
        if s is None:
            return ListResult([], None, False)
        w = self.world
        tz = w.tz(loc)

        def start_of(d):
            return int(dt.datetime(d.year, d.month, d.day, tzinfo=tz).timestamp())

        def period(d):
            if sub == "days":
                return d
            return dt.date(d.year, 1, 1)

        def nxt(d):
            if sub == "days":
                return d + dt.timedelta(days=1)
            return dt.date(d.year + 1, 1, 1)
        lo = start_of(period(d0)) if d0 is not None else None
        hi = start_of(nxt(period(d1))) if d1 is not None else None
        if self.args.max_span is not None:
            last = w.last_hour(s, nowh)
            a = lo if lo is not None else (s["first"] - 3600 if s["first"] is not None else 0)
            b = hi if hi is not None else (last if last is not None else nowh)
            self.check_span(a, b)
        hrs = w.hours_in(s, lo, hi, nowh)
        groups = {}
        order = []
        for h in hrs:
            p = period(dt.datetime.fromtimestamp(h - 3600, tz).date())
            if p not in groups:
                groups[p] = []
                order.append(p)
            groups[p].append(h)
        keys = []
        for p in order:
            if d0 is not None and p < d0 and sub == "days":
                continue
            if d0 is not None and sub == "years" and p < dt.date(d0.year, 1, 1):
                continue
            keys.append((start_of(p), start_of(nxt(p)), groups[p]))
        label, interval = ("1day", "24:00:00") if sub == "days" else ("1year", "1 year")
        return ListResult(keys, lambda k: self.render_agg(s, k, label, interval), False)

    def envelope(self, res, q):
        if res.paged:
            limit, page = self.paging(q)
        else:
            limit, page = 100, 1
        rows = res.keys[(page - 1) * limit: page * limit] if res.paged else res.keys
        recs = [res.render(k) for k in rows]
        if res.exact:
            found = len(res.keys)
        elif res.paged and len(recs) == limit:
            found = ">%d" % limit
        else:
            found = len(recs)
        return {"meta": {"name": "openaq-api", "website": "/", "page": page, "limit": limit, "found": found},
                "results": recs}

    def dump(self, path, q):
        _dumping.on = True  # this thread only: requests go on meanwhile
        try:
            res = self.route(path, q)
            return [res.render(k) for k in res.keys]
        finally:
            _dumping.on = False


# ---------------------------------------------------------------------------
# HTTP

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeapi/1"
    sys_version = ""

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def write_all(self, data):
        """the buffered headers and DATA in one write (no Nagle/delayed-ACK stall)."""
        buf = b"".join(getattr(self, "_headers_buffer", [])) + data
        self._headers_buffer = []
        self.wfile.write(buf)
        self.wfile.flush()

    @staticmethod
    def encode(body, ctype):
        if isinstance(body, bytes):
            return body
        if ctype == "application/json":
            return dumps(body).encode()       # dicts, lists and bare JSON strings
        return body.encode()

    def send(self, status, data, extra=(), ctype="application/json"):
        """send the status line and headers for DATA (bytes); return the bytes to write."""
        gz = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        hdr = list(extra)
        if gz and len(data) >= 1000:
            data = gzip.compress(data, 1 if self.server.api.args.parameters else 6, mtime=0)
            hdr.append(("Content-Encoding", "gzip"))
        self.send_response(status, REASONS.get(status))
        if data:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Vary", "Accept-Encoding")
        if status < 500:
            self.send_header("Cache-Control", "public, max-age=900")
        for k, v in hdr:
            self.send_header(k, v)
        self._headers_buffer.append(b"\r\n")   # end_headers() without the flush
        return data

    def reply(self, status, body, extra=(), ctype="application/json"):
        data = self.send(status, self.encode(body, ctype), extra, ctype)
        try:
            self.write_all(data)
        except OSError:
            self.close_connection = True

    def do_GET(self):
        api = self.server.api
        u = urllib.parse.urlsplit(self.path)
        path, query = u.path, u.query
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        if path.startswith("/__fake/"):
            return self.admin(path[len("/__fake/"):], q, query)
        if path == "/ping":
            self.reply(200, {"ping": "pong!"})
            return self.log_line(200, path, query, None)
        if "/v1/" in path + "/" or "/v2/" in path + "/":
            self.reply(410, GONE)
            return self.log_line(410, path, query, None)
        if not path.startswith("/v3/") and path != "/v3":
            self.reply(404, {"detail": "Not Found"})
            return self.log_line(404, path, query, None)
        key = self.headers.get("X-API-Key")
        keystate = "missing" if not key else ("ok" if key in api.keys else "bad")
        target = path + ("?" + query if query else "")
        with api.lock:
            api.nreq += 1
            n = api.nreq
            fault = api.pick_fault(n, target)
        status = self.serve(api, path, q, key, keystate, fault)
        now = time.time()
        with api.lock:
            api.status[status] = api.status.get(status, 0) + 1
            if status == 429:
                api.rate_limited += 1
            api.first = now if api.first is None else api.first
            api.last = now
            api.reqlog.append({"t": now, "path": path, "query": query, "status": status,
                               "ua": self.headers.get("User-Agent"),
                               "gzip": "gzip" in (self.headers.get("Accept-Encoding") or "").lower(),
                               "key": keystate, "fault": fault,
                               "port": self.client_address[1]})
            api.ndone += 1
            api.settled.notify_all()
        self.log_line(status, path, query, fault)

    def log_line(self, status, path, query, fault):
        f = self.server.logf
        if f:
            line = "%d %d %s%s%s\n" % (int(time.time() * 1000), status, path, "?" + query if query else "",
                                       " " + fault if fault else "")
            with self.server.api.lock:
                f.write(line)
                f.flush()

    def serve(self, api, path, q, key, keystate, fault):
        """answer one /v3 request; return the status."""
        if fault and fault != "stall":
            return self.fault(api, fault, path, q, key)
        if fault == "stall":
            time.sleep(api.args.stall)
        if keystate == "missing":
            self.reply(401, NOKEY)
            return 401
        if keystate == "bad":
            self.reply(401, BADKEY)
            return 401
        with api.lock:
            allowed, hdr = api.rate_headers(key, True)
        if not allowed:
            self.reply(429, TOO_MANY, hdr)
            return 429
        status, body = self.compute(api, path, q)
        self.reply(status, body, hdr)
        return status

    def compute(self, api, path, q):
        try:
            res = api.route(path, q)
            return 200, api.envelope(res, q)
        except HTTPError as e:
            return e.status, e.body
        except Exception as e:  # a bug in the fake: say so as a 500
            import traceback
            traceback.print_exc()
            return 500, {"detail": "fakeapi: %s" % e}

    def fault(self, api, kind, path, q, key):
        hdr = []
        if key in api.keys:
            with api.lock:
                _, hdr = api.rate_headers(key, False)
        if kind in ("500", "503", "504"):
            self.reply(int(kind), HTML[int(kind)], ctype="text/html")
        elif kind == "502":
            self.reply(502, b"")
        elif kind == "403":
            self.reply(403, HTML[403], ctype="text/html")
        elif kind == "408":
            self.reply(408, TIMEOUT, hdr)
        elif kind == "429":
            hdr = [(k, {"x-ratelimit-used": str(api.args.rate), "x-ratelimit-remaining": "0"}.get(k, v)) for k, v in hdr] \
                or [("x-ratelimit-limit", str(api.args.rate)), ("x-ratelimit-used", str(api.args.rate)),
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", str(max(1, int(math.ceil(api.args.window - time.time() % api.args.window)))))]
            self.reply(429, TOO_MANY, hdr)
        elif kind == "401":
            self.reply(401, BADKEY)
        elif kind == "404":
            self.reply(404, {"detail": "Not Found"}, hdr)
        elif kind == "410":
            self.reply(410, GONE)
        elif kind == "422":
            self.reply(422, pyd422("less_than_equal", "limit", "Input should be less than or equal to 1000",
                                   "1001", {"le": 1000}).body, hdr)
        elif kind == "422s":
            self.reply(422, "Date/time from must be older than the date/time to. User passed fault - fault", hdr)
        elif kind == "garbage":
            self.reply(200, b"<html><body>Internal gateway hiccup {\"meta\": ", hdr)
        elif kind == "hostile":
            self.reply(422, b'{"detail":"\\u001b[2J\\u001b]0;owned\\u0007bad\\r\\naq-fetch: all records '
                       b'written\\naq-fetch: \\u001b[32mok\\u001b[0m \\u009b31m"}', hdr)
        elif kind == "echo":
            k = key or ""
            self.reply(401, {"detail": "Invalid credentials: %s (%s)" % (k, urllib.parse.quote(k, safe=""))})
        elif kind == "truncate":
            status, body = self.compute(api, path, q)
            data = self.send(status, self.encode(body, "application/json"), hdr)
            try:
                self.write_all(data[:len(data) // 2])
            except OSError:
                pass
            self.close_connection = True
            return status
        elif kind == "reset":
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.wfile.close()
                self.rfile.close()
                self.connection.close()
            except OSError:
                pass
            self.close_connection = True
            return 0
        return {"500": 500, "502": 502, "503": 503, "504": 504, "403": 403, "408": 408, "429": 429, "401": 401,
                "404": 404, "410": 410, "422": 422, "422s": 422, "garbage": 200, "hostile": 422,
                "echo": 401}[kind]

    def admin(self, cmd, q, query):
        api = self.server.api
        one = lambda k: (q.get(k) or [None])[-1]
        try:
            if cmd == "stats":
                return self.reply(200, api.stats())
            if cmd == "reset":
                with api.lock:
                    api.reset_stats()
                return self.reply(200, {"ok": True})
            if cmd == "clear":
                with api.lock:
                    api.faults = []
                return self.reply(200, {"ok": True})
            if cmd == "requests":
                with api.lock:
                    api.settle()
                    rl = list(api.reqlog)
                return self.reply(200, rl)
            if cmd == "now":
                return self.reply(200, {"now": iso_utc(api.now())})
            if cmd == "advance":
                h = float(one("hours") or 1)
                with api.lock:
                    api.offset += h * 3600
                return self.reply(200, {"now": iso_utc(api.now())})
            if cmd == "withhold":
                h = int(one("hours") or 20)
                with api.lock:
                    top = api.nowh() - 3600
                    api.world.withheld = (top - h * 3600, top)
                return self.reply(200, {"withheld": [iso_utc(t) for t in api.world.withheld]})
            if cmd == "latest-counts":
                at = api.parse_when(one("at") or iso_utc(api.now()), "at", None)
                qq = {"datetime_min": [one("datetime_min")]} if one("datetime_min") else {}
                out = {}
                for p in PARAMETERS:
                    out[p[0]] = len(api.latest(api.by_param(p[0]), qq, int(at // 3600 * 3600), now=at).keys)
                return self.reply(200, out)
            if cmd == "release":
                with api.lock:
                    api.world.withheld = None
                return self.reply(200, {"ok": True})
            if cmd == "correct":
                h = int(one("hours") or 5)
                d = float(one("delta") or 1)
                with api.lock:
                    top = api.nowh() - 3600
                    api.world.corrected = (top - h * 3600, top, d)
                return self.reply(200, {"corrected": [iso_utc(top - h * 3600), iso_utc(top)]})
            if cmd == "fault":
                api.add_fault(one("spec") or "")
                return self.reply(200, {"ok": True, "faults": [f["spec"] for f in api.faults]})
            if cmd == "sensors":
                p = one("parameter")
                w = api.world
                ids = [i for i in w.sensor_ids if p is None or w.sensors[i]["param"] == int(p)]
                return self.reply(200, ids)
            if cmd == "dump":
                path = one("path") or ""
                qq = {k: v for k, v in q.items() if k not in ("path", "limit", "page")}
                try:
                    recs = api.dump(urllib.parse.urlsplit(path).path, qq)
                except HTTPError as e:
                    return self.reply(e.status, e.body)
                return self.reply(200, {"results": recs})
            if cmd == "quit":
                self.reply(200, {"ok": True})
                self.close_connection = True
                threading.Thread(target=self.server.shutdown, daemon=True).start()
                return
        except (ValueError, TypeError) as e:
            return self.reply(400, {"detail": str(e)})
        return self.reply(404, {"detail": "no such admin command"})

    def other(self):
        self.reply(405, {"detail": "Method Not Allowed"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = other


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake OpenAQ v3 API (see the module docstring)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--key", action="append")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--locations", type=int, default=2000)
    ap.add_argument("--hours", type=int, default=72)
    ap.add_argument("--now", default="2026-11-28T12:00:00Z")
    ap.add_argument("--rate", type=int, default=60)
    ap.add_argument("--window", type=float, default=60)
    ap.add_argument("--rate-hour", type=int, default=0)
    ap.add_argument("--fault", action="append")
    ap.add_argument("--stall", type=float, default=40)
    ap.add_argument("--max-span", type=float, default=None)
    ap.add_argument("--log")
    ap.add_argument("--parameters", type=int, default=0)
    ap.add_argument("--stagger", action="store_true")
    ap.add_argument("--poll-clock", type=float, default=0)
    args = ap.parse_args(argv)
    if args.hours < 1 or args.locations < 0 or args.rate < 0 or args.window <= 0:
        ap.error("bad --hours, --locations, --rate or --window")
    try:
        api = Api(args)
    except ValueError as e:
        ap.error(str(e))
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.api = api
    srv.logf = open(args.log, "a", encoding="utf-8") if args.log else None
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    print("fakeapi: listening on 127.0.0.1:%d" % port, file=sys.stderr, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
