#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No secret value in argv, environments, logs, metadata output, error
# messages or the store file; no core dumps of the agent.
. "$(dirname "$0")/lib.sh"

# Distinctive values, kept in files only: never in an argument or an
# exported variable of this script, so that finding one anywhere is a leak.
PAT=$TEST_DIR/patterns
: >"$PAT"
for i in 1 2 3 4 5 6; do
	random_token 40 >"$TEST_DIR/tok$i"
	{
		cat "$TEST_DIR/tok$i"
		echo
	} >>"$PAT"
done
is "$(wc -l <"$PAT")" 6 "six 40-character tokens made"

# Does FILE hold any token? (grep -F -f: the tokens never reach argv.)
leaks_in() { grep -a -F -c -f "$PAT" "$1" 2>/dev/null | grep -qv '^0$'; }
no_leak() { # NAME FILE
	if leaks_in "$2"; then
		fail "$1" "    a secret value appears in $2:" "$(grep -a -n -F -f "$PAT" "$2" | head -5 | cut -c1-200)"
	else
		pass "$1"
	fi
}

# Scan every process's cmdline and environ for the strings in PATFILE,
# ROUNDS times; prints "pid comm file" per hit, and fails if it cannot scan.
scan_proc() { # PATFILE ROUNDS
	perl -e '
use strict; use warnings;
my ($pat, $rounds) = @ARGV;
open(my $p, "<", $pat) or die; my @tok = grep { length } map { chomp; $_ } <$p>; close $p;
my %seen;
for my $round (1 .. $rounds) {
    for my $dir (glob "/proc/[0-9]*") {
        for my $f ("cmdline", "environ") {
            open(my $h, "<", "$dir/$f") or next;
            local $/; my $d = <$h>; close $h; next unless defined $d;
            for my $t (@tok) {
                next if index($d, $t) < 0;
                my $comm = "?";
                if (open(my $c, "<", "$dir/comm")) { $comm = <$c> // "?"; $comm =~ s/\s+$//; }
                print "$dir $comm $f\n" unless $seen{"$dir/$f"}++;
            }
        }
    }
    select(undef, undef, undef, 0.02);
}' "$1" "$2"
}

start_agent
agent1_log=$AGENT_LOG
agent1_state=$AGENT_STATE

# ---- values in through stdin and --from-file, out through get ----
run "$CRED" put s/one <"$TEST_DIR/tok1"
is "$RC" 0 "put of a token from stdin"
run "$CRED" put s/two --from-file "$TEST_DIR/tok2" </dev/null
is "$RC" 0 "put of a token with --from-file"
run "$CRED" put s/one <"$TEST_DIR/tok3"
is "$RC" 0 "put of a second version"
run "$CRED" put s/gone <"$TEST_DIR/tok4"
run "$CRED" rm s/gone
is "$RC" 0 "put and rm of a third secret"
run "$CRED" get s/one
ok "get returns the token" cmp "$TEST_DIR/tok3" "$OUT_FILE"

# ---- argv and environments while cred runs ----
# First, the scanner finds what it should: a marker in an environment
# and one in a command line.
marker=canary-$(random_token 20)
printf '%s\n%s\n' "$marker-env" "$marker-arg" >"$TEST_DIR/canary"
env "CANARY=$marker-env" sleep 30 &
canary1=$!
perl -e 'sleep 30' "$marker-arg" &
canary2=$!
sleep 0.1
canary_hits=$(scan_proc "$TEST_DIR/canary" 1)
like "$canary_hits" "/proc/$canary1 sleep environ" "the /proc scan finds a marker in an environment"
like "$canary_hits" "/proc/$canary2 perl cmdline" "... and one in a command line"
{
	kill "$canary1" "$canary2"
	wait "$canary1" "$canary2"
} 2>/dev/null

# A put held open on a FIFO: its value is sent only at EOF, so the process
# lives, value read, while every process is scanned.
mkfifo "$TEST_DIR/fifo"
"$CRED" put s/slow <"$TEST_DIR/fifo" >"$TEST_DIR/slow.out" 2>&1 &
slow_pid=$!
exec 9>"$TEST_DIR/fifo"
cat "$TEST_DIR/tok5" >&9
sleep 0.2
ok "a put waiting for the end of its input is running" proc_alive "$slow_pid"
# Gets in a loop meanwhile, so get processes are caught too.
(
	end=$((SECONDS + 10 * TIME_FACTOR))
	while [ ! -e "$TEST_DIR/scan.done" ] && [ $SECONDS -lt $end ]; do
		"$CRED" get s/one >/dev/null 2>&1
	done
) &
loop_pid=$!
hits=$(scan_proc "$PAT" 25)
scan_rc=$?
touch "$TEST_DIR/scan.done"
exec 9>&-
{ wait "$slow_pid"; } 2>/dev/null
is "$?" 0 "the held put completes once its input ends"
{ wait "$loop_pid"; } 2>/dev/null
is "$scan_rc" 0 "the /proc scan ran"
is "$hits" "" "no token in any process's cmdline or environ while cred runs"
run "$CRED" get s/slow
ok "the held put stored its value" cmp "$TEST_DIR/tok5" "$OUT_FILE"
is "$(tr -d '\0' <"/proc/$AGENT_PID/environ" | grep -c -F -f "$PAT")" 0 \
	"the agent's environment holds no token"

# ---- metadata output ----
for cmd in "info s/one" "ls" "ls s/" "status" "--json info s/one" "--json ls" "--json status" \
	"ls --deleted" "info s/two"; do
	# shellcheck disable=SC2086
	run "$CRED" $cmd
	cat "$OUT_FILE" "$ERR_FILE" >"$TEST_DIR/meta.out"
	no_leak "cred $cmd shows no value" "$TEST_DIR/meta.out"
done

# ---- error messages ----
run "$CRED" put 'bad//name' <"$TEST_DIR/tok6"
isnt "$RC" 0 "put of a bad name fails"
no_leak "... and its message shows no value" "$ERR_FILE"
run "$CRED" --json put 'bad//name' <"$TEST_DIR/tok6"
no_leak "... nor its JSON error" "$ERR_FILE"
run "$CRED" put s/cas --cas 5 <"$TEST_DIR/tok6"
no_leak "a refused --cas put shows no value" "$ERR_FILE"
{
	cat "$TEST_DIR/tok6"
	head -c $((2 * 1024 * 1024)) /dev/zero
} >"$TEST_DIR/huge"
run "$CRED" put s/huge <"$TEST_DIR/huge"
isnt "$RC" 0 "put of a value over the frame limit fails"
no_leak "... and its message shows no value" "$ERR_FILE"
run "$CRED" get s/gone
no_leak "get of a removed secret shows no value" "$ERR_FILE"
is "$OUT" "" "... and prints nothing"
run "$CRED" get s/one --version 99
no_leak "get of a missing version shows no value" "$ERR_FILE"
run env CRED_SOCK="$TEST_DIR/nothing" "$CRED" put s/x <"$TEST_DIR/tok6"
no_leak "put with no agent shows no value" "$ERR_FILE"

# ---- the agent's log, with --debug too ----
ok "the agent stops cleanly" stop_agent
start_agent --dir "$(dirname "$agent1_state")" --debug
run "$CRED" get s/one
ok "a --debug agent serves the same store" cmp "$TEST_DIR/tok3" "$OUT_FILE"
run "$CRED" put s/debug <"$TEST_DIR/tok6"
run "$CRED" get s/debug
run "$CRED" get s/two --version 1
run "$CRED" info s/debug
run "$CRED" ls
raw "$(frame 4 1 "$(field 17 4 "$(hexstr s/one)")")" r >/dev/null
raw "$(frame 3 2 "$(field 17 4 "$(hexstr s/raw)")$(field 32 3 "$(od -An -v -tx1 "$TEST_DIR/tok1" | tr -d ' \n')")")" \
	r >/dev/null
raw "$(frame 3 3 "$(field 17 4 "$(hexstr 'bad//n')")$(field 32 3 "$(od -An -v -tx1 "$TEST_DIR/tok2" | tr -d ' \n')")")" \
	r >/dev/null
ok "the --debug agent stops cleanly" stop_agent
like "$(cat "$AGENT_LOG")" "<7>" "the --debug agent logged debug lines"
no_leak "the agent's log (normal and --debug) holds no value" "$AGENT_LOG"

# ---- the store holds values sealed only ----
no_leak "data.mdb holds no plaintext value" "$agent1_state/data.mdb"
key_in_store=$(perl -e '
open(my $k, "<:raw", $ARGV[0]) or die; local $/; my $key = <$k>;
open(my $d, "<:raw", $ARGV[1]) or die; my $data = <$d>;
print index($data, $key) >= 0 ? "yes" : "no"' "$agent1_state/credagent.key" "$agent1_state/data.mdb")
is "$key_in_store" no "data.mdb does not hold the keyfile's bytes"

# ---- no core dumps, no ptrace ----
start_agent --dir "$(dirname "$agent1_state")"
core=$(awk '/^Max core file size/ { print $5 "/" $6 }' "/proc/$AGENT_PID/limits")
is "$core" "0/0" "the agent's core file size limit is 0 (soft/hard)"
vmlck=$(awk '/^VmLck:/ { print $2 }' "/proc/$AGENT_PID/status")
if [ "$SAN" = 1 ]; then
	skip "AddressSanitizer turns mlock() into a no-op, so VmLck says nothing (VmLck ${vmlck:-?} kB)" 1
else
	cmp_ok "${vmlck:-0}" -gt 0 "the agent holds locked memory (VmLck ${vmlck:-?} kB)"
fi
ok "the agent stops cleanly" stop_agent

if [ "$(id -u)" = 0 ]; then
	# As root every /proc file is root's; run an agent as nobody, whose
	# /proc files the kernel gives to root only if it is not dumpable.
	start_agent --as-nobody
	nb_pid=$AGENT_PID
	run "${AS_NOBODY[@]}" env CRED_SOCK="$AGENT_SOCK" "$CRED" put n/x --from-file /dev/stdin \
		<"$TEST_DIR/tok1"
	is "$RC" 0 "an agent run by nobody serves nobody"
	is "$(stat -c %u "/proc/$nb_pid")" 65534 "the agent runs as uid 65534"
	is "$(stat -c %u:%g "/proc/$nb_pid/status")" 0:0 \
		"its /proc files belong to root: the agent is not dumpable (PR_SET_DUMPABLE 0)"
	# The contrast: an ordinary process of nobody's is readable by nobody.
	"${AS_NOBODY[@]}" sleep 30 &
	plain=$!
	sleep 0.1
	run "${AS_NOBODY[@]}" cat "/proc/$plain/environ"
	is "$RC" 0 "(an ordinary process of nobody's has an environ nobody can read)"
	{
		kill "$plain"
		wait "$plain"
	} 2>/dev/null
	run "${AS_NOBODY[@]}" cat "/proc/$nb_pid/environ"
	isnt "$RC" 0 "another process of the same uid cannot read the agent's environ"
	run "${AS_NOBODY[@]}" perl -e 'open(my $m, "<", $ARGV[0]) or exit 1; exit 0' "/proc/$nb_pid/mem"
	isnt "$RC" 0 "... nor open its memory"
	core=$(awk '/^Max core file size/ { print $5 }' "/proc/$nb_pid/limits")
	is "$core" 0 "its core file size limit is 0"
	ok "the nobody agent stops cleanly" stop_agent
	no_leak "its log holds no value" "$AGENT_LOG"
else
	skip "needs root to run an agent as another uid and inspect it" 8
fi

done_testing
