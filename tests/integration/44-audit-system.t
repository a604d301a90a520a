#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Who sees which audit records on a system agent: a user sees the records
# of its own calls and of operations on its own secrets (another user's
# probe of them included), never another user's own business; admins
# (members of --admin-group) and root see all. Probes of another owner's
# names are security events. Usage reset and quota are the owner's (and
# an admin's, for the reset).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/system-lib.sh"
. "$(dirname "$0")/audit-lib.sh"
sys_setup

export LC_ALL=C

# audit_as USER [ARGS...]: USER's cred --json audit into AUDIT, AUDIT_RC.
audit_as() {
	local u=$1
	shift
	cred_as "$u" --json audit "$@"
	AUDIT_RC=$RC
	if [ "$RC" = 0 ] && [ -n "$OUT" ]; then AUDIT=$OUT; else AUDIT="[]"; fi
}

# A target's owner, as the numeric uid (DESIGN) or the user's name: the
# visibility checks hold either way (40-audit.t checks the form).
AO="($ALICE_UID|$ALICE)"
BO="($BOB_UID|$BOB)"

start_system_agent --kdf min --admin-group "$ADMINS"
put_as "$ALICE" a/x "alice-x-$(random_token 16)"
put_as "$ALICE" a/private "alice-private-$(random_token 16)"
put_as "$BOB" b/y "bob-y-$(random_token 16)"
cred_as "$ALICE" get a/private
cred_as "$BOB" get b/y
cred_as "$BOB" get "$ALICE:a/x"
is "$RC" 3 "bob's get of $ALICE:a/x (not shared) exits 3"
cred_as "$ALICE" get "$BOB:b/nothing"
is "$RC" 3 "alice's get of $BOB:b/nothing exits 3"
cred_as "$ALICE" share a/x --uid "$BOB" --perm read
cred_as "$BOB" get "$ALICE:a/x"
is "$RC" 0 "with a read grant bob reads $ALICE:a/x"
cred_as "$BOB" get b/missing
is "$RC" 3 "bob's get of his own b/missing exits 3"
expose_socket
raw --as-nobody 000000050200000001 r eof >/dev/null

# ---- alice ----
audit_as "$ALICE"
is "$AUDIT_RC" 0 "alice's cred audit exits 0"
is "$(audit_q "$AUDIT" n "uid!=$ALICE_UID" "target!~^$AO:")" 0 \
	"alice sees only her own calls and operations on her secrets"
is "$(audit_q "$AUDIT" n op=put uid="$ALICE_UID" "target~^$AO:a/private@1\$")" 1 "... her put of a/private"
is "$(audit_q "$AUDIT" last:status,security uid="$BOB_UID" "target~^$AO:a/x\$" status=NOT_FOUND)" \
	"NOT_FOUND true" "... bob's probe of her a/x, NOT_FOUND, a security event"
is "$(audit_q "$AUDIT" n uid="$BOB_UID" "target~^$AO:a/x@1\$" status=OK op=get)" 1 \
	"... bob's read of a/x through the grant"
is "$(audit_q "$AUDIT" last:security uid="$ALICE_UID" "target~^$BO:b/nothing\$")" true \
	"... her own probe of bob's b/nothing, a security event"
is "$(audit_q "$AUDIT" n "target~^$BO:b/y")" 0 "... nothing of bob's b/y"
is "$(audit_q "$AUDIT" n "target~^$BO:b/missing")" 0 "... nor of bob's own failed get"
is "$(audit_q "$AUDIT" n op=connect)" 0 "... nor the refused connection"
audit_as "$ALICE" --uid "$BOB_UID"
is "$(audit_q "$AUDIT" n "target!~^$AO:")" 0 "alice's audit --uid bob: only bob's operations on her secrets"
cmp_ok "$(audit_q "$AUDIT" n)" -ge 2 "... the probe and the read ($(audit_q "$AUDIT" n))"

# ---- bob ----
audit_as "$BOB"
is "$AUDIT_RC" 0 "bob's cred audit exits 0"
is "$(audit_q "$AUDIT" n "uid!=$BOB_UID" "target!~^$BO:")" 0 \
	"bob sees only his own calls and operations on his secrets"
is "$(audit_q "$AUDIT" n uid="$BOB_UID" "target~^$BO:b/y@1\$" op=put)" 1 "... his put of b/y"
is "$(audit_q "$AUDIT" n uid="$BOB_UID" "target~^$BO:b/missing\$" status=NOT_FOUND security=false)" 1 \
	"... his own failed get, not a security event"
is "$(audit_q "$AUDIT" n uid="$BOB_UID" "target~^$AO:a/x\$" status=NOT_FOUND)" 1 \
	"... his own probe of alice's a/x"
is "$(audit_q "$AUDIT" n uid="$ALICE_UID" "target~^$BO:b/nothing\$")" 1 "... alice's probe of his namespace"
is "$(audit_q "$AUDIT" n "target~^$AO:a/private")" 0 "... nothing of alice's a/private"
is "$(audit_q "$AUDIT" n uid="$ALICE_UID" op=share)" 0 "... nor alice's share of a/x"
audit_as "$BOB" --name "$ALICE:a/private"
is "$AUDIT_RC.$(audit_q "$AUDIT" n)" "0.0" "bob's audit --name $ALICE:a/private shows nothing"
audit_as "$BOB" --uid "$ALICE_UID"
is "$(audit_q "$AUDIT" n "target!~^$BO:")" 0 "bob's audit --uid alice: only her operations on his names"
audit_as "$BOB" --summary
is "$(audit_q "$AUDIT" last:count op=put status=OK)" 1 "bob's --summary counts his one put, not alice's two"

# ---- carol (admin) and root ----
for who in "$CAROL" root; do
	if [ "$who" = root ]; then
		audit_json
	else
		audit_as "$who"
	fi
	is "$AUDIT_RC" 0 "$who's cred audit exits 0"
	is "$(audit_q "$AUDIT" n op=put uid="$ALICE_UID") $(audit_q "$AUDIT" n op=put uid="$BOB_UID")" \
		"2 1" "... $who sees alice's two puts and bob's one"
	is "$(audit_q "$AUDIT" n uid="$BOB_UID" "target~^$BO:b/missing\$")" 1 "... and bob's own failed get"
	is "$(audit_q "$AUDIT" last:uid,status,security op=connect)" "65534 DENIED true" \
		"... and the refused connection of uid 65534"
done
cred_as "$CAROL:nogroups" --json audit
if [ "$RC" = 0 ]; then
	is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print scalar grep { $_->{uid} != $ARGV[0] && $_->{target} !~ /^$ARGV[0]:/ } @{decode_json(do { local $/; <STDIN> })}' "$CAROL_UID")" \
		0 "carol without her admin group sees only her own records"
else
	fail "carol without her admin group sees only her own records" "    exit $RC: $ERR"
fi

# ---- usage reset and quota: the owner's ----
cred_as "$BOB" usage --reset "$ALICE:a/x"
is "$RC" 4 "bob (read grant) may not reset the usage of $ALICE:a/x (exit 4)"
cred_as "$BOB" quota "$ALICE:a/x" 1/hour
is "$RC" 4 "... nor set its quota (exit 4)"
cred_as "$BOB" usage --reset "$ALICE:a/private"
is "$RC" 3 "bob's usage --reset of $ALICE:a/private (not visible) exits 3"
cred_as "$ALICE" --json info a/x
is "$(json_get "$OUT" usage.period_reads)" 1 "alice's a/x counts bob's one read"
cred_as "$CAROL" usage --reset "$ALICE:a/x"
is "$RC" 0 "carol (admin) resets the usage of $ALICE:a/x"
cred_as "$ALICE" --json info a/x
is "$(json_get "$OUT" usage.period_reads) $(json_get "$OUT" usage.reads)" "0 1" \
	"... its period count is 0, its total 1"
cred_as "$ALICE" quota a/x 5/day
is "$RC" 0 "alice sets a quota on a/x"
audit_as "$ALICE" --op usage-reset
is "$(audit_q "$AUDIT" last:uid,status "target~^$AO:a/x\$")" "$CAROL_UID OK" \
	"alice sees carol's reset of her a/x in her audit"
audit_as "$ALICE" --op usage-reset --status DENIED
is "$(audit_q "$AUDIT" last:uid,security "target~^$AO:a/x\$")" "$BOB_UID true" \
	"... and bob's refused one, a security event"

values_absent "$(cat "$AGENT_LOG")" "no value in the agent's log"
audit_json
values_absent "$AUDIT" "no value in root's audit JSON"
ok "the agent stops cleanly" stop_agent
done_testing
