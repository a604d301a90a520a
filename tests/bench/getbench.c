/* SPDX-License-Identifier: MIT */
/*
 * getbench: GET (or PUT) round trips through libcred, for make bench.
 *
 *   getbench -s SOCK -k KEYNAME [-P] [-N COUNT] [-m get|put] [-n REQUESTS]
 *            [-c CLIENTS] [-w WARMUP] [-t LIMIT] [-l LEN]
 *
 * CLIENTS threads (default 1), or with -P processes, each with its own
 * cred_connect() connection, each doing WARMUP untimed (default 200) and
 * then REQUESTS timed (default 10000) requests:
 *   get  cred_get() of the current version of KEYNAME, checking every
 *        value is LEN bytes (default 32). With -N COUNT each request names
 *        KEYNAME followed by a 7-digit index drawn at random below COUNT
 *        (the names tests/tools/bulk-load makes), a different sequence in
 *        each client.
 *   put  cred_put() of a LEN-byte random value as a new version of
 *        KEYNAME/I, I the client's index: each PUT is a durable write.
 * Stops at LIMIT seconds of wall time (default 60). Prints the line
 * described in bench.h. Exit status: 0 when every client ran (a time-limit
 * stop included), 1 when a request failed, 2 usage.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cred.h>

#include "bench.h"

/* Not a cred_error: the agent sent a value of another length. */
#define GETBENCH_E_LEN (-1000)
#define VALUE_MAX      (1ul << 20)
#define SPREAD_MAX     9999999ul /* 7 digits */

struct getbench {
	const char *sock;
	const char *key;
	size_t len;
	unsigned long spread; /* 0: always KEYNAME */
	int put;
};

struct getbench_conn {
	cred_conn *c;
	const struct getbench *g;
	uint64_t rng;
	uint8_t *value; /* put: what each PUT stores */
	char ref[300];
	char why[800];
};

/* xorshift64*: a different, repeatable sequence of names per client. */
static unsigned long
next_index(struct getbench_conn *s, unsigned long n)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (unsigned long)((s->rng * 0x2545f4914f6cdd1dull) >> 11) % n;
}

static int
gb_open(void *arg, unsigned long idx, void **ret_state)
{
	struct getbench_conn *s;
	size_t i;
	int r;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -CRED_E_NOMEM;
	s->g = arg;
	s->rng = 0x9e3779b97f4a7c15ull * (idx + 1);
	snprintf(s->ref, sizeof(s->ref), s->g->put ? "%s/%lu" : "%s", s->g->key, idx);
	if (s->g->put) {
		s->value = malloc(s->g->len > 0 ? s->g->len : 1);
		if (s->value == NULL) {
			free(s);
			return -CRED_E_NOMEM;
		}
		for (i = 0; i < s->g->len; i++)
			s->value[i] = (uint8_t)next_index(s, 256);
	}
	r = cred_connect(s->g->sock, &s->c);
	if (r < 0) {
		free(s->value);
		free(s);
		return r;
	}
	*ret_state = s;
	return 0;
}

static int
gb_get(struct getbench_conn *s)
{
	struct cred_value *v = NULL;
	size_t len;
	int r;

	if (s->g->spread > 0)
		snprintf(s->ref, sizeof(s->ref), "%s%07lu", s->g->key, next_index(s, s->g->spread));
	r = cred_get(s->c, s->ref, 0, &v);
	if (r < 0)
		return r;
	len = v->len;
	cred_value_free(v);
	if (len != s->g->len) {
		snprintf(s->why, sizeof(s->why), "%s: the value is %zu bytes, expected %zu", s->ref,
		         len, s->g->len);
		return GETBENCH_E_LEN;
	}
	return 0;
}

static int
gb_once(void *state)
{
	struct getbench_conn *s = state;

	if (s->g->put)
		return cred_put(s->c, s->ref, s->value, s->g->len, NULL, NULL);
	return gb_get(s);
}

static void
gb_close(void *state)
{
	struct getbench_conn *s = state;

	cred_close(s->c);
	free(s->value);
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
		snprintf(s->why, sizeof(s->why), "%s: %s (%s)", s->ref, cred_strerror(err), m);
		return s->why;
	}
	return cred_strerror(err);
}

static void
usage(void)
{
	fprintf(stderr, "usage: getbench -s SOCK -k KEYNAME [-P] [-N COUNT] [-m get|put] "
	                "[-n REQUESTS] [-c CLIENTS] [-w WARMUP] [-t LIMIT] [-l LEN]\n");
}

int
main(int argc, char **argv)
{
	static const struct bench_ops ops = {gb_open, gb_once, gb_close, gb_describe, NULL};
	struct bench_opts o = {.clients = 1, .requests = 10000, .warmup = 200, .limit_s = 60};
	struct getbench g = {.len = 32};
	unsigned long len = 32;
	int c, bad = 0;

	while ((c = getopt(argc, argv, "s:k:PN:m:n:c:w:t:l:")) != -1) {
		switch (c) {
		case 's': g.sock = optarg; break;
		case 'k': g.key = optarg; break;
		case 'P': o.procs = 1; break;
		case 'N': bad |= bench_parse_ul(optarg, 1, SPREAD_MAX, "-N", &g.spread); break;
		case 'm':
			g.put = strcmp(optarg, "put") == 0;
			bad |= !g.put && strcmp(optarg, "get") != 0;
			break;
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
		case 'l': bad |= bench_parse_ul(optarg, 0, VALUE_MAX, "-l", &len); break;
		default: bad = 1; break;
		}
	}
	if (bad || optind != argc || g.sock == NULL || g.key == NULL || (g.put && g.spread)) {
		usage();
		return 2;
	}
	g.len = len;
	return bench_run("getbench", &o, &ops, &g) == 0 ? 0 : 1;
}
