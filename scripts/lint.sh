#!/bin/sh
# lint.sh: static analysis (make lint, and a part of make check): cppcheck
# and clang-tidy over the project's C files, with the configuration checked
# in (.clang-tidy, the cppcheck options below).  Exits non-zero on any
# finding, and when either tool is missing or cannot analyse a file (a lint
# that did not run is not a clean lint).
#
#   LINT_JOBS=N   clang-tidy runs N files at a time (default: the CPUs)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
for tool in cppcheck clang-tidy pkg-config; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "lint: $tool is not installed (scripts/install-deps.sh installs it)"
		exit 1
	fi
done
files=${LINT_FILES:-$(find core engine importers exporters cli -name "*.c" | sort)}
flags="-std=c11 -I. -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags sqlite3 gmime-3.0 libical openssl libcurl libxml-2.0)"
jobs=${LINT_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mf-lint-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
rc=0
echo "== cppcheck"
# missingIncludeSystem: system headers are not analysed.
cppcheck --quiet --std=c11 --enable=warning,performance,portability \
	--suppress=missingIncludeSystem --inline-suppr --error-exitcode=1 \
	-I. -D_GNU_SOURCE $files || rc=1
echo "== clang-tidy ($jobs at a time)"
# One report per file (FILE.out: the findings, FILE.rc: clang-tidy's exit
# status), printed in file order afterwards.
printf "%s\n" $files | xargs -P "$jobs" -I{} sh -c '
	f=$1; o=$2/$(echo "$f" | tr / _)
	shift 2
	clang-tidy --quiet "$f" -- "$@" >"$o.out" 2>"$o.err"
	echo $? >"$o.rc"
' lint {} "$tmp" $flags
for f in $files; do
	o=$tmp/$(echo "$f" | tr / _)
	if [ ! -f "$o.rc" ]; then
		echo "lint: clang-tidy did not run on $f"
		rc=1
		continue
	fi
	if [ -s "$o.out" ] || [ "$(cat "$o.rc")" != 0 ]; then
		cat "$o.out"
		grep -E 'error|Error' "$o.err" | grep -v -E '^[0-9]+ (warnings?|errors?) (and [0-9]+ errors? )?generated' || true
		echo "lint: clang-tidy on $f: exit $(cat "$o.rc")"
		rc=1
	fi
done
n=$(printf "%s\n" $files | wc -l)
if [ $rc -eq 0 ]; then
	echo "lint: $n files clean"
else
	echo "lint: findings above"
fi
exit $rc
