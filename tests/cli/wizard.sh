#!/bin/sh
# wizard.sh: `mailferry wizard` driven from start to finish in a real
# terminal (tmux send-keys and capture-pane) on the sample cc:Mail set into
# a Maildir, and with piped answers into Exchange files; both end with the
# expected summary.  Also: '?' help, a selection of some mailboxes, every
# answer from flags (--yes), the printed equivalent commands and job section
# run as printed, end of input, and Ctrl-C at a prompt and in the middle of
# the migration leaving the staging database consistent and resumable.
. "$(dirname "$0")/lib.sh"

: "${BUILD:=$SRC/build}"
SAMPLE="$SRC/docs/sample/ccmail"
SOCK="$T/tmux.sock"
tm() { tmux -S "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT INT TERM
count_maildir() { find "$1" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l; }

# ---- piped answers, into Exchange files ----
mkdir -p "$T/p"
cat > "$T/p/answers" <<EOF
$SAMPLE

stage.db


?
all
exchange
out/exchange


mail



yes
EOF
check "piped answers: the wizard migrates the sample into Exchange files" sh -c \
	'cd "$1" && "$2" wizard < answers > out.txt 2> err.txt' sh "$T/p" "$MF"
P="$T/p/out.txt"
check_grep "piped: the source was detected" "detected: ccmail" "$P"
check_grep "piped: what the import found" "found: 8 mailboxes (2 public folders), 23 messages, 0 calendar items; problems: 1 errors, 9 warnings, 3 info" "$P"
check_grep "piped: '?' printed the question's help" "numbers from the table above, ranges" "$P"
check_grep "piped: the preflight check ran" "check: 8 mailboxes: 0 errors" "$P"
check_grep "piped: the plan was shown and confirmed" "Migrate 8 mailboxes with 23 messages to exchange out/exchange \[yes\]: yes" "$P"
check_grep "piped: the expected summary" "Summary: 8 mailboxes migrated to exchange, 23 messages delivered (0 already there), 0 failed, 0 calendar items" "$P"
check_grep "piped: where the report is" "^Report: stage-report.html" "$P"
check "piped: the report was written" test -s "$T/p/stage-report.html"
check_grep "piped: one progress line per mailbox on stderr (not a terminal)" "^LindqvistA: 10 delivered, 0 already there, 0 failed" "$T/p/err.txt"
check "piped: the Exchange files pass 'inspect exchange'" "$MF" inspect exchange "$T/p/out/exchange"

# the equivalent command, as printed, in a fresh folder
line=$(sed -n '/^The same without questions:/{n;p;}' "$P" | sed 's/^  //')
check "piped: the equivalent command was printed" sh -c '[ -n "$1" ] && case "$1" in
	"mailferry wizard --yes --path "*" --source ccmail --db stage.db --target exchange --out out/exchange "*) true ;; *) false ;; esac' sh "$line"
mkdir -p "$T/again"
check "the printed command runs the same migration without questions" sh -c \
	'cd "$1" && PATH="$(dirname "$2"):$PATH" && eval "$3" < /dev/null > out.txt 2>&1' sh "$T/again" "$MF" "$line"
check_grep "  ... and ends with the same summary" "Summary: 8 mailboxes migrated to exchange, 23 messages delivered (0 already there)" "$T/again/out.txt"
check_grep "  ... every answer came from a flag or --yes" "Mailboxes to migrate \[all\]: all$" "$T/again/out.txt"
# the printed step-by-step commands and job section
sed -n '/^or step by step:/,/^or as a job/p' "$P" | sed '1d;$d;s/^  //' > "$T/p/steps.sh"
check_grep "piped: the step-by-step export command" "^mailferry export exchange --db stage.db --out out/exchange --codepage 1252 --directory create$" "$T/p/steps.sh"
sed -n '/^or as a job for/,$p' "$P" | sed '1d;s/^  //' > "$T/p/job.ini"
check "the printed job section runs in 'mailferry batch' and delivers nothing twice" sh -c \
	'cd "$1" && "$2" batch job.ini --json > batch.json && grep -q "\"event\":\"job_end\",\"job\":\"migration\",\"status\":\"ok\",\"error\":null,\"mailboxes\":8,\"delivered\":0,\"already\":23" batch.json' \
	sh "$T/p" "$MF"

# ---- piped: some mailboxes, another target ----
mkdir -p "$T/s"
printf '%s\n' "$SAMPLE" "" s.db "" "" "2-3 Social" eml out "mail" "" "" "" "?" yes > "$T/s/answers"
check "piped: some mailboxes (2-3 Social) into EML" sh -c 'cd "$1" && "$2" wizard < answers > out.txt 2>&1' sh "$T/s" "$MF"
check_grep "  ... the selection" "3 of 8 mailboxes: BergA HolmL Social" "$T/s/out.txt"
check_grep "  ... the plan asks about those three" "Migrate 3 mailboxes with 6 messages to eml out" "$T/s/out.txt"
check_grep "  ... help at the confirmation" "nothing is exported" "$T/s/out.txt"
check_grep "  ... and migrates them" "Summary: 3 mailboxes migrated to eml, 6 messages delivered" "$T/s/out.txt"

# ---- every answer from flags (MS Mail into a Maildir) ----
mkdir -p "$T/f"
check "flags and --yes: no question asked (stdin closed)" sh -c 'cd "$1" && "$2" wizard --yes \
	--path "$3" --db ms.db --target maildir --out md --report r.html < /dev/null > out.txt 2>&1' \
	sh "$T/f" "$MF" "$SRC/docs/sample/msmail"
check_grep "  ... the MS Mail bundle was detected and migrated" "Summary: 6 mailboxes migrated to maildir, 12 messages delivered" "$T/f/out.txt"
check_grep "  ... answers from flags are shown as such" "Target: maildir (from --target)" "$T/f/out.txt"

# ---- no answer: end of input ----
mkdir -p "$T/e"
check_exit 2 "end of input before the last answer: exit 2, nothing exported" sh -c \
	'cd "$1" && printf "%s\n" "$3" "" e.db | "$2" wizard > out.txt 2> err.txt' sh "$T/e" "$MF" "$SAMPLE"
check_grep "  ... and says so" "no answer (end of input)" "$T/e/err.txt"
check_exit 2 "--target with an unknown name: exit 2" "$MF" wizard --target lotus --yes
printf '%s\n' "$SAMPLE" "" n.db "" "" all maildir nout mail "" "" "" no > "$T/e/no"
check_exit 1 "answering no at the plan: exit 1, nothing exported" sh -c \
	'cd "$1" && "$2" wizard < no > no.txt 2>&1 && false || [ ! -e nout ] && exit 1' sh "$T/e" "$MF"
check_grep "  ... and says the import is kept" "Not confirmed: nothing was exported" "$T/e/no.txt"

# ---- a real terminal: tmux ----
if ! command -v tmux >/dev/null 2>&1; then
	_result 1 "tmux is installed (scripts/install-deps.sh)"
	finish
fi
wait_for() { # session pattern [seconds]
	n=0
	max=$(( ${3:-30} * 10 ))
	while [ $n -lt $max ]; do
		tm capture-pane -p -J -t "$1" -S -5000 > "$T/pane.$1" 2>/dev/null
		grep -q -e "$2" "$T/pane.$1" && return 0
		sleep 0.1
		n=$((n + 1))
	done
	echo "  timed out waiting for '$2'; the screen ends with:"
	tail -n 25 "$T/pane.$1" | sed 's/^/  | /'
	return 1
}
say() { tm send-keys -t "$1" -l "$2"; tm send-keys -t "$1" Enter; }

mkdir -p "$T/tw"
tm new-session -d -s w -x 200 -y 50 "cd '$T/tw' && '$MF' wizard; echo WIZARD-EXIT=\$?; sleep 600"
ok=0
wait_for w "Source folder (export set or bundle) \[.\]: $" && say w "$SAMPLE" &&
wait_for w "Source kind \[ccmail\]: $" && say w "" &&
wait_for w "Staging database \[ccmail.db\]: $" && say w "stage.db" &&
wait_for w "Code page of the source" && say w "" &&
wait_for w "Time zone of the source" && say w "" &&
wait_for w "Mailboxes to migrate \[all\]: $" && say w "?" &&
wait_for w "numbers from the table above" && say w "" &&
wait_for w "Target \[exchange\]: $" && say w "maildir" &&
wait_for w "Output folder \[mailferry-out/maildir\]: $" && say w "out/maildir" &&
wait_for w "What to migrate \[mail\]: $" && say w "" &&
wait_for w "Only messages since" && say w "" &&
wait_for w "Only messages before" && say w "" &&
wait_for w "Report file \[stage-report.html\]: $" && say w "" &&
wait_for w "Migrate 8 mailboxes with 23 messages to maildir out/maildir \[yes\]: $" && say w "yes" &&
wait_for w "WIZARD-EXIT=" 60 && ok=1
_result $((1 - ok)) "tmux: the wizard answered key by key, start to finish"
S="$T/pane.w"
check_grep "tmux: it exits 0" "^WIZARD-EXIT=0" "$S"
check_grep "tmux: the step headers" "== Step 9 of 9: migration ==" "$S"
check_grep "tmux: what the import found" "found: 8 mailboxes (2 public folders), 23 messages" "$S"
check_grep "tmux: the expected summary" "Summary: 8 mailboxes migrated to maildir, 23 messages delivered (0 already there), 0 failed" "$S"
check_grep "tmux: where the report is" "^Report: stage-report.html" "$S"
check_out "tmux: the Maildir holds the 23 messages" "23" count_maildir "$T/tw/out/maildir"
check "tmux: the report was written" test -s "$T/tw/stage-report.html"

# ---- Ctrl-C at a prompt ----
mkdir -p "$T/ci"
tm new-session -d -s c1 -x 200 -y 50 "cd '$T/ci' && '$MF' wizard --path '$SAMPLE' --db ci.db; echo WIZARD-EXIT=\$?; sleep 600"
ok=0
wait_for c1 "Source kind" && say c1 "" &&
wait_for c1 "Code page of the source" && say c1 "" &&
wait_for c1 "Time zone of the source" && say c1 "" &&
wait_for c1 "Mailboxes to migrate \[all\]: $" && tm send-keys -t c1 C-c &&
wait_for c1 "WIZARD-EXIT=" && ok=1
_result $((1 - ok)) "tmux: Ctrl-C at a prompt stops the wizard"
check_grep "  ... exit 130, saying the database is consistent" "WIZARD-EXIT=130" "$T/pane.c1"
check_grep "  ... and how to resume" "running the wizard again" "$T/pane.c1"
check_out "  ... the staging database is consistent" "ok" sqlite3 "$T/ci/ci.db" "pragma integrity_check"
check "  ... running it again resumes (the import is not repeated)" sh -c 'cd "$1" && "$2" wizard --yes \
	--path "$3" --db ci.db --target mbox --out mb < /dev/null > again.txt 2>&1 &&
	grep -q "imported: 0 new messages" again.txt && grep -q "Summary: 8 mailboxes migrated to mbox, 23 messages delivered" again.txt' \
	sh "$T/ci" "$MF" "$SAMPLE"

# ---- Ctrl-C in the middle of the migration ----
GEN="$BUILD/tools/gen-ccmail"
N=2400
"$GEN" --users 4 --messages $N --attach-pct 0 --text-min 200 --text-max 400 "$T/big" > /dev/null 2>&1
mkdir -p "$T/cm"
tm new-session -d -s c2 -x 200 -y 50 "cd '$T/cm' && '$MF' wizard --yes --path '$T/big' --db big.db --target maildir --out md; echo WIZARD-EXIT=\$?; sleep 600"
ok=0
wait_for c2 "== Step 9 of 9" 60 && wait_for c2 "maildir: \[[#.]*\] *[0-9]*% \([7-9][0-9][0-9]\|1[0-9][0-9][0-9]\)/[0-9]* items" 60 && tm send-keys -t c2 C-c &&
wait_for c2 "WIZARD-EXIT=" 60 && ok=1
_result $((1 - ok)) "tmux: Ctrl-C during the migration (after the progress bar showed)"
check_grep "  ... exit 130" "WIZARD-EXIT=130" "$T/pane.c2"
check_grep "  ... the wizard says it was interrupted and resumes" "The migration was interrupted" "$T/pane.c2"
check_out "  ... the staging database is consistent" "ok" sqlite3 "$T/cm/big.db" "pragma integrity_check"
d1=$(sqlite3 "$T/cm/big.db" "select count(*) from deliveries where item_kind = 'message' and status = 'delivered'")
total=$(sqlite3 "$T/cm/big.db" "select count(*) from messages where parent_id is null")
# (the Maildir confirms deliveries in batches: what was written after the
# last confirmation is written again, harmlessly, by the resumed run)
check "  ... it stopped part way ($d1 of $total in the ledger; the run is marked interrupted)" sh -c \
	'[ "$1" -lt "$2" ] && [ "$(sqlite3 "$3" "select status from runs where kind = '\''export'\''")" = interrupted ]' \
	sh "$d1" "$total" "$T/cm/big.db"
check "resume: the same wizard again completes" sh -c 'cd "$1" && "$2" wizard --yes --path "$3" \
	--db big.db --target maildir --out md < /dev/null > again.txt 2>&1' sh "$T/cm" "$MF" "$T/big"
check_grep "  ... delivering only what was missing" \
	"messages delivered ($d1 already there), 0 failed" "$T/cm/again.txt"
check_out "  ... every message is in the ledger once and on disk once" "$total $total" sh -c \
	'echo "$(sqlite3 "$1/big.db" "select count(*) from deliveries where item_kind = '\''message'\'' and status = '\''delivered'\''") $(find "$1/md" -type f \( -path "*/cur/*" -o -path "*/new/*" \) | wc -l)"' sh "$T/cm"

finish
