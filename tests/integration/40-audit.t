#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The audit trail of a user-mode agent: every cred operation leaves a
# record naming the operation, the target (owner:name@version), the
# status, and the caller (uid, gid, pid, command name); failures and
# refused peers are recorded, denials marked as security events; no value
# reaches the trail, the log or the store in clear; the filters (--op,
# --status, --name, --uid, --since, --until, --limit, --summary) select
# what they say; reads are still audited after 10,000 gets, their folded
# counts adding up exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/audit-lib.sh"

export LC_ALL=C
V=$TEST_DIR/vals
mkdir -p "$V"
PASS='audit bundle passphrase'
U=$(id -u)
G=$(id -g)
# The owner part of a target in the filter checks (its exact form, the
# numeric uid, is checked once per operation by rec below).
O='[^: ]+'

start_agent --kdf min
state=$AGENT_STATE
for f in a1 a2 b c d late loop; do
	printf 'audit-%s %s\n' "$f" "$(random_token 24)" >"$V/$f"
done
VALUES="a1 a2 b c d late loop"
"$CRED" put au/b --from-file "$V/b" >/dev/null 2>&1 || bail "put au/b"
"$CRED" put au/c --from-file "$V/c" >/dev/null 2>&1 || bail "put au/c"
"$CRED" put au/d --from-file "$V/d" >/dev/null 2>&1 || bail "put au/d"

# Each operation once, its pid kept: OP -> "PID EXIT".
declare -A P
op() { # KEY CRED-ARGS...
	local key=$1
	shift
	cred_pid "$@"
	P[$key]="$PID $RC"
}
op put put au/a --from-file "$V/a1"
op rotate rotate au/a --from-file "$V/a2"
op get get au/a
op getv get au/a --version 1
op info info au/a
op ls ls
op rollback rollback au/a --to 1
op rm rm au/b
op undelete undelete au/b
op disable disable au/c
op enable enable au/c
op label label au/c env=test
op purge purge au/d
op status status
op share share au/a --uid 65534 --perm read
op unshare unshare au/a --uid 65534
op lock lock
printf 'not a passphrase\n' >"$TEST_DIR/pp"
op unlockpw unlock <"$TEST_DIR/pp"
op unlock unlock --keyfile
op backup backup "$TEST_DIR/audit.bak"
printf '%s\n' "$PASS" >"$TEST_DIR/pp"
op export export "$TEST_DIR/audit.bundle" <"$TEST_DIR/pp"
op import import "$TEST_DIR/audit.bundle" <"$TEST_DIR/pp"
op missing get au/missing
op quota quota au/c 100/day
op usage usage au/
op verify audit verify
op firstaudit --json audit --limit 1
# Identical records within a second fold: let the next audit be another.
sleep 1.1

# A HELLO exchange (which leaves no record).
hello=$(raw "$(frame 1 9 "$(field 1 1 "$(u32 1)")")" r)
is "$(frame_type "$hello").$(frame_status "$hello")" "$((0x81)).0" "a raw HELLO is answered OK"

# A refused peer: nobody connects and sends a STATUS.
expose_socket
raw --as-nobody 000000050200000001 r eof >/dev/null

# The exits of the operations themselves.
for k in put rotate get getv info ls rollback rm undelete disable enable label purge status \
	lock unlock backup export import quota usage verify firstaudit; do
	[ "${P[$k]#* }" = 0 ] || diag "cred $k exited ${P[$k]#* } (expected 0)"
done
is "${P[share]#* }.${P[unshare]#* }" "13.13" "share and unshare on a user-mode agent exit 13"
is "${P[unlockpw]#* }" 4 "a passphrase unlock of a keyfile store exits 4"
is "${P[missing]#* }" 3 "a get of a missing name exits 3"

audit_json
is "$AUDIT_RC" 0 "cred --json audit exits 0"
ok "... and prints a JSON array" json_has "$AUDIT" "[0].seq" "[0].time" "[0].uid" "[0].gid" \
	"[0].pid" "[0].comm" "[0].op" "[0].target" "[0].status" "[0].security" "[0].count"
ALL=$AUDIT

# rec KEY OP TARGET-ERE STATUS SECURITY: the record of that cred process;
# its target checked apart (the owner as the numeric uid), so one wrong
# detail does not hide the others.
rec() {
	local key=$1 op=$2 target=$3 status=$4 sec=$5 pid=${P[$1]%% *} line anyowner
	line=$(rec_line "$ALL" "op=$op" "pid=$pid")
	anyowner=${target/#$U:/[^: ]+:}
	like "$line" \
		"^op=$op target=$anyowner status=$status uid=$U pid=$pid comm=$CRED_COMM security=$sec\$" \
		"cred $key: one record, op $op, status $status, uid $U, its pid, comm cred, security $sec"
	[ "$target" = null ] && return
	like "$(audit_q "$ALL" last:target "op=$op" "pid=$pid")" "^$target\$" \
		"... its target ${target//\\/} (owner as the numeric uid)"
}
rec put put "$U:au/a@1" OK false
rec rotate rotate "$U:au/a@2" OK false
rec get get "$U:au/a@2" OK false
rec getv get "$U:au/a@1" OK false
rec info info "$U:au/a(@2)?" OK false
rec ls ls null OK false
rec rollback rollback "$U:au/a@[0-9]+" OK false
rec rm rm "$U:au/b(@1)?" OK false
rec undelete undelete "$U:au/b(@1)?" OK false
rec disable disable "$U:au/c(@1)?" OK false
rec enable enable "$U:au/c(@1)?" OK false
rec label label "$U:au/c(@1)?" OK false
rec purge purge "$U:au/d(@1)?" OK false
rec status status null OK false
rec share share "$U:au/a" UNSUPPORTED false
rec unshare unshare "$U:au/a" UNSUPPORTED false
rec lock lock null OK false
rec unlock unlock null OK false
rec unlockpw unlock null DENIED true
rec backup backup null OK false
rec export export null OK false
rec import import null OK false
rec missing get "$U:au/missing" NOT_FOUND false
rec quota quota "$U:au/c(@1)?" OK false
rec usage usage null OK false
rec verify audit-verify null OK false
rec firstaudit audit null OK false
note "rollback's target: $(audit_q "$ALL" last:target op=rollback); info's: $(audit_q "$ALL" last:target op=info)"
is "$(audit_q "$ALL" last:gid op=put pid="${P[put]%% *}")" "$G" "the put's record carries the caller's gid $G"
is "$(audit_q "$ALL" n op=hello)" 0 "HELLO leaves no record"

# The refused peer.
is "$(audit_q "$ALL" last:uid,status,security,target op=connect)" "65534 DENIED true null" \
	"the refused connection of uid 65534: op connect, status DENIED, a security event"

# Records ascend by seq, every one counted at least once.
is "$(audit_q "$ALL" all:seq | sort -n -c 2>&1 && echo sorted)" sorted "records come in seq order"
is "$(audit_q "$ALL" n 'count~^(0|-)')" 0 "every record's count is at least 1"

# ---- no value anywhere ----
bad=""
for f in $VALUES; do
	v=$(cat "$V/$f")
	[[ $ALL == *"${v%$'\n'}"* ]] && bad+=" $f"
done
is "$bad" "" "no value in the audit JSON"
bad=""
for f in $VALUES; do
	contains_file "$AGENT_LOG" "$V/$f" && bad+=" $f"
	grep -qF "$(head -c 30 "$V/$f")" "$AGENT_LOG" && bad+=" $f(prefix)"
done
is "$bad" "" "no value in the agent's log"
bad=""
for f in $VALUES; do
	strings -n 8 "$state/data.mdb" | grep -qF "$(head -c 30 "$V/$f")" && bad+=" $f"
done
is "$bad" "" "no value in the strings of data.mdb (audit records included)"
run "$CRED" audit
is "$RC" 0 "cred audit (text) exits 0"
like "$OUT" "au/missing" "... and lists the failed get's target"
like "$OUT" "NOT_FOUND" "... and its status"
bad=""
for f in $VALUES; do
	grep -qF "$(head -c 30 "$V/$f")" "$OUT_FILE" && bad+=" $f"
done
is "$bad" "" "... and holds no value"

# ---- filters ----
audit_json --op get
is "$(audit_q "$AUDIT" n op!=get)" 0 "--op get: only get records"
cmp_ok "$(audit_q "$AUDIT" n)" -ge 3 "... at least the three gets"
is "$(audit_q "$AUDIT" n pid="${P[missing]%% *}")" 1 "... the failed get among them"

audit_json --status NOT_FOUND
is "$(audit_q "$AUDIT" n status!=NOT_FOUND)" 0 "--status NOT_FOUND: only NOT_FOUND records"
is "$(audit_q "$AUDIT" n "target~^$O:au/missing\$")" 1 "... the failed get among them"
audit_json --status DENIED
is "$(audit_q "$AUDIT" n status!=DENIED)" 0 "--status DENIED: only DENIED records"
is "$(audit_q "$AUDIT" n op=connect) $(audit_q "$AUDIT" n op=unlock)" "1 1" \
	"... the refused connection and the refused unlock"

audit_json --name au/a
is "$(audit_q "$AUDIT" n "target!~^$O:au/a(@[0-9]+)?\$")" 0 "--name au/a: only records on au/a"
is "$(audit_q "$AUDIT" n op=put) $(audit_q "$AUDIT" n op=rotate) $(audit_q "$AUDIT" n op=get)" "1 1 2" \
	"... its put, rotate and two gets"
audit_json --name au/missing
like "$(audit_q "$AUDIT" fields op=get | sed -E 's/^seq=[0-9]+ //; s/ pid=[0-9]+//')" \
	"^op=get target=$O:au/missing status=NOT_FOUND uid=$U comm=$CRED_COMM security=false count=1\$" \
	"--name au/missing: the failed get alone"
is "$(audit_q "$AUDIT" n "target!~^$O:au/missing\$")" 0 "... and nothing on other names"
audit_json --name "$U:au/missing"
is "$(audit_q "$AUDIT" n op=get)" 1 "--name $U:au/missing (owner as a uid) finds it too"
audit_json --name au/nothing-here
is "$AUDIT_RC.$(audit_q "$AUDIT" n)" "0.0" "--name of a name never used: exit 0, no record"

audit_json --uid "$U"
is "$(audit_q "$AUDIT" n uid!="$U")" 0 "--uid $U: only records of uid $U"
audit_json --uid 65534
is "$(audit_q "$AUDIT" n uid!=65534) $(audit_q "$AUDIT" n op=connect)" "0 1" \
	"--uid 65534: only the refused connection"

audit_json --op get --status OK --name au/a
is "$(audit_q "$AUDIT" n)" 2 "--op get --status OK --name au/a: the two gets"

audit_json --limit 3
is "$(audit_q "$AUDIT" n)" 3 "--limit 3: three records"
run "$CRED" audit --op no-such-op
is "$RC" 2 "--op with an unknown operation exits 2"
run "$CRED" audit --status NO_SUCH
is "$RC" 2 "--status with an unknown status exits 2"

# --since / --until: a boundary between two seconds.
sleep 1.1
t_mid=$(rfc3339)
sleep 1.1
op late put au/late --from-file "$V/late"
audit_json --since "$t_mid"
is "$(audit_q "$AUDIT" n pid="${P[late]%% *}")" 1 "--since: the put made after the boundary is there"
is "$(audit_q "$AUDIT" n pid="${P[put]%% *}")" 0 "... the put made before it is not"
audit_json --until "$t_mid"
is "$(audit_q "$AUDIT" n pid="${P[put]%% *}")" 1 "--until: the put made before the boundary is there"
is "$(audit_q "$AUDIT" n pid="${P[late]%% *}")" 0 "... the put made after it is not"
audit_json --since "$(rfc3339 $(($(date +%s) + 3600)))"
is "$AUDIT_RC.$(audit_q "$AUDIT" n)" "0.0" "--since an hour ahead: no record"

# --summary: counts by operation and status.
audit_json
full=$AUDIT
audit_json --summary
summary=$AUDIT
ok "--summary --json prints a JSON array of {op, status, count}" json_has "$summary" \
	"[0].op" "[0].status" "[0].count"
is "$(audit_q "$summary" last:count op=get status=OK)" "$(audit_q "$full" sum op=get status=OK)" \
	"... its get/OK count is the sum of the get/OK records' counts"
is "$(audit_q "$summary" last:count op=get status=NOT_FOUND)" 1 "... get/NOT_FOUND counts 1"
is "$(audit_q "$summary" last:count op=connect status=DENIED)" 1 "... connect/DENIED counts 1"
is "$(audit_q "$summary" last:count op=put status=OK)" "$(audit_q "$full" sum op=put status=OK)" \
	"... put/OK as the records say"
audit_json --summary --op get
is "$(audit_q "$AUDIT" n op!=get)" 0 "--summary --op get: only get rows"
run "$CRED" audit --summary
is "$RC" 0 "--summary (text) exits 0"
like "$OUT" "get" "... and names the get operation"

# ---- 10,000 gets ----
"$CRED" put au/loop --from-file "$V/loop" >/dev/null 2>&1 || bail "put au/loop"
run "$GET_LOOP" "$CRED_SOCK" au/loop 10000
is "$RC" 0 "10,000 gets on one connection (get-loop) exit 0"
like "$OUT" " s0=10000\$" "... every one answered OK ($OUT)"
loop_pid=$(sed -nE 's/.* pid ([0-9]+) .*/\1/p' <<<"$OUT")
sleep 1.1
op after get au/loop
is "${P[after]#* }" 0 "a cred get after them exits 0"
audit_json --name au/loop --op get
is "$(audit_q "$AUDIT" sum status=OK)" 10001 "the get records of au/loop count 10,001 reads in all"
is "$(audit_q "$AUDIT" sum pid="$loop_pid" comm=get-loop "target~^$O:au/loop@1\$")" 10000 \
	"... 10,000 of them from get-loop's pid, comm get-loop, version 1"
note "the 10,000 gets are folded into $(audit_q "$AUDIT" n pid="$loop_pid") records"
like "$(rec_line "$AUDIT" pid="${P[after]%% *}")" "^op=get target=$O:au/loop@1 status=OK uid=$U pid=${P[after]%% *} comm=$CRED_COMM " \
	"... and the cred get after them has its own record"
audit_json --summary
is "$(audit_q "$AUDIT" last:count op=get status=OK)" "$(($(audit_q "$full" sum op=get status=OK) + 10001))" \
	"--summary counts the 10,001 more gets"

ok "the agent stops cleanly" stop_agent
done_testing
