#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# credagentd under systemd, with systemd's own tools standing in for the
# manager:
# - socket activation (systemd-socket-activate): the agent serves the
#   passed socket as it is (same inode, never unlinked or re-created), does
#   not fork, and answers the very connection that started it; a passed
#   socket that is not one listening Unix stream socket is refused;
# - sd_notify (NOTIFY_SOCKET on a datagram socket this test listens on):
#   READY=1 once the socket answers, a STATUS= line, STATUS= following the
#   lock state, STOPPING=1 on SIGTERM, and WATCHDOG=1 pings when
#   WATCHDOG_USEC is set (and only then);
# - as root: the system service's ExecStart, user, capability set,
#   LimitMEMLOCK and UMask from systemd/system/credagentd.service, with
#   the socket made by the manager: clients accept the agent (SO_PEERCRED
#   names the listener), the default arena fits, and the audit trail still
#   learns each caller's command.

. "$(dirname "$0")/lib.sh"

export LC_ALL=C
for t in systemd-socket-activate perl; do
	command -v "$t" >/dev/null || bail "$t is installed" "    run: make deps (package systemd)"
done

# ---- helpers ----

# A directory for one agent, registered so the sanitizer check reads its
# agent.log.
new_dir() {
	local d
	d=$(mktemp -d "$TEST_DIR/agent.XXXXXX") || bail "mktemp"
	chmod 0711 "$d"
	AGENT_DIRS+=("$d")
	echo "$d"
}

# listen_notify PATH OUT [PROBE_SOCK]: a datagram socket at PATH (0666)
# writing "msg TIME PAYLOAD" lines to OUT (newlines of a payload shown as
# '|'). On a READY=1 it at once sends a STATUS request to PROBE_SOCK and
# adds "probe status N", "probe none" or "probe connect-error". Bounded:
# it exits after 60 s. Sets LISTENER_PID.
listen_notify() {
	perl -e '
use strict; use warnings; use IO::Socket::UNIX; use IO::Select; use Time::HiRes qw(time);
my ($path, $out, $probe) = @ARGV;
my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM(), Local => $path) or die "listen $path: $!";
chmod 0666, $path;
open(my $fh, ">>", $out) or die; $fh->autoflush(1);
print $fh "listening\n";
$SIG{ALRM} = sub { exit 0 }; alarm 60;
while (defined $s->recv(my $buf, 65536)) {
    (my $one = $buf) =~ s/\n/|/g;
    printf $fh "msg %.3f %s\n", time, $one;
    next unless defined $probe && $buf =~ /(^|\n)READY=1(\n|$)/;
    my $c = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $probe);
    if (!$c) { print $fh "probe connect-error $!\n"; next }
    syswrite($c, pack("NCN", 5, 2, 1));
    my $sel = IO::Select->new($c); my $r = "";
    while (length($r) < 11) {
        last unless $sel->can_read(3);
        my $n = sysread($c, $r, 4096, length $r); last unless $n;
    }
    print $fh length($r) >= 11 ? sprintf("probe status %d\n", unpack("n", substr($r, 9, 2)))
                               : "probe none\n";
}' "$@" &
	LISTENER_PID=$!
	wait_for 5 grep -qs '^listening' "$2" || bail "the notify listener listens at $1"
}
# The payloads received so far, one per line.
msgs() { sed -n 's/^msg [0-9.]* //p' "$1"; }
# How many payloads hold the line $2 (exactly).
count_line() { msgs "$1" | tr '|' '\n' | grep -cxF -- "$2"; }
# The index of the first payload holding a line matching ERE $2 (0: none).
first_at() { msgs "$1" | awk -v re="$2" '{ n = split($0, l, "|"); for (i = 1; i <= n; i++) if (l[i] ~ re) { print NR; exit } }' | grep . || echo 0; }

# Wait up to SECS for PID to exit; sets WAIT_RC (or "running").
wait_exit() {
	local deadline=$((SECONDS + $2 * TIME_FACTOR))
	while proc_alive "$1"; do
		if [ $SECONDS -ge $deadline ]; then
			WAIT_RC=running
			return 1
		fi
		sleep 0.05
	done
	wait "$1" 2>/dev/null
	WAIT_RC=$?
}

# The pids whose executable is the credagentd under test.
agent_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$CREDAGENTD" ] && echo "${p#/proc/}"
	done | sort -n | xargs
}

sock_inode() { stat -c '%i %a %F' "$1" 2>/dev/null || echo missing; }

# ---- socket activation ----
d=$(new_dir)
sock=$d/sock
notify=$d/notify
listen_notify "$notify" "$d/notify.log"
# No -f: under systemd the agent must not fork whatever its flags.
systemd-socket-activate -l "$sock" -E NOTIFY_SOCKET="$notify" -- \
	"$CREDAGENTD" -d "$d/state" >"$d/agent.out" 2>"$d/agent.log" </dev/null &
act=$!
AGENT_PIDS+=("$act")
wait_for 5 test -S "$sock" || bail "systemd-socket-activate listens on $sock"
before=$(sock_inode "$sock")
export CRED_SOCK=$sock
# Nothing runs yet: this connection is what starts the agent.
run "$CRED" status
is "$RC" 0 "the first client's request (status) is answered by the activated agent"
like "$OUT" "mode: +user" "... a user-mode agent"
is "$(readlink "/proc/$act/exe")" "$CREDAGENTD" "the activated process is credagentd (exec'd, same pid)"
is "$(agent_pids)" "$act" "... and it did not fork: no other credagentd process"
is "$(cat "$d/agent.out")" "" "... nor print the CRED_SOCK= lines of a daemonizing start"
like "$(cat "$d/agent.log")" "the socket systemd passed" "... it logs that it serves the passed socket"
printf 'activated value' >"$d/v"
run "$CRED" put sa/one --from-file "$d/v"
is "$RC" 0 "put through the passed socket"
run "$CRED" get sa/one
is "$OUT" "activated value" "... and get"
is "$(sock_inode "$sock")" "$before" "the socket file is the one passed: same inode and mode"
wait_for 5 grep -q 'READY=1' "$d/notify.log"
is "$(count_line "$d/notify.log" READY=1)" 1 "READY=1 sent once under socket activation"
ok "SIGTERM stops it cleanly" stop_agent "$act"
is "$(sock_inode "$sock")" "$before" "... leaving the passed socket in place (no unlink)"
wait_for 3 grep -q 'STOPPING=1' "$d/notify.log"
is "$(count_line "$d/notify.log" STOPPING=1)" 1 "... after sending STOPPING=1"
kill "$LISTENER_PID" 2>/dev/null

# ---- sockets the agent must refuse ----
# refuse NAME TRIGGER-PERL ACTIVATE-ARGS...: the agent, started by the
# trigger connection, exits non-zero saying why.
refuse() {
	local name=$1 trigger=$2 dd
	shift 2
	dd=$(new_dir)
	systemd-socket-activate "$@" -- "$CREDAGENTD" -f -d "$dd/state" \
		>"$dd/agent.log" 2>&1 </dev/null &
	local pid=$!
	wait_for 5 grep -q '^Listening' "$dd/agent.log" || sleep 0.5
	timeout 5 perl -MIO::Socket::UNIX -MIO::Socket::INET -e "$trigger" 2>/dev/null
	wait_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null
	isnt "$WAIT_RC" 0 "a passed $name: the agent refuses it (exit $WAIT_RC)"
	isnt "$WAIT_RC" running "... and exits"
	like "$(cat "$dd/agent.log")" "credagentd\[[0-9]+\]: .*socket" "... saying why" ||
		diag "$(tail -5 "$dd/agent.log")"
	ok "... before creating a store" test ! -e "$dd/state/data.mdb"
}
refuse "datagram socket" \
	'IO::Socket::UNIX->new(Type => SOCK_DGRAM(), Peer => "'"$TEST_DIR"'/dgram.sock")->send("x")' \
	--datagram -l "$TEST_DIR/dgram.sock"
refuse "SOCK_SEQPACKET socket" \
	'IO::Socket::UNIX->new(Type => SOCK_SEQPACKET(), Peer => "'"$TEST_DIR"'/seq.sock") or die' \
	--seqpacket -l "$TEST_DIR/seq.sock"
port=$((20000 + RANDOM % 20000))
refuse "TCP socket" \
	'IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => '"$port"', Proto => "tcp") or die' \
	-l "127.0.0.1:$port"
refuse "pair of sockets" \
	'IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => "'"$TEST_DIR"'/two-a.sock") or die' \
	-l "$TEST_DIR/two-a.sock" -l "$TEST_DIR/two-b.sock"

# ---- sd_notify without socket activation ----
d=$(new_dir)
sock=$d/sock
notify=$d/notify
listen_notify "$notify" "$d/notify.log" "$sock"
NOTIFY_SOCKET=$notify "$CREDAGENTD" -d "$d/state" -s "$sock" >"$d/agent.out" 2>"$d/agent.log" </dev/null &
pid=$!
AGENT_PIDS+=("$pid")
export CRED_SOCK=$sock
wait_for 10 grep -q '^probe' "$d/notify.log" || diag "no READY=1 within 10 s: $(cat "$d/notify.log")"
is "$(count_line "$d/notify.log" READY=1)" 1 "with NOTIFY_SOCKET: READY=1, once"
is "$(sed -n 's/^probe //p' "$d/notify.log")" "status 0" \
	"... sent once the socket answers (a STATUS request made on receipt is answered)"
ok "... the agent stayed in the foreground (no -f, but NOTIFY_SOCKET)" proc_alive "$pid"
is "$(agent_pids)" "$pid" "... and did not fork"
is "$(cat "$d/agent.out")" "" "... nor print CRED_SOCK= lines"
ready_at=$(first_at "$d/notify.log" '^READY=1$')
status_at=$(first_at "$d/notify.log" '^STATUS=.')
cmp_ok "$status_at" -ge 1 "a STATUS= line is sent"
cmp_ok "$status_at" -le "$ready_at" "... with READY=1 or before it"

run "$CRED" lock
is "$RC" 0 "cred lock"
# shellcheck disable=SC2016 # $1 is sh's
wait_for 3 sh -c 'sed -n "s/^msg [0-9.]* //p" "$1" | tr "|" "\n" | grep -qE "^STATUS=(.*[^a-z])?locked"' sh \
	"$d/notify.log"
like "$(msgs "$d/notify.log" | tr '|' '\n' | grep '^STATUS=' | tail -1)" '^STATUS=(.*[^a-z])?locked' \
	"... and STATUS= now says locked"
run "$CRED" unlock --keyfile
# shellcheck disable=SC2016 # $1 is sh's
wait_for 3 sh -c 'sed -n "s/^msg [0-9.]* //p" "$1" | tr "|" "\n" | grep "^STATUS=" | tail -1 | grep -q unlocked' sh \
	"$d/notify.log"
like "$(msgs "$d/notify.log" | tr '|' '\n' | grep '^STATUS=' | tail -1)" 'unlocked' \
	"... and unlocked again after cred unlock"
is "$(count_line "$d/notify.log" WATCHDOG=1)" 0 "no WATCHDOG=1 without WATCHDOG_USEC"
ok "SIGTERM stops it cleanly" stop_agent "$pid"
wait_for 3 grep -q 'STOPPING=1' "$d/notify.log"
stop_at=$(first_at "$d/notify.log" '^STOPPING=1$')
cmp_ok "$stop_at" -gt "$ready_at" "STOPPING=1 on SIGTERM, after READY=1"
ok "the agent removed the socket it had made itself" test ! -e "$sock"
kill "$LISTENER_PID" 2>/dev/null

# ---- the watchdog ----
watchdog_run() { # WATCHDOG_PID-MODE (self|other): agent dir in WD_DIR
	local dd
	dd=$(new_dir)
	WD_DIR=$dd
	listen_notify "$dd/notify" "$dd/notify.log"
	# As systemd does: WATCHDOG_PID names the service's main process.
	if [ "$1" = self ]; then
		NOTIFY_SOCKET=$dd/notify WATCHDOG_USEC=1000000 sh -c 'WATCHDOG_PID=$$ exec "$@"' sh \
			"$CREDAGENTD" -f -d "$dd/state" -s "$dd/sock" >"$dd/agent.log" 2>&1 </dev/null &
	else
		NOTIFY_SOCKET=$dd/notify WATCHDOG_USEC=1000000 WATCHDOG_PID=1 \
			"$CREDAGENTD" -f -d "$dd/state" -s "$dd/sock" >"$dd/agent.log" 2>&1 </dev/null &
	fi
	WD_PID=$!
	AGENT_PIDS+=("$WD_PID")
	wait_for 10 grep -q 'READY=1' "$dd/notify.log" || diag "no READY=1: $(tail -5 "$dd/agent.log")"
	sleep 2.6
	stop_agent "$WD_PID" || diag "exit ${AGENT_EXIT:-?}"
	kill "$LISTENER_PID" 2>/dev/null
}
watchdog_run self
cmp_ok "$(count_line "$WD_DIR/notify.log" WATCHDOG=1)" -ge 3 \
	"WATCHDOG_USEC=1 s: at least 3 WATCHDOG=1 pings in 2.6 s (every half period)"
watchdog_run other
is "$(count_line "$WD_DIR/notify.log" WATCHDOG=1)" 0 "WATCHDOG_PID naming another process: no pings"

# ---- the system service's sandbox, as far as a test can build it ----
if [ "$(id -u)" != 0 ]; then
	skip "needs root to run the agent as another user with the unit's limits" 1
	done_testing
fi
for t in setpriv prlimit; do
	command -v "$t" >/dev/null || bail "$t is installed" "    run: make deps (util-linux)"
done
UNIT=$TOP_DIR/systemd/system/credagentd.service
unit_value() { grep -E "^$1=" "$UNIT" | tail -1 | sed "s/^$1=//"; }
to_bytes() {
	case $1 in
	*K) echo $((${1%K} << 10)) ;; *M) echo $((${1%M} << 20)) ;;
	*G) echo $((${1%G} << 30)) ;; *) echo "$1" ;;
	esac
}
memlock=$(to_bytes "$(unit_value LimitMEMLOCK)")
# systemd may raise the hard limit; a test without CAP_SYS_RESOURCE may
# not, and then runs the agent with the hard limit it has.
full_memlock=1
if ! prlimit --memlock="$memlock:$memlock" true 2>/dev/null; then
	full_memlock=0
	hard=$(ulimit -H -l)
	[ "$hard" = unlimited ] && hard=$((memlock >> 10))
	memlock=$((hard << 10))
fi
umask_v=$(unit_value UMask)
read -r -a exec_args <<<"$(unit_value ExecStart)"
is "${exec_args[0]}" /usr/local/bin/credagentd "the unit's ExecStart runs credagentd"
d=$(new_dir)
state=$d/state
# StateDirectory=credagent, StateDirectoryMode=0700, owned by the service
# user; nobody (65534) stands in for the credagent user.
mkdir -m 0700 "$state" && chown 65534:65534 "$state"
args=()
for a in "${exec_args[@]:1}"; do
	args+=("${a//\$\{STATE_DIRECTORY\}/$state}")
done
note "the unit's command, as run here: credagentd ${args[*]}"
sock=$d/sock
listen_notify "$d/notify" "$d/notify.log"
# LoadCredentialEncrypted=credagent.key, decrypted by the manager: a 0400
# file of the service user's in a directory of its own.
creds=$d/creds
mkdir -m 0500 "$creds" && head -c 32 /dev/urandom >"$creds/credagent.key" &&
	chmod 0400 "$creds/credagent.key" && chown -R 65534:65534 "$creds" || bail "a credentials directory"
# The socket: made by the manager (root) with SocketMode=0666. The
# service: User= (nobody here), CapabilityBoundingSet= empty,
# NoNewPrivileges=, LimitMEMLOCK=, LimitCORE=0 and UMask= of the unit.
(
	umask 0111
	exec systemd-socket-activate -l "$sock" -E NOTIFY_SOCKET="$d/notify" \
		-E CREDENTIALS_DIRECTORY="$creds" -- \
		prlimit --memlock="$memlock:$memlock" --core=0:0 -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups --bounding-set=-all \
		--inh-caps=-all --no-new-privs -- \
		sh -c 'umask "$1"; shift; exec "$@"' sh "$umask_v" "$CREDAGENTD" "${args[@]}"
) >"$d/agent.log" 2>&1 </dev/null &
sys=$!
AGENT_PIDS+=("$sys")
wait_for 5 test -S "$sock" || bail "the system socket is there"
chmod 0666 "$sock" # SocketMode=0666
export CRED_SOCK=$sock
run "$CRED" status
is "$RC" 0 "root's first request is answered (libcred accepts the socket: its listener is root)" ||
	diag "$ERR" "$(tail -5 "$d/agent.log")"
like "$OUT" "mode: +system" "... by a system-mode agent"
st=/proc/$sys/status
is "$(awk '/^Uid:/ { print $2 }' "$st")" 65534 "the agent runs as the service user, not root"
is "$(awk '/^CapEff:/ { print $2 }' "$st") $(awk '/^CapBnd:/ { print $2 }' "$st")" \
	"0000000000000000 0000000000000000" "... with no capability at all"
is "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" 1 "... and no new privileges"
vmlck=$(awk '/^VmLck:/ { print $2 }' "$st")
if [ $full_memlock = 1 ]; then
	cmp_ok "${vmlck:-0}" -ge 8192 \
		"LimitMEMLOCK=$(unit_value LimitMEMLOCK) holds the whole default arena (VmLck ${vmlck:-?} kB)"
else
	skip "cannot raise RLIMIT_MEMLOCK to the unit's $(unit_value LimitMEMLOCK) here (hard limit $((memlock >> 10)) kB, no CAP_SYS_RESOURCE); the agent ran with $((memlock >> 10)) kB" 1
fi
is "$(stat -c '%a %U' "$state")" "700 nobody" "the state directory stays 0700, the service user's"
ok "the keyfile credential is used: no keyfile in the state directory" \
	test ! -e "$state/credagent.key"
files=$(find "$state" -type f -perm /077 | xargs)
is "$files" "" "... and the agent creates nothing group- or world-accessible in it"
printf 'root value' >"$d/v"
run "$CRED" put sys/root-key --from-file "$d/v"
is "$RC" 0 "root puts a secret"
run "$CRED" get sys/root-key
is "$OUT" "root value" "... and gets it back"
printf 'other value' >"$d/v2"
chmod 0644 "$d/v2"
run setpriv --reuid=4242 --regid=4242 --clear-groups env CRED_SOCK="$sock" "$CRED" put sys/mine --from-file "$d/v2"
is "$RC" 0 "uid 4242 puts its own secret" || diag "$ERR"
run setpriv --reuid=4242 --regid=4242 --clear-groups env CRED_SOCK="$sock" "$CRED" get 0:sys/root-key
is "$RC" 3 "... and cannot see root's (NOT_FOUND)"
# Each caller's command reaches the audit trail: the agent, not root,
# reads another uid's /proc/PID/comm (no ProtectProc=invisible).
run "$CRED" --json audit --limit 50
is "$RC" 0 "root reads the audit trail"
comms=$(printf '%s' "$OUT" | perl -MJSON::PP -e '
my $d = JSON::PP->new->decode(do { local $/; <STDIN> });
print join(" ", map { "$_->{uid}:$_->{op}:$_->{comm}" } grep { $_->{op} =~ /^(put|get)$/ } @$d)')
like "$comms" "(^| )0:get:cred( |\$)" "... root's get is recorded with its command"
like "$comms" "(^| )4242:put:cred( |\$)" "... and so is uid 4242's put"
wait_for 5 grep -q 'READY=1' "$d/notify.log"
is "$(count_line "$d/notify.log" READY=1)" 1 "READY=1 reached the manager from the unprivileged agent"
ok "SIGTERM stops it cleanly" stop_agent "$sys"
ok "... the socket stays for the next start" test -S "$sock"
kill "$LISTENER_PID" 2>/dev/null

done_testing
