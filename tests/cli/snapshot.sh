#!/bin/sh
# snapshot.sh: `mailferry import directory` replacing the snapshot of an
# earlier import.  The old target objects are deleted in batches of 500
# (core/store_import.c, issue 15), so the snapshots here are larger than
# two batches: every old object and proxy address must go, the plan rows
# naming them must be cleared, and a replacement that fails part-way must
# leave the old snapshot as it was (one transaction).
. "$(dirname "$0")/lib.sh"

P="${BUILD:?}/tools/export-probe"
S="$T/s.db"
"$P" fixture "$S" --mailboxes 5 --messages 1 >/dev/null

# snapshot A: Anna as a custom recipient (the plan converts it: a plan row
# names the object) and 1,299 mailboxes of the target's own, two proxy
# addresses each
{
	echo "class,alias,display_name,proxy_addresses"
	echo 'custom,AnnaL,"Lindqvist, Anna","SMTP:anna@sales.example;CCMAIL:Lindqvist, Anna at SALES01"'
	i=1
	while [ $i -lt 1300 ]; do
		echo "mailbox,TA$i,Target A $i,SMTP:ta$i@target.example;X400:c=xx;a= ;p=t;s=a$i"
		i=$((i + 1))
	done
} >"$T/a.csv"
# snapshot B: 1,100 other mailboxes
{
	echo "class,alias,display_name,proxy_addresses"
	i=1
	while [ $i -le 1100 ]; do
		echo "mailbox,TB$i,Target B $i,SMTP:tb$i@target.example;X400:c=xx;a= ;p=t;s=b$i"
		i=$((i + 1))
	done
} >"$T/b.csv"
q() { sqlite3 "$S" "$1"; }

check "snapshot A imports" "$MF" import directory --db "$S" --quiet "$T/a.csv"
check_out "A: 1,300 objects" "1300" q "select count(*) from target_objects"
check_out "A: 2,600 proxy addresses" "2600" q "select count(*) from target_proxies"
"$MF" plan --db "$S" --quiet >/dev/null 2>&1
check_out "the plan converts Anna's custom recipient (a plan row names it)" "1" \
	q "select count(*) from plan_mailboxes p join target_objects o on o.id = p.object_id where o.alias = 'AnnaL'"

check "snapshot B replaces A" "$MF" import directory --db "$S" --quiet "$T/b.csv"
check_out "B: 1,100 objects, all of B" "1100 1100" \
	q "select count(*) || ' ' || sum(alias like 'TB%') from target_objects"
check_out "B: 2,200 proxy addresses, none left of A" "2200 0" \
	q "select count(*) || ' ' || sum(object_id not in (select id from target_objects)) from target_proxies"
check_out "one snapshot source, B's" "1 b.csv" \
	q "select count(*) || ' ' || replace(max(path), '$T/', '') from sources where format = 'directory'"
check_out "no plan row names an object of A" "0" \
	q "select count(*) from plan_mailboxes where object_id is not null and object_id not in (select id from target_objects)"
check_out "nor a recipient's plan row" "0" \
	q "select count(*) from plan_recipients where object_id is not null and object_id not in (select id from target_objects)"

# a snapshot whose header has no class column fails after the old snapshot
# was deleted inside the transaction: nothing of that may remain
printf 'alias,display_name\nX1,X One\n' >"$T/bad.csv"
"$MF" import directory --db "$S" --quiet "$T/bad.csv" >"$T/bad.out" 2>&1
rc=$?
[ $rc -ne 0 ]
_result $? "a snapshot without a class column is refused (exit $rc)"
check_out "B is still there, whole" "1100 2200 1" \
	q "select (select count(*) from target_objects) || ' ' || (select count(*) from target_proxies) || ' ' || (select count(*) from sources where format = 'directory')"
check_out "... and still B" "b.csv" q "select replace(path, '$T/', '') from sources where format = 'directory'"
finish
