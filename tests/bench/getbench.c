/* SPDX-License-Identifier: MIT */
/*
 * getbench: GET round trips through libcred, for make bench.
 *
 *   getbench -s SOCK -k KEYNAME [-n REQUESTS] [-c CLIENTS] [-w WARMUP]
 *            [-t LIMIT] [-l LEN]
 *
 * CLIENTS threads (default 1), each with its own cred_connect()
 * connection, each doing WARMUP untimed (default 200) and then REQUESTS
 * timed (default 10000) cred_get() calls of the current version of
 * KEYNAME, checking every value is LEN bytes (default 32). Stops at LIMIT
 * seconds of wall time (default 60). Prints the line described in bench.h.
 * Exit status: 0 when every client ran (a time-limit stop included), 1
 * when a request failed, 2 usage.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cred.h>

#include "bench.h"

/* Not a cred_error: the agent sent a value of another length. */
#define GETBENCH_E_LEN (-1000)

struct getbench {
	const char *sock;
	const char *key;
	size_t len;
};

struct getbench_conn {
	cred_conn *c;
	const struct getbench *g;
	char why[200];
};

static int
gb_open(void *arg, unsigned long idx, void **ret_state)
{
	struct getbench_conn *s;
	int r;

	(void)idx;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -CRED_E_NOMEM;
	s->g = arg;
	r = cred_connect(s->g->sock, &s->c);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret_state = s;
	return 0;
}

static int
gb_once(void *state)
{
	struct getbench_conn *s = state;
	struct cred_value *v = NULL;
	size_t len;
	int r;

	r = cred_get(s->c, s->g->key, 0, &v);
	if (r < 0)
		return r;
	len = v->len;
	cred_value_free(v);
	if (len != s->g->len) {
		snprintf(s->why, sizeof(s->why), "the value is %zu bytes, expected %zu", len,
		         s->g->len);
		return GETBENCH_E_LEN;
	}
	return 0;
}

static void
gb_close(void *state)
{
	struct getbench_conn *s = state;

	cred_close(s->c);
	free(s);
}

static const char *
gb_describe(void *state, int err)
{
	struct getbench_conn *s = state;
	const char *m;

	if (err == GETBENCH_E_LEN)
		return s->why;
	m = s != NULL ? cred_message(s->c) : "";
	if (s != NULL && m[0] != '\0' && strcmp(m, cred_strerror(err)) != 0) {
		snprintf(s->why, sizeof(s->why), "%s (%s)", cred_strerror(err), m);
		return s->why;
	}
	return cred_strerror(err);
}

static void
usage(void)
{
	fprintf(stderr, "usage: getbench -s SOCK -k KEYNAME [-n REQUESTS] [-c CLIENTS] "
	                "[-w WARMUP] [-t LIMIT] [-l LEN]\n");
}

int
main(int argc, char **argv)
{
	static const struct bench_ops ops = {gb_open, gb_once, gb_close, gb_describe};
	struct bench_opts o = {.clients = 1, .requests = 10000, .warmup = 200, .limit_s = 60};
	struct getbench g = {.len = 32};
	unsigned long len = 32;
	int c, bad = 0;

	while ((c = getopt(argc, argv, "s:k:n:c:w:t:l:")) != -1) {
		switch (c) {
		case 's': g.sock = optarg; break;
		case 'k': g.key = optarg; break;
		case 'n':
			bad |= bench_parse_ul(optarg, 1, BENCH_REQUESTS_MAX, "-n", &o.requests);
			break;
		case 'c':
			bad |= bench_parse_ul(optarg, 1, BENCH_CLIENTS_MAX, "-c", &o.clients);
			break;
		case 'w':
			bad |= bench_parse_ul(optarg, 0, BENCH_REQUESTS_MAX, "-w", &o.warmup);
			break;
		case 't':
			bad |= bench_parse_ul(optarg, 1, BENCH_LIMIT_MAX, "-t", &o.limit_s);
			break;
		case 'l': bad |= bench_parse_ul(optarg, 0, 1ul << 24, "-l", &len); break;
		default: bad = 1; break;
		}
	}
	if (bad || optind != argc || g.sock == NULL || g.key == NULL) {
		usage();
		return 2;
	}
	g.len = len;
	return bench_run("getbench", &o, &ops, &g) == 0 ? 0 : 1;
}
