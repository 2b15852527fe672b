#!/bin/sh
# runs.sh: exports as real processes side by side and killed at random
# points (build/tools/export-probe: the export driver with a file exporter
# that writes one file per message, atomically, under a deterministic name).
#
#  - two exports of the same staging database to the same target at once:
#    every message is delivered exactly once, a lease held by a live run is
#    never taken, a lease left by a killed run is taken over;
#  - an export killed with SIGKILL at random points 20 times and resumed
#    each time ends with exactly the staged messages, no duplicate, no loss.
. "$(dirname "$0")/lib.sh"

P="${BUILD:?}/tools/export-probe"
[ -x "$P" ] || { echo "FAIL - $P is not built"; echo "0 passed, 1 failed"; exit 1; }

# A random number in [0, $1).
rnd() { echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 )); }

# Lines "put ID PID" of a log: does any message id appear twice?
dups() { awk '$1 == "put" { n[$2]++ } END { d = 0; for (k in n) if (n[k] > 1) d++; print d }' "$1"; }
puts() { awk '$1 == "put"' "$1" | wc -l | tr -d ' '; }

# Wait (at most ~10 s) until file $1 has at least $2 "put" lines.
wait_puts() {
	i=0
	while [ "$(puts "$1" 2>/dev/null || echo 0)" -lt "$2" ] && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
}

# ---- two runs at once ----
"$P" fixture "$T/c.db" --mailboxes 8 --messages 12 >/dev/null
"$P" export "$T/c.db" "$T/c" --delay-ms 8 --log "$T/c.log" >"$T/a.json" 2>"$T/a.err" &
a=$!
wait_puts "$T/c.log" 1          # A holds its first mailbox now
"$P" export "$T/c.db" "$T/c" --delay-ms 8 --log "$T/c.log" >"$T/b.json" 2>"$T/b.err" &
b=$!
wait $a; ra=$?
wait $b; rb=$?
check "two runs at once both finish (0, or 1 for mailboxes the other held)" \
	sh -c "[ $ra -le 1 ] && [ $rb -le 1 ]"
check_out "every message was delivered exactly once across both runs" "84 0" \
	echo "$(puts "$T/c.log")" "$(dups "$T/c.log")"
check_out "no run took a lease from the other live run" "0" \
	sqlite3 "$T/c.db" "select count(*) from runs where status = 'interrupted'"
check "the second run found a mailbox held by the first and left it" \
	grep -q '"state":"leased"' "$T/b.json"
check_out "nothing is leased afterwards" "0" sqlite3 "$T/c.db" "select count(*) from leases"
check "a third run completes the rest; the target holds each message once" \
	sh -c "'$P' export '$T/c.db' '$T/c' >/dev/null && '$P' verify '$T/c.db' '$T/c'"

# with --wait both runs finish every mailbox, still each message once
"$P" fixture "$T/w.db" --mailboxes 5 --messages 10 >/dev/null
"$P" export "$T/w.db" "$T/w" --delay-ms 5 --wait --log "$T/w.log" >"$T/wa.json" 2>&1 &
a=$!
wait_puts "$T/w.log" 1
"$P" export "$T/w.db" "$T/w" --delay-ms 5 --wait --log "$T/w.log" >"$T/wb.json" 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
check_out "--wait: both runs exit 0" "0 0" echo $ra $rb
check "--wait: no mailbox left to another run" sh -c "! grep -q '\"state\":\"leased\"' '$T/wa.json' '$T/wb.json'"
check_out "--wait: every message exactly once" "40 0" echo "$(puts "$T/w.log")" "$(dups "$T/w.log")"
check "--wait: the target holds exactly the staged messages" "$P" verify "$T/w.db" "$T/w"

# a lease left by a killed run is taken over
"$P" fixture "$T/k.db" --mailboxes 4 --messages 20 >/dev/null
"$P" export "$T/k.db" "$T/k" --delay-ms 20 --log "$T/k.log" >/dev/null 2>&1 &
a=$!
wait_puts "$T/k.log" 3
kill -KILL $a; wait $a 2>/dev/null
check_out "the killed run left its lease" "1" sqlite3 "$T/k.db" "select count(*) from leases"
start=$(date +%s)
check "a new run takes the dead run's lease over and finishes" \
	sh -c "'$P' export '$T/k.db' '$T/k' --log '$T/k.log' > '$T/k2.json'"
check "without waiting for the heartbeat timeout" sh -c "[ \$(( \$(date +%s) - $start )) -lt 60 ]"
check_out "the dead run is marked interrupted" "interrupted" \
	sqlite3 "$T/k.db" "select status from runs where kind = 'export' order by id limit 1"
check "the target holds exactly the staged messages" "$P" verify "$T/k.db" "$T/k"

# ---- SIGKILL at random points, 20 times ----
"$P" fixture "$T/r.db" --mailboxes 6 --messages 25 >/dev/null
i=0
partial=0
while [ $i -lt 20 ]; do
	if [ $((i % 2)) -eq 0 ]; then
		# killed from outside after a random delay
		# (a whole run takes over 0.5 s: the kill lands in its middle)
		"$P" export "$T/r.db" "$T/r" --delay-ms 4 >/dev/null 2>&1 &
		p=$!
		sleep "0.$(printf %03d "$(rnd 150)")"
		kill -KILL $p 2>/dev/null
		wait $p 2>/dev/null
	else
		# killing itself inside a delivery: after the file is written but
		# before it is renamed into place, or after the rename but before
		# the ledger knows
		phase=written
		[ $((i % 4)) -eq 3 ] && phase=renamed
		"$P" export "$T/r.db" "$T/r" --die-after "$(rnd 130)" --die-phase $phase >/dev/null 2>&1
	fi
	# messages on the target so far (the ledger may know fewer: a killed
	# run loses the rows it had not written yet)
	n=$(find "$T/r" -name '*.msg' 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] && [ "$n" -lt 125 ] && partial=$((partial + 1))
	i=$((i + 1))
done
check "the kills landed in the middle of the work" sh -c "[ $partial -gt 0 ]"
check "the 21st run finishes" "$P" export "$T/r.db" "$T/r"
check "after 20 kills the target holds exactly the staged messages, each once" \
	"$P" verify "$T/r.db" "$T/r"
check_out "the ledger has one delivered row per staged message" "125 125" \
	sqlite3 "$T/r.db" "select (select count(*) from deliveries where item_kind = 'message' and status = 'delivered') || ' ' || (select count(*) from messages where parent_id is null)"
check_out "every mailbox is recorded as made on the target" "6" \
	sqlite3 "$T/r.db" "select count(*) from deliveries where item_kind = 'mailbox' and status = 'delivered'"
check_out "no lease is left" "0" sqlite3 "$T/r.db" "select count(*) from leases"

# ---- the same through a real exporter: mailferry export maildir ----
if "$MF" formats | grep -q '^  maildir *built'; then
	# message files in a Maildir++ tree, and ledger rows naming a file that is there
	mdfiles() { find "$1" \( -path '*/cur/*' -o -path '*/new/*' \) -type f | wc -l | tr -d ' '; }
	ledger_ok() {
		sqlite3 "$2" "select remote_id from deliveries where item_kind = 'message' and status = 'delivered'" |
		while IFS= read -r f; do [ -f "$1/$f" ] || echo "missing $f"; done | wc -l | tr -d ' '
	}
	delivered_by_runs() {
		sqlite3 "$1" "select summary from runs where kind = 'export' and summary is not null" |
		python3 -c 'import json, sys; print(sum(json.loads(l)["totals"]["delivered"] for l in sys.stdin if l.strip()))'
	}

	"$P" fixture "$T/m.db" --mailboxes 6 --messages 60 >/dev/null
	"$MF" export maildir --db "$T/m.db" --out "$T/m" --quiet >/dev/null 2>"$T/ma.err" &
	a=$!
	sleep 0.05
	"$MF" export maildir --db "$T/m.db" --out "$T/m" --quiet >/dev/null 2>"$T/mb.err" &
	b=$!
	wait $a; ra=$?
	wait $b; rb=$?
	"$MF" export maildir --db "$T/m.db" --out "$T/m" --quiet >/dev/null 2>&1
	check_out "maildir, two runs at once: each message delivered by exactly one run" "300" \
		delivered_by_runs "$T/m.db"
	check_out "maildir, two runs at once: no lease taken from a live run" "0" \
		sqlite3 "$T/m.db" "select count(*) from runs where status = 'interrupted'"
	check_out "maildir, two runs at once: the Maildirs hold each message once" "300" mdfiles "$T/m"
	check_out "maildir, two runs at once: every ledger row names a file that is there" "0" \
		ledger_ok "$T/m" "$T/m.db"

	"$P" fixture "$T/mk.db" --mailboxes 6 --messages 1000 >/dev/null
	# 5,000 messages: a run takes some 0.1 s (normal build) to 0.3 s (ASan)
	i=0
	partial=0
	while [ $i -lt 20 ]; do
		have=$(mdfiles "$T/mk" 2>/dev/null || echo 0)
		"$MF" export maildir --db "$T/mk.db" --out "$T/mk" --quiet >/dev/null 2>&1 &
		p=$!
		# killed once the Maildirs hold a random number more messages,
		# so the kill lands in the middle whatever the machine's speed
		left=$((5000 - have))
		[ $left -gt 1 ] || left=2
		python3 "$SRC/tests/lib/kill-at.py" "$T/mk" $((have + 1 + $(rnd $((left - 1))))) $p
		wait $p 2>/dev/null
		n=$(mdfiles "$T/mk" 2>/dev/null || echo 0)
		[ "$n" -gt 0 ] && [ "$n" -lt 5000 ] && partial=$((partial + 1))
		i=$((i + 1))
	done
	check "maildir: the kills landed in the middle of the work" sh -c "[ $partial -gt 0 ]"
	check "maildir: the 21st run finishes" "$MF" export maildir --db "$T/mk.db" --out "$T/mk" --quiet
	check_out "maildir: after 20 kills the Maildirs hold exactly the staged messages" "5000" mdfiles "$T/mk"
	check_out "maildir: one delivered ledger row per message" "5000" \
		sqlite3 "$T/mk.db" "select count(*) from deliveries where item_kind = 'message' and status = 'delivered'"
	check_out "maildir: every ledger row names a file that is there" "0" ledger_ok "$T/mk" "$T/mk.db"
else
	echo "note: the maildir exporter is not built; its concurrency and kill tests were not run"
fi
finish
