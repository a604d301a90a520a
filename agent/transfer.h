/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_TRANSFER_H
#define CREDAGENT_AGENT_TRANSFER_H

/*
 * Export and import. EXPORT unseals the caller's secrets on the worker
 * thread and writes them to the client's descriptor as a bundle sealed to
 * a passphrase (bundle.h). IMPORT decodes a bundle on the worker thread
 * (or takes inline entries from the request) and hands the whole set to
 * the writer as one job: every secret is stored in one transaction, or,
 * on any conflict without PROTO_IMPORT_OVERWRITE, none is.
 */

#include "ops.h"

/* One secret to import; everything it points at lives in the set's
 * locked chunks or in the request frame. */
struct import_secret {
	struct proto_bytes name;
	struct proto_bytes type;
	struct proto_list_span labels;
	uint32_t state, max_versions, quota, quota_period;
	bool has_expires;
	uint64_t expires;
	uint64_t created, updated;       /* 0: now */
	struct proto_list_span versions; /* bundle VERSIONS groups; empty inline */
	struct proto_bytes value;        /* the current value */
};

struct import_set {
	uint32_t flags; /* enum proto_import_flag */
	uint32_t n, cap;
	struct import_secret *items;
	uint8_t *region; /* the bundle's plaintext (smem_alloc_bulk) */
	size_t region_cap, region_len;
	/* results, set by the writer */
	uint32_t added, skipped, conflicted;
	uint32_t n_conflicts;
	char conflicts[PROTO_CONFLICTS_MAX][PROTO_NAME_MAX + 1];
};

/* Reply space an IMPORT reply may need. */
#define TRANSFER_IMPORT_REPLY_MAX \
	(OPS_WRITE_REPLY_MAX + 3u * 10u + PROTO_CONFLICTS_MAX * (PROTO_FIELD_HDR + PROTO_NAME_MAX))

enum ops_result ops_export(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_import(struct agent *a, struct conn *c, const struct proto_frame *f);
/* Writer side of IMPORT. */
int ops_exec_import(struct agent *a, MDB_txn *t, struct wjob *j);
/* The IMPORT reply of a finished job. */
int transfer_encode_reply(struct buf_writer *w, const struct wjob *j);
/* Zero and free; accepts NULL. */
void import_set_free(struct import_set *s);

#endif
