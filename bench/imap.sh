#!/bin/sh
# bench/imap.sh DB SIZE RESULTS_TSV: the IMAP push benchmark (bench/run.sh).
#
# Pushes the same 20,000 messages (20 mailboxes, generated once with
# build/tools/gen-ccmail) into the same private Dovecot 2.3
# (tests/lib/dovecot.sh, master user, fsync off) with:
#   mailferry export imap --jobs 1 and --jobs 4 (a fresh ledger and a fresh
#     server each run), and
#   mbsync (isync) from the Maildir++ tree `mailferry export maildir` wrote,
#     one channel per mailbox logged in as '<user>*<master>', Sync Push,
#     PipelineDepth 64 (a fresh copy of the tree each run: mbsync writes
#     its UIDs into it);
# and the same three again with 20 ms of round trip added: Dovecot and the
# clients in a network namespace of their own whose loopback has netem
# delay 10ms (needs root, `ip netns`, `tc` and the kernel's netem); where
# netem is not there (a kernel without sch_netem), through
# tests/lib/imap-proxy.py holding every chunk 10 ms in each direction.
# Rows go into RESULTS_TSV in bench/run.sh's format (median/min/max of
# BENCH_RUNS runs), plus "ratio" rows mailferry/mbsync.  DB and SIZE are
# bench/run.sh's; this corpus is its own, so it runs once (SIZE small).
set -eu
db=$1 size=$2 res=$3
[ "$size" = small ] || exit 0
top=$(cd "$(dirname "$0")/.." && pwd)
MF="$top/mailferry"
RUNS=${BENCH_RUNS:-3}
W="$top/bench/out/imap"
command -v mbsync >/dev/null 2>&1 || { echo "  (imap: mbsync not installed)"; exit 0; }
mkdir -p "$W"
T="$W/t"
rm -rf "$T"
mkdir -p "$T"
SRC=$top
. "$top/tests/lib/dovecot.sh"
dovecot_available || { echo "  (imap: dovecot not installed)"; exit 0; }

# the corpus: 20 mailboxes, 1,000 messages each
if [ ! -f "$W/stage.db" ]; then
	"$top/build/tools/gen-ccmail" --users 20 --messages 20000 --attach-pct 10 --bboards 0 --seed 11 "$W/corpus" >/dev/null
	"$MF" import ccmail --db "$W/stage.db" --quiet "$W/corpus" >/dev/null
	"$MF" export maildir --db "$W/stage.db" --out "$W/maildir" --quiet >/dev/null
fi
msgs=$(sqlite3 "$W/stage.db" "select count(*) from messages where parent_id is null")
bytes=$(du -sb "$W/maildir" | cut -f1)

NS=""
PROXY_DELAY=0
PROXY_PID=""
client_port() { if [ -n "$PROXY_PID" ]; then cat "$T/proxy.port"; else echo "$DOVECOT_PORT"; fi; }
proxy_start() {
	[ "$PROXY_DELAY" -gt 0 ] || return 0
	rm -f "$T/proxy.port"
	python3 "$top/tests/lib/imap-proxy.py" "$T/proxy.port" "$DOVECOT_PORT" 0 0 "$PROXY_DELAY" &
	PROXY_PID=$!
	# (not $i: that is measure's run counter)
	w=0
	while [ ! -s "$T/proxy.port" ] && [ $w -lt 100 ]; do sleep 0.05; w=$((w + 1)); done
}
proxy_stop() {
	[ -n "$PROXY_PID" ] || return 0
	kill "$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
	PROXY_PID=""
}
run_in() { if [ -n "$NS" ]; then ip netns exec "$NS" "$@"; else "$@"; fi; }

mbsync_conf() { # PORT -> $T/mbsyncrc
	: > "$T/mbsyncrc"
	for d in "$T/md"/*/; do
		u=$(basename "$d")
		[ "$u" = public ] && continue
		cat >>"$T/mbsyncrc" <<EOC
IMAPAccount a-$u
Host 127.0.0.1
Port $1
User $u*$DOVECOT_MASTER
Pass $DOVECOT_MASTER_PASSWORD
SSLType None
AuthMechs LOGIN
PipelineDepth 64

IMAPStore r-$u
Account a-$u

MaildirStore l-$u
Inbox $d
SubFolders Maildir++

Channel c-$u
Far :r-$u:
Near :l-$u:
Patterns *
Create Far
Sync Push
SyncState $T/state/$u/

EOC
		mkdir -p "$T/state/$u"
	done
}

# one timed push: "seconds" appended to $T/times
push() { # what: mf1 | mf4 | mbsync
	rm -rf "$T/mail" "$T/state" "$T/run.db"*
	cp "$W/stage.db" "$T/run.db"
	DOVECOT_LISTEN_PORT= dovecot_start "$T/mail" >/dev/null
	printf '%s\n' "$DOVECOT_MASTER_PASSWORD" > "$T/pw"
	proxy_start
	case $1 in
	mf*) j=${1#mf}
	     s=$(date +%s.%N)
	     run_in "$MF" export imap --db "$T/run.db" --url "imap://127.0.0.1:$(client_port)" \
		--admin "$DOVECOT_MASTER" --password-file "$T/pw" --login-format '%u*%a' \
		--jobs "$j" --quiet >/dev/null
	     e=$(date +%s.%N) ;;
	mbsync) # mbsync records its UIDs in the Maildir: a fresh copy each run
	     rm -rf "$T/md"
	     cp -r "$W/maildir" "$T/md"
	     mbsync_conf "$(client_port)"
	     s=$(date +%s.%N)
	     run_in mbsync -q -c "$T/mbsyncrc" -a >/dev/null 2>&1 || true
	     e=$(date +%s.%N) ;;
	esac
	n=$(find "$T/mail" -path '*/cur/*' -o -path '*/new/*' | grep -c . || true)
	proxy_stop
	dovecot_stop
	[ "$n" -ge "$msgs" ] || echo "  (imap: $1 stored $n of $msgs messages)" >&2
	echo "$s $e" | awk '{ printf "%.3f 0\n", $2 - $1 }' >> "$T/times"
}

measure() { # STEP WHAT
	: > "$T/times"
	i=0
	while [ $i -lt "$RUNS" ]; do push "$2"; i=$((i + 1)); done
	sort -n "$T/times" | awk -v step="$1" -v size="20k" -v bytes="$bytes" -v items="$msgs" -v n="$RUNS" '
		{ t[NR] = $1 }
		END { med = t[int((NR + 1) / 2)]; if (med <= 0) med = 0.01;
		      printf "%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.0f\t%.0f\t%.1f\t%.0f\t%.1f\n",
			step, size, n, med, t[1], t[NR], bytes, items, bytes / med / 1e6, items / med, 0 }' >> "$res"
	tail -n 1 "$res" | awk -F'\t' '{ printf "  %-32s median %7.2fs (%.2f-%.2f) %9.0f msgs/s\n", $1, $4, $5, $6, $10 }'
}

ratio() { # LABEL A B: items/s of A over B
	awk -F'\t' -v a="$2" -v b="$3" -v l="$1" '
		$1 == a { x = $10 } $1 == b { y = $10 }
		END { if (y > 0) printf "%s\t20k\t0\t0\t0\t0\t0\t0\t0\t%.2f\t0\n", l, x / y }' "$res" >> "$res"
	tail -n 1 "$res" | awk -F'\t' '{ printf "  %-32s %.2f\n", $1, $10 }'
}

suite() { # SUFFIX
	measure "imap push mailferry --jobs 1$1" mf1
	measure "imap push mailferry --jobs 4$1" mf4
	measure "imap push mbsync$1" mbsync
	ratio "imap ratio jobs1/mbsync$1" "imap push mailferry --jobs 1$1" "imap push mbsync$1"
	ratio "imap ratio jobs4/mbsync$1" "imap push mailferry --jobs 4$1" "imap push mbsync$1"
}

echo "== imap push: $msgs messages, 20 mailboxes"
suite ""
netem=0
if [ "$(id -u)" = 0 ] && command -v tc >/dev/null 2>&1 && ip netns add mfbench-$$ 2>/dev/null; then
	NS=mfbench-$$
	ip netns exec "$NS" ip link set lo up
	if ip netns exec "$NS" tc qdisc add dev lo root netem delay 10ms 2>/dev/null; then
		netem=1
		# Dovecot runs inside the namespace too
		dovecot() { ip netns exec "$NS" /usr/sbin/dovecot "$@"; }
		_dovecot_answers() { ip netns exec "$NS" python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
sys.exit(0 if s.recv(100).startswith(b"* OK") else 1)' "$DOVECOT_PORT" 2>/dev/null; }
		echo "== imap push with 20 ms round trip added (netem)"
		suite " (+20ms RTT)"
	fi
	ip netns del "$NS"
	NS=""
fi
if [ $netem = 0 ]; then
	echo "== imap push with 20 ms round trip added (netem unavailable: delaying proxy)"
	PROXY_DELAY=10
	suite " (+20ms RTT, proxy)"
fi
rm -rf "$T"
