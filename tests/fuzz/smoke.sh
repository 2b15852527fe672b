#!/bin/sh
# smoke.sh FUZZ_BUILD SECONDS NAME...: run each libFuzzer target for SECONDS
# on a copy of its seed corpus, two at a time (FUZZ_JOBS) on the two cores;
# new crashes are kept under FUZZ_BUILD/crashes/NAME/ and fail the run.
# Prints one line per target and "N passed, N failed".
set -u
build=$1; secs=$2; shift 2
jobs=${FUZZ_JOBS:-2}
res="$build/smoke-results"
rm -rf "$res"
mkdir -p "$res"

one() { # $1 = target
	n=$1
	work="$build/corpus-work/$n"
	mkdir -p "$work" "$build/crashes/$n"
	cp -n tests/fuzz/corpus/"$n"/* "$work"/ 2>/dev/null || true
	if "$build/fuzz-$n" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
		-artifact_prefix="$build/crashes/$n/" "$work" >"$build/fuzz-$n.log" 2>&1; then
		echo "ok - fuzz $n ($secs s, $(grep -o 'cov: [0-9]*' "$build/fuzz-$n.log" | tail -n 1))" > "$res/$n"
	else
		{
			echo "FAIL - fuzz $n: see $build/fuzz-$n.log"
			tail -n 30 "$build/fuzz-$n.log"
		} > "$res/$n"
	fi
}

# $jobs lanes, each running its share of the targets one after the other
lane=0
while [ "$lane" -lt "$jobs" ]; do
	(
		i=0
		for n in "$@"; do
			[ $((i % jobs)) -eq "$lane" ] && one "$n"
			i=$((i + 1))
		done
	) &
	lane=$((lane + 1))
done
wait

pass=0; fail=0
for n in "$@"; do
	if [ -f "$res/$n" ]; then
		cat "$res/$n"
		case "$(head -n 1 "$res/$n")" in ok*) pass=$((pass + 1)) ;; *) fail=$((fail + 1)) ;; esac
	else
		echo "FAIL - fuzz $n: no result"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
