#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lifecycle: disable/enable, rm (soft delete), ls --deleted, undelete,
# purge (whole secret and one version), across a restart, and the
# retention sweep with a shortened --retention.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
NL=$'\n'
uid=$(id -u)
V=$TEST_DIR/vals
mkdir -p "$V"

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

info_versions() {
	local out
	out=$("$CRED" --json info "$1" 2>/dev/null) || {
		echo "info-failed"
		return
	}
	printf '%s' "$out" | perl -MJSON::PP -e \
		'print join ",", map { $_->{version} } @{decode_json(do { local $/; <STDIN> })->{versions}}'
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

# Is NAME a row of the table in TEXT (its first column)?
has_row() { # TEXT NAME
	[[ $NL$1$NL =~ $NL$2\  ]]
}
lacks_row() { ! has_row "$@"; }

# put NAME with two versions: FILE.1 then FILE.2.
put2() { # NAME TAG
	mkval "$2.1" "$V/$2.1"
	mkval "$2.2" "$V/$2.2"
	"$CRED" put "$1" <"$V/$2.1" 2>/dev/null && "$CRED" put "$1" <"$V/$2.2" 2>/dev/null
}

start_agent

ok "put two versions of lc/dis" put2 lc/dis dis
ok "put two versions of lc/rm" put2 lc/rm rm
ok "put two versions of lc/purge" put2 lc/purge purge
ok "put two versions of lc/purgedel" put2 lc/purgedel purgedel
ok "put two versions of lc/keepdel" put2 lc/keepdel keepdel
ok "put two versions of lc/other" put2 lc/other other
mkval pv1 "$V/pv.1"
mkval pv2 "$V/pv.2"
mkval pv3 "$V/pv.3"
mkval pv4 "$V/pv.4"
for i in 1 2 3 4; do "$CRED" put lc/pv <"$V/pv.$i" 2>/dev/null; done
is "$(info_versions lc/pv)" "1,2,3,4" "lc/pv has versions 1 to 4"

# ---- disable / enable ----
run "$CRED" disable lc/dis
is "$RC" 0 "disable exits 0"
is "$ERR" "lc/dis: disabled" "... says 'lc/dis: disabled'"
is "$OUT" "" "... nothing on stdout"
run "$CRED" get lc/dis
is "$RC" 10 "get of a disabled secret exits 10 (DISABLED)"
is "$OUT" "" "... prints no value"
like "$ERR" "^cred: get: lc/dis: .*disabled" "... says disabled"
run "$CRED" get lc/dis --version 1
is "$RC" 10 "get --version 1 of a disabled secret exits 10 too"
is "$OUT" "" "... prints no value"
run "$CRED" --json get lc/dis
is "$(json_get "$ERR" error.status)" DISABLED "get --json: error.status DISABLED"
run "$CRED" info lc/dis
is "$RC" 0 "info of a disabled secret still works"
like "$OUT" "(^|$NL)state: +disabled($NL|\$)" "... and shows state disabled"
run "$CRED" --json info lc/dis
is "$(json_get "$OUT" state)" disabled "info --json: state disabled"
is "$(json_get "$OUT" version)" 2 "info --json: still version 2"
run "$CRED" ls lc/
ok "ls still lists the disabled secret" has_row "$OUT" lc/dis
like "$OUT" "(^|$NL)lc/dis +generic +2 +disabled " "... with STATE disabled"
run "$CRED" --json ls lc/dis
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print decode_json(<STDIN>)->[0]{state}')" disabled \
	"ls --json: state disabled"
get_is "$V/other.2" "another secret still reads while one is disabled" lc/other
run "$CRED" disable lc/dis
note "disable of a disabled secret: exit $RC, $ERR"
run "$CRED" --json enable lc/dis
is "$RC" 0 "enable --json exits 0"
is "$(json_get "$OUT" name) $(json_get "$OUT" owner) $(json_get "$OUT" state)" "lc/dis $uid active" \
	"... prints name, owner and state active"
get_is "$V/dis.2" "after enable, get returns the value again" lc/dis
get_is "$V/dis.1" "... and version 1 too" lc/dis --version 1
run "$CRED" info lc/dis
like "$OUT" "(^|$NL)state: +active($NL|\$)" "info shows state active again"
run "$CRED" --json disable lc/dis
is "$(json_get "$OUT" state)" disabled "disable --json: state disabled"
run "$CRED" enable lc/dis
is "$ERR" "lc/dis: enabled" "enable says 'lc/dis: enabled'"
run "$CRED" disable lc/missing
is "$RC" 3 "disable of a missing secret exits 3"
run "$CRED" enable lc/missing
is "$RC" 3 "enable of a missing secret exits 3"

# ---- rm / ls --deleted / undelete ----
run "$CRED" rm lc/rm
is "$RC" 0 "rm exits 0"
is "$ERR" "lc/rm: deleted" "... says 'lc/rm: deleted'"
run "$CRED" get lc/rm
is "$RC" 3 "get of a soft-deleted secret exits 3"
is "$OUT" "" "... prints no value"
run "$CRED" get lc/rm --version 1
is "$RC" 3 "get --version 1 of a soft-deleted secret exits 3"
run "$CRED" ls lc/
is "$RC" 0 "ls exits 0"
ok "ls no longer shows lc/rm" lacks_row "$OUT" lc/rm
ok "ls still shows lc/other" has_row "$OUT" lc/other
run "$CRED" ls --deleted
is "$RC" 0 "ls --deleted exits 0"
ok "ls --deleted shows lc/rm" has_row "$OUT" lc/rm
like "$OUT" "^NAME .*DELETED" "... with a DELETED column"
like "$OUT" "(^|$NL)lc/rm .*deleted .*[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z" "... state deleted and a deletion time"
ok "ls --deleted does not show live secrets" lacks_row "$OUT" lc/other
is "$(ls_names --deleted)" "lc/rm" "ls --json --deleted lists only lc/rm"
run "$CRED" --json ls --deleted
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'my $e = decode_json(<STDIN>)->[0]; print defined $e->{deleted} ? "set" : "null"')" \
	set "ls --json --deleted: deleted time is set"
run "$CRED" undelete lc/rm
is "$RC" 0 "undelete exits 0"
is "$ERR" "lc/rm: restored" "... says 'lc/rm: restored'"
get_is "$V/rm.2" "after undelete, get returns the value" lc/rm
get_is "$V/rm.1" "... and version 1 is intact" lc/rm --version 1
is "$(info_versions lc/rm)" "1,2" "... both versions are back"
run "$CRED" --json info lc/rm
is "$(json_get "$OUT" state)" active "... state active"
is "$(ls_names lc/rm)" "lc/rm" "ls shows lc/rm again"
is "$(ls_names --deleted)" "" "ls --deleted is empty again"
run "$CRED" undelete lc/never
is "$RC" 3 "undelete of a name that never was exits 3"

run "$CRED" --json rm lc/rm
is "$RC" 0 "rm --json exits 0"
is "$(json_get "$OUT" name) $(json_get "$OUT" state)" "lc/rm deleted" "... prints state deleted"
run "$CRED" rm lc/rm
is "$RC" 3 "rm of a soft-deleted secret exits 3"
run "$CRED" --json undelete lc/rm
is "$(json_get "$OUT" state)" active "undelete --json prints state active"

# ---- purge a whole secret (active, and soft-deleted) ----
run "$CRED" purge lc/purge
is "$RC" 0 "purge of an active secret exits 0"
is "$ERR" "lc/purge: purged" "... says 'lc/purge: purged'"
run "$CRED" get lc/purge
is "$RC" 3 "get after purge exits 3"
run "$CRED" get lc/purge --version 1
is "$RC" 3 "get --version 1 after purge exits 3"
run "$CRED" info lc/purge
is "$RC" 3 "info after purge exits 3"
run "$CRED" rm lc/purgedel
is "$RC" 0 "rm lc/purgedel exits 0"
run "$CRED" rm lc/keepdel
is "$RC" 0 "rm lc/keepdel exits 0"
run "$CRED" --json purge lc/purgedel
is "$RC" 0 "purge of a soft-deleted secret exits 0"
is "$(json_get "$OUT" name) $(json_get "$OUT" version)" "lc/purgedel null" "... --json: version null"
is "$(ls_names --deleted)" "lc/keepdel" "ls --deleted shows lc/keepdel, not the purged ones"
run "$CRED" undelete lc/purge
is "$RC" 3 "undelete of a purged secret exits 3"
run "$CRED" undelete lc/purgedel
is "$RC" 3 "undelete of a purged soft-deleted secret exits 3"
run "$CRED" purge lc/purge
is "$RC" 3 "purge of a purged secret exits 3"
run "$CRED" purge lc/never
is "$RC" 3 "purge of a missing secret exits 3"

# ---- purge one version ----
run "$CRED" purge lc/pv --version 2
is "$RC" 0 "purge --version 2 exits 0"
is "$ERR" "lc/pv: version 2 purged" "... says 'lc/pv: version 2 purged'"
run "$CRED" get lc/pv --version 2
is "$RC" 3 "get --version 2 after its purge exits 3"
is "$OUT" "" "... with nothing on stdout"
get_is "$V/pv.1" "version 1 still reads right" lc/pv --version 1
get_is "$V/pv.3" "version 3 still reads right" lc/pv --version 3
get_is "$V/pv.4" "version 4 (current) still reads right" lc/pv
is "$(info_versions lc/pv)" "1,3,4" "info lists versions 1, 3 and 4"
run "$CRED" --json purge lc/pv --version 1
is "$RC" 0 "purge --json --version 1 exits 0"
is "$(json_get "$OUT" version)" 1 "... prints version 1"
run "$CRED" get lc/pv --version 1
is "$RC" 3 "... and version 1 is gone"
run "$CRED" purge lc/pv --version 4
is "$RC" 7 "purge of the current version is refused with exit 7"
like "$ERR" "^cred: purge: lc/pv: " "... with a 'cred: purge: lc/pv:' message"
get_is "$V/pv.4" "... and the current value is unchanged" lc/pv
get_is "$V/pv.3" "... and version 3 is unchanged" lc/pv --version 3
is "$(info_versions lc/pv)" "3,4" "... versions 3 and 4 remain"
run "$CRED" --json info lc/pv
is "$(json_get "$OUT" version)" 4 "... the current version is still 4"
run "$CRED" purge lc/pv --version 2
is "$RC" 3 "purge of an already purged version exits 3"
run "$CRED" purge lc/pv --version 9
is "$RC" 3 "purge of a version that never was exits 3"
run "$CRED" rollback lc/pv --to 2
is "$RC" 3 "rollback to a purged version exits 3"

# ---- everything else is as it was ----
get_is "$V/other.2" "lc/other is unaffected" lc/other
get_is "$V/other.1" "lc/other version 1 is unaffected" lc/other --version 1
get_is "$V/dis.2" "lc/dis is unaffected" lc/dis
is "$(ls_names lc/)" "lc/dis lc/other lc/pv lc/rm" "ls lists exactly the live secrets"

# ---- across a restart ----
ok "the agent stops cleanly" stop_agent
start_agent --dir "$AGENT_DIR"
run "$CRED" get lc/purge
is "$RC" 3 "after a restart, the purged secret's get exits 3"
run "$CRED" get lc/purgedel
is "$RC" 3 "after a restart, the purged soft-deleted secret's get exits 3"
is "$(ls_names --deleted)" "lc/keepdel" "after a restart, ls --deleted shows only lc/keepdel"
run "$CRED" undelete lc/purge
is "$RC" 3 "after a restart, undelete of the purged secret exits 3"
run "$CRED" undelete lc/purgedel
is "$RC" 3 "after a restart, undelete of the purged soft-deleted secret exits 3"
run "$CRED" get lc/pv --version 2
is "$RC" 3 "after a restart, a purged version is still gone"
is "$(info_versions lc/pv)" "3,4" "after a restart, lc/pv keeps versions 3 and 4"
get_is "$V/pv.3" "after a restart, lc/pv version 3 reads right" lc/pv --version 3
get_is "$V/other.2" "after a restart, lc/other reads right" lc/other
run "$CRED" get lc/keepdel
is "$RC" 3 "after a restart, a soft-deleted secret is still deleted"
run "$CRED" undelete lc/keepdel
is "$RC" 0 "after a restart, a soft-deleted secret can be undeleted"
get_is "$V/keepdel.2" "... with its value" lc/keepdel
get_is "$V/keepdel.1" "... and its first version" lc/keepdel --version 1
# A disabled secret stays disabled over a restart.
run "$CRED" disable lc/dis
ok "the agent stops cleanly again" stop_agent
start_agent --dir "$AGENT_DIR"
run "$CRED" get lc/dis
is "$RC" 10 "after a restart, a disabled secret is still disabled (exit 10)"
run "$CRED" enable lc/dis
get_is "$V/dis.2" "... and enable brings it back" lc/dis
ok "the agent stops cleanly once more" stop_agent

# ---- the retention sweep ----
start_agent --retention 2s
for n in old kept live; do
	mkval "ret-$n" "$V/ret.$n"
	run "$CRED" put "ret/$n" <"$V/ret.$n"
done
t0=$SECONDS
run "$CRED" rm ret/old
is "$RC" 0 "rm ret/old (retention 2s) exits 0"
run "$CRED" rm ret/kept
run "$CRED" undelete ret/kept
is "$RC" 0 "ret/kept deleted and undeleted at once"
is "$(ls_names --deleted)" "ret/old" "right after rm, ls --deleted shows ret/old"
gone() { [ "$(ls_names --deleted)" = "" ]; }
# Purged 2 s after the rm, by a sweep running at least every second: wait
# about 4 s, at most 8 (times the sanitizer factor).
sleep 3.5
wait_for 8 gone
is "$(ls_names --deleted)" "" "after the retention time, ls --deleted no longer shows ret/old"
note "swept within about $((SECONDS - t0)) s of the rm"
run "$CRED" undelete ret/old
is "$RC" 3 "undelete after the retention time exits 3"
run "$CRED" get ret/old
is "$RC" 3 "get of the swept secret exits 3"
get_is "$V/ret.kept" "the secret undeleted in time survives" ret/kept
get_is "$V/ret.live" "the secret never deleted survives" ret/live
like "$(cat "$AGENT_LOG")" "retention: purged 1 " "the agent logs the sweep"
ok "the retention agent stops cleanly" stop_agent
start_agent --dir "$AGENT_DIR" --retention 2s
run "$CRED" undelete ret/old
is "$RC" 3 "after a restart the swept secret is still gone"
get_is "$V/ret.kept" "after a restart ret/kept still reads" ret/kept

done_testing
