#!/bin/sh
# msmail.sh: `mailferry import msmail` end to end: the bundled sample and
# its documented counts, re-import, the damaged bundle, --strict, refused
# bundles, auto detection, the generator and flat memory.
. "$(dirname "$0")/lib.sh"
GEN="${BUILD:-$SRC/build}/tools/gen-msmail"
S="$SRC/docs/sample/msmail"

# The committed bundles are what their generator writes.
if command -v python3 >/dev/null 2>&1; then
	check "docs/sample/msmail and the damaged fixture are make-bundles.py's" sh -c \
		'python3 "$1/tests/fixtures/msmail/make-bundles.py" "$2/mk" && diff -r -x README.md "$2/mk/sample" "$1/docs/sample/msmail" && diff -r "$2/mk/damaged" "$1/tests/fixtures/msmail/damaged"' _ "$SRC" "$T"
fi

check "import the sample" "$MF" import msmail --quiet --db "$T/s.db" "$S"
# every mailbox with its message count, the zero-message ones included
# (docs/sample/msmail/README.md lists the same numbers)
check_out "status --json: messages per mailbox" \
"Administrator 0 true
DunnO 2 false
LopezM 1 false
RamirezE 7 false
TanakaK 0 true
WeissJ 2 false" \
	sh -c '"$1" status --db "$2" --json | jq -r ".mailboxes[] | \"\(.alias) \(.messages) \(.mail_skipped)\"" | sort' _ "$MF" "$T/s.db"
check_out "status --json: every mailbox has its mail section" "6" \
	sh -c '"$1" status --db "$2" --json | jq "[.mailboxes[] | select(.has_mail_section == true)] | length"' _ "$MF" "$T/s.db"
check_out "status --json: calendar items" "RamirezE 12
WeissJ 3" \
	sh -c '"$1" status --db "$2" --json | jq -r ".mailboxes[] | select(.calendar_items > 0) | \"\(.alias) \(.calendar_items)\"" | sort' _ "$MF" "$T/s.db"
check_out "status --json: Ellen's folders" \
"Deleted Items 1
Inbox 3
Projects 1
Sent Items 2" \
	sh -c '"$1" status --db "$2" --json | jq -r ".mailboxes[] | select(.alias == \"RamirezE\") | .folders[] | \"\(.path) \(.messages)\""' _ "$MF" "$T/s.db"
check_out "the sample imports without errors" "0" \
	sh -c '"$1" status --db "$2" --json | jq ".problems.error"' _ "$MF" "$T/s.db"
check_out "the deleted mailbox with mail is marked" "ODUNN 1 0" \
	sqlite3 "$T/s.db" "select name || ' ' || deleted || ' ' || in_directory from mailboxes where deleted"

# re-import changes nothing
before=$(sqlite3 "$T/s.db" "select (select count(*) from messages), (select count(*) from problems), (select count(*) from dir_entries), (select count(*) from calendar_items), (select count(*) from pab_entries)")
check_out "re-import stages nothing" "0 15 15" \
	sh -c '"$1" import msmail --db "$2" --json "$3" | jq -r "\"\(.messages) \(.files) \(.files_skipped)\""' _ "$MF" "$T/s.db" "$S"
check_out "re-import leaves every table as it was" "$before" \
	sqlite3 "$T/s.db" "select (select count(*) from messages), (select count(*) from problems), (select count(*) from dir_entries), (select count(*) from calendar_items), (select count(*) from pab_entries)"

# import auto finds the bundle
check_out "import auto detects an MS Mail bundle" "msmail" \
	sh -c '"$1" import auto --db "$2" --json "$3" | jq -r .format' _ "$MF" "$T/auto.db" "$S"

# damage: skipped and recorded, exit 0; --strict makes it 1
D="$SRC/tests/fixtures/msmail/damaged"
check_out "a damaged bundle imports (exit 0), one message skipped" "2 1" \
	sh -c '"$1" import msmail --db "$2" --json "$3" | jq -r "\"\(.messages) \(.messages_skipped)\""' _ "$MF" "$T/d.db" "$D"
check_out "the resynchronised message is there" "after resync" \
	sqlite3 "$T/d.db" "select subject from messages where subject = 'after resync'"
check_out "the wrong count is an error with its offset" "msmail.mmff-count-mismatch mail/alice/INBOX.MMFF 129" \
	sqlite3 "$T/d.db" "select code || ' ' || file || ' ' || offset from problems where severity = 'error' and code like 'msmail.mmff%'"
check_exit 1 "--strict exits 1 on error problems" "$MF" import msmail --strict --quiet --db "$T/d2.db" "$D"

# group members are looked up in key order, not the file's: the entries
# and the warnings (in the file's order, with their offsets) are as when
# each member was looked up as it was read (typed, untyped by address and
# by name, another case, a key too long to queue, an empty member)
cp -r "$D" "$T/grp"
printf '%s\n' 'G	Team	PCM:TESTNET/PO1/TEAM' 'A	Zed	PCM:TESTNET/PO1/ZED' \
	'A	Alice Smith	PCM:TESTNET/PO1/ALICE' 'A	Nobody	PCM:TESTNET/PO1/NOBODY' 'A	Mid	MIDDLE' \
	'A	Alice again	alice' 'A	Team itself	Team' 'A	Bob	PCM:testnet/po1/bob' \
	'G	Other	PCM:TESTNET/PO1/OTHER' 'A	Aaa	PCM:TESTNET/PO1/AAA' 'A	Print Shop	FAX:+1 555 0199' \
	'A	Team	PCM:TESTNET/PO1/TEAM' 'A	Nobody	PCM:TESTNET/PO1/NOBODY' \
	"A\tLong\tPCM:TESTNET/PO1/$(printf '%0140d' 0)" 'A	LongHit	PCM:TESTNET/PO1/ALICE' 'A		' '# end' |
	sed 's/\\t/\t/g' > "$T/grp/directory/groups.txt"
"$MF" import msmail --quiet --db "$T/grp.db" "$T/grp" > /dev/null 2>&1
check_out "group members resolve as written (the name after an untyped address, case ignored)" \
	"Team/0=-,Team/1=Alice Smith,Team/2=-,Team/3=-,Team/4=-,Team/5=Team,Team/6=Bob Jones,Other/0=-,Other/1=Print Shop,Other/2=Team,Other/3=-,Other/4=-,Other/5=Alice Smith,Other/6=-" \
	sh -c 'sqlite3 "$1" "select l.name || '"'/'"' || m.position || '"'='"' || ifnull(e.name, '"'-'"') from list_members m join dir_entries l on l.id = m.list_id left join dir_entries e on e.id = m.entry_id order by m.list_id, m.position" | paste -sd, -' _ "$T/grp.db"
check_out "the unresolved members' warnings come in the file's order, with their offsets" \
	"28 90 122 135 230 313 345 541" \
	sh -c 'sqlite3 "$1" "select offset from problems where code = '"'msmail.member-unresolved'"' order by id" | paste -sd" " -' _ "$T/grp.db"

# bundles that cannot be read at all: exit 3
mkdir -p "$T/empty"
check_exit 3 "a folder without MSMX.TXT" "$MF" import msmail --quiet --db "$T/e.db" "$T/empty"
mkdir -p "$T/nopol" && cp "$S/MSMX.TXT" "$S/users.csv" "$T/nopol/"
check_exit 3 "a bundle without directory/pol.txt" "$MF" import msmail --quiet --db "$T/e.db" "$T/nopol"
check_exit 3 "an unknown --timezone" "$MF" import msmail --quiet --timezone Nowhere/Land --db "$T/e.db" "$S"

# names from the bundle never lead outside it
mkdir -p "$T/esc" && cp -r "$S/." "$T/esc/"
printf 'VERSION:3.00\r\nFROM:A/B/C\r\nSUBJECT:outside\r\nTEXT:2\r\nhi\r\n' > "$T/outside.mmff"
ln -s "$T/outside.mmff" "$T/esc/mail/ERAMIREZ/evil.mmff"
sed -i 's|^MLOPEZ,\(.*\),0,mail/MLOPEZ,|MLOPEZ,\1,0,../outside,|' "$T/esc/users.csv"
check "import a bundle with a link and a path that leave it" "$MF" import msmail --quiet --db "$T/esc.db" "$T/esc"
check_out "nothing from outside the bundle is staged" "0" \
	sqlite3 "$T/esc.db" "select count(*) from messages where subject = 'outside'"
check_out "both are refused as problems" "2" \
	sqlite3 "$T/esc.db" "select count(*) from problems where code = 'msmail.bad-path'"

# progress goes to stderr, one line per mailbox; --quiet silences it
check_out "one progress line per mailbox" "6" \
	sh -c '"$1" import msmail --db "$2" "$3" 2>&1 >/dev/null | grep -c ": [0-9]* messages in"' _ "$MF" "$T/p.db" "$S"

# the generator: the counts it prints are what gets staged
if [ -x "$GEN" ]; then
	check "gen-msmail writes a bundle" sh -c '"$1" --users 12 --messages 600 --seed 7 "$2/g" > "$2/g.counts"' _ "$GEN" "$T"
	check "gen-msmail is deterministic" sh -c '"$1" --users 12 --messages 600 --seed 7 "$2/g2" >/dev/null && diff -r "$2/g" "$2/g2"' _ "$GEN" "$T"
	check "import the generated bundle" "$MF" import msmail --quiet --db "$T/g.db" "$T/g"
	check_out "staged counts equal the generator's" \
		"$(grep -v '^total' "$T/g.counts" | sort | tr '\t' ' ')" \
		sqlite3 "$T/g.db" "select m.name || ' ' || count(g.id) from mailboxes m left join messages g on g.mailbox_id = m.id group by m.id order by m.name"
	check_out "no problems on a generated bundle" "0" sqlite3 "$T/g.db" "select count(*) from problems"
	# memory does not follow the input: twice the messages, the same peak
	# (once SQLite's page cache of 16 MiB is full, which 20,000 messages do)
	if [ "${VARIANT:-normal}" = normal ] && [ -x /usr/bin/time ]; then
		"$GEN" --users 10 --messages 20000 --attach-max 4096 --seed 2 "$T/m1" > /dev/null
		"$GEN" --users 10 --messages 40000 --attach-max 4096 --seed 2 "$T/m2" > /dev/null
		/usr/bin/time -f %M -o "$T/m1.kb" "$MF" import msmail --quiet --db "$T/m1.db" "$T/m1" > /dev/null
		/usr/bin/time -f %M -o "$T/m2.kb" "$MF" import msmail --quiet --db "$T/m2.db" "$T/m2" > /dev/null
		check "peak memory: 2x the messages, less than 4 MiB more, under 64 MiB" sh -c \
			'a=$(tail -n 1 "$1"); b=$(tail -n 1 "$2"); echo "$a KiB -> $b KiB"; [ $((b - a)) -lt 4096 ] && [ "$b" -lt 65536 ]' _ "$T/m1.kb" "$T/m2.kb"
		rm -rf "$T/m1" "$T/m2" "$T"/m?.db*
	fi
fi
finish
