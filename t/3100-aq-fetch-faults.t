#!/bin/sh
# 3100-aq-fetch-faults: retries, and what is never retried.  A run through
# injected faults writes exactly what a fault-free run writes.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 20

api_start --locations 3500 --seed 3 --stall 5
export AQ_BACKOFF=0.05

aq-fetch -q --limit 300 locations >"$TMP/clean" 2>"$TMP/clean.err" || diag_file "$TMP/clean.err"
pages=$(($(wc -l <"$TMP/clean") / 300 + 1))
ok "a fault-free run has a page for each fault below ($pages pages)" "$pages" -ge 11

# every retryable fault, one on each of the first ten pages
api_admin reset >/dev/null
for f in 500@1 502@3 503@5 504@7 408@9 truncate@11 reset@13 garbage@15 429@17 stall@19; do
	api_admin "fault?spec=$f" >/dev/null
done
aq-fetch -v --limit 300 --timeout 2 locations >"$TMP/faulty" 2>"$TMP/faulty.err"; st=$?
check_eq 'a run through 10 faults exits 0' "$st" 0
check_same 'and writes exactly the fault-free output' "$TMP/faulty" "$TMP/clean"
check_eq 'one retry per fault' "$(api_stat requests)" $((pages + 10))
check_grep 'a 5xx HTML body is read for its title' '503' "$TMP/faulty.err"
check_grep 'a 429 waits the reset time' 'rate limited by the server' "$TMP/faulty.err"
check_grep 'a stalled request times out and is retried' 'retry 1 of' "$TMP/faulty.err"

# give up after the retries, with the URL path and the API's text
api_admin reset >/dev/null
api_admin clear >/dev/null
api_admin 'fault?spec=500%1' >/dev/null
aq-fetch --retries 2 countries >/dev/null 2>"$TMP/err"; st=$?
api_admin clear >/dev/null
check_eq 'retries spent: exit 75' "$st" 75
check_eq 'after 1 + 2 attempts' "$(api_stat requests)" 3
check_grep 'the message names the path' 'GET /v3/countries\?limit=1000&page=1' "$TMP/err"
check_grep 'and gives up saying so' 'gave up after 3 attempts' "$TMP/err"
check_nogrep 'and never shows the key' "$OPENAQ_API_KEY" "$TMP/err"
api_admin reset >/dev/null

# never retried
try() { # fault status
	api_admin reset >/dev/null
	api_admin clear >/dev/null
	api_admin "fault?spec=$1@1" >/dev/null
	aq-fetch countries >/dev/null 2>"$TMP/err.$1"; st=$?
	check_eq "$1 is not retried (exit $2)" "$st:$(api_stat requests)" "$2:1"
}
try 401 77
try 403 77
try 404 65
try 410 69
try 422 69
check_grep 'a 422 names the bad parameter' 'limit' "$TMP/err.422"
api_admin reset >/dev/null
api_admin 'fault?spec=422s@1' >/dev/null
aq-fetch countries >/dev/null 2>"$TMP/err"
check_grep 'a bare JSON string body is the message' 'HTTP 422: .+' "$TMP/err"
check_grep 'a 404 gives the API text' 'HTTP 404: .*[Nn]ot [Ff]ound' "$TMP/err.404"
