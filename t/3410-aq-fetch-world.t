#!/bin/sh
# 3410-aq-fetch-world: the latest mirror of the whole world within the free
# tier.  The fake API at world scale: 30 parameters, more than 100,000
# sensors, each live one reporting once an hour at its own minute (so a
# quarter of them have a new reading in any 15 minutes); each poll of
# aq-fetch latest --follow starts 15 fake minutes after the previous one
# (--poll-clock 900).  The first snapshot takes the fewest requests,
# 1 + sum over parameters of ceil(sensors/1000); each later poll asks only
# what changed (datetime_min: the newest reading of the last poll less the
# 10-minute overlap), at most 125 requests, so that four polls an hour stay
# within 25 % of the 2000-an-hour budget (the staggered world makes every
# 15 minutes alike: two polls stand for the hour, which keeps the test
# short); no reading is written twice, none is missed.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 9

api_start --locations 28000 --parameters 30 --stagger --poll-clock 900 --hours 4 --rate 1000000
export AQ_BACKOFF=0.05
t0=$(api_json now 'j["now"]')
diag "started at $(date +%T)"
nsens=$(api_json sensors 'len(j)')
ok "the world: more than 100,000 sensors ($nsens)" "$nsens" -gt 100000

aq-fetch -q --rate-minute 1000000 --rate-hour 100000000 latest --follow --interval 1 \
	>"$TMP/follow" 2>"$TMP/follow.err" &
pid=$!
# polls: each begins with the /parameters list; poll k is over once poll
# k+1 has begun.  Three whole polls: the snapshot and two 15-minute polls.
polls_begun() { [ "$(api_json requests 'sum(1 for r in j if r["path"] == "/v3/parameters")')" -ge "$1" ]; }
wait_for 'three polls' 120 polls_begun 4
kill -TERM $pid
wait $pid
check_eq 'aq-fetch --follow ends on SIGTERM with 0' "$?" 0
diag_file "$TMP/follow.err"

api_admin requests >"$TMP/requests.json"
diag "poll times (s): $(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); t = [x["t"] for x in r if x["path"] == "/v3/parameters"]; print(" ".join("%.1f" % (b - a) for a, b in zip(t, t[1:])))' "$TMP/requests.json")"
# per poll: its requests and its datetime_min
python3 - "$TMP/requests.json" >"$TMP/polls" <<'PY'
import json, sys, urllib.parse
polls = []
for r in json.load(open(sys.argv[1])):
    if r["path"] == "/v3/parameters":
        polls.append([0, ""])
    polls[-1][0] += 1
    dm = urllib.parse.parse_qs(r["query"]).get("datetime_min")
    if dm:
        polls[-1][1] = dm[0]
for n, dm in polls[:3]:
    print(n, dm or "-")
PY
diag "requests and datetime_min of each poll:" "$(cat "$TMP/polls")"
# the fewest requests for the snapshot, at the first poll's clock (t0 + 15 min)
at1=$(python3 -c 'import datetime as d, sys; print((d.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")) + d.timedelta(seconds=900)).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$t0")
api_admin "latest-counts?at=$at1" >"$TMP/counts1"
fewest=$(pyj '1 + sum(max(1, (n + 999) // 1000) for n in j.values())' <"$TMP/counts1")
nparams=$(pyj 'sum(1 for n in j.values() if n > 0)' <"$TMP/counts1")
ok "30 parameters have readings ($nparams)" "$nparams" -ge 30
check_eq "the first snapshot: 1 + sum ceil(sensors_p/1000) requests" "$(sed -n 1p "$TMP/polls" | cut -d' ' -f1)" "$fewest"
check_eq 'and asks without datetime_min' "$(sed -n 1p "$TMP/polls" | cut -d' ' -f2)" "-"
most=$(sed -n '2,3p' "$TMP/polls" | awk '$1 > n { n = $1 } END { print n }')
ok "a 15-minute poll: at most $most requests, at most 125 (4 an hour: 25 % of 2000/h)" "$most" -le 125
ok 'every later poll asks with datetime_min' "$(sed -n '2,3p' "$TMP/polls" | grep -c ' -$')" -eq 0

# what was written: each (sensor, datetime) once, and every reading the
# world had at some poll's clock that is newer than the snapshot's
python3 - "$TMP/follow" >"$TMP/written" <<'PY'
import json, sys, collections
c = collections.Counter()
for l in open(sys.argv[1]):
    r = json.loads(l)
    c[(r["sensorsId"], r["datetime"]["utc"])] += 1
print(len(c), sum(v - 1 for v in c.values()))
PY
set -- $(cat "$TMP/written")
check_eq 'no reading written twice' "$2" 0
# the last whole poll (the 3rd) ran at t0 + 45 min: each sensor with a
# reading then is in the mirror
at3=$(python3 -c 'import datetime as d, sys; print((d.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")) + d.timedelta(seconds=2700)).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$t0")
want=$(api_admin "latest-counts?at=$at3" | pyj 'sum(j.values())')
got=$(python3 -c '
import json, sys
last = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    last[r["sensorsId"]] = max(last.get(r["sensorsId"], ""), r["datetime"]["utc"])
print(len(last))' "$TMP/follow")
check_eq 'every sensor with a reading is in the mirror' "$got" "$want"
