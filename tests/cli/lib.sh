# lib.sh: helpers for the shell tests in tests/cli/.  Source it first.
#
#   MF      the mailferry binary under test (set by tests/run.sh)
#   SRC     the source tree
#   T       a fresh temporary folder (removed at the end)
#
#   check NAME CMD...          passes when CMD exits 0
#   check_exit CODE NAME CMD.. passes when CMD exits with CODE
#   check_out NAME EXPECTED CMD...  passes when CMD's stdout equals EXPECTED
#   check_grep NAME PATTERN FILE    passes when FILE has a line matching PATTERN
#   finish                      prints "N passed, N failed" and exits
set -u
: "${MF:?MF must name the mailferry binary}"
: "${SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/mf-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
_pass=0
_fail=0

_result() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		_pass=$((_pass + 1))
	else
		echo "FAIL - $2"
		_fail=$((_fail + 1))
	fi
}

check() {
	name=$1; shift
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	[ $rc -eq 0 ] || { echo "  exit $rc: $*"; sed 's/^/  | /' "$T/.err" | head -n 20; }
	_result $rc "$name"
}

check_exit() {
	want=$1; name=$2; shift 2
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	[ $rc -eq "$want" ] || { echo "  exit $rc (wanted $want): $*"; sed 's/^/  | /' "$T/.err" | head -n 20; }
	[ $rc -eq "$want" ]
	_result $? "$name"
}

check_out() {
	name=$1; want=$2; shift 2
	got=$("$@" 2>"$T/.err")
	if [ "$got" = "$want" ]; then
		_result 0 "$name"
	else
		echo "  wanted: $want"
		echo "  got:    $got"
		sed 's/^/  | /' "$T/.err" | head -n 20
		_result 1 "$name"
	fi
}

check_grep() {
	name=$1; pat=$2; file=$3
	if grep -q -e "$pat" "$file" 2>/dev/null; then
		_result 0 "$name"
	else
		echo "  no line matching '$pat' in $file:"
		sed 's/^/  | /' "$file" 2>/dev/null | head -n 20
		_result 1 "$name"
	fi
}

finish() {
	echo "$_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
	exit $?
}
