/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "ratelimit.h"

#define RL_SLOTS 1024u

struct bucket {
	bool used;
	uid_t uid;
	uint64_t tokens_milli; /* tokens * 1000 */
	uint64_t last_ms;
	uint64_t denied_log_ms;
};

struct ratelimit {
	uint64_t rate;  /* tokens per second */
	uint64_t burst;
	struct bucket slots[RL_SLOTS];
};

int
ratelimit_new(uint32_t rate, uint32_t burst, struct ratelimit **ret)
{
	struct ratelimit *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -ENOMEM;
	r->rate = rate;
	r->burst = burst > 0 ? burst : 1;
	*ret = r;
	return 0;
}

void
ratelimit_free(struct ratelimit *r)
{
	free(r);
}

static struct bucket *
find(struct ratelimit *r, uid_t uid, uint64_t now_ms)
{
	size_t h = ((size_t)uid * 2654435761u) % RL_SLOTS, oldest = h;

	for (size_t i = 0; i < RL_SLOTS; i++) {
		struct bucket *b = &r->slots[(h + i) % RL_SLOTS];

		if (b->used && b->uid == uid)
			return b;
		if (!b->used) {
			oldest = (h + i) % RL_SLOTS;
			break;
		}
		if (b->last_ms < r->slots[oldest].last_ms)
			oldest = (h + i) % RL_SLOTS;
	}
	r->slots[oldest] = (struct bucket){true, uid, r->burst * 1000, now_ms, 0};
	return &r->slots[oldest];
}

bool
ratelimit_take(struct ratelimit *r, uid_t uid, uint64_t now_ms, bool *ret_first_denial)
{
	struct bucket *b = find(r, uid, now_ms);
	uint64_t refill = (now_ms - b->last_ms) * r->rate, cap = r->burst * 1000;

	b->tokens_milli = b->tokens_milli + refill > cap ? cap : b->tokens_milli + refill;
	b->last_ms = now_ms;
	*ret_first_denial = false;
	if (b->tokens_milli >= 1000) {
		b->tokens_milli -= 1000;
		return true;
	}
	if (now_ms - b->denied_log_ms >= 1000) {
		b->denied_log_ms = now_ms;
		*ret_first_denial = true;
	}
	return false;
}
