#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No secret value leaks (DESIGN §11): canary values stored through every
# path (put from stdin and --from-file, a typed put, rotate, a generated
# rotate, import-env, export and import, then used by get, read, env, run,
# inject and verify --with) never appear in any process's cmdline or
# environ while those commands run (sampled from /proc, over and over;
# the one process meant to hold a value, the child that cred run and
# verify --with start, excepted), nor in the agent's log, the audit trail
# (cred audit, text and JSON), metadata output, or the messages of
# operations made to fail with a canary in play. And the agent is not
# dumpable: run as an unprivileged user, another process of that user
# cannot ptrace it, read its memory or its environ; and its keys and
# values sit in locked memory (VmLck) while it is unlocked.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
PROBE=$TOOLS/ptrace-probe
[ -x "$PROBE" ] || bail "$PROBE is built" "    build it first: make $TOOLS/ptrace-probe"
cp "$PROBE" "$TEST_DIR/bin/" && chmod 0755 "$TEST_DIR/bin/ptrace-probe"
PROBE=$TEST_DIR/bin/ptrace-probe
T0=$SECONDS

# The canaries live in files only: never in an argument or an exported
# variable of this script, so finding one anywhere else is a leak.
PAT=$TEST_DIR/patterns
: >"$PAT"
for i in 1 2 3 4 5 6 7 8 9; do
	printf 'canary%s%s' "$i" "$(random_token 34)" >"$TEST_DIR/tok$i"
	{
		cat "$TEST_DIR/tok$i"
		echo
	} >>"$PAT"
done
tok() { cat "$TEST_DIR/tok$1"; } # only ever into a file or a pipe

leaks_in() { grep -a -q -F -f "$PAT" "$1" 2>/dev/null; }
no_leak() { # NAME FILE
	if leaks_in "$2"; then
		fail "$1" "    a canary appears in $2:" "$(grep -a -n -F -f "$PAT" "$2" | head -5 | cut -c1-200)"
	else
		pass "$1"
	fi
}

# Every process's cmdline and environ, ROUNDS times: "pid file cmdline"
# per hit, cmdline with NULs as spaces.
scan_proc() { # PATFILE ROUNDS
	perl -e '
use strict; use warnings;
my ($pat, $rounds) = @ARGV;
open(my $p, "<", $pat) or die; my @tok = grep { length } map { chomp; $_ } <$p>; close $p;
my %seen;
for my $round (1 .. $rounds) {
    for my $dir (glob "/proc/[0-9]*") {
        next if $dir eq "/proc/$$";
        for my $f ("cmdline", "environ") {
            open(my $h, "<", "$dir/$f") or next;
            local $/; my $d = <$h>; close $h; next unless defined $d;
            next unless grep { index($d, $_) >= 0 } @tok;
            my $cmd = "?";
            if (open(my $c, "<", "$dir/cmdline")) { local $/; $cmd = <$c> // "?"; $cmd =~ tr/\0/ /; }
            print "$dir $f $cmd\n" unless $seen{"$dir/$f"}++;
        }
    }
    select(undef, undef, undef, 0.02);
}' "$1" "$2"
}

start_agent --kdf min
agent_log=$AGENT_LOG
state=$AGENT_STATE

# ---- storing the canaries, through every path ----
run "$CRED" put s/stdin <"$TEST_DIR/tok1"
is "$RC" 0 "put from stdin"
run "$CRED" put s/file --from-file "$TEST_DIR/tok2" </dev/null
is "$RC" 0 "put --from-file"
run "$CRED" rotate s/stdin <"$TEST_DIR/tok3"
is "$RC" 0 "rotate from stdin"
run "$CRED" put s/gen </dev/null --from-file /dev/null
run "$CRED" rotate s/gen --generate 40
is "$RC" 0 "rotate --generate"
"$CRED" get s/gen >"$TEST_DIR/tok-gen" 2>/dev/null
{
	cat "$TEST_DIR/tok-gen"
	echo
} >>"$PAT"
cmp_ok "$(wc -c <"$TEST_DIR/tok-gen")" -eq 40 "... the generated value is a canary too"
run "$CRED" put s/pw --type password --field username=alice <"$TEST_DIR/tok4"
is "$RC" 0 "a typed put (password; the secret field from stdin)"
{
	printf 'VAR_A='
	tok 5
	printf '\nVAR_B="'
	tok 6
	printf '"\n'
} >"$TEST_DIR/dotenv"
run "$CRED" import-env "$TEST_DIR/dotenv" --prefix env/
is "$RC" 0 "import-env of a .env file"
no_leak "... its output names no value" "$OUT_FILE"
no_leak "... nor its messages" "$ERR_FILE"
printf 'bundle passphrase\n' >"$TEST_DIR/pass"
run "$CRED" export "$TEST_DIR/bundle" <"$TEST_DIR/pass"
is "$RC" 0 "export of every secret to a bundle"
no_leak "... the bundle holds no value in plain text" "$TEST_DIR/bundle"
run "$CRED" purge s/file
run "$CRED" import "$TEST_DIR/bundle" <"$TEST_DIR/pass"
is "$RC" 0 "import of the bundle (s/file purged first)"
run "$CRED" get s/file
ok "... s/file is back" cmp "$TEST_DIR/tok2" "$OUT_FILE"

# ---- the scanner finds what it should ----
printf 'marker%s\n' "$(random_token 30)" >"$TEST_DIR/marker"
perl -e 'sleep 30' "$(cat "$TEST_DIR/marker")" &
m1=$!
env "M=$(cat "$TEST_DIR/marker")" sleep 30 &
m2=$!
sleep 0.2
hits=$(scan_proc "$TEST_DIR/marker" 1)
like "$hits" "/proc/$m1 cmdline" "the /proc scan finds a marker in a command line"
like "$hits" "/proc/$m2 environ" "... and one in an environment"
{
	kill "$m1" "$m2"
	wait "$m1" "$m2"
} 2>/dev/null

# ---- every path in a loop while every process is scanned ----
# The children of cred run and verify --with hold a value in their
# environment by design; they carry "canary-child" in their command line.
printf 'db: {{ cred "s/file" }}\npw: {{ cred "s/pw" }}\n' >"$TEST_DIR/template"
cat >"$TEST_DIR/loop" <<EOF
#!/bin/bash
cd "$TEST_DIR" || exit 1
end=\$((SECONDS + ${TIME_FACTOR} * 15))
while [ ! -e scan.done ] && [ \$SECONDS -lt \$end ]; do
	"$CRED" put s/loop <tok7
	"$CRED" rotate s/loop <tok8
	"$CRED" put s/loop2 --from-file tok9 </dev/null
	"$CRED" get s/stdin
	"$CRED" read 'cred://s/pw#password'
	"$CRED" env s/pw
	"$CRED" run --env LEAK_RUN=s/stdin -- perl -e 'select(undef, undef, undef, 0.3)' canary-child-run
	"$CRED" inject -i template -o injected
	"$CRED" verify s/file --with "perl -e 'select(undef, undef, undef, 0.3)' canary-child-verify"
	"$CRED" import-env dotenv --prefix env/ --overwrite
	rm -f bundle2
	"$CRED" export bundle2 <pass
	"$CRED" import bundle2 <pass
	echo round >>loop.rounds
done
EOF
chmod +x "$TEST_DIR/loop"
"$TEST_DIR/loop" >"$TEST_DIR/loop.out" 2>"$TEST_DIR/loop.err" </dev/null &
loop_pid=$!
wait_for 10 test -s "$TEST_DIR/loop.rounds"
hits=$(scan_proc "$PAT" $((60 * TIME_FACTOR)))
scan_rc=$?
: >"$TEST_DIR/scan.done"
{ wait "$loop_pid"; } 2>/dev/null
is "$scan_rc" 0 "the /proc scan ran"
rounds=$(wc -l <"$TEST_DIR/loop.rounds")
cmp_ok "$rounds" -ge 2 "every path ran again and again while it did ($rounds rounds)"
children=$(grep -c 'canary-child' <<<"$hits")
cmp_ok "$children" -ge 1 "the scan caught a value where it belongs: a run or verify --with child's environ ($children)"
others=$(grep -v 'canary-child' <<<"$hits")
is "$others" "" "no canary in any other process's cmdline or environ"
unlike "$(grep 'canary-child' <<<"$hits")" ' cmdline ' "... nor in those children's command lines"
is "$(stat -c %a "$TEST_DIR/injected" 2>/dev/null)" 600 "inject wrote its output 0600"
no_leak "the loop's messages hold no value" "$TEST_DIR/loop.err"
is "$(tr -d '\0' <"/proc/$AGENT_PID/environ" | grep -c -F -f "$PAT")" 0 \
	"the agent's environment holds no canary"

# ---- operations that fail with a canary in play ----
fails() { # NAME EXPECTED-RC CMD... (stdin from the caller)
	local name=$1 want=$2
	shift 2
	run "$@"
	if [ "$RC" = "$want" ]; then
		pass "$name fails (exit $want)"
	else
		fail "$name fails (exit $want)" "    exit $RC: $ERR"
	fi
	cat "$OUT_FILE" "$ERR_FILE" >"$TEST_DIR/fail.out"
	no_leak "... and says nothing of the value" "$TEST_DIR/fail.out"
}
fails "put of a bad name" 2 "$CRED" put 'bad//name' <"$TEST_DIR/tok1"
fails "put with a wrong --cas" 7 "$CRED" put s/stdin --cas 1 <"$TEST_DIR/tok1"
fails "rotate of a missing secret" 3 "$CRED" rotate s/missing <"$TEST_DIR/tok1"
fails "a --json put with a wrong --cas" 7 "$CRED" --json put s/stdin --cas 1 <"$TEST_DIR/tok1"
fails "a postgresql put with a bad port" 11 "$CRED" put s/pg --type postgresql --field host=h \
	--field port=99999 --field database=d --field username=u <"$TEST_DIR/tok1"
printf 'VAR_A=other\n' >"$TEST_DIR/dotenv2"
fails "import-env meeting a name that holds another value" 7 "$CRED" import-env "$TEST_DIR/dotenv2" --prefix env/
printf 'VAR_A=' >"$TEST_DIR/dotenv3"
cat "$TEST_DIR/tok1" >>"$TEST_DIR/dotenv3"
printf '\nBAD LINE\n' >>"$TEST_DIR/dotenv3"
run "$CRED" import-env "$TEST_DIR/dotenv3" --prefix env3/
isnt "$RC" 0 "import-env of a .env file with a broken line fails"
cat "$OUT_FILE" "$ERR_FILE" >"$TEST_DIR/fail.out"
no_leak "... and says nothing of the values" "$TEST_DIR/fail.out"
printf 'wrong passphrase\n' >"$TEST_DIR/wrong"
fails "import of a bundle with the wrong passphrase" 4 "$CRED" import "$TEST_DIR/bundle" <"$TEST_DIR/wrong"
fails "run with one missing reference" 3 "$CRED" run --env A=s/stdin --env B=s/missing -- true
printf 'a: {{ cred "s/stdin" }}\nb: {{ cred "s/missing" }}\n' >"$TEST_DIR/template2"
fails "inject with one missing reference" 3 "$CRED" inject -i "$TEST_DIR/template2"
fails "verify --with a command that prints the value and fails" 1 "$CRED" verify s/stdin \
	--with 'printf "error: %s\n" "$CRED_VALUE" >&2; exit 3'
run "$CRED" --json info s/stdin
no_leak "... and the recorded verify message holds no value" "$OUT_FILE"
like "$(json_get "$OUT" verify.message)" 'exited with status 3' "... (it is there: $(json_get "$OUT" verify.message))"
"$CRED" disable s/file >/dev/null 2>&1
fails "get of a disabled secret" 10 "$CRED" get s/file
"$CRED" enable s/file >/dev/null 2>&1
run env CRED_SOCK="$TEST_DIR/nothing" "$CRED" put s/x <"$TEST_DIR/tok1"
isnt "$RC" 0 "put with no agent fails"
no_leak "... and says nothing of the value" "$ERR_FILE"

# ---- the audit trail and metadata ----
run "$CRED" audit
is "$RC" 0 "cred audit"
no_leak "... holds no value" "$OUT_FILE"
run "$CRED" --json audit
cmp_ok "$(printf '%s' "$OUT" | grep -o '"op"' | wc -l)" -ge 50 "cred --json audit lists the records"
no_leak "... and they hold no value" "$OUT_FILE"
run "$CRED" audit --summary
no_leak "cred audit --summary holds no value" "$OUT_FILE"
run "$CRED" audit verify
is "$RC" 0 "the audit trail verifies"
for cmd in "ls" "--json ls" "--json info s/pw" "info s/stdin" "usage" "--json status"; do
	# shellcheck disable=SC2086
	run "$CRED" $cmd
	cat "$OUT_FILE" "$ERR_FILE" >"$TEST_DIR/meta.out"
	no_leak "cred $cmd shows no value" "$TEST_DIR/meta.out"
done

# ---- the agent's log ----
ok "the agent stops cleanly" stop_agent
no_leak "the agent's log holds no value" "$agent_log"
no_leak "data.mdb holds no value in plain text" "$state/data.mdb"

# ---- a line of a multi-line value in a --with command's complaint ----
# (A PEM key, say.) On an agent of its own, with canaries of their own:
# the whole value is scrubbed from verify messages, its lines are not,
# and the message is kept in the store's metadata.
start_agent --kdf min
MPAT=$TEST_DIR/mpatterns
for i in 1 2; do printf 'multiline%s%s\n' "$i" "$(random_token 30)"; done >"$MPAT"
run "$CRED" put s/multi --from-file "$MPAT"
run "$CRED" verify s/multi --with 'printf "%s" "$CRED_VALUE" | tail -n 1 >&2; exit 1'
cat "$OUT_FILE" "$ERR_FILE" >"$TEST_DIR/multi.out"
run "$CRED" --json info s/multi
cat "$OUT_FILE" >>"$TEST_DIR/multi.out"
if grep -a -q -F -f "$MPAT" "$TEST_DIR/multi.out"; then
	fail "a --with command echoing one line of a multi-line value: not in its message or info" \
		"$(grep -a -F -f "$MPAT" "$TEST_DIR/multi.out" | head -3 | cut -c1-200)"
else
	pass "a --with command echoing one line of a multi-line value: not in its message or info"
fi
ok "that agent stops cleanly" stop_agent

# ---- not dumpable, not traceable, locked memory ----
if [ "$(id -u)" != 0 ]; then
	skip "needs root to run an agent as another uid" 9
	done_testing
fi
start_agent --as-nobody --kdf min
nb=$AGENT_PID
run "${AS_NOBODY[@]}" env CRED_SOCK="$AGENT_SOCK" "$CRED" put n/x --from-file /dev/stdin <"$TEST_DIR/tok1"
is "$RC" 0 "an agent run by nobody (uid 65534) stores a canary"
is "$(stat -c %u "/proc/$nb")" 65534 "... it runs as uid 65534"
# The contrast: a plain process of nobody's, which nobody may trace.
"${AS_NOBODY[@]}" sleep 30 &
plain=$!
sleep 0.2
run "${AS_NOBODY[@]}" "$PROBE" attach "$plain"
is "$OUT" allowed "(nobody may ptrace-attach its own ordinary process)"
run "${AS_NOBODY[@]}" "$PROBE" read "$plain"
is "$OUT" allowed "(... and read its memory)"
{
	kill "$plain"
	wait "$plain"
} 2>/dev/null
run "${AS_NOBODY[@]}" "$PROBE" attach "$nb"
is "$OUT" EPERM "PTRACE_ATTACH to the agent by its own uid: EPERM (not dumpable)"
run "${AS_NOBODY[@]}" "$PROBE" read "$nb"
is "$OUT" EPERM "process_vm_readv of the agent by its own uid: EPERM"
run "${AS_NOBODY[@]}" cat "/proc/$nb/environ"
isnt "$RC" 0 "its /proc/PID/environ is unreadable by its own uid"
locked=$(CRED_SOCK=$AGENT_SOCK "${AS_NOBODY[@]}" env CRED_SOCK="$AGENT_SOCK" "$CRED" --json status 2>/dev/null)
is "$(json_get "$locked" locked)" false "the agent is unlocked"
vmlck=$(awk '/^VmLck:/ { print $2 }' "/proc/$nb/status")
if [ "$SAN" = 1 ]; then
	skip "AddressSanitizer turns mlock() into a no-op, so VmLck says nothing (VmLck ${vmlck:-?} kB)" 1
else
	cmp_ok "${vmlck:-0}" -gt 0 "... and holds locked memory (VmLck ${vmlck:-?} kB)"
fi
ok "the nobody agent stops cleanly" stop_agent
no_leak "its log holds no value" "$AGENT_LOG"
note "$((SECONDS - T0)) s"

done_testing
