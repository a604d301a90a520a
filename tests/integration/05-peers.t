#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The kernel says who is calling: another uid gets DENIED from a user-mode
# agent, and cred sends nothing to a socket served by a stranger.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "needs root to act as another uid (setpriv); running as uid $(id -u)" 1
	done_testing
fi
command -v setpriv >/dev/null || bail "setpriv (util-linux) is installed"

# lib.sh's copy of cred, which nobody can run wherever the tree lives.
NCRED=$CRED

start_agent
uid=$(id -u)
printf 'root-only-secret-%s' "$(random_token 24)" >"$TEST_DIR/secret"
"$CRED" put private/token <"$TEST_DIR/secret" 2>/dev/null || bail "put private/token"
expose_socket

# ---- another uid at a user-mode agent ----
for cmd in "get private/token" "status" "ls" "info private/token" "rm private/token"; do
	# shellcheck disable=SC2086
	run "${AS_NOBODY[@]}" env CRED_SOCK="$AGENT_SOCK" "$NCRED" $cmd
	is "$RC" 4 "cred $cmd as nobody exits 4 (DENIED)"
	is "$OUT" "" "... and prints nothing on stdout"
	like "$ERR" "^cred: ${cmd%% *}: " "... with a 'cred: ${cmd%% *}:' message"
done
run "${AS_NOBODY[@]}" env CRED_SOCK="$AGENT_SOCK" "$NCRED" put private/token <"$TEST_DIR/secret"
is "$RC" 4 "cred put as nobody exits 4 (DENIED)"
run "$CRED" get private/token
ok "... and the secret is unchanged" cmp "$TEST_DIR/secret" "$OUT_FILE"
unlike "$(cat "$AGENT_LOG")" "root-only-secret" "the agent's log never holds the value"
like "$(cat "$AGENT_LOG")" "refused.*uid 65534" "the agent logs the refused uid 65534"

# The same at the protocol level: a STATUS from nobody gets DENIED, then
# the connection closes.
out=$(raw --as-nobody 0000000502000000070000000502000000080000000502 r r eof)
reply=$(sed -n 1p <<<"$out")
is "$(frame_type "$reply")" $((0x82)) "a raw STATUS from nobody is answered with a STATUS reply"
is "$(frame_reqid "$reply")" 7 "... carrying its request id"
is "$(frame_status "$reply")" 4 "... whose status is DENIED (4)"
is "$(sed -n 2p <<<"$out")" eof "... and nothing more: the connection closes"
like "$(sed -n 3p <<<"$out")" "^eof" "... (closed)"

# A refused peer that never sends anything is closed too, by the timeout.
first_pid=$AGENT_PID
first_state=$AGENT_STATE
start_agent --idle-timeout 1
expose_socket
out=$(raw --as-nobody -t 6 eof)
like "$out" "^eof " "a silent peer of another uid is disconnected"
run "$CRED" status
is "$RC" 0 "the agent still serves its owner after refusing others"
ok "the second agent stops cleanly" stop_agent

# The refusals are audited (DESIGN 6: operation connect, status DENIED).
ok "the first agent stops cleanly" stop_agent "$first_pid"
if [ -x "$TOOLS/store-edit" ]; then
	audit=$("$TOOLS/store-edit" "$first_state" dump | sed -n '/^audit:/,/entries$/p' | tail -1)
	cmp_ok "$(sed -nE 's/^ *([0-9]+) entries$/\1/p' <<<"$audit")" -ge 1 \
		"the refused connections left audit records"
else
	skip "store-edit is not built (make integration builds it)" 1
fi

# ---- a planted socket ----
# A stranger (nobody) listens where root's cred is pointed and records
# every byte it is sent.
plant=$TEST_DIR/plant
mkdir -m 0755 "$plant"
chown 65534:65534 "$plant"
"${AS_NOBODY[@]}" perl -e '
use strict; use warnings; use IO::Socket::UNIX; use IO::Select;
my ($path, $log, $ready) = @ARGV;
$SIG{ALRM} = sub { exit 0 }; alarm 30;
my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $path, Listen => 16) or die "listen: $!";
open(my $r, ">", $ready) or die; close $r;
while (my $c = $l->accept) {
    my ($n, $sel) = (0, IO::Select->new($c));
    while ($sel->can_read(3)) { my $got = sysread($c, my $b, 65536); last unless $got; $n += $got }
    open(my $f, ">>", $log) or die; print $f "connection $n\n"; close $f;
}' "$plant/sock" "$plant/bytes" "$plant/ready" >"$plant/out" 2>&1 </dev/null &
planted=$!
ok "the planted server is listening" wait_for 5 test -e "$plant/ready"

run env CRED_SOCK="$plant/sock" "$CRED" get private/token
is "$RC" 4 "root's cred get at a socket served by nobody exits 4 (DENIED)"
is "$OUT" "" "... and prints nothing on stdout"
like "$ERR" "^cred: get: " "... with a 'cred: get:' message"
run env CRED_SOCK="$plant/sock" "$CRED" put planted/value <"$TEST_DIR/secret"
is "$RC" 4 "root's cred put at the planted socket exits 4"
run "$CRED" -s "$plant/sock" status
is "$RC" 4 "root's cred -s at the planted socket exits 4"
has_lines() { [ "$(cat "$plant/bytes" 2>/dev/null | wc -l)" -ge "$1" ]; }
wait_for 10 has_lines 3
got=$(cat "$plant/bytes" 2>/dev/null)
is "$(grep -c '^connection' <<<"$got")" 3 "the planted server saw the three connections"
is "$(grep -vc '^connection 0$' <<<"$got")" 0 "... and received zero bytes on every one"
{
	kill "$planted"
	wait "$planted"
} 2>/dev/null

done_testing
