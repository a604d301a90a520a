# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The report of tests/bench/run.sh (sourced): the human summary and the
# JSON result, from the arrays run.sh filled (RES, RATIO, ONE, CPU, GETS)
# and its settings. Nothing here measures anything.

# fig KEY FIELD [FORMAT]: the median over the rounds.
fig() {
	median "${RES[$1/$2]:-}" "${3:-%.1f}"
}
# paired NAME: "median (lo-hi)" of a per-round ratio.
paired() {
	[ -n "${RATIO[$1]:-}" ] || { echo "n/a"; return; }
	printf '%s (%s)' "$(median "${RATIO[$1]}")" "$(range "${RATIO[$1]}")"
}
# of_medians NAME: the ratio of the medians, from RATIO_DEFS.
of_medians() {
	local def name num den field
	for def in "${RATIO_DEFS[@]}"; do
		read -r name num den field <<<"$def"
		[ "$name" = "$1" ] || continue
		div "$(median "${RES[$num/$field]:-}" %.3f)" "$(median "${RES[$den/$field]:-}" %.3f)"
		return
	done
	echo "n/a"
}
kib_mib() {
	awk -v k="$1" 'BEGIN { if (k == "n/a" || k == "") print "n/a"; else printf "%.1f MiB", k / 1024 }'
}

# lat_row LABEL KEY [RATIO LABEL]: p50, p99, throughput, a paired ratio.
lat_row() {
	local r=""
	[ -n "${3:-}" ] && r="$(paired "$3") $4"
	printf '  %-38s %9sus %9sus %9s/s  %s\n' "$1" "$(fig "$2" p50)" "$(fig "$2" p99)" \
		"$(fig "$2" thr %.0f)" "$r"
}
# proc_row LABEL KEY [RATIO LABEL]: p50, p99, the command's CPU, a ratio.
proc_row() {
	local r=""
	[ -n "${3:-}" ] && r="$(paired "$3") $4"
	printf '  %-38s %9sus %9sus %9sus  %s\n' "$1" "$(fig "$2" p50)" "$(fig "$2" p99)" \
		"$(fig "$2" scpu)" "$r"
}
thr_row() {
	printf '  %-38s %12s %12s %12s\n' "$1" "$(fig "$2/1" thr %.0f)/s" "$(fig "$2/2" thr %.0f)/s" \
		"$(fig "$2/$C" thr %.0f)/s"
}
ratio_row() {
	printf '  %-38s %12s %12s %12s\n' "$1" "$(median "${RATIO[${2}1]:-}")" \
		"$(median "${RATIO[${2}2]:-}")" "$(median "${RATIO[$2$C]:-}")"
}
# cpu_row LABEL KEY: client and server CPU per request, their sum, p50.
cpu_row() {
	local cc sc
	cc=$(fig "$2" ccpu %.2f) sc=$(fig "$2" scpu %.2f)
	printf '  %-38s %9sus %9sus %9sus %9sus\n' "$1" "$cc" "$sc" \
		"$(awk -v a="$cc" -v b="$sc" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.1f", a + b }')" \
		"$(fig "$2" p50)"
}
per_get() {
	awk -v ns="${CPU[$1/$2]:-0}" -v n="${GETS[$1/$2]:-0}" 'BEGIN { printf "%.2f", n ? ns / n / 1000 : 0 }'
}

# The DESIGN §10 targets: TGT_TEXT, TGT_FIG (as shown), TGT_VAL (the
# number compared), TGT_MET (yes, no, n/a), in order.
TGT_TEXT=() TGT_FIG=() TGT_VAL=() TGT_MET=() TGT_LIMIT=()
target() { # TEXT VALUE OP LIMIT SHOWN
	local met=no shown=$5
	if [ "$2" = n/a ]; then
		met=n/a shown="not measured"
	elif cmp "$2" "$3" "$4"; then
		met=yes
	fi
	TGT_TEXT+=("$1") TGT_VAL+=("$2") TGT_FIG+=("$shown") TGT_MET+=("$met") TGT_LIMIT+=("$3 $4")
}
eval_targets() {
	local v
	TGT_TEXT=() TGT_FIG=() TGT_VAL=() TGT_MET=() TGT_LIMIT=()
	v=$(median "${RATIO[get_p50_vs_echo]:-}" %.3f)
	target "GET 32 B, 1 connection, audit on: p50 <= 1.6x echo floor" "$v" "<=" 1.6 "$(median "${RATIO[get_p50_vs_echo]:-}")x"
	v=$(median "${RATIO[getpin_p50_vs_echo]:-}" %.3f)
	target "... the same, all on one CPU (pinned)" "$v" "<=" 1.6 "$(median "${RATIO[getpin_p50_vs_echo]:-}")x"
	v=$(median "${RATIO[get_p50_vs_ssh]:-}" %.3f)
	target "... and below ssh-agent's list-identities p50" "$v" "<" 1 "$(median "${RATIO[get_p50_vs_ssh]:-}")x"
	v=$(fig cred/1 p50 %.1f)
	target "cred get, whole process: median <= 0.5 ms" "$v" "<=" 500 "$(awk -v v="$v" -v e="$(fig empty/1 p50 %.1f)" 'BEGIN { printf "%.2f ms (empty static program %.2f ms)", v / 1000, e / 1000 }')"
	v=$(median "${RATIO[get_vs_ssh_thr_c$C]:-}" %.3f)
	target "$C-client GET throughput >= ssh-agent's" "$v" ">=" 1 "$(median "${RATIO[get_vs_ssh_thr_c$C]:-}")x"
	v=$(median "${RATIO[get_1m_vs_1k_p50]:-}" %.3f)
	target "$BENCH_SECRETS secrets: GET p50 within 1.15x of 1,000" "$v" "<=" 1.15 "$(median "${RATIO[get_1m_vs_1k_p50]:-}")x (random names $(median "${RATIO[spread_1m_vs_1k_p50]:-}")x)"
	v=$(median "${RATIO[get_1m_vs_1k_pin_p50]:-}" %.3f)
	target "... the same, pinned to one CPU" "$v" "<=" 1.15 "$(median "${RATIO[get_1m_vs_1k_pin_p50]:-}")x"
	v=$(fig "put/$C" thr %.0f)
	target ">= 5,000 durable PUTs/s from $C writers" "$v" ">=" 5000 "$v/s"
	v=$(fig start_old rss %.0f)
	target "idle agent RSS < 4 MiB" "$v" "<" 4096 "$(kib_mib "$v")"
	v=$(fig start_old ready %.2f)
	target "ready < 20 ms with a keyfile slot" "$v" "<" 20 "$v ms"
}

report_summary() {
	local i
	eval_targets
	echo
	echo "== summary: medians of $ROUNDS_DONE rounds$([ "$ROUNDS_DONE" != "$BENCH_ROUNDS" ] &&
		echo " (of $BENCH_ROUNDS: time budget)"); paired ratios: median (range) of the per-round ratios"
	echo "   machine: $(nproc) CPUs, $(uname -r), load $LOAD_START at start, $LOAD_END at end; ${ONE[wall_s]} s"
	echo
	printf '%-40s %11s %11s %11s  %s\n' "one connection, 1 client process" p50 p99 throughput "paired ratio"
	lat_row "echo floor, 32 B, two processes" echo32/1
	lat_row "GET 32 B, auditing on" on/1 get_p50_vs_echo "x echo"
	lat_row "GET 32 B, auditing off" off/1 get_off_p50_vs_echo "x echo"
	[ "$HAVE_SSH" = 1 ] && lat_row "ssh-agent list-identities (1 key)" ssh/1 get_p50_vs_ssh "GET / ssh-agent"
	lat_row "echo floor, 32 B, pinned to one CPU" echo32pin/1
	lat_row "GET 32 B, pinned to one CPU" onpin/1 getpin_p50_vs_echo "x echo, pinned"
	lat_row "GET 32 B, $BENCH_SECRETS-secret store, pinned" m1pin/1 get_1m_vs_1k_pin_p50 "x 1k store, pinned"
	[ "$HAVE_SSH" = 1 ] && lat_row "ssh-agent, pinned to one CPU" sshpin/1 getpin_p50_vs_ssh "GET / ssh-agent, pinned"
	lat_row "echo floor, 32 B up, 4 KiB back" echo4k/1
	lat_row "GET 4 KiB, auditing on" on4k/1 get4k_p50_vs_echo4k "x echo 4K"
	lat_row "GET 32 B, $BENCH_SECRETS-secret store" m1/1 get_1m_vs_1k_p50 "x 1k store"
	lat_row "GET random names of $SMALL" k1N/1
	lat_row "GET random names of $BENCH_SECRETS" m1N/1 spread_1m_vs_1k_p50 "x $SMALL"
	lat_row "GET random names of $SMALL, audit off" offN/1 spread_audit_on_off_p50 "on/off"
	echo
	printf '%-40s %11s %11s %11s %11s\n' "CPU per request, 1 client process" client server sum p50
	cpu_row "echo floor, 32 B" echo32/1
	cpu_row "GET 32 B, auditing on" on/1
	cpu_row "GET 32 B, auditing off" off/1
	[ "$HAVE_SSH" = 1 ] && cpu_row "ssh-agent list-identities" ssh/1
	cpu_row "echo floor, 32 B, pinned" echo32pin/1
	cpu_row "GET 32 B, pinned" onpin/1
	[ "$HAVE_SSH" = 1 ] && cpu_row "ssh-agent, pinned" sshpin/1
	cpu_row "echo floor, 32 B up, 4 KiB back" echo4k/1
	cpu_row "GET 4 KiB" on4k/1
	cpu_row "GET random names of $BENCH_SECRETS" m1N/1
	printf '  %-38s %35s  %s x echo floor\n' "GET 32 B, CPU sum, paired" "" "$(paired get_cpu_vs_echo)"
	echo
	printf '%-40s %12s %12s %12s\n' "throughput, client processes" 1 2 "$C"
	thr_row "echo floor, 32 B" echo32
	thr_row "GET, auditing on" on
	thr_row "GET, auditing off" off
	if [ "$HAVE_SSH" = 1 ]; then
		thr_row "ssh-agent list-identities" ssh
		ratio_row "GET / ssh-agent (paired)" get_vs_ssh_thr_c
		ratio_row "ssh-agent / echo floor (paired)" ssh_vs_echo_thr_c
	fi
	ratio_row "GET / echo floor (paired)" get_vs_echo_thr_c
	echo
	printf '%-40s %11s %11s %11s  %s\n' "durable writes" p50 p99 throughput "paired ratio"
	lat_row "sync floor: 4 KiB pwrite + fdatasync" sync/1
	lat_row "PUT 32 B, 1 writer" put/1 put1_vs_sync_thr "thr x sync floor"
	lat_row "PUT 32 B, $C writers" "put/$C" putC_vs_put1_thr "thr x 1 writer"
	printf '  %-38s %35s  %s thr x sync floor\n' "" "" "$(paired putC_vs_sync_thr)"
	echo
	printf '%-40s %11s %11s %11s  %s\n' "whole process, $BENCH_SPAWNS runs a round" p50 p99 "its CPU" "paired ratio"
	proc_row "empty program, static" empty/1
	proc_row "/bin/true" true/1
	proc_row "cred --version" credver/1
	proc_row "cred get (1k store)" cred/1 cred_vs_true_p50 "x /bin/true"
	printf '  %-38s %35s  %s x cred --version\n' "" "" "$(paired cred_vs_credver_p50)"
	printf '  %-38s %35s  %s x empty, static\n' "" "" "$(paired cred_vs_empty_p50)"
	[ "$HAVE_SSH" = 1 ] && proc_row "ssh-add -l (1 key)" sshadd/1 cred_vs_sshadd_p50 "cred get / ssh-add"
	printf '  %-38s %35s  %s x /bin/true\n' "cred get's CPU, paired" "" "$(paired cred_vs_true_cpu)"
	printf '  %-38s %35s  %s x empty, static\n' "" "" "$(paired cred_vs_empty_cpu)"
	printf '  %-38s %35s  %s x cred --version\n' "" "" "$(paired cred_vs_credver_cpu)"
	[ "$HAVE_SSH" = 1 ] &&
		printf '  %-38s %35s  %s x ssh-add -l\n' "" "" "$(paired cred_vs_sshadd_cpu)"
	echo
	echo "start and memory ($BENCH_STARTS starts each; RSS 100 ms after READY=1)"
	for i in start_new:"new store (makes keyfile, store)" start_old:"existing store" \
		start_arena1m:"existing, --arena-size 1M" start_m1:"$BENCH_SECRETS-secret store"; do
		printf '  ready, %-31s %7s ms (%s)  VmRSS %s (anon %s, file %s, locked %s; Pss %s)\n' \
			"${i#*:}" "$(fig "${i%%:*}" ready %.2f)" "$(range "${RES[${i%%:*}/ready]:-}" %.1f)" \
			"$(kib_mib "$(fig "${i%%:*}" rss %.0f)")" "$(kib_mib "$(fig "${i%%:*}" anon %.0f)")" \
			"$(kib_mib "$(fig "${i%%:*}" file %.0f)")" "$(kib_mib "$(fig "${i%%:*}" locked %.0f)")" \
			"$(kib_mib "$(fig "${i%%:*}" pss %.0f)")"
	done
	printf '  %s-secret agent VmRSS: %s at start, %s after the rounds (anon %s, file %s)\n' \
		"$BENCH_SECRETS" "$(kib_mib "${ONE[m1_rss_start]}")" "$(kib_mib "${ONE[m1_after_VmRSS]}")" \
		"$(kib_mib "${ONE[m1_after_RssAnon]}")" "$(kib_mib "${ONE[m1_after_RssFile]}")"
	[ "$HAVE_SSH" = 1 ] && printf '  ssh-agent VmRSS with one key: %s (anon %s, file %s)\n' \
		"$(kib_mib "${ONE[ssh_VmRSS]}")" "$(kib_mib "${ONE[ssh_RssAnon]}")" "$(kib_mib "${ONE[ssh_RssFile]}")"
	printf '  bulk load: %s secrets in %s s (%s/s), store %s\n' "$BENCH_SECRETS" "${ONE[load_s]}" \
		"${ONE[load_rate]}" "$(kib_mib "$(awk -v b="${ONE[m1_store_bytes]}" 'BEGIN { print b / 1024 }')")"
	echo
	printf '%-40s %12s %12s %12s\n' "auditing (issue 6), paired" 1 2 "$C"
	ratio_row "throughput audit-off/on (<= 1.5)" audit_off_on_thr_c
	ratio_row "GET p50 audit-on/off" audit_on_off_p50_c
	printf '  %-38s %12s %12s %12s\n' "agent CPU per GET, on/off (us)" \
		"$(per_get on 1)/$(per_get off 1)" "$(per_get on 2)/$(per_get off 2)" "$(per_get on "$C")/$(per_get off "$C")"
	echo "  audit check: agent on audited $ON_AUDIT of $AUDITED_EXPECTED GETs of $KEY (in $ON_RECORDS" \
		"folded records), usage count $ON_READS; agent off audited ${OFF_AUDIT:-0}, usage count ${OFF_READS:-0}"
	[ "$STOPPED" = 1 ] && echo "  note: at least one run stopped at the ${BENCH_LIMIT}s limit; its figures cover fewer requests"
	echo
	printf '%-58s %-34s %s\n' "DESIGN §10 target" "measured (median)" met
	for i in "${!TGT_TEXT[@]}"; do
		printf '  %-56s %-34s %s\n' "${TGT_TEXT[$i]}" "${TGT_FIG[$i]}" "${TGT_MET[$i]}"
	done
}

# ---- JSON ----
jnum() {
	case $1 in '' | n/a) printf 'null' ;; *) printf '%s' "$1" ;; esac
}
jlist() {
	local v out="" sep=""
	for v in $1; do
		out+="$sep$(jnum "$v")"
		sep=","
	done
	printf '[%s]' "$out"
}
jstr() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

report_json() {
	local k sep i name
	eval_targets
	printf '{\n  "bench": "credagent make bench",\n  "format": 1,\n'
	printf '  "date": %s,\n' "$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
	printf '  "machine": {"cpus": %s, "kernel": %s, "cpu": %s, "mem_kib": %s, "load_start": %s, "load_end": %s},\n' \
		"$(nproc)" "$(jstr "$(uname -r)")" \
		"$(jstr "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)")" \
		"$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" "$(jstr "$LOAD_START")" "$(jstr "$LOAD_END")"
	printf '  "params": {"rounds": %s, "rounds_asked": %s, "budget_s": %s, "requests": %s, "clients": [1, 2, %s], "warmup": %s, "puts": %s, "spawns": %s, "starts": %s, "secrets_small": %s, "secrets_big": %s, "limit_s": %s},\n' \
		"$ROUNDS_DONE" "$BENCH_ROUNDS" "$BENCH_BUDGET" "$BENCH_REQUESTS" "$C" "$BENCH_WARMUP" "$BENCH_PUTS" "$BENCH_SPAWNS" \
		"$BENCH_STARTS" "$SMALL" "$BENCH_SECRETS" "$BENCH_LIMIT"
	printf '  "units": {"thr": "per second", "p50": "us", "p99": "us", "cpu": "us per request", "ready": "ms", "rss": "KiB", "anon": "KiB", "file": "KiB", "locked": "KiB", "pss": "KiB"},\n'
	printf '  "figures": {'
	sep=""
	while read -r k; do
		[ -n "$k" ] || continue
		printf '%s\n    %s: {"median": %s, "min": %s, "max": %s, "rounds": %s}' "$sep" "$(jstr "$k")" \
			"$(jnum "$(median "${RES[$k]}" %.3f)")" "$(jnum "$(range "${RES[$k]}" %.3f | cut -d- -f1)")" \
			"$(jnum "$(range "${RES[$k]}" %.3f | cut -d- -f2)")" "$(jlist "${RES[$k]}")"
		sep=","
	done < <(printf '%s\n' "${!RES[@]}" | sort)
	printf '\n  },\n  "ratios": {'
	sep=""
	while read -r k; do
		[ -n "$k" ] || continue
		printf '%s\n    %s: {"paired_median": %s, "paired_min": %s, "paired_max": %s, "of_medians": %s, "rounds": %s}' \
			"$sep" "$(jstr "$k")" "$(jnum "$(median "${RATIO[$k]}" %.3f)")" \
			"$(jnum "$(range "${RATIO[$k]}" %.3f | cut -d- -f1)")" \
			"$(jnum "$(range "${RATIO[$k]}" %.3f | cut -d- -f2)")" "$(jnum "$(of_medians "$k")")" \
			"$(jlist "${RATIO[$k]}")"
		sep=","
	done < <(printf '%s\n' "${!RATIO[@]}" | sort)
	printf '\n  },\n  "single": {'
	sep=""
	while read -r k; do
		[ -n "$k" ] || continue
		printf '%s\n    %s: %s' "$sep" "$(jstr "$k")" "$(jnum "${ONE[$k]}")"
		sep=","
	done < <(printf '%s\n' "${!ONE[@]}" | sort)
	printf '\n  },\n  "agent_cpu_us_per_get": {'
	sep=""
	for name in on off; do
		for i in 1 2 "$C"; do
			printf '%s"%s/%s": %s' "$sep" "$name" "$i" "$(per_get "$name" "$i")"
			sep=", "
		done
	done
	printf '},\n  "audit_check": {"ok": %s, "expected": %s, "on_audited": %s, "on_records": %s, "on_reads": %s, "off_audited": %s, "off_reads": %s},\n' \
		"$([ "$AUDIT_OK" = 1 ] && echo true || echo false)" "$AUDITED_EXPECTED" "$(jnum "$ON_AUDIT")" \
		"$(jnum "$ON_RECORDS")" "$(jnum "$ON_READS")" "$(jnum "${OFF_AUDIT:-0}")" "$(jnum "${OFF_READS:-0}")"
	printf '  "stopped_at_limit": %s,\n  "targets": [' "$([ "$STOPPED" = 1 ] && echo true || echo false)"
	sep=""
	for i in "${!TGT_TEXT[@]}"; do
		printf '%s\n    {"target": %s, "value": %s, "limit": %s, "shown": %s, "met": %s}' "$sep" \
			"$(jstr "${TGT_TEXT[$i]}")" "$(jnum "${TGT_VAL[$i]}")" "$(jstr "${TGT_LIMIT[$i]}")" \
			"$(jstr "${TGT_FIG[$i]}")" \
			"$(case ${TGT_MET[$i]} in yes) echo true ;; no) echo false ;; *) echo null ;; esac)"
		sep=","
	done
	printf '\n  ]\n}\n'
}
