#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# System mode admins: root and members of the admin group list every
# user's metadata (cred ls --all-users) but read no value and see no
# secret without a grant (NOT_FOUND); anyone else's --all-users is DENIED.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/system-lib.sh"
sys_setup

root_cred() { run env CRED_SOCK="$AGENT_SOCK" "$CRED" "$@"; }

start_system_agent --admin-group "$ADMINS"
put_as "$ALICE" a/x "alice-ax-$(random_token 16)"
put_as "$ALICE" prod/db "alice-db-$(random_token 16)"
put_as "$BOB" b/y "bob-by-$(random_token 16)"
put_as "$CAROL" c/own "carol-own-$(random_token 16)"
printf 'root-own-%s' "$(random_token 16)" >"$TEST_DIR/rootval"
SYS_VALUES+=("$(cat "$TEST_DIR/rootval")")
"$CRED" -s "$AGENT_SOCK" put r/own <"$TEST_DIR/rootval" 2>/dev/null || bail "root puts r/own"
seen=""

# ---- carol, in the admin group ----
cred_as "$CAROL" --json ls --all-users
is "$RC" 0 "carol ($ADMINS) lists all users' secrets"
seen+=$OUT$ERR
names=$(ls_names "$OUT")
for want in "$ALICE_UID:a/x" "$ALICE_UID:prod/db" "$BOB_UID:b/y" "$CAROL_UID:c/own" "0:r/own"; do
	like " $names " " $want " "... among them $want"
done
is "$(ls_field "$OUT" "$ALICE_UID" a/x shared)" false "... alice's a/x not marked shared with her"
cred_as "$CAROL" ls --all-users
seen+=$OUT$ERR
ok "carol's table names $ALICE:a/x" grep -qE "^$ALICE:a/x " <<<"$OUT"
ok "... and $BOB:b/y" grep -qE "^$BOB:b/y " <<<"$OUT"
cred_as "$CAROL" --json ls --all-users "$ALICE:"
seen+=$OUT$ERR
is "$RC $(ls_names "$OUT")" "0 $ALICE_UID:a/x $ALICE_UID:prod/db" \
	"carol's ls --all-users $ALICE: lists alice's names only"
cred_as "$CAROL" --json ls --all-users prod/
seen+=$OUT$ERR
is "$(ls_names "$OUT")" "$ALICE_UID:prod/db" "carol's ls --all-users prod/ filters by prefix across users"
cred_as "$CAROL" --json ls
is "$(ls_names "$OUT")" "$CAROL_UID:c/own" "without --all-users carol lists her own only"
cred_as "$CAROL" ls "$ALICE:"
is "$RC:$OUT" "0:" "... and her ls $ALICE: (no --all-users) prints nothing"

# Listing is all she gets: every operation on a name she can list is NOT_FOUND.
for op in get "get --version 1" info rotate rm "watch --timeout 2" disable purge "label k=v" \
	"share --uid $CAROL --perm read"; do
	for ref in "$ALICE:a/x" "$BOB_UID:b/y"; do
		read -r -a w <<<"$op"
		cred_as "$CAROL" "${w[0]}" "$ref" "${w[@]:1}" <<<"carol-value"
		is "$RC:$OUT" "3:" "carol (admin, no grant): cred $op $ref exits 3, nothing on stdout"
		seen+=$OUT$ERR
	done
done
cred_as "$ALICE" get a/x
is "$RC" 0 "alice's a/x is still there"
cred_as "$ALICE" --json info a/x
is "$(json_get "$OUT" version).$(json_get "$OUT" state)" "1.active" "... version 1, active"

# A grant works for an admin as for anyone.
cred_as "$ALICE" share a/x --uid "$CAROL" --perm read
cred_as "$CAROL" get "$ALICE:a/x"
is "$RC" 0 "with a read grant carol reads $ALICE:a/x"
cred_as "$ALICE" unshare a/x --uid "$CAROL"
cred_as "$CAROL" get "$ALICE:a/x"
is "$RC" 3 "... and after unshare she gets 3 again"

# ---- not admins ----
for u in "$ALICE" "$BOB" "$CAROL:nogroups"; do
	cred_as "$u" ls --all-users
	is "$RC:$OUT" "4:" "$u: ls --all-users exits 4 (DENIED), nothing on stdout"
	like "$ERR" "^cred: ls: " "... with a 'cred: ls:' message"
done
run "${AS_NOBODY[@]}" env CRED_SOCK="$AGENT_SOCK" "$CRED" ls --all-users
is "$RC" 4 "uid 65534: ls --all-users exits 4"

# ---- root ----
root_cred --json ls --all-users
is "$RC" 0 "root lists all users' secrets"
seen+=$OUT$ERR
names=$(ls_names "$OUT")
for want in "$ALICE_UID:a/x" "$BOB_UID:b/y" "$CAROL_UID:c/own" "0:r/own"; do
	like " $names " " $want " "... among them $want"
done
for op in get info rm; do
	root_cred "$op" "$ALICE:a/x"
	is "$RC:$OUT" "3:" "root (no grant): cred $op $ALICE:a/x exits 3"
	seen+=$OUT$ERR
done
root_cred get r/own
is "$RC.$OUT" "0.$(cat "$TEST_DIR/rootval")" "root reads its own r/own"
cred_as "$CAROL" get 0:r/own
is "$RC:$OUT" "3:" "carol (admin) cannot read root's r/own (3)"

values_absent "$seen" "no admin output or error held a value"
values_absent "$(cat "$AGENT_LOG")" "the agent's log holds no value"
ok "the agent stops cleanly" stop_agent

# ---- an admin group the host does not have: only root is an admin ----
start_system_agent --admin-group credt-no-such-group
cred_as "$CAROL" ls --all-users
is "$RC" 4 "admin group missing from the host: carol's ls --all-users exits 4"
root_cred ls --all-users
is "$RC" 0 "... root's succeeds"
ok "the agent stops cleanly" stop_agent

# The default group is credadmin, which carol is not in.
start_system_agent
cred_as "$CAROL" ls --all-users
is "$RC" 4 "default admin group (credadmin): carol's ls --all-users exits 4"
root_cred ls --all-users
is "$RC" 0 "... root's succeeds"

done_testing
