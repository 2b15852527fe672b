#!/bin/sh
# bench/run.sh: mailferry's benchmarks (make bench).
#
# Generates the corpora once (deterministic, cached under bench/out/corpus/),
# then times every step as a whole process, BENCH_RUNS times (default 3),
# reporting the median with min and max, the throughput, the peak resident
# memory (/usr/bin/time), and beside each step the limit it is held against,
# measured in the same run on the same data:
#   import    against reading the input (cat) and inserting the same bytes
#             into SQLite with one prepared statement in one transaction
#             (bench/raw-insert.c);
#   exporters against copying the bytes they wrote (cp -r), and beside
#             them, once per store, reading the staged bytes out of SQLite
#             (bench/raw-read.c), which every exporter must do too.
# Each importer's last measured run is the staged store the next steps use:
# plan on both, the Maildir, mbox, EML and Exchange exporters on the cc:Mail
# store (101,000 messages in medium), the iCalendar exporter on the MS Mail
# store (the one with calendars).  The IMAP push against mbsync is
# bench/imap.sh, on its own corpus; the CardDAV push into Radicale against
# curl and the vCard files against cp are bench/dav.sh, run last (step
# "dav"), writing their own block of docs/BENCHMARKS.md.
# The results go to bench/out/results.tsv and replace the generated block of
# docs/BENCHMARKS.md.
#
#   BENCH_SIZES="small medium"  corpora to run (default both)
#   BENCH_RUNS=3                runs per step
#   BENCH_STEPS="import export" which groups to run (default all:
#                               import plan export imap dav)
#   BENCH_KINDS="ccmail"        which importers' corpora (default both:
#                               ccmail msmail)
#   BENCH_EXPORTS="mbox exchange"  which exporters' rows (default all:
#                               maildir mbox eml exchange pst ics)
# With BENCH_KINDS or BENCH_EXPORTS set the run is partial: the results go
# to bench/out/results.tsv only and docs/BENCHMARKS.md is left alone.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
MF="$top/mailferry"
OUT="$top/bench/out"
RUNS=${BENCH_RUNS:-3}
SIZES=${BENCH_SIZES:-"small medium"}
STEPS=${BENCH_STEPS:-"import plan export imap dav"}
KINDS=${BENCH_KINDS:-"ccmail msmail"}
EXPORTS=${BENCH_EXPORTS:-"maildir mbox eml exchange pst ics"}
PARTIAL=${BENCH_KINDS:+1}${BENCH_EXPORTS:+1}
TIME=/usr/bin/time
mkdir -p "$OUT/corpus" "$OUT/work"
RES="$OUT/results.tsv"
: > "$RES.new"

has() { "$MF" formats | grep -q "^  $1 *built"; }
want() { case " $STEPS " in *" $1 "*) return 0 ;; esac; return 1; }
in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# 10 % of the messages carry an attachment of 10 KB to 2 MB, spread
# log-uniformly (as many between 10 and 100 KB as between 100 KB and 1 MB)
ATT="--attach-pct 10 --attach-min 10240 --attach-max 2097152"

# corpus SIZE KIND -> folder (generated once)
corpus() {
	size=$1 kind=$2
	dir="$OUT/corpus/$kind-$size"
	gen="$top/build/tools/gen-$kind"
	case $size in
	small) args="--users 10 --messages 2000 $ATT --seed 1" ;;
	medium) args="--users 100 --messages 100000 $ATT --seed 1" ;;
	esac
	# a Schedule+ calendar for 30 % of the MS Mail mailboxes, so that the
	# small bundle has calendars too (3 of 10 mailboxes; 10 % left it none)
	[ "$kind" = msmail ] && args="$args --calendar-pct 30"
	if [ -f "$dir/.generated" ] && [ "$(cat "$dir/.generated")" = "$args" ]; then
		echo "$dir"
		return
	fi
	rm -rf "$dir"
	"$gen" $args "$dir" >/dev/null
	echo "$args" > "$dir/.generated"
	echo "$dir"
}

# run_times PREP -- CMD...: run PREP then CMD, RUNS times; "seconds rss_kb"
# lines into $OUT/work/times.
run_times() {
	prep=$1
	shift 2
	: > "$OUT/work/times"
	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		RUN=$i
		export RUN
		sh -c "$prep"
		if ! $TIME -f "%e %M" -o "$OUT/work/one" sh -c "$*" >"$OUT/work/log" 2>&1; then
			echo "bench: failed: $*" >&2
			tail -n 20 "$OUT/work/log" >&2
			return 1
		fi
		tail -n 1 "$OUT/work/one" >> "$OUT/work/times"
	done
}

# record STEP SIZE BYTES ITEMS: median/min/max of $OUT/work/times into the results
record() {
	sort -n "$OUT/work/times" | awk -v step="$1" -v size="$2" -v bytes="$3" \
		-v items="$4" -v n="$RUNS" '
		{ t[NR] = $1; if ($2 > mx) mx = $2 }
		END {
			med = t[int((NR + 1) / 2)];
			if (med <= 0) med = 0.01;
			printf "%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.0f\t%.0f\t%.1f\t%.0f\t%.1f\n",
				step, size, n, med, t[1], t[NR], bytes, items,
				bytes / med / 1e6, items / med, mx / 1024
		}' >> "$RES.new"
	tail -n 1 "$RES.new" | awk -F'\t' '{ printf "  %-24s %-6s median %7.2fs (%.2f-%.2f) %8.1f MB/s %9.0f items/s  peak %6.1f MiB\n", $1, $2, $4, $5, $6, $9, $10, $11 }'
}

# measure STEP SIZE BYTES ITEMS PREP -- CMD...
measure() {
	step=$1 size=$2 bytes=$3 items=$4 prep=$5
	shift 5
	run_times "$prep" "$@" && record "$step" "$size" "$bytes" "$items"
}

dirbytes() { du -sb "$1" | cut -f1; }

for size in $SIZES; do
	echo "== corpus: $size"
	kinds=""
	in_list ccmail "$KINDS" && has ccmail && [ -x build/tools/gen-ccmail ] && kinds="$kinds ccmail"
	in_list msmail "$KINDS" && has msmail && [ -x build/tools/gen-msmail ] && kinds="$kinds msmail"
	[ -n "$kinds" ] || { echo "  (no importer or generator built: nothing to measure)"; continue; }
	for kind in $kinds; do
		dir=$(corpus "$size" "$kind")
		bytes=$(dirbytes "$dir")
		msgs=$(cat "$dir"/.messages 2>/dev/null || echo 0)
		[ "$msgs" -gt 0 ] || msgs=$(case $size in small) echo 2000 ;; medium) echo 100000 ;; esac)
		# each kind's staged store, kept for the plan and the exports
		db="$OUT/work/stage-$kind-$size.db"
		if want import; then
			rec=$((bytes / msgs))
			measure "read ($kind)" "$size" "$bytes" "$msgs" ":" -- "find '$dir' -type f -exec cat {} + > /dev/null"
			measure "raw-insert ($kind)" "$size" "$bytes" "$msgs" "rm -f '$OUT/work/raw.db'*" -- \
				"'$top/build/bench/raw-insert' '$OUT/work/raw.db' $rec '$dir'"
			rm -f "$OUT/work/raw.db"*
			measure "import $kind" "$size" "$bytes" "$msgs" "rm -f '$db'*" -- \
				"'$MF' import $kind --db '$db' --quiet '$dir'"
		elif [ ! -f "$db" ]; then
			"$MF" import "$kind" --db "$db" --quiet "$dir" > /dev/null
		fi
		staged=$(sqlite3 "$db" "select count(*) from messages where parent_id is null")
		if want plan && "$MF" plan --help >/dev/null 2>&1 && "$MF" plan --db "$db" >/dev/null 2>&1; then
			measure "plan ($kind)" "$size" 0 "$staged" ":" -- "'$MF' plan --db '$db' > /dev/null"
		fi
		want export || continue
		# the message exporters on the cc:Mail store, iCalendar on the MS
		# Mail one (the store with calendars)
		# the floor under every message exporter: reading the staged
		# bytes (attachments and bodies) once, as they do
		if [ "$kind" = ccmail ] && [ -x build/bench/raw-read ]; then
			rb=$(build/bench/raw-read "$db" | cut -d' ' -f2)
			measure "raw-read ($kind)" "$size" "$rb" "$staged" ":" -- \
				"'$top/build/bench/raw-read' '$db' > /dev/null"
		fi
		case $kind in
		ccmail) exps="maildir mbox eml exchange pst" ;;
		msmail) exps="ics" ;;
		esac
		for exp in $exps; do
			has "$exp" && in_list "$exp" "$EXPORTS" || continue
			o="$OUT/work/out-$exp"
			# every run writes to a new target, so the ledger never says "done"
			run_times "rm -rf '$o'-*" -- "'$MF' export $exp --db '$db' --out '$o'-\$RUN --quiet" || continue
			wrote=$(dirbytes "$o-$RUNS")
			record "export $exp" "$size" "$wrote" "$staged"
			measure "cp -r ($exp output)" "$size" "$wrote" "$staged" "rm -rf '$OUT/work/copy'" -- \
				"cp -r '$o-$RUNS' '$OUT/work/copy'"
			# the PST files read back by libpst, against the export
			if [ "$exp" = pst ] && command -v readpst >/dev/null 2>&1; then
				measure "readpst (pst output)" "$size" "$wrote" "$staged" \
					"rm -rf '$OUT/work/rp'; mkdir -p '$OUT/work/rp'" -- \
					"for f in '$o-$RUNS'/*.pst; do readpst -q -j 0 -e -o '$OUT/work/rp' \"\$f\" || exit 1; done"
				rm -rf "$OUT/work/rp"
			fi
			rm -rf "$o"-* "$OUT/work/copy"
		done
	done
	if want imap && [ -x bench/imap.sh ]; then
		sh bench/imap.sh "$OUT/work/stage-ccmail-$size.db" "$size" "$RES.new" || echo "  (imap benchmark failed)"
	fi
done
mv "$RES.new" "$RES"
if [ -n "$PARTIAL" ]; then
	echo "bench: partial run (BENCH_KINDS/BENCH_EXPORTS): results in $RES, docs/BENCHMARKS.md unchanged"
else
	sh bench/report.sh "$RES"
fi
# the CardDAV push and vCard files: a corpus and a block of their own
if want dav; then
	sh bench/dav.sh || echo "  (dav benchmark failed)"
fi
