#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred export and cred import: the bundle file (0600, created new, no value
# in clear), what it holds (live secrets with every kept version, type,
# labels, expiry, max-versions, state, version times, quota; not deleted
# ones; --prefix, --current-only), an import into a fresh agent that
# reproduces everything byte for byte, all-or-nothing conflicts (skipped
# identical values, exit 7, --overwrite, --dry-run, soft-deleted names),
# wrong passphrases, damaged and foreign files, a locked agent, and gets
# served while a slow export runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"

export LC_ALL=C
V=$TEST_DIR/vals
X=$TEST_DIR/bundles
mkdir -p "$V" "$X"
PASS='export bundle passphrase'

# Does FILE contain the bytes of NEEDLE-FILE?
contains_file() { # FILE NEEDLE-FILE
	perl -e 'local $/; open(my $h, "<", $ARGV[0]) or exit 2; my $hay = <$h>;
		open(my $n, "<", $ARGV[1]) or exit 2; my $needle = <$n>;
		exit(index($hay, $needle) >= 0 ? 0 : 1)' "$1" "$2"
}
lacks_file() { ! contains_file "$@"; }

# The names of a --json ls on the current agent, sorted.
names_of() {
	local out
	out=$("$CRED" --json ls "$@" 2>/dev/null) || {
		echo "ls-failed"
		return
	}
	printf '%s' "$out" | perl -MJSON::PP -e \
		'print join " ", sort map { $_->{name} } @{decode_json(do { local $/; <STDIN> })}'
}

# What an import must reproduce of a secret's info --json, one line.
info_digest() { # NAME
	local out
	out=$("$CRED" --json info "$1" 2>/dev/null) || {
		echo "info-failed"
		return
	}
	printf '%s' "$out" | perl -MJSON::PP -e '
my $d = decode_json(do { local $/; <STDIN> });
my $s = sub { my $v = shift; defined $v ? (ref $v ? JSON::PP->new->canonical->encode($v) : "$v") : "null" };
print join " | ", "type=" . $s->($d->{type}), "version=" . $s->($d->{version}),
    "state=" . $s->($d->{state}), "labels=" . $s->($d->{labels}),
    "expires=" . $s->($d->{expires}), "quota=" . $s->($d->{quota}),
    "versions=" . join(",", map { "$_->{version}\@" . $s->($_->{created}) } @{ $d->{versions} || [] });'
}

# The byte offsets of a bundle's chunks: "OFFSET LENGTH" per chunk (the
# 72-byte header first, then u32 length-prefixed chunks).
chunks_of() { # FILE
	perl -e 'local $/; open(my $h, "<", $ARGV[0]) or exit 2; my $b = <$h>;
		my $o = 72;
		while ($o + 4 <= length $b) { my $n = unpack("N", substr($b, $o, 4));
			print "$o ", 4 + $n, "\n"; $o += 4 + $n; }' "$1"
}

# A copy of FILE with the byte at OFFSET xored with 0x01.
flip_copy() { # FILE OFFSET OUT
	perl -e 'local $/; open(my $h, "<", $ARGV[0]) or exit 2; my $b = <$h>;
		substr($b, $ARGV[1], 1) = chr(ord(substr($b, $ARGV[1], 1)) ^ 1);
		open(my $o, ">", $ARGV[2]) or exit 2; print $o $b' "$1" "$2" "$3"
}

src_sock=
dst_sock=
at_src() { export CRED_SOCK=$src_sock; }
at_dst() { export CRED_SOCK=$dst_sock; }

# ---- the source store ----
start_agent --kdf min
src_sock=$AGENT_SOCK
src_log=$AGENT_LOG
src_pid=$AGENT_PID
printf 'ex-a %s\n' "$(random_token 24)" >"$V/a"                       # a trailing newline
printf 'ex-bin\000\001\377\000%s\000' "$(random_token 24)" >"$V/bin"  # NUL bytes
head -c 49152 /dev/urandom | base64 -w0 >"$V/big"                     # 64 KiB of text
printf 'ex-m1 %s' "$(random_token 24)" >"$V/m1"
printf 'ex-m2 %s' "$(random_token 24)" >"$V/m2"
printf 'ex-m3\n%s\n' "$(random_token 24)" >"$V/m3"
printf 'ex-lab1 %s' "$(random_token 24)" >"$V/lab1"
printf 'ex-lab2 %s' "$(random_token 24)" >"$V/lab2"
printf 'ex-dis %s' "$(random_token 24)" >"$V/dis"
printf 'ex-del %s' "$(random_token 24)" >"$V/del"
printf 'ex-quota %s' "$(random_token 24)" >"$V/quota"
printf 'ex-other %s' "$(random_token 24)" >"$V/other"
printf 'ex-new %s' "$(random_token 24)" >"$V/new"
printf 'ex-dst %s' "$(random_token 24)" >"$V/dst"
{
	"$CRED" put x/a --from-file "$V/a" &&
		"$CRED" put x/bin --from-file "$V/bin" &&
		"$CRED" put x/big --from-file "$V/big" &&
		"$CRED" put x/multi --from-file "$V/m1" &&
		sleep 1.1 &&
		"$CRED" put x/multi --from-file "$V/m2" &&
		"$CRED" put x/multi --from-file "$V/m3" &&
		"$CRED" put x/lab --label env=prod --label team=core --expires 2099-01-02T03:04:05Z \
			--max-versions 2 --from-file "$V/lab1" &&
		"$CRED" put x/lab --from-file "$V/lab2" &&
		"$CRED" put x/dis --from-file "$V/dis" &&
		"$CRED" disable x/dis &&
		"$CRED" put x/del --from-file "$V/del" &&
		"$CRED" rm x/del &&
		"$CRED" put x/quota --quota 5/day --from-file "$V/quota" &&
		"$CRED" put other/o --from-file "$V/other"
} >/dev/null 2>"$TEST_DIR/setup.err" || bail "the source secrets are stored" "$(cat "$TEST_DIR/setup.err")"
VALUES="a bin big m1 m2 m3 lab1 lab2 dis del quota other"
LIVE="other/o x/a x/big x/bin x/dis x/lab x/multi x/quota"
is "$(names_of)" "$LIVE" "the source lists the 8 live secrets"

# ---- export ----
cred_pass "$PASS" export "$X/all.bundle"
is "$RC" 0 "export exits 0"
is "$OUT" "exported 8 secrets to $X/all.bundle" "... printing 'exported 8 secrets to FILE'"
is "$(mode_of "$X/all.bundle")" 600 "the bundle is 0600"
size=$(stat -c %s "$X/all.bundle" 2>/dev/null || echo 0)
cmp_ok "$size" -gt 65536 "... and holds the 64 KiB value sealed ($size bytes)"
is "$(head -c 8 "$X/all.bundle")" CREDBNDL "... and starts with the bundle magic"
for f in $VALUES; do
	ok "the bundle does not hold the value $f in clear" lacks_file "$X/all.bundle" "$V/$f"
done
head -c 40 "$V/big" >"$V/big40"
ok "... nor the first 40 bytes of the 64 KiB value" lacks_file "$X/all.bundle" "$V/big40"
ok "... nor the passphrase" test "$(grep -c -F "$PASS" "$X/all.bundle")" = 0

sha=$(sha_of "$X/all.bundle")
cred_pass "$PASS" export "$X/all.bundle"
is "$RC" 1 "export onto an existing file exits 1"
like "$ERR" "exists" "... saying it exists"
is "$(sha_of "$X/all.bundle")" "$sha" "... and leaves the file untouched"
ln -s "$X/elsewhere" "$X/dangling"
cred_pass "$PASS" export "$X/dangling"
isnt "$RC" 0 "export onto a dangling symbolic link fails"
ok "... and creates nothing where it points" test ! -e "$X/elsewhere"
run "$CRED" export </dev/null
is "$RC" 2 "export without FILE exits 2"

cred_pass "$PASS" --json export "$X/json.bundle"
is "$RC" 0 "export --json exits 0"
is "$(json_get "$OUT" secrets) $(json_get "$OUT" file)" "8 $X/json.bundle" \
	"... printing {\"secrets\": 8, \"file\": FILE}"

cred_pass "$PASS" export "$X/prefix.bundle" --prefix x/
is "$RC.$OUT" "0.exported 7 secrets to $X/prefix.bundle" "export --prefix x/ exports the 7 under x/"
cred_pass "$PASS" export "$X/cur.bundle" --current-only
is "$RC" 0 "export --current-only exits 0"
cmp_ok "$(stat -c %s "$X/cur.bundle")" -lt "$size" "... and is smaller than the full bundle"

# A secret added after the first export, for the conflict tests.
"$CRED" put x/new --from-file "$V/new" >/dev/null 2>&1 || bail "put x/new"
cred_pass "$PASS" export "$X/withnew.bundle" --prefix x/
is "$RC.$OUT" "0.exported 8 secrets to $X/withnew.bundle" "a second export holds x/new too"

# ---- import into a fresh agent ----
start_agent --kdf min
dst_sock=$AGENT_SOCK
dst_pid=$AGENT_PID
dst_state=$AGENT_STATE
dst_log=$AGENT_LOG
isnt "$(sha_of "$dst_state/credagent.key")" "$(sha_of "$(dirname "$src_log")/state/credagent.key")" \
	"the second agent has its own keyfile"
at_dst
cred_pass "$PASS" import "$X/all.bundle"
is "$RC" 0 "import into a fresh agent exits 0"
is "$OUT" "added 8, skipped 0, conflicted 0" "... printing 'added 8, skipped 0, conflicted 0'"
is "$(names_of)" "$LIVE" "the fresh agent lists the 8 secrets"
get_is "$V/a" "x/a reads back exactly (trailing newline)" x/a
get_is "$V/bin" "x/bin reads back exactly (NUL bytes)" x/bin
get_is "$V/big" "x/big reads back exactly (64 KiB)" x/big
get_is "$V/other" "other/o reads back exactly" other/o
get_is "$V/quota" "x/quota reads back exactly" x/quota
get_is "$V/m3" "x/multi reads its current version" x/multi
get_is "$V/m1" "x/multi --version 1 reads" x/multi --version 1
get_is "$V/m2" "x/multi --version 2 reads" x/multi --version 2
get_is "$V/m3" "x/multi --version 3 reads" x/multi --version 3
get_is "$V/lab1" "x/lab --version 1 reads" x/lab --version 1
get_is "$V/lab2" "x/lab --version 2 reads" x/lab --version 2
run "$CRED" get x/dis
is "$RC" 10 "x/dis stays disabled (exit 10)"
run "$CRED" enable x/dis
get_is "$V/dis" "... and once enabled reads its value" x/dis
run "$CRED" disable x/dis
run "$CRED" get x/del
is "$RC" 3 "the soft-deleted x/del was not exported (exit 3)"
is "$(names_of --deleted)" "" "... and is not in ls --deleted"

for n in x/a x/bin x/big x/multi x/lab x/dis x/quota other/o; do
	at_src
	want=$(info_digest "$n")
	at_dst
	is "$(info_digest "$n")" "$want" "info of $n: type, version, state, labels, expires, quota, versions and times as in the source"
done
run "$CRED" --json info x/lab
is "$(json_get "$OUT" labels.env) $(json_get "$OUT" labels.team)" "prod core" "x/lab keeps its labels"
like "$(json_get "$OUT" expires)" "^2099-01-02T03:04:05" "... and its expiry"
run "$CRED" --json info x/multi
is "$(json_get "$OUT" 'versions.[0].version') $(json_get "$OUT" 'versions.[2].version')" "1 3" \
	"x/multi keeps versions 1 to 3"
at_src
src_created=$("$CRED" --json info x/multi | perl -MJSON::PP -e \
	'print join ",", map { $_->{created} } @{decode_json(do { local $/; <STDIN> })->{versions}}')
at_dst
dst_created=$("$CRED" --json info x/multi | perl -MJSON::PP -e \
	'print join ",", map { $_->{created} } @{decode_json(do { local $/; <STDIN> })->{versions}}')
is "$dst_created" "$src_created" "x/multi's version times are the source's, not the import's"
run "$CRED" --json info x/quota
isnt "$(json_get "$OUT" quota)" null "x/quota keeps its quota ($(json_get "$OUT" quota))"
like "$(json_get "$OUT" quota)" "^5/day" "... 5/day"
# --current-only into a third agent.
start_agent --kdf min
cred_pass "$PASS" import "$X/cur.bundle"
is "$RC.$OUT" "0.added 8, skipped 0, conflicted 0" "import of the --current-only bundle adds 8"
get_is "$V/m3" "x/multi reads its current value" x/multi
run "$CRED" get x/multi --version 1
is "$RC" 3 "... and has no version 1 (exit 3)"
run "$CRED" --json info x/multi
is "$(json_get "$OUT" version)" 3 "... its version number is still 3"
ok "the third agent stops cleanly" stop_agent
at_dst

# ---- importing again: identical values are skipped ----
cred_pass "$PASS" --json import "$X/all.bundle"
is "$RC" 0 "importing the same bundle again exits 0"
is "$(json_get "$OUT" added) $(json_get "$OUT" skipped) $(json_get "$OUT" conflicted) $(json_get "$OUT" conflicts) $(json_get "$OUT" dry_run)" \
	"0 8 0 [] false" "... every secret skipped: {added 0, skipped 8, conflicted 0, conflicts [], dry_run false}"
run "$CRED" --json info x/a
is "$(json_get "$OUT" version)" 1 "... and x/a gained no version"

# max-versions 2 came along: one more put prunes version 1.
"$CRED" put x/lab --from-file "$V/new" >/dev/null 2>&1
run "$CRED" get x/lab --version 1
is "$RC" 3 "x/lab keeps max-versions 2: after a put its version 1 is pruned"
get_is "$V/lab2" "... and version 2 still reads" x/lab --version 2

# Its bundle value back (as version 4), so later imports skip it.
"$CRED" put x/lab --from-file "$V/lab2" >/dev/null 2>&1 || bail "put x/lab back"

# ---- conflicts: all or nothing ----
"$CRED" put x/a --from-file "$V/dst" >/dev/null 2>&1 || bail "put x/a on the destination"
cred_pass "$PASS" import "$X/withnew.bundle"
is "$RC" 7 "an import with a conflicting x/a exits 7"
like "$ERR" "added [0-9]+, skipped [0-9]+, conflicted 1" "... reporting one conflict"
like "$ERR" "conflict: x/a" "... naming x/a"
run "$CRED" get x/new
is "$RC" 3 "... and stores nothing: x/new is not there"
get_is "$V/dst" "... and x/a is unchanged" x/a
cred_pass "$PASS" --json import "$X/withnew.bundle"
is "$RC" 7 "import --json with the conflict exits 7"
is "$(json_get "$OUT" conflicted) $(json_get "$OUT" conflicts) $(json_get "$OUT" dry_run)" '1 ["x/a"] false' \
	"... and still prints the JSON report on stdout, conflicts [\"x/a\"]"

cred_pass "$PASS" --json import "$X/withnew.bundle" --dry-run
is "$(json_get "$OUT" dry_run) $(json_get "$OUT" conflicted) $(json_get "$OUT" conflicts)" \
	'true 1 ["x/a"]' "import --dry-run reports the conflict"
run "$CRED" get x/new
is "$RC" 3 "... and stores nothing"
"$CRED" rm x/a >/dev/null 2>&1 && "$CRED" purge x/a >/dev/null 2>&1
cred_pass "$PASS" --json import "$X/withnew.bundle" --dry-run
is "$RC" 0 "with x/a purged, import --dry-run exits 0"
is "$(json_get "$OUT" dry_run) $(json_get "$OUT" added) $(json_get "$OUT" conflicted)" "true 2 0" \
	"... reporting x/a and x/new as to be added"
run "$CRED" get x/new
is "$RC" 3 "... and stores nothing: x/new is not there"
run "$CRED" get x/a
is "$RC" 3 "... nor x/a"
cred_pass "$PASS" import "$X/withnew.bundle" --dry-run
is "$RC" 0 "import --dry-run (text) exits 0"
is "$OUT" "added 2, skipped 6, conflicted 0" "... printing the counts"

# A soft-deleted name is a conflict too.
"$CRED" put x/a --from-file "$V/a" >/dev/null 2>&1 || bail "put x/a back"
"$CRED" rm x/bin >/dev/null 2>&1 || bail "rm x/bin"
cred_pass "$PASS" --json import "$X/withnew.bundle"
is "$RC" 7 "an import over the soft-deleted x/bin exits 7"
is "$(json_get "$OUT" conflicts)" '["x/bin"]' "... naming x/bin as the conflict"
run "$CRED" get x/new
is "$RC" 3 "... and x/new is not stored"

# --overwrite: the bundle's value becomes a new version; soft-deleted restored.
"$CRED" put x/a --from-file "$V/dst" >/dev/null 2>&1 || bail "put x/a dst value"
a_ver=$("$CRED" --json info x/a 2>/dev/null | perl -MJSON::PP -e 'print decode_json(do { local $/; <STDIN> })->{version}')
cred_pass "$PASS" import "$X/withnew.bundle" --overwrite
is "$RC" 0 "import --overwrite exits 0"
get_is "$V/new" "x/new is added" x/new
get_is "$V/a" "x/a holds the bundle's value" x/a
get_is "$V/dst" "... and its previous value is kept as version $a_ver" x/a --version "$a_ver"
run "$CRED" --json info x/a
is "$(json_get "$OUT" version)" "$((a_ver + 1))" "... the bundle's value is x/a's new version $((a_ver + 1))"
get_is "$V/bin" "the soft-deleted x/bin is restored with the bundle's value" x/bin
run "$CRED" --json info x/bin
is "$(json_get "$OUT" state)" active "... and is active"

# ---- wrong passphrases, damaged and foreign files ----
start_agent --kdf min
cred_pass "not the passphrase" import "$X/all.bundle"
is "$RC" 4 "import with a wrong passphrase exits 4"
like "$ERR" "wrong passphrase" "... saying the passphrase is wrong"
is "$(names_of)" "" "... and imports nothing"

read -r off1 _ <<<"$(chunks_of "$X/all.bundle" | sed -n 1p)"
read -r off2 len2 <<<"$(chunks_of "$X/all.bundle" | sed -n 2p)"
read -r offl lenl <<<"$(chunks_of "$X/all.bundle" | tail -1)"
is "$((offl + lenl))" "$size" "the bundle parses as a header and $(chunks_of "$X/all.bundle" | wc -l) length-prefixed chunks"
flip_copy "$X/all.bundle" $((off2 + 4 + len2 / 2)) "$X/flip2.bundle"
cred_pass "$PASS" import "$X/flip2.bundle"
is "$RC" 11 "a bundle with a flipped bit in its second chunk: import exits 11"
is "$(names_of)" "" "... and imports nothing"
flip_copy "$X/all.bundle" $((offl + lenl - 3)) "$X/flipl.bundle"
cred_pass "$PASS" import "$X/flipl.bundle"
is "$RC" 11 "a flipped bit in the last (final) chunk: import exits 11"
is "$(names_of)" "" "... and imports nothing"
flip_copy "$X/all.bundle" $((off1 + 4 + 5)) "$X/flip1.bundle"
cred_pass "$PASS" import "$X/flip1.bundle"
like "$RC" "^(4|11)$" "a flipped bit in the first chunk: import exits 4 or 11 (got $RC)"
is "$(names_of)" "" "... and imports nothing"
flip_copy "$X/all.bundle" 20 "$X/fliph.bundle"
cred_pass "$PASS" import "$X/fliph.bundle"
like "$RC" "^(4|11)$" "a flipped bit in the header: import exits 4 or 11 (got $RC)"
is "$(names_of)" "" "... and imports nothing"
head -c $((offl)) "$X/all.bundle" >"$X/nofinal.bundle"
cred_pass "$PASS" import "$X/nofinal.bundle"
is "$RC" 11 "a bundle without its final chunk: import exits 11"
is "$(names_of)" "" "... and imports nothing"
head -c $((size - 5)) "$X/all.bundle" >"$X/cut.bundle"
cred_pass "$PASS" import "$X/cut.bundle"
is "$RC" 11 "a bundle cut 5 bytes short: import exits 11"
is "$(names_of)" "" "... and imports nothing"
head -c $((size / 2)) "$X/all.bundle" >"$X/half.bundle"
cred_pass "$PASS" import "$X/half.bundle"
is "$RC" 11 "a bundle cut in half: import exits 11"
is "$(names_of)" "" "... and imports nothing"
cat "$X/all.bundle" "$X/all.bundle" >"$X/twice.bundle"
cred_pass "$PASS" import "$X/twice.bundle"
is "$RC" 11 "a bundle followed by more bytes: import exits 11"
is "$(names_of)" "" "... and imports nothing"
printf 'API_KEY=hello\n' >"$X/text"
cred_pass "$PASS" import "$X/text"
is "$RC" 11 "a text file: import exits 11"
head -c 4096 /dev/urandom >"$X/random"
cred_pass "$PASS" import "$X/random"
is "$RC" 11 "random bytes: import exits 11"
: >"$X/empty"
cred_pass "$PASS" import "$X/empty"
is "$RC" 11 "an empty file: import exits 11"
run "$CRED" backup "$X/store.bak"
cred_pass "$PASS" import "$X/store.bak"
is "$RC" 11 "a cred backup file is not a bundle: import exits 11"
is "$(names_of)" "" "after all the refused imports the fresh agent holds nothing"
cred_pass "$PASS" import "$X/missing.bundle"
is "$RC" 1 "import of a missing file exits 1"

# ---- a locked agent ----
run "$CRED" lock
is "$RC" 0 "the fresh agent locks"
cred_pass "$PASS" import "$X/all.bundle"
is "$RC" 5 "import on a locked agent exits 5"
cred_pass "$PASS" export "$X/locked.bundle"
is "$RC" 5 "export on a locked agent exits 5"
ok "... and leaves no bundle file behind" test ! -e "$X/locked.bundle"
run "$CRED" unlock --keyfile
is "$(names_of)" "" "after unlock nothing was imported"
cred_pass "$PASS" import "$X/prefix.bundle"
is "$RC.$OUT" "0.added 7, skipped 0, conflicted 0" "after unlock the --prefix bundle imports 7"
is "$(names_of)" "x/a x/big x/bin x/dis x/lab x/multi x/quota" "... all under x/"
ok "the fresh agent stops cleanly" stop_agent "$AGENT_PID"

# ---- no value in any log ----
for log in "$src_log" "$dst_log"; do
	for f in $VALUES; do
		if contains_file "$log" "$V/$f"; then
			fail "no value in $(basename "$(dirname "$log")")'s log" "    it holds $f"
			continue 2
		fi
	done
	grep -qF "$PASS" "$log" && {
		fail "no value in $(basename "$(dirname "$log")")'s log" "    it holds the passphrase"
		continue
	}
	pass "no value or passphrase in $(basename "$(dirname "$log")")'s log"
done
like "$(cat "$src_log")" "export of 8 secrets" "the source agent logs the export"

# ---- gets are served while an export with a slow KDF runs ----
slow=${EXPORT_SLOW_KDF:-moderate}
start_agent --kdf "$slow"
printf 'slow-%s' "$(random_token 24)" >"$V/slow"
"$CRED" put slow/x --from-file "$V/slow" >/dev/null 2>&1 || bail "put slow/x"
poll_start "$TEST_DIR/poll.get" "$CRED" get slow/x
t0=$(now)
cred_pass "$PASS" export "$X/slow.bundle"
t1=$(now)
rc_export=$RC
cred_pass "$PASS" import "$X/slow.bundle"
t2=$(now)
poll_stop
is "$rc_export.$RC" "0.0" "export and import (skipping) under --kdf $slow exit 0"
note "the export took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s, the import $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b - a }')s"
read -r n _ rcs <<<"$(poll_window "$TEST_DIR/poll.get" "$t0" "$t2")"
cmp_ok "$n" -ge 2 "gets are answered while the slow export and import run ($n gets)"
is "$rcs" 0 "... each with the value (exit 0)"
maxo=$(poll_max "$TEST_DIR/poll.get" "$t0" "$t2")
lim=$(awk -v f="$TIME_FACTOR" 'BEGIN { print 0.5 * f }')
ok "... each within $lim s (slowest ${maxo}s)" fgt "$lim" "$maxo"
ok "the slow agent stops cleanly" stop_agent

ok "the destination agent stops cleanly" stop_agent "$dst_pid"
ok "the source agent stops cleanly" stop_agent "$src_pid"
done_testing
