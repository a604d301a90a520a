#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# System mode sharing: read and write grants to a uid or a gid, on one
# secret or a prefix; only the owner shares, sees the grants and purges;
# unshare makes the secret NOT_FOUND again and ends the grantee's watches.
# A user-mode agent refuses to share (UNSUPPORTED).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/system-lib.sh"
sys_setup

start_system_agent
declare -A V
for n in app/key solo team/key dev/a prod prod/db prod/x/y prodother production/x; do
	V[$n]="alice-${n//\//-}-$(random_token 16)"
	put_as "$ALICE" "$n" "${V[$n]}"
done
A=$ALICE

# ---- a read grant to a uid ----
cred_as "$BOB" get "$A:app/key"
is "$RC" 3 "before any grant bob's get $A:app/key exits 3"
cred_as "$ALICE" share app/key --uid "$BOB" --perm read
is "$RC" 0 "alice shares app/key with $BOB, read"
is "$ERR" "app/key: granted read to uid $BOB_UID ($BOB)" "... and says so on stderr"
cred_as "$ALICE" share app/key --uid "$CAROL_UID" --perm read
is "$RC" 0 "alice shares app/key with carol too (--uid as a number)"

cred_as "$BOB" get "$A:app/key"
is "$RC.$OUT" "0.${V[app/key]}" "bob reads $A:app/key"
cred_as "$BOB" get "$ALICE_UID:app/key"
is "$RC.$OUT" "0.${V[app/key]}" "bob reads $ALICE_UID:app/key (owner as a uid)"
cred_as "$BOB" --json info "$A:app/key"
is "$RC" 0 "bob's info $A:app/key succeeds"
is "$(json_get "$OUT" owner) $(json_get "$OUT" name)" "$ALICE_UID app/key" \
	"... naming alice's uid and the name"
is "$(json_get "$OUT" grants)" "[]" "... and showing bob no grants"
cred_as "$BOB" info "$A:app/key"
unlike "$OUT" "$CAROL|$CAROL_UID|uid $BOB_UID" "bob's text info names none of the grantees"
values_absent "$OUT" "... nor any value"

cred_as "$ALICE" rotate app/key --generate 24
cred_as "$BOB" get "$A:app/key" --version 1
is "$RC.$OUT" "0.${V[app/key]}" "bob reads a kept older version with --version 1"
cred_as "$BOB" get "$A:app/key"
is "$RC" 0 "... and the current one"
isnt "$OUT" "${V[app/key]}" "... which is the rotated value"
rotated=$OUT

cred_as "$BOB" --json ls
is "$(ls_field "$OUT" "$ALICE_UID" app/key shared)" true \
	"bob's ls lists $A:app/key, shared, owned by alice's uid"
is "$(ls_names "$OUT")" "$ALICE_UID:app/key" "... and nothing else of alice's"
cred_as "$BOB" ls
ok "bob's ls table shows it as $A:app/key, shared" \
	grep -qE "^$A:app/key +generic +2 +active +shared " <<<"$OUT"

# What a read grant does not allow: DENIED, the secret untouched.
for op in "rm" "rotate" "put" "rotate --generate 8" "disable" "enable" "undelete" \
	"rollback --to 1" "label k=v" "purge"; do
	read -r -a w <<<"$op"
	cred_as "$BOB" "${w[0]}" "$A:app/key" "${w[@]:1}" <<<"bob-value"
	is "$RC" 4 "bob (read grant): cred $op $A:app/key exits 4 (DENIED)"
	like "$ERR" "^cred: ${w[0]}: $A:app/key: " "... with a 'cred: ${w[0]}: $A:app/key:' message"
done
cred_as "$ALICE" --json info app/key
is "$(json_get "$OUT" version).$(json_get "$OUT" state)" "2.active" \
	"alice's app/key is still version 2, active"
cred_as "$ALICE" get app/key
is "$OUT" "$rotated" "... holding the value alice rotated to"

# Only the owner shares: DENIED when the secret is visible, NOT_FOUND when not.
cred_as "$BOB" share "$A:app/key" --uid "$BOB" --perm write
is "$RC" 4 "bob sharing $A:app/key (visible to him) exits 4"
cred_as "$BOB" unshare "$A:app/key" --uid "$CAROL"
is "$RC" 4 "bob unsharing carol's grant on it exits 4"
cred_as "$BOB" share "$A:solo" --uid "$BOB" --perm read
is "$RC" 3 "bob sharing $A:solo (not visible to him) exits 3"
cred_as "$BOB" get "$A:solo"
is "$RC" 3 "... and $A:solo is still NOT_FOUND to him"

# The owner sees the grants.
cred_as "$ALICE" info app/key
like "$OUT" "grants: +uid $BOB_UID \\($BOB\\) read" "alice's info lists bob's grant"
like "$OUT" "uid $CAROL_UID \\($CAROL\\) read" "... and carol's"
cred_as "$ALICE" --json info app/key
grants=$OUT
is "$(printf '%s' "$grants" | perl -MJSON::PP -e '
my $g = JSON::PP->new->decode(do { local $/; <STDIN> })->{grants};
print join(" ", sort map { ($_->{uid} // "-") . "/" . ($_->{gid} // "-") . "/$_->{perm}/" .
    ($_->{prefix} ? "p" : "n") } @$g)')" \
	"$(printf '%s\n' "$BOB_UID/-/read/n" "$CAROL_UID/-/read/n" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"alice's --json info lists both grants: uid, perm, not a prefix"

# Unshare: NOT_FOUND again, gone from ls and from the owner's grants.
cred_as "$ALICE" unshare app/key --uid "$BOB"
is "$RC" 0 "alice unshares app/key from bob"
is "$ERR" "app/key: grant of uid $BOB_UID ($BOB) revoked" "... and says so"
for op in get info "rm" "watch --timeout 2"; do
	read -r -a w <<<"$op"
	cred_as "$BOB" "${w[0]}" "$A:app/key" "${w[@]:1}"
	is "$RC:$OUT" "3:" "after unshare bob's $op $A:app/key exits 3 again"
done
cred_as "$BOB" --json ls
is "$(ls_names "$OUT")" "" "... and it is gone from bob's ls"
cred_as "$ALICE" --json info app/key
unlike "$(json_get "$OUT" grants)" "\"uid\":$BOB_UID\\b" "... and from alice's grants"
cred_as "$CAROL" get "$A:app/key"
is "$RC" 0 "carol's grant is untouched by bob's unshare"

# ---- a write grant ----
cred_as "$ALICE" share team/key --uid "$BOB" --perm write
is "$RC" 0 "alice shares team/key with bob, write"
printf 'bob-wrote-%s' "$(random_token 12)" >"$TEST_DIR/bobval"
run "$AS" "$BOB" "$CRED" put "$A:team/key" <"$TEST_DIR/bobval"
is "$RC" 0 "bob (write grant) puts a new version of $A:team/key"
cred_as "$ALICE" get team/key
is "$OUT" "$(cat "$TEST_DIR/bobval")" "... which alice reads back"
cred_as "$ALICE" --json info team/key
is "$(json_get "$OUT" version) $(json_get "$OUT" 'versions.[1].created_by')" "2 $BOB_UID" \
	"... as version 2, created by bob"
for op in "rotate" "rotate --generate 12" "rollback --to 1" "label env=prod" "disable" "enable" \
	"rm" "undelete"; do
	read -r -a w <<<"$op"
	cred_as "$BOB" "${w[0]}" "$A:team/key" "${w[@]:1}" <<<"bob-rotated"
	is "$RC" 0 "bob (write grant): cred $op $A:team/key succeeds"
done
cred_as "$ALICE" get team/key
is "$RC.$OUT" "0.${V[team/key]}" "alice reads the value bob rolled back to (version 1's)"
cred_as "$BOB" purge "$A:team/key"
is "$RC" 4 "bob (write grant): purge exits 4 (owner only)"
cred_as "$BOB" share "$A:team/key" --uid "$CAROL" --perm read
is "$RC" 4 "bob (write grant): share exits 4 (owner only)"
cred_as "$BOB" unshare "$A:team/key" --uid "$BOB"
is "$RC" 4 "bob (write grant): unshare exits 4 (owner only)"
cred_as "$CAROL" get "$A:team/key"
is "$RC" 3 "... and carol was given nothing"
cred_as "$ALICE" get team/key
is "$RC" 0 "alice's team/key survives bob's purge attempt"
cred_as "$BOB" put "$A:solo" <<<"x"
is "$RC" 3 "bob's write grant on team/key gives nothing on solo (3)"
cred_as "$BOB" put "$A:brand/new" <<<"x"
is "$RC" 3 "... nor creates names in alice's namespace (3)"
cred_as "$ALICE" unshare team/key --uid "$BOB"

# ---- a gid grant ----
cred_as "$ALICE" share dev/a --gid "$TEAM" --perm read
is "$RC" 0 "alice shares dev/a with group $TEAM"
is "$ERR" "dev/a: granted read to gid $TEAM_GID ($TEAM)" "... and says so"
cred_as "$BOB" get "$A:dev/a"
is "$RC.$OUT" "0.${V[dev/a]}" "bob, a supplementary member of $TEAM, reads it"
cred_as "$BOB" --json ls
is "$(ls_field "$OUT" "$ALICE_UID" dev/a shared)" true "... and lists it, shared"
cred_as "$BOB:nogroups" get "$A:dev/a"
is "$RC:$OUT" "3:" "bob without supplementary groups (--clear-groups) gets 3"
cred_as "$CAROL" get "$A:dev/a"
is "$RC:$OUT" "3:" "carol, not a member, gets 3"
cred_as "$CAROL" --json ls
is "$(ls_field "$OUT" "$ALICE_UID" dev/a shared)" absent "... and does not list it"
cred_as "$BOB" rm "$A:dev/a"
is "$RC" 4 "bob's rm under the group's read grant exits 4"
cred_as "$ALICE" info dev/a
like "$OUT" "gid $TEAM_GID \\($TEAM\\) read" "alice's info lists the group grant"
cred_as "$ALICE" unshare dev/a --gid "$TEAM_GID"
is "$RC" 0 "alice unshares it from the group (--gid as a number)"
cred_as "$BOB" get "$A:dev/a"
is "$RC:$OUT" "3:" "bob gets 3 again"
# A grant to bob's primary group works without supplementary groups.
cred_as "$ALICE" share dev/a --gid "$BOB" --perm read
cred_as "$BOB:nogroups" get "$A:dev/a"
is "$RC.$OUT" "0.${V[dev/a]}" "a grant to bob's primary group works with --clear-groups"
cred_as "$ALICE" unshare dev/a --gid "$BOB"

# ---- a prefix grant ----
cred_as "$ALICE" share prod --prefix --uid "$BOB" --perm read
is "$RC" 0 "alice shares the prefix prod with bob, read"
is "$ERR" "names under prod/: granted read to uid $BOB_UID ($BOB)" "... and says so"
for n in prod/db prod/x/y; do
	cred_as "$BOB" get "$A:$n"
	is "$RC.$OUT" "0.${V[$n]}" "bob reads $A:$n under the prefix"
done
for n in prod prodother production/x dev/a solo; do
	cred_as "$BOB" get "$A:$n"
	is "$RC:$OUT" "3:" "bob's get $A:$n (not under prod/) exits 3"
	cred_as "$BOB" info "$A:$n"
	is "$RC" 3 "... and so does info"
done
for ref in "$A:" "$A:prod/" "$A:prod" "$ALICE_UID:"; do
	cred_as "$BOB" --json ls "$ref"
	is "$RC $(ls_names "$OUT")" "0 $ALICE_UID:prod/db $ALICE_UID:prod/x/y" \
		"bob's ls $ref lists exactly prod/db and prod/x/y"
done
cred_as "$BOB" ls "$A:"
ok "bob's ls table marks them shared" grep -qE "^$A:prod/db +generic .* shared " <<<"$OUT"
cred_as "$BOB" ls "$A:dev/"
is "$RC:$OUT" "0:" "bob's ls $A:dev/ prints nothing"
cred_as "$BOB" put "$A:prod/new" <<<"x"
is "$RC" 4 "a read prefix grant does not let bob create $A:prod/new (4)"
cred_as "$ALICE" --json info prod/db
is "$(json_get "$OUT" 'grants.[0].prefix') $(json_get "$OUT" 'grants.[0].uid') $(json_get "$OUT" 'grants.[0].perm')" \
	"true $BOB_UID read" "alice's info of prod/db shows the prefix grant"
cred_as "$ALICE" info prod/x/y
like "$OUT" "uid $BOB_UID \\($BOB\\) read prefix prod/" "... as does her text info of prod/x/y"

# A write prefix grant (replacing the read one, "prod/" as "prod").
cred_as "$ALICE" share prod/ --prefix --uid "$BOB" --perm write
is "$RC" 0 "alice makes it a write grant (prefix written prod/)"
printf 'bob-new-%s' "$(random_token 12)" >"$TEST_DIR/bobnew"
run "$AS" "$BOB" "$CRED" put "$A:prod/new" <"$TEST_DIR/bobnew"
is "$RC" 0 "bob creates $A:prod/new under the write prefix grant"
run "$AS" "$BOB" "$CRED" put "$A:prod/deep/er/name" <"$TEST_DIR/bobnew"
is "$RC" 0 "... and $A:prod/deep/er/name"
cred_as "$ALICE" get prod/new
is "$RC.$OUT" "0.$(cat "$TEST_DIR/bobnew")" "alice owns and reads prod/new"
cred_as "$BOB" get prod/new
is "$RC" 3 "bob has no prod/new of his own"
for n in prodnew production/y dev/b prod; do
	cred_as "$BOB" put "$A:$n" <<<"x"
	is "$RC" 3 "bob's put $A:$n (not under prod/) exits 3"
done
cred_as "$ALICE" --json ls
is "$(ls_names "$OUT" | tr ' ' '\n' | grep -c -e ':prodnew$' -e ':production/y$' -e ':dev/b$')" 0 \
	"... and alice has none of those names"
cred_as "$BOB" purge "$A:prod/db"
is "$RC" 4 "bob's purge under the write prefix exits 4"
cred_as "$BOB" share "$A:prod/db" --uid "$CAROL" --perm read
is "$RC" 4 "bob's share under the write prefix exits 4"

cred_as "$ALICE" unshare prod --prefix --uid "$BOB"
is "$RC" 0 "alice unshares the prefix"
for n in prod/db prod/x/y prod/new; do
	cred_as "$BOB" get "$A:$n"
	is "$RC:$OUT" "3:" "bob's get $A:$n exits 3 again"
done
cred_as "$BOB" ls "$A:"
is "$RC:$OUT" "0:" "bob's ls $A: prints nothing"

# ---- watches ----
cred_as "$ALICE" share app/key --uid "$BOB" --perm read
watch_bg "$BOB" "$TEST_DIR/watch1" "$A:app/key"
for i in 1 2 3 4 5; do
	cred_as "$ALICE" rotate app/key --generate 16
	wait_exit "$WATCH_PID" $((1 * TIME_FACTOR)) && break
done
is "$WAIT_RC" 0 "bob's watch of $A:app/key (read grant) ends at alice's rotate, exit 0"
like "$(cat "$TEST_DIR/watch1")" "^$A:app/key: rotated, version [0-9]+$" "... printing the event"

watch_bg "$BOB" "$TEST_DIR/watch2" "$A:app/key"
cred_as "$ALICE" unshare app/key --uid "$BOB"
wait_exit "$WATCH_PID" $((3 * TIME_FACTOR))
isnt "$WAIT_RC" running "bob's watch ends within $((3 * TIME_FACTOR))s of the unshare"
like "$(cat "$TEST_DIR/watch2")" "^$A:app/key: (access )?revoked" "... printing that access was revoked"
[ "$WAIT_RC" = running ] && kill "$WATCH_PID" 2>/dev/null
cred_as "$BOB" watch "$A:app/key" --timeout 2
is "$RC" 3 "a new watch of it by bob exits 3"

# The same for a gid grant, and with --json.
cred_as "$ALICE" share app/key --gid "$TEAM" --perm read
watch_bg "$BOB" "$TEST_DIR/watch3" --json "$A:app/key"
cred_as "$ALICE" unshare app/key --gid "$TEAM"
wait_exit "$WATCH_PID" $((3 * TIME_FACTOR))
isnt "$WAIT_RC" running "bob's watch through $TEAM ends at the group's unshare"
is "$(json_get "$(cat "$TEST_DIR/watch3")" event)" revoked "... its JSON event is \"revoked\""

# Revoking one grant leaves a watch another grant still covers.
cred_as "$ALICE" share app/key --uid "$BOB" --perm read
cred_as "$ALICE" share app/key --gid "$TEAM" --perm read
watch_bg "$BOB" "$TEST_DIR/watch4" "$A:app/key"
cred_as "$ALICE" unshare app/key --uid "$BOB"
sleep 0.5
ok "bob's watch goes on after his uid grant is revoked (the group's remains)" proc_alive "$WATCH_PID"
for i in 1 2 3 4 5; do
	cred_as "$ALICE" rotate app/key --generate 16
	wait_exit "$WATCH_PID" $((1 * TIME_FACTOR)) && break
done
is "$WAIT_RC" 0 "... and reports alice's rotate"
like "$(cat "$TEST_DIR/watch4")" "rotated" "... as rotated"

values_absent "$(cat "$AGENT_LOG")" "the agent's log holds no value"
ok "the system agent stops cleanly" stop_agent

# ---- user mode: no sharing ----
start_agent
printf 'v' | "$CRED" put a/b 2>/dev/null
run "$CRED" share a/b --uid "$BOB" --perm read
is "$RC" 13 "a user-mode agent: cred share exits 13 (UNSUPPORTED)"
like "$ERR" "^cred: share: a/b: .*system" "... saying sharing needs the system agent"
run "$CRED" unshare a/b --uid "$BOB"
is "$RC" 13 "cred unshare exits 13 too"
run "$CRED" --json share a/b --gid "$TEAM" --perm write
is "$(json_get "$ERR" error.status)" UNSUPPORTED "--json: the error's status is UNSUPPORTED"

done_testing
