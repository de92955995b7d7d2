#!/bin/sh
# 9500-lib-sh: the helpers of t/lib.sh pass what they should and fail what
# they should: each one is run in a child shell on a true and on a false
# case, and its TAP line and the child's exit status are checked.
. "$AQ_SRCDIR/t/lib.sh"

# probe WANT CODE: run CODE after lib.sh in a child shell; WANT is "ok",
# "not ok", "todo" (a not ok marked TODO, which leaves the file passing)
# or "fails" (the test line is ok, but the file fails)
probe() {
	want=$1 code=$2
	sh -c '. "$AQ_SRCDIR/t/lib.sh"; '"$code" >"$TMP/p.out" 2>"$TMP/p.err"
	st=$?
	line=$(grep -E '^(not )?ok 1' "$TMP/p.out")
	case $want in
	ok) w="ok 1 -" ws=0 ;;
	'not ok') w="not ok 1 -" ws=1 ;;
	todo) w="not ok 1 -" ws=0 ;;
	fails) w="ok 1 -" ws=1 ;;
	esac
	case $line:$st in
	"$w"*:"$ws")
		if [ "$want" = todo ]; then
			like "$want: $code" "$line" ' # TODO '
		else
			pass "$want: $code"
		fi ;;
	*) fail "$want: $code"; diag "line: $line" "exit status $st, want $ws"; diag_file "$TMP/p.out" ;;
	esac
}

printf 'a\nb\n' >"$TMP/ab"
: >"$TMP/empty"

probe ok 'ok "3 < 4" 3 -lt 4'
probe 'not ok' 'ok "4 < 3" 4 -lt 3'
probe 'not ok' 'ok "a malformed condition" "" -lt 3'
probe ok 'ok "a string" -n x'
probe 'not ok' 'ok "no string" -n ""'
probe ok 'check "true" true'
probe 'not ok' 'check "false" false'
probe ok 'check_status "exit 3" 3 sh -c "exit 3"'
probe 'not ok' 'check_status "exit 3" 3 true'
probe ok 'check_eq "x" x x'
probe 'not ok' 'check_eq "x" x y'
probe ok 'check_grep "b" "^b$" "'"$TMP"'/ab"'
probe 'not ok' 'check_grep "c" "^c$" "'"$TMP"'/ab"'
probe ok 'check_nogrep "no c" "c" "'"$TMP"'/ab"'
probe 'not ok' 'check_nogrep "no b" "b" "'"$TMP"'/ab"'
probe 'not ok' 'check_nogrep "a missing file" "c" "'"$TMP"'/nonexistent"'
probe ok 'check_empty "empty" "'"$TMP"'/empty"'
probe 'not ok' 'check_empty "not empty" "'"$TMP"'/ab"'
probe 'not ok' 'check_empty "missing" "'"$TMP"'/nonexistent"'
probe ok 'check_same "same" "'"$TMP"'/ab" "'"$TMP"'/ab"'
probe 'not ok' 'check_same "differ" "'"$TMP"'/ab" "'"$TMP"'/empty"'
probe 'not ok' 'check_same "no expected file" "'"$TMP"'/ab" "'"$TMP"'/nonexistent"'
probe ok 'check_same "no rejects" "'"$TMP"'/empty" /dev/null'
probe ok 'like "abc" abc "^a.c$"'
probe 'not ok' 'like "abc" abc "^b"'
probe ok 'pass "pass"'
probe 'not ok' 'fail "fail"'
probe todo 'todo "known"; fail "a known failure"'
sh -c '. "$AQ_SRCDIR/t/lib.sh"; todo known; fail x; fail y' >"$TMP/p.out" 2>&1
check_eq 'a TODO is for the next test only' "$?:$(grep -c '# TODO' "$TMP/p.out"):$(grep -c '^not ok 2 - y$' "$TMP/p.out")" 1:1:1
# golden (t/golden.sh): a case missing its expected rows or its expected
# rejects fails; it never passes unchecked
mkdir -p "$TMP/g/norows" "$TMP/g/norej"
printf '{}\n' >"$TMP/g/norows/a.in.ndjson"
: >"$TMP/g/norows/a.rejects.tsv"
printf '{}\n' >"$TMP/g/norej/a.in.ndjson"
printf '{}\n' >"$TMP/g/norej/a.out.ndjson"
g='AQ_TESTDATA="'"$TMP"'/g"; . "$AQ_SRCDIR/t/golden.sh"; tool() { while [ $# -gt 1 ]; do shift; done; cat; }; golden'
probe 'not ok' "$g norows tool"
probe 'not ok' "$g norej tool"
probe 'not ok' "$g nocases tool"
# wait_for: an event that comes, one that does not (the file fails, with
# a diagnostic), and the bound is wall-clock time
probe ok '(touch "$TMP/late") & wait_for "a file" 30 test -e "$TMP/late"; pass "waited"'
probe fails 'wait_for "nothing" 1 false; pass "after a timeout"'
sh -c '. "$AQ_SRCDIR/t/lib.sh"; wait_for "a file that never comes" 1 test -e /nonexistent; pass x' >"$TMP/p.out" 2>&1
check_grep 'a timeout says what it waited for' '^# timed out after 1 s waiting for a file that never comes' "$TMP/p.out"
done_testing
