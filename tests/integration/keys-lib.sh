# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the keys tests (30-33), sourced after lib.sh: passphrase
# stores, unlocking, file digests, and a background poller that measures
# how fast the agent answers other clients while slow work runs.
#
#   sha_of FILE                  sha256 of FILE ("missing" if absent)
#   mode_of FILE                 octal mode of FILE ("missing" if absent)
#   init_pass_store STATE PASS [KDF]
#                                credagentd --init-passphrase -d STATE with
#                                PASS on stdin (--kdf KDF, default min);
#                                sets RC OUT ERR like run
#   cred_pass PASS ARGS...       cred ARGS with PASS as one stdin line
#                                (PASS may hold "\n" for two lines: passwd)
#   san_said                     after run: diag a sanitizer report on stderr
#   locked_now                   "true"/"false" from cred --json status
#   get_is FILE NAME ARGS...     cred get ARGS prints exactly FILE's bytes
#   poll_start OUT CMD...        run CMD again and again in the background
#                                (each under timeout), logging "START END RC"
#                                per call (EPOCHREALTIME) to OUT, until
#                                poll_stop or 60 s
#   poll_stop                    stop it and wait for it
#   poll_window OUT T0 T1        over the calls that started and ended
#                                within [T0, T1]: "COUNT MAXLATENCY RCS"
#                                (RCS: the distinct exit statuses, sorted)
#   poll_max OUT T0 T1           the longest call that overlapped [T0, T1]
#   now                          EPOCHREALTIME
#   elapsed T0                   seconds since T0, as a decimal
#   fgt A B                      A > B for decimals

NL=$'\n'
sha_of() { if [ -e "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo missing; fi; }
mode_of() { stat -c %a "$1" 2>/dev/null || echo missing; }

init_pass_store() { # STATE PASS [KDF]
	printf '%s\n' "$2" >"$TEST_DIR/init.pass"
	run "$CREDAGENTD" --init-passphrase -d "$1" --kdf "${3:-min}" <"$TEST_DIR/init.pass"
	rm -f "$TEST_DIR/init.pass"
	san_said
}

# After run: show a sanitizer's report on the command's stderr, if any.
san_said() {
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$ERR_FILE"; then
		diag "the sanitizer reported:$NL$(grep -E -A6 'ERROR: |runtime error:' "$ERR_FILE" | head -12)"
	fi
}

cred_pass() { # PASS ARGS...
	printf '%b\n' "$1" >"$TEST_DIR/pass.in"
	shift
	run "$CRED" "$@" <"$TEST_DIR/pass.in"
	rm -f "$TEST_DIR/pass.in"
}

locked_now() {
	local out
	out=$("$CRED" --json status 2>/dev/null) || {
		echo "status-failed"
		return
	}
	json_get "$out" locked
}

get_is() { # FILE NAME [GET ARGS...]
	local file=$1 name=$2
	shift 2
	run "$CRED" get "$@"
	if [ "$RC" != 0 ]; then
		fail "$name" "    cred get $* exited $RC: $ERR"
		return
	fi
	ok "$name" cmp "$file" "$OUT_FILE"
}

now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
fgt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

POLL_PID=
poll_start() { # OUT CMD...
	local out=$1
	shift
	: >"$out"
	rm -f "$TEST_DIR/poll.stop"
	(
		deadline=$((SECONDS + 60))
		while [ ! -e "$TEST_DIR/poll.stop" ] && [ $SECONDS -lt $deadline ]; do
			s=$EPOCHREALTIME
			timeout -k 1 10 "$@" >/dev/null 2>&1 </dev/null
			rc=$?
			printf '%s %s %s\n' "$s" "$EPOCHREALTIME" "$rc" >>"$out"
			sleep 0.01
		done
	) &
	POLL_PID=$!
	# Wait for the first answer, so the poller runs when the caller goes on.
	local deadline=$((SECONDS + 5 * TIME_FACTOR))
	while [ ! -s "$out" ] && [ $SECONDS -lt $deadline ]; do sleep 0.01; done
}

poll_stop() {
	[ -n "$POLL_PID" ] || return 0
	: >"$TEST_DIR/poll.stop"
	wait "$POLL_PID" 2>/dev/null
	POLL_PID=
}

poll_window() { # OUT T0 T1
	awk -v t0="$2" -v t1="$3" '
$1 >= t0 && $2 <= t1 { n++; l = $2 - $1; if (l > max) max = l; rc[$3] = 1 }
END { s = ""; for (k in rc) s = s (s == "" ? "" : ",") k
      printf "%d %.3f %s\n", n, max, (s == "" ? "none" : s) }' "$1" |
		{ read -r n m r; printf '%s %s %s\n' "$n" "$m" "$(tr ',' '\n' <<<"$r" | sort -n | paste -sd,)"; }
}

poll_max() { # OUT T0 T1
	awk -v t0="$2" -v t1="$3" '
$2 >= t0 && $1 <= t1 { l = $2 - $1; if (l > max) max = l }
END { printf "%.3f\n", max }' "$1"
}
