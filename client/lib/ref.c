/* SPDX-License-Identifier: MIT */
/* References "[OWNER:]NAME", owners and list prefixes. */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "client/lib/libcred-int.h"

/* Longest user or group name we look up (LOGIN_NAME_MAX is 256 with the
 * NUL). */
#define OWNER_NAME_MAX 255u
/* getpwnam_r / getgrnam_r buffer: start here, grow on ERANGE up to the
 * cap (a group lists its members, so it may need more). */
#define PW_BUF_START 1024u
#define PW_BUF_MAX   (1u << 20)

static bool
all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

/* One getpwnam_r or getgrnam_r call: the uid or gid in *RET, or the
 * function's error number (0 with *FOUND false: no such name). */
static int
lookup_once(const char *name, bool group, char *buf, size_t size, uint32_t *ret, bool *found)
{
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;
	int r;

	if (group) {
		r = getgrnam_r(name, &gr, buf, size, &gres);
		*found = r == 0 && gres != NULL;
		if (*found)
			*ret = (uint32_t)gres->gr_gid;
	} else {
		r = getpwnam_r(name, &pw, buf, size, &pres);
		*found = r == 0 && pres != NULL;
		if (*found)
			*ret = (uint32_t)pres->pw_uid;
	}
	return r;
}

static int
lookup_name(const char *name, bool group, uint32_t *ret)
{
	size_t size = PW_BUF_START;
	char *buf = NULL;
	bool found = false;
	int r;

	for (;;) {
		buf = malloc(size);
		if (buf == NULL)
			return -CRED_E_NOMEM;
		r = lookup_once(name, group, buf, size, ret, &found);
		if (r != ERANGE || size >= PW_BUF_MAX)
			break;
		free(buf);
		buf = NULL;
		size *= 2;
	}
	if (found) {
		r = 0;
	} else if (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM) {
		/* Not found, however the NSS module chose to say it. */
		r = -CRED_E_USAGE;
	} else {
		r = r == ENOMEM ? -CRED_E_NOMEM : -CRED_E_FAILED;
	}
	free(buf);
	return r;
}

int
libcred_id_parse(const char *s, size_t len, bool group, uint32_t *ret)
{
	char name[OWNER_NAME_MAX + 1];
	uint64_t v;

	if (len == 0 || len > OWNER_NAME_MAX || memchr(s, '\0', len) != NULL)
		return -CRED_E_USAGE;
	memcpy(name, s, len);
	name[len] = '\0';
	if (all_digits(s, len)) {
		/* (uid_t)-1 and (gid_t)-1 mean "no id" to the kernel: never
		 * a valid owner or grantee. */
		if (util_parse_u64(name, UINT32_MAX - 1, &v) < 0)
			return -CRED_E_USAGE;
		*ret = (uint32_t)v;
		return 0;
	}
	return lookup_name(name, group, ret);
}

int
libcred_owner_parse(const char *s, size_t len, uid_t *ret)
{
	uint32_t id;
	int r;

	r = libcred_id_parse(s, len, false, &id);
	if (r == 0)
		*ret = (uid_t)id;
	return r;
}

int
libcred_ref_parse(const char *ref, struct proto_ref *ret)
{
	const char *colon, *name = ref;
	uid_t owner = 0;
	size_t len;
	int r;

	if (ref == NULL)
		return -CRED_E_USAGE;
	colon = strchr(ref, ':');
	if (colon != NULL) {
		name = colon + 1;
		/* Check the name first: a malformed ref needs no NSS lookup. */
		if (!proto_name_valid(name, strlen(name)))
			return -CRED_E_USAGE;
		r = libcred_owner_parse(ref, (size_t)(colon - ref), &owner);
		if (r < 0)
			return r;
	}
	len = strlen(name);
	if (!proto_name_valid(name, len))
		return -CRED_E_USAGE;
	ret->has_owner = colon != NULL;
	ret->owner = (uint32_t)owner;
	ret->name.ptr = (const uint8_t *)name;
	ret->name.len = len;
	return 0;
}

int
cred_ref_valid(const char *ref)
{
	struct proto_ref pr;
	int r;

	r = libcred_ref_parse(ref, &pr);
	return r < 0 ? r : 0;
}

int
cred_ref_parse(const char *ref, uid_t *ret_owner, const char **ret_name)
{
	struct proto_ref pr;
	int r;

	r = libcred_ref_parse(ref, &pr);
	if (r < 0)
		return r;
	if (ret_owner != NULL)
		*ret_owner = pr.has_owner ? (uid_t)pr.owner : getuid();
	if (ret_name != NULL)
		*ret_name = (const char *)pr.name.ptr;
	return 0;
}

int
cred_owner_parse(const char *owner, uid_t *ret_uid)
{
	size_t len;
	uid_t uid;
	int r;

	if (owner == NULL)
		return -CRED_E_USAGE;
	len = strlen(owner);
	if (len > 0 && owner[len - 1] == ':')
		len--;
	r = libcred_owner_parse(owner, len, &uid);
	if (r < 0)
		return r;
	if (ret_uid != NULL)
		*ret_uid = uid;
	return 0;
}

int
cred_prefix_valid(const char *prefix)
{
	if (prefix == NULL)
		return -CRED_E_USAGE;
	return proto_prefix_valid(prefix, strlen(prefix)) ? 0 : -CRED_E_USAGE;
}
