#!/bin/sh
# progress.sh: progress of the long commands.  When standard error is a
# terminal (a pseudo-terminal made by script(1)) import and export draw a
# line with a bar, items and bytes done, the rate and (export) the time
# left; otherwise one line per mailbox; --quiet prints none; --json prints
# only the JSON result.
. "$(dirname "$0")/lib.sh"

: "${BUILD:=$SRC/build}"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
# enough work for several redraws (one each 200 ms) on a fast machine too:
# an export takes about a second (the sanitizer build is slower: less data)
N=10000
case "${VARIANT:-normal}" in *san*) N=4000 ;; esac
"$BUILD/tools/gen-ccmail" --users 1 --messages $N --attach-pct 0 --text-min 2000 --text-max 4000 \
	"$T/src" > /dev/null 2>&1
on_tty() { # outfile command...
	out=$1
	shift
	script -qfec "$*" /dev/null > "$out" 2>&1
}

if command -v script >/dev/null 2>&1; then
	check "import on a terminal" on_tty "$T/import.tty" "'$MF' import ccmail --db '$T/a.db' '$T/src'"
	tr '\r' '\n' < "$T/import.tty" > "$T/import.lines"
	check_grep "import on a terminal: a bar, items, bytes done of the file's bytes, the rate" \
		'Lindqvist1, Anna: \[#*\.*\] *[0-9]*% [0-9]* items, [0-9.]* [KMG]*B of [0-9.]* [KMG]*B, [0-9.]* [KMG]*B/s' \
		"$T/import.lines"
	B=$(sqlite3 "$T/a.db" "select messages from mailbox_summary where alias = 'Board1'")
	TOTAL=$((N + B))
	check "export on a terminal" on_tty "$T/export.tty" "'$MF' export mbox --db '$T/a.db' --out '$T/mbox'"
	tr '\r' '\n' < "$T/export.tty" > "$T/export.lines"
	check_grep "export on a terminal: a bar, items of the total, bytes, the rate, the time left" \
		'mbox: \[#*\.*\] *[0-9]*% [0-9]*/'"$TOTAL"' items, [0-9.]* [KMG]*B, [0-9.]* [KMG]*B/s, [0-9]*:[0-9][0-9] left' \
		"$T/export.lines"
	check_grep "export on a terminal: the line is redrawn in place" "$(printf '\033')\\[K" "$T/export.tty"
else
	_result 1 "script(1) is installed (util-linux)"
fi

# not a terminal: one line per mailbox, nothing redrawn
check "export, standard error not a terminal" sh -c '"$1" export mbox --db "$2" --out "$3" > /dev/null 2> "$4"' \
	sh "$MF" "$T/a.db" "$T/mbox-b" "$T/export.err"
# (in the walk's order: mailbox-id order for the file exporters, see
# docs/decisions.md; sorted here)
check_out "not a terminal: one line per mailbox" \
"Board1: $B delivered, 0 already there, 0 failed
Lindqvist1A: $N delivered, 0 already there, 0 failed" sort "$T/export.err"
check "not a terminal: no carriage return or escape sequence" sh -c \
	'! grep -q "$(printf "[\r\033]")" "$1"' sh "$T/export.err"
check "import, not a terminal: one line per mailbox file" sh -c \
	'"$1" import ccmail --db "$2" "$3" > /dev/null 2> "$4" && [ "$(wc -l < "$4")" -eq 2 ] &&
	grep -q "^Lindqvist1, Anna: $5 messages (MAIL/U00000.TXT)$" "$4"' sh "$MF" "$T/b.db" "$T/src" "$T/import.err" "$N"

# --quiet and --json
check "--quiet: import prints no progress" sh -c \
	'"$1" import ccmail --db "$2" --quiet "$3" > /dev/null 2> "$4" && [ ! -s "$4" ]' sh "$MF" "$T/c.db" \
	"$SRC/docs/sample/ccmail" "$T/q1"
check "--quiet: export prints no progress" sh -c \
	'"$1" export ics --db "$2" --out "$3" --quiet > /dev/null 2> "$4" && [ ! -s "$4" ]' \
	sh "$MF" "$T/a.db" "$T/ics-q" "$T/q2"
if command -v script >/dev/null 2>&1; then
	check "--quiet on a terminal: no progress line either" sh -c \
		'script -qfec "\"$1\" export eml --db \"$2\" --out \"$3\" --quiet" /dev/null > "$4" 2>&1 &&
		! grep -q "\\[[#.]*\\]" "$4"' sh "$MF" "$T/c.db" "$T/eml-q" "$T/q3"
fi
check "--json: export prints only its JSON result" sh -c \
	'"$1" export mbox --db "$2" --out "$3" --json > "$4" 2> "$5" && [ ! -s "$5" ] &&
	"$6" -c "import json,sys; assert json.load(open(sys.argv[1]))[\"totals\"][\"delivered\"] == 23" "$4"' \
	sh "$MF" "$T/c.db" "$T/mbox-j" "$T/j.out" "$T/j.err" "$PY"

finish
