#!/bin/sh
# imap_preflight.sh: the IMAP preflight (`mailferry check ... imap`) when
# public mailboxes would be written by an admin that is only a master user
# (a private Dovecot, tests/lib/dovecot.sh, DOVECOT_MASTER_ONLY=1).  Public
# mailboxes are written by the admin's own login, which --login-format does
# not change, so the check must not suggest --login-format (it is given);
# it names the fixes that work, and each of them is shown to work here:
#  - leave the public mailboxes out with a mailbox selection;
#  - a shared (public) namespace written by an ordinary user as --admin, in
#    a run of the public mailboxes alone;
#  - the admin made an ordinary user too.
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib/dovecot.sh"

if ! dovecot_available; then
	_result 1 "Dovecot (dovecot-imapd) is installed (scripts/install-deps.sh)"
	finish
fi
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

DOVECOT_MASTER_ONLY=1 dovecot_start "$T/mail" "$T/public" || {
	_result 1 "Dovecot starts (the admin only a master user)"
	finish
}
URL="imap://127.0.0.1:$DOVECOT_PORT"
printf '%s\n' "$DOVECOT_MASTER_PASSWORD" > "$T/pw"
printf '%s\n' "$DOVECOT_PASSWORD" > "$T/pw-user"
check "import the cc:Mail sample (6 personal mailboxes, 2 public)" \
	"$MF" import ccmail --db "$T/s.db" --quiet "$SRC/docs/sample/ccmail"
sqlite3 "$T/s.db" "select alias from mailboxes where kind != 'public' order by alias" > "$T/personal"
check_out "the sample has the public mailboxes Announcements and Social" "Announcements Social" \
	sh -c 'sqlite3 "$1" "select alias from mailboxes where kind = '"'public'"' order by alias" | tr "\n" " " | sed "s/ $//"' sh "$T/s.db"

# ---- the refusal names the fixes ----
check_exit 1 "check as a master-only admin with --login-format: exit 1" \
	"$MF" check --db "$T/s.db" --json imap --url "$URL" --admin "$DOVECOT_MASTER" \
	--password-file "$T/pw" --login-format '%u*%a'
cp "$T/.out" "$T/check.json"
cat > "$T/refused.py" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
refused = [i for i in r["items"] if i["code"] == "check.target-refused"]
print("refused: " + " ".join(sorted(i["alias"] for i in refused)))
for i in sorted(refused, key=lambda i: i["alias"]):
    t = i["text"]
    fixes = [f for f, words in (("ordinary-user", "make '%s' an ordinary user too" % sys.argv[2]),
                                ("shared-namespace", "a shared namespace"),
                                ("selection", "leave them out with a mailbox selection (--mailbox, --mailboxes-from)"))
             if words in t]
    print("%s: %s; login-format suggested: %s; public named: %s" % (
        i["alias"], "+".join(fixes), "--login-format" in t,
        ("public mailbox '%s'" % i["alias"]) in t))
PYEOF
check_out "only the public mailboxes are refused, each naming the three fixes and not --login-format" \
"refused: Announcements Social
Announcements: ordinary-user+shared-namespace+selection; login-format suggested: False; public named: True
Social: ordinary-user+shared-namespace+selection; login-format suggested: False; public named: True" \
	"$PY" "$T/refused.py" "$T/check.json" "$DOVECOT_MASTER"

# ---- fix: leave the public mailboxes out with a mailbox selection ----
check "check with --mailboxes-from the personal mailboxes: passes" \
	"$MF" check --db "$T/s.db" imap --url "$URL" --admin "$DOVECOT_MASTER" \
	--password-file "$T/pw" --login-format '%u*%a' --mailboxes-from "$T/personal"
check "... and they export" "$MF" export imap --db "$T/s.db" --url "$URL" --admin "$DOVECOT_MASTER" \
	--password-file "$T/pw" --login-format '%u*%a' --mailboxes-from "$T/personal" --quiet

# ---- fix: the shared (public) namespace, written by an ordinary user ----
check "check of the public mailboxes with --admin an ordinary user: passes" \
	"$MF" check --db "$T/s.db" imap --url "$URL" --admin "$DOVECOT_USER" \
	--password-file "$T/pw-user" --mailbox Announcements --mailbox Social
check "... and they export" "$MF" export imap --db "$T/s.db" --url "$URL" --admin "$DOVECOT_USER" \
	--password-file "$T/pw-user" --mailbox Announcements --mailbox Social --quiet
check_out "Announcements is in the server's public namespace with every staged message" \
	"$(sqlite3 "$T/s.db" "select count(*) from messages m join mailboxes b on b.id = m.mailbox_id where b.alias = 'Announcements'")" \
	sh -c "find '$T/public/.Announcements' -path '*/cur/*' -o -path '*/new/*' | grep -c ."
check_out "the two runs delivered the sample's 23 messages, none failed" "23 0" \
	sqlite3 "$T/s.db" "select (select count(*) from deliveries where item_kind = 'message' and status = 'delivered') || ' ' || (select count(*) from deliveries where status = 'failed')"
dovecot_stop

# ---- fix: the admin an ordinary user too ----
dovecot_start "$T/mail2" "$T/public2" || { _result 1 "Dovecot starts again (the admin an ordinary user too)"; finish; }
URL="imap://127.0.0.1:$DOVECOT_PORT"
check "with the admin an ordinary user too, the check of every mailbox passes" \
	"$MF" check --db "$T/s.db" imap --url "$URL" --admin "$DOVECOT_MASTER" \
	--password-file "$T/pw" --login-format '%u*%a'
check "... and its JSON has no refusal" sh -c '! grep -q "check.target-refused" "$1"' sh "$T/.out"

finish
