/* SPDX-License-Identifier: MIT */
/*
 * spawnbench: a whole command as one round trip, for make bench (cred get
 * beside ssh-add -l and /bin/true).
 *
 *   spawnbench [-n RUNS] [-w WARMUP] [-t LIMIT] [--] CMD [ARG...]
 *
 * Runs CMD (looked up in PATH) RUNS times (default 100) after WARMUP
 * untimed runs (default 5), one after another, each timed from
 * posix_spawnp() to waitpid(), with stdin and stdout on /dev/null and
 * stderr inherited, in this process's environment. A run that does not
 * exit 0 fails the whole. Prints the line described in bench.h
 * (clients=1) followed by child_cpu=Xus, the CPU time (user and system,
 * from wait4) of one run of CMD, averaged over all runs: unlike the
 * times, it does not count waiting for a CPU taken by other load. Exit
 * status: 0 ran, 1 failed, 2 usage.
 */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define SPAWNBENCH_E_STATUS (-1000)

extern char **environ;

struct spawnbench {
	char **argv;
	int null_fd;
	posix_spawn_file_actions_t fa;
	uint64_t child_ns; /* CPU time of all runs */
	char why[120];
};

static int
sp_open(void *arg, unsigned long idx, void **ret_state)
{
	(void)idx;
	*ret_state = arg;
	return 0;
}

static int
sp_once(void *state)
{
	struct spawnbench *sp = state;
	struct rusage ru;
	int status = 0, r;
	pid_t pid;

	r = posix_spawnp(&pid, sp->argv[0], &sp->fa, NULL, sp->argv, environ);
	if (r != 0)
		return -r;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -errno;
	sp->child_ns += (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
	                (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(sp->why, sizeof(sp->why), "%s: %s %d", sp->argv[0],
	         WIFSIGNALED(status) ? "killed by signal" : "exit status",
	         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return SPAWNBENCH_E_STATUS;
}

static void
sp_close(void *state)
{
	(void)state;
}

static void
sp_extra(void *arg, unsigned long served, char *buf, size_t size)
{
	const struct spawnbench *sp = arg;

	if (served > 0)
		snprintf(buf, size, " child_cpu=%.1fus",
		         (double)sp->child_ns / (double)served / 1000.0);
}

static const char *
sp_describe(void *state, int err)
{
	struct spawnbench *sp = state;

	return err == SPAWNBENCH_E_STATUS && sp != NULL ? sp->why : strerror(-err);
}

int
main(int argc, char **argv)
{
	static const struct bench_ops ops = {sp_open, sp_once, sp_close, sp_describe, sp_extra};
	struct bench_opts o = {.clients = 1, .requests = 100, .warmup = 5, .limit_s = 60};
	struct spawnbench sp = {0};
	int c, r, bad = 0;

	while ((c = getopt(argc, argv, "+n:w:t:")) != -1) {
		switch (c) {
		case 'n':
			bad |= bench_parse_ul(optarg, 1, BENCH_REQUESTS_MAX, "-n", &o.requests);
			break;
		case 'w':
			bad |= bench_parse_ul(optarg, 0, BENCH_REQUESTS_MAX, "-w", &o.warmup);
			break;
		case 't':
			bad |= bench_parse_ul(optarg, 1, BENCH_LIMIT_MAX, "-t", &o.limit_s);
			break;
		default: bad = 1; break;
		}
	}
	if (bad || optind >= argc) {
		fprintf(stderr,
		        "usage: spawnbench [-n RUNS] [-w WARMUP] [-t LIMIT] [--] CMD [ARG...]\n");
		return 2;
	}
	sp.argv = argv + optind;
	sp.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (sp.null_fd < 0 || posix_spawn_file_actions_init(&sp.fa) != 0 ||
	    posix_spawn_file_actions_adddup2(&sp.fa, sp.null_fd, STDIN_FILENO) != 0 ||
	    posix_spawn_file_actions_adddup2(&sp.fa, sp.null_fd, STDOUT_FILENO) != 0) {
		fprintf(stderr, "spawnbench: cannot set up /dev/null: %s\n", strerror(errno));
		return 1;
	}
	r = bench_run("spawnbench", &o, &ops, &sp);
	posix_spawn_file_actions_destroy(&sp.fa);
	close(sp.null_fd);
	return r == 0 ? 0 : 1;
}
