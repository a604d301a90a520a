/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_AGENT_H
#define CREDAGENT_AGENT_AGENT_H

/* The agent's configuration and its one state object, owned by main(). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AGENT_WUR __attribute__((warn_unused_result))

struct agent_config {
	bool foreground;
	bool system_mode;
	bool debug;
	char *sock_path;
	char *state_dir;
	char *keyfile;
	size_t arena_size;      /* 0: default */
	bool arena_size_set;
	size_t map_size;
	uint32_t frame_max;
	uint32_t idle_timeout;  /* seconds a half-sent frame may wait */
	uint32_t max_conns;
	uint32_t max_conns_per_uid;
	uint32_t max_watches_per_uid;
	uint64_t retention;     /* seconds a soft-deleted secret is kept */
	const char *admin_group;
	bool admin_group_set; /* given by --admin-group */
	uint32_t rate;          /* requests per second per uid */
	uint32_t burst;
	bool no_pidfd;          /* tests: take the path without SO_PEERPIDFD */
	uint64_t kdf_ops;       /* Argon2id limits for new passphrase slots */
	uint64_t kdf_mem;
	uint64_t lock_timeout;  /* seconds idle before locking; 0: never */
	uint32_t rekey_batch;   /* blobs per rekey transaction */
	uint32_t rekey_pause_ms; /* tests: a pause before each rekey batch */
	uint32_t audit_budget;   /* failed-request records per uid per minute */
	uint64_t audit_retention; /* seconds audit records are kept; 0: forever */
	bool no_read_audit;      /* benchmarks only: reads leave no record */
};

struct store;
struct keys;
struct arena;
struct writer;
struct conn;
struct watch;
struct ratelimit;
struct worker;
struct audit;
struct seal_cache;
struct usage;

struct agent {
	struct agent_config cfg;
	uid_t uid; /* the agent's own uid */
	gid_t admin_gid;
	bool admin_gid_set;
	uint64_t started; /* CLOCK_MONOTONIC seconds */
	int epfd;
	int listen_fd;
	bool listen_activated; /* passed by systemd: never unlink */
	int signal_fd;
	int timer_fd;
	int writer_fd; /* eventfd: writer jobs done */
	bool stopping;
	struct store *store;
	struct keys *keys;
	struct arena *arena;
	struct writer *writer;
	uint8_t *dek_scratch; /* loop thread's locked DEK scratch */
	struct seal_cache *seal_cache; /* loop thread's, wiped on lock */
	struct conn *conns;   /* doubly linked list */
	struct conn *zombies; /* closed this iteration; freed after it */
	uint32_t n_conns;
	uint64_t next_conn_id;
	struct watch *watches;
	uint64_t next_sweep_ms; /* CLOCK_MONOTONIC */
	bool sweep_queued;
	struct ratelimit *ratelimit;
	struct worker *worker;
	uint64_t last_use_ms; /* a request last needed the keys */
	struct conn *rekey_conn; /* waiting for the rekey to finish */
	uint32_t rekey_reqid;
	bool rekey_running;      /* a batch is queued */
	struct audit *audit;
	struct usage *usage;
	uint64_t watchdog_ms;      /* ping period (half WATCHDOG_USEC); 0: none */
	uint64_t next_watchdog_ms;
	uint64_t next_status_ms;   /* the next STATUS= line */
	bool status_locked;        /* locked, as the last STATUS= line said */
	bool listen_paused;        /* out of descriptors: accepting later */
};

/* Seconds since the epoch, and monotonic milliseconds. */
uint64_t agent_now(void);
uint64_t agent_mono_ms(void);

#endif
