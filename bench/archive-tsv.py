#!/usr/bin/env python3
"""archive-tsv.py: the peer's conversion in bench/run's archive section.

Reads OpenAQ archive CSV (the objects, gunzipped and concatenated: every
header line is skipped) on standard input and writes COPY text for
    \\copy measurement(sensor_id,location_id,parameter,units,period,datetime,
                      value,latitude,longitude) FROM STDIN WITH (NULL '')
on standard output: the same rows aq-norm makes of aq-fetch archive's
output, with the same checks, so that both pipelines load the same rows.
- datetime, written with the location's offset, becomes UTC;
- period is raw; an empty field is null;
- a reading is dropped when its value is a no-data sentinel (-999, -9999)
  or outside aq-norm's default bounds for its units (see aq-norm(1)).
Python 3 standard library only: what a user would write.
"""

import csv
import datetime as dt
import sys

BOUNDS = {  # aq-norm's default bounds, per unit (min, max); None: no bound
    "µg/m³": (-10, None), "mg/m³": (-0.01, None), "ppm": (-0.005, None),
    "ppb": (-5, None), "particles/cm³": (0, None), "%": (0, 100),
    "c": (-90, 70), "f": (-130, 158), "mb": (300, 1100), "hpa": (300, 1100),
    "iaq": (0, 500),
}
SENTINELS = (-999.0, -9999.0)
UTC = dt.timezone.utc


def main():
    out = sys.stdout
    dropped = 0
    for r in csv.reader(sys.stdin):
        if not r or r[0] == "location_id":
            continue  # the header of each object
        loc, sensor, _name, when, lat, lon, param, units, value = r
        if value != "":
            v = float(value)
            lo, hi = BOUNDS.get(units.lower(), (None, None))
            if v in SENTINELS or (lo is not None and v < lo) or (hi is not None and v > hi):
                dropped += 1
                continue
        t = dt.datetime.fromisoformat(when).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.write("\t".join((sensor, loc, param, units, "raw", t, value, lat, lon)) + "\n")
    print("archive-tsv.py: %d readings dropped" % dropped, file=sys.stderr)


if __name__ == "__main__":
    main()
