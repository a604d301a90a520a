/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_TESTS_LIBCRED_FIXTURE_H
#define CREDAGENT_TESTS_LIBCRED_FIXTURE_H

/*
 * The cmocka fixture of the libcred tests: a connection to the fake agent
 * of libcred-fake.h over a socketpair, the agent on its own thread.
 * Include after cmocka.h and libcred-fake.h.
 */

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "client/lib/libcred-int.h"
#include "cred.h"

#define FIXTURE_MAYBE_UNUSED __attribute__((unused))

struct fixture {
	struct fake fake;
	pthread_t thread;
	cred_conn *c;
};

static FIXTURE_MAYBE_UNUSED int
fixture_up(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int sv[2];

	if (fx == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fx->fake.fd = sv[1];
	if (pthread_create(&fx->thread, NULL, fake_agent, &fx->fake) != 0)
		return -1;
	if (libcred_connect_fd(sv[0], "fake", &fx->c) < 0)
		return -1;
	*state = fx;
	return 0;
}

static FIXTURE_MAYBE_UNUSED int
fixture_close(void **state, bool check)
{
	struct fixture *fx = *state;
	int errors;

	cred_close(fx->c);
	pthread_join(fx->thread, NULL);
	errors = fx->fake.errors;
	free(fx);
	return !check || errors == 0 ? 0 : -1;
}

/* Fails the test when the fake agent saw something wrong. */
static FIXTURE_MAYBE_UNUSED int
fixture_down(void **state)
{
	return fixture_close(state, true);
}

/* The same, for tests that leave the connection broken on purpose. */
static FIXTURE_MAYBE_UNUSED int
fixture_down_unchecked(void **state)
{
	return fixture_close(state, false);
}

#endif
