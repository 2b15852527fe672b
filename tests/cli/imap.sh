#!/bin/sh
# imap.sh: `mailferry export imap` and `mailferry verify imap` against real
# Dovecot 2.3 servers started here (tests/lib/dovecot.sh), with TLS, a
# master user, SPECIAL-USE folders and a public namespace.
#
#  - the sample cc:Mail and MS Mail data pushed over TLS, then verify:
#    every message byte-identical, INTERNALDATE = source date, flags,
#    every mailbox and folder there (the empty ones too); verify notices
#    a changed flag and a missing message;
#  - two exports at once: every message exactly once;
#  - SIGKILL at random points, resumed each time: no duplicate, no loss;
#  - the connection dropped in the middle of an APPEND (a proxy): the run
#    reconnects and ends with every message delivered exactly once;
#  - the server answers NO to one message: it is refused and recorded, the
#    others are delivered exactly once.
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib/dovecot.sh"

if ! dovecot_available; then
	_result 1 "Dovecot (dovecot-imapd) is installed (scripts/install-deps.sh)"
	finish
fi
G="${BUILD:?}/tools/gen-ccmail"
PY=python3
rnd() { echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 )); }

# mf_push DB PORT [options]: export imap as the master user
mf_push() {
	db=$1 port=$2
	shift 2
	"$MF" export imap --db "$db" --url "imap://127.0.0.1:$port" --admin "$DOVECOT_MASTER" \
		--password-file "$T/pw" --login-format '%u*%a' --quiet "$@"
}
mf_verify() {
	db=$1 port=$2
	shift 2
	"$MF" verify imap --db "$db" --url "imap://127.0.0.1:$port" --admin "$DOVECOT_MASTER" \
		--password-file "$T/pw" --login-format '%u*%a' "$@"
}
# messages stored for a user in a Dovecot maildir root (all folders)
stored() { find "$1/$2" -path '*/cur/*' -o -path '*/new/*' 2>/dev/null | grep -c . ; }

# ---- 1. the sample data, over TLS ----
DOVECOT_SPECIAL_USE=1 DOVECOT_TLS=1 dovecot_start "$T/mail" "$T/public" || {
	_result 1 "Dovecot starts"
	finish
}
printf '%s\n' "$DOVECOT_MASTER_PASSWORD" > "$T/pw"
A_PORT=$DOVECOT_PORT
A_TLS=$DOVECOT_TLS_PORT
A_CA=$DOVECOT_CA
"$MF" import ccmail --db "$T/s.db" --quiet "$SRC/docs/sample/ccmail" >/dev/null 2>&1
"$MF" import msmail --db "$T/s.db" --quiet "$SRC/docs/sample/msmail" >/dev/null 2>&1

check_exit 3 "imaps: an untrusted certificate is refused by default" \
	"$MF" export imap --db "$T/s.db" --url "imaps://127.0.0.1:$A_TLS" --admin "$DOVECOT_MASTER" \
	--password-file "$T/pw" --login-format '%u*%a' --quiet
check_grep "... and the error says why" "not trusted" "$T/.err"
check "imaps with the test CA trusted: the admin can act for every mailbox (check)" \
	env SSL_CERT_FILE="$A_CA" "$MF" check --db "$T/s.db" imap --url "imaps://127.0.0.1:$A_TLS" \
	--admin "$DOVECOT_MASTER" --password-file "$T/pw" --login-format '%u*%a'
check "the sample post offices pushed over STARTTLS (--jobs 3)" \
	env SSL_CERT_FILE="$A_CA" "$MF" export imap --db "$T/s.db" --url "imap://127.0.0.1:$A_PORT" \
	--starttls --admin "$DOVECOT_MASTER" --password-file "$T/pw" --login-format '%u*%a' --jobs 3 --json
cp "$T/.out" "$T/sample.json"
check_out "every staged message delivered, none refused" "35 0" \
	sqlite3 "$T/s.db" "select (select count(*) from deliveries where item_kind = 'message' and status = 'delivered') || ' ' || (select count(*) from deliveries where status = 'failed')"
check_out "each delivery carries its UIDVALIDITY:UID (UIDPLUS)" "0" \
	sqlite3 "$T/s.db" "select count(*) from deliveries where item_kind = 'message' and remote_id not glob '[0-9]*:[0-9]*'"
check "verify imap (over STARTTLS): every message, date, flag, folder and count matches" \
	env SSL_CERT_FILE="$A_CA" "$MF" verify imap --db "$T/s.db" --url "imap://127.0.0.1:$A_PORT" \
	--starttls --admin "$DOVECOT_MASTER" --password-file "$T/pw" --login-format '%u*%a'
check_grep "... having read back all 35 messages" "35 messages read back; 0 mismatches" "$T/.out"
check "every mailbox exists on the server, also those without mail" sh -c "
	for u in LindqvistA OkaforC BergA HolmL NilssonE SvenssonK Administrator RamirezE WeissJ \
		TanakaK LopezM DunnO; do [ -d '$T/mail/'\$u ] || { echo missing \$u; exit 1; }; done"
check "Sent Items went to the server's \\Sent folder (SPECIAL-USE)" sh -c "
	[ \$(ls '$T/mail/LindqvistA/.Sent/cur' | wc -l) -ge 1 ] && [ ! -d '$T/mail/LindqvistA/.Sent Items' ]"
check "folders below the top level are made with their parents" \
	test -d "$T/mail/LindqvistA/.Projects.Q2/cur"
check "bulletin boards went to the public namespace" sh -c "
	[ \$(find '$T/public/.Announcements' -path '*/cur/*' -o -path '*/new/*' | grep -c .) -eq 3 ]"
check "the password is in no run's options or output" sh -c "
	! sqlite3 '$T/s.db' 'select options, summary from runs' | grep -q '$DOVECOT_MASTER_PASSWORD' &&
	! grep -q '$DOVECOT_MASTER_PASSWORD' '$T/sample.json'"
check_out "a second run finds everything there and sends nothing" "0 35" \
	sh -c "'$MF' export imap --db '$T/s.db' --url 'imap://127.0.0.1:$A_PORT' --admin '$DOVECOT_MASTER' \
	--password-file '$T/pw' --login-format '%u*%a' --json | $PY -c 'import json,sys; t=json.load(sys.stdin)[\"totals\"]; print(t[\"delivered\"], t[\"already\"])'"
check_out "... and the server still holds each message once" "35" \
	sh -c "find '$T/mail' '$T/public' -path '*/cur/*' -o -path '*/new/*' | grep -c ."
# verify has teeth: a flag changed, a message removed
$PY - "$A_PORT" "$DOVECOT_MASTER" "$DOVECOT_MASTER_PASSWORD" <<'PYEOF' >/dev/null 2>&1
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("OkaforC*" + sys.argv[2], sys.argv[3])
m.select("INBOX")
m.uid("STORE", "1", "+FLAGS", "(\\Flagged)")
m.logout()
PYEOF
check_exit 1 "verify notices a flag that is not the source's" mf_verify "$T/s.db" "$A_PORT"
check_grep "... naming it" "OkaforC: message .*flags (.*flagged" "$T/.out"
$PY - "$A_PORT" "$DOVECOT_MASTER" "$DOVECOT_MASTER_PASSWORD" <<'PYEOF' >/dev/null 2>&1
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("OkaforC*" + sys.argv[2], sys.argv[3])
m.select("INBOX")
m.uid("STORE", "1", "-FLAGS", "(\\Flagged)")
m.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
m.expunge()
m.logout()
PYEOF
check_exit 1 "verify notices a missing message" mf_verify "$T/s.db" "$A_PORT"
check_grep "... by the folder's count" "OkaforC: folder 'Inbox' (INBOX) holds .* the plan has" "$T/.out"

# ---- 2. two exports at once ----
"$G" --users 5 --messages 250 --attach-pct 10 --seed 7 "$T/gen" >/dev/null
"$MF" import ccmail --db "$T/c.db" --quiet "$T/gen" >/dev/null 2>&1
cp "$T/c.db" "$T/k.db"
cp "$T/c.db" "$T/d.db"
cp "$T/c.db" "$T/n.db"
N=$(sqlite3 "$T/c.db" "select count(*) from messages where parent_id is null")
mf_push "$T/c.db" "$A_PORT" --jobs 2 >"$T/c1.out" 2>&1 &
p1=$!
mf_push "$T/c.db" "$A_PORT" --jobs 2 >"$T/c2.out" 2>&1 &
p2=$!   # (subshells: waited for, never killed)
wait $p1; r1=$?
wait $p2; r2=$?
check "two exports at once both finish (0, or 1 for mailboxes the other held)" \
	sh -c "[ $r1 -le 1 ] && [ $r2 -le 1 ]"
mf_push "$T/c.db" "$A_PORT" >/dev/null 2>&1
check "two exports at once: verify finds every message exactly once" mf_verify "$T/c.db" "$A_PORT"
check_out "... and the ledger one delivery per message" "$N" \
	sqlite3 "$T/c.db" "select count(*) from deliveries where item_kind = 'message' and status = 'delivered'"
dovecot_stop

# ---- 3. SIGKILL at random points ----
stored_k() { find "$T/mail-k" "$T/public-k" -path '*/cur/*' -o -path '*/new/*' 2>/dev/null | grep -c . ; }
dovecot_start "$T/mail-k" "$T/public-k" || { _result 1 "Dovecot starts again"; finish; }
i=0
partial=0
while [ $i -lt 6 ]; do
	# mailferry itself in the background (not a subshell), so the kill hits
	# it; killed once the server holds a random number more messages
	before=$(stored_k)
	want=$((before + 1 + $(rnd 60)))
	"$MF" export imap --db "$T/k.db" --url "imap://127.0.0.1:$DOVECOT_PORT" \
		--admin "$DOVECOT_MASTER" --password-file "$T/pw" --login-format '%u*%a' \
		--quiet --jobs 2 >/dev/null 2>&1 &
	p=$!
	w=0
	while [ "$(stored_k)" -lt "$want" ] && kill -0 $p 2>/dev/null && [ $w -lt 1500 ]; do
		sleep 0.02
		w=$((w + 1))
	done
	kill -KILL $p 2>/dev/null
	wait $p 2>/dev/null
	n=$(stored_k)
	[ "$n" -gt 0 ] && [ "$n" -lt "$N" ] && partial=$((partial + 1))
	i=$((i + 1))
done
check "the kills landed in the middle of the work" sh -c "[ $partial -gt 0 ]"
check "the run after 6 kills finishes" mf_push "$T/k.db" "$DOVECOT_PORT"
check "after the kills every message is on the server exactly once, intact" \
	mf_verify "$T/k.db" "$DOVECOT_PORT"
check_out "... and the server holds no other copy" "$N" \
	sh -c "find '$T/mail-k' '$T/public-k' -path '*/cur/*' -o -path '*/new/*' | grep -c ."

# ---- 4. the connection dropped in the middle of an APPEND ----
dovecot_stop
dovecot_start "$T/mail-d" "$T/public-d" || { _result 1 "Dovecot starts again"; finish; }
rm -f "$T/proxy.port"
$PY "$SRC/tests/lib/imap-proxy.py" "$T/proxy.port" "$DOVECOT_PORT" 60000 2 &
proxy=$!
i=0
while [ ! -s "$T/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PP=$(cat "$T/proxy.port")
check "a connection dropped twice mid-APPEND: the run reconnects and finishes" \
	mf_push "$T/d.db" "$PP" --jobs 1
check "... it recorded the reconnections" sh -c \
	"[ \$(sqlite3 '$T/d.db' \"select count(*) from problems where code = 'imap.reconnected'\") -ge 1 ]"
check "... and verify (through the proxy, which passes everything now) finds each message once, intact" \
	mf_verify "$T/d.db" "$PP"
kill $proxy 2>/dev/null
wait $proxy 2>/dev/null
check_out "... and the server holds every message exactly once" "$N" \
	sh -c "find '$T/mail-d' '$T/public-d' -path '*/cur/*' -o -path '*/new/*' | grep -c ."
check_out "... with no X-Mailferry-Id twice" "0" sh -c \
	"find '$T/mail-d' '$T/public-d' -type f \\( -path '*/cur/*' -o -path '*/new/*' \\) -exec grep -h '^X-Mailferry-Id:' {} + | sort | uniq -d | grep -c ."
dovecot_stop

# ---- 5. the server refuses one message ----
"$MF" export maildir --db "$T/n.db" --out "$T/md" --quiet >/dev/null 2>&1
big=$(find "$T/md" -type f -path '*/cur/*' | sed 's/.*,W=\([0-9]*\).*/\1/' | sort -n | tail -n 1)
second=$(find "$T/md" -type f -path '*/cur/*' | sed 's/.*,W=\([0-9]*\).*/\1/' | sort -n | tail -n 2 | head -n 1)
DOVECOT_MAX_MAIL_SIZE=$((big - 1)) dovecot_start "$T/mail-n" "$T/public-n" || { _result 1 "Dovecot starts again"; finish; }
check "the largest message differs in size from the next (test set-up)" sh -c "[ $second -lt $big ]"
check_exit 1 "the server answers NO to one message: the run goes on and exits 1" \
	mf_push "$T/n.db" "$DOVECOT_PORT" --jobs 2
check_out "exactly that one is refused, every other delivered" "1 $((N - 1))" \
	sqlite3 "$T/n.db" "select (select count(*) from deliveries where target like 'imap:%' and item_kind = 'message' and status = 'failed') || ' ' || (select count(*) from deliveries where target like 'imap:%' and item_kind = 'message' and status = 'delivered')"
check_out "the refusal is a problem on that message, with the server's words" "1" \
	sqlite3 "$T/n.db" "select count(*) from problems where code = 'export.refused' and message_id is not null and text like '%NO%'"
mf_verify "$T/n.db" "$DOVECOT_PORT" >"$T/n.verify" 2>&1
check_grep "verify reports the refused message as not delivered" "was not delivered (failed)" "$T/n.verify"
check_grep "... and nothing else" " 2 mismatches" "$T/n.verify"
check_out "the server holds each other message once" "$((N - 1))" \
	sh -c "find '$T/mail-n' '$T/public-n' -path '*/cur/*' -o -path '*/new/*' | grep -c ."
finish
