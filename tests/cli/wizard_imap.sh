#!/bin/sh
# wizard_imap.sh: the wizard and batch offer the IMAP target (server URL,
# admin, password file, login format): piped answers migrate the sample
# cc:Mail post office into a private Dovecot, a batch job does the same for
# the MS Mail bundle, and `mailferry verify imap` finds every message there.
# The password is read from its file and appears in no output or run row.
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib/dovecot.sh"

if ! "$MF" formats | grep -q '^  imap *built'; then
	_result 1 "the IMAP exporter is built"
	finish
fi
if ! dovecot_available; then
	_result 1 "Dovecot (dovecot-imapd) is installed (scripts/install-deps.sh)"
	finish
fi
dovecot_start "$T/mail" "$T/public" || { _result 1 "Dovecot starts"; finish; }
W="$T/w"
mkdir -p "$W"
ln -s "$SRC/docs" "$W/docs"
umask 077
printf '%s\n' "$DOVECOT_MASTER_PASSWORD" > "$W/admin.pw"
URL="imap://127.0.0.1:$DOVECOT_PORT"

# ---- the wizard, piped answers ----
printf '%s\n' "$SRC/docs/sample/ccmail" "" cc.db "" "" all imap "$URL" "$DOVECOT_MASTER" admin.pw \
	'%u*%a' no mail "" "" "" yes > "$W/answers"
check "wizard: piped answers migrate the sample into IMAP" sh -c \
	'cd "$1" && "$2" wizard < answers > wiz.txt 2>&1' sh "$W" "$MF"
check_grep "wizard: asked for the server" "IMAP server URL \[imaps://localhost\]: $URL" "$W/wiz.txt"
check_grep "wizard: asked for the admin" "Admin user \[admin\]: $DOVECOT_MASTER" "$W/wiz.txt"
check_grep "wizard: asked for the password file" "Password file (empty: \$MAILFERRY_PASSWORD): admin.pw" "$W/wiz.txt"
check_grep "wizard: the expected summary" "Summary: 8 mailboxes migrated to imap, 23 messages delivered (0 already there), 0 failed" "$W/wiz.txt"
check_grep "wizard: the equivalent command names the password file, not the password" \
	"mailferry export imap --db cc.db --url $URL --admin $DOVECOT_MASTER --password-file admin.pw --login-format '%u\*%a'" "$W/wiz.txt"
check "verify imap finds every message of the wizard's run" "$MF" verify imap --db "$W/cc.db" --url "$URL" \
	--admin "$DOVECOT_MASTER" --password-file "$W/admin.pw" --login-format '%u*%a'

# ---- batch, an IMAP job ----
cat > "$W/jobs.ini" <<JEOF
[hqpo]
path = docs/sample/msmail
db = ms.db
target = imap
url = $URL
admin = $DOVECOT_MASTER
password_file = admin.pw
login_format = %u*%a
JEOF
check "batch: an IMAP job completes" sh -c 'cd "$1" && "$2" batch jobs.ini --json > batch.json' sh "$W" "$MF"
check_grep "batch: the job delivered the bundle's 12 messages" \
	'"event":"job_end","job":"hqpo","status":"ok","error":null,"mailboxes":6,"delivered":12' "$W/batch.json"
check "verify imap finds every message of the batch job" "$MF" verify imap --db "$W/ms.db" --url "$URL" \
	--admin "$DOVECOT_MASTER" --password-file "$W/admin.pw" --login-format '%u*%a'
check "the password appears in no output and no staging database" sh -c '
	! grep -r -F -q -e "$2" "$1"/*.txt "$1"/*.json &&
	[ "$(sqlite3 "$1/cc.db" "select count(*) from runs where instr(ifnull(options, \"\") || ifnull(summary, \"\"), \"$2\")")" = 0 ] &&
	[ "$(sqlite3 "$1/ms.db" "select count(*) from runs where instr(ifnull(options, \"\") || ifnull(summary, \"\"), \"$2\")")" = 0 ]' \
	sh "$W" "$DOVECOT_MASTER_PASSWORD"

finish
