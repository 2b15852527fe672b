/* SPDX-License-Identifier: MIT */
/* cmd_check.c: `mailferry check`: preflight: check the staging data, the plan and the target.  Not built yet. */
#include "cli/cli.h"

#include <stdio.h>

const char cmd_check_help[] =
	"usage: mailferry check ...\n"
	"\n"
	"preflight: check the staging data, the plan and the target (not built yet).\n";

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailferry: 'check' is not built yet\n");
	return MF_EXIT_FATAL;
}
