#!/bin/sh
# planwork.sh: the plan decides in the store's working tables (issue 15,
# schema/008-plan-work.sql): a crafted store where every decision depends
# on an earlier mailbox or recipient - a duplicate source address in
# another case, a target object two mailboxes claim, aliases numbered past
# ones taken by a mailbox and by the target, a duplicate recipient, a
# recipient that is a migrated mailbox, an alias map that swaps two
# aliases - gives the decisions the in-memory planner gave (the expected
# values below are what it printed), and a plan made again gives the same.
. "$(dirname "$0")/lib.sh"

P="${BUILD:?}/tools/export-probe"
S="$T/s.db"
"$P" fixture "$S" --mailboxes 5 --messages 1 >/dev/null
# mailbox 5 has mailbox 4's address in other case; Chidi is staged as
# SmithJ2; four John Smiths and a copy of one (other case), and a custom
# recipient with Paul's address
sqlite3 "$S" "
UPDATE mailboxes SET source_address = 'ccmail:user03, TEST at sales01' WHERE id = 5;
UPDATE mailboxes SET alias = 'SmithJ2' WHERE id = 3;
INSERT INTO dir_entries(source_id, kind, name, display_name, given_name, surname, address_type, address)
SELECT source_id, 'custom', 'Smith, John', 'John Smith', 'John', 'Smith', 'SMTP', 'john' || n || '@x.example'
  FROM dir_entries, (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3 UNION SELECT 4) WHERE id = 1 ORDER BY n;
INSERT INTO dir_entries(source_id, kind, name, display_name, given_name, surname, address_type, address)
SELECT source_id, 'custom', 'Smith, Johnny', 'Johnny Smith', 'Johnny', 'Smith', 'SMTP', 'JOHN2@X.EXAMPLE' FROM dir_entries WHERE id = 1;
INSERT INTO dir_entries(source_id, kind, name, display_name, given_name, surname, address_type, address)
SELECT source_id, 'custom', 'Brenner, Paul', 'Paul Brenner', 'Paul', 'Brenner', 'CCMAIL', 'Brenner, Paul at SALES01' FROM dir_entries WHERE id = 1;
"
# the target: one custom recipient carrying both Anna's and Paul's
# address, and somebody with the alias SmithJ3
cat >"$T/gal.csv" <<'G'
class,alias,display_name,proxy_addresses
custom,AnnaPaul,Anna or Paul,"SMTP:ap@sales.example;CCMAIL:Lindqvist, Anna at SALES01;CCMAIL:Brenner, Paul at SALES01"
mailbox,SmithJ3,Jane Smith,SMTP:jane@target.example
G
check "the snapshot imports" "$MF" import directory --db "$S" --quiet "$T/gal.csv"
check_exit 1 "the plan has conflicts" "$MF" plan --db "$S" --quiet
"$MF" plan --db "$S" --quiet >"$T/quiet.txt" 2>&1
check_out "plan --quiet prints the two conflicting mailboxes (Brenner, User04), each with its CONFLICT line" \
	"2 1 1 2" sh -c 'echo $(grep -c " conflict " "$1") $(grep -c " conflict .*Brenner, Paul <" "$1") \
	$(grep -c " conflict .*User04, Test <" "$1") $(grep -c "^  CONFLICT: " "$1")' _ "$T/quiet.txt"

mb() { sqlite3 "$S" "SELECT m.name || '|' || p.action || '|' || ifnull(p.alias, '-') || '|' || ifnull(p.alias_from, '-') || '|' || ifnull(p.conflict, '-')
	FROM plan_mailboxes p JOIN mailboxes m ON m.id = p.mailbox_id ORDER BY m.id"; }
pr() { sqlite3 "$S" "SELECT e.name || '|' || p.action || '|' || ifnull(p.alias, '-') || '|' || ifnull(p.mailbox_id, '-') || '|' || ifnull(p.same_as, '-')
	FROM plan_recipients p JOIN dir_entries e ON e.id = p.entry_id ORDER BY e.id"; }
want_mb="Lindqvist, Anna|convert|AnnaPaul|target|-
Brenner, Paul|conflict|BrennerP|staged|plan.ambiguous
Okafor, Chidi|create|SmithJ2|staged|-
User03, Test|create|User03T|staged|-
User04, Test|conflict|User04T|staged|plan.duplicate-address"
want_pr="Doe, Jane|create|DoeJ|-|-
Sales Team|create|SalesTeam|-|-
Smith, John|create|SmithJ|-|-
Smith, John|create|SmithJ4|-|-
Smith, John|create|SmithJ5|-|-
Smith, John|create|SmithJ6|-|-
Smith, Johnny|duplicate|-|-|4
Brenner, Paul|migrated|-|2|-"
check_out "each mailbox's decision, alias and conflict" "$want_mb" mb
check_out "each recipient: numbered past SmithJ2 (a mailbox) and SmithJ3 (the target), the duplicate, the migrated mailbox" "$want_pr" pr
"$MF" plan --db "$S" >"$T/plan.txt" 2>&1
check_grep "the duplicate names the first mailbox with that address" \
	"mailbox 'User04, Test' <ccmail:user03, TEST at sales01> has the same source address as mailbox 'User03, Test' <CCMAIL:User03, Test at SALES01>" "$T/plan.txt"
check_grep "the second claim names the mailbox that claimed the object first" \
	"mailbox 'Brenner, Paul' <CCMAIL:Brenner, Paul at SALES01>: custom recipient 'AnnaPaul' (Anna or Paul <SMTP:ap@sales.example>) on the target is also claimed by mailbox 'Lindqvist, Anna'" "$T/plan.txt"
check_out "a plan made again decides the same" "$want_mb
$want_pr" sh -c "'$MF' plan --db '$S' --quiet >/dev/null 2>&1; $(command -v sqlite3) '$S' \"SELECT m.name || '|' || p.action || '|' || ifnull(p.alias, '-') || '|' || ifnull(p.alias_from, '-') || '|' || ifnull(p.conflict, '-') FROM plan_mailboxes p JOIN mailboxes m ON m.id = p.mailbox_id ORDER BY m.id; SELECT e.name || '|' || p.action || '|' || ifnull(p.alias, '-') || '|' || ifnull(p.mailbox_id, '-') || '|' || ifnull(p.same_as, '-') FROM plan_recipients p JOIN dir_entries e ON e.id = p.entry_id ORDER BY e.id\""

# an alias map: Chidi and Test User03 swap aliases, Test User04 gets one
printf 'source_address_or_name,alias\n"CCMAIL:Okafor, Chidi at SALES01",User03T\n"User03, Test",SmithJ2\n' >"$T/map.csv"
check_exit 1 "the plan with the map (User04 and Paul still conflict)" "$MF" plan --db "$S" --alias-map "$T/map.csv" --quiet
check_out "the two swapped aliases, from the map" "Okafor, Chidi|create|User03T|map|-
User03, Test|create|SmithJ2|map|-" sh -c "$(command -v sqlite3) '$S' \"SELECT m.name || '|' || p.action || '|' || p.alias || '|' || p.alias_from || '|' || ifnull(p.conflict, '-') FROM plan_mailboxes p JOIN mailboxes m ON m.id = p.mailbox_id WHERE m.id IN (3, 4) ORDER BY m.id\""
check_out "... written into the mailboxes" "User03T SmithJ2" sh -c \
	"echo \$($(command -v sqlite3) '$S' 'SELECT alias FROM mailboxes WHERE id IN (3, 4) ORDER BY id')"
check_out "the recipients are numbered as before (SmithJ2 is still a mailbox's)" "SmithJ SmithJ4 SmithJ5 SmithJ6" sh -c \
	"echo \$($(command -v sqlite3) '$S' \"SELECT alias FROM plan_recipients p JOIN dir_entries e ON e.id = p.entry_id WHERE e.name = 'Smith, John' ORDER BY e.id\")"
printf '"Smith, Nobody",X1\n' >"$T/bad.csv"
check_exit 2 "a map line naming no mailbox is refused" "$MF" plan --db "$S" --alias-map "$T/bad.csv"
check_grep "... naming the line" "line 1: no staged mailbox has the source address or name 'Smith, Nobody'" "$T/.err"
printf '"User03, Test",A1\n"ccmail:user03, test at sales01",A2\n' >"$T/two.csv"
check_exit 2 "a map key naming two mailboxes (address in any case) is refused" "$MF" plan --db "$S" --alias-map "$T/two.csv"
check_grep "... saying how many" "line 2: 'ccmail:user03, test at sales01' names 2 mailboxes" "$T/.err"
finish
