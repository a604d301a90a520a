/* SPDX-License-Identifier: MIT */
/* The client threads or processes, timing and percentiles shared by the
 * benchmarks. */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* Beyond the limit, how long a hung round trip may take before the whole
 * process gives up (connecting and warming up count against it too). */
#define HANG_GRACE_S 30u /* as in on_alarm()'s message */

struct client {
	unsigned long idx;
	const struct bench_opts *o;
	const struct bench_ops *ops;
	void *arg;
	pthread_barrier_t *start;
	uint64_t *samples; /* ns per round trip */
	unsigned long done;
	uint64_t end_ns;
	int err;           /* 0, or what failed */
	const char *where; /* "connect", "warm-up", "request" */
	char msg[256];
	int stopped;     /* 1: hit the wall-time limit */
	uint64_t cpu_ns; /* CPU time of the timed loop */
};

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int
bench_parse_ul(const char *s, unsigned long min, unsigned long max, const char *what,
               unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "bad %s: %s (%lu to %lu)\n", what, s, min, max);
		return -1;
	}
	*ret = v;
	return 0;
}

static void
client_fail(struct client *cl, void *state, int err, const char *where)
{
	const char *d = cl->ops->describe(state, err);

	cl->err = err;
	cl->where = where;
	snprintf(cl->msg, sizeof(cl->msg), "%s", d != NULL ? d : "failed");
}

/* Time the requests; the caller has connected and passed the barrier. */
static void
client_measure(struct client *cl, void *state)
{
	uint64_t cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = bench_now_ns(), t1;
	uint64_t deadline = t0 + (uint64_t)cl->o->limit_s * 1000000000u;
	unsigned long i;
	int r;

	for (i = 0; i < cl->o->requests; i++) {
		if (t0 >= deadline) {
			cl->stopped = 1;
			break;
		}
		r = cl->ops->once(state);
		t1 = bench_now_ns();
		if (r < 0) {
			client_fail(cl, state, r, "request");
			break;
		}
		cl->samples[i] = t1 - t0;
		t0 = t1;
	}
	cl->done = i;
	cl->end_ns = bench_now_ns();
	cl->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
}

static void *
client_main(void *p)
{
	struct client *cl = p;
	void *state = NULL;
	unsigned long i;
	int r;

	r = cl->ops->open(cl->arg, cl->idx, &state);
	if (r < 0)
		client_fail(cl, NULL, r, "connect");
	for (i = 0; r == 0 && i < cl->o->warmup; i++) {
		r = cl->ops->once(state);
		if (r < 0)
			client_fail(cl, state, r, "warm-up");
	}
	/* Everyone reaches the barrier, failed or not, so none waits forever. */
	pthread_barrier_wait(cl->start);
	if (r == 0)
		client_measure(cl, state);
	else
		cl->end_ns = bench_now_ns();
	if (state != NULL)
		cl->ops->close(state);
	return NULL;
}

static void
on_alarm(int sig)
{
	static const char msg[] =
	        "bench: connecting or a round trip hung 30 s past the wall-time limit; giving up\n";
	ssize_t w;

	(void)sig;
	w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)w;
	_exit(1);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of N sorted samples, in microseconds. */
static double
pct_us(const uint64_t *sorted, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0.0;
	rank = (size_t)((double)n * p + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)sorted[rank - 1] / 1000.0;
}

/* Merge, sort and print (the result line only when no client failed);
 * returns how many clients failed. */
static int
report(const char *prog, const struct bench_opts *o, const struct bench_ops *ops, void *arg,
       struct client *cls, uint64_t start_ns)
{
	size_t total = 0, k = 0;
	uint64_t end_ns = start_ns, cpu_ns = 0, *all;
	char extra[256] = "";
	int failed = 0, stopped = 0;
	unsigned long i;
	double wall;

	for (i = 0; i < o->clients; i++) {
		total += cls[i].done;
		if (cls[i].end_ns > end_ns)
			end_ns = cls[i].end_ns;
		stopped |= cls[i].stopped;
		cpu_ns += cls[i].cpu_ns;
		if (cls[i].err != 0) {
			failed++;
			fprintf(stderr, "%s: client %lu: %s failed after %lu requests: %s\n", prog,
			        i, cls[i].where, cls[i].done, cls[i].msg);
		}
	}
	if (failed)
		return failed;
	all = calloc(total > 0 ? total : 1, sizeof(*all));
	if (all == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	for (i = 0; i < o->clients; i++) {
		memcpy(all + k, cls[i].samples, cls[i].done * sizeof(*all));
		k += cls[i].done;
	}
	qsort(all, total, sizeof(*all), cmp_u64);
	wall = (double)(end_ns - start_ns) / 1e9;
	if (ops->extra != NULL)
		ops->extra(arg, total + o->clients * o->warmup, extra, sizeof(extra));
	printf("clients=%lu requests=%zu wall=%.3fs throughput=%.0f/s p50=%.1fus p90=%.1fus "
	       "p99=%.1fus client_cpu=%.2fus%s%s\n",
	       o->clients, total, wall, wall > 0 ? (double)total / wall : 0.0,
	       pct_us(all, total, 0.50), pct_us(all, total, 0.90), pct_us(all, total, 0.99),
	       total > 0 ? (double)cpu_ns / (double)total / 1000.0 : 0.0, extra,
	       stopped ? " stopped=time-limit" : "");
	fflush(stdout);
	if (stopped)
		fprintf(stderr,
		        "%s: stopped at the %lu s wall-time limit after %zu of %lu requests\n",
		        prog, o->limit_s, total, o->clients * o->requests);
	free(all);
	return failed;
}

/*
 * The clients, their samples and the start barrier live in one shared
 * anonymous mapping, so that forked clients fill them in for the parent
 * just as threads do.
 */
struct shared {
	pthread_barrier_t start;
	size_t size;
	struct client cls[];
};

static struct shared *
shared_new(const struct bench_opts *o)
{
	size_t head = sizeof(struct shared) + o->clients * sizeof(struct client), size;
	pthread_barrierattr_t attr;
	struct shared *sh;
	unsigned long i;
	uint64_t *samples;
	int r;

	head = (head + 63) & ~(size_t)63;
	size = head + o->clients * o->requests * sizeof(uint64_t);
	sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return NULL;
	sh->size = size;
	samples = (uint64_t *)(void *)((uint8_t *)sh + head);
	for (i = 0; i < o->clients; i++)
		sh->cls[i] = (struct client){.idx = i,
		                             .o = o,
		                             .start = &sh->start,
		                             .samples = samples + i * o->requests};
	r = pthread_barrierattr_init(&attr);
	if (r == 0) {
		r = pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
		if (r == 0)
			r = pthread_barrier_init(&sh->start, &attr, (unsigned)o->clients + 1);
		pthread_barrierattr_destroy(&attr);
	}
	if (r != 0) {
		munmap(sh, size);
		return NULL;
	}
	return sh;
}

/* Fork one client process: it dies with the parent, whatever way that
 * goes, and reports through the shared mapping. */
static pid_t
fork_client(struct client *cl)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	client_main(cl);
	_exit(0);
}

/* Wait for client process I; one that did not exit 0 has failed. */
static void
reap_client(struct client *cl, pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (cl->err == 0) {
		cl->err = -ECHILD;
		cl->where = "process";
		if (WIFSIGNALED(status))
			snprintf(cl->msg, sizeof(cl->msg), "killed by signal %d", WTERMSIG(status));
		else
			snprintf(cl->msg, sizeof(cl->msg), "exited with status %d",
			         WEXITSTATUS(status));
	}
}

int
bench_run(const char *prog, const struct bench_opts *o, const struct bench_ops *ops, void *arg)
{
	struct shared *sh;
	pthread_t *tids;
	pid_t *pids;
	unsigned long i;
	uint64_t start_ns;
	int failed;

	signal(SIGALRM, on_alarm);
	alarm((unsigned)(o->limit_s + HANG_GRACE_S));
	sh = shared_new(o);
	tids = calloc(o->clients, sizeof(*tids));
	pids = calloc(o->clients, sizeof(*pids));
	if (sh == NULL || tids == NULL || pids == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	for (i = 0; i < o->clients; i++) {
		sh->cls[i].ops = ops;
		sh->cls[i].arg = arg;
		/* The barrier counts on every client: no way to go on. */
		if (o->procs && (pids[i] = fork_client(&sh->cls[i])) < 0) {
			fprintf(stderr, "%s: cannot fork client %lu: %s\n", prog, i,
			        strerror(errno));
			exit(1);
		}
		if (!o->procs && pthread_create(&tids[i], NULL, client_main, &sh->cls[i]) != 0) {
			fprintf(stderr, "%s: cannot start client thread %lu\n", prog, i);
			exit(1);
		}
	}
	pthread_barrier_wait(&sh->start);
	start_ns = bench_now_ns();
	for (i = 0; i < o->clients; i++) {
		if (o->procs)
			reap_client(&sh->cls[i], pids[i]);
		else
			pthread_join(tids[i], NULL);
	}
	alarm(0);
	failed = report(prog, o, ops, arg, sh->cls, start_ns);
	pthread_barrier_destroy(&sh->start);
	munmap(sh, sh->size);
	free(tids);
	free(pids);
	return failed == 0 ? 0 : -1;
}
