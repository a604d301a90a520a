#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# System mode limits are per uid: one uid flooding the agent is answered
# RATE_LIMITED while another's requests go on succeeding; connections past
# --max-conns-per-uid (and --max-conns) are refused, only those; watches
# past --max-watches-per-uid are DENIED.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/system-lib.sh"
sys_setup

# ---- the request rate ----
start_system_agent --rate-limit 50 --rate-burst 50
a_val="alice-$(random_token 16)"
b_val="bob-$(random_token 16)"
put_as "$ALICE" app/key "$a_val"
put_as "$BOB" own/b "$b_val"

# alice floods (one connection pipelining GETs) while bob reads at 10/s.
# A directory alice may write to, for the flood's "started" file.
mkdir -m 0700 "$TEST_DIR/flood" && chown "$ALICE" "$TEST_DIR/flood"
stop=$TEST_DIR/flood/stop
flood "$ALICE" app/key $((8 * TIME_FACTOR)) "$stop" >"$TEST_DIR/flood.out" 2>&1 &
flood_pid=$!
ok "alice's flood is under way" wait_for 5 test -e "$stop.started"

limited=0 msgs=""
for i in 1 2 3 4 5; do
	cred_as "$ALICE" get app/key
	[ "$RC" = 8 ] && limited=$((limited + 1)) && msgs+="$ERR"$'\n'
done
cmp_ok "$limited" -ge 1 "during the flood alice's own cred get exits 8 (RATE_LIMITED): $limited of 5"
like "$msgs" "^cred: get: .*rate" "... with a message about the rate"

bob_ok=0 bob_bad=""
for i in $(seq 20); do
	cred_as "$BOB" get own/b
	if [ "$RC" = 0 ] && [ "$OUT" = "$b_val" ]; then
		bob_ok=$((bob_ok + 1))
	else
		bob_bad+="exit $RC: $ERR"$'\n'
	fi
	sleep 0.1
done
is "$bob_ok" 20 "meanwhile all 20 of bob's gets succeed (his own bucket)"
[ -n "$bob_bad" ] && diag "bob's failures: $bob_bad"
run env CRED_SOCK="$AGENT_SOCK" "$CRED" status
is "$RC" 0 "... and so does root's status"
ok "alice's flood was still running all along" proc_alive "$flood_pid"

touch "$stop"
wait_exit "$flood_pid" $((10 * TIME_FACTOR))
is "$WAIT_RC" 0 "the flood ends"
res=$(cat "$TEST_DIR/flood.out")
note "flood: $res"
read -r _ sent _ fok _ flim _ fother _ fsecs _ fafter <<<"$res"
cmp_ok "${sent:-0}" -ge 200 "the flood sent at least 200 requests"
cmp_ok "${flim:-0}" -ge 100 "... most of them answered RATE_LIMITED"
is "${fother:-x}" 0 "... none answered anything else"
cmp_ok "${fok:-0}" -ge 1 "... the burst was served"
# 50 at once, then 50 a second (alice's cred gets took some), with slack.
max_ok=$(perl -e 'printf "%d", 50 + 50 * $ARGV[0] + 15' "${fsecs:-0}")
cmp_ok "${fok:-0}" -le "$max_ok" "... and at most burst + rate x ${fsecs}s of them OK ($max_ok)"
is "${fafter:-x}" 0 "the flooding connection stayed open: after a pause its next GET is OK"
cred_as "$ALICE" get app/key
is "$RC.$OUT" "0.$a_val" "after the flood alice's cred get succeeds again"
like "$(cat "$AGENT_LOG")" "uid $ALICE_UID is over its request rate" "the agent logs alice's flood"
unlike "$(cat "$AGENT_LOG")" "uid $BOB_UID is over" "... and nothing about bob"
ok "the agent stops cleanly" stop_agent

# ---- connections per uid ----
# hold_start USER N: a perl process as USER holding N connections (a
# coprocess HOLD); HOLD_LINE its first answer.
hold_start() {
	coproc HOLD { timeout -k 2 $((30 * TIME_FACTOR)) "$AS" "$1" perl -e "$SYS_HOLD_PL" "$2" $((30 * TIME_FACTOR)) 2>&1; }
	HOLD_LINE=
	read -r -t $((5 * TIME_FACTOR)) HOLD_LINE <&"${HOLD[0]}"
}
hold_ping() {
	HOLD_LINE=
	echo ping >&"${HOLD[1]}" && read -r -t $((10 * TIME_FACTOR)) HOLD_LINE <&"${HOLD[0]}"
}
hold_stop() {
	local pid=$HOLD_PID
	echo quit >&"${HOLD[1]}"
	wait_exit "$pid" $((5 * TIME_FACTOR)) || kill "$pid" 2>/dev/null
}
cred_get_ok() { "$AS" "$1" "$CRED" get "$2" >/dev/null 2>&1; }

start_system_agent --max-conns-per-uid 5
put_as "$ALICE" app/key "$a_val"
put_as "$BOB" own/b "$b_val"
hold_start "$ALICE" 5
is "$HOLD_LINE" "connected 5" "alice holds 5 connections (the per-uid limit)"
hold_ping
is "$HOLD_LINE" "statuses 0 0 0 0 0" "... each of them served"
out=$(probe_as "$ALICE")
like "$out" "^(eof|connect-error)" "alice's 6th connection is closed without an answer"
cred_as "$ALICE" get app/key
isnt "$RC" 0 "alice's cred get (a 6th connection) fails"
is "$OUT" "" "... and prints nothing on stdout"
out=$(probe_as "$BOB")
is "$out" "status 0" "bob still connects and is answered"
cred_as "$BOB" get own/b
is "$RC.$OUT" "0.$b_val" "... and bob's cred get succeeds"
hold_ping
is "$HOLD_LINE" "statuses 0 0 0 0 0" "alice's 5 held connections are still served"
like "$(cat "$AGENT_LOG")" "refused a connection from uid $ALICE_UID .*5 connections" \
	"the agent logs the refused connection"
hold_stop
ok "once alice closes them, her cred get succeeds again" wait_for 5 cred_get_ok "$ALICE" app/key
ok "the agent stops cleanly" stop_agent

# ---- connections in total ----
start_system_agent --max-conns 4
put_as "$BOB" own/b "$b_val"
hold_start "$ALICE" 4
is "$HOLD_LINE" "connected 4" "alice holds 4 connections (the total limit)"
out=$(probe_as "$BOB")
like "$out" "^(eof|connect-error)" "bob's connection past the total is closed without an answer"
cred_as "$BOB" get own/b
isnt "$RC" 0 "... and his cred get fails"
hold_ping
is "$HOLD_LINE" "statuses 0 0 0 0" "alice's 4 connections are still served"
hold_stop
ok "once they are closed bob's cred get succeeds" wait_for 5 cred_get_ok "$BOB" own/b
ok "the agent stops cleanly" stop_agent

# ---- watches per uid ----
start_system_agent --max-watches-per-uid 2
put_as "$ALICE" app/key "$a_val"
put_as "$BOB" own/b "$b_val"
watch_bg "$ALICE" "$TEST_DIR/aw1" app/key
aw1=$WATCH_PID
watch_bg "$ALICE" "$TEST_DIR/aw2" app/key
aw2=$WATCH_PID
cred_as "$ALICE" watch app/key --timeout 2
is "$RC" 4 "alice's third watch (past --max-watches-per-uid 2) exits 4 (DENIED)"
watch_bg "$BOB" "$TEST_DIR/bw1" own/b
bw1=$WATCH_PID
cred_as "$BOB" rotate own/b --generate 8
wait_exit "$bw1" $((3 * TIME_FACTOR))
is "$WAIT_RC" 0 "bob's watch is unaffected: it reports his rotate"
kill "$aw1" 2>/dev/null
wait "$aw1" 2>/dev/null
watch_accepted() {
	"$AS" "$ALICE" "$CRED" watch app/key --timeout 1 >/dev/null 2>&1
	[ $? != 4 ]
}
ok "after one of alice's watches ends, she may watch again" wait_for 5 watch_accepted
cred_as "$ALICE" rotate app/key --generate 8
wait_exit "$aw2" $((3 * TIME_FACTOR))
is "$WAIT_RC" 0 "alice's remaining watch reports her rotate"

done_testing
