#!/bin/sh
# ccmail.sh: `mailferry import ccmail` end to end: the bundled sample, the
# generator, re-import, single files, --strict, and flat memory.
. "$(dirname "$0")/lib.sh"
GEN="${BUILD:-$SRC/build}/tools/gen-ccmail"
S="$SRC/docs/sample/ccmail"

# The sample is what the generator writes (so its sizes are right).
check "docs/sample/ccmail is gen-ccmail --sample" sh -c \
	'"$1" --sample "$2/sample" >/dev/null && diff -r "$2/sample" "$3"' _ "$GEN" "$T" "$S"

check "import the sample" "$MF" import ccmail --quiet --db "$T/s.db" "$S"
# every mailbox with its message count, the zero-message ones included
check_out "status --json: messages per mailbox" \
"Announcements 3 false
BergA 2 false
HolmL 3 false
LindqvistA 10 false
NilssonE 0 true
OkaforC 4 false
Social 1 false
SvenssonK 0 true" \
	sh -c '"$1" status --db "$2" --json | jq -r ".mailboxes[] | \"\(.alias) \(.messages) \(.mail_skipped)\"" | sort' _ "$MF" "$T/s.db"
check_out "status --json: every mailbox has its mail section" "8" \
	sh -c '"$1" status --db "$2" --json | jq "[.mailboxes[] | select(.has_mail_section == true)] | length"' _ "$MF" "$T/s.db"
check_out "status --json: Anna's folders" \
"Deleted Items 1
Drafts 1
Inbox 4
Projects\\Q2 2
Sent Items 2" \
	sh -c '"$1" status --db "$2" --json | jq -r ".mailboxes[] | select(.alias == \"LindqvistA\") | .folders[] | \"\(.path) \(.messages)\""' _ "$MF" "$T/s.db"
check_out "the same counts from the generator's list" \
	"$("$GEN" --sample "$T/sample2" | grep -v '^total' | sort | tr '\t' ' ')" \
	sh -c '"$1" status --db "$2" --json | jq -r ".mailboxes[] | \"\(.alias) \(.messages)\"" | sort' _ "$MF" "$T/s.db"

# re-import changes nothing
before=$(sqlite3 "$T/s.db" "select (select count(*) from messages), (select count(*) from problems), (select count(*) from dir_entries), (select count(*) from pab_entries), (select count(*) from mailboxes)")
check_out "re-import stages nothing" "0 0 11" \
	sh -c '"$1" import ccmail --db "$2" --json "$3" | jq -r "\"\(.messages) \(.files) \(.files_skipped)\""' _ "$MF" "$T/s.db" "$S"
check_out "re-import changes no row" "$before" \
	sqlite3 "$T/s.db" "select (select count(*) from messages), (select count(*) from problems), (select count(*) from dir_entries), (select count(*) from pab_entries), (select count(*) from mailboxes)"
check_exit 1 "--strict fails on error problems" "$MF" import ccmail --quiet --strict --db "$T/strict.db" "$S"
check "import auto recognises the set" "$MF" import auto --quiet --db "$T/auto.db" "$S"
check_exit 3 "a folder without CCMX.TXT is fatal" "$MF" import ccmail --quiet --db "$T/bad.db" "$T"
check_exit 3 "a single file needs its owner" "$MF" import ccmail --quiet --db "$T/one.db" "$S/MAIL/LINDQVIA.TXT"
check_out "a single message file" "11" \
	sh -c '"$1" import ccmail --quiet --db "$2" --keep-system-folders --mailbox "Lindqvist, Anna" --postoffice SALES01 --json "$3" | jq .messages' \
	_ "$MF" "$T/one.db" "$S/MAIL/LINDQVIA.TXT"
check_out "progress lines name each mailbox file" "6" \
	sh -c '"$1" import ccmail --db "$2" "$3" 2>&1 >/dev/null | grep -c " messages"' _ "$MF" "$T/p.db" "$S"

# a generated set with the contract's edge cases
"$GEN" --users 7 --messages 700 --attach-pct 20 --bboards 1 --attach-max 20000 --edge --seed 3 "$T/gen" >"$T/gen.counts"
check_out "generated set: staged counts match the generator" "$(sed -n 's/^total\t//p' "$T/gen.counts")" \
	sh -c '"$1" import ccmail --quiet --db "$2" --json "$3" | jq .messages' _ "$MF" "$T/gen.db" "$T/gen"
check_out "generated set: damaged messages counted" "$(( 707 - $(sed -n 's/^total\t//p' "$T/gen.counts") ))" \
	sqlite3 "$T/gen.db" "select count(*) from problems where code = 'ccmail.no-contents'"
"$GEN" --users 3 --messages 300 --no-itemsize --edge --seed 4 "$T/gen2" >"$T/gen2.counts"
check_out "generated set without /ITEMSIZE" "$(sed -n 's/^total\t//p' "$T/gen2.counts")" \
	sh -c '"$1" import ccmail --quiet --db "$2" --json "$3" | jq .messages' _ "$MF" "$T/gen2.db" "$T/gen2"

# memory stays flat: ten times the messages, about the same peak RSS
if [ "${VARIANT:-normal}" = normal ] && [ -x /usr/bin/time ]; then
	# attachments of 20-200 KB: the smaller set's store (18 MB) already
	# fills SQLite's 8 MiB page cache, so what is compared is growth
	# beyond that fixed cost
	"$GEN" --users 4 --messages 2000 --attach-pct 10 --attach-min 20000 --attach-max 200000 --seed 5 "$T/m1" >/dev/null
	"$GEN" --users 4 --messages 20000 --attach-pct 10 --attach-min 20000 --attach-max 200000 --seed 5 "$T/m2" >/dev/null
	/usr/bin/time -f %M -o "$T/rss1" "$MF" import ccmail --quiet --db "$T/m1.db" "$T/m1" >/dev/null
	/usr/bin/time -f %M -o "$T/rss2" "$MF" import ccmail --quiet --db "$T/m2.db" "$T/m2" >/dev/null
	r1=$(tail -n 1 "$T/rss1"); r2=$(tail -n 1 "$T/rss2")
	echo "  peak RSS: $r1 KiB for 2000 messages, $r2 KiB for 20000"
	check "peak RSS does not grow with the input (< +8 MiB for 10x)" [ "$r2" -lt $((r1 + 8192)) ]
	check "peak RSS under 64 MiB" [ "$r2" -lt 65536 ]
fi
finish
