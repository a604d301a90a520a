#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Crash consistency (DESIGN §4 and §11): SIGKILL of the agent at a random
# point of a write load (puts and rotates from four pipelining clients at
# once, group-committed) loses no acknowledged write, tears none and
# invents none; the store always reopens, LMDB reads every page of it, and
# the audit chain verifies after every restart. 20 short rounds on one
# store, each checking the writes of every round so far; every fifth
# restart is itself killed while it opens the store.
#
# tests/tools/crash-load is the load and the checker: each client logs a
# write as sent before sending it and as acknowledged (with the version
# the agent answered) only once the reply is in; see its header comment.
. "$(dirname "$0")/lib.sh"

LOAD=$TOOLS/crash-load
[ -x "$LOAD" ] || bail "$LOAD is built" "    build it first: make $TOOLS/crash-load"
ROUNDS=${CRASH_ROUNDS:-20}
L=$TEST_DIR/logs
mkdir -p "$L"
T0=$SECONDS

# SIGKILL the current agent and reap it (stop_agent's bookkeeping, without
# its SIGTERM).
kill_agent() {
	local pid=$AGENT_PID i
	local -a rest=()
	for i in "${AGENT_PIDS[@]}"; do
		[ "$i" = "$pid" ] || rest+=("$i")
	done
	AGENT_PIDS=("${rest[@]}")
	kill -KILL "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
}

acked_in() { # ROUND
	cat "$L/r$1".c* 2>/dev/null | grep -c '^A '
}

# Wait until round R's load has N acknowledged writes, or has ended.
load_reached() { # ROUND N PID
	[ "$(acked_in "$1")" -ge "$2" ] || ! proc_alive "$3"
}

start_agent
dir=$AGENT_DIR
state=$AGENT_STATE
have_dump=0
command -v mdb_dump >/dev/null && have_dump=1

total_acked=0
killed_idle=0
for R in $(seq 1 "$ROUNDS"); do
	# The kill comes once this many writes are acknowledged: from none
	# (the first batch in flight) to about 300 of the 400.
	want=$((RANDOM % 300))
	[ $((R % 7)) = 3 ] && want=0
	"$LOAD" write -c 4 -n 100 -d 4 -t $((20 * TIME_FACTOR)) "$AGENT_SOCK" "r$R" "$L/r$R" \
		>"$L/load$R.out" 2>&1 &
	load_pid=$!
	wait_for 10 load_reached "$R" "$want" "$load_pid"
	# And a few milliseconds more, so the kill lands anywhere in a commit.
	sleep "0.00$((RANDOM % 10))"
	proc_alive "$load_pid" || killed_idle=$((killed_idle + 1))
	kill_agent
	load_done() { ! proc_alive "$load_pid"; }
	if ! wait_for 10 load_done; then
		kill -KILL "$load_pid" 2>/dev/null
		fail "round $R: the load ends when the agent dies"
	fi
	{ wait "$load_pid"; } 2>/dev/null
	acked=$(acked_in "$R")
	sent=$(cat "$L/r$R".c* | grep -c '^[SG] ')
	total_acked=$((total_acked + acked))

	# The store as the kill left it: LMDB walks every database.
	if [ $have_dump = 1 ]; then
		if timeout $((20 * TIME_FACTOR)) mdb_dump -a "$state" >/dev/null 2>"$L/dump$R.err"; then
			pass "round $R: after SIGKILL (at $acked of $sent writes acknowledged) mdb_dump reads every database"
		else
			fail "round $R: after SIGKILL mdb_dump reads every database" "$(head -5 "$L/dump$R.err")"
		fi
	fi

	# Every fifth round, the restart is killed too, while it opens the store.
	if [ $((R % 5)) = 0 ]; then
		start_agent --dir "$dir" --no-wait
		sleep "0.0$((RANDOM % 5))"
		kill_agent
	fi
	start_agent --dir "$dir"
	pass "round $R: the agent restarts on the store"

	run "$LOAD" check "$AGENT_SOCK" "$L"/r*.c*
	if [ "$RC" = 0 ]; then
		pass "round $R: every acknowledged write of rounds 1-$R reads back ($OUT)"
	else
		fail "round $R: every acknowledged write of rounds 1-$R reads back" \
			"    crash-load check exited $RC: $ERR" "$(head -20 "$OUT_FILE")"
	fi

	run "$CRED" audit verify
	if [ "$RC" = 0 ]; then
		pass "round $R: cred audit verify passes"
	else
		fail "round $R: cred audit verify passes" "    exit $RC: $ERR" "    $OUT"
	fi
done
note "$total_acked writes acknowledged in $ROUNDS rounds; $killed_idle kills came after the load had ended"
cmp_ok "$total_acked" -gt $((ROUNDS * 20)) "the rounds acknowledged writes to lose ($total_acked)"

# ---- every acknowledged write left its audit record (one transaction) ----
audit_targets() { # OP
	"$CRED" --json audit --op "$1" 2>/dev/null | perl -MJSON::PP -e '
my $d = decode_json(do { local $/; <STDIN> });
for my $r (@$d) { print "$r->{target}\n" if $r->{status} =~ /^(ok|OK|0)$/ }'
}
{
	audit_targets put
	audit_targets rotate
} | sed 's/^[0-9]*://' | sort -u >"$TEST_DIR/audited"
cat "$L"/r*.c* | awk '$1 == "A" { print $3 "@" $4 }' | sort -u >"$TEST_DIR/acked"
missing=$(comm -23 "$TEST_DIR/acked" "$TEST_DIR/audited" | head -5)
is "$missing" "" "every acknowledged write has its audit record ($(wc -l <"$TEST_DIR/acked") writes)"

# ---- a clean stop after all that, and one more open ----
ok "the agent stops cleanly" stop_agent
start_agent --dir "$dir"
run "$LOAD" check "$AGENT_SOCK" "$L"/r*.c*
is "$RC" 0 "after a clean stop and start every acknowledged write still reads back"
run "$CRED" audit verify
is "$RC" 0 "... and the audit trail verifies"
ok "the agent stops cleanly" stop_agent
note "$ROUNDS rounds in $((SECONDS - T0)) s"

done_testing
