#!/bin/sh
# pst-cal.sh: the Calendar of `mailferry export pst`.  Staged events (the
# sample post office, a hand-made bundle with every Schedule+ recurrence
# pattern, a generated corpus) are exported as PST and as iCalendar; the
# PSTs are read back by readers mailferry did not write and compared with
# the iCalendar export item by item (tests/lib/pst_cal_check.py):
#   staging    every staged event is in the Calendar of its mailbox's PST
#   pypff      libpff: the appointment's properties, the recurrence blob
#              decoded from [MS-OXOCAL] (pattern, range, deleted and
#              changed occurrences), the exception attachments
#   pffexport  libpff's export: the exceptions' embedded appointments
#   readpst    libpst's own decoding of the blob (its iCalendar RRULE)
#   extractor  pst-extractor: counts, times, the same blob
# Then each pattern of the MS Mail contract by name, our own verifier
# (`inspect pst`) on every file and on a damaged recurrence blob, and two
# exports byte-identical.
. "$(dirname "$0")/lib.sh"

: "${BUILD:=$SRC/build}"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, with python3-pypff
CHECK="$SRC/tests/lib/pst_cal_check.py"
NODE_DIR="$SRC/tests/node"

if [ ! -d "$NODE_DIR/node_modules/pst-extractor" ] && command -v npm >/dev/null 2>&1; then
	(cd "$NODE_DIR" && npm install --no-audit --no-fund --silent >/dev/null 2>&1)
fi

checker() {
	name=$1; shift
	check "$name" sh -c '"$@" 1>&2' sh "$PY" "$CHECK" "$@"
}

corpus() { # LABEL DB
	label=$1 db=$2
	check "$label: export pst" "$MF" export pst --db "$db" --out "$T/$label-pst" --quiet
	check "$label: export ics (the reference)" "$MF" export ics --db "$db" --out "$T/$label-ics" --quiet
	check "$label: no problem recorded by the export" \
		sh -c '[ "$(sqlite3 "$1" "SELECT count(*) FROM problems WHERE code LIKE '"'"'pst.%'"'"' OR code = '"'"'export.refused'"'"'")" = 0 ]' sh "$db"
	for r in staging pypff pffexport readpst extractor; do
		checker "$label: $r reads every staged event back" "$db" "$T/$label-pst" "$T/$label-ics" $r "$NODE_DIR"
	done
	check "$label: inspect pst finds every file valid (recurrence blobs, exception attachments)" sh -c '
		for f in "$2"/*.pst; do "$1" inspect pst "$f" >/dev/null || exit 1; done' sh "$MF" "$T/$label-pst"
}

# ---- the sample post office ----
check "sample msmail: import" "$MF" import msmail --quiet --db "$T/s.db" "$SRC/docs/sample/msmail"
corpus sample "$T/s.db"
check_out "sample: 9 events in RamirezE's Calendar (pypff)" 9 \
	"$PY" -c 'import sys, pypff
f = pypff.file(); f.open(sys.argv[1]); top = [f.root_folder.get_sub_folder(i) for i in range(f.root_folder.number_of_sub_folders) if f.root_folder.get_sub_folder(i).name.startswith("Top of")][0]
print([top.get_sub_folder(i) for i in range(top.number_of_sub_folders) if top.get_sub_folder(i).name == "Calendar"][0].number_of_sub_messages)' \
	"$T/sample-pst/RamirezE.pst"
check "sample: every mailbox without events has its empty Calendar" sh -c '
	for a in Administrator DunnO LopezM TanakaK; do
		"$1" -c "import sys, pypff
f = pypff.file(); f.open(sys.argv[1]); r = f.root_folder
top = [r.get_sub_folder(i) for i in range(r.number_of_sub_folders) if r.get_sub_folder(i).name.startswith(\"Top of\")][0]
c = [top.get_sub_folder(i) for i in range(top.number_of_sub_folders) if top.get_sub_folder(i).name == \"Calendar\"]
sys.exit(0 if len(c) == 1 and c[0].number_of_sub_messages == 0 else 1)" "$2/$a.pst" || { echo "$a" >&2; exit 1; }
	done' sh "$PY" "$T/sample-pst"

# ---- every recurrence pattern of the contract, by name ----
check "patterns: import the hand-made bundle" "$MF" import msmail --quiet --db "$T/p.db" \
	"$SRC/tests/fixtures/msmail/pstcal"
corpus patterns "$T/p.db"
# readpst's iCalendar output names each pattern as it decoded it from the blob
mkdir -p "$T/rp"
readpst -q -r -o "$T/rp" -j0 "$T/patterns-pst/SatoK.pst" >/dev/null 2>&1
cat "$T"/rp/*/Calendar/calendar > "$T/rp.ics" 2>/dev/null
check_grep "daily, interval 3, end by date (readpst)" '^RRULE:FREQ=DAILY;COUNT=20;INTERVAL=3$' "$T/rp.ics"
check_grep "weekly on several days, interval 2 (readpst)" '^RRULE:FREQ=WEEKLY;COUNT=21;INTERVAL=2;BYDAY=MO;WE;FR$' "$T/rp.ics"
check_grep "monthly on a day, interval 3 (readpst)" '^RRULE:FREQ=MONTHLY;COUNT=4;INTERVAL=3;BYMONTHDAY=10$' "$T/rp.ics"
check_grep "monthly by position: second Tuesday (readpst)" '^RRULE:FREQ=MONTHLY;COUNT=12;BYSETPOS=2;BYDAY=TU$' "$T/rp.ics"
check_grep "monthly by position: last Monday, no end (readpst: 5 = last)" '^RRULE:FREQ=MONTHLY;INTERVAL=2;BYSETPOS=5;BYDAY=MO$' "$T/rp.ics"
check_grep "yearly on a day, end by date (readpst)" '^RRULE:FREQ=YEARLY;COUNT=5;BYMONTHDAY=24;BYMONTH=12$' "$T/rp.ics"
check_grep "yearly by position: first Monday of September (readpst)" '^RRULE:FREQ=YEARLY;BYMONTH=9;BYSETPOS=1;BYDAY=MO$' "$T/rp.ics"
# the exceptions, as our own reader decodes them from the blob
check "inspect pst --json shows each series' deleted and changed occurrences" \
	sh -c '"$1" inspect pst --json "$2" | "$3" -c "
import json, sys
def walk(x):
    if isinstance(x, dict):
        if \"recurrence\" in x:
            r = x[\"recurrence\"]
            print(x[\"subject\"], \"deleted\", \",\".join(r[\"deleted\"]), \"changed\",
                  \",\".join(c[\"original\"] + \" -> \" + c[\"start\"] for c in r[\"changed\"]))
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(json.load(sys.stdin))" > "$4"' sh "$MF" "$T/patterns-pst/SatoK.pst" "$PY" "$T/appts.txt"
check_grep "... daily: 1996-01-05 deleted, 1996-01-08 changed to 09:00" \
	"^Every third day deleted 1996-01-05,1996-01-08 changed 1996-01-08 07:45 -> 1996-01-08 09:00$" "$T/appts.txt"
check_grep "... weekly: 1996-04-01 deleted, 1996-03-06 moved to Thursday" \
	"^Fortnightly sync deleted 1996-03-06,1996-04-01 changed 1996-03-06 10:00 -> 1996-03-07 16:00$" "$T/appts.txt"
check_grep "... monthly by position: 1996-07-09 deleted" "^Second Tuesday board deleted 1996-07-09 changed $" "$T/appts.txt"
check_out "... 7 recurring series in the hand-made calendar" 7 sh -c 'wc -l < "$1" | tr -d " "' sh "$T/appts.txt"

# an event the iCalendar exporter refuses (a zone no one knows) is refused
# here too, with a problem, and the others are written; a refused item of
# any kind ends the run with exit 1 (README, exit codes)
cp "$T/p.db" "$T/bad.db"
sqlite3 "$T/bad.db" "UPDATE calendar_items SET ical = replace(ical, 'TZID=Europe/Berlin:19960320', 'TZID=Mars/Olympus:19960320')"
check_exit 1 "refused: export pst with one event in an unknown zone (exit 1)" "$MF" export pst --db "$T/bad.db" --out "$T/bad-pst" --quiet
check_out "... one pst.invalid-item problem naming it" 1 \
	sqlite3 "$T/bad.db" "SELECT count(*) FROM problems WHERE code = 'pst.invalid-item' AND text LIKE '%Mars/Olympus%'"
check_out "... the other 8 events are in the Calendar" 8 \
	sh -c '"$1" inspect pst --json "$2" | "$3" -c "import json, sys
d = json.load(sys.stdin)
print(sum(len(f[\"messages\"]) for f in d[\"store\"][\"folders\"] if f[\"name\"] == \"Calendar\"))"' \
	sh "$MF" "$T/bad-pst/SatoK.pst" "$PY"

# ---- a generated corpus ----
"$BUILD/tools/gen-msmail" --users 10 --messages 20 --calendar-pct 60 --seed 5 "$T/gm" >/dev/null 2>&1
check "generated: import" "$MF" import msmail --quiet --db "$T/g.db" "$T/gm"
corpus generated "$T/g.db"
check "generated: a second export is byte-identical" sh -c '
	"$1" export pst --db "$2" --out "$3/again" --quiet >/dev/null &&
	for f in "$3/generated-pst"/*.pst; do cmp -s "$f" "$3/again/${f##*/}" || { echo "$f differs" >&2; exit 1; }; done' \
	sh "$MF" "$T/g.db" "$T"

# ---- a killed run, then the next one ----
"$BUILD/tools/gen-msmail" --users 12 --messages 1200 --calendar-pct 100 --seed 9 "$T/gk" >/dev/null 2>&1
check "kill: import a corpus with calendars" "$MF" import msmail --quiet --db "$T/k.db" "$T/gk"
cp "$T/k.db" "$T/k2.db"
check "kill: a clean export for comparison" "$MF" export pst --db "$T/k2.db" --out "$T/k-clean" --quiet
"$MF" export pst --db "$T/k.db" --out "$T/k-out" --quiet >/dev/null 2>&1 &
kpid=$!
# SIGKILL as soon as the first mailbox's file is in place
i=0
while [ $i -lt 2000 ] && ! ls "$T/k-out"/*.pst >/dev/null 2>&1 && kill -0 $kpid 2>/dev/null; do
	i=$((i + 1))
	sleep 0.01
done
kill -9 $kpid 2>/dev/null
wait $kpid 2>/dev/null
check "kill: the next run completes" "$MF" export pst --db "$T/k.db" --out "$T/k-out" --quiet
check_out "kill: no temporary file left" "" sh -c 'cd "$1" && ls -a | grep "\.tmp\." || true' sh "$T/k-out"
check "kill: the ics reference" "$MF" export ics --db "$T/k.db" --out "$T/k-ics" --quiet
checker "kill: every staged event once, in the Calendar of its PST (staging)" "$T/k.db" "$T/k-out" "$T/k-ics" staging
checker "kill: ... and as pypff reads it" "$T/k.db" "$T/k-out" "$T/k-ics" pypff
check "kill: every file equals the clean export's" sh -c '
	for f in "$1"/*.pst; do cmp -s "$f" "$2/${f##*/}" || { echo "$f differs" >&2; exit 1; }; done
	[ "$(ls "$1"/*.pst | wc -l)" = "$(ls "$2"/*.pst | wc -l)" ]' sh "$T/k-out" "$T/k-clean"

# ---- our verifier on a damaged recurrence blob ----
check "a damaged recurrence blob is reported by inspect pst" sh -c '
	"$1" "$2" "$3" "$4"' sh "$PY" "$SRC/tests/lib/pst_cal_mut.py" "$T/patterns-pst/SatoK.pst" "$T/mut.pst"
check_exit 1 "... inspect pst fails on it" "$MF" inspect pst "$T/mut.pst"
check_grep "... naming the recurrence blob" "recurrence blob (PidLidAppointmentRecur) malformed" "$T/.err"

finish
