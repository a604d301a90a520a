/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_BENCH_BENCH_H
#define CREDAGENT_BENCH_BENCH_H

/*
 * The shared half of the benchmark programs (getbench, echo-floor,
 * sshbench, spawnbench, syncfloor): a run of CLIENTS threads, or with
 * procs set CLIENTS forked processes, each with its own connection, each
 * timing up to REQUESTS round trips with CLOCK_MONOTONIC, and one result
 * line:
 *
 *   clients=C requests=N wall=W.WWWs throughput=T/s p50=Xus p90=Yus p99=Zus
 *       client_cpu=Uus [EXTRA]
 *
 * client_cpu is the CPU time (user and system) the clients used in their
 * timed loops, per request; EXTRA is what the program's extra() adds.
 * REQUESTS is per client; the line gives the total completed. Each client
 * first connects and does WARMUP untimed round trips, then all start
 * together at a barrier. A client stops early at the wall-time LIMIT
 * (counted from the barrier): the line then ends in " stopped=time-limit"
 * and a note goes to stderr. When a client fails, its error goes to
 * stderr and no result line is printed. Connecting or a round trip that
 * hangs 30 s past LIMIT ends the process (exit 1) with a message.
 */

#include <stddef.h>
#include <stdint.h>

/* Largest -n and -c the programs accept (samples are kept in memory). */
#define BENCH_REQUESTS_MAX 1000000ul
#define BENCH_CLIENTS_MAX  64ul
#define BENCH_LIMIT_MAX    3600ul

struct bench_opts {
	unsigned long clients;
	unsigned long requests; /* per client */
	unsigned long warmup;   /* per client, untimed */
	unsigned long limit_s;  /* wall-time limit in seconds */
	int procs;              /* 1: each client in its own process */
};

/*
 * What one client does; every callback runs in the client's own thread
 * (with procs: in its own process, forked after bench_run() starts, so
 * open() makes its connection there).
 * open() gets ARG and the client's index and makes *ret_state (its
 * connection); once() does one round trip; close() accepts what open()
 * made. open() and once() return 0 or a negative error that describe()
 * turns into text (STATE may be NULL when open() failed).
 */
struct bench_ops {
	int (*open)(void *arg, unsigned long idx, void **ret_state);
	int (*once)(void *state);
	void (*close)(void *state);
	const char *(*describe)(void *state, int err);
	/* Optional: text for the end of the result line (" name=value"),
	 * given the requests served, the untimed warm-ups included. */
	void (*extra)(void *arg, unsigned long served, char *buf, size_t size);
};

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/* Parse a decimal number from MIN to MAX: 0, or -1 with a message on
 * stderr naming WHAT. */
int bench_parse_ul(const char *s, unsigned long min, unsigned long max, const char *what,
                   unsigned long *ret);

/* Run the clients and print the result line on stdout. 0 when every client
 * ran (a time-limit stop included), -1 when one failed (its error on
 * stderr, as PROG: client I: ...; a client process that died is a failure
 * too). */
int bench_run(const char *prog, const struct bench_opts *o, const struct bench_ops *ops, void *arg);

#endif
