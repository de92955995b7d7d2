#!/bin/sh
# Every recorded API sample through aq-norm: each record gives the row or
# the reject that t/oracle.jq (the contract restated in jq) predicts, with
# the measurement columns in the contract's order.
. "$AQ_SRCDIR/t/lib.sh"
[ -n "${JQ:-}" ] || skip_all "jq not found"
plan 5
cd "$AQ_TESTDATA/samples" || exit 99
files=$(ls *.ndjson)
# shellcheck disable=SC2086
aq-norm --reject "$TMP/rej" $files >"$TMP/out" 2>"$TMP/err"
check_eq "aq-norm over every sample exits 0" "$?" 0
# shellcheck disable=SC2086
"$JQ" -nr --arg tool norm -f "$AQ_SRCDIR/t/oracle.jq" $files >"$TMP/want"
{
	"$JQ" -cS . "$TMP/out" | sed 's/^/R	/'
	"$JQ" -r '"J\t\(.file):\(.line)\t\(.reason)"' "$TMP/rej"
} >"$TMP/got"
grep '^R' "$TMP/want" >"$TMP/want.rows"; grep '^R' "$TMP/got" >"$TMP/got.rows"
grep '^J' "$TMP/want" >"$TMP/want.rej"; grep '^J' "$TMP/got" >"$TMP/got.rej"
check_same "rows as the contract says" "$TMP/got.rows" "$TMP/want.rows"
check_same "rejects as the contract says" "$TMP/got.rej" "$TMP/want.rej"
cols='["sensor_id","location_id","parameter_id","parameter","units","period","datetime","value","latitude","longitude","source_units","source_value","observed_count","expected_count","flagged"]'
bad=$("$JQ" -c "select(keys_unsorted != $cols)" "$TMP/out" | head -3)
check_eq "every row has exactly the contract's columns, in order" "$bad" ""
n_in=$(cat $files | grep -c .)
dups=$(sed -n 's/.* \([0-9]*\) duplicates.*/\1/p' "$TMP/err")
n_out=$(($(grep -c . "$TMP/out") + $(grep -c . "$TMP/rej") + ${dups:-0}))
check_eq "every record gives a row, a reject or a duplicate ($n_in records)" "$n_out" "$n_in"
