/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>


#include "journal.h"
#include "log.h"

static enum log_target log_target = LOG_TARGET_STDERR;
static bool log_debug_on;
static const char *log_ident = "credagentd";

/* JOURNAL_STREAM is "DEV:INO" of the stream journald gave us; it counts
 * only if stderr is still that stream. */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *ident)
{
	if (ident != NULL)
		log_ident = ident;
	log_target = stderr_is_journal() ? LOG_TARGET_JOURNAL_STREAM : LOG_TARGET_STDERR;
}

void
log_set_target(enum log_target t)
{
	log_target = t;
}

void
log_set_debug(bool on)
{
	log_debug_on = on;
}

static void
log_vemit(int prio, const char *fmt, va_list ap)
{
	char msg[1024], ts[32];
	struct timespec now;
	struct tm tm;
	int saved = errno;

	if (prio == LOG_DEBUG && !log_debug_on)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	switch (log_target) {
	case LOG_TARGET_NONE:
		break;
	case LOG_TARGET_JOURNAL: {
		char m[sizeof(msg) + 8], p[16], id[80];
		const char *f[3] = {m, p, id};

		snprintf(m, sizeof(m), "MESSAGE=%s", msg);
		snprintf(p, sizeof(p), "PRIORITY=%d", prio);
		snprintf(id, sizeof(id), "SYSLOG_IDENTIFIER=%s", log_ident);
		(void)journal_send_fields(f, 3);
		break;
	}
	case LOG_TARGET_JOURNAL_STREAM:
		fprintf(stderr, "<%d>%s\n", prio, msg);
		break;
	case LOG_TARGET_STDERR:
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "<%d>%s %s[%ld]: %s\n", prio, ts, log_ident, (long)getpid(), msg);
		break;
	}
	errno = saved;
}

#define LOG_FN(name, prio)                                                                         \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vemit(prio, fmt, ap);                                                          \
		va_end(ap);                                                                        \
	}

LOG_FN(log_err, LOG_ERR)
LOG_FN(log_warn, LOG_WARNING)
LOG_FN(log_notice, LOG_NOTICE)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)
