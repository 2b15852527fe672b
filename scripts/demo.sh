#!/bin/sh
# demo.sh: the main job on the bundled sample data (docs/sample/): create a
# staging database, import the sample cc:Mail export set and MS Mail export
# bundle with whichever importers this build has, export them to Maildir,
# Exchange migration files and Outlook PST files with whichever exporters
# it has, and print the status.  Everything goes into demo-out/ (recreated on each run).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=demo-out
rm -rf "$out"
mkdir -p "$out"
db="$out/stage.db"
mf=./mailferry
has() { "$mf" formats | grep -q "^  $1 *built"; }

echo "== mailferry demo: staging database $db"
"$mf" init --db "$db"
if has ccmail && [ -d docs/sample/ccmail ]; then
	echo "== import the sample cc:Mail export set (docs/sample/ccmail)"
	"$mf" import ccmail --db "$db" docs/sample/ccmail
fi
if has msmail && [ -d docs/sample/msmail ]; then
	echo "== import the sample MS Mail export bundle (docs/sample/msmail)"
	"$mf" import msmail --db "$db" docs/sample/msmail
fi
if has maildir; then
	echo "== export to Maildir ($out/maildir)"
	"$mf" export maildir --db "$db" --out "$out/maildir" || true
fi
if has exchange; then
	echo "== export to Exchange migration files ($out/exchange)"
	"$mf" export exchange --db "$db" --out "$out/exchange" || true
fi
if has pst; then
	echo "== export to Outlook PST files ($out/pst)"
	"$mf" export pst --db "$db" --out "$out/pst" || true
fi
echo "== status"
"$mf" status --db "$db"
echo "== done: look inside with: sqlite3 $db 'select * from mailbox_summary'"
