#!/bin/sh
# lint.sh: static analysis (make lint): cppcheck and clang-tidy over the
# project's C files, with the configuration checked in (.clang-tidy, the
# cppcheck options below).  Exits non-zero on any finding.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
files=$(find core engine importers exporters cli -name "*.c" | sort)
flags="-std=c11 -I. -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags sqlite3 gmime-3.0 libical openssl)"
rc=0
echo "== cppcheck"
# unusedFunction: the library exports functions the command does not call;
# missingIncludeSystem: system headers are not analysed.
cppcheck --quiet --std=c11 --enable=warning,performance,portability \
	--suppress=missingIncludeSystem --inline-suppr --error-exitcode=1 \
	-I. -D_GNU_SOURCE $files || rc=1
echo "== clang-tidy"
n=0
for f in $files; do
	out=$(clang-tidy --quiet "$f" -- $flags 2>/dev/null)
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
	n=$((n + 1))
done
if [ $rc -eq 0 ]; then
	echo "lint: $n files clean"
else
	echo "lint: findings above"
fi
exit $rc
