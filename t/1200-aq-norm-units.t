#!/bin/sh
# aq-norm --units canonical: each converted value against a value worked
# out by hand (molecular weight x ppb / molar volume; (F - 32) x 5/9).
. "$AQ_SRCDIR/t/lib.sh"
[ -n "${JQ:-}" ] || skip_all "jq not found"

# parameter units value -> want_units want_value want_source_units want_source_value
cases='o3	ppm	1	µg/m³	1963.067484662576	ppm	1
no2	ppb	10	µg/m³	18.815950920245	ppb	10
so2	ppb	2	µg/m³	5.239918200408	ppb	2
co	ppm	0.5	µg/m³	572.801635991820	ppm	0.5
no	ppm	0.002	µg/m³	2.454478527607	ppm	0.002
nox	ppb	20	µg/m³	37.631901840490	ppb	20
temperature	f	68	c	20	f	68
temperature	f	32	c	0	f	32
temperature	F	-40	c	-40	F	-40
temperature	f	98.6	c	37	f	98.6
pm25	mg/m³	1.5	µg/m³	1500	mg/m³	1.5
pm25	ug/m3	12	µg/m³	12	ug/m3	12
pm25	µg/m³	12	µg/m³	12	null	null
temperature	c	20.5	c	20.5	null	null
voc	ppb	10	ppb	10	null	null
humidity	%	55	%	55	null	null'
n=$(printf '%s\n' "$cases" | wc -l)
plan $((n * 2 + 6))

printf '%s\n' "$cases" >"$TMP/cases"
i=0
while IFS='	' read -r p u v wu wv su sv; do
	i=$((i + 1))
	printf '{"value":%s,"parameter":{"id":%d,"name":"%s","units":"%s"},"period":{"label":"1hour","datetimeTo":{"utc":"2024-01-01T01:00:00Z"}},"sensorsId":%d}\n' \
	    "$v" "$i" "$p" "$u" "$i"
done <"$TMP/cases" >"$TMP/in"
aq-norm --units canonical <"$TMP/in" >"$TMP/out" 2>"$TMP/err"
i=0
while IFS='	' read -r p u v wu wv su sv; do
	i=$((i + 1))
	row=$(sed -n "${i}p" "$TMP/out")
	got=$(printf '%s' "$row" | "$JQ" -r '[.units, .value, .source_units, .source_value, .parameter_id] | map(tostring) | join(" ")')
	set -- $got
	# the value within 1e-12 of the hand-worked one (relative)
	close=$(awk -v a="$2" -v b="$wv" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; print (d <= 1e-12 * (m > 1 ? m : 1)) ? "yes" : "no" }')
	check_eq "$v $u $p -> $wv $wu" "$1 $close" "$wu yes"
	check_eq "$v $u $p: source $su $sv, parameter_id kept" "$3 $4 $5" "$su $sv $i"
done <"$TMP/cases"
check_grep "the summary counts conversions" ' 12 converted, 1 unconverted, ' "$TMP/err"

# 20 °C: molar volume 24.04 L/mol
printf '{"value":1,"parameter":{"id":10,"name":"o3","units":"ppm"},"period":{"label":"raw","datetimeTo":{"utc":"2024-01-01T01:00:00Z"}},"sensorsId":1}\n' >"$TMP/o3"
v=$(aq-norm -q --units canonical --reference 20 <"$TMP/o3" | "$JQ" .value)
close=$(awk -v a="$v" 'BEGIN { d = a - 1996.547420965058; print (d < 1e-9 && d > -1e-9) ? "yes" : "no" }')
check_eq "1 ppm o3 at 20 C is 1996.5474 ug/m3 (got $v)" "$close" yes
# asis (the default) changes nothing
v=$(aq-norm -q <"$TMP/o3" | "$JQ" -c '[.units, .value, .source_units]')
check_eq "--units asis keeps ppm" "$v" '["ppm",1,null]'
# bounds are checked in the units the value came in, before conversion
printf '{"value":-0.01,"parameter":{"id":10,"name":"o3","units":"ppm"},"period":{"label":"raw","datetimeTo":{"utc":"2024-01-01T01:00:00Z"}},"sensorsId":1}\n' >"$TMP/neg"
aq-norm -q --units canonical --reject "$TMP/rej" <"$TMP/neg" >"$TMP/out"
check_grep "out-of-bounds ppm is rejected, not converted" '"reason":"value -0.01 is below -0.005 for ppm' "$TMP/rej"
# --bounds overrides: by parameter name, then units
printf '{"value":-0.01,"parameter":{"id":10,"name":"o3","units":"ppm"},"period":{"label":"raw","datetimeTo":{"utc":"2024-01-01T01:00:00Z"}},"sensorsId":1}\n' >"$TMP/neg"
v=$(aq-norm -q --bounds o3=-0.02: <"$TMP/neg" | "$JQ" .value)
check_eq "--bounds o3=-0.02: lets -0.01 ppm through" "$v" "-0.01"
check_status "--bounds needs KEY=MIN:MAX" 64 aq-norm --bounds o3
