/* SPDX-License-Identifier: MIT */
/* cred watch: wait for a secret to change. */

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "client/cli/cli.h"

enum { OPT_JSON = 0x100, OPT_TIMEOUT };

/* What people read for an event: "rotated", "rolled back", ... */
static void
event_words(int event, char *buf, size_t size)
{
	char *p;

	if (event == CRED_EVENT_REVOKED) {
		snprintf(buf, size, "access revoked");
		return;
	}
	snprintf(buf, size, "%s", cred_event_name(event));
	for (p = buf; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
}

static int
print_event(struct cli *cli, const char *ref, const struct cred_event *e)
{
	char words[64];

	if (cli->json)
		return cli_json_print(
		        cli, json_pack("{s:s, s:I, s:s, s:o, s:s}", "name", e->name, "owner",
		                       (json_int_t)e->owner, "event", cred_event_name(e->event),
		                       "version",
		                       e->version > 0 ? json_integer(e->version) : json_null(),
		                       "state", cli_state_name(e->state)));
	event_words(e->event, words, sizeof(words));
	if (e->version > 0)
		printf("%s: %s, version %u\n", ref, words, e->version);
	else
		printf("%s: %s\n", ref, words);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for one event until DEADLINE (ms, monotonic; < 0: none): 1, 0 on
 * timeout, or a negated error. */
static int
wait_event(struct cli *cli, int64_t deadline, struct cred_event *e)
{
	int64_t left;
	int r;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			left = deadline - now_ms();
			if (left < 0)
				left = 0;
			if (left > INT_MAX)
				left = INT_MAX;
		}
		r = cred_watch_next(cli->conn, (int)left, e);
		if (r != 0)
			return r;
		if (deadline >= 0 && now_ms() >= deadline)
			return 0;
	}
}

int
cmd_watch(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"timeout", required_argument, NULL, OPT_TIMEOUT},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *ref, *timeout = NULL;
	struct cred_event e;
	uint64_t secs = 0;
	int64_t deadline = -1;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == OPT_TIMEOUT) {
			timeout = optarg;
			if (util_parse_duration(optarg, &secs) < 0 || secs > INT64_MAX / 2000)
				return cli_error(cli, CRED_E_USAGE, NULL,
				                 "--timeout: expected a duration (N, Ns, Nm, Nh, "
				                 "Nd, Nw), not '%s'",
				                 optarg);
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("watch"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if ((r = cli_one_ref(cli, argc, argv, &ref)) != 0 ||
	    (r = cli_parse_ref(cli, ref, NULL, NULL)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	r = cred_watch(cli->conn, ref);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	/* The clock starts once the agent watches: nothing is missed. */
	if (timeout != NULL)
		deadline = now_ms() + (int64_t)secs * 1000;
	r = wait_event(cli, deadline, &e);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (r == 0)
		return cli_error(cli, CRED_E_FAILED, ref, "timed out after %s%s", timeout,
		                 timeout[strspn(timeout, "0123456789")] == '\0' ? "s" : "");
	return print_event(cli, ref, &e);
}
