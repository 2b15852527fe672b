#!/bin/sh
# bench/directory.sh: the large-directory benchmark (issue 15), run by
# `make bench` after bench/run.sh, or alone: `sh bench/directory.sh`.
#
# Two deterministic corpora, generated once and cached under
# bench/out/corpus/ (tests/tools/gen-ccmail, gen-msmail, no mail):
#   100k  100,000 local users, 25,000 remote, 5,000 aliases, 5,000 lists of
#         25 members, as a cc:Mail export set and as an MS Mail bundle (MS
#         Mail: the aliases are Internet addresses of local users in
#         gw-SMTP.txt, the lists groups in groups.txt; 10 % of its users
#         have a Schedule+ calendar), and a target directory snapshot (a
#         CSV: a custom recipient for every tenth cc:Mail user, a mailbox
#         for every tenth MS Mail user, as many other mailboxes);
#   10k   the same with a tenth of each.
# Every step runs as a whole process under /usr/bin/time (%e %M): import
# ccmail and msmail, import directory (the snapshot into each store), plan,
# check, status and report on each store, import directory again (into the
# planned store: the new snapshot replaces the old), every exporter and its verify
# (on the cc:Mail store; ics on the MS Mail store, the one with
# calendars; the store planned first, untimed), and batch: the cc:Mail job
# into maildir as two shards and report --merge of the two.  Items are the
# staged mailboxes (for import
# directory: the snapshot's rows).
# Results go to bench/out/directory.tsv (a run replaces the rows of the
# steps and sizes it measured, keeps the others) and to the generated
# block between the dirbench:begin and dirbench:end markers of
# docs/BENCHMARKS.md, with the 100k/10k time and peak-memory ratios
# against the limits of issue 15 (time at most 11, memory at most 1.5).
#
#   DIRBENCH_SIZES="10k 100k"   sizes to run (default both)
#   DIRBENCH_STEPS="import plan check status report export verify batch"
#                               groups of steps (default all); a step that
#                               needs a store imports it first (untimed)
#                               when an earlier run left none
#   DIRBENCH_EXPORTERS="maildir mbox eml ics exchange vcard pst"
#   DIRBENCH_RUNS=3             runs per step (the best is kept: on a shared
#                               machine other work only ever adds time, so
#                               the fastest run is the one least disturbed;
#                               the same number of runs at both sizes)
#   MF=path/to/mailferry        (default ./mailferry)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
MF=${MF:-"$top/mailferry"}
OUT="$top/bench/out"
W="$OUT/dirwork"
RUNS=${DIRBENCH_RUNS:-3}
SIZES=${DIRBENCH_SIZES:-"10k 100k"}
STEPS=${DIRBENCH_STEPS:-"import plan check status report export verify batch"}
EXPORTERS=${DIRBENCH_EXPORTERS:-"maildir mbox eml ics exchange vcard pst"}
TIME=/usr/bin/time
RES="$OUT/directory.tsv"
mkdir -p "$OUT/corpus" "$W"
[ -x "$MF" ] || { echo "directory.sh: $MF not built (make mailferry)" >&2; exit 2; }
for t in gen-ccmail gen-msmail; do
	[ -x "$top/build/tools/$t" ] || { echo "directory.sh: build/tools/$t not built (make $top/build/tools/$t)" >&2; exit 2; }
done
[ -x "$TIME" ] || { echo "directory.sh: $TIME missing (GNU time)" >&2; exit 2; }
want() { case " $STEPS " in *" $1 "*) return 0 ;; esac; return 1; }
has() { "$MF" formats | grep -q "^  $1 *built"; }
NEW="$W/new.tsv"
# Output trees are moved out of the way into $TRASH during the run and
# deleted only after the last timed step.  On an ext4 file system without a
# journal (this machine's) the kernel will not reuse an inode freed in the
# last 60 s (360 s while its inode-table block is unwritten): every new inode
# is found by walking past each recently freed one, so a step that creates
# 100,000 entries right after 100,000 were deleted pays a walk that grows
# with the square of the count (export mbox 100k: 15-19 s in a quiet
# file system, 27-40 s right after `rm -rf` of the previous exporter's
# output; docs/BENCHMARKS.md).  That is the benchmark's own clean-up, not
# the step under test.
TRASH="$W/trash"
rm -rf "$W"/trash*
discard() {
	for p in "$@"; do
		[ -e "$p" ] || continue
		mkdir -p "$TRASH"
		mv "$p" "$(mktemp -d "$TRASH/XXXXXX")/"
	done
}
RUNID="$(date -u '+%Y-%m-%d %H:%M') $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
: > "$NEW"

# users SIZE -> number of local users
users() { case $1 in 10k) echo 10000 ;; 100k) echo 100000 ;; *) echo "directory.sh: size $1?" >&2; exit 2 ;; esac; }

# corpus KIND SIZE -> folder (or file, for gal), generated once
corpus() {
	kind=$1 size=$2
	n=$(users "$size")
	args="--users $n --messages 0 --no-mail --remote $((n / 4)) --aliases $((n / 20)) --lists $((n / 20)) --list-members 25 --seed 1"
	case $kind in
	ccmail) args="$args --bboards 0"; dst="$OUT/corpus/dir-ccmail-$size" ;;
	msmail) dst="$OUT/corpus/dir-msmail-$size" ;;
	gal) args="gal $n"; dst="$OUT/corpus/dir-gal-$size.csv" ;;
	esac
	if [ -f "$dst.generated" ] && [ "$(cat "$dst.generated")" = "$args" ] && [ -e "$dst" ]; then
		echo "$dst"
		return
	fi
	rm -rf "$dst" "$dst.generated"
	case $kind in
	gal)
		# the target's recipients: every tenth cc:Mail user already has
		# a custom recipient (the plan converts it), every tenth MS Mail
		# user a mailbox (exists), and as many mailboxes of its own
		awk -v n="$n" 'BEGIN {
			split("Lindqvist Okafor Brenner Berg Holm Nilsson Svensson Tanaka Garcia Smith Novak Rossi Dubois Kowalski Jensen Murphy", sn, " ")
			split("Anna Chidi Paul Erik Karin Yuki Maria John Jan Luca Claire Piotr Lars Aoife Ken Sofia", gv, " ")
			print "class,alias,display_name,proxy_addresses"
			for (i = 0; i < n; i += 10) {
				s = sn[i % 16 + 1]; g = gv[int(i / 16 + i) % 16 + 1]; k = int(i / 16) + 1
				printf "custom,CR%06d,\"%s%d, %s\",\"SMTP:cr%06d@target.example;CCMAIL:%s%d, %s at GENPO\"\n", i, s, k, g, i, s, k, g
				printf "mailbox,MB%06d,\"Target user %06d\",\"SMTP:mb%06d@target.example;MS:GENNET/GENPO/U%05d\"\n", i + 5, i + 5, i + 5, i + 6
				printf "mailbox,TG%06d,\"Target only %06d\",\"SMTP:tg%06d@target.example\"\n", i, i, i
			}
		}' > "$dst"
		;;
	*)
		"$top/build/tools/gen-$kind" $args "$dst" > /dev/null
		;;
	esac
	echo "$args" > "$dst.generated"
	echo "$dst"
}

# timed STEP SIZE ITEMS PREP -- CMD...: run PREP (untimed) then CMD, RUNS
# times; records the best (shortest) time with that run's CPU time and exit
# code, and the highest peak memory of all the runs
# (0 and 1 - finished with problems - are accepted)
timed() {
	step=$1 size=$2 items=$3 prep=$4
	shift 5
	: > "$W/times"
	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		eval "$prep"
		rc=0
		$TIME -f "%e %M %U %S" -o "$W/one" "$@" > "$W/log" 2>&1 || rc=$?
		if [ "$rc" -gt 1 ] || ! tail -n 1 "$W/one" | grep -q '^[0-9.]* [0-9]* [0-9.]* [0-9.]*$'; then
			echo "  $step ($size): failed (exit $rc): $*" >&2
			tail -n 12 "$W/log" >&2
			return 1
		fi
		echo "$(tail -n 1 "$W/one") $rc" >> "$W/times"
	done
	sort -n "$W/times" | awk -v step="$step" -v size="$size" -v items="$items" -v run="$RUNID" \
		-v load="$(cut -d' ' -f1 /proc/loadavg)" '
		{ t[NR] = $1; m[NR] = $2; c[NR] = $3 + $4; r[NR] = $5; if ($2 > mx) mx = $2 }
		END {
			k = 1; med = t[k]; if (med <= 0) med = 0.01
			printf "%s\t%s\t%.2f\t%d\t%.0f\t%.1f\t%d\t%s\t%s\t%.2f\n", step, size, med, items,
				items / med, mx / 1024, r[k], run, load, c[k]
		}' >> "$NEW"
	tail -n 1 "$NEW" | awk -F'\t' '{ printf "  %-28s %-5s %8.2f s (cpu %7.2f s) %9.0f items/s  peak %7.1f MiB  load %s%s\n", $1, $2, $3, $10, $5, $6, $9, ($7 ? "  (exit " $7 ")" : "") }'
}

# snap DB / restore DB: keep the store as it is / put it back, so that every
# run of a step that writes to the store (import directory, plan) does the
# same work as the first (a second plan of a planned store does less)
snap() { rm -f "$1.pre"; cp "$1" "$1.pre"; }
restore() { rm -f "$1" "$1-wal" "$1-shm"; cp "$1.pre" "$1"; }

# store KIND SIZE: the staged store of KIND with the snapshot, made untimed
# when the import steps are not run
store_ready() {
	db=$1 kind=$2 size=$3
	[ -f "$db" ] && [ -f "$db.complete" ] && return 0
	rm -f "$db" "$db"-* "$db.complete"
	"$MF" import "$kind" --db "$db" --quiet "$(corpus "$kind" "$size")" > /dev/null
	"$MF" import directory --db "$db" --quiet "$(corpus gal "$size")" > /dev/null
	touch "$db.complete"
}

for size in $SIZES; do
	echo "== large directory: $size"
	n=$(users "$size")
	gal=$(corpus gal "$size")
	galrows=$(($(wc -l < "$gal") - 1))
	for kind in ccmail msmail; do
		c=$(corpus "$kind" "$size")
		db="$W/$kind-$size.db"
		if want import; then
			timed "import $kind" "$size" "$n" "rm -f '$db' '$db'-* '$db.complete'" -- \
				"$MF" import "$kind" --db "$db" --quiet "$c"
			snap "$db"
			timed "import directory ($kind)" "$size" "$galrows" "restore '$db'" -- \
				"$MF" import directory --db "$db" --quiet "$gal"
			touch "$db.complete"
		fi
		store_ready "$db" "$kind" "$size"
		# every run of a step starts from the same store
		snap "$db"
		want plan && timed "plan ($kind)" "$size" "$n" "restore '$db'" -- "$MF" plan --db "$db" --quiet
		snap "$db"
		want check && timed "check ($kind)" "$size" "$n" "restore '$db'" -- "$MF" check --db "$db" --quiet
		want status && timed "status ($kind)" "$size" "$n" "restore '$db'" -- "$MF" status --db "$db"
		want report && timed "report ($kind)" "$size" "$n" "rm -f '$W/report.html'; restore '$db'" -- \
			"$MF" report --db "$db" --html "$W/report.html" --json="$W/report.json"
		# the snapshot again, into a planned store: it replaces the old one
		want import && timed "import directory again ($kind)" "$size" "$galrows" "restore '$db'" -- \
			"$MF" import directory --db "$db" --quiet "$gal"
		rm -f "$db.pre"
	done
	# the exporters: on the cc:Mail store, ics on the MS Mail store, each
	# planned first (untimed, when the plan is not current: after "import
	# directory again" it is not), so that an export row measures the
	# export and not the plan it would otherwise make first (plan is a step
	# of its own)
	if want export || want verify; then
		for kind in ccmail msmail; do
			"$MF" plan --db "$W/$kind-$size.db" --quiet > /dev/null 2>&1 || true
		done
		for exp in $EXPORTERS; do
			has "$exp" || { echo "  ($exp not built)"; continue; }
			kind=ccmail
			[ "$exp" = ics ] && kind=msmail
			db="$W/$kind-$size.db"
			o="$W/out-$exp-$size"
			# a fresh copy of the store and a new target each run: the
			# ledger never says "done"
			if want export; then
				timed "export $exp" "$size" "$n" "discard '$o'; rm -f '$db.x' '$db.x'-*; cp '$db' '$db.x'" -- \
					"$MF" export "$exp" --db "$db.x" --out "$o" --quiet
			else
				discard "$o"
				rm -f "$db.x" "$db.x"-*
				cp "$db" "$db.x"
				"$MF" export "$exp" --db "$db.x" --out "$o" --quiet > /dev/null 2>&1 || true
			fi
			want verify && timed "verify $exp" "$size" "$n" ":" -- \
				"$MF" verify "$exp" --db "$db.x" --out "$o"
			discard "$o"
			rm -f "$db.x" "$db.x"-*
		done
	fi
	if want batch; then
		jf="$W/batch-$size.ini"
		cat > "$jf" <<EOF
[dir]
source = ccmail
path = $(corpus ccmail "$size")
db = $W/batch-$size-{shard}.db
directory_snapshot = $gal
target = maildir
out = $W/batch-$size-out-{shard}
EOF
		for s in 0 1; do
			timed "batch --shard $s/2" "$size" "$n" "rm -f '$W/batch-$size-$s.db'*; discard '$W/batch-$size-out-$s'" -- \
				"$MF" batch "$jf" --shard "$s/2" --quiet
		done
		timed "report --merge (2 shards)" "$size" "$n" ":" -- \
			"$MF" report --merge "$W/batch-$size-0.db" "$W/batch-$size-1.db" --json="$W/merge.json"
		rm -f "$W/batch-$size"-*.db*
		discard "$W/batch-$size"-out-*
	fi
done
# the last timed step is behind us: now the output trees can go, in the
# background at idle priority (a few minutes for millions of entries on a
# file system mounted with discard); a next run removes what is left first
if [ -d "$TRASH" ]; then
	mv "$TRASH" "$TRASH.$$"
	(ionice -c 3 nice rm -rf "$TRASH.$$" > /dev/null 2>&1 &)
fi

# merge: this run's rows replace the same (step, size) of earlier runs, in
# place; new ones go at the end
touch "$RES"
awk -F'\t' 'NR == FNR { nw[$1 FS $2] = $0; ord[++n] = $1 FS $2; next }
	($1 FS $2) in nw { if (!done[$1 FS $2]++) print nw[$1 FS $2]; next }
	{ print }
	END { for (i = 1; i <= n; i++) if (!done[ord[i]]++) print nw[ord[i]] }' "$NEW" "$RES" > "$RES.tmp"
mv "$RES.tmp" "$RES"
sh "$top/bench/directory-report.sh" "$RES"
