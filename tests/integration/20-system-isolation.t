#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# System mode: every uid has its own namespace. Another uid's secrets are
# NOT_FOUND (3, never DENIED) whatever the operation and however the owner
# is spelled, and absent from ls; the overflow uid is refused. Everything
# runs twice: with the kernel's SO_PEERPIDFD and with --test-no-pidfd (the
# path of kernels before 6.5), a sharing subset included.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/system-lib.sh"
sys_setup

# The kernel may predate SO_PEERPIDFD (6.5): then both passes take the
# fallback path, and the pidfd one cannot be told apart.
have_pidfd=$(perl -MSocket -e '
socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, 0) or die;
print defined(getsockopt($a, SOL_SOCKET, 77)) ? 1 : 0')

# The operations bob tries on alice's names, with what each needs on stdin.
OPS=("get" "info" "rotate" "rm" "watch --timeout 2" "purge" "disable" "enable"
	"undelete" "rollback --to 1" "label k=v" "put")

# op_as USER "OP [ARGS]" REF: cred OP REF ARGS as USER, a value on stdin.
op_as() {
	local -a w
	read -r -a w <<<"$2"
	cred_as "$1" "${w[0]}" "$3" "${w[@]:1}" <<<"bob-was-here"
}

isolation() { # LABEL AGENT-FLAGS...
	local m=$1
	shift
	local a_key a_db b_own a_same b_same owner op ref
	start_system_agent --debug "$@"
	a_key="alice-key-$(random_token 20)"
	a_db="alice-db-$(random_token 20)"
	b_own="bob-own-$(random_token 20)"
	a_same="alice-same-$(random_token 20)"
	b_same="bob-same-$(random_token 20)"
	put_as "$ALICE" app/key "$a_key"
	put_as "$ALICE" prod/db "$a_db"
	put_as "$ALICE" same/name "$a_same"
	put_as "$BOB" own/b "$b_own"
	put_as "$BOB" same/name "$b_same"

	if [ "$have_pidfd" = 1 ] && [ $# -eq 0 ]; then
		ok "$m: callers are pinned by a pidfd" \
			grep -qE "connection [0-9]+ from uid $ALICE_UID pid [0-9]+ .* pinned by pidfd" "$AGENT_LOG"
	elif [ "$have_pidfd" = 1 ]; then
		ok "$m: the agent sees alice's connections" \
			grep -qE "connection [0-9]+ from uid $ALICE_UID pid [0-9]+ " "$AGENT_LOG"
		nok "$m: ... and pins none by a pidfd" grep -q "pinned by pidfd" "$AGENT_LOG"
	else
		skip "the kernel has no SO_PEERPIDFD" 1
	fi

	# ---- bob at alice's names: NOT_FOUND, for a name that exists as
	# for one that does not ----
	for owner in "$ALICE" "$ALICE_UID"; do
		for op in "${OPS[@]}"; do
			for ref in "$owner:app/key" "$owner:no/such"; do
				op_as "$BOB" "$op" "$ref"
				is "$RC" 3 "$m: bob: cred $op $ref exits 3 (NOT_FOUND)"
				is "$OUT" "" "$m: ... and prints nothing on stdout"
			done
			is "$ERR" "cred: ${op%% *}: $owner:no/such: not found" \
				"$m: ... 'not found' for a name alice does not have"
			op_as "$BOB" "$op" "$owner:app/key"
			is "$ERR" "cred: ${op%% *}: $owner:app/key: not found" \
				"$m: ... and the very same for one she has"
		done
	done
	cred_as "$BOB" share "$ALICE:app/key" --uid "$BOB" --perm read
	is "$RC" 3 "$m: bob sharing alice's secret with himself exits 3"
	cred_as "$BOB" unshare "$ALICE:app/key" --uid "$BOB"
	is "$RC" 3 "$m: bob unsharing alice's secret exits 3"

	# Nothing bob tried changed alice's secrets or made new ones.
	cred_as "$ALICE" get app/key
	is "$RC.$OUT" "0.$a_key" "$m: alice's app/key is unchanged"
	cred_as "$ALICE" --json info app/key
	is "$(json_get "$OUT" version).$(json_get "$OUT" state)" "1.active" \
		"$m: ... still version 1, active"
	cred_as "$ALICE" --json ls
	is "$(json_get "$OUT" '[0].name') $(json_get "$OUT" '[1].name') $(json_get "$OUT" '[2].name') $(json_get "$OUT" '[3].name')" \
		"app/key prod/db same/name null" "$m: alice has exactly her three names (no no/such)"

	# ---- ls ----
	cred_as "$BOB" --json ls
	is "$RC" 0 "$m: bob's ls succeeds"
	is "$(json_get "$OUT" '[0].name') $(json_get "$OUT" '[1].name') $(json_get "$OUT" '[2].name')" \
		"own/b same/name null" "$m: ... and lists only his own/b and same/name"
	is "$(json_get "$OUT" '[0].owner') $(json_get "$OUT" '[0].shared')" "$BOB_UID false" \
		"$m: ... owned by him, not shared"
	cred_as "$BOB" ls
	unlike "$OUT" "app/key|prod/db|$ALICE" "$m: bob's table names nothing of alice's"
	for ref in "$ALICE:" "$ALICE_UID:" "$ALICE:prod/" "$ALICE:app"; do
		cred_as "$BOB" ls "$ref"
		is "$RC:$OUT" "0:" "$m: bob's cred ls $ref succeeds and prints nothing"
	done
	cred_as "$BOB" ls --all-users
	is "$RC" 4 "$m: bob's ls --all-users exits 4 (not an admin)"
	cred_as "$ALICE" rm prod/db
	cred_as "$BOB" ls --deleted "$ALICE:"
	is "$RC:$OUT" "0:" "$m: bob's ls --deleted $ALICE: shows none of alice's deleted names"
	cred_as "$BOB" ls --deleted
	is "$RC:$OUT" "0:" "$m: ... nor does his plain ls --deleted"
	cred_as "$ALICE" undelete prod/db

	# ---- bob's own namespace works, and alice cannot see it ----
	cred_as "$BOB" get own/b
	is "$RC.$OUT" "0.$b_own" "$m: bob reads his own/b"
	cred_as "$BOB" get same/name
	is "$OUT" "$b_same" "$m: bob's same/name is his value"
	cred_as "$ALICE" get same/name
	is "$OUT" "$a_same" "$m: alice's same/name is hers"
	cred_as "$BOB" get "$BOB:same/name"
	is "$OUT" "$b_same" "$m: bob's $BOB:same/name is his own"
	cred_as "$BOB" rotate own/b --generate 16
	is "$RC" 0 "$m: bob rotates his own/b"
	for ref in "$BOB:own/b" "$BOB_UID:own/b" "$BOB:same/name"; do
		cred_as "$ALICE" get "$ref"
		is "$RC:$OUT" "3:" "$m: alice: cred get $ref exits 3"
	done
	cred_as "$ALICE" rm "$BOB:own/b"
	is "$RC" 3 "$m: alice: cred rm $BOB:own/b exits 3"
	cred_as "$ALICE" ls "$BOB:"
	is "$RC:$OUT" "0:" "$m: alice's ls $BOB: prints nothing"
	cred_as "$ALICE" ls
	unlike "$OUT" "own/b" "$m: alice's ls does not list bob's own/b"
	cred_as "$BOB" get nosuchuser-credt:x
	is "$RC" 2 "$m: an unknown owner is a usage error (2)"

	# Neither carol (no grant, no admin group here) nor root reads alice's
	# secret.
	cred_as "$CAROL" get "$ALICE:app/key"
	is "$RC:$OUT" "3:" "$m: carol: get $ALICE:app/key exits 3"
	run env CRED_SOCK="$AGENT_SOCK" "$CRED" get "$ALICE:app/key"
	is "$RC:$OUT" "3:" "$m: root: get $ALICE:app/key exits 3 (no grant)"
	cred_as "$BOB" --json status
	is "$RC" 0 "$m: bob's status succeeds"

	# ---- sharing on this path ----
	cred_as "$ALICE" share app/key --uid "$BOB" --perm read
	is "$RC" 0 "$m: alice shares app/key with bob, read"
	cred_as "$BOB" get "$ALICE:app/key"
	is "$RC.$OUT" "0.$a_key" "$m: bob reads $ALICE:app/key"
	cred_as "$BOB" rm "$ALICE:app/key"
	is "$RC" 4 "$m: bob's rm of it exits 4 (DENIED: read grant)"
	cred_as "$BOB" --json ls
	is "$(ls_field "$OUT" "$ALICE_UID" app/key shared)" true "$m: bob's ls lists it, shared"
	cred_as "$ALICE" unshare app/key --uid "$BOB"
	is "$RC" 0 "$m: alice unshares it"
	cred_as "$BOB" get "$ALICE:app/key"
	is "$RC:$OUT" "3:" "$m: bob's get is NOT_FOUND again"
	cred_as "$ALICE" share prod/db --gid "$TEAM" --perm read
	is "$RC" 0 "$m: alice shares prod/db with group $TEAM"
	cred_as "$BOB" get "$ALICE:prod/db"
	is "$RC.$OUT" "0.$a_db" "$m: bob (a supplementary member of $TEAM) reads it"
	cred_as "$BOB:nogroups" get "$ALICE:prod/db"
	is "$RC:$OUT" "3:" "$m: bob without his supplementary groups gets 3"
	cred_as "$CAROL" get "$ALICE:prod/db"
	is "$RC:$OUT" "3:" "$m: carol (not a member) gets 3"

	# ---- the overflow uid ----
	for op in status ls "get $ALICE:app/key" "get app/key"; do
		# shellcheck disable=SC2086
		run "${AS_NOBODY[@]}" env CRED_SOCK="$AGENT_SOCK" "$CRED" $op
		is "$RC:$OUT" "4:" "$m: uid 65534: cred $op exits 4 (DENIED), nothing on stdout"
	done
	printf 'x' >"$TEST_DIR/nobody-value"
	run "${AS_NOBODY[@]}" env CRED_SOCK="$AGENT_SOCK" "$CRED" put own <"$TEST_DIR/nobody-value"
	is "$RC" 4 "$m: uid 65534: cred put exits 4"
	like "$(cat "$AGENT_LOG")" "refused a connection from uid 65534" \
		"$m: the agent logs the refused overflow uid"

	values_absent "$(cat "$AGENT_LOG")" "$m: the agent's log holds no value"
	ok "$m: the agent stops cleanly" stop_agent
}

isolation "pidfd"
isolation "no-pidfd" --test-no-pidfd

# The count of secrets in status is the caller's own.
start_system_agent
put_as "$ALICE" a/1 "v1-$(random_token 8)"
put_as "$ALICE" a/2 "v2-$(random_token 8)"
put_as "$BOB" b/1 "v3-$(random_token 8)"
cred_as "$BOB" --json status
bob_count=$(json_get "$OUT" secrets)
put_as "$ALICE" a/3 "v4-$(random_token 8)"
cred_as "$BOB" --json status
is "$(json_get "$OUT" secrets)" "$bob_count" \
	"alice storing a secret does not change the count in bob's status"
is "$bob_count" 1 "bob's status counts his one secret, not alice's"

done_testing
