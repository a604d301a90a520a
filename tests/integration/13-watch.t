#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cred watch: woken by put, rotate, rollback, disable, enable, rm, purge
# (whole or one version); --timeout; NOT_FOUND; --json; the per-uid cap.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
uid=$(id -u)
W=$TEST_DIR/watch
mkdir -p "$W"
# Time for a background cred watch to connect and be registered.
# (Half a second, stretched for a sanitizer build but capped: the test
# waits this several times.)
REG=$(awk -v f="$TIME_FACTOR" 'BEGIN { r = 0.5 * f; print (r > 1.5 ? 1.5 : r) }')

declare -A WPID
# start_watch TAG [GLOBAL OPTS] watch REF [ARGS...]: cred in the
# background, bounded by timeout(1) whatever happens.
start_watch() {
	local tag=$1
	shift
	timeout -k 2 $((20 * TIME_FACTOR)) "$CRED" "$@" >"$W/$tag.out" 2>"$W/$tag.err" </dev/null &
	WPID[$tag]=$!
}

# finish_watch TAG [SECS]: wait up to SECS (5, scaled) for the watcher to
# exit; sets WRC (or "running" and kills it), WOUT, WERR.
finish_watch() {
	local tag=$1 secs=${2:-5} pid=${WPID[$1]}
	local deadline=$((SECONDS + secs * TIME_FACTOR))
	while proc_alive "$pid" && [ $SECONDS -lt $deadline ]; do
		sleep 0.05
	done
	if proc_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		WRC=running
	else
		{ wait "$pid"; } 2>/dev/null
		WRC=$?
	fi
	WOUT=$(cat -v "$W/$tag.out")
	WERR=$(cat -v "$W/$tag.err")
}

# kill_watch TAG: stop a watcher and reap it.
kill_watch() {
	local pid=${WPID[$1]}
	kill -TERM "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
}

waiting() { proc_alive "${WPID[$1]}"; }

now_ms() { date +%s%3N; }

start_agent
p() { printf '%s' "$2" | "$CRED" put "$1" 2>/dev/null; }

for n in rot gen put rb dis en rm pv purge multi quiet jrot jrb jpv jpurge jdis; do
	p "w/$n" "v1-$n"
done
p w/rb v2-rb
p w/pv v2-pv
p w/jrb v2-jrb
p w/jpv v2-jpv
"$CRED" disable w/en 2>/dev/null
p w/bystander by

# ---- every kind of change wakes a watcher started before it ----
for n in rot gen put rb dis en rm pv purge quiet; do
	t=10s
	[ $n = quiet ] && t=3s
	start_watch "$n" watch "w/$n" --timeout "$t"
done
start_watch multi1 watch w/multi --timeout 10s
start_watch multi2 watch w/multi --timeout 10s
for n in jrot jrb jpv jpurge jdis; do
	start_watch "$n" --json watch "w/$n" --timeout 10s
done
sleep "$REG"
all=1
for t in "${!WPID[@]}"; do
	waiting "$t" || {
		all=0
		diag "watcher $t already exited: $(cat "$W/$t.err")"
	}
done
is "$all" 1 "every watcher is still waiting before any change"

t0=$(now_ms)
printf 'v2-rot' | "$CRED" rotate w/rot 2>/dev/null
"$CRED" rotate w/gen --generate 30 2>/dev/null </dev/null
printf 'v2-put' | "$CRED" put w/put 2>/dev/null
"$CRED" rollback w/rb --to 1 2>/dev/null
"$CRED" disable w/dis 2>/dev/null
"$CRED" enable w/en 2>/dev/null
"$CRED" rm w/rm 2>/dev/null
"$CRED" purge w/pv --version 1 2>/dev/null
"$CRED" purge w/purge 2>/dev/null
printf 'v2-multi' | "$CRED" rotate w/multi 2>/dev/null
printf 'v2-jrot' | "$CRED" rotate w/jrot 2>/dev/null
"$CRED" rollback w/jrb --to 1 2>/dev/null
"$CRED" purge w/jpv --version 1 2>/dev/null
"$CRED" purge w/jpurge 2>/dev/null
"$CRED" disable w/jdis 2>/dev/null
printf 'v2-by' | "$CRED" rotate w/bystander 2>/dev/null

check_watch() { # TAG EXPECTED-STDOUT WHAT
	finish_watch "$1"
	is "$WRC" 0 "a watcher sees $3: exits 0"
	is "$WOUT" "$2" "... printing '$2'"
	is "$WERR" "" "... and nothing on stderr"
}
check_watch rot "w/rot: rotated, version 2" "rotate"
check_watch gen "w/gen: rotated, version 2" "rotate --generate"
check_watch put "w/put: put, version 2" "put on the existing name"
check_watch rb "w/rb: rolled back, version 3" "rollback"
check_watch dis "w/dis: disabled, version 1" "disable"
check_watch en "w/en: enabled, version 1" "enable"
check_watch rm "w/rm: deleted, version 1" "rm"
check_watch pv "w/pv: version purged, version 2" "purge --version"
check_watch purge "w/purge: purged" "purge"
check_watch multi1 "w/multi: rotated, version 2" "rotate (first of two watchers)"
check_watch multi2 "w/multi: rotated, version 2" "rotate (second of two watchers)"
elapsed=$(($(now_ms) - t0))
cmp_ok "$elapsed" -lt $((3000 * TIME_FACTOR)) "the watchers woke promptly (${elapsed} ms for all)"

# --json: {"name", "owner", "event", "version", "state"}
json_watch() { # TAG EVENT VERSION STATE WHAT
	finish_watch "$1"
	is "$WRC" 0 "watch --json sees $5: exits 0"
	if json_has "$WOUT" name owner event version state >/dev/null; then
		pass "... prints name, owner, event, version and state"
	else
		fail "... prints name, owner, event, version and state" "    got: $WOUT"
	fi
	is "$(json_get "$WOUT" name) $(json_get "$WOUT" owner) $(json_get "$WOUT" event) $(json_get "$WOUT" version)" \
		"w/$1 $uid $2 $3" "... name w/$1, owner $uid, event $2, version $3"
	[ -n "$4" ] && is "$(json_get "$WOUT" state)" "$4" "... state $4"
}
json_watch jrot rotated 2 active "rotate"
json_watch jrb rolled_back 3 active "rollback"
json_watch jpv version_purged 2 active "purge --version 1"
json_watch jpurge purged null "" "purge"
note "watch --json after purge: state $(json_get "$WOUT" state)"
json_watch jdis disabled 1 disabled "disable"

# A change to other secrets does not wake a watcher.
finish_watch quiet 8
is "$WRC" 1 "a watcher on an unchanged secret times out (exit 1) while others change"
is "$WOUT" "" "... with nothing on stdout"
is "$WERR" "cred: watch: w/quiet: timed out after 3s" "... and 'timed out after 3s' on stderr"

# The secrets read as the changes left them.
run "$CRED" get w/rb
is "$OUT" "v1-rb" "w/rb reads version 1's value after the rollback"
run "$CRED" get w/dis
is "$RC" 10 "w/dis is disabled"
run "$CRED" get w/en
is "$OUT" "v1-en" "w/en reads again"
run "$CRED" get w/bystander
is "$OUT" "v2-by" "the bystander has its rotated value"

# ---- a loop of watches sees successive versions; undelete ----
start_watch undel watch w/rm --timeout 10s
finish_watch undel
is "$WRC" 3 "watch on a soft-deleted secret exits 3"
"$CRED" undelete w/rm 2>/dev/null
start_watch again watch w/rot --timeout 10s
start_watch undel2 watch w/rm --timeout 10s
# (and one to be ended by the agent stopping, below)
start_watch stop watch w/gen --timeout 15s
sleep "$REG"
ok "a new watcher on w/rot waits" waiting again
ok "after undelete, a watch on it waits" waiting undel2
"$CRED" rotate w/rot --generate 12 </dev/null 2>/dev/null
printf 'v2-rm' | "$CRED" put w/rm 2>/dev/null
finish_watch again
is "$WRC" 0 "a second watch sees the next rotation: exits 0"
is "$WOUT" "w/rot: rotated, version 3" "... printing version 3"
finish_watch undel2
is "$WRC $WOUT" "0 w/rm: put, version 2" "... and sees the next put"

# ---- timeouts, errors ----
t0=$(now_ms)
run "$CRED" watch w/rot --timeout 1s
elapsed=$(($(now_ms) - t0))
is "$RC" 1 "watch --timeout 1s with no change exits 1"
is "$OUT" "" "... nothing on stdout"
is "$ERR" "cred: watch: w/rot: timed out after 1s" "... 'cred: watch: w/rot: timed out after 1s'"
cmp_ok "$elapsed" -ge 900 "... after about a second (${elapsed} ms)"
cmp_ok "$elapsed" -lt $((4000 * TIME_FACTOR)) "... not much longer"
run "$CRED" --json watch w/rot --timeout 1s
is "$RC" 1 "watch --json --timeout 1s exits 1"
is "$OUT" "" "... nothing on stdout"
ok "... an error object on stderr" json_has "$ERR" error.status error.message
run "$CRED" watch w/missing --timeout 5s
is "$RC" 3 "watch on a missing secret exits 3"
like "$ERR" "^cred: watch: w/missing: .*not found" "... 'not found'"
run "$CRED" watch w/purge --timeout 5s
is "$RC" 3 "watch on a purged secret exits 3"
run "$CRED" --json watch w/missing --timeout 5s
is "$(json_get "$ERR" error.status)" NOT_FOUND "watch --json on a missing secret: NOT_FOUND"
run "$CRED" watch w/rot --timeout soon
is "$RC" 2 "watch --timeout soon is a usage error"
run "$CRED" watch
is "$RC" 2 "watch without a name is a usage error"
run "$CRED" watch 'bad//name' --timeout 1s
is "$RC" 2 "watch of a bad name is a usage error"

# ---- the agent stopping ends a watch ----
ok "a watcher waits before the agent stops" waiting stop
ok "the agent stops cleanly with a watch open" stop_agent
finish_watch stop 5
isnt "$WRC" running "... the watcher does not hang when the agent goes away"
isnt "$WRC" 0 "... and exits non-zero ($WRC)"
like "$WERR" "^cred: watch: " "... with a 'cred: watch:' message"

# ---- the per-uid cap ----
start_agent --max-watches-per-uid 2
p cap/a a1
p cap/b b1
start_watch h1 watch cap/a --timeout 15s
start_watch h2 watch cap/b --timeout 15s
sleep "$REG"
ok "the first watch (cap 2) waits" waiting h1
ok "the second watch (cap 2) waits" waiting h2
t0=$(now_ms)
run "$CRED" watch cap/a --timeout 5s
elapsed=$(($(now_ms) - t0))
is "$RC" 4 "a third watch is refused with exit 4 (DENIED)"
like "$ERR" "^cred: watch: cap/a: .*watch" "... with a message about watches"
cmp_ok "$elapsed" -lt $((3000 * TIME_FACTOR)) "... at once (${elapsed} ms)"
run "$CRED" --json watch cap/a --timeout 5s
is "$(json_get "$ERR" error.status)" DENIED "... --json: error.status DENIED"
ok "the two held watches still wait after the refusal" eval 'waiting h1 && waiting h2'
run "$CRED" get cap/a
is "$RC $OUT" "0 a1" "other requests still work at the cap"
kill_watch h1
kill_watch h2
# The agent notices the closed connections: a new watch is accepted.
for try in 1 2 3 4 5; do
	start_watch h3 watch cap/a --timeout 10s
	sleep "$REG"
	waiting h3 && break
	finish_watch h3
	diag "try $try: watch after the kills exited $WRC: $WERR"
done
ok "after the two are killed, a new watch is accepted" waiting h3
printf 'a2' | "$CRED" rotate cap/a 2>/dev/null
finish_watch h3
is "$WRC" 0 "... and it sees the rotation: exits 0"
is "$WOUT" "cap/a: rotated, version 2" "... printing the new version"

# Watches that fired or timed out free their slots too.
start_watch f1 watch cap/a --timeout 10s
start_watch f2 watch cap/b --timeout 1s
sleep "$REG"
printf 'a3' | "$CRED" rotate cap/a 2>/dev/null
finish_watch f1
is "$WRC" 0 "a watch at the cap fires on rotate"
finish_watch f2
is "$WRC" 1 "a watch at the cap times out"
start_watch g1 watch cap/a --timeout 10s
start_watch g2 watch cap/b --timeout 10s
sleep "$REG"
ok "after a fired and a timed-out watch, two new watches are accepted" eval 'waiting g1 && waiting g2'
run "$CRED" watch cap/b --timeout 5s
is "$RC" 4 "... and a third is refused again"
kill_watch g1
kill_watch g2

done_testing
