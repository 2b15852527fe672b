#!/bin/sh
# killtest.sh: crash safety.  Each trial starts an import or an export,
# kills it with SIGKILL after a random delay (between 0 and the time a whole
# run takes), checks that the staging database still passes PRAGMA
# integrity_check, runs the same command again to the end, and checks the
# result:
#   import-ccmail, import-msmail: everything staged is exactly what one
#       uninterrupted import stages (tests/crash/stage.py digest: every
#       file, mailbox, folder, message, recipient, body, attachment,
#       calendar item, directory and address book entry, problem);
#   export-maildir, -mbox, -eml: the target read back with Python's own
#       readers holds exactly the staged messages, each once, in the right
#       folders, with their attachments (tests/lib/files_check.py);
#   export-ics: every staged calendar item exactly once (stage.py ics);
#   export-exchange: `mailferry inspect exchange --json` of the set matches
#       the staging database (tests/lib/exchange_check.py);
#   export-pst: every staged message exactly once, in its folder, with its
#       content, read by libpff (tests/lib/pst_check.py pypff: none missing,
#       none unexpected) and by mailferry's own reader (verify pst: ledger,
#       sha256, content); every file byte-identical to an uninterrupted
#       export's.
# The IMAP exporter's kill tests belong to its own suite.
#
#   sh tests/crash/killtest.sh [-n TRIALS] [-s small|large] [-o RESULTS.tsv] WHAT...
#   WHAT: import-ccmail import-msmail export-maildir export-mbox export-eml
#         export-ics export-exchange export-pst, or "all"
#
# MF (default build/mailferry) and BUILD (build; for gen-ccmail and
# gen-msmail) pick the binaries.  Prints "ok - ..." / "FAIL - ..." per
# trial and what, then "N passed, N failed"; with -o, appends one line per
# WHAT to RESULTS.tsv:
#   date  what  size  trials  interrupted  integrity-failures
#   resume-failures  data-lost-or-duplicated  leftover-temporary-files
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
MF=${MF:-$top/build/mailferry}
BUILD=${BUILD:-$top/build}
trials=5
size=small
results=""
while [ $# -gt 0 ]; do
	case "$1" in
	-n) trials=$2; shift 2 ;;
	-s) size=$2; shift 2 ;;
	-o) results=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- all
if [ "$1" = all ]; then
	set -- import-ccmail import-msmail export-maildir export-mbox export-eml export-ics export-exchange \
		export-pst
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/mf-kill-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
pass=0
fail=0

say() { # $1 = 0 ok, else failed; $2 = text
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"; pass=$((pass + 1))
	else
		echo "FAIL - $2"; fail=$((fail + 1))
	fi
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rnd() { echo $(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % $1 )); }

# Run "$@" in the background and kill it after $delay ms.  Sets $killed to
# 1 when the kill came before the command ended by itself.
run_killed() {
	"$@" >"$T/killed.out" 2>&1 &
	pid=$!
	sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	killed=0
	[ "$rc" -eq 137 ] && killed=1
}

integrity() { # $1 = db: prints ok when it passes (or does not exist yet)
	if [ -f "$1" ]; then
		sqlite3 "$1" "PRAGMA integrity_check" 2>&1 | head -n 1
	else
		echo ok
	fi
}

# ---- inputs ----
case "$size" in
large) ccn=1500; msn=1000 ;;
*) ccn=300; msn=200 ;;
esac
"$BUILD/tools/gen-ccmail" --users 4 --messages "$ccn" --attach-pct 20 --attach-max 30000 --bboards 1 \
	--seed 11 "$T/cc" >/dev/null || { echo "FAIL - gen-ccmail"; echo "0 passed, 1 failed"; exit 1; }
"$BUILD/tools/gen-msmail" --users 5 --messages "$msn" --calendar-pct 100 --attach-max 30000 \
	--seed 11 "$T/ms" >/dev/null || { echo "FAIL - gen-msmail"; echo "0 passed, 1 failed"; exit 1; }
"$MF" import ccmail --quiet --db "$T/stage.db" "$T/cc" >/dev/null 2>&1 &&
	"$MF" import msmail --quiet --db "$T/stage.db" "$T/ms" >/dev/null 2>&1 ||
	{ echo "FAIL - staging the inputs"; echo "0 passed, 1 failed"; exit 1; }

record() { # what interrupted integrity resume lost leftovers
	[ -n "$results" ] || return 0
	[ -f "$results" ] || printf 'date\twhat\tsize\ttrials\tinterrupted\tintegrity-failures\tresume-failures\tdata-lost-or-duplicated\tleftover-temporary-files\n' >"$results"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$1" "$size" \
		"$trials" "$2" "$3" "$4" "$5" "$6" >>"$results"
}

import_trials() { # $1 = format (ccmail, msmail), $2 = input
	what="import-$1"
	rm -f "$T/ref.db" "$T/ref.db-wal" "$T/ref.db-shm"
	t0=$(now_ms)
	"$MF" import "$1" --quiet --db "$T/ref.db" "$2" >/dev/null 2>&1
	dur=$(( $(now_ms) - t0 ))
	[ "$dur" -gt 0 ] || dur=1
	want=$(python3 tests/crash/stage.py digest "$T/ref.db")
	n_int=0 n_bad_int=0 n_bad_res=0 n_lost=0
	i=1
	while [ "$i" -le "$trials" ]; do
		rm -f "$T/t.db" "$T/t.db-wal" "$T/t.db-shm"
		delay=$(rnd "$dur")
		run_killed "$MF" import "$1" --quiet --db "$T/t.db" "$2"
		n_int=$((n_int + killed))
		ic=$(integrity "$T/t.db")
		[ "$ic" = ok ] || n_bad_int=$((n_bad_int + 1))
		"$MF" import "$1" --quiet --db "$T/t.db" "$2" >"$T/resume.out" 2>&1
		rrc=$?
		[ $rrc -eq 0 ] || n_bad_res=$((n_bad_res + 1))
		got=$(python3 tests/crash/stage.py digest "$T/t.db")
		[ "$got" = "$want" ] || n_lost=$((n_lost + 1))
		ok=0
		[ "$ic" = ok ] && [ $rrc -eq 0 ] && [ "$got" = "$want" ] || ok=1
		say $ok "$what trial $i: killed after $delay ms of $dur$( [ $killed -eq 1 ] || echo ' (it had ended)'); integrity $ic; re-run exit $rrc; staged data $( [ "$got" = "$want" ] && echo identical || echo DIFFERS)"
		if [ "$got" != "$want" ]; then
			echo "  wanted: $want"
			echo "  got:    $got"
		fi
		i=$((i + 1))
	done
	record "$what" $n_int $n_bad_int $n_bad_res $n_lost 0
}

verify_export() { # $1 = format, $2 = db, $3 = out: exit 0 when the target matches
	case "$1" in
	maildir|mbox|eml) python3 tests/lib/files_check.py "$1" "$2" "$3" ;;
	ics) python3 tests/crash/stage.py ics "$2" "$3" ;;
	exchange)
		"$MF" inspect exchange --json "$3" >"$T/inspect.json" 2>"$T/inspect.err" &&
			python3 tests/lib/exchange_check.py "$2" "$T/inspect.json" ;;
	pst)
		py=python3
		[ -x /usr/bin/python3 ] && py=/usr/bin/python3   # Debian's, with python3-pypff
		"$py" tests/lib/pst_check.py "$2" "$3" pypff || return 1
		"$MF" verify pst --db "$2" --out "$3" || return 1
		# deterministic: the same files as an uninterrupted export's
		for f in "$T/eref"/*.pst; do
			cmp "$f" "$3/${f##*/}" || return 1
		done
		[ "$(ls "$T/eref" | grep -c '\.pst$')" = "$(ls "$3" | grep -c '\.pst$')" ] ||
			{ echo "the number of .pst files differs from an uninterrupted export's"; return 1; } ;;
	esac
}

export_trials() { # $1 = format
	what="export-$1"
	sqlite3 "$T/stage.db" ".backup '$T/e.db'"
	rm -rf "$T/eref"
	t0=$(now_ms)
	"$MF" export "$1" --quiet --db "$T/e.db" --out "$T/eref" >/dev/null 2>&1
	dur=$(( $(now_ms) - t0 ))
	[ "$dur" -gt 0 ] || dur=1
	n_int=0 n_bad_int=0 n_bad_res=0 n_lost=0 n_left=0
	i=1
	while [ "$i" -le "$trials" ]; do
		sqlite3 "$T/stage.db" ".backup '$T/t.db'"
		rm -rf "$T/out"
		delay=$(rnd "$dur")
		run_killed "$MF" export "$1" --quiet --db "$T/t.db" --out "$T/out"
		n_int=$((n_int + killed))
		ic=$(integrity "$T/t.db")
		[ "$ic" = ok ] || n_bad_int=$((n_bad_int + 1))
		"$MF" export "$1" --quiet --db "$T/t.db" --out "$T/out" >"$T/resume.out" 2>&1
		rrc=$?
		[ $rrc -eq 0 ] || n_bad_res=$((n_bad_res + 1))
		verify_export "$1" "$T/t.db" "$T/out" >"$T/verify.out" 2>&1
		vrc=$?
		[ $vrc -eq 0 ] || n_lost=$((n_lost + 1))
		# temporary files a killed run left (never under a final name)
		left=$(find "$T/out" -name '.*.tmp.*' 2>/dev/null | wc -l | tr -d ' ')
		n_left=$((n_left + left))
		ok=0
		[ "$ic" = ok ] && [ $rrc -eq 0 ] && [ $vrc -eq 0 ] || ok=1
		say $ok "$what trial $i: killed after $delay ms of $dur$( [ $killed -eq 1 ] || echo ' (it had ended)'); integrity $ic; re-run exit $rrc; target $( [ $vrc -eq 0 ] && echo 'holds exactly the staged data' || echo DIFFERS)"
		[ $vrc -eq 0 ] || sed 's/^/  /' "$T/verify.out" | head -n 10
		[ $rrc -eq 0 ] || sed 's/^/  | /' "$T/resume.out" | head -n 10
		i=$((i + 1))
	done
	record "$what" $n_int $n_bad_int $n_bad_res $n_lost $n_left
}

for w in "$@"; do
	case "$w" in
	import-ccmail) import_trials ccmail "$T/cc" ;;
	import-msmail) import_trials msmail "$T/ms" ;;
	export-maildir|export-mbox|export-eml|export-ics|export-exchange|export-pst)
		if "$MF" formats 2>/dev/null | grep -q "^ *${w#export-} .*built\|${w#export-}.*built"; then
			export_trials "${w#export-}"
		else
			echo "note: the ${w#export-} exporter is not built; $w not run"
		fi ;;
	*) echo "FAIL - unknown: $w"; fail=$((fail + 1)) ;;
	esac
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
