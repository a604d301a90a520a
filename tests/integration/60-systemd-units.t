#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The systemd units in systemd/: systemd-analyze verify accepts each one
# as installed (ExecStart pointing at the installed credagentd, the man
# pages of Documentation= found), systemd-analyze security scores the
# system service 2.0 or lower, and the settings the design relies on are
# there: the socket paths and modes, Type=notify with a watchdog, the
# keyfile credential, a state directory but no runtime directory, the
# sandbox, LimitMEMLOCK big enough for the default arena, and a comment
# for each hardening setting the agent has to do without.

# The build directory the binaries under test come from (before lib.sh
# swaps them for copies): make install takes them from there.
_t=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=$(cd "$(dirname "${CREDAGENTD:-$_t/build/bin/credagentd}")/.." && pwd)
. "$(dirname "$0")/lib.sh"

NL=$'\n'
SYS=$TOP_DIR/systemd/system
USR=$TOP_DIR/systemd/user
for t in systemd-analyze make man; do
	command -v "$t" >/dev/null || bail "$t is installed" "    run: make deps (package systemd, man-db)"
done

# KEY=VALUE settings of a unit file, one per line, comments dropped.
settings() { grep -vE '^[[:space:]]*(#|;|$|\[)' "$1"; }
# has FILE KEY=VALUE NAME: an exact setting line is there.
has() {
	if settings "$1" | grep -qxF -- "$2"; then
		pass "$3"
	else
		fail "$3" "    no line '$2' in ${1#"$TOP_DIR"/}"
	fi
}
# The value of KEY in FILE (the last one).
value_of() { settings "$1" | sed -n "s/^$2=//p" | tail -1; }

# ---- installed units pass systemd-analyze verify ----
# A real prefix (no DESTDIR), so that ExecStart names an existing file;
# -o all: install what was built, never rebuild during the test.
prefix=$TEST_DIR/prefix
# (Not the flags of a make that runs this test: its jobserver is not ours.)
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP_DIR" --no-print-directory -o all \
	B="$BUILD_DIR" SAN="$SAN" PREFIX="$prefix" install >"$TEST_DIR/install.log" 2>&1; then
	bail "make install PREFIX=$prefix" "$(tail -20 "$TEST_DIR/install.log")"
fi
unitdir=$prefix/lib/systemd
for u in system/credagentd.socket system/credagentd.service user/credagentd.socket \
	user/credagentd.service; do
	ok "$u is installed" test -f "$unitdir/$u"
	exec_line=$(grep '^ExecStart=' "$unitdir/$u")
	if [[ $u == *.service ]]; then
		like "$exec_line" "^ExecStart=$prefix/bin/credagentd " "... its ExecStart names the installed credagentd"
		# Apart from that path, the installed unit is the one in systemd/.
		ok "... and it is otherwise the file in systemd/" cmp -s \
			<(sed "s|^ExecStart=$prefix/bin/|ExecStart=/usr/local/bin/|" "$unitdir/$u") "$TOP_DIR/systemd/$u"
	else
		ok "... as it is in systemd/" cmp -s "$unitdir/$u" "$TOP_DIR/systemd/$u"
	fi
done

# The user manager's verify wants a runtime directory.
rt=$TEST_DIR/runtime
mkdir -m 0700 "$rt"
verify() { # [--user] FILE
	MANPATH=$prefix/share/man XDG_RUNTIME_DIR=$rt run systemd-analyze "$@"
}
for u in system/credagentd.socket system/credagentd.service; do
	verify verify "$unitdir/$u"
	is "$RC" 0 "systemd-analyze verify $u"
	is "$OUT$ERR" "" "... says nothing (Documentation= man pages found, ExecStart executable)"
done
for u in user/credagentd.socket user/credagentd.service; do
	verify --user verify "$unitdir/$u"
	is "$RC" 0 "systemd-analyze --user verify $u"
	is "$OUT$ERR" "" "... says nothing"
done

# A unit with a mistake is caught, or the checks above prove nothing.
mkdir -p "$TEST_DIR/bad"
sed 's/^Type=notify$/Type=notifyy/' "$unitdir/system/credagentd.service" >"$TEST_DIR/bad/credagentd.service"
cp "$unitdir/system/credagentd.socket" "$TEST_DIR/bad/"
verify verify "$TEST_DIR/bad/credagentd.service"
# (A setting it cannot parse is only a warning: hence "says nothing" above.)
like "$OUT$ERR" "notifyy" "systemd-analyze verify reports a broken Type= (the check works)"

# ---- systemd-analyze security ----
run systemd-analyze security --offline=true --threshold=20 "$SYS/credagentd.service"
is "$RC" 0 "systemd-analyze security --offline=true --threshold=20 passes for the system service"
score_line=$(printf '%s\n' "$OUT" | grep -m1 'Overall exposure level' |
	sed -E 's/.*(Overall exposure level[^:]*: [0-9.]+ [A-Z]+).*/\1/')
note "systemd-analyze security: $score_line"
score=$(printf '%s\n' "$score_line" | sed -nE 's/.*: ([0-9]+\.[0-9]).*/\1/p')
like "$score" '^[0-9]+\.[0-9]$' "... and reports an exposure level"
cmp_ok "${score/./}" -le 20 "... of 2.0 or lower (${score:-none})"
# The threshold bites: a bare service with the same ExecStart fails it.
printf '[Service]\nType=notify\nExecStart=/usr/local/bin/credagentd -f --system\n' \
	>"$TEST_DIR/bad/bare.service"
run systemd-analyze security --offline=true --threshold=20 "$TEST_DIR/bad/bare.service"
isnt "$RC" 0 "... while an unhardened service fails the same threshold"

# ---- the system socket ----
S=$SYS/credagentd.socket
has "$S" "ListenStream=/run/credagent/sock" "system socket: /run/credagent/sock"
has "$S" "SocketMode=0666" "... 0666 (the kernel says who calls)"
has "$S" "WantedBy=sockets.target" "... enabled through sockets.target"

# ---- the system service ----
F=$SYS/credagentd.service
has "$F" "Type=notify" "system service: Type=notify"
has "$F" "NotifyAccess=main" "... NotifyAccess=main"
like "$(value_of "$F" WatchdogSec)" '^[0-9]+s?$' "... a WatchdogSec="
has "$F" "Requires=credagentd.socket" "... requires its socket"
like "$(value_of "$F" ExecStart)" "^/usr/local/bin/credagentd (.* )?--system( |\$)" "... runs credagentd --system"
has "$F" "LoadCredentialEncrypted=credagent.key" "... passes the keyfile credential when there is one"
ok "... and its comment says how to make it" grep -q 'systemd-creds encrypt' "$F"
has "$F" "StateDirectory=credagent" "... StateDirectory=credagent"
has "$F" "StateDirectoryMode=0700" "... 0700"
is "$(settings "$F" | grep -c '^RuntimeDirectory')" 0 \
	"... no RuntimeDirectory= (it would remove the socket's directory when the service stops)"
user=$(value_of "$F" User)
isnt "$user" "" "... a User="
isnt "$user" "root" "... that is not root"
like "$(cat "$TOP_DIR/systemd/sysusers.d/credagent.conf")" "(^|$NL)u $user " \
	"... and systemd/sysusers.d/credagent.conf creates it"
ok "... the sysusers.d file is installed" test -f "$prefix/lib/sysusers.d/credagent.conf"
for kv in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	PrivateDevices=yes PrivateNetwork=yes RestrictAddressFamilies=AF_UNIX \
	MemoryDenyWriteExecute=yes LockPersonality=yes ProtectKernelTunables=yes \
	ProtectKernelModules=yes ProtectKernelLogs=yes ProtectControlGroups=yes \
	ProtectClock=yes ProtectHostname=yes RestrictNamespaces=yes RestrictRealtime=yes \
	RestrictSUIDSGID=yes SystemCallArchitectures=native ProcSubset=pid RemoveIPC=yes \
	SystemCallFilter=@system-service "SystemCallFilter=~@privileged @resources" \
	CapabilityBoundingSet= AmbientCapabilities= LimitCORE=0 UMask=0077; do
	has "$F" "$kv" "... $kv"
done
is "$(settings "$F" | grep -c '^PrivateUsers=')" 0 "... no PrivateUsers= (every caller would be nobody)"
ok "... with a comment saying why not PrivateUsers=" grep -q '^# Not PrivateUsers=' "$F"
pp=$(value_of "$F" ProtectProc)
if [ "$pp" = invisible ]; then
	pass "... ProtectProc=invisible"
else
	ok "... ProtectProc=$pp, with a comment saying why not invisible" \
		grep -q '^# Not ProtectProc=invisible' "$F"
fi
ok "... with a comment saying why not root" grep -q '^# Not root:' "$F"
ok "... a comment saying why not DynamicUser=" grep -q '^# Not DynamicUser=' "$F"

# LimitMEMLOCK must hold the default arena and the reserve the agent keeps
# beside it for keys (agent/main.c): below that, a non-root agent shrinks
# its arena.
to_bytes() { # 9M, 9437184, 512K...
	local v=$1
	case $v in
	*K) echo $((${v%K} << 10)) ;;
	*M) echo $((${v%M} << 20)) ;;
	*G) echo $((${v%G} << 30)) ;;
	*[0-9]) echo "$v" ;;
	*) echo bad ;;
	esac
}
def() { # NAME: a "#define NAME (8u << 20)" of agent/main.c, in bytes
	local e
	e=$(sed -nE "s/^#define $1 \((.*)\)\$/\1/p" "$TOP_DIR/agent/main.c" | tr -d 'u')
	[[ $e =~ ^[0-9\ \<\>\*]+$ ]] && echo $((e)) || echo bad
}
arena=$(def ARENA_DEFAULT)
reserve=$(def MEMLOCK_RESERVE)
like "$arena$reserve" '^[0-9]+$' "agent/main.c has ARENA_DEFAULT ($arena) and MEMLOCK_RESERVE ($reserve)"
memlock=$(to_bytes "$(value_of "$F" LimitMEMLOCK)")
like "$memlock" '^[0-9]+$' "... the service sets LimitMEMLOCK= ($memlock bytes)"
cmp_ok "$memlock" -ge $((arena + reserve)) "... at least the default arena plus the reserve"
cmp_ok "$memlock" -le $((4 * (arena + reserve))) "... and not wildly more"

# ---- the user units ----
S=$USR/credagentd.socket
has "$S" "ListenStream=%t/credagent/sock" "user socket: %t/credagent/sock"
has "$S" "SocketMode=0600" "... 0600"
has "$S" "DirectoryMode=0700" "... in a 0700 directory"
F=$USR/credagentd.service
has "$F" "Type=notify" "user service: Type=notify"
like "$(value_of "$F" WatchdogSec)" '^[0-9]+s?$' "... a WatchdogSec="
has "$F" "Requires=credagentd.socket" "... requires its socket"
unlike "$(value_of "$F" ExecStart)" "--system" "... runs a user agent"
is "$(settings "$F" | grep -c '^RuntimeDirectory')" 0 "... no RuntimeDirectory="
for kv in NoNewPrivileges=yes RestrictAddressFamilies=AF_UNIX MemoryDenyWriteExecute=yes \
	LockPersonality=yes LimitCORE=0 UMask=0077 SystemCallArchitectures=native \
	SystemCallFilter=@system-service; do
	has "$F" "$kv" "... $kv"
done

done_testing
