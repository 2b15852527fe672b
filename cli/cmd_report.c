/* SPDX-License-Identifier: MIT */
/* cmd_report.c: `mailferry report`: write the migration report (HTML or JSON).  Not built yet. */
#include "cli/cli.h"

#include <stdio.h>

const char cmd_report_help[] =
	"usage: mailferry report ...\n"
	"\n"
	"write the migration report (HTML or JSON) (not built yet).\n";

int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailferry: 'report' is not built yet\n");
	return MF_EXIT_FATAL;
}
