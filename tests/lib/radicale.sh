# radicale.sh: a private Radicale 3 (Debian package radicale) for tests.
#
# Installs nothing.  Source it from a test that has sourced tests/cli/lib.sh
# (it needs $T, a temporary folder removed at the end):
#
#   . "$SRC/tests/lib/radicale.sh"
#   radicale_available || skip...   0 when Radicale can be started
#   radicale_start                   start one on 127.0.0.1:$RADICALE_PORT
#   radicale_stop                    stop it (also done at exit)
#
# Users (htpasswd, plain passwords in a file only this test reads):
#   $RADICALE_ADMIN / $RADICALE_ADMIN_PASSWORD   writes every collection
#   $RADICALE_USER / $RADICALE_USER_PASSWORD     an ordinary user ("mfuser")
# Rights (from_file): the admin reads and writes everything; every other
# user only his own principal and its collections; nobody else's.
#
# Variables set by radicale_start: RADICALE_DIR (config, users, rights,
# collections under $RADICALE_DIR/collections), RADICALE_PORT, RADICALE_URL
# ("http://127.0.0.1:PORT/"), RADICALE_PID.
#
# Options, set before radicale_start:
#   RADICALE_TLS=1        HTTPS only, with a test CA ($RADICALE_CA, a PEM file
#                         for SSL_CERT_FILE) and a certificate for 127.0.0.1;
#                         RADICALE_URL is then "https://127.0.0.1:PORT/"
#   RADICALE_LOG_LEVEL=L  Radicale's log level (info logs every request)

# Debian's packages live in the system Python, whatever python3 is first
# on PATH.
RADICALE_PY=/usr/bin/python3
[ -x "$RADICALE_PY" ] || RADICALE_PY=python3

radicale_available() {
	"$RADICALE_PY" -c 'import radicale' >/dev/null 2>&1
}

_radicale_free_port() {
	"$RADICALE_PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_radicale_answers() {
	"$RADICALE_PY" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.close()' "$RADICALE_PORT" 2>/dev/null
}

radicale_start() {
	RADICALE_DIR=$(mktemp -d "$T/radicale-XXXXXX")
	RADICALE_PORT=${RADICALE_LISTEN_PORT:-$(_radicale_free_port)}
	RADICALE_URL="http://127.0.0.1:$RADICALE_PORT/"
	_ssl=
	if [ "${RADICALE_TLS:-0}" = 1 ]; then
		_radicale_make_certs || return 1
		RADICALE_URL="https://127.0.0.1:$RADICALE_PORT/"
		_ssl="ssl = True
certificate = $RADICALE_DIR/server.pem
key = $RADICALE_DIR/server.key"
	fi
	RADICALE_ADMIN=mfadmin
	RADICALE_ADMIN_PASSWORD="radicale-admin-$(od -An -N4 -tx1 /dev/urandom | tr -d " \n")"
	RADICALE_USER=mfuser
	RADICALE_USER_PASSWORD="radicale-user-$(od -An -N4 -tx1 /dev/urandom | tr -d " \n")"
	printf '%s:%s\n%s:%s\n' "$RADICALE_ADMIN" "$RADICALE_ADMIN_PASSWORD" \
		"$RADICALE_USER" "$RADICALE_USER_PASSWORD" > "$RADICALE_DIR/users"
	cat > "$RADICALE_DIR/rights" <<EOF
[admin]
user: $RADICALE_ADMIN
collection: .*
permissions: RrWw

[principal]
user: .+
collection: {user}
permissions: RrWw

[own]
user: .+
collection: {user}/[^/]+
permissions: rw

[root]
user: .+
collection:
permissions: R
EOF
	cat > "$RADICALE_DIR/config" <<EOF
[server]
hosts = 127.0.0.1:$RADICALE_PORT
max_content_length = 200000000
$_ssl

[auth]
type = htpasswd
htpasswd_filename = $RADICALE_DIR/users
htpasswd_encryption = plain
delay = 0

[rights]
type = from_file
file = $RADICALE_DIR/rights

[storage]
filesystem_folder = $RADICALE_DIR/collections

[web]
type = none

[logging]
level = ${RADICALE_LOG_LEVEL:-warning}
EOF
	"$RADICALE_PY" -m radicale --config "$RADICALE_DIR/config" >"$RADICALE_DIR/log" 2>&1 &
	RADICALE_PID=$!
	trap 'radicale_stop; rm -rf "$T"' EXIT INT TERM
	_i=0
	while ! _radicale_answers; do
		_i=$((_i + 1))
		if [ $_i -gt 100 ] || ! kill -0 "$RADICALE_PID" 2>/dev/null; then
			sed 's/^/  radicale: /' "$RADICALE_DIR/log" | tail -n 20
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# A test CA and a server certificate for 127.0.0.1 and localhost.
_radicale_make_certs() {
	_d=$RADICALE_DIR
	RADICALE_CA="$_d/ca.pem"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mailferry test CA" \
		-keyout "$_d/ca.key" -out "$_d/ca.pem" >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$_d/server.key" -out "$_d/server.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$_d/ext.cnf" &&
	openssl x509 -req -in "$_d/server.csr" -CA "$_d/ca.pem" -CAkey "$_d/ca.key" \
		-CAcreateserial -days 2 -extfile "$_d/ext.cnf" -out "$_d/server.pem" >/dev/null 2>&1 || {
		echo "radicale_start: cannot make test certificates" >&2
		return 1
	}
}

radicale_stop() {
	if [ -n "${RADICALE_PID:-}" ]; then
		kill "$RADICALE_PID" 2>/dev/null
		wait "$RADICALE_PID" 2>/dev/null
		RADICALE_PID=
	fi
}
