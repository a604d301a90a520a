#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Blobs bound to their identity, metadata under a MAC: edits to a stopped
# agent's store are refused, never served.
. "$(dirname "$0")/lib.sh"

EDIT=$TOOLS/store-edit
[ -x "$EDIT" ] || bail "$EDIT is built" "    build it: make integration (builds tests/tools)"
uid=$(id -u)

start_agent
dir=$AGENT_DIR
# Distinctive values, so a leak of one into another's output shows.
for s in a b c d1 d2 d3 d4 d5 fine; do
	printf 'value-of-%s-v1-%s' "$s" "$(random_token 16)" >"$TEST_DIR/$s.1"
	"$CRED" put "t/$s" <"$TEST_DIR/$s.1" 2>/dev/null || bail "put t/$s"
done
for s in a c; do
	printf 'value-of-%s-v2-%s' "$s" "$(random_token 16)" >"$TEST_DIR/$s.2"
	"$CRED" put "t/$s" <"$TEST_DIR/$s.2" 2>/dev/null || bail "put t/$s v2"
done
ok "the agent stops cleanly" stop_agent

run "$EDIT" "$AGENT_STATE" dump
is "$RC" 0 "store-edit dump works on the stopped agent's store"
like "$OUT" "$uid:t/a@2" "... and lists t/a version 2's blob"

# b's version 1 gets a's version 1 blob; c's version 2 gets c's version 1.
run "$EDIT" "$AGENT_STATE" move-blob "$uid" t/a 1 t/b 1
is "$RC" 0 "store-edit: a@1's blob copied over b@1"
run "$EDIT" "$AGENT_STATE" move-blob "$uid" t/c 1 t/c 2
is "$RC" 0 "store-edit: c@1's blob copied over c@2"
# Metadata: the format byte, a byte of the id, of the version, of the
# state, and of the MAC itself.
run "$EDIT" "$AGENT_STATE" flip-meta "$uid" t/d1 0
is "$RC" 0 "store-edit: d1's metadata format byte flipped"
run "$EDIT" "$AGENT_STATE" flip-meta "$uid" t/d2 5
is "$RC" 0 "store-edit: a byte of d2's id flipped"
run "$EDIT" "$AGENT_STATE" flip-meta "$uid" t/d3 20
is "$RC" 0 "store-edit: d3's current version flipped (1 to 0)"
run "$EDIT" "$AGENT_STATE" flip-meta "$uid" t/d4 24
is "$RC" 0 "store-edit: d4's state flipped (active to disabled)"
run "$EDIT" "$AGENT_STATE" flip-meta "$uid" t/d5 -1
is "$RC" 0 "store-edit: the last byte of d5's MAC flipped"

start_agent --dir "$dir"

# ---- a blob moved to another secret ----
run "$CRED" get t/b
is "$RC" 1 "get of b with a's blob exits 1"
is "$OUT" "" "... and prints nothing on stdout"
like "$ERR" "^cred: get: t/b: " "... with a 'cred: get: t/b:' message"
like "$ERR" "(authenticat|tamper|integrity|moved)" "... about authentication or tampering"
unlike "$ERR$OUT" "value-of-a" "... never showing a's value"
run "$CRED" get t/b --version 1
is "$RC" 1 "get --version 1 of b fails the same way"
unlike "$OUT$ERR" "value-of-a" "... never showing a's value"
run "$CRED" --json get t/b
is "$RC" 1 "get --json of b exits 1"
unlike "$OUT$ERR" "value-of-a" "... never showing a's value"
run "$CRED" get t/a --version 1
ok "a's own version 1 still reads" cmp "$TEST_DIR/a.1" "$OUT_FILE"
run "$CRED" get t/a
ok "a's version 2 still reads" cmp "$TEST_DIR/a.2" "$OUT_FILE"

# ---- a blob moved to another version of the same secret ----
run "$CRED" get t/c
is "$RC" 1 "get of c, whose version 2 holds version 1's blob, exits 1"
is "$OUT" "" "... and prints nothing on stdout"
like "$ERR" "(authenticat|tamper|integrity|moved)" "... about authentication or tampering"
unlike "$ERR$OUT" "value-of-c" "... never showing either value"
run "$CRED" get t/c --version 2
is "$RC" 1 "get --version 2 of c exits 1"
run "$CRED" get t/c --version 1
ok "c's version 1 itself still reads" cmp "$TEST_DIR/c.1" "$OUT_FILE"

# ---- edited metadata ----
for s in d1 d2 d3 d4 d5; do
	run "$CRED" get "t/$s"
	is "$RC" 1 "get of t/$s with an edited metadata record exits 1"
	is "$OUT" "" "... and prints nothing on stdout"
	like "$ERR" "^cred: get: t/$s: .*(integrity|tamper|authenticat|damaged)" \
		"... with an integrity message"
	unlike "$ERR" "value-of" "... never showing a value"
	run "$CRED" info "t/$s"
	is "$RC" 1 "info of t/$s exits 1"
	like "$ERR" "^cred: info: t/$s: .*(integrity|tamper|authenticat|damaged)" \
		"... with an integrity message"
done

# Writing over a tampered record must not launder it into a valid one.
printf 'new' >"$TEST_DIR/new"
run "$CRED" put t/d4 <"$TEST_DIR/new"
isnt "$RC" 0 "put over a tampered record is refused"
run "$CRED" get t/d4
is "$RC" 1 "... and the record stays refused"

# ls must neither show a tampered record as good nor fail the others.
run "$CRED" ls t/
like "$OUT" "t/fine" "ls still lists the intact secrets"
unlike "$OUT" "value-of" "ls never shows values"

# ---- everything else is fine ----
run "$CRED" get t/fine
ok "an untouched secret still reads" cmp "$TEST_DIR/fine.1" "$OUT_FILE"
run "$CRED" info t/fine
is "$RC" 0 "info of an untouched secret works"
printf 'after' >"$TEST_DIR/after"
run "$CRED" put t/new <"$TEST_DIR/after"
is "$RC" 0 "new puts work"
run "$CRED" get t/new
ok "... and read back" cmp "$TEST_DIR/after" "$OUT_FILE"
ok "the agent is still running" proc_alive "$AGENT_PID"

unlike "$(cat "$AGENT_LOG")" "value-of" "the agent's log never holds a value"
like "$(cat "$AGENT_LOG")" "(authenticat|tamper|integrity)" "the agent's log records the failures"

ok "the agent stops cleanly" stop_agent
done_testing
