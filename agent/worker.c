/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "worker.h"

struct worker {
	struct agent *agent;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sjob *queue, *queue_tail, *done, *done_tail;
	bool stop;
	int efd;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t one = 1;

	for (;;) {
		struct sjob *j;

		pthread_mutex_lock(&w->mu);
		while (w->queue == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		j = w->queue;
		if (j == NULL) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		w->queue = j->next;
		if (w->queue == NULL)
			w->queue_tail = NULL;
		pthread_mutex_unlock(&w->mu);

		j->run(w->agent, j);

		pthread_mutex_lock(&w->mu);
		j->next = NULL;
		if (w->done_tail != NULL)
			w->done_tail->next = j;
		else
			w->done = j;
		w->done_tail = j;
		pthread_mutex_unlock(&w->mu);
		if (write(w->efd, &one, sizeof(one)) < 0)
			log_err("worker: cannot signal the loop: %s", strerror(errno));
	}
	return NULL;
}

int
worker_start(struct agent *a, struct worker **ret)
{
	struct worker *w = calloc(1, sizeof(*w));
	int r;

	if (w == NULL)
		return -ENOMEM;
	w->agent = a;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = -errno;
		free(w);
		return r;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	r = -pthread_create(&w->thread, NULL, worker_main, w);
	if (r < 0) {
		close(w->efd);
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

int
worker_fd(const struct worker *w)
{
	return w->efd;
}

void
worker_submit(struct worker *w, struct sjob *j)
{
	j->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->queue_tail != NULL)
		w->queue_tail->next = j;
	else
		w->queue = j;
	w->queue_tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
worker_reap(struct agent *a, struct worker *w)
{
	struct sjob *j;
	uint64_t n;

	if (read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("worker eventfd: %s", strerror(errno));
	pthread_mutex_lock(&w->mu);
	j = w->done;
	w->done = w->done_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	while (j != NULL) {
		struct sjob *next = j->next;

		j->done(a, j);
		j = next;
	}
}

void
worker_free(struct agent *a, struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	worker_reap(a, w);
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
