#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred verify against a real PostgreSQL server of our own: initdb with
# scram-sha-256 for every local connection (trust or peer would take any
# password), listening only on a Unix socket in a temporary directory on
# a port that is not the default (so the port field must be used), run as
# nobody when we are root (the server refuses root). A postgresql secret
# whose password holds @ : / ? # % and a space: cred uri percent-encodes
# it and psql connects with that URI; cred verify logs in with libpq
# (dlopen), runs SELECT 1, exits 0 and records "ok"; a wrong password
# makes it exit 1 and record "failed"; neither password appears in any
# output, the agent's log, info or audit JSON. The server is stopped at
# the end, whatever happens.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
	skip "no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)" 1
	done_testing
fi
# The server refuses to run as root: as root, it runs as nobody.
AS=()
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || bail "setpriv (util-linux) is installed"
	AS=("${AS_NOBODY[@]}")
fi

PG=$TEST_DIR/pg           # the server's own directory
PGDATA=$PG/data
SOCKDIR=$TEST_DIR/pgsock  # its socket, and nothing else
PORT=55432
ALL=$TEST_DIR/all-output  # every output of cred, for the secrecy checks
mkdir -p "$PG" "$SOCKDIR"
[ ${#AS[@]} -eq 0 ] || chown 65534:65534 "$PG" "$SOCKDIR"

PW="pg s3cr@t:/?#%-$(random_token 16)"
BAD="wr0ng @:/?#% $(random_token 16)"
SUPER=$(random_token 24)

pg_stop() {
	local pid
	[ -f "$PGDATA/postmaster.pid" ] || return 0
	pid=$(head -1 "$PGDATA/postmaster.pid" 2>/dev/null)
	timeout -k 2 15 "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -t 10 stop \
		>>"$PG/ctl.log" 2>&1
	# pg_ctl may be gone or stuck: the postmaster must not outlive us.
	if [ -n "$pid" ] && proc_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
	fi
}
# Stop the server before lib.sh's cleanup removes its directory, keeping
# the exit status lib.sh reports.
trap '_st=$?; pg_stop; (exit $_st); _tap_cleanup' EXIT

# cred under run, its output kept for the secrecy checks.
crun() {
	run "$CRED" "$@"
	cat "$OUT_FILE" "$ERR_FILE" >>"$ALL"
}

# Percent-encoding as cred uri does it (RFC 3986 unreserved kept).
pct() {
	perl -e 'my $s = $ARGV[0]; $s =~ s/([^A-Za-z0-9\-._~])/sprintf("%%%02X", ord $1)/ge; print $s' "$1"
}

# ---- the server ----

printf '%s\n' "$SUPER" >"$PG/pwfile"
[ ${#AS[@]} -eq 0 ] || chown 65534:65534 "$PG/pwfile"
chmod 0600 "$PG/pwfile"
timeout -k 2 120 "${AS[@]}" "$PGBIN/initdb" -D "$PGDATA" --auth=scram-sha-256 \
	--username=postgres --pwfile="$PG/pwfile" -E UTF8 --no-locale >"$PG/initdb.log" 2>&1
rc=$?
rm -f "$PG/pwfile"
[ $rc -eq 0 ] || bail "initdb" "$(tail -20 "$PG/initdb.log")"
pass "initdb with scram-sha-256"
hba=$(grep -E '^(local|host)' "$PGDATA/pg_hba.conf" | awk '{print $NF}' | sort -u)
is "$hba" "scram-sha-256" "pg_hba.conf asks every connection for a scram password"

# The role and database, made in single-user mode (no psql needed): one
# statement per line.
printf "CREATE ROLE app LOGIN PASSWORD '%s';\nCREATE DATABASE appdb OWNER app;\n" "$PW" |
	timeout -k 2 60 "${AS[@]}" "$PGBIN/postgres" --single -D "$PGDATA" postgres \
		>"$PG/single.log" 2>&1
if [ $? -eq 0 ] && ! grep -q ERROR "$PG/single.log"; then
	pass "role app and database appdb created"
else
	bail "role app and database appdb created" "$(grep -v "$PW" "$PG/single.log" | tail -20)"
fi

timeout -k 2 $((60 * TIME_FACTOR)) "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PG/server.log" \
	-w -t $((30 * TIME_FACTOR)) \
	-o "-c listen_addresses='' -c unix_socket_directories=$SOCKDIR -p $PORT" start \
	>"$PG/ctl.log" 2>&1 || bail "postgres started" "$(cat "$PG/ctl.log")" "$(tail -20 "$PG/server.log")"
[ -S "$SOCKDIR/.s.PGSQL.$PORT" ] || bail "postgres listens on $SOCKDIR" "$(ls -la "$SOCKDIR")"
pass "postgres serves $SOCKDIR/.s.PGSQL.$PORT only"

# ---- the secrets ----

start_agent
printf '%s' "$PW" >"$TEST_DIR/pw"
printf '%s' "$BAD" >"$TEST_DIR/bad"
crun put db/pg --type postgresql --field "host=$SOCKDIR" --field "port=$PORT" \
	--field database=appdb --field username=app --from-file "$TEST_DIR/pw"
is "$RC" 0 "put a postgresql secret (password from a file)"
crun put db/pg-bad --type postgresql --field "host=$SOCKDIR" --field "port=$PORT" \
	--field database=appdb --field username=app --from-file "$TEST_DIR/bad"
is "$RC" 0 "put one with a wrong password"

# ---- cred uri ----

run "$CRED" uri db/pg
is "$RC" 0 "cred uri"
uri=$(cat "$OUT_FILE")
want="postgresql://app:$(pct "$PW")@$(pct "$SOCKDIR"):$PORT/appdb"
is "$uri" "$want" "the URI percent-encodes the password and the socket directory"
unlike "$uri" "[ #?]" "no space, '#' or '?' left bare in it"
# libpq takes a socket directory percent-encoded in the host part
# (postgresql://%2Ftmp%2Fdir:PORT/db), so the URI is used as it is.
if command -v psql >/dev/null; then
	out=$(timeout -k 2 20 psql "$uri" -XAtc 'select 1' 2>&1)
	is "$out" "1" "psql connects with the URI (socket directory in the host part)"
else
	skip "psql is not installed" 1
fi

# ---- verify: ok ----

crun verify db/pg
is "$RC" 0 "verify exits 0 with the right password"
like "$OUT" "^db/pg: ok: SELECT 1 ok in [0-9]+ ms$" "and says SELECT 1 worked"
info=$("$CRED" --json info db/pg)
cat <<<"$info" >>"$ALL"
is "$(json_get "$info" verify.status)" "ok" "info --json: verify.status ok"
like "$(json_get "$info" verify.message)" "^SELECT 1 ok in" "info --json: verify.message"
like "$(json_get "$info" verify.time)" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T" "info --json: verify.time"
run "$CRED" info db/pg
like "$OUT" "verified: +ok [0-9T:-]+Z \(SELECT 1 ok in [0-9]+ ms\)" "info: verified: ok TIME (MESSAGE)"

crun --json verify db/pg
is "$RC" 0 "verify --json"
is "$(json_get "$OUT" status)/$(json_get "$OUT" type)/$(json_get "$OUT" recorded)" \
	"ok/postgresql/true" "verify --json: status, type, recorded"

# ---- verify: failed ----

crun verify db/pg-bad
is "$RC" 1 "verify exits 1 with a wrong password"
like "$ERR" "^cred: verify: db/pg-bad: failed: .*password authentication failed for user \"app\"" \
	"and says the server refused it"
info=$("$CRED" --json info db/pg-bad)
cat <<<"$info" >>"$ALL"
is "$(json_get "$info" verify.status)" "failed" "info --json: verify.status failed"
like "$(json_get "$info" verify.message)" "password authentication failed" \
	"info --json: the server's message"
run "$CRED" ls --unverified
like "$OUT" "db/pg-bad" "ls --unverified lists the failed one"
unlike "$OUT" "db/pg( |$)" "and not the verified one"

# A command that prints the password: the message has it scrubbed.
crun verify db/pg-bad --with 'echo "user $PGUSER password $PGPASSWORD on $PGHOST:$PGPORT"; exit 3'
is "$RC" 1 "verify --with: a failing command is a failed check"
like "$ERR" "failed: command exited with status 3: user app password \*\*\* on $SOCKDIR:$PORT" \
	"its last line is in the message, the password scrubbed"
# The check's own environment: PG* variables for a postgresql secret.
crun verify db/pg --with "test \"\$PGPASSWORD\" = \"\$(cat '$TEST_DIR/pw')\" &&
	test \"\$PGUSER/\$PGDATABASE/\$PGPORT/\$PGHOST\" = 'app/appdb/$PORT/$SOCKDIR'"
is "$RC" 0 "verify --with gets PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD"

# Nothing listening: a failure within the timeout, not a hang.
crun put db/pg-nowhere --type postgresql --field "host=$TEST_DIR/nowhere" --field "port=$PORT" \
	--field database=appdb --field username=app --from-file "$TEST_DIR/pw"
t0=$SECONDS
crun verify db/pg-nowhere --timeout 3
is "$RC" 1 "verify of a server that is not there fails"
cmp_ok $((SECONDS - t0)) -le $((5 * TIME_FACTOR)) "within the timeout"

# A "server" that takes the connection and never answers: still bounded.
mkdir -p "$TEST_DIR/hang"
perl -MIO::Socket::UNIX -e '
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 5) or die;
my @keep; while (my $c = $s->accept) { push @keep, $c }' "$TEST_DIR/hang/.s.PGSQL.$PORT" &
hang_pid=$!
wait_for 5 test -S "$TEST_DIR/hang/.s.PGSQL.$PORT"
crun put db/pg-hang --type postgresql --field "host=$TEST_DIR/hang" --field "port=$PORT" \
	--field database=appdb --field username=app --from-file "$TEST_DIR/pw"
t0=$SECONDS
crun verify db/pg-hang --timeout 2
is "$RC" 1 "verify of a server that never answers fails"
like "$ERR" "failed: .*timeout expired" "with libpq's timeout"
cmp_ok $((SECONDS - t0)) -le $((5 * TIME_FACTOR)) "within the timeout"
kill "$hang_pid" 2>/dev/null
wait "$hang_pid" 2>/dev/null

# ---- the audit trail ----

audit=$("$CRED" --json audit --op verify)
cat <<<"$audit" >>"$ALL"
# Identical records within a second fold into one with a count.
n=$(printf '%s' "$audit" | perl -MJSON::PP -e '
my $n = 0; $n += $_->{count} for @{decode_json(do { local $/; <STDIN> })}; print $n')
is "${n:-0}" 7 "every verify that ran a check is audited as op verify"
audit_all=$("$CRED" --json audit)
cat <<<"$audit_all" >>"$ALL"

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

pg_stop
pid_gone=1
[ -f "$PGDATA/postmaster.pid" ] && pid_gone=0
is "$pid_gone" 1 "postgres stopped"

done_testing
