/* SPDX-License-Identifier: MIT */
/* JSON output with jansson; every block jansson frees is zeroed first. */

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli/cli.h"
#include "common/zero.h"

/* `get --json` passes a value through jansson's strings and its dump
 * buffer: wipe each block on release, whatever it held. Never inlined:
 * where the compiler knows a block's requested size, FORTIFY would take
 * wiping its usable size for an overflow. */
static __attribute__((noinline)) void
zfree(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void
cli_json_init(void)
{
	json_set_alloc_funcs(malloc, zfree);
}

int
cli_json_print(struct cli *cli, json_t *j)
{
	char *s;
	size_t n;
	int r;

	if (j == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	n = strlen(s);
	s[n] = '\n';
	/* Straight to the descriptor: no stdio buffer keeps a copy. */
	fflush(stdout);
	r = cli_write_all(STDOUT_FILENO, s, n + 1);
	s[n] = '\0';
	zfree(s);
	if (r < 0)
		return cli_error(cli, CRED_E_FAILED, NULL, "writing output: %s", strerror(-r));
	return 0;
}

json_t *
cli_json_time(int64_t t)
{
	char buf[CLI_TIME_LEN];

	if (t == 0)
		return json_null();
	cli_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
cli_json_labels(char *const *labels)
{
	json_t *o = json_object();
	const char *eq;
	size_t i;

	if (o == NULL || labels == NULL)
		return o;
	for (i = 0; labels[i] != NULL; i++) {
		eq = strchr(labels[i], '=');
		if (eq == NULL)
			continue;
		if (json_object_setn_new_nocheck(o, labels[i], (size_t)(eq - labels[i]),
		                                 json_string(eq + 1)) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *
cli_json_bytes_string(const uint8_t *p, size_t n)
{
	/* jansson checks UTF-8 and refuses invalid input with NULL. */
	return json_stringn((const char *)p, n);
}

json_t *
cli_json_base64(const uint8_t *p, size_t n)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0, outlen;
	uint32_t v;
	json_t *j;
	char *s;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	outlen = (n + 2) / 3 * 4;
	s = malloc(outlen + 1);
	if (s == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		s[o++] = tab[v >> 18 & 63];
		s[o++] = tab[v >> 12 & 63];
		s[o++] = tab[v >> 6 & 63];
		s[o++] = tab[v & 63];
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		s[o++] = tab[v >> 18 & 63];
		s[o++] = tab[v >> 12 & 63];
		s[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		s[o++] = '=';
	}
	s[o] = '\0';
	j = json_stringn(s, o);
	zero_free(s, outlen + 1);
	return j;
}

json_t *
cli_json_quota(uint32_t quota, int period)
{
	char buf[CLI_QUOTA_LEN];

	if (quota == 0)
		return json_null();
	cli_quota_format(quota, period, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
cli_json_reader(const struct cred_read_usage *u)
{
	if (!u->has_last_read)
		return json_null();
	return json_pack("{s:I, s:I, s:s}", "uid", (json_int_t)u->reader_uid, "pid",
	                 (json_int_t)u->reader_pid, "comm", u->reader_comm);
}

json_t *
cli_json_usage(const struct cred_read_usage *u)
{
	if (u == NULL)
		return json_pack("{s:n, s:n, s:n, s:n}", "reads", "period_reads", "last_read",
		                 "last_reader");
	return json_pack("{s:I, s:I, s:o, s:o}", "reads", (json_int_t)u->reads, "period_reads",
	                 (json_int_t)u->period_reads, "last_read",
	                 u->has_last_read ? cli_json_time(u->last_read) : json_null(),
	                 "last_reader", cli_json_reader(u));
}
