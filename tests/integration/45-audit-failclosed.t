#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Fail closed: when audit records cannot be committed (a full disk), the
# agent withholds values, says why in status and its log, refuses writes
# with a clear error and loses nothing; once space is back it serves again
# by itself, and the records it kept are committed.
#
# Needs root (a small tmpfs makes the disk full); skipped otherwise.

. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "needs root to mount a small tmpfs" 1
	done_testing
	exit 0
fi

fs=$TEST_DIR/fs
mkdir -p "$fs"
if ! mount -t tmpfs -o size=4m,mode=0700 tmpfs "$fs" 2>/dev/null; then
	skip "cannot mount a tmpfs here" 1
	done_testing
	exit 0
fi
# Unmounted on every exit, after the agents are stopped.
cleanup_fs() { stop_all_agents; umount "$fs" 2>/dev/null || umount -l "$fs"; }
trap 'cleanup_fs; _tap_cleanup' EXIT

start_agent --dir "$fs"
printf 'full-disk value %s' "$(random_token 12)" >"$TEST_DIR/v"
run "$CRED" put fc/k --from-file "$TEST_DIR/v"
is "$RC" 0 "a put on the small filesystem works"
run "$CRED" get fc/k
ok "... and reads back" cmp "$TEST_DIR/v" "$OUT_FILE"

# Fill the filesystem but for a few KiB.
avail=$(df -k --output=avail "$fs" | tail -1 | tr -d ' ')
dd if=/dev/zero of="$fs/filler" bs=1k count=$((avail > 4 ? avail - 4 : 0)) 2>/dev/null
sync

# Reads go on being answered until a group commit fails; then values are
# withheld. Bounded: 60 tries, 50 ms apart.
withheld=0
for _ in $(seq 60); do
	run "$CRED" get fc/k
	if [ "$RC" = 1 ] && [[ $ERR == *withheld* ]]; then
		withheld=1
		break
	fi
	sleep 0.05
done
is "$withheld" 1 "with the disk full, get answers that values are withheld (exit 1)"
unlike "$ERR" "full-disk value" "... and the message holds no value"
is "$OUT" "" "... and prints nothing on stdout"
like "$(cat "$AGENT_LOG")" "records cannot be committed" "the agent logs why"
run "$CRED" --json status
like "$OUT" "withheld" "status says values are withheld"
run "$CRED" put fc/k2 --from-file "$TEST_DIR/v"
isnt "$RC" 0 "a put fails while the disk is full"
like "$ERR" "full|cannot be written" "... with a clear error"
ok "the agent is still running" proc_alive "$AGENT_PID"

# Space comes back: the agent recovers by itself.
rm -f "$fs/filler"
recovered=0
for _ in $(seq 100); do
	run "$CRED" get fc/k
	if [ "$RC" = 0 ]; then
		recovered=1
		break
	fi
	sleep 0.05
done
is "$recovered" 1 "once space is back, get serves again"
ok "... the same value" cmp "$TEST_DIR/v" "$OUT_FILE"
like "$(cat "$AGENT_LOG")" "committed again" "the agent logs the recovery"
run "$CRED" put fc/k2 --from-file "$TEST_DIR/v"
is "$RC" 0 "puts work again"
run "$CRED" get fc/k2
ok "... and read back" cmp "$TEST_DIR/v" "$OUT_FILE"

# The reads noted while the disk was full were kept and committed.
run "$CRED" --json audit --op get --name fc/k
n=$(printf '%s' "$OUT" | perl -MJSON::PP -e '
	my $n = 0; $n += $_->{count} for @{decode_json(join "", <STDIN>)}; print $n')
cmp_ok "$n" -ge 3 "the gets of fc/k are all in the audit trail (counted $n)"
run "$CRED" audit verify
is "$RC" 0 "audit verify passes after the full disk"

ok "the agent stops cleanly" stop_agent
done_testing
