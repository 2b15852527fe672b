/* SPDX-License-Identifier: MIT */
/* cmd_wizard.c: `mailferry wizard`: interactive, step-by-step migration.  Not built yet. */
#include "cli/cli.h"

#include <stdio.h>

const char cmd_wizard_help[] =
	"usage: mailferry wizard ...\n"
	"\n"
	"interactive, step-by-step migration (not built yet).\n";

int cmd_wizard(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailferry: 'wizard' is not built yet\n");
	return MF_EXIT_FATAL;
}
