/* SPDX-License-Identifier: MIT */
/* Errors, warnings, connecting, and small formatting helpers. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/cli/cli.h"

static void
json_error(int err, const char *msg)
{
	json_t *j;
	char *s;

	j = json_pack("{s:{s:s, s:s}}", "error", "status", cred_error_name(err), "message", msg);
	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s != NULL)
		fprintf(stderr, "%s\n", s);
	else
		fprintf(stderr, "{\"error\":{\"status\":\"%s\",\"message\":null}}\n",
		        cred_error_name(err));
	free(s);
	json_decref(j);
}

static int
verror(struct cli *cli, int err, const char *subject, const char *fmt, va_list ap)
{
	char msg[2048];
	int n = 0;

	if (subject != NULL)
		n = snprintf(msg, sizeof(msg), "%s: ", subject);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	if (fmt != NULL)
		(void)vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	else
		(void)snprintf(msg + n, sizeof(msg) - (size_t)n, "%s", cred_strerror(err));
	fflush(stdout);
	if (cli->json)
		json_error(err, msg);
	else if (cli->cmd != NULL)
		fprintf(stderr, "cred: %s: %s\n", cli->cmd, msg);
	else
		fprintf(stderr, "cred: %s\n", msg);
	return cred_exit_code(err);
}

int
cli_error(struct cli *cli, int err, const char *subject, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verror(cli, err, subject, fmt, ap);
	va_end(ap);
	return r;
}

int
cli_lib_error(struct cli *cli, int err, const char *subject)
{
	const char *m = cred_message(cli->conn);

	if (*m != '\0')
		return cli_error(cli, err, subject, "%s", m);
	return cli_error(cli, err, subject, NULL);
}

const struct cli_command *
cli_command_current(const struct cli *cli)
{
	char name[32];
	size_t n;

	if (cli->cmd == NULL)
		return NULL;
	n = strcspn(cli->cmd, " ");
	if (n >= sizeof(name))
		return NULL;
	memcpy(name, cli->cmd, n);
	name[n] = '\0';
	return cli_command_find(name);
}

int
cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	const struct cli_command *c;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verror(cli, CRED_E_USAGE, NULL, fmt, ap);
	va_end(ap);
	c = cli_command_current(cli);
	if (!cli->json && c != NULL)
		cli_command_usage(c, true);
	return r;
}

int
cli_option_error(struct cli *cli, int opt, char **argv)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		return cli_usage_error(cli, "option %s needs an argument", arg);
	if (optopt != 0 && strncmp(arg, "--", 2) != 0)
		return cli_usage_error(cli, "unknown option -%c", optopt);
	return cli_usage_error(cli, "unknown option %s", arg);
}

void
cli_warn(struct cli *cli, const char *subject, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "cred: %s: ", cli->cmd != NULL ? cli->cmd : "");
	if (subject != NULL)
		fprintf(stderr, "%s: ", subject);
	fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_connect(struct cli *cli)
{
	char path[256];
	int r;

	r = cred_connect(cli->sock, &cli->conn);
	if (r == 0)
		return 0;
	cli->conn = NULL;
	if (cred_socket_find(cli->sock, path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "%s", cli->sock != NULL ? cli->sock : "(unknown)");
	switch (-r) {
	case CRED_E_UNREACHABLE:
		return cli_error(cli, r, NULL, "no agent at %s (is credagentd running?)", path);
	case CRED_E_DENIED:
		/* Either the server is not us or root (libcred sent nothing), or
		 * the agent refused us. */
		return cli_error(cli, r, NULL, "%s: permission denied (not your agent?)", path);
	case CRED_E_UNSUPPORTED:
		return cli_error(cli, r, NULL, "%s: the agent speaks another protocol version",
		                 path);
	default: return cli_error(cli, r, NULL, "%s: %s", path, cred_strerror(r));
	}
}

int
cli_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t k;

	while (n > 0) {
		k = write(fd, s, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

void
cli_time_format(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

/* The user name of UID into BUF: true, or false (BUF untouched) when there
 * is none or the database cannot be read. */
static bool
user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) != 0 || res == NULL)
		return false;
	snprintf(buf, size, "%s", res->pw_name);
	return true;
}

void
cli_user_name(uid_t uid, char *buf, size_t size)
{
	if (!user_name(uid, buf, size))
		snprintf(buf, size, "%u", (unsigned)uid);
}

/* The same for a group (whose entry lists its members: a larger buffer). */
static bool
group_name(gid_t gid, char *buf, size_t size)
{
	struct group gr, *res = NULL;
	char tmp[1u << 16];

	if (getgrgid_r(gid, &gr, tmp, sizeof(tmp), &res) != 0 || res == NULL)
		return false;
	snprintf(buf, size, "%s", res->gr_name);
	return true;
}

bool
cli_grantee_name(int is_gid, uint32_t id, char *buf, size_t size)
{
	return is_gid ? group_name((gid_t)id, buf, size) : user_name((uid_t)id, buf, size);
}

void
cli_grantee_words(int is_gid, uint32_t id, char *buf, size_t size)
{
	char name[256];

	if (cli_grantee_name(is_gid, id, name, sizeof(name)))
		snprintf(buf, size, "%s %u (%s)", is_gid ? "gid" : "uid", (unsigned)id, name);
	else
		snprintf(buf, size, "%s %u", is_gid ? "gid" : "uid", (unsigned)id);
}

const char *
cli_state_name(int state)
{
	switch (state) {
	case CRED_STATE_ACTIVE: return "active";
	case CRED_STATE_DISABLED: return "disabled";
	case CRED_STATE_DELETED: return "deleted";
	default: return "unknown";
	}
}

char *
cli_display_name(uid_t owner, const char *name)
{
	char user[256], *s;

	if (owner == getuid())
		return strdup(name);
	cli_user_name(owner, user, sizeof(user));
	if (asprintf(&s, "%s:%s", user, name) < 0)
		return NULL;
	return s;
}

void
cli_reader_words(uid_t uid, pid_t pid, const char *comm, char *buf, size_t size)
{
	snprintf(buf, size, "uid=%u pid=%d %s", (unsigned)uid, (int)pid,
	         *comm != '\0' ? comm : "-");
}

void
cli_quota_format(uint32_t quota, int period, char *buf, size_t size)
{
	const char *p = cred_period_name(period);

	if (quota == 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%u/%s", quota, p != NULL ? p : "?");
}

int
cli_create_new(struct cli *cli, const char *file, int *ret_fd, struct stat *ret_st)
{
	int fd, r;

	/* A new file only: never overwrite, never follow a link. */
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0 && errno == EEXIST)
		return cli_error(cli, CRED_E_FAILED, file,
		                 "already exists; not overwriting it (remove it or name another "
		                 "file)");
	if (fd < 0)
		return cli_error(cli, CRED_E_FAILED, file, "%s", strerror(errno));
	if (fstat(fd, ret_st) < 0) {
		r = cli_error(cli, CRED_E_FAILED, file, "%s", strerror(errno));
		(void)unlink(file);
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

void
cli_remove_partial(const char *path, const struct stat *st)
{
	struct stat now;

	if (lstat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino)
		(void)unlink(path);
}
