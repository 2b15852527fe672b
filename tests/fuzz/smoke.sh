#!/bin/sh
# smoke.sh FUZZ_BUILD SECONDS NAME...: run each libFuzzer target for SECONDS
# on a copy of its seed corpus; new crashes are kept under
# FUZZ_BUILD/crashes/NAME/ and fail the run.  Prints "N passed, N failed".
set -u
build=$1; secs=$2; shift 2
pass=0; fail=0
for n in "$@"; do
	work="$build/corpus-work/$n"
	mkdir -p "$work" "$build/crashes/$n"
	cp -n tests/fuzz/corpus/"$n"/* "$work"/ 2>/dev/null || true
	if "$build/fuzz-$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/crashes/$n/" "$work" >"$build/fuzz-$n.log" 2>&1; then
		echo "ok - fuzz $n ($secs s, $(grep -o 'cov: [0-9]*' "$build/fuzz-$n.log" | tail -n 1))"
		pass=$((pass + 1))
	else
		echo "FAIL - fuzz $n: see $build/fuzz-$n.log"
		tail -n 30 "$build/fuzz-$n.log"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
