/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_PROTO_FIELDS_H
#define CREDAGENT_PROTO_FIELDS_H

/*
 * The table-driven body parser behind every decoder; internal to proto/.
 *
 * A schema lists the fields one message (or one group) may hold, in
 * ascending tag order. proto_fields_parse() walks a body once and enforces
 * every rule of proto.h: field headers complete and lengths within the
 * bytes present, tags strictly ascending except that a repeatable tag may
 * repeat consecutively, no unknown tag, the declared kind, U32 length 4,
 * U64 length 8, no NUL in a STRING, the per-field caps below, groups
 * checked recursively against their own schema, and every required field
 * present.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

/* proto_spec.flags */
#define PROTO_F_REQUIRED 0x01u
#define PROTO_F_REPEAT 0x02u   /* consecutive repeats; at most max_count */
#define PROTO_F_NONEMPTY 0x04u /* STRING/BYTES: at least one byte */
#define PROTO_F_BITS 0x08u     /* U32: max is the mask of allowed bits */

/* The most entries a schema may have (a group is parsed with a stack
 * array of this many slots; the INFO reply's is the largest). */
#define PROTO_SCHEMA_MAX 32u

struct proto_schema;

struct proto_spec {
	uint8_t tag;
	uint8_t kind;
	uint8_t flags;
	/*
	 * STRING/BYTES: the largest length. U32: the largest value, or with
	 * PROTO_F_BITS the allowed bits. Unused for U64 and GROUP.
	 */
	uint32_t max;
	uint32_t max_count;		  /* with PROTO_F_REPEAT */
	const struct proto_schema *group; /* GROUP: the content's schema */
};

struct proto_schema {
	const struct proto_spec *specs; /* ascending tags */
	size_t n;			/* <= PROTO_SCHEMA_MAX */
};

/* What the parser found for one schema entry. Pointers borrow the body. */
struct proto_slot {
	bool present;
	struct proto_bytes val;	     /* the first occurrence's content */
	struct proto_list_span span; /* all occurrences, headers included */
};

/*
 * Parse BODY against S. 0 with SLOTS[0..S->n) filled (absent entries
 * zeroed), or -EBADMSG.
 */
int proto_fields_parse(struct proto_bytes body, const struct proto_schema *s,
		       struct proto_slot *slots) PROTO_WUR;

/* Values of parsed slots; 0 when absent. */
uint32_t proto_slot_u32(const struct proto_slot *s);
uint64_t proto_slot_u64(const struct proto_slot *s);

#endif
