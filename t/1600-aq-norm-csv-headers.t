#!/bin/sh
# aq-norm --csv over archive files joined into one stream (zcat *.csv.gz):
# every repeated header is skipped, whatever its quoting and spelling, and
# never read as a data row.
. "$AQ_SRCDIR/t/lib.sh"
plan 4
q='"location_id","sensors_id","location","datetime","lat","lon","parameter","units","value"'
d='"location_id","sensor_id","location","datetime","lat","lon","parameter","unit","value"'
row() { printf '2178,3919,"Del Norte-2178","2023-02-22T0%d:00:00-07:00","35.1","-106.5","pm10","ug/m3","%d"\n' "$1" "$1"; }
{
	echo "$q"; row 1
	echo "$q"; row 2
	echo "$d"; row 3
	echo 'location_id,sensors_id,location,datetime,lat,lon,parameter,units,value'; row 4
} >"$TMP/joined.csv"
rm -f "$TMP/rej"
check_status "four joined files exit 0" 0 aq-norm -q --csv --reject "$TMP/rej" "$TMP/joined.csv"
check_eq "one row per data line" "$(grep -c . "$TMP/.out")" 4
check_eq "no header is rejected as a row" "$(cat "$TMP/rej" 2>/dev/null | grep -c .)" 0
check_eq "the values are the rows'" "$(sed 's/.*"value":\([0-9]*\).*/\1/' "$TMP/.out" | tr '\n' ' ')" "1 2 3 4 "
