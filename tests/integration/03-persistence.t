#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Restarts, file modes, one agent per store, keyfiles, daemon mode.
. "$(dirname "$0")/lib.sh"

mode_of() { stat -c %a "$1" 2>/dev/null || echo missing; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

start_agent
dir=$AGENT_DIR
printf 'persisted\0value\n' >"$TEST_DIR/v1"
printf 'second' >"$TEST_DIR/v2"
"$CRED" put keep/me <"$TEST_DIR/v1" 2>/dev/null
"$CRED" put keep/me <"$TEST_DIR/v2" 2>/dev/null
"$CRED" put keep/other <"$TEST_DIR/v2" 2>/dev/null
"$CRED" put gone/soon <"$TEST_DIR/v2" 2>/dev/null
"$CRED" rm gone/soon 2>/dev/null

# ---- file modes ----
is "$(mode_of "$AGENT_STATE")" 700 "the state directory is 0700"
is "$(mode_of "$AGENT_STATE/data.mdb")" 600 "data.mdb is 0600"
is "$(mode_of "$AGENT_STATE/lock.mdb")" 600 "lock.mdb is 0600"
is "$(mode_of "$AGENT_STATE/credagent.key")" 600 "credagent.key is 0600"
is "$(stat -c %s "$AGENT_STATE/credagent.key" 2>/dev/null)" 32 "credagent.key holds 32 bytes"
is "$(stat -c %F "$AGENT_SOCK")" socket "the socket is a socket"
is "$(mode_of "$AGENT_SOCK")" 600 "the socket is 0600"
is "$(mode_of "$AGENT_DIR")" 700 "the socket's directory is 0700"
others=$(find "$AGENT_STATE" -perm /077 -printf '%p %m\n')
is "$others" "" "nothing in the state directory is open to group or others"

# ---- restart ----
secrets_before=$(json_get "$("$CRED" --json status)" secrets)
ok "the agent stops cleanly" stop_agent
ok "the socket is removed on stop" test ! -e "$AGENT_SOCK"
start_agent --dir "$dir"
run "$CRED" get keep/me
is "$RC" 0 "get after a restart exits 0"
ok "the current value survives a restart" cmp "$TEST_DIR/v2" "$OUT_FILE"
run "$CRED" get keep/me --version 1
ok "older versions survive a restart" cmp "$TEST_DIR/v1" "$OUT_FILE"
run "$CRED" get keep/other
ok "other secrets survive a restart" cmp "$TEST_DIR/v2" "$OUT_FILE"
run "$CRED" get gone/soon
is "$RC" 3 "a removed secret stays removed after a restart"
run "$CRED" --json status
is "$(json_get "$OUT" secrets)" "$secrets_before" "status counts as many secrets after a restart"

# A restart over a stale socket file (an agent killed hard) works.
{
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID"
} 2>/dev/null
AGENT_PIDS=()
ok "a SIGKILLed agent leaves its socket file behind" test -S "$AGENT_SOCK"
start_agent --dir "$dir"
run "$CRED" get keep/me
ok "an agent restarted after SIGKILL serves the data" cmp "$TEST_DIR/v2" "$OUT_FILE"

# ---- one agent per state directory ----
first_pid=$AGENT_PID
first_sock=$AGENT_SOCK
other=$(mktemp -d "$TEST_DIR/other.XXXXXX")
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$AGENT_STATE" -s "$other/sock"
isnt "$RC" 0 "a second agent on the same state directory exits non-zero"
isnt "$RC" 124 "... at once (it does not hang)"
like "$ERR" "(already|another|in use|locked)" "... with a clear message"
like "$ERR" "$AGENT_STATE" "... naming the state directory"
ok "... without leaving a socket behind" test ! -e "$other/sock"
ok "the first agent is still running" proc_alive "$first_pid"
run "$CRED" get keep/me
ok "the first agent still serves" cmp "$TEST_DIR/v2" "$OUT_FILE"

# A second agent on the same socket (another state directory) is refused
# too, and does not steal the socket.
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$other/state" -s "$first_sock"
isnt "$RC" 0 "a second agent on the same socket exits non-zero"
like "$ERR" "(already|another|in use)" "... with a clear message"
run "$CRED" get keep/me
ok "the first agent still owns its socket" cmp "$TEST_DIR/v2" "$OUT_FILE"

ok "the agent stops cleanly" stop_agent

# ---- keyfiles ----
state=$dir/state
data_sha=$(sha_of "$state/data.mdb")
key_sha=$(sha_of "$state/credagent.key")

# A wrong keyfile: 32 other bytes.
head -c 32 /dev/urandom >"$TEST_DIR/wrong.key"
chmod 0600 "$TEST_DIR/wrong.key"
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$state" -s "$dir/sock" \
	--keyfile "$TEST_DIR/wrong.key"
isnt "$RC" 0 "a wrong keyfile: the agent exits non-zero"
isnt "$RC" 124 "... at once"
like "$ERR" "keyfile" "... with an error that mentions the keyfile"
ok "... leaving no socket behind" test ! -e "$dir/sock"
is "$(sha_of "$state/data.mdb")" "$data_sha" "... and data.mdb unchanged"
is "$(sha_of "$state/credagent.key")" "$key_sha" "... and the real keyfile unchanged"

# A keyfile of the wrong size.
head -c 31 /dev/urandom >"$TEST_DIR/short.key"
chmod 0600 "$TEST_DIR/short.key"
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$state" -s "$dir/sock" \
	--keyfile "$TEST_DIR/short.key"
isnt "$RC" 0 "a 31-byte keyfile: the agent exits non-zero"
like "$ERR" "keyfile" "... with an error that mentions the keyfile"

# A keyfile others can read.
cp "$state/credagent.key" "$TEST_DIR/open.key"
chmod 0644 "$TEST_DIR/open.key"
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$state" -s "$dir/sock" \
	--keyfile "$TEST_DIR/open.key"
isnt "$RC" 0 "a keyfile readable by others is refused"
like "$ERR" "keyfile" "... with an error that mentions the keyfile"

# The right key under another name opens the store.
cp "$state/credagent.key" "$TEST_DIR/copy.key"
chmod 0600 "$TEST_DIR/copy.key"
start_agent --dir "$dir" --keyfile "$TEST_DIR/copy.key"
run "$CRED" get keep/me
ok "a copy of the keyfile given with --keyfile opens the store" cmp "$TEST_DIR/v2" "$OUT_FILE"
ok "the agent stops cleanly" stop_agent
# A served agent writes its audit trail: refused starts are compared with
# the store as this one left it.
data_sha=$(sha_of "$state/data.mdb")

# A missing keyfile for an existing store.
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$state" -s "$dir/sock" \
	--keyfile "$TEST_DIR/no-such.key"
isnt "$RC" 0 "--keyfile naming a missing file for an existing store: non-zero exit"
like "$ERR" "keyfile" "... with an error that mentions the keyfile"
like "$ERR" "no-such.key" "... and names it"
ok "... and does not create it" test ! -e "$TEST_DIR/no-such.key"

mv "$state/credagent.key" "$TEST_DIR/moved.key"
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$state" -s "$dir/sock"
isnt "$RC" 0 "the default keyfile missing for an existing store: non-zero exit"
like "$ERR" "keyfile" "... with an error that mentions the keyfile"
ok "... and no new keyfile is made" test ! -e "$state/credagent.key"
is "$(sha_of "$state/data.mdb")" "$data_sha" "after all the refused starts, data.mdb is unchanged"
mv "$TEST_DIR/moved.key" "$state/credagent.key"

start_agent --dir "$dir"
run "$CRED" get keep/me
ok "the original keyfile still opens the store" cmp "$TEST_DIR/v2" "$OUT_FILE"
ok "the agent stops cleanly" stop_agent

# A state directory created loose is tightened.
loose=$(mktemp -d "$TEST_DIR/loose.XXXXXX")
mkdir -m 0755 "$loose/state"
start_agent --dir "$loose"
is "$(mode_of "$loose/state")" 700 "a 0755 state directory is made 0700"
ok "the agent stops cleanly" stop_agent

# ---- daemon mode ----
d=$(mktemp -d "$TEST_DIR/daemon.XXXXXX")
out=$(timeout $((10 * TIME_FACTOR)) "$CREDAGENTD" -d "$d/state" -s "$d/sock" 2>"$d/err")
rc=$?
is "$rc" 0 "credagentd without -f exits 0 once the daemon is ready"
like "$out" "CRED_SOCK=$d/sock; export CRED_SOCK;" "... and prints the shell line"
dpid=$(printf '%s\n' "$out" | sed -nE 's/.*[Pp]id ([0-9]+).*/\1/p' | head -1)
if [ -n "$dpid" ]; then track_pid "$dpid"; fi
evald=$(
	unset CRED_SOCK
	eval "$out" >/dev/null
	printf '%s' "${CRED_SOCK:-unset}"
)
is "$evald" "$d/sock" "eval of its output sets CRED_SOCK"
ok "the daemon is listening" sock_accepts "$d/sock"
if [ -n "$dpid" ]; then
	ok "the daemon runs as pid $dpid (from its output)" proc_alive "$dpid"
	isnt "$(ps -o sid= -p "$dpid" | tr -d ' ')" "$(ps -o sid= -p $$ | tr -d ' ')" \
		"... in a session of its own"
else
	fail "the daemon's output names its pid" "    output: $out"
fi
printf 'daemon value' >"$TEST_DIR/dv"
run env CRED_SOCK="$d/sock" "$CRED" put d/x --from-file "$TEST_DIR/dv"
is "$RC" 0 "the daemon serves puts"
run env CRED_SOCK="$d/sock" "$CRED" get d/x
ok "the daemon serves gets" cmp "$TEST_DIR/dv" "$OUT_FILE"

run env CRED_SOCK="$d/sock" "$CREDAGENTD" -k
is "$RC" 0 "credagentd -k exits 0"
stopped() { ! proc_alive "$dpid" && test ! -e "$d/sock"; }
ok "credagentd -k stops the daemon and removes its socket" wait_for 5 stopped
run env CRED_SOCK="$d/sock" "$CRED" status
is "$RC" 6 "after -k, cred finds no agent (exit 6)"
run env CRED_SOCK="$d/sock" "$CREDAGENTD" -k
isnt "$RC" 0 "credagentd -k with no agent exits non-zero"
run env -u CRED_SOCK "$CREDAGENTD" -k
isnt "$RC" 0 "credagentd -k without CRED_SOCK exits non-zero"

# The daemon's data is there for a foreground agent on the same store.
start_agent --dir "$d"
run "$CRED" get d/x
ok "what the daemon stored survives it" cmp "$TEST_DIR/dv" "$OUT_FILE"
ok "the agent stops cleanly" stop_agent

# ---- a socket in a shared directory ----
# The agent makes its own socket directory private, but never one that is
# shared (sticky, writable by all: /tmp when it runs as root).
shared=$TEST_DIR/shared
mkdir -m 1777 "$shared" && chmod 1777 "$shared"
start_agent --no-wait -s "$shared/agent.sock"
wait_for 5 test -S "$shared/agent.sock"
is "$(stat -c %a "$shared")" 1777 "a socket in a shared (1777) directory leaves the directory's mode alone"
ok "the agent stops cleanly" stop_agent

done_testing
