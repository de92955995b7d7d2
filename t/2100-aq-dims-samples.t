#!/bin/sh
# Every recorded API sample through every aq-dims kind: the rows and the
# rejects that t/oracle.jq (the contract restated in jq) predicts, with the
# columns of DESIGN.md's table in order.
. "$AQ_SRCDIR/t/lib.sh"
[ -n "${JQ:-}" ] || skip_all "jq not found"
kinds="countries parameters locations sensors providers owners manufacturers
instruments licenses location-licenses location-instruments"
plan 44
cd "$AQ_TESTDATA/samples" || exit 99
files=$(ls *.ndjson)
cols_countries='["id","code","name","datetime_first","datetime_last"]'
cols_parameters='["id","name","units","display_name","description"]'
cols_locations='["id","name","locality","timezone","country_id","country_code","provider_id","owner_id","is_mobile","is_monitor","latitude","longitude","datetime_first","datetime_last"]'
cols_sensors='["id","location_id","parameter_id","name"]'
cols_providers='["id","name","source_name","export_prefix","datetime_added","datetime_first","datetime_last"]'
cols_owners='["id","name"]'
cols_manufacturers='["id","name"]'
cols_instruments='["id","name","is_monitor","manufacturer_id"]'
cols_licenses='["id","name","commercial_use_allowed","attribution_required","share_alike_required","modification_allowed","redistribution_allowed","source_url"]'
cols_location_licenses='["location_id","license_id","attribution_name","attribution_url","date_from","date_to"]'
cols_location_instruments='["location_id","instrument_id"]'
for k in $kinds; do
	rm -f "$TMP/rej"
	# shellcheck disable=SC2086
	aq-dims --reject "$TMP/rej" "$k" $files >"$TMP/out" 2>"$TMP/err"
	check_eq "aq-dims $k over every sample exits 0" "$?" 0
	# shellcheck disable=SC2086
	"$JQ" -nr --arg tool dims --arg kind "$k" -f "$AQ_SRCDIR/t/oracle.jq" $files >"$TMP/want"
	touch "$TMP/rej"
	{
		"$JQ" -cS . "$TMP/out" | sed 's/^/R	/'
		"$JQ" -r '"J\t\(.file):\(.line)\t\(.reason)"' "$TMP/rej"
	} >"$TMP/got"
	grep '^R' "$TMP/want" >"$TMP/want.rows"; grep '^R' "$TMP/got" >"$TMP/got.rows"
	grep '^J' "$TMP/want" >"$TMP/want.rej"; grep '^J' "$TMP/got" >"$TMP/got.rej"
	check_same "aq-dims $k: rows as the contract says" "$TMP/got.rows" "$TMP/want.rows"
	check_same "aq-dims $k: rejects as the contract says" "$TMP/got.rej" "$TMP/want.rej"
	eval "cols=\$cols_$(echo "$k" | tr - _)"
	bad=$("$JQ" -c "select(keys_unsorted != $cols)" "$TMP/out" | head -3)
	check_eq "aq-dims $k: the table's columns, in order" "$bad" ""
done
