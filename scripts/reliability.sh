#!/bin/sh
# reliability.sh: the long runs behind the tables of docs/testing.md.
# Everything goes to build/reliability/ (RELIAB_DIR); each part can be
# run again on its own and appends to its results.
#
#   sh scripts/reliability.sh kill [TRIALS]   SIGKILL trials (default 50) of
#       both importers and every file, Exchange and PST exporter, on the larger
#       inputs (tests/crash/killtest.sh -s large) -> kill.tsv
#   sh scripts/reliability.sh hostile         every case of tests/hostile/
#       cases.tsv, all 4 GiB files included, normal build and ASan+UBSan
#       build (hostile.py --table) -> hostile-normal.md, hostile-asan.md
#   sh scripts/reliability.sh fuzz [SECONDS]  every fuzz target for SECONDS
#       (default 1800), two at a time, niced (scripts/fuzz-long.sh)
#       -> build/fuzz-long/results.tsv
#   sh scripts/reliability.sh table [--write] the Markdown tables from all
#       of the above; --write puts them into docs/testing.md (between the
#       reliability:begin and reliability:end markers)
#
# Needs the builds: make test-build; make test-build BUILD=build/san
# SANITIZE=address,undefined; make fuzz.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
out=${RELIAB_DIR:-build/reliability}
mkdir -p "$out"
what=${1:-table}
[ $# -gt 0 ] && shift

case "$what" in
kill)
	n=${1:-50}
	MF="$top/build/mailferry" BUILD="$top/build" \
		sh tests/crash/killtest.sh -n "$n" -s large -o "$out/kill.tsv" all | tee "$out/kill.log" | tail -n 1
	;;
hostile)
	python3 tests/hostile/hostile.py --mf build/mailferry --work "$out/h-normal" --variant normal \
		--table >"$out/hostile-normal.md" 2>&1
	tail -n 1 "$out/hostile-normal.md"
	ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" UBSAN_OPTIONS="halt_on_error=1" \
		python3 tests/hostile/hostile.py --mf build/san/mailferry --work "$out/h-asan" \
		--variant asan+ubsan --table >"$out/hostile-asan.md" 2>&1
	tail -n 1 "$out/hostile-asan.md"
	;;
fuzz)
	sh scripts/fuzz-long.sh "${1:-1800}"
	;;
table)
	if [ "${1:-}" = --write ]; then
		sh "$0" table > "$out/table.md" || exit 1
		awk -v f="$out/table.md" '
			/<!-- reliability:begin/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
			/<!-- reliability:end -->/ { skip = 0 }
			!skip { print }' docs/testing.md > "$out/testing.md.new" &&
			mv "$out/testing.md.new" docs/testing.md
		echo "reliability: tables written into docs/testing.md"
		exit 0
	fi
	echo "Tables of $(date -u '+%Y-%m-%d') from scripts/reliability.sh, mailferry $(git rev-parse --short HEAD 2>/dev/null || echo '?'),"
	echo "on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'))."
	echo
	echo "### Fuzzing (build/fuzz-long/results.tsv)"
	echo
	echo "| target | runs | hours | executions | crashes found | timeouts that were the machine |"
	echo "|---|---|---|---|---|---|"
	fl=${FUZZ_LONG_DIR:-build/fuzz-long}
	[ -f "$fl/results.tsv" ] && awk -F'\t' 'NR > 1 {
		r[$2]++; s[$2] += $3; e[$2] += $4; c[$2] += $5; p[$2] += ($8 == "" ? 0 : $8) }
		END { for (k in s) printf "| `%s` | %d | %.2f | %d | %d | %d |\n", k, r[k], s[k] / 3600, e[k], c[k], p[k] }' \
		"$fl/results.tsv" | sort
	echo
	echo "### SIGKILL trials ($out/kill.tsv)"
	echo
	echo "| what | trials | killed mid-run | integrity_check failures | re-run failures | data lost or duplicated | temporary files left |"
	echo "|---|---|---|---|---|---|---|"
	[ -f "$out/kill.tsv" ] && awk -F'\t' 'NR > 1 {
		t[$2] += $4; k[$2] += $5; i[$2] += $6; r[$2] += $7; l[$2] += $8; f[$2] += $9 }
		END { for (w in t) printf "| `%s` | %d | %d | %d | %d | %d | %d |\n", w, t[w], k[w], i[w], r[w], l[w], f[w] }' \
		"$out/kill.tsv" | sort
	echo
	if [ -f "$out/hostile-normal.md" ]; then
		echo "### Hostile inputs, normal build ($out/hostile-normal.md)"
		echo
		grep '^|' "$out/hostile-normal.md"
		echo
		echo "Normal build: $(tail -n 1 "$out/hostile-normal.md")."
	fi
	if [ -f "$out/hostile-asan.md" ]; then
		# the same cases: the summary, and any case that failed
		echo "The same cases under ASan+UBSan ($out/hostile-asan.md): $(tail -n 1 "$out/hostile-asan.md")."
		grep '^FAIL' "$out/hostile-asan.md" | sed 's/^/    /'
	fi
	echo
	;;
*)
	echo "usage: reliability.sh kill [TRIALS] | hostile | fuzz [SECONDS] | table" >&2
	exit 2
	;;
esac
