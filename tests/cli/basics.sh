#!/bin/sh
# basics.sh: the command itself: help, formats, exit codes, status.
. "$(dirname "$0")/lib.sh"

check "help lists commands" sh -c '"$MF" help | grep -q "^  import"'
check "--help per command" sh -c '"$MF" status --help | grep -q "usage: mailferry status"'
check "help COMMAND equals COMMAND --help" sh -c '[ "$("$MF" help export)" = "$("$MF" export --help)" ]'
check_exit 2 "no command is a usage error" "$MF"
check_exit 2 "unknown command is a usage error" "$MF" frobnicate
check_exit 2 "unknown option is a usage error" "$MF" status --db "$T/x.db" --bogus
check_exit 2 "missing --db is a usage error" "$MF" status
check_exit 3 "missing database is fatal" "$MF" status --db "$T/none.db"
check "formats lists both tables" sh -c '"$MF" formats | grep -q "^importers:" && "$MF" formats | grep -q "^exporters:"'
check "init creates the database" "$MF" init --db "$T/s.db"
check_out "database mode is 0600" "600" stat -c %a "$T/s.db"
check "status on an empty store" "$MF" status --db "$T/s.db"
check_out "status --json on an empty store" \
	'{"mailboxes":[],"problems":{"info":0,"warning":0,"error":0}}' \
	"$MF" status --db "$T/s.db" --json
check_exit 2 "export of an unknown format" "$MF" export nothing --db "$T/s.db"
check_exit 2 "import of an unknown format" "$MF" import nothing --db "$T/s.db" "$T"
check "sqlite3 can read the summary view" sqlite3 "$T/s.db" 'select * from mailbox_summary'
check "--version" sh -c '"$MF" --version | grep -q "^mailferry "'
finish
