/* SPDX-License-Identifier: MIT */
/* cmd_plan.c: `mailferry plan`: decide what happens to each mailbox on the target.  Not built yet. */
#include "cli/cli.h"

#include <stdio.h>

const char cmd_plan_help[] =
	"usage: mailferry plan ...\n"
	"\n"
	"decide what happens to each mailbox on the target (not built yet).\n";

int cmd_plan(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailferry: 'plan' is not built yet\n");
	return MF_EXIT_FATAL;
}
