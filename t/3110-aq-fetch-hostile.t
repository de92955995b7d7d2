#!/bin/sh
# 3110-aq-fetch-hostile: server text reaches the terminal and the journal
# escaped, never as control characters or forged lines, and the key never
# reaches stderr, even when the server echoes it back.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 12

KEY='k3y+With/Odd=chars'
api_start --locations 20 --key "$KEY"
ESC=$(printf '\033')
CR=$(printf '\r')
CSI=$(printf '\302\233')

# has FILE STRING: FILE holds STRING, as bytes (grep -F)
has() { LC_ALL=C grep -qF -- "$2" "$1"; }

api_admin 'fault?spec=hostile@1' >/dev/null
aq-fetch -v countries >/dev/null 2>"$TMP/err"; st=$?
check_eq 'a 422 with a hostile body exits 69' "$st" 69
ok 'no ESC byte on stderr' -n "$(has "$TMP/err" "$ESC" || echo none)"
ok 'no CR on stderr' -n "$(has "$TMP/err" "$CR" || echo none)"
ok 'no C1 CSI on stderr' -n "$(has "$TMP/err" "$CSI" || echo none)"
check_nogrep 'no forged aq-fetch: line' "^aq-fetch: (all records|$ESC)" "$TMP/err"
check_eq 'every line is one of aq-fetch own: the log line and the error' \
	"$(grep -c '' "$TMP/err"):$(grep -c '^aq-fetch: GET /v3/countries' "$TMP/err")" 2:2
check_grep 'the text is shown, escaped' \
	'HTTP 422: \\x1b\[2J\\x1b\]0;owned\\x07bad\\r\\naq-fetch: all records written\\naq-fetch: ' \
	"$TMP/err"

api_admin reset >/dev/null
api_admin 'fault?spec=echo@1' >/dev/null
aq-fetch -v countries >/dev/null 2>"$TMP/err"; st=$?
check_eq 'a 401 that echoes the key exits 77' "$st" 77
ok 'the key is not on stderr' -n "$(has "$TMP/err" "$KEY" || echo none)"
ok 'nor its percent-encoded form' -n "$(has "$TMP/err" 'k3y%2BWith%2FOdd%3Dchars' || echo none)"
check_grep 'both are shown as [key]' 'Invalid credentials: \[key\] \(\[key\]\)' "$TMP/err"
check_eq 'in the log line and in the error' "$(grep -c '\[key\] (\[key\])' "$TMP/err")" 2
