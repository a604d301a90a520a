/* SPDX-License-Identifier: MIT */
/* VERIFY: report the result of a credential check to the agent. */

#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

static int
encode_verify(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_verify(w, reqid, msg);
}

/* The longest prefix of S (LEN bytes) of at most MAX bytes that does not
 * end inside a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	/* Back off continuation bytes, then the lead byte they belong to. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0u) == 0x80u)
		n--;
	return n;
}

int
cred_verify_record(cred_conn *c, const char *ref, uint32_t version, int ok, const char *message)
{
	struct proto_verify_req m = {0};
	size_t len;
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &m.ref);
	if (r < 0)
		return r;
	m.has_version = version > 0;
	m.version = version;
	m.status = ok ? PROTO_VERIFY_OK : PROTO_VERIFY_FAILED;
	if (message != NULL) {
		len = utf8_cut(message, strlen(message), PROTO_VERIFY_MESSAGE_MAX);
		m.message = (struct proto_bytes){(const uint8_t *)message, len};
	}
	return libcred_simple_call(c, PROTO_MSG_VERIFY, encode_verify, &m);
}
