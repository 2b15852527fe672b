#!/bin/sh
# batch.sh: `mailferry batch`: a job file with three jobs, one failing (its
# target cannot be reached), exits 1 with the other two complete; running it
# again completes nothing twice; fixing the failing job and running again
# completes it.  --json events, exit codes 0/1/2/3, job file errors, the
# example of docs/batch.md, and two shards of one migration run separately
# and merged (report --merge) equal to the unsharded run.
. "$(dirname "$0")/lib.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
W="$T/w"
mkdir -p "$W"
ln -s "$SRC/docs" "$W/docs"
: > "$W/a-file"

cat > "$W/jobs.ini" <<'EOF'
# three post offices; the third job's output folder cannot be made
[defaults]
target = maildir
report_json = reports/{job}.json

[sales01]
source = ccmail
path = docs/sample/ccmail
db = stage/{job}.db
out = out/sales01

[hqpo]
path = docs/sample/msmail
db = stage/{job}.db
target = exchange
out = out/hqpo

[unreachable]
source = ccmail
path = docs/sample/ccmail
db = stage/{job}.db
out = a-file/maildir
EOF

# a JSON event stream as one line per job: "name status delivered already"
cat > "$T/jobs.py" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
end = ev[-1]
assert end["event"] == "batch_end", end
for e in ev:
    if e["event"] == "job_end":
        print(e["job"], e["status"], e["delivered"], e["already"])
print("exit", end["exit"])
EOF

check_exit 1 "three jobs, one target unreachable: exit 1" sh -c \
	'cd "$1" && "$2" batch jobs.ini --json > run1.json' sh "$W" "$MF"
check_out "the other two jobs completed; the third failed" \
"sales01 ok 23 0
hqpo ok 12 0
unreachable failed 0 0
exit 1" "$PY" "$T/jobs.py" "$W/run1.json"
check_grep "the failed job says why" '"event":"job_end","job":"unreachable","status":"failed","error":"[^"]*a-file/maildir' "$W/run1.json"
check_grep "events: job_start" '"event":"job_start","job":"sales01","source":"ccmail"' "$W/run1.json"
check_grep "events: import" '"event":"import","job":"hqpo".*"format":"msmail","status":"ok"' "$W/run1.json"
check_grep "events: mailbox_done" '"event":"mailbox_done","job":"sales01","alias":"LindqvistA".*"delivered":10' "$W/run1.json"
check_grep "events: problem" '"event":"problem","job":"sales01".*"code":"ccmail.no-contents"' "$W/run1.json"
check "every line of --json output is one JSON object" "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    assert isinstance(json.loads(l), dict)' "$W/run1.json"
check "the Maildir of sales01 holds the 23 messages" sh -c \
	'[ "$(find "$1/out/sales01" -path "*/cur/*" -type f -o -path "*/new/*" -type f | wc -l)" -eq 23 ]' sh "$W"
check "the Exchange files of hqpo pass 'inspect exchange'" "$MF" inspect exchange "$W/out/hqpo"
check "each job wrote its report (report_json)" test -s "$W/reports/sales01.json"
deliveries() { sqlite3 "$W/stage/sales01.db" "select count(*) from deliveries"; sqlite3 "$W/stage/hqpo.db" "select count(*) from deliveries"; }
before=$(deliveries)
staged() { sqlite3 "$W/stage/sales01.db" "select count(*) from messages"; sqlite3 "$W/stage/hqpo.db" "select count(*) from messages"; }
staged=$(staged)
(cd "$W/out" && find . -type f ! -name '.mailferry-target' -exec sha256sum {} + | sort) > "$T/files1"

check_exit 1 "the same job file again: exit 1 (the third still fails)" sh -c \
	'cd "$1" && "$2" batch jobs.ini --json > run2.json' sh "$W" "$MF"
check_out "again: nothing is delivered twice" \
"sales01 ok 0 23
hqpo ok 0 12
unreachable failed 0 0
exit 1" "$PY" "$T/jobs.py" "$W/run2.json"
check_out "again: no message is imported twice" "0" "$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print(sum(e["messages"] for e in ev if e["event"] == "import"))' "$W/run2.json"
check_out "again: the staged messages did not grow" "$staged" staged
check_out "again: the delivery ledgers did not grow" "$before" deliveries
(cd "$W/out" && find . -type f ! -name '.mailferry-target' -exec sha256sum {} + | sort) > "$T/files2"
check "again: the targets' files are as they were" cmp "$T/files1" "$T/files2"

rm "$W/a-file"
check "the target made reachable: exit 0" sh -c \
	'cd "$1" && "$2" batch jobs.ini --json > run3.json' sh "$W" "$MF"
check_out "the failed job completes, the others deliver nothing" \
"sales01 ok 0 23
hqpo ok 0 12
unreachable ok 23 0
exit 0" "$PY" "$T/jobs.py" "$W/run3.json"
check "text output ends with the batch line" sh -c \
	'cd "$1" && "$2" batch jobs.ini --quiet --job hqpo > run4.txt && tail -n 1 run4.txt | grep -q "1 jobs: 1 ok, 0 with problems, 0 failed"' sh "$W" "$MF"

# ---- events as they happen: mailbox_done as each mailbox is through ----
# enough mail that exporting one mailbox takes a while on a fast machine too
"${BUILD:-$SRC/build}/tools/gen-ccmail" --users 3 --messages 6000 --attach-pct 0 "$W/gen" > /dev/null 2>&1
cat > "$W/live.ini" <<'EOF'
[gen]
path = gen
db = stage/gen.db
target = mbox
out = out/gen
EOF
cat > "$T/live.py" <<'EOF'
import json, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "batch", sys.argv[2], "--json", "--quiet"], stdout=subprocess.PIPE)
seen = []
for line in p.stdout:
    e = json.loads(line)
    if e["event"] == "mailbox_done":
        seen.append(time.monotonic())
p.wait()
# read as they come: the first and the last mailbox are apart by the work
# between them (events written at the end would arrive within a few ms)
print(len(seen), "spread" if seen and seen[-1] - seen[0] > 0.03 else "together %r" % (seen,))
EOF
check_out "--json: mailbox_done events arrive as each mailbox is done, not at the end" "4 spread" \
	"$PY" "$T/live.py" "$MF" "$W/live.ini"

# ---- exit 3 when every job failed; exit 2 for a wrong job file ----
: > "$W/b-file"
cat > "$W/fail.ini" <<'EOF'
[one]
path = docs/sample/ccmail
db = stage/fail1.db
target = maildir
out = b-file/x
[two]
path = does-not-exist
db = stage/fail2.db
target = eml
out = out/two
EOF
check_exit 3 "every job failed: exit 3" sh -c 'cd "$1" && "$2" batch fail.ini --quiet' sh "$W" "$MF"
if "$MF" formats | grep -q '^  imap *built'; then
	cat > "$W/imap.ini" <<'EOF'
[closed-port]
path = docs/sample/ccmail
db = stage/imap.db
target = imap
url = imap://127.0.0.1:1
admin = admin
EOF
	check_exit 3 "an IMAP target on a closed port: the job fails" sh -c \
		'cd "$1" && MAILFERRY_PASSWORD=x "$2" batch imap.ini --quiet' sh "$W" "$MF"
fi
bad_file() { # name exit pattern content
	printf '%s\n' "$4" > "$W/bad.ini"
	"$MF" batch "$W/bad.ini" > /dev/null 2> "$T/bad.err"
	rc=$?
	if [ $rc -eq "$2" ] && grep -q -e "$3" "$T/bad.err"; then _result 0 "$1"; else
		echo "  exit $rc, stderr:"; sed 's/^/  | /' "$T/bad.err"; _result 1 "$1"; fi
}
bad_file "job file: unknown key names file, offset and line" 2 'bad.ini: offset 13: line 3: unknown key .colour' \
	"$(printf '[a]\npath = x\ncolour = blue')"
bad_file "job file: a key twice" 2 "line 3: 'path' was already set on line 2" \
	"$(printf '[a]\npath = x\npath = y')"
bad_file "job file: a job twice" 2 "line 3: job \\[a\\] was already defined on line 1" \
	"$(printf '[a]\npath = x\n[a]')"
bad_file "job file: a key before any job" 2 "line 1: a key before the first" 'path = x'
bad_file "job file: a bad job name" 2 "line 1: a job name is" '[a b]'
bad_file "job file: a line that is not key = value" 2 "line 2: expected 'key = value'" \
	"$(printf '[a]\njust words')"
bad_file "job file: missing db" 2 "\\[a\\]: 'db' (the staging database) is required" \
	"$(printf '[a]\npath = x\ntarget = eml\nout = y')"
bad_file "job file: a bad date" 2 "line 6: \\[a\\] since: wants YYYY-MM-DD" \
	"$(printf '[a]\npath = x\ndb = y\ntarget = eml\nout = z\nsince = yesterday')"
bad_file "job file: a bad boolean" 2 "no_mail: wants yes or no" \
	"$(printf '[a]\npath = x\ndb = y\ntarget = eml\nout = z\nno_mail = perhaps')"
bad_file "job file: an unknown target" 2 "unknown target 'notes'" \
	"$(printf '[a]\npath = x\ndb = y\ntarget = notes\nout = z')"
bad_file "job file: no job at all" 2 "holds no job" '# nothing'
check_exit 2 "--shard 2/2 is a usage error (shards count from 0)" "$MF" batch "$W/jobs.ini" --shard 2/2
check_exit 2 "--job naming no job is a usage error" "$MF" batch "$W/jobs.ini" --job nosuch

# ---- the example of docs/batch.md ----
mkdir -p "$T/ex"
ln -s "$SRC/docs" "$T/ex/docs"
sed -n '/<!-- example-begin -->/,/<!-- example-end -->/p' "$SRC/docs/batch.md" | sed '1,2d;$d' | sed '$d' > "$T/ex/jobs.ini"
check "docs/batch.md's example runs: exit 0" sh -c 'cd "$1" && "$2" batch jobs.ini --quiet > out.txt' sh "$T/ex" "$MF"
check_grep "docs/batch.md's example: two jobs ok" "2 jobs: 2 ok" "$T/ex/out.txt"
check "docs/batch.md's example wrote the reports" test -s "$T/ex/reports/hqpo.html"

# ---- shards ----
cat > "$W/shard.ini" <<'EOF'
[sales01]
source = ccmail
path = docs/sample/ccmail
db = shard/stage-{shard}.db
target = maildir
out = shard/out-{shards}
EOF
check "unsharded run" sh -c 'cd "$1" && "$2" batch shard.ini --quiet > /dev/null' sh "$W" "$MF"
check "shard 0/2 run on its own" sh -c 'cd "$1" && "$2" batch shard.ini --quiet --shard 0/2 --json > s0.json' sh "$W" "$MF"
check "shard 1/2 run on its own" sh -c 'cd "$1" && "$2" batch shard.ini --quiet --shard 1/2 --json > s1.json' sh "$W" "$MF"
cat > "$T/shards.py" <<'EOF'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for i, f in enumerate(sys.argv[2:]):
    got = sorted(e["alias"] for e in map(json.loads, open(f)) if e["event"] == "mailbox_done")
    want = sorted(a for a, s in db.execute("select alias, source_address from mailboxes")
                  if int(hashlib.sha256(s.lower().encode()).hexdigest()[:16], 16) % 2 == i)
    assert got == want and got, (i, got, want)
print("ok")
EOF
check_out "each shard exported exactly the mailboxes its hash names (computed here with Python)" "ok" \
	"$PY" "$T/shards.py" "$W/shard/stage-all.db" "$W/s0.json" "$W/s1.json"
check "report --merge of the two shards" "$MF" report --merge "$W/shard/stage-0.db" "$W/shard/stage-1.db" \
	--json="$T/merged.json" --html "$T/merged.html"
check "report of the unsharded run" "$MF" report --db "$W/shard/stage-all.db" --json="$T/single.json"
cat > "$T/same.py" <<'EOF'
import json, sys
def norm(path):
    r = json.load(open(path))
    for k in ("generated_at", "databases", "runs"):
        del r[k]
    for t in r["targets"]:
        del t["target"], t["options"]
    return r
a, b = norm(sys.argv[1]), norm(sys.argv[2])
if a != b:
    print(json.dumps(a, sort_keys=True, indent=1))
    print(json.dumps(b, sort_keys=True, indent=1))
    sys.exit(1)
t = a["targets"][0]["totals"]
print(t["mailboxes_done"], t["delivered"], a["problems"]["error"], a["problems"]["warning"])
EOF
check_out "the merged shards equal the unsharded run (report JSON, all but paths and times)" "8 23 1 9" \
	"$PY" "$T/same.py" "$T/merged.json" "$T/single.json"
check "the shards' Maildir equals the unsharded Maildir" \
	diff -r -x .mailferry-target "$W/shard/out-2" "$W/shard/out-1"
check_out "the shards' reports alone are partial" "yes" "$PY" -c '
import json, subprocess, sys
d = [json.loads(subprocess.check_output([sys.argv[1], "report", "--db", f]))["targets"][0]["totals"]["delivered"]
     for f in sys.argv[2:]]
print("yes" if 0 < d[0] < 23 and d[0] + d[1] == 23 else d)' "$MF" "$W/shard/stage-0.db" "$W/shard/stage-1.db"

# a shard that holds none of the selected mailboxes exports nothing (the
# shard is counted in id order, exported in alias order: both must agree),
# and an alias that names no mailbox is the same error in a shard
cat > "$T/pick.py" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
a, s = db.execute("select alias, source_address from mailboxes where alias is not null "
                  "order by id desc").fetchone()
print(a, int(hashlib.sha256(s.lower().encode()).hexdigest()[:16], 16) % 4)
EOF
cat > "$T/events.py" <<'EOF'
import json, sys
m = [e["alias"] for e in map(json.loads, sys.stdin) if e["event"] == "mailbox_done"]
print(len(m), *m)
EOF
set -- $("$PY" "$T/pick.py" "$W/shard/stage-all.db")
one=$1 home=$2 other=$(( ($2 + 1) % 4 ))
printf '[one]\nsource = ccmail\npath = docs/sample/ccmail\ndb = one/stage-{shard}.db\ntarget = maildir\nout = one/out-{shard}\nmailboxes = %s\n' \
	"$one" > "$W/one.ini"
sed "s/^mailboxes = .*/mailboxes = $one,nobody-here/" "$W/one.ini" > "$W/missing.ini"
check_out "the shard of the one selected mailbox exports it alone ($one, shard $home/4)" "1 $one" sh -c \
	'cd "$1" && "$2" batch one.ini --quiet --json --shard "$3/4" | "$4" "$5"' sh "$W" "$MF" "$home" "$PY" "$T/events.py"
check_out "another shard holds none of it: nothing exported" "shard $other/4 holds none" sh -c \
	'cd "$1" && "$2" batch one.ini --quiet --shard "$3/4" | grep -o "shard [0-9]/4 holds none"; test ! -e "one/out-$3"' \
	sh "$W" "$MF" "$other"
check_out "an alias that names no mailbox fails the job in a shard too" \
	"no mailbox with alias 'nobody-here' (see 'mailferry status')" sh -c \
	'cd "$1" && "$2" batch missing.ini --quiet --shard 0/4 | grep -o "no mailbox with alias .*)"' sh "$W" "$MF"

finish
