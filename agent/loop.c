/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>


#include "common/log.h"
#include "arena.h"
#include "audit.h"
#include "conn.h"
#include "loop.h"
#include "ops.h"
#include "keys.h"
#include "seal.h"
#include "sdnotify.h"
#include "store.h"
#include "worker.h"
#include "writer.h"

#define MAX_EVENTS 64

/* Non-connection sources, told apart by address. */
static char src_listen, src_signal, src_timer, src_writer, src_worker, src_audit;

uint64_t
agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

uint64_t
agent_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
watch(struct agent *a, int fd, void *src)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = src};

	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void
loop_block_signals(sigset_t *ret)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ret != NULL)
		*ret = mask;
}

void
loop_listen_pause(struct agent *a, bool pause)
{
	struct epoll_event ev = {.events = pause ? 0 : EPOLLIN, .data.ptr = &src_listen};

	if (a->listen_paused == pause)
		return;
	if (epoll_ctl(a->epfd, EPOLL_CTL_MOD, a->listen_fd, &ev) == 0)
		a->listen_paused = pause;
	if (pause)
		log_warn("out of file descriptors: not accepting connections for a moment");
}

/* A STATUS= line for the service manager: locked or not, and how many
 * secrets. Sent at start, on lock and unlock, and every minute. */
void
loop_notify_status(struct agent *a)
{
	uint64_t secrets = 0, bytes = 0;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	if (store_stats(a->store, &secrets, &bytes) < 0)
		secrets = 0;
	sdn_notifyf("STATUS=serving; %s; %llu secret%s", keys_locked(a->keys) ? "locked" : "unlocked",
		   (unsigned long long)secrets, secrets == 1 ? "" : "s");
	a->status_locked = keys_locked(a->keys);
	a->next_status_ms = agent_mono_ms() + 60000;
}

/* The service manager's watchdog (WATCHDOG_USEC): pinged at half its
 * period from the timer, which ticks at least that often. */
static void
watchdog_tick(struct agent *a, uint64_t now)
{
	if (a->watchdog_ms == 0 || now < a->next_watchdog_ms)
		return;
	sdn_notify("WATCHDOG=1");
	a->next_watchdog_ms = now + a->watchdog_ms;
}

int
loop_init(struct agent *a)
{
	struct itimerspec its = {{1, 0}, {1, 0}};
	uint64_t usec = 0;
	sigset_t mask;
	int r;

	if ((usec = sdn_watchdog_usec()) > 0) {
		a->watchdog_ms = usec / 2000 > 0 ? usec / 2000 : 1;
		if (a->watchdog_ms < 1000) {
			its.it_interval.tv_sec = its.it_value.tv_sec = 0;
			its.it_interval.tv_nsec = its.it_value.tv_nsec =
				(long)a->watchdog_ms * 1000000L;
		}
	}

	loop_block_signals(&mask);
	a->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->signal_fd < 0 || a->timer_fd < 0 || a->epfd < 0)
		return -errno;
	if (timerfd_settime(a->timer_fd, 0, &its, NULL) < 0)
		return -errno;
	if ((r = watch(a, a->listen_fd, &src_listen)) < 0 ||
	    (r = watch(a, a->signal_fd, &src_signal)) < 0 ||
	    (r = watch(a, a->timer_fd, &src_timer)) < 0 ||
	    (r = watch(a, writer_fd(a->writer), &src_writer)) < 0 ||
	    (r = watch(a, worker_fd(a->worker), &src_worker)) < 0 ||
	    (r = watch(a, audit_timer_fd(a), &src_audit)) < 0)
		return r;
	return 0;
}

static void
on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_notice("received %s, shutting down", strsignal((int)si.ssi_signo));
			a->stopping = true;
		}
	}
}

/* The retention sweep: at start, then every retention/2 (1 s to 1 h). */
static void
sweep_tick(struct agent *a)
{
	uint64_t now = agent_mono_ms(), every = a->cfg.retention * 1000 / 2;

	if (now < a->next_sweep_ms)
		return;
	if (every < 1000)
		every = 1000;
	if (every > 3600 * 1000)
		every = 3600 * 1000;
	a->next_sweep_ms = now + every;
	ops_queue_sweep(a);
}

/* --lock-timeout: lock once no request has needed the keys for that long. */
static void
autolock_tick(struct agent *a)
{
	uint64_t now = agent_mono_ms();

	if (a->cfg.lock_timeout == 0 || keys_locked(a->keys))
		return;
	if (now - a->last_use_ms < a->cfg.lock_timeout * 1000)
		return;
	keys_lock(a->keys);
	seal_cache_clear(a->seal_cache);
	log_notice("locked after %llus without use", (unsigned long long)a->cfg.lock_timeout);
}

static void
on_timer(struct agent *a)
{
	uint64_t n;

	if (read(a->timer_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("timerfd: %s", strerror(errno));
	uint64_t now = agent_mono_ms();

	watchdog_tick(a, now);
	loop_listen_pause(a, false); /* accept again, at most once a second */
	conn_sweep(a, now);
	if (!keys_locked(a->keys))
		sweep_tick(a);
	autolock_tick(a);
	if (keys_locked(a->keys)) /* however they came to be locked */
		seal_cache_clear(a->seal_cache);
	audit_tick(a);
	if (now >= a->next_status_ms || a->status_locked != keys_locked(a->keys))
		loop_notify_status(a);
}

static void
on_writer(struct agent *a)
{
	struct wjob *j = writer_take_done(a->writer);

	while (j != NULL) {
		struct wjob *next = j->next;

		ops_write_reply(a, j);
		j = next;
	}
}

int
loop_run(struct agent *a)
{
	struct epoll_event evs[MAX_EVENTS];

	a->last_use_ms = agent_mono_ms();
	watchdog_tick(a, a->last_use_ms);
	loop_notify_status(a);
	if (!keys_locked(a->keys))
		sweep_tick(a);
	while (!a->stopping) {
		int n = epoll_wait(a->epfd, evs, MAX_EVENTS, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			void *src = evs[i].data.ptr;

			if (src == &src_listen)
				conn_accept(a);
			else if (src == &src_signal)
				on_signal(a);
			else if (src == &src_timer)
				on_timer(a);
			else if (src == &src_writer)
				on_writer(a);
			else if (src == &src_worker)
				worker_reap(a, a->worker);
			else if (src == &src_audit)
				audit_on_timer(a);
			else
				conn_event(a, src, evs[i].events);
		}
		if (arena_take_released(a->arena))
			conn_retry_waiting(a);
		conn_reap(a);
	}
	return 0;
}

void
loop_fini(struct agent *a)
{
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	if (a->timer_fd >= 0)
		close(a->timer_fd);
}
