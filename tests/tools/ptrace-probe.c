/* SPDX-License-Identifier: MIT */
/*
 * ptrace-probe: may the caller look into process PID? For the tests that
 * check that the agent is not dumpable (tests/integration/73-leaks.t).
 *
 *   ptrace-probe attach PID    PTRACE_ATTACH (then detach at once)
 *   ptrace-probe read PID      process_vm_readv of 16 bytes at the start
 *                              of PID's first readable mapping
 *
 * Both need PTRACE_MODE_ATTACH: refused for a process of another uid, or
 * of the same uid that has made itself not dumpable (PR_SET_DUMPABLE 0),
 * unless the caller has CAP_SYS_PTRACE. Prints "allowed" and exits 0, or
 * prints the errno's name ("EPERM", ...) and exits 1; 2 on usage.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int
refused(int e)
{
	const char *n = e == EPERM ? "EPERM" : e == EACCES ? "EACCES" : e == ESRCH ? "ESRCH" : NULL;

	if (n != NULL)
		printf("%s\n", n);
	else
		printf("errno %d (%s)\n", e, strerror(e));
	return 1;
}

/* The start of PID's first readable mapping, read from /proc/PID/maps:
 * readable by the caller only if it may ptrace-read PID, so a refusal
 * there is a refusal too (-1 with errno). */
static int
first_mapping(pid_t pid, uintptr_t *ret)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		uintmax_t start;
		char perms[8];

		if (sscanf(line, "%jx-%*x %7s", &start, perms) == 2 && perms[0] == 'r') {
			fclose(f);
			*ret = (uintptr_t)start;
			return 0;
		}
	}
	fclose(f);
	errno = ENOENT;
	return -1;
}

int
main(int argc, char **argv)
{
	char *end;
	long v;
	pid_t pid;

	if (argc != 3)
		goto usage;
	errno = 0;
	v = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > INT32_MAX)
		goto usage;
	pid = (pid_t)v;
	if (strcmp(argv[1], "attach") == 0) {
		int st;

		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
			return refused(errno);
		(void)waitpid(pid, &st, __WALL);
		(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
		printf("allowed\n");
		return 0;
	}
	if (strcmp(argv[1], "read") == 0) {
		char buf[16];
		uintptr_t at = 0;
		struct iovec local = {buf, sizeof(buf)}, remote;

		/* Without the maps, try an address anyway: the kernel checks
		 * the permission before it looks at the address. */
		if (first_mapping(pid, &at) < 0)
			at = 0x400000;
		remote.iov_base = (void *)at;
		remote.iov_len = sizeof(buf);
		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0)
			return refused(errno);
		printf("allowed\n");
		return 0;
	}
usage:
	fprintf(stderr, "usage: ptrace-probe attach|read PID\n");
	return 2;
}
