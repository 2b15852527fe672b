#!/bin/sh
# plugins.sh: an exporter that declares its options in its own file gets
# them everywhere.  build/mailferry-test is mailferry with the test
# exporter tests/plugins/testexp/testexp.c registered (Makefile); its
# options (--greeting TEXT, --mode fast|careful, --max-size SIZE, --stamp,
# --token-file FILE) are declared there and nowhere else.  They must work on
# the command line of 'export', as job-file keys of 'batch', as questions
# of the wizard (and its flags), and be listed by --help; bad values are
# refused with what the option wants.  The normal build knows nothing of it.
. "$(dirname "$0")/lib.sh"

: "${BUILD:=$SRC/build}"
MT="$BUILD/mailferry-test"
SAMPLE="$SRC/docs/sample/ccmail"
if [ ! -x "$MT" ]; then
	_result 1 "$MT is built (make test-build)"
	finish
fi
header() { head -n 1 "$1/testexp.txt"; }
lines() { grep -c "	" "$1/testexp.txt"; }

"$MT" formats > "$T/formats"
check_grep "the test build lists the test exporter" "^  testexp  *built" "$T/formats"
"$MF" formats > "$T/formats.normal"
check "the normal build does not" sh -c '! grep -q testexp "$1"' sh "$T/formats.normal"

# ---- --help and the man page ----
"$MT" export --help > "$T/help.export"
check_grep "export --help lists --greeting from the table" "^  --greeting TEXT  *testexp: the first word of the file (default hello)$" "$T/help.export"
check_grep "export --help shows an enum's choices" "^  --mode fast|careful  *testexp: how to write$" "$T/help.export"
check_grep "export --help lists the flag" "^  --stamp  *testexp: number the lines$" "$T/help.export"
"$MT" batch --help > "$T/help.batch"
check_grep "batch --help lists the job-file key" "^  greeting  *testexp: the first word" "$T/help.batch"
check_grep "batch --help lists the key made from --max-size" "^  max_size  *testexp: largest message" "$T/help.batch"
check_grep "batch --help names the exporter among the targets" "^  target  *exchange, imap, maildir, mbox, eml, ics, pst, vcard, carddav, caldav or testexp (required)$" "$T/help.batch"
check "the normal build's help and man page do not mention it" sh -c \
	'! "$1" export --help | grep -q greeting && ! grep -q greeting "$2/docs/mailferry.1"' sh "$MF" "$SRC"

# ---- the command line ----
"$MT" import ccmail --quiet --db "$T/s.db" "$SAMPLE" > /dev/null 2>&1
printf 'secret-token' > "$T/tok"
check "export testexp with every kind of option" "$MT" export testexp --db "$T/s.db" --out "$T/o1" \
	--greeting hi --mode careful --max-size 2K --stamp --token-file "$T/tok" --quiet
check_out "  ... the exporter read each value by name" \
	"greeting=hi mode=careful max_size=2048 stamp=1 token=12 bytes" header "$T/o1"
check_out "  ... and wrote every message" "23" lines "$T/o1"
check_grep "  ... numbered (--stamp)" "^23 " "$T/o1/testexp.txt"
check "without options: the table's defaults" "$MT" export testexp --db "$T/s.db" --out "$T/o2" --quiet
check_out "  ... greeting hello, mode fast, 1M, no stamp" \
	"greeting=hello mode=fast max_size=1048576 stamp=0 token=0 bytes" header "$T/o2"
check_exit 2 "an enum value not among the choices: usage error" \
	"$MT" export testexp --db "$T/s.db" --out "$T/o3" --mode reckless
check_grep "  ... saying what it wants" "mailferry export: --mode wants fast or careful" "$T/.err"
check_exit 2 "a size that is not one" "$MT" export testexp --db "$T/s.db" --out "$T/o3" --max-size 5Q
check_grep "  ... saying what it wants" "max-size wants a size from 1 to 1073741824 bytes" "$T/.err"
check_exit 2 "the table's own check (no tab in a greeting)" \
	"$MT" export testexp --db "$T/s.db" --out "$T/o3" --greeting "$(printf 'a\tb')"
check_grep "  ... with its words" "greeting wants a line without tabs" "$T/.err"
check "nothing was written for the refused runs" test ! -e "$T/o3"

# ---- job files ----
mkdir -p "$T/job"
printf 'job-token' > "$T/job/tok"
cat > "$T/job/jobs.ini" <<JOB
[defaults]
target = testexp
mode = careful
[one]
path = $SAMPLE
db = one.db
out = out/{job}
greeting = from-a-job
max_size = 3K
stamp = yes
token_file = tok
JOB
check "batch: a job with the exporter's keys" sh -c 'cd "$1" && "$2" batch jobs.ini --quiet > out.txt' sh "$T/job" "$MT"
check_out "  ... the keys reached the exporter (token_file relative to the job file)" \
	"greeting=from-a-job mode=careful max_size=3072 stamp=1 token=9 bytes" header "$T/job/out/one"
check_out "  ... which wrote every message" "23" lines "$T/job/out/one"
printf '[bad]\npath = x\ndb = y\ntarget = testexp\nout = z\nmode = sometimes\n' > "$T/job/bad.ini"
check_exit 2 "batch: a bad value for the exporter's key" "$MT" batch "$T/job/bad.ini"
check_grep "  ... names the line and the key" "line 6: \\[bad\\] mode: wants fast or careful" "$T/.err"
check_exit 2 "batch: the normal build does not know the key" "$MF" batch "$T/job/jobs.ini"
check_grep "  ... and says so" "unknown key 'mode'" "$T/.err"

# ---- the wizard ----
mkdir -p "$T/w"
# source, kind, db, code page, time zone, mailboxes, target, out, greeting,
# mode, number the lines, content, since, until, report, confirm
printf '%s\n' "$SAMPLE" "" w.db "" "" all testexp wout "?" wizard-says "" yes mail "" "" "" yes > "$T/w/answers"
check "wizard: piped answers to the test exporter" sh -c 'cd "$1" && "$2" wizard < answers > out.txt 2>&1' sh "$T/w" "$MT"
check_grep "  ... asked the table's question with its default" "^Greeting line \\[hello\\]: " "$T/w/out.txt"
check_grep "  ... '?' printed the row's help" "The word testexp writes first." "$T/w/out.txt"
check_grep "  ... asked the enum" "^Mode (fast or careful) \\[fast\\]: fast" "$T/w/out.txt"
check_grep "  ... asked the flag as yes/no" "^Number the lines \\[no\\]: yes" "$T/w/out.txt"
check_out "  ... the answers reached the exporter" \
	"greeting=wizard-says mode=fast max_size=1048576 stamp=1 token=0 bytes" header "$T/w/wout"
check_grep "  ... the equivalent command carries them" "mailferry export testexp --db w.db --out wout --greeting wizard-says --mode fast --stamp" "$T/w/out.txt"
check_grep "  ... and the job section" "^  greeting = wizard-says$" "$T/w/out.txt"
mkdir -p "$T/wf"
check "wizard: the exporter's options as flags, --yes" sh -c 'cd "$1" && "$2" wizard --yes --path "$3" \
	--db f.db --target testexp --out fout --greeting flagged --mode careful --max-size 4K \
	--report r.html < /dev/null > out.txt 2>&1' sh "$T/wf" "$MT" "$SAMPLE"
check_grep "  ... a flag answers its question" "^Greeting line: flagged (from --greeting)$" "$T/wf/out.txt"
check_out "  ... and reaches the exporter (also one without a question)" \
	"greeting=flagged mode=careful max_size=4096 stamp=0 token=0 bytes" header "$T/wf/fout"
check_exit 2 "wizard: a flag's bad value is a usage error" "$MT" wizard --target testexp --mode x --yes
finish
