#!/usr/bin/env python3
"""generate.py: write the project's own API samples (the *-g* files of
t/data/api-samples and t/data/samples) from the test suite's fake API.

They stand in for samples whose licence did not allow shipping them (the
documentation's examples, CC BY-NC-SA) or whose origin is unknown: the
same endpoints and the same departures from the documented API (see
SOURCES.md and VIOLATIONS.md), with data the fake generates from a seed.

    python3 t/data/api-samples/generate.py      (from the source tree)

Deterministic: the fake's data is a function of its seed and clock.
"""
import csv, io, json, os, subprocess, sys, tempfile, time, urllib.request

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
api_dir = os.path.join(top, "t/data/api-samples")
smp_dir = os.path.join(top, "t/data/samples")
tmp = tempfile.mkdtemp()
port_file = os.path.join(tmp, "port")
fake = subprocess.Popen([sys.executable, os.path.join(top, "t/fakeapi.py"), "--port-file", port_file,
                         "--seed", "11", "--locations", "60", "--now", "2026-11-01T12:00:00Z"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(600):
        if os.path.exists(port_file):
            break
        time.sleep(0.05)
    port = open(port_file).read().strip()

    def get(path):
        r = urllib.request.Request("http://127.0.0.1:%s/v3%s" % (port, path), headers={"X-API-Key": "test-key"})
        return json.load(urllib.request.urlopen(r))

    def put(name, doc, indent=2):
        with open(os.path.join(api_dir, name), "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, ensure_ascii=False, indent=indent) + "\n")
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in doc["results"]]
        with open(os.path.join(smp_dir, name.replace(".json", ".ndjson")), "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in lines))
        return doc

    def fetched(name, doc, sensor):
        # what aq-fetch writes for a series: the records with sensorsId added
        with open(os.path.join(smp_dir, name.replace(".json", ".fetched.ndjson")), "w", encoding="utf-8") as f:
            for r in doc["results"]:
                r = dict(r)
                r["sensorsId"] = sensor
                f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")

    fr = [l for l in get("/locations?iso=FR&limit=100")["results"]]
    loc = fr[0]
    sensor = loc["sensors"][0]["id"]

    # a country whose datetimeLast has milliseconds
    d = get("/countries/22")
    d["results"][0]["datetimeLast"] = "2026-10-31T21:07:06.731Z"
    put("countries-g1.json", d)

    put("parameters-g1.json", get("/parameters/2"))
    put("providers-g1.json", get("/providers/%d" % loc["provider"]["id"]))
    put("locations-g1.json", get("/locations/%d" % loc["id"]))
    # the locality is the country's name; four-space indentation
    d = get("/locations/%d" % fr[1]["id"])
    d["results"][0]["locality"] = d["results"][0]["country"]["name"]
    put("locations-g2.json", d, indent=4)

    # a /sensors/{id} record: no location id at all
    d = get("/sensors/%d" % sensor)
    for r in d["results"]:
        r.pop("locationsId", None)
    put("sensor-g1.json", d)

    # latest of a location, one value an integer; 4-space indentation
    d = get("/locations/%d/latest" % loc["id"])
    d["results"] = d["results"][:8]
    for r in d["results"][:1]:
        if isinstance(r.get("value"), float):
            r["value"] = int(round(r["value"]))
    put("latest-g1.json", d, indent=4)

    # raw measurements, found a string, no flagInfo (as the older payloads)
    d = get("/sensors/%d/measurements?limit=5&datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-02T00:00:00Z" % sensor)
    d["meta"]["found"] = ">1000"
    for r in d["results"]:
        r.pop("flagInfo", None)
        r["period"]["label"] = "raw"
    put("measurements-g1.json", d)

    # days: label "1day", found ">2", an integer percentComplete
    d = get("/sensors/%d/days?limit=2&datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-10T00:00:00Z" % sensor)
    d["results"] = d["results"][:2]
    d["meta"]["limit"] = 2
    d["meta"]["found"] = ">2"
    for r in d["results"]:
        r["period"]["label"] = "1day"
        r["period"]["interval"] = "24:00:00"
        if isinstance(r.get("coverage"), dict):
            r["coverage"]["percentComplete"] = 8
    put("days-g1.json", d)
    fetched("days-g1.json", d, sensor)

    # yearly: label "1 year", interval "1year", not HH:MM:SS
    d = get("/sensors/%d/years?limit=2&datetime_from=2024-01-01T00:00:00Z&datetime_to=2026-01-01T00:00:00Z" % sensor)
    d["results"] = d["results"][:2]
    d["meta"]["limit"] = 2
    for r in d["results"]:
        r["period"]["label"] = "1 year"
        r["period"]["interval"] = "1year"
        if isinstance(r.get("coverage"), dict):
            r["coverage"]["expectedInterval"] = "8784:00:00"
    put("yearly-g1.json", d)
    fetched("yearly-g1.json", d, sensor)

    # archive CSV rows: the header says sensors_id and units; a -07:00 and a
    # +08:00 local time, long decimals in the coordinates
    def archive(name, lid, sid, lname, offset, hours, lat, lon, param, values):
        cols = ["location_id", "sensors_id", "location", "datetime", "lat", "lon", "parameter", "units", "value"]
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(cols)
        rows = []
        for h, v in zip(hours, values):
            row = [str(lid), str(sid), lname, "2026-10-01T%02d:00:00%s" % (h, offset), lat, lon, param, "µg/m³", v]
            w.writerow(row)
            rows.append(dict(zip(cols, row)))
        with open(os.path.join(api_dir, name), "w", encoding="utf-8") as f:
            f.write(out.getvalue())
        with open(os.path.join(smp_dir, name.replace(".csv", ".ndjson")), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")

    archive("archive-g1.csv", loc["id"], sensor, loc["name"], "-07:00", range(1, 9),
            "%.4f" % loc["coordinates"]["latitude"], "%.4f" % loc["coordinates"]["longitude"], "pm10",
            ["12.5", "14", "9.75", "11.0", "8.4", "13.2", "15.1", "10"])
    archive("archive-g2.csv", fr[1]["id"], fr[1]["sensors"][0]["id"], fr[1]["name"], "+08:00", range(1, 7),
            "%.13f" % fr[1]["coordinates"]["latitude"], "%.12f" % fr[1]["coordinates"]["longitude"], "pm10",
            ["87.2", "61.4", "38.0", "42.6", "58.1", "40.9"])
finally:
    fake.terminate()
    fake.wait()
