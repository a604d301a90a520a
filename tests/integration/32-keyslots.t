#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keyslots: keyslot ls / add-passphrase / add-keyfile / rm, passwd --slot,
# which keyfile opens the store after a restart, the systemd credential
# ($CREDENTIALS_DIRECTORY/credagent.key), and other clients served while a
# slow Argon2id runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
K=$TEST_DIR/keys
mkdir -p "$V" "$K"
chmod 0700 "$K"
PA='slot-one passphrase'
PB='slot-two passphrase'
PC='slot-two, changed'
PD='slot-one, changed'

# "0:keyfile,1:passphrase" from cred --json keyslot ls.
slots() {
	local out
	out=$("$CRED" --json keyslot ls 2>/dev/null) || {
		echo "keyslot-ls-failed"
		return
	}
	printf '%s' "$out" | perl -MJSON::PP -e \
		'print join ",", map { "$_->{slot}:$_->{kind}" } @{decode_json(do { local $/; <STDIN> })}'
}

mkkey() { # FILE [BYTES] [MODE]
	head -c "${2:-32}" /dev/urandom >"$1"
	chmod "${3:-0600}" "$1"
}

check_all() { # PREFIX-OF-TEST-NAME
	get_is "$V/a" "$1: k/a reads" k/a
	get_is "$V/b1" "$1: k/b version 1 reads" k/b --version 1
	get_is "$V/b2" "$1: k/b reads" k/b
}

start_agent --kdf min
dir=$AGENT_DIR
state=$AGENT_STATE
printf 'slot-a %s\n' "$(random_token 24)" >"$V/a"
printf 'slot-b1\000%s' "$(random_token 24)" >"$V/b1"
printf 'slot-b2 %s' "$(random_token 24)" >"$V/b2"
"$CRED" put k/a --from-file "$V/a" 2>/dev/null || bail "put k/a"
"$CRED" put k/b --from-file "$V/b1" 2>/dev/null || bail "put k/b"
"$CRED" put k/b --from-file "$V/b2" 2>/dev/null || bail "put k/b again"

# ---- keyslot ls ----
run "$CRED" keyslot ls
is "$RC" 0 "keyslot ls exits 0"
like "$OUT" "^ *SLOT +KIND +CREATED$NL *0 +keyfile +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\$" \
	"... a header and slot 0, the keyfile, with its creation time"
is "$(slots)" "0:keyfile" "keyslot ls --json: slot 0, keyfile"
run "$CRED" --json keyslot ls
ok "... each with slot, kind and created" json_has "$OUT" '[0].slot' '[0].kind' '[0].created'

# ---- add-passphrase ----
cred_pass "$PA" keyslot add-passphrase
is "$RC" 0 "keyslot add-passphrase exits 0"
is "$ERR" "keyslot 1 added (passphrase)" "... saying 'keyslot 1 added (passphrase)'"
cred_pass "$PB" --json keyslot add-passphrase
is "$RC" 0 "keyslot add-passphrase --json exits 0"
is "$(json_get "$OUT" slot) $(json_get "$OUT" kind)" "2 passphrase" "... prints slot 2, passphrase"
run "$CRED" keyslot add-passphrase </dev/null
is "$RC" 2 "keyslot add-passphrase with nothing on stdin exits 2"
cred_pass "" keyslot add-passphrase
is "$RC" 2 "keyslot add-passphrase with an empty line exits 2"
is "$(slots)" "0:keyfile,1:passphrase,2:passphrase" "keyslot ls shows slots 0, 1 and 2"

# ---- add-keyfile ----
mkkey "$K/kf3"
run "$CRED" keyslot add-keyfile "$K/kf3"
is "$RC" 0 "keyslot add-keyfile exits 0"
is "$ERR" "keyslot 3 added (keyfile)" "... saying 'keyslot 3 added (keyfile)'"
mkkey "$K/short" 31
run "$CRED" keyslot add-keyfile "$K/short"
isnt "$RC" 0 "add-keyfile of a 31-byte file fails"
like "$ERR" "32 bytes" "... saying a keyfile is 32 bytes"
mkkey "$K/long" 33
run "$CRED" keyslot add-keyfile "$K/long"
isnt "$RC" 0 "add-keyfile of a 33-byte file fails"
: >"$K/empty"
chmod 0600 "$K/empty"
run "$CRED" keyslot add-keyfile "$K/empty"
isnt "$RC" 0 "add-keyfile of an empty file fails"
run "$CRED" keyslot add-keyfile "$K/missing"
isnt "$RC" 0 "add-keyfile of a missing file fails"
like "$ERR" "missing" "... naming it"
ln -s "$K/kf3" "$K/link"
run "$CRED" keyslot add-keyfile "$K/link"
isnt "$RC" 0 "add-keyfile of a symbolic link fails"
run "$CRED" keyslot add-keyfile "$K"
isnt "$RC" 0 "add-keyfile of a directory fails"
run "$CRED" keyslot add-keyfile
is "$RC" 2 "add-keyfile without FILE exits 2"
# The agent refuses a keyfile others can read (--keyfile): it must not
# take one as a slot either.
mkkey "$K/open" 32 0644
run "$CRED" --json keyslot add-keyfile "$K/open"
isnt "$RC" 0 "add-keyfile of a file others can read (0644) fails"
if [ "$RC" = 0 ]; then
	open_slot=$(json_get "$OUT" slot)
	"$CRED" keyslot rm "$open_slot" >/dev/null 2>&1
fi
mkkey "$K/gread" 32 0640
run "$CRED" --json keyslot add-keyfile "$K/gread"
isnt "$RC" 0 "add-keyfile of a file its group can read (0640) fails"
if [ "$RC" = 0 ]; then
	"$CRED" keyslot rm "$(json_get "$OUT" slot)" >/dev/null 2>&1
fi
is "$(slots)" "0:keyfile,1:passphrase,2:passphrase,3:keyfile" \
	"after the refused files: slots 0 to 3 only"
run "$CRED" keyslot ls
like "$OUT" "$NL *3 +keyfile +[0-9]{4}-" "keyslot ls shows slot 3 as a keyfile"
run "$CRED" keyslot frob
is "$RC" 2 "an unknown keyslot subcommand exits 2"

# ---- every slot unlocks ----
run "$CRED" lock
cred_pass "$PA" unlock
is "$RC" 0 "slot 1's passphrase unlocks"
run "$CRED" lock
cred_pass "$PB" unlock
is "$RC" 0 "slot 2's passphrase unlocks"
run "$CRED" lock
run "$CRED" unlock --keyfile
is "$RC" 0 "the keyfile (slot 0) unlocks"
check_all "unlocked"

# ---- passwd --slot ----
cred_pass "$PB\n$PC" passwd --slot 2
is "$RC" 0 "passwd --slot 2 exits 0"
is "$ERR" "passphrase of keyslot 2 changed" "... saying 'passphrase of keyslot 2 changed'"
cred_pass "$PC\n$PD" passwd --slot 1
is "$RC" 4 "passwd --slot 1 with slot 2's passphrase exits 4"
cred_pass "x\ny" passwd --slot 0
isnt "$RC" 0 "passwd --slot 0 (a keyfile slot) fails"
note "passwd --slot 0: exit $RC, $ERR"
cred_pass "$PA\ny" passwd --slot 9
isnt "$RC" 0 "passwd --slot 9 (no such slot) fails"
run "$CRED" lock
cred_pass "$PB" unlock
is "$RC" 4 "slot 2's old passphrase is refused"
cred_pass "$PC" unlock
is "$RC" 0 "slot 2's new passphrase unlocks"
run "$CRED" lock
cred_pass "$PA" unlock
is "$RC" 0 "slot 1's passphrase is unchanged"
# Without --slot: the slot the old passphrase opens.
cred_pass "$PA\n$PD" --json passwd
is "$RC" 0 "passwd without --slot exits 0"
run "$CRED" lock
cred_pass "$PA" unlock
is "$RC" 4 "... slot 1's old passphrase is refused"
cred_pass "$PD" unlock
is "$RC" 0 "... slot 1's new passphrase unlocks"
run "$CRED" lock
cred_pass "$PC" unlock
is "$RC" 0 "... and slot 2's is unchanged"
is "$(slots)" "0:keyfile,1:passphrase,2:passphrase,3:keyfile" "passwd changes no slot's number or kind"
check_all "after passwd"

# ---- an added keyfile opens the store ----
ok "the agent stops cleanly" stop_agent
start_agent --dir "$dir" --kdf min --keyfile "$K/kf3"
is "$(locked_now)" false "an agent started with --keyfile (slot 3's file) is unlocked"
check_all "--keyfile slot 3"

# ---- rm ----
run "$CRED" keyslot rm 0
is "$RC" 0 "keyslot rm 0 exits 0"
is "$ERR" "keyslot 0 removed" "... saying 'keyslot 0 removed'"
is "$(slots)" "1:passphrase,2:passphrase,3:keyfile" "... and slot 0 is gone"
ok "the agent stops cleanly" stop_agent
ok "the default keyfile is still on disk" test -f "$state/credagent.key"
start_agent --dir "$dir" --kdf min
is "$(locked_now)" true "with slot 0 removed, the default keyfile no longer opens the store: locked"
run "$CRED" get k/a
is "$RC" 5 "... get exits 5"
run "$CRED" unlock --keyfile
isnt "$RC" 0 "... unlock --keyfile fails"
is "$(locked_now)" true "... and it stays locked"
cred_pass "$PD" unlock
is "$RC" 0 "... a passphrase unlocks"
check_all "after rm 0"
ok "the agent stops cleanly" stop_agent

start_agent --dir "$dir" --kdf min --keyfile "$K/kf3"
is "$(locked_now)" false "slot 3's keyfile still opens the store"
run "$CRED" lock
run "$CRED" --json keyslot rm 2
is "$RC" 0 "keyslot rm works while locked"
is "$(json_get "$OUT" slot)" 2 "... --json prints the slot"
is "$(slots)" "1:passphrase,3:keyfile" "... slot 2 is gone"
run "$CRED" unlock --keyfile
is "$RC" 0 "unlock --keyfile re-reads the --keyfile file"
run "$CRED" keyslot rm 3
is "$RC" 0 "keyslot rm 3 (the keyfile slot in use) exits 0"
get_is "$V/a" "... the agent stays unlocked and serves" k/a
run "$CRED" keyslot rm 1
is "$RC" 7 "removing the last keyslot exits 7"
like "$ERR" "^cred: keyslot rm: .*last" "... saying it is the last"
is "$(slots)" "1:passphrase" "... and slot 1 is still there"
run "$CRED" keyslot rm 3
is "$RC" 3 "removing a removed slot exits 3"
run "$CRED" keyslot rm 15
is "$RC" 3 "removing a slot that never was (15) exits 3"
# Past the highest slot number: no such slot (3), or a usage error (2),
# not a malformed request.
run "$CRED" keyslot rm 77
like "$RC" '^[23]$' "keyslot rm 77 (past the highest slot) exits 3 or 2 (got $RC)"
unlike "$ERR" "malformed" "... and does not call the request malformed"
run "$CRED" keyslot rm x
is "$RC" 2 "keyslot rm x exits 2"
run "$CRED" keyslot rm
is "$RC" 2 "keyslot rm without N exits 2"
ok "the agent stops cleanly" stop_agent

# Only a passphrase slot left: locked at start, whatever the keyfile.
start_agent --dir "$dir" --kdf min --keyfile "$K/kf3"
is "$(locked_now)" true "only a passphrase slot left: the agent starts locked (with --keyfile)"
ok "the agent stops cleanly" stop_agent
start_agent --dir "$dir" --kdf min
is "$(locked_now)" true "... and without --keyfile"
cred_pass "$PC" unlock
is "$RC" 4 "... the removed slot's passphrase is refused"
cred_pass "$PD" unlock
is "$RC" 0 "... the remaining passphrase unlocks"
check_all "passphrase only"

# A keyfile added now opens it again.
mkkey "$K/kf-new"
run "$CRED" --json keyslot add-keyfile "$K/kf-new"
is "$RC" 0 "a new keyfile slot is added"
new_slot=$(json_get "$OUT" slot)
is "$(json_get "$OUT" kind)" keyfile "... of kind keyfile"
ok "the agent stops cleanly" stop_agent
start_agent --dir "$dir" --kdf min --keyfile "$K/kf-new"
is "$(locked_now)" false "an agent with the new keyfile (slot $new_slot) is unlocked at start"
check_all "new keyfile"
ok "the agent stops cleanly" stop_agent

# ---- the systemd credential ----
sd=$(mktemp -d "$TEST_DIR/sd.XXXXXX")
mkdir -m 0700 "$sd/creds" "$sd/nocreds"
mkkey "$sd/creds/credagent.key"
export CREDENTIALS_DIRECTORY=$sd/creds
start_agent --dir "$sd" --kdf min
unset CREDENTIALS_DIRECTORY
printf 'sd-value %s' "$(random_token 24)" >"$V/sd"
run "$CRED" put sd/x --from-file "$V/sd"
is "$RC" 0 "an agent with CREDENTIALS_DIRECTORY creates a store and serves"
ok "... and writes no credagent.key into its state directory" test ! -e "$sd/state/credagent.key"
is "$(slots)" "0:keyfile" "... the store has one keyfile slot"
run "$CRED" lock
run "$CRED" unlock --keyfile
is "$RC" 0 "... unlock --keyfile re-reads the credential"
ok "the agent stops cleanly" stop_agent
sd_sha=$(sha_of "$sd/state/data.mdb")

export CREDENTIALS_DIRECTORY=$sd/creds
start_agent --dir "$sd" --kdf min
unset CREDENTIALS_DIRECTORY
get_is "$V/sd" "a restart with the same CREDENTIALS_DIRECTORY reads the secret" sd/x
ok "the agent stops cleanly" stop_agent
sd_sha=$(sha_of "$sd/state/data.mdb")

# systemd may grant the service's user read access to a credential
# through an ACL, which shows as group bits: the agent takes it there,
# and only there.
chmod 0440 "$sd/creds/credagent.key"
export CREDENTIALS_DIRECTORY=$sd/creds
start_agent --dir "$sd" --kdf min
unset CREDENTIALS_DIRECTORY
get_is "$V/sd" "a credential of mode 0440 in CREDENTIALS_DIRECTORY is taken" sd/x
ok "the agent stops cleanly" stop_agent
cp "$sd/creds/credagent.key" "$TEST_DIR/group.key"
chmod 0440 "$TEST_DIR/group.key"
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$sd/state" -s "$sd/sock" --kdf min \
	--keyfile "$TEST_DIR/group.key"
isnt "$RC" 0 "the same file elsewhere (--keyfile, mode 0440) is refused"
like "$ERR" "readable by others" "... as readable by others"
chmod 0400 "$sd/creds/credagent.key"
sd_sha=$(sha_of "$sd/state/data.mdb")

RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$sd/state" -s "$sd/sock" --kdf min
isnt "$RC" 0 "a restart without CREDENTIALS_DIRECTORY fails"
isnt "$RC" 124 "... at once"
like "$ERR" "keyfile" "... with an error about the keyfile"
ok "... and leaves no socket" test ! -e "$sd/sock"
ok "... and creates no keyfile" test ! -e "$sd/state/credagent.key"
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run env CREDENTIALS_DIRECTORY="$sd/nocreds" \
	"$CREDAGENTD" -f -d "$sd/state" -s "$sd/sock" --kdf min
isnt "$RC" 0 "a CREDENTIALS_DIRECTORY without credagent.key: the start fails"
like "$ERR" "keyfile" "... with an error about the keyfile"
mkkey "$sd/nocreds/credagent.key"
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run env CREDENTIALS_DIRECTORY="$sd/nocreds" \
	"$CREDAGENTD" -f -d "$sd/state" -s "$sd/sock" --kdf min
isnt "$RC" 0 "a wrong credagent.key in CREDENTIALS_DIRECTORY: the start fails"
like "$ERR" "keyfile" "... with an error about the keyfile"
is "$(sha_of "$sd/state/data.mdb")" "$sd_sha" "after the refused starts data.mdb is unchanged"

# ---- slow Argon2id: other clients are served meanwhile ----
# Limits high enough that one derivation takes seconds, so a blocked event
# loop would show; KEYS_SLOW_KDF may pick another level.
slow=${KEYS_SLOW_KDF:-sensitive}
start_agent --kdf "$slow"
printf 'slow-%s' "$(random_token 24)" >"$V/slow"
"$CRED" put slow/x --from-file "$V/slow" 2>/dev/null || bail "put slow/x"
poll_start "$TEST_DIR/poll.get" "$CRED" get slow/x
t0=$(now)
cred_pass "slow passphrase" keyslot add-passphrase
t1=$(now)
poll_stop
is "$RC" 0 "keyslot add-passphrase under --kdf $slow exits 0"
took=$(elapsed "$t0")
note "add-passphrase under --kdf $slow took about ${took}s"
read -r n _ rcs <<<"$(poll_window "$TEST_DIR/poll.get" "$t0" "$t1")"
cmp_ok "$n" -ge 3 "gets are answered while Argon2id runs for add-passphrase ($n gets)"
is "$rcs" 0 "... each with the value (exit 0)"
maxo=$(poll_max "$TEST_DIR/poll.get" "$t0" "$t1")
ok "... each within $((2 * TIME_FACTOR)) s, far below one Argon2id run (slowest ${maxo}s)" \
	fgt $((2 * TIME_FACTOR)) "$maxo"

run "$CRED" lock
poll_start "$TEST_DIR/poll.status" "$CRED" status
t0=$(now)
cred_pass "slow passphrase" unlock
t1=$(now)
poll_stop
is "$RC" 0 "unlock of the $slow slot exits 0"
note "the unlock took about $(elapsed "$t0")s"
read -r n _ rcs <<<"$(poll_window "$TEST_DIR/poll.status" "$t0" "$t1")"
cmp_ok "$n" -ge 3 "status is answered while the unlock's Argon2id runs ($n calls)"
is "$rcs" 0 "... each exiting 0"
maxo=$(poll_max "$TEST_DIR/poll.status" "$t0" "$t1")
ok "... each within $((2 * TIME_FACTOR)) s, far below one Argon2id run (slowest ${maxo}s)" \
	fgt $((2 * TIME_FACTOR)) "$maxo"
get_is "$V/slow" "after the slow unlock the secret reads" slow/x
ok "the agent stops cleanly" stop_agent

done_testing
