# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers of tests/bench/run.sh (sourced): statistics over the figures of
# the rounds, and starting and stopping the agents under test. They use
# WORK (the run's temporary directory), CREDAGENTD, CRED and the arrays
# AGENT_PID and AGENT_FLAGS that run.sh sets up.
# shellcheck disable=SC2004,SC2034,SC2154 # AGENT_PID is associative; PERF_TXT is run.sh's

die() {
	echo "bench: $*" >&2
	exit 1
}

# median LIST [FORMAT]: the median of space-separated numbers ("n/a" when
# there are none).
median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk -v f="${2:-%.2f}" '{ v[NR] = $1 }
		END { if (NR == 0) { print "n/a"; exit }
		      printf f, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# range LIST [FORMAT]: "lo-hi".
range() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk -v f="${2:-%.2f}" 'NR == 1 { lo = $1 } { hi = $1 }
		END { if (NR == 0) print "n/a"; else printf f "-" f, lo, hi }'
}
# div A B [FORMAT]: A / B, or n/a.
div() {
	awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b + 0 <= 0) print "n/a"; else printf f, a / b }'
}
# cmp A OP B: true when the comparison holds (false when either is n/a).
cmp() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		if (a == "n/a" || b == "n/a") exit 1
		a += 0; b += 0
		exit !((op == "<" && a < b) || (op == "<=" && a <= b) || (op == ">=" && a >= b))
	}'
}

# CPU time (ns) the live threads of process $1 have used so far, from the
# scheduler: time spent waiting for a CPU taken by other load not counted.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}

# wait_idle NAME: wait (at most 2 s) until agent NAME uses under 1% of a
# CPU over 20 ms: its writer has committed what the last run left.
wait_idle() {
	local pid=${AGENT_PID[$1]} i c0 c1
	for ((i = 0; i < 100; i++)); do
		c0=$(cpu_ns "$pid")
		sleep 0.02
		c1=$(cpu_ns "$pid")
		[ $((c1 - c0)) -lt 200000 ] && return 0
	done
	return 0
}

# status_kib PID FIELD: a /proc/PID/status figure in KiB (VmRSS, RssAnon...).
status_kib() {
	awk -v f="$2:" '$1 == f { print $2; found = 1 } END { if (!found) print "n/a" }' \
		/proc/"$1"/status 2>/dev/null
}

# start_agent NAME [FLAGS...]: a foreground agent on $WORK/NAME/state
# (which may hold a bulk-loaded store) and $WORK/NAME/sock.
start_agent() {
	local name=$1 dir=$WORK/$1 i
	shift
	mkdir -p "$dir"
	"$CREDAGENTD" -f -s "$dir/sock" -d "$dir/state" "${AGENT_FLAGS[@]}" "$@" \
		>"$dir/agent.log" 2>&1 </dev/null &
	AGENT_PID[$name]=$!
	for ((i = 0; i < 500; i++)); do
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

# start_ssh_agent: ssh-agent -D on $WORK/ssh/sock holding one ed25519 key
# (so list-identities answers with a key, as a user's agent would).
start_ssh_agent() {
	local dir=$WORK/ssh i
	mkdir -p "$dir"
	ssh-keygen -q -t ed25519 -N '' -C bench -f "$dir/id" >/dev/null ||
		die "ssh-keygen failed"
	ssh-agent -D -a "$dir/sock" >"$dir/agent.log" 2>&1 </dev/null &
	AGENT_PID[ssh]=$!
	for ((i = 0; i < 250; i++)); do
		[ -S "$dir/sock" ] && break
		kill -0 "${AGENT_PID[ssh]}" 2>/dev/null || break
		sleep 0.02
	done
	SSH_AUTH_SOCK=$dir/sock ssh-add -q "$dir/id" >"$dir/add.log" 2>&1 ||
		die "ssh-agent did not start or ssh-add failed: $(cat "$dir/agent.log" "$dir/add.log")"
}

stop_ssh_agent() {
	kill -TERM "${AGENT_PID[ssh]}" 2>/dev/null
	wait "${AGENT_PID[ssh]}" 2>/dev/null
	unset 'AGENT_PID[ssh]'
}

# perf_profile AGENT KEY OUT: perf record (cpu-clock, call graphs) of the
# agent's process while one client process GETs KEY in a loop for a few
# seconds; the flat profile by shared object and symbol, and by shared
# object alone, go to OUT. Optional (BENCH_PERF=1): needs perf and the
# right to profile the agent (root, or perf_event_paranoid <= 1).
perf_profile() {
	local name=$1 key=$2 out=$3 pid=${AGENT_PID[$1]} data=$WORK/perf.data gb
	"$BENCH_BIN/getbench" -P -s "$WORK/$name/sock" -k "$key" -n 1000000 -w 200 -t 5 \
		>"$WORK/perf-load.out" 2>&1 &
	gb=$!
	sleep 0.5
	if ! perf record -q -F 2999 -g -p "$pid" -o "$data" -- sleep 4 >"$WORK/perf.log" 2>&1; then
		wait "$gb"
		echo "bench: note: perf record failed: $(tail -2 "$WORK/perf.log")" >&2
		PERF_TXT=
		return 0
	fi
	wait "$gb" || die "the GET loop under perf failed: $(cat "$WORK/perf-load.out")"
	{
		echo "# perf record -F 2999 -g -p <agent $name> -- sleep 4, during one getbench"
		echo "# client process GETting $key in a loop:"
		echo "#   $(grep clients= "$WORK/perf-load.out")"
		echo "# By shared object:"
		perf report -i "$data" --stdio --no-children --sort dso -g none 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -n 12
		perf report -i "$data" --stdio --no-children --sort dso,symbol -g none \
			--percent-limit 0.2 2>/dev/null | grep -v '^#' | grep -v '^$' >"$WORK/perf-sym.txt"
		echo "# Kernel symbols (self time, % of all the agent's samples; in a VM without a"
		echo "# PMU, cpu-clock samples taken with interrupts off land where they come back on:"
		echo "# finish_task_switch stands for the switch and wake-up path):"
		grep -F '[kernel.kallsyms]' "$WORK/perf-sym.txt" | head -n 12
		echo "# User-space symbols (self time, % of all the agent's samples):"
		grep -vF '[kernel.kallsyms]' "$WORK/perf-sym.txt" | head -n 30
	} >"$out"
}
