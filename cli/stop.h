/* SPDX-License-Identifier: MIT */
/*
 * stop.h: SIGINT/SIGTERM while an export runs.  The export driver installs
 * no handler: it polls opts->stop.  cli_stop_begin installs handlers that
 * set cli_stop_flag (cleared first), cli_stop_end puts the previous
 * handlers back.
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

#endif
