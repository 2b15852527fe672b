#!/bin/sh
# hostile.sh: the hostile-input suite (tests/hostile/cases.tsv, run by
# tests/hostile/hostile.py): truncated files at every boundary, sizes of
# 2^31 and 2^64, negative and non-numeric sizes, NUL bytes in names, 1 MiB
# lines, deep nesting, invalid code-page bytes, paths and links out of the
# set, FIFOs, 4 GiB sparse files.  Each case: the exit status, the problem
# naming the file and offset, nothing staged from the damaged unit, the
# time and peak memory (/usr/bin/time) under the case's bounds, and a
# staging database that passes integrity_check.
#
# make check runs every case under both builds except most 4 GiB files:
# those refused at once everywhere, one read through per importer under
# the normal build; the others (a minute each) in the long run,
# scripts/reliability.sh hostile.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null || [ ! -x /usr/bin/time ]; then
	echo "FAIL - hostile: python3 and /usr/bin/time are needed"
	echo "0 passed, 1 failed"
	exit 1
fi
# the 4 GiB files refused at once run everywhere; of those read through
# (about a minute each), one per importer under the normal build
if [ "${VARIANT:-normal}" = normal ]; then
	big="--big=sparse-4g-(after|manifest)|ex-sparse|dir-sparse"
else
	big="--big=sparse-4g-manifest|ex-sparse|dir-sparse"
fi
python3 "$SRC/tests/hostile/hostile.py" --mf "$MF" --work "$T/h" --variant "${VARIANT:-normal}" \
	$big ${HOSTILE_ONLY:+--only "$HOSTILE_ONLY"}
