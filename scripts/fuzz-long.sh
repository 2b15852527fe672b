#!/bin/sh
# fuzz-long.sh: the long fuzz runs recorded in docs/testing.md.
#
#   make fuzz
#   sh scripts/fuzz-long.sh SECONDS [NAME...]      (default: every target)
#
# Runs each libFuzzer target (build/fuzz/fuzz-NAME) for SECONDS, niced, at
# most FUZZ_JOBS (2) at a time, each on its own working corpus seeded from
# tests/fuzz/corpus/NAME/.  The binaries are copied first, so rebuilding
# while the runs go on does not disturb them.  A run that finds a crash
# stops there (libFuzzer's rule); the input is kept under
# OUT/crashes/NAME/ to be fixed and then added to the seed corpus.
#
# Results, one line per run, are appended to OUT/results.tsv
# (OUT = FUZZ_LONG_DIR, default build/fuzz-long):
#   date  target  seconds  executions  crashes  cov  corpus-entries  spurious
# where spurious counts inputs that stopped a run (a timeout of the starved,
# niced process) but pass at once when run again alone.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
secs=${1:?usage: fuzz-long.sh SECONDS [NAME...]}
shift
out=${FUZZ_LONG_DIR:-build/fuzz-long}
jobs=${FUZZ_JOBS:-2}
if [ $# -eq 0 ]; then
	set -- $(ls tests/fuzz/fuzz-*.c | sed 's,.*/fuzz-,,; s,\.c$,,')
fi
mkdir -p "$out/bin"
for n in "$@"; do
	[ -x "build/fuzz/fuzz-$n" ] || { echo "build/fuzz/fuzz-$n is missing: run make fuzz" >&2; exit 2; }
	cp "build/fuzz/fuzz-$n" "$out/bin/fuzz-$n"
done
[ -f "$out/results.tsv" ] ||
	printf 'date\ttarget\tseconds\texecutions\tcrashes\tcov\tcorpus\tspurious\n' > "$out/results.tsv"

one() { # $1 = target name
	n=$1
	mkdir -p "$out/corpus/$n" "$out/crashes/$n"
	cp -n tests/fuzz/corpus/"$n"/* "$out/corpus/$n"/ 2>/dev/null || true
	log="$out/$n.log"
	: > "$log"
	start=$(date +%s)
	execs=0 crashes=0 spurious=0
	# The machine is shared and the runs are niced, so a run can be
	# starved past its -timeout: an input that stopped a run is run again
	# alone; when it then passes at once it was the machine, not the code
	# (counted as "spurious"), and fuzzing goes on for the time left.
	while :; do
		left=$((secs - ($(date +%s) - start)))
		[ "$left" -gt 10 ] || break
		ls "$out/crashes/$n" > "$out/$n.before"
		nice -n 10 "$out/bin/fuzz-$n" -max_total_time="$left" -timeout=60 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$out/crashes/$n/" \
			"$out/corpus/$n" >>"$log" 2>&1
		rc=$?
		e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		execs=$((execs + ${e:-0}))
		[ $rc -ne 0 ] || break
		real=0 found=0
		for a in $(ls "$out/crashes/$n" | grep -vxF -f "$out/$n.before"); do
			case "$a" in slow-unit-*) continue ;; esac
			found=$((found + 1))
			if "$out/bin/fuzz-$n" -timeout=60 -rss_limit_mb=2048 "$out/crashes/$n/$a" \
				>"$out/$n.recheck" 2>&1; then
				echo "$a: passes when run again alone: not a defect" >> "$log"
				mv "$out/crashes/$n/$a" "$out/crashes/$n/spurious-$a"
				spurious=$((spurious + 1))
			else
				real=1
			fi
		done
		if [ $real -eq 1 ] || [ $found -eq 0 ]; then
			crashes=1
			break
		fi
	done
	ran=$(( $(date +%s) - start ))
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	ncorp=$(ls "$out/corpus/$n" | wc -l | tr -d ' ')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$n" "$ran" \
		"$execs" "$crashes" "${cov:-0}" "$ncorp" "$spurious" >> "$out/results.tsv"
	if [ $crashes -eq 0 ]; then
		echo "ok - fuzz $n: $ran s, $execs runs, cov ${cov:-?}"
	else
		echo "CRASH - fuzz $n after $ran s: $(ls "$out/crashes/$n" | grep -v '^spurious-' | head -n 3 | tr '\n' ' ')"
	fi
}

# $jobs lanes, each running its share of the targets one after the other.
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
echo "results: $out/results.tsv"
# Sum per target over every run recorded so far.
awk -F'\t' 'NR > 1 { s[$2] += $3; e[$2] += $4; c[$2] += $5 }
	END { for (k in s) printf "%-16s %8.2f h %14d runs %3d crashes\n", k, s[k] / 3600, e[k], c[k] }' \
	"$out/results.tsv" | sort
