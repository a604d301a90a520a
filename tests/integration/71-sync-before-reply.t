#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Synced before the reply (DESIGN §4): SIGKILL leaves the page cache
# intact, so 70-crash.t cannot see a missing sync; this test watches the
# agent's system calls instead. The agent runs under strace while clients
# make every kind of write (cred put, rotate, generated rotate, rollback,
# label, disable, enable, rm, undelete, purge, quota, usage reset, verify,
# import-env, import; and four pipelining clients at once, whose writes
# share group commits), and tests/tools/sync-check.pl requires, for every
# OK reply to a write, an LMDB commit of data.mdb (fdatasync, then the
# meta page through the O_DSYNC descriptor) that began after the request
# was received and ended before the first byte of the reply was sent.
# Negative controls: synthetic traces that break the rule one way each,
# and the real trace with its syncs (or its O_DSYNC open) taken out, must
# all be refused.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || {
	skip "strace is not installed (make deps)" 1
	done_testing
}
CHECK=$TOP_DIR/tests/tools/sync-check.pl
LOAD=$TOOLS/crash-load
[ -x "$LOAD" ] || bail "$LOAD is built" "    build it first: make $TOOLS/crash-load"
export LC_ALL=C

# ---- the checker, on synthetic traces ----
# Each event is one strace -f -tt -y -xx line; requests and replies are
# frames in hex (\xHH), as strace -xx prints them.
sx() { perl -e 'print join "", map { sprintf "\\x%02x", $_ } unpack "C*", pack "H*", $ARGV[0]' "$1"; }
SOCK='7<socket:[4242]>'
DATA='5</s/data.mdb>'
META='6</s/data.mdb>'
put_req=$(sx "$(frame 3 9 "$(field 17 4 "$(hexstr a)")$(field 32 3 "$(hexstr v)")")")
put_rep=$(sx 000000118300000009000012010000000400000001)
get_req=$(sx "$(frame 4 10 "$(field 17 4 "$(hexstr a)")")")
get_rep=$(sx "00000018840000000a000012010000000400000001200300000001$(hexstr v)")
t=0
ev() { t=$((t + 1)); printf '100  01:00:00.%06d %s\n' "$t" "$*"; }
ev_w() { t=$((t + 1)); printf '101  01:00:00.%06d %s\n' "$t" "$*"; } # the writer thread
open_meta() { ev "openat(AT_FDCWD</s>, \"$(sx "$(hexstr s/data.mdb)")\", O_WRONLY|O_DSYNC|O_CLOEXEC) = $META"; }
accept_() { ev "accept4(3<socket:[1]>, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = $SOCK"; }
recv_() { ev "recvmsg($SOCK, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"$1\", iov_len=4096}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, MSG_DONTWAIT|MSG_CMSG_CLOEXEC) = $(($(printf '%s' "$1" | grep -o 'x' | wc -l)))"; }
send_() { ev "sendto($SOCK, \"$1\", $(($(printf '%s' "$1" | grep -o 'x' | wc -l))), MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0) = $(($(printf '%s' "$1" | grep -o 'x' | wc -l)))"; }
pages() { ev_w "pwrite64($DATA, \"\\x00\\x01\", 2, 8192) = 2"; }
sync_() { ev_w "fdatasync(${1:-$DATA}) = 0"; }
meta() { ev_w "pwrite64(${1:-$META}, \"\\x00\\x01\", 2, 0) = 2"; }
synth() { # NAME EVENTS...: write the trace $TEST_DIR/NAME.trace
	local name=$1 e
	shift
	t=0
	for e in "$@"; do $e; done >"$TEST_DIR/$name.trace"
}
S() { synth "$@"; }
good_events=(open_meta accept_ "recv_ $put_req" pages sync_ meta "send_ $put_rep")
S good "${good_events[@]}"
run perl "$CHECK" "$TEST_DIR/good.trace"
is "$RC" 0 "sync-check accepts a PUT answered after its commit (fdatasync, O_DSYNC meta write)"
like "$OUT" "write-replies 1 commits 1 violations 0" "... counting one write reply and one commit"

S nosync open_meta accept_ "recv_ $put_req" pages "send_ $put_rep" sync_ meta
run perl "$CHECK" "$TEST_DIR/nosync.trace"
is "$RC" 1 "sync-check refuses a PUT answered before any sync"
like "$OUT" "violations 1" "... naming one violation"
like "$OUT" "PUT id 9" "... the PUT with its request id"

S before open_meta accept_ pages sync_ meta "recv_ $put_req" "send_ $put_rep"
run perl "$CHECK" "$TEST_DIR/before.trace"
is "$RC" 1 "sync-check refuses a PUT whose only commit ended before it was received"

S nometasync accept_ "recv_ $put_req" pages sync_ "meta $DATA" "send_ $put_rep"
run perl "$CHECK" "$TEST_DIR/nometasync.trace"
is "$RC" 1 "sync-check refuses a meta page written without O_DSYNC and not synced (NOMETASYNC)"

S metasynced accept_ "recv_ $put_req" pages sync_ "meta $DATA" sync_ "send_ $put_rep"
run perl "$CHECK" "$TEST_DIR/metasynced.trace"
is "$RC" 0 "sync-check accepts a plain meta write followed by another fdatasync"

S metalate open_meta accept_ "recv_ $put_req" pages sync_ "send_ $put_rep" meta
run perl "$CHECK" "$TEST_DIR/metalate.trace"
is "$RC" 1 "sync-check refuses a reply sent between the data sync and the meta write"

S otherfile open_meta accept_ "recv_ $put_req" pages "sync_ 8</s/lock.mdb>" "meta 8</s/lock.mdb>" \
	"send_ $put_rep"
run perl "$CHECK" "$TEST_DIR/otherfile.trace"
is "$RC" 1 "sync-check refuses a sync of another file (lock.mdb)"

S readonly open_meta accept_ "recv_ $get_req" "send_ $get_rep"
run perl "$CHECK" "$TEST_DIR/readonly.trace"
is "$RC" 1 "sync-check fails a trace with no write reply at all (nothing proved)"
like "$OUT" "requests 1 write-replies 0" "... and does not count a GET as a write"

# ---- the agent under strace ----
TRACE=$TEST_DIR/agent.trace
dir=$(mktemp -d "$TEST_DIR/agent.XXXXXX")
AGENT_DIRS+=("$dir")
sock=$dir/sock
strace -f -tt -y -s 1048576 -xx -o "$TRACE" \
	-e trace=openat,accept4,close,read,recvfrom,recvmsg,write,writev,sendto,sendmsg,pwrite64,pwritev,pwritev2,fdatasync,fsync,msync,mmap \
	"$CREDAGENTD" -f -d "$dir/state" -s "$sock" --kdf min >>"$dir/agent.log" 2>&1 </dev/null &
strace_pid=$!
export CRED_SOCK=$sock
wait_for 10 sock_accepts "$sock" || bail "credagentd started under strace" "$(tail -20 "$dir/agent.log")"
agent_pid=$(pgrep -P "$strace_pid" | head -1)
ok "the agent runs under strace (pid ${agent_pid:-?})" proc_alive "${agent_pid:-0}"

# LMDB as the agent opened it: the map is read-only (no MDB_WRITEMAP) and
# one data.mdb descriptor is O_DSYNC (the meta page: no MDB_NOMETASYNC).
like "$(grep 'data\.mdb' "/proc/$agent_pid/maps")" '^[0-9a-f]+-[0-9a-f]+ r--s ' \
	"data.mdb is mapped read-only (no MDB_WRITEMAP)"
dsync=0
for fd in /proc/"$agent_pid"/fd/*; do
	[[ $(readlink "$fd") == */data.mdb ]] || continue
	flags=$(awk '/^flags:/ { print $2 }' "/proc/$agent_pid/fdinfo/${fd##*/}")
	(((8#$flags & 8#10000) != 0)) && dsync=$((dsync + 1))
done
is "$dsync" 1 "one data.mdb descriptor is open O_DSYNC (synchronous meta writes)"

# Every kind of write, each a cred process (HELLO, then the request).
v() { printf '%s-%s' "$1" "$(random_token 12)"; }
c() { "$CRED" "$@" >>"$TEST_DIR/cred.out" 2>&1 || echo "cred $* failed ($?)" >>"$TEST_DIR/cred.err"; }
v one | c put w/a
v two | c put w/a --label team=x
v three | c rotate w/a
c rotate w/a --generate 24
c rollback w/a --to 1
c label w/a env=prod
c disable w/a
c enable w/a
v b | c put w/b
c rm w/b
c undelete w/b
c purge w/b
c quota w/a 100/day
c usage --reset w/a
c verify w/a --with true
printf 'ENV_ONE=%s\nENV_TWO=%s\n' "$(random_token 10)" "$(random_token 10)" >"$TEST_DIR/dotenv"
c import-env "$TEST_DIR/dotenv" --prefix env/
printf 'bundle pass\n' >"$TEST_DIR/pass"
c export "$TEST_DIR/bundle" --prefix w/ <"$TEST_DIR/pass"
c import "$TEST_DIR/bundle" --overwrite <"$TEST_DIR/pass"
is "$(cat "$TEST_DIR/cred.err" 2>/dev/null)" "" "every cred write succeeded under strace"
# Four clients pipelining 4 writes each: several replies per commit.
run "$LOAD" write -c 4 -n 40 -d 4 -t $((20 * TIME_FACTOR)) "$sock" load "$TEST_DIR/load"
is "$RC" 0 "four pipelining clients made their writes"
acked=$(cat "$TEST_DIR"/load.c* | grep -c '^A ')
cmp_ok "$acked" -ge 100 "... $acked of 160 acknowledged"

kill -TERM "$agent_pid"
stopped() { ! proc_alive "$strace_pid"; }
ok "the agent stops" wait_for 10 stopped
{ wait "$strace_pid"; } 2>/dev/null
note "trace: $(wc -l <"$TRACE") lines, $(($(stat -c %s "$TRACE") / 1024)) KiB"

RUN_TIMEOUT=$((60 * TIME_FACTOR)) run perl "$CHECK" -v "$TRACE"
summary=$(grep '^requests' "$OUT_FILE")
note "sync-check: $summary"
like "$summary" '^requests [0-9]+ write-replies [0-9]+ commits [0-9]+ violations [0-9]+$' \
	"sync-check read the whole trace"
# USAGE_RESET is the one known exception (the TODO below).
others=$(grep '^no commit' "$OUT_FILE" | grep -v ': USAGE_RESET id' | head -20)
is "$others" "" "every OK reply to a write left the agent after a commit of data.mdb that covers it"
writes=$(sed -E 's/.*write-replies ([0-9]+).*/\1/' <<<"$summary")
cmp_ok "${writes:-0}" -ge $((acked + 15)) "... the cred writes and the load's are all among them ($writes)"
for op in PUT ROTATE ROLLBACK LABEL DISABLE ENABLE DELETE UNDELETE PURGE QUOTA USAGE_RESET \
	VERIFY IMPORT; do
	n=$(grep -cE "^(ok: |no commit of data.mdb between: )$op id" "$OUT_FILE")
	cmp_ok "$n" -ge 1 "... $op among them ($n)"
done
is "$(grep -c '^no commit of data.mdb between: USAGE_RESET id' "$OUT_FILE")" 0 \
	"a USAGE_RESET is synced before its reply too"
# Group commit: one commit answered several replies.
shared=$(sed -nE 's/^ok: .*commit lines ([0-9]+-[0-9]+)$/\1/p' "$OUT_FILE" | sort | uniq -c |
	sort -rn | awk 'NR == 1 { print $1 }')
cmp_ok "${shared:-0}" -ge 2 "one commit covered several replies (group commit: up to ${shared:-0})"

# ---- the real trace, its syncs taken out: every write reply refused ----
grep -v 'fdatasync(' "$TRACE" >"$TEST_DIR/nosyncs.trace"
RUN_TIMEOUT=$((60 * TIME_FACTOR)) run perl "$CHECK" "$TEST_DIR/nosyncs.trace"
is "$RC" 1 "the same trace without its fdatasync calls is refused"
like "$OUT" "write-replies $writes commits 0 violations $writes" "... every write reply a violation"
grep -v 'O_DSYNC' "$TRACE" >"$TEST_DIR/nodsync.trace"
RUN_TIMEOUT=$((60 * TIME_FACTOR)) run perl "$CHECK" "$TEST_DIR/nodsync.trace"
is "$RC" 1 "the same trace without the O_DSYNC open (meta writes not durable) is refused"

done_testing
