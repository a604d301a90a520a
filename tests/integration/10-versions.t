#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Versions: put on an existing name, rotate (stdin and --generate), get
# --version, rollback, put --cas, --max-versions pruning, info's version list.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
NL=$'\n'
start_agent
uid=$(id -u)
user=$(id -un)
V=$TEST_DIR/vals
mkdir -p "$V"

# A distinct binary-ish value for version TAG: NUL, 0xff, CR/LF, random
# bytes and a trailing newline, so nothing survives a text round trip.
mkval() { # TAG FILE
	{
		printf 'val-%s\000\377\r\n\001' "$1"
		head -c 24 /dev/urandom
		printf '\n'
	} >"$2"
}

# The version numbers listed by `cred --json info REF`, comma-separated.
info_versions() {
	local out
	out=$("$CRED" --json info "$1" 2>/dev/null) || {
		echo "info-failed"
		return
	}
	printf '%s' "$out" | perl -MJSON::PP -e \
		'print join ",", map { $_->{version} } @{decode_json(do { local $/; <STDIN> })->{versions}}'
}

# The current version of REF, from `cred --json info`.
cur_version() {
	local out
	out=$("$CRED" --json info "$1" 2>/dev/null) || {
		echo "info-failed"
		return
	}
	json_get "$out" version
}

# get REF [--version N] and compare with FILE.
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

# A bystander: nothing done to the others may touch it.
mkval bystander "$V/by"
run "$CRED" put keep/bystander <"$V/by"
is "$RC" 0 "put of a bystander secret exits 0"

# ---- put on an existing name adds a version ----
mkval p1 "$V/p1"
mkval p2 "$V/p2"
mkval p3 "$V/p3"
run "$CRED" put ver/put <"$V/p1"
is "$RC" 0 "put of a new name exits 0"
is "$ERR" "ver/put: version 1" "... stderr says 'version 1'"
is "$OUT" "" "... nothing on stdout"
run "$CRED" put ver/put <"$V/p2"
is "$RC" 0 "put on an existing name exits 0"
is "$ERR" "ver/put: added version 2" "... stderr says 'added version 2'"
is "$OUT" "" "... nothing on stdout"
run "$CRED" --json put ver/put <"$V/p3"
is "$RC" 0 "put --json on an existing name exits 0"
is "$(json_get "$OUT" name) $(json_get "$OUT" owner) $(json_get "$OUT" version)" \
	"ver/put $uid 3" "... prints name, owner and version 3"
get_is "$V/p3" "get returns the latest put" ver/put
get_is "$V/p1" "get --version 1 returns the first put" ver/put --version 1
get_is "$V/p2" "get --version 2 returns the second put" ver/put --version 2
get_is "$V/p3" "get --version 3 returns the third put" ver/put --version 3

# ---- five rotations from stdin: every version reads back right ----
mkval r1 "$V/r1"
run "$CRED" put ver/rot <"$V/r1"
is "$RC" 0 "put ver/rot exits 0"
for i in 2 3 4 5 6; do
	mkval "r$i" "$V/r$i"
	run "$CRED" rotate ver/rot <"$V/r$i"
	is "$RC" 0 "rotate #$((i - 1)) from stdin exits 0"
	is "$ERR" "ver/rot: version $i" "... stderr says 'ver/rot: version $i'"
	is "$OUT" "" "... nothing on stdout"
done
for i in 1 2 3 4 5 6; do
	get_is "$V/r$i" "after five rotations, get --version $i returns version $i's bytes" \
		ver/rot --version "$i"
done
get_is "$V/r6" "get without --version returns version 6" ver/rot
is "$(info_versions ver/rot)" "1,2,3,4,5,6" "info lists versions 1 to 6"
is "$(cur_version ver/rot)" 6 "info: the current version is 6"
run "$CRED" get ver/rot --version 7
is "$RC" 3 "get --version 7 (not made yet) exits 3"
like "$ERR" "^cred: get: ver/rot: version 7 not found" "... with 'version 7 not found'"
is "$OUT" "" "... and nothing on stdout"

run "$CRED" rotate ver/absent <"$V/r1"
is "$RC" 3 "rotate of a missing secret exits 3"
run "$CRED" get ver/absent
is "$RC" 3 "... and does not create it"

# --from-file for rotate
mkval rf "$V/rf"
run "$CRED" rotate ver/rot --from-file "$V/rf" </dev/null
is "$RC" 0 "rotate --from-file exits 0"
is "$ERR" "ver/rot: version 7" "... makes version 7"
get_is "$V/rf" "... with the file's bytes" ver/rot

# ---- info: each version with its creation time and creator ----
run "$CRED" info ver/rot
is "$RC" 0 "info exits 0"
rfc='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
for i in 1 2 3 4 5 6 7; do
	like "$OUT" "(^|$NL)(versions:)? +$i +$rfc +by $user($NL|\$)" \
		"info shows version $i with its time and 'by $user'"
done
unlike "$OUT" "val-r" "info never shows a value"
run "$CRED" --json info ver/rot
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e '
	my $d = decode_json(do { local $/; <STDIN> });
	print join " ", map { "$_->{version}:$_->{created_by}" } @{$d->{versions}}')" \
	"1:$uid 2:$uid 3:$uid 4:$uid 5:$uid 6:$uid 7:$uid" "info --json: every version created_by our uid"
created=$(printf '%s' "$OUT" | perl -MJSON::PP -e '
	my $d = decode_json(do { local $/; <STDIN> }); print $d->{versions}[0]{created}')
like "$created" "^$rfc\$" "info --json: a version's created is an RFC 3339 UTC time"
age=$(($(date +%s) - $(date -d "$created" +%s 2>/dev/null || echo 0)))
cmp_ok "$age" -lt 120 "... of a moment ago"
cmp_ok "$age" -gt -5 "... not in the future"

# ---- --max-versions: a sixth version pushes out the first ----
mkval m1 "$V/m1"
run "$CRED" put ver/max --max-versions 5 <"$V/m1"
is "$RC" 0 "put --max-versions 5 exits 0"
for i in 2 3 4 5; do
	mkval "m$i" "$V/m$i"
	run "$CRED" rotate ver/max <"$V/m$i"
	is "$RC" 0 "rotate to version $i (max 5) exits 0"
done
is "$(info_versions ver/max)" "1,2,3,4,5" "five versions, five kept"
get_is "$V/m1" "with five versions, version 1 still reads" ver/max --version 1
mkval m6 "$V/m6"
run "$CRED" rotate ver/max <"$V/m6"
is "$RC" 0 "the sixth version (max 5) exits 0"
is "$ERR" "ver/max: version 6" "... and is version 6"
run "$CRED" get ver/max --version 1
is "$RC" 3 "version 1 is now NOT_FOUND (exit 3)"
is "$OUT" "" "... with nothing on stdout"
for i in 2 3 4 5 6; do
	get_is "$V/m$i" "version $i still reads right after the prune" ver/max --version "$i"
done
get_is "$V/m6" "get returns version 6" ver/max
is "$(info_versions ver/max)" "2,3,4,5,6" "info lists versions 2 to 6"
run "$CRED" --json info ver/max
is "$(json_get "$OUT" max_versions)" 5 "info --json: max_versions is 5"
run "$CRED" info ver/max
like "$OUT" "max versions: +5" "info shows max versions 5"

# The limit stays with the secret: a put without --max-versions keeps it.
mkval m7 "$V/m7"
run "$CRED" put ver/max <"$V/m7"
is "$ERR" "ver/max: added version 7" "a put without --max-versions adds version 7"
is "$(info_versions ver/max)" "3,4,5,6,7" "... still keeping five"
run "$CRED" get ver/max --version 2
is "$RC" 3 "... and version 2 is gone"

# Lowering the limit on an existing secret prunes at once.
mkval m8 "$V/m8"
run "$CRED" put ver/max --max-versions 2 <"$V/m8"
is "$RC" 0 "put --max-versions 2 on the existing secret exits 0"
is "$(info_versions ver/max)" "7,8" "... keeps only versions 7 and 8"
for i in 3 4 5 6; do
	run "$CRED" get ver/max --version "$i"
	is "$RC" 3 "... version $i is NOT_FOUND"
done
get_is "$V/m7" "... version 7 reads right" ver/max --version 7
get_is "$V/m8" "... version 8 reads right" ver/max

# A pruned version cannot be rolled back to.
run "$CRED" rollback ver/max --to 1
is "$RC" 3 "rollback to a pruned version exits 3"
is "$(cur_version ver/max)" 8 "... and adds no version"

# ---- rotate --generate ----
# check_charset NAME CHARSET LENGTH FILE: FILE holds exactly LENGTH chars
# of CHARSET (no newline).
charset_re() {
	case $1 in
	base64url) echo '^[A-Za-z0-9_-]+$' ;;
	hex) echo '^[0-9a-f]+$' ;;
	alnum) echo '^[A-Za-z0-9]+$' ;;
	printable) echo '^[!-~]+$' ;;
	esac
}
run "$CRED" put gen/tok <"$V/p1"
is "$RC" 0 "put gen/tok exits 0"
ver=1
for cs in default base64url hex alnum printable; do
	real=$cs
	[ "$cs" = default ] && real=base64url
	args=(--generate 48)
	[ "$cs" != default ] && args+=(--charset "$cs")
	run "$CRED" rotate gen/tok "${args[@]}" --print </dev/null
	ver=$((ver + 1))
	is "$RC" 0 "rotate --generate 48 ($cs) --print exits 0"
	is "$ERR" "gen/tok: version $ver" "... stderr says version $ver"
	is "$(stat -c %s "$OUT_FILE")" 49 "... prints 48 characters and a newline"
	is "$(tail -c 1 "$OUT_FILE" | od -An -tx1 | tr -d ' ')" "0a" "... the newline last"
	head -c 48 "$OUT_FILE" >"$V/gen1"
	first=$(cat "$V/gen1")
	like "$first" "$(charset_re "$real")" "... all from the $real charset"
	get_is "$V/gen1" "... and cred get returns those 48 characters (no newline)" gen/tok
	run "$CRED" rotate gen/tok "${args[@]}" --print </dev/null
	ver=$((ver + 1))
	is "$RC" 0 "a second rotate --generate ($cs) exits 0"
	second=$(head -c 48 "$OUT_FILE")
	is "${#second}" 48 "... 48 characters again"
	like "$second" "$(charset_re "$real")" "... from the $real charset"
	isnt "$second" "$first" "... and a different value"
done

# Uniform over the whole set: in 4096 characters every symbol shows up
# (missing one has odds of about 1e-25 even for printable).
for cs in base64url hex alnum printable; do
	run "$CRED" rotate gen/tok --generate 4096 --charset "$cs" --print </dev/null
	is "$RC" 0 "rotate --generate 4096 --charset $cs exits 0"
	val=$(head -c 4096 "$OUT_FILE")
	is "${#val}" 4096 "... 4096 characters"
	case $cs in
	base64url) want=64 ;;
	hex) want=16 ;;
	alnum) want=62 ;;
	printable) want=94 ;;
	esac
	like "$val" "$(charset_re "$cs")" "... all from the $cs charset"
	distinct=$(printf '%s' "$val" | fold -w1 | LC_ALL=C sort -u | wc -l)
	is "$distinct" "$want" "... using all $want symbols of $cs"
done

# Without --print the value never leaves the agent, but get has it.
before=$(cur_version gen/tok)
run "$CRED" rotate gen/tok --generate 33 --charset hex </dev/null
is "$RC" 0 "rotate --generate 33 --charset hex (no --print) exits 0"
is "$OUT" "" "... prints nothing on stdout"
is "$(stat -c %s "$OUT_FILE")" 0 "... not a single byte"
is "$ERR" "gen/tok: version $((before + 1))" "... stderr says the new version"
run "$CRED" get gen/tok
is "$RC" 0 "cred get of the unprinted value exits 0"
is "$(stat -c %s "$OUT_FILE")" 33 "... returns 33 bytes"
like "$OUT" '^[0-9a-f]{33}$' "... of lower-case hex"
hidden=$OUT
run "$CRED" rotate gen/tok --generate 33 --charset hex </dev/null
run "$CRED" get gen/tok
isnt "$OUT" "$hidden" "a second unprinted generation differs"
run "$CRED" get gen/tok --version "$((before + 1))"
is "$OUT" "$hidden" "... and the earlier one is still version $((before + 1))"

run "$CRED" --json rotate gen/tok --generate 20 --charset alnum --print </dev/null
is "$RC" 0 "rotate --json --generate --print exits 0"
ok "... prints name, owner, version and value" json_has "$OUT" name owner version value
jval=$(json_get "$OUT" value)
like "$jval" '^[A-Za-z0-9]{20}$' "... value is 20 alnum characters"
run "$CRED" get gen/tok
is "$OUT" "$jval" "... and is what get returns"
run "$CRED" --json rotate gen/tok --generate 20 </dev/null
is "$(json_get "$OUT" value)" null "rotate --json --generate without --print: value is null"

run "$CRED" rotate gen/tok --generate 1 --print </dev/null
is "$(stat -c %s "$OUT_FILE")" 2 "--generate 1 makes one character"
v=$(cur_version gen/tok)
run "$CRED" rotate gen/tok --generate 0 </dev/null
is "$RC" 2 "--generate 0 is a usage error (exit 2)"
run "$CRED" rotate gen/tok --generate 4097 </dev/null
is "$RC" 2 "--generate 4097 is a usage error (exit 2)"
run "$CRED" rotate gen/tok --generate 10 --charset base32 </dev/null
is "$RC" 2 "an unknown --charset is a usage error (exit 2)"
like "$ERR" "^cred: rotate: " "... with a 'cred: rotate:' message"
is "$(cur_version gen/tok)" "$v" "... and the refused rotations add no version"
run "$CRED" rotate gen/absent --generate 10 </dev/null
is "$RC" 3 "rotate --generate of a missing secret exits 3"

# ---- rollback ----
run "$CRED" rollback ver/rot --to 2
is "$RC" 0 "rollback --to 2 exits 0"
is "$ERR" "ver/rot: version 8 (the value of version 2)" "... says 'version 8 (the value of version 2)'"
is "$OUT" "" "... nothing on stdout"
get_is "$V/r2" "get now returns version 2's bytes" ver/rot
get_is "$V/r2" "get --version 8 returns version 2's bytes" ver/rot --version 8
is "$(cur_version ver/rot)" 8 "the current version is 8"
is "$(info_versions ver/rot)" "1,2,3,4,5,6,7,8" "older versions are not removed"
for i in 1 3 4 5 6; do
	get_is "$V/r$i" "version $i still reads right after the rollback" ver/rot --version "$i"
done
get_is "$V/rf" "version 7 still reads right after the rollback" ver/rot --version 7

run "$CRED" --json rollback ver/rot --to 7
is "$RC" 0 "rollback --json --to 7 exits 0"
is "$(json_get "$OUT" version) $(json_get "$OUT" from) $(json_get "$OUT" name)" "9 7 ver/rot" \
	"... prints version 9, from 7"
get_is "$V/rf" "... and get returns version 7's bytes" ver/rot

run "$CRED" rollback ver/rot --to 42
is "$RC" 3 "rollback to a version that never was exits 3"
like "$ERR" "^cred: rollback: ver/rot: " "... with a 'cred: rollback: REF:' message"
is "$(cur_version ver/rot)" 9 "... and adds no version"
run "$CRED" rollback ver/rot
is "$RC" 2 "rollback without --to is a usage error"
run "$CRED" rollback ver/absent --to 1
is "$RC" 3 "rollback of a missing secret exits 3"

# ---- --cas ----
mkval c1 "$V/c1"
mkval c2 "$V/c2"
mkval c3 "$V/c3"
mkval cx "$V/cx"
run "$CRED" put cas/x --cas 0 <"$V/c1"
is "$RC" 0 "put --cas 0 of a new name exits 0"
is "$ERR" "cas/x: version 1" "... and makes version 1"
run "$CRED" put cas/x --cas 0 <"$V/cx"
is "$RC" 7 "put --cas 0 of an existing name exits 7 (CONFLICT)"
like "$ERR" "^cred: put: cas/x: " "... with a 'cred: put: cas/x:' message"
is "$OUT" "" "... nothing on stdout"
get_is "$V/c1" "... the value is unchanged" cas/x
is "$(info_versions cas/x)" "1" "... and no version was added"
run "$CRED" put cas/x --cas 1 <"$V/c2"
is "$RC" 0 "put --cas 1 when the current version is 1 exits 0"
is "$ERR" "cas/x: added version 2" "... adds version 2"
run "$CRED" put cas/x --cas 1 <"$V/cx"
is "$RC" 7 "put --cas 1 (stale: current is 2) exits 7"
like "$ERR" "^cred: put: cas/x: .*2" "... and the message names the current version"
get_is "$V/c2" "... get still returns version 2's value" cas/x
is "$(cur_version cas/x)" 2 "... the current version is still 2"
is "$(info_versions cas/x)" "1,2" "... no version was added"
run "$CRED" put cas/x --cas 5 <"$V/cx"
is "$RC" 7 "put --cas 5 (ahead of the current version) exits 7"
is "$(info_versions cas/x)" "1,2" "... no version was added"
run "$CRED" --json put cas/x --cas 1 <"$V/cx"
is "$RC" 7 "put --json with a stale --cas exits 7"
is "$(json_get "$ERR" error.status)" CONFLICT "... with error.status CONFLICT"
is "$OUT" "" "... nothing on stdout"
run "$CRED" put cas/x --cas 2 <"$V/c3"
is "$RC" 0 "put --cas 2 (current) exits 0"
get_is "$V/c3" "... get returns the new value" cas/x
get_is "$V/c1" "... version 1 is intact" cas/x --version 1
get_is "$V/c2" "... version 2 is intact" cas/x --version 2
run "$CRED" put cas/new --cas 1 <"$V/cx"
is "$RC" 7 "put --cas 1 of a new name exits 7"
run "$CRED" get cas/new
is "$RC" 3 "... and creates nothing"
run "$CRED" put cas/x --cas abc <"$V/cx"
is "$RC" 2 "put --cas abc is a usage error"
is "$(cur_version cas/x)" 3 "... and changes nothing"

# ---- other secrets are untouched ----
get_is "$V/by" "the bystander still reads its value" keep/bystander
is "$(info_versions keep/bystander)" "1" "the bystander still has only version 1"
get_is "$V/p3" "ver/put still returns its latest value" ver/put
get_is "$V/p1" "ver/put version 1 is intact" ver/put --version 1

# ---- and all of it survives a restart ----
ok "the agent stops cleanly" stop_agent
start_agent --dir "$AGENT_DIR"
get_is "$V/r2" "after a restart, ver/rot version 2 reads right" ver/rot --version 2
get_is "$V/rf" "after a restart, ver/rot current is version 7's value" ver/rot
is "$(info_versions ver/max)" "7,8" "after a restart, ver/max keeps versions 7 and 8"
run "$CRED" get ver/max --version 6
is "$RC" 3 "after a restart, a pruned version is still NOT_FOUND"
run "$CRED" --json info ver/max
is "$(json_get "$OUT" max_versions)" 2 "after a restart, max_versions is still 2"
is "$(cur_version cas/x)" 3 "after a restart, cas/x is at version 3"

done_testing
