#!/bin/sh
# queryplan.sh: the query-plan guard (issue 15).  Two stores are populated
# by the same commands, from a small corpus and a ten times larger one (the
# samples, a generated cc:Mail set with a large directory from
# tests/cli/queryplan-dir.py, a generated MS Mail bundle, a target
# directory snapshot): both importers, the directory import, plan, check,
# status, report (and report --merge, whose joined database is kept for the
# guard: MAILFERRY_REPORT_DB_KEEP), every file exporter and each export
# again (resume), and verify of each.
# MAILFERRY_SQL_LOG collects every statement those commands run
# (core/store.c), and tests/tools/queryplan.py fails on any full pass over
# a table that grows with the data - a SCAN, an automatic index, or a
# look-up by a key that does not narrow - unless tests/cli/queryplan.allow
# lists it as a deliberate whole-table pass, with its reason.
#
# The guard itself is shown to catch such look-ups first: a statement
# that finds a directory name through the (source, kind) index - the
# cc:Mail import's directory look-up that was quadratic (issue 15:
# SQL_DIR_EXISTS, "SELECT 1 FROM dir_entries WHERE source_id = ?1 AND name
# = ?2 ... AND kind IN (...)", once per directory entry) - and a plain
# scan, while a look-up by mailbox passes.
#
# Plans do not depend on the build: the sanitizer variant does not run it.
. "$(dirname "$0")/lib.sh"

case "${VARIANT:-normal}" in
normal) ;;
*) echo "(query plans are the same in every build: run by the normal build only)"
   _result 0 "query-plan guard: normal build only"; finish ;;
esac
G="${BUILD:?}/tools"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
QP="$SRC/tests/tools/queryplan.py"
ALLOW="$SRC/tests/cli/queryplan.allow"

# populate DIR USERS MESSAGES: DIR/s.db, every statement run in DIR/sql.log
populate() {
	d=$1 u=$2 m=$3
	mkdir -p "$d"
	"$G/gen-ccmail" --users "$u" --messages "$m" --attach-max 4096 --bboards 2 --edge "$d/cc" >/dev/null &&
	"$PY" "$SRC/tests/cli/queryplan-dir.py" ccmail "$d/cc" --local $((u * 10)) --remote $((u * 5 / 2)) \
		--aliases $((u / 2)) --lists $((u / 2)) --members 25 >/dev/null &&
	"$G/gen-msmail" --users "$u" --messages "$m" --attach-max 4096 --calendar-pct 30 "$d/ms" >/dev/null &&
	"$PY" - "$d/gal.csv" "$u" <<'PYEOF' || return 1
import sys
# a target directory: every tenth local user already has a custom recipient
with open(sys.argv[1], "w") as f:
    f.write("class,alias,display_name,proxy_addresses\n")
    for i in range(0, int(sys.argv[2]) * 10, 10):
        f.write('custom,DL%06d,"Dirlocal%06d, User","SMTP:dl%06d@target.example;'
                'CCMAIL:Dirlocal%06d, User at GENPO"\n' % (i, i, i, i))
PYEOF
	db="$d/s.db"
	(
		export MAILFERRY_SQL_LOG="$d/sql.log"
		set -e
		"$MF" import ccmail --db "$db" --quiet "$SRC/docs/sample/ccmail"
		"$MF" import ccmail --db "$db" --quiet "$d/cc"
		"$MF" import msmail --db "$db" --quiet "$SRC/docs/sample/msmail"
		"$MF" import msmail --db "$db" --quiet "$d/ms"
		"$MF" import directory --db "$db" --quiet "$d/gal.csv"
		"$MF" import ccmail --db "$db" --quiet "$d/cc"     # again: nothing new
		"$MF" plan --db "$db" >/dev/null || [ $? -eq 1 ]
		"$MF" plan --db "$db" --json >/dev/null || [ $? -eq 1 ]
		"$MF" check --db "$db" >/dev/null || [ $? -eq 1 ]
		"$MF" check --db "$db" maildir --out "$d/maildir" >/dev/null || [ $? -eq 1 ]
		for f in maildir mbox eml ics exchange; do
			"$MF" export $f --db "$db" --out "$d/$f" --quiet || [ $? -eq 1 ]
			"$MF" export $f --db "$db" --out "$d/$f" --quiet || [ $? -eq 1 ]
			"$MF" verify $f --db "$db" --out "$d/$f" >/dev/null || [ $? -eq 1 ]
		done
		"$MF" status --db "$db" >/dev/null
		"$MF" status --db "$db" --json >/dev/null
		"$MF" report --db "$db" --html "$d/report.html" --json="$d/report.json" >/dev/null
		# the report's joined database (core/store_report.c) is kept for the
		# guard to plan its statements against; a merge (the store twice)
		# runs the statements that join a second database
		MAILFERRY_REPORT_DB_KEEP="$d/report.db" "$MF" report --merge "$db" "$db" \
			--html "$d/merge.html" --json="$d/merge.json" >/dev/null
	) >"$d/run.log" 2>&1
}

check "the small store (20 users, about 700 directory entries) is populated" populate "$T/small" 20 200
sed 's/^/  | /' "$T/small/run.log" | tail -n 5
check "the large store (200 users, about 7,000 directory entries) is populated" populate "$T/large" 200 2000
sed 's/^/  | /' "$T/large/run.log" | tail -n 5
# the IMAP exporter's statements: check, export (twice: resume) and verify
# of two sample mailboxes on the large store, against a private Dovecot
# (their plans are judged against the whole stores like every other's)
. "$SRC/tests/lib/dovecot.sh"
if dovecot_available && dovecot_start "$T/mail" "$T/public"; then
	printf '%s\n' "$DOVECOT_MASTER_PASSWORD" > "$T/pw"
	imap_all() {
		set -- --url "imap://127.0.0.1:$DOVECOT_PORT" --admin "$DOVECOT_MASTER" --password-file "$T/pw" \
			--login-format '%u*%a' --mailbox LindqvistA --mailbox Announcements
		export MAILFERRY_SQL_LOG="$T/large/sql.log"
		# (exit 1: finished with problems, as the large store's plan has)
		{ "$MF" check --db "$T/large/s.db" imap "$@" || [ $? -eq 1 ]; } &&
		{ "$MF" export imap --db "$T/large/s.db" --quiet "$@" || [ $? -eq 1 ]; } &&
		{ "$MF" export imap --db "$T/large/s.db" --quiet "$@" || [ $? -eq 1 ]; } &&
		"$MF" verify imap --db "$T/large/s.db" "$@"
		rc=$?
		unset MAILFERRY_SQL_LOG
		return $rc
	}
	check "the IMAP statements: check, export twice and verify of two mailboxes" imap_all
	dovecot_stop
else
	_result 1 "Dovecot (dovecot-imapd) starts for the IMAP statements (scripts/install-deps.sh)"
fi
check "the statements were collected (MAILFERRY_SQL_LOG)" sh -c \
	'[ "$(tr "\0" "\n" < "$1" | grep -c -i "^select")" -ge 50 ]' sh "$T/large/sql.log"
# the report's statements over its joined database are collected too (they
# were not while cli/report.c held its own connection)
check_out "the report's statements over its joined database were collected" "5 3 1" sh -c '
	tr "\0" "\n" < "$1" | sort -u | grep -c "FROM mbox m LEFT JOIN tm t\|^SELECT done, delivered FROM tm \|^SELECT 1 FROM prob WHERE db <> \|^SELECT severity, code, count(\*) FROM prob\|^SELECT alias, file, offset, text FROM prob" | tr "\n" " "
	tr "\0" "\n" < "$1" | sort -u | grep -c "^INSERT INTO prob \|^INSERT OR REPLACE INTO tm \|^INSERT OR IGNORE INTO mbox " | tr "\n" " "
	[ -s "$2" ] && echo 1' sh "$T/large/sql.log" "$T/large/report.db"

# ---- the guard catches what it must ----
# (INDEXED BY: the look-up through the (source, kind) index, whatever other
# index a fix adds)
printf 'SELECT 1 FROM dir_entries INDEXED BY dir_entries_source WHERE source_id = ?1 AND name = ?2 COLLATE NOCASE AND kind IN (%s) LIMIT 1\0' \
	"'user', 'custom', 'postoffice'" > "$T/bad.log"
printf 'SELECT id FROM mailboxes WHERE comments = ?1\0' >> "$T/bad.log"
printf 'SELECT id FROM messages WHERE mailbox_id = ?1 ORDER BY id\0' >> "$T/bad.log"
: > "$T/empty.allow"
"$PY" "$QP" --small "$T/small/s.db" --large "$T/large/s.db" --allow "$T/empty.allow" "$T/bad.log" > "$T/bad.out" 2>&1
rc=$?
sed 's/^/  | /' "$T/bad.out" | grep -v "SQL:\|list it" | head -n 12
check_out "the guard fails a directory look-up through (source, kind) and a scan of mailboxes, not a look-up by mailbox" \
	"1
dir_entries look-up by a key that does not narrow with the data
mailboxes full scan
3 statements planned, 0 whole-table passes listed, 2 failures" sh -c '
	echo "$1"
	sed -n "s/^FAIL [0-9a-f]*: \(.*\) of \([a-z_]*\) (plan.*/\2 \1/p" "$2" | sed "s/ (.*//"
	tail -n 1 "$2"' sh "$rc" "$T/bad.out"

h=$(sed -n "s/^FAIL \([0-9a-f]*\): full scan of mailboxes .*/\1/p" "$T/bad.out")
printf '%s\tmailboxes\tonce per command: a test of the allow list\n' "$h" > "$T/one.allow"
check_out "a listed whole-table pass passes, the rest still fails" "1 failures" sh -c \
	'"$1" "$2" --small "$3/small/s.db" --large "$3/large/s.db" --allow "$3/one.allow" "$3/bad.log" |
	tail -n 1 | sed "s/.*listed, //"' sh "$PY" "$QP" "$T"
printf '%s\tmailboxes\t\n' "$h" > "$T/noreason.allow"
check_exit 1 "an allow-list line without a reason is refused" \
	"$PY" "$QP" --small "$T/small/s.db" --large "$T/large/s.db" --allow "$T/noreason.allow" "$T/bad.log"
check_grep "... saying so" "a reason of 10 characters or more" "$T/.out"

# ---- every statement mailferry ran ----
"$PY" "$QP" --small "$T/small/s.db" --large "$T/large/s.db" --allow "$ALLOW" \
	--extra "$T/small/report.db" "$T/large/report.db" \
	"$T/small/sql.log" "$T/large/sql.log" > "$T/guard.out" 2>&1
rc=$?
grep -v "^whole-table pass" "$T/guard.out" | sed 's/^/  | /'
_result $rc "no full pass over a growing table outside the listed whole-table passes (tests/cli/queryplan.allow)"

finish
