/* SPDX-License-Identifier: MIT */
/* Error strings, names and exit codes, and the wire status mapping. */

#include <limits.h>
#include <stddef.h>

#include "client/lib/libcred-int.h"

struct err_desc {
	const char *name;
	const char *text;
	int exit_code;
};

/* Indexed by enum cred_error. */
/* clang-format off */
static const struct err_desc errs[] = {
	[CRED_OK] = {"OK", "success", 0},
	[CRED_E_FAILED] = {"FAILED", "failed", 1},
	[CRED_E_USAGE] = {"USAGE", "invalid argument", 2},
	[CRED_E_NOT_FOUND] = {"NOT_FOUND", "not found", 3},
	[CRED_E_DENIED] = {"DENIED", "permission denied", 4},
	[CRED_E_LOCKED] = {"LOCKED", "the agent is locked", 5},
	[CRED_E_UNREACHABLE] = {"UNREACHABLE", "no agent", 6},
	[CRED_E_CONFLICT] = {"CONFLICT", "conflict", 7},
	[CRED_E_QUOTA] = {"QUOTA_EXCEEDED", "quota exceeded", 8},
	[CRED_E_EXPIRED] = {"EXPIRED", "expired", 9},
	[CRED_E_DISABLED] = {"DISABLED", "disabled", 10},
	[CRED_E_INVALID] = {"INVALID", "invalid fields", 11},
	[CRED_E_BAD_REQUEST] = {"BAD_REQUEST", "bad request", 12},
	[CRED_E_UNSUPPORTED] = {"UNSUPPORTED", "not supported by the agent", 13},
	[CRED_E_RATE_LIMITED] = {"RATE_LIMITED", "rate limited", 8},
	[CRED_E_PROTOCOL] = {"PROTOCOL", "protocol error", 1},
	[CRED_E_NOMEM] = {"NOMEM", "out of memory", 1},
};
/* clang-format on */

static const struct err_desc *
err_lookup(int err)
{
	unsigned e;

	if (err < 0)
		err = err == INT_MIN ? CRED_E_FAILED : -err;
	e = (unsigned)err;
	if (e >= sizeof(errs) / sizeof(errs[0]))
		return &errs[CRED_E_FAILED];
	return &errs[e];
}

const char *
cred_strerror(int err)
{
	return err_lookup(err)->text;
}

int
cred_exit_code(int err)
{
	return err_lookup(err)->exit_code;
}

const char *
cred_error_name(int err)
{
	return err_lookup(err)->name;
}

int
libcred_status_error(uint16_t status)
{
	switch (status) {
	case PROTO_OK: return 0;
	case PROTO_INTERNAL: return -CRED_E_FAILED;
	case PROTO_USAGE:
	case PROTO_NOT_FOUND:
	case PROTO_DENIED:
	case PROTO_LOCKED:
	case PROTO_CONFLICT:
	case PROTO_QUOTA_EXCEEDED:
	case PROTO_EXPIRED:
	case PROTO_DISABLED:
	case PROTO_INVALID:
	case PROTO_BAD_REQUEST:
	case PROTO_UNSUPPORTED:
	case PROTO_RATE_LIMITED:
		/* The wire numbers are the library's by design. */
		return -(int)status;
	case 6:
		/* UNREACHABLE is the client's own; an agent never sends it. */
		return -CRED_E_PROTOCOL;
	default:
		/* A status newer than this library: still a failure. */
		return -CRED_E_FAILED;
	}
}
