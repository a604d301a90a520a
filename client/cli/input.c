/* SPDX-License-Identifier: MIT */
/* Option values: numbers, times, labels and references. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "proto/proto.h"
#include "client/cli/cli.h"

int
cli_parse_u32(struct cli *cli, const char *opt, const char *s, uint32_t min, uint32_t *ret)
{
	uint64_t v;

	if (util_parse_u64(s, UINT32_MAX, &v) < 0 || v < min)
		return cli_error(cli, CRED_E_USAGE, NULL,
		                 "%s: expected a number from %u to %u, not '%s'", opt, min,
		                 UINT32_MAX, s);
	*ret = (uint32_t)v;
	return 0;
}

/* N decimal digits at *S into *RET, advancing *S. */
static bool
digits(const char **s, int n, int *ret)
{
	int v = 0;

	for (; n > 0; n--, (*s)++) {
		if (**s < '0' || **s > '9')
			return false;
		v = v * 10 + (**s - '0');
	}
	*ret = v;
	return true;
}

static bool
expect(const char **s, const char *set)
{
	if (**s == '\0' || strchr(set, **s) == NULL)
		return false;
	(*s)++;
	return true;
}

/* The zone suffix: Z, or +HH:MM / -HH:MM as seconds east of UTC. */
static bool
zone(const char *s, int *ret_off)
{
	int sign, h, m;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*ret_off = 0;
		return true;
	}
	if (*s != '+' && *s != '-')
		return false;
	sign = *s++ == '-' ? -1 : 1;
	if (!digits(&s, 2, &h) || !expect(&s, ":") || !digits(&s, 2, &m) || *s != '\0' || h > 23 ||
	    m > 59)
		return false;
	*ret_off = sign * (h * 3600 + m * 60);
	return true;
}

int
cli_parse_rfc3339(const char *s, int64_t *ret)
{
	struct tm tm = {0}, chk;
	int off;
	time_t t;

	if (!digits(&s, 4, &tm.tm_year) || !expect(&s, "-") || !digits(&s, 2, &tm.tm_mon) ||
	    !expect(&s, "-") || !digits(&s, 2, &tm.tm_mday) || !expect(&s, "Tt ") ||
	    !digits(&s, 2, &tm.tm_hour) || !expect(&s, ":") || !digits(&s, 2, &tm.tm_min) ||
	    !expect(&s, ":") || !digits(&s, 2, &tm.tm_sec))
		return -EINVAL;
	if (*s == '.') {
		/* Fractions of a second are accepted and dropped. */
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
		if (s[-1] == '.')
			return -EINVAL;
	}
	if (!zone(s, &off) || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	if (tm.tm_sec == 60)
		tm.tm_sec = 59; /* a leap second names the end of its minute */
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	chk = tm;
	t = timegm(&tm);
	/* timegm normalises 31 February into March: refuse what moved. */
	if (t == (time_t)-1 || tm.tm_mday != chk.tm_mday || tm.tm_mon != chk.tm_mon)
		return -EINVAL;
	*ret = (int64_t)t - off;
	return 0;
}

int
cli_parse_when(struct cli *cli, const char *opt, const char *s, int64_t *ret)
{
	uint64_t d;
	int64_t now = (int64_t)time(NULL);

	if (cli_parse_rfc3339(s, ret) == 0 && *ret > 0)
		return 0;
	if (util_parse_duration(s, &d) == 0 && d <= (uint64_t)(INT64_MAX - now)) {
		*ret = now + (int64_t)d;
		return 0;
	}
	return cli_error(cli, CRED_E_USAGE, NULL,
	                 "%s: expected an RFC 3339 time (2027-01-01T00:00:00Z) or a "
	                 "duration (N, Ns, Nm, Nh, Nd, Nw), not '%s'",
	                 opt, s);
}

int
cli_parse_ago(struct cli *cli, const char *opt, const char *s, int64_t *ret)
{
	uint64_t d;
	int64_t now = (int64_t)time(NULL);

	if (cli_parse_rfc3339(s, ret) == 0 && *ret > 0)
		return 0;
	/* Before 1970 there is nothing to find: clamp to the epoch's first
	 * second (0 would mean no filter). */
	if (util_parse_duration(s, &d) == 0) {
		*ret = d < (uint64_t)now ? now - (int64_t)d : 1;
		return 0;
	}
	return cli_error(cli, CRED_E_USAGE, NULL,
	                 "%s: expected an RFC 3339 time (2026-11-01T00:00:00Z) or a "
	                 "duration ago (N, Ns, Nm, Nh, Nd, Nw), not '%s'",
	                 opt, s);
}

int
cli_parse_quota(struct cli *cli, const char *opt, const char *s, uint32_t *ret_quota,
                int *ret_period)
{
	if (cred_quota_parse(s, ret_quota, ret_period) == 0)
		return 0;
	return cli_error(cli, CRED_E_USAGE, NULL,
	                 "%s%sexpected N/PERIOD (N from 1 to %u, PERIOD hour, day or month), "
	                 "not '%s'",
	                 opt != NULL ? opt : "", opt != NULL ? ": " : "", UINT32_MAX, s);
}

int
cli_parse_target(struct cli *cli, const char *arg, char **ret_owner, const char **ret_prefix)
{
	const char *colon = strchr(arg, ':');

	*ret_owner = NULL;
	*ret_prefix = arg;
	if (colon != NULL) {
		*ret_owner = strndup(arg, (size_t)(colon - arg));
		if (*ret_owner == NULL)
			return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		*ret_prefix = colon + 1;
		if (cred_owner_parse(*ret_owner, NULL) < 0)
			return cli_error(cli, CRED_E_USAGE, NULL, "no such user '%s'", *ret_owner);
	}
	if (cred_prefix_valid(*ret_prefix) < 0)
		return cli_error(cli, CRED_E_USAGE, NULL,
		                 "invalid prefix '%s': a name, optionally ending in '/'",
		                 *ret_prefix);
	return 0;
}

int
cli_parse_ref(struct cli *cli, const char *ref, uid_t *ret_owner, const char **ret_name)
{
	const char *colon;
	int r;

	r = cred_ref_parse(ref, ret_owner, ret_name);
	if (r == 0)
		return 0;
	if (r != -CRED_E_USAGE)
		return cli_error(cli, r, ref, "looking up the owner: %s", cred_strerror(r));
	colon = strchr(ref, ':');
	if (colon != NULL && colon != ref && cred_ref_valid(colon + 1) == 0)
		return cli_error(cli, CRED_E_USAGE, NULL, "%s: no such user '%.*s'", ref,
		                 (int)(colon - ref), ref);
	return cli_error(cli, CRED_E_USAGE, NULL,
	                 "invalid name '%s': use 1-255 of A-Z a-z 0-9 _ . @ + / -, "
	                 "no leading or trailing '/', no empty or '..' segment",
	                 ref);
}

int
cli_one_ref(struct cli *cli, int argc, char **argv, const char **ret)
{
	if (optind >= argc)
		return cli_usage_error(cli, "missing REF");
	if (optind + 1 < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
	*ret = argv[optind];
	return 0;
}

int
cli_check_label(struct cli *cli, const char *opt, const char *s)
{
	if (proto_label_valid(s, strlen(s)))
		return 0;
	return cli_error(cli, CRED_E_USAGE, NULL,
	                 "%s%sexpected KEY=VALUE (key of A-Z a-z 0-9 _ . -, printable value), "
	                 "not '%s'",
	                 opt != NULL ? opt : "", opt != NULL ? ": " : "", s);
}

void
cli_warn_expiry(struct cli *cli, const char *ref, int64_t expires)
{
	static const char past[] = "expiry is in the past";
	const char *m = cred_message(cli->conn);
	bool is_past = expires > 0 && expires <= (int64_t)time(NULL);

	if (is_past)
		cli_warn(cli, ref, "%s", past);
	if (*m != '\0' && !(is_past && strcmp(m, past) == 0))
		cli_warn(cli, ref, "%s", m);
}
