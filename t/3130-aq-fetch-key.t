#!/bin/sh
# 3130-aq-fetch-key: the key stays out of reach.  A key file that others may
# read or write is warned about, as ssh does; a running aq-fetch dumps no
# core (RLIMIT_CORE 0, seen in /proc/PID/limits) and has wiped the key from
# the environment block that /proc/PID/environ shows.
#
# That it also unsetenv()s OPENAQ_API_KEY, so that no child inherits the
# name, has no black-box check: aq-fetch starts no child, and
# /proc/PID/environ is the block set at exec, which unsetenv() does not
# change.  What is tested is the wipe of the value in that block.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 11

KEY=k3y-that-must-not-leak
api_start --locations 20 --key "$KEY" --stall 60

printf '%s\n' "$KEY" >"$TMP/key"
# keyfile MODE: aq-fetch's stderr with a key file of that mode
keyfile() {
	chmod "$1" "$TMP/key"
	(unset OPENAQ_API_KEY; aq-fetch -q --api-key-file "$TMP/key" countries >/dev/null \
		2>"$TMP/err.$1"); echo $?
}
check_eq 'a 0644 key file works' "$(keyfile 0644)" 0
check_grep 'and is warned about' \
	"^aq-fetch: warning: $TMP/key is readable by others: chmod 600 $TMP/key\$" "$TMP/err.0644"
check_eq 'a 0640 key file works' "$(keyfile 0640)" 0
check_grep 'and is warned about (group)' 'warning: .* is readable by others' "$TMP/err.0640"
check_eq 'a 0602 key file works' "$(keyfile 0602)" 0
check_grep 'and is warned about (writable)' 'warning: .* is writable by others: chmod 600' \
	"$TMP/err.0602"
check_eq 'a 0600 key file works' "$(keyfile 0600)" 0
check_empty 'without a warning' "$TMP/err.0600"

# a running aq-fetch, waiting on a stalled request
api_admin reset >/dev/null
api_admin 'fault?spec=stall@1' >/dev/null
ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -Hc)"
core_before=$(ulimit -c)
# ASan turns core files off by itself (disable_coredump); let it not, so
# that the limit seen is aq-fetch's own doing
ASAN_OPTIONS=${ASAN_OPTIONS:-}:disable_coredump=0 aq-fetch -q countries >/dev/null 2>"$TMP/err.run" &
pid=$!
wait_for 'the stalled request' 60 requests_at_least 1
limit=$(awk '/^Max core file size/ { print $5 ":" $6 }' "/proc/$pid/limits")
if [ "$core_before" = 0 ]; then
	skip "the hard core limit is 0 here: the test could not fail"
else
	check_eq "the core limit is 0 (it was $core_before)" "$limit" 0:0
fi
if tr '\0' '\n' <"/proc/$pid/environ" >"$TMP/environ" 2>/dev/null; then
	ok 'the environment block is readable' -s "$TMP/environ"
	check_nogrep 'and no longer holds the key' "$KEY" "$TMP/environ"
else
	skip "/proc/$pid/environ is not readable (aq-fetch is not dumpable; not root)"
	skip "/proc/$pid/environ is not readable"
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null || :	# SIGTERM: its status 75
