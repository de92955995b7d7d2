# lib.sh: shell TAP helpers for the t/*.t tests (after mblaze and git).
#
#   . "$AQ_SRCDIR/t/lib.sh"
#   plan 3
#   check 'help exits 0' aq-norm --help
#   check_same 'golden' "$out" "$AQ_TESTDATA/norm/x.out.ndjson"
#   skip_all 'no python3'

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

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }

# check MSG CMD...: CMD exits 0
check() {
	msg=$1; shift
	if "$@" >"$TMP/.out" 2>"$TMP/.err"; then ok 0 "$msg"; else
		st=$?; ok 1 "$msg"; diag "command: $*" "exit status $st"; diag_file "$TMP/.err"; fi
}

# check_fail MSG STATUS CMD...: CMD exits with STATUS
check_status() {
	msg=$1 want=$2; shift 2
	"$@" >"$TMP/.out" 2>"$TMP/.err"; st=$?
	if [ "$st" = "$want" ]; then ok 0 "$msg"; else
		ok 1 "$msg"; diag "command: $*" "exit status $st, want $want"; diag_file "$TMP/.err"; fi
}

# check_same MSG GOT WANT: the two files are byte-for-byte equal
check_same() {
	if cmp -s "$2" "$3"; then ok 0 "$1"; else
		ok 1 "$1"; diag "diff $3 $2:"; diff -u "$3" "$2" 2>&1 | head -40 | sed 's/^/# /'; fi
}

# check_grep MSG PATTERN FILE: a line of FILE matches the extended regex
check_grep() {
	if grep -Eq -- "$2" "$3"; then ok 0 "$1"; else
		ok 1 "$1"; diag "no line of $3 matches: $2"; diag_file "$3"; fi
}

# check_eq MSG GOT WANT: two strings are equal
check_eq() {
	if [ "$2" = "$3" ]; then ok 0 "$1"; else ok 1 "$1"; diag "got:  $2" "want: $3"; fi
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
