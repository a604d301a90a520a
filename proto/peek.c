/* SPDX-License-Identifier: MIT */
/* The secret a request names, whatever its type (for the audit trail). */
#include <string.h>

#include "common/buf.h"
#include "proto/proto.h"

int
proto_peek_target(struct proto_bytes body, struct proto_ref *ret, uint32_t *ret_version)
{
	struct buf_reader r;

	memset(ret, 0, sizeof(*ret));
	*ret_version = 0;
	buf_reader_init(&r, body.ptr, body.len);
	while (buf_remaining(&r) > 0) {
		uint8_t tag, kind;
		uint32_t len;
		const uint8_t *p;

		if (buf_get_u8(&r, &tag) < 0 || buf_get_u8(&r, &kind) < 0 ||
		    buf_get_u32(&r, &len) < 0 || buf_get_bytes(&r, len, &p) < 0)
			break;
		if (tag == PROTO_TAG_OWNER && kind == PROTO_KIND_U32 && len == 4) {
			ret->has_owner = true;
			ret->owner = buf_load_u32(p);
		} else if (tag == PROTO_TAG_NAME && kind == PROTO_KIND_STRING) {
			ret->name = (struct proto_bytes){p, len};
		} else if (tag == PROTO_TAG_VERSION && kind == PROTO_KIND_U32 && len == 4) {
			*ret_version = buf_load_u32(p);
		} else if (tag > PROTO_TAG_VERSION) {
			break; /* tags ascend: nothing more to find */
		}
	}
	if (!proto_name_valid(ret->name.ptr, ret->name.len)) {
		ret->name = (struct proto_bytes){NULL, 0};
		return 0;
	}
	return 1;
}
