# flatten.jq: the jq that does aq-norm's flattening of series records
# (/v3/sensors/{id}/hours and the like, with aq-fetch's sensorsId) into
# measurement rows, for bench/run.
#
#   jq -c  --arg fmt json -f flatten.jq FILE   rows as aq-norm writes them
#   jq -r  --arg fmt tsv  -f flatten.jq FILE   the same rows as COPY text
#                                              (load WITH (NULL ''))
#
# It is the filter a jq user would write for this data, and no more: it
# takes period.datetimeTo.utc as it comes (the bench data is all UTC with
# a Z; aq-norm parses and re-formats every timestamp), and it checks no
# sentinel, bound or sensor id.  So it is, if anything, kind to jq.

{"raw": "raw", "1hour": "hour", "1 hour": "hour", "1day": "day", "1 day": "day",
 "1year": "year", "1 year": "year"} as $periods
| {sensor_id: .sensorsId, location_id: .locationsId,
   parameter_id: .parameter.id, parameter: .parameter.name, units: .parameter.units,
   period: $periods[.period.label], datetime: .period.datetimeTo.utc, value,
   latitude: .coordinates.latitude, longitude: .coordinates.longitude,
   source_units: null, source_value: null,
   observed_count: .coverage.observedCount, expected_count: .coverage.expectedCount,
   flagged: .flagInfo.hasFlags}
| if $fmt == "tsv" then [.[]] | @tsv else . end
