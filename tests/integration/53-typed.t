#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Typed secrets (DESIGN.md section 5): put with --field and the secret on
# stdin, --json-in, the agent's checks (INVALID naming the field, never the
# value), unknown fields kept, get / get --field / get --json, defaults,
# info masking, rotate of a typed secret, a Google service-account file.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
NL=$'\n'
V=$TEST_DIR/vals
mkdir -p "$V"
SECRETS=() # every secret value used, checked against the agent's log

# A secret value into FILE: TAG, random letters, then SUFFIX (printf %b).
mkval() { # FILE TAG [SUFFIX]
	printf '%s-%s%b' "$2" "$(random_token 20)" "${3:-}" >"$1"
	SECRETS+=("$(head -c 30 "$1")")
}

# VAR = the exact bytes of FILE (a trailing newline kept).
slurp() { # VAR FILE
	local s
	s=$(cat "$2" && printf x)
	printf -v "$1" '%s' "${s%x}"
}

# A JSON object of the arguments K V K V... (UTF-8 strings), canonical.
jobj() {
	perl -MJSON::PP -MEncode=decode -e \
		'my %h = map { decode("UTF-8", $_) } @ARGV;
		 print JSON::PP->new->utf8->canonical->encode(\%h)' "$@"
}

# The value at PATH (as json_get; "" for the whole) of JSON $1, as
# canonical JSON ("does not parse" if it does not).
json_canon() { # JSON PATH
	printf '%s' "$1" | perl -MJSON::PP -e '
my $j = JSON::PP->new->utf8->canonical->allow_nonref;
my $v = eval { $j->decode(do { local $/; <STDIN> }) };
if ($@) { print "does not parse"; exit }
for my $p (grep { length } split /\./, $ARGV[0]) {
    $v = $p =~ /^\[(\d+)\]$/ ? (ref $v eq "ARRAY" ? $v->[$1] : undef)
                             : (ref $v eq "HASH" ? $v->{$p} : undef);
}
print $j->encode($v)' "${2:-}"
}

# Semantic JSON equality of the value at PATH of GOT with WANT.
json_is() { # GOT PATH WANT NAME
	is "$(json_canon "$1" "$2")" "$(json_canon "$3" "")" "$4"
}

# The fields of `cred --json get REF`, as canonical JSON.
fields_of() { # REF
	local out
	out=$("$CRED" --json get "$1" 2>/dev/null) || {
		echo "get-failed"
		return
	}
	json_canon "$out" fields
}

# `cred get ARGS` prints exactly the bytes of FILE.
get_is() { # FILE NAME GET-ARGS...
	local file=$1 name=$2
	shift 2
	run "$CRED" get "$@"
	if [ "$RC" != 0 ]; then
		fail "$name" "    cred get $* exited $RC: $ERR"
		return
	fi
	ok "$name" cmp "$file" "$OUT_FILE"
}

# `cred get ARGS` prints exactly STRING.
get_str() { # STRING NAME GET-ARGS...
	local want=$1 name=$2
	shift 2
	run "$CRED" get "$@"
	if [ "$RC" != 0 ]; then
		fail "$name" "    cred get $* exited $RC: $ERR"
		return
	fi
	is "$(od -An -c "$OUT_FILE")" "$(printf '%s' "$want" | od -An -c)" "$name"
}

# A put that must be refused as INVALID, naming FIELD, without SECRET in
# the message, storing nothing: tput_invalid NAME FIELD SECRETFILE REF
# PUT-ARGS... (stdin: SECRETFILE).
tput_invalid() {
	local name=$1 field=$2 sf=$3 ref=$4
	shift 4
	run "$CRED" put "$ref" "$@" <"$sf"
	is "$RC" 11 "$name: exit 11 (INVALID)"
	like "$ERR" "\"$field\"" "... the message names \"$field\""
	if grep -qF -- "$(cat "$sf")" "$ERR_FILE" "$OUT_FILE"; then
		fail "... and never holds the secret" "    stderr: $ERR"
	else
		pass "... and never holds the secret"
	fi
	run "$CRED" get "$ref"
	is "$RC" 3 "... and nothing is stored (get exits 3)"
}

# Does FILE hold the bytes STRING anywhere?
file_has() { # FILE STRING
	perl -e 'open my $f, "<", $ARGV[0] or exit 2; local $/; exit(index(<$f>, $ARGV[1]) >= 0 ? 0 : 1)' "$@"
}

uid=$(id -u)
start_agent

# ======== every type of the registry ========

# ---- generic ----
{
	printf 'gen-%s\000\377\r\n' "$(random_token 16)"
} >"$V/gen"
SECRETS+=("$(head -c 20 "$V/gen")")
run "$CRED" put t/generic --type generic <"$V/gen"
is "$RC" 0 "put --type generic exits 0"
get_is "$V/gen" "... get prints its bytes exactly (NUL, 0xff, CR LF)" t/generic
run "$CRED" --json get t/generic
is "$RC" 0 "... get --json of the binary value exits 0"
is "$(json_get "$OUT" type) $(json_get "$OUT" value) $(json_get "$OUT" value_base64)" \
	"generic null $(base64 -w0 <"$V/gen")" "... {type: generic, value: null, value_base64} as before"
printf 'text-%s\n' "$(random_token 16)" >"$V/gentext"
SECRETS+=("$(head -c 20 "$V/gentext")")
run "$CRED" put t/generic-text --type generic <"$V/gentext"
run "$CRED" --json get t/generic-text
is "$RC" 0 "get --json of a generic text value exits 0"
json_is "$(cat "$OUT_FILE")" "" "$(jobj name t/generic-text owner "$uid" version 1 type generic \
	value "$(cat "$V/gentext")$NL" | perl -MJSON::PP -e '$d = decode_json(<STDIN>);
	$d->{$_} += 0 for qw(owner version); print encode_json($d)')" \
	"... {name, owner, version, type, value} exactly, no \"fields\""

# A typed secret whose password is not UTF-8: get --json must not crash
# (how such bytes are rendered is the CLI's choice: any parseable JSON).
printf 'bin-%s\377\001' "$(random_token 16)" >"$V/pgbin"
SECRETS+=("$(head -c 20 "$V/pgbin")")
run "$CRED" put t/pg-bin --type postgresql --field host=h --field database=d --field username=u \
	<"$V/pgbin"
is "$RC" 0 "put of a postgresql secret with a non-UTF-8 password exits 0"
get_is "$V/pgbin" "... get prints its bytes exactly" t/pg-bin
run "$CRED" --json get t/pg-bin
is "$RC" 0 "... get --json exits 0 (no crash)"
is "$(json_get "$(cat "$OUT_FILE")" fields.host 2>/dev/null)" h "... and prints parseable JSON with the fields"
run "$CRED" --json env t/pg-bin
unlike "$RC $ERR" "^134|out of memory" "... env --json does not crash nor blame memory (exit $RC: $ERR)"

# ---- password ----
mkval "$V/pw" pw '\n'
run "$CRED" put t/password --type password --field username=alice \
	--field 'url=https://example.com/login?next=/a=b' <"$V/pw"
is "$RC" 0 "put --type password with --field username/url, password on stdin, exits 0"
get_is "$V/pw" "... get prints the password exactly, trailing newline included" t/password
get_str alice "... get --field username prints alice" t/password --field username
get_str 'https://example.com/login?next=/a=b' "... --field K=V splits at the first '='" \
	t/password --field url
json_is "$("$CRED" --json get t/password)" fields \
	"$(jobj username alice url 'https://example.com/login?next=/a=b' password "$(cat "$V/pw")$NL")" \
	"... get --json fields: {username, password, url}"
run "$CRED" --json get t/password
is "$(json_get "$OUT" type) $(json_get "$OUT" name) $(json_get "$OUT" owner) $(json_get "$OUT" version)" \
	"password t/password $uid 1" "... get --json: type, name, owner, version"
run "$CRED" get t/password --field nosuch
is "$RC" 3 "get --field nosuch exits 3"
like "$ERR" "no field nosuch" "... saying 'no field nosuch'"
is "$OUT" "" "... and prints nothing on stdout"

# ---- api_key ----
mkval "$V/ak" sk
run "$CRED" put t/api --type api_key --field provider=openai \
	--field endpoint=https://api.openai.com/v1 <"$V/ak"
is "$RC" 0 "put --type api_key exits 0"
get_is "$V/ak" "... get prints the key" t/api
get_str openai "... get --field provider" t/api --field provider
is "$(fields_of t/api)" \
	"$(json_canon "$(jobj provider openai endpoint https://api.openai.com/v1 key "$(cat "$V/ak")")")" \
	"... get --json fields: {provider, key, endpoint}"
for p in gemini anthropic openrouter groq other; do
	run "$CRED" put "t/api-$p" --type api_key --field provider=$p <"$V/ak"
	is "$RC" 0 "put --type api_key --field provider=$p exits 0"
done

# ---- oauth2 ----
mkval "$V/at" ya29
run "$CRED" put t/oauth --type oauth2 --field token_uri=https://oauth2.googleapis.com/token \
	--field client_id=123.apps.example.com --field scope='openid email' \
	--field expires_at=2030-01-01T00:00:00Z <"$V/at"
is "$RC" 0 "put --type oauth2 (access_token on stdin) exits 0"
get_is "$V/at" "... get prints the access_token" t/oauth
is "$(fields_of t/oauth)" "$(json_canon "$(jobj access_token "$(cat "$V/at")" \
	token_uri https://oauth2.googleapis.com/token client_id 123.apps.example.com \
	scope 'openid email' expires_at 2030-01-01T00:00:00Z)")" "... get --json fields as given"
run "$CRED" put t/oauth-x --type oauth2 --field refresh_token=rt-in-argv <"$V/at"
is "$RC" 2 "put --type oauth2 --field refresh_token=... (a secret field) exits 2"
like "$ERR" "field refresh_token is secret" "... saying the field is secret"
run "$CRED" put t/oauth-x --type oauth2 --field client_secret=cs-in-argv <"$V/at"
is "$RC" 2 "put --type oauth2 --field client_secret=... exits 2"
run "$CRED" get t/oauth-x
is "$RC" 3 "... and nothing is stored"

mkval "$V/at2" at
mkval "$V/rt2" rt
mkval "$V/cs2" cs
jobj access_token "$(cat "$V/at2")" refresh_token "$(cat "$V/rt2")" client_secret "$(cat "$V/cs2")" \
	client_id cid-1 token_uri https://example.com/token >"$V/oauth.json"
run "$CRED" put t/oauth2 --type oauth2 --json-in "$V/oauth.json" </dev/null
is "$RC" 0 "put --type oauth2 --json-in FILE with refresh_token and client_secret exits 0"
get_is "$V/at2" "... get prints the access_token" t/oauth2
get_is "$V/rt2" "... get --field refresh_token" t/oauth2 --field refresh_token
get_is "$V/cs2" "... get --field client_secret" t/oauth2 --field client_secret
run "$CRED" info t/oauth2
is "$RC" 0 "info of the oauth2 secret exits 0"
ok "... shows none of its three secret fields" sh -c \
	'! grep -qF -e "$1" -e "$2" -e "$3" "$4"' sh "$(cat "$V/at2")" "$(cat "$V/rt2")" "$(cat "$V/cs2")" \
	"$OUT_FILE"
run "$CRED" --json info t/oauth2
is "$(json_get "$OUT" fields.access_token) $(json_get "$OUT" fields.refresh_token) $(json_get "$OUT" fields.client_secret) $(json_get "$OUT" fields.client_id)" \
	"null null null cid-1" "... info --json: the secret fields null, client_id shown"

# ---- postgresql ----
mkval "$V/pg" pg '\n'
run "$CRED" put t/pg --type postgresql --field host=db.example.com --field port=5433 \
	--field database=app --field username=app_rw --field sslmode=require \
	--field application_name=ci-runner <"$V/pg"
is "$RC" 0 "put --type postgresql (with an unknown field application_name) exits 0"
get_is "$V/pg" "... get prints the password exactly (trailing newline)" t/pg
get_str 5433 "... get --field port prints 5433" t/pg --field port
get_str ci-runner "... the unknown field is kept: get --field application_name" \
	t/pg --field application_name
slurp PGVAL "$V/pg"
PG_FIELDS=(host db.example.com port 5433 database app username app_rw sslmode require
	application_name ci-runner)
is "$(fields_of t/pg)" "$(json_canon "$(jobj "${PG_FIELDS[@]}" password "$PGVAL")")" \
	"... get --json fields: all six plus the unknown one"
run "$CRED" info t/pg
is "$RC" 0 "info t/pg exits 0"
like "$OUT" '\*\*\*\*\*\*\*\*' "... masks the password as ********"
ok "... and never shows it" sh -c '! grep -qF -- "$1" "$2"' sh "$(head -c 30 "$V/pg")" "$OUT_FILE"
like "$OUT" "db\.example\.com" "... but shows the host"
run "$CRED" --json info t/pg
is "$(json_get "$OUT" fields.password)" null "info --json: fields.password is null"
is "$(json_get "$OUT" fields.host) $(json_get "$OUT" fields.port) $(json_get "$OUT" fields.application_name)" \
	"db.example.com 5433 ci-runner" "... fields.host, port and the unknown field shown"
ok "... and the value is nowhere in it" sh -c '! grep -qF -- "$1" "$2"' sh "$(head -c 30 "$V/pg")" \
	"$OUT_FILE"

mkval "$V/pgd" pgd
run "$CRED" put t/pg-default --type postgresql --field host=10.0.0.5 --field database=app \
	--field username=u <"$V/pgd"
is "$RC" 0 "put --type postgresql without port exits 0 (port defaults)"
get_str 5432 "... get --field port prints the default 5432" t/pg-default --field port
is "$(fields_of t/pg-default)" \
	"$(json_canon "$(jobj host 10.0.0.5 port 5432 database app username u password "$(cat "$V/pgd")")")" \
	"... get --json fields fill in port 5432"
run "$CRED" get t/pg-default --field sslmode
is "$RC" 3 "... get --field sslmode (optional, unset) exits 3"

# ---- mysql ----
mkval "$V/my" my
run "$CRED" put t/my --type mysql --field host=mysql.internal --field database=shop \
	--field username=shop --field ssl=true <"$V/my"
is "$RC" 0 "put --type mysql exits 0"
get_is "$V/my" "... get prints the password" t/my
get_str 3306 "... get --field port prints the default 3306" t/my --field port
is "$(fields_of t/my)" "$(json_canon "$(jobj host mysql.internal port 3306 database shop \
	username shop ssl true password "$(cat "$V/my")")")" "... get --json fields (port 3306 filled in)"
run "$CRED" put t/my-nossl --type mysql --field host=h --field database=d --field username=u \
	--field ssl=false <"$V/my"
is "$RC" 0 "... ssl=false is accepted too"

# ---- snowflake ----
mkval "$V/sf" sf
run "$CRED" put t/snow --type snowflake --field account=xy12345.eu-central-1 --field warehouse=WH \
	--field database=ANALYTICS --field username=LOADER --field role=LOADER_ROLE \
	--field schema=PUBLIC <"$V/sf"
is "$RC" 0 "put --type snowflake exits 0"
get_is "$V/sf" "... get prints the password" t/snow
is "$(fields_of t/snow)" "$(json_canon "$(jobj account xy12345.eu-central-1 warehouse WH \
	database ANALYTICS username LOADER role LOADER_ROLE schema PUBLIC password "$(cat "$V/sf")")")" \
	"... get --json fields"

# ---- sqlite ----
mkval "$V/sq" sq
run "$CRED" put t/sqlite --type sqlite --field path=/var/lib/app/data.db <"$V/sq"
is "$RC" 0 "put --type sqlite (key on stdin) exits 0"
get_is "$V/sq" "... get prints the key" t/sqlite
get_str /var/lib/app/data.db "... get --field path" t/sqlite --field path
is "$(fields_of t/sqlite)" "$(json_canon "$(jobj path /var/lib/app/data.db key "$(cat "$V/sq")")")" \
	"... get --json fields"

# ---- google_service_account: the Google file as-is ----
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$V/sa.pem" 2>/dev/null ||
	{
		echo '-----BEGIN PRIVATE KEY-----'
		head -c 1200 /dev/urandom | base64 -w 64
		echo '-----END PRIVATE KEY-----'
	} >"$V/sa.pem"
SECRETS+=("$(sed -n 5p "$V/sa.pem")")
perl -MJSON::PP -e '
my $key = do { local $/; open my $f, "<", $ARGV[0] or die; <$f> };
my $p = "credagent-it-" . int(100000 + rand 900000);
my $email = "ci-runner\@$p.iam.gserviceaccount.com";
(my $enc = $email) =~ s/\@/%40/;
my @kv = (
    type => "service_account",
    project_id => $p,
    private_key_id => join("", map { sprintf "%x", int rand 16 } 1 .. 40),
    private_key => $key,
    client_email => $email,
    client_id => join("", map { int rand 10 } 1 .. 21),
    auth_uri => "https://accounts.google.com/o/oauth2/auth",
    token_uri => "https://oauth2.googleapis.com/token",
    auth_provider_x509_cert_url => "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url => "https://www.googleapis.com/robot/v1/metadata/x509/$enc",
    universe_domain => "googleapis.com",
);
# As Google writes it: two-space indent, members in this order.
my @lines;
while (my ($k, $v) = splice @kv, 0, 2) {
    push @lines, "  " . JSON::PP->new->encode($k) . ": " . JSON::PP->new->encode($v);
}
print "{\n", join(",\n", @lines), "\n}\n";' "$V/sa.pem" >"$V/sa.json"
perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> }); print $d->{private_key}' \
	<"$V/sa.json" >"$V/sa.key"
like "$(grep -c . "$V/sa.key")" '^[0-9]{2,}$' "the fake service-account file has a multi-line private_key"

run "$CRED" put t/gsa --type google_service_account --json-in "$V/sa.json" </dev/null
is "$RC" 0 "put --type google_service_account --json-in key.json exits 0"
get_is "$V/sa.key" "... get prints the private_key exactly (newlines, trailing one)" t/gsa
run "$CRED" --json get t/gsa
is "$RC" 0 "... get --json exits 0"
json_is "$(cat "$OUT_FILE")" fields "$(cat "$V/sa.json")" \
	"... get --json fields equal the file's members (type kept as an unknown field)"
is "$(json_get "$OUT" type)" google_service_account "... and its type is google_service_account"
get_str service_account "... get --field type prints the file's \"type\"" t/gsa --field type
run "$CRED" info t/gsa
ok "info of the service account does not show the key" sh -c '! grep -qF -- "$1" "$2"' sh \
	"$(sed -n 5p "$V/sa.pem")" "$OUT_FILE"
run "$CRED" put t/gsa-stdin --type google_service_account --json-in - <"$V/sa.json"
is "$RC" 0 "put --type google_service_account --json-in - (the file on stdin) exits 0"
json_is "$("$CRED" --json get t/gsa-stdin 2>/dev/null)" fields "$(cat "$V/sa.json")" \
	"... the same fields"
run "$CRED" put t/gsa-fields --type google_service_account --field project_id=p-1 \
	--field client_email=sa@p-1.iam.gserviceaccount.com --field private_key_id=abc123 \
	--field token_uri=https://oauth2.googleapis.com/token <"$V/sa.key"
is "$RC" 0 "put --type google_service_account with --field, private_key on stdin, exits 0"
get_is "$V/sa.key" "... get prints the private_key" t/gsa-fields
is "$(fields_of t/gsa-fields)" "$(json_canon "$(perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0];
	print JSON::PP->new->canonical->encode({project_id => "p-1", private_key => scalar <$f>,
	client_email => "sa\@p-1.iam.gserviceaccount.com", private_key_id => "abc123",
	token_uri => "https://oauth2.googleapis.com/token"})' "$V/sa.key")")" "... get --json fields"
run "$CRED" put t/gsa-fields2 --type google_service_account --field project_id=p-1 \
	--field private_key=x --field client_email=a@b --field private_key_id=k --field token_uri=u </dev/null
is "$RC" 2 "--field private_key=... (secret) exits 2"
perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> }); delete $d->{client_email};
	print encode_json($d)' <"$V/sa.json" >"$V/sa-noemail.json"
run "$CRED" put t/gsa-bad --type google_service_account --json-in "$V/sa-noemail.json" </dev/null
is "$RC" 11 "a service-account file without client_email: exit 11"
like "$ERR" '"client_email"' "... naming \"client_email\""
ok "... without the key in the message" sh -c '! grep -qF -- "$1" "$2"' sh \
	"$(sed -n 5p "$V/sa.pem")" "$ERR_FILE"

# ======== --json-in ========
mkval "$V/ji" ji
mkval "$V/other" other
jobj host pg.json.example database jdb username ju password "$(cat "$V/ji")" |
	perl -MJSON::PP -e 'my $d = decode_json(<STDIN>); $d->{port} = 5499; print encode_json($d)' \
		>"$V/pg.json"
run "$CRED" put t/ji-file --type postgresql --json-in "$V/pg.json" <"$V/other"
is "$RC" 0 "put --json-in FILE (a number for port) exits 0"
get_is "$V/ji" "... the password is the file's; stdin is not read" t/ji-file
get_str 5499 "... the number 5499 is stored as its decimal text" t/ji-file --field port
run "$CRED" --json get t/ji-file
is "$(json_canon "$(cat "$OUT_FILE")" fields.port)" '"5499"' "... and get --json shows it as the string \"5499\""

run "$CRED" put t/ji-stdin --type mysql --json-in - < <(jobj host my.json database d username u \
	password "$(cat "$V/ji")" note 'kept as it came')
is "$RC" 0 "put --json-in - (the object on stdin) exits 0"
get_is "$V/ji" "... get prints the password" t/ji-stdin
get_str 'kept as it came' "... the unknown member is kept" t/ji-stdin --field note

jobj host pg.json.example database jdb username ju >"$V/pg-nopw.json"
run "$CRED" put t/ji-nopw --type postgresql --json-in "$V/pg-nopw.json" <"$V/other"
is "$RC" 0 "put --json-in FILE without the primary field exits 0"
get_is "$V/other" "... the password comes from stdin" t/ji-nopw

printf '{"host": {"name": "h"}, "database": "d", "username": "u", "password": "p"}' >"$V/nested.json"
run "$CRED" put t/ji-nested --type postgresql --json-in "$V/nested.json" </dev/null
is "$RC" 2 "--json-in with a nested object: exit 2"
printf '{"host": "h", "database": ["d"], "username": "u", "password": "p"}' >"$V/array.json"
run "$CRED" put t/ji-nested --type postgresql --json-in "$V/array.json" </dev/null
is "$RC" 2 "--json-in with an array member: exit 2"
run "$CRED" get t/ji-nested
is "$RC" 3 "... nothing stored"

# ======== the agent's checks ========
mkval "$V/bad" bad
tput_invalid "postgresql without host" host "$V/bad" t/bad --type postgresql \
	--field database=d --field username=u
tput_invalid "postgresql with an empty host" host "$V/bad" t/bad --type postgresql \
	--field host= --field database=d --field username=u
tput_invalid "postgresql with a control character in host" host "$V/bad" t/bad --type postgresql \
	--field "host=a${NL}b" --field database=d --field username=u
tput_invalid "postgresql without database" database "$V/bad" t/bad --type postgresql \
	--field host=h --field username=u
tput_invalid "postgresql without username" username "$V/bad" t/bad --type postgresql \
	--field host=h --field database=d
for port in 0 65536 abc -1 ''; do
	tput_invalid "postgresql port '$port'" port "$V/bad" t/bad --type postgresql \
		--field host=h --field port="$port" --field database=d --field username=u
done
tput_invalid "mysql port 99999" port "$V/bad" t/bad --type mysql \
	--field host=h --field port=99999 --field database=d --field username=u
for p in 1 65535; do
	run "$CRED" put "t/port$p" --type postgresql --field host=h --field port=$p --field database=d \
		--field username=u <"$V/bad"
	is "$RC" 0 "port $p is accepted"
done
tput_invalid "postgresql sslmode=sometimes" sslmode "$V/bad" t/bad --type postgresql \
	--field host=h --field database=d --field username=u --field sslmode=sometimes
for m in disable allow prefer require verify-ca verify-full; do
	run "$CRED" put "t/ssl-$m" --type postgresql --field host=h --field database=d \
		--field username=u --field sslmode=$m <"$V/bad"
	is "$RC" 0 "sslmode=$m is accepted"
done
tput_invalid "mysql ssl=yes" ssl "$V/bad" t/bad --type mysql \
	--field host=h --field database=d --field username=u --field ssl=yes
tput_invalid "api_key provider=azure" provider "$V/bad" t/bad --type api_key --field provider=azure
tput_invalid "api_key without provider" provider "$V/bad" t/bad --type api_key
tput_invalid "snowflake without warehouse" warehouse "$V/bad" t/bad --type snowflake \
	--field account=a --field database=d --field username=u
tput_invalid "sqlite without path" path "$V/bad" t/bad --type sqlite
tput_invalid "snowflake without account" account "$V/bad" t/bad --type snowflake --field warehouse=w --field database=d --field username=u

run "$CRED" put t/bad --type nosuchtype <"$V/bad"
is "$RC" 11 "put --type nosuchtype: exit 11 (INVALID)"
like "$ERR" 'unknown type "nosuchtype"' "... saying unknown type \"nosuchtype\""

run "$CRED" put t/bad --type postgresql --field host=h --field database=d --field username=u \
	--field password=in-argv <"$V/bad"
is "$RC" 2 "a secret field given with --field (password): exit 2"
like "$ERR" "field password is secret: give it on stdin" "... saying 'field password is secret: give it on stdin'"
run "$CRED" put t/bad --type api_key --field provider=openai --field key=in-argv <"$V/bad"
is "$RC" 2 "--field key=... for api_key: exit 2"
run "$CRED" get t/bad
is "$RC" 3 "... nothing stored"

# An invalid put on an existing typed secret leaves it as it was.
run "$CRED" put t/pg-default --type postgresql --field host=10.0.0.5 --field database=app \
	--field username=u --field port=0 <"$V/bad"
is "$RC" 11 "an invalid new version of an existing secret: exit 11"
run "$CRED" --json info t/pg-default
is "$(json_get "$OUT" version)" 1 "... the secret stays at version 1"
get_is "$V/pgd" "... with its password" t/pg-default

# The agent checks by itself: a PUT sent as bytes, a postgresql field set
# without host (keys ascending), is answered INVALID naming "host".
fset() { # K V K V...: FIELD groups in hex
	while [ $# -gt 0 ]; do
		field 99 5 "$(field 100 4 "$(hexstr "$1")")$(field 101 3 "$(hexstr "$2")")"
		shift 2
	done
}
rawpw=raw-$(random_token 20)
SECRETS+=("$rawpw")
body=$(field 17 4 "$(hexstr t/raw)")$(field 19 4 "$(hexstr postgresql)")$(field 32 3 \
	"$(fset database d password "$rawpw" port 5432 username u)")
out=$(raw "$(frame 3 41 "$body")" r)
reply=$(sed -n 1p <<<"$out")
is "$(frame_status "$reply")" 11 "a raw PUT of a postgresql field set without host: status INVALID (11)"
like "$reply" "$(hexstr '"host"')" "... its message names \"host\""
unlike "$reply" "$(hexstr "$rawpw")" "... and does not hold the password"
body=$(field 17 4 "$(hexstr t/raw)")$(field 19 4 "$(hexstr postgresql)")$(field 32 3 \
	"$(fset database d host h password "$rawpw" port 70000 username u)")
reply=$(raw "$(frame 3 42 "$body")" r | sed -n 1p)
is "$(frame_status "$reply")" 11 "a raw PUT with port 70000: status INVALID (11)"
like "$reply" "$(hexstr '"port"')" "... naming \"port\""
body=$(field 17 4 "$(hexstr t/raw)")$(field 19 4 "$(hexstr postgresql)")$(field 32 3 \
	"$(fset host h database d password "$rawpw" port 5432 username u)")
reply=$(raw "$(frame 3 43 "$body")" r | sed -n 1p)
like "$(frame_status "$reply")" '^(11|12)$' "a raw PUT with field keys out of order is refused (11 or 12)"
body=$(field 17 4 "$(hexstr t/raw)")$(field 19 4 "$(hexstr postgresql)")$(field 32 3 \
	"$(hexstr "$rawpw")")
reply=$(raw "$(frame 3 44 "$body")" r | sed -n 1p)
like "$(frame_status "$reply")" '^(11|12)$' "a raw PUT of a postgresql secret with raw bytes as VALUE is refused (11 or 12)"
unlike "$reply" "$(hexstr "$rawpw")" "... without the bytes in the reply"
run "$CRED" get t/raw
is "$RC" 3 "... nothing was stored by the refused raw PUTs"

# ROTATE is checked by the agent too: a field set without host, and bytes
# that are no field set, sent for the existing t/pg-default.
body=$(field 17 4 "$(hexstr t/pg-default)")$(field 32 3 \
	"$(fset database app password "$rawpw" port 5432 username u)")
reply=$(raw "$(frame 8 45 "$body")" r | sed -n 1p)
is "$(frame_status "$reply")" 11 "a raw ROTATE with a field set without host: status INVALID (11)"
like "$reply" "$(hexstr '"host"')" "... naming \"host\""
unlike "$reply" "$(hexstr "$rawpw")" "... without the password"
body=$(field 17 4 "$(hexstr t/pg-default)")$(field 32 3 "$(hexstr "$rawpw")")
reply=$(raw "$(frame 8 46 "$body")" r | sed -n 1p)
like "$(frame_status "$reply")" '^(11|12)$' "a raw ROTATE with raw bytes as VALUE of a typed secret is refused (11 or 12)"
run "$CRED" --json info t/pg-default
is "$(json_get "$OUT" version)" 1 "... t/pg-default is still at version 1"
get_is "$V/pgd" "... with its password" t/pg-default

# A field name outside [a-z0-9_]{1,64} is refused (by the CLI or the agent).
run "$CRED" put t/badkey --type postgresql --field host=h --field database=d --field username=u \
	--field Bad-Key=x <"$V/bad"
like "$RC" '^(2|11)$' "--field Bad-Key=x: refused (exit 2 or 11; got $RC)"
run "$CRED" put t/badkey --type postgresql --field host=h --field database=d --field username=u \
	--field "$(printf 'k%.0s' $(seq 65))=x" <"$V/bad"
like "$RC" '^(2|11)$' "--field with a 65-character name: refused (exit 2 or 11; got $RC)"
run "$CRED" get t/badkey
is "$RC" 3 "... nothing stored"

# The primary field from --from-file, exact bytes.
printf 'ff-%s\r\n\n' "$(random_token 20)" >"$V/ff"
SECRETS+=("$(head -c 23 "$V/ff")")
run "$CRED" put t/fromfile --type api_key --field provider=groq --from-file "$V/ff" </dev/null
is "$RC" 0 "put --type api_key --from-file F exits 0"
get_is "$V/ff" "... get prints the file's bytes exactly (CR LF LF)" t/fromfile

# ======== rotate ========
# The count of INVALID rotates in the audit trail: a rotate of a primary
# field from stdin is one request, not a try as a field set and a retry.
rotate_invalid() { "$CRED" audit --summary 2>/dev/null | awk '$1 == "rotate" && $2 == "INVALID" { n = $3 } END { print n + 0 }'; }
invalid_before=$(rotate_invalid)
mkval "$V/rot" rot
run "$CRED" rotate t/pg <"$V/rot"
is "$RC" 0 "rotate of a typed secret with the value on stdin exits 0"
get_is "$V/rot" "... get prints the new password" t/pg
is "$(fields_of t/pg)" "$(json_canon "$(jobj "${PG_FIELDS[@]}" password "$(cat "$V/rot")")")" \
	"... every other field (the unknown one too) unchanged"
run "$CRED" --json info t/pg
is "$(json_get "$OUT" version)" 2 "... the version is bumped to 2"
get_is "$V/pg" "... get --version 1 prints the old password" t/pg --version 1
is "$(rotate_invalid)" "$invalid_before" "... one request: no INVALID rotate joins the audit trail"

printf 'rot2-%s\n\n' "$(random_token 20)" >"$V/rot2"
SECRETS+=("$(head -c 25 "$V/rot2")")
run "$CRED" rotate t/password <"$V/rot2"
is "$RC" 0 "rotate of the password secret (stdin with two trailing newlines) exits 0"
get_is "$V/rot2" "... the new password is all of stdin, newlines included" t/password
get_str alice "... username unchanged" t/password --field username

run "$CRED" rotate t/pg --generate 32
is "$RC" 0 "rotate --generate 32 of a typed secret exits 0"
run "$CRED" get t/pg
like "$(cat "$OUT_FILE")" '^[A-Za-z0-9_-]{32}$' "... the password is 32 base64url characters"
is "$(wc -c <"$OUT_FILE" | tr -d ' ')" 32 "... exactly 32 bytes, no newline"
gen=$(cat "$OUT_FILE")
SECRETS+=("$gen")
is "$(fields_of t/pg)" "$(json_canon "$(jobj "${PG_FIELDS[@]}" password "$gen")")" \
	"... every other field unchanged"
run "$CRED" --json info t/pg
is "$(json_get "$OUT" version)" 3 "... version 3"

run "$CRED" rotate t/oauth2 --generate 40 --charset hex
is "$RC" 0 "rotate --generate 40 --charset hex of the oauth2 secret exits 0"
run "$CRED" get t/oauth2
like "$(cat "$OUT_FILE")" '^[0-9a-f]{40}$' "... the access_token is 40 hex characters"
get_is "$V/rt2" "... and refresh_token is unchanged" t/oauth2 --field refresh_token
get_is "$V/cs2" "... and client_secret too" t/oauth2 --field client_secret

run "$CRED" rotate t/gsa <"$V/sa.key"
is "$RC" 0 "rotate of the service account with a key on stdin exits 0"
json_is "$("$CRED" --json get t/gsa 2>/dev/null)" fields "$(cat "$V/sa.json")" \
	"... (the same key) every member as in the file"

# ======== no value in the agent's log ========
ok "the agent stops cleanly" stop_agent
leaked=""
for s in "${SECRETS[@]}"; do
	[ -n "$s" ] && file_has "$AGENT_LOG" "$s" && leaked="$leaked [$s]"
done
is "$leaked" "" "no secret value in the agent's log"
done_testing
