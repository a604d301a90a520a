/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <sodium.h>

#include "common/journal.h"
#include "common/log.h"
#include "common/smem.h"
#include "common/util.h"
#include "proto/proto.h"
#include "admin.h"
#include "audit.h"
#include "arena.h"
#include "conn.h"
#include "keys.h"
#include "loop.h"
#include "peer.h"
#include "ratelimit.h"
#include "rekey.h"
#include "ops.h"
#include "seal.h"
#include "sdnotify.h"
#include "sock.h"
#include "store.h"
#include "usage.h"
#include "worker.h"
#include "writer.h"

#define ARENA_DEFAULT (8u << 20)
#define ARENA_MIN (1u << 20)
#define MEMLOCK_RESERVE (512u << 10)

enum {
	OPT_KEYFILE = 256,
	OPT_SYSTEM,
	OPT_VERSION,
	OPT_DEBUG,
	OPT_ARENA,
	OPT_MAP,
	OPT_FRAME,
	OPT_IDLE,
	OPT_CONNS,
	OPT_CONNS_UID,
	OPT_WATCHES,
	OPT_RETENTION,
	OPT_ADMIN_GROUP,
	OPT_RATE,
	OPT_BURST,
	OPT_NO_PIDFD,
	OPT_KDF,
	OPT_LOCK_TIMEOUT,
	OPT_INIT_PASS,
	OPT_RESTORE,
	OPT_REKEY_BATCH,
	OPT_REKEY_PAUSE,
	OPT_AUDIT_BUDGET,
	OPT_AUDIT_RETENTION,
	OPT_NO_READ_AUDIT,
};

static const struct option long_opts[] = {
	{"help", no_argument, NULL, 'h'},
	{"keyfile", required_argument, NULL, OPT_KEYFILE},
	{"system", no_argument, NULL, OPT_SYSTEM},
	{"version", no_argument, NULL, OPT_VERSION},
	{"debug", no_argument, NULL, OPT_DEBUG},
	{"arena-size", required_argument, NULL, OPT_ARENA},
	{"map-size", required_argument, NULL, OPT_MAP},
	{"max-frame", required_argument, NULL, OPT_FRAME},
	{"idle-timeout", required_argument, NULL, OPT_IDLE},
	{"max-conns", required_argument, NULL, OPT_CONNS},
	{"max-conns-per-uid", required_argument, NULL, OPT_CONNS_UID},
	{"max-watches-per-uid", required_argument, NULL, OPT_WATCHES},
	{"retention", required_argument, NULL, OPT_RETENTION},
	{"admin-group", required_argument, NULL, OPT_ADMIN_GROUP},
	{"rate-limit", required_argument, NULL, OPT_RATE},
	{"rate-burst", required_argument, NULL, OPT_BURST},
	{"test-no-pidfd", no_argument, NULL, OPT_NO_PIDFD},
	{"kdf", required_argument, NULL, OPT_KDF},
	{"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
	{"init-passphrase", no_argument, NULL, OPT_INIT_PASS},
	{"restore", required_argument, NULL, OPT_RESTORE},
	{"test-rekey-batch", required_argument, NULL, OPT_REKEY_BATCH},
	{"test-rekey-pause", required_argument, NULL, OPT_REKEY_PAUSE},
	{"audit-budget", required_argument, NULL, OPT_AUDIT_BUDGET},
	{"audit-retention", required_argument, NULL, OPT_AUDIT_RETENTION},
	{"bench-no-read-audit", no_argument, NULL, OPT_NO_READ_AUDIT},
	{NULL, 0, NULL, 0},
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: credagentd [-f] [-s SOCKET] [-d STATE_DIR] [--keyfile PATH] [--system]\n"
		"                  [--arena-size SIZE] [--map-size SIZE] [--max-frame SIZE]\n"
		"                  [--idle-timeout DURATION] [--max-conns N]\n"
		"                  [--max-conns-per-uid N] [--max-watches-per-uid N]\n"
		"                  [--retention DURATION] [--admin-group GROUP]\n"
		"                  [--rate-limit N] [--rate-burst N] [--lock-timeout DURATION]\n"
		"                  [--kdf min|interactive|moderate|sensitive] [--debug]\n"
		"                  [--audit-budget N] [--audit-retention DURATION|forever]\n"
		"       credagentd --init-passphrase [-d STATE_DIR] [--kdf LEVEL]\n"
		"       credagentd --restore BACKUP [-d STATE_DIR]\n"
		"       credagentd -k\n"
		"       credagentd --version | --help\n"
		"\n"
		"  -f                 stay in the foreground (logs on stderr)\n"
		"  -s SOCKET          listen on SOCKET\n"
		"  -d STATE_DIR       keep the store in STATE_DIR\n"
		"  -k                 stop the agent named by $CRED_SOCK\n"
		"  --keyfile PATH     the keyfile slot's file (default STATE_DIR/credagent.key)\n"
		"See credagentd(8).\n");
}

static int
parse_size_opt(const char *arg, uint64_t min, uint64_t max, uint64_t *ret, const char *what)
{
	if (util_parse_size(arg, ret) < 0 || *ret < min || *ret > max) {
		fprintf(stderr, "credagentd: bad %s: %s\n", what, arg);
		return -EINVAL;
	}
	return 0;
}

struct cmdline {
	bool kill;
	bool init_passphrase;
	const char *restore;
};

static int
parse_args(int argc, char **argv, struct agent_config *cfg, struct cmdline *cl)
{
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "fs:d:kh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': cfg->foreground = true; break;
		case 's': cfg->sock_path = optarg; break;
		case 'd': cfg->state_dir = optarg; break;
		case 'k': cl->kill = true; break;
		case OPT_INIT_PASS: cl->init_passphrase = true; break;
		case OPT_RESTORE: cl->restore = optarg; break;
		case OPT_KDF:
			if (admin_kdf_level(optarg, &cfg->kdf_ops, &cfg->kdf_mem) < 0) {
				fprintf(stderr, "credagentd: bad --kdf: %s\n", optarg);
				return -EINVAL;
			}
			break;
		case OPT_REKEY_BATCH:
		case OPT_REKEY_PAUSE:
			if (util_parse_u64(optarg, 100000, &v) < 0 ||
			    (c == OPT_REKEY_BATCH && v == 0)) {
				fprintf(stderr, "credagentd: bad rekey test setting: %s\n", optarg);
				return -EINVAL;
			}
			if (c == OPT_REKEY_BATCH)
				cfg->rekey_batch = (uint32_t)v;
			else
				cfg->rekey_pause_ms = (uint32_t)v;
			break;
		case OPT_LOCK_TIMEOUT:
			if (util_parse_duration(optarg, &v) < 0) {
				fprintf(stderr, "credagentd: bad --lock-timeout: %s\n", optarg);
				return -EINVAL;
			}
			cfg->lock_timeout = v;
			break;
		case 'h': usage(stdout); exit(0);
		case OPT_VERSION: printf("credagentd %s\n", CREDAGENT_VERSION); exit(0);
		case OPT_KEYFILE: cfg->keyfile = optarg; break;
		case OPT_SYSTEM: cfg->system_mode = true; break;
		case OPT_DEBUG: cfg->debug = true; break;
		case OPT_ARENA:
			if (parse_size_opt(optarg, ARENA_MIN, 1ull << 30, &v, "--arena-size") < 0)
				return -EINVAL;
			cfg->arena_size = (size_t)v;
			cfg->arena_size_set = true;
			break;
		case OPT_MAP:
			if (parse_size_opt(optarg, 1u << 20, 1ull << 40, &v, "--map-size") < 0)
				return -EINVAL;
			cfg->map_size = (size_t)v;
			break;
		case OPT_FRAME:
			if (parse_size_opt(optarg, PROTO_FRAME_MIN_MAX, 64u << 20, &v, "--max-frame") < 0)
				return -EINVAL;
			cfg->frame_max = (uint32_t)v;
			break;
		case OPT_IDLE:
			if (util_parse_duration(optarg, &v) < 0 || v == 0 || v > 3600) {
				fprintf(stderr, "credagentd: bad --idle-timeout: %s\n", optarg);
				return -EINVAL;
			}
			cfg->idle_timeout = (uint32_t)v;
			break;
		case OPT_RETENTION:
			if (util_parse_duration(optarg, &v) < 0 || v == 0 || v > (100ull * 365 * 86400)) {
				fprintf(stderr, "credagentd: bad --retention: %s\n", optarg);
				return -EINVAL;
			}
			cfg->retention = v;
			break;
		case OPT_AUDIT_BUDGET:
			if (util_parse_u64(optarg, 1000000, &v) < 0 || v == 0) {
				fprintf(stderr, "credagentd: bad --audit-budget: %s\n", optarg);
				return -EINVAL;
			}
			cfg->audit_budget = (uint32_t)v;
			break;
		case OPT_AUDIT_RETENTION:
			if (strcmp(optarg, "forever") == 0) {
				cfg->audit_retention = 0;
			} else if (util_parse_duration(optarg, &v) < 0 || v == 0 ||
				   v > (100ull * 365 * 86400)) {
				fprintf(stderr, "credagentd: bad --audit-retention: %s\n", optarg);
				return -EINVAL;
			} else {
				cfg->audit_retention = v;
			}
			break;
		case OPT_NO_READ_AUDIT: cfg->no_read_audit = true; break;
		case OPT_ADMIN_GROUP:
			cfg->admin_group = optarg;
			cfg->admin_group_set = true;
			break;
		case OPT_NO_PIDFD: cfg->no_pidfd = true; break;
		case OPT_RATE:
		case OPT_BURST:
			if (util_parse_u64(optarg, 100000000, &v) < 0 || v == 0) {
				fprintf(stderr, "credagentd: bad rate: %s\n", optarg);
				return -EINVAL;
			}
			if (c == OPT_RATE)
				cfg->rate = (uint32_t)v;
			else
				cfg->burst = (uint32_t)v;
			break;
		case OPT_CONNS:
		case OPT_CONNS_UID:
		case OPT_WATCHES:
			if (util_parse_u64(optarg, 1000000, &v) < 0 || v == 0) {
				fprintf(stderr, "credagentd: bad connection limit: %s\n", optarg);
				return -EINVAL;
			}
			if (c == OPT_CONNS)
				cfg->max_conns = (uint32_t)v;
			else if (c == OPT_CONNS_UID)
				cfg->max_conns_per_uid = (uint32_t)v;
			else
				cfg->max_watches_per_uid = (uint32_t)v;
			break;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* credagentd -k: stop the agent at $CRED_SOCK, identified by the kernel. */
static int
kill_agent(void)
{
	const char *path = getenv("CRED_SOCK");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int fd;

	if (path == NULL || strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "credagentd: CRED_SOCK is not set; nothing to stop\n");
		return 1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		fprintf(stderr, "credagentd: no agent at %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	if (uc.uid != getuid() && getuid() != 0) {
		fprintf(stderr, "credagentd: the agent at %s belongs to uid %u\n", path,
			(unsigned)uc.uid);
		return 1;
	}
	if (kill(uc.pid, SIGTERM) < 0) {
		fprintf(stderr, "credagentd: cannot stop pid %d: %s\n", (int)uc.pid, strerror(errno));
		return 1;
	}
	printf("unset CRED_SOCK;\necho Agent pid %d killed;\n", (int)uc.pid);
	return 0;
}

/* LMDB's locks do not work over network file systems. */
static int
check_local_fs(const char *dir, char *errbuf, size_t errlen)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} net[] = {
		{0x6969, "NFS"},	 {0xFF534D42, "CIFS"}, {0xFE534D42, "SMB2"},
		{0x517B, "SMB"},	 {0x5346414F, "AFS"},  {0x00C36400, "Ceph"},
		{0x01021997, "9P"},	 {0x73757245, "Coda"}, {0x564C, "NCP"},
		{0x0BD00BD0, "Lustre"}, {0x01161970, "GFS2"}, {0x7461636F, "OCFS2"},
	};
	struct statfs st;

	if (statfs(dir, &st) < 0) {
		snprintf(errbuf, errlen, "cannot statfs %s: %s", dir, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(net) / sizeof(net[0]); i++) {
		if ((unsigned long)st.f_type == net[i].magic) {
			snprintf(errbuf, errlen,
				 "%s is on a network file system (%s); LMDB needs a local one", dir,
				 net[i].name);
			return -EREMOTE;
		}
	}
	return 0;
}

/* One agent per state directory: an exclusive lock held for life. */
static int
lock_state_dir(const char *dir, char *errbuf, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/credagent.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(errbuf, errlen, "cannot open %.200s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;

		snprintf(errbuf, errlen, "another credagentd is already using %s", dir);
		close(fd);
		return r;
	}
	return fd;
}

/* The arena's size within RLIMIT_MEMLOCK (root is not bound by it). */
static int
arena_size_for(struct agent_config *cfg, size_t *ret, char *errbuf, size_t errlen)
{
	struct rlimit rl;
	size_t avail = SIZE_MAX, want = cfg->arena_size_set ? cfg->arena_size : ARENA_DEFAULT;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	if (geteuid() != 0 && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		avail = rl.rlim_cur > MEMLOCK_RESERVE ? (size_t)rl.rlim_cur - MEMLOCK_RESERVE : 0;
	if (want > avail && !cfg->arena_size_set && avail >= ARENA_MIN)
		want = avail & ~(size_t)(ARENA_GRANULE - 1);
	if (want > avail) {
		snprintf(errbuf, errlen,
			 "RLIMIT_MEMLOCK (%zu KiB free) is too small for a %zu KiB arena; raise it "
			 "(ulimit -l, LimitMEMLOCK=) or lower --arena-size",
			 avail >> 10, want >> 10);
		return -ENOMEM;
	}
	*ret = want;
	return 0;
}

/* The admin group's gid; without such a group only root is an admin. A
 * per-user agent looks it up only when told to (--admin-group): its
 * socket is its owner's alone, and the lookup would load the host's NSS
 * modules into it for nothing. */
static void
resolve_admin_group(struct agent *a)
{
	struct group *gr;

	if (!a->cfg.system_mode && !a->cfg.admin_group_set)
		return;
	gr = getgrnam(a->cfg.admin_group);

	if (gr != NULL) {
		a->admin_gid = gr->gr_gid;
		a->admin_gid_set = true;
	} else if (a->cfg.system_mode) {
		log_info("no group %s on this host: only root is an admin", a->cfg.admin_group);
	}
}

static char *
keyfile_path(const struct agent_config *cfg)
{
	const char *cd = getenv("CREDENTIALS_DIRECTORY");
	char *p = NULL;

	if (cfg->keyfile != NULL)
		return strdup(cfg->keyfile);
	if (cd != NULL && asprintf(&p, "%s/credagent.key", cd) >= 0 && access(p, R_OK) == 0)
		return p;
	free(p);
	if (asprintf(&p, "%s/credagent.key", cfg->state_dir) < 0)
		return NULL;
	return p;
}

/*
 * Without -f and outside systemd: fork before the store is opened or any
 * key touched. The parent waits for the child's word (a byte on a pipe),
 * prints the shell lines and exits; errors reach the terminal through the
 * inherited stderr.
 */
static int
daemonize(const char *sock_path, int *ret_notify_fd)
{
	int p[2];
	pid_t pid;
	char ok;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &ok, 1) != 1)
			exit(1);
		printf("CRED_SOCK=%s; export CRED_SOCK;\necho Agent pid %d;\n", sock_path, (int)pid);
		exit(0);
	}
	close(p[0]);
	if (setsid() < 0)
		return -errno;
	*ret_notify_fd = p[1];
	return 0;
}

static void
detach_stdio(int notify_fd)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (write(notify_fd, "1", 1) != 1)
		log_warn("cannot tell the parent we are ready");
	close(notify_fd);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_set_target(access(JOURNAL_SOCKET_PATH, F_OK) == 0 ? LOG_TARGET_JOURNAL
									 : LOG_TARGET_NONE);
}

static int
start(struct agent *a, int *lock_fd, char *err, size_t errlen)
{
	size_t arena_size;
	char *keyfile;
	int r;

	if ((r = sock_private_dir(a->cfg.state_dir, err, errlen)) < 0 ||
	    (r = check_local_fs(a->cfg.state_dir, err, errlen)) < 0)
		return r;
	if ((*lock_fd = lock_state_dir(a->cfg.state_dir, err, errlen)) < 0)
		return *lock_fd;
	r = sock_activated(err, errlen);
	if (r < 0)
		return r;
	a->listen_activated = r > 0;
	/* The system socket's directory must let every user reach it. */
	a->listen_fd = r > 0 ? r : sock_listen(a->cfg.sock_path, true, a->cfg.system_mode,
					       a->cfg.system_mode ? 0666 : 0600, err, errlen);
	if (a->listen_fd < 0)
		return a->listen_fd;
	if ((r = ratelimit_new(a->cfg.rate, a->cfg.burst, &a->ratelimit)) < 0)
		return r;
	if ((r = arena_size_for(&a->cfg, &arena_size, err, errlen)) < 0)
		return r;
	if ((r = arena_new(arena_size, &a->arena)) < 0) {
		snprintf(err, errlen, "cannot lock %zu KiB for the arena: %s", arena_size >> 10,
			 strerror(-r));
		return r;
	}
	a->dek_scratch = smem_alloc(SEAL_KEY_SIZE);
	a->seal_cache = seal_cache_new();
	if (a->dek_scratch == NULL || a->seal_cache == NULL)
		return -ENOMEM;
	if ((r = store_open(a->cfg.state_dir, a->cfg.map_size, &a->store)) < 0) {
		snprintf(err, errlen, "cannot open the store in %s: %s", a->cfg.state_dir,
			 strerror(-r));
		return r;
	}
	keyfile = keyfile_path(&a->cfg);
	if (keyfile == NULL)
		return -ENOMEM;
	r = keys_open(a->store, keyfile, &a->keys, err, errlen);
	free(keyfile);
	if (r < 0)
		return r;
	if (keys_locked(a->keys))
		log_notice("the store is locked: unlock it with cred unlock");
	if ((r = audit_start(a)) < 0 || (r = usage_start(a)) < 0) {
		snprintf(err, errlen, "cannot read the audit trail: %s", strerror(-r));
		return r;
	}
	if ((r = writer_start(a, &a->writer)) < 0 || (r = worker_start(a, &a->worker)) < 0 ||
	    (r = loop_init(a)) < 0) {
		snprintf(err, errlen, "cannot start: %s", strerror(-r));
		return r;
	}
	return 0;
}

static void
stop(struct agent *a, int lock_fd)
{
	/* The worker first: what it finishes may hand work to the writer. */
	worker_free(a, a->worker);
	a->worker = NULL;
	/* The last audit records and usage counters, before the writer goes. */
	audit_shutdown(a);
	writer_stop(a->writer);
	if (a->writer != NULL) {
		/* Answer what the writer finished: those writes are on disk. */
		struct wjob *j = writer_take_done(a->writer);

		while (j != NULL) {
			struct wjob *next = j->next;

			ops_write_reply(a, j);
			j = next;
		}
	}
	if (a->conns != NULL || a->zombies != NULL) {
		conn_close_all(a);
		conn_reap(a);
	}
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		if (!a->listen_activated)
			unlink(a->cfg.sock_path);
	}
	writer_free(a->writer);
	audit_stopped(a);
	audit_free(a->audit);
	usage_free(a->usage);
	loop_fini(a);
	store_close(a->store);
	keys_free(a->keys);
	smem_free(a->dek_scratch);
	seal_cache_free(a->seal_cache);
	arena_free_all(a->arena);
	ratelimit_free(a->ratelimit);
	if (lock_fd >= 0)
		close(lock_fd);
}

#define FD_RESERVE 32u /* descriptors besides connections: store, timers, jobs */

/*
 * Raise the soft descriptor limit to the hard one (a service manager's
 * soft default is 1024), and hold fewer connections than the limit
 * allows, so that accept never runs the agent out of descriptors.
 */
static void
fit_descriptors(struct agent_config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > FD_RESERVE &&
	    cfg->max_conns > rl.rlim_cur - FD_RESERVE) {
		log_warn("RLIMIT_NOFILE is %llu: holding at most %llu connections",
			 (unsigned long long)rl.rlim_cur,
			 (unsigned long long)(rl.rlim_cur - FD_RESERVE));
		cfg->max_conns = (uint32_t)(rl.rlim_cur - FD_RESERVE);
	}
}

/* Everything after the command line: one-shot commands, or the agent. */
static int
serve(struct agent *a, const struct cmdline *cl)
{
	char err[512] = "";
	bool systemd;
	int lock_fd = -1, notify_fd = -1, r;

	if (cl->init_passphrase)
		return admin_init_passphrase(&a->cfg);
	if (cl->restore != NULL)
		return admin_restore(&a->cfg, cl->restore);
	systemd = getenv("LISTEN_FDS") != NULL || getenv("NOTIFY_SOCKET") != NULL;
	if (!a->cfg.foreground && !systemd && (r = daemonize(a->cfg.sock_path, &notify_fd)) < 0) {
		fprintf(stderr, "credagentd: cannot daemonize: %s\n", strerror(-r));
		return 1;
	}
	a->started = agent_mono_ms() / 1000;
	fit_descriptors(&a->cfg);
	r = start(a, &lock_fd, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err[0] != '\0' ? err : strerror(-r));
		stop(a, lock_fd);
		return 1;
	}
	sdn_notify("READY=1\nSTATUS=serving");
	if (notify_fd >= 0)
		detach_stdio(notify_fd);
	log_notice("credagentd %s serving %s on %s (state %s)", CREDAGENT_VERSION,
		   a->cfg.system_mode ? "the system" : "its owner",
		   a->listen_activated ? "the socket systemd passed" : a->cfg.sock_path,
		   a->cfg.state_dir);
	rekey_kick(a); /* a rekey a crash interrupted goes on */
	r = loop_run(a);
	sdn_notify("STOPPING=1");
	stop(a, lock_fd);
	log_notice("stopped");
	return r < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct agent a = {.listen_fd = -1, .epfd = -1, .signal_fd = -1, .timer_fd = -1};
	struct cmdline cl = {0};
	char *own_dir = NULL, *own_sock = NULL;
	int r;

	if (smem_init() < 0) {
		fprintf(stderr, "credagentd: cannot initialise libsodium or protect memory\n");
		return 1;
	}
	log_init("credagentd");
	loop_block_signals(NULL);
	a.cfg.map_size = STORE_MAP_SIZE_DEFAULT;
	a.cfg.frame_max = PROTO_FRAME_MAX_DEFAULT;
	a.cfg.idle_timeout = 10;
	a.cfg.max_conns = 1024;
	a.cfg.max_conns_per_uid = 64;
	a.cfg.max_watches_per_uid = 256;
	a.cfg.retention = 30 * 86400;
	a.cfg.admin_group = "credadmin";
	a.cfg.rate = 10000;
	a.cfg.kdf_ops = crypto_pwhash_OPSLIMIT_MODERATE;
	a.cfg.kdf_mem = crypto_pwhash_MEMLIMIT_MODERATE;
	a.cfg.rekey_batch = 256;
	a.cfg.audit_budget = AUDIT_BUDGET_DEFAULT;
	a.cfg.audit_retention = AUDIT_RETENTION_DEFAULT;
	if (parse_args(argc, argv, &a.cfg, &cl) < 0)
		return 2;
	if (cl.kill)
		return kill_agent();
	log_set_debug(a.cfg.debug);
	a.uid = getuid();
	if (a.cfg.burst == 0)
		a.cfg.burst = 2 * a.cfg.rate;
	peer_disable_pidfd(a.cfg.no_pidfd);
	resolve_admin_group(&a);
	if (a.cfg.state_dir == NULL)
		a.cfg.state_dir = own_dir = sock_default_state_dir(a.cfg.system_mode);
	if (a.cfg.sock_path == NULL)
		a.cfg.sock_path = own_sock = sock_default_path(a.cfg.system_mode);
	if (a.cfg.state_dir == NULL || a.cfg.sock_path == NULL) {
		fprintf(stderr, "credagentd: cannot work out the default paths (set HOME, or use -d and -s)\n");
		r = 1;
	} else {
		r = serve(&a, &cl);
	}
	free(own_dir);
	free(own_sock);
	return r;
}
