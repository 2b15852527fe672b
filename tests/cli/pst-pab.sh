#!/bin/sh
# pst-pab.sh: `mailferry export pst` with address books, lists and to-dos.
# The sample post offices, a fixture of recurring to-dos and a generated
# corpus with address books and Schedule+ calendars are exported, then read
# back by readers mailferry did not write (tests/lib/pst_pab_check.py):
# libpff (pypff: every property, named ones through the file's own map),
# libpst (readpst -cv: the vCards) and pst-extractor (tests/node/pst-pim.js:
# counts, names, task states and its own decoding of the recurrence
# pattern); `--directory create` gives DIR/directory.pst with the custom
# recipients and public lists.  mailferry's own reader (inspect pst) and
# pstdump.py check every file.  The checker is shown to fail when an item
# is missing.
. "$(dirname "$0")/lib.sh"

: "${BUILD:=$SRC/build}"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, with python3-pypff
CHECK="$SRC/tests/lib/pst_pab_check.py"
NODE_DIR="$SRC/tests/node"
PSTDUMP="$SRC/tests/lib/pstdump.py"

if [ ! -d "$NODE_DIR/node_modules/pst-extractor" ] && command -v npm >/dev/null 2>&1; then
	(cd "$NODE_DIR" && npm install --no-audit --no-fund --silent >/dev/null 2>&1)
fi

checker() {
	name=$1; shift
	check "$name" sh -c '"$@" 1>&2' sh "$PY" "$CHECK" "$@"
}

all_readers() { # DB OUT LABEL
	for r in pypff readpst extractor directory; do
		checker "$3: $r reads every address book entry, list and to-do back" "$1" "$2" $r "$NODE_DIR"
	done
	check "$3: inspect pst finds nothing wrong in any file" sh -c '
		for f in "$2"/*.pst; do "$1" inspect pst "$f" >/dev/null || exit 1; done' sh "$MF" "$2"
	check "$3: pstdump.py verifies every file" sh -c '
		for f in "$2"/*.pst; do
			"$3" "$1" "$f" > "$4/dump.txt" 2>&1 || { echo "$f: exit $?" >&2; exit 1; }
			awk -F"|" -v f="$f" "/## Verification summary/ { p = 1 } p && /^\| [a-zA-Z]/ && \$4 + 0 > 0 { bad = 1; print f \": \" \$0 > \"/dev/stderr\" } END { exit bad }" \
				"$4/dump.txt" || exit 1
		done' sh "$PSTDUMP" "$2" "$PY" "$T"
}

# ---- the sample post offices ----
for src in ccmail msmail; do
	db="$T/s-$src.db"
	check "sample $src: import" "$MF" import $src --quiet --db "$db" "$SRC/docs/sample/$src"
	check "sample $src: export pst --directory create" "$MF" export pst --db "$db" \
		--out "$T/s-$src" --quiet --directory create
	all_readers "$db" "$T/s-$src" "sample $src"
done
check_out "sample ccmail: the address book's 4 entries are staged" "4" \
	sqlite3 "$T/s-ccmail.db" "SELECT count(*) FROM pab_entries"
check_out "sample msmail: 5 to-dos are staged" "5" \
	sqlite3 "$T/s-msmail.db" "SELECT count(*) FROM calendar_items WHERE kind = 'todo'"
check_out "the ledger has each to-do and each address book (of RamirezE) as delivered" "5 1" \
	sqlite3 -separator ' ' "$T/s-msmail.db" "SELECT
		(SELECT count(*) FROM deliveries WHERE item_kind = 'calendar' AND status = 'delivered'),
		(SELECT count(*) FROM deliveries WHERE item_kind = 'pab' AND status = 'delivered')"
check_out "... and leaves the appointments to a later run (no ledger row)" "0" \
	sqlite3 "$T/s-msmail.db" "SELECT count(*) FROM deliveries d JOIN calendar_items c ON c.id = d.item_id
		WHERE d.item_kind = 'calendar' AND c.kind != 'todo'"
check_grep "the directory file is not in the mapping CSV" '^Exchange,,RamirezE.pst' \
	"$T/s-msmail/PstImportMapping.csv"
check_exit 1 "... (no row for directory.pst)" grep -q directory.pst "$T/s-msmail/PstImportMapping.csv"
# a mailbox called "directory" keeps its file: the directory is refused
cp "$T/s-ccmail.db" "$T/dconf.db"
sqlite3 "$T/dconf.db" "UPDATE mailboxes SET alias = 'directory' WHERE alias = 'NilssonE'"
check_exit 1 "a mailbox named directory: --directory create is refused" "$MF" export pst \
	--db "$T/dconf.db" --out "$T/dconf" --quiet --directory create
check_grep "... saying why" "directory.pst: the directory cannot go there" "$T/.err"
check "... and the mailbox's own file is left as written" "$MF" inspect pst "$T/dconf/directory.pst"
check_out "... (its Contacts folder empty, as NilssonE has no address book)" "0" "$PY" -c '
import pypff, sys
f = pypff.file(); f.open(sys.argv[1])
top = [f.root_folder.get_sub_folder(i) for i in range(f.root_folder.number_of_sub_folders)
       if f.root_folder.get_sub_folder(i).name.startswith("Top of")][0]
print([top.get_sub_folder(i) for i in range(top.number_of_sub_folders)
       if top.get_sub_folder(i).name == "Contacts"][0].number_of_sub_messages)' "$T/dconf/directory.pst"

# a re-run changes nothing
cp -r "$T/s-msmail" "$T/s-msmail.before"
check "sample msmail: a re-run" "$MF" export pst --db "$T/s-msmail.db" --out "$T/s-msmail" --quiet \
	--directory create
check "... leaves every file as it was" sh -c '
	for f in "$1"/*.pst; do cmp "$f" "$2/${f##*/}" || exit 1; done' sh "$T/s-msmail.before" "$T/s-msmail"

# the checker fails when something staged is not in the file
cp "$T/s-msmail.db" "$T/neg.db"
sqlite3 "$T/neg.db" "INSERT INTO pab_entries (mailbox_id, position, kind, display_name, address_type, address)
	SELECT id, 99, 'entry', 'Not Exported', 'SMTP', 'nobody@example.com' FROM mailboxes WHERE alias = 'TanakaK';
	INSERT INTO calendar_items (mailbox_id, kind, uid, summary, ical)
	SELECT id, 'todo', 'missing-todo', 'Missing', 'BEGIN:VTODO' || char(13, 10) || 'UID:missing-todo'
	|| char(13, 10) || 'SUMMARY:Missing' || char(13, 10) || 'END:VTODO' FROM mailboxes WHERE alias = 'TanakaK';"
for r in pypff extractor; do
	check_exit 1 "the $r check fails for a staged entry and to-do not in the file" \
		"$PY" "$CHECK" "$T/neg.db" "$T/s-msmail" $r "$NODE_DIR"
	check_grep "... naming them" "Not Exported\|TanakaK: 0/0 contacts, 1 staged\|0 items in Contacts" "$T/.out"
done
checker "... and readpst's cards show the same" "$T/s-msmail.db" "$T/s-msmail" readpst "$NODE_DIR"
check_exit 1 "the readpst check fails for the missing entry" "$PY" "$CHECK" "$T/neg.db" "$T/s-msmail" \
	readpst "$NODE_DIR"

# ---- the verifier (inspect pst) on damaged lists and tasks ----
for k in wrapped-type list-checksum pattern-frequency; do
	f="$T/s-ccmail/LindqvistA.pst"
	[ $k = pattern-frequency ] && f="$T/s-msmail/RamirezE.pst"
	want=$("$PY" "$SRC/tests/lib/pst_pim_mut.py" "$f" "$T/mut-$k.pst" $k "$SRC/tests/lib")
	check_exit 1 "inspect pst: a damaged file ($k) is reported" "$MF" inspect pst "$T/mut-$k.pst"
	check_grep "... naming it ($want)" "$want" "$T/.err"
done

# ---- every recurrence pattern a task can have ----
db="$T/rec.db"
cp "$T/s-msmail.db" "$db"
n=0
for rule in "FREQ=DAILY;INTERVAL=3;COUNT=5" "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=19950401" \
	"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU" "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6" \
	"FREQ=MONTHLY;BYDAY=2TU;COUNT=4" "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=19951231" \
	"FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3" "FREQ=MONTHLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1" \
	"FREQ=YEARLY;BYMONTHDAY=7;BYMONTH=3" "FREQ=YEARLY;BYDAY=1SU;BYMONTH=3;COUNT=3" \
	"FREQ=DAILY"; do
	n=$((n + 1))
	sqlite3 "$db" "INSERT INTO calendar_items (mailbox_id, kind, uid, summary, dtstart_utc, recurring, ical)
		SELECT id, 'todo', 'rec-$n', 'Recurring $n', 794016000, 1,
		'BEGIN:VTODO' || char(13, 10) || 'UID:rec-$n' || char(13, 10) || 'DTSTART;VALUE=DATE:19950307'
		|| char(13, 10) || 'SUMMARY:Recurring $n' || char(13, 10) || 'RRULE:$rule' || char(13, 10)
		|| 'CLASS:PRIVATE' || char(13, 10) || 'PRIORITY:7' || char(13, 10)
		|| 'BEGIN:VALARM' || char(13, 10) || 'ACTION:DISPLAY' || char(13, 10)
		|| 'TRIGGER:-PT15M' || char(13, 10) || 'END:VALARM' || char(13, 10) || 'END:VTODO'
		FROM mailboxes WHERE alias = 'TanakaK'"
done
check "recurring to-dos: export pst" "$MF" export pst --db "$db" --out "$T/rec" --quiet
for r in pypff extractor; do
	checker "recurring to-dos: $r reads each pattern as its RRULE says" "$db" "$T/rec" $r "$NODE_DIR"
done
check "recurring to-dos: inspect pst" "$MF" inspect pst "$T/rec/TanakaK.pst"

# ---- a generated corpus with address books and calendars ----
"$BUILD/tools/gen-ccmail" --users 8 --messages 16 --bboards 0 --seed 3 "$T/gc" >/dev/null 2>&1
"$PY" "$SRC/tests/lib/dav_check.py" gen-pab "$T/gc" 60 >/dev/null 2>&1
"$BUILD/tools/gen-msmail" --users 10 --messages 20 --calendar-pct 60 --seed 5 "$T/gm" >/dev/null 2>&1
db="$T/g.db"
check "generated: import ccmail" "$MF" import ccmail --db "$db" --quiet "$T/gc"
check "generated: import msmail" "$MF" import msmail --db "$db" --quiet "$T/gm"
ne=$(sqlite3 "$db" "SELECT count(*) FROM pab_entries")
nt=$(sqlite3 "$db" "SELECT count(*) FROM calendar_items WHERE kind = 'todo'")
nl=$(sqlite3 "$db" "SELECT count(*) FROM pab_entries WHERE kind = 'dl'")
check "generated: address books ($ne entries, $nl lists) and to-dos ($nt)" \
	sh -c '[ "$1" -ge 200 ] && [ "$2" -ge 1 ] && [ "$3" -ge 1 ]' _ "$ne" "$nl" "$nt"
check "generated: export pst --directory create" "$MF" export pst --db "$db" --out "$T/g-out" --quiet \
	--directory create
all_readers "$db" "$T/g-out" "generated"
check "generated: a second export into a new folder" "$MF" export pst --db "$db" --out "$T/g-out2" \
	--quiet --directory create
check "generated: both exports are byte-identical" sh -c '
	for f in "$1"/*.pst; do cmp "$f" "$2/${f##*/}" || exit 1; done' sh "$T/g-out" "$T/g-out2"

finish
