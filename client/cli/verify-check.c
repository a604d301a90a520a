/* SPDX-License-Identifier: MIT */
/* cred verify's checks: libpq and libmariadb through dlopen (their few
 * functions declared here, with opaque handles: no headers needed), and
 * a command run with the secret in its environment. */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/cli/verify-check.h"
#include "common/zero.h"

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Line breaks and other control characters of a server's message become
 * spaces; trailing blanks go. */
static void
one_line(char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			s[n] = ' ';
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
}

/* A field's value as a C string, in a block of its own. */
struct cfield {
	char *s; /* NULL: absent */
	size_t len;
};

static void
cfield_free(struct cfield *c)
{
	if (c->s != NULL)
		zero_free(c->s, c->len + 1);
	c->s = NULL;
}

/* Field KEY of F (TYPE's default filling in): 0, or VERIFY_CANNOT with
 * MSG set when it is missing but REQUIRED, masked, or holds a NUL. */
static int
cfield_get(const struct cred_fields *f, const char *type, const char *key, bool required,
           struct cfield *ret, char *msg, size_t size)
{
	const uint8_t *p;
	size_t n;
	int r;

	ret->s = NULL;
	r = cred_fields_get(f, key, type, &p, &n);
	if (r == 0 && !required)
		return 0;
	if (r != 1 || p == NULL) {
		snprintf(msg, size, "the secret has no field %s", key);
		return VERIFY_CANNOT;
	}
	if (n > 0 && memchr(p, '\0', n) != NULL) {
		snprintf(msg, size, "field %s holds a NUL byte, which no client library takes",
		         key);
		return VERIFY_CANNOT;
	}
	ret->s = malloc(n + 1);
	if (ret->s == NULL) {
		snprintf(msg, size, "out of memory");
		return VERIFY_CANNOT;
	}
	memcpy(ret->s, p, n);
	ret->s[n] = '\0';
	ret->len = n;
	return 0;
}

/* The six connection fields of a postgresql or mysql secret. */
enum { F_HOST, F_PORT, F_DATABASE, F_USERNAME, F_PASSWORD, F_OPTION, F_COUNT };

static int
db_fields(const struct cred_fields *f, const char *type, const char *option, struct cfield *c,
          char *msg, size_t size)
{
	static const char *const keys[] = {"host", "port", "database", "username", "password"};
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < F_OPTION; i++)
		r = cfield_get(f, type, keys[i], true, &c[i], msg, size);
	if (r == 0)
		r = cfield_get(f, type, option, false, &c[F_OPTION], msg, size);
	return r;
}

static void
db_fields_free(struct cfield *c)
{
	size_t i;

	for (i = 0; i < F_COUNT; i++)
		cfield_free(&c[i]);
}

/* dlopen NAME: the handle, or NULL with MSG saying what to install. */
static void *
load(const char *name, const char *package, char *msg, size_t size)
{
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (h == NULL) {
		e = dlerror();
		snprintf(msg, size, "cannot load %s (install %s): %s", name, package,
		         e != NULL ? e : "not found");
	}
	return h;
}

/* dlsym for a function; *ok turns false when it is missing. */
static void *
sym(void *h, const char *name, bool *ok)
{
	void *p = dlsym(h, name);

	if (p == NULL)
		*ok = false;
	return p;
}

/* ---- PostgreSQL: libpq.so.5 ---- */

typedef struct verify_pgconn PGconn;
typedef struct verify_pgresult PGresult;

#define PQ_CONNECTION_OK 0 /* ConnStatusType */
#define PQ_TUPLES_OK     2 /* ExecStatusType PGRES_TUPLES_OK */

struct pq_api {
	PGconn *(*connectdb_params)(const char *const *, const char *const *, int);
	int (*status)(const PGconn *);
	char *(*error_message)(const PGconn *);
	int (*send_query)(PGconn *, const char *);
	int (*socket)(const PGconn *);
	int (*consume_input)(PGconn *);
	int (*is_busy)(PGconn *);
	PGresult *(*get_result)(PGconn *);
	int (*result_status)(const PGresult *);
	char *(*result_error_message)(const PGresult *);
	void (*clear)(PGresult *);
	void (*finish)(PGconn *);
};

static int
pq_load(struct pq_api *pq, char *msg, size_t size)
{
	static const char lib[] = "libpq.so.5";
	void *h = load(lib, "libpq5", msg, size);
	bool ok = true;

	if (h == NULL)
		return VERIFY_CANNOT;
	pq->connectdb_params = (PGconn * (*)(const char *const *, const char *const *, int))
	        sym(h, "PQconnectdbParams", &ok);
	pq->status = (int (*)(const PGconn *))sym(h, "PQstatus", &ok);
	pq->error_message = (char *(*)(const PGconn *))sym(h, "PQerrorMessage", &ok);
	pq->send_query = (int (*)(PGconn *, const char *))sym(h, "PQsendQuery", &ok);
	pq->socket = (int (*)(const PGconn *))sym(h, "PQsocket", &ok);
	pq->consume_input = (int (*)(PGconn *))sym(h, "PQconsumeInput", &ok);
	pq->is_busy = (int (*)(PGconn *))sym(h, "PQisBusy", &ok);
	pq->get_result = (PGresult * (*)(PGconn *)) sym(h, "PQgetResult", &ok);
	pq->result_status = (int (*)(const PGresult *))sym(h, "PQresultStatus", &ok);
	pq->result_error_message = (char *(*)(const PGresult *))sym(h, "PQresultErrorMessage", &ok);
	pq->clear = (void (*)(PGresult *))sym(h, "PQclear", &ok);
	pq->finish = (void (*)(PGconn *))sym(h, "PQfinish", &ok);
	if (!ok) {
		snprintf(msg, size, "%s lacks a function cred needs", lib);
		return VERIFY_CANNOT;
	}
	return 0;
}

/* Waits until CONN has a whole result, DEADLINE (ms) at the latest
 * (PQexec would wait for ever on a server that never answers): 1, 0 on
 * timeout, -1 when the connection failed. */
static int
pq_wait(const struct pq_api *pq, PGconn *conn, long deadline)
{
	struct pollfd p = {.fd = pq->socket(conn), .events = POLLIN};
	long left;

	while (pq->is_busy(conn)) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		if (!pq->consume_input(conn))
			return -1;
	}
	return 1;
}

/* Connected: SELECT 1, within TIMEOUT seconds. */
static int
pq_select(const struct pq_api *pq, PGconn *conn, long start, unsigned timeout, char *msg,
          size_t size)
{
	PGresult *res = NULL, *more;
	int r = VERIFY_FAILED, w = -1;

	if (pq->send_query(conn, "SELECT 1"))
		w = pq_wait(pq, conn, now_ms() + (long)timeout * 1000L);
	if (w == 1)
		res = pq->get_result(conn);
	if (w == 0) {
		snprintf(msg, size, "SELECT 1 timed out after %u s", timeout);
	} else if (res != NULL && pq->result_status(res) == PQ_TUPLES_OK) {
		snprintf(msg, size, "SELECT 1 ok in %ld ms", now_ms() - start);
		r = VERIFY_OK;
	} else {
		snprintf(msg, size, "SELECT 1 failed: %s",
		         res != NULL ? pq->result_error_message(res) : pq->error_message(conn));
		one_line(msg);
	}
	if (res != NULL)
		pq->clear(res);
	/* The end of the query's results (NULL), as libpq wants it read. */
	while (w == 1 && pq_wait(pq, conn, now_ms() + 1000L) == 1 &&
	       (more = pq->get_result(conn)) != NULL)
		pq->clear(more);
	return r;
}

int
verify_postgresql(const struct cred_fields *f, unsigned timeout, char *msg, size_t size)
{
	struct cfield c[F_COUNT] = {{0}};
	struct pq_api pq;
	char tmo[16];
	const char *keys[9], *vals[9];
	size_t n = 0;
	PGconn *conn;
	long start;
	int r;

	if ((r = pq_load(&pq, msg, size)) < 0 ||
	    (r = db_fields(f, "postgresql", "sslmode", c, msg, size)) < 0)
		goto out;
	snprintf(tmo, sizeof(tmo), "%u", timeout);
	keys[n] = "host", vals[n++] = c[F_HOST].s;
	keys[n] = "port", vals[n++] = c[F_PORT].s;
	keys[n] = "dbname", vals[n++] = c[F_DATABASE].s;
	keys[n] = "user", vals[n++] = c[F_USERNAME].s;
	keys[n] = "password", vals[n++] = c[F_PASSWORD].s;
	if (c[F_OPTION].s != NULL)
		keys[n] = "sslmode", vals[n++] = c[F_OPTION].s;
	keys[n] = "connect_timeout", vals[n++] = tmo;
	keys[n] = "application_name", vals[n++] = "cred-verify";
	keys[n] = NULL, vals[n] = NULL;
	start = now_ms();
	/* expand_dbname 0: the database name is a name, never a URI. */
	conn = pq.connectdb_params(keys, vals, 0);
	if (conn == NULL) {
		snprintf(msg, size, "out of memory");
		r = VERIFY_CANNOT;
	} else if (pq.status(conn) != PQ_CONNECTION_OK) {
		snprintf(msg, size, "%s", pq.error_message(conn));
		one_line(msg);
		r = VERIFY_FAILED;
	} else {
		r = pq_select(&pq, conn, start, timeout, msg, size);
	}
	if (conn != NULL)
		pq.finish(conn);
out:
	db_fields_free(c);
	return r;
}

/* ---- MariaDB / MySQL: libmariadb.so.3 ---- */

typedef struct verify_mysql MYSQL;
typedef struct verify_mysql_res MYSQL_RES;

/* enum mysql_option of libmariadb 3 (its ABI). */
#define MY_OPT_CONNECT_TIMEOUT 0
#define MY_OPT_READ_TIMEOUT    11
#define MY_OPT_WRITE_TIMEOUT   12
#define MY_OPT_SSL_ENFORCE     38

struct my_api {
	MYSQL *(*init)(MYSQL *);
	int (*options)(MYSQL *, int, const void *);
	MYSQL *(*real_connect)(MYSQL *, const char *, const char *, const char *, const char *,
	                       unsigned int, const char *, unsigned long);
	int (*query)(MYSQL *, const char *);
	MYSQL_RES *(*store_result)(MYSQL *);
	void (*free_result)(MYSQL_RES *);
	const char *(*error)(MYSQL *);
	void (*close)(MYSQL *);
};

static int
my_load(struct my_api *my, char *msg, size_t size)
{
	static const char lib[] = "libmariadb.so.3";
	void *h = load(lib, "libmariadb3", msg, size);
	bool ok = true;

	if (h == NULL)
		return VERIFY_CANNOT;
	my->init = (MYSQL * (*)(MYSQL *)) sym(h, "mysql_init", &ok);
	my->options = (int (*)(MYSQL *, int, const void *))sym(h, "mysql_options", &ok);
	my->real_connect = (MYSQL * (*)(MYSQL *, const char *, const char *, const char *,
	                                const char *, unsigned int, const char *, unsigned long))
	        sym(h, "mysql_real_connect", &ok);
	my->query = (int (*)(MYSQL *, const char *))sym(h, "mysql_query", &ok);
	my->store_result = (MYSQL_RES * (*)(MYSQL *)) sym(h, "mysql_store_result", &ok);
	my->free_result = (void (*)(MYSQL_RES *))sym(h, "mysql_free_result", &ok);
	my->error = (const char *(*)(MYSQL *))sym(h, "mysql_error", &ok);
	my->close = (void (*)(MYSQL *))sym(h, "mysql_close", &ok);
	if (!ok) {
		snprintf(msg, size, "%s lacks a function cred needs", lib);
		return VERIFY_CANNOT;
	}
	return 0;
}

/* Connects M with the fields C and runs SELECT 1. */
static int
my_run(const struct my_api *my, MYSQL *m, const struct cfield *c, long start, char *msg,
       size_t size)
{
	const char *host = c[F_HOST].s, *sock = NULL;
	unsigned long port = strtoul(c[F_PORT].s, NULL, 10);
	MYSQL_RES *res;

	if (host[0] == '/') {
		sock = host;
		host = "localhost";
	}
	if (my->real_connect(m, host, c[F_USERNAME].s, c[F_PASSWORD].s, c[F_DATABASE].s,
	                     (unsigned int)port, sock, 0) == NULL) {
		snprintf(msg, size, "%s", my->error(m));
		one_line(msg);
		return VERIFY_FAILED;
	}
	if (my->query(m, "SELECT 1") != 0) {
		snprintf(msg, size, "SELECT 1 failed: %s", my->error(m));
		one_line(msg);
		return VERIFY_FAILED;
	}
	res = my->store_result(m);
	if (res != NULL)
		my->free_result(res);
	snprintf(msg, size, "SELECT 1 ok in %ld ms", now_ms() - start);
	return VERIFY_OK;
}

int
verify_mysql(const struct cred_fields *f, unsigned timeout, char *msg, size_t size)
{
	struct cfield c[F_COUNT] = {{0}};
	struct my_api my;
	unsigned int t = timeout;
	char enforce = 1; /* my_bool */
	MYSQL *m = NULL;
	int r;

	if ((r = my_load(&my, msg, size)) < 0 ||
	    (r = db_fields(f, "mysql", "ssl", c, msg, size)) < 0)
		goto out;
	m = my.init(NULL);
	if (m == NULL) {
		snprintf(msg, size, "out of memory");
		r = VERIFY_CANNOT;
		goto out;
	}
	(void)my.options(m, MY_OPT_CONNECT_TIMEOUT, &t);
	(void)my.options(m, MY_OPT_READ_TIMEOUT, &t);
	(void)my.options(m, MY_OPT_WRITE_TIMEOUT, &t);
	if (c[F_OPTION].s != NULL && strcmp(c[F_OPTION].s, "true") == 0)
		(void)my.options(m, MY_OPT_SSL_ENFORCE, &enforce);
	r = my_run(&my, m, c, now_ms(), msg, size);
out:
	if (m != NULL)
		my.close(m);
	db_fields_free(c);
	return r;
}

/* ---- a command ---- */

/* The output kept: the last OUT_KEEP bytes. */
#define OUT_KEEP 8192u

struct out_tail {
	char buf[OUT_KEEP];
	size_t len;
	bool dropped; /* bytes before buf[0] were dropped */
};

static void
tail_add(struct out_tail *t, const char *p, size_t n)
{
	size_t keep;

	if (n >= OUT_KEEP) {
		t->dropped = t->dropped || t->len > 0 || n > OUT_KEEP;
		memcpy(t->buf, p + n - OUT_KEEP, OUT_KEEP);
		t->len = OUT_KEEP;
		return;
	}
	if (t->len + n > OUT_KEEP) {
		keep = OUT_KEEP - n;
		memmove(t->buf, t->buf + t->len - keep, keep);
		explicit_bzero(t->buf + keep, t->len - keep);
		t->len = keep;
		t->dropped = true;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* The output's last non-empty line, once SECRETS are scrubbed from all
 * of it (a secret may span lines), into LINE (SIZE bytes; "" when there
 * is none, or when it began before the bytes kept). */
static void
tail_last_line(struct out_tail *t, const struct scrub_list *secrets, char *line, size_t size)
{
	size_t end, start;

	t->len = scrub_bytes(secrets, (uint8_t *)t->buf, t->len, OUT_KEEP, t->dropped);
	end = t->len;

	line[0] = '\0';
	while (end > 0 && (t->buf[end - 1] == '\n' || t->buf[end - 1] == '\r' ||
	                   t->buf[end - 1] == ' ' || t->buf[end - 1] == '\t'))
		end--;
	for (start = end; start > 0 && t->buf[start - 1] != '\n'; start--)
		;
	if (end == start || (start == 0 && t->dropped))
		return;
	if (end - start >= size)
		start = end - (size - 1);
	memcpy(line, t->buf + start, end - start);
	line[end - start] = '\0';
	one_line(line);
}

static void __attribute__((noreturn)) child_exec(const char *cmd, char *const *envp, int out)
{
	char *const argv[] = {(char *)(uintptr_t) "sh", (char *)(uintptr_t) "-c",
	                      (char *)(uintptr_t)cmd, NULL};
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		_exit(126);
	closefrom(STDERR_FILENO + 1);
	execve("/bin/sh", argv, envp);
	_exit(127);
}

/* Reads the child's output until it exits or DEADLINE (ms) passes:
 * true when it exited (*status set). */
static bool
collect(pid_t pid, int fd, long deadline, struct out_tail *t, int *status)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	bool eof = false;
	char buf[4096];
	ssize_t k;
	long left;

	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			break;
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		if (eof || poll(&p, 1, (int)(left < 50 ? left : 50)) <= 0) {
			if (eof)
				(void)poll(NULL, 0, (int)(left < 20 ? left : 20));
			continue;
		}
		k = read(fd, buf, sizeof(buf));
		if (k > 0)
			tail_add(t, buf, (size_t)k);
		else if (k == 0 || errno != EINTR)
			eof = true;
	}
	/* What it wrote before exiting, as far as it is there now. */
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	while (!eof && (k = read(fd, buf, sizeof(buf))) > 0)
		tail_add(t, buf, (size_t)k);
	explicit_bzero(buf, sizeof(buf));
	return true;
}

int
verify_command(const char *cmd, char *const *envp, unsigned timeout,
               const struct scrub_list *secrets, char *msg, size_t size)
{
	struct out_tail *t;
	char line[256];
	long start = now_ms();
	int fds[2], status = 0;
	pid_t pid;
	bool exited;

	t = calloc(1, sizeof(*t));
	if (t == NULL || pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(msg, size, "cannot run the command: %s", strerror(errno));
		free(t);
		return VERIFY_CANNOT;
	}
	pid = fork();
	if (pid == 0)
		child_exec(cmd, envp, fds[1]);
	close(fds[1]);
	if (pid < 0) {
		snprintf(msg, size, "cannot run the command: %s", strerror(errno));
		close(fds[0]);
		free(t);
		return VERIFY_CANNOT;
	}
	exited = collect(pid, fds[0], start + (long)timeout * 1000L, t, &status);
	if (!exited) {
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
	}
	close(fds[0]);
	tail_last_line(t, secrets, line, sizeof(line));
	zero_free(t, sizeof(*t));
	if (!exited)
		snprintf(msg, size, "command timed out after %u s", timeout);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		snprintf(msg, size, "command ok in %ld ms", now_ms() - start);
	else if (WIFEXITED(status))
		snprintf(msg, size, "command exited with status %d%s%s", WEXITSTATUS(status),
		         *line != '\0' ? ": " : "", line);
	else
		snprintf(msg, size, "command killed by signal %d%s%s", WTERMSIG(status),
		         *line != '\0' ? ": " : "", line);
	explicit_bzero(line, sizeof(line));
	return exited && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? VERIFY_OK : VERIFY_FAILED;
}
