/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_AUTHZ_H
#define CREDAGENT_AGENT_AUTHZ_H

/*
 * Who may do what (DESIGN.md section 6). Visibility comes first: a secret
 * is visible to its owner and to holders of a grant covering it (on the
 * name, or on a folder P for the names under P/); anyone else gets
 * NOT_FOUND, whatever the operation. DENIED is for an operation a caller
 * may not do on a secret it can see.
 *
 * Grant records carry a MAC keyed from MK; an edited one grants nothing.
 */

#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "proto/proto.h"
#include "agent.h"
#include "peer.h"

enum authz_need {
	AUTHZ_READ = PROTO_PERM_READ,
	AUTHZ_WRITE = PROTO_PERM_WRITE,
	AUTHZ_OWNER = 3,
};

#define AUTHZ_GRANT_VAL_SIZE (1u + 8u + 4u + 32u)
#define AUTHZ_GRANT_KEY_MAX (4u + PROTO_NAME_MAX + 1u + 1u + 1u + 4u)

/* Root, or a member of the admin group (when the host has one). */
bool authz_is_admin(const struct agent *a, const struct peer *p);

/*
 * The best permission P holds on OWNER:NAME (PROTO_PERM_*, or 0 for
 * none); the owner holds everything (AUTHZ_OWNER).
 */
uint32_t authz_perm(struct agent *a, MDB_txn *t, const struct peer *p, uint32_t owner,
		    struct proto_bytes name);

/* PROTO_OK, PROTO_NOT_FOUND (not visible) or PROTO_DENIED (visible, but
 * NEED is more than P holds). */
uint16_t authz_check(struct agent *a, MDB_txn *t, const struct peer *p, uint32_t owner,
		     struct proto_bytes name, enum authz_need need);

/* Grant records (writer thread). 0, -ENOENT (unshare of no grant) or
 * -errno. */
int authz_grant_put(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		    bool prefix, bool is_gid, uint32_t grantee, uint32_t perm, uint32_t by);
int authz_grant_del(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		    bool prefix, bool is_gid, uint32_t grantee);

/* Call FN for each authentic grant covering OWNER:NAME (on the name or on
 * a folder above it); stops early when FN returns false. */
typedef bool (*authz_grant_fn)(const struct proto_grant *g, void *arg);
void authz_grants_covering(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
			   authz_grant_fn fn, void *arg);

/* Call FN for each grant whose grantee is P (its uid, or one of its
 * groups), with the owner: the sources of LIST's shared entries. */
typedef bool (*authz_held_fn)(uint32_t owner, struct proto_bytes name, bool prefix, void *arg);
void authz_grants_held(struct agent *a, MDB_txn *t, const struct peer *p, authz_held_fn fn,
		       void *arg);

#endif
