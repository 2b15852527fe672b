# dovecot.sh: a private Dovecot 2.3 (Debian dovecot-imapd) for tests.
#
# Installs nothing.  Source it from a test that has sourced tests/cli/lib.sh
# (it needs $T, a temporary folder removed at the end):
#
#   . "$SRC/tests/lib/dovecot.sh"
#   dovecot_available || skip...        0 when dovecot and doveadm exist
#   dovecot_start MAILROOT [PUBLICROOT] start one on 127.0.0.1
#   ... IMAP on 127.0.0.1:$DOVECOT_PORT ...
#   dovecot_stop                        stop it (also done at exit)
#
# Mail is Maildir++ at MAILROOT/<user> (the layout `mailferry export maildir`
# writes); PUBLICROOT (optional) is a Maildir++ root shown as the shared
# namespace "Public/".  The hierarchy separator is '/'.  A user's mailbox is
# created at the first login (the userdb is static and accepts any name).
#
# Logins:
#   $DOVECOT_USER / $DOVECOT_PASSWORD        an ordinary user ("mftest")
#   "<user>*$DOVECOT_MASTER" / $DOVECOT_MASTER_PASSWORD
#                                            the master user acting as <user>
#                                            (Dovecot's master-user login)
#
# Dovecot refuses to store mail as root: when the test runs as root, mail
# is read and written as `nobody` (MAILROOT and PUBLICROOT are given to it),
# otherwise as the current user; $T and the folders between it and MAILROOT
# are then made passable (o+x) for Dovecot's users.  Indexes and control files live under
# $DOVECOT_DIR, never in MAILROOT.  mail_fsync=never for speed.
#
# Variables set by dovecot_start: DOVECOT_DIR, DOVECOT_CONF, DOVECOT_PORT,
# DOVECOT_USER, DOVECOT_PASSWORD, DOVECOT_MASTER, DOVECOT_MASTER_PASSWORD.
#
# Options, set before dovecot_start (added for the IMAP exporter's tests):
#   DOVECOT_SPECIAL_USE=1   folders Sent, Drafts and Trash with SPECIAL-USE
#                           attributes, made at each user's first login
#   DOVECOT_TLS=1           also IMAPS on $DOVECOT_TLS_PORT and STARTTLS on the
#                           plain port, with a test CA ($DOVECOT_CA, a PEM
#                           file for SSL_CERT_FILE) and a certificate for
#                           127.0.0.1 and localhost
#   DOVECOT_MAX_MAIL_SIZE=N refuse messages over N bytes (quota plugin:
#                           NO [LIMIT]), for tests of a refused message
#   DOVECOT_LISTEN_PORT=N   the plain port to use (default: a free one)
#   DOVECOT_MASTER_ONLY=1   $DOVECOT_MASTER is only a master user: no account
#                           of its own, it cannot log in as itself

dovecot_available() {
	command -v dovecot >/dev/null 2>&1 && command -v doveadm >/dev/null 2>&1
}

# A free TCP port on 127.0.0.1 (the kernel picks one; a tiny race remains).
_dovecot_free_port() {
	for py in /usr/bin/python3 python3; do
		if command -v "$py" >/dev/null 2>&1; then
			"$py" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' && return 0
		fi
	done
	echo $((20000 + $$ % 20000))
}

# Does something accept connections on the port?
_dovecot_answers() {
	for py in /usr/bin/python3 python3; do
		command -v "$py" >/dev/null 2>&1 || continue
		"$py" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
ok = s.recv(100).startswith(b"* OK")
s.close()
sys.exit(0 if ok else 1)' "$DOVECOT_PORT" 2>/dev/null
		return $?
	done
	return 1
}

dovecot_start() {
	_mail=$1
	_pub=${2:-}
	DOVECOT_DIR=$(mktemp -d "$T/dovecot-XXXXXX")
	DOVECOT_CONF="$DOVECOT_DIR/dovecot.conf"
	DOVECOT_PORT=${DOVECOT_LISTEN_PORT:-$(_dovecot_free_port)}
	DOVECOT_TLS_PORT=0
	DOVECOT_USER=mftest
	DOVECOT_PASSWORD=mftest-secret
	DOVECOT_MASTER=mfadmin
	DOVECOT_MASTER_PASSWORD=mfadmin-secret
	if [ "$(id -u)" = 0 ]; then
		_uid=$(id -u nobody)
		_gid=$(id -g nobody)
		_internal=dovecot
		_login=dovenull
	else
		_uid=$(id -u)
		_gid=$(id -g)
		_internal=$(id -un)
		_login=$(id -un)
	fi
	mkdir -p "$_mail" "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/index" \
		"$DOVECOT_DIR/control" "$DOVECOT_DIR/home"
	[ -n "$_pub" ] && mkdir -p "$_pub"
	printf '%s:{PLAIN}%s\n' "$DOVECOT_USER" "$DOVECOT_PASSWORD" >"$DOVECOT_DIR/users"
	# the master user has an account of its own too (public folders are
	# written by the admin's own login; Dovecot refuses "admin*admin")
	[ "${DOVECOT_MASTER_ONLY:-}" = 1 ] ||
		printf '%s:{PLAIN}%s\n' "$DOVECOT_MASTER" "$DOVECOT_MASTER_PASSWORD" >>"$DOVECOT_DIR/users"
	printf '%s:{PLAIN}%s\n' "$DOVECOT_MASTER" "$DOVECOT_MASTER_PASSWORD" >"$DOVECOT_DIR/masters"
	if [ "$(id -u)" = 0 ]; then
		chown -R "$_uid:$_gid" "$_mail" "$DOVECOT_DIR/index" "$DOVECOT_DIR/control" \
			"$DOVECOT_DIR/home"
		[ -n "$_pub" ] && chown -R "$_uid:$_gid" "$_pub"
		# the auth process (dovecot) and mail processes (nobody) must be
		# able to pass through the test's folders
		chmod o+x "$T" "$DOVECOT_DIR"
		_d=$(dirname "$_mail")
		while [ "$_d" != "/" ] && [ "${_d#"$T"}" != "$_d" ]; do
			chmod o+x "$_d"
			_d=$(dirname "$_d")
		done
		chgrp "$(id -g dovecot)" "$DOVECOT_DIR/users" "$DOVECOT_DIR/masters"
		chmod 0640 "$DOVECOT_DIR/users" "$DOVECOT_DIR/masters"
	fi
	_ssl=no
	if [ "${DOVECOT_TLS:-}" = 1 ]; then
		_dovecot_make_certs || return 1
		_ssl=yes
		DOVECOT_TLS_PORT=$(_dovecot_free_port)
	fi
	cat >"$DOVECOT_CONF" <<EOF
# private test instance written by tests/lib/dovecot.sh
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
info_log_path = $DOVECOT_DIR/dovecot.log
instance_name = mf-dovecot-$$
protocols = imap
listen = 127.0.0.1
ssl = $_ssl
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %u
auth_master_user_separator = *
default_internal_user = $_internal
default_login_user = $_login
first_valid_uid = 0
first_valid_gid = 0
mail_uid = $_uid
mail_gid = $_gid
mail_fsync = never
mail_location = maildir:$_mail/%u:INDEX=$DOVECOT_DIR/index/%u:CONTROL=$DOVECOT_DIR/control/%u
namespace inbox {
  inbox = yes
  separator = /
  prefix =
EOF
	if [ "${DOVECOT_SPECIAL_USE:-}" = 1 ]; then
		cat >>"$DOVECOT_CONF" <<EOF
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
EOF
	fi
	echo "}" >>"$DOVECOT_CONF"
	if [ "$_ssl" = yes ]; then
		cat >>"$DOVECOT_CONF" <<EOF
ssl_cert = <$DOVECOT_DIR/server.pem
ssl_key = <$DOVECOT_DIR/server.key
EOF
	fi
	if [ -n "${DOVECOT_MAX_MAIL_SIZE:-}" ]; then
		cat >>"$DOVECOT_CONF" <<EOF
mail_plugins = \$mail_plugins quota
plugin {
  quota = count:User quota
  quota_rule = *:storage=0
  quota_max_mail_size = $DOVECOT_MAX_MAIL_SIZE
  quota_vsizes = yes
}
EOF
	fi
	if [ -n "$_pub" ]; then
		cat >>"$DOVECOT_CONF" <<EOF
namespace public {
  type = public
  separator = /
  prefix = Public/
  location = maildir:$_pub:INDEX=$DOVECOT_DIR/index/public/%u:CONTROL=$DOVECOT_DIR/control/public/%u
  subscriptions = no
  list = yes
}
EOF
	fi
	cat >>"$DOVECOT_CONF" <<EOF
passdb {
  driver = passwd-file
  master = yes
  args = $DOVECOT_DIR/masters
}
passdb {
  driver = passwd-file
  args = $DOVECOT_DIR/users
}
userdb {
  driver = static
  args = uid=$_uid gid=$_gid home=$DOVECOT_DIR/home/%u allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVECOT_TLS_PORT
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
	trap 'dovecot_stop; rm -rf "$T"' EXIT
	trap 'dovecot_stop; rm -rf "$T"; exit 1' INT TERM
	if ! dovecot -c "$DOVECOT_CONF" 2>"$DOVECOT_DIR/start.err"; then
		echo "dovecot_start: dovecot did not start:" >&2
		cat "$DOVECOT_DIR/start.err" "$DOVECOT_DIR/dovecot.log" 2>/dev/null | head -n 20 >&2
		return 1
	fi
	# wait (at most 10 s) until it answers
	_i=0
	while [ $_i -lt 100 ]; do
		if _dovecot_answers; then
			_dovecot_running=1
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "dovecot_start: no answer on 127.0.0.1:$DOVECOT_PORT" >&2
	cat "$DOVECOT_DIR/dovecot.log" 2>/dev/null | tail -n 20 >&2
	dovecot_stop
	return 1
}

# A test CA and a server certificate for 127.0.0.1 and localhost.
_dovecot_make_certs() {
	_d=$DOVECOT_DIR
	DOVECOT_CA="$_d/ca.pem"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mailferry test CA" \
		-keyout "$_d/ca.key" -out "$_d/ca.pem" >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$_d/server.key" -out "$_d/server.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$_d/ext.cnf" &&
	openssl x509 -req -in "$_d/server.csr" -CA "$_d/ca.pem" -CAkey "$_d/ca.key" \
		-CAcreateserial -days 2 -extfile "$_d/ext.cnf" -out "$_d/server.pem" >/dev/null 2>&1 || {
		echo "dovecot_start: cannot make test certificates" >&2
		return 1
	}
	chmod 0644 "$_d/server.key"
}

dovecot_stop() {
	[ -n "${DOVECOT_CONF:-}" ] || return 0
	doveadm -c "$DOVECOT_CONF" stop >/dev/null 2>&1 || {
		[ -f "$DOVECOT_DIR/run/master.pid" ] && kill "$(cat "$DOVECOT_DIR/run/master.pid")" 2>/dev/null
	}
	# wait for the master to go (at most 5 s)
	_i=0
	while [ -f "$DOVECOT_DIR/run/master.pid" ] && [ $_i -lt 50 ]; do
		kill -0 "$(cat "$DOVECOT_DIR/run/master.pid" 2>/dev/null)" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	_dovecot_running=
	DOVECOT_CONF=
}
