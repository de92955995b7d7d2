#!/bin/sh
# 2300-aq-dims-nested: a nested member that must be an object (a location's
# country, provider and owner, an instrument's manufacturer) but is a
# string, a number, a boolean or an array makes the record a reject with
# a reason; a null one gives no row and no reject.
. "$AQ_SRCDIR/t/lib.sh"
plan 22

# nested KIND MEMBER VALUE: "status:rows:rejects naming MEMBER" for one record
# whose MEMBER is VALUE
nested() {
	case $1 in
	manufacturers) rec='{"id":5,"name":"i","isMonitor":false,"manufacturer":'$3'}' ;;
	*) rec='{"id":1,"name":"x","timezone":"UTC","'$2'":'$3'}' ;;
	esac
	rm -f "$TMP/rej"
	printf '%s\n' "$rec" | aq-dims -q --reject "$TMP/rej" "$1" >"$TMP/out" 2>"$TMP/err"; st=$?
	printf '%s:%s:%s\n' "$st" "$(grep -c '' "$TMP/out")" \
		"$(grep -c "\"reason\":\"$2 is not an object\"" "$TMP/rej" 2>/dev/null)"
}

for km in countries:country providers:provider owners:owner manufacturers:manufacturer; do
	k=${km%%:*} m=${km#*:}
	for v in '"Alice"' 42 true '[{"id":3}]'; do
		check_eq "$k: $m $v is a reject" "$(nested "$k" "$m" "$v")" 0:0:1
	done
	check_eq "$k: $m null is no row and no reject" "$(nested "$k" "$m" null)" 0:0:0
done
check_eq 'owners: an owner object gives its row' "$(nested owners owner '{"id":3,"name":"o"}')" 0:1:0
printf '%s\n' '{"id":1,"name":"x","timezone":"UTC","owner":"Alice"}' >"$TMP/in"
check_status 'without --reject, the record stops aq-dims: exit 65' 65 aq-dims owners "$TMP/in"
