# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the system-mode tests (20-23), sourced after lib.sh: test
# users, a system agent other uids can reach, cred run as those users, and
# small perl clients (a flood, a connection holder, a one-shot probe).
#
#   sys_setup                    skip the whole script unless root with
#                                setpriv; create (or reuse) the test users
#                                and groups, deleted again at exit
#   start_system_agent FLAGS...  start_agent --system in a directory other
#                                uids can traverse (socket 0666)
#   cred_as USER ARGS...         run cred as USER (name, or USER:nogroups for
#                                --clear-groups); sets RC OUT ERR like run
#   put_as USER REF VALUE        store VALUE (exact bytes) or bail
#   "$AS" USER CMD...            any command as USER, CRED_SOCK passed on
#   watch_bg USER OUTFILE ARGS.. a background cred watch (bounded by its own
#                                --timeout); WATCH_PID; waits until it blocks
#   probe_as USER                connect, send STATUS, print "status N",
#                                "eof", "none" or "connect-error ..."
#   values_absent TEXT NAME      TEXT holds none of the stored values
#
# The users: credt-alice (no supplementary group), credt-bob (in
# credt-team), credt-carol (in credt-admins). Several test scripts may run
# at once (prove -j): each registers under a lock, and the last one out
# deletes the users and groups.

ALICE=credt-alice
BOB=credt-bob
CAROL=credt-carol
TEAM=credt-team
ADMINS=credt-admins
SYS_USERS_LOCK=/run/lock/credt-users.lock
SYS_USERS_REG=/run/lock/credt-users.d
SYS_VALUES=()

_sys_users_create() {
	local g u
	for g in "$TEAM" "$ADMINS"; do
		getent group "$g" >/dev/null || groupadd "$g" || return 1
	done
	for u in "$ALICE" "$BOB" "$CAROL"; do
		if ! getent passwd "$u" >/dev/null; then
			useradd -M -s /usr/sbin/nologin "$u" || return 1
		fi
	done
	# Exactly these supplementary groups, whatever an earlier run left.
	usermod -G "" "$ALICE" && usermod -G "$TEAM" "$BOB" && usermod -G "$ADMINS" "$CAROL"
}

_sys_users_delete() {
	local u g
	for u in "$ALICE" "$BOB" "$CAROL"; do
		getent passwd "$u" >/dev/null && userdel "$u" 2>/dev/null
		getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
	done
	for g in "$TEAM" "$ADMINS"; do
		getent group "$g" >/dev/null && groupdel "$g" 2>/dev/null
	done
	return 0
}

# Drop this script's registration; the last one out deletes the users.
_sys_users_release() {
	local f live=0
	[ -n "${_sys_registered:-}" ] || return 0
	_sys_registered=
	(
		flock -w 20 9 || exit 1
		rm -f "$SYS_USERS_REG/$$"
		for f in "$SYS_USERS_REG"/*; do
			[ -e "$f" ] || continue
			if kill -0 "${f##*/}" 2>/dev/null; then live=1; else rm -f "$f"; fi
		done
		[ $live = 1 ] || _sys_users_delete
	) 9>"$SYS_USERS_LOCK"
}

# At exit, before lib.sh's cleanup: nothing may still run as a test user
# when the users are deleted (userdel refuses a busy user).
_sys_exit() {
	local rc=$1 pid
	stop_all_agents
	for pid in $(jobs -p); do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	_sys_users_release
	return "$rc"
}

sys_setup() {
	if [ "$(id -u)" != 0 ]; then
		skip "needs root to create users and act as them (setpriv); running as uid $(id -u)" 1
		done_testing
	fi
	local t
	for t in setpriv useradd userdel groupadd groupdel usermod flock perl; do
		command -v "$t" >/dev/null || bail "$t is installed"
	done
	mkdir -p "$SYS_USERS_REG" || bail "mkdir $SYS_USERS_REG"
	# Chain our cleanup before lib.sh's, keeping the exit status it reports.
	trap '_sys_exit $?; _tap_cleanup' EXIT
	_sys_registered=1
	(
		flock -w 20 9 || exit 1
		: >"$SYS_USERS_REG/$$"
		_sys_users_create
	) 9>"$SYS_USERS_LOCK" || bail "test users and groups created"
	ALICE_UID=$(id -u "$ALICE") BOB_UID=$(id -u "$BOB") CAROL_UID=$(id -u "$CAROL")
	TEAM_GID=$(getent group "$TEAM" | cut -d: -f3)

	# Run a command as a test user: USER or USER:nogroups.
	AS=$TEST_DIR/bin/as-user
	cat >"$AS" <<'EOF'
#!/bin/bash
u=$1
shift
groups=--init-groups
case $u in *:nogroups) u=${u%:nogroups}; groups=--clear-groups ;; esac
uid=$(id -u "$u") && gid=$(id -g "$u") || exit 125
exec setpriv --reuid="$uid" --regid="$gid" $groups env CRED_SOCK="${CRED_SOCK:?}" "$@"
EOF
	chmod 0755 "$AS"
}

# A system agent: the socket's directory traversable by every uid.
start_system_agent() {
	local d
	d=$(mktemp -d "$TEST_DIR/agent.XXXXXX") || bail "mktemp for an agent"
	chmod 0711 "$d"
	start_agent --dir "$d" --system "$@"
	[ "$(stat -c %a "$AGENT_SOCK")" = 666 ] || bail "the system socket is 0666" \
		"    it is $(stat -c %a "$AGENT_SOCK")"
}

cred_as() {
	local u=$1
	shift
	run "$AS" "$u" "$CRED" "$@"
}

put_as() { # USER REF VALUE
	SYS_VALUES+=("$3")
	printf '%s' "$3" >"$TEST_DIR/value"
	"$AS" "$1" "$CRED" put "$2" <"$TEST_DIR/value" 2>"$TEST_DIR/put.err" ||
		bail "$1 puts $2" "$(cat "$TEST_DIR/put.err")"
}

# Does TEXT contain any value stored by put_as?
values_absent() {
	local v
	for v in "${SYS_VALUES[@]}"; do
		if [[ $1 == *"$v"* ]]; then
			fail "$2" "    it holds the value '$v'"
			return
		fi
	done
	pass "$2"
}

# Is PID (a cred) blocked waiting on its socket?
_cred_waiting() {
	local fd
	[ -d "/proc/$1" ] || return 0 # gone: nothing left to wait for
	grep -q poll "/proc/$1/wchan" 2>/dev/null || return 1
	for fd in "/proc/$1/fd"/*; do
		[[ $(readlink "$fd" 2>/dev/null) == socket:* ]] && return 0
	done
	return 1
}

# A cred watch as USER in the background, its output in OUTFILE; returns
# once it waits for an event.
watch_bg() { # USER OUTFILE ARGS...
	local u=$1 out=$2
	shift 2
	"$AS" "$u" "$CRED" watch --timeout $((10 * TIME_FACTOR)) "$@" >"$out" 2>&1 &
	WATCH_PID=$!
	wait_for 5 _cred_waiting "$WATCH_PID"
	sleep 0.2
}

# Wait up to SECS (not scaled) for PID to exit; WAIT_RC its status, or
# "running".
wait_exit() { # PID SECS
	local deadline=$((SECONDS + $2))
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

# ---- perl clients ----

# probe_as USER: one connection as USER, one STATUS; prints "status N",
# "eof" (closed without a reply), "none" (no reply in time) or
# "connect-error MSG".
probe_as() {
	timeout -k 2 $((10 * TIME_FACTOR)) "$AS" "$1" perl -e '
use strict; use warnings; use IO::Socket::UNIX; use IO::Select;
$SIG{PIPE} = "IGNORE";
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ENV{CRED_SOCK})
    or do { print "connect-error $!\n"; exit 0 };
syswrite($s, pack("NCN", 5, 2, 1));
my $sel = IO::Select->new($s); my $buf = "";
while (length($buf) < 11) {
    $sel->can_read($ARGV[0]) or do { print "none\n"; exit 0 };
    my $n = sysread($s, $buf, 4096, length $buf);
    if (!$n) { print "eof\n"; exit 0 }
}
printf "status %d\n", unpack("n", substr($buf, 9, 2));' "$((2 * TIME_FACTOR))"
}

# The perl side of a connection holder (see hold_start in 23-limits.t):
# opens N connections, answers on stdout, takes commands on stdin:
# "ping" sends a STATUS on each and prints the statuses; "quit" ends.
SYS_HOLD_PL='
use strict; use warnings; use IO::Socket::UNIX; use IO::Select;
$| = 1; $SIG{PIPE} = "IGNORE"; alarm $ARGV[1];
my @s;
for my $i (1 .. $ARGV[0]) {
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ENV{CRED_SOCK})
        or do { print "connect-error $i $!\n"; exit 1 };
    push @s, $s;
}
print "connected ", scalar(@s), "\n";
my $id = 0;
while (my $cmd = <STDIN>) {
    chomp $cmd;
    last if $cmd eq "quit";
    my @st;
    for my $s (@s) {
        syswrite($s, pack("NCN", 5, 2, ++$id));
        my $sel = IO::Select->new($s); my $buf = "";
        while (length($buf) < 11) {
            $sel->can_read(5) or last;
            my $n = sysread($s, $buf, 4096, length $buf); last unless $n;
        }
        push @st, length($buf) >= 11 ? unpack("n", substr($buf, 9, 2)) : "x";
        # The rest of the STATUS reply.
        my $len = length($buf) >= 4 ? unpack("N", $buf) + 4 : 0;
        while (length($buf) < $len && $sel->can_read(5)) {
            my $n = sysread($s, $buf, 4096, length $buf); last unless $n;
        }
    }
    print "statuses @st\n";
}'

# flood USER NAME SECS STOPFILE: one connection as USER pipelining GETs of
# NAME, 10 every 10 ms, until STOPFILE exists or SECS pass (at most 20,000
# requests); then, after 1.2 s of quiet, one more GET on the same
# connection. Prints "sent N ok N limited N other N secs S after STATUS".
# Writes STOPFILE.started once the first batch is answered.
flood() {
	timeout -k 2 $(($3 + 10)) "$AS" "$1" perl -e '
use strict; use warnings; use IO::Socket::UNIX; use IO::Select;
use Time::HiRes qw(time sleep);
$SIG{PIPE} = "IGNORE";
my ($name, $secs, $stop) = @ARGV;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ENV{CRED_SOCK})
    or do { print "connect-error $!\n"; exit 1 };
my $sel = IO::Select->new($s);
my $body = pack("CCN", 0x11, 4, length $name) . $name;
my $id = 0; my %n = (ok => 0, limited => 0, other => 0); my $buf = "";
sub reply {    # the status of the next reply frame, or undef
    while (1) {
        if (length($buf) >= 4 && length($buf) >= 4 + unpack("N", $buf)) {
            my $f = substr($buf, 0, 4 + unpack("N", $buf), "");
            return unpack("n", substr($f, 9, 2));
        }
        $sel->can_read(5) or return undef;
        my $r = sysread($s, $buf, 65536, length $buf);
        return undef unless $r;
    }
}
sub batch { my ($k) = @_; my $out = "";
    $out .= pack("NCN", 5 + length $body, 4, ++$id) . $body for 1 .. $k;
    my $off = 0;
    while ($off < length $out) {
        my $w = syswrite($s, $out, length($out) - $off, $off);
        die "write: $!\n" unless defined $w; $off += $w;
    }
    for (1 .. $k) {
        my $st = reply(); die "no reply\n" unless defined $st;
        $n{ $st == 0 ? "ok" : $st == 14 ? "limited" : "other" }++;
    }
}
my $t0 = time;
while (time - $t0 < $secs && $id < 20000 && !-e $stop) {
    batch(10);
    if ($id == 10) { open(my $f, ">", "$stop.started") or die; close $f }
    sleep 0.01;
}
my $el = time - $t0;
my %before = %n;
sleep 1.2;
batch(1);
my $after = $n{ok} > $before{ok} ? 0 : $n{limited} > $before{limited} ? 14 : "other";
printf "sent %d ok %d limited %d other %d secs %.2f after %s\n",
    $id - 1, $before{ok}, $before{limited}, $before{other}, $el, $after;
' "$2" "$3" "$4"
}

# ls_field JSON OWNER NAME KEY: KEY of the entry OWNER:NAME in a cred
# --json ls array ("absent" when there is no such entry).
ls_field() {
	printf '%s' "$1" | perl -MJSON::PP -e '
my ($owner, $name, $key) = @ARGV;
my $d = eval { JSON::PP->new->decode(do { local $/; <STDIN> }) };
ref $d eq "ARRAY" or do { print "not-a-list"; exit 0 };
for my $e (@$d) {
    next unless $e->{owner} eq $owner && $e->{name} eq $name;
    my $v = $e->{$key};
    print !defined $v ? "null" : JSON::PP::is_bool($v) ? ($v ? "true" : "false") : $v;
    exit 0;
}
print "absent"' "$2" "$3" "$4"
}

# ls_names JSON: the OWNER:NAME of each entry of a --json ls, space-separated.
ls_names() {
	printf '%s' "$1" | perl -MJSON::PP -e '
my $d = eval { JSON::PP->new->decode(do { local $/; <STDIN> }) };
ref $d eq "ARRAY" or do { print "not-a-list"; exit 0 };
print join(" ", map { "$_->{owner}:$_->{name}" } @$d)'
}
