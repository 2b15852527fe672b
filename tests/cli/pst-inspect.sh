#!/bin/sh
# pst-inspect.sh: `mailferry inspect pst`, mailferry's own PST verifier.
#
# Inputs come from tests/lib/pstgen.py (an independent test generator) and,
# when the PST exporter is built in, from `mailferry export pst`.  Every clean
# file must pass, and its counts must equal those of pstdump.py (a Python
# reader sharing nothing with the C one) and of readpst; the JSON listing
# must hold every generated subject and attachment (sha256).  Each mutation
# (block CRC, trailer BID, AMap bit, contents row, message size) must be
# reported with its own problem line.  Hostile files (B-tree loops, blocks
# outside the file, sizes of 2^32, the file cut at every page boundary, with
# and without the header agreeing) are refused with a line naming the
# offset, exit 1 or 3, never a crash, with bounded peak memory.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null || [ ! -x /usr/bin/time ]; then
	echo "FAIL - pst-inspect: python3 and /usr/bin/time are needed"
	echo "0 passed, 1 failed"
	exit 1
fi
GEN="python3 $SRC/tests/lib/pstgen.py"
MUT="python3 $SRC/tests/lib/pstmut.py"
if [ "${VARIANT:-normal}" = normal ]; then rss_max=65536; else rss_max=400000; fi

# ---- usage
check_exit 2 "inspect pst: no file is a usage error" "$MF" inspect pst
check_exit 3 "inspect pst: a missing file is unreadable" "$MF" inspect pst "$T/none.pst"
printf 'not a pst at all' >"$T/junk.pst"
check_exit 3 "inspect pst: a non-PST file is refused" "$MF" inspect pst "$T/junk.pst"
check_grep "inspect pst: the refusal names offset 0" "offset [0-9]*: not a PST" "$T/.err"

# ---- clean files
$GEN "$T/small.pst" --folders 3 --messages 4 --nested --json "$T/small.json"
$GEN "$T/big.pst" --folders 3 --messages 150 --attach-every 5 --attach-size 9000 --nested \
	--no-pad --json "$T/big.json"
# one folder of 3,000 messages: a contents table whose heap spans many
# blocks (bitmap header at block 8), row matrix over many blocks, row index
# with index levels
$GEN "$T/many.pst" --folders 1 --messages 3000 --attach-every 0 --json "$T/many.json"
$GEN "$T/cut.pst" --folders 1 --messages 3 --attach-size 9000 --no-pad

# compare_json WANT GOT: every generated folder, subject, read flag and
# attachment (name, size, sha256) is in the reader's listing, no more.
compare_json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
bad = 0
byname = {f["name"]: f for f in got["store"]["folders"]}
nmsg = 0
for wf in want["folders"]:
    gf = byname.get(wf["name"])
    if gf is None:
        print("  folder missing:", wf["name"]); bad += 1; continue
    gm = {m["subject"]: m for m in gf["messages"]}
    if len(gm) != len(wf["messages"]) or gf["content_count"] != len(wf["messages"]):
        print("  %s: %d messages, wanted %d" % (wf["name"], len(gm), len(wf["messages"]))); bad += 1
    for m in wf["messages"]:
        nmsg += 1
        g = gm.get(m["subject"])
        if g is None:
            print("  missing:", m["subject"]); bad += 1; continue
        if g["read"] != m["read"]:
            print("  read flag differs:", m["subject"]); bad += 1
        ga = [(a.get("long_name"), a.get("data_size"), a.get("sha256")) for a in g["attachments"]]
        wa = [(a["name"], a["size"], a["sha256"]) for a in m["attachments"]]
        if ga != wa:
            print("  attachments differ:", m["subject"], ga, wa); bad += 1
if got["store"]["totals"]["messages"] != nmsg:
    print("  totals.messages %d, wanted %d" % (got["store"]["totals"]["messages"], nmsg)); bad += 1
sys.exit(1 if bad else 0)
EOF
}

for f in small big many; do
	check "inspect pst $f: valid (exit 0)" "$MF" inspect pst "$T/$f.pst"
	cp "$T/.out" "$T/$f.txt"
	check_grep "inspect pst $f: summary says valid" "; valid$" "$T/$f.txt"
	if [ -s "$T/.err" ]; then
		_result 1 "inspect pst $f: no problem line"
		head -n 5 "$T/.err"
	else
		_result 0 "inspect pst $f: no problem line"
	fi
	# counts against pstdump.py
	set -- $($MUT "$T/$f.pst" - counts)
	sum=$(cat "$T/$f.txt")
	ok=0
	echo "$sum" | grep -q " $2 nodes, $4 blocks, $6 B-tree pages" || ok=1
	echo "$sum" | grep -q ": $8 folders, ${10} messages" || ok=1
	[ $ok -eq 0 ] || echo "  pstdump: $*; mailferry: $sum"
	_result $ok "inspect pst $f: nodes, blocks, pages, folders, messages equal pstdump.py's"
	check "inspect pst $f --json" "$MF" inspect pst --json "$T/$f.pst"
	cp "$T/.out" "$T/$f.out.json"
	check "inspect pst $f --json: every folder, subject, flag, attachment sha256" \
		compare_json "$T/$f.json" "$T/$f.out.json"
	if command -v readpst >/dev/null; then
		mkdir -p "$T/rp-$f"
		readpst -j 0 -e -o "$T/rp-$f" "$T/$f.pst" >/dev/null 2>&1
		n=$(find "$T/rp-$f" -name '*.eml' | wc -l)
		want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["store"]["totals"]["messages"])' "$T/$f.out.json")
		[ "$n" -eq "$want" ] || echo "  readpst $n messages, mailferry $want"
		_result $([ "$n" -eq "$want" ]; echo $?) "inspect pst $f: readpst finds the same $want messages"
	fi
done

# ---- files written by `mailferry export pst` (when the exporter is built in)
if "$MF" formats 2>/dev/null | grep -q '^  pst '; then
	for src in ccmail msmail; do
		"$MF" import $src --quiet --db "$T/w-$src.db" "$SRC/docs/sample/$src" >/dev/null 2>&1
		check "export pst $src sample" "$MF" export pst --db "$T/w-$src.db" --out "$T/w-$src" \
			--quiet --mailbox-domain example.com
		for f in "$T/w-$src"/*.pst; do
			b=$(basename "$f")
			check "export pst $src $b: inspect pst finds no problem" "$MF" inspect pst "$f"
			set -- $($MUT "$f" - counts)
			sum=$(cat "$T/.out")
			ok=0
			echo "$sum" | grep -q " $2 nodes, $4 blocks, $6 B-tree pages" || ok=1
			echo "$sum" | grep -q ": $8 folders, ${10} messages" || ok=1
			[ $ok -eq 0 ] || echo "  pstdump: $*; mailferry: $sum"
			_result $ok "export pst $src $b: counts equal pstdump.py's"
		done
	done
	# mutations of a written file: the mailbox with the most messages
	w=$(ls -S "$T"/w-ccmail/*.pst | head -n 1)
	for k in block-crc trailer-bid amap-bit contents-row message-size nbt-loop bbt-loop \
		block-outside; do
		exp=$($MUT "$w" "$T/wm.pst" $k)
		check_exit 1 "written $(basename "$w"), mutation $k: problems found" \
			"$MF" inspect pst "$T/wm.pst"
		check_grep "written $(basename "$w"), mutation $k: reported ($exp)" "$exp" "$T/.err"
	done
else
	echo "ok - # SKIP export pst is not built in: written files not checked"
fi

# ---- mutations: each one reported by its own line
for k in block-crc trailer-bid amap-bit contents-row message-size; do
	exp=$($MUT "$T/big.pst" "$T/m.pst" $k)
	check_exit 1 "mutation $k: problems found (exit 1)" "$MF" inspect pst "$T/m.pst"
	check_grep "mutation $k: reported ($exp)" "$exp" "$T/.err"
done
exp=$($MUT "$T/big.pst" "$T/m.pst" amap-bit)
"$MF" inspect pst "$T/m.pst" >/dev/null 2>"$T/.err"
check_grep "mutation amap-bit: cbAMapFree reported too" "cbAMapFree" "$T/.err"

# ---- hostile files: refused with the offset, bounded memory
hostile() { # $1 kind, $2 wanted exit
	exp=$($MUT "$T/big.pst" "$T/h.pst" "$1")
	/usr/bin/time -f %M -o "$T/rss" "$MF" inspect pst "$T/h.pst" >"$T/.out" 2>"$T/.err"
	rc=$?
	[ $rc -eq "$2" ] || { echo "  exit $rc, wanted $2"; head -n 5 "$T/.err"; }
	_result $([ $rc -eq "$2" ]; echo $?) "hostile $1: exit $2"
	check_grep "hostile $1: names what and where ($exp)" "offset [0-9]*: .*$exp" "$T/.err"
	rss=$(tail -n 1 "$T/rss")
	[ "$rss" -le $rss_max ] || echo "  peak RSS $rss KiB"
	_result $([ "$rss" -le $rss_max ]; echo $?) "hostile $1: peak RSS $rss KiB <= $rss_max"
}
hostile nbt-loop 1
hostile bbt-loop 1
hostile block-outside 1
hostile block-ib-2^32 1
hostile bbt-cb-max 1
hostile eof-2^32 3
hostile nbt-root-2^32 3

# ---- the file cut at every page boundary: as it is (the header's size no
# longer matches) and with the header rewritten to the cut size, so the
# walk meets missing pages and blocks
mkdir -p "$T/cuts"
python3 - "$T/cut.pst" "$T/cuts" <<'EOF'
import struct, sys, zlib
src = open(sys.argv[1], "rb").read()
c = lambda b: zlib.crc32(bytes(b), 0xFFFFFFFF) ^ 0xFFFFFFFF
for off in range(512, len(src), 512):
    d = bytearray(src[:off])
    open("%s/%08d-as-is.pst" % (sys.argv[2], off), "wb").write(d)
    if off < 564:
        continue
    struct.pack_into("<Q", d, 184, len(d))
    struct.pack_into("<I", d, 4, c(d[8:479]))
    struct.pack_into("<I", d, 524, c(d[8:524]))
    open("%s/%08d-agreeing.pst" % (sys.argv[2], off), "wb").write(d)
EOF
n=0; bad=0; worst=0
for c in "$T"/cuts/*.pst; do
	/usr/bin/time -f %M -o "$T/rss" "$MF" inspect pst "$c" >/dev/null 2>"$T/.err"
	rc=$?
	case "$c" in
	*as-is.pst) want="3" ;;
	*) want="1 3" ;;
	esac
	case " $want " in
	*" $rc "*) grep -q "offset [0-9]*: \|node 0x" "$T/.err" ||
		{ bad=$((bad + 1)); echo "  $(basename "$c"): no problem line"; } ;;
	*) bad=$((bad + 1)); echo "  $(basename "$c"): exit $rc"; tail -n 3 "$T/.err" ;;
	esac
	rss=$(tail -n 1 "$T/rss")
	[ "$rss" -gt "$worst" ] && worst=$rss
	n=$((n + 1))
done
_result $bad "cut at every page boundary ($n files, as they are and with the header agreeing): refused (exit 3, or 1 for the latter) with a problem line, no crash"
_result $([ "$worst" -le $rss_max ]; echo $?) "cut files: peak RSS $worst KiB <= $rss_max"

finish
