#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Usage counters and read quotas: a 3/hour quota allows three reads and
# refuses the fourth (exit 8, audited as QUOTA_EXCEEDED) while other
# secrets are unaffected; cred quota sets and lifts it; cred usage and
# info report reads, period reads, the last read and its reader (uid, pid,
# command), and the counters survive a restart; usage --reset starts the
# period count again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys-lib.sh"
. "$(dirname "$0")/audit-lib.sh"

export LC_ALL=C
V=$TEST_DIR/vals
mkdir -p "$V"
U=$(id -u)

# A quota period must not end in the middle of the test: wait out the
# last minute of an hour (UTC hours, days and months end together), more
# under the sanitizers, where the test takes longer.
left=$((3600 - $(date -u +%s) % 3600))
if [ "$left" -lt $((60 * TIME_FACTOR)) ]; then
	note "waiting ${left}s for the next UTC hour"
	sleep $((left + 1))
fi
hour_start=$(rfc3339 $(($(date -u +%s) / 3600 * 3600)))

# usage_of NAME KEY: KEY (a.b for nested) of NAME's entry in cred --json
# usage; "absent" when NAME is not listed.
usage_of() {
	local out
	out=$("$CRED" --json usage 2>/dev/null) || {
		echo "usage-failed"
		return
	}
	printf '%s' "$out" | perl -MJSON::PP -e '
my ($name, $key) = @ARGV;
my $d = eval { JSON::PP->new->decode(do { local $/; <STDIN> }) };
ref $d eq "ARRAY" or do { print "not-a-list"; exit 0 };
for my $e (@$d) {
    next unless $e->{name} eq $name;
    my $v = $e;
    $v = ref $v eq "HASH" ? $v->{$_} : undef for split /\./, $key;
    print !defined $v ? "null" : JSON::PP::is_bool($v) ? ($v ? "true" : "false")
        : ref $v ? JSON::PP->new->canonical->encode($v) : $v;
    exit 0;
}
print "absent"' "$1" "$2"
}

# get_n NAME N: N gets of NAME; prints their exit statuses, space-separated.
get_n() {
	local i out=""
	for ((i = 0; i < $2; i++)); do
		"$CRED" get "$1" >/dev/null 2>&1
		out+="$? "
	done
	echo "${out% }"
}

start_agent --kdf min
dir=$AGENT_DIR
for f in a b c d z; do
	printf 'usage-%s %s' "$f" "$(random_token 24)" >"$V/$f"
done
run "$CRED" put q/a --quota 3/hour --from-file "$V/a"
is "$RC" 0 "put q/a --quota 3/hour exits 0"
{
	"$CRED" put q/b --from-file "$V/b" &&
		"$CRED" put q/c --from-file "$V/c" &&
		"$CRED" put q/d --quota 1/month --from-file "$V/d" &&
		"$CRED" put other/z --from-file "$V/z"
} >/dev/null 2>&1 || bail "the secrets are stored"

run "$CRED" --json info q/a
is "$(json_get "$OUT" quota)" 3/hour "info --json: quota \"3/hour\""
ok "... and a usage object with reads, period_reads, last_read, last_reader" json_has "$OUT" \
	usage.reads usage.period_reads usage.last_read usage.last_reader
is "$(json_get "$OUT" usage.reads) $(json_get "$OUT" usage.period_reads) $(json_get "$OUT" usage.last_read) $(json_get "$OUT" usage.last_reader)" \
	"0 0 null null" "... no read yet"
run "$CRED" --json info q/b
is "$(json_get "$OUT" quota)" null "a secret without a quota: quota null"

# ---- the quota ----
get_is "$V/a" "q/a: first read" q/a
get_is "$V/a" "q/a: second read" q/a
get_is "$V/a" "q/a: third read" q/a
run "$CRED" get q/a
is "$RC" 8 "q/a: the fourth read in the hour exits 8 (QUOTA_EXCEEDED)"
is "$OUT" "" "... printing no value"
like "$ERR" "^cred: get: q/a: .*quota" "... and a message about the quota"
run "$CRED" --json get q/a
is "$(json_get "$ERR" error.status)" QUOTA_EXCEEDED "... --json: the error's status is QUOTA_EXCEEDED"
is "$(get_n q/b 5)" "0 0 0 0 0" "q/b (no quota) reads five times meanwhile"
get_is "$V/c" "... and q/c reads" q/c
run "$CRED" get q/a --version 1
is "$RC" 8 "q/a --version 1 is refused too"
audit_json --name q/a --op get
is "$(audit_q "$AUDIT" sum status=QUOTA_EXCEEDED)" 3 "the three refused reads are audited as QUOTA_EXCEEDED"
is "$(audit_q "$AUDIT" sum status=OK)" 3 "... the three allowed ones as OK"
run "$CRED" --json info q/a
is "$(json_get "$OUT" usage.reads) $(json_get "$OUT" usage.period_reads)" "3 3" \
	"q/a counts 3 reads, 3 in this period (refused reads are not reads)"
run "$CRED" --json usage q/a
is "$(json_get "$OUT" '[0].period_start')" "$hour_start" "usage: q/a's period started at the top of this UTC hour"

run "$CRED" quota q/a none
is "$RC" 0 "cred quota q/a none exits 0"
run "$CRED" --json info q/a
is "$(json_get "$OUT" quota)" null "... and info shows no quota"
get_is "$V/a" "... and q/a reads again" q/a
run "$CRED" quota q/a 3/hour
is "$RC" 0 "cred quota q/a 3/hour sets it again"
run "$CRED" get q/a
is "$RC" 8 "... and the reads already made this hour count: the next is refused"
run "$CRED" quota q/a 3/week
is "$RC" 2 "cred quota with an unknown period exits 2"
run "$CRED" quota q/missing 3/hour
is "$RC" 3 "cred quota on a missing name exits 3"
run "$CRED" get q/d
is "$RC" 0 "q/d (1/month): the first read"
run "$CRED" get q/d
is "$RC" 8 "... and the second is refused"
run "$CRED" --json info q/d
is "$(json_get "$OUT" quota)" 1/month "... its quota is 1/month"

# ---- usage counters ----
get_n q/b 2 >/dev/null
cred_pid get q/b
b_pid=$PID
is "$RC" 0 "a cred get of q/b (pid $b_pid)"
t_read=$(date -u +%s)
run "$CRED" --json usage
is "$RC" 0 "cred --json usage exits 0"
ok "... every entry has name, owner, reads, period_reads, period_start, last_read, last_reader, quota" \
	json_has "$OUT" "[0].name" "[0].owner" "[0].reads" "[0].period_reads" "[0].period_start" \
	"[0].last_read" "[0].last_reader" "[0].quota"
is "$(usage_of q/b reads) $(usage_of q/b period_reads) $(usage_of q/b owner)" "8 8 $U" \
	"q/b: 8 reads, 8 in this period, owner $U"
is "$(usage_of q/b last_reader.uid) $(usage_of q/b last_reader.pid) $(usage_of q/b last_reader.comm)" \
	"$U $b_pid $CRED_COMM" "q/b's last reader: uid $U, the last get's pid, comm cred"
lr=$(usage_of q/b last_read)
lr_s=$(date -u -d "$lr" +%s 2>/dev/null || echo 0)
cmp_ok $((lr_s - t_read)) -le 2 "q/b's last_read is the time of that get ($lr)"
cmp_ok $((t_read - lr_s)) -le 2 "... give or take 2 s"
is "$(usage_of q/b quota)" null "q/b: quota null"
is "$(usage_of q/a quota)" 3/hour "q/a: quota 3/hour"
is "$(usage_of q/z reads)" absent "usage lists no unknown name"
is "$(usage_of other/z reads) $(usage_of other/z last_read) $(usage_of other/z last_reader)" \
	"0 null null" "other/z, never read: 0 reads, last_read and last_reader null"
run "$CRED" --json usage q/
is "$(printf '%s' "$OUT" | perl -MJSON::PP -e 'print join " ", sort map { $_->{name} } @{decode_json(do { local $/; <STDIN> })}')" \
	"q/a q/b q/c q/d" "usage q/ lists only the names under q/"
run "$CRED" usage q/
is "$RC" 0 "usage (text) exits 0"
like "$OUT" "^NAME +READS +PERIOD +QUOTA" "... with a header"
like "$OUT" "q/b +8 +8 " "... and q/b's counts"

run "$GET_LOOP" "$CRED_SOCK" q/c 20
is "$RC" 0 "20 gets of q/c on one connection"
loop_pid=$(sed -nE 's/.* pid ([0-9]+) .*/\1/p' <<<"$OUT")
is "$(usage_of q/c reads) $(usage_of q/c last_reader.pid) $(usage_of q/c last_reader.comm)" \
	"21 $loop_pid get-loop" "q/c: 21 reads, the last by get-loop's pid"
info_c=$("$CRED" --json info q/c)
is "$(json_get "$info_c" usage.reads) $(json_get "$info_c" usage.last_reader.comm)" "21 get-loop" \
	"info --json q/c agrees"

# ---- a restart keeps the counters ----
before_b="$(usage_of q/b reads) $(usage_of q/b period_reads) $(usage_of q/b last_read) $(usage_of q/b last_reader)"
before_c="$(usage_of q/c reads) $(usage_of q/c last_reader)"
before_a="$(usage_of q/a reads) $(usage_of q/a period_reads)"
ok "the agent stops cleanly" stop_agent
start_agent --dir "$dir" --kdf min
is "$(usage_of q/b reads) $(usage_of q/b period_reads) $(usage_of q/b last_read) $(usage_of q/b last_reader)" \
	"$before_b" "after a restart q/b's counters and last reader are as they were"
is "$(usage_of q/c reads) $(usage_of q/c last_reader)" "$before_c" "... and q/c's"
is "$(usage_of q/a reads) $(usage_of q/a period_reads)" "$before_a" "... and q/a's ($before_a)"
run "$CRED" get q/a
is "$RC" 8 "... and q/a's quota still refuses"
run "$CRED" get q/d
is "$RC" 8 "... and q/d's"

# ---- usage --reset ----
run "$CRED" usage --reset q/a
is "$RC" 0 "usage --reset q/a exits 0"
is "$(usage_of q/a period_reads) $(usage_of q/a reads)" "0 ${before_a%% *}" \
	"... the period count is 0, the total unchanged"
is "$(get_n q/a 3)" "0 0 0" "... and q/a reads three times again"
run "$CRED" get q/a
is "$RC" 8 "... and the fourth is refused"
run "$CRED" usage --reset q/missing
is "$RC" 3 "usage --reset of a missing name exits 3"
audit_json --op usage-reset
is "$(audit_q "$AUDIT" n "target~^[^: ]+:q/a\$" status=OK)" 1 "the reset is audited (op usage-reset, target q/a)"
audit_json --op quota
is "$(audit_q "$AUDIT" n "target~^[^: ]+:q/a(@[0-9]+)?\$" status=OK)" 2 "the two quota changes of q/a are audited (op quota)"

ok "the agent stops cleanly" stop_agent
done_testing
