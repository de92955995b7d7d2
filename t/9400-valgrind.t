#!/bin/sh
# 9400-valgrind: every command runs valgrind-clean (no invalid access, no
# definite or indirect leak), the fetcher through retries and a follow
# stopped by SIGTERM too.  The sanitizer build skips it (ASan and valgrind
# do not mix); make distcheck runs it on the plain build.
. "$AQ_SRCDIR/t/lib.sh"
[ "${AQ_SANITIZERS:-no}" = yes ] && skip_all 'a sanitizer build: valgrind runs in the plain build (make distcheck)'
need valgrind
. "$AQ_SRCDIR/t/lib-api.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
plan 8

api_start --locations 300 --seed 4
pg_start
export AQ_BACKOFF=0.05
# the tools are libtool wrappers: run the real binaries under valgrind,
# with the uninstalled library (exec: the pid is valgrind's own)
vg() {
	p=$1; shift
	real=$AQ_BIN/.libs/$p
	[ -x "$real" ] || real=$AQ_BIN/$p
	LD_LIBRARY_PATH=$AQ_BUILDDIR/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	exec valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		"$real" "$@"
}
vcheck() { # MSG OUT CMD...
	msg=$1 out=$2; shift 2
	if (vg "$@") >"$out" 2>"$TMP/vg.err"; then pass "$msg"; else
		st=$?; fail "$msg"; diag "exit status $st"; diag_file "$TMP/vg.err"; fi
}

api_admin 'fault?spec=503@2' >/dev/null
vcheck 'aq-fetch locations, through a retry' "$TMP/loc.ndjson" aq-fetch -q --limit 100 locations
vcheck 'aq-fetch latest' "$TMP/latest.ndjson" aq-fetch -q latest --parameter 2
vcheck 'aq-dims locations' "$TMP/locrows.ndjson" aq-dims -q locations "$TMP/loc.ndjson"
vcheck 'aq-dims sensors' "$TMP/sensors.ndjson" aq-dims -q sensors "$TMP/loc.ndjson"
vcheck 'aq-norm latest' "$TMP/rows.ndjson" aq-norm -q --sensors "$TMP/loc.ndjson" \
	--reject "$TMP/rejects" "$TMP/latest.ndjson"
aq-load -q --init >/dev/null 2>&1
vcheck 'aq-load location' "$TMP/.o" aq-load -q -t location "$TMP/locrows.ndjson"
vcheck 'aq-load measurement' "$TMP/.o" aq-load -q -t measurement --reject "$TMP/lrej" "$TMP/rows.ndjson"

# SIGTERM once a whole poll is over and the next has begun (the fake's
# request count says so), not after a guess at valgrind's speed
api_admin reset >/dev/null
pages=$(($(wc -l <"$TMP/latest.ndjson") / 1000 + 1))
(vg aq-fetch -q latest --parameter 2 --follow --interval 1) >"$TMP/follow.ndjson" 2>"$TMP/follow.err" &
pid=$!
wait_for 'a first poll and the start of a second' 300 requests_at_least $((pages + 1))
kill -TERM $pid
wait $pid; st=$?
check_eq 'aq-fetch --follow, stopped by SIGTERM' "$st" 0
[ "$st" = 0 ] || diag_file "$TMP/follow.err"
