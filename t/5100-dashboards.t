#!/bin/sh
# The Grafana provisioning files are valid, and every panel's and every
# variable's SQL runs, as the read-only role aq_reader, against the schema
# with data loaded, and returns rows.  (Grafana itself is not in Debian 12.)
. "$AQ_SRCDIR/t/lib.sh"
need jq python3
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
. "$AQ_SRCDIR/t/lib-e2e.sh"
dash=$AQ_CONTRIB/grafana/dashboards/openaq.json
dsyaml=$AQ_CONTRIB/grafana/provisioning/datasources/openaq.yaml
load_start
e2e_samples
# runs in the time window the queries are expanded for (aq-load's own
# rows of load_run are from now)
q "INSERT INTO load_run (target_table, mode, label, started_at, finished_at, rows_read, inserted, rejected, status)
   VALUES ('measurement', 'upsert', 'nightly', '2026-11-27T01:00:00Z', '2026-11-27T01:02:00Z', 1000, 990, 10, 0),
          ('measurement', 'upsert', 'nightly', '2026-11-28T01:00:00Z', '2026-11-28T01:01:00Z', 500, 0, 0, 75)" >/dev/null

check "the dashboard is valid JSON" jq -e . "$dash"
check "it has a geomap, a table and a time series panel" \
	jq -e '[.panels[].type] | (index("geomap") and index("table") and index("timeseries")) != null' "$dash"
check "it has the variables country, parameter and location" \
	jq -e '[.templating.list[].name] == ["country", "parameter", "location"]' "$dash"
check "the pipeline-health row comes last, with its panels after it" \
	jq -e '(.panels | map(.title == "Pipeline health") | index(true)) as $r | $r != null and .panels[$r].type == "row"
		and ([.panels[$r + 1:][] | select(.type == "row")] == []) and ([.panels[$r:][] | .gridPos.y] | . == sort)
		and ([.panels[:$r][] | .gridPos.y + .gridPos.h] | max) <= .panels[$r].gridPos.y' "$dash"
uid=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["datasources"][0]["uid"])' "$dsyaml" 2>"$TMP/err")
check_eq "the datasource file is valid YAML with a uid" "$uid" openaq
check "every panel and variable uses that datasource" \
	jq -e --arg u "$uid" '[.panels[], .panels[].targets[], .templating.list[] | .datasource.uid] | all(. == $u)' "$dash"
check_grep "the password comes from the environment" 'password: \$__env\{[A-Z_]+\}' "$dsyaml"

# Grafana's macros and variables, as Grafana would expand them for the
# sample data: country US (three locations), parameter 2 (pm25), every
# location, the 48 hours of readings.
python3 - "$dash" "$TMP/sql" <<'PY'
import json, os, re, sys
dash = json.load(open(sys.argv[1]))
out = sys.argv[2]
os.makedirs(out)
subst = [
    (r"\$__timeFilter\((\w+)\)", r"\1 BETWEEN '2026-11-26T00:00:00Z' AND '2026-11-28T12:00:00Z'"),
    (r"\$__timeGroupAlias\((\w+),\s*1h\)", r"""date_trunc('hour', \1) AS "time\""""),
    (r"\$\{country:sqlstring\}", "'US'"),
    (r"\$\{parameter:sqlstring\}", "'2'"),
    (r"\$\{parameter:text\}", "PM2.5"),
    (r"\$location\b", "'2','3','7'"),
]
def write(name, sql):
    for pat, rep in subst:
        sql = re.sub(pat, rep, sql)
    open(os.path.join(out, name), "w").write(sql + ";\n")
for p in dash["panels"]:
    for t in p["targets"]:
        write("panel-%d-%s-%s" % (p["id"], p["type"], t["refId"]), t["rawSql"])
for v in dash["templating"]["list"]:
    write("variable-" + v["name"], v["query"])
PY
n=$(ls "$TMP/sql" | wc -l)
ok "the queries are extracted" "$n" -ge 8
for f in "$TMP/sql"/*; do
	name=${f##*/}
	if grep -n '\$' "$f" >"$TMP/left"; then
		fail "$name: every macro and variable is expanded"; diag_file "$TMP/left"
		continue
	fi
	rows=$( { echo 'SET ROLE aq_reader;'; cat "$f"; } | $PSQL 2>"$TMP/err" | wc -l)
	if [ -s "$TMP/err" ] || [ "$rows" -lt 1 ]; then
		fail "$name runs as aq_reader and returns rows"; diag "rows: $rows"; diag_file "$TMP/err"; diag_file "$f"
	else
		pass "$name runs as aq_reader and returns rows ($rows)"
	fi
done
# the table panel's newest value is one loaded
got=$( { echo 'SET ROLE aq_reader;'; cat "$TMP/sql"/panel-3-table-A; } | $PSQL -F '|' | head -1 | cut -d'|' -f4)
want=$(q "SELECT max(value) FROM measurement m JOIN location l ON l.id = m.location_id
	WHERE l.country_code = 'US' AND m.parameter_id = 2 AND m.datetime = '$E2E_END'")
check_eq "the latest table shows the newest readings, highest first" "$got" "$want"
# the AQI panels show an index for every sample location (not only rows)
got=$( { echo 'SET ROLE aq_reader;'; cat "$TMP/sql"/panel-101-geomap-A; } | $PSQL -F '|' | cut -d'|' -f5 | grep -c '^[0-9][0-9]*$')
check_eq "the current AQI map has an index for each of the three locations" "$got" 3
done_testing
