#!/bin/sh
# pst.sh: `mailferry export pst` end to end.  The sample post offices and
# generated corpora are exported, then read back by readers mailferry did
# not write: libpff (pypff, pffexport), libpst (readpst) and the npm
# package pst-extractor (tests/node), each compared message by message
# with the staging database (tests/lib/pst_check.py: folder, subject,
# sender and recipients by name and address against the EML exporter's
# rendering, submit and delivery times, flags, importance, body, RTF,
# attachments by sha256, embedded messages recursively; which reader shows
# what is listed there), and by mailferry's own reader (verify pst);
# pstdump.py (shared formats notes) verifies every CRC, signature, map and
# reference count.
# Then: two exports are byte-identical, a re-run changes nothing, a killed
# run leaves no temporary file and the next run completes the mailbox,
# --split-size makes parts, the mapping CSV names every file.
. "$(dirname "$0")/lib.sh"

: "${BUILD:=$SRC/build}"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, with python3-pypff
CHECK="$SRC/tests/lib/pst_check.py"
NODE_DIR="$SRC/tests/node"
PSTDUMP="$SRC/tests/lib/pstdump.py"   # the reference reader of docs/formats/background/pst-writer-notes.md

# the npm reader, installed inside the repository
if [ ! -d "$NODE_DIR/node_modules/pst-extractor" ] && command -v npm >/dev/null 2>&1; then
	(cd "$NODE_DIR" && npm install --no-audit --no-fund --silent >/dev/null 2>&1)
fi

# run the checker with its findings shown on failure
checker() {
	name=$1; shift
	check "$name" sh -c '"$@" 1>&2' sh "$PY" "$CHECK" "$@"
}

readers() { # DB OUT LABEL
	# the staged senders and recipients as every exporter renders them:
	# the EML exporter's output is the reference for names and addresses
	check "$3: the EML reference of the staged addresses" "$MF" export eml --db "$1" \
		--out "$2-eml" --quiet
	for r in files pypff pffexport readpst extractor; do
		checker "$3: $r reads every staged message back" "$1" "$2" $r "$NODE_DIR" "$2-eml"
	done
	verify_own "$@"
}

# mailferry's own reader against staging (verify pst): every message in its
# folder with its content, no mismatch
verify_own() { # DB OUT LABEL
	check "$3: verify pst (mailferry's reader against staging) finds no mismatch" \
		"$MF" verify pst --db "$1" --out "$2"
}

pstdump_all() { # OUT LABEL
	if [ -z "$PSTDUMP" ]; then
		_result 1 "$2: pstdump.py found (tests/lib)"
		return
	fi
	check "$2: pstdump.py verifies every file" sh -c '
		for f in "$2"/*.pst; do
			"$3" "$1" "$f" > "$4/dump.txt" 2>&1 || { echo "$f: exit $?" >&2; exit 1; }
			awk -F"|" -v f="$f" "/## Verification summary/ { p = 1 } p && /^\| [a-zA-Z]/ && \$4 + 0 > 0 { bad = 1; print f \": \" \$0 > \"/dev/stderr\" } END { exit bad }" \
				"$4/dump.txt" || exit 1
			grep -q "## Verification summary" "$4/dump.txt" || { echo "$f: no summary" >&2; exit 1; }
		done' sh "$PSTDUMP" "$1" "$PY" "$T"
}

# ---- the sample post offices ----
for src in ccmail msmail; do
	db="$T/sample-$src.db"
	check "sample $src: import" "$MF" import $src --quiet --db "$db" "$SRC/docs/sample/$src"
	check "sample $src: export pst" "$MF" export pst --db "$db" --out "$T/s-$src" --quiet \
		--mailbox-domain example.com
	readers "$db" "$T/s-$src" "sample $src"
	pstdump_all "$T/s-$src" "sample $src"
done
check_grep "mapping CSV: alias@--mailbox-domain" '^Exchange,,LindqvistA.pst,LindqvistA@example.com,FALSE,/,,,,' \
	"$T/s-ccmail/PstImportMapping.csv"
check_out "every mailbox has its file, also the ones without mail" "8" sh -c 'ls "$1"/*.pst | wc -l' sh "$T/s-ccmail"

# ---- the mapping CSV's Mailbox from the plan's target directory: a
# converted custom recipient and an existing mailbox get their object's
# primary SMTP address, the others alias@--mailbox-domain ----
cp "$T/sample-ccmail.db" "$T/plan.db"
printf 'class,alias,display_name,proxy_addresses\r\ncustom,ALindqvist,Anna Lindqvist,"SMTP:anna@example.com;CCMAIL:Lindqvist, Anna at SALES01"\r\nmailbox,OkaforC,Chidi Okafor,"smtp:chidi.old@example.com;SMTP:chidi@example.com;CCMAIL:Okafor, Chidi at SALES01"\r\n' >"$T/gal.csv"
check "mapping CSV: import a target directory" "$MF" import directory --db "$T/plan.db" --quiet "$T/gal.csv"
check "mapping CSV: plan" "$MF" plan --db "$T/plan.db"
check "mapping CSV: export with the plan" "$MF" export pst --db "$T/plan.db" --out "$T/planned" --quiet \
	--mailbox-domain example.net
check_grep "mapping CSV: a converted custom recipient's SMTP address" '^Exchange,,ALindqvist.pst,anna@example.com,FALSE,/,,,,' \
	"$T/planned/PstImportMapping.csv"
check_grep "mapping CSV: an existing mailbox's primary SMTP address" '^Exchange,,OkaforC.pst,chidi@example.com,FALSE,/,,,,' \
	"$T/planned/PstImportMapping.csv"
check_grep "mapping CSV: the others alias@--mailbox-domain" '^Exchange,,BergA.pst,BergA@example.net,FALSE,/,,,,' \
	"$T/planned/PstImportMapping.csv"

# ---- generated corpora ----
"$BUILD/tools/gen-ccmail" --users 3 --messages 150 --attach-pct 30 --attach-max 60000 --edge \
	--seed 11 "$T/gc" >/dev/null 2>&1
"$BUILD/tools/gen-msmail" --users 3 --messages 150 --seed 11 "$T/gm" >/dev/null 2>&1
for src in ccmail msmail; do
	g=gc; [ $src = msmail ] && g=gm
	db="$T/$g.db"
	check "generated $src: import" "$MF" import $src --quiet --db "$db" "$T/$g"
	check "generated $src: export pst" "$MF" export pst --db "$db" --out "$T/$g-out" --quiet
	readers "$db" "$T/$g-out" "generated $src"
	pstdump_all "$T/$g-out" "generated $src"
	# the same database gives the same bytes
	check "generated $src: a second export into a new folder" "$MF" export pst --db "$db" \
		--out "$T/$g-out2" --quiet
	check "generated $src: both exports are byte-identical" sh -c '
		for f in "$1"/*.pst "$1"/PstImportMapping.csv; do cmp "$f" "$2/${f##*/}" || exit 1; done' \
		sh "$T/$g-out" "$T/$g-out2"
done

# ---- one folder of 1,500 messages: a row index with an index level, the row
# matrix over 24 blocks, a heap of more than 8 blocks (bitmap header) ----
"$BUILD/tools/gen-ccmail" --users 1 --messages 1500 --attach-pct 5 --seed 3 "$T/big" >/dev/null 2>&1
check "big folder: import" "$MF" import ccmail --quiet --db "$T/big.db" "$T/big"
sqlite3 "$T/big.db" "UPDATE messages SET folder_id = (SELECT min(id) FROM folders WHERE path = 'Inbox')
	WHERE folder_id IS NOT NULL AND mailbox_id = (SELECT mailbox_id FROM folders WHERE path = 'Inbox' LIMIT 1)"
check "big folder: export pst" "$MF" export pst --db "$T/big.db" --out "$T/big-out" --quiet
readers "$T/big.db" "$T/big-out" "big folder"

# ---- a re-run changes nothing ----
db="$T/gc.db"
sha() { (cd "$1" && sha256sum ./*.pst PstImportMapping.csv); }
sha "$T/gc-out" > "$T/before.sha"
check_out "re-run: nothing delivered again" "0" sh -c '"$1" export pst --db "$2" --out "$3" --json |
	"$4" -c "import json, sys; print(json.load(sys.stdin)[\"totals\"][\"delivered\"])"' sh "$MF" "$db" "$T/gc-out" "$PY"
check "re-run: the files are untouched" sh -c 'cd "$1" && sha256sum -c --quiet "$2"' sh "$T/gc-out" "$T/before.sha"

# ---- a killed run, then the next one ----
cp "$T/big.db" "$T/kill.db"
"$MF" export pst --db "$T/kill.db" --out "$T/kill-out" --quiet >/dev/null 2>&1 &
kpid=$!
sleep 0.4
kill -9 $kpid 2>/dev/null
wait $kpid 2>/dev/null
# a leftover of a process that is gone
: > "$T/kill-out/.Lindqvist1A.pst.tmp.999999"
: > "$T/kill-out/.PstImportMapping.csv.tmp.999999"
: > "$T/kill-out/.mailferry-target.999999"
: > "$T/kill-out/..mailferry-target.999999.tmp.999999"
check "after a kill: the next run completes" "$MF" export pst --db "$T/kill.db" --out "$T/kill-out" --quiet
check_out "after a kill: no temporary file left" "" sh -c 'cd "$1" && ls -a | grep "\.tmp\.\|^\.mailferry-target\." || true' sh "$T/kill-out"
checker "after a kill: every message once (pypff)" "$T/kill.db" "$T/kill-out" pypff "$NODE_DIR"
verify_own "$T/kill.db" "$T/kill-out" "after a kill"
check "after a kill: the file equals a clean export's" cmp "$T/kill-out/Lindqvist1A.pst" "$T/big-out/Lindqvist1A.pst"

# ---- --split-size ----
check "split: export with --split-size 1M" "$MF" export pst --db "$T/big.db" --out "$T/split" \
	--split-size 1M --quiet --mailbox-domain example.com
check "split: several parts, each under the size" sh -c '
	n=$(ls "$1"/Lindqvist1A-*.pst | wc -l); [ "$n" -ge 3 ] || exit 1
	for f in "$1"/Lindqvist1A*.pst; do [ $(stat -c %s "$f") -le 1300000 ] || exit 1; done' sh "$T/split"
checker "split: every message in exactly one part (pypff)" "$T/big.db" "$T/split" pypff "$NODE_DIR"
verify_own "$T/big.db" "$T/split" "split"
check "split: one mapping row per part" sh -c '
	[ "$(grep -c "^Exchange,,Lindqvist1A.*\.pst,Lindqvist1A@example.com," "$1/PstImportMapping.csv")" = \
	  "$(ls "$1"/Lindqvist1A*.pst | wc -l)" ]' sh "$T/split"
# ---- mail staged after a finished export goes into a new part ----
check "later mail: export what is dated before April 1997" "$MF" export pst --db "$T/sample-ccmail.db" \
	--out "$T/later" --until 1997-04-01 --quiet
sha "$T/later" | grep -v PstImportMapping > "$T/later.sha"
check "later mail: export the rest" "$MF" export pst --db "$T/sample-ccmail.db" --out "$T/later" --quiet
check "later mail: the finished files are untouched" sh -c 'cd "$1" && sha256sum -c --quiet "$2"' sh "$T/later" "$T/later.sha"
check "later mail: the rest is in new parts" test -f "$T/later/LindqvistA-002.pst"
checker "later mail: every message once over the parts (pypff)" "$T/sample-ccmail.db" "$T/later" pypff "$NODE_DIR"
verify_own "$T/sample-ccmail.db" "$T/later" "later mail"
check_exit 2 "split: a size of nothing is refused" "$MF" export pst --db "$T/big.db" --out "$T/split2" --split-size 0
# ---- the mapping CSV over runs with different selections ----
cp "$T/sample-ccmail.db" "$T/sel.db"
check "mapping: export one mailbox" "$MF" export pst --db "$T/sel.db" --out "$T/sel" --mailbox BergA --quiet
check "mapping: another, another domain" "$MF" export pst --db "$T/sel.db" --out "$T/sel" --mailbox HolmL \
	--mailbox-domain ex.org --quiet
check "mapping: the first again, a new domain" "$MF" export pst --db "$T/sel.db" --out "$T/sel" \
	--mailbox BergA --mailbox-domain new.org --quiet
check "mapping: one row per file, this run's address for the one it visited, the earlier row kept" \
	sh -c '[ "$(tail -n +2 "$1" | tr -d "\r")" = "Exchange,,BergA.pst,BergA@new.org,FALSE,/,,,,
Exchange,,HolmL.pst,HolmL@ex.org,FALSE,/,,,," ]' sh "$T/sel/PstImportMapping.csv"

finish
