# lib.sh: shell TAP helpers for the t/*.t tests (after mblaze and git).
#
#   . "$AQ_SRCDIR/t/lib.sh"
#   plan 3
#   ok 'three pages' "$pages" -eq 3          # a condition, as test(1) reads it
#   check 'help exits 0' aq-norm --help      # a command that must exit 0
#   check_same 'golden' "$out" "$AQ_TESTDATA/norm/x.out.ndjson"
#   wait_for 'the first row' 30 test -s "$TMP/out"   # an event, with a bound
#   skip_all 'no python3'
#
# Every assertion reads the way it passes: ok passes when its condition is
# true, check when its command succeeds, check_nogrep when no line matches.

set -u
: "${AQ_BIN:?run the tests through make check}"
: "${AQ_SRCDIR:?run the tests through make check}"
: "${AQ_TESTDATA:=$AQ_SRCDIR/t/data}"
PATH=$AQ_BIN:$PATH
export PATH LC_ALL=C.UTF-8

tap_n=0
tap_failed=0
tap_plan=

# A scratch directory per test file, removed on exit (unless AQ_KEEP=1).
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aqtest.XXXXXX") || exit 99
tap_cleanups=
at_exit() { tap_cleanups="$1
$tap_cleanups"; }
tap_exit() {
	status=$?
	eval "$tap_cleanups"
	[ "${AQ_KEEP:-0}" = 1 ] && echo "# kept $TMP" || rm -rf "$TMP"
	if [ -n "$tap_plan" ] && [ "$tap_plan" != "$tap_n" ] && [ "$tap_plan" != 0 ]; then
		echo "# planned $tap_plan tests but ran $tap_n"
		exit 1
	fi
	[ "$tap_failed" -gt 0 ] && exit 1
	exit $status
}
trap tap_exit EXIT
trap 'exit 130' INT TERM

plan() { tap_plan=$1; echo "1..$1"; }
done_testing() { [ -n "$tap_plan" ] || { tap_plan=$tap_n; echo "1..$tap_n"; }; }
skip_all() { echo "1..0 # SKIP $*"; tap_plan=0; exit 0; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# tap_result STATUS MSG: the one place a test line is printed; STATUS 0
# is a pass.  After "todo REASON" the next line is a TODO test: a failure
# is reported as such and does not fail the file.
tap_todo=
tap_result() {
	tap_n=$((tap_n + 1))
	tr_dir=
	[ -n "$tap_todo" ] && tr_dir=" # TODO $tap_todo"
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2$tr_dir"
	elif [ -n "$tap_todo" ]; then
		echo "not ok $tap_n - $2$tr_dir"
		tap_todo=
		return 0	# an expected failure: not the file's status either
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
	tap_todo=
	return "$1"
}
todo() { tap_todo=$*; }
pass() { tap_result 0 "$1"; }
fail() { tap_result 1 "$1"; }

# ok MSG EXPR...: passes when EXPR, evaluated by test(1), is true
#   ok 'a few pages' "$pages" -lt 11
#   ok 'found a sensor' -n "$sid"
ok() {
	ok_msg=$1; shift
	if test "$@"; then pass "$ok_msg"; else
		fail "$ok_msg"; diag "false: test $*"; return 1; fi
}

skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }

# check MSG CMD...: CMD exits 0 (its output is kept in $TMP/.out, $TMP/.err)
check() {
	msg=$1; shift
	if "$@" >"$TMP/.out" 2>"$TMP/.err"; then pass "$msg"; else
		st=$?; fail "$msg"; diag "command: $*" "exit status $st"; diag_file "$TMP/.err"; fi
}

# check_status MSG STATUS CMD...: CMD exits with STATUS
check_status() {
	msg=$1 want=$2; shift 2
	"$@" >"$TMP/.out" 2>"$TMP/.err"; st=$?
	if [ "$st" = "$want" ]; then pass "$msg"; else
		fail "$msg"; diag "command: $*" "exit status $st, want $want"; diag_file "$TMP/.err"; fi
}

# check_same MSG GOT WANT: the two files are byte-for-byte equal; a
# missing WANT (an expected file) is a failure, never a pass
check_same() {
	if [ ! -e "$3" ]; then
		fail "$1"; diag "the expected file $3 is missing"
	elif cmp -s "$2" "$3"; then pass "$1"; else
		fail "$1"; diag "diff $3 $2:"; diff -u "$3" "$2" 2>&1 | head -40 | sed 's/^/# /'; fi
}

# check_grep MSG PATTERN FILE: a line of FILE matches the extended regex
check_grep() {
	if grep -Eq -- "$2" "$3"; then pass "$1"; else
		fail "$1"; diag "no line of $3 matches: $2"; diag_file "$3"; fi
}

# check_nogrep MSG PATTERN FILE...: every FILE exists and no line of them
# matches the extended regex (a missing file is a failure, not a pass)
check_nogrep() {
	msg=$1 pat=$2; shift 2
	for f in "$@"; do
		[ -e "$f" ] || { fail "$msg"; diag "$f does not exist"; return 1; }
	done
	if grep -Enr -- "$pat" "$@" >"$TMP/.match" 2>&1; then
		fail "$msg"; diag "lines that match $pat:"; diag_file "$TMP/.match"; return 1
	fi
	pass "$msg"
}

# check_empty MSG FILE: FILE exists and is empty (say, a log of warnings)
check_empty() {
	if [ ! -e "$2" ]; then fail "$1"; diag "$2 does not exist"
	elif [ -s "$2" ]; then fail "$1"; diag "$2 is not empty:"; diag_file "$2"
	else pass "$1"; fi
}

# check_eq MSG GOT WANT: two strings are equal
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1"; diag "got:  $2" "want: $3"; fi
}

# like MSG STRING PATTERN: STRING matches the extended regex
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then pass "$1"; else
		fail "$1"; diag "got:  $2" "does not match: $3"; fi
}

# wait_for WHAT TIMEOUT CMD...: wait for an event: run CMD every 0.1 s
# until it exits 0, for up to TIMEOUT seconds of wall-clock time.  On a
# timeout it says what it waited for, fails the test file (without a test
# line of its own, so that plans stay fixed) and returns 1.  The TIMEOUT
# only detects a hang: make it generous, never a speed to meet.
wait_for() {
	wf_what=$1 wf_secs=$2; shift 2
	wf_end=$(($(date +%s) + wf_secs))
	while ! "$@" >"$TMP/.wait" 2>&1; do
		if [ "$(date +%s)" -ge "$wf_end" ]; then
			"$@" >"$TMP/.wait" 2>&1 && return 0
			diag "timed out after $wf_secs s waiting for $wf_what" "(command: $*)"
			diag_file "$TMP/.wait"
			tap_failed=$((tap_failed + 1))
			return 1
		fi
		sleep 0.1
	done
}

# lines_at_least FILE N: FILE exists and holds N lines or more (for wait_for)
lines_at_least() { [ -f "$1" ] && [ "$(grep -c '' "$1")" -ge "$2" ]; }

# stop_bg PID: end a server the test started in the background, and reap it
stop_bg() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

diag_file() { [ -s "$1" ] && head -20 "$1" | sed 's/^/#   /'; return 0; }

# need PROG...: skip the whole file, saying why, when a program is missing
need() {
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip_all "$p not found"
	done
}

# An awk function, utc(t): the UTC text of epoch seconds t, for awk
# programs that make test data (civil_from_days after H. Hinnant: POSIX awk
# has no strftime).  Put it before the program: awk "$AQ_AWK_UTC"'...'.
AQ_AWK_UTC='
function utc(t,   z, era, doe, yoe, y, doy, mp, d, m, r) {
	z = int(t / 86400); r = t - z * 86400; z += 719468
	era = int(z / 146097); doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
	m = mp < 10 ? mp + 3 : mp - 9; if (m <= 2) y++
	return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, int(r / 3600), int(r / 60) % 60, r % 60)
}'
