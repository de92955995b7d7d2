#!/bin/sh
# 3140-aq-fetch-hostile-servers: aq-fetch against a server on loopback
# (t/hostile.py) that sends what no API should: a body that never ends, a
# 10 MB string, invalid UTF-8, a million levels of nesting, 50 million
# values, results that are not an array, absurd x-ratelimit-* headers, a
# redirect to another host, broken chunked encodings, one byte a second,
# escape sequences and forged log lines, the key echoed back.  Each ends
# with a clear error (or, where the answer is sound, the record), within
# a bounded time and memory, with nothing raw on the terminal, and with
# the key in no output, state file or core file.  The server's own
# answers to the same requests are what 3110 and 3100 test with the fake
# API; this one is about the transport and the shape of the body.  The
# same server plays a hostile S3 for aq-fetch archive: a key outside the
# listed prefix, a key listed twice, a listing without end, an object
# without end.
. "$AQ_SRCDIR/t/lib.sh"
plan 99

py=${PYTHON3:-}
[ -n "$py" ] || py=$(command -v python3 2>/dev/null) || true
[ -n "$py" ] || skip_all "python3 not found: no hostile server"

# hostile_start NAME [ARGS]: a t/hostile.py logging to $TMP/NAME.log; sets
# NAME_port and NAME_pid
hostile_start() {
	hs_name=$1; shift
	"$py" "$AQ_SRCDIR/t/hostile.py" --port-file "$TMP/$hs_name.port" \
		--log "$TMP/$hs_name.log" "$@" 2>"$TMP/$hs_name.err" &
	eval "${hs_name}_pid=\$!"
	at_exit "stop_bg \$${hs_name}_pid"
	if ! wait_for "the hostile server $hs_name to listen" 60 test -s "$TMP/$hs_name.port"; then
		diag_file "$TMP/$hs_name.err"
		echo "Bail out! the hostile server did not start"
		exit 1
	fi
	eval "${hs_name}_port=\$(cat \"\$TMP/\$hs_name.port\")"
}

KEY='k3y+Hostile/Key=42'
KEYQ='k3y%2BHostile%2FKey%3D42'
export OPENAQ_API_KEY="$KEY" AQ_STATE_DIR="$TMP/state" AQ_BACKOFF=0.05
unset OPENAQ_BASE_URL XDG_RUNTIME_DIR AQ_RATE_WINDOW

# the other host, where a redirect points (by name: localhost, not
# 127.0.0.1), and the hostile one
hostile_start other
hostile_start evil --redirect-to "http://localhost:$other_port"
BASE=http://127.0.0.1:$evil_port/v3

# core files, if aq-fetch made any, land in the directory it runs in
mkdir "$TMP/cwd"
ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -Hc)" 2>/dev/null || :
cores_possible=$(ulimit -c)
TIME=
[ -x /usr/bin/time ] && /usr/bin/time -f %M true 2>/dev/null && TIME=/usr/bin/time

# fetch MODE [OPTIONS]: aq-fetch -v get /MODE from the hostile server, one
# retry, a 20 s timeout unless OPTIONS say otherwise; leaves
# $TMP/MODE.out, .err, the exit status in $st, the wall-clock time in
# $secs (whole, rounded up) and the peak RSS in $rss (KB, or empty)
fetch() {
	f_mode=$1; shift
	f_t0=$(date +%s%N)
	# ASan would turn core files off by itself; let it not, so that no
	# core is aq-fetch's own doing
	(cd "$TMP/cwd" && ASAN_OPTIONS=${ASAN_OPTIONS:-}:disable_coredump=0 \
		${TIME:+$TIME -f %M -o "$TMP/$f_mode.rss"} \
		aq-fetch -v --retries 1 --timeout 20 "$@" --base-url "$BASE" get "/$f_mode" \
		>"$TMP/$f_mode.out" 2>"$TMP/$f_mode.err")
	st=$?
	secs=$((($(date +%s%N) - f_t0 + 999999999) / 1000000000))
	rss=
	[ -n "$TIME" ] && rss=$(tail -1 "$TMP/$f_mode.rss")
	return 0
}

# within MODE SECS MB: the run took at most SECS seconds and MB of memory
within() {
	ok "$1: done in $secs s (at most $2)" "$secs" -le "$2"
	if [ -z "$TIME" ]; then
		skip "$1: /usr/bin/time not found: no peak RSS"
	else
		ok "$1: peak RSS $((rss / 1024)) MB (at most $3)" "$rss" -le "$(($3 * 1024))"
	fi
}

# --- bodies -----------------------------------------------------------------

# a body that never ends, sent as fast as it is read: the 256 MB cap ends
# it, whatever the timeout (a generous one here, so that the cap is what
# is tested), and it is not asked for again
fetch endless --timeout 300
check_eq 'a body that never ends: exit 69' "$st" 69
check_grep 'the body is too large, it says' \
	'GET /v3/endless\?limit=1000&page=1: the body is larger than 256 MB$' "$TMP/endless.err"
check_eq 'asked once' "$(grep -c 'endless' "$TMP/evil.log")" 1
within endless 240 1200

# one 10 MB JSON string in a sound page: written as it came
fetch bigstring
check_eq 'a 10 MB string: exit 0' "$st" 0
check_eq 'the record is written whole' "$(wc -c <"$TMP/bigstring.out")" $((10485760 + 19))
within bigstring 60 400

# invalid UTF-8 (overlong, a surrogate, an F5 lead byte) is not written out
fetch badutf8
check_eq 'invalid UTF-8: exit 69' "$st" 69
check_grep 'the body is not UTF-8, at its first bad byte' \
	'badutf8\?limit=1000&page=1: the body is not UTF-8 \(byte 40 of 55\)$' "$TMP/badutf8.err"
check_empty 'and nothing is written' "$TMP/badutf8.out"

# a lone UTF-16 surrogate escaped (valid UTF-8, no character): refused too
fetch lonesurrogate
check_eq 'a lone surrogate escape: exit 69' "$st" 69
check_grep 'saying so, at the escape' \
	'lonesurrogate\?limit=1000&page=1: the body escapes a lone UTF-16 surrogate \(byte 40 of [0-9]+\)$' "$TMP/lonesurrogate.err"
check_empty 'and nothing is written' "$TMP/lonesurrogate.out"

# a million levels of nesting: no stack overflow, a clear error
fetch deep
check_eq 'a million nested arrays: exit 69 (no crash)' "$st" 69
check_grep 'too deep, it says' 'deep\?limit=1000&page=1: the body is nested deeper than 1000 levels$' \
	"$TMP/deep.err"
within deep 60 300

# 50 million values in 100 MB: the tree would take gigabytes
fetch wide
check_eq '50 million values: exit 69' "$st" 69
check_grep 'too many values, it says' 'wide\?limit=1000&page=1: the body holds more than 4000000 JSON values$' \
	"$TMP/wide.err"
within wide 120 1200

# results that are not an array: retried (a garbled body), then given up
fetch notarray
check_eq 'results an object: exit 69' "$st" 69
check_grep 'no results array, it says' 'notarray\?limit=1000&page=1: the body has no results array \(gave up after 2 attempts\)$' \
	"$TMP/notarray.err"
fetch notarray2
check_eq 'results a string: exit 69' "$st" 69
check_grep 'no results array (a string)' 'the body has no results array \(gave up' "$TMP/notarray2.err"

# an endpoint that ignores page and answers with exactly the limit: the
# count cannot tell, the repeated results do; page 1 is written, once
# (bounded: without the check aq-fetch would page on for ever)
(cd "$TMP/cwd" && timeout 120 aq-fetch -v --retries 1 --timeout 20 --limit 3 --base-url "$BASE" \
	get /samepage >"$TMP/samepage.out" 2>"$TMP/samepage.err")
st=$?
check_eq 'the same full page again: exit 69' "$st" 69
check_grep 'it says so' 'samepage\?limit=3&page=2: page 2 holds the 3 results of page 1 again: the endpoint does not page$' \
	"$TMP/samepage.err"
check_eq 'the first page is written once' "$(wc -l <"$TMP/samepage.out")" 3

# a body that is not JSON and holds escapes and a forged line
fetch escape200
check_eq 'a 200 body that is not JSON: exit 69' "$st" 69
check_grep 'not JSON, it says, without quoting it' \
	'escape200\?limit=1000&page=1: the body is not a JSON object \(85 bytes\) \(gave up after 2 attempts\)$' \
	"$TMP/escape200.err"

# --- headers --------------------------------------------------------------

# x-ratelimit-* that are negative, huge (with remaining 0) or not numbers
# are no news: the record is written and the next request does not wait
for m in rlneg rlhuge rlnan; do
	fetch "$m"
	check_eq "$m: the record is written (exit 0)" "$st:$(grep -c '' "$TMP/$m.out")" 0:1
	fetch ok
	check_eq "$m: the next request does not wait" "$st:$(grep -c 'rate limit:' "$TMP/ok.err")" 0:0
done
within 'the request after them' 30 200

# a redirect to another host: never followed, so the key never goes there
for code in 302 301 307 308; do
	m=redirect; [ "$code" = 302 ] || m=redirect$code
	fetch "$m"
	check_eq "a $code redirect: exit 69" "$st" 69
	check_grep "$code: the message says it was not followed" \
		"$m\\?limit=1000&page=1: HTTP $code: moved \\(a redirect: not followed\\)\$" "$TMP/$m.err"
done
check_eq 'each redirect was asked for once' "$(grep -c '"GET /v3/redirect' "$TMP/evil.log")" 4
check_empty 'the other host got no request' "$TMP/other.log"

# --- transport ----------------------------------------------------------------

fetch badchunk
check_eq 'a chunk size that is not hex: exit 75' "$st" 75
check_grep 'the chunked encoding is named' \
	'badchunk\?limit=1000&page=1: .*chunked-encoding \(gave up after 2 attempts\)$' "$TMP/badchunk.err"
fetch shortchunk
check_eq 'a chunk cut short: exit 75' "$st" 75
check_grep 'the transfer was cut short, it says' \
	'shortchunk\?limit=1000&page=1: transfer closed .*\(gave up after 2 attempts\)$' "$TMP/shortchunk.err"

# one byte a second, in the body and in the headers: the timeout ends each
# attempt; two attempts of 3 s
for m in slow slowhead; do
	fetch "$m" --timeout 3
	check_eq "$m: one byte a second: exit 75" "$st" 75
	check_grep "$m: timed out, it says" \
		"$m\\?limit=1000&page=1: Operation timed out after 3[0-9]{3} milliseconds .*\\(gave up after 2 attempts\\)\$" \
		"$TMP/$m.err"
	ok "$m: two attempts of 3 s took at least 6 s ($secs)" "$secs" -ge 6
	within "$m" 40 200
done

# --- server text --------------------------------------------------------------

# a 503 text body with ESC sequences, CR, BS, BEL, a C1 CSI and a forged line
fetch escape
check_eq 'escape sequences: exit 75 after the retry' "$st" 75
check_eq 'stderr holds aq-fetch own 4 lines only' \
	"$(grep -c '' "$TMP/escape.err"):$(grep -c '^aq-fetch: GET /v3/escape\|^aq-fetch: retry 1 of 1' "$TMP/escape.err")" 4:4
check_grep 'the text is shown escaped' \
	'HTTP 503: \\x1b\[2J\\x1b\]0;owned\\x07bad ok  aq-fetch: all records written aq-fetch: \\x1b\[32mdone\\x1b\[0m \\xc2\\x9b31m \\x08\\x08X \(gave up' \
	"$TMP/escape.err"

# the key echoed in an HTML title (a 5xx, retried) and in a 404's detail
fetch echo
check_eq 'a 500 that echoes the key: exit 75' "$st" 75
check_grep 'the key shows as [key], raw and percent-encoded' 'HTTP 500: bad key \[key\] \(\[key\]\) \(gave up' \
	"$TMP/echo.err"
fetch echo404
check_eq 'a 404 that echoes the key: exit 65' "$st" 65
check_grep 'the key shows as [key]' 'HTTP 404: no such key \[key\]$' "$TMP/echo404.err"

# --- a hostile S3, for aq-fetch archive ------------------------------------------

# archive MODE: aq-fetch archive of location 7, 2024-01-01 and 02, from the
# hostile server's bucket MODE; leaves what fetch leaves
archive() {
	a_mode=$1
	a_t0=$(date +%s%N)
	(cd "$TMP/cwd" && ASAN_OPTIONS=${ASAN_OPTIONS:-}:disable_coredump=0 \
		${TIME:+$TIME -f %M -o "$TMP/$a_mode.rss"} \
		aq-fetch -v --retries 1 --timeout 20 archive --archive-url "http://127.0.0.1:$evil_port/$a_mode" \
		--location 7 --from 2024-01-01 --to 2024-01-02 >"$TMP/$a_mode.out" 2>"$TMP/$a_mode.err")
	st=$?
	secs=$((($(date +%s%N) - a_t0 + 999999999) / 1000000000))
	rss=
	[ -n "$TIME" ] && rss=$(tail -1 "$TMP/$a_mode.rss")
	return 0
}
# a key of another location in the listing: nobody asked for its rows
archive s3-outside
check_eq 'a listed key outside the prefix: exit 69' "$st" 69
check_grep 'it says so' 'listing records/csv.gz/locationid=7/year=2024/ \(page 1\): a key that is not under the prefix$' \
	"$TMP/s3-outside.err"
check_eq 'and fetches no object' "$(grep -c '"GET /s3-outside/' "$TMP/evil.log")" 0
# every page truncated, with the same token, or with new keys without end
archive s3-sametoken
check_eq 'the same continuation token again: exit 69' "$st" 69
check_grep 'it says so, at page 2' '\(page 2\): the same continuation token again$' "$TMP/s3-sametoken.err"
archive s3-endlesslist
check_eq 'a listing without end: exit 69' "$st" 69
check_grep 'it stops past 100000 keys' '\(page 101\): more than 100000 keys$' "$TMP/s3-endlesslist.err"
within 'the endless listing' 120 400
# a key listed twice (on two pages) would be fetched and written twice
archive s3-twice
check_eq 'a key listed twice: exit 69' "$st" 69
check_grep 'it says so' '\(page 2\): a key not after the one before it \(listed twice, or out of order\)$' \
	"$TMP/s3-twice.err"
check_empty 'and nothing is written' "$TMP/s3-twice.out"
# an object whose body never ends
archive s3-endlessobj
check_eq 'an object without end: exit 75 (missing)' "$st" 75
check_grep 'it is cut at 64 MB' 'location-7-20240101.csv.gz: more than 64 MB$' "$TMP/s3-endlessobj.err"
within 'the endless object' 120 800

# --- across every run -----------------------------------------------------------

ESC=$(printf '\033') CR=$(printf '\r') BS=$(printf '\010') BEL=$(printf '\007')
# noraw WHAT BYTES: no stderr of any run holds BYTES
noraw() {
	if LC_ALL=C grep -lF -- "$2" "$TMP"/*.err >"$TMP/.raw" 2>/dev/null; then
		fail "no $1 on any stderr"; diag_file "$TMP/.raw"
	else pass "no $1 on any stderr"; fi
}
noraw ESC "$ESC"
noraw CR "$CR"
noraw backspace "$BS"
noraw BEL "$BEL"
noraw 'C1 CSI' "$(printf '\302\233')"
for f in "$TMP"/*.err; do
	case $f in */other.err | */evil.err) continue ;; esac
	grep -v '^aq-fetch: ' "$f" | sed "s|^|${f##*/}: |"
done >"$TMP/stray"
check_empty 'every stderr line is one of aq-fetch own' "$TMP/stray"
# the key in any output, raw or percent-encoded
cat "$TMP"/*.out "$TMP"/*.err >"$TMP/all-output"
check_eq 'the key is in no output' "$(LC_ALL=C grep -cF -e "$KEY" -e "$KEYQ" "$TMP/all-output")" 0
ok 'the state directory was made' -d "$TMP/state"
check_eq 'the key is in no state file' \
	"$(LC_ALL=C grep -rlF -e "$KEY" -e "$KEYQ" "$TMP/state" | grep -c '')" 0
ls -A "$TMP/cwd" >"$TMP/cores"
if [ "$cores_possible" = 0 ]; then
	skip "core files are off here (hard limit 0): none could be made"
else
	check_empty 'no run left a core file' "$TMP/cores"
fi
check_eq 'the key is in no core file either' \
	"$(find "$TMP/cwd" -type f -exec grep -lF "$KEY" {} + | grep -c '')" 0

# the server's log holds what the client sent, the key too: the check of
# the other host above could fail
"$py" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], headers={"X-API-Key": sys.argv[2]}), timeout=30).read()' \
	"http://127.0.0.1:$other_port/v3/ok" "$KEY"
check_eq 'a request with the key shows in the other host log' \
	"$(LC_ALL=C grep -ciF "\"X-API-Key\", \"$KEY\"" "$TMP/other.log")" 1
