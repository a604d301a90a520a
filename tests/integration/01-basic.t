#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# put/get/info/ls/rm/status round trips, exit codes, error text, --json.
. "$(dirname "$0")/lib.sh"

start_agent
uid=$(id -u)

# ---- status ----
run "$CRED" status
is "$RC" 0 "status exits 0"
like "$OUT" "credagentd" "status names the agent"
like "$OUT" "secrets: +0" "status counts no secrets in a new store"

# ---- put / get ----
printf 'first value' >"$TEST_DIR/v1"
run "$CRED" put app/db/password <"$TEST_DIR/v1"
is "$RC" 0 "put from stdin exits 0"
like "$ERR$OUT" "version 1" "put reports version 1"

run "$CRED" get app/db/password
is "$RC" 0 "get exits 0"
ok "get prints exactly the stored bytes" cmp "$OUT_FILE" "$TEST_DIR/v1"
is "$ERR" "" "get writes nothing to stderr"

printf 'second value\n' >"$TEST_DIR/v2"
run "$CRED" put app/db/password <"$TEST_DIR/v2"
is "$RC" 0 "a second put exits 0"
like "$ERR$OUT" "version 2" "the second put makes version 2"
run "$CRED" get app/db/password
ok "get returns the newer value" cmp "$OUT_FILE" "$TEST_DIR/v2"
run "$CRED" get app/db/password --version 1
is "$RC" 0 "get --version 1 exits 0"
ok "get --version 1 returns the older value" cmp "$OUT_FILE" "$TEST_DIR/v1"
run "$CRED" get app/db/password --version 3
is "$RC" 3 "get of a version that does not exist exits 3"

# --from-file
printf 'from a file' >"$TEST_DIR/ff"
run "$CRED" put app/file --from-file "$TEST_DIR/ff" </dev/null
is "$RC" 0 "put --from-file exits 0"
run "$CRED" get app/file
ok "put --from-file stores the file's bytes" cmp "$OUT_FILE" "$TEST_DIR/ff"
run "$CRED" put app/file2 --from-file "$TEST_DIR/does-not-exist" </dev/null
isnt "$RC" 0 "put --from-file of a missing file fails"
like "$ERR" "^cred: put: " "... with a cred: put: message"
run "$CRED" get app/file2
is "$RC" 3 "... and stores nothing"

# ---- info ----
run "$CRED" info app/db/password
is "$RC" 0 "info exits 0"
like "$OUT" "app/db/password" "info names the secret"
unlike "$OUT" "first value|second value" "info never shows the value"

# ---- ls ----
printf 'x' | "$CRED" put other/thing >/dev/null 2>&1
run "$CRED" ls
is "$RC" 0 "ls exits 0"
like "$OUT" "app/db/password" "ls lists app/db/password"
like "$OUT" "other/thing" "ls lists other/thing"
run "$CRED" ls app
like "$OUT" "app/db/password" "ls app lists app/db/password"
unlike "$OUT" "other/thing" "ls app leaves out other/thing"

run "$CRED" status
like "$OUT" "secrets: +3" "status counts three secrets"

# ---- --json ----
run "$CRED" --json status
is "$RC" 0 "status --json exits 0"
ok "status --json has version mode locked uptime secrets store_bytes" \
	json_has "$OUT" version mode locked uptime secrets store_bytes
is "$(json_get "$OUT" secrets)" 3 "status --json: secrets is 3"
is "$(json_get "$OUT" locked)" false "status --json: locked is false"
is "$(json_get "$OUT" mode)" user "status --json: mode is user"

run "$CRED" --json ls
is "$RC" 0 "ls --json exits 0"
ok "ls --json entries have every documented key" json_has "$OUT" \
	'[0].name' '[0].owner' '[0].type' '[0].version' '[0].state' '[0].labels' \
	'[0].updated' '[0].expires' '[0].shared'
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print scalar @{decode_json(<STDIN>)}')" 3 \
	"ls --json lists three secrets"
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e '
	for (@{decode_json(<STDIN>)}) { print "$_->{version} $_->{state} $_->{owner}" if $_->{name} eq "app/db/password" }')" \
	"2 active $uid" "ls --json: app/db/password is version 2, active, owned by us"

run "$CRED" --json info app/db/password
is "$RC" 0 "info --json exits 0"
ok "info --json has every documented key" json_has "$OUT" name owner type version versions \
	state labels created updated expires usage quota verify grants \
	usage.reads usage.period_reads usage.last_read usage.last_reader \
	verify.status verify.time verify.message \
	'versions.[0].version' 'versions.[0].created' 'versions.[0].created_by'
is "$(json_get "$OUT" version)" 2 "info --json: version 2"
is "$(json_get "$OUT" name)" app/db/password "info --json: name"
is "$(json_get "$OUT" type)" generic "info --json: type generic"
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print join ",", map { $_->{version} } @{decode_json(<STDIN>)->{versions}}')" \
	"1,2" "info --json lists versions 1 and 2"

run "$CRED" --json get app/missing
is "$RC" 3 "get --json of a missing secret exits 3"
is "$OUT" "" "... and prints nothing on stdout"
ok "... and prints an error object on stderr" json_has "$ERR" error.status error.message
is "$(json_get "$ERR" error.status)" NOT_FOUND "... whose status is NOT_FOUND"

# ---- errors and exit codes ----
run "$CRED" get app/missing
is "$RC" 3 "get of a missing secret exits 3"
is "$OUT" "" "... with nothing on stdout"
like "$ERR" "^cred: get: app/missing: .*not found" "... and 'cred: get: NAME: not found' on stderr"

long=$(printf 'a%.0s' $(seq 256))
for bad in 'a//b' '/a' 'a/' 'a/../b' '..' '' 'a b' 'a$b' "$long"; do
	run "$CRED" get "$bad"
	is "$RC" 2 "get of the bad name '${bad:0:20}' exits 2"
	like "$ERR" "^cred: get: " "... with a 'cred: get: ' message"
done
run "$CRED" get "${long:0:255}"
is "$RC" 3 "a 255-byte name is valid (not found, exit 3)"
printf 'v' >"$TEST_DIR/small"
run "$CRED" put 'a//b' <"$TEST_DIR/small"
is "$RC" 2 "put of a bad name exits 2"
like "$ERR" "^cred: put: " "... with a 'cred: put: ' message"

run "$CRED" frobnicate
is "$RC" 2 "an unknown command exits 2"
like "$ERR" "^cred: .*frobnicate" "... and names it"
run "$CRED" get
is "$RC" 2 "get without a name exits 2"
run "$CRED" get x --no-such-option
is "$RC" 2 "an unknown option exits 2"

run env CRED_SOCK="$TEST_DIR/nothing-here" "$CRED" get app/db/password
is "$RC" 6 "no agent at CRED_SOCK exits 6"
like "$ERR" "^cred: get: " "... with a 'cred: get: ' message"
run "$CRED" -s "$TEST_DIR/nothing-here" status
is "$RC" 6 "no agent at -s SOCK exits 6"
: >"$TEST_DIR/not-a-socket"
run "$CRED" -s "$TEST_DIR/not-a-socket" status
is "$RC" 6 "a plain file at -s SOCK exits 6"
run env CRED_SOCK="$TEST_DIR/nothing-here" "$CRED" -s "$CRED_SOCK" get app/db/password
is "$RC" 0 "-s overrides CRED_SOCK"

# ---- rm ----
run "$CRED" rm app/db/password
is "$RC" 0 "rm exits 0"
run "$CRED" get app/db/password
is "$RC" 3 "get after rm exits 3"
like "$ERR" "^cred: get: app/db/password: .*not found" "... not found"
run "$CRED" info app/db/password
is "$RC" 3 "info after rm exits 3"
run "$CRED" ls
unlike "$OUT" "app/db/password" "ls no longer shows it"
like "$OUT" "other/thing" "ls still shows the others"
run "$CRED" --json ls
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print scalar @{decode_json(<STDIN>)}')" 2 \
	"ls --json lists two secrets"
run "$CRED" rm app/db/password
is "$RC" 3 "rm of a removed secret exits 3"
run "$CRED" rm never/was
is "$RC" 3 "rm of a missing secret exits 3"

# A name can be put again after rm.
printf 'reborn' >"$TEST_DIR/v3"
run "$CRED" put app/db/password <"$TEST_DIR/v3"
is "$RC" 0 "put after rm exits 0"
run "$CRED" get app/db/password
ok "get returns the new value" cmp "$OUT_FILE" "$TEST_DIR/v3"

ok "the agent stops cleanly on SIGTERM" stop_agent
ok "the agent removed its socket" test ! -e "$AGENT_SOCK"

done_testing
