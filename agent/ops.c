/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "audit.h"
#include "keys.h"
#include "transfer.h"
#include "ops.h"

enum ops_result
ops_fail(struct agent *a, struct conn *c, const struct proto_frame *f, uint16_t status,
	 const char *fmt, ...)
{
	char msg[PROTO_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (conn_reply_status(a, c, f->type, f->reqid, status, msg) < 0)
		return OPS_NOMEM;
	return OPS_DONE;
}

uint16_t
ops_owner(const struct agent *a, const struct peer *peer, const struct proto_ref *ref,
	  uint32_t *ret_owner)
{
	uint32_t owner = ref->has_owner ? ref->owner : (uint32_t)peer->uid;

	/* A user agent holds one namespace: any other looks exactly like a
	 * missing secret. In system mode authz_check() decides. */
	if (!a->cfg.system_mode && owner != (uint32_t)a->uid)
		return PROTO_NOT_FOUND;
	*ret_owner = owner;
	return PROTO_OK;
}

typedef enum ops_result (*ops_handler)(struct agent *, struct conn *, const struct proto_frame *);

static const ops_handler handlers[] = {
	[PROTO_MSG_HELLO] = ops_hello,
	[PROTO_MSG_STATUS] = ops_status,
	[PROTO_MSG_PUT] = ops_put,
	[PROTO_MSG_GET] = ops_get,
	[PROTO_MSG_INFO] = ops_info,
	[PROTO_MSG_LIST] = ops_list,
	[PROTO_MSG_DELETE] = ops_delete,
	[PROTO_MSG_ROTATE] = ops_rotate,
	[PROTO_MSG_ROLLBACK] = ops_versioned,
	[PROTO_MSG_UNDELETE] = ops_delete,
	[PROTO_MSG_PURGE] = ops_versioned,
	[PROTO_MSG_DISABLE] = ops_delete,
	[PROTO_MSG_ENABLE] = ops_delete,
	[PROTO_MSG_LABEL] = ops_label,
	[PROTO_MSG_WATCH] = ops_watch,
	[PROTO_MSG_SHARE] = ops_share,
	[PROTO_MSG_UNSHARE] = ops_share,
	[PROTO_MSG_LOCK] = ops_keys,
	[PROTO_MSG_UNLOCK] = ops_keys,
	[PROTO_MSG_PASSWD] = ops_keys,
	[PROTO_MSG_KEYSLOT_LIST] = ops_keys,
	[PROTO_MSG_KEYSLOT_ADD] = ops_keys,
	[PROTO_MSG_KEYSLOT_RM] = ops_keys,
	[PROTO_MSG_BACKUP] = ops_keys,
	[PROTO_MSG_REKEY] = ops_keys,
	[PROTO_MSG_EXPORT] = ops_export,
	[PROTO_MSG_IMPORT] = ops_import,
	[PROTO_MSG_AUDIT] = ops_audit,
	[PROTO_MSG_AUDIT_VERIFY] = ops_audit_verify,
	[PROTO_MSG_USAGE] = ops_usage,
	[PROTO_MSG_QUOTA] = ops_quota,
	[PROTO_MSG_USAGE_RESET] = ops_usage_reset,
	[PROTO_MSG_VERIFY] = ops_verify,
};

/* Messages that work while the agent is locked. */
static bool
works_locked(uint8_t type)
{
	switch (type) {
	case PROTO_MSG_HELLO:
	case PROTO_MSG_STATUS:
	case PROTO_MSG_LOCK:
	case PROTO_MSG_UNLOCK:
	case PROTO_MSG_PASSWD:
	case PROTO_MSG_KEYSLOT_LIST:
	case PROTO_MSG_KEYSLOT_RM:
	case PROTO_MSG_BACKUP:
	case PROTO_MSG_AUDIT:
	case PROTO_MSG_AUDIT_VERIFY:
		return true;
	default:
		return false;
	}
}

static enum ops_result
dispatch(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	if (f->type >= sizeof(handlers) / sizeof(handlers[0]) || handlers[f->type] == NULL) {
		log_debug("connection %llu: unknown message type 0x%02x",
			  (unsigned long long)c->id, f->type);
		return ops_fail(a, c, f, PROTO_UNSUPPORTED, "unknown message type 0x%02x", f->type);
	}
	if (!works_locked(f->type)) {
		if (keys_locked(a->keys))
			return ops_fail(a, c, f, PROTO_LOCKED,
					"the agent is locked (unlock it with cred unlock)");
		a->last_use_ms = agent_mono_ms();
	}
	return handlers[f->type](a, c, f);
}

enum ops_result
ops_dispatch(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	enum ops_result r;

	c->audit_version = 0;
	c->audit_ref_set = false;
	c->last_status = PROTO_INTERNAL;
	r = dispatch(a, c, f);
	/* Answered here: recorded now. Pending requests are recorded when
	 * they finish; waiting ones when they are tried again. */
	if ((r == OPS_DONE || r == OPS_CLOSE) &&
	    !(a->cfg.no_read_audit && f->type == PROTO_MSG_GET && c->last_status == PROTO_OK))
		audit_note_frame(a, &c->peer, f, c->audit_ref_set ? &c->audit_ref : NULL, c->last_status,
				 c->audit_version);
	return r;
}
