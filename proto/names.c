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
