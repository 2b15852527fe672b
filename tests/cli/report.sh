#!/bin/sh
# report.sh: `mailferry report`: the HTML report of the sample migration
# renders in headless Chromium (screenshot not blank, no console message;
# the screenshot is kept under build/test-artifacts/), the page is
# self-contained and escapes what the source says, the JSON report agrees
# with the delivery ledger, and each target shows only the kinds of items its
# exporter takes (no "messages skipped" for a calendar-only target).
. "$(dirname "$0")/lib.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
ART="$SRC/build/test-artifacts"
mkdir -p "$ART"
V=${VARIANT:-normal}
V=$(echo "$V" | tr -c 'a-z0-9\n' '-')
DB="$T/stage.db"

check "import the cc:Mail sample" "$MF" import ccmail --db "$DB" --quiet "$SRC/docs/sample/ccmail"
check "export it to a Maildir" "$MF" export maildir --db "$DB" --out "$T/maildir" --quiet
# one mailbox to Exchange files too, so the report has two targets and skipped messages
check "export one mailbox to Exchange files" "$MF" export exchange --db "$DB" --out "$T/exchange" \
	--mailbox LindqvistA --quiet

check "report --html and --json=FILE" "$MF" report --db "$DB" --html "$T/report.html" --json="$T/report.json"
check "the HTML report is mode 0600" sh -c '[ "$(stat -c %a "$1")" = 600 ]' sh "$T/report.html"

# ---- the JSON report against the ledger ----
check_out "JSON: staged totals, and per target delivered/failed/skipped" \
	"staged 8 23; maildir 8 23 0 0; exchange 1 10 0 13" "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r["staged"]
out = ["staged %d %d" % (s["mailboxes"], s["messages"])]
for t in sorted(r["targets"], key=lambda t: t["format"], reverse=True):
    x = t["totals"]
    out.append("%s %d %d %d %d" % (t["format"], x["mailboxes_done"], x["delivered"], x["failed"], x["skipped"]))
print("; ".join(out))' "$T/report.json"
check_out "JSON: problems by code count what the database holds" "ok" "$PY" -c '
import json, sqlite3, sys
r = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
want = dict(((s, c), n) for s, c, n in db.execute("select severity, code, count(*) from problems group by 1, 2"))
got = dict(((c["severity"], c["code"]), c["count"]) for c in r["problems"]["codes"])
ok = want == got and all(c["examples"] for c in r["problems"]["codes"])
print("ok" if ok else "want %r got %r" % (want, got))' "$T/report.json" "$DB"
cat > "$T/ledger.py" <<'PYEOF'
import json, sqlite3, sys
r = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
t = [t for t in r["targets"] if t["format"] == "maildir"][0]
want = dict(db.execute("""select m.alias, count(d.item_id) from mailboxes m left join deliveries d
  on d.mailbox_id = m.id and d.item_kind = 'message' and d.status = 'delivered'
  and d.target like 'maildir:%' group by m.id"""))
got = dict((m["alias"], m["delivered"]) for m in t["mailboxes"])
print("ok" if want == got else "want %r got %r" % (want, got))
PYEOF
check_out "JSON: a row per mailbox, delivered as the ledger says" "ok" "$PY" "$T/ledger.py" "$T/report.json" "$DB"
check_out "report without --html prints the JSON" "mailferry" sh -c \
	'"$1" report --db "$2" | "$3" -c "import json,sys; print(json.load(sys.stdin)[\"report\"])"' sh "$MF" "$DB" "$PY"
check_exit 3 "report of a missing database: exit 3" "$MF" report --db "$T/none.db" --json
check_exit 2 "report --merge without databases: exit 2" "$MF" report --merge --json

# ---- each target shows only the items it takes (exporter capability bits) ----
# The MS Mail sample has messages and calendar items: a calendar-only target
# (ics) must not report the messages as skipped, a message-only target
# (maildir) not the calendar items.
DB2="$T/both.db"
check "import the MS Mail sample (messages and calendar items)" "$MF" import msmail --db "$DB2" --quiet "$SRC/docs/sample/msmail"
check "export it to iCalendar files" "$MF" export ics --db "$DB2" --out "$T/ics" --quiet
check "export it to a Maildir" "$MF" export maildir --db "$DB2" --out "$T/maildir2" --quiet
check "report of both targets" "$MF" report --db "$DB2" --html "$T/both.html" --json="$T/both.json"
cat > "$T/takes.py" <<'PYEOF'
import html, json, re, sqlite3, sys
page = open(sys.argv[1], encoding="utf-8").read()
r = json.load(open(sys.argv[2]))
db = sqlite3.connect(sys.argv[3])
msgs = db.execute("select count(*) from messages").fetchone()[0]
cals = db.execute("select count(*) from calendar_items").fetchone()[0]
out = ["staged %d messages %d calendar items" % (msgs, cals)]
# the target sections of the page, by exporter
for sec in re.findall(r"<section><h2>Target: <code>(.*?)</section>", page, re.S):
    fmt = re.search(r"<th>exporter</th><td>([^<]*)<", sec).group(1)
    text = html.unescape(re.sub(r"<[^>]*>", " ", sec))
    cards = dict((label, int(v)) for v, label in
                 re.findall(r'<div class="card[^"]*"><b>(-?[0-9]+)</b><span>([^<]*)</span>', sec))
    words = [w for w in ("messages", "skipped", "calendar") if w in text]
    out.append("%s: %s; %s; %s" % (fmt, ", ".join("%s=%d" % kv for kv in sorted(cards.items())),
               " ".join(re.findall(r"[0-9.]+% delivered", text)), "+".join(words)))
for t in sorted(r["targets"], key=lambda t: t["format"]):
    x = t["totals"]
    out.append("json %s: messages %d delivered %d skipped %d calendar %d" % (
        t["format"], x["messages"], x["delivered"], x["skipped"], x["calendar_delivered"]))
print("\n".join(out))
PYEOF
check_out "HTML and JSON: the ics target shows calendar items only, the Maildir messages only" \
"staged 12 messages 15 calendar items
ics: calendar items delivered=15, calendar items not delivered=0, mailboxes=6, mailboxes completed=6; 100.0% delivered; calendar
maildir: mailboxes=6, mailboxes completed=6, messages delivered=12, messages failed=0, messages skipped=0; 100.0% delivered; messages+skipped
json ics: messages 0 delivered 0 skipped 0 calendar 15
json maildir: messages 12 delivered 12 skipped 0 calendar 0" "$PY" "$T/takes.py" "$T/both.html" "$T/both.json" "$DB2"
check "the page's totals count no message as skipped" sh -c \
	'grep -q "<b>0</b><span>messages skipped (all targets)</span>" "$1"' sh "$T/both.html"
# half the calendar: one mailbox's items only, the other's counted as not delivered
check "export one mailbox's calendar to a second ics target" "$MF" export ics --db "$DB2" --out "$T/ics2" \
	--mailbox WeissJ --quiet
check "report with the partial ics target" "$MF" report --db "$DB2" --html "$T/part.html"
check_out "the partial ics target: 3 of 15 calendar items delivered, 12 not; per mailbox WeissJ 3 of 3, RamirezE 0 of 12" \
	"calendar items delivered=3 calendar items not delivered=12; RamirezE: 0 of 12 calendar items delivered (not completed); WeissJ: 3 of 3 calendar items delivered" \
	"$PY" -c '
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
sec = [x for x in re.findall(r"<section><h2>Target: <code>(.*?)</section>", page, re.S) if "/ics2<" in x][0]
cards = re.findall(r"<b>([0-9]+)</b><span>(calendar items[^<]*)</span>", sec)
rows = re.findall(r"fill=\"#1f2933\">([^<]*)<title>.*?fill=\"#52606d\">([^<]*)</text>", sec)
print(" ".join("%s=%s" % (l, v) for v, l in cards) + "; " +
      "; ".join("%s: %s" % r for r in rows if r[0] in ("WeissJ", "RamirezE")))' "$T/part.html"

# ---- self-contained, and what the source says is escaped ----
check "the page loads nothing from outside (no script, link, src=, url(), @import)" sh -c '
	! grep -q -i -e "<script" -e "<link" -e "src=" -e "url(" -e "@import" -e "<iframe" "$1" &&
	[ "$(grep -o "https\?://[^\"]*" "$1" | sort -u)" = "http://www.w3.org/2000/svg" ]' sh "$T/report.html"
check "the page has inline SVG bars for every mailbox" sh -c '
	[ "$(grep -o "<svg" "$1" | wc -l)" -ge 4 ] && grep -q "LindqvistA" "$1" && grep -q "NilssonE" "$1"' \
	sh "$T/report.html"
cp "$DB" "$T/hostile.db"
sqlite3 "$T/hostile.db" "UPDATE mailboxes SET display_name = '<script>alert(1)</script>', source_address = '\"><img src=x onerror=alert(2)>' WHERE alias = 'BergA';
	UPDATE problems SET text = '<b onmouseover=alert(3)>&amp;</b>' WHERE code = 'ccmail.no-contents'"
check "report of a database with markup in names and problem texts" "$MF" report --db "$T/hostile.db" --html "$T/hostile.html"
check "markup from the data is escaped" sh -c '
	! grep -q -e "<script" -e "<img" -e "<b onmouseover" "$1" &&
	grep -q "&lt;script&gt;alert(1)&lt;/script&gt;" "$1" && grep -q "&lt;b onmouseover=alert(3)&gt;&amp;amp;" "$1"' \
	sh "$T/hostile.html"

# ---- Chromium renders it ----
chromium_shot() { # html png log
	rm -rf "$T/chrome-profile"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --disable-extensions \
		--user-data-dir="$T/chrome-profile" --enable-logging=stderr --v=0 \
		--window-size=1100,1500 --hide-scrollbars --screenshot="$2" "file://$1" >"$3" 2>&1
}
# (the page is the same in both builds: Chromium looks at the normal build's)
if [ "$V" != normal ]; then
	:
elif command -v chromium >/dev/null 2>&1; then
	chromium_shot "$T/report.html" "$ART/report-$V.png" "$T/chrome.log"
	check "Chromium wrote a screenshot of the report" test -s "$ART/report-$V.png"
	check "the screenshot is not blank" "$PY" "$SRC/tests/lib/png_check.py" "$ART/report-$V.png"
	check "the page logged nothing to the console (no error, no warning)" sh -c \
		'! grep -a "CONSOLE" "$1"' sh "$T/chrome.log"
	# the console check itself: a page with a console error is caught
	printf '<!DOCTYPE html><html><body><p>x</p><script>console.error("probe")</script></body></html>' \
		> "$T/probe.html"
	chromium_shot "$T/probe.html" "$T/probe.png" "$T/chrome3.log"
	check "(the console check sees a console error when there is one)" grep -q -a "CONSOLE.*probe" "$T/chrome3.log"
else
	_result 1 "Chromium (chromium) is installed (scripts/install-deps.sh)"
fi

finish
