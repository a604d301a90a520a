/* SPDX-License-Identifier: MIT */
/* cred status */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "client/cli/cli.h"

static void
format_uptime(uint64_t s, char *buf, size_t size)
{
	if (s >= 86400)
		snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m", s / 86400,
		         s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", s / 3600,
		         s % 3600 / 60, s % 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
}

static void
format_size(uint64_t n, char *buf, size_t size)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, size, "%" PRIu64 " bytes", n);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s (%" PRIu64 " bytes)", v, units[u], n);
}

static int
print_status(struct cli *cli, const struct cred_status *s)
{
	const char *note = cred_message(cli->conn);
	char up[64], sz[64];

	if (cli->json)
		return cli_json_print(
		        cli, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:o}", "version", s->version,
		                       "mode", s->system_mode ? "system" : "user", "locked",
		                       s->locked, "uptime", (json_int_t)s->uptime, "secrets",
		                       (json_int_t)s->secrets, "store_bytes",
		                       (json_int_t)s->store_bytes, "message",
		                       note[0] != '\0' ? json_string(note) : json_null()));
	format_uptime(s->uptime, up, sizeof(up));
	format_size(s->store_bytes, sz, sizeof(sz));
	printf("agent:      credagentd %s\n"
	       "socket:     %s\n"
	       "mode:       %s\n"
	       "locked:     %s\n"
	       "uptime:     %s\n"
	       "secrets:    %" PRIu64 "\n"
	       "store size: %s\n",
	       s->version, cred_socket_path(cli->conn), s->system_mode ? "system" : "user",
	       s->locked ? "yes" : "no", up, s->secrets, sz);
	if (note[0] != '\0')
		printf("warning:    %s\n", note);
	return 0;
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct cred_status *s = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': cli->json = true; break;
		case 'h': cli_command_usage(cli_command_find("status"), false); return 0;
		default: return cli_option_error(cli, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	r = cli_connect(cli);
	if (r != 0)
		return r;
	r = cred_status_get(cli->conn, &s);
	if (r < 0)
		return cli_lib_error(cli, r, NULL);
	r = print_status(cli, s);
	cred_status_free(s);
	return r;
}
