#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred audit verify: the MAC chain of the audit trail. It passes on an
# untouched store (across restarts), and after an edit of the audit
# database made while the agent is stopped (a flipped byte in a record's
# fields or in its link, a deleted record, two swapped records) it exits 1
# naming the first broken record. A passphrase-only store: what is done
# while it is locked, before the first unlock, is recorded and covered
# once it is unlocked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"
. "$(dirname "$0")/audit-lib.sh"

export LC_ALL=C
V=$TEST_DIR/vals
mkdir -p "$V"
PASS='audit verify passphrase'

# Some activity: puts, gets (folded or not), failures, a rotate.
activity() { # TAG
	local i
	for i in 1 2 3 4; do
		printf 'verify-%s-%d %s' "$1" "$i" "$(random_token 16)" >"$V/$1.$i"
		"$CRED" put "v/$1/$i" --from-file "$V/$1.$i" >/dev/null 2>&1 || bail "put v/$1/$i"
		"$CRED" get "v/$1/$i" >/dev/null 2>&1
		"$CRED" get "v/$1/missing$i" >/dev/null 2>&1
	done
	"$CRED" rotate "v/$1/1" --generate 12 >/dev/null 2>&1
	"$CRED" info "v/$1/2" >/dev/null 2>&1
	"$CRED" ls >/dev/null 2>&1
}

# verify_json: cred --json audit verify into VJ (stdout) and VRC.
verify_json() {
	VJ=$("$CRED" --json audit verify 2>"$TEST_DIR/verify.err")
	VRC=$?
}

# The number of records in the audit database (agent stopped or not).
store_entries() { audit_store_stat "$1" | cut -d' ' -f1; }

# ---- an untouched store ----
start_agent --kdf min
dir=$AGENT_DIR
state=$AGENT_STATE
activity one
run "$CRED" audit verify
is "$RC" 0 "audit verify on an untouched store exits 0"
verify_json
is "$VRC" 0 "audit verify --json exits 0"
ok "... and prints ok, checked, first_seq, broken_seq, head" json_has "$VJ" ok checked first_seq \
	broken_seq head
is "$(json_get "$VJ" ok) $(json_get "$VJ" broken_seq) $(json_get "$VJ" first_seq)" "true null 1" \
	"... ok true, broken_seq null, first_seq 1"
like "$(json_get "$VJ" head)" "^[0-9a-f]{64}\$" "... head is 32 bytes in hex"
cmp_ok "$(json_get "$VJ" checked)" -ge 15 "... checked at least the 15 records made so far ($(json_get "$VJ" checked))"
head1=$(json_get "$VJ" head)
activity two
verify_json
is "$VRC.$(json_get "$VJ" ok)" "0.true" "after more requests verify still passes"
isnt "$(json_get "$VJ" head)" "$head1" "... with a new head"

ok "the agent stops cleanly" stop_agent
n_stored=$(store_entries "$state")
cmp_ok "$n_stored" -ge 20 "the audit database holds the records ($n_stored)"
audit_store_list "$state" >"$TEST_DIR/list.before"
is "$(grep -c 'undecodable\|(bad target)\|trailing' "$TEST_DIR/list.before")" 0 \
	"every stored record decodes in the documented layout"
is "$(awk '{ print $1 }' "$TEST_DIR/list.before" | head -1)" 1 "... the first record is seq 1"
is "$(awk '{ split($4, a, "="); if (a[2] != $1) bad++ } END { print bad + 0 }' "$TEST_DIR/list.before")" 0 \
	"... each record's seq field is its key"
is "$(grep -c ' flags=[13] ' "$TEST_DIR/list.before")" "$n_stored" \
	"... every record of a keyfile store is keyed (flags bit 0)"

start_agent --dir "$dir" --kdf min
verify_json
is "$VRC.$(json_get "$VJ" ok)" "0.true" "after a restart verify passes"
cmp_ok "$(json_get "$VJ" checked)" -ge "$n_stored" "... checking every record ($(json_get "$VJ" checked))"
ok "the agent stops cleanly" stop_agent

# A pristine copy of the stopped store for each edit.
cp -a "$state" "$TEST_DIR/pristine"
restore_state() { rm -rf "$state" && cp -a "$TEST_DIR/pristine" "$state"; }
SEQ=$((n_stored / 2))
note "the edits hit record $SEQ of $n_stored"

# edit_case NAME EXPECTED-SEQ STORE-EDIT-ARGS...
edit_case() {
	local name=$1 want=$2
	shift 2
	restore_state
	run "$STORE_EDIT" "$state" "$@"
	is "$RC" 0 "store-edit $*"
	start_agent --dir "$dir" --kdf min
	run "$CRED" audit verify
	is "$RC" 1 "$name: audit verify exits 1"
	like "$OUT$ERR" "broken at record $want([^0-9]|\$)" "... saying 'broken at record $want'"
	verify_json
	is "$VRC $(json_get "$VJ" ok) $(json_get "$VJ" broken_seq)" "1 false $want" \
		"... --json: exit 1, ok false, broken_seq $want"
	run "$CRED" get v/one/2
	is "$RC" 0 "... and the agent still serves"
	ok "... and stops cleanly" stop_agent
}

edit_case "a flipped byte in record $SEQ's time" "$SEQ" audit-flip "$SEQ"
edit_case "a flipped byte in record $SEQ's uid" "$SEQ" audit-flip "$SEQ" 18
edit_case "a flipped byte in record $SEQ's status" "$SEQ" audit-flip "$SEQ" 35
edit_case "a flipped byte in record $SEQ's link" "$SEQ" audit-flip "$SEQ" -1
edit_case "a flipped byte in the first record" 1 audit-flip 1
edit_case "record $SEQ deleted" "$SEQ" audit-del "$SEQ"
edit_case "records $SEQ and $((SEQ + 1)) swapped" "$SEQ" audit-swap "$SEQ" $((SEQ + 1))
edit_case "records 2 and $SEQ swapped" 2 audit-swap 2 "$SEQ"

# A flipped byte in the last record before the restart.
last=$n_stored
edit_case "a flipped byte in the last record ($last)" "$last" audit-flip "$last"

# Untouched again: it passes.
restore_state
start_agent --dir "$dir" --kdf min
run "$CRED" audit verify
is "$RC" 0 "the pristine copy verifies again"
ok "the agent stops cleanly" stop_agent

# ---- a passphrase-only store: records made before the first unlock ----
pdir=$(mktemp -d "$TEST_DIR/pass.XXXXXX")
init_pass_store "$pdir/state" "$PASS"
is "$RC" 0 "a passphrase-only store is made"
start_agent --dir "$pdir" --kdf min
is "$(locked_now)" true "the agent starts locked"
cred_pid get p/x
locked_get_pid=$PID
is "$RC" 5 "a get while locked exits 5"
printf 'locked-put' >"$V/lp"
cred_pid put p/y --from-file "$V/lp"
locked_put_pid=$PID
is "$RC" 5 "a put while locked exits 5"
cred_pid ls
locked_ls_pid=$PID
cred_pass "wrong passphrase" unlock
is "$RC" 4 "a wrong passphrase is refused"
cred_pass "$PASS" unlock
is "$RC" 0 "the right passphrase unlocks"
audit_json
is "$AUDIT_RC" 0 "cred --json audit exits 0 after the unlock"
like "$(rec_line "$AUDIT" pid="$locked_get_pid")" "^op=get target=[^: ]+:p/x status=LOCKED " \
	"the get made while locked is recorded, status LOCKED"
like "$(rec_line "$AUDIT" pid="$locked_put_pid")" "^op=put target=[^: ]+:p/y status=LOCKED " \
	"... and the put"
like "$(rec_line "$AUDIT" pid="$locked_ls_pid")" "^op=ls .* status=(LOCKED|OK) " "... and the ls"
is "$(audit_q "$AUDIT" n op=unlock status=DENIED)" 1 "... and the refused unlock"
is "$(audit_q "$AUDIT" n op=unlock status=OK)" 1 "... and the unlock"
verify_json
is "$VRC $(json_get "$VJ" ok) $(json_get "$VJ" broken_seq)" "0 true null" \
	"audit verify passes after the unlock, covering the records made before it"
cmp_ok "$(json_get "$VJ" checked)" -ge 5 "... checking them ($(json_get "$VJ" checked) records)"
printf 'pp-%s' "$(random_token 16)" >"$V/pp"
"$CRED" put p/x --from-file "$V/pp" >/dev/null 2>&1 || bail "put p/x"
run "$CRED" lock
run "$CRED" get p/x
is "$RC" 5 "after lock a get exits 5"
cred_pass "$PASS" unlock
verify_json
is "$VRC.$(json_get "$VJ" ok)" "0.true" "verify passes after a lock and an unlock"
ok "the agent stops cleanly" stop_agent
pstate=$pdir/state
audit_store_list "$pstate" >"$TEST_DIR/plist"
n_unkeyed=$(grep -c ' flags=[02] ' "$TEST_DIR/plist")
cmp_ok "$n_unkeyed" -ge 3 "the records made before the first unlock are stored unkeyed ($n_unkeyed)"
# Break one of them: verify names it.
first_unkeyed=$(awk '$2 ~ /^flags=[02]$/ { print $1; exit }' "$TEST_DIR/plist")
cp -a "$pstate" "$TEST_DIR/ppristine"
run "$STORE_EDIT" "$pstate" audit-flip "${first_unkeyed:-1}"
is "$RC" 0 "store-edit audit-flip ${first_unkeyed:-1} (a record made while locked)"
start_agent --dir "$pdir" --kdf min
cred_pass "$PASS" unlock
run "$CRED" audit verify
is "$RC" 1 "a flipped byte in a record made before the first unlock: verify exits 1"
like "$OUT$ERR" "broken at record ${first_unkeyed:-1}([^0-9]|\$)" "... naming record ${first_unkeyed:-1}"
ok "the agent stops cleanly" stop_agent

# The same store untouched, restarted: locked records again, then verify.
rm -rf "$pstate" && cp -a "$TEST_DIR/ppristine" "$pstate"
start_agent --dir "$pdir" --kdf min
run "$CRED" get p/x
is "$RC" 5 "restarted, locked again: a get exits 5"
cred_pass "$PASS" unlock
verify_json
is "$VRC $(json_get "$VJ" ok)" "0 true" "after a restart and a new unlock verify passes"
ok "the agent stops cleanly" stop_agent

done_testing
