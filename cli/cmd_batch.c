/* SPDX-License-Identifier: MIT */
/* cmd_batch.c: `mailferry batch`: run migration jobs from a job file, unattended.  Not built yet. */
#include "cli/cli.h"

#include <stdio.h>

const char cmd_batch_help[] =
	"usage: mailferry batch ...\n"
	"\n"
	"run migration jobs from a job file, unattended (not built yet).\n";

int cmd_batch(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailferry: 'batch' is not built yet\n");
	return MF_EXIT_FATAL;
}
