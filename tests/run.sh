#!/bin/sh
# run.sh BUILD_DIR...: run the whole suite against each build variant and
# print one closing line "N passed, N failed".
#
# For each build: the unit tests (BUILD/run-unit), every shell test
# tests/cli/*.sh (with MF pointing at BUILD/mailferry), and the replay of
# every fuzz corpus (BUILD/replay-NAME tests/fuzz/corpus/NAME).  Each piece
# prints its own "N passed, N failed" line; this script adds them up.
# A run that executes no test at all fails.
#
#   T_ONLY=cli sh tests/run.sh build     only the shell tests
#   FUZZ_SMOKE=1 FUZZ_NAMES="..." ...   also the fuzz smoke at the end
#   T_FILTER=store sh tests/run.sh build only tests whose file/name matches
#   LINT=1 sh tests/run.sh build ...    first the static analysis
#                                       (scripts/lint.sh), one part that
#                                       fails on any finding (make check)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
total_pass=0
total_fail=0
failed_parts=""

add() { # $1 = label, $2 = output file
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL - $1 printed no summary line"
		total_fail=$((total_fail + 1))
		failed_parts="$failed_parts $1"
		return
	fi
	p=$(echo "$line" | sed 's/^\([0-9]*\) passed.*/\1/')
	f=$(echo "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" -eq 0 ] || failed_parts="$failed_parts $1"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mf-run-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# LINT=1 (make check): cppcheck and clang-tidy, clean or the run fails.
if [ "${LINT:-}" = 1 ]; then
	echo "== lint"
	out="$tmp/lint"
	if sh scripts/lint.sh >"$out" 2>&1; then
		echo "1 passed, 0 failed" >>"$out"
	else
		echo "0 passed, 1 failed" >>"$out"
	fi
	grep -E '^(lint:|[^ ]*:[0-9]+:[0-9]+: (error|warning))' "$out" || true
	add "lint" "$out"
fi

for build in "$@"; do
	case "$build" in
	*san*) variant="asan+ubsan"
	       export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
	       export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ;;
	*) variant="normal" ;;
	esac
	echo "== $variant build ($build)"
	if [ -z "${T_ONLY:-}" ] || [ "${T_ONLY:-}" = unit ]; then
		out="$tmp/unit.$variant"
		t0=$(date +%s)
		if [ -n "${T_FILTER:-}" ]; then
			"$build/run-unit" -C "$top" -s "$T_FILTER" >"$out" 2>&1
		else
			"$build/run-unit" -C "$top" >"$out" 2>&1
		fi
		grep -E '^(FAIL|  )' "$out" || true
		add "unit($variant)" "$out"
		secs=$(( $(date +%s) - t0 ))
		tail -n 1 "$out" | sed "s/^/unit ($variant): /; s/\$/ ($secs s)/"
	fi
	if [ -z "${T_ONLY:-}" ] || [ "${T_ONLY:-}" = cli ]; then
		for t in tests/cli/*.sh; do
			[ -f "$t" ] || continue
			case "$t" in */lib.sh) continue ;; esac
			if [ -n "${T_FILTER:-}" ]; then
				case "$t" in *"$T_FILTER"*) ;; *) continue ;; esac
			fi
			name=$(basename "$t" .sh)
			out="$tmp/cli.$name.$variant"
			t0=$(date +%s)
			MF="$top/$build/mailferry" BUILD="$top/$build" SRC="$top" VARIANT="$variant" \
				sh "$t" >"$out" 2>&1
			grep -E '^FAIL|^  ' "$out" || true
			add "$name($variant)" "$out"
			secs=$(( $(date +%s) - t0 ))
			tail -n 1 "$out" | sed "s/^/$name ($variant): /; s/\$/ ($secs s)/"
		done
	fi
	if [ -z "${T_ONLY:-}" ] || [ "${T_ONLY:-}" = fuzz ]; then
		for r in "$build"/replay-*; do
			[ -x "$r" ] || continue
			name=${r##*/replay-}
			out="$tmp/replay.$name.$variant"
			"$r" "tests/fuzz/corpus/$name" >"$out" 2>&1
			grep -E '^FAIL' "$out" || true
			add "replay-$name($variant)" "$out"
			tail -n 1 "$out" | sed "s/^/replay $name ($variant): /"
		done
	fi
done

# FUZZ_SMOKE=1 (make check, .ci/run; the Makefile's default): every libFuzzer target
# for FUZZ_SECONDS on its corpus, two at a time (tests/fuzz/smoke.sh).
if [ "${FUZZ_SMOKE:-}" = 1 ]; then
	echo "== fuzz smoke (${FUZZ_SECONDS:-60} s per target)"
	out="$tmp/fuzz-smoke"
	sh tests/fuzz/smoke.sh "${FUZZ_BUILD:-build/fuzz}" "${FUZZ_SECONDS:-60}" ${FUZZ_NAMES:-} >"$out" 2>&1
	grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$out" || true
	add "fuzz-smoke" "$out"
	tail -n 1 "$out" | sed "s/^/fuzz smoke: /"
fi

if [ $((total_pass + total_fail)) -eq 0 ]; then
	echo "no test was run"
	echo "0 passed, 1 failed"
	exit 1
fi
[ -z "$failed_parts" ] || echo "failing:$failed_parts"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
