#!/bin/sh
# aq-plot draws PNG and SVG time series from the database, with the AQI
# bands behind one pollutant, several series in one picture, gaps left as
# gaps, and says when there is nothing to draw.
. "$AQ_SRCDIR/t/lib.sh"
need jq
command -v gnuplot >/dev/null 2>&1 ||
	skip_all "gnuplot not found (Debian: apt-get install gnuplot-nox), aq-plot cannot draw"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
. "$AQ_SRCDIR/t/lib-e2e.sh"
PATH=$AQ_CONTRIB:$PATH
load_start
e2e_samples
plan 33

check "by location id and parameter name" aq-plot -o "$TMP/a.png" 2 pm25
check_eq "it prints the file name" "$(cat "$TMP/.out")" "$TMP/a.png"
check_eq "the file is a PNG" "$(od -An -c -N4 "$TMP/a.png" | tr -d ' ')" '211PNG'
check "by location name and parameter id, a time range and a size" \
	aq-plot -o "$TMP/b.png" -f 2026-11-27T00:00Z -t 2026-11-28T00:00Z -s 640x300 "$(q 'SELECT name FROM location WHERE id = 3')" 2
check_eq "the PNG has that size" "$(od -An -tu1 -j16 -N8 "$TMP/b.png" | tr -s ' ' | sed 's/^ //')" "0 0 2 128 0 0 1 44"
check_status "no such location: exit 1" 1 aq-plot -o "$TMP/c.png" 999999 pm25
ok "and no file" ! -e "$TMP/c.png"
check_status "a quote in a name is data, not SQL: exit 1" 1 aq-plot -o "$TMP/d.png" "x' OR '1'='1" pm25
check_status "a usage error: exit 64" 64 aq-plot -o "$TMP/e.png" 2

check "--help exits 0" aq-plot --help
check_grep "--help starts with usage:" '^usage: aq-plot ' "$TMP/.out"
check "--version exits 0" aq-plot --version
check_eq "--version names the tool and the package version" "$(cat "$TMP/.out")" \
	"$(aq-load --version | sed -n 's/^aq-load \((libopenaq) [^ ]*\).*/aq-plot \1/p')"
check_status "--no-such-flag exits 64" 64 aq-plot --no-such-flag
check_status "an unknown scale: exit 64" 64 aq-plot -a nope 2 pm25
check_status "an unknown picture type: exit 64" 64 aq-plot -T gif 2 pm25

# an SVG, by its name, of the size asked for
check "an SVG by the output file's name" aq-plot -A -s 640x300 -o "$TMP/s.svg" 2 pm25
check_grep "it is SVG" '<svg' "$TMP/s.svg"
check_grep "of that size" 'width="640" height="300"' "$TMP/s.svg"

# Gaps: the moves ("M") of the series' line in the SVG are its stretches.
# Location 2's PM2.5 sensor loses five hours in the middle of its 48.
moves() {
	tr -d '\n\t' <"$1" | sed 's/id="gnuplot_plot_/\
&/g' | sed -n "s/^id=\"gnuplot_plot_$2\"//p" | sed 's#</g></g>.*##' |
		grep -o "<path [^>]*d='[^']*'" | grep -o 'M' | wc -l
}
points() {
	tr -d '\n\t' <"$1" | sed 's/id="gnuplot_plot_/\
&/g' | sed -n "s/^id=\"gnuplot_plot_$2\"//p" | sed 's#</g></g>.*##' |
		grep -o "<use xlink:href='#gpPt" | wc -l
}
sensor=$(q "SELECT s.id FROM sensor s WHERE s.location_id = 2 AND s.parameter_id = 2 ORDER BY s.id LIMIT 1")
check_eq "unbroken: one stretch of line" "$(moves "$TMP/s.svg" 1)" 1
q "DELETE FROM measurement WHERE sensor_id = $sensor AND datetime > '$E2E_END'::timestamptz - interval '30 hours'
	AND datetime <= '$E2E_END'::timestamptz - interval '25 hours'" >/dev/null
check "the same series with a gap" aq-plot -A -o "$TMP/g.svg" 2 pm25
check_eq "a gap of five hours: two stretches, no line across it" "$(moves "$TMP/g.svg" 1)" 2
check_eq "every reading is a point" "$(points "$TMP/g.svg" 1)" \
	"$(q "SELECT count(*) FROM measurement WHERE sensor_id = $sensor AND value IS NOT NULL")"

# the AQI bands behind one pollutant: drawn before the series, named
check "with the EPA's bands" aq-plot -s 800x400 -o "$TMP/b.svg" 2 pm25
good=$(grep -n "fill = 'rgb(  0, 228,   0)'" "$TMP/b.svg" | head -1 | cut -d: -f1)
series=$(grep -n 'id="gnuplot_plot_1"' "$TMP/b.svg" | head -1 | cut -d: -f1)
ok "the Good band (0, 228, 0) is drawn, behind the series" "${good:-999999}" -lt "${series:-0}"
check_grep "the bands are named" '>Moderate<' "$TMP/b.svg"
check_grep "the title names the location, parameter, units and scale" \
	"<title>|>$(q "SELECT name FROM location WHERE id = 2") - pm25 \(µg/m³\), us-epa AQI bands<" "$TMP/b.svg"
check "and the EEA's" aq-plot -a eea -o "$TMP/e.svg" 2 pm25
check_grep "in the EEA's colours" "fill = 'rgb\\( 80, 240, 230\\)'" "$TMP/e.svg"

# several locations and parameters in one picture, PNG of the size asked for
check "three locations and two parameters" aq-plot -s 1000x500 -o "$TMP/m.png" -l 2 -l 3 -l 7 -p pm25 -p 2
check_eq "a PNG of 1000x500" "$(od -An -tu1 -j16 -N8 "$TMP/m.png" | tr -s ' ' | sed 's/^ //')" "0 0 3 232 0 0 1 244"
check "one location, several parameters as SVG" aq-plot -T svg -o "$TMP/p.svg" -l 2 -p pm25 -p o3 -p no2
ok "one series per sensor of those parameters" "$(grep -c 'id="gnuplot_plot_' "$TMP/p.svg")" -eq \
	"$(q "SELECT count(DISTINCT m.sensor_id) FROM measurement m JOIN parameter p ON p.id = m.parameter_id
	      WHERE m.location_id = 2 AND p.name IN ('pm25', 'o3', 'no2')")"
