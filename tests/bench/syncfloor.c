/* SPDX-License-Identifier: MIT */
/*
 * syncfloor: the floor of a durable write, for make bench: one 4 KiB
 * pwrite() over the start of FILE followed by fdatasync(), as a round
 * trip. DESIGN §10 bounds a single PUT writer by one sync per write; this
 * is that sync on the file system the agents' stores are on, measured in
 * the same run.
 *
 *   syncfloor -f FILE [-n REQUESTS] [-w WARMUP] [-t LIMIT]
 *
 * FILE is created (0600) if needed and left in place. Defaults: REQUESTS
 * 200, WARMUP 5, LIMIT 60 s. Prints the line described in bench.h
 * (clients=1). Exit status: 0 ran, 1 failed, 2 usage.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define PAGE 4096u

struct syncfloor {
	int fd;
	uint8_t page[PAGE];
};

static int
sf_open(void *arg, unsigned long idx, void **ret_state)
{
	(void)idx;
	*ret_state = arg;
	return 0;
}

static int
sf_once(void *state)
{
	struct syncfloor *sf = state;
	ssize_t n;

	sf->page[0]++;
	n = pwrite(sf->fd, sf->page, PAGE, 0);
	if (n != (ssize_t)PAGE)
		return n < 0 ? -errno : -EIO;
	return fdatasync(sf->fd) < 0 ? -errno : 0;
}

static void
sf_close(void *state)
{
	(void)state;
}

static const char *
sf_describe(void *state, int err)
{
	(void)state;
	return strerror(-err);
}

int
main(int argc, char **argv)
{
	static const struct bench_ops ops = {sf_open, sf_once, sf_close, sf_describe, NULL};
	static struct syncfloor sf;
	struct bench_opts o = {.clients = 1, .requests = 200, .warmup = 5, .limit_s = 60};
	const char *file = NULL;
	int c, r, bad = 0;

	while ((c = getopt(argc, argv, "f:n:w:t:")) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
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
	if (bad || optind != argc || file == NULL) {
		fprintf(stderr, "usage: syncfloor -f FILE [-n REQUESTS] [-w WARMUP] [-t LIMIT]\n");
		return 2;
	}
	sf.fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sf.fd < 0) {
		fprintf(stderr, "syncfloor: cannot open %s: %s\n", file, strerror(errno));
		return 1;
	}
	r = bench_run("syncfloor", &o, &ops, &sf);
	close(sf.fd);
	return r == 0 ? 0 : 1;
}
