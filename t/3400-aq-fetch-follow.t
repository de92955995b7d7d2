#!/bin/sh
# 3400-aq-fetch-follow: latest, one walk per parameter; --follow writes only
# new readings, survives failures, and ends cleanly on SIGTERM.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 17

api_start --locations 1200 --seed 2
export AQ_BACKOFF=0.05
count() { python3 -c "
import json,sys
print(sum(1 for l in open('$1') if json.loads(l)['parametersId'] == $2))"; }

# latest for one parameter: parametersId added
api_admin reset >/dev/null
check 'latest --parameter 2' aq-fetch -q latest --parameter 2
cp "$TMP/.out" "$TMP/p2"
n=$(api_admin 'dump?path=/v3/parameters/2/latest' | pyj 'len(j["results"])')
check_eq 'every sensor of the parameter' "$(wc -l <"$TMP/p2")" "$n"
check_eq 'each with parametersId' "$(count "$TMP/p2" 2)" "$n"

# a plain latest: every parameter, the fewest requests
api_admin reset >/dev/null
check 'latest for every parameter' aq-fetch -q latest
cp "$TMP/.out" "$TMP/all"
want=$(python3 -c "
import json, urllib.request
ps = json.load(urllib.request.urlopen('$API_URL/__fake/dump?path=/v3/parameters'))['results']
req, rows = 1 + len(ps), 0
for p in ps:
    n = len(json.load(urllib.request.urlopen('$API_URL/__fake/dump?path=/v3/parameters/%d/latest' % p['id']))['results'])
    req += n // 1000; rows += n
print(req, rows)")
check_eq 'one walk per parameter: requests and rows' "$(api_stat requests) $(wc -l <"$TMP/all")" "$want"

# --follow: the first poll writes everything, later polls only what is new
: >"$TMP/follow"
api_admin reset >/dev/null
aq-fetch -q --retries 1 latest --parameter 2 --follow --interval 1 >"$TMP/follow" 2>"$TMP/follow.err" &
pid=$!
wait_for 'the first poll' 60 lines_at_least "$TMP/follow" "$n"
check_eq 'the first poll writes every reading' "$(wc -l <"$TMP/follow")" "$n"
# two whole polls later (a poll is over once the next one has asked its
# first page: polls do not overlap), nothing more is written
pages=$((n / 1000 + 1))
r0=$(api_requests)
wait_for 'two more polls' 60 requests_at_least $((r0 + 2 * pages + 1))
check_eq 'later polls write nothing while nothing is new' "$(wc -l <"$TMP/follow")" "$n"
check_eq 'later polls ask only from the newest reading less the 10-minute overlap' \
	"$(api_admin requests | python3 -c 'import json, sys, urllib.parse
d = [urllib.parse.parse_qs(r["query"]).get("datetime_min", ["-"])[0] for r in json.load(sys.stdin) if r["path"].endswith("/latest")]
p = int(sys.argv[1])
print(sorted(set(d[:p])), sorted(set(d[p:])))' "$pages")" "['-'] ['2026-11-28T11:50:00Z']"
api_admin 'advance?hours=1' >/dev/null
new=$(api_admin 'dump?path=/v3/parameters/2/latest' | python3 -c "
import json, sys
old = {(json.loads(l)['sensorsId'], json.loads(l)['datetime']['utc']) for l in open('$TMP/p2')}
print(sum(1 for r in json.load(sys.stdin)['results'] if (r['sensorsId'], r['datetime']['utc']) not in old))")
ok "the fake has new readings an hour later ($new)" "$new" -gt 0
wait_for 'the new readings' 60 lines_at_least "$TMP/follow" $((n + new))
check_eq 'the next poll writes exactly those' "$(wc -l <"$TMP/follow")" "$((n + new))"
dups=$(python3 -c "
import json
seen = [(json.loads(l)['sensorsId'], json.loads(l)['datetime']['utc']) for l in open('$TMP/follow')]
print(len(seen) - len(set(seen)))")
check_eq 'no reading twice' "$dups" 0

# failures are waited out
api_admin 'fault?spec=503%1' >/dev/null
wait_for 'a failed poll' 60 grep -q 'HTTP 503' "$TMP/follow.err"
api_admin clear >/dev/null
before=$(wc -l <"$TMP/follow")
api_admin 'advance?hours=1' >/dev/null
wait_for 'a poll after the failures' 60 lines_at_least "$TMP/follow" $((before + 1))
check 'a failing API does not stop --follow' kill -0 $pid
check_grep 'it says what failed' 'HTTP 503' "$TMP/follow.err"
ok 'and it goes on once the API is back' "$(wc -l <"$TMP/follow")" -gt "$before"

kill -TERM $pid
wait $pid; st=$?
check_eq 'SIGTERM: exit 0' "$st" 0
python3 -c "
import json
for l in open('$TMP/follow'): json.loads(l)" 2>"$TMP/json.err"
check_eq 'every line written is whole JSON' "$?" 0
diag_file "$TMP/json.err"
check_status '--overlap without --follow: exit 64' 64 aq-fetch -q latest --overlap 5m
