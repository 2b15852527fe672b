#!/bin/sh
# exchange.sh: the Exchange migration files exporter end to end on the
# bundled samples: every mailbox has its MAILMESSAGE section (the empty ones
# too, also with --no-mail), message lines equal staged messages, every
# attachment reads back through the pointers with its staged sha256; the set
# is valid for `inspect exchange`; re-runs write nothing twice; a deleted
# output folder is written again in full.
. "$(dirname "$0")/lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
CHECK="$SRC/tests/lib/exchange_check.py"
DB="$T/stage.db"

n=0
for s in ccmail msmail; do
	if [ -d "$SRC/docs/sample/$s" ] && "$MF" formats | grep -q "^  $s *built"; then
		check "import the $s sample" "$MF" import $s --db "$DB" --quiet "$SRC/docs/sample/$s"
		n=$((n + 1))
	fi
done
check "at least one sample was imported" test "$n" -gt 0

check "export exchange" "$MF" export exchange --db "$DB" --out "$T/x" --quiet
check "inspect exchange finds the sets valid" "$MF" inspect exchange "$T/x"
"$MF" inspect exchange --json "$T/x" > "$T/x.json" 2>"$T/x.err"
check "sections, lines and attachment bytes match the staging data" "$PY" "$CHECK" "$DB" "$T/x.json"
check "one set folder per post office" sh -c '[ "$(ls "'"$T"'/x" | grep -c "\.001$")" -eq '"$n"' ]'

# nothing new: nothing written
find "$T/x" -type f -exec sha256sum {} + | sort > "$T/before"
check "a re-run succeeds" "$MF" export exchange --db "$DB" --out "$T/x" --quiet
find "$T/x" -type f -exec sha256sum {} + | sort > "$T/after"
check "a re-run changes no file and adds none" cmp -s "$T/before" "$T/after"

# the output folder deleted: everything is written again
rm -rf "$T/x"
check "export into the deleted folder again" "$MF" export exchange --db "$DB" --out "$T/x" --quiet
"$MF" inspect exchange --json "$T/x" > "$T/x2.json" 2>/dev/null
check "the new set holds everything" "$PY" "$CHECK" "$DB" "$T/x2.json"

# --no-mail: a MAILMESSAGE section for every mailbox, no message line
check "export exchange --no-mail" "$MF" export exchange --db "$DB" --out "$T/nomail" --no-mail --quiet
"$MF" inspect exchange --json "$T/nomail" > "$T/n.json" 2>/dev/null
check "--no-mail: every mailbox has its section, no message" "$PY" -c '
import json, sqlite3, sys
rep = json.load(open(sys.argv[2]))
db = sqlite3.connect(sys.argv[1])
args = [s["argument"] for st in rep["sets"] for s in st["sections"] if s["kind"] == "MAILMESSAGE"]
want = [a for (a,) in db.execute("SELECT source_address FROM mailboxes WHERE kind = \"mailbox\"")]
msgs = sum(len(st["messages"]) for st in rep["sets"])
missing = [a for a in want if a not in args]
print("missing:", missing, "messages:", msgs)
sys.exit(1 if missing or msgs else 0)' "$DB" "$T/n.json"

# the plan converts an existing custom recipient into Anna's mailbox: her
# MAILMESSAGE section does it, so DIRECTRY.PRI must not create her (Event 238)
if "$MF" formats | grep -q "^  ccmail *built"; then
	P="$T/plan.db"
	"$MF" import ccmail --db "$P" --quiet "$SRC/docs/sample/ccmail" >/dev/null 2>&1
	printf 'class,alias,display_name,proxy_addresses\r\ncustom,ALindqvist,Anna Lindqvist,"SMTP:anna@example.com;CCMAIL:Lindqvist, Anna at SALES01"\r\n' > "$T/gal.csv"
	check "import the target directory" "$MF" import directory --db "$P" --quiet "$T/gal.csv"
	check "plan" "$MF" plan --db "$P"
	check "export with the plan" "$MF" export exchange --db "$P" --out "$T/conv" --quiet
	check "no DIRECTORY line for the converted mailbox" sh -c \
		"! grep -q 'Lindqvist, Anna' '$T'/conv/SALES01.001/DIRECTRY.PRI"
	check "the other mailboxes are created" grep -q "^mailbox,create,OkaforC," "$T/conv/SALES01.001/DIRECTRY.PRI"
	check "but her MAILMESSAGE section is there, under the custom recipient's alias" sh -c \
		"grep -l '^MAILMESSAGE,\"CCMAIL:Lindqvist, Anna at SALES01\"' '$T'/conv/SALES01.001/*.PRI |
		 xargs head -n 1 | grep -q '^! mailferry: mailbox ALindqvist new'"
fi

# a damaged set is reported, with the file and offset
sec=$(ls "$T"/x/*.001/00000001.SEC | head -n 1)
printf 'garbage' >> "$sec"
check_exit 1 "inspect exchange rejects a damaged secondary file" "$MF" inspect exchange "$T/x"
check_grep "the problem names the file and the offset" "00000001.SEC: offset" "$T/.err"
finish
