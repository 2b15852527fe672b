#!/bin/sh
# plan.sh: `mailferry import directory`, `plan`, `check`, `status` and the
# export's preflight, through the command line.  Staging data comes from
# build/tools/export-probe (fixture), the target snapshot from a CSV here.
. "$(dirname "$0")/lib.sh"

P="${BUILD:?}/tools/export-probe"
S="$T/s.db"
"$P" fixture "$S" --mailboxes 5 --messages 3 >/dev/null

# the target: Anna and Chidi (who has no mail) exist as custom recipients,
# somebody else already has the alias User03T
cat >"$T/gal.csv" <<'EOF'
class,alias,display_name,proxy_addresses
custom,AnnaL,"Lindqvist, Anna","SMTP:anna@sales.example;CCMAIL:Lindqvist, Anna at SALES01"
custom,ChidiO,"Okafor, Chidi","smtp:chidi@sales.example;MIGRATE:CCMAIL:Okafor, Chidi at SALES01"
mailbox,User03T,Ulla Tester,SMTP:ulla@sales.example
custom,JaneD,Jane Doe,SMTP:jdoe@example.com
printer,P1,Printer,
EOF

check "import directory reads the snapshot" "$MF" import directory --db "$S" "$T/gal.csv"
check_out "four objects, the damaged record skipped" "4" sqlite3 "$S" "select count(*) from target_objects"
check_out "import auto recognises a snapshot" "4" sh -c \
	"'$MF' import auto --db '$S' '$T/gal.csv' >/dev/null && sqlite3 '$S' 'select count(*) from target_objects'"

check_exit 1 "plan exits 1 on a conflict" "$MF" plan --db "$S"
"$MF" plan --db "$S" >"$T/plan.txt" 2>&1
check_grep "the conflict names the mailbox" "mailbox 'User03, Test' <CCMAIL:User03, Test at SALES01>" "$T/plan.txt"
check_grep "... and the target object" "already taken on the target by mailbox 'User03T' (Ulla Tester <SMTP:ulla@sales.example>)" "$T/plan.txt"
check_grep "... and the fix" "alias map" "$T/plan.txt"
check_grep "Anna's custom recipient becomes her mailbox" "^AnnaL  *convert  *custom 'AnnaL'" "$T/plan.txt"
check_grep "so does Chidi's, who has no mail" "^ChidiO  *convert  *custom 'ChidiO'" "$T/plan.txt"
check_grep "Paul is created" "^BrennerP  *create" "$T/plan.txt"
check_grep "Jane Doe is already on the target" "^custom exists .*Doe, Jane" "$T/plan.txt"
check_grep "the list is created" "^list   create    SalesTeam" "$T/plan.txt"
check_out "plan --json: the conflict" "plan.alias-taken" sh -c \
	"'$MF' plan --db '$S' --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print([m[\"conflict\"] for m in d[\"mailboxes\"] if m[\"action\"]==\"conflict\"][0])'"

# the export's own preflight stops everything, with a real exporter
check_exit 1 "export exchange refuses while the plan has a conflict" \
	"$MF" export exchange --db "$S" --out "$T/ex" --quiet
check_grep "... and says which mailbox and which object" "preflight: check.plan-conflict: .*User03, Test.*User03T" "$T/.err"
check_out "... and nothing was written" "0" sh -c "find '$T/ex' -type f ! -name .mailferry-target 2>/dev/null | wc -l"
check_out "... nothing in the ledger" "0" sqlite3 "$S" "select count(*) from deliveries"
check_exit 1 "check fails too" "$MF" check --db "$S"
check_grep "check names it" "^error   check.plan-conflict .*User03T" "$T/.out"

# the fix: an alias map
printf 'source_address_or_name,alias\n"CCMAIL:User03, Test at SALES01",TestU3\n' >"$T/map.csv"
printf '"Nobody, At All",X\n' >"$T/bad.csv"
check_exit 2 "a wrong alias map is a usage error" "$MF" plan --db "$S" --alias-map "$T/bad.csv"
check_grep "... naming the line" "bad.csv: offset 0: line 1: no staged mailbox" "$T/.err"
check "with the alias map the plan has no conflict" "$MF" plan --db "$S" --alias-map "$T/map.csv"
check_out "the alias is the map's" "TestU3" sqlite3 "$S" "select alias from mailboxes where name = 'User03, Test'"
check "check passes" "$MF" check --db "$S"
check_grep "check reports unresolved recipients as warnings" "^warning check.unresolved-recipients" "$T/.out"
check "check --json" sh -c "'$MF' check --db '$S' --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] and d[\"mailboxes\"] == 5'"
# the Exchange exporter follows the plan: no DIRECTORY line for a converted
# mailbox or a recipient already there, but a MAILMESSAGE section for every
# mailbox, also Chidi's without mail, which converts his custom recipient
check "export exchange follows the plan" "$MF" export exchange --db "$S" --out "$T/ex2" --quiet
check_out "... DIRECTORY creates Paul, not Anna or Chidi" "1 0 0" sh -c \
	"d=\$(find '$T/ex2' -name DIRECTRY.PRI); echo \$(grep -ac '^mailbox,create,BrennerP,' \$d) \$(grep -ac 'AnnaL' \$d) \$(grep -ac 'ChidiO' \$d)"
check_out "... nor Jane Doe, who is on the target" "0" sh -c \
	"grep -ac 'jdoe@example.com' \$(find '$T/ex2' -name DIRECTRY.PRI)"
check_out "... and a MAILMESSAGE section for each of the five mailboxes" "5" sh -c \
	"cat \$(find '$T/ex2' -name '0*.PRI') | grep -ac '^MAILMESSAGE,'"
check_out "... Chidi's among them (he has no mail)" "1" sh -c \
	"cat \$(find '$T/ex2' -name '0*.PRI') | grep -ac '^MAILMESSAGE,\"CCMAIL:Okafor, Chidi at SALES01\"'"
check "--mailboxes-from selects as --mailbox does" sh -c \
	"printf 'AnnaL\\n# a comment\\nChidiO\\n' > '$T/sel.txt' && '$MF' check --db '$S' --mailboxes-from '$T/sel.txt' --json | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"mailboxes\"] == 2'"
check_exit 2 "check of an unknown mailbox is a usage error" "$MF" check --db "$S" --mailbox Nobody
check_exit 2 "check of an unknown format is a usage error" "$MF" check --db "$S" frob

# the admin cannot act for one mailbox: nothing moves, it is named
check_exit 1 "an export whose target refuses one mailbox moves nothing" \
	"$P" export "$S" "$T/probe" --refuse BrennerP --log "$T/refuse.log"
check_out "... no mailbox begun, no message written" "0" sh -c "cat '$T/refuse.log' | wc -l"
check_grep "... the report names that mailbox" "check.target-refused.*BrennerP" "$T/.out"
check "the same export without the refusal" "$P" export "$S" "$T/probe"
check "... delivers every message" "$P" verify "$S" "$T/probe"

# status: the plan and the per-target ledger
"$MF" status --db "$S" >"$T/status.txt"
check_grep "status shows the plan" "^    plan: convert: convert custom recipient 'ChidiO'" "$T/status.txt"
check_grep "status shows deliveries per target" "^    -> probe:.*: 3 planned, 3 delivered, 0 failed" "$T/status.txt"
check "status --json keeps its keys and adds plan and targets" sh -c "'$MF' status --db '$S' --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = [x for x in d[\"mailboxes\"] if x[\"alias\"] == \"AnnaL\"][0]
for k in (\"alias\", \"display_name\", \"source_address\", \"kind\", \"messages\", \"attachments\", \"calendar_items\", \"bytes\", \"has_mail_section\", \"mail_skipped\", \"folders\"):
    assert k in m, k
assert m[\"plan\"][\"action\"] == \"convert\"
t = m[\"targets\"][0]
assert (t[\"planned\"], t[\"delivered\"], t[\"failed\"], t[\"mailbox_done\"]) == (3, 3, 0, True), t
assert \"problems\" in d
'"
check_out "the runs are recorded with their summaries" "1 1 1" sqlite3 "$S" \
	"select (select count(*) > 0 from runs where kind = 'plan' and summary like '{\"totals\":{\"mailboxes\":%') || ' ' ||
	        (select count(*) > 0 from runs where kind = 'check' and summary like '{\"ok\":%') || ' ' ||
	        (select count(*) > 0 from runs where kind = 'export' and summary like '{\"run_id\":%')"

# ---- the sample cc:Mail post office, planned against a target ----
if "$MF" formats | grep -q '^  ccmail *built'; then
	C="$T/cc.db"
	check "the sample post office imports" "$MF" import ccmail --db "$C" "$SRC/docs/sample/ccmail" --quiet
	cat >"$T/gal2.csv" <<'EOF'
class,alias,display_name,proxy_addresses
custom,KarinS,"Svensson, Karin","SMTP:karin@sales.example;CCMAIL:Svensson, Karin at SALES01"
mailbox,HolmL,Lars Holm (another one),SMTP:lars.holm@other.example
custom,JaneDoe,Jane Doe,SMTP:jdoe@example.com
EOF
	check "its target snapshot imports" "$MF" import directory --db "$C" "$T/gal2.csv"
	check_exit 1 "the plan has a conflict" "$MF" plan --db "$C"
	"$MF" plan --db "$C" >"$T/plan2.txt"
	check_grep "Karin Svensson, who has no mail, is converted from her custom recipient" \
		"^KarinS  *convert  *custom 'KarinS'  *Svensson, Karin" "$T/plan2.txt"
	check_out "... and has no mail" "1 0" sqlite3 "$C" \
		"select mail_skipped || ' ' || messages from mailbox_summary where alias = 'KarinS'"
	check_grep "Lars Holm's alias is taken: both named" \
		"CONFLICT: mailbox 'Holm, Lars' <CCMAIL:Holm, Lars at SALES01>: its alias 'HolmL' is already taken on the target by mailbox 'HolmL' (Lars Holm (another one)" "$T/plan2.txt"
	check_grep "Jane Doe is on the target already" "^custom exists .*Doe, Jane <SMTP:jdoe@example.com>" "$T/plan2.txt"
	check_grep "bulletin boards are public folders" "^Announcements  *public" "$T/plan2.txt"
	if "$MF" formats | grep -q '^  maildir *built'; then
		check_exit 1 "export maildir moves nothing while the conflict stands" \
			"$MF" export maildir --db "$C" --out "$T/md" --quiet
		check_out "... no file written" "0" sh -c "find '$T/md' -type f ! -name .mailferry-target 2>/dev/null | wc -l"
		printf '"Holm, Lars",LarsH\n' >"$T/map2.csv"
		check "an alias map resolves it" "$MF" plan --db "$C" --alias-map "$T/map2.csv"
		check "export maildir runs" "$MF" export maildir --db "$C" --out "$T/md" --quiet
		check "Karin's mailbox exists on the target though she has no mail" \
			test -d "$T/md/KarinS/cur"
		check "Lars Holm's mail went to his new alias" test -d "$T/md/LarsH/cur"
	fi
fi
finish
