/* SPDX-License-Identifier: MIT */
/* stop.c: SIGINT/SIGTERM set a flag the export driver polls (stop.h). */
#include "cli/stop.h"

#include <string.h>
#include <unistd.h>

volatile sig_atomic_t cli_stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	cli_stop_flag = 1;
}

void cli_stop_begin(struct cli_stop *s)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	cli_stop_flag = 0;
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
}

void cli_stop_end(struct cli_stop *s)
{
	sigaction(SIGINT, &s->old_int, NULL);
	sigaction(SIGTERM, &s->old_term, NULL);
}

static const char *exit_message;

static void on_exit_signal(int sig)
{
	(void)sig;
	if (exit_message) {
		ssize_t r = write(2, exit_message, strlen(exit_message));
		(void)r;
	}
	_exit(130);
}

void cli_stop_exit_on_sigint(const char *message)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_exit_signal;
	exit_message = message;
	sigaction(SIGINT, &sa, NULL);
}
