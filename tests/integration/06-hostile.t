#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Garbage, oversized, half-sent, unknown and malformed frames, floods of
# connections and unread replies: each answers or closes that connection
# only, while a well-behaved client goes on being served.
. "$(dirname "$0")/lib.sh"

start_agent --idle-timeout 2
printf 'the good value' >"$TEST_DIR/good"
"$CRED" put good/x <"$TEST_DIR/good" 2>/dev/null || bail "put good/x"

# ---- the well-behaved client: gets in a loop until told to stop ----
good_loop() {
	local n=0 bad=0 deadline=$((SECONDS + 60 * TIME_FACTOR))
	while [ ! -e "$TEST_DIR/stop" ] && [ $SECONDS -lt $deadline ]; do
		if timeout 5 "$CRED" get good/x >"$TEST_DIR/good.out" 2>"$TEST_DIR/good.err" &&
			cmp -s "$TEST_DIR/good" "$TEST_DIR/good.out"; then
			n=$((n + 1))
			sleep 0.01
		else
			bad=$((bad + 1))
			{
				echo "get failed (exit $?) at $(date +%T.%N):"
				cat "$TEST_DIR/good.err"
			} >>"$TEST_DIR/good.failures"
		fi
		echo "$n $bad" >"$TEST_DIR/good.count.tmp"
		mv "$TEST_DIR/good.count.tmp" "$TEST_DIR/good.count"
	done
}
good_loop >/dev/null 2>&1 </dev/null &
good_pid=$!
good_n() { cut -d' ' -f1 "$TEST_DIR/good.count" 2>/dev/null || echo 0; }
# The loop is up once it has a first success.
first_good() { [ "$(good_n)" -ge 1 ]; }
ok "the well-behaved client is being served" wait_for 5 first_good

# ---- slow ones, in the background while the rest runs ----
# A half-sent frame (the length and 3 of its 32 bytes), a half-sent
# length (2 of 4 bytes), a frame trickled a byte every 0.5 s (the deadline
# runs from the first byte), 64 fixed pseudo-random bytes: each must be
# closed by the agent, the partial ones after the idle timeout (2 s).
raw -t 8 0000002002000000 eof >"$TEST_DIR/slow.half" 2>&1 &
slow_pids=($!)
raw -t 8 0000 eof >"$TEST_DIR/slow.halflen" 2>&1 &
slow_pids+=($!)
raw -t 8 00 sleep:0.5 00 sleep:0.5 00 sleep:0.5 20 sleep:0.5 02 sleep:0.5 00 sleep:0.5 00 \
	sleep:0.5 00 eof >"$TEST_DIR/slow.trickle" 2>&1 &
slow_pids+=($!)
junk=$(perl -e 'srand(7); print map { sprintf "%02x", int rand 256 } 1 .. 64')
raw -t 8 "$junk" eof >"$TEST_DIR/slow.junk" 2>&1 &
slow_pids+=($!)

# ---- garbage ----
# A length shorter than any header: broken framing.
out=$(raw 00000002deadbeefcafebabe)
is "$(sed -n 1p <<<"$out")" "" "a frame length of 2 gets no reply"
is "$(sed -n 2p <<<"$out")" eof "... and the connection is closed"

out=$(raw 00000000)
is "$(sed -n 2p <<<"$out")" eof "a frame length of 0 closes the connection"

# Plain text where a frame should be: "GET " read as a length is ~1.2 GB.
# Over the limit, known from the length alone: BAD_REQUEST, then closed
# at once (not later by the idle sweep).
prompt_eof='^eof 0\.[0-4]'
out=$(raw -t 1 "$(hexstr $'GET / HTTP/1.1\r\nHost: x\r\n\r\n')" r eof)
is "$(frame_status "$(sed -n 1p <<<"$out")")" 12 "an HTTP request is answered BAD_REQUEST (12)"
like "$(sed -n 2p <<<"$out")" "$prompt_eof" "... and the connection is closed at once"

# ---- frames over the limit ----
# 2 MiB declared against the default 1 MiB limit.
out=$(raw -t 1 0020000002000000011122 r eof)
reply=$(sed -n 1p <<<"$out")
is "$(frame_type "$reply")" $((0x82)) "an oversized frame is answered with its type's reply"
is "$(frame_reqid "$reply")" 1 "... carrying its request id"
is "$(frame_status "$reply")" 12 "... whose status is BAD_REQUEST (12)"
like "$(sed -n 2p <<<"$out")" "$prompt_eof" "... and then the connection is closed at once"

out=$(raw -t 1 00100001 r eof)
is "$(frame_status "$(sed -n 1p <<<"$out")")" 12 "1 MiB + 1 declared (nothing more sent) is BAD_REQUEST"
like "$(sed -n 2p <<<"$out")" "$prompt_eof" "... and closes at once"

out=$(raw -t 1 ffffffff r eof)
is "$(frame_status "$(sed -n 1p <<<"$out")")" 12 "a length of 0xffffffff is BAD_REQUEST"
like "$(sed -n 2p <<<"$out")" "$prompt_eof" "... and closes at once"

# Exactly 1 MiB is within the limit: the agent waits for the rest (the
# half-sent case), it does not answer BAD_REQUEST.
out=$(raw -t 1 0010000002 r)
is "$(frame_status "$out")" none "a frame of exactly 1 MiB gets no reply before its body"
unlike "$(cat "$AGENT_LOG")" "frame of 1048576 bytes over" "... and is not refused for its size"

# ---- unknown message types: answered, the connection stays usable ----
status_req() { frame 0x02 "$1"; }
out=$(raw "$(frame 0x7f 9)" r "$(status_req 10)" r)
r1=$(sed -n 1p <<<"$out")
r2=$(sed -n 2p <<<"$out")
is "$(frame_type "$r1")" $((0xff)) "an unknown type 0x7f is answered as type 0xff"
is "$(frame_reqid "$r1")" 9 "... carrying its request id"
is "$(frame_status "$r1")" 13 "... with UNSUPPORTED (13)"
is "$(frame_reqid "$r2")" 10 "the same connection then answers a STATUS"
is "$(frame_status "$r2")" 0 "... with OK"

# Types no message uses (proto/proto.h names the ones in use; the first
# number after them is unknown too), and replies sent as requests.
defined=$(sed -nE 's/^[[:space:]]*PROTO_MSG_[A-Z_]+ = (0x[0-9a-fA-F]+),.*/\1/p' \
	"$TOP_DIR/proto/proto.h" | while read -r v; do printf '%d\n' "$v"; done)
next=$(($(awk '$1 < 128' <<<"$defined" | sort -n | tail -1) + 1))
for t in 0x00 $next 0x40 0x7e 0x81 0x82 0xbf 0xff; do
	if grep -qx "$((t))" <<<"$defined"; then
		continue
	fi
	out=$(raw "$(frame $t 12 "$(field 1 1 "$(u32 1)")")" r "$(status_req 13)" r)
	is "$(frame_status "$(sed -n 1p <<<"$out")")" 13 "message type $(printf '0x%02x' $((t))) is UNSUPPORTED (13)"
	is "$(frame_status "$(sed -n 2p <<<"$out")")" 0 "... and the connection still answers"
done
# EVENT frames go from the agent to clients only.
out=$(raw "$(frame 0xc0 12)" r "$(status_req 13)" r)
like "$(frame_status "$(sed -n 1p <<<"$out")")" "^1[23]$" "an EVENT sent to the agent is refused (12 or 13)"
is "$(frame_status "$(sed -n 2p <<<"$out")")" 0 "... and the connection still answers"

# ---- well-formed frames, malformed bodies: BAD_REQUEST, connection kept ----
# Each: a frame (request id 33), then a STATUS on the same connection.
malformed() { # NAME TYPE BODYHEX
	local r1 r2
	out=$(raw "$(frame "$2" 33 "$3")" r "$(status_req 34)" r)
	r1=$(sed -n 1p <<<"$out")
	r2=$(sed -n 2p <<<"$out")
	is "$(frame_status "$r1")" 12 "$1: BAD_REQUEST (12)"
	is "$(frame_reqid "$r1")" 33 "... carrying its request id"
	is "$(frame_status "$r2")" 0 "... and the connection still answers a STATUS"
}
name=$(hexstr good/x)
NAME=$(field 17 4 "$name")
malformed "GET with 5 junk bytes" 4 ffffffffff
malformed "GET with no fields" 4 ""
malformed "GET whose NAME has kind u32" 4 "$(field 17 1 "$(hexstr name)")"
malformed "GET whose NAME is longer than the body" 4 "110400000040$name"
malformed "GET whose NAME holds a NUL" 4 "$(field 17 4 610062)"
malformed "GET with a trailing byte" 4 "${NAME}00"
malformed "GET with an unknown tag" 4 "$NAME$(field 0x7f 1 "$(u32 1)")"
malformed "GET with a 3-byte VERSION" 4 "$NAME$(field 18 1 000001)"
malformed "GET with fields out of order" 4 "$(field 18 1 "$(u32 1)")$NAME"
malformed "GET with NAME twice" 4 "$NAME$NAME"
malformed "GET with a field length of 0xffffffff" 4 "1104ffffffff$name"
malformed "GET with a truncated field header" 4 "1104000000"
malformed "STATUS with a body" 2 "$(field 1 1 "$(u32 1)")"
malformed "HELLO whose version is a string" 1 "$(field 1 4 31)"
malformed "HELLO without a version" 1 ""
malformed "PUT without a value" 3 "$NAME"
malformed "LIST with a u32 of 8 bytes" 6 "$(field 42 1 "$(u64 1)")"
malformed "DELETE with a group for a name" 7 "$(field 17 5 "$NAME")"

# A well-formed GET of an invalid name is refused by the agent's own check.
out=$(raw "$(frame 4 34 "$(field 17 4 "$(hexstr a//b)")")" r)
st=$(frame_status "$(sed -n 1p <<<"$out")")
like "$st" "^(2|12)$" "a GET of the invalid name a//b is refused (USAGE or BAD_REQUEST): $st"

# ---- pipelining: replies in order ----
hello=$(frame 1 1 "$(field 1 1 "$(u32 1)")")
is "$hello" "$(grep -v '^#' "$TOP_DIR/tests/data/hello.hex" | sed 's/#.*//' | tr -d ' \n')" \
	"the HELLO built here is the one in tests/data/hello.hex"
out=$(raw "$hello$(status_req 2)$(frame 4 3 "$NAME")" r r r)
is "$(frame_reqid "$(sed -n 1p <<<"$out")")/$(frame_reqid "$(sed -n 2p <<<"$out")")/$(frame_reqid "$(sed -n 3p <<<"$out")")" \
	"1/2/3" "three pipelined requests are answered in order"
is "$(frame_status "$(sed -n 1p <<<"$out")")/$(frame_status "$(sed -n 2p <<<"$out")")/$(frame_status "$(sed -n 3p <<<"$out")")" \
	"0/0/0" "... all OK"
like "$(sed -n 3p <<<"$out")" "$(hexstr 'the good value')\$" "... and the GET reply ends with the value"

# ---- a client that never reads its replies ----
# 20000 STATUS requests written without reading a single reply: the agent
# stops reading from it (bounded output) and serves the others.
perl -MIO::Socket::UNIX -e '
$SIG{PIPE} = "IGNORE";
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die;
$s->blocking(0);
my $req = pack("H*", "000000050200000001") x 20000;
my $off = 0; my $end = time + 3;
while ($off < length $req && time < $end) {
    my $n = syswrite($s, $req, length($req) - $off, $off);
    if (defined $n) { $off += $n } else { select(undef, undef, undef, 0.05) }
}
sleep 2;' "$AGENT_SOCK" >/dev/null 2>&1 &
reader_pid=$!
n0=$(good_n)
served_more() { [ "$(good_n)" -ge $((n0 + 3)) ]; }
ok "the well-behaved client is served while another never reads" wait_for 5 served_more
{
	kill "$reader_pid"
	wait "$reader_pid"
} 2>/dev/null

# ---- a flood of connections from another uid ----
if [ "$(id -u)" = 0 ]; then
	expose_socket
	"${AS_NOBODY[@]}" perl -MIO::Socket::UNIX -e '
my @c; for (1 .. 300) { my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or last; push @c, $s }
print scalar(@c), "\n"; close STDOUT; sleep 20;' "$AGENT_SOCK" >"$TEST_DIR/flood.out" 2>&1 </dev/null &
	flood_pid=$!
	sleep 0.5
	n0=$(good_n)
	ok "the well-behaved client is served during a flood of 300 connections" \
		wait_for 5 served_more
	like "$(cat "$TEST_DIR/flood.out")" "^[0-9]+$" "the flood connected ($(cat "$TEST_DIR/flood.out") connections)"
	{
		kill "$flood_pid"
		wait "$flood_pid"
	} 2>/dev/null
	like "$(cat "$AGENT_LOG")" "refused a connection from uid 65534" \
		"the agent logs the refused flood"
	chmod 0600 "$AGENT_SOCK"
else
	skip "needs root to flood from another uid" 3
fi

# ---- the slow ones' results ----
for pid in "${slow_pids[@]}"; do
	{ wait "$pid"; } 2>/dev/null
done
out=$(cat "$TEST_DIR/slow.half")
like "$out" "^eof " "a half-sent frame is closed by the agent"
secs=$(sed -nE 's/^eof ([0-9]+)\..*/\1/p' <<<"$out")
cmp_ok "${secs:-99}" -ge 1 "... not before the idle timeout"
cmp_ok "${secs:-99}" -le $((4 * TIME_FACTOR)) "... and soon after it (2 s timeout, 1 s sweep)"
like "$(cat "$TEST_DIR/slow.halflen")" "^eof " "a half-sent length is closed by the agent"
like "$(cat "$TEST_DIR/slow.trickle")" "eof [0-9]" "a frame trickled a byte at a time is closed too"
like "$(cat "$TEST_DIR/slow.junk")" "eof [0-9]" "64 bytes of junk end with the connection closed"

# ---- the end: the good client never failed ----
n0=$(good_n)
ok "the well-behaved client is still served at the end" wait_for 5 served_more
touch "$TEST_DIR/stop"
{ wait "$good_pid"; } 2>/dev/null
read -r good_ok good_bad <"$TEST_DIR/good.count"
cmp_ok "$good_ok" -ge 10 "the well-behaved client made many successful gets ($good_ok)"
is "$good_bad" 0 "... and none failed"
if [ "$good_bad" != 0 ]; then diag "$(head -20 "$TEST_DIR/good.failures")"; fi

ok "the agent is alive" proc_alive "$AGENT_PID"
run "$CRED" get good/x
ok "the agent still serves" cmp "$TEST_DIR/good" "$OUT_FILE"
ok "the agent stops cleanly" stop_agent

# ---- the per-uid connection limit ----
start_agent --max-conns-per-uid 4
printf 'v' | "$CRED" put lim/x 2>/dev/null
perl -MIO::Socket::UNIX -e '
my @c; for (1 .. 4) { push @c, IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die }
open(my $r, ">", $ARGV[1]); close $r; sleep 20;' "$AGENT_SOCK" "$TEST_DIR/held" >/dev/null 2>&1 &
held_pid=$!
wait_for 5 test -e "$TEST_DIR/held"
sleep 0.2
run "$CRED" get lim/x
isnt "$RC" 0 "a fifth connection of the same uid is refused (limit 4)"
isnt "$RC" 124 "... at once, without hanging"
like "$(cat "$AGENT_LOG")" "connections of that uid" "... and the agent logs why"
{
	kill "$held_pid"
	wait "$held_pid"
} 2>/dev/null
get_works() { "$CRED" get lim/x >/dev/null 2>&1; }
ok "once those close, the uid is served again" wait_for 5 get_works
ok "the agent stops cleanly" stop_agent

done_testing
