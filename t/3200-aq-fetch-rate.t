#!/bin/sh
# 3200-aq-fetch-rate: the rate budget, shared by processes, corrected by the
# server's headers, honoured on 429.  Time is scaled down: AQ_RATE_WINDOW
# makes aq-fetch's "minute" 2 s, like the fake's window.  How much of the
# budget is used (a speed, not a pass/fail matter) is measured by bench/run.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 13

api_start --locations 1500 --seed 5 --window 2 --rate 10
export AQ_BACKOFF=0.05 AQ_RATE_WINDOW=2

# two processes at once, 16 pages each, one budget of 10 per 2 s
api_admin reset >/dev/null
aq-fetch -q --limit 100 --rate-minute 10 locations >"$TMP/a" 2>"$TMP/a.err" &
pa=$!
aq-fetch -q --limit 100 --rate-minute 10 locations >"$TMP/b" 2>"$TMP/b.err" &
pb=$!
wait $pa; sa=$?
wait $pb; sb=$?
check_eq 'both processes finish' "$sa:$sb" 0:0
check_same 'with the same complete output' "$TMP/a" "$TMP/b"
check_eq 'no request was refused with 429' "$(api_stat rate_limited)" 0
max=$(api_stat max_per_window)
ok "no server window held more than 10 requests (max $max)" "$max" -le 10
reqs=$(api_stat requests)
check_eq '32 requests in all' "$reqs" 32
state=$(ls "$AQ_STATE_DIR")
like "the shared state file is named by a hash ($state)" "$state" '^ratelimit-[0-9a-f]+'
check_nogrep 'and holds no key' "$OPENAQ_API_KEY" "$AQ_STATE_DIR"

# the server's own budget is smaller than ours: its headers slow us down
api_admin reset >/dev/null
rm -rf "$AQ_STATE_DIR"
check 'a budget of 100 against a server allowing 10' aq-fetch -q --limit 100 --rate-minute 100 locations
check_eq 'x-ratelimit-remaining is obeyed: no 429' "$(api_stat rate_limited)" 0

# a 429 anyway (another client of the key): wait the reset, retry
api_admin reset >/dev/null
rm -rf "$AQ_STATE_DIR"
api_admin 'fault?spec=429@2' >/dev/null
check 'a 429 is waited out' aq-fetch -q --limit 100 --rate-minute 10 locations
check_same 'and the output is whole' "$TMP/.out" "$TMP/a"

# the hour: with a 1 s "minute", the hour is 60 s; a budget of 5 an hour
# lets exactly 5 requests through and then waits
api_admin reset >/dev/null
rm -rf "$AQ_STATE_DIR"
AQ_RATE_WINDOW=1 aq-fetch -v --limit 100 --rate-minute 100 --rate-hour 5 locations \
	>/dev/null 2>"$TMP/hour.err" &
p=$!
# -v says when it waits, and for which budget: then no request may follow
wait_for 'aq-fetch to wait for its hour budget' 60 grep -q 'waiting .* (hour budget)' "$TMP/hour.err"
kill $p 2>/dev/null
wait $p
check_eq 'the hourly budget holds: 5 requests, then a wait' "$(api_stat requests)" 5
check_grep 'and -v says which budget' 'waiting .* \(hour budget\)' "$TMP/hour.err"
