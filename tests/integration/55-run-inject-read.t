#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Application integration (issue-7 spec): cred run (values only in the
# child's environment, exit status passed through, #FIELD, --env-file,
# --type-env, nothing started when a reference fails, --fallback),
# cred get --fallback-env, cred read cred://..., cred inject.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
X=$TEST_DIR/x
mkdir -p "$V" "$X"
# Does FILE hold the bytes STRING anywhere?
file_has() { # FILE STRING
	perl -e 'open my $f, "<", $ARGV[0] or exit 2; local $/; exit(index(<$f>, $ARGV[1]) >= 0 ? 0 : 1)' "$@"
}

uid=$(id -u)
user=$(id -un)
umask 022

catf() { cat "$1" 2>/dev/null; }
mode_of() { stat -c %a "$1" 2>/dev/null || echo none; }

# The bytes of FILE equal STRING.
file_is() { # FILE STRING NAME
	if [ ! -f "$1" ]; then
		fail "$3" "    $1 does not exist"
		return
	fi
	is "$(od -An -c "$1")" "$(printf '%s' "$2" | od -An -c)" "$3"
}

# The value of VAR in /proc/PID/environ, into FILE ("absent" if not set).
environ_var() { # PID VAR FILE
	perl -e '
open my $f, "<", "/proc/$ARGV[0]/environ" or do { print "unreadable: $!"; exit 1 };
local $/; my @e = split /\0/, <$f>;
for (@e) { if (s/^\Q$ARGV[1]\E=//s) { open my $o, ">", $ARGV[2] or die; print $o $_; exit 0 } }
print "absent"; exit 1' "$@"
}

# Does /proc/PID/cmdline hold the bytes STRING?
cmdline_has() { # PID STRING
	perl -e 'open my $f, "<", "/proc/$ARGV[0]/cmdline" or exit 2; local $/;
		exit(index(<$f>, $ARGV[1]) >= 0 ? 0 : 1)' "$@"
}

start_agent

# ---- the secrets ----
TOK="tok-$(random_token 24) 'sq' \$dollar \"dq\" back\\slash \`bt\`$NL"
printf '%s' "$TOK" >"$V/tok"
run "$CRED" put app/token <"$V/tok"
[ "$RC" = 0 ] || bail "put app/token" "$ERR"
TOK_MARK=$(head -c 28 "$V/tok")
TOK2="tok2-$(random_token 24)"
printf '%s' "$TOK2" >"$V/tok2"
"$CRED" put app/token2 <"$V/tok2" >/dev/null 2>&1 || bail "put app/token2"
PGPW="pg-$(random_token 24)'\$x"
printf '%s' "$PGPW" >"$V/pg"
run "$CRED" put db/main --type postgresql --field host=db.internal --field port=5433 \
	--field database=app --field username=app_rw <"$V/pg"
is "$RC" 0 "a postgresql secret db/main is stored"
AIK="sk-$(random_token 30)"
printf '%s' "$AIK" >"$V/ai"
run "$CRED" put ai/openai --type api_key --field provider=openai <"$V/ai"
is "$RC" 0 "an api_key secret ai/openai is stored"
printf 'off-%s' "$(random_token 10)" >"$V/off"
"$CRED" put app/off <"$V/off" >/dev/null 2>&1 && "$CRED" disable app/off >/dev/null 2>&1 ||
	bail "put and disable app/off"

# A command that writes the variables named in its arguments, each to
# OUTDIR/VAR (exact bytes; "unset" marks one not set).
cat >"$X/dump.sh" <<'EOF'
d=$1
shift
for v in "$@"; do
	eval "s=\${$v+set}"
	if [ "$s" = set ]; then eval "printf '%s' \"\$$v\"" >"$d/$v"; else : >"$d/$v.unset"; fi
done
EOF

# ======== cred run ========
mkdir -p "$X/r1"
run "$CRED" run --env TOKEN=app/token -- sh "$X/dump.sh" "$X/r1" TOKEN
is "$RC" 0 "run --env TOKEN=app/token -- CMD exits 0"
ok "... the child's TOKEN holds the exact value (quotes, \$, \\, backquotes, newline)" \
	cmp "$X/r1/TOKEN" "$V/tok"
is "$OUT$ERR" "" "... and cred prints nothing of its own"

mkdir -p "$X/r2"
run env KEEP=kept TOKEN=old "$CRED" run --env TOKEN=app/token -- sh "$X/dump.sh" "$X/r2" TOKEN KEEP
ok "the caller's environment is passed on (KEEP)" test "$(catf "$X/r2/KEEP" 2>/dev/null)" = kept
ok "... and the secret replaces a TOKEN already set" cmp "$X/r2/TOKEN" "$V/tok"

# ---- the value is in the child's environ, never in a command line ----
rm -f "$X/pids" "$X/go"
"$CRED" run --env TOKEN=app/token -- sh -c '
	echo "$$ $PPID" >"$1.tmp" && mv "$1.tmp" "$1"
	i=0
	while [ ! -e "$2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done' \
	sh "$X/pids" "$X/go" >"$X/bg.out" 2>&1 &
bgpid=$!
if wait_for 5 test -s "$X/pids"; then
	read -r cpid ppid <"$X/pids"
	note "cred run: cred pid $bgpid, child pid $cpid (parent $ppid)$([ "$cpid" = "$bgpid" ] && echo ': cred exec'"'"'d the command')"
	rm -f "$X/environ.tok"
	environ_var "$cpid" TOKEN "$X/environ.tok" >"$X/environ.why"
	if [ -f "$X/environ.tok" ] && cmp -s "$X/environ.tok" "$V/tok"; then
		pass "/proc/CHILD/environ holds TOKEN with the exact value"
	else
		fail "/proc/CHILD/environ holds TOKEN with the exact value" "    $(cat "$X/environ.why")"
	fi
	nok "/proc/CHILD/cmdline does not hold the value" cmdline_has "$cpid" "$TOK_MARK"
	like "$(tr '\0' ' ' <"/proc/$cpid/cmdline")" "^sh -c " "... (it is the command's: sh -c ...)"
	nok "/proc/CRED/cmdline (pid $bgpid) does not hold the value" cmdline_has "$bgpid" "$TOK_MARK"
	if [ "$ppid" != "$$" ] && [ -r "/proc/$ppid/cmdline" ]; then
		nok "/proc/PARENT/cmdline (pid $ppid) does not hold the value" cmdline_has "$ppid" "$TOK_MARK"
	else
		pass "the child's parent is this shell (cred exec'd the command)"
	fi
else
	fail "the child of cred run started and wrote its pid" "    output: $(cat "$X/bg.out")"
	skip "no child pid" 5
fi
touch "$X/go"
for _ in $(seq 1 100); do proc_alive "$bgpid" || break; sleep 0.05; done
wait "$bgpid"
is "$?" 0 "... and cred run exits 0 when the child does"

# ---- exit status ----
run "$CRED" run --env TOKEN=app/token -- sh -c 'exit 7'
is "$RC" 7 "the command's exit status 7 is passed through"
run "$CRED" run --env TOKEN=app/token -- sh -c 'exit 0'
is "$RC" 0 "... and 0"
{ run "$CRED" run --env TOKEN=app/token -- sh -c 'kill -TERM $$; sleep 5'; } 2>/dev/null
is "$RC" 143 "a command killed by SIGTERM: 128+15"
{ run "$CRED" run --env TOKEN=app/token -- sh -c 'kill -KILL $$; sleep 5'; } 2>/dev/null
is "$RC" 137 "a command killed by SIGKILL: 128+9"
run "$CRED" run --env TOKEN=app/token -- "$X/no-such-program"
isnt "$RC" 0 "a command that does not exist: non-zero ($RC)"

# ---- #FIELD, several --env ----
mkdir -p "$X/r3"
run "$CRED" run --env H=db/main#host --env P=db/main#port --env U=db/main#username \
	--env PW=db/main --env PW2=db/main#password --env T2=app/token2 -- \
	sh "$X/dump.sh" "$X/r3" H P U PW PW2 T2
is "$RC" 0 "run with several --env, some REF#FIELD, exits 0"
is "$(catf "$X/r3/H")|$(catf "$X/r3/P")|$(catf "$X/r3/U")" "db.internal|5433|app_rw" \
	"... #host, #port, #username give the fields"
ok "... a typed REF without #FIELD gives the primary field (password)" cmp "$X/r3/PW" "$V/pg"
ok "... and #password the same" cmp "$X/r3/PW2" "$V/pg"
ok "... and a second generic secret" cmp "$X/r3/T2" "$V/tok2"

# ---- --env-file ----
cat >"$X/app.env" <<EOF
# the application's secrets

TOKEN=app/token
DBHOST=cred://db/main#host
# another comment
DBUSER=cred://db/main#username
DBPASS=db/main
TOK2=cred://app/token2
EOF
mkdir -p "$X/r4"
run "$CRED" run --env-file "$X/app.env" --env EXTRA=ai/openai -- \
	sh "$X/dump.sh" "$X/r4" TOKEN DBHOST DBUSER DBPASS TOK2 EXTRA
is "$RC" 0 "run --env-file F (comments, blank lines, VAR=REF, VAR=cred://REF#FIELD) exits 0"
ok "... TOKEN=app/token" cmp "$X/r4/TOKEN" "$V/tok"
is "$(catf "$X/r4/DBHOST")|$(catf "$X/r4/DBUSER")" "db.internal|app_rw" "... cred://db/main#host and #username"
ok "... DBPASS=db/main (the primary)" cmp "$X/r4/DBPASS" "$V/pg"
ok "... TOK2=cred://app/token2" cmp "$X/r4/TOK2" "$V/tok2"
ok "... and --env EXTRA alongside" cmp "$X/r4/EXTRA" "$V/ai"

# ---- --type-env ----
mkdir -p "$X/r5"
run "$CRED" run --type-env db/main --type-env ai/openai -- \
	sh "$X/dump.sh" "$X/r5" PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSSLMODE OPENAI_API_KEY
is "$RC" 0 "run --type-env db/main --type-env ai/openai exits 0"
is "$(catf "$X/r5/PGHOST")|$(catf "$X/r5/PGPORT")|$(catf "$X/r5/PGDATABASE")|$(catf "$X/r5/PGUSER")" \
	"db.internal|5433|app|app_rw" "... PGHOST PGPORT PGDATABASE PGUSER"
ok "... PGPASSWORD exactly" cmp "$X/r5/PGPASSWORD" "$V/pg"
ok "... no PGSSLMODE (sslmode unset)" test -e "$X/r5/PGSSLMODE.unset"
ok "... OPENAI_API_KEY exactly" cmp "$X/r5/OPENAI_API_KEY" "$V/ai"
run "$CRED" run --type-env app/token -- sh -c 'touch "$1"' sh "$X/marker-typeenv"
is "$RC" 2 "run --type-env of a generic secret exits 2"
ok "... and does not start the command" test ! -e "$X/marker-typeenv"

# ---- a reference that fails: the command never starts ----
run "$CRED" run --env TOKEN=app/token --env MISSING=no/such -- sh -c 'touch "$1"; echo ran' sh \
	"$X/marker1"
is "$RC" 3 "run with a missing secret exits 3"
ok "... the command did not run (no marker file)" test ! -e "$X/marker1"
is "$OUT" "" "... nothing on stdout"
like "$ERR" "no/such" "... the error names the reference"
unlike "$ERR" "tok-" "... and holds no value"
run "$CRED" run --env H=db/main#nofield -- sh -c 'touch "$1"' sh "$X/marker2"
is "$RC" 3 "run with a missing field (db/main#nofield) exits 3"
ok "... the command did not run" test ! -e "$X/marker2"
printf 'TOKEN=app/token\nGONE=cred://no/such#x\n' >"$X/bad.env"
run "$CRED" run --env-file "$X/bad.env" -- sh -c 'touch "$1"' sh "$X/marker3"
is "$RC" 3 "run --env-file with a missing secret exits 3"
ok "... the command did not run" test ! -e "$X/marker3"
run "$CRED" run --env OFF=app/off -- sh -c 'touch "$1"' sh "$X/marker4"
is "$RC" 10 "run with a disabled secret exits 10"
ok "... the command did not run" test ! -e "$X/marker4"
run "$CRED" run --env-file "$X/no-such.env" -- sh -c 'touch "$1"' sh "$X/marker5"
isnt "$RC" 0 "run --env-file of a missing file fails ($RC)"
ok "... the command did not run" test ! -e "$X/marker5"

# ---- --fallback ----
mkdir -p "$X/r6"
run env FB_VAR='from the env' "$CRED" run --fallback --env FB_VAR=no/such -- \
	sh "$X/dump.sh" "$X/r6" FB_VAR
is "$RC" 0 "run --fallback with a missing secret and \$FB_VAR set exits 0"
file_is "$X/r6/FB_VAR" "from the env" "... the command gets \$FB_VAR's value"
like "$ERR" 'cred: run: FB_VAR: no/such not found, using \$FB_VAR from the environment' \
	"... saying 'cred: run: FB_VAR: no/such not found, using \$FB_VAR from the environment'"
mkdir -p "$X/r7"
run env FB_VAR=stale "$CRED" run --fallback --env FB_VAR=app/token2 -- sh "$X/dump.sh" "$X/r7" FB_VAR
ok "run --fallback with an existing secret uses the secret" cmp "$X/r7/FB_VAR" "$V/tok2"
is "$ERR" "" "... saying nothing"
run env -u FB_VAR "$CRED" run --fallback --env FB_VAR=no/such -- sh -c 'touch "$1"' sh "$X/marker6"
is "$RC" 3 "run --fallback without the variable still fails (exit 3)"
ok "... the command did not run" test ! -e "$X/marker6"
run env OFF=env-value "$CRED" run --fallback --env OFF=app/off -- sh -c 'touch "$1"' sh "$X/marker7"
is "$RC" 10 "run --fallback does not cover a disabled secret (exit 10)"
ok "... the command did not run" test ! -e "$X/marker7"

# ======== cred get --fallback-env ========
run env FB_VAR='from the env' "$CRED" get no/such --fallback-env FB_VAR
is "$RC" 0 "get --fallback-env VAR of a missing secret with VAR set exits 0"
file_is "$OUT_FILE" "from the env" "... printing \$VAR exactly"
like "$ERR" "FB_VAR" "... and saying so on stderr"
run env -u FB_VAR "$CRED" get no/such --fallback-env FB_VAR
is "$RC" 3 "get --fallback-env VAR with VAR unset exits 3"
is "$OUT" "" "... printing nothing"
run env FB_VAR=stale "$CRED" get app/token --fallback-env FB_VAR
is "$RC" 0 "get --fallback-env of an existing secret exits 0"
ok "... printing the secret, not \$VAR" cmp "$OUT_FILE" "$V/tok"
is "$ERR" "" "... saying nothing"
run env OFF=stale "$CRED" get app/off --fallback-env OFF
is "$RC" 10 "get --fallback-env of a disabled secret still exits 10"

# ======== cred read ========
run "$CRED" read cred://app/token
is "$RC" 0 "read cred://app/token exits 0"
ok "... printing the value exactly" cmp "$OUT_FILE" "$V/tok"
run "$CRED" read cred://db/main
ok "read cred://db/main prints the primary field" cmp "$OUT_FILE" "$V/pg"
run "$CRED" read cred://db/main#host
file_is "$OUT_FILE" db.internal "read cred://db/main#host prints the host"
run "$CRED" read cred://db/main#port
file_is "$OUT_FILE" 5433 "read cred://db/main#port prints 5433"
run "$CRED" read "cred://$uid:app/token"
is "$RC" 0 "read cred://UID:app/token (own uid) exits 0"
ok "... printing the value" cmp "$OUT_FILE" "$V/tok"
run "$CRED" read "cred://$user:db/main#username"
file_is "$OUT_FILE" app_rw "read cred://$user:db/main#username (own user name) prints the field"
run "$CRED" read cred://no/such
is "$RC" 3 "read of a missing secret exits 3"
run "$CRED" read cred://db/main#nofield
is "$RC" 3 "read of a missing field exits 3"
run "$CRED" read cred://app/off
is "$RC" 10 "read of a disabled secret exits 10"
run "$CRED" read cred://a/../b
is "$RC" 2 "read of a bad name exits 2"

# ======== cred inject ========
cat >"$X/tmpl" <<EOF
# app config
token: {{ cred "app/token2" }}
host: {{cred "db/main#host"}}
pass:{{   cred   "db/main#password"   }}.
owner: {{ cred "$uid:app/token2" }}
url=postgresql://cred://db/main#username@cred://db/main#host:5433/app
user="cred://db/main#username" tok=cred://app/token2 end
helm: {{ .Values.image }} and {{ not cred }} stay
EOF
expect="# app config
token: $TOK2
host: db.internal
pass:$PGPW.
owner: $TOK2
url=postgresql://app_rw@db.internal:5433/app
user=\"app_rw\" tok=$TOK2 end
helm: {{ .Values.image }} and {{ not cred }} stay
"
run "$CRED" inject -i "$X/tmpl" -o "$X/out1"
is "$RC" 0 "inject -i IN -o OUT exits 0"
file_is "$X/out1" "$expect" "... {{ cred \"REF\" }}, {{cred \"REF#FIELD\"}}, cred://REF#FIELD replaced, the rest kept"
is "$(mode_of "$X/out1")" 600 "... OUT is created 0600 (umask 022)"
is "$OUT" "" "... nothing on stdout"

run "$CRED" inject <"$X/tmpl"
is "$RC" 0 "inject with stdin and stdout exits 0"
file_is "$OUT_FILE" "$expect" "... the same output on stdout"
run "$CRED" inject -i "$X/tmpl"
file_is "$OUT_FILE" "$expect" "inject -i IN writes to stdout"
run "$CRED" inject -o "$X/out2" <"$X/tmpl"
file_is "$X/out2" "$expect" "inject -o OUT reads stdin"
is "$(mode_of "$X/out2")" 600 "... 0600"

# A value with a newline and quotes goes in as its exact bytes.
printf 'A{{ cred "app/token" }}B\n' >"$X/tmpl-tok"
run "$CRED" inject -i "$X/tmpl-tok"
file_is "$OUT_FILE" "A${TOK}B$NL" "inject puts a value's exact bytes (newline, quotes)"

printf 'old contents\n' >"$X/existing"
chmod 0644 "$X/existing"
ino_before=$(stat -c %i "$X/existing")
run "$CRED" inject -i "$X/tmpl" -o "$X/existing"
is "$RC" 0 "inject onto an existing 0644 OUT exits 0"
file_is "$X/existing" "$expect" "... OUT is replaced"
is "$(mode_of "$X/existing")" 600 "... and is 0600 now"
note "inode before $ino_before, after $(stat -c %i "$X/existing")"
(
	umask 000
	"$CRED" inject -i "$X/tmpl" -o "$X/out-umask0" >/dev/null 2>&1
)
is "$(mode_of "$X/out-umask0")" 600 "inject under umask 000 still creates OUT 0600"

# ---- a reference that fails: nothing written ----
printf 'ok: {{ cred "app/token2" }}\nbad: {{ cred "no/such" }}\n' >"$V/tmpl-bad"
printf 'x=cred://db/main#nofield\n' >"$V/tmpl-bad2"
printf 'x={{ cred "app/off" }}\n' >"$V/tmpl-off"
printf 'keep me\n' >"$X/keep"
chmod 0644 "$X/keep"
listing_before=$(ls -a "$X")
run "$CRED" inject -i "$V/tmpl-bad" -o "$X/out-bad"
is "$RC" 3 "inject with an unknown reference exits 3"
like "$ERR" 'cred: inject: no/such: not found' "... saying 'cred: inject: no/such: not found'"
ok "... and does not create OUT" test ! -e "$X/out-bad"
run "$CRED" inject -i "$V/tmpl-bad" -o "$X/keep"
is "$RC" 3 "inject with an unknown reference onto an existing OUT exits 3"
file_is "$X/keep" "keep me$NL" "... OUT is unchanged"
is "$(mode_of "$X/keep")" 644 "... and keeps its mode"
run "$CRED" inject <"$V/tmpl-bad"
is "$RC" 3 "inject (stdout) with an unknown reference exits 3"
is "$OUT" "" "... and writes nothing to stdout"
run "$CRED" inject -i "$V/tmpl-bad2" -o "$X/out-bad2"
is "$RC" 3 "inject with a missing field (cred://db/main#nofield) exits 3"
ok "... and does not create OUT" test ! -e "$X/out-bad2"
run "$CRED" inject -i "$V/tmpl-off" -o "$X/out-off"
is "$RC" 10 "inject with a disabled secret exits 10"
ok "... and does not create OUT" test ! -e "$X/out-off"
is "$(ls -a "$X")" "$listing_before" "... and no temporary file is left in OUT's directory"

# ======== no value in the agent's log ========
ok "the agent stops cleanly" stop_agent
leaked=""
for s in "$TOK_MARK" "$TOK2" "${PGPW:0:20}" "$AIK" "$(cat "$V/off")"; do
	file_has "$AGENT_LOG" "$s" && leaked="$leaked [$s]"
done
is "$leaked" "" "no secret value in the agent's log"
done_testing
