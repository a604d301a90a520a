#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred rekey [--reseal]: a new vault-key generation, every DEK rewrapped
# (with --reseal every value re-encrypted), the old generation destroyed;
# every version of every secret (binary ones, deleted and disabled ones)
# reads back, also after a restart; the keyfile and a passphrase still
# open the store; a backup taken before a rekey (or during one) restores
# and opens; a rekey killed midway resumes when the agent restarts (or,
# for a passphrase store, once it is unlocked); a lock pauses a running
# rekey and the unlock resumes it; a client that goes away does not stop
# it; gets and puts are served while a rekey runs, and writes made during
# it survive it; a second rekey while one runs exits 7; a locked agent
# refuses it (exit 5).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
B=$TEST_DIR/backups
mkdir -p "$V" "$B"
NS=30 # secrets per set
NV=3  # versions of each
PASS='rekey passphrase'

# make_set SET [N]: the values of N (NS) secrets rk/SET/1..N, NV versions
# each, in $V/SET-I-VER; every third secret is binary (NUL, 0xff, random
# bytes).
make_set() {
	local set=$1 n=${2:-$NS} i v f
	for ((i = 1; i <= n; i++)); do
		for ((v = 1; v <= NV; v++)); do
			f=$V/$set-$i-$v
			if [ $((i % 3)) = 0 ]; then
				{
					printf 'rk-%s-%d-%d\000\377' "$set" "$i" "$v"
					head -c $((16 + i)) /dev/urandom
				} >"$f"
			else
				printf 'rk-%s-%d-%d %s' "$set" "$i" "$v" "$(random_token 20)" >"$f"
			fi
		done
	done
}

# put_set SET [N]: store every version of the set, oldest first.
put_set() {
	local set=$1 n=${2:-$NS} i v
	for ((i = 1; i <= n; i++)); do
		for ((v = 1; v <= NV; v++)); do
			timeout 10 "$CRED" put "rk/$set/$i" --from-file "$V/$set-$i-$v" >/dev/null 2>&1 ||
				bail "put rk/$set/$i (version $v)"
		done
	done
}

# check_set SET NAME [N]: one TAP line: versions 1..NV of every secret of
# the set, and the current value (the newest $V/SET-I-VER), read back
# exactly.
check_set() {
	local set=$1 name=$2 n=${3:-$NS} i v bad="" rc
	for ((i = 1; i <= n; i++)); do
		for ((v = 1; v <= NV; v++)); do
			timeout 10 "$CRED" get "rk/$set/$i" --version "$v" >"$TEST_DIR/got" 2>"$TEST_DIR/got.err"
			rc=$?
			if [ $rc != 0 ]; then
				bad+="${NL}rk/$set/$i version $v: exit $rc: $(head -c 200 "$TEST_DIR/got.err")"
			elif ! cmp -s "$V/$set-$i-$v" "$TEST_DIR/got"; then
				bad+="${NL}rk/$set/$i version $v: another value"
			fi
		done
		# The current value: the newest version written (a test may add one).
		v=$NV
		while [ -e "$V/$set-$i-$((v + 1))" ]; do v=$((v + 1)); done
		timeout 10 "$CRED" get "rk/$set/$i" >"$TEST_DIR/got" 2>/dev/null
		cmp -s "$V/$set-$i-$v" "$TEST_DIR/got" ||
			bad+="${NL}rk/$set/$i (current, version $v): exit or value wrong"
	done
	if [ -z "$bad" ]; then
		pass "$name"
	else
		fail "$name" "    $(printf '%s' "$bad" | grep -c .) reads failed:$(printf '%s' "$bad" | head -12)"
	fi
}

# The agent's log since line N (to see what one run of it said).
log_lines() { wc -l <"$AGENT_LOG"; }
log_since() { tail -n +"$(($1 + 1))" "$AGENT_LOG"; }
log_says() { log_since "$1" | grep -q -- "$2"; }
# Has the agent logged "rekey finished" since line $mark? (for wait_for)
resumed() { log_says "$mark" "rekey finished"; }

# SIGKILL the current agent and reap it (it is no longer stopped at exit).
kill_agent() {
	local pid=$AGENT_PID i
	local -a rest=()
	kill -KILL "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	AGENT_EXIT=$?
	for i in "${AGENT_PIDS[@]}"; do
		[ "$i" = "$pid" ] || rest+=("$i")
	done
	AGENT_PIDS=("${rest[@]}")
}

# cred rekey ARGS in the background: its exit status lands in $TEST_DIR/rk.rc
# (empty until then), its stderr in $TEST_DIR/rk.err; RK_CRED is the cred
# process itself (no timeout in between, so a test can kill the client;
# rk_wait bounds it instead, and it is killed at exit if still there).
rk_start() {
	: >"$TEST_DIR/rk.rc"
	: >"$TEST_DIR/rk.pid"
	(
		"$CRED" rekey "$@" >"$TEST_DIR/rk.out" 2>"$TEST_DIR/rk.err" &
		echo $! >"$TEST_DIR/rk.pid"
		wait $!
		echo $? >"$TEST_DIR/rk.rc"
	) 2>/dev/null &
	RK_PID=$!
	while [ ! -s "$TEST_DIR/rk.pid" ]; do sleep 0.01; done
	RK_CRED=$(cat "$TEST_DIR/rk.pid")
	track_pid "$RK_CRED"
}
rk_done() { [ -s "$TEST_DIR/rk.rc" ]; }
rk_running() { ! rk_done; }
rk_wait() { # SECS: wait for the background rekey; sets RK_RC ("none" if it hung)
	if wait_for "$1" rk_done; then
		RK_RC=$(cat "$TEST_DIR/rk.rc")
	else
		RK_RC=none
		kill -KILL "$RK_CRED" 2>/dev/null
	fi
	wait "$RK_PID" 2>/dev/null
}

# ---- the store seen by mdb_dump (read-only; skipped without it) ----
MDB_DUMP=$(command -v mdb_dump || true)
# "KEYHEX VALUEHEX" per record of database DB of STATE.
mdb_pairs() { # STATE DB
	"$MDB_DUMP" -s "$2" "$1" 2>/dev/null | perl -ne '
if (/^HEADER=END/) { $in = 1; next } last if /^DATA=END/; next unless $in;
chomp; s/^ //; if (defined $k) { print "$k $_\n"; undef $k } else { $k = $_ }'
}
# The vault-key generations the store holds: "1 2".
vk_gens() {
	mdb_pairs "$1" sys | perl -ane '$n = pack("H*", $F[0]); print "$1\n" if $n =~ m{^vk/(\d+)$}' |
		sort -n | paste -sd' '
}
# Is the rekey progress record there?
rekey_record() { mdb_pairs "$1" sys | grep -q '^72656b6579 '; }
no_rekey_record() { ! rekey_record "$1"; }
# "GEN:COUNT ..." of the sealed values: the generation that wraps each DEK
# (a sealed value is u8 format | u32 generation | wrapped DEK | ...).
blob_gens() {
	mdb_pairs "$1" blob | perl -ane '$g{hex substr($F[1], 2, 8)}++;
END { print join(" ", map { "$_:$g{$_}" } sort { $a <=> $b } keys %g), "\n" }'
}
# "KEYHEX TAGHEX" per sealed value: its last 16 bytes (the AEAD tag of the
# value's ciphertext: kept by a rewrap, new after a reseal).
blob_tails() { mdb_pairs "$1" blob | perl -ane 'print "$F[0] ", substr($F[1], -32), "\n"'; }

# After a rekey that finished since line MARK of the agent's log: it logged
# generation OLD destroyed, and its last "rekey started" (that run's or,
# for a resumed rekey, an earlier one's) OLD replaced by NEW; the store
# holds only NEW, every sealed value is on it, no progress record remains.
check_rekeyed() { # STATE MARK NAME
	local state=$1 mark=$2 name=$3 s f old new destroyed
	s=$(grep -oE 'rekey started: vault key generation [0-9]+ replaces [0-9]+' "$AGENT_LOG" | tail -1)
	f=$(log_since "$mark" | grep -oE 'rekey finished: vault key generation [0-9]+ destroyed' | tail -1)
	new=$(sed -E 's/.*generation ([0-9]+) replaces.*/\1/' <<<"$s")
	old=${s##* }
	destroyed=$(sed -E 's/.*generation ([0-9]+) destroyed/\1/' <<<"$f")
	if [ -n "$s" ] && [ -n "$f" ] && [ "$destroyed" = "$old" ] && [ "$new" -gt "$old" ]; then
		pass "$name: the agent logs generation $old replaced by $new, then $old destroyed"
	else
		fail "$name: the agent logs the old generation replaced, then destroyed" \
			"    started: '$s'" "    finished (since line $mark): '$f'"
	fi
	if [ -z "$MDB_DUMP" ]; then
		skip "mdb_dump is not installed: the store is not inspected" 3
		return
	fi
	is "$(vk_gens "$state")" "$new" "... the store holds vault key generation ${new:-?} only"
	like "$(blob_gens "$state")" "^($new:[0-9]+)?\$" "... every sealed value's DEK is wrapped by it"
	ok "... and no rekey progress record remains" no_rekey_record "$state"
}

# ==== usage ====
start_agent --kdf min
A_DIR=$AGENT_DIR
A_STATE=$AGENT_STATE
A_SOCK=$AGENT_SOCK
run "$CRED" rekey --bogus
is "$RC" 2 "rekey with an unknown option exits 2"
run "$CRED" rekey extra
is "$RC" 2 "rekey with an operand exits 2"
run "$CRED" rekey --help
is "$RC" 0 "rekey --help exits 0"
like "$OUT$ERR" "reseal" "... and mentions --reseal"

# ==== an empty store ====
mark=$(log_lines)
run "$CRED" rekey
is "$RC" 0 "rekey of an empty store exits 0"
is "$ERR" "rekey done" "... saying 'rekey done'"
check_rekeyed "$A_STATE" "$mark" "empty store"

# ==== (a) rekey ====
make_set a
put_set a
printf 'rk-del %s' "$(random_token 24)" >"$V/del"
printf 'rk-dis\000\377%s' "$(random_token 24)" >"$V/dis"
{
	"$CRED" put rk/del --from-file "$V/del" &&
		"$CRED" rm rk/del &&
		"$CRED" put rk/dis --from-file "$V/dis" &&
		"$CRED" disable rk/dis
} >/dev/null 2>&1 || bail "the deleted and disabled secrets are stored"
cred_pass "$PASS" keyslot add-passphrase
is "$RC" 0 "a passphrase slot is added"
check_set a "before the rekey, all $((NS * NV)) versions of set a read back"

run "$CRED" backup "$B/pre.bak"
is "$RC" 0 "a backup is taken before the rekey"
install -m 0600 "$A_STATE/credagent.key" "$TEST_DIR/orig.key"

[ -n "$MDB_DUMP" ] && blob_tails "$A_STATE" >"$TEST_DIR/tails.0"
mark=$(log_lines)
RUN_TIMEOUT=$((20 * TIME_FACTOR)) run "$CRED" rekey
is "$RC" 0 "rekey exits 0"
is "$ERR" "rekey done" "... saying 'rekey done'"
is "$OUT" "" "... nothing on stdout"
check_rekeyed "$A_STATE" "$mark" "rekey"
if [ -n "$MDB_DUMP" ]; then
	blob_tails "$A_STATE" >"$TEST_DIR/tails.1"
	cmp_ok "$(wc -l <"$TEST_DIR/tails.1")" -eq $((NS * NV + 2)) "... the store holds $((NS * NV + 2)) sealed values"
	ok "... each with its ciphertext unchanged (a rewrap, not a reseal)" \
		cmp "$TEST_DIR/tails.0" "$TEST_DIR/tails.1"
else
	skip "mdb_dump is not installed: the store is not inspected" 2
fi
ok "the keyfile is left as it was" cmp "$TEST_DIR/orig.key" "$A_STATE/credagent.key"
check_set a "after the rekey, every version of every secret reads back"
run "$CRED" --json rekey
is "$RC" 0 "rekey --json exits 0 (a second rekey after the first finished)"
is "$(json_get "$OUT" reseal)" false "... printing {\"reseal\": false}"
check_set a "after a second rekey, every version reads back"
ok "the agent stops cleanly" stop_agent
start_agent --dir "$A_DIR" --kdf min
is "$(locked_now)" false "after a restart the keyfile opens the rekeyed store"
check_set a "after the restart, every version of every secret reads back"
run "$CRED" get rk/dis
is "$RC" 10 "the disabled secret is still disabled (exit 10)"
run "$CRED" enable rk/dis
get_is "$V/dis" "... and once enabled reads back" rk/dis
run "$CRED" get rk/del
is "$RC" 3 "the deleted secret is still deleted (exit 3)"
run "$CRED" undelete rk/del
get_is "$V/del" "... and once undeleted reads back" rk/del

# ==== (e) locked ====
run "$CRED" lock
is "$RC" 0 "lock exits 0"
run "$CRED" rekey
is "$RC" 5 "rekey while locked exits 5"
like "$ERR" "locked" "... saying the agent is locked"
run "$CRED" rekey --reseal
is "$RC" 5 "rekey --reseal while locked exits 5"
is "$(locked_now)" true "... and the agent stays locked"
# The passphrase slot was made before the rekeys: it opens the new key too.
cred_pass "$PASS" unlock
is "$RC" 0 "the passphrase added before the rekeys unlocks the store"
check_set a "... and every version reads back"
run "$CRED" lock
run "$CRED" unlock --keyfile
is "$RC" 0 "unlock --keyfile exits 0"
run "$CRED" rekey
is "$RC" 0 "rekey after the unlock exits 0"
check_set a "... and every version reads back"

# ==== (b) rekey --reseal ====
make_set b
put_set b
# Two large versions (near the frame limit) too.
head -c 900000 /dev/urandom >"$V/big-1"
head -c 900000 /dev/urandom >"$V/big-2"
for v in 1 2; do
	"$CRED" put rk/big --from-file "$V/big-$v" >/dev/null 2>&1 || bail "put rk/big (version $v)"
done
[ -n "$MDB_DUMP" ] && blob_tails "$A_STATE" >"$TEST_DIR/tails.2"
mark=$(log_lines)
RUN_TIMEOUT=$((20 * TIME_FACTOR)) run "$CRED" rekey --reseal
is "$RC" 0 "rekey --reseal exits 0"
is "$ERR" "rekey done (values re-encrypted)" "... saying 'rekey done (values re-encrypted)'"
like "$(log_since "$mark")" "rekey started: .*values re-encrypted" "the agent logs a reseal"
check_rekeyed "$A_STATE" "$mark" "rekey --reseal"
if [ -n "$MDB_DUMP" ]; then
	blob_tails "$A_STATE" >"$TEST_DIR/tails.3"
	cmp_ok "$(wc -l <"$TEST_DIR/tails.3")" -eq $((2 * NS * NV + 4)) \
		"... the store holds $((2 * NS * NV + 4)) sealed values"
	same=$(comm -12 "$TEST_DIR/tails.2" "$TEST_DIR/tails.3" | wc -l)
	is "$same" 0 "... every one of them re-encrypted (no ciphertext kept)"
else
	skip "mdb_dump is not installed: the store is not inspected" 2
fi
check_set a "after rekey --reseal, every version of set a (older generations) reads back"
check_set b "... and of set b (written after the rekeys)"
get_is "$V/dis" "... and the formerly disabled secret" rk/dis
get_is "$V/del" "... and the formerly deleted one" rk/del
get_is "$V/big-1" "... and the large rk/big version 1" rk/big --version 1
get_is "$V/big-2" "... and version 2" rk/big
run "$CRED" --json rekey --reseal
is "$RC" 0 "rekey --reseal --json exits 0"
is "$(json_get "$OUT" reseal)" true "... printing {\"reseal\": true}"
ok "the agent stops cleanly" stop_agent
start_agent --dir "$A_DIR" --kdf min
check_set a "after a restart, every version of set a reads back"
check_set b "... and of set b"
get_is "$V/big-1" "... and rk/big version 1" rk/big --version 1
run "$CRED" lock
cred_pass "$PASS" unlock
is "$RC" 0 "after the reseal and a restart, the passphrase still unlocks"
check_set b "... and set b reads back"
run "$CRED" backup "$B/post.bak"
is "$RC" 0 "a backup is taken after the reseal"

# ==== (c) a backup taken before the rekeys ====
cdir=$(mktemp -d "$TEST_DIR/pre.XXXXXX")
RUN_TIMEOUT=$((10 * TIME_FACTOR)) run "$CREDAGENTD" --restore "$B/pre.bak" -d "$cdir/state"
san_said
is "$RC" 0 "the backup taken before the rekey restores"
start_agent --dir "$cdir" --kdf min --keyfile "$TEST_DIR/orig.key"
is "$(locked_now)" false "... and opens with the original keyfile (--keyfile)"
check_set a "... and every version of every secret reads back"
run "$CRED" get rk/dis
is "$RC" 10 "... the disabled secret is still disabled there (exit 10)"
run "$CRED" get rk/b/1
is "$RC" 3 "... and set b, written later, is not there (exit 3)"
run "$CRED" lock
cred_pass "$PASS" unlock
is "$RC" 0 "... and its passphrase slot unlocks it"
run "$CRED" rekey
is "$RC" 0 "... and the restored store rekeys (exit 0)"
check_set a "... after which every version still reads back"
ok "the agent stops cleanly" stop_agent
pdir=$(mktemp -d "$TEST_DIR/post.XXXXXX")
RUN_TIMEOUT=$((10 * TIME_FACTOR)) run "$CREDAGENTD" --restore "$B/post.bak" -d "$pdir/state"
san_said
is "$RC" 0 "the backup taken after the reseal restores"
start_agent --dir "$pdir" --kdf min --keyfile "$A_STATE/credagent.key"
is "$(locked_now)" false "... and opens with the store's keyfile"
check_set a "... and set a reads back from it"
check_set b "... and set b"
ok "the agent stops cleanly" stop_agent
export CRED_SOCK=$A_SOCK
ok "the agent of the rekeyed store stops cleanly" stop_agent

# ==== (d) a rekey killed midway resumes on restart ====
start_agent --kdf min --test-rekey-batch 2 --test-rekey-pause 200
D_DIR=$AGENT_DIR
D_STATE=$AGENT_STATE
make_set d
put_set d
t0=$(now)
rk_start
poll_start "$TEST_DIR/poll.get" "$CRED" get rk/d/1
sleep 0.2
run "$CRED" rekey
is "$RC" 7 "a second rekey while one runs exits 7"
like "$ERR" "already running" "... saying a rekey is already running"
run "$CRED" rekey --reseal
is "$RC" 7 "... so does a rekey --reseal"
printf 'rk-during %s' "$(random_token 20)" >"$V/during"
run "$CRED" put rk/during --from-file "$V/during"
is "$RC" 0 "a put during the rekey exits 0"
run "$CRED" backup "$B/mid.bak"
is "$RC" 0 "a backup during the rekey exits 0"
sleep 0.2
t1=$(now)
poll_stop
read -r n _ rcs <<<"$(poll_window "$TEST_DIR/poll.get" "$t0" "$t1")"
cmp_ok "$n" -ge 2 "gets are answered while the rekey runs ($n gets)"
is "$rcs" 0 "... each with the value (exit 0)"
maxo=$(poll_max "$TEST_DIR/poll.get" "$t0" "$t1")
ok "... each within 0.5 s (slowest ${maxo}s)" fgt 0.5 "$maxo"
ok "the rekey is still running after 0.5 s" rk_running
unlike "$(cat "$AGENT_LOG")" "rekey finished" "... and the agent has not logged 'rekey finished'"
kill_agent
note "the agent was killed (status $AGENT_EXIT) midway through the rekey"
rk_wait 5
is "$RK_RC" 1 "the interrupted cred rekey exits 1 (the agent went away)"
note "it said: $(cat -v "$TEST_DIR/rk.err")"
if [ -n "$MDB_DUMP" ]; then
	# Truly midway: both generations, the progress record, values on each.
	like "$(vk_gens "$D_STATE")" "^[0-9]+ [0-9]+\$" "the killed store holds two vault key generations"
	ok "... and the rekey progress record" rekey_record "$D_STATE"
	like "$(blob_gens "$D_STATE")" "^[0-9]+:[0-9]+ [0-9]+:[0-9]+\$" \
		"... and sealed values on both ($(blob_gens "$D_STATE"))"
else
	skip "mdb_dump is not installed: the store is not inspected" 3
fi

mark=$(log_lines)
start_agent --dir "$D_DIR" --kdf min
ok "after the restart, the agent logs 'rekey finished' within 10 s" wait_for 10 resumed
like "$(log_since "$mark")" "rekey resumed" "... having logged 'rekey resumed'"
check_rekeyed "$D_STATE" "$mark" "resumed rekey"
check_set d "after the resumed rekey, every version of every secret reads back"
get_is "$V/during" "... and so does the secret put during the rekey" rk/during
mark=$(log_lines)
ok "the agent stops cleanly" stop_agent
start_agent --dir "$D_DIR" --kdf min
unlike "$(log_since "$mark")" "rekey resumed" "a further restart resumes no rekey"
check_set d "... and every version reads back"
run "$CRED" rekey
is "$RC" 0 "a new rekey after the resumed one exits 0"
check_set d "... and every version reads back"
ok "the agent stops cleanly" stop_agent

# The backup taken during the rekey: restored, it finishes that rekey.
mdir=$(mktemp -d "$TEST_DIR/mid.XXXXXX")
RUN_TIMEOUT=$((10 * TIME_FACTOR)) run "$CREDAGENTD" --restore "$B/mid.bak" -d "$mdir/state"
san_said
is "$RC" 0 "the backup taken during the rekey restores"
start_agent --dir "$mdir" --kdf min --keyfile "$D_STATE/credagent.key"
mark=0 # a log of its own
ok "... the agent on it logs 'rekey finished' within 10 s" wait_for 10 resumed
like "$(log_since "$mark")" "rekey resumed" "... having resumed the rekey"
check_set d "... and every version of every secret reads back"
get_is "$V/during" "... and the secret put before the backup" rk/during
ok "the agent stops cleanly" stop_agent

# ==== a lock pauses a running rekey; a client that goes away does not ====
start_agent --dir "$D_DIR" --kdf min --test-rekey-batch 4 --test-rekey-pause 20
mark=$(log_lines)
rk_start
sleep 0.2
ok "the rekey is still running after 0.2 s" rk_running
kill -KILL "$RK_CRED" 2>/dev/null
rk_wait 5
is "$RK_RC" 137 "... when its cred client is killed (SIGKILL: 137)"
ok "with its client gone, the rekey still finishes within 10 s" wait_for 10 resumed
ok "... and the agent runs on" proc_alive "$AGENT_PID"
check_set d "... and every version reads back"

mark=$(log_lines)
rk_start
sleep 0.2
run "$CRED" lock
is "$RC" 0 "lock during a rekey exits 0"
rk_wait 5
is "$RK_RC" 5 "... and the waiting cred rekey exits 5 (locked)"
note "it said: $(cat -v "$TEST_DIR/rk.err")"
unlike "$(log_since "$mark")" "rekey finished" "... the rekey has not finished"
run "$CRED" rekey
is "$RC" 5 "rekey while locked, a rekey paused, exits 5"
mark=$(log_lines)
run "$CRED" unlock --keyfile
is "$RC" 0 "unlock --keyfile exits 0"
ok "... the paused rekey finishes within 10 s" wait_for 10 resumed
like "$(log_since "$mark")" "rekey resumed" "... having logged 'rekey resumed'"
check_rekeyed "$D_STATE" "$mark" "rekey paused by a lock"
check_set d "... and every version reads back"
ok "the agent stops cleanly" stop_agent

# ==== writes during a rekey that runs to the end ====
start_agent --dir "$D_DIR" --kdf min --test-rekey-batch 4 --test-rekey-pause 30
mark=$(log_lines)
rk_start --reseal
sleep 0.1
bad=""
wrote=0
for ((i = 1; i <= 10; i++)); do
	rk_done && break
	printf 'rk-w-%d %s' "$i" "$(random_token 20)" >"$V/w-$i"
	timeout 10 "$CRED" put "rk/w/$i" --from-file "$V/w-$i" >/dev/null 2>&1 || bad+=" new:$i"
	# A new version of an existing secret, rewrapped or not yet.
	printf 'rk-d-%d-4 %s' "$i" "$(random_token 20)" >"$V/d-$i-4"
	timeout 10 "$CRED" put "rk/d/$i" --from-file "$V/d-$i-4" >/dev/null 2>&1 || bad+=" d:$i"
	# And a purge, of the secret put in the round before.
	[ "$i" -gt 1 ] && { timeout 10 "$CRED" purge "rk/w/$((i - 1))" >/dev/null 2>&1 || bad+=" purge:$((i - 1))"; }
	wrote=$i
	sleep 0.05
done
note "$wrote rounds of puts were made during the rekey --reseal"
is "$bad" "" "puts and purges during a rekey --reseal succeed"
rk_wait 20
is "$RK_RC" 0 "the rekey --reseal exits 0"
cmp_ok "$wrote" -ge 2 "... after at least 2 rounds of puts had run during it"
check_rekeyed "$D_STATE" "$mark" "rekey with writes"
check_wrote() {
	local i bad=""
	for ((i = 1; i <= wrote; i++)); do
		timeout 10 "$CRED" get "rk/d/$i" --version 4 >"$TEST_DIR/got" 2>/dev/null &&
			cmp -s "$V/d-$i-4" "$TEST_DIR/got" || bad+=" rk/d/$i@4"
	done
	# rk/w/1..wrote-1 were purged again; the last one stays.
	for ((i = 1; i < wrote; i++)); do
		timeout 10 "$CRED" get "rk/w/$i" >/dev/null 2>&1
		[ $? = 3 ] || bad+=" rk/w/$i-not-purged"
	done
	timeout 10 "$CRED" get "rk/w/$wrote" >"$TEST_DIR/got" 2>/dev/null &&
		cmp -s "$V/w-$wrote" "$TEST_DIR/got" || bad+=" rk/w/$wrote"
	is "$bad" "" "$1"
}
check_wrote "every value put during the rekey reads back"
check_set d "... and every older version"
ok "the agent stops cleanly" stop_agent
start_agent --dir "$D_DIR" --kdf min
check_wrote "after a restart, every value put during the rekey reads back"
check_set d "... and every older version"
get_is "$V/during" "... and the secret put during the interrupted rekey" rk/during
ok "the agent stops cleanly" stop_agent

# ==== a passphrase store: a killed rekey --reseal resumes once unlocked ====
P_DIR=$(mktemp -d "$TEST_DIR/pass.XXXXXX")
init_pass_store "$P_DIR/state" "$PASS"
is "$RC" 0 "a passphrase-only store is made"
start_agent --dir "$P_DIR" --kdf min --test-rekey-batch 2 --test-rekey-pause 200
cred_pass "$PASS" unlock
is "$RC" 0 "... and unlocked"
make_set p 10
put_set p 10
[ -n "$MDB_DUMP" ] && blob_tails "$P_DIR/state" >"$TEST_DIR/tails.p"
rk_start --reseal
sleep 0.3
ok "its rekey is still running after 0.3 s" rk_running
kill_agent
rk_wait 5
mark=$(log_lines)
start_agent --dir "$P_DIR" --kdf min
is "$(locked_now)" true "restarted, the store is locked"
sleep 0.3
unlike "$(log_since "$mark")" "rekey resumed" "... and the rekey does not resume while locked"
run "$CRED" rekey
is "$RC" 5 "... a rekey exits 5"
cred_pass "$PASS" unlock
is "$RC" 0 "the passphrase unlocks the half-rekeyed store"
ok "... and the rekey finishes within 10 s" wait_for 10 resumed
like "$(log_since "$mark")" "rekey resumed" "... having logged 'rekey resumed'"
check_rekeyed "$P_DIR/state" "$mark" "passphrase store"
if [ -n "$MDB_DUMP" ]; then
	same=$(blob_tails "$P_DIR/state" | comm -12 "$TEST_DIR/tails.p" - | wc -l)
	is "$same" 0 "... the resumed rekey --reseal re-encrypted every value"
else
	skip "mdb_dump is not installed: the store is not inspected"
fi
check_set p "... and every version reads back" 10
run "$CRED" lock
cred_pass "$PASS" unlock
is "$RC" 0 "after the rekey the passphrase still unlocks"
ok "the agent stops cleanly" stop_agent

# ==== a value that does not open stops the rekey ====
if [ -x "$TOOLS/store-edit" ]; then
	start_agent --kdf min
	T_DIR=$AGENT_DIR
	printf 'rk-t-x %s' "$(random_token 16)" >"$V/tx"
	printf 'rk-t-y %s' "$(random_token 16)" >"$V/ty"
	printf 'rk-t-z %s' "$(random_token 16)" >"$V/tz"
	for n in x y z; do
		"$CRED" put "t/$n" --from-file "$V/t$n" >/dev/null 2>&1 || bail "put t/$n"
	done
	ok "the agent stops cleanly" stop_agent
	# t/x's sealed value over t/y's: t/y no longer opens.
	run "$TOOLS/store-edit" "$AGENT_STATE" move-blob 0 t/x 1 t/y 1
	is "$RC" 0 "store-edit moves t/x's sealed value over t/y's"
	start_agent --dir "$T_DIR" --kdf min
	mark=$(log_lines)
	run "$CRED" rekey
	is "$RC" 1 "a rekey meeting a value that does not open exits 1"
	like "$ERR" "does not open" "... saying a sealed value does not open"
	ok "... the agent runs on" proc_alive "$AGENT_PID"
	get_is "$V/tx" "... t/x still reads" t/x
	get_is "$V/tz" "... and t/z" t/z
	run "$CRED" purge t/y
	is "$RC" 0 "the damaged t/y is purged"
	run "$CRED" rekey
	is "$RC" 0 "cred rekey then takes the stopped rekey up again (exit 0)"
	note "cred rekey said: $ERR (exit $RC)"
	run "$CRED" lock
	run "$CRED" unlock --keyfile
	ok "after a lock and an unlock --keyfile, the rekey finishes within 10 s" wait_for 10 resumed
	check_rekeyed "$AGENT_STATE" "$mark" "rekey after the damaged value was purged"
	get_is "$V/tx" "... t/x reads" t/x
	get_is "$V/tz" "... and t/z" t/z
	ok "the agent stops cleanly" stop_agent
else
	skip "store-edit is not built (make integration builds it)" 17
fi

# ==== system mode: only root rekeys; every user's secrets survive ====
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v useradd >/dev/null; then
	skip "system mode needs root, setpriv and useradd (uid $(id -u))" 12
	done_testing
fi
. "$(dirname "$0")/system-lib.sh"
sys_setup
start_system_agent --kdf min --admin-group "$ADMINS"
S_STATE=$AGENT_STATE
al1="alice-1-$(random_token 16)" al2="alice-2-$(random_token 16)"
bo1="bob-1-$(random_token 16)"
put_as "$ALICE" a/s "$al1"
put_as "$ALICE" a/s "$al2"
put_as "$BOB" b/s "$bo1"
printf 'sys-root-%s' "$(random_token 16)" >"$V/sysroot"
"$CRED" put r/s --from-file "$V/sysroot" 2>/dev/null || bail "root puts r/s"
cred_as "$ALICE" rekey
is "$RC" 4 "system mode: alice's rekey exits 4 (DENIED)"
cred_as "$CAROL" rekey --reseal
is "$RC" 4 "system mode: carol's (admin group) rekey --reseal exits 4"
no_rekey_started() { ! grep -q "rekey started" "$AGENT_LOG"; }
ok "... and neither started a rekey" no_rekey_started
mark=$(log_lines)
run "$CRED" rekey --reseal
is "$RC" 0 "system mode: root's rekey --reseal exits 0"
check_rekeyed "$S_STATE" "$mark" "system mode"
cred_as "$ALICE" get a/s --version 1
is "$OUT" "$al1" "... alice's a/s version 1 reads back"
cred_as "$ALICE" get a/s
is "$OUT" "$al2" "... and version 2"
cred_as "$BOB" get b/s
is "$OUT" "$bo1" "... bob's b/s reads back"
get_is "$V/sysroot" "... and root's r/s" r/s

done_testing
