#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# With a journal present, every audit record is also sent to it
# (sd_journal_send) with the structured fields CRED_OP, CRED_NAME,
# CRED_OWNER, CRED_UID, CRED_PID and CRED_STATUS, never a value; the chain
# head goes there at shutdown.
#
# No journald runs in the test machine: a small listener takes its socket
# (/run/systemd/journal/socket) for the test. Needs root, and is skipped
# where a real journal owns that socket.

. "$(dirname "$0")/lib.sh"

JSOCK=/run/systemd/journal/socket
NL=$'\n'
if [ "$(id -u)" != 0 ]; then
	skip "needs root to stand in for the journal" 1
	done_testing
	exit 0
fi
if [ -e "$JSOCK" ]; then
	skip "a journal already listens at $JSOCK" 1
	done_testing
	exit 0
fi

made_dirs=""
for d in /run/systemd /run/systemd/journal; do
	if [ ! -d "$d" ]; then
		mkdir "$d" && made_dirs="$d $made_dirs"
	fi
done
jlog=$TEST_DIR/journal.txt
# A datagram listener writing each entry's fields, one per line, an empty
# line between entries. Bounded: it exits after 120 s whatever happens.
perl -MIO::Socket::UNIX -MSocket -e '
	my ($path, $out) = @ARGV;
	my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "listen: $!";
	open(my $fh, ">", $out) or die; $fh->autoflush(1);
	$SIG{ALRM} = sub { exit 0 }; alarm 120;
	while (defined $s->recv(my $buf, 65536)) { print $fh $buf, "\n" }
' "$JSOCK" "$jlog" &
listener=$!
track_pid "$listener"
cleanup_journal() {
	stop_all_agents
	kill "$listener" 2>/dev/null
	rm -f "$JSOCK"
	for d in $made_dirs; do rmdir "$d" 2>/dev/null; done
}
trap 'cleanup_journal; _tap_cleanup' EXIT
wait_for 5 test -S "$JSOCK" || bail "the stand-in journal listens"

start_agent
value="journal-value-$(random_token 16)"
printf '%s' "$value" >"$TEST_DIR/v"
run "$CRED" put jr/k --from-file "$TEST_DIR/v"
is "$RC" 0 "put"
sh -c 'echo $$ >"$1"; exec "$2" get jr/k >/dev/null' sh "$TEST_DIR/get.pid" "$CRED"
get_pid=$(cat "$TEST_DIR/get.pid")
run "$CRED" get jr/missing
is "$RC" 3 "a get of a missing name exits 3"
# The next audit query waits for the group commit, after which the
# records have gone to the journal too.
run "$CRED" audit --limit 1
is "$RC" 0 "cred audit"
ok "the agent stops cleanly" stop_agent

entries=$(cat "$jlog")
entry_of() { # FIELD=VALUE ...: the entries holding every one of them
	awk -v RS= -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		{ ok = 1; for (i = 1; i <= n; i++) if (index("\n" $0 "\n", "\n" w[i] "\n") == 0) ok = 0
		  if (ok) print $0 "\n" }' "$jlog"
}
like "$entries" "CRED_OP=put" "the put reached the journal"
e=$(entry_of CRED_OP=get CRED_NAME=jr/k "CRED_PID=$get_pid")
isnt "$e" "" "the get reached the journal with CRED_OP, CRED_NAME and the reader's CRED_PID"
like "$e" "(^|$NL)CRED_UID=$(id -u)($NL|\$)" "... CRED_UID"
like "$e" "(^|$NL)CRED_OWNER=$(id -u)($NL|\$)" "... CRED_OWNER"
like "$e" "(^|$NL)CRED_STATUS=OK($NL|\$)" "... CRED_STATUS=OK"
like "$e" "(^|$NL)MESSAGE=credagentd audit: " "... and a MESSAGE"
e=$(entry_of CRED_OP=get CRED_NAME=jr/missing)
like "$e" "(^|$NL)CRED_STATUS=NOT_FOUND($NL|\$)" "the failed get is there with CRED_STATUS=NOT_FOUND"
like "$entries" "CRED_AUDIT_HEAD=[0-9a-f]{64}" "the chain head was sent at shutdown"
unlike "$entries" "$value" "no value reached the journal"

done_testing
