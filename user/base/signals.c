// SPDX-License-Identifier: BSD-3-Clause
#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include "base/signals.h"

int stop_signals_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

static void (*second_sigint_cleanup)(void);

/* Clean up, then die of the SIGINT as the default action would (exit 130 in a shell). */
static void on_second_sigint(int signo)
{
	if (second_sigint_cleanup)
		second_sigint_cleanup();
	raise(signo);	/* SA_RESETHAND: delivered, with the default action, on return */
}

void unblock_sigint(void (*cleanup)(void))
{
	struct sigaction sa = { .sa_handler = on_second_sigint, .sa_flags = SA_RESETHAND };
	sigset_t mask;

	second_sigint_cleanup = cleanup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
}
