#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Expiry (put/rotate --expires, EXPIRED, get --allow-expired, ls
# --expiring) and labels (put --label, cred label, ls --label, info).
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
NL=$'\n'
uid=$(id -u)
V=$TEST_DIR/vals
mkdir -p "$V"
rfc='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

mkval() { # TAG FILE
	{
		printf 'val-%s\000\377\r\n\001' "$1"
		head -c 24 /dev/urandom
		printf '\n'
	} >"$2"
}

get_is() { # FILE NAME REF [GET ARGS...]
	local file=$1 name=$2
	shift 2
	run "$CRED" get "$@"
	if [ "$RC" != 0 ]; then
		fail "$name" "    cred get $* exited $RC: $ERR"
		return
	fi
	ok "$name" cmp "$file" "$OUT_FILE"
}

# A field of `cred --json info REF`.
info_field() { # REF PATH
	local out
	out=$("$CRED" --json info "$1" 2>/dev/null) || {
		echo "info-failed"
		return
	}
	json_get "$out" "$2"
}

# Names listed by `cred --json ls ARGS...`, sorted, space-separated.
ls_names() {
	local out
	out=$("$CRED" --json ls "$@" 2>/dev/null) || {
		echo "ls-failed"
		return
	}
	printf '%s' "$out" | perl -MJSON::PP -e \
		'print join " ", sort map { $_->{name} } @{decode_json(do { local $/; <STDIN> })}'
}

# Seconds from now to the RFC 3339 time T.
secs_until() { echo $(($(date -u -d "$1" +%s 2>/dev/null || echo 0) - $(date +%s))); }

# Is the expiry of REF about SECS from now (within 5 s either way)?
expires_in() { # REF SECS NAME
	local e d
	e=$(info_field "$1" expires)
	if ! [[ $e =~ ^$rfc$ ]]; then
		fail "$3" "    expires is '$e', not an RFC 3339 UTC time"
		return
	fi
	d=$(secs_until "$e")
	if [ "$d" -ge $(($2 - 5)) ] && [ "$d" -le $(($2 + 5)) ]; then
		pass "$3"
	else
		fail "$3" "    expires $e is $d s from now, expected about $2"
	fi
}

start_agent
mkval by "$V/by"
"$CRED" put keep/bystander --label env=prod <"$V/by" 2>/dev/null

# ======== expiry ========

# ---- a short duration passes ----
mkval short "$V/short"
run "$CRED" put exp/short --expires 2s <"$V/short"
is "$RC" 0 "put --expires 2s exits 0"
is "$ERR" "exp/short: version 1" "... with no warning"
get_is "$V/short" "before the expiry, get returns the value" exp/short
expires_in exp/short 2 "info --json: expires about 2 s from now"
run "$CRED" ls --expiring 7d
like "$OUT" "(^|$NL)exp/short " "ls --expiring 7d lists it"
sleep 3
run "$CRED" get exp/short
is "$RC" 9 "after the expiry, get exits 9 (EXPIRED)"
is "$OUT" "" "... with nothing on stdout"
like "$ERR" "^cred: get: exp/short: expired at $rfc\$" "... and 'expired at TIME' on stderr"
run "$CRED" --json get exp/short
is "$RC" 9 "get --json of an expired secret exits 9"
is "$(json_get "$ERR" error.status)" EXPIRED "... error.status EXPIRED"
run "$CRED" get exp/short --allow-expired
is "$RC" 0 "get --allow-expired exits 0"
ok "... and returns the exact value" cmp "$V/short" "$OUT_FILE"
like "$ERR" "^cred: get: exp/short: warning: expired at $rfc; read anyway\$" \
	"... with 'warning: expired at TIME; read anyway' on stderr"
run "$CRED" get exp/short --version 1
is "$RC" 9 "get --version 1 of an expired secret exits 9 too"
run "$CRED" info exp/short
is "$RC" 0 "info of an expired secret exits 0"
like "$OUT" "(^|$NL)expires: +$rfc \\(expired\\)($NL|\$)" "info marks the expiry (expired)"
run "$CRED" ls exp/
like "$OUT" "(^|$NL)exp/short " "ls still lists an expired secret"

# ---- a past RFC 3339 time is accepted with a warning ----
mkval past "$V/past"
run "$CRED" put exp/past --expires 2020-01-01T00:00:00Z <"$V/past"
is "$RC" 0 "put --expires with a past RFC 3339 time exits 0"
like "$ERR" "^cred: put: exp/past: warning: expiry is in the past$NL" "... with the warning on stderr"
like "$ERR" "(^|$NL)exp/past: version 1\$" "... and still stores version 1"
is "$OUT" "" "... nothing on stdout"
run "$CRED" get exp/past
is "$RC" 9 "get of it exits 9 at once"
get_is "$V/past" "get --allow-expired returns it" exp/past --allow-expired
is "$(info_field exp/past expires)" "2020-01-01T00:00:00Z" "info --json: expires 2020-01-01T00:00:00Z"

# ---- RFC 3339 with an offset, and every duration unit ----
mkval fut "$V/fut"
run "$CRED" put exp/offset --expires 2099-06-01T12:00:00+02:00 <"$V/fut"
is "$RC" 0 "put --expires with a +02:00 offset exits 0"
is "$(info_field exp/offset expires)" "2099-06-01T10:00:00Z" "... stored as 2099-06-01T10:00:00Z"
run "$CRED" put exp/neg --expires 2099-06-01T12:00:00-05:30 <"$V/fut"
is "$(info_field exp/neg expires)" "2099-06-01T17:30:00Z" "a -05:30 offset: 2099-06-01T17:30:00Z"
run "$CRED" put exp/utc --expires 2099-01-01T00:00:00Z <"$V/fut"
is "$(info_field exp/utc expires)" "2099-01-01T00:00:00Z" "a Z time is stored as given"
get_is "$V/fut" "a secret expiring in 2099 reads" exp/utc
for d in 90:90 45s:45 5m:300 2h:7200 3d:259200 1w:604800; do
	arg=${d%%:*} secs=${d#*:}
	run "$CRED" put "exp/dur-$arg" --expires "$arg" <"$V/fut"
	is "$RC" 0 "put --expires $arg exits 0"
	expires_in "exp/dur-$arg" "$secs" "... expires $secs s from now"
done
for bad in tomorrow 5x -5 2030-02-30T00:00:00Z 2030-01-01 ''; do
	run "$CRED" put exp/bad --expires "$bad" <"$V/fut"
	is "$RC" 2 "put --expires '$bad' is a usage error (exit 2)"
	like "$ERR" "^cred: put: " "... with a 'cred: put:' message"
done
run "$CRED" get exp/bad
is "$RC" 3 "... and nothing was stored"

# ---- rotate --expires ----
mkval rot1 "$V/rot1"
mkval rot2 "$V/rot2"
run "$CRED" put exp/rot --expires 1s <"$V/rot1"
sleep 2
run "$CRED" get exp/rot
is "$RC" 9 "exp/rot has expired"
run "$CRED" rotate exp/rot --expires 1d <"$V/rot2"
is "$RC" 0 "rotate --expires 1d exits 0"
is "$ERR" "exp/rot: version 2" "... makes version 2"
expires_in exp/rot 86400 "... and sets the expiry a day ahead"
get_is "$V/rot2" "after the rotation, get works again" exp/rot
run "$CRED" rotate exp/rot --generate 16 --expires 2099-03-04T05:06:07Z </dev/null
is "$RC" 0 "rotate --generate --expires RFC 3339 exits 0"
is "$(info_field exp/rot expires)" "2099-03-04T05:06:07Z" "... sets that expiry"
run "$CRED" rotate exp/rot --expires 2020-01-01T00:00:00Z <"$V/rot1"
is "$RC" 0 "rotate with a past --expires exits 0"
like "$ERR" "^cred: rotate: exp/rot: warning: expiry is in the past$NL" "... with a warning on stderr"
run "$CRED" get exp/rot
is "$RC" 9 "... and the secret is expired"
run "$CRED" rotate exp/rot --expires junk <"$V/rot1"
is "$RC" 2 "rotate --expires junk is a usage error"
is "$(info_field exp/rot version)" 4 "... and adds no version"

# ---- ls --expiring ----
for n in soon later never; do mkval "ls-$n" "$V/ls-$n"; done
run "$CRED" put lx/soon --expires 3d <"$V/ls-soon"
run "$CRED" put lx/later --expires 30d <"$V/ls-later"
run "$CRED" put lx/never <"$V/ls-never"
run "$CRED" put lx/past --expires 2021-05-05T00:00:00Z <"$V/ls-never"
run "$CRED" ls lx/ --expiring 7d
is "$RC" 0 "ls --expiring 7d exits 0"
like "$OUT" "^NAME +TYPE +VERSION +STATE +UPDATED +EXPIRES$NL" "... with an EXPIRES column"
like "$OUT" "(^|$NL)lx/soon .* $rfc($NL|\$)" "... lists the one expiring in 3 days, with its expiry"
like "$OUT" "(^|$NL)lx/past .* 2021-05-05T00:00:00Z($NL|\$)" "... and the one already expired"
unlike "$OUT" "lx/later" "... not the one expiring in 30 days"
unlike "$OUT" "lx/never" "... nor the one that never expires"
is "$(ls_names lx/ --expiring 7d)" "lx/past lx/soon" "ls --json --expiring 7d: lx/past and lx/soon"
is "$(ls_names --expiring 7d)" \
	"exp/dur-1w exp/dur-2h exp/dur-3d exp/dur-45s exp/dur-5m exp/dur-90 exp/past exp/rot exp/short lx/past lx/soon" \
	"ls --expiring 7d over every secret: exactly those expiring within 7 days"
in60=$(date -u -d '@'$(($(date +%s) + 60 * 86400)) +%Y-%m-%dT%H:%M:%SZ)
is "$(ls_names lx/ --expiring "$in60")" "lx/later lx/past lx/soon" "ls --expiring RFC 3339 (60 days ahead) adds lx/later"
run "$CRED" ls lx/ --expiring 1h
like "$OUT" "lx/past" "ls --expiring 1h lists the expired one"
unlike "$OUT" "lx/soon" "... but not the one 3 days away"
run "$CRED" ls lx/never --expiring 7d
is "$RC" 0 "ls --expiring with no match exits 0"
is "$OUT" "" "... and prints nothing, not even the header"
run "$CRED" ls --expiring junk
is "$RC" 2 "ls --expiring junk is a usage error"
run "$CRED" --json ls lx/soon
like "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print decode_json(<STDIN>)->[0]{expires} // "null"')" "^$rfc\$" \
	"ls --json: expires is an RFC 3339 time"
run "$CRED" --json ls lx/never
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print decode_json(<STDIN>)->[0]{expires} // "null"')" null \
	"ls --json: expires null when unset"
is "$(info_field lx/never expires)" null "info --json: expires null when unset"
run "$CRED" info lx/never
like "$OUT" "(^|$NL)expires: +never($NL|\$)" "info shows expires never"

# ======== labels ========
mkval l1 "$V/l1"
run "$CRED" put lab/api --label env=prod --label team=core --label tier=1 <"$V/l1"
is "$RC" 0 "put with three --label exits 0"
run "$CRED" put lab/web --label env=prod --label team=web <"$V/l1"
run "$CRED" put lab/dev --label env=dev --label team=core <"$V/l1"
run "$CRED" put lab/none <"$V/l1"
run "$CRED" --json info lab/api
is "$(json_get "$OUT" labels)" '{"env":"prod","team":"core","tier":"1"}' "info --json: labels object"
run "$CRED" info lab/api
like "$OUT" "(^|$NL)labels: +.*env=prod" "info shows env=prod"
like "$OUT" "(^|$NL)labels: +.*team=core" "info shows team=core"
like "$OUT" "(^|$NL)labels: +.*tier=1" "info shows tier=1"
is "$(info_field lab/none labels)" '{}' "info --json: no labels is {}"

is "$(ls_names lab/ --label env=prod)" "lab/api lab/web" "ls --label env=prod"
is "$(ls_names lab/ --label team=core)" "lab/api lab/dev" "ls --label team=core"
is "$(ls_names lab/ --label env=prod --label team=core)" "lab/api" "two --label must both match"
is "$(ls_names lab/ --label env=dev --label team=web)" "" "two --label matching different secrets: none"
is "$(ls_names --label env=prod)" "keep/bystander lab/api lab/web" "ls --label env=prod without a prefix"
is "$(ls_names lab/ --label env=Prod)" "" "label values are matched exactly"
run "$CRED" ls lab/ --label env=prod
like "$OUT" "^NAME " "ls --label prints a header"
like "$OUT" "(^|$NL)lab/api " "... lab/api"
unlike "$OUT" "lab/dev|lab/none" "... not lab/dev or lab/none"
run "$CRED" ls lab/ --label env=staging
is "$RC" 0 "ls --label with no match exits 0"
is "$OUT" "" "... and prints nothing"
run "$CRED" --json ls lab/web
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print JSON::PP->new->canonical->encode(decode_json(<STDIN>)->[0]{labels})')" \
	'{"env":"prod","team":"web"}' "ls --json: labels object"

# cred label: set, replace, remove
run "$CRED" label lab/none owner=alice
is "$RC" 0 "label REF K=V exits 0"
is "$ERR" "lab/none: labels updated" "... says 'labels updated'"
is "$OUT" "" "... nothing on stdout"
is "$(info_field lab/none labels)" '{"owner":"alice"}' "... and sets the label"
run "$CRED" label lab/api env=staging extra=x.y-z_0
is "$RC" 0 "label with two K=V exits 0"
is "$(info_field lab/api labels)" '{"env":"staging","extra":"x.y-z_0","team":"core","tier":"1"}' \
	"... replaces env and adds extra"
is "$(ls_names lab/ --label env=prod)" "lab/web" "ls --label env=prod no longer lists lab/api"
is "$(ls_names lab/ --label env=staging)" "lab/api" "ls --label env=staging lists it"
run "$CRED" label lab/api --rm tier
is "$RC" 0 "label --rm K exits 0"
is "$(info_field lab/api labels)" '{"env":"staging","extra":"x.y-z_0","team":"core"}' "... removes tier"
is "$(ls_names lab/ --label tier=1)" "" "ls --label tier=1 finds nothing now"
run "$CRED" --json label lab/api --rm extra team=platform
is "$RC" 0 "label with K=V and --rm at once exits 0"
is "$(json_get "$OUT" name) $(json_get "$OUT" owner)" "lab/api $uid" "label --json: name and owner"
is "$(json_get "$OUT" set)" '{"team":"platform"}' "label --json: set"
is "$(json_get "$OUT" removed)" '["extra"]' "label --json: removed"
is "$(info_field lab/api labels)" '{"env":"staging","team":"platform"}' "... both applied"
run "$CRED" label lab/api 'note=hello world!'
is "$RC" 0 "a label value with a space and punctuation exits 0"
is "$(info_field lab/api labels)" '{"env":"staging","note":"hello world!","team":"platform"}' \
	"... and is kept exactly"
is "$(ls_names lab/ --label 'note=hello world!')" "lab/api" "ls --label matches it"
run "$CRED" label lab/api
is "$RC" 2 "label without K=V or --rm is a usage error"
for bad in 'bad key=v' '=v' 'novalue' "k=$(printf 'a\tb')" "$(printf 'k%.0s' $(seq 64))=v"; do
	run "$CRED" label lab/api "$bad"
	is "$RC" 2 "label '$(printf '%s' "$bad" | cat -v | cut -c1-20)' is a usage error"
done
is "$(info_field lab/api labels)" '{"env":"staging","note":"hello world!","team":"platform"}' \
	"... and the refused labels changed nothing"
run "$CRED" label lab/missing k=v
is "$RC" 3 "label of a missing secret exits 3"
run "$CRED" put lab/bad --label 'a b=c' <"$V/l1"
is "$RC" 2 "put --label with a bad key is a usage error"
run "$CRED" get lab/bad
is "$RC" 3 "... and stores nothing"

# Labels stay over rotations and with disable; expiry and labels in one.
mkval l2 "$V/l2"
run "$CRED" rotate lab/api <"$V/l2"
is "$(info_field lab/api labels)" '{"env":"staging","note":"hello world!","team":"platform"}' \
	"labels survive a rotation"
run "$CRED" put lab/both --label env=prod --expires 3d <"$V/l1"
is "$(ls_names --label env=prod --expiring 7d)" "lab/both" "ls --label with --expiring: both must match"
run "$CRED" info lab/both
like "$OUT" "(^|$NL)state: +active" "info shows state"
like "$OUT" "(^|$NL)expires: +$rfc($NL|\$)" "info shows the expiry"
like "$OUT" "(^|$NL)labels: +env=prod($NL|\$)" "info shows the label"
like "$OUT" "(^|$NL)versions: +1 +$rfc +by " "info shows version 1 with its time and creator"

# ---- others unaffected; and all of it persists ----
get_is "$V/by" "the bystander reads its value" keep/bystander
is "$(info_field keep/bystander expires)" null "the bystander has no expiry"
ok "the agent stops cleanly" stop_agent
start_agent --dir "$AGENT_DIR"
is "$(info_field lab/api labels)" '{"env":"staging","note":"hello world!","team":"platform"}' \
	"after a restart, labels are kept"
is "$(ls_names lab/ --label env=prod)" "lab/both lab/web" "after a restart, ls --label still filters"
is "$(info_field exp/offset expires)" "2099-06-01T10:00:00Z" "after a restart, the expiry is kept"
run "$CRED" get exp/past
is "$RC" 9 "after a restart, an expired secret still answers EXPIRED"

done_testing
