# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the audit, usage and quota tests (40-44), sourced after
# lib.sh:
#
#   cred_pid ARGS...             run cred ARGS (as run: RC OUT ERR) through
#                                sh -c 'echo $$; exec cred', so PID holds the
#                                cred process's pid
#   audit_json [ARGS...]         cred --json audit ARGS into AUDIT (stdout),
#                                AUDIT_RC (exit status); "[]" if it fails
#   audit_q JSON MODE CRIT...    query a --json audit array (or any array of
#                                objects). CRIT: KEY=VALUE (exact; null,
#                                true, false as JSON), KEY~ERE, KEY!=VALUE,
#                                KEY!~ERE (all must hold).
#                                MODE: sum (sum of "count", 1 when absent),
#                                n (number of records), fields (one line per
#                                record: the keys seq op target status uid
#                                pid comm security count), last:K1,K2 (the
#                                last record's K1 K2... space-separated,
#                                "none" when no record matches), all:K (K of
#                                every record, one per line)
#   rec_line JSON CRIT...        the matching record as "op=.. target=..
#                                status=.. uid=.. pid=.. comm=.. security=..",
#                                "none" or "N records" when not exactly one
#   audit_store_list STATE       store-edit STATE audit-list (decoded records)
#   audit_store_stat STATE       "ENTRIES BYTES PAGES_BYTES" from store-edit
#                                audit-stat
#   rfc3339 [EPOCH]              EPOCH (default now) as YYYY-MM-DDTHH:MM:SSZ
#   contains_file F NEEDLE-FILE  does F contain NEEDLE-FILE's bytes?
#   lacks_file F NEEDLE-FILE

STORE_EDIT=${STORE_EDIT:-$TOOLS/store-edit}
GET_LOOP=${GET_LOOP:-$TOOLS/get-loop}

cred_pid() {
	rm -f "$TEST_DIR/cred.pid"
	# shellcheck disable=SC2016
	run sh -c 'echo $$ >"$0"; exec "$@"' "$TEST_DIR/cred.pid" "$CRED" "$@"
	PID=$(cat "$TEST_DIR/cred.pid" 2>/dev/null || echo none)
}

audit_json() {
	local out
	out=$("$CRED" --json audit "$@" 2>"$TEST_DIR/audit.err")
	AUDIT_RC=$?
	if [ $AUDIT_RC -ne 0 ] || [ -z "$out" ]; then
		AUDIT="[]"
		AUDIT_ERR=$(cat "$TEST_DIR/audit.err")
	else
		AUDIT=$out
		AUDIT_ERR=
	fi
}

audit_q() {
	local json=$1
	shift
	printf '%s' "$json" | perl -MJSON::PP -e '
use strict; use warnings;
my ($mode, @crit) = @ARGV;
my $d = eval { JSON::PP->new->decode(do { local $/; <STDIN> }) };
if (ref $d ne "ARRAY") { print "not-a-list\n"; exit 0 }
sub txt { my $v = shift; return "null" unless defined $v;
    return $v ? "true" : "false" if JSON::PP::is_bool($v);
    return JSON::PP->new->canonical->encode($v) if ref $v; return "$v" }
my @m = grep { my $r = $_; my $okay = 1;
    for my $c (@crit) {
        if ($c =~ /^([^=~!]+)!=(.*)$/s) { $okay = 0 if txt($r->{$1}) eq $2 }
        elsif ($c =~ /^([^=~!]+)!~(.*)$/s) { $okay = 0 if txt($r->{$1}) =~ /$2/ }
        elsif ($c =~ /^([^=~!]+)=(.*)$/s) { $okay = 0 unless txt($r->{$1}) eq $2 }
        elsif ($c =~ /^([^=~!]+)~(.*)$/s) { $okay = 0 unless txt($r->{$1}) =~ /$2/ }
        else { die "bad criterion $c\n" }
    } $okay } @$d;
if ($mode eq "sum") { my $s = 0; $s += (defined $_->{count} ? $_->{count} : 1) for @m; print "$s\n" }
elsif ($mode eq "n") { print scalar(@m), "\n" }
elsif ($mode eq "fields") {
    for my $r (@m) { print join(" ", map { "$_=" . txt($r->{$_}) }
        qw(seq op target status uid pid comm security count)), "\n" } }
elsif ($mode =~ /^last:(.*)$/) {
    if (!@m) { print "none\n" } else { print join(" ", map { txt($m[-1]{$_}) } split /,/, $1), "\n" } }
elsif ($mode =~ /^all:(.*)$/) { print txt($_->{$1}), "\n" for @m }
else { die "bad mode $mode\n" }
' "$@"
}

rec_line() {
	local json=$1 n
	shift
	n=$(audit_q "$json" n "$@")
	if [ "$n" = 0 ]; then
		echo none
	elif [ "$n" != 1 ]; then
		echo "$n records"
	else
		audit_q "$json" last:op,target,status,uid,pid,comm,security "$@" |
			{ read -r op target status uid pid comm sec
			  echo "op=$op target=$target status=$status uid=$uid pid=$pid comm=$comm security=$sec"; }
	fi
}

audit_store_list() {
	"$STORE_EDIT" "$1" audit-list
}

audit_store_stat() {
	"$STORE_EDIT" "$1" audit-stat | awk '{ print $2, $4, $6 }'
}

rfc3339() {
	if [ $# -gt 0 ]; then
		date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
	else
		date -u +%Y-%m-%dT%H:%M:%SZ
	fi
}

contains_file() { # FILE NEEDLE-FILE
	perl -e 'local $/; open(my $h, "<", $ARGV[0]) or exit 2; my $hay = <$h>;
		open(my $n, "<", $ARGV[1]) or exit 2; my $needle = <$n>;
		exit(index($hay, $needle) >= 0 ? 0 : 1)' "$1" "$2"
}
lacks_file() { ! contains_file "$@"; }

# The tools the audit tests need, built by make (the Makefile's tools rule).
for _t in "$STORE_EDIT" "$GET_LOOP"; do
	[ -x "$_t" ] || bail "$_t is built" "    build it first: make integration (or make $(basename "$(dirname "$_t")")/$(basename "$_t"))"
done
# Reachable by the test users too.
cp "$GET_LOOP" "$TEST_DIR/bin/get-loop" && chmod 0755 "$TEST_DIR/bin/get-loop" || bail "copy get-loop"
GET_LOOP=$TEST_DIR/bin/get-loop
unset _t
