/* SPDX-License-Identifier: MIT */
/*
 * startbench: an agent's time from exec to ready, and its memory once
 * idle, for make bench.
 *
 *   startbench [-i IDLE_MS] [-T TIMEOUT_S] [--] AGENT [ARG...]
 *
 * Binds a datagram socket in the abstract namespace, runs AGENT with
 * NOTIFY_SOCKET naming it (the agent's stdout and stderr are inherited),
 * and waits for a datagram holding the line READY=1, as systemd would.
 * The time runs from just before the fork to the kernel's receive
 * timestamp of that datagram (SO_TIMESTAMPNS), so that this process
 * waiting for a CPU on a busy machine shortens or stretches nothing; it
 * includes the fork and the exec. Then it waits IDLE_MS (default 100)
 * more, reads the agent's /proc/PID/status and smaps_rollup, stops it with
 * SIGTERM and waits for it to exit. Prints one line:
 *
 *   ready=X.XXXms rss=NkB anon=NkB file=NkB shmem=NkB locked=NkB hwm=NkB pss=NkB
 *
 * (VmRSS, RssAnon, RssFile, RssShmem, VmLck, VmHWM from status; Pss, the
 * shared pages divided among their users, from smaps_rollup). Exit status:
 * 0 when the agent became ready and exited 0 on SIGTERM, 1 otherwise (it
 * exited, or sent no READY=1 within TIMEOUT_S seconds, default 10), 2
 * usage.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static const char *const fields[] = {"VmRSS", "RssAnon", "RssFile", "RssShmem",
                                     "VmLck", "VmHWM",   "Pss"};
static const char *const labels[] = {"rss", "anon", "file", "shmem", "locked", "hwm", "pss"};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The notify socket, bound; its name (with a leading '@') in NAME. */
static int
notify_socket(char *name, size_t size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	socklen_t len;
	int fd, n, on = 1;

	n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "credagent-startbench-%ld",
	             (long)getpid());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
	    bind(fd, (const struct sockaddr *)&addr, len) < 0)
		return -1;
	snprintf(name, size, "@%s", addr.sun_path + 1);
	return fd;
}

/* Fork and exec ARGV; a failed exec is reported and -1 returned. */
static pid_t
spawn(char **argv)
{
	int p[2], err = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		execv(argv[0], argv);
		err = errno;
		n = write(p[1], &err, sizeof(err));
		(void)n;
		_exit(127);
	}
	close(p[1]);
	if (pid > 0) {
		do
			n = read(p[0], &err, sizeof(err));
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			fprintf(stderr, "startbench: cannot run %s: %s\n", argv[0], strerror(err));
			waitpid(pid, NULL, 0);
			pid = -1;
		}
	}
	close(p[0]);
	return pid;
}

/* CLOCK_REALTIME in nanoseconds, the clock of SO_TIMESTAMPNS. */
static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One datagram into MSG (NUL-terminated), *RET_NS its receive time. */
static ssize_t
recv_stamped(int fd, char *msg, size_t size, uint64_t *ret_ns)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {msg, size - 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm;
	struct timespec ts;
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	if (n < 0)
		return n;
	msg[n] = '\0';
	*ret_ns = realtime_ns();
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			*ret_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	return n;
}

/* Wait for READY=1 on FD until DEADLINE_NS (monotonic): 0 and its receive
 * time (realtime) in *RET_NS, or -1 (timeout or the agent exited first). */
static int
wait_ready(int fd, pid_t pid, uint64_t deadline_ns, uint64_t *ret_ns)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char msg[4096];
	uint64_t now;
	ssize_t n;
	int r;

	for (;;) {
		now = bench_now_ns();
		if (now >= deadline_ns || waitpid(pid, NULL, WNOHANG) != 0)
			return -1;
		/* Short slices: an agent that exits without a word ends the wait. */
		r = poll(&pfd, 1, 20);
		if (r <= 0)
			continue;
		n = recv_stamped(fd, msg, sizeof(msg), ret_ns);
		if (n <= 0)
			continue;
		if (strncmp(msg, "READY=1", 7) == 0 || strstr(msg, "\nREADY=1") != NULL)
			return 0;
	}
}

/* The "Name: N kB" figures of FIELDS found in /proc/PID/FILE, into V. */
static void
read_fields(pid_t pid, const char *file, unsigned long *v)
{
	char path[64], line[256];
	size_t i, len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	f = fopen(path, "re");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		for (i = 0; i < NFIELDS; i++) {
			len = strlen(fields[i]);
			if (strncmp(line, fields[i], len) == 0 && line[len] == ':')
				v[i] = strtoul(line + len + 1, NULL, 10);
		}
	if (f != NULL)
		fclose(f);
}

static void
print_status(pid_t pid, double ready_ms)
{
	unsigned long v[NFIELDS] = {0};
	size_t i;

	read_fields(pid, "status", v);
	read_fields(pid, "smaps_rollup", v);
	printf("ready=%.3fms", ready_ms);
	for (i = 0; i < NFIELDS; i++)
		printf(" %s=%lukB", labels[i], v[i]);
	printf("\n");
}

int
main(int argc, char **argv)
{
	unsigned long idle_ms = 100, timeout_s = 10;
	uint64_t start_ns, ready_ns = 0;
	char name[128];
	int c, fd, status = 0, bad = 0;
	pid_t pid;
	struct timespec idle;

	while ((c = getopt(argc, argv, "+i:T:")) != -1) {
		switch (c) {
		case 'i': bad |= bench_parse_ul(optarg, 0, 60000, "-i", &idle_ms); break;
		case 'T': bad |= bench_parse_ul(optarg, 1, 600, "-T", &timeout_s); break;
		default: bad = 1; break;
		}
	}
	if (bad || optind >= argc) {
		fprintf(stderr,
		        "usage: startbench [-i IDLE_MS] [-T TIMEOUT_S] [--] AGENT [ARG...]\n");
		return 2;
	}
	fd = notify_socket(name, sizeof(name));
	if (fd < 0 || setenv("NOTIFY_SOCKET", name, 1) < 0) {
		fprintf(stderr, "startbench: cannot make the notify socket: %s\n", strerror(errno));
		return 1;
	}
	start_ns = realtime_ns();
	pid = spawn(argv + optind);
	if (pid < 0)
		return 1;
	if (wait_ready(fd, pid, bench_now_ns() + (uint64_t)timeout_s * 1000000000u, &ready_ns) <
	    0) {
		fprintf(stderr, "startbench: %s exited or sent no READY=1 within %lu s\n",
		        argv[optind], timeout_s);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 1;
	}
	idle = (struct timespec){.tv_sec = (time_t)(idle_ms / 1000),
	                         .tv_nsec = (long)(idle_ms % 1000) * 1000000};
	while (nanosleep(&idle, &idle) < 0 && errno == EINTR)
		;
	print_status(pid, (double)(ready_ns - start_ns) / 1e6);
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "startbench: %s did not exit 0 on SIGTERM (status %#x)\n",
		        argv[optind], (unsigned)status);
		return 1;
	}
	return 0;
}
