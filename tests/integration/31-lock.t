#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lock and unlock of a keyfile store, what a locked agent still answers,
# --lock-timeout, the wrong-passphrase delay off the event loop, locked
# memory, and system mode: only root manages the keys.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"
. "$(dirname "$0")/system-lib.sh"

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
mkdir -p "$V"

start_agent --kdf min
dir=$AGENT_DIR
printf 'lock-a %s\n' "$(random_token 24)" >"$V/a"
printf 'lock-b\001\377 %s' "$(random_token 24)" >"$V/b"
"$CRED" put l/a --from-file "$V/a" 2>/dev/null || bail "put l/a"
"$CRED" put l/b --from-file "$V/b" 2>/dev/null || bail "put l/b"
is "$(locked_now)" false "a keyfile store starts unlocked"

# ---- locked memory ----
if [ "$SAN" = 1 ]; then
	skip "AddressSanitizer stubs mlock: VmLck says nothing under SAN=1"
else
	vmlck=$(awk '/^VmLck:/ { print $2 }' "/proc/$AGENT_PID/status")
	cmp_ok "${vmlck:-0}" -gt 0 "VmLck is above 0 kB while unlocked (${vmlck:-?} kB)"
fi

# ---- lock ----
run "$CRED" lock
is "$RC" 0 "lock exits 0"
is "$ERR" "agent locked" "... saying 'agent locked'"
is "$OUT" "" "... nothing on stdout"
like "$(cat "$AGENT_LOG")" "locked by uid $(id -u)" "the agent logs the lock"
run "$CRED" get l/a
is "$RC" 5 "get while locked exits 5"
is "$OUT" "" "... printing nothing"
like "$ERR" "^cred: get: l/a: .*locked" "... 'cred: get: l/a: ... locked'"
printf 'new' >"$V/new"
run "$CRED" put l/c --from-file "$V/new"
is "$RC" 5 "put while locked exits 5"
run "$CRED" rotate l/a --generate 16
is "$RC" 5 "rotate while locked exits 5"
run "$CRED" rm l/a
is "$RC" 5 "rm while locked exits 5"
run "$CRED" ls
is "$RC" 5 "ls while locked exits 5"
run "$CRED" info l/a
is "$RC" 5 "info while locked exits 5"
printf 'another\n' >"$TEST_DIR/pp"
run "$CRED" keyslot add-passphrase <"$TEST_DIR/pp"
is "$RC" 5 "keyslot add-passphrase while locked exits 5"
# What still works.
run "$CRED" status
is "$RC" 0 "status works while locked"
like "$OUT" "(^|$NL)locked: +yes($NL|\$)" "... locked: yes"
run "$CRED" --json status
is "$(json_get "$OUT" locked)" true "... --json locked true"
run "$CRED" lock
is "$RC" 0 "lock works while locked"
run "$CRED" --json keyslot ls
is "$RC" 0 "keyslot ls works while locked"
is "$(json_get "$OUT" '[0].kind')" keyfile "... slot 0 is the keyfile"
run "$CRED" backup "$TEST_DIR/locked.bak"
is "$RC" 0 "backup works while locked"
# A store with no passphrase slot: any passphrase is wrong.
cred_pass "guess" unlock
is "$RC" 4 "unlock with a passphrase on a keyfile-only store exits 4"
is "$(locked_now)" true "... and it stays locked"

# ---- unlock --keyfile ----
run "$CRED" unlock --keyfile
is "$RC" 0 "unlock --keyfile exits 0"
is "$ERR" "agent unlocked" "... saying 'agent unlocked'"
like "$(cat "$AGENT_LOG")" "unlocked with the keyfile" "the agent logs it"
is "$(locked_now)" false "status says unlocked"
get_is "$V/a" "l/a reads after unlock --keyfile" l/a
get_is "$V/b" "l/b reads after unlock --keyfile" l/b
run "$CRED" unlock --keyfile
is "$RC" 0 "unlock --keyfile of an unlocked agent exits 0"

# unlock --keyfile re-reads the file: with it gone, unlock fails.
run "$CRED" lock
mv "$AGENT_STATE/credagent.key" "$TEST_DIR/key.away"
run "$CRED" unlock --keyfile
isnt "$RC" 0 "unlock --keyfile with the keyfile gone fails"
like "$ERR" "keyfile" "... with a message about the keyfile"
is "$(locked_now)" true "... and the agent stays locked"
head -c 32 /dev/urandom >"$AGENT_STATE/credagent.key"
chmod 0600 "$AGENT_STATE/credagent.key"
run "$CRED" unlock --keyfile
isnt "$RC" 0 "unlock --keyfile with another 32-byte keyfile in its place fails"
is "$(locked_now)" true "... and the agent stays locked"
mv "$TEST_DIR/key.away" "$AGENT_STATE/credagent.key"
run "$CRED" unlock --keyfile
is "$RC" 0 "with the keyfile back, unlock --keyfile works"
get_is "$V/a" "... and l/a reads" l/a

# A restart unlocks a keyfile store again.
run "$CRED" lock
ok "the agent stops cleanly" stop_agent
start_agent --dir "$dir" --kdf min
is "$(locked_now)" false "a locked keyfile store is unlocked after a restart"
get_is "$V/a" "... l/a reads" l/a

# ---- the wrong-passphrase delay does not hold up other clients ----
printf 'pp-%s\n' "$(random_token 12)" >"$TEST_DIR/pp"
run "$CRED" keyslot add-passphrase <"$TEST_DIR/pp"
is "$RC" 0 "a passphrase slot is added"
cred_pass "wrong" unlock
note "unlock with a wrong passphrase on an unlocked agent: exit $RC, $ERR"
is "$(locked_now)" false "a wrong unlock does not lock an unlocked agent"
# A wrong passwd has the same delay, while the agent is unlocked.
poll_start "$TEST_DIR/poll.get" "$CRED" get l/a
t0=$(now)
cred_pass "wrong\nnew-pass" passwd
t1=$(now)
poll_stop
is "$RC" 4 "passwd with a wrong old passphrase exits 4"
ok "... after the delay ($(elapsed "$t0")s)" fgt "$(elapsed "$t0")" 0.9
read -r n _ rcs <<<"$(poll_window "$TEST_DIR/poll.get" "$t0" "$t1")"
cmp_ok "$n" -ge 3 "gets are answered during the wrong passwd's delay ($n gets)"
is "$rcs" 0 "... every one with the value (exit 0)"
maxo=$(poll_max "$TEST_DIR/poll.get" "$t0" "$t1")
ok "... each within 0.5 s (slowest ${maxo}s)" fgt 0.5 "$maxo"

run "$CRED" lock
poll_start "$TEST_DIR/poll.status" "$CRED" status
t0=$(now)
cred_pass "wrong" unlock
t1=$(now)
poll_stop
is "$RC" 4 "a wrong unlock of a locked agent exits 4"
read -r n _ rcs <<<"$(poll_window "$TEST_DIR/poll.status" "$t0" "$t1")"
cmp_ok "$n" -ge 3 "status is answered during the delay ($n calls)"
is "$rcs" 0 "... every one exits 0"
maxo=$(poll_max "$TEST_DIR/poll.status" "$t0" "$t1")
ok "... each within 0.5 s (slowest ${maxo}s)" fgt 0.5 "$maxo"

# Two wrong unlocks at once: both refused, and the right one then works.
printf 'wrong1\n' >"$TEST_DIR/w1"
printf 'wrong2\n' >"$TEST_DIR/w2"
timeout 10 "$CRED" unlock <"$TEST_DIR/w1" >/dev/null 2>&1 &
p1=$!
timeout 10 "$CRED" unlock <"$TEST_DIR/w2" >/dev/null 2>&1 &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
is "$r1 $r2" "4 4" "two concurrent wrong unlocks both exit 4"
is "$(locked_now)" true "after two concurrent wrong unlocks the agent is locked"
run "$CRED" unlock --keyfile
is "$RC" 0 "unlock --keyfile then works"
ok "the agent stops cleanly" stop_agent

# ---- --lock-timeout ----
start_agent --dir "$dir" --kdf min --lock-timeout 2s
is "$(locked_now)" false "with --lock-timeout 2s the agent starts unlocked"
get_is "$V/a" "... and serves" l/a
sleep 1.2
get_is "$V/a" "1.2 s later it still serves" l/a
sleep 1.2
get_is "$V/b" "2.4 s after the start, 1.2 s after the last use, it still serves" l/b
# Requests that need no key (status) are not use.
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 4 ]; do
	"$CRED" status >/dev/null 2>&1
	sleep 0.4
	[ "$(locked_now)" = true ] && break
done
is "$(locked_now)" true "after 2 s without use (status only) it is locked"
note "locked within about $((SECONDS - t0)) s of the last get"
run "$CRED" get l/a
is "$RC" 5 "... get exits 5"
like "$(cat "$AGENT_LOG")" "locked after 2s without use" "the agent logs the auto-lock"
run "$CRED" unlock --keyfile
is "$RC" 0 "unlock --keyfile after the auto-lock exits 0"
get_is "$V/a" "... and l/a reads" l/a
sleep 3.5
run "$CRED" get l/a
is "$RC" 5 "it locks again after another 3.5 s idle"
ok "the agent stops cleanly" stop_agent

# ---- system mode: only root manages keys ----
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v useradd >/dev/null; then
	skip "system mode needs root, setpriv and useradd (uid $(id -u))" 20
	done_testing
fi
sys_setup
start_system_agent --kdf min --admin-group "$ADMINS"
printf 'sys-root-%s' "$(random_token 16)" >"$V/sys"
"$CRED" put r/sys --from-file "$V/sys" 2>/dev/null || bail "root puts r/sys"
put_as "$ALICE" a/own "alice-own-$(random_token 16)"
alice_dir=$TEST_DIR/alice
mkdir -m 0700 "$alice_dir" && chown "$ALICE" "$alice_dir"
head -c 32 /dev/urandom >"$alice_dir/key"
chmod 0600 "$alice_dir/key" && chown "$ALICE" "$alice_dir/key"
printf 'alice-pass\n' >"$alice_dir/pass"
printf 'alice-pass\nnew-pass\n' >"$alice_dir/pass2"
chown "$ALICE" "$alice_dir/pass" "$alice_dir/pass2"

for who in "$ALICE" "$CAROL"; do
	cred_as "$who" lock
	is "$RC" 4 "system mode: $who's lock exits 4 (DENIED)"
	[ "$who" = "$CAROL" ] && continue
	like "$ERR" "root" "... saying only root may"
done
is "$(locked_now)" false "... and the agent is still unlocked"
run "$AS" "$ALICE" "$CRED" unlock --keyfile
is "$RC" 4 "system mode: alice's unlock --keyfile exits 4"
run "$AS" "$ALICE" sh -c "\"\$0\" unlock <'$alice_dir/pass'" "$CRED"
is "$RC" 4 "system mode: alice's unlock with a passphrase exits 4"
run "$AS" "$ALICE" sh -c "\"\$0\" passwd <'$alice_dir/pass2'" "$CRED"
is "$RC" 4 "system mode: alice's passwd exits 4"
cred_as "$ALICE" keyslot ls
is "$RC" 4 "system mode: alice's keyslot ls exits 4"
run "$AS" "$ALICE" sh -c "\"\$0\" keyslot add-passphrase <'$alice_dir/pass'" "$CRED"
is "$RC" 4 "system mode: alice's keyslot add-passphrase exits 4"
cred_as "$ALICE" keyslot add-keyfile "$alice_dir/key"
is "$RC" 4 "system mode: alice's keyslot add-keyfile exits 4"
cred_as "$ALICE" keyslot rm 0
is "$RC" 4 "system mode: alice's keyslot rm 0 exits 4"
cred_as "$CAROL" keyslot rm 0
is "$RC" 4 "system mode: carol's (admin group) keyslot rm 0 exits 4"
cred_as "$ALICE" backup "$alice_dir/bak"
is "$RC" 4 "system mode: alice's backup exits 4"
ok "... and leaves no file behind" test ! -e "$alice_dir/bak"
run "$CRED" --json keyslot ls
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print join ",", map { "$_->{slot}:$_->{kind}" } @{decode_json(<STDIN>)}')" \
	"0:keyfile" "after all that root's keyslot ls shows slot 0 (keyfile) only"
cred_as "$ALICE" get a/own
is "$RC" 0 "alice still reads her own secret"
# Root may.
run "$CRED" lock
is "$RC" 0 "system mode: root's lock exits 0"
cred_as "$ALICE" get a/own
is "$RC" 5 "... and alice's get then exits 5"
run "$CRED" unlock --keyfile
is "$RC" 0 "system mode: root's unlock --keyfile exits 0"
get_is "$V/sys" "... and root's secret reads" r/sys

done_testing
