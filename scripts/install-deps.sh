#!/bin/sh
# install-deps.sh: install, through apt-get, whatever mailferry needs to build,
# test and benchmark on Debian 12, and nothing that is already there.
#
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --bench  also what `make bench` uses
#
# A package is only installed when its pkg-config module or its command is
# missing, so a second run does nothing and needs no network.
set -eu

need=""
want_pc() { pkg-config --exists "$1" 2>/dev/null || need="$need $2"; }
want_cmd() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
want_file() { [ -e "$1" ] || need="$need $2"; }
want_py() { python3 -c "import $1" 2>/dev/null || need="$need $2"; }
# a module of Debian's own python3 (python3-* packages install there only)
want_debpy() { /usr/bin/python3 -c "import $1" 2>/dev/null || need="$need $2"; }

want_cmd pkg-config pkg-config
want_cmd cc gcc
want_cmd make make
want_pc sqlite3 libsqlite3-dev
want_pc libical libical-dev
want_pc gmime-3.0 libgmime-3.0-dev
want_pc openssl libssl-dev
want_pc libcurl libcurl4-openssl-dev
want_pc libxml-2.0 libxml2-dev
want_cmd sqlite3 sqlite3
want_cmd python3 python3
want_py icalendar python3-icalendar
want_py vobject python3-vobject
want_cmd radicale radicale
want_cmd dovecot dovecot-imapd
want_cmd doveadm dovecot-core
want_cmd mbsync isync
want_cmd tmux tmux
want_cmd clang clang
want_file /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a libclang-rt-14-dev
want_cmd cppcheck cppcheck
want_cmd clang-tidy clang-tidy
want_cmd chromium chromium
want_cmd ip iproute2
want_file /usr/bin/time time
want_cmd openssl openssl
# readers the PST tests compare with (tests/cli/pst.sh)
want_cmd pffexport pff-tools
want_cmd readpst pst-utils
want_debpy pypff python3-pypff
# the Calendar checks expand RRULEs and read iCalendar (tests/cli/pst-cal.sh)
want_debpy dateutil python3-dateutil
want_debpy vobject python3-vobject
want_cmd node nodejs
want_cmd npm npm

if [ "${1:-}" = "--bench" ]; then
	want_cmd hyperfine hyperfine
	want_cmd tc iproute2
	# bench/dav.sh: curl against mailferry's CardDAV push, bc for the figures
	want_cmd curl curl
	want_cmd bc bc
fi

# the npm reader, inside the repository (tests/node/node_modules, git-ignored)
npm_readers() {
	if command -v npm >/dev/null 2>&1 && [ ! -d "$(dirname "$0")/../tests/node/node_modules/pst-extractor" ]; then
		(cd "$(dirname "$0")/../tests/node" && npm install --no-audit --no-fund --silent) ||
			echo "install-deps: npm install in tests/node failed" >&2
	fi
}

if [ -z "$need" ]; then
	npm_readers
	echo "install-deps: everything is present"
	exit 0
fi
echo "install-deps: installing:$need"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Only refresh the package lists when they were never fetched on this machine.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
	$SUDO apt-get update -q
fi
# dovecot's package would start a system-wide service; tests run their own
# private instance, so keep the package's service from starting.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $need || {
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends $need
}
npm_readers
