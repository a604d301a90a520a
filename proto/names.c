/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"

/*
 * Validators work on bytes, never on C strings, so a NUL is just another
 * byte outside every allowed set. Only ASCII passes: bytes >= 0x80 are
 * rejected everywhere.
 */

static bool
is_alnum(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_name_char(uint8_t c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '@' || c == '+' || c == '/' || c == '-';
}

static bool
is_label_key_char(uint8_t c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

static bool
is_type_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* A segment between slashes: not empty (no leading, trailing or double
 * slash) and not "..". A lone "." is allowed. */
static bool
segment_ok(const uint8_t *s, size_t n)
{
	return n > 0 && !(n == 2 && s[0] == '.' && s[1] == '.');
}

bool
proto_name_valid(const void *vp, size_t len)
{
	const uint8_t *p = vp;
	size_t i, seg = 0;

	if (p == NULL || len == 0 || len > PROTO_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!is_name_char(p[i]))
			return false;
		if (p[i] != '/')
			continue;
		if (!segment_ok(p + seg, i - seg))
			return false;
		seg = i + 1;
	}
	return segment_ok(p + seg, len - seg);
}

bool
proto_label_valid(const void *vp, size_t len)
{
	const uint8_t *p = vp;
	size_t i, eq;

	if (p == NULL || len == 0 || len > PROTO_LABEL_MAX)
		return false;
	for (eq = 0; eq < len && p[eq] != '='; eq++)
		if (!is_label_key_char(p[eq]))
			return false;
	if (eq == 0 || eq == len || eq > PROTO_LABEL_KEY_MAX)
		return false;
	for (i = eq + 1; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

bool
proto_prefix_valid(const void *vp, size_t len)
{
	const uint8_t *p = vp;

	if (len == 0)
		return true;
	if (p == NULL)
		return false;
	if (p[len - 1] == '/')
		len--;
	return proto_name_valid(p, len);
}

bool
proto_type_valid(const void *vp, size_t len)
{
	const uint8_t *p = vp;
	size_t i;

	if (p == NULL || len == 0 || len > PROTO_TYPE_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!is_type_char(p[i]))
			return false;
	return true;
}

static const char *const status_names[] = {
	[PROTO_OK] = "OK",
	[PROTO_INTERNAL] = "INTERNAL",
	[PROTO_USAGE] = "USAGE",
	[PROTO_NOT_FOUND] = "NOT_FOUND",
	[PROTO_DENIED] = "DENIED",
	[PROTO_LOCKED] = "LOCKED",
	[PROTO_CONFLICT] = "CONFLICT",
	[PROTO_QUOTA_EXCEEDED] = "QUOTA_EXCEEDED",
	[PROTO_EXPIRED] = "EXPIRED",
	[PROTO_DISABLED] = "DISABLED",
	[PROTO_INVALID] = "INVALID",
	[PROTO_BAD_REQUEST] = "BAD_REQUEST",
	[PROTO_UNSUPPORTED] = "UNSUPPORTED",
	[PROTO_RATE_LIMITED] = "RATE_LIMITED",
};

const char *
proto_status_name(uint16_t status)
{
	if (status >= sizeof(status_names) / sizeof(status_names[0]) ||
	    status_names[status] == NULL)
		return "UNKNOWN";
	return status_names[status];
}

int
proto_status_exit(uint16_t status)
{
	switch (status) {
	case PROTO_OK:
		return 0;
	case PROTO_USAGE:
		return 2;
	case PROTO_NOT_FOUND:
		return 3;
	case PROTO_DENIED:
		return 4;
	case PROTO_LOCKED:
		return 5;
	case PROTO_CONFLICT:
		return 7;
	case PROTO_QUOTA_EXCEEDED:
	case PROTO_RATE_LIMITED:
		return 8;
	case PROTO_EXPIRED:
		return 9;
	case PROTO_DISABLED:
		return 10;
	case PROTO_INVALID:
		return 11;
	case PROTO_BAD_REQUEST:
		return 12;
	case PROTO_UNSUPPORTED:
		return 13;
	case PROTO_INTERNAL:
	default:
		return 1;
	}
}

static const char *const event_names[] = {
	[PROTO_EVENT_PUT] = "put",
	[PROTO_EVENT_ROTATED] = "rotated",
	[PROTO_EVENT_ROLLED_BACK] = "rolled_back",
	[PROTO_EVENT_DISABLED] = "disabled",
	[PROTO_EVENT_ENABLED] = "enabled",
	[PROTO_EVENT_DELETED] = "deleted",
	[PROTO_EVENT_UNDELETED] = "undeleted",
	[PROTO_EVENT_PURGED] = "purged",
	[PROTO_EVENT_VERSION_PURGED] = "version_purged",
	[PROTO_EVENT_REVOKED] = "revoked",
};
_Static_assert(sizeof(event_names) / sizeof(event_names[0]) == PROTO_EVENT_MAX + 1,
	       "a name for every event");

const char *
proto_event_name(uint32_t event)
{
	if (event >= sizeof(event_names) / sizeof(event_names[0]) || event_names[event] == NULL)
		return "unknown";
	return event_names[event];
}

static const char *const perm_names[] = {
	[PROTO_PERM_READ] = "read",
	[PROTO_PERM_WRITE] = "write",
};
_Static_assert(sizeof(perm_names) / sizeof(perm_names[0]) == PROTO_PERM_MAX + 1,
	       "a name for every permission");

const char *
proto_perm_name(uint32_t perm)
{
	if (perm > PROTO_PERM_MAX)
		return NULL;
	return perm_names[perm]; /* NULL for 0 */
}

static const char *const charset_names[] = {
	[PROTO_CHARSET_BASE64URL] = "base64url",
	[PROTO_CHARSET_HEX] = "hex",
	[PROTO_CHARSET_ALNUM] = "alnum",
	[PROTO_CHARSET_PRINTABLE] = "printable",
};
_Static_assert(sizeof(charset_names) / sizeof(charset_names[0]) == PROTO_CHARSET_MAX + 1,
	       "a name for every charset");

const char *
proto_charset_name(uint32_t charset)
{
	if (charset > PROTO_CHARSET_MAX)
		return NULL;
	return charset_names[charset];
}

int
proto_charset_parse(const char *name)
{
	uint32_t i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i <= PROTO_CHARSET_MAX; i++)
		if (strcmp(name, charset_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

static const char *const slot_kind_names[] = {
	[PROTO_SLOT_KEYFILE] = "keyfile",
	[PROTO_SLOT_PASSPHRASE] = "passphrase",
};
_Static_assert(sizeof(slot_kind_names) / sizeof(slot_kind_names[0]) == PROTO_SLOT_KIND_MAX + 1,
	       "a name for every slot kind");

const char *
proto_slot_kind_name(uint32_t kind)
{
	if (kind > PROTO_SLOT_KIND_MAX)
		return NULL;
	return slot_kind_names[kind]; /* NULL for 0 */
}

/* ASCII only, whatever the locale: status names are ASCII. */
static bool
ascii_case_equal(const char *a, const char *b)
{
	unsigned char x, y;

	do {
		x = (unsigned char)*a++;
		y = (unsigned char)*b++;
		if (x >= 'a' && x <= 'z')
			x = (unsigned char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'z')
			y = (unsigned char)(y - 'a' + 'A');
		if (x != y)
			return false;
	} while (x != '\0');
	return true;
}

int
proto_status_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (status_names[i] != NULL && ascii_case_equal(name, status_names[i]))
			return (int)i;
	return -EINVAL;
}

/* Indexed by message type: the names of DESIGN.md section 7, which are
 * cred(1)'s subcommands. */
static const char *const op_names[] = {
	[0] = "connect",
	[PROTO_MSG_HELLO] = "hello",
	[PROTO_MSG_STATUS] = "status",
	[PROTO_MSG_PUT] = "put",
	[PROTO_MSG_GET] = "get",
	[PROTO_MSG_INFO] = "info",
	[PROTO_MSG_LIST] = "ls",
	[PROTO_MSG_DELETE] = "rm",
	[PROTO_MSG_ROTATE] = "rotate",
	[PROTO_MSG_ROLLBACK] = "rollback",
	[PROTO_MSG_UNDELETE] = "undelete",
	[PROTO_MSG_PURGE] = "purge",
	[PROTO_MSG_DISABLE] = "disable",
	[PROTO_MSG_ENABLE] = "enable",
	[PROTO_MSG_LABEL] = "label",
	[PROTO_MSG_WATCH] = "watch",
	[PROTO_MSG_SHARE] = "share",
	[PROTO_MSG_UNSHARE] = "unshare",
	[PROTO_MSG_LOCK] = "lock",
	[PROTO_MSG_UNLOCK] = "unlock",
	[PROTO_MSG_PASSWD] = "passwd",
	[PROTO_MSG_KEYSLOT_LIST] = "keyslot",
	[PROTO_MSG_KEYSLOT_ADD] = "keyslot",
	[PROTO_MSG_KEYSLOT_RM] = "keyslot",
	[PROTO_MSG_BACKUP] = "backup",
	[PROTO_MSG_REKEY] = "rekey",
	[PROTO_MSG_EXPORT] = "export",
	[PROTO_MSG_IMPORT] = "import",
	[PROTO_MSG_AUDIT] = "audit",
	[PROTO_MSG_AUDIT_VERIFY] = "audit-verify",
	[PROTO_MSG_USAGE] = "usage",
	[PROTO_MSG_QUOTA] = "quota",
	[PROTO_MSG_USAGE_RESET] = "usage-reset",
	[PROTO_MSG_VERIFY] = "verify",
};
#define N_OPS (sizeof(op_names) / sizeof(op_names[0]))
_Static_assert(N_OPS == PROTO_MSG_VERIFY + 1, "a name for every request type");
_Static_assert(PROTO_OP_SUPPRESSED >= N_OPS && (PROTO_OP_SUPPRESSED & PROTO_REPLY_BIT) != 0,
	       "the suppressed op is no request type");

const char *
proto_op_name(uint8_t type)
{
	if (type == PROTO_OP_SUPPRESSED)
		return "suppressed";
	if (type >= N_OPS)
		return NULL;
	return op_names[type];
}

int
proto_op_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i < N_OPS; i++)
		if (strcmp(name, op_names[i]) == 0)
			return (int)i;
	if (strcmp(name, "suppressed") == 0)
		return (int)PROTO_OP_SUPPRESSED;
	return -EINVAL;
}

static const char *const period_names[] = {
	[PROTO_PERIOD_HOUR] = "hour",
	[PROTO_PERIOD_DAY] = "day",
	[PROTO_PERIOD_MONTH] = "month",
};
_Static_assert(sizeof(period_names) / sizeof(period_names[0]) == PROTO_PERIOD_MAX + 1,
	       "a name for every period");

const char *
proto_period_name(uint32_t period)
{
	if (period > PROTO_PERIOD_MAX)
		return NULL;
	return period_names[period]; /* NULL for 0 */
}

int
proto_period_parse(const char *name)
{
	uint32_t i;

	if (name == NULL)
		return -EINVAL;
	for (i = 1; i <= PROTO_PERIOD_MAX; i++)
		if (strcmp(name, period_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

#define SECS_PER_HOUR 3600u
#define SECS_PER_DAY 86400u

/*
 * The day of the month (1..31) of DAYS days after 1970-01-01, by the
 * civil-from-days algorithm of H. Hinnant: eras of 400 years (146097
 * days) counted from 0000-03-01, so a leap day is the last day of its
 * year. Unsigned throughout: DAYS is never negative here.
 */
static uint64_t
day_of_month(uint64_t days)
{
	uint64_t z = days + 719468u; /* days since 0000-03-01 */
	uint64_t doe = z % 146097u;  /* day of the era, 0..146096 */
	uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
	uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u); /* from March 1 */
	uint64_t mp = (5u * doy + 2u) / 153u;                        /* March is 0 */

	return doy - (153u * mp + 2u) / 5u + 1u;
}

uint64_t
proto_period_start(uint32_t period, uint64_t now)
{
	uint64_t days = now / SECS_PER_DAY;

	switch (period) {
	case PROTO_PERIOD_HOUR:
		return now - now % SECS_PER_HOUR;
	case PROTO_PERIOD_MONTH:
		return (days - (day_of_month(days) - 1u)) * SECS_PER_DAY;
	case PROTO_PERIOD_DAY:
	default:
		return days * SECS_PER_DAY;
	}
}
