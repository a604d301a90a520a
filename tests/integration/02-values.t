#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Values are bytes: stored and returned exactly; oversized ones are refused.
. "$(dirname "$0")/lib.sh"

start_agent

# put NAME FILE, then get it back and compare byte for byte.
roundtrip() {
	local name=$1 file=$2 what=$3
	run "$CRED" put "$name" <"$file"
	is "$RC" 0 "put of $what exits 0"
	run "$CRED" get "$name"
	is "$RC" 0 "get of $what exits 0"
	ok "$what round-trips exactly" cmp "$file" "$OUT_FILE"
}

printf 'a\0b\0\0c\0' >"$TEST_DIR/nul"
roundtrip bin/nul "$TEST_DIR/nul" "a value with NUL bytes"

perl -e 'print map { chr } 0 .. 255' >"$TEST_DIR/all"
is "$(stat -c %s "$TEST_DIR/all")" 256 "the all-bytes file holds 256 bytes"
roundtrip bin/all "$TEST_DIR/all" "every byte value 0-255"

perl -e 'print map { chr } reverse 0 .. 255' >"$TEST_DIR/all-rev"
roundtrip bin/all-rev "$TEST_DIR/all-rev" "every byte value, descending"

head -c 65536 /dev/urandom >"$TEST_DIR/rand64k"
roundtrip bin/rand64k "$TEST_DIR/rand64k" "a 64 KiB random value"

: >"$TEST_DIR/empty"
roundtrip bin/empty "$TEST_DIR/empty" "an empty value"
run "$CRED" get bin/empty
is "$(stat -c %s "$OUT_FILE")" 0 "get of the empty value prints zero bytes"

printf 'line\n' >"$TEST_DIR/nl"
roundtrip bin/nl "$TEST_DIR/nl" "a value with a trailing newline"
run "$CRED" get bin/nl
is "$(od -An -tx1 "$OUT_FILE" | tr -d ' \n')" "6c696e650a" "the trailing newline is kept"

printf '\n\n\r\n' >"$TEST_DIR/nls"
roundtrip bin/nls "$TEST_DIR/nls" "a value of newlines and CR"

printf '  spaced  \t' >"$TEST_DIR/ws"
roundtrip bin/ws "$TEST_DIR/ws" "a value with leading and trailing blanks"

# Old versions keep their exact bytes too.
run "$CRED" put bin/all <"$TEST_DIR/nul"
run "$CRED" get bin/all --version 1
ok "version 1 keeps its bytes after version 2 is put" cmp "$TEST_DIR/all" "$OUT_FILE"
run "$CRED" get bin/all
ok "version 2 is the new value" cmp "$TEST_DIR/nul" "$OUT_FILE"

# --from-file with binary content.
run "$CRED" put bin/file --from-file "$TEST_DIR/rand64k" </dev/null
is "$RC" 0 "put --from-file of 64 KiB binary exits 0"
run "$CRED" get bin/file
ok "put --from-file keeps the binary bytes" cmp "$TEST_DIR/rand64k" "$OUT_FILE"

# With --json, get still prints the raw value.
run "$CRED" --json get bin/nul
is "$RC" 0 "get --json exits 0"

stop_agent

# ---- the frame limit ----
start_agent --max-frame 64K
head -c $((100 * 1024)) /dev/urandom >"$TEST_DIR/big"
run "$CRED" put big/value <"$TEST_DIR/big"
isnt "$RC" 0 "put of 100 KiB to an agent with a 64 KiB frame limit fails"
isnt "$RC" 124 "... without hanging"
like "$ERR" "^cred: put: " "... with a cred: put: message"
like "$ERR" "(too (large|big|long)|limit|exceeds|frame)" "... that says the value is too large"
run "$CRED" get big/value
is "$RC" 3 "... and nothing was stored"
ok "the agent is still running" proc_alive "$AGENT_PID"
printf 'small' >"$TEST_DIR/small"
run "$CRED" put small/value <"$TEST_DIR/small"
is "$RC" 0 "the agent still serves puts"
run "$CRED" get small/value
ok "the agent still serves gets" cmp "$TEST_DIR/small" "$OUT_FILE"

# The largest value the client says fits does fit: the client's arithmetic
# and the agent's limit agree.
most=$(printf '%s' "$ERR" | sed -nE 's/.*at most ([0-9]+).*/\1/p')
if [ -n "$most" ]; then
	head -c "$most" /dev/urandom >"$TEST_DIR/most"
	run "$CRED" put big/most <"$TEST_DIR/most"
	is "$RC" 0 "a value of exactly the advertised maximum ($most bytes) is accepted"
	run "$CRED" get big/most
	ok "... and round-trips" cmp "$TEST_DIR/most" "$OUT_FILE"
	head -c $((most + 1)) /dev/urandom >"$TEST_DIR/most1"
	run "$CRED" put big/most1 <"$TEST_DIR/most1"
	isnt "$RC" 0 "one byte more is refused"
else
	skip "the error message names no maximum to probe the boundary with" 3
fi

# Just under the limit still works (a 60 KiB value in a 64 KiB frame).
head -c $((60 * 1024)) /dev/urandom >"$TEST_DIR/60k"
run "$CRED" put big/60k <"$TEST_DIR/60k"
is "$RC" 0 "a 60 KiB value fits a 64 KiB frame"
run "$CRED" get big/60k
ok "... and round-trips" cmp "$TEST_DIR/60k" "$OUT_FILE"

# A value past the default 1 MiB limit, on a default agent.
stop_agent
start_agent
head -c $((1024 * 1024 + 1)) /dev/urandom >"$TEST_DIR/1m"
run "$CRED" put big/1m <"$TEST_DIR/1m"
isnt "$RC" 0 "put of 1 MiB + 1 to a default agent fails"
isnt "$RC" 124 "... without hanging"
like "$ERR" "^cred: put: " "... with a cred: put: message"
run "$CRED" status
is "$RC" 0 "the agent still answers"

ok "the agent stops cleanly" stop_agent
done_testing
