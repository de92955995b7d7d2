# oracle.jq: what aq-norm and aq-dims should write, restated in jq from
# DESIGN.md, aq-ndjson(5), aq-norm(1) and aq-dims(1), independently of the
# C code.  It covers the shapes found in t/data/samples, in --units asis
# with the default bounds (none of the samples crosses them).
#
#   jq -nr --arg tool norm -f oracle.jq FILE...
#   jq -nr --arg tool dims --arg kind KIND -f oracle.jq FILE...
#
# prints "R<TAB>row" (keys sorted) for each row and
# "J<TAB>FILE:LINE<TAB>reason" for each reject, in input order.

# ISO-8601 text to UTC "YYYY-MM-DDTHH:MM:SS[.f]Z"
def ts:
	capture("^(?<d>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ](?<t>[0-9]{2}:[0-9]{2}:[0-9]{2})(?<f>[.][0-9]+)?(?<z>Z|[+-][0-9]{2}:?[0-9]{2})?$") as $c
	| (($c.d + "T" + $c.t + "Z") | fromdateiso8601) as $s
	| (if $c.z == "Z" or $c.z == null then 0
	   else ($c.z | gsub(":"; "")) as $z
	     | (($z[1:3] | tonumber) * 3600 + ($z[3:5] | tonumber) * 60)
	     | if $z[0:1] == "-" then -. else . end
	   end) as $off
	| ((($s - $off) | todate) | sub("Z$"; ""))
	  + (($c.f // "") | .[0:7] | sub("0+$"; "") | if . == "." then "" else . end)
	  + "Z";

# a {utc, local} object or a plain string
def tsx:
	if . == null then null
	elif type == "object" then (if .utc != null then .utc | ts elif .local != null then .local | ts else null end)
	else ts end;

def sorted: to_entries | sort_by(.key) | from_entries;

# ---- aq-norm ----

def period:
	{"raw": "raw", "1hour": "hour", "1 hour": "hour", "1day": "day", "1 day": "day",
	 "1year": "year", "1 year": "year"}[.];

def mrow(sid; lid; pid; p; u; per; dt; v; lat; lon; oc; ec; fl):
	{sensor_id: sid, location_id: lid, parameter_id: pid, parameter: p, units: u,
	 period: per, datetime: dt, value: v, latitude: lat, longitude: lon,
	 source_units: null, source_value: null, observed_count: oc, expected_count: ec,
	 flagged: fl};

def num: if type == "string" then (if . == "" then null else tonumber end) else . end;

def norm:
	if has("sensors_id") and has("location_id") then
		[mrow(.sensors_id | num; .location_id | num; null; .parameter; .units; "raw";
		    .datetime | ts; .value | num; .lat | num; .lon | num; null; null; null)]
	elif has("period") then
		if .sensorsId == null then
			"no sensor id: series records need the sensorsId that aq-fetch adds"
		else
			[mrow(.sensorsId; .locationsId; .parameter.id; .parameter.name;
			    .parameter.units; .period.label | period; .period.datetimeTo | tsx;
			    .value; .coordinates.latitude; .coordinates.longitude;
			    .coverage.observedCount; .coverage.expectedCount; .flagInfo.hasFlags)]
		end
	elif has("datetime") and has("value") then
		[mrow(.sensorsId; .locationsId; .parametersId; null; null; "raw";
		    .datetime | tsx; .value; .coordinates.latitude; .coordinates.longitude;
		    null; null; null)]
	else
		"not a reading record (no period, datetime or sensors_id)"
	end;

# ---- aq-dims ----

def cls:
	if (.sensors | type) == "array" or has("timezone") then "location"
	elif has("period") or has("sensors_id") or (has("datetime") and has("value")) then "reading"
	elif has("code") then "country"
	elif has("sourceName") or has("exportPrefix") or has("datetimeAdded") then "provider"
	elif has("commercialUseAllowed") or has("attributionRequired") or has("redistributionAllowed") then "license"
	elif (.parameter | type) == "object" then "sensor"
	elif has("units") then "parameter"
	elif has("manufacturer") or has("isMonitor") then "instrument"
	elif (.instruments | type) == "array" then "manufacturer"
	else "unknown" end;

def an: if test("^[aeiou]") then "an " + . else "a " + . end;

def country: {id, code, name, datetime_first: (.datetimeFirst | tsx), datetime_last: (.datetimeLast | tsx)};
def parameter: {id, name, units, display_name: .displayName, description};
def location:
	{id, name, locality, timezone, country_id: .country.id, country_code: .country.code,
	 provider_id: .provider.id, owner_id: .owner.id, is_mobile: .isMobile,
	 is_monitor: .isMonitor, latitude: .coordinates.latitude,
	 longitude: .coordinates.longitude, datetime_first: (.datetimeFirst | tsx),
	 datetime_last: (.datetimeLast | tsx)};
def sensor($loc): {id, location_id: $loc, parameter_id: .parameter.id, name};
def provider:
	{id, name, source_name: .sourceName, export_prefix: .exportPrefix,
	 datetime_added: (.datetimeAdded | tsx), datetime_first: (.datetimeFirst | tsx),
	 datetime_last: (.datetimeLast | tsx)};
def idname: {id, name};
def instrument($m): {id, name, is_monitor: .isMonitor, manufacturer_id: ($m // .manufacturer.id)};
def license:
	{id, name, commercial_use_allowed: .commercialUseAllowed,
	 attribution_required: .attributionRequired, share_alike_required: .shareAlikeRequired,
	 modification_allowed: .modificationAllowed,
	 redistribution_allowed: .redistributionAllowed, source_url: .sourceUrl};
def loclic($loc):
	{location_id: $loc, license_id: .id, attribution_name: .attribution.name,
	 attribution_url: .attribution.url, date_from: .dateFrom, date_to: .dateTo};
def nested(f): if . == null or .id == null then [] else [f] end;
def arr: . // [];

def dims($k):
	cls as $c
	| if $k == "countries" then
		if $c == "country" then [country]
		elif $c == "location" then .country | nested(country)
		else "\($c | an) record has no countries" end
	elif $k == "parameters" then
		if $c == "parameter" then [parameter]
		elif $c == "location" then [.sensors[] | .parameter | select(. != null) | parameter]
		elif $c == "sensor" then [.parameter | parameter]
		elif $c == "country" or $c == "provider" then [.parameters | arr | .[] | parameter]
		else "\($c | an) record has no parameters" end
	elif $k == "locations" then
		if $c == "location" then [location] else "\($c | an) record is not a location" end
	elif $k == "sensors" then
		if $c == "location" then .id as $l | [.sensors[] | sensor($l)]
		elif $c == "sensor" then [sensor(.locationsId)]
		else "\($c | an) record has no sensors" end
	elif $k == "providers" then
		if $c == "provider" then [provider]
		elif $c == "location" then .provider | nested(provider)
		else "\($c | an) record has no providers" end
	elif $k == "owners" then
		if $c == "unknown" then [idname]
		elif $c == "location" then .owner | nested(idname)
		else "\($c | an) record has no owners" end
	elif $k == "manufacturers" then
		if $c == "unknown" or $c == "manufacturer" then [idname]
		elif $c == "instrument" then .manufacturer | nested(idname)
		else "\($c | an) record has no manufacturers" end
	elif $k == "instruments" then
		if $c == "instrument" then [instrument(null)]
		elif $c == "manufacturer" then .id as $m | [.instruments[] | instrument($m)]
		elif $c == "location" then [.instruments | arr | .[] | instrument(null)]
		else "\($c | an) record has no instruments" end
	elif $k == "licenses" then
		if $c == "license" then [license]
		elif $c == "location" then [.licenses | arr | .[] | license]
		else "\($c | an) record has no licenses" end
	elif $k == "location-licenses" then
		if $c == "location" then .id as $l | [.licenses | arr | .[] | loclic($l)]
		else "\($c | an) record is not a location" end
	elif $k == "location-instruments" then
		if $c == "location" then .id as $l | [.instruments | arr | .[] | {location_id: $l, instrument_id: .id}]
		else "\($c | an) record is not a location" end
	else error("unknown kind \($k)") end;

# ---- the run: line numbers per file; aq-dims drops rows already written,
# aq-norm keeps the later of two rows with one (sensor_id, period, datetime)

reduce inputs as $r ({file: null, line: 0, seen: {}, out: []};
	(if input_filename != .file then .file = input_filename | .line = 0 else . end)
	| .line += 1
	| ($r | if $tool == "norm" then norm else dims($ARGS.named.kind) end) as $res
	| if ($res | type) == "string" then
		.out += ["J\t\(.file):\(.line)\t\($res)"]
	  else
		reduce ($res[] | sorted) as $row (.;
			(if $tool == "norm" then [$row.sensor_id, $row.period, $row.datetime]
			 else $row end | tojson) as $key
			| if $tool == "dims" and .seen[$key] then .
			  else
				(if .seen[$key] then .out[.seen[$key] - 1] = null else . end)
				| .out += ["R\t" + ($row | tojson)]
				| .seen[$key] = (.out | length)
			  end)
	  end)
| .out[] | select(. != null)
