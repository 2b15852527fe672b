#!/bin/sh
# golden.sh: the sha256 of every file each file exporter writes for the
# bundled sample data and a small generated corpus, one "sha256  path" line
# each, sorted.  Used to show that a change of structure leaves every output
# byte-identical:
#
#   scripts/golden.sh MAILFERRY OUTDIR > before.txt   (on the old tree)
#   scripts/golden.sh MAILFERRY OUTDIR > after.txt    (on the new tree)
#   diff before.txt after.txt
#
# TOOLS (default build/tools) holds gen-ccmail and gen-msmail.
set -eu
mf=$1
out=$2
tools=${TOOLS:-build/tools}
rm -rf "$out"
mkdir -p "$out"
run() {
	name=$1; shift
	db="$out/$name.db"
	"$mf" init --db "$db" >/dev/null
	for src in "$@"; do
		kind=${src%%:*}; path=${src#*:}
		"$mf" import "$kind" --db "$db" --quiet "$path" >/dev/null 2>&1 || true
	done
	for exp in maildir mbox eml ics exchange; do
		"$mf" export "$exp" --db "$db" --out "$out/$name-$exp" --quiet >/dev/null 2>&1 || true
	done
}
run sample ccmail:docs/sample/ccmail msmail:docs/sample/msmail
if [ -x "$tools/gen-ccmail" ] && [ -x "$tools/gen-msmail" ]; then
	"$tools/gen-ccmail" --users 40 --messages 600 --seed 7 "$out/gen-cc" >/dev/null 2>&1 || true
	"$tools/gen-msmail" --users 40 --messages 600 --seed 7 "$out/gen-ms" >/dev/null 2>&1 || true
	run gen ccmail:"$out/gen-cc" msmail:"$out/gen-ms"
fi
cd "$out"
find . -type f ! -name '*.db' ! -name .mailferry-target ! -name '*.db-*' ! -path './gen-cc/*' ! -path './gen-ms/*' \
	-print0 | sort -z | xargs -0 sha256sum
