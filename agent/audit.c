/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/journal.h"
#include "common/log.h"
#include "audit.h"
#include "exec.h"
#include "keys.h"
#include "store.h"
#include "usage.h"
#include "writer.h"

#define PENDING_MAX 16384u  /* past this, notes are only counted */
#define FOLD_WINDOW 32u     /* recent notes a new one may fold into */
#define BUDGET_SLOTS 256u
#define RETRY_MS 1000u      /* after a failed flush */
#define RETENTION_BATCH 10000u

struct budget {
	bool used;
	uint32_t uid;
	uint64_t minute;
	uint32_t records;    /* failed-request records this minute */
	uint32_t suppressed; /* failed requests only counted */
	struct audit_entry last;
};

struct audit_batch {
	struct audit_entry *e;
	uint32_t n;
	struct usage_snap *u;
	uint32_t n_u;
	bool retention;
	uint64_t gen; /* the queue's generation it takes */
};

struct jentry {
	uint64_t seq;
	struct audit_entry e;
};

struct audit {
	/* loop thread */
	struct audit_entry *pending;
	uint32_t n_pending, cap;
	bool in_flight;
	bool failing;
	bool armed;
	int timer_fd;
	struct budget budget[BUDGET_SLOTS];
	uint64_t next_head_ms, next_retention_ms;
	bool retention_due;
	uint64_t gen, committed; /* notes queued, and committed, so far */
	/* writer thread */
	struct audit_chain chain, saved;
	struct jentry *jq;
	uint32_t n_jq, jq_cap;
	bool journal;
	bool retention_more; /* set by the writer, read once the flush is back */
	/* both */
	pthread_mutex_t head_mu;
	struct audit_chain head;
};

bool
audit_failing(const struct agent *a)
{
	return a->audit != NULL && a->audit->failing;
}

int
audit_timer_fd(const struct agent *a)
{
	return a->audit->timer_fd;
}

void
audit_head(const struct agent *a, struct audit_chain *ret)
{
	pthread_mutex_lock(&a->audit->head_mu);
	*ret = a->audit->head;
	pthread_mutex_unlock(&a->audit->head_mu);
}

int
audit_start(struct agent *a)
{
	struct audit *q = calloc(1, sizeof(*q));
	MDB_txn *t;
	int r;

	if (q == NULL)
		return -ENOMEM;
	q->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (q->timer_fd < 0) {
		r = -errno;
		free(q);
		return r;
	}
	pthread_mutex_init(&q->head_mu, NULL);
	r = store_read_begin(a->store, &t);
	if (r == 0) {
		r = audit_chain_load(a->store, t, &q->chain);
		store_read_end(a->store);
	}
	if (r < 0) {
		audit_free(q);
		return r;
	}
	q->head = q->chain;
	q->journal = access(JOURNAL_SOCKET_PATH, W_OK) == 0;
	q->next_head_ms = agent_mono_ms() + 60000;
	q->next_retention_ms = agent_mono_ms() + 5000;
	a->audit = q;
	return 0;
}

void
audit_free(struct audit *q)
{
	if (q == NULL)
		return;
	if (q->timer_fd >= 0)
		close(q->timer_fd);
	pthread_mutex_destroy(&q->head_mu);
	free(q->pending);
	free(q->jq);
	free(q);
}

void
audit_target_set(struct audit_target *t, uint32_t owner, struct proto_bytes name,
		 uint32_t version)
{
	memset(t, 0, sizeof(*t));
	if (name.len == 0 || name.len > PROTO_NAME_MAX)
		return;
	t->present = true;
	t->owner = owner;
	t->name_len = (uint8_t)name.len;
	memcpy(t->name, name.ptr, name.len);
	t->version = version;
}

/* ---- the loop's queue ---- */

static void
arm(struct audit *q, uint32_t ms)
{
	struct itimerspec its = {{0, 0}, {ms / 1000, (long)(ms % 1000) * 1000000L}};

	if (q->armed)
		return;
	if (timerfd_settime(q->timer_fd, 0, &its, NULL) == 0)
		q->armed = true;
	else
		log_err("audit: cannot arm the flush timer: %s", strerror(errno));
}

static void
flush(struct agent *a)
{
	struct audit *q = a->audit;
	struct audit_batch *b;
	struct wjob *j;

	if (q->in_flight || a->writer == NULL)
		return;
	if (q->n_pending == 0 && !usage_dirty(a) && !q->retention_due)
		return;
	b = calloc(1, sizeof(*b));
	j = calloc(1, sizeof(*j));
	if (b == NULL || j == NULL) {
		free(b);
		free(j);
		arm(q, RETRY_MS);
		return;
	}
	b->e = q->pending;
	b->n = q->n_pending;
	b->n_u = usage_take_dirty(a, &b->u);
	b->retention = q->retention_due;
	b->gen = q->gen;
	q->retention_due = false;
	q->pending = NULL;
	q->n_pending = q->cap = 0;
	j->type = OPS_JOB_AUDIT;
	j->status = PROTO_OK;
	j->peer.uid = a->uid;
	j->abatch = b;
	q->in_flight = true;
	writer_submit(a->writer, j);
}

static int
push(struct audit *q, const struct audit_entry *e)
{
	if (q->n_pending == q->cap) {
		uint32_t cap = q->cap == 0 ? 64 : q->cap * 2;
		struct audit_entry *n = realloc(q->pending, (size_t)cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		q->pending = n;
		q->cap = cap;
	}
	q->pending[q->n_pending++] = *e;
	return 0;
}

static bool
same_target(const struct audit_target *x, const struct audit_target *y)
{
	if (x->present != y->present)
		return false;
	return !x->present || (x->owner == y->owner && x->version == y->version &&
			       x->name_len == y->name_len &&
			       memcmp(x->name, y->name, x->name_len) == 0);
}

/* Fold E into an identical record of the same second still queued. */
static bool
fold(struct audit *q, const struct audit_entry *e)
{
	uint32_t from = q->n_pending > FOLD_WINDOW ? q->n_pending - FOLD_WINDOW : 0;

	for (uint32_t i = q->n_pending; i-- > from;) {
		struct audit_entry *p = &q->pending[i];

		if (p->time == e->time && p->uid == e->uid && p->op == e->op &&
		    p->status == e->status && same_target(&p->target, &e->target)) {
			p->count += e->count;
			return true;
		}
	}
	return false;
}

static void
queue(struct agent *a, const struct audit_entry *e)
{
	struct audit *q = a->audit;

	q->gen++;
	if (fold(q, e))
		return;
	if (push(q, e) < 0) {
		log_err("audit: out of memory; a record of uid %u is lost", (unsigned)e->uid);
		return;
	}
	if (q->n_pending >= AUDIT_BATCH_MAX)
		flush(a);
	else
		arm(q, q->failing ? RETRY_MS : AUDIT_FLUSH_MS);
}

static struct budget *
budget_of(struct audit *q, uint32_t uid, uint64_t minute)
{
	uint32_t h = (uid * 2654435761u) % BUDGET_SLOTS;
	struct budget *free_slot = NULL;

	for (uint32_t i = 0; i < BUDGET_SLOTS; i++) {
		struct budget *b = &q->budget[(h + i) % BUDGET_SLOTS];

		if (b->used && b->uid == uid)
			return b;
		if (free_slot == NULL && (!b->used || (b->minute < minute && b->suppressed == 0)))
			free_slot = b;
		if (!b->used)
			break; /* the uid is nowhere further on */
	}
	if (free_slot == NULL)
		return &q->budget[h]; /* every slot busy this minute: share one */
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->uid = uid;
	free_slot->minute = minute;
	return free_slot;
}

/* The summary of what B only counted. */
static void
summarize(struct agent *a, struct budget *b, uint64_t now)
{
	struct audit_entry e = b->last;

	if (b->suppressed == 0)
		return;
	e.op = AUDIT_OP_SUPPRESSED;
	e.count = b->suppressed;
	e.time = now;
	e.security = true;
	memset(&e.target, 0, sizeof(e.target));
	b->suppressed = 0;
	queue(a, &e);
}

void
audit_note(struct agent *a, const struct peer *p, uint8_t op, const struct audit_target *target,
	   uint16_t status)
{
	struct audit *q = a->audit;
	struct audit_entry e;

	if (q == NULL)
		return;
	audit_entry_init(&e, p, op, target, status);
	e.time = agent_now();
	if (status != PROTO_OK || q->n_pending >= PENDING_MAX) {
		uint64_t minute = e.time / 60;
		struct budget *b = budget_of(q, e.uid, minute);

		if (b->minute != minute) {
			summarize(a, b, e.time);
			b->minute = minute;
			b->records = 0;
		}
		if (b->records >= a->cfg.audit_budget || q->n_pending >= PENDING_MAX) {
			/* Past the budget (or the queue's end): counted only. */
			if (fold(q, &e))
				return;
			b->suppressed++;
			b->last = e;
			return;
		}
		b->records++;
	}
	queue(a, &e);
}

void
audit_note_frame(struct agent *a, const struct peer *p, const struct proto_frame *f,
		 const struct proto_ref *ref, uint16_t status, uint32_t version)
{
	struct audit_target t = {0};
	struct proto_ref peeked;
	uint32_t v = 0;

	if (f->type == PROTO_MSG_HELLO)
		return;
	if (ref == NULL && proto_peek_target(f->body, &peeked, &v) == 1)
		ref = &peeked;
	if (ref != NULL)
		audit_target_set(&t, ref->has_owner ? ref->owner : (uint32_t)p->uid, ref->name,
				 version != 0 ? version : v);
	audit_note(a, p, f->type, &t, status);
}

static void
summarize_all(struct agent *a, uint64_t now, bool all)
{
	uint64_t minute = now / 60;

	for (uint32_t i = 0; i < BUDGET_SLOTS; i++) {
		struct budget *b = &a->audit->budget[i];

		if (b->used && b->suppressed > 0 && (all || b->minute < minute))
			summarize(a, b, now);
	}
}

bool
audit_settle(struct agent *a, uint64_t *ticket)
{
	struct audit *q = a->audit;

	if (*ticket == 0) {
		summarize_all(a, agent_now(), true);
		if (q->n_pending == 0 && !q->in_flight)
			return true;
		*ticket = q->gen;
	} else if (q->committed >= *ticket) {
		*ticket = 0;
		return true;
	}
	flush(a);
	return false;
}

uint64_t
audit_touch(struct agent *a)
{
	a->audit->gen++;
	flush(a);
	return a->audit->gen;
}

void
audit_kick(struct agent *a)
{
	arm(a->audit, a->audit->failing ? RETRY_MS : AUDIT_FLUSH_MS);
}

void
audit_on_timer(struct agent *a)
{
	uint64_t n;

	if (read(a->audit->timer_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("audit timer: %s", strerror(errno));
	a->audit->armed = false;
	flush(a);
}

static void
send_head(struct agent *a, bool shutdown)
{
	char hex[AUDIT_LINK_SIZE * 2 + 1];
	struct audit_chain h;

	audit_head(a, &h);
	sodium_bin2hex(hex, sizeof(hex), h.link, sizeof(h.link));
	if (a->audit->journal) {
		char f[5][160];
		const char *fp[5] = {f[0], f[1], f[2], f[3], f[4]};

		snprintf(f[0], sizeof(f[0]), "MESSAGE=credagentd audit chain head: record %llu, link %s",
			 (unsigned long long)h.seq, hex);
		snprintf(f[1], sizeof(f[1]), "PRIORITY=6");
		snprintf(f[2], sizeof(f[2]), "CRED_AUDIT_SEQ=%llu", (unsigned long long)h.seq);
		snprintf(f[3], sizeof(f[3]), "CRED_AUDIT_HEAD=%s", hex);
		snprintf(f[4], sizeof(f[4]), "SYSLOG_IDENTIFIER=credagentd");
		(void)journal_send_fields(fp, 5);
	}
	if (shutdown)
		log_notice("audit chain head: record %llu, link %s", (unsigned long long)h.seq,
			   hex);
	else
		log_debug("audit chain head: record %llu, link %s", (unsigned long long)h.seq,
			  hex);
}

void
audit_tick(struct agent *a)
{
	struct audit *q = a->audit;
	uint64_t now = agent_mono_ms();

	summarize_all(a, agent_now(), false);
	if (now >= q->next_head_ms) {
		q->next_head_ms = now + 60000;
		send_head(a, false);
	}
	if (now >= q->next_retention_ms && a->cfg.audit_retention > 0) {
		q->next_retention_ms = now + 3600 * 1000;
		q->retention_due = true;
		audit_kick(a);
	}
}

/* Shutdown only: wait for the flush with the writer and take it back. */
static void
wait_flush(struct agent *a)
{
	struct pollfd p = {.fd = writer_fd(a->writer), .events = POLLIN};

	while (a->audit->in_flight && poll(&p, 1, 5000) > 0) {
		struct wjob *j = writer_take_done(a->writer);

		while (j != NULL) {
			struct wjob *next = j->next;

			ops_write_reply(a, j);
			j = next;
		}
	}
}

void
audit_shutdown(struct agent *a)
{
	if (a->audit == NULL || a->writer == NULL)
		return;
	summarize_all(a, agent_now(), true);
	/* What is queued now goes in one last flush, once the one with the
	 * writer (if any) is back; the writer runs it before it stops. */
	wait_flush(a);
	flush(a);
}

void
audit_stopped(struct agent *a)
{
	if (a->audit != NULL)
		send_head(a, true);
}

void
audit_flush_done(struct agent *a, struct wjob *j)
{
	struct audit *q = a->audit;
	struct audit_batch *b = j->abatch;

	q->in_flight = false;
	if (j->status != PROTO_OK) {
		if (!q->failing)
			log_err("audit: records cannot be committed (%s): values are withheld "
				"until they can",
				j->message);
		q->failing = true;
		/* Keep the records: they go first in the next try. */
		for (uint32_t i = 0; i < b->n; i++)
			if (push(q, &b->e[i]) < 0)
				break;
		usage_flush_failed(a, b->u, b->n_u);
		b->n_u = 0;
		q->retention_due |= b->retention;
		arm(q, RETRY_MS);
	} else {
		if (q->failing)
			log_notice("audit: records are committed again; values are served");
		q->failing = false;
		if (b->gen > q->committed)
			q->committed = b->gen;
		if (b->retention && q->retention_more) {
			q->retention_more = false;
			q->retention_due = true;
		}
		if (q->n_pending >= AUDIT_BATCH_MAX)
			flush(a);
		else if (q->n_pending > 0 || usage_dirty(a))
			arm(q, AUDIT_FLUSH_MS);
	}
	if (!a->stopping)
		conn_retry_waiting(a); /* AUDIT queries waiting for this */
}

void
audit_batch_free(struct audit_batch *b)
{
	if (b == NULL)
		return;
	free(b->e);
	usage_snaps_free(b->u, b->n_u);
	free(b);
}

/* ---- writer thread ---- */

void
audit_batch_begin(struct agent *a)
{
	a->audit->saved = a->audit->chain;
	a->audit->n_jq = 0;
}

#define N_JFIELDS 11

static void
journal_send(const struct jentry *j)
{
	const struct audit_entry *e = &j->e;
	const char *op = proto_op_name(e->op);
	char name[PROTO_NAME_MAX + 1], msg[512], f[N_JFIELDS][PROTO_NAME_MAX + 576];
	const char *fp[N_JFIELDS];

	memcpy(name, e->target.name, e->target.name_len);
	name[e->target.name_len] = '\0';
	snprintf(msg, sizeof(msg), "credagentd audit: uid %u pid %u %s%s%s: %s, %u time%s", e->uid,
		 e->pid, op != NULL ? op : "?", e->target.present ? " " : "",
		 e->target.present ? name : "", proto_status_name(e->status), e->count,
		 e->count == 1 ? "" : "s");
	snprintf(f[0], sizeof(f[0]), "MESSAGE=%s", msg);
	snprintf(f[1], sizeof(f[1]), "PRIORITY=%d", e->security ? 4 : 6);
	snprintf(f[2], sizeof(f[2]), "CRED_OP=%s", op != NULL ? op : "?");
	snprintf(f[3], sizeof(f[3]), "CRED_NAME=%s", e->target.present ? name : "");
	snprintf(f[4], sizeof(f[4]), "CRED_OWNER=%u", e->target.present ? e->target.owner : 0);
	snprintf(f[5], sizeof(f[5]), "CRED_UID=%u", e->uid);
	snprintf(f[6], sizeof(f[6]), "CRED_PID=%u", e->pid);
	snprintf(f[7], sizeof(f[7]), "CRED_STATUS=%s", proto_status_name(e->status));
	snprintf(f[8], sizeof(f[8]), "CRED_COUNT=%u", e->count);
	snprintf(f[9], sizeof(f[9]), "CRED_SEQ=%llu", (unsigned long long)j->seq);
	snprintf(f[10], sizeof(f[10]), "SYSLOG_IDENTIFIER=credagentd");
	for (size_t i = 0; i < N_JFIELDS; i++)
		fp[i] = f[i];
	(void)journal_send_fields(fp, N_JFIELDS);
}

void
audit_batch_end(struct agent *a, bool committed)
{
	struct audit *q = a->audit;

	if (!committed) {
		q->chain = q->saved;
		q->n_jq = 0;
		return;
	}
	pthread_mutex_lock(&q->head_mu);
	q->head = q->chain;
	pthread_mutex_unlock(&q->head_mu);
	if (q->journal)
		for (uint32_t i = 0; i < q->n_jq; i++)
			journal_send(&q->jq[i]);
	q->n_jq = 0;
}

static int
append(struct agent *a, MDB_txn *t, const struct audit_entry *e)
{
	struct audit *q = a->audit;
	int r = audit_append(a->store, t, &q->chain, keys_audit_key(a->keys), e);

	if (r == 0 && q->journal) {
		if (q->n_jq == q->jq_cap) {
			uint32_t cap = q->jq_cap == 0 ? 64 : q->jq_cap * 2;
			struct jentry *n = realloc(q->jq, (size_t)cap * sizeof(*n));

			if (n == NULL)
				return 0; /* the journal copy is best effort */
			q->jq = n;
			q->jq_cap = cap;
		}
		q->jq[q->n_jq].seq = q->chain.seq;
		q->jq[q->n_jq++].e = *e;
	}
	return r;
}

/* The version a mutation's record names: the one it made or purged. */
static uint32_t
job_version(const struct wjob *j)
{
	switch (j->type) {
	case PROTO_MSG_PUT:
	case PROTO_MSG_ROTATE:
	case PROTO_MSG_ROLLBACK:
		return j->version;
	case PROTO_MSG_PURGE:
		return j->req.versioned.has_version ? j->req.versioned.version : 0;
	default:
		return 0;
	}
}

void
audit_job_note(struct agent *a, const struct wjob *j)
{
	struct audit_target target = {0};

	if (j->name.len > 0)
		audit_target_set(&target, j->owner, j->name,
				 j->status == PROTO_OK ? job_version(j) : 0);
	audit_note(a, &j->peer, j->type, &target, j->status);
}

int
audit_job_committed(struct agent *a, MDB_txn *t, struct wjob *j)
{
	struct audit_target target = {0};
	struct audit_entry e;
	int r;

	if (j->conn == NULL)
		return 0; /* the agent's own jobs: sweeps, rekey batches */
	audit_target_set(&target, j->owner, j->name, job_version(j));
	audit_entry_init(&e, &j->peer, j->type, &target, j->status);
	e.time = agent_now();
	r = append(a, t, &e);
	if (r == 0)
		j->audited = true;
	return r;
}

/* Drop records older than the retention, moving the anchor past them. */
static int
drop_old(struct agent *a, MDB_txn *t, const uint8_t *key)
{
	uint64_t now = agent_now(), cutoff, last = 0;
	uint8_t link[AUDIT_LINK_SIZE];
	MDB_cursor *cur;
	MDB_val k, v;
	uint32_t n = 0;
	int rc;

	if (key == NULL || a->cfg.audit_retention == 0 || now <= a->cfg.audit_retention)
		return 0;
	cutoff = now - a->cfg.audit_retention;
	rc = mdb_cursor_open(t, a->store->audit, &cur);
	if (rc != 0)
		return store_errno(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < RETENTION_BATCH;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct audit_stored s;

		/* Never the newest record: the chain's end stays readable. */
		if (k.mv_size != 8 || buf_load_u64(k.mv_data) >= a->audit->chain.seq ||
		    audit_decode(v.mv_data, v.mv_size, &s) < 0 || s.e.time >= cutoff)
			break;
		last = s.seq;
		memcpy(link, s.link, AUDIT_LINK_SIZE);
		rc = mdb_cursor_del(cur, 0);
		if (rc != 0)
			break;
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_errno(rc);
	if (n == 0)
		return 0;
	/* A full batch: more may be due; the next flush goes on. */
	a->audit->retention_more = n == RETENTION_BATCH;
	log_info("audit: dropped %u records older than the retention (through %llu)", n,
		 (unsigned long long)last);
	return audit_anchor_save(a->store, t, key, last + 1, link);
}

int
audit_exec_flush(struct agent *a, MDB_txn *t, struct wjob *j)
{
	struct audit_batch *b = j->abatch;
	struct audit_chain start = a->audit->chain;
	uint32_t jq = a->audit->n_jq;
	int r = 0;

	for (uint32_t i = 0; i < b->n && r == 0; i++)
		r = append(a, t, &b->e[i]);
	if (r == 0 && b->n_u > 0)
		r = usage_exec_flush(a, t, b->u, b->n_u);
	if (r == 0 && b->retention)
		r = drop_old(a, t, keys_audit_key(a->keys));
	if (r < 0) {
		a->audit->chain = start;
		a->audit->n_jq = jq;
		return exec_store_error(j, r);
	}
	return 0;
}
