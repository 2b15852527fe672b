#!/bin/sh
# verify.sh: `mailferry verify FORMAT` for the targets written to a folder
# (maildir, mbox, eml, ics, exchange, vcard, pst; imap is in imap.sh).  For each: export
# the bundled samples, verify passes on the clean export and reads back
# every message (calendar item) the ledger has; then one item's bytes are
# changed, one item removed, one item added and an empty mailbox's folder
# (file, pair of files) deleted, and verify names each of them on a line of
# its own, reports nothing else, and exits 1.  pst also compares each
# file's content with staging: a subject changed inside a file and staging
# changed after the export (subject, sender, recipients, dates, flags,
# importance, body, attachment, folder, a message the file lacks).
. "$(dirname "$0")/lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
DB="$T/stage.db"

n=0
for s in ccmail msmail; do
	if [ -d "$SRC/docs/sample/$s" ] && "$MF" formats | grep -q "^  $s *built"; then
		check "import the $s sample" "$MF" import $s --db "$DB" --quiet "$SRC/docs/sample/$s"
		n=$((n + 1))
	fi
done
check "at least one sample was imported" test "$n" -gt 0

q() { sqlite3 "$DB" "$1"; }
nmb=$(q "SELECT count(*) FROM mailboxes")

# clean FORMAT NOUN KIND: export, then verify reads back exactly what the
# ledger has delivered, with no mismatch
clean() {
	f=$1; noun=$2; kind=$3
	check "$f: export" "$MF" export $f --db "$DB" --out "$T/$f" --quiet
	items=$(q "SELECT count(*) FROM deliveries WHERE target LIKE '$f:%' AND item_kind = '$kind' AND status = 'delivered'")
	check "$f: the export delivered something to verify" test "$items" -gt 0
	"$MF" verify $f --db "$DB" --out "$T/$f" >"$T/$f.clean" 2>&1
	check_out "$f: verify on the clean export exits 0" 0 sh -c '"$1" verify '$f' --db "$2" --out "$3" >/dev/null 2>&1; echo $?' sh "$MF" "$DB" "$T/$f"
	check_grep "$f: ... reads back all $items $noun of the ledger in $nmb mailboxes, no mismatch" \
		"^verify $f: $nmb mailboxes, [0-9]* folders, $items $noun read back; 0 mismatches\$" "$T/$f.clean"
	check_out "$f: ... and prints nothing else" 1 sh -c 'wc -l < "$1" | tr -d " "' sh "$T/$f.clean"
	check "$f: a second export (nothing new) ..." "$MF" export $f --db "$DB" --out "$T/$f" --quiet
	check_grep "$f: ... still verifies clean" "; 0 mismatches\$" \
		"$("$MF" verify $f --db "$DB" --out "$T/$f" >"$T/$f.again" 2>&1; echo "$T/$f.again")"
}

# damaged FORMAT WANT: verify exits 1 with WANT mismatches
damaged() {
	f=$1; nbad=$2
	"$MF" verify $f --db "$DB" --out "$T/$f" >"$T/$f.bad" 2>&1
	echo $? >"$T/$f.rc"
	check_out "$f: verify of the damaged output exits 1" 1 cat "$T/$f.rc"
	check_grep "$f: ... and counts $nbad mismatches (each damage, and the counts it changes; nothing else)" \
		"; $nbad mismatches\$" "$T/$f.bad"
}

# the mailbox with no mail at all that every format must still create
empty=$(q "SELECT alias FROM mailboxes m WHERE kind = 'mailbox' AND NOT EXISTS (SELECT 1 FROM messages g WHERE g.mailbox_id = m.id) AND NOT EXISTS (SELECT 1 FROM calendar_items c WHERE c.mailbox_id = m.id) ORDER BY alias LIMIT 1")
check "the samples have a mailbox with no mail ($empty)" test -n "$empty"

# ---- maildir ----
clean maildir messages message
d="$T/maildir"
c=$(ls "$d/LindqvistA/cur" | head -n 1)
printf 'X' | dd of="$d/LindqvistA/cur/$c" bs=1 seek=0 conv=notrunc 2>/dev/null
m=$(ls "$d/BergA/cur" | head -n 1)
rm "$d/BergA/cur/$m"
x=$(ls "$d/DunnO/cur" | head -n 1)
cp "$d/DunnO/cur/$x" "$d/DunnO/cur/1.Mextra.host:2,S"
rm -rf "${d:?}/$empty"
damaged maildir 6
check_grep "maildir: a changed file is named" "^LindqvistA: message [0-9]* in '[^']*': LindqvistA/cur/$c differs from what was written" "$T/maildir.bad"
check_grep "maildir: a removed file is named" "^BergA: message [0-9]* in '[^']*': BergA/cur/$m is missing\$" "$T/maildir.bad"
check_grep "maildir: ... and its folder's count" "^BergA: folder 'Inbox' (BergA) holds 1 messages, the selection has 2\$" "$T/maildir.bad"
check_grep "maildir: an extra file is named" "^DunnO: folder 'Inbox': DunnO/cur/1.Mextra.host:2,S is not in the ledger (an extra message)\$" "$T/maildir.bad"
check_grep "maildir: ... and its folder's count" "^DunnO: folder 'Inbox' (DunnO) holds 3 messages, the selection has 2\$" "$T/maildir.bad"
check_grep "maildir: the empty mailbox's missing folder is named" "^$empty: the mailbox's folder $empty does not exist\$" "$T/maildir.bad"

# ---- eml ----
clean eml messages message
d="$T/eml"
c=$(ls "$d/LindqvistA/Inbox" | head -n 1)
printf 'X' | dd of="$d/LindqvistA/Inbox/$c" bs=1 seek=3 conv=notrunc 2>/dev/null
m=$(ls "$d/BergA/Inbox" | head -n 1)
rm "$d/BergA/Inbox/$m"
x=$(ls "$d/DunnO/Inbox" | head -n 1)
cp "$d/DunnO/Inbox/$x" "$d/DunnO/Inbox/extra.eml"
rm -rf "${d:?}/$empty"
damaged eml 6
check_grep "eml: a changed file is named" "^LindqvistA: message [0-9]* in 'Inbox': LindqvistA/Inbox/$c differs from what was written" "$T/eml.bad"
check_grep "eml: a removed file is named" "^BergA: message [0-9]* in 'Inbox': BergA/Inbox/$m is missing\$" "$T/eml.bad"
check_grep "eml: an extra file is named" "^DunnO: folder 'Inbox': DunnO/Inbox/extra.eml is not in the ledger (an extra message)\$" "$T/eml.bad"
check_grep "eml: the empty mailbox's missing folder is named" "^$empty: the mailbox's folder $empty does not exist\$" "$T/eml.bad"
check_grep "eml: folder counts follow" "^DunnO: folder 'Inbox' (DunnO/Inbox) holds 3 messages, the selection has 2\$" "$T/eml.bad"

# ---- mbox: one byte changed in the second message, the third removed,
# one appended ----
clean mbox messages message
d="$T/mbox"
"$PY" - "$d/LindqvistA/Inbox.mbox" "$d/DunnO/Inbox.mbox" >"$T/mbox.edit" <<'PYEOF'
import re, sys
p = sys.argv[1]
s = open(p, 'rb').read()
starts = [m.start() for m in re.finditer(rb'(?m)^From ', s)]
b = bytearray(s)
k = starts[1] + (starts[2] - starts[1]) // 2
b[k] = ord('#') if b[k] != ord('#') else ord('%')
s = bytes(b)
print(starts[1], starts[2])
s = s[:starts[2]] + s[starts[3]:]
open(p, 'wb').write(s)
q = sys.argv[2]
t = open(q, 'rb').read()
print(len(t))
open(q, 'ab').write(b"From extra@example.com Thu Jan  1 00:00:00 1970\nSubject: extra\n\nnot exported\n\n")
PYEOF
read -r second third <"$T/mbox.edit"
extra_at=$(sed -n 2p "$T/mbox.edit")
rm -rf "${d:?}/$empty"
damaged mbox 6
check_grep "mbox: the changed message is named with its offset" "^LindqvistA: message [0-9]* in 'Inbox': LindqvistA/Inbox.mbox at byte $second differs from what was written" "$T/mbox.bad"
check_grep "mbox: the removed message is named with the ledger's offset" "^LindqvistA: message [0-9]* in 'Inbox': missing from LindqvistA/Inbox.mbox (the ledger has it at byte $third)\$" "$T/mbox.bad"
check_grep "mbox: the appended message is named with its offset" "^DunnO: folder 'Inbox': DunnO/Inbox.mbox holds a message at byte $extra_at (78 bytes) that is not in the ledger (an extra message)\$" "$T/mbox.bad"
check_grep "mbox: the empty mailbox's missing folder is named" "^$empty: the mailbox's folder $empty does not exist\$" "$T/mbox.bad"
check_grep "mbox: folder counts follow" "^LindqvistA: folder 'Inbox' (LindqvistA/Inbox.mbox) holds 3 messages, the selection has 4\$" "$T/mbox.bad"

# ---- ics: a summary changed, an event removed, an event added ----
clean ics "calendar items" calendar
d="$T/ics"
cal=$(grep -l BEGIN:VEVENT "$d"/*.ics | head -n 1)
calname=$(basename "$cal")
calmb=${calname%.ics}
"$PY" - "$cal" >"$T/ics.edit" <<'PYEOF'
import re, sys
p = sys.argv[1]
s = open(p, 'rb').read().decode('utf-8')
ev = [m.start() for m in re.finditer(r'BEGIN:VEVENT\r\n', s)]
uid = lambda i: re.search(r'UID:([^\r\n]*)', s[i:]).group(1)
changed, removed = uid(ev[0]), uid(ev[1])
assert changed != removed
s = re.sub(r'(SUMMARY:)([^\r\n]*)', r'\1\2 (changed)', s, count=1)
a = s.index('BEGIN:VEVENT\r\nUID:' + removed)
b = s.index('END:VEVENT\r\n', a) + len('END:VEVENT\r\n')
s = s[:a] + s[b:]
i = s.rindex('END:VCALENDAR')
s = s[:i] + ('BEGIN:VEVENT\r\nUID:extra-1@example.com\r\nDTSTAMP:19990101T000000Z\r\n'
             'DTSTART:19990101T100000Z\r\nSUMMARY:Extra\r\nEND:VEVENT\r\n') + s[i:]
open(p, 'wb').write(s.encode('utf-8'))
print(changed, removed)
PYEOF
read -r changed removed <"$T/ics.edit"
rm -f "$d/$empty.ics"
damaged ics 4
check_grep "ics: the changed event is named" "^$calmb: calendar item [0-9]* (UID $changed): $calname holds it differently from the staged item\$" "$T/ics.bad"
check_grep "ics: the removed event is named" "^$calmb: calendar item [0-9]* (UID $removed): missing from $calname\$" "$T/ics.bad"
check_grep "ics: the added event is named" "^$calmb: $calname holds a calendar item (UID extra-1@example.com) that is not in the ledger (an extra item)\$" "$T/ics.bad"
check_grep "ics: the empty mailbox's missing calendar is named" "^$empty: the calendar file $empty.ics does not exist\$" "$T/ics.bad"

# ---- exchange: a body byte changed in a .SEC, a MAILMESSAGE line removed,
# one duplicated, an empty mailbox's pair deleted ----
clean exchange messages message
d="$T/exchange"
pri_of() { grep -l "^! mailferry: mailbox $1 " "$d"/*/*.PRI | head -n 1; }
pl=$(pri_of LindqvistA); pb=$(pri_of BergA); pd=$(pri_of DunnO); pe=$(pri_of "$empty")
check "exchange: every mailbox's .PRI is found" test -n "$pl" -a -n "$pb" -a -n "$pd" -a -n "$pe"
"$PY" - "$pl" "$pb" "$pd" <<'PYEOF'
import sys
pl, pb, pd = sys.argv[1:4]
sec = pl[:-4] + '.SEC'
s = bytearray(open(sec, 'rb').read())
i = s.index(b'\r\nBody,') + 2
e = s.index(b'\r\n', i)
n = int(bytes(s[i:e]).split(b',')[1])
k = e + 2 + n // 2
s[k] = ord('#') if s[k] != ord('#') else ord('%')
open(sec, 'wb').write(s)
def lines(p):
    L = open(p, 'rb').read().split(b'\r\n')
    h = [k for k, l in enumerate(L) if l.startswith(b'Folder,Sender')][0]
    return L, h
L, h = lines(pb)
del L[h + 1]
open(pb, 'wb').write(b'\r\n'.join(L))
L, h = lines(pd)
L.insert(h + 2, L[h + 1])
open(pd, 'wb').write(b'\r\n'.join(L))
PYEOF
rm -f "$pe" "${pe%.PRI}.SEC"
sl=$(basename "$(dirname "$pl")")/$(basename "$pl")
sb=$(basename "$(dirname "$pb")")/$(basename "$pb")
sd=$(basename "$(dirname "$pd")")/$(basename "$pd")
"$MF" verify exchange --db "$DB" --out "$d" >"$T/exchange.bad" 2>&1
check_out "exchange: verify of the damaged sets exits 1" 1 sh -c '"$1" verify exchange --db "$2" --out "$3" >/dev/null 2>&1; echo $?' sh "$MF" "$DB" "$d"
check_grep "exchange: the changed section data is named" "^LindqvistA: message [0-9]* in '[^']*': $sl line 1 points to section data that differs from what was written" "$T/exchange.bad"
check_grep "exchange: the removed line is named" "^BergA: message [0-9]* in '[^']*': missing from $sb (the ledger has it on MAILMESSAGE line 1)\$" "$T/exchange.bad"
check_grep "exchange: the duplicated line is named" "^DunnO: $sd: MAILMESSAGE line 2 ([0-9]* bytes of sections) is not in the ledger (an extra message)\$" "$T/exchange.bad"
check_grep "exchange: the empty mailbox's missing section is named" "^$empty: no .PRI file of a finished set holds its MAILMESSAGE section" "$T/exchange.bad"
check_grep "exchange: the set's own problems are reported too" "^set [^:]*: $(basename "$pe"): offset 0: listed primary file cannot be read\$" "$T/exchange.bad"
check_grep "exchange: message counts follow" "^BergA: its MAILMESSAGE sections hold 1 messages, the selection has 2\$" "$T/exchange.bad"

# ---- vcard: one book's bytes changed, one removed, one added; the
# directory file (not in the ledger) is not extra ----
clean vcard cards pab
check "vcard: export with --directory create too" "$MF" export vcard --db "$DB" --out "$T/vcard" --directory create --quiet
check "vcard: ... wrote directory.vcf" test -s "$T/vcard/directory.vcf"
check_grep "vcard: ... and still verifies clean" "; 0 mismatches\$" \
	"$("$MF" verify vcard --db "$DB" --out "$T/vcard" >"$T/vcard.dir" 2>&1; echo "$T/vcard.dir")"
d="$T/vcard"
vc=$(q "SELECT remote_id FROM deliveries WHERE target LIKE 'vcard:%' AND item_kind = 'pab' AND status = 'delivered' ORDER BY remote_id LIMIT 1")
vr=$(q "SELECT remote_id FROM deliveries WHERE target LIKE 'vcard:%' AND item_kind = 'pab' AND status = 'delivered' ORDER BY remote_id LIMIT 1 OFFSET 1")
check "vcard: the samples have two address books ($vc, $vr)" test -n "$vc" -a -n "$vr" -a -f "$d/$vc" -a -f "$d/$vr"
vcmb=${vc%.vcf}; vcmb=${vcmb#public/}
vrmb=${vr%.vcf}; vrmb=${vrmb#public/}
printf 'X' | dd of="$d/$vc" bs=1 seek=5 conv=notrunc 2>/dev/null
rm "$d/$vr"
cp "$d/$vc" "$d/extra.vcf"
damaged vcard 3
check_grep "vcard: a changed book is named" "^$vcmb: address book: $vc differs from what was written" "$T/vcard.bad"
check_grep "vcard: a removed book is named" "^$vrmb: address book: $vr is missing\$" "$T/vcard.bad"
check_grep "vcard: an extra file is named" "^extra.vcf is not in the ledger (an extra file)\$" "$T/vcard.bad"
check_out "vcard: ... and nothing else (3 lines and the summary)" 4 sh -c 'wc -l < "$1" | tr -d " "' sh "$T/vcard.bad"
check "vcard: --mailbox of another mailbox passes (other books and files not judged)" "$MF" verify vcard --db "$DB" --out "$d" --mailbox WeissJ
"$MF" verify vcard --db "$DB" --out "$d" --mailbox "$vcmb" >"$T/vcard.one" 2>&1
check_grep "vcard: --mailbox of the changed book names it ..." "^$vcmb: address book: $vc differs" "$T/vcard.one"
check_grep "vcard: ... and nothing else" "; 1 mismatches\$" "$T/vcard.one"

# ---- pst: one file's bytes changed, one removed, one added, the empty
# mailbox's file removed ----
clean pst messages message
d="$T/pst"
check "pst: the empty mailbox has its file" test -f "$d/$empty.pst"
pc=LindqvistA.pst; pr=BergA.pst
check "pst: the files to damage exist" test -f "$d/$pc" -a -f "$d/$pr"
printf 'X' | dd of="$d/$pc" bs=1 seek=4000 conv=notrunc 2>/dev/null
rm "$d/$pr"
cp "$d/DunnO.pst" "$d/extra.pst"
rm -f "$d/$empty.pst"
damaged pst 4
check_grep "pst: a changed file is named" "^LindqvistA: $pc differs from what was written" "$T/pst.bad"
check_grep "pst: a removed file is named with its messages" "^BergA: $pr is missing (the ledger has [1-9][0-9]* messages in it)\$" "$T/pst.bad"
check_grep "pst: an extra file is named" "^extra.pst is not in the ledger (an extra file)\$" "$T/pst.bad"
check_grep "pst: the empty mailbox's missing file is named" "^$empty: $empty.pst is missing (the ledger has 0 messages in it)\$" "$T/pst.bad"
check_out "pst: ... and nothing else (4 lines and the summary)" 5 sh -c 'wc -l < "$1" | tr -d " "' sh "$T/pst.bad"
check "pst: --mailbox of an intact mailbox passes (other files not judged)" "$MF" verify pst --db "$DB" --out "$d" --mailbox DunnO

# ---- pst content: each part read back with mailferry's own PST reader
# (exporters/pst/reader, no code shared with the writer) and compared with
# staging.  A file whose structure is sound but whose content differs, and
# staging changed after the export, are each named on their own lines ----
check "pst content: export into a second folder" "$MF" export pst --db "$DB" --out "$T/pst2" --quiet
check "pst content: verify of the clean export passes" "$MF" verify pst --db "$DB" --out "$T/pst2"
check_grep "pst content: ... it read every message back" "; 0 mismatches\$" "$T/.out"
cp "$T/pst2/LindqvistA.pst" "$T/L.pst"
check "pst content: one letter of a subject changed in the file, every CRC kept right" \
	"$PY" "$SRC/tests/lib/pstmut.py" "$T/L.pst" "$T/pst2/LindqvistA.pst" subject
"$MF" verify pst --db "$DB" --out "$T/pst2" >"$T/pst2.bad" 2>&1
echo $? >"$T/pst2.rc"
check_out "pst content: verify exits 1" 1 cat "$T/pst2.rc"
check_grep "pst content: the message is named with the subject read and the staged one" \
	"^LindqvistA: LindqvistA.pst: message [0-9]* in '[^']*': subject '\([a-z]\)[^']*', staged '[^']*'\$" "$T/pst2.bad"
check_grep "pst content: ... the contents row that no longer matches its node" \
	"^LindqvistA: LindqvistA.pst: node 0x[0-9A-F]*: row 0x[0-9A-F]*: column 0x0037001F" "$T/pst2.bad"
check_grep "pst content: ... the file's sha256" "^LindqvistA: LindqvistA.pst differs from what was written" "$T/pst2.bad"
check_grep "pst content: ... and nothing else" "; 3 mismatches\$" "$T/pst2.bad"
cp "$T/L.pst" "$T/pst2/LindqvistA.pst"

# vstage NAME SQL WANT-LINES PATTERN: staging changed after the export (on a
# copy of the database): verify names the message with PATTERN, WANT lines
vstage() {
	cp "$DB" "$T/v.db"
	sqlite3 "$T/v.db" "$2"
	"$MF" verify pst --db "$T/v.db" --out "$T/pst2" >"$T/v.out" 2>&1
	check_grep "pst content: $1 is named" "$4" "$T/v.out"
	check_grep "pst content: $1: $3 mismatches, nothing else" "; $3 mismatches\$" "$T/v.out"
}
mid() { q "SELECT id FROM messages WHERE subject = '$1' AND mailbox_id = (SELECT id FROM mailboxes WHERE alias = 'LindqvistA')"; }
m_build=$(mid 'Build status'); m_lunch=$(mid 'Lunch?'); m_kick=$(mid 'Campaign kickoff')
m_q2=$(mid 'Q2 price list draft')
check "pst content: the messages to change are staged" test -n "$m_build" -a -n "$m_lunch" -a -n "$m_kick" -a -n "$m_q2"
P="^LindqvistA: LindqvistA.pst: message"
vstage "a changed subject" "UPDATE messages SET subject = 'Changed in staging' WHERE id = $m_build" 1 \
	"$P $m_build in '[^']*': subject 'Build status', staged 'Changed in staging'\$"
vstage "a changed sender" "UPDATE messages SET sender_raw = 'someone@example.org', sender_name = NULL, sender_type = NULL, sender_address = NULL WHERE id = $m_build" 3 \
	"$P $m_build in '[^']*': sender address 'jdoe@example.com', staged 'someone@example.org'\$"
vstage "a removed recipient" "DELETE FROM recipients WHERE message_id = $m_q2 AND role = 'cc'" 1 \
	"$P $m_q2 in '[^']*': 2 recipients, staged 1\$"
vstage "a changed send date" "UPDATE messages SET sent_utc = sent_utc + 3600, received_utc = received_utc + 3600 WHERE id = $m_build" 2 \
	"$P $m_build in '[^']*': submit time '[0-9T:-]*Z', staged '[0-9T:-]*Z'\$"
vstage "a changed read flag" "UPDATE messages SET unread = 1 - unread WHERE id = $m_lunch" 1 \
	"$P $m_lunch in '[^']*': read/unsent [01]/0, staged [01]/0\$"
vstage "a changed priority" "UPDATE messages SET priority = 1 WHERE id = $m_kick" 1 \
	"$P $m_kick in '[^']*': importance 0, staged 2\$"
vstage "a changed body" "UPDATE body_parts SET text = 'changed' WHERE message_id = $m_build AND kind = 'text'" 1 \
	"$P $m_build in '[^']*': plain body differs"
vstage "a changed attachment" "UPDATE attachments SET data = X'00' WHERE message_id = $m_q2 AND name = 'PRICES.CSV'" 1 \
	"$P $m_q2 in '[^']*': attachment 1 (PRICES.CSV): [0-9]* bytes, sha256 [0-9a-f]*\.\.\., staged [0-9]* bytes, [0-9a-f]*\.\.\.$"
vstage "a message in another folder" "UPDATE messages SET folder_id = (SELECT folder_id FROM messages WHERE id = $m_q2) WHERE id = $m_lunch" 3 \
	"$P $m_lunch in '[^']*': in folder 'Deleted Items', should be in 'Inbox'\$"
vstage "a message the file lacks" "UPDATE deliveries SET remote_id = 'LindqvistA.pst:0x7FFFFE4' WHERE item_id = $m_build AND item_kind = 'message' AND target LIKE 'pst:%/pst2#%'" 3 \
	"$P $m_build in '[^']*': not in the file (node 0x7FFFFE4)\$"
check_grep "pst content: ... the message the ledger no longer names is extra" \
	"^LindqvistA: LindqvistA.pst: message 'Build status' (node 0x[0-9A-F]*) in 'Inbox' is not in the ledger (an extra message)\$" "$T/v.out"
check_grep "pst content: ... and its folder's count is off" \
	"^LindqvistA: LindqvistA.pst: folder 'Inbox' counts [0-9]* messages and lists [0-9]*, the ledger puts [0-9]* there\$" "$T/v.out"

# ---- the command line ----
check_exit 2 "verify without a target kind is a usage error" "$MF" verify --db "$DB" --out "$T/maildir"
check_exit 2 "verify of an unknown target kind is a usage error" "$MF" verify nosuch --db "$DB" --out "$T/maildir"
check_exit 2 "verify maildir without --out is a usage error" "$MF" verify maildir --db "$DB"
mkdir -p "$T/never"
check_exit 3 "verify of a folder no export wrote is refused" "$MF" verify maildir --db "$DB" --out "$T/never"
check "... and writes nothing into it" test -z "$(ls -A "$T/never")"
check_exit 3 "verify of a folder that does not exist is refused" "$MF" verify eml --db "$DB" --out "$T/nosuch"
check_exit 2 "inspect of a target kind without inspect is a usage error" "$MF" inspect maildir "$T/maildir"
check_exit 2 "inspect of an unknown kind is a usage error" "$MF" inspect nosuch "$T/maildir"
check "--mailbox: verify of one intact mailbox passes" "$MF" verify mbox --db "$DB" --out "$T/mbox" --mailbox WeissJ

# ---- the walk in mailbox-id order (issue 15, docs/decisions.md): the
# file exporters visit the mailboxes in id order, but the summary and
# verify's report list them in alias order, and the output is the same
if "$MF" formats | grep -q "^  mbox *built" && [ -x "$BUILD/tools/gen-ccmail" ]; then
	ODB="$T/order.db"
	"$BUILD/tools/gen-ccmail" --users 30 --messages 90 --seed 3 "$T/order-cc" >/dev/null 2>&1
	check "order: import a generated post office" "$MF" import ccmail --db "$ODB" --quiet "$T/order-cc"
	sqlite3 "$ODB" "SELECT coalesce(alias, name) FROM mailboxes ORDER BY coalesce(alias, name) COLLATE NOCASE, id" > "$T/order.want"
	sqlite3 "$ODB" "SELECT coalesce(alias, name) FROM mailboxes ORDER BY id" > "$T/order.byid"
	check "order: the id order differs from the alias order (else the test proves nothing)" \
		sh -c '! cmp -s "$1" "$2"' sh "$T/order.want" "$T/order.byid"
	check "order: export mbox --json" sh -c '"$1" export mbox --db "$2" --out "$3" --json > "$4"' \
		sh "$MF" "$ODB" "$T/order" "$T/order.json"
	$PY -c 'import json, sys; [print(m["alias"]) for m in json.load(open(sys.argv[1]))["mailboxes"]]' \
		"$T/order.json" > "$T/order.sum" 2>/dev/null
	check "order: the summary lists every mailbox in alias order" cmp "$T/order.want" "$T/order.sum"
	# a listing of mismatches: every mailbox's file gone
	find "$T/order" -mindepth 1 ! -name .mailferry-target -exec rm -rf {} + 2>/dev/null
	"$MF" verify mbox --db "$ODB" --out "$T/order" > "$T/order.bad" 2>&1
	check_out "order: verify names a missing folder for each mailbox with mail" \
		"$(sqlite3 "$ODB" "SELECT count(DISTINCT mailbox_id) FROM deliveries WHERE item_kind = 'mailbox'")" \
		sh -c 'grep -c "does not exist" "$1"' sh "$T/order.bad"
	check "order: verify's report lists the mailboxes in alias order" $PY -c '
import sys
rank = {a: i for i, a in enumerate(open(sys.argv[1]).read().split("\n"))}
seen = [l.split(":", 1)[0] for l in open(sys.argv[2]) if ": " in l and l.split(":", 1)[0] in rank]
r = [rank[a] for a in seen]
sys.exit(0 if len(r) > 2 and r == sorted(r) else 1)' "$T/order.want" "$T/order.bad"
fi

finish
