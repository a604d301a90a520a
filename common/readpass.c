/* SPDX-License-Identifier: MIT */
/* A no-echo prompt on the controlling terminal, in place of libbsd's
 * readpassphrase(RPP_REQUIRE_TTY): the same steps, in the same order. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/readpass.h"

/* The signals that would leave the terminal without echo if they killed
 * or stopped us mid-prompt: caught while it is off, sent again after. */
static const int tty_signals[] = {SIGALRM, SIGHUP,  SIGINT,  SIGPIPE, SIGQUIT,
                                  SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU};
#define N_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

static volatile sig_atomic_t caught[NSIG];

static void
on_signal(int sig)
{
	if (sig > 0 && sig < NSIG)
		caught[sig] = 1;
}

struct tty_state {
	int fd;
	bool is_tty;  /* echo is off now (the settings were read) */
	bool changed; /* and was on: restore OLD */
	struct termios old;
	struct sigaction saved[N_SIGNALS];
};

/* Best effort, as readpassphrase does: a terminal that takes no output
 * still gives its input. */
static void
tty_write(int fd, const char *s, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

/* Echo off, then the handlers: in that order, since changing the
 * settings from a background process group raises SIGTTOU, which must
 * stop us (its default) rather than be caught. */
static void
tty_setup(struct tty_state *t)
{
	struct termios term;
	struct sigaction sa;
	size_t i;

	t->is_tty = tcgetattr(t->fd, &t->old) == 0;
	t->changed = t->is_tty && (t->old.c_lflag & (ECHO | ECHONL)) != 0;
	if (t->is_tty) {
		term = t->old;
		term.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		(void)tcsetattr(t->fd, TCSAFLUSH, &term);
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a signal ends the read */
	sa.sa_handler = on_signal;
	for (i = 0; i < N_SIGNALS; i++)
		(void)sigaction(tty_signals[i], &sa, &t->saved[i]);
}

static void
tty_restore(struct tty_state *t)
{
	sig_atomic_t ttou = caught[SIGTTOU];
	size_t i;

	if (t->changed) {
		/* From a background process group this raises SIGTTOU:
		 * retry until it works or that is why it fails. */
		while (tcsetattr(t->fd, TCSAFLUSH, &t->old) < 0 && errno == EINTR &&
		       !caught[SIGTTOU])
			continue;
		caught[SIGTTOU] = ttou;
	}
	for (i = 0; i < N_SIGNALS; i++)
		(void)sigaction(tty_signals[i], &t->saved[i], NULL);
}

/* One line into BUF (SIZE > 0): 0 or -errno. */
static int
tty_read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t k;
	char ch;

	while ((k = read(fd, &ch, 1)) == 1 && ch != '\n' && ch != '\r') {
		if (n < size - 1)
			buf[n++] = ch;
	}
	buf[n] = '\0';
	explicit_bzero(&ch, sizeof(ch));
	return k < 0 ? -errno : 0;
}

int
readpass(const char *prompt, char *buf, size_t size)
{
	struct tty_state t;
	bool restart;
	size_t i;
	int r;

	if (size == 0)
		return -EINVAL;
	do {
		for (i = 0; i < N_SIGNALS; i++)
			caught[tty_signals[i]] = 0;
		t.fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (t.fd < 0)
			return -ENOTTY;
		tty_setup(&t);
		tty_write(t.fd, prompt, strlen(prompt));
		r = tty_read_line(t.fd, buf, size);
		/* The newline the user typed was not echoed. */
		if (t.is_tty)
			tty_write(t.fd, "\n", 1);
		tty_restore(&t);
		close(t.fd);
		/* Now that the terminal is as it was: what we caught, again. */
		restart = false;
		for (i = 0; i < N_SIGNALS; i++) {
			if (!caught[tty_signals[i]])
				continue;
			(void)kill(getpid(), tty_signals[i]);
			if (tty_signals[i] == SIGTSTP || tty_signals[i] == SIGTTIN ||
			    tty_signals[i] == SIGTTOU)
				restart = true;
		}
	} while (restart);
	return r;
}
