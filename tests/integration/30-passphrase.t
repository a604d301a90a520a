#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Passphrase stores: credagentd --init-passphrase, an agent that starts
# locked, unlock (right, wrong, malformed), passwd (and across restarts),
# and what a locked agent still answers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"

# The store's records (keys and sizes), all but the audit trail's.
dump_but_audit() { "$TOOLS/store-edit" "$1" dump | awk '/^[a-z]+:/ { skip = ($1 == "audit:") } !skip'; }

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
mkdir -p "$V"
P1='correct horse battery 1'
P2="new pass: 'two' \\ \$x"
P3='third-passphrase'

dir=$(mktemp -d "$TEST_DIR/agent.XXXXXX")
state=$dir/state

# ---- --init-passphrase ----
init_pass_store "$state" "$P1"
is "$RC" 0 "--init-passphrase exits 0"
like "$ERR" "passphrase" "... and says the store opens with the passphrase"
ok "... data.mdb is created" test -f "$state/data.mdb"
is "$(mode_of "$state")" 700 "... the state directory is 0700"
is "$(mode_of "$state/data.mdb")" 600 "... data.mdb is 0600"
ok "... no keyfile is created" test ! -e "$state/credagent.key"
data_sha=$(sha_of "$state/data.mdb")

init_pass_store "$state" "other"
isnt "$RC" 0 "--init-passphrase on an existing store exits non-zero"
isnt "$RC" 124 "... at once"
like "$ERR" "(already|exists)" "... saying a store is there"
is "$(sha_of "$state/data.mdb")" "$data_sha" "... and data.mdb is unchanged"
ok "... and still no keyfile" test ! -e "$state/credagent.key"

empty=$(mktemp -d "$TEST_DIR/empty.XXXXXX")
run "$CREDAGENTD" --init-passphrase -d "$empty/state" --kdf min </dev/null
isnt "$RC" 0 "--init-passphrase with nothing on stdin exits non-zero"
ok "... and creates no store" test ! -e "$empty/state/data.mdb"
init_pass_store "$empty/state2" ""
isnt "$RC" 0 "--init-passphrase with an empty passphrase exits non-zero"
like "$ERR" "empty" "... saying it is empty"
ok "... and creates no store" test ! -e "$empty/state2/data.mdb"

# ---- the agent starts locked ----
start_agent --dir "$dir" --kdf min
run "$CRED" status
is "$RC" 0 "status works on a locked agent"
like "$OUT" "(^|$NL)locked: +yes($NL|\$)" "... and says locked: yes"
run "$CRED" --json status
is "$(json_get "$OUT" locked)" true "status --json: locked true"
like "$(cat "$AGENT_LOG")" "locked" "the agent logs that the store is locked"
printf 'value-a %s\n' "$(random_token 20)" >"$V/a"
run "$CRED" put p/a --from-file "$V/a"
is "$RC" 5 "put while locked exits 5 (LOCKED)"
like "$ERR" "^cred: put: .*locked" "... saying the agent is locked"
run "$CRED" get p/a
is "$RC" 5 "get while locked exits 5"
is "$OUT" "" "... printing nothing"
run "$CRED" --json get p/a
is "$(json_get "$ERR" error.status)" LOCKED "get --json: error.status LOCKED"
run "$CRED" ls
is "$RC" 5 "ls while locked exits 5"
run "$CRED" keyslot ls
is "$RC" 0 "keyslot ls works while locked"
like "$OUT" "^ *SLOT +KIND +CREATED" "... with a SLOT KIND CREATED header"
like "$OUT" "$NL *0 +passphrase +[0-9]{4}-[0-9]{2}-[0-9]{2}T" "... and slot 0, a passphrase"
run "$CRED" --json keyslot ls
is "$(json_get "$OUT" '[0].slot') $(json_get "$OUT" '[0].kind')" "0 passphrase" \
	"keyslot ls --json: slot 0 passphrase"
ok "... with a created time" json_has "$OUT" '[0].created'
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print scalar @{decode_json(<STDIN>)}')" 1 \
	"... and only that slot"

# ---- unlock: malformed input ----
run "$CRED" unlock </dev/null
is "$RC" 2 "unlock with nothing on stdin exits 2"
like "$ERR" "passphrase" "... saying there is no passphrase"
cred_pass "" unlock
is "$RC" 2 "unlock with an empty line exits 2"
head -c 1025 /dev/zero | tr '\0' a >"$TEST_DIR/long"
run "$CRED" unlock <"$TEST_DIR/long"
is "$RC" 2 "unlock with a 1025-byte passphrase exits 2"
like "$ERR" "too long" "... saying it is too long"
is "$(locked_now)" true "the agent is still locked"

# ---- unlock: a wrong passphrase ----
sync
data_dump=$(dump_but_audit "$state")
lines_before=$(wc -l <"$AGENT_LOG")
t0=$(now)
cred_pass "not $P1" unlock
took=$(elapsed "$t0")
is "$RC" 4 "unlock with a wrong passphrase exits 4"
like "$ERR" "wrong passphrase" "... saying 'wrong passphrase'"
is "$OUT" "" "... with nothing on stdout"
ok "... after a delay of about a second (took ${took}s)" fgt "$took" 0.9
ok "... and not much more (took ${took}s)" fgt $((3 * TIME_FACTOR)) "$took"
like "$(tail -n +$((lines_before + 1)) "$AGENT_LOG")" "failed unlock.*wrong passphrase" \
	"the agent logs the failed unlock"
is "$(locked_now)" true "the agent is still locked"
run "$CRED" get p/a
is "$RC" 5 "... get still exits 5"
sync
is "$(dump_but_audit "$state")" "$data_dump" "... and the store is unchanged but for its audit trail"
run "$CRED" --json audit --op unlock --status DENIED
like "$OUT" '"op": *"unlock"' "... where the failed unlock is recorded"
unlike "$OUT" "$P1" "... without the passphrase"
# Only the first line counts: a right passphrase on line 2 does not unlock.
cred_pass "wrong\n$P1" unlock
is "$RC" 4 "unlock reads one line only (the right passphrase on line 2: exit 4)"
cred_pass "$P1 " unlock
is "$RC" 4 "a trailing space is part of the passphrase (exit 4)"

# ---- unlock ----
cred_pass "$P1" unlock
is "$RC" 0 "unlock with the right passphrase exits 0"
like "$ERR" "unlocked" "... saying the agent is unlocked"
is "$(locked_now)" false "status --json: locked false"
run "$CRED" status
like "$OUT" "(^|$NL)locked: +no($NL|\$)" "status says locked: no"
like "$(cat "$AGENT_LOG")" "unlocked by uid $(id -u)" "the agent logs the unlock"
run "$CRED" put p/a --from-file "$V/a"
is "$RC" 0 "put works once unlocked"
get_is "$V/a" "get returns the value" p/a
printf 'value-b\000%s' "$(random_token 30)" >"$V/b1"
printf 'value-b2 %s' "$(random_token 30)" >"$V/b2"
"$CRED" put p/b --from-file "$V/b1" 2>/dev/null
"$CRED" put p/b --from-file "$V/b2" 2>/dev/null
cred_pass "$P1" unlock
is "$RC" 0 "unlock of an unlocked agent exits 0"
run "$CRED" --json unlock </dev/null
note "unlock --json with no stdin on an unlocked agent: exit $RC, $OUT $ERR"
printf '%s' "$P1" >"$TEST_DIR/nonl"
run "$CRED" lock
is "$RC" 0 "lock exits 0"
is "$ERR" "agent locked" "... saying 'agent locked'"
run "$CRED" unlock <"$TEST_DIR/nonl"
is "$RC" 0 "a passphrase without a final newline unlocks too"

# ---- lock ----
run "$CRED" --json lock
is "$RC" 0 "lock --json exits 0"
is "$(json_get "$OUT" locked)" true "... and prints locked true"
is "$(locked_now)" true "status says locked"
run "$CRED" get p/a
is "$RC" 5 "get after lock exits 5"
like "$ERR" "locked" "... saying locked"
run "$CRED" get p/b --version 1
is "$RC" 5 "get --version after lock exits 5"
run "$CRED" info p/a
is "$RC" 5 "info after lock exits 5"
run "$CRED" lock
is "$RC" 0 "lock of a locked agent exits 0"
run "$CRED" keyslot ls
is "$RC" 0 "keyslot ls works while locked"
run "$CRED" unlock --keyfile
isnt "$RC" 0 "unlock --keyfile of a passphrase-only store fails"
like "$ERR" "keyfile" "... with a message about the keyfile"
is "$(locked_now)" true "... and the agent stays locked"
cred_pass "$P1" --json unlock
is "$RC" 0 "unlock --json exits 0"
is "$(json_get "$OUT" locked)" false "... and prints locked false"
get_is "$V/a" "after lock and unlock, p/a reads" p/a
get_is "$V/b1" "... p/b version 1 reads" p/b --version 1
get_is "$V/b2" "... p/b current reads" p/b

# ---- a restart: locked again ----
ok "the agent stops cleanly" stop_agent
ok "still no keyfile in the state directory" test ! -e "$state/credagent.key"
start_agent --dir "$dir" --kdf min
is "$(locked_now)" true "after a restart the agent is locked"
run "$CRED" get p/a
is "$RC" 5 "... get exits 5"
cred_pass "$P1" unlock
is "$RC" 0 "... unlock with the passphrase exits 0"
get_is "$V/a" "... and p/a reads" p/a
get_is "$V/b1" "... and p/b version 1 reads" p/b --version 1

# ---- passwd ----
cred_pass "wrong\n$P2" passwd
is "$RC" 4 "passwd with a wrong old passphrase exits 4"
like "$ERR" "wrong passphrase" "... saying 'wrong passphrase'"
run "$CRED" passwd <"$TEST_DIR/nonl"
isnt "$RC" 0 "passwd with only one line on stdin fails"
cred_pass "$P1\n" passwd
isnt "$RC" 0 "passwd with an empty new passphrase fails"
is "$(locked_now)" false "the agent is still unlocked after the refused passwd"
run "$CRED" lock
cred_pass "$P1" unlock
is "$RC" 0 "... and the old passphrase still unlocks"

cred_pass "$P1\n$P2" passwd
is "$RC" 0 "passwd (old, new on stdin) exits 0"
is "$ERR" "passphrase changed" "... saying 'passphrase changed'"
is "$(locked_now)" false "... and the agent stays unlocked"
get_is "$V/a" "... p/a still reads" p/a
run "$CRED" lock
cred_pass "$P1" unlock
is "$RC" 4 "the old passphrase no longer unlocks (exit 4)"
cred_pass "$P2" unlock
is "$RC" 0 "the new passphrase unlocks"
get_is "$V/a" "... p/a reads" p/a
get_is "$V/b1" "... p/b version 1 reads" p/b --version 1
get_is "$V/b2" "... p/b reads" p/b
run "$CRED" --json keyslot ls
is "$(json_get "$OUT" '[0].slot') $(json_get "$OUT" '[0].kind')" "0 passphrase" \
	"after passwd there is still one slot, 0, a passphrase"

# passwd works while locked, and leaves the agent locked.
run "$CRED" lock
cred_pass "$P2\n$P3" --json passwd
is "$RC" 0 "passwd --json while locked exits 0"
ok "... and prints a slot key" json_has "$OUT" slot
is "$(locked_now)" true "... and the agent stays locked"
run "$CRED" get p/a
is "$RC" 5 "... get still exits 5"

ok "the agent stops cleanly" stop_agent
start_agent --dir "$dir" --kdf min
is "$(locked_now)" true "after a restart: locked"
cred_pass "$P2" unlock
is "$RC" 4 "... the second passphrase is refused"
cred_pass "$P1" unlock
is "$RC" 4 "... the first passphrase is refused"
cred_pass "$P3" unlock
is "$RC" 0 "... the third one unlocks"
get_is "$V/a" "... p/a reads" p/a
get_is "$V/b1" "... p/b version 1 reads" p/b --version 1
get_is "$V/b2" "... p/b reads" p/b
run "$CRED" --json status
is "$(json_get "$OUT" secrets)" 2 "... status counts 2 secrets"
ok "the agent stops cleanly" stop_agent

# No value and no passphrase in the store or the log, in plain text.
for f in "$state/data.mdb" "$AGENT_LOG"; do
	for s in "$P1" "$P2" "$P3" "$(head -c 20 "$V/a")" "$(cat "$V/b2")"; do
		if grep -qF -- "$s" "$f"; then
			fail "${f##*/} holds no passphrase or value in plain text" "    it holds '$s'"
			continue 2
		fi
	done
	pass "${f##*/} holds no passphrase or value in plain text"
done

done_testing
