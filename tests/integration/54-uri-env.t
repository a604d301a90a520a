#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred uri (postgresql, mysql, snowflake, sqlite; every component
# percent-encoded, IPv6 hosts in brackets) and cred env (shell-safe export
# lines, --json), as the issue-7 spec gives them.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
mkdir -p "$V"
SECRETS=()

# put REF TYPE VALUE [PUT ARGS...]: the value (exact bytes) on stdin.
tput() {
	local ref=$1 type=$2 val=$3
	shift 3
	SECRETS+=("$val")
	printf '%s' "$val" >"$V/in"
	run "$CRED" put "$ref" --type "$type" "$@" <"$V/in"
	[ "$RC" = 0 ] || diag "put $ref --type $type $*: exit $RC: $ERR"
}

# `cred uri REF` exits 0 and prints URI (one line).
uri_is() { # REF URI NAME
	run "$CRED" uri "$1"
	if [ "$RC" != 0 ]; then
		fail "$3" "    cred uri $1 exited $RC: $ERR"
		return
	fi
	is "$(cat "$OUT_FILE")" "$2" "$3"
}

# A JSON object of the arguments K V K V... (UTF-8 strings), canonical.
jobj() {
	perl -MJSON::PP -MEncode=decode -e \
		'my %h = map { decode("UTF-8", $_) } @ARGV;
		 print JSON::PP->new->utf8->canonical->encode(\%h)' "$@"
}
json_canon() {
	printf '%s' "$1" | perl -MJSON::PP -e '
my $j = JSON::PP->new->utf8->canonical->allow_nonref;
my $v = eval { $j->decode(do { local $/; <STDIN> }) };
if ($@) { print "does not parse"; exit }
print $j->encode($v)'
}

# Eval `cred env REF`'s output in a fresh bash and write each VAR's value
# (exact bytes) to DIR/VAR; prints the variables set, sorted.
eval_env() { # ENVFILE DIR VAR...
	local f=$1 d=$2
	shift 2
	mkdir -p "$d"
	env -i PATH="$PATH" bash -c '
		f=$1 d=$2; shift 2
		eval "$(cat "$f")" || exit 99
		for v in "$@"; do
			[ "${!v+set}" = set ] && printf "%s" "${!v}" >"$d/$v"
		done
		env | sed -n "s/^\([A-Z_]*\)=.*/\1/p" | grep -vE "^(PATH|PWD|SHLVL|_|OLDPWD)$" | sort | tr "\n" " "
	' bash "$f" "$d" "$@"
}

# Does FILE hold the bytes STRING anywhere?
file_has() { # FILE STRING
	perl -e 'open my $f, "<", $ARGV[0] or exit 2; local $/; exit(index(<$f>, $ARGV[1]) >= 0 ? 0 : 1)' "$@"
}

start_agent

# ======== cred uri ========
E='é'
U8='ü'
PW="p@ss:w/o?r#d% x'${E}\$~-._!"
PW_ENC='p%40ss%3Aw%2Fo%3Fr%23d%25%20x%27%C3%A9%24~-._%21'
is "$(printf '%s' "$E$U8" | od -An -tx1 | tr -d ' ')" c3a9c3bc "the test's non-ASCII characters are UTF-8"

tput u/pg postgresql "$PW" --field host=db.example.com --field port=5433 \
	--field 'username=app user+1' --field "database=my db/${U8}" --field sslmode=verify-full
uri_is u/pg \
	"postgresql://app%20user%2B1:${PW_ENC}@db.example.com:5433/my%20db%2F%C3%BC?sslmode=verify-full" \
	"uri postgresql: every component percent-encoded (password with @:/?#% ' é \$), ?sslmode="
is "$(wc -l <"$OUT_FILE" | tr -d ' ')" 1 "... on one line"

tput u/pg-plain postgresql pw --field host=h.example --field username=u --field database=d
uri_is u/pg-plain "postgresql://u:pw@h.example:5432/d" \
	"uri postgresql without port or sslmode: port 5432, no query"

tput u/pg6 postgresql pw --field host=2001:db8::10 --field username=u --field database=d \
	--field port=6432
uri_is u/pg6 "postgresql://u:pw@[2001:db8::10]:6432/d" "uri postgresql with an IPv6 host: in brackets"

tput u/my mysql "$PW" --field host=mysql.internal --field 'username=app user+1' \
	--field "database=my db/${U8}" --field ssl=true
uri_is u/my "mysql://app%20user%2B1:${PW_ENC}@mysql.internal:3306/my%20db%2F%C3%BC?ssl=true" \
	"uri mysql: encoded, port 3306 by default, ?ssl=true"
tput u/my-f mysql pw --field host=m --field username=u --field database=d --field ssl=false \
	--field port=3307
uri_is u/my-f "mysql://u:pw@m:3307/d?ssl=false" "uri mysql with ssl=false and port 3307"
tput u/my-n mysql pw --field host=::1 --field username=u --field database=d
uri_is u/my-n "mysql://u:pw@[::1]:3306/d" "uri mysql without ssl, IPv6 ::1: in brackets, no query"

tput u/sf snowflake "$PW" --field account=xy12345.eu-central-1 --field 'warehouse=WH 1' \
	--field database=ANALYTICS --field username=LOADER --field schema=PUBLIC \
	--field role=LOADER_ROLE
uri_is u/sf \
	"snowflake://LOADER:${PW_ENC}@xy12345.eu-central-1/ANALYTICS/PUBLIC?warehouse=WH%201&role=LOADER_ROLE" \
	"uri snowflake with schema and role"
tput u/sf2 snowflake pw --field account=acct --field warehouse=WH --field database=DB \
	--field username=U
uri_is u/sf2 "snowflake://U:pw@acct/DB?warehouse=WH" "uri snowflake without schema or role"

tput u/sq sqlite key1 --field path=/var/db/x.db
uri_is u/sq "sqlite:////var/db/x.db" "uri sqlite: sqlite:/// then the path"
tput u/sq2 sqlite key2 --field "path=/srv/my data/x ${E}#?.db"
uri_is u/sq2 "sqlite:////srv/my%20data/x%20%C3%A9%23%3F.db" "uri sqlite: the path percent-encoded, / kept"

run "$CRED" --json uri u/pg-plain
is "$RC" 0 "uri --json exits 0"
ok "... and prints JSON holding the URI as a string" perl -MJSON::PP -e '
my $d = decode_json(do { local $/; open my $f, "<", $ARGV[0] or die; <$f> });
my @s = ref $d eq "HASH" ? values %$d : ($d);
exit((grep { defined && !ref && $_ eq $ARGV[1] } @s) ? 0 : 1)' "$OUT_FILE" \
	"postgresql://u:pw@h.example:5432/d"

printf 'gen' >"$V/gen"
run "$CRED" put u/gen <"$V/gen"
run "$CRED" uri u/gen
is "$RC" 2 "uri of a generic secret exits 2"
like "$ERR" "uri: type generic has no URI" "... saying 'uri: type generic has no URI'"
is "$OUT" "" "... printing nothing on stdout"
tput u/ak api_key sk-1 --field provider=openai
run "$CRED" uri u/ak
is "$RC" 2 "uri of an api_key exits 2"
like "$ERR" "type api_key has no URI" "... saying 'type api_key has no URI'"
run "$CRED" uri u/nosuch
is "$RC" 3 "uri of a missing secret exits 3"

# ======== cred env ========
PGPW="pa'ss\$x"
tput e/pg postgresql "$PGPW" --field host=db.example.com --field port=5433 --field database=app \
	--field username=app_rw --field sslmode=require
run "$CRED" env e/pg
is "$RC" 0 "env of a postgresql secret exits 0"
is "$(cat "$OUT_FILE")" "export PGHOST='db.example.com'
export PGPORT='5433'
export PGDATABASE='app'
export PGUSER='app_rw'
export PGPASSWORD='pa'\\''ss\$x'
export PGSSLMODE='require'" "... prints PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSSLMODE, single-quoted, ' as '\\''"

tput e/pg2 postgresql pw --field host=h --field database=d --field username=u
run "$CRED" env e/pg2
is "$(cat "$OUT_FILE")" "export PGHOST='h'
export PGPORT='5432'
export PGDATABASE='d'
export PGUSER='u'
export PGPASSWORD='pw'" "env postgresql without sslmode: no PGSSLMODE, PGPORT the default 5432"

tput e/my mysql "$PGPW" --field host=mysql.internal --field database=shop --field username=shop \
	--field ssl=true
run "$CRED" env e/my
is "$RC" 0 "env of a mysql secret exits 0"
is "$(cat "$OUT_FILE")" "export MYSQL_HOST='mysql.internal'
export MYSQL_TCP_PORT='3306'
export MYSQL_DATABASE='shop'
export MYSQL_USER='shop'
export MYSQL_PWD='pa'\\''ss\$x'" "... prints MYSQL_HOST MYSQL_TCP_PORT MYSQL_DATABASE MYSQL_USER MYSQL_PWD"

tput e/openai api_key sk-proj-123 --field provider=openai
run "$CRED" env e/openai
is "$RC.$(cat "$OUT_FILE")" "0.export OPENAI_API_KEY='sk-proj-123'" "env api_key openai: OPENAI_API_KEY"
tput e/gemini api_key AIza-456 --field provider=gemini --field endpoint=https://x.example
run "$CRED" env e/gemini
is "$RC.$(cat "$OUT_FILE")" "0.export GEMINI_API_KEY='AIza-456'" "env api_key gemini: GEMINI_API_KEY"
tput e/groq api_key gsk-789 --field provider=groq
run "$CRED" env e/groq
is "$RC.$(cat "$OUT_FILE")" "0.export GROQ_API_KEY='gsk-789'" "env api_key groq: GROQ_API_KEY"
tput e/other api_key k-other --field provider=other
run "$CRED" env e/other
is "$RC.$(cat "$OUT_FILE")" "0.export API_KEY='k-other'" "env api_key provider other: API_KEY"

run "$CRED" env u/gen
is "$RC" 2 "env of a generic secret exits 2"
like "$ERR" "env: type generic has no environment; use cred run --env VAR=REF" "... saying so"
tput e/pw password pw-1 --field username=bob
run "$CRED" env e/pw
is "$RC" 2 "env of a password secret exits 2"
like "$ERR" "type password has no environment" "... saying so"
run "$CRED" env u/sf
is "$RC" 2 "env of a snowflake secret exits 2"
run "$CRED" env e/nosuch
is "$RC" 3 "env of a missing secret exits 3"

# ---- shell safety: eval in bash gives the exact bytes ----
HARD="it's \$HOME and \${PATH} \"dq\" \`touch $TEST_DIR/pwned1\` \$(touch $TEST_DIR/pwned2) back\\slash
second line 'q' ${E}; exit 3 #"
tput e/hard postgresql "$HARD" --field host=db.example.com --field database="d'b \$x" \
	--field "username=u\"s\`r" --field sslmode=disable
run "$CRED" env e/hard
is "$RC" 0 "env of a postgresql secret with ' \$ \` \" \\ and a newline in its values exits 0"
cp "$OUT_FILE" "$V/hard.env"
vars=$(eval_env "$V/hard.env" "$V/hard" PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSSLMODE)
is "$vars" "PGDATABASE PGHOST PGPASSWORD PGPORT PGSSLMODE PGUSER " \
	"... eval in bash sets exactly PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSSLMODE"
printf '%s' "$HARD" >"$V/hard.want"
ok "... PGPASSWORD holds the exact bytes" cmp "$V/hard/PGPASSWORD" "$V/hard.want"
is "$(cat "$V/hard/PGDATABASE")|$(cat "$V/hard/PGUSER")|$(cat "$V/hard/PGPORT")" \
	"d'b \$x|u\"s\`r|5432" "... PGDATABASE, PGUSER and PGPORT too"
ok "... and nothing in them ran" test ! -e "$TEST_DIR/pwned1" -a ! -e "$TEST_DIR/pwned2"

tput e/myhard mysql "$HARD" --field host=h --field database=d --field username=u
run "$CRED" env e/myhard
cp "$OUT_FILE" "$V/myhard.env"
eval_env "$V/myhard.env" "$V/myhard" MYSQL_PWD >/dev/null
ok "env mysql: eval gives MYSQL_PWD's exact bytes" cmp "$V/myhard/MYSQL_PWD" "$V/hard.want"
tput e/akhard api_key "$HARD" --field provider=anthropic
run "$CRED" env e/akhard
cp "$OUT_FILE" "$V/akhard.env"
vars=$(eval_env "$V/akhard.env" "$V/akhard" ANTHROPIC_API_KEY)
is "$vars" "ANTHROPIC_API_KEY " "env api_key anthropic: eval sets ANTHROPIC_API_KEY only"
ok "... with the exact bytes" cmp "$V/akhard/ANTHROPIC_API_KEY" "$V/hard.want"

# A trailing newline in a value is kept too.
tput e/nl api_key "key-with-newline$NL" --field provider=openrouter
run "$CRED" env e/nl
cp "$OUT_FILE" "$V/nl.env"
eval_env "$V/nl.env" "$V/nl" OPENROUTER_API_KEY >/dev/null
printf 'key-with-newline\n' >"$V/nl.want"
ok "env api_key openrouter: a trailing newline survives eval" cmp "$V/nl/OPENROUTER_API_KEY" "$V/nl.want"

# ---- --json ----
run "$CRED" --json env e/pg
is "$RC" 0 "env --json exits 0"
is "$(json_canon "$(cat "$OUT_FILE")")" "$(jobj PGHOST db.example.com PGPORT 5433 PGDATABASE app PGUSER app_rw \
	PGPASSWORD "$PGPW" PGSSLMODE require)" "... prints {VAR: value} for the six variables"
run "$CRED" env e/hard --json
is "$(json_canon "$(cat "$OUT_FILE")")" "$(jobj PGHOST db.example.com PGPORT 5432 PGDATABASE "d'b \$x" \
	PGUSER "u\"s\`r" PGPASSWORD "$HARD" PGSSLMODE disable)" \
	"env REF --json: the hard values exactly (newline, quotes, non-ASCII)"
run "$CRED" --json env e/my
is "$(json_canon "$(cat "$OUT_FILE")")" "$(jobj MYSQL_HOST mysql.internal MYSQL_TCP_PORT 3306 MYSQL_DATABASE shop \
	MYSQL_USER shop MYSQL_PWD "$PGPW")" "env --json of the mysql secret"
run "$CRED" --json env e/other
is "$(json_canon "$(cat "$OUT_FILE")")" "$(jobj API_KEY k-other)" "env --json of the api_key (provider other)"
run "$CRED" --json env u/gen
is "$RC" 2 "env --json of a generic secret exits 2"
like "$(cat "$ERR_FILE")" '"error"' "... with a JSON error on stderr"

tput e/pg6 postgresql pw --field host=2001:db8::10 --field database=d --field username=u
run "$CRED" --json env e/pg6
is "$(json_get "$OUT" PGHOST)" "2001:db8::10" "env: PGHOST of an IPv6 host is the bare address"

# ======== no value in the agent's log ========
ok "the agent stops cleanly" stop_agent
leaked=""
for s in "${SECRETS[@]}" "$HARD"; do
	case $s in pw | pw-1 | key1 | key2) continue ;; esac
	file_has "$AGENT_LOG" "$s" && leaked="$leaked [$s]"
done
is "$leaked" "" "no secret value in the agent's log"
done_testing
