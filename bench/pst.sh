#!/bin/sh
# bench/pst.sh: `mailferry export pst` (make bench runs it after
# bench/run.sh).  Two parts, each measured in the same run on the same data:
#
#  1. the bench corpora (small: 2,000 messages in 10 mailboxes; medium:
#     100,000 in 100, when bench/run.sh has staged it): export pst against
#     `cp -r` of the files it wrote and against readpst reading them back
#     (MB/s of the PST bytes), with the export's peak memory; and the
#     floor under the export, over the same bytes: what it must do beyond
#     cp -r's copy, each part timed alone (SHA-256 of the files read back,
#     as the ledger's digest; the format's CRC-32 over every byte, with
#     the writer's own CRC (build/bench/pst-floor); the staged blobs and
#     texts read out of SQLite (build/bench/raw-read); a syncfs after the
#     copy, as the export's sync barrier).  floor = cp -r + those four;
#     "floor / cp -r" is the best ratio the export could reach.  Export,
#     cp -r and each part: the best of three runs (BENCH_PST_RUNS);
#  2. one mailbox whose messages all sit in ONE folder, at 2,000, 20,000
#     and 100,000 messages (BENCH_PST_FOLDER): the export's peak memory at
#     each size against the smallest (the limit: under 64 MiB, and every
#     size within 5 % of the smallest folder's peak: flat; the summary line
#     says whether it holds, and the script exits 1 when it does not), then the file read back
#     by libpff (pypff: every message opened), libpst (readpst -e: one
#     file per message), pst-extractor (every message opened) and
#     mailferry's own reader (verify pst against staging), each count
#     compared with the staged one.
#
# The results replace the block between the bench-pst markers of
# docs/BENCHMARKS.md (BENCH_PST_DOC=0 leaves the file alone) and go to
# bench/out/pst/results.md.  Runs niced.
#
#  3. an MS Mail corpus with a Schedule+ calendar in every mailbox
#     (BENCH_PST_CAL mailboxes): export pst against `cp -r`, peak memory,
#     and the appointments and tasks libpff finds in each file's Calendar
#     and Tasks folders against the staged events and to-dos.
#
#   BENCH_PST_FOLDER="2000 20000 100000"  one-folder sizes
#   BENCH_PST_CORPORA="small medium"      corpora of part 1 (empty: none; likewise FOLDER)
#   BENCH_PST_CAL=200                     mailboxes of part 3 (0: none)
#   BENCH_PST_RUNS=3                      runs of each timing of parts 1 and 3 (the best kept)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
MF="$top/mailferry"
[ -x "$MF" ] || MF="$top/build/mailferry"
OUT="$top/bench/out/pst"
T="$OUT/work"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
NODE_DIR="$top/tests/node"
FOLDER=${BENCH_PST_FOLDER-"2000 20000 100000"}
CORPORA=${BENCH_PST_CORPORA-"small medium"}
TIME=/usr/bin/time
rm -rf "$T"
mkdir -p "$T"
RES="$OUT/results.md"
: > "$RES.new"

# the npm reader, installed inside the repository
if [ ! -d "$NODE_DIR/node_modules/pst-extractor" ] && command -v npm >/dev/null 2>&1; then
	(cd "$NODE_DIR" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) || true
fi

# timed CMD: run it niced; prints "seconds peak-KiB"
timed() {
	if ! nice $TIME -f "%e %M" -o "$T/one" sh -c "$*" >"$T/log" 2>&1; then
		echo "bench/pst.sh: failed: $*" >&2
		tail -n 20 "$T/log" >&2
		return 1
	fi
	tail -n 1 "$T/one"
}
RUNS=${BENCH_PST_RUNS:-3}
# best CMD: the fastest of RUNS timed runs; prints "seconds peak-KiB" of it
# (before each run, $PRE is run untimed: a fresh copy of the database)
best() {
	bcmd=$* b="" bk=""
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		[ -z "${PRE:-}" ] || sh -c "$PRE"
		set -- $(timed "$bcmd")
		[ $# -ge 2 ] || return 1
		if [ -z "$b" ] || awk -v a="$1" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$1 bk=$2; fi
		i=$((i + 1))
	done
	echo "$b $bk"
}
# best_inner CMD: the fastest of RUNS runs of a command that prints
# "bytes seconds" itself (the bench tool's own timing of one piece of work)
best_inner() {
	b=""
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		v=$(nice sh -c "$*" | cut -d' ' -f2) || return 1
		if [ -z "$b" ] || awk -v a="$v" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$v; fi
		i=$((i + 1))
	done
	echo "$b"
}
# floor_row NAME DB DIR EXPORT-S CP-S: the floor under the export of DB
# whose files are in DIR, one row of the floor table
FLOORS="$T/floor.md"
: > "$FLOORS"
floor_row() {
	fname=$1 fdb=$2 fdir=$3 fes=$4 fcs=$5
	if [ ! -x "$top/build/bench/pst-floor" ] || [ ! -x "$top/build/bench/raw-read" ]; then
		echo "| $fname | (build/bench/pst-floor and raw-read not built: make bench builds them) | | | | | | | | | |" >> "$FLOORS"
		return 0
	fi
	fsha=$(best_inner "'$top/build/bench/pst-floor' sha256 '$fdir'/*.pst")
	fcrc=$(best_inner "'$top/build/bench/pst-floor' crc '$fdir'/*.pst")
	set -- $(best "'$top/build/bench/raw-read' '$fdb' >/dev/null")
	fraw=$1
	fsync=""
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		rm -rf "$T/copy"
		cp -r "$fdir" "$T/copy"
		set -- $(timed "sync -f '$T/copy'")
		if [ -z "$fsync" ] || awk -v a="$1" -v b="$fsync" 'BEGIN { exit !(a < b) }'; then fsync=$1; fi
		i=$((i + 1))
	done
	rm -rf "$T/copy"
	fb=$(dirbytes "$fdir")
	echo "$fb $fes $fcs $fsha $fcrc $fraw $fsync" | awk -v name="$fname" '{
		fl = $3 + $4 + $5 + $6 + $7
		e = $2 > 0 ? $2 : 0.01
		printf "| %s | %.1f | %s | %s | %.2f× | %.3f | %.3f | %s | %s | %.2f | %.2f× |\n",
			name, $1 / 1e6, $2, $3, $3 / e, $4, $5, $6, $7, fl, $3 / fl }' >> "$FLOORS"
	tail -n 1 "$FLOORS"
}
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.01; printf "%.1f", b / s / 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
dirbytes() { du -sb "$1" | cut -f1; }

# ---- part 1: the bench corpora ----
{
	echo "Export pst against \`cp -r\` of its output and against \`readpst -e\` reading it"
	echo "back (MB/s of the PST bytes; export and cp -r the best of $RUNS runs, readpst one, niced, in the same run):"
	echo
	echo "| corpus | messages | PST MB | export pst s | MB/s | cp -r s | MB/s | export / cp -r | readpst s | MB/s | export peak MiB |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
} >> "$RES.new"
for size in $CORPORA; do
	db="$top/bench/out/work/stage-ccmail-$size.db"
	if [ ! -f "$db" ] && [ "$size" = small ]; then
		# the small corpus of bench/run.sh, staged here
		"$top/build/tools/gen-ccmail" --users 10 --messages 2000 --attach-pct 10 \
			--attach-min 10240 --attach-max 2097152 --seed 1 "$T/small" >/dev/null
		db="$T/stage-small.db"
		nice "$MF" import ccmail --quiet --db "$db" "$T/small" >/dev/null 2>&1 || true
	fi
	if [ ! -f "$db" ]; then
		echo "| $size | (not staged: bench/run.sh stages it) | | | | | | | | | |" >> "$RES.new"
		continue
	fi
	echo "== pst: corpus $size"
	msgs=$(sqlite3 "$db" "SELECT count(*) FROM messages WHERE parent_id IS NULL")
	# each run on a fresh copy of the database (a re-run would find
	# the ledger's rows of the one before)
	PRE="rm -rf '$T/out-$size' '$T/e.db'*; cp '$db' '$T/e.db'"
	set -- $(best "'$MF' export pst --db '$T/e.db' --out '$T/out-$size' --quiet")
	es=$1 ek=$2
	PRE="rm -rf '$T/copy'"
	bytes=$(dirbytes "$T/out-$size")
	set -- $(best "cp -r '$T/out-$size' '$T/copy'")
	cs=$1
	PRE=""
	rm -rf "$T/copy" "$T/e.db"*
	floor_row "$size" "$db" "$T/out-$size" "$es" "$cs"
	mkdir -p "$T/rp"
	set -- $(timed "for f in '$T/out-$size'/*.pst; do readpst -q -j 0 -e -o '$T/rp' \"\$f\" || exit 1; done")
	rs=$1
	rm -rf "$T/rp" "$T/out-$size"
	ratio=$(awk -v e="$es" -v c="$cs" 'BEGIN { if (e <= 0) e = 0.01; printf "%.2f", c / e }')
	line="| $size | $msgs | $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') | $es | $(mbs "$bytes" "$es") | $cs | $(mbs "$bytes" "$cs") | ${ratio}× | $rs | $(mbs "$bytes" "$rs") | $(mib "$ek") |"
	echo "$line" >> "$RES.new"
	echo "  $line"
done

# ---- part 2: one folder ----
{
	echo
	echo "One mailbox, every message in ONE folder (contents table of as many rows):"
	echo "the export's peak memory, and the file read back by each reader, its count"
	echo "compared with the staged one (pypff and pst-extractor open every message,"
	echo "readpst writes one file per message, \`verify pst\` compares each with staging):"
	echo
	echo "| messages in the folder | PST MB | export pst s | MB/s | export peak MiB | peak vs smallest | pypff | readpst | pst-extractor | verify pst |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
} >> "$RES.new"
peaks=""
for n in $FOLDER; do
	echo "== pst: $n messages in one folder"
	rm -rf "$T/f" "$T/f.db"* "$T/fo" "$T/rp"
	"$top/build/tools/gen-ccmail" --users 1 --messages "$n" --bboards 0 --attach-pct 2 \
		--attach-max 20000 --seed 7 "$T/f" >/dev/null
	nice "$MF" import ccmail --quiet --db "$T/f.db" "$T/f" >/dev/null 2>&1 || true
	sqlite3 "$T/f.db" "UPDATE messages SET folder_id = (SELECT min(id) FROM folders WHERE path = 'Inbox')
		WHERE folder_id IS NOT NULL"
	want=$(sqlite3 "$T/f.db" "SELECT count(*) FROM messages WHERE parent_id IS NULL")
	set -- $(timed "'$MF' export pst --db '$T/f.db' --out '$T/fo' --quiet")
	es=$1 ek=$2
	peaks="$peaks $ek"
	[ -n "${peak0:-}" ] || peak0=$ek
	vs=$(awk -v a="$peak0" -v b="$ek" 'BEGIN { printf "%+.1f %%", (b - a) * 100 / a }')
	bytes=$(dirbytes "$T/fo")
	# libpff: every message of every folder opened
	pf=$(nice "$PY" - "$T/fo" <<'EOF' 2>&1 | tail -n 1
import glob, sys
import pypff
n = 0
def walk(fo):
    global n
    for i in range(fo.number_of_sub_messages):
        m = fo.get_sub_message(i)
        _ = m.subject, m.plain_text_body
        n += 1
    for i in range(fo.number_of_sub_folders):
        walk(fo.get_sub_folder(i))
for p in glob.glob(sys.argv[1] + "/*.pst"):
    f = pypff.file()
    f.open(p)
    walk(f.get_root_folder())
    f.close()
print(n)
EOF
)
	# libpst: one .eml per message
	mkdir -p "$T/rp"
	for f in "$T/fo"/*.pst; do nice readpst -q -j 0 -e -o "$T/rp" "$f" >/dev/null 2>&1 || true; done
	rp=$(find "$T/rp" -name '*.eml' | wc -l | tr -d ' ')
	rm -rf "$T/rp"
	# pst-extractor: every message opened
	ex=$(cd "$NODE_DIR" && nice node -e '
		const { PSTFile } = require("pst-extractor");
		let n = 0;
		function walk(f) {
			if (f.contentCount > 0) { let m = f.getNextChild(); while (m) { void m.subject; n++; m = f.getNextChild(); } }
			if (f.hasSubfolders) for (const s of f.getSubFolders()) walk(s);
		}
		for (const p of process.argv.slice(1)) walk(new PSTFile(p).getRootFolder());
		console.log(n);' "$T/fo"/*.pst 2>&1 | tail -n 1)
	# mailferry's own reader against staging
	vf=$(nice "$MF" verify pst --db "$T/f.db" --out "$T/fo" 2>&1 | tail -n 1)
	vn=$(echo "$vf" | sed -n 's/.* \([0-9]*\) messages read back; 0 mismatches$/\1/p')
	cell() { [ "$1" = "$want" ] && echo "$1 of $want" || echo "**$1 of $want**"; }
	line="| $n | $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') | $es | $(mbs "$bytes" "$es") | $(mib "$ek") | $vs | $(cell "$pf") | $(cell "$rp") | $(cell "$ex") | $(cell "${vn:-?}") |"
	echo "$line" >> "$RES.new"
	echo "  $line"
	rm -rf "$T/f" "$T/fo" "$T/f.db"*
done
# ---- part 3: calendars ----
CALN=${BENCH_PST_CAL:-200}
if [ "$CALN" -gt 0 ]; then
	echo "== pst: $CALN mailboxes with calendars"
	rm -rf "$T/c" "$T/c.db"* "$T/co"
	"$top/build/tools/gen-msmail" --users "$CALN" --messages $((CALN * 20)) --calendar-pct 100 \
		--attach-pct 5 --attach-max 20000 --seed 5 "$T/c" >/dev/null
	nice "$MF" import msmail --quiet --db "$T/c.db" "$T/c" >/dev/null 2>&1 || true
	wev=$(sqlite3 "$T/c.db" "SELECT count(*) FROM calendar_items WHERE kind = 'event'")
	wtd=$(sqlite3 "$T/c.db" "SELECT count(*) FROM calendar_items WHERE kind = 'todo'")
	PRE="rm -rf '$T/co' '$T/e.db'*; cp '$T/c.db' '$T/e.db'"
	set -- $(best "'$MF' export pst --db '$T/e.db' --out '$T/co' --quiet")
	es=$1 ek=$2
	PRE="rm -rf '$T/copy'"
	bytes=$(dirbytes "$T/co")
	set -- $(best "cp -r '$T/co' '$T/copy'")
	cs=$1
	PRE=""
	rm -rf "$T/copy" "$T/e.db"*
	floor_row "calendar ($CALN mailboxes)" "$T/c.db" "$T/co" "$es" "$cs"
	# libpff: every item of each file's Calendar and Tasks folders opened
	set -- $(nice "$PY" - "$T/co" <<'EOF' 2>&1 | tail -n 1
import glob, sys
import pypff
n = {"Calendar": 0, "Tasks": 0}
def walk(fo):
    name = fo.name or ""
    if name in n:
        for i in range(fo.number_of_sub_messages):
            _ = fo.get_sub_message(i).subject
            n[name] += 1
    for i in range(fo.number_of_sub_folders):
        walk(fo.get_sub_folder(i))
for p in glob.glob(sys.argv[1] + "/*.pst"):
    f = pypff.file()
    f.open(p)
    walk(f.get_root_folder())
    f.close()
print(n["Calendar"], n["Tasks"])
EOF
)
	gev=${1:-?} gtd=${2:-?}
	ratio=$(awk -v e="$es" -v c="$cs" 'BEGIN { if (e <= 0) e = 0.01; printf "%.2f", c / e }')
	cellw() { [ "$1" = "$2" ] && echo "$1 of $2" || echo "**$1 of $2**"; }
	{
		echo
		echo "An MS Mail corpus with a Schedule+ calendar in every mailbox ($CALN mailboxes,"
		echo "\`gen-msmail --calendar-pct 100\`): export pst against \`cp -r\` of its output (best of $RUNS runs each), and"
		echo "the appointments and tasks pypff finds in the Calendar and Tasks folders"
		echo "against the staged events and to-dos:"
		echo
		echo "| mailboxes | PST MB | export pst s | cp -r s | export / cp -r | export peak MiB | appointments (pypff) | tasks (pypff) |"
		echo "|---|---|---|---|---|---|---|---|"
		echo "| $CALN | $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') | $es | $cs | ${ratio}× | $(mib "$ek") | $(cellw "$gev" "$wev") | $(cellw "$gtd" "$wtd") |"
	} >> "$RES.new"
	tail -n 1 "$RES.new"
	rm -rf "$T/c" "$T/c.db"* "$T/co"
fi

# ---- the floor ----
if [ -s "$FLOORS" ]; then
	{
		echo
		echo "What bounds the export: the work it cannot leave out, each part timed alone over"
		echo "the same PST bytes (best of $RUNS runs, seconds): the ledger's SHA-256 of each file"
		echo "read back (\`build/bench/pst-floor sha256\`), the format's CRC-32 of every byte in"
		echo "block-sized pieces with the writer's CRC (\`pst-floor crc\`), the staged blobs and"
		echo "texts read out of SQLite (\`build/bench/raw-read\`), and a \`syncfs\` after a copy"
		echo "(the export's sync barrier before the ledger names a file).  floor = \`cp -r\` +"
		echo "those four: the export cannot be faster, so \"floor / cp -r\" is the best"
		echo "\"export / cp -r\" it could reach (issue 16's goal: 0.5×):"
		echo
		echo "| corpus | PST MB | export pst s | cp -r s | export / cp -r | SHA-256 s | CRC-32 s | SQLite read s | sync s | floor s | floor / cp -r |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|"
		cat "$FLOORS"
	} >> "$RES.new"
fi

# the limit on memory: under 64 MiB at every size, and every size within
# 5 % of the smallest folder's peak (flat)
flat_ok=1
set -- $peaks
if [ $# -ge 1 ]; then
	first=$1
	verdict=$(awk -v l="$*" 'BEGIN {
		n = split(l, p, " "); a = p[1]; worst = a; ok = 1
		for (i = 1; i <= n; i++) {
			if (p[i] > worst) worst = p[i]
			if (p[i] > a * 1.05 || p[i] > 64 * 1024) ok = 0
		}
		printf "%s %.1f %.1f %+.1f", ok ? "holds" : "FAILS", a / 1024, worst / 1024, (worst - a) * 100 / a }')
	set -- $verdict
	[ "$1" = holds ] || flat_ok=0
	{
		echo
		if [ "$1" = holds ]; then
			echo "Peak memory, smallest folder against the largest peak of any size: $2 to $3 MiB ($4 %). The limit (under 64 MiB, and within 5 % of the smallest folder's peak at every size: flat) **holds**."
		else
			echo "Peak memory, smallest folder against the largest peak of any size: $2 to $3 MiB ($4 %). The limit (under 64 MiB, and within 5 % of the smallest folder's peak at every size: flat) **does not hold**."
		fi
	} >> "$RES.new"
fi
{
	echo
	echo "Measured $(date -u '+%Y-%m-%d') on $(nproc) cores, mailferry $(git rev-parse --short HEAD 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared: ratios measured in the same run are the figures to trust)."
} >> "$RES.new"
mv "$RES.new" "$RES"
cat "$RES"

# ---- docs/BENCHMARKS.md ----
if [ "${BENCH_PST_DOC:-1}" != 0 ]; then
	doc=docs/BENCHMARKS.md
	if ! grep -q '<!-- bench-pst:begin' "$doc"; then
		printf '\n## PST export\n\n<!-- bench-pst:begin (generated by bench/pst.sh; do not edit by hand) -->\n<!-- bench-pst:end -->\n' >> "$doc"
	fi
	awk -v f="$RES" '
		/<!-- bench-pst:begin/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- bench-pst:end -->/ { skip = 0 }
		!skip { print }' "$doc" > "$T/doc.new" && mv "$T/doc.new" "$doc"
	echo "bench/pst.sh: results written into $doc"
fi
if [ "$flat_ok" != 1 ]; then
	echo "bench/pst.sh: peak memory is not flat across the one-folder sizes (limit: within 5 % of the smallest)" >&2
	exit 1
fi
