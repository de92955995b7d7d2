#!/bin/sh
# 5660-completion: the bash completion offers each command's options (from
# its --help), aq-fetch's and aq-dims' kinds, aq-load's tables and files.
. "$AQ_SRCDIR/t/lib.sh"
command -v bash >/dev/null 2>&1 || skip_all "bash not found"
plan 8
PATH=$PATH:$AQ_CONTRIB
# comp WORD...: the completions bash offers for the last WORD
comp() {
	bash -c '
		. "$AQ_SRCDIR/contrib/bash-completion/aq-fetch"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_aq
		printf "%s\n" "${COMPREPLY[@]}"' comp "$@" 2>"$TMP/comp.err" | sort
}
like 'aq-fetch: the kinds' "$(comp aq-fetch lo | tr '\n' ' ')" '^locations $'
like 'aq-fetch: its long options' "$(comp aq-fetch --rate | tr '\n' ' ')" '^--rate-hour --rate-minute $'
like 'aq-dims: the kinds, from aq-dims --columns' "$(comp aq-dims location | tr '\n' ' ')" \
	'^location-instruments location-licenses locations $'
like 'aq-load -t: the tables' "$(comp aq-load -t meas | tr '\n' ' ')" '^measurement measurement_latest $'
like 'aq-load -t: the dimension tables too' "$(comp aq-load -t loc | tr '\n' ' ')" \
	'^location location_instrument location_license $'
like 'aq-norm: its options' "$(comp aq-norm --sen | tr '\n' ' ')" '^--sensors --sentinels $'
mkdir "$TMP/d" && : >"$TMP/d/rows.ndjson"
like 'aq-load --reject: a file' "$(comp aq-load --reject "$TMP/d/ro")" "^$TMP/d/rows.ndjson\$"
like 'aq-follow: its options' "$(comp aq-follow - | tr '\n' ' ')" '(^| )-d( |$)'
