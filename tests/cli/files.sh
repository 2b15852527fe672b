#!/bin/sh
# files.sh: the file exporters (maildir, mbox, eml, ics) end to end: export
# a staged store built by tests/tools/files-stage, read the results back with
# Python's mailbox/email/icalendar and a private Dovecot, re-run, resume
# after a simulated crash, and check nothing lands outside the output folder.
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib/dovecot.sh"

: "${BUILD:=$SRC/build}"
STAGE_TOOL="$BUILD/tools/files-stage"
# Debian's python3 has python3-icalendar; a python3 earlier in PATH may not.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
CHECK="$SRC/tests/lib/files_check.py"
DB="$T/stage.db"

check "stage the test data" "$STAGE_TOOL" "$DB"

# ---- export each format, read it back ----
for f in maildir mbox eml; do
	check "export $f" "$MF" export $f --db "$DB" --out "$T/$f" --quiet
	check "$f: read back by Python against the stage" "$PY" "$CHECK" $f "$DB" "$T/$f"
done
# the stage holds one damaged calendar item: refused, so the run ends with 1
check_exit 1 "export ics (one damaged calendar item: exit 1)" \
	"$MF" export ics --db "$DB" --out "$T/ics" --quiet
check "ics: read back by Python against the stage" "$PY" "$CHECK" ics "$DB" "$T/ics"
check_grep "ics: a damaged calendar item is a problem" "ics.invalid-item" \
	"$(sqlite3 "$DB" "select code from problems" > "$T/codes"; echo "$T/codes")"

# ---- the Maildir in Dovecot ----
if dovecot_available; then
	cp -a "$T/maildir" "$T/dovecot-mail"
	if dovecot_start "$T/dovecot-mail" "$T/dovecot-mail/public"; then
		check "maildir: Dovecot counts every folder (IMAP)" "$PY" "$CHECK" imap "$DB" \
			"$T/dovecot-mail" "$DOVECOT_PORT" "$DOVECOT_MASTER" "$DOVECOT_MASTER_PASSWORD"
		dovecot_stop
	else
		_result 1 "maildir: Dovecot starts"
	fi
else
	_result 1 "maildir: Dovecot (dovecot-imapd) is installed (scripts/install-deps.sh)"
fi

# ---- nothing outside DIR, hostile names made safe ----
check "no file outside the output folders" sh -c '
	cd "$1" && [ -z "$(find . -name passwd -not -path "./maildir/*" -not -path "./mbox/*" \
		-not -path "./eml/*" -not -path "./ics/*" -not -path "./dovecot-*")" ] &&
	[ ! -e "$1/etc" ] && [ ! -e "$1/../etc/passwd.eml" ]' sh "$T"
check "eml: a subject '../../etc/passwd' names a file inside DIR" sh -c '
	f=$(find "$1/eml" -name "*passwd*.eml") && [ -n "$f" ] &&
	case "$(realpath "$f")" in "$(realpath "$1/eml")"/*) true ;; *) false ;; esac' sh "$T"
check "maildir: folder ../../etc (staged with backslashes) stays inside DIR" test -d "$T/maildir/LindqvistA/.__.__.etc/cur"
check "mbox: folder ../../etc (staged with backslashes) stays inside DIR" test -f "$T/mbox/LindqvistA/_/_/etc.mbox"
check "every name under DIR is at most 255 bytes" sh -c '
	find "$1" -exec basename {} \; | awk "length(\$0) > 255 { bad = 1 } END { exit bad }"' sh "$T"

# ---- a second run adds nothing and changes nothing ----
for f in maildir mbox eml ics; do
	cp -a "$T/$f" "$T/$f.before"
	check_out "$f: a re-run delivers nothing" "0 0" sh -c \
		'"$1" export '$f' --db "$2" --out "$3" --json | "$4" -c "import json, sys
t = json.load(sys.stdin)[\"totals\"]
print(t[\"delivered\"], t[\"calendar_items\"])"' sh "$MF" "$DB" "$T/$f" "$PY"
	check "$f: a re-run leaves the files as they were" diff -r "$T/$f.before" "$T/$f"
done

# ---- the same stage exported twice gives the same bytes ----
check "maildir: a second export is byte-identical" sh -c '
	"$1" export maildir --db "$2" --out "$3/again" --quiet >/dev/null &&
	diff -r -x .mailferry-target "$3/maildir" "$3/again"' sh "$MF" "$DB" "$T"

# ---- resume after a crash between write and ledger ----
# mbox: the ledger forgets the last two Inbox messages of LindqvistA and the
# file gets half a message of garbage: the re-run cuts back and rewrites.
mb="$T/mbox/LindqvistA/Inbox.mbox"
cp "$mb" "$T/inbox.mbox.good"
sqlite3 "$DB" "DELETE FROM deliveries WHERE target LIKE 'mbox:%' AND item_kind IN ('message', 'mailbox')
	AND item_id IN (SELECT id FROM messages WHERE mailbox_id = (SELECT id FROM mailboxes WHERE alias = 'LindqvistA')
	AND folder_id = (SELECT id FROM folders WHERE path = 'Inbox' AND mailbox_id = messages.mailbox_id)
	ORDER BY coalesce(sent_utc, received_utc) DESC LIMIT 2)"
printf 'From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: half\n' >> "$mb"
check "mbox: resume after a crash" "$MF" export mbox --db "$DB" --out "$T/mbox" --quiet
check "mbox: the file is as before the crash" cmp "$T/inbox.mbox.good" "$mb"
check "mbox: Python still reads it" "$PY" "$CHECK" mbox "$DB" "$T/mbox"
check_grep "mbox: the cut is recorded" "mbox.cut-back" \
	"$(sqlite3 "$DB" "select code from problems" > "$T/codes2"; echo "$T/codes2")"

# maildir and eml: forgetting deliveries re-writes the same names, no copies
for f in maildir eml; do
	n1=$(find "$T/$f" -type f | wc -l)
	sqlite3 "$DB" "DELETE FROM deliveries WHERE target LIKE '$f:%'"
	check "$f: re-delivery after a lost ledger" "$MF" export $f --db "$DB" --out "$T/$f" --quiet
	check_out "$f: no duplicates after re-delivery" "$n1" sh -c 'find "$1" -type f | wc -l' sh "$T/$f"
	check "$f: still reads back" "$PY" "$CHECK" $f "$DB" "$T/$f"
done

# ---- --keep-raw-headers attaches the header block ----
check "eml --keep-raw-headers" "$MF" export eml --db "$DB" --out "$T/raw" --keep-raw-headers --quiet
check "eml --keep-raw-headers: source-header.txt attached" sh -c '
	grep -l "source-header.txt" -r "$1" | grep -q .' sh "$T/raw"

# ---- the sample post offices, when they are in the tree ----
for src in ccmail msmail; do
	[ -d "$SRC/docs/sample/$src" ] || continue
	sdb="$T/sample-$src.db"
	check "sample $src: import" "$MF" import $src --db "$sdb" "$SRC/docs/sample/$src"
	for f in maildir mbox eml ics; do
		check "sample $src: export $f" "$MF" export $f --db "$sdb" --out "$T/s-$src-$f" --quiet
		check "sample $src: $f read back by Python" "$PY" "$CHECK" $f "$sdb" "$T/s-$src-$f"
	done
	if dovecot_available && dovecot_start "$T/s-$src-maildir" "$T/s-$src-maildir/public"; then
		check "sample $src: Dovecot counts every folder (IMAP)" "$PY" "$CHECK" imap "$sdb" \
			"$T/s-$src-maildir" "$DOVECOT_PORT" "$DOVECOT_MASTER" "$DOVECOT_MASTER_PASSWORD"
		dovecot_stop
	else
		_result 1 "sample $src: Dovecot starts"
	fi
done

finish
