#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench: GET throughput and latency of credagentd with read auditing
# on (the default) and off (--bench-no-read-audit), against the echo floor
# of DESIGN §10, all in one run. See docs/PERFORMANCE.md.
#
# Builds nothing (make does). The Makefile sets CREDAGENTD, CRED and
# BENCH_BIN (the directory of getbench and echo-floor); run by hand, the
# script falls back to build/. Knobs:
#   BENCH_REQUESTS  timed round trips in each run, shared out among its
#                   clients (default 5000: a run takes a tenth of a second)
#   BENCH_ROUNDS    rounds; the figures are medians over them (default 25)
#   BENCH_CLIENTS   clients of the concurrent runs (default 8)
#   BENCH_WARMUP    untimed GETs per client before each run (default 200)
#   BENCH_LIMIT     wall-time limit of one run, in seconds (default 60)
#
# Each round runs, for 1 client and then BENCH_CLIENTS clients: the echo
# floor, then both agents, their order swapped every round so that drift
# and noise on this shared machine hit both alike. Both agents run the
# whole time, each in its own directory, with the same 32-byte secret.
# Many short rounds rather than a few long ones: a burst of someone else's
# load spoils a round or two, and the medians drop them; and the two agents
# of a round run a fraction of a second apart, so they meet the same load
# more often than not (on a 2-core machine shared with builds, 9 rounds of
# 20000 gave 1-client ratios anywhere from 0.85 to 1.5 from run to run;
# 25 of 5000 keep them within about 10%). Ratios are given two
# ways: of the medians, and the median of the per-round (paired) ratios.
#
# Exit status: 0 when everything ran, 1 when something failed to run (an
# agent did not start or died, a request failed, or the audited agent did
# not audit every GET, so the comparison would be meaningless). Never on a
# performance figure: figures are reported, not asserted.

set -u
set -o pipefail

TOP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CREDAGENTD=${CREDAGENTD:-$TOP_DIR/build/bin/credagentd}
CRED=${CRED:-$TOP_DIR/build/bin/cred}
BENCH_BIN=${BENCH_BIN:-$TOP_DIR/build/bench}
BENCH_REQUESTS=${BENCH_REQUESTS:-5000}
BENCH_ROUNDS=${BENCH_ROUNDS:-25}
BENCH_CLIENTS=${BENCH_CLIENTS:-8}
BENCH_WARMUP=${BENCH_WARMUP:-200}
BENCH_LIMIT=${BENCH_LIMIT:-60}
KEY=bench/secret

# Nothing from the caller's environment may pick another agent.
unset CRED_SOCK XDG_RUNTIME_DIR NOTIFY_SOCKET LISTEN_FDS LISTEN_PID

die() {
	echo "bench: $*" >&2
	exit 1
}

for n in BENCH_REQUESTS BENCH_ROUNDS BENCH_CLIENTS BENCH_WARMUP BENCH_LIMIT; do
	case ${!n} in '' | *[!0-9]*) die "$n must be a number, not '${!n}'" ;; esac
done
[ "$BENCH_ROUNDS" -ge 1 ] || die "BENCH_ROUNDS must be at least 1"
[ "$BENCH_CLIENTS" -ge 2 ] || die "BENCH_CLIENTS must be at least 2 (1 client is always run)"
[ "$BENCH_REQUESTS" -ge "$BENCH_CLIENTS" ] || die "BENCH_REQUESTS must be at least BENCH_CLIENTS"
for f in "$CREDAGENTD" "$CRED" "$BENCH_BIN/getbench" "$BENCH_BIN/echo-floor"; do
	[ -x "$f" ] || die "$f is missing: run make bench (or make all and build $BENCH_BIN)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/credbench.XXXXXX") || die "cannot create a temporary directory"
declare -A AGENT_PID=()

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local name
	for name in "${!AGENT_PID[@]}"; do
		kill -TERM "${AGENT_PID[$name]}" 2>/dev/null
		wait "${AGENT_PID[$name]}" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Without these the default per-uid limit (10,000 requests a second) would
# be what the bench measures.
AGENT_FLAGS=(--rate-limit 100000000 --rate-burst 100000000)

# start_agent NAME [FLAGS...]: a foreground agent in $WORK/NAME.
start_agent() {
	local name=$1 dir=$WORK/$1 i
	shift
	mkdir -p "$dir"
	"$CREDAGENTD" -f -s "$dir/sock" -d "$dir/state" "${AGENT_FLAGS[@]}" "$@" \
		>"$dir/agent.log" 2>&1 </dev/null &
	AGENT_PID[$name]=$!
	for ((i = 0; i < 250; i++)); do
		if [ -S "$dir/sock" ] && CRED_SOCK=$dir/sock "$CRED" status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "${AGENT_PID[$name]}" 2>/dev/null || break
		sleep 0.02
	done
	echo "bench: agent $name did not start; its log:" >&2
	tail -20 "$dir/agent.log" >&2
	exit 1
}

stop_agent() {
	local name=$1 rc
	kill -TERM "${AGENT_PID[$name]}" 2>/dev/null
	wait "${AGENT_PID[$name]}"
	rc=$?
	unset 'AGENT_PID[$name]'
	[ "$rc" = 0 ] || die "agent $name exited with status $rc on SIGTERM; log: $WORK/$name/agent.log"
}

# Results: RES[KIND/CLIENTS/thr] and RES[KIND/CLIENTS/p50] collect one
# figure per round (space-separated); RATIO likewise for per-round ratios.
declare -A RES=() RATIO=() LAST=() CPU=() GETS=()
STOPPED=0
AUDITED_EXPECTED=0

# CPU time (ns) the live threads of process $1 have used so far, from the
# scheduler: time spent waiting for a CPU taken by other load not counted.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}

# measure KIND CLIENTS: one run, its line printed and its figures kept.
measure() {
	local kind=$1 clients=$2 line thr p50 count n=$((BENCH_REQUESTS / $2)) cpu0=0
	local -a cmd
	if [ "$kind" = echo ]; then
		cmd=("$BENCH_BIN/echo-floor")
	else
		kill -0 "${AGENT_PID[$kind]}" 2>/dev/null || die "agent $kind died; log: $(tail -5 "$WORK/$kind/agent.log")"
		cmd=("$BENCH_BIN/getbench" -s "$WORK/$kind/sock" -k "$KEY")
		cpu0=$(cpu_ns "${AGENT_PID[$kind]}")
	fi
	cmd+=(-n "$n" -c "$clients" -w "$BENCH_WARMUP" -t "$BENCH_LIMIT")
	line=$("${cmd[@]}") || die "${cmd[*]} failed (status $?)"
	printf '  %-9s %s\n' "$kind" "$line"
	thr=$(sed -n 's/.* throughput=\([0-9.]*\)\/s.*/\1/p' <<<"$line")
	p50=$(sed -n 's/.* p50=\([0-9.]*\)us.*/\1/p' <<<"$line")
	count=$(sed -n 's/.* requests=\([0-9]*\) .*/\1/p' <<<"$line")
	if [ -z "$thr" ] || [ -z "$p50" ] || [ -z "$count" ]; then
		die "cannot parse: $line"
	fi
	case $line in *stopped=time-limit*) STOPPED=1 ;; esac
	if [ "$kind" != echo ]; then
		CPU[$kind/$clients]=$((${CPU[$kind/$clients]:-0} + $(cpu_ns "${AGENT_PID[$kind]}") - cpu0))
		GETS[$kind/$clients]=$((${GETS[$kind/$clients]:-0} + count + clients * BENCH_WARMUP))
	fi
	[ "$kind" = on ] && AUDITED_EXPECTED=$((AUDITED_EXPECTED + count + clients * BENCH_WARMUP))
	RES[$kind/$clients/thr]+="$thr "
	RES[$kind/$clients/p50]+="$p50 "
	LAST[$kind/thr]=$thr
	LAST[$kind/p50]=$p50
}

# median LIST [FORMAT]: the median of space-separated numbers.
median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk -v f="${2:-%.2f}" '{ v[NR] = $1 }
		END { printf f, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
		END { printf "%.2f-%.2f", lo, hi }'
}
div() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

echo "== credagent bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -r)"
echo "   rounds=$BENCH_ROUNDS requests/run=$BENCH_REQUESTS warmup/client=$BENCH_WARMUP" \
	"clients=1,$BENCH_CLIENTS limit=${BENCH_LIMIT}s"
echo "   agents: on = $CREDAGENTD ${AGENT_FLAGS[*]}"
echo "           off = the same with --bench-no-read-audit"

start_agent on
start_agent off --bench-no-read-audit
head -c 32 /dev/urandom >"$WORK/value" || die "cannot read /dev/urandom"
for a in on off; do
	CRED_SOCK=$WORK/$a/sock "$CRED" put "$KEY" <"$WORK/value" >"$WORK/put.out" 2>&1 ||
		die "cred put $KEY into agent $a failed: $(cat "$WORK/put.out")"
done

for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	if ((r % 2)); then order=(on off); else order=(off on); fi
	echo "-- round $r/$BENCH_ROUNDS (agents in the order ${order[*]})"
	for c in 1 "$BENCH_CLIENTS"; do
		for kind in echo "${order[@]}"; do
			measure "$kind" "$c"
		done
		RATIO[off-on/$c]+="$(div "${LAST[off/thr]}" "${LAST[on/thr]}") "
		RATIO[on-off-p50/$c]+="$(div "${LAST[on/p50]}" "${LAST[off/p50]}") "
		RATIO[on-echo/$c]+="$(div "${LAST[on/p50]}" "${LAST[echo/p50]}") "
		RATIO[off-echo/$c]+="$(div "${LAST[off/p50]}" "${LAST[echo/p50]}") "
	done
done

# The comparison means something only if the audited agent audited (and
# counted) every GET and the other none. The writer commits within 50 ms.
sleep 0.3
audit_gets() {
	CRED_SOCK=$WORK/$1/sock "$CRED" --json audit --summary --op get --status OK |
		sed -n 's/.*"count":\([0-9]*\).*/\1/p' | head -1
}
audit_records() {
	CRED_SOCK=$WORK/$1/sock "$CRED" --json audit --op get --status OK | grep -o '"seq"' | wc -l
}
usage_reads() {
	CRED_SOCK=$WORK/$1/sock "$CRED" --json info "$KEY" |
		sed -n 's/.*"reads":\([0-9]*\).*/\1/p' | head -1
}
on_audit=$(audit_gets on) || die "cred audit on agent on failed"
off_audit=$(audit_gets off) || die "cred audit on agent off failed"
on_records=$(audit_records on) || die "cred audit on agent on failed"
on_reads=$(usage_reads on)
off_reads=$(usage_reads off)
stop_agent on
stop_agent off

C=$BENCH_CLIENTS
row() {
	local kind=$1 label=$2
	printf '%-22s %11s/s %9sus   %11s/s %9sus\n' "$label" \
		"$(median "${RES[$kind/1/thr]}" %.0f)" "$(median "${RES[$kind/1/p50]}" %.1f)" \
		"$(median "${RES[$kind/$C/thr]}" %.0f)" "$(median "${RES[$kind/$C/p50]}" %.1f)"
}
# ratio_line KEY LABEL NUM DEN WHAT: NUM's median WHAT over DEN's, and the
# median (range) of the per-round ratios kept under KEY.
ratio_line() {
	local key=$1 label=$2 num=$3 den=$4 what=$5 c
	printf '%-31s' "$label"
	for c in 1 "$C"; do
		printf ' %10s %6s %-13s' \
			"$(div "$(median "${RES[$num/$c/$what]}")" "$(median "${RES[$den/$c/$what]}")")" \
			"$(median "${RATIO[$key/$c]}")" "($(range "${RATIO[$key/$c]}"))"
	done
	printf '\n'
}

echo
echo "== summary: medians of $BENCH_ROUNDS rounds, $BENCH_REQUESTS timed round trips per run"
printf '%-22s %25s   %25s\n' "" "1 client" "$C clients"
printf '%-22s %13s %11s   %13s %11s\n' "" throughput p50 throughput p50
row echo "echo floor (32 B)"
row on "GET, auditing on"
row off "GET, auditing off"
echo
printf '%-31s %-31s %s\n' "ratios" " 1 client" " $C clients"
printf '%-31s %10s %6s %-13s %10s %6s %s\n' "" "of medians" paired "(range)" "of medians" \
	paired "(range)"
{
	ratio_line off-on "throughput audit-off/on" off on thr
	ratio_line on-off-p50 "GET p50 audit-on/off" on off p50
	ratio_line on-echo "GET p50 / echo p50, audit on" on echo p50
	ratio_line off-echo "GET p50 / echo p50, audit off" off echo p50
} | sed 's/ *$//'
per_get() {
	awk -v ns="${CPU[$1/$2]:-0}" -v n="${GETS[$1/$2]:-0}" 'BEGIN { printf "%.2f", n ? ns / n / 1000 : 0 }'
}
echo "agent CPU per GET, all its threads, over all rounds (us):"
for c in 1 "$C"; do
	printf '  %2s client(s): audit on %6s, audit off %6s, on/off %s\n' "$c" "$(per_get on "$c")" \
		"$(per_get off "$c")" "$(div "$(per_get on "$c")" "$(per_get off "$c")")"
done
echo "(issue 6: throughput audit-off/on at most 1.5;" \
	"DESIGN §10: 1-client GET p50, audit on, at most 1.6x the echo floor)"
echo "audit check: agent on audited $on_audit of $AUDITED_EXPECTED GETs (in $on_records folded" \
	"records), usage count $on_reads;" \
	"agent off audited ${off_audit:-0}, usage count ${off_reads:-0}"

rc=0
if [ "$STOPPED" = 1 ]; then
	echo "note: at least one run stopped at the ${BENCH_LIMIT}s limit; its figures cover fewer requests"
fi
if [ "${on_audit:-0}" != "$AUDITED_EXPECTED" ] || [ "${on_reads:-0}" != "$AUDITED_EXPECTED" ] ||
	[ "${off_audit:-0}" != 0 ] || [ "${off_reads:-0}" != 0 ]; then
	echo "bench: the audited agent did not audit and count exactly every GET, or the other" \
		"audited or counted some: the comparison is meaningless" >&2
	rc=1
fi
exit $rc
