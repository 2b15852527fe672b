/* SPDX-License-Identifier: MIT */
/*
 * stop.h: SIGINT/SIGTERM while an export runs.  The export driver installs
 * no handler: it polls opts->stop.  cli_stop_begin installs handlers that
 * set cli_stop_flag (cleared first), cli_stop_end puts the previous
 * handlers back.
 *
 * Between exports (the wizard's questions, an import, which polls no flag)
 * cli_stop_exit_on_sigint makes SIGINT print message on standard error
 * and end the process with 130 at once: everything the staging database
 * holds is committed, so that is safe.  An export in between (begin/end)
 * puts this handler back when it is done.
 */
#ifndef MF_CLI_STOP_H
#define MF_CLI_STOP_H

#include <signal.h>

extern volatile sig_atomic_t cli_stop_flag;

struct cli_stop {
	struct sigaction old_int, old_term;
};

void cli_stop_begin(struct cli_stop *s);
void cli_stop_end(struct cli_stop *s);
void cli_stop_exit_on_sigint(const char *message);

#endif
