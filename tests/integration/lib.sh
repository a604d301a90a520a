# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# A small TAP harness for the integration tests, sourced by every
# tests/integration/NN-topic.t. The Makefile sets CREDAGENTD, CRED, TOOLS,
# LIBCRED_DIR and SAN (and, for make valgrind, VALGRIND: see the end of
# this file); run by hand, a script falls back to build/.
#
# Assertions (each prints one TAP line, and on failure what it got and
# what it expected, with the script's line number):
#   ok NAME CMD [ARGS...]        passes when CMD exits 0
#   nok NAME CMD [ARGS...]       passes when CMD exits non-zero
#   is GOT EXPECTED NAME         string equality
#   isnt GOT UNEXPECTED NAME
#   like GOT ERE NAME            GOT matches the extended regex ERE
#   unlike GOT ERE NAME
#   cmp_ok A OP B NAME           integer comparison: -eq -ne -lt -le -gt -ge
#   pass NAME / fail NAME [DIAG...]
#   skip REASON [N]              N skipped tests, with the reason shown
#   TODO=REASON                  while set, failures are reported as TODO
#                                (known missing features: prove does not
#                                count them as failures, and says when they
#                                start passing)
#   diag MSG / note MSG          comments (diag to stderr, note to stdout)
#   plan N / done_testing        the plan, first or last
#
# Running things:
#   run CMD [ARGS...]            runs CMD under a timeout (RUN_TIMEOUT, 10 s;
#                                stdin inherited); sets RC, OUT and ERR, and
#                                keeps the exact bytes in $OUT_FILE, $ERR_FILE
#   start_agent [--dir D] [--no-wait] [--as-nobody] [FLAGS...]
#                                a foreground credagentd with its own
#                                directory (or D again, for a restart; with
#                                --as-nobody, run as uid 65534 in a
#                                directory nobody owns):
#                                state D/state, socket D/sock, log D/agent.log;
#                                waits until the socket accepts; sets
#                                AGENT_DIR AGENT_STATE AGENT_SOCK AGENT_LOG
#                                AGENT_PID and exports CRED_SOCK
#   stop_agent [PID]             SIGTERM, wait for the exit (0 if clean)
#   raw [-s SOCK] [-t SECS] [--as-nobody] STEP...
#                                talk bytes to the socket (see raw below)
#
# The EXIT trap stops every agent still running and removes $TEST_DIR.

set -u
set -o pipefail

TEST_NAME=$(basename "$0")
TOP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CREDAGENTD=${CREDAGENTD:-$TOP_DIR/build/bin/credagentd}
CRED=${CRED:-$TOP_DIR/build/bin/cred}
TOOLS=${TOOLS:-$TOP_DIR/build/tools}
LIBCRED_DIR=${LIBCRED_DIR:-$TOP_DIR/build/lib}
SAN=${SAN:-}
export CREDAGENTD CRED TOOLS LIBCRED_DIR SAN

# Sanitizer builds are slower: stretch every wait by this factor; under
# valgrind (make valgrind sets VALGRIND, see the end of this file) far more.
if [ "$SAN" = 1 ]; then
	TIME_FACTOR=4
elif [ -n "${VALGRIND:-}" ]; then
	TIME_FACTOR=10
else
	TIME_FACTOR=1
fi
RUN_TIMEOUT=${RUN_TIMEOUT:-$((10 * TIME_FACTOR))}
# Leaks are findings too; a report must not be buried in a pass.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Nothing from the caller's environment may pick another agent.
unset CRED_SOCK XDG_RUNTIME_DIR NOTIFY_SOCKET LISTEN_FDS LISTEN_PID JOURNAL_STREAM \
	CREDENTIALS_DIRECTORY

_tap_n=0
_tap_failed=0
_tap_planned=
AGENT_PIDS=()
AGENT_DIRS=()
CLEANUP_PIDS=()

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/credtest.XXXXXX") || {
	echo "Bail out! cannot create a temporary directory"
	exit 1
}
# Traversable (not readable) by other uids, for the tests that need them.
chmod 0711 "$TEST_DIR"
OUT_FILE=$TEST_DIR/run.out
ERR_FILE=$TEST_DIR/run.err

# ---- TAP ----

# "at FILE line N" of the test script's call, whatever the helper depth.
_tap_where() {
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[$i]}" != "${BASH_SOURCE[0]}" ]; then
			echo "at ${BASH_SOURCE[$i]##*/} line ${BASH_LINENO[$((i - 1))]}"
			return
		fi
	done
	echo "at $TEST_NAME"
}

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line" >&2
	done <<<"$*"
}

note() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# Show a value for a diagnostic: quoted, control bytes escaped, capped.
_tap_show() {
	local s=$1
	if [ ${#s} -gt 2000 ]; then
		s="${s:0:2000}... (${#1} chars)"
	fi
	printf "'%s'" "$(printf '%s' "$s" | cat -v)"
}

_tap_result() { # STATUS NAME [DIAG...]
	local status=$1 name=$2
	shift 2
	_tap_n=$((_tap_n + 1))
	local todo=""
	[ -n "${TODO:-}" ] && todo=" # TODO $TODO"
	if [ "$status" = 0 ]; then
		printf 'ok %d - %s%s\n' "$_tap_n" "$name" "$todo"
		return 0
	fi
	[ -z "$todo" ] && _tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s%s\n' "$_tap_n" "$name" "$todo"
	# As Test::More: a TODO's diagnostics go to the TAP stream, not stderr.
	local say=diag d
	[ -n "$todo" ] && say=note
	$say "  Failed ${todo:+(TODO) }test '$name'"
	$say "  $(_tap_where)"
	for d in "$@"; do
		$say "$d"
	done
	return 1
}

plan() {
	_tap_planned=$1
	echo "1..$1"
}

pass() { _tap_result 0 "$1"; }
fail() {
	local name=$1
	shift
	_tap_result 1 "$name" "$@"
}

ok() {
	local name=$1
	shift
	local out rc
	"$@" >"$TEST_DIR/ok.out" 2>&1
	rc=$?
	out=$(cat -v "$TEST_DIR/ok.out")
	if [ $rc -eq 0 ]; then
		_tap_result 0 "$name"
	else
		_tap_result 1 "$name" "    command: $*" "    exit status: $rc (expected 0)" \
			"    output: $(_tap_show "$out")"
	fi
}

nok() {
	local name=$1
	shift
	local out rc
	"$@" >"$TEST_DIR/ok.out" 2>&1
	rc=$?
	out=$(cat -v "$TEST_DIR/ok.out")
	if [ $rc -ne 0 ]; then
		_tap_result 0 "$name"
	else
		_tap_result 1 "$name" "    command: $*" "    exit status: 0 (expected non-zero)" \
			"    output: $(_tap_show "$out")"
	fi
}

is() {
	if [ "$1" == "$2" ]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3" "         got: $(_tap_show "$1")" "    expected: $(_tap_show "$2")"
	fi
}

isnt() {
	if [ "$1" != "$2" ]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3" "         got: $(_tap_show "$1")" "    expected: anything else"
	fi
}

like() {
	if [[ $1 =~ $2 ]]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3" "                  $(_tap_show "$1")" "    doesn't match '$2'"
	fi
}

unlike() {
	if [[ $1 =~ $2 ]]; then
		_tap_result 1 "$3" "                  $(_tap_show "$1")" "          matches '$2'"
	else
		_tap_result 0 "$3"
	fi
}

cmp_ok() {
	local r=1
	if [[ $1 =~ ^-?[0-9]+$ && $3 =~ ^-?[0-9]+$ ]]; then
		case $2 in
		-eq | -ne | -lt | -le | -gt | -ge) test "$1" "$2" "$3" && r=0 ;;
		*) diag "cmp_ok: unknown operator $2" ;;
		esac
	fi
	if [ $r -eq 0 ]; then
		_tap_result 0 "$4"
	else
		_tap_result 1 "$4" "    $(_tap_show "$1")" "        $2" "    $(_tap_show "$3")"
	fi
}

skip() {
	local reason=$1 n=${2:-1} i
	for ((i = 0; i < n; i++)); do
		_tap_n=$((_tap_n + 1))
		printf 'ok %d # skip %s\n' "$_tap_n" "$reason"
	done
}

# Every agent's log must be free of sanitizer reports, and under valgrind
# every process's report free of errors and definite leaks; stop the
# agents first so leak reports at exit are in.
_tap_check_logs() {
	local d f found="" name="no sanitizer report in any agent's log"
	stop_all_agents
	for d in "${AGENT_DIRS[@]}"; do
		if [ -f "$d/agent.log" ] &&
			grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined)' "$d/agent.log"; then
			found="$found $d/agent.log"
		fi
	done
	if [ -n "${VALGRIND_DIR:-}" ]; then
		name="no sanitizer or valgrind report in any log"
		for f in "$VALGRIND_DIR"/*.log; do
			[ -f "$f" ] && grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$f" &&
				found="$found $f"
		done
	fi
	if [ -z "$found" ]; then
		pass "$name"
	else
		fail "$name" "$(for f in $found; do
			echo "== $f"
			case $f in
			"${VALGRIND_DIR:-/nonexistent}"/*) grep -vE '^==[0-9]+== ?$' "$f" | head -120 ;;
			*) grep -E -A30 'ERROR: |runtime error:' "$f" | head -60 ;;
			esac
		done)"
	fi
}

done_testing() {
	_tap_check_logs
	if [ -z "$_tap_planned" ]; then
		echo "1..$_tap_n"
	elif [ "$_tap_planned" != "$_tap_n" ]; then
		diag "planned $_tap_planned tests but ran $_tap_n"
	fi
	_tap_done=1
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

# A fatal problem: report it as a failed test, end the plan and exit.
bail() {
	fail "$1" "${@:2}"
	stop_all_agents
	echo "1..$_tap_n"
	_tap_done=1
	exit 1
}

# ---- running commands ----

run() {
	timeout -k 2 "$RUN_TIMEOUT" "$@" >"$OUT_FILE" 2>"$ERR_FILE"
	RC=$?
	OUT=$(cat -v "$OUT_FILE")
	ERR=$(cat -v "$ERR_FILE")
	if [ $RC -eq 124 ]; then
		diag "timed out after ${RUN_TIMEOUT}s: $*"
	fi
	return 0
}

# Is PID a live process (not gone, not a zombie)?
proc_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Does something accept connections on SOCK?
sock_accepts() {
	perl -MIO::Socket::UNIX -e \
		'exit(IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) ? 0 : 1)' "$1" \
		2>/dev/null
}

# Wait up to SECS (scaled) for CMD to succeed.
wait_for() {
	local secs=$1
	shift
	local deadline=$((SECONDS + secs * TIME_FACTOR))
	while ! "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

# ---- agents ----

start_agent() {
	local dir="" wait=1
	local -a as=()
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) dir=$2; shift 2 ;;
		--no-wait) wait=0; shift ;;
		--as-nobody) as=("${AS_NOBODY[@]}"); shift ;;
		*) break ;;
		esac
	done
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "$TEST_DIR/agent.XXXXXX") || bail "mktemp for an agent"
	fi
	if [ ${#as[@]} -gt 0 ]; then
		# nobody's own directory, reachable through TEST_DIR (0711).
		chown 65534:65534 "$dir" || bail "chown $dir to nobody"
		touch "$dir/agent.log" && chown 65534:65534 "$dir/agent.log"
	fi
	AGENT_DIR=$dir
	AGENT_STATE=$dir/state
	AGENT_SOCK=$dir/sock
	AGENT_LOG=$dir/agent.log
	case " ${AGENT_DIRS[*]} " in *" $dir "*) ;; *) AGENT_DIRS+=("$dir") ;; esac
	echo "== credagentd -f -d $AGENT_STATE -s $AGENT_SOCK $*" >>"$AGENT_LOG"
	if [ ${#as[@]} -gt 0 ]; then
		# The arena is locked memory: let nobody lock it (root may raise
		# the limit; the agent then runs with the raised one).
		(
			ulimit -l unlimited 2>/dev/null || ulimit -l $((64 * 1024)) 2>/dev/null
			exec "${as[@]}" "$CREDAGENTD" -f -d "$AGENT_STATE" -s "$AGENT_SOCK" "$@"
		) >>"$AGENT_LOG" 2>&1 </dev/null &
	else
		"$CREDAGENTD" -f -d "$AGENT_STATE" -s "$AGENT_SOCK" "$@" >>"$AGENT_LOG" 2>&1 </dev/null &
	fi
	AGENT_PID=$!
	AGENT_PIDS+=("$AGENT_PID")
	export CRED_SOCK=$AGENT_SOCK
	[ $wait = 1 ] || return 0
	local deadline=$((SECONDS + 5 * TIME_FACTOR))
	while ! sock_accepts "$AGENT_SOCK"; do
		if ! proc_alive "$AGENT_PID"; then
			{ wait "$AGENT_PID"; } 2>/dev/null
			AGENT_EXIT=$?
			unset 'AGENT_PIDS[-1]'
			bail "credagentd started ($*)" "    it exited with status $AGENT_EXIT before serving; its log:" \
				"$(tail -20 "$AGENT_LOG")"
		fi
		if [ $SECONDS -ge $deadline ]; then
			bail "credagentd started ($*)" \
				"    its socket $AGENT_SOCK did not accept within $((5 * TIME_FACTOR))s; log:" \
				"$(tail -20 "$AGENT_LOG")"
		fi
		sleep 0.02
	done
}

# Stop PID (default: the last agent started) with SIGTERM and reap it.
# Returns 0 when it exited with status 0 in time; AGENT_EXIT holds the
# status (or "timeout" after a SIGKILL).
stop_agent() {
	local pid=${1:-${AGENT_PID:-}} i
	AGENT_EXIT=
	[ -n "$pid" ] || return 1
	local -a rest=()
	for i in "${AGENT_PIDS[@]}"; do
		[ "$i" = "$pid" ] || rest+=("$i")
	done
	AGENT_PIDS=("${rest[@]}")
	kill -TERM "$pid" 2>/dev/null
	local deadline=$((SECONDS + 5 * TIME_FACTOR))
	while proc_alive "$pid"; do
		if [ $SECONDS -ge $deadline ]; then
			{
				kill -KILL "$pid"
				wait "$pid"
			} 2>/dev/null
			AGENT_EXIT=timeout
			diag "agent $pid ignored SIGTERM for $((5 * TIME_FACTOR))s; killed"
			return 1
		fi
		sleep 0.02
	done
	{ wait "$pid"; } 2>/dev/null
	AGENT_EXIT=$?
	[ "$AGENT_EXIT" = 0 ]
}

stop_all_agents() {
	local pid
	for pid in "${AGENT_PIDS[@]}"; do
		stop_agent "$pid" || diag "agent $pid: exit status ${AGENT_EXIT:-?} on SIGTERM"
	done
	AGENT_PIDS=()
}

# Let a process of another uid reach the current agent's socket: the
# agent keeps its socket directory 0700 and the socket 0600 by design.
expose_socket() {
	chmod 0711 "$AGENT_DIR" && chmod 0666 "$AGENT_SOCK"
}

# CMD as nobody (65534), without root's groups: as_nobody CMD, or
# "${AS_NOBODY[@]}" CMD where a command (not a function) is needed, as
# with run or &.
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
as_nobody() {
	"${AS_NOBODY[@]}" "$@"
}

# ---- raw protocol access ----
#
# raw [-s SOCK] [-t SECS] [--as-nobody] STEP...   (SOCK defaults to
# $CRED_SOCK; SECS, 2 scaled, bounds each wait)
# With only hex STEPs: sends them all, then reads until the agent closes
# or goes quiet for SECS, and prints two lines: the bytes received, in
# hex (empty if none), then "eof" or "open".
# STEPs: HEX (spaces allowed: quote it) sends those bytes; "r" reads one
# reply frame and prints its hex ("none" on timeout, "eof" if closed);
# "eof" waits for the agent to close and prints "eof SECONDS" (from the
# last send to the close) or "open";
# "sleep:SECS" pauses. A send the agent refuses prints "send-error".
raw() {
	local sock=${CRED_SOCK:-} t=2
	local -a as=()
	while [ $# -gt 0 ]; do
		case $1 in
		-s) sock=$2; shift 2 ;;
		-t) t=$2; shift 2 ;;
		--as-nobody) as=("${AS_NOBODY[@]}"); shift ;;
		*) break ;;
		esac
	done
	timeout -k 2 $((t * TIME_FACTOR * 4 + 30)) "${as[@]}" perl -e '
use strict; use warnings;
use IO::Socket::UNIX; use IO::Select; use Time::HiRes qw(time sleep);
$SIG{PIPE} = "IGNORE";
my ($path, $t, @steps) = @ARGV;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path)
    or do { print "connect-error $!\n"; exit 1 };
my $sel = IO::Select->new($s);
my $buf = ""; my $eof = 0; my $eof_at = 0; my $sent = time;
# Read what is there within $wait seconds; false on timeout.
sub fill { my ($wait) = @_;
    return 0 if $eof;
    return 0 unless $sel->can_read($wait);
    my $n = sysread($s, my $chunk, 65536);
    if (!$n) { $eof = 1; $eof_at = time; return 1 }
    $buf .= $chunk; return 1 }
my $stepped = grep { !/^[0-9a-fA-F\s]*$/ } @steps;
for my $step (@steps) {
    if ($step =~ /^[0-9a-fA-F\s]*$/) {
        (my $hex = $step) =~ s/\s+//g;
        die "odd hex\n" if length($hex) % 2;
        my $bytes = pack("H*", $hex); my $off = 0;
        while ($off < length $bytes) {
            my $n = syswrite($s, $bytes, length($bytes) - $off, $off);
            if (!defined $n) { print "send-error\n"; $off = length $bytes; last }
            $off += $n;
        }
        $sent = time;
    } elsif ($step eq "r") {
        my $end = time + $t;
        while (1) {
            if (length($buf) >= 4) {
                my $len = unpack("N", $buf);
                if (length($buf) >= 4 + $len) {
                    print unpack("H*", substr($buf, 0, 4 + $len, "")), "\n"; last;
                }
            }
            if ($eof) { print "eof\n"; last }
            my $left = $end - time;
            if ($left <= 0 || !fill($left)) { print $eof ? "eof\n" : "none\n"; last }
        }
    } elsif ($step eq "eof") {
        my $end = time + $t;
        while (!$eof) { my $left = $end - time; last if $left <= 0; fill($left) or last }
        if ($eof) { printf "eof %.2f\n", $eof_at - $sent } else { print "open\n" }
    } elsif ($step =~ /^sleep:([0-9.]+)$/) {
        sleep($1);
    } else { die "raw: unknown step $step\n" }
}
if (!$stepped) {
    while (!$eof && fill($t)) {}
    print unpack("H*", $buf), "\n", $eof ? "eof" : "open", "\n";
}
' "$sock" "$((t * TIME_FACTOR))" "$@"
}

# Fields of a reply frame given in hex: u32 length, u8 type, u32 request
# id, u16 status. "none" when the reply is missing or too short.
_frame_at() { # HEX OFFSET WIDTH
	local v=${1:$2:$3}
	if [[ ${#v} -eq $3 && $v =~ ^[0-9a-fA-F]+$ ]]; then printf '%d' "0x$v"; else printf none; fi
}
frame_type() { _frame_at "$1" 8 2; }
frame_reqid() { _frame_at "$1" 10 8; }
frame_status() { _frame_at "$1" 18 4; }

# Building requests in hex (for raw):
#   frame TYPE REQID [BODYHEX]   a whole request frame, its length computed
#                                (numbers as shell arithmetic: 0x7f or 127)
#   field TAG KIND DATAHEX       one body field
#   u32 N / u64 N                big-endian integers
#   hexstr STRING                the bytes of STRING
frame() {
	local body=${3:-}
	printf '%08x%02x%08x%s' $((5 + ${#body} / 2)) "$1" "$2" "$body"
}
field() { printf '%02x%02x%08x%s' "$1" "$2" $((${#3} / 2)) "$3"; }
u32() { printf '%08x' "$1"; }
u64() { printf '%016x' "$1"; }
hexstr() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# ---- misc ----

# N random bytes as a token of [A-Za-z0-9] (N characters).
random_token() {
	LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1"
}

# Does the JSON in $1 parse, and hold every key named after it? A key
# "a.b" looks inside object a; "[0].k" inside the first array element.
json_has() {
	printf '%s' "$1" | perl -MJSON::PP -e '
my $d = eval { JSON::PP->new->decode(do { local $/; <STDIN> }) };
if (!defined $d && $@) { print "does not parse: $@"; exit 1 }
my $rc = 0;
for my $path (@ARGV) {
    my $v = $d;
    for my $p (split /\./, $path) {
        if ($p =~ /^\[(\d+)\]$/) {
            if (ref $v ne "ARRAY" || $1 >= @$v) { print "no $path\n"; $rc = 1; last }
            $v = $v->[$1];
        } elsif (ref $v ne "HASH" || !exists $v->{$p}) {
            print "no $path\n"; $rc = 1; last;
        } else { $v = $v->{$p} }
    }
}
exit $rc' "${@:2}"
}

# Print the value at PATH (as json_has) of the JSON in $1: scalars as
# text ("null" for null, "true"/"false"), containers as JSON.
json_get() {
	printf '%s' "$1" | perl -MJSON::PP -e '
my $v = JSON::PP->new->decode(do { local $/; <STDIN> });
for my $p (split /\./, $ARGV[0]) {
    $v = $p =~ /^\[(\d+)\]$/ ? $v->[$1] : $v->{$p};
}
if (!defined $v) { print "null" }
elsif (JSON::PP::is_bool($v)) { print $v ? "true" : "false" }
elsif (ref $v) { print JSON::PP->new->canonical->encode($v) }
else { print $v }' "$2"
}

# Processes that are not this shell's children (a daemonized agent, a
# helper started by another) to kill at exit if still alive.
track_pid() {
	CLEANUP_PIDS+=("$1")
}

_tap_cleanup() {
	local rc=$? pid
	trap - EXIT
	stop_all_agents
	for pid in "${CLEANUP_PIDS[@]}"; do
		proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	# Background helpers of the test itself.
	for pid in $(jobs -p); do
		kill -KILL "$pid" 2>/dev/null
	done
	if [ -z "${_tap_done:-}" ]; then
		echo "# $TEST_NAME exited early (status $rc) after $_tap_n tests" >&2
		[ $rc -eq 0 ] && rc=1
	fi
	if [ -n "${KEEP_TEST_DIR:-}" ]; then
		echo "# kept $TEST_DIR" >&2
	else
		rm -rf "$TEST_DIR"
	fi
	exit $rc
}
trap _tap_cleanup EXIT
trap 'exit 130' INT TERM

# The binaries under test, checked once so a missing one is a clear
# failure, then copied: a rebuild during the run cannot swap them midway,
# and other uids can run them wherever the tree lives.
mkdir -m 0755 "$TEST_DIR/bin"
for _t in "$CREDAGENTD" "$CRED"; do
	[ -x "$_t" ] || bail "$_t is built" "    build it first: make all"
	cp "$_t" "$TEST_DIR/bin/" && chmod 0755 "$TEST_DIR/bin/${_t##*/}" || bail "copy $_t"
done
CREDAGENTD=$TEST_DIR/bin/${CREDAGENTD##*/}
CRED=$TEST_DIR/bin/${CRED##*/}
unset _t

# make valgrind: VALGRIND names tests/tools/valgrind-wrap. Each binary
# moves to bin/real/ and a shim in its place runs it under memcheck, the
# reports of every process (other uids' too) in $VALGRIND_DIR, which
# done_testing checks.
VALGRIND_DIR=
if [ -n "${VALGRIND:-}" ]; then
	VALGRIND_DIR=$TEST_DIR/valgrind
	mkdir -m 0755 "$TEST_DIR/bin/real" && mkdir -m 1777 "$VALGRIND_DIR" &&
		cp "$VALGRIND" "$(dirname "$VALGRIND")/valgrind.supp" "$TEST_DIR/bin/real/" &&
		chmod 0755 "$TEST_DIR/bin/real/${VALGRIND##*/}" ||
		bail "valgrind set up" "    VALGRIND=$VALGRIND (and valgrind.supp beside it)"
	for _t in "$CREDAGENTD" "$CRED"; do
		mv "$_t" "$TEST_DIR/bin/real/" &&
			printf '#!/bin/sh\nexec "%s" "%s" "%s" "$@"\n' "$TEST_DIR/bin/real/${VALGRIND##*/}" \
				"$VALGRIND_DIR" "$TEST_DIR/bin/real/${_t##*/}" >"$_t" &&
			chmod 0755 "$_t" || bail "valgrind shim for $_t"
	done
	unset _t
fi
# The command name the kernel gives a cred process (audit records and
# usage counters show it): valgrind's own under make valgrind.
CRED_COMM=cred
[ -n "${VALGRIND:-}" ] && CRED_COMM=memcheck-amd64-
