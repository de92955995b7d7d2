#!/bin/sh
# aq-dims' column maps against the schema: every kind's columns (aq-dims
# --columns) are the columns of its table after aq-load --init, in order,
# every dimension table has a kind, and the rows aq-dims writes have
# exactly those keys.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start

check "aq-dims --columns" sh -c 'aq-dims --columns >"$1"' sh "$TMP/cols"
check_eq "one line for each of the eleven kinds" "$(wc -l <"$TMP/cols" | tr -d ' ')" 11

while read -r kind table cols; do
	db=$(q "SELECT string_agg(column_name, ' ' ORDER BY ordinal_position)
	    FROM information_schema.columns
	    WHERE table_schema = current_schema() AND table_name = '$table'")
	check_eq "$kind: the columns of table $table" "$cols" "$db"
	check_eq "$kind: --columns $kind says the same" "$(aq-dims --columns "$kind")" \
		"$kind $table $cols"
done <"$TMP/cols"

# the dimension tables: all but the measurements and the schema's own
# (the migrations, the run log, the thresholds and the AQI's tables)
tables=$(q "SELECT string_agg(table_name, ' ' ORDER BY table_name)
    FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
    AND table_name NOT LIKE 'measurement%' AND table_name NOT LIKE 'aqi\_%'
    AND table_name NOT IN ('schema_version', 'load_run', 'aq_freshness_threshold')")
check_eq "every dimension table has a kind" \
	"$(awk '{ print $2 }' "$TMP/cols" | sort | tr '\n' ' ' | sed 's/ $//')" "$tables"

# the keys aq-dims really writes, over every golden case
if [ -z "${JQ:-}" ]; then
	skip "jq not found"
else
	bad= kinds=
	for args in "$AQ_TESTDATA"/dims/*.args; do
		name=$(basename "$args" .args)
		# a case whose records carry no rows of its kind says nothing
		[ -s "$AQ_TESTDATA/dims/$name.out.ndjson" ] || continue
		eval "set -- $(cat "$args")"
		kinds="$kinds
$1"
		want=$(awk -v k="$1" '$1 == k { $1 = $2 = ""; sub(/^  /, ""); print }' "$TMP/cols")
		got=$("$JQ" -r 'keys_unsorted | join(" ")' "$AQ_TESTDATA/dims/$name.out.ndjson" | sort -u)
		[ -n "$got" ] && [ "$got" = "$want" ] || bad="$bad $name"
	done
	check_eq "the rows of every golden case have their kind's columns as keys" "${bad:-}" ""
	check_eq "and the golden cases cover every kind" \
		"$(printf '%s\n' "$kinds" | sed '/^$/d' | sort -u | wc -l | tr -d ' ')" 11
fi
done_testing
