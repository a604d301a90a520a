#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One uid cannot flood the audit trail: 100,000 failed requests from bob
# (GETs of names of alice's that do not exist, each name different so
# nothing folds; past the rate limit they are RATE_LIMITED, failures too)
# grow the audit database by less than 1 MiB, the requests past bob's
# per-minute budget are counted in a "suppressed" record, and the counts
# of bob's records add up to exactly the requests sent. Alice is served
# meanwhile, and the chain still verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/system-lib.sh"
. "$(dirname "$0")/keys-lib.sh"
. "$(dirname "$0")/audit-lib.sh"
sys_setup

export LC_ALL=C
FLOOD_N=${FLOOD_N:-100000}
FLOOD_RATE=${FLOOD_RATE:-50000} # requests per second: about 2 s of flood

start_system_agent --kdf min --admin-group "$ADMINS"
dir=$AGENT_DIR
state=$AGENT_STATE
put_as "$ALICE" fl/x "alice-flood-$(random_token 16)"
cred_as "$ALICE" get fl/x
is "$RC" 0 "alice reads fl/x"
read -r e0 b0 p0 <<<"$(audit_store_stat "$state")"
note "before the flood the audit database holds $e0 records, $b0 bytes, $p0 bytes of pages"

# ---- the flood, and alice meanwhile ----
poll_start "$TEST_DIR/poll.alice" "$AS" "$ALICE" "$CRED" get fl/x
t0=$(now)
timeout -k 2 60 "$AS" "$BOB" "$GET_LOOP" -u -r "$FLOOD_RATE" -o "$ALICE_UID" -t 30 \
	"$AGENT_SOCK" flood "$FLOOD_N" >"$TEST_DIR/flood.out" 2>"$TEST_DIR/flood.err"
flood_rc=$?
t1=$(now)
sleep 0.3
poll_stop
flood=$(cat "$TEST_DIR/flood.out")
note "flood: $flood ($(cat "$TEST_DIR/flood.err"))"
is "$flood_rc" 0 "bob's flood of $FLOOD_N GETs on one connection ends, every request answered"
like "$flood" "^sent $FLOOD_N replies $FLOOD_N " "... $FLOOD_N sent, $FLOOD_N replies"
unlike "$flood" " s0=" "... none of them OK"
sent=$(sed -nE 's/^sent ([0-9]+) .*/\1/p' <<<"$flood")
failed=$(grep -oE 's[0-9]+=[0-9]+' <<<"$flood" | awk -F= '$1 != "s0" { n += $2 } END { print n + 0 }')
is "$failed" "$sent" "... all $sent failed (NOT_FOUND or RATE_LIMITED)"

read -r n maxl rcs <<<"$(poll_window "$TEST_DIR/poll.alice" "$t0" "$t1")"
cmp_ok "$n" -ge 2 "alice's gets are answered while the flood runs ($n in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s)"
is "$rcs" 0 "... each with the value (exit 0)"
ok "... each within $TIME_FACTOR s (slowest ${maxl}s)" fgt "$TIME_FACTOR" "$maxl"
cred_as "$ALICE" get fl/x
is "$RC" 0 "alice reads fl/x after the flood"
cred_as "$CAROL" status
is "$RC" 0 "carol's status is answered after the flood"

# ---- the size of the trail ----
read -r e1 b1 p1 <<<"$(audit_store_stat "$state")"
note "after the flood (agent running): $e1 records, $b1 bytes, $p1 bytes of pages"
cmp_ok $((b1 - b0)) -lt 1048576 "the audit records grew by less than 1 MiB ($((b1 - b0)) bytes, $((e1 - e0)) records)"
cmp_ok $((p1 - p0)) -lt 1048576 "the audit database's pages grew by less than 1 MiB ($((p1 - p0)) bytes)"

ok "the agent stops cleanly" stop_agent
read -r e2 b2 p2 <<<"$(audit_store_stat "$state")"
cmp_ok $((b2 - b0)) -lt 1048576 "stopped: the audit records grew by less than 1 MiB ($((b2 - b0)) bytes, $((e2 - e0)) records)"
cmp_ok $((p2 - p0)) -lt 1048576 "... and the pages ($((p2 - p0)) bytes)"
audit_store_list "$state" >"$TEST_DIR/list"
bob_sum=$(awk -v u="uid=$BOB_UID" '$0 ~ " " u " " { split($9, c, "="); n += c[2] } END { print n + 0 }' "$TEST_DIR/list")
bob_recs=$(grep -c " uid=$BOB_UID " "$TEST_DIR/list")
supp=$(grep " uid=$BOB_UID " "$TEST_DIR/list" | grep -c ' op=254 ')
is "$bob_sum" "$sent" "in the store, the counts of bob's records add up to the $sent requests ($bob_recs records)"
cmp_ok "$supp" -ge 1 "... a suppressed record (op 254) carries the requests past the budget ($supp)"
cmp_ok "$bob_recs" -le 260 "... bob has few records: at most his budget a minute, plus the summaries"

# ---- as cred audit shows it ----
start_agent --dir "$dir" --system --kdf min --admin-group "$ADMINS"
audit_json --uid "$BOB_UID"
is "$AUDIT_RC" 0 "root's cred audit --uid bob exits 0"
is "$(audit_q "$AUDIT" sum)" "$sent" "the counts of bob's records sum to $sent"
cmp_ok "$(audit_q "$AUDIT" sum op=suppressed)" -gt 0 \
	"a suppressed record carries a count ($(audit_q "$AUDIT" sum op=suppressed))"
is "$(audit_q "$AUDIT" n op=suppressed security!=true)" 0 "... marked as a security event"
is "$(audit_q "$AUDIT" n op!=suppressed op!=get)" 0 "bob's records are his GETs and the summaries"
cmp_ok "$(audit_q "$AUDIT" n op=get)" -ge 50 "his first failed GETs within the budget are recorded one by one ($(audit_q "$AUDIT" n op=get))"
is "$(audit_q "$AUDIT" n op=get "target!~^($ALICE_UID|$ALICE):flood/[0-9]+\$")" 0 "... each naming alice's uid and the name tried"
is "$(audit_q "$AUDIT" n op=get security!=true)" 0 "... each a security event"
run "$CRED" audit verify
is "$RC" 0 "the chain still verifies after the flood"

# ---- a flood of DENIED requests ----
# Bob may read fl/x (a grant) but not reset its usage: each USAGE_RESET
# (type 32) is DENIED on the loop, the same record every time.
cred_as "$ALICE" share fl/x --uid "$BOB_UID" --perm read
is "$RC" 0 "alice shares fl/x with bob (read)"
read -r e3 b3 p3 <<<"$(audit_store_stat "$state")"
timeout -k 2 60 "$AS" "$BOB" "$GET_LOOP" -m 32 -r "$FLOOD_RATE" -o "$ALICE_UID" -t 30 \
	"$AGENT_SOCK" fl/x "$FLOOD_N" >"$TEST_DIR/deny.out" 2>"$TEST_DIR/deny.err"
deny_rc=$?
deny=$(cat "$TEST_DIR/deny.out")
note "denied flood: $deny ($(cat "$TEST_DIR/deny.err"))"
is "$deny_rc" 0 "bob's flood of $FLOOD_N USAGE_RESETs ends, every request answered"
like "$deny" " s4=[1-9]" "... answered DENIED (past the rate limit, RATE_LIMITED)"
unlike "$deny" " s0=" "... none of them OK"
cred_as "$ALICE" get fl/x
is "$RC" 0 "alice reads fl/x after the denied flood"
read -r e4 b4 p4 <<<"$(audit_store_stat "$state")"
cmp_ok $((b4 - b3)) -lt 1048576 "the denied flood grew the audit records by less than 1 MiB ($((b4 - b3)) bytes, $((e4 - e3)) records)"
cmp_ok $((p4 - p3)) -lt 1048576 "... and its pages ($((p4 - p3)) bytes)"
audit_json --uid "$BOB_UID" --op usage-reset --status DENIED
denied=$(audit_q "$AUDIT" sum)
cmp_ok "$denied" -gt 0 "the DENIED usage-resets are recorded with their count ($denied)"
is "$(audit_q "$AUDIT" n security!=true)" 0 "... as security events"
audit_json --uid "$BOB_UID"
is "$(audit_q "$AUDIT" sum)" $((2 * sent)) "the counts of all bob's records sum to the $((2 * sent)) requests"
ok "the agent stops cleanly" stop_agent

done_testing
