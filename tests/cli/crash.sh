#!/bin/sh
# crash.sh: crash safety, the quick version (the long one:
# scripts/reliability.sh kill, 50 trials each).
#
#  - SIGKILL at a random point of an import (cc:Mail, MS Mail) and of every
#    file and Exchange exporter, then the same command again: the staging
#    database passes integrity_check and the result is exactly what an
#    uninterrupted run gives (tests/crash/killtest.sh, 3 trials each; 1
#    under ASan, where each run is slower);
#  - a full disk (a small tmpfs mounted here; root only, else skipped with a
#    note): the export stops with an error naming the file and "No space
#    left on device", every message already on the target is whole and
#    there once, no Exchange packing list or calendar file is left that
#    looks complete without being so; once there is room, the same command
#    finishes and the target holds exactly the staged data;
#  - a read-only target (a read-only tmpfs as root, mode 0555 otherwise):
#    exit 3 naming the folder, nothing written.
. "$(dirname "$0")/lib.sh"

trap 'for m in "$T"/full-* "$T"/ro-* "$T"/probe; do umount "$m" 2>/dev/null; done; rm -rf "$T"' EXIT INT TERM
K="$SRC/tests/crash/killtest.sh"
n=3
[ "${VARIANT:-normal}" = normal ] || n=1
MF="$MF" BUILD="${BUILD:?}" sh "$K" -n $n all >"$T/kill.out" 2>&1
grep -E '^(ok|FAIL|  )' "$T/kill.out"
kp=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$T/kill.out")
kf=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$T/kill.out")
if [ -z "$kp" ]; then
	echo "FAIL - killtest.sh printed no summary"; tail -n 20 "$T/kill.out"
	kp=0; kf=1
fi
_pass=$((_pass + kp))
_fail=$((_fail + kf))

# ---- a staging database for the disk tests ----
"$BUILD/tools/gen-ccmail" --users 3 --messages 240 --attach-pct 30 --attach-max 20000 --seed 5 "$T/cc" >/dev/null
"$BUILD/tools/gen-msmail" --users 4 --messages 60 --calendar-pct 100 --seed 5 "$T/ms" >/dev/null
"$MF" import ccmail --quiet --db "$T/s.db" "$T/cc" >/dev/null 2>&1
"$MF" import msmail --quiet --db "$T/s.db" "$T/ms" >/dev/null 2>&1

verify_full() { # format db out
	case "$1" in
	maildir|mbox|eml) python3 "$SRC/tests/lib/files_check.py" "$1" "$2" "$3" ;;
	ics) python3 "$SRC/tests/crash/stage.py" ics "$2" "$3" ;;
	exchange) "$MF" inspect exchange --json "$3" >"$T/insp.json" 2>/dev/null &&
		python3 "$SRC/tests/lib/exchange_check.py" "$2" "$T/insp.json" ;;
	esac
}

# What a stopped export left: whole messages only (maildir, mbox, eml);
# every .ics a whole calendar; a packing list only for a valid set.
verify_partial() { # format db out
	case "$1" in
	maildir|mbox|eml) python3 "$SRC/tests/crash/stage.py" partial "$1" "$2" "$3" ;;
	ics) for c in $(find "$3" -name '*.ics'); do
		tail -c 15 "$c" | grep -q 'END:VCALENDAR' || { echo "$c is not whole"; return 1; }
	     done ;;
	exchange) if find "$3" -name '*.pkl' | grep -q .; then
			"$MF" inspect exchange "$3" >/dev/null 2>&1 || { echo "a packing list of an invalid set"; return 1; }
		  fi ;;
	esac
}

formats="maildir mbox eml ics exchange"
mkdir -p "$T/probe"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=64k tmpfs "$T/probe" 2>/dev/null; then
	echo "ok - full disk tests skipped: they mount a small tmpfs, which needs root # SKIP"
	_pass=$((_pass + 1))
	ro_mode=chmod
	# root writes through mode 0555: then no read-only test can be made
	[ "$(id -u)" != 0 ] || ro_mode=none
else
	umount "$T/probe"
	ro_mode=mount
	for f in $formats; do
		# the size of the whole export, then a disk with room for a third of it
		"$MF" export "$f" --quiet --db "$T/s.db" --out "$T/size-$f" >/dev/null 2>&1
		kb=$(du -sk "$T/size-$f" | cut -f1)
		rm -rf "$T/size-$f"
		sqlite3 "$T/s.db" ".backup '$T/f-$f.db'"
		mkdir -p "$T/full-$f"
		mount -t tmpfs -o size=$((kb / 3 + 16))k tmpfs "$T/full-$f"
		"$MF" export "$f" --db "$T/f-$f.db" --out "$T/full-$f/out" >"$T/full.out" 2>"$T/full.err"
		rc=$?
		check "$f: a full disk stops the export (exit 1 or 3, got $rc)" [ $rc -eq 1 -o $rc -eq 3 ]
		check "$f: the error names the file and the cause" sh -c \
			"grep -q 'No space left on device' '$T/full.err' '$T/full.out' ||
			 sqlite3 '$T/f-$f.db' \"select text from problems where code like 'export.%'\" | grep -q 'No space left on device'"
		check "$f: what is on the full disk is whole, each message once" \
			verify_partial "$f" "$T/f-$f.db" "$T/full-$f/out"
		mount -o remount,size=256m "$T/full-$f"
		check "$f: with room again the same command finishes" \
			"$MF" export "$f" --quiet --db "$T/f-$f.db" --out "$T/full-$f/out"
		check "$f: and the target holds exactly the staged data" \
			verify_full "$f" "$T/f-$f.db" "$T/full-$f/out"
		check_out "$f: the staging database passes integrity_check" "ok" \
			sqlite3 "$T/f-$f.db" "PRAGMA integrity_check"
		umount "$T/full-$f"
	done
fi

# ---- a read-only target ----
[ $ro_mode != none ] || { echo "ok - read-only tests skipped: root without mount # SKIP"; _pass=$((_pass + 1)); formats=""; }
for f in $formats; do
	mkdir -p "$T/ro-$f"
	if [ $ro_mode = mount ]; then
		mount -t tmpfs -o ro,size=1m tmpfs "$T/ro-$f"
	else
		chmod 555 "$T/ro-$f"
	fi
	sqlite3 "$T/s.db" ".backup '$T/ro-$f.db'"
	check_exit 3 "$f: a read-only target folder is refused (exit 3)" \
		"$MF" export "$f" --quiet --db "$T/ro-$f.db" --out "$T/ro-$f/out"
	cp "$T/.err" "$T/ro.err"
	check "$f: the error names the folder" grep -q "$T/ro-$f" "$T/ro.err"
	check_out "$f: nothing was written" "0" sh -c "find '$T/ro-$f' -mindepth 1 | wc -l | tr -d ' '"
	if [ $ro_mode = mount ]; then umount "$T/ro-$f"; else chmod 755 "$T/ro-$f"; fi
done
finish
