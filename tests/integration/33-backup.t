#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred backup and credagentd --restore: the file, what it holds (and does
# not), restoring into an empty directory (and refusing anything else), a
# restored store opened by the keyfile or a passphrase, compaction, gets
# served while a backup runs, and a backup taken under a write load holding
# every write acknowledged before it started.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
B=$TEST_DIR/backups
mkdir -p "$V" "$B"
PASS='backup passphrase'

# Does FILE contain the bytes of NEEDLE-FILE?
contains_file() { # FILE NEEDLE-FILE
	perl -e 'local $/; open(my $h, "<", $ARGV[0]) or exit 2; my $hay = <$h>;
		open(my $n, "<", $ARGV[1]) or exit 2; my $needle = <$n>;
		exit(index($hay, $needle) >= 0 ? 0 : 1)' "$1" "$2"
}
lacks_file() { ! contains_file "$@"; }

ls_names() {
	local out
	out=$("$CRED" --json ls "$@" 2>/dev/null) || {
		echo "ls-failed"
		return
	}
	printf '%s' "$out" | perl -MJSON::PP -e \
		'print join " ", sort map { $_->{name} } @{decode_json(do { local $/; <STDIN> })}'
}

# A restore with credagentd --restore FILE -d DIR (RC OUT ERR as run).
restore() {
	RUN_TIMEOUT=$((10 * TIME_FACTOR)) run "$CREDAGENTD" --restore "$1" -d "$2"
	san_said
}

# ---- a keyfile store ----
start_agent --kdf min
src_state=$AGENT_STATE
src_sock=$AGENT_SOCK
printf 'bk-a %s\n' "$(random_token 24)" >"$V/a"
printf 'bk-b1\000\377%s' "$(random_token 24)" >"$V/b1"
printf 'bk-b2 %s' "$(random_token 24)" >"$V/b2"
printf 'bk-lab %s' "$(random_token 24)" >"$V/lab"
printf 'bk-del %s' "$(random_token 24)" >"$V/del"
printf 'bk-dis %s' "$(random_token 24)" >"$V/dis"
{
	"$CRED" put b/a --from-file "$V/a" &&
		"$CRED" put b/b --from-file "$V/b1" &&
		"$CRED" put b/b --from-file "$V/b2" &&
		"$CRED" put b/lab --label env=prod --from-file "$V/lab" &&
		"$CRED" put b/del --from-file "$V/del" &&
		"$CRED" rm b/del &&
		"$CRED" put b/dis --from-file "$V/dis" &&
		"$CRED" disable b/dis
} 2>/dev/null || bail "the secrets are stored"

run "$CRED" backup "$B/one.bak"
is "$RC" 0 "backup exits 0"
size=$(stat -c %s "$B/one.bak" 2>/dev/null)
is "$ERR" "backup written to $B/one.bak ($size bytes)" "... saying where and how many bytes"
is "$OUT" "" "... nothing on stdout"
is "$(mode_of "$B/one.bak")" 600 "the backup file is 0600"
cmp_ok "${size:-0}" -gt 0 "... and not empty"
like "$(cat "$AGENT_LOG")" "backup of $size bytes written" "the agent logs the backup"
run "$CRED" --json backup "$B/two.bak"
is "$RC" 0 "backup --json exits 0"
is "$(json_get "$OUT" file)" "$B/two.bak" "... prints the file"
is "$(json_get "$OUT" bytes)" "$(stat -c %s "$B/two.bak")" "... and its size"

one_sha=$(sha_of "$B/one.bak")
run "$CRED" backup "$B/one.bak"
isnt "$RC" 0 "backup onto an existing file fails"
like "$ERR" "exists" "... saying it exists"
is "$(sha_of "$B/one.bak")" "$one_sha" "... and leaves the file as it was"
ln -s "$B/elsewhere" "$B/dangling"
run "$CRED" backup "$B/dangling"
isnt "$RC" 0 "backup onto a dangling symbolic link fails"
ok "... and creates nothing where it points" test ! -e "$B/elsewhere"
run "$CRED" backup "$B/no/such/dir.bak"
isnt "$RC" 0 "backup into a missing directory fails"
run "$CRED" backup
is "$RC" 2 "backup without FILE exits 2"

# What a backup holds: sealed values, no keyfile.
for f in a b1 b2 lab; do
	ok "the backup does not hold the value of $f in plain text" lacks_file "$B/one.bak" "$V/$f"
done
ok "the backup does not hold the keyfile's bytes" lacks_file "$B/one.bak" "$src_state/credagent.key"

# ---- restore ----
new=$(mktemp -d "$TEST_DIR/new.XXXXXX")
restore "$B/one.bak" "$new/state"
is "$RC" 0 "--restore into a new directory exits 0"
like "$ERR" "keyfile" "... and says the keyfile is not in the backup"
is "$(mode_of "$new/state")" 700 "the restored state directory is 0700"
is "$(mode_of "$new/state/data.mdb")" 600 "the restored data.mdb is 0600"
ok "no keyfile is made in the restored directory" test ! -e "$new/state/credagent.key"
ok "no socket is made" test ! -e "$new/sock"
new_sha=$(sha_of "$new/state/data.mdb")

restore "$B/two.bak" "$new/state"
isnt "$RC" 0 "--restore into a directory that holds a store fails"
like "$ERR" "already" "... saying a store is there"
is "$(sha_of "$new/state/data.mdb")" "$new_sha" "... and leaves it as it was"
restore "$B/two.bak" "$src_state"
isnt "$RC" 0 "--restore into the running agent's directory fails"
get_is "$V/a" "... and the agent still serves" b/a
restore "$B/missing.bak" "$TEST_DIR/r-missing/state"
isnt "$RC" 0 "--restore of a missing file fails"
head -c 65536 /dev/urandom >"$B/garbage"
restore "$B/garbage" "$TEST_DIR/r-garbage/state"
isnt "$RC" 0 "--restore of random bytes fails"
like "$ERR" "not a credagent backup" "... saying it is not a backup"
ok "... leaving no data.mdb" test ! -e "$TEST_DIR/r-garbage/state/data.mdb"
printf 'hello\n' >"$B/text"
restore "$B/text" "$TEST_DIR/r-text/state"
isnt "$RC" 0 "--restore of a text file fails"
ok "... leaving no data.mdb" test ! -e "$TEST_DIR/r-text/state/data.mdb"
head -c $((size / 2)) "$B/one.bak" >"$B/truncated"
restore "$B/truncated" "$TEST_DIR/r-trunc/state"
isnt "$RC" 0 "--restore of a backup cut in half fails"
cmp_ok "$RC" -lt 124 "... with an error, not killed by a signal"
like "$ERR" "backup" "... saying what is wrong"
ok "... leaving no data.mdb" test ! -e "$TEST_DIR/r-trunc/state/data.mdb"
ok "... and no lock.mdb" test ! -e "$TEST_DIR/r-trunc/state/lock.mdb"

# The restored store without its keyfile does not open.
RUN_TIMEOUT=$((5 * TIME_FACTOR)) run "$CREDAGENTD" -f -d "$new/state" -s "$new/sock" --kdf min
isnt "$RC" 0 "an agent on the restored store without the keyfile fails to start"
like "$ERR" "keyfile" "... with an error about the keyfile"
ok "... and makes no keyfile" test ! -e "$new/state/credagent.key"

# With the original keyfile (--keyfile) it reads everything.
start_agent --dir "$new" --kdf min --keyfile "$src_state/credagent.key"
is "$(locked_now)" false "the restored store opens with the original keyfile (--keyfile)"
get_is "$V/a" "restored: b/a reads" b/a
get_is "$V/b1" "restored: b/b version 1 reads" b/b --version 1
get_is "$V/b2" "restored: b/b reads" b/b
get_is "$V/lab" "restored: b/lab reads" b/lab
run "$CRED" --json info b/lab
is "$(json_get "$OUT" labels.env)" prod "restored: b/lab keeps its label"
run "$CRED" get b/dis
is "$RC" 10 "restored: b/dis is still disabled (exit 10)"
run "$CRED" get b/del
is "$RC" 3 "restored: b/del is still deleted (exit 3)"
is "$(ls_names --deleted)" "b/del" "restored: ls --deleted shows b/del"
run "$CRED" undelete b/del
is "$RC" 0 "restored: b/del can be undeleted"
get_is "$V/del" "... and reads" b/del
is "$(ls_names)" "b/a b/b b/del b/dis b/lab" "restored: ls lists every secret"
# The restored store is a store of its own.
printf 'only-in-restored' >"$V/only"
run "$CRED" put b/only --from-file "$V/only"
is "$RC" 0 "restored: a new secret is stored"
ok "the agent on the restored store stops cleanly" stop_agent
run "$CRED" -s "$src_sock" get b/only
is "$RC" 3 "... and the original store does not have it"
run "$CRED" -s "$src_sock" get b/del
is "$RC" 3 "... nor is b/del undeleted there"
export CRED_SOCK=$src_sock

# A copy of the keyfile in place also opens it.
cp "$src_state/credagent.key" "$new/state/credagent.key"
chmod 0600 "$new/state/credagent.key"
start_agent --dir "$new" --kdf min
get_is "$V/b2" "with the keyfile copied into the restored directory, b/b reads" b/b
get_is "$V/only" "... and b/only" b/only
ok "the agent stops cleanly" stop_agent
export CRED_SOCK=$src_sock

# ---- a passphrase-only store, backed up while locked ----
pdir=$(mktemp -d "$TEST_DIR/pass.XXXXXX")
init_pass_store "$pdir/state" "$PASS"
is "$RC" 0 "a passphrase-only store is made"
start_agent --dir "$pdir" --kdf min
cred_pass "$PASS" unlock
printf 'pp-a %s' "$(random_token 24)" >"$V/pa"
printf 'pp-b %s' "$(random_token 24)" >"$V/pb"
"$CRED" put pp/a --from-file "$V/pa" 2>/dev/null || bail "put pp/a"
"$CRED" put pp/b --from-file "$V/pb" 2>/dev/null || bail "put pp/b"
run "$CRED" lock
run "$CRED" backup "$B/pass.bak"
is "$RC" 0 "backup of a locked passphrase store exits 0"
ok "... it holds no value in plain text" lacks_file "$B/pass.bak" "$V/pa"
ok "the agent stops cleanly" stop_agent
pnew=$(mktemp -d "$TEST_DIR/pnew.XXXXXX")
restore "$B/pass.bak" "$pnew/state"
is "$RC" 0 "--restore of the passphrase store exits 0"
start_agent --dir "$pnew" --kdf min
is "$(locked_now)" true "the restored passphrase store starts locked"
run "$CRED" get pp/a
is "$RC" 5 "... get exits 5"
cred_pass "wrong" unlock
is "$RC" 4 "... a wrong passphrase is refused"
cred_pass "$PASS" unlock
is "$RC" 0 "... its passphrase unlocks it"
get_is "$V/pa" "restored passphrase store: pp/a reads" pp/a
get_is "$V/pb" "restored passphrase store: pp/b reads" pp/b
ok "the agent stops cleanly" stop_agent
export CRED_SOCK=$src_sock

# ---- gets are answered while a large backup runs; compaction ----
head -c 900000 /dev/urandom >"$V/big"
for i in $(seq 1 96); do
	"$CRED" put "big/$i" --from-file "$V/big" 2>/dev/null || bail "put big/$i"
done
poll_start "$TEST_DIR/poll.get" "$CRED" get b/a
t0=$(now)
run "$CRED" backup "$B/big.bak"
t1=$(now)
poll_stop
is "$RC" 0 "a backup of about 90 MB exits 0"
took=$(elapsed "$t0")
note "the backup took about ${took}s; $(stat -c %s "$B/big.bak") bytes"
read -r n _ rcs <<<"$(poll_window "$TEST_DIR/poll.get" "$t0" "$t1")"
# Under valgrind (TIME_FACTOR > 1) each cred process takes most of a
# second to start: one get inside the window and a looser bound.
min_gets=2 bound=0.5
[ "$TIME_FACTOR" -gt 1 ] && min_gets=1 bound=$(awk -v f="$TIME_FACTOR" 'BEGIN { print 0.5 * f }')
cmp_ok "$n" -ge "$min_gets" "gets are answered while the backup runs ($n gets in ${took}s)"
is "$rcs" 0 "... each with the value (exit 0)"
maxo=$(poll_max "$TEST_DIR/poll.get" "$t0" "$t1")
ok "... each within $bound s (slowest ${maxo}s)" fgt "$bound" "$maxo"

for i in $(seq 1 96); do
	"$CRED" purge "big/$i" 2>/dev/null || bail "purge big/$i"
done
run "$CRED" backup "$B/small.bak"
is "$RC" 0 "a backup after purging the large secrets exits 0"
small=$(stat -c %s "$B/small.bak")
data=$(stat -c %s "$src_state/data.mdb")
cmp_ok "$small" -lt $((data / 4)) "... and is compacted ($small bytes; data.mdb $data bytes)"
sdir=$(mktemp -d "$TEST_DIR/small.XXXXXX")
restore "$B/small.bak" "$sdir/state"
is "$RC" 0 "the compacted backup restores"
start_agent --dir "$sdir" --kdf min --keyfile "$src_state/credagent.key"
get_is "$V/b2" "... and b/b reads from it" b/b
run "$CRED" get big/1
is "$RC" 3 "... and the purged big/1 is not in it"
ok "the agent stops cleanly" stop_agent
export CRED_SOCK=$src_sock

# ---- a backup under a concurrent read/write load ----
ACK=$TEST_DIR/ack
: >"$ACK"
(
	for i in $(seq 1 200); do
		tok=$(random_token 16)
		printf 'load-%d-%s' "$i" "$tok" >"$TEST_DIR/load.v"
		if timeout 10 "$CRED" -s "$src_sock" put "load/$i" --from-file "$TEST_DIR/load.v" \
			>/dev/null 2>&1; then
			# Logged only once acknowledged.
			printf '%d %s\n' "$i" "$tok" >>"$ACK"
		else
			echo "put-failed $i" >>"$TEST_DIR/load.err"
		fi
		if [ $((i % 4)) = 0 ]; then
			timeout 10 "$CRED" -s "$src_sock" get "load/$((i / 2))" >/dev/null 2>&1 ||
				echo "get-failed $((i / 2))" >>"$TEST_DIR/load.err"
		fi
	done
) &
load_pid=$!
enough() { [ "$(wc -l <"$ACK")" -ge 90 ]; }
ok "the load has 90 acknowledged writes" wait_for 20 enough
# Every write acknowledged before the backup starts must be in it.
grep -E '^[0-9]+ [A-Za-z0-9]+$' "$ACK" >"$TEST_DIR/ack.before"
run "$CRED" backup "$B/load.bak"
is "$RC" 0 "a backup taken under the load exits 0"
load_done() { ! proc_alive "$load_pid"; }
ok "the load finishes" wait_for 60 load_done
wait "$load_pid" 2>/dev/null
before=$(wc -l <"$TEST_DIR/ack.before")
total=$(wc -l <"$ACK")
is "$(cat "$TEST_DIR/load.err" 2>/dev/null)" "" "every put and get of the load succeeded"
is "$total" 200 "... all 200 puts acknowledged"
note "$before writes acknowledged before the backup started, $total in all"

ldir=$(mktemp -d "$TEST_DIR/load.XXXXXX")
restore "$B/load.bak" "$ldir/state"
is "$RC" 0 "the backup taken under load restores"
start_agent --dir "$ldir" --kdf min --keyfile "$src_state/credagent.key"
missing=""
while read -r i tok; do
	v=$("$CRED" get "load/$i" 2>/dev/null)
	[ "$v" = "load-$i-$tok" ] || missing+=" $i"
done <"$TEST_DIR/ack.before"
is "$missing" "" "every write acknowledged before the backup is in it ($before writes)"
later=0
while read -r i tok; do
	v=$("$CRED" get "load/$i" 2>/dev/null) && [ "$v" = "load-$i-$tok" ] && later=$((later + 1))
done < <(tail -n +$((before + 1)) "$ACK")
note "of the $((total - before)) writes acknowledged after the backup started, $later are in it"
run "$CRED" --json status
cmp_ok "$(json_get "$OUT" secrets)" -ge $((before + 4)) "the restored store counts at least $((before + 4)) secrets (b/a b/b b/lab b/dis and the load)"
get_is "$V/b2" "... and b/b reads from it" b/b
ok "the agent stops cleanly" stop_agent

done_testing
