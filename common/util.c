/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "util.h"

int
util_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* Split S into a number and a one-letter unit from UNITS with MULTS. */
static int
parse_scaled(const char *s, const char *units, const uint64_t *mults, uint64_t *ret)
{
	char num[24];
	size_t n = strlen(s);
	uint64_t mult = 1, v;
	const char *u;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n + 1);
	u = strchr(units, num[n - 1]);
	if (u != NULL && num[n - 1] != '\0') {
		mult = mults[u - units];
		num[n - 1] = '\0';
	}
	if (util_parse_u64(num, UINT64_MAX, &v) < 0 || (mult > 1 && v > UINT64_MAX / mult))
		return -EINVAL;
	*ret = v * mult;
	return 0;
}

int
util_parse_duration(const char *s, uint64_t *ret_seconds)
{
	static const uint64_t mults[] = {1, 60, 3600, 86400, 604800};

	if (s == NULL)
		return -EINVAL;
	return parse_scaled(s, "smhdw", mults, ret_seconds);
}

int
util_parse_size(const char *s, uint64_t *ret_bytes)
{
	static const uint64_t mults[] = {1024, 1024 * 1024, 1024 * 1024 * 1024};

	if (s == NULL)
		return -EINVAL;
	return parse_scaled(s, "KMG", mults, ret_bytes);
}
