#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile load (DESIGN §6 and §11): random bytes, frames one byte over
# --max-frame, frames that stop halfway, 1,000 idle connections, clients
# that pipeline gets of a large value and never read the replies, and a
# flood of requests from one uid, one after another, while a well-behaved
# client's gets (cred get in a loop, each timed) keep succeeding quickly.
# Meanwhile the agent's memory stays bounded (VmRSS) and, once the hostile
# clients are gone, it holds exactly the descriptors it held before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"

export LC_ALL=C
MAX_FRAME=262144
BIG=200000                      # a value whose GET reply is near the frame limit
RSS_LIMIT_KB=$((64 * 1024))     # VmRSS bound for the agent
[ "$SAN" = 1 ] && RSS_LIMIT_KB=$((256 * 1024)) # ASan's shadow memory and quarantine
LAT=$((1 * TIME_FACTOR))        # the slowest good get allowed, in seconds
T0=$SECONDS

# 1,000 idle connections need descriptors on both sides.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 2200 ] ||
	bail "a hard RLIMIT_NOFILE of at least 2200 (it is $(ulimit -Hn))"
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

start_agent --max-frame "$MAX_FRAME" --idle-timeout 2 --max-conns 1100 \
	--max-conns-per-uid 1100 --rate-limit 1000000 --rate-burst 2000000
apid=$AGENT_PID
printf 'the good value %s' "$(random_token 16)" >"$TEST_DIR/good"
head -c "$BIG" /dev/urandom >"$TEST_DIR/big"
{
	"$CRED" put good/x <"$TEST_DIR/good" && "$CRED" put big/x <"$TEST_DIR/big"
} >/dev/null 2>&1 || bail "the secrets are stored"

nfd() { find "/proc/$apid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# The good client comes and goes: the fewest descriptors of 5 looks.
nfd_min() {
	local i n min=999999
	for i in 1 2 3 4 5; do
		n=$(nfd)
		[ "$n" -lt "$min" ] && min=$n
		sleep 0.02
	done
	echo "$min"
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$apid/status"; }
max_rss=0
sample_rss() {
	local r
	r=$(rss)
	[ "${r:-0}" -gt "$max_rss" ] && max_rss=$r
}
fd_base=$(nfd_min)
rss_base=$(rss)
note "the agent at rest: $fd_base descriptors, VmRSS $rss_base kB"

# ---- the well-behaved client: timed gets in a loop, checked ----
cat >"$TEST_DIR/good-get" <<EOF
#!/bin/sh
"$CRED" get good/x 2>/dev/null | cmp -s - "$TEST_DIR/good"
EOF
chmod +x "$TEST_DIR/good-get"
poll_start "$TEST_DIR/poll" "$TEST_DIR/good-get"
[ -s "$TEST_DIR/poll" ] || bail "the well-behaved client is served"

# Gets that started and ended within [T0, T1]: at least 2, all exit 0,
# none slower than LAT seconds.
served_during() { # WHAT T0 T1
	local n max rcs
	read -r n max rcs <<<"$(poll_window "$TEST_DIR/poll" "$2" "$3")"
	if [ "$n" -ge 2 ] && [ "$rcs" = 0 ] && ! fgt "$max" "$LAT"; then
		pass "the good client is served during $1 ($n gets, all right, slowest ${max}s)"
	else
		fail "the good client is served during $1" \
			"    $n gets, exit statuses $rcs, slowest ${max}s (wanted >= 2, 0, <= ${LAT}s)"
	fi
}

# The hostile clients, in perl: each mode prints one line of results.
cat >"$TEST_DIR/hostile.pl" <<'EOF'
use strict; use warnings;
use IO::Socket::UNIX; use IO::Select; use Time::HiRes qw(time sleep);
$SIG{PIPE} = "IGNORE";
my ($mode, $path, $n, @rest) = @ARGV;
sub conn { IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path) }
# Write BYTES to S without blocking for more than SECS in all.
sub push_bytes { my ($s, $bytes, $secs) = @_;
    $s->blocking(0); my $off = 0; my $end = time + $secs;
    while ($off < length $bytes && time < $end) {
        my $w = syswrite($s, $bytes, length($bytes) - $off, $off);
        if (defined $w) { $off += $w } elsif ($!{EAGAIN}) { sleep 0.005 } else { last }
    }
    return $off }
# Read S until EOF within SECS: (eof?, bytes read, seconds taken).
sub drain { my ($s, $secs) = @_;
    my $sel = IO::Select->new($s); my $buf = ""; my $t0 = time; my $end = $t0 + $secs;
    while (1) { my $left = $end - time; return (0, $buf, time - $t0) if $left <= 0;
        next unless $sel->can_read($left);
        my $r = sysread($s, my $c, 65536);
        return (1, $buf, time - $t0) if !$r; $buf .= $c } }
if ($mode eq "garbage") {            # N connections or more, for SECS at least,
    my ($bytes, $secs) = @rest;      # BYTES random bytes each
    my ($got, $closed) = (0, 0); my $end = time + $secs;
    while ($got < $n || time < $end) { my $s = conn() or last; $got++;
        push_bytes($s, join("", map { chr int rand 256 } 1 .. $bytes), 2);
        my ($eof) = drain($s, 5); $closed += $eof }
    print $got >= $n ? "enough" : "only $got", " closed ", $got - $closed == 0 ? "all" : $got - $closed . " open", "\n";
} elsif ($mode eq "over") {          # as many frames declared MAX+1, sent whole
    my ($max, $secs) = @rest; my ($got, $bad, $closed) = (0, 0, 0); my $end = time + $secs;
    my $frame = pack("N", $max + 1) . pack("CN", 3, 7) . ("\0" x ($max - 4));
    while ($got < $n || time < $end) { my $s = conn() or last; $got++;
        push_bytes($s, $frame, 2);
        my ($eof, $buf) = drain($s, 5); $closed += $eof;
        $bad++ if length($buf) >= 11 && unpack("C", substr($buf, 4, 1)) == 0x83 &&
            unpack("N", substr($buf, 5, 4)) == 7 && unpack("n", substr($buf, 9, 2)) == 12 }
    print $got >= $n ? "enough" : "only $got", " bad_request ", $bad == $got ? "all" : "$bad of $got",
        " closed ", $closed == $got ? "all" : "$closed of $got", "\n";
} elsif ($mode eq "half") {          # N connections each stopping halfway
    my @s; for (1 .. $n) { my $s = conn() or next;
        push_bytes($s, pack("N", 100) . pack("CN", 4, 1) . ("\0" x 45), 1); push @s, $s }
    my ($closed, $max) = (0, 0);
    for my $s (@s) { my ($eof, undef, $t) = drain($s, 10); $closed += $eof }
    print "connected ", scalar(@s), " closed $closed\n";
} elsif ($mode eq "idle") {          # N idle connections until FLAG exists
    my ($flag, $ready) = @rest; my @s;
    for (1 .. $n) { my $s = conn() or last; push @s, $s }
    open(my $r, ">", $ready) or die; print $r scalar(@s), "\n"; close $r;
    my $end = time + 120; sleep 0.05 until -e $flag || time > $end;
} elsif ($mode eq "noread") {        # N connections pipelining GETs, never reading
    my ($gets, $name, $flag, $ready) = @rest;
    my $body = pack("CCN", 17, 4, length $name) . $name;
    my $req = join "", map { pack("N", 5 + length $body) . pack("CN", 4, $_) . $body } 1 .. $gets;
    my @s; my $sent = 0;
    for (1 .. $n) { my $s = conn() or last; push @s, $s; $sent += push_bytes($s, $req, 1) }
    open(my $r, ">", $ready) or die; print $r scalar(@s), " $sent\n"; close $r;
    my $end = time + 120; sleep 0.05 until -e $flag || time > $end;
} else { die "hostile.pl: unknown mode $mode\n" }
EOF
hostile() { timeout -k 2 $((120 * TIME_FACTOR)) perl "$TEST_DIR/hostile.pl" "$1" "$AGENT_SOCK" "${@:2}"; }

# ---- random bytes ----
t0=$(now)
out=$(hostile garbage 50 4096 1)
t1=$(now)
is "$out" "enough closed all" "50 connections or more (for 1 s) sending 4 KiB of random bytes are each closed by the agent"
served_during "the random bytes" "$t0" "$t1"
sample_rss

# ---- frames one byte over the limit ----
t0=$(now)
out=$(hostile over 20 "$MAX_FRAME" 1)
t1=$(now)
is "$out" "enough bad_request all closed all" \
	"20 frames or more (for 1 s) of $MAX_FRAME + 1 bytes (--max-frame $MAX_FRAME) each get BAD_REQUEST and a close"
served_during "the oversized frames" "$t0" "$t1"
like "$(cat "$AGENT_LOG")" "frame of $((MAX_FRAME + 1)) bytes over the $MAX_FRAME-byte limit" \
	"... and the agent logs the limit it applied"
sample_rss

# ---- frames that stop halfway ----
t0=$(now)
out=$(hostile half 50)
t1=$(now)
is "$out" "connected 50 closed 50" "50 connections stopping halfway through a frame are closed (idle timeout 2 s)"
served_during "the half-sent frames" "$t0" "$t1"
sample_rss

# ---- 1,000 idle connections ----
rm -f "$TEST_DIR/idle.stop" "$TEST_DIR/idle.ready"
hostile idle 1000 "$TEST_DIR/idle.stop" "$TEST_DIR/idle.ready" &
idle_pid=$!
ok "1,000 connections are opened" wait_for 20 test -s "$TEST_DIR/idle.ready"
is "$(cat "$TEST_DIR/idle.ready" 2>/dev/null)" 1000 "... all 1,000 of them (--max-conns 1100)"
held() { [ "$(nfd)" -ge $((fd_base + 1000)) ]; }
wait_for 10 held
fds=$(nfd)
cmp_ok "$fds" -ge $((fd_base + 1000)) "the agent holds them: $fds descriptors (at rest $fd_base)"
t0=$(now)
sleep 1
sample_rss
t1=$(now)
served_during "1,000 idle connections" "$t0" "$t1"
touch "$TEST_DIR/idle.stop"
{ wait "$idle_pid"; } 2>/dev/null
back() { [ "$(nfd_min)" -eq "$fd_base" ]; }
wait_for 10 back
is "$(nfd_min)" "$fd_base" "once they close, the agent holds $fd_base descriptors again"

# ---- clients that never read their replies ----
# Eight connections each pipeline 200 GETs of a $BIG-byte value and read
# nothing: the agent stops reading from them (bounded output) and goes on
# serving others, in bounded memory.
rm -f "$TEST_DIR/nr.stop" "$TEST_DIR/nr.ready"
hostile noread 8 200 big/x "$TEST_DIR/nr.stop" "$TEST_DIR/nr.ready" &
nr_pid=$!
ok "eight non-reading clients have sent their requests" wait_for 20 test -s "$TEST_DIR/nr.ready"
note "non-reading clients: $(cat "$TEST_DIR/nr.ready" 2>/dev/null) (connections, bytes of requests sent)"
t0=$(now)
for _ in 1 2 3 4 5 6 7 8 9 10; do
	sample_rss
	sleep 0.2
done
t1=$(now)
served_during "eight clients that never read" "$t0" "$t1"
run "$CRED" get big/x
ok "... and another client still gets the large value itself" cmp "$TEST_DIR/big" "$OUT_FILE"
cmp_ok "$(rss)" -le "$RSS_LIMIT_KB" "the agent's VmRSS stays bounded meanwhile ($(rss) kB <= $RSS_LIMIT_KB kB)"
touch "$TEST_DIR/nr.stop"
{ wait "$nr_pid"; } 2>/dev/null
wait_for 10 back
is "$(nfd_min)" "$fd_base" "once they close, the agent holds $fd_base descriptors again"

# A client that pipelines GETs of the large value and does read them.
run timeout $((5 * TIME_FACTOR)) "$TOOLS/get-loop" -d 4 -t $((4 * TIME_FACTOR)) "$AGENT_SOCK" big/x 20
is "$RC" 0 "a client pipelining 4 GETs of a $BIG-byte value gets all 20 replies ($OUT)"

# ---- a flood of requests from one uid ----
# Four connections pipelining GETs as fast as the agent answers (the rate
# limit raised out of the way), for about 3 s.
flood_pids=()
for i in 1 2 3 4; do
	"$TOOLS/get-loop" -d 64 -t 3 "$AGENT_SOCK" good/x 100000000 >"$TEST_DIR/flood$i.out" 2>&1 &
	flood_pids+=($!)
done
sleep 0.3
t0=$(now)
for _ in 1 2 3 4 5 6 7 8 9 10; do
	sample_rss
	sleep 0.2
done
t1=$(now)
for p in "${flood_pids[@]}"; do
	{ wait "$p"; } 2>/dev/null
done
served_during "a flood from four pipelining connections" "$t0" "$t1"
flooded=$(cat "$TEST_DIR"/flood*.out | awk '{ n += $4 } END { print n + 0 }')
cmp_ok "$flooded" -ge 1000 "the flood was answered too ($flooded replies)"
note "flood: $(cat "$TEST_DIR"/flood*.out | tr '\n' ';')"

# ---- the end ----
poll_stop
read -r n max rcs <<<"$(poll_window "$TEST_DIR/poll" 0 99999999999)"
is "$rcs" 0 "every one of the good client's $n gets succeeded (slowest ${max}s)"
ok "the agent is alive" proc_alive "$apid"
wait_for 10 back
is "$(nfd_min)" "$fd_base" "with every hostile client gone the agent holds $fd_base descriptors, as at rest"
sample_rss
cmp_ok "$max_rss" -le "$RSS_LIMIT_KB" "the agent's VmRSS peaked at $max_rss kB (at rest $rss_base kB; bound $RSS_LIMIT_KB kB)"
run "$CRED" get good/x
ok "the agent still serves" cmp "$TEST_DIR/good" "$OUT_FILE"
ok "the agent stops cleanly" stop_agent

# ---- more connections than descriptors ----
# An agent whose descriptors run out (its limit lowered under it, below
# what it planned for at start) stops accepting for a moment instead of
# spinning on a listening socket that stays readable, and serves again
# once descriptors are free.
start_agent --idle-timeout 30 --max-conns-per-uid 1100
apid2=$AGENT_PID
log2=$AGENT_LOG
"$CRED" put good/x <"$TEST_DIR/good" >/dev/null 2>&1 || bail "put good/x"
prlimit --pid "$apid2" --nofile=1024:1024
is "$(awk '/^Max open files/ { print $4 }' "/proc/$apid2/limits")" 1024 \
	"the agent's descriptor limit is lowered to 1024 under it"
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rm -f "$TEST_DIR/idle.stop" "$TEST_DIR/idle.ready"
hostile idle 1050 "$TEST_DIR/idle.stop" "$TEST_DIR/idle.ready" &
idle_pid=$!
wait_for 20 test -s "$TEST_DIR/idle.ready"
# The client is ready once it has tried them all; the agent may still be
# accepting the last ones on a busy machine.
used_up() { [ "$(ls "/proc/$apid2/fd" | wc -l)" -ge 1000 ]; }
wait_for 10 used_up
nfd=$(ls "/proc/$apid2/fd" | wc -l)
c0=$(cpu_of "$apid2")
sleep 2
c1=$(cpu_of "$apid2")
lines=$(grep -c 'accept\|out of file descriptors' "$log2")
touch "$TEST_DIR/idle.stop"
{ wait "$idle_pid"; } 2>/dev/null
cmp_ok "$nfd" -ge 1000 "with 1,050 connections tried, the agent uses up its descriptors ($nfd open)"
cmp_ok $((c1 - c0)) -le $((50 * TIME_FACTOR)) "... and does not spin ($((c1 - c0)) ticks of CPU in 2 s)"
cmp_ok "$lines" -le 20 "... and says so a few times, not $lines times"
like "$(cat "$log2")" "out of file descriptors" "... in the log"
get_ok() { "$TEST_DIR/good-get"; }
ok "once the connections close, that agent serves again" wait_for 10 get_ok
ok "... and stops cleanly" stop_agent "$apid2"
# Its log is of no further interest (and may be large).
: >"$log2"
note "$((SECONDS - T0)) s"

done_testing
