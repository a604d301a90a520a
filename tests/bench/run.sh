#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench: the figures of DESIGN §10 and issue 6, each against a floor or
# a peer measured in the same run, interleaved. See docs/PERFORMANCE.md.
#
# Builds nothing (make does). The Makefile sets CREDAGENTD, CRED, BENCH_BIN
# (getbench, echo-floor, sshbench, syncfloor, spawnbench, startbench),
# TOOLS (bulk-load) and BENCH_OUT (where results go); run by hand, the
# script falls back to build/. Knobs:
#   BENCH_ROUNDS    rounds; every figure is the median over them (default 25)
#   BENCH_BUDGET    seconds the rounds may take (default 180): on a busy
#                   machine the rounds stop early, after at least 5, so
#                   that make bench stays under 5 minutes
#   BENCH_REQUESTS  timed round trips in each GET, echo and ssh-agent run,
#                   shared out among its clients (default 5000)
#   BENCH_CLIENTS   the largest client count (default 8; 1 and 2 always run)
#   BENCH_WARMUP    untimed requests per client before each run (default 200)
#   BENCH_PUTS      durable PUTs in each PUT run, shared out (default 96)
#   BENCH_SPAWNS    runs of each whole command per round (default 20)
#   BENCH_STARTS    agent starts timed, per kind of start (default 11)
#   BENCH_SECRETS   secrets in the big store (default 1000000)
#   BENCH_LIMIT     wall-time limit of one run, in seconds (default 60)
#   BENCH_PERF      1: profile the agent with perf during a GET loop
#   BENCH_VERBOSE   1: print every run's line (they always go to runs.log)
#
# Outline: bulk-load four stores (1,000 secrets three times, BENCH_SECRETS
# once); time agent starts; start the agents (on: auditing on, the
# default; off: --bench-no-read-audit; k1 and m1: the 1,000 and the big
# store, for GETs of random names; put: for writes) and ssh-agent with one
# key; then BENCH_ROUNDS rounds, each running every group of BENCH_GROUPS
# once, the members of a group back to back in an order that rotates from
# round to round, so that drift and other tenants' load hit each member of
# a pair alike; then check that the audited agent audited every GET, and
# report medians and paired ratios (results.txt and results.json in
# BENCH_OUT, every run's line in runs.log).
#
# Exit status: 0 when everything ran, 1 when something failed to run (an
# agent did not start or died, a request failed, the audit check failed).
# Never on a performance figure: figures are reported, not asserted.

set -u
set -o pipefail

TOP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/bench/lib.sh
. "$TOP_DIR/tests/bench/lib.sh"
# shellcheck source=tests/bench/report.sh
. "$TOP_DIR/tests/bench/report.sh"

CREDAGENTD=${CREDAGENTD:-$TOP_DIR/build/bin/credagentd}
CRED=${CRED:-$TOP_DIR/build/bin/cred}
BENCH_BIN=${BENCH_BIN:-$TOP_DIR/build/bench}
TOOLS=${TOOLS:-$TOP_DIR/build/tools}
BENCH_OUT=${BENCH_OUT:-$BENCH_BIN}
BENCH_ROUNDS=${BENCH_ROUNDS:-25}
BENCH_BUDGET=${BENCH_BUDGET:-180}
BENCH_REQUESTS=${BENCH_REQUESTS:-5000}
BENCH_CLIENTS=${BENCH_CLIENTS:-8}
BENCH_WARMUP=${BENCH_WARMUP:-200}
BENCH_PUTS=${BENCH_PUTS:-96}
BENCH_SPAWNS=${BENCH_SPAWNS:-20}
BENCH_STARTS=${BENCH_STARTS:-11}
BENCH_SECRETS=${BENCH_SECRETS:-1000000}
BENCH_LIMIT=${BENCH_LIMIT:-60}
BENCH_PERF=${BENCH_PERF:-0}
BENCH_VERBOSE=${BENCH_VERBOSE:-0}
KEY=bench/secret
KEY4K=bench/secret4k
SMALL=1000 # secrets bulk-loaded into the on, off and k1 stores

# Nothing from the caller's environment may pick another agent.
unset CRED_SOCK XDG_RUNTIME_DIR NOTIFY_SOCKET LISTEN_FDS LISTEN_PID SSH_AUTH_SOCK SSH_AGENT_PID

for n in BENCH_ROUNDS BENCH_BUDGET BENCH_REQUESTS BENCH_CLIENTS BENCH_WARMUP BENCH_PUTS BENCH_SPAWNS \
	BENCH_STARTS BENCH_SECRETS BENCH_LIMIT BENCH_PERF BENCH_VERBOSE; do
	case ${!n} in '' | *[!0-9]*) die "$n must be a number, not '${!n}'" ;; esac
done
[ "$BENCH_ROUNDS" -ge 1 ] || die "BENCH_ROUNDS must be at least 1"
[ "$BENCH_CLIENTS" -ge 3 ] || die "BENCH_CLIENTS must be at least 3 (1 and 2 clients always run)"
[ "$BENCH_REQUESTS" -ge "$BENCH_CLIENTS" ] || die "BENCH_REQUESTS must be at least BENCH_CLIENTS"
[ "$BENCH_PUTS" -ge "$BENCH_CLIENTS" ] || die "BENCH_PUTS must be at least BENCH_CLIENTS"
if [ "$BENCH_SPAWNS" -lt 1 ] || [ "$BENCH_STARTS" -lt 1 ]; then
	die "BENCH_SPAWNS and BENCH_STARTS must be at least 1"
fi
if [ "$BENCH_SECRETS" -lt "$SMALL" ] || [ "$BENCH_SECRETS" -gt 9999999 ]; then
	die "BENCH_SECRETS must be from $SMALL to 9999999"
fi
for f in "$CREDAGENTD" "$CRED" "$TOOLS/bulk-load" "$BENCH_BIN"/{getbench,echo-floor,sshbench,syncfloor,spawnbench,startbench,empty-static} \
	"$BENCH_BIN/../lib/libcred.so.1"; do
	[ -e "$f" ] || die "$f is missing: run make bench"
done
HAVE_SSH=1
for p in ssh-agent ssh-add ssh-keygen; do
	command -v "$p" >/dev/null || HAVE_SSH=0
done
[ "$HAVE_SSH" = 1 ] || echo "bench: note: no ssh-agent/ssh-add/ssh-keygen (openssh-client): the ssh-agent figures are left out" >&2
SSH_ADD=$(command -v ssh-add || echo ssh-add)
if [ "$BENCH_PERF" = 1 ] && ! command -v perf >/dev/null; then
	echo "bench: note: BENCH_PERF=1 but no perf (apt-get install linux-perf): no profile" >&2
	BENCH_PERF=0
fi

mkdir -p "$BENCH_OUT" || die "cannot create $BENCH_OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/credbench.XXXXXX") || die "cannot create a temporary directory"
RUNLOG=$BENCH_OUT/runs.log
: >"$RUNLOG"
declare -A AGENT_PID=()

# Run copies: a rebuild of the build directory during the run (other work
# on the tree) then changes nothing, and perf can still read the agent's
# symbols. getbench finds libcred.so.1 in ../lib, as in the build tree.
SNAP=$WORK/snap
mkdir -p "$SNAP/bin" "$SNAP/lib" "$SNAP/bench" || die "cannot create $SNAP"
if ! cp "$CREDAGENTD" "$CRED" "$SNAP/bin/" ||
	! cp "$BENCH_BIN"/{getbench,echo-floor,sshbench,syncfloor,spawnbench,startbench,empty-static} \
		"$TOOLS/bulk-load" "$SNAP/bench/" ||
	! cp "$BENCH_BIN/../lib/libcred.so.1" "$SNAP/lib/"; then
	die "cannot copy the programs to $SNAP"
fi
CREDAGENTD=$SNAP/bin/${CREDAGENTD##*/}
CRED=$SNAP/bin/${CRED##*/}
BENCH_BIN=$SNAP/bench
TOOLS=$SNAP/bench

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
C=$BENCH_CLIENTS
# The affinity to give back to an agent after a pinned run.
ALL_CPUS=$(taskset -p $$ | awk '{ print $NF }')

# RES[KIND/CLIENTS/FIELD] collects one figure per round (space-separated),
# FIELD one of thr, p50, p99, ccpu and scpu (client and server CPU per
# request) and cpu (their sum); LAST holds the latest; RATIO[NAME] the per-round (paired)
# ratios; ONE[NAME] single figures; CPU and GETS the on and off agents'
# CPU time and GETs served over all rounds.
declare -A RES=() LAST=() RATIO=() ONE=() CPU=() GETS=()
STOPPED=0
AUDITED_EXPECTED=0

log_run() {
	echo "$*" >>"$RUNLOG"
	[ "$BENCH_VERBOSE" = 1 ] && echo "  $*"
	return 0
}

# measure KIND CLIENTS: one run of KIND with CLIENTS client processes;
# its line goes to the run log, its figures to RES and LAST.
measure() {
	local kind=$1 c=$2 key=$1/$2 line thr p50 p99 count ccpu scpu agent='' cpu0=0 cpu1
	local n=$((BENCH_REQUESTS / $2)) w=$BENCH_WARMUP pin=''
	local -a cmd tail=()
	# KINDpin: the same run with the client, the server and all the
	# server's threads on CPU 0 (see "pinned" in docs/PERFORMANCE.md).
	case $kind in *pin) pin=1 kind=${kind%pin} ;; esac
	case $kind in
	sync | put) n=$((BENCH_PUTS / c)) w=5 ;;
	true | empty | credver | cred | sshadd) n=$BENCH_SPAWNS w=2 ;;
	esac
	local -a opts=(-n "$n" -w "$w" -t "$BENCH_LIMIT")
	case $kind in
	echo32) cmd=("$BENCH_BIN/echo-floor" -p -P -b 32 -c "$c") ;;
	echo4k) cmd=("$BENCH_BIN/echo-floor" -p -P -q 32 -b 4096 -c "$c") ;;
	on | off | m1) agent=$kind; cmd=("$BENCH_BIN/getbench" -P -s "$WORK/$kind/sock" -k "$KEY" -c "$c") ;;
	on4k) agent=on; cmd=("$BENCH_BIN/getbench" -P -s "$WORK/on/sock" -k "$KEY4K" -l 4096 -c "$c") ;;
	k1N | offN) agent=${kind%N}; cmd=("$BENCH_BIN/getbench" -P -s "$WORK/$agent/sock" -k bench/s -N "$SMALL" -c "$c") ;;
	m1N) agent=m1; cmd=("$BENCH_BIN/getbench" -P -s "$WORK/m1/sock" -k bench/s -N "$BENCH_SECRETS" -c "$c") ;;
	ssh) agent=ssh; cmd=("$BENCH_BIN/sshbench" -P -s "$WORK/ssh/sock" -K 1 -c "$c") ;;
	sync) cmd=("$BENCH_BIN/syncfloor" -f "$WORK/put/syncfloor") ;;
	put) agent=put; cmd=("$BENCH_BIN/getbench" -P -m put -s "$WORK/put/sock" -k bench/put -c "$c") ;;
	true) cmd=("$BENCH_BIN/spawnbench") tail=(-- /bin/true) ;;
	empty) cmd=("$BENCH_BIN/spawnbench") tail=(-- "$BENCH_BIN/empty-static") ;;
	credver) cmd=("$BENCH_BIN/spawnbench") tail=(-- "$CRED" --version) ;;
	cred) cmd=(env "CRED_SOCK=$WORK/on/sock" "$BENCH_BIN/spawnbench") tail=(-- "$CRED" get bench/s0000001) ;;
	sshadd) cmd=(env "SSH_AUTH_SOCK=$WORK/ssh/sock" "$BENCH_BIN/spawnbench") tail=(-- "$SSH_ADD" -l) ;;
	*) die "unknown kind $kind" ;;
	esac
	cmd+=("${opts[@]}" "${tail[@]}")
	[ -n "$pin" ] && cmd=(taskset -c 0 "${cmd[@]}")
	if [ -n "$agent" ]; then
		kill -0 "${AGENT_PID[$agent]}" 2>/dev/null || die "agent $agent died; log: $(tail -5 "$WORK/$agent/agent.log")"
		[ -n "$pin" ] && { taskset -a -p -c 0 "${AGENT_PID[$agent]}" >/dev/null || die "taskset"; }
		cpu0=$(cpu_ns "${AGENT_PID[$agent]}")
	fi
	line=$("${cmd[@]}" 2>>"$RUNLOG") || die "${cmd[*]} failed (status $?); see $RUNLOG"
	if [ -n "$pin" ] && [ -n "$agent" ]; then
		taskset -a -p "$ALL_CPUS" "${AGENT_PID[$agent]}" >/dev/null || die "taskset"
	fi
	log_run "$(printf '%-8s %s' "$key" "$line")"
	thr=$(sed -n 's/.* throughput=\([0-9.]*\)\/s.*/\1/p' <<<"$line")
	p50=$(sed -n 's/.* p50=\([0-9.]*\)us.*/\1/p' <<<"$line")
	p99=$(sed -n 's/.* p99=\([0-9.]*\)us.*/\1/p' <<<"$line")
	count=$(sed -n 's/.* requests=\([0-9]*\) .*/\1/p' <<<"$line")
	if [ -z "$thr" ] || [ -z "$p50" ] || [ -z "$p99" ] || [ -z "$count" ]; then
		die "cannot parse: $line"
	fi
	case $line in *stopped=time-limit*) STOPPED=1 ;; esac
	# CPU per request: the clients' own (client_cpu), and the server's,
	# the echo server's as echo-floor reports it or the agent's (all its
	# threads, warm-ups included) from the scheduler; for a whole command,
	# the command's own (child_cpu) goes in the server's place.
	ccpu=$(sed -n 's/.* client_cpu=\([0-9.]*\)us.*/\1/p' <<<"$line")
	scpu=$(sed -n 's/.* \(server\|child\)_cpu=\([0-9.]*\)us.*/\2/p' <<<"$line")
	if [ -n "$agent" ]; then
		cpu1=$(cpu_ns "${AGENT_PID[$agent]}")
		scpu=$(awk -v ns=$((cpu1 - cpu0)) -v n=$((count + c * w)) 'BEGIN { printf "%.2f", ns / n / 1000 }')
	fi
	case $kind in true | empty | credver | cred | sshadd) ccpu= ;; esac
	[ -n "$ccpu" ] && RES[$key/ccpu]+="$ccpu "
	[ -n "$scpu" ] && RES[$key/scpu]+="$scpu " && LAST[$key/scpu]=$scpu
	if [ -n "$ccpu" ] && [ -n "$scpu" ]; then
		LAST[$key/cpu]=$(awk -v a="$ccpu" -v b="$scpu" 'BEGIN { printf "%.2f", a + b }')
		RES[$key/cpu]+="${LAST[$key/cpu]} "
	fi
	if [ "$kind" = on ] || [ "$kind" = off ]; then
		CPU[$key]=$((${CPU[$key]:-0} + cpu1 - cpu0))
		GETS[$key]=$((${GETS[$key]:-0} + count + c * w))
	fi
	[ "$kind" = on ] && AUDITED_EXPECTED=$((AUDITED_EXPECTED + count + c * w))
	RES[$key/thr]+="$thr "
	RES[$key/p50]+="$p50 "
	RES[$key/p99]+="$p99 "
	LAST[$key/thr]=$thr
	LAST[$key/p50]=$p50
}

# The groups of a round: members run back to back, in an order rotated
# by the round number. Each entry is KIND@CLIENTS.
S=""
[ "$HAVE_SSH" = 1 ] && S=ssh
BENCH_GROUPS=(
	"echo32@1 on@1 off@1 m1@1 ${S:+ssh@1}"
	"echo32pin@1 onpin@1 m1pin@1 ${S:+sshpin@1}"
	"echo4k@1 on4k@1"
	"k1N@1 m1N@1 offN@1"
	"echo32@2 on@2 off@2 ${S:+ssh@2}"
	"echo32@$C on@$C off@$C ${S:+ssh@$C}"
	"sync@1 put@1 put@$C"
	"empty@1 true@1 credver@1 cred@1 ${S:+sshadd@1}"
)

# Paired ratios, NAME NUMERATOR DENOMINATOR FIELD, from each round's runs.
RATIO_DEFS=(
	"get_p50_vs_echo on/1 echo32/1 p50"
	"getpin_p50_vs_echo onpin/1 echo32pin/1 p50"
	"getpin_p50_vs_ssh onpin/1 sshpin/1 p50"
	"get_1m_vs_1k_pin_p50 m1pin/1 onpin/1 p50"
	"get_cpu_vs_echo on/1 echo32/1 cpu"
	"get_off_p50_vs_echo off/1 echo32/1 p50"
	"get_p50_vs_ssh on/1 ssh/1 p50"
	"get4k_p50_vs_echo4k on4k/1 echo4k/1 p50"
	"get_1m_vs_1k_p50 m1/1 on/1 p50"
	"spread_1m_vs_1k_p50 m1N/1 k1N/1 p50"
	"spread_audit_on_off_p50 k1N/1 offN/1 p50"
	"put1_vs_sync_thr put/1 sync/1 thr"
	"putC_vs_put1_thr put/$C put/1 thr"
	"putC_vs_sync_thr put/$C sync/1 thr"
	"cred_vs_true_p50 cred/1 true/1 p50"
	"cred_vs_credver_p50 cred/1 credver/1 p50"
	"cred_vs_sshadd_p50 cred/1 sshadd/1 p50"
	"cred_vs_true_cpu cred/1 true/1 scpu"
	"cred_vs_empty_p50 cred/1 empty/1 p50"
	"cred_vs_empty_cpu cred/1 empty/1 scpu"
	"cred_vs_credver_cpu cred/1 credver/1 scpu"
	"cred_vs_sshadd_cpu cred/1 sshadd/1 scpu"
)
for c in 1 2 "$C"; do
	RATIO_DEFS+=(
		"get_vs_echo_thr_c$c on/$c echo32/$c thr"
		"ssh_vs_echo_thr_c$c ssh/$c echo32/$c thr"
		"get_vs_ssh_thr_c$c on/$c ssh/$c thr"
		"audit_off_on_thr_c$c off/$c on/$c thr"
		"audit_on_off_p50_c$c on/$c off/$c p50"
	)
done

paired_ratios() {
	local def name num den field
	for def in "${RATIO_DEFS[@]}"; do
		read -r name num den field <<<"$def"
		if [ -z "${LAST[$num/$field]:-}" ] || [ -z "${LAST[$den/$field]:-}" ]; then
			continue
		fi
		RATIO[$name]+="$(div "${LAST[$num/$field]}" "${LAST[$den/$field]}" %.3f) "
	done
}

now_s() { date +%s.%N; }
T_START=$(now_s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== credagent bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -r), load $LOAD_START"
echo "   rounds=$BENCH_ROUNDS requests/run=$BENCH_REQUESTS clients=1,2,$C warmup=$BENCH_WARMUP" \
	"puts/run=$BENCH_PUTS spawns/round=$BENCH_SPAWNS starts=$BENCH_STARTS secrets=$SMALL,$BENCH_SECRETS"
echo "   per-run lines: $RUNLOG"

# ---- stores: bulk-loaded, not put one by one ----
echo "-- loading stores ($SMALL secrets three times, $BENCH_SECRETS once)"
for a in on off k1; do
	mkdir -p "$WORK/$a"
	"$TOOLS/bulk-load" "$WORK/$a/state" "$SMALL" bench/s >>"$RUNLOG" 2>&1 ||
		die "bulk-load of $SMALL secrets failed; see $RUNLOG"
done
mkdir -p "$WORK/m1" "$WORK/put" "$WORK/start"
line=$("$TOOLS/bulk-load" "$WORK/m1/state" "$BENCH_SECRETS" bench/s 2>&1) ||
	die "bulk-load of $BENCH_SECRETS secrets failed: $line"
echo "   $line"
ONE[load_s]=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' <<<"$line")
ONE[load_rate]=$(sed -n 's/.* s (\([0-9]*\)\/s).*/\1/p' <<<"$line")
ONE[m1_store_bytes]=$(sed -n 's/.* store \([0-9]*\) bytes.*/\1/p' <<<"$line")

# ---- agent starts: new store (first start: keyfile and store made),
# existing store (and again with the smallest arena), and the big store;
# default flags otherwise, NOTIFY_SOCKET as under systemd ----
echo "-- timing $BENCH_STARTS starts of each kind"
start_once() {
	local kind=$1 dir=$2 line f
	shift 2
	line=$("$BENCH_BIN/startbench" -- "$CREDAGENTD" -f -s "$WORK/start/sock" -d "$dir" "$@" \
		2>>"$WORK/start/agent.log") || die "startbench ($kind) failed: $(tail -3 "$WORK/start/agent.log")"
	log_run "$(printf '%-8s %s' "$kind" "$line")"
	RES[$kind/ready]+="$(sed -n 's/^ready=\([0-9.]*\)ms.*/\1/p' <<<"$line") "
	for f in rss anon file locked pss; do
		RES[$kind/$f]+="$(sed -n "s/.* $f=\([0-9]*\)kB.*/\1/p" <<<"$line") "
	done
}
for ((i = 1; i <= BENCH_STARTS; i++)); do
	rm -rf "$WORK/start/state"
	start_once start_new "$WORK/start/state"
	start_once start_old "$WORK/start/state"
	# What the locked arena (8 MiB by default) adds to the RSS.
	start_once start_arena1m "$WORK/start/state" --arena-size 1M
	((i <= 3)) && start_once start_m1 "$WORK/m1/state"
done

# ---- the agents under test ----
start_agent on
start_agent off --bench-no-read-audit
start_agent k1
start_agent m1
start_agent put
[ "$HAVE_SSH" = 1 ] && start_ssh_agent
head -c 32 /dev/urandom >"$WORK/value" || die "cannot read /dev/urandom"
head -c 4096 /dev/urandom >"$WORK/value4k" || die "cannot read /dev/urandom"
for a in on off m1; do
	CRED_SOCK=$WORK/$a/sock "$CRED" put "$KEY" <"$WORK/value" >"$WORK/put.out" 2>&1 ||
		die "cred put $KEY into agent $a failed: $(cat "$WORK/put.out")"
done
CRED_SOCK=$WORK/on/sock "$CRED" put "$KEY4K" <"$WORK/value4k" >"$WORK/put.out" 2>&1 ||
	die "cred put $KEY4K failed: $(cat "$WORK/put.out")"
ONE[m1_rss_start]=$(status_kib "${AGENT_PID[m1]}" VmRSS)

# ---- the rounds ----
T_ROUNDS=$(now_s)
ROUNDS_DONE=0
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	t0=$(now_s)
	for g in "${BENCH_GROUPS[@]}"; do
		read -ra members <<<"$g"
		k=${#members[@]}
		for ((j = 0; j < k; j++)); do
			m=${members[$(((j + r) % k))]}
			measure "${m%@*}" "${m#*@}"
		done
		# GETs of many names leave unfolded audit records and usage
		# counters: let the writer commit them before the next group.
		case $g in *N@*) wait_idle k1 && wait_idle m1 ;; esac
	done
	paired_ratios
	ROUNDS_DONE=$r
	t1=$(now_s)
	printf -- '-- round %d/%d: %.1f s\n' "$r" "$BENCH_ROUNDS" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	# Stop when another round of the mean length would pass the budget.
	if ((r >= 5 && r < BENCH_ROUNDS)) && awk -v s="$T_ROUNDS" -v t="$t1" -v r="$r" -v b="$BENCH_BUDGET" \
		'BEGIN { exit !((t - s) * (r + 1) / r > b) }'; then
		echo "-- stopping after $r rounds: the next would pass BENCH_BUDGET=${BENCH_BUDGET}s"
		break
	fi
done

# ---- after the rounds: memory, the audit check, the profile ----
for f in VmRSS RssAnon RssFile VmLck; do
	ONE[m1_after_$f]=$(status_kib "${AGENT_PID[m1]}" "$f")
	ONE[on_after_$f]=$(status_kib "${AGENT_PID[on]}" "$f")
	[ "$HAVE_SSH" = 1 ] && ONE[ssh_$f]=$(status_kib "${AGENT_PID[ssh]}" "$f")
done

# The comparison means something only if the audited agent audited (and
# counted) every GET of KEY and the other none. The writer commits within
# 50 ms.
sleep 0.3
audit_gets() {
	CRED_SOCK=$WORK/$1/sock "$CRED" --json audit --summary --name "$KEY" --op get --status OK |
		sed -n 's/.*"count":\([0-9]*\).*/\1/p' | head -1
}
audit_records() {
	CRED_SOCK=$WORK/$1/sock "$CRED" --json audit --name "$KEY" --op get --status OK | grep -o '"seq"' | wc -l
}
usage_reads() {
	CRED_SOCK=$WORK/$1/sock "$CRED" --json info "$KEY" |
		sed -n 's/.*"reads":\([0-9]*\).*/\1/p' | head -1
}
ON_AUDIT=$(audit_gets on) || die "cred audit on agent on failed"
OFF_AUDIT=$(audit_gets off) || die "cred audit on agent off failed"
ON_RECORDS=$(audit_records on) || die "cred audit on agent on failed"
ON_READS=$(usage_reads on)
OFF_READS=$(usage_reads off)

PERF_TXT=
if [ "$BENCH_PERF" = 1 ]; then
	PERF_TXT=$BENCH_OUT/perf-get.txt
	perf_profile on "$KEY" "$PERF_TXT"
fi

for a in on off k1 m1 put; do
	stop_agent "$a"
done
[ "$HAVE_SSH" = 1 ] && stop_ssh_agent
ONE[wall_s]=$(awk -v a="$T_START" -v b="$(now_s)" 'BEGIN { printf "%.0f", b - a }')
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

rc=0
AUDIT_OK=1
if [ "${ON_AUDIT:-0}" != "$AUDITED_EXPECTED" ] || [ "${ON_READS:-0}" != "$AUDITED_EXPECTED" ] ||
	[ "${OFF_AUDIT:-0}" != 0 ] || [ "${OFF_READS:-0}" != 0 ]; then
	AUDIT_OK=0
	rc=1
fi
report_summary | tee "$BENCH_OUT/results.txt"
report_json >"$BENCH_OUT/results.json" || die "cannot write $BENCH_OUT/results.json"
echo "results: $BENCH_OUT/results.txt, $BENCH_OUT/results.json${PERF_TXT:+, $PERF_TXT}"
if [ "$AUDIT_OK" = 0 ]; then
	echo "bench: the audited agent did not audit and count exactly every GET of $KEY, or the" \
		"other audited or counted some: the comparison is meaningless" >&2
fi
exit $rc
