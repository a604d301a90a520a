#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred import-env: a .env file with quotes, comments, export prefixes,
# escapes, provider API keys and database URIs (an encoded password)
# becomes typed secrets (api_key, postgresql, mysql fields checked with
# get --json and info --json) and generic ones with the exact bytes;
# --dry-run stores nothing; the import is all or nothing (a conflict:
# exit 7, nothing stored; identical values skipped; --overwrite); a bad
# line or a bad name is exit 2 naming the line; --json; and the printed
# `cred run` line runs, giving the child the file's variables.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
mkdir -p "$V"
R=$(random_token 12)
ENV=$TEST_DIR/app.env

# The DATABASE_URL password, and the same percent-encoded in the file.
DBPW="p@ss:w/o?#% rd-$R"
DBPW_ENC="p%40ss%3Aw%2Fo%3F%23%25%20rd-$R"
cat >"$ENV" <<EOF
# Application settings
export OPENAI_API_KEY="sk-proj-$R"
ANTHROPIC_API_KEY=sk-ant-$R   # an inline comment

DATABASE_URL=postgres://app:$DBPW_ENC@db.example.com:6432/app_db?sslmode=require
  export   MYSQL_URL='mysql://shop:s%2Bcret-$R@127.0.0.1/shop'
SINGLE='literal \$HOME \\n # kept-$R'
DOUBLE="line1\\nline2\\ttab \\"quoted\\" \\\$HOME \\\\ end-$R"
   SPACED =   spaced value $R   
EMPTY=
HASHY=abc#def-$R
REDIS_URL=redis://:pw-$R@localhost:6379/0
EOF
VARS=(OPENAI_API_KEY ANTHROPIC_API_KEY DATABASE_URL MYSQL_URL SINGLE DOUBLE SPACED EMPTY HASHY
	REDIS_URL)
# What each variable holds once parsed (files, exact bytes).
printf '%s' "sk-proj-$R" >"$V/OPENAI_API_KEY"
printf '%s' "sk-ant-$R" >"$V/ANTHROPIC_API_KEY"
printf '%s' "postgres://app:$DBPW_ENC@db.example.com:6432/app_db?sslmode=require" >"$V/DATABASE_URL"
printf '%s' "mysql://shop:s%2Bcret-$R@127.0.0.1/shop" >"$V/MYSQL_URL"
printf '%s' "literal \$HOME \\n # kept-$R" >"$V/SINGLE"
printf 'line1\nline2\ttab "quoted" $HOME \\ end-%s' "$R" >"$V/DOUBLE"
printf '%s' "spaced value $R" >"$V/SPACED"
printf '' >"$V/EMPTY"
printf '%s' "abc#def-$R" >"$V/HASHY"
printf '%s' "redis://:pw-$R@localhost:6379/0" >"$V/REDIS_URL"

# The names of a --json ls, sorted, one line.
names() {
	"$CRED" --json ls "$@" 2>/dev/null | perl -MJSON::PP -e \
		'print join " ", sort map { $_->{name} } @{decode_json(do { local $/; <STDIN> })}'
}

start_agent

# ---- --dry-run ----

run "$CRED" import-env "$ENV" --prefix app/ --dry-run
is "$RC" 0 "import-env --dry-run"
like "$OUT" "^would store 10 secrets from $ENV \(10 added, 0 skipped\)" "it says what it would do"
like "$ERR" "dry run: nothing was stored" "and that it stored nothing"
is "$(names)" "" "nothing is stored"

# ---- the import ----

run "$CRED" import-env "$ENV" --prefix app/
is "$RC" 0 "import-env"
report=$(cat "$OUT_FILE")
like "$report" "^stored 10 secrets from $ENV \(10 added, 0 skipped\)" "the report's first line"
for pair in OPENAI_API_KEY:api_key ANTHROPIC_API_KEY:api_key DATABASE_URL:postgresql \
	MYSQL_URL:mysql SINGLE:generic DOUBLE:generic SPACED:generic EMPTY:generic HASHY:generic \
	REDIS_URL:generic; do
	v=${pair%%:*} t=${pair#*:}
	like "$report" "(^|$NL)$v -> app/$v \($t\)($NL|\$)" "report: $v -> app/$v ($t)"
done
run_line=$(tail -n 1 "$OUT_FILE")
want="cred run"
for v in "${VARS[@]}"; do
	case $v in
	DATABASE_URL | MYSQL_URL) want="$want --env $v=app/$v#uri" ;;
	*) want="$want --env $v=app/$v" ;;
	esac
done
is "$run_line" "$want -- CMD" "the last line is the cred run line replacing the file"
is "$(names)" "$(printf 'app/%s\n' "${VARS[@]}" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"every variable is a secret"

# Types and fields.
fields() { # NAME: get --json's fields, canonical
	"$CRED" --json get "$1" | perl -MJSON::PP -e \
		'my $d = decode_json(do { local $/; <STDIN> }); print "$d->{type} ", JSON::PP->new->canonical->encode($d->{fields})'
}
is "$(fields app/OPENAI_API_KEY)" "api_key {\"key\":\"sk-proj-$R\",\"provider\":\"openai\"}" \
	"OPENAI_API_KEY: api_key, provider openai"
is "$(fields app/ANTHROPIC_API_KEY)" "api_key {\"key\":\"sk-ant-$R\",\"provider\":\"anthropic\"}" \
	"ANTHROPIC_API_KEY: api_key, provider anthropic"
is "$(fields app/DATABASE_URL)" \
	"postgresql {\"database\":\"app_db\",\"host\":\"db.example.com\",\"password\":\"$DBPW\",\"port\":\"6432\",\"sslmode\":\"require\",\"username\":\"app\"}" \
	"DATABASE_URL: postgresql fields, the password percent-decoded"
is "$(fields app/MYSQL_URL)" \
	"mysql {\"database\":\"shop\",\"host\":\"127.0.0.1\",\"password\":\"s+cret-$R\",\"port\":\"3306\",\"username\":\"shop\"}" \
	"MYSQL_URL: mysql fields (port defaulted)"
info=$("$CRED" --json info app/DATABASE_URL)
is "$(json_get "$info" type)" "postgresql" "info --json: type postgresql"
is "$(json_get "$info" fields.password)" "null" "info --json: the password masked"
is "$(json_get "$info" fields.host)" "db.example.com" "info --json: the host shown"
run "$CRED" get app/DATABASE_URL
is "$(cat "$OUT_FILE")" "$DBPW" "get prints the primary field: the decoded password"
run "$CRED" uri app/DATABASE_URL
is "$(cat "$OUT_FILE")" \
	"postgresql://app:$DBPW_ENC@db.example.com:6432/app_db?sslmode=require" \
	"cred uri gives the URI back"

# Generic values: exact bytes.
for v in SINGLE DOUBLE SPACED EMPTY HASHY REDIS_URL; do
	"$CRED" get "app/$v" >"$TEST_DIR/got" 2>/dev/null
	if cmp -s "$TEST_DIR/got" "$V/$v"; then
		pass "$v: the exact bytes"
	else
		fail "$v: the exact bytes" "    got: $(od -c "$TEST_DIR/got" | head -3)" \
			"    expected: $(od -c "$V/$v" | head -3)"
	fi
	is "$("$CRED" --json get "app/$v" | perl -MJSON::PP -e 'print decode_json(do { local $/; <STDIN> })->{type}')" \
		generic "$v: type generic"
done

# ---- the cred run line ----

# CMD: a program writing each variable's value to a file of its name.
cat >"$TEST_DIR/dump-env" <<'EOF'
#!/usr/bin/perl
for my $v (@ARGV) {
	open(my $f, ">", "$ENV{DUMP_DIR}/$v") or die "$v: $!";
	print $f $ENV{$v} if exists $ENV{$v};
	close $f;
}
EOF
chmod +x "$TEST_DIR/dump-env"
mkdir -p "$TEST_DIR/dump"
line=${run_line#cred }
line=${line% CMD}
# Names and variables need no quoting: the line is a shell command as is.
export DUMP_DIR=$TEST_DIR/dump
eval "\"\$CRED\" $line \"\$TEST_DIR/dump-env\" \"\${VARS[@]}\""
is "$?" 0 "the cred run line runs"
for v in "${VARS[@]}"; do
	want=$V/$v
	case $v in
	DATABASE_URL | MYSQL_URL)
		# A database secret's URI as cred uri renders it (the scheme
		# spelt out, the default port written) is the file's URI.
		"$CRED" uri "app/$v" 2>/dev/null | tr -d '\n' >"$TEST_DIR/uri-$v"
		want=$TEST_DIR/uri-$v
		# The run line asks for it as REF#uri.
		like "$line" "--env $v=app/$v#uri( |\$)" "the run line asks for $v as app/$v#uri"
		;;
	esac
	if cmp -s "$TEST_DIR/dump/$v" "$want"; then
		pass "the child's $v is the file's"
	else
		fail "the child's $v is the file's" "    got: $(head -c 200 "$TEST_DIR/dump/$v" | od -c | head -3)"
	fi
done

# ---- all or nothing ----

run "$CRED" import-env "$ENV" --prefix app/
is "$RC" 0 "importing the same file again"
like "$OUT" "^stored 10 secrets from $ENV \(0 added, 10 skipped\)" "identical values are skipped"
is "$(json_get "$("$CRED" --json info app/HASHY)" version)" 1 "no new version for them"

sed -e "s/^HASHY=.*/HASHY=changed-$R/" "$ENV" >"$TEST_DIR/changed.env"
printf 'NEWVAR=new-%s\n' "$R" >>"$TEST_DIR/changed.env"
run "$CRED" import-env "$TEST_DIR/changed.env" --prefix app/
is "$RC" 7 "a name holding another value: exit 7"
like "$ERR" "conflict: app/HASHY" "the conflicting name is listed"
like "$ERR" "cred: import-env: .*nothing (stored|imported): 1 name already exists with other values \(use --overwrite\)" \
	"and nothing was stored"
run "$CRED" get app/NEWVAR
is "$RC" 3 "the new variable was not stored either"
run "$CRED" get app/HASHY
is "$(cat "$OUT_FILE")" "abc#def-$R" "the old value is kept"

run "$CRED" import-env "$TEST_DIR/changed.env" --prefix app/ --overwrite
is "$RC" 0 "--overwrite"
like "$OUT" "\(1 added, 9 skipped, 1 overwritten\)" "one new name and one new version"
run "$CRED" get app/HASHY
is "$(cat "$OUT_FILE")" "changed-$R" "the new value is current"
is "$(json_get "$("$CRED" --json info app/HASHY)" version)" 2 "as version 2"

# ---- --json ----

run "$CRED" import-env "$ENV" --prefix json/ --dry-run --json
is "$RC" 0 "import-env --json --dry-run"
ok "--json has every key" json_has "$OUT" added skipped conflicted conflicts entries run \
	"entries.[0].var" "entries.[0].name" "entries.[0].type"
is "$(json_get "$OUT" added)/$(json_get "$OUT" conflicted)" "10/0" "--json: counts"
is "$(json_get "$OUT" entries.[2])" \
	'{"line":5,"name":"json/DATABASE_URL","type":"postgresql","var":"DATABASE_URL"}' \
	"--json: an entry"
like "$(json_get "$OUT" run)" "^cred run --env OPENAI_API_KEY=json/OPENAI_API_KEY .* -- CMD$" \
	"--json: the run line"
is "$(names json/)" "" "--json --dry-run stored nothing"

run "$CRED" import-env "$ENV" --prefix app/ --json
is "$RC" 7 "--json conflict: exit 7"
is "$(json_get "$OUT" conflicts)" '["app/HASHY"]' "--json: the conflicting names on stdout"
like "$ERR" '"status":"CONFLICT"' "--json: the error on stderr"

# ---- bad files and names ----

printf 'GOOD=1\n# fine\nthis is not an assignment\n' >"$TEST_DIR/bad.env"
run "$CRED" import-env "$TEST_DIR/bad.env" --prefix bad/
is "$RC" 2 "a malformed line: exit 2"
like "$ERR" "^cred: import-env: $TEST_DIR/bad.env: line 3: " "the message names the line"
printf "A=1\nB='open\n" >"$TEST_DIR/bad2.env"
run "$CRED" import-env "$TEST_DIR/bad2.env" --prefix bad/
like "$RC/$ERR" "^2/.*line 2: unterminated single quote" "an unterminated quote names its line"
run "$CRED" import-env "$ENV" --prefix 'bad//'
is "$RC" 2 "a prefix making an invalid name: exit 2"
like "$ERR" "line 2: OPENAI_API_KEY: 'bad//OPENAI_API_KEY' is not a valid secret name" \
	"naming the line and the name"
is "$(names bad)" "" "nothing stored from bad files"
run "$CRED" import-env "$TEST_DIR/no-such.env"
is "$RC" 1 "a missing file: exit 1"

# ---- verify --with on what was imported ----

# An api_key secret's check gets <PROVIDER>_API_KEY; a generic one's
# CRED_VALUE. The secret is in the environment, never in argv.
run "$CRED" verify app/OPENAI_API_KEY --with "test \"\$OPENAI_API_KEY\" = 'sk-proj-$R'"
like "$RC/$OUT" "^0/app/OPENAI_API_KEY: ok: command ok in [0-9]+ ms$" \
	"verify --with: an api_key's check sees OPENAI_API_KEY"
is "$(json_get "$("$CRED" --json info app/OPENAI_API_KEY)" verify.status)" ok "recorded ok"
run "$CRED" verify app/DOUBLE --with "printf '%s' \"\$CRED_VALUE\" >'$TEST_DIR/seen'"
is "$RC" 0 "verify --with: a generic secret's check sees CRED_VALUE"
ok "CRED_VALUE holds the exact bytes" cmp "$TEST_DIR/seen" "$V/DOUBLE"
# A command printing a value that spans lines: none of it in the message.
run "$CRED" verify app/DOUBLE --with 'printf "before\n%s\n" "$CRED_VALUE"; exit 4'
is "$RC" 1 "a failing command: exit 1"
like "$ERR" "^cred: verify: app/DOUBLE: failed: command exited with status 4: \*\*\*\$" \
	"the last line of a multi-line secret is scrubbed too"
info=$("$CRED" --json info app/DOUBLE)
is "$(json_get "$info" verify.status)" failed "recorded failed"
unlike "$info" "end-$R|line1|line2" "no part of the value in info"
run "$CRED" verify app/SPACED --with 'sleep 30' --timeout 1
is "$RC" 1 "a command past --timeout fails"
like "$ERR" "failed: command timed out after 1 s" "saying so"
reads=$(json_get "$("$CRED" --json info app/SPACED)" usage.reads)
run "$CRED" verify app/SPACED
is "$RC" 2 "a generic secret without --with: usage error"
is "$(json_get "$("$CRED" --json info app/SPACED)" usage.reads)" "$reads" \
	"and the value was not read"
like "$ERR" "type generic has no built-in check" "saying why"
is "$(json_get "$("$CRED" --json info app/SPACED)" verify.status)" failed \
	"the usage error recorded nothing new"
run "$CRED" verify app/NOPE --with true
is "$RC" 3 "verify of a missing secret: exit 3"

# ---- secrecy ----

stop_all_agents
if grep -qF -- "$R" "$AGENT_LOG"; then
	fail "no value in the agent's log" "$(grep -nF -- "$R" "$AGENT_LOG" | head -3)"
else
	pass "no value in the agent's log"
fi

done_testing
