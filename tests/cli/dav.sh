#!/bin/sh
# dav.sh: `mailferry export vcard`, `export carddav`, `export caldav` and
# `verify carddav|caldav`, read back by readers we did not write
# (python3-vobject, python3-icalendar, ElementTree over HTTP:
# tests/lib/dav_check.py) and against a real Radicale started here
# (tests/lib/radicale.sh) with htpasswd users and a rights file.
#
#  - vCard files of docs/sample: every entry and list member against staging,
#    4.0 and 3.0, the directory; the same database gives the same bytes;
#  - hostile values (, ; \ newlines, non-ASCII, 1 MB) round-trip, in files
#    and through the server; lines are CR LF, at most 75 octets, no UTF-8
#    sequence cut;
#  - CardDAV and CalDAV into Radicale for docs/sample and a generated corpus
#    (address books and calendars): everything on the server, empty
#    mailboxes have empty collections, a second export sends nothing, verify
#    passes and notices a deleted and a changed item; another user cannot
#    read a foreign collection;
#  - SIGKILL during a push, then the same command: nothing lost, nothing
#    duplicated;
#  - a card and an event whose UID the server holds under another name (409)
#    are refused and recorded (ledger, problem, FAILED, exit 1), the rest
#    continue;
#  - the ledger's card rows (kind 'card'), also after the upgrade of a
#    database that kept them as negative 'pab' rows: nothing sent again;
#  - a mailbox aliased "directory" never takes the directory's file or
#    collection (preflight refusal with --directory create);
#  - 503 with Retry-After and 429 through a throttling proxy; TLS verified;
#  - --dav-discover: /.well-known/, current-user-principal and the home sets
#    of Radicale lead each mailbox to its home;
#  - the wizard and batch with the DAV targets and their option keys.
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib/radicale.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CHK="$SRC/tests/lib/dav_check.py"
GENC="${BUILD:?}/tools/gen-ccmail"
GENM="$BUILD/tools/gen-msmail"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

if ! "$PY" -c 'import vobject, icalendar' 2>/dev/null; then
	_result 1 "python3-vobject and python3-icalendar are installed (scripts/install-deps.sh)"
	finish
fi

"$MF" import ccmail --db "$T/s.db" --quiet "$SRC/docs/sample/ccmail" >/dev/null 2>&1
"$MF" import msmail --db "$T/s.db" --quiet "$SRC/docs/sample/msmail" >/dev/null 2>&1

# ---- 1. vCard files ----
check "export vcard: the sample's address books and the directory" \
	"$MF" export vcard --db "$T/s.db" --out "$T/vcf" --directory create --quiet
check "vobject reads every card back; entries, lists and members match staging" \
	"$PY" "$CHK" vcf "$T/s.db" "$T/vcf" --directory
check_grep "... two address books and the directory compared" "ok: 2 files, 20 cards" "$T/.out"
check "only mailboxes with an address book get a file" \
	sh -c '[ "$(ls "$1" | grep -c "\.vcf$")" -eq 3 ]' _ "$T/vcf"
check_grep "a personal list is KIND:group" "^KIND:group" "$T/vcf/LindqvistA.vcf"
check_grep "... its members in the book by urn:uuid" "^MEMBER:urn:uuid:" "$T/vcf/LindqvistA.vcf"
check_grep "legacy addresses in X-CCMAIL-ADDRESS" '^X-CCMAIL-ADDRESS:Sato\\, Kenji at TOKYO01' "$T/vcf/LindqvistA.vcf"
check_grep "... and X-MSMAIL-ADDRESS" '^X-MSMAIL-ADDRESS:ACMENET/BRANCH1/ROSAKA' "$T/vcf/directory.vcf"
check "the same database gives the same bytes (REV from staging, not the clock)" \
	sh -c '"$1" export vcard --db "$2" --out "$3/vcf2" --directory create --quiet >/dev/null &&
	       sleep 1 && rm -f "$3/vcf/.mailferry-target" "$3/vcf2/.mailferry-target" && diff -r "$3/vcf" "$3/vcf2"' \
	_ "$MF" "$T/s.db" "$T"
check "export vcard --vcard-version 3.0" \
	"$MF" export vcard --db "$T/s.db" --out "$T/vcf3" --vcard-version 3.0 --directory create --quiet
check "vobject reads the 3.0 cards back; lists as X-ADDRESSBOOKSERVER-KIND" \
	"$PY" "$CHK" vcf "$T/s.db" "$T/vcf3" --v3 --directory
check_grep "... X-ADDRESSBOOKSERVER-MEMBER" "^X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:" "$T/vcf3/LindqvistA.vcf"
check_exit 2 "--vcard-version 2.1 is a usage error" \
	"$MF" export vcard --db "$T/s.db" --out "$T/vbad" --vcard-version 2.1 --quiet

# ---- 2. hostile values ----
cp "$T/s.db" "$T/h.db"
"$PY" "$CHK" hostile "$T/h.db" LindqvistA >/dev/null
check "export vcard with , ; \\ newlines, non-ASCII and 1 MB values" \
	"$MF" export vcard --db "$T/h.db" --out "$T/hv" --quiet
check "... they read back equal; CR LF, <= 75 octets, no UTF-8 sequence cut" \
	"$PY" "$CHK" vcf "$T/h.db" "$T/hv"
check "... the 1 MB card is there, folded" \
	sh -c '[ "$(wc -c < "$1/hv/LindqvistA.vcf")" -gt 2000000 ]' _ "$T"

# ---- 3. CardDAV and CalDAV into Radicale ----
if ! radicale_available; then
	_result 1 "Radicale is installed (scripts/install-deps.sh)"
	finish
fi
RADICALE_LOG_LEVEL=info radicale_start || {
	_result 1 "Radicale starts"
	finish
}
U=$RADICALE_URL
A=$RADICALE_ADMIN
printf '%s\n' "$RADICALE_ADMIN_PASSWORD" > "$T/pw"
printf '%s\n' "$RADICALE_USER_PASSWORD" > "$T/upw"
printf 'wrong\n' > "$T/badpw"
dav() { # dav carddav|caldav DB [options]
	k=$1 db=$2
	shift 2
	"$MF" export "$k" --db "$db" --url "$U" --admin "$A" --password-file "$T/pw" --quiet "$@"
}
ver() {
	k=$1 db=$2
	shift 2
	"$MF" verify "$k" --db "$db" --url "$U" --admin "$A" --password-file "$T/pw" "$@"
}
puts() { grep -c 'PUT request' "$RADICALE_DIR/log" 2>/dev/null || true; }

check_exit 3 "a wrong password stops the run before the first mailbox" \
	"$MF" export carddav --db "$T/s.db" --url "$U" --admin "$A" --password-file "$T/badpw" --quiet
check_grep "... and says so" "refuses the login" "$T/.err"
check_exit 2 "a password in the URL is refused" \
	"$MF" export carddav --db "$T/s.db" --url "http://$A:x@127.0.0.1:$RADICALE_PORT/" --quiet
check "export carddav: the sample's address books and the directory" \
	dav carddav "$T/s.db" --directory create
check "export caldav: the sample's calendars" dav caldav "$T/s.db"
check "every card and list is on the server, members included; empty mailboxes have empty address books" \
	"$PY" "$CHK" server "$T/s.db" "$U" "$A" "$T/pw" carddav --directory
check_grep "... 20 cards, 12 empty collections" "ok: 20 items compared, 12 empty" "$T/.out"
check "every calendar item and task is on the server with RRULE, EXDATE, overrides and VTIMEZONEs" \
	"$PY" "$CHK" server "$T/s.db" "$U" "$A" "$T/pw" caldav
check_grep "... 15 items, 12 empty calendars" "ok: 15 items compared, 12 empty" "$T/.out"
sqlite3 "$T/s.db" "SELECT remote_id FROM deliveries WHERE target LIKE 'carddav:%' AND item_kind = 'card'" > "$T/rid"
check_grep "the ledger records each card with its name and ETag" '^[0-9a-f]\{32\}\.vcf "' "$T/rid"
check "... one row per card (6)" sh -c '[ "$(grep -c . "$1")" -eq 6 ]' _ "$T/rid"
check_out "... keyed by the staged entry (item_id = pab_entries.id, no negative ids)" "6 0" \
	sqlite3 -separator ' ' "$T/s.db" "SELECT count(*), (SELECT count(*) FROM deliveries WHERE item_id < 0)
		FROM deliveries d JOIN pab_entries e ON e.id = d.item_id AND e.mailbox_id = d.mailbox_id
		WHERE d.target LIKE 'carddav:%' AND d.item_kind = 'card'"
before=$(puts)
check "a second carddav export" dav carddav "$T/s.db" --directory create
check "a second caldav export" dav caldav "$T/s.db"
after=$(puts)
check "... sends no card and no event again (only the 14 directory cards, answered 412)" \
	sh -c '[ "$1" -gt 0 ] && [ $(($2 - $1)) -eq 14 ]' _ "$before" "$after"
check "verify carddav passes" ver carddav "$T/s.db" --directory create
check_grep "... having read every card" "20 cards read back; 0 mismatches" "$T/.out"
check "verify caldav passes" ver caldav "$T/s.db"
check_grep "... having read every item" "15 calendar items read back; 0 mismatches" "$T/.out"

# another user: no access to a foreign collection, his own works
check_out "another user cannot list a foreign address book" 403 \
	"$PY" "$CHK" status "$U" "$RADICALE_USER" "$T/upw" PROPFIND /LindqvistA/contacts/
check_out "... nor a foreign calendar" 403 \
	"$PY" "$CHK" status "$U" "$RADICALE_USER" "$T/upw" PROPFIND /RamirezE/calendar/
f=$(ls "$RADICALE_DIR/collections/collection-root/LindqvistA/contacts/" | grep '\.vcf$' | head -n 1)
check_out "... nor fetch a card from it" 403 \
	"$PY" "$CHK" status "$U" "$RADICALE_USER" "$T/upw" GET "/LindqvistA/contacts/$f"
check_out "... while his own principal answers" 207 \
	"$PY" "$CHK" status "$U" "$RADICALE_USER" "$T/upw" PROPFIND "/$RADICALE_USER/"

# verify notices a changed and a deleted item
cp "$RADICALE_DIR/collections/collection-root/LindqvistA/contacts/$f" "$T/card.vcf"
sed 's/^FN:.*/FN:Somebody Else/' "$T/card.vcf" > "$T/card2.vcf"
"$PY" "$CHK" put "$U" "$A" "$T/pw" "/LindqvistA/contacts/$f" "$T/card2.vcf" >/dev/null
check_exit 1 "verify carddav notices a changed card" ver carddav "$T/s.db"
check_grep "... naming the property" "FN:SOMEBODY ELSE\|FN:Somebody Else" "$T/.out"
"$PY" "$CHK" status "$U" "$A" "$T/pw" DELETE "/WeissJ/calendar/$(ls "$RADICALE_DIR/collections/collection-root/WeissJ/calendar/" | grep '\.ics$' | head -n 1)" >/dev/null
check_exit 1 "verify caldav notices a deleted event" ver caldav "$T/s.db"
check_grep "... as missing" "WeissJ/calendar/.*missing on the server" "$T/.out"

# a staging database from before schema 5 (cards as 'pab' rows with the
# negative pab_entries.id) is upgraded when opened; the next run sends nothing
# (what the later schema steps add is taken away too, so they run again)
cp "$T/s.db" "$T/old.db"
sqlite3 "$T/old.db" "UPDATE deliveries SET item_kind = 'pab', item_id = -item_id WHERE item_kind = 'card';
	DROP TABLE run_mailboxes; DROP INDEX mailboxes_export_order;
	DROP INDEX mailboxes_kind_alias; DROP INDEX target_objects_source;
	DROP INDEX plan_mailboxes_object; DROP INDEX plan_recipients_object;
	DROP TABLE plan_work; DROP TABLE plan_work_aliases; DROP TABLE plan_work_seen;
	DROP TABLE plan_work_bases;
	PRAGMA user_version = 4"
before=$(puts)
check "a database of schema 4 with negative card rows: carddav runs" dav carddav "$T/old.db"
latest=$(ls "$SRC"/schema/[0-9]*.sql | wc -l | tr -d ' ')
check_out "... its card rows became 'card' rows with the staged ids (schema now $latest)" "6 0 $latest" \
	sqlite3 -separator ' ' "$T/old.db" "SELECT (SELECT count(*) FROM deliveries d JOIN pab_entries e
		ON e.id = d.item_id WHERE d.target LIKE 'carddav:%' AND d.item_kind = 'card'),
		(SELECT count(*) FROM deliveries WHERE item_id < 0), (SELECT * FROM pragma_user_version)"
check_out "... and nothing was sent again" "$before" puts

# a mailbox aliased "directory" never takes the directory's file or collection
cp "$T/s.db" "$T/da.db"
printf 'source_address_or_name,alias\n"Lindqvist, Anna",Directory\n' > "$T/damap.csv"
"$MF" plan --db "$T/da.db" --alias-map "$T/damap.csv" >/dev/null 2>&1
check_exit 1 "vcard --directory create with a mailbox aliased 'Directory': refused before anything is written" \
	"$MF" export vcard --db "$T/da.db" --out "$T/dav" --directory create --quiet
check_grep "... naming the mailbox and the fix" "check.target-refused: mailbox 'Directory'.*alias-map" "$T/.err"
check "... no file written" sh -c '[ -z "$(ls "$1" 2>/dev/null | grep vcf)" ]' _ "$T/dav"
check_exit 1 "... with --force the mailbox fails and the directory is written" \
	"$MF" export vcard --db "$T/da.db" --out "$T/dav" --directory create --quiet --force
check "... directory.vcf is the directory alone (the same bytes as before the alias)" \
	cmp "$T/dav/directory.vcf" "$T/vcf/directory.vcf"
check "... and no mailbox file beside it" sh -c '[ "$(ls "$1" | grep -c vcf)" -eq 2 ]' _ "$T/dav"
check "... without --directory the mailbox gets its own Directory.vcf" \
	"$MF" export vcard --db "$T/da.db" --out "$T/dav2" --quiet
check "... holding its address book" "$PY" "$CHK" vcf "$T/da.db" "$T/dav2"
check_exit 1 "carddav --directory create with a mailbox aliased 'Directory': refused before anything moves" \
	dav carddav "$T/da.db" --dav-layout "da/%a/%t/" --directory create
check_grep "... naming the mailbox" "check.target-refused: mailbox 'Directory'" "$T/.err"
check_out "... nothing made on the server" 404 \
	"$PY" "$CHK" status "$U" "$A" "$T/pw" PROPFIND /da/
check "... without --directory the mailbox's book goes to /da/Directory/contacts/" \
	dav carddav "$T/da.db" --dav-layout "da/%a/%t/"
check_out "... with its 4 cards" 4 "$PY" "$CHK" count "$U" "$A" "$T/pw" /da/Directory/contacts/

# ---- 4. a generated corpus: address books and calendars, kills ----
"$GENC" --users 8 --messages 16 --bboards 0 --seed 3 "$T/gc" >/dev/null
"$PY" "$CHK" gen-pab "$T/gc" 60 >/dev/null
"$GENM" --users 10 --messages 20 --calendar-pct 60 --seed 5 "$T/gm" >/dev/null
"$MF" import ccmail --db "$T/g.db" --quiet "$T/gc" >/dev/null 2>&1
"$MF" import msmail --db "$T/g.db" --quiet "$T/gm" >/dev/null 2>&1
ncards=$(sqlite3 "$T/g.db" "SELECT count(*) FROM pab_entries")
ncal=$(sqlite3 "$T/g.db" "SELECT count(*) FROM calendar_items")
check "the generated corpus has address books ($ncards entries) and calendars ($ncal items)" \
	sh -c '[ "$1" -ge 200 ] && [ "$2" -ge 20 ]' _ "$ncards" "$ncal"
# SIGKILL while the server fills, three times, then the same command to the end
killed=0
for want in 40 120 200; do
	"$MF" export carddav --db "$T/g.db" --url "$U" --admin "$A" --password-file "$T/pw" --quiet >/dev/null 2>&1 &
	p=$!
	"$PY" - "$RADICALE_DIR/collections/collection-root" "$want" "$p" <<'EOF'
import os, signal, sys, time
root, want, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def n():
    return sum(1 for d, _, fs in os.walk(root) for f in fs
               if f.endswith(".vcf") and ".Radicale" not in d)
end = time.time() + 120
base = n()
while time.time() < end and n() < base + want // 3 + 5:
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(") ", 1)[1][0] == "Z":
                break
    except OSError:
        break
    time.sleep(0.002)
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
EOF
	wait $p 2>/dev/null
	[ $? -eq 137 ] && killed=$((killed + 1))
done
check "the kills landed in the middle of the push ($killed of 3)" sh -c '[ "$1" -ge 1 ]' _ "$killed"
check "the carddav run after the kills finishes" dav carddav "$T/g.db"
check "... every card on the server exactly once, intact" \
	"$PY" "$CHK" server "$T/g.db" "$U" "$A" "$T/pw" carddav
check "... and verify agrees" ver carddav "$T/g.db"
"$MF" export caldav --db "$T/g.db" --url "$U" --admin "$A" --password-file "$T/pw" --quiet >/dev/null 2>&1 &
p=$!
sleep 0.3
kill -KILL $p 2>/dev/null
wait $p 2>/dev/null
check "the caldav run after a kill finishes" dav caldav "$T/g.db"
check "... every calendar item exactly once, with its overrides and zones" \
	"$PY" "$CHK" server "$T/g.db" "$U" "$A" "$T/pw" caldav
check "... and verify agrees" ver caldav "$T/g.db"
check "the server holds as many cards as staged (none twice under another name)" \
	sh -c 'n=$(find "$1" -path "*/contacts/*.vcf" ! -path "*/.Radicale*" ! -path "$1/da/*" ! -path "$1/hostile/*" | grep -c .); echo "$n on the server" >&2; [ "$n" -eq $(( $2 + 20 )) ]' _ \
	"$RADICALE_DIR/collections/collection-root" "$ncards"
before=$(puts)
check "a further carddav run of the generated corpus" dav carddav "$T/g.db"
check "... and caldav run" dav caldav "$T/g.db"
check_out "... send nothing" "$before" puts
check "export vcard of the generated corpus: every card and member against staging" \
	sh -c '"$1" export vcard --db "$2" --out "$3/gv" --quiet >/dev/null && "$4" "$5" vcf "$2" "$3/gv"' \
	_ "$MF" "$T/g.db" "$T" "$PY" "$CHK"
check "... an Internet member not in the book as MEMBER:mailto:" \
	sh -c 'cat "$1"/gv/*.vcf | grep -q "^MEMBER:mailto:someone@example.net"' _ "$T"

# hostile values through the server: , ; \ newlines, non-ASCII, 1 MB
check "carddav of the hostile book (, ; \\ newlines, non-ASCII, 1 MB values)" \
	"$MF" export carddav --db "$T/h.db" --url "${U}hostile/" --admin "$A" --password-file "$T/pw" --quiet
check "... vobject reads every card back from the server equal to staging" \
	"$PY" "$CHK" server "$T/h.db" "${U}hostile/" "$A" "$T/pw" carddav
check "... the 1 MB card is on the server" \
	sh -c '[ -n "$(find "$1/hostile/LindqvistA/contacts" -name "*.vcf" -size +1000k)" ]' _ \
	"$RADICALE_DIR/collections/collection-root"
check "... and verify agrees" "$MF" verify carddav --db "$T/h.db" --url "${U}hostile/" --admin "$A" \
	--password-file "$T/pw"

# ---- 5. items the server refuses ----
# a fresh layout, with one card's and one event's UID already there under another name
L="refuse/%a/%t/"
"$MF" export vcard --db "$T/s.db" --out "$T/one" --mailbox LindqvistA --quiet >/dev/null 2>&1
"$PY" - "$T/one/LindqvistA.vcf" "$T/dup.vcf" <<'EOF'
import sys
t = open(sys.argv[1], "rb").read().split(b"END:VCARD\r\n")[1] + b"END:VCARD\r\n"
open(sys.argv[2], "wb").write(t.replace(b"PRODID:", b"NOTE:planted\r\nPRODID:"))
EOF
cat > "$T/mkab.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>
EOF
for p in /refuse/ /refuse/LindqvistA/ /refuse/RamirezE/; do
	"$PY" "$CHK" status "$U" "$A" "$T/pw" MKCOL "$p" >/dev/null
done
"$PY" "$CHK" status "$U" "$A" "$T/pw" MKCOL /refuse/LindqvistA/contacts/ "$T/mkab.xml" >/dev/null
"$PY" "$CHK" status "$U" "$A" "$T/pw" MKCALENDAR /refuse/RamirezE/calendar/ >/dev/null
"$PY" "$CHK" put "$U" "$A" "$T/pw" "/refuse/LindqvistA/contacts/planted.vcf" "$T/dup.vcf" >/dev/null
check_exit 1 "carddav: a card whose UID the server has under another name: the run goes on to the end, exit 1" \
	dav carddav "$T/s.db" --dav-layout "$L"
check_grep "... the summary counts it as failed for that mailbox" "^LindqvistA  *create  *[0-9]*  *[0-9]*  *[0-9]*  *1 " "$T/.out"
check "... recorded as failed in the ledger, naming the conflict" \
	sh -c '[ "$(sqlite3 "$1" "SELECT count(*) FROM deliveries WHERE target LIKE '"'"'carddav:%#refuse/%'"'"' AND item_kind = '"'"'card'"'"' AND status = '"'"'failed'"'"' AND detail LIKE '"'"'%409%'"'"'")" -eq 1 ]' _ "$T/s.db"
check "... with a problem" \
	sh -c 'sqlite3 "$1" "SELECT text FROM problems WHERE code = '"'"'export.refused'"'"'" | grep -q "no-uid-conflict"' _ "$T/s.db"
check_out "... and the other cards of the book are there (3 + the planted one)" 4 \
	"$PY" "$CHK" count "$U" "$A" "$T/pw" /refuse/LindqvistA/contacts/
check_out "... as is the other book" 2 \
	"$PY" "$CHK" count "$U" "$A" "$T/pw" /refuse/RamirezE/contacts/
"$PY" "$CHK" status "$U" "$A" "$T/pw" DELETE /refuse/LindqvistA/contacts/planted.vcf >/dev/null
check "once the conflict is gone, the next run delivers the refused card" \
	dav carddav "$T/s.db" --dav-layout "$L"
check "... and verify of that book passes" ver carddav "$T/s.db" --dav-layout "$L" --mailbox LindqvistA
# a directory card the server has under another name: the others go on, exit 1
"$PY" - "$T/vcf/directory.vcf" "$T/dirdup.vcf" <<'EOF'
import sys
t = open(sys.argv[1], "rb").read().split(b"END:VCARD\r\n")[0] + b"END:VCARD\r\n"
open(sys.argv[2], "wb").write(t)
EOF
"$PY" "$CHK" status "$U" "$A" "$T/pw" MKCOL /refuse/directory/ >/dev/null
"$PY" "$CHK" status "$U" "$A" "$T/pw" MKCOL /refuse/directory/contacts/ "$T/mkab.xml" >/dev/null
"$PY" "$CHK" put "$U" "$A" "$T/pw" "/refuse/directory/contacts/planted.vcf" "$T/dirdup.vcf" >/dev/null
check_exit 1 "carddav --directory create: a directory card the server has under another name: exit 1" \
	dav carddav "$T/s.db" --dav-layout "$L" --directory create
check_grep "... saying how many" "1 of 14 directory cards refused" "$T/.err"
check "... a problem names the card" \
	sh -c 'sqlite3 "$1" "SELECT text FROM problems WHERE code = '"'"'carddav.refused'"'"'" | grep -q "directory card"' _ "$T/s.db"
check_out "... the other 13 directory cards are there (+ the planted one)" 14 \
	"$PY" "$CHK" count "$U" "$A" "$T/pw" /refuse/directory/contacts/
ev=$(ls "$RADICALE_DIR/collections/collection-root/RamirezE/calendar/" | grep '\.ics$' | head -n 1)
"$PY" "$CHK" put "$U" "$A" "$T/pw" "/refuse/RamirezE/calendar/planted.ics" \
	"$RADICALE_DIR/collections/collection-root/RamirezE/calendar/$ev" >/dev/null
check_exit 1 "caldav: an event whose UID the server has under another name: the run goes on to the end, exit 1" \
	dav caldav "$T/s.db" --dav-layout "$L"
check_out "... the other items of that calendar are there (11 + the planted one)" 12 \
	"$PY" "$CHK" count "$U" "$A" "$T/pw" /refuse/RamirezE/calendar/
check "... recorded as failed in the ledger" \
	sh -c '[ "$(sqlite3 "$1" "SELECT count(*) FROM deliveries WHERE target LIKE '"'"'caldav:%#refuse/%'"'"' AND status = '"'"'failed'"'"'")" -eq 1 ]' _ "$T/s.db"

# ---- 6. throttling: 503 with Retry-After and 429 without, through a proxy ----
TP=$("$RADICALE_PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$PY" "$SRC/tests/lib/http-throttle.py" "$TP" "$RADICALE_PORT" "$T/throttled" &
tp=$!
i=0
while ! "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$TP" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
done
check "carddav through a server answering 503 (Retry-After) and 429: the run finishes" \
	env MAILFERRY_DAV_BACKOFF_MS=20 "$MF" export carddav --db "$T/s.db" --url "http://127.0.0.1:$TP/" \
	--admin "$A" --password-file "$T/pw" --dav-layout "throttle/%a/%t/" --quiet
check "caldav through it: the run finishes" \
	env MAILFERRY_DAV_BACKOFF_MS=20 "$MF" export caldav --db "$T/s.db" --url "http://127.0.0.1:$TP/" \
	--admin "$A" --password-file "$T/pw" --dav-layout "throttle/%a/%t/" --quiet
check "... the proxy throttled requests (at least 5)" sh -c '[ "$(cat "$1")" -ge 5 ]' _ "$T/throttled"
check "... every card arrived exactly once (verify on the server itself)" \
	ver carddav "$T/s.db" --dav-layout "throttle/%a/%t/"
check "... every calendar item too" ver caldav "$T/s.db" --dav-layout "throttle/%a/%t/"
kill $tp 2>/dev/null
wait $tp 2>/dev/null
radicale_stop

# ---- 7. TLS: the certificate is verified unless told otherwise ----
if RADICALE_TLS=1 radicale_start; then
	U=$RADICALE_URL
	printf '%s\n' "$RADICALE_ADMIN_PASSWORD" > "$T/pw"
	check_exit 3 "https: an untrusted certificate is refused by default" \
		dav carddav "$T/s.db"
	check_grep "... and the error says why" "not trusted" "$T/.err"
	check "https with the test CA trusted (SSL_CERT_FILE)" \
		env SSL_CERT_FILE="$RADICALE_CA" "$MF" export carddav --db "$T/s.db" --url "$U" \
		--admin "$A" --password-file "$T/pw" --quiet
	check "... and verify over https" \
		env SSL_CERT_FILE="$RADICALE_CA" "$MF" verify carddav --db "$T/s.db" --url "$U" \
		--admin "$A" --password-file "$T/pw"
	check "--tls-verify no connects without the CA" dav caldav "$T/s.db" --tls-verify no
	radicale_stop
else
	_result 1 "Radicale starts with TLS"
fi

# ---- 8. discovery: /.well-known/ and the admin's home set ----
# --url names a path where nothing is; Radicale redirects /.well-known/carddav
# to /, whose current-user-principal is /mfadmin/ with the home set
# /mfadmin/: each mailbox's collections land in /<alias>/contacts|calendar/.
if RADICALE_LOG_LEVEL=info radicale_start; then
	U=$RADICALE_URL
	printf '%s\n' "$RADICALE_ADMIN_PASSWORD" > "$T/pw"
	dsc() { # dsc export|verify carddav|caldav [options]
		c=$1 k=$2
		shift 2
		"$MF" $c "$k" --db "$T/s.db" --url "${U}nowhere/" --admin "$A" --password-file "$T/pw" "$@"
	}
	check "carddav --dav-discover yes, the URL's path empty: the run finishes" \
		dsc export carddav --dav-discover yes --directory create --quiet
	check "caldav --dav-discover yes" dsc export caldav --dav-discover yes --quiet
	check "... every card in the discovered homes (/<alias>/contacts/), empty books too" \
		"$PY" "$CHK" server "$T/s.db" "$U" "$A" "$T/pw" carddav --directory
	check_grep "... 20 cards, 12 empty collections" "ok: 20 items compared, 12 empty" "$T/.out"
	check "... every calendar item in /<alias>/calendar/" \
		"$PY" "$CHK" server "$T/s.db" "$U" "$A" "$T/pw" caldav
	check_out "... nothing under the URL's own path" 404 \
		"$PY" "$CHK" status "$U" "$A" "$T/pw" PROPFIND /nowhere/
	check_out "... the ledger's target is the discovered home template" \
		"caldav:http://127.0.0.1:$RADICALE_PORT/%a/
carddav:http://127.0.0.1:$RADICALE_PORT/%a/" \
		sqlite3 "$T/s.db" "SELECT DISTINCT target FROM deliveries WHERE target LIKE '%:$RADICALE_PORT/%' ORDER BY 1"
	before=$(puts)
	check "a second discovering carddav run" dsc export carddav --dav-discover yes --quiet
	check "a second discovering caldav run" dsc export caldav --dav-discover yes --quiet
	check_out "... sends nothing" "$before" puts
	check "verify carddav --dav-discover yes passes" dsc verify carddav --dav-discover yes --directory create
	check_grep "... having read every card" "20 cards read back; 0 mismatches" "$T/.out"
	check "verify caldav --dav-discover yes passes" dsc verify caldav --dav-discover yes
	check_exit 1 "verify without discovery looks under the URL's path and finds nothing" \
		dsc verify caldav
	check_exit 2 "--dav-discover with --dav-layout is a usage error" \
		dsc export caldav --dav-discover yes --dav-layout "x/%a/%t/" --quiet

	# ---- 9. the wizard and batch offer the DAV targets and their option keys ----
	W="$T/w"
	mkdir -p "$W"
	cp "$T/pw" "$W/pw"
	check "wizard --yes: the sample cc:Mail post office into CardDAV, its own layout and the directory" \
		sh -c 'cd "$1" && "$2" wizard --yes --path "$3" --db wiz.db --target carddav --url "$4" \
			--admin "$5" --password-file pw --dav-layout "wiz/%a/%t/" --directory create --vcard-version 3.0 > wiz.txt 2>&1' \
		_ "$W" "$MF" "$SRC/docs/sample/ccmail" "$U" "$A"
	check_out "... LindqvistA's 4 cards are on the server" 4 \
		"$PY" "$CHK" count "$U" "$A" "$T/pw" /wiz/LindqvistA/contacts/
	check "... verify agrees, the directory included" \
		"$MF" verify carddav --db "$W/wiz.db" --url "$U" --admin "$A" --password-file "$T/pw" \
		--dav-layout "wiz/%a/%t/" --directory create --vcard-version 3.0
	check_grep "... the equivalent command carries the DAV options" \
		"mailferry export carddav --db wiz.db .*--url $U --admin $A --password-file pw --vcard-version 3.0 --dav-layout wiz/%a/%t/" "$W/wiz.txt"
	check_grep "... and the job-file section the dav_layout key" "^  dav_layout = wiz/%a/%t/" "$W/wiz.txt"
	check_grep "... and the vcard_version key" "^  vcard_version = 3.0" "$W/wiz.txt"
	check_grep "... the cards on the server are 3.0" "^VERSION:3.0" \
		"$(f=$(find "$RADICALE_DIR/collections/collection-root/wiz/LindqvistA/contacts" -name "*.vcf" ! -path "*/.Radicale*" | head -n 1); echo "$f")"
	cat > "$W/jobs.ini" <<JEOF
[hqpo]
path = $SRC/docs/sample/msmail
db = ms.db
target = caldav
url = $U
admin = $A
password_file = pw
dav_layout = batch/%a/%t/
JEOF
	check "batch: a CalDAV job with the dav_layout key completes" \
		sh -c 'cd "$1" && "$2" batch jobs.ini --json > batch.json' _ "$W" "$MF"
	check_out "... RamirezE's 12 calendar items are on the server" 12 \
		"$PY" "$CHK" count "$U" "$A" "$T/pw" /batch/RamirezE/calendar/
	check "... verify agrees" "$MF" verify caldav --db "$W/ms.db" --url "$U" --admin "$A" \
		--password-file "$T/pw" --dav-layout "batch/%a/%t/"
	cat > "$W/jobs2.ini" <<JEOF
[disc]
path = $SRC/docs/sample/msmail
db = ms2.db
target = caldav
url = ${U}nowhere/
admin = $A
password_file = pw
dav_discover = yes
JEOF
	check "batch: a CalDAV job with the dav_discover key" \
		sh -c 'cd "$1" && "$2" batch jobs2.ini --json > batch2.json' _ "$W" "$MF"
	check_out "... its ledger target is the discovered template" "caldav:http://127.0.0.1:$RADICALE_PORT/%a/" \
		sqlite3 "$W/ms2.db" "SELECT DISTINCT target FROM deliveries"
	check "... verify with the same option agrees" "$MF" verify caldav --db "$W/ms2.db" \
		--url "${U}nowhere/" --admin "$A" --password-file "$T/pw" --dav-discover yes
	check "the password appears in no output and no run row" sh -c '
		! grep -r -F -q -e "$2" "$1"/*.txt "$1"/*.json &&
		for db in wiz ms ms2; do
			[ "$(sqlite3 "$1/$db.db" "select count(*) from runs where instr(ifnull(options, \"\") || ifnull(summary, \"\"), \"$2\")")" = 0 ] || exit 1
		done' _ "$W" "$RADICALE_ADMIN_PASSWORD"
	radicale_stop
else
	_result 1 "Radicale starts (discovery)"
fi
finish
