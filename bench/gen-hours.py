#!/usr/bin/env python3
"""gen-hours.py N: N deterministic OpenAQ /v3/sensors/{id}/hours records, as NDJSON.

Each line is one record of the API's results array, exactly in the shape the
server sends (value, flagInfo, parameter, period with datetimeFrom/To {utc,
local}, coordinates, summary, coverage; see openaq-v3.md section 6.6), with
the "sensorsId" that aq-fetch adds to sensor series.  Python 3 stdlib only, no
network.

The data: 2000 sensors of 8 parameters at 400 locations in 6 time zones, one
record per sensor per hour, the sensors in turn, from 2024-01-25T00:00Z (so a
1M file spans February too: two monthly partitions).  About 0.5 % of the
values are null (kept by aq-norm, \\N in the TSV) and 1 % of the records are
flagged.  The output depends on nothing but the seed and N, and the first K
lines of N records are the K-record file.
"""

import random
import sys
import time

SEED = 20240125
SENSORS = 2000
T0 = 1706140800  # 2024-01-25T00:00:00Z

# id, name, units, typical value, spread, decimals
PARAMETERS = [
    (2, "pm25", "µg/m³", 12.0, 8.0, 1),
    (1, "pm10", "µg/m³", 25.0, 15.0, 1),
    (10, "o3", "ppm", 0.03, 0.015, 4),
    (7, "no2", "ppm", 0.015, 0.01, 4),
    (9, "so2", "ppm", 0.002, 0.0015, 4),
    (8, "co", "ppm", 0.3, 0.2, 3),
    (100, "temperature", "c", 8.0, 7.0, 1),
    (98, "relativehumidity", "%", 65.0, 15.0, 1),
]

ZONES = [-7 * 60, -5 * 60, 0, 60, 5 * 60 + 30, 9 * 60]  # minutes east of UTC


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def local(t, off):
    sign = "+" if off >= 0 else "-"
    a = abs(off)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + off * 60)) + \
        "%s%02d:%02d" % (sign, a // 60, a % 60)


def fmt(x, d):
    s = "%.*f" % (d, x)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    rng = random.Random(SEED)
    sensors = []
    for k in range(SENSORS):
        loc = k // 5
        lrng = random.Random(SEED + loc)
        p = PARAMETERS[k % len(PARAMETERS)]
        sensors.append({
            "id": 3900 + k * 4231 % 9000000 + k,
            "p": p,
            "param": '{"id":%d,"name":"%s","units":"%s","displayName":null}' % p[:3],
            "off": ZONES[loc % len(ZONES)],
            "lat": fmt(lrng.uniform(-45, 60), 6),
            "lon": fmt(lrng.uniform(-120, 140), 6),
            "level": rng.uniform(0.5, 1.5),
            # a quarter of the sensors report every 15 minutes, the rest hourly
            "per": 4 if k % 4 == 0 else 1,
        })

    out = sys.stdout
    buf = []
    for i in range(n):
        s = sensors[i % SENSORS]
        h = i // SENSORS
        t = T0 + 3600 * h
        off = s["off"]
        p = s["p"]
        dec = p[5]
        base = p[3] * s["level"]
        v = max(0.0, rng.gauss(base, p[4]))
        if p[1] == "temperature":
            v = rng.gauss(base, p[4])
        if p[1] == "relativehumidity":
            v = min(100.0, v)
        exp = s["per"]
        obs = exp if rng.random() > 0.05 else rng.randint(1, exp)
        if rng.random() < 0.005:
            value = "null"
            summ = "null"
        else:
            value = fmt(v, dec)
            lo = v * rng.uniform(0.6, 1.0)
            hi = v * rng.uniform(1.0, 1.4)
            if lo > hi:
                lo, hi = hi, lo
            q = [lo, lo + (v - lo) * 0.1, lo + (v - lo) * 0.6, v, v + (hi - v) * 0.4, v + (hi - v) * 0.9, hi]
            sd = "null" if obs < 2 else fmt(abs(hi - lo) / 4, dec + 2)
            summ = ('{"min":%s,"q02":%s,"q25":%s,"median":%s,"q75":%s,"q98":%s,"max":%s,"avg":%s,"sd":%s}'
                    % tuple([fmt(x, dec) for x in q] + [value, sd]))
        pct = fmt(100.0 * obs / exp, 1)
        f_utc, t_utc = utc(t), utc(t + 3600)
        f_loc, t_loc = local(t, off), local(t + 3600, off)
        # coverage ends at the last observation
        c_to = t + 3600 - (exp - obs) * (3600 // exp)
        c_from = c_to - obs * (3600 // exp)
        oi = "%02d:%02d:00" % divmod(obs * 60 // exp, 60)
        buf.append(
            '{"value":%s,"flagInfo":{"hasFlags":%s},"parameter":%s,'
            '"period":{"label":"1hour","interval":"01:00:00",'
            '"datetimeFrom":{"utc":"%s","local":"%s"},"datetimeTo":{"utc":"%s","local":"%s"}},'
            '"coordinates":{"latitude":%s,"longitude":%s},"summary":%s,'
            '"coverage":{"expectedCount":%d,"expectedInterval":"01:00:00","observedCount":%d,'
            '"observedInterval":"%s","percentComplete":%s,"percentCoverage":%s,'
            '"datetimeFrom":{"utc":"%s","local":"%s"},"datetimeTo":{"utc":"%s","local":"%s"}},'
            '"sensorsId":%d}\n'
            % (value, "true" if rng.random() < 0.01 else "false", s["param"],
               f_utc, f_loc, t_utc, t_loc, s["lat"], s["lon"], summ,
               exp, obs, oi, pct, pct,
               utc(c_from), local(c_from, off), utc(c_to), local(c_to, off), s["id"]))
        if len(buf) >= 4096:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))


if __name__ == "__main__":
    main()
