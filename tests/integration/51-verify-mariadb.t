#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred verify against a real MariaDB server of our own: a fresh data
# directory (mariadb-install-db), mariadbd with --skip-networking on a
# socket in a temporary directory, run as nobody when we are root; a user
# with password authentication whose password holds @ : / ? # % and a
# space. cred uri percent-encodes it; cred verify logs in with
# libmariadb (dlopen) through the socket (a host starting with '/'),
# runs SELECT 1, exits 0 and records "ok"; a wrong password makes it exit
# 1 and record "failed"; neither password appears in any output, the
# agent's log, info or audit JSON. Bounded waits; the server is stopped
# at the end, whatever happens.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C

MARIADBD=$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null)
INSTALL_DB=$(command -v mariadb-install-db || command -v mysql_install_db)
if [ -z "$MARIADBD" ] || [ ! -x "$MARIADBD" ] || [ -z "$INSTALL_DB" ]; then
	skip "no MariaDB server (mariadbd, mariadb-install-db; apt-get install mariadb-server)" 1
	done_testing
fi
AS=()
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || bail "setpriv (util-linux) is installed"
	AS=("${AS_NOBODY[@]}")
fi

MY=$TEST_DIR/my # the server's own directory: data, socket, log
SOCK=$MY/sock
ALL=$TEST_DIR/all-output
mkdir -p "$MY"
[ ${#AS[@]} -eq 0 ] || chown 65534:65534 "$MY"

PW="my s3cr@t:/?#%-$(random_token 16)"
BAD="wr0ng @:/?#% $(random_token 16)"
MY_PID=

my_stop() {
	local i
	[ -n "$MY_PID" ] || return 0
	kill -TERM "$MY_PID" 2>/dev/null
	for ((i = 0; i < 100 * TIME_FACTOR; i++)); do
		proc_alive "$MY_PID" || break
		sleep 0.1
	done
	proc_alive "$MY_PID" && kill -KILL "$MY_PID" 2>/dev/null
	{ wait "$MY_PID"; } 2>/dev/null
	MY_PID=
}
trap '_st=$?; my_stop; (exit $_st); _tap_cleanup' EXIT

crun() {
	run "$CRED" "$@"
	cat "$OUT_FILE" "$ERR_FILE" >>"$ALL"
}

pct() {
	perl -e 'my $s = $ARGV[0]; $s =~ s/([^A-Za-z0-9\-._~])/sprintf("%%%02X", ord $1)/ge; print $s' "$1"
}

# ---- the server ----

(cd "$MY" && timeout -k 2 180 "${AS[@]}" "$INSTALL_DB" --no-defaults --datadir="$MY/data" \
	--auth-root-authentication-method=normal --skip-test-db --innodb-log-file-size=8M \
	>"$MY/install.log" 2>&1) || bail "mariadb-install-db" "$(tail -20 "$MY/install.log")"
pass "mariadb-install-db"

# The user and database, made at start-up (no client program needed):
# one statement per line.
cat >"$MY/init.sql" <<EOF
CREATE DATABASE shop;
CREATE USER 'app'@'localhost' IDENTIFIED BY '$PW';
GRANT ALL ON shop.* TO 'app'@'localhost';
EOF
[ ${#AS[@]} -eq 0 ] || chown 65534:65534 "$MY/init.sql"
chmod 0600 "$MY/init.sql"
(
	cd "$MY" || exit 1
	exec "${AS[@]}" "$MARIADBD" --no-defaults --datadir="$MY/data" --socket="$SOCK" \
		--skip-networking --pid-file="$MY/pid" --log-error="$MY/error.log" \
		--innodb-log-file-size=8M --init-file="$MY/init.sql"
) >"$MY/out.log" 2>&1 </dev/null &
MY_PID=$!
# The socket takes connections into its backlog before the init file
# has run: "ready for connections" comes after it.
ready() { grep -q "ready for connections" "$MY/error.log" 2>/dev/null || ! proc_alive "$MY_PID"; }
if ! wait_for 60 ready || ! proc_alive "$MY_PID" || ! sock_accepts "$SOCK"; then
	bail "mariadbd serves $SOCK" "$(grep -vF "$PW" "$MY/error.log" 2>/dev/null | tail -20)"
fi
rm -f "$MY/init.sql" # it held the password
if grep -q "ERROR" "$MY/error.log"; then
	bail "the user and database were created" "$(grep ERROR "$MY/error.log" | grep -vF "$PW" | head)"
fi
pass "mariadbd serves $SOCK only (--skip-networking)"

# ---- the secrets ----

start_agent
printf '%s' "$PW" >"$TEST_DIR/pw"
printf '%s' "$BAD" >"$TEST_DIR/bad"
crun put db/my --type mysql --field "host=$SOCK" --field database=shop --field username=app \
	--from-file "$TEST_DIR/pw"
is "$RC" 0 "put a mysql secret (host: the socket)"
crun put db/my-bad --type mysql --field "host=$SOCK" --field database=shop --field username=app \
	--from-file "$TEST_DIR/bad"
is "$RC" 0 "put one with a wrong password"

run "$CRED" uri db/my
is "$RC" 0 "cred uri"
is "$(cat "$OUT_FILE")" "mysql://app:$(pct "$PW")@$(pct "$SOCK"):3306/shop" \
	"the URI percent-encodes the password and the socket path, the port defaulted"

# ---- verify: ok ----

crun verify db/my
is "$RC" 0 "verify exits 0 with the right password"
like "$OUT" "^db/my: ok: SELECT 1 ok in [0-9]+ ms$" "and says SELECT 1 worked"
info=$("$CRED" --json info db/my)
cat <<<"$info" >>"$ALL"
is "$(json_get "$info" verify.status)" "ok" "info --json: verify.status ok"
like "$(json_get "$info" verify.message)" "^SELECT 1 ok in" "info --json: verify.message"
like "$(json_get "$info" verify.time)" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T" "info --json: verify.time"

# ---- verify: failed ----

crun verify db/my-bad
is "$RC" 1 "verify exits 1 with a wrong password"
like "$ERR" "^cred: verify: db/my-bad: failed: Access denied for user 'app'@'localhost'" \
	"and says the server refused it"
info=$("$CRED" --json info db/my-bad)
cat <<<"$info" >>"$ALL"
is "$(json_get "$info" verify.status)" "failed" "info --json: verify.status failed"
like "$(json_get "$info" verify.message)" "Access denied" "info --json: the server's message"

crun verify db/my-bad --with 'echo "password: $MYSQL_PWD"; exit 1'
is "$RC" 1 "verify --with: a failing command is a failed check"
like "$ERR" "failed: command exited with status 1: password: \*\*\*$" "the password scrubbed"
crun verify db/my --with "test \"\$MYSQL_PWD\" = \"\$(cat '$TEST_DIR/pw')\" &&
	test \"\$MYSQL_USER/\$MYSQL_DATABASE/\$MYSQL_TCP_PORT/\$MYSQL_HOST\" = 'app/shop/3306/$SOCK'"
is "$RC" 0 "verify --with gets MYSQL_HOST MYSQL_TCP_PORT MYSQL_DATABASE MYSQL_USER MYSQL_PWD"

crun put db/my-nowhere --type mysql --field "host=$TEST_DIR/nowhere.sock" --field database=shop \
	--field username=app --from-file "$TEST_DIR/pw"
t0=$SECONDS
crun verify db/my-nowhere --timeout 3
is "$RC" 1 "verify of a server that is not there fails"
cmp_ok $((SECONDS - t0)) -le $((5 * TIME_FACTOR)) "within the timeout"

audit=$("$CRED" --json audit)
cat <<<"$audit" >>"$ALL"

# ---- secrecy ----

stop_all_agents
cat "$AGENT_LOG" >>"$ALL"
for s in "$PW" "$BAD" "$(pct "$PW")" "$(pct "$BAD")"; do
	if grep -qF -- "$s" "$ALL"; then
		fail "a password appears in no output, log, info or audit" \
			"    found: $(grep -nF -- "$s" "$ALL" | head -3 | cut -c1-200)"
	else
		pass "a password appears in no output, log, info or audit"
	fi
done

# ---- stop the server ----

pid=$MY_PID
my_stop
if proc_alive "$pid"; then fail "mariadbd stopped"; else pass "mariadbd stopped"; fi

done_testing
