#!/bin/sh
# man.sh: the manual page docs/mailferry.1 is what scripts/gen-man.sh makes
# from the commands' help texts (so `mailferry help COMMAND` and the page
# cannot drift apart), every command's section reads back as exactly its
# help text, groff formats it without a warning, and `make install` installs
# it.
. "$(dirname "$0")/lib.sh"

PAGE="$SRC/docs/mailferry.1"
GEN="$SRC/scripts/gen-man.sh"

sh "$GEN" "$MF" > "$T/mailferry.1"
if cmp -s "$T/mailferry.1" "$PAGE"; then
	_result 0 "docs/mailferry.1 is what scripts/gen-man.sh makes from the help texts"
else
	echo "  docs/mailferry.1 is out of date: a command's help text changed.  Run"
	echo "      make && sh scripts/gen-man.sh ./mailferry > docs/mailferry.1"
	diff "$PAGE" "$T/mailferry.1" | head -n 20 | sed 's/^/  | /'
	_result 1 "docs/mailferry.1 is what scripts/gen-man.sh makes from the help texts"
fi

cmds=$("$MF" help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
check "the command list is not empty" test -n "$cmds"
bad=""
for c in $cmds; do
	"$MF" help "$c" > "$T/help.$c"
	sh "$GEN" --extract "$c" < "$PAGE" > "$T/man.$c"
	"$MF" "$c" --help > "$T/dashhelp.$c"
	if ! cmp -s "$T/help.$c" "$T/man.$c" || ! cmp -s "$T/help.$c" "$T/dashhelp.$c" ||
	   [ ! -s "$T/help.$c" ]; then
		bad="$bad $c"
		diff "$T/help.$c" "$T/man.$c" | head -n 10 | sed 's/^/  | /'
	fi
done
check "every command's man page section is its 'mailferry help' text (and --help's)" test -z "$bad"
check "the page covers every exit code" sh -c '
	sed -n "/^\.SH EXIT STATUS/,/^\.SH FILES/p" "$1" > "$2" &&
	for c in 0 1 2 3 130; do grep -q "^\.B $c\$" "$2" || exit 1; done' sh "$PAGE" "$T/exit"
check "the page describes the file formats (staging database, job file, report, sources, targets)" sh -c '
	for w in "^\.I STAGE" "^\.I JOBFILE" "^\.I report.html" "^\.B ccmail" "^\.B msmail" "^\.B directory" \
		"^\.B exchange" "^\.B imap" "^\.B maildir" "^\.B mbox" "^\.B eml" "^\.B ics"; do
		grep -q "$w" "$1" || { echo "missing: $w"; exit 1; }; done' sh "$PAGE"
check "the job file keys are in the page (batch section)" sh -c '
	for k in source path db target out url mailboxes since no_mail report_html report_json; do
		sh "$2" --extract batch < "$1" | grep -q "^  $k[ ,]" || { echo "missing key $k"; exit 1; }; done' sh "$PAGE" "$GEN"
if command -v groff >/dev/null 2>&1; then
	check "groff formats the page without a warning" sh -c \
		'groff -man -Tutf8 -ww -z "$1" 2> "$2" && [ ! -s "$2" ]' sh "$PAGE" "$T/groff.err"
	check "man(1) shows the wizard section" sh -c \
		'MANWIDTH=100 man -l "$1" 2>/dev/null | grep -q "Ctrl-C stops at once"' sh "$PAGE"
fi
case "${VARIANT:-normal}" in
normal)
	check "make install installs the man page" sh -c \
		'make -s -C "$1" install DESTDIR="$2" PREFIX=/usr > /dev/null 2>&1 &&
		cmp "$1/docs/mailferry.1" "$2/usr/share/man/man1/mailferry.1"' sh "$SRC" "$T/inst" ;;
esac

finish
